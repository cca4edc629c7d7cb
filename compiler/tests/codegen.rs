//! The back end produces valid, float-free WebAssembly that follows the
//! host ABI, carries its ABI document, is byte-for-byte reproducible, and
//! refuses (E3001) what it cannot compile yet instead of mistranslating it.
//! Executing the code is tested on the VM, which depends on this crate.

mod fixture;

use std::path::Path;

use wasmparser::{Parser, Payload, Validator, WasmFeatures};
use writ_abi::document::{ContractAbi, EntryKind};
use writ_abi::host;
use writ_compiler::codegen::{Artifact, build_file};
use writ_compiler::{Analysis, Code, FileId};

fn build(name: &str, source: &str) -> (Vec<Artifact>, Vec<writ_compiler::Diagnostic>) {
    let analysis = fixture::analysis(name, source);
    let errors: Vec<_> = analysis.diagnostics().into_iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{name} has errors: {errors:?}");
    let (mut artifacts, mut diagnostics) = (Vec::new(), Vec::new());
    for file in analysis.own_files() {
        let mut output = build_file(&analysis, file.id);
        artifacts.append(&mut output.artifacts);
        diagnostics.append(&mut output.diagnostics);
    }
    (artifacts, diagnostics)
}

/// `build` without the checker's approval: what the back end does with
/// code the checker refused (it must refuse too, never mistranslate).
fn build_unchecked(name: &str, source: &str) -> (Vec<Artifact>, Vec<writ_compiler::Diagnostic>) {
    let analysis = Analysis::single(name, source);
    let output = build_file(&analysis, FileId(0));
    (output.artifacts, output.diagnostics)
}

fn token() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/build/token.writ");
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Validates with MVP features plus bulk memory and wide arithmetic, and
/// nothing that could be non-deterministic: no floats (the validator cannot
/// switch them off, so they are checked by walking the code), no SIMD, no
/// threads.
fn validate(wasm: &[u8]) {
    let features = WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::WIDE_ARITHMETIC;
    let mut validator = Validator::new_with_features(features);
    validator.validate_all(wasm).unwrap_or_else(|e| panic!("invalid module: {e}"));
    for payload in Parser::new(0).parse_all(wasm) {
        if let Ok(Payload::CodeSectionEntry(body)) = payload {
            let mut reader = body.get_operators_reader().unwrap_or_else(|e| panic!("{e}"));
            while !reader.eof() {
                let op = reader.read().unwrap_or_else(|e| panic!("{e}"));
                let text = format!("{op:?}");
                assert!(!text.starts_with("F32") && !text.starts_with("F64"), "float instruction {text}");
            }
        }
    }
}

fn exports(wasm: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Ok(Payload::ExportSection(reader)) = payload {
            for export in reader.into_iter().flatten() {
                names.push(export.name.to_string());
            }
        }
    }
    names
}

fn imports(wasm: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Ok(Payload::ImportSection(reader)) = payload {
            for import in reader.into_imports().flatten() {
                out.push((import.module.to_string(), import.name.to_string()));
            }
        }
    }
    out
}

fn abi_section(wasm: &[u8]) -> Option<ContractAbi> {
    for payload in Parser::new(0).parse_all(wasm) {
        if let Ok(Payload::CustomSection(section)) = payload
            && section.name() == host::ABI_SECTION
        {
            return serde_json::from_slice(section.data()).ok();
        }
    }
    None
}

// The token contract compiles to a valid module with the host ABI's shape.
#[test]
fn token_compiles_to_a_valid_module() {
    let (artifacts, diagnostics) = build("token.writ", &token());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let [artifact] = &artifacts[..] else { panic!("expected one artifact, got {}", artifacts.len()) };
    validate(&artifact.wasm);
    let names = exports(&artifact.wasm);
    for expected in [
        "memory",
        "writ_alloc",
        "writ_reset",
        "entry.init",
        "entry.transfer",
        "entry.mint",
        "entry.pause",
        "entry.balance",
        "entry.supply",
        "entry.find",
        "entry.sum_to",
        "entry.grant_role",
        "entry.revoke_role",
        "entry.has_role",
    ] {
        assert!(names.iter().any(|n| n == expected), "missing export {expected} in {names:?}");
    }
    for (module, name) in imports(&artifact.wasm) {
        assert_eq!(module, host::IMPORT_MODULE);
        assert!(host::host_function(&name).is_some(), "unknown import {name}");
    }
}

// A contract computing in Decimal throughout compiles to a valid module.
#[test]
fn decimal_contract_compiles() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/build/levy.writ");
    let source = std::fs::read_to_string(path).unwrap_or_default();
    let (artifacts, diagnostics) = build("levy.writ", &source);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    validate(&artifacts[0].wasm);
    let abi = &artifacts[0].abi;
    assert_eq!(abi.entry("quote").map(|e| e.returns.to_string()), Some("Decimal".to_string()));
    let names = imports(&artifacts[0].wasm);
    assert!(names.iter().any(|(_, n)| n == "decimal_mul"));
}

// Text, bytes and hashes: map keys and values, events, hashing.
#[test]
fn text_contract_compiles() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/build/registry.writ");
    let source = std::fs::read_to_string(path).unwrap_or_default();
    let (artifacts, diagnostics) = build("registry.writ", &source);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    validate(&artifacts[0].wasm);
}

// The shipped example contracts compile to valid modules.
#[test]
fn examples_compile() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for (folder, file) in [("tax", "tax.writ"), ("evidence", "evidence.writ"), ("equity", "equity.writ")] {
        let source = std::fs::read_to_string(root.join(folder).join(file)).unwrap_or_default();
        let (artifacts, diagnostics) = build(file, &source);
        assert!(diagnostics.is_empty(), "{file}: {diagnostics:?}");
        // The tax office comes with the citizen registry it consults (and
        // a test double of it).
        assert_eq!(artifacts.len(), if folder == "tax" { 3 } else { 1 }, "{file}");
        for artifact in &artifacts {
            validate(&artifact.wasm);
        }
    }
}

// Every valid fixture (together they use every construct) goes through the
// back end without a panic: valid modules, or only E3001 refusals.
#[test]
fn every_valid_fixture_builds_or_is_refused_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check/ok");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    files.sort();
    let mut built = 0;
    for path in files.iter().filter(|p| p.extension().is_some_and(|x| x == "writ")) {
        let source = std::fs::read_to_string(path).unwrap_or_default();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (artifacts, diagnostics) = build(&name, &source);
        assert!(diagnostics.iter().all(|d| d.code == Code::NotYetCompiled), "{name}: {diagnostics:?}");
        for artifact in &artifacts {
            validate(&artifact.wasm);
        }
        built += artifacts.len();
    }
    assert!(built >= 5, "only {built} contracts compiled from the fixtures");
}

// The embedded ABI says who may call what, with which types.
#[test]
fn abi_document_is_embedded() {
    let (artifacts, _) = build("token.writ", &token());
    let artifact = &artifacts[0];
    let abi = abi_section(&artifact.wasm).unwrap_or_else(|| panic!("no ABI section"));
    assert_eq!(abi, artifact.abi);
    assert_eq!(abi.name, "Token");
    assert_eq!(abi.roles, vec!["Admin", "Minter"]);
    let mint = abi.entry("mint").unwrap_or_else(|| panic!("no mint"));
    assert_eq!(mint.kind, EntryKind::Call);
    assert_eq!(mint.requires, vec!["Minter"]);
    assert_eq!(mint.params.iter().map(|p| p.ty.to_string()).collect::<Vec<_>>(), vec!["Address", "u64"]);
    let find = abi.entry("find").unwrap_or_else(|| panic!("no find"));
    assert_eq!((find.kind, find.returns.to_string()), (EntryKind::View, "Option<u64>".to_string()));
    assert_eq!(abi.events[0].name, "Transferred");
    assert_eq!(abi.errors[0].name, "Insufficient");
    assert_eq!(
        abi.storage.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        vec!["balances", "supply", "paused"]
    );
    assert_eq!(abi.source_hash.len(), 64);
}

// Same source, same bytes.
#[test]
fn builds_are_reproducible() {
    let (first, _) = build("token.writ", &token());
    let (second, _) = build("token.writ", &token());
    assert_eq!(first[0].wasm, second[0].wasm);
}

// Constructs the back end does not handle yet are refused with E3001.
#[test]
fn unsupported_constructs_are_refused() {
    // An enum all of whose variants hold the enum has no finite value, so
    // an unwritten storage field of it has no zero value. The checker
    // refuses the enum (E2037); the back end, run anyway, refuses too.
    let source = r#"
enum Never { Again(Never) }
contract Tally {
    storage { never: Never }
    init() {}
    pub view fn never() -> Never {
        self.never
    }
}
"#;
    let analysis = Analysis::single("notes.writ", source);
    assert!(analysis.diagnostics().iter().any(|d| d.code == Code::RecursiveType));
    let (artifacts, diagnostics) = build_unchecked("notes.writ", source);
    assert!(artifacts.is_empty());
    assert!(!diagnostics.is_empty());
    assert!(diagnostics.iter().all(|d| d.code == Code::NotYetCompiled), "{diagnostics:?}");
}

// A flat sum of 4 096 terms goes through every pass (check, build, the
// test harness, format, the editor's walk) on a thread with a small 2 MiB
// stack, as test threads have: a chain nests nothing, and the recursive
// passes grow their stack on the heap instead of overflowing.
#[test]
fn a_long_flat_chain_compiles_on_a_small_stack() {
    let worker = std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(|| {
        // 2 048 pairs: 4 096 operands, the most one chain may have.
        let terms: Vec<String> = (0..2048).map(|i| format!("x + {}", i % 7)).collect();
        let sum = terms.join(" + ");
        let source = format!(
            "fn total(x: u64) -> u64 {{\n    return {sum};\n}}\n\ncontract C {{\n    storage {{ n: u64 }}\n    init() {{\n        self.n = 0;\n    }}\n    pub fn go() {{\n        self.n = total(1);\n    }}\n}}\n\ntest \"sums\" {{\n    assert_eq(total(0), {});\n}}\n",
            (0..2048).map(|i| i % 7).sum::<u64>()
        );
        let (artifacts, diagnostics) = build("chain.writ", &source);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        for artifact in &artifacts {
            validate(&artifact.wasm);
        }
        let analysis = Analysis::single("chain.writ", &source);
        let harness = writ_compiler::codegen::build_tests(&analysis, FileId(0), false);
        assert!(matches!(harness, Ok(Some(_))), "{:?}", harness.err());
        let formatted = writ_compiler::format::format_source(FileId(0), &source);
        assert!(formatted.is_ok(), "{:?}", formatted.err());
        let tokens = writ_compiler::ide::semantic_tokens(&analysis, FileId(0));
        assert!(!tokens.is_empty());
        artifacts.len()
    });
    let built = worker.unwrap_or_else(|e| panic!("thread: {e}")).join();
    assert_eq!(built.ok(), Some(1), "the passes must not overflow a 2 MiB stack");
}

// Two different types of one name in a contract's ABI would be described
// as one: the build refuses rather than let callers and the VM agree on an
// encoding that is not the contract's.
#[test]
fn types_of_one_name_in_an_abi_are_refused() {
    let source = "struct Status {\n    ok: bool,\n}\n\nstruct Wrapper {\n    s: Status,\n}\n\ncontract Office {\n    enum Status { Open, Closed }\n\n    pub view fn wrapped(w: Wrapper) -> bool {\n        w.s.ok\n    }\n\n    pub view fn inner(s: Status) -> bool {\n        match s {\n            Status::Open => true,\n            Status::Closed => false,\n        }\n    }\n}\n";
    let (artifacts, diagnostics) = build("clash.writ", source);
    assert!(artifacts.is_empty());
    assert!(
        diagnostics
            .iter()
            .any(|d| d.code == Code::NotYetCompiled
                && d.message.contains("two different types named `Status`")),
        "{diagnostics:?}"
    );
}
