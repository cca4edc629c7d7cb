//! The state keys: everything the nodes must agree on lives in one map,
//! each kind of entry under its own one-byte namespace so that no entry of
//! one kind can ever be read as another.
//!
//! | namespace | key | value |
//! |---|---|---|
//! | `01` storage | contract (20) ‖ storage key | the stored value |
//! | `02` nonce | account (20) | the next nonce, 8 bytes big-endian |
//! | `03` contract | contract (20) | code hash (32) ‖ deployer (20) ‖ deploy height (8, big-endian) |
//!
//! The tree indexes a state key by its SHA-256 ([`key_hash`]).

use crate::{Address, Hash32};

pub const STORAGE: u8 = 0x01;
pub const NONCE: u8 = 0x02;
pub const CONTRACT: u8 = 0x03;

/// The state key of `key` in `contract`'s storage.
pub fn storage(contract: &Address, key: &[u8]) -> Vec<u8> {
    let mut full = Vec::with_capacity(21 + key.len());
    full.push(STORAGE);
    full.extend_from_slice(contract);
    full.extend_from_slice(key);
    full
}

/// The state key of an account's nonce.
pub fn nonce(account: &Address) -> Vec<u8> {
    let mut full = Vec::with_capacity(21);
    full.push(NONCE);
    full.extend_from_slice(account);
    full
}

/// The state key of a contract's record (code hash, deployer, height).
pub fn contract(address: &Address) -> Vec<u8> {
    let mut full = Vec::with_capacity(21);
    full.push(CONTRACT);
    full.extend_from_slice(address);
    full
}

/// Where the tree files a state key: its SHA-256.
pub fn key_hash(state_key: &[u8]) -> Hash32 {
    crate::sha256(state_key)
}

/// A contract's record in the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractRecord {
    pub code_hash: Hash32,
    pub deployer: Address,
    pub height: u64,
}

impl ContractRecord {
    pub const BYTES: usize = 32 + 20 + 8;

    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(Self::BYTES);
        bytes.extend_from_slice(&self.code_hash);
        bytes.extend_from_slice(&self.deployer);
        bytes.extend_from_slice(&self.height.to_be_bytes());
        bytes
    }

    /// Exactly [`ContractRecord::BYTES`] bytes, or `None`.
    pub fn decode(bytes: &[u8]) -> Option<ContractRecord> {
        if bytes.len() != Self::BYTES {
            return None;
        }
        Some(ContractRecord {
            code_hash: bytes.get(..32)?.try_into().ok()?,
            deployer: bytes.get(32..52)?.try_into().ok()?,
            height: u64::from_be_bytes(bytes.get(52..60)?.try_into().ok()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_keep_kinds_apart() {
        let a = [7u8; 20];
        assert_ne!(storage(&a, &[]), nonce(&a));
        assert_ne!(nonce(&a), contract(&a));
        assert_eq!(storage(&a, b"k")[0], STORAGE);
        assert_eq!(storage(&a, b"k").len(), 22);
    }

    #[test]
    fn contract_records_round_trip_and_refuse_other_lengths() {
        let record = ContractRecord { code_hash: [1; 32], deployer: [2; 20], height: 9 };
        assert_eq!(ContractRecord::decode(&record.encode()), Some(record));
        assert_eq!(ContractRecord::decode(&[0; 59]), None);
        assert_eq!(ContractRecord::decode(&[0; 61]), None);
    }
}
