//! Contract storage as the VM sees it: the `State` a call reads (the ledger
//! and the test runner implement it; `MemoryState` ships here) and the
//! per-call `Overlay` that holds the call's writes until it ends.
//!
//! Invariant: iteration is in ascending byte order of keys, over the overlay
//! merged with the state, so every node sees the same sequence.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use crate::outcome::Write;

/// The state store failed (an I/O or corruption problem of the node, not
/// of the transaction). The call is abandoned and the error returned to
/// the node; nothing of it goes into a receipt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state store failed: {message}")]
pub struct StateError {
    pub message: String,
}

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// One contract's storage, read-only, as of the start of a call.
pub trait State: Send + Sync {
    /// The value stored under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError>;

    /// The first entry whose key starts with `prefix` and sorts strictly
    /// after `after` (or, with `after` `None`, the first with the prefix).
    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<Entry>, StateError>;
}

/// A `State` kept in memory: tests, the test runner, tools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryState {
    pub entries: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemoryState {
    pub fn new() -> MemoryState {
        MemoryState::default()
    }

    /// Applies a successful call's writes.
    pub fn apply(&mut self, writes: &[Write]) {
        for write in writes {
            match &write.value {
                Some(value) => {
                    self.entries.insert(write.key.clone(), value.clone());
                }
                None => {
                    self.entries.remove(&write.key);
                }
            }
        }
    }
}

impl State for MemoryState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.entries.get(key).cloned())
    }

    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<Entry>, StateError> {
        Ok(first_after(&self.entries, prefix, after).map(|(key, value)| (key.clone(), value.clone())))
    }
}

/// The first entry of `map` with `prefix` strictly after `after`.
fn first_after<'a, V>(
    map: &'a BTreeMap<Vec<u8>, V>,
    prefix: &[u8],
    after: Option<&[u8]>,
) -> Option<(&'a Vec<u8>, &'a V)> {
    let lower = match after {
        Some(after) if after >= prefix => Bound::Excluded(after),
        _ => Bound::Included(prefix),
    };
    map.range::<[u8], _>((lower, Bound::Unbounded)).next().filter(|(key, _)| key.starts_with(prefix))
}

/// Pending writes over a base: the first live entry with `prefix`
/// strictly after `after`. `base(cursor)` must give the base's first entry
/// with `prefix` strictly after `cursor` (from the prefix's start when
/// `None`). Pending writes win over the base, and a pending removal (`None`)
/// hides the base's entry. Also returns how many removed keys were stepped
/// over. A call's overlay over its state and a block's changes over the
/// store both read through this one merge.
pub fn next_merged(
    mut base: impl FnMut(Option<&[u8]>) -> Result<Option<Entry>, StateError>,
    writes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    prefix: &[u8],
    after: Option<&[u8]>,
) -> Result<(Option<Entry>, u64), StateError> {
    let mut cursor: Option<Vec<u8>> = after.map(<[u8]>::to_vec);
    let mut skipped = 0u64;
    loop {
        let from_base = base(cursor.as_deref())?;
        let from_writes = first_after(writes, prefix, cursor.as_deref());
        let pending_first = match (&from_base, from_writes) {
            (_, None) => return Ok((from_base, skipped)),
            (None, Some(entry)) => entry,
            (Some((base_key, _)), Some(entry)) if entry.0 <= base_key => entry,
            (Some(_), Some(_)) => return Ok((from_base, skipped)),
        };
        match pending_first {
            (key, Some(value)) => return Ok((Some((key.clone(), value.clone())), skipped)),
            (key, None) => {
                skipped += 1;
                cursor = Some(key.clone());
            }
        }
    }
}

/// A call's pending writes over the state it reads.
pub(crate) struct Overlay {
    pub state: Arc<dyn State>,
    /// `None` marks a removed key.
    pub writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Overlay {
    pub fn new(state: Arc<dyn State>) -> Overlay {
        Overlay { state, writes: BTreeMap::new() }
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        match self.writes.get(key) {
            Some(value) => Ok(value.clone()),
            None => self.state.get(key),
        }
    }

    /// The first live entry with `prefix` after `after`, merging the
    /// overlay with the state (see [`next_merged`]), and how many removed
    /// keys were stepped over, so the caller can charge for them.
    pub fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<(Option<Entry>, u64), StateError> {
        next_merged(|cursor| self.state.next(prefix, cursor), &self.writes, prefix, after)
    }

    pub fn take_writes(&mut self) -> Vec<Write> {
        std::mem::take(&mut self.writes).into_iter().map(|(key, value)| Write { key, value }).collect()
    }
}
