//! The store on disk: one `redb` file (`DATA/chain.redb`) with every table
//! the chain keeps, its format version, and the marker beside it
//! (`DATA/CHAIN`) that says a chain lives in this folder.
//!
//! Invariant: a store is opened only if it is of this format and for this
//! chain. A folder whose marker says it held a chain but whose store is
//! missing or empty is refused, never silently started afresh.

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, TableDefinition};

use crate::chain::LedgerError;
use crate::crypto::Hash32;
use crate::params::ChainParams;

/// The store format this node reads and writes. Format 1 (no tree tables,
/// no marker) was written before the authenticated state tree; format 2
/// before headers carried the gas used and blocks their certificates;
/// format 3 kept the tree's values by key hash and version, not by leaf.
pub const STORE_FORMAT: u32 = 4;

/// The store file inside the data folder.
pub const STORE_FILE: &str = "chain.redb";
/// The marker file inside the data folder.
pub const MARKER_FILE: &str = "CHAIN";

pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Height → the block as JSON (derived data: its hash covers the header).
pub(crate) const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
/// Height ‖ index in the block (8 and 4 bytes, big-endian) → the signed
/// transaction's bytes; likewise its receipt's canonical bytes. Keyed by
/// position, so each block's rows are appended: keyed by id, every block's
/// rows landed on pages all over an ever larger table, and the pages a
/// block rewrote grew with the chain's history.
pub(crate) const TXS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("transactions");
pub(crate) const RECEIPTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("receipts");
/// Transaction id → height ‖ index: small rows, so the one table keyed by
/// a hash stays compact.
pub(crate) const TX_INDEX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("transaction_index");

/// Where a transaction sits: its block's height and its index in it.
pub(crate) fn position(height: u64, index: u32) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(&height.to_be_bytes());
    key[8..].copy_from_slice(&index.to_be_bytes());
    key
}
/// Code hash → module bytes.
pub(crate) const CODE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("code");
/// State key → value: the latest state, for execution and iteration (the
/// tree holds the same entries, authenticated and versioned).
pub(crate) const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
/// Height → the block's commit certificate as the consensus layer encodes
/// it (absent for blocks a single node made alone).
pub(crate) const CERTIFICATES: TableDefinition<u64, &[u8]> = TableDefinition::new("certificates");
/// Contract ++ height ++ transaction index ++ event index → event JSON.
pub(crate) const EVENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("events");

const FORMAT_KEY: &str = "format";
const CHAIN_KEY: &str = "chain_id";
const HEAD_KEY: &str = "head";
/// The chain's gas bounds: transaction ceiling ‖ block limit, 8 bytes each.
const PARAMS_KEY: &str = "params";

pub(crate) fn store_error(error: impl std::fmt::Display) -> LedgerError {
    LedgerError::Store(error.to_string())
}

/// The head as the store records it, in the block's own write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct StoredHead {
    pub height: u64,
    pub hash: Hash32,
    pub time: i64,
    pub state_root: Hash32,
}

impl StoredHead {
    pub fn encode(&self) -> [u8; 80] {
        let mut bytes = [0u8; 80];
        bytes[..8].copy_from_slice(&self.height.to_be_bytes());
        bytes[8..40].copy_from_slice(&self.hash);
        bytes[40..48].copy_from_slice(&self.time.to_be_bytes());
        bytes[48..].copy_from_slice(&self.state_root);
        bytes
    }

    pub fn decode(bytes: &[u8]) -> Option<StoredHead> {
        if bytes.len() != 80 {
            return None;
        }
        Some(StoredHead {
            height: u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?),
            hash: bytes.get(8..40)?.try_into().ok()?,
            time: i64::from_be_bytes(bytes.get(40..48)?.try_into().ok()?),
            state_root: bytes.get(48..)?.try_into().ok()?,
        })
    }
}

/// Reads the head recorded in a snapshot.
pub(crate) fn read_head(read: &redb::ReadTransaction) -> Result<StoredHead, LedgerError> {
    let meta = read.open_table(META).map_err(store_error)?;
    let bytes = meta.get(HEAD_KEY).map_err(store_error)?;
    let bytes = bytes.ok_or_else(|| LedgerError::Corrupt("the store records no head".into()))?;
    StoredHead::decode(bytes.value())
        .ok_or_else(|| LedgerError::Corrupt("the stored head is malformed".into()))
}

pub(crate) fn write_head(write: &redb::WriteTransaction, head: &StoredHead) -> Result<(), LedgerError> {
    let mut meta = write.open_table(META).map_err(store_error)?;
    meta.insert(HEAD_KEY, &head.encode()[..]).map_err(store_error)?;
    Ok(())
}

fn marker_text(chain_id: &str) -> String {
    format!("writ chain store\nformat {STORE_FORMAT}\nchain {chain_id}\n")
}

/// The chain id a marker names, if the marker is one.
fn marker_chain(text: &str) -> Option<&str> {
    text.lines().find_map(|line| line.strip_prefix("chain "))
}

/// Writes the marker durably: a temporary file, synced, renamed.
fn write_marker(dir: &Path, chain_id: &str) -> Result<(), LedgerError> {
    let path = dir.join(MARKER_FILE);
    let temporary = dir.join(format!("{MARKER_FILE}.tmp"));
    let fail = |e: std::io::Error| LedgerError::Store(format!("cannot write {}: {e}", path.display()));
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&temporary).map_err(fail)?;
        file.write_all(marker_text(chain_id).as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)?;
    }
    std::fs::rename(&temporary, &path).map_err(fail)?;
    if let Ok(folder) = std::fs::File::open(dir) {
        // Makes the rename durable; a folder that cannot be synced (some
        // file systems) still has the file, which is what matters.
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Opens (or, in a folder that never held a chain, creates) the store of
/// `chain_id` in `dir`, with a page cache of at most `cache_bytes`.
/// Returns the database and whether it was created now.
pub(crate) fn open(
    dir: &Path,
    chain_id: &str,
    cache_bytes: usize,
    params: ChainParams,
) -> Result<(Arc<Database>, bool), LedgerError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| LedgerError::Store(format!("cannot create the data folder {}: {e}", dir.display())))?;
    let path = dir.join(STORE_FILE);
    let marker_path = dir.join(MARKER_FILE);
    let marker = match std::fs::read(&marker_path) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(LedgerError::Store(format!("cannot read {}: {e}", marker_path.display()))),
    };
    let store_len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if let Some(text) = &marker {
        if store_len == 0 {
            return Err(lost(&marker_path, &path, marker_chain(text).unwrap_or("?")));
        }
        if let Some(found) = marker_chain(text).filter(|found| *found != chain_id) {
            return Err(LedgerError::WrongChain { expected: chain_id.to_string(), found: found.to_string() });
        }
    }
    let db = redb::Builder::new()
        .set_cache_size(cache_bytes)
        .create(&path)
        .map_err(|e| LedgerError::Store(format!("cannot open the store {}: {e}", path.display())))?;
    let stored = stored_identity(&db, &path)?;
    let created = match stored {
        Some((format, found)) => {
            if format != STORE_FORMAT {
                return Err(LedgerError::Format {
                    path: path.clone(),
                    found: format,
                    expected: STORE_FORMAT,
                });
            }
            if found != chain_id {
                return Err(LedgerError::WrongChain { expected: chain_id.to_string(), found });
            }
            let stored = stored_params(&db)?;
            if stored != params {
                return Err(LedgerError::Params {
                    stored_tx: stored.tx_gas_limit_max(),
                    stored_block: stored.block_gas_limit(),
                    given_tx: params.tx_gas_limit_max(),
                    given_block: params.block_gas_limit(),
                });
            }
            false
        }
        None => {
            if let Some(text) = &marker {
                return Err(lost(&marker_path, &path, marker_chain(text).unwrap_or("?")));
            }
            initialise(&db, chain_id, params)?;
            true
        }
    };
    if marker.is_none() {
        write_marker(dir, chain_id)?;
    }
    Ok((Arc::new(db), created))
}

fn lost(marker: &Path, store: &Path, chain: &str) -> LedgerError {
    LedgerError::Lost { marker: marker.to_path_buf(), store: store.to_path_buf(), chain: chain.to_string() }
}

/// The format and chain id a store records, or `None` for a store that
/// holds nothing yet. A store with a chain id but no format is format 1.
fn stored_identity(db: &Database, path: &Path) -> Result<Option<(u32, String)>, LedgerError> {
    let corrupt = |what: &str| LedgerError::Corrupt(format!("{}: {what}", path.display()));
    let read = db.begin_read().map_err(store_error)?;
    let meta = match read.open_table(META) {
        Ok(meta) => meta,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(corrupt(&e.to_string())),
    };
    let chain = meta.get(CHAIN_KEY).map_err(store_error)?.map(|v| v.value().to_vec());
    let format = meta.get(FORMAT_KEY).map_err(store_error)?.map(|v| v.value().to_vec());
    match (chain, format) {
        (None, None) => Ok(None),
        (Some(chain), None) => Ok(Some((1, String::from_utf8_lossy(&chain).into_owned()))),
        (Some(chain), Some(format)) => {
            let format: [u8; 4] =
                format.as_slice().try_into().map_err(|_| corrupt("the store format is malformed"))?;
            Ok(Some((u32::from_be_bytes(format), String::from_utf8_lossy(&chain).into_owned())))
        }
        (None, Some(_)) => Err(corrupt("the store records a format but no chain")),
    }
}

/// The gas bounds the chain was created with.
fn stored_params(db: &Database) -> Result<ChainParams, LedgerError> {
    let corrupt = |what: &str| LedgerError::Corrupt(format!("the chain's parameters {what}"));
    let read = db.begin_read().map_err(store_error)?;
    let meta = read.open_table(META).map_err(store_error)?;
    let bytes = meta.get(PARAMS_KEY).map_err(store_error)?.ok_or_else(|| corrupt("are missing"))?;
    let bytes = bytes.value();
    let number = |range: std::ops::Range<usize>| {
        bytes.get(range).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes)
    };
    match (bytes.len(), number(0..8), number(8..16)) {
        (16, Some(tx), Some(block)) => {
            ChainParams::new(tx, block).map_err(|e| corrupt(&format!("do not hold: {e}")))
        }
        _ => Err(corrupt("are malformed")),
    }
}

/// Writes a new store's identity, every table, the genesis head and the
/// empty tree at version 0, in one write.
pub(crate) fn initialise(db: &Database, chain_id: &str, params: ChainParams) -> Result<(), LedgerError> {
    let write = db.begin_write().map_err(store_error)?;
    {
        let mut meta = write.open_table(META).map_err(store_error)?;
        meta.insert(CHAIN_KEY, chain_id.as_bytes()).map_err(store_error)?;
        meta.insert(FORMAT_KEY, &STORE_FORMAT.to_be_bytes()[..]).map_err(store_error)?;
        let mut bounds = params.tx_gas_limit_max().to_be_bytes().to_vec();
        bounds.extend_from_slice(&params.block_gas_limit().to_be_bytes());
        meta.insert(PARAMS_KEY, &bounds[..]).map_err(store_error)?;
    }
    // Create every table so that readers never meet a missing one.
    write.open_table(BLOCKS).map_err(store_error)?;
    write.open_table(TXS).map_err(store_error)?;
    write.open_table(RECEIPTS).map_err(store_error)?;
    write.open_table(TX_INDEX).map_err(store_error)?;
    write.open_table(CODE).map_err(store_error)?;
    write.open_table(STATE).map_err(store_error)?;
    write.open_table(EVENTS).map_err(store_error)?;
    write.open_table(crate::tree::TREE_NODES).map_err(store_error)?;
    write.open_table(crate::tree::TREE_LEAF_VALUES).map_err(store_error)?;
    let genesis = crate::state::genesis_tree(&write)?;
    write_head(&write, &StoredHead { state_root: genesis, ..StoredHead::default() })?;
    write.commit().map_err(store_error)
}
