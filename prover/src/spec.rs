//! Proving a contract's `spec` members, clause by clause, for every state
//! where the invariants hold and every input (docs/LANGUAGE.md §10.4).
//!
//! Each spec's function is encoded once, from an arbitrary state where the
//! invariants the prover can read hold (as in the inductive check, whose
//! proofs make that assumption sound), with any caller and block time. The
//! clauses are then evaluated as `writ test` evaluates them around a call:
//! `assumes` and `aborts_if` conditions and every `old(..)` on the state
//! before the call, `ensures` on the state after it, so that each clause's
//! obligation is exactly "this clause is not broken by the call":
//!
//! - `assumes A`: where the `assumes` before it hold, evaluating `A` never
//!   aborts;
//! - `aborts_if C [with E]`: where every `assumes` holds, evaluating `C`
//!   never aborts, and where `C` holds the call aborts (with `E`);
//! - `ensures P`: where every `assumes` holds and the call returns, its
//!   `old(..)` values (taken before the call) and `P` evaluate without
//!   aborting, and `P` is true;
//! - `modifies`: where every `assumes` holds and the call returns, each
//!   field the clauses do not list is unchanged;
//! - `emits`: where every `assumes` holds and the call returns, no `emit`
//!   of an event the clauses do not list was reached.
//!
//! Invariant: a clause the prover cannot read is `Refused` by name, never
//! approximated; the clauses that can be read are still proved, unless an
//! `assumes` cannot be read (then none is: assuming less would describe
//! calls the spec excuses).

use std::collections::BTreeMap;

use easy_smt::SExpr;
use writ_compiler::ast::{ContractDef, Expr, ExprKind, FnDef, MemberKind, SpecClause, SpecDef};
use writ_compiler::check::clause_text;
use writ_compiler::check::old_calls;
use writ_compiler::span::Span;
use writ_compiler::types::{Def, SpecInfo, Ty};
use writ_compiler::{Analysis, FileId};

use crate::body::{
    EncodeError, Encoded, Exit, Held, SpecScope, SpecValue, Storage, encode_call, encode_spec_expr,
};
use crate::invariant::{Verdict, assumed_state, invariants, model, role_fields, storage_fields};
use crate::solver::Answer;
use crate::{Budget, Solver};

/// One clause's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClauseObligation {
    /// The spec's position among the contract's specs, and the clause's
    /// in the spec (for the bounded search).
    pub spec: usize,
    pub index: usize,
    /// The function the spec describes.
    pub function: String,
    /// The clause as written (whitespace folded, no `;`).
    pub clause: String,
    pub span: Span,
    pub verdict: Verdict,
}

/// A spec with what the checker knows of it and the function it describes.
pub struct Described<'c> {
    pub spec: &'c SpecDef,
    pub info: SpecInfo,
    pub func: &'c FnDef,
}

/// The specs of `contract` (in user file `file`) whose target the checker
/// found, in source order.
pub fn specs<'c>(analysis: &Analysis, contract: &'c ContractDef) -> Vec<Described<'c>> {
    let tables = analysis.tables();
    contract
        .members
        .iter()
        .filter_map(|m| match &m.kind {
            MemberKind::Spec(spec) => {
                let info = tables.spec_at(spec.name.span)?.clone();
                let func = contract.members.iter().find_map(|m| match &m.kind {
                    MemberKind::Fn(f) if analysis.def_of(&f.name) == Some(Def::Fn(info.func)) => Some(f),
                    _ => None,
                })?;
                Some(Described { spec, info, func })
            }
            _ => None,
        })
        .collect()
}

/// Proves every clause of every spec of `contract`, each query within
/// `budget`.
pub fn check_specs(
    solver: &mut Solver,
    analysis: &Analysis,
    file: FileId,
    contract: &ContractDef,
    budget: Budget,
) -> Result<Vec<ClauseObligation>, EncodeError> {
    let depth = solver.depth();
    let mut out = Vec::new();
    for (n, described) in specs(analysis, contract).iter().enumerate() {
        let mut next = 0;
        while next < described.spec.clauses.len() {
            // A query that stopped the session is `Unknown`; the session
            // is reset and the call encoded again for the clauses left.
            solver.pop_to(depth)?;
            let result = check_spec(solver, (analysis, file), contract, (n, described), next, budget);
            solver.pop_to(depth)?;
            match result {
                Ok((obligations, after)) => {
                    out.extend(obligations);
                    next = after;
                }
                Err(e) => {
                    refuse_rest(analysis, (n, described), next, e, &mut out)?;
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// A function or state the prover cannot read: every clause of the spec
/// from `from` on is refused, with the reason; the other specs go on.
/// Any other error ends the run.
fn refuse_rest(
    analysis: &Analysis,
    (n, described): (usize, &Described<'_>),
    from: usize,
    error: EncodeError,
    out: &mut Vec<ClauseObligation>,
) -> Result<(), EncodeError> {
    let EncodeError::Refused(refused) = error else { return Err(error) };
    for (index, clause) in described.spec.clauses.iter().enumerate().skip(from) {
        out.push(ClauseObligation {
            spec: n,
            index,
            function: described.func.name.name.clone(),
            clause: clause_text(analysis, clause),
            span: clause.span,
            verdict: Verdict::Refused(refused.clone()),
        });
    }
    Ok(())
}

/// The call a spec describes, from an arbitrary state where the
/// invariants hold, and the clauses' conditions on it.
pub(crate) struct SpecCall {
    /// What the call and its state obey.
    pub facts: Vec<SExpr>,
    pub call: Encoded,
    pub before: Storage,
    /// Each clause's violation: the condition under which the call breaks
    /// it; `Err` for a clause the prover cannot read.
    pub violations: Vec<Result<SExpr, crate::body::Refused>>,
}

fn check_spec(
    solver: &mut Solver,
    (analysis, file): (&Analysis, FileId),
    contract: &ContractDef,
    (spec, described): (usize, &Described<'_>),
    from: usize,
    budget: Budget,
) -> Result<(Vec<ClauseObligation>, usize), EncodeError> {
    let prefix = &format!("s{spec}_");
    let fields = storage_fields(analysis, file, contract);
    let roles = role_fields(analysis, file, contract);
    let invariants = invariants(contract);
    solver.push()?;
    let (before, mut facts) =
        assumed_state(solver, (analysis, file), (&fields, &roles), &invariants, prefix)?;
    let spec_call = encode_spec_call(solver, (analysis, file), described, before, &format!("{prefix}c_"))?;
    facts.extend(spec_call.facts.iter().copied());
    for fact in &facts {
        solver.assert(*fact)?;
    }
    let function = described.func.name.name.clone();
    let mut out = Vec::new();
    // The call's loop invariants first: every clause rests on them.
    if let Some(unshown) = crate::body::prove_loop_claims(solver, &spec_call.call, budget)? {
        for (index, clause) in described.spec.clauses.iter().enumerate().skip(from) {
            out.push(ClauseObligation {
                spec,
                index,
                function: function.clone(),
                clause: clause_text(analysis, clause),
                span: clause.span,
                verdict: Verdict::Refused(unshown.clone()),
            });
        }
        solver.pop()?;
        return Ok((out, described.spec.clauses.len()));
    }
    let clauses = described.spec.clauses.iter().zip(&spec_call.violations).enumerate().skip(from);
    for (index, (clause, violation)) in clauses {
        let text = clause_text(analysis, clause);
        let verdict = match violation {
            Err(refused) => Verdict::Refused(refused.clone()),
            Ok(violation) => {
                solver.push()?;
                solver.assert(*violation)?;
                let verdict = match solver.check_within(budget)? {
                    // An approximate encoding's counterexample need not be
                    // real: the claim is beyond what it shows.
                    Answer::Sat | Answer::Unknown if !spec_call.call.approximations.is_empty() => {
                        Verdict::Refused(crate::body::not_shown(&spec_call.call.approximations))
                    }
                    Answer::Unsat => Verdict::Proved,
                    Answer::Unknown => Verdict::Unknown,
                    Answer::Sat => Verdict::Counterexample(model(
                        solver,
                        &spec_call.call,
                        &spec_call.before,
                        &fields,
                        false,
                    )?),
                };
                solver.pop()?;
                verdict
            }
        };
        out.push(ClauseObligation {
            spec,
            index,
            function: function.clone(),
            clause: text,
            span: clause.span,
            verdict,
        });
        if solver.is_canceled() {
            return Ok((out, index + 1));
        }
    }
    solver.pop()?;
    Ok((out, described.spec.clauses.len()))
}

/// Encodes the call `described` speaks of on `before` (its facts are the
/// caller's; the state's are the caller's to add) and every clause's
/// violation.
pub(crate) fn encode_spec_call(
    solver: &mut Solver,
    (analysis, file): (&Analysis, FileId),
    described: &Described<'_>,
    before: Storage,
    prefix: &str,
) -> Result<SpecCall, EncodeError> {
    let call = encode_call(solver, analysis, file, described.func, prefix, before.clone())?;
    let mut facts: Vec<SExpr> = call.facts.clone();
    let mut scope = SpecScope {
        storage: before.clone(),
        caller: call.caller,
        now: call.now,
        cosigners: call.cosigners,
        ..SpecScope::default()
    };
    for (local, (_, term, _)) in described.info.params.iter().zip(&call.params) {
        scope.locals.insert(*local, *term);
    }
    let clauses = &described.spec.clauses;
    let mut eval = |solver: &mut Solver, e: &Expr, scope: &mut SpecScope, n: &mut u32| {
        *n += 1;
        let value = encode_spec_expr(solver, analysis, file, e, &format!("{prefix}x{n}_"), scope);
        if let Ok(SpecValue { facts: new, .. }) = &value {
            facts.extend(new.iter().copied());
        }
        value
    };
    let mut n = 0;
    // Before the call: the conditions, then every `old(..)`.
    let mut conditions: Vec<Option<Result<SpecValue, EncodeError>>> = Vec::new();
    for clause in clauses {
        let word = clause.keyword.name.as_str();
        conditions.push(match (word, clause.exprs.first()) {
            ("assumes" | "aborts_if", Some(e)) => Some(eval(solver, e, &mut scope, &mut n)),
            _ => None,
        });
    }
    let mut old_aborts: Vec<Vec<SExpr>> = vec![Vec::new(); clauses.len()];
    let mut old_refused: Vec<Option<crate::body::Refused>> = vec![None; clauses.len()];
    let mut olds = BTreeMap::new();
    for (i, clause) in clauses.iter().enumerate().filter(|(_, c)| c.keyword.name == "ensures") {
        for old in clause.exprs.iter().flat_map(old_calls) {
            let ExprKind::Call { args, .. } = &old.kind else { continue };
            let Some(arg) = args.first() else { continue };
            match eval(solver, arg, &mut scope, &mut n) {
                Ok(value) => {
                    olds.insert(old.span, value.value);
                    old_aborts[i].push(value.aborts);
                }
                Err(EncodeError::Refused(refused)) => old_refused[i] = Some(refused),
                Err(e) => return Err(e),
            }
        }
    }
    // The assumptions every other clause is read under, in order (as
    // `writ test` reads them: the first that does not hold excuses the
    // call, so a later one is evaluated only when the earlier ones held).
    // One the prover cannot read leaves the other clauses unread too:
    // assuming less here would report calls the spec does not describe.
    let ctx = solver.ctx();
    let mut assumed = Vec::new();
    let mut assumes_broken = BTreeMap::new();
    let mut unreadable = None;
    for (i, (clause, condition)) in clauses.iter().zip(&conditions).enumerate() {
        if clause.keyword.name != "assumes" {
            continue;
        }
        match condition {
            Some(Ok(value)) => {
                assumes_broken.insert(i, ctx.and(crate::all(ctx, assumed.clone()), value.aborts));
                assumed.push(ctx.and(ctx.not(value.aborts), value.value));
            }
            Some(Err(EncodeError::Refused(refused))) => unreadable = Some(refused.clone()),
            _ => {}
        }
    }
    let assumed = crate::all(ctx, assumed);
    // When several `aborts_if` conditions hold, the call may abort with the
    // error of any of them (as `writ test` reads it): a clause is broken
    // only when the call did not abort as one of the held clauses says.
    // One clause the prover cannot read leaves the others unread too.
    let mut answers = Vec::new();
    let mut aborts_unreadable = None;
    for (clause, condition) in clauses.iter().zip(&conditions) {
        if clause.keyword.name != "aborts_if" {
            continue;
        }
        match condition {
            Some(Ok(value)) => {
                let error = clause.with.as_ref().map(|(_, path)| path.last().name.as_str());
                let named =
                    call.aborts.iter().filter(|(_, exit)| error.is_none_or(|e| exit_name(exit) == Some(e)));
                let aborted = crate::any(ctx, named.map(|(c, _)| *c));
                answers.push(ctx.and(ctx.and(value.value, ctx.not(value.aborts)), aborted));
            }
            Some(Err(EncodeError::Refused(refused))) => aborts_unreadable = Some(refused.clone()),
            _ => {}
        }
    }
    let answered = crate::any(ctx, answers);
    let returns = call.returns;
    // After the call: `ensures` on the storage it leaves.
    let mut after_scope = SpecScope {
        storage: crate::bounded::after(&before, &call),
        olds,
        caller: scope.caller,
        now: scope.now,
        cosigners: scope.cosigners,
        locals: scope.locals.clone(),
    };
    if let (Some(result), Some(value)) = (described.info.result, call.value) {
        after_scope.locals.insert(result, value);
    }
    let mut violations = Vec::new();
    for (i, clause) in clauses.iter().enumerate() {
        let word = clause.keyword.name.as_str();
        let violation = match word {
            _ if word != "assumes" && unreadable.is_some() => Err(unreadable
                .clone()
                .unwrap_or(crate::body::Refused { span: clause.span, what: "this clause".into() })),
            "assumes" | "aborts_if" => match conditions.get_mut(i).and_then(Option::take) {
                Some(Ok(_)) if word == "assumes" => {
                    Ok(assumes_broken.get(&i).copied().unwrap_or_else(|| solver.ctx().false_()))
                }
                Some(Ok(_)) if aborts_unreadable.is_some() => Err(aborts_unreadable
                    .clone()
                    .unwrap_or(crate::body::Refused { span: clause.span, what: "this clause".into() })),
                Some(Ok(value)) => {
                    let ctx = solver.ctx();
                    let held = ctx.and(value.value, ctx.not(answered));
                    Ok(ctx.and(assumed, ctx.or(value.aborts, held)))
                }
                Some(Err(EncodeError::Refused(refused))) => Err(refused),
                Some(Err(e)) => return Err(e),
                None => Err(crate::body::Refused { span: clause.span, what: "this clause".into() }),
            },
            "ensures" => match (&old_refused[i], clause.exprs.first()) {
                (Some(refused), _) => Err(refused.clone()),
                (None, Some(e)) => {
                    n += 1;
                    match encode_spec_expr(
                        solver,
                        analysis,
                        file,
                        e,
                        &format!("{prefix}x{n}_"),
                        &mut after_scope,
                    ) {
                        Ok(value) => {
                            // Read on the state the call leaves, its facts
                            // hold where the call returns: an aborted call
                            // leaves whatever it had half-written.
                            let ctx = solver.ctx();
                            facts.extend(value.facts.iter().map(|fact| ctx.imp(returns, *fact)));
                            let old_abort = crate::any(ctx, old_aborts[i].iter().copied());
                            let broken = ctx.or(value.aborts, ctx.not(value.value));
                            let broken = ctx.or(old_abort, broken);
                            Ok(ctx.and(ctx.and(assumed, returns), broken))
                        }
                        Err(EncodeError::Refused(refused)) => Err(refused),
                        Err(e) => return Err(e),
                    }
                }
                (None, None) => Err(crate::body::Refused { span: clause.span, what: "this clause".into() }),
            },
            "emits" => {
                let allowed = listed(analysis, clauses, "emits");
                let ctx = solver.ctx();
                let other =
                    call.emits.iter().filter(|(_, index)| !allowed.contains(index)).map(|(when, _)| *when);
                let emitted = crate::any(ctx, other);
                Ok(ctx.and(ctx.and(assumed, returns), emitted))
            }
            _ => {
                let kept = listed(analysis, clauses, "modifies");
                let mut changed = Vec::new();
                let mut unreadable = None;
                for (field, (held, ty)) in &before {
                    // Roles are not storage fields; `modifies` speaks of fields.
                    if kept.contains(field) || crate::body::role_of(*field).is_some() {
                        continue;
                    }
                    // A map held in a value keeps a removed key's old value
                    // in the solver's term: equal maps may differ there.
                    let inner = match ty {
                        Ty::Map(_, value) => &**value,
                        other => other,
                    };
                    if crate::sorts::holds_map(analysis, inner) {
                        let shown = analysis.tables().display(ty);
                        unreadable = Some(crate::body::Refused {
                            span: clause.span,
                            what: format!(
                                "`modifies` leaving out a field of type `{shown}` (maps held in values are not compared)"
                            ),
                        });
                        break;
                    }
                    let Some(post) = call.post.get(field) else { continue };
                    changed.push(differs(solver, analysis, ty, *held, *post)?);
                }
                match unreadable {
                    Some(refused) => Err(refused),
                    None => {
                        let ctx = solver.ctx();
                        Ok(ctx.and(ctx.and(assumed, returns), crate::any(ctx, changed)))
                    }
                }
            }
        };
        violations.push(violation);
    }
    // The context the clauses asked for and the call did not is the
    // call's all the same: the search draws it from its accounts and clock
    // and the reproduction sets it.
    let mut call = call;
    call.caller = call.caller.or(after_scope.caller);
    call.now = call.now.or(after_scope.now);
    call.cosigners = call.cosigners.or(after_scope.cosigners);
    Ok(SpecCall { facts, call, before, violations })
}

/// What the `modifies` (storage fields) or `emits` (events) clauses list,
/// by index in the contract.
fn listed(analysis: &Analysis, clauses: &[SpecClause], word: &str) -> Vec<u32> {
    clauses
        .iter()
        .filter(|c| c.keyword.name == word)
        .flat_map(|c| &c.exprs)
        .filter_map(|e| {
            let name = match &e.kind {
                ExprKind::Field { name, .. } => name,
                ExprKind::Path(path) => path.last(),
                _ => return None,
            };
            match analysis.def_of(name) {
                Some(Def::Storage(_, index)) if word == "modifies" => Some(index),
                Some(Def::Event(_, index)) if word == "emits" => Some(index),
                _ => None,
            }
        })
        .collect()
}

/// Whether a field differs as `writ test` sees it: a value by value, a map
/// by which keys are present and the values under them.
fn differs(
    solver: &mut Solver,
    analysis: &Analysis,
    ty: &Ty,
    before: Held,
    after: Held,
) -> Result<SExpr, EncodeError> {
    let key_sort = match ty {
        Ty::Map(key, _) => crate::sorts::sort(solver, analysis, key)?,
        _ => None,
    };
    let ctx = solver.ctx();
    Ok(match (before, after, key_sort) {
        (Held::Value(a), Held::Value(b), _) => ctx.not(ctx.eq(a, b)),
        (Held::Map(a), Held::Map(b), Some(sort)) => {
            // A key present on both sides whose value changed: one
            // existential, which the solver skolemizes.
            let key = ctx.atom("spec_key");
            let both = ctx.and(
                ctx.select(a.present, key),
                ctx.not(ctx.eq(ctx.select(a.values, key), ctx.select(b.values, key))),
            );
            let changed_value =
                ctx.list(vec![ctx.atom("exists"), ctx.list(vec![ctx.list(vec![key, sort])]), both]);
            ctx.or(ctx.not(ctx.eq(a.present, b.present)), changed_value)
        }
        // A field whose shape changed cannot happen; say it changed.
        _ => ctx.true_(),
    })
}

/// How `writ test` and `assert_aborts` name an abort; `None` for one of
/// a kind the encoding does not know, which no name matches.
fn exit_name(exit: &Exit) -> Option<&str> {
    Some(match exit {
        Exit::Abort(code) => code.name(),
        Exit::Require(_) => "Require",
        Exit::Fail { name, .. } => name,
        Exit::Assertion => "Assertion",
        Exit::Unknown => return None,
    })
}
