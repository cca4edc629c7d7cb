//! The authenticated store against a `BTreeMap` model: random blocks of
//! writes and removals, some of them dropped before their commit (a crash
//! mid-write) and restarts at random points. After every step the store's
//! reads, its iteration order and its root agree with the model, the root
//! equals that of a tree built in one go from the model's contents (the
//! tree's shape depends only on what it holds, not on its history), and
//! proofs of present and absent keys hold against it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use jmt::KeyHash;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use redb::{Database, ReadableDatabase};
use writ_proof::keys;
use writ_proof::{Header, StateProof, Verdict};

use crate::state::{Changes, Layer, Tree, tree_tables, tree_update, write_state};
use crate::store::{self, StoredHead};

#[derive(Debug, Clone)]
enum Step {
    /// A block's changes, committed.
    Block(Vec<(u8, Option<Vec<u8>>)>),
    /// A block's changes, written but dropped before the commit.
    Crash(Vec<(u8, Option<Vec<u8>>)>),
    /// Close the store and open it again.
    Restart,
}

/// Contract storage keys of two contracts, with shared prefixes and
/// lengths from 1 to 4 bytes, so iteration crosses prefixes and removals
/// hit keys that exist.
fn key(n: u8) -> Vec<u8> {
    let contract = [n % 2; 20];
    let local: Vec<u8> = (0..1 + n % 4).map(|i| n.wrapping_mul(7).wrapping_add(i) % 5).collect();
    keys::storage(&contract, &local)
}

fn changes() -> impl Strategy<Value = Vec<(u8, Option<Vec<u8>>)>> {
    proptest::collection::vec(
        (0u8..48, proptest::option::weighted(0.7, proptest::collection::vec(any::<u8>(), 0..6))),
        0..12,
    )
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        6 => changes().prop_map(Step::Block),
        2 => changes().prop_map(Step::Crash),
        1 => Just(Step::Restart),
    ];
    proptest::collection::vec(step, 1..24)
}

fn open(dir: &Path) -> Arc<Database> {
    store::open(dir, "model", 1 << 20, crate::params::ChainParams::DEFAULT).unwrap().0
}

/// Applies `changes` as block `height` of `db`; commits only if asked.
fn write_block(db: &Database, changes: &Changes, height: u64, commit: bool) -> [u8; 32] {
    let read = db.begin_read().unwrap();
    let write = db.begin_write().unwrap();
    let (root, batch) = tree_update(&read, changes, height).unwrap();
    write_state(&write, &batch, changes).unwrap();
    store::write_head(&write, &StoredHead { height, state_root: root, ..StoredHead::default() }).unwrap();
    if commit {
        write.commit().unwrap();
    } else {
        // Dropped uncommitted, as a crash would leave it.
        drop(write);
    }
    root
}

/// The root of a tree that received the model's contents in one block.
/// What a committed block does to the model.
fn apply(model: &mut BTreeMap<Vec<u8>, Vec<u8>>, changes: Changes) {
    for (k, v) in changes {
        match v {
            Some(v) => model.insert(k, v),
            None => model.remove(&k),
        };
    }
}

fn one_shot_root(model: &BTreeMap<Vec<u8>, Vec<u8>>) -> [u8; 32] {
    let db = redb::Builder::new().create_with_backend(redb::backends::InMemoryBackend::new()).unwrap();
    store::initialise(&db, "model", crate::params::ChainParams::DEFAULT).unwrap();
    let changes: Changes = model.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
    write_block(&db, &changes, 1, true)
}

fn check(db: &Database, model: &BTreeMap<Vec<u8>, Vec<u8>>, height: u64) {
    let read = db.begin_read().unwrap();
    let head = store::read_head(&read).unwrap();
    assert_eq!(head.height, height);
    let layer = Layer::new(&read).unwrap();
    for n in 0..48u8 {
        assert_eq!(layer.get(&key(n)).unwrap().as_ref(), model.get(&key(n)), "key {n}");
    }
    // Iteration in key order over each contract, as the VM walks a map.
    for contract in 0..2u8 {
        let view = crate::state::ContractView {
            contract: [contract; 20],
            layer: Arc::new(Layer::new(&read).unwrap()),
        };
        let mut walked = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        while let Some((local, value)) = writ_vm::State::next(&view, &[], after.as_deref()).unwrap() {
            walked.push((keys::storage(&[contract; 20], &local), value));
            after = Some(local);
        }
        let expected: Vec<(Vec<u8>, Vec<u8>)> = model
            .iter()
            .filter(|(k, _)| k.get(1..21) == Some(&[contract; 20][..]))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(walked, expected);
    }
    let tables = tree_tables(&read).unwrap();
    let tree = Tree::new(&tables);
    let root = tree.get_root_hash(height).unwrap().0;
    assert_eq!(root, head.state_root);
    assert_eq!(root, one_shot_root(model), "the root depends on history");
    // Proofs of every key's presence or absence hold, and nothing else does.
    let header = Header {
        height,
        parent: [0; 32],
        time: 0,
        tx_root: [0; 32],
        receipts_root: [0; 32],
        state_root: root,
        gas_used: 0,
    };
    for n in 0..48u8 {
        let contract = [n % 2; 20];
        let full = key(n);
        let local = &full[21..];
        let (value, proof) = tree.get_with_proof(KeyHash(keys::key_hash(&full)), height).unwrap();
        assert_eq!(value.as_ref(), model.get(&full));
        let document = StateProof::new(&contract, local, value.as_deref(), &header, &proof).unwrap();
        let verdict = document.verify().unwrap();
        match model.get(&full) {
            Some(v) => assert_eq!(verdict, Verdict::Present(v.clone())),
            None => assert_eq!(verdict, Verdict::Absent),
        }
        // Presence passed off as absence, or absence as presence.
        let mut lie = document.clone();
        lie.value = match &document.value {
            Some(_) => None,
            None => Some("00".to_string()),
        };
        assert!(lie.verify().is_err(), "a lie about key {n} verified");
    }
}

/// Every earlier block's state reads as it was: the value of each key as
/// of each height (what a proof against an old block carries), including
/// keys the tree moved when neighbours came and went.
fn check_history(db: &Database, history: &[BTreeMap<Vec<u8>, Vec<u8>>]) {
    let read = db.begin_read().unwrap();
    let tables = tree_tables(&read).unwrap();
    let tree = Tree::new(&tables);
    for (height, model) in history.iter().enumerate().skip(1) {
        for n in 0..48u8 {
            let full = key(n);
            let value = tree.get(KeyHash(keys::key_hash(&full)), height as u64).unwrap();
            assert_eq!(value.as_ref(), model.get(&full), "key {n} at height {height}");
        }
    }
}

fn run(steps: Vec<Step>) {
    let dir = tempfile::tempdir().unwrap();
    let mut db = open(dir.path());
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut height = 0u64;
    let mut history = vec![model.clone()];
    check(&db, &model, height);
    for step in steps {
        match step {
            Step::Block(list) | Step::Crash(list) if list.is_empty() => {}
            Step::Block(list) => {
                let changes: Changes = list.into_iter().map(|(n, v)| (key(n), v)).collect();
                height += 1;
                write_block(&db, &changes, height, true);
                apply(&mut model, changes);
                history.push(model.clone());
            }
            Step::Crash(list) => {
                let changes: Changes = list.into_iter().map(|(n, v)| (key(n), v)).collect();
                write_block(&db, &changes, height + 1, false);
                // A crash loses the process too: reopen from the file.
                drop(db);
                db = open(dir.path());
            }
            Step::Restart => {
                drop(db);
                db = open(dir.path());
            }
        }
        check(&db, &model, height);
        check_history(&db, &history);
    }
}

proptest! {
    #![proptest_config(Config { cases: 32, rng_seed: RngSeed::Fixed(0x5717_e000), failure_persistence: None, ..Config::default() })]

    #[test]
    fn the_store_agrees_with_a_model_through_crashes_and_restarts(steps in steps()) {
        run(steps);
    }
}

/// One block's writes: key number → new value, `None` for removed.
type Writes<'a> = &'a [(u8, Option<Vec<u8>>)];

/// Leaves the tree re-creates without a write keep their values: a lone
/// key at the root copied into an empty block's version, then pushed down
/// when a second key arrives, then lifted back to the root when that key
/// goes; every version reads as it was.
#[test]
fn moved_and_copied_leaves_keep_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let steps: [Writes<'_>; 5] = [&[(1, Some(vec![7]))], &[], &[(2, Some(vec![8]))], &[(2, None)], &[]];
    let mut model = BTreeMap::new();
    let mut history = vec![model.clone()];
    for (height, step) in (1u64..).zip(steps) {
        let changes: Changes = step.iter().map(|(n, v)| (key(*n), v.clone())).collect();
        write_block(&db, &changes, height, true);
        apply(&mut model, changes);
        history.push(model.clone());
        check(&db, &model, height);
        check_history(&db, &history);
    }
}

/// A flipped byte anywhere in a proof's tree bytes, or the proof checked
/// against another block's root, is refused.
#[test]
fn tampered_proofs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut changes = Changes::new();
    for n in 0..40u8 {
        changes.insert(key(n), Some(vec![n; 3]));
    }
    let root = write_block(&db, &changes, 1, true);
    let read = db.begin_read().unwrap();
    let tables = tree_tables(&read).unwrap();
    let tree = Tree::new(&tables);
    let header = Header {
        height: 1,
        parent: [0; 32],
        time: 0,
        tx_root: [0; 32],
        receipts_root: [0; 32],
        state_root: root,
        gas_used: 0,
    };
    let absent = keys::storage(&[9; 20], b"nobody");
    for full in [key(3), key(17), absent] {
        let (value, proof) = tree.get_with_proof(KeyHash(keys::key_hash(&full)), 1).unwrap();
        let document =
            StateProof::new(&full[1..21].try_into().unwrap(), &full[21..], value.as_deref(), &header, &proof)
                .unwrap();
        assert!(document.verify().is_ok());
        let bytes = hex::decode(&document.proof).unwrap();
        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x01;
            let mut tampered = document.clone();
            tampered.proof = hex::encode(&flipped);
            assert!(tampered.verify().is_err(), "a flip at byte {at} of {} verified", bytes.len());
        }
        let mut other = header;
        other.state_root[0] ^= 1;
        let moved =
            StateProof::new(&full[1..21].try_into().unwrap(), &full[21..], value.as_deref(), &other, &proof)
                .unwrap();
        assert!(moved.verify().is_err(), "a proof held against another root");
    }
}
