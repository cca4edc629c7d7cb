//! The workloads in native Rust: the same algorithms as the Writ and
//! Solidity contracts, with the same checks (overflow, insufficient
//! balance), compiled into this binary.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::inputs::{CENT, SCALE};

/// `x = (x * 31 + i) % 1000003` for `i` in `0..n`, every step checked.
/// `None` on overflow, as the contracts abort.
pub fn spin(n: u64) -> Option<u64> {
    let mut x: u64 = 7;
    for i in 0..n {
        x = x.checked_mul(31)?.checked_add(i)? % 1_000_003;
    }
    Some(x)
}

/// A transfer's event: sender, recipient, amount.
pub type Transferred = ([u8; 20], [u8; 20], u64);

/// The token: balances in an ordered map (as Writ's storage), events in a
/// list (as a receipt's).
#[derive(Debug, Default)]
pub struct Token {
    pub balances: BTreeMap<[u8; 20], u64>,
    pub events: Vec<Transferred>,
}

impl Token {
    pub fn fund(&mut self, to: [u8; 20], amount: u64) {
        self.balances.insert(to, amount);
    }

    /// The contracts' `transfer`, step for step.
    pub fn transfer(&mut self, from: [u8; 20], to: [u8; 20], amount: u64) -> Result<(), &'static str> {
        let available = self.balance_of(&from);
        if available < amount {
            return Err("insufficient");
        }
        self.balances.insert(from, available - amount);
        let credited = self.balance_of(&to).checked_add(amount).ok_or("overflow")?;
        self.balances.insert(to, credited);
        self.events.push((from, to, amount));
        Ok(())
    }

    pub fn balance_of(&self, who: &[u8; 20]) -> u64 {
        self.balances.get(who).copied().unwrap_or(0)
    }
}

/// `a * b` for fixed-point numbers scaled by 10^18 (Writ's Decimal
/// semantics): the exact product through a 256-bit intermediate, divided by
/// 10^18 and rounded to nearest, ties to even. `None` when the result does
/// not fit an i128.
pub fn mul_fixed(a: i128, b: i128) -> Option<i128> {
    let negative = (a < 0) != (b < 0);
    let (high, low) = widening_mul(a.unsigned_abs(), b.unsigned_abs());
    // Long division of the 256-bit product by 10^18 (< 2^64), 64 bits at a
    // time.
    let divisor = SCALE as u128;
    let limbs = [(high >> 64) as u64, high as u64, (low >> 64) as u64, low as u64];
    let mut quotient = [0u64; 4];
    let mut remainder: u128 = 0;
    for (q, limb) in quotient.iter_mut().zip(limbs) {
        let current = (remainder << 64) | u128::from(limb);
        *q = (current / divisor) as u64;
        remainder = current % divisor;
    }
    if quotient[0] != 0 || quotient[1] != 0 {
        return None;
    }
    let mut magnitude = (u128::from(quotient[2]) << 64) | u128::from(quotient[3]);
    if 2 * remainder > divisor || (2 * remainder == divisor && magnitude % 2 == 1) {
        magnitude = magnitude.checked_add(1)?;
    }
    if negative { 0i128.checked_sub_unsigned(magnitude) } else { i128::try_from(magnitude).ok() }
}

/// The full 256-bit product of two u128, as (high, low) halves.
fn widening_mul(a: u128, b: u128) -> (u128, u128) {
    let mask = u128::from(u64::MAX);
    let (a1, a0) = (a >> 64, a & mask);
    let (b1, b0) = (b >> 64, b & mask);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    // The middle column: the high half of p00 plus the low halves of the
    // cross products (at most three 64-bit values: no u128 overflow).
    let middle = (p00 >> 64) + (p01 & mask) + (p10 & mask);
    let low = (middle << 64) | (p00 & mask);
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (middle >> 64);
    (high, low)
}

/// `x` rounded to a whole number of cents, ties to the even cent.
pub fn round_cents(x: i128) -> i128 {
    let (cents, rest) = (x / CENT, (x % CENT).abs());
    let away = rest > CENT / 2 || (rest == CENT / 2 && cents % 2 != 0);
    let rounded = if away { cents + x.signum() } else { cents };
    rounded * CENT
}

const UPPERS: [i128; 6] =
    [36_000 * SCALE, 144_000 * SCALE, 300_000 * SCALE, 420_000 * SCALE, 660_000 * SCALE, 960_000 * SCALE];
const RATES: [i128; 6] = [3 * CENT, 10 * CENT, 20 * CENT, 25 * CENT, 30 * CENT, 35 * CENT];
const TOP_RATE: i128 = 45 * CENT;

/// The income tax of `tax.writ`, in i128 scaled by 10^18: each slice taxed
/// at its bracket's rate, every step checked, the sum rounded to the cent.
pub fn income_tax(income: i128) -> Option<i128> {
    let mut due: i128 = 0;
    let mut lower: i128 = 0;
    for (upper, rate) in UPPERS.into_iter().zip(RATES) {
        if income > lower {
            due = due.checked_add(mul_fixed(income.min(upper).checked_sub(lower)?, rate)?)?;
        }
        lower = upper;
    }
    if income > lower {
        due = due.checked_add(mul_fixed(income.checked_sub(lower)?, TOP_RATE)?)?;
    }
    Some(round_cents(due))
}

/// The same income tax on the reference Decimal (`writ_abi::Decimal`,
/// whose multiplication divides a 256-bit product with `ethnum`): the
/// arithmetic the VM's Decimal host functions run. Not a baseline of the
/// table; it shows how much of Writ's time is that arithmetic.
pub fn income_tax_reference(income: writ_abi::Decimal) -> Option<writ_abi::Decimal> {
    use writ_abi::{Decimal, Rounding};
    let mut due = Decimal::ZERO;
    let mut lower = Decimal::ZERO;
    for (upper, rate) in UPPERS.into_iter().zip(RATES) {
        let upper = Decimal::from_raw(upper);
        if income > lower {
            let slice = income.min(upper).checked_sub(lower).ok()?;
            due = due.checked_add(slice.checked_mul(Decimal::from_raw(rate)).ok()?).ok()?;
        }
        lower = upper;
    }
    if income > lower {
        let slice = income.checked_sub(lower).ok()?;
        due = due.checked_add(slice.checked_mul(Decimal::from_raw(TOP_RATE)).ok()?).ok()?;
    }
    due.round(2, Rounding::HalfEven).ok()
}

/// The digest of `record`, computed `n` times; the last one (all zero for
/// `n` = 0), as the contracts' `hash_many`.
pub fn hash_many(record: &[u8], n: u64) -> [u8; 32] {
    let mut digest = [0u8; 32];
    for _ in 0..n {
        digest = Sha256::digest(std::hint::black_box(record)).into();
    }
    digest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_multiplication_matches_the_reference_decimal() {
        use writ_abi::Decimal;
        let samples = [
            0,
            1,
            -1,
            5,
            SCALE / 2,
            SCALE,
            -SCALE,
            3 * CENT,
            123_456_789_012_345_678_901,
            i128::MAX / SCALE * SCALE,
            i128::MIN + 1,
        ];
        for a in samples {
            for b in samples {
                let reference = Decimal::from_raw(a).checked_mul(Decimal::from_raw(b)).ok().map(Decimal::raw);
                assert_eq!(mul_fixed(a, b), reference, "{a} * {b}");
            }
        }
    }

    #[test]
    fn cents_round_half_to_even() {
        let half = CENT / 2;
        assert_eq!(round_cents(half), 0);
        assert_eq!(round_cents(CENT + half), 2 * CENT);
        assert_eq!(round_cents(-(CENT + half)), -2 * CENT);
        assert_eq!(round_cents(half + 1), CENT);
        assert_eq!(round_cents(-half - 1), -CENT);
    }

    #[test]
    fn tax_of_the_bracket_bounds() {
        assert_eq!(income_tax(36_000 * SCALE), Some(1_080 * SCALE));
        assert_eq!(income_tax(144_000 * SCALE), Some(11_880 * SCALE));
        assert_eq!(income_tax(0), Some(0));
        // 0.50 at 3 % is 0.015: a tie, to the even cent 0.02.
        assert_eq!(income_tax(50 * CENT), Some(2 * CENT));
    }
}
