//! The encoding against the VM: for every integer type, every arithmetic
//! operator, negation, every comparison and every conversion, and for
//! `Decimal` `+ - * /`, negation, `round` in every mode and to every number
//! of places, `trunc`, `floor`, `ceil`, `abs` and the conversions to and
//! from integers, the solver's value of the encoded term and the first
//! abort condition it finds true must equal what the compiled code returns
//! or aborts with. One Z3 process serves every case (a scope per case).
//!
//! Needs Z3 on `PATH` (Debian's `z3`, installed by `.ci/run`). Without it
//! the tests say so and pass, except under CI (`CI` set), where a missing
//! solver fails them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

mod common;

use proptest::prelude::*;
use writ_abi::host::AbortCode;
use writ_abi::{AbiType, Decimal, Rounding, TypeDefs, Value};
use writ_compiler::codegen::build_file;
use writ_compiler::{Analysis, FileId};
use writ_prover::Solver;
use writ_prover::decimal;
use writ_prover::int::{self, Arith, Compare, IntType};
use writ_prover::solver::Answer;
use writ_vm::{Abort, Call, CallContext, Contract, MemoryState, Outcome, Vm, VmOptions};

fn arith_name(op: Arith) -> &'static str {
    match op {
        Arith::Add => "add",
        Arith::Sub => "sub",
        Arith::Mul => "mul",
        Arith::Div => "div",
        Arith::Rem => "rem",
    }
}

/// One view per operation and type, so each case is one call.
fn source() -> String {
    let mut out = String::from("contract Ints {\n    init() {}\n");
    for ty in IntType::ALL {
        let t = ty.name();
        for op in Arith::ALL {
            let (name, symbol) = (arith_name(op), op.symbol());
            let _ =
                writeln!(out, "    pub view fn {name}_{t}(a: {t}, b: {t}) -> {t} {{ return a {symbol} b; }}");
        }
        if ty.signed() {
            let _ = writeln!(out, "    pub view fn neg_{t}(a: {t}) -> {t} {{ return -a; }}");
        }
        for (k, op) in Compare::ALL.iter().enumerate() {
            let symbol = op.symbol();
            let _ = writeln!(
                out,
                "    pub view fn cmp{k}_{t}(a: {t}, b: {t}) -> bool {{ return a {symbol} b; }}"
            );
        }
        for to in IntType::ALL.into_iter().filter(|to| *to != ty) {
            let u = to.name();
            let _ = writeln!(out, "    pub view fn as_{t}_{u}(a: {t}) -> {u} {{ return a as {u}; }}");
        }
    }
    out.push_str(DECIMAL_VIEWS);
    for ty in IntType::ALL {
        let t = ty.name();
        let _ = writeln!(out, "    pub view fn dec_of_{t}(a: {t}) -> Decimal {{ return a as Decimal; }}");
        let _ = writeln!(out, "    pub view fn {t}_of_dec(a: Decimal) -> {t} {{ return a as {t}; }}");
    }
    out.push_str("}\n");
    out
}

const DECIMAL_VIEWS: &str = r#"
    pub view fn dadd(a: Decimal, b: Decimal) -> Decimal { return a + b; }
    pub view fn dsub(a: Decimal, b: Decimal) -> Decimal { return a - b; }
    pub view fn dmul(a: Decimal, b: Decimal) -> Decimal { return a * b; }
    pub view fn ddiv(a: Decimal, b: Decimal) -> Decimal { return a / b; }
    pub view fn dneg(a: Decimal) -> Decimal { return -a; }
    pub view fn dtrunc(a: Decimal) -> Decimal { return a.trunc(); }
    pub view fn dfloor(a: Decimal) -> Decimal { return a.floor(); }
    pub view fn dceil(a: Decimal) -> Decimal { return a.ceil(); }
    pub view fn dabs(a: Decimal) -> Decimal { return a.abs(); }
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
"#;

fn contract() -> &'static (Vm, Arc<Contract>) {
    static CELL: OnceLock<(Vm, Arc<Contract>)> = OnceLock::new();
    CELL.get_or_init(|| {
        let analysis = Analysis::single("ints.writ", &source());
        let built = build_file(&analysis, FileId(0));
        assert!(built.diagnostics.is_empty(), "{:?}", built.diagnostics);
        let vm = Vm::new(VmOptions::in_memory()).unwrap();
        let contract = vm.prepare(&built.artifacts[0].wasm).unwrap();
        (vm, contract)
    })
}

/// A value of some integer type, as wide as any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Int {
    Unsigned(u128),
    Signed(i128),
}

impl Int {
    fn text(self) -> String {
        match self {
            Int::Unsigned(v) => v.to_string(),
            Int::Signed(v) => v.to_string(),
        }
    }

    fn abi(self, ty: IntType) -> (AbiType, Value) {
        let (unsigned, signed) = match self {
            Int::Unsigned(v) => (v, v as i128),
            Int::Signed(v) => (v as u128, v),
        };
        match ty {
            IntType::U8 => (AbiType::U8, Value::U8(unsigned as u8)),
            IntType::U32 => (AbiType::U32, Value::U32(unsigned as u32)),
            IntType::U64 => (AbiType::U64, Value::U64(unsigned as u64)),
            IntType::U128 => (AbiType::U128, Value::U128(unsigned)),
            IntType::I64 => (AbiType::I64, Value::I64(signed as i64)),
            IntType::I128 => (AbiType::I128, Value::I128(signed)),
        }
    }

    fn term(self, ctx: &easy_smt::Context) -> easy_smt::SExpr {
        match self {
            Int::Unsigned(v) => ctx.numeral(v),
            Int::Signed(v) => int::constant(ctx, v),
        }
    }
}

fn abi_type(ty: IntType) -> AbiType {
    Int::Unsigned(0).abi(ty).0
}

fn value_text(value: &Value) -> String {
    match value {
        Value::U8(v) => v.to_string(),
        Value::U32(v) => v.to_string(),
        Value::U64(v) => v.to_string(),
        Value::U128(v) => v.to_string(),
        Value::I64(v) => v.to_string(),
        Value::I128(v) => v.to_string(),
        Value::Bool(v) => v.to_string(),
        Value::Decimal(v) => v.raw().to_string(),
        other => panic!("not an integer or bool: {other:?}"),
    }
}

/// A value of `ty` from random bits: anywhere in the range, near either
/// end, or small (where signs and zero divisors live).
fn pick(ty: IntType, raw: u128, how: u8) -> Int {
    if ty.signed() {
        let (min, max) = (0i128.wrapping_sub_unsigned(ty.min_magnitude()), ty.max_value() as i128);
        Int::Signed(match how % 4 {
            0 if ty == IntType::I64 => i128::from(raw as i64),
            0 => raw as i128,
            1 => max - (raw % 3) as i128,
            2 => min + (raw % 3) as i128,
            _ => (raw % 21) as i128 - 10,
        })
    } else {
        let max = ty.max_value();
        Int::Unsigned(match how % 4 {
            0 if max == u128::MAX => raw,
            0 => raw % (max + 1),
            1 => max - raw % 3,
            2 => raw % 3,
            _ => raw % 21,
        })
    }
}

/// What the VM did: the result as text, or the abort code.
fn on_vm(entry: &str, args: Vec<(AbiType, Value)>, returns: AbiType) -> Result<String, AbortCode> {
    let (vm, contract) = contract();
    let (types, values): (Vec<_>, Vec<_>) = args.into_iter().unzip();
    let encoded =
        writ_abi::encode_value(&AbiType::Tuple(types), &Value::Tuple(values), &TypeDefs::default()).unwrap();
    let context = CallContext {
        contract: [9; 20],
        caller: [1; 20],
        signers: vec![],
        block_time: 0,
        block_height: 0,
        gas_limit: 1_000_000,
    };
    let call = Call { entry, args: &encoded, context, state: Arc::new(MemoryState::new()), directory: None };
    let report = vm.call(contract, call).unwrap();
    match report.outcome {
        Outcome::Success(s) => {
            Ok(value_text(&writ_abi::decode_value(&returns, &s.result, &TypeDefs::default()).unwrap()))
        }
        Outcome::Aborted(Abort::ContractAbort { code, .. }) => Err(code),
        Outcome::Aborted(other) => panic!("{entry}: unexpected {other:?}"),
    }
}

/// What the encoding says: declares the operands as constants of their
/// type (as a proof would), fixes them, and reads the first abort condition
/// that holds, or the value.
fn on_solver(
    solver: &mut Solver,
    operands: &[(Operand, Int)],
    encode: impl Fn(&easy_smt::Context, &[easy_smt::SExpr]) -> int::Checked,
    boolean: bool,
) -> Result<String, AbortCode> {
    solver.push().unwrap();
    let mut terms = Vec::new();
    for (i, (ty, value)) in operands.iter().enumerate() {
        let ctx = solver.ctx();
        let int_sort = ctx.int_sort();
        let name = format!("x{i}");
        let term = ctx.declare_const(&name, int_sort).unwrap();
        let range = match ty {
            Operand::Int(ty) => int::in_range(ctx, *ty, term),
            Operand::Decimal => decimal::in_range(ctx, term),
        };
        let fact = ctx.and(range, ctx.eq(term, value.term(ctx)));
        solver.assert(fact).unwrap();
        terms.push(term);
    }
    let checked = encode(solver.ctx(), &terms);
    assert_eq!(solver.check().unwrap(), Answer::Sat);
    let mut outcome = None;
    for (condition, code) in &checked.aborts {
        if solver.bool_value(*condition).unwrap() {
            outcome = Some(Err(*code));
            break;
        }
    }
    let outcome = match outcome {
        Some(abort) => abort,
        None if boolean => Ok(solver.bool_value(checked.value).unwrap().to_string()),
        None => Ok(solver.int_value(checked.value).unwrap()),
    };
    solver.pop().unwrap();
    outcome
}

/// What an operand is, for its range fact.
#[derive(Debug, Clone, Copy)]
enum Operand {
    Int(IntType),
    Decimal,
}

fn dec(raw: i128) -> (AbiType, Value) {
    (AbiType::Decimal, Value::Decimal(Decimal::from_raw(raw)))
}

fn decimal_name(op: DecimalOp) -> &'static str {
    match op {
        DecimalOp::Add => "dadd",
        DecimalOp::Sub => "dsub",
        DecimalOp::Mul => "dmul",
        DecimalOp::Div => "ddiv",
    }
}

/// Runs one operation both ways; `Err` describes a disagreement.
fn agree(case: &Case) -> Result<(), String> {
    let Some(mut solver) = common::solver() else { return Ok(()) };
    let (vm, smt, what) = match *case {
        Case::Arith(op, ty, a, b) => {
            let t = ty.name();
            let entry = format!("{}_{t}", arith_name(op));
            let vm = on_vm(&entry, vec![a.abi(ty), b.abi(ty)], abi_type(ty));
            let smt = on_solver(
                &mut solver,
                &[(Operand::Int(ty), a), (Operand::Int(ty), b)],
                |ctx, x| int::arith(ctx, op, ty, x[0], x[1]),
                false,
            );
            (vm, smt, format!("{} {} {} ({t})", a.text(), op.symbol(), b.text()))
        }
        Case::Negate(ty, a) => {
            let t = ty.name();
            let vm = on_vm(&format!("neg_{t}"), vec![a.abi(ty)], abi_type(ty));
            let smt =
                on_solver(&mut solver, &[(Operand::Int(ty), a)], |ctx, x| int::negate(ctx, ty, x[0]), false);
            (vm, smt, format!("-({}) ({t})", a.text()))
        }
        Case::Compare(k, ty, a, b) => {
            let op = Compare::ALL[k];
            let t = ty.name();
            let vm = on_vm(&format!("cmp{k}_{t}"), vec![a.abi(ty), b.abi(ty)], AbiType::Bool);
            let smt = on_solver(
                &mut solver,
                &[(Operand::Int(ty), a), (Operand::Int(ty), b)],
                |ctx, x| int::Checked { value: int::compare(ctx, op, x[0], x[1]), aborts: Vec::new() },
                true,
            );
            (vm, smt, format!("{} {} {} ({t})", a.text(), op.symbol(), b.text()))
        }
        Case::Cast(from, to, a) => {
            let (t, u) = (from.name(), to.name());
            let vm = on_vm(&format!("as_{t}_{u}"), vec![a.abi(from)], abi_type(to));
            let smt =
                on_solver(&mut solver, &[(Operand::Int(from), a)], |ctx, x| int::cast(ctx, to, x[0]), false);
            (vm, smt, format!("{} as {u} (from {t})", a.text()))
        }
        Case::Decimal(op, a, b) => {
            let vm = on_vm(decimal_name(op), vec![dec(a), dec(b)], AbiType::Decimal);
            let operands = [(Operand::Decimal, Int::Signed(a)), (Operand::Decimal, Int::Signed(b))];
            let smt = on_solver(
                &mut solver,
                &operands,
                |ctx, x| match op {
                    DecimalOp::Add => decimal::add(ctx, x[0], x[1]),
                    DecimalOp::Sub => decimal::sub(ctx, x[0], x[1]),
                    DecimalOp::Mul => decimal::mul(ctx, x[0], x[1]),
                    DecimalOp::Div => decimal::div(ctx, x[0], x[1]),
                },
                false,
            );
            (vm, smt, format!("raw {a} {} raw {b} (Decimal)", decimal_name(op)))
        }
        Case::DecimalUnary(k, a) => {
            let (entry, mode) = [
                ("dneg", None),
                ("dtrunc", Some(Rounding::Down)),
                ("dfloor", Some(Rounding::Floor)),
                ("dceil", Some(Rounding::Ceiling)),
                ("dabs", None),
            ][k];
            let vm = on_vm(entry, vec![dec(a)], AbiType::Decimal);
            let smt = on_solver(
                &mut solver,
                &[(Operand::Decimal, Int::Signed(a))],
                |ctx, x| match (entry, mode) {
                    ("dneg", _) => decimal::negate(ctx, x[0]),
                    (_, Some(mode)) => decimal::whole(ctx, x[0], mode),
                    _ => decimal::abs(ctx, x[0]),
                },
                false,
            );
            (vm, smt, format!("{entry}(raw {a})"))
        }
        Case::Round(a, places, mode) => {
            let args =
                vec![dec(a), (AbiType::U32, Value::U32(places)), (AbiType::U32, Value::U32(mode as u32))];
            let vm = on_vm("dround", args, AbiType::Decimal);
            let rounding = Rounding::ALL[mode];
            let operands = [
                (Operand::Decimal, Int::Signed(a)),
                (Operand::Int(IntType::U32), Int::Unsigned(places.into())),
            ];
            // `places` unknown to the encoder (a choice among eighteen
            // branches), then as the literal it usually is (one branch).
            let symbolic =
                on_solver(&mut solver, &operands, |ctx, x| decimal::round(ctx, x[0], x[1], rounding), false);
            let literal = on_solver(
                &mut solver,
                &operands[..1],
                |ctx, x| decimal::round(ctx, x[0], ctx.numeral(places), rounding),
                false,
            );
            let smt = if symbolic == literal { symbolic } else { Err(AbortCode::AssertionFailed) };
            (
                vm,
                smt,
                format!("raw {a} .round({places}, {rounding:?}) (AssertionFailed: the two encodings differ)"),
            )
        }
        Case::FromInt(ty, a) => {
            let t = ty.name();
            let vm = on_vm(&format!("dec_of_{t}"), vec![a.abi(ty)], AbiType::Decimal);
            let smt = on_solver(
                &mut solver,
                &[(Operand::Int(ty), a)],
                |ctx, x| decimal::from_int(ctx, x[0]),
                false,
            );
            (vm, smt, format!("{} as Decimal (from {t})", a.text()))
        }
        Case::ToInt(ty, a) => {
            let t = ty.name();
            let vm = on_vm(&format!("{t}_of_dec"), vec![dec(a)], abi_type(ty));
            let smt = on_solver(
                &mut solver,
                &[(Operand::Decimal, Int::Signed(a))],
                |ctx, x| decimal::to_int(ctx, ty, x[0]),
                false,
            );
            (vm, smt, format!("raw {a} as {t}"))
        }
    };
    if vm == smt { Ok(()) } else { Err(format!("{what}: the VM gives {vm:?}, the encoding {smt:?}")) }
}

#[derive(Debug, Clone, Copy)]
enum Case {
    Arith(Arith, IntType, Int, Int),
    Negate(IntType, Int),
    Compare(usize, IntType, Int, Int),
    Cast(IntType, IntType, Int),
    Decimal(DecimalOp, i128, i128),
    /// `dneg`, `dtrunc`, `dfloor`, `dceil`, `dabs` by index.
    DecimalUnary(usize, i128),
    /// Raw value, places, mode index.
    Round(i128, u32, usize),
    FromInt(IntType, Int),
    ToInt(IntType, i128),
}

#[derive(Debug, Clone, Copy)]
enum DecimalOp {
    Add,
    Sub,
    Mul,
    Div,
}

const UNIT: i128 = 1_000_000_000_000_000_000;

/// Raw Decimals as contracts hold them and at the edges: whole amounts,
/// cents, ties at some place, values whose products overflow, anything.
fn raw_decimal() -> impl Strategy<Value = i128> {
    prop_oneof![
        (-100_000_000_000_000i128..100_000_000_000_000).prop_map(|cents| cents * (UNIT / 100)),
        (-1_000_000i128..1_000_000, 0u32..18).prop_map(|(k, p)| {
            let unit = 10i128.pow(18 - p);
            k * unit + unit / 2
        }),
        (-1_000_000i128..1_000_000).prop_map(|whole| whole * UNIT),
        (-(1i128 << 20)..(1i128 << 20)).prop_map(|k| (1i128 << 94) + k),
        (-1000i128..1000),
        any::<i128>(),
        Just(i128::MAX),
        Just(i128::MIN),
        Just(0),
    ]
}

/// Products and quotients that land exactly halfway between two raw
/// values, where the rounding of `*` and `/` shows: a small raw count
/// times an odd number of halves, or divided by two.
fn tie() -> impl Strategy<Value = Case> {
    (-1000i128..1000, -1000i128..1000, any::<bool>()).prop_map(|(k, m, product)| {
        if product {
            Case::Decimal(DecimalOp::Mul, k, (2 * m + 1) * (UNIT / 2))
        } else {
            Case::Decimal(DecimalOp::Div, k, 2 * UNIT)
        }
    })
}

fn decimal_case() -> impl Strategy<Value = Case> {
    let ops = [DecimalOp::Add, DecimalOp::Sub, DecimalOp::Mul, DecimalOp::Div];
    let any_case =
        (0..5u8, 0..5usize, raw_decimal(), raw_decimal(), 0u32..20, int_type(), (any::<u128>(), any::<u8>()))
            .prop_map(move |(kind, k, a, b, places, ty, (raw, how))| match kind {
                0 => Case::Decimal(ops[k % 4], a, b),
                1 => Case::DecimalUnary(k, a),
                2 => Case::Round(a, places, (raw % 7) as usize),
                3 => Case::FromInt(ty, pick(ty, raw, how)),
                _ => Case::ToInt(ty, a),
            });
    prop_oneof![4 => any_case, 1 => tie()]
}

fn int_type() -> impl Strategy<Value = IntType> {
    prop::sample::select(IntType::ALL.to_vec())
}

fn case() -> impl Strategy<Value = Case> {
    let operand = (any::<u128>(), any::<u8>());
    (0..4u8, 0..5usize, int_type(), int_type(), operand, operand).prop_map(
        |(kind, k, ty, other, (ra, ha), (rb, hb))| {
            let (a, b) = (pick(ty, ra, ha), pick(ty, rb, hb));
            match kind {
                0 => Case::Arith(Arith::ALL[k], ty, a, b),
                1 if ty.signed() => Case::Negate(ty, a),
                1 | 2 => Case::Compare(k, ty, a, b),
                _ if other == ty => Case::Arith(Arith::ALL[k], ty, a, b),
                _ => Case::Cast(ty, other, a),
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn integers_agree_with_the_vm(case in case()) {
        if let Err(why) = agree(&case) {
            prop_assert!(false, "{why}");
        }
    }

    #[test]
    fn decimals_agree_with_the_vm(case in decimal_case()) {
        if let Err(why) = agree(&case) {
            prop_assert!(false, "{why}");
        }
    }
}

/// The edges named in docs/LANGUAGE.md, each checked both ways, so a
/// change in either side's rules shows up by name.
#[test]
fn the_edges_agree() {
    use Int::{Signed as S, Unsigned as U};
    let i64_min = S(i128::from(i64::MIN));
    let cases = [
        Case::Arith(Arith::Add, IntType::U8, U(255), U(1)),
        Case::Arith(Arith::Sub, IntType::U64, U(0), U(1)),
        Case::Arith(Arith::Mul, IntType::U128, U(u128::MAX), U(2)),
        Case::Arith(Arith::Div, IntType::U32, U(7), U(0)),
        Case::Arith(Arith::Rem, IntType::U32, U(7), U(0)),
        Case::Arith(Arith::Div, IntType::I64, S(7), S(-2)),
        Case::Arith(Arith::Div, IntType::I64, S(-7), S(2)),
        Case::Arith(Arith::Rem, IntType::I64, S(-7), S(2)),
        Case::Arith(Arith::Rem, IntType::I64, S(7), S(-2)),
        Case::Arith(Arith::Div, IntType::I64, i64_min, S(-1)),
        Case::Arith(Arith::Rem, IntType::I64, i64_min, S(-1)),
        Case::Arith(Arith::Div, IntType::I128, S(i128::MIN), S(-1)),
        Case::Arith(Arith::Rem, IntType::I128, S(i128::MIN), S(-1)),
        Case::Negate(IntType::I64, i64_min),
        Case::Negate(IntType::I128, S(i128::MIN)),
        Case::Cast(IntType::I64, IntType::U64, S(-1)),
        Case::Cast(IntType::U128, IntType::I128, U(u128::MAX)),
        Case::Cast(IntType::U64, IntType::U8, U(256)),
        Case::Cast(IntType::I128, IntType::I64, S(i128::from(i64::MAX) + 1)),
        // 2.345 to two places in every mode, and its negative (the table of
        // docs/LANGUAGE.md §5).
        Case::Round(2_345 * UNIT / 1000, 2, 0),
        Case::Round(2_345 * UNIT / 1000, 2, 1),
        Case::Round(-2_345 * UNIT / 1000, 2, 2),
        Case::Round(-2_345 * UNIT / 1000, 2, 3),
        Case::Round(-2_345 * UNIT / 1000, 2, 4),
        Case::Round(-2_345 * UNIT / 1000, 2, 5),
        Case::Round(2_345 * UNIT / 1000, 2, 6),
        Case::Round(i128::MAX, 0, 1),
        Case::Decimal(DecimalOp::Mul, i128::MAX, 2 * UNIT),
        Case::Decimal(DecimalOp::Div, UNIT, 0),
        Case::Decimal(DecimalOp::Div, UNIT, 3 * UNIT),
        Case::Decimal(DecimalOp::Div, -2 * UNIT, 3 * UNIT),
        Case::Decimal(DecimalOp::Mul, 1, UNIT / 2),
        Case::Decimal(DecimalOp::Mul, 3, -UNIT / 2),
        Case::Decimal(DecimalOp::Div, 1, 2 * UNIT),
        Case::DecimalUnary(2, i128::MIN),
        Case::DecimalUnary(4, i128::MIN),
        Case::ToInt(IntType::U64, -UNIT),
        Case::ToInt(IntType::I64, UNIT / 2),
        Case::FromInt(IntType::U128, U(u128::MAX)),
    ];
    let failures: Vec<String> = cases.iter().filter_map(|case| agree(case).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
