//! The deterministic, gas-metered WebAssembly VM (wasmtime with Cranelift).
//!
//! Boundary: depends on `writ-abi` only; never on the compiler or the ledger.
//! Built by the code generation and VM work (issue #3); nothing here yet.
