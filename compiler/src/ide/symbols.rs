//! Document symbols (the outline: items, contract members, fields and
//! variants nested under their parents) and workspace symbols (every
//! declaration of every file, matched against a query).

use crate::analysis::{Analysis, FileData};
use crate::ast::*;
use crate::span::{FileId, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Struct,
    Field,
    Enum,
    Variant,
    Const,
    Function,
    Contract,
    Role,
    Storage,
    Event,
    Error,
    Init,
    EntryPoint,
    Test,
    Property,
    Invariant,
    Spec,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    /// A type or a signature, as written.
    pub detail: Option<String>,
    /// The whole declaration.
    pub span: Span,
    /// The name within it.
    pub name_span: Span,
    pub children: Vec<Symbol>,
}

/// A symbol found by a workspace search, with the name of its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundSymbol {
    pub symbol: Symbol,
    pub container: Option<String>,
}

/// The outline of one file.
pub fn document_symbols(analysis: &Analysis, file: FileId) -> Vec<Symbol> {
    let Some(data) = analysis.file(file) else { return Vec::new() };
    data.parsed.tree.items.iter().filter_map(|item| item_symbol(data, item)).collect()
}

/// Every declaration whose name matches `query` (case-insensitive, its
/// letters in order), user files first, then the standard library.
pub fn workspace_symbols(analysis: &Analysis, query: &str) -> Vec<FoundSymbol> {
    let query = query.to_lowercase();
    let mut out = Vec::new();
    for file in analysis.files() {
        for symbol in document_symbols(analysis, file.id) {
            collect(symbol, None, &query, &mut out);
        }
    }
    out
}

fn collect(mut symbol: Symbol, container: Option<&str>, query: &str, out: &mut Vec<FoundSymbol>) {
    let children = std::mem::take(&mut symbol.children);
    let name = symbol.name.clone();
    if matches_query(&symbol.name, query) {
        out.push(FoundSymbol { symbol, container: container.map(str::to_string) });
    }
    for child in children {
        collect(child, Some(&name), query, out);
    }
}

/// Whether the letters of `query` appear in `name` in order.
pub fn matches_query(name: &str, query: &str) -> bool {
    let mut letters = query.chars().filter(|c| !c.is_whitespace()).peekable();
    for c in name.to_lowercase().chars() {
        if letters.peek() == Some(&c) {
            letters.next();
        }
    }
    letters.peek().is_none()
}

fn text(file: &FileData, span: Span) -> String {
    file.text.get(span.range()).unwrap_or("").to_string()
}

fn symbol(name: &Ident, kind: SymbolKind, span: Span, detail: Option<String>) -> Symbol {
    Symbol { name: name.name.clone(), kind, detail, span, name_span: name.span, children: Vec::new() }
}

fn item_symbol(file: &FileData, item: &Item) -> Option<Symbol> {
    let out = match &item.kind {
        ItemKind::Use(_) | ItemKind::Error => return None,
        ItemKind::Struct(def) => struct_symbol(file, def, item.span),
        ItemKind::Enum(def) => enum_symbol(file, def, item.span),
        ItemKind::Const(def) => {
            symbol(&def.name, SymbolKind::Const, item.span, Some(text(file, def.ty.span)))
        }
        ItemKind::Fn(def) => fn_symbol(file, def, item.span),
        ItemKind::Contract(def) => {
            let mut s = symbol(&def.name, SymbolKind::Contract, item.span, None);
            s.children = def.members.iter().flat_map(|m| member_symbols(file, m)).collect();
            s
        }
        ItemKind::Test(def) => named_block(&def.name, SymbolKind::Test, item.span),
        ItemKind::Property(def) => named_block(&def.name, SymbolKind::Property, item.span),
    };
    Some(out)
}

fn named_block(name: &StrLit, kind: SymbolKind, span: Span) -> Symbol {
    Symbol { name: name.value.clone(), kind, detail: None, span, name_span: name.span, children: Vec::new() }
}

fn struct_symbol(file: &FileData, def: &StructDef, span: Span) -> Symbol {
    let mut s = symbol(&def.name, SymbolKind::Struct, span, None);
    s.children = def
        .fields
        .iter()
        .map(|f| symbol(&f.name, SymbolKind::Field, f.span, Some(text(file, f.ty.span))))
        .collect();
    s
}

fn enum_symbol(file: &FileData, def: &EnumDef, span: Span) -> Symbol {
    let mut s = symbol(&def.name, SymbolKind::Enum, span, None);
    s.children = def
        .variants
        .iter()
        .map(|v| {
            let fields: Vec<String> = v.fields.iter().map(|t| text(file, t.span)).collect();
            let detail = (!fields.is_empty()).then(|| format!("({})", fields.join(", ")));
            symbol(&v.name, SymbolKind::Variant, v.span, detail)
        })
        .collect();
    s
}

/// `(a: T, b: U) -> R`, as written.
fn fn_detail(file: &FileData, def: &FnDef) -> String {
    let params: Vec<String> =
        def.params.iter().map(|p| format!("{}: {}", p.name.name, text(file, p.ty.span))).collect();
    let ret = def.ret.as_ref().map(|t| format!(" -> {}", text(file, t.span))).unwrap_or_default();
    format!("({}){ret}", params.join(", "))
}

fn fn_symbol(file: &FileData, def: &FnDef, span: Span) -> Symbol {
    let kind = match def.kind {
        FnKind::Private => SymbolKind::Function,
        FnKind::Entry | FnKind::View => SymbolKind::EntryPoint,
        FnKind::Init => SymbolKind::Init,
    };
    symbol(&def.name, kind, span, Some(fn_detail(file, def)))
}

fn member_symbols(file: &FileData, member: &Member) -> Vec<Symbol> {
    let span = member.span;
    match &member.kind {
        MemberKind::Roles(names) => {
            names.iter().map(|n| symbol(n, SymbolKind::Role, n.span, Some("role".into()))).collect()
        }
        MemberKind::Storage(fields) => fields
            .iter()
            .map(|f| symbol(&f.name, SymbolKind::Storage, f.span, Some(text(file, f.ty.span))))
            .collect(),
        MemberKind::Event(def) | MemberKind::Error(def) => {
            let kind = if matches!(member.kind, MemberKind::Event(_)) {
                SymbolKind::Event
            } else {
                SymbolKind::Error
            };
            let fields: Vec<String> =
                def.fields.iter().map(|p| format!("{}: {}", p.name.name, text(file, p.ty.span))).collect();
            vec![symbol(&def.name, kind, span, Some(format!("({})", fields.join(", "))))]
        }
        MemberKind::Fn(def) => vec![fn_symbol(file, def, span)],
        MemberKind::Struct(def) => vec![struct_symbol(file, def, span)],
        MemberKind::Enum(def) => vec![enum_symbol(file, def, span)],
        MemberKind::Const(def) => {
            vec![symbol(&def.name, SymbolKind::Const, span, Some(text(file, def.ty.span)))]
        }
        MemberKind::Invariant(def) => vec![named_block(&def.name, SymbolKind::Invariant, span)],
        MemberKind::Spec(def) => vec![symbol(&def.name, SymbolKind::Spec, span, Some("spec".to_string()))],
        MemberKind::Broken => Vec::new(),
    }
}
