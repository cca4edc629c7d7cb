//! The node: a mempool in front of the chain, and a block producer that
//! batches waiting transactions into blocks.
//!
//! Invariant: a transaction enters the mempool only after passing every
//! admission check against the chain plus the transactions already
//! waiting; a receipt exists only for a block that is durable, so a
//! receipt handed to a client survives a crash.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::block::Block;
use crate::chain::{Chain, LedgerError, Reader, Rejection, check_nonce};
use crate::crypto::{Address, Hash32};
use crate::receipt::Receipt;
use crate::tx::SignedTransaction;

/// Most transactions waiting at once; more are refused until blocks drain them.
pub const MEMPOOL_MAX: usize = 50_000;

#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub data: PathBuf,
    pub chain_id: String,
    /// How often the producer looks for waiting transactions.
    pub block_interval: Duration,
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// Block times: the wall clock, or (for reproducible runs) a logical
    /// clock starting at this time and advancing one second per block.
    pub logical_clock_start: Option<i64>,
    /// The store's page cache, in bytes.
    pub store_cache_bytes: usize,
}

impl NodeConfig {
    pub fn new(data: PathBuf, chain_id: &str) -> NodeConfig {
        NodeConfig {
            data,
            chain_id: chain_id.to_string(),
            block_interval: Duration::from_millis(200),
            max_block_txs: 10_000,
            logical_clock_start: None,
            store_cache_bytes: crate::chain::STORE_CACHE_BYTES,
        }
    }
}

/// Why a submission was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error("transaction {0} is already waiting")]
    Duplicate(String),
    #[error("the mempool is full ({MEMPOOL_MAX} transactions); try again shortly")]
    Full,
}

#[derive(Default)]
struct Mempool {
    queue: VecDeque<SignedTransaction>,
    ids: HashSet<Hash32>,
    /// Each sender's next nonce counting the queue.
    next: HashMap<Address, u64>,
}

pub struct Node {
    /// The writer, held only by the block producer.
    chain: Mutex<Chain>,
    /// Reads and admission, from committed snapshots: never blocked by a
    /// block that is executing.
    reader: Reader,
    mempool: Mutex<Mempool>,
    config: NodeConfig,
    /// The latest durable height, for waiters.
    height: tokio::sync::watch::Sender<u64>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Node {
    pub fn open(config: NodeConfig, vm: Arc<writ_vm::Vm>) -> Result<Node, LedgerError> {
        let chain = Chain::open_with_cache(&config.data, &config.chain_id, vm, config.store_cache_bytes)?;
        let (height, _) = tokio::sync::watch::channel(chain.head().height);
        let reader = chain.reader().clone();
        Ok(Node { chain: Mutex::new(chain), reader, mempool: Mutex::new(Mempool::default()), config, height })
    }

    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// Reads of the chain (blocks are made by `produce`).
    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    /// Checks and queues a signed transaction; returns its id.
    pub fn submit(&self, bytes: &[u8]) -> Result<Hash32, SubmitError> {
        // `submit_many` gives exactly one result per transaction.
        self.submit_many(&[bytes]).pop().unwrap_or(Err(SubmitError::Full))
    }

    /// Checks and queues signed transactions in order, as if submitted one
    /// by one; one result per transaction. Their signatures are verified
    /// as one batch (the rule makes a batch's verdict each signature's
    /// own), before and outside the locks, so that submissions verify in
    /// parallel.
    pub fn submit_many(&self, txs: &[&[u8]]) -> Vec<Result<Hash32, SubmitError>> {
        let decoded: Vec<Result<(SignedTransaction, Hash32), SubmitError>> = txs
            .iter()
            .map(|bytes| {
                let signed = SignedTransaction::decode(bytes).map_err(Rejection::from)?;
                let id = signed.tx.id();
                Ok((signed, id))
            })
            .collect();
        let mut checks = Vec::new();
        let mut counts = Vec::with_capacity(decoded.len());
        for entry in &decoded {
            let found = match entry {
                Ok((signed, id)) => match signed.signature_checks(id) {
                    Ok(list) => {
                        let n = list.len();
                        checks.extend(list);
                        Ok(n)
                    }
                    Err(e) => Err(e),
                },
                Err(_) => Ok(0),
            };
            counts.push(found);
        }
        let valid = writ_vm::signature::verify_ed25519_batch(&checks);
        let mut verdicts = Vec::with_capacity(decoded.len());
        let mut at = 0;
        for count in counts {
            verdicts.push(count.and_then(|n| {
                let mine = valid.get(at..at + n);
                at += n;
                // `valid` has one verdict per check, so `mine` is always
                // there; a missing one would be a refusal, never a pass.
                match mine {
                    Some(mine) => SignedTransaction::signature_verdict(mine),
                    None => SignedTransaction::signature_verdict(&[false]),
                }
            }));
        }
        drop(checks);

        // Everything but the nonce is checked before the mempool's lock, so
        // that compiling a deployed module never holds up other senders.
        let checked: Vec<Result<(SignedTransaction, Hash32), SubmitError>> = decoded
            .into_iter()
            .zip(verdicts)
            .map(|(entry, verdict)| {
                let (signed, id) = entry?;
                verdict.map_err(Rejection::from)?;
                self.reader.admit_unordered(&signed)?;
                Ok((signed, id))
            })
            .collect();
        let mut pool = lock(&self.mempool);
        checked
            .into_iter()
            .map(|entry| {
                let (signed, id) = entry?;
                if pool.ids.contains(&id) {
                    return Err(SubmitError::Duplicate(crate::crypto::hex(&id)));
                }
                if pool.queue.len() >= MEMPOOL_MAX {
                    return Err(SubmitError::Full);
                }
                let sender = signed.tx.sender();
                let expected = match pool.next.get(&sender) {
                    Some(next) => *next,
                    None => {
                        self.reader.next_nonce(&sender).map_err(|e| Rejection::Unavailable(e.to_string()))?
                    }
                };
                check_nonce(&signed, expected)?;
                pool.next.insert(sender, expected + 1);
                pool.ids.insert(id);
                pool.queue.push_back(signed);
                Ok(id)
            })
            .collect()
    }

    pub fn pending(&self) -> usize {
        lock(&self.mempool).queue.len()
    }

    pub fn is_pending(&self, id: &Hash32) -> bool {
        lock(&self.mempool).ids.contains(id)
    }

    /// The next nonce `sender` should use, counting waiting transactions.
    pub fn next_nonce(&self, sender: &Address) -> Result<u64, LedgerError> {
        let pool = lock(&self.mempool);
        match pool.next.get(sender) {
            Some(next) => Ok(*next),
            None => self.reader.next_nonce(sender),
        }
    }

    /// Makes one block of waiting transactions, if any wait.
    pub fn produce(&self) -> Result<Option<(Block, Vec<Receipt>)>, LedgerError> {
        let mut chain = lock(&self.chain);
        let batch: Vec<SignedTransaction> = {
            let mut pool = lock(&self.mempool);
            let n = pool.queue.len().min(self.config.max_block_txs);
            pool.queue.drain(..n).collect()
        };
        if batch.is_empty() {
            return Ok(None);
        }
        let time = match self.config.logical_clock_start {
            Some(start) => start.saturating_add(chain.head().height as i64),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        };
        let result = chain.apply_block(&batch, time);
        let mut pool = lock(&self.mempool);
        for signed in &batch {
            pool.ids.remove(&signed.tx.id());
        }
        match result {
            Ok((block, receipts)) => {
                // Senders with nothing left waiting go back to the chain's count.
                let waiting: HashSet<Address> = pool.queue.iter().map(|s| s.tx.sender()).collect();
                pool.next.retain(|sender, _| waiting.contains(sender));
                drop(pool);
                self.height.send_replace(block.height);
                Ok(Some((block, receipts)))
            }
            Err(error) => {
                // Nothing of the block was kept: put its transactions back.
                for signed in batch.into_iter().rev() {
                    pool.ids.insert(signed.tx.id());
                    pool.queue.push_front(signed);
                }
                Err(error)
            }
        }
    }

    /// Waits until the transaction has a receipt (or `timeout` passes).
    pub async fn wait_for_receipt(
        &self,
        id: &Hash32,
        timeout: Duration,
    ) -> Result<Option<Receipt>, LedgerError> {
        let mut heights = self.height.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(receipt) = self.reader.receipt(id)? {
                return Ok(Some(receipt));
            }
            if !self.is_pending(id) && self.reader.receipt(id)?.is_none() {
                // Dropped from a block (its nonce no longer fitted).
                return Ok(None);
            }
            match tokio::time::timeout_at(deadline, heights.changed()).await {
                Ok(Ok(())) => {}
                _ => return Ok(None),
            }
        }
    }

    /// Produces blocks until `stop` resolves.
    pub async fn run_producer(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut ticker = tokio::time::interval(self.config.block_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.changed() => return,
            }
            let node = Arc::clone(&self);
            let made = tokio::task::spawn_blocking(move || node.produce()).await;
            match made {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => eprintln!("writ node: block production failed: {error}"),
                Err(error) => eprintln!("writ node: block producer stopped: {error}"),
            }
        }
    }
}
