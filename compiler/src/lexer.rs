//! Lexing: source text to tokens, comments kept aside as trivia.
//!
//! Invariant: lexing never fails as a whole. Bad characters, unterminated
//! strings and comments become diagnostics, and the token stream stays usable
//! by the parser so one run reports as much as it can.

use logos::Logos;

use crate::diagnostic::{Code, Diagnostic};
use crate::span::{FileId, Span};

/// The raw token kinds recognised by `logos`. Literal payloads are taken
/// from the source slice by [`lex`], which also validates them.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n\f]+")]
enum Raw {
    #[token("use")]
    Use,
    #[token("struct")]
    Struct,
    #[token("enum")]
    Enum,
    #[token("const")]
    Const,
    #[token("fn")]
    Fn,
    #[token("contract")]
    Contract,
    #[token("interface")]
    Interface,
    #[token("test")]
    Test,
    #[token("property")]
    Property,
    #[token("roles")]
    Roles,
    #[token("storage")]
    Storage,
    #[token("event")]
    Event,
    #[token("error")]
    Error,
    #[token("init")]
    Init,
    #[token("pub")]
    Pub,
    #[token("view")]
    View,
    #[token("requires")]
    Requires,
    #[token("invariant")]
    Invariant,
    #[token("spec")]
    Spec,
    #[token("let")]
    Let,
    #[token("mut")]
    Mut,
    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("while")]
    While,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("break")]
    Break,
    #[token("continue")]
    Continue,
    #[token("return")]
    Return,
    #[token("fail")]
    Fail,
    #[token("emit")]
    Emit,
    #[token("match")]
    Match,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("self")]
    SelfKw,
    #[token("as")]
    As,
    #[token("deploy")]
    Deploy,
    #[token("from")]
    From,

    #[regex("[A-Za-z_][A-Za-z0-9_]*")]
    Ident,
    #[regex("[0-9][0-9_]*")]
    Int,
    #[regex("[0-9][0-9_]*\\.[0-9][0-9_]*")]
    Decimal,
    #[regex("0x[0-9A-Fa-f_]*")]
    Hex,
    #[regex(r#""([^"\\\n]|\\[^\n])*""#)]
    Str,
    #[regex(r#""([^"\\\n]|\\[^\n])*"#)]
    UnterminatedStr,
    #[regex(r#"b"([^"\\\n]|\\[^\n])*""#)]
    ByteStr,
    #[regex(r#"b"([^"\\\n]|\\[^\n])*"#)]
    UnterminatedByteStr,

    #[regex("///[^\n]*", allow_greedy = true)]
    DocComment,
    #[regex("//[^\n]*", allow_greedy = true)]
    LineComment,
    #[token("/*", block_comment)]
    BlockComment,
    /// Produced by [`block_comment`] for a comment that runs to the end of
    /// the file; it has no pattern of its own.
    UnterminatedComment,

    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token(":")]
    Colon,
    #[token("::")]
    ColonColon,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token("->")]
    Arrow,
    #[token("=>")]
    FatArrow,
    #[token("=")]
    Eq,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("!")]
    Bang,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token("|")]
    Pipe,
    #[token("+=")]
    PlusEq,
    #[token("-=")]
    MinusEq,
}

/// Consumes a (possibly nested) block comment after its opening `/*`.
/// A comment that runs to the end of the file becomes `UnterminatedComment`,
/// which the caller reports (returning `false` here would make logos report
/// a generic error token, E0003, instead).
fn block_comment(lex: &mut logos::Lexer<Raw>) -> Raw {
    let rest = lex.remainder().as_bytes();
    let mut depth = 1usize;
    let mut i = 0usize;
    while i < rest.len() {
        match (rest.get(i), rest.get(i + 1)) {
            (Some(b'*'), Some(b'/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    lex.bump(i);
                    return Raw::BlockComment;
                }
            }
            (Some(b'/'), Some(b'*')) => {
                depth += 1;
                i += 2;
            }
            _ => i += 1,
        }
    }
    lex.bump(rest.len());
    Raw::UnterminatedComment
}

/// A token as the parser sees it. Literals carry their validated value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    Use,
    Struct,
    Enum,
    Const,
    Fn,
    Contract,
    Interface,
    Test,
    Property,
    Roles,
    Storage,
    Event,
    Error,
    Init,
    Pub,
    View,
    Requires,
    Invariant,
    Spec,
    Let,
    Mut,
    If,
    Else,
    While,
    For,
    In,
    Break,
    Continue,
    Return,
    Fail,
    Emit,
    Match,
    True,
    False,
    SelfKw,
    As,
    Deploy,
    From,
    Ident(String),
    /// Digits of an integer literal, underscores removed.
    Int(String),
    /// Digits of a decimal literal, underscores removed, with its point.
    Decimal(String),
    /// Hex digits after `0x`, underscores removed; always an even count.
    Hex(String),
    Str(String),
    ByteStr(Vec<u8>),
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Semi,
    Colon,
    ColonColon,
    Dot,
    DotDot,
    Arrow,
    FatArrow,
    Eq,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Bang,
    AndAnd,
    OrOr,
    Pipe,
    PlusEq,
    MinusEq,
}

impl Tok {
    /// How the token is written, for "expected one of" messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("identifier `{name}`"),
            Tok::Int(_) | Tok::Decimal(_) | Tok::Hex(_) => "number".to_string(),
            Tok::Str(_) => "string".to_string(),
            Tok::ByteStr(_) => "byte string".to_string(),
            other => format!("`{}`", other.text()),
        }
    }

    /// The fixed spelling of punctuation and keywords.
    pub fn text(&self) -> &'static str {
        match self {
            Tok::Use => "use",
            Tok::Struct => "struct",
            Tok::Enum => "enum",
            Tok::Const => "const",
            Tok::Fn => "fn",
            Tok::Contract => "contract",
            Tok::Interface => "interface",
            Tok::Test => "test",
            Tok::Property => "property",
            Tok::Roles => "roles",
            Tok::Storage => "storage",
            Tok::Event => "event",
            Tok::Error => "error",
            Tok::Init => "init",
            Tok::Pub => "pub",
            Tok::View => "view",
            Tok::Requires => "requires",
            Tok::Invariant => "invariant",
            Tok::Spec => "spec",
            Tok::Let => "let",
            Tok::Mut => "mut",
            Tok::If => "if",
            Tok::Else => "else",
            Tok::While => "while",
            Tok::For => "for",
            Tok::In => "in",
            Tok::Break => "break",
            Tok::Continue => "continue",
            Tok::Return => "return",
            Tok::Fail => "fail",
            Tok::Emit => "emit",
            Tok::Match => "match",
            Tok::True => "true",
            Tok::False => "false",
            Tok::SelfKw => "self",
            Tok::As => "as",
            Tok::Deploy => "deploy",
            Tok::From => "from",
            Tok::Ident(_) => "identifier",
            Tok::Int(_) | Tok::Decimal(_) | Tok::Hex(_) => "number",
            Tok::Str(_) => "string",
            Tok::ByteStr(_) => "byte string",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Semi => ";",
            Tok::Colon => ":",
            Tok::ColonColon => "::",
            Tok::Dot => ".",
            Tok::DotDot => "..",
            Tok::Arrow => "->",
            Tok::FatArrow => "=>",
            Tok::Eq => "=",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::Bang => "!",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Pipe => "|",
            Tok::PlusEq => "+=",
            Tok::MinusEq => "-=",
        }
    }
}

/// A comment, kept for the formatter and for doc comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
    pub kind: CommentKind,
    /// The comment exactly as written, markers included.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentKind {
    Line,
    Doc,
    Block,
}

/// Everything lexing produced for one file.
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<(u32, Tok, u32)>,
    pub comments: Vec<Comment>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether `word` is a keyword: it lexes as one token that is not an
/// identifier (the lexer's own table decides, so no list is kept twice).
pub fn is_keyword(word: &str) -> bool {
    let mut lexer = Raw::lexer(word);
    matches!(lexer.next(), Some(Ok(raw)) if raw != Raw::Ident && lexer.span().end == word.len())
        && lexer.next().is_none()
}

/// At most this many tokens are reserved up front (10 MB of them); a
/// longer list grows as usual.
const TOKENS_RESERVED_MAX: usize = 1 << 18;

/// Splits `source` into tokens. Offsets are byte offsets into `source`; the
/// caller guarantees the source is at most `limits::SOURCE_BYTES_MAX` long so
/// every offset fits in a `u32`.
pub fn lex(file: FileId, source: &str) -> Lexed {
    // About one token per five bytes in real files: reserving that once
    // spares a large file's token list a chain of copies into fresh pages.
    // Capped, so a huge file of comments or one string reserves little.
    let expected = (source.len() / 4).min(TOKENS_RESERVED_MAX) + 16;
    let mut out = Lexed { tokens: Vec::with_capacity(expected), ..Lexed::default() };
    let mut lexer = Raw::lexer(source);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        let span = Span::new(file, range.start, range.end);
        let slice = lexer.slice();
        let raw = match result {
            Ok(raw) => raw,
            Err(()) => {
                let ch = slice.chars().next().unwrap_or('?');
                out.diagnostics.push(Diagnostic::error(
                    Code::UnexpectedCharacter,
                    span,
                    format!("the character `{}` cannot appear here", ch.escape_debug()),
                ));
                continue;
            }
        };
        if let Some(tok) = convert(raw, slice, span, &mut out) {
            out.tokens.push((span.lo, tok, span.hi));
        }
    }
    out
}

/// Turns a raw token into a parser token, validating literals; comments go
/// to the trivia list and produce no token.
fn convert(raw: Raw, slice: &str, span: Span, out: &mut Lexed) -> Option<Tok> {
    let tok = match raw {
        Raw::Use => Tok::Use,
        Raw::Struct => Tok::Struct,
        Raw::Enum => Tok::Enum,
        Raw::Const => Tok::Const,
        Raw::Fn => Tok::Fn,
        Raw::Contract => Tok::Contract,
        Raw::Interface => Tok::Interface,
        Raw::Test => Tok::Test,
        Raw::Property => Tok::Property,
        Raw::Roles => Tok::Roles,
        Raw::Storage => Tok::Storage,
        Raw::Event => Tok::Event,
        Raw::Error => Tok::Error,
        Raw::Init => Tok::Init,
        Raw::Pub => Tok::Pub,
        Raw::View => Tok::View,
        Raw::Requires => Tok::Requires,
        Raw::Invariant => Tok::Invariant,
        Raw::Spec => Tok::Spec,
        Raw::Let => Tok::Let,
        Raw::Mut => Tok::Mut,
        Raw::If => Tok::If,
        Raw::Else => Tok::Else,
        Raw::While => Tok::While,
        Raw::For => Tok::For,
        Raw::In => Tok::In,
        Raw::Break => Tok::Break,
        Raw::Continue => Tok::Continue,
        Raw::Return => Tok::Return,
        Raw::Fail => Tok::Fail,
        Raw::Emit => Tok::Emit,
        Raw::Match => Tok::Match,
        Raw::True => Tok::True,
        Raw::False => Tok::False,
        Raw::SelfKw => Tok::SelfKw,
        Raw::As => Tok::As,
        Raw::Deploy => Tok::Deploy,
        Raw::From => Tok::From,
        Raw::Ident => Tok::Ident(slice.to_string()),
        Raw::Int => Tok::Int(slice.replace('_', "")),
        Raw::Decimal => Tok::Decimal(slice.replace('_', "")),
        Raw::Hex => Tok::Hex(hex_digits(slice, span, out)),
        Raw::Str => Tok::Str(unescape(strip_quotes(slice, 1, 1), span, out)),
        Raw::UnterminatedStr => {
            out.diagnostics.push(unterminated(span, "string literal"));
            Tok::Str(unescape(strip_quotes(slice, 1, 0), span, out))
        }
        Raw::ByteStr => Tok::ByteStr(unescape(strip_quotes(slice, 2, 1), span, out).into_bytes()),
        Raw::UnterminatedByteStr => {
            out.diagnostics.push(unterminated(span, "byte string literal"));
            Tok::ByteStr(unescape(strip_quotes(slice, 2, 0), span, out).into_bytes())
        }
        Raw::DocComment => return comment(out, span, CommentKind::Doc, slice),
        Raw::LineComment => return comment(out, span, CommentKind::Line, slice),
        Raw::BlockComment => return comment(out, span, CommentKind::Block, slice),
        Raw::UnterminatedComment => {
            out.diagnostics.push(unterminated(span, "block comment"));
            return comment(out, span, CommentKind::Block, slice);
        }
        Raw::LParen => Tok::LParen,
        Raw::RParen => Tok::RParen,
        Raw::LBrace => Tok::LBrace,
        Raw::RBrace => Tok::RBrace,
        Raw::LBracket => Tok::LBracket,
        Raw::RBracket => Tok::RBracket,
        Raw::Comma => Tok::Comma,
        Raw::Semi => Tok::Semi,
        Raw::Colon => Tok::Colon,
        Raw::ColonColon => Tok::ColonColon,
        Raw::Dot => Tok::Dot,
        Raw::DotDot => Tok::DotDot,
        Raw::Arrow => Tok::Arrow,
        Raw::FatArrow => Tok::FatArrow,
        Raw::Eq => Tok::Eq,
        Raw::EqEq => Tok::EqEq,
        Raw::NotEq => Tok::NotEq,
        Raw::Lt => Tok::Lt,
        Raw::Le => Tok::Le,
        Raw::Gt => Tok::Gt,
        Raw::Ge => Tok::Ge,
        Raw::Plus => Tok::Plus,
        Raw::Minus => Tok::Minus,
        Raw::Star => Tok::Star,
        Raw::Slash => Tok::Slash,
        Raw::Percent => Tok::Percent,
        Raw::Bang => Tok::Bang,
        Raw::AndAnd => Tok::AndAnd,
        Raw::OrOr => Tok::OrOr,
        Raw::Pipe => Tok::Pipe,
        Raw::PlusEq => Tok::PlusEq,
        Raw::MinusEq => Tok::MinusEq,
    };
    Some(tok)
}

fn comment(out: &mut Lexed, span: Span, kind: CommentKind, slice: &str) -> Option<Tok> {
    // `////` and longer are plain comments, as in Rust.
    let kind = if kind == CommentKind::Doc && slice.starts_with("////") { CommentKind::Line } else { kind };
    out.comments.push(Comment { span, kind, text: slice.to_string() });
    None
}

fn unterminated(span: Span, what: &str) -> Diagnostic {
    let code = if what == "block comment" { Code::UnterminatedComment } else { Code::UnterminatedString };
    Diagnostic::error(code, span, format!("this {what} is never closed"))
}

fn strip_quotes(slice: &str, front: usize, back: usize) -> &str {
    let end = slice.len().saturating_sub(back).max(front);
    slice.get(front..end).unwrap_or("")
}

fn hex_digits(slice: &str, span: Span, out: &mut Lexed) -> String {
    let digits: String = slice.chars().skip(2).filter(|c| *c != '_').collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        out.diagnostics.push(Diagnostic::error(
            Code::InvalidHexLiteral,
            span,
            format!("a hex literal needs a non-zero, even number of digits; this one has {}", digits.len()),
        ));
    }
    digits.to_ascii_lowercase()
}

/// Resolves escapes: `\n \t \r \0 \\ \" \'` and `\u{XXXX}`.
fn unescape(body: &str, span: Span, out: &mut Lexed) -> String {
    let mut result = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            result.push(c);
            continue;
        }
        let escaped = match chars.next() {
            Some('n') => Some('\n'),
            Some('t') => Some('\t'),
            Some('r') => Some('\r'),
            Some('0') => Some('\0'),
            Some('\\') => Some('\\'),
            Some('"') => Some('"'),
            Some('\'') => Some('\''),
            Some('u') => unicode_escape(&mut chars),
            _ => None,
        };
        match escaped {
            Some(ch) => result.push(ch),
            None => out.diagnostics.push(Diagnostic::error(
                Code::InvalidEscape,
                span,
                "unknown escape sequence; use one of \\n \\t \\r \\0 \\\\ \\\" \\u{...}".to_string(),
            )),
        }
    }
    result
}

fn unicode_escape(chars: &mut std::str::Chars<'_>) -> Option<char> {
    if chars.next() != Some('{') {
        return None;
    }
    let mut digits = String::new();
    for c in chars.by_ref() {
        if c == '}' {
            return u32::from_str_radix(&digits, 16).ok().and_then(char::from_u32);
        }
        if digits.len() >= 6 {
            return None;
        }
        digits.push(c);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(FileId(0), src).tokens.into_iter().map(|(_, t, _)| t).collect()
    }

    // Integer ranges must not be swallowed by the decimal pattern.
    #[test]
    fn range_after_integer_is_two_tokens() {
        assert_eq!(kinds("0..10"), vec![Tok::Int("0".into()), Tok::DotDot, Tok::Int("10".into())]);
        assert_eq!(
            kinds("0.00..1_000.5"),
            vec![Tok::Decimal("0.00".into()), Tok::DotDot, Tok::Decimal("1000.5".into())]
        );
    }

    // Nested block comments close only at the matching `*/`.
    #[test]
    fn nested_block_comments() {
        let lexed = lex(FileId(0), "/* a /* b */ c */ x");
        assert_eq!(lexed.tokens.len(), 1);
        assert_eq!(lexed.comments.len(), 1);
        assert!(lexed.diagnostics.is_empty());
        let lexed = lex(FileId(0), "/* a /* b */ c");
        let codes: Vec<Code> = lexed.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![Code::UnterminatedComment]);
        // Ending in `*/` is not enough when an outer comment is still open.
        let lexed = lex(FileId(0), "/* a /* b */");
        let codes: Vec<Code> = lexed.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![Code::UnterminatedComment]);
    }

    // Keywords, doc comments and escapes are recognised as such.
    #[test]
    fn keywords_doc_and_escapes() {
        let lexed = lex(FileId(0), "/// doc\nfn from \"a\\n\\u{41}\" b\"x\"");
        assert_eq!(lexed.comments[0].kind, CommentKind::Doc);
        let toks: Vec<Tok> = lexed.tokens.into_iter().map(|(_, t, _)| t).collect();
        assert_eq!(toks, vec![Tok::Fn, Tok::From, Tok::Str("a\nA".into()), Tok::ByteStr(b"x".to_vec())]);
    }
}
