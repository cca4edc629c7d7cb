//! Hashes, addresses, signatures and Merkle trees, in one place so that
//! every root and identifier is computed the same way everywhere.
//!
//! Invariant: leaves and inner nodes of the transaction and receipt trees
//! are hashed with different prefixes (`00` and `01`), so a leaf can never
//! pass for a node. (The state tree is jmt's, with its own separators.)

use rs_merkle::{Hasher, MerkleTree};
use sha2::{Digest, Sha256};

/// Hashes, addresses, SHA-256 and hex parsing as the offline verifier
/// defines them: one definition for the node and every proof checker.
pub use writ_proof::{Address, Hash32, parse_hex, sha256};

/// An account's address: the first 20 bytes of SHA-256 of its Ed25519
/// public key.
pub fn address_of(public_key: &[u8; 32]) -> Address {
    let digest = sha256(public_key);
    let mut address = [0u8; 20];
    address.copy_from_slice(digest.get(..20).unwrap_or(&[0u8; 20]));
    address
}

/// The one contract address rule, kept with the execution core that
/// deploys (`writ_vm::execute`), so `writ test` gives the same addresses.
pub use writ_vm::execute::contract_address;

/// Ed25519 verification under the one rule contracts use too (ZIP-215,
/// small-order keys refused: `writ_vm::signature`).
pub fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    writ_vm::signature::verify_ed25519(public_key, message, signature)
}

pub fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// The inner-node hash of our Merkle trees: SHA-256 of `01 ++ left ++ right`.
#[derive(Clone)]
pub struct NodeHasher;

impl Hasher for NodeHasher {
    type Hash = Hash32;

    fn hash(data: &[u8]) -> Hash32 {
        let mut hasher = Sha256::new();
        hasher.update([1u8]);
        hasher.update(data);
        hasher.finalize().into()
    }
}

/// A leaf: SHA-256 of `00 ++ bytes`.
pub fn leaf_hash(bytes: &[u8]) -> Hash32 {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(bytes);
    hasher.finalize().into()
}

/// The root over leaf hashes in order; all zeros for no leaves.
pub fn merkle_root(leaves: &[Hash32]) -> Hash32 {
    MerkleTree::<NodeHasher>::from_leaves(leaves).root().unwrap_or([0u8; 32])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn roots_cover_every_leaf_and_their_order() {
        for count in 1..=9usize {
            let leaves: Vec<Hash32> = (0..count).map(|i| leaf_hash(&[i as u8])).collect();
            let root = merkle_root(&leaves);
            for index in 0..count {
                let mut changed = leaves.clone();
                changed[index] = leaf_hash(b"other");
                assert_ne!(merkle_root(&changed), root, "{count} {index}");
            }
            if count > 1 {
                let mut swapped = leaves.clone();
                swapped.swap(0, count - 1);
                assert_ne!(merkle_root(&swapped), root, "{count}");
            }
        }
        assert_eq!(merkle_root(&[]), [0u8; 32]);
    }

    #[test]
    fn leaves_and_nodes_are_hashed_apart() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let mut joined = a.to_vec();
        joined.extend_from_slice(&b);
        assert_ne!(merkle_root(&[a, b]), leaf_hash(&joined));
        assert_eq!(merkle_root(&[a, b]), NodeHasher::hash(&joined));
    }
}
