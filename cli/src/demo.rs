//! `writ demo`: the three example workflows shipped with Writ (tax,
//! evidence, equity), embedded in the binary so the command works from any
//! folder. For each: check it, print its authority map (who may call what),
//! compile it, and run a scripted workflow on an embedded ledger node: a
//! fresh store in a temporary folder, signed transactions in blocks.

use std::fmt::Write as _;

use writ_compiler::Analysis;
use writ_compiler::ast::FnKind;
use writ_compiler::render::{RenderOptions, render};
use writ_compiler::types::{ContractInfo, Tables};
use writ_ledger::node::{Node, NodeConfig};

use crate::demo_run::say;

const EXAMPLES: &[(&str, &str, &str)] = &[
    ("tax", "examples/tax/tax.writ", include_str!("../../examples/tax/tax.writ")),
    ("evidence", "examples/evidence/evidence.writ", include_str!("../../examples/evidence/evidence.writ")),
    ("equity", "examples/equity/equity.writ", include_str!("../../examples/equity/equity.writ")),
];

pub fn run(color: bool, nodes: u8) -> u8 {
    if nodes > 1 {
        return run_network(color, nodes);
    }
    let dir = match tempfile::Builder::new().prefix("writ-demo-").tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            errln!("error: cannot create a temporary folder for the demo node: {e}");
            return 1;
        }
    };
    let vm = match writ_vm::Vm::new(writ_vm::VmOptions::in_memory()) {
        Ok(vm) => std::sync::Arc::new(vm),
        Err(e) => {
            errln!("error: cannot start the VM: {e}");
            return 1;
        }
    };
    let mut config = NodeConfig::new(dir.path().to_path_buf(), "writ-demo");
    // A logical clock: the same blocks and state root on every run.
    config.logical_clock_start = Some(DEMO_START);
    let node = match Node::open(config, vm) {
        Ok(node) => node,
        Err(e) => {
            errln!("error: cannot start the demo node: {e}");
            return 1;
        }
    };
    say("writ demo: an embedded node (chain `writ-demo`) on a fresh store in a temporary folder");
    // Where exactly varies by run; stdout stays the same on every run.
    errln!("demo store: {}", dir.path().display());
    say("");
    let alone = |node: &Node, _: &[u8; 32]| -> Result<u64, String> {
        let (block, _) = node.produce().map_err(|e| e.to_string())?.ok_or("no block was made")?;
        Ok(block.height)
    };
    let code = walk(&node, &alone, color);
    let head = match node.reader().head() {
        Ok(head) => head,
        Err(e) => {
            errln!("writ demo: cannot read the chain's head: {e}");
            return 1;
        }
    };
    say(&format!("chain writ-demo: height {}, block {}", head.height, head.hash));
    say(&format!("state root {}", head.state_root));
    say("Every step was a signed transaction in a block (or a read-only query) on the node's");
    say("durable store; `writ node` runs the same node with an HTTP API.");
    code
}

/// The demo chain's clock starts at 2023-11-14 22:13:20 UTC and moves one
/// second per block.
const DEMO_START: i64 = 1_700_000_000;

/// `writ demo --nodes N`: the same workflows, submitted to the first
/// node of an embedded network of N validators (it passes them on), each
/// waited for until the network decides its block; then every node's
/// height and state root, which must all be equal.
fn run_network(color: bool, nodes: u8) -> u8 {
    let dir = match tempfile::Builder::new().prefix("writ-demo-net-").tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            errln!("error: cannot create a temporary folder for the demo network: {e}");
            return 1;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            errln!("error: cannot start the runtime: {e}");
            return 1;
        }
    };
    let quiet = |settings: &mut writ_consensus::network::Settings| {
        settings.block_interval = std::time::Duration::from_millis(100);
        settings.empty_block_wait = std::time::Duration::from_millis(500);
        // The workflows' deadlines are dated: the same clock as the
        // single-node demo, so every step ends as it does there.
        settings.logical_clock_start = Some(DEMO_START);
    };
    let started = runtime.block_on(writ_consensus::testnet::Testnet::start_with(
        dir.path(),
        "writ-demo",
        usize::from(nodes),
        quiet,
        false,
    ));
    let net = match started {
        Ok(net) => net,
        Err(e) => {
            errln!("error: cannot start the demo network: {e}");
            return 1;
        }
    };
    let Some(first) = net.nodes.first().and_then(|n| n.as_ref()).map(|r| std::sync::Arc::clone(&r.node))
    else {
        return 1;
    };
    say(&format!(
        "writ demo: an embedded network of {nodes} validators (chain `writ-demo`), each with its own store, API and consensus engine on 127.0.0.1"
    ));
    errln!("demo network: {}", dir.path().display());
    say("");
    let decided = |node: &Node, id: &[u8; 32]| -> Result<u64, String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Some(receipt) = node.reader().receipt(id).map_err(|e| e.to_string())? {
                return Ok(receipt.height);
            }
            if std::time::Instant::now() > deadline {
                return Err("the network decided no block with the transaction within a minute".into());
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    };
    let mut code = walk(&first, &decided, color);
    // Every node at the same height, then the same block and root there.
    let summary = runtime.block_on(async {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let running: Vec<_> = net.nodes.iter().flatten().collect();
            let heads: Vec<_> = running.iter().map(|r| r.node.head()).collect();
            if heads.windows(2).all(|w| w[0] == w[1]) || tokio::time::Instant::now() > deadline {
                break heads;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    });
    for (k, head) in summary.iter().enumerate() {
        say(&format!("node {k}: height {}, state root {}", head.height, head.state_root));
    }
    if summary.windows(2).all(|w| w[0] == w[1]) {
        say(&format!(
            "all {nodes} nodes hold the same chain: block {}",
            summary.first().map_or("", |h| h.hash.as_str())
        ));
    } else {
        errln!("error: the nodes' heads differ");
        code = 1;
    }
    say("Every step was a signed transaction submitted to node 0, passed on to the others, and");
    say("decided by the validators; `writ net init` and `writ node --config` run such a network.");
    runtime.block_on(net.stop());
    code
}

fn walk(node: &Node, into_block: crate::demo_run::IntoBlock<'_>, color: bool) -> u8 {
    let mut failed = false;
    let workflows: Vec<_> = EXAMPLES.iter().map(|(title, _, _)| workflow(title)).collect();
    let total: usize = workflows.iter().map(Vec::len).sum();
    let mut done = 0;
    for ((title, name, text), steps) in EXAMPLES.iter().zip(&workflows) {
        let mut out = String::new();
        let _ = writeln!(out, "{title}: {name}");
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
            print_contract(tables, contract, &mut out);
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
                "      compiled {}: {} bytes, code hash {}…",
                artifact.contract,
                artifact.wasm.len(),
                artifact.code_hash().get(..16).unwrap_or("")
            );
        }
        say(out.trim_end());
        // The workflow deploys the contracts it needs in order, passing
        // earlier ones' addresses to later constructors.
        match crate::demo_run::run(node, into_block, &built.artifacts, steps, &mut done, total) {
            Ok(ok) => failed |= !ok,
            Err(message) => {
                errln!("error: {message}");
                failed = true;
            }
        }
        say("");
    }
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
    let listed = |names: Vec<&str>| if names.is_empty() { "none".to_string() } else { names.join(", ") };
    let _ = writeln!(out, "        events: {}", listed(events));
    let _ = writeln!(out, "        errors: {}", listed(errors));
}

/// The scripted steps of each example.
fn workflow(example: &str) -> Vec<crate::demo_run::Step> {
    use crate::demo_run::{Step, contract_at, day, money, text, who};
    use writ_abi::Value;
    let step = |caller, entry, args, what| Step { contract: "", caller, cosigners: &[], entry, args, what };
    let on = |contract, step: Step| Step { contract, ..step };
    let role = |index: u32| Value::U32(index);
    match example {
        "tax" => vec![
            on("CitizenRegistry", step("registry office", "init", vec![], "deploy the citizen registry")),
            on(
                "CitizenRegistry",
                step(
                    "registry office",
                    "grant_role",
                    vec![role(1), who("registry office")],
                    "the registry office takes the Registrar role",
                ),
            ),
            on(
                "CitizenRegistry",
                step(
                    "registry office",
                    "enrol",
                    vec![who("wang"), Value::Enum { variant: 0, fields: vec![] }, text("110101-1980")],
                    "Wang is enrolled as a person",
                ),
            ),
            on(
                "TaxOffice",
                step(
                    "tax office",
                    "init",
                    vec![money("60000.00"), money("0.0005"), contract_at("CitizenRegistry")],
                    "deploy with a 60 000 allowance, 0.05 % a day late penalty and the registry to consult",
                ),
            ),
            step(
                "tax office",
                "grant_role",
                vec![role(1), who("tax office")],
                "the office takes the Authority role",
            ),
            step("tax office", "grant_role", vec![role(2), who("assessor")], "an assessor is appointed"),
            step("li", "collected", vec![], "anyone may read what the office holds"),
            step(
                "tax office",
                "register",
                vec![who("li"), text("320102-1975")],
                "refused: Li is not in the citizen registry (the registry's own error)",
            ),
            step(
                "tax office",
                "register",
                vec![who("wang"), text("110101-1980")],
                "a taxpayer is registered, after the registry confirms who they are",
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
                    contract: "",
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
