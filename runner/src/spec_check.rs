//! Specs checked around a call (docs/LANGUAGE.md §10.4): before it, each
//! condition and `old(..)` value of the spec, evaluated on its own against
//! the state the call finds (`spec_before`); after it, how the call ended
//! against the `assumes` and `aborts_if` conditions, then the `ensures`,
//! `modifies` and `emits` clauses of a successful call (`spec_after`). The
//! harness entries that evaluate the clauses are compiled by
//! `writ_compiler::codegen` (`codegen/specs.rs`).
//!
//! Invariant: a spec only reads; every check runs in a harness against a
//! snapshot of the contract's storage, and a broken spec is a `Failure`
//! naming the function and the clause.

use std::sync::Arc;

use writ_abi::document::ContractAbi;
use writ_abi::host::test::TestOp;
use writ_compiler::codegen::{ClauseCheck, ClauseKind, SpecCheck};
use writ_vm::explain::{abort_name, describe_abort, show_event};
use writ_vm::{CallContext, CallReport, Outcome, World};

use crate::ledger::{Env, Failure, Ledger, malformed, run_in_harness};

/// Each of the spec's values before the call (its conditions, then its
/// `old` values), evaluated one by one against the state the call is about
/// to find: the value, or how evaluating it aborted.
pub(crate) type Before = Vec<Result<Vec<u8>, String>>;

pub(crate) fn spec_before(
    env: &Arc<Env>,
    spec: &SpecCheck,
    args: &[u8],
    state: &Arc<dyn writ_vm::State>,
    context: &CallContext,
) -> Result<Before, Failure> {
    let mut out = Vec::new();
    for n in 0..spec.values {
        let mut input = args.to_vec();
        input.extend_from_slice(&n.to_be_bytes());
        let mut run = run_in_harness(env, &spec.pre, &input, state, context.clone())?;
        if let Some(failure) = run.failure {
            return Err(failure);
        }
        out.push(match run.outcome {
            Outcome::Success(_) => Ok(run.kept.pop().ok_or_else(|| malformed(TestOp::Keep))?),
            Outcome::Aborted(abort) => {
                Err(spec_abi(env, spec).map_or_else(|| abort.to_string(), |abi| describe_abort(&abort, abi)))
            }
        });
    }
    Ok(out)
}

fn is_flag(kind: &ClauseKind) -> bool {
    matches!(kind, ClauseKind::Assumes | ClauseKind::AbortsIf { .. })
}

fn spec_abi<'e>(env: &'e Env, spec: &SpecCheck) -> Option<&'e ContractAbi> {
    env.contracts.get(spec.contract).map(|(_, abi)| abi)
}

/// Checks how the call ended against the spec: an `assumes` that does not
/// hold excuses the call from every other clause; `aborts_if` conditions
/// that held; then, after a success, each `ensures` and `modifies`.
pub(crate) fn spec_after(
    ledger: &Ledger,
    env: &Arc<Env>,
    spec: &SpecCheck,
    (args, report): (&[u8], &CallReport),
    (before, values): (Arc<dyn writ_vm::State>, Before),
    context: CallContext,
) -> Result<(), Failure> {
    let broken = |what: String| Failure {
        site: None,
        message: ledger.named(format!("the call breaks the spec of `{}`: {what}", spec.function)),
    };
    let flagged: Vec<(&ClauseCheck, &Result<Vec<u8>, String>)> =
        spec.clauses.iter().filter(|c| is_flag(&c.kind)).zip(&values).collect();
    let olds = values.get(flagged.len()..).unwrap_or_default();
    // Assumptions first: one that cannot be evaluated is a broken spec,
    // one that does not hold leaves the call undescribed.
    for (clause, value) in flagged.iter().filter(|(c, _)| c.kind == ClauseKind::Assumes) {
        match value {
            Err(why) => {
                return Err(broken(format!(
                    "`{}` cannot be evaluated before it: it aborts with {why}",
                    clause.text
                )));
            }
            Ok(value) if value.as_slice() != [1] => return Ok(()),
            Ok(_) => {}
        }
    }
    let mut must_abort = Vec::new();
    for (clause, value) in flagged.iter().filter(|(c, _)| c.kind != ClauseKind::Assumes) {
        match value {
            Err(why) => {
                return Err(broken(format!(
                    "`{}` cannot be evaluated before it: it aborts with {why}",
                    clause.text
                )));
            }
            Ok(value) if value.as_slice() == [1] => must_abort.push(*clause),
            Ok(_) => {}
        }
    }
    let abi = spec_abi(env, spec).ok_or_else(|| malformed(TestOp::Call))?;
    let success = match &report.outcome {
        // The machine stopping a call (gas, memory, stack, a bound of the
        // VM) is not the contract's doing: no clause speaks of it
        // (docs/LANGUAGE.md §10.4).
        Outcome::Aborted(
            writ_vm::Abort::OutOfGas
            | writ_vm::Abort::MemoryLimit
            | writ_vm::Abort::StackLimit
            | writ_vm::Abort::ResourceLimit { .. },
        ) => return Ok(()),
        Outcome::Aborted(abort) => {
            let name = abort_name(abort, abi);
            let named = |c: &&ClauseCheck| match &c.kind {
                ClauseKind::AbortsIf { error: Some(error) } => *error == name,
                _ => true,
            };
            if let Some(first) = must_abort.first()
                && !must_abort.iter().any(named)
            {
                return Err(broken(format!(
                    "`{}` held, but it aborted with {}",
                    first.text,
                    describe_abort(abort, abi)
                )));
            }
            return Ok(());
        }
        Outcome::Success(success) => success,
    };
    if let Some(first) = must_abort.first() {
        return Err(broken(format!("`{}` held before the call, but it succeeded", first.text)));
    }
    let mut post_args = args.to_vec();
    post_args.extend_from_slice(&success.result);
    for clause in &spec.clauses {
        let ClauseKind::Ensures { olds: range, .. } = &clause.kind else { continue };
        let spoiled = olds
            .get(range.start as usize..range.end as usize)
            .unwrap_or_default()
            .iter()
            .find_map(|v| v.as_ref().err());
        if let Some(why) = spoiled {
            return Err(broken(format!(
                "`{}` cannot be evaluated: an `old(..)` in it aborts with {why}",
                clause.text
            )));
        }
    }
    for old in olds.iter().flatten() {
        post_args.extend_from_slice(old);
    }
    let after = ledger.world.storage(&context.contract);
    let run = run_in_harness(env, &spec.post, &post_args, &after, context)?;
    match (run.failure, run.outcome) {
        (Some(failure), _) => {
            let clause = spec
                .clauses
                .iter()
                .find(|c| matches!(c.kind, ClauseKind::Ensures { site, .. } if Some(site) == failure.site));
            return Err(match clause {
                Some(clause) => broken(format!("`{}` does not hold after it", clause.text)),
                None => failure,
            });
        }
        (None, Outcome::Aborted(abort)) => {
            return Err(broken(format!(
                "its `ensures` clauses cannot be evaluated after the call: they abort with {}",
                describe_abort(&abort, abi)
            )));
        }
        (None, Outcome::Success(_)) => {}
    }
    if let Some(allowed) = &spec.emits
        && let Some(event) = success.events.iter().find(|e| !allowed.contains(&e.index))
    {
        let shown = show_event(abi, event.index, &event.data);
        return Err(broken(format!("it emitted {shown}, which no `emits` clause lists")));
    }
    for (index, name) in spec.unchanged.iter().flatten() {
        let mut prefix = vec![1u8];
        prefix.extend_from_slice(&index.to_be_bytes());
        if field_entries(before.as_ref(), &prefix)? != field_entries(after.as_ref(), &prefix)? {
            return Err(broken(format!("it changed `self.{name}`, which no `modifies` clause lists")));
        }
    }
    Ok(())
}

/// Every entry under a storage field's key prefix, in key order.
fn field_entries(state: &dyn writ_vm::State, prefix: &[u8]) -> Result<Vec<writ_vm::state::Entry>, Failure> {
    let mut out: Vec<writ_vm::state::Entry> = Vec::new();
    loop {
        let after = out.last().map(|(k, _)| k.as_slice());
        match state.next(prefix, after) {
            Ok(Some(entry)) => out.push(entry),
            Ok(None) => return Ok(out),
            Err(e) => {
                return Err(Failure {
                    site: None,
                    message: format!("the test ledger could not read storage: {}", e.message),
                });
            }
        }
    }
}
