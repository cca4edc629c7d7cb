//! Writ state proofs, checked offline.
//!
//! A node's state is one authenticated map (a Jellyfish Merkle Tree over
//! SHA-256) from *state keys* to values; every block header carries its
//! root. A [`StateProof`] shows that a contract's storage key held a value,
//! or held nothing, in the state of one block, and carries that block's
//! header so the proof can be tied to a block hash the reader trusts.
//!
//! A network's blocks are decided by its validators: [`genesis`] reads the
//! genesis document that names them, and [`certificate`] checks that more
//! than two thirds of their power signed a block, so a proof can be
//! trusted under the network's genesis without trusting the node that
//! served it. [`signature`] is the one Ed25519 rule (ZIP-215) of votes,
//! transactions and contracts alike.
//!
//! Boundary: this crate knows the state-key layout, the header hash, the
//! vote encoding and the proof, genesis and certificate formats, and
//! nothing of nodes, stores or the VM, so that an auditor's or a court's
//! tool can embed it alone.

pub mod certificate;
pub mod genesis;
pub mod header;
pub mod keys;
pub mod signature;
pub mod state_proof;

pub use header::Header;
pub use state_proof::{PROOF_FORMAT, ProofError, StateProof, Verdict};

/// A 32-byte SHA-256 digest.
pub type Hash32 = [u8; 32];
/// An account's or a contract's address.
pub type Address = [u8; 20];

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Hash32 {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// Parses exactly `N` bytes of hex, with or without `0x`.
pub fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex::decode(digits).ok()?;
    bytes.try_into().ok()
}
