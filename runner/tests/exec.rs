//! The execution fixture suite: Writ programs with tests, run by the real
//! runner on the real VM.
//!
//! - `exec/pass/*.writ`: every test and property must pass.
//! - `exec/fail/*.writ`: every test and property must fail; the report
//!   (messages, locations, traces, shrunk inputs) is snapshot-tested.
//!
//! A fixture with no tests is an error, so a fixture cannot silently stop
//! testing anything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use writ_compiler::Analysis;
use writ_runner::report::render_file;
use writ_runner::{CaseOutcome, FileReport, RunOptions, run_file};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exec").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "writ"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

fn run(path: &Path, vm: &Arc<writ_vm::Vm>) -> FileReport {
    // Fewer property cases than the default keep the suite quick; the
    // seed is fixed by the property names, so results are stable.
    run_with(path, vm, &RunOptions { cases: 64, ..RunOptions::default() })
}

fn run_with(path: &Path, vm: &Arc<writ_vm::Vm>, options: &RunOptions) -> FileReport {
    let name = format!(
        "exec/{}",
        path.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exec")).unwrap().display()
    );
    let text = std::fs::read_to_string(path).unwrap();
    let analysis = Analysis::new(vec![(name.clone(), text)]);
    let errors: Vec<_> = analysis.diagnostics().into_iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{name} does not check: {errors:#?}");
    let file = analysis.file_id(&name).unwrap();
    let report = match run_file(&analysis, file, vm, options) {
        Ok(report) => report,
        Err(writ_runner::RunError::Compile(d)) => panic!("{name} does not compile: {d:#?}"),
        Err(writ_runner::RunError::Prepare(m)) => panic!("{name}: {m}"),
    };
    assert!(!report.results.is_empty(), "{name} has no tests");
    report
}

fn vm() -> Arc<writ_vm::Vm> {
    Arc::new(writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap())
}

#[test]
fn passing_fixtures_pass() {
    let vm = vm();
    let mut problems = Vec::new();
    for path in fixtures("pass") {
        let report = run(&path, &vm);
        if report.results.iter().any(|r| matches!(r.outcome, CaseOutcome::Failed(_))) {
            problems.push(render_file(&report));
        }
    }
    assert!(problems.is_empty(), "fixtures that should pass failed:\n{}", problems.join("\n"));
}

#[test]
fn failing_fixtures_fail_with_the_expected_report() {
    let vm = vm();
    for path in fixtures("fail") {
        let report = run(&path, &vm);
        let passed: Vec<&str> = report
            .results
            .iter()
            .filter(|r| matches!(r.outcome, CaseOutcome::Passed { .. }))
            .map(|r| r.name.as_str())
            .collect();
        assert!(passed.is_empty(), "{}: these tests should fail but passed: {passed:?}", report.file);
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        insta::with_settings!({ snapshot_suffix => stem, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("fail", render_file(&report));
        });
    }
}

#[test]
fn runs_are_deterministic() {
    // The same file twice, and on a second VM: identical reports, gas included.
    let path = fixtures("pass").into_iter().next().unwrap();
    let first = run(&path, &vm());
    let again = run(&path, &vm());
    assert_eq!(first, again);
    assert!(first.results.iter().any(|r| !r.gas.is_empty()), "the fixture should record gas");
}

#[test]
fn gas_report_is_deterministic_and_complete() {
    let path = fixtures("pass").into_iter().find(|p| p.ends_with("token.writ")).unwrap();
    let first = writ_runner::report::render_gas(&[run(&path, &vm())]);
    let again = writ_runner::report::render_gas(&[run(&path, &vm())]);
    assert_eq!(first, again);
    // Every entry point the file's tests call, with its call count (a
    // transaction's own call only: the escrow's call to the token's `send`
    // is part of `release`'s gas).
    let rows: Vec<Vec<&str>> = first.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
    let calls = |contract: &str, entry: &str| {
        rows.iter().find(|r| r[0] == contract && r[1] == entry).map(|r| r[2].to_string())
    };
    assert_eq!(calls("Token", "init").as_deref(), Some("2"), "{first}");
    assert_eq!(calls("Token", "mint").as_deref(), Some("2"), "{first}");
    assert_eq!(calls("Token", "send").as_deref(), Some("1"), "{first}");
    assert_eq!(calls("Token", "balance").as_deref(), Some("3"), "{first}");
    assert_eq!(calls("Escrow", "release").as_deref(), Some("1"), "{first}");
    for row in &rows {
        let [min, median, max] = [row[3], row[4], row[5]].map(|n| n.parse::<u64>().unwrap());
        assert!(min <= median && median <= max && min > 0, "{first}");
    }
}

#[test]
fn the_fuzzer_finds_a_planted_violation_shrinks_it_and_prints_a_test_that_fails() {
    let vm = vm();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exec/fuzz/planted.writ");
    let options = RunOptions { fuzz: Some(writ_runner::FuzzOptions::default()), ..RunOptions::default() };
    let report = run_with(&path, &vm, &options);
    // The setup test itself passes; the fuzz run from it fails.
    assert!(matches!(report.results[0].outcome, CaseOutcome::Passed { .. }));
    let fuzzed = report.results.iter().find(|r| r.fuzz).expect("a fuzz result");
    let CaseOutcome::Failed(failure) = &fuzzed.outcome else { panic!("the planted bug was not found") };
    assert!(failure.message.contains("the total is the sum of the deposits"), "{}", failure.message);
    // Shrunk to the two calls that matter: a deposit, then a withdrawal over 500.
    assert_eq!(failure.inputs.as_deref(), Some("2 call(s) after the setup's 3"), "{failure:?}");
    let test = failure.reproduction.clone().expect("a test to paste");
    let calls: Vec<&str> = test
        .lines()
        .skip_while(|l| !l.contains("the calls that break the invariant"))
        .filter(|l| l.trim_start().starts_with("v.from("))
        .collect();
    assert_eq!(calls.len(), 2, "{test}");
    assert!(calls[0].contains(".deposit(") && calls[1].contains(".withdraw("), "{test}");
    // Pasted into the file, the printed test fails the same way.
    let again = pasted_failure(&path, &test, &vm);
    assert!(again.contains("the total is the sum of the deposits"), "{again}");
}

/// The failure of the fuzzer's printed `test` once pasted into `path`.
fn pasted_failure(path: &Path, test: &str, vm: &Arc<writ_vm::Vm>) -> String {
    let source = std::fs::read_to_string(path).unwrap();
    let analysis = Analysis::new(vec![("pasted.writ".to_string(), format!("{source}\n{test}\n"))]);
    assert!(analysis.diagnostics().iter().all(|d| !d.is_error()), "{:#?}", analysis.diagnostics());
    let file = analysis.file_id("pasted.writ").unwrap();
    let rerun = run_file(&analysis, file, vm, &RunOptions::default()).unwrap_or_else(|_| panic!("runs"));
    let pasted = rerun.results.iter().find(|r| r.name.contains("found by writ test --fuzz")).unwrap();
    let CaseOutcome::Failed(again) = &pasted.outcome else { panic!("the pasted test passed:\n{test}") };
    again.message.clone()
}

// A spec is checked around the fuzzer's calls as around a test's: a
// contract with a spec and no invariant is fuzzed, and the violation found
// is a test that fails when pasted.
#[test]
fn the_fuzzer_finds_a_broken_spec() {
    let vm = vm();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exec/fuzz/spec_only.writ");
    let options = RunOptions { fuzz: Some(writ_runner::FuzzOptions::default()), ..RunOptions::default() };
    let report = run_with(&path, &vm, &options);
    assert!(matches!(report.results[0].outcome, CaseOutcome::Passed { .. }));
    let fuzzed = report.results.iter().find(|r| r.fuzz).expect("a fuzz result");
    let CaseOutcome::Failed(failure) = &fuzzed.outcome else { panic!("the planted bug was not found") };
    assert!(failure.message.contains("the call breaks the spec of `take`"), "{}", failure.message);
    let test = failure.reproduction.clone().expect("a test to paste");
    let again = pasted_failure(&path, &test, &vm);
    assert!(again.contains("`ensures self.held.get(caller())"), "{again}");
}

#[test]
fn coverage_counts_are_exact() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exec/coverage/gate.writ");
    let options = RunOptions { coverage: true, ..RunOptions::default() };
    let report = run_with(&path, &vm(), &options);
    assert!(matches!(report.results[0].outcome, CaseOutcome::Passed { .. }));
    let coverage = report.coverage.expect("coverage");
    let file = coverage.files.get("exec/coverage/gate.writ").expect("the contract's file");
    // knock(7), knock(1), knock(9): the `if` runs 3 times, its body twice,
    // the final `0` once; pick runs 3 times; `never` is never called.
    let lines: Vec<(u32, u64)> = file.lines.iter().map(|(l, c)| (*l, *c)).collect();
    assert_eq!(lines, vec![(10, 3), (11, 2), (12, 2), (14, 1), (18, 3), (26, 0)]);
    // The `if` took `then` twice and `else` once; of the match arms
    // `0` twice, `1` never, `_` once.
    let branches: Vec<(u32, u32, u64)> =
        file.branches.iter().map(|((l, _, arm), c)| (*l, *arm, *c)).collect();
    assert_eq!(branches, vec![(10, 0, 2), (10, 1, 1), (18, 0, 2), (18, 1, 0), (18, 2, 1)]);
    let lcov = coverage.lcov();
    assert!(
        lcov.contains("DA:26,0\n") && lcov.contains("BRDA:18,1,1,-\n") && lcov.contains("LH:5\n"),
        "{lcov}"
    );
}

// A contract called from another reports its probes to the same counts:
// `bump` ran twice through `twice`, its `else` both times.
#[test]
fn coverage_counts_calls_between_contracts() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exec/coverage/calls.writ");
    let options = RunOptions { coverage: true, ..RunOptions::default() };
    let report = run_with(&path, &vm(), &options);
    assert!(
        matches!(report.results[0].outcome, CaseOutcome::Passed { .. }),
        "{:?}",
        report.results[0].outcome
    );
    let coverage = report.coverage.expect("coverage");
    let file = coverage.files.get("exec/coverage/calls.writ").expect("the contracts' file");
    let lines: Vec<(u32, u64)> = file.lines.iter().map(|(l, c)| (*l, *c)).collect();
    assert_eq!(lines, vec![(6, 2), (7, 0), (9, 2), (11, 2), (17, 1), (19, 1), (20, 1)]);
}

#[test]
fn the_fuzzer_builds_nested_values_of_recursive_types() {
    let vm = vm();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exec/fuzz/recursive.writ");
    let options = RunOptions { fuzz: Some(writ_runner::FuzzOptions::default()), ..RunOptions::default() };
    let report = run_with(&path, &vm, &options);
    assert!(matches!(report.results[0].outcome, CaseOutcome::Passed { .. }));
    let fuzzed = report.results.iter().find(|r| r.fuzz).expect("a fuzz result");
    // Only a formula nested four deep breaks the invariant.
    let CaseOutcome::Failed(failure) = &fuzzed.outcome else { panic!("no nested formula was generated") };
    assert!(failure.message.contains("formulas stay shallow"), "{}", failure.message);
    let test = failure.reproduction.clone().expect("a test to paste");
    let last = test.lines().rev().find(|l| l.contains(".set(")).expect("the breaking call");
    assert!(last.matches("Formula::").count() >= 4, "{test}");
}
