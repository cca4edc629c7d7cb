//! Ed25519 signature verification: one rule for contracts (the
//! `verify_ed25519` host function) and for the ledger's transactions.
//!
//! The rule is ZIP-215 (the cofactored equation `8·s·B = 8·R + 8·k·A`,
//! `s` canonical, point encodings decoded as curve25519-dalek decodes
//! them), as `ed25519-zebra` implements it, with one addition: public keys
//! of small order are refused, because any signature made "by" such a key
//! can be forged by anyone. Unlike the cofactorless "strict" check, this
//! rule gives the same answer for a signature checked alone and in a batch,
//! whatever the batch's random coefficients: that is what lets the node
//! verify a submission's signatures as one batch (several times cheaper
//! per signature) without any chance that two nodes, or a replay, decide a
//! transaction differently. Signatures made by any standard Ed25519 signer
//! verify under both rules.

use std::collections::HashSet;
use std::sync::LazyLock;

use curve25519_dalek::constants::EIGHT_TORSION;
use ed25519_zebra::{Signature, VerificationKey, VerificationKeyBytes, batch};

/// One signature to check: the signer's public key, the signed message and
/// the signature.
#[derive(Debug, Clone, Copy)]
pub struct SignatureCheck<'a> {
    pub key: &'a [u8; 32],
    pub message: &'a [u8],
    pub signature: &'a [u8; 64],
}

/// Whether `signature` is `key`'s signature of `message`.
pub fn verify_ed25519(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    if is_small_order_encoding(key) {
        return false;
    }
    let Ok(key) = VerificationKey::try_from(VerificationKeyBytes::from(*key)) else { return false };
    key.verify(&Signature::from_bytes(signature), message).is_ok()
}

/// [`verify_ed25519`] of every check, in order. All are first verified as
/// one batch; only when the batch fails (some signature is bad) is each
/// checked alone, to say which.
pub fn verify_ed25519_batch(checks: &[SignatureCheck<'_>]) -> Vec<bool> {
    if checks.len() > 1 && checks.iter().all(|c| !is_small_order_encoding(c.key)) {
        let mut verifier = batch::Verifier::new();
        for check in checks {
            let key = VerificationKeyBytes::from(*check.key);
            verifier.queue((key, Signature::from_bytes(check.signature), check.message));
        }
        // The batch's coefficients must be unpredictable to whoever made
        // the signatures; the answer does not depend on them (see above).
        if verifier.verify(rand_core::OsRng).is_ok() {
            return vec![true; checks.len()];
        }
    }
    checks.iter().map(|c| verify_ed25519(c.key, c.message, c.signature)).collect()
}

/// Whether `bytes` decodes to a point of small order: one of the 14
/// encodings (canonical or not, either sign bit) of the eight points of
/// the curve's torsion subgroup. Checked against the encoding rather than
/// by decoding the key, which would cost about as much as the batch's
/// share of a verification.
pub fn is_small_order_encoding(bytes: &[u8; 32]) -> bool {
    SMALL_ORDER.contains(bytes)
}

static SMALL_ORDER: LazyLock<HashSet<[u8; 32]>> = LazyLock::new(|| {
    let mut set = HashSet::new();
    for point in EIGHT_TORSION {
        let mut y = point.compress().to_bytes();
        y[31] &= 0x7f;
        let mut encodings = vec![y];
        // A y below 19 has a second, non-canonical encoding y + p
        // (p = 2^255 - 19), which the decoder reduces back to y.
        if y[0] < 19 && y[1..31].iter().all(|&b| b == 0) && y[31] == 0 {
            let mut wrapped = [0xff; 32];
            wrapped[0] = 0xed + y[0];
            wrapped[31] = 0x7f;
            encodings.push(wrapped);
        }
        for encoding in encodings {
            // Either sign bit decodes to a small-order point: the point
            // itself or its negation, both in the torsion subgroup.
            let mut negative = encoding;
            negative[31] |= 0x80;
            set.insert(encoding);
            set.insert(negative);
        }
    }
    set
});

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;

    fn signed(seed: u8, message: &[u8]) -> ([u8; 32], [u8; 64]) {
        let key = SigningKey::from_bytes(&[seed; 32]);
        (key.verifying_key().to_bytes(), key.sign(message).to_bytes())
    }

    #[test]
    fn small_order_encodings_are_exactly_the_torsion_points() {
        assert_eq!(SMALL_ORDER.len(), 14);
        for encoding in SMALL_ORDER.iter() {
            let point = CompressedEdwardsY(*encoding).decompress().unwrap();
            assert!(point.is_small_order(), "{encoding:02x?}");
        }
        for seed in 0..=255u8 {
            let key = SigningKey::from_bytes(&[seed; 32]).verifying_key().to_bytes();
            assert!(!is_small_order_encoding(&key));
        }
    }

    #[test]
    fn standard_signatures_verify_and_tampering_is_caught() {
        let (key, signature) = signed(1, b"hello");
        assert!(verify_ed25519(&key, b"hello", &signature));
        assert!(!verify_ed25519(&key, b"hellO", &signature));
        let mut flipped = signature;
        flipped[10] ^= 1;
        assert!(!verify_ed25519(&key, b"hello", &flipped));
        // A non-canonical s (s + l) is refused: no malleable signatures.
        let mut high = signature;
        high[63] |= 0xf0;
        assert!(!verify_ed25519(&key, b"hello", &high));
    }

    #[test]
    fn a_small_order_key_is_refused_even_with_a_valid_equation() {
        // With A the identity and R = s·B, the cofactored equation holds
        // for every message: exactly the forgery the refusal prevents.
        let identity = curve25519_dalek::EdwardsPoint::default().compress().to_bytes();
        let s = curve25519_dalek::Scalar::from(7u8);
        let r = curve25519_dalek::EdwardsPoint::mul_base(&s).compress().to_bytes();
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&r);
        signature[32..].copy_from_slice(s.as_bytes());
        let any_key = ed25519_zebra::VerificationKey::try_from(VerificationKeyBytes::from(identity)).unwrap();
        assert!(any_key.verify(&Signature::from_bytes(&signature), b"any message").is_ok());
        assert!(!verify_ed25519(&identity, b"any message", &signature));
        let (good_key, good) = signed(3, b"m");
        let checks = [
            SignatureCheck { key: &good_key, message: b"m", signature: &good },
            SignatureCheck { key: &identity, message: b"any message", signature: &signature },
        ];
        assert_eq!(verify_ed25519_batch(&checks), vec![true, false]);
    }

    #[test]
    fn a_batch_agrees_with_checking_each_alone() {
        let messages: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i; 40]).collect();
        let mut pairs: Vec<([u8; 32], [u8; 64])> =
            messages.iter().enumerate().map(|(i, m)| signed(i as u8 % 7, m)).collect();
        let checks = |pairs: &[([u8; 32], [u8; 64])]| -> Vec<bool> {
            let list: Vec<SignatureCheck<'_>> = pairs
                .iter()
                .zip(&messages)
                .map(|((key, signature), message)| SignatureCheck { key, message, signature })
                .collect();
            verify_ed25519_batch(&list)
        };
        assert_eq!(checks(&pairs), vec![true; 20]);
        pairs[4].1[0] ^= 1;
        pairs[13].0 = signed(200, b"x").0;
        let expected: Vec<bool> = (0..20).map(|i| i != 4 && i != 13).collect();
        assert_eq!(checks(&pairs), expected);
        assert_eq!(verify_ed25519_batch(&[]), Vec::<bool>::new());
    }
}
