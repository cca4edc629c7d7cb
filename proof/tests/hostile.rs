//! A verifier meets files from anyone: no proof document, however made,
//! makes it panic, and only a real proof is ever accepted.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use writ_proof::{Header, StateProof};

fn document(proof_hex: String, value: Option<String>) -> StateProof {
    let header = Header {
        height: 1,
        parent: [0; 32],
        time: 0,
        tx_root: [0; 32],
        receipts_root: [0; 32],
        state_root: [7; 32],
        gas_used: 0,
    };
    StateProof {
        format: writ_proof::PROOF_FORMAT.to_string(),
        contract: "11".repeat(20),
        key: "0100000000".to_string(),
        value,
        block_hash: hex::encode(header.hash()),
        header: header.to_json(),
        proof: proof_hex,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    // Arbitrary tree-proof bytes: refused (malformed or invalid), never a
    // panic, never accepted against a root nobody built.
    #[test]
    fn arbitrary_tree_proofs_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..600), value in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8))) {
        let proof = document(hex::encode(&bytes), value.map(hex::encode));
        prop_assert!(proof.verify().is_err());
    }

    // Arbitrary bytes as a proof file: refused without a panic.
    #[test]
    fn arbitrary_files_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        prop_assert!(StateProof::from_json(&bytes).and_then(|p| p.verify()).is_err());
    }
}

#[test]
fn structured_but_wrong_proofs_are_refused() {
    // Leaf tags, sibling counts far beyond 256, huge length prefixes.
    for bytes in [
        vec![0u8; 5],
        vec![1u8; 69],
        [vec![0u8], u32::MAX.to_le_bytes().to_vec()].concat(),
        [vec![0u8], 300u32.to_le_bytes().to_vec(), vec![0u8; 300]].concat(),
    ] {
        assert!(document(hex::encode(&bytes), None).verify().is_err());
    }
    let mut other = document(String::new(), None);
    other.format = "writ-state-proof/1".into();
    assert!(other.verify().unwrap_err().to_string().contains("writ-state-proof/2"));
}
