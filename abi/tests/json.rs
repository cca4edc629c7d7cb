//! The JSON form of values: exact output for every type, exact refusals
//! (where and what), round trips of generated values of generated types,
//! and no panic on arbitrary or corrupted JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{any_type, defs, typed_value};
use proptest::prelude::*;
use serde_json::{Value as Json, json};
use writ_abi::{AbiType, Date, Decimal, Value, from_json, to_json};

fn ty(text: &str) -> AbiType {
    text.parse().unwrap()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn some(v: Value) -> Value {
    Value::Option(Some(Box::new(v)))
}

/// `value` is written exactly as `expected` and read back from it.
fn check(type_text: &str, value: Value, expected: Json) {
    let t = ty(type_text);
    assert_eq!(to_json(&value, &t, &defs()), Ok(expected.clone()), "to_json for {type_text}");
    assert_eq!(from_json(&expected, &t, &defs()), Ok(value), "from_json for {type_text}");
}

fn refused(type_text: &str, input: Json) -> String {
    match from_json(&input, &ty(type_text), &defs()) {
        Ok(value) => panic!("{input} was accepted as {type_text}: {value:?}"),
        Err(e) => e.to_string(),
    }
}

// ------------------------------------------------------------ exact forms

#[test]
fn scalars() {
    check("bool", Value::Bool(true), json!(true));
    check("bool", Value::Bool(false), json!(false));
    check("u8", Value::U8(255), json!(255));
    check("u32", Value::U32(4_294_967_295), json!(4_294_967_295u32));
    check("u64", Value::U64(u64::MAX), json!("18446744073709551615"));
    check("u64", Value::U64(0), json!("0"));
    check("u128", Value::U128(u128::MAX), json!("340282366920938463463374607431768211455"));
    check("i64", Value::I64(-5), json!("-5"));
    check("i64", Value::I64(i64::MIN), json!("-9223372036854775808"));
    check("i128", Value::I128(i128::MIN), json!("-170141183460469231731687303715884105728"));
    check("i128", Value::I128(i128::MAX), json!("170141183460469231731687303715884105727"));
    check("Timestamp", Value::Timestamp(1_700_000_000), json!("1700000000"));
    check("Decimal", Value::Decimal(dec("12.5")), json!("12.5"));
    check("Decimal", Value::Decimal(dec("-0.000000000000000001")), json!("-0.000000000000000001"));
    check("Decimal", Value::Decimal(dec("7480")), json!("7480"));
    check("Decimal", Value::Decimal(Decimal::MIN), json!("-170141183460469231731.687303715884105728"));
    check("Date", Value::Date(Date::from_ymd(2024, 2, 29).unwrap()), json!("2024-02-29"));
    check("Date", Value::Date(Date::from_ymd(1, 1, 1).unwrap()), json!("0001-01-01"));
    check("String", Value::String("a \"b\"\n é".into()), json!("a \"b\"\n é"));
    check("Bytes", Value::Bytes(vec![]), json!("0x"));
    check("Bytes", Value::Bytes(vec![0, 0xAB, 0x10]), json!("0x00ab10"));
    check("Hash", Value::Hash([0xEE; 32]), json!(format!("0x{}", "ee".repeat(32))));
    check("Address", Value::Address([1; 20]), json!(format!("0x{}", "01".repeat(20))));
    check("()", Value::Unit, json!(null));
}

#[test]
fn lenient_spellings_read_as_the_canonical_value() {
    let read = |t: &str, j: Json| from_json(&j, &ty(t), &defs()).unwrap();
    assert_eq!(read("Decimal", json!("12.50")), Value::Decimal(dec("12.5")));
    assert_eq!(read("Decimal", json!("-0")), Value::Decimal(Decimal::ZERO));
    assert_eq!(read("u64", json!("007")), Value::U64(7));
    assert_eq!(read("i64", json!("-0")), Value::I64(0));
    assert_eq!(read("Address", json!(format!("0x{}", "AB".repeat(20)))), Value::Address([0xAB; 20]));
    assert_eq!(read("Bytes", json!("0xaBcD")), Value::Bytes(vec![0xAB, 0xCD]));
    assert_eq!(read("i128", json!("-170141183460469231731687303715884105728")), Value::I128(i128::MIN));
    assert_eq!(
        read("Decimal", json!("170141183460469231731.687303715884105727")),
        Value::Decimal(Decimal::MAX)
    );
}

#[test]
fn options() {
    check("Option<u64>", Value::Option(None), json!(null));
    check("Option<u64>", some(Value::U64(5)), json!("5"));
    check(
        "Option<Item>",
        some(Value::Struct(vec![Value::U64(1), Value::String("x".into())])),
        json!({"id": "1", "note": "x"}),
    );
    // An option of something that may itself be null wraps `Some`.
    check("Option<Option<u64>>", Value::Option(None), json!(null));
    check("Option<Option<u64>>", some(Value::Option(None)), json!({"some": null}));
    check("Option<Option<u64>>", some(some(Value::U64(5))), json!({"some": "5"}));
    check("Option<()>", Value::Option(None), json!(null));
    check("Option<()>", some(Value::Unit), json!({"some": null}));
    check("Option<Option<Option<u8>>>", some(some(Value::Option(None))), json!({"some": {"some": null}}));
    check("Option<Option<Option<u8>>>", some(some(some(Value::U8(1)))), json!({"some": {"some": 1}}));
    check("List<Option<u8>>", Value::List(vec![Value::Option(None), some(Value::U8(3))]), json!([null, 3]));
}

#[test]
fn lists_tuples_maps() {
    check("List<u8>", Value::List(vec![]), json!([]));
    check("List<u64>", Value::List(vec![Value::U64(1), Value::U64(2)]), json!(["1", "2"]));
    check("List<List<bool>>", Value::List(vec![Value::List(vec![Value::Bool(true)])]), json!([[true]]));
    check("(u8, String)", Value::Tuple(vec![Value::U8(1), Value::String("a".into())]), json!([1, "a"]));
    check("(Decimal,)", Value::Tuple(vec![Value::Decimal(dec("0.5"))]), json!(["0.5"]));
    check("Map<String, u8>", Value::Map(vec![]), json!([]));
    check(
        "Map<String, u8>",
        Value::Map(vec![
            (Value::String("a".into()), Value::U8(1)),
            (Value::String("ab".into()), Value::U8(2)),
            (Value::String("b".into()), Value::U8(3)),
        ]),
        json!([["a", 1], ["ab", 2], ["b", 3]]),
    );
    check(
        "Map<(Address, u32), List<Decimal>>",
        Value::Map(vec![(
            Value::Tuple(vec![Value::Address([0; 20]), Value::U32(7)]),
            Value::List(vec![Value::Decimal(dec("1.25"))]),
        )]),
        json!([[[format!("0x{}", "00".repeat(20)), 7], ["1.25"]]]),
    );
}

#[test]
fn maps_are_ordered_by_key_not_by_text() {
    let t = ty("Map<i64, u8>");
    // Any order in; the value and the output are in ascending key order.
    let value = from_json(&json!([["3", 1], ["-5", 2], ["10", 3]]), &t, &defs()).unwrap();
    assert_eq!(
        value,
        Value::Map(vec![
            (Value::I64(-5), Value::U8(2)),
            (Value::I64(3), Value::U8(1)),
            (Value::I64(10), Value::U8(3)),
        ])
    );
    assert_eq!(to_json(&value, &t, &defs()), Ok(json!([["-5", 2], ["3", 1], ["10", 3]])));
    assert_eq!(
        writ_abi::decode_value(&t, &writ_abi::encode_value(&t, &value, &defs()).unwrap(), &defs()),
        Ok(value)
    );
    // A value built out of order is still written in order.
    let unordered = Value::Map(vec![(Value::I64(10), Value::U8(3)), (Value::I64(-5), Value::U8(2))]);
    assert_eq!(to_json(&unordered, &t, &defs()), Ok(json!([["-5", 2], ["10", 3]])));
}

#[test]
fn structs_and_enums() {
    check(
        "Item",
        Value::Struct(vec![Value::U64(9), Value::String("n".into())]),
        json!({"id": "9", "note": "n"}),
    );
    check("Empty", Value::Struct(vec![]), json!({}));
    check(
        "Node",
        Value::Struct(vec![Value::U8(1), some(Value::Struct(vec![Value::U8(2), Value::Option(None)]))]),
        json!({"value": 1, "next": {"value": 2, "next": null}}),
    );
    check("State", Value::Enum { variant: 0, fields: vec![] }, json!("Open"));
    check(
        "State",
        Value::Enum { variant: 1, fields: vec![Value::Decimal(dec("2.5"))] },
        json!({"Held": ["2.5"]}),
    );
    check(
        "State",
        Value::Enum { variant: 2, fields: vec![Value::String("done".into()), Value::I64(-1)] },
        json!({"Closed": ["done", "-1"]}),
    );
    check(
        "Map<State, u8>",
        Value::Map(vec![
            (Value::Enum { variant: 0, fields: vec![] }, Value::U8(0)),
            (Value::Enum { variant: 1, fields: vec![Value::Decimal(dec("1"))] }, Value::U8(1)),
        ]),
        json!([["Open", 0], [{"Held": ["1"]}, 1]]),
    );
}

// ------------------------------------------------------------ refusals

#[test]
fn wrong_json_types() {
    assert_eq!(refused("bool", json!("true")), r#"$: expected true or false, found the string "true""#);
    assert_eq!(refused("String", json!(5)), "$: expected a string, found the number 5");
    assert_eq!(refused("()", json!(0)), "$: expected null for (), found the number 0");
    assert_eq!(refused("List<u8>", json!({})), "$: expected an array for List<u8>, found an empty object");
    assert_eq!(
        refused("(u8, bool)", json!([1])),
        "$: expected an array of 2 elements for (u8, bool), found an array of 1 element"
    );
    assert_eq!(
        refused("Map<String, u8>", json!({"a": 1})),
        "$: expected an array of [key, value] pairs for Map<String, u8>, found an object with 1 key"
    );
    assert_eq!(
        refused("Map<String, u8>", json!([["a", 1], ["b", 2, 3]])),
        "$[1]: expected a [key, value] pair, found an array of 3 elements"
    );
    assert_eq!(
        refused("Item", json!([])),
        "$: expected an object for struct Item, found an array of 0 elements"
    );
    assert_eq!(
        refused("State", json!(3)),
        r#"$: expected a variant of enum State, written "Variant" or {"Variant": [fields…]}, found the number 3"#
    );
    assert_eq!(
        refused("Option<Option<u8>>", json!(5)),
        r#"$: expected null or {"some": …} for Option<Option<u8>>, found the number 5"#
    );
    assert_eq!(
        refused("Option<Option<u8>>", json!({"some": 1, "x": 2})),
        r#"$: expected null or {"some": …} for Option<Option<u8>>, found an object with 2 keys"#
    );
    assert_eq!(
        refused("Option<Option<u8>>", json!({"some": "1"})),
        r#"$.some: expected a u8 as a whole number from 0 to 255, found the string "1" (numbers of this type are not quoted)"#
    );
    assert_eq!(refused("Undefined", json!(null)), "$: the type `Undefined` is not defined");
    assert_eq!(refused("Map<List<u8>, u8>", json!([])), "$: `List<u8>` cannot be a map key");
}

#[test]
fn numbers() {
    assert_eq!(refused("u8", json!(256)), "$: the number 256 is out of range for a u8 (0 to 255)");
    assert_eq!(refused("u8", json!(-1)), "$: the number -1 is out of range for a u8 (0 to 255)");
    assert_eq!(
        refused("u32", json!(4_294_967_296u64)),
        "$: the number 4294967296 is out of range for a u32 (0 to 4294967295)"
    );
    assert_eq!(
        refused("u32", json!(1e30)),
        "$: the number 1e+30 is out of range for a u32 (0 to 4294967295)"
    );
    assert_eq!(
        refused("u8", json!(1.5)),
        "$: expected a u8 as a whole number from 0 to 255 (no fraction or exponent), found the number 1.5"
    );
    assert_eq!(
        refused("u8", json!(2.0)),
        "$: expected a u8 as a whole number from 0 to 255 (no fraction or exponent), found the number 2.0"
    );
    assert_eq!(
        refused("u32", json!("7")),
        r#"$: expected a u32 as a whole number from 0 to 4294967295, found the string "7" (numbers of this type are not quoted)"#
    );
    // Wide numbers travel as strings.
    assert_eq!(
        refused("u64", json!(12)),
        r#"$: expected a u64 as a string such as "1000", found the number 12 (numbers of this type are quoted so that no digit is lost)"#
    );
    assert_eq!(
        refused("Decimal", json!(12.5)),
        r#"$: expected a Decimal as a string such as "12.50", found the number 12.5 (numbers of this type are quoted so that no digit is lost)"#
    );
    assert_eq!(
        refused("Timestamp", json!(true)),
        r#"$: expected a Timestamp as a string such as "1700000000", found true"#
    );
    assert_eq!(
        refused("u64", json!("18446744073709551616")),
        r#"$: "18446744073709551616" is out of range for a u64 (0 to 18446744073709551615)"#
    );
    assert_eq!(
        refused("u64", json!("-5")),
        r#"$: "-5" is out of range for a u64 (0 to 18446744073709551615)"#
    );
    assert_eq!(
        refused("i64", json!("9223372036854775808")),
        r#"$: "9223372036854775808" is out of range for an i64 (-9223372036854775808 to 9223372036854775807)"#
    );
    assert_eq!(
        refused("i128", json!(format!("1{}", "0".repeat(60)))),
        r#"$: "1000000000000000000000000000000000000000…" is out of range for an i128 (-170141183460469231731687303715884105728 to 170141183460469231731687303715884105727)"#
    );
    for bad in ["", "-", "+5", " 5", "5 ", "1e3", "0x10", "5.0", "--5"] {
        assert_eq!(
            refused("i64", json!(bad)),
            format!(
                r#"$: expected an i64 as a string of digits such as "-5", found the string {}"#,
                json!(bad)
            )
        );
    }
    assert_eq!(
        refused("Decimal", json!("1e5")),
        r#"$: expected a Decimal as a string such as "12.50" (digits, an optional `-` and `.`), found the string "1e5""#
    );
    assert_eq!(
        refused("Decimal", json!("0.0000000000000000001")),
        r#"$: "0.0000000000000000001" has more than 18 fractional digits, the most a Decimal holds"#
    );
    assert_eq!(
        refused("Decimal", json!("170141183460469231731.687303715884105728")),
        r#"$: "170141183460469231731.687303715884105728" is out of range for a Decimal (-170141183460469231731.687303715884105728 to 170141183460469231731.687303715884105727)"#
    );
}

#[test]
fn hex_and_dates() {
    assert_eq!(
        refused("Hash", json!("0x1234")),
        r#"$: expected a Hash as "0x" followed by 64 hex digits, found 4 hex digits"#
    );
    assert_eq!(
        refused("Address", json!("ab".repeat(20))),
        format!(
            r#"$: expected an Address as "0x" followed by 40 hex digits, found the string "{}""#,
            "ab".repeat(20)
        )
    );
    assert_eq!(
        refused("Address", json!(format!("0x{}zz", "00".repeat(19)))),
        format!(
            r#"$: expected an Address as "0x" followed by 40 hex digits, found the string "0x{}…" ('z' is not a hex digit)"#,
            "00".repeat(19)
        )
    );
    assert_eq!(
        refused("Bytes", json!("0xabc")),
        r#"$: expected Bytes as "0x" followed by an even number of hex digits, found 3 hex digits"#
    );
    assert_eq!(
        refused("Bytes", json!([1, 2])),
        r#"$: expected Bytes as "0x" followed by an even number of hex digits, found an array of 2 elements"#
    );
    assert_eq!(
        refused("Bytes", json!("0X00")),
        r#"$: expected Bytes as "0x" followed by an even number of hex digits, found the string "0X00""#
    );
    assert_eq!(
        refused("Date", json!("2023-02-29")),
        r#"$: "2023-02-29" is not a calendar day from 0001-01-01 to 9999-12-31"#
    );
    assert_eq!(
        refused("Date", json!("0000-01-01")),
        r#"$: "0000-01-01" is not a calendar day from 0001-01-01 to 9999-12-31"#
    );
    for bad in ["2024-1-05", "24-01-05", "2024/01/05", "2024-01-05T00:00", "+024-01-05"] {
        assert_eq!(
            refused("Date", json!(bad)),
            format!(
                r#"$: expected a Date as a string "YYYY-MM-DD" from 0001-01-01 to 9999-12-31, found the string {}"#,
                json!(bad)
            )
        );
    }
}

#[test]
fn structs_enums_and_maps_in_detail() {
    assert_eq!(
        refused("Transfer", json!({"to": format!("0x{}", "00".repeat(20)), "amount": "1", "memo": "x"})),
        r#"$: unknown field "memo" of struct Transfer (its fields are to, amount)"#
    );
    assert_eq!(refused("Empty", json!({"x": 1})), r#"$: unknown field "x" of struct Empty (it has none)"#);
    assert_eq!(
        refused("Transfer", json!({"to": format!("0x{}", "00".repeat(20))})),
        r#"$: missing field "amount" of struct Transfer"#
    );
    assert_eq!(
        refused("List<Transfer>", json!([{"to": format!("0x{}", "00".repeat(20)), "amount": 12.5}])),
        r#"$[0].amount: expected a Decimal as a string such as "12.50", found the number 12.5 (numbers of this type are quoted so that no digit is lost)"#
    );
    assert_eq!(
        refused("State", json!("Shut")),
        r#"$: unknown variant "Shut" of enum State (its variants are Open, Held, Closed)"#
    );
    assert_eq!(
        refused("State", json!({"Shut": []})),
        r#"$: unknown variant "Shut" of enum State (its variants are Open, Held, Closed)"#
    );
    assert_eq!(
        refused("State", json!("Closed")),
        r#"$: variant Closed of enum State has 2 fields (String, i64): write it as {"Closed": […, …]}"#
    );
    assert_eq!(
        refused("State", json!({"Open": []})),
        r#"$: variant Open of enum State has no fields: write it as the string "Open""#
    );
    assert_eq!(
        refused("State", json!({"Open": [], "Held": ["1"]})),
        r#"$: expected a variant of enum State, written "Variant" or {"Variant": [fields…]}, found an object with 2 keys"#
    );
    assert_eq!(
        refused("State", json!({"Held": "1"})),
        r#"$.Held: expected an array of 1 element (Decimal) for the fields of State::Held, found the string "1""#
    );
    assert_eq!(
        refused("State", json!({"Closed": ["x", 5]})),
        r#"$.Closed[1]: expected an i64 as a string such as "-5", found the number 5 (numbers of this type are quoted so that no digit is lost)"#
    );
    assert_eq!(
        refused("Map<String, u8>", json!([["a", 1], ["b", 2], ["a", 3]])),
        "$[2][0]: duplicate map key: entry 0 has the same key"
    );
    // Keys are compared as values, not as text.
    assert_eq!(
        refused("Map<Decimal, u8>", json!([["1.5", 1], ["1.50", 2]])),
        "$[1][0]: duplicate map key: entry 0 has the same key"
    );
    assert_eq!(
        refused("Map<String, List<u8>>", json!([["a", [1, 2, "3"]]])),
        r#"$[0][1][2]: expected a u8 as a whole number from 0 to 255, found the string "3" (numbers of this type are not quoted)"#
    );
    // Field names that are not identifiers are quoted in paths.
    let mut odd = defs();
    odd.structs.insert("Odd".into(), vec![("a b".into(), AbiType::Bool)]);
    assert_eq!(
        from_json(&json!({"a b": 1}), &ty("Odd"), &odd).map_err(|e| e.to_string()),
        Err(r#"$["a b"]: expected true or false, found the number 1"#.to_string())
    );
}

#[test]
fn errors_tell_where_for_a_caller_chosen_root() {
    let err = from_json(
        &json!({"to": format!("0x{}", "00".repeat(20)), "amount": "1.0000000000000000001"}),
        &ty("Transfer"),
        &defs(),
    )
    .unwrap_err();
    assert_eq!(err.path(), "$.amount");
    assert_eq!(
        err.message(),
        r#""1.0000000000000000001" has more than 18 fractional digits, the most a Decimal holds"#
    );
    assert_eq!(
        err.with_root("args[1]").to_string(),
        r#"args[1].amount: "1.0000000000000000001" has more than 18 fractional digits, the most a Decimal holds"#
    );
}

#[test]
fn values_that_do_not_fit_their_type_have_no_json() {
    let fail = |t: &str, v: Value| to_json(&v, &ty(t), &defs()).unwrap_err().to_string();
    assert_eq!(fail("u64", Value::Bool(true)), "$: expected a value of type `u64`, found a bool");
    assert_eq!(
        fail("List<u64>", Value::List(vec![Value::U64(1), Value::I64(2)])),
        "$[1]: expected a value of type `u64`, found an i64"
    );
    assert_eq!(
        fail("Item", Value::Struct(vec![Value::U64(1)])),
        "$: expected a value of type `Item`, found a struct with 1 field"
    );
    assert_eq!(
        fail("State", Value::Enum { variant: 3, fields: vec![] }),
        "$: the enum `State` has no variant 3"
    );
    assert_eq!(
        fail("State", Value::Enum { variant: 1, fields: vec![] }),
        "$: variant Held of enum State has 1 field, found 0"
    );
    assert_eq!(
        fail("Map<u8, u8>", Value::Map(vec![(Value::U8(1), Value::U8(1)), (Value::U8(1), Value::U8(2))])),
        "$[1][0]: duplicate map key: entry 0 has the same key"
    );
    assert_eq!(fail("Nope", Value::Unit), "$: the type `Nope` is not defined");
}

// ------------------------------------------------------------ depth

/// `List<List<…<u8>…>>` with `levels` lists, and JSON `[[…[1]…]]` for it.
fn nested_lists(levels: usize) -> (AbiType, Json, Value) {
    let (mut t, mut j, mut v) = (AbiType::U8, json!(1), Value::U8(1));
    for _ in 0..levels {
        t = AbiType::List(Box::new(t));
        j = Json::Array(vec![j]);
        v = Value::List(vec![v]);
    }
    (t, j, v)
}

#[test]
fn nesting_is_bounded_like_the_encoding() {
    // 64 levels of lists put the innermost number at depth 64: accepted,
    // and encodable.
    let (t, j, v) = nested_lists(64);
    assert_eq!(from_json(&j, &t, &defs()), Ok(v.clone()));
    assert_eq!(to_json(&v, &t, &defs()), Ok(j));
    assert!(writ_abi::encode_value(&t, &v, &defs()).is_ok());
    // One more is refused by both, naming where.
    let (t, j, v) = nested_lists(65);
    let expected = format!("$[0]{}: the value nests deeper than 64 levels", "[0]".repeat(64));
    assert_eq!(from_json(&j, &t, &defs()).map_err(|e| e.to_string()), Err(expected.clone()));
    assert_eq!(to_json(&v, &t, &defs()).map_err(|e| e.to_string()), Err(expected));
    assert!(writ_abi::encode_value(&t, &v, &defs()).is_err());
}

#[test]
fn recursive_types_stop_at_the_depth_limit() {
    // A chain of nodes 1000 long: each node is two levels (struct, option).
    let mut j = json!(null);
    for _ in 0..1000 {
        j = json!({"value": 0, "next": j});
    }
    let err = from_json(&j, &ty("Node"), &defs()).unwrap_err();
    // The node at depth 64 is the last one read; its first field is too deep.
    assert_eq!(err.path(), format!("${}.value", ".next".repeat(32)));
    assert_eq!(err.message(), "the value nests deeper than 64 levels");
}

// ------------------------------------------------------------ properties

/// JSON of every shape, with strings and keys that are near misses of
/// the forms above.
fn any_json() -> impl Strategy<Value = Json> {
    let words = proptest::sample::select(vec![
        "",
        "0",
        "-0",
        "-",
        "12.50",
        "1.",
        "-5",
        "18446744073709551616",
        "1e5",
        "0x",
        "0x00",
        "0xAB",
        "0x0g",
        "0xabc",
        "2024-02-29",
        "2023-02-29",
        "0000-01-01",
        "Open",
        "Held",
        "Closed",
        "some",
        "id",
        "note",
    ]);
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        (0u32..300).prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        words.clone().prop_map(Json::from),
        "[-0-9a-fxA-F.]{0,70}".prop_map(Json::String),
    ];
    // Half of the documents are a bare leaf, which scalar types may accept.
    let nested = leaf.clone().prop_recursive(5, 48, 4, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            proptest::collection::vec((words.clone(), inner), 0..3).prop_map(|entries| Json::Object(
                entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    });
    prop_oneof![leaf, nested]
}

/// Simple types that arbitrary JSON often fits, so that acceptance is
/// exercised as well as refusal.
fn few_types() -> impl Strategy<Value = AbiType> {
    proptest::sample::select(
        [
            "bool",
            "u8",
            "u32",
            "u64",
            "i64",
            "Decimal",
            "Date",
            "Bytes",
            "Hash",
            "String",
            "()",
            "State",
            "Item",
            "Option<u8>",
            "Option<Option<u8>>",
            "Option<()>",
            "List<u32>",
            "List<Option<String>>",
            "(u8, bool)",
            "Map<String, u8>",
            "Map<i64, ()>",
            "Map<State, Option<u8>>",
        ]
        .map(ty)
        .to_vec(),
    )
}

/// Replaces the `n`th node of `json` (in pre-order, modulo the count).
fn replace_nth(json: &mut Json, n: &mut usize, with: &Json) -> bool {
    if *n == 0 {
        *json = with.clone();
        return true;
    }
    *n -= 1;
    match json {
        Json::Array(items) => items.iter_mut().any(|item| replace_nth(item, n, with)),
        Json::Object(map) => map.values_mut().any(|item| replace_nth(item, n, with)),
        _ => false,
    }
}

/// What accepted JSON must satisfy: the value encodes, and its own JSON
/// reads back to it.
fn check_accepted(ty: &AbiType, value: &Value) -> Result<(), TestCaseError> {
    prop_assert!(writ_abi::encode_value(ty, value, &defs()).is_ok(), "{:?} does not encode", value);
    let again = to_json(value, ty, &defs()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&from_json(&again, ty, &defs()), &Ok(value.clone()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    // Every value reads back from its JSON, also after a trip through text.
    #[test]
    fn json_round_trips((ty, value) in typed_value()) {
        let json = to_json(&value, &ty, &defs()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&from_json(&json, &ty, &defs()), &Ok(value.clone()));
        let text = serde_json::to_string(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed: Json = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(from_json(&parsed, &ty, &defs()), Ok(value));
    }

    // Arbitrary JSON is refused or read as a well-formed value; never a panic.
    #[test]
    fn arbitrary_json_never_panics(ty in prop_oneof![3 => few_types(), 1 => any_type()], json in any_json()) {
        if let Ok(value) = from_json(&json, &ty, &defs()) {
            check_accepted(&ty, &value)?;
        }
    }

    // Valid JSON with one part replaced by anything: the same.
    #[test]
    fn corrupted_json_never_panics((ty, value) in typed_value(), at in any::<usize>(), with in any_json()) {
        let mut json = to_json(&value, &ty, &defs()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut n = at % 16;
        replace_nth(&mut json, &mut n, &with);
        match from_json(&json, &ty, &defs()) {
            Ok(value) => check_accepted(&ty, &value)?,
            Err(e) => prop_assert!(e.path().starts_with('$') && !e.message().is_empty()),
        }
    }
}
