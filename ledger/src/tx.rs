//! Transactions: what they say, their canonical bytes, and their
//! signatures. The bytes are specified in docs/ledger.md.
//!
//! Invariant: decoding accepts exactly the bytes encoding produces (no
//! trailing bytes, no alternative forms), so a transaction has one
//! identifier, and hostile bytes give an error, never a panic.

use ed25519_dalek::{Signer, SigningKey};
use writ_abi::reader::ByteReader;
use writ_vm::signature::SignatureCheck;

use crate::crypto::{Address, Hash32, address_of, sha256, verify};

use crate::limits::{
    CHAIN_ID_BYTES_MAX, COSIGNERS_MAX, METHOD_BYTES_MAX, SIGNATURE_BYTES, TX_ARGS_BYTES_MAX, TX_BYTES_MAX,
    TX_CODE_BYTES_MAX,
};

/// The first bytes of every transaction body: the format and its version.
pub const MAGIC: &[u8; 9] = b"writ-tx/1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Deploys a module (a `writ build` artifact) and runs its `init`.
    Deploy { code: Vec<u8>, args: Vec<u8> },
    /// Calls an entry point of a deployed contract.
    Call { contract: Address, method: String, args: Vec<u8> },
}

/// What the signer asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub chain_id: String,
    /// The signer's Ed25519 public key; its address is the caller.
    pub signer: [u8; 32],
    /// The signer's transaction count so far: 0, 1, 2… with no gaps.
    pub nonce: u64,
    pub gas_limit: u64,
    /// Further parties who sign the same body (`signed_by` in contracts).
    pub cosigners: Vec<[u8; 32]>,
    pub payload: Payload,
}

/// A transaction with one signature per signer: the signer's first, then
/// the co-signers' in order, each over the body's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTransaction {
    pub tx: Transaction,
    pub signatures: Vec<[u8; 64]>,
}

/// Why bytes are not a well-formed signed transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("the transaction is {size} bytes; the limit is {max}")]
    TooLarge { size: usize, max: usize },
    #[error("the transaction's {part} is {size} bytes; the limit is {max}")]
    PartTooLarge { part: &'static str, size: usize, max: usize },
    #[error("malformed transaction: {what}")]
    Malformed { what: String },
    #[error("signature {index} does not verify ({who})")]
    BadSignature { index: usize, who: String },
    #[error(
        "the transaction carries {found} signatures; it needs {expected} (the signer's and one per co-signer)"
    )]
    SignatureCount { expected: usize, found: usize },
}

fn malformed(what: &str) -> TxError {
    TxError::Malformed { what: what.to_string() }
}

impl Transaction {
    /// The canonical body: what every signer signs.
    pub fn body(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        put_bytes(&mut out, self.chain_id.as_bytes());
        out.extend_from_slice(&self.signer);
        out.extend_from_slice(&self.nonce.to_be_bytes());
        out.extend_from_slice(&self.gas_limit.to_be_bytes());
        out.extend_from_slice(&(self.cosigners.len() as u32).to_be_bytes());
        for cosigner in &self.cosigners {
            out.extend_from_slice(cosigner);
        }
        match &self.payload {
            Payload::Deploy { code, args } => {
                out.push(0);
                put_bytes(&mut out, code);
                put_bytes(&mut out, args);
            }
            Payload::Call { contract, method, args } => {
                out.push(1);
                out.extend_from_slice(contract);
                put_bytes(&mut out, method.as_bytes());
                put_bytes(&mut out, args);
            }
        }
        out
    }

    /// The identifier: SHA-256 of the body.
    pub fn id(&self) -> Hash32 {
        sha256(&self.body())
    }

    pub fn sender(&self) -> Address {
        address_of(&self.signer)
    }

    /// Signs with the signer's key and the co-signers' keys, in order.
    pub fn sign(self, signer: &SigningKey, cosigners: &[&SigningKey]) -> SignedTransaction {
        let id = self.id();
        let mut signatures = vec![signer.sign(&id).to_bytes()];
        signatures.extend(cosigners.iter().map(|k| k.sign(&id).to_bytes()));
        SignedTransaction { tx: self, signatures }
    }
}

impl SignedTransaction {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.tx.body();
        for signature in &self.signatures {
            out.extend_from_slice(signature);
        }
        out
    }

    /// The length of [`SignedTransaction::encode`], without encoding.
    pub fn encoded_len(&self) -> usize {
        let variable = match &self.tx.payload {
            Payload::Deploy { code, args } => 1 + 4 + code.len() + 4 + args.len(),
            Payload::Call { method, args, .. } => 1 + 20 + 4 + method.len() + 4 + args.len(),
        };
        MAGIC.len()
            + 4
            + self.tx.chain_id.len()
            + 32
            + 8
            + 8
            + 4
            + 32 * self.tx.cosigners.len()
            + variable
            + SIGNATURE_BYTES * self.signatures.len()
    }

    pub fn decode(bytes: &[u8]) -> Result<SignedTransaction, TxError> {
        if bytes.len() > TX_BYTES_MAX {
            return Err(TxError::TooLarge { size: bytes.len(), max: TX_BYTES_MAX });
        }
        let mut r = ByteReader::new(bytes);
        if r.take(MAGIC.len()) != Some(&MAGIC[..]) {
            return Err(malformed("it does not start with `writ-tx/1`"));
        }
        let chain_id = r.text(CHAIN_ID_BYTES_MAX).ok_or_else(|| malformed("bad chain id"))?;
        let signer = r.array::<32>().ok_or_else(|| malformed("truncated signer key"))?;
        let nonce = r.u64().ok_or_else(|| malformed("truncated nonce"))?;
        let gas_limit = r.u64().ok_or_else(|| malformed("truncated gas limit"))?;
        let count = r.u32().ok_or_else(|| malformed("truncated co-signer count"))? as usize;
        if count > COSIGNERS_MAX {
            return Err(malformed(&format!("{count} co-signers; at most {COSIGNERS_MAX}")));
        }
        let mut cosigners = Vec::with_capacity(count);
        for _ in 0..count {
            cosigners.push(r.array::<32>().ok_or_else(|| malformed("truncated co-signer key"))?);
        }
        let payload = match r.take(1) {
            Some([0]) => {
                let code = r.bytes().ok_or_else(|| malformed("truncated code"))?.to_vec();
                bounded("code", &code, TX_CODE_BYTES_MAX)?;
                let args = r.bytes().ok_or_else(|| malformed("truncated arguments"))?.to_vec();
                bounded("arguments", &args, TX_ARGS_BYTES_MAX)?;
                Payload::Deploy { code, args }
            }
            Some([1]) => {
                let contract = r.array::<20>().ok_or_else(|| malformed("truncated contract address"))?;
                let method = r.text(METHOD_BYTES_MAX).ok_or_else(|| malformed("bad method name"))?;
                let args = r.bytes().ok_or_else(|| malformed("truncated arguments"))?.to_vec();
                bounded("arguments", &args, TX_ARGS_BYTES_MAX)?;
                Payload::Call { contract, method, args }
            }
            _ => return Err(malformed("unknown payload kind (expected deploy or call)")),
        };
        let tx = Transaction { chain_id, signer, nonce, gas_limit, cosigners, payload };
        let expected = 1 + tx.cosigners.len();
        if r.rest().len() != expected * 64 {
            return Err(TxError::SignatureCount { expected, found: r.rest().len() / 64 });
        }
        let signatures = r.rest().chunks(64).filter_map(|c| c.try_into().ok()).collect();
        Ok(SignedTransaction { tx, signatures })
    }

    /// Checks every signature against the body.
    pub fn verify_signatures(&self) -> Result<(), TxError> {
        let id = self.tx.id();
        let checks = self.signature_checks(&id)?;
        let valid: Vec<bool> = checks.iter().map(|c| verify(c.key, c.message, c.signature)).collect();
        Self::signature_verdict(&valid)
    }

    /// What the signatures must prove, given the body's id: the signer's
    /// and then each co-signer's signature of `id`.
    pub fn signature_checks<'a>(&'a self, id: &'a Hash32) -> Result<Vec<SignatureCheck<'a>>, TxError> {
        let expected = 1 + self.tx.cosigners.len();
        if self.signatures.len() != expected {
            return Err(TxError::SignatureCount { expected, found: self.signatures.len() });
        }
        let keys = std::iter::once(&self.tx.signer).chain(&self.tx.cosigners);
        Ok(keys
            .zip(&self.signatures)
            .map(|(key, signature)| SignatureCheck { key, message: id, signature })
            .collect())
    }

    /// The transaction's verdict from the results of its
    /// [`Self::signature_checks`], in order: the first bad one is named.
    pub fn signature_verdict(valid: &[bool]) -> Result<(), TxError> {
        match valid.iter().position(|ok| !ok) {
            None => Ok(()),
            Some(index) => {
                let who = if index == 0 { "the signer".to_string() } else { format!("co-signer {index}") };
                Err(TxError::BadSignature { index, who })
            }
        }
    }
}

/// A part of a transaction within its own bound (the whole is checked
/// first; this names the part that is too large).
fn bounded(part: &'static str, bytes: &[u8], max: usize) -> Result<(), TxError> {
    if bytes.len() > max {
        return Err(TxError::PartTooLarge { part, size: bytes.len(), max });
    }
    Ok(())
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Whether every transaction carries valid signatures of its signer and
/// co-signers, checked as one batch (the rule makes the batch's verdict
/// each signature's own). A network's validators check a proposal's
/// transactions this way: they did not pass this node's admission.
pub fn all_signed(txs: &[SignedTransaction]) -> bool {
    let ids: Vec<Hash32> = txs.iter().map(|signed| signed.tx.id()).collect();
    let mut checks = Vec::new();
    for (signed, id) in txs.iter().zip(&ids) {
        match signed.signature_checks(id) {
            Ok(list) => checks.extend(list),
            Err(_) => return false,
        }
    }
    writ_vm::signature::verify_ed25519_batch(&checks).iter().all(|valid| *valid)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;

    use super::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    fn sample(cosigners: usize) -> Transaction {
        Transaction {
            chain_id: "test".into(),
            signer: key(1).verifying_key().to_bytes(),
            nonce: 7,
            gas_limit: 1_000_000,
            cosigners: (0..cosigners).map(|i| key(10 + i as u8).verifying_key().to_bytes()).collect(),
            payload: Payload::Call { contract: [9; 20], method: "transfer".into(), args: vec![1, 2, 3] },
        }
    }

    #[test]
    fn a_block_is_all_signed_only_if_every_signature_holds() {
        let co = key(10);
        let good = vec![sample(0).sign(&key(1), &[]), sample(1).sign(&key(1), &[&co])];
        assert!(all_signed(&good));
        assert!(all_signed(&[]));
        let mut replayed = good.clone();
        let mut moved = good[0].clone();
        moved.tx.nonce += 1;
        replayed.push(moved);
        assert!(!all_signed(&replayed), "a signature moved onto another nonce");
        let mut short = good.clone();
        short[1].signatures.pop();
        assert!(!all_signed(&short));
    }

    #[test]
    fn round_trip_and_signatures() {
        let co = key(10);
        let signed = sample(1).sign(&key(1), &[&co]);
        let bytes = signed.encode();
        let back = SignedTransaction::decode(&bytes).unwrap();
        assert_eq!(back, signed);
        back.verify_signatures().unwrap();
        // A changed byte anywhere in the body breaks a signature or the format.
        for i in 0..bytes.len() - 128 {
            let mut bad = bytes.clone();
            bad[i] ^= 1;
            let ok = SignedTransaction::decode(&bad).and_then(|t| t.verify_signatures()).is_ok();
            assert!(!ok, "flipping byte {i} went unnoticed");
        }
        // A missing co-signature, or one by the wrong key, is refused.
        let mut short = signed.clone();
        short.signatures.pop();
        assert!(matches!(short.verify_signatures(), Err(TxError::SignatureCount { expected: 2, found: 1 })));
        let wrong = sample(1).sign(&key(1), &[&key(99)]);
        assert!(matches!(wrong.verify_signatures(), Err(TxError::BadSignature { index: 1, .. })));
    }

    // A deploy with every part at its largest (a module of exactly the
    // VM's bound, the largest arguments, chain id and co-signers) passes
    // the size checks and measures exactly the budgeted envelope; one byte
    // more of code or arguments is refused as too large.
    #[test]
    fn a_largest_deploy_fits() {
        use crate::limits::{PUBLIC_KEY_BYTES, TX_ENVELOPE_BYTES_EXACT_MAX};
        let cosigner_keys: Vec<SigningKey> = (0..COSIGNERS_MAX).map(|i| key(10 + i as u8)).collect();
        let deploy = |code: usize, args: usize| Transaction {
            chain_id: "c".repeat(CHAIN_ID_BYTES_MAX),
            signer: key(1).verifying_key().to_bytes(),
            nonce: u64::MAX,
            gas_limit: u64::MAX,
            cosigners: cosigner_keys.iter().map(|k| k.verifying_key().to_bytes()).collect(),
            payload: Payload::Deploy { code: vec![0x5a; code], args: vec![7; args] },
        };
        let cosigners: Vec<&SigningKey> = cosigner_keys.iter().collect();
        let largest = deploy(TX_CODE_BYTES_MAX, TX_ARGS_BYTES_MAX).sign(&key(1), &cosigners);
        let bytes = largest.encode();
        assert_eq!(bytes.len(), largest.encoded_len());
        let deploy_envelope = bytes.len() - TX_CODE_BYTES_MAX - TX_ARGS_BYTES_MAX;
        assert!(deploy_envelope <= TX_ENVELOPE_BYTES_EXACT_MAX);
        assert!(bytes.len() <= TX_BYTES_MAX);
        assert_eq!(SignedTransaction::decode(&bytes).unwrap(), largest);
        // A call's envelope is the larger one; it is what the bound counts.
        let call = Transaction {
            payload: Payload::Call {
                contract: [0; 20],
                method: "m".repeat(METHOD_BYTES_MAX),
                args: vec![7; TX_ARGS_BYTES_MAX],
            },
            ..deploy(0, 0)
        }
        .sign(&key(1), &cosigners);
        assert_eq!(call.encode().len() - TX_ARGS_BYTES_MAX, TX_ENVELOPE_BYTES_EXACT_MAX);
        assert_eq!(PUBLIC_KEY_BYTES, 32);
        // One byte over a part's own bound is named.
        let code_over = deploy(TX_CODE_BYTES_MAX + 1, 0).sign(&key(1), &cosigners).encode();
        let refused = SignedTransaction::decode(&code_over).unwrap_err();
        assert!(matches!(refused, TxError::PartTooLarge { part: "code", .. }), "{refused}");
        let args_over = deploy(0, TX_ARGS_BYTES_MAX + 1).sign(&key(1), &cosigners).encode();
        let refused = SignedTransaction::decode(&args_over).unwrap_err();
        assert!(matches!(refused, TxError::PartTooLarge { part: "arguments", .. }), "{refused}");
        let whole_over = vec![0; TX_BYTES_MAX + 1];
        assert!(matches!(SignedTransaction::decode(&whole_over), Err(TxError::TooLarge { .. })));
    }

    proptest! {
        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = SignedTransaction::decode(&bytes);
            let mut prefixed = MAGIC.to_vec();
            prefixed.extend_from_slice(&bytes);
            let _ = SignedTransaction::decode(&prefixed);
        }
    }
}
