//! The state proof: one storage key of one contract, its value or its
//! absence, the header of the block whose state it speaks of, and the
//! tree's proof, checked against that header's state root.
//!
//! The format (`writ-state-proof/2`) is JSON; docs/ledger.md specifies it.
//! `proof` is the hex of the tree's proof in its own encoding (Borsh, as
//! jmt 0.12 writes `SparseMerkleProof`): the leaf found on the key's path
//! (absent for an empty subtree) and the sibling nodes from the bottom up.

use jmt::proof::SparseMerkleProof;
use jmt::{KeyHash, RootHash};
use serde::{Deserialize, Serialize};

use crate::header::HeaderJson;
use crate::{Address, keys, parse_hex};

/// The format tag every proof carries.
pub const PROOF_FORMAT: &str = "writ-state-proof/2";

/// Most bytes a proof file may have: a tree proof has at most 256
/// siblings of at most 65 bytes each, far below this.
pub const PROOF_FILE_BYTES_MAX: usize = 256 * 1024;

/// What the proof shows, once it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The key held this value.
    Present(Vec<u8>),
    /// The key held nothing.
    Absent,
}

/// Why a proof does not hold, or is not a proof at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The bytes are not a proof document of this format.
    #[error("not a state proof: {0}")]
    Malformed(String),
    /// A well-formed proof that does not hold.
    #[error("the proof is not valid: {0}")]
    Invalid(String),
}

/// A proof of one storage key's value (or absence) in a block's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateProof {
    /// Always [`PROOF_FORMAT`].
    pub format: String,
    /// The contract, 20 bytes of hex.
    pub contract: String,
    /// The key within the contract's storage, hex.
    pub key: String,
    /// The value, hex, or `null` for a proof of absence.
    pub value: Option<String>,
    /// The hash of the block whose state this is.
    pub block_hash: String,
    /// That block's header; its hash must be `block_hash`.
    pub header: HeaderJson,
    /// The tree's proof, hex.
    pub proof: String,
}

impl StateProof {
    /// Builds the document for a proof made by the node.
    pub fn new(
        contract: &Address,
        key: &[u8],
        value: Option<&[u8]>,
        header: &crate::Header,
        proof: &SparseMerkleProof<sha2::Sha256>,
    ) -> Result<StateProof, ProofError> {
        let proof = borsh::to_vec(proof).map_err(|e| ProofError::Malformed(e.to_string()))?;
        Ok(StateProof {
            format: PROOF_FORMAT.to_string(),
            contract: hex::encode(contract),
            key: hex::encode(key),
            value: value.map(hex::encode),
            block_hash: hex::encode(header.hash()),
            header: header.to_json(),
            proof: hex::encode(proof),
        })
    }

    /// Reads a proof document; anything but one is refused.
    pub fn from_json(text: &[u8]) -> Result<StateProof, ProofError> {
        if text.len() > PROOF_FILE_BYTES_MAX {
            return Err(ProofError::Malformed(format!(
                "{} bytes, more than a proof can have ({PROOF_FILE_BYTES_MAX})",
                text.len()
            )));
        }
        serde_json::from_slice(text).map_err(|e| ProofError::Malformed(e.to_string()))
    }

    /// Checks the proof: the header hashes to `block_hash`, and the tree
    /// proof leads from the key (with the value, or with nothing) to the
    /// header's state root. Returns what it shows.
    pub fn verify(&self) -> Result<Verdict, ProofError> {
        let malformed = |what: &str| ProofError::Malformed(what.to_string());
        if self.format != PROOF_FORMAT {
            return Err(ProofError::Malformed(format!(
                "format `{}`; this verifier reads `{PROOF_FORMAT}`",
                self.format
            )));
        }
        let contract: Address = parse_hex(&self.contract)
            .ok_or_else(|| malformed("the contract is not a 20-byte hex address"))?;
        let key = decode_hex(&self.key).ok_or_else(|| malformed("the key is not hex"))?;
        let value = match &self.value {
            Some(text) => Some(decode_hex(text).ok_or_else(|| malformed("the value is not hex"))?),
            None => None,
        };
        let header = self.header.parse().map_err(malformed)?;
        let block_hash: [u8; 32] =
            parse_hex(&self.block_hash).ok_or_else(|| malformed("the block hash is not 32 bytes of hex"))?;
        if header.hash() != block_hash {
            return Err(ProofError::Invalid("the header does not hash to the block hash".to_string()));
        }
        let bytes = decode_hex(&self.proof).ok_or_else(|| malformed("the tree proof is not hex"))?;
        // `from_slice` refuses trailing bytes, so a proof has one encoding.
        let proof: SparseMerkleProof<sha2::Sha256> =
            borsh::from_slice(&bytes).map_err(|e| ProofError::Malformed(format!("the tree proof: {e}")))?;
        let key_hash = KeyHash(keys::key_hash(&keys::storage(&contract, &key)));
        proof.verify(RootHash(header.state_root), key_hash, value.as_deref()).map_err(|_| {
            ProofError::Invalid(
                match value {
                    Some(_) => "the tree proof does not lead from this key and value to the state root",
                    None => "the tree proof does not show this key absent under the state root",
                }
                .to_string(),
            )
        })?;
        Ok(match value {
            Some(value) => Verdict::Present(value),
            None => Verdict::Absent,
        })
    }

    /// The state root the proof is checked against, hex.
    pub fn state_root(&self) -> &str {
        &self.header.state_root
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    hex::decode(text.strip_prefix("0x").unwrap_or(text)).ok()
}
