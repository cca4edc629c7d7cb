//! What a call produced: success with its result, events and writes, or an
//! abort with its cause; gas used in every case.
//!
//! A transaction's call may call other contracts (`host::call_contract`);
//! its report covers them all: every contract's writes, every event in
//! emission order, and, when a called contract aborted, which one and how.
//!
//! Invariant: outcomes go into receipts, so they are plain data, equal on
//! every node: no OS error text, no `Debug` dumps, no wasmtime messages.

use std::borrow::Cow;

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
    /// The net storage changes of every other contract the call reached
    /// through calls between contracts, by ascending address, each in
    /// ascending key order. Contracts only read are not listed.
    pub called_writes: Vec<([u8; 20], Vec<Write>)>,
}

/// One emitted event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The contract that emitted it (its index and data follow that
    /// contract's ABI).
    pub contract: [u8; 20],
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
    /// A contract this call reached through a call between contracts
    /// aborted, and with it the whole transaction. `contract` is the one
    /// that aborted (the deepest, however many calls lie between), and
    /// `abort` how: never itself a `Callee`.
    #[error("the called contract {} aborted: {abort}", hex20(contract))]
    Callee { contract: [u8; 20], abort: Box<Abort> },
    /// The VM refused a call between contracts before the callee ran.
    #[error("call refused: {why}")]
    CallRefused { why: CallProblem },
}

/// Why the VM refused a call between contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CallProblem {
    #[error("no contract at that address")]
    NoContract,
    #[error("the contract there has no such entry point")]
    NoSuchEntryPoint,
    /// The callee's entry point takes or returns other types than the
    /// caller was compiled for (or is not the kind it expects).
    #[error("the contract there has another interface")]
    InterfaceMismatch,
    /// The callee is already on the call stack.
    #[error("re-entering a contract already on the call stack")]
    Reentrancy,
    #[error("the call depth limit was reached")]
    DepthLimit,
    /// A view, or a contract called by one, called an entry point that may
    /// change state.
    #[error("a view called an entry point that may change state")]
    StateChangeFromView,
    /// The arguments are not a canonical encoding of the callee's
    /// parameter types (only a module the compiler did not make sends such).
    #[error("the arguments do not fit the entry point's parameters")]
    MalformedArguments,
    /// The callee returned bytes that are not a canonical encoding of the
    /// result type it declares.
    #[error("the result does not fit the entry point's result type")]
    MalformedResult,
    /// The transaction already reached `CONTRACTS_PER_TRANSACTION_MAX`
    /// contracts.
    #[error("the transaction reached too many contracts")]
    TooManyContracts,
}

impl CallProblem {
    /// The stable number receipts record (see [`AbortNumbers`]).
    pub fn number(self) -> u32 {
        match self {
            CallProblem::NoContract => 0,
            CallProblem::NoSuchEntryPoint => 1,
            CallProblem::InterfaceMismatch => 2,
            CallProblem::Reentrancy => 3,
            CallProblem::DepthLimit => 4,
            CallProblem::StateChangeFromView => 5,
            CallProblem::MalformedArguments => 6,
            CallProblem::MalformedResult => 7,
            CallProblem::TooManyContracts => 8,
        }
    }

    pub fn from_number(number: u32) -> Option<CallProblem> {
        Some(match number {
            0 => CallProblem::NoContract,
            1 => CallProblem::NoSuchEntryPoint,
            2 => CallProblem::InterfaceMismatch,
            3 => CallProblem::Reentrancy,
            4 => CallProblem::DepthLimit,
            5 => CallProblem::StateChangeFromView,
            6 => CallProblem::MalformedArguments,
            7 => CallProblem::MalformedResult,
            8 => CallProblem::TooManyContracts,
            _ => return None,
        })
    }
}

fn hex20(address: &[u8; 20]) -> String {
    address.iter().map(|byte| format!("{byte:02x}")).collect()
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

/// An abort as the two numbers a receipt records: its kind and one detail
/// (which `AbortCode`, `Resource`, `ArgumentsProblem` or `GuestTrap`; 0 for
/// kinds without one). With the abort's data they give the abort back.
///
/// Invariant: these numbers are consensus data. Each is written out below
/// by hand, never derived from declaration order, so reordering or adding
/// variants cannot change a number already in use; `tests` pins them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortNumbers {
    pub kind: u8,
    pub detail: u32,
}

impl Abort {
    /// The stable numbers of this abort.
    pub fn numbers(&self) -> AbortNumbers {
        let (kind, detail) = match self {
            Abort::OutOfGas => (0, 0),
            Abort::MemoryLimit => (1, 0),
            Abort::StackLimit => (2, 0),
            Abort::ResourceLimit { what } => (3, what.number()),
            // The host ABI's own numbers, which it already keeps stable
            // (changing one needs a new `HOST_ABI_VERSION`).
            Abort::ContractAbort { code, .. } => (4, *code as i32 as u32),
            Abort::InvalidArguments { why } => (5, why.number()),
            Abort::UnknownEntryPoint => (6, 0),
            Abort::GuestTrap { what } => (7, what.number()),
            Abort::TestStopped => (8, 0),
            // The callee's own kind as the detail; its address, detail and
            // data are the data.
            Abort::Callee { abort, .. } => (9, u32::from(abort.numbers().kind)),
            Abort::CallRefused { why } => (10, why.number()),
        };
        AbortNumbers { kind, detail }
    }

    /// The abort's data: what a contract passed to `abort` (for a contract
    /// error, its index as 4 bytes big-endian then its fields); for a
    /// callee's abort, the callee's address, its abort's detail (4 bytes
    /// big-endian) and data; empty for every other abort the VM raises.
    pub fn data(&self) -> Cow<'_, [u8]> {
        match self {
            Abort::ContractAbort { data, .. } => Cow::Borrowed(data),
            Abort::Callee { contract, abort } => {
                let inner = abort.data();
                let mut data = Vec::with_capacity(24 + inner.len());
                data.extend_from_slice(contract);
                data.extend(abort.numbers().detail.to_be_bytes());
                data.extend_from_slice(&inner);
                Cow::Owned(data)
            }
            _ => Cow::Borrowed(&[]),
        }
    }

    /// The abort a transaction reports when contract `contract`, called
    /// from another, aborted with `self`: the deepest callee is kept.
    pub fn in_callee(self, contract: [u8; 20]) -> Abort {
        match self {
            Abort::Callee { .. } => self,
            abort => Abort::Callee { contract, abort: Box::new(abort) },
        }
    }

    /// The abort with these numbers and data, the inverse of
    /// [`Abort::numbers`] and [`Abort::data`]. `None` for numbers no abort
    /// has, a detail on a kind without one, or data on an abort that
    /// carries none: each abort has exactly one form.
    pub fn from_numbers(numbers: AbortNumbers, data: &[u8]) -> Option<Abort> {
        let AbortNumbers { kind, detail } = numbers;
        let abort = match kind {
            0 => Abort::OutOfGas,
            1 => Abort::MemoryLimit,
            2 => Abort::StackLimit,
            3 => Abort::ResourceLimit { what: Resource::from_number(detail)? },
            4 => {
                let code = i32::try_from(detail).ok().and_then(AbortCode::from_i32)?;
                return Some(Abort::ContractAbort { code, data: data.to_vec() });
            }
            5 => Abort::InvalidArguments { why: ArgumentsProblem::from_number(detail)? },
            6 => Abort::UnknownEntryPoint,
            7 => Abort::GuestTrap { what: GuestTrap::from_number(detail)? },
            8 => Abort::TestStopped,
            9 => {
                let kind = u8::try_from(detail).ok().filter(|kind| *kind != 9)?;
                let contract: [u8; 20] = data.get(..20)?.try_into().ok()?;
                let inner_detail = u32::from_be_bytes(data.get(20..24)?.try_into().ok()?);
                let inner =
                    Abort::from_numbers(AbortNumbers { kind, detail: inner_detail }, data.get(24..)?)?;
                return Some(Abort::Callee { contract, abort: Box::new(inner) });
            }
            10 => Abort::CallRefused { why: CallProblem::from_number(detail)? },
            _ => return None,
        };
        let canonical = abort.numbers() == numbers && data.is_empty();
        canonical.then_some(abort)
    }
}

impl Resource {
    /// The stable number receipts record (see [`AbortNumbers`]).
    pub fn number(self) -> u32 {
        match self {
            Resource::Memory => 0,
            Resource::StorageKeyBytes => 1,
            Resource::StorageValueBytes => 2,
            Resource::EventsPerCall => 3,
            Resource::EventBytes => 4,
            Resource::ResultBytes => 5,
            Resource::AbortDataBytes => 6,
            Resource::HashInputBytes => 7,
        }
    }

    pub fn from_number(number: u32) -> Option<Resource> {
        Some(match number {
            0 => Resource::Memory,
            1 => Resource::StorageKeyBytes,
            2 => Resource::StorageValueBytes,
            3 => Resource::EventsPerCall,
            4 => Resource::EventBytes,
            5 => Resource::ResultBytes,
            6 => Resource::AbortDataBytes,
            7 => Resource::HashInputBytes,
            _ => return None,
        })
    }
}

impl ArgumentsProblem {
    /// The stable number receipts record (see [`AbortNumbers`]).
    pub fn number(self) -> u32 {
        match self {
            ArgumentsProblem::TooLong => 0,
            ArgumentsProblem::GasLimitTooHigh => 1,
        }
    }

    pub fn from_number(number: u32) -> Option<ArgumentsProblem> {
        Some(match number {
            0 => ArgumentsProblem::TooLong,
            1 => ArgumentsProblem::GasLimitTooHigh,
            _ => return None,
        })
    }
}

impl GuestTrap {
    /// The stable number receipts record (see [`AbortNumbers`]).
    pub fn number(self) -> u32 {
        match self {
            GuestTrap::Unreachable => 0,
            GuestTrap::MemoryOutOfBounds => 1,
            GuestTrap::IntegerDivisionByZero => 2,
            GuestTrap::IntegerOverflow => 3,
            GuestTrap::TableOutOfBounds => 4,
            GuestTrap::IndirectCallToNull => 5,
            GuestTrap::BadSignature => 6,
            GuestTrap::HostPointerOutOfBounds => 7,
            GuestTrap::UnknownAbortCode => 8,
            GuestTrap::NothingToCopy => 9,
            GuestTrap::ResultOutOfBounds => 10,
            GuestTrap::AllocationOutOfBounds => 11,
            GuestTrap::ResetFailed => 12,
            GuestTrap::StateChangeInView => 13,
            GuestTrap::Other => 14,
        }
    }

    pub fn from_number(number: u32) -> Option<GuestTrap> {
        Some(match number {
            0 => GuestTrap::Unreachable,
            1 => GuestTrap::MemoryOutOfBounds,
            2 => GuestTrap::IntegerDivisionByZero,
            3 => GuestTrap::IntegerOverflow,
            4 => GuestTrap::TableOutOfBounds,
            5 => GuestTrap::IndirectCallToNull,
            6 => GuestTrap::BadSignature,
            7 => GuestTrap::HostPointerOutOfBounds,
            8 => GuestTrap::UnknownAbortCode,
            9 => GuestTrap::NothingToCopy,
            10 => GuestTrap::ResultOutOfBounds,
            11 => GuestTrap::AllocationOutOfBounds,
            12 => GuestTrap::ResetFailed,
            13 => GuestTrap::StateChangeInView,
            14 => GuestTrap::Other,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    /// Every abort with the numbers receipts record for it, written out.
    /// A change here changes receipts, hence roots: it is a new receipt
    /// version, never a refactoring.
    fn pinned() -> Vec<(Abort, u8, u32)> {
        use AbortCode as C;
        use GuestTrap as T;
        use Resource as R;
        let contract = |code| Abort::ContractAbort { code, data: Vec::new() };
        let resource = |what| Abort::ResourceLimit { what };
        let trap = |what| Abort::GuestTrap { what };
        vec![
            (Abort::OutOfGas, 0, 0),
            (Abort::MemoryLimit, 1, 0),
            (Abort::StackLimit, 2, 0),
            (resource(R::Memory), 3, 0),
            (resource(R::StorageKeyBytes), 3, 1),
            (resource(R::StorageValueBytes), 3, 2),
            (resource(R::EventsPerCall), 3, 3),
            (resource(R::EventBytes), 3, 4),
            (resource(R::ResultBytes), 3, 5),
            (resource(R::AbortDataBytes), 3, 6),
            (resource(R::HashInputBytes), 3, 7),
            (contract(C::Require), 4, 0),
            (contract(C::MissingRole), 4, 1),
            (contract(C::Overflow), 4, 2),
            (contract(C::DivisionByZero), 4, 3),
            (contract(C::Conversion), 4, 4),
            (contract(C::NoneUnwrapped), 4, 5),
            (contract(C::IndexOutOfRange), 4, 6),
            (contract(C::MissingKey), 4, 7),
            (contract(C::ContractError), 4, 8),
            (contract(C::AssertionFailed), 4, 9),
            (contract(C::ResourceLimit), 4, 10),
            (Abort::InvalidArguments { why: ArgumentsProblem::TooLong }, 5, 0),
            (Abort::InvalidArguments { why: ArgumentsProblem::GasLimitTooHigh }, 5, 1),
            (Abort::UnknownEntryPoint, 6, 0),
            (trap(T::Unreachable), 7, 0),
            (trap(T::MemoryOutOfBounds), 7, 1),
            (trap(T::IntegerDivisionByZero), 7, 2),
            (trap(T::IntegerOverflow), 7, 3),
            (trap(T::TableOutOfBounds), 7, 4),
            (trap(T::IndirectCallToNull), 7, 5),
            (trap(T::BadSignature), 7, 6),
            (trap(T::HostPointerOutOfBounds), 7, 7),
            (trap(T::UnknownAbortCode), 7, 8),
            (trap(T::NothingToCopy), 7, 9),
            (trap(T::ResultOutOfBounds), 7, 10),
            (trap(T::AllocationOutOfBounds), 7, 11),
            (trap(T::ResetFailed), 7, 12),
            (trap(T::StateChangeInView), 7, 13),
            (trap(T::Other), 7, 14),
            (Abort::TestStopped, 8, 0),
            (Abort::CallRefused { why: CallProblem::NoContract }, 10, 0),
            (Abort::CallRefused { why: CallProblem::NoSuchEntryPoint }, 10, 1),
            (Abort::CallRefused { why: CallProblem::InterfaceMismatch }, 10, 2),
            (Abort::CallRefused { why: CallProblem::Reentrancy }, 10, 3),
            (Abort::CallRefused { why: CallProblem::DepthLimit }, 10, 4),
            (Abort::CallRefused { why: CallProblem::StateChangeFromView }, 10, 5),
            (Abort::CallRefused { why: CallProblem::MalformedArguments }, 10, 6),
            (Abort::CallRefused { why: CallProblem::MalformedResult }, 10, 7),
            (Abort::CallRefused { why: CallProblem::TooManyContracts }, 10, 8),
        ]
    }

    // Every abort keeps the numbers it had when receipts first recorded
    // them, and those numbers give the same abort back.
    #[test]
    fn abort_numbers_are_pinned() {
        for (abort, kind, detail) in pinned() {
            assert_eq!(abort.numbers(), AbortNumbers { kind, detail }, "{abort:?}");
            assert_eq!(Abort::from_numbers(AbortNumbers { kind, detail }, &[]), Some(abort));
        }
    }

    // No numbers outside the pinned table name an abort, so the table is
    // the whole of the numbering; and contract data survives the trip.
    #[test]
    fn only_pinned_numbers_decode() {
        let table = pinned();
        for kind in 0..=u8::MAX {
            for detail in (0..64).chain([u32::MAX, 1 << 31]) {
                let numbers = AbortNumbers { kind, detail };
                let listed = table.iter().any(|(_, k, d)| (*k, *d) == (kind, detail));
                assert_eq!(Abort::from_numbers(numbers, &[]).is_some(), listed, "{numbers:?}");
            }
        }
        let data = vec![0, 0, 0, 2, 9, 9];
        let abort = Abort::ContractAbort { code: AbortCode::ContractError, data: data.clone() };
        assert_eq!(Abort::from_numbers(abort.numbers(), &abort.data()), Some(abort));
        // Data on an abort that carries none has no meaning: refused.
        assert_eq!(Abort::from_numbers(Abort::OutOfGas.numbers(), &data), None);
    }

    // A callee's abort carries the inner abort whole: every pinned abort
    // survives the trip inside one, and a callee inside a callee, a short
    // address or trailing bytes are refused.
    #[test]
    fn callee_aborts_round_trip_and_nest_once() {
        for (inner, _, _) in pinned() {
            let inner = match inner {
                Abort::ContractAbort { code, .. } => Abort::ContractAbort { code, data: vec![0, 0, 0, 1, 7] },
                other => other,
            };
            let abort = inner.clone().in_callee([4; 20]);
            assert_eq!(abort.clone().in_callee([5; 20]), abort, "the deepest callee is kept");
            assert_eq!(Abort::from_numbers(abort.numbers(), &abort.data()), Some(abort.clone()), "{abort:?}");
            let mut longer = abort.data().into_owned();
            longer.push(0);
            let canonical_data = matches!(inner, Abort::ContractAbort { .. });
            assert_eq!(Abort::from_numbers(abort.numbers(), &longer).is_some(), canonical_data);
        }
        let data = Abort::OutOfGas.in_callee([1; 20]).data().into_owned();
        assert_eq!(Abort::from_numbers(AbortNumbers { kind: 9, detail: 9 }, &data), None);
        assert_eq!(Abort::from_numbers(AbortNumbers { kind: 9, detail: 0 }, &data[..19]), None);
    }
}
