//! What a call produced: success with its result, events and writes, or an
//! abort with its cause; gas used in every case.
//!
//! Invariant: outcomes go into receipts, so they are plain data, equal on
//! every node: no OS error text, no `Debug` dumps, no wasmtime messages.

use writ_abi::host::AbortCode;

/// The report of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallReport {
    /// Gas the call used: fuel consumed plus host charges, including what
    /// was spent before an abort. Equals the gas limit after `OutOfGas`.
    pub gas_used: u64,
    pub outcome: Outcome,
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Success(Success),
    /// Nothing the call did is kept: no writes, no events.
    Aborted(Abort),
}

/// What a successful call returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success {
    /// The canonical encoding of the returned value (empty for `()`).
    pub result: Vec<u8>,
    /// Events in the order they were emitted.
    pub events: Vec<Event>,
    /// The call's net storage changes, in ascending key order.
    pub writes: Vec<Write>,
}

/// One emitted event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event's index in declaration order.
    pub index: u32,
    /// The canonical encoding of its fields as a tuple.
    pub data: Vec<u8>,
}

/// One storage change: a key and its new value, or `None` when removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

/// Why a call aborted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Abort {
    /// The call used its whole gas limit (Wasm fuel or a host charge).
    #[error("out of gas")]
    OutOfGas,
    /// The guest trapped after the VM refused to grow its memory past the
    /// memory limit (a guest that handles the refusal and calls
    /// `abort(ResourceLimit)` gets `ResourceLimit { what: Memory }` instead).
    #[error("memory limit reached")]
    MemoryLimit,
    /// The Wasm stack limit was reached (usually unbounded recursion).
    #[error("stack limit reached")]
    StackLimit,
    /// A bound of the VM was exceeded (see `Resource`).
    #[error("resource limit reached: {what}")]
    ResourceLimit { what: Resource },
    /// The contract aborted itself (`require`, a checked error, `fail`…).
    #[error("contract aborted: {}", code.name())]
    ContractAbort { code: AbortCode, data: Vec<u8> },
    /// The arguments were refused before the contract ran.
    #[error("invalid arguments: {why}")]
    InvalidArguments { why: ArgumentsProblem },
    /// The module exports no entry point of that name.
    #[error("unknown entry point")]
    UnknownEntryPoint,
    /// The guest broke the machine's or the ABI's rules.
    #[error("guest trap: {what}")]
    GuestTrap { what: GuestTrap },
    /// Only in `writ test`: the test runner stopped a harness (a failed
    /// assertion, an unexpected abort). Contracts cannot cause it.
    #[error("stopped by the test runner")]
    TestStopped,
}

/// Which VM bound a call exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Resource {
    /// The guest reported it could not get memory (`abort(ResourceLimit)`).
    #[error("guest memory")]
    Memory,
    #[error("storage key length")]
    StorageKeyBytes,
    #[error("storage value length")]
    StorageValueBytes,
    #[error("number of events")]
    EventsPerCall,
    #[error("event length")]
    EventBytes,
    #[error("result length")]
    ResultBytes,
    #[error("abort data length")]
    AbortDataBytes,
    #[error("hash input length")]
    HashInputBytes,
}

/// Why arguments were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ArgumentsProblem {
    #[error("longer than the argument limit")]
    TooLong,
    #[error("the gas limit is above the VM's maximum")]
    GasLimitTooHigh,
}

/// A guest fault, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GuestTrap {
    #[error("unreachable executed")]
    Unreachable,
    #[error("memory access out of bounds")]
    MemoryOutOfBounds,
    #[error("integer division by zero")]
    IntegerDivisionByZero,
    #[error("integer overflow")]
    IntegerOverflow,
    #[error("table access out of bounds")]
    TableOutOfBounds,
    #[error("indirect call to a null entry")]
    IndirectCallToNull,
    #[error("indirect call with the wrong signature")]
    BadSignature,
    /// A host function was given a pointer and length outside memory.
    #[error("host call with bytes outside memory")]
    HostPointerOutOfBounds,
    /// `abort` was called with a code the ABI does not define.
    #[error("abort with an unknown code")]
    UnknownAbortCode,
    /// `return_copy` was called with no return buffer pending.
    #[error("return_copy with nothing to copy")]
    NothingToCopy,
    /// The entry point returned a pointer and length outside memory.
    #[error("result outside memory")]
    ResultOutOfBounds,
    /// `writ_alloc` returned a block outside memory.
    #[error("allocation outside memory")]
    AllocationOutOfBounds,
    /// `writ_reset` trapped or needed more than its fixed budget.
    #[error("writ_reset failed")]
    ResetFailed,
    /// A view entry point (as the module's ABI document declares it) tried
    /// to write or remove storage or emit an event.
    #[error("a view tried to change state")]
    StateChangeInView,
    /// A trap of a kind a validated module cannot raise.
    #[error("other trap")]
    Other,
}
