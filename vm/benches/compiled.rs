//! Contracts compiled from Writ source (`benches/data/workloads.writ`) on
//! the VM, each beside the same algorithm in native Rust in this process:
//! a checked 64-bit loop, a token transfer, the seven-bracket income tax in
//! Decimal, and a warm view call. Prints time per operation and the ratio
//! to native.
//!
//! Run: `cargo bench -p writ-vm --bench compiled` (release profile).
// A benchmark harness over fixed, known-good workloads: a setup or result
// that fails is a bug in the harness, best stopped at once, never user input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use writ_abi::{AbiType, Decimal, Rounding, TypeDefs, Value};
use writ_vm::{Call, CallContext, MemoryState, Outcome, State, Vm, VmOptions};

/// Median nanoseconds per iteration over 5 runs of `n` iterations.
fn measure(n: u32, mut f: impl FnMut()) -> f64 {
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(n)
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[2]
}

fn report(name: &str, unit: &str, ns: f64, native: f64) {
    println!("{name:<40} {ns:>10.2} ns/{unit:<10} native {native:>8.2} ns   {:>7.2}x native", ns / native);
}

fn args(values: Vec<(AbiType, Value)>) -> Vec<u8> {
    let (types, values): (Vec<_>, Vec<_>) = values.into_iter().unzip();
    writ_abi::encode_value(&AbiType::Tuple(types), &Value::Tuple(values), &TypeDefs::default()).unwrap()
}

fn context(caller: u8) -> CallContext {
    CallContext {
        contract: [9; 20],
        caller: [caller; 20],
        signers: vec![[caller; 20]],
        block_time: 1_700_000_000,
        block_height: 1,
        gas_limit: 10_000_000_000,
    }
}

fn native_spin(n: u64) -> u64 {
    let mut x: u64 = 7;
    for i in 0..n {
        x = x.checked_mul(31).and_then(|v| v.checked_add(i)).unwrap() % 1_000_003;
    }
    x
}

/// A whole number or hundredths as a Decimal, at compile time.
const fn units(whole: i128, hundredths: i128) -> Decimal {
    Decimal::from_raw(whole * 1_000_000_000_000_000_000 + hundredths * 10_000_000_000_000_000)
}

const UPPERS: [Decimal; 6] = [
    units(36_000, 0),
    units(144_000, 0),
    units(300_000, 0),
    units(420_000, 0),
    units(660_000, 0),
    units(960_000, 0),
];
const RATES: [Decimal; 6] =
    [units(0, 3), units(0, 10), units(0, 20), units(0, 25), units(0, 30), units(0, 35)];
const TOP_RATE: Decimal = units(0, 45);

/// The same algorithm as `tax` in workloads.writ, on the reference Decimal.
fn native_tax(income: Decimal) -> Decimal {
    let mut due = Decimal::ZERO;
    let mut lower = Decimal::ZERO;
    for i in 0..6 {
        let upper = UPPERS[i];
        if income > lower {
            let part = income.min(upper).checked_sub(lower).unwrap().checked_mul(RATES[i]).unwrap();
            due = due.checked_add(part).unwrap();
        }
        lower = upper;
    }
    if income > lower {
        due = due.checked_add(income.checked_sub(lower).unwrap().checked_mul(TOP_RATE).unwrap()).unwrap();
    }
    due.round(2, Rounding::HalfEven).unwrap()
}

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/workloads.writ");
    let source = std::fs::read_to_string(&path).unwrap();
    let analysis = writ_compiler::Analysis::single("workloads.writ", &source);
    let built = writ_compiler::codegen::build_file(&analysis, writ_compiler::FileId(0));
    assert!(built.diagnostics.is_empty(), "{:?}", built.diagnostics);
    let wasm = &built.artifacts[0].wasm;

    let vm = Vm::new(VmOptions::in_memory()).unwrap();
    let contract = vm.prepare(wasm).unwrap();
    let mut session = vm.session();

    // State: account 1 holds plenty.
    let mut state = MemoryState::new();
    let fund = args(vec![(AbiType::Address, Value::Address([1; 20])), (AbiType::U64, Value::U64(1 << 40))]);
    let empty: Arc<dyn State> = Arc::new(MemoryState::new());
    let r = vm
        .call(
            &contract,
            Call { entry: "fund", args: &fund, context: context(1), state: empty, directory: None },
        )
        .unwrap();
    let Outcome::Success(s) = r.outcome else { panic!("fund failed") };
    state.apply(&s.writes);
    let state: Arc<dyn State> = Arc::new(state);

    let mut call = |entry: &str, a: &[u8], from: u8| -> Vec<u8> {
        let report = session
            .call(
                &contract,
                Call { entry, args: a, context: context(from), state: Arc::clone(&state), directory: None },
            )
            .unwrap();
        match report.outcome {
            Outcome::Success(s) => s.result,
            Outcome::Aborted(a) => panic!("{entry}: {a:?}"),
        }
    };

    println!("compiled Writ on the VM (gas metering on) vs native Rust, median of 5\n");

    // 1. Checked 64-bit loop.
    let n: u64 = 1_000_000;
    let spin_args = args(vec![(AbiType::U64, Value::U64(n))]);
    let result = call("spin", &spin_args, 1);
    assert_eq!(result, native_spin(n).to_be_bytes().to_vec(), "results differ");
    let vm_ns = measure(5, || {
        black_box(call("spin", &spin_args, 1));
    }) / n as f64;
    let native_ns = measure(5, || {
        black_box(native_spin(black_box(n)));
    }) / n as f64;
    report("loop: x = (x * 31 + i) % 1000003", "iteration", vm_ns, native_ns);

    // 2. Token transfer (2 reads, 2 writes, 1 event).
    let transfer_args =
        args(vec![(AbiType::Address, Value::Address([2; 20])), (AbiType::U64, Value::U64(1))]);
    let vm_ns = measure(20_000, || {
        black_box(call("transfer", &transfer_args, 1));
    });
    let mut balances: BTreeMap<[u8; 20], u64> = BTreeMap::new();
    balances.insert([1; 20], 1 << 40);
    let native_ns = measure(20_000, || {
        let mut overlay = balances.clone();
        let from = *overlay.get(&[1; 20]).unwrap_or(&0);
        let to = *overlay.get(&[2; 20]).unwrap_or(&0);
        overlay.insert([1; 20], from - 1);
        overlay.insert([2; 20], to + 1);
        black_box((overlay, vec![[1u8; 20], [2u8; 20]]));
    });
    report("token transfer", "call", vm_ns, native_ns);

    // 3. Income tax in Decimal over seven brackets.
    let incomes: Vec<Decimal> = (0..64).map(|i| Decimal::from_int(i * 19_937 + 1_234).unwrap()).collect();
    for income in &incomes {
        let a = args(vec![(AbiType::Decimal, Value::Decimal(*income))]);
        let got =
            writ_abi::decode_value(&AbiType::Decimal, &call("tax", &a, 1), &TypeDefs::default()).unwrap();
        assert_eq!(got, Value::Decimal(native_tax(*income)), "tax differs for {income}");
    }
    let tax_args: Vec<Vec<u8>> =
        incomes.iter().map(|i| args(vec![(AbiType::Decimal, Value::Decimal(*i))])).collect();
    let mut k = 0;
    let vm_ns = measure(20_000, || {
        k = (k + 1) % tax_args.len();
        black_box(call("tax", &tax_args[k], 1));
    });
    let mut j = 0;
    let native_ns = measure(20_000, || {
        j = (j + 1) % incomes.len();
        black_box(native_tax(black_box(incomes[j])));
    });
    report("income tax, 7 brackets, Decimal", "computation", vm_ns, native_ns);

    // 3b. The same tax, 1 000 assessments inside one call: the compute
    // figure, without the per-call overhead the native loop does not pay.
    let batch: u64 = 1_000;
    let native_batch = |n: u64| {
        let mut total = Decimal::ZERO;
        for i in 0..n {
            let income = Decimal::from_int(i128::from(i * 19_937 + 1_234)).unwrap();
            total = total.checked_add(native_tax(black_box(income))).unwrap();
        }
        total
    };
    let batch_args = args(vec![(AbiType::U64, Value::U64(batch))]);
    let got =
        writ_abi::decode_value(&AbiType::Decimal, &call("tax_batch", &batch_args, 1), &TypeDefs::default())
            .unwrap();
    assert_eq!(got, Value::Decimal(native_batch(batch)), "batch tax differs");
    let vm_ns = measure(50, || {
        black_box(call("tax_batch", &batch_args, 1));
    }) / batch as f64;
    let native_ns = measure(50, || {
        black_box(native_batch(black_box(batch)));
    }) / batch as f64;
    report("income tax, 1 000 per call", "computation", vm_ns, native_ns);

    // 4. Warm view call: one storage read.
    let view_args = args(vec![(AbiType::Address, Value::Address([1; 20]))]);
    let vm_ns = measure(50_000, || {
        black_box(call("balance", &view_args, 1));
    });
    let native_ns = measure(50_000, || {
        black_box(balances.get(black_box(&[1; 20])).copied());
    });
    report("view call (one storage read)", "call", vm_ns, native_ns);
}
