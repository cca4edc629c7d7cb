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
    pub fn entry(&self, name: &str) -> Option<&EntryPoint> {
        self.entry_points.iter().find(|e| e.name == name)
    }
}
