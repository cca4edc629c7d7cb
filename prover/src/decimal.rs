//! `Decimal` as SMT terms: the raw signed 128-bit count of 10⁻¹⁸ units as
//! an `Int`, with the VM's exact rounding (docs/LANGUAGE.md §5).
//!
//! `+` and `-` are exact; `*` and `/` take the exact quotient and round it
//! to 18 places, ties to even; `round` rounds to `places` digits in one of
//! seven modes. All of them come down to [`round_div`], a division of
//! magnitudes with the mode deciding whether the magnitude steps away from
//! zero. A product of two unknowns is non-linear; the solver is exact on it
//! but may spend its budget (reported `unknown`, never guessed).

use easy_smt::{Context, SExpr};
use writ_abi::Rounding;
use writ_abi::host::AbortCode;

use crate::int::{Checked, IntType, constant};

/// Fractional digits.
pub const PLACES: u32 = 18;

/// 10^18, one unit.
pub fn scale(ctx: &Context) -> SExpr {
    power_of_ten(ctx, PLACES)
}

fn power_of_ten(ctx: &Context, exponent: u32) -> SExpr {
    ctx.numeral(10u128.pow(exponent))
}

/// The raw value fits 128 bits, signed.
pub fn in_range(ctx: &Context, raw: SExpr) -> SExpr {
    ctx.and(ctx.lte(constant(ctx, i128::MIN), raw), ctx.lte(raw, constant(ctx, i128::MAX)))
}

fn overflow(ctx: &Context, raw: SExpr) -> (SExpr, AbortCode) {
    (ctx.not(in_range(ctx, raw)), AbortCode::Overflow)
}

pub fn add(ctx: &Context, a: SExpr, b: SExpr) -> Checked {
    let value = ctx.plus(a, b);
    Checked { value, aborts: vec![overflow(ctx, value)] }
}

pub fn sub(ctx: &Context, a: SExpr, b: SExpr) -> Checked {
    let value = ctx.sub(a, b);
    Checked { value, aborts: vec![overflow(ctx, value)] }
}

pub fn negate(ctx: &Context, a: SExpr) -> Checked {
    let value = ctx.negate(a);
    Checked { value, aborts: vec![overflow(ctx, value)] }
}

/// `a * b`: the exact product over 10^18, half to even.
pub fn mul(ctx: &Context, a: SExpr, b: SExpr) -> Checked {
    let value = round_div(ctx, ctx.times(a, b), scale(ctx), Rounding::HalfEven);
    Checked { value, aborts: vec![overflow(ctx, value)] }
}

/// `a / b`: the exact quotient to 18 places, half to even.
pub fn div(ctx: &Context, a: SExpr, b: SExpr) -> Checked {
    let value = round_div(ctx, ctx.times(a, scale(ctx)), b, Rounding::HalfEven);
    let by_zero = (ctx.eq(b, ctx.numeral(0)), AbortCode::DivisionByZero);
    Checked { value, aborts: vec![by_zero, overflow(ctx, value)] }
}

/// `a.round(places, mode)`, `places` a `u32` term: 18 or more changes
/// nothing; otherwise the value becomes a whole number of 10^(18 − places).
pub fn round(ctx: &Context, a: SExpr, places: SExpr, mode: Rounding) -> Checked {
    // A literal number of places (the usual case) needs one branch, not a
    // choice among eighteen: the solver's work differs by orders.
    if let Some(digits) = ctx.get_u32(places) {
        let value = match PLACES.checked_sub(digits).filter(|shift| *shift > 0) {
            Some(shift) => {
                let unit = power_of_ten(ctx, shift);
                ctx.times(round_div(ctx, a, unit, mode), unit)
            }
            None => a,
        };
        return Checked { value, aborts: vec![overflow(ctx, value)] };
    }
    let mut value = a;
    for digits in (0..PLACES).rev() {
        let unit = power_of_ten(ctx, PLACES - digits);
        let rounded = ctx.times(round_div(ctx, a, unit, mode), unit);
        value = ctx.ite(ctx.eq(places, ctx.numeral(digits)), rounded, value);
    }
    Checked { value, aborts: vec![overflow(ctx, value)] }
}

/// `a.trunc()`, `a.floor()`, `a.ceil()`: rounding to a whole number.
pub fn whole(ctx: &Context, a: SExpr, mode: Rounding) -> Checked {
    round(ctx, a, ctx.numeral(0), mode)
}

pub fn abs(ctx: &Context, a: SExpr) -> Checked {
    let value = ctx.ite(ctx.gte(a, ctx.numeral(0)), a, ctx.negate(a));
    Checked { value, aborts: vec![overflow(ctx, value)] }
}

/// `n as Decimal` for an integer `n`.
pub fn from_int(ctx: &Context, n: SExpr) -> Checked {
    let value = ctx.times(n, scale(ctx));
    Checked { value, aborts: vec![overflow(ctx, value)] }
}

/// `a as to`: only a whole number in `to`'s range converts.
pub fn to_int(ctx: &Context, to: IntType, a: SExpr) -> Checked {
    let units = round_div(ctx, a, scale(ctx), Rounding::Down);
    let whole = ctx.eq(ctx.times(units, scale(ctx)), a);
    let fits = crate::int::in_range(ctx, to, units);
    Checked { value: units, aborts: vec![(ctx.not(ctx.and(whole, fits)), AbortCode::Conversion)] }
}

/// `n / d` rounded by `mode` (`d` non-zero): the magnitude of the truncated
/// quotient steps one away from zero when the mode says so for the
/// remainder left, as `writ_abi::Decimal` does it.
pub fn round_div(ctx: &Context, n: SExpr, d: SExpr, mode: Rounding) -> SExpr {
    let zero = ctx.numeral(0);
    let magnitude = |x: SExpr| ctx.ite(ctx.gte(x, zero), x, ctx.negate(x));
    let (n_abs, d_abs) = (magnitude(n), magnitude(d));
    let quotient = ctx.div(n_abs, d_abs);
    let remainder = ctx.sub(n_abs, ctx.times(d_abs, quotient));
    let negative = ctx.not(ctx.eq(ctx.lt(n, zero), ctx.lt(d, zero)));
    let twice = ctx.times(ctx.numeral(2), remainder);
    let odd = ctx.eq(ctx.modulo(quotient, ctx.numeral(2)), ctx.numeral(1));
    let away_if_inexact = match mode {
        Rounding::Down => ctx.false_(),
        Rounding::Up => ctx.true_(),
        Rounding::Floor => negative,
        Rounding::Ceiling => ctx.not(negative),
        Rounding::HalfUp => ctx.gte(twice, d_abs),
        Rounding::HalfDown => ctx.gt(twice, d_abs),
        Rounding::HalfEven => ctx.or(ctx.gt(twice, d_abs), ctx.and(ctx.eq(twice, d_abs), odd)),
    };
    let away = ctx.and(ctx.not(ctx.eq(remainder, zero)), away_if_inexact);
    let stepped = ctx.plus(quotient, ctx.ite(away, ctx.numeral(1), zero));
    ctx.ite(negative, ctx.negate(stepped), stepped)
}

/// True of `r`, the encoded `a * b`: its sign is the product's (zero
/// allowed). Implied by the encoding, but stated as a lemma: it spares
/// the solver's non-linear search the case split a proof about signs
/// (a penalty of a rate times a non-negative amount is not negative)
/// would otherwise need.
pub fn mul_signs(ctx: &Context, a: SExpr, b: SExpr, r: SExpr) -> SExpr {
    let zero = ctx.numeral(0);
    let (a_pos, a_neg) = (ctx.gte(a, zero), ctx.lte(a, zero));
    let (b_pos, b_neg) = (ctx.gte(b, zero), ctx.lte(b, zero));
    let same = ctx.or(ctx.and(a_pos, b_pos), ctx.and(a_neg, b_neg));
    let opposite = ctx.or(ctx.and(a_pos, b_neg), ctx.and(a_neg, b_pos));
    ctx.and(ctx.imp(same, ctx.gte(r, zero)), ctx.imp(opposite, ctx.lte(r, zero)))
}

/// True of `r`, `a` rounded in any mode: it keeps `a`'s sign (or is zero).
pub fn round_signs(ctx: &Context, a: SExpr, r: SExpr) -> SExpr {
    let zero = ctx.numeral(0);
    ctx.and(ctx.imp(ctx.gte(a, zero), ctx.gte(r, zero)), ctx.imp(ctx.lte(a, zero), ctx.lte(r, zero)))
}
