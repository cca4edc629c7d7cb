//! Code that runs (an entry point, `init`, what they call) beyond the
//! exact encoding, read so that what is proved of every call still holds:
//! a loop by its last iteration, a module's function by its result's type.
//!
//! A loop whose iterations cannot be unrolled (over a range, a list built
//! at run time, a map; a `while`) ends in one of two ways: it never ran,
//! or some iteration ended it — the last one run to its end, or any one
//! that breaks out, returns or aborts. That iteration starts from a state
//! the earlier ones left: unknown, but it agrees with the state before the
//! loop on everything the body cannot write (`frame::writes`, and the
//! locals the body assigns), and the loop's invariants (`invariant c;` at
//! the top of the body) hold in it. So the loop is read as its body run
//! once from an arbitrary such state, the loop variable at any of its
//! values, joined with the state where it never ran; the `require`s at the
//! top of the body then hold after them, as at run time. Each loop
//! invariant is a claim of its own (`Encoded::loop_claims`): it holds
//! where the loop starts, and an iteration from any state where it holds
//! keeps it; every proof about the call rests on both.
//!
//! A function of a module (not of a contract: it has no `self`, so it
//! reads and writes no storage and no context) that the prover cannot
//! read returns an arbitrary value of its type, or aborts in a way no
//! `aborts_if … with` names.
//!
//! Both allow behaviours the VM does not have (an unreachable state for
//! the iteration, any result). Everything the prover proves is about
//! every behaviour of the encoding ("after every call that returns, the
//! invariant holds"), so it holds of every real call; but a behaviour the
//! encoding allows need not be real, so the bounded search leaves such
//! code out, and each reading is recorded as an approximation
//! (`Encoded::approximations`). Never used in invariants and specs, whose
//! truth the prover also assumes: there it would be unsound; nor inside a
//! loop read "for every element", where one constant would be one value
//! for every element.

use std::collections::BTreeSet;

use easy_smt::SExpr;
use writ_compiler::ast::{Block, Expr, ExprKind, Pattern, PatternKind, StmtKind};
use writ_compiler::span::Span;
use writ_compiler::types::{Def, LocalId, Ty};
use writ_compiler::walk::{Node, walk_block};

use super::{EncodeError, Encoder, Held, MapTerms, Refused, Result, State, refuse, role_of};
use crate::frame::Part;

/// Where the encoder's records stood, to undo an attempt that was refused.
pub(super) struct Mark {
    aborts: usize,
    emitted: usize,
    exits: usize,
    approximations: usize,
    loop_claims: usize,
}

/// One iteration of a loop, arbitrary among them.
struct Iteration {
    /// What the pattern binds.
    binds: Vec<(LocalId, SExpr)>,
    /// Where such an iteration exists.
    within: SExpr,
    /// Whether it is the last one.
    last: SExpr,
    /// A range's variable, for the next iteration's.
    index: Option<SExpr>,
}

/// What a loop iterates over, evaluated where it starts.
pub(super) enum Over<'e> {
    /// `while cond`: the condition, read again at every iteration (it
    /// writes nothing: refused otherwise).
    While(&'e Expr),
    /// `lo..hi`.
    Range(SExpr, SExpr),
    /// A list value of this type.
    List(SExpr, Ty),
    /// A map (its key type), and the storage field it is rooted at.
    Map(MapTerms, Ty, Option<u32>),
}

impl Encoder<'_, '_> {
    pub(super) fn mark(&self) -> Mark {
        Mark {
            aborts: self.aborts.len(),
            emitted: self.emitted.len(),
            exits: self.exits.len(),
            approximations: self.approximations.len(),
            loop_claims: self.loop_claims.len(),
        }
    }

    /// Forgets the behaviours recorded since `mark`: aborts, emits,
    /// returns, approximations and loop claims. The solver keeps the names
    /// it was given, and the facts stay: each is true of every value (a
    /// range), and a constant cached on the way (the caller) keeps its own.
    pub(super) fn back_to(&mut self, mark: Mark) {
        self.aborts.truncate(mark.aborts);
        self.emitted.truncate(mark.emitted);
        self.exits.truncate(mark.exits);
        self.approximations.truncate(mark.approximations);
        self.loop_claims.truncate(mark.loop_claims);
    }

    /// Runs `attempt` (an exact reading of a loop); where it is refused,
    /// undoes it and leaves `state` as it was: `Ok(false)`.
    pub(super) fn exactly(
        &mut self,
        state: &mut State,
        attempt: impl FnOnce(&mut Self, &mut State) -> Result<()>,
    ) -> Result<bool> {
        let mark = self.mark();
        let mut tried = state.clone();
        match attempt(self, &mut tried) {
            Ok(()) => {
                *state = tried;
                Ok(true)
            }
            Err(EncodeError::Refused(_)) => {
                self.back_to(mark);
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// A call of a module's function the prover cannot read (`why`): an
    /// arbitrary value of its result type.
    pub(super) fn opaque_result(
        &mut self,
        state: &mut State,
        ret: &Ty,
        why: Refused,
        span: Span,
    ) -> Result<SExpr> {
        let what = format!("a call read by its result's type alone ({})", why.what);
        // It may also abort, how is not known: with an exit no `with` of a
        // spec names.
        let aborts = self.fresh(&Ty::Bool, "call_aborts", span)?;
        self.abort(state, aborts, super::Exit::Unknown);
        self.approximations.push(Refused { span, what });
        if matches!(ret, Ty::Unit | Ty::Never) {
            return Ok(self.ctx().true_());
        }
        self.fresh(ret, "result", span)
    }

    /// A fresh constant of type `ty`, with the range every value of it
    /// obeys as a fact.
    fn fresh(&mut self, ty: &Ty, what: &str, span: Span) -> Result<SExpr> {
        if self.bound > 0 {
            // One constant would be one value for every element of the
            // quantifier the code is in.
            return refuse(span, "a value read by its type alone inside a loop read for every element");
        }
        let sort = self.sort(ty, span)?;
        self.names += 1;
        let name = format!("{}{what}{}", self.prefix, self.names);
        let term = self.ctx().declare_const(name, sort)?;
        if let Some(fact) = self.range(ty, term) {
            self.facts.push(fact);
        }
        Ok(term)
    }

    /// A loop read by its last iteration (see the module's comment).
    pub(super) fn by_last_iteration(
        &mut self,
        state: &mut State,
        pattern: Option<&Pattern>,
        over: Over<'_>,
        body: &Block,
        span: Span,
    ) -> Result<()> {
        if self.bound > 0 {
            return refuse(span, "a loop read by its last iteration inside a loop read for every element");
        }
        if let Over::While(cond) = &over
            && self.may_change_state(cond)
        {
            return refuse(cond.span, "a `while` whose condition calls a function or changes state");
        }
        let written = crate::frame::writes(self.analysis, self.file, body);
        if let Over::Map(_, _, Some(field)) = &over
            && written.contains(&Part::Field(*field))
        {
            return refuse(span, "a loop over a map that writes the map");
        }
        let invariants: Vec<&Expr> = body
            .stmts
            .iter()
            .map_while(|stmt| match &stmt.kind {
                StmtKind::Invariant { cond } => Some(cond),
                _ => None,
            })
            .collect();
        let ran = match &over {
            // The first test of the condition is the real one.
            Over::While(cond) => self.expr(state, cond)?,
            Over::Range(lo, hi) => self.ctx().lt(*lo, *hi),
            Over::List(list, ty) => {
                let len = self.list_len(ty, *list, span)?;
                let ctx = self.ctx();
                ctx.gt(len, ctx.numeral(0))
            }
            // Whether a map is empty is not known: either way, as the solver chooses.
            Over::Map(..) => self.fresh(&Ty::Bool, "loop_ran", span)?,
        };
        if !invariants.is_empty() {
            // A list's or map's element at the start of an iteration is not
            // the one a claim about the next would need: such a loop
            // invariant reads only what the loop changes, not its element.
            if let (Over::List(..) | Over::Map(..), Some(pattern)) = (&over, pattern) {
                let elements = self.pattern_locals(pattern);
                if let Some(reads) = invariants.iter().find(|e| self.reads_any(e, &elements)) {
                    return refuse(
                        reads.span,
                        "reading the element of a loop over a list or map in its loop invariant",
                    );
                }
            }
            self.loop_invariant_claims(state, (pattern, &over, ran), body, &invariants, span)?;
        }
        // The iteration that ends the loop: the last one, or any one that
        // breaks out of it (or returns, or aborts). It starts from an
        // arbitrary state that agrees with the one before the loop on what
        // the body cannot write, and where the invariants hold.
        let mut last = self.havoc(state, body, &written, span)?;
        let iteration = self.iteration(&over, pattern, span)?;
        for (local, term) in &iteration.binds {
            last.locals.insert(*local, *term);
        }
        let holds = self.invariants_hold(&last, &invariants)?;
        let ctx = self.ctx();
        last.live = crate::all(ctx, [state.live, ran, iteration.within, holds]);
        let mut never = state.clone();
        never.live = ctx.and(state.live, ctx.not(ran));
        if let Over::While(cond) = &over {
            // That iteration's test of the condition, which held.
            let test = self.expr(&mut last, cond)?;
            last.live = self.ctx().and(last.live, test);
        }
        let emitted = self.emitted.len();
        self.loops.push(super::lists::LoopExits::default());
        let finished = self.block(&mut last, body);
        let exits = self.loops.pop().unwrap_or_default();
        finished?;
        // An event emitted by an earlier iteration is not emitted by the
        // one read here: count every `emit` of the body as reached
        // whenever the loop ran.
        let reached = self.ctx().and(state.live, ran);
        for (when, _) in self.emitted.iter_mut().skip(emitted) {
            *when = reached;
        }
        self.approximations.push(Refused { span, what: "a loop read by its last iteration".into() });
        // Running to the end of the body (or `continue`) ends the loop only
        // in its last iteration; `break` in any.
        let (breaks, continues) = exits.into_parts();
        let mut outcomes = vec![(never, None)];
        for mut finished in std::iter::once(last).chain(continues) {
            let ends = match &over {
                // A `while` ends where the next test of its condition fails.
                Over::While(cond) => {
                    let test = self.expr(&mut finished, cond)?;
                    self.ctx().not(test)
                }
                _ => iteration.last,
            };
            finished.live = self.ctx().and(finished.live, ends);
            outcomes.push((finished, None));
        }
        outcomes.extend(breaks.into_iter().map(|s| (s, None)));
        self.join_all(state, outcomes, &Ty::Unit, span)?;
        Ok(())
    }

    /// `state` with everything `body` can write (the locals it assigns
    /// that live outside it, the storage fields and roles it or what it
    /// calls writes) replaced by fresh constants.
    fn havoc(&mut self, state: &State, body: &Block, written: &BTreeSet<Part>, span: Span) -> Result<State> {
        let mut out = state.clone();
        for local in self.assigned_locals(body) {
            // Only those declared outside the body: the others start afresh.
            if let Some(held) = out.locals.get_mut(&local) {
                let ty = self.local_ty(local);
                *held = self.fresh(&ty, "loop_local", span)?;
            }
        }
        let fields: Vec<u32> = out.storage.keys().copied().collect();
        for field in fields {
            let part = match role_of(field) {
                Some(_) => Part::Roles,
                None => Part::Field(field),
            };
            if !written.contains(&part) {
                continue;
            }
            let held = match (out.storage.get(&field), self.field_types.get(&field).cloned()) {
                (Some(Held::Map(_)), Some(ty @ Ty::Map(..))) => Held::Map(self.fresh_map(&ty, span)?),
                (Some(Held::Value(_)), Some(Ty::Role(_))) => {
                    let ctx = self.ctx();
                    let sort = ctx.array_sort(ctx.int_sort(), ctx.bool_sort());
                    self.names += 1;
                    let name = format!("{}loop_role{}", self.prefix, self.names);
                    Held::Value(self.ctx().declare_const(name, sort)?)
                }
                (Some(Held::Value(_)), Some(ty)) => Held::Value(self.fresh(&ty, "loop_field", span)?),
                _ => return refuse(span, "a loop writing a storage field held two ways"),
            };
            out.storage.insert(field, held);
        }
        Ok(out)
    }

    /// An arbitrary iteration of a loop over `over`: what its pattern
    /// binds, where that iteration exists, and whether it is the last.
    fn iteration(&mut self, over: &Over<'_>, pattern: Option<&Pattern>, span: Span) -> Result<Iteration> {
        let mut binds = Vec::new();
        let pattern = match (over, pattern) {
            // Every iteration of a `while` is "within"; its condition says
            // which is the last.
            (Over::While(_), _) => {
                let ctx = self.ctx();
                return Ok(Iteration { binds, within: ctx.true_(), last: ctx.true_(), index: None });
            }
            (_, Some(pattern)) => pattern,
            (_, None) => return refuse(span, "a loop without a pattern"),
        };
        let (within, last, index) = match over {
            Over::While(_) => return refuse(span, "this loop"),
            Over::Range(lo, hi) => {
                // The variable's type when it has a name; a plain integer
                // (no range: `lo..hi` bounds it) for `_`.
                let i = match &pattern.kind {
                    PatternKind::Name(name) => match self.typed.def(name.id) {
                        Some(Def::Local(local)) => {
                            let ty = self.local_ty(local);
                            self.fresh(&ty, "loop_i", span)?
                        }
                        _ => return refuse(pattern.span, "this pattern"),
                    },
                    _ => {
                        self.names += 1;
                        let name = format!("{}loop_i{}", self.prefix, self.names);
                        let sort = self.ctx().int_sort();
                        self.ctx().declare_const(name, sort)?
                    }
                };
                self.bind_parts(std::slice::from_ref(pattern), &[i], &mut binds)?;
                let ctx = self.ctx();
                let within = ctx.and(ctx.lte(*lo, i), ctx.lt(i, *hi));
                (within, ctx.eq(i, ctx.sub(*hi, ctx.numeral(1))), Some(i))
            }
            Over::List(list, ty) => {
                let Ty::List(element_ty) = ty else { return refuse(span, "this loop") };
                let len = self.list_len(ty, *list, span)?;
                let i = self.fresh(&Ty::Int(writ_compiler::types::IntTy::U64), "loop_index", span)?;
                let analysis = self.analysis;
                let Some(nth) = crate::sorts::list_nth(self.ctx(), analysis, ty, *list, i) else {
                    return self.refuse_type(span, "lists of type", ty);
                };
                self.pattern(pattern, element_ty, nth, &mut binds)?;
                let ctx = self.ctx();
                (ctx.lt(i, len), ctx.eq(i, ctx.sub(len, ctx.numeral(1))), None)
            }
            Over::Map(map, key_ty, _) => {
                // Some present key: which one comes last is not modelled.
                let key = self.fresh(key_ty, "loop_key", span)?;
                let ctx = self.ctx();
                let value = ctx.select(map.values, key);
                let PatternKind::Tuple(parts) = &pattern.kind else {
                    return refuse(pattern.span, "this pattern");
                };
                self.bind_parts(parts, &[key, value], &mut binds)?;
                let ctx = self.ctx();
                (ctx.select(map.present, key), ctx.true_(), None)
            }
        };
        Ok(Iteration { binds, within, last, index })
    }

    /// Where the loop invariants (`invariant c;` at the top of the body)
    /// fail: where the loop starts (a range's variable at its start), or
    /// after an iteration from an arbitrary state where they held (the
    /// variable one further). Each is a claim of every proof about the
    /// call (`Encoded::loop_claims`); this run of the body is hypothetical
    /// and leaves no other trace.
    fn loop_invariant_claims(
        &mut self,
        state: &State,
        (pattern, over, ran): (Option<&Pattern>, &Over<'_>, SExpr),
        body: &Block,
        invariants: &[&Expr],
        span: Span,
    ) -> Result<()> {
        let mut at_start = state.clone();
        if let (Over::Range(lo, _), Some(pattern)) = (over, pattern) {
            let mut binds = Vec::new();
            self.bind_parts(std::slice::from_ref(pattern), &[*lo], &mut binds)?;
            at_start.locals.extend(binds);
        }
        let starts = self.invariants_hold(&at_start, invariants)?;
        let ctx = self.ctx();
        let fails_at_start = crate::all(ctx, [state.live, ran, ctx.not(starts)]);
        let first = invariants.first().map_or(span, |e| e.span);
        self.loop_claims.push((
            fails_at_start,
            Refused { span: first, what: "a loop invariant that may not hold where its loop starts".into() },
        ));
        let written = crate::frame::writes(self.analysis, self.file, body);
        let mut from = self.havoc(state, body, &written, span)?;
        let iteration = self.iteration(over, pattern, span)?;
        for (local, term) in &iteration.binds {
            from.locals.insert(*local, *term);
        }
        let holds = self.invariants_hold(&from, invariants)?;
        let ctx = self.ctx();
        from.live = crate::all(ctx, [state.live, iteration.within, holds]);
        // What the hypothetical run records is not the call's (its facts,
        // true of every value, stay).
        let (aborts, emitted, exits) = (self.aborts.len(), self.emitted.len(), self.exits.len());
        let approximations = self.approximations.len();
        self.loops.push(super::lists::LoopExits::default());
        let finished = match over {
            Over::While(cond) => match self.expr(&mut from, cond) {
                Ok(test) => {
                    from.live = self.ctx().and(from.live, test);
                    self.block(&mut from, body)
                }
                Err(e) => Err(e),
            },
            _ => self.block(&mut from, body),
        };
        let loop_exits = self.loops.pop().unwrap_or_default();
        self.aborts.truncate(aborts);
        self.emitted.truncate(emitted);
        self.exits.truncate(exits);
        self.approximations.truncate(approximations);
        finished?;
        let (_, continues) = loop_exits.into_parts();
        let mut broken = Vec::new();
        for mut after in std::iter::once(from).chain(continues) {
            if let (Some(i), Some(pattern)) = (iteration.index, pattern) {
                let ctx = self.ctx();
                let next = ctx.plus(i, ctx.numeral(1));
                let mut binds = Vec::new();
                self.bind_parts(std::slice::from_ref(pattern), &[next], &mut binds)?;
                after.locals.extend(binds);
            }
            let kept = self.invariants_hold(&after, invariants)?;
            let ctx = self.ctx();
            broken.push(ctx.and(after.live, ctx.not(kept)));
        }
        let ctx = self.ctx();
        let not_kept = crate::any(ctx, broken);
        self.loop_claims.push((
            not_kept,
            Refused { span: first, what: "a loop invariant that an iteration may not keep".into() },
        ));
        Ok(())
    }

    /// Whether every loop invariant evaluates, on `state`, to `true`
    /// without aborting (read as a spec is: exactly, never run).
    fn invariants_hold(&mut self, state: &State, invariants: &[&Expr]) -> Result<SExpr> {
        if invariants.is_empty() {
            return Ok(self.ctx().true_());
        }
        let checking = std::mem::replace(&mut self.checking, true);
        let mark = self.mark();
        // On the state's own path: a fact stated where a value is read
        // (its range) holds only there.
        let mut scratch = state.clone();
        let mut values = Vec::new();
        let mut result = Ok(());
        for cond in invariants {
            match self.expr(&mut scratch, cond) {
                Ok(value) => values.push(value),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        let failures: Vec<SExpr> =
            self.aborts.get(mark.aborts..).unwrap_or_default().iter().map(|(c, _)| *c).collect();
        // Facts (a range of a constant read) stay; the evaluation's aborts
        // are not the call's.
        self.aborts.truncate(mark.aborts);
        self.checking = checking;
        result?;
        let ctx = self.ctx();
        let fails = crate::any(ctx, failures);
        Ok(ctx.and(ctx.not(fails), crate::all(ctx, values)))
    }

    /// A map of type `ty` about which nothing is known.
    fn fresh_map(&mut self, ty: &Ty, span: Span) -> Result<MapTerms> {
        let Ty::Map(key, value) = ty else { return refuse(span, "this map") };
        let (present_sort, values_sort) = self.map_sorts(key, value, span)?;
        let int_sort = self.ctx().int_sort();
        let part = |this: &mut Self, sort: SExpr| -> Result<SExpr> {
            this.names += 1;
            let name = format!("{}loop_map{}", this.prefix, this.names);
            Ok(this.ctx().declare_const(name, sort)?)
        };
        let present = part(self, present_sort)?;
        let values = part(self, values_sort)?;
        let sum = part(self, int_sort)?;
        let count = part(self, int_sort)?;
        let ctx = self.ctx();
        let counted = ctx.gte(count, ctx.numeral(0));
        self.facts.push(counted);
        Ok(MapTerms { present, values, sum, count })
    }

    /// The locals a loop's pattern binds.
    fn pattern_locals(&self, pattern: &Pattern) -> Vec<LocalId> {
        let mut out = Vec::new();
        let parts = match &pattern.kind {
            PatternKind::Tuple(parts) => parts.iter().collect(),
            _ => vec![pattern],
        };
        for part in parts {
            if let PatternKind::Name(name) = &part.kind
                && let Some(Def::Local(local)) = self.typed.def(name.id)
            {
                out.push(local);
            }
        }
        out
    }

    /// Whether `e` reads one of `locals`.
    fn reads_any(&self, e: &Expr, locals: &[LocalId]) -> bool {
        let mut reads = false;
        writ_compiler::walk::walk_expr(e, &mut |node| {
            if let Node::Expr(e) = node
                && let ExprKind::Path(path) = &e.kind
                && let Some(Def::Local(local)) = self.typed.def(path.last().id)
            {
                reads |= locals.contains(&local);
            }
        });
        reads
    }

    /// Whether evaluating `e` may change state: it calls a function of the
    /// program or a mutating method of the table of built-ins.
    fn may_change_state(&self, e: &Expr) -> bool {
        let mut changes = false;
        writ_compiler::walk::walk_expr(e, &mut |node| {
            if let Node::Expr(e) = node {
                match &e.kind {
                    ExprKind::Call { callee, .. } => {
                        if let ExprKind::Path(path) = &callee.kind
                            && matches!(self.typed.def(path.last().id), Some(Def::Fn(_)))
                        {
                            changes = true;
                        }
                    }
                    ExprKind::MethodCall { receiver, method, .. } => {
                        let mutating =
                            writ_compiler::builtins::method_of(self.typed.ty(receiver.id), &method.name)
                                .is_some_and(|m| m.mutating);
                        if mutating || matches!(self.typed.def(method.id), Some(Def::Fn(_))) {
                            changes = true;
                        }
                    }
                    _ => {}
                }
            }
        });
        changes
    }

    /// Binds each of `parts` (a name or `_`) to its term.
    fn bind_parts(
        &self,
        parts: &[Pattern],
        terms: &[SExpr],
        binds: &mut Vec<(LocalId, SExpr)>,
    ) -> Result<()> {
        for (part, term) in parts.iter().zip(terms) {
            match &part.kind {
                PatternKind::Wildcard => {}
                PatternKind::Name(name) => match self.typed.def(name.id) {
                    Some(Def::Local(local)) => binds.push((local, *term)),
                    _ => return refuse(part.span, "this pattern"),
                },
                _ => return refuse(part.span, "this pattern"),
            }
        }
        Ok(())
    }

    /// The locals `body` assigns or changes in place (`x = …`, `x.f += …`,
    /// `xs.push(…)`), by the local each place is rooted at.
    fn assigned_locals(&self, body: &Block) -> BTreeSet<LocalId> {
        let mut out = BTreeSet::new();
        walk_block(body, &mut |node| match node {
            Node::Stmt(stmt) => {
                if let StmtKind::Assign { target, .. } = &stmt.kind
                    && let Some(local) = self.local_root(target)
                {
                    out.insert(local);
                }
            }
            Node::Expr(e) => {
                if let ExprKind::MethodCall { receiver, method, .. } = &e.kind
                    && writ_compiler::builtins::method_of(self.typed.ty(receiver.id), &method.name)
                        .is_some_and(|m| m.mutating)
                    && let Some(local) = self.local_root(receiver)
                {
                    out.insert(local);
                }
            }
            _ => {}
        });
        out
    }

    /// The local a place is rooted at (`x.f[k]` → `x`).
    fn local_root(&self, place: &Expr) -> Option<LocalId> {
        match &place.kind {
            ExprKind::Path(path) => match self.typed.def(path.last().id) {
                Some(Def::Local(local)) => Some(local),
                _ => None,
            },
            ExprKind::Field { receiver, .. }
            | ExprKind::TupleField { receiver, .. }
            | ExprKind::Index { receiver, .. } => self.local_root(receiver),
            ExprKind::Paren(inner) => self.local_root(inner),
            _ => None,
        }
    }
}
