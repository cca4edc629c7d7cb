//! No input makes the VM panic: random argument bytes into every entry
//! point of the test contracts, and random bytes and mutated modules at
//! deploy. Each call ends in a report, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use proptest::prelude::*;
use writ_vm::{Call, CallContext, MemoryState, Vm, VmOptions, validate};

fn context(gas_limit: u64) -> CallContext {
    CallContext {
        contract: [1; 20],
        caller: [2; 20],
        signers: vec![],
        block_time: 0,
        block_height: 0,
        gas_limit,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_arguments_never_panic(args in proptest::collection::vec(any::<u8>(), 0..128), pick in 0usize..32, gas in 0u64..2_000_000) {
        let vm = Vm::new(VmOptions::in_memory()).unwrap();
        let counter = vm.prepare(&wat::parse_str(include_str!("data/counter.wat")).unwrap()).unwrap();
        let token = vm.prepare(&wat::parse_str(include_str!("data/token.wat")).unwrap()).unwrap();
        let state = Arc::new(MemoryState::new());
        for contract in [&counter, &token] {
            let entries: Vec<&str> = contract.entry_points().filter(|e| *e != "recurse").collect();
            let entry = entries[pick % entries.len()];
            let report = vm.call(contract, Call { entry, args: &args, context: context(gas), state: state.clone(), directory: None }).unwrap();
            prop_assert!(report.gas_used <= gas);
        }
    }

    #[test]
    fn random_and_mutated_modules_never_panic(noise in proptest::collection::vec(any::<u8>(), 0..64), at in any::<usize>()) {
        let _ = validate(&noise);
        let mut module = wat::parse_str(include_str!("data/token.wat")).unwrap();
        let at = at % module.len();
        for (i, byte) in noise.iter().enumerate() {
            if let Some(b) = module.get_mut(at + i) { *b ^= byte; }
        }
        let vm = Vm::new(VmOptions::in_memory()).unwrap();
        if let Ok(contract) = vm.prepare(&module) {
            let entries: Vec<String> = contract.entry_points().map(str::to_string).collect();
            for entry in &entries {
                let state = Arc::new(MemoryState::new());
                let _ = vm.call(&contract, Call { entry, args: &noise, context: context(100_000), state, directory: None });
            }
        }
    }
}
