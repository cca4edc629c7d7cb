//! Enums and `Option`s: their variants built, tested by `match` patterns,
//! and the methods of an `Option` value.
//!
//! A `match` runs its arms as `if` runs its branches: each arm under the
//! condition that its pattern matches and no arm before it did (arms are
//! tried in order, as the compiled code tries them), the arms' states
//! joined after. The checker has made sure some arm always matches.

use easy_smt::SExpr;
use writ_abi::host::AbortCode;
use writ_compiler::ast::{Arm, Expr, ExprKind, Pattern, PatternKind};
use writ_compiler::span::Span;
use writ_compiler::types::{Def, LocalId, Ty};

use super::{Encoder, Exit, Result, State, refuse};
use crate::sorts;

impl Encoder<'_, '_> {
    /// Variant `v` of `ty` (an enum or `Option`) from its fields.
    pub(super) fn variant(&mut self, ty: &Ty, v: usize, fields: Vec<SExpr>, span: Span) -> Result<SExpr> {
        self.sort(ty, span)?;
        match sorts::variant(self.solver.ctx(), self.analysis, ty, v, fields) {
            Some(value) => Ok(value),
            None => self.refuse_type(span, "values of type", ty),
        }
    }

    /// `E::V(args)` or `Some(x)`: the arguments in order, then the value.
    pub(super) fn construct(
        &mut self,
        state: &mut State,
        v: usize,
        args: &[Expr],
        e: &Expr,
    ) -> Result<SExpr> {
        let mut fields = Vec::with_capacity(args.len());
        for arg in args {
            fields.push(self.expr(state, arg)?);
        }
        let ty = self.ty(e);
        self.variant(&ty, v, fields, e.span)
    }

    /// Whether `value`, of type `ty`, is variant `v`.
    fn is_variant(&mut self, ty: &Ty, value: SExpr, v: usize, span: Span) -> Result<SExpr> {
        self.sort(ty, span)?;
        match sorts::is_variant(self.solver.ctx(), self.analysis, ty, value, v) {
            Some(test) => Ok(test),
            None => self.refuse_type(span, "values of type", ty),
        }
    }

    fn variant_field(&mut self, ty: &Ty, value: SExpr, v: usize, i: usize, span: Span) -> Result<SExpr> {
        match sorts::variant_field(self.solver.ctx(), self.analysis, ty, value, v, i) {
            Some(field) => Ok(field),
            None => self.refuse_type(span, "values of type", ty),
        }
    }

    /// `match scrutinee { arms }`.
    pub(super) fn match_expr(
        &mut self,
        state: &mut State,
        scrutinee: &Expr,
        arms: &[Arm],
        e: &Expr,
    ) -> Result<SExpr> {
        let ty = self.ty(scrutinee);
        let value = self.expr(state, scrutinee)?;
        let value = self.name(value, &ty, scrutinee.span)?;
        let mut unmatched = self.ctx().true_();
        let mut outcomes = Vec::with_capacity(arms.len());
        for arm in arms {
            let mut binds = Vec::new();
            let test = self.pattern(&arm.pattern, &ty, value, &mut binds)?;
            let ctx = self.ctx();
            let taken = ctx.and(unmatched, test);
            let mut inner = State { live: ctx.and(state.live, taken), ..state.clone() };
            unmatched = ctx.and(unmatched, ctx.not(test));
            for (local, term) in binds {
                inner.locals.insert(local, term);
            }
            let result = self.value(&mut inner, &arm.body)?;
            outcomes.push((inner, result));
        }
        let result = self.join_all(state, outcomes, &self.ty(e), e.span)?;
        Ok(result.unwrap_or_else(|| self.ctx().true_()))
    }

    /// The condition under which `value` (of type `ty`) matches `p`, and
    /// the locals it binds.
    pub(super) fn pattern(
        &mut self,
        p: &Pattern,
        ty: &Ty,
        value: SExpr,
        binds: &mut Vec<(LocalId, SExpr)>,
    ) -> Result<SExpr> {
        match &p.kind {
            PatternKind::Wildcard => Ok(self.ctx().true_()),
            PatternKind::Name(name) => match self.typed.def(name.id) {
                Some(Def::Local(local)) => {
                    binds.push((local, value));
                    Ok(self.ctx().true_())
                }
                Some(Def::Variant(_, v)) => self.is_variant(ty, value, v as usize, p.span),
                None if name.name == "None" => self.is_variant(ty, value, 0, p.span),
                _ => refuse(p.span, "this pattern"),
            },
            PatternKind::Path(path) => match self.typed.def(path.last().id) {
                Some(Def::Variant(_, v)) => self.is_variant(ty, value, v as usize, p.span),
                _ => refuse(p.span, "this pattern"),
            },
            PatternKind::Variant { path, fields } => {
                let v = match self.typed.def(path.last().id) {
                    Some(Def::Variant(_, v)) => v as usize,
                    None if path.is_single() && path.last().name == "Some" => 1,
                    _ => return refuse(p.span, "this pattern"),
                };
                let Some((_, variants)) = sorts::choices(self.analysis, ty) else {
                    return self.refuse_type(p.span, "patterns on", ty);
                };
                let field_tys = variants.get(v).cloned().unwrap_or_default();
                let mut tests = vec![self.is_variant(ty, value, v, p.span)?];
                for (i, (field, field_ty)) in fields.iter().zip(&field_tys).enumerate() {
                    let part = self.variant_field(ty, value, v, i, field.span)?;
                    tests.push(self.pattern(field, field_ty, part, binds)?);
                }
                Ok(crate::all(self.ctx(), tests))
            }
            PatternKind::Lit(lit) | PatternKind::NegLit(lit) => {
                let negative = matches!(p.kind, PatternKind::NegLit(_));
                let constant = self.literal(lit, ty, p.span, negative)?;
                Ok(self.ctx().eq(value, constant))
            }
            PatternKind::Tuple(parts) => {
                let Some((_, part_tys)) = sorts::record(self.analysis, ty) else {
                    return self.refuse_type(p.span, "patterns on", ty);
                };
                let mut tests = Vec::new();
                for (i, (part, part_ty)) in parts.iter().zip(&part_tys).enumerate() {
                    let field = self.select_field(ty, value, i, part.span)?;
                    tests.push(self.pattern(part, part_ty, field, binds)?);
                }
                Ok(crate::all(self.ctx(), tests))
            }
            PatternKind::Or(alternatives) => {
                let mut tests = Vec::new();
                for alternative in alternatives {
                    tests.push(self.pattern(alternative, ty, value, binds)?);
                }
                Ok(crate::any(self.ctx(), tests))
            }
        }
    }

    /// `unwrap_or`, `unwrap`, `is_some` and `is_none` on an `Option`
    /// value; `None` for other methods.
    pub(super) fn option_method(
        &mut self,
        state: &mut State,
        receiver: &Expr,
        method: &str,
        args: &[Expr],
        e: &Expr,
    ) -> Result<Option<SExpr>> {
        let ty = self.ty(receiver);
        let Ty::Option(inner) = &ty else { return Ok(None) };
        let option = self.expr(state, receiver)?;
        let option = self.name(option, &ty, receiver.span)?;
        let found = self.is_variant(&ty, option, 1, e.span)?;
        let value = self.variant_field(&ty, option, 1, 0, e.span)?;
        let result = self.option_use(state, found, value, method, args, e)?;
        // A value chosen between the payload and a default is named once.
        Ok(Some(if method == "unwrap_or" { self.name(result, inner, e.span)? } else { result }))
    }

    /// `unwrap_or`, `unwrap`, `is_some` or `is_none` of an `Option` given
    /// as whether it holds a value (`found`) and that value; `get` of a map
    /// in storage gives these directly.
    pub(super) fn option_use(
        &mut self,
        state: &mut State,
        found: SExpr,
        value: SExpr,
        method: &str,
        args: &[Expr],
        e: &Expr,
    ) -> Result<SExpr> {
        match (method, args) {
            ("unwrap_or", [default]) => {
                // The default runs only for `None` (its aborts happen only
                // then), as in the compiled code.
                let ctx = self.solver.ctx();
                let there = State { live: ctx.and(state.live, found), ..state.clone() };
                let mut absent = State { live: ctx.and(state.live, ctx.not(found)), ..state.clone() };
                let default = self.expr(&mut absent, default)?;
                self.join(state, there, absent, e.span)?;
                Ok(self.ctx().ite(found, value, default))
            }
            ("unwrap", []) => {
                let missing = self.ctx().not(found);
                self.abort(state, missing, Exit::Abort(AbortCode::NoneUnwrapped));
                Ok(value)
            }
            ("is_some", []) => Ok(found),
            ("is_none", []) => Ok(self.ctx().not(found)),
            _ => refuse(e.span, format!("the method `{method}` of an Option")),
        }
    }

    /// The states of several ways out of one construct (arms, branches)
    /// joined into `state`, and the value of the one taken (`None` when
    /// none completes). Their conditions exclude one another.
    pub(super) fn join_all(
        &mut self,
        state: &mut State,
        outcomes: Vec<(State, Option<SExpr>)>,
        ty: &Ty,
        span: Span,
    ) -> Result<Option<SExpr>> {
        let mut outcomes = outcomes.into_iter();
        let Some((mut joined, mut value)) = outcomes.next() else { return Ok(None) };
        for (next, next_value) in outcomes {
            let mut merged = state.clone();
            let taken = self.join(&mut merged, joined, next, span)?;
            value = match (value, next_value) {
                (Some(a), Some(b)) if *ty != Ty::Unit && a != b => Some(self.ite(taken, a, b, ty, span)?),
                (Some(a), _) => Some(a),
                (None, b) => b,
            };
            joined = merged;
        }
        *state = joined;
        Ok(value)
    }
}

/// Whether `e` is the bare `None` (not a variant of an enum of the
/// program).
pub(super) fn is_none_literal(e: &Expr, def: Option<Def>) -> bool {
    matches!(&e.kind, ExprKind::Path(p) if p.is_single() && p.last().name == "None") && def.is_none()
}
