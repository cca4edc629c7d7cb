//! The authenticated state tree (jmt's Jellyfish Merkle Tree) kept in the
//! store's own tables, so a block's tree nodes commit in the same durable
//! write as the block.
//!
//! The tree is versioned by block height: version `h` is the state after
//! block `h` (version 0 is the empty genesis state). Nothing is pruned, so
//! a proof can be made against any block the node has (docs/ledger.md,
//! "Retention").
//!
//! Tables: `tree_nodes` maps a node key (jmt's Borsh encoding) to the node
//! (likewise); `tree_values` maps key hash ‖ version (8 bytes big-endian)
//! to `01` ‖ value, or `00` where the key was removed at that version, so
//! "the value as of version v" is one backward range step.

use anyhow::anyhow;
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, Version};
use redb::{ReadOnlyTable, TableDefinition, WriteTransaction};

pub(crate) const TREE_NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tree_nodes");
pub(crate) const TREE_VALUES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tree_values");

/// The tree as of a committed read snapshot of the store.
pub(crate) struct TreeTables {
    pub nodes: ReadOnlyTable<&'static [u8], &'static [u8]>,
    pub values: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

fn value_key(key_hash: &KeyHash, version: Version) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..32].copy_from_slice(&key_hash.0);
    key[32..].copy_from_slice(&version.to_be_bytes());
    key
}

impl TreeReader for TreeTables {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = borsh::to_vec(node_key)?;
        match self.nodes.get(&key[..])? {
            Some(bytes) => Ok(Some(borsh::from_slice(bytes.value())?)),
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let low = value_key(&key_hash, 0);
        let high = value_key(&key_hash, max_version);
        let Some(entry) = self.values.range(&low[..]..=&high[..])?.next_back() else { return Ok(None) };
        let (_, value) = entry?;
        match value.value().split_first() {
            Some((1, bytes)) => Ok(Some(bytes.to_vec())),
            Some((0, [])) => Ok(None),
            _ => Err(anyhow!("a tree value record is malformed")),
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // jmt asks for this only when restoring a tree from chunks or
        // appending to a version in place; this store does neither, and
        // an honest refusal beats a wrong answer if that ever changes.
        Err(anyhow!("the state store does not restore trees from chunks"))
    }
}

/// Adds a block's tree nodes and value versions to its write transaction.
/// Stale nodes are kept: older versions stay provable.
pub(crate) fn write_batch(write: &WriteTransaction, batch: &TreeUpdateBatch) -> anyhow::Result<()> {
    let mut nodes = write.open_table(TREE_NODES)?;
    for (key, node) in batch.node_batch.nodes() {
        nodes.insert(&borsh::to_vec(key)?[..], &borsh::to_vec(node)?[..])?;
    }
    let mut values = write.open_table(TREE_VALUES)?;
    for ((version, key_hash), value) in batch.node_batch.values() {
        let record = match value {
            Some(value) => {
                let mut record = Vec::with_capacity(1 + value.len());
                record.push(1);
                record.extend_from_slice(value);
                record
            }
            None => vec![0],
        };
        values.insert(&value_key(key_hash, *version)[..], &record[..])?;
    }
    Ok(())
}
