//! The execution core's state transition over an in-memory world: a
//! deployment lands at the deployer's nonce address, a transaction with a
//! wrong nonce or an unknown contract changes nothing, and the sender's
//! nonce advances on every executed transaction while only a success's
//! writes and deployments are kept.

use std::sync::Arc;

use writ_abi::{AbiType, TypeDefs, Value};
use writ_compiler::codegen::build_file;
use writ_compiler::{Analysis, FileId};
use writ_vm::execute::{
    Action, BlockInfo, Executed, Execution, Skip, Transaction, contract_address, execute,
};
use writ_vm::{Abort, Contract, MemoryWorld, Outcome, Vm, VmOptions, World};

const GAS: u64 = 50_000_000;
const BLOCK: BlockInfo = BlockInfo { time: 1_700_000_000, height: 3 };
const ADMIN: [u8; 20] = [1; 20];
const OTHER: [u8; 20] = [2; 20];

fn token(vm: &Vm) -> Arc<Contract> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../runner/tests/exec/pass/token.writ");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let output = build_file(&Analysis::single("token.writ", &source), FileId(0));
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    let wasm = output.artifacts.into_iter().find(|a| a.contract == "Token").map(|a| a.wasm);
    vm.prepare(&wasm.unwrap_or_else(|| panic!("no Token"))).unwrap_or_else(|e| panic!("{e}"))
}

fn mint_args(to: [u8; 20], amount: u64) -> Vec<u8> {
    let types = AbiType::Tuple(vec![AbiType::Address, AbiType::U64]);
    let values = Value::Tuple(vec![Value::Address(to), Value::U64(amount)]);
    writ_abi::encode_value(&types, &values, &TypeDefs::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn run(world: &mut MemoryWorld, vm: &Vm, tx: &Transaction<'_>) -> Execution {
    execute(world, &mut &*vm, tx, BLOCK).unwrap_or_else(|e| panic!("{e}"))
}

fn executed(execution: Execution) -> Executed {
    match execution {
        Execution::Executed(executed) => executed,
        Execution::Skipped(skip) => panic!("skipped: {skip:?}"),
    }
}

fn nonce(world: &MemoryWorld, account: &[u8; 20]) -> u64 {
    world.nonce(account).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn transactions_change_the_world_as_the_node_does() {
    let vm = Vm::new(VmOptions::in_memory()).unwrap_or_else(|e| panic!("{e}"));
    let code = token(&vm);
    let mut world = MemoryWorld::new();
    let tx =
        |sender, nonce, gas_limit, action| Transaction { sender, nonce, cosigners: &[], gas_limit, action };
    let deploy = || Action::Deploy { code: Arc::clone(&code), args: &[] };

    let first = executed(run(&mut world, &vm, &tx(ADMIN, 0, GAS, deploy())));
    let token = contract_address(&ADMIN, 0);
    assert_eq!((first.contract, first.deployed), (token, true));
    assert!(world.contract(&token).unwrap_or_else(|e| panic!("{e}")).is_some());
    assert_eq!(nonce(&world, &ADMIN), 1);

    // A used nonce, a nonce that skips ahead, a call to nowhere: skipped,
    // and the nonce stays where it was.
    for stale in [0, 5] {
        let skipped = run(&mut world, &vm, &tx(ADMIN, stale, GAS, deploy()));
        assert_eq!(skipped, Execution::Skipped(Skip::Nonce { expected: 1 }));
    }
    let args = mint_args(OTHER, 5);
    let nowhere = Action::Call { contract: [9; 20], entry: "mint", args: &args };
    assert_eq!(run(&mut world, &vm, &tx(ADMIN, 1, GAS, nowhere)), Execution::Skipped(Skip::UnknownContract));
    assert_eq!(nonce(&world, &ADMIN), 1);

    // An abort keeps nothing but the used nonce.
    let before = world.storage_of(&token).cloned();
    let mint = Action::Call { contract: token, entry: "mint", args: &args };
    let refused = executed(run(&mut world, &vm, &tx(OTHER, 0, GAS, mint.clone())));
    assert!(matches!(refused.report.outcome, Outcome::Aborted(Abort::ContractAbort { .. })), "{refused:?}");
    assert_eq!(world.storage_of(&token).cloned(), before);
    assert_eq!(nonce(&world, &OTHER), 1);

    // A success's writes are kept.
    let minted = executed(run(&mut world, &vm, &tx(ADMIN, 1, GAS, mint)));
    assert!(matches!(minted.report.outcome, Outcome::Success(_)), "{minted:?}");
    assert_ne!(world.storage_of(&token).cloned(), before);
    assert_eq!(nonce(&world, &ADMIN), 2);

    // A deployment whose `init` aborts leaves no contract, but its nonce
    // (and so its address) is used.
    let starved = executed(run(&mut world, &vm, &tx(ADMIN, 2, 500, deploy())));
    assert_eq!(starved.report.outcome, Outcome::Aborted(Abort::OutOfGas));
    assert_eq!((starved.contract, starved.deployed), (contract_address(&ADMIN, 2), false));
    assert!(world.contract(&starved.contract).unwrap_or_else(|e| panic!("{e}")).is_none());
    assert_eq!(nonce(&world, &ADMIN), 3);

    // The last nonce cannot be used: there would be no next one.
    world.set_nonce(&OTHER, u64::MAX);
    let last = run(&mut world, &vm, &tx(OTHER, u64::MAX, GAS, deploy()));
    assert_eq!(last, Execution::Skipped(Skip::NoncesExhausted));
}
