//! Generators shared by the ABI's property tests (`properties.rs`,
//! `json.rs`): types (map keys and any type, nested), values of a type,
//! and the type definitions the named types refer to.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use writ_abi::decimal::SCALE;
use writ_abi::{AbiType, Date, Decimal, TypeDefs, Value};

/// The structs and enums the generated `Named` types refer to.
pub fn defs() -> TypeDefs {
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
    defs.structs.insert(
        "Transfer".into(),
        vec![("to".into(), AbiType::Address), ("amount".into(), AbiType::Decimal)],
    );
    defs.structs.insert(
        "Node".into(),
        vec![
            ("value".into(), AbiType::U8),
            ("next".into(), AbiType::Option(Box::new(AbiType::Named("Node".into())))),
        ],
    );
    defs.structs.insert("Empty".into(), vec![]);
    defs
}

/// Raw values spread over every magnitude, with small ones common so that
/// products often stay in range.
pub fn raw() -> impl Strategy<Value = i128> {
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

/// Types that can be map keys.
pub fn key_type() -> impl Strategy<Value = AbiType> {
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
    leaf.prop_recursive(2, 6, 3, |inner| proptest::collection::vec(inner, 1..4).prop_map(AbiType::Tuple))
}

/// Any type, keys included; options of options and of units are common.
pub fn any_type() -> impl Strategy<Value = AbiType> {
    prop_oneof![key_type(), Just(AbiType::Unit), Just(AbiType::Named("Item".into()))].prop_recursive(
        4,
        16,
        3,
        |inner| {
            prop_oneof![
                inner.clone().prop_map(|t| AbiType::Option(Box::new(t))),
                inner.clone().prop_map(|t| AbiType::List(Box::new(t))),
                (key_type(), inner.clone()).prop_map(|(k, v)| AbiType::Map(Box::new(k), Box::new(v))),
                proptest::collection::vec(inner, 1..4).prop_map(AbiType::Tuple),
            ]
        },
    )
}

pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-c\u{0}é\"\\\\\n]{0,4}".prop_map(|s| s)]
}

pub fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![Just(0u8), Just(1u8), Just(0xFFu8), any::<u8>()], 0..5)
}

/// A value of the given type.
pub fn value_of(ty: AbiType) -> BoxedStrategy<Value> {
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

pub fn typed_value() -> impl Strategy<Value = (AbiType, Value)> {
    any_type().prop_flat_map(|t| value_of(t.clone()).prop_map(move |v| (t.clone(), v)))
}
