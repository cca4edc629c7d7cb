//! The gas schedule: what fuel costs and what every host function charges.
//!
//! Invariant: a schedule that consensus depends on is a named, versioned
//! constant. There is no `Default`; a change is a new `GasSchedule` with a
//! new version, documented in `docs/gas.md`.

/// Charges of one host function: a base charge per call plus a charge per
/// byte it reads from or writes to guest memory or storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostCharge {
    pub base: u64,
    pub per_byte: u64,
}

impl HostCharge {
    /// The charge for a call touching `bytes` bytes, saturating (a charge
    /// too large to represent is larger than any gas limit anyway).
    pub fn for_bytes(self, bytes: u64) -> u64 {
        self.base.saturating_add(self.per_byte.saturating_mul(bytes))
    }
}

/// A complete, versioned gas schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasSchedule {
    pub version: u32,
    /// Bytes of arguments the host copies into guest memory.
    pub args_copy: HostCharge,
    /// Bytes the host reads back as the call's result.
    pub result_copy: HostCharge,
    /// Key bytes, then value bytes once the value is found.
    pub storage_read: HostCharge,
    /// Key plus value bytes.
    pub storage_write: HostCharge,
    /// Key bytes.
    pub storage_remove: HostCharge,
    /// Prefix and after-key bytes, then the found key and value bytes;
    /// `storage_next_step` again for every removed key skipped.
    pub storage_next: HostCharge,
    pub storage_next_step: HostCharge,
    pub return_copy: HostCharge,
    pub emit: HostCharge,
    /// `caller`, `contract_address`: 20 bytes written.
    pub address: HostCharge,
    pub signed_by: HostCharge,
    /// `now`, `block_height`.
    pub block_info: HostCharge,
    pub sha256: HostCharge,
    pub sm3: HostCharge,
    /// Base is the signature check; per byte of message.
    pub verify_ed25519: HostCharge,
    pub abort: HostCharge,
    /// `decimal_mul`, `decimal_div`, `decimal_round`, `decimal_from_int`,
    /// `decimal_to_int`: 256-bit arithmetic on 16-byte operands.
    pub decimal: HostCharge,
    /// `call_contract`: base for setting up the callee's frame, per byte
    /// of name, arguments and interface read, and again per byte of the
    /// result; the callee's own gas is then taken from the caller's as it
    /// was used. The per-byte charge pays for holding arguments and result
    /// to the declared types (a decoding that builds every value).
    pub contract_call: HostCharge,
}

/// Version 1 of the schedule. One unit of wasmtime fuel (about one Wasm
/// operator) is one gas; host charges are set relative to that, roughly in
/// proportion to their measured cost in operator-equivalents.
pub const GAS_SCHEDULE_V1: GasSchedule = GasSchedule {
    version: 1,
    args_copy: HostCharge { base: 0, per_byte: 1 },
    result_copy: HostCharge { base: 0, per_byte: 1 },
    storage_read: HostCharge { base: 200, per_byte: 2 },
    storage_write: HostCharge { base: 1_000, per_byte: 10 },
    storage_remove: HostCharge { base: 500, per_byte: 2 },
    storage_next: HostCharge { base: 300, per_byte: 2 },
    storage_next_step: HostCharge { base: 50, per_byte: 0 },
    return_copy: HostCharge { base: 20, per_byte: 1 },
    emit: HostCharge { base: 300, per_byte: 4 },
    address: HostCharge { base: 20, per_byte: 0 },
    signed_by: HostCharge { base: 40, per_byte: 0 },
    block_info: HostCharge { base: 10, per_byte: 0 },
    sha256: HostCharge { base: 100, per_byte: 4 },
    sm3: HostCharge { base: 100, per_byte: 4 },
    verify_ed25519: HostCharge { base: 20_000, per_byte: 4 },
    abort: HostCharge { base: 20, per_byte: 1 },
    decimal: HostCharge { base: 60, per_byte: 0 },
    contract_call: HostCharge { base: 2_000, per_byte: 16 },
};
