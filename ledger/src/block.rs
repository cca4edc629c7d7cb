//! Blocks and receipts as the node stores and serves them.
//!
//! Invariant: a block's hash covers its height, parent, time and the three
//! roots; the roots cover every transaction, receipt and storage entry, so
//! the block hash commits to all of them.

use serde::{Deserialize, Serialize};

use crate::crypto::{Hash32, hex, sha256};

/// A block as stored: its header fields, hash and transaction ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub height: u64,
    pub hash: String,
    pub parent: String,
    /// Seconds since 1970-01-01 UTC: the `now()` of every call in it.
    pub time: i64,
    pub tx_root: String,
    pub receipts_root: String,
    pub state_root: String,
    pub transactions: Vec<String>,
}

/// The header fields a block hash covers.
pub struct Header {
    pub height: u64,
    pub parent: Hash32,
    pub time: i64,
    pub tx_root: Hash32,
    pub receipts_root: Hash32,
    pub state_root: Hash32,
}

impl Header {
    /// SHA-256 of `writ-block/1`, height, parent, time and the roots.
    pub fn hash(&self) -> Hash32 {
        let mut bytes = b"writ-block/1".to_vec();
        bytes.extend_from_slice(&self.height.to_be_bytes());
        bytes.extend_from_slice(&self.parent);
        bytes.extend_from_slice(&self.time.to_be_bytes());
        bytes.extend_from_slice(&self.tx_root);
        bytes.extend_from_slice(&self.receipts_root);
        bytes.extend_from_slice(&self.state_root);
        sha256(&bytes)
    }

    pub fn into_block(self, transactions: Vec<String>) -> Block {
        Block {
            height: self.height,
            hash: hex(&self.hash()),
            parent: hex(&self.parent),
            time: self.time,
            tx_root: hex(&self.tx_root),
            receipts_root: hex(&self.receipts_root),
            state_root: hex(&self.state_root),
            transactions,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Success,
    Aborted,
}

/// Why a call aborted, for people and programs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// The contract error's name or the built-in abort's (`MissingRole`).
    pub name: String,
    /// A sentence: the error with its fields, or the abort's explanation.
    pub message: String,
    /// The raw abort data, hex.
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    pub contract: String,
    pub index: u32,
    pub name: String,
    /// The canonical encoding of its fields as a tuple, hex.
    pub data: String,
}

/// What a transaction did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub transaction: String,
    pub height: u64,
    pub index: u32,
    pub sender: String,
    /// The called contract, or the deployed one.
    pub contract: String,
    pub method: String,
    pub status: Status,
    pub gas_used: u64,
    /// The canonical encoding of the result, hex (success only).
    pub result: Option<String>,
    pub error: Option<ErrorInfo>,
    pub events: Vec<EventRecord>,
}

impl Receipt {
    /// SHA-256 of the receipt's JSON (fields in declaration order, so the
    /// same receipt always gives the same bytes).
    pub fn hash(&self) -> Hash32 {
        sha256(&self.json())
    }

    /// The JSON the store keeps and the receipts root hashes. Serialising
    /// these plain structs cannot fail.
    pub fn json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}
