//! `writ demo`: the three example workflows shipped with Writ (tax,
//! evidence, equity), embedded in the binary so the command works from any
//! folder. For each: check it, print its authority map (who may call what),
//! compile it, and run a scripted workflow on the VM in this process. (The
//! same workflows on an embedded ledger node follow with the node.)

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
        let built = writ_compiler::codegen::build_file(&analysis, writ_compiler::FileId(0));
        if !built.diagnostics.is_empty() {
            errout!(
                "{}",
                render(&built.diagnostics, &analysis.sources(), RenderOptions { color, ascii: false })
            );
            failed = true;
            continue;
        }
        for artifact in &built.artifacts {
            let _ = writeln!(
                out,
                "      compiled: {} bytes, code hash {}…; running the workflow on the VM:",
                artifact.wasm.len(),
                artifact.code_hash().get(..16).unwrap_or("")
            );
            match crate::demo_run::run(&artifact.wasm, &artifact.abi, &workflow(title), out) {
                Ok(ok) => failed |= !ok,
                Err(message) => {
                    errln!("error: {message}");
                    failed = true;
                }
            }
        }
        out.push('\n');
    }
    out.push_str("Every step ran on the deterministic VM in this process; the same workflows\n");
    out.push_str("on an embedded ledger node (blocks, receipts, state root) come with `writ node`.\n");
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

/// The scripted steps of each example.
fn workflow(example: &str) -> Vec<crate::demo_run::Step> {
    use crate::demo_run::{Step, day, money, text, who};
    use writ_abi::Value;
    let step = |caller, entry, args, what| Step { caller, cosigners: &[], entry, args, what };
    let role = |index: u32| Value::U32(index);
    match example {
        "tax" => vec![
            step(
                "tax office",
                "init",
                vec![money("60000.00"), money("0.0005")],
                "deploy with a 60 000 allowance and 0.05 % a day late penalty",
            ),
            step(
                "tax office",
                "grant_role",
                vec![role(1), who("tax office")],
                "the office takes the Authority role",
            ),
            step("tax office", "grant_role", vec![role(2), who("assessor")], "an assessor is appointed"),
            step(
                "tax office",
                "register",
                vec![who("wang"), text("110101-1980")],
                "a taxpayer is registered",
            ),
            step(
                "wang",
                "file_return",
                vec![Value::U32(2022), money("100000.00"), money("5000.00")],
                "the 2022 return is filed, in November 2023",
            ),
            step(
                "wang",
                "file_return",
                vec![Value::U32(2022), money("1.00"), money("0.00")],
                "refused: filing the same year twice",
            ),
            step(
                "assessor",
                "assess",
                vec![who("wang"), Value::U32(2022)],
                "assessment: tax on the schedule plus a late penalty",
            ),
            step("wang", "balance", vec![who("wang"), Value::U32(2022)], "what is owed"),
            step("wang", "pay", vec![Value::U32(2022), money("1121.93")], "payment in full"),
            step("wang", "collected", vec![], "money held by the office"),
        ],
        "evidence" => {
            let digest = Value::Hash(writ_abi_hash(b"photo-0001.jpg"));
            vec![
                step("court registry", "init", vec![], "deploy the register"),
                step("court registry", "grant_role", vec![role(1), who("clerk")], "a clerk is appointed"),
                step(
                    "court registry",
                    "grant_role",
                    vec![role(2), who("officer")],
                    "an officer may hold evidence",
                ),
                step("court registry", "grant_role", vec![role(2), who("lab")], "the lab may hold evidence"),
                step("court registry", "grant_role", vec![role(3), who("judge")], "a judge is appointed"),
                step(
                    "clerk",
                    "register",
                    vec![digest.clone(), text("2024-XJ-017"), text("photo of the scene"), who("officer")],
                    "the clerk registers a photo by its hash",
                ),
                step(
                    "officer",
                    "hand_over",
                    vec![digest.clone(), who("lab"), text("analysis")],
                    "refused: a hand-over without the lab's signature",
                ),
                Step {
                    caller: "officer",
                    cosigners: &["lab"],
                    entry: "hand_over",
                    args: vec![digest.clone(), who("lab"), text("analysis")],
                    what: "hand-over signed by both officer and lab",
                },
                step("anyone", "custodian", vec![digest.clone()], "who holds it now"),
                step("judge", "seal", vec![digest.clone(), text("order 12")], "the judge seals the exhibit"),
                step("anyone", "is_sealed", vec![digest], "is it sealed?"),
            ]
        }
        _ => vec![
            step("share registry", "init", vec![text("Acme Ltd")], "deploy the register"),
            step(
                "share registry",
                "grant_role",
                vec![role(1), who("share registry")],
                "the registry takes the Registrar role",
            ),
            step(
                "share registry",
                "create_class",
                vec![text("A"), Value::U64(1000)],
                "class A with 1 000 authorized shares",
            ),
            step(
                "share registry",
                "issue",
                vec![text("A"), who("alice"), Value::U64(600), day(2023, 1, 1)],
                "600 shares to alice, lock-up passed",
            ),
            step(
                "share registry",
                "issue",
                vec![text("A"), who("bob"), Value::U64(300), day(2024, 6, 30)],
                "300 shares to bob, locked until mid-2024",
            ),
            step(
                "bob",
                "transfer",
                vec![text("A"), who("alice"), Value::U64(50)],
                "refused: bob's shares are still locked up",
            ),
            step(
                "alice",
                "transfer",
                vec![text("A"), who("bob"), Value::U64(100)],
                "alice transfers 100 shares to bob",
            ),
            step(
                "share registry",
                "declare_dividend",
                vec![text("A"), money("100.00")],
                "a dividend of 100.00, split by holdings",
            ),
            step("alice", "claim_dividend", vec![], "alice claims her part"),
            step("anyone", "balance_of", vec![text("A"), who("bob")], "bob's shares"),
        ],
    }
}

fn writ_abi_hash(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}
