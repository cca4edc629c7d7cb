//! Completion candidates at a cursor: members after `.`, paths after `::`,
//! events after `emit`, errors after `fail`, roles after `requires`,
//! contracts after `deploy`, and otherwise the locals in scope, the file's
//! items, imported and library names, roles, built-ins and keywords.
//!
//! Invariant: works on half-typed code. The context comes from the tokens
//! before the cursor; types come from the last analysis, with a token-based
//! fallback for the expression being typed (see `scope.rs`).

use super::scope::{
    Receiver, Token, enclosing_contract, ident_text, in_comment_or_string, receiver_of_dot, token_before,
    tokens, visible_locals,
};
use super::signature::{builtin_signature, method_signature};
use crate::analysis::{Analysis, FileData};
use crate::ast::FnKind;
use crate::ast::ItemKind;
use crate::check::{ROUNDING_MODES, methods_of};
use crate::lexer::Tok;
use crate::span::FileId;
use crate::types::{ContractId, Def, Tables, Ty};

/// What a completion candidate is, for the editor's icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Keyword,
    Local,
    Field,
    Method,
    Function,
    Struct,
    Enum,
    Variant,
    Const,
    Contract,
    Role,
    Event,
    Error,
    Module,
    Type,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    /// The type or signature.
    pub detail: Option<String>,
    /// For a library item not imported yet: where to insert which `use` line.
    pub import: Option<(u32, String)>,
}

impl Completion {
    fn new(label: impl Into<String>, kind: CompletionKind, detail: Option<String>) -> Completion {
        Completion { label: label.into(), kind, detail, import: None }
    }
}

/// The reserved words (`docs/LANGUAGE.md` §2.3).
pub const KEYWORDS: &[&str] = &[
    "as",
    "break",
    "const",
    "continue",
    "contract",
    "deploy",
    "else",
    "emit",
    "enum",
    "error",
    "event",
    "fail",
    "false",
    "fn",
    "for",
    "if",
    "in",
    "init",
    "interface",
    "invariant",
    "let",
    "match",
    "mut",
    "property",
    "pub",
    "requires",
    "return",
    "roles",
    "self",
    "spec",
    "storage",
    "struct",
    "test",
    "true",
    "use",
    "view",
    "while",
];

/// Every candidate at `offset` in `file`; empty inside comments and strings.
pub fn completions(analysis: &Analysis, file: FileId, offset: u32) -> Vec<Completion> {
    let Some(data) = analysis.file(file) else { return Vec::new() };
    let offset = offset.min(data.text.len() as u32);
    let tokens = tokens(data);
    if in_comment_or_string(data, &tokens, offset) {
        return Vec::new();
    }
    let mut before = token_before(&tokens, offset);
    // A word ending at the cursor is the prefix being typed: the context is
    // the token before it.
    if let Some(i) = before
        && let Some((_, tok, hi)) = tokens.get(i)
        && *hi == offset
        && is_word(tok)
    {
        before = i.checked_sub(1);
    }
    let previous = before.and_then(|i| tokens.get(i)).map(|t| &t.1);
    let contract = enclosing_contract(analysis, data, offset);
    let tables = analysis.tables();
    let mut out = match (previous, before) {
        (Some(Tok::Dot), Some(dot)) => match receiver_of_dot(analysis, data, &tokens, dot) {
            Some(receiver) => members(tables, &receiver),
            None => Vec::new(),
        },
        (Some(Tok::ColonColon), Some(i)) => path_members(analysis, &path_before(&tokens, i)),
        (Some(Tok::Emit), _) => records(tables, contract, true),
        (Some(Tok::Fail), _) => records(tables, contract, false),
        (Some(Tok::Deploy), _) => contracts(tables),
        (Some(Tok::Requires), _) => roles(tables, contract),
        (Some(Tok::Spec), _) => entry_points(tables, contract),
        (Some(Tok::Ident(word)), _) if word == "emits" && spec_around(&tokens, offset).is_some() => {
            records(tables, contract, true)
        }
        (Some(Tok::Pipe), Some(i)) if in_requires(&tokens, i) => roles(tables, contract),
        (Some(Tok::LBrace | Tok::Comma), Some(i)) if use_module(&tokens, i).is_some() => {
            let module = use_module(&tokens, i).unwrap_or_default();
            path_members(analysis, &module)
        }
        _ => {
            let mut out = general(analysis, data, offset, contract);
            if let Some(name) = spec_around(&tokens, offset) {
                let clause_start = matches!(previous, Some(Tok::LBrace | Tok::Semi));
                out.splice(0..0, spec_names(tables, contract, &name, clause_start));
            }
            out
        }
    };
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert(c.label.clone()));
    out
}

fn is_word(tok: &Tok) -> bool {
    matches!(tok, Tok::Ident(_)) || tok.text().chars().all(|c| c.is_ascii_alphabetic())
}

/// Fields and methods of a receiver.
fn members(tables: &Tables, receiver: &Receiver) -> Vec<Completion> {
    let mut out = Vec::new();
    match receiver {
        Receiver::Contract(cid) => {
            let Some(contract) = tables.contract(*cid) else { return out };
            for field in &contract.storage {
                out.push(Completion::new(
                    &field.name,
                    CompletionKind::Field,
                    Some(tables.display(&field.ty)),
                ));
            }
            for f in contract.fns.iter().filter_map(|f| tables.fn_info(*f)) {
                if f.kind != FnKind::Init {
                    out.push(Completion::new(&f.name, CompletionKind::Method, Some(tables.signature(f))));
                }
            }
        }
        Receiver::Value(Ty::Struct(sid)) => {
            for field in tables.struct_info(*sid).map(|s| s.fields.as_slice()).unwrap_or_default() {
                out.push(Completion::new(
                    &field.name,
                    CompletionKind::Field,
                    Some(tables.display(&field.ty)),
                ));
            }
        }
        Receiver::Value(Ty::Tuple(parts)) => {
            for (i, part) in parts.iter().enumerate() {
                out.push(Completion::new(i.to_string(), CompletionKind::Field, Some(tables.display(part))));
            }
        }
        // A test's handle and a contract's reference offer the same entry
        // points, plus their own built-in methods.
        Receiver::Value(ty @ (Ty::Handle(cid) | Ty::Ref(cid))) => {
            let fns = tables.contract(*cid).map(|c| c.fns.as_slice()).unwrap_or_default();
            for f in fns.iter().filter_map(|f| tables.fn_info(*f)) {
                if matches!(f.kind, FnKind::Entry | FnKind::View) {
                    out.push(Completion::new(&f.name, CompletionKind::Method, Some(tables.signature(f))));
                }
            }
            for generated in crate::builtins::methods_of(ty) {
                out.push(method(tables, ty, generated.name));
            }
        }
        Receiver::Value(ty) => {
            for name in methods_of(ty) {
                out.push(method(tables, ty, name));
            }
        }
    }
    out
}

fn method(tables: &Tables, ty: &Ty, name: &str) -> Completion {
    let detail = method_signature(tables, ty, name)
        .map(|(params, ret)| format!("fn {name}({}) -> {ret}", params.join(", ")));
    Completion::new(name, CompletionKind::Method, detail)
}

/// The identifiers of the path that ends with the `::` at `i`.
fn path_before(tokens: &[Token], i: usize) -> Vec<String> {
    let mut segments = Vec::new();
    let mut j = i;
    while let Some(k) = j.checked_sub(1)
        && let Some((_, tok @ (Tok::Ident(_) | Tok::From), _)) = tokens.get(k)
    {
        segments.push(ident_text(tok));
        match k.checked_sub(1) {
            Some(before) if tokens.get(before).is_some_and(|t| t.1 == Tok::ColonColon) => j = before,
            _ => break,
        }
    }
    segments.reverse();
    segments
}

/// The module of a `use path::{` whose braces hold the token at `i`.
fn use_module(tokens: &[Token], i: usize) -> Option<Vec<String>> {
    let mut j = i;
    loop {
        match tokens.get(j)?.1 {
            Tok::LBrace => {
                let colons = j.checked_sub(1)?;
                if tokens.get(colons)?.1 != Tok::ColonColon {
                    return None;
                }
                let path = path_before(tokens, colons);
                let start = colons.checked_sub(path.len() * 2)?;
                return (tokens.get(start)?.1 == Tok::Use).then_some(path);
            }
            Tok::Ident(_) | Tok::Comma => j = j.checked_sub(1)?,
            _ => return None,
        }
    }
}

/// What follows `path::`: modules of `std`, items of a module, variants.
fn path_members(analysis: &Analysis, path: &[String]) -> Vec<Completion> {
    let tables = analysis.tables();
    let joined = path.join("::");
    if joined == "std" {
        return writ_stdlib::MODULES
            .iter()
            .filter_map(|(module, _)| module.strip_prefix("std::"))
            .map(|m| Completion::new(m, CompletionKind::Module, Some(format!("std::{m}"))))
            .collect();
    }
    if joined == "Rounding" {
        return ROUNDING_MODES
            .iter()
            .map(|m| Completion::new(*m, CompletionKind::Variant, Some("Rounding".into())))
            .collect();
    }
    if let Some(module) = analysis.files().find(|f| f.module == joined) {
        return module_items(tables, module);
    }
    let mut out = Vec::new();
    for e in tables.enums.iter().filter(|e| Some(&e.name) == path.last()) {
        for v in &e.variants {
            let fields: Vec<String> = v.fields.iter().map(|t| tables.display(t)).collect();
            let detail = if fields.is_empty() {
                format!("{}::{}", e.name, v.name)
            } else {
                format!("{}::{}({})", e.name, v.name, fields.join(", "))
            };
            out.push(Completion::new(&v.name, CompletionKind::Variant, Some(detail)));
        }
    }
    out
}

/// The top-level items declared in one file.
fn module_items(tables: &Tables, file: &FileData) -> Vec<Completion> {
    let mut out = Vec::new();
    for f in tables.fns.iter().filter(|f| f.span.file == file.id && f.contract.is_none()) {
        out.push(Completion::new(&f.name, CompletionKind::Function, Some(tables.signature(f))));
    }
    for s in tables.structs.iter().filter(|s| s.span.file == file.id) {
        out.push(Completion::new(&s.name, CompletionKind::Struct, Some(format!("struct {}", s.name))));
    }
    for e in tables.enums.iter().filter(|e| e.span.file == file.id) {
        out.push(Completion::new(&e.name, CompletionKind::Enum, Some(format!("enum {}", e.name))));
    }
    for c in tables.consts.iter().filter(|c| c.span.file == file.id) {
        out.push(Completion::new(&c.name, CompletionKind::Const, Some(tables.display(&c.ty))));
    }
    out
}

fn records(tables: &Tables, contract: Option<ContractId>, events: bool) -> Vec<Completion> {
    let Some(contract) = contract.and_then(|c| tables.contract(c)) else { return Vec::new() };
    let (list, kind, word) = if events {
        (&contract.events, CompletionKind::Event, "event")
    } else {
        (&contract.errors, CompletionKind::Error, "error")
    };
    list.iter()
        .map(|r| {
            let fields: Vec<String> =
                r.fields.iter().map(|f| format!("{}: {}", f.name, tables.display(&f.ty))).collect();
            Completion::new(&r.name, kind, Some(format!("{word} {}({})", r.name, fields.join(", "))))
        })
        .collect()
}

fn roles(tables: &Tables, contract: Option<ContractId>) -> Vec<Completion> {
    let Some(contract) = contract.and_then(|c| tables.contract(c)) else { return Vec::new() };
    contract
        .roles
        .iter()
        .map(|r| Completion::new(&r.name, CompletionKind::Role, Some(format!("role of {}", contract.name))))
        .collect()
}

/// What `deploy` may deploy: contracts, not interfaces.
fn contracts(tables: &Tables) -> Vec<Completion> {
    tables
        .contracts
        .iter()
        .filter(|c| !c.interface)
        .map(|c| Completion::new(&c.name, CompletionKind::Contract, None))
        .collect()
}

/// Whether the `|` at `i` separates roles after `requires`.
fn in_requires(tokens: &[Token], i: usize) -> bool {
    let mut j = i;
    while let Some(k) = j.checked_sub(1) {
        match tokens.get(k).map(|t| &t.1) {
            Some(Tok::Requires) => return true,
            Some(Tok::Ident(_) | Tok::Pipe) => j = k,
            _ => return false,
        }
    }
    false
}

/// Names usable as an expression or type at `offset`.
fn general(
    analysis: &Analysis,
    file: &FileData,
    offset: u32,
    contract: Option<ContractId>,
) -> Vec<Completion> {
    let tables = analysis.tables();
    let mut out = Vec::new();
    for id in visible_locals(analysis, file, offset) {
        if let Some(local) = tables.local(id) {
            out.push(Completion::new(&local.name, CompletionKind::Local, Some(tables.display(&local.ty))));
        }
    }
    out.extend(module_items(tables, file));
    for c in tables.contracts.iter().filter(|c| c.span.file == file.id) {
        let keyword = if c.interface { "interface" } else { "contract" };
        out.push(Completion::new(&c.name, CompletionKind::Contract, Some(format!("{keyword} {}", c.name))));
    }
    out.extend(roles(tables, contract));
    out.extend(imported(analysis, file));
    out.extend(library_items(analysis, file));
    for builtin in crate::builtins::FUNCTIONS {
        out.push(Completion::new(builtin.name, CompletionKind::Function, builtin_signature(builtin.name)));
    }
    out.push(Completion::new("None", CompletionKind::Variant, Some("Option<T>".into())));
    for ty in crate::builtins::TYPES {
        out.push(Completion::new(ty.name, CompletionKind::Type, None));
    }
    for kw in KEYWORDS {
        out.push(Completion::new(*kw, CompletionKind::Keyword, None));
    }
    out
}

/// The entry points and views of the contract, after `spec`.
fn entry_points(tables: &Tables, contract: Option<ContractId>) -> Vec<Completion> {
    let Some(info) = contract.and_then(|c| tables.contract(c)) else { return Vec::new() };
    info.fns
        .iter()
        .filter(|f| tables.fn_info(**f).is_some_and(|f| matches!(f.kind, FnKind::Entry | FnKind::View)))
        .filter_map(|f| {
            let name = &tables.fn_info(*f)?.name;
            let signature = tables.describe(Def::Fn(*f)).map(|(s, _)| s);
            Some(Completion::new(name, CompletionKind::Function, signature))
        })
        .collect()
}

/// The function named by the `spec` whose braces hold `offset`, found
/// from the tokens so that a half-typed clause still has its context.
fn spec_around(tokens: &[Token], offset: u32) -> Option<String> {
    let mut depth = 0u32;
    let mut open: Option<(String, u32)> = None;
    for (i, (lo, tok, _)) in tokens.iter().enumerate() {
        if *lo >= offset {
            break;
        }
        match tok {
            Tok::LBrace => {
                depth += 1;
                let head = i.checked_sub(2).and_then(|h| tokens.get(h..i));
                if let Some([(_, Tok::Spec, _), (_, Tok::Ident(name), _)]) = head {
                    open = Some((name.clone(), depth));
                }
            }
            Tok::RBrace => {
                if open.as_ref().is_some_and(|(_, d)| *d == depth) {
                    open = None;
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    open.map(|(name, _)| name)
}

/// In a spec: the clause words where a clause starts, the described
/// function's parameters, and `result` when it returns a value.
fn spec_names(
    tables: &Tables,
    contract: Option<ContractId>,
    name: &str,
    clause_start: bool,
) -> Vec<Completion> {
    let mut out = Vec::new();
    if clause_start {
        for word in crate::check::SPEC_CLAUSES {
            out.push(Completion::new(*word, CompletionKind::Keyword, None));
        }
    }
    let Some(info) = contract.and_then(|c| tables.contract(c)) else { return out };
    let Some(f) = info.fns.iter().filter_map(|f| tables.fn_info(*f)).find(|f| f.name == name) else {
        return out;
    };
    for param in &f.params {
        out.push(Completion::new(&param.name, CompletionKind::Local, Some(tables.display(&param.ty))));
    }
    if f.ret != Ty::Unit {
        out.push(Completion::new("result", CompletionKind::Local, Some(tables.display(&f.ret))));
    }
    out
}

/// The names this file imports with `use`.
fn imported(analysis: &Analysis, file: &FileData) -> Vec<Completion> {
    let tables = analysis.tables();
    let mut out = Vec::new();
    for item in &file.parsed.tree.items {
        let ItemKind::Use(use_item) = &item.kind else { continue };
        for name in &use_item.names {
            let Some(def) = analysis.reference_at(file.id, name.span.lo).map(|r| r.def) else { continue };
            let detail = tables.describe(def).map(|(text, _)| text);
            out.push(Completion::new(&name.name, kind_of(def), detail));
        }
    }
    out
}

/// Library items not imported yet, each with the `use` line that imports it.
fn library_items(analysis: &Analysis, file: &FileData) -> Vec<Completion> {
    let insert_at = file
        .parsed
        .tree
        .items
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::Use(_)))
        .map(|i| line_end(&file.text, i.span.hi))
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    for library in analysis.files().filter(|f| f.is_library) {
        for mut c in module_items(analysis.tables(), library) {
            c.import = Some((insert_at, format!("use {}::{};\n", library.module, c.label)));
            c.detail = Some(format!("{} — {}", library.module, c.detail.unwrap_or_default()));
            out.push(c);
        }
    }
    out
}

/// The offset just after the end of the line holding `offset`.
fn line_end(text: &str, offset: u32) -> u32 {
    let rest = text.get(offset as usize..).unwrap_or("");
    rest.find('\n').map_or(text.len() as u32, |i| offset + i as u32 + 1)
}

/// The completion kind of a definition.
pub fn kind_of(def: Def) -> CompletionKind {
    match def {
        Def::Struct(_) => CompletionKind::Struct,
        Def::Field(..) | Def::Storage(..) => CompletionKind::Field,
        Def::Enum(_) => CompletionKind::Enum,
        Def::Variant(..) => CompletionKind::Variant,
        Def::Fn(_) => CompletionKind::Function,
        Def::Const(_) => CompletionKind::Const,
        Def::Contract(_) => CompletionKind::Contract,
        Def::Role(..) => CompletionKind::Role,
        Def::Event(..) => CompletionKind::Event,
        Def::Error(..) => CompletionKind::Error,
        Def::Local(_) => CompletionKind::Local,
    }
}
