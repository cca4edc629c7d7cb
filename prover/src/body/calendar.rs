//! `Timestamp` and `Date`: the block's time, calendar days and their
//! arithmetic, exactly as the VM computes them.
//!
//! A timestamp is its seconds, a date its days since 1970-01-01. `date(y,
//! m, d)` and `.year()`, `.month()`, `.day()` are the same 400-year-era
//! algorithms the VM's runtime uses (`writ_abi::date`); for years 1 to 9999
//! every intermediate is non-negative, so SMT-LIB's `div` and `mod` agree
//! with the VM's unsigned division, and every divisor is a constant, so
//! the terms stay linear. `now()` is one unknown timestamp per call (the
//! block's time).

use easy_smt::{Context, SExpr};
use writ_abi::host::AbortCode;
use writ_compiler::ast::Expr;
use writ_compiler::span::Span;
use writ_compiler::types::{IntTy, Ty};

use super::{Encoder, Exit, Result, State, refuse};
use crate::int::{self, Arith};
use crate::sorts::{DAY_MAX, DAY_MIN};

/// Seconds in a day.
const DAY: i64 = 86_400;

impl Encoder<'_, '_> {
    /// The block's time, one unknown per call.
    pub(super) fn now(&mut self) -> Result<SExpr> {
        if let Some(now) = self.now {
            return Ok(now);
        }
        let name = format!("{}now", self.prefix);
        let sort = self.ctx().int_sort();
        let now = self.ctx().declare_const(name, sort)?;
        let fact = int::in_range(self.ctx(), IntTy::U64, now);
        self.facts.push(fact);
        self.now = Some(now);
        Ok(now)
    }

    /// `date(y, m, d)`: aborts with `Conversion` for a day that does not
    /// exist.
    pub(super) fn date(&mut self, state: &mut State, args: &[Expr], span: Span) -> Result<SExpr> {
        let mut parts = Vec::with_capacity(3);
        for arg in args {
            parts.push(self.expr(state, arg)?);
        }
        let [y, m, d] = parts.as_slice() else { return refuse(span, "this call of `date`") };
        let (y, m, d) = (*y, *m, *d);
        let ctx = self.ctx();
        let n = |v: i64| ctx.numeral(v);
        let leap = ctx.or(
            ctx.and(ctx.eq(ctx.modulo(y, n(4)), n(0)), ctx.not(ctx.eq(ctx.modulo(y, n(100)), n(0)))),
            ctx.eq(ctx.modulo(y, n(400)), n(0)),
        );
        let short = crate::any(ctx, [4, 6, 9, 11].map(|month| ctx.eq(m, n(month))));
        let in_month = ctx.ite(ctx.eq(m, n(2)), ctx.ite(leap, n(29), n(28)), ctx.ite(short, n(30), n(31)));
        let exists = crate::all(
            ctx,
            [
                ctx.lte(n(1), y),
                ctx.lte(y, n(9999)),
                ctx.lte(n(1), m),
                ctx.lte(m, n(12)),
                ctx.lte(n(1), d),
                ctx.lte(d, in_month),
            ],
        );
        let missing = ctx.not(exists);
        self.abort(state, missing, Exit::Abort(AbortCode::Conversion));
        let days = days_from_civil(self.ctx(), y, m, d);
        self.name(days, &Ty::Date, span)
    }

    /// Methods of `Timestamp` and `Date`; `None` for other receivers.
    pub(super) fn time_method(
        &mut self,
        state: &mut State,
        receiver: &Expr,
        method: &str,
        args: &[Expr],
        e: &Expr,
    ) -> Result<Option<SExpr>> {
        let ty = self.ty(receiver);
        if !matches!(ty, Ty::Timestamp | Ty::Date) {
            return Ok(None);
        }
        let value = self.expr(state, receiver)?;
        let ctx = self.ctx();
        let result = match (&ty, method, args) {
            (Ty::Timestamp, "date", []) => {
                let days = ctx.div(value, ctx.numeral(DAY));
                let beyond = ctx.gt(days, ctx.numeral(DAY_MAX));
                self.abort(state, beyond, Exit::Abort(AbortCode::Conversion));
                days
            }
            (Ty::Date, "year" | "month" | "day", []) => {
                let value = self.name(value, &Ty::Date, e.span)?;
                let (year, month, day) = civil_from_days(self.ctx(), value);
                match method {
                    "year" => year,
                    "month" => month,
                    _ => day,
                }
            }
            (Ty::Date, "add_days", [days]) => {
                let days = self.expr(state, days)?;
                let ctx = self.ctx();
                let moved = ctx.plus(value, days);
                let beyond = ctx.or(ctx.lt(moved, ctx.numeral(DAY_MIN)), ctx.gt(moved, ctx.numeral(DAY_MAX)));
                self.abort(state, beyond, Exit::Abort(AbortCode::Overflow));
                moved
            }
            _ => return refuse(e.span, format!("the method `{method}`")),
        };
        let result_ty = self.ty(e);
        Ok(Some(self.name(result, &result_ty, e.span)?))
    }

    /// `a + b` and `a - b` where `a` is a timestamp or a date.
    pub(super) fn time_arith(&mut self, ty: &Ty, op: Arith, a: SExpr, b: SExpr) -> Option<int::Checked> {
        let ctx = self.ctx();
        match (ty, op) {
            // Seconds are unsigned 64-bit: the VM's u64 arithmetic.
            (Ty::Timestamp, Arith::Add | Arith::Sub) => Some(int::arith(ctx, op, IntTy::U64, a, b)),
            // Both dates fit in 32 bits: the difference cannot overflow.
            (Ty::Date, Arith::Sub) => Some(int::Checked { value: ctx.sub(a, b), aborts: Vec::new() }),
            _ => None,
        }
    }
}

/// Days since 1970-01-01 of a day that exists (years 1 to 9999).
fn days_from_civil(ctx: &Context, y: SExpr, m: SExpr, d: SExpr) -> SExpr {
    let n = |v: i64| ctx.numeral(v);
    let y = ctx.ite(ctx.lte(m, n(2)), ctx.sub(y, n(1)), y);
    let era = ctx.div(y, n(400));
    let year_of_era = ctx.modulo(y, n(400));
    let shifted = ctx.ite(ctx.gt(m, n(2)), ctx.sub(m, n(3)), ctx.plus(m, n(9)));
    let day_of_year = ctx.sub(ctx.plus(ctx.div(ctx.plus(ctx.times(n(153), shifted), n(2)), n(5)), d), n(1));
    let day_of_era = ctx.plus_many([
        ctx.times(year_of_era, n(365)),
        ctx.div(year_of_era, n(4)),
        ctx.negate(ctx.div(year_of_era, n(100))),
        day_of_year,
    ]);
    ctx.sub(ctx.plus(ctx.times(era, n(146_097)), day_of_era), n(719_468))
}

/// Year, month and day of a date.
fn civil_from_days(ctx: &Context, days: SExpr) -> (SExpr, SExpr, SExpr) {
    let n = |v: i64| ctx.numeral(v);
    let z = ctx.plus(days, n(719_468));
    let era = ctx.div(z, n(146_097));
    let doe = ctx.modulo(z, n(146_097));
    let yoe = ctx.div(
        ctx.plus_many([
            doe,
            ctx.negate(ctx.div(doe, n(1460))),
            ctx.div(doe, n(36_524)),
            ctx.negate(ctx.div(doe, n(146_096))),
        ]),
        n(365),
    );
    let doy = ctx.sub(
        doe,
        ctx.plus_many([ctx.times(n(365), yoe), ctx.div(yoe, n(4)), ctx.negate(ctx.div(yoe, n(100)))]),
    );
    let mp = ctx.div(ctx.plus(ctx.times(n(5), doy), n(2)), n(153));
    let day = ctx.plus(ctx.sub(doy, ctx.div(ctx.plus(ctx.times(n(153), mp), n(2)), n(5))), n(1));
    let month = ctx.ite(ctx.lt(mp, n(10)), ctx.plus(mp, n(3)), ctx.sub(mp, n(9)));
    let year = ctx.plus_many([yoe, ctx.times(era, n(400)), ctx.ite(ctx.lte(month, n(2)), n(1), n(0))]);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_range_is_the_vms() {
        let first = writ_abi::Date::from_ymd(1, 1, 1).map(|d| i64::from(d.days()));
        let last = writ_abi::Date::from_ymd(9999, 12, 31).map(|d| i64::from(d.days()));
        assert_eq!((first, last), (Some(DAY_MIN), Some(DAY_MAX)));
    }
}
