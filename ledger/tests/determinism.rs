//! Determinism of the chain at the library level: two chains, each in its
//! own store with its own VM, given the same signed transactions in the
//! same blocks at the same times, make identical blocks (hashes),
//! receipts and state roots; re-executing a chain from genesis
//! (`replay_into`) reaches the same head; a chain reopened from its folder
//! has the same head and answers every query the same way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{account, address_json, args, escrow, key, token};
use ed25519_dalek::SigningKey;
use serde_json::{Value as Json, json};
use writ_ledger::block::Block;
use writ_ledger::chain::Chain;
use writ_ledger::crypto::{Address, contract_address};
use writ_ledger::receipt::{Receipt, Status};
use writ_ledger::tx::{Payload, SignedTransaction, Transaction};

const CHAIN: &str = "determinism";
const GAS: u64 = 10_000_000;
const START: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn open(dir: &Path) -> Chain {
    common::open(dir, CHAIN)
}

/// Builds the signed transactions of a scripted run: deployments, mints,
/// transfers (some overdrawn, so aborted), a co-signed one, and a few the
/// block leaves out (a gapped nonce, another chain's).
struct Script {
    code: Vec<u8>,
    nonces: std::collections::HashMap<u8, u64>,
    seed: u64,
}

impl Script {
    fn new() -> Script {
        Script { code: token(), nonces: Default::default(), seed: 0x2545_f491_4f6c_dd1d }
    }

    fn random(&mut self, below: u64) -> u64 {
        // xorshift64*: the same sequence on every run.
        self.seed ^= self.seed >> 12;
        self.seed ^= self.seed << 25;
        self.seed ^= self.seed >> 27;
        self.seed.wrapping_mul(0x2545_f491_4f6c_dd1d) % below
    }

    fn tx(&mut self, signer: u8, cosigners: &[u8], payload: Payload) -> SignedTransaction {
        let nonce = self.nonces.entry(signer).or_insert(0);
        let tx = Transaction {
            chain_id: CHAIN.into(),
            signer: key(signer).verifying_key().to_bytes(),
            nonce: *nonce,
            gas_limit: GAS,
            cosigners: cosigners.iter().map(|n| key(*n).verifying_key().to_bytes()).collect(),
            payload,
        };
        *nonce += 1;
        let keys: Vec<SigningKey> = cosigners.iter().map(|n| key(*n)).collect();
        tx.sign(&key(signer), &keys.iter().collect::<Vec<_>>())
    }

    fn call(&mut self, signer: u8, contract: Address, method: &str, values: Json) -> SignedTransaction {
        let args = args(&self.code, method, &values);
        self.tx(signer, &[], Payload::Call { contract, method: method.into(), args })
    }

    /// A call to the escrow, which calls the token.
    fn escrow_call(&mut self, signer: u8, method: &str, values: Json) -> SignedTransaction {
        let args = args(&escrow(), method, &values);
        let contract = contract_address(&account(7), 0);
        self.tx(signer, &[], Payload::Call { contract, method: method.into(), args })
    }

    /// The blocks of the run, in order.
    fn blocks(&mut self) -> Vec<Vec<SignedTransaction>> {
        let first = contract_address(&account(1), 0);
        let second = contract_address(&account(2), 0);
        let init = args(&self.code, "init", &json!([]));
        let mut blocks = vec![vec![
            self.tx(1, &[], Payload::Deploy { code: self.code.clone(), args: init.clone() }),
            self.tx(2, &[], Payload::Deploy { code: self.code.clone(), args: init }),
        ]];
        // Account 7 deploys an escrow over the first token, which it funds;
        // every account has credit there.
        let escrow_init = args(&escrow(), "init", &json!([address_json(&first)]));
        let escrow_address = contract_address(&account(7), 0);
        let mut mints = vec![self.tx(7, &[], Payload::Deploy { code: escrow(), args: escrow_init })];
        mints.push(self.call(1, first, "mint", json!([address_json(&escrow_address), "900"])));
        for n in 1..=6u8 {
            mints.push(self.call(1, first, "mint", json!([address_json(&account(n)), "1000"])));
            mints.push(self.call(2, second, "mint", json!([address_json(&account(n)), "50"])));
            mints.push(self.escrow_call(7, "credit", json!([address_json(&account(n)), "250"])));
        }
        blocks.push(mints);
        for _ in 0..8 {
            let mut block = Vec::new();
            for _ in 0..12 {
                let from = 1 + self.random(6) as u8;
                let to = 1 + self.random(6) as u8;
                let amount = self.random(400).to_string();
                // Some releases from the escrow: a call between contracts
                // that succeeds, fails in the escrow, or fails in the token
                // once the escrow's tokens run out (undoing the escrow's
                // writes with it).
                if self.random(4) == 0 {
                    let amount = self.random(120).to_string();
                    block.push(self.escrow_call(from, "release", json!([amount])));
                    continue;
                }
                let contract = if self.random(3) == 0 { second } else { first };
                block.push(self.call(from, contract, "send", json!([address_json(&account(to)), amount])));
            }
            blocks.push(block);
        }
        // Co-signed, and transactions a block leaves out: a gapped nonce
        // and another chain's (admission would refuse them; execution
        // skips them the same way everywhere).
        let send = args(&self.code, "send", &json!([address_json(&account(4)), "1"]));
        let cosigned =
            self.tx(3, &[4, 5], Payload::Call { contract: first, method: "send".into(), args: send });
        let mut gapped = self.call(6, first, "send", json!([address_json(&account(1)), "1"]));
        gapped.tx.nonce += 5;
        let mut foreign = self.call(5, first, "send", json!([address_json(&account(1)), "1"]));
        foreign.tx.chain_id = "elsewhere".into();
        blocks.push(vec![
            cosigned,
            gapped,
            foreign,
            self.call(1, first, "mint", json!([address_json(&account(1)), "1"])),
        ]);
        blocks
    }
}

fn time_of(height: usize) -> i64 {
    START + 5 * height as i64
}

fn run(chain: &mut Chain, blocks: &[Vec<SignedTransaction>]) -> Vec<(Block, Vec<Receipt>)> {
    blocks.iter().enumerate().map(|(i, txs)| chain.apply_block(txs, time_of(i + 1)).unwrap()).collect()
}

fn balance(chain: &Chain, contract: &Address, who: &Address) -> Vec<u8> {
    let code = token();
    let args = args(&code, "balance", &json!([address_json(who)]));
    match chain.reader().view(contract, "balance", &args, [0; 20]).unwrap().outcome {
        writ_vm::Outcome::Success(success) => success.result,
        writ_vm::Outcome::Aborted(abort) => panic!("balance aborted: {abort:?}"),
    }
}

// Same transactions, same blocks, same times: same everything, block by
// block, on two stores with two VMs.
#[test]
fn two_chains_make_identical_blocks_receipts_and_roots() {
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = (open(a_dir.path()), open(b_dir.path()));
    let blocks = Script::new().blocks();
    let mut roots = Vec::new();
    for (i, txs) in blocks.iter().enumerate() {
        let made_a = a.apply_block(txs, time_of(i + 1)).unwrap();
        let made_b = b.apply_block(txs, time_of(i + 1)).unwrap();
        assert_eq!(made_a, made_b, "block {}", i + 1);
        assert_eq!(a.head(), b.head());
        assert_eq!(made_a.0.state_root, a.head().state_root);
        roots.push(made_a.0.state_root.clone());
    }
    // The run did what it should: every block moved the state, some calls
    // aborted, the skipped transactions are not in the last block.
    roots.dedup();
    assert_eq!(roots.len(), blocks.len(), "a block left the state root unchanged");
    let receipts: Vec<Receipt> = (1..=a.head().height)
        .flat_map(|h| a.reader().block(h).unwrap().unwrap().transactions)
        .map(|id| {
            let id = writ_ledger::crypto::parse_hex::<32>(&id).unwrap();
            a.reader().receipt(&id).unwrap().unwrap()
        })
        .collect();
    assert!(receipts.iter().any(|r| r.status() == Status::Aborted));
    assert!(receipts.iter().filter(|r| r.status() == Status::Success).count() > 50);
    // Calls between contracts ran, and both ways of failing happened: in
    // the escrow itself, and in the token it called.
    let escrow_address = contract_address(&account(7), 0);
    let releases: Vec<&Receipt> =
        receipts.iter().filter(|r| r.contract == escrow_address && r.method == "release").collect();
    assert!(releases.iter().any(|r| r.status() == Status::Success && r.events().len() == 2), "paid out");
    assert!(
        releases.iter().any(|r| matches!(
            &r.outcome,
            writ_ledger::receipt::Outcome::Aborted(writ_vm::Abort::Callee { .. })
        )),
        "refused by the token"
    );
    assert!(
        releases.iter().any(|r| matches!(
            &r.outcome,
            writ_ledger::receipt::Outcome::Aborted(writ_vm::Abort::ContractAbort { .. })
        )),
        "refused by the escrow"
    );
    let last = a.reader().block(a.head().height).unwrap().unwrap();
    assert_eq!(last.transactions.len(), 2, "the gapped and foreign transactions are left out");
    // Independent replays from genesis reach the same head.
    for chain in [&a, &b] {
        let scratch = tempfile::tempdir().unwrap();
        assert_eq!(chain.replay_into(scratch.path()).unwrap(), a.head());
    }
    // A different order of the same transactions is a different chain.
    let c_dir = tempfile::tempdir().unwrap();
    let mut c = open(c_dir.path());
    let mut reordered = blocks.clone();
    reordered[3].reverse();
    run(&mut c, &reordered);
    assert_ne!(c.head().hash, a.head().hash);
    // So is the same run at other times.
    let d_dir = tempfile::tempdir().unwrap();
    let mut d = open(d_dir.path());
    for (i, txs) in blocks.iter().enumerate() {
        d.apply_block(txs, time_of(i + 1) + 1).unwrap();
    }
    assert_eq!(d.head().state_root, a.head().state_root, "these contracts do not read the time");
    assert_ne!(d.head().hash, a.head().hash);
}

// A chain reopened from its folder has the same head and gives the same
// answers: blocks, receipts, transactions, nonces, views, events, proofs;
// and it goes on making the same blocks as one that never closed.
#[test]
fn a_reopened_chain_answers_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let twin_dir = tempfile::tempdir().unwrap();
    let mut blocks = Script::new().blocks();
    let tail = blocks.pop().unwrap();
    let first = contract_address(&account(1), 0);
    let second = contract_address(&account(2), 0);
    let snapshot = |chain: &Chain| {
        let head = chain.head();
        assert_eq!(chain.reader().head().unwrap(), head);
        let reader = chain.reader();
        let blocks: Vec<Block> = (1..=head.height).map(|h| reader.block(h).unwrap().unwrap()).collect();
        let mut receipts = Vec::new();
        let mut txs = Vec::new();
        for id in blocks.iter().flat_map(|b| &b.transactions) {
            let id = writ_ledger::crypto::parse_hex::<32>(id).unwrap();
            receipts.push(reader.receipt(&id).unwrap().unwrap());
            txs.push(reader.transaction(&id).unwrap().unwrap());
        }
        let nonces: Vec<u64> = (1..=6).map(|n| reader.next_nonce(&account(n)).unwrap()).collect();
        let balances: Vec<Vec<u8>> = (1..=6)
            .flat_map(|n| [balance(chain, &first, &account(n)), balance(chain, &second, &account(n))])
            .collect();
        let events = reader.events(&first, None, 0, u64::MAX - 1, 1_000).unwrap();
        let sent = reader.events(&second, Some("Sent"), 3, 6, 5).unwrap();
        let mut key = vec![1, 0, 0, 0, 0];
        key.extend_from_slice(&account(3));
        let proof = reader.proof(&first, &key, None).unwrap().unwrap();
        assert!(matches!(proof.verify().unwrap(), writ_proof::Verdict::Present(_)));
        let code_hashes = [first, second].map(|c| reader.contract(&c).unwrap().unwrap().code_hash);
        (head, blocks, receipts, txs, nonces, balances, events, sent, proof, code_hashes)
    };
    let (before, twin_head) = {
        let mut chain = open(dir.path());
        let mut twin = open(twin_dir.path());
        run(&mut chain, &blocks);
        run(&mut twin, &blocks);
        let before = snapshot(&chain);
        assert!(!before.6.is_empty() && !before.7.is_empty());
        // The twin never closes: it makes the next block now.
        twin.apply_block(&tail, time_of(blocks.len() + 1)).unwrap();
        (before, twin.head())
    };
    let mut reopened = open(dir.path());
    let after = snapshot(&reopened);
    assert_eq!(before.0, after.0, "head");
    assert_eq!(before, after);
    // Opened under another chain id, the store is refused.
    drop(reopened);
    let vm = writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap();
    assert!(Chain::open(dir.path(), "another", Arc::new(vm)).is_err());
    reopened = open(dir.path());
    reopened.apply_block(&tail, time_of(blocks.len() + 1)).unwrap();
    assert_eq!(reopened.head(), twin_head);
}
