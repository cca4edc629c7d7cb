//! Every bound the VM enforces, each with the reason for its value.
//!
//! Invariant: these numbers are part of consensus (a module or call one node
//! accepts, every node accepts), so they are constants, not settings.

/// The module's shape: shared with the compiler, which refuses to build
/// what the VM would refuse to deploy (`writ_abi::limits`).
pub use writ_abi::limits::{FUNCTION_BODY_BYTES_MAX, LOCALS_PER_FUNCTION_MAX, MODULE_BYTES_MAX};

/// Most functions a module may define or import. Far beyond any contract,
/// and it bounds the compiler's work and the size of native code.
pub const FUNCTIONS_MAX: u32 = 10_000;

/// Most globals a module may define. The compiler uses a handful (heap
/// pointer, scratch); the bound keeps instance size small.
pub const GLOBALS_MAX: u32 = 1_000;

/// Most elements of the one table a module may have (indirect calls).
pub const TABLE_ELEMENTS_MAX: u64 = 10_000;

/// Total bytes of all data segments. Constant data is copied into every
/// fresh instance, so it is part of the instantiation cost.
pub const DATA_SEGMENT_BYTES_MAX: usize = 1024 * 1024;

/// Size of one WebAssembly page, in bytes (fixed by the standard).
pub const WASM_PAGE_BYTES: u64 = 65_536;

/// Largest linear memory a call may use, in bytes. 64 MiB is far more than
/// a contract call needs and small enough that many instances fit in RAM.
pub const MEMORY_BYTES_MAX: u64 = 64 * 1024 * 1024;

/// `MEMORY_BYTES_MAX` in WebAssembly pages.
pub const MEMORY_PAGES_MAX: u64 = MEMORY_BYTES_MAX / WASM_PAGE_BYTES;

/// Native stack available to WebAssembly code, in bytes. Deep recursion
/// stops with a stack-limit abort here; the host thread must have at least
/// this much stack left when it enters the VM (a default Rust thread has
/// 2 MiB).
pub const STACK_BYTES_MAX: usize = 512 * 1024;

/// Largest argument encoding a call accepts, in bytes. The ledger refuses
/// a transaction whose arguments are larger; the VM refuses more itself.
pub const ARGS_BYTES_MAX: u32 = 1024 * 1024;

/// Largest result encoding an entry point may return, in bytes. It goes
/// into a receipt.
pub const RESULT_BYTES_MAX: u32 = 1024 * 1024;

/// Largest storage key, in bytes. Keys are a prefix, a field index and a
/// map key in key form; 1 KiB holds any reasonable composite key.
pub const STORAGE_KEY_BYTES_MAX: u32 = 1024;

/// Largest storage value, in bytes. Large records belong in many entries;
/// the bound keeps one value within what a block can carry.
pub const STORAGE_VALUE_BYTES_MAX: u32 = 256 * 1024;

/// Longest prefix `storage_next` accepts, in bytes (a prefix is a key).
pub const STORAGE_PREFIX_BYTES_MAX: u32 = STORAGE_KEY_BYTES_MAX;

/// Most events one call may emit. Events go into the receipt.
pub const EVENTS_PER_CALL_MAX: u32 = 1_024;

/// Largest encoding of one event's fields, in bytes.
pub const EVENT_BYTES_MAX: u32 = 64 * 1024;

/// Largest data an `abort` may carry, in bytes (an error message or an
/// error's fields; it goes into the receipt).
pub const ABORT_DATA_BYTES_MAX: u32 = 4 * 1024;

/// Largest data `sha256`, `sm3` or `verify_ed25519` hash in one host call,
/// in bytes. Gas already pays per byte; this keeps one call short.
pub const HASH_INPUT_BYTES_MAX: u32 = 1024 * 1024;

/// Largest gas limit one call may have. Bounds the worst-case run time of
/// a call (about a second of compute at this figure).
pub const CALL_GAS_LIMIT_MAX: u64 = 10_000_000_000;

/// Fuel `writ_reset` may use before a call. Reset runs outside the call's
/// gas (so a reused and a fresh instance cost the same), so it gets a fixed,
/// small budget of its own; a reset that needs more is a broken module.
pub const RESET_FUEL_MAX: u64 = 100_000;

/// Most contracts on one transaction's call stack, the transaction's own
/// call included. Each level may use `STACK_BYTES_MAX` of native stack
/// (the VM grows the host stack before entering a callee), so the bound
/// keeps a transaction's stack and instances small; eight is deeper than
/// any workflow between agencies needs (a registry consulted by an office
/// consulted by a court is three).
pub const CALL_DEPTH_MAX: usize = 8;

/// Most distinct contracts one transaction may reach, its own included.
/// A contract reached for the first time in a block may have to be loaded
/// and compiled, work that gas cannot price the same on every node; the
/// bound keeps that work per transaction small.
pub const CONTRACTS_PER_TRANSACTION_MAX: usize = 64;

/// Fuel a called contract's `writ_reset` may use, outside gas like a
/// transaction's own (`RESET_FUEL_MAX`) but smaller: the base charge of a
/// call (`GasSchedule::contract_call`) is at least this much, so resets
/// cannot give a loop of calls more work than it pays for.
pub const CALLEE_RESET_FUEL_MAX: u64 = 2_000;

/// Longest entry-point name `call_contract` accepts, in bytes. Names are
/// identifiers; the bound keeps the lookup short.
pub const ENTRY_NAME_BYTES_MAX: u32 = 256;

/// Longest interface description `call_contract` accepts, in bytes
/// (`writ_abi::interface`): a few bytes per parameter and field.
pub const INTERFACE_BYTES_MAX: u32 = 64 * 1024;

/// Instances a session keeps for reuse. Beyond this the oldest is dropped;
/// it bounds the memory a long block can pin.
pub const SESSION_INSTANCES_MAX: usize = 256;

// The base charge of a call pays for the callee's reset; checked when the
// crate compiles.
const _: () = assert!(crate::gas::GAS_SCHEDULE_V1.contract_call.base >= CALLEE_RESET_FUEL_MAX);
