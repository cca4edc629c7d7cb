//! Calls and their outcomes in words, using a contract's ABI document:
//! the runner's failure messages and the ledger's receipts say the same
//! thing the same way.
//!
//! Invariant: every function here is total: unknown indexes and bytes that
//! do not decode are shown as such, never refused.

use writ_abi::document::ContractAbi;
use writ_abi::host::AbortCode;
use writ_abi::value::render;
use writ_abi::{AbiType, TypeDefs, Value};

use crate::outcome::{Abort, CallProblem};

/// Values encoded as a tuple of `types`, shown comma-separated.
pub fn show_tuple(types: &[AbiType], bytes: &[u8], defs: &TypeDefs) -> String {
    match writ_abi::decode_value(&AbiType::Tuple(types.to_vec()), bytes, defs) {
        Ok(Value::Tuple(values)) => {
            values.iter().zip(types).map(|(v, t)| render(v, t, defs)).collect::<Vec<_>>().join(", ")
        }
        _ => "…".to_string(),
    }
}

/// An event as `Name(field, ...)`.
pub fn show_event(abi: &ContractAbi, index: u32, data: &[u8]) -> String {
    match abi.events.get(index as usize) {
        Some(record) => {
            let types: Vec<AbiType> = record.fields.iter().map(|f| f.ty.clone()).collect();
            format!("{}({})", record.name, show_tuple(&types, data, &abi.types))
        }
        None => format!("event #{index}"),
    }
}

/// The name `assert_aborts` matches: a contract error's name, or the
/// built-in abort's.
pub fn abort_name(abort: &Abort, abi: &ContractAbi) -> String {
    match abort {
        Abort::ContractAbort { code: AbortCode::ContractError, data } => {
            let index = data.get(..4).and_then(|b| b.try_into().ok()).map_or(u32::MAX, u32::from_be_bytes);
            abi.errors.get(index as usize).map_or_else(|| "ContractError".to_string(), |e| e.name.clone())
        }
        Abort::ContractAbort { code, .. } => code.name().to_string(),
        Abort::OutOfGas => "OutOfGas".to_string(),
        // The language names every VM bound `ResourceLimit` (memory, stack).
        Abort::ResourceLimit { .. } | Abort::MemoryLimit | Abort::StackLimit => "ResourceLimit".to_string(),
        // The callee's own name for it: `abi` is then the callee's.
        Abort::Callee { abort, .. } => abort_name(abort, abi),
        Abort::CallRefused { why } => call_problem_name(*why).to_string(),
        other => other.to_string(),
    }
}

/// The name `assert_aborts` matches for a refused call between contracts.
pub fn call_problem_name(why: CallProblem) -> &'static str {
    match why {
        CallProblem::NoContract => "NoContract",
        CallProblem::NoSuchEntryPoint => "NoSuchEntryPoint",
        CallProblem::InterfaceMismatch => "InterfaceMismatch",
        CallProblem::Reentrancy => "Reentrancy",
        CallProblem::DepthLimit => "CallDepthLimit",
        CallProblem::StateChangeFromView => "StateChangeFromView",
        CallProblem::MalformedArguments => "MalformedArguments",
        CallProblem::MalformedResult => "MalformedResult",
        CallProblem::TooManyContracts => "TooManyContracts",
    }
}

/// The contract whose ABI explains `abort`: the callee that aborted, or
/// `None` when it is the called contract's own.
pub fn aborted_in(abort: &Abort) -> Option<&[u8; 20]> {
    match abort {
        Abort::Callee { contract, .. } => Some(contract),
        _ => None,
    }
}

/// An abort as a sentence part: `error InsufficientFunds(…)`,
/// `Require: "amount must be positive"`, `MissingRole (Clerk)`.
pub fn describe_abort(abort: &Abort, abi: &ContractAbi) -> String {
    match abort {
        Abort::ContractAbort { code: AbortCode::ContractError, data } => {
            let index = data.get(..4).and_then(|b| b.try_into().ok()).map_or(u32::MAX, u32::from_be_bytes);
            match abi.errors.get(index as usize) {
                Some(record) => {
                    let types: Vec<AbiType> = record.fields.iter().map(|f| f.ty.clone()).collect();
                    let fields = data.get(4..).unwrap_or(&[]);
                    if types.is_empty() {
                        record.name.clone()
                    } else {
                        format!("{}({})", record.name, show_tuple(&types, fields, &abi.types))
                    }
                }
                None => "an unknown contract error".to_string(),
            }
        }
        Abort::ContractAbort { code: AbortCode::Require | AbortCode::AssertionFailed, data } => {
            format!("{}: {:?}", abort_name(abort, abi), String::from_utf8_lossy(data))
        }
        Abort::ContractAbort { code: AbortCode::MissingRole, data } => {
            let roles: Vec<String> = data
                .chunks(4)
                .filter_map(|c| c.try_into().ok().map(u32::from_be_bytes))
                .map(|i| abi.roles.get(i as usize).cloned().unwrap_or_else(|| format!("role #{i}")))
                .collect();
            format!("MissingRole (needs {})", roles.join(" or "))
        }
        Abort::OutOfGas => "OutOfGas (the call used its whole gas limit)".to_string(),
        // One name for every bound in the language; the sentence says which.
        Abort::StackLimit => format!(
            "ResourceLimit (the stack ran out: calls nested deeper than the VM's {} KiB stack, usually unbounded recursion)",
            crate::limits::STACK_BYTES_MAX / 1024
        ),
        Abort::MemoryLimit => format!(
            "ResourceLimit (memory ran out: the VM's limit is {} MiB per call)",
            crate::limits::MEMORY_BYTES_MAX / (1024 * 1024)
        ),
        Abort::ResourceLimit { what } => format!("ResourceLimit ({what} over the VM's bound)"),
        // Said with the callee's ABI; the caller names the callee.
        Abort::Callee { abort, .. } => describe_abort(abort, abi),
        Abort::CallRefused { why } => format!("{} ({why})", call_problem_name(*why)),
        other => abort_name(other, abi),
    }
}
