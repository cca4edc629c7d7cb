//! A proposal's parts, and the block body they carry.
//!
//! A proposer publishes a stream: `Init` (height, round, proof-of-lock
//! round, proposer), the block body in `Data` chunks of at most
//! [`CHUNK_BYTES`], and `Fin` with the proposer's signature over the
//! height, round and the body's hash. A receiver puts a stream together
//! ([`Streams`]), and checks the signature of the expected proposer before
//! spending anything on executing it.
//!
//! The body is the header followed by the block's signed transactions; the
//! same bytes are what a node catching up receives for a decided block.
//!
//! Invariant: what a peer can make a node hold is bounded: a stream's
//! bytes by the block byte bound, the number of open streams by
//! [`STREAMS_MAX`] (the oldest is dropped).

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use malachitebft_app_channel::app::streaming::StreamContent;
use malachitebft_app_channel::app::types::PeerId;
use malachitebft_app_channel::app::types::core::{self as core, Round};
use malachitebft_app_channel::app::types::streaming::{StreamId, StreamMessage};
use writ_ledger::limits::{BLOCK_BYTES_MAX, BLOCK_TXS_DEFAULT};
use writ_ledger::tx::SignedTransaction;
use writ_proof::{Header, sha256};

use crate::codec::{HEADER_BYTES, Reader, Writer};
use crate::context::{Address, Height, WritContext};
use crate::signing::{Signature, domain};

/// Most bytes of one `Data` part: well under the engine's 4 MiB bound on a
/// gossip message.
pub const CHUNK_BYTES: usize = 1024 * 1024;
/// Most streams being put together at once.
pub const STREAMS_MAX: usize = 32;
/// Most bytes of a block body: the transactions' bound, the header and
/// each transaction's length.
pub const BODY_BYTES_MAX: usize = BLOCK_BYTES_MAX + HEADER_BYTES + 4 + 4 * BLOCK_TXS_DEFAULT;
/// Most parts of one stream: the chunks, `Init`, `Fin` and the end mark.
const PARTS_MAX: u64 = (BODY_BYTES_MAX / CHUNK_BYTES) as u64 + 4;

/// One part of a proposal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposalPart {
    Init { height: Height, round: Round, pol_round: Round, proposer: Address },
    Data(Bytes),
    Fin(Signature),
}

impl core::ProposalPart<WritContext> for ProposalPart {
    fn is_first(&self) -> bool {
        matches!(self, ProposalPart::Init { .. })
    }

    fn is_last(&self) -> bool {
        matches!(self, ProposalPart::Fin(_))
    }
}

/// The block body: header, transaction count, then each transaction's
/// length and canonical bytes.
pub fn encode_body(header: &Header, txs: &[SignedTransaction]) -> Vec<u8> {
    let mut w = Writer::default();
    w.header(header).count(txs.len());
    for tx in txs {
        w.bytes(&tx.encode());
    }
    w.0
}

/// A body's header and transactions, or why the bytes are not one.
pub fn decode_body(bytes: &[u8]) -> Result<(Header, Vec<SignedTransaction>), String> {
    if bytes.len() > BODY_BYTES_MAX {
        return Err(format!("a block body of {} bytes is over the bound of {BODY_BYTES_MAX}", bytes.len()));
    }
    let mut r = Reader::new(bytes);
    let header = r.header().map_err(|e| e.to_string())?;
    let n = r.count(4).map_err(|e| e.to_string())?;
    let mut txs = Vec::with_capacity(n);
    for index in 0..n {
        let tx = r.bytes().map_err(|e| e.to_string())?;
        txs.push(SignedTransaction::decode(tx).map_err(|e| format!("transaction {index}: {e}"))?);
    }
    r.end().map_err(|e| e.to_string())?;
    Ok((header, txs))
}

/// What the proposer signs in `Fin`: `writ-parts/1` ‖ chain id ‖ height ‖
/// round ‖ SHA-256 of the body.
pub fn parts_sign_bytes(chain_id: &str, height: Height, round: Round, body: &[u8]) -> Vec<u8> {
    let mut bytes = domain(b"writ-parts/1", chain_id);
    bytes.extend_from_slice(&height.0.to_be_bytes());
    bytes.extend_from_slice(&round.as_i64().to_be_bytes());
    bytes.extend_from_slice(&sha256(body));
    bytes
}

/// The stream of a proposal: every message in order, ending with the
/// stream's end mark.
pub fn stream(
    stream_id: StreamId,
    init: ProposalPart,
    body: &[u8],
    fin: Signature,
) -> Vec<StreamMessage<ProposalPart>> {
    let mut parts = vec![init];
    parts.extend(body.chunks(CHUNK_BYTES).map(|chunk| ProposalPart::Data(Bytes::copy_from_slice(chunk))));
    parts.push(ProposalPart::Fin(fin));
    let mut messages: Vec<StreamMessage<ProposalPart>> = parts
        .into_iter()
        .enumerate()
        .map(|(n, part)| StreamMessage::new(stream_id.clone(), n as u64, StreamContent::Data(part)))
        .collect();
    let end = messages.len() as u64;
    messages.push(StreamMessage::new(stream_id, end, StreamContent::Fin));
    messages
}

/// A proposal put together from its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    pub height: Height,
    pub round: Round,
    pub pol_round: Round,
    pub proposer: Address,
    pub body: Vec<u8>,
    pub signature: Signature,
}

#[derive(Default)]
struct Partial {
    messages: BTreeMap<u64, StreamContent<ProposalPart>>,
    end: Option<u64>,
    bytes: usize,
}

/// Streams being put together, by publisher and stream id.
#[derive(Default)]
pub struct Streams {
    open: BTreeMap<(Vec<u8>, Vec<u8>), Partial>,
    order: VecDeque<(Vec<u8>, Vec<u8>)>,
}

impl Streams {
    /// Adds one message; returns the proposal once its stream is whole,
    /// or why the stream was dropped.
    pub fn insert(
        &mut self,
        publisher: PeerId,
        message: StreamMessage<ProposalPart>,
    ) -> Result<Option<Assembled>, String> {
        let key = (publisher.to_bytes(), message.stream_id.to_bytes().to_vec());
        if message.sequence >= PARTS_MAX {
            self.drop_stream(&key);
            return Err(format!("a stream of more than {PARTS_MAX} parts"));
        }
        if !self.open.contains_key(&key) {
            if self.open.len() >= STREAMS_MAX
                && let Some(oldest) = self.order.pop_front()
            {
                self.open.remove(&oldest);
            }
            self.order.push_back(key.clone());
        }
        let partial = self.open.entry(key.clone()).or_default();
        let size = match &message.content {
            StreamContent::Data(ProposalPart::Data(chunk)) => chunk.len(),
            _ => 0,
        };
        partial.bytes = partial.bytes.saturating_add(size);
        if partial.bytes > BODY_BYTES_MAX {
            self.drop_stream(&key);
            return Err(format!("a stream of more than {BODY_BYTES_MAX} bytes"));
        }
        if matches!(message.content, StreamContent::Fin) {
            partial.end = Some(message.sequence);
        }
        partial.messages.insert(message.sequence, message.content);
        let complete = partial.end.is_some_and(|end| partial.messages.len() as u64 == end + 1);
        if !complete {
            return Ok(None);
        }
        let Some(partial) = self.open.remove(&key) else { return Ok(None) };
        self.order.retain(|k| k != &key);
        assemble(partial).map(Some)
    }

    fn drop_stream(&mut self, key: &(Vec<u8>, Vec<u8>)) {
        self.open.remove(key);
        self.order.retain(|k| k != key);
    }
}

fn assemble(partial: Partial) -> Result<Assembled, String> {
    let mut parts = partial.messages.into_values();
    let Some(StreamContent::Data(ProposalPart::Init { height, round, pol_round, proposer })) = parts.next()
    else {
        return Err("a stream does not begin with its Init part".into());
    };
    let mut body = Vec::with_capacity(partial.bytes);
    let mut signature = None;
    for content in parts {
        match content {
            StreamContent::Data(ProposalPart::Data(chunk)) if signature.is_none() => {
                body.extend_from_slice(&chunk)
            }
            StreamContent::Data(ProposalPart::Fin(fin)) if signature.is_none() => signature = Some(fin),
            StreamContent::Fin if signature.is_some() => {}
            _ => return Err("a stream's parts are out of order".into()),
        }
    }
    let signature = signature.ok_or("a stream ends without its Fin part")?;
    Ok(Assembled { height, round, pol_round, proposer, body, signature })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use malachitebft_app_channel::app::types::Keypair;

    use super::*;

    fn peer(n: u8) -> PeerId {
        let key = Keypair::ed25519_from_bytes([n; 32]).unwrap();
        PeerId::from_bytes(&key.public().to_peer_id().to_bytes()).unwrap()
    }

    fn init() -> ProposalPart {
        ProposalPart::Init {
            height: Height(3),
            round: Round::new(1),
            pol_round: Round::Nil,
            proposer: Address([5; 20]),
        }
    }

    #[test]
    fn a_stream_reassembles_from_parts_in_any_order() {
        let body: Vec<u8> = (0..(2 * CHUNK_BYTES + 17)).map(|n| n as u8).collect();
        let messages = stream(StreamId::new(Bytes::from_static(b"s1")), init(), &body, Signature([7; 64]));
        assert_eq!(messages.len(), 1 + 3 + 1 + 1);
        let mut streams = Streams::default();
        let mut done = None;
        for message in messages.into_iter().rev() {
            assert!(done.is_none());
            done = streams.insert(peer(1), message).unwrap();
        }
        let assembled = done.unwrap();
        assert_eq!(assembled.body, body);
        assert_eq!(assembled.signature, Signature([7; 64]));
        assert_eq!((assembled.height, assembled.round), (Height(3), Round::new(1)));
        assert!(streams.open.is_empty());
    }

    #[test]
    fn the_same_stream_id_from_two_publishers_is_two_streams() {
        let a = stream(StreamId::new(Bytes::from_static(b"x")), init(), b"aaa", Signature([1; 64]));
        let b = stream(StreamId::new(Bytes::from_static(b"x")), init(), b"bbb", Signature([2; 64]));
        let mut streams = Streams::default();
        let mut results = Vec::new();
        for (ma, mb) in a.into_iter().zip(b) {
            results.push(streams.insert(peer(1), ma).unwrap());
            results.push(streams.insert(peer(2), mb).unwrap());
        }
        let bodies: Vec<Vec<u8>> = results.into_iter().flatten().map(|a| a.body).collect();
        assert_eq!(bodies, vec![b"aaa".to_vec(), b"bbb".to_vec()]);
    }

    #[test]
    fn malformed_and_oversized_streams_are_dropped() {
        let id = || StreamId::new(Bytes::from_static(b"bad"));
        // No Init first.
        let mut streams = Streams::default();
        let data =
            StreamMessage::new(id(), 0, StreamContent::Data(ProposalPart::Data(Bytes::from_static(b"x"))));
        assert_eq!(streams.insert(peer(1), data).unwrap(), None);
        let end = StreamMessage::new(id(), 1, StreamContent::Fin);
        assert!(streams.insert(peer(1), end).unwrap_err().contains("Init"));
        // Sequence numbers past any real stream.
        let far = StreamMessage::new(id(), PARTS_MAX, StreamContent::Fin);
        assert!(streams.insert(peer(1), far).is_err());
        // More bytes than any block.
        let chunk = Bytes::from(vec![0u8; CHUNK_BYTES]);
        let mut refused = false;
        for n in 1..PARTS_MAX {
            let m = StreamMessage::new(id(), n, StreamContent::Data(ProposalPart::Data(chunk.clone())));
            if streams.insert(peer(2), m).is_err() {
                refused = true;
                break;
            }
        }
        assert!(refused);
        // Open streams are bounded: the oldest goes.
        for n in 0..(STREAMS_MAX + 5) {
            let m = StreamMessage::new(
                StreamId::new(Bytes::from(n.to_be_bytes().to_vec())),
                0,
                StreamContent::Data(init()),
            );
            streams.insert(peer(3), m).unwrap();
        }
        assert_eq!(streams.open.len(), STREAMS_MAX);
    }

    #[test]
    fn bodies_round_trip_and_junk_is_refused() {
        let header = Header {
            height: 1,
            parent: [1; 32],
            time: 5,
            tx_root: [2; 32],
            receipts_root: [3; 32],
            state_root: [4; 32],
            gas_used: 9,
        };
        let body = encode_body(&header, &[]);
        assert_eq!(decode_body(&body).unwrap(), (header, vec![]));
        assert!(decode_body(&body[..body.len() - 1]).is_err());
        assert!(decode_body(&[body.clone(), vec![0]].concat()).is_err());
        let mut lying = body.clone();
        lying[HEADER_BYTES..HEADER_BYTES + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(decode_body(&lying).is_err());
    }
}
