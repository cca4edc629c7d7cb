//! The deterministic, gas-metered WebAssembly VM (wasmtime with Cranelift):
//! deploy-time validation, compilation once per code hash, calls with gas,
//! the host functions of `writ_abi::host`, call outcomes, and the one
//! execution core for a transaction (`execute`, over a `World`).
//!
//! Boundary: depends on `writ-abi` and `writ-proof` (the signature rule) only; never on the compiler or the ledger.
//! Invariant: the VM reads no clock, no randomness and no environment; a
//! call's report is a function of module, arguments, context and state.
//! `unsafe` appears once, in `cache.rs`, with its justification.
#![deny(unsafe_code)]

mod cache;
mod calls;
pub mod engine;
pub mod execute;
pub mod explain;
pub mod gas;
mod host;
pub mod limits;
pub mod outcome;
/// The one Ed25519 rule (ZIP-215): `writ-proof` holds it so that offline
/// verifiers of votes use the rule the VM and the ledger use.
pub use writ_proof::signature;
pub mod state;
pub mod validate;
mod vm;
pub mod world;

pub use engine::InstanceAllocation;
pub use gas::{GAS_SCHEDULE_V1, GasSchedule, HostCharge};
pub use host::{CallContext, TestHost, TestStop};
pub use outcome::{
    Abort, AbortNumbers, ArgumentsProblem, CallProblem, CallReport, Event, GuestTrap, Outcome, Resource,
    Success, Write,
};
pub use state::{MemoryState, State, StateError};
pub use validate::{ValidationError, validate, validate_harness};
pub use vm::{Call, CodeHash, Contract, DeployError, Session, Vm, VmError, VmOptions};
pub use world::{Address, Directory, MemoryWorld, World};
