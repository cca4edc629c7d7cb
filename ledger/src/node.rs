//! The node: a mempool in front of the chain, and a block producer that
//! batches waiting transactions into blocks.
//!
//! Invariant: a transaction enters the mempool only after passing every
//! admission check against the chain plus the transactions already
//! waiting; a receipt exists only for a block that is durable, so a
//! receipt handed to a client survives a crash.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::block::Block;
use crate::chain::{Chain, Executed, Head, LedgerError, Reader, Rejection, check_nonce};
use crate::crypto::{Address, Hash32};
use crate::limits::{
    BLOCK_BYTES_MAX, BLOCK_INTERVAL_MS_DEFAULT, BLOCK_TXS_DEFAULT, STORE_CACHE_BYTES_DEFAULT,
};
use crate::mempool::{Mempool, MempoolLimits, NoRoom, Waiting};
use crate::params::ChainParams;
use crate::receipt::Receipt;
use crate::tx::SignedTransaction;

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
    /// The chain's gas bounds; every node of a chain must use the same.
    pub params: ChainParams,
    /// How much may wait for a block.
    pub mempool: MempoolLimits,
    /// Whether this node makes blocks alone (a one-node chain). In a
    /// network the consensus layer decides blocks through
    /// [`Node::propose`], [`Node::execute`] and [`Node::commit`] instead.
    pub produce_blocks: bool,
}

impl NodeConfig {
    pub fn new(data: PathBuf, chain_id: &str) -> NodeConfig {
        NodeConfig {
            data,
            chain_id: chain_id.to_string(),
            block_interval: Duration::from_millis(BLOCK_INTERVAL_MS_DEFAULT),
            max_block_txs: BLOCK_TXS_DEFAULT,
            logical_clock_start: None,
            store_cache_bytes: STORE_CACHE_BYTES_DEFAULT,
            params: ChainParams::DEFAULT,
            mempool: MempoolLimits::default(),
            produce_blocks: true,
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
    /// Temporary: the mempool (or the sender's share of it) has no room.
    #[error(transparent)]
    NoRoom(#[from] NoRoom),
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
    /// What the consensus layer reports, for `/v1/status` (none alone).
    network: Mutex<Option<NetworkStatus>>,
    /// Where accepted submissions go to be passed on to peers.
    relay: Mutex<Option<std::sync::mpsc::SyncSender<Vec<u8>>>>,
}

/// A networked node's consensus state, as the status endpoint shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct NetworkStatus {
    /// `validator` or `full node`.
    pub role: String,
    /// The height being decided and its current round.
    pub deciding_height: u64,
    pub round: Option<u32>,
    /// Validators from which a vote or proposal arrived at the last height.
    pub validators_seen: usize,
    /// Peers with an open connection.
    pub peers_connected: usize,
    /// When (Unix seconds, wall clock) this node last stored a decided block.
    pub last_decided_time: Option<i64>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Node {
    pub fn open(config: NodeConfig, vm: Arc<writ_vm::Vm>) -> Result<Node, LedgerError> {
        let chain =
            Chain::open_with(&config.data, &config.chain_id, vm, config.store_cache_bytes, config.params)?;
        let (height, _) = tokio::sync::watch::channel(chain.head().height);
        let mempool = Mutex::new(Mempool::new(config.mempool));
        let reader = chain.reader().clone();
        Ok(Node {
            chain: Mutex::new(chain),
            reader,
            mempool,
            config,
            height,
            network: Mutex::new(None),
            relay: Mutex::new(None),
        })
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
        // `submit_many` gives exactly one result per transaction; the
        // fallback is never reached, and would be a refusal, never a pass.
        let none = || {
            Err(SubmitError::Rejected(Rejection::Format(crate::tx::TxError::Malformed {
                what: "no result".into(),
            })))
        };
        self.submit_many(&[bytes]).pop().unwrap_or_else(none)
    }

    /// Checks and queues signed transactions in order, as if submitted one
    /// by one; one result per transaction. Their signatures are verified
    /// as one batch (the rule makes a batch's verdict each signature's
    /// own), before and outside the locks, so that submissions verify in
    /// parallel.
    pub fn submit_many(&self, txs: &[&[u8]]) -> Vec<Result<Hash32, SubmitError>> {
        let decoded: Vec<Result<(SignedTransaction, Hash32, usize), SubmitError>> = txs
            .iter()
            .map(|bytes| {
                let signed = SignedTransaction::decode(bytes).map_err(Rejection::from)?;
                let id = signed.tx.id();
                Ok((signed, id, bytes.len()))
            })
            .collect();
        let mut checks = Vec::new();
        let mut counts = Vec::with_capacity(decoded.len());
        for entry in &decoded {
            let found = match entry {
                Ok((signed, id, _)) => match signed.signature_checks(id) {
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

        // Everything but room and the nonce is checked before the mempool's
        // lock, against a committed snapshot, so that compiling a deployed
        // module never holds up other senders or waits for a block.
        let checked: Vec<Result<(SignedTransaction, Hash32, usize), SubmitError>> = decoded
            .into_iter()
            .zip(verdicts)
            .map(|(entry, verdict)| {
                let (signed, id, bytes) = entry?;
                verdict.map_err(Rejection::from)?;
                self.reader.admit_unordered(&signed)?;
                Ok((signed, id, bytes))
            })
            .collect();
        let mut pool = lock(&self.mempool);
        checked
            .into_iter()
            .map(|entry| {
                let (signed, id, bytes) = entry?;
                if pool.contains(&id) {
                    return Err(SubmitError::Duplicate(crate::crypto::hex(&id)));
                }
                let sender = signed.tx.sender();
                pool.check_room(&sender, bytes)?;
                let expected = match pool.next_nonce(&sender) {
                    Some(next) => next,
                    None => {
                        self.reader.next_nonce(&sender).map_err(|e| Rejection::Unavailable(e.to_string()))?
                    }
                };
                check_nonce(&signed, expected)?;
                pool.push(Waiting { signed, id, sender, bytes });
                Ok(id)
            })
            .collect()
    }

    pub fn pending(&self) -> usize {
        lock(&self.mempool).len()
    }

    /// Bytes of the transactions waiting.
    pub fn pending_bytes(&self) -> usize {
        lock(&self.mempool).bytes()
    }

    /// Transactions in the block being executed (reads answer meanwhile).
    pub fn executing(&self) -> usize {
        lock(&self.mempool).executing()
    }

    pub fn is_pending(&self, id: &Hash32) -> bool {
        lock(&self.mempool).contains(id)
    }

    /// The next nonce `sender` should use, counting waiting transactions.
    pub fn next_nonce(&self, sender: &Address) -> Result<u64, LedgerError> {
        let next = lock(&self.mempool).next_nonce(sender);
        match next {
            Some(next) => Ok(next),
            None => self.reader.next_nonce(sender),
        }
    }

    /// Makes one block of waiting transactions, if any wait.
    pub fn produce(&self) -> Result<Option<(Block, Vec<Receipt>)>, LedgerError> {
        let mut chain = lock(&self.chain);
        // The block takes waiting transactions in order while their
        // declared gas limits fit the block's (the rule `apply_block`
        // enforces too), and at most `max_block_txs` of them.
        let block_gas_limit = chain.params().block_gas_limit();
        let batch = lock(&self.mempool).take_block(block_gas_limit, self.config.max_block_txs);
        if batch.is_empty() {
            return Ok(None);
        }
        let time = match self.config.logical_clock_start {
            Some(start) => start.saturating_add(chain.head().height as i64),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        };
        let ids: Vec<Hash32> = batch.iter().map(|w| w.id).collect();
        let txs: Vec<SignedTransaction> = batch.into_iter().map(|w| w.signed).collect();
        let result = chain.apply_block(&txs, time);
        let mut pool = lock(&self.mempool);
        match result {
            Ok((block, receipts)) => {
                pool.finish(&ids);
                drop(pool);
                self.height.send_replace(block.height);
                Ok(Some((block, receipts)))
            }
            Err(error) => {
                // Nothing of the block was kept: put its transactions back,
                // counted again exactly as they were.
                pool.put_back(
                    txs.into_iter().zip(ids).map(|(signed, id)| Waiting::new(signed, id)).collect(),
                );
                Err(error)
            }
        }
    }

    /// The block this node would propose at `time`: waiting transactions
    /// (left waiting) executed over the head, nothing stored.
    pub fn propose(&self, time: i64) -> Result<Executed, LedgerError> {
        let chain = lock(&self.chain);
        let txs = lock(&self.mempool).peek_block(
            chain.params().block_gas_limit(),
            self.config.max_block_txs,
            BLOCK_BYTES_MAX,
        );
        chain.execute(&txs, time)
    }

    /// Executes a proposed block's transactions over the head, nothing
    /// stored (a validator's check before it votes).
    pub fn execute(&self, txs: &[SignedTransaction], time: i64) -> Result<Executed, LedgerError> {
        lock(&self.chain).execute(txs, time)
    }

    /// The head the writer last committed.
    pub fn head(&self) -> Head {
        lock(&self.chain).head()
    }

    /// Stores a decided block with its certificate, and drops its
    /// transactions (and any whose nonce it used) from the mempool.
    pub fn commit(&self, executed: Executed, certificate: Option<&[u8]>) -> Result<Block, LedgerError> {
        let mut chain = lock(&self.chain);
        let ids: Vec<Hash32> = executed.receipts.iter().map(|r| r.transaction).collect();
        let (block, _) = chain.commit(executed, certificate)?;
        drop(chain);
        let reader = &self.reader;
        lock(&self.mempool).remove_decided(&ids, |sender| reader.next_nonce(sender).unwrap_or(0));
        self.height.send_replace(block.height);
        Ok(block)
    }

    /// Records the consensus layer's state for the status endpoint.
    pub fn set_network_status(&self, status: NetworkStatus) {
        *lock(&self.network) = Some(status);
    }

    pub fn network_status(&self) -> Option<NetworkStatus> {
        lock(&self.network).clone()
    }

    /// Passes every transaction accepted from a client (not one relayed
    /// by a peer) to `relay`, which forwards it to the other nodes.
    pub fn set_relay(&self, relay: std::sync::mpsc::SyncSender<Vec<u8>>) {
        *lock(&self.relay) = Some(relay);
    }

    /// Hands accepted client submissions to the relay, if there is one.
    /// A full relay queue drops the copy (peers still get the transaction
    /// in this node's proposals or through their own clients): relaying
    /// never blocks or fails a submission.
    pub fn relay(&self, bytes: Vec<u8>) {
        if let Some(relay) = lock(&self.relay).as_ref() {
            let _ = relay.try_send(bytes);
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
        // The first block is one interval after start, not at once, so a
        // node started with a long interval holds what it is sent until
        // then (tests rely on it, however busy the machine).
        let interval = self.config.block_interval;
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut more_waiting = false;
        loop {
            // A block that left transactions waiting (its gas or count was
            // full) is followed by the next at once, so the gas bound
            // shapes blocks without lowering throughput.
            if more_waiting {
                if *stop.borrow() {
                    return;
                }
            } else {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = stop.changed() => return,
                }
            }
            let node = Arc::clone(&self);
            let made = tokio::task::spawn_blocking(move || node.produce()).await;
            more_waiting = matches!(made, Ok(Ok(Some(_)))) && self.pending() > 0;
            match made {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => eprintln!("writ node: block production failed: {error}"),
                Err(error) => eprintln!("writ node: block producer stopped: {error}"),
            }
        }
    }
}
