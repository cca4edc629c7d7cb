//! The host functions of `writ_abi::host`, linked into every instance, and
//! the per-call data they work on.
//!
//! Invariant: every host function charges its gas before its side effect
//! (writing guest memory, storage, the event list or the return buffer),
//! from the same fuel counter Wasm code burns; a charge the call cannot pay
//! ends it with `OutOfGas` and leaves nothing behind.

use std::sync::Arc;

use sha2::Digest;
use wasmtime::{Caller, Linker, Memory, ResourceLimiter};
use writ_abi::host::{self, AbortCode};

use crate::calls::Frames;
use crate::gas::{GasSchedule, HostCharge};
use crate::limits;
use crate::outcome::{Abort, Event, GuestTrap, Resource};
use crate::state::{Overlay, State, StateError};

/// Who is calling what, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// The running contract's address.
    pub contract: [u8; 20],
    /// The immediate caller's address.
    pub caller: [u8; 20],
    /// Every address that signed the transaction.
    pub signers: Vec<[u8; 20]>,
    /// The block's time, seconds since 1970-01-01 UTC.
    pub block_time: i64,
    pub block_height: u64,
    /// Most gas the call may use; at most `limits::CALL_GAS_LIMIT_MAX`.
    pub gas_limit: u64,
}

/// Why a host function stopped the call. Kept in the store so the error
/// wasmtime hands back is only a signal; this is the meaning.
#[derive(Debug)]
pub(crate) enum Stop {
    OutOfGas,
    Abort(Abort),
    State(StateError),
    /// A called contract's run failed in the VM or the store: the node's
    /// failure, never the transaction's.
    Node(crate::vm::VmError),
}

/// What one call carries while it runs.
pub(crate) struct CallData {
    pub overlay: Overlay,
    pub events: Vec<Event>,
    pub return_buffer: Option<Vec<u8>>,
    pub context: CallContext,
    pub schedule: &'static GasSchedule,
    /// The entry point is a view: writes, removals and events are refused.
    pub read_only: bool,
    /// What calls between contracts share, while this call is the one
    /// running (a caller hands it to its callee and takes it back).
    pub frames: Option<Box<Frames>>,
}

/// The store's data: the instance's memory handle, the current call, and
/// the memory limiter.
pub(crate) struct HostState {
    pub memory: Option<Memory>,
    pub call: Option<CallData>,
    pub stop: Option<Stop>,
    pub limiter: Limiter,
    /// Only in a test harness's store: the runner answering `writ_test.op`.
    pub test_host: Option<Box<dyn TestHost>>,
}

impl HostState {
    pub fn new() -> HostState {
        HostState {
            memory: None,
            call: None,
            stop: None,
            limiter: Limiter { memory_refused: false },
            test_host: None,
        }
    }
}

/// The test runner's side of `writ_abi::host::test`: it answers a test
/// harness's operations (deploy, call, assert…). `writ test` implements
/// it; a node never links it, and contracts cannot import it.
pub trait TestHost: Send {
    /// Performs operation `code` (a `writ_abi::host::test::TestOp`) on
    /// `input`. The output goes to the return buffer. `Err` stops the
    /// harness: the runner has recorded why. `context` is the harness's
    /// own call context, so moving the test clock shows in its `now()`.
    fn op(&mut self, code: i32, input: &[u8], context: &mut CallContext) -> Result<Vec<u8>, TestStop>;
}

/// Returned by a [`TestHost`] to stop the harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestStop;

/// Refuses memory past `MEMORY_BYTES_MAX` (the guest sees `memory.grow`
/// return -1) and tables past `TABLE_ELEMENTS_MAX`, and remembers a refusal
/// so a trap that follows is reported as `MemoryLimit`.
pub(crate) struct Limiter {
    pub memory_refused: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired as u64 <= limits::MEMORY_BYTES_MAX;
        if !allowed {
            self.memory_refused = true;
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired as u64 <= limits::TABLE_ELEMENTS_MAX)
    }
}

pub(crate) type HostResult<T> = Result<T, wasmtime::Error>;
pub(crate) type Ctx<'a> = Caller<'a, HostState>;

/// Records why the call stops and returns the error that unwinds it.
pub(crate) fn stop(caller: &mut Ctx<'_>, reason: Stop) -> wasmtime::Error {
    caller.data_mut().stop = Some(reason);
    wasmtime::Error::msg("writ host stop")
}

pub(crate) fn trap(caller: &mut Ctx<'_>, what: GuestTrap) -> wasmtime::Error {
    stop(caller, Stop::Abort(Abort::GuestTrap { what }))
}

fn resource(caller: &mut Ctx<'_>, what: Resource) -> wasmtime::Error {
    stop(caller, Stop::Abort(Abort::ResourceLimit { what }))
}

/// Takes `gas` from the call's fuel, or ends the call with `OutOfGas`.
pub(crate) fn charge(caller: &mut Ctx<'_>, gas: u64) -> HostResult<()> {
    let fuel = caller.get_fuel()?;
    match fuel.checked_sub(gas) {
        Some(left) => caller.set_fuel(left),
        None => {
            caller.set_fuel(0)?;
            Err(stop(caller, Stop::OutOfGas))
        }
    }
}

fn charge_of(caller: &Ctx<'_>, pick: fn(&GasSchedule) -> HostCharge) -> HostCharge {
    match &caller.data().call {
        Some(call) => pick(call.schedule),
        // No call is running (cannot happen: the VM sets one first); charge
        // the most that any schedule entry could, which is safe.
        None => HostCharge { base: u64::MAX, per_byte: 0 },
    }
}

pub(crate) fn charge_for(
    caller: &mut Ctx<'_>,
    pick: fn(&GasSchedule) -> HostCharge,
    bytes: u64,
) -> HostResult<()> {
    let gas = charge_of(caller, pick).for_bytes(bytes);
    charge(caller, gas)
}

/// A length argument, refused above `max` with `what`.
pub(crate) fn length(caller: &mut Ctx<'_>, len: i32, max: u32, what: Resource) -> HostResult<u32> {
    let len = len as u32;
    if len > max {
        return Err(resource(caller, what));
    }
    Ok(len)
}

/// Copies `len` bytes at `ptr` out of guest memory.
pub(crate) fn read_guest(caller: &mut Ctx<'_>, ptr: i32, len: u32) -> HostResult<Vec<u8>> {
    let start = ptr as u32 as usize;
    let end = start.saturating_add(len as usize);
    let bytes =
        caller.data().memory.and_then(|memory| memory.data(&*caller).get(start..end).map(<[u8]>::to_vec));
    match bytes {
        Some(bytes) => Ok(bytes),
        None => Err(trap(caller, GuestTrap::HostPointerOutOfBounds)),
    }
}

/// Copies `bytes` into guest memory at `ptr`.
fn write_guest(caller: &mut Ctx<'_>, ptr: i32, bytes: &[u8]) -> HostResult<()> {
    let start = ptr as u32 as usize;
    let end = start.saturating_add(bytes.len());
    let written = match caller.data().memory {
        Some(memory) => match memory.data_mut(&mut *caller).get_mut(start..end) {
            Some(target) => {
                target.copy_from_slice(bytes);
                true
            }
            None => false,
        },
        None => false,
    };
    if written { Ok(()) } else { Err(trap(caller, GuestTrap::HostPointerOutOfBounds)) }
}

/// The running call's data, or a trap if there is none.
pub(crate) fn call_data<'c>(caller: &'c mut Ctx<'_>) -> Option<&'c mut CallData> {
    caller.data_mut().call.as_mut()
}

pub(crate) fn state_error(caller: &mut Ctx<'_>, error: StateError) -> wasmtime::Error {
    stop(caller, Stop::State(error))
}

/// Puts `bytes` in the return buffer and returns its length.
pub(crate) fn set_return(caller: &mut Ctx<'_>, bytes: Vec<u8>) -> i32 {
    let len = bytes.len() as i32;
    if let Some(call) = call_data(caller) {
        call.return_buffer = Some(bytes);
    }
    len
}

fn storage_read(mut caller: Ctx<'_>, key_ptr: i32, key_len: i32) -> HostResult<i32> {
    let key_len = length(&mut caller, key_len, limits::STORAGE_KEY_BYTES_MAX, Resource::StorageKeyBytes)?;
    charge_for(&mut caller, |s| s.storage_read, u64::from(key_len))?;
    let key = read_guest(&mut caller, key_ptr, key_len)?;
    let found = match &caller.data().call {
        Some(call) => call.overlay.get(&key),
        None => Ok(None),
    };
    let value = match found {
        Ok(value) => value,
        Err(error) => return Err(state_error(&mut caller, error)),
    };
    let Some(value) = value else {
        return Ok(-1);
    };
    let per_byte = charge_of(&caller, |s| s.storage_read).per_byte;
    charge(&mut caller, per_byte.saturating_mul(value.len() as u64))?;
    Ok(set_return(&mut caller, value))
}

fn storage_write(
    mut caller: Ctx<'_>,
    key_ptr: i32,
    key_len: i32,
    value_ptr: i32,
    value_len: i32,
) -> HostResult<()> {
    refuse_in_view(&mut caller)?;
    let key_len = length(&mut caller, key_len, limits::STORAGE_KEY_BYTES_MAX, Resource::StorageKeyBytes)?;
    let value_len =
        length(&mut caller, value_len, limits::STORAGE_VALUE_BYTES_MAX, Resource::StorageValueBytes)?;
    charge_for(&mut caller, |s| s.storage_write, u64::from(key_len) + u64::from(value_len))?;
    let key = read_guest(&mut caller, key_ptr, key_len)?;
    let value = read_guest(&mut caller, value_ptr, value_len)?;
    if let Some(call) = call_data(&mut caller) {
        call.overlay.writes.insert(key, Some(value));
    }
    Ok(())
}

fn storage_remove(mut caller: Ctx<'_>, key_ptr: i32, key_len: i32) -> HostResult<()> {
    refuse_in_view(&mut caller)?;
    let key_len = length(&mut caller, key_len, limits::STORAGE_KEY_BYTES_MAX, Resource::StorageKeyBytes)?;
    charge_for(&mut caller, |s| s.storage_remove, u64::from(key_len))?;
    let key = read_guest(&mut caller, key_ptr, key_len)?;
    if let Some(call) = call_data(&mut caller) {
        call.overlay.writes.insert(key, None);
    }
    Ok(())
}

fn storage_next(
    mut caller: Ctx<'_>,
    prefix_ptr: i32,
    prefix_len: i32,
    after_ptr: i32,
    after_len: i32,
) -> HostResult<i32> {
    let prefix_len =
        length(&mut caller, prefix_len, limits::STORAGE_PREFIX_BYTES_MAX, Resource::StorageKeyBytes)?;
    let after_len = if after_len == -1 {
        None
    } else {
        Some(length(&mut caller, after_len, limits::STORAGE_KEY_BYTES_MAX, Resource::StorageKeyBytes)?)
    };
    let asked = u64::from(prefix_len) + u64::from(after_len.unwrap_or(0));
    charge_for(&mut caller, |s| s.storage_next, asked)?;
    let prefix = read_guest(&mut caller, prefix_ptr, prefix_len)?;
    let after = match after_len {
        Some(len) => Some(read_guest(&mut caller, after_ptr, len)?),
        None => None,
    };
    let found = match &caller.data().call {
        Some(call) => call.overlay.next(&prefix, after.as_deref()),
        None => Ok((None, 0)),
    };
    let (entry, skipped) = match found {
        Ok(found) => found,
        Err(error) => return Err(state_error(&mut caller, error)),
    };
    let step = charge_of(&caller, |s| s.storage_next_step).for_bytes(0);
    charge(&mut caller, step.saturating_mul(skipped))?;
    let Some((key, value)) = entry else {
        return Ok(-1);
    };
    let per_byte = charge_of(&caller, |s| s.storage_next).per_byte;
    charge(&mut caller, per_byte.saturating_mul((key.len() + value.len()) as u64))?;
    let mut buffer = Vec::with_capacity(4 + key.len() + value.len());
    buffer.extend((key.len() as u32).to_be_bytes());
    buffer.extend(key);
    buffer.extend(value);
    Ok(set_return(&mut caller, buffer))
}

fn return_copy(mut caller: Ctx<'_>, dest: i32) -> HostResult<()> {
    let buffer = call_data(&mut caller).and_then(|call| call.return_buffer.take());
    let Some(buffer) = buffer else {
        return Err(trap(&mut caller, GuestTrap::NothingToCopy));
    };
    charge_for(&mut caller, |s| s.return_copy, buffer.len() as u64)?;
    write_guest(&mut caller, dest, &buffer)
}

fn emit(mut caller: Ctx<'_>, index: i32, ptr: i32, len: i32) -> HostResult<()> {
    refuse_in_view(&mut caller)?;
    let len = length(&mut caller, len, limits::EVENT_BYTES_MAX, Resource::EventBytes)?;
    let count = call_data(&mut caller).map_or(0, |call| call.events.len());
    if count >= limits::EVENTS_PER_CALL_MAX as usize {
        return Err(resource(&mut caller, Resource::EventsPerCall));
    }
    charge_for(&mut caller, |s| s.emit, u64::from(len))?;
    let data = read_guest(&mut caller, ptr, len)?;
    if let Some(call) = call_data(&mut caller) {
        let contract = call.context.contract;
        call.events.push(Event { contract, index: index as u32, data });
    }
    Ok(())
}

fn write_address(mut caller: Ctx<'_>, dest: i32, pick: fn(&CallContext) -> [u8; 20]) -> HostResult<()> {
    charge_for(&mut caller, |s| s.address, 0)?;
    let address = caller.data().call.as_ref().map_or([0; 20], |call| pick(&call.context));
    write_guest(&mut caller, dest, &address)
}

fn signed_by(mut caller: Ctx<'_>, ptr: i32) -> HostResult<i32> {
    charge_for(&mut caller, |s| s.signed_by, 0)?;
    let address = read_guest(&mut caller, ptr, 20)?;
    let signed = caller.data().call.as_ref().is_some_and(|call| {
        call.context.signers.iter().any(|signer| signer.as_slice() == address.as_slice())
    });
    Ok(i32::from(signed))
}

fn block_info(mut caller: Ctx<'_>, pick: fn(&CallContext) -> i64) -> HostResult<i64> {
    charge_for(&mut caller, |s| s.block_info, 0)?;
    Ok(caller.data().call.as_ref().map_or(0, |call| pick(&call.context)))
}

fn hash(
    mut caller: Ctx<'_>,
    (ptr, len, dest): (i32, i32, i32),
    pick: fn(&GasSchedule) -> HostCharge,
    digest: fn(&[u8]) -> [u8; 32],
) -> HostResult<()> {
    let len = length(&mut caller, len, limits::HASH_INPUT_BYTES_MAX, Resource::HashInputBytes)?;
    charge_for(&mut caller, pick, u64::from(len))?;
    let data = read_guest(&mut caller, ptr, len)?;
    write_guest(&mut caller, dest, &digest(&data))
}

fn sha256_digest(data: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(data).into()
}

fn sm3_digest(data: &[u8]) -> [u8; 32] {
    sm3::Sm3::digest(data).into()
}

fn verify_ed25519(mut caller: Ctx<'_>, args: [i32; 6]) -> HostResult<i32> {
    let [key_ptr, key_len, message_ptr, message_len, signature_ptr, signature_len] = args;
    let message_len =
        length(&mut caller, message_len, limits::HASH_INPUT_BYTES_MAX, Resource::HashInputBytes)?;
    charge_for(&mut caller, |s| s.verify_ed25519, u64::from(message_len))?;
    // Wrong lengths are an invalid signature, not a fault: read at most
    // what a real key or signature holds.
    let key_len = (key_len as u32).min(33);
    let signature_len = (signature_len as u32).min(65);
    let key = read_guest(&mut caller, key_ptr, key_len)?;
    let message = read_guest(&mut caller, message_ptr, message_len)?;
    let signature = read_guest(&mut caller, signature_ptr, signature_len)?;
    Ok(i32::from(ed25519_valid(&key, &message, &signature)))
}

/// The ledger's rule for Ed25519 (`crate::signature`).
fn ed25519_valid(key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = <[u8; 32]>::try_from(key) else { return false };
    let Ok(signature) = <[u8; 64]>::try_from(signature) else { return false };
    crate::signature::verify_ed25519(&key, message, &signature)
}

fn abort(mut caller: Ctx<'_>, code: i32, ptr: i32, len: i32) -> HostResult<()> {
    let len = length(&mut caller, len, limits::ABORT_DATA_BYTES_MAX, Resource::AbortDataBytes)?;
    charge_for(&mut caller, |s| s.abort, u64::from(len))?;
    let data = read_guest(&mut caller, ptr, len)?;
    let reason = match AbortCode::from_i32(code) {
        Some(AbortCode::ResourceLimit) => Abort::ResourceLimit { what: Resource::Memory },
        Some(code) => Abort::ContractAbort { code, data },
        None => Abort::GuestTrap { what: GuestTrap::UnknownAbortCode },
    };
    Err(stop(&mut caller, Stop::Abort(reason)))
}

/// A Decimal operand: 16 little-endian bytes of its raw `i128`.
/// Reads a Decimal's 16 bytes in place: Decimal host calls are hot, so
/// no heap copy.
fn read_decimal(caller: &mut Ctx<'_>, ptr: i32) -> HostResult<writ_abi::Decimal> {
    let start = ptr as u32 as usize;
    let raw: Option<[u8; 16]> = caller.data().memory.and_then(|memory| {
        memory.data(&*caller).get(start..start.saturating_add(16)).and_then(|bytes| bytes.try_into().ok())
    });
    match raw {
        Some(raw) => Ok(writ_abi::Decimal::from_raw(i128::from_le_bytes(raw))),
        None => Err(trap(caller, GuestTrap::HostPointerOutOfBounds)),
    }
}

/// Ends the call with a contract abort that carries no data.
fn arithmetic_abort(caller: &mut Ctx<'_>, code: AbortCode) -> wasmtime::Error {
    stop(caller, Stop::Abort(Abort::ContractAbort { code, data: Vec::new() }))
}

fn decimal_result(
    mut caller: Ctx<'_>,
    result: Result<writ_abi::Decimal, writ_abi::ArithError>,
    dest: i32,
) -> HostResult<()> {
    match result {
        Ok(value) => write_guest(&mut caller, dest, &value.raw().to_le_bytes()),
        Err(writ_abi::ArithError::Overflow) => Err(arithmetic_abort(&mut caller, AbortCode::Overflow)),
        Err(writ_abi::ArithError::DivisionByZero) => {
            Err(arithmetic_abort(&mut caller, AbortCode::DivisionByZero))
        }
    }
}

fn decimal_binary(mut caller: Ctx<'_>, a: i32, b: i32, dest: i32, multiply: bool) -> HostResult<()> {
    charge_for(&mut caller, |s| s.decimal, 0)?;
    let (x, y) = (read_decimal(&mut caller, a)?, read_decimal(&mut caller, b)?);
    let result = if multiply { x.checked_mul(y) } else { x.checked_div(y) };
    decimal_result(caller, result, dest)
}

fn decimal_round(mut caller: Ctx<'_>, src: i32, places: i32, mode: i32, dest: i32) -> HostResult<()> {
    charge_for(&mut caller, |s| s.decimal, 0)?;
    let value = read_decimal(&mut caller, src)?;
    let Some(mode) = usize::try_from(mode).ok().and_then(|m| writ_abi::Rounding::ALL.get(m).copied()) else {
        return Err(arithmetic_abort(&mut caller, AbortCode::Conversion));
    };
    // Places arrive as a `u32`; anything from 18 up changes nothing.
    let places = (places as u32).min(writ_abi::decimal::DECIMAL_PLACES);
    decimal_result(caller, value.round(places, mode), dest)
}

fn decimal_from_int(mut caller: Ctx<'_>, value: i64, signed: i32, dest: i32) -> HostResult<()> {
    charge_for(&mut caller, |s| s.decimal, 0)?;
    let whole = if signed != 0 { i128::from(value) } else { i128::from(value as u64) };
    decimal_result(caller, writ_abi::Decimal::from_int(whole), dest)
}

fn decimal_to_int(mut caller: Ctx<'_>, src: i32, target: i32) -> HostResult<i64> {
    charge_for(&mut caller, |s| s.decimal, 0)?;
    let value = read_decimal(&mut caller, src)?;
    match narrow_to(target, value.to_int_exact()) {
        Some(n) => Ok(n),
        None => Err(arithmetic_abort(&mut caller, AbortCode::Conversion)),
    }
}

/// A whole number as integer target 0 `u64`, 1 `i64`, 2 `u32`, 3 `u8` or
/// 4 `Timestamp` (the targets of `decimal_to_int` and `int128`'s
/// `Narrow`), or `None` when it is out of that type's range. u64 values
/// travel as their bit pattern in an i64.
fn narrow_to(target: i32, value: Option<i128>) -> Option<i64> {
    let (low, high): (i128, i128) = match target {
        0 | 4 => (0, i128::from(u64::MAX)),
        1 => (i128::from(i64::MIN), i128::from(i64::MAX)),
        2 => (0, i128::from(u32::MAX)),
        3 => (0, i128::from(u8::MAX)),
        _ => return None,
    };
    value.filter(|n| (low..=high).contains(n)).map(|n| n as i64)
}

/// Reads a 16-byte little-endian 128-bit value in place.
fn read_128(caller: &mut Ctx<'_>, ptr: i32) -> HostResult<[u8; 16]> {
    let start = ptr as u32 as usize;
    let raw: Option<[u8; 16]> = caller.data().memory.and_then(|memory| {
        memory.data(&*caller).get(start..start.saturating_add(16)).and_then(|bytes| bytes.try_into().ok())
    });
    raw.ok_or_else(|| trap(caller, GuestTrap::HostPointerOutOfBounds))
}

/// `int128(op, a, b, dest)`: see `writ_abi::host::INT128`.
fn int128(mut caller: Ctx<'_>, op: i32, a: i32, b: i32, dest: i32) -> HostResult<()> {
    use writ_abi::host::Int128Op as Op;
    charge_for(&mut caller, |s| s.decimal, 0)?;
    let Some(op) = Op::from_i32(op) else {
        return Err(arithmetic_abort(&mut caller, AbortCode::Conversion));
    };
    let x = read_128(&mut caller, a)?;
    let (xu, xi) = (u128::from_le_bytes(x), i128::from_le_bytes(x));
    let operand = |caller: &mut Ctx<'_>| -> HostResult<[u8; 16]> { read_128(caller, b) };
    let overflow = AbortCode::Overflow;
    let result: Result<Vec<u8>, AbortCode> = match op {
        Op::MulU | Op::DivU | Op::RemU => {
            let y = u128::from_le_bytes(operand(&mut caller)?);
            match op {
                Op::MulU => xu.checked_mul(y).ok_or(overflow),
                _ if y == 0 => Err(AbortCode::DivisionByZero),
                Op::DivU => Ok(xu / y),
                _ => Ok(xu % y),
            }
            .map(|v| v.to_le_bytes().to_vec())
        }
        Op::MulI | Op::DivI | Op::RemI => {
            let y = i128::from_le_bytes(operand(&mut caller)?);
            match op {
                Op::MulI => xi.checked_mul(y).ok_or(overflow),
                _ if y == 0 => Err(AbortCode::DivisionByZero),
                Op::DivI => xi.checked_div(y).ok_or(overflow),
                // i128::MIN % -1 is 0, as for i64 (it cannot overflow).
                _ => Ok(xi.checked_rem(y).unwrap_or(0)),
            }
            .map(|v| v.to_le_bytes().to_vec())
        }
        Op::UToI => i128::try_from(xu).map(|v| v.to_le_bytes().to_vec()).map_err(|_| AbortCode::Conversion),
        Op::IToU => u128::try_from(xi).map(|v| v.to_le_bytes().to_vec()).map_err(|_| AbortCode::Conversion),
        Op::DecimalToU | Op::DecimalToI => {
            let whole = writ_abi::Decimal::from_raw(xi).to_int_exact().ok_or(AbortCode::Conversion);
            match (op, whole) {
                (Op::DecimalToU, Ok(n)) => {
                    u128::try_from(n).map(|v| v.to_le_bytes().to_vec()).map_err(|_| AbortCode::Conversion)
                }
                (_, whole) => whole.map(|n| n.to_le_bytes().to_vec()),
            }
        }
        Op::UToDecimal | Op::IToDecimal => {
            let whole = if op == Op::UToDecimal { i128::try_from(xu).map_err(|_| overflow) } else { Ok(xi) };
            whole
                .and_then(|n| writ_abi::Decimal::from_int(n).map_err(|_| overflow))
                .map(|d| d.raw().to_le_bytes().to_vec())
        }
        Op::Narrow => {
            let (from_signed, target) = if b >= 5 { (true, b - 5) } else { (false, b) };
            let value: Option<i128> = if from_signed { Some(xi) } else { i128::try_from(xu).ok() };
            narrow_to(target, value).map(|n| n.to_le_bytes().to_vec()).ok_or(AbortCode::Conversion)
        }
    };
    match result {
        Ok(bytes) => write_guest(&mut caller, dest, &bytes),
        Err(code) => Err(arithmetic_abort(&mut caller, code)),
    }
}

/// A linker with every host function of the ABI under module `writ`.
pub(crate) fn linker(engine: &wasmtime::Engine) -> Result<Linker<HostState>, wasmtime::Error> {
    let mut linker = Linker::new(engine);
    let m = host::IMPORT_MODULE;
    linker.func_wrap(m, host::STORAGE_READ.name, storage_read)?;
    linker.func_wrap(m, host::STORAGE_WRITE.name, storage_write)?;
    linker.func_wrap(m, host::STORAGE_REMOVE.name, storage_remove)?;
    linker.func_wrap(m, host::STORAGE_NEXT.name, storage_next)?;
    linker.func_wrap(m, host::RETURN_COPY.name, return_copy)?;
    linker.func_wrap(m, host::EMIT.name, emit)?;
    linker.func_wrap(m, host::CALLER.name, |caller: Ctx<'_>, dest: i32| {
        write_address(caller, dest, |c| c.caller)
    })?;
    linker.func_wrap(m, host::CONTRACT_ADDRESS.name, |caller: Ctx<'_>, dest: i32| {
        write_address(caller, dest, |c| c.contract)
    })?;
    linker.func_wrap(m, host::SIGNED_BY.name, signed_by)?;
    linker.func_wrap(m, host::NOW.name, |caller: Ctx<'_>| block_info(caller, |c| c.block_time))?;
    linker.func_wrap(m, host::BLOCK_HEIGHT.name, |caller: Ctx<'_>| {
        block_info(caller, |c| c.block_height as i64)
    })?;
    linker.func_wrap(m, host::SHA256.name, |caller: Ctx<'_>, ptr: i32, len: i32, dest: i32| {
        hash(caller, (ptr, len, dest), |s| s.sha256, sha256_digest)
    })?;
    linker.func_wrap(m, host::SM3.name, |caller: Ctx<'_>, ptr: i32, len: i32, dest: i32| {
        hash(caller, (ptr, len, dest), |s| s.sm3, sm3_digest)
    })?;
    linker.func_wrap(
        m,
        host::VERIFY_ED25519.name,
        |caller: Ctx<'_>, a: i32, b: i32, c: i32, d: i32, e: i32, f: i32| {
            verify_ed25519(caller, [a, b, c, d, e, f])
        },
    )?;
    linker.func_wrap(m, host::ABORT.name, abort)?;
    linker.func_wrap(m, host::DECIMAL_MUL.name, |caller: Ctx<'_>, a: i32, b: i32, dest: i32| {
        decimal_binary(caller, a, b, dest, true)
    })?;
    linker.func_wrap(m, host::DECIMAL_DIV.name, |caller: Ctx<'_>, a: i32, b: i32, dest: i32| {
        decimal_binary(caller, a, b, dest, false)
    })?;
    linker.func_wrap(m, host::DECIMAL_ROUND.name, decimal_round)?;
    linker.func_wrap(m, host::DECIMAL_FROM_INT.name, decimal_from_int)?;
    linker.func_wrap(m, host::DECIMAL_TO_INT.name, decimal_to_int)?;
    linker.func_wrap(m, host::INT128.name, int128)?;
    linker.func_wrap(m, host::CALL_CONTRACT.name, crate::calls::call_contract)?;
    Ok(linker)
}

/// `writ_test.op`: hands the input to the runner. Not metered: the
/// harness's own instructions are, and every contract call it makes runs
/// under its own gas limit.
fn test_op(mut caller: Ctx<'_>, code: i32, ptr: i32, len: i32) -> HostResult<i32> {
    let len = length(&mut caller, len, limits::ARGS_BYTES_MAX, Resource::ResultBytes)?;
    let input = read_guest(&mut caller, ptr, len)?;
    let Some(mut runner) = caller.data_mut().test_host.take() else {
        return Err(trap(&mut caller, GuestTrap::Other));
    };
    let result = match call_data(&mut caller) {
        Some(call) => runner.op(code, &input, &mut call.context),
        None => Err(TestStop),
    };
    caller.data_mut().test_host = Some(runner);
    match result {
        Ok(output) => Ok(set_return(&mut caller, output)),
        Err(TestStop) => Err(stop(&mut caller, Stop::Abort(Abort::TestStopped))),
    }
}

/// The contract linker plus `writ_test.op`, for test harnesses only.
pub(crate) fn harness_linker(engine: &wasmtime::Engine) -> Result<Linker<HostState>, wasmtime::Error> {
    let mut linker = linker(engine)?;
    linker.func_wrap(host::test::IMPORT_MODULE, host::test::OP.name, test_op)?;
    Ok(linker)
}

/// Per-call data for a transaction's call reading `state`.
pub(crate) fn call_data_for(
    state: Arc<dyn State>,
    context: CallContext,
    schedule: &'static GasSchedule,
    read_only: bool,
    frames: Box<Frames>,
) -> CallData {
    CallData {
        overlay: Overlay::new(state),
        events: Vec::new(),
        return_buffer: None,
        context,
        schedule,
        read_only,
        frames: Some(frames),
    }
}

/// Stops a view that tries to change state. Checked before any charge, so
/// the refusal costs no more gas than the instructions that led to it.
fn refuse_in_view(caller: &mut Ctx<'_>) -> HostResult<()> {
    if caller.data().call.as_ref().is_some_and(|call| call.read_only) {
        return Err(trap(caller, GuestTrap::StateChangeInView));
    }
    Ok(())
}
