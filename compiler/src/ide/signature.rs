//! Signature help: the call around the cursor, its parameters, and which
//! one the cursor is in (counted from the commas before it). Also the
//! signature texts of built-in functions and methods, which completion
//! shows as details.

use super::scope::{
    Receiver, Token, enclosing_contract, function_named, ident_text, receiver_of_dot, token_before, tokens,
};
use crate::analysis::{Analysis, FileData};
use crate::builtins::Shape;
use crate::lexer::Tok;
use crate::span::FileId;
use crate::types::{ContractId, Def, FnInfo, RecordInfo, Tables, Ty};

/// A callable's signature with the active parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHelp {
    /// The whole signature, such as `fn assessed_tax(income: Decimal) -> Decimal`.
    pub label: String,
    /// Each parameter as it appears in `label`.
    pub params: Vec<String>,
    /// The parameter the cursor is in (may equal `params.len()` when too
    /// many arguments were written).
    pub active: u32,
    pub doc: Option<String>,
}

/// The signature of a built-in function as one line, for completion details.
pub fn builtin_signature(name: &str) -> Option<String> {
    builtin_help(name).map(|h| h.label)
}

fn builtin_help(name: &str) -> Option<SignatureHelp> {
    let builtin = crate::builtins::function_named(name)?;
    Some(SignatureHelp {
        label: builtin.signature(),
        params: builtin.param_texts(),
        active: 0,
        doc: Some(builtin.doc.to_string()),
    })
}

fn label(name: &str, params: &[String], ret: &str) -> String {
    let ret = if ret.is_empty() || ret == "()" { String::new() } else { format!(" -> {ret}") };
    format!("{name}({}){ret}", params.join(", "))
}

/// The parameters and result of a built-in method, as written in source.
pub fn method_signature(tables: &Tables, ty: &Ty, name: &str) -> Option<(Vec<String>, String)> {
    let method = crate::builtins::method_of(ty, name)?;
    let contract = match ty {
        Ty::Handle(cid) => Some(*cid),
        _ => None,
    };
    let show = |shape: Shape| shape.show(tables, Some(ty), contract);
    let params = method.params.iter().map(|p| format!("{}: {}", p.name, show(p.ty))).collect();
    Some((params, show(method.ret)))
}

/// The documentation of a built-in method, for signature help.
fn method_doc(ty: &Ty, name: &str) -> Option<String> {
    crate::builtins::method_of(ty, name).map(|m| m.doc.to_string())
}

/// The signature of the call whose parentheses contain `offset`.
pub fn signature_help(analysis: &Analysis, file: FileId, offset: u32) -> Option<SignatureHelp> {
    let data = analysis.file(file)?;
    let tokens = tokens(data);
    let (open, active) = open_paren(&tokens, offset)?;
    let mut help = callee_help(analysis, data, &tokens, open)?;
    help.active = active;
    Some(help)
}

/// The unclosed `(` before `offset` and the number of commas after it.
fn open_paren(tokens: &[Token], offset: u32) -> Option<(usize, u32)> {
    let mut i = token_before(tokens, offset)?;
    let mut depth = 0u32;
    let mut commas = 0u32;
    loop {
        match tokens.get(i)?.1 {
            Tok::RParen | Tok::RBracket | Tok::RBrace => depth += 1,
            Tok::LParen if depth == 0 => return Some((i, commas)),
            Tok::LBracket if depth == 0 => commas = 0,
            Tok::LBrace | Tok::Semi if depth == 0 => return None,
            Tok::LParen | Tok::LBracket | Tok::LBrace => depth -= 1,
            Tok::Comma if depth == 0 => commas += 1,
            _ => {}
        }
        i = i.checked_sub(1)?;
    }
}

fn callee_help(analysis: &Analysis, file: &FileData, tokens: &[Token], open: usize) -> Option<SignatureHelp> {
    let tables = analysis.tables();
    let name_index = open.checked_sub(1)?;
    let (lo, name_tok, _) = tokens.get(name_index)?;
    if !matches!(name_tok, Tok::Ident(_) | Tok::From) {
        return None;
    }
    let name = ident_text(name_tok);
    let before = name_index.checked_sub(1).and_then(|i| tokens.get(i)).map(|t| &t.1);
    match before {
        Some(Tok::Dot) => return method_help(analysis, file, tokens, name_index - 1, &name),
        Some(Tok::Emit | Tok::Fail) => {
            let contract = tables.contract(enclosing_contract(analysis, file, *lo)?)?;
            let records = if before == Some(&Tok::Emit) { &contract.events } else { &contract.errors };
            let kind = if before == Some(&Tok::Emit) { "event" } else { "error" };
            return records.iter().find(|r| r.name == name).map(|r| record_help(tables, kind, r));
        }
        Some(Tok::Deploy) => {
            let cid = tables.contracts.iter().position(|c| c.name == name)? as ContractId;
            let init = tables.contract(cid)?.init.and_then(|f| tables.fn_info(f));
            return Some(match init {
                Some(info) => fn_help(tables, info, &format!("deploy {name}")),
                None => {
                    SignatureHelp { label: format!("deploy {name}()"), params: vec![], active: 0, doc: None }
                }
            });
        }
        _ => {}
    }
    match analysis.reference_at(file.id, *lo).map(|r| r.def) {
        Some(Def::Fn(id)) => return tables.fn_info(id).map(|f| fn_help(tables, f, &f.name)),
        Some(Def::Variant(eid, i)) => {
            let e = tables.enum_info(eid)?;
            let v = e.variants.get(i as usize)?;
            let params: Vec<String> = v.fields.iter().map(|t| tables.display(t)).collect();
            let label = format!("{}::{}({})", e.name, v.name, params.join(", "));
            return Some(SignatureHelp { label, params, active: 0, doc: None });
        }
        _ => {}
    }
    builtin_help(&name).or_else(|| {
        let id = function_named(analysis, file, None, &name)?;
        tables.fn_info(id).map(|f| fn_help(tables, f, &f.name))
    })
}

fn method_help(
    analysis: &Analysis,
    file: &FileData,
    tokens: &[Token],
    dot: usize,
    name: &str,
) -> Option<SignatureHelp> {
    let tables = analysis.tables();
    let receiver = receiver_of_dot(analysis, file, tokens, dot)?;
    let contract_fn = |cid: ContractId| {
        let contract = tables.contract(cid)?;
        contract.fns.iter().filter_map(|f| tables.fn_info(*f)).find(|f| f.name == name)
    };
    match receiver {
        Receiver::Contract(cid) => contract_fn(cid).map(|f| fn_help(tables, f, &f.name)),
        Receiver::Value(ty) => {
            if let Some((params, ret)) = method_signature(tables, &ty, name) {
                return Some(SignatureHelp {
                    label: label(name, &params, &ret),
                    params,
                    active: 0,
                    doc: method_doc(&ty, name),
                });
            }
            match ty {
                Ty::Handle(cid) | Ty::Ref(cid) => contract_fn(cid).map(|f| fn_help(tables, f, &f.name)),
                _ => None,
            }
        }
    }
}

fn fn_help(tables: &Tables, f: &FnInfo, name: &str) -> SignatureHelp {
    let params: Vec<String> =
        f.params.iter().map(|p| format!("{}: {}", p.name, tables.display(&p.ty))).collect();
    let ret = if f.ret == Ty::Unit { String::new() } else { tables.display(&f.ret) };
    SignatureHelp { label: label(name, &params, &ret), params, active: 0, doc: f.doc.clone() }
}

fn record_help(tables: &Tables, kind: &str, r: &RecordInfo) -> SignatureHelp {
    let params: Vec<String> =
        r.fields.iter().map(|p| format!("{}: {}", p.name, tables.display(&p.ty))).collect();
    SignatureHelp {
        label: format!("{kind} {}", label(&r.name, &params, "")),
        params,
        active: 0,
        doc: r.doc.clone(),
    }
}
