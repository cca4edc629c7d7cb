//! Semantic tokens: every token of a file classified for highlighting,
//! names by what the checker resolved them to, the rest by the lexer.
//!
//! Invariant: the tokens are sorted and never overlap.

use std::collections::HashMap;

use crate::analysis::{Analysis, FileData};
use crate::ast::{ItemKind, MemberKind};
use crate::lexer::{CommentKind, Tok};
use crate::span::{FileId, Span};
use crate::types::{Def, Tables};
use crate::walk::{Node, walk_file};

/// The kinds of highlighted tokens; their names follow the LSP's standard
/// token types so the editor colours them without configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Keyword,
    Type,
    Struct,
    Enum,
    EnumMember,
    Class,
    Function,
    Method,
    Variable,
    Parameter,
    Property,
    Event,
    Namespace,
    String,
    Number,
    Comment,
}

impl TokenKind {
    /// Every kind, in the order of their legend index.
    pub const ALL: &'static [TokenKind] = &[
        TokenKind::Keyword,
        TokenKind::Type,
        TokenKind::Struct,
        TokenKind::Enum,
        TokenKind::EnumMember,
        TokenKind::Class,
        TokenKind::Function,
        TokenKind::Method,
        TokenKind::Variable,
        TokenKind::Parameter,
        TokenKind::Property,
        TokenKind::Event,
        TokenKind::Namespace,
        TokenKind::String,
        TokenKind::Number,
        TokenKind::Comment,
    ];

    /// The LSP name of the token type.
    pub fn name(self) -> &'static str {
        match self {
            TokenKind::Keyword => "keyword",
            TokenKind::Type => "type",
            TokenKind::Struct => "struct",
            TokenKind::Enum => "enum",
            TokenKind::EnumMember => "enumMember",
            TokenKind::Class => "class",
            TokenKind::Function => "function",
            TokenKind::Method => "method",
            TokenKind::Variable => "variable",
            TokenKind::Parameter => "parameter",
            TokenKind::Property => "property",
            TokenKind::Event => "event",
            TokenKind::Namespace => "namespace",
            TokenKind::String => "string",
            TokenKind::Number => "number",
            TokenKind::Comment => "comment",
        }
    }

    pub fn index(self) -> u32 {
        TokenKind::ALL.iter().position(|k| *k == self).unwrap_or(0) as u32
    }
}

/// Modifier bits, in the order of [`MODIFIERS`].
pub const DECLARATION: u32 = 1;
pub const READONLY: u32 = 2;
pub const DOCUMENTATION: u32 = 4;
pub const DEFAULT_LIBRARY: u32 = 8;
/// The LSP names of the modifier bits.
pub const MODIFIERS: &[&str] = &["declaration", "readonly", "documentation", "defaultLibrary"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemanticToken {
    pub span: Span,
    pub kind: TokenKind,
    pub modifiers: u32,
}

/// The classified tokens of `file`, in order.
pub fn semantic_tokens(analysis: &Analysis, file: FileId) -> Vec<SemanticToken> {
    let Some(data) = analysis.file(file) else { return Vec::new() };
    let tables = analysis.tables();
    let mut resolved: HashMap<(u32, u32), (Def, bool)> = HashMap::new();
    for r in analysis.references_in(file) {
        resolved.entry((r.span.lo, r.span.hi)).or_insert((r.def, r.is_declaration));
    }
    let params = parameter_spans(data);
    let tokens = super::scope::tokens(data);
    let mut out = Vec::with_capacity(tokens.len());
    for (i, (lo, tok, hi)) in tokens.iter().enumerate() {
        let span = Span { file, lo: *lo, hi: *hi };
        let previous = i.checked_sub(1).and_then(|j| tokens.get(j)).map(|t| &t.1);
        let next = tokens.get(i + 1).map(|t| &t.1);
        let classified = match tok {
            Tok::Ident(name) => classify_name(tables, &resolved, &params, span, name, previous, next),
            // `from` is a keyword only after `deploy C(args)`.
            Tok::From if previous == Some(&Tok::RParen) => Some((TokenKind::Keyword, 0)),
            Tok::From => classify_name(tables, &resolved, &params, span, "from", previous, next),
            Tok::Int(_) | Tok::Decimal(_) | Tok::Hex(_) => Some((TokenKind::Number, 0)),
            Tok::Str(_) | Tok::ByteStr(_) => Some((TokenKind::String, 0)),
            other if other.text().chars().all(|c| c.is_ascii_alphabetic()) => Some((TokenKind::Keyword, 0)),
            _ => None,
        };
        if let Some((kind, modifiers)) = classified {
            out.push(SemanticToken { span, kind, modifiers });
        }
    }
    for comment in &data.parsed.comments {
        let modifiers = if comment.kind == CommentKind::Doc { DOCUMENTATION } else { 0 };
        out.push(SemanticToken { span: comment.span, kind: TokenKind::Comment, modifiers });
    }
    out.sort_by_key(|t| (t.span.lo, t.span.hi));
    let mut end = 0;
    out.retain(|t| {
        let keep = t.span.lo >= end;
        if keep {
            end = t.span.hi;
        }
        keep
    });
    out
}

/// The name spans of function and property parameters.
fn parameter_spans(file: &FileData) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    walk_file(&file.parsed.tree, &mut |node| match node {
        Node::Item(item) => match &item.kind {
            ItemKind::Fn(def) => out.extend(def.params.iter().map(|p| (p.name.span.lo, p.name.span.hi))),
            ItemKind::Property(def) => {
                out.extend(def.params.iter().map(|p| (p.name.span.lo, p.name.span.hi)))
            }
            _ => {}
        },
        Node::Member(member) => {
            if let MemberKind::Fn(def) = &member.kind {
                out.extend(def.params.iter().map(|p| (p.name.span.lo, p.name.span.hi)));
            }
        }
        _ => {}
    });
    out
}

fn classify_name(
    tables: &Tables,
    resolved: &HashMap<(u32, u32), (Def, bool)>,
    params: &[(u32, u32)],
    span: Span,
    name: &str,
    previous: Option<&Tok>,
    next: Option<&Tok>,
) -> Option<(TokenKind, u32)> {
    if let Some((def, is_declaration)) = resolved.get(&(span.lo, span.hi)) {
        let declared = if *is_declaration { DECLARATION } else { 0 };
        let (kind, modifiers) = classify_def(tables, params, *def);
        return Some((kind, modifiers | declared));
    }
    if crate::builtins::type_named(name).is_some() && name != "Rounding" {
        return Some((TokenKind::Type, DEFAULT_LIBRARY));
    }
    match (name, previous, next) {
        ("Rounding", ..) => Some((TokenKind::Enum, DEFAULT_LIBRARY)),
        ("Some" | "None", ..) => Some((TokenKind::EnumMember, DEFAULT_LIBRARY)),
        (_, Some(Tok::ColonColon), _) if name.starts_with(|c: char| c.is_ascii_uppercase()) => {
            Some((TokenKind::EnumMember, 0))
        }
        (_, Some(Tok::Use | Tok::ColonColon), _) | (_, _, Some(Tok::ColonColon)) => {
            Some((TokenKind::Namespace, 0))
        }
        (_, Some(Tok::Dot), Some(Tok::LParen)) => Some((TokenKind::Method, DEFAULT_LIBRARY)),
        (_, Some(Tok::Dot), _) => Some((TokenKind::Property, 0)),
        (_, _, Some(Tok::LParen)) if crate::builtins::function_named(name).is_some() => {
            Some((TokenKind::Function, DEFAULT_LIBRARY))
        }
        _ => None,
    }
}

fn classify_def(tables: &Tables, params: &[(u32, u32)], def: Def) -> (TokenKind, u32) {
    match def {
        Def::Struct(_) => (TokenKind::Struct, 0),
        Def::Field(..) | Def::Storage(..) => (TokenKind::Property, 0),
        Def::Enum(_) => (TokenKind::Enum, 0),
        Def::Variant(..) => (TokenKind::EnumMember, 0),
        Def::Fn(id) => {
            let in_contract = tables.fn_info(id).is_some_and(|f| f.contract.is_some());
            (if in_contract { TokenKind::Method } else { TokenKind::Function }, 0)
        }
        Def::Const(_) => (TokenKind::Variable, READONLY),
        Def::Contract(_) => (TokenKind::Class, 0),
        Def::Role(..) => (TokenKind::EnumMember, READONLY),
        Def::Event(..) => (TokenKind::Event, 0),
        Def::Error(..) => (TokenKind::Type, 0),
        Def::Local(id) => {
            let Some(local) = tables.local(id) else { return (TokenKind::Variable, 0) };
            let kind = if params.contains(&(local.span.lo, local.span.hi)) {
                TokenKind::Parameter
            } else {
                TokenKind::Variable
            };
            (kind, if local.mutable { 0 } else { READONLY })
        }
    }
}
