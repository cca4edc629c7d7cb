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
pub mod limits;
pub mod mempool;
pub mod node;
pub mod openapi;
pub mod receipt;
pub mod receipt_json;
mod state;
mod store;
mod tree;

pub mod params;
pub mod parse_errors;
pub mod strict_json;
#[cfg(test)]
mod tests;
pub mod tx;
mod world;

pub use store::{MARKER_FILE, STORE_FILE, STORE_FORMAT};
