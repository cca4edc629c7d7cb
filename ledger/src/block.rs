//! Blocks as the node stores and serves them (receipts are in
//! `receipt.rs`).
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
