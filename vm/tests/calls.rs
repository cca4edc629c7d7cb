//! Calls between contracts on the real VM, through the execution core:
//! the interface is checked at run time against the callee's own ABI, a
//! hand-written module cannot get past the refusals (a view calling state,
//! re-entry, hostile pointers and lengths), a block's session gives the
//! same reports as fresh instances, and a transaction that aborts anywhere
//! leaves every contract's storage exactly as it was.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use proptest::prelude::*;
use writ_abi::{AbiType, TypeDefs, Value};
use writ_compiler::codegen::build_file;
use writ_compiler::{Analysis, FileId};
use writ_vm::execute::{Action, BlockInfo, Execution, Executor, Transaction, contract_address, execute};
use writ_vm::{
    Abort, ArgumentsProblem, CallProblem, CallReport, Contract, MemoryWorld, Outcome, Vm, VmOptions, World,
};

const GAS: u64 = 50_000_000;
const BLOCK: BlockInfo = BlockInfo { time: 1_700_000_000, height: 3 };
const ADMIN: [u8; 20] = [1; 20];

fn vm() -> Vm {
    Vm::new(VmOptions::in_memory()).unwrap()
}

/// The module of contract `name` in `source`.
fn build(source: &str, name: &str) -> Vec<u8> {
    let analysis = Analysis::single("calls.writ", source);
    let errors: Vec<_> = analysis.diagnostics().into_iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let output = build_file(&analysis, FileId(0));
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    output.artifacts.into_iter().find(|a| a.contract == name).map(|a| a.wasm).unwrap()
}

fn encode(args: &[(AbiType, Value)]) -> Vec<u8> {
    let (types, values): (Vec<AbiType>, Vec<Value>) = args.iter().cloned().unzip();
    writ_abi::encode_value(&AbiType::Tuple(types), &Value::Tuple(values), &TypeDefs::default()).unwrap()
}

/// An in-memory chain of one account sending every transaction.
struct Net {
    vm: Vm,
    world: MemoryWorld,
}

impl Net {
    fn new() -> Net {
        Net { vm: vm(), world: MemoryWorld::new() }
    }

    fn send(&mut self, executor: &mut impl Executor, action: Action<'_>) -> (CallReport, [u8; 20]) {
        send(&mut self.world, executor, action)
    }

    fn deploy_prepared(&mut self, code: Arc<Contract>, args: &[(AbiType, Value)]) -> [u8; 20] {
        let args = encode(args);
        let vm = std::mem::replace(&mut self.vm, vm());
        let (report, address) = self.send(&mut &vm, Action::Deploy { code, args: &args });
        self.vm = vm;
        assert!(matches!(report.outcome, Outcome::Success(_)), "{report:?}");
        address
    }

    fn deploy(&mut self, wasm: &[u8], args: &[(AbiType, Value)]) -> [u8; 20] {
        let code = self.vm.prepare(wasm).unwrap();
        self.deploy_prepared(code, args)
    }

    fn call(&mut self, contract: [u8; 20], entry: &str, args: &[(AbiType, Value)]) -> CallReport {
        let args = encode(args);
        let vm = std::mem::replace(&mut self.vm, vm());
        let report = self.send(&mut &vm, Action::Call { contract, entry, args: &args }).0;
        self.vm = vm;
        report
    }
}

/// Sends `action` from the one account, run by `executor`.
fn send(world: &mut MemoryWorld, executor: &mut impl Executor, action: Action<'_>) -> (CallReport, [u8; 20]) {
    let nonce = world.nonce(&ADMIN).unwrap();
    let tx = Transaction { sender: ADMIN, nonce, cosigners: &[], gas_limit: GAS, action };
    match execute(world, executor, &tx, BLOCK).unwrap() {
        Execution::Executed(executed) => (executed.report, executed.contract),
        Execution::Skipped(skip) => panic!("skipped: {skip:?}"),
    }
}

fn refused(report: &CallReport) -> Option<CallProblem> {
    match &report.outcome {
        Outcome::Aborted(Abort::CallRefused { why }) => Some(*why),
        _ => None,
    }
}

const OFFICE: &str = "
contract Office {
    storage { registry: Registry }
    init(registry: Registry) { self.registry = registry; }
    pub fn check(who: Address) -> bool { self.registry.is_registered(who) }
}
";

// The VM compares the interface the caller was compiled against with the
// callee's own ABI document at every call: another result type, another
// kind, a missing entry point are refused; the same interface under other
// parameter names is not.
#[test]
fn the_interface_is_checked_at_run_time() {
    let expects_bool = format!(
        "{OFFICE} contract Registry {{ pub view fn is_registered(who: Address) -> bool {{ false }} }}"
    );
    let office = build(&expects_bool, "Office");
    let variants = [
        ("pub view fn is_registered(who: Address) -> u64 { 1 }", Some(CallProblem::InterfaceMismatch)),
        ("pub fn is_registered(who: Address) -> bool { true }", Some(CallProblem::InterfaceMismatch)),
        ("pub view fn is_registered(who: u64) -> bool { true }", Some(CallProblem::InterfaceMismatch)),
        ("pub view fn registered(who: Address) -> bool { true }", Some(CallProblem::NoSuchEntryPoint)),
        ("pub view fn is_registered(someone: Address) -> bool { true }", None),
    ];
    for (entry, expected) in variants {
        let mut net = Net::new();
        let registry = net.deploy(&build(&format!("contract Registry {{ {entry} }}"), "Registry"), &[]);
        let office = net.deploy(&office, &[(AbiType::Address, Value::Address(registry))]);
        let report = net.call(office, "check", &[(AbiType::Address, Value::Address([9; 20]))]);
        assert_eq!(refused(&report), expected, "{entry}: {report:?}");
        if expected.is_none() {
            let Outcome::Success(success) = &report.outcome else { panic!("{report:?}") };
            assert_eq!(success.result, vec![1]);
        }
    }
    // No code at all at the address.
    let mut net = Net::new();
    let office = net.deploy(&office, &[(AbiType::Address, Value::Address([7; 20]))]);
    let report = net.call(office, "check", &[(AbiType::Address, Value::Address([9; 20]))]);
    assert_eq!(refused(&report), Some(CallProblem::NoContract));
}

const COUNTER: &str = "
contract Counter {
    storage { n: u64 }
    pub fn bump() -> u64 { self.n = self.n + 1; self.n }
    pub view fn get() -> u64 { self.n }
}
";

/// A hand-written module whose ABI document calls `peek` a view and whose
/// entry points call `call_contract` the way no compiler would: `peek`
/// calls `bump` (which changes state) with its true interface, the others
/// pass hostile pointers, names and lengths. The target's address is the
/// entry point's argument.
fn hostile(bump_interface: &[u8]) -> Vec<u8> {
    let escaped: String = bump_interface.iter().map(|b| format!("\\{b:02x}")).collect();
    let len = bump_interface.len();
    let wat = format!(
        r#"(module
  (import "writ" "call_contract" (func $call (param i32 i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (func (export "writ_alloc") (param $n i32) (result i32) (local $at i32)
    global.get $heap local.set $at
    global.get $heap local.get $n i32.add i32.const 7 i32.add i32.const -8 i32.and global.set $heap
    local.get $at)
  (func (export "writ_reset") i32.const 4096 global.set $heap)
  (func (export "entry.init") (param $p i32) (param $n i32) (result i64) i64.const 0)
  (func $go (param $addr i32) (param $name i32) (param $name_len i32) (param $args_len i32) (param $iface_len i32) (result i64)
    local.get $addr local.get $name local.get $name_len i32.const 0 local.get $args_len
    i32.const 64 local.get $iface_len i64.const -1 call $call
    i64.extend_i32_u)
  (func (export "entry.peek") (param $p i32) (param $n i32) (result i64)
    local.get $p i32.const 0 i32.const 4 i32.const 0 i32.const {len} call $go)
  (func (export "entry.poke") (param $p i32) (param $n i32) (result i64)
    local.get $p i32.const 0 i32.const 4 i32.const 0 i32.const {len} call $go)
  (func (export "entry.far_address") (param $p i32) (param $n i32) (result i64)
    i32.const 65530 i32.const 0 i32.const 4 i32.const 0 i32.const {len} call $go)
  (func (export "entry.bad_name") (param $p i32) (param $n i32) (result i64)
    local.get $p i32.const 32 i32.const 2 i32.const 0 i32.const {len} call $go)
  (func (export "entry.long_name") (param $p i32) (param $n i32) (result i64)
    local.get $p i32.const 0 i32.const 100000 i32.const 0 i32.const {len} call $go)
  (func (export "entry.huge_args") (param $p i32) (param $n i32) (result i64)
    local.get $p i32.const 0 i32.const 4 i32.const 2000000 i32.const {len} call $go)
  (func (export "entry.huge_interface") (param $p i32) (param $n i32) (result i64)
    local.get $p i32.const 0 i32.const 4 i32.const 0 i32.const -1 call $go)
  (data (i32.const 0) "bump")
  (data (i32.const 32) "\ff\fe")
  (data (i32.const 64) "{escaped}")
)"#
    );
    let entry = |name: &str, kind: &str| {
        format!(
            r#"{{"name":"{name}","kind":"{kind}","params":[{{"name":"target","type":"address"}}],"returns":"u64","requires":[]}}"#
        )
    };
    let entries: Vec<String> = [
        ("init", "init"),
        ("peek", "view"),
        ("poke", "call"),
        ("far_address", "call"),
        ("bad_name", "call"),
        ("long_name", "call"),
        ("huge_args", "call"),
        ("huge_interface", "call"),
    ]
    .iter()
    .map(|(name, kind)| entry(name, kind))
    .collect();
    let abi = format!(
        r#"{{"name":"Hostile","host_abi_version":{v},"compiler_version":"test","source_hash":"","roles":["Admin"],"entry_points":[{}],"events":[],"errors":[],"storage":[],"types":{{"structs":{{}},"enums":{{}}}}}}"#,
        entries.join(","),
        v = writ_abi::host::HOST_ABI_VERSION
    );
    let mut wasm = wat::parse_str(&wat).unwrap();
    let name = writ_abi::host::ABI_SECTION.as_bytes();
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(abi.as_bytes());
    wasm.push(0);
    let mut size = body.len();
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        if size == 0 {
            wasm.push(byte);
            break;
        }
        wasm.push(byte | 0x80);
    }
    wasm.extend(body);
    wasm
}

// Bytes that never came from the compiler get the same refusals: a view
// cannot reach a state-changing entry point, and pointers, names and
// lengths out of bounds end the call with an abort, never a panic.
#[test]
fn hand_written_callers_cannot_get_past_the_refusals() {
    let counter_wasm = build(COUNTER, "Counter");
    let abi = writ_abi::document::read_from_module(&counter_wasm).unwrap();
    let bump = writ_abi::interface::interface(abi.entry("bump").unwrap(), &abi.types);
    let mut net = Net::new();
    let counter = net.deploy(&counter_wasm, &[]);
    let hostile = net.deploy(&hostile(&bump), &[]);
    let target = [(AbiType::Address, Value::Address(counter))];
    let outcome = |net: &mut Net, entry: &str| net.call(hostile, entry, &target).outcome;

    assert_eq!(
        outcome(&mut net, "peek"),
        Outcome::Aborted(Abort::CallRefused { why: CallProblem::StateChangeFromView })
    );
    let Outcome::Success(success) = outcome(&mut net, "poke") else { panic!("poke failed") };
    // The module returns the callee result's length (8 bytes of a u64)
    // as its own packed pointer and length: memory from 0, "bump" first.
    assert_eq!(success.result, b"bump\0\0\0\0".to_vec());
    assert_eq!(success.called_writes.len(), 1);
    assert!(matches!(outcome(&mut net, "far_address"), Outcome::Aborted(Abort::GuestTrap { .. })));
    assert_eq!(
        outcome(&mut net, "bad_name"),
        Outcome::Aborted(Abort::CallRefused { why: CallProblem::NoSuchEntryPoint })
    );
    assert_eq!(
        outcome(&mut net, "long_name"),
        Outcome::Aborted(Abort::CallRefused { why: CallProblem::InterfaceMismatch })
    );
    assert_eq!(
        outcome(&mut net, "huge_args"),
        Outcome::Aborted(Abort::InvalidArguments { why: ArgumentsProblem::TooLong })
    );
    assert_eq!(
        outcome(&mut net, "huge_interface"),
        Outcome::Aborted(Abort::CallRefused { why: CallProblem::InterfaceMismatch })
    );
    // A module calling itself is re-entering.
    let own = [(AbiType::Address, Value::Address(hostile))];
    let report = net.call(hostile, "poke", &own);
    assert_eq!(refused(&report), Some(CallProblem::Reentrancy));
    // Only `poke` changed the counter, once.
    let reading = net.call(counter, "get", &[]);
    let Outcome::Success(success) = reading.outcome else { panic!("get failed") };
    assert_eq!(success.result, 1u64.to_be_bytes().to_vec());
}

const NODE: &str = "
contract Node {
    storage { peers: List<Node>, hits: u64, seen: Map<u64, u64> }
    event Hit(step: u64);
    pub fn link(peer: Node) { self.peers.push(peer); }
    /// Walks `route` (peer indexes), one contract per step, and aborts
    /// at step `fail_at` (never if it is past the route's end).
    pub fn walk(route: List<u64>, step: u64, fail_at: u64) -> u64 {
        self.hits = self.hits + 1;
        self.seen.insert(step, self.hits);
        emit Hit(step);
        require(step != fail_at, \"planted abort\");
        if step >= route.len() { return step; }
        let next = self.peers[route[step]];
        next.walk(route, step + 1, fail_at)
    }
}
";

/// Three linked nodes; `walk` goes along `route`.
fn nodes(net: &mut Net, code: &Arc<Contract>) -> Vec<[u8; 20]> {
    let addresses: Vec<[u8; 20]> = (0..3).map(|_| net.deploy_prepared(Arc::clone(code), &[])).collect();
    for from in &addresses {
        for to in &addresses {
            let report = net.call(*from, "link", &[(AbiType::Address, Value::Address(*to))]);
            assert!(matches!(report.outcome, Outcome::Success(_)));
        }
    }
    addresses
}

fn walk_args(route: &[u32], fail_at: u64) -> Vec<(AbiType, Value)> {
    vec![
        (
            AbiType::List(Box::new(AbiType::U64)),
            Value::List(route.iter().map(|r| Value::U64(u64::from(*r))).collect()),
        ),
        (AbiType::U64, Value::U64(0)),
        (AbiType::U64, Value::U64(fail_at)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    // A transaction that aborts anywhere (a planted abort at any depth,
    // re-entering a node already on the stack, the depth limit) leaves
    // every contract's storage as it was and only the sender's nonce
    // moved; one that succeeds keeps every node's writes and reports one
    // event per step, each from the node that took it.
    #[test]
    fn an_abort_anywhere_undoes_the_whole_transaction(
        route in prop::collection::vec(0u32..3, 0..9),
        fail_at in 0u64..12,
    ) {
        let mut net = Net::new();
        let code = net.vm.prepare(&build(NODE, "Node")).unwrap();
        let addresses = nodes(&mut net, &code);
        let before: Vec<_> = addresses.iter().map(|a| net.world.storage_of(a).cloned()).collect();
        let nonce = net.world.nonce(&ADMIN).unwrap();
        let report = net.call(addresses[0], "walk", &walk_args(&route, fail_at));
        prop_assert_eq!(net.world.nonce(&ADMIN).unwrap(), nonce + 1);
        let after: Vec<_> = addresses.iter().map(|a| net.world.storage_of(a).cloned()).collect();
        // Node 0 starts; step k runs on the node route[k-1] names.
        let mut visited = vec![addresses[0]];
        visited.extend(route.iter().map(|r| addresses[*r as usize]));
        let steps = visited.len() as u64;
        let mut stack = Vec::new();
        let mut expected_refusal = None;
        for node in &visited {
            if stack.contains(node) { expected_refusal = Some(CallProblem::Reentrancy); break; }
            stack.push(*node);
        }
        let planted = fail_at < steps && (fail_at as usize) < stack.len();
        match &report.outcome {
            Outcome::Success(success) => {
                prop_assert!(!planted && expected_refusal.is_none(), "{report:?}");
                prop_assert_eq!(success.events.len() as u64, steps);
                for (step, event) in success.events.iter().enumerate() {
                    prop_assert_eq!(event.contract, visited[step]);
                }
                prop_assert_ne!(before, after);
            }
            Outcome::Aborted(abort) => {
                prop_assert_eq!(&before, &after, "an aborted transaction changed storage");
                if planted {
                    let planted_in = visited[fail_at as usize];
                    if planted_in == addresses[0] {
                        prop_assert!(matches!(abort, Abort::ContractAbort { .. }), "{abort:?}");
                    } else {
                        prop_assert!(matches!(abort, Abort::Callee { contract, .. } if *contract == planted_in), "{abort:?}");
                    }
                } else {
                    let inner = match abort { Abort::Callee { abort, .. } => abort.as_ref(), other => other };
                    prop_assert_eq!(inner, &Abort::CallRefused { why: expected_refusal.unwrap_or(CallProblem::DepthLimit) });
                }
            }
        }
    }
}

// A block's session reuses the callee instances between transactions; the
// reports, gas included, are those of fresh instances.
#[test]
fn a_session_gives_the_reports_of_fresh_instances() {
    let routes: Vec<(Vec<u32>, u64)> = vec![
        (vec![1, 2], 99),
        (vec![2], 99),
        (vec![1, 0], 99),
        (vec![1], 1),
        (vec![2, 1], 99),
        (vec![1, 2], 99),
    ];
    let run = |session: bool| -> Vec<CallReport> {
        let mut net = Net::new();
        let code = net.vm.prepare(&build(NODE, "Node")).unwrap();
        let addresses = nodes(&mut net, &code);
        let Net { vm, mut world } = net;
        let mut reports = Vec::new();
        let mut block = vm.session();
        for (route, fail_at) in &routes {
            let args = encode(&walk_args(route, *fail_at));
            let action = Action::Call { contract: addresses[0], entry: "walk", args: &args };
            let (report, _) = if session {
                send(&mut world, &mut block, action)
            } else {
                send(&mut world, &mut &vm, action)
            };
            reports.push(report);
        }
        reports
    };
    let fresh = run(false);
    assert!(fresh.iter().any(|r| matches!(r.outcome, Outcome::Aborted(_))));
    assert!(fresh.iter().any(|r| matches!(r.outcome, Outcome::Success(_))));
    assert_eq!(run(true), fresh);
}

#[test]
fn the_contract_address_rule_is_the_execution_cores() {
    // The nodes the tests deploy are where the core says they are.
    let mut net = Net::new();
    let code = net.vm.prepare(&build(NODE, "Node")).unwrap();
    let first = net.deploy_prepared(code, &[]);
    assert_eq!(first, contract_address(&ADMIN, 0));
}
