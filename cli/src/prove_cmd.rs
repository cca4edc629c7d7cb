//! `writ prove`: loads the files, starts the solver and the VM, and
//! renders what `writ_runner::prove` finds (docs/prove.md).
//!
//! Exit codes: 0 nothing is a counterexample, 1 something is (or a file
//! did not compile, or the prover and the VM disagreed), 2 bad usage.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use writ_prover::{Budget, Solver};
use writ_runner::prove::{InvariantResult, ProveOptions, ProveVerdict, prove_file};

pub fn run(paths: &[PathBuf], options: ProveOptions, json_out: bool, dump: Option<&Path>, color: bool) -> u8 {
    let analysis = match crate::build_cmd::load_checked(paths, color, "nothing proved") {
        Ok(analysis) => analysis,
        Err(code) => return code,
    };
    if let Some(name) = &options.from_test
        && !has_test(&analysis, name)
    {
        errln!(
            "error: no test named \"{name}\" in the files given (--from-test names a test to search from)"
        );
        return 2;
    }
    let script = match dump {
        Some(dir) => match std::fs::create_dir_all(dir) {
            Ok(()) => Some(dir.join("prove.smt2")),
            Err(e) => {
                errln!("error: cannot create `{}`: {}", dir.display(), crate::files::io_reason(&e));
                return 2;
            }
        },
        None => None,
    };
    let mut solver = match Solver::start(Budget(options.budget), script.as_deref()) {
        Ok(solver) => solver,
        Err(e) => {
            errln!("error: {e}");
            return 1;
        }
    };
    let vm = match writ_vm::Vm::new(writ_vm::VmOptions::in_memory()) {
        Ok(vm) => Arc::new(vm),
        Err(e) => {
            errln!("error: cannot start the VM: {e}");
            return 1;
        }
    };
    let mut results: Vec<InvariantResult> = Vec::new();
    let mut failed = false;
    for file in analysis.own_files().filter(|f| crate::files::asked_for(paths, f)) {
        match prove_file(&mut solver, &analysis, file.id, &vm, options.clone()) {
            Ok(mut found) => results.append(&mut found),
            Err(message) => {
                errln!("error: {}: {message}", file.name);
                failed = true;
            }
        }
    }
    let count = |verdict: ProveVerdict| results.iter().filter(|r| r.verdict == verdict).count();
    let counterexamples = count(ProveVerdict::Counterexample);
    let mut stdout = std::io::stdout().lock();
    if json_out {
        let invariants: Vec<_> = results
            .iter()
            .filter(|r| r.spec.is_none())
            .map(|r| {
                json!({
                    "file": r.file, "contract": r.contract, "invariant": r.invariant,
                    "verdict": r.verdict.name(), "detail": r.detail, "test": r.test,
                })
            })
            .collect();
        let specs: Vec<_> = results
            .iter()
            .filter_map(|r| {
                let function = r.spec.as_ref()?;
                Some(json!({
                    "file": r.file, "contract": r.contract, "function": function, "clause": r.invariant,
                    "verdict": r.verdict.name(), "detail": r.detail, "test": r.test,
                }))
            })
            .collect();
        let summary = json!({
            "proved": count(ProveVerdict::Proved), "counterexample": counterexamples,
            "bounded": count(ProveVerdict::Bounded), "unknown": count(ProveVerdict::Unknown),
            "vacuous": count(ProveVerdict::Vacuous),
            "solver": solver.version(), "depth": options.depth, "budget": options.budget,
        });
        let _ =
            writeln!(stdout, "{}", json!({ "invariants": invariants, "specs": specs, "summary": summary }));
    } else {
        let mut heading = String::new();
        for r in &results {
            let this = format!("{}: contract {}", r.file, r.contract);
            if heading != this {
                let _ = writeln!(stdout, "{this}");
                heading = this;
            }
            match &r.spec {
                Some(function) => {
                    let _ = writeln!(
                        stdout,
                        "  {:<15} spec {function}: {}: {}",
                        r.verdict.name(),
                        r.invariant,
                        r.detail
                    );
                }
                None => {
                    let _ = writeln!(stdout, "  {:<15} \"{}\": {}", r.verdict.name(), r.invariant, r.detail);
                }
            }
            for line in r.test.iter().flat_map(|t| t.lines()) {
                let _ = writeln!(stdout, "      {line}");
            }
        }
        let _ = writeln!(
            stdout,
            "prove result: {counterexamples} counterexample, {} proved, {} bounded, {} unknown, {} vacuous ({}; depth {}, budget {} steps per query)",
            count(ProveVerdict::Proved),
            count(ProveVerdict::Bounded),
            count(ProveVerdict::Unknown),
            count(ProveVerdict::Vacuous),
            solver.version(),
            options.depth,
            options.budget,
        );
    }
    u8::from(failed || counterexamples > 0)
}

/// Whether some file of the run (not the standard library) has a test
/// named `name` (a property does not count: `prove_file` says why).
fn has_test(analysis: &writ_compiler::Analysis, name: &str) -> bool {
    analysis.own_files().any(|f| {
        f.parsed.tree.items.iter().any(|item| match &item.kind {
            writ_compiler::ast::ItemKind::Test(test) => test.name.value == name,
            writ_compiler::ast::ItemKind::Property(property) => property.name.value == name,
            _ => false,
        })
    })
}
