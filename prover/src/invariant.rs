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
//! obligations. An invariant the prover cannot read is `Refused` and not
//! assumed for the others (assuming less never proves something false);
//! an entry point it cannot read refuses the whole contract. An invariant "holds" in a state when its body runs to the
//! end there: no assertion fails and nothing in it aborts.

use easy_smt::SExpr;
use writ_compiler::ast::{ContractDef, FnDef, FnKind, InvariantDef, MemberKind};
use writ_compiler::types::{Def, Ty};
use writ_compiler::{Analysis, FileId};

use crate::body::{EncodeError, Encoded, Held, MapTerms, Refused, Storage, encode_call, encode_check};
use crate::solver::Answer;
use crate::{Budget, Solver, int, sorts};

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
    /// The invariant uses what the prover does not model yet.
    Refused(Refused),
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
    // A refusal half-way leaves scopes open; close them whatever happened.
    let depth = solver.depth();
    let result = check_scoped(solver, analysis, file, contract, budget);
    solver.pop_to(depth)?;
    result
}

fn check_scoped(
    solver: &mut Solver,
    analysis: &Analysis,
    file: FileId,
    contract: &ContractDef,
    budget: Budget,
) -> Result<Vec<Obligation>, EncodeError> {
    let fields = storage_fields(analysis, file, contract);
    let roles = role_fields(analysis, file, contract);
    let invariants = invariants(contract);
    let mut out = Vec::new();
    if invariants.is_empty() {
        return Ok(out);
    }
    let base = solver.depth();
    for (n, func) in callable(contract).enumerate() {
        let first = out.len();
        let mut next = 0;
        let mut refused = false;
        while next < invariants.len() {
            // A query that stopped the session is `Unknown`; the session
            // is reset and the call encoded again for the next invariant.
            solver.pop_to(base)?;
            let checked = check_after(
                solver,
                (analysis, file),
                (&fields, &roles),
                &invariants,
                (n, func),
                next,
                budget,
                &mut out,
            );
            next = match checked {
                Ok(next) => next,
                // Code of this entry point the prover cannot read: it keeps
                // only the invariants that read nothing it can write (the
                // frame rule); the others are refused, and the other entry
                // points go on.
                Err(EncodeError::Refused(why)) => {
                    refused = true;
                    let written = crate::frame::writes(analysis, file, &func.body);
                    for inv in invariants.iter().skip(next) {
                        let read = crate::frame::reads(analysis, file, &inv.body);
                        // `init` is the base case: nothing held before it,
                        // so leaving a field alone keeps nothing.
                        let kept = func.kind != FnKind::Init && read.is_disjoint(&written);
                        let verdict = if kept { Verdict::Proved } else { Verdict::Refused(why.clone()) };
                        out.push(Obligation {
                            invariant: inv.name.value.clone(),
                            after: func.name.name.clone(),
                            verdict,
                        });
                    }
                    invariants.len()
                }
                Err(e) => return Err(e),
            };
        }
        // Proofs about the calls that return say nothing when none does:
        // asked last, and only when it matters, since a query that must
        // find a state (with every invariant holding) is the hardest kind.
        // Within a fiftieth of the budget (an entry point that can never
        // return is usually shown so at once); undecided, the proofs stand.
        // (Not after a refusal: the solver holds only half an encoding.)
        let proved =
            !refused && out.get(first..).is_some_and(|o| o.iter().all(|o| o.verdict == Verdict::Proved));
        if proved && solver.check_within(Budget(budget.0 / 50))? == Answer::Unsat {
            for obligation in out.get_mut(first..).unwrap_or_default() {
                obligation.verdict = Verdict::Vacuous;
            }
        }
        solver.pop_to(base)?;
    }
    Ok(out)
}

/// Checks invariants `from..` after a call of `func` (number `n`), in
/// one scope it opens and leaves open: up to the first query that stops
/// the session. Returns the number of the first invariant not checked.
#[allow(clippy::too_many_arguments)]
fn check_after(
    solver: &mut Solver,
    (analysis, file): (&Analysis, FileId),
    (fields, roles): Layout<'_>,
    invariants: &[&InvariantDef],
    (n, func): (usize, &FnDef),
    from: usize,
    budget: Budget,
    out: &mut Vec<Obligation>,
) -> Result<usize, EncodeError> {
    let init = func.kind == FnKind::Init;
    solver.push()?;
    let prefix = format!("k{n}_");
    let (storage, mut facts, deployer) = if init {
        let mut storage = initial_storage(solver, analysis, fields)?;
        let ctx = solver.ctx();
        let sort = ctx.int_sort();
        let deployer = ctx.declare_const(format!("{prefix}deployer"), sort)?;
        let in_range = crate::sorts::address_range(solver.ctx(), deployer);
        initial_roles(solver, roles, deployer, &mut storage);
        (storage, vec![in_range], Some(deployer))
    } else {
        let (storage, facts) = assumed_state(solver, (analysis, file), (fields, roles), invariants, &prefix)?;
        (storage, facts, None)
    };
    let call = encode_call(solver, analysis, file, func, &format!("{prefix}call_"), storage.clone())?;
    facts.extend(call.facts.iter().copied());
    // `init`'s caller is the deployer, who holds `Admin`.
    if let (Some(deployer), Some(caller)) = (deployer, call.caller) {
        facts.push(solver.ctx().eq(deployer, caller));
    }
    for fact in &facts {
        solver.assert(*fact)?;
    }
    // Its loop invariants first: every claim about the call rests on them.
    // Where one is not shown, the call still keeps what it cannot write
    // (the frame rule, as for code beyond the encoding).
    if let Some(unshown) = crate::body::prove_loop_claims(solver, &call, budget)? {
        let written = crate::frame::writes(analysis, file, &func.body);
        for inv in invariants.iter().skip(from) {
            let read = crate::frame::reads(analysis, file, &inv.body);
            let kept = !init && read.is_disjoint(&written);
            let verdict = if kept { Verdict::Proved } else { Verdict::Refused(unshown.clone()) };
            out.push(Obligation {
                invariant: inv.name.value.clone(),
                after: func.name.name.clone(),
                verdict,
            });
        }
        return Ok(invariants.len());
    }
    solver.assert(call.returns)?;
    let after: Storage = call
        .post
        .iter()
        .filter_map(|(field, term)| Some((*field, (*term, storage.get(field)?.1.clone()))))
        .collect();
    for (i, inv) in invariants.iter().enumerate().skip(from) {
        let holds = match encode_check(
            solver,
            analysis,
            file,
            &inv.body,
            &format!("{prefix}post{i}_"),
            after.clone(),
        ) {
            Ok(holds) => holds,
            Err(EncodeError::Refused(refused)) => {
                let (invariant, after) = (inv.name.value.clone(), func.name.name.clone());
                out.push(Obligation { invariant, after, verdict: Verdict::Refused(refused) });
                continue;
            }
            Err(e) => return Err(e),
        };
        solver.push()?;
        let broken = solver.ctx().not(holds);
        solver.assert(broken)?;
        let verdict = match solver.check_within(budget)? {
            // An approximate encoding's counterexample need not be real.
            Answer::Sat | Answer::Unknown if !call.approximations.is_empty() => {
                Verdict::Refused(crate::body::not_shown(&call.approximations))
            }
            Answer::Unsat => Verdict::Proved,
            Answer::Unknown => Verdict::Unknown,
            Answer::Sat => Verdict::Counterexample(model(solver, &call, &storage, fields, init)?),
        };
        solver.pop()?;
        out.push(Obligation { invariant: inv.name.value.clone(), after: func.name.name.clone(), verdict });
        if solver.is_canceled() {
            return Ok(i + 1);
        }
    }
    Ok(invariants.len())
}

/// A contract's storage fields (index, name, type) and roles (key, name).
pub(crate) type Layout<'l> = (&'l [(u32, String, Ty)], &'l [(u32, String)]);

/// An arbitrary state where every invariant the prover can read holds:
/// each field a constant named with `prefix`, and the facts that say so.
pub(crate) fn assumed_state(
    solver: &mut Solver,
    (analysis, file): (&Analysis, FileId),
    (fields, roles): Layout<'_>,
    invariants: &[&InvariantDef],
    prefix: &str,
) -> Result<(Storage, Vec<SExpr>), EncodeError> {
    let mut facts = Vec::new();
    let mut storage = Storage::new();
    for (key, name) in roles {
        let ctx = solver.ctx();
        let sort = ctx.array_sort(ctx.int_sort(), ctx.bool_sort());
        let holders = ctx.declare_const(format!("{prefix}role_{name}"), sort)?;
        storage.insert(*key, (Held::Value(holders), Ty::Role(0)));
    }
    for (index, name, ty) in fields {
        let name = format!("{prefix}self_{name}");
        // Fields of other types are left out: code that uses them is
        // refused by name.
        if let Some(held) = arbitrary(solver, analysis, &name, ty, &mut facts)? {
            storage.insert(*index, (held, ty.clone()));
        }
    }
    for (i, inv) in invariants.iter().enumerate() {
        // An invariant the prover cannot read is not assumed: fewer
        // assumptions prove less, never something false.
        match encode_check(solver, analysis, file, &inv.body, &format!("{prefix}pre{i}_"), storage.clone()) {
            Ok(holds) => facts.push(holds),
            Err(EncodeError::Refused(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((storage, facts))
}

/// The invariants of `contract`, in order.
pub fn invariants(contract: &ContractDef) -> Vec<&InvariantDef> {
    contract
        .members
        .iter()
        .filter_map(|m| match &m.kind {
            MemberKind::Invariant(inv) => Some(inv),
            _ => None,
        })
        .collect()
}

/// `init` and the entry points of `contract` (what can change its
/// storage), in order.
pub fn callable(contract: &ContractDef) -> impl Iterator<Item = &FnDef> {
    contract.members.iter().filter_map(|m| match &m.kind {
        MemberKind::Fn(f) if matches!(f.kind, FnKind::Init | FnKind::Entry) => Some(f),
        _ => None,
    })
}

/// Each storage field of `contract`: its index, name and type.
pub fn storage_fields(analysis: &Analysis, file: FileId, contract: &ContractDef) -> Vec<(u32, String, Ty)> {
    info(analysis, file, contract)
        .map(|c| {
            c.storage.iter().enumerate().map(|(i, f)| (i as u32, f.name.clone(), f.ty.clone())).collect()
        })
        .unwrap_or_default()
}

/// Each role of `contract` (`Admin` first): its key among the storage
/// terms (`body::role_field`) and its name.
pub fn role_fields(analysis: &Analysis, file: FileId, contract: &ContractDef) -> Vec<(u32, String)> {
    info(analysis, file, contract)
        .map(|c| {
            c.roles
                .iter()
                .enumerate()
                .map(|(i, r)| (crate::body::role_field(i as u32), r.name.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// What the checker knows of `contract`.
fn info<'a>(
    analysis: &'a Analysis,
    file: FileId,
    contract: &ContractDef,
) -> Option<&'a writ_compiler::types::ContractInfo> {
    let Some(Def::Contract(id)) = analysis.typed_file(file).def(contract.name.id) else { return None };
    analysis.tables().contracts.get(id as usize)
}

/// Roles as a deployment leaves them: `deployer` holds `Admin` (the first
/// role), nobody holds any other.
pub(crate) fn initial_roles(
    solver: &mut Solver,
    roles: &[(u32, String)],
    deployer: SExpr,
    storage: &mut Storage,
) {
    let ctx = solver.ctx();
    let nobody = crate::concrete::nobody(ctx);
    for (n, (key, _)) in roles.iter().enumerate() {
        let holders = if n == 0 { ctx.store(nobody, deployer, ctx.true_()) } else { nobody };
        storage.insert(*key, (Held::Value(holders), Ty::Role(0)));
    }
}

/// Storage as a contract's starts: each modelled field at its type's zero
/// value, maps empty.
pub fn initial_storage(
    solver: &mut Solver,
    analysis: &Analysis,
    fields: &[(u32, String, Ty)],
) -> Result<Storage, EncodeError> {
    let mut storage = Storage::new();
    for (index, _, ty) in fields {
        if let Some(held) = zero(solver, analysis, ty)? {
            storage.insert(*index, (held, ty.clone()));
        }
    }
    Ok(storage)
}

/// A field as storage starts: its type's zero value, a map empty.
fn zero(solver: &mut Solver, analysis: &Analysis, ty: &Ty) -> Result<Option<Held>, EncodeError> {
    let Ty::Map(key, value) = ty else { return Ok(sorts::zero(solver, analysis, ty)?.map(Held::Value)) };
    if sorts::sort(solver, analysis, key)?.is_none() || sorts::zero(solver, analysis, value)?.is_none() {
        return Ok(None);
    }
    let ctx = solver.ctx();
    let Some((present, values)) = sorts::empty_map(ctx, analysis, key, value) else { return Ok(None) };
    Ok(Some(Held::Map(MapTerms { present, values, sum: ctx.numeral(0), count: ctx.numeral(0) })))
}

/// A field in an arbitrary state: a constant of its type, with the facts
/// every value of the type obeys (for a map, those of the entries the
/// code reads, stated where it reads them).
fn arbitrary(
    solver: &mut Solver,
    analysis: &Analysis,
    name: &str,
    ty: &Ty,
    facts: &mut Vec<SExpr>,
) -> Result<Option<Held>, EncodeError> {
    if let Ty::Map(key_ty, value_ty) = ty {
        let (Some(key), Some(value)) =
            (sorts::sort(solver, analysis, key_ty)?, sorts::sort(solver, analysis, value_ty)?)
        else {
            return Ok(None);
        };
        let ctx = solver.ctx();
        let (present_sort, values_sort) = (ctx.array_sort(key, ctx.bool_sort()), ctx.array_sort(key, value));
        let present = ctx.declare_const(format!("{name}_present"), present_sort)?;
        let values = ctx.declare_const(format!("{name}_values"), values_sort)?;
        // What each entry obeys is stated where an entry is read
        // (`body`'s `entry`), not here for all entries at once.
        // The sum of an arbitrary map is arbitrary too, except that a map
        // of unsigned numbers, or of lists (it sums their lengths), never
        // sums below zero.
        let int_sort = ctx.int_sort();
        let sum = ctx.declare_const(format!("{name}_sum"), int_sort)?;
        // The count of keys is a `u64` (`len()`); which keys it counts
        // is stated where one is read.
        let count = ctx.declare_const(format!("{name}_count"), int_sort)?;
        facts.push(int::in_range(ctx, int::IntType::U64, count));
        let map = MapTerms { present, values, sum, count };
        if let Some(bound) = crate::body::sum_bound(ctx, analysis, (key, value_ty), map, None) {
            facts.push(bound);
        }
        return Ok(Some(Held::Map(map)));
    }
    let Some(sort) = sorts::sort(solver, analysis, ty)? else { return Ok(None) };
    let ctx = solver.ctx();
    let term = ctx.declare_const(name, sort)?;
    facts.extend(sorts::range(ctx, analysis, ty, term));
    Ok(Some(Held::Value(term)))
}

/// The arguments and the state before the call, as Writ values (those of
/// a type [`value_text`] can write; the others are left out: this is what
/// the report shows of a failed induction, not a test to run).
pub(crate) fn model(
    solver: &mut Solver,
    call: &Encoded,
    storage: &Storage,
    fields: &[(u32, String, Ty)],
    init: bool,
) -> Result<Vec<(String, String)>, EncodeError> {
    let mut out = Vec::new();
    for (name, term, ty) in &call.params {
        if let Some(text) = printable(solver, *term, ty)? {
            out.push((name.clone(), text));
        }
    }
    if let Some(caller) = call.caller {
        out.push(("caller()".to_string(), value_text(solver, caller, &Ty::Address)?));
    }
    if !init {
        for (index, name, ty) in fields {
            // Maps are not listed yet: a model's array is a term, not a
            // list of entries.
            if let Some((Held::Value(term), _)) = storage.get(index)
                && let Some(text) = printable(solver, *term, ty)?
            {
                out.push((format!("self.{name}"), text));
            }
        }
    }
    Ok(out)
}

/// [`value_text`], `None` for a type it cannot write.
fn printable(solver: &mut Solver, term: SExpr, ty: &Ty) -> Result<Option<String>, EncodeError> {
    match ty {
        Ty::Bool
        | Ty::Decimal
        | Ty::String
        | Ty::Int(_)
        | Ty::Address
        | Ty::Ref(_)
        | Ty::Hash
        | Ty::Timestamp
        | Ty::Date => value_text(solver, term, ty).map(Some),
        _ => Ok(None),
    }
}

/// A model's value of `term` as Writ writes a value of `ty`: a literal of
/// a boolean, a number or a string; another type is a bad value.
pub(crate) fn value_text(solver: &mut Solver, term: SExpr, ty: &Ty) -> Result<String, EncodeError> {
    Ok(match ty {
        Ty::Bool => solver.bool_value(term)?.to_string(),
        Ty::Decimal => {
            let raw = solver.int_value(term)?;
            raw.parse::<i128>().map_or(raw, |raw| writ_abi::Decimal::from_raw(raw).to_string())
        }
        Ty::String => writ_string(&solver.string_value(term)?),
        Ty::Int(_) | Ty::Address | Ty::Ref(_) | Ty::Hash | Ty::Timestamp | Ty::Date => {
            solver.int_value(term)?
        }
        _ => {
            let what =
                "an argument of a type other than a number, a boolean, a string or an address".to_string();
            return Err(EncodeError::Solver(crate::SolverError::BadValue(what)));
        }
    })
}

/// `text` as a Writ string literal.
fn writ_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            other => out.push_str(&format!("\\u{{{:x}}}", u32::from(other))),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::writ_string;

    // What the search prints as a string argument is a Writ literal that
    // reads back as the same text.
    #[test]
    fn strings_are_written_as_writ_literals() {
        for text in ["", "plain", "say \"hi\"", "back\\slash", "tab\there", "caf\u{e9}"] {
            let literal = writ_string(text);
            let source = format!("const S: String = {literal};\n");
            let analysis = writ_compiler::Analysis::single("s.writ", &source);
            assert!(!analysis.has_errors(), "{literal}: {:?}", analysis.diagnostics());
            let lexed = writ_compiler::lexer::lex(writ_compiler::FileId(0), &source);
            let read = lexed.tokens.iter().find_map(|(_, tok, _)| match tok {
                writ_compiler::lexer::Tok::Str(s) => Some(s.clone()),
                _ => None,
            });
            assert_eq!(read.as_deref(), Some(text), "{literal}");
        }
    }
}
