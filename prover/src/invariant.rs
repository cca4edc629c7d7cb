//! The inductive check of a contract's invariants.
//!
//! An invariant holds in every reachable state if it holds after `init`
//! (the base case) and if every entry point that returns keeps it (the
//! step): from any state where all invariants hold, with any arguments and
//! any caller, a call that returns leaves each invariant holding. Each pair
//! (invariant, `init` or entry point) is one obligation and one query; the
//! solver either finds none of the calls that break it (`Proved`), finds
//! one (`Counterexample`: the arguments and the state before the call), or
//! spends its budget (`Unknown`); when no call returns at all from such a
//! state the obligation is `Vacuous`. A counterexample to the step may start
//! from a state no sequence of calls reaches; the bounded search that
//! decides that is the next layer.
//!
//! Views cannot write storage, so they keep every invariant and are not
//! obligations. An invariant "holds" in a state when its body runs to the
//! end there: no assertion fails and nothing in it aborts.

use easy_smt::SExpr;
use writ_compiler::ast::{ContractDef, FnKind, MemberKind};
use writ_compiler::types::{Def, Ty};
use writ_compiler::{Analysis, FileId};

use crate::body::{EncodeError, Storage, encode_call, encode_check};
use crate::solver::Answer;
use crate::{Budget, Solver, decimal, int};

/// The outcome of one obligation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Proved,
    /// A call that breaks the invariant: each parameter and storage field
    /// before the call, with its value as Writ source text.
    Counterexample(Vec<(String, String)>),
    /// The solver's budget ran out.
    Unknown,
    /// No call returns from a state where the invariants hold: nothing was
    /// shown, and the entry point (or the invariants) deserve a look.
    Vacuous,
}

/// One invariant after `init` or after one entry point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obligation {
    pub invariant: String,
    /// `init`, or the entry point's name.
    pub after: String,
    pub verdict: Verdict,
}

/// Checks every invariant of `contract` (in user file `file`), each query
/// within `budget`.
pub fn check_contract(
    solver: &mut Solver,
    analysis: &Analysis,
    file: FileId,
    contract: &ContractDef,
    budget: Budget,
) -> Result<Vec<Obligation>, EncodeError> {
    let typed = analysis.typed_file(file);
    let Some(Def::Contract(id)) = typed.def(contract.name.id) else { return Ok(Vec::new()) };
    let fields: Vec<(u32, String, Ty)> = analysis
        .tables()
        .contracts
        .get(id as usize)
        .map(|c| {
            c.storage.iter().enumerate().map(|(i, f)| (i as u32, f.name.clone(), f.ty.clone())).collect()
        })
        .unwrap_or_default();
    let invariants: Vec<_> = contract
        .members
        .iter()
        .filter_map(|m| match &m.kind {
            MemberKind::Invariant(inv) => Some(inv),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    if invariants.is_empty() {
        return Ok(out);
    }
    let fns = contract.members.iter().filter_map(|m| match &m.kind {
        MemberKind::Fn(f) if matches!(f.kind, FnKind::Init | FnKind::Entry) => Some(f),
        _ => None,
    });
    for (n, func) in fns.enumerate() {
        let init = func.kind == FnKind::Init;
        solver.push()?;
        let prefix = format!("k{n}_");
        let mut storage = Storage::new();
        let mut facts = Vec::new();
        for (index, name, ty) in &fields {
            let ctx = solver.ctx();
            let term = match (ty, init) {
                // Storage starts at each type's zero value.
                (Ty::Bool, true) => ctx.false_(),
                (Ty::Int(_) | Ty::Decimal, true) => ctx.numeral(0),
                (Ty::Bool, false) => {
                    let sort = ctx.bool_sort();
                    ctx.declare_const(format!("{prefix}self_{name}"), sort)?
                }
                (Ty::Int(t), false) => {
                    let sort = ctx.int_sort();
                    let term = ctx.declare_const(format!("{prefix}self_{name}"), sort)?;
                    facts.push(int::in_range(ctx, *t, term));
                    term
                }
                (Ty::Decimal, false) => {
                    let sort = ctx.int_sort();
                    let term = ctx.declare_const(format!("{prefix}self_{name}"), sort)?;
                    facts.push(decimal::in_range(ctx, term));
                    term
                }
                // Fields of other types are left out: code that uses them
                // is refused by name.
                _ => continue,
            };
            storage.insert(*index, (term, ty.clone()));
        }
        if !init {
            for (i, inv) in invariants.iter().enumerate() {
                let holds = encode_check(
                    solver,
                    analysis,
                    file,
                    &inv.body,
                    &format!("{prefix}pre{i}_"),
                    storage.clone(),
                )?;
                facts.push(holds);
            }
        }
        let call = encode_call(solver, analysis, file, func, &format!("{prefix}call_"), storage.clone())?;
        facts.extend(call.facts.iter().copied());
        facts.push(call.returns);
        for fact in &facts {
            solver.assert(*fact)?;
        }
        let after: Storage = call
            .post
            .iter()
            .filter_map(|(field, term)| Some((*field, (*term, storage.get(field)?.1.clone()))))
            .collect();
        let vacuous = solver.check_within(budget)? == Answer::Unsat;
        for (i, inv) in invariants.iter().enumerate() {
            if vacuous {
                let (invariant, after) = (inv.name.value.clone(), func.name.name.clone());
                out.push(Obligation { invariant, after, verdict: Verdict::Vacuous });
                continue;
            }
            let holds =
                encode_check(solver, analysis, file, &inv.body, &format!("{prefix}post{i}_"), after.clone())?;
            solver.push()?;
            let broken = solver.ctx().not(holds);
            solver.assert(broken)?;
            let verdict = match solver.check_within(budget)? {
                Answer::Unsat => Verdict::Proved,
                Answer::Unknown => Verdict::Unknown,
                Answer::Sat => Verdict::Counterexample(model(solver, &call.params, &storage, &fields, init)?),
            };
            solver.pop()?;
            out.push(Obligation {
                invariant: inv.name.value.clone(),
                after: func.name.name.clone(),
                verdict,
            });
        }
        solver.pop()?;
    }
    Ok(out)
}

/// The arguments and the state before the call, as Writ values.
fn model(
    solver: &mut Solver,
    params: &[(String, SExpr, Ty)],
    storage: &Storage,
    fields: &[(u32, String, Ty)],
    init: bool,
) -> Result<Vec<(String, String)>, EncodeError> {
    let mut out = Vec::new();
    for (name, term, ty) in params {
        out.push((name.clone(), value_text(solver, *term, ty)?));
    }
    if !init {
        for (index, name, ty) in fields {
            if let Some((term, _)) = storage.get(index) {
                out.push((format!("self.{name}"), value_text(solver, *term, ty)?));
            }
        }
    }
    Ok(out)
}

/// A model's value of `term` as Writ writes a value of `ty`.
fn value_text(solver: &mut Solver, term: SExpr, ty: &Ty) -> Result<String, EncodeError> {
    Ok(match ty {
        Ty::Bool => solver.bool_value(term)?.to_string(),
        Ty::Decimal => {
            let raw = solver.int_value(term)?;
            raw.parse::<i128>().map_or(raw, |raw| writ_abi::Decimal::from_raw(raw).to_string())
        }
        _ => solver.int_value(term)?,
    })
}
