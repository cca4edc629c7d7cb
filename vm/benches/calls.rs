//! Call benchmarks with a same-process native Rust baseline: a warm view
//! call, instantiate + call (on-demand and pooling allocators), and a
//! token-style transfer (2 storage reads, 2 writes, 1 event). Prints time
//! per call, calls per second and the ratio to native.
//!
//! Run: `cargo bench -p writ-vm --bench calls` (release profile).
// A benchmark harness over fixed, known-good workloads: a setup or result
// that fails is a bug in the harness, best stopped at once, never user input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use writ_vm::{Call, CallContext, InstanceAllocation, MemoryState, Outcome, State, Vm, VmOptions};

const COUNTER: &str = include_str!("../tests/data/counter.wat");
const TOKEN: &str = include_str!("../tests/data/token.wat");

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

fn context() -> CallContext {
    CallContext {
        contract: [9; 20],
        caller: [1; 20],
        signers: vec![[1; 20]],
        block_time: 1_700_000_000,
        block_height: 1,
        gas_limit: 10_000_000,
    }
}

fn report(name: &str, ns: f64, native_ns: Option<f64>) {
    let ratio = native_ns.map_or(String::new(), |native| format!("  {:>8.1}x native", ns / native));
    println!("{name:<46} {ns:>10.1} ns/call {:>12.0} calls/s{ratio}", 1e9 / ns);
}

fn balance_key(owner: u8) -> Vec<u8> {
    let mut key = vec![1, 0, 0, 0, 0];
    key.extend([owner; 20]);
    key
}

/// The native baseline of the transfer: same reads, writes and event
/// through the same `State` and a `BTreeMap` overlay.
/// Writes and events of the native transfer.
type Effects = (BTreeMap<Vec<u8>, Vec<u8>>, Vec<Vec<u8>>);

fn native_transfer(state: &MemoryState, args: &[u8]) -> Effects {
    let mut from_key = vec![1, 0, 0, 0, 0];
    from_key.extend(&args[..20]);
    let mut to_key = vec![1, 0, 0, 0, 0];
    to_key.extend(&args[20..40]);
    let amount = u64::from_be_bytes(args[40..48].try_into().unwrap());
    let read = |key: &[u8]| state.get(key).unwrap().map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
    let (from, to) = (read(&from_key), read(&to_key));
    assert!(from >= amount);
    let mut writes = BTreeMap::new();
    writes.insert(from_key, (from - amount).to_be_bytes().to_vec());
    writes.insert(to_key, (to + amount).to_be_bytes().to_vec());
    (writes, vec![args.to_vec()])
}

fn main() {
    let vm = Vm::new(VmOptions::in_memory()).unwrap();
    let counter = vm.prepare(&wat::parse_str(COUNTER).unwrap()).unwrap();
    let token = vm.prepare(&wat::parse_str(TOKEN).unwrap()).unwrap();
    let mut state = MemoryState::new();
    state.entries.insert(vec![1, 0, 0, 0, 0], 42u64.to_be_bytes().to_vec());
    state.entries.insert(balance_key(1), u64::MAX.to_be_bytes().to_vec());
    let state_arc: Arc<dyn State> = Arc::new(state.clone());
    let call = |entry: &'static str, args: &'static [u8]| Call {
        entry,
        args,
        context: context(),
        state: Arc::clone(&state_arc),
        directory: None,
    };

    println!("writ-vm call benchmarks (median of 5 runs)");
    // Native view: read the counter and encode it.
    let native_view = measure(1_000_000, || {
        let value = black_box(&state).get(black_box(&[1, 0, 0, 0, 0])).unwrap();
        black_box(value);
    });
    report("native view (BTreeMap read)", native_view, None);

    let mut session = vm.session();
    let unit = measure(200_000, || {
        black_box(session.call(&counter, call("unit", &[])).unwrap());
    });
    report("warm call, empty entry point (reused)", unit, None);
    let view = measure(200_000, || {
        black_box(session.call(&counter, call("get", &[])).unwrap());
    });
    report("warm view call, storage read (reused)", view, Some(native_view));

    let fresh = measure(20_000, || {
        black_box(vm.call(&counter, call("get", &[])).unwrap());
    });
    report("instantiate + view call (on-demand)", fresh, Some(native_view));
    let pooled_vm = Vm::new(VmOptions {
        allocation: InstanceAllocation::Pooling { instances: 16 },
        ..VmOptions::in_memory()
    })
    .unwrap();
    let pooled_counter = pooled_vm.prepare(&wat::parse_str(COUNTER).unwrap()).unwrap();
    let pooled = measure(20_000, || {
        black_box(pooled_vm.call(&pooled_counter, call("get", &[])).unwrap());
    });
    report("instantiate + view call (pooling)", pooled, Some(native_view));

    let mut args = vec![1u8; 20];
    args.extend([2u8; 20]);
    args.extend(5u64.to_be_bytes());
    let args: &'static [u8] = Box::leak(args.into_boxed_slice());
    let native = measure(200_000, || {
        black_box(native_transfer(black_box(&state), black_box(args)));
    });
    report("native transfer", native, None);
    let check = session.call(&token, call("transfer", args)).unwrap();
    assert!(matches!(check.outcome, Outcome::Success(_)), "{check:?}");
    println!("  (transfer gas used: {})", check.gas_used);
    let transfer = measure(200_000, || {
        black_box(session.call(&token, call("transfer", args)).unwrap());
    });
    report("token transfer (reused instance)", transfer, Some(native));
    let pooled_token = pooled_vm.prepare(&wat::parse_str(TOKEN).unwrap()).unwrap();
    let transfer_pooled = measure(20_000, || {
        black_box(pooled_vm.call(&pooled_token, call("transfer", args)).unwrap());
    });
    report("token transfer (fresh instance, pooling)", transfer_pooled, Some(native));
}
