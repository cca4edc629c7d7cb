//! Calls through the real VM on hand-written modules that follow
//! abi/src/host.rs: results, storage writes and events, aborts of every
//! kind, ordered iteration, and determinism of results and gas.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use writ_abi::host::AbortCode;
use writ_vm::{
    Abort, ArgumentsProblem, Call, CallContext, CallReport, Contract, GuestTrap, MemoryState, Outcome,
    Resource, Vm, VmOptions, Write,
};

const COUNTER: &str = include_str!("data/counter.wat");
const TOKEN: &str = include_str!("data/token.wat");
const GAS: u64 = 10_000_000;

fn vm() -> Vm {
    Vm::new(VmOptions::in_memory()).unwrap()
}

fn contract(vm: &Vm, wat: &str) -> Arc<Contract> {
    vm.prepare(&wat::parse_str(wat).unwrap()).unwrap()
}

fn context(gas_limit: u64) -> CallContext {
    CallContext {
        contract: [0xC0; 20],
        caller: [0xAA; 20],
        signers: vec![[0xAA; 20]],
        block_time: 1_700_000_000,
        block_height: 7,
        gas_limit,
    }
}

fn call_with(
    vm: &Vm,
    contract: &Contract,
    entry: &str,
    args: &[u8],
    state: &MemoryState,
    gas: u64,
) -> CallReport {
    let state = Arc::new(state.clone());
    vm.call(contract, Call { entry, args, context: context(gas), state, directory: None }).unwrap()
}

fn call(vm: &Vm, contract: &Contract, entry: &str, args: &[u8], state: &MemoryState) -> CallReport {
    call_with(vm, contract, entry, args, state, GAS)
}

fn success(report: &CallReport) -> &writ_vm::Success {
    match &report.outcome {
        Outcome::Success(success) => success,
        Outcome::Aborted(abort) => panic!("expected success, got {abort:?}"),
    }
}

fn aborted(report: &CallReport) -> &Abort {
    match &report.outcome {
        Outcome::Aborted(abort) => abort,
        Outcome::Success(success) => panic!("expected an abort, got {success:?}"),
    }
}

fn counter_key() -> Vec<u8> {
    writ_abi::host::keys::field(0)
}

#[test]
fn increment_returns_the_new_value_with_its_write_and_event() {
    let vm = vm();
    let counter = contract(&vm, COUNTER);
    let mut state = MemoryState::new();
    let report = call(&vm, &counter, "increment", &5u64.to_be_bytes(), &state);
    let done = success(&report);
    assert_eq!(done.result, 5u64.to_be_bytes());
    assert_eq!(done.writes, vec![Write { key: counter_key(), value: Some(5u64.to_be_bytes().to_vec()) }]);
    assert_eq!(done.events.len(), 1);
    assert_eq!(done.events[0].index, 0);
    assert_eq!(done.events[0].data, 5u64.to_be_bytes());
    assert!(report.gas_used > 1_000, "host charges are counted: {}", report.gas_used);
    state.apply(&done.writes);
    let again = call(&vm, &counter, "increment", &3u64.to_be_bytes(), &state);
    assert_eq!(success(&again).result, 8u64.to_be_bytes());
    state.apply(&success(&again).writes);
    let view = call(&vm, &counter, "get", &[], &state);
    assert_eq!(success(&view).result, 8u64.to_be_bytes());
    assert!(success(&view).writes.is_empty() && success(&view).events.is_empty());
}

#[test]
fn unit_result_is_empty() {
    let vm = vm();
    let counter = contract(&vm, COUNTER);
    let report = call(&vm, &counter, "unit", &[], &MemoryState::new());
    assert_eq!(success(&report).result, Vec::<u8>::new());
}

#[test]
fn an_abort_keeps_no_write_and_no_event_and_carries_its_data() {
    let vm = vm();
    let counter = contract(&vm, COUNTER);
    let report = call(&vm, &counter, "write_then_fail", &[], &MemoryState::new());
    assert_eq!(
        aborted(&report),
        &Abort::ContractAbort { code: AbortCode::Require, data: b"too big".to_vec() }
    );
    assert!(report.gas_used > 0);
}

#[test]
fn wrong_argument_length_aborts_through_the_contract() {
    let vm = vm();
    let counter = contract(&vm, COUNTER);
    let report = call(&vm, &counter, "increment", &[1, 2, 3], &MemoryState::new());
    assert!(matches!(aborted(&report), Abort::ContractAbort { code: AbortCode::Require, .. }));
}

#[test]
fn infinite_loop_runs_out_of_gas_using_exactly_the_limit() {
    let vm = vm();
    let counter = contract(&vm, COUNTER);
    let report = call_with(&vm, &counter, "spin", &[], &MemoryState::new(), 200_000);
    assert_eq!(aborted(&report), &Abort::OutOfGas);
    assert_eq!(report.gas_used, 200_000);
}

#[test]
fn a_host_charge_beyond_the_limit_is_out_of_gas() {
    let vm = vm();
    let counter = contract(&vm, COUNTER);
    // Enough for the Wasm before storage_write, not for its charge.
    let report = call_with(&vm, &counter, "write_then_fail", &[], &MemoryState::new(), 500);
    assert_eq!(aborted(&report), &Abort::OutOfGas);
    assert_eq!(report.gas_used, 500);
}

#[test]
fn unbounded_recursion_hits_the_stack_limit() {
    let vm = vm();
    let counter = contract(&vm, COUNTER);
    let report = call_with(&vm, &counter, "recurse", &[], &MemoryState::new(), 1_000_000_000);
    assert_eq!(aborted(&report), &Abort::StackLimit);
    assert!(report.gas_used < 1_000_000_000);
}

#[test]
fn a_4_gib_memory_grow_is_refused_and_reported() {
    let vm = vm();
    let counter = contract(&vm, COUNTER);
    let report = call(&vm, &counter, "grow_4gib", &[], &MemoryState::new());
    assert_eq!(aborted(&report), &Abort::ResourceLimit { what: Resource::Memory });
    let report = call(&vm, &counter, "grow_then_trap", &[], &MemoryState::new());
    assert_eq!(aborted(&report), &Abort::MemoryLimit);
    let report = call(&vm, &counter, "grow_to_limit", &[], &MemoryState::new());
    success(&report);
}

#[test]
fn guest_faults_are_named() {
    let vm = vm();
    let counter = contract(&vm, COUNTER);
    let state = MemoryState::new();
    let cases = [
        ("bad_result", GuestTrap::ResultOutOfBounds),
        ("bad_pointer", GuestTrap::HostPointerOutOfBounds),
        ("bad_abort_code", GuestTrap::UnknownAbortCode),
        ("divide_by_zero", GuestTrap::IntegerDivisionByZero),
    ];
    for (entry, what) in cases {
        let report = call(&vm, &counter, entry, &[], &state);
        assert_eq!(aborted(&report), &Abort::GuestTrap { what }, "{entry}");
    }
}

#[test]
fn calls_refused_before_running() {
    let vm = vm();
    let counter = contract(&vm, COUNTER);
    let state = MemoryState::new();
    let report = call(&vm, &counter, "nope", &[], &state);
    assert_eq!((aborted(&report), report.gas_used), (&Abort::UnknownEntryPoint, 0));
    let big = vec![0u8; writ_vm::limits::ARGS_BYTES_MAX as usize + 1];
    let report = call(&vm, &counter, "get", &big, &state);
    assert_eq!(aborted(&report), &Abort::InvalidArguments { why: ArgumentsProblem::TooLong });
    let report = call_with(&vm, &counter, "get", &[], &state, writ_vm::limits::CALL_GAS_LIMIT_MAX + 1);
    assert_eq!(aborted(&report), &Abort::InvalidArguments { why: ArgumentsProblem::GasLimitTooHigh });
}

#[test]
fn storage_next_iterates_the_overlay_merged_with_state_in_key_order() {
    let vm = vm();
    let counter = contract(&vm, COUNTER);
    let mut state = MemoryState::new();
    for (key, value) in
        [(b"\x02a", b"A"), (b"\x02b", b"B"), (b"\x02c", b"C"), (b"\x02d", b"D"), (b"\x03a", b"Z")]
    {
        state.entries.insert(key.to_vec(), value.to_vec());
    }
    state.entries.insert(b"\x01".to_vec(), b"before".to_vec());
    let report = call(&vm, &counter, "scan", &[], &state);
    let mut expected = Vec::new();
    for (key, value) in [(&b"\x02a"[..], &b"A"[..]), (b"\x02b", b"xy"), (b"\x02d", b"D"), (b"\x02e", b"xy")] {
        expected.extend((key.len() as u32).to_be_bytes());
        expected.extend(key);
        expected.extend(value);
    }
    let done = success(&report);
    assert_eq!(done.result, expected);
    let keys: Vec<_> = done.writes.iter().map(|w| (w.key.clone(), w.value.is_some())).collect();
    assert_eq!(keys, vec![(b"\x02b".to_vec(), true), (b"\x02c".to_vec(), false), (b"\x02e".to_vec(), true)]);
}

#[test]
fn hashes_and_context() {
    use sha2::Digest;
    let vm = vm();
    let counter = contract(&vm, COUNTER);
    let report = call(&vm, &counter, "hashes", b"abc", &MemoryState::new());
    let result = &success(&report).result;
    assert_eq!(&result[..32], sha2::Sha256::digest(b"abc").as_slice());
    // GB/T 32905 test vector for "abc".
    let sm3_abc = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0";
    let hex: String = result[32..].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, sm3_abc);
    let report = call(&vm, &counter, "who_when", &[], &MemoryState::new());
    let result = &success(&report).result;
    assert_eq!(&result[..20], &[0xAA; 20]);
    assert_eq!(result[20..], 1_700_000_000u64.to_be_bytes());
}

fn transfer_args(from: u8, to: u8, amount: u64) -> Vec<u8> {
    let mut args = vec![from; 20];
    args.extend([to; 20]);
    args.extend(amount.to_be_bytes());
    args
}

fn balance_key(owner: u8) -> Vec<u8> {
    let mut key = writ_abi::host::keys::field(0);
    key.extend([owner; 20]);
    key
}

#[test]
fn token_transfer_moves_balance_and_refuses_overdraft() {
    let vm = vm();
    let token = contract(&vm, TOKEN);
    let mut state = MemoryState::new();
    state.entries.insert(balance_key(1), 100u64.to_be_bytes().to_vec());
    let report = call(&vm, &token, "transfer", &transfer_args(1, 2, 30), &state);
    let done = success(&report);
    assert_eq!(done.writes.len(), 2);
    assert_eq!(done.events[0].data, transfer_args(1, 2, 30));
    state.apply(&done.writes);
    let balance = call(&vm, &token, "balance", &[2; 20], &state);
    assert_eq!(success(&balance).result, 30u64.to_be_bytes());
    let overdraft = call(&vm, &token, "transfer", &transfer_args(1, 2, 71), &state);
    assert_eq!(
        aborted(&overdraft),
        &Abort::ContractAbort { code: AbortCode::Require, data: b"insufficient".to_vec() }
    );
}

#[test]
fn same_call_same_report_across_calls_sessions_and_fresh_engines() {
    let first = vm();
    let counter = contract(&first, COUNTER);
    let token = contract(&first, TOKEN);
    let mut state = MemoryState::new();
    state.entries.insert(balance_key(1), 100u64.to_be_bytes().to_vec());
    let runs: Vec<(&Arc<Contract>, &str, Vec<u8>)> = vec![
        (&counter, "increment", 9u64.to_be_bytes().to_vec()),
        (&counter, "scan", vec![]),
        (&counter, "write_then_fail", vec![]),
        (&token, "transfer", transfer_args(1, 2, 30)),
        (&counter, "hashes", b"determinism".to_vec()),
    ];
    let reports: Vec<_> = runs.iter().map(|(c, entry, args)| call(&first, c, entry, args, &state)).collect();
    // Repeated on the same VM.
    for ((c, entry, args), report) in runs.iter().zip(&reports) {
        assert_eq!(&call(&first, c, entry, args, &state), report, "{entry} repeated");
    }
    // On a fresh engine.
    let second = vm();
    for ((c, entry, args), report) in runs.iter().zip(&reports) {
        let again = second.prepare(
            &wat::parse_str(if c.code_hash == counter.code_hash { COUNTER } else { TOKEN }).unwrap(),
        );
        assert_eq!(&call(&second, &again.unwrap(), entry, args, &state), report, "{entry} on a fresh engine");
    }
    // In a session reusing instances, twice over.
    let mut session = first.session();
    for _ in 0..2 {
        for ((c, entry, args), report) in runs.iter().zip(&reports) {
            let arc_state = Arc::new(state.clone());
            let call = Call { entry, args, context: context(GAS), state: arc_state, directory: None };
            assert_eq!(&session.call(c, call).unwrap(), report, "{entry} in a session");
        }
    }
}

#[test]
fn disk_cache_round_trips_and_survives_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = wat::parse_str(COUNTER).unwrap();
    let options = || VmOptions { disk_cache: Some(dir.path().to_path_buf()), ..VmOptions::in_memory() };
    let first = Vm::new(options()).unwrap();
    let compiled = first.prepare(&bytes).unwrap();
    let expected = call(&first, &compiled, "increment", &1u64.to_be_bytes(), &MemoryState::new());
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    // A second VM loads the cached code.
    let second = Vm::new(options()).unwrap();
    let loaded = second.prepare(&bytes).unwrap();
    assert_eq!(call(&second, &loaded, "increment", &1u64.to_be_bytes(), &MemoryState::new()), expected);
    // A corrupted file is ignored and the module recompiled.
    let mut file = std::fs::read(&files[0]).unwrap();
    let last = file.len() - 1;
    file[last] ^= 0xFF;
    std::fs::write(&files[0], file).unwrap();
    let third = Vm::new(options()).unwrap();
    let recompiled = third.prepare(&bytes).unwrap();
    assert_eq!(call(&third, &recompiled, "increment", &1u64.to_be_bytes(), &MemoryState::new()), expected);
}

/// `wasm` with a `writ.abi` custom section holding `json` appended.
fn with_abi_section(mut wasm: Vec<u8>, json: &str) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let name = writ_abi::host::ABI_SECTION.as_bytes();
    let mut body = Vec::new();
    leb(name.len(), &mut body);
    body.extend_from_slice(name);
    body.extend_from_slice(json.as_bytes());
    wasm.push(0);
    leb(body.len(), &mut wasm);
    wasm.extend(body);
    wasm
}

/// An ABI document for the counter declaring `increment` and `get` views.
fn counter_abi(increment_kind: &str) -> String {
    format!(
        r#"{{"name":"Counter","host_abi_version":{v},"compiler_version":"test","source_hash":"",
        "roles":["Admin"],"entry_points":[
          {{"name":"increment","kind":"{increment_kind}","params":[{{"name":"by","type":"u64"}}],"returns":"u64","requires":[]}},
          {{"name":"get","kind":"view","params":[],"returns":"u64","requires":[]}},
          {{"name":"unit","kind":"call","params":[],"returns":"()","requires":[]}}],
        "events":[],"errors":[],"storage":[],"types":{{"structs":{{}},"enums":{{}}}}}}"#,
        v = writ_abi::host::HOST_ABI_VERSION
    )
}

// The VM itself keeps views read-only, whatever the code does: the
// compiler forbids writes in views, but deployed bytes may come from
// anywhere.
#[test]
fn a_view_that_writes_or_emits_is_refused_by_the_vm() {
    let vm = vm();
    let wasm = wat::parse_str(COUNTER).unwrap();
    let honest = vm.prepare(&with_abi_section(wasm.clone(), &counter_abi("call"))).unwrap();
    let lying = vm.prepare(&with_abi_section(wasm, &counter_abi("view"))).unwrap();
    assert!(!honest.is_view("increment") && honest.is_view("get") && !honest.is_view("unit"));
    assert!(lying.is_view("increment"));

    let state = MemoryState::new();
    let ok = call(&vm, &honest, "increment", &5u64.to_be_bytes(), &state);
    assert_eq!(success(&ok).writes.len(), 1);
    let refused = call(&vm, &lying, "increment", &5u64.to_be_bytes(), &state);
    assert_eq!(aborted(&refused), &Abort::GuestTrap { what: GuestTrap::StateChangeInView });
    // Refused before the write's charge: cheaper than the honest call.
    assert!(refused.gas_used < ok.gas_used, "{} vs {}", refused.gas_used, ok.gas_used);
    // Reading is what views are for.
    let mut state = MemoryState::new();
    state.apply(&success(&ok).writes);
    assert_eq!(success(&call(&vm, &lying, "get", &[], &state)).result, 5u64.to_be_bytes());
}

#[test]
fn a_malformed_abi_section_is_refused_at_deploy() {
    let vm = vm();
    let wasm = with_abi_section(wat::parse_str(COUNTER).unwrap(), "{not json");
    match vm.prepare(&wasm) {
        Err(writ_vm::DeployError::Abi(writ_abi::document::ReadAbiError::Invalid(why))) => {
            assert!(!why.is_empty());
        }
        Err(other) => panic!("wrong refusal: {other}"),
        Ok(_) => panic!("a malformed ABI document was accepted"),
    }
}
