//! Properties of the shared semantics: Decimal arithmetic and rounding
//! equal an exact big-integer oracle (written differently, from floors),
//! encodings round-trip, key encodings preserve order, and arbitrary bytes
//! decode to an error rather than a panic.

use std::cmp::Ordering;

use num_bigint::BigInt;
mod common;

use common::{any_type, defs, key_type, raw, typed_value, value_of};
use proptest::prelude::*;
use writ_abi::decimal::SCALE;
use writ_abi::{AbiType, ArithError, Decimal, Rounding, Value};

// ------------------------------------------------------------ the oracle

fn big(n: i128) -> BigInt {
    BigInt::from(n)
}

/// Floor division for a positive divisor.
fn floor_div(n: &BigInt, d: &BigInt) -> BigInt {
    let q = n / d;
    if (n % d) != BigInt::from(0) && (n < &BigInt::from(0)) { q - BigInt::from(1) } else { q }
}

/// `n / d` rounded by `mode`, reasoning from the floor and the fraction.
fn oracle_round(n: BigInt, d: BigInt, mode: Rounding) -> BigInt {
    let (n, d) = if d < BigInt::from(0) { (-n, -d) } else { (n, d) };
    let lower = floor_div(&n, &d);
    let fraction = &n - &lower * &d;
    if fraction == BigInt::from(0) {
        return lower;
    }
    let upper = &lower + BigInt::from(1);
    let positive = n > BigInt::from(0);
    let half = (&fraction * BigInt::from(2)).cmp(&d);
    let pick_upper = match mode {
        Rounding::Floor => false,
        Rounding::Ceiling => true,
        Rounding::Down => !positive,
        Rounding::Up => positive,
        Rounding::HalfUp => half == Ordering::Greater || (half == Ordering::Equal && positive),
        Rounding::HalfDown => half == Ordering::Greater || (half == Ordering::Equal && !positive),
        Rounding::HalfEven => {
            half == Ordering::Greater
                || (half == Ordering::Equal && (&lower % BigInt::from(2)) != BigInt::from(0))
        }
    };
    if pick_upper { upper } else { lower }
}

fn oracle_result(exact: BigInt) -> Result<Decimal, ArithError> {
    i128::try_from(exact).map(Decimal::from_raw).map_err(|_| ArithError::Overflow)
}

/// Operand pairs whose exact product lies exactly halfway between two
/// representable Decimals (`5·10^j·s × m·10^(17-j)` with odd `m`), or
/// nearly so, where rounding modes disagree.
fn mul_ties() -> impl Strategy<Value = (i128, i128)> {
    (0u32..18, -1_000_000i128..1_000_000, -1_000_000i128..1_000_000, -1i128..=1).prop_map(
        |(j, s, m, nudge)| {
            let a = 5 * 10i128.pow(j) * if s == 0 { 1 } else { s };
            let b = (2 * m + 1) * 10i128.pow(17 - j) + nudge;
            (a, b)
        },
    )
}

/// Pairs whose exact quotient ends in exactly half a unit (or nearly).
fn div_ties() -> impl Strategy<Value = (i128, i128)> {
    (
        -1_000_000_000i128..1_000_000_000,
        prop_oneof![Just(2i128), Just(-2), Just(20), Just(200_000)],
        -1i128..=1,
    )
        .prop_map(|(n, d, nudge)| (n, d * SCALE + nudge))
}

fn mode() -> impl Strategy<Value = Rounding> {
    proptest::sample::select(Rounding::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

    // Addition and subtraction are exact or overflow.
    #[test]
    fn add_sub_exact(a in raw(), b in raw()) {
        let (x, y) = (Decimal::from_raw(a), Decimal::from_raw(b));
        prop_assert_eq!(x.checked_add(y), oracle_result(big(a) + big(b)));
        prop_assert_eq!(x.checked_sub(y), oracle_result(big(a) - big(b)));
    }

    // Products round half to even at the 18th digit.
    #[test]
    fn mul_matches_oracle((a, b) in prop_oneof![(raw(), raw()), mul_ties()]) {
        let expected = oracle_result(oracle_round(big(a) * big(b), big(SCALE), Rounding::HalfEven));
        prop_assert_eq!(Decimal::from_raw(a).checked_mul(Decimal::from_raw(b)), expected);
    }

    // Quotients round half to even; zero divisors are an error.
    #[test]
    fn div_matches_oracle((a, b) in prop_oneof![(raw(), raw()), div_ties()]) {
        let got = Decimal::from_raw(a).checked_div(Decimal::from_raw(b));
        if b == 0 {
            prop_assert_eq!(got, Err(ArithError::DivisionByZero));
        } else {
            let expected = oracle_result(oracle_round(big(a) * big(SCALE), big(b), Rounding::HalfEven));
            prop_assert_eq!(got, expected);
        }
    }

    // Rounding to any number of places in any mode.
    #[test]
    fn round_matches_oracle(a in raw(), places in 0u32..20, mode in mode()) {
        let got = Decimal::from_raw(a).round(places, mode);
        let expected = if places >= 18 {
            Ok(Decimal::from_raw(a))
        } else {
            let unit = big(10i128.pow(18 - places));
            oracle_result(oracle_round(big(a), unit.clone(), mode) * unit)
        };
        prop_assert_eq!(got, expected);
    }

    // Text is exact: printing then parsing gives the same value.
    #[test]
    fn display_parse_round_trip(a in raw()) {
        let d = Decimal::from_raw(a);
        prop_assert_eq!(d.to_string().parse::<Decimal>(), Ok(d));
    }
}

// ------------------------------------------------------------ encoding

fn key_pair() -> impl Strategy<Value = (AbiType, Value, Value)> {
    key_type().prop_flat_map(|t| {
        (value_of(t.clone()), value_of(t.clone())).prop_map(move |(a, b)| (t.clone(), a, b))
    })
}

/// The language's natural order on keys, written independently of bytes.
fn natural(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::U8(x), Value::U8(y)) => x.cmp(y),
        (Value::U32(x), Value::U32(y)) => x.cmp(y),
        (Value::U64(x), Value::U64(y)) | (Value::Timestamp(x), Value::Timestamp(y)) => x.cmp(y),
        (Value::U128(x), Value::U128(y)) => x.cmp(y),
        (Value::I64(x), Value::I64(y)) => x.cmp(y),
        (Value::I128(x), Value::I128(y)) => x.cmp(y),
        (Value::Decimal(x), Value::Decimal(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Bytes(x), Value::Bytes(y)) => x.cmp(y),
        (Value::Hash(x), Value::Hash(y)) => x.cmp(y),
        (Value::Address(x), Value::Address(y)) => x.cmp(y),
        (Value::Tuple(x), Value::Tuple(y)) => {
            x.iter().zip(y).map(|(p, q)| natural(p, q)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
        }
        (Value::Enum { variant: v, fields: f }, Value::Enum { variant: w, fields: g }) => {
            v.cmp(w).then_with(|| {
                f.iter().zip(g).map(|(p, q)| natural(p, q)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
            })
        }
        _ => panic!("values of different types: {a:?} {b:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    // Every value decodes back to itself from its value encoding.
    #[test]
    fn value_encoding_round_trips((ty, value) in typed_value()) {
        let bytes = writ_abi::encode_value(&ty, &value, &defs()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(writ_abi::decode_value(&ty, &bytes, &defs()), Ok(value));
    }

    // Key encodings round-trip and sort exactly like the values.
    #[test]
    fn key_encoding_preserves_order((ty, a, b) in key_pair()) {
        let ea = writ_abi::encode_key(&ty, &a, &defs()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let eb = writ_abi::encode_key(&ty, &b, &defs()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(ea.cmp(&eb), natural(&a, &b), "{:?} vs {:?}", a, b);
        prop_assert_eq!(writ_abi::decode_key(&ty, &ea, &defs()), Ok(a));
    }

    // Arbitrary bytes decode to an error or a value whose encoding is
    // exactly those bytes (one value, one encoding).
    #[test]
    fn arbitrary_bytes_decode_canonically(ty in any_type(), bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(value) = writ_abi::decode_value(&ty, &bytes, &defs()) {
            prop_assert_eq!(writ_abi::encode_value(&ty, &value, &defs()), Ok(bytes));
        }
    }

    // Types print in Writ's spelling and parse back.
    #[test]
    fn type_text_round_trips(ty in any_type()) {
        prop_assert_eq!(ty.to_string().parse::<AbiType>(), Ok(ty));
    }
}
