//! Blocks as the node stores and serves them (receipts are in
//! `receipt.rs`).
//!
//! Invariant: a block's hash covers its height, parent, time, the three
//! roots and the gas used; the roots cover every transaction, receipt and storage entry, so
//! the block hash commits to all of them.

use serde::{Deserialize, Serialize};

pub use writ_proof::Header;

use crate::crypto::{hex, parse_hex};

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
    /// The gas its transactions used, summed.
    pub gas_used: u64,
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
            gas_used: header.gas_used,
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
            gas_used: self.gas_used,
        })
    }
}
