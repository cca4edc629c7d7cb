//! The chain: the checks a transaction must pass before it may enter a
//! block, block execution through the VM, and every read of the state, the
//! blocks and the receipts.
//!
//! Design (docs/ledger.md): the state lives on disk, in the store's state
//! table and authenticated tree (`state.rs`, `tree.rs`). A block executes
//! against the last committed snapshot with its own changes on top; then
//! the changes, the tree's new nodes, the block, its transactions,
//! receipts and events and the new head are written in **one** `redb`
//! transaction. Nothing is changed before that write commits, so a failed
//! write leaves nothing to undo. Reads ([`Reader`]) each take a committed
//! snapshot, so they run beside a block that is executing.
//!
//! Invariant: executing the same transactions at the same times from the
//! same state gives the same receipts, gas, events, state root and blocks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use jmt::KeyHash;
use jmt::storage::TreeUpdateBatch;
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use writ_abi::AbiType;
use writ_abi::document::{ContractAbi, EntryKind, read_from_module};
use writ_proof::keys;
use writ_proof::{Header, StateProof};
use writ_vm::execute::{self, Action, BlockInfo, Execution, INIT, Transaction, execute};
use writ_vm::{Call, CallReport, Contract, Vm};

use crate::block::Block;
use crate::crypto::{Address, Hash32, address_of, hex, leaf_hash, merkle_root, sha256};
use crate::limits::{MODULES_CACHED_MAX, STORE_CACHE_BYTES_DEFAULT, VIEW_GAS_LIMIT};
use crate::params::ChainParams;
use crate::receipt::{Event, Receipt};
use crate::state::{Changes, ContractView, Layer, Tree, tree_tables, tree_update, write_state};
use crate::store::{
    self, BLOCKS, CERTIFICATES, CODE, EVENTS, RECEIPTS, STATE, StoredHead, TX_INDEX, TXS, store_error,
};
use crate::tx::{Payload, SignedTransaction, TxError};
use crate::world::{BlockWorld, LedgerDirectory};

/// Failures of the node itself (store, VM), not of a transaction.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the store failed: {0}")]
    Store(String),
    #[error("the store holds chain `{found}`, not `{expected}`")]
    WrongChain { expected: String, found: String },
    #[error(
        "{path} is a store of format {found}; this node reads format {expected}. It cannot be upgraded in place: start the node on a new data folder"
    )]
    Format { path: PathBuf, found: u32, expected: u32 },
    #[error(
        "{marker} says this folder holds chain `{chain}`, but its store {store} is missing or empty: the store was lost or truncated. Restore it from a backup, or move the folder away to start a new chain"
    )]
    Lost { marker: PathBuf, store: PathBuf, chain: String },
    #[error(
        "this chain was created with a transaction gas ceiling of {stored_tx} and a block gas limit of {stored_block}; the node was started with {given_tx} and {given_block} (give `--tx-gas {stored_tx} --block-gas {stored_block}`)"
    )]
    Params { stored_tx: u64, stored_block: u64, given_tx: u64, given_block: u64 },
    #[error("the VM failed: {0}")]
    Vm(String),
    #[error("block {height} was executed over another head; the head is now {head}")]
    Stale { height: u64, head: u64 },
    #[error("the store is inconsistent: {0}")]
    Corrupt(String),
}

/// Why a transaction was refused before execution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error(transparent)]
    Format(#[from] TxError),
    #[error("the transaction is for chain `{found}`; this node runs `{expected}`")]
    WrongChain { expected: String, found: String },
    #[error("nonce {found} was used already; the next nonce of {sender} is {expected}")]
    Replayed { sender: String, expected: u64, found: u64 },
    #[error("nonce {found} skips ahead; the next nonce of {sender} is {expected}")]
    Gapped { sender: String, expected: u64, found: u64 },
    #[error("gas limit {found} is outside 1..={max}")]
    GasLimit { found: u64, max: u64 },
    #[error("no contract at {address}")]
    UnknownContract { address: String },
    #[error("contract {contract} has no entry point `{method}`")]
    UnknownMethod { contract: String, method: String },
    #[error("the arguments do not match `{method}({expected})`: {why}")]
    Arguments { method: String, expected: String, why: String },
    #[error("the module was refused: {0}")]
    Module(String),
    /// The node could not read its store to decide.
    #[error("the node could not read its state: {0}")]
    Unavailable(String),
}

impl Rejection {
    /// A stable name for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Format(TxError::BadSignature { .. } | TxError::SignatureCount { .. }) => {
                "bad_signature"
            }
            Rejection::Format(TxError::TooLarge { .. } | TxError::PartTooLarge { .. }) => "too_large",
            Rejection::Format(TxError::Malformed { .. }) => "malformed",
            Rejection::WrongChain { .. } => "wrong_chain",
            Rejection::Replayed { .. } => "replayed_nonce",
            Rejection::Gapped { .. } => "gapped_nonce",
            Rejection::GasLimit { .. } => "gas_limit",
            Rejection::UnknownContract { .. } => "unknown_contract",
            Rejection::UnknownMethod { .. } => "unknown_method",
            Rejection::Arguments { .. } => "bad_arguments",
            Rejection::Module(_) => "bad_module",
            Rejection::Unavailable(_) => "unavailable",
        }
    }
}

/// A deployed contract: its code hash, ABI and compiled module.
#[derive(Clone)]
pub struct Deployed {
    pub code_hash: Hash32,
    pub abi: Arc<ContractAbi>,
    pub module: Arc<Contract>,
}

/// Where the chain stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Head {
    pub height: u64,
    pub hash: String,
    pub time: i64,
    pub state_root: String,
}

impl From<StoredHead> for Head {
    fn from(head: StoredHead) -> Head {
        Head {
            height: head.height,
            hash: hex(&head.hash),
            time: head.time,
            state_root: hex(&head.state_root),
        }
    }
}

/// Compiled contracts by code hash, the least recently used dropped past
/// [`MODULES_CACHED_MAX`].
/// A snapshot's table of deployed code, by code hash.
pub(crate) type CodeTable = redb::ReadOnlyTable<&'static [u8], &'static [u8]>;

pub(crate) struct Modules {
    vm: Arc<Vm>,
    cached: Mutex<BTreeMap<Hash32, (Deployed, u64)>>,
    clock: AtomicU64,
}

impl Modules {
    fn prepare(&self, code: &[u8]) -> Result<Deployed, Rejection> {
        let code_hash = sha256(code);
        if let Some(found) = self.cached(&code_hash) {
            return Ok(found);
        }
        let module = self.vm.prepare(code).map_err(|e| Rejection::Module(e.to_string()))?;
        let abi = read_from_module(code).map_err(|e| Rejection::Module(e.to_string()))?;
        let deployed = Deployed { code_hash, abi: Arc::new(abi), module };
        self.keep(&deployed);
        Ok(deployed)
    }

    fn cached(&self, code_hash: &Hash32) -> Option<Deployed> {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        cached.get_mut(code_hash).map(|(deployed, used)| {
            *used = now;
            deployed.clone()
        })
    }

    fn keep(&self, deployed: &Deployed) {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        cached.insert(deployed.code_hash, (deployed.clone(), now));
        if cached.len() > MODULES_CACHED_MAX {
            let oldest = cached.iter().min_by_key(|(_, (_, used))| *used).map(|(hash, _)| *hash);
            if let Some(oldest) = oldest {
                cached.remove(&oldest);
            }
        }
    }

    /// The compiled contract of stored code `code_hash`.
    pub(crate) fn load(&self, read: &ReadTransaction, code_hash: &Hash32) -> Result<Deployed, LedgerError> {
        if let Some(found) = self.cached(code_hash) {
            return Ok(found);
        }
        self.load_from(&read.open_table(CODE).map_err(store_error)?, code_hash)
    }

    /// The compiled contract of stored code `code_hash`, read from `table`
    /// (a snapshot's code table) unless it is cached.
    pub(crate) fn load_from(&self, table: &CodeTable, code_hash: &Hash32) -> Result<Deployed, LedgerError> {
        if let Some(found) = self.cached(code_hash) {
            return Ok(found);
        }
        let code = table
            .get(&code_hash[..])
            .map_err(store_error)?
            .ok_or_else(|| LedgerError::Corrupt(format!("code {} is missing", hex(code_hash))))?;
        self.prepare(code.value())
            .map_err(|r| LedgerError::Corrupt(format!("stored code {}: {r}", hex(code_hash))))
    }
}

/// Every read of the chain, each from its own committed snapshot of the
/// store: reads never wait for a block that is executing.
#[derive(Clone)]
pub struct Reader {
    db: Arc<Database>,
    vm: Arc<Vm>,
    chain_id: Arc<str>,
    params: ChainParams,
    modules: Arc<Modules>,
}

/// What `--verify-state` checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateCheck {
    pub height: u64,
    pub entries: u64,
    pub blocks: u64,
    pub state_root: String,
}

impl Reader {
    fn begin(&self) -> Result<ReadTransaction, LedgerError> {
        self.db.begin_read().map_err(store_error)
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The chain's gas bounds, fixed when it was created.
    pub fn params(&self) -> ChainParams {
        self.params
    }

    pub fn head(&self) -> Result<Head, LedgerError> {
        Ok(store::read_head(&self.begin()?)?.into())
    }

    /// The next nonce `sender` must use.
    pub fn next_nonce(&self, sender: &Address) -> Result<u64, LedgerError> {
        Layer::new(&self.begin()?)?.nonce(sender)
    }

    /// The contract deployed at `address`, compiled.
    pub fn contract(&self, address: &Address) -> Result<Option<Deployed>, LedgerError> {
        let read = self.begin()?;
        let layer = Layer::new(&read)?;
        match layer.contract(address)? {
            Some(record) => self.modules.load(&read, &record.code_hash).map(Some),
            None => Ok(None),
        }
    }

    /// The ABI of the contract at `contract`: what the edges read receipts
    /// and events with (`receipt_json.rs`).
    pub fn abi_of(&self, contract: &Address) -> Option<Arc<ContractAbi>> {
        self.contract(contract).ok().flatten().map(|d| d.abi)
    }

    /// The checks a transaction must pass to enter the mempool. `expected`
    /// is the sender's next nonce counting transactions already waiting.
    pub fn admit(&self, signed: &SignedTransaction, expected: u64) -> Result<(), Rejection> {
        signed.verify_signatures()?;
        self.admit_unordered(signed)?;
        check_nonce(signed, expected)
    }

    /// Every admission check but the signatures (checked already, as a
    /// batch) and the nonce (which depends on what waits in the mempool):
    /// chain, gas limit, and that the payload could run.
    pub fn admit_unordered(&self, signed: &SignedTransaction) -> Result<(), Rejection> {
        let tx = &signed.tx;
        if tx.chain_id != *self.chain_id {
            return Err(Rejection::WrongChain {
                expected: self.chain_id.to_string(),
                found: tx.chain_id.clone(),
            });
        }
        let max = self.params.tx_gas_limit_max();
        if tx.gas_limit == 0 || tx.gas_limit > max {
            return Err(Rejection::GasLimit { found: tx.gas_limit, max });
        }
        match &tx.payload {
            Payload::Deploy { code, args } => {
                let deployed = self.modules.prepare(code)?;
                check_args(&deployed.abi, "init", args)
            }
            Payload::Call { contract, method, args } => {
                let unavailable = |e: LedgerError| Rejection::Unavailable(e.to_string());
                let deployed = self
                    .contract(contract)
                    .map_err(unavailable)?
                    .ok_or_else(|| Rejection::UnknownContract { address: hex(contract) })?;
                if method == "init" || deployed.abi.entry(method).is_none() {
                    return Err(Rejection::UnknownMethod { contract: hex(contract), method: method.clone() });
                }
                check_args(&deployed.abi, method, args)
            }
        }
    }

    /// A read-only call against the latest committed state.
    pub fn view(
        &self,
        contract: &Address,
        method: &str,
        args: &[u8],
        caller: Address,
    ) -> Result<CallReport, Rejection> {
        let unavailable = |e: LedgerError| Rejection::Unavailable(e.to_string());
        let read = self.begin().map_err(unavailable)?;
        let head = store::read_head(&read).map_err(unavailable)?;
        let layer = Arc::new(Layer::new(&read).map_err(unavailable)?);
        let record = layer
            .contract(contract)
            .map_err(unavailable)?
            .ok_or_else(|| Rejection::UnknownContract { address: hex(contract) })?;
        let deployed = self.modules.load(&read, &record.code_hash).map_err(unavailable)?;
        let is_view = deployed.abi.entry(method).is_some_and(|e| e.kind == EntryKind::View);
        if !is_view {
            return Err(Rejection::UnknownMethod { contract: hex(contract), method: method.to_string() });
        }
        check_args(&deployed.abi, method, args)?;
        let block = BlockInfo { time: head.time, height: head.height };
        let context = execute::context(*contract, caller, &[], block, VIEW_GAS_LIMIT);
        let directory =
            LedgerDirectory::new(&read, &layer, &self.modules, BTreeMap::new()).map_err(unavailable)?;
        let view = ContractView { contract: *contract, layer };
        let call = Call {
            entry: method,
            args,
            context,
            state: Arc::new(view),
            directory: Some(Arc::new(directory)),
        };
        self.vm.call(&deployed.module, call).map_err(|e| Rejection::Module(e.to_string()))
    }

    pub fn block(&self, height: u64) -> Result<Option<Block>, LedgerError> {
        read_block(&self.begin()?, height)
    }

    /// The stored commit certificate of the block at `height` (the
    /// consensus layer's bytes), if it was decided by a network.
    pub fn certificate(&self, height: u64) -> Result<Option<Vec<u8>>, LedgerError> {
        let read = self.begin()?;
        let table = match read.open_table(CERTIFICATES) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(error) => return Err(store_error(error)),
        };
        Ok(table.get(height).map_err(store_error)?.map(|v| v.value().to_vec()))
    }

    pub fn receipt(&self, id: &Hash32) -> Result<Option<Receipt>, LedgerError> {
        let read = self.begin()?;
        let Some(position) = find_position(&read, id)? else { return Ok(None) };
        let table = read.open_table(RECEIPTS).map_err(store_error)?;
        let bytes = table
            .get(&position[..])
            .map_err(store_error)?
            .ok_or_else(|| LedgerError::Corrupt(format!("the receipt of {} is missing", hex(id))))?;
        Receipt::decode(bytes.value()).map(Some).map_err(|e| LedgerError::Corrupt(e.to_string()))
    }

    /// The signed transaction with this id, as stored.
    pub fn transaction(&self, id: &Hash32) -> Result<Option<SignedTransaction>, LedgerError> {
        let read = self.begin()?;
        let Some(position) = find_position(&read, id)? else { return Ok(None) };
        let table = read.open_table(TXS).map_err(store_error)?;
        let bytes = table
            .get(&position[..])
            .map_err(store_error)?
            .ok_or_else(|| LedgerError::Corrupt(format!("transaction {} is missing", hex(id))))?;
        SignedTransaction::decode(bytes.value()).map(Some).map_err(|e| LedgerError::Corrupt(e.to_string()))
    }

    /// Events of `contract`, optionally by name (as its ABI names them),
    /// in blocks `from..=to`, oldest first, at most `limit`.
    pub fn events(
        &self,
        contract: &Address,
        name: Option<&str>,
        from: u64,
        to: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Event)>, LedgerError> {
        // The store keeps event indexes; a name means the index the ABI
        // gives it, and a name the ABI lacks matches nothing.
        let abi = self.abi_of(contract);
        let wanted: Option<Option<u32>> = name.map(|name| {
            let position = abi.as_ref().and_then(|abi| abi.events.iter().position(|e| e.name == name));
            position.and_then(|i| u32::try_from(i).ok())
        });
        let read = self.begin()?;
        let table = read.open_table(EVENTS).map_err(store_error)?;
        let mut lower = contract.to_vec();
        lower.extend_from_slice(&from.to_be_bytes());
        let mut upper = contract.to_vec();
        upper.extend_from_slice(&to.saturating_add(1).to_be_bytes());
        let mut out = Vec::new();
        for entry in table.range(&lower[..]..&upper[..]).map_err(store_error)? {
            let (key, value) = entry.map_err(store_error)?;
            let height =
                key.value().get(20..28).and_then(|b| b.try_into().ok()).map_or(0, u64::from_be_bytes);
            let event = Event::decode(value.value()).map_err(|e| LedgerError::Corrupt(e.to_string()))?;
            if wanted.is_none_or(|index| index == Some(event.index)) {
                out.push((height, event));
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// A proof of what `contract`'s storage held under `key` (a value, or
    /// nothing) in the state after block `height` (the latest by default).
    /// `None` when there is no such block.
    pub fn proof(
        &self,
        contract: &Address,
        key: &[u8],
        height: Option<u64>,
    ) -> Result<Option<StateProof>, LedgerError> {
        let read = self.begin()?;
        let head = store::read_head(&read)?;
        let height = height.unwrap_or(head.height);
        if height == 0 || height > head.height {
            return Ok(None);
        }
        let block = read_block(&read, height)?
            .ok_or_else(|| LedgerError::Corrupt(format!("block {height} is missing")))?;
        let header =
            block.header().ok_or_else(|| LedgerError::Corrupt(format!("block {height} is malformed")))?;
        let tables = tree_tables(&read)?;
        let key_hash = KeyHash(keys::key_hash(&keys::storage(contract, key)));
        let (value, proof) = Tree::new(&tables)
            .get_with_proof(key_hash, height)
            .map_err(|e| LedgerError::Store(format!("the state tree: {e:#}")))?;
        StateProof::new(contract, key, value.as_deref(), &header, &proof)
            .map(Some)
            .map_err(|e| LedgerError::Corrupt(e.to_string()))
    }

    /// A full check of the store, in time proportional to its size times the
    /// tree's depth (each entry is looked up in the tree): every block
    /// hashes to what the next names as its parent and the head records;
    /// every state entry is in the tree with its value at the head; the
    /// tree holds no other entry; its root is the head's state root.
    pub fn verify_state(&self) -> Result<StateCheck, LedgerError> {
        let read = self.begin()?;
        let head = store::read_head(&read)?;
        let mut parent = [0u8; 32];
        for height in 1..=head.height {
            let block = read_block(&read, height)?
                .ok_or_else(|| LedgerError::Corrupt(format!("block {height} is missing")))?;
            let header =
                block.header().ok_or_else(|| LedgerError::Corrupt(format!("block {height} is malformed")))?;
            if header.parent != parent || hex(&header.hash()) != block.hash {
                return Err(LedgerError::Corrupt(format!("block {height} does not hash into the chain")));
            }
            parent = header.hash();
        }
        if parent != head.hash && head.height > 0 {
            return Err(LedgerError::Corrupt("the head is not the last block".into()));
        }
        let tables = tree_tables(&read)?;
        let tree = Tree::new(&tables);
        let tree_error = |e: anyhow::Error| LedgerError::Corrupt(format!("the state tree: {e:#}"));
        let root = tree.get_root_hash(head.height).map_err(tree_error)?;
        if root.0 != head.state_root {
            return Err(LedgerError::Corrupt("the state tree's root is not the head's state root".into()));
        }
        let state = read.open_table(STATE).map_err(store_error)?;
        let mut entries = 0u64;
        for entry in state.iter().map_err(store_error)? {
            let (key, value) = entry.map_err(store_error)?;
            let found = tree.get(KeyHash(keys::key_hash(key.value())), head.height).map_err(tree_error)?;
            if found.as_deref() != Some(value.value()) {
                return Err(LedgerError::Corrupt(format!(
                    "state entry {} is not in the tree with its value",
                    hex(key.value())
                )));
            }
            entries += 1;
        }
        let leaves = tree.get_leaf_count(head.height).map_err(tree_error)?;
        if leaves as u64 != entries || state.len().map_err(store_error)? != entries {
            return Err(LedgerError::Corrupt(format!(
                "the tree has {leaves} entries and the state table {entries}"
            )));
        }
        Ok(StateCheck {
            height: head.height,
            entries,
            blocks: head.height,
            state_root: hex(&head.state_root),
        })
    }
}

/// Where the transaction with this id sits (height ‖ index), if included.
fn find_position(read: &ReadTransaction, id: &Hash32) -> Result<Option<Vec<u8>>, LedgerError> {
    let index = read.open_table(TX_INDEX).map_err(store_error)?;
    Ok(index.get(&id[..]).map_err(store_error)?.map(|v| v.value().to_vec()))
}

fn read_block(read: &ReadTransaction, height: u64) -> Result<Option<Block>, LedgerError> {
    let table = read.open_table(BLOCKS).map_err(store_error)?;
    let Some(bytes) = table.get(height).map_err(store_error)? else { return Ok(None) };
    serde_json::from_slice(bytes.value()).map(Some).map_err(|e| LedgerError::Corrupt(e.to_string()))
}

/// Whether the transaction's nonce is `expected`, the sender's next.
pub fn check_nonce(signed: &SignedTransaction, expected: u64) -> Result<(), Rejection> {
    let found = signed.tx.nonce;
    let sender = || hex(&signed.tx.sender());
    if found < expected {
        return Err(Rejection::Replayed { sender: sender(), expected, found });
    }
    if found > expected {
        return Err(Rejection::Gapped { sender: sender(), expected, found });
    }
    Ok(())
}

/// An included transaction with its id, receipt and the receipt's
/// canonical bytes.
struct TxRow<'a> {
    id: Hash32,
    signed: &'a SignedTransaction,
    receipt: &'a Receipt,
    bytes: &'a [u8],
}

/// A block executed over the writer's head, not yet stored.
pub struct Executed {
    pub header: Header,
    pub block: Block,
    pub receipts: Vec<Receipt>,
    /// How many of the given transactions were left out.
    pub skipped: usize,
    included: Vec<SignedTransaction>,
    receipt_bytes: Vec<Vec<u8>>,
    new_code: BTreeMap<Hash32, Vec<u8>>,
    changes: Changes,
    tree: TreeUpdateBatch,
}

impl Executed {
    /// The transactions the block holds, in order.
    pub fn transactions(&self) -> &[SignedTransaction] {
        &self.included
    }
}

/// The chain's writer: executes blocks and makes them durable. Reads go
/// through [`Chain::reader`].
pub struct Chain {
    reader: Reader,
    head: StoredHead,
}

impl Chain {
    /// Opens the store in `dir` (creating it for `chain_id` if the folder
    /// never held a chain), with the default page cache.
    pub fn open(dir: &Path, chain_id: &str, vm: Arc<Vm>) -> Result<Chain, LedgerError> {
        Chain::open_with(dir, chain_id, vm, STORE_CACHE_BYTES_DEFAULT, ChainParams::DEFAULT)
    }

    /// [`Chain::open`] with a page cache of at most `cache_bytes` and the
    /// chain's gas bounds: a new chain is created with `params`; an
    /// existing one keeps those it was created with, and is refused if
    /// `params` differ (every node of a chain must use the same, as it
    /// uses the same chain id). Opening takes time independent of the
    /// state's size: it reads the head and checks that the tree's root at
    /// the head is the head's state root.
    pub fn open_with(
        dir: &Path,
        chain_id: &str,
        vm: Arc<Vm>,
        cache_bytes: usize,
        params: ChainParams,
    ) -> Result<Chain, LedgerError> {
        let (db, _) = store::open(dir, chain_id, cache_bytes, params)?;
        let modules = Arc::new(Modules {
            vm: Arc::clone(&vm),
            cached: Mutex::new(BTreeMap::new()),
            clock: AtomicU64::new(0),
        });
        let reader = Reader { db, vm, chain_id: Arc::from(chain_id), params, modules };
        let read = reader.begin()?;
        let head = store::read_head(&read)?;
        let tables = tree_tables(&read)?;
        let root = Tree::new(&tables)
            .get_root_hash_option(head.height)
            .map_err(|e| LedgerError::Corrupt(format!("the state tree: {e:#}")))?;
        if root.map(|r| r.0) != Some(head.state_root) {
            return Err(LedgerError::Corrupt(format!(
                "{}: the state tree's root at height {} is not the head's state root",
                dir.join(store::STORE_FILE).display(),
                head.height
            )));
        }
        drop(read);
        Ok(Chain { reader, head })
    }

    /// Reads, each from a committed snapshot.
    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    pub fn chain_id(&self) -> &str {
        self.reader.chain_id()
    }

    /// The head this writer last committed.
    pub fn head(&self) -> Head {
        self.head.into()
    }

    /// The chain's gas bounds, fixed when it was created.
    pub fn params(&self) -> ChainParams {
        self.reader.params
    }

    /// Executes `txs` (already admitted, in order) as the next block at
    /// `time`, and makes it durable: [`Chain::execute`] then
    /// [`Chain::commit`], for a node that decides blocks alone.
    pub fn apply_block(
        &mut self,
        txs: &[SignedTransaction],
        time: i64,
    ) -> Result<(Block, Vec<Receipt>), LedgerError> {
        let executed = self.execute(txs, time)?;
        self.commit(executed, None)
    }

    /// Executes `txs` as the block after the head at `time` (at least the
    /// head's), without storing anything: a proposer makes its proposal
    /// this way, and a validator re-executes one to compare its header.
    /// Left out (and counted in [`Executed::skipped`]): transactions that
    /// no longer pass the nonce check, whose contract or module is gone,
    /// that are over the gas ceiling, or whose declared gas limit would
    /// take the block's total past the block gas limit. A proposer never
    /// proposes them, so a proposal with any left out is invalid.
    pub fn execute(&self, txs: &[SignedTransaction], time: i64) -> Result<Executed, LedgerError> {
        let reader = &self.reader;
        let read = reader.begin()?;
        let height = self.head.height + 1;
        let time = time.max(self.head.time);
        let mut world = BlockWorld::new(&read, &reader.modules)?;
        // Code deployed by this block, for the store.
        let mut new_code: BTreeMap<Hash32, Vec<u8>> = BTreeMap::new();
        let mut receipts = Vec::new();
        let mut included = Vec::new();
        let mut skipped = 0;
        let mut session = reader.vm.session();
        let mut block_gas: u64 = 0;
        let block = BlockInfo { time, height };
        for signed in txs {
            let tx = &signed.tx;
            let sender = tx.sender();
            // The core checks the nonce again; asking first spares compiling
            // the code of a deployment that would be skipped.
            if tx.chain_id != *reader.chain_id || execute::nonce_check(&world, &sender, tx.nonce)?.is_some() {
                skipped += 1;
                continue;
            }
            let Some(gas_after) = gas_fits(&reader.params, block_gas, tx.gas_limit) else {
                skipped += 1;
                continue;
            };
            let (action, code) = match &tx.payload {
                Payload::Deploy { code, args } => match reader.modules.prepare(code) {
                    Ok(deployed) => (
                        Action::Deploy { code: deployed.module, args },
                        Some((deployed.code_hash, &code[..])),
                    ),
                    Err(_) => {
                        skipped += 1;
                        continue;
                    }
                },
                Payload::Call { contract, method, args } => {
                    (Action::Call { contract: *contract, entry: method, args }, None)
                }
            };
            let cosigners: Vec<Address> = tx.cosigners.iter().map(address_of).collect();
            let transaction = Transaction {
                sender,
                nonce: tx.nonce,
                cosigners: &cosigners,
                gas_limit: tx.gas_limit,
                action,
            };
            let executed = match execute(&mut world, &mut session, &transaction, block)? {
                Execution::Executed(executed) => executed,
                Execution::Skipped(_) => {
                    skipped += 1;
                    continue;
                }
            };
            block_gas = gas_after;
            if let (true, Some((code_hash, code))) = (executed.deployed, code) {
                new_code.insert(code_hash, code.to_vec());
            }
            let method = match &tx.payload {
                Payload::Deploy { .. } => INIT,
                Payload::Call { method, .. } => method.as_str(),
            };
            let index = included.len() as u32;
            receipts.push(Receipt::from_report(
                signed,
                height,
                index,
                &executed.contract,
                method,
                &executed.report,
            ));
            included.push(signed.clone());
        }
        drop(session);
        let changes = world.layer.take_changes();
        let (state_root, tree) = tree_update(&read, &changes, height)?;
        // Each transaction's id (hashed once, by the receipt, over a body of
        // up to 3 MiB) and each receipt's canonical bytes are made once: the
        // roots hash them and the store keeps the same bytes.
        let receipt_bytes: Vec<Vec<u8>> = receipts.iter().map(Receipt::encode).collect();
        let header = Header {
            height,
            parent: self.head.hash,
            time,
            tx_root: merkle_root(&receipts.iter().map(|r| leaf_hash(&r.transaction)).collect::<Vec<_>>()),
            receipts_root: merkle_root(
                &receipt_bytes.iter().map(|bytes| leaf_hash(&sha256(bytes))).collect::<Vec<_>>(),
            ),
            state_root,
            gas_used: receipts.iter().fold(0u64, |sum, r| sum.saturating_add(r.gas_used)),
        };
        let block = Block::new(&header, receipts.iter().map(|r| hex(&r.transaction)).collect());
        Ok(Executed { header, block, receipts, skipped, included, receipt_bytes, new_code, changes, tree })
    }

    /// Stores a block [`Chain::execute`] made over the current head, with
    /// the certificate that decided it (if any), in one durable write.
    /// Refused if the head moved since it was executed.
    pub fn commit(
        &mut self,
        executed: Executed,
        certificate: Option<&[u8]>,
    ) -> Result<(Block, Vec<Receipt>), LedgerError> {
        let Executed { header, block, receipts, included, receipt_bytes, new_code, changes, tree, .. } =
            executed;
        if header.parent != self.head.hash || header.height != self.head.height + 1 {
            return Err(LedgerError::Stale { height: header.height, head: self.head.height });
        }
        let write = self.reader.db.begin_write().map_err(store_error)?;
        write_state(&write, &tree, &changes)?;
        let rows: Vec<TxRow<'_>> = included
            .iter()
            .zip(&receipts)
            .zip(&receipt_bytes)
            .map(|((signed, receipt), bytes)| TxRow { id: receipt.transaction, signed, receipt, bytes })
            .collect();
        persist(&write, &block, &rows, &new_code)?;
        if let Some(certificate) = certificate {
            write
                .open_table(CERTIFICATES)
                .map_err(store_error)?
                .insert(header.height, certificate)
                .map_err(store_error)?;
        }
        let head = StoredHead {
            height: header.height,
            hash: header.hash(),
            time: header.time,
            state_root: header.state_root,
        };
        store::write_head(&write, &head)?;
        write.commit().map_err(store_error)?;
        self.head = head;
        Ok((block, receipts))
    }

    /// Re-executes every stored block from an empty state in `scratch`
    /// and returns the resulting head: it must equal this chain's.
    pub fn replay_into(&self, scratch: &Path) -> Result<Head, LedgerError> {
        let params = self.reader.params;
        let mut fresh = Chain::open_with(
            scratch,
            self.chain_id(),
            Arc::clone(&self.reader.vm),
            STORE_CACHE_BYTES_DEFAULT,
            params,
        )?;
        for height in 1..=self.head.height {
            let block = self
                .reader
                .block(height)?
                .ok_or_else(|| LedgerError::Corrupt(format!("block {height} is missing")))?;
            let mut txs = Vec::new();
            for id in &block.transactions {
                let id: Hash32 =
                    crate::crypto::parse_hex(id).ok_or_else(|| LedgerError::Corrupt("bad id".into()))?;
                txs.push(
                    self.reader
                        .transaction(&id)?
                        .ok_or_else(|| LedgerError::Corrupt("missing transaction".into()))?,
                );
            }
            fresh.apply_block(&txs, block.time)?;
        }
        Ok(fresh.head())
    }
}

/// The block's declared gas after a transaction with `gas_limit`, if the
/// transaction is within the ceiling and the block's limit.
fn gas_fits(params: &ChainParams, block_gas: u64, gas_limit: u64) -> Option<u64> {
    let total = block_gas.checked_add(gas_limit)?;
    let fits = gas_limit >= 1 && gas_limit <= params.tx_gas_limit_max() && total <= params.block_gas_limit();
    fits.then_some(total)
}

/// Adds a block's records (everything but the state) to its write.
fn persist(
    write: &redb::WriteTransaction,
    block: &Block,
    rows: &[TxRow<'_>],
    new_code: &BTreeMap<Hash32, Vec<u8>>,
) -> Result<(), LedgerError> {
    let block_json = serde_json::to_vec(block).map_err(store_error)?;
    write
        .open_table(BLOCKS)
        .map_err(store_error)?
        .insert(block.height, &block_json[..])
        .map_err(store_error)?;
    let mut tx_table = write.open_table(TXS).map_err(store_error)?;
    let mut receipt_table = write.open_table(RECEIPTS).map_err(store_error)?;
    let mut tx_index = write.open_table(TX_INDEX).map_err(store_error)?;
    let mut events = write.open_table(EVENTS).map_err(store_error)?;
    for TxRow { id, signed, receipt, bytes } in rows {
        let position = store::position(block.height, receipt.index);
        tx_table.insert(&position[..], &signed.encode()[..]).map_err(store_error)?;
        receipt_table.insert(&position[..], *bytes).map_err(store_error)?;
        tx_index.insert(&id[..], &position[..]).map_err(store_error)?;
        for (n, event) in receipt.events().iter().enumerate() {
            let mut key = event.contract.to_vec();
            key.extend_from_slice(&block.height.to_be_bytes());
            key.extend_from_slice(&receipt.index.to_be_bytes());
            key.extend_from_slice(&(n as u32).to_be_bytes());
            events.insert(&key[..], &event.encode()[..]).map_err(store_error)?;
        }
    }
    let mut code_table = write.open_table(CODE).map_err(store_error)?;
    for (hash, code) in new_code {
        code_table.insert(&hash[..], &code[..]).map_err(store_error)?;
    }
    Ok(())
}

/// Whether `args` decode as the parameters of `method`.
fn check_args(abi: &ContractAbi, method: &str, args: &[u8]) -> Result<(), Rejection> {
    let Some(entry) = abi.entry(method) else {
        return Err(Rejection::UnknownMethod { contract: abi.name.clone(), method: method.to_string() });
    };
    let types: Vec<AbiType> = entry.params.iter().map(|p| p.ty.clone()).collect();
    writ_abi::decode_value(&AbiType::Tuple(types.clone()), args, &abi.types).map(|_| ()).map_err(|e| {
        Rejection::Arguments {
            method: method.to_string(),
            expected: entry
                .params
                .iter()
                .map(|p| format!("{}: {}", p.name, p.ty))
                .collect::<Vec<_>>()
                .join(", "),
            why: e.to_string(),
        }
    })
}
