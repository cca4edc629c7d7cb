//! `writ test --fuzz`: stateful invariant fuzzing. Each test that deploys
//! contracts with invariants or specs serves as a setup; after it, random
//! sequences of entry-point calls (random callers from the accounts the
//! test used, generated arguments) run, every invariant is checked after
//! each successful call and every spec around each call it describes. A
//! sequence that breaks one is shrunk to the shortest
//! (fewest calls, smallest arguments) and printed as a Writ test that can
//! be pasted into the file.
//!
//! Invariant: a run is a function of the source and the seed.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use writ_abi::document::EntryKind;
use writ_abi::value::Defined;
use writ_abi::{AbiType, Date, Decimal, TypeDefs, Value};
use writ_compiler::codegen::TestCase;

use crate::ledger::{Handle, call};
use crate::setup_state::{body_lines, deploy_bindings};
use crate::{CaseFailure, CaseOutcome, Prepared};

/// How much to fuzz.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuzzOptions {
    /// Most calls in one sequence.
    pub calls: u32,
    /// Sequences to try after each setup.
    pub runs: u32,
}

impl Default for FuzzOptions {
    fn default() -> FuzzOptions {
        FuzzOptions { calls: 20, runs: 64 }
    }
}

/// One entry point the fuzzer may call.
struct Target {
    /// Index into the setup ledger's deployed contracts.
    deployed: usize,
    label: String,
    method: String,
    params: Vec<AbiType>,
    types: TypeDefs,
}

/// A call in a sequence: which target, which caller, perhaps a
/// co-signer (for two-party entry points), which arguments.
type Step = (usize, usize, Option<usize>, Vec<Value>);

/// Values of `ty` for fuzzing: small numbers more often than huge ones,
/// addresses from the pool, short printable strings. `None` for types the
/// fuzzer does not generate (then the entry point is left out).
fn arg_strategy(
    ty: &AbiType,
    defs: &TypeDefs,
    pool: &[[u8; 20]],
    dict: &Dictionary,
    depth: u32,
) -> Option<BoxedStrategy<Value>> {
    let base = fresh_strategy(ty, defs, pool, dict, depth)?;
    // Values the setup used successfully (a year, an exhibit's hash, a
    // share class) make the fuzzer's calls get past the contract's checks.
    match dict.get(ty) {
        Some(seen) if !seen.is_empty() => {
            Some(prop_oneof![2 => proptest::sample::select(seen.clone()), 1 => base].boxed())
        }
        _ => Some(base),
    }
}

/// Argument values the setup's successful calls used, by type.
type Dictionary = std::collections::HashMap<AbiType, Vec<Value>>;

fn fresh_strategy(
    ty: &AbiType,
    defs: &TypeDefs,
    pool: &[[u8; 20]],
    dict: &Dictionary,
    depth: u32,
) -> Option<BoxedStrategy<Value>> {
    if depth > 4 {
        return None;
    }
    let small = 0u64..1000;
    Some(match ty {
        AbiType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        AbiType::U8 => any::<u8>().prop_map(Value::U8).boxed(),
        AbiType::U32 => prop_oneof![3 => 0u32..100, 1 => any::<u32>()].prop_map(Value::U32).boxed(),
        AbiType::U64 => prop_oneof![3 => small, 1 => any::<u64>()].prop_map(Value::U64).boxed(),
        AbiType::I64 => prop_oneof![3 => -1000i64..1000, 1 => any::<i64>()].prop_map(Value::I64).boxed(),
        AbiType::Timestamp => (1_600_000_000u64..1_800_000_000).prop_map(Value::Timestamp).boxed(),
        AbiType::Decimal => prop_oneof![
            3 => (-100_000i64..1_000_000).prop_map(|c| Decimal::from_raw(i128::from(c) * 10_000_000_000_000_000)),
            1 => any::<i64>().prop_map(|r| Decimal::from_raw(i128::from(r) * 1_000)),
        ]
        .prop_map(Value::Decimal)
        .boxed(),
        AbiType::String => "[a-zA-Z0-9 -]{0,12}".prop_map(Value::String).boxed(),
        AbiType::Bytes => proptest::collection::vec(any::<u8>(), 0..16).prop_map(Value::Bytes).boxed(),
        AbiType::Hash => prop_oneof![
            // A few fixed hashes make repeats (the same exhibit twice) likely.
            3 => (0u8..4).prop_map(|n| [n; 32]),
            1 => any::<[u8; 32]>(),
        ]
        .prop_map(Value::Hash)
        .boxed(),
        AbiType::Address => {
            let pool = pool.to_vec();
            if pool.is_empty() {
                return None;
            }
            prop_oneof![9 => proptest::sample::select(pool), 1 => Just([0u8; 20])].prop_map(Value::Address).boxed()
        }
        AbiType::Date => (0i32..30_000).prop_filter_map("a date", |d| Date::from_days(d).map(Value::Date)).boxed(),
        AbiType::Unit => Just(Value::Unit).boxed(),
        // Past the depth limit an option is `None` and a list is empty, so
        // that values of recursive types (a struct holding a list of
        // itself) stay finite.
        AbiType::Option(inner) => match arg_strategy(inner, defs, pool, dict, depth + 1) {
            Some(inner) => {
                prop_oneof![Just(Value::Option(None)), inner.prop_map(|v| Value::Option(Some(Box::new(v))))].boxed()
            }
            None => Just(Value::Option(None)).boxed(),
        },
        AbiType::List(inner) => match arg_strategy(inner, defs, pool, dict, depth + 1) {
            Some(inner) => proptest::collection::vec(inner, 0..4).prop_map(Value::List).boxed(),
            None => Just(Value::List(Vec::new())).boxed(),
        },
        AbiType::Tuple(parts) => {
            let parts: Option<Vec<_>> = parts.iter().map(|p| arg_strategy(p, defs, pool, dict, depth + 1)).collect();
            parts?.prop_map(Value::Tuple).boxed()
        }
        AbiType::Named(name) => match defs.get(name)? {
            Defined::Struct(fields) => {
                let fields: Option<Vec<_>> =
                    fields.iter().map(|(_, t)| arg_strategy(t, defs, pool, dict, depth + 1)).collect();
                fields?.prop_map(Value::Struct).boxed()
            }
            Defined::Enum(variants) => {
                let mut options = Vec::new();
                // Variants that cannot be generated here (an enum holding
                // itself, past the depth limit) are left out.
                for (index, (_, fields)) in variants.iter().enumerate() {
                    let fields: Option<Vec<_>> =
                        fields.iter().map(|t| arg_strategy(t, defs, pool, dict, depth + 1)).collect();
                    let variant = index as u32;
                    if let Some(fields) = fields {
                        options.push(fields.prop_map(move |fields| Value::Enum { variant, fields }).boxed());
                    }
                }
                if options.is_empty() {
                    return None;
                }
                proptest::strategy::Union::new(options).boxed()
            }
        },
        _ => return None,
    })
}

/// A value as Writ source, for the printed reproduction. Known accounts
/// are written `account("name")`.
fn literal(
    value: &Value,
    ty: &AbiType,
    defs: &TypeDefs,
    names: &dyn Fn(&[u8; 20]) -> Option<String>,
) -> String {
    let list = |items: &[Value], tys: &dyn Fn(usize) -> AbiType| {
        items.iter().enumerate().map(|(i, v)| literal(v, &tys(i), defs, names)).collect::<Vec<_>>().join(", ")
    };
    match value {
        Value::Address(a) => match names(a) {
            Some(name) => format!("account({name:?})"),
            None => format!("0x{}", a.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        },
        Value::Hash(h) => format!("0x{}", h.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        Value::Decimal(d) => {
            let text = d.to_string();
            if text.contains('.') { text } else { format!("{text}.0") }
        }
        Value::Date(d) => {
            let (y, m, day) = d.ymd();
            format!("date({y}, {m}, {day})")
        }
        Value::Option(None) => "None".to_string(),
        Value::Option(Some(v)) => {
            let inner = match ty {
                AbiType::Option(t) => (**t).clone(),
                _ => AbiType::Unit,
            };
            format!("Some({})", literal(v, &inner, defs, names))
        }
        Value::List(items) => {
            let elem = match ty {
                AbiType::List(t) => (**t).clone(),
                _ => AbiType::Unit,
            };
            format!("[{}]", list(items, &|_| elem.clone()))
        }
        Value::Tuple(items) => {
            let parts = match ty {
                AbiType::Tuple(p) => p.clone(),
                _ => Vec::new(),
            };
            let comma = if items.len() == 1 { "," } else { "" };
            format!("({}{comma})", list(items, &|i| parts.get(i).cloned().unwrap_or(AbiType::Unit)))
        }
        other => writ_abi::value::render(other, ty, defs),
    }
}

/// Fuzzes from test `case` as the setup; `None` when it deploys nothing
/// with invariants or specs (there is nothing to check).
pub(crate) fn fuzz_from(
    prepared: &Prepared,
    case: &TestCase,
    options: &crate::RunOptions,
    fuzz: FuzzOptions,
    file: &str,
    source: &str,
) -> Option<CaseOutcome> {
    let env = &prepared.env;
    let (setup, ledger) = prepared.run_keeping_ledger(&case.entry, &[]);
    if setup.failure.is_some() {
        return None;
    }
    let with_invariants: Vec<usize> = ledger
        .deployed
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            env.invariants.iter().any(|i| i.contract == d.code)
                || env.specs.iter().any(|s| s.contract == d.code)
        })
        .map(|(i, _)| i)
        .collect();
    if with_invariants.is_empty() {
        return None;
    }
    // The pool: every named test account the setup used (admin included).
    let pool: Vec<([u8; 20], String)> =
        ledger.names.iter().filter(|(_, n)| !n.contains('#')).map(|(a, n)| (*a, n.clone())).collect();
    let addresses: Vec<[u8; 20]> = pool.iter().map(|(a, _)| *a).collect();
    let mut dictionary = Dictionary::new();
    for (code, method, bytes) in &ledger.successful_args {
        let Some((_, abi)) = env.contracts.get(*code) else { continue };
        let Some(entry) = abi.entry(method) else { continue };
        let types: Vec<AbiType> = entry.params.iter().map(|p| p.ty.clone()).collect();
        let Ok(Value::Tuple(values)) =
            writ_abi::decode_value(&AbiType::Tuple(types.clone()), bytes, &abi.types)
        else {
            continue;
        };
        for (ty, value) in types.into_iter().zip(values) {
            let seen = dictionary.entry(ty).or_default();
            if !seen.contains(&value) && seen.len() < 64 {
                seen.push(value);
            }
        }
    }
    let mut targets = Vec::new();
    let mut strategies: Vec<BoxedStrategy<Vec<Value>>> = Vec::new();
    let mut callers: Vec<Vec<usize>> = Vec::new();
    for index in with_invariants {
        let Some(deployed) = ledger.deployed.get(index) else { continue };
        let Some((_, abi)) = env.contracts.get(deployed.code) else { continue };
        for entry in abi.entry_points.iter().filter(|e| e.kind == EntryKind::Call && !e.generated) {
            let params: Vec<AbiType> = entry.params.iter().map(|p| p.ty.clone()).collect();
            let args: Option<Vec<_>> =
                params.iter().map(|t| arg_strategy(t, &abi.types, &addresses, &dictionary, 0)).collect();
            let Some(args) = args else { continue };
            strategies.push(args.boxed());
            // Callers: mostly accounts holding a role the entry point
            // requires (so calls get past the role check), sometimes anyone.
            let roles: Vec<u32> = entry
                .requires
                .iter()
                .filter_map(|r| abi.roles.iter().position(|x| x == r).map(|i| i as u32))
                .collect();
            let holders: Vec<usize> = (0..addresses.len())
                .filter(|i| {
                    addresses.get(*i).is_some_and(|a| {
                        let storage = ledger.world.storage_of(&deployed.address);
                        roles.iter().any(|r| {
                            storage
                                .is_some_and(|s| s.entries.contains_key(&writ_abi::host::keys::role(*r, a)))
                        })
                    })
                })
                .collect();
            callers.push(holders);
            targets.push(Target {
                deployed: index,
                label: deployed.label.clone(),
                method: entry.name.clone(),
                params,
                types: abi.types.clone(),
            });
        }
    }
    if targets.is_empty() || addresses.is_empty() {
        return None;
    }
    let everyone = addresses.len();
    let step = (0..targets.len()).prop_flat_map(move |t| {
        let args = strategies.get(t).cloned().unwrap_or_else(|| Just(Vec::new()).boxed());
        let caller = match callers.get(t) {
            Some(holders) if !holders.is_empty() => {
                prop_oneof![9 => proptest::sample::select(holders.clone()), 1 => 0..everyone].boxed()
            }
            _ => (0..everyone).boxed(),
        };
        let cosigner = prop_oneof![3 => Just(None), 1 => (0..everyone).prop_map(Some)];
        (Just(t), caller, cosigner, args)
    });
    let sequences = proptest::collection::vec(step, 1..=fuzz.calls.max(1) as usize);
    let seed = crate::property::seed_for(&format!("fuzz:{}", case.name), options);
    let config = Config {
        cases: fuzz.runs.max(1),
        failure_persistence: None,
        max_shrink_iters: 20_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, crate::property::rng(seed));
    let calls_made = Cell::new(0u64);
    let calls_succeeded = Cell::new(0u64);
    let run_sequence = |sequence: &[Step]| -> Result<(), crate::Failure> {
        let (_, mut ledger) = prepared.run_keeping_ledger(&case.entry, &[]);
        for (t, c, co, args) in sequence {
            let (Some(target), Some(caller)) = (targets.get(*t), addresses.get(*c)) else { continue };
            let cosigners: Vec<[u8; 20]> = co.and_then(|i| addresses.get(i).copied()).into_iter().collect();
            let Some(address) = ledger.deployed.get(target.deployed).map(|d| d.address) else { continue };
            let types = AbiType::Tuple(target.params.clone());
            let Ok(bytes) = writ_abi::encode_value(&types, &Value::Tuple(args.clone()), &target.types) else {
                continue;
            };
            let handle = Handle { contract: address, caller: *caller, cosigners };
            calls_made.set(calls_made.get() + 1);
            let (report, _) = call(&mut ledger, env, &handle, &target.method, &bytes)?;
            if matches!(report.outcome, writ_vm::Outcome::Success(_)) {
                calls_succeeded.set(calls_succeeded.get() + 1);
            }
        }
        Ok(())
    };
    let result = runner.run(&sequences, |sequence: Vec<Step>| {
        run_sequence(&sequence).map_err(|failure| TestCaseError::fail(failure.message))
    });
    match result {
        Ok(()) => Some(CaseOutcome::Fuzzed {
            sequences: fuzz.runs.max(1),
            calls: calls_made.get(),
            succeeded: calls_succeeded.get(),
        }),
        Err(TestError::Fail(_, minimal)) => {
            // proptest shrinks arguments well but keeps calls a later call
            // no longer needs: drop any call whose removal still fails.
            let mut minimal = minimal;
            let mut i = 0;
            while i < minimal.len() && minimal.len() > 1 {
                let mut shorter = minimal.clone();
                shorter.remove(i);
                if run_sequence(&shorter).is_err() {
                    minimal = shorter;
                    i = 0;
                } else {
                    i += 1;
                }
            }
            // Replay the smallest sequence for its trace and message.
            let (_, mut ledger) = prepared.run_keeping_ledger(&case.entry, &[]);
            let setup_calls = ledger.trace.len();
            ledger.trace.clear();
            let mut failure = None;
            for (t, c, co, args) in &minimal {
                let (Some(target), Some(caller)) = (targets.get(*t), addresses.get(*c)) else { continue };
                let cosigners: Vec<[u8; 20]> =
                    co.and_then(|i| addresses.get(i).copied()).into_iter().collect();
                let Some(address) = ledger.deployed.get(target.deployed).map(|d| d.address) else { continue };
                let types = AbiType::Tuple(target.params.clone());
                let Ok(bytes) = writ_abi::encode_value(&types, &Value::Tuple(args.clone()), &target.types)
                else {
                    continue;
                };
                let handle = Handle { contract: address, caller: *caller, cosigners };
                if let Err(f) = call(&mut ledger, env, &handle, &target.method, &bytes) {
                    failure = Some(f);
                    break;
                }
            }
            let failure = failure.unwrap_or(crate::Failure {
                site: None,
                message: "an invariant or spec broke while shrinking, but the smallest sequence holds when replayed"
                    .into(),
            });
            let trace: Vec<String> = ledger.trace.drain(..).map(|t| t.line).collect();
            let mut explained = prepared.explain(file, source, failure, trace);
            explained.inputs = Some(format!("{} call(s) after the setup's {setup_calls}", minimal.len()));
            explained.seed = Some(seed);
            explained.reproduction = Some(reproduction(case, source, &minimal, &targets, &pool));
            Some(CaseOutcome::Failed(Box::new(explained)))
        }
        Err(TestError::Abort(reason)) => Some(CaseOutcome::Failed(Box::new(CaseFailure {
            message: format!("fuzzing could not run: {reason}"),
            location: None,
            trace: Vec::new(),
            inputs: None,
            seed: Some(seed),
            reproduction: None,
        }))),
    }
}

/// The failing sequence as a Writ test: the setup's body, then the calls.
fn reproduction(
    case: &TestCase,
    source: &str,
    sequence: &[Step],
    targets: &[Target],
    pool: &[([u8; 20], String)],
) -> String {
    let body = body_lines(case, source);
    let bindings = deploy_bindings(&body);
    let names = |a: &[u8; 20]| pool.iter().find(|(p, _)| p == a).map(|(_, n)| n.clone());
    let mut out = format!("test \"{} (found by writ test --fuzz)\" {{\n", case.name.replace('"', "'"));
    out.push_str(&body);
    out.push_str("    // the calls that break the invariant or spec:\n");
    for (t, c, co, args) in sequence {
        let (Some(target), Some((_, caller))) = (targets.get(*t), pool.get(*c)) else { continue };
        let signed = match co.and_then(|i| pool.get(i)) {
            Some((_, name)) => format!(".signed_by(account({name:?}))"),
            None => String::new(),
        };
        let handle = bindings
            .get(target.deployed)
            .cloned()
            .unwrap_or_else(|| format!("/* {} */ handle", target.label));
        let shown: Vec<String> =
            args.iter().zip(&target.params).map(|(v, ty)| literal(v, ty, &target.types, &names)).collect();
        out.push_str(&format!(
            "    {handle}.from(account({caller:?})){signed}.{}({});\n",
            target.method,
            shown.join(", ")
        ));
    }
    out.push('}');
    out
}
