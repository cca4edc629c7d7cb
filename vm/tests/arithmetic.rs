//! Arithmetic as compiled code does it, on the VM, against oracles: Decimal
//! `+ - * /`, comparisons and every rounding mode against the reference
//! `Decimal` (itself tested against exact big-integer arithmetic), and
//! `u64`/`i64` operations against Rust's checked operations. Overflow,
//! division by zero and failed conversions must abort with their codes.
#![allow(clippy::indexing_slicing)]

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use writ_abi::host::AbortCode;
use writ_abi::{AbiType, ArithError, Decimal, Rounding, TypeDefs, Value};
use writ_compiler::codegen::build_file;
use writ_compiler::{Analysis, FileId};
use writ_vm::{Abort, Call, CallContext, Contract, MemoryState, Outcome, Vm, VmOptions};

const SOURCE: &str = r#"
contract Arith {
    init() {}
    pub view fn dadd(a: Decimal, b: Decimal) -> Decimal { return a + b; }
    pub view fn dsub(a: Decimal, b: Decimal) -> Decimal { return a - b; }
    pub view fn dmul(a: Decimal, b: Decimal) -> Decimal { return a * b; }
    pub view fn ddiv(a: Decimal, b: Decimal) -> Decimal { return a / b; }
    pub view fn dlt(a: Decimal, b: Decimal) -> bool { return a < b; }
    pub view fn deq(a: Decimal, b: Decimal) -> bool { return a == b; }
    pub view fn dneg(a: Decimal) -> Decimal { return -a; }
    pub view fn dround(a: Decimal, places: u32, mode: u32) -> Decimal {
        return match mode {
            0 => a.round(places, Rounding::Down),
            1 => a.round(places, Rounding::Up),
            2 => a.round(places, Rounding::Floor),
            3 => a.round(places, Rounding::Ceiling),
            4 => a.round(places, Rounding::HalfUp),
            5 => a.round(places, Rounding::HalfDown),
            _ => a.round(places, Rounding::HalfEven),
        };
    }
    pub view fn uadd(a: u64, b: u64) -> u64 { return a + b; }
    pub view fn usub(a: u64, b: u64) -> u64 { return a - b; }
    pub view fn umul(a: u64, b: u64) -> u64 { return a * b; }
    pub view fn udiv(a: u64, b: u64) -> u64 { return a / b; }
    pub view fn urem(a: u64, b: u64) -> u64 { return a % b; }
    pub view fn iadd(a: i64, b: i64) -> i64 { return a + b; }
    pub view fn isub(a: i64, b: i64) -> i64 { return a - b; }
    pub view fn imul(a: i64, b: i64) -> i64 { return a * b; }
    pub view fn idiv(a: i64, b: i64) -> i64 { return a / b; }
    pub view fn ilt(a: i64, b: i64) -> bool { return a < b; }
    pub view fn to_u32(a: u64) -> u32 { return a as u32; }
    pub view fn to_u64(a: i64) -> u64 { return a as u64; }
    pub view fn dec_of(a: i64) -> Decimal { return a as Decimal; }
    pub view fn int_of(a: Decimal) -> i64 { return a as i64; }
}
"#;

fn contract() -> &'static (Vm, Arc<Contract>) {
    static CELL: OnceLock<(Vm, Arc<Contract>)> = OnceLock::new();
    CELL.get_or_init(|| {
        let analysis = Analysis::single("arith.writ", SOURCE);
        let built = build_file(&analysis, FileId(0));
        assert!(built.diagnostics.is_empty(), "{:?}", built.diagnostics);
        let vm = Vm::new(VmOptions::in_memory()).unwrap_or_else(|e| panic!("{e}"));
        let contract = vm.prepare(&built.artifacts[0].wasm).unwrap_or_else(|e| panic!("{e}"));
        (vm, contract)
    })
}

/// Runs a view; the decoded result, or the abort code.
fn run(entry: &str, args: Vec<(AbiType, Value)>, returns: AbiType) -> Result<Value, AbortCode> {
    let (vm, contract) = contract();
    let (types, values): (Vec<_>, Vec<_>) = args.into_iter().unzip();
    let encoded = writ_abi::encode_value(&AbiType::Tuple(types), &Value::Tuple(values), &TypeDefs::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let context = CallContext {
        contract: [9; 20],
        caller: [1; 20],
        signers: vec![],
        block_time: 0,
        block_height: 0,
        gas_limit: 1_000_000,
    };
    let call = Call { entry, args: &encoded, context, state: Arc::new(MemoryState::new()), directory: None };
    let report = vm.call(contract, call).unwrap_or_else(|e| panic!("{e}"));
    match report.outcome {
        Outcome::Success(s) => Ok(writ_abi::decode_value(&returns, &s.result, &TypeDefs::default())
            .unwrap_or_else(|e| panic!("{entry}: {e}"))),
        Outcome::Aborted(Abort::ContractAbort { code, .. }) => Err(code),
        Outcome::Aborted(other) => panic!("{entry}: unexpected {other:?}"),
    }
}

fn d(v: Decimal) -> (AbiType, Value) {
    (AbiType::Decimal, Value::Decimal(v))
}

fn expect_decimal(result: Result<Decimal, ArithError>) -> Result<Value, AbortCode> {
    match result {
        Ok(v) => Ok(Value::Decimal(v)),
        Err(ArithError::Overflow) => Err(AbortCode::Overflow),
        Err(ArithError::DivisionByZero) => Err(AbortCode::DivisionByZero),
    }
}

fn raw() -> impl Strategy<Value = i128> {
    prop_oneof![
        any::<i128>(),
        (-(1i128 << 70)..(1i128 << 70)),
        (-1000i128..1000),
        Just(i128::MAX),
        Just(i128::MIN),
        Just(0)
    ]
}

fn dec() -> impl Strategy<Value = Decimal> {
    raw().prop_map(Decimal::from_raw)
}

/// Exact halves of a unit of some place: `k + 0.5` units of 10^-p.
fn ties() -> impl Strategy<Value = Decimal> {
    (-1_000_000i128..1_000_000, 0u32..18).prop_map(|(k, p)| {
        let unit = 10i128.pow(18 - p);
        Decimal::from_raw(k * unit + unit / 2)
    })
}

/// Decimals as contracts hold them, and the edges of the range.
fn money() -> impl Strategy<Value = Decimal> {
    const UNIT: i128 = 1_000_000_000_000_000_000;
    prop_oneof![
        // Amounts to the cent, up to 10^12 units.
        (-100_000_000_000_000i128..100_000_000_000_000).prop_map(|cents| cents * (UNIT / 100)),
        // Rates and shares with up to 6 places.
        (-10_000_000i128..10_000_000).prop_map(|micros| micros * (UNIT / 1_000_000)),
        // Half a unit of the last place times odd and even raws: ties.
        Just(UNIT / 2),
        (-1_000i128..1_000),
        // Near the square root of the range, where products overflow.
        (-(1i128 << 20)..(1i128 << 20)).prop_map(|k| (1i128 << 94) + k),
        any::<i128>(),
        Just(i128::MAX),
        Just(i128::MIN),
        Just(-UNIT),
    ]
    .prop_map(Decimal::from_raw)
}

fn wide_u64() -> impl Strategy<Value = u64> {
    prop_oneof![any::<u64>(), 0u64..1000, Just(u64::MAX), Just(0)]
}

fn wide_i64() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), -1000i64..1000, Just(i64::MIN), Just(i64::MAX), Just(-1)]
}

fn checked<T>(v: Option<T>, wrap: fn(T) -> Value, failure: AbortCode) -> Result<Value, AbortCode> {
    v.map(wrap).ok_or(failure)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    // Decimal addition and subtraction are emitted as inline 128-bit code.
    #[test]
    fn decimal_add_sub(a in dec(), b in dec()) {
        prop_assert_eq!(run("dadd", vec![d(a), d(b)], AbiType::Decimal), expect_decimal(a.checked_add(b)));
        prop_assert_eq!(run("dsub", vec![d(a), d(b)], AbiType::Decimal), expect_decimal(a.checked_sub(b)));
        prop_assert_eq!(run("dneg", vec![d(a)], AbiType::Decimal), expect_decimal(Decimal::ZERO.checked_sub(a)));
    }

    // Comparisons of 128-bit values, signs and low words included.
    #[test]
    fn decimal_compare(a in dec(), b in dec()) {
        prop_assert_eq!(run("dlt", vec![d(a), d(b)], AbiType::Bool), Ok(Value::Bool(a < b)));
        prop_assert_eq!(run("deq", vec![d(a), d(b)], AbiType::Bool), Ok(Value::Bool(a == b)));
    }

    // Multiplication is generated code (wide arithmetic, a normalised long
    // division by 10^18): checked hard against the reference on amounts of
    // money, rates, values near the range's ends, exact ties (half a unit
    // of the 18th place) and products that just overflow.
    #[test]
    fn decimal_mul_generated(a in money(), b in money()) {
        prop_assert_eq!(run("dmul", vec![d(a), d(b)], AbiType::Decimal), expect_decimal(a.checked_mul(b)));
        prop_assert_eq!(run("dmul", vec![d(b), d(a)], AbiType::Decimal), expect_decimal(b.checked_mul(a)));
    }

    // Rounding is generated code too (a table of units and reciprocals):
    // every mode at every place, on amounts, on exact ties at the place
    // being rounded (half a unit, odd and even), and at the range's ends.
    #[test]
    fn decimal_round_generated(a in prop_oneof![money(), ties()], places in 0u32..20, mode in 0usize..7) {
        let rounding = Rounding::ALL[mode];
        let got = run("dround", vec![d(a), (AbiType::U32, Value::U32(places)), (AbiType::U32, Value::U32(mode as u32))], AbiType::Decimal);
        prop_assert_eq!(got, expect_decimal(a.round(places, rounding)));
    }

    // Division through the host (multiplication and rounding again).
    #[test]
    fn decimal_mul_div_round(a in dec(), b in dec(), places in 0u32..20, mode in 0usize..7) {
        prop_assert_eq!(run("dmul", vec![d(a), d(b)], AbiType::Decimal), expect_decimal(a.checked_mul(b)));
        prop_assert_eq!(run("ddiv", vec![d(a), d(b)], AbiType::Decimal), expect_decimal(a.checked_div(b)));
        let rounding = Rounding::ALL[mode];
        let got = run("dround", vec![d(a), (AbiType::U32, Value::U32(places)), (AbiType::U32, Value::U32(mode as u32))], AbiType::Decimal);
        prop_assert_eq!(got, expect_decimal(a.round(places, rounding)));
    }

    // u64 operations abort exactly where Rust's checked operations fail.
    #[test]
    fn unsigned(a in wide_u64(), b in wide_u64()) {
        let args = || vec![(AbiType::U64, Value::U64(a)), (AbiType::U64, Value::U64(b))];
        prop_assert_eq!(run("uadd", args(), AbiType::U64), checked(a.checked_add(b), Value::U64, AbortCode::Overflow));
        prop_assert_eq!(run("usub", args(), AbiType::U64), checked(a.checked_sub(b), Value::U64, AbortCode::Overflow));
        prop_assert_eq!(run("umul", args(), AbiType::U64), checked(a.checked_mul(b), Value::U64, AbortCode::Overflow));
        prop_assert_eq!(run("udiv", args(), AbiType::U64), checked(a.checked_div(b), Value::U64, AbortCode::DivisionByZero));
        prop_assert_eq!(run("urem", args(), AbiType::U64), checked(a.checked_rem(b), Value::U64, AbortCode::DivisionByZero));
        prop_assert_eq!(run("to_u32", vec![(AbiType::U64, Value::U64(a))], AbiType::U32), checked(u32::try_from(a).ok(), Value::U32, AbortCode::Conversion));
    }

    // i64 operations: overflow both ways, MIN / -1, signed order.
    #[test]
    fn signed(a in wide_i64(), b in wide_i64()) {
        let args = || vec![(AbiType::I64, Value::I64(a)), (AbiType::I64, Value::I64(b))];
        prop_assert_eq!(run("iadd", args(), AbiType::I64), checked(a.checked_add(b), Value::I64, AbortCode::Overflow));
        prop_assert_eq!(run("isub", args(), AbiType::I64), checked(a.checked_sub(b), Value::I64, AbortCode::Overflow));
        prop_assert_eq!(run("imul", args(), AbiType::I64), checked(a.checked_mul(b), Value::I64, AbortCode::Overflow));
        let expected_div = if b == 0 { Err(AbortCode::DivisionByZero) } else { checked(a.checked_div(b), Value::I64, AbortCode::Overflow) };
        prop_assert_eq!(run("idiv", args(), AbiType::I64), expected_div);
        prop_assert_eq!(run("ilt", args(), AbiType::Bool), Ok(Value::Bool(a < b)));
        prop_assert_eq!(run("to_u64", vec![(AbiType::I64, Value::I64(a))], AbiType::U64), checked(u64::try_from(a).ok(), Value::U64, AbortCode::Conversion));
        prop_assert_eq!(run("dec_of", vec![(AbiType::I64, Value::I64(a))], AbiType::Decimal), expect_decimal(Decimal::from_int(i128::from(a))));
    }

    // Decimal to integer: whole values in range convert, others abort.
    #[test]
    fn decimal_to_int(a in prop_oneof![dec(), (-(1i128 << 62)..(1i128 << 62)).prop_map(|n| Decimal::from_int(n).unwrap_or(Decimal::ZERO))]) {
        let expected = a.to_int_exact().and_then(|n| i64::try_from(n).ok());
        prop_assert_eq!(run("int_of", vec![d(a)], AbiType::I64), checked(expected, Value::I64, AbortCode::Conversion));
    }
}
