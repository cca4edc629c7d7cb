//! Fixture tests of the whole front end: every program under
//! `tests/data/check/ok` checks clean, every program under
//! `tests/data/check/err` reports exactly the codes its `// expect:` line
//! names (and the rendered report is snapshot-tested), and together the
//! fixtures exercise every diagnostic code.
//! A fixture may hold packages of several modules (`fixture/mod.rs`).

mod fixture;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use writ_compiler::analysis::decode_source;
use writ_compiler::render::{RenderOptions, render};
use writ_compiler::{Analysis, Code, Diagnostic, FileId};

fn fixtures(folder: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check").join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "writ"))
        .collect();
    files.sort();
    files
}

/// Checks one fixture file and renders its report (ASCII, no colour).
fn check_file(path: &Path) -> (Vec<Diagnostic>, String, String) {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    match decode_source(FileId(0), bytes) {
        Err(d) => (vec![d.clone()], String::new(), writ_compiler::render::plain(&d, &name, "")),
        Ok(text) => {
            let analysis = fixture::analysis(&name, &text);
            let diagnostics = analysis.diagnostics();
            let report =
                render(&diagnostics, &analysis.sources(), RenderOptions { color: false, ascii: true });
            (diagnostics, text, report)
        }
    }
}

fn expected_codes(text: &str) -> Vec<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("// expect:"))
        .map(|rest| rest.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

// Valid programs produce no diagnostic at all, not even a warning.
#[test]
fn ok_fixtures_check_clean() {
    let mut failures = Vec::new();
    for path in fixtures("ok") {
        let (diagnostics, _, report) = check_file(&path);
        if !diagnostics.is_empty() {
            failures.push(format!("{}:\n{report}", path.display()));
        }
    }
    assert!(failures.is_empty(), "fixtures that should check clean:\n{}", failures.join("\n"));
}

// Invalid programs report exactly their expected codes, each at least as
// often as listed; the full report is kept as a snapshot.
#[test]
fn err_fixtures_report_expected_codes() {
    let mut failures = Vec::new();
    for path in fixtures("err") {
        let (diagnostics, text, report) = check_file(&path);
        let expected = if text.is_empty() {
            // Undecodable files cannot carry an expect line; the name does.
            vec![path.file_name().map(|n| n.to_string_lossy()[..5].to_string()).unwrap_or_default()]
        } else {
            expected_codes(&text)
        };
        let mut want: BTreeMap<String, usize> = BTreeMap::new();
        for code in &expected {
            *want.entry(code.clone()).or_default() += 1;
        }
        let mut got: BTreeMap<String, usize> = BTreeMap::new();
        for d in &diagnostics {
            *got.entry(d.code.as_str().to_string()).or_default() += 1;
        }
        let same_set = want.keys().collect::<BTreeSet<_>>() == got.keys().collect::<BTreeSet<_>>();
        let enough = want.iter().all(|(c, n)| got.get(c).copied().unwrap_or(0) >= *n);
        if expected.is_empty() || !same_set || !enough {
            failures.push(format!("{}: expected {want:?}, got {got:?}\n{report}", path.display()));
        }
        let name = path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        insta::with_settings!({ snapshot_path => "snapshots/check", prepend_module_to_snapshot => false, description => text.clone() }, {
            insta::assert_snapshot!(name, report);
        });
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) did not report what they expect:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// Every diagnostic code is exercised by some fixture, except those that
// need inputs too large for a fixture file (tested below, and E1006 in the
// parser's tests).
#[test]
fn every_code_has_a_fixture() {
    let mut covered = BTreeSet::new();
    for path in fixtures("err") {
        let (diagnostics, _, _) = check_file(&path);
        covered.extend(diagnostics.iter().map(|d| d.code));
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| {
            !covered.contains(c)
                && !matches!(c, Code::SourceTooLarge | Code::TooManyErrors | Code::ChainTooLong)
        })
        // Code generation diagnostics come from `writ build`; the back
        // end's own tests cover them.
        .filter(|c| !c.as_str().starts_with("E3"))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}

// A source over the size limit is refused with E0002 before lexing.
#[test]
fn oversized_source_is_refused() {
    let text = " ".repeat(writ_compiler::limits::SOURCE_BYTES_MAX + 1);
    let analysis = Analysis::single("big.writ", &text);
    let codes: Vec<Code> = analysis.diagnostics().iter().map(|d| d.code).collect();
    assert_eq!(codes, vec![Code::SourceTooLarge]);
}

// A file full of garbage stops at the per-file cap with E1005.
#[test]
fn diagnostics_are_capped_per_file() {
    let text = "@ ".repeat(writ_compiler::limits::DIAGNOSTICS_PER_FILE_MAX * 2);
    let analysis = Analysis::single("noise.writ", &text);
    let diagnostics = analysis.diagnostics();
    assert_eq!(diagnostics.len(), writ_compiler::limits::DIAGNOSTICS_PER_FILE_MAX + 1);
    assert!(diagnostics.iter().any(|d| d.code == Code::TooManyErrors));
}
