//! Parsing: tokens to a syntax tree, recovering from errors.
//!
//! Invariant: `parse` always returns a tree (possibly with `Error` nodes)
//! and never recurses on the input's nesting: the generated LR parser keeps
//! its stack on the heap, and nodes deeper than `NESTING_DEPTH_MAX` are
//! refused as they are built, so later recursive passes are safe.

use lalrpop_util::{ErrorRecovery, ParseError};

use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::lexer::{Comment, CommentKind, Tok, lex};
use crate::limits::{CHAIN_OPERANDS_MAX, DIAGNOSTICS_PER_FILE_MAX, NESTING_DEPTH_MAX, SOURCE_BYTES_MAX};
use crate::span::{FileId, Span};

#[allow(
    clippy::all,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::pedantic,
    unused_qualifications,
    missing_debug_implementations
)]
mod grammar {
    include!(concat!(env!("OUT_DIR"), "/grammar.rs"));
}

/// Why the generated parser stopped without recovering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseFail {
    /// A node nested deeper than `NESTING_DEPTH_MAX`.
    TooDeep(Span),
    TooLong(Span),
    /// The second comparison of `a < b < c` (or `a == b == c`).
    ChainedComparison(Span),
}

type PResult<T> = Result<T, ParseError<u32, Tok, ParseFail>>;

/// What parsing one file produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub tree: SourceFile,
    /// Every comment, in source order, for the formatter.
    pub comments: Vec<Comment>,
    pub diagnostics: Vec<Diagnostic>,
    /// How many node ids the tree uses (`0..nodes`).
    pub nodes: u32,
}

pub fn sp(file: FileId, l: u32, r: u32) -> Span {
    Span { file, lo: l, hi: r.max(l) }
}

/// Builds an expression node, refusing it when it nests too deep.
pub fn ex(file: FileId, ids: &NodeIds, l: u32, r: u32, kind: ExprKind) -> PResult<Expr> {
    let expr = Expr::new(kind, sp(file, l, r), ids.next());
    if expr.depth > NESTING_DEPTH_MAX {
        return Err(ParseError::User { error: ParseFail::TooDeep(expr.span) });
    }
    if expr.chain > CHAIN_OPERANDS_MAX {
        return Err(ParseError::User { error: ParseFail::TooLong(expr.span) });
    }
    Ok(expr)
}

pub fn ty(t: TypeExpr) -> PResult<TypeExpr> {
    if t.depth() > NESTING_DEPTH_MAX {
        return Err(ParseError::User { error: ParseFail::TooDeep(t.span) });
    }
    Ok(t)
}

pub fn blk(b: Block) -> PResult<Block> {
    if b.depth > NESTING_DEPTH_MAX {
        return Err(ParseError::User { error: ParseFail::TooDeep(b.span) });
    }
    Ok(b)
}

/// One link of a flat operator chain: where the operator is, which it is,
/// and the operand after it.
pub type ChainLink = (u32, BinOp, u32, Expr);

/// Folds `first op operand op operand …` into a tree by precedence, every
/// level left-associative, as an operator-precedence parser would. The
/// comparison levels do not associate: `a < b < c` is reported at its
/// second operator (a recovered error, so parsing goes on) and the chain
/// becomes an error node, so checking adds nothing to the report.
pub fn chain(
    file: FileId,
    ids: &NodeIds,
    errors: &mut Vec<ErrorRecovery<u32, Tok, ParseFail>>,
    first: Expr,
    rest: Vec<ChainLink>,
) -> PResult<Expr> {
    let mut operands: Vec<Expr> = Vec::with_capacity(rest.len() + 1);
    let mut operators: Vec<BinOp> = Vec::with_capacity(rest.len());
    operands.push(first);
    let mut chained = false;
    for (op_lo, op, op_hi, operand) in rest {
        while let Some(&top) = operators.last() {
            if top.precedence() < op.precedence() {
                break;
            }
            if top.precedence() == op.precedence() && op.is_comparison() && !chained {
                chained = true;
                let error = ParseFail::ChainedComparison(sp(file, op_lo, op_hi));
                errors.push(ErrorRecovery { error: ParseError::User { error }, dropped_tokens: Vec::new() });
            }
            fold_top(file, ids, &mut operands, &mut operators)?;
        }
        operators.push(op);
        operands.push(operand);
    }
    while !operators.is_empty() {
        fold_top(file, ids, &mut operands, &mut operators)?;
    }
    let Some(folded) = operands.pop() else {
        // Unreachable: the chain started with one operand and each fold
        // turns two into one.
        return Err(ParseError::User { error: ParseFail::TooLong(Span::default()) });
    };
    if chained {
        return Ok(Expr::error(folded.span, ids.next()));
    }
    Ok(folded)
}

/// Replaces the last two operands with the last operator applied to them.
fn fold_top(
    file: FileId,
    ids: &NodeIds,
    operands: &mut Vec<Expr>,
    operators: &mut Vec<BinOp>,
) -> PResult<()> {
    let (Some(op), Some(rhs), Some(lhs)) = (operators.pop(), operands.pop(), operands.pop()) else {
        return Ok(());
    };
    let (lo, hi) = (lhs.span.lo, rhs.span.hi);
    operands.push(ex(file, ids, lo, hi, ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) })?);
    Ok(())
}

pub fn path_of(segments: Vec<Ident>) -> Path {
    let span = match (segments.first(), segments.last()) {
        (Some(first), Some(last)) => first.span.to(last.span),
        _ => Span::default(),
    };
    Path { segments, span }
}

/// The values of a list of boxed nonterminals (the grammar boxes values
/// larger than an expression to keep its parser's stack entries small).
pub fn unbox<T>(boxed: Vec<Box<T>>) -> Vec<T> {
    boxed.into_iter().map(|value| *value).collect()
}

/// Parses one source file.
pub fn parse(file: FileId, source: &str) -> Parsed {
    parse_numbered(file, source, 0)
}

/// Parses `source` as a whole file, numbering its nodes from `first_id`
/// (re-parsing one item of a larger file gives its nodes the ids a parse
/// of the whole file would). `Parsed::nodes` is then the id after the last.
pub(crate) fn parse_numbered(file: FileId, source: &str, first_id: u32) -> Parsed {
    let empty = SourceFile { items: Vec::new(), span: Span::new(file, 0, 0) };
    if source.len() > SOURCE_BYTES_MAX {
        let diagnostic = Diagnostic::error(
            Code::SourceTooLarge,
            Span::new(file, 0, 0),
            format!(
                "the file is {} bytes; the compiler accepts at most {SOURCE_BYTES_MAX} bytes",
                source.len()
            ),
        );
        return Parsed { tree: empty, comments: Vec::new(), diagnostics: vec![diagnostic], nodes: first_id };
    }
    let lexed = lex(file, source);
    let mut diagnostics = lexed.diagnostics;
    if let Some(span) = too_deep_brackets(file, &lexed.tokens) {
        diagnostics.push(too_deep(span));
        truncate(&mut diagnostics, file);
        return Parsed { tree: empty, comments: lexed.comments, diagnostics, nodes: first_id };
    }
    let end = u32::try_from(source.len()).unwrap_or(u32::MAX);
    let mut recovered: Vec<ErrorRecovery<u32, Tok, ParseFail>> = Vec::new();
    let tokens = lexed.tokens.into_iter().map(Ok::<_, ParseFail>);
    let ids = NodeIds::starting_at(first_id);
    let result = grammar::SourceFileParser::new().parse(file, &ids, &mut recovered, tokens);
    let mut parse_errors: Vec<Diagnostic> =
        recovered.into_iter().map(|r| convert_error(file, end, r.error)).collect();
    let mut tree = match result {
        Ok(tree) => tree,
        Err(error) => {
            parse_errors.push(convert_error(file, end, error));
            empty
        }
    };
    diagnostics.extend(one_per_line(source, parse_errors));
    attach_docs(source, &lexed.comments, &mut tree);
    truncate(&mut diagnostics, file);
    Parsed { tree, comments: lexed.comments, diagnostics, nodes: ids.count() }
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::NestingTooDeep,
        span,
        format!("this is nested more than {NESTING_DEPTH_MAX} levels deep"),
    )
    .with_note("split the expression with `let` bindings or helper functions")
}

/// Finds the first bracket that opens more than `NESTING_DEPTH_MAX` levels
/// deep; this bounds blocks, patterns and tuple types before parsing.
fn too_deep_brackets(file: FileId, tokens: &[(u32, Tok, u32)]) -> Option<Span> {
    let mut depth = 0u32;
    for (lo, tok, hi) in tokens {
        match tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace => {
                depth += 1;
                if depth > NESTING_DEPTH_MAX {
                    return Some(Span::new(file, *lo as usize, *hi as usize));
                }
            }
            Tok::RParen | Tok::RBracket | Tok::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn convert_error(file: FileId, end: u32, error: ParseError<u32, Tok, ParseFail>) -> Diagnostic {
    match error {
        ParseError::UnrecognizedEof { location, expected } => Diagnostic::error(
            Code::UnexpectedEof,
            sp(file, location.min(end), end),
            format!("the file ended early; expected {}", describe_expected(&expected)),
        ),
        ParseError::UnrecognizedToken { token: (l, tok, r), expected } => Diagnostic::error(
            Code::UnexpectedToken,
            sp(file, l, r),
            format!("expected {}, found {}", describe_expected(&expected), tok.describe()),
        ),
        ParseError::ExtraToken { token: (l, tok, r) } => Diagnostic::error(
            Code::UnexpectedToken,
            sp(file, l, r),
            format!("{} cannot appear here", tok.describe()),
        ),
        ParseError::InvalidToken { location } => Diagnostic::error(
            Code::UnexpectedCharacter,
            sp(file, location, location.saturating_add(1).min(end)),
            "this character cannot start a token".to_string(),
        ),
        ParseError::User { error: ParseFail::TooDeep(span) } => too_deep(span),
        ParseError::User { error: ParseFail::TooLong(span) } => Diagnostic::error(
            Code::ChainTooLong,
            span,
            format!("this operator chain has more than {CHAIN_OPERANDS_MAX} operands"),
        )
        .with_note("add it up in parts with `let` bindings"),
        ParseError::User { error: ParseFail::ChainedComparison(span) } => {
            Diagnostic::error(Code::UnexpectedToken, span, "comparisons cannot be chained".to_string())
                .with_note("write `a < b && b < c`, or add parentheses to compare the result")
        }
    }
}

/// Turns the generator's list of expected terminals into a short phrase.
fn describe_expected(expected: &[String]) -> String {
    let mut names: Vec<&str> = expected.iter().map(|e| e.trim_matches('"')).collect();
    // `from` is also a name; listing it beside "a name" only confuses.
    if names.contains(&"identifier") {
        names.retain(|n| *n != "from");
    }
    let expression_start = names.contains(&"integer");
    let mut parts: Vec<String> = Vec::new();
    if names.len() <= 4 {
        for name in &names {
            parts.push(terminal_phrase(name));
        }
    } else {
        for key in [";", ")", "}", "]", ",", "{", "=", "=>", ":", "->"] {
            if names.contains(&key) {
                parts.push(format!("`{key}`"));
            }
        }
        parts.truncate(3);
        if expression_start {
            parts.push("an expression".to_string());
        } else if names.contains(&"identifier") {
            parts.push("a name".to_string());
        } else if names.contains(&"fn") {
            parts.push("an item".to_string());
        }
    }
    match parts.len() {
        0 => "something else".to_string(),
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} or {last}", parts.join(", "))
        }
    }
}

fn terminal_phrase(name: &str) -> String {
    match name {
        "identifier" => "a name".to_string(),
        "integer" | "decimal" | "hex" => "a number".to_string(),
        "string" => "a string".to_string(),
        "byte string" => "a byte string".to_string(),
        other => format!("`{other}`"),
    }
}

/// Keeps the first parse error on each line: after one error the parser
/// resynchronises, and the tokens it skips would only repeat the report.
fn one_per_line(source: &str, errors: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen_lines = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for error in errors {
        let line = crate::span::line_col(source, error.span.lo).0;
        if seen_lines.insert(line) {
            out.push(error);
        }
    }
    out
}

fn truncate(diagnostics: &mut Vec<Diagnostic>, file: FileId) {
    if diagnostics.len() > DIAGNOSTICS_PER_FILE_MAX {
        diagnostics.truncate(DIAGNOSTICS_PER_FILE_MAX);
        diagnostics.push(Diagnostic::error(
            Code::TooManyErrors,
            Span::new(file, 0, 0),
            format!("stopped after {DIAGNOSTICS_PER_FILE_MAX} errors in this file"),
        ));
    }
}

/// Gives each item and contract member the `///` comments right above it.
fn attach_docs(source: &str, comments: &[Comment], tree: &mut SourceFile) {
    for item in &mut tree.items {
        item.doc = doc_before(source, comments, item.span.lo);
        if let ItemKind::Contract(contract) = &mut item.kind {
            for member in &mut contract.members {
                member.doc = doc_before(source, comments, member.span.lo);
            }
        }
    }
}

/// The doc comment block that ends just before `offset`, separated from it
/// (and line from line) by a single line break: an empty line detaches a
/// doc comment from what follows.
pub fn doc_before(source: &str, comments: &[Comment], offset: u32) -> Option<String> {
    let mut index = comments.partition_point(|c| c.span.hi <= offset);
    let mut next_lo = offset;
    let mut lines = Vec::new();
    while index > 0 {
        index -= 1;
        let comment = comments.get(index)?;
        let between = source.get(comment.span.hi as usize..next_lo as usize)?;
        if comment.kind != CommentKind::Doc || !between.trim().is_empty() || between.matches('\n').count() > 1
        {
            break;
        }
        let text = comment.text.strip_prefix("///").unwrap_or(&comment.text);
        lines.push(text.strip_prefix(' ').unwrap_or(text).to_string());
        next_lo = comment.span.lo;
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(src: &str) -> Vec<String> {
        parse(FileId(0), src)
            .diagnostics
            .iter()
            .map(|d| format!("{} {}..{} {}", d.code.as_str(), d.span.lo, d.span.hi, d.message))
            .collect()
    }

    // The draft's evidence locker example parses without a diagnostic.
    #[test]
    fn evidence_example_parses() {
        let src = include_str!("../tests/data/check/ok/evidence_locker.writ");
        assert_eq!(errors(src), Vec::<String>::new());
    }

    // One broken statement per function still lets the rest be parsed.
    #[test]
    fn recovers_per_statement() {
        let src = "fn a() { let x = ; let y = 1; }\nfn b() { y = = 2; }\nfn c() -> u64 { return 1; }";
        let parsed = parse(FileId(0), src);
        assert_eq!(parsed.diagnostics.len(), 2, "{:?}", parsed.diagnostics);
        assert_eq!(parsed.tree.items.len(), 3);
    }

    // 10 000 levels of nesting are refused with a diagnostic, not a crash.
    #[test]
    fn deep_nesting_is_refused() {
        for src in [
            format!("fn f() {{ let x = {}1{}; }}", "(".repeat(10_000), ")".repeat(10_000)),
            format!("fn f() {{ let x = {}1; }}", "-".repeat(10_000)),
            format!("fn f() {{ let x: {}u8{} = 1; }}", "List<".repeat(10_000), ">".repeat(10_000)),
        ] {
            let parsed = parse(FileId(0), &src);
            assert!(parsed.diagnostics.iter().any(|d| d.code == Code::NestingTooDeep));
        }
    }

    // A flat chain of one precedence level nests nothing: 4 096 operands
    // parse, one more is refused as too long (E1006), not as too deep; a
    // chain of mixed levels still counts its real nesting.
    #[test]
    fn flat_chains_are_not_nesting() {
        let chain = |n: usize| format!("fn f() -> u64 {{ return 1{}; }}", " + 1".repeat(n - 1));
        assert_eq!(errors(&chain(4096)), Vec::<String>::new());
        let codes: Vec<Code> = parse(FileId(0), &chain(4097)).diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![Code::ChainTooLong]);
        let parsed = parse(FileId(0), "fn f() -> u64 { return 1 + 2 * 3 - 4; }");
        let Some(crate::ast::ItemKind::Fn(f)) = parsed.tree.items.first().map(|i| &i.kind) else {
            panic!("no function")
        };
        let Some(crate::ast::StmtKind::Expr { expr, .. }) = f.body.stmts.first().map(|s| &s.kind) else {
            panic!("no statement")
        };
        let crate::ast::ExprKind::Return(Some(sum)) = &expr.kind else { panic!("no return") };
        assert_eq!((sum.depth, sum.chain), (3, 3), "`1 + 2 * 3 - 4`: the product nests one level");
    }

    const OPS: [(&str, BinOp); 13] = [
        ("||", BinOp::Or),
        ("&&", BinOp::And),
        ("==", BinOp::Eq),
        ("!=", BinOp::Ne),
        ("<", BinOp::Lt),
        ("<=", BinOp::Le),
        (">", BinOp::Gt),
        (">=", BinOp::Ge),
        ("+", BinOp::Add),
        ("-", BinOp::Sub),
        ("*", BinOp::Mul),
        ("/", BinOp::Div),
        ("%", BinOp::Rem),
    ];

    /// The model: one recursive function per precedence level, the shape
    /// of the grammar the flat chain replaced. Returns the fully
    /// parenthesised text, or `None` when two comparisons of one level
    /// follow each other.
    fn model(operands: &[String], ops: &[usize], level: u8, at: &mut usize) -> Option<String> {
        if level > 6 {
            let operand = operands.get(*at).cloned().unwrap_or_default();
            return Some(operand);
        }
        let mut left = model(operands, ops, level + 1, at)?;
        let mut joined = 0;
        while let Some(&op) = ops.get(*at) {
            let (text, kind) = OPS[op];
            if kind.precedence() != level {
                break;
            }
            if kind.is_comparison() && joined == 1 {
                return None;
            }
            *at += 1;
            let right = model(operands, ops, level + 1, at)?;
            left = format!("({left} {text} {right})");
            joined += 1;
        }
        Some(left)
    }

    fn parenthesised(expr: &Expr, src: &str) -> String {
        match &expr.kind {
            ExprKind::Binary { op, lhs, rhs } => {
                let text = OPS.iter().find(|(_, kind)| kind == op).map_or("?", |(text, _)| text);
                format!("({} {text} {})", parenthesised(lhs, src), parenthesised(rhs, src))
            }
            ExprKind::Error => "<error>".to_string(),
            _ => src[expr.span.lo as usize..expr.span.hi as usize].to_string(),
        }
    }

    proptest::proptest! {
        // Any chain of binary operators folds to the tree the per-level
        // grammar gave, and a chained comparison is reported at its second
        // operator, whatever surrounds it.
        #[test]
        fn chains_fold_like_the_per_level_grammar(
            ops in proptest::collection::vec(0..OPS.len(), 1..9),
            unary in proptest::collection::vec(proptest::bool::ANY, 10),
        ) {
            let operands: Vec<String> = (0..=ops.len())
                .map(|i| if unary[i] { format!("-x{i}") } else { format!("x{i}.f(1) as u64") })
                .collect();
            let mut text = operands[0].clone();
            for (i, &op) in ops.iter().enumerate() {
                text.push_str(&format!(" {} {}", OPS[op].0, operands[i + 1]));
            }
            let src = format!("fn f() {{ let _v = {text}; }}");
            let parsed = parse(FileId(0), &src);
            let Some(crate::ast::ItemKind::Fn(f)) = parsed.tree.items.first().map(|i| &i.kind) else {
                panic!("no function in {src}")
            };
            let Some(crate::ast::StmtKind::Let { value, .. }) = f.body.stmts.first().map(|s| &s.kind) else {
                panic!("no let in {src}")
            };
            let expected = model(&operands, &ops, 1, &mut 0);
            match expected {
                Some(expected) => {
                    proptest::prop_assert!(parsed.diagnostics.is_empty(), "{src}: {:?}", parsed.diagnostics);
                    proptest::prop_assert_eq!(parenthesised(value, &src), expected);
                }
                None => {
                    proptest::prop_assert_eq!(parenthesised(value, &src), "<error>");
                    let messages: Vec<&str> = parsed.diagnostics.iter().map(|d| d.message.as_str()).collect();
                    proptest::prop_assert_eq!(messages, vec!["comparisons cannot be chained"]);
                }
            }
        }
    }
}
