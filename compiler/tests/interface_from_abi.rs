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

mod generated {
    use proptest::prelude::*;
    use writ_abi::document::{ContractAbi, EntryKind, EntryPoint, Field};
    use writ_abi::interface::interface;
    use writ_abi::{AbiType, TypeDefs};
    use writ_compiler::Analysis;
    use writ_compiler::codegen::abi_document;
    use writ_compiler::interface::interface_source;

    /// Names to draw from: ordinary ones, and ones an interface cannot take
    /// (keywords, built-in types, predeclared names, one twice).
    const NAMES: &[&str] = &[
        "Entry", "Kind", "Status", "Date", "fn", "Admin", "Some", "who", "from", "Registry", "a b", "amount",
    ];

    fn name() -> impl Strategy<Value = String> {
        prop::sample::select(NAMES).prop_map(str::to_string)
    }

    fn leaf() -> impl Strategy<Value = AbiType> {
        prop_oneof![
            Just(AbiType::Bool),
            Just(AbiType::U8),
            Just(AbiType::U64),
            Just(AbiType::I128),
            Just(AbiType::Decimal),
            Just(AbiType::String),
            Just(AbiType::Address),
            Just(AbiType::Date),
            Just(AbiType::Timestamp),
            name().prop_map(AbiType::Named),
        ]
    }

    fn ty() -> impl Strategy<Value = AbiType> {
        leaf().prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                inner.clone().prop_map(|t| AbiType::Option(Box::new(t))),
                inner.clone().prop_map(|t| AbiType::List(Box::new(t))),
                (inner.clone(), inner.clone()).prop_map(|(k, v)| AbiType::Map(Box::new(k), Box::new(v))),
                prop::collection::vec(inner, 1..3).prop_map(AbiType::Tuple),
            ]
        })
    }

    fn document() -> impl Strategy<Value = ContractAbi> {
        let structs = prop::collection::btree_map(name(), prop::collection::vec((name(), ty()), 0..3), 0..3);
        let enums = prop::collection::btree_map(
            name(),
            prop::collection::vec((name(), prop::collection::vec(ty(), 0..2)), 1..3),
            0..3,
        );
        let entry = (name(), prop::bool::ANY, prop::collection::vec((name(), ty()), 0..3), ty()).prop_map(
            |(name, view, params, returns)| EntryPoint {
                name,
                kind: if view { EntryKind::View } else { EntryKind::Call },
                params: params.into_iter().map(|(name, ty)| Field { name, ty }).collect(),
                returns,
                requires: Vec::new(),
                generated: false,
            },
        );
        (name(), structs, enums, prop::collection::vec(entry, 1..4)).prop_map(
            |(contract, structs, enums, entries)| ContractAbi {
                name: contract,
                entry_points: entries,
                types: TypeDefs { structs, enums },
                ..ContractAbi::empty()
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        // Whatever the document, the interface is refused with a reason or
        // it checks cleanly, and each entry point's interface bytes are the
        // document's: never text that misleads.
        #[test]
        fn an_interface_is_refused_or_faithful(abi in document()) {
            if let Ok(text) = interface_source(&abi) {
                let analysis = Analysis::single("interface.writ", &text);
                let errors: Vec<_> = analysis.diagnostics().into_iter().filter(|d| d.is_error()).collect();
                // A document the checker would refuse (a map keyed by a
                // struct, a type containing itself) is the checker's to
                // report; what must never happen is a clean check that
                // means other types.
                if errors.is_empty() {
                    let tables = analysis.tables();
                    let cid = tables.contracts.iter().position(|c| c.interface && c.name == abi.name);
                    prop_assert!(cid.is_some(), "{text}");
                    let declared = abi_document(tables, cid.unwrap_or(0) as u32, "");
                    prop_assert!(declared.is_some(), "{text}");
                    let declared = declared.unwrap_or_else(ContractAbi::empty);
                    for entry in &abi.entry_points {
                        let mine = declared.entry(&entry.name);
                        prop_assert!(mine.is_some(), "{} missing from\n{text}", entry.name);
                        if let Some(mine) = mine {
                            prop_assert_eq!(
                                interface(mine, &declared.types),
                                interface(entry, &abi.types),
                                "{} in\n{}", entry.name, text
                            );
                        }
                    }
                }
            }
        }
    }
}
