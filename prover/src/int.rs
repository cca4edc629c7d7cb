//! Checked integers as SMT terms.
//!
//! Values are mathematical integers (`Int`) with a range fact per type, not
//! bit-vectors: Writ's integers never wrap, so an operation is its exact
//! result plus the condition under which it aborts instead (out of range:
//! `Overflow`; a zero divisor: `DivisionByZero`; a failed `as`:
//! `Conversion`). This is how the Move Prover and Solidity's SMTChecker
//! encode checked arithmetic, and it keeps queries linear wherever the
//! program is.
//!
//! Division and remainder truncate toward zero, as the VM's do; SMT-LIB's
//! `div` and `mod` are Euclidean, so they are applied to magnitudes only.

use easy_smt::{Context, SExpr, SExprData};
use writ_abi::host::AbortCode;
pub use writ_compiler::types::IntTy as IntType;

/// The arithmetic operators on two integers of one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl Arith {
    pub const ALL: [Arith; 5] = [Arith::Add, Arith::Sub, Arith::Mul, Arith::Div, Arith::Rem];

    pub fn symbol(self) -> &'static str {
        match self {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
            Arith::Div => "/",
            Arith::Rem => "%",
        }
    }
}

/// The comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Compare {
    pub const ALL: [Compare; 6] =
        [Compare::Eq, Compare::Ne, Compare::Lt, Compare::Le, Compare::Gt, Compare::Ge];

    pub fn symbol(self) -> &'static str {
        match self {
            Compare::Eq => "==",
            Compare::Ne => "!=",
            Compare::Lt => "<",
            Compare::Le => "<=",
            Compare::Gt => ">",
            Compare::Ge => ">=",
        }
    }
}

/// An operation's result: its value, meaningful only on the path where no
/// abort condition holds, and the conditions under which it aborts, in the
/// order the VM tests them (the first that holds gives the code).
#[derive(Debug, Clone)]
pub struct Checked {
    pub value: SExpr,
    pub aborts: Vec<(SExpr, AbortCode)>,
}

impl Checked {
    /// Whether the operation aborts at all.
    pub fn aborts_at_all(&self, ctx: &Context) -> SExpr {
        crate::any(ctx, self.aborts.iter().map(|(condition, _)| *condition))
    }
}

/// An integer constant (SMT-LIB writes negatives as `(- n)`).
pub fn constant(ctx: &Context, value: i128) -> SExpr {
    let magnitude = ctx.numeral(value.unsigned_abs());
    if value < 0 { ctx.negate(magnitude) } else { magnitude }
}

/// `min <= term <= max` of `ty`: the fact every value of the type obeys.
pub fn in_range(ctx: &Context, ty: IntType, term: SExpr) -> SExpr {
    let min = match ty.min_magnitude() {
        0 => ctx.numeral(0),
        magnitude => ctx.negate(ctx.numeral(magnitude)),
    };
    ctx.and(ctx.lte(min, term), ctx.lte(term, ctx.numeral(ty.max_value())))
}

/// `a op b` on two values of `ty`.
pub fn arith(ctx: &Context, op: Arith, ty: IntType, a: SExpr, b: SExpr) -> Checked {
    let zero = ctx.numeral(0);
    let (value, by_zero) = match op {
        Arith::Add => (ctx.plus(a, b), None),
        Arith::Sub => (ctx.sub(a, b), None),
        Arith::Mul => (ctx.times(a, b), None),
        Arith::Div => (truncated_div(ctx, a, b), Some(ctx.eq(b, zero))),
        Arith::Rem => (ctx.sub(a, ctx.times(b, truncated_div(ctx, a, b))), Some(ctx.eq(b, zero))),
    };
    let mut aborts = Vec::new();
    if let Some(condition) = by_zero {
        aborts.push((condition, AbortCode::DivisionByZero));
    }
    aborts.push((ctx.not(in_range(ctx, ty, value)), AbortCode::Overflow));
    Checked { value, aborts }
}

/// `-a` on a signed type.
pub fn negate(ctx: &Context, ty: IntType, a: SExpr) -> Checked {
    let value = ctx.negate(a);
    Checked { value, aborts: vec![(ctx.not(in_range(ctx, ty, value)), AbortCode::Overflow)] }
}

/// `a as to`: the same number, or `Conversion` when `to` cannot hold it.
pub fn cast(ctx: &Context, to: IntType, a: SExpr) -> Checked {
    Checked { value: a, aborts: vec![(ctx.not(in_range(ctx, to, a)), AbortCode::Conversion)] }
}

/// `a op b` as a Boolean term.
pub fn compare(ctx: &Context, op: Compare, a: SExpr, b: SExpr) -> SExpr {
    match op {
        Compare::Eq => ctx.eq(a, b),
        Compare::Ne => ctx.not(ctx.eq(a, b)),
        Compare::Lt => ctx.lt(a, b),
        Compare::Le => ctx.lte(a, b),
        Compare::Gt => ctx.gt(a, b),
        Compare::Ge => ctx.gte(a, b),
    }
}

/// Division rounding toward zero, from SMT-LIB's Euclidean `div` applied
/// to magnitudes (the two agree there). Undefined for `b = 0`, which the
/// caller's abort condition covers.
fn truncated_div(ctx: &Context, a: SExpr, b: SExpr) -> SExpr {
    let zero = ctx.numeral(0);
    let magnitude = |x: SExpr| ctx.ite(ctx.gte(x, zero), x, ctx.negate(x));
    let quotient = ctx.div(magnitude(a), magnitude(b));
    let same_sign = ctx.eq(ctx.gte(a, zero), ctx.gt(b, zero));
    ctx.ite(same_sign, quotient, ctx.negate(quotient))
}

/// A model's integer value as decimal text (`-5`, `340282366920938463463374607431768211455`):
/// wide enough for every Writ integer, and what a printed test needs.
pub fn read_numeral(ctx: &Context, value: SExpr) -> Option<String> {
    match ctx.get(value) {
        SExprData::Atom(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(canonical(digits, false))
        }
        SExprData::List([minus, magnitude]) if ctx.get_atom(*minus) == Some("-") => {
            let digits = ctx.get_atom(*magnitude)?;
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| canonical(digits, true))
        }
        _ => None,
    }
}

fn canonical(digits: &str, negative: bool) -> String {
    let trimmed = digits.trim_start_matches('0');
    match (trimmed.is_empty(), negative) {
        (true, _) => "0".to_string(),
        (false, true) => format!("-{trimmed}"),
        (false, false) => trimmed.to_string(),
    }
}
