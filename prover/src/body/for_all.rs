//! Loops of an invariant that only check, as quantifiers.
//!
//! A loop whose body only checks (it assigns nothing outside itself and
//! never returns) fails exactly when its body fails for some iteration:
//! which iteration fails first cannot matter, since an invariant only
//! holds or not. So such a loop is "some iteration's body fails", over
//! the present keys of a map in storage (`for (k, v) in self.m`), over a
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

use super::{Encoder, Exit, MapTerms, Result, State, refuse};
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
        let Some(map) = self.map_field(state, over) else {
            // A storage field the prover does not model is refused by name.
            self.expr(state, over)?;
            return refuse(over.span, "a loop over anything but a map in storage");
        };
        if let Some(()) = self.sum_loop(state, pattern, map, body)? {
            return Ok(());
        }
        let Some(Ty::Map(key_ty, _)) = self.map_index(over).and_then(|f| self.field_types.get(&f).cloned())
        else {
            return refuse(over.span, "this map");
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
        self.fails_for_some(state, (bound, key_sort), present, &binds, &body.stmts, body, span)
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
        self.fails_for_some(state, (bound, int_sort), within, &binds, &body.stmts, body, span)
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
        let (Some((last, _)), None) = (body.stmts.split_last(), &body.tail) else { return None };
        let StmtKind::Assign { target, op: AssignOp::Add, value } = &last.kind else { return None };
        let one = matches!(&value.kind, ExprKind::Lit(Lit::Int(text)) if text == "1");
        if !one || self.local_of(target) != Some(counter) {
            return None;
        }
        let mut mentioned = false;
        walk_expr(rhs, &mut |node| {
            if let Node::Expr(e) = node
                && self.local_of(e) == Some(counter)
            {
                mentioned = true;
            }
        });
        (!mentioned).then_some((counter, &**rhs))
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
        let mut inner = State { live: self.ctx().true_(), ..state.clone() };
        for (local, term) in binds {
            inner.locals.insert(*local, *term);
        }
        let (aborts_before, exits_before) = (self.aborts.len(), self.exits.len());
        self.bound += 1;
        // A `break` or `continue` here would leave this loop, not one
        // being unrolled outside it: with none on the stack, it is refused.
        let outer_loops = std::mem::take(&mut self.loops);
        let checks =
            Block { stmts: stmts.to_vec(), tail: body.tail.clone(), span: body.span, depth: body.depth };
        let ran = self.block(&mut inner, &checks);
        self.loops = outer_loops;
        self.bound -= 1;
        ran?;
        let rebound = |local: &LocalId| binds.iter().find(|(l, _)| l == local).map(|(_, t)| *t);
        let changed_outside = inner.storage != state.storage
            || state.locals.iter().any(|(local, term)| {
                inner.locals.get(local) != Some(rebound(local).as_ref().unwrap_or(term))
            })
            || binds.iter().any(|(local, term)| inner.locals.get(local) != Some(term));
        if self.exits.len() != exits_before || changed_outside {
            return refuse(span, "a loop that changes what is outside it or returns");
        }
        let failures: Vec<SExpr> =
            self.aborts.drain(aborts_before..).map(|(condition, _)| condition).collect();
        let ctx = self.ctx();
        let fails_somewhere = ctx.and(domain, crate::any(ctx, failures));
        let fails = ctx.exists([(bound, sort)], fails_somewhere);
        self.abort(state, fails, Exit::Assertion);
        Ok(())
    }

    /// `for (_, v) in self.m { total += v; }` (or `+= v.len()` for a map
    /// of lists) with `total` an unsigned integer local: `total` grows by
    /// the map's ghost sum. Its partial sums only grow, so the loop
    /// overflows exactly when the final total does.
    fn sum_loop(
        &mut self,
        state: &mut State,
        pattern: &Pattern,
        map: MapTerms,
        body: &Block,
    ) -> Result<Option<()>> {
        let PatternKind::Tuple(parts) = &pattern.kind else { return Ok(None) };
        let [_, value_part] = parts.as_slice() else { return Ok(None) };
        let PatternKind::Name(value_name) = &value_part.kind else { return Ok(None) };
        let ([stmt], None) = (body.stmts.as_slice(), &body.tail) else { return Ok(None) };
        let StmtKind::Assign { target, op: AssignOp::Add, value } = &stmt.kind else { return Ok(None) };
        let added = match &value.kind {
            ExprKind::MethodCall { receiver, method, args }
                if method.name == "len" && args.is_empty() && matches!(self.ty(receiver), Ty::List(_)) =>
            {
                receiver
            }
            _ if matches!(self.ty(value), Ty::Int(_) | Ty::Decimal) => value,
            _ => return Ok(None),
        };
        let (Some(total), Some(added), Some(Def::Local(bound))) =
            (self.local_of(target), self.local_of(added), self.typed.def(value_name.id))
        else {
            return Ok(None);
        };
        let ty = self.local_ty(total);
        let (Ty::Int(int_ty), true) = (&ty, added == bound) else { return Ok(None) };
        if int_ty.signed() {
            return Ok(None);
        }
        let Some(before) = state.locals.get(&total).copied() else { return Ok(None) };
        let sum = self.arith(state, Arith::Add, &ty, before, map.sum, stmt.span)?;
        let named = self.name(sum, &ty, stmt.span)?;
        state.locals.insert(total, named);
        Ok(Some(()))
    }
}
