//! Signing and checking consensus messages with a validator's Ed25519 key.
//!
//! Votes are signed over `writ_proof::certificate::vote_sign_bytes`, the
//! encoding an offline verifier rebuilds, and checked under the one
//! Ed25519 rule (`writ_proof::signature`). Proposals, proposal parts and
//! the validator proof of the peer-to-peer handshake each sign their own
//! domain-separated bytes, so no signature can be replayed as another kind.

use std::fmt;

use async_trait::async_trait;
use ed25519_dalek::{Signer as _, SigningKey};
use malachitebft_app_channel::app::types::core::{
    NilOrVal, Round, SignedMessage, SigningScheme, ValidatorProof, VoteExtensionScope, VoteType,
};
use writ_proof::certificate::{VoteKind, vote_sign_bytes};
use writ_proof::signature::verify_ed25519;

use crate::context::{Address, Proposal, Vote, WritContext};

/// An Ed25519 signature (ordered, as Malachite needs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signature(pub [u8; 64]);

/// A validator's secret key.
#[derive(Clone)]
pub struct SecretKey(pub SigningKey);

/// A decoding failure of a key or signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLength(&'static str);

impl fmt::Display for BadLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Ed25519 as Malachite's signing scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519;

impl SigningScheme for Ed25519 {
    type DecodingError = BadLength;
    type Signature = Signature;
    type PublicKey = [u8; 32];
    type PrivateKey = SecretKey;

    fn decode_signature(bytes: &[u8]) -> Result<Signature, BadLength> {
        <[u8; 64]>::try_from(bytes).map(Signature).map_err(|_| BadLength("a signature is 64 bytes"))
    }

    fn encode_signature(signature: &Signature) -> Vec<u8> {
        signature.0.to_vec()
    }

    fn decode_public_key(bytes: &[u8]) -> Result<[u8; 32], BadLength> {
        <[u8; 32]>::try_from(bytes).map_err(|_| BadLength("a public key is 32 bytes"))
    }

    fn encode_public_key(key: &[u8; 32]) -> Vec<u8> {
        key.to_vec()
    }
}

/// The round of a vote or proposal as signed: always a defined round.
fn signed_round(round: Round) -> Option<u32> {
    round.as_u32()
}

/// The bytes a vote's signature covers, or `None` for a vote without a
/// round (which no honest validator makes).
pub fn vote_bytes(chain_id: &str, vote: &Vote) -> Option<Vec<u8>> {
    let kind = match vote.kind {
        VoteType::Prevote => VoteKind::Prevote,
        VoteType::Precommit => VoteKind::Precommit,
    };
    let block = match &vote.value {
        NilOrVal::Nil => None,
        NilOrVal::Val(hash) => Some(&hash.0),
    };
    Some(vote_sign_bytes(chain_id, vote.height.0, signed_round(vote.round)?, kind, block))
}

/// `writ-proposal/1` ‖ chain id length (1 byte) ‖ chain id ‖ height ‖ round
/// ‖ proof-of-lock round (8 bytes, -1 for none) ‖ block hash ‖ proposer.
pub fn proposal_bytes(chain_id: &str, proposal: &Proposal) -> Option<Vec<u8>> {
    let mut bytes = domain(b"writ-proposal/1", chain_id);
    bytes.extend_from_slice(&proposal.height.0.to_be_bytes());
    bytes.extend_from_slice(&signed_round(proposal.round)?.to_be_bytes());
    bytes.extend_from_slice(&proposal.pol_round.as_i64().to_be_bytes());
    bytes.extend_from_slice(&proposal.value.hash().0);
    bytes.extend_from_slice(&proposal.proposer.0);
    Some(bytes)
}

/// A domain tag and the chain id (genesis keeps it under 65 bytes).
pub fn domain(tag: &[u8], chain_id: &str) -> Vec<u8> {
    let id = chain_id.as_bytes();
    let mut bytes = Vec::with_capacity(tag.len() + 1 + id.len() + 96);
    bytes.extend_from_slice(tag);
    bytes.push(id.len().min(255) as u8);
    bytes.extend_from_slice(id.get(..255).unwrap_or(id));
    bytes
}

fn proof_bytes(public_key: &[u8], peer_id: &[u8]) -> Vec<u8> {
    let mut bytes = b"writ-validator-proof/1".to_vec();
    bytes.extend_from_slice(&ValidatorProof::<WritContext>::signing_bytes(public_key, peer_id));
    bytes
}

fn extension_bytes(chain_id: &str) -> Vec<u8> {
    domain(b"writ-vote-extension/1", chain_id)
}

fn unsignable(what: &'static str) -> malachitebft_signing::Error {
    malachitebft_signing::Error::from_source(what)
}

/// Signs for one validator of one chain.
#[derive(Clone)]
pub struct WritSigner {
    pub chain_id: String,
    pub key: SecretKey,
}

impl WritSigner {
    pub fn sign(&self, bytes: &[u8]) -> Signature {
        Signature(self.key.0.sign(bytes).to_bytes())
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.0.verifying_key().to_bytes()
    }
}

type SigningError = malachitebft_signing::Error;

#[async_trait]
impl malachitebft_signing::Signer<WritContext> for WritSigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<WritContext, Vote>, SigningError> {
        let bytes = vote_bytes(&self.chain_id, &vote).ok_or_else(|| unsignable("a vote without a round"))?;
        let signature = self.sign(&bytes);
        Ok(SignedMessage::new(vote, signature))
    }

    async fn sign_proposal(
        &self,
        proposal: Proposal,
    ) -> Result<SignedMessage<WritContext, Proposal>, SigningError> {
        let bytes = proposal_bytes(&self.chain_id, &proposal)
            .ok_or_else(|| unsignable("a proposal without a round"))?;
        let signature = self.sign(&bytes);
        Ok(SignedMessage::new(proposal, signature))
    }

    async fn sign_vote_extension(
        &self,
        _scope: VoteExtensionScope<WritContext>,
        extension: (),
    ) -> Result<SignedMessage<WritContext, ()>, SigningError> {
        Ok(SignedMessage::new(extension, self.sign(&extension_bytes(&self.chain_id))))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<WritContext>, SigningError> {
        let signature = self.sign(&proof_bytes(&public_key, &peer_id));
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }
}

/// Checks signatures for one chain.
#[derive(Clone)]
pub struct WritVerifier {
    pub chain_id: String,
}

fn verdict(valid: bool) -> malachitebft_signing::VerificationResult {
    malachitebft_signing::VerificationResult::from_bool(valid)
}

type Verification = Result<malachitebft_signing::VerificationResult, SigningError>;

#[async_trait]
impl malachitebft_signing::Verifier<WritContext> for WritVerifier {
    async fn verify_signed_vote(&self, vote: &Vote, signature: &Signature, key: &[u8; 32]) -> Verification {
        Ok(verdict(
            vote_bytes(&self.chain_id, vote).is_some_and(|bytes| verify_ed25519(key, &bytes, &signature.0)),
        ))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &Signature,
        key: &[u8; 32],
    ) -> Verification {
        Ok(verdict(
            proposal_bytes(&self.chain_id, proposal)
                .is_some_and(|bytes| verify_ed25519(key, &bytes, &signature.0)),
        ))
    }

    async fn verify_signed_vote_extension(
        &self,
        _scope: &VoteExtensionScope<WritContext>,
        _extension: &(),
        signature: &Signature,
        key: &[u8; 32],
    ) -> Verification {
        Ok(verdict(verify_ed25519(key, &extension_bytes(&self.chain_id), &signature.0)))
    }

    async fn verify_validator_proof(&self, proof: &ValidatorProof<WritContext>) -> Verification {
        let Ok(key) = <[u8; 32]>::try_from(proof.public_key.as_slice()) else { return Ok(verdict(false)) };
        Ok(verdict(verify_ed25519(&key, &proof_bytes(&proof.public_key, &proof.peer_id), &proof.signature.0)))
    }
}

/// The address of a consensus key.
pub fn address_of(public_key: &[u8; 32]) -> Address {
    Address(writ_proof::genesis::validator_address(public_key))
}
