//! The VM: compiles each code hash once (memory cache, optional disk
//! cache), and runs calls either on a fresh instance or, inside a
//! `Session`, on instances reused between calls.
//!
//! Invariant: a call's report depends only on the module, the arguments,
//! the call context and the state; reusing an instance gives the same
//! report as a fresh one for modules whose `writ_reset` does its job (see
//! `Session`).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Instance, InstancePre, Linker, Module, Store, Trap, TypedFunc};
use writ_abi::document::{EntryKind, ReadAbiError, read_from_module};
use writ_abi::host;
use writ_abi::interface::interface;
use writ_abi::{AbiType, TypeDefs};

use crate::cache::DiskCache;
use crate::calls::Frames;
use crate::engine::{self, InstanceAllocation};
use crate::gas::{GAS_SCHEDULE_V1, GasSchedule};
use crate::host::CallData;
use crate::host::{CallContext, HostState, Stop, TestHost, call_data_for, harness_linker, linker};
use crate::limits;
use crate::outcome::{Abort, ArgumentsProblem, CallReport, GuestTrap, Outcome, Resource, Success};
use crate::state::{State, StateError};
use crate::validate::{ValidationError, validate, validate_harness};
use crate::world::Directory;

/// SHA-256 of a module's bytes: the name of deployed code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeHash(pub [u8; 32]);

impl CodeHash {
    pub fn of(bytes: &[u8]) -> CodeHash {
        CodeHash(Sha256::digest(bytes).into())
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

/// How to build a `Vm`.
#[derive(Debug, Clone)]
pub struct VmOptions {
    pub allocation: InstanceAllocation,
    /// Folder for compiled native code; `None` keeps everything in memory.
    pub disk_cache: Option<PathBuf>,
    pub schedule: &'static GasSchedule,
}

impl VmOptions {
    /// No disk cache, on-demand instances, gas schedule v1: for tests and
    /// tools.
    pub fn in_memory() -> VmOptions {
        VmOptions { allocation: InstanceAllocation::OnDemand, disk_cache: None, schedule: &GAS_SCHEDULE_V1 }
    }
}

/// Why code could not be prepared to run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A validated module failed to compile or link: a VM defect, not the
    /// contract's; the message is for the node's log only.
    #[error("compilation failed: {message}")]
    Compile { message: String },
    /// The module carries a `writ.abi` section that is not a valid ABI
    /// document. A module without the section is accepted (with no views).
    #[error("{0}")]
    Abi(ReadAbiError),
}

/// Failures of the node rather than of the call; never in a receipt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VmError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("the engine failed: {message}")]
    Engine { message: String },
    #[error("could not build the engine: {message}")]
    Setup { message: String },
}

fn engine_error(error: wasmtime::Error) -> VmError {
    VmError::Engine { message: error.to_string() }
}

/// Compiled code, ready to instantiate.
pub struct Contract {
    pub code_hash: CodeHash,
    pre: InstancePre<HostState>,
    entries: BTreeSet<String>,
    views: BTreeSet<String>,
    /// What another contract may call, as the ABI document declares it:
    /// every exported entry point but `init`. Empty for a module without
    /// a document.
    interfaces: Interfaces,
    /// The named types the document's signatures refer to.
    types: TypeDefs,
}

/// An entry point as other contracts call it.
pub(crate) struct Callable {
    /// Its interface (`writ_abi::interface`): a caller must expect exactly
    /// these bytes.
    pub interface: Vec<u8>,
    /// The tuple of its parameters' types, and its result's type: what the
    /// VM holds arguments and results to before they cross.
    pub params: AbiType,
    pub returns: AbiType,
}

impl Contract {
    /// Entry point names (without the `entry.` prefix), sorted.
    pub fn entry_points(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(String::as_str)
    }

    /// Whether the module's ABI document declares `entry` a view. Views
    /// run read-only: a write, removal or event aborts the call.
    pub fn is_view(&self, entry: &str) -> bool {
        self.views.contains(entry)
    }

    /// Entry point `entry` as another contract may call it, if it may,
    /// with the named types its signature refer to.
    pub(crate) fn callable(&self, entry: &str) -> Option<(&Callable, &TypeDefs)> {
        self.interfaces.get(entry).map(|callable| (callable, &self.types))
    }
}

/// The engine, the host functions and the compiled-code caches.
pub struct Vm {
    engine: Engine,
    linker: Linker<HostState>,
    harness_linker: Linker<HostState>,
    schedule: &'static GasSchedule,
    compiled: Mutex<HashMap<CodeHash, Arc<Contract>>>,
    disk: Option<DiskCache>,
}

impl Vm {
    pub fn new(options: VmOptions) -> Result<Vm, VmError> {
        let setup = |error: wasmtime::Error| VmError::Setup { message: error.to_string() };
        let engine = engine::engine(options.allocation).map_err(setup)?;
        let linker = linker(&engine).map_err(setup)?;
        let harness_linker = harness_linker(&engine).map_err(setup)?;
        Ok(Vm {
            engine,
            linker,
            harness_linker,
            schedule: options.schedule,
            compiled: Mutex::new(HashMap::new()),
            disk: options.disk_cache.map(|dir| DiskCache { dir }),
        })
    }

    /// Validates and compiles `bytes` (once per code hash) and returns the
    /// contract ready to call.
    pub fn prepare(&self, bytes: &[u8]) -> Result<Arc<Contract>, DeployError> {
        let code_hash = CodeHash::of(bytes);
        if let Some(contract) = self.cached(&code_hash) {
            return Ok(contract);
        }
        validate(bytes)?;
        let Declared { views, mut interfaces, types } = declared(bytes)?;
        let compile = |error: wasmtime::Error| DeployError::Compile { message: error.to_string() };
        let from_disk = self.disk.as_ref().and_then(|disk| disk.load(&self.engine, &code_hash));
        let module = match from_disk {
            Some(module) => module,
            None => {
                let module = Module::from_binary(&self.engine, bytes).map_err(compile)?;
                if let Some(disk) = &self.disk {
                    disk.store(&code_hash, &module);
                }
                module
            }
        };
        let entries = entry_names(&module);
        // A document may declare what the module does not export; only
        // what can run is callable.
        interfaces.retain(|name, _| entries.contains(name));
        let pre = self.linker.instantiate_pre(&module).map_err(compile)?;
        let contract = Arc::new(Contract { code_hash, pre, entries, views, interfaces, types });
        let mut compiled = self.compiled.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        compiled.insert(code_hash, Arc::clone(&contract));
        Ok(contract)
    }

    /// Validates and compiles a test harness (`writ test`): contract rules
    /// plus the `writ_test` import. Harnesses are never cached with
    /// contracts, so deployable code can never be linked to the runner.
    pub fn prepare_harness(&self, bytes: &[u8]) -> Result<Arc<Contract>, DeployError> {
        validate_harness(bytes)?;
        // A contract built with coverage probes is a harness that still
        // declares its views and interfaces: other contracts call it.
        let Declared { views, mut interfaces, types } = declared(bytes)?;
        let compile = |error: wasmtime::Error| DeployError::Compile { message: error.to_string() };
        let module = Module::from_binary(&self.engine, bytes).map_err(compile)?;
        let entries = entry_names(&module);
        interfaces.retain(|name, _| entries.contains(name));
        let pre = self.harness_linker.instantiate_pre(&module).map_err(compile)?;
        Ok(Arc::new(Contract { code_hash: CodeHash::of(bytes), pre, entries, views, interfaces, types }))
    }

    /// Runs one entry point of a harness on a fresh instance, with `runner`
    /// answering its `writ_test.op` calls. Contract calls the runner makes
    /// meanwhile go through `call` as usual.
    /// `read_only` runs it like a view (for invariants, which read a
    /// contract's storage and must not change it).
    pub fn run_harness(
        &self,
        harness: &Contract,
        call: Call<'_>,
        runner: Box<dyn TestHost>,
        read_only: bool,
    ) -> Result<CallReport, VmError> {
        if let Some(report) = refuse_early(harness, &call) {
            return Ok(report);
        }
        let mut live = instantiate(&self.engine, harness)?;
        live.store.data_mut().test_host = Some(runner);
        Ok(run(&mut live, self.schedule, read_only, call, Pool::default())?.0)
    }

    /// The compiled contract for a code hash, if this VM has it.
    pub fn cached(&self, code_hash: &CodeHash) -> Option<Arc<Contract>> {
        let compiled = self.compiled.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        compiled.get(code_hash).cloned()
    }

    /// Runs one call on a fresh instance.
    pub fn call(&self, contract: &Contract, call: Call<'_>) -> Result<CallReport, VmError> {
        if let Some(report) = refuse_early(contract, &call) {
            return Ok(report);
        }
        let mut live = instantiate(&self.engine, contract)?;
        Ok(run(&mut live, self.schedule, contract.is_view(call.entry), call, Pool::default())?.0)
    }

    /// A scope in which instances are reused between calls.
    pub fn session(&self) -> Session<'_> {
        Session { vm: self, pool: Pool::default() }
    }
}

/// The entry points a compiled module exports, without the prefix.
fn entry_names(module: &Module) -> BTreeSet<String> {
    module
        .exports()
        .filter_map(|export| export.name().strip_prefix(host::ENTRY_PREFIX).map(str::to_string))
        .collect()
}

/// Entry point names to what other contracts call.
type Interfaces = BTreeMap<String, Callable>;

/// What a module's ABI document declares: its views, what other contracts
/// may call (never `init`, which runs once, at deployment), and the named
/// types; nothing for a module without a document.
struct Declared {
    views: BTreeSet<String>,
    interfaces: Interfaces,
    types: TypeDefs,
}

fn declared(bytes: &[u8]) -> Result<Declared, DeployError> {
    let abi = match read_from_module(bytes) {
        Ok(abi) => abi,
        Err(ReadAbiError::Missing) => {
            return Ok(Declared {
                views: BTreeSet::new(),
                interfaces: BTreeMap::new(),
                types: TypeDefs::default(),
            });
        }
        Err(error) => return Err(DeployError::Abi(error)),
    };
    let views = abi
        .entry_points
        .iter()
        .filter(|entry| entry.kind == EntryKind::View)
        .map(|entry| entry.name.clone())
        .collect();
    let interfaces = abi
        .entry_points
        .iter()
        .filter(|entry| entry.kind != EntryKind::Init)
        .map(|entry| {
            let callable = Callable {
                interface: interface(entry, &abi.types),
                params: AbiType::Tuple(entry.params.iter().map(|p| p.ty.clone()).collect()),
                returns: entry.returns.clone(),
            };
            (entry.name.clone(), callable)
        })
        .collect();
    Ok(Declared { views, interfaces, types: abi.types })
}

/// A fresh instance of `contract` in a store of its own.
pub(crate) fn instantiate(engine: &Engine, contract: &Contract) -> Result<Live, VmError> {
    let mut store = Store::new(engine, HostState::new());
    store.limiter(|state| &mut state.limiter);
    let instance = contract.pre.instantiate(&mut store).map_err(engine_error)?;
    let memory = instance.get_memory(&mut store, host::EXPORT_MEMORY);
    store.data_mut().memory = memory;
    let reset = instance.get_typed_func::<(), ()>(&mut store, host::EXPORT_RESET).map_err(engine_error)?;
    let alloc = instance.get_typed_func::<i32, i32>(&mut store, host::EXPORT_ALLOC).map_err(engine_error)?;
    Ok(Live { store, instance, reset, alloc, entries: HashMap::new() })
}

/// One call's inputs.
#[derive(Clone)]
pub struct Call<'a> {
    /// Entry point name, without the `entry.` prefix.
    pub entry: &'a str,
    /// Canonical encoding of the arguments as a tuple.
    pub args: &'a [u8],
    pub context: CallContext,
    pub state: Arc<dyn State>,
    /// The other contracts the call may call, or `None` where there are
    /// none to reach (a call to one contract alone: every call it makes
    /// to another is refused with `NoContract`).
    pub directory: Option<Arc<dyn Directory>>,
}

/// An instance and its typed exports.
pub(crate) struct Live {
    pub(crate) store: Store<HostState>,
    instance: Instance,
    reset: TypedFunc<(), ()>,
    alloc: TypedFunc<i32, i32>,
    entries: HashMap<String, TypedFunc<(i32, i32), i64>>,
}

/// Instances kept for reuse, one per (contract address, code hash).
///
/// Before every call, fresh or reused, the VM runs `writ_reset` outside the
/// call's gas, so a reused instance costs the same gas as a fresh one. What
/// reset does not restore (memory contents beyond the allocator, memory
/// size) is the same on every node as long as every node uses sessions
/// over the same calls in the same order: the ledger opens one session per
/// block. An instance whose call aborted is dropped, never reused.
///
/// Contracts a call reaches through calls between contracts run on
/// instances from the same pool, so a warm callee costs no instantiation.
pub struct Session<'vm> {
    vm: &'vm Vm,
    pool: Pool,
}

impl Session<'_> {
    pub fn call(&mut self, contract: &Contract, call: Call<'_>) -> Result<CallReport, VmError> {
        if let Some(report) = refuse_early(contract, &call) {
            return Ok(report);
        }
        let key = (call.context.contract, contract.code_hash);
        let mut live = match self.pool.take(&key) {
            Some(live) => live,
            None => instantiate(&self.vm.engine, contract)?,
        };
        let pool = std::mem::take(&mut self.pool);
        let (report, reusable, pool) =
            run(&mut live, self.vm.schedule, contract.is_view(call.entry), call, pool)?;
        self.pool = pool;
        if reusable {
            self.pool.put(key, live);
        }
        Ok(report)
    }
}

/// Instances kept for reuse, one per (contract address, code hash), the
/// least recently used dropped beyond `SESSION_INSTANCES_MAX`.
#[derive(Default)]
pub(crate) struct Pool {
    live: HashMap<([u8; 20], CodeHash), Live>,
    order: VecDeque<([u8; 20], CodeHash)>,
}

impl Pool {
    /// The kept instance for `key`; it is the caller's until it is `put`
    /// back (an instance whose call aborted never is).
    pub(crate) fn take(&mut self, key: &([u8; 20], CodeHash)) -> Option<Live> {
        let live = self.live.remove(key);
        if live.is_some() {
            self.order.retain(|k| k != key);
        }
        live
    }

    pub(crate) fn put(&mut self, key: ([u8; 20], CodeHash), live: Live) {
        self.order.retain(|k| *k != key);
        self.order.push_back(key);
        self.live.insert(key, live);
        while self.live.len() > limits::SESSION_INSTANCES_MAX {
            let Some(oldest) = self.order.pop_front() else { break };
            self.live.remove(&oldest);
        }
    }
}

/// Reports for calls refused before any instance is touched (gas 0).
fn refuse_early(contract: &Contract, call: &Call<'_>) -> Option<CallReport> {
    let abort = if call.context.gas_limit > limits::CALL_GAS_LIMIT_MAX {
        Abort::InvalidArguments { why: ArgumentsProblem::GasLimitTooHigh }
    } else if call.args.len() > limits::ARGS_BYTES_MAX as usize {
        Abort::InvalidArguments { why: ArgumentsProblem::TooLong }
    } else if !contract.entries.contains(call.entry) {
        Abort::UnknownEntryPoint
    } else {
        return None;
    };
    Some(CallReport { gas_used: 0, outcome: Outcome::Aborted(abort) })
}

/// Runs a transaction's call on `live`, with `pool` for the contracts it
/// calls; also says whether the instance may be reused, and gives the
/// pool back.
fn run(
    live: &mut Live,
    schedule: &'static GasSchedule,
    read_only: bool,
    call: Call<'_>,
    pool: Pool,
) -> Result<(CallReport, bool, Pool), VmError> {
    let frames = Frames::new(call.directory, call.context.contract, pool);
    let data = call_data_for(call.state, call.context, schedule, read_only, Box::new(frames));
    let Ran { result, gas_used, mut data } =
        run_frame(live, schedule, data, call.entry, call.args, limits::RESET_FUEL_MAX)?;
    let Some(mut frames) = data.frames.take() else {
        return Err(VmError::Engine { message: "call frames vanished".to_string() });
    };
    let pool = std::mem::take(&mut frames.pool);
    match result {
        Ok(result) => {
            let success = Success {
                result,
                events: data.events,
                writes: data.overlay.take_writes(),
                called_writes: frames.take_writes(),
            };
            Ok((CallReport { gas_used, outcome: Outcome::Success(success) }, true, pool))
        }
        Err(abort) => Ok((CallReport { gas_used, outcome: Outcome::Aborted(abort) }, false, pool)),
    }
}

/// What running one contract's entry point gave: its result or abort, the
/// gas it used (its whole limit after `OutOfGas`), and its call data back.
pub(crate) struct Ran {
    pub result: Result<Vec<u8>, Abort>,
    pub gas_used: u64,
    pub data: CallData,
}

/// Runs `entry` on `live` with `data` (whose context holds the gas limit):
/// a transaction's call, or a call from another contract.
pub(crate) fn run_frame(
    live: &mut Live,
    schedule: &GasSchedule,
    data: CallData,
    entry: &str,
    args: &[u8],
    reset_fuel: u64,
) -> Result<Ran, VmError> {
    let gas_limit = data.context.gas_limit;
    {
        let state = live.store.data_mut();
        state.call = Some(data);
        state.stop = None;
        state.limiter.memory_refused = false;
    }
    let result = run_steps(live, schedule, (entry, args), gas_limit, reset_fuel);
    let fuel_left = live.store.get_fuel().map_err(engine_error)?;
    let Some(data) = live.store.data_mut().call.take() else {
        return Err(VmError::Engine { message: "call data vanished".to_string() });
    };
    let gas_used = gas_limit.saturating_sub(fuel_left);
    let (result, gas_used) = match result {
        Ok(result) => (Ok(result), gas_used),
        Err(Failure::Abort(Abort::OutOfGas)) => (Err(Abort::OutOfGas), gas_limit),
        Err(Failure::Abort(abort)) => (Err(abort), gas_used),
        Err(Failure::Reset) => (Err(Abort::GuestTrap { what: GuestTrap::ResetFailed }), 0),
        Err(Failure::Node(error)) => return Err(error),
    };
    Ok(Ran { result, gas_used, data })
}

enum Failure {
    Abort(Abort),
    Reset,
    Node(VmError),
}

impl From<VmError> for Failure {
    fn from(error: VmError) -> Failure {
        Failure::Node(error)
    }
}

fn run_steps(
    live: &mut Live,
    schedule: &GasSchedule,
    (entry, args): (&str, &[u8]),
    gas_limit: u64,
    reset_fuel: u64,
) -> Result<Vec<u8>, Failure> {
    let store = &mut live.store;
    // Reset runs on its own fixed budget, outside the call's gas.
    store.set_fuel(reset_fuel).map_err(engine_error)?;
    if live.reset.call(&mut *store, ()).is_err() {
        store.set_fuel(0).map_err(engine_error)?;
        return Err(Failure::Reset);
    }
    store.set_fuel(gas_limit).map_err(engine_error)?;
    if !live.entries.contains_key(entry) {
        let name = host::entry_export(entry);
        let func =
            live.instance.get_typed_func::<(i32, i32), i64>(&mut *store, &name).map_err(engine_error)?;
        live.entries.insert(entry.to_string(), func);
    }
    // Borrowed, not cloned: cloning a typed function clones its registered
    // type, which showed in the per-call profile.
    let Some(entry_func) = live.entries.get(entry) else {
        return Err(Failure::Node(VmError::Engine { message: "entry point vanished".to_string() }));
    };
    let args_len = args.len() as u32;
    charge(store, schedule.args_copy.for_bytes(u64::from(args_len)))?;
    let args_ptr = live.alloc.call(&mut *store, args_len as i32).map_err(|error| classify(store, error))?;
    write_memory(store, args_ptr as u32, args)
        .ok_or(Failure::Abort(Abort::GuestTrap { what: GuestTrap::AllocationOutOfBounds }))?;
    let packed =
        entry_func.call(&mut *store, (args_ptr, args_len as i32)).map_err(|error| classify(store, error))?;
    let result_ptr = (packed as u64 >> 32) as u32;
    let result_len = packed as u64 as u32;
    if result_len > limits::RESULT_BYTES_MAX {
        return Err(Failure::Abort(Abort::ResourceLimit { what: Resource::ResultBytes }));
    }
    charge(store, schedule.result_copy.for_bytes(u64::from(result_len)))?;
    read_memory(store, result_ptr, result_len)
        .ok_or(Failure::Abort(Abort::GuestTrap { what: GuestTrap::ResultOutOfBounds }))
}

/// Takes host-side gas (argument and result copies) from the fuel.
fn charge(store: &mut Store<HostState>, gas: u64) -> Result<(), Failure> {
    let fuel = store.get_fuel().map_err(engine_error)?;
    match fuel.checked_sub(gas) {
        Some(left) => store.set_fuel(left).map_err(|error| Failure::Node(engine_error(error))),
        None => {
            store.set_fuel(0).map_err(engine_error)?;
            Err(Failure::Abort(Abort::OutOfGas))
        }
    }
}

fn write_memory(store: &mut Store<HostState>, ptr: u32, bytes: &[u8]) -> Option<()> {
    let memory = store.data().memory?;
    let start = ptr as usize;
    let target = memory.data_mut(&mut *store).get_mut(start..start.checked_add(bytes.len())?)?;
    target.copy_from_slice(bytes);
    Some(())
}

fn read_memory(store: &Store<HostState>, ptr: u32, len: u32) -> Option<Vec<u8>> {
    let memory = store.data().memory?;
    let start = ptr as usize;
    memory.data(store).get(start..start.checked_add(len as usize)?).map(<[u8]>::to_vec)
}

/// Turns an error out of Wasm into the call's abort.
fn classify(store: &mut Store<HostState>, error: wasmtime::Error) -> Failure {
    if let Some(stop) = store.data_mut().stop.take() {
        return match stop {
            Stop::OutOfGas => Failure::Abort(Abort::OutOfGas),
            Stop::Abort(abort) => Failure::Abort(abort),
            Stop::State(error) => Failure::Node(VmError::State(error)),
            Stop::Node(error) => Failure::Node(error),
        };
    }
    let Some(trap) = error.downcast_ref::<Trap>() else {
        return Failure::Abort(Abort::GuestTrap { what: GuestTrap::Other });
    };
    let memory_refused = store.data().limiter.memory_refused;
    Failure::Abort(match trap {
        Trap::OutOfFuel => Abort::OutOfGas,
        Trap::StackOverflow => Abort::StackLimit,
        _ if memory_refused => Abort::MemoryLimit,
        Trap::UnreachableCodeReached => Abort::GuestTrap { what: GuestTrap::Unreachable },
        Trap::MemoryOutOfBounds => Abort::GuestTrap { what: GuestTrap::MemoryOutOfBounds },
        Trap::IntegerDivisionByZero => Abort::GuestTrap { what: GuestTrap::IntegerDivisionByZero },
        Trap::IntegerOverflow => Abort::GuestTrap { what: GuestTrap::IntegerOverflow },
        Trap::TableOutOfBounds => Abort::GuestTrap { what: GuestTrap::TableOutOfBounds },
        Trap::IndirectCallToNull => Abort::GuestTrap { what: GuestTrap::IndirectCallToNull },
        Trap::BadSignature => Abort::GuestTrap { what: GuestTrap::BadSignature },
        _ => Abort::GuestTrap { what: GuestTrap::Other },
    })
}
