//! The ledger: transactions, blocks, the crash-safe state store, the node
//! and its HTTP API.
//!
//! Boundary: depends on `writ-vm` and `writ-abi` only. Built by the ledger
//! work (issue #4); nothing here yet.
