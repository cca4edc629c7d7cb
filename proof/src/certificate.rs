//! Votes and commit certificates: what a validator signs, and the proof
//! that more than two thirds of a network's voting power decided a block.
//!
//! A certificate is the precommit signatures of one round for one block
//! hash. It holds under a genesis if every signature is a distinct genesis
//! validator's valid signature of that precommit and their power is a
//! quorum. A court holding a state proof, the block's certificate and the
//! network's genesis file can thus trust the proof without trusting the
//! node that served it.
//!
//! Invariant: [`vote_sign_bytes`] is the only encoding validators sign;
//! the consensus layer signs and checks votes with it, and this module
//! checks certificates with it, so the two can never disagree.

use serde::{Deserialize, Serialize};

use crate::genesis::Genesis;
use crate::signature::verify_ed25519;
use crate::{Address, Hash32, parse_hex};

/// The format tag of a certificate document.
pub const CERTIFICATE_FORMAT: &str = "writ-certificate/1";

/// Which vote of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteKind {
    Prevote,
    Precommit,
}

/// The bytes a validator signs for a vote: `writ-vote/1` ‖ the chain id's
/// length (1 byte) ‖ chain id ‖ height (8 bytes) ‖ round (4 bytes) ‖ kind
/// (`01` prevote, `02` precommit) ‖ `00` for nil, or `01` ‖ block hash.
/// Integers big-endian. The chain id keeps a vote of one network from
/// counting in another.
pub fn vote_sign_bytes(
    chain_id: &str,
    height: u64,
    round: u32,
    kind: VoteKind,
    block: Option<&Hash32>,
) -> Vec<u8> {
    let id = chain_id.as_bytes();
    let mut bytes = Vec::with_capacity(11 + 1 + id.len() + 8 + 4 + 1 + 33);
    bytes.extend_from_slice(b"writ-vote/1");
    // Genesis refuses chain ids over 64 bytes, so the length fits a byte.
    bytes.push(id.len().min(255) as u8);
    bytes.extend_from_slice(id.get(..255).unwrap_or(id));
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&round.to_be_bytes());
    bytes.push(match kind {
        VoteKind::Prevote => 1,
        VoteKind::Precommit => 2,
    });
    match block {
        None => bytes.push(0),
        Some(hash) => {
            bytes.push(1);
            bytes.extend_from_slice(hash);
        }
    }
    bytes
}

/// One validator's precommit signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSignature {
    pub validator: Address,
    pub signature: [u8; 64],
}

/// The precommits that decided a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub height: u64,
    pub round: u32,
    pub block_hash: Hash32,
    pub signatures: Vec<CommitSignature>,
}

/// A certificate as JSON (the stored and served form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateJson {
    /// Always [`CERTIFICATE_FORMAT`].
    pub format: String,
    pub height: u64,
    pub round: u32,
    pub block_hash: String,
    pub signatures: Vec<SignatureJson>,
}

/// One signature as JSON: the validator's address and the signature, hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureJson {
    pub validator: String,
    pub signature: String,
}

/// Why a certificate does not hold or does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("not a certificate: {0}")]
    Malformed(String),
    #[error("the certificate is not valid: {0}")]
    Invalid(String),
}

/// Most bytes a certificate document may have: 128 validators' entries
/// are about 30 KiB.
pub const CERTIFICATE_BYTES_MAX: usize = 64 * 1024;

impl Certificate {
    /// Checks the certificate against the validators of `genesis`, and
    /// returns the power that signed.
    pub fn verify(&self, genesis: &Genesis) -> Result<u64, CertificateError> {
        let invalid = |why: String| CertificateError::Invalid(why);
        let message = vote_sign_bytes(
            &genesis.chain_id,
            self.height,
            self.round,
            VoteKind::Precommit,
            Some(&self.block_hash),
        );
        let mut seen: Vec<Address> = Vec::with_capacity(self.signatures.len());
        let mut power: u64 = 0;
        for entry in &self.signatures {
            let validator = genesis.validator(&entry.validator).ok_or_else(|| {
                invalid(format!(
                    "{} is not a validator of chain `{}`",
                    hex::encode(entry.validator),
                    genesis.chain_id
                ))
            })?;
            if seen.contains(&entry.validator) {
                return Err(invalid(format!("{} signed twice", hex::encode(entry.validator))));
            }
            seen.push(entry.validator);
            if !verify_ed25519(&validator.public_key, &message, &entry.signature) {
                return Err(invalid(format!(
                    "the signature of {} (`{}`) is not its precommit for block {} at height {} round {}",
                    hex::encode(entry.validator),
                    validator.name,
                    hex::encode(self.block_hash),
                    self.height,
                    self.round
                )));
            }
            power = power.saturating_add(validator.power);
        }
        if !genesis.is_quorum(power) {
            return Err(invalid(format!(
                "the signers hold {power} of {} voting power; more than two thirds is needed",
                genesis.total_power()
            )));
        }
        Ok(power)
    }

    pub fn to_json(&self) -> CertificateJson {
        CertificateJson {
            format: CERTIFICATE_FORMAT.to_string(),
            height: self.height,
            round: self.round,
            block_hash: hex::encode(self.block_hash),
            signatures: self
                .signatures
                .iter()
                .map(|s| SignatureJson {
                    validator: hex::encode(s.validator),
                    signature: hex::encode(s.signature),
                })
                .collect(),
        }
    }

    /// The stored form: the JSON document's bytes.
    pub fn encode(&self) -> Vec<u8> {
        // Strings and integers always serialise.
        serde_json::to_vec(&self.to_json()).unwrap_or_default()
    }

    /// Parses a certificate document (as [`Certificate::encode`] writes it).
    pub fn decode(bytes: &[u8]) -> Result<Certificate, CertificateError> {
        let malformed = |why: String| CertificateError::Malformed(why);
        if bytes.len() > CERTIFICATE_BYTES_MAX {
            return Err(malformed(format!("it is {} bytes; at most {CERTIFICATE_BYTES_MAX}", bytes.len())));
        }
        let json: CertificateJson = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        Certificate::from_json(&json)
    }

    pub fn from_json(json: &CertificateJson) -> Result<Certificate, CertificateError> {
        let malformed = |why: String| CertificateError::Malformed(why);
        if json.format != CERTIFICATE_FORMAT {
            return Err(malformed(format!("its format is `{}`, not `{CERTIFICATE_FORMAT}`", json.format)));
        }
        let block_hash = parse_hex(&json.block_hash)
            .ok_or_else(|| malformed("the block hash is not 32 bytes of hex".into()))?;
        let signatures = json
            .signatures
            .iter()
            .enumerate()
            .map(|(n, s)| {
                Ok(CommitSignature {
                    validator: parse_hex(&s.validator).ok_or_else(|| {
                        malformed(format!("signature {n}: the validator is not 20 bytes of hex"))
                    })?,
                    signature: parse_hex(&s.signature)
                        .ok_or_else(|| malformed(format!("signature {n}: not 64 bytes of hex")))?,
                })
            })
            .collect::<Result<Vec<_>, CertificateError>>()?;
        Ok(Certificate { height: json.height, round: json.round, block_hash, signatures })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use ed25519_dalek::{Signer, SigningKey};

    use super::*;
    use crate::genesis::{GENESIS_FORMAT, GenesisFile, ValidatorEntry, validator_address};

    fn keys() -> Vec<SigningKey> {
        (1..=4u8).map(|n| SigningKey::from_bytes(&[n; 32])).collect()
    }

    fn network(powers: &[u64]) -> Genesis {
        let file = GenesisFile {
            format: GENESIS_FORMAT.into(),
            chain_id: "court".into(),
            time: 0,
            tx_gas_limit_max: 10,
            block_gas_limit: 100,
            validators: keys()
                .iter()
                .zip(powers)
                .enumerate()
                .map(|(n, (key, power))| ValidatorEntry {
                    name: format!("agency {n}"),
                    public_key: hex::encode(key.verifying_key().to_bytes()),
                    power: *power,
                    peer: format!("127.0.0.1:{}", 7000 + n),
                    api: format!("127.0.0.1:{}", 7100 + n),
                })
                .collect(),
        };
        Genesis::parse(file.to_json().as_bytes()).unwrap()
    }

    fn signed_by(signers: &[usize], block: Hash32, chain: &str) -> Certificate {
        let keys = keys();
        let message = vote_sign_bytes(chain, 5, 1, VoteKind::Precommit, Some(&block));
        Certificate {
            height: 5,
            round: 1,
            block_hash: block,
            signatures: signers
                .iter()
                .map(|&n| CommitSignature {
                    validator: validator_address(&keys[n].verifying_key().to_bytes()),
                    signature: keys[n].sign(&message).to_bytes(),
                })
                .collect(),
        }
    }

    #[test]
    fn three_of_four_equal_validators_decide_and_two_do_not() {
        let genesis = network(&[1, 1, 1, 1]);
        let certificate = signed_by(&[0, 2, 3], [9; 32], "court");
        assert_eq!(certificate.verify(&genesis), Ok(3));
        let decoded = Certificate::decode(&certificate.encode()).unwrap();
        assert_eq!(decoded, certificate);
        let short = signed_by(&[0, 2], [9; 32], "court");
        assert!(short.verify(&genesis).unwrap_err().to_string().contains("2 of 4"));
        // Power, not heads, counts.
        let weighted = network(&[5, 1, 1, 1]);
        assert!(signed_by(&[0, 1], [9; 32], "court").verify(&weighted).is_ok());
        assert!(signed_by(&[1, 2, 3], [9; 32], "court").verify(&weighted).is_err());
    }

    #[test]
    fn forged_reused_and_foreign_signatures_are_refused() {
        let genesis = network(&[1, 1, 1, 1]);
        // Signatures of another block, moved onto this one.
        let mut moved = signed_by(&[0, 1, 2], [9; 32], "court");
        moved.block_hash = [8; 32];
        assert!(moved.verify(&genesis).unwrap_err().to_string().contains("not its precommit"));
        // Another chain's votes.
        assert!(signed_by(&[0, 1, 2], [9; 32], "tax").verify(&genesis).is_err());
        // One validator counted twice.
        let twice = signed_by(&[0, 0, 1], [9; 32], "court");
        assert!(twice.verify(&genesis).unwrap_err().to_string().contains("twice"));
        // A key outside the set.
        let mut stranger = signed_by(&[0, 1, 2], [9; 32], "court");
        stranger.signatures[0].validator = [3; 20];
        assert!(stranger.verify(&genesis).unwrap_err().to_string().contains("not a validator"));
        // A flipped bit anywhere in a signature.
        let good = signed_by(&[0, 1, 2], [9; 32], "court");
        for bit in [0, 100, 511] {
            let mut bad = good.clone();
            bad.signatures[1].signature[bit / 8] ^= 1 << (bit % 8);
            assert!(bad.verify(&genesis).is_err(), "bit {bit}");
        }
        // Prevotes are not precommits.
        let keys = keys();
        let prevote = vote_sign_bytes("court", 5, 1, VoteKind::Prevote, Some(&[9; 32]));
        let mut as_prevotes = good.clone();
        for (entry, n) in as_prevotes.signatures.iter_mut().zip([0, 1, 2]) {
            entry.signature = keys[n].sign(&prevote).to_bytes();
        }
        assert!(as_prevotes.verify(&genesis).is_err());
    }

    #[test]
    fn malformed_documents_are_refused_without_a_panic() {
        for junk in [&b""[..], b"{}", b"null", &[0xff; 40], br#"{"format":"writ-certificate/1"}"#] {
            assert!(matches!(Certificate::decode(junk), Err(CertificateError::Malformed(_))));
        }
        let mut json = signed_by(&[0], [1; 32], "court").to_json();
        json.signatures[0].signature.pop();
        assert!(Certificate::from_json(&json).is_err());
        assert!(Certificate::decode(&vec![b' '; CERTIFICATE_BYTES_MAX + 1]).is_err());
    }

    #[test]
    fn vote_bytes_differ_in_every_field() {
        let base = vote_sign_bytes("a", 1, 0, VoteKind::Prevote, None);
        let variants = [
            vote_sign_bytes("b", 1, 0, VoteKind::Prevote, None),
            vote_sign_bytes("a", 2, 0, VoteKind::Prevote, None),
            vote_sign_bytes("a", 1, 1, VoteKind::Prevote, None),
            vote_sign_bytes("a", 1, 0, VoteKind::Precommit, None),
            vote_sign_bytes("a", 1, 0, VoteKind::Prevote, Some(&[0; 32])),
        ];
        for variant in variants {
            assert_ne!(variant, base);
        }
    }
}
