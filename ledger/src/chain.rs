//! The chain: the state every block changes (contract storage, deployed
//! code, nonces), the checks a transaction must pass before it may enter a
//! block, block execution through the VM, and the durable store.
//!
//! Design (docs/ledger.md): contract storage, nonces and contracts live in
//! memory, loaded from the `redb` store when the node starts. A block is
//! executed against memory, then everything it changed (block, transactions,
//! receipts, events, code, nonces, storage) is written in one `redb`
//! transaction. If that write fails, memory is rolled back: the node never
//! acts on state it has not made durable.
//!
//! Invariant: executing the same transactions at the same times from the
//! same state gives the same receipts, gas, events, state root and blocks.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use writ_abi::AbiType;
use writ_abi::document::{ContractAbi, EntryKind, read_from_module};
use writ_vm::explain::{abort_name, describe_abort};
use writ_vm::{Call, CallContext, CallReport, Contract, Outcome, State, StateError, Vm};

use crate::block::{Block, ErrorInfo, EventRecord, Header, Receipt, Status};
use crate::crypto::{
    Address, Hash32, address_of, contract_address, hex, leaf_hash, merkle_proof, merkle_root, sha256,
};
use crate::limits::{STORE_CACHE_BYTES_DEFAULT, VIEW_GAS_LIMIT};
use crate::params::ChainParams;
use crate::tx::{Payload, SignedTransaction, TxError};

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const TXS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("transactions");
const RECEIPTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("receipts");
const CODE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("code");
const CONTRACTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("contracts");
const NONCES: TableDefinition<&[u8], u64> = TableDefinition::new("nonces");
const STORAGE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("storage");
/// Contract ++ height ++ transaction index ++ event index → event JSON.
const EVENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("events");

/// Failures of the node itself (store, VM), not of a transaction.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the store failed: {0}")]
    Store(String),
    #[error("the store holds chain `{found}`, not `{expected}`")]
    WrongChain { expected: String, found: String },
    #[error("the VM failed: {0}")]
    Vm(String),
    #[error("the store is inconsistent: {0}")]
    Corrupt(String),
}

fn store_error(error: impl std::fmt::Display) -> LedgerError {
    LedgerError::Store(error.to_string())
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
        }
    }
}

/// An included transaction with its id, receipt and the receipt's JSON.
struct TxRow<'a> {
    id: Hash32,
    signed: &'a SignedTransaction,
    receipt: &'a Receipt,
    json: Vec<u8>,
}

/// A deployed contract: its code hash, ABI and compiled module.
#[derive(Clone)]
pub struct Deployed {
    pub code_hash: Hash32,
    pub abi: Arc<ContractAbi>,
    pub module: Arc<Contract>,
}

/// All contract storage: contract address ++ key → value.
type Storage = BTreeMap<Vec<u8>, Vec<u8>>;

/// One contract's storage as the VM reads it during a call.
struct ContractView {
    contract: Address,
    storage: Arc<RwLock<Storage>>,
}

impl State for ContractView {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        let storage = self.storage.read().unwrap_or_else(PoisonError::into_inner);
        Ok(storage.get(&full_key(&self.contract, key)).cloned())
    }

    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<(Vec<u8>, Vec<u8>)>, StateError> {
        let storage = self.storage.read().unwrap_or_else(PoisonError::into_inner);
        let full_prefix = full_key(&self.contract, prefix);
        let lower = match after {
            Some(after) if after >= prefix => Bound::Excluded(full_key(&self.contract, after)),
            _ => Bound::Included(full_prefix.clone()),
        };
        let found = storage
            .range((lower, Bound::Unbounded))
            .next()
            .filter(|(key, _)| key.starts_with(&full_prefix))
            .map(|(key, value)| (key.get(20..).unwrap_or(&[]).to_vec(), value.clone()));
        Ok(found)
    }
}

fn full_key(contract: &Address, key: &[u8]) -> Vec<u8> {
    let mut full = contract.to_vec();
    full.extend_from_slice(key);
    full
}

/// A storage entry's leaf in the state tree.
fn storage_leaf(key: &[u8], value: &[u8]) -> Hash32 {
    let mut bytes = (key.len() as u32).to_be_bytes().to_vec();
    bytes.extend_from_slice(key);
    bytes.extend_from_slice(value);
    leaf_hash(&bytes)
}

/// An inclusion proof of one storage entry against a block's state root.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StorageProof {
    pub contract: String,
    /// The key within the contract's storage, hex.
    pub key: String,
    pub value: String,
    pub leaf_index: usize,
    pub leaf_count: usize,
    pub siblings: Vec<String>,
    pub state_root: String,
    pub height: u64,
    pub block_hash: String,
}

impl StorageProof {
    /// Whether the proof holds: the entry's leaf, with the siblings, gives
    /// the state root it names. (Whether that root is the one of a block
    /// you trust is for the caller to check against `block_hash`.)
    pub fn verify(&self) -> Result<(), String> {
        let contract = crate::crypto::parse_hex::<20>(&self.contract)
            .ok_or("the contract is not a 20-byte hex address")?;
        let key = hex::decode(self.key.trim_start_matches("0x")).map_err(|_| "the key is not hex")?;
        let value = hex::decode(self.value.trim_start_matches("0x")).map_err(|_| "the value is not hex")?;
        let root = crate::crypto::parse_hex::<32>(&self.state_root)
            .ok_or("the state root is not 32 bytes of hex")?;
        let mut siblings = Vec::new();
        for sibling in &self.siblings {
            siblings.push(
                crate::crypto::parse_hex::<32>(sibling).ok_or("a sibling hash is not 32 bytes of hex")?,
            );
        }
        let leaf = storage_leaf(&full_key(&contract, &key), &value);
        if crate::crypto::verify_merkle(&root, &leaf, self.leaf_index, self.leaf_count, &siblings) {
            Ok(())
        } else {
            Err("the proof does not lead to the state root".to_string())
        }
    }
}

/// Where the chain stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Head {
    pub height: u64,
    pub hash: String,
    pub time: i64,
    pub state_root: String,
}

pub struct Chain {
    db: Database,
    vm: Arc<Vm>,
    chain_id: String,
    height: u64,
    head_hash: Hash32,
    head_time: i64,
    state_root: Hash32,
    storage: Arc<RwLock<Storage>>,
    contracts: BTreeMap<Address, Deployed>,
    nonces: BTreeMap<Address, u64>,
    params: ChainParams,
}

impl Chain {
    /// Opens the store in `dir` (creating it for `chain_id` if new) and
    /// loads the state into memory, with the default page cache.
    pub fn open(dir: &Path, chain_id: &str, vm: Arc<Vm>) -> Result<Chain, LedgerError> {
        Chain::open_with_cache(dir, chain_id, vm, STORE_CACHE_BYTES_DEFAULT)
    }

    /// [`Chain::open`] with a page cache of at most `cache_bytes` for the
    /// store: the bound on the memory that reading and writing blocks may
    /// take beyond the state itself.
    pub fn open_with_cache(
        dir: &Path,
        chain_id: &str,
        vm: Arc<Vm>,
        cache_bytes: usize,
    ) -> Result<Chain, LedgerError> {
        std::fs::create_dir_all(dir).map_err(store_error)?;
        let db = redb::Builder::new()
            .set_cache_size(cache_bytes)
            .create(dir.join("chain.redb"))
            .map_err(store_error)?;
        let write = db.begin_write().map_err(store_error)?;
        {
            let mut meta = write.open_table(META).map_err(store_error)?;
            let stored = meta.get("chain_id").map_err(store_error)?.map(|v| v.value().to_vec());
            match stored {
                Some(found) if found != chain_id.as_bytes() => {
                    return Err(LedgerError::WrongChain {
                        expected: chain_id.to_string(),
                        found: String::from_utf8_lossy(&found).into_owned(),
                    });
                }
                Some(_) => {}
                None => {
                    meta.insert("chain_id", chain_id.as_bytes()).map_err(store_error)?;
                }
            }
            // Create every table so that readers never meet a missing one.
            write.open_table(BLOCKS).map_err(store_error)?;
            write.open_table(TXS).map_err(store_error)?;
            write.open_table(RECEIPTS).map_err(store_error)?;
            write.open_table(CODE).map_err(store_error)?;
            write.open_table(CONTRACTS).map_err(store_error)?;
            write.open_table(NONCES).map_err(store_error)?;
            write.open_table(STORAGE).map_err(store_error)?;
            write.open_table(EVENTS).map_err(store_error)?;
        }
        write.commit().map_err(store_error)?;
        let mut chain = Chain {
            db,
            vm,
            chain_id: chain_id.to_string(),
            height: 0,
            head_hash: [0; 32],
            head_time: 0,
            state_root: [0; 32],
            storage: Arc::new(RwLock::new(BTreeMap::new())),
            contracts: BTreeMap::new(),
            nonces: BTreeMap::new(),
            params: ChainParams::DEFAULT,
        };
        chain.load()?;
        Ok(chain)
    }

    fn load(&mut self) -> Result<(), LedgerError> {
        let read = self.db.begin_read().map_err(store_error)?;
        let mut storage = BTreeMap::new();
        for entry in read.open_table(STORAGE).map_err(store_error)?.iter().map_err(store_error)? {
            let (key, value) = entry.map_err(store_error)?;
            storage.insert(key.value().to_vec(), value.value().to_vec());
        }
        for entry in read.open_table(NONCES).map_err(store_error)?.iter().map_err(store_error)? {
            let (key, value) = entry.map_err(store_error)?;
            let address: Address = key
                .value()
                .try_into()
                .map_err(|_| LedgerError::Corrupt("a nonce key is not an address".into()))?;
            self.nonces.insert(address, value.value());
        }
        let code_table = read.open_table(CODE).map_err(store_error)?;
        for entry in read.open_table(CONTRACTS).map_err(store_error)?.iter().map_err(store_error)? {
            let (key, value) = entry.map_err(store_error)?;
            let address: Address = key
                .value()
                .try_into()
                .map_err(|_| LedgerError::Corrupt("a contract key is not an address".into()))?;
            let code_hash: Hash32 = value
                .value()
                .try_into()
                .map_err(|_| LedgerError::Corrupt("a code hash is not 32 bytes".into()))?;
            let code = code_table
                .get(&code_hash[..])
                .map_err(store_error)?
                .ok_or_else(|| LedgerError::Corrupt(format!("code {} is missing", hex(&code_hash))))?;
            let deployed = self.prepare(code.value()).map_err(|r| LedgerError::Corrupt(r.to_string()))?;
            self.contracts.insert(address, deployed);
        }
        let blocks = read.open_table(BLOCKS).map_err(store_error)?;
        if let Some(last) = blocks.last().map_err(store_error)? {
            let block: Block =
                serde_json::from_slice(last.1.value()).map_err(|e| LedgerError::Corrupt(e.to_string()))?;
            self.height = block.height;
            self.head_hash = crate::crypto::parse_hex(&block.hash).unwrap_or([0; 32]);
            self.head_time = block.time;
            self.state_root = crate::crypto::parse_hex(&block.state_root).unwrap_or([0; 32]);
        }
        *self.storage.write().unwrap_or_else(PoisonError::into_inner) = storage;
        if self.height > 0 && self.compute_state_root() != self.state_root {
            return Err(LedgerError::Corrupt(
                "the stored state does not match the last block's state root".into(),
            ));
        }
        Ok(())
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    pub fn head(&self) -> Head {
        Head {
            height: self.height,
            hash: hex(&self.head_hash),
            time: self.head_time,
            state_root: hex(&self.state_root),
        }
    }

    /// The chain's gas bounds (the defaults until set).
    pub fn params(&self) -> ChainParams {
        self.params
    }

    /// Sets the chain's gas bounds; every node of the chain must use the
    /// same, as it uses the same chain id.
    pub fn set_params(&mut self, params: ChainParams) {
        self.params = params;
    }

    /// The nonce the sender's next transaction must carry.
    pub fn next_nonce(&self, sender: &Address) -> u64 {
        self.nonces.get(sender).copied().unwrap_or(0)
    }

    pub fn contract(&self, address: &Address) -> Option<&Deployed> {
        self.contracts.get(address)
    }

    fn prepare(&self, code: &[u8]) -> Result<Deployed, Rejection> {
        let module = self.vm.prepare(code).map_err(|e| Rejection::Module(e.to_string()))?;
        let abi = read_from_module(code).map_err(|e| Rejection::Module(e.to_string()))?;
        Ok(Deployed { code_hash: crate::crypto::sha256(code), abi: Arc::new(abi), module })
    }

    /// The checks a transaction must pass to enter the mempool. `expected`
    /// is the sender's next nonce counting transactions already waiting.
    pub fn admit(&self, signed: &SignedTransaction, expected: u64) -> Result<(), Rejection> {
        signed.verify_signatures()?;
        self.admit_verified(signed, expected)
    }

    /// [`Chain::admit`] for a transaction whose signatures were checked
    /// already (the node checks them before taking its locks, so that
    /// signature checks run in parallel).
    pub fn admit_verified(&self, signed: &SignedTransaction, expected: u64) -> Result<(), Rejection> {
        let tx = &signed.tx;
        if tx.chain_id != self.chain_id {
            return Err(Rejection::WrongChain {
                expected: self.chain_id.clone(),
                found: tx.chain_id.clone(),
            });
        }
        let sender = hex(&tx.sender());
        if tx.nonce < expected {
            return Err(Rejection::Replayed { sender, expected, found: tx.nonce });
        }
        if tx.nonce > expected {
            return Err(Rejection::Gapped { sender, expected, found: tx.nonce });
        }
        let max = self.params.tx_gas_limit_max();
        if tx.gas_limit == 0 || tx.gas_limit > max {
            return Err(Rejection::GasLimit { found: tx.gas_limit, max });
        }
        match &tx.payload {
            Payload::Deploy { code, args } => {
                let deployed = self.prepare(code)?;
                check_args(&deployed.abi, "init", args)
            }
            Payload::Call { contract, method, args } => {
                let deployed = self
                    .contracts
                    .get(contract)
                    .ok_or_else(|| Rejection::UnknownContract { address: hex(contract) })?;
                if method == "init" || deployed.abi.entry(method).is_none() {
                    return Err(Rejection::UnknownMethod { contract: hex(contract), method: method.clone() });
                }
                check_args(&deployed.abi, method, args)
            }
        }
    }

    /// Executes `txs` (already admitted, in order) as the next block at
    /// `time`, and makes it durable. Transactions that no longer pass the
    /// nonce check are left out, and so are those over the gas ceiling or
    /// whose declared gas limit would take the block's total past the
    /// block gas limit (the producer never proposes them; a proposal that
    /// does is cut the same way on every node).
    pub fn apply_block(
        &mut self,
        txs: &[SignedTransaction],
        time: i64,
    ) -> Result<(Block, Vec<Receipt>), LedgerError> {
        let height = self.height + 1;
        let time = time.max(self.head_time);
        let mut undo: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        let mut new_contracts: Vec<(Address, Deployed, Vec<u8>)> = Vec::new();
        let mut touched_nonces = BTreeSet::new();
        let mut receipts = Vec::new();
        let mut included = Vec::new();
        let mut session = self.vm.session();
        let mut block_gas: u64 = 0;
        for signed in txs {
            let tx = &signed.tx;
            let sender = tx.sender();
            if tx.nonce != self.next_nonce(&sender) || tx.chain_id != self.chain_id {
                continue;
            }
            let Some(gas_after) = self.gas_fits(block_gas, tx.gas_limit) else { continue };
            let index = included.len() as u32;
            let mut signers = vec![sender];
            signers.extend(tx.cosigners.iter().map(address_of).filter(|a| *a != sender));
            let (contract_address_used, method, deployed, args, code) = match &tx.payload {
                Payload::Deploy { code, args } => {
                    let address = contract_address(&sender, tx.nonce);
                    match self.prepare(code) {
                        Ok(deployed) => (address, "init".to_string(), deployed, args, Some(code)),
                        Err(_) => continue,
                    }
                }
                Payload::Call { contract, method, args } => match self.contracts.get(contract) {
                    Some(deployed) => (*contract, method.clone(), deployed.clone(), args, None),
                    None => continue,
                },
            };
            let context = CallContext {
                contract: contract_address_used,
                caller: sender,
                signers,
                block_time: time,
                block_height: height,
                gas_limit: tx.gas_limit,
            };
            let view = ContractView { contract: contract_address_used, storage: Arc::clone(&self.storage) };
            let call = Call { entry: &method, args, context, state: Arc::new(view) };
            let report = match session.call(&deployed.module, call) {
                Ok(report) => report,
                Err(error) => {
                    self.rollback(undo, &touched_nonces, &[]);
                    return Err(LedgerError::Vm(error.to_string()));
                }
            };
            block_gas = gas_after;
            *self.nonces.entry(sender).or_insert(0) += 1;
            touched_nonces.insert(sender);
            let succeeded = matches!(report.outcome, Outcome::Success(_));
            if let Outcome::Success(success) = &report.outcome {
                let mut storage = self.storage.write().unwrap_or_else(PoisonError::into_inner);
                for write in &success.writes {
                    let key = full_key(&contract_address_used, &write.key);
                    let old = match &write.value {
                        Some(value) => storage.insert(key.clone(), value.clone()),
                        None => storage.remove(&key),
                    };
                    undo.entry(key).or_insert(old);
                }
            }
            if let (true, Some(code)) = (succeeded, code) {
                self.contracts.insert(contract_address_used, deployed.clone());
                new_contracts.push((contract_address_used, deployed.clone(), code.clone()));
            }
            receipts.push(receipt(
                signed,
                height,
                index,
                &contract_address_used,
                &method,
                &deployed.abi,
                &report,
            ));
            included.push(signed);
        }
        drop(session);
        let state_root = self.compute_state_root();
        // Each transaction's id and each receipt's JSON are made once: the
        // roots hash them and the store keeps the same bytes.
        let rows: Vec<TxRow<'_>> = included
            .iter()
            .zip(&receipts)
            .map(|(signed, receipt)| TxRow { id: signed.tx.id(), signed, receipt, json: receipt.json() })
            .collect();
        let header = Header {
            height,
            parent: self.head_hash,
            time,
            tx_root: merkle_root(&rows.iter().map(|r| leaf_hash(&r.id)).collect::<Vec<_>>()),
            receipts_root: merkle_root(&rows.iter().map(|r| leaf_hash(&sha256(&r.json))).collect::<Vec<_>>()),
            state_root,
        };
        let hash = header.hash();
        let block = header.into_block(rows.iter().map(|r| hex(&r.id)).collect());
        let written = self.persist(&block, &rows, &undo, &touched_nonces, &new_contracts);
        if let Err(error) = written {
            let added: Vec<Address> = new_contracts.iter().map(|(a, _, _)| *a).collect();
            self.rollback(undo, &touched_nonces, &added);
            // Nonces were counted up in memory: put back what the store has.
            return Err(error);
        }
        self.height = height;
        self.head_hash = hash;
        self.head_time = time;
        self.state_root = state_root;
        Ok((block, receipts))
    }

    /// The block's declared gas after a transaction with `gas_limit`, if
    /// the transaction is within the ceiling and the block's limit.
    fn gas_fits(&self, block_gas: u64, gas_limit: u64) -> Option<u64> {
        let total = block_gas.checked_add(gas_limit)?;
        let fits = gas_limit >= 1
            && gas_limit <= self.params.tx_gas_limit_max()
            && total <= self.params.block_gas_limit();
        fits.then_some(total)
    }

    /// Undoes a block's changes in memory after it could not be stored.
    fn rollback(
        &mut self,
        undo: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
        nonces: &BTreeSet<Address>,
        added: &[Address],
    ) {
        let mut storage = self.storage.write().unwrap_or_else(PoisonError::into_inner);
        for (key, old) in undo {
            match old {
                Some(value) => storage.insert(key, value),
                None => storage.remove(&key),
            };
        }
        drop(storage);
        for address in added {
            self.contracts.remove(address);
        }
        let stored: BTreeMap<Address, u64> = self
            .db
            .begin_read()
            .ok()
            .and_then(|read| read.open_table(NONCES).ok())
            .map(|table| {
                nonces
                    .iter()
                    .filter_map(|a| table.get(&a[..]).ok().flatten().map(|v| (*a, v.value())))
                    .collect()
            })
            .unwrap_or_default();
        for address in nonces {
            match stored.get(address) {
                Some(n) => self.nonces.insert(*address, *n),
                None => self.nonces.remove(address),
            };
        }
    }

    fn persist(
        &self,
        block: &Block,
        rows: &[TxRow<'_>],
        undo: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
        nonces: &BTreeSet<Address>,
        new_contracts: &[(Address, Deployed, Vec<u8>)],
    ) -> Result<(), LedgerError> {
        let write = self.db.begin_write().map_err(store_error)?;
        {
            let block_json = serde_json::to_vec(block).map_err(store_error)?;
            write
                .open_table(BLOCKS)
                .map_err(store_error)?
                .insert(block.height, &block_json[..])
                .map_err(store_error)?;
            let mut tx_table = write.open_table(TXS).map_err(store_error)?;
            let mut receipt_table = write.open_table(RECEIPTS).map_err(store_error)?;
            let mut events = write.open_table(EVENTS).map_err(store_error)?;
            for TxRow { id, signed, receipt, json } in rows {
                tx_table.insert(&id[..], &signed.encode()[..]).map_err(store_error)?;
                receipt_table.insert(&id[..], &json[..]).map_err(store_error)?;
                for (n, event) in receipt.events.iter().enumerate() {
                    let contract = crate::crypto::parse_hex::<20>(&event.contract).unwrap_or([0; 20]);
                    let mut key = contract.to_vec();
                    key.extend_from_slice(&block.height.to_be_bytes());
                    key.extend_from_slice(&receipt.index.to_be_bytes());
                    key.extend_from_slice(&(n as u32).to_be_bytes());
                    let json = serde_json::to_vec(event).map_err(store_error)?;
                    events.insert(&key[..], &json[..]).map_err(store_error)?;
                }
            }
            let mut code_table = write.open_table(CODE).map_err(store_error)?;
            let mut contract_table = write.open_table(CONTRACTS).map_err(store_error)?;
            for (address, deployed, code) in new_contracts {
                code_table.insert(&deployed.code_hash[..], &code[..]).map_err(store_error)?;
                contract_table.insert(&address[..], &deployed.code_hash[..]).map_err(store_error)?;
            }
            let mut nonce_table = write.open_table(NONCES).map_err(store_error)?;
            for address in nonces {
                nonce_table.insert(&address[..], self.next_nonce(address)).map_err(store_error)?;
            }
            let storage = self.storage.read().unwrap_or_else(PoisonError::into_inner);
            let mut storage_table = write.open_table(STORAGE).map_err(store_error)?;
            for key in undo.keys() {
                match storage.get(key) {
                    Some(value) => storage_table.insert(&key[..], &value[..]).map_err(store_error)?,
                    None => storage_table.remove(&key[..]).map_err(store_error)?,
                };
            }
        }
        write.commit().map_err(store_error)
    }

    fn compute_state_root(&self) -> Hash32 {
        let storage = self.storage.read().unwrap_or_else(PoisonError::into_inner);
        let leaves: Vec<Hash32> = storage.iter().map(|(k, v)| storage_leaf(k, v)).collect();
        merkle_root(&leaves)
    }

    /// A read-only call against the latest state.
    pub fn view(
        &self,
        contract: &Address,
        method: &str,
        args: &[u8],
        caller: Address,
    ) -> Result<CallReport, Rejection> {
        let deployed = self
            .contracts
            .get(contract)
            .ok_or_else(|| Rejection::UnknownContract { address: hex(contract) })?;
        let is_view = deployed.abi.entry(method).is_some_and(|e| e.kind == EntryKind::View);
        if !is_view {
            return Err(Rejection::UnknownMethod { contract: hex(contract), method: method.to_string() });
        }
        check_args(&deployed.abi, method, args)?;
        let context = CallContext {
            contract: *contract,
            caller,
            signers: vec![caller],
            block_time: self.head_time,
            block_height: self.height,
            gas_limit: VIEW_GAS_LIMIT,
        };
        let view = ContractView { contract: *contract, storage: Arc::clone(&self.storage) };
        let call = Call { entry: method, args, context, state: Arc::new(view) };
        self.vm.call(&deployed.module, call).map_err(|e| Rejection::Module(e.to_string()))
    }

    pub fn block(&self, height: u64) -> Result<Option<Block>, LedgerError> {
        let read = self.db.begin_read().map_err(store_error)?;
        let table = read.open_table(BLOCKS).map_err(store_error)?;
        let Some(bytes) = table.get(height).map_err(store_error)? else { return Ok(None) };
        serde_json::from_slice(bytes.value()).map(Some).map_err(|e| LedgerError::Corrupt(e.to_string()))
    }

    pub fn receipt(&self, id: &Hash32) -> Result<Option<Receipt>, LedgerError> {
        let read = self.db.begin_read().map_err(store_error)?;
        let table = read.open_table(RECEIPTS).map_err(store_error)?;
        let Some(bytes) = table.get(&id[..]).map_err(store_error)? else { return Ok(None) };
        serde_json::from_slice(bytes.value()).map(Some).map_err(|e| LedgerError::Corrupt(e.to_string()))
    }

    /// The signed transaction with this id, as stored.
    pub fn transaction(&self, id: &Hash32) -> Result<Option<SignedTransaction>, LedgerError> {
        let read = self.db.begin_read().map_err(store_error)?;
        let table = read.open_table(TXS).map_err(store_error)?;
        let Some(bytes) = table.get(&id[..]).map_err(store_error)? else { return Ok(None) };
        SignedTransaction::decode(bytes.value()).map(Some).map_err(|e| LedgerError::Corrupt(e.to_string()))
    }

    /// Events of `contract`, optionally by name, in blocks `from..=to`,
    /// oldest first, at most `limit`.
    pub fn events(
        &self,
        contract: &Address,
        name: Option<&str>,
        from: u64,
        to: u64,
        limit: usize,
    ) -> Result<Vec<(u64, EventRecord)>, LedgerError> {
        let read = self.db.begin_read().map_err(store_error)?;
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
            let event: EventRecord =
                serde_json::from_slice(value.value()).map_err(|e| LedgerError::Corrupt(e.to_string()))?;
            if name.is_none_or(|n| n == event.name) {
                out.push((height, event));
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// A proof of the value under `key` in `contract`'s storage against
    /// the latest state root; `None` if there is no such entry.
    pub fn proof(&self, contract: &Address, key: &[u8]) -> Option<StorageProof> {
        let storage = self.storage.read().unwrap_or_else(PoisonError::into_inner);
        let full = full_key(contract, key);
        let value = storage.get(&full)?.clone();
        let leaf_index = storage.range(..full.clone()).count();
        let leaves: Vec<Hash32> = storage.iter().map(|(k, v)| storage_leaf(k, v)).collect();
        let siblings = merkle_proof(&leaves, leaf_index).iter().map(|h| hex(h)).collect();
        Some(StorageProof {
            contract: hex(contract),
            key: hex(key),
            value: hex(&value),
            leaf_index,
            leaf_count: leaves.len(),
            siblings,
            state_root: hex(&self.state_root),
            height: self.height,
            block_hash: hex(&self.head_hash),
        })
    }

    /// Re-executes every stored block from an empty state in `scratch`
    /// and returns the resulting head: it must equal this chain's.
    pub fn replay_into(&self, scratch: &Path) -> Result<Head, LedgerError> {
        let mut fresh = Chain::open(scratch, &self.chain_id, Arc::clone(&self.vm))?;
        fresh.set_params(self.params);
        for height in 1..=self.height {
            let block = self
                .block(height)?
                .ok_or_else(|| LedgerError::Corrupt(format!("block {height} is missing")))?;
            let mut txs = Vec::new();
            for id in &block.transactions {
                let id: Hash32 =
                    crate::crypto::parse_hex(id).ok_or_else(|| LedgerError::Corrupt("bad id".into()))?;
                txs.push(
                    self.transaction(&id)?
                        .ok_or_else(|| LedgerError::Corrupt("missing transaction".into()))?,
                );
            }
            fresh.apply_block(&txs, block.time)?;
        }
        Ok(fresh.head())
    }
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

fn receipt(
    signed: &SignedTransaction,
    height: u64,
    index: u32,
    contract: &Address,
    method: &str,
    abi: &ContractAbi,
    report: &CallReport,
) -> Receipt {
    let (status, result, error, events) = match &report.outcome {
        Outcome::Success(success) => {
            let events = success
                .events
                .iter()
                .map(|e| EventRecord {
                    contract: hex(contract),
                    index: e.index,
                    name: abi
                        .events
                        .get(e.index as usize)
                        .map_or_else(|| format!("#{}", e.index), |r| r.name.clone()),
                    data: hex(&e.data),
                })
                .collect();
            (Status::Success, Some(hex(&success.result)), None, events)
        }
        Outcome::Aborted(abort) => {
            let data = match abort {
                writ_vm::Abort::ContractAbort { data, .. } => hex(data),
                _ => String::new(),
            };
            let info = ErrorInfo { name: abort_name(abort, abi), message: describe_abort(abort, abi), data };
            (Status::Aborted, None, Some(info), Vec::new())
        }
    };
    Receipt {
        transaction: hex(&signed.tx.id()),
        height,
        index,
        sender: hex(&signed.tx.sender()),
        contract: hex(contract),
        method: method.to_string(),
        status,
        gas_used: report.gas_used,
        result,
        error,
        events,
    }
}
