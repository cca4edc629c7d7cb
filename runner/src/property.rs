//! Properties: generated inputs (from each parameter's type and `in a..b`
//! range), shrinking of a failure to a small case, and seeds that make
//! every run reproducible.
//!
//! Generation rules (docs/testing.md): integers over their whole range or
//! the given range; Decimals within ±10^15 unless ranged, half of them
//! with at most two decimal places; strings of up to 24 printable
//! characters; addresses of 20 random bytes; lists of up to 8 elements.
//! Unranged numbers shrink towards zero, ranged ones towards the start.

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use writ_abi::value::render;
use writ_abi::{AbiType, Decimal, TypeDefs, Value};
use writ_compiler::codegen::{PropertyParam, TestCase};

use crate::{CaseOutcome, GasRecord, Prepared, RunOptions};

/// Unranged Decimals stay within this many whole units either side of 0.
const DECIMAL_SPAN: i128 = 1_000_000_000_000_000;
/// 10^18: one Decimal unit in raw form.
const ONE: i128 = 1_000_000_000_000_000_000;

fn strategy(ty: &AbiType, range: Option<&(Value, Value)>) -> Option<BoxedStrategy<Value>> {
    Some(match (ty, range) {
        (AbiType::Bool, _) => any::<bool>().prop_map(Value::Bool).boxed(),
        (AbiType::U8, Some((Value::U8(lo), Value::U8(hi)))) if lo < hi => {
            (*lo..*hi).prop_map(Value::U8).boxed()
        }
        (AbiType::U8, _) => any::<u8>().prop_map(Value::U8).boxed(),
        (AbiType::U32, Some((Value::U32(lo), Value::U32(hi)))) if lo < hi => {
            (*lo..*hi).prop_map(Value::U32).boxed()
        }
        (AbiType::U32, _) => any::<u32>().prop_map(Value::U32).boxed(),
        (AbiType::U64, Some((Value::U64(lo), Value::U64(hi)))) if lo < hi => {
            (*lo..*hi).prop_map(Value::U64).boxed()
        }
        (AbiType::U64, _) => any::<u64>().prop_map(Value::U64).boxed(),
        (AbiType::I64, Some((Value::I64(lo), Value::I64(hi)))) if lo < hi => {
            (*lo..*hi).prop_map(Value::I64).boxed()
        }
        (AbiType::I64, _) => any::<i64>().prop_map(Value::I64).boxed(),
        (AbiType::U128, Some((Value::U128(lo), Value::U128(hi)))) if lo < hi => {
            (*lo..*hi).prop_map(Value::U128).boxed()
        }
        (AbiType::U128, _) => any::<u128>().prop_map(Value::U128).boxed(),
        (AbiType::I128, Some((Value::I128(lo), Value::I128(hi)))) if lo < hi => {
            (*lo..*hi).prop_map(Value::I128).boxed()
        }
        (AbiType::I128, _) => any::<i128>().prop_map(Value::I128).boxed(),
        (AbiType::Decimal, Some((Value::Decimal(lo), Value::Decimal(hi)))) if lo < hi => {
            let (lo, hi) = (lo.raw(), hi.raw());
            let cents = ONE / 100;
            let (lo_cents, hi_cents) = (lo.div_euclid(cents) + 1, hi.div_euclid(cents));
            let exact = (lo..hi).prop_map(|raw| Value::Decimal(Decimal::from_raw(raw)));
            if lo_cents < hi_cents {
                let round =
                    (lo_cents..hi_cents).prop_map(move |c| Value::Decimal(Decimal::from_raw(c * cents)));
                prop_oneof![round, exact].boxed()
            } else {
                exact.boxed()
            }
        }
        (AbiType::Decimal, _) => {
            let exact =
                any::<i128>().prop_map(|raw| Value::Decimal(Decimal::from_raw(raw % (DECIMAL_SPAN * ONE))));
            let round = any::<i64>().prop_map(|c| {
                let cents = i128::from(c) % (DECIMAL_SPAN * 100);
                Value::Decimal(Decimal::from_raw(cents * (ONE / 100)))
            });
            prop_oneof![round, exact].boxed()
        }
        (AbiType::String, _) => {
            proptest::string::string_regex("\\PC{0,24}").ok()?.prop_map(Value::String).boxed()
        }
        (AbiType::Address, _) => any::<[u8; 20]>().prop_map(Value::Address).boxed(),
        (AbiType::List(inner), _) => {
            proptest::collection::vec(strategy(inner, None)?, 0..=8).prop_map(Value::List).boxed()
        }
        _ => return None,
    })
}

/// The seed a property uses: the one given, or one derived from its name.
pub(crate) fn seed_for(name: &str, options: &RunOptions) -> u64 {
    options.seed.unwrap_or_else(|| {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(format!("writ-property:{name}").as_bytes());
        digest.get(..8).and_then(|b| b.try_into().ok()).map_or(0, u64::from_be_bytes)
    })
}

pub(crate) fn rng(seed: u64) -> TestRng {
    use sha2::Digest;
    let bytes: [u8; 32] = sha2::Sha256::digest(seed.to_be_bytes()).into();
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

fn show_inputs(params: &[PropertyParam], values: &[Value], defs: &TypeDefs) -> String {
    params
        .iter()
        .zip(values)
        .map(|(p, v)| format!("{} = {}", p.name, render(v, &p.ty, defs)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs a property's cases; on failure, shrinks and explains the smallest.
pub(crate) fn run(
    prepared: &Prepared,
    case: &TestCase,
    params: &[PropertyParam],
    options: &RunOptions,
    file: &str,
    source: &str,
) -> (CaseOutcome, Vec<GasRecord>) {
    let types: Vec<AbiType> = params.iter().map(|p| p.ty.clone()).collect();
    let defs = TypeDefs::default();
    let encode = |values: &[Value]| {
        writ_abi::encode_value(&AbiType::Tuple(types.clone()), &Value::Tuple(values.to_vec()), &defs)
    };
    let strategies: Option<Vec<BoxedStrategy<Value>>> =
        params.iter().map(|p| strategy(&p.ty, p.range.as_ref())).collect();
    let Some(strategies) = strategies else {
        let failure = crate::CaseFailure {
            message: "a parameter of this property cannot be generated".to_string(),
            location: None,
            trace: Vec::new(),
            inputs: None,
            seed: None,
            reproduction: None,
        };
        return (CaseOutcome::Failed(Box::new(failure)), Vec::new());
    };
    let seed = seed_for(&case.name, options);
    let config = Config { cases: options.cases.max(1), failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, rng(seed));
    let gas = RefCell::new(Vec::new());
    let cases = RefCell::new(0u32);
    let result = runner.run(&strategies, |values| {
        let args = encode(&values).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let run = prepared.run_case(&case.entry, &args);
        match run.failure {
            None => {
                gas.borrow_mut().extend(run.gas);
                *cases.borrow_mut() += 1;
                Ok(())
            }
            Some(failure) => Err(TestCaseError::fail(failure.message)),
        }
    });
    let gas = gas.into_inner();
    match result {
        Ok(()) => (CaseOutcome::Passed { cases: cases.into_inner() }, gas),
        Err(TestError::Fail(_, minimal)) => {
            // Run the smallest failing case again for its full story.
            let args = encode(&minimal).unwrap_or_default();
            let run = prepared.run_case(&case.entry, &args);
            let failure = run.failure.unwrap_or(crate::Failure {
                site: None,
                message: "the property failed while shrinking, but its smallest case passes when run again"
                    .into(),
            });
            let mut explained = prepared.explain(file, source, failure, run.trace);
            explained.inputs = Some(show_inputs(params, &minimal, &defs));
            explained.seed = Some(seed);
            (CaseOutcome::Failed(Box::new(explained)), gas)
        }
        Err(TestError::Abort(reason)) => {
            let failure = crate::CaseFailure {
                message: format!("the property could not run: {reason}"),
                location: None,
                trace: Vec::new(),
                inputs: None,
                seed: Some(seed),
                reproduction: None,
            };
            (CaseOutcome::Failed(Box::new(failure)), gas)
        }
    }
}
