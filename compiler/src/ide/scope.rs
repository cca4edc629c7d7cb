//! Where the cursor is: the tokens around it, the enclosing contract, the
//! locals in scope, and the type of the value before a `.`. Shared by
//! completion and signature help, which must work on half-typed code, so
//! everything here falls back on the tokens when the tree lacks a node.

use crate::analysis::{Analysis, FileData};
use crate::ast::{ItemKind, MemberKind, StmtKind};
use crate::lexer::{self, CommentKind, Tok};
use crate::span::Span;
use crate::types::{ContractId, Def, FnId, FnInfo, IntTy, LocalId, Ty};
use crate::walk::{Node, walk_file};

/// A token with its byte range, as the lexer returns it.
pub type Token = (u32, Tok, u32);

/// The tokens of a file (comments left out).
pub fn tokens(file: &FileData) -> Vec<Token> {
    lexer::lex(file.id, &file.text).tokens
}

/// The index of the last token ending at or before `offset`.
pub fn token_before(tokens: &[Token], offset: u32) -> Option<usize> {
    tokens.partition_point(|t| t.2 <= offset).checked_sub(1)
}

/// Whether `offset` is inside a comment or a string, where no name completes.
pub fn in_comment_or_string(file: &FileData, tokens: &[Token], offset: u32) -> bool {
    // A line comment runs to the end of its line, so its end is inside it;
    // right after a closed `*/` is not.
    let in_comment = file.parsed.comments.iter().any(|c| {
        c.span.lo < offset && (offset < c.span.hi || (offset == c.span.hi && c.kind != CommentKind::Block))
    });
    let in_string = tokens
        .iter()
        .any(|(lo, tok, hi)| matches!(tok, Tok::Str(_) | Tok::ByteStr(_)) && *lo < offset && offset < *hi);
    in_comment || in_string || unterminated_string_before(&file.text, offset)
}

/// Whether the line before `offset` holds an unclosed `"` (a string being typed).
fn unterminated_string_before(text: &str, offset: u32) -> bool {
    let before = text.get(..offset as usize).unwrap_or("");
    let line = before.rsplit('\n').next().unwrap_or("");
    if line.trim_start().starts_with("//") {
        return false;
    }
    let mut open = false;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if open && !escaped => escaped = true,
            '"' if !escaped => open = !open,
            _ => escaped = false,
        }
    }
    open
}

/// The contract whose body contains `offset`.
pub fn enclosing_contract(analysis: &Analysis, file: &FileData, offset: u32) -> Option<ContractId> {
    let tables = analysis.tables();
    let in_file = |name: &str| {
        tables
            .contracts
            .iter()
            .position(|c| c.name == name && c.span.file == file.id)
            .map(|i| i as ContractId)
    };
    let items = &file.parsed.tree.items;
    if let Some(name) = items.iter().find_map(|item| match &item.kind {
        ItemKind::Contract(def) if item.span.lo <= offset && offset <= item.span.hi => Some(&def.name.name),
        _ => None,
    }) {
        return in_file(name);
    }
    // The contract may have failed to parse as a whole (an unclosed brace
    // while typing): take the last one declared above, unless another
    // item starts between it and the cursor.
    let (id, contract) = tables
        .contracts
        .iter()
        .enumerate()
        .filter(|(_, c)| c.span.file == file.id && c.span.lo <= offset)
        .max_by_key(|(_, c)| c.span.lo)?;
    let interrupted = items.iter().any(|item| {
        !matches!(item.kind, ItemKind::Error)
            && item.span.lo > contract.span.hi
            && item.span.lo <= offset
            && !item.span.contains(contract.span.lo)
    });
    (!interrupted).then_some(id as ContractId)
}

/// The spans that bound the visibility of locals: bodies, blocks, `for`
/// loops and match arms.
fn scope_spans(file: &FileData) -> Vec<Span> {
    let mut spans = Vec::new();
    walk_file(&file.parsed.tree, &mut |node| match node {
        Node::Item(item)
            if matches!(item.kind, ItemKind::Fn(_) | ItemKind::Test(_) | ItemKind::Property(_)) =>
        {
            spans.push(item.span)
        }
        Node::Member(member) if matches!(member.kind, MemberKind::Fn(_)) => spans.push(member.span),
        Node::Block(block) => spans.push(block.span),
        Node::Stmt(stmt) if matches!(stmt.kind, StmtKind::For { .. }) => spans.push(stmt.span),
        Node::Arm(arm) => spans.push(arm.span),
        _ => {}
    });
    spans
}

/// The locals visible at `offset`, one per name (the innermost binding wins).
pub fn visible_locals(analysis: &Analysis, file: &FileData, offset: u32) -> Vec<LocalId> {
    let scopes = scope_spans(file);
    let mut visible: Vec<(LocalId, Span, &str)> = Vec::new();
    for (id, local) in analysis.tables().locals.iter().enumerate() {
        if local.span.file != file.id || local.span.hi > offset || local.name == "_" {
            continue;
        }
        let scope =
            scopes.iter().filter(|s| s.lo <= local.span.lo && local.span.hi <= s.hi).min_by_key(|s| s.len());
        if scope.is_some_and(|s| s.contains(offset)) {
            visible.push((id as LocalId, local.span, local.name.as_str()));
        }
    }
    visible.sort_by_key(|(_, span, _)| std::cmp::Reverse(span.lo));
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for (id, _, name) in visible {
        if !seen.contains(&name) {
            seen.push(name);
            out.push(id);
        }
    }
    out
}

/// What a `.` is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receiver {
    /// `self` inside a contract: storage and the contract's functions.
    Contract(ContractId),
    Value(Ty),
}

/// One step of a receiver chain such as `self.returns[k].status`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Field(String),
    Call,
    Index,
}

/// The receiver of the `.` token at `dot`: from the checker's recorded
/// types when the expression was checked, else by following the tokens.
pub fn receiver_of_dot(
    analysis: &Analysis,
    file: &FileData,
    tokens: &[Token],
    dot: usize,
) -> Option<Receiver> {
    let before = dot.checked_sub(1).and_then(|i| tokens.get(i))?;
    let offset = tokens.get(dot).map_or(0, |t| t.0);
    if matches!(before.1, Tok::SelfKw) && !is_dot(tokens, dot.wrapping_sub(2)) {
        return enclosing_contract(analysis, file, offset).map(Receiver::Contract);
    }
    if let Some(ty) = recorded_type_ending_at(analysis, file, before.2) {
        return Some(Receiver::Value(ty));
    }
    let (root, steps) = chain_before(tokens, dot)?;
    resolve_chain(analysis, file, offset, root, &steps)
}

fn is_dot(tokens: &[Token], i: usize) -> bool {
    tokens.get(i).is_some_and(|t| t.1 == Tok::Dot)
}

/// The type of the outermost checked expression ending at `end`.
fn recorded_type_ending_at(analysis: &Analysis, file: &FileData, end: u32) -> Option<Ty> {
    analysis
        .named_exprs(file.id)
        .into_iter()
        .filter(|(e, ty)| e.span.hi == end && !ty.is_error())
        .max_by_key(|(e, _)| e.span.len())
        .map(|(_, ty)| ty.clone())
}

/// The chain before the `.` at `dot`, read backwards: its root token and
/// the steps after it, in source order.
fn chain_before(tokens: &[Token], dot: usize) -> Option<(Tok, Vec<Step>)> {
    let mut steps = Vec::new();
    let mut i = dot.checked_sub(1)?;
    loop {
        let tok = &tokens.get(i)?.1;
        match tok {
            Tok::RParen | Tok::RBracket => {
                let open = matching_open(tokens, i)?;
                steps.push(if *tok == Tok::RParen { Step::Call } else { Step::Index });
                i = open.checked_sub(1)?;
            }
            Tok::Ident(_) | Tok::From => {
                let name = ident_text(tok);
                if is_dot(tokens, i.wrapping_sub(1)) {
                    steps.push(Step::Field(name));
                    i = i.checked_sub(2)?;
                } else {
                    steps.reverse();
                    return Some((tok.clone(), steps));
                }
            }
            Tok::SelfKw => {
                steps.reverse();
                return Some((Tok::SelfKw, steps));
            }
            _ => return None,
        }
    }
}

/// The name an identifier-like token spells.
pub fn ident_text(tok: &Tok) -> String {
    match tok {
        Tok::Ident(name) => name.clone(),
        other => other.text().to_string(),
    }
}

/// The index of the bracket that opens the one closed at `close`.
pub fn matching_open(tokens: &[Token], close: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = close;
    loop {
        match tokens.get(i)?.1 {
            Tok::RParen | Tok::RBracket | Tok::RBrace => depth += 1,
            Tok::LParen | Tok::LBracket | Tok::LBrace => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i = i.checked_sub(1)?;
    }
}

fn resolve_chain(
    analysis: &Analysis,
    file: &FileData,
    offset: u32,
    root: Tok,
    steps: &[Step],
) -> Option<Receiver> {
    let tables = analysis.tables();
    let mut steps = steps.iter().peekable();
    let mut current = match root {
        Tok::SelfKw => Receiver::Contract(enclosing_contract(analysis, file, offset)?),
        tok => {
            let name = ident_text(&tok);
            if steps.peek() == Some(&&Step::Call) {
                steps.next();
                let id = function_named(analysis, file, None, &name)?;
                Receiver::Value(tables.fn_info(id)?.ret.clone())
            } else {
                Receiver::Value(value_named(analysis, file, offset, &name)?)
            }
        }
    };
    while let Some(step) = steps.next() {
        let is_call = matches!(step, Step::Field(_)) && steps.peek() == Some(&&Step::Call);
        if is_call {
            steps.next();
        }
        current = match (step, current) {
            (Step::Field(name), Receiver::Contract(cid)) if is_call => {
                let id = function_named(analysis, file, Some(cid), name)?;
                Receiver::Value(tables.fn_info(id)?.ret.clone())
            }
            (Step::Field(name), Receiver::Contract(cid)) => {
                let contract = tables.contract(cid)?;
                Receiver::Value(contract.storage.iter().find(|f| &f.name == name)?.ty.clone())
            }
            (Step::Field(name), Receiver::Value(ty)) if is_call => {
                Receiver::Value(method_result(analysis, &ty, name)?)
            }
            (Step::Field(name), Receiver::Value(Ty::Struct(sid))) => {
                Receiver::Value(tables.struct_info(sid)?.fields.iter().find(|f| &f.name == name)?.ty.clone())
            }
            (Step::Index, Receiver::Value(Ty::List(inner))) => Receiver::Value(*inner),
            (Step::Index, Receiver::Value(Ty::Map(_, value))) => Receiver::Value(*value),
            _ => return None,
        };
    }
    Some(current)
}

/// The type of a local, constant or parameter named `name` at `offset`.
fn value_named(analysis: &Analysis, file: &FileData, offset: u32, name: &str) -> Option<Ty> {
    let tables = analysis.tables();
    if let Some(id) = visible_locals(analysis, file, offset)
        .into_iter()
        .find(|id| tables.local(*id).is_some_and(|l| l.name == name))
    {
        return tables.local(id).map(|l| l.ty.clone());
    }
    tables.consts.iter().find(|c| c.name == name && c.span.file == file.id).map(|c| c.ty.clone())
}

/// A function called `name`: in the contract when given, else a top-level
/// one, preferring this file's over the library's.
pub fn function_named(
    analysis: &Analysis,
    file: &FileData,
    contract: Option<ContractId>,
    name: &str,
) -> Option<FnId> {
    let fns = &analysis.tables().fns;
    let matching = |f: &&FnInfo| f.name == name && f.contract == contract;
    let position = fns
        .iter()
        .position(|f| matching(&f) && f.span.file == file.id)
        .or_else(|| fns.iter().position(|f| matching(&f)))?;
    Some(position as FnId)
}

/// The result of calling method `name` on a value of type `ty`; mirrors
/// the checker's method table.
fn method_result(analysis: &Analysis, ty: &Ty, name: &str) -> Option<Ty> {
    let u32_ty = Ty::Int(IntTy::U32);
    let u64_ty = Ty::Int(IntTy::U64);
    let out = match (ty, name) {
        (Ty::Decimal, "round" | "trunc" | "floor" | "ceil" | "abs") => Ty::Decimal,
        (Ty::String | Ty::Bytes | Ty::List(_) | Ty::Map(..), "len") => u64_ty,
        (Ty::String | Ty::Hash, "as_bytes") => Ty::Bytes,
        (Ty::Option(_), "is_some" | "is_none") | (Ty::Map(..), "contains") => Ty::Bool,
        (Ty::Option(inner), "unwrap" | "unwrap_or") => (**inner).clone(),
        (Ty::Map(_, value), "get") => Ty::Option(value.clone()),
        (Ty::Timestamp, "date") | (Ty::Date, "add_days") => Ty::Date,
        (Ty::Date, "year" | "month" | "day") => u32_ty,
        (Ty::Handle(cid), "from" | "signed_by") => Ty::Handle(*cid),
        (Ty::Handle(_), "has_role") => Ty::Bool,
        (Ty::Handle(_) | Ty::Ref(_), "address") => Ty::Address,
        (Ty::Handle(cid) | Ty::Ref(cid), method) => {
            let contract = analysis.tables().contract(*cid)?;
            let id = contract
                .fns
                .iter()
                .copied()
                .find(|f| analysis.tables().fn_info(*f).is_some_and(|info| info.name == method))?;
            analysis.tables().fn_info(id)?.ret.clone()
        }
        _ => return None,
    };
    Some(out)
}

/// What a reference's definition is, when it names a function.
pub fn fn_of(def: Def) -> Option<FnId> {
    match def {
        Def::Fn(id) => Some(id),
        _ => None,
    }
}
