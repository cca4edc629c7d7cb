//! The test runner behind `writ test`: compiles a file's `test` and
//! `property` blocks into a harness (`writ_compiler::codegen::build_tests`),
//! and runs each on a fresh in-memory ledger whose transactions go through
//! the node's execution core (`writ_vm::execute`). Properties get generated inputs (proptest), shrinking and a
//! seed that reproduces a failure.
//!
//! Boundary: depends on the compiler, the VM and the ABI; the CLI and the
//! language server only render what it returns.
//! Invariant: a run is a function of the source, the options and the seed:
//! the same inputs give the same results, traces and gas.

#[cfg(test)]
mod agrees_with_node;
pub mod coverage;
mod fuzz;
mod ledger;
mod property;
pub mod prove;
pub mod report;
pub mod setup_state;
mod spec_check;

use std::sync::{Arc, Mutex, PoisonError};

use writ_abi::document::ContractAbi;
use writ_compiler::codegen::{TestHarness, build_tests};
use writ_compiler::{Analysis, Diagnostic, FileId};
use writ_vm::{Abort, Call, CallContext, Contract, MemoryState, Outcome, Vm};

pub use fuzz::FuzzOptions;
pub use ledger::{Failure, GasRecord, START_TIME, account};

use writ_vm::explain::describe_abort;

use crate::ledger::{Env, Ledger, Runner};

/// Gas limit of each contract call a test makes, unless `--gas-limit`
/// says otherwise: ten times what the shipped examples' costliest entry
/// point needs, so a runaway loop fails its own call quickly.
pub const DEFAULT_GAS_LIMIT: u64 = 100_000_000;
/// Budget of an invariant check's own instructions (invariants run after
/// every call, whatever `--gas-limit` says, so they get the VM's maximum).
pub const HARNESS_GAS_LIMIT: u64 = writ_vm::limits::CALL_GAS_LIMIT_MAX;
/// Cases per property unless `--cases` says otherwise.
pub const DEFAULT_CASES: u32 = 256;

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Run only tests whose name contains this text.
    pub filter: Option<String>,
    /// Run only the test with exactly this name.
    pub exact: Option<String>,
    pub gas_limit: u64,
    pub cases: u32,
    /// Seed for every property; `None` derives one from each property's
    /// name, so plain runs are reproducible.
    pub seed: Option<u64>,
    /// `--fuzz`: after the tests, fuzz from each test's state.
    pub fuzz: Option<FuzzOptions>,
    /// `--coverage`: compile contracts with probes and count them.
    pub coverage: bool,
    /// Which invariants and specs run around calls (all, for tests).
    pub checks: Checks,
}

/// What is checked around the calls a test makes. `writ prove` replays a
/// counterexample with only what it claims is broken, so that another
/// broken promise met on the way cannot stand in for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Checks {
    #[default]
    All,
    /// The invariants, no spec.
    Invariants,
    /// The spec of this function, no invariant.
    Spec(String),
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            filter: None,
            exact: None,
            gas_limit: DEFAULT_GAS_LIMIT,
            cases: DEFAULT_CASES,
            seed: None,
            fuzz: None,
            coverage: false,
            checks: Checks::All,
        }
    }
}

/// The result of one test or property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    pub name: String,
    pub property: bool,
    /// A fuzzing run that used the test `name` as its setup.
    pub fuzz: bool,
    /// Line and column of the test's name.
    pub line: u32,
    pub column: u32,
    pub outcome: CaseOutcome,
    /// Gas of every successful contract call the test made (for a
    /// property, over all its cases).
    pub gas: Vec<GasRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseOutcome {
    /// `cases`: how many generated cases a property ran (1 for a test).
    Passed {
        cases: u32,
    },
    /// Fuzzing found no broken invariant: how many sequences and calls it
    /// tried, and how many calls succeeded (aborted ones change nothing).
    Fuzzed {
        sequences: u32,
        calls: u64,
        succeeded: u64,
    },
    Failed(Box<CaseFailure>),
}

/// Everything needed to understand a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFailure {
    pub message: String,
    /// `file:line:column` of the failing assertion or call, when known.
    pub location: Option<String>,
    /// The calls the test made, oldest first, up to the failure.
    pub trace: Vec<String>,
    /// For a property: the (shrunk) inputs and the seed that finds them.
    pub inputs: Option<String>,
    pub seed: Option<u64>,
    /// For fuzzing: the failing call sequence as a Writ test to paste.
    pub reproduction: Option<String>,
}

/// The results of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub file: String,
    pub results: Vec<CaseResult>,
    /// Tests the filter left out.
    pub filtered_out: usize,
    /// With `--coverage`: what the tests executed of the contracts.
    pub coverage: Option<coverage::Coverage>,
}

/// Why a file's tests could not run at all.
#[derive(Debug)]
pub enum RunError {
    /// The file does not compile (diagnostics, including E3001).
    Compile(Vec<Diagnostic>),
    /// A compiled module was refused by the VM: a compiler defect.
    Prepare(String),
}

/// Compiles and runs the tests of `file`. The caller has checked that the
/// analysis has no errors.
pub fn run_file(
    analysis: &Analysis,
    file: FileId,
    vm: &Arc<Vm>,
    options: &RunOptions,
) -> Result<FileReport, RunError> {
    let name = analysis.file(file).map_or_else(String::new, |f| f.name.clone());
    let harness = match build_tests(analysis, file, options.coverage) {
        Ok(Some(harness)) => harness,
        Ok(None) => {
            return Ok(FileReport { file: name, results: Vec::new(), filtered_out: 0, coverage: None });
        }
        Err(diagnostics) => return Err(RunError::Compile(diagnostics)),
    };
    let prepared = Prepared::new(vm, &harness, options)?;
    let source = analysis.file(file).map_or("", |f| f.text.as_str());
    let mut results = Vec::new();
    let mut filtered_out = 0;
    for case in &harness.cases {
        let wanted = options.exact.as_ref().is_none_or(|exact| *exact == case.name)
            && options.filter.as_ref().is_none_or(|filter| case.name.contains(filter.as_str()));
        if !wanted {
            filtered_out += 1;
            continue;
        }
        let (line, column) = writ_compiler::span::line_col(source, case.span.lo);
        let (outcome, gas) = match &case.params {
            None => {
                let run = prepared.run_case(&case.entry, &[]);
                let outcome = match run.failure {
                    None => CaseOutcome::Passed { cases: 1 },
                    Some(failure) => {
                        CaseOutcome::Failed(Box::new(prepared.explain(&name, source, failure, run.trace)))
                    }
                };
                (outcome, run.gas)
            }
            Some(params) => property::run(&prepared, case, params, options, &name, source),
        };
        let passed = matches!(outcome, CaseOutcome::Passed { .. });
        results.push(CaseResult {
            name: case.name.clone(),
            property: case.params.is_some(),
            fuzz: false,
            line,
            column,
            outcome,
            gas,
        });
        // Fuzzing continues from a passing test's state.
        if let (Some(fuzz), None, true) = (options.fuzz, &case.params, passed)
            && let Some(outcome) = fuzz::fuzz_from(&prepared, case, options, fuzz, &name, source)
        {
            results.push(CaseResult {
                name: case.name.clone(),
                property: false,
                fuzz: true,
                line,
                column,
                outcome,
                gas: Vec::new(),
            });
        }
    }
    let coverage = prepared.env.coverage.as_ref().map(|hits| {
        let hits = hits.lock().unwrap_or_else(PoisonError::into_inner);
        coverage::Coverage::from_probes(analysis, &harness.probes, &hits)
    });
    Ok(FileReport { file: name, results, filtered_out, coverage })
}

/// A harness and its contracts, compiled and ready to instantiate.
pub(crate) struct Prepared {
    pub vm: Arc<Vm>,
    pub harness: Arc<Contract>,
    pub env: Arc<Env>,
}

/// One run of a test body.
pub(crate) struct CaseRun {
    pub failure: Option<Failure>,
    pub trace: Vec<String>,
    pub gas: Vec<GasRecord>,
}

impl Prepared {
    fn new(vm: &Arc<Vm>, harness: &TestHarness, options: &RunOptions) -> Result<Prepared, RunError> {
        let gas_limit = options.gas_limit;
        let compiled = vm
            .prepare_harness(&harness.wasm)
            .map_err(|e| RunError::Prepare(format!("the test harness: {e}")))?;
        let mut contracts = Vec::new();
        for artifact in &harness.contracts {
            // Instrumented contracts import the runner's operation, so they
            // are prepared as harnesses are.
            let prepared = if options.coverage {
                vm.prepare_harness(&artifact.wasm)
            } else {
                vm.prepare(&artifact.wasm)
            };
            let contract =
                prepared.map_err(|e| RunError::Prepare(format!("contract {}: {e}", artifact.contract)))?;
            contracts.push((contract, artifact.abi.clone()));
        }
        let env = Env {
            vm: Arc::clone(vm),
            harness: Arc::clone(&compiled),
            invariants: match options.checks {
                Checks::Spec(_) => Vec::new(),
                _ => harness.invariants.clone(),
            },
            specs: harness
                .specs
                .iter()
                .filter(|s| match &options.checks {
                    Checks::All => true,
                    Checks::Invariants => false,
                    Checks::Spec(function) => s.function == *function,
                })
                .cloned()
                .collect(),
            contracts,
            sites: harness.sites.clone(),
            types: harness.types.clone(),
            gas_limit: gas_limit.min(writ_vm::limits::CALL_GAS_LIMIT_MAX),
            coverage: options.coverage.then(|| Arc::new(Mutex::new(vec![0; harness.probes.len()]))),
        };
        Ok(Prepared { vm: Arc::clone(vm), harness: compiled, env: Arc::new(env) })
    }

    /// Runs entry `entry` of the harness with `args` on a fresh ledger.
    pub(crate) fn run_case(&self, entry: &str, args: &[u8]) -> CaseRun {
        let (mut run, mut ledger) = self.run_keeping_ledger(entry, args);
        run.trace = ledger.trace.drain(..).map(|t| t.line).collect();
        run
    }

    /// Runs a harness entry on a fresh ledger and hands the ledger back
    /// (its trace not yet taken): the fuzzer continues from a test's state.
    pub(crate) fn run_keeping_ledger(&self, entry: &str, args: &[u8]) -> (CaseRun, Ledger) {
        let ledger = Arc::new(Mutex::new(Ledger::new()));
        let runner = Runner { ledger: Arc::clone(&ledger), env: Arc::clone(&self.env) };
        let admin = account("admin");
        let (time, height) = {
            let l = ledger.lock().unwrap_or_else(PoisonError::into_inner);
            (l.time(), l.height())
        };
        let call = Call {
            entry,
            args,
            context: CallContext {
                contract: [0; 20],
                caller: admin,
                signers: vec![admin],
                block_time: time,
                block_height: height,
                // The body's own instructions run under the same limit as
                // each call it makes, so a runaway loop in a test stops as
                // soon as one in a contract would.
                gas_limit: self.env.gas_limit,
            },
            state: Arc::new(MemoryState::new()),
            directory: None,
        };
        let report = self.vm.run_harness(&self.harness, call, Box::new(runner), false);
        let mut ledger = std::mem::take(&mut *ledger.lock().unwrap_or_else(PoisonError::into_inner));
        let failure = match (ledger.failure.take(), report) {
            (Some(failure), _) => Some(failure),
            (None, Ok(report)) => match report.outcome {
                Outcome::Success(_) => None,
                Outcome::Aborted(abort) => Some(Failure {
                    site: ledger.at,
                    message: match abort {
                        Abort::OutOfGas => format!(
                            "the test itself ran out of gas: its own instructions used the whole limit of {} gas (`--gas-limit`)",
                            self.env.gas_limit
                        ),
                        abort => format!(
                            "the test itself aborted: {}",
                            describe_abort(&abort, &ContractAbi::empty())
                        ),
                    },
                }),
            },
            (None, Err(error)) => Some(Failure { site: None, message: format!("the VM failed: {error}") }),
        };
        let gas = std::mem::take(&mut ledger.gas);
        (CaseRun { failure, trace: Vec::new(), gas }, ledger)
    }

    /// A failure with its location and trace.
    pub(crate) fn explain(
        &self,
        file: &str,
        source: &str,
        failure: Failure,
        trace: Vec<String>,
    ) -> CaseFailure {
        let location = failure.site.and_then(|s| self.env.sites.get(s as usize)).map(|site| {
            let (line, column) = writ_compiler::span::line_col(source, site.span.lo);
            format!("{file}:{line}:{column}")
        });
        CaseFailure {
            message: failure.message,
            location,
            trace,
            inputs: None,
            seed: None,
            reproduction: None,
        }
    }
}
