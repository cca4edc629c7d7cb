//! The in-memory ledger a test runs against, and the runner's answers to
//! the harness's `writ_test.op` calls: test accounts, deployments, calls
//! as a chosen caller with co-signers, the clock, and the assertions that
//! need the contracts' ABI (`assert_eq`, `assert_emitted`, `assert_aborts`).
//!
//! Invariant: every deployment and call a test makes is a transaction of
//! its caller, executed by the node's own execution core
//! (`writ_vm::execute`) over a `MemoryWorld`: the same nonces, contract
//! addresses, context and state transition as on a node. Only what is
//! particular to tests is here: accounts by name, the clock, assertions,
//! traces, gas records and coverage.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::spec_check::{spec_after, spec_before};
use writ_abi::document::ContractAbi;
use writ_abi::host::test::TestOp;
use writ_abi::reader::ByteReader;
use writ_abi::value::render;
use writ_abi::{AbiType, TypeDefs, Value};
use writ_compiler::codegen::{Site, SpecCheck};
use writ_vm::execute::{Action, BlockInfo, Executed, Execution, Executor, Skip, Transaction, execute};
use writ_vm::explain::{abort_name, describe_abort, show_event, show_tuple};
use writ_vm::{
    Abort, Call, CallContext, CallReport, Contract, Event, MemoryWorld, Outcome, TestHost, TestStop, Vm,
    VmError, World,
};

/// The test clock's start: 2024-01-01 00:00:00 UTC.
pub const START_TIME: i64 = 1_704_067_200;

/// What does not change while a file's tests run.
pub(crate) struct Env {
    pub vm: Arc<Vm>,
    /// The compiled harness, for running invariants.
    pub harness: Arc<Contract>,
    pub invariants: Vec<writ_compiler::codegen::Invariant>,
    pub specs: Vec<SpecCheck>,
    pub contracts: Vec<(Arc<Contract>, ContractAbi)>,
    pub sites: Vec<Site>,
    pub types: TypeDefs,
    /// Gas limit of every contract call a test makes.
    pub gas_limit: u64,
    /// With `--coverage`: hits per probe of the instrumented contracts.
    pub coverage: Option<Arc<Mutex<Vec<u64>>>>,
}

/// Why a test failed, as the runner found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The site (index into the harness's sites) where it happened.
    pub site: Option<u32>,
    pub message: String,
}

/// One deployed contract.
pub(crate) struct Deployed {
    pub address: [u8; 20],
    /// Index into `Env::contracts`.
    pub code: usize,
    /// `Token#1`: the name traces use.
    pub label: String,
    /// The events of the last call that could change state (views cannot
    /// emit, so they leave this alone; an aborted call empties it).
    last_events: Vec<Event>,
}

/// One call a test made, for the trace shown when it fails.
pub(crate) struct TraceEntry {
    pub line: String,
}

/// Gas used by one successful call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GasRecord {
    pub contract: String,
    pub entry: String,
    pub gas: u64,
}

/// A test's ledger: fresh for every test and every property case.
#[derive(Default)]
pub(crate) struct Ledger {
    time: i64,
    height: u64,
    /// Nonces, contracts and their storage, as the execution core keeps them.
    pub world: MemoryWorld,
    pub deployed: Vec<Deployed>,
    pub names: BTreeMap<[u8; 20], String>,
    pub failure: Option<Failure>,
    /// The site of the statement the test body runs (`TestOp::At`).
    pub at: Option<u32>,
    pub trace: Vec<TraceEntry>,
    /// The arguments of every successful call (contract code index,
    /// entry point, encoded arguments): the fuzzer's dictionary.
    pub successful_args: Vec<(usize, String, Vec<u8>)>,
    pub gas: Vec<GasRecord>,
    /// What a spec's before-call entry handed over (`TestOp::Keep`).
    kept: Vec<Vec<u8>>,
}

impl Ledger {
    pub fn new() -> Ledger {
        let mut ledger = Ledger { time: START_TIME, height: 1, ..Ledger::default() };
        ledger.names.insert(account("admin"), "admin".to_string());
        ledger
    }

    /// `text` with every address of a known account or contract replaced
    /// by its name: traces and failures read `alice`, not 40 hex digits.
    pub(crate) fn named(&self, text: String) -> String {
        let mut text = text;
        for (address, name) in &self.names {
            let hex = format!("0x{}", address.iter().map(|b| format!("{b:02x}")).collect::<String>());
            if text.contains(&hex) {
                text = text.replace(&hex, name);
            }
        }
        text
    }

    pub fn time(&self) -> i64 {
        self.time
    }

    pub fn height(&self) -> u64 {
        self.height
    }
}

/// The address of test account `name`: the first 20 bytes of the SHA-256
/// of the public key of an Ed25519 key whose seed is the SHA-256 of
/// `writ-test-account:` and the name. Deterministic, so traces and
/// failures read the same on every run.
pub fn account(name: &str) -> [u8; 20] {
    use sha2::Digest;
    let seed: [u8; 32] = sha2::Sha256::digest(format!("writ-test-account:{name}").as_bytes()).into();
    let key = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    let digest = sha2::Sha256::digest(key.as_bytes());
    let mut address = [0u8; 20];
    address.copy_from_slice(digest.get(..20).unwrap_or(&[0u8; 20]));
    address
}

/// A contract handle: the contract, who calls through it, and co-signers.
/// Generated code holds it as `Bytes` and never looks inside.
pub(crate) struct Handle {
    pub contract: [u8; 20],
    pub caller: [u8; 20],
    pub cosigners: Vec<[u8; 20]>,
}

impl Handle {
    fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(40 + 20 * self.cosigners.len());
        bytes.extend_from_slice(&self.contract);
        bytes.extend_from_slice(&self.caller);
        for signer in &self.cosigners {
            bytes.extend_from_slice(signer);
        }
        let mut out = (bytes.len() as u32).to_be_bytes().to_vec();
        out.extend(bytes);
        out
    }

    fn decode(bytes: &[u8]) -> Option<Handle> {
        let contract = bytes.get(..20)?.try_into().ok()?;
        let caller = bytes.get(20..40)?.try_into().ok()?;
        let rest = bytes.get(40..)?;
        if !rest.len().is_multiple_of(20) {
            return None;
        }
        let cosigners = rest.chunks(20).filter_map(|c| c.try_into().ok()).collect();
        Some(Handle { contract, caller, cosigners })
    }
}

/// The runner's side of the harness: a test's ledger plus the fixed data.
pub(crate) struct Runner {
    pub ledger: Arc<Mutex<Ledger>>,
    pub env: Arc<Env>,
}

impl TestHost for Runner {
    fn op(&mut self, code: i32, input: &[u8], context: &mut CallContext) -> Result<Vec<u8>, TestStop> {
        let mut ledger = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        let result = match TestOp::from_i32(code) {
            Some(op) => perform(&mut ledger, &self.env, op, ByteReader::new(input), context),
            None => Err(Failure {
                site: None,
                message: format!("the harness used unknown test operation {code}"),
            }),
        };
        result.map_err(|failure| {
            // The first failure is the one to report.
            if ledger.failure.is_none() {
                let message = ledger.named(failure.message);
                ledger.failure = Some(Failure { message, ..failure });
            }
            TestStop
        })
    }
}

pub(crate) fn malformed(op: TestOp) -> Failure {
    Failure {
        site: None,
        message: format!("the harness sent a malformed {op:?} operation (a compiler defect)"),
    }
}

fn perform(
    ledger: &mut Ledger,
    env: &Arc<Env>,
    op: TestOp,
    input: ByteReader<'_>,
    context: &mut CallContext,
) -> Result<Vec<u8>, Failure> {
    let result = perform_op(ledger, env, op, input, context);
    // Every call is a block: the test body sees the height its calls see.
    context.block_height = ledger.height;
    result
}

fn perform_op(
    ledger: &mut Ledger,
    env: &Arc<Env>,
    op: TestOp,
    mut input: ByteReader<'_>,
    context: &mut CallContext,
) -> Result<Vec<u8>, Failure> {
    let bad = || malformed(op);
    match op {
        TestOp::Account => {
            let name = input.string().ok_or_else(bad)?;
            let address = account(&name);
            ledger.names.insert(address, name);
            Ok(address.to_vec())
        }
        // Harnesses carry no probes; only instrumented contracts do.
        TestOp::Cover => Err(bad()),
        TestOp::At => {
            ledger.at = Some(input.u32().ok_or_else(bad)?);
            Ok(Vec::new())
        }
        TestOp::Keep => {
            ledger.kept.push(input.rest().to_vec());
            Ok(Vec::new())
        }
        TestOp::SetTime => {
            ledger.time = input.u64().ok_or_else(bad)? as i64;
            context.block_time = ledger.time;
            Ok(Vec::new())
        }
        TestOp::AdvanceTime => {
            let seconds = input.u64().ok_or_else(bad)?;
            let time =
                i64::try_from(seconds).ok().and_then(|s| ledger.time.checked_add(s)).ok_or_else(|| {
                    Failure {
                        site: None,
                        message: format!("advance_time({seconds}) moves the clock past its end"),
                    }
                })?;
            ledger.time = time;
            context.block_time = time;
            Ok(Vec::new())
        }
        TestOp::From | TestOp::SignedBy => {
            let mut handle = Handle::decode(input.bytes().ok_or_else(bad)?).ok_or_else(bad)?;
            let who = input.array::<20>().ok_or_else(bad)?;
            if op == TestOp::From {
                handle.caller = who;
            } else {
                handle.cosigners.push(who);
            }
            Ok(handle.encode())
        }
        TestOp::Deploy => {
            let site = input.u32().ok_or_else(bad)?;
            let code = input.u32().ok_or_else(bad)? as usize;
            let caller = match input.take(1).ok_or_else(bad)? {
                [0] => account("admin"),
                _ => input.array::<20>().ok_or_else(bad)?,
            };
            let args = input.rest();
            deploy(ledger, env, site, code, caller, args)
        }
        TestOp::Call | TestOp::CallAborts => {
            let site = input.u32().ok_or_else(bad)?;
            let expected =
                if op == TestOp::CallAborts { Some(input.string().ok_or_else(bad)?) } else { None };
            let handle = Handle::decode(input.bytes().ok_or_else(bad)?).ok_or_else(bad)?;
            let method = input.string().ok_or_else(bad)?;
            let args = input.rest();
            let fail = |message: String| Failure { site: Some(site), message };
            let (report, abi) = call(ledger, env, &handle, &method, args)?;
            match (report.outcome, expected) {
                (Outcome::Success(success), None) => Ok(success.result),
                (Outcome::Aborted(abort), None) => {
                    Err(fail(format!("the call aborted: {}", explain_abort(ledger, env, &abort, abi))))
                }
                (Outcome::Success(success), Some(expected)) => {
                    let returns = abi.entry(&method).map_or(AbiType::Unit, |e| e.returns.clone());
                    let shown = match writ_abi::decode_value(&returns, &success.result, &abi.types) {
                        Ok(Value::Unit) | Err(_) => String::new(),
                        Ok(value) => format!(" and returned {}", render(&value, &returns, &abi.types)),
                    };
                    let wanted =
                        if expected.is_empty() { String::new() } else { format!(" with {expected}") };
                    Err(fail(format!("expected the call to abort{wanted}, but it succeeded{shown}")))
                }
                (Outcome::Aborted(abort), Some(expected)) => {
                    let name = abort_name(&abort, abi_explaining(ledger, env, &abort, abi));
                    if expected.is_empty() || expected == name {
                        Ok(Vec::new())
                    } else {
                        Err(fail(format!(
                            "expected the call to abort with {expected}, but it aborted with {}",
                            explain_abort(ledger, env, &abort, abi)
                        )))
                    }
                }
            }
        }
        TestOp::Emitted => {
            let site = input.u32().ok_or_else(bad)?;
            let handle = Handle::decode(input.bytes().ok_or_else(bad)?).ok_or_else(bad)?;
            let index = input.u32().ok_or_else(bad)?;
            let data = input.rest();
            let deployed = find(ledger, &handle, site)?;
            if deployed.last_events.iter().any(|e| e.index == index && e.data == data) {
                return Ok(Vec::new());
            }
            let abi = env.contracts.get(deployed.code).map(|(_, abi)| abi).ok_or_else(bad)?;
            let wanted = show_event(abi, index, data);
            let emitted: Vec<String> =
                deployed.last_events.iter().map(|e| show_event(abi, e.index, &e.data)).collect();
            let emitted = if emitted.is_empty() {
                "no events".to_string()
            } else {
                format!("these events:\n      {}", emitted.join("\n      "))
            };
            Err(Failure {
                site: Some(site),
                message: format!(
                    "expected event {wanted}\n  the last call to {} emitted {emitted}",
                    deployed.label
                ),
            })
        }
        TestOp::AssertEq => {
            let site = input.u32().ok_or_else(bad)?;
            let ty = env.sites.get(site as usize).and_then(|s| s.ty.clone()).ok_or_else(bad)?;
            let pair = AbiType::Tuple(vec![ty.clone(), ty.clone()]);
            let Ok(Value::Tuple(values)) = writ_abi::decode_value(&pair, input.rest(), &env.types) else {
                return Err(bad());
            };
            let [left, right] = values.as_slice() else { return Err(bad()) };
            if left == right {
                return Ok(Vec::new());
            }
            let text = env.sites.get(site as usize).map_or("assert_eq", |s| s.text.as_str());
            Err(Failure {
                site: Some(site),
                message: format!(
                    "{text} failed: the values differ\n  left:  {}\n  right: {}",
                    render(left, &ty, &env.types),
                    render(right, &ty, &env.types)
                ),
            })
        }
        TestOp::Fail => {
            let site = input.u32().ok_or_else(bad)?;
            let message = input.string().ok_or_else(bad)?;
            let text = env.sites.get(site as usize).map_or("", |s| s.text.as_str());
            let message = if message.is_empty() {
                format!("assertion failed: {text}")
            } else {
                format!("assertion failed: {message}\n  condition: {text}")
            };
            Err(Failure { site: Some(site), message })
        }
    }
}

fn find<'l>(ledger: &'l mut Ledger, handle: &Handle, site: u32) -> Result<&'l mut Deployed, Failure> {
    ledger.deployed.iter_mut().find(|d| d.address == handle.contract).ok_or(Failure {
        site: Some(site),
        message: "the handle names no deployed contract (a compiler defect)".to_string(),
    })
}

/// Executes one transaction of `sender` with its next nonce, in a block
/// of its own at the test's clock, through the execution core a node uses.
fn transact(
    ledger: &mut Ledger,
    env: &Env,
    sender: [u8; 20],
    cosigners: &[[u8; 20]],
    action: Action<'_>,
    read_only: bool,
) -> Result<Executed, Failure> {
    let nonce = ledger.world.nonce(&sender).map_err(vm_failed)?;
    let tx = Transaction { sender, nonce, cosigners, gas_limit: env.gas_limit, action };
    let block = BlockInfo { time: ledger.time, height: ledger.height };
    let mut calls = Calls { env, read_only };
    match execute(&mut ledger.world, &mut calls, &tx, block).map_err(vm_failed)? {
        Execution::Executed(executed) => Ok(executed),
        Execution::Skipped(Skip::UnknownContract) => Err(Failure {
            site: None,
            message: "the handle names no deployed contract (a compiler defect)".to_string(),
        }),
        Execution::Skipped(Skip::Nonce { .. } | Skip::NoncesExhausted) => Err(Failure {
            site: None,
            message: "the test ledger could not give the caller a nonce (a runner defect)".to_string(),
        }),
    }
}

fn vm_failed(error: VmError) -> Failure {
    Failure { site: None, message: format!("the VM failed: {error}") }
}

/// Deploys contract `code` as `caller` and, if `init` succeeded, names
/// and records it. Returns what the execution core reported.
pub(crate) fn deploy_report(
    ledger: &mut Ledger,
    env: &Arc<Env>,
    code: usize,
    caller: [u8; 20],
    args: &[u8],
) -> Result<Executed, Failure> {
    let (contract, abi) = env.contracts.get(code).ok_or_else(|| malformed(TestOp::Deploy))?;
    let action = Action::Deploy { code: Arc::clone(contract), args };
    let executed = transact(ledger, env, caller, &[], action, false)?;
    let shown_args = show_args(abi, "init", args);
    let line = format!("deploy {}({shown_args}) as {}", abi.name, who(ledger, &caller));
    record(ledger, env, (line, &executed.contract), &executed.report, abi);
    ledger.height += 1;
    if let Outcome::Success(_) = &executed.report.outcome {
        let label = format!("{}#{}", abi.name, ledger.deployed.len() + 1);
        ledger.gas.push(GasRecord {
            contract: abi.name.clone(),
            entry: "init".into(),
            gas: executed.report.gas_used,
        });
        ledger.successful_args.push((code, "init".to_string(), args.to_vec()));
        ledger.names.insert(executed.contract, label.clone());
        ledger.deployed.push(Deployed { address: executed.contract, code, label, last_events: Vec::new() });
        share_events(ledger, &executed.contract, &executed.report);
    }
    Ok(executed)
}

fn deploy(
    ledger: &mut Ledger,
    env: &Arc<Env>,
    site: u32,
    code: usize,
    caller: [u8; 20],
    args: &[u8],
) -> Result<Vec<u8>, Failure> {
    let abi = env.contracts.get(code).map(|(_, abi)| abi).ok_or_else(|| malformed(TestOp::Deploy))?;
    let Executed { contract, report, .. } = deploy_report(ledger, env, code, caller, args)?;
    match report.outcome {
        Outcome::Success(_) => {
            after_transaction(ledger, env, &contract, &report)?;
            Ok(Handle { contract, caller: account("admin"), cosigners: Vec::new() }.encode())
        }
        Outcome::Aborted(abort) => Err(Failure {
            site: Some(site),
            message: format!("deploying {} aborted: {}", abi.name, explain_abort(ledger, env, &abort, abi)),
        }),
    }
}

/// Runs a call through `handle`; a success's writes are kept. Returns the
/// report and the called contract's ABI.
pub(crate) fn call<'e>(
    ledger: &mut Ledger,
    env: &'e Arc<Env>,
    handle: &Handle,
    method: &str,
    args: &[u8],
) -> Result<(CallReport, &'e ContractAbi), Failure> {
    let position =
        ledger.deployed.iter().position(|d| d.address == handle.contract).ok_or_else(|| Failure {
            site: None,
            message: "the handle names no deployed contract (a compiler defect)".to_string(),
        })?;
    let (code, label) = match ledger.deployed.get(position) {
        Some(d) => (d.code, d.label.clone()),
        None => return Err(malformed(TestOp::Call)),
    };
    let abi = env.contracts.get(code).map(|(_, abi)| abi).ok_or_else(|| malformed(TestOp::Call))?;
    let view = abi.entry(method).is_some_and(|e| e.kind == writ_abi::document::EntryKind::View);
    let spec = env.specs.iter().find(|s| s.contract == code && s.function == method);
    // The spec reads the call's own context: its caller, signers, block.
    let block = BlockInfo { time: ledger.time, height: ledger.height };
    let context = writ_vm::execute::context(
        handle.contract,
        handle.caller,
        &handle.cosigners,
        block,
        crate::HARNESS_GAS_LIMIT,
    );
    let before = match spec {
        Some(spec) => {
            let state = ledger.world.storage(&handle.contract);
            let kept = spec_before(env, spec, args, &state, &context)?;
            Some((spec, state, kept))
        }
        None => None,
    };
    let action = Action::Call { contract: handle.contract, entry: method, args };
    let report = transact(ledger, env, handle.caller, &handle.cosigners, action, view)?.report;
    let mut line = format!("{label}.{method}({})", show_args(abi, method, args));
    line.push_str(&format!(" as {}", who(ledger, &handle.caller)));
    for signer in &handle.cosigners {
        line.push_str(&format!(", signed by {}", who(ledger, signer)));
    }
    record(ledger, env, (line, &handle.contract), &report, abi);
    ledger.height += 1;
    if matches!(report.outcome, Outcome::Success(_)) {
        ledger.gas.push(GasRecord {
            contract: abi.name.clone(),
            entry: method.to_string(),
            gas: report.gas_used,
        });
        ledger.successful_args.push((code, method.to_string(), args.to_vec()));
    }
    if let Some((spec, state, kept)) = before {
        spec_after(ledger, env, spec, (args, &report), (state, kept), context)?;
    }
    if !view {
        after_transaction(ledger, env, &handle.contract, &report)?;
    }
    Ok((report, abi))
}

/// What a run of a harness entry against one contract's state found: the
/// failure its assertions recorded, how it ended, what it kept.
pub(crate) struct HarnessRun {
    pub failure: Option<Failure>,
    pub outcome: Outcome,
    pub kept: Vec<Vec<u8>>,
}

/// Runs harness entry `entry` with `args` read-only against `state`, its
/// assertions reporting to a scratch ledger.
pub(crate) fn run_in_harness(
    env: &Arc<Env>,
    entry: &str,
    args: &[u8],
    state: &Arc<dyn writ_vm::State>,
    context: CallContext,
) -> Result<HarnessRun, Failure> {
    let scratch = Arc::new(Mutex::new(Ledger::new()));
    let runner = Runner { ledger: Arc::clone(&scratch), env: Arc::clone(env) };
    let call = Call { entry, args, context, state: Arc::clone(state), directory: None };
    let report = env
        .vm
        .run_harness(&env.harness, call, Box::new(runner), true)
        .map_err(|error| Failure { site: None, message: format!("the VM failed: {error}") })?;
    let mut scratch = scratch.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(HarnessRun {
        failure: scratch.failure.take(),
        outcome: report.outcome,
        kept: std::mem::take(&mut scratch.kept),
    })
}

/// Runs the invariants of deployed contract number `position` against its
/// storage, read-only, as the language requires after every successful
/// call. The invariant's assertions report to a scratch ledger.
fn check_invariants(ledger: &mut Ledger, env: &Arc<Env>, position: usize) -> Result<(), Failure> {
    let Some(deployed) = ledger.deployed.get(position) else { return Ok(()) };
    let (code, address, label) = (deployed.code, deployed.address, deployed.label.clone());
    let state = ledger.world.storage(&address);
    for invariant in env.invariants.iter().filter(|i| i.contract == code) {
        let context = CallContext {
            contract: address,
            caller: [0; 20],
            signers: Vec::new(),
            block_time: ledger.time,
            block_height: ledger.height,
            gas_limit: crate::HARNESS_GAS_LIMIT,
        };
        let run = run_in_harness(env, &invariant.entry, &[], &state, context)?;
        let broken = match (run.failure, run.outcome) {
            (Some(failure), _) => Some((failure.site, failure.message)),
            (None, Outcome::Success(_)) => None,
            (None, Outcome::Aborted(abort)) => {
                let abi = env.contracts.get(code).map(|(_, abi)| abi);
                let why = abi.map_or_else(|| abort.to_string(), |abi| describe_abort(&abort, abi));
                Some((None, format!("it aborted: {why}")))
            }
        };
        if let Some((site, message)) = broken {
            let message = ledger.named(format!(
                "invariant \"{}\" of {label} does not hold after the last call\n  {message}",
                invariant.name
            ));
            return Err(Failure { site, message });
        }
    }
    Ok(())
}

/// How a test's transactions run their calls: on the VM as on a node, or,
/// with `--coverage`, as harnesses whose probes report to the runner.
struct Calls<'e> {
    env: &'e Env,
    /// Run like a view: instrumented code carries no view list of its own.
    read_only: bool,
}

impl Executor for Calls<'_> {
    fn run(&mut self, contract: &Contract, call: Call<'_>) -> Result<CallReport, VmError> {
        match &self.env.coverage {
            Some(hits) => {
                let host = Box::new(CoverageHost { hits: Arc::clone(hits) });
                self.env.vm.run_harness(contract, call, host, self.read_only)
            }
            None => self.env.vm.call(contract, call),
        }
    }
}

/// Counts coverage probes for contracts compiled with them.
struct CoverageHost {
    hits: Arc<Mutex<Vec<u64>>>,
}

impl TestHost for CoverageHost {
    fn op(&mut self, code: i32, input: &[u8], _: &mut CallContext) -> Result<Vec<u8>, TestStop> {
        if TestOp::from_i32(code) != Some(TestOp::Cover) {
            return Err(TestStop);
        }
        let id = input.try_into().map(u32::from_be_bytes).map_err(|_| TestStop)?;
        let mut hits = self.hits.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = hits.get_mut(id as usize) {
            *count += 1;
        }
        Ok(Vec::new())
    }
}

/// Adds a trace line: the call and how it ended.
fn record(
    ledger: &mut Ledger,
    env: &Env,
    (call, called): (String, &[u8; 20]),
    report: &CallReport,
    abi: &ContractAbi,
) {
    let end = match &report.outcome {
        Outcome::Success(success) => {
            let events: Vec<String> = success
                .events
                .iter()
                .map(|e| {
                    if e.contract == *called {
                        show_event(abi, e.index, &e.data)
                    } else {
                        let emitter = abi_of(ledger, env, &e.contract).unwrap_or(abi);
                        format!("{} from {}", show_event(emitter, e.index, &e.data), who(ledger, &e.contract))
                    }
                })
                .collect();
            if events.is_empty() { "ok".to_string() } else { format!("ok, emitted {}", events.join(", ")) }
        }
        Outcome::Aborted(abort) => format!("aborted: {}", explain_abort(ledger, env, abort, abi)),
    };
    let line = ledger.named(format!("{call} -> {end} (gas {})", report.gas_used));
    ledger.trace.push(TraceEntry { line });
}

/// The ABI of the test's contract deployed at `address`, if any.
fn abi_of<'e>(ledger: &Ledger, env: &'e Env, address: &[u8; 20]) -> Option<&'e ContractAbi> {
    let deployed = ledger.deployed.iter().find(|d| d.address == *address)?;
    env.contracts.get(deployed.code).map(|(_, abi)| abi)
}

/// The ABI that explains `abort`: the aborting callee's, when a contract
/// called from this call aborted and the test deployed it; else `abi`.
fn abi_explaining<'e>(ledger: &Ledger, env: &'e Env, abort: &Abort, abi: &'e ContractAbi) -> &'e ContractAbi {
    match writ_vm::explain::aborted_in(abort) {
        Some(callee) => abi_of(ledger, env, callee).unwrap_or(abi),
        None => abi,
    }
}

/// Each contract's last events after a call to `called`: those it
/// emitted, for every contract that emitted any and for `called` itself
/// (none, if the call aborted).
fn share_events(ledger: &mut Ledger, called: &[u8; 20], report: &CallReport) {
    let events = match &report.outcome {
        Outcome::Success(success) => success.events.as_slice(),
        Outcome::Aborted(_) => &[],
    };
    for deployed in &mut ledger.deployed {
        let own: Vec<Event> = events.iter().filter(|e| e.contract == deployed.address).cloned().collect();
        if deployed.address == *called || !own.is_empty() {
            deployed.last_events = own;
        }
    }
}

/// After a state-changing call to `called` ended: each contract's events
/// become its last ones (those it emitted, if any, or none for the called
/// contract itself), and the invariants of every contract the call wrote
/// are checked.
fn after_transaction(
    ledger: &mut Ledger,
    env: &Arc<Env>,
    called: &[u8; 20],
    report: &CallReport,
) -> Result<(), Failure> {
    share_events(ledger, called, report);
    let Outcome::Success(success) = &report.outcome else { return Ok(()) };
    let written: Vec<usize> = ledger
        .deployed
        .iter()
        .enumerate()
        .filter(|(_, d)| d.address == *called || success.called_writes.iter().any(|(a, _)| *a == d.address))
        .map(|(position, _)| position)
        .collect();
    for position in written {
        check_invariants(ledger, env, position)?;
    }
    Ok(())
}

/// `abort` in words, naming the called contract that aborted, if any.
fn explain_abort(ledger: &Ledger, env: &Env, abort: &Abort, abi: &ContractAbi) -> String {
    let described = describe_abort(abort, abi_explaining(ledger, env, abort, abi));
    match writ_vm::explain::aborted_in(abort) {
        Some(callee) => format!("{described}, in the called contract {}", who(ledger, callee)),
        None => described,
    }
}

/// A test account's name, a contract's label, or the address in hex.
fn who(ledger: &Ledger, address: &[u8; 20]) -> String {
    match ledger.names.get(address) {
        Some(name) => name.clone(),
        None => format!("0x{}", address.iter().map(|b| format!("{b:02x}")).collect::<String>()),
    }
}

fn show_args(abi: &ContractAbi, method: &str, args: &[u8]) -> String {
    let Some(entry) = abi.entry(method) else { return "…".to_string() };
    if entry.generated {
        // `grant_role(Clerk, alice)`: the role by name, not its index.
        let role = args.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_be_bytes);
        let name = role.and_then(|i| abi.roles.get(i as usize));
        let rest = args.get(4..).unwrap_or(&[]);
        if let Some(name) = name {
            return format!("{name}, {}", show_tuple(&[AbiType::Address], rest, &abi.types));
        }
    }
    let types: Vec<AbiType> = entry.params.iter().map(|p| p.ty.clone()).collect();
    show_tuple(&types, args, &abi.types)
}
