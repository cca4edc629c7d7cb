//! The bounded search: sequences of calls from `init` (or from the state
//! a test left the contract in, `concrete`) that break an invariant, or
//! that end in a call breaking a clause of a spec.
//!
//! Where the inductive check fails, the state it starts from may be one no
//! sequence of calls reaches; this search decides whether a real one
//! exists within a bound. A sequence is `init` then up to `depth` calls,
//! each to any entry point with any arguments, made by one of a pool of
//! named accounts (the caller, the co-signers and every `Address`
//! argument are drawn from it). Right after `init` the administrator may
//! grant any account any role: which grants happen is the solver's choice,
//! read back from the model for the reproduction. Each depth is one query:
//! the invariant fails after the last call (or the last call breaks the
//! clause), every call before it returned.
//!
//! What it finds is a sequence a test can replay (the accounts by name);
//! what it does not find is stated with its bounds: no violation within
//! `depth` calls by these accounts.

use easy_smt::SExpr;
use writ_compiler::ast::{ContractDef, FnDef, FnKind};
use writ_compiler::types::Ty;
use writ_compiler::{Analysis, FileId};

use crate::body::{EncodeError, Encoded, Held, MapTerms, Storage, encode_call, encode_check};
use crate::invariant::{callable, initial_roles, initial_storage, invariants, role_fields, storage_fields};
use crate::solver::Answer;
use crate::spec::encode_spec_call;
use crate::{Budget, Solver};

/// One call of a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `init`, or the entry point's name.
    pub entry: String,
    /// The calling account's name.
    pub caller: String,
    /// Each argument as Writ source text (`Address` arguments as the
    /// account's name in `account("…")`).
    pub args: Vec<String>,
    /// The block's time (seconds) when the call reads it (`now()`): a test
    /// sets the clock to it first.
    pub time: Option<String>,
    /// The accounts that co-sign the call (when it reads `signed_by`).
    pub cosigners: Vec<String>,
}

/// What the search found for one invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// `init` (its call first) and the calls after it that break it, with
    /// the roles (role, account) the administrator grants right after
    /// deploying.
    Found(Vec<Call>, Vec<(String, String)>),
    /// No sequence of up to this many calls breaks it; sequences through
    /// the entry points `skipped` (encoded with more behaviours than the
    /// VM has: `Encoded::approximations`) were not searched.
    NotFound { depth: u32, skipped: Vec<String> },
    /// The budget ran out at this depth.
    Unknown { depth: u32 },
}

/// What the search is after, resolved.
enum Target<'c> {
    Invariant(&'c writ_compiler::ast::InvariantDef),
    Spec(&'c crate::spec::Described<'c>, usize),
}

/// One entry point encoded at one depth.
struct Choice<'f> {
    func: &'f FnDef,
    call: Encoded,
}

/// How far a search goes.
#[derive(Debug, Clone, Copy)]
pub struct Bounds<'a> {
    /// Most calls after `init` (or after the state searched from).
    pub depth: u32,
    /// The accounts that call and are passed as addresses: each a name
    /// (for `account("…")` in a test) and its address. The first deploys
    /// (calls `init`).
    pub accounts: &'a [(String, [u8; 20])],
    /// The solver's budget for each depth's query.
    pub budget: Budget,
    /// Where sequences start: `None` for a deployment (`init`, then the
    /// roles the administrator grants), or the state a test left the
    /// contract in (no `init`; the accounts are the test's).
    pub from: Option<&'a crate::concrete::Concrete>,
}

/// What a sequence must break.
#[derive(Debug, Clone, Copy)]
enum Goal {
    /// Invariant number `n` of the contract, after the last call.
    Invariant(usize),
    /// Clause `clause` of spec number `spec`, by one more call to the
    /// function the spec describes (the call need not return).
    Spec { spec: usize, clause: usize },
}

/// Searches for a sequence breaking invariant number `invariant` of
/// `contract` within `bounds`.
pub fn search(
    solver: &mut Solver,
    analysis: &Analysis,
    file: FileId,
    contract: &ContractDef,
    invariant: usize,
    bounds: &Bounds<'_>,
) -> Result<Search, EncodeError> {
    search_for(solver, (analysis, file), contract, Goal::Invariant(invariant), bounds)
}

/// Searches for a sequence whose last call, to the function spec number
/// `spec` of `contract` describes, breaks the spec's clause number
/// `clause`. Depth counts the calls before that last one.
pub fn search_spec(
    solver: &mut Solver,
    analysis: &Analysis,
    file: FileId,
    contract: &ContractDef,
    (spec, clause): (usize, usize),
    bounds: &Bounds<'_>,
) -> Result<Search, EncodeError> {
    search_for(solver, (analysis, file), contract, Goal::Spec { spec, clause }, bounds)
}

fn search_for(
    solver: &mut Solver,
    (analysis, file): (&Analysis, FileId),
    contract: &ContractDef,
    goal: Goal,
    bounds: &Bounds<'_>,
) -> Result<Search, EncodeError> {
    // A refusal half-way leaves scopes open; close them whatever happened.
    let open = solver.depth();
    let result = search_scoped(solver, analysis, file, contract, goal, bounds);
    solver.pop_to(open)?;
    result
}

fn search_scoped(
    solver: &mut Solver,
    analysis: &Analysis,
    file: FileId,
    contract: &ContractDef,
    goal: Goal,
    bounds: &Bounds<'_>,
) -> Result<Search, EncodeError> {
    let Bounds { depth, accounts, budget, .. } = *bounds;
    let described = crate::spec::specs(analysis, contract);
    let target = match goal {
        Goal::Invariant(n) => match invariants(contract).get(n).copied() {
            // Which call's context would it be? A sequence's last call's
            // is not what `writ test` checks the invariant with.
            Some(inv)
                if crate::frame::reads(analysis, file, &inv.body).contains(&crate::frame::Part::Context) =>
            {
                return Err(EncodeError::Refused(crate::body::Refused {
                    span: inv.name.span,
                    what: "searching for calls that break an invariant that reads the call's context (`caller()`, `now()`, `signed_by`)".into(),
                }));
            }
            Some(inv) => Target::Invariant(inv),
            None => return Ok(Search::NotFound { depth: 0, skipped: Vec::new() }),
        },
        Goal::Spec { spec, clause } => match described.get(spec) {
            Some(described) => Target::Spec(described, clause),
            None => return Ok(Search::NotFound { depth: 0, skipped: Vec::new() }),
        },
    };
    let init = callable(contract).find(|f| f.kind == FnKind::Init);
    let entries: Vec<&FnDef> = callable(contract).filter(|f| f.kind == FnKind::Entry).collect();
    let fields = storage_fields(analysis, file, contract);
    let roles = role_fields(analysis, file, contract);
    let pool: Vec<SExpr> =
        accounts.iter().map(|(_, address)| crate::concrete::address_term(solver.ctx(), address)).collect();

    solver.push()?;
    let mut steps: Vec<Vec<Choice<'_>>> = Vec::new();
    let mut clock = None;
    let (mut storage, grants) = match bounds.from {
        None => {
            let mut storage = initial_storage(solver, analysis, &fields)?;
            if let Some(deployer) = pool.first() {
                initial_roles(solver, &roles, *deployer, &mut storage);
            }
            if let Some(init) = init {
                let call = encode_call(solver, analysis, file, init, "b0_", storage.clone())?;
                exact(&call)?;
                clock = Some(tick(solver, 0, clock, std::slice::from_ref(&call))?);
                // The first account deploys.
                assume_call(solver, &call, pool.get(..1).unwrap_or_default(), &pool)?;
                solver.assert(call.returns)?;
                storage = after(&storage, &call);
                steps.push(vec![Choice { func: init, call }]);
            }
            let grants = setup_grants(solver, &roles, &pool, &mut storage)?;
            (storage, grants)
        }
        // A test's state: its storage and roles as they are, its clock
        // the earliest time of the calls after it.
        Some(state) => {
            let storage = crate::concrete::storage(solver, analysis, &fields, &roles, state)?;
            let ctx = solver.ctx();
            clock = Some(crate::int::constant(ctx, i128::from(state.time)));
            (storage, Vec::new())
        }
    };
    let mut selectors = Vec::new();
    let mut found = None;
    let mut skipped = Vec::new();
    for d in 0..=depth {
        if d > 0 {
            let mut choices = Vec::new();
            for (j, func) in entries.iter().enumerate() {
                let call = encode_call(solver, analysis, file, func, &format!("b{d}_{j}_"), storage.clone())?;
                // A behaviour of an approximate encoding may not be real:
                // no sequence goes through it.
                if !call.approximations.is_empty() {
                    if !skipped.contains(&func.name.name) {
                        skipped.push(func.name.name.clone());
                    }
                    continue;
                }
                assume_call(solver, &call, &pool, &pool)?;
                choices.push(Choice { func, call });
            }
            if choices.is_empty() {
                break;
            }
            let calls: Vec<&Encoded> = choices.iter().map(|c| &c.call).collect();
            clock = Some(tick_all(solver, d, clock, &calls)?);
            let ctx = solver.ctx();
            let sort = ctx.int_sort();
            let selector = ctx.declare_const(format!("b{d}_entry"), sort)?;
            let ctx = solver.ctx();
            let chosen = |j: usize| ctx.eq(selector, ctx.numeral(j));
            let returned =
                crate::any(ctx, choices.iter().enumerate().map(|(j, c)| ctx.and(chosen(j), c.call.returns)));
            solver.assert(returned)?;
            storage = joined(solver, selector, &storage, &choices);
            selectors.push(selector);
            steps.push(choices);
        }
        solver.push()?;
        let last = match target {
            Target::Invariant(inv) => {
                let holds =
                    encode_check(solver, analysis, file, &inv.body, &format!("b{d}_inv_"), storage.clone())?;
                let broken = solver.ctx().not(holds);
                solver.assert(broken)?;
                None
            }
            Target::Spec(described, clause) => {
                let prefix = format!("b{d}_spec_");
                let spec_call =
                    encode_spec_call(solver, (analysis, file), described, storage.clone(), &prefix)?;
                exact(&spec_call.call)?;
                for fact in &spec_call.facts {
                    solver.assert(*fact)?;
                }
                assume_call(solver, &spec_call.call, &pool, &pool)?;
                tick(solver, d + 1, clock, std::slice::from_ref(&spec_call.call))?;
                let broken = match spec_call.violations.get(clause) {
                    Some(Ok(violation)) => *violation,
                    Some(Err(refused)) => return Err(EncodeError::Refused(refused.clone())),
                    None => solver.ctx().false_(),
                };
                solver.assert(broken)?;
                Some(Choice { func: described.func, call: spec_call.call })
            }
        };
        match solver.check_within(budget)? {
            Answer::Sat => {
                // Small numbers make a test easier to read: keep them if
                // some breaking sequence has them.
                solver.push()?;
                let small = small_arguments(solver, &steps);
                solver.assert(small)?;
                let smaller = solver.check_within(budget)? == Answer::Sat;
                if !smaller {
                    solver.pop()?;
                    solver.check_within(budget)?;
                }
                let mut calls = sequence(solver, analysis, &steps, &selectors, accounts, &pool)?;
                if let Some(last) = &last {
                    calls.push(call_of(solver, analysis, last, accounts, &pool)?);
                }
                let mut granted = Vec::new();
                for (role, account, grant) in &grants {
                    if solver.bool_value(*grant)? {
                        let name = accounts.get(*account).map(|(name, _)| name.clone()).unwrap_or_default();
                        granted.push((role.clone(), name));
                    }
                }
                found = Some((calls, granted));
                if smaller {
                    solver.pop()?;
                }
                solver.pop()?;
                break;
            }
            Answer::Unknown => {
                solver.pop()?;
                solver.pop()?;
                return Ok(Search::Unknown { depth: d });
            }
            Answer::Unsat => solver.pop()?,
        }
    }
    solver.pop()?;
    Ok(match found {
        Some((calls, grants)) => Search::Found(calls, grants),
        None => Search::NotFound { depth, skipped },
    })
}

/// `Ok` when `call`'s encoding is exact; else the first approximation,
/// refused: a sequence through it could not be trusted.
fn exact(call: &Encoded) -> Result<(), EncodeError> {
    match call.approximations.first() {
        None => Ok(()),
        Some(why) => Err(EncodeError::Refused(crate::body::Refused {
            span: why.span,
            what: format!("the search through code read with more behaviours than it has: {}", why.what),
        })),
    }
}

/// The roles the administrator may grant after deploying, before any
/// call: whether each account of the pool is given each role is the
/// solver's choice (`Admin` for the deployer excepted: it holds it). The
/// choices, to read from a model.
fn setup_grants(
    solver: &mut Solver,
    roles: &[(u32, String)],
    pool: &[SExpr],
    storage: &mut Storage,
) -> Result<Vec<(String, usize, SExpr)>, EncodeError> {
    let mut grants = Vec::new();
    for (n, (key, name)) in roles.iter().enumerate() {
        let Some((Held::Value(mut holders), ty)) = storage.get(key).cloned() else { continue };
        for (a, account) in pool.iter().enumerate() {
            if n == 0 && a == 0 {
                continue;
            }
            let ctx = solver.ctx();
            let sort = ctx.bool_sort();
            let grant = ctx.declare_const(format!("grant_{name}_{a}"), sort)?;
            let ctx = solver.ctx();
            let held = ctx.or(ctx.select(holders, *account), grant);
            holders = ctx.store(holders, *account, held);
            grants.push((name.clone(), a, grant));
        }
        storage.insert(*key, (Held::Value(holders), ty));
    }
    Ok(grants)
}

/// The block's time at depth `d`: no earlier than at the depth before,
/// within what a test's clock can be set to (a signed 64-bit count), and
/// what every call of this depth that reads the time sees.
fn tick(solver: &mut Solver, d: u32, before: Option<SExpr>, calls: &[Encoded]) -> Result<SExpr, EncodeError> {
    tick_all(solver, d, before, &calls.iter().collect::<Vec<_>>())
}

fn tick_all(
    solver: &mut Solver,
    d: u32,
    before: Option<SExpr>,
    calls: &[&Encoded],
) -> Result<SExpr, EncodeError> {
    let ctx = solver.ctx();
    let sort = ctx.int_sort();
    let clock = ctx.declare_const(format!("b{d}_clock"), sort)?;
    let ctx = solver.ctx();
    let mut facts = vec![ctx.lte(ctx.numeral(0), clock), ctx.lte(clock, ctx.numeral(i64::MAX))];
    if let Some(before) = before {
        facts.push(ctx.gte(clock, before));
    }
    facts.extend(calls.iter().filter_map(|call| call.now).map(|now| ctx.eq(now, clock)));
    for fact in facts {
        solver.assert(fact)?;
    }
    Ok(clock)
}

/// Every numeric argument of every call between -1000 and 1000 (for a
/// `Decimal`, in whole units).
fn small_arguments(solver: &mut Solver, steps: &[Vec<Choice<'_>>]) -> SExpr {
    let ctx = solver.ctx();
    let mut bounds = Vec::new();
    for choice in steps.iter().flatten() {
        for (_, term, ty) in &choice.call.params {
            let limit: i128 = match ty {
                Ty::Int(_) => 1000,
                Ty::Decimal => 1000 * 1_000_000_000_000_000_000,
                _ => continue,
            };
            let (lo, hi) = (crate::int::constant(ctx, -limit), crate::int::constant(ctx, limit));
            bounds.push(ctx.and(ctx.lte(lo, *term), ctx.lte(*term, hi)));
        }
    }
    crate::all(ctx, bounds)
}

/// The facts of one call, with its caller drawn from `callers` and its
/// `Address` arguments from `addresses` (roles a body reads without a
/// contract's state are free booleans, held here).
fn assume_call(
    solver: &mut Solver,
    call: &Encoded,
    callers: &[SExpr],
    addresses: &[SExpr],
) -> Result<(), EncodeError> {
    for fact in &call.facts {
        solver.assert(*fact)?;
    }
    for role in &call.roles {
        solver.assert(*role)?;
    }
    let arguments =
        call.params.iter().filter(|(_, _, ty)| *ty == Ty::Address).map(|(_, term, _)| (*term, addresses));
    for (term, pool) in call.caller.map(|c| (c, callers)).into_iter().chain(arguments) {
        let ctx = solver.ctx();
        let one_of = crate::any(ctx, pool.iter().map(|account| ctx.eq(term, *account)));
        solver.assert(one_of)?;
    }
    Ok(())
}

/// Storage after a call that returned.
pub(crate) fn after(before: &Storage, call: &Encoded) -> Storage {
    before
        .iter()
        .map(|(field, (held, ty))| (*field, (call.post.get(field).copied().unwrap_or(*held), ty.clone())))
        .collect()
}

/// Storage after whichever entry point `selector` chose.
fn joined(solver: &mut Solver, selector: SExpr, before: &Storage, choices: &[Choice<'_>]) -> Storage {
    let mut out = Storage::new();
    for (field, (held, ty)) in before {
        let mut merged = *held;
        for (j, choice) in choices.iter().enumerate().rev() {
            let Some(post) = choice.call.post.get(field) else { continue };
            let ctx = solver.ctx();
            let chosen = ctx.eq(selector, ctx.numeral(j));
            merged = match (post, merged) {
                (Held::Value(a), Held::Value(b)) => Held::Value(ctx.ite(chosen, *a, b)),
                (Held::Map(a), Held::Map(b)) => Held::Map(MapTerms::ite(ctx, chosen, *a, b)),
                _ => merged,
            };
        }
        out.insert(*field, (merged, ty.clone()));
    }
    out
}

/// The model's sequence: `init`, then the chosen entry point at each depth.
fn sequence(
    solver: &mut Solver,
    analysis: &Analysis,
    steps: &[Vec<Choice<'_>>],
    selectors: &[SExpr],
    accounts: &[(String, [u8; 20])],
    pool: &[SExpr],
) -> Result<Vec<Call>, EncodeError> {
    let mut calls = Vec::new();
    let mut at_depth = steps.iter();
    // `init` is the step without a selector.
    if steps.len() > selectors.len()
        && let Some(choice) = at_depth.next().and_then(|c| c.first())
    {
        calls.push(call_of(solver, analysis, choice, accounts, pool)?);
    }
    for (choices, selector) in at_depth.zip(selectors) {
        let chosen: usize = solver.int_value(*selector)?.parse().unwrap_or(0);
        if let Some(choice) = choices.get(chosen) {
            calls.push(call_of(solver, analysis, choice, accounts, pool)?);
        }
    }
    Ok(calls)
}

fn call_of(
    solver: &mut Solver,
    analysis: &Analysis,
    choice: &Choice<'_>,
    accounts: &[(String, [u8; 20])],
    pool: &[SExpr],
) -> Result<Call, EncodeError> {
    let writer = crate::source::Writer { analysis, accounts, pool };
    let first = || accounts.first().map(|(name, _)| name.clone()).unwrap_or_default();
    // The caller and address arguments are drawn from the accounts.
    let account_of = |solver: &mut Solver, term: SExpr| -> Result<String, EncodeError> {
        Ok(writer.account(solver, term)?.unwrap_or_else(first))
    };
    let caller = match choice.call.caller {
        Some(term) => account_of(solver, term)?,
        None => accounts.first().map(|(name, _)| name.clone()).unwrap_or_default(),
    };
    let mut args = Vec::new();
    for (_, term, ty) in &choice.call.params {
        args.push(match ty {
            Ty::Address => format!("account({:?})", account_of(solver, *term)?),
            _ => writer.source(solver, *term, ty)?,
        });
    }
    let time = match choice.call.now {
        Some(now) => Some(solver.int_value(now)?),
        None => None,
    };
    let mut cosigners = Vec::new();
    if let (Some(signed), Some(caller_term)) = (choice.call.cosigners, choice.call.caller) {
        for ((name, _), account) in accounts.iter().zip(pool) {
            let ctx = solver.ctx();
            let other = ctx.and(ctx.not(ctx.eq(*account, caller_term)), ctx.select(signed, *account));
            if solver.bool_value(other)? {
                cosigners.push(name.clone());
            }
        }
    }
    Ok(Call { entry: choice.func.name.name.clone(), caller, args, time, cosigners })
}
