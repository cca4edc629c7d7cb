//! Whole function bodies against the VM: random functions (lets,
//! assignments, `if` as statement and as value, early returns, `require`,
//! `fail`, `&&`/`||`, casts, arithmetic near the ends of each type) are
//! compiled and run on the VM for inputs near the edges, and encoded once
//! (`body::encode_fn`); for each input the solver, with the parameters
//! fixed, must find exactly one outcome — the return or one abort — and it
//! must be the VM's: the same value, or the same abort code, `require`
//! message or error.
//!
//! Needs Z3 on `PATH`; see `tests/common/mod.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;

use proptest::prelude::*;
use writ_abi::host::AbortCode;
use writ_abi::{AbiType, Decimal, TypeDefs, Value};
use writ_compiler::ast::{ItemKind, MemberKind};
use writ_compiler::codegen::build_file;
use writ_compiler::{Analysis, FileId};
use writ_prover::body::{Exit, encode_fn};
use writ_prover::int;
use writ_vm::{Abort, Call, CallContext, MemoryState, Outcome, Vm, VmOptions};

/// The entry point `f` of contract `c`.
fn function_f(c: &writ_compiler::ast::ContractDef) -> &writ_compiler::ast::FnDef {
    c.members
        .iter()
        .find_map(|m| match &m.kind {
            MemberKind::Fn(f) if f.name.name == "f" => Some(f),
            _ => None,
        })
        .unwrap()
}

/// A small deterministic generator, so a failing case is its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    U8,
    I64,
    U64,
    Decimal,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::U8 => "u8",
            Kind::I64 => "i64",
            Kind::U64 => "u64",
            Kind::Decimal => "Decimal",
        }
    }

    fn literal(self, rng: &mut Rng) -> String {
        match self {
            Kind::U8 => rng.pick(&["0", "1", "2", "7", "100", "255"]).to_string(),
            Kind::I64 => rng
                .pick(&["0", "1", "-1", "3", "-7", "9223372036854775807", "-9223372036854775808"])
                .to_string(),
            Kind::U64 => rng.pick(&["0", "1", "2", "10", "18446744073709551615"]).to_string(),
            Kind::Decimal => {
                rng.pick(&["0.00", "1.5", "-2.25", "0.125", "1000000.0", "0.000000000000000001"]).to_string()
            }
        }
    }
}

/// Random code of one numeric kind over the names in scope.
struct Gen<'r> {
    rng: &'r mut Rng,
    kind: Kind,
    names: Vec<String>,
    mutable: Vec<String>,
    lets: usize,
    /// Whether values may call the helper `h`.
    calls: bool,
}

impl<'r> Gen<'r> {
    /// Code over the parameters `a` and `b`, without calls.
    fn new(rng: &'r mut Rng, kind: Kind) -> Gen<'r> {
        Gen { rng, kind, names: vec!["a".into(), "b".into()], mutable: Vec::new(), lets: 0, calls: false }
    }

    /// Appends a generated statement; one that declares `x{n}` makes it
    /// a name later values may use.
    fn add_line(&mut self, body: &mut String, line: &str, n: usize) {
        if line.starts_with("let") {
            self.names.push(format!("x{n}"));
            self.lets += 1;
        }
        body.push_str(&format!("        {line}\n"));
    }

    fn value(&mut self, depth: u32) -> String {
        let leaf = depth == 0 || self.rng.below(3) == 0;
        if leaf {
            return if self.rng.below(3) == 0 {
                self.kind.literal(self.rng)
            } else {
                let i = self.rng.below(self.names.len() as u64) as usize;
                self.names[i].clone()
            };
        }
        let (a, b) = (self.value(depth - 1), self.value(depth - 1));
        match self.rng.below(8) {
            0..=3 => {
                let ops: &[&str] = if self.kind == Kind::Decimal {
                    &["+", "-", "*", "/"]
                } else {
                    &["+", "-", "*", "/", "%"]
                };
                format!("({a} {} {b})", self.rng.pick(ops))
            }
            4 if matches!(self.kind, Kind::I64 | Kind::Decimal) => format!("(-{a})"),
            7 if self.calls => {
                // Arguments without calls, so one call inlines one body.
                self.calls = false;
                let (x, y) = (self.value(depth - 1), self.value(depth - 1));
                self.calls = true;
                format!("h({x}, {y})")
            }
            5 => format!("(if {} {{ {a} }} else {{ {b} }})", self.cond(depth - 1)),
            6 => match self.kind {
                Kind::Decimal => {
                    let method = self.rng.pick(&[
                        "round(2)",
                        "round(0, Rounding::HalfUp)",
                        "round(1, Rounding::Floor)",
                        "floor()",
                        "ceil()",
                        "trunc()",
                        "abs()",
                    ]);
                    format!("{a}.{method}")
                }
                _ => {
                    // The operand of `as` gets no type from outside: a
                    // name gives it one.
                    let via = self.rng.pick(&["u8", "i64", "u64", "u128", "u32"]);
                    let i = self.rng.below(self.names.len() as u64) as usize;
                    let operand = if self.rng.below(2) == 0 {
                        self.names[i].clone()
                    } else {
                        format!("({} + {a})", self.names[i])
                    };
                    format!("(({operand} as {via}) as {})", self.kind.name())
                }
            },
            _ => format!("({a} + {b})"),
        }
    }

    fn cond(&mut self, depth: u32) -> String {
        match self.rng.below(6) {
            0 if depth > 0 => format!("({} && {})", self.cond(depth - 1), self.cond(depth - 1)),
            1 if depth > 0 => format!("({} || {})", self.cond(depth - 1), self.cond(depth - 1)),
            2 if depth > 0 => format!("!{}", self.cond(depth - 1)),
            _ => {
                // A name on the left gives the literals on the right a type.
                let op = self.rng.pick(&["<", "<=", ">", ">=", "==", "!="]);
                let i = self.rng.below(self.names.len() as u64) as usize;
                let name = self.names[i].clone();
                format!("({name} {op} {})", self.value(depth))
            }
        }
    }

    fn statement(&mut self, out: &mut String) {
        let depth = 2;
        match self.rng.below(6) {
            0 => {
                let name = format!("x{}", self.lets);
                self.lets += 1;
                out.push_str(&format!("        let {name}: {} = {};\n", self.kind.name(), self.value(depth)));
                self.names.push(name);
            }
            1 => {
                let name = format!("m{}", self.lets);
                self.lets += 1;
                out.push_str(&format!(
                    "        let mut {name}: {} = {};\n",
                    self.kind.name(),
                    self.value(depth)
                ));
                self.names.push(name.clone());
                self.mutable.push(name);
            }
            2 if !self.mutable.is_empty() => {
                let i = self.rng.below(self.mutable.len() as u64) as usize;
                let op = self.rng.pick(&["=", "+=", "-="]);
                let target = self.mutable[i].clone();
                out.push_str(&format!("        {target} {op} {};\n", self.value(depth)));
            }
            2 | 3 => {
                let n = self.lets;
                out.push_str(&format!("        require({}, \"r{n}\");\n", self.cond(1)));
                self.lets += 1;
            }
            4 => out.push_str(&format!("        if {} {{ return {}; }}\n", self.cond(1), self.value(depth))),
            _ => {
                // Assignments inside a branch, joined after it.
                if let Some(target) = self.mutable.first().cloned() {
                    let (c, v) = (self.cond(1), self.value(1));
                    let w = self.value(1);
                    out.push_str(&format!(
                        "        if {c} {{ {target} = {v}; }} else {{ {target} -= {w}; }}\n"
                    ));
                } else {
                    out.push_str(&format!("        if {} {{ fail Bad({}); }}\n", self.cond(1), self.lets));
                    self.lets += 1;
                }
            }
        }
    }
}

fn program(seed: u64) -> (Kind, String) {
    let mut rng = Rng(seed);
    let kind = [Kind::U8, Kind::I64, Kind::U64, Kind::Decimal][rng.below(4) as usize];
    let mut code = Gen::new(&mut rng, kind);
    // A helper first (it may not call itself), then `f`, which may call it.
    let mut helper = String::new();
    for _ in 0..code.rng.below(4) {
        code.statement(&mut helper);
    }
    let helper_result = code.value(2);
    code.names.truncate(2);
    code.mutable.clear();
    code.calls = true;
    let mut body = String::new();
    for _ in 0..code.rng.below(6) {
        code.statement(&mut body);
    }
    let result = code.value(2);
    let t = kind.name();
    let source = format!(
        "contract G {{\n    error Bad(code: u64);\n    init() {{}}\n    fn h(a: {t}, b: {t}) -> {t} {{\n{helper}        return {helper_result};\n    }}\n    pub view fn f(a: {t}, b: {t}) -> {t} {{\n{body}        return {result};\n    }}\n}}\n"
    );
    (kind, source)
}

/// Inputs near the ends of the kind's range, and small ones.
fn inputs(kind: Kind, rng: &mut Rng) -> (i128, i128) {
    let mut one = || -> i128 {
        let small = rng.below(11) as i128 - 5;
        match (kind, rng.below(3)) {
            (Kind::U8, 0) => 255 - rng.below(3) as i128,
            (Kind::U8, _) => small.abs(),
            (Kind::U64, 0) => i128::from(u64::MAX) - rng.below(3) as i128,
            (Kind::U64, _) => small.abs(),
            (Kind::I64, 0) => i128::from(i64::MAX) - rng.below(2) as i128,
            (Kind::I64, 1) => i128::from(i64::MIN) + rng.below(2) as i128,
            (Kind::I64, _) => small,
            (Kind::Decimal, 0) => Decimal::MAX.raw() - rng.below(3) as i128,
            (Kind::Decimal, 1) => small * 250_000_000_000_000_000,
            (Kind::Decimal, _) => small * 1_000_000_000_000_000_000 + rng.below(1000) as i128,
        }
    };
    (one(), one())
}

fn abi(kind: Kind, v: i128) -> (AbiType, Value) {
    match kind {
        Kind::U8 => (AbiType::U8, Value::U8(v as u8)),
        Kind::I64 => (AbiType::I64, Value::I64(v as i64)),
        Kind::U64 => (AbiType::U64, Value::U64(v as u64)),
        Kind::Decimal => (AbiType::Decimal, Value::Decimal(Decimal::from_raw(v))),
    }
}

/// An outcome both sides can state: the value as text, or the abort and
/// its detail (the `require` message, the error's index).
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Returned(String),
    Aborted(AbortCode, String),
}

fn on_vm(vm: &Vm, contract: &Arc<writ_vm::Contract>, kind: Kind, a: i128, b: i128) -> Seen {
    let (ty, _) = abi(kind, 0);
    let (types, values): (Vec<_>, Vec<_>) = [abi(kind, a), abi(kind, b)].into_iter().unzip();
    let args =
        writ_abi::encode_value(&AbiType::Tuple(types), &Value::Tuple(values), &TypeDefs::default()).unwrap();
    let context = CallContext {
        contract: [9; 20],
        caller: [1; 20],
        signers: vec![],
        block_time: 0,
        block_height: 0,
        gas_limit: 10_000_000,
    };
    let call =
        Call { entry: "f", args: &args, context, state: Arc::new(MemoryState::new()), directory: None };
    let report = vm.call(contract, call).unwrap();
    match report.outcome {
        Outcome::Success(s) => {
            Seen::Returned(match writ_abi::decode_value(&ty, &s.result, &TypeDefs::default()).unwrap() {
                Value::U8(v) => v.to_string(),
                Value::I64(v) => v.to_string(),
                Value::U64(v) => v.to_string(),
                Value::Decimal(v) => v.raw().to_string(),
                other => panic!("{other:?}"),
            })
        }
        Outcome::Aborted(Abort::ContractAbort { code, data }) => {
            let detail = match code {
                AbortCode::Require => String::from_utf8_lossy(&data).into_owned(),
                AbortCode::ContractError => u32::from_be_bytes(data[..4].try_into().unwrap()).to_string(),
                _ => String::new(),
            };
            Seen::Aborted(code, detail)
        }
        Outcome::Aborted(other) => panic!("unexpected {other:?}"),
    }
}

/// Every outcome the solver finds possible with the parameters fixed to
/// `a` and `b` (exactly one, when the encoding is right); `None` when the
/// solver gives up within its budget (its non-linear arithmetic can, on a
/// `Decimal` product of products): nothing to compare then.
fn solved(
    solver: &mut writ_prover::Solver,
    encoded: &writ_prover::body::Encoded,
    a: i128,
    b: i128,
) -> Option<Vec<Seen>> {
    // Only an exact encoding has one outcome per input to compare.
    assert!(encoded.approximations.is_empty(), "{:?}", encoded.approximations);
    solver.push().unwrap();
    for fact in &encoded.facts {
        solver.assert(*fact).unwrap();
    }
    for ((_, param, _), value) in encoded.params.iter().zip([a, b]) {
        let ctx = solver.ctx();
        let fixed = ctx.eq(*param, int::constant(ctx, value));
        solver.assert(fixed).unwrap();
    }
    if let Some(now) = encoded.now {
        // The VM's calls here run at block time 0.
        let ctx = solver.ctx();
        let at_zero = ctx.eq(now, ctx.numeral(0));
        solver.assert(at_zero).unwrap();
    }
    match solver.check().unwrap() {
        writ_prover::solver::Answer::Sat => {}
        writ_prover::solver::Answer::Unknown => {
            solver.pop().unwrap();
            return None;
        }
        writ_prover::solver::Answer::Unsat => panic!("no outcome at all for a = {a}, b = {b}"),
    }
    let mut seen = Vec::new();
    if solver.bool_value(encoded.returns).unwrap() {
        let value = encoded.value.unwrap();
        seen.push(Seen::Returned(solver.int_value(value).unwrap()));
    }
    for (condition, exit) in &encoded.aborts {
        if solver.bool_value(*condition).unwrap() {
            seen.push(match exit {
                Exit::Abort(code) => Seen::Aborted(*code, String::new()),
                Exit::Require(message) => Seen::Aborted(AbortCode::Require, message.clone()),
                Exit::Fail { index, .. } => Seen::Aborted(AbortCode::ContractError, index.to_string()),
                Exit::Assertion => Seen::Aborted(AbortCode::AssertionFailed, String::new()),
                // Never the VM's: an exact encoding has none.
                Exit::Unknown => Seen::Aborted(AbortCode::AssertionFailed, "of a kind not known".into()),
            });
        }
    }
    solver.pop().unwrap();
    Some(seen)
}

fn agree(seed: u64) -> Result<(), String> {
    let (kind, source) = program(seed);
    agree_on(&source, kind, seed)
}

/// `f` of `source` (whose storage starts empty, if it has any) run on the
/// VM and solved, for inputs of `kind` drawn from `seed`.
fn agree_on(source: &str, kind: Kind, seed: u64) -> Result<(), String> {
    agree_on_inputs(source, kind, seed, None)
}

/// As `agree_on`, for the `given` inputs when there are some.
fn agree_on_inputs(
    source: &str,
    kind: Kind,
    seed: u64,
    given: Option<&[(i128, i128)]>,
) -> Result<(), String> {
    // A session of its own: Z3 4.8 keeps every datatype a program declares
    // for the rest of a session, and a session shared by hundreds of
    // generated programs grew slow enough to triple this file's time.
    let Some(mut solver) = common::start(None) else { return Ok(()) };
    let analysis = Analysis::single("g.writ", source);
    let errors: Vec<_> = analysis.diagnostics().into_iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{source}\n{errors:?}");
    let built = build_file(&analysis, FileId(0));
    assert!(built.diagnostics.is_empty(), "{source}\n{:?}", built.diagnostics);
    let vm = Vm::new(VmOptions::in_memory()).unwrap();
    let contract = vm.prepare(&built.artifacts[0].wasm).unwrap();
    let ItemKind::Contract(c) = &analysis.user_files()[0].parsed.tree.items[0].kind else {
        panic!("no contract")
    };
    let func = function_f(c);
    solver.push().unwrap();
    let fields = writ_prover::invariant::storage_fields(&analysis, FileId(0), c);
    let storage = writ_prover::invariant::initial_storage(&mut solver, &analysis, &fields).unwrap();
    let encoded = writ_prover::body::encode_call(&mut solver, &analysis, FileId(0), func, "g_", storage)
        .unwrap_or_else(|e| panic!("{source}\n{e:?}"));
    let mut rng = Rng(seed ^ 0x5555);
    let chosen: Vec<(i128, i128)> = match given {
        Some(given) => given.to_vec(),
        None => (0..4).map(|_| inputs(kind, &mut rng)).collect(),
    };
    let mut result = Ok(());
    for (a, b) in chosen {
        let vm_seen = on_vm(&vm, &contract, kind, a, b);
        // An undecided input says nothing either way, and Z3 4.8 may take
        // no more commands after it: the program's other inputs are left.
        let Some(seen) = solved(&mut solver, &encoded, a, b) else { break };
        if seen != [vm_seen] {
            let vm_seen = on_vm(&vm, &contract, kind, a, b);
            result = Err(format!("{source}\na = {a}, b = {b} (raw)\nVM: {vm_seen:?}\nsolver: {seen:?}"));
            break;
        }
    }
    solver.pop().unwrap();
    result
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn bodies_agree_with_the_vm(seed in any::<u64>()) {
        if let Err(e) = agree(seed) {
            prop_assert!(false, "seed {seed}: {e}");
        }
    }
}

/// A function over a map and a number in storage (starting empty): writes,
/// `+=` and `-=` on entries, `insert`, `remove`, reads by index, `get`
/// with `unwrap_or` and `unwrap`, `contains`, `len`, over keys that often
/// meet.
fn map_program(seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut code = Gen::new(&mut rng, Kind::U64);
    let mut body = String::new();
    for _ in 0..1 + code.rng.below(7) {
        let key = code.rng.pick(&["a", "b", "0", "1"]);
        let value = code.value(1);
        let n = code.lets;
        let line = match code.rng.below(11) {
            0 => format!("self.m[{key}] = {value};"),
            1 => format!("self.m[{key}] += {value};"),
            2 => format!("self.m[{key}] -= {value};"),
            3 => format!("self.m.insert({key}, {value});"),
            4 => format!("self.m.remove({key});"),
            5 => format!("let x{n}: u64 = self.m[{key}];"),
            6 => format!("let x{n}: u64 = self.m.get({key}).unwrap_or({value});"),
            7 => format!(
                "if self.m.contains({key}) {{ self.total += {value}; }} else {{ self.m[{key}] = {value}; }}"
            ),
            8 => format!("let x{n}: u64 = self.m.get({key}).unwrap();"),
            9 => format!("self.total += self.m.len() + {value};"),
            _ => format!("self.total += {value};"),
        };
        code.add_line(&mut body, &line, n);
    }
    let key = code.rng.pick(&["a", "b", "0", "1"]);
    format!(
        "contract G {{\n    storage {{ m: Map<u64, u64>, total: u64 }}\n    init() {{}}\n    pub fn f(a: u64, b: u64) -> u64 {{\n{body}        return self.m.get({key}).unwrap_or(7) + self.total;\n    }}\n}}\n"
    )
}

fn maps_agree(seed: u64) -> Result<(), String> {
    agree_on(&map_program(seed), Kind::U64, seed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn map_storage_agrees_with_the_vm(seed in any::<u64>()) {
        if let Err(e) = maps_agree(seed) {
            prop_assert!(false, "seed {seed}: {e}");
        }
    }
}

/// A function over a map of maps in storage (starting empty): whole inner
/// maps written (`Map::new()`), entries of inner maps written, added to,
/// inserted and removed through the outer map, read by index and `get`,
/// `contains` and `len` of an inner map, over keys that often meet (and
/// inner maps that are often absent: reading one aborts).
fn nested_program(seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut code = Gen::new(&mut rng, Kind::U64);
    // Most programs start with two inner maps, so that more of them run on.
    let mut body = match code.rng.below(4) {
        0 => String::new(),
        _ => "        self.n[a] = Map::new();\n        self.n[1] = Map::new();\n".to_string(),
    };
    for _ in 0..1 + code.rng.below(8) {
        let outer = code.rng.pick(&["a", "a", "1", "b"]);
        let inner = code.rng.pick(&["a", "b", "0", "1"]);
        let value = code.value(1);
        let n = code.lets;
        let line = match code.rng.below(11) {
            0 | 1 => format!("self.n[{outer}] = Map::new();"),
            2 => format!("self.n[{outer}][{inner}] = {value};"),
            3 => format!("self.n[{outer}][{inner}] += {value};"),
            4 => format!("self.n[{outer}].insert({inner}, {value});"),
            5 => format!("self.n[{outer}].remove({inner});"),
            6 => format!("let x{n}: u64 = self.n[{outer}][{inner}];"),
            7 => format!("let x{n}: u64 = self.n[{outer}].get({inner}).unwrap_or({value});"),
            8 => format!("if self.n[{outer}].contains({inner}) {{ self.total += 1; }}"),
            9 => format!("self.total += self.n[{outer}].len();"),
            _ => format!("if self.n.contains({outer}) {{ self.total += {value}; }}"),
        };
        code.add_line(&mut body, &line, n);
    }
    format!(
        "contract G {{\n    storage {{ n: Map<u64, Map<u64, u64>>, total: u64 }}\n    init() {{}}\n    pub fn f(a: u64, b: u64) -> u64 {{\n{body}        return self.total;\n    }}\n}}\n"
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    // Maps held in maps are values the encoding rebuilds and writes back:
    // what the VM computes with them, the encoding says, to the abort.
    #[test]
    fn nested_maps_agree_with_the_vm(seed in any::<u64>()) {
        if let Err(e) = agree_on(&nested_program(seed), Kind::U64, seed) {
            prop_assert!(false, "seed {seed}: {e}");
        }
    }
}

/// A function over lists in storage (starting empty): `push` onto a
/// field, a local and a map entry, indexing that may run past the end,
/// `len`, lists compared with `==` (equal exactly when their elements
/// are), literals, over indices and keys that often meet.
fn list_program(seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut code = Gen::new(&mut rng, Kind::U64);
    let mut body = String::from("        let mut l: List<u64> = [];\n");
    for _ in 0..1 + code.rng.below(8) {
        let key = code.rng.pick(&["a", "b", "0", "1"]);
        let index = code.rng.pick(&["a", "b", "0", "1", "2"]);
        let value = code.value(1);
        let n = code.lets;
        let line = match code.rng.below(11) {
            0 | 1 => format!("self.xs.push({value});"),
            2 => format!("l.push({value});"),
            3 => format!("let x{n}: u64 = self.xs[{index}];"),
            4 => format!("self.total += l[{index}];"),
            5 => "if self.xs == l { self.total += 1; }".to_string(),
            6 => format!("if self.xs == [0, {value}] {{ self.total += 2; }}"),
            7 => format!("self.m[{key}] = [{value}];"),
            8 => format!("self.m[{key}].push({value});"),
            9 => format!("self.total += self.m[{key}].len();"),
            _ => format!("if self.m.contains({key}) && self.m[{key}] == self.xs {{ self.total += 4; }}"),
        };
        code.add_line(&mut body, &line, n);
    }
    format!(
        "contract G {{\n    storage {{ xs: List<u64>, m: Map<u64, List<u64>>, total: u64 }}\n    init() {{}}\n    pub fn f(a: u64, b: u64) -> u64 {{\n{body}        return self.xs.len() + l.len() + self.total;\n    }}\n}}\n"
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    // Lists are arrays with a length in the solver (`sorts`): what the VM
    // computes with them, the encoding says, to the abort.
    #[test]
    fn list_storage_agrees_with_the_vm(seed in any::<u64>()) {
        if let Err(e) = agree_on(&list_program(seed), Kind::U64, seed) {
            prop_assert!(false, "seed {seed}: {e}");
        }
    }
}

// Constructs the encoding does not model are refused by name, not guessed.
#[test]
fn unsupported_code_is_refused_by_name() {
    let Some(mut solver) = common::solver() else { return };
    let source = "fn f(a: u64) -> u64 {\n    let mut i = a;\n    while more(i) { i -= 1; }\n    return i;\n}\nfn more(i: u64) -> bool { i > 0 }\n";
    let analysis = Analysis::single("w.writ", source);
    let ItemKind::Fn(func) = &analysis.user_files()[0].parsed.tree.items[0].kind else { panic!() };
    solver.push().unwrap();
    let refused = encode_fn(&mut solver, &analysis, FileId(0), func, "w_");
    solver.pop().unwrap();
    match refused {
        Err(writ_prover::body::EncodeError::Refused(r)) => {
            assert_eq!(r.what, "a `while` whose condition calls a function or changes state");
            assert_eq!(&source[r.span.lo as usize..r.span.lo as usize + 4], "more");
        }
        other => panic!("{other:?}"),
    }
}

fn encode_first_fn(solver: &mut writ_prover::Solver, source: &str) -> writ_prover::body::Encoded {
    let analysis = Analysis::single("c.writ", source);
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics());
    let ItemKind::Fn(func) = &analysis.user_files()[0].parsed.tree.items[0].kind else { panic!() };
    encode_fn(solver, &analysis, FileId(0), func, "c_").unwrap()
}

// A claim over every input: a capped sum never exceeds its cap when it
// returns (proved), and the sum does abort for some inputs, which the
// solver names.
#[test]
fn claims_over_every_input() {
    let Some(mut solver) = common::solver() else { return };
    let source = "fn capped(a: u64, b: u64, cap: u64) -> u64 {\n    let sum = a + b;\n    if sum > cap { return cap; }\n    return sum;\n}\n";
    solver.push().unwrap();
    let encoded = encode_first_fn(&mut solver, source);
    for fact in &encoded.facts {
        solver.assert(*fact).unwrap();
    }
    let cap = encoded.params[2].1;
    let ctx = solver.ctx();
    let broken = ctx.and(encoded.returns, ctx.gt(encoded.value.unwrap(), cap));
    solver.push().unwrap();
    solver.assert(broken).unwrap();
    assert_eq!(solver.check().unwrap(), writ_prover::solver::Answer::Unsat, "the cap holds for every input");
    solver.pop().unwrap();
    let aborts = solver.ctx().or_many(encoded.aborts.iter().map(|(condition, _)| *condition));
    solver.push().unwrap();
    solver.assert(aborts).unwrap();
    assert_eq!(solver.check().unwrap(), writ_prover::solver::Answer::Sat);
    let a: u128 = solver.int_value(encoded.params[0].1).unwrap().parse().unwrap();
    let b: u128 = solver.int_value(encoded.params[1].1).unwrap().parse().unwrap();
    assert!(a + b > u128::from(u64::MAX), "{a} + {b} should overflow");
    assert_eq!(
        encoded.aborts.iter().map(|(_, exit)| exit.clone()).collect::<Vec<_>>(),
        vec![Exit::Abort(AbortCode::Overflow)]
    );
    solver.pop().unwrap();
    solver.pop().unwrap();
}

/// A function over structs and tuples in storage: a map of structs (whole
/// entries written, fields of entries updated), a struct field (written
/// whole and by field), a map with tuple keys, struct equality, and
/// struct literals with their fields in another order than declared.
fn struct_program(seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut code = Gen::new(&mut rng, Kind::U64);
    let mut body = String::new();
    for _ in 0..1 + code.rng.below(7) {
        let (key, other) = (code.rng.pick(&["a", "b", "0", "1"]), code.rng.pick(&["a", "b", "0", "1"]));
        let (v, w) = (code.value(1), code.value(1));
        let n = code.lets;
        let line = match code.rng.below(11) {
            0 => format!("self.m[{key}] = P {{ x: {v}, y: {w}, on: {v} > {w} }};"),
            1 => format!("self.m[{key}].x += {v};"),
            2 => format!("self.m[{key}].y = {v};"),
            3 => format!("self.s.x += {v};"),
            4 => format!("self.s = P {{ y: {v}, on: true, x: {w} }};"),
            5 => format!("let x{n}: u64 = self.m.get({key}).unwrap_or(P {{ x: {v}, y: {w}, on: false }}).y;"),
            6 => format!("let x{n}: u64 = self.m[{key}].x;"),
            7 => format!("self.t[({key}, {other})] = {v};"),
            8 => format!("let x{n}: u64 = self.t.get(({key}, {other})).unwrap_or({v});"),
            9 => format!("if self.s == (P {{ x: {v}, y: 0, on: false }}) {{ self.s.y += 1; }}"),
            _ => format!("if self.m.contains({key}) && self.m[{key}].on {{ self.s.y = {v}; }}"),
        };
        code.add_line(&mut body, &line, n);
    }
    let key = code.rng.pick(&["a", "b", "0", "1"]);
    format!(
        "contract G {{\n    struct P {{ x: u64, y: u64, on: bool }}\n    storage {{ m: Map<u64, P>, s: P, t: Map<(u64, u64), u64> }}\n    init() {{}}\n    pub fn f(a: u64, b: u64) -> u64 {{\n{body}        return self.s.x + self.m.get({key}).unwrap_or(P {{ x: 1, y: 2, on: true }}).y;\n    }}\n}}\n"
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn structs_and_tuples_agree_with_the_vm(seed in any::<u64>()) {
        if let Err(e) = agree_on(&struct_program(seed), Kind::U64, seed) {
            prop_assert!(false, "seed {seed}: {e}");
        }
    }
}

// Found by the property above: `unwrap_or`'s default runs only when the key
// is absent (here `a - 10` with `a = 0` would overflow).
#[test]
fn the_default_of_unwrap_or_runs_only_when_absent() {
    if let Err(e) = maps_agree(11_467_969_068_683_681_932) {
        panic!("{e}");
    }
}

/// A function over enums, options, lists and dates: an enum with unit,
/// one-field and two-field variants in storage, matched with literal,
/// binding and wildcard sub-patterns and `|`; an `Option` in storage
/// (`Some`, `None`, `unwrap_or`, `unwrap`, `is_some`, `match`); a list in
/// storage and a map of lists (`push`, `len`, indexing past the end, a
/// literal); loops over literal lists with `break` and `continue`; dates
/// from parts that may not exist, their parts, `add_days`, differences
/// and `now()`.
fn choice_program(seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut code = Gen::new(&mut rng, Kind::U64);
    let mut body = String::new();
    for _ in 0..1 + code.rng.below(8) {
        let key = code.rng.pick(&["a", "b", "0", "1"]);
        let (v, w) = (code.value(1), code.value(1));
        let n = code.lets;
        let line = match code.rng.below(22) {
            0 => format!("self.st = S::Held({v});"),
            1 => format!("self.st = S::Pair({v}, {v} > {w});"),
            2 => "self.st = S::Idle;".to_string(),
            3 => format!(
                "let x{n}: u64 = match self.st {{ S::Idle => {v}, S::Held(k) => k + 1, S::Pair(k, true) => k, S::Pair(_, false) => {w} }};"
            ),
            4 => format!("let x{n}: u64 = match self.st {{ S::Held(0) | S::Idle => 5, _ => {v} }};"),
            5 => format!("self.o = Some({v});"),
            6 => "self.o = None;".to_string(),
            7 => format!("let x{n}: u64 = self.o.unwrap_or({v});"),
            8 => format!("let x{n}: u64 = self.o.unwrap();"),
            9 => format!("let x{n}: u64 = match self.o {{ Some(k) => k, None => {v} }};"),
            10 => format!("if self.o.is_some() {{ self.xs.push({v}); }}"),
            11 => format!("self.xs.push({v});"),
            12 => format!("let x{n}: u64 = self.xs.len() + self.xs[{key}];"),
            13 => format!("self.m[{key}] = [{v}, {w}];"),
            14 => format!("self.m[{key}].push({v});"),
            15 => format!("let x{n}: u64 = self.m.get({key}).unwrap_or([]).len();"),
            16 => format!(
                "let mut x{n}: u64 = 0;\n        for k in [{v}, {w}, 3, a] {{ if k > 100 {{ break; }} if k == 3 {{ continue; }} x{n} += k; }}"
            ),
            17 => format!(
                "let x{n}: u64 = date(2023 + (a % 3) as u32, (b % 14) as u32, 28 + (a % 4) as u32).day() as u64;"
            ),
            18 => format!("let x{n}: u64 = date(1999, 12, 31).add_days(({v} % 4000) as i64).month() as u64;"),
            19 => {
                format!("let x{n}: u64 = (date(2000 + (a % 500) as u32, 2, 28) - date(2024, 3, 1)) as u64;")
            }
            20 => format!("let x{n}: u64 = (now() + {v}).date().year() as u64;"),
            _ => format!("let x{n}: u64 = max({v}, min({w}, 9));"),
        };
        code.add_line(&mut body, &line, n);
    }
    format!(
        "contract G {{\n    enum S {{ Idle, Held(u64), Pair(u64, bool) }}\n    storage {{ st: S, o: Option<u64>, xs: List<u64>, m: Map<u64, List<u64>> }}\n    init() {{}}\n    pub fn f(a: u64, b: u64) -> u64 {{\n{body}        let tag: u64 = match self.st {{ S::Idle => 0, S::Held(k) => k, S::Pair(k, _) => k + 1 }};\n        return tag + self.o.unwrap_or(2) + self.xs.len();\n    }}\n}}\n"
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn enums_options_lists_and_dates_agree_with_the_vm(seed in any::<u64>()) {
        if let Err(e) = agree_on(&choice_program(seed), Kind::U64, seed) {
            prop_assert!(false, "seed {seed}: {e}");
        }
    }
}

/// The calendar over its whole range: a date from parts (often a day that
/// does not exist), moved by up to 50 000 days either way, its parts, the
/// days between, and the date of a timestamp, for many inputs.
#[test]
fn dates_agree_with_the_vm() {
    let source = "contract G {\n    init() {}\n    pub fn f(a: u64, b: u64) -> u64 {\n        let d = date(1 + (a % 9999) as u32, 1 + (b % 12) as u32, 1 + (b / 12 % 31) as u32);\n        let e = d.add_days((a % 100000) as i64 - 50000);\n        let t = (now() + a * 5003).date();\n        return (e.year() as u64) * 10000 + (e.month() as u64) * 100 + (e.day() as u64) + ((e - d + 50000) as u64) * 100000000 + (t.day() as u64) * 1000000000000000;\n    }\n}\n";
    let mut rng = Rng(77);
    let inputs: Vec<(i128, i128)> =
        (0..48).map(|_| (rng.below(100_000_000) as i128, rng.below(372) as i128)).collect();
    if let Err(e) = agree_on_inputs(source, Kind::U64, 0, Some(&inputs)) {
        panic!("{e}");
    }
}
