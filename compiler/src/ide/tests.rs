//! Tests of the editor queries on small fixtures; `$0` marks the cursor.

use super::*;
use crate::analysis::Analysis;
use crate::span::FileId;

const CONTRACT: &str = r#"
/// A registry of filings.
contract Registry {
    roles { Clerk, Auditor }
    struct Filing { amount: Decimal, year: u32 }
    storage { filings: Map<u32, Filing>, total: Decimal }
    event Filed(year: u32, amount: Decimal);
    error Missing(year: u32);

    pub fn file(year: u32, amount: Decimal) requires Clerk {
        let filing = Filing { amount, year };
        self.filings[year] = filing;
        self.total += amount;
        emit Filed(year, amount);
    }

    pub view fn amount_of(year: u32) -> Decimal {
        match self.filings.get(year) {
            Some(f) => f.amount,
            None => fail Missing(year),
        }
    }
}
"#;

/// The analysis of `src` with `$0` removed, and the cursor's offset.
fn at(src: &str) -> (Analysis, u32) {
    let offset = src.find("$0").unwrap_or_else(|| panic!("fixture without $0")) as u32;
    (Analysis::single("test.writ", &src.replace("$0", "")), offset)
}

/// Inserts `snippet` (holding `$0`) just before the closing brace of `file`.
fn in_body(snippet: &str) -> String {
    CONTRACT.replace(
        "        emit Filed(year, amount);\n",
        &format!("        emit Filed(year, amount);\n{snippet}\n"),
    )
}

fn labels(src: &str) -> Vec<String> {
    let (analysis, offset) = at(src);
    completions(&analysis, FileId(0), offset).into_iter().map(|c| c.label).collect()
}

fn has_all(found: &[String], expected: &[&str]) {
    for e in expected {
        assert!(found.iter().any(|f| f == e), "missing {e} in {found:?}");
    }
}

// `self.` on a half-typed line offers storage and the contract's functions.
#[test]
fn completes_self_members_while_typing() {
    let found = labels(&in_body("        self.$0"));
    has_all(&found, &["filings", "total", "file", "amount_of"]);
    assert!(!found.iter().any(|f| f == "let"), "{found:?}");
}

// Fields of a struct value, methods of built-in types, through indexes.
#[test]
fn completes_fields_and_methods() {
    has_all(&labels(&in_body("        filing.$0")), &["amount", "year"]);
    has_all(&labels(&in_body("        self.total.$0")), &["round", "abs"]);
    has_all(&labels(&in_body("        self.filings[year].$0")), &["amount", "year"]);
    has_all(&labels(&in_body("        self.filings.get(year).$0")), &["unwrap", "is_some"]);
}

// Events after `emit`, errors after `fail`, roles after `requires`.
#[test]
fn completes_events_errors_roles() {
    assert_eq!(labels(&in_body("        emit $0")), vec!["Filed"]);
    assert_eq!(labels(&in_body("        fail Mi$0")), vec!["Missing"]);
    let roles = labels(&CONTRACT.replace("requires Clerk", "requires $0"));
    assert_eq!(roles, vec!["Admin", "Clerk", "Auditor"]);
}

// In a spec: entry points after `spec`, clause words where a clause
// starts, and the function's parameters and `result` in expressions.
#[test]
fn completes_in_specs() {
    let spec = |body: &str| {
        CONTRACT.replace("    pub view fn amount_of", &format!("{body}\n    pub view fn amount_of"))
    };
    assert_eq!(labels(&spec("    spec $0")), vec!["file", "amount_of"]);
    let words = labels(&spec("    spec file {\n        $0\n    }"));
    assert_eq!(
        words.get(..5),
        Some(&["assumes", "ensures", "aborts_if", "modifies", "emits"].map(String::from)[..])
    );
    let names = labels(&spec("    spec file {\n        ensures self.total >= $0;\n    }"));
    has_all(&names, &["year", "amount", "old"]);
    assert!(!names.iter().any(|n| n == "ensures"), "clause words offered inside an expression: {names:?}");
    let view = labels(&spec("    spec amount_of {\n        ensures res$0;\n    }"));
    has_all(&view, &["year", "result"]);
    assert_eq!(labels(&spec("    spec file {\n        emits $0\n    }")), vec!["Filed"]);
}

// Locals in scope with their types; locals of other bodies are not offered.
#[test]
fn completes_locals_in_scope() {
    let (analysis, offset) = at(&in_body("        let x = fil$0"));
    let found = completions(&analysis, FileId(0), offset);
    let filing = found.iter().find(|c| c.label == "filing").unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(filing.detail.as_deref(), Some("Filing"));
    assert!(found.iter().any(|c| c.label == "amount" && c.kind == CompletionKind::Local));
    assert!(!found.iter().any(|c| c.label == "f"), "a match binding of another body leaked");
    assert!(found.iter().any(|c| c.label == "require" && c.detail.is_some()));
    assert!(found.iter().any(|c| c.label == "while" && c.kind == CompletionKind::Keyword));
}

// Entry points after `.` on a contract handle in a test.
#[test]
fn completes_entry_points_on_handles() {
    let src = format!("{CONTRACT}\ntest \"t\" {{\n    let r = deploy Registry();\n    r.$0\n}}\n");
    has_all(&labels(&src), &["file", "amount_of", "from", "grant_role"]);
}

// Library modules after `std::`, their items in `use` braces, with imports.
#[test]
fn completes_library_paths() {
    has_all(&labels("use std::$0"), &["tax", "money"]);
    has_all(&labels("use std::tax::{$0}"), &["progressive"]);
    let (analysis, offset) = at("fn f() -> Decimal {\n    progr$0\n}\n");
    let found = completions(&analysis, FileId(0), offset);
    let item = found.iter().find(|c| c.label == "progressive").unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(item.import, Some((0, "use std::tax::progressive;\n".to_string())));
}

// Nothing completes inside comments and strings.
#[test]
fn no_completion_in_comments_or_strings() {
    assert!(labels("// self.$0\n").is_empty());
    assert!(labels("fn f() { let s = \"ab$0\"; }").is_empty());
}

// The active parameter follows the commas, for user functions and built-ins.
#[test]
fn signature_help_counts_commas() {
    let (analysis, offset) = at(&in_body("        self.file(2024, $0"));
    let help = signature_help(&analysis, FileId(0), offset).unwrap_or_else(|| panic!("no help"));
    assert_eq!(help.label, "file(year: u32, amount: Decimal)");
    assert_eq!(help.active, 1);
    let (analysis, offset) = at(&in_body("        require(self.total > 0.00, $0"));
    let help = signature_help(&analysis, FileId(0), offset).unwrap_or_else(|| panic!("no help"));
    assert_eq!((help.label.as_str(), help.active), ("require(condition: bool, message: String)", 1));
    let (analysis, offset) = at(&in_body("        emit Filed($0"));
    let help = signature_help(&analysis, FileId(0), offset).unwrap_or_else(|| panic!("no help"));
    assert_eq!(help.params, vec!["year: u32", "amount: Decimal"]);
}

// The outline nests members under the contract.
#[test]
fn document_symbols_nest() {
    let analysis = Analysis::single("t.writ", CONTRACT);
    let symbols = document_symbols(&analysis, FileId(0));
    assert_eq!(symbols.len(), 1);
    let names: Vec<&str> = symbols[0].children.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["Clerk", "Auditor", "Filing", "filings", "total", "Filed", "Missing", "file", "amount_of"]
    );
    assert_eq!(symbols[0].children[2].children.len(), 2);
    let found = workspace_symbols(&analysis, "amtof");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].container.as_deref(), Some("Registry"));
}

// Names are classified by what they resolve to.
#[test]
fn semantic_tokens_classify_names() {
    let analysis = Analysis::single("t.writ", CONTRACT);
    let tokens = semantic_tokens(&analysis, FileId(0));
    let kind_of = |text: &str, nth: usize| {
        let lo = CONTRACT.match_indices(text).nth(nth).map(|(i, _)| i as u32);
        tokens.iter().find(|t| Some(t.span.lo) == lo).map(|t| t.kind)
    };
    assert_eq!(kind_of("Registry", 0), Some(TokenKind::Class));
    assert_eq!(kind_of("Clerk", 1), Some(TokenKind::EnumMember));
    assert_eq!(kind_of("Filed", 1), Some(TokenKind::Event));
    assert_eq!(kind_of("filings", 1), Some(TokenKind::Property));
    assert_eq!(kind_of("year: u32, amount: Decimal) requires", 0), Some(TokenKind::Parameter));
    assert_eq!(kind_of("Decimal", 0), Some(TokenKind::Type));
    assert_eq!(kind_of("contract", 0), Some(TokenKind::Keyword));
    assert_eq!(kind_of("/// A registry", 0), Some(TokenKind::Comment));
    assert!(tokens.windows(2).all(|w| w[0].span.hi <= w[1].span.lo));
}

// Only `let` bindings without annotation get a type hint.
#[test]
fn inlay_hints_for_inferred_lets() {
    let src = "fn f() -> u64 {\n    let a = 1;\n    let b: u64 = a;\n    b\n}\n";
    let analysis = Analysis::single("t.writ", src);
    let hints = inlay_hints(&analysis, FileId(0), 0, src.len() as u32);
    let offset = src.find("a = 1").map(|i| i as u32 + 1);
    assert_eq!(hints, vec![InlayHint { offset: offset.unwrap_or(0), label: ": u64".into() }]);
}

// Folds cover the contract, its functions, blocks and the doc comment.
#[test]
fn folding_covers_items_and_blocks() {
    let analysis = Analysis::single("t.writ", CONTRACT);
    let folds = folding_ranges(&analysis, FileId(0));
    assert!(
        folds.iter().any(|f| f.kind == FoldKind::Region && CONTRACT[f.span.range()].starts_with("contract"))
    );
    assert!(folds.iter().any(|f| CONTRACT[f.span.range()].starts_with("match")));
    assert!(folds.iter().any(|f| f.kind == FoldKind::Comment));
}

// Rename renames every mention and refuses bad names and clashes.
#[test]
fn rename_checks_the_new_name() {
    let (analysis, offset) = at(&CONTRACT.replace("let filing =", "let fil$0ing ="));
    let spans = rename(&analysis, FileId(0), offset, "record").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spans.len(), 2);
    assert_eq!(rename(&analysis, FileId(0), offset, "fn"), Err(RenameError::Keyword("fn".into())));
    assert_eq!(rename(&analysis, FileId(0), offset, "9x"), Err(RenameError::NotIdentifier("9x".into())));
    assert!(rename(&analysis, FileId(0), offset, "from").is_ok());
    let clash = rename(&analysis, FileId(0), offset, "amount");
    assert!(matches!(clash, Err(RenameError::Breaks { .. })), "{clash:?}");
    let (analysis, offset) = at("use std::tax::progr$0essive;\n");
    assert_eq!(prepare_rename(&analysis, FileId(0), offset), Err(RenameError::Library("std::tax".into())));
}

// No query panics at any offset of a real example, or of a truncated one.
#[test]
fn queries_never_panic() {
    let source = include_str!("../../../examples/tax/tax.writ");
    for cut in [source.len(), source.len() / 2, source.len() / 3 + 7] {
        let text = &source[..source.floor_char_boundary(cut)];
        let analysis = Analysis::single("t.writ", text);
        for offset in (0..text.len() as u32 + 3).step_by(37) {
            let _ = completions(&analysis, FileId(0), offset);
            let _ = signature_help(&analysis, FileId(0), offset);
            let _ = prepare_rename(&analysis, FileId(0), offset);
        }
        let _ = semantic_tokens(&analysis, FileId(0));
        let _ = folding_ranges(&analysis, FileId(0));
        let _ = document_symbols(&analysis, FileId(0));
        let _ = inlay_hints(&analysis, FileId(0), 0, u32::MAX);
    }
    assert!(completions(&Analysis::single("t.writ", ""), FileId(7), 3).is_empty());
}
