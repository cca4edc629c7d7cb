//! Reading and changing the state: contract storage as the VM reads it
//! during a block (the block's own changes over the last committed
//! snapshot of the store), nonces, contract records, and the tree update
//! that turns a block's changes into its state root.
//!
//! Invariant: a block's changes are one ordered map of state keys
//! (`writ_proof::keys`); the store's state table and the tree receive
//! exactly that map, so the root commits to what execution reads.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, PoisonError, RwLock};

use jmt::storage::TreeUpdateBatch;
use jmt::{JellyfishMerkleTree, KeyHash, Version};
use redb::{ReadOnlyTable, ReadTransaction, WriteTransaction};
use writ_proof::keys::{self, ContractRecord};
use writ_vm::state::{Entry, next_merged};
use writ_vm::{State, StateError};

use crate::chain::LedgerError;
use crate::crypto::{Address, Hash32};
use crate::store::{STATE, store_error};
use crate::tree::{TREE_LEAF_VALUES, TREE_NODES, TreeTables, write_batch};

/// The tree over SHA-256.
pub(crate) type Tree<'a> = JellyfishMerkleTree<'a, TreeTables, sha2::Sha256>;

/// A block's changes so far: state key → new value, `None` for removed.
pub(crate) type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// The state as of a committed snapshot, with a block's pending changes
/// on top (empty for views and reads).
pub(crate) struct Layer {
    pub table: ReadOnlyTable<&'static [u8], &'static [u8]>,
    pub pending: RwLock<Changes>,
}

fn state_failed(error: impl std::fmt::Display) -> StateError {
    StateError { message: error.to_string() }
}

impl Layer {
    pub fn new(read: &ReadTransaction) -> Result<Layer, LedgerError> {
        Ok(Layer {
            table: read.open_table(STATE).map_err(store_error)?,
            pending: RwLock::new(Changes::new()),
        })
    }

    /// The value under a state key.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        let pending = self.pending.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = pending.get(key) {
            return Ok(value.clone());
        }
        drop(pending);
        Ok(self.table.get(key).map_err(state_failed)?.map(|v| v.value().to_vec()))
    }

    pub fn set(&self, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.pending.write().unwrap_or_else(PoisonError::into_inner).insert(key, value);
    }

    /// The committed table's first entry with `prefix` strictly after
    /// `after` (from the prefix's start when `None`).
    fn table_next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<Entry>, StateError> {
        let lower = match after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        let mut range = self.table.range::<&[u8]>((lower, Bound::Unbounded)).map_err(state_failed)?;
        match range.next() {
            Some(entry) => {
                let (key, value) = entry.map_err(state_failed)?;
                let key = key.value();
                Ok(key.starts_with(prefix).then(|| (key.to_vec(), value.value().to_vec())))
            }
            None => Ok(None),
        }
    }

    /// The next nonce of `account`.
    pub fn nonce(&self, account: &Address) -> Result<u64, LedgerError> {
        match self.get(&keys::nonce(account)).map_err(|e| LedgerError::Store(e.message))? {
            Some(bytes) => <[u8; 8]>::try_from(bytes.as_slice())
                .map(u64::from_be_bytes)
                .map_err(|_| LedgerError::Corrupt("a stored nonce is not 8 bytes".into())),
            None => Ok(0),
        }
    }

    /// The record of the contract at `address`, if one is deployed.
    pub fn contract(&self, address: &Address) -> Result<Option<ContractRecord>, LedgerError> {
        match self.get(&keys::contract(address)).map_err(|e| LedgerError::Store(e.message))? {
            Some(bytes) => ContractRecord::decode(&bytes)
                .map(Some)
                .ok_or_else(|| LedgerError::Corrupt("a stored contract record is malformed".into())),
            None => Ok(None),
        }
    }

    pub fn take_changes(&self) -> Changes {
        std::mem::take(&mut *self.pending.write().unwrap_or_else(PoisonError::into_inner))
    }
}

/// One contract's storage as the VM reads it: keys within the contract,
/// over the layer's state keys.
pub(crate) struct ContractView {
    pub contract: Address,
    pub layer: Arc<Layer>,
}

impl State for ContractView {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        self.layer.get(&keys::storage(&self.contract, key))
    }

    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<Entry>, StateError> {
        let full_prefix = keys::storage(&self.contract, prefix);
        let full_after = after.map(|after| keys::storage(&self.contract, after));
        let pending = self.layer.pending.read().unwrap_or_else(PoisonError::into_inner);
        let (found, _) = next_merged(
            |cursor| self.layer.table_next(&full_prefix, cursor),
            &pending,
            &full_prefix,
            full_after.as_deref(),
        )?;
        // Strip the namespace and the contract: the VM sees its own keys.
        Ok(found.map(|(key, value)| (key.get(21..).unwrap_or(&[]).to_vec(), value)))
    }
}

/// The tree's tables as of a snapshot.
pub(crate) fn tree_tables(read: &ReadTransaction) -> Result<TreeTables, LedgerError> {
    Ok(TreeTables {
        nodes: read.open_table(TREE_NODES).map_err(store_error)?,
        values: read.open_table(TREE_LEAF_VALUES).map_err(store_error)?,
    })
}

fn tree_failed(error: anyhow::Error) -> LedgerError {
    LedgerError::Store(format!("the state tree: {error:#}"))
}

/// The root after applying `changes` at `version` over the tree of
/// `read`, and the tree's new nodes; nothing is written.
pub(crate) fn tree_update(
    read: &ReadTransaction,
    changes: &Changes,
    version: Version,
) -> Result<(Hash32, TreeUpdateBatch), LedgerError> {
    let tables = tree_tables(read)?;
    let tree = Tree::new(&tables);
    let set = changes.iter().map(|(key, value)| (KeyHash(keys::key_hash(key)), value.clone()));
    let (root, batch) = tree.put_value_set(set, version).map_err(tree_failed)?;
    Ok((root.0, batch))
}

/// Adds a block's tree nodes and its changes to the state table in `write`.
pub(crate) fn write_state(
    write: &WriteTransaction,
    batch: &TreeUpdateBatch,
    changes: &Changes,
) -> Result<(), LedgerError> {
    write_batch(write, batch).map_err(tree_failed)?;
    let mut table = write.open_table(STATE).map_err(store_error)?;
    for (key, value) in changes {
        match value {
            Some(value) => table.insert(&key[..], &value[..]).map_err(store_error)?,
            None => table.remove(&key[..]).map_err(store_error)?,
        };
    }
    Ok(())
}

/// Writes the empty tree at version 0 and returns its root.
pub(crate) fn genesis_tree(write: &WriteTransaction) -> Result<Hash32, LedgerError> {
    // The tree reader needs committed tables; at genesis there is nothing
    // to read, so an empty in-memory reader stands in.
    let empty = EmptyTree;
    let tree = JellyfishMerkleTree::<EmptyTree, sha2::Sha256>::new(&empty);
    let (root, batch) =
        tree.put_value_set(Vec::<(KeyHash, Option<Vec<u8>>)>::new(), 0).map_err(tree_failed)?;
    write_batch(write, &batch).map_err(tree_failed)?;
    Ok(root.0)
}

pub(crate) struct EmptyTree;

impl jmt::storage::TreeReader for EmptyTree {
    fn get_node_option(&self, _: &jmt::storage::NodeKey) -> anyhow::Result<Option<jmt::storage::Node>> {
        Ok(None)
    }

    fn get_value_option(&self, _: Version, _: KeyHash) -> anyhow::Result<Option<jmt::OwnedValue>> {
        Ok(None)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(jmt::storage::NodeKey, jmt::storage::LeafNode)>> {
        Ok(None)
    }
}
