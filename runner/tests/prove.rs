//! `writ prove` on planted bugs and their fixes (`tests/prove/*.writ`):
//! each file says what it expects (`// expect: VERDICT "invariant"`, or
//! `"spec f: clause"` for a clause of a spec), and every verdict must be
//! exactly that. A counterexample is only
//! reported after its test failed on the VM (`prove_file` replays it), so a
//! planted bug found here is a failing test, not only a model.
//!
//! Needs Z3 on `PATH` (Debian's `z3`, installed by `.ci/run`); without it
//! the test says so and passes, except under CI (`CI` set).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use writ_compiler::{Analysis, FileId};
use writ_prover::{Budget, Solver, SolverError};
use writ_runner::prove::{ProveOptions, prove_file};
use writ_runner::{CaseOutcome, FuzzOptions, RunOptions, run_file};

/// A solver session; `None` (the test skipped) without Z3, except under
/// CI, where `.ci/run` installs it.
fn solver() -> Option<Solver> {
    match Solver::start(Budget::default(), None) {
        Ok(solver) => Some(solver),
        Err(e @ SolverError::NotInstalled(_)) => {
            assert!(std::env::var_os("CI").is_none(), "{e}");
            eprintln!("skipped: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn planted_bugs_are_found_and_fixes_proved() {
    let Some(mut solver) = solver() else { return };
    let vm = Arc::new(writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/prove");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    assert!(paths.len() >= 6, "{paths:?}");
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut expected: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| l.strip_prefix("// expect: "))
            .map(|l| {
                let (verdict, invariant) = l.split_once(' ').unwrap();
                (verdict.to_string(), invariant.trim_matches('"').to_string())
            })
            .collect();
        expected.sort();
        // `// from-test: NAME`: search from that test's state too.
        let from_test =
            text.lines().find_map(|l| l.strip_prefix("// from-test: ")).map(|t| t.trim().to_string());
        let analysis = Analysis::single(&name, &text);
        assert!(!analysis.has_errors(), "{name}: {:?}", analysis.diagnostics());
        let started = Instant::now();
        let options = ProveOptions { depth: 4, budget: 5_000_000, from_test, deadline: None };
        let results = prove_file(&mut solver, &analysis, FileId(0), &vm, options)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut got: Vec<(String, String)> = results
            .iter()
            .map(|r| {
                let what = match &r.spec {
                    Some(function) => format!("spec {function}: {}", r.invariant),
                    None => r.invariant.clone(),
                };
                (r.verdict.name().to_string(), what)
            })
            .collect();
        got.sort();
        assert_eq!(got, expected, "{name}: {results:#?}");
        for r in results.iter().filter(|r| r.test.is_some()) {
            assert!(r.detail.ends_with("(replayed on the VM)"), "{name}: {r:?}");
        }
        // Figures for docs/prove.md (`cargo test -p writ-runner --test
        // prove -- --nocapture`); never asserted.
        println!("{name}: {:.2} s", started.elapsed().as_secs_f64());
    }
}

// The search from a test's state reaches what the search from `init`
// does not (the docket's appeal needs five calls after deploying, the
// search goes four deep); the sequence it prints starts with the test's
// body. A test that fails or is a property is an error that says so.
#[test]
fn a_search_from_a_tests_state_reaches_further_than_from_init() {
    let Some(mut solver) = solver() else { return };
    let vm = Arc::new(writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/prove/docket.writ");
    let text = std::fs::read_to_string(path).unwrap();
    let analysis = Analysis::single("docket.writ", &text);
    let invariant = |results: &[writ_runner::prove::InvariantResult]| {
        results.iter().find(|r| r.spec.is_none()).cloned().unwrap()
    };
    let from_init = prove_file(&mut solver, &analysis, FileId(0), &vm, ProveOptions::default()).unwrap();
    assert_eq!(invariant(&from_init).verdict.name(), "bounded", "{from_init:#?}");
    let options = ProveOptions { from_test: Some("a case is decided".into()), ..ProveOptions::default() };
    let from_test = prove_file(&mut solver, &analysis, FileId(0), &vm, options).unwrap();
    let found = invariant(&from_test);
    assert_eq!(found.verdict.name(), "counterexample", "{found:#?}");
    let test = found.test.unwrap();
    assert!(test.contains("    d.from(clerk).advance(id);\n    // the calls that break it:\n"), "{test}");
    assert!(test.ends_with("    d.from(account(\"party\")).appeal(0);\n}"), "{test}");

    // A deploy bound over two lines and a body that ends in an expression:
    // the handle comes from the test's tree, the calls follow a `;`.
    let split = text
        .replace("let d = deploy Docket();", "let d =\n        deploy Docket();")
        .replace("advance(id);\n}", "advance(id)\n}");
    assert_ne!(split, text);
    let analysis = Analysis::single("docket.writ", &split);
    let options = ProveOptions { from_test: Some("a case is decided".into()), ..ProveOptions::default() };
    let found = invariant(&prove_file(&mut solver, &analysis, FileId(0), &vm, options).unwrap());
    assert_eq!(found.verdict.name(), "counterexample", "{found:#?}");
    let test = found.test.unwrap();
    assert!(test.contains("advance(id)\n    ;\n    // the calls that break it:\n"), "{test}");
    assert!(test.contains("    d.from(account(\"party\")).appeal(0);\n"), "{test}");

    let with_failing =
        text.replace("d.from(clerk).advance(id);\n}", "d.from(clerk).advance(id);\n    assert(false);\n}");
    // A file without the test searches from `init` alone (`writ prove`
    // refuses a name no file of the run has, with exit code 2).
    let options = ProveOptions { from_test: Some("a case is heard".into()), ..ProveOptions::default() };
    let elsewhere = prove_file(&mut solver, &analysis, FileId(0), &vm, options).unwrap();
    assert_eq!(elsewhere, from_init);
    let bad = [
        ("a case is decided", with_failing, "the test \"a case is decided\" fails"),
        (
            "fees add up",
            format!("{text}\nproperty \"fees add up\" (fee: u64) {{ assert(fee >= 0); }}\n"),
            "is a property",
        ),
    ];
    for (name, text, why) in bad {
        let analysis = Analysis::single("docket.writ", &text);
        assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics());
        let options = ProveOptions { from_test: Some(name.into()), ..ProveOptions::default() };
        let error = prove_file(&mut solver, &analysis, FileId(0), &vm, options).unwrap_err();
        assert!(error.contains(why), "{error}");
    }
}

// Agreement with the fuzzer: every invariant or spec the fuzzer breaks in
// the fuzz fixtures (`tests/exec/fuzz/`), the prover finds a counterexample
// to as well (replayed on the VM, like every counterexample).
#[test]
fn the_prover_finds_what_the_fuzzer_finds() {
    let Some(mut solver) = solver() else { return };
    let vm = Arc::new(writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exec/fuzz");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    let (mut compared, mut refused) = (0, 0);
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let analysis = Analysis::single(&name, &text);
        let options = RunOptions { fuzz: Some(FuzzOptions::default()), ..RunOptions::default() };
        let report = run_file(&analysis, FileId(0), &vm, &options).unwrap_or_else(|_| panic!("{name} runs"));
        let found: Vec<String> = report
            .results
            .iter()
            .filter(|r| r.fuzz)
            .filter_map(|r| match &r.outcome {
                CaseOutcome::Failed(failure) => Some(failure.message.clone()),
                _ => None,
            })
            .collect();
        if found.is_empty() {
            continue;
        }
        let results = prove_file(&mut solver, &analysis, FileId(0), &vm, ProveOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for message in found {
            // The fuzzer names what broke as `writ test` does: the
            // invariant in quotes, or the spec's function.
            let same: Vec<_> = results
                .iter()
                .filter(|r| match &r.spec {
                    Some(function) => message.contains(&format!("the spec of `{function}`")),
                    None => message.contains(&format!("invariant \"{}\"", r.invariant)),
                })
                .collect();
            assert!(
                !same.is_empty(),
                "{name}: the prover has no verdict for what the fuzzer found: {message}"
            );
            // What the prover does not model it says so by name (the
            // recursive types of `recursive.writ`: once a stack overflow
            // of the prover, found by this test); anything else it must find.
            if same.iter().all(|r| r.verdict.name() == "unknown" && r.detail.starts_with("not modelled yet"))
            {
                refused += 1;
                continue;
            }
            assert!(
                same.iter().any(|r| r.verdict.name() == "counterexample"),
                "{name}: the fuzzer found {message}, the prover says {same:#?}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 2, "the fuzz fixtures should hold at least two planted bugs the prover models");
    assert_eq!(refused, 1, "only the recursive types are beyond the prover");
}

// The examples, with the budget `writ prove` uses by default: every
// invariant and spec clause of the tax office, the evidence register and
// the share register is proved — the share register's dividend split
// through its loop invariant (`invariant …;` at the top of the loop that
// makes each part owed), the loop that collects the holders and
// `std::money::pro_rata` read by what they can write and return.
#[test]
fn the_examples_are_proved() {
    let Some(mut solver) = solver() else { return };
    let vm = Arc::new(writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap());
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for name in ["tax", "evidence", "equity"] {
        let text = std::fs::read_to_string(examples.join(name).join(format!("{name}.writ"))).unwrap();
        let analysis = Analysis::single(&format!("{name}.writ"), &text);
        let started = Instant::now();
        let results = prove_file(&mut solver, &analysis, FileId(0), &vm, ProveOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!results.is_empty(), "{name}");
        for r in &results {
            assert_eq!(r.verdict.name(), "proved", "{name}: {r:#?}");
        }
        println!("{name}: {} verdicts in {:.2} s", results.len(), started.elapsed().as_secs_f64());
    }
}

// A budget too small for any real query: claims are `unknown` (or
// settled where Z3's simplifier alone settles them), none is an error or
// a counterexample. Z3 stops taking commands after such a query, so
// this walks the reset-and-encode-again path after every one of them.
#[test]
fn a_spent_budget_is_unknown_never_an_error() {
    let Some(mut solver) = solver() else { return };
    let vm = Arc::new(writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/prove");
    for name in ["permits_fixed.writ", "chain_fixed.writ"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let analysis = Analysis::single(name, &text);
        let results = prove_file(
            &mut solver,
            &analysis,
            FileId(0),
            &vm,
            ProveOptions { depth: 2, budget: 1, from_test: None, deadline: None },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(results.len() >= 4, "{name}: {results:#?}");
        let verdicts: Vec<&str> = results.iter().map(|r| r.verdict.name()).collect();
        println!("{name}: {verdicts:?}");
        // Z3 may still answer a query its simplifier settles before
        // spending a step: such a proof (or a search that ends) stands.
        assert!(
            verdicts.iter().all(|v| ["unknown", "proved", "bounded"].contains(v)),
            "{name}: {results:#?}"
        );
        assert!(verdicts.contains(&"unknown"), "{name}: {results:#?}");
    }
}
