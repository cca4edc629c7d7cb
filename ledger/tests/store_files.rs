//! What the node does with the files in its data folder: a folder that held
//! a chain never silently becomes a new one, a store of another format or
//! chain is refused with a message that says so, and a damaged store file
//! is refused at open, naming the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use writ_ledger::chain::{Chain, LedgerError};
use writ_ledger::{MARKER_FILE, STORE_FILE, STORE_FORMAT};

fn open(dir: &Path, chain: &str) -> Result<Chain, LedgerError> {
    let vm = writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap();
    Chain::open(dir, chain, Arc::new(vm))
}

/// A chain with a few empty blocks, closed.
fn made(dir: &Path) {
    let mut chain = open(dir, "files").unwrap();
    for n in 1..=3 {
        chain.apply_block(&[], 1_000 + n).unwrap();
    }
}

fn refusal(dir: &Path, chain: &str) -> String {
    match open(dir, chain) {
        Ok(_) => panic!("the store in {} was opened", dir.display()),
        Err(error) => error.to_string(),
    }
}

#[test]
fn an_emptied_or_missing_store_is_never_a_new_chain() {
    for damage in ["truncate", "remove"] {
        let dir = tempfile::tempdir().unwrap();
        made(dir.path());
        let store = dir.path().join(STORE_FILE);
        match damage {
            "truncate" => std::fs::File::create(&store).unwrap().set_len(0).unwrap(),
            _ => std::fs::remove_file(&store).unwrap(),
        }
        let message = refusal(dir.path(), "files");
        assert!(message.contains("lost or truncated"), "{damage}: {message}");
        assert!(message.contains(STORE_FILE) && message.contains(MARKER_FILE), "{damage}: {message}");
        // And it stays refused: nothing was created in its place.
        assert!(refusal(dir.path(), "files").contains("lost or truncated"));
    }
}

#[test]
fn a_cut_store_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    made(dir.path());
    let store = dir.path().join(STORE_FILE);
    let len = std::fs::metadata(&store).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&store).unwrap().set_len(len / 2).unwrap();
    let message = refusal(dir.path(), "files");
    assert!(message.contains(STORE_FILE), "{message}");
}

#[test]
fn another_chain_or_an_older_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    made(dir.path());
    let message = refusal(dir.path(), "another");
    assert!(message.contains("`files`") && message.contains("`another`"), "{message}");

    // A store as format 1 wrote it: a chain id and no format.
    let old = tempfile::tempdir().unwrap();
    {
        let db = redb::Database::create(old.path().join(STORE_FILE)).unwrap();
        let write = db.begin_write().unwrap();
        {
            let mut meta = write.open_table(redb::TableDefinition::<&str, &[u8]>::new("meta")).unwrap();
            meta.insert("chain_id", b"files".as_slice()).unwrap();
        }
        write.commit().unwrap();
    }
    let message = refusal(old.path(), "files");
    let current = format!("format {STORE_FORMAT}");
    assert!(message.contains("format 1") && message.contains(&current), "{message}");

    // A store of the format before this one (3: the tree's values kept
    // by key hash).
    let previous = tempfile::tempdir().unwrap();
    made(previous.path());
    {
        let db = redb::Database::create(previous.path().join(STORE_FILE)).unwrap();
        let write = db.begin_write().unwrap();
        {
            let mut meta = write.open_table(redb::TableDefinition::<&str, &[u8]>::new("meta")).unwrap();
            meta.insert("format", (STORE_FORMAT - 1).to_be_bytes().as_slice()).unwrap();
        }
        write.commit().unwrap();
    }
    let message = refusal(previous.path(), "files");
    let previous = format!("format {}", STORE_FORMAT - 1);
    assert!(message.contains(&previous) && message.contains(&current), "{message}");
}

#[test]
fn a_store_reopens_at_its_head_with_its_marker() {
    let dir = tempfile::tempdir().unwrap();
    made(dir.path());
    let marker = std::fs::read_to_string(dir.path().join(MARKER_FILE)).unwrap();
    assert!(marker.contains("chain files"), "{marker}");
    let chain = open(dir.path(), "files").unwrap();
    assert_eq!(chain.head().height, 3);
    let check = chain.reader().verify_state().unwrap();
    assert_eq!((check.height, check.entries), (3, 0));
}

#[test]
fn the_gas_bounds_are_the_chains_own() {
    use writ_ledger::params::ChainParams;
    let dir = tempfile::tempdir().unwrap();
    let vm = || Arc::new(writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap());
    let tight = ChainParams::new(1_000_000, 5_000_000).unwrap();
    let chain = Chain::open_with(dir.path(), "files", vm(), 1 << 24, tight).unwrap();
    assert_eq!(chain.params(), tight);
    drop(chain);
    // Reopened with other bounds (the defaults, say), it is refused with
    // the ones it was made with.
    let message = match Chain::open(dir.path(), "files", vm()) {
        Ok(_) => panic!("opened with other gas bounds"),
        Err(error) => error.to_string(),
    };
    assert!(message.contains("--tx-gas 1000000 --block-gas 5000000"), "{message}");
    assert_eq!(Chain::open_with(dir.path(), "files", vm(), 1 << 24, tight).unwrap().params(), tight);
}
