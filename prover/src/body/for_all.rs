//! Loops of an invariant that only check, as quantifiers.
//!
//! A loop whose body only checks (it assigns nothing outside itself and
//! never returns) fails exactly when its body fails for some iteration:
//! which iteration fails first cannot matter, since an invariant only
//! holds or not. So such a loop is "some iteration's body fails", over
//! the present keys of a map (`for (k, v) in self.m`, or a map held in
//! one), over a
//! range (`for i in a..b`), or over a counter (`let mut i = a; while i < b
//! { …; i += 1; }`, with `b` something the body cannot change). A loop
//! that only adds a map's values, or the lengths of its lists, to an
//! unsigned total is the map's ghost sum instead. Anything else in an
//! invariant is refused, as loops are elsewhere.

use easy_smt::SExpr;
use writ_compiler::ast::{AssignOp, BinOp, Block, Expr, ExprKind, Lit, Pattern, PatternKind, Stmt, StmtKind};
use writ_compiler::span::Span;
use writ_compiler::types::{Def, LocalId, Ty};
use writ_compiler::walk::{Node, walk_expr};

use super::{Encoder, Exit, Result, State, refuse};

/// One element's run inside a quantifier (`for_one_element`).
struct Element<T> {
    value: T,
    /// The state it ended in.
    inner: State,
    /// Whether it returned or emitted.
    effects: bool,
    /// Where its aborts start among the encoder's.
    aborts_before: usize,
}
use crate::int::Arith;

impl Encoder<'_, '_> {
    /// `for (k, v) in self.m { … }`: fails when the body fails for some
    /// present key.
    pub(super) fn for_all(
        &mut self,
        state: &mut State,
        pattern: &Pattern,
        over: &Expr,
        body: &Block,
        span: Span,
    ) -> Result<()> {
        let Ty::Map(key_ty, _) = self.ty(over) else {
            self.expr(state, over)?;
            return refuse(over.span, "a loop over anything but a map");
        };
        let map = match self.map_field(state, over) {
            Some(map) => map,
            // A storage field the prover does not model is refused by name
            // on the way.
            None => self.value_map(state, over)?,
        };
        let key_sort = self.sort(&key_ty, span)?;
        let (bound, key) = self.bound_variable("k");
        let PatternKind::Tuple(parts) = &pattern.kind else { return refuse(pattern.span, "this pattern") };
        let value = self.ctx().select(map.values, key);
        let mut binds = Vec::new();
        for (part, term) in parts.iter().zip([key, value]) {
            match &part.kind {
                PatternKind::Wildcard => {}
                PatternKind::Name(name) => match self.typed.def(name.id) {
                    Some(Def::Local(local)) => binds.push((local, term)),
                    _ => return refuse(part.span, "this pattern"),
                },
                _ => return refuse(part.span, "this pattern"),
            }
        }
        let present = self.ctx().select(map.present, key);
        if let Some((cond, value)) = self.early_return(body) {
            return self.returns_for_some(state, (bound, key_sort), present, &binds, (cond, value), span);
        }
        match self.summing(pattern, body) {
            Some((total, add)) => {
                let checks = &body.stmts[..body.stmts.len() - 1];
                let aborts = self.aborts.len();
                if !checks.is_empty() {
                    self.fails_for_some(state, (bound, key_sort), present, &binds, checks, body, span)?;
                }
                let Some(before) = state.locals.get(&total).copied() else {
                    return refuse(add.span, "a total that holds no value before the loop");
                };
                let ty = self.local_ty(total);
                let sum = self.arith(state, Arith::Add, &ty, before, map.sum, add.span)?;
                if !self.checking && !checks.is_empty() {
                    // A check failing and the total overflowing: which
                    // comes first depends on the keys' order, so the loop
                    // only says that it aborts.
                    for (_, exit) in self.aborts.iter_mut().skip(aborts) {
                        *exit = Exit::Unknown;
                    }
                    self.approximations.push(super::Refused {
                        span,
                        what: "a summing loop's checks and its total (which fails first is not modelled)"
                            .into(),
                    });
                }
                let named = self.name(sum, &ty, add.span)?;
                state.locals.insert(total, named);
                Ok(())
            }
            None => self.fails_for_some(state, (bound, key_sort), present, &binds, &body.stmts, body, span),
        }
    }

    /// `for i in lo..hi { … }`: `lo`, then `hi`, are evaluated once; fails
    /// when the body fails for some `i` with `lo <= i < hi`.
    pub(super) fn for_all_in_range(
        &mut self,
        state: &mut State,
        pattern: &Pattern,
        (lo, hi): (&Expr, &Expr),
        body: &Block,
        span: Span,
    ) -> Result<()> {
        let from = self.expr(state, lo)?;
        let to = self.expr(state, hi)?;
        let mut binds = Vec::new();
        match &pattern.kind {
            PatternKind::Wildcard => {}
            PatternKind::Name(name) => match self.typed.def(name.id) {
                Some(Def::Local(local)) => binds.push((local, ())),
                _ => return refuse(pattern.span, "this pattern"),
            },
            _ => return refuse(pattern.span, "this pattern"),
        }
        let int_sort = self.ctx().int_sort();
        let (bound, i) = self.bound_variable("i");
        let ctx = self.ctx();
        let within = ctx.and(ctx.lte(from, i), ctx.lt(i, to));
        let binds: Vec<_> = binds.into_iter().map(|(local, ())| (local, i)).collect();
        if let Some((cond, value)) = self.early_return(body) {
            return self.returns_for_some(state, (bound, int_sort), within, &binds, (cond, value), span);
        }
        self.fails_for_some(state, (bound, int_sort), within, &binds, &body.stmts, body, span)
    }

    /// `for x in list { … }` over a list whose elements are not known
    /// where it starts: the body for every index below the length, with
    /// `x` that element (a loop that only checks, or returns early).
    pub(super) fn for_all_elements(
        &mut self,
        state: &mut State,
        pattern: &Pattern,
        list_ty: &Ty,
        list: SExpr,
        body: &Block,
        span: Span,
    ) -> Result<()> {
        let Ty::List(element_ty) = list_ty else { return refuse(span, "a loop over anything but a list") };
        let len = self.list_len(list_ty, list, span)?;
        let int_sort = self.ctx().int_sort();
        let (bound, i) = self.bound_variable("i");
        let analysis = self.analysis;
        let Some(element) = crate::sorts::list_nth(self.ctx(), analysis, list_ty, list, i) else {
            return self.refuse_type(span, "lists of type", list_ty);
        };
        let mut binds = Vec::new();
        // What the pattern names refers to the bound index: no `define`.
        self.bound += 1;
        let bound_pattern = self.pattern(pattern, element_ty, element, &mut binds);
        self.bound -= 1;
        bound_pattern?;
        let ctx = self.ctx();
        let within = ctx.and(ctx.lte(ctx.numeral(0), i), ctx.lt(i, len));
        if let Some((cond, value)) = self.early_return(body) {
            return self.returns_for_some(state, (bound, int_sort), within, &binds, (cond, value), span);
        }
        self.fails_for_some(state, (bound, int_sort), within, &binds, &body.stmts, body, span)
    }

    /// The condition and the value of a loop body that is only `if c {
    /// return v; }`, `v` a literal: "is there an element for which …".
    fn early_return<'b>(&self, body: &'b Block) -> Option<(&'b Expr, &'b Expr)> {
        let ([stmt], None) = (body.stmts.as_slice(), &body.tail) else { return None };
        let StmtKind::Expr { expr, .. } = &stmt.kind else { return None };
        let ExprKind::If { cond, then_block, else_branch: None } = &expr.kind else { return None };
        let (stmts, tail) = (&then_block.stmts, &then_block.tail);
        let returned = match (stmts.as_slice(), tail) {
            ([only], None) => match &only.kind {
                StmtKind::Expr { expr, .. } => expr,
                _ => return None,
            },
            ([], Some(tail)) => tail,
            _ => return None,
        };
        let ExprKind::Return(Some(value)) = &returned.kind else { return None };
        matches!(value.kind, ExprKind::Lit(_)).then_some((&**cond, &**value))
    }

    /// A loop whose body is `if c { return v; }` with `v` a literal: it
    /// returns `v` when `c` holds for some value of the bound variable
    /// where `domain` holds, and goes on otherwise. Which element comes
    /// first cannot matter, as long as evaluating `c` never aborts and
    /// changes nothing (refused otherwise): the VM returns the same `v`
    /// from whichever it meets first.
    fn returns_for_some(
        &mut self,
        state: &mut State,
        (bound, sort): (String, SExpr),
        domain: SExpr,
        binds: &[(LocalId, SExpr)],
        (cond, value): (&Expr, &Expr),
        span: Span,
    ) -> Result<()> {
        let ran = self.for_one_element(state, binds, |this, inner| this.expr(inner, cond))?;
        let Element { value: holds, inner, effects, aborts_before } = ran;
        if effects || self.aborts.len() != aborts_before || inner.storage != state.storage {
            return refuse(span, "a loop returning early whose condition can abort or changes state");
        }
        let value = self.expr(state, value)?;
        let ctx = self.ctx();
        let found = ctx.exists([(bound, sort)], ctx.and(domain, holds));
        let (when, goes_on) = (ctx.and(state.live, found), ctx.and(state.live, ctx.not(found)));
        self.exits.push(super::Return { when, value, storage: state.storage.clone() });
        state.live = goes_on;
        Ok(())
    }

    /// `while i < end { …; i += 1; }` with `i` a local holding its start:
    /// fails when the body fails for some `i` with `start <= i < end`;
    /// afterwards `i` holds `end`, or its start if that was not below.
    /// `None` when the loop does not have that shape.
    pub(super) fn for_all_counted(
        &mut self,
        state: &mut State,
        cond: &Expr,
        body: &Block,
        span: Span,
    ) -> Result<Option<()>> {
        let Some((counter, end)) = self.counted(cond, body) else { return Ok(None) };
        let Some(start) = state.locals.get(&counter).copied() else { return Ok(None) };
        let end = self.expr(state, end)?;
        let int_sort = self.ctx().int_sort();
        let (bound, i) = self.bound_variable("i");
        let ctx = self.ctx();
        let within = ctx.and(ctx.lte(start, i), ctx.lt(i, end));
        let checks = &body.stmts[..body.stmts.len() - 1];
        self.fails_for_some(state, (bound, int_sort), within, &[(counter, i)], checks, body, span)?;
        let ctx = self.ctx();
        let after = ctx.ite(ctx.lt(start, end), end, start);
        let ty = self.local_ty(counter);
        let named = self.name(after, &ty, span)?;
        state.locals.insert(counter, named);
        Ok(Some(()))
    }

    /// The counter and the bound of `while i < end { …; i += 1; }`, when
    /// `end` does not mention `i` and nothing but the last statement
    /// assigns `i`.
    fn counted<'e>(&self, cond: &'e Expr, body: &Block) -> Option<(LocalId, &'e Expr)> {
        let ExprKind::Binary { op: BinOp::Lt, lhs, rhs } = &cond.kind else { return None };
        let counter = self.local_of(lhs)?;
        // Steps of one over an integer: a `Decimal` counter's `1` is a whole
        // unit, not one step of its raw count.
        if !matches!(self.local_ty(counter), Ty::Int(_)) {
            return None;
        }
        let (Some((last, _)), None) = (body.stmts.split_last(), &body.tail) else { return None };
        let StmtKind::Assign { target, op: AssignOp::Add, value } = &last.kind else { return None };
        let one = matches!(&value.kind, ExprKind::Lit(Lit::Int(text)) if text == "1");
        if !one || self.local_of(target) != Some(counter) {
            return None;
        }
        (!self.mentions(rhs, counter)).then_some((counter, &**rhs))
    }

    /// Whether `e` reads the local `local`.
    fn mentions(&self, e: &Expr, local: LocalId) -> bool {
        let mut mentioned = false;
        walk_expr(e, &mut |node| {
            if let Node::Expr(e) = node
                && self.local_of(e) == Some(local)
            {
                mentioned = true;
            }
        });
        mentioned
    }

    fn local_of(&self, e: &Expr) -> Option<LocalId> {
        let ExprKind::Path(path) = &e.kind else { return None };
        match self.typed.def(path.last().id) {
            Some(Def::Local(local)) => Some(local),
            _ => None,
        }
    }

    /// A fresh variable for a quantifier, and the term naming it.
    fn bound_variable(&mut self, what: &str) -> (String, SExpr) {
        self.names += 1;
        let name = format!("{}{what}{}", self.prefix, self.names);
        let term = self.ctx().atom(name.clone());
        (name, term)
    }

    /// Runs `stmts` of `body` with `binds` set, for an arbitrary value of
    /// the bound variable where `domain` holds; the loop fails (an
    /// assertion) when they fail for some such value. The statements may
    /// only check: assigning what is outside them, or returning, is refused.
    #[allow(clippy::too_many_arguments)]
    fn fails_for_some(
        &mut self,
        state: &mut State,
        (bound, sort): (String, SExpr),
        domain: SExpr,
        binds: &[(LocalId, SExpr)],
        stmts: &[Stmt],
        body: &Block,
        span: Span,
    ) -> Result<()> {
        let checks =
            Block { stmts: stmts.to_vec(), tail: body.tail.clone(), span: body.span, depth: body.depth };
        let ran = self.for_one_element(state, binds, |this, inner| this.block(inner, &checks))?;
        let Element { inner, effects, aborts_before, .. } = ran;
        let rebound = |local: &LocalId| binds.iter().find(|(l, _)| l == local).map(|(_, t)| *t);
        let changed_outside = inner.storage != state.storage
            || state.locals.iter().any(|(local, term)| {
                inner.locals.get(local) != Some(rebound(local).as_ref().unwrap_or(term))
            })
            || binds.iter().any(|(local, term)| inner.locals.get(local) != Some(term));
        if effects || changed_outside {
            return refuse(span, "a loop that changes what is outside it or returns");
        }
        let failures: Vec<(SExpr, Exit)> = self.aborts.drain(aborts_before..).collect();
        // Which iteration fails first cannot matter to an invariant; in
        // code that runs it decides how the call aborts, which is known
        // only where every way of failing is the same.
        let exit = match failures.split_first() {
            Some(((_, first), rest)) if rest.iter().all(|(_, e)| e == first) => first.clone(),
            _ => Exit::Unknown,
        };
        if !self.checking && exit == Exit::Unknown && !failures.is_empty() {
            self.approximations.push(super::Refused {
                span,
                what: "a loop's checks (which one fails first is not modelled)".into(),
            });
        }
        let ctx = self.ctx();
        let fails_somewhere = ctx.and(domain, crate::any(ctx, failures.into_iter().map(|(c, _)| c)));
        let fails = ctx.exists([(bound, sort)], fails_somewhere);
        self.abort(state, fails, exit);
        Ok(())
    }

    /// Runs `run` for one arbitrary element, bound by `binds`, inside the
    /// quantifier of a loop read "for every element": from `state` on a
    /// path of its own, with nothing named (terms there mention the bound
    /// variable) and no enclosing loop to `break` to (refused).
    fn for_one_element<T>(
        &mut self,
        state: &State,
        binds: &[(LocalId, SExpr)],
        run: impl FnOnce(&mut Self, &mut State) -> Result<T>,
    ) -> Result<Element<T>> {
        let mut inner = State { live: self.ctx().true_(), ..state.clone() };
        for (local, term) in binds {
            inner.locals.insert(*local, *term);
        }
        let (aborts_before, exits, emitted) = (self.aborts.len(), self.exits.len(), self.emitted.len());
        self.bound += 1;
        let outer_loops = std::mem::take(&mut self.loops);
        let ran = run(self, &mut inner);
        self.loops = outer_loops;
        self.bound -= 1;
        let value = ran?;
        // A `return` or an `emit` is an effect, not a check (and its
        // condition would name the bound variable).
        let effects = self.exits.len() != exits || self.emitted.len() != emitted;
        Ok(Element { value, inner, effects, aborts_before })
    }

    /// The total and the adding statement of a loop over a map that adds
    /// each value `v` (or `v.len()`, for a map of lists) to a local after
    /// checks that only assert: `for (k, v) in self.m { assert(..); …;
    /// total += v; }`. Its partial sums must only grow, so that the loop
    /// overflows exactly when the final total does: the total is unsigned,
    /// or a check asserts `v >= 0` (or `v > 0`) and every iteration passes
    /// it before adding. Then the loop fails exactly when some iteration's
    /// checks fail or the total plus the map's ghost sum is out of range,
    /// whatever order the keys come in. `None` for any other loop.
    fn summing<'b>(&self, pattern: &Pattern, body: &'b Block) -> Option<(LocalId, &'b Stmt)> {
        let PatternKind::Tuple(parts) = &pattern.kind else { return None };
        let [_, value_part] = parts.as_slice() else { return None };
        let PatternKind::Name(value_name) = &value_part.kind else { return None };
        let Some(Def::Local(bound)) = self.typed.def(value_name.id) else { return None };
        let (Some((add, checks)), None) = (body.stmts.split_last(), &body.tail) else { return None };
        let StmtKind::Assign { target, op: AssignOp::Add, value } = &add.kind else { return None };
        let (added, lengths) = match &value.kind {
            ExprKind::MethodCall { receiver, method, args }
                if method.name == "len" && args.is_empty() && matches!(self.ty(receiver), Ty::List(_)) =>
            {
                (&**receiver, true)
            }
            _ if matches!(self.ty(value), Ty::Int(_) | Ty::Decimal) => (value, false),
            _ => return None,
        };
        let total = self.local_of(target)?;
        if self.local_of(added) != Some(bound) {
            return None;
        }
        // A check that reads the total would see the running total on the
        // VM and the one before the loop here.
        if checks.iter().filter_map(|c| self.assertion(c)).any(|a| self.mentions(a, total)) {
            return None;
        }
        let only_asserts = checks.iter().all(|c| self.assertion(c).is_some());
        let unsigned = matches!(self.local_ty(total), Ty::Int(t) if !t.signed());
        let non_negative =
            lengths || checks.iter().filter_map(|c| self.assertion(c)).any(|a| self.at_least_zero(a, bound));
        (only_asserts && (unsigned || non_negative)).then_some((total, add))
    }

    /// The condition of `assert(c);` or `require(c, "…");` (alike here:
    /// either fails the loop where `c` is false).
    fn assertion<'b>(&self, stmt: &'b Stmt) -> Option<&'b Expr> {
        let StmtKind::Expr { expr, .. } = &stmt.kind else { return None };
        let ExprKind::Call { callee, args } = &expr.kind else { return None };
        let ExprKind::Path(path) = &callee.kind else { return None };
        if self.typed.def(path.last().id).is_some() {
            // The program's own function, not the built-in.
            return None;
        }
        match (path.last().name.as_str(), args.as_slice()) {
            ("assert", [condition] | [condition, _]) | ("require", [condition, _]) => Some(condition),
            _ => None,
        }
    }

    /// Whether `condition` is `v >= 0` or `v > 0` (any zero literal) on
    /// the local `v`.
    fn at_least_zero(&self, condition: &Expr, v: LocalId) -> bool {
        let ExprKind::Binary { op: BinOp::Ge | BinOp::Gt, lhs, rhs } = &condition.kind else { return false };
        let zero = match &rhs.kind {
            ExprKind::Lit(Lit::Int(text) | Lit::Decimal(text)) => {
                text.chars().all(|c| matches!(c, '0' | '.' | '_'))
            }
            _ => false,
        };
        zero && self.local_of(lhs) == Some(v)
    }
}
