//! `writ demo`: the three example workflows shipped with Writ (tax,
//! evidence, equity), embedded in the binary so the command works from any
//! folder. Today it checks them and prints each contract's authority map
//! (who may call what) from the checker's tables; running the workflows on
//! an embedded node follows with the VM and the ledger.

use std::fmt::Write as _;
use std::io::Write as _;

use writ_compiler::Analysis;
use writ_compiler::ast::FnKind;
use writ_compiler::render::{RenderOptions, render};
use writ_compiler::types::{ContractInfo, Tables};

const EXAMPLES: &[(&str, &str, &str)] = &[
    ("tax", "examples/tax/tax.writ", include_str!("../../examples/tax/tax.writ")),
    ("evidence", "examples/evidence/evidence.writ", include_str!("../../examples/evidence/evidence.writ")),
    ("equity", "examples/equity/equity.writ", include_str!("../../examples/equity/equity.writ")),
];

pub fn run(color: bool) -> u8 {
    let mut out = String::new();
    let code = walk(color, &mut out);
    // A closed pipe (`writ demo | head`) is not an error worth a report.
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    code
}

fn walk(color: bool, out: &mut String) -> u8 {
    let mut failed = false;
    for (step, (title, name, text)) in EXAMPLES.iter().enumerate() {
        let _ = writeln!(out, "[{}/{}] {title}: {name}", step + 1, EXAMPLES.len());
        let analysis = Analysis::single(name, text);
        let diagnostics = analysis.diagnostics();
        if !diagnostics.is_empty() {
            errout!("{}", render(&diagnostics, &analysis.sources(), RenderOptions { color, ascii: false }));
            failed |= diagnostics.iter().any(|d| d.is_error());
        }
        let tests = text.matches("\ntest \"").count();
        let properties = text.matches("\nproperty \"").count();
        let _ = writeln!(
            out,
            "      checked: {} diagnostics, {tests} tests, {properties} properties",
            diagnostics.len()
        );
        let tables = analysis.tables();
        for contract in tables.contracts.iter().filter(|c| c.span.file.0 == 0) {
            print_contract(tables, contract, out);
        }
        out.push('\n');
    }
    out.push_str("Running these workflows on an embedded node needs the VM and the ledger,\n");
    out.push_str("which are not built yet; `writ check` and `writ fmt` work on them today.\n");
    u8::from(failed)
}

fn print_contract(tables: &Tables, contract: &ContractInfo, out: &mut String) {
    let roles: Vec<&str> = contract.roles.iter().map(|r| r.name.as_str()).collect();
    let _ = writeln!(out, "      contract {} (roles: {})", contract.name, roles.join(", "));
    for id in contract.init.iter().chain(contract.fns.iter()) {
        let Some(f) = tables.fn_info(*id) else { continue };
        let (kind, open_to) = match f.kind {
            FnKind::View => ("view", "anyone"),
            FnKind::Entry => ("call", "anyone"),
            FnKind::Init => ("init", "the deployer"),
            FnKind::Private => continue,
        };
        // The signature names the required roles; say who else may call.
        let who = if f.requires.is_empty() { format!("  ({open_to})") } else { String::new() };
        let _ = writeln!(out, "        {kind}  {}{who}", tables.signature(f));
    }
    let events: Vec<&str> = contract.events.iter().map(|e| e.name.as_str()).collect();
    let errors: Vec<&str> = contract.errors.iter().map(|e| e.name.as_str()).collect();
    let _ = writeln!(out, "        events: {}", events.join(", "));
    let _ = writeln!(out, "        errors: {}", errors.join(", "));
}
