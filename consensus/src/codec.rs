//! The bytes of every consensus message on the wire and in the engine's
//! write-ahead log: votes, proposals, proposal parts, certificates, the
//! validator proof of the handshake, and value sync's status, requests
//! and responses.
//!
//! The encoding is Writ's own, fixed-width and big-endian (integers), with
//! a 4-byte length before every variable field. Decoding is strict and
//! bounded: it reads only what is there, never allocates more than the
//! input's length, and refuses trailing bytes, so a peer's malformed or
//! oversized message is an error, never a panic or a large allocation.
//! Signatures never cover these bytes (they cover `signing.rs`'s), so the
//! encoding can change without invalidating a vote.

use bytes::Bytes;
use malachitebft_app_channel::app::consensus::LivenessMsg;
use malachitebft_app_channel::app::streaming::StreamContent;
use malachitebft_app_channel::app::types::codec::{Codec, HasEncodedLen};
use malachitebft_app_channel::app::types::core::{
    CommitSignature, ExtendedCommitCertificate, ExtendedCommitSignature, NilOrVal, PolkaCertificate,
    PolkaSignature, Round, RoundCertificate, RoundCertificateType, RoundSignature, SignedMessage,
    ValidatorProof, Validity, VoteType,
};
use malachitebft_app_channel::app::types::streaming::{StreamId, StreamMessage};
use malachitebft_app_channel::app::types::sync::{RawDecidedValue, Request, Response, Status};
use malachitebft_app_channel::app::types::{PeerId, ProposedValue, SignedConsensusMsg};
use malachitebft_sync::{ValueRequest, ValueResponse};
use writ_proof::Header;

use crate::context::{Address, BlockHash, Height, Proposal, Value, Vote, WritContext};
use crate::parts::ProposalPart;
use crate::signing::Signature;

/// Why bytes are not a message.
#[derive(Debug, thiserror::Error)]
#[error("a consensus message does not decode: {0}")]
pub struct DecodeError(pub String);

fn bad(what: impl Into<String>) -> DecodeError {
    DecodeError(what.into())
}

/// Writ's codec for every message Malachite sends, stores or syncs.
#[derive(Clone, Copy, Debug, Default)]
pub struct WritCodec;

/// The encoded length of a header.
pub const HEADER_BYTES: usize = 8 + 32 + 8 + 32 + 32 + 32 + 8;

/// Appends fields.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }
    /// A length (4 bytes) then the bytes.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.u32(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        self.raw(bytes)
    }
    pub fn count(&mut self, n: usize) -> &mut Self {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX))
    }
    pub fn header(&mut self, h: &Header) -> &mut Self {
        self.u64(h.height).raw(&h.parent).i64(h.time).raw(&h.tx_root).raw(&h.receipts_root);
        self.raw(&h.state_root).u64(h.gas_used)
    }
}

/// Reads fields, strictly.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }
    pub fn raw(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.bytes.len() {
            return Err(bad(format!("{n} bytes wanted, {} left", self.bytes.len())));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.raw(N)?);
        Ok(out)
    }
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u32()? as usize;
        self.raw(n)
    }
    /// A count of items of at least `min_item` bytes each: one that the
    /// rest of the input cannot hold is refused before anything is made.
    pub fn count(&mut self, min_item: usize) -> Result<usize, DecodeError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_item.max(1)) > self.bytes.len() {
            return Err(bad(format!("{n} items cannot fit in {} bytes", self.bytes.len())));
        }
        Ok(n)
    }
    pub fn header(&mut self) -> Result<Header, DecodeError> {
        Ok(Header {
            height: self.u64()?,
            parent: self.array()?,
            time: self.i64()?,
            tx_root: self.array()?,
            receipts_root: self.array()?,
            state_root: self.array()?,
            gas_used: self.u64()?,
        })
    }
    pub fn end(&self) -> Result<(), DecodeError> {
        if self.bytes.is_empty() { Ok(()) } else { Err(bad(format!("{} bytes trail", self.bytes.len()))) }
    }
}

fn round(r: &mut Reader<'_>) -> Result<Round, DecodeError> {
    let value = r.i64()?;
    if value < -1 || value > i64::from(u32::MAX) {
        return Err(bad("a round is out of range"));
    }
    Ok(Round::from(value))
}

fn write_round(w: &mut Writer, round: Round) {
    w.i64(round.as_i64());
}

fn address(r: &mut Reader<'_>) -> Result<Address, DecodeError> {
    Ok(Address(r.array()?))
}

fn signature(r: &mut Reader<'_>) -> Result<Signature, DecodeError> {
    Ok(Signature(r.array()?))
}

fn write_nil_or(w: &mut Writer, value: &NilOrVal<BlockHash>) {
    match value {
        NilOrVal::Nil => w.u8(0),
        NilOrVal::Val(hash) => w.u8(1).raw(&hash.0),
    };
}

fn nil_or(r: &mut Reader<'_>) -> Result<NilOrVal<BlockHash>, DecodeError> {
    match r.u8()? {
        0 => Ok(NilOrVal::Nil),
        1 => Ok(NilOrVal::Val(BlockHash(r.array()?))),
        _ => Err(bad("a vote's value tag is neither nil nor a block")),
    }
}

fn write_vote_type(w: &mut Writer, kind: VoteType) {
    w.u8(match kind {
        VoteType::Prevote => 1,
        VoteType::Precommit => 2,
    });
}

fn vote_type(r: &mut Reader<'_>) -> Result<VoteType, DecodeError> {
    match r.u8()? {
        1 => Ok(VoteType::Prevote),
        2 => Ok(VoteType::Precommit),
        _ => Err(bad("a vote is neither a prevote nor a precommit")),
    }
}

fn write_vote(w: &mut Writer, vote: &Vote) {
    write_vote_type(w, vote.kind);
    w.u64(vote.height.0);
    write_round(w, vote.round);
    write_nil_or(w, &vote.value);
    w.raw(&vote.validator.0);
}

fn read_vote(r: &mut Reader<'_>) -> Result<Vote, DecodeError> {
    Ok(Vote {
        kind: vote_type(r)?,
        height: Height(r.u64()?),
        round: round(r)?,
        value: nil_or(r)?,
        validator: address(r)?,
    })
}

fn write_proposal(w: &mut Writer, p: &Proposal) {
    w.u64(p.height.0);
    write_round(w, p.round);
    w.header(&p.value.0);
    write_round(w, p.pol_round);
    w.raw(&p.proposer.0);
}

fn read_proposal(r: &mut Reader<'_>) -> Result<Proposal, DecodeError> {
    Ok(Proposal {
        height: Height(r.u64()?),
        round: round(r)?,
        value: Value(r.header()?),
        pol_round: round(r)?,
        proposer: address(r)?,
    })
}

fn write_part(w: &mut Writer, part: &ProposalPart) {
    match part {
        ProposalPart::Init { height, round: r, pol_round, proposer } => {
            w.u8(0).u64(height.0);
            write_round(w, *r);
            write_round(w, *pol_round);
            w.raw(&proposer.0);
        }
        ProposalPart::Data(chunk) => {
            w.u8(1).bytes(chunk);
        }
        ProposalPart::Fin(signature) => {
            w.u8(2).raw(&signature.0);
        }
    }
}

fn read_part(r: &mut Reader<'_>) -> Result<ProposalPart, DecodeError> {
    match r.u8()? {
        0 => Ok(ProposalPart::Init {
            height: Height(r.u64()?),
            round: round(r)?,
            pol_round: round(r)?,
            proposer: address(r)?,
        }),
        1 => Ok(ProposalPart::Data(Bytes::copy_from_slice(r.bytes()?))),
        2 => Ok(ProposalPart::Fin(signature(r)?)),
        _ => Err(bad("unknown proposal part")),
    }
}

fn write_polka(w: &mut Writer, c: &PolkaCertificate<WritContext>) {
    w.u64(c.height.0);
    write_round(w, c.round);
    w.raw(&c.value_id.0).count(c.polka_signatures.len());
    for s in &c.polka_signatures {
        w.raw(&s.address.0).raw(&s.signature.0);
    }
}

fn read_polka(r: &mut Reader<'_>) -> Result<PolkaCertificate<WritContext>, DecodeError> {
    let height = Height(r.u64()?);
    let round = round(r)?;
    let value_id = BlockHash(r.array()?);
    let n = r.count(84)?;
    let mut polka_signatures = Vec::with_capacity(n);
    for _ in 0..n {
        polka_signatures.push(PolkaSignature::new(address(r)?, signature(r)?));
    }
    Ok(PolkaCertificate { height, round, value_id, polka_signatures })
}

fn write_round_certificate(w: &mut Writer, c: &RoundCertificate<WritContext>) {
    w.u64(c.height.0);
    write_round(w, c.round);
    w.u8(match c.cert_type {
        RoundCertificateType::Skip => 0,
        RoundCertificateType::Precommit => 1,
    });
    w.count(c.round_signatures.len());
    for s in &c.round_signatures {
        write_vote_type(w, s.vote_type);
        write_nil_or(w, &s.value_id);
        w.raw(&s.address.0).raw(&s.signature.0);
    }
}

fn read_round_certificate(r: &mut Reader<'_>) -> Result<RoundCertificate<WritContext>, DecodeError> {
    let height = Height(r.u64()?);
    let round = round(r)?;
    let cert_type = match r.u8()? {
        0 => RoundCertificateType::Skip,
        1 => RoundCertificateType::Precommit,
        _ => return Err(bad("unknown round certificate type")),
    };
    let n = r.count(86)?;
    let mut round_signatures = Vec::with_capacity(n);
    for _ in 0..n {
        let vote_type = vote_type(r)?;
        let value_id = nil_or(r)?;
        round_signatures.push(RoundSignature::new(vote_type, value_id, address(r)?, signature(r)?));
    }
    Ok(RoundCertificate { height, round, cert_type, round_signatures })
}

fn write_extended_certificate(w: &mut Writer, c: &ExtendedCommitCertificate<WritContext>) {
    w.u64(c.height.0);
    write_round(w, c.round);
    w.raw(&c.value_id.0).count(c.commit_signatures.len());
    for s in &c.commit_signatures {
        w.raw(&s.address.0).raw(&s.signature.0);
        match &s.extension {
            None => w.u8(0),
            Some(extension) => w.u8(1).raw(&extension.signature.0),
        };
    }
}

fn read_extended_certificate(
    r: &mut Reader<'_>,
) -> Result<ExtendedCommitCertificate<WritContext>, DecodeError> {
    let height = Height(r.u64()?);
    let round = round(r)?;
    let value_id = BlockHash(r.array()?);
    let n = r.count(85)?;
    let mut commit_signatures = Vec::with_capacity(n);
    for _ in 0..n {
        let address = address(r)?;
        let signature = signature(r)?;
        let extension = match r.u8()? {
            0 => None,
            1 => Some(SignedMessage::new((), self::signature(r)?)),
            _ => return Err(bad("unknown extension tag")),
        };
        commit_signatures.push(ExtendedCommitSignature { address, signature, extension });
    }
    Ok(ExtendedCommitCertificate { height, round, value_id, commit_signatures })
}

/// The certificate Malachite's `Decided` carries, as plain signatures.
pub fn commit_signatures(c: &ExtendedCommitCertificate<WritContext>) -> Vec<CommitSignature<WritContext>> {
    c.commit_signatures.iter().map(|s| CommitSignature::new(s.address, s.signature)).collect()
}

fn write_stream(w: &mut Writer, m: &StreamMessage<ProposalPart>) {
    w.bytes(&m.stream_id.to_bytes()).u64(m.sequence);
    match &m.content {
        StreamContent::Data(part) => {
            w.u8(0);
            write_part(w, part);
        }
        StreamContent::Fin => {
            w.u8(1);
        }
    }
}

/// Longest stream id a peer may use: Writ's are 16 bytes.
const STREAM_ID_BYTES_MAX: usize = 64;

fn read_stream(r: &mut Reader<'_>) -> Result<StreamMessage<ProposalPart>, DecodeError> {
    let id = r.bytes()?;
    if id.len() > STREAM_ID_BYTES_MAX {
        return Err(bad("a stream id is too long"));
    }
    let stream_id = StreamId::new(Bytes::copy_from_slice(id));
    let sequence = r.u64()?;
    let content = match r.u8()? {
        0 => StreamContent::Data(read_part(r)?),
        1 => StreamContent::Fin,
        _ => return Err(bad("unknown stream content")),
    };
    Ok(StreamMessage { stream_id, sequence, content })
}

fn write_validity(w: &mut Writer, v: Validity) {
    w.u8(match v {
        Validity::Valid => 1,
        Validity::Invalid => 0,
    });
}

fn read_validity(r: &mut Reader<'_>) -> Result<Validity, DecodeError> {
    match r.u8()? {
        1 => Ok(Validity::Valid),
        0 => Ok(Validity::Invalid),
        _ => Err(bad("unknown validity")),
    }
}

fn peer_id(r: &mut Reader<'_>) -> Result<PeerId, DecodeError> {
    PeerId::from_bytes(r.bytes()?).map_err(|e| bad(format!("a peer id: {e}")))
}

/// Implements `Codec<T>` for `WritCodec` from a writer and a reader.
macro_rules! codec {
    ($t:ty, $write:expr, $read:expr) => {
        impl Codec<$t> for WritCodec {
            type Error = DecodeError;

            fn decode(&self, bytes: Bytes) -> Result<$t, DecodeError> {
                let mut reader = Reader::new(&bytes);
                let read: fn(&mut Reader<'_>) -> Result<$t, DecodeError> = $read;
                let value = read(&mut reader)?;
                reader.end()?;
                Ok(value)
            }

            fn encode(&self, msg: &$t) -> Result<Bytes, DecodeError> {
                let mut writer = Writer::default();
                let write: fn(&mut Writer, &$t) = $write;
                write(&mut writer, msg);
                Ok(Bytes::from(writer.0))
            }
        }
    };
}

codec!(ProposalPart, write_part, read_part);
codec!(StreamMessage<ProposalPart>, write_stream, read_stream);
codec!(PolkaCertificate<WritContext>, write_polka, read_polka);

codec!(
    SignedConsensusMsg<WritContext>,
    |w, m| match m {
        SignedConsensusMsg::Vote(v) => {
            w.u8(0);
            write_vote(w, &v.message);
            w.raw(&v.signature.0);
        }
        SignedConsensusMsg::Proposal(p) => {
            w.u8(1);
            write_proposal(w, &p.message);
            w.raw(&p.signature.0);
        }
    },
    |r| match r.u8()? {
        0 => Ok(SignedConsensusMsg::Vote(SignedMessage::new(read_vote(r)?, signature(r)?))),
        1 => Ok(SignedConsensusMsg::Proposal(SignedMessage::new(read_proposal(r)?, signature(r)?))),
        _ => Err(bad("unknown consensus message")),
    }
);

codec!(
    LivenessMsg<WritContext>,
    |w, m| match m {
        LivenessMsg::Vote(v) => {
            w.u8(0);
            write_vote(w, &v.message);
            w.raw(&v.signature.0);
        }
        LivenessMsg::PolkaCertificate(c) => {
            w.u8(1);
            write_polka(w, c);
        }
        LivenessMsg::SkipRoundCertificate(c) => {
            w.u8(2);
            write_round_certificate(w, c);
        }
    },
    |r| match r.u8()? {
        0 => Ok(LivenessMsg::Vote(SignedMessage::new(read_vote(r)?, signature(r)?))),
        1 => Ok(LivenessMsg::PolkaCertificate(read_polka(r)?)),
        2 => Ok(LivenessMsg::SkipRoundCertificate(read_round_certificate(r)?)),
        _ => Err(bad("unknown liveness message")),
    }
);

codec!(
    ValidatorProof<WritContext>,
    |w, p| {
        w.bytes(&p.public_key).bytes(&p.peer_id).raw(&p.signature.0);
    },
    |r| {
        let public_key = r.bytes()?.to_vec();
        let peer_id = r.bytes()?.to_vec();
        Ok(ValidatorProof::new(public_key, peer_id, signature(r)?))
    }
);

codec!(
    ProposedValue<WritContext>,
    |w, v| {
        w.u64(v.height.0);
        write_round(w, v.round);
        write_round(w, v.valid_round);
        w.raw(&v.proposer.0).header(&v.value.0);
        write_validity(w, v.validity);
    },
    |r| {
        Ok(ProposedValue {
            height: Height(r.u64()?),
            round: round(r)?,
            valid_round: round(r)?,
            proposer: address(r)?,
            value: Value(r.header()?),
            validity: read_validity(r)?,
        })
    }
);

codec!(
    Status<WritContext>,
    |w, s| {
        w.bytes(&s.peer_id.to_bytes()).u64(s.tip_height.0).u64(s.history_min_height.0);
    },
    |r| {
        Ok(Status {
            peer_id: peer_id(r)?,
            tip_height: Height(r.u64()?),
            history_min_height: Height(r.u64()?),
        })
    }
);

codec!(
    Request<WritContext>,
    |w, m| match m {
        Request::ValueRequest(request) => {
            w.u8(0).u64(request.range.start().0).u64(request.range.end().0);
        }
    },
    |r| match r.u8()? {
        0 => {
            let start = Height(r.u64()?);
            let end = Height(r.u64()?);
            Ok(Request::ValueRequest(ValueRequest::new(start..=end)))
        }
        _ => Err(bad("unknown sync request")),
    }
);

fn write_response(w: &mut Writer, m: &Response<WritContext>) {
    match m {
        Response::ValueResponse(response) => {
            w.u8(0).u64(response.start_height.0).count(response.values.len());
            for value in &response.values {
                w.bytes(&value.value_bytes);
                write_extended_certificate(w, &value.certificate);
            }
        }
    }
}

codec!(Response<WritContext>, write_response, |r| match r.u8()? {
    0 => {
        let start_height = Height(r.u64()?);
        let n = r.count(4 + 8 + 8 + 32 + 4)?;
        let mut values = Vec::with_capacity(n);
        for _ in 0..n {
            let value_bytes = Bytes::copy_from_slice(r.bytes()?);
            let certificate = read_extended_certificate(r)?;
            values.push(RawDecidedValue::new(value_bytes, certificate));
        }
        Ok(Response::ValueResponse(ValueResponse::new(start_height, values)))
    }
    _ => Err(bad("unknown sync response")),
});

impl HasEncodedLen<Response<WritContext>> for WritCodec {
    fn encoded_len(&self, msg: &Response<WritContext>) -> Result<usize, DecodeError> {
        let mut writer = Writer::default();
        write_response(&mut writer, msg);
        Ok(writer.0.len())
    }
}
