//! The state at scale (docs/performance.md, "Ledger state at scale"): for
//! each state size, a chain on a fresh store in a temporary folder is
//! filled with that many storage entries, then runs token transfers in
//! blocks (one warm-up block, then three timed rounds of TRANSFERS);
//! prints committed transfers per second in the best round and the ratio
//! to the smallest size, per-block commit time, the process's memory, the time
//! to open the store again, the store's size, and the size and checking
//! time of proofs of present and absent keys.
//!
//!   cargo run --release -p writ-ledger --example state_scale -- \
//!       [--entries 1000,100000,1000000] [--transfers 50000] [--accounts 1000] \
//!       [--block-txs 10000] [--cache-mib 64]
//!
//! The chain runs in this process (no HTTP): the figures are the state's
//! and the executor's, which is what grows with the state. `scripts/
//! bench-node.sh` measures the node with its API and mempool.
// A benchmark of fixed inputs it makes itself (contracts compiled from
// source in this file, keys from fixed seeds): an unwrap failing here is a
// defect of the ledger under measurement, and stopping with it is right.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The node's allocator (see the workspace Cargo.toml), so the figures
/// are the node's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use serde_json::{Value as Json, json};
use writ_ledger::chain::Chain;
use writ_ledger::crypto::{Address, address_of, contract_address, hex};
use writ_ledger::tx::{Payload, SignedTransaction, Transaction};

const CHAIN: &str = "scale";
/// Gas of deployments and fills: the default per-transaction ceiling.
const GAS: u64 = writ_ledger::limits::TX_GAS_LIMIT_MAX_DEFAULT;
/// Gas of mints and transfers, which use a few thousand: blocks pack by
/// declared gas, so this lets a block of the default gas hold 10 000.
const TRANSFER_GAS: u64 = 400_000;
/// Rounds of TRANSFERS timed at each size; the best round is reported.
/// This machine shares its host: whole runs drift by a fifth when the
/// neighbours are busy, and the best of three is what repeats.
const ROUNDS: u64 = 3;
const TOKEN: &str = include_str!("../../runner/tests/exec/pass/token.writ");
/// Entries one fill transaction writes.
const FILL_PER_TX: u64 = 2_000;
const FILLER: &str = "contract Filler {
    storage {
        entries: Map<u64, u64>,
    }

    pub fn fill(from: u64, count: u64) {
        for i in from..from + count {
            self.entries[i] = i;
        }
    }
}
";

fn compile(name: &str, source: &str) -> Vec<u8> {
    let analysis = writ_compiler::Analysis::single("bench.writ", source);
    let output = writ_compiler::codegen::build_file(&analysis, writ_compiler::FileId(0));
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    output.artifacts.into_iter().find(|a| a.contract == name).expect("the contract compiles").wasm
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn key(n: u64) -> SigningKey {
    let mut seed = [7u8; 32];
    seed[..8].copy_from_slice(&n.to_be_bytes());
    SigningKey::from_bytes(&seed)
}

fn address(key: &SigningKey) -> Address {
    address_of(&key.verifying_key().to_bytes())
}

fn encode(code: &[u8], method: &str, values: &Json) -> Vec<u8> {
    let abi = writ_abi::document::read_from_module(code).unwrap();
    let entry = abi.entry(method).unwrap();
    writ_ledger::args::encode_args(&entry.params, values, &abi.types).unwrap()
}

fn sign(key: &SigningKey, nonce: u64, payload: Payload) -> SignedTransaction {
    let gas_limit = match &payload {
        Payload::Call { method, .. } if method == "send" || method == "mint" => TRANSFER_GAS,
        _ => GAS,
    };
    let tx = Transaction {
        chain_id: CHAIN.to_string(),
        signer: key.verifying_key().to_bytes(),
        nonce,
        gas_limit,
        cosigners: Vec::new(),
        payload,
    };
    tx.sign(key, &[])
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn folder_mib(dir: &Path) -> f64 {
    let bytes: u64 = std::fs::read_dir(dir)
        .map(|entries| {
            entries.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
        })
        .unwrap_or(0);
    bytes as f64 / (1024.0 * 1024.0)
}

fn open(dir: &Path, cache_bytes: usize) -> Chain {
    let vm = writ_vm::Vm::new(writ_vm::VmOptions {
        disk_cache: Some(dir.join("compiled")),
        ..writ_vm::VmOptions::in_memory()
    })
    .unwrap();
    Chain::open_with(dir, CHAIN, Arc::new(vm), cache_bytes, writ_ledger::params::ChainParams::DEFAULT)
        .unwrap()
}

struct Figures {
    entries: u64,
    fill: Duration,
    transfers_per_second: f64,
    block_ms: Vec<f64>,
    rss_mib: f64,
    open: Duration,
    store_mib: f64,
    proof_bytes: (usize, usize),
    verify_us: f64,
}

fn run(entries: u64, transfers: u64, accounts: u64, block_txs: usize, cache_bytes: usize) -> Figures {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path(), cache_bytes);
    let deployer = key(u64::MAX);
    let token_code = compile("Token", TOKEN);
    let filler_code = compile("Filler", FILLER);
    let token = contract_address(&address(&deployer), 0);
    let filler = contract_address(&address(&deployer), 1);
    let mut nonce = 0u64;
    let mut next = || {
        nonce += 1;
        nonce - 1
    };
    let mut time = 1_800_000_000i64;
    let mut block = |chain: &mut Chain, txs: &[SignedTransaction]| {
        time += 1;
        let (made, receipts) = chain.apply_block(txs, time).unwrap();
        assert_eq!(receipts.len(), txs.len(), "block {} left transactions out", made.height);
        receipts
    };
    let setup = vec![
        sign(
            &deployer,
            next(),
            Payload::Deploy { code: token_code.clone(), args: encode(&token_code, "init", &json!([])) },
        ),
        sign(
            &deployer,
            next(),
            Payload::Deploy { code: filler_code.clone(), args: encode(&filler_code, "init", &json!([])) },
        ),
    ];
    block(&mut chain, &setup);

    // Fill the state (timed apart), in blocks of as many fill transactions
    // as the block gas limit takes.
    let fill_start = Instant::now();
    let fills: Vec<SignedTransaction> = (0..entries.div_ceil(FILL_PER_TX))
        .map(|i| {
            let count = FILL_PER_TX.min(entries - i * FILL_PER_TX);
            let args =
                encode(&filler_code, "fill", &json!([(i * FILL_PER_TX).to_string(), count.to_string()]));
            sign(&deployer, next(), Payload::Call { contract: filler, method: "fill".into(), args })
        })
        .collect();
    let per_block = (writ_ledger::limits::BLOCK_GAS_LIMIT_DEFAULT / GAS).max(1) as usize;
    for chunk in fills.chunks(per_block) {
        for receipt in block(&mut chain, chunk) {
            assert_eq!(receipt.status(), writ_ledger::receipt::Status::Success, "{receipt:?}");
        }
    }
    let fill = fill_start.elapsed();

    // Fund the accounts, then pre-sign the transfers (not timed).
    let keys: Vec<SigningKey> = (0..accounts).map(key).collect();
    let addresses: Vec<Address> = keys.iter().map(address).collect();
    let mints: Vec<SignedTransaction> = addresses
        .iter()
        .map(|to| {
            let args = encode(&token_code, "mint", &json!([format!("0x{}", hex(to)), "1000000000"]));
            sign(&deployer, next(), Payload::Call { contract: token, method: "mint".into(), args })
        })
        .collect();
    block(&mut chain, &mints);
    let mut nonces = vec![0u64; accounts as usize];
    // One block more than timed: the first is a warm-up (every sender's
    // first transfer creates its nonce key, and caches fill), the same at
    // every size and not what a running node spends its time on.
    let warm_up = block_txs as u64;
    let sends: Vec<SignedTransaction> = (0..warm_up + ROUNDS * transfers)
        .map(|i| {
            let from = (i % accounts) as usize;
            let to = ((i * 7 + 1) % accounts) as usize;
            let args = encode(&token_code, "send", &json!([format!("0x{}", hex(&addresses[to])), "1"]));
            nonces[from] += 1;
            sign(
                &keys[from],
                nonces[from] - 1,
                Payload::Call { contract: token, method: "send".into(), args },
            )
        })
        .collect();

    let (first, timed) = sends.split_at(block_txs.min(sends.len()));
    block(&mut chain, first);
    let mut block_ms = Vec::new();
    let mut transfers_per_second: f64 = 0.0;
    for round in timed.chunks(transfers.max(1) as usize) {
        let start = Instant::now();
        for chunk in round.chunks(block_txs) {
            let one = Instant::now();
            block(&mut chain, chunk);
            block_ms.push(one.elapsed().as_secs_f64() * 1e3);
        }
        transfers_per_second = transfers_per_second.max(round.len() as f64 / start.elapsed().as_secs_f64());
    }
    let rss_mib = rss_mib();

    // Proofs: present (a filled entry) and absent (past the last).
    let reader = chain.reader().clone();
    let entry_key = |i: u64| {
        // Storage field 0 (`entries`), then the u64 key's key form.
        let mut key = vec![1, 0, 0, 0, 0];
        key.extend_from_slice(&i.to_be_bytes());
        key
    };
    let present = reader.proof(&filler, &entry_key(entries / 2), None).unwrap().unwrap();
    let absent = reader.proof(&filler, &entry_key(entries + 5), None).unwrap().unwrap();
    assert!(matches!(present.verify(), Ok(writ_proof::Verdict::Present(_))), "the filled entry is present");
    assert!(matches!(absent.verify(), Ok(writ_proof::Verdict::Absent)));
    let proof_bytes =
        (serde_json::to_vec(&present).unwrap().len(), serde_json::to_vec(&absent).unwrap().len());
    let rounds = 1_000;
    let verify_start = Instant::now();
    for _ in 0..rounds {
        present.verify().unwrap();
    }
    let verify_us = verify_start.elapsed().as_secs_f64() * 1e6 / rounds as f64;
    drop(reader);
    drop(chain);
    let open_start = Instant::now();
    let reopened = open(dir.path(), cache_bytes);
    let open = open_start.elapsed();
    drop(reopened);
    Figures {
        entries,
        fill,
        transfers_per_second,
        block_ms,
        rss_mib,
        open,
        store_mib: folder_mib(dir.path()),
        proof_bytes,
        verify_us,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<u64> = flag(&args, "--entries")
        .unwrap_or_else(|| "1000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let transfers: u64 = flag(&args, "--transfers").and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let accounts: u64 = flag(&args, "--accounts").and_then(|v| v.parse().ok()).unwrap_or(1_000).max(2);
    let block_txs: usize = flag(&args, "--block-txs").and_then(|v| v.parse().ok()).unwrap_or(10_000).max(1);
    let cache_mib: usize = flag(&args, "--cache-mib").and_then(|v| v.parse().ok()).unwrap_or(64);
    println!(
        "state scale: best of {ROUNDS} rounds of {transfers} transfers among {accounts} accounts in blocks of {block_txs}, after one warm-up block; store cache {cache_mib} MiB"
    );
    println!(
        "{:>10} | {:>8} | {:>11} | {:>5} | {:>12} | {:>9} | {:>8} | {:>9} | {:>14} | {:>9}",
        "entries",
        "fill s",
        "transfers/s",
        "ratio",
        "block ms p50",
        "max",
        "RSS MiB",
        "open ms",
        "proof B (abs)",
        "verify µs"
    );
    let mut first: Option<f64> = None;
    for entries in sizes {
        let f = run(entries, transfers, accounts, block_txs, cache_mib * 1024 * 1024);
        let base = *first.get_or_insert(f.transfers_per_second);
        let mut sorted = f.block_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let p50 = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
        let max = sorted.last().copied().unwrap_or(0.0);
        println!(
            "{:>10} | {:>8.1} | {:>11.0} | {:>5.2} | {:>12.0} | {:>9.0} | {:>8.0} | {:>9.1} | {:>6} ({:>5}) | {:>9.1}   store {:.0} MiB",
            f.entries,
            f.fill.as_secs_f64(),
            f.transfers_per_second,
            f.transfers_per_second / base,
            p50,
            max,
            f.rss_mib,
            f.open.as_secs_f64() * 1e3,
            f.proof_bytes.0,
            f.proof_bytes.1,
            f.verify_us,
            f.store_mib
        );
    }
}
