//! The mempool: admitted transactions waiting for a block, in arrival
//! order, bounded by count and by bytes, with a per-sender share of both.
//!
//! Invariant: the pool's byte and count totals, and each sender's, are
//! exactly the sums over the transactions in the queue: every way in
//! (`push`, `put_back`) and out (`take_block`) updates them together, so a
//! drained or refilled pool never drifts from what it holds.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::crypto::{Address, Hash32, hex};
use crate::limits::{MEMPOOL_BYTES_MAX, MEMPOOL_SENDER_SHARE_DIVISOR, MEMPOOL_TXS_MAX};
use crate::params::block_prefix;
use crate::tx::SignedTransaction;

/// How much the pool may hold. The defaults are in `limits.rs`; a node may
/// set smaller ones (tests do, to reach them quickly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MempoolLimits {
    /// Most transactions waiting at once.
    pub txs_max: usize,
    /// Most bytes (canonical encodings) waiting at once.
    pub bytes_max: usize,
    /// One sender may hold at most 1/`sender_share_divisor` of each bound.
    pub sender_share_divisor: usize,
}

impl Default for MempoolLimits {
    fn default() -> MempoolLimits {
        MempoolLimits {
            txs_max: MEMPOOL_TXS_MAX,
            bytes_max: MEMPOOL_BYTES_MAX,
            sender_share_divisor: MEMPOOL_SENDER_SHARE_DIVISOR,
        }
    }
}

impl MempoolLimits {
    /// Most transactions one sender may have waiting (at least one).
    pub fn sender_txs_max(&self) -> usize {
        (self.txs_max / self.sender_share_divisor.max(1)).max(1)
    }

    /// Most bytes one sender may have waiting.
    pub fn sender_bytes_max(&self) -> usize {
        self.bytes_max / self.sender_share_divisor.max(1)
    }
}

/// Why the pool has no room for a transaction. Both are temporary: blocks
/// drain the pool, so the submission may be retried later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoRoom {
    #[error(
        "the mempool is full: {waiting} {unit} waiting and this transaction would pass the bound of {max} {unit}; retry after the next blocks"
    )]
    Full { unit: &'static str, waiting: usize, max: usize },
    #[error(
        "sender 0x{sender} has {waiting} {unit} waiting and this transaction would pass its share of the mempool ({max} {unit}); retry once its waiting transactions are in blocks"
    )]
    SenderQuota { sender: String, unit: &'static str, waiting: usize, max: usize },
}

/// A waiting transaction with what the pool needs to know about it.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub signed: SignedTransaction,
    pub id: Hash32,
    pub sender: Address,
    /// Its canonical encoding's length.
    pub bytes: usize,
}

impl Waiting {
    /// A transaction with its id, its sender and its size worked out.
    pub fn new(signed: SignedTransaction, id: Hash32) -> Waiting {
        let bytes = signed.encoded_len();
        Waiting { sender: signed.tx.sender(), signed, id, bytes }
    }
}

/// What one sender has waiting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Share {
    txs: usize,
    bytes: usize,
}

#[derive(Debug, Default)]
pub struct Mempool {
    limits: MempoolLimits,
    queue: VecDeque<Waiting>,
    /// Ids waiting or in the block being made (so that a transaction in
    /// flight is neither accepted twice nor reported as dropped).
    ids: HashSet<Hash32>,
    /// Each sender's next nonce counting the queue.
    next: HashMap<Address, u64>,
    bytes: usize,
    shares: HashMap<Address, Share>,
}

impl Mempool {
    pub fn new(limits: MempoolLimits) -> Mempool {
        Mempool { limits, ..Mempool::default() }
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Bytes of the transactions waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Transactions taken into the block being made and not yet durable.
    pub fn executing(&self) -> usize {
        self.ids.len().saturating_sub(self.queue.len())
    }

    pub fn contains(&self, id: &Hash32) -> bool {
        self.ids.contains(id)
    }

    /// The sender's next nonce counting its waiting transactions, if it
    /// has any (otherwise the chain's count applies).
    pub fn next_nonce(&self, sender: &Address) -> Option<u64> {
        self.next.get(sender).copied()
    }

    /// Whether a transaction of `bytes` from `sender` fits: the node's
    /// bounds first (a full pool is nobody's fault), then the sender's.
    pub fn check_room(&self, sender: &Address, bytes: usize) -> Result<(), NoRoom> {
        let limits = &self.limits;
        if self.queue.len() >= limits.txs_max {
            return Err(NoRoom::Full {
                unit: "transactions",
                waiting: self.queue.len(),
                max: limits.txs_max,
            });
        }
        if self.bytes.saturating_add(bytes) > limits.bytes_max {
            return Err(NoRoom::Full { unit: "bytes", waiting: self.bytes, max: limits.bytes_max });
        }
        let share = self.shares.get(sender).copied().unwrap_or_default();
        let quota = |unit, waiting, max| NoRoom::SenderQuota { sender: hex(sender), unit, waiting, max };
        if share.txs >= limits.sender_txs_max() {
            return Err(quota("transactions", share.txs, limits.sender_txs_max()));
        }
        if share.bytes.saturating_add(bytes) > limits.sender_bytes_max() {
            return Err(quota("bytes", share.bytes, limits.sender_bytes_max()));
        }
        Ok(())
    }

    /// Queues an admitted transaction (its room checked by `check_room`).
    pub fn push(&mut self, waiting: Waiting) {
        self.next.insert(waiting.sender, waiting.signed.tx.nonce.saturating_add(1));
        self.ids.insert(waiting.id);
        self.count_in(&waiting);
        self.queue.push_back(waiting);
    }

    /// Takes the transactions of the next block off the queue: the longest
    /// prefix within the block's gas limit and `count_max`. Their ids stay
    /// known until [`Mempool::finish`] or [`Mempool::put_back`].
    pub fn take_block(&mut self, block_gas_limit: u64, count_max: usize) -> Vec<Waiting> {
        let gas = self.queue.iter().map(|w| w.signed.tx.gas_limit);
        let n = block_prefix(gas, block_gas_limit, count_max);
        let batch: Vec<Waiting> = self.queue.drain(..n).collect();
        for waiting in &batch {
            self.count_out(waiting);
        }
        batch
    }

    /// The block holding `batch` is durable: forget their ids, and let
    /// senders with nothing left waiting go back to the chain's nonce.
    pub fn finish(&mut self, ids: &[Hash32]) {
        for id in ids {
            self.ids.remove(id);
        }
        let shares = &self.shares;
        self.next.retain(|sender, _| shares.contains_key(sender));
    }

    /// The block holding `batch` was not kept: queue its transactions
    /// again, in front and in their order.
    pub fn put_back(&mut self, batch: Vec<Waiting>) {
        for waiting in batch.into_iter().rev() {
            self.ids.insert(waiting.id);
            self.count_in(&waiting);
            self.queue.push_front(waiting);
        }
    }

    /// The transactions a proposer would put in the next block, left in
    /// the queue (in a network a round may fail and another proposer's
    /// block be decided): the longest prefix within the gas limit,
    /// `count_max` and `bytes_max`.
    pub fn peek_block(
        &self,
        block_gas_limit: u64,
        count_max: usize,
        bytes_max: usize,
    ) -> Vec<SignedTransaction> {
        let mut bytes = 0usize;
        let within_bytes = self
            .queue
            .iter()
            .take_while(|w| {
                bytes = bytes.saturating_add(w.bytes);
                bytes <= bytes_max
            })
            .count();
        let gas = self.queue.iter().map(|w| w.signed.tx.gas_limit);
        let n = block_prefix(gas, block_gas_limit, count_max.min(within_bytes));
        self.queue.iter().take(n).map(|w| w.signed.clone()).collect()
    }

    /// A block was decided (whoever proposed it): its transactions leave
    /// the queue, and so does every waiting transaction of its senders
    /// whose nonce the chain has now used (`chain_next` gives a sender's
    /// next nonce after the block), since no block can include it.
    pub fn remove_decided(&mut self, ids: &[Hash32], mut chain_next: impl FnMut(&Address) -> u64) {
        let decided: HashSet<&Hash32> = ids.iter().collect();
        let senders: HashSet<Address> =
            self.queue.iter().filter(|w| decided.contains(&w.id)).map(|w| w.sender).collect();
        let next: HashMap<Address, u64> = senders.iter().map(|s| (*s, chain_next(s))).collect();
        let mut removed = Vec::new();
        let mut kept = VecDeque::with_capacity(self.queue.len());
        for waiting in self.queue.drain(..) {
            let used = next.get(&waiting.sender).is_some_and(|n| waiting.signed.tx.nonce < *n);
            if decided.contains(&waiting.id) || used {
                removed.push(waiting);
            } else {
                kept.push_back(waiting);
            }
        }
        self.queue = kept;
        for waiting in &removed {
            self.count_out(waiting);
            self.ids.remove(&waiting.id);
        }
        for id in ids {
            self.ids.remove(id);
        }
        // Each affected sender's next nonce counts what it still has waiting.
        for sender in senders {
            match self.queue.iter().filter(|w| w.sender == sender).map(|w| w.signed.tx.nonce).max() {
                Some(last) => self.next.insert(sender, last.saturating_add(1)),
                None => self.next.remove(&sender),
            };
        }
    }

    fn count_in(&mut self, waiting: &Waiting) {
        self.bytes = self.bytes.saturating_add(waiting.bytes);
        let share = self.shares.entry(waiting.sender).or_default();
        share.txs = share.txs.saturating_add(1);
        share.bytes = share.bytes.saturating_add(waiting.bytes);
    }

    fn count_out(&mut self, waiting: &Waiting) {
        self.bytes = self.bytes.saturating_sub(waiting.bytes);
        if let Some(share) = self.shares.get_mut(&waiting.sender) {
            share.txs = share.txs.saturating_sub(1);
            share.bytes = share.bytes.saturating_sub(waiting.bytes);
            if share.txs == 0 {
                self.shares.remove(&waiting.sender);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::tx::{Payload, Transaction};

    fn waiting(signer: u8, nonce: u64, gas: u64, args: usize) -> Waiting {
        let key = SigningKey::from_bytes(&[signer; 32]);
        let tx = Transaction {
            chain_id: "test".into(),
            signer: key.verifying_key().to_bytes(),
            nonce,
            gas_limit: gas,
            cosigners: Vec::new(),
            payload: Payload::Call { contract: [1; 20], method: "m".into(), args: vec![0; args] },
        };
        let signed = tx.sign(&key, &[]);
        let waiting = Waiting::new(signed.clone(), signed.tx.id());
        assert_eq!(waiting.bytes, signed.encode().len());
        waiting
    }

    fn ids(batch: &[Waiting]) -> Vec<Hash32> {
        batch.iter().map(|w| w.id).collect()
    }

    /// Recomputes every total from the queue and compares.
    fn assert_exact(pool: &Mempool) {
        assert_eq!(pool.bytes, pool.queue.iter().map(|w| w.bytes).sum::<usize>());
        let mut shares: HashMap<Address, Share> = HashMap::new();
        for w in &pool.queue {
            let share = shares.entry(w.sender).or_default();
            share.txs += 1;
            share.bytes += w.bytes;
        }
        assert_eq!(pool.shares, shares);
    }

    // Totals stay exact through pushes, a block taken, a failed block put
    // back and a block finished; a drained pool holds nothing.
    #[test]
    fn accounting_is_exact_through_blocks_and_failures() {
        let mut pool = Mempool::new(MempoolLimits::default());
        for (signer, nonce, args) in [(1, 0, 10), (2, 0, 500), (1, 1, 30), (3, 0, 7), (2, 1, 1000)] {
            let w = waiting(signer, nonce, 100, args);
            pool.check_room(&w.sender, w.bytes).unwrap();
            pool.push(w);
            assert_exact(&pool);
        }
        let before = pool.bytes();
        let batch = pool.take_block(300, 100);
        assert_eq!(batch.len(), 3);
        assert_exact(&pool);
        assert_eq!(pool.bytes() + batch.iter().map(|w| w.bytes).sum::<usize>(), before);
        // In flight: still known, still counted for nonces.
        assert!(batch.iter().all(|w| pool.contains(&w.id)));
        pool.put_back(batch);
        assert_exact(&pool);
        assert_eq!(pool.bytes(), before);
        assert_eq!(pool.queue.iter().map(|w| w.signed.tx.nonce).collect::<Vec<_>>(), [0, 0, 1, 0, 1]);
        let batch = pool.take_block(u64::MAX, 100);
        assert_eq!(batch.len(), 5);
        pool.finish(&ids(&batch));
        assert_exact(&pool);
        assert_eq!((pool.len(), pool.bytes()), (0, 0));
        assert!(pool.shares.is_empty() && pool.next.is_empty() && pool.ids.is_empty());
    }

    // A sender who still has transactions waiting keeps its pool nonce
    // after a block; one with none goes back to the chain's count.
    #[test]
    fn nonces_follow_what_still_waits() {
        let mut pool = Mempool::new(MempoolLimits::default());
        let first = waiting(1, 0, 10, 0);
        let sender = first.sender;
        pool.push(first);
        pool.push(waiting(1, 1, 10, 0));
        let batch = pool.take_block(10, 100);
        pool.finish(&ids(&batch));
        assert_eq!(pool.next_nonce(&sender), Some(2));
        let batch = pool.take_block(10, 100);
        pool.finish(&ids(&batch));
        assert_eq!(pool.next_nonce(&sender), None);
    }

    // Each bound refuses with its own reason: the pool's count and bytes,
    // then a sender's share of each.
    #[test]
    fn each_bound_refuses_with_its_reason() {
        let size = waiting(1, 0, 1, 0).bytes;
        let limits = MempoolLimits { txs_max: 4, bytes_max: 100 * size, sender_share_divisor: 2 };
        let mut pool = Mempool::new(limits);
        for nonce in 0..2 {
            let w = waiting(1, nonce, 1, 0);
            pool.check_room(&w.sender, w.bytes).unwrap();
            pool.push(w);
        }
        let third = waiting(1, 2, 1, 0);
        let refused = pool.check_room(&third.sender, third.bytes).unwrap_err();
        assert!(matches!(refused, NoRoom::SenderQuota { unit: "transactions", waiting: 2, max: 2, .. }));
        for nonce in 0..2 {
            pool.push(waiting(2, nonce, 1, 0));
        }
        let other = waiting(3, 0, 1, 0);
        let refused = pool.check_room(&other.sender, other.bytes).unwrap_err();
        assert!(matches!(refused, NoRoom::Full { unit: "transactions", waiting: 4, max: 4 }));

        let limits = MempoolLimits { txs_max: 100, bytes_max: 4 * size + 3, sender_share_divisor: 2 };
        let mut pool = Mempool::new(limits);
        pool.push(waiting(1, 0, 1, 0));
        pool.push(waiting(1, 1, 1, 0));
        let third = waiting(1, 2, 1, 0);
        let refused = pool.check_room(&third.sender, third.bytes).unwrap_err();
        assert!(matches!(refused, NoRoom::SenderQuota { unit: "bytes", .. }), "{refused}");
        pool.push(waiting(2, 0, 1, 0));
        pool.push(waiting(2, 1, 1, 0));
        let other = waiting(3, 0, 1, 0);
        let refused = pool.check_room(&other.sender, other.bytes).unwrap_err();
        assert!(matches!(refused, NoRoom::Full { unit: "bytes", .. }), "{refused}");
        // A block drains room again.
        let batch = pool.take_block(1, 100);
        pool.finish(&ids(&batch));
        pool.check_room(&other.sender, other.bytes).unwrap();
    }

    #[test]
    fn a_decided_block_removes_its_transactions_and_used_nonces_only() {
        let mut pool = Mempool::new(MempoolLimits::default());
        let a0 = waiting(1, 0, 10, 4);
        let a1 = waiting(1, 1, 10, 4);
        let b0 = waiting(2, 0, 10, 4);
        let b0_twin = waiting(2, 0, 11, 4);
        let c0 = waiting(3, 0, 10, 4);
        for w in [a0.clone(), a1.clone(), b0.clone(), b0_twin.clone(), c0.clone()] {
            pool.push(w);
        }
        assert_eq!(pool.peek_block(1_000, 100, usize::MAX).len(), 5);
        assert_eq!(pool.peek_block(25, 100, usize::MAX).len(), 2);
        assert_eq!(pool.peek_block(1_000, 3, usize::MAX).len(), 3);
        assert_eq!(pool.peek_block(1_000, 100, a0.bytes * 2).len(), 2);
        assert_eq!(pool.len(), 5, "peeking takes nothing");
        // Another node's block held a0 and b0: b0's twin (same nonce) can
        // never be included now; a1 and c0 still can.
        pool.remove_decided(&[a0.id, b0.id], |_| 1);
        assert_eq!(ids(&pool.queue.iter().cloned().collect::<Vec<_>>()), vec![a1.id, c0.id]);
        assert!(!pool.contains(&b0_twin.id) && !pool.contains(&a0.id) && pool.contains(&a1.id));
        assert_eq!(pool.next_nonce(&a0.sender), Some(2));
        assert_eq!(pool.next_nonce(&b0.sender), None);
        assert_exact(&pool);
    }
}
