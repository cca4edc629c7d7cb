//! A block header and its hash: what a block hash commits to.

use serde::{Deserialize, Serialize};

use crate::{Hash32, sha256};

/// The fields a block hash covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub height: u64,
    pub parent: Hash32,
    /// Seconds since 1970-01-01 UTC: the `now()` of every call in the block.
    pub time: i64,
    pub tx_root: Hash32,
    pub receipts_root: Hash32,
    pub state_root: Hash32,
    /// The gas the block's transactions used, summed.
    pub gas_used: u64,
}

impl Header {
    /// SHA-256 of `writ-block/2` ‖ height ‖ parent ‖ time ‖ tx root ‖
    /// receipts root ‖ state root ‖ gas used (integers 8 bytes big-endian).
    pub fn hash(&self) -> Hash32 {
        let mut bytes = Vec::with_capacity(12 + 8 + 32 + 8 + 96 + 8);
        bytes.extend_from_slice(b"writ-block/2");
        bytes.extend_from_slice(&self.height.to_be_bytes());
        bytes.extend_from_slice(&self.parent);
        bytes.extend_from_slice(&self.time.to_be_bytes());
        bytes.extend_from_slice(&self.tx_root);
        bytes.extend_from_slice(&self.receipts_root);
        bytes.extend_from_slice(&self.state_root);
        bytes.extend_from_slice(&self.gas_used.to_be_bytes());
        sha256(&bytes)
    }

    pub fn to_json(&self) -> HeaderJson {
        HeaderJson {
            height: self.height,
            parent: hex::encode(self.parent),
            time: self.time,
            tx_root: hex::encode(self.tx_root),
            receipts_root: hex::encode(self.receipts_root),
            state_root: hex::encode(self.state_root),
            gas_used: self.gas_used,
        }
    }
}

/// A header as JSON: hashes in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderJson {
    pub height: u64,
    pub parent: String,
    pub time: i64,
    pub tx_root: String,
    pub receipts_root: String,
    pub state_root: String,
    pub gas_used: u64,
}

impl HeaderJson {
    /// The header, or which field is not 32 bytes of hex.
    pub fn parse(&self) -> Result<Header, &'static str> {
        let hash = |text: &str, what: &'static str| crate::parse_hex::<32>(text).ok_or(what);
        Ok(Header {
            height: self.height,
            parent: hash(&self.parent, "the header's parent is not 32 bytes of hex")?,
            time: self.time,
            tx_root: hash(&self.tx_root, "the header's tx_root is not 32 bytes of hex")?,
            receipts_root: hash(&self.receipts_root, "the header's receipts_root is not 32 bytes of hex")?,
            state_root: hash(&self.state_root, "the header's state_root is not 32 bytes of hex")?,
            gas_used: self.gas_used,
        })
    }
}
