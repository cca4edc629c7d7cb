//! The load client and checkers of `scripts/crash-test.sh`.
//!
//! `load run --node URL --code Token.wasm --acked FILE [--workers N] [--seconds S]`
//!   deploys the token contract (once per store), then has N workers each
//!   submit signed transactions (mints by the deployer, transfers between
//!   the others) with `?wait=true`, appending the id of every transaction
//!   whose receipt came back (acknowledged) to FILE, one per line. It stops
//!   after S seconds or when the node has been unreachable for a while
//!   (it was killed), and prints how many it got acknowledged.
//! `load verify --node URL --acked FILE`
//!   checks that every acknowledged transaction has a receipt
//!   (`GET /v1/transactions/{id}` answers 200); exit 1 if one is missing.
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

const GAS: u64 = 10_000_000;
/// How long the node may be unreachable before a worker gives up.
const PATIENCE: Duration = Duration::from_secs(3);

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&Flags(&args[1..])),
        Some("verify") => verify(&Flags(&args[1..])),
        Some("replay") => replay(&Flags(&args[1..])),
        _ => Err("usage: load run|verify|replay [flags] (see the top of examples/load.rs)".into()),
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
    let client = Client { agent: agent(), base: flags.need("--node")?.trim_end_matches('/').to_string() };
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
                client: Client { agent: agent(), base: client.base.clone() },
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
    client: Client,
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
    /// Worker 0 signs as the deployer and mints; the others transfer.
    fn work(self) -> Result<(), String> {
        let signer = key(1 + self.me);
        let sender = address(&signer);
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64 ^ (u64::from(self.me) << 32) ^ now_nanos();
        let mut nonce: Option<u64> = None;
        let mut down_since: Option<Instant> = None;
        while Instant::now() < self.deadline && !self.stop.load(Ordering::Relaxed) {
            let n = match nonce {
                Some(n) => n,
                None => match self.client.next_nonce(&sender) {
                    Ok(n) => n,
                    Err(_) => {
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
            match self.client.submit(&tx.sign(&signer, &[]).encode()) {
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
                Reply::Answer(status, body) => {
                    self.stop.store(true, Ordering::Relaxed);
                    return Err(format!("worker {}: unexpected {status}: {body}", self.me));
                }
                Reply::Unreachable(_) => {
                    nonce = None;
                    if self.gave_up(&mut down_since) {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether the node has been unreachable for longer than `PATIENCE`.
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
