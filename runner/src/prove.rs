//! `writ prove`'s work: each invariant of a file's contracts proved by
//! `writ_prover` (induction, then the bounded search where it fails), and
//! every counterexample written as a test and replayed on the VM here,
//! through the same code that runs `writ test`, before it is reported.
//!
//! Per invariant the verdict is the weakest over `init` and the entry
//! points: `counterexample` (a sequence of calls from `init` breaks it, and
//! the printed test fails on the VM), `bounded` (some call does not keep it
//! from every state where the invariants hold, but no sequence within the
//! bounds breaks it: it may need strengthening), `unknown` (the solver's
//! budget ran out, or the contract uses what the prover does not model
//! yet), `vacuous` (no call returns from such a state), `proved`.

use std::sync::Arc;

use writ_compiler::ast::{ContractDef, ItemKind};
use writ_compiler::span::Span;
use writ_compiler::{Analysis, FileId};
use writ_prover::body::EncodeError;
use writ_prover::bounded::{Bounds, Call, Search, search, search_spec};
use writ_prover::invariant::{Verdict, check_contract, invariants};
use writ_prover::spec::check_specs;
use writ_prover::{Budget, Solver, SolverError};

use crate::setup_state::{Instance, Setup, setup_state};
use crate::{CaseOutcome, Checks, RunOptions, account, run_file};

/// The bounds of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProveOptions {
    /// Most calls after `init` in the bounded search.
    pub depth: u32,
    /// The solver's resource budget per query (Z3's `rlimit` steps).
    pub budget: u64,
    /// `--from-test NAME`: the search also starts from the state this
    /// test leaves (where it finds nothing from `init`).
    pub from_test: Option<String>,
    /// `--timeout`: no contract is started after this moment; the claims
    /// of those left are `unknown`, saying so. The verdicts reached do not
    /// depend on it (each query has its budget of solver steps).
    pub deadline: Option<std::time::Instant>,
}

/// The accounts of the bounded search: the first deploys.
pub const ACCOUNTS: [&str; 3] = ["admin", "alice", "bob"];

/// One invariant's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProveVerdict {
    Proved,
    Counterexample,
    Bounded,
    Unknown,
    Vacuous,
}

impl ProveVerdict {
    pub fn name(self) -> &'static str {
        match self {
            ProveVerdict::Proved => "proved",
            ProveVerdict::Counterexample => "counterexample",
            ProveVerdict::Bounded => "bounded",
            ProveVerdict::Unknown => "unknown",
            ProveVerdict::Vacuous => "vacuous",
        }
    }
}

/// One invariant's result, or one clause of a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantResult {
    pub file: String,
    pub contract: String,
    /// The invariant's name, or the spec clause as written.
    pub invariant: String,
    /// For a spec clause: the function the spec describes.
    pub spec: Option<String>,
    /// Where it is written: the invariant's name, or the clause.
    pub span: Span,
    pub verdict: ProveVerdict,
    /// What the verdict rests on, in words.
    pub detail: String,
    /// A counterexample as a test to paste (it fails on the VM).
    pub test: Option<String>,
}

/// Every invariant of every contract of user file `file`. `Err` when the
/// solver fails, or a counterexample does not replay on the VM (a bug of
/// the prover, with the test that shows it).
pub fn prove_file(
    solver: &mut Solver,
    analysis: &Analysis,
    file: FileId,
    vm: &Arc<writ_vm::Vm>,
    options: ProveOptions,
) -> Result<Vec<InvariantResult>, String> {
    let accounts: Vec<(String, [u8; 20])> =
        ACCOUNTS.iter().map(|name| (name.to_string(), account(name))).collect();
    // A file without that test searches from `init` only (`writ prove`
    // checks that some file of the run has it).
    let setup = match &options.from_test {
        Some(name) => setup_state(analysis, file, vm, name)?,
        None => None,
    };
    let cx = Context { analysis, file, vm, accounts: &accounts, options, setup: setup.as_ref() };
    let mut out = Vec::new();
    let Some(data) = analysis.file(file) else { return Ok(out) };
    for item in &data.parsed.tree.items {
        // An interface has no code: nothing of it to prove.
        if let ItemKind::Contract(contract) = &item.kind
            && !contract.interface
        {
            if cx.options.deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                out.extend(out_of_time(&cx, contract));
                continue;
            }
            out.extend(prove_contract(solver, &cx, contract)?);
        }
    }
    Ok(out)
}

/// `prove_file` with a solver and a VM of its own, as the language server
/// proves one document (`Err` with the reason when Z3 is missing, the VM
/// does not start, or the prover and the VM disagree).
pub fn prove_document(
    analysis: &Analysis,
    file: FileId,
    options: ProveOptions,
) -> Result<Vec<InvariantResult>, String> {
    let mut solver = Solver::start(Budget(options.budget), None).map_err(|e| e.to_string())?;
    let vm = writ_vm::Vm::new(writ_vm::VmOptions::in_memory())
        .map_err(|e| format!("the VM did not start: {e}"))?;
    prove_file(&mut solver, analysis, file, &Arc::new(vm), options)
}

/// The options `writ prove` runs with when none are given.
impl Default for ProveOptions {
    fn default() -> ProveOptions {
        ProveOptions { depth: 4, budget: Budget::default().0, from_test: None, deadline: None }
    }
}

struct Context<'a> {
    analysis: &'a Analysis,
    file: FileId,
    vm: &'a Arc<writ_vm::Vm>,
    accounts: &'a [(String, [u8; 20])],
    options: ProveOptions,
    /// The state of `--from-test`'s test, searched from too.
    setup: Option<&'a Setup>,
}

/// Every invariant of `contract`, each with its verdict; `Err` when the
/// prover and the VM disagree, or the solver fails.
fn prove_contract(
    solver: &mut Solver,
    cx: &Context<'_>,
    contract: &ContractDef,
) -> Result<Vec<InvariantResult>, String> {
    let file_name = cx.analysis.file(cx.file).map_or_else(String::new, |f| f.name.clone());
    let defs = invariants(contract);
    let invariants: Vec<String> = defs.iter().map(|inv| inv.name.value.clone()).collect();
    let outcome = |invariant: &str, verdict, detail: String, test| InvariantResult {
        file: file_name.clone(),
        contract: contract.name.name.clone(),
        invariant: invariant.to_string(),
        spec: None,
        span: defs.iter().find(|d| d.name.value == invariant).map_or(contract.name.span, |d| d.name.span),
        verdict,
        detail,
        test,
    };
    let budget = Budget(cx.options.budget);
    let obligations = match check_contract(solver, cx.analysis, cx.file, contract, budget) {
        Ok(obligations) => obligations,
        Err(EncodeError::Refused(refused)) => {
            let (line, column) = position(cx.analysis, cx.file, refused.span.lo);
            let why = format!("{} ({file_name}:{line}:{column})", beyond(&refused.what));
            let mut out: Vec<InvariantResult> =
                invariants.iter().map(|inv| outcome(inv, ProveVerdict::Unknown, why.clone(), None)).collect();
            out.extend(prove_specs(solver, cx, contract)?);
            return Ok(out);
        }
        Err(EncodeError::Solver(e)) => return Err(format!("the solver failed: {e}")),
    };
    let mut out = Vec::new();
    for (index, invariant) in invariants.iter().enumerate() {
        let mine: Vec<_> = obligations.iter().filter(|o| &o.invariant == invariant).collect();
        if let Some((refused, at)) = mine.iter().find_map(|o| match &o.verdict {
            Verdict::Refused(refused) => Some((refused, &o.after)),
            _ => None,
        }) {
            let (line, column) = position(cx.analysis, cx.file, refused.span.lo);
            let mut why = format!("{} ({file_name}:{line}:{column})", beyond(&refused.what));
            // Where only some entry points are beyond the prover, say
            // which ones keep the invariant all the same.
            let kept: Vec<&str> =
                mine.iter().filter(|o| o.verdict == Verdict::Proved).map(|o| o.after.as_str()).collect();
            if !kept.is_empty() {
                why.push_str(&format!(
                    ", in {at}; kept by {} from every state where the invariants hold",
                    kept.join(", ")
                ));
            }
            out.push(outcome(invariant, ProveVerdict::Unknown, why, None));
            continue;
        }
        let where_ = |verdict: fn(&Verdict) -> bool| -> Vec<String> {
            mine.iter().filter(|o| verdict(&o.verdict)).map(|o| o.after.clone()).collect()
        };
        let broken = where_(|v| matches!(v, Verdict::Counterexample(_)));
        let unknown = where_(|v| *v == Verdict::Unknown);
        let vacuous = where_(|v| *v == Verdict::Vacuous);
        if broken.is_empty() && unknown.is_empty() {
            let all: Vec<String> = mine.iter().map(|o| o.after.clone()).collect();
            out.push(if !vacuous.is_empty() {
                outcome(
                    invariant,
                    ProveVerdict::Vacuous,
                    format!("no call of {} returns from such a state", vacuous.join(", ")),
                    None,
                )
            } else {
                outcome(
                    invariant,
                    ProveVerdict::Proved,
                    format!("after {}, for every state and input", all.join(", ")),
                    None,
                )
            });
            continue;
        }
        // Induction failed, or the solver could not decide it: the search
        // from `init` finds a real counterexample or bounds the claim.
        let undecided = match (broken.is_empty(), unknown.is_empty()) {
            (false, _) => {
                format!("{} does not keep it from every state where the invariants hold", broken.join(", "))
            }
            _ => format!("the solver's budget ran out proving it after {}", unknown.join(", ")),
        };
        let (found, from, also) =
            searched(cx, contract, |bounds| search(solver, cx.analysis, cx.file, contract, index, bounds));
        let found = match found {
            Ok(found) => found,
            Err(EncodeError::Refused(refused)) => {
                let (line, column) = position(cx.analysis, cx.file, refused.span.lo);
                let why = format!("{} ({file_name}:{line}:{column})", beyond(&refused.what));
                out.push(outcome(invariant, ProveVerdict::Unknown, why, None));
                continue;
            }
            Err(EncodeError::Solver(SolverError::BadValue(what))) => {
                out.push(outcome(invariant, ProveVerdict::Unknown, unwritable(&undecided, &what), None));
                continue;
            }
            Err(EncodeError::Solver(e)) => return Err(format!("the solver failed: {e}")),
        };
        let names: Vec<&str> = cx.accounts.iter().map(|(name, _)| name.as_str()).collect();
        match found {
            Search::Found(calls, grants) => {
                let name = test_name(invariant, from);
                let test = reproduction(head(contract, from), &name, &calls, &grants);
                replay(cx, &test, &name, Checks::Invariants, &format!("invariant \"{invariant}\""))?;
                let last = calls.last().map_or("init", |c| c.entry.as_str());
                let detail = match from {
                    None => format!(
                        "{} call(s) after deploying break it, the last {last} (replayed on the VM)",
                        calls.iter().filter(|c| c.entry != "init").count()
                    ),
                    Some((setup, _)) => format!(
                        "{} call(s) after test \"{}\" break it, the last {last} (replayed on the VM)",
                        calls.len(),
                        setup.test
                    ),
                };
                out.push(outcome(invariant, ProveVerdict::Counterexample, detail, Some(test)));
            }
            Search::NotFound { depth, skipped } => {
                let strengthen = if broken.is_empty() { "" } else { "; it may need strengthening" };
                let detail = format!(
                    "{undecided}, but no sequence of up to {depth} calls by {} breaks it{}{also}{strengthen}",
                    names.join(", "),
                    not_through(&skipped)
                );
                out.push(outcome(invariant, ProveVerdict::Bounded, detail, None));
            }
            Search::Unknown { depth } => {
                let detail = format!("{undecided}; the search spent its budget at depth {depth}{also}");
                out.push(outcome(invariant, ProveVerdict::Unknown, detail, None));
            }
        }
    }
    out.extend(prove_specs(solver, cx, contract)?);
    Ok(out)
}

/// Every clause of every spec of `contract`: proved for every state where
/// the invariants hold, or else searched for from `init` and replayed.
fn prove_specs(
    solver: &mut Solver,
    cx: &Context<'_>,
    contract: &ContractDef,
) -> Result<Vec<InvariantResult>, String> {
    let file_name = cx.analysis.file(cx.file).map_or_else(String::new, |f| f.name.clone());
    let budget = Budget(cx.options.budget);
    let obligations = match check_specs(solver, cx.analysis, cx.file, contract, budget) {
        Ok(obligations) => obligations,
        // Refusals come back per clause, as verdicts; none is left here.
        Err(EncodeError::Refused(_)) => Vec::new(),
        Err(EncodeError::Solver(e)) => return Err(format!("the solver failed: {e}")),
    };
    let names: Vec<&str> = cx.accounts.iter().map(|(name, _)| name.as_str()).collect();
    let mut out = Vec::new();
    for obligation in obligations {
        let result = |verdict, detail: String, test| InvariantResult {
            file: file_name.clone(),
            contract: contract.name.name.clone(),
            invariant: obligation.clause.clone(),
            spec: Some(obligation.function.clone()),
            span: obligation.span,
            verdict,
            detail,
            test,
        };
        // Induction failed (with the state and arguments it found), or the
        // solver could not decide it: the search from `init` decides.
        let undecided = match &obligation.verdict {
            Verdict::Proved => {
                let detail = "for every input and every state where the invariants hold".to_string();
                out.push(result(ProveVerdict::Proved, detail, None));
                continue;
            }
            Verdict::Unknown => "the solver's budget ran out proving it".to_string(),
            Verdict::Vacuous => {
                out.push(result(ProveVerdict::Vacuous, "no call is described".into(), None));
                continue;
            }
            Verdict::Refused(refused) => {
                let (line, column) = position(cx.analysis, cx.file, refused.span.lo);
                let why = format!("{} ({file_name}:{line}:{column})", beyond(&refused.what));
                out.push(result(ProveVerdict::Unknown, why, None));
                continue;
            }
            Verdict::Counterexample(model) => {
                let shown: Vec<String> = model.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("a call from a state where the invariants hold breaks it ({})", shown.join(", "))
            }
        };
        let clause = (obligation.spec, obligation.index);
        let (found, from, also) = searched(cx, contract, |bounds| {
            search_spec(solver, cx.analysis, cx.file, contract, clause, bounds)
        });
        match found {
            Ok(Search::Found(calls, grants)) => {
                let name =
                    test_name(&format!("spec of {}: {}", obligation.function, obligation.clause), from);
                let test = reproduction(head(contract, from), &name, &calls, &grants);
                let checks = Checks::Spec(obligation.function.clone());
                replay(cx, &test, &name, checks, &format!("the spec of `{}`", obligation.function))?;
                let after = match from {
                    None => format!(
                        "{} call(s) after deploying",
                        calls.iter().filter(|c| c.entry != "init").count()
                    ),
                    Some((setup, _)) => format!("{} call(s) after test \"{}\"", calls.len(), setup.test),
                };
                let detail =
                    format!("{after}, the last {} breaks it (replayed on the VM)", obligation.function);
                out.push(result(ProveVerdict::Counterexample, detail, Some(test)));
            }
            Ok(Search::NotFound { depth, skipped }) => {
                let missing = match obligation.verdict {
                    Verdict::Counterexample(_) => "; an invariant may be missing",
                    _ => "",
                };
                let detail = format!(
                    "{undecided}, but no sequence of up to {depth} calls by {} breaks it{}{also}{missing}",
                    names.join(", "),
                    not_through(&skipped)
                );
                out.push(result(ProveVerdict::Bounded, detail, None));
            }
            Ok(Search::Unknown { depth }) => {
                let detail = format!("{undecided}; the search spent its budget at depth {depth}{also}");
                out.push(result(ProveVerdict::Unknown, detail, None));
            }
            Err(EncodeError::Refused(refused)) => {
                let (line, column) = position(cx.analysis, cx.file, refused.span.lo);
                let why = format!("{} ({file_name}:{line}:{column})", beyond(&refused.what));
                out.push(result(ProveVerdict::Unknown, why, None));
            }
            Err(EncodeError::Solver(SolverError::BadValue(what))) => {
                out.push(result(ProveVerdict::Unknown, unwritable(&undecided, &what), None));
            }
            Err(EncodeError::Solver(e)) => return Err(format!("the solver failed: {e}")),
        }
    }
    Ok(out)
}

/// The detail of a claim the search found broken by calls whose arguments
/// (a struct, a list …) the prover cannot write as a test yet: not
/// replayed, so not reported as a counterexample.
fn unwritable(undecided: &str, what: &str) -> String {
    format!(
        "{undecided}; the search found calls that break it, but {what} cannot be written in a test yet, so they were not replayed"
    )
}

/// What the prover could not show, in words: a construct it does not
/// model, or a claim its reading of a loop (by the loop's invariants, or
/// its last iteration) does not carry.
fn beyond(what: &str) -> String {
    if what.starts_with("a loop invariant") || what.ends_with("which does not show it") {
        format!("not shown: {what}")
    } else {
        format!("not modelled yet: {what}")
    }
}

/// 1-based line and column of a byte offset in `file`.
fn position(analysis: &Analysis, file: FileId, offset: u32) -> (usize, usize) {
    let text = analysis.file(file).map_or("", |f| f.text.as_str());
    let before = text.get(..offset as usize).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn test_name(claim: &str, from: From<'_>) -> String {
    let name = match from {
        None => format!("writ prove: {claim}"),
        Some((setup, _)) => format!("writ prove: {claim} (after test {})", setup.test),
    };
    name.replace('"', "'")
}

/// The claims of a contract the run's `--timeout` left no time for: each
/// `unknown`, saying so.
fn out_of_time(cx: &Context<'_>, contract: &ContractDef) -> Vec<InvariantResult> {
    let file = cx.analysis.file(cx.file).map_or_else(String::new, |f| f.name.clone());
    let detail = "not proved: the run's --timeout ran out before this contract was started".to_string();
    let result = |invariant: String, spec: Option<String>, span| InvariantResult {
        file: file.clone(),
        contract: contract.name.name.clone(),
        invariant,
        spec,
        span,
        verdict: ProveVerdict::Unknown,
        detail: detail.clone(),
        test: None,
    };
    let mut out: Vec<InvariantResult> =
        invariants(contract).iter().map(|inv| result(inv.name.value.clone(), None, inv.name.span)).collect();
    for described in writ_prover::spec::specs(cx.analysis, contract) {
        for clause in &described.spec.clauses {
            let text = writ_compiler::check::clause_text(cx.analysis, clause);
            out.push(result(text, Some(described.func.name.name.clone()), clause.span));
        }
    }
    out
}

/// Where a search found its sequence: `None` from `init`, or from the
/// state the `--from-test` test leaves this instance in.
type From<'s> = Option<(&'s Setup, &'s Instance)>;

/// The search from `init`, then, where that finds nothing, from the state
/// the `--from-test` test leaves: the result, where it was found, and what
/// the second search says when it found nothing (for the detail).
fn searched<'s>(
    cx: &Context<'s>,
    contract: &ContractDef,
    mut run: impl FnMut(&Bounds<'_>) -> Result<Search, EncodeError>,
) -> (Result<Search, EncodeError>, From<'s>, String) {
    let budget = Budget(cx.options.budget);
    let depth = cx.options.depth;
    let first = run(&Bounds { depth, accounts: cx.accounts, budget, from: None });
    let (Some(setup), Ok(Search::NotFound { .. } | Search::Unknown { .. })) = (cx.setup, &first) else {
        return (first, None, String::new());
    };
    let test = &setup.test;
    let Some(instance) = setup.instance(&contract.name.name) else {
        let note = format!(
            "; test \"{test}\" binds no `{}` to a name: nothing searched from it",
            contract.name.name
        );
        return (first, None, note);
    };
    let names: Vec<&str> = setup.accounts.iter().map(|(name, _)| name.as_str()).collect();
    let bounds = Bounds { depth, accounts: &setup.accounts, budget, from: Some(&instance.state) };
    let from_test = format!("from the state test \"{test}\" leaves");
    match run(&bounds) {
        found @ Ok(Search::Found(..)) => (found, Some((setup, instance)), String::new()),
        Ok(Search::NotFound { depth, skipped }) => (
            first,
            None,
            format!(", nor {from_test} up to {depth} calls by {}{}", names.join(", "), not_through(&skipped)),
        ),
        Ok(Search::Unknown { depth }) => {
            (first, None, format!("; {from_test}, the search spent its budget at depth {depth}"))
        }
        Err(EncodeError::Refused(refused)) => {
            (first, None, format!("; not searched {from_test}: {}", refused.what))
        }
        Err(EncodeError::Solver(SolverError::BadValue(what))) => (
            first,
            None,
            format!(
                "; {from_test}, calls break it, but {what} cannot be written in a test yet, so they were not replayed"
            ),
        ),
        Err(e) => (Err(e), None, String::new()),
    }
}

/// What a search left out, for its detail: the entry points read with
/// more behaviours than they have (a loop by its last iteration).
fn not_through(skipped: &[String]) -> String {
    match skipped {
        [] => String::new(),
        _ => format!(
            " (sequences through {} were not searched: its loops are read by their last iteration)",
            skipped.join(", ")
        ),
    }
}

/// How a reproduction starts: by deploying `contract`, or with the body of
/// the test whose state the search started from (and its handle).
enum Head<'a> {
    Deploy(&'a ContractDef),
    Test(&'a Setup, &'a str),
}

fn head<'a>(contract: &'a ContractDef, from: From<'a>) -> Head<'a> {
    match from.and_then(|(setup, instance)| Some((setup, instance.handle.as_deref()?))) {
        Some((setup, handle)) => Head::Test(setup, handle),
        None => Head::Deploy(contract),
    }
}

/// The sequence as a Writ test: deploy, grant the roles the search chose,
/// then the calls (or the setup test's body, then the calls).
fn reproduction(head: Head<'_>, test_name: &str, calls: &[Call], grants: &[(String, String)]) -> String {
    let mut out = format!("test \"{test_name}\" {{\n");
    let mut rest = calls.iter();
    let c = match head {
        Head::Test(setup, handle) => {
            out.push_str(&setup.body);
            out.push_str("    // the calls that break it:\n");
            handle
        }
        Head::Deploy(contract) => {
            let init_args = match calls.first() {
                Some(first) if first.entry == "init" => {
                    rest.next();
                    first.args.join(", ")
                }
                _ => String::new(),
            };
            if let Some(time) = calls.first().filter(|c| c.entry == "init").and_then(|c| c.time.as_ref()) {
                out.push_str(&format!("    set_time({time});\n"));
            }
            out.push_str(&format!("    let c = deploy {}({init_args});\n", contract.name.name));
            for (role, account) in grants {
                out.push_str(&format!("    c.grant_role({role}, account({account:?}));\n"));
            }
            "c"
        }
    };
    for call in rest {
        if let Some(time) = &call.time {
            out.push_str(&format!("    set_time({time});\n"));
        }
        let signed: String = call.cosigners.iter().map(|s| format!(".signed_by(account({s:?}))")).collect();
        out.push_str(&format!(
            "    {c}.from(account({:?})){signed}.{}({});\n",
            call.caller,
            call.entry,
            call.args.join(", ")
        ));
    }
    out.push('}');
    out
}

/// Runs the test named `name` on the VM: it must fail with a message that
/// names what it breaks (`expected`), or the prover and the VM disagree (a
/// bug of the prover, reported as such).
fn replay(cx: &Context<'_>, test: &str, name: &str, checks: Checks, expected: &str) -> Result<(), String> {
    let inputs: Vec<(String, String)> = cx
        .analysis
        .user_files()
        .iter()
        .map(|f| {
            let text = if f.id == cx.file { format!("{}\n{test}\n", f.text) } else { f.text.clone() };
            (f.name.clone(), text)
        })
        .collect();
    let with_test = Analysis::new(inputs);
    let options = RunOptions { exact: Some(name.to_string()), checks, ..RunOptions::default() };
    let disagreement = |why: String| {
        format!(
            "the prover's counterexample ({expected}) did not replay on the VM ({why}); this is a bug of the prover:\n{test}"
        )
    };
    if let Some(error) = with_test.diagnostics().into_iter().find(|d| d.is_error()) {
        return Err(disagreement(format!("it does not compile: {}", error.message)));
    }
    let report =
        run_file(&with_test, cx.file, cx.vm, &options).map_err(|e| disagreement(format!("{e:?}")))?;
    let Some(result) = report.results.first() else {
        return Err(disagreement("the test did not run".into()));
    };
    match &result.outcome {
        CaseOutcome::Failed(failure) if failure.message.contains(expected) => Ok(()),
        CaseOutcome::Failed(failure) => {
            Err(disagreement(format!("it failed otherwise: {}", failure.message)))
        }
        _ => Err(disagreement("it passed".into())),
    }
}
