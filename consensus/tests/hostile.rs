//! Bad input from peers: bytes that are no message of any kind decode to
//! an error, never a panic or a large allocation; every message survives
//! its own encoding; and a commit certificate is accepted by the engine's
//! check exactly when the offline verifier (`writ_proof`) accepts it, so
//! a court's tool and the network can never disagree about what was
//! decided.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use ed25519_dalek::SigningKey;
use malachitebft_app_channel::app::consensus::LivenessMsg;
use malachitebft_app_channel::app::streaming::StreamContent;
use malachitebft_app_channel::app::types::codec::Codec;
use malachitebft_app_channel::app::types::core::{
    CommitCertificate, CommitSignature, NilOrVal, PolkaCertificate, PolkaSignature, Round, SignedMessage,
    ThresholdParams, ValidatorProof, Validity, VoteType,
};
use malachitebft_app_channel::app::types::streaming::{StreamId, StreamMessage};
use malachitebft_app_channel::app::types::sync::{Request, Response, Status};
use malachitebft_app_channel::app::types::{ProposedValue, SignedConsensusMsg};
use malachitebft_signing::{Signer as _, VerifierExt as _};
use proptest::prelude::*;
use writ_consensus::app::to_writ_certificate;
use writ_consensus::codec::WritCodec;
use writ_consensus::context::{
    Address, BlockHash, Height, Proposal, Validator, ValidatorSet, Value, Vote, WritContext,
};
use writ_consensus::parts::ProposalPart;
use writ_consensus::signing::{SecretKey, Signature, WritSigner, WritVerifier, address_of};
use writ_proof::Header;
use writ_proof::genesis::{GENESIS_FORMAT, Genesis, GenesisFile, ValidatorEntry};

fn decode_all(bytes: &[u8]) {
    let b = || Bytes::copy_from_slice(bytes);
    let c = WritCodec;
    let _ = Codec::<ProposalPart>::decode(&c, b());
    let _ = Codec::<SignedConsensusMsg<WritContext>>::decode(&c, b());
    let _ = Codec::<LivenessMsg<WritContext>>::decode(&c, b());
    let _ = Codec::<StreamMessage<ProposalPart>>::decode(&c, b());
    let _ = Codec::<ValidatorProof<WritContext>>::decode(&c, b());
    let _ = Codec::<ProposedValue<WritContext>>::decode(&c, b());
    let _ = Codec::<PolkaCertificate<WritContext>>::decode(&c, b());
    let _ = Codec::<Status<WritContext>>::decode(&c, b());
    let _ = Codec::<Request<WritContext>>::decode(&c, b());
    let _ = Codec::<Response<WritContext>>::decode(&c, b());
    let _ = writ_consensus::parts::decode_body(bytes);
}

fn header(n: u8) -> Header {
    Header {
        height: u64::from(n),
        parent: [n; 32],
        time: 1_700_000_000 + i64::from(n),
        tx_root: [1; 32],
        receipts_root: [2; 32],
        state_root: [3; 32],
        gas_used: 77,
    }
}

fn round_trip<T>(message: T)
where
    WritCodec: Codec<T>,
    T: PartialEq + std::fmt::Debug,
{
    let bytes = WritCodec.encode(&message).unwrap();
    assert_eq!(WritCodec.decode(bytes.clone()).unwrap(), message);
    // Any strict prefix is refused, and so is any trailing byte.
    for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            Codec::<T>::decode(&WritCodec, bytes.slice(..cut)).is_err(),
            "a prefix of {cut} bytes decoded"
        );
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(Codec::<T>::decode(&WritCodec, Bytes::from(longer)).is_err());
}

#[test]
fn every_message_survives_its_encoding() {
    let vote = Vote {
        kind: VoteType::Precommit,
        height: Height(9),
        round: Round::new(2),
        value: NilOrVal::Val(BlockHash([4; 32])),
        validator: Address([5; 20]),
    };
    round_trip(SignedConsensusMsg::<WritContext>::Vote(SignedMessage::new(vote.clone(), Signature([6; 64]))));
    let proposal = Proposal {
        height: Height(9),
        round: Round::new(0),
        value: Value(header(9)),
        pol_round: Round::Nil,
        proposer: Address([7; 20]),
    };
    round_trip(SignedConsensusMsg::<WritContext>::Proposal(SignedMessage::new(proposal, Signature([8; 64]))));
    let nil = Vote { value: NilOrVal::Nil, kind: VoteType::Prevote, ..vote };
    round_trip(LivenessMsg::<WritContext>::Vote(SignedMessage::new(nil, Signature([9; 64]))));
    let polka = PolkaCertificate {
        height: Height(3),
        round: Round::new(1),
        value_id: BlockHash([1; 32]),
        polka_signatures: vec![PolkaSignature::new(Address([2; 20]), Signature([3; 64]))],
    };
    round_trip(polka.clone());
    round_trip(LivenessMsg::<WritContext>::PolkaCertificate(polka));
    for part in [
        ProposalPart::Init {
            height: Height(1),
            round: Round::new(0),
            pol_round: Round::Nil,
            proposer: Address([1; 20]),
        },
        ProposalPart::Data(Bytes::from_static(b"some transactions")),
        ProposalPart::Fin(Signature([2; 64])),
    ] {
        round_trip(part.clone());
        round_trip(StreamMessage::new(
            StreamId::new(Bytes::from_static(b"id")),
            3,
            StreamContent::Data(part),
        ));
    }
    round_trip(StreamMessage::<ProposalPart>::new(
        StreamId::new(Bytes::from_static(b"id")),
        4,
        StreamContent::Fin,
    ));
    round_trip(ValidatorProof::<WritContext>::new(vec![1; 32], vec![2; 38], Signature([3; 64])));
    round_trip(ProposedValue::<WritContext> {
        height: Height(4),
        round: Round::new(1),
        valid_round: Round::Nil,
        proposer: Address([1; 20]),
        value: Value(header(4)),
        validity: Validity::Invalid,
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    // Whatever a peer sends, decoding answers.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        decode_all(&bytes);
    }

    // Bytes that begin like a real message but go wrong later.
    #[test]
    fn corrupted_messages_never_panic(position in 0usize..200, byte in any::<u8>()) {
        let vote = Vote {
            kind: VoteType::Prevote,
            height: Height(1),
            round: Round::new(0),
            value: NilOrVal::Val(BlockHash([4; 32])),
            validator: Address([5; 20]),
        };
        let message = SignedConsensusMsg::<WritContext>::Vote(SignedMessage::new(vote, Signature([6; 64])));
        let mut bytes = WritCodec.encode(&message).unwrap().to_vec();
        if let Some(slot) = bytes.get_mut(position) {
            *slot = byte;
        }
        decode_all(&bytes);
    }
}

#[test]
fn huge_counts_are_refused_before_anything_is_allocated() {
    // A sync response claiming four billion values in a few bytes.
    let mut bytes = vec![0u8];
    bytes.extend_from_slice(&1u64.to_be_bytes());
    bytes.extend_from_slice(&u32::MAX.to_be_bytes());
    assert!(Codec::<Response<WritContext>>::decode(&WritCodec, Bytes::from(bytes)).is_err());
    // A data part claiming 4 GiB.
    let mut part = vec![1u8];
    part.extend_from_slice(&u32::MAX.to_be_bytes());
    assert!(Codec::<ProposalPart>::decode(&WritCodec, Bytes::from(part)).is_err());
}

fn keys() -> Vec<SigningKey> {
    (1..=5u8).map(|n| SigningKey::from_bytes(&[n; 32])).collect()
}

/// A network of the first four keys; the fifth is an outsider.
fn network() -> (Genesis, ValidatorSet) {
    let file = GenesisFile {
        format: GENESIS_FORMAT.into(),
        chain_id: "hostile".into(),
        time: 0,
        tx_gas_limit_max: 10,
        block_gas_limit: 100,
        validators: keys()[..4]
            .iter()
            .enumerate()
            .map(|(n, key)| ValidatorEntry {
                name: format!("agency {n}"),
                public_key: hex::encode(key.verifying_key().to_bytes()),
                power: 1,
                peer: format!("127.0.0.1:{}", 9100 + n),
                api: format!("127.0.0.1:{}", 9200 + n),
            })
            .collect(),
    };
    let genesis = Genesis::parse(file.to_json().as_bytes()).unwrap();
    let set = ValidatorSet {
        validators: keys()[..4]
            .iter()
            .map(|k| Validator {
                address: address_of(&k.verifying_key().to_bytes()),
                public_key: k.verifying_key().to_bytes(),
                power: 1,
            })
            .collect(),
    };
    (genesis, set)
}

async fn certificate(signers: &[usize], block: [u8; 32]) -> CommitCertificate<WritContext> {
    let ctx = WritContext { chain_id: "hostile".into() };
    let mut signatures = Vec::new();
    for &n in signers {
        let key = keys()[n].clone();
        let address = address_of(&key.verifying_key().to_bytes());
        let signer = WritSigner { chain_id: ctx.chain_id.clone(), key: SecretKey(key) };
        let vote = Vote {
            kind: VoteType::Precommit,
            height: Height(7),
            round: Round::new(1),
            value: NilOrVal::Val(BlockHash(block)),
            validator: address,
        };
        let signed = signer.sign_vote(vote).await.unwrap();
        signatures.push(CommitSignature::new(address, signed.signature));
    }
    CommitCertificate {
        height: Height(7),
        round: Round::new(1),
        value_id: BlockHash(block),
        commit_signatures: signatures,
    }
}

// The engine's check (through Writ's verifier) and the offline check
// agree on good certificates, short ones, outsiders' and forged ones.
#[test]
fn the_engine_and_the_offline_verifier_agree_on_certificates() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let (genesis, set) = network();
        let ctx = WritContext { chain_id: "hostile".into() };
        let verifier = WritVerifier { chain_id: "hostile".into() };
        let mut forged = certificate(&[0, 1, 2], [9; 32]).await;
        forged.commit_signatures[1].signature.0[10] ^= 1;
        let mut moved = certificate(&[0, 1, 2], [9; 32]).await;
        moved.value_id = BlockHash([8; 32]);
        let cases = [
            ("three of four", certificate(&[0, 1, 2], [9; 32]).await, true),
            ("all four", certificate(&[0, 1, 2, 3], [9; 32]).await, true),
            ("two of four", certificate(&[0, 1], [9; 32]).await, false),
            ("an outsider makes the third", certificate(&[0, 1, 4], [9; 32]).await, false),
            ("one signature forged", forged, false),
            ("moved to another block", moved, false),
        ];
        for (what, certificate, expected) in cases {
            let engine = verifier
                .verify_commit_certificate(&ctx, &certificate, &set, ThresholdParams::default())
                .await
                .is_ok();
            let offline = to_writ_certificate(&certificate).verify(&genesis).is_ok();
            assert_eq!((engine, offline), (expected, expected), "{what}");
        }
    });
}
