//! The authenticated state tree (jmt's Jellyfish Merkle Tree) kept in the
//! store's own tables, so a block's tree nodes commit in the same durable
//! write as the block.
//!
//! The tree is versioned by block height: version `h` is the state after
//! block `h` (version 0 is the empty genesis state). Nothing is pruned, so
//! a proof can be made against any block the node has (docs/ledger.md,
//! "Retention").
//!
//! Tables, both keyed by a node key (jmt's Borsh encoding, which begins
//! with the version): `tree_nodes` holds the nodes (likewise encoded) and
//! `tree_leaf_values` the value of every leaf node. A block's writes to
//! both therefore land together at one place in each table, whatever keys
//! it changed; a history keyed by key hash would scatter them over pages
//! all across a table as large as the state (docs/performance.md, "Ledger
//! state at scale"). "The value as of version v" is found by walking the
//! tree of version v down to the key's leaf.

use anyhow::{Context, anyhow};
use jmt::storage::{LeafNode, NibblePath, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, Version};
use redb::{ReadOnlyTable, ReadableTable, TableDefinition, WriteTransaction};

pub(crate) const TREE_NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tree_nodes");
pub(crate) const TREE_LEAF_VALUES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tree_leaf_values");

/// The tree as of a committed read snapshot of the store.
pub(crate) struct TreeTables {
    pub nodes: ReadOnlyTable<&'static [u8], &'static [u8]>,
    pub values: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

fn read_node(
    nodes: &impl ReadableTable<&'static [u8], &'static [u8]>,
    key: &NodeKey,
) -> anyhow::Result<Option<Node>> {
    let key = borsh::to_vec(key)?;
    match nodes.get(&key[..])? {
        Some(bytes) => Ok(Some(borsh::from_slice(bytes.value())?)),
        None => Ok(None),
    }
}

/// The key of the root node of `version`. jmt makes it only inside the
/// crate; its encoding is the version and an empty nibble path.
fn root_key(version: Version) -> anyhow::Result<NodeKey> {
    let mut bytes = Vec::with_capacity(20);
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&0u64.to_le_bytes()); // no nibbles
    bytes.extend_from_slice(&0u32.to_le_bytes()); // no path bytes
    Ok(borsh::from_slice(&bytes)?)
}

/// The nibble of `key_hash` at `depth` (two per byte, high first).
fn nibble(key_hash: &KeyHash, depth: usize) -> Option<u8> {
    let byte = key_hash.0.get(depth / 2)?;
    Some(if depth.is_multiple_of(2) { byte >> 4 } else { byte & 0x0f })
}

/// The key of the leaf holding `key_hash` in the tree of `version`, or
/// `None` when the key is absent from it.
fn leaf_key(
    nodes: &impl ReadableTable<&'static [u8], &'static [u8]>,
    version: Version,
    key_hash: &KeyHash,
) -> anyhow::Result<Option<NodeKey>> {
    let mut key = root_key(version)?;
    for depth in 0..=64 {
        let Some(node) = read_node(nodes, &key)? else {
            return match depth {
                0 => Ok(None),
                _ => Err(anyhow!("a node of the tree of version {version} is missing")),
            };
        };
        match node {
            Node::Null => return Ok(None),
            Node::Leaf(leaf) => return Ok((leaf.key_hash() == *key_hash).then_some(key)),
            Node::Internal(internal) => {
                let wanted = nibble(key_hash, depth).context("the tree is deeper than a key hash")?;
                let Some((found, child)) = internal.children_sorted().find(|(n, _)| u8::from(*n) == wanted)
                else {
                    return Ok(None);
                };
                let path: NibblePath = key.nibble_path().nibbles().chain(std::iter::once(found)).collect();
                key = NodeKey::new(child.version, path);
            }
        }
    }
    Err(anyhow!("the tree is deeper than a key hash"))
}

fn read_leaf_value(
    values: &impl ReadableTable<&'static [u8], &'static [u8]>,
    key: &NodeKey,
) -> anyhow::Result<OwnedValue> {
    let value = values.get(&borsh::to_vec(key)?[..])?;
    Ok(value.context("a leaf of the state tree has no value")?.value().to_vec())
}

impl TreeReader for TreeTables {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        read_node(&self.nodes, node_key)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        match leaf_key(&self.nodes, max_version, &key_hash)? {
            Some(leaf) => Ok(Some(read_leaf_value(&self.values, &leaf)?)),
            None => Ok(None),
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // jmt asks for this only when restoring a tree from chunks or
        // appending to a version in place; this store does neither, and
        // an honest refusal beats a wrong answer if that ever changes.
        Err(anyhow!("the state store does not restore trees from chunks"))
    }
}

/// Adds a block's tree nodes and their leaves' values to its write
/// transaction. Stale nodes are kept: older versions stay provable.
///
/// A new leaf is either a key the block wrote (its value is in the batch)
/// or a key jmt moved up or down the tree because a neighbour came or
/// went; a moved leaf's value is its value in the version before.
pub(crate) fn write_batch(write: &WriteTransaction, batch: &TreeUpdateBatch) -> anyhow::Result<()> {
    let mut nodes = write.open_table(TREE_NODES)?;
    let mut values = write.open_table(TREE_LEAF_VALUES)?;
    let written = batch.node_batch.values();
    for (key, node) in batch.node_batch.nodes() {
        let key_bytes = borsh::to_vec(key)?;
        if let Node::Leaf(leaf) = node {
            let value = match written.get(&(key.version(), leaf.key_hash())) {
                Some(Some(value)) => value.clone(),
                Some(None) => return Err(anyhow!("the tree made a leaf for a removed key")),
                None => {
                    let before = key.version().checked_sub(1).context("a moved leaf at version 0")?;
                    let old = leaf_key(&nodes, before, &leaf.key_hash())?
                        .context("a moved leaf was not in the version before")?;
                    read_leaf_value(&values, &old)?
                }
            };
            values.insert(&key_bytes[..], &value[..])?;
        }
        nodes.insert(&key_bytes[..], &borsh::to_vec(node)?[..])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_root_key_is_the_one_jmt_makes() {
        let tree =
            jmt::JellyfishMerkleTree::<crate::state::EmptyTree, sha2::Sha256>::new(&crate::state::EmptyTree);
        let set = vec![(KeyHash([1; 32]), Some(vec![1])), (KeyHash([2; 32]), Some(vec![2]))];
        let (_, batch) = tree.put_value_set(set, 7).unwrap();
        assert!(batch.node_batch.nodes().contains_key(&root_key(7).unwrap()));
        assert!(!batch.node_batch.nodes().contains_key(&root_key(6).unwrap()));
    }

    #[test]
    fn nibbles_run_high_then_low() {
        let mut hash = [0u8; 32];
        hash[0] = 0xab;
        hash[31] = 0xcd;
        let hash = KeyHash(hash);
        assert_eq!(nibble(&hash, 0), Some(0xa));
        assert_eq!(nibble(&hash, 1), Some(0xb));
        assert_eq!(nibble(&hash, 63), Some(0xd));
        assert_eq!(nibble(&hash, 64), None);
    }
}
