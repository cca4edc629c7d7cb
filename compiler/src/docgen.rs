//! `writ doc`: a module's reference documentation as Markdown, made from
//! its source: the header comment as the introduction, then every item
//! with its checked signature and its `///` doc comment, in source order.
//!
//! Invariant: the output is a function of the source (no dates, no paths
//! other than the module's), so generated files can be checked for being
//! up to date.

use std::fmt::Write as _;

use crate::analysis::Analysis;
use crate::ast::{FnKind, ItemKind, MemberKind};
use crate::span::FileId;
use crate::types::Def;

/// The Markdown for one file, headed by its module path.
pub fn markdown(analysis: &Analysis, file: FileId) -> String {
    let Some(data) = analysis.file(file) else { return String::new() };
    let tables = analysis.tables();
    let mut out = String::new();
    let _ = writeln!(out, "## `{}`\n", data.module);
    let intro = header_comment(&data.text);
    if !intro.is_empty() {
        let _ = writeln!(out, "{intro}\n");
    }
    for item in &data.parsed.tree.items {
        let (signature, doc) = match &item.kind {
            ItemKind::Fn(f) => match analysis.def_at(f.name.span).and_then(|d| tables.describe(d)) {
                Some((signature, _)) => (signature, item.doc.clone()),
                None => continue,
            },
            ItemKind::Struct(s) => match analysis.def_at(s.name.span) {
                Some(Def::Struct(id)) => match tables.struct_info(id) {
                    Some(info) => {
                        let fields: Vec<String> = info
                            .fields
                            .iter()
                            .map(|f| format!("    {}: {},", f.name, tables.display(&f.ty)))
                            .collect();
                        (format!("struct {} {{\n{}\n}}", info.name, fields.join("\n")), item.doc.clone())
                    }
                    None => continue,
                },
                _ => continue,
            },
            ItemKind::Enum(e) => match analysis.def_at(e.name.span) {
                Some(Def::Enum(id)) => match tables.enum_info(id) {
                    Some(info) => {
                        let variants: Vec<String> = info
                            .variants
                            .iter()
                            .map(|v| {
                                let fields: Vec<String> =
                                    v.fields.iter().map(|t| tables.display(t)).collect();
                                if fields.is_empty() {
                                    format!("    {},", v.name)
                                } else {
                                    format!("    {}({}),", v.name, fields.join(", "))
                                }
                            })
                            .collect();
                        (format!("enum {} {{\n{}\n}}", info.name, variants.join("\n")), item.doc.clone())
                    }
                    None => continue,
                },
                _ => continue,
            },
            ItemKind::Const(c) => match analysis.def_at(c.name.span).and_then(|d| tables.describe(d)) {
                Some((signature, _)) => (signature, item.doc.clone()),
                None => continue,
            },
            ItemKind::Contract(c) => {
                contract(&mut out, analysis, c, item.doc.as_deref());
                continue;
            }
            _ => continue,
        };
        entry(&mut out, "###", &signature, doc.as_deref());
    }
    out
}

/// One documented item: its signature as code, then its doc comment.
fn entry(out: &mut String, heading: &str, signature: &str, doc: Option<&str>) {
    let title = signature.lines().next().unwrap_or(signature).trim_end_matches(" {");
    let _ = writeln!(out, "{heading} `{title}`\n");
    if signature.contains('\n') {
        let _ = writeln!(out, "```writ\n{signature}\n```\n");
    }
    match doc {
        Some(doc) => {
            let _ = writeln!(out, "{}\n", doc.trim());
        }
        None => out.push_str("*(not documented)*\n\n"),
    }
}

fn contract(out: &mut String, analysis: &Analysis, c: &crate::ast::ContractDef, doc: Option<&str>) {
    let tables = analysis.tables();
    let file_text = analysis.file(c.name.span.file).map_or("", |f| f.text.as_str());
    let keyword = if c.interface { "interface" } else { "contract" };
    let _ = writeln!(out, "### {keyword} `{}`\n", c.name.name);
    if let Some(doc) = doc {
        let _ = writeln!(out, "{}\n", doc.trim());
    }
    for member in &c.members {
        match &member.kind {
            MemberKind::Roles(roles) => {
                let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
                let _ = writeln!(out, "Roles: {} (and `Admin`, the deployer's).\n", names.join(", "));
            }
            MemberKind::Fn(f) if f.kind != FnKind::Private => {
                if let Some((signature, _)) = analysis.def_at(f.name.span).and_then(|d| tables.describe(d)) {
                    entry(out, "####", &signature, member.doc.as_deref());
                }
            }
            MemberKind::Event(r) | MemberKind::Error(r) => {
                let Some(Def::Contract(cid)) = analysis.def_at(c.name.span) else { continue };
                let Some(info) = tables.contract(cid) else { continue };
                let def = match member.kind {
                    MemberKind::Event(_) => info.event(&r.name.name).map(|i| Def::Event(cid, i)),
                    _ => info.error(&r.name.name).map(|i| Def::Error(cid, i)),
                };
                if let Some((signature, _)) = def.and_then(|d| tables.describe(d)) {
                    entry(out, "####", &signature, member.doc.as_deref());
                }
            }
            MemberKind::Invariant(i) => {
                let _ = writeln!(out, "- invariant: \"{}\"", i.name.value);
            }
            // A specification is the promise an auditor reads: shown as written.
            MemberKind::Spec(s) => {
                let _ = writeln!(out, "- spec of `{}`:", s.name.name);
                for clause in &s.clauses {
                    let written = file_text.get(clause.span.range()).unwrap_or("").trim();
                    let _ = writeln!(out, "  - `{written}`");
                }
            }
            _ => {}
        }
    }
    out.push('\n');
}

/// The `//` comment lines at the top of a file (not `///`), markers removed.
fn header_comment(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("///") || !trimmed.starts_with("//") {
            break;
        }
        lines.push(
            trimmed.trim_start_matches("//").strip_prefix(' ').unwrap_or(trimmed.trim_start_matches("//")),
        );
    }
    lines.join("\n").trim().to_string()
}
