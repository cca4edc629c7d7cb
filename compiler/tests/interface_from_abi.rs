//! An interface written from a built contract's ABI document checks
//! cleanly, is already formatted, and gives every entry point the same
//! interface bytes as the document itself: a call compiled against it is
//! one the VM lets through to the real contract.

// A test stops at the first thing that is not there.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use writ_abi::document::{ContractAbi, EntryKind, read_from_module};
use writ_abi::interface::interface;
use writ_compiler::codegen::{abi_document, build_file};
use writ_compiler::format::format_source;
use writ_compiler::interface::interface_source;
use writ_compiler::{Analysis, FileId};

/// The ABI document of every contract the examples and the call fixtures
/// build, as read back from the artifacts.
fn built_documents() -> Vec<ContractAbi> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let sources = [
        "examples/tax/tax.writ",
        "examples/evidence/evidence.writ",
        "examples/equity/equity.writ",
        "runner/tests/exec/pass/contract_calls.writ",
    ];
    let mut out = Vec::new();
    for source in sources {
        let text = std::fs::read_to_string(root.join(source)).unwrap();
        let analysis = Analysis::single(source, &text);
        let file = analysis.own_files().next().unwrap().id;
        let built = build_file(&analysis, file);
        assert!(built.diagnostics.is_empty(), "{source}: {:?}", built.diagnostics);
        for artifact in built.artifacts {
            out.push(read_from_module(&artifact.wasm).unwrap());
        }
    }
    out
}

#[test]
fn interfaces_from_built_documents_match_them() {
    let documents = built_documents();
    assert!(documents.len() >= 8, "{} contracts built", documents.len());
    for abi in documents {
        let text = interface_source(&abi).unwrap_or_else(|e| panic!("{}: {e}", abi.name));
        assert_eq!(
            format_source(FileId(0), &text).as_deref(),
            Ok(text.as_str()),
            "{} is not formatted",
            abi.name
        );
        let analysis = Analysis::single("interface.writ", &text);
        assert_eq!(analysis.diagnostics(), Vec::new(), "{}:\n{text}", abi.name);
        let tables = analysis.tables();
        let cid = tables.contracts.iter().position(|c| c.interface && c.name == abi.name).unwrap() as u32;
        let declared = abi_document(tables, cid, "").unwrap();
        let callable: Vec<_> =
            abi.entry_points.iter().filter(|e| e.kind != EntryKind::Init && !e.generated).collect();
        assert_eq!(
            callable.len(),
            declared.entry_points.iter().filter(|e| !e.generated && e.kind != EntryKind::Init).count()
        );
        for entry in callable {
            let mine = declared.entry(&entry.name).unwrap();
            assert_eq!(
                interface(mine, &declared.types),
                interface(entry, &abi.types),
                "{}.{} differs from its document",
                abi.name,
                entry.name
            );
        }
    }
}

#[test]
fn the_registry_interface_reads_as_written() {
    let registry = built_documents().into_iter().find(|abi| abi.name == "CitizenRegistry").unwrap();
    let mut text = interface_source(&registry).unwrap();
    // The source hash changes with every edit of the example.
    let at = text.find("source SHA-256 ").unwrap() + "source SHA-256 ".len();
    text.replace_range(at..at + 64, "…");
    insta::assert_snapshot!(text);
}
