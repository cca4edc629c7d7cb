//! `Decimal`: signed fixed point with 18 fractional digits in an `i128`,
//! the language's type for money, rates and quantities.
//!
//! Invariant: every operation is exact or rounds explicitly. `+` and `-`
//! are exact; `*` and `/` compute the exact result with a 256-bit
//! intermediate and round it to 18 digits half to even; anything out of
//! range is an error, never a wrap. This is the reference semantics the
//! generated WebAssembly must match bit for bit.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use ethnum::I256;

/// Number of fractional digits.
pub const DECIMAL_PLACES: u32 = 18;
/// 10^18: the raw value of 1.
pub const SCALE: i128 = 1_000_000_000_000_000_000;

/// Why an arithmetic operation has no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ArithError {
    #[error("the result is out of range")]
    Overflow,
    #[error("division by zero")]
    DivisionByZero,
}

/// How to drop digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Rounding {
    /// Toward zero.
    Down,
    /// Away from zero.
    Up,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceiling,
    /// To nearest; ties away from zero.
    HalfUp,
    /// To nearest; ties toward zero.
    HalfDown,
    /// To nearest; ties to the even neighbour.
    HalfEven,
}

impl Rounding {
    pub const ALL: [Rounding; 7] = [
        Rounding::Down,
        Rounding::Up,
        Rounding::Floor,
        Rounding::Ceiling,
        Rounding::HalfUp,
        Rounding::HalfDown,
        Rounding::HalfEven,
    ];
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Decimal(i128);

impl Decimal {
    pub const ZERO: Decimal = Decimal(0);
    pub const ONE: Decimal = Decimal(SCALE);
    pub const MAX: Decimal = Decimal(i128::MAX);
    pub const MIN: Decimal = Decimal(i128::MIN);

    /// The value `raw / 10^18`.
    pub const fn from_raw(raw: i128) -> Decimal {
        Decimal(raw)
    }

    /// The underlying count of 10^-18 units.
    pub const fn raw(self) -> i128 {
        self.0
    }

    /// A whole number as a Decimal.
    pub fn from_int(n: i128) -> Result<Decimal, ArithError> {
        n.checked_mul(SCALE).map(Decimal).ok_or(ArithError::Overflow)
    }

    /// The value as a whole number, if it is one.
    pub fn to_int_exact(self) -> Option<i128> {
        (self.0 % SCALE == 0).then_some(self.0 / SCALE)
    }

    pub fn checked_add(self, other: Decimal) -> Result<Decimal, ArithError> {
        self.0.checked_add(other.0).map(Decimal).ok_or(ArithError::Overflow)
    }

    pub fn checked_sub(self, other: Decimal) -> Result<Decimal, ArithError> {
        self.0.checked_sub(other.0).map(Decimal).ok_or(ArithError::Overflow)
    }

    /// The exact product rounded to 18 places, half to even.
    pub fn checked_mul(self, other: Decimal) -> Result<Decimal, ArithError> {
        // The exact 256-bit product divided by 10^18, which fits 64 bits:
        // limb by limb, with no general 256-bit division.
        let negative = (self.0 < 0) != (other.0 < 0);
        let product = mul_wide(self.0.unsigned_abs(), other.0.unsigned_abs());
        round_div_u64(negative, product, SCALE as u64, Rounding::HalfEven).map(Decimal)
    }

    /// The exact quotient rounded to 18 places, half to even.
    pub fn checked_div(self, other: Decimal) -> Result<Decimal, ArithError> {
        if other.0 == 0 {
            return Err(ArithError::DivisionByZero);
        }
        if let Ok(divisor) = u64::try_from(other.0.unsigned_abs()) {
            // Divisors below about 18.4 (rates, shares) take the fast path.
            let negative = (self.0 < 0) != (other.0 < 0);
            let numerator = mul_wide(self.0.unsigned_abs(), SCALE as u128);
            return round_div_u64(negative, numerator, divisor, Rounding::HalfEven).map(Decimal);
        }
        let numerator = I256::from(self.0) * I256::from(SCALE);
        narrow(round_div(numerator, I256::from(other.0), Rounding::HalfEven))
    }

    /// Rounds to `places` fractional digits (18 or more changes nothing).
    pub fn round(self, places: u32, mode: Rounding) -> Result<Decimal, ArithError> {
        if places >= DECIMAL_PLACES {
            return Ok(self);
        }
        let unit = 10u64.pow(DECIMAL_PLACES - places);
        let magnitude = self.0.unsigned_abs();
        let units =
            round_div_u64(self.0 < 0, [magnitude as u64, (magnitude >> 64) as u64, 0, 0], unit, mode)?;
        units.checked_mul(i128::from(unit)).map(Decimal).ok_or(ArithError::Overflow)
    }

    pub fn trunc(self) -> Decimal {
        Decimal(self.0 - self.0 % SCALE)
    }

    /// Toward negative infinity; fails only below the smallest whole Decimal.
    pub fn floor(self) -> Result<Decimal, ArithError> {
        self.round(0, Rounding::Floor)
    }

    pub fn ceil(self) -> Result<Decimal, ArithError> {
        self.round(0, Rounding::Ceiling)
    }

    pub fn abs(self) -> Result<Decimal, ArithError> {
        self.0.checked_abs().map(Decimal).ok_or(ArithError::Overflow)
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

/// Whether a quotient truncated toward zero, with a nonzero remainder,
/// moves one unit away from zero under `mode`: `twice` compares twice the
/// remainder with the divisor (magnitudes), `odd` says the truncated
/// quotient is odd. The one rule both divisions below follow.
fn rounds_away(mode: Rounding, negative: bool, twice: Ordering, odd: bool) -> bool {
    match mode {
        Rounding::Down => false,
        Rounding::Up => true,
        Rounding::Floor => negative,
        Rounding::Ceiling => !negative,
        Rounding::HalfUp => twice != Ordering::Less,
        Rounding::HalfDown => twice == Ordering::Greater,
        Rounding::HalfEven => twice == Ordering::Greater || (twice == Ordering::Equal && odd),
    }
}

/// `n / d` rounded by `mode`; `d` is never zero here.
fn round_div(n: I256, d: I256, mode: Rounding) -> I256 {
    let quotient = n / d;
    let remainder = n % d;
    if remainder == I256::ZERO {
        return quotient;
    }
    let negative = (n < I256::ZERO) != (d < I256::ZERO);
    let twice = (remainder.abs() * I256::from(2i32)).cmp(&d.abs());
    let away = rounds_away(mode, negative, twice, quotient % I256::from(2i32) != I256::ZERO);
    if !away {
        quotient
    } else if negative {
        quotient - I256::ONE
    } else {
        quotient + I256::ONE
    }
}

/// The full 256-bit product of two magnitudes, as little-endian 64-bit limbs.
fn mul_wide(a: u128, b: u128) -> [u64; 4] {
    let (a0, a1) = (u128::from(a as u64), a >> 64);
    let (b0, b1) = (u128::from(b as u64), b >> 64);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    // Below 3 * 2^64: no overflow.
    let middle = (p00 >> 64) + u128::from(p01 as u64) + u128::from(p10 as u64);
    // The product is below 2^256, so the high half fits 128 bits.
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (middle >> 64);
    [p00 as u64, middle as u64, high as u64, (high >> 64) as u64]
}

/// `±magnitude / d` rounded by `mode`, for a divisor that fits 64 bits:
/// the same result as `round_div`, by long division over 64-bit limbs.
fn round_div_u64(negative: bool, magnitude: [u64; 4], d: u64, mode: Rounding) -> Result<i128, ArithError> {
    if d == 0 {
        return Err(ArithError::DivisionByZero);
    }
    let divisor = u128::from(d);
    let mut quotient = [0u64; 4];
    let mut remainder: u128 = 0;
    for (q, limb) in quotient.iter_mut().zip(magnitude).rev() {
        let current = (remainder << 64) | u128::from(limb);
        *q = (current / divisor) as u64;
        remainder = current % divisor;
    }
    let [q0, q1, q2, q3] = quotient;
    if q2 != 0 || q3 != 0 {
        return Err(ArithError::Overflow);
    }
    let truncated = (u128::from(q1) << 64) | u128::from(q0);
    let away = remainder != 0 && rounds_away(mode, negative, (remainder * 2).cmp(&divisor), q0 & 1 == 1);
    let rounded = if away { truncated.checked_add(1).ok_or(ArithError::Overflow)? } else { truncated };
    if negative {
        // i128::MIN's magnitude is one more than i128::MAX.
        0i128.checked_sub_unsigned(rounded).ok_or(ArithError::Overflow)
    } else {
        i128::try_from(rounded).map_err(|_| ArithError::Overflow)
    }
}

fn narrow(value: I256) -> Result<Decimal, ArithError> {
    i128::try_from(value).map(Decimal).map_err(|_| ArithError::Overflow)
}

/// Shortest form: no trailing fractional zeros, no point for whole numbers
/// (`7480`, `0.03`, `-12.5`).
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let whole = magnitude / SCALE as u128;
        let fraction = magnitude % SCALE as u128;
        if fraction == 0 {
            return write!(f, "{sign}{whole}");
        }
        let digits = format!("{fraction:018}");
        write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({self})")
    }
}

/// Why a text is not a Decimal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseDecimalError {
    #[error("`{0}` is not a decimal number (expected digits with an optional sign and point)")]
    Syntax(String),
    #[error("`{0}` has more than 18 fractional digits")]
    Precision(String),
    #[error("`{0}` is out of the Decimal range")]
    Range(String),
}

impl FromStr for Decimal {
    type Err = ParseDecimalError;

    fn from_str(text: &str) -> Result<Decimal, ParseDecimalError> {
        let syntax = || ParseDecimalError::Syntax(text.to_string());
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !digits_only(whole)
            || !digits_only(fraction)
            || (body.contains('.') && fraction.is_empty())
        {
            return Err(syntax());
        }
        if fraction.len() > DECIMAL_PLACES as usize {
            return Err(ParseDecimalError::Precision(text.to_string()));
        }
        let range = || ParseDecimalError::Range(text.to_string());
        let whole: u128 = whole.parse().map_err(|_| range())?;
        let padded = format!("{fraction:0<18}");
        let fraction: u128 = padded.parse().map_err(|_| syntax())?;
        let magnitude =
            whole.checked_mul(SCALE as u128).and_then(|w| w.checked_add(fraction)).ok_or_else(range)?;
        let raw = if negative {
            // 2^127 is the one magnitude that only fits as a negative.
            if magnitude > i128::MAX as u128 + 1 {
                return Err(range());
            }
            (magnitude as i128).wrapping_neg()
        } else {
            i128::try_from(magnitude).map_err(|_| range())?
        };
        Ok(Decimal(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    // Display is the shortest exact form; parsing reads it back.
    #[test]
    fn display_and_parse() {
        for (text, shown) in [
            ("7480", "7480"),
            ("0.03", "0.03"),
            ("-12.50", "-12.5"),
            ("0.000000000000000001", "0.000000000000000001"),
        ] {
            assert_eq!(d(text).to_string(), shown);
            assert_eq!(d(shown), d(text));
        }
        assert!(matches!("1.0000000000000000001".parse::<Decimal>(), Err(ParseDecimalError::Precision(_))));
        assert!(matches!("1e5".parse::<Decimal>(), Err(ParseDecimalError::Syntax(_))));
        assert!(matches!("1.".parse::<Decimal>(), Err(ParseDecimalError::Syntax(_))));
        assert!(matches!("999999999999999999999".parse::<Decimal>(), Err(ParseDecimalError::Range(_))));
    }

    // Worked examples of every rounding mode on ties and non-ties.
    #[test]
    fn rounding_modes() {
        let cases = [
            (
                "2.5",
                [
                    ("Down", "2"),
                    ("Up", "3"),
                    ("Floor", "2"),
                    ("Ceiling", "3"),
                    ("HalfUp", "3"),
                    ("HalfDown", "2"),
                    ("HalfEven", "2"),
                ],
            ),
            (
                "-2.5",
                [
                    ("Down", "-2"),
                    ("Up", "-3"),
                    ("Floor", "-3"),
                    ("Ceiling", "-2"),
                    ("HalfUp", "-3"),
                    ("HalfDown", "-2"),
                    ("HalfEven", "-2"),
                ],
            ),
            (
                "3.5",
                [
                    ("Down", "3"),
                    ("Up", "4"),
                    ("Floor", "3"),
                    ("Ceiling", "4"),
                    ("HalfUp", "4"),
                    ("HalfDown", "3"),
                    ("HalfEven", "4"),
                ],
            ),
            (
                "1.2",
                [
                    ("Down", "1"),
                    ("Up", "2"),
                    ("Floor", "1"),
                    ("Ceiling", "2"),
                    ("HalfUp", "1"),
                    ("HalfDown", "1"),
                    ("HalfEven", "1"),
                ],
            ),
        ];
        for (value, expected) in cases {
            for (mode, (name, want)) in Rounding::ALL.iter().zip(expected) {
                assert_eq!(format!("{mode:?}"), name);
                assert_eq!(d(value).round(0, *mode), Ok(d(want)), "{value} {name}");
            }
        }
        assert_eq!(d("7480.125").round(2, Rounding::HalfEven), Ok(d("7480.12")));
        assert_eq!(d("7480.135").round(2, Rounding::HalfEven), Ok(d("7480.14")));
    }

    // Products and quotients round half to even at the 18th digit.
    #[test]
    fn mul_div_round_half_even() {
        assert_eq!(d("100000").checked_mul(d("0.1")), Ok(d("10000")));
        assert_eq!(d("1").checked_div(d("3")), Ok(d("0.333333333333333333")));
        assert_eq!(d("2").checked_div(d("3")), Ok(d("0.666666666666666667")));
        assert_eq!(d("0.000000000000000001").checked_mul(d("0.5")), Ok(d("0")));
        assert_eq!(d("0.000000000000000003").checked_mul(d("0.5")), Ok(d("0.000000000000000002")));
        assert_eq!(d("1").checked_div(d("0")), Err(ArithError::DivisionByZero));
        assert_eq!(Decimal::MAX.checked_mul(d("2")), Err(ArithError::Overflow));
        assert_eq!(Decimal::MAX.checked_add(Decimal::from_raw(1)), Err(ArithError::Overflow));
    }
}
