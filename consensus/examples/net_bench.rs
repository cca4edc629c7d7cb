//! A network of validators under load (docs/performance.md, "A network of
//! four validators"): N nodes in this process on 127.0.0.1, each a whole
//! node with its own store, API and consensus engine. Pre-signed token
//! transfers are submitted through every node's HTTP API in batches (each
//! sender's to one node, which passes them on); prints committed
//! transfers per second and submit-to-final latency (p50, p99), and, as
//! the baseline of the same run, one node deciding alone.
//!
//!   cargo run --release -p writ-consensus --example net_bench -- \
//!       [--nodes 4] [--transfers 40000] [--accounts 1000] [--rate 8000]
//!
//! `--rate`: transfers offered per second (latency is only meaningful
//! below the network's capacity; throughput is measured at the rate given).
// A benchmark of fixed inputs it makes itself: an unwrap failing here is a
// defect of what it measures, and stopping with it is right.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The node's allocator (see the workspace Cargo.toml), so the figures
/// are the node's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use serde_json::json;
use writ_consensus::network::Settings;
use writ_consensus::testnet::Testnet;
use writ_ledger::crypto::{Address, address_of, contract_address, hex};
use writ_ledger::tx::{Payload, SignedTransaction, Transaction};

const CHAIN: &str = "bench";
const TRANSFER_GAS: u64 = 400_000;
const DEPLOY_GAS: u64 = 100_000_000;
const BATCH: usize = 500;

fn flag(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn key(n: u64) -> SigningKey {
    let mut seed = [9u8; 32];
    seed[..8].copy_from_slice(&n.to_be_bytes());
    SigningKey::from_bytes(&seed)
}

fn account(n: u64) -> Address {
    address_of(&key(n).verifying_key().to_bytes())
}

fn token() -> Vec<u8> {
    let source = include_str!("../../runner/tests/exec/pass/token.writ");
    let analysis = writ_compiler::Analysis::single("token.writ", source);
    let output = writ_compiler::codegen::build_file(&analysis, writ_compiler::FileId(0));
    output.artifacts.into_iter().find(|a| a.contract == "Token").unwrap().wasm
}

fn args(code: &[u8], method: &str, values: &serde_json::Value) -> Vec<u8> {
    let abi = writ_abi::document::read_from_module(code).unwrap();
    let entry = abi.entry(method).unwrap();
    writ_ledger::args::encode_args(&entry.params, values, &abi.types).unwrap()
}

fn sign(signer: u64, nonce: u64, gas_limit: u64, payload: Payload) -> SignedTransaction {
    let key = key(signer);
    let tx = Transaction {
        chain_id: CHAIN.into(),
        signer: key.verifying_key().to_bytes(),
        nonce,
        gas_limit,
        cosigners: Vec::new(),
        payload,
    };
    tx.sign(&key, &[])
}

fn tune(settings: &mut Settings) {
    settings.block_interval = Duration::from_millis(50);
    settings.empty_block_wait = Duration::from_millis(50);
}

fn post_batch(api: &str, txs: &[SignedTransaction]) {
    let body = json!({ "txs": txs.iter().map(|t| hex(&t.encode())).collect::<Vec<_>>() });
    let answer: serde_json::Value =
        ureq::post(&format!("{api}/v1/transactions/batch")).send_json(body).unwrap().into_json().unwrap();
    let refused = answer["results"].as_array().unwrap().iter().filter(|r| r.get("error").is_some()).count();
    assert_eq!(refused, 0, "refused: {answer}");
}

/// Waits until `node` has a receipt for each of `ids`.
fn wait_all(node: &writ_ledger::node::Node, ids: &[[u8; 32]]) {
    let deadline = Instant::now() + Duration::from_secs(120);
    for id in ids {
        while node.reader().receipt(id).unwrap().is_none() {
            assert!(Instant::now() < deadline, "not committed in two minutes");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

struct Figures {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    blocks: u64,
}

fn run(nodes: usize, transfers: u64, accounts: u64, rate: u64) -> Figures {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let net = runtime.block_on(Testnet::start_with(dir.path(), CHAIN, nodes, tune, false)).unwrap();
    let apis: Vec<String> = (0..nodes).map(|k| net.api(k).unwrap()).collect();
    let node0 = Arc::clone(&net.nodes[0].as_ref().unwrap().node);

    // Set up: the token and every account's balance.
    let code = token();
    let deployer = u64::MAX;
    let contract = contract_address(&account(deployer), 0);
    let deploy = sign(
        deployer,
        0,
        DEPLOY_GAS,
        Payload::Deploy { code: code.clone(), args: args(&code, "init", &json!([])) },
    );
    post_batch(&apis[0], std::slice::from_ref(&deploy));
    wait_all(&node0, &[deploy.tx.id()]);
    let mints: Vec<SignedTransaction> = (0..accounts)
        .map(|n| {
            let a = args(&code, "mint", &json!([format!("0x{}", hex(&account(n))), "1000000000"]));
            sign(deployer, n + 1, TRANSFER_GAS, Payload::Call { contract, method: "mint".into(), args: a })
        })
        .collect();
    for chunk in mints.chunks(BATCH) {
        post_batch(&apis[0], chunk);
    }
    wait_all(&node0, &mints.iter().map(|t| t.tx.id()).collect::<Vec<_>>());

    // The transfers, signed before the clock starts; sender n's go to node n mod N.
    let mut nonces: HashMap<u64, u64> = HashMap::new();
    let mut per_node: Vec<Vec<SignedTransaction>> = vec![Vec::new(); nodes];
    for i in 0..transfers {
        let from = i % accounts;
        let to = (i * 7 + 1) % accounts;
        let nonce = nonces.entry(from).or_insert(0);
        let a = args(&code, "send", &json!([format!("0x{}", hex(&account(to))), "1"]));
        let tx = sign(from, *nonce, TRANSFER_GAS, Payload::Call { contract, method: "send".into(), args: a });
        *nonce += 1;
        per_node[(from as usize) % nodes].push(tx);
    }
    let start_height = node0.head().height;
    // Offer `rate` transfers a second, in batches, round-robin over nodes.
    let submitted: Arc<std::sync::Mutex<HashMap<[u8; 32], Instant>>> = Arc::default();
    let batches: Vec<(usize, Vec<SignedTransaction>)> = per_node
        .iter()
        .enumerate()
        .flat_map(|(k, txs)| txs.chunks(BATCH).map(move |c| (k, c.to_vec())))
        .collect();
    let begin = Instant::now();
    let pace = Duration::from_secs_f64(BATCH as f64 / rate.max(1) as f64);
    let sender = {
        let submitted = Arc::clone(&submitted);
        let apis = apis.clone();
        std::thread::spawn(move || {
            for (n, (k, batch)) in batches.iter().enumerate() {
                let due = begin + pace * n as u32;
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let now = Instant::now();
                submitted.lock().unwrap().extend(batch.iter().map(|t| (t.tx.id(), now)));
                post_batch(&apis[*k], batch);
            }
        })
    };
    // Finality: when node 0 stores the block holding each transfer.
    let mut latencies = Vec::with_capacity(transfers as usize);
    let mut seen = start_height;
    let deadline = Instant::now() + Duration::from_secs(600);
    while (latencies.len() as u64) < transfers {
        assert!(Instant::now() < deadline, "only {} of {transfers} committed", latencies.len());
        let head = node0.head().height;
        if head == seen {
            std::thread::sleep(Duration::from_millis(2));
            continue;
        }
        let now = Instant::now();
        for height in seen + 1..=head {
            let block = node0.reader().block(height).unwrap().unwrap();
            let times = submitted.lock().unwrap();
            for id in &block.transactions {
                let id: [u8; 32] = writ_proof::parse_hex(id).unwrap();
                if let Some(at) = times.get(&id) {
                    latencies.push(now.duration_since(*at).as_secs_f64() * 1000.0);
                }
            }
        }
        seen = head;
    }
    let elapsed = begin.elapsed();
    sender.join().unwrap();
    // Every node reached the same head over the same blocks.
    runtime.block_on(async {
        assert!(net.wait_for(seen, Duration::from_secs(60)).await);
    });
    let hashes: Vec<String> =
        net.nodes.iter().flatten().map(|r| r.node.reader().block(seen).unwrap().unwrap().hash).collect();
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "the nodes differ at height {seen}");
    runtime.block_on(net.stop());
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    Figures {
        per_second: transfers as f64 / elapsed.as_secs_f64(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        blocks: seen - start_height,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let nodes = flag(&args, "--nodes", 4) as usize;
    let transfers = flag(&args, "--transfers", 40_000);
    let accounts = flag(&args, "--accounts", 1_000);
    let rate = flag(&args, "--rate", 8_000);
    println!("network benchmark: {transfers} transfers among {accounts} accounts offered at {rate}/s");
    println!("{:>6} | {:>12} | {:>8} | {:>8} | {:>7}", "nodes", "transfers/s", "p50 ms", "p99 ms", "blocks");
    let mut rows = Vec::new();
    for n in [1, nodes] {
        let figures = run(n, transfers, accounts, rate);
        println!(
            "{n:>6} | {:>12.0} | {:>8.0} | {:>8.0} | {:>7}",
            figures.per_second, figures.p50_ms, figures.p99_ms, figures.blocks
        );
        rows.push(figures);
    }
    if let [alone, network] = rows.as_slice() {
        println!("{nodes} validators / 1: {:.2}x the throughput", network.per_second / alone.per_second);
    }
}
