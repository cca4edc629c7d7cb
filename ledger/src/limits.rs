//! Every bound the ledger enforces, each with the reason for its value.
//!
//! Invariant: the bounds that decide whether a transaction is valid (its
//! size and the size of its parts) are part of consensus: a transaction
//! one node accepts, every node accepts. Gas per transaction and per block
//! are chain parameters (`params.rs`), with their defaults here. The rest
//! bound what one node spends on its clients (mempool, request bodies,
//! pages) and may differ between nodes.
//!
//! Related bounds are checked against each other when the crate compiles,
//! at the end of this file.

use writ_vm::limits::{ARGS_BYTES_MAX, CALL_GAS_LIMIT_MAX, MODULE_BYTES_MAX};

// ------------------------------------------------------------------ transactions

/// Longest chain id, in bytes. A name such as `tax-registry-2026`; 64 bytes
/// is generous and keeps every transaction's fixed part small.
pub const CHAIN_ID_BYTES_MAX: usize = 64;

/// Longest entry-point name a call may carry, in bytes. Writ identifiers
/// are far shorter; the bound keeps a call's envelope small and fixed.
pub const METHOD_BYTES_MAX: usize = 128;

/// Most co-signers one transaction may carry. An approval by a board or a
/// few agencies needs a handful; each one costs a signature check at
/// admission, so the bound also caps that work per transaction.
pub const COSIGNERS_MAX: usize = 16;

/// An Ed25519 public key, in bytes (fixed by the scheme).
pub const PUBLIC_KEY_BYTES: usize = 32;

/// An Ed25519 signature, in bytes (fixed by the scheme).
pub const SIGNATURE_BYTES: usize = 64;

/// A `bytes` field's length prefix in the transaction format, in bytes.
const LENGTH_PREFIX_BYTES: usize = 4;

/// Everything a signed transaction holds besides its code and arguments,
/// at the largest each part may be: the format tag, the chain id, the
/// signer, nonce, gas limit, the co-signers, the payload's kind and fixed
/// fields, and one signature per signer. Computed from the format in
/// docs/ledger.md; `tx.rs` tests that a transaction with every part at its
/// largest measures exactly this plus its code and arguments.
pub const TX_ENVELOPE_BYTES_EXACT_MAX: usize = crate::tx::MAGIC.len()
    + LENGTH_PREFIX_BYTES
    + CHAIN_ID_BYTES_MAX
    + PUBLIC_KEY_BYTES // signer
    + 8 // nonce
    + 8 // gas limit
    + 4 // co-signer count
    + COSIGNERS_MAX * PUBLIC_KEY_BYTES
    + 1 // payload kind
    + max(
        LENGTH_PREFIX_BYTES, // deploy: the code's length (the code itself is counted apart)
        20 + LENGTH_PREFIX_BYTES + METHOD_BYTES_MAX, // call: contract address, method
    )
    + LENGTH_PREFIX_BYTES // the arguments' length
    + (1 + COSIGNERS_MAX) * SIGNATURE_BYTES;

/// The envelope as budgeted in [`TX_BYTES_MAX`]: the exact largest
/// envelope rounded up to 4 KiB, so that a small change to the format does
/// not move the transaction bound.
pub const TX_ENVELOPE_BYTES_MAX: usize = 4 * 1024;

/// Most bytes of a signed transaction: a largest valid module plus the
/// largest arguments plus the largest envelope, so that any module the VM
/// accepts can be deployed with any arguments it accepts.
pub const TX_BYTES_MAX: usize = MODULE_BYTES_MAX + ARGS_BYTES_MAX as usize + TX_ENVELOPE_BYTES_MAX;

/// Most bytes of a deployed module inside a transaction: the VM's own
/// bound, checked when the transaction is decoded so that an oversized
/// module is refused as too large before anyone compiles it.
pub const TX_CODE_BYTES_MAX: usize = MODULE_BYTES_MAX;

/// Most bytes of a transaction's arguments: the VM's own bound, checked at
/// decoding so that the VM never meets arguments it would refuse.
pub const TX_ARGS_BYTES_MAX: usize = ARGS_BYTES_MAX as usize;

// ------------------------------------------------------------------ gas

/// The default per-transaction gas ceiling: a transaction may declare at
/// most this gas limit. A tenth of a block, so one transaction never takes
/// a block to itself: at most about 0.1 s of the slowest workload measured
/// (docs/ledger.md, "Gas per block"), and four times the gas the CLI
/// declares by default.
pub const TX_GAS_LIMIT_MAX_DEFAULT: u64 = 400_000_000;

/// The default gas per block: the sum of the gas limits its transactions
/// declare stays within this. Gas is about one Wasm instruction plus fixed
/// charges for host calls; measured in release (docs/ledger.md), a block
/// at this figure takes about 0.1 s of pure computation and about 1.1 s
/// of the slowest workload found (a storage read per turn of a loop), so
/// no block holds the node much longer than a second.
pub const BLOCK_GAS_LIMIT_DEFAULT: u64 = 4_000_000_000;

/// Gas a view query may use. Views answer HTTP requests, so they get a
/// quarter of a transaction's ceiling (at most about 30 ms).
pub const VIEW_GAS_LIMIT: u64 = 100_000_000;

// ------------------------------------------------------------------ blocks

/// Default most transactions in one block. With the gas bound it keeps a
/// block of cheap transfers to tens of milliseconds of execution and one
/// store write of a few megabytes.
pub const BLOCK_TXS_DEFAULT: usize = 10_000;

/// Most bytes of a block's transactions (their canonical encodings) in a
/// network of nodes: a proposal travels in parts and a decided block is
/// served whole to a node catching up, and the consensus engine's
/// messages are bounded (docs/consensus.md). Two largest transactions fit.
pub const BLOCK_BYTES_MAX: usize = 8 * 1024 * 1024;

/// Default time between blocks, in milliseconds: latency from submission
/// to receipt is one to two intervals.
pub const BLOCK_INTERVAL_MS_DEFAULT: u64 = 200;

// ------------------------------------------------------------------ mempool

/// Most transactions waiting at once. Bounds the per-transaction
/// bookkeeping (ids, nonces) independently of their sizes.
pub const MEMPOOL_TXS_MAX: usize = 50_000;

/// Most bytes of transactions waiting at once (their canonical encoding).
/// 256 MiB holds the whole count bound of ordinary calls (a few hundred
/// bytes each) and about 80 largest deploys; without it, 50 000 waiting
/// 2 MiB deploys took a node to 4.2 GB.
pub const MEMPOOL_BYTES_MAX: usize = 256 * 1024 * 1024;

/// The share of the mempool one sender may fill, as a fraction
/// 1/`MEMPOOL_SENDER_SHARE_DIVISOR` of both the count and the byte bound,
/// so that one signer flooding the node leaves room for everyone else.
pub const MEMPOOL_SENDER_SHARE_DIVISOR: usize = 4;

// ------------------------------------------------------------------ the store

/// The store's default page cache, in bytes. redb's own default (1 GiB)
/// let a node under load grow to hundreds of MiB holding pages it had just
/// written.
pub const STORE_CACHE_BYTES_DEFAULT: usize = 64 * 1024 * 1024;

/// Most compiled contracts a node keeps in memory at once; others are
/// compiled again (from the VM's on-disk cache of native code) when next
/// called. Bounds the memory contracts take, whatever the number deployed.
pub const MODULES_CACHED_MAX: usize = 256;

// ------------------------------------------------------------------ HTTP

/// Room in a request body for the JSON around a transaction's hex (braces,
/// the field name, quotes, a `0x`, whitespace).
const JSON_ENVELOPE_BYTES: usize = 4 * 1024;

/// Most bytes of a `POST /v1/transactions` body: the largest transaction
/// as hex (two digits a byte) plus its JSON, so that an oversized
/// transaction is refused by its own check (`too_large` naming the
/// transaction bound), not by the body limit.
pub const SUBMIT_BODY_BYTES_MAX: usize = 2 * TX_BYTES_MAX + JSON_ENVELOPE_BYTES;

/// Most transactions in one batch submission: a bulk load pays for one
/// request per thousand, and one batch's admission holds the locks for a
/// bounded time.
pub const BATCH_TXS_MAX: usize = 1_000;

/// Most bytes of a batch body: room for `BATCH_TXS_MAX` ordinary calls
/// (a few kilobytes of hex each), and at least one largest transaction.
pub const BATCH_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Most bytes of a view's body (its JSON arguments): the largest arguments
/// the VM accepts as one hex string, the densest JSON a large argument
/// usually takes, plus the JSON around it.
pub const VIEW_BODY_BYTES_MAX: usize = 2 * TX_ARGS_BYTES_MAX + JSON_ENVELOPE_BYTES;

/// Events one query returns when it does not say (`limit`).
pub const EVENTS_PER_PAGE_DEFAULT: usize = 100;

/// Most events one query returns: each is decoded by the ABI and rendered
/// as JSON, so a page is bounded in work and size; more come by `from`.
pub const EVENTS_PER_PAGE_MAX: usize = 1_000;

/// How long `POST /v1/transactions?wait=true` waits for a receipt, in
/// seconds: many block intervals, short enough for an HTTP client's
/// timeout.
pub const RECEIPT_WAIT_SECS: u64 = 30;

const fn max(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}

// ------------------------------------------------------------------ relations

// A largest valid module, with the largest arguments, fits in a deploy
// transaction: the envelope budget covers the exact envelope.
const _: () = assert!(TX_ENVELOPE_BYTES_EXACT_MAX <= TX_ENVELOPE_BYTES_MAX);
const _: () = assert!(TX_CODE_BYTES_MAX + TX_ARGS_BYTES_MAX + TX_ENVELOPE_BYTES_EXACT_MAX <= TX_BYTES_MAX);
// The transaction format writes lengths and counts in 4 bytes.
const _: () = assert!(TX_BYTES_MAX <= u32::MAX as usize);
// A submission body can carry a largest transaction in hex, and so can a batch.
const _: () = assert!(SUBMIT_BODY_BYTES_MAX >= 2 * (TX_BYTES_MAX + 1) + 64);
const _: () = assert!(BATCH_BODY_BYTES_MAX >= SUBMIT_BODY_BYTES_MAX);
// A view body can carry the largest arguments in hex.
const _: () = assert!(VIEW_BODY_BYTES_MAX >= 2 * TX_ARGS_BYTES_MAX);
// Every transaction the ceiling allows fits in a block, and the VM runs it.
const _: () = assert!(TX_GAS_LIMIT_MAX_DEFAULT <= BLOCK_GAS_LIMIT_DEFAULT);
// A block can hold any transaction the node accepts.
const _: () = assert!(BLOCK_BYTES_MAX >= 2 * TX_BYTES_MAX);
const _: () = assert!(TX_GAS_LIMIT_MAX_DEFAULT <= CALL_GAS_LIMIT_MAX);
const _: () = assert!(VIEW_GAS_LIMIT <= TX_GAS_LIMIT_MAX_DEFAULT);
// A sender's share of the mempool holds a largest transaction, so a
// sender with nothing waiting can always submit one.
const _: () = assert!(MEMPOOL_BYTES_MAX / MEMPOOL_SENDER_SHARE_DIVISOR >= TX_BYTES_MAX);
const _: () = assert!(MEMPOOL_TXS_MAX / MEMPOOL_SENDER_SHARE_DIVISOR >= 1);
const _: () = assert!(MEMPOOL_SENDER_SHARE_DIVISOR >= 1);
// A page of events is at least the default page.
const _: () = assert!(EVENTS_PER_PAGE_DEFAULT <= EVENTS_PER_PAGE_MAX);
