//! Calls between contracts: `call_contract`, the host function through
//! which a running contract calls an entry point of another, and the
//! `Frames` a transaction's calls share (docs/host-abi.md, "Calls between
//! contracts").
//!
//! A callee runs at once, on an instance of its own in a store of its own
//! (so its stack limit and memory are its own), with the calling contract
//! as its caller, the transaction's signers and block, and the gas the
//! caller forwards. Its writes stay pending with the transaction until the
//! transaction's call ends: a later call to the same contract reads them,
//! and they become the world's only if the whole transaction succeeds. Any
//! abort of a callee ends the transaction, undoing everything.
//!
//! Invariant: what a call between contracts does depends only on the
//! world as the transaction found it, the transaction's own writes so far
//! and the arguments: the call stack, the pending writes and the events
//! travel with the running frame, never through shared mutable state.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::host::{
    CallContext, CallData, Ctx, HostResult, Stop, call_data, charge_for, read_guest, set_return, state_error,
    stop,
};
use crate::limits;
use crate::outcome::{Abort, ArgumentsProblem, CallProblem, Event, Write};
use crate::state::{Overlay, State, StateError};
use crate::vm::{Contract, Pool, Ran, VmError, instantiate, run_frame};
use crate::world::{Address, Directory};

/// What the calls of one transaction share, handed from caller to callee
/// and back with the running frame.
pub(crate) struct Frames {
    /// Where callees are found; `None` when the call runs alone.
    directory: Option<Arc<dyn Directory>>,
    /// The contracts on the call stack, outermost first; the last is the
    /// one running.
    stack: Vec<Address>,
    /// The pending writes of every callee that has returned, by address.
    overlays: BTreeMap<Address, Overlay>,
    /// Every contract the transaction has reached, its own included.
    reached: BTreeSet<Address>,
    /// Instances for callees (a block's session lends its own).
    pub pool: Pool,
}

impl Frames {
    pub fn new(directory: Option<Arc<dyn Directory>>, contract: Address, pool: Pool) -> Frames {
        Frames {
            directory,
            stack: vec![contract],
            overlays: BTreeMap::new(),
            reached: BTreeSet::from([contract]),
            pool,
        }
    }

    /// Every callee's net writes, by ascending address, leaving out
    /// contracts that were only read.
    pub fn take_writes(&mut self) -> Vec<(Address, Vec<Write>)> {
        std::mem::take(&mut self.overlays)
            .into_iter()
            .map(|(address, mut overlay)| (address, overlay.take_writes()))
            .filter(|(_, writes)| !writes.is_empty())
            .collect()
    }
}

/// Native stack the VM makes sure of before entering a callee: the
/// callee's Wasm stack plus room for the host's own frames.
const CALLEE_STACK_RED_ZONE: usize = limits::STACK_BYTES_MAX + 256 * 1024;
/// The size of the stack segment grown when less than that is left.
const CALLEE_STACK_SEGMENT: usize = limits::STACK_BYTES_MAX + 1024 * 1024;

/// `call_contract(address, entry, entry_len, args, args_len, interface,
/// interface_len, gas) -> result_len`: see `writ_abi::host::CALL_CONTRACT`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn call_contract(
    caller: Ctx<'_>,
    address_ptr: i32,
    entry_ptr: i32,
    entry_len: i32,
    args_ptr: i32,
    args_len: i32,
    interface_ptr: i32,
    interface_len: i32,
    gas: i64,
) -> HostResult<i32> {
    let request = Request {
        address_ptr,
        entry: (entry_ptr, entry_len as u32),
        args: (args_ptr, args_len as u32),
        interface: (interface_ptr, interface_len as u32),
        gas: gas as u64,
    };
    // Finding, compiling and running the callee all happen on a stack with
    // room for a full Wasm stack and the host's frames, whatever the
    // callers used: a fresh segment of the host stack when little is left.
    stacker::maybe_grow(CALLEE_STACK_RED_ZONE, CALLEE_STACK_SEGMENT, move || call(caller, request))
}

/// The guest's pointers and lengths for one call.
struct Request {
    address_ptr: i32,
    entry: (i32, u32),
    args: (i32, u32),
    interface: (i32, u32),
    /// The most gas to forward, a `u64` (all ones: everything left).
    gas: u64,
}

fn call(mut caller: Ctx<'_>, request: Request) -> HostResult<i32> {
    let Request { address_ptr, entry: (entry_ptr, entry_len), args: (args_ptr, args_len), gas, .. } = request;
    let (interface_ptr, interface_len) = request.interface;
    // A name or interface past its bound can only come from a module the
    // compiler did not make; it is refused as the interface it cannot be.
    if entry_len > limits::ENTRY_NAME_BYTES_MAX || interface_len > limits::INTERFACE_BYTES_MAX {
        return Err(refuse(&mut caller, CallProblem::InterfaceMismatch));
    }
    // Arguments past the bound a transaction's own call has are refused
    // the same way.
    if args_len > limits::ARGS_BYTES_MAX {
        let too_long = Abort::InvalidArguments { why: ArgumentsProblem::TooLong };
        return Err(stop(&mut caller, Stop::Abort(too_long)));
    }
    let read = u64::from(entry_len) + u64::from(args_len) + u64::from(interface_len);
    charge_for(&mut caller, |s| s.contract_call, read)?;
    let address: Address = match read_guest(&mut caller, address_ptr, 20)?.try_into() {
        Ok(address) => address,
        Err(_) => return Err(refuse(&mut caller, CallProblem::InterfaceMismatch)),
    };
    let entry = read_guest(&mut caller, entry_ptr, entry_len)?;
    let args = read_guest(&mut caller, args_ptr, args_len)?;
    let expected = read_guest(&mut caller, interface_ptr, interface_len)?;
    let Ok(entry) = String::from_utf8(entry) else {
        return Err(refuse(&mut caller, CallProblem::NoSuchEntryPoint));
    };

    let Some(data) = call_data(&mut caller) else {
        return Err(refuse(&mut caller, CallProblem::NoContract));
    };
    let (read_only, context, schedule) = (data.read_only, data.context.clone(), data.schedule);
    let frames = data.frames.take();
    let Some(mut frames) = frames else {
        return Err(refuse(&mut caller, CallProblem::NoContract));
    };
    // From here on, every way out gives the frames back first: the
    // transaction's call needs them (and the instances in them) to end.
    let found = check(&frames, &address, &entry, &expected, read_only).and_then(|(contract, state)| {
        // What crosses is what the callee declares: nothing else reaches
        // its code, however the caller was built.
        match contract.callable(&entry) {
            Some((callable, types)) if writ_abi::decode_value(&callable.params, &args, types).is_ok() => {
                Ok((Arc::clone(&contract), state))
            }
            _ => Err(Refusal::Call(CallProblem::MalformedArguments)),
        }
    });
    let (contract, state) = match found {
        Ok(found) => found,
        Err(reason) => {
            give_back(&mut caller, frames, None);
            return Err(match reason {
                Refusal::Call(problem) => refuse(&mut caller, problem),
                Refusal::State(error) => state_error(&mut caller, error),
            });
        }
    };
    let key = (address, contract.code_hash);
    let mut live = match frames.pool.take(&key) {
        Some(live) => live,
        None => match instantiate(caller.engine(), &contract) {
            Ok(live) => live,
            Err(error) => {
                give_back(&mut caller, frames, None);
                return Err(stop(&mut caller, Stop::Node(error)));
            }
        },
    };

    // Forward what was asked, never more than the caller has left.
    let left = caller.get_fuel()?;
    let forwarded = gas.min(left);
    let overlay = frames.overlays.remove(&address).unwrap_or_else(|| Overlay::new(state));
    frames.stack.push(address);
    frames.reached.insert(address);
    let events = call_data(&mut caller).map(|data| std::mem::take(&mut data.events)).unwrap_or_default();
    let callee = CallData {
        overlay,
        events,
        return_buffer: None,
        context: CallContext {
            contract: address,
            caller: context.contract,
            // Signatures consent to the transaction's own call, not to
            // what the contracts it reaches do on the signers' behalf.
            signers: Vec::new(),
            block_time: context.block_time,
            block_height: context.block_height,
            gas_limit: forwarded,
        },
        schedule,
        read_only: read_only || contract.is_view(&entry),
        frames: Some(frames),
    };
    // Only contracts built with coverage probes have a test host (the
    // runner's probe counter): it follows the running frame.
    live.store.data_mut().test_host = caller.data_mut().test_host.take();
    let ran = run_frame(&mut live, schedule, callee, &entry, &args, limits::CALLEE_RESET_FUEL_MAX);
    caller.data_mut().test_host = live.store.data_mut().test_host.take();
    let Ran { result, gas_used, data: mut callee } = match ran {
        Ok(ran) => ran,
        Err(error) => return Err(stop(&mut caller, Stop::Node(error))),
    };
    let Some(mut frames) = callee.frames.take() else {
        let vanished = VmError::Engine { message: "call frames vanished".to_string() };
        return Err(stop(&mut caller, Stop::Node(vanished)));
    };
    frames.stack.pop();
    // The callee's gas comes out of the caller's, which forwarded no more
    // than it had, so this never goes below zero.
    caller.set_fuel(left.saturating_sub(gas_used))?;
    // Holding the result to its declared type is paid per byte, as the
    // arguments were, before the work.
    if let Ok(bytes) = &result {
        let cost = schedule.contract_call.per_byte.saturating_mul(bytes.len() as u64);
        match caller.get_fuel()?.checked_sub(cost) {
            Some(left) => caller.set_fuel(left)?,
            None => {
                caller.set_fuel(0)?;
                give_back(&mut caller, frames, None);
                return Err(stop(&mut caller, Stop::OutOfGas));
            }
        }
    }
    let result = result.and_then(|result| {
        let returns = contract.callable(&entry).map(|(callable, types)| (&callable.returns, types));
        match returns {
            Some((returns, types)) if writ_abi::decode_value(returns, &result, types).is_ok() => Ok(result),
            _ => Err(Abort::CallRefused { why: CallProblem::MalformedResult }),
        }
    });
    match result {
        Ok(result) => {
            frames.overlays.insert(address, callee.overlay);
            frames.pool.put(key, live);
            give_back(&mut caller, frames, Some(callee.events));
            Ok(set_return(&mut caller, result))
        }
        Err(abort) => {
            give_back(&mut caller, frames, None);
            Err(stop(&mut caller, Stop::Abort(abort.in_callee(address))))
        }
    }
}

/// Why a call is refused before the callee runs.
enum Refusal {
    Call(CallProblem),
    State(StateError),
}

/// The callee at `address` and its storage, if the call may go ahead:
/// there is room on the stack, the callee is not on it, it has code, the
/// entry point exists with the interface the caller expects, and a
/// read-only caller calls only a view.
fn check(
    frames: &Frames,
    address: &Address,
    entry: &str,
    expected: &[u8],
    read_only: bool,
) -> Result<(Arc<Contract>, Arc<dyn State>), Refusal> {
    if frames.stack.len() >= limits::CALL_DEPTH_MAX {
        return Err(Refusal::Call(CallProblem::DepthLimit));
    }
    if frames.stack.contains(address) {
        return Err(Refusal::Call(CallProblem::Reentrancy));
    }
    if !frames.reached.contains(address) && frames.reached.len() >= limits::CONTRACTS_PER_TRANSACTION_MAX {
        return Err(Refusal::Call(CallProblem::TooManyContracts));
    }
    let Some(directory) = &frames.directory else {
        return Err(Refusal::Call(CallProblem::NoContract));
    };
    let contract =
        directory.contract(address).map_err(Refusal::State)?.ok_or(Refusal::Call(CallProblem::NoContract))?;
    let Some((callable, _)) = contract.callable(entry) else {
        return Err(Refusal::Call(CallProblem::NoSuchEntryPoint));
    };
    if callable.interface != expected {
        return Err(Refusal::Call(CallProblem::InterfaceMismatch));
    }
    if read_only && !contract.is_view(entry) {
        return Err(Refusal::Call(CallProblem::StateChangeFromView));
    }
    Ok((contract, directory.storage(address)))
}

/// Returns the frames to the running call and, when its callee
/// succeeded, the events it handed back (every event so far, in order).
fn give_back(caller: &mut Ctx<'_>, frames: Box<Frames>, events: Option<Vec<Event>>) {
    if let Some(data) = call_data(caller) {
        data.frames = Some(frames);
        if let Some(events) = events {
            data.events = events;
        }
    }
}

fn refuse(caller: &mut Ctx<'_>, why: CallProblem) -> wasmtime::Error {
    stop(caller, Stop::Abort(Abort::CallRefused { why }))
}
