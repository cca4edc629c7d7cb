//! The Writ side: contracts compiled from `bench/writ/*.writ` by the
//! project's compiler, run on the VM with gas metering, in a block session
//! (instances reused) or on a fresh instance per call.
//!
//! Like the rest of the harness (see `main.rs`), its `expect`s guard
//! fixed, generated inputs and the harness's own contracts: a failure is
//! a harness bug, stopped at once with its reason; no user input reaches it.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, PoisonError, RwLock};

use writ_abi::{AbiType, Decimal, TypeDefs, Value};
use writ_vm::state::Entry;
use writ_vm::{Call, CallContext, Contract, Outcome, Session, State, StateError, Success, Vm, Write};

/// The Writ sources, by contract name.
pub const SOURCES: [(&str, &str); 4] = [
    ("Spin", include_str!("../writ/spin.writ")),
    ("Token", include_str!("../writ/token.writ")),
    ("Tax", include_str!("../writ/tax.writ")),
    ("Evidence", include_str!("../writ/evidence.writ")),
];

/// Gas limit of every call: the VM's maximum, so no workload is cut short.
const GAS_LIMIT: u64 = writ_vm::limits::CALL_GAS_LIMIT_MAX;

/// Compiles one source file with the project's compiler; the module of its
/// one contract, or the diagnostics.
pub fn compile(name: &str, source: &str) -> Result<Vec<u8>, String> {
    let analysis = writ_compiler::Analysis::single(&format!("{name}.writ"), source);
    let built = writ_compiler::codegen::build_file(&analysis, writ_compiler::FileId(0));
    if !built.diagnostics.is_empty() {
        return Err(format!("{name}.writ does not compile: {:?}", built.diagnostics));
    }
    match built.artifacts.into_iter().next() {
        Some(artifact) => Ok(artifact.wasm),
        None => Err(format!("{name}.writ has no contract")),
    }
}

/// Canonical encoding of an argument tuple.
pub fn args(values: Vec<(AbiType, Value)>) -> Vec<u8> {
    let (types, values): (Vec<_>, Vec<_>) = values.into_iter().unzip();
    // The harness builds only well-typed tuples: a failure is a harness bug.
    writ_abi::encode_value(&AbiType::Tuple(types), &Value::Tuple(values), &TypeDefs::default())
        .expect("well-typed arguments")
}

pub fn decode(ty: AbiType, bytes: &[u8]) -> Value {
    // Cannot fail: the Writ contracts are this binary's own; their results have the declared type.
    writ_abi::decode_value(&ty, bytes, &TypeDefs::default()).expect("result of the declared type")
}

pub fn decimals(values: &[i128]) -> Value {
    Value::List(values.iter().map(|raw| Value::Decimal(Decimal::from_raw(*raw))).collect())
}

/// The context of a call from `caller` to the benchmark contract.
pub fn context(caller: [u8; 20]) -> CallContext {
    CallContext {
        contract: [0xC0; 20],
        caller,
        signers: vec![caller],
        block_time: 1_700_000_000,
        block_height: 1,
        gas_limit: GAS_LIMIT,
    }
}

/// Contract storage shared by the calls of a run, with each successful
/// call's writes applied as it ends, as the ledger does within a block
/// (`ledger/src/chain.rs`: a `BTreeMap` behind a lock).
#[derive(Debug, Default)]
pub struct Storage(RwLock<BTreeMap<Vec<u8>, Vec<u8>>>);

impl Storage {
    pub fn apply(&self, writes: &[Write]) {
        let mut entries = self.0.write().unwrap_or_else(PoisonError::into_inner);
        for write in writes {
            match &write.value {
                Some(value) => entries.insert(write.key.clone(), value.clone()),
                None => entries.remove(&write.key),
            };
        }
    }
}

impl State for Storage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.0.read().unwrap_or_else(PoisonError::into_inner).get(key).cloned())
    }

    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<Entry>, StateError> {
        let entries = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let lower = match after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        Ok(entries
            .range::<[u8], _>((lower, Bound::Unbounded))
            .next()
            .filter(|(key, _)| key.starts_with(prefix))
            .map(|(key, value)| (key.clone(), value.clone())))
    }
}

/// A successful call's result and gas; the harness aborts on any abort,
/// since every workload's inputs are valid.
pub struct Done {
    pub success: Success,
    pub gas: u64,
}

fn done(entry: &str, report: writ_vm::CallReport) -> Done {
    match report.outcome {
        Outcome::Success(success) => Done { success, gas: report.gas_used },
        Outcome::Aborted(abort) => panic!("Writ call {entry} aborted: {abort:?}"),
    }
}

/// A call on the session's reused instance.
pub fn call(
    session: &mut Session<'_>,
    contract: &Contract,
    entry: &str,
    args: &[u8],
    caller: [u8; 20],
    state: &Arc<dyn State>,
) -> Done {
    let call = Call { entry, args, context: context(caller), state: Arc::clone(state), directory: None };
    // Cannot fail: VmError means the VM failed, not the contract (aborts are outcomes); the harness's own modules.
    done(entry, session.call(contract, call).expect("the VM itself does not fail"))
}

/// A call on a fresh instance.
pub fn call_fresh(vm: &Vm, contract: &Contract, entry: &str, args: &[u8], state: &Arc<dyn State>) -> Done {
    let call = Call { entry, args, context: context([1; 20]), state: Arc::clone(state), directory: None };
    // Cannot fail: VmError means the VM failed, not the contract (aborts are outcomes); the harness's own modules.
    done(entry, vm.call(contract, call).expect("the VM itself does not fail"))
}
