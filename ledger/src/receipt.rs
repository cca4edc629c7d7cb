//! Receipts as consensus data: what executing one transaction did, in
//! canonical bytes (docs/ledger.md, "Receipts"). The receipts root hashes
//! these bytes and the store keeps them.
//!
//! Invariant: a receipt holds no words. Error and event names, sentences
//! and decoded values come from the contract's ABI and are rendered at the
//! edges (`receipt_json.rs`, the CLI), so rewording a message or building
//! with another Rust cannot change a root. Everything encoded is a
//! fixed-width big-endian integer or length-prefixed bytes, in one order.
//!
//! Invariant: [`Receipt::decode`] accepts exactly the bytes
//! [`Receipt::encode`] makes (no trailing bytes, no second form of a
//! value) and never panics, whatever it is given.

use writ_abi::reader::ByteReader;
use writ_vm::{Abort, AbortNumbers, CallReport};

use crate::crypto::{Address, Hash32, sha256};
use crate::limits::METHOD_BYTES_MAX;
use crate::tx::SignedTransaction;

/// The first bytes of every receipt: the format and its version.
pub const RECEIPT_MAGIC: &[u8; 14] = b"writ-receipt/1";

/// The status byte of a successful call.
const SUCCESS: u8 = 0;
/// The status byte of an aborted one.
const ABORTED: u8 = 1;

/// What one transaction did, as every node must record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The transaction's id (SHA-256 of its body).
    pub transaction: Hash32,
    pub height: u64,
    /// Its position among the block's included transactions.
    pub index: u32,
    pub sender: Address,
    /// The called contract, or the deployed one.
    pub contract: Address,
    /// The entry point that ran (`init` for a deployment).
    pub method: String,
    pub gas_used: u64,
    pub outcome: Outcome,
}

/// How the call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Success {
        /// The canonical encoding of the returned value (empty for `()`).
        result: Vec<u8>,
        /// Events in the order they were emitted.
        events: Vec<Event>,
    },
    /// Nothing the call did was kept; the abort is recorded by its stable
    /// numbers and data (`writ_vm::AbortNumbers`).
    Aborted(Abort),
}

/// One event a successful call emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The contract that emitted it.
    pub contract: Address,
    /// The event's index in the contract's declaration order.
    pub index: u32,
    /// The canonical encoding of its fields as a tuple.
    pub data: Vec<u8>,
}

/// The two outcomes, for filtering and for the API's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success,
    Aborted,
}

/// Why bytes are not a receipt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed receipt: {what}")]
pub struct ReceiptError {
    what: &'static str,
}

fn malformed(what: &'static str) -> ReceiptError {
    ReceiptError { what }
}

impl Receipt {
    /// The receipt of `signed`, executed as transaction `index` of block
    /// `height` against `contract`'s `method`. It takes no ABI: nothing a
    /// contract's ABI names can reach the bytes.
    pub fn from_report(
        signed: &SignedTransaction,
        height: u64,
        index: u32,
        contract: &Address,
        method: &str,
        report: &CallReport,
    ) -> Receipt {
        let outcome = match &report.outcome {
            writ_vm::Outcome::Success(success) => Outcome::Success {
                result: success.result.clone(),
                events: success
                    .events
                    .iter()
                    .map(|e| Event { contract: e.contract, index: e.index, data: e.data.clone() })
                    .collect(),
            },
            writ_vm::Outcome::Aborted(abort) => Outcome::Aborted(abort.clone()),
        };
        Receipt {
            transaction: signed.tx.id(),
            height,
            index,
            sender: signed.tx.sender(),
            contract: *contract,
            method: method.to_string(),
            gas_used: report.gas_used,
            outcome,
        }
    }

    pub fn status(&self) -> Status {
        match self.outcome {
            Outcome::Success { .. } => Status::Success,
            Outcome::Aborted(_) => Status::Aborted,
        }
    }

    /// The events, none for an aborted call.
    pub fn events(&self) -> &[Event] {
        match &self.outcome {
            Outcome::Success { events, .. } => events,
            Outcome::Aborted(_) => &[],
        }
    }

    /// SHA-256 of the canonical bytes: what the receipts root covers.
    pub fn hash(&self) -> Hash32 {
        sha256(&self.encode())
    }

    /// The canonical bytes (layout in docs/ledger.md).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = RECEIPT_MAGIC.to_vec();
        out.extend_from_slice(&self.transaction);
        out.extend_from_slice(&self.height.to_be_bytes());
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(&self.sender);
        out.extend_from_slice(&self.contract);
        put_bytes(&mut out, self.method.as_bytes());
        out.extend_from_slice(&self.gas_used.to_be_bytes());
        match &self.outcome {
            Outcome::Success { result, events } => {
                out.push(SUCCESS);
                put_bytes(&mut out, result);
                put_len(&mut out, events.len());
                for event in events {
                    event.encode_into(&mut out);
                }
            }
            Outcome::Aborted(abort) => {
                let AbortNumbers { kind, detail } = abort.numbers();
                out.push(ABORTED);
                out.push(kind);
                out.extend_from_slice(&detail.to_be_bytes());
                put_bytes(&mut out, &abort.data());
            }
        }
        out
    }

    /// Exactly the bytes [`Receipt::encode`] makes, nothing before or after.
    pub fn decode(bytes: &[u8]) -> Result<Receipt, ReceiptError> {
        let mut r = ByteReader::new(bytes);
        if r.take(RECEIPT_MAGIC.len()) != Some(&RECEIPT_MAGIC[..]) {
            return Err(malformed("it does not start with `writ-receipt/1`"));
        }
        let transaction = r.array::<32>().ok_or_else(|| malformed("truncated transaction id"))?;
        let height = r.u64().ok_or_else(|| malformed("truncated height"))?;
        let index = r.u32().ok_or_else(|| malformed("truncated index"))?;
        let sender = r.array::<20>().ok_or_else(|| malformed("truncated sender"))?;
        let contract = r.array::<20>().ok_or_else(|| malformed("truncated contract"))?;
        let method = r.text(METHOD_BYTES_MAX).ok_or_else(|| malformed("bad method name"))?;
        let gas_used = r.u64().ok_or_else(|| malformed("truncated gas used"))?;
        let outcome = match r.take(1) {
            Some([SUCCESS]) => {
                let result = r.bytes().ok_or_else(|| malformed("truncated result"))?.to_vec();
                let count = r.u32().ok_or_else(|| malformed("truncated event count"))?;
                // No capacity from the count: it is untrusted, and each
                // event must still find its bytes below.
                let mut events = Vec::new();
                for _ in 0..count {
                    events.push(Event::read(&mut r)?);
                }
                Outcome::Success { result, events }
            }
            Some([ABORTED]) => {
                let kind = r
                    .take(1)
                    .and_then(|b| b.first().copied())
                    .ok_or_else(|| malformed("truncated abort kind"))?;
                let detail = r.u32().ok_or_else(|| malformed("truncated abort detail"))?;
                let data = r.bytes().ok_or_else(|| malformed("truncated abort data"))?;
                let abort = Abort::from_numbers(AbortNumbers { kind, detail }, data).ok_or_else(|| {
                    malformed("unknown abort kind or detail, or data on an abort without any")
                })?;
                Outcome::Aborted(abort)
            }
            Some(_) => return Err(malformed("unknown status")),
            None => return Err(malformed("truncated status")),
        };
        if !r.rest().is_empty() {
            return Err(malformed("bytes after the end"));
        }
        Ok(Receipt { transaction, height, index, sender, contract, method, gas_used, outcome })
    }
}

impl Event {
    /// The event's canonical bytes: contract, index, data. The same bytes
    /// appear inside a receipt and, alone, in the store's event index.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(28 + self.data.len());
        self.encode_into(&mut out);
        out
    }

    /// Exactly the bytes [`Event::encode`] makes.
    pub fn decode(bytes: &[u8]) -> Result<Event, ReceiptError> {
        let mut r = ByteReader::new(bytes);
        let event = Event::read(&mut r)?;
        if !r.rest().is_empty() {
            return Err(malformed("bytes after the event"));
        }
        Ok(event)
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.contract);
        out.extend_from_slice(&self.index.to_be_bytes());
        put_bytes(out, &self.data);
    }

    fn read(r: &mut ByteReader<'_>) -> Result<Event, ReceiptError> {
        let contract = r.array::<20>().ok_or_else(|| malformed("truncated event contract"))?;
        let index = r.u32().ok_or_else(|| malformed("truncated event index"))?;
        let data = r.bytes().ok_or_else(|| malformed("truncated event data"))?.to_vec();
        Ok(Event { contract, index, data })
    }
}

/// A length as 4 bytes big-endian. Every length here is bounded far below
/// 4 GiB (a transaction is at most `TX_BYTES_MAX`, a call's result, events
/// and abort data by the VM's limits), so saturating never happens; it
/// only keeps the conversion total.
fn put_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;
    use writ_abi::host::AbortCode;
    use writ_vm::{ArgumentsProblem, GuestTrap, Resource};

    use super::*;

    fn sample_success() -> Receipt {
        Receipt {
            transaction: [7; 32],
            height: 3,
            index: 1,
            sender: [1; 20],
            contract: [2; 20],
            method: "send".into(),
            gas_used: 12_345,
            outcome: Outcome::Success {
                result: vec![0, 0, 0, 5],
                events: vec![Event { contract: [2; 20], index: 0, data: vec![9; 48] }],
            },
        }
    }

    fn sample_abort() -> Receipt {
        let data = vec![0, 0, 0, 0, 1, 2];
        Receipt {
            outcome: Outcome::Aborted(Abort::ContractAbort { code: AbortCode::ContractError, data }),
            ..sample_success()
        }
    }

    // The layout is the documented one, byte for byte.
    #[test]
    fn bytes_follow_the_documented_layout() {
        let bytes = sample_abort().encode();
        let mut expected = b"writ-receipt/1".to_vec();
        expected.extend([7; 32]);
        expected.extend(3u64.to_be_bytes());
        expected.extend(1u32.to_be_bytes());
        expected.extend([1; 20]);
        expected.extend([2; 20]);
        expected.extend([0, 0, 0, 4]);
        expected.extend(b"send");
        expected.extend(12_345u64.to_be_bytes());
        expected.extend([1, 4, 0, 0, 0, 8, 0, 0, 0, 6, 0, 0, 0, 0, 1, 2]);
        assert_eq!(bytes, expected);
    }

    // Every prefix of a receipt, the receipt with anything after it, and
    // the receipt under another version tag are all refused.
    #[test]
    fn decode_refuses_truncated_trailing_and_unknown_versions() {
        for receipt in [sample_success(), sample_abort()] {
            let bytes = receipt.encode();
            assert_eq!(Receipt::decode(&bytes).unwrap(), receipt);
            for end in 0..bytes.len() {
                assert!(Receipt::decode(&bytes[..end]).is_err(), "a prefix of {end} bytes decoded");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(Receipt::decode(&longer).is_err(), "a trailing byte was accepted");
            let mut other = bytes.clone();
            other[13] = b'2';
            assert!(Receipt::decode(&other).is_err(), "writ-receipt/2 was accepted");
        }
        // An unknown status, and data on an abort that has none.
        let mut status = sample_success().encode();
        // Tag, id, height, index, sender, contract, method "send", gas.
        let at = 14 + 32 + 8 + 4 + 20 + 20 + (4 + 4) + 8;
        assert_eq!(status[at], 0);
        status[at] = 2;
        assert!(Receipt::decode(&status).is_err());
        let out_of_gas = Receipt { outcome: Outcome::Aborted(Abort::OutOfGas), ..sample_success() };
        let mut bytes = out_of_gas.encode();
        assert_eq!(Receipt::decode(&bytes).unwrap(), out_of_gas);
        let len = bytes.len();
        bytes[len - 1] = 1;
        bytes.push(0xff);
        assert!(Receipt::decode(&bytes).is_err());
    }

    fn address() -> impl Strategy<Value = Address> {
        any::<[u8; 20]>()
    }

    fn abort() -> impl Strategy<Value = Abort> {
        let code = (0..=10i32).prop_map(|c| AbortCode::from_i32(c).unwrap());
        prop_oneof![
            Just(Abort::OutOfGas),
            Just(Abort::MemoryLimit),
            Just(Abort::StackLimit),
            (0..8u32).prop_map(|n| Abort::ResourceLimit { what: Resource::from_number(n).unwrap() }),
            (code, proptest::collection::vec(any::<u8>(), 0..40))
                .prop_map(|(code, data)| Abort::ContractAbort { code, data }),
            (0..2u32)
                .prop_map(|n| Abort::InvalidArguments { why: ArgumentsProblem::from_number(n).unwrap() }),
            Just(Abort::UnknownEntryPoint),
            (0..15u32).prop_map(|n| Abort::GuestTrap { what: GuestTrap::from_number(n).unwrap() }),
            Just(Abort::TestStopped),
        ]
    }

    fn outcome() -> impl Strategy<Value = Outcome> {
        let event = (address(), any::<u32>(), proptest::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(contract, index, data)| Event { contract, index, data });
        prop_oneof![
            (proptest::collection::vec(any::<u8>(), 0..40), proptest::collection::vec(event, 0..4))
                .prop_map(|(result, events)| Outcome::Success { result, events }),
            abort().prop_map(Outcome::Aborted),
        ]
    }

    fn receipt() -> impl Strategy<Value = Receipt> {
        (
            any::<[u8; 32]>(),
            any::<u64>(),
            any::<u32>(),
            address(),
            address(),
            "[a-z_]{0,20}|[^\\x00]{0,10}",
            any::<u64>(),
            outcome(),
        )
            .prop_map(|(transaction, height, index, sender, contract, method, gas_used, outcome)| {
                Receipt { transaction, height, index, sender, contract, method, gas_used, outcome }
            })
    }

    proptest! {
        // Decoding gives back exactly the receipt that was encoded, and
        // re-encoding gives exactly the same bytes.
        #[test]
        fn round_trip(receipt in receipt()) {
            let bytes = receipt.encode();
            let back = Receipt::decode(&bytes).unwrap();
            prop_assert_eq!(&back, &receipt);
            prop_assert_eq!(back.encode(), bytes);
            for event in receipt.events() {
                prop_assert_eq!(&Event::decode(&event.encode()).unwrap(), event);
            }
        }

        // Any bytes at all, with or without the version tag in front: an
        // error or a receipt, never a panic; and whatever decodes
        // re-encodes to the very same bytes (one form per receipt).
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut prefixed = RECEIPT_MAGIC.to_vec();
            prefixed.extend_from_slice(&bytes);
            for input in [&bytes, &prefixed] {
                if let Ok(receipt) = Receipt::decode(input) {
                    prop_assert_eq!(&receipt.encode(), input);
                }
                if let Ok(event) = Event::decode(input) {
                    prop_assert_eq!(&event.encode(), input);
                }
            }
        }

        // Flipping any byte of a valid receipt gives an error or another
        // receipt, never a panic.
        #[test]
        fn decoding_mutated_receipts_never_panics(receipt in receipt(), at in any::<prop::sample::Index>(), bit in 0..8u8) {
            let mut bytes = receipt.encode();
            let i = at.index(bytes.len());
            bytes[i] ^= 1 << bit;
            if let Ok(other) = Receipt::decode(&bytes) {
                prop_assert_eq!(other.encode(), bytes);
            }
        }
    }
}
