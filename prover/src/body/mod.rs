//! A function body as terms: what it returns and when it aborts, for every
//! input at once.
//!
//! The body is executed symbolically over the typed program (the parser's
//! tree with the checker's type and definition of every node). A state is
//! the condition under which execution is still going (`live`) and the
//! term each local holds; `if` runs both branches under their conditions
//! and joins them with `ite`; every abort is recorded with the condition
//! under which it is the first thing to happen, in the order the VM would
//! meet it. Each `let`, assignment and join is named in the solver
//! (`define-const`), so a term never repeats a subterm and queries grow
//! with the code, not with the number of paths.
//!
//! Invariant: a construct the encoding does not model exactly is refused
//! by name and place (`Refused`), never approximated silently: in code
//! that runs, a loop read by its last iteration and a module's function
//! read by its result's type (`havoc`) allow more behaviours than the VM
//! has, and each is recorded (`Encoded::approximations`), so that what is
//! proved stays true and nothing found there is taken for real. Encoded so far:
//! values of the types `sorts` models (`bool`, integers, `Decimal`,
//! `Address`, `Hash`, `String`, structs and tuples of those), struct
//! literals, fields and tuple fields, assignment into fields of locals,
//! storage and map entries; literals, parameters,
//! `let`, assignment to locals and storage fields (`=`, `+=`, `-=`),
//! arithmetic, comparisons, `!`, `&&` and `||` (short-circuit), `as`,
//! blocks, `if`, `return`, `require`, `fail`, `assert`, `assert_eq`,
//! `caller()`, `Decimal`'s `round`, `trunc`, `floor`, `ceil` and `abs`;
//! enums and `Option`s with `match` (`choice`), lists and loops over lists
//! known where they start (`lists`), `Timestamp` and `Date` (`calendar`);
//! `emit` (its arguments, and which event is reached where), `min`, `max`;
//! maps in storage from those types to those types (index, `get` with
//! `unwrap_or`/`unwrap`/`is_some`/`is_none`, `contains`, `insert`,
//! `remove`, entry assignment, `len`), each with a ghost sum of its values
//! (of their lengths, for lists) and count of keys; maps held in maps, as
//! values (`map_values`); loops whose body only checks (over a map, a
//! list, a range or a counter: quantifiers), returns a literal early, or
//! adds a map's values to a total (the ghost sum), in `for_all`; other
//! loops of code that runs by their last iteration, with their loop
//! invariants (`havoc`). Roles are arrays from addresses to booleans, read
//! by `requires` and `has_role`, written by `grant` and `revoke`;
//! `signed_by` reads the call's co-signers. Calls of the program's own
//! functions are encoded in place (inlined, up to 16 deep; callees with
//! `requires` are refused, and so is recursion, but for a module's
//! function, read by its result's type in code that runs).

mod calendar;
mod choice;
mod contract_calls;
mod for_all;
mod havoc;
mod lists;
mod map_values;

use std::collections::{BTreeMap, HashMap};

use easy_smt::{Context, SExpr};
use writ_abi::Rounding;
use writ_abi::host::AbortCode;
use writ_compiler::Analysis;
use writ_compiler::ast::{
    AssignOp, BinOp, Block, Expr, ExprKind, FnDef, ForIter, ItemKind, Lit, MemberKind, Stmt, StmtKind, UnOp,
};
use writ_compiler::check::TypedFile;
use writ_compiler::span::Span;
use writ_compiler::types::{Def, FnId, LocalId, Ty};

use crate::int::{self, Arith, Checked, Compare};
use crate::{Solver, SolverError, decimal, sorts};

/// How a call ends other than by returning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// A check of the language: overflow, division by zero, conversion.
    Abort(AbortCode),
    /// `require(condition, message)` with a false condition.
    Require(String),
    /// `fail E(..)`: the error's index in its contract and its name.
    Fail { index: u32, name: String },
    /// `assert` or `assert_eq` (in invariants and tests) did not hold.
    Assertion,
    /// An abort whose kind the encoding does not know (which of a loop's
    /// different checks fails first, how a function read by its result's
    /// type aborts): no `aborts_if … with` names it.
    Unknown,
}

/// A function encoded: its parameters, when it returns and with what, and
/// every way it aborts.
#[derive(Debug)]
pub struct Encoded {
    /// Each parameter's name, constant and type.
    pub params: Vec<(String, SExpr, Ty)>,
    /// What every value of the parameters' types obeys (ranges).
    pub facts: Vec<SExpr>,
    /// When the call returns normally.
    pub returns: SExpr,
    /// The result when it returns (`None` for functions without one).
    pub value: Option<SExpr>,
    /// When it aborts, and how; at most one condition holds for any input.
    pub aborts: Vec<(SExpr, Exit)>,
    /// Each storage field the call was given, as it is when the call
    /// returns (by the field's index in its contract).
    pub post: BTreeMap<u32, Held>,
    /// The caller, when the code asks for it (`caller()`).
    pub caller: Option<SExpr>,
    /// The block's time, when the code asks for it (`now()`).
    pub now: Option<SExpr>,
    /// Who co-signed the call (an array from addresses to booleans; the
    /// caller signs anyway), when the code asks (`signed_by`).
    pub cosigners: Option<SExpr>,
    /// Whether the caller holds each role `requires` names, in order.
    pub roles: Vec<SExpr>,
    /// Each `emit` the call can reach: when it is reached (a call that
    /// then returns emitted it), and the event's index in its contract.
    pub emits: Vec<(SExpr, u32)>,
    /// Where the encoding holds more behaviours than the VM has (a loop
    /// read by its last iteration, a function read by its result's type:
    /// `havoc`): what it says of every call still holds of every real one,
    /// but a behaviour it allows may not be real, so no search goes
    /// through it. Empty when the encoding is exact.
    pub approximations: Vec<Refused>,
    /// The loop invariants' claims (`invariant c;` in a loop read by its
    /// last iteration): where each fails, and what it is. Every proof
    /// about the call must show these conditions never hold, as the
    /// encoding assumes the invariants.
    pub loop_claims: Vec<(SExpr, Refused)>,
}

/// Proves each loop invariant claim of `call` (`Encoded::loop_claims`) in
/// a query of its own, under the facts asserted so far, then asserts that
/// none fails, so that later queries may rely on them. `Some` with the
/// first claim not proved (the solver found a way it fails, or could not
/// decide): nothing about the call can be shown then.
pub fn prove_loop_claims(
    solver: &mut Solver,
    call: &Encoded,
    budget: crate::Budget,
) -> std::result::Result<Option<Refused>, SolverError> {
    for (fails, what) in &call.loop_claims {
        solver.push()?;
        solver.assert(*fails)?;
        let answer = solver.check_within(budget)?;
        solver.pop()?;
        if answer != crate::solver::Answer::Unsat {
            return Ok(Some(what.clone()));
        }
    }
    for (fails, _) in &call.loop_claims {
        let holds = solver.ctx().not(*fails);
        solver.assert(holds)?;
    }
    Ok(None)
}

/// What a claim an approximate encoding (`Encoded::approximations`) did
/// not prove is beyond: the first approximation, as a refusal.
pub fn not_shown(approximations: &[Refused]) -> Refused {
    match approximations.first() {
        Some(first) => Refused { span: first.span, what: format!("{}, which does not show it", first.what) },
        None => Refused { span: Span::default(), what: "an approximate encoding".into() },
    }
}

/// What the encoding cannot model, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub span: Span,
    pub what: String,
}

/// Why an encoding stopped.
#[derive(Debug)]
pub enum EncodeError {
    Refused(Refused),
    Solver(SolverError),
}

impl From<SolverError> for EncodeError {
    fn from(e: SolverError) -> EncodeError {
        EncodeError::Solver(e)
    }
}

impl From<std::io::Error> for EncodeError {
    fn from(e: std::io::Error) -> EncodeError {
        EncodeError::Solver(SolverError::Io(e))
    }
}

type Result<T> = std::result::Result<T, EncodeError>;

fn refuse<T>(span: Span, what: impl Into<String>) -> Result<T> {
    Err(EncodeError::Refused(Refused { span, what: what.into() }))
}

/// What a storage field holds: a value, or a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Value(SExpr),
    Map(MapTerms),
}

/// A map as two arrays over its keys (whether each key is present, and the
/// value under it) and the sum of its present values (a ghost the prover
/// keeps up to date at every write, as the Move Prover does, so that an
/// invariant may speak of the total; for maps of lists, the sum of their
/// lengths; 0 for maps of anything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapTerms {
    pub present: SExpr,
    pub values: SExpr,
    pub sum: SExpr,
    /// How many keys are present (`len()`), a ghost kept like the sum.
    pub count: SExpr,
}

impl MapTerms {
    /// `a` where `condition` holds, else `b`, term by term.
    pub fn ite(ctx: &Context, condition: SExpr, a: MapTerms, b: MapTerms) -> MapTerms {
        MapTerms {
            present: ctx.ite(condition, a.present, b.present),
            values: ctx.ite(condition, a.values, b.values),
            sum: ctx.ite(condition, a.sum, b.sum),
            count: ctx.ite(condition, a.count, b.count),
        }
    }
}

/// What the ghost sum of a map of type `Map<_, value_ty>` (keys of sort
/// `key_sort`) obeys in every state, where no value is below zero (always,
/// for unsigned numbers and for lists' lengths): the sum is not below zero
/// either (`at: None`), and the value under key `at` does not exceed it.
/// The sum of an arbitrary map is otherwise arbitrary, and an entry
/// removed could take it below zero. Stated where an entry is read, like
/// a value's range: a quantifier over every entry made the search for
/// models slow.
pub(crate) fn sum_bound(
    ctx: &Context,
    analysis: &Analysis,
    (key_sort, value_ty): (SExpr, &Ty),
    map: MapTerms,
    at: Option<SExpr>,
) -> Option<SExpr> {
    let measure = |v: SExpr| match value_ty {
        Ty::List(_) => sorts::list_len(ctx, analysis, value_ty, v),
        _ => Some(v),
    };
    let never_negative = match value_ty {
        Ty::Int(t) => !t.signed(),
        Ty::Decimal => false,
        Ty::List(_) => true,
        _ => return None,
    };
    let zero = ctx.numeral(0);
    let bound = match at {
        None => ctx.gte(map.sum, zero),
        Some(key) => {
            let within = ctx.lte(measure(ctx.select(map.values, key))?, map.sum);
            ctx.imp(ctx.select(map.present, key), within)
        }
    };
    if never_negative {
        return Some(bound);
    }
    let j = ctx.atom("ghost_j");
    let non_negative = ctx.gte(measure(ctx.select(map.values, j))?, zero);
    let all = ctx.forall([("ghost_j", key_sort)], ctx.imp(ctx.select(map.present, j), non_negative));
    Some(ctx.imp(all, bound))
}

/// One way a call returns: when it is taken, the value, and the storage as
/// it is then.
#[derive(Debug, Clone)]
pub(super) struct Return {
    when: SExpr,
    value: SExpr,
    storage: BTreeMap<u32, Held>,
}

/// Where execution is: the condition under which it is still going, and
/// what each local holds.
#[derive(Debug, Clone)]
struct State {
    live: SExpr,
    locals: BTreeMap<LocalId, SExpr>,
    /// The contract's storage fields that are modelled, by index.
    storage: BTreeMap<u32, Held>,
}

/// Storage fields given to a call: each field's term and type, by the
/// field's index in its contract. A contract's roles travel with them:
/// who holds role number `r` is an array from addresses to booleans under
/// key `role_field(r)` (type `Ty::Role`), written by `grant` and `revoke`
/// and read by `has_role` and `requires`.
pub type Storage = BTreeMap<u32, (Held, Ty)>;

/// Where role arrays sit among the storage keys (above every field).
const ROLE_FIELDS: u32 = 0x8000_0000;

/// The storage key of who holds role number `role`.
pub fn role_field(role: u32) -> u32 {
    ROLE_FIELDS | role
}

/// The role a storage key holds, if it is a role's.
pub fn role_of(field: u32) -> Option<u32> {
    (field & ROLE_FIELDS != 0).then_some(field & !ROLE_FIELDS)
}

/// Encodes `func`, a function of user file `file`, naming its solver
/// constants with `prefix` (distinct per function in one session).
pub fn encode_fn(
    solver: &mut Solver,
    analysis: &Analysis,
    file: writ_compiler::FileId,
    func: &FnDef,
    prefix: &str,
) -> Result<Encoded> {
    encode_call(solver, analysis, file, func, prefix, Storage::new())
}

/// Encodes a call of `func` on a contract whose storage fields hold
/// `storage` (by index; a field left out is refused where it is used):
/// the role check of `requires` first (whether the caller holds each role
/// is a free choice), then the body.
pub fn encode_call(
    solver: &mut Solver,
    analysis: &Analysis,
    file: writ_compiler::FileId,
    func: &FnDef,
    prefix: &str,
    storage: Storage,
) -> Result<Encoded> {
    let (mut encoder, mut state) = Encoder::start(solver, analysis, file, prefix, storage);
    let typed = encoder.typed;
    let mut params = Vec::new();
    let mut facts = Vec::new();
    let mut roles = Vec::new();
    if !func.requires.is_empty() {
        let mut held = Vec::new();
        for role in &func.requires {
            // With the contract's roles given, whether the caller holds
            // one is read from them; without (a body alone), it is free.
            let holders = match typed.def(role.id) {
                Some(Def::Role(_, index)) => state.storage.get(&role_field(index)).copied(),
                _ => None,
            };
            match holders {
                Some(Held::Value(holders)) => {
                    let caller = encoder.caller()?;
                    held.push(encoder.ctx().select(holders, caller));
                }
                _ => {
                    let name = format!("{prefix}caller_is_{}", role.name);
                    let sort = encoder.ctx().bool_sort();
                    let free = encoder.ctx().declare_const(&name, sort)?;
                    roles.push(free);
                    held.push(free);
                }
            }
        }
        let ctx = encoder.ctx();
        let missing = ctx.not(crate::any(ctx, held));
        encoder.abort(&mut state, missing, Exit::Abort(AbortCode::MissingRole));
    }
    for param in &func.params {
        let Some(Def::Local(local)) = typed.def(param.name.id) else {
            return refuse(param.span, "a parameter the checker did not resolve");
        };
        let ty = encoder.local_ty(local);
        let sort = encoder.sort(&ty, param.span)?;
        let name = format!("{prefix}{}", param.name.name);
        let constant = encoder.solver.ctx().declare_const(&name, sort)?;
        if let Some(fact) = encoder.range(&ty, constant) {
            facts.push(fact);
        }
        state.locals.insert(local, constant);
        params.push((param.name.name.clone(), constant, ty));
    }
    let tail = encoder.block(&mut state, &func.body)?;
    let has_value = func.ret.is_some();
    if has_value {
        // A body that ends in a value returns it (the checker made sure
        // one exists on every path that reaches the end).
        if let Some(value) = tail {
            encoder.exits.push(Return { when: state.live, value, storage: state.storage.clone() });
        }
    } else {
        let unit = encoder.ctx().true_();
        encoder.exits.push(Return { when: state.live, value: unit, storage: state.storage.clone() });
    }
    let ctx = encoder.solver.ctx();
    let returns = crate::any(ctx, encoder.exits.iter().map(|exit| exit.when));
    let (value, post) = merge_exits(ctx, &encoder.exits, &state.storage, has_value);
    facts.extend(encoder.facts);
    Ok(Encoded {
        params,
        facts,
        returns,
        value,
        aborts: encoder.aborts,
        post,
        caller: encoder.caller,
        now: encoder.now,
        cosigners: encoder.cosigners,
        roles,
        emits: encoder.emitted,
        approximations: encoder.approximations,
        loop_claims: encoder.loop_claims,
    })
}

/// Whether `block` (an invariant's body) runs to its end on a contract
/// whose storage holds `storage`: the condition under which none of its
/// assertions fails and nothing in it aborts.
pub fn encode_check(
    solver: &mut Solver,
    analysis: &Analysis,
    file: writ_compiler::FileId,
    block: &Block,
    prefix: &str,
    storage: Storage,
) -> Result<SExpr> {
    let (mut encoder, mut state) = Encoder::start(solver, analysis, file, prefix, storage);
    encoder.checking = true;
    encoder.block(&mut state, block)?;
    let ctx = encoder.solver.ctx();
    let fails = crate::any(ctx, encoder.aborts.iter().map(|(condition, _)| *condition));
    Ok(ctx.not(fails))
}

/// What a spec's expression reads: the call's parameters (and `result`)
/// by local, the storage of the moment it speaks of, the values of its
/// `old(..)` calls taken before the call (by the call's span), and the
/// call's caller and block time once either has been asked for.
#[derive(Debug, Clone, Default)]
pub struct SpecScope {
    pub locals: BTreeMap<LocalId, SExpr>,
    pub storage: Storage,
    pub olds: BTreeMap<Span, SExpr>,
    pub caller: Option<SExpr>,
    pub now: Option<SExpr>,
    pub cosigners: Option<SExpr>,
}

/// One spec expression evaluated: its value, when evaluating it aborts,
/// and the facts of constants it introduced (a caller or time the call
/// itself never asked for: `scope` takes them for the next expression).
pub struct SpecValue {
    pub value: SExpr,
    pub aborts: SExpr,
    pub facts: Vec<SExpr>,
}

/// Evaluates `e`, an expression of a spec, as contract code would (its
/// aborts included) in `scope`, which receives the caller and time if the
/// expression was the first to ask.
pub fn encode_spec_expr(
    solver: &mut Solver,
    analysis: &Analysis,
    file: writ_compiler::FileId,
    e: &Expr,
    prefix: &str,
    scope: &mut SpecScope,
) -> Result<SpecValue> {
    let (mut encoder, mut state) = Encoder::start(solver, analysis, file, prefix, scope.storage.clone());
    // A spec only reads, as an invariant does: the functions it calls may
    // hold the loops an invariant may (aggregates: a sum, a "for all").
    encoder.checking = true;
    encoder.caller = scope.caller;
    encoder.now = scope.now;
    encoder.cosigners = scope.cosigners;
    encoder.olds = scope.olds.clone();
    state.locals = scope.locals.clone();
    let value = encoder.expr(&mut state, e)?;
    scope.caller = encoder.caller;
    scope.now = encoder.now;
    scope.cosigners = encoder.cosigners;
    let ctx = encoder.solver.ctx();
    let aborts = crate::any(ctx, encoder.aborts.iter().map(|(condition, _)| *condition));
    Ok(SpecValue { value, aborts, facts: encoder.facts })
}

struct Encoder<'s, 'a> {
    solver: &'s mut Solver,
    analysis: &'a Analysis,
    /// The file of the code being encoded, and what the checker knows of it.
    file: writ_compiler::FileId,
    typed: &'a TypedFile,
    prefix: &'s str,
    names: u32,
    /// The type of each modelled storage field.
    field_types: BTreeMap<u32, Ty>,
    /// How many quantifiers the code being encoded is inside (loops of an
    /// invariant); terms there are not named.
    bound: u32,
    /// Whether loops over maps may be encoded (in invariants, as
    /// quantifiers).
    checking: bool,
    /// Facts about constants introduced on the way (the caller's range).
    facts: Vec<SExpr>,
    /// The caller, once asked for.
    caller: Option<SExpr>,
    /// The block's time, once asked for.
    now: Option<SExpr>,
    /// The call's co-signers, once asked for.
    cosigners: Option<SExpr>,
    /// The elements of each list term whose elements are known (built
    /// from a literal), for unrolling loops over it.
    lists: HashMap<SExpr, Vec<SExpr>>,
    /// The loops being unrolled, innermost last.
    loops: Vec<lists::LoopExits>,
    /// The functions being inlined, innermost last.
    inlining: Vec<FnId>,
    /// Each way of returning.
    exits: Vec<Return>,
    aborts: Vec<(SExpr, Exit)>,
    /// In a spec's `ensures`: the value of each `old(..)`, by its span.
    olds: BTreeMap<Span, SExpr>,
    /// Each `emit` reached: when, and the event's index in its contract.
    emitted: Vec<(SExpr, u32)>,
    /// Where the encoding over-approximates (see `Encoded`).
    approximations: Vec<Refused>,
    /// The loop invariants' claims (see `Encoded`).
    loop_claims: Vec<(SExpr, Refused)>,
}

impl<'s, 'a> Encoder<'s, 'a> {
    /// An encoder for code of user file `file` on `storage`, and the state
    /// it starts in.
    fn start(
        solver: &'s mut Solver,
        analysis: &'a Analysis,
        file: writ_compiler::FileId,
        prefix: &'s str,
        storage: Storage,
    ) -> (Self, State) {
        let field_types = storage.iter().map(|(field, (_, ty))| (*field, ty.clone())).collect();
        let storage = storage.into_iter().map(|(field, (term, _))| (field, term)).collect();
        let live = solver.ctx().true_();
        let mut encoder = Encoder::new(solver, analysis, analysis.typed_file(file), prefix, field_types);
        encoder.file = file;
        (encoder, State { live, locals: BTreeMap::new(), storage })
    }

    fn new(
        solver: &'s mut Solver,
        analysis: &'a Analysis,
        typed: &'a TypedFile,
        prefix: &'s str,
        field_types: BTreeMap<u32, Ty>,
    ) -> Self {
        Encoder {
            solver,
            analysis,
            file: writ_compiler::FileId(0),
            typed,
            prefix,
            names: 0,
            field_types,
            bound: 0,
            checking: false,
            facts: Vec::new(),
            caller: None,
            now: None,
            cosigners: None,
            lists: HashMap::new(),
            loops: Vec::new(),
            inlining: Vec::new(),
            exits: Vec::new(),
            aborts: Vec::new(),
            olds: BTreeMap::new(),
            emitted: Vec::new(),
            approximations: Vec::new(),
            loop_claims: Vec::new(),
        }
    }

    fn ctx(&mut self) -> &mut Context {
        self.solver.ctx()
    }

    fn local_ty(&self, local: LocalId) -> Ty {
        self.analysis.tables().locals.get(local as usize).map_or(Ty::Error, |l| l.ty.clone())
    }

    fn sort(&mut self, ty: &Ty, span: Span) -> Result<SExpr> {
        match sorts::sort(self.solver, self.analysis, ty)? {
            Some(sort) => Ok(sort),
            None => self.refuse_type(span, "values of type", ty),
        }
    }

    fn range(&mut self, ty: &Ty, term: SExpr) -> Option<SExpr> {
        sorts::range(self.solver.ctx(), self.analysis, ty, term)
    }

    /// Names `term` in the solver, so later terms refer to it by name.
    fn name(&mut self, term: SExpr, ty: &Ty, span: Span) -> Result<SExpr> {
        let sort = self.sort(ty, span)?;
        self.name_sorted(term, sort)
    }

    fn name_sorted(&mut self, term: SExpr, sort: SExpr) -> Result<SExpr> {
        if self.bound > 0 {
            // Inside a quantifier a term may mention its bound variable,
            // which a name outside it cannot.
            return Ok(term);
        }
        self.names += 1;
        let name = format!("{}v{}", self.prefix, self.names);
        let named = self.ctx().define_const(&name, sort, term)?;
        if let Some(elements) = self.lists.get(&term).cloned() {
            self.lists.insert(named, elements);
        }
        Ok(named)
    }

    /// The sorts of a map's two arrays: key to presence, key to value.
    fn map_sorts(&mut self, key: &Ty, value: &Ty, span: Span) -> Result<(SExpr, SExpr)> {
        let (key, value) = (self.sort(key, span)?, self.sort(value, span)?);
        let ctx = self.ctx();
        let present = ctx.array_sort(key, ctx.bool_sort());
        Ok((present, ctx.array_sort(key, value)))
    }

    /// Records the aborts of one operation in order and narrows `live` to
    /// the inputs where none happened.
    fn checked(&mut self, state: &mut State, checked: Checked) -> SExpr {
        for (condition, code) in checked.aborts {
            self.abort(state, condition, Exit::Abort(code));
        }
        checked.value
    }

    fn abort(&mut self, state: &mut State, condition: SExpr, exit: Exit) {
        let ctx = self.solver.ctx();
        self.aborts.push((ctx.and(state.live, condition), exit));
        state.live = ctx.and(state.live, ctx.not(condition));
    }

    /// Runs a block; its tail's value, if it has one that can complete.
    fn block(&mut self, state: &mut State, block: &Block) -> Result<Option<SExpr>> {
        // A block-like expression (`if`, `match`, a block) that ends a
        // block without `;` is its value, as the checker and the compiled
        // code take it.
        let value_stmt = match (&block.tail, block.stmts.last()) {
            (None, Some(Stmt { kind: StmtKind::Expr { expr, semi: false }, .. })) => Some(expr),
            _ => None,
        };
        for (i, stmt) in block.stmts.iter().enumerate() {
            if i + 1 == block.stmts.len()
                && let Some(expr) = value_stmt
            {
                return self.value(state, expr);
            }
            self.stmt(state, stmt)?;
            // Named once per statement, so the many conditions that
            // mention it stay small.
            state.live = self.name(state.live, &Ty::Bool, stmt.span)?;
        }
        match &block.tail {
            Some(tail) => self.value(state, tail),
            None => Ok(None),
        }
    }

    /// An expression's value, `None` for one that never completes
    /// (`return`, `fail`, a block ending in one).
    fn value(&mut self, state: &mut State, e: &Expr) -> Result<Option<SExpr>> {
        let term = self.expr(state, e)?;
        Ok((self.ty(e) != Ty::Never).then_some(term))
    }

    fn stmt(&mut self, state: &mut State, stmt: &Stmt) -> Result<()> {
        match &stmt.kind {
            StmtKind::Let { name, value, .. } => {
                let Some(Def::Local(local)) = self.typed.def(name.id) else {
                    return refuse(name.span, "a `let` the checker did not resolve");
                };
                let term = self.expr(state, value)?;
                let ty = self.local_ty(local);
                let named = self.name(term, &ty, name.span)?;
                state.locals.insert(local, named);
                Ok(())
            }
            StmtKind::Assign { target, op, value } => {
                if let ExprKind::Index { receiver, index } = &target.kind
                    && self.map_field(state, receiver).is_some()
                {
                    return self.assign_entry(state, receiver, index, *op, value, stmt.span);
                }
                // `+=` and `-=` read the place first, as the compiled code does.
                let old = if *op == AssignOp::Assign { None } else { Some(self.expr(state, target)?) };
                let term = self.expr(state, value)?;
                let new = match old {
                    None => term,
                    Some(old) => {
                        let ty = self.ty(target);
                        let arith = if *op == AssignOp::Add { Arith::Add } else { Arith::Sub };
                        self.arith(state, arith, &ty, old, term, stmt.span)?
                    }
                };
                self.write(state, target, new, stmt.span)
            }
            StmtKind::Expr { expr, .. } => self.expr(state, expr).map(|_| ()),
            // A loop's invariant is never run; `havoc` reads it.
            StmtKind::Empty | StmtKind::Invariant { .. } => Ok(()),
            StmtKind::While { cond, body } => match self.checking {
                true => match self.for_all_counted(state, cond, body, stmt.span)? {
                    Some(()) => Ok(()),
                    None => refuse(stmt.span, "a `while` loop other than `while i < end { …; i += 1; }`"),
                },
                // Code that runs: exactly where it only checks, else by
                // its last iteration (`havoc`).
                false => {
                    let exact = |this: &mut Self, s: &mut State| match this
                        .for_all_counted(s, cond, body, stmt.span)?
                    {
                        Some(()) => Ok(()),
                        None => refuse(stmt.span, "this `while`"),
                    };
                    if self.exactly(state, exact)? {
                        return Ok(());
                    }
                    self.by_last_iteration(state, None, havoc::Over::While(cond), body, stmt.span)
                }
            },
            StmtKind::For { pattern, iter: ForIter::Expr(over), body } => match self.ty(over) {
                Ty::List(_) => self.unrolled_loop(state, pattern, over, body, stmt.span),
                _ if self.checking => self.for_all(state, pattern, over, body, stmt.span),
                Ty::Map(key, _) => {
                    // Code that runs: exactly where the loop only checks,
                    // else by its last iteration (`havoc`).
                    let exact =
                        |this: &mut Self, s: &mut State| this.for_all(s, pattern, over, body, stmt.span);
                    if self.exactly(state, exact)? {
                        return Ok(());
                    }
                    let map = match self.map_field(state, over) {
                        Some(map) => map,
                        None => self.value_map(state, over)?,
                    };
                    let root = crate::frame::root_field(self.typed, over);
                    let over = havoc::Over::Map(map, *key, root);
                    self.by_last_iteration(state, Some(pattern), over, body, stmt.span)
                }
                _ => self.unrolled_loop(state, pattern, over, body, stmt.span),
            },
            StmtKind::For { pattern, iter: ForIter::Range(lo, hi), body } if self.checking => {
                self.for_all_in_range(state, pattern, (lo, hi), body, stmt.span)
            }
            StmtKind::For { pattern, iter: ForIter::Range(lo, hi), body } => {
                let exact = |this: &mut Self, s: &mut State| {
                    this.for_all_in_range(s, pattern, (lo, hi), body, stmt.span)
                };
                if self.exactly(state, exact)? {
                    return Ok(());
                }
                let from = self.expr(state, lo)?;
                let to = self.expr(state, hi)?;
                let over = havoc::Over::Range(from, to);
                self.by_last_iteration(state, Some(pattern), over, body, stmt.span)
            }
            StmtKind::Error => refuse(stmt.span, "code that did not parse"),
        }
    }

    /// The index of storage field `name`, refused when it is not modelled.
    fn field(&mut self, state: &State, name: &writ_compiler::ast::Ident) -> Result<u32> {
        match self.typed.def(name.id) {
            Some(Def::Storage(contract, field)) if state.storage.contains_key(&field) => {
                let _ = contract;
                Ok(field)
            }
            Some(Def::Storage(contract, field)) => {
                let ty = self
                    .analysis
                    .tables()
                    .contracts
                    .get(contract as usize)
                    .and_then(|c| c.storage.get(field as usize))
                    .map_or(Ty::Error, |f| f.ty.clone());
                let what = format!("the storage field `{}` of type", name.name);
                match sorts::unmodelled(self.analysis, &ty) {
                    Some(inner) if inner != ty => {
                        let (outer, inner) =
                            (self.analysis.tables().display(&ty), self.analysis.tables().display(&inner));
                        refuse(name.span, format!("{what} `{outer}` (`{inner}` is not modelled yet)"))
                    }
                    _ => self.refuse_type(name.span, &what, &ty),
                }
            }
            _ => refuse(name.span, format!("the field `{}`", name.name)),
        }
    }

    /// The index of field `name` of struct type `ty`.
    fn field_index(&self, ty: &Ty, name: &str, span: Span) -> Result<usize> {
        let Ty::Struct(id) = ty else { return self.refuse_type(span, "fields of", ty) };
        let fields = self.analysis.tables().structs.get(*id as usize).map(|s| &s.fields);
        match fields.and_then(|f| f.iter().position(|f| f.name == name)) {
            Some(index) => Ok(index),
            None => refuse(span, format!("the field `{name}`")),
        }
    }

    /// Field `index` of `value`, a struct or tuple of type `ty`.
    fn select_field(&mut self, ty: &Ty, value: SExpr, index: usize, span: Span) -> Result<SExpr> {
        self.sort(ty, span)?;
        match sorts::field(self.solver.ctx(), self.analysis, ty, value, index) {
            Some(field) => Ok(field),
            None => self.refuse_type(span, "fields of", ty),
        }
    }

    /// A struct or tuple of type `ty` from its fields in declared order.
    fn record(&mut self, ty: &Ty, fields: Vec<SExpr>, span: Span) -> Result<SExpr> {
        self.sort(ty, span)?;
        match sorts::build(self.solver.ctx(), self.analysis, ty, fields) {
            Some(value) => Ok(value),
            None => self.refuse_type(span, "values of type", ty),
        }
    }

    /// `value` written into `target`: a local, a storage field, an entry of
    /// a map in storage, or a field of one of those (the enclosing value is
    /// read, rebuilt and written back, as the compiled code does).
    fn write(&mut self, state: &mut State, target: &Expr, value: SExpr, span: Span) -> Result<()> {
        match &target.kind {
            ExprKind::Path(path) => match self.typed.def(path.last().id) {
                Some(Def::Local(local)) => {
                    let ty = self.local_ty(local);
                    let named = self.name(value, &ty, span)?;
                    state.locals.insert(local, named);
                    Ok(())
                }
                _ => refuse(target.span, "assignment to this place"),
            },
            ExprKind::Field { receiver, name } if matches!(receiver.kind, ExprKind::SelfValue) => {
                let field = self.field(state, name)?;
                let ty = self.field_types.get(&field).cloned().unwrap_or(Ty::Error);
                if !matches!(state.storage.get(&field), Some(Held::Value(_))) {
                    return refuse(target.span, "a map assigned as a whole");
                }
                let named = self.name(value, &ty, span)?;
                state.storage.insert(field, Held::Value(named));
                Ok(())
            }
            ExprKind::Index { receiver, index } if matches!(self.ty(receiver), Ty::Map(..)) => {
                let Some(map) = self.map_field(state, receiver) else {
                    return self.write_value_entry(state, receiver, index, Some(value), span);
                };
                let key = self.expr(state, index)?;
                self.write_entry(state, receiver, map, key, Some(value), span)
            }
            ExprKind::Index { receiver, .. } => {
                self.expr(state, receiver)?;
                refuse(target.span, "assignment to an element of anything but a map")
            }
            ExprKind::Field { receiver, name } => {
                let ty = self.ty(receiver);
                let index = self.field_index(&ty, &name.name, name.span)?;
                self.write_part(state, receiver, &ty, index, value, span)
            }
            ExprKind::TupleField { receiver, index, .. } => {
                let ty = self.ty(receiver);
                self.write_part(state, receiver, &ty, *index as usize, value, span)
            }
            _ => refuse(target.span, "assignment to this place"),
        }
    }

    /// Field `index` of the struct or tuple at `receiver` set to `value`.
    fn write_part(
        &mut self,
        state: &mut State,
        receiver: &Expr,
        ty: &Ty,
        index: usize,
        value: SExpr,
        span: Span,
    ) -> Result<()> {
        let whole = self.expr(state, receiver)?;
        let Some((_, fields)) = sorts::record(self.analysis, ty) else {
            return self.refuse_type(span, "fields of", ty);
        };
        let mut parts = Vec::new();
        for i in 0..fields.len() {
            parts.push(if i == index { value } else { self.select_field(ty, whole, i, span)? });
        }
        let rebuilt = self.record(ty, parts, span)?;
        self.write(state, receiver, rebuilt, span)
    }

    fn ty(&self, e: &Expr) -> Ty {
        self.typed.ty(e.id).clone()
    }

    fn expr(&mut self, state: &mut State, e: &Expr) -> Result<SExpr> {
        match &e.kind {
            ExprKind::Lit(lit) => self.literal(lit, &self.ty(e), e.span, false),
            ExprKind::Paren(inner) => self.expr(state, inner),
            ExprKind::Path(path) => match self.typed.def(path.last().id) {
                Some(Def::Local(local)) => match state.locals.get(&local) {
                    Some(term) => Ok(*term),
                    None => refuse(e.span, "a local read before it holds a value"),
                },
                Some(Def::Variant(_, v)) => self.construct(state, v as usize, &[], e),
                def if choice::is_none_literal(e, def) => self.construct(state, 0, &[], e),
                _ => refuse(
                    e.span,
                    format!("the name `{}` (only locals, parameters and variants)", path.to_text()),
                ),
            },
            ExprKind::Unary { op: UnOp::Neg, operand } => {
                if let ExprKind::Lit(lit) = &operand.kind {
                    return self.literal(lit, &self.ty(e), e.span, true);
                }
                let value = self.expr(state, operand)?;
                let checked = match self.ty(e) {
                    Ty::Int(t) => int::negate(self.ctx(), t, value),
                    Ty::Decimal => decimal::negate(self.ctx(), value),
                    other => return self.refuse_type(e.span, "`-` on", &other),
                };
                Ok(self.checked(state, checked))
            }
            ExprKind::Unary { op: UnOp::Not, operand } => {
                let value = self.expr(state, operand)?;
                Ok(self.ctx().not(value))
            }
            ExprKind::Binary { op: op @ (BinOp::And | BinOp::Or), lhs, rhs } => {
                self.short_circuit(state, *op == BinOp::And, lhs, rhs)
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let operand_ty = self.ty(lhs);
                let a = self.expr(state, lhs)?;
                let b = self.expr(state, rhs)?;
                self.binary(state, *op, &operand_ty, a, b, e.span)
            }
            ExprKind::Cast { expr, .. } => {
                let from = self.ty(expr);
                let value = self.expr(state, expr)?;
                let checked = match (from, self.ty(e)) {
                    (Ty::Int(_), Ty::Int(to)) => int::cast(self.ctx(), to, value),
                    (Ty::Int(_), Ty::Decimal) => decimal::from_int(self.ctx(), value),
                    (Ty::Decimal, Ty::Int(to)) => decimal::to_int(self.ctx(), to, value),
                    (Ty::Decimal, Ty::Decimal) => Checked { value, aborts: Vec::new() },
                    (_, other) => return self.refuse_type(e.span, "`as` to", &other),
                };
                Ok(self.checked(state, checked))
            }
            ExprKind::Block(block) => match self.block(state, block)? {
                Some(value) => Ok(value),
                None => Ok(self.ctx().true_()),
            },
            ExprKind::If { cond, then_block, else_branch } => {
                self.if_else(state, cond, then_block, else_branch.as_deref(), e)
            }
            ExprKind::Return(value) => {
                let term = match value {
                    Some(value) => self.expr(state, value)?,
                    None => self.ctx().true_(),
                };
                self.exits.push(Return { when: state.live, value: term, storage: state.storage.clone() });
                state.live = self.ctx().false_();
                Ok(term)
            }
            ExprKind::Fail { error, args } => {
                for arg in args {
                    self.expr(state, arg)?;
                }
                let Some(Def::Error(_, index)) = self.typed.def(error.last().id) else {
                    return refuse(error.span, "a `fail` the checker did not resolve");
                };
                let live = state.live;
                self.aborts.push((live, Exit::Fail { index, name: error.last().name.clone() }));
                state.live = self.ctx().false_();
                Ok(self.ctx().true_())
            }
            ExprKind::Call { callee, args } => self.call(state, callee, args, e),
            ExprKind::MethodCall { receiver, method, args } => {
                if matches!(receiver.kind, ExprKind::SelfValue)
                    && let Some(Def::Fn(id)) = self.typed.def(method.id)
                {
                    // `self.load(..)` is the same internal call as `load(..)`.
                    return self.inline(state, id, args, e.span);
                }
                if let Some(value) = self.contract_call(state, receiver, method, args, e)? {
                    return Ok(value);
                }
                let name = method.name.as_str();
                if let Some(value) = self.map_method(state, receiver, name, args, e)? {
                    return Ok(value);
                }
                if let Some(value) = self.option_method(state, receiver, name, args, e)? {
                    return Ok(value);
                }
                if let Some(value) = self.list_method(state, receiver, name, args, e)? {
                    return Ok(value);
                }
                if let Some(value) = self.time_method(state, receiver, name, args, e)? {
                    return Ok(value);
                }
                self.decimal_method(state, receiver, name, args, e)
            }
            ExprKind::Field { receiver, name } if matches!(receiver.kind, ExprKind::SelfValue) => {
                let field = self.field(state, name)?;
                match state.storage.get(&field) {
                    Some(Held::Value(term)) => Ok(*term),
                    _ => refuse(e.span, "a map as a whole value"),
                }
            }
            ExprKind::SelfValue => refuse(e.span, "`self` as a value"),
            ExprKind::Field { receiver, name } => {
                let ty = self.ty(receiver);
                let index = self.field_index(&ty, &name.name, name.span)?;
                let value = self.expr(state, receiver)?;
                self.select_field(&ty, value, index, e.span)
            }
            ExprKind::TupleField { receiver, index, .. } => {
                let ty = self.ty(receiver);
                let value = self.expr(state, receiver)?;
                self.select_field(&ty, value, *index as usize, e.span)
            }
            ExprKind::Index { receiver, index } => match self.map_field(state, receiver) {
                Some(map) => {
                    let key = self.expr(state, index)?;
                    let ctx = self.ctx();
                    let missing = ctx.not(ctx.select(map.present, key));
                    self.abort(state, missing, Exit::Abort(AbortCode::MissingKey));
                    Ok(self.entry(state, receiver, map, key))
                }
                None if matches!(self.ty(receiver), Ty::List(_)) => self.list_index(state, receiver, index),
                None if matches!(self.ty(receiver), Ty::Map(..)) => self.value_index(state, receiver, index),
                None => refuse(e.span, "indexing anything but a map in storage or a list"),
            },
            ExprKind::StructLit { fields, .. } => {
                // Fields run in the order written, and are stored in the
                // order declared.
                let ty = self.ty(e);
                let mut given = BTreeMap::new();
                for init in fields {
                    let index = self.field_index(&ty, &init.name.name, init.span)?;
                    given.insert(index, self.expr(state, &init.value)?);
                }
                self.record(&ty, given.into_values().collect(), e.span)
            }
            ExprKind::Tuple(parts) => {
                let ty = self.ty(e);
                let mut values = Vec::new();
                for part in parts {
                    values.push(self.expr(state, part)?);
                }
                self.record(&ty, values, e.span)
            }
            ExprKind::List(elements) => self.list_literal(state, elements, e),
            ExprKind::Match { scrutinee, arms } => self.match_expr(state, scrutinee, arms, e),
            ExprKind::Break => self.leave_iteration(state, true, e.span),
            ExprKind::Continue => self.leave_iteration(state, false, e.span),
            ExprKind::Emit { event, args } => {
                // The arguments run (and may abort); which event, and
                // when, is what a spec's `emits` reads.
                for arg in args {
                    self.expr(state, arg)?;
                }
                if let Some(Def::Event(_, index)) = self.typed.def(event.last().id) {
                    self.emitted.push((state.live, index));
                }
                Ok(self.ctx().true_())
            }
            ExprKind::Deploy { .. } => refuse(e.span, "`deploy`"),
            ExprKind::Error => refuse(e.span, "code that did not parse"),
        }
    }

    fn refuse_type<T>(&self, span: Span, what: &str, ty: &Ty) -> Result<T> {
        refuse(span, format!("{what} `{}`", self.analysis.tables().display(ty)))
    }

    fn literal(&mut self, lit: &Lit, ty: &Ty, span: Span, negative: bool) -> Result<SExpr> {
        let sign = if negative { "-" } else { "" };
        let ctx = self.solver.ctx();
        match (lit, ty) {
            (Lit::Bool(b), _) => Ok(if *b { ctx.true_() } else { ctx.false_() }),
            (Lit::Int(digits), Ty::Int(_)) => match format!("{sign}{digits}").parse::<i128>() {
                Ok(v) => Ok(int::constant(ctx, v)),
                // Only u128 literals above i128's range get here.
                Err(_) => match digits.parse::<u128>() {
                    Ok(v) if !negative => Ok(ctx.numeral(v)),
                    _ => refuse(span, "this literal"),
                },
            },
            (Lit::Str(text), Ty::String) => {
                // SMT-LIB writes `"` as `""`; other escapes differ between
                // the two languages, so those strings are refused.
                if text.chars().any(|c| c == '\\' || !(' '..='~').contains(&c)) {
                    return refuse(
                        span,
                        "a string literal with characters outside printable ASCII or a backslash",
                    );
                }
                Ok(ctx.atom(format!("\"{}\"", text.replace('"', "\"\""))))
            }
            (Lit::Int(text) | Lit::Decimal(text), Ty::Decimal) => {
                match format!("{sign}{text}").parse::<writ_abi::Decimal>() {
                    Ok(d) => Ok(int::constant(ctx, d.raw())),
                    Err(_) => refuse(span, "this Decimal literal"),
                }
            }
            _ => refuse(span, "this literal"),
        }
    }

    fn arith(
        &mut self,
        state: &mut State,
        op: Arith,
        ty: &Ty,
        a: SExpr,
        b: SExpr,
        span: Span,
    ) -> Result<SExpr> {
        if let Some(checked) = self.time_arith(ty, op, a, b) {
            return Ok(self.checked(state, checked));
        }
        let ctx = self.solver.ctx();
        let checked = match (ty, op) {
            (Ty::Int(t), op) => int::arith(ctx, op, *t, a, b),
            (Ty::Decimal, Arith::Add) => decimal::add(ctx, a, b),
            (Ty::Decimal, Arith::Sub) => decimal::sub(ctx, a, b),
            (Ty::Decimal, Arith::Mul) => decimal::mul(ctx, a, b),
            (Ty::Decimal, Arith::Div) => decimal::div(ctx, a, b),
            (other, op) => return self.refuse_type(span, &format!("`{}` on", op.symbol()), other),
        };
        let value = self.checked(state, checked);
        if (ty, op) == (&Ty::Decimal, Arith::Mul) && self.bound == 0 {
            let value = self.name(value, ty, span)?;
            let lemma = decimal::mul_signs(self.ctx(), a, b, value);
            self.facts.push(lemma);
            return Ok(value);
        }
        Ok(value)
    }

    fn binary(
        &mut self,
        state: &mut State,
        op: BinOp,
        ty: &Ty,
        a: SExpr,
        b: SExpr,
        span: Span,
    ) -> Result<SExpr> {
        let arith = match op {
            BinOp::Add => Some(Arith::Add),
            BinOp::Sub => Some(Arith::Sub),
            BinOp::Mul => Some(Arith::Mul),
            BinOp::Div => Some(Arith::Div),
            BinOp::Rem => Some(Arith::Rem),
            _ => None,
        };
        if let Some(arith) = arith {
            return self.arith(state, arith, ty, a, b, span);
        }
        let compare = match op {
            BinOp::Eq => Compare::Eq,
            BinOp::Ne => Compare::Ne,
            BinOp::Lt => Compare::Lt,
            BinOp::Le => Compare::Le,
            BinOp::Gt => Compare::Gt,
            _ => Compare::Ge,
        };
        match ty {
            // Decimals compare as their raw counts (one scale for all).
            Ty::Int(_) | Ty::Decimal | Ty::Timestamp | Ty::Date => {
                Ok(int::compare(self.ctx(), compare, a, b))
            }
            Ty::Bool
            | Ty::Address
            | Ty::Ref(_)
            | Ty::Hash
            | Ty::String
            | Ty::Struct(_)
            | Ty::Tuple(_)
            | Ty::Enum(_)
            | Ty::Option(_)
            | Ty::List(_)
                if matches!(compare, Compare::Eq | Compare::Ne) && !sorts::holds_map(self.analysis, ty) =>
            {
                Ok(int::compare(self.ctx(), compare, a, b))
            }
            other => self.refuse_type(span, &format!("`{}` on", op.text()), other),
        }
    }

    /// `a && b` runs `b` only where `a` holds; `a || b` only where it does not.
    fn short_circuit(&mut self, state: &mut State, and: bool, lhs: &Expr, rhs: &Expr) -> Result<SExpr> {
        let a = self.expr(state, lhs)?;
        let ctx = self.solver.ctx();
        let runs_rhs = if and { a } else { ctx.not(a) };
        let mut right = State { live: ctx.and(state.live, runs_rhs), ..state.clone() };
        let skipped = State { live: ctx.and(state.live, ctx.not(runs_rhs)), ..state.clone() };
        let b = self.expr(&mut right, rhs)?;
        self.join(state, right, skipped, rhs.span)?;
        let ctx = self.solver.ctx();
        Ok(if and { ctx.and(a, b) } else { ctx.or(a, b) })
    }

    /// Where execution goes on after two branches: each local and storage
    /// field holds what the branch that ran left in it. Returns the
    /// condition under which the first branch ran.
    fn join(&mut self, state: &mut State, first: State, second: State, span: Span) -> Result<SExpr> {
        let joined_live = self.ctx().or(first.live, second.live);
        let taken = self.name(first.live, &Ty::Bool, span)?;
        state.live = self.name(joined_live, &Ty::Bool, span)?;
        for (local, a) in &first.locals {
            // A local declared inside one branch is gone after it.
            let Some(b) = second.locals.get(local) else { continue };
            let merged = if a == b { *a } else { self.ite(taken, *a, *b, &self.local_ty(*local), span)? };
            state.locals.insert(*local, merged);
        }
        for (field, a) in &first.storage {
            let Some(b) = second.storage.get(field) else { continue };
            if a == b {
                state.storage.insert(*field, *a);
                continue;
            }
            let ty = self.field_types.get(field).cloned().unwrap_or(Ty::Error);
            let merged = match (a, b, &ty) {
                // Who holds a role: an array from addresses to booleans.
                (Held::Value(a), Held::Value(b), Ty::Role(_)) => {
                    let ctx = self.ctx();
                    let (merged, sort) =
                        (ctx.ite(taken, *a, *b), ctx.array_sort(ctx.int_sort(), ctx.bool_sort()));
                    Held::Value(self.name_sorted(merged, sort)?)
                }
                (Held::Value(a), Held::Value(b), _) => Held::Value(self.ite(taken, *a, *b, &ty, span)?),
                (Held::Map(a), Held::Map(b), Ty::Map(..)) => {
                    let merged = MapTerms::ite(self.ctx(), taken, *a, *b);
                    Held::Map(self.name_map(merged, &ty, span)?)
                }
                _ => return refuse(span, "a storage field held two ways"),
            };
            state.storage.insert(*field, merged);
        }
        Ok(taken)
    }

    fn ite(&mut self, condition: SExpr, a: SExpr, b: SExpr, ty: &Ty, span: Span) -> Result<SExpr> {
        let merged = self.ctx().ite(condition, a, b);
        self.name(merged, ty, span)
    }

    fn if_else(
        &mut self,
        state: &mut State,
        cond: &Expr,
        then_block: &Block,
        else_branch: Option<&Expr>,
        e: &Expr,
    ) -> Result<SExpr> {
        let c = self.expr(state, cond)?;
        let ctx = self.solver.ctx();
        let mut then_state = State { live: ctx.and(state.live, c), ..state.clone() };
        let mut else_state = State { live: ctx.and(state.live, ctx.not(c)), ..state.clone() };
        let then_value = self.block(&mut then_state, then_block)?;
        let else_value = match else_branch {
            Some(branch) => self.value(&mut else_state, branch)?,
            None => None,
        };
        let taken = self.join(state, then_state, else_state, e.span)?;
        // A branch that never completes gives no value to choose from.
        let ty = self.ty(e);
        match (then_value, else_value) {
            (Some(then_value), Some(else_value)) if ty != Ty::Unit && ty != Ty::Never => {
                self.ite(taken, then_value, else_value, &ty, e.span)
            }
            (Some(value), None) | (None, Some(value)) if ty != Ty::Unit => Ok(value),
            _ => Ok(self.ctx().true_()),
        }
    }

    /// A call of a function of the program, encoded in place: its
    /// arguments in the caller's frame, then its body in a frame of its
    /// own; its returns are joined where the call returns.
    fn inline(&mut self, state: &mut State, id: FnId, args: &[Expr], span: Span) -> Result<SExpr> {
        let analysis = self.analysis;
        let Some(info) = analysis.tables().fns.get(id as usize) else { return refuse(span, "this call") };
        if !info.requires.is_empty() {
            return refuse(span, format!("calls of `{}`, which has `requires`", info.name));
        }
        if self.inlining.contains(&id) || self.inlining.len() >= INLINE_DEPTH_MAX {
            return refuse(span, format!("recursive calls (of `{}`)", info.name));
        }
        let Some((file, func)) = find_fn(analysis, id) else {
            return refuse(span, format!("calls of `{}`", info.name));
        };
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.expr(state, arg)?);
        }
        let typed = analysis.typed_file(file);
        let mut inner = State { live: state.live, locals: BTreeMap::new(), storage: state.storage.clone() };
        for (param, value) in func.params.iter().zip(values) {
            let Some(Def::Local(local)) = typed.def(param.name.id) else {
                return refuse(param.span, "a parameter the checker did not resolve");
            };
            inner.locals.insert(local, value);
        }
        let caller_typed = std::mem::replace(&mut self.typed, typed);
        let caller_file = std::mem::replace(&mut self.file, file);
        // Taken with the caller's returns in place: undoing the call must
        // keep them.
        let mark = self.mark();
        let caller_exits = std::mem::take(&mut self.exits);
        self.inlining.push(id);
        let ran = self.block(&mut inner, &func.body);
        self.inlining.pop();
        self.typed = caller_typed;
        self.file = caller_file;
        let mut exits = std::mem::replace(&mut self.exits, caller_exits);
        let tail = match ran {
            // A function of a module (no `self`: it reads and writes no
            // storage) beyond the encoding, called by code that runs:
            // read by its result's type alone.
            Err(EncodeError::Refused(why)) if !self.checking && info.contract.is_none() => {
                self.back_to(mark);
                return self.opaque_result(state, &info.ret, why, span);
            }
            ran => ran?,
        };
        let has_value = func.ret.is_some();
        match (has_value, tail) {
            (true, Some(value)) => exits.push(Return { when: inner.live, value, storage: inner.storage }),
            (true, None) => {}
            (false, _) => {
                let unit = self.ctx().true_();
                exits.push(Return { when: inner.live, value: unit, storage: inner.storage });
            }
        }
        let ctx = self.solver.ctx();
        let returned = crate::any(ctx, exits.iter().map(|exit| exit.when));
        let (value, storage) = merge_exits(ctx, &exits, &state.storage, has_value);
        state.live = self.name(returned, &Ty::Bool, span)?;
        for (field, held) in storage {
            state.storage.insert(field, held);
        }
        match value {
            Some(value) if info.ret != Ty::Unit && info.ret != Ty::Never => {
                let ret = info.ret.clone();
                self.name(value, &ret, span)
            }
            _ => Ok(self.ctx().true_()),
        }
    }

    fn call(&mut self, state: &mut State, callee: &Expr, args: &[Expr], call: &Expr) -> Result<SExpr> {
        let span = call.span;
        let ExprKind::Path(path) = &callee.kind else { return refuse(span, "this call") };
        let name = path.last().name.as_str();
        match self.typed.def(path.last().id) {
            Some(Def::Fn(id)) => return self.inline(state, id, args, span),
            Some(Def::Variant(_, v)) => return self.construct(state, v as usize, args, call),
            Some(_) => return refuse(span, format!("calls of `{name}`")),
            None => {}
        }
        match (name, args) {
            // `Registry::at(addr)`: the reference is the address.
            ("at", [address]) if matches!(self.ty(call), Ty::Ref(_)) => self.expr(state, address),
            ("Some", [_]) => self.construct(state, 1, args, call),
            ("new", []) if path.segments.len() == 2 && path.segments[0].name == "Map" => {
                let ty = self.ty(call);
                self.sort(&ty, span)?;
                match sorts::zero(self.solver, self.analysis, &ty)? {
                    Some(empty) => Ok(empty),
                    None => self.refuse_type(span, "maps of type", &ty),
                }
            }
            ("old", [_]) => match self.olds.get(&span) {
                Some(value) => Ok(*value),
                None => refuse(span, "`old` outside a spec's `ensures`"),
            },
            ("now", []) => self.now(),
            ("date", [_, _, _]) => self.date(state, args, span),
            ("min" | "max", [a, b]) => {
                let ty = self.ty(call);
                if !matches!(ty, Ty::Int(_) | Ty::Decimal | Ty::Timestamp | Ty::Date) {
                    return self.refuse_type(span, &format!("`{name}` of"), &ty);
                }
                let (a, b) = (self.expr(state, a)?, self.expr(state, b)?);
                let ctx = self.ctx();
                let smaller = ctx.ite(ctx.lte(a, b), a, b);
                let larger = ctx.ite(ctx.lte(a, b), b, a);
                self.name(if name == "min" { smaller } else { larger }, &ty, span)
            }
            ("grant" | "revoke", [role, who]) => {
                let holders = self.role_holders(state, role)?;
                let who = self.expr(state, who)?;
                let Some(Def::Role(_, index)) = self.role_def(role) else {
                    return refuse(role.span, "this role");
                };
                let ctx = self.ctx();
                let held = if name == "grant" { ctx.true_() } else { ctx.false_() };
                let written = ctx.store(holders, who, held);
                let sort = self.role_sort();
                let named = self.name_sorted(written, sort)?;
                state.storage.insert(role_field(index), Held::Value(named));
                Ok(self.ctx().true_())
            }
            ("require", [cond, message]) => {
                let ExprKind::Lit(Lit::Str(text)) = &message.kind else {
                    return refuse(message.span, "a computed `require` message");
                };
                let c = self.expr(state, cond)?;
                let failed = self.ctx().not(c);
                self.abort(state, failed, Exit::Require(text.clone()));
                Ok(self.ctx().true_())
            }
            ("caller", []) => self.caller(),
            ("signed_by", [who]) => {
                let who = self.expr(state, who)?;
                let caller = self.caller()?;
                let cosigners = self.cosigners()?;
                let ctx = self.ctx();
                Ok(ctx.or(ctx.eq(who, caller), ctx.select(cosigners, who)))
            }
            ("has_role", [role, who]) => {
                let holders = self.role_holders(state, role)?;
                let who = self.expr(state, who)?;
                Ok(self.ctx().select(holders, who))
            }
            ("assert", [cond, ..]) => {
                let c = self.expr(state, cond)?;
                let failed = self.ctx().not(c);
                self.abort(state, failed, Exit::Assertion);
                Ok(self.ctx().true_())
            }
            ("assert_eq", [a, b]) => {
                let ty = self.ty(a);
                self.sort(&ty, span)?;
                if sorts::holds_map(self.analysis, &ty) {
                    // A map held as a value keeps what its removed keys
                    // held: its datatype's equality is not the VM's.
                    return self.refuse_type(span, "`assert_eq` of", &ty);
                }
                let (a, b) = (self.expr(state, a)?, self.expr(state, b)?);
                let ctx = self.ctx();
                let failed = ctx.not(ctx.eq(a, b));
                self.abort(state, failed, Exit::Assertion);
                Ok(self.ctx().true_())
            }
            _ => refuse(span, format!("the built-in `{name}`")),
        }
    }

    /// The caller of the call being encoded: one constant, asked for once.
    fn caller(&mut self) -> Result<SExpr> {
        if let Some(caller) = self.caller {
            return Ok(caller);
        }
        let name = format!("{}caller", self.prefix);
        let sort = self.ctx().int_sort();
        let caller = self.ctx().declare_const(name, sort)?;
        let fact = sorts::address_range(self.ctx(), caller);
        self.facts.push(fact);
        self.caller = Some(caller);
        Ok(caller)
    }

    /// Who co-signed the call: one array, asked for once.
    fn cosigners(&mut self) -> Result<SExpr> {
        if let Some(cosigners) = self.cosigners {
            return Ok(cosigners);
        }
        let name = format!("{}cosigners", self.prefix);
        let sort = self.role_sort();
        let cosigners = self.ctx().declare_const(name, sort)?;
        self.cosigners = Some(cosigners);
        Ok(cosigners)
    }

    fn role_def(&self, role: &Expr) -> Option<Def> {
        match &role.kind {
            ExprKind::Path(path) => self.typed.def(path.last().id),
            _ => None,
        }
    }

    /// Who holds the role `role` names, as the code reaches it.
    fn role_holders(&mut self, state: &State, role: &Expr) -> Result<SExpr> {
        let Some(Def::Role(_, index)) = self.role_def(role) else {
            return refuse(role.span, "a role that is not named directly");
        };
        match state.storage.get(&role_field(index)) {
            Some(Held::Value(holders)) => Ok(*holders),
            _ => refuse(role.span, "roles outside a contract's call"),
        }
    }

    /// The sort of a role's holders: addresses to booleans.
    fn role_sort(&mut self) -> SExpr {
        let ctx = self.ctx();
        ctx.array_sort(ctx.int_sort(), ctx.bool_sort())
    }

    /// The terms of `receiver` when it is a map field of storage.
    fn map_field(&self, state: &State, receiver: &Expr) -> Option<MapTerms> {
        let ExprKind::Field { receiver: inner, name } = &receiver.kind else { return None };
        if !matches!(inner.kind, ExprKind::SelfValue) {
            return None;
        }
        let Some(Def::Storage(_, field)) = self.typed.def(name.id) else { return None };
        match state.storage.get(&field) {
            Some(Held::Map(map)) => Some(*map),
            _ => None,
        }
    }

    /// The value under `key` of `map`, the map at `receiver`: what every
    /// value of its type obeys is a fact where the read happens. (Stated for the
    /// entries read rather than for all entries at once: a quantifier over
    /// every entry of every map made the solver's search for models slow,
    /// and a fact about an entry never read cannot matter to the call.)
    fn entry(&mut self, state: &State, receiver: &Expr, map: MapTerms, key: SExpr) -> SExpr {
        self.counted_key(state, map, key);
        let value = self.ctx().select(map.values, key);
        let (key_ty, value_ty) = match self.ty(receiver) {
            Ty::Map(key_ty, value_ty) => ((*key_ty).clone(), (*value_ty).clone()),
            _ => return value,
        };
        if self.bound == 0 {
            // Only where the read happens: on a path that has already
            // aborted, a value written may be out of range.
            if let Some(fact) = sorts::range(self.solver.ctx(), self.analysis, &value_ty, value) {
                let fact = self.ctx().imp(state.live, fact);
                self.facts.push(fact);
            }
            if let Ok(Some(key_sort)) = sorts::sort(self.solver, self.analysis, &key_ty)
                && let Some(fact) =
                    sum_bound(self.solver.ctx(), self.analysis, (key_sort, &value_ty), map, Some(key))
            {
                // The ghost is the real sum only on a path that has not
                // aborted: one that has may have written anything.
                let fact = self.ctx().imp(state.live, fact);
                self.facts.push(fact);
            }
        }
        value
    }

    /// `map.get(key)` on the map at `receiver`: `Some` of the entry where
    /// the key is present, else `None` (the `Option` is `e`'s type).
    fn entry_option(
        &mut self,
        state: &State,
        receiver: &Expr,
        map: MapTerms,
        key: SExpr,
        e: &Expr,
    ) -> Result<SExpr> {
        let ty = self.ty(e);
        let value = self.entry(state, receiver, map, key);
        let found = self.ctx().select(map.present, key);
        let some = self.variant(&ty, 1, vec![value], e.span)?;
        let none = self.variant(&ty, 0, Vec::new(), e.span)?;
        let option = self.ctx().ite(found, some, none);
        self.name(option, &ty, e.span)
    }

    /// A present key is one of those the count counts: where one is read
    /// or written, the count is at least one (true of every real state,
    /// which the count of an arbitrary map does not say by itself).
    fn counted_key(&mut self, state: &State, map: MapTerms, key: SExpr) {
        if self.bound > 0 {
            return;
        }
        let ctx = self.ctx();
        let fact = ctx.imp(ctx.select(map.present, key), ctx.gte(map.count, ctx.numeral(1)));
        let fact = ctx.imp(state.live, fact);
        self.facts.push(fact);
    }

    /// The field index of a map field of storage (for writing it back).
    fn map_index(&self, receiver: &Expr) -> Option<u32> {
        let ExprKind::Field { name, .. } = &receiver.kind else { return None };
        match self.typed.def(name.id) {
            Some(Def::Storage(_, field)) => Some(field),
            _ => None,
        }
    }

    /// Names the terms of a map of type `ty`.
    fn name_map(&mut self, map: MapTerms, ty: &Ty, span: Span) -> Result<MapTerms> {
        let Ty::Map(key, value) = ty else { return refuse(span, "this map") };
        let (present_sort, values_sort) = self.map_sorts(key, value, span)?;
        let int_sort = self.ctx().int_sort();
        Ok(MapTerms {
            present: self.name_sorted(map.present, present_sort)?,
            values: self.name_sorted(map.values, values_sort)?,
            sum: self.name_sorted(map.sum, int_sort)?,
            count: self.name_sorted(map.count, int_sort)?,
        })
    }

    /// Sets or removes (`value: None`) the entry under `key` of `map`, the
    /// field `receiver`, keeping its sum.
    fn write_entry(
        &mut self,
        state: &mut State,
        receiver: &Expr,
        map: MapTerms,
        key: SExpr,
        value: Option<SExpr>,
        span: Span,
    ) -> Result<()> {
        let Some(field) = self.map_index(receiver) else { return refuse(span, "this map") };
        let ty = self.field_types.get(&field).cloned().unwrap_or(Ty::Error);
        let written = self.written(state, &ty, map, key, value, span)?;
        let named = self.name_map(written, &ty, span)?;
        state.storage.insert(field, Held::Map(named));
        Ok(())
    }

    /// `map` (of type `ty`) with the entry under `key` set to `value`, or
    /// removed (`None`), its sum and count kept.
    fn written(
        &mut self,
        state: &State,
        ty: &Ty,
        map: MapTerms,
        key: SExpr,
        value: Option<SExpr>,
        span: Span,
    ) -> Result<MapTerms> {
        self.counted_key(state, map, key);
        // The ghost sum adds numbers, or the lengths of lists.
        let (summed, list_ty) = match &ty {
            Ty::Map(_, v) if matches!(**v, Ty::Int(_) | Ty::Decimal) => (true, None),
            Ty::Map(_, v) if matches!(**v, Ty::List(_)) => (true, Some((**v).clone())),
            _ => (false, None),
        };
        let old_value = self.ctx().select(map.values, key);
        let (old_measure, now) = match &list_ty {
            Some(list_ty) => (
                self.list_len(list_ty, old_value, span)?,
                match value {
                    Some(v) => self.list_len(list_ty, v, span)?,
                    None => self.ctx().numeral(0),
                },
            ),
            None => (old_value, value.unwrap_or_else(|| self.solver.ctx().numeral(0))),
        };
        let ctx = self.ctx();
        let zero = ctx.numeral(0);
        let present = ctx.select(map.present, key);
        let was = ctx.ite(present, old_measure, zero);
        let was_counted = ctx.ite(present, ctx.numeral(1), zero);
        let counted = ctx.numeral(u8::from(value.is_some()));
        let written = MapTerms {
            present: ctx.store(map.present, key, if value.is_some() { ctx.true_() } else { ctx.false_() }),
            values: value.map_or(map.values, |value| ctx.store(map.values, key, value)),
            sum: if summed { ctx.plus(ctx.sub(map.sum, was), now) } else { map.sum },
            count: ctx.plus(ctx.sub(map.count, was_counted), counted),
        };
        Ok(written)
    }

    /// `self.m[k] = v`, `+=`, `-=`: the key first, then (for `+=` and
    /// `-=`) the entry, which must exist, then the value, as the VM does.
    fn assign_entry(
        &mut self,
        state: &mut State,
        receiver: &Expr,
        index: &Expr,
        op: AssignOp,
        value: &Expr,
        span: Span,
    ) -> Result<()> {
        let Some(map) = self.map_field(state, receiver) else {
            return refuse(span, "this map");
        };
        let key = self.expr(state, index)?;
        let old = if op == AssignOp::Assign {
            None
        } else {
            let ctx = self.ctx();
            let missing = ctx.not(ctx.select(map.present, key));
            self.abort(state, missing, Exit::Abort(AbortCode::MissingKey));
            Some(self.entry(state, receiver, map, key))
        };
        let term = self.expr(state, value)?;
        let ty = self.ty(value);
        let new = match old {
            None => term,
            Some(old) => {
                let arith = if op == AssignOp::Add { Arith::Add } else { Arith::Sub };
                self.arith(state, arith, &ty, old, term, span)?
            }
        };
        self.write_entry(state, receiver, map, key, Some(new), span)
    }

    /// Methods of a map in storage, and of the `Option` its `get` gives;
    /// `None` when `receiver` is neither.
    fn map_method(
        &mut self,
        state: &mut State,
        receiver: &Expr,
        method: &str,
        args: &[Expr],
        e: &Expr,
    ) -> Result<Option<SExpr>> {
        if let Some(map) = self.map_field(state, receiver) {
            return match (method, args) {
                ("contains", [key]) => {
                    let key = self.expr(state, key)?;
                    Ok(Some(self.ctx().select(map.present, key)))
                }
                ("len", []) => Ok(Some(map.count)),
                ("insert", [key, value]) => {
                    let key = self.expr(state, key)?;
                    let value = self.expr(state, value)?;
                    self.write_entry(state, receiver, map, key, Some(value), e.span)?;
                    Ok(Some(self.ctx().true_()))
                }
                ("remove", [key]) => {
                    let key = self.expr(state, key)?;
                    self.write_entry(state, receiver, map, key, None, e.span)?;
                    Ok(Some(self.ctx().true_()))
                }
                ("get", [key]) => {
                    let key = self.expr(state, key)?;
                    self.entry_option(state, receiver, map, key, e).map(Some)
                }
                _ => refuse(e.span, format!("the map method `{method}`")),
            };
        }
        if matches!(self.ty(receiver), Ty::Map(..)) {
            return self.value_method(state, receiver, method, args, e).map(Some);
        }
        let ExprKind::MethodCall { receiver: map_expr, method: get, args: get_args } = &receiver.kind else {
            return Ok(None);
        };
        let (Some(map), "get", [key]) =
            (self.map_field(state, map_expr), get.name.as_str(), get_args.as_slice())
        else {
            return Ok(None);
        };
        let key = self.expr(state, key)?;
        let value = self.entry(state, map_expr, map, key);
        let found = self.ctx().select(map.present, key);
        self.option_use(state, found, value, method, args, e).map(Some)
    }

    fn decimal_method(
        &mut self,
        state: &mut State,
        receiver: &Expr,
        method: &str,
        args: &[Expr],
        e: &Expr,
    ) -> Result<SExpr> {
        // The receiver first: when it is what is not modelled, the refusal
        // names it.
        let value = self.expr(state, receiver)?;
        if self.ty(receiver) != Ty::Decimal {
            return refuse(e.span, format!("the method `{method}`"));
        }
        let checked = match (method, args) {
            ("trunc", []) => decimal::whole(self.ctx(), value, Rounding::Down),
            ("floor", []) => decimal::whole(self.ctx(), value, Rounding::Floor),
            ("ceil", []) => decimal::whole(self.ctx(), value, Rounding::Ceiling),
            ("abs", []) => decimal::abs(self.ctx(), value),
            ("round", [places]) => {
                let places = self.expr(state, places)?;
                decimal::round(self.ctx(), value, places, Rounding::HalfEven)
            }
            ("round", [places, mode]) => {
                let places = self.expr(state, places)?;
                let Some(mode) = rounding_mode(mode) else {
                    return refuse(mode.span, "a rounding mode that is not written as `Rounding::…`");
                };
                decimal::round(self.ctx(), value, places, mode)
            }
            _ => return refuse(e.span, format!("the method `{method}`")),
        };
        let rounded = self.checked(state, checked);
        if method != "abs" && self.bound == 0 {
            let rounded = self.name(rounded, &Ty::Decimal, e.span)?;
            let lemma = decimal::round_signs(self.ctx(), value, rounded);
            self.facts.push(lemma);
            return Ok(rounded);
        }
        Ok(rounded)
    }
}

/// The mode of a `Rounding::Name` path.
fn rounding_mode(e: &Expr) -> Option<Rounding> {
    let ExprKind::Path(path) = &e.kind else { return None };
    Some(match path.last().name.as_str() {
        "Down" => Rounding::Down,
        "Up" => Rounding::Up,
        "Floor" => Rounding::Floor,
        "Ceiling" => Rounding::Ceiling,
        "HalfUp" => Rounding::HalfUp,
        "HalfDown" => Rounding::HalfDown,
        "HalfEven" => Rounding::HalfEven,
        _ => return None,
    })
}

/// How deep calls are inlined; deeper (or recursive) calls are refused.
const INLINE_DEPTH_MAX: usize = 16;

/// The declaration of function `id`: its file and its tree.
pub(crate) fn find_fn(analysis: &Analysis, id: FnId) -> Option<(writ_compiler::FileId, &FnDef)> {
    for file in analysis.files() {
        let typed = analysis.typed_file(file.id);
        for item in &file.parsed.tree.items {
            let found = match &item.kind {
                ItemKind::Fn(f) if typed.def(f.name.id) == Some(Def::Fn(id)) => Some(f),
                ItemKind::Contract(c) => c.members.iter().find_map(|m| match &m.kind {
                    // An interface's signature has no body to read.
                    MemberKind::Fn(f) if !f.signature && typed.def(f.name.id) == Some(Def::Fn(id)) => Some(f),
                    _ => None,
                }),
                _ => None,
            };
            if let Some(f) = found {
                return Some((file.id, f));
            }
        }
    }
    None
}

/// What the caller sees after a call that returned one of `exits` (their
/// conditions exclude one another): the value, and each storage field of
/// `before` as the return taken left it. A chain of `ite`s picks the
/// return taken; the last needs no test.
fn merge_exits(
    ctx: &Context,
    exits: &[Return],
    before: &BTreeMap<u32, Held>,
    has_value: bool,
) -> (Option<SExpr>, BTreeMap<u32, Held>) {
    let pick = |of: &dyn Fn(&Return) -> Option<SExpr>| {
        let mut cases = exits.iter().rev().filter_map(|exit| Some((exit.when, of(exit)?)));
        let (_, last) = cases.next()?;
        Some(cases.fold(last, |rest, (condition, value)| ctx.ite(condition, value, rest)))
    };
    let value = if has_value { pick(&|exit| Some(exit.value)) } else { None };
    let mut after = BTreeMap::new();
    for (field, held) in before {
        let merged = match held {
            Held::Value(before) => Held::Value(
                pick(&|exit| match exit.storage.get(field) {
                    Some(Held::Value(v)) => Some(*v),
                    _ => None,
                })
                .unwrap_or(*before),
            ),
            Held::Map(before) => {
                let part = |of: fn(&MapTerms) -> SExpr| {
                    pick(&|exit| match exit.storage.get(field) {
                        Some(Held::Map(map)) => Some(of(map)),
                        _ => None,
                    })
                    .unwrap_or(of(before))
                };
                Held::Map(MapTerms {
                    present: part(|m| m.present),
                    values: part(|m| m.values),
                    sum: part(|m| m.sum),
                    count: part(|m| m.count),
                })
            }
        };
        after.insert(*field, merged);
    }
    (value, after)
}
