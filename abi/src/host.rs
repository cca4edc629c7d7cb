//! The host ABI: how a compiled contract (a WebAssembly module) and the VM
//! talk. Import names and signatures, export names, the calling convention,
//! storage key layout and abort codes. The compiler emits exactly this and
//! the VM accepts exactly this; `docs/host-abi.md` explains it in prose.
//!
//! Invariant: this file is the single source of these names and numbers.
//! Changing any of them changes what deployed code means, so it goes with
//! a new `HOST_ABI_VERSION`.

/// Version of everything in this file, recorded in every artifact.
/// Version 2 added `int128` (u128 and i128 arithmetic); version 3 added
/// `call_contract` (calls between contracts).
pub const HOST_ABI_VERSION: u32 = 3;

/// The only module name a contract may import from.
pub const IMPORT_MODULE: &str = "writ";

/// A WebAssembly value type in an import or export signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmType {
    I32,
    I64,
}

/// One host function: its name and signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostFn {
    pub name: &'static str,
    pub params: &'static [WasmType],
    pub results: &'static [WasmType],
}

use WasmType::{I32, I64};

/// Reads storage. Params: key pointer, key length. Result: the value's
/// length, or -1 if the key is absent. The value waits in the host's
/// return buffer for `return_copy`.
pub const STORAGE_READ: HostFn = HostFn { name: "storage_read", params: &[I32, I32], results: &[I32] };
/// Writes storage. Params: key pointer, key length, value pointer, value length.
pub const STORAGE_WRITE: HostFn =
    HostFn { name: "storage_write", params: &[I32, I32, I32, I32], results: &[] };
/// Removes a key (absent keys are fine). Params: key pointer, key length.
pub const STORAGE_REMOVE: HostFn = HostFn { name: "storage_remove", params: &[I32, I32], results: &[] };
/// Finds the first key that starts with a prefix and sorts strictly after
/// a given key (or is the first with the prefix when the after-length is
/// -1). Params: prefix pointer, prefix length, after pointer, after length.
/// Result: -1 if there is none, else the length of the return buffer,
/// which holds `u32 big-endian key length ++ key ++ value`.
pub const STORAGE_NEXT: HostFn =
    HostFn { name: "storage_next", params: &[I32, I32, I32, I32], results: &[I32] };
/// Copies the return buffer to guest memory. Param: destination pointer
/// (the guest has allocated the length the previous call returned).
pub const RETURN_COPY: HostFn = HostFn { name: "return_copy", params: &[I32], results: &[] };
/// Records an event. Params: event index (declaration order), pointer and
/// length of the canonical encoding of its fields as a tuple.
pub const EMIT: HostFn = HostFn { name: "emit", params: &[I32, I32, I32], results: &[] };
/// Writes the 20-byte address of the immediate caller. Param: destination.
pub const CALLER: HostFn = HostFn { name: "caller", params: &[I32], results: &[] };
/// Writes the 20-byte address of the running contract. Param: destination.
pub const CONTRACT_ADDRESS: HostFn = HostFn { name: "contract_address", params: &[I32], results: &[] };
/// Whether the 20-byte address at the pointer signed the transaction (1 or 0).
pub const SIGNED_BY: HostFn = HostFn { name: "signed_by", params: &[I32], results: &[I32] };
/// The block's time, seconds since 1970-01-01 UTC.
pub const NOW: HostFn = HostFn { name: "now", params: &[], results: &[I64] };
/// The block's height.
pub const BLOCK_HEIGHT: HostFn = HostFn { name: "block_height", params: &[], results: &[I64] };
/// SHA-256 of bytes. Params: data pointer, data length, 32-byte destination.
pub const SHA256: HostFn = HostFn { name: "sha256", params: &[I32, I32, I32], results: &[] };
/// SM3 of bytes. Params: data pointer, data length, 32-byte destination.
pub const SM3: HostFn = HostFn { name: "sm3", params: &[I32, I32, I32], results: &[] };
/// Ed25519 verification (1 valid, 0 not). Params: public key pointer and
/// length, message pointer and length, signature pointer and length.
pub const VERIFY_ED25519: HostFn =
    HostFn { name: "verify_ed25519", params: &[I32, I32, I32, I32, I32, I32], results: &[I32] };
/// Ends the call with an abort; never returns. Params: abort code (below),
/// pointer and length of its data.
pub const ABORT: HostFn = HostFn { name: "abort", params: &[I32, I32, I32], results: &[] };

/// Calls an entry point of another contract and waits for it. Params:
/// pointer to the callee's 20-byte address, pointer and length of the
/// entry point's name, pointer and length of the arguments (canonical
/// encoding of a tuple), pointer and length of the interface the caller
/// expects (`crate::interface`), and the most gas to forward (a `u64`:
/// `u64::MAX`, all ones, forwards all the caller has left). Result: the length of the callee's result,
/// which waits in the return buffer. Any abort of the callee, or a refusal
/// of the call (no contract there, another interface, re-entry, too deep,
/// a view calling a state-changing entry point), ends the calling
/// transaction; it never returns.
pub const CALL_CONTRACT: HostFn =
    HostFn { name: "call_contract", params: &[I32, I32, I32, I32, I32, I32, I32, I64], results: &[I32] };

/// Decimal values cross as pointers to 16 bytes holding the raw `i128`
/// (the value times 10^18), little-endian. The host computes with the
/// reference `Decimal`, so every node rounds identically.
///
/// `a * b` rounded half to even. Params: pointers to a, b, destination.
/// Aborts the call with `Overflow`.
pub const DECIMAL_MUL: HostFn = HostFn { name: "decimal_mul", params: &[I32, I32, I32], results: &[] };
/// `a / b` rounded half to even. Params: pointers to a, b, destination.
/// Aborts with `DivisionByZero` or `Overflow`.
pub const DECIMAL_DIV: HostFn = HostFn { name: "decimal_div", params: &[I32, I32, I32], results: &[] };
/// Rounds to a number of places. Params: source pointer, places, mode (the
/// index in `Rounding::ALL`: Down, Up, Floor, Ceiling, HalfUp, HalfDown,
/// HalfEven), destination. Aborts with `Overflow`.
pub const DECIMAL_ROUND: HostFn =
    HostFn { name: "decimal_round", params: &[I32, I32, I32, I32], results: &[] };
/// An integer as a Decimal. Params: the value, whether it is signed (1) or
/// unsigned (0), destination. Never aborts: every 64-bit integer fits.
pub const DECIMAL_FROM_INT: HostFn =
    HostFn { name: "decimal_from_int", params: &[I64, I32, I32], results: &[] };
/// A whole Decimal as an integer. Params: source pointer, target (0 u64,
/// 1 i64, 2 u32, 3 u8, 4 Timestamp). Result: the value. Aborts with
/// `Conversion` unless the Decimal is whole and in the target's range.
pub const DECIMAL_TO_INT: HostFn = HostFn { name: "decimal_to_int", params: &[I32, I32], results: &[I64] };

/// 128-bit integer operations that Wasm has no instructions for. Params:
/// `op`, pointer `a`, pointer or number `b`, pointer `dest`. Values are
/// 16 bytes, little-endian two's complement (held like a Decimal's raw).
/// See [`Int128Op`]. Aborts with `Overflow`, `DivisionByZero` or
/// `Conversion` like the operators.
pub const INT128: HostFn = HostFn { name: "int128", params: &[I32, I32, I32, I32], results: &[] };

/// The `op` of [`INT128`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Int128Op {
    /// `dest = a * b`, `a / b`, `a % b` as u128.
    MulU = 0,
    DivU = 1,
    RemU = 2,
    /// The same as i128 (division truncates toward zero).
    MulI = 3,
    DivI = 4,
    RemI = 5,
    /// `dest = a` as i128, from a u128 (`Conversion` above i128's range).
    UToI = 6,
    /// `dest = a` as u128, from an i128 (`Conversion` if negative).
    IToU = 7,
    /// `dest = a` (a Decimal) as u128 / i128: exact integers only.
    DecimalToU = 8,
    DecimalToI = 9,
    /// `dest` = the Decimal of `a` (u128 / i128), `Overflow` out of range.
    UToDecimal = 10,
    IToDecimal = 11,
    /// `dest` = 8 bytes, the i64 bit pattern of `a` (u128 if `b` is 0..=4
    /// as for `decimal_to_int`'s targets: u64, i64, u32, u8, Timestamp;
    /// i128 if `b` is 5..=9, the same targets).
    Narrow = 12,
}

impl Int128Op {
    pub fn from_i32(op: i32) -> Option<Int128Op> {
        use Int128Op::*;
        [
            MulU, DivU, RemU, MulI, DivI, RemI, UToI, IToU, DecimalToU, DecimalToI, UToDecimal, IToDecimal,
            Narrow,
        ]
        .into_iter()
        .find(|o| *o as i32 == op)
    }
}

/// Every host function, in a fixed order.
pub const HOST_FUNCTIONS: &[HostFn] = &[
    STORAGE_READ,
    STORAGE_WRITE,
    STORAGE_REMOVE,
    STORAGE_NEXT,
    RETURN_COPY,
    EMIT,
    CALLER,
    CONTRACT_ADDRESS,
    SIGNED_BY,
    NOW,
    BLOCK_HEIGHT,
    SHA256,
    SM3,
    VERIFY_ED25519,
    ABORT,
    DECIMAL_MUL,
    DECIMAL_DIV,
    DECIMAL_ROUND,
    DECIMAL_FROM_INT,
    DECIMAL_TO_INT,
    INT128,
    CALL_CONTRACT,
];

pub fn host_function(name: &str) -> Option<&'static HostFn> {
    HOST_FUNCTIONS.iter().find(|f| f.name == name)
}

/// The guest's linear memory export.
pub const EXPORT_MEMORY: &str = "memory";
/// `(size: i32) -> i32`: allocates `size` bytes in the guest, 8-aligned,
/// for the host to place arguments.
///
/// Rules the VM applies (see docs/host-abi.md): `return_copy` empties the
/// return buffer, and calling it with nothing pending is a guest trap;
/// `verify_ed25519` with a key or signature of the wrong length answers 0;
/// `now` returns the block time as an `i64` (never negative), which
/// generated code treats as the `u64` a `Timestamp` is; an `abort` with
/// `ResourceLimit` is reported as the memory limit, not a contract abort.
pub const EXPORT_ALLOC: &str = "writ_alloc";
/// `() -> ()`: forgets every allocation and resets globals. Memory beyond
/// the allocator and the memory's size are not restored, so an instance is
/// reused only within one block's session, over the same calls in the same
/// order on every node.
pub const EXPORT_RESET: &str = "writ_reset";
/// Prefix of entry point exports: `entry.register`. `init` is `entry.init`.
/// Signature `(args_ptr: i32, args_len: i32) -> i64`: the arguments are the
/// canonical encoding of a tuple of the parameters; the result packs the
/// pointer (high 32 bits) and length (low 32 bits) of the canonical
/// encoding of the returned value (`()` encodes to zero bytes).
pub const ENTRY_PREFIX: &str = "entry.";
/// The custom section holding the artifact's ABI document (JSON).
pub const ABI_SECTION: &str = "writ.abi";

/// The export name of an entry point.
pub fn entry_export(name: &str) -> String {
    format!("{ENTRY_PREFIX}{name}")
}

/// Why generated code aborts a call (the first parameter of `abort`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum AbortCode {
    /// A failed `require`; data: the message, UTF-8.
    Require = 0,
    /// `requires` was not met; data: the required role indexes, `u32` big-endian each.
    MissingRole = 1,
    /// Integer or Decimal out of range; no data.
    Overflow = 2,
    DivisionByZero = 3,
    /// A failed `as`; no data.
    Conversion = 4,
    /// `unwrap()` on `None`; no data.
    NoneUnwrapped = 5,
    IndexOutOfRange = 6,
    /// `m[k]` on an absent key; no data.
    MissingKey = 7,
    /// `fail E(...)`; data: the error's index `u32` big-endian, then the
    /// canonical encoding of its fields as a tuple.
    ContractError = 8,
    /// A failed `assert` (tests and invariants); data: the message.
    AssertionFailed = 9,
    /// The guest could not get memory (its allocator's `memory.grow`
    /// failed at the VM's memory limit); no data.
    ResourceLimit = 10,
}

impl AbortCode {
    pub fn from_i32(code: i32) -> Option<AbortCode> {
        Some(match code {
            0 => AbortCode::Require,
            1 => AbortCode::MissingRole,
            2 => AbortCode::Overflow,
            3 => AbortCode::DivisionByZero,
            4 => AbortCode::Conversion,
            5 => AbortCode::NoneUnwrapped,
            6 => AbortCode::IndexOutOfRange,
            7 => AbortCode::MissingKey,
            8 => AbortCode::ContractError,
            9 => AbortCode::AssertionFailed,
            10 => AbortCode::ResourceLimit,
            _ => return None,
        })
    }

    /// The name used in receipts and in `assert_aborts`.
    pub fn name(self) -> &'static str {
        match self {
            AbortCode::Require => "Require",
            AbortCode::MissingRole => "MissingRole",
            AbortCode::Overflow => "Overflow",
            AbortCode::DivisionByZero => "DivisionByZero",
            AbortCode::Conversion => "Conversion",
            AbortCode::NoneUnwrapped => "NoneUnwrapped",
            AbortCode::IndexOutOfRange => "IndexOutOfRange",
            AbortCode::MissingKey => "MissingKey",
            AbortCode::ContractError => "ContractError",
            AbortCode::AssertionFailed => "AssertionFailed",
            AbortCode::ResourceLimit => "ResourceLimit",
        }
    }
}

/// Storage key prefixes. The rest of a key follows the prefix.
pub mod keys {
    /// Reserved for the VM and ledger (code hash, metadata).
    pub const SYSTEM: u8 = 0x00;
    /// `0x01 ++ u32 field index`: a storage field's whole value; for a
    /// `Map` field, `0x01 ++ u32 field index ++ key form of the map key`
    /// holds one entry (a map field has no whole-value key).
    pub const FIELD: u8 = 0x01;
    /// `0x02 ++ u32 role index ++ 20-byte address`: present (empty value)
    /// when the address holds the role. Role 0 is `Admin`.
    pub const ROLE: u8 = 0x02;

    pub fn field(index: u32) -> Vec<u8> {
        let mut key = vec![FIELD];
        key.extend(index.to_be_bytes());
        key
    }

    pub fn role(index: u32, address: &[u8; 20]) -> Vec<u8> {
        let mut key = vec![ROLE];
        key.extend(index.to_be_bytes());
        key.extend(address);
        key
    }
}

/// The interface between a compiled test harness and the test runner
/// (`writ test`). Only harness modules may import it: the VM refuses these
/// imports in contracts, so nothing here is reachable on a node.
///
/// A harness has one import besides the host functions: `writ_test.op`
/// `(code: i32, input_ptr: i32, input_len: i32) -> i32`. The input is the
/// canonical encoding of a tuple whose parts depend on the operation (see
/// [`TestOp`]); the result is the length of the operation's output, which
/// waits in the return buffer for `return_copy` like a storage value. When
/// a test fails (an assertion, an unexpected abort) the runner records why
/// and stops the harness; the op does not return.
pub mod test {
    use super::{HostFn, I32};

    pub const IMPORT_MODULE: &str = "writ_test";
    pub const OP: HostFn = HostFn { name: "op", params: &[I32, I32, I32], results: &[I32] };

    /// Export prefix of a test body: `test.<index>`, entry signature, no arguments.
    pub const TEST_PREFIX: &str = "test.";
    /// Export prefix of a property: `property.<index>`, its parameters as arguments.
    pub const PROPERTY_PREFIX: &str = "property.";

    /// The operations, by code. `Handle` below is the runner's opaque
    /// description of a deployed contract and who calls it, held by
    /// generated code as `Bytes`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[repr(i32)]
    pub enum TestOp {
        /// `(name: String)` → the account's 20 address bytes.
        Account = 1,
        /// `(site: u32, contract: u32, from: Option<Address>, args…)` → a
        /// `Handle` (value form of `Bytes`). `contract` is the index of the
        /// contract among the harness's contracts.
        Deploy = 2,
        /// `(site: u32, handle: Bytes, method: String, args…)` → the
        /// canonical encoding of the result.
        Call = 3,
        /// `(site: u32, expected: String, handle: Bytes, method: String,
        /// args…)` → nothing; the call must abort, with the named error
        /// or built-in abort unless `expected` is empty.
        CallAborts = 4,
        /// `(handle: Bytes, caller: Address)` → the handle calling as `caller`.
        From = 5,
        /// `(handle: Bytes, signer: Address)` → the handle with one more co-signer.
        SignedBy = 6,
        /// `(site: u32, handle: Bytes, event: u32, fields…)` → nothing;
        /// the last call through this contract emitted that event.
        Emitted = 7,
        /// `(site: u32, left, right)` → nothing; both sides have the
        /// site's type and must encode to the same bytes.
        AssertEq = 8,
        /// `(site: u32, message: String)` → never returns: `assert` failed.
        Fail = 9,
        /// `(time: Timestamp)` → nothing.
        SetTime = 10,
        /// `(seconds: u64)` → nothing.
        AdvanceTime = 11,
        /// `(probe: u32)` → nothing: a coverage probe was reached. Only
        /// contracts compiled for `writ test --coverage` make it.
        Cover = 12,
        /// `(site: u32)` → nothing: a test or property body is about to
        /// run the statement at this site, so that an abort in the body
        /// itself can be reported where it happened.
        At = 13,
        /// `(value…)` → nothing: a spec's before-call entry hands the
        /// runner one value (a condition or an `old(..)`), in order.
        Keep = 14,
    }

    impl TestOp {
        pub fn from_i32(code: i32) -> Option<TestOp> {
            use TestOp::*;
            [
                Account,
                Deploy,
                Call,
                CallAborts,
                From,
                SignedBy,
                Emitted,
                AssertEq,
                Fail,
                SetTime,
                AdvanceTime,
                Cover,
                At,
                Keep,
            ]
            .into_iter()
            .find(|op| *op as i32 == code)
        }
    }
}
