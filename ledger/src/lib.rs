//! The ledger: signed transactions, blocks, the crash-safe state store with
//! Merkle proofs, the node and its HTTP API. See docs/ledger.md.
//!
//! Boundary: depends on `writ-vm` and `writ-abi` only; the CLI is a thin
//! client over the HTTP API and these types.

pub mod api;
pub mod args;
pub mod block;
pub mod chain;
pub mod crypto;
pub mod keys;
pub mod node;
pub mod openapi;
pub mod receipt;
pub mod receipt_json;
pub mod tx;
