//! The load client and checkers of `scripts/crash-test.sh`.
//!
//! `load run --node URL[,URL…] --code Token.wasm --acked FILE [--workers N] [--seconds S]`
//!   deploys the token contract (once per store), then has N workers each
//!   submit signed transactions (mints by the deployer, transfers between
//!   the others) with `?wait=true`, appending the id of every transaction
//!   whose receipt came back (acknowledged) to FILE, one per line. It stops
//!   after S seconds or when the node has been unreachable for a while
//!   (it was killed), and prints how many it got acknowledged. Given
//!   several nodes (of one network), worker W starts on node W mod N and
//!   moves to the next whenever its node is unreachable, stopping only when
//!   none has answered for a while.
//! `load verify --node URL --acked FILE`
//!   checks that every acknowledged transaction has a receipt
//!   (`GET /v1/transactions/{id}` answers 200); exit 1 if one is missing.
//! `load bench --node URL --code Token.wasm [--pid PID] [--accounts N]
//!   [--transfers N] [--batch N] [--workers N]`
//!   the node's figures: deploys the token, mints to N accounts, pre-signs
//!   the transfers, submits them in batches over loopback, and reports
//!   committed transactions per second, submit-to-commit latency
//!   percentiles, the node's resident memory over time (from /proc/PID),
//!   and the same signatures checked by a bare batch verification.
//! `load stall --node URL --code Spin.wasm [--calls N] [--gas G] [--probes-ms MS]`
//!   the stall figure: deploys the spin contract, submits N calls that each
//!   burn gas G (the transaction ceiling by default) reading storage, and
//!   while the blocks they fill execute, asks `/v1/status`, the latest
//!   block and `/openapi.json` every MS milliseconds; reports how long the
//!   blocks took and the answers' latency percentiles.
//! `load replay --data DIR --chain-id ID`
//!   opens the store in DIR (a copy: the node must not be using it),
//!   re-executes every block from genesis into a scratch folder with
//!   `Chain::replay_into` and compares the heads; exit 1 if they differ.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use serde_json::{Value as Json, json};
use writ_ledger::crypto::{Address, address_of, contract_address, hex};
use writ_ledger::tx::{Payload, Transaction};
use writ_vm::signature::{SignatureCheck, verify_ed25519, verify_ed25519_batch};

/// Each transaction's gas limit: a transfer uses a few thousand, and a
/// block packs transactions by their declared limits, so a limit near
/// what they use lets a block of the default gas (4 000 000 000) hold
/// 10 000 of them.
const GAS: u64 = 400_000;
/// How long the node may be unreachable before a worker gives up.
const PATIENCE: Duration = Duration::from_secs(3);

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&Flags(&args[1..])),
        Some("verify") => verify(&Flags(&args[1..])),
        Some("replay") => replay(&Flags(&args[1..])),
        Some("bench") => bench(&Flags(&args[1..])),
        Some("stall") => stall(&Flags(&args[1..])),
        _ => {
            Err("usage: load run|verify|replay|bench|stall [flags] (see the top of examples/load.rs)".into())
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("load: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

struct Flags<'a>(&'a [String]);

impl Flags<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().position(|a| a == name).and_then(|i| self.0.get(i + 1)).map(String::as_str)
    }

    fn need(&self, name: &str) -> Result<&str, String> {
        self.get(name).ok_or_else(|| format!("missing {name}"))
    }

    fn number(&self, name: &str, default: u64) -> Result<u64, String> {
        self.get(name).map_or(Ok(default), |v| v.parse().map_err(|_| format!("{name}: not a number")))
    }
}

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn address(key: &SigningKey) -> Address {
    address_of(&key.verifying_key().to_bytes())
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(1)).timeout(Duration::from_secs(40)).build()
}

/// What the node said: a status and JSON, or that it could not be reached.
enum Reply {
    Answer(u16, Json),
    Unreachable(String),
}

fn send(result: Result<ureq::Response, ureq::Error>) -> Reply {
    match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => {
            let status = response.status();
            // A body cut off by a crash counts as no answer.
            match response.into_json::<Json>() {
                Ok(body) => Reply::Answer(status, body),
                Err(e) => Reply::Unreachable(e.to_string()),
            }
        }
        Err(e) => Reply::Unreachable(e.to_string()),
    }
}

struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    fn get(&self, path: &str) -> Reply {
        send(self.agent.get(&format!("{}{path}", self.base)).call())
    }

    fn submit(&self, bytes: &[u8]) -> Reply {
        let url = format!("{}/v1/transactions?wait=true", self.base);
        send(self.agent.post(&url).send_json(json!({ "tx": hex(bytes) })))
    }

    fn next_nonce(&self, who: &Address) -> Result<u64, String> {
        match self.get(&format!("/v1/accounts/{}", hex(who))) {
            Reply::Answer(200, body) => body["next_nonce"].as_u64().ok_or("no next_nonce".into()),
            Reply::Answer(status, body) => Err(format!("accounts: {status} {body}")),
            Reply::Unreachable(e) => Err(e),
        }
    }
}

fn encode(code: &[u8], method: &str, values: &Json) -> Result<Vec<u8>, String> {
    let abi = writ_abi::document::read_from_module(code).map_err(|e| e.to_string())?;
    let entry = abi.entry(method).ok_or_else(|| format!("no entry point {method}"))?;
    writ_ledger::args::encode_args(&entry.params, values, &abi.types)
}

/// Appends acknowledged ids to the file, a whole line per write.
struct Acked {
    file: Mutex<std::fs::File>,
    count: AtomicU64,
}

impl Acked {
    fn record(&self, id: &str) -> Result<(), String> {
        let mut file = self.file.lock().map_err(|_| "poisoned")?;
        file.write_all(format!("{id}\n").as_bytes()).map_err(|e| e.to_string())?;
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn run(flags: &Flags) -> Result<(), String> {
    let bases: Vec<String> =
        flags.need("--node")?.split(',').map(|b| b.trim().trim_end_matches('/').to_string()).collect();
    let client = Client { agent: agent(), base: bases[0].clone() };
    let code_path = flags.need("--code")?;
    let code = std::fs::read(code_path).map_err(|e| format!("{code_path}: {e}"))?;
    let workers = flags.number("--workers", 6)?.clamp(1, 200) as u8;
    let seconds = flags.number("--seconds", 3_600)?;
    let acked_path = flags.need("--acked")?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(acked_path)
        .map_err(|e| format!("{acked_path}: {e}"))?;
    let acked = Arc::new(Acked { file: Mutex::new(file), count: AtomicU64::new(0) });
    let chain_id = wait_for_node(&client)?;

    // The deployer is key 1; its first transaction deploys the token.
    let deployer = key(1);
    let token = contract_address(&address(&deployer), 0);
    if client.next_nonce(&address(&deployer))? == 0 {
        let tx = Transaction {
            chain_id: chain_id.clone(),
            signer: deployer.verifying_key().to_bytes(),
            nonce: 0,
            gas_limit: GAS,
            cosigners: Vec::new(),
            payload: Payload::Deploy { code: code.clone(), args: encode(&code, "init", &json!([]))? },
        };
        match client.submit(&tx.sign(&deployer, &[]).encode()) {
            Reply::Answer(200, receipt) => acked.record(receipt["transaction"].as_str().unwrap_or("?"))?,
            Reply::Answer(status, body) => return Err(format!("deploy: {status} {body}")),
            Reply::Unreachable(e) => return Err(format!("deploy: {e}")),
        }
    }

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let stop = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..workers)
        .map(|w| {
            let ctx = Worker {
                clients: bases.iter().map(|base| Client { agent: agent(), base: base.clone() }).collect(),
                at: usize::from(w) % bases.len(),
                chain_id: chain_id.clone(),
                code: code.clone(),
                token,
                me: w,
                workers,
                acked: Arc::clone(&acked),
                stop: Arc::clone(&stop),
                refused: Arc::clone(&refused),
                deadline,
            };
            std::thread::spawn(move || ctx.work())
        })
        .collect();
    let mut failures = Vec::new();
    for handle in handles {
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(e),
            Err(_) => failures.push("a worker panicked".to_string()),
        }
    }
    println!(
        "load: {} transactions acknowledged, {} refused (nonce races after a restart)",
        acked.count.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed)
    );
    if failures.is_empty() { Ok(()) } else { Err(failures.join("; ")) }
}

/// Waits until the node answers; returns its chain id.
fn wait_for_node(client: &Client) -> Result<String, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match client.get("/v1/status") {
            Reply::Answer(200, status) => {
                return status["chain_id"].as_str().map(str::to_string).ok_or("no chain id".into());
            }
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Reply::Answer(status, body) => return Err(format!("status: {status} {body}")),
            Reply::Unreachable(e) => return Err(format!("the node is unreachable: {e}")),
        }
    }
}

struct Worker {
    /// The nodes it may submit to, and the one it uses now.
    clients: Vec<Client>,
    at: usize,
    chain_id: String,
    code: Vec<u8>,
    token: Address,
    me: u8,
    workers: u8,
    acked: Arc<Acked>,
    stop: Arc<AtomicBool>,
    refused: Arc<AtomicU64>,
    deadline: Instant,
}

impl Worker {
    fn client(&self) -> &Client {
        &self.clients[self.at % self.clients.len()]
    }

    /// Worker 0 signs as the deployer and mints; the others transfer.
    fn work(mut self) -> Result<(), String> {
        let signer = key(1 + self.me);
        let sender = address(&signer);
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64 ^ (u64::from(self.me) << 32) ^ now_nanos();
        let mut nonce: Option<u64> = None;
        let mut down_since: Option<Instant> = None;
        while Instant::now() < self.deadline && !self.stop.load(Ordering::Relaxed) {
            let n = match nonce {
                Some(n) => n,
                None => match self.client().next_nonce(&sender) {
                    Ok(n) => n,
                    Err(_) => {
                        self.at += 1;
                        if self.gave_up(&mut down_since) {
                            return Ok(());
                        }
                        continue;
                    }
                },
            };
            let to = 1 + (next(&mut rng) % u64::from(self.workers)) as u8;
            let to = json!(format!("0x{}", hex(&address(&key(to)))));
            let (method, values) = if self.me == 0 {
                ("mint", json!([to, (1 + next(&mut rng) % 1_000).to_string()]))
            } else {
                ("send", json!([to, (next(&mut rng) % 50).to_string()]))
            };
            let tx = Transaction {
                chain_id: self.chain_id.clone(),
                signer: signer.verifying_key().to_bytes(),
                nonce: n,
                gas_limit: GAS,
                cosigners: Vec::new(),
                payload: Payload::Call {
                    contract: self.token,
                    method: method.into(),
                    args: encode(&self.code, method, &values)?,
                },
            };
            match self.client().submit(&tx.sign(&signer, &[]).encode()) {
                Reply::Answer(200, receipt) => {
                    down_since = None;
                    let id = receipt["transaction"].as_str().ok_or("a receipt without an id")?;
                    self.acked.record(id)?;
                    nonce = Some(n + 1);
                }
                Reply::Answer(202 | 409, _) => {
                    // Still waiting, or the nonce moved (a restart dropped
                    // the mempool): ask the node again.
                    down_since = None;
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    nonce = None;
                }
                Reply::Answer(404, body)
                    if self.clients.len() > 1 && body["error"]["code"] == "unknown_contract" =>
                {
                    // In a network another node acknowledged the deployment
                    // a moment before this one stored its block.
                    down_since = None;
                    nonce = None;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Reply::Answer(status, body) => {
                    self.stop.store(true, Ordering::Relaxed);
                    return Err(format!("worker {}: unexpected {status}: {body}", self.me));
                }
                Reply::Unreachable(_) => {
                    nonce = None;
                    self.at += 1;
                    if self.gave_up(&mut down_since) {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether no node has answered for longer than `PATIENCE`.
    fn gave_up(&self, down_since: &mut Option<Instant>) -> bool {
        let since = *down_since.get_or_insert_with(Instant::now);
        std::thread::sleep(Duration::from_millis(50));
        since.elapsed() > PATIENCE
    }
}

fn now_nanos() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn verify(flags: &Flags) -> Result<(), String> {
    let client = Client { agent: agent(), base: flags.need("--node")?.trim_end_matches('/').to_string() };
    let path = flags.need("--acked")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let ids: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    wait_for_node(&client)?;
    let mut missing = Vec::new();
    for id in &unique {
        match client.get(&format!("/v1/transactions/{id}")) {
            Reply::Answer(200, receipt) if receipt["transaction"] == *id => {}
            Reply::Answer(status, body) => missing.push(format!("{id}: {status} {body}")),
            Reply::Unreachable(e) => return Err(format!("the node is unreachable: {e}")),
        }
    }
    println!(
        "verify: {} acknowledged ({} distinct), {} with a receipt, {} missing",
        ids.len(),
        unique.len(),
        unique.len() - missing.len(),
        missing.len()
    );
    if ids.len() != unique.len() {
        return Err("a transaction was acknowledged twice".into());
    }
    if missing.is_empty() { Ok(()) } else { Err(format!("missing receipts:\n{}", missing.join("\n"))) }
}

fn replay(flags: &Flags) -> Result<(), String> {
    let data = PathBuf::from(flags.need("--data")?);
    let chain_id = flags.need("--chain-id")?;
    let vm = writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).map_err(|e| e.to_string())?;
    // Opening checks the stored state against the last block's state root.
    let chain = writ_ledger::chain::Chain::open(&data, chain_id, Arc::new(vm))
        .map_err(|e| format!("{}: {e}", data.display()))?;
    let head = chain.head();
    let scratch = scratch_dir(&data)?;
    let replayed = chain.replay_into(&scratch).map_err(|e| format!("replay: {e}"))?;
    let _ = std::fs::remove_dir_all(&scratch);
    println!("replay: stored head   height {} root {} hash {}", head.height, head.state_root, head.hash);
    println!(
        "replay: replayed head height {} root {} hash {}",
        replayed.height, replayed.state_root, replayed.hash
    );
    if replayed == head {
        println!("replay: equal");
        Ok(())
    } else {
        Err("re-executing from genesis gives another head".into())
    }
}

fn scratch_dir(near: &Path) -> Result<PathBuf, String> {
    let dir = near.with_file_name(format!(
        "{}-replay-{}",
        near.file_name().and_then(|n| n.to_str()).unwrap_or("data"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(dir)
}

/// A deterministic key for bench account `n`.
fn bench_key(n: u64) -> SigningKey {
    use sha2::Digest;
    let seed: [u8; 32] = sha2::Sha256::digest(format!("writ-bench-account:{n}").as_bytes()).into();
    SigningKey::from_bytes(&seed)
}

fn post_batch(client: &Client, txs: &[Vec<u8>]) -> Result<Vec<Json>, String> {
    let body = json!({ "txs": txs.iter().map(|t| hex(t)).collect::<Vec<_>>() });
    match send(client.agent.post(&format!("{}/v1/transactions/batch", client.base)).send_json(body)) {
        Reply::Answer(202, body) => Ok(body["results"].as_array().cloned().unwrap_or_default()),
        Reply::Answer(status, body) => Err(format!("batch: {status} {body}")),
        Reply::Unreachable(e) => Err(format!("batch: {e}")),
    }
}

fn client_height(client: &Client) -> u64 {
    match client.get("/v1/status") {
        Reply::Answer(200, body) => body["height"].as_u64().unwrap_or(0),
        _ => 0,
    }
}

fn rss_kib(pid: u64) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted.get(index).copied().unwrap_or(0.0)
}

/// Submit and commit times (seconds since the start) by transaction id.
type Timings = std::collections::HashMap<String, (f64, f64)>;

/// Sends pre-signed transactions in batches and waits until every one is
/// in a block. Returns (submit time, commit time) per id, in seconds since
/// `start`, and the node's memory samples (seconds, KiB).
fn submit_and_watch(
    client: &Client,
    txs: Vec<(String, Vec<u8>, usize)>,
    batch: usize,
    workers: usize,
    pid: Option<u64>,
    start: Instant,
) -> Result<(Timings, Vec<(f64, u64)>), String> {
    use std::collections::HashMap;
    let submitted: Arc<Mutex<HashMap<String, f64>>> = Arc::new(Mutex::new(HashMap::new()));
    let total = txs.len();
    // Each worker sends its senders' transactions, in nonce order.
    let mut lanes: Vec<Vec<(String, Vec<u8>)>> = vec![Vec::new(); workers];
    for (id, bytes, sender) in txs {
        if let Some(lane) = lanes.get_mut(sender % workers) {
            lane.push((id, bytes));
        }
    }
    let senders: Vec<_> = lanes
        .into_iter()
        .map(|lane| {
            let client = Client { agent: agent(), base: client.base.clone() };
            let submitted = Arc::clone(&submitted);
            std::thread::spawn(move || -> Result<(), String> {
                for chunk in lane.chunks(batch.max(1)) {
                    let t = start.elapsed().as_secs_f64();
                    {
                        let mut map = submitted.lock().map_err(|_| "poisoned")?;
                        for (id, _) in chunk {
                            map.insert(id.clone(), t);
                        }
                    }
                    let bytes: Vec<Vec<u8>> = chunk.iter().map(|(_, b)| b.clone()).collect();
                    loop {
                        let results = post_batch(&client, &bytes)?;
                        if let Some(bad) = results.iter().find(|r| r.get("error").is_some()) {
                            if bad["error"]["code"] == "mempool_full" {
                                std::thread::sleep(Duration::from_millis(20));
                                continue;
                            }
                            return Err(format!("refused: {bad}"));
                        }
                        break;
                    }
                }
                Ok(())
            })
        })
        .collect();
    // Watch blocks: a transaction is committed when its block is served.
    let mut committed: HashMap<String, f64> = HashMap::new();
    let mut memory = Vec::new();
    let mut seen_height = match client.get("/v1/status") {
        Reply::Answer(200, body) => body["height"].as_u64().unwrap_or(0),
        _ => 0,
    };
    let mut last_sample = -1.0f64;
    let deadline = Instant::now() + Duration::from_secs(600);
    while committed.len() < total {
        // A sender that stopped with an error will never send the rest.
        if senders.iter().all(|s| s.is_finished()) && committed.len() < total {
            let waiting = match client.get("/v1/status") {
                // Reads answer while a block executes: what it holds is
                // still to come.
                Reply::Answer(200, body) => {
                    body["pending"].as_u64().unwrap_or(0) + body["executing"].as_u64().unwrap_or(0)
                }
                _ => 0,
            };
            if waiting == 0 && client_height(client) == seen_height {
                break;
            }
        }
        if Instant::now() > deadline {
            return Err(format!("only {} of {total} committed after 10 minutes", committed.len()));
        }
        let now = start.elapsed().as_secs_f64();
        if let Some(pid) = pid
            && now - last_sample >= 0.25
        {
            last_sample = now;
            if let Some(kib) = rss_kib(pid) {
                memory.push((now, kib));
            }
        }
        let height = match client.get("/v1/status") {
            Reply::Answer(200, body) => body["height"].as_u64().unwrap_or(seen_height),
            _ => seen_height,
        };
        if height == seen_height {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let at = start.elapsed().as_secs_f64();
        for h in seen_height + 1..=height {
            if let Reply::Answer(200, block) = client.get(&format!("/v1/blocks/{h}")) {
                for id in block["transactions"].as_array().into_iter().flatten() {
                    if let Some(id) = id.as_str() {
                        committed.insert(id.to_string(), at);
                    }
                }
            }
        }
        seen_height = height;
    }
    for sender in senders {
        sender.join().map_err(|_| "a sender panicked")??;
    }
    if committed.len() < total {
        return Err(format!("only {} of {total} transactions were committed", committed.len()));
    }
    let submitted = submitted.lock().map_err(|_| "poisoned")?;
    let times =
        committed.into_iter().filter_map(|(id, at)| submitted.get(&id).map(|s| (id, (*s, at)))).collect();
    Ok((times, memory))
}

fn bench(flags: &Flags) -> Result<(), String> {
    let client = Client { agent: agent(), base: flags.need("--node")?.trim_end_matches('/').to_string() };
    let code_path = flags.need("--code")?;
    let code = std::fs::read(code_path).map_err(|e| format!("{code_path}: {e}"))?;
    let accounts = flags.number("--accounts", 1_000)?.max(2);
    let transfers = flags.number("--transfers", 100_000)?;
    let batch = flags.number("--batch", 500)? as usize;
    let workers = flags.number("--workers", 4)?.clamp(1, 64) as usize;
    let pid = flags.get("--pid").and_then(|p| p.parse().ok());
    let chain_id = wait_for_node(&client)?;
    let deployer = bench_key(u64::MAX);
    let token = contract_address(&address(&deployer), 0);
    let sign = |key: &SigningKey, nonce: u64, payload: Payload| {
        let tx = Transaction {
            chain_id: chain_id.clone(),
            signer: key.verifying_key().to_bytes(),
            nonce,
            gas_limit: GAS,
            cosigners: Vec::new(),
            payload,
        };
        let signed = tx.sign(key, &[]);
        (hex(&signed.tx.id()), signed.encode())
    };

    // Setup: deploy, then mint to every account (not measured).
    let keys: Vec<SigningKey> = (0..accounts).map(bench_key).collect();
    let addresses: Vec<Address> = keys.iter().map(address).collect();
    let start = Instant::now();
    // The deployment first: calls to the token are refused until it exists.
    let deploy = {
        let (id, bytes) = sign(
            &deployer,
            0,
            Payload::Deploy { code: code.clone(), args: encode(&code, "init", &json!([]))? },
        );
        vec![(id, bytes, 0usize)]
    };
    submit_and_watch(&client, deploy, batch, 1, None, start)?;
    let mut setup = Vec::new();
    for (i, to) in addresses.iter().enumerate() {
        let args = encode(&code, "mint", &json!([format!("0x{}", hex(to)), "1000000"]))?;
        let (id, bytes) =
            sign(&deployer, i as u64 + 1, Payload::Call { contract: token, method: "mint".into(), args });
        setup.push((id, bytes, 0));
    }
    submit_and_watch(&client, setup, batch, 1, None, start)?;
    println!("bench: token deployed and {accounts} accounts funded");

    // Pre-sign the transfers: sender i % accounts, in nonce order.
    let sign_start = Instant::now();
    let mut nonces = vec![0u64; accounts as usize];
    let mut txs = Vec::with_capacity(transfers as usize);
    let mut signatures = Vec::with_capacity(transfers as usize);
    for i in 0..transfers {
        let from = (i % accounts) as usize;
        let to = ((i * 7 + 1) % accounts) as usize;
        let (Some(key), Some(to_address), Some(nonce)) =
            (keys.get(from), addresses.get(to), nonces.get_mut(from))
        else {
            continue;
        };
        let args = encode(&code, "send", &json!([format!("0x{}", hex(to_address)), "1"]))?;
        let tx = Transaction {
            chain_id: chain_id.clone(),
            signer: key.verifying_key().to_bytes(),
            nonce: *nonce,
            gas_limit: GAS,
            cosigners: Vec::new(),
            payload: Payload::Call { contract: token, method: "send".into(), args },
        };
        *nonce += 1;
        let signed = tx.sign(key, &[]);
        let id = signed.tx.id();
        if let Some(signature) = signed.signatures.first() {
            signatures.push((key.verifying_key().to_bytes(), id, *signature));
        }
        txs.push((hex(&id), signed.encode(), from));
    }
    let signing = sign_start.elapsed();

    // The measured run.
    let start = Instant::now();
    let (times, memory) = submit_and_watch(&client, txs, batch, workers, pid, start)?;
    let first_submit = times.values().map(|t| t.0).fold(f64::MAX, f64::min);
    let last_commit = times.values().map(|t| t.1).fold(0.0, f64::max);
    let mut latencies: Vec<f64> = times.values().map(|(s, c)| (c - s) * 1000.0).collect();
    latencies.sort_by(f64::total_cmp);
    let tps = times.len() as f64 / (last_commit - first_submit).max(1e-9);

    // The same signatures, checked under the node's rule by a bare batch
    // verification (batches as submitted) and one by one.
    let verify_start = Instant::now();
    for chunk in signatures.chunks(batch.max(1)) {
        let checks: Vec<SignatureCheck<'_>> =
            chunk.iter().map(|(key, id, signature)| SignatureCheck { key, message: id, signature }).collect();
        if verify_ed25519_batch(&checks).contains(&false) {
            return Err("a pre-signed transfer's signature does not verify".into());
        }
    }
    let batch_rate = signatures.len() as f64 / verify_start.elapsed().as_secs_f64();
    let single_start = Instant::now();
    for (key, message, signature) in &signatures {
        if !verify_ed25519(key, message, signature) {
            return Err("a pre-signed transfer's signature does not verify".into());
        }
    }
    let single_rate = signatures.len() as f64 / single_start.elapsed().as_secs_f64();

    println!(
        "bench: {} transfers among {accounts} accounts, batches of {batch}, {workers} senders",
        times.len()
    );
    println!(
        "  pre-signing:            {:.2} s ({:.0} signatures/s, one core)",
        signing.as_secs_f64(),
        transfers as f64 / signing.as_secs_f64()
    );
    println!(
        "  committed:              {tps:.0} transfers/s (first submit to last commit: {:.2} s)",
        last_commit - first_submit
    );
    println!(
        "  latency, submit to commit: p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
    println!("  bare signature checks:  {batch_rate:.0}/s batched, {single_rate:.0}/s one by one (one core)");
    println!(
        "  node vs batch verify:   {:.2}x ({:.2}x of one-by-one verification)",
        tps / batch_rate,
        tps / single_rate
    );
    if !memory.is_empty() {
        let series: Vec<String> = memory
            .iter()
            .step_by((memory.len() / 12).max(1))
            .map(|(t, kib)| format!("{t:.1}s {:.0} MiB", *kib as f64 / 1024.0))
            .collect();
        let peak = memory.iter().map(|(_, k)| *k).max().unwrap_or(0);
        println!("  node memory (RSS):      peak {:.0} MiB; {}", peak as f64 / 1024.0, series.join(", "));
    }
    Ok(())
}

/// `load stall`: reads answered while blocks at the gas ceiling execute.
fn stall(flags: &Flags) -> Result<(), String> {
    let client = Client { agent: agent(), base: flags.need("--node")?.trim_end_matches('/').to_string() };
    let code_path = flags.need("--code")?;
    let code = std::fs::read(code_path).map_err(|e| format!("{code_path}: {e}"))?;
    let calls = flags.number("--calls", 30)?.max(1);
    let gas = flags.number("--gas", writ_ledger::limits::TX_GAS_LIMIT_MAX_DEFAULT)?;
    let every = Duration::from_millis(flags.number("--probes-ms", 10)?.max(1));
    let chain_id = wait_for_node(&client)?;
    let deployer = bench_key(u64::MAX - 1);
    let spin = contract_address(&address(&deployer), 0);
    let sign = |nonce: u64, gas_limit: u64, payload: Payload| {
        let tx = Transaction {
            chain_id: chain_id.clone(),
            signer: deployer.verifying_key().to_bytes(),
            nonce,
            gas_limit,
            cosigners: Vec::new(),
            payload,
        };
        tx.sign(&deployer, &[]).encode()
    };
    let deploy =
        sign(0, GAS * 100, Payload::Deploy { code: code.clone(), args: encode(&code, "init", &json!([]))? });
    match client.submit(&deploy) {
        Reply::Answer(200, receipt) if receipt["status"] == "success" => {}
        Reply::Answer(status, body) => return Err(format!("deploy: {status} {body}")),
        Reply::Unreachable(e) => return Err(format!("deploy: {e}")),
    }
    // Rounds far beyond what the gas pays for: every call runs out of gas,
    // having used all of it.
    let args = encode(&code, "spin", &json!(["1000000000000"]))?;
    let txs: Vec<Vec<u8>> = (1..=calls)
        .map(|nonce| {
            sign(nonce, gas, Payload::Call { contract: spin, method: "spin".into(), args: args.clone() })
        })
        .collect();
    let start_height = client_height(&client);
    let start = Instant::now();
    for result in post_batch(&client, &txs)? {
        if result.get("error").is_some() {
            return Err(format!("a spin call was refused: {result}"));
        }
    }
    let mut latencies: Vec<f64> = Vec::new();
    let deadline = start + Duration::from_secs(300);
    let paths = ["/v1/status", "/v1/blocks/latest", "/openapi.json"];
    let mut turn = 0usize;
    let finished = loop {
        let path = paths[turn % paths.len()];
        turn += 1;
        let asked = Instant::now();
        let answer = client.get(path);
        latencies.push(asked.elapsed().as_secs_f64() * 1e3);
        // Everything was taken into blocks once nothing is pending; done
        // when the last block is committed (the nonce has moved past the
        // last call).
        if let (Reply::Answer(200, status), "/v1/status") = (&answer, path)
            && status["pending"] == 0
            && status["executing"] == 0
            && client.next_nonce(&address(&deployer))? > calls
        {
            break start.elapsed();
        }
        if Instant::now() > deadline {
            return Err("the spin calls were not all committed within 300 s".into());
        }
        std::thread::sleep(every);
    };
    let blocks = client_height(&client).saturating_sub(start_height);
    latencies.sort_by(f64::total_cmp);
    println!(
        "stall: {calls} calls at {gas} gas each in {blocks} blocks, executed in {:.2} s",
        finished.as_secs_f64()
    );
    println!(
        "stall: {} reads while they ran: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
    Ok(())
}
