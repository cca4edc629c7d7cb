//! The ABI document an artifact carries in its `writ.abi` custom section:
//! who may call what, with which argument and result types, what events
//! and errors exist, the storage layout, and where the code came from.
//!
//! Invariant: the document is a function of the source and the compiler
//! version; serialising it (JSON, fields in declaration order) gives the
//! same bytes every time.

use serde::{Deserialize, Serialize};

use crate::value::{AbiType, TypeDefs};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractAbi {
    pub name: String,
    /// The host ABI the code was compiled against (`host::HOST_ABI_VERSION`).
    pub host_abi_version: u32,
    pub compiler_version: String,
    /// SHA-256 of the source file, hex: with the compiler version, what an
    /// auditor needs to rebuild the same bytes.
    pub source_hash: String,
    /// The package the contract was built from, when it was built as part
    /// of one: the rest of what an auditor needs to rebuild it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageRecord>,
    /// Role names by index; `Admin` is index 0.
    pub roles: Vec<String>,
    pub entry_points: Vec<EntryPoint>,
    /// Events by index, in declaration order.
    pub events: Vec<Record>,
    /// Errors by index, in declaration order.
    pub errors: Vec<Record>,
    /// Storage fields by index (the storage key layout).
    pub storage: Vec<Field>,
    /// The structs and enums the types above refer to by name.
    pub types: TypeDefs,
}

/// A package as an artifact records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRecord {
    pub name: String,
    pub version: String,
    /// SHA-256 (hex) of every source file the build read, of the package
    /// and of its dependencies, by module path (`tax_office::office`).
    pub sources: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// Runs once, at deployment.
    Init,
    /// May change storage and emit events.
    Call,
    /// Read-only.
    View,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryPoint {
    pub name: String,
    pub kind: EntryKind,
    pub params: Vec<Field>,
    /// `()` when the entry point returns nothing.
    pub returns: AbiType,
    /// Roles of which the caller must hold one; empty means anyone.
    pub requires: Vec<String>,
    /// Whether the compiler generated it (`grant_role`, `revoke_role`, `has_role`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub name: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: AbiType,
}

impl ContractAbi {
    /// An ABI that names nothing, for code whose ABI cannot be read: every
    /// lookup in it falls back to numbers.
    pub fn empty() -> ContractAbi {
        ContractAbi {
            name: String::new(),
            host_abi_version: crate::host::HOST_ABI_VERSION,
            compiler_version: String::new(),
            source_hash: String::new(),
            package: None,
            roles: Vec::new(),
            entry_points: Vec::new(),
            events: Vec::new(),
            errors: Vec::new(),
            storage: Vec::new(),
            types: TypeDefs::default(),
        }
    }

    pub fn entry(&self, name: &str) -> Option<&EntryPoint> {
        self.entry_points.iter().find(|e| e.name == name)
    }
}

/// Why an artifact's ABI document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadAbiError {
    #[error("not a WebAssembly module (bad magic number or version)")]
    NotWasm,
    #[error("the module is truncated or malformed at byte {0}")]
    Malformed(usize),
    #[error("the module has no `writ.abi` section: it was not built by `writ build`")]
    Missing,
    #[error("the `writ.abi` section is not a valid ABI document: {0}")]
    Invalid(String),
}

/// Reads the ABI document from a module's `writ.abi` custom section.
/// Walks only the section headers; hostile bytes give an error.
pub fn read_from_module(wasm: &[u8]) -> Result<ContractAbi, ReadAbiError> {
    if wasm.get(..8) != Some(b"\0asm\x01\0\0\0".as_slice()) {
        return Err(ReadAbiError::NotWasm);
    }
    let mut at = 8usize;
    while at < wasm.len() {
        let id = *wasm.get(at).ok_or(ReadAbiError::Malformed(at))?;
        let (size, after) = leb_u32(wasm, at + 1).ok_or(ReadAbiError::Malformed(at))?;
        let end = after
            .checked_add(size as usize)
            .filter(|e| *e <= wasm.len())
            .ok_or(ReadAbiError::Malformed(at))?;
        if id == 0 {
            let (name_len, name_at) = leb_u32(wasm, after).ok_or(ReadAbiError::Malformed(after))?;
            let name_end = name_at
                .checked_add(name_len as usize)
                .filter(|e| *e <= end)
                .ok_or(ReadAbiError::Malformed(after))?;
            if wasm.get(name_at..name_end) == Some(crate::host::ABI_SECTION.as_bytes()) {
                let body = wasm.get(name_end..end).ok_or(ReadAbiError::Malformed(name_end))?;
                return serde_json::from_slice(body).map_err(|e| ReadAbiError::Invalid(e.to_string()));
            }
        }
        at = end;
    }
    Err(ReadAbiError::Missing)
}

/// An unsigned LEB128 `u32` at `at`: its value and the offset after it.
fn leb_u32(bytes: &[u8], mut at: usize) -> Option<(u32, usize)> {
    let mut value = 0u32;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(at)?;
        at += 1;
        value |= u32::from(byte & 0x7F).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some((value, at));
        }
    }
    None
}
