//! Signature help: the call around the cursor, its parameters, and which
//! one the cursor is in (counted from the commas before it). Also the
//! signature texts of built-in functions and methods, which completion
//! shows as details.

use super::scope::{
    Receiver, Token, enclosing_contract, function_named, ident_text, receiver_of_dot, token_before, tokens,
};
use crate::analysis::{Analysis, FileData};
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

/// Built-in functions: name, parameters, result and a one-line description.
const BUILTINS: &[(&str, &[&str], &str, &str)] = &[
    (
        "require",
        &["condition: bool", "message: String"],
        "",
        "Aborts the call with `message` unless `condition` holds.",
    ),
    (
        "assert",
        &["condition: bool", "message: String"],
        "",
        "Fails the test unless `condition` holds (message optional).",
    ),
    ("assert_eq", &["left: T", "right: T"], "", "Fails the test and shows both values when they differ."),
    (
        "assert_aborts",
        &["call: T", "error: Name"],
        "",
        "The call must abort, with that error or built-in abort when named.",
    ),
    (
        "assert_emitted",
        &["handle: contract", "event: Event"],
        "",
        "The last call on `handle` emitted that event.",
    ),
    ("account", &["name: String"], "Address", "A test account's address, the same for the same name."),
    ("set_time", &["time: Timestamp"], "", "Sets the ledger clock in a test."),
    ("advance_time", &["seconds: u64"], "", "Moves the ledger clock forward in a test."),
    ("min", &["a: T", "b: T"], "T", "The smaller of two numbers."),
    ("max", &["a: T", "b: T"], "T", "The larger of two numbers."),
    ("caller", &[], "Address", "The account that called this entry point."),
    ("contract_address", &[], "Address", "This contract's address."),
    ("now", &[], "Timestamp", "The timestamp of the current block."),
    ("block_height", &[], "u64", "The height of the current block."),
    ("signed_by", &["account: Address"], "bool", "Whether `account` signed the transaction."),
    ("has_role", &["role: Role", "account: Address"], "bool", "Whether `account` holds `role`."),
    ("grant", &["role: Role", "account: Address"], "", "Gives `account` the role (changes state)."),
    ("revoke", &["role: Role", "account: Address"], "", "Takes the role from `account` (changes state)."),
    ("sha256", &["data: Bytes"], "Hash", "The SHA-256 digest of `data`."),
    ("sm3", &["data: Bytes"], "Hash", "The SM3 digest of `data`."),
    (
        "verify_ed25519",
        &["public_key: Bytes", "message: Bytes", "signature: Bytes"],
        "bool",
        "Checks an Ed25519 signature.",
    ),
    ("zero_address", &[], "Address", "The all-zero address."),
    ("date", &["year: u32", "month: u32", "day: u32"], "Date", "A calendar date."),
    ("Some", &["value: T"], "Option<T>", "An `Option` holding `value`."),
];

/// The signature of a built-in function as one line, for completion details.
pub fn builtin_signature(name: &str) -> Option<String> {
    builtin_help(name).map(|h| h.label)
}

fn builtin_help(name: &str) -> Option<SignatureHelp> {
    let (_, params, ret, doc) = BUILTINS.iter().find(|(n, ..)| *n == name)?;
    let params: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    Some(SignatureHelp { label: label(name, &params, ret), params, active: 0, doc: Some(doc.to_string()) })
}

fn label(name: &str, params: &[String], ret: &str) -> String {
    let ret = if ret.is_empty() || ret == "()" { String::new() } else { format!(" -> {ret}") };
    format!("{name}({}){ret}", params.join(", "))
}

/// The parameters and result of a built-in method, as written in source.
pub fn method_signature(tables: &Tables, ty: &Ty, name: &str) -> Option<(Vec<String>, String)> {
    let show = |t: &Ty| tables.display(t);
    let (params, ret): (Vec<String>, String) = match (ty, name) {
        (Ty::Decimal, "round") => (vec!["places: u32".into(), "mode: Rounding".into()], "Decimal".into()),
        (Ty::Decimal, "trunc" | "floor" | "ceil" | "abs") => (vec![], "Decimal".into()),
        (Ty::String | Ty::Bytes | Ty::List(_) | Ty::Map(..), "len") => (vec![], "u64".into()),
        (Ty::String | Ty::Hash, "as_bytes") => (vec![], "Bytes".into()),
        (Ty::Option(_), "is_some" | "is_none") => (vec![], "bool".into()),
        (Ty::Option(inner), "unwrap") => (vec![], show(inner)),
        (Ty::Option(inner), "unwrap_or") => (vec![format!("default: {}", show(inner))], show(inner)),
        (Ty::List(inner), "push") => (vec![format!("value: {}", show(inner))], "()".into()),
        (Ty::Map(k, v), "get") => (vec![format!("key: {}", show(k))], format!("Option<{}>", show(v))),
        (Ty::Map(k, _), "contains") => (vec![format!("key: {}", show(k))], "bool".into()),
        (Ty::Map(k, v), "insert") => {
            (vec![format!("key: {}", show(k)), format!("value: {}", show(v))], "()".into())
        }
        (Ty::Map(k, _), "remove") => (vec![format!("key: {}", show(k))], "()".into()),
        (Ty::Timestamp, "date") => (vec![], "Date".into()),
        (Ty::Date, "year" | "month" | "day") => (vec![], "u32".into()),
        (Ty::Date, "add_days") => (vec!["days: i64".into()], "Date".into()),
        (Ty::Handle(_), "from" | "signed_by") => (vec!["account: Address".into()], show(ty)),
        (Ty::Handle(cid), "grant_role" | "revoke_role") => {
            (vec![format!("role: {}", show(&Ty::Role(*cid))), "account: Address".into()], "()".into())
        }
        (Ty::Handle(cid), "has_role") => {
            (vec![format!("role: {}", show(&Ty::Role(*cid))), "account: Address".into()], "bool".into())
        }
        _ => return None,
    };
    Some((params, ret))
}

/// The generated methods every contract handle has in tests.
pub const HANDLE_METHODS: &[&str] = &["from", "signed_by", "grant_role", "revoke_role", "has_role"];

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
                    doc: None,
                });
            }
            match ty {
                Ty::Handle(cid) => contract_fn(cid).map(|f| fn_help(tables, f, &f.name)),
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
