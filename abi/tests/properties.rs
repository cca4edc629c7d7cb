//! Properties of the shared semantics: Decimal arithmetic and rounding
//! equal an exact big-integer oracle (written differently, from floors),
//! encodings round-trip, key encodings preserve order, and arbitrary bytes
//! decode to an error rather than a panic.

use std::cmp::Ordering;

use num_bigint::BigInt;
use proptest::prelude::*;
use writ_abi::decimal::SCALE;
use writ_abi::{AbiType, ArithError, Date, Decimal, Rounding, TypeDefs, Value};

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

/// Raw values spread over every magnitude, with small ones common so that
/// products often stay in range.
fn raw() -> impl Strategy<Value = i128> {
    prop_oneof![
        any::<i128>(),
        (-(1i128 << 80)..(1i128 << 80)),
        (-SCALE * 1000..SCALE * 1000),
        (-1000i128..1000),
        Just(0i128),
        Just(i128::MAX),
        Just(i128::MIN),
    ]
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

fn defs() -> TypeDefs {
    let mut defs = TypeDefs::default();
    defs.structs.insert("Item".into(), vec![("id".into(), AbiType::U64), ("note".into(), AbiType::String)]);
    defs.enums.insert(
        "State".into(),
        vec![
            ("Open".into(), vec![]),
            ("Held".into(), vec![AbiType::Decimal]),
            ("Closed".into(), vec![AbiType::String, AbiType::I64]),
        ],
    );
    defs
}

/// Types that can be map keys.
fn key_type() -> impl Strategy<Value = AbiType> {
    let leaf = proptest::sample::select(vec![
        AbiType::Bool,
        AbiType::U8,
        AbiType::U32,
        AbiType::U64,
        AbiType::U128,
        AbiType::I64,
        AbiType::I128,
        AbiType::Decimal,
        AbiType::String,
        AbiType::Bytes,
        AbiType::Hash,
        AbiType::Address,
        AbiType::Timestamp,
        AbiType::Date,
        AbiType::Named("State".into()),
    ]);
    leaf.prop_recursive(2, 6, 3, |inner| proptest::collection::vec(inner, 2..4).prop_map(AbiType::Tuple))
}

/// Any type, keys included.
fn any_type() -> impl Strategy<Value = AbiType> {
    prop_oneof![key_type(), Just(AbiType::Unit), Just(AbiType::Named("Item".into()))].prop_recursive(
        3,
        12,
        3,
        |inner| {
            prop_oneof![
                inner.clone().prop_map(|t| AbiType::Option(Box::new(t))),
                inner.clone().prop_map(|t| AbiType::List(Box::new(t))),
                (key_type(), inner.clone()).prop_map(|(k, v)| AbiType::Map(Box::new(k), Box::new(v))),
                proptest::collection::vec(inner, 2..4).prop_map(AbiType::Tuple),
            ]
        },
    )
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-c\u{0}é]{0,4}".prop_map(|s| s)]
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![Just(0u8), Just(1u8), Just(0xFFu8), any::<u8>()], 0..5)
}

/// A value of the given type.
fn value_of(ty: AbiType) -> BoxedStrategy<Value> {
    match ty {
        AbiType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        AbiType::U8 => any::<u8>().prop_map(Value::U8).boxed(),
        AbiType::U32 => any::<u32>().prop_map(Value::U32).boxed(),
        AbiType::U64 => any::<u64>().prop_map(Value::U64).boxed(),
        AbiType::U128 => any::<u128>().prop_map(Value::U128).boxed(),
        AbiType::I64 => any::<i64>().prop_map(Value::I64).boxed(),
        AbiType::I128 => any::<i128>().prop_map(Value::I128).boxed(),
        AbiType::Decimal => raw().prop_map(|r| Value::Decimal(Decimal::from_raw(r))).boxed(),
        AbiType::String => text().prop_map(Value::String).boxed(),
        AbiType::Bytes => bytes().prop_map(Value::Bytes).boxed(),
        AbiType::Hash => any::<[u8; 32]>().prop_map(Value::Hash).boxed(),
        AbiType::Address => any::<[u8; 20]>().prop_map(Value::Address).boxed(),
        AbiType::Timestamp => any::<u64>().prop_map(Value::Timestamp).boxed(),
        AbiType::Date => (-719_162i32..2_932_896)
            .prop_filter_map("in range", Date::from_days)
            .prop_map(Value::Date)
            .boxed(),
        AbiType::Unit => Just(Value::Unit).boxed(),
        AbiType::Option(inner) => {
            proptest::option::of(value_of(*inner)).prop_map(|v| Value::Option(v.map(Box::new))).boxed()
        }
        AbiType::List(inner) => {
            proptest::collection::vec(value_of(*inner), 0..3).prop_map(Value::List).boxed()
        }
        AbiType::Map(k, v) => {
            let (k, v) = (*k, *v);
            let key_ty = k.clone();
            proptest::collection::vec((value_of(k), value_of(v)), 0..3)
                .prop_map(move |entries| {
                    // Keep one entry per key, in key-encoding order.
                    let mut keyed: Vec<(Vec<u8>, (Value, Value))> = entries
                        .into_iter()
                        .filter_map(|(k, v)| {
                            writ_abi::encode_key(&key_ty, &k, &defs()).ok().map(|b| (b, (k, v)))
                        })
                        .collect();
                    keyed.sort_by(|a, b| a.0.cmp(&b.0));
                    keyed.dedup_by(|a, b| a.0 == b.0);
                    Value::Map(keyed.into_iter().map(|(_, e)| e).collect())
                })
                .boxed()
        }
        AbiType::Tuple(parts) => {
            parts.into_iter().map(value_of).collect::<Vec<_>>().prop_map(Value::Tuple).boxed()
        }
        AbiType::Named(name) if name == "Item" => (any::<u64>(), text())
            .prop_map(|(id, note)| Value::Struct(vec![Value::U64(id), Value::String(note)]))
            .boxed(),
        AbiType::Named(_) => prop_oneof![
            Just(Value::Enum { variant: 0, fields: vec![] }),
            raw()
                .prop_map(|r| Value::Enum { variant: 1, fields: vec![Value::Decimal(Decimal::from_raw(r))] }),
            (text(), any::<i64>())
                .prop_map(|(s, n)| Value::Enum { variant: 2, fields: vec![Value::String(s), Value::I64(n)] }),
        ]
        .boxed(),
    }
}

fn typed_value() -> impl Strategy<Value = (AbiType, Value)> {
    any_type().prop_flat_map(|t| value_of(t.clone()).prop_map(move |v| (t.clone(), v)))
}

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
