//! Blocks and receipts as the node stores and serves them.
//!
//! Invariant: a block's hash covers its height, parent, time and the three
//! roots; the roots cover every transaction, receipt and storage entry, so
//! the block hash commits to all of them.

use serde::{Deserialize, Serialize};

pub use writ_proof::Header;

use crate::crypto::{Hash32, hex, parse_hex, sha256};

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

impl Block {
    /// The stored form of a block with `header` and these transaction ids.
    pub fn new(header: &Header, transactions: Vec<String>) -> Block {
        Block {
            height: header.height,
            hash: hex(&header.hash()),
            parent: hex(&header.parent),
            time: header.time,
            tx_root: hex(&header.tx_root),
            receipts_root: hex(&header.receipts_root),
            state_root: hex(&header.state_root),
            transactions,
        }
    }

    /// The header the block's hash covers, or `None` if a field is not
    /// 32 bytes of hex.
    pub fn header(&self) -> Option<Header> {
        Some(Header {
            height: self.height,
            parent: parse_hex(&self.parent)?,
            time: self.time,
            tx_root: parse_hex(&self.tx_root)?,
            receipts_root: parse_hex(&self.receipts_root)?,
            state_root: parse_hex(&self.state_root)?,
        })
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
