//! End-to-end tests of the real `writ node`: the binary started on a free
//! loopback port with a scratch store, driven through the CLI clients
//! (`key`, `deploy`, `call`, `query`, `events`, `verify-proof`) and over
//! raw HTTP. Every way a submission can be refused answers with its exact
//! status and `error.code`; malformed requests of every kind get a 4xx
//! with a JSON error body, never a 5xx; a restarted node keeps its state.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use serde_json::{Value as Json, json};
use writ_ledger::crypto::{address_of, hex};
use writ_ledger::limits::{TX_BYTES_MAX, TX_GAS_LIMIT_MAX_DEFAULT};
use writ_ledger::tx::{Payload, Transaction};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn token_source() -> PathBuf {
    repo().join("runner/tests/exec/pass/token.writ")
}

// ------------------------------------------------------------------ the node

/// A running `writ node`, killed when dropped.
struct NodeProcess {
    child: Child,
    url: String,
}

impl NodeProcess {
    /// Starts a node on a free port (trying another if the port was taken
    /// in between) and waits until it answers.
    fn start(data: &Path, block_ms: u64) -> NodeProcess {
        NodeProcess::start_with(data, block_ms, &[])
    }

    /// [`NodeProcess::start`] with further `writ node` flags.
    fn start_with(data: &Path, block_ms: u64, flags: &[&str]) -> NodeProcess {
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut child = Command::new(env!("CARGO_BIN_EXE_writ"))
                .args(["node", "--chain-id", "e2e", "--block-ms", &block_ms.to_string()])
                .args(flags)
                .arg("--data")
                .arg(data)
                .arg("--listen")
                .arg(format!("127.0.0.1:{port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let url = format!("http://127.0.0.1:{port}");
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    break; // it could not start (the port was taken): try another
                }
                if agent().get(&format!("{url}/v1/status")).call().is_ok() {
                    return NodeProcess { child, url };
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("the node did not start");
    }

    fn status(&self) -> Json {
        let (code, body) = get(&self.url, "/v1/status");
        assert_eq!(code, 200, "{body}");
        body
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ------------------------------------------------------------------ HTTP

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build()
}

/// A raw answer: status, content type and body (parsed as JSON if it is).
struct Answer {
    status: u16,
    content_type: String,
    body: Json,
    text: String,
    /// The `Retry-After` header, if any (requests through the client only).
    retry_after: Option<String>,
}

fn request(method: &str, url: &str, content_type: Option<&str>, body: Option<&[u8]>) -> Answer {
    let mut req = agent().request(method, url);
    if let Some(ct) = content_type {
        req = req.set("Content-Type", ct);
    }
    let result = match body {
        Some(bytes) => req.send_bytes(bytes),
        None => req.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = response.status();
    let content_type = response.content_type().to_string();
    let retry_after = response.header("retry-after").map(str::to_string);
    let text = response.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Json::Null);
    Answer { status, content_type, body, text, retry_after }
}

/// A POST whose body the server refuses before reading it all: written
/// on a raw socket by a second thread (whose write may fail when the
/// server closes), while this one reads the answer.
fn post_oversized(base: &str, path: &str, body: Vec<u8>) -> Answer {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut writer = stream.try_clone().unwrap();
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes()).and_then(|()| writer.write_all(&body));
    });
    let mut raw = Vec::new();
    let mut buffer = [0u8; 4096];
    // Read until the headers and the whole body (by its length) are in.
    loop {
        let n = stream.read(&mut buffer).unwrap_or(0);
        raw.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&raw).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                })
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if raw.len() >= end + 4 + length || n == 0 {
                let _ = stream.shutdown(std::net::Shutdown::Both);
                let _ = sending.join();
                let status = text[9..12].parse().unwrap();
                let content_type = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase().strip_prefix("content-type:").map(|v| v.trim().to_string())
                    })
                    .unwrap_or_default();
                let body_text = String::from_utf8_lossy(&raw[end + 4..]).into_owned();
                let body = serde_json::from_str(&body_text).unwrap_or(Json::Null);
                return Answer { status, content_type, body, text: body_text, retry_after: None };
            }
        }
        assert!(n > 0, "the connection closed before an answer: {text}");
    }
}

/// A request written as raw bytes (for what an HTTP client will not send),
/// read until the server closes the connection.
fn raw_request(base: &str, request: &[u8]) -> Answer {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let _ = stream.write_all(request);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body_text) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let content_type = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-type:").map(|v| v.trim().to_string()))
        .unwrap_or_default();
    let body = serde_json::from_str(body_text).unwrap_or(Json::Null);
    Answer { status, content_type, body, text, retry_after: None }
}

fn get(base: &str, path: &str) -> (u16, Json) {
    let a = request("GET", &format!("{base}{path}"), None, None);
    (a.status, a.body)
}

fn post_json(base: &str, path: &str, body: &Json) -> (u16, Json) {
    let bytes = serde_json::to_vec(body).unwrap();
    let a = request("POST", &format!("{base}{path}"), Some("application/json"), Some(&bytes));
    (a.status, a.body)
}

/// Asserts a JSON error answer with exactly this status and code.
#[track_caller]
fn assert_error(answer: &Answer, status: u16, code: &str, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.text);
    assert_eq!(answer.content_type, "application/json", "{what}: {}", answer.text);
    assert_eq!(answer.body["error"]["code"], code, "{what}: {}", answer.text);
    assert!(answer.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}");
}

fn submit_raw(base: &str, tx_hex: &str, wait: bool) -> Answer {
    let body = serde_json::to_vec(&json!({ "tx": tx_hex })).unwrap();
    let path = if wait { "/v1/transactions?wait=true" } else { "/v1/transactions" };
    request("POST", &format!("{base}{path}"), Some("application/json"), Some(&body))
}

// ------------------------------------------------------------------ transactions

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn addr(key: &SigningKey) -> [u8; 20] {
    address_of(&key.verifying_key().to_bytes())
}

fn unsigned(chain: &str, signer: &SigningKey, nonce: u64, gas: u64, payload: Payload) -> Transaction {
    Transaction {
        chain_id: chain.to_string(),
        signer: signer.verifying_key().to_bytes(),
        nonce,
        gas_limit: gas,
        cosigners: Vec::new(),
        payload,
    }
}

fn signed(chain: &str, signer: &SigningKey, nonce: u64, gas: u64, payload: Payload) -> Vec<u8> {
    unsigned(chain, signer, nonce, gas, payload).sign(signer, &[]).encode()
}

const GAS: u64 = 10_000_000;

/// The token contract compiled by `writ build`.
fn token_wasm(dir: &Path) -> Vec<u8> {
    let out = dir.join("build");
    let result =
        writ_cmd(&["build".as_ref(), token_source().as_os_str(), "-o".as_ref(), out.as_os_str()], None);
    assert_eq!(result.status.code(), Some(0), "{}", stderr(&result));
    std::fs::read(out.join("Token.wasm")).unwrap()
}

fn encode(code: &[u8], method: &str, args: &Json) -> Vec<u8> {
    let abi = writ_abi::document::read_from_module(code).unwrap();
    let entry = abi.entry(method).unwrap();
    writ_ledger::args::encode_args(&entry.params, args, &abi.types).unwrap()
}

/// A WebAssembly module that passes the format but uses a float
/// instruction (`f32.const 0; drop`), which the VM refuses.
fn float_module() -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend_from_slice(&[0x01, 0x04, 0x01, 0x60, 0x00, 0x00]); // type: () -> ()
    m.extend_from_slice(&[0x03, 0x02, 0x01, 0x00]); // one function of type 0
    m.extend_from_slice(&[0x07, 0x08, 0x01, 0x04, b'i', b'n', b'i', b't', 0x00, 0x00]); // export "init"
    m.extend_from_slice(&[0x0a, 0x0a, 0x01, 0x08, 0x00, 0x43, 0, 0, 0, 0, 0x1a, 0x0b]); // f32.const 0; drop
    m
}

// ------------------------------------------------------------------ the CLI

fn writ_cmd<S: AsRef<std::ffi::OsStr>>(args: &[S], node: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_writ"));
    command.args(args).arg("--color=never").env_remove("WRIT_NODE");
    if let Some(node) = node {
        command.env("WRIT_NODE", node);
    }
    command.output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a client command against `node` with the keystore `keys`.
struct Cli<'a> {
    node: &'a str,
    keys: &'a Path,
}

impl Cli<'_> {
    fn run(&self, args: &[&str]) -> Output {
        let mut all: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        if matches!(args.first(), Some(&("key" | "deploy" | "call"))) {
            all.push("--keys".into());
            all.push(self.keys.into());
        }
        writ_cmd(&all, Some(self.node))
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}{}", stdout(&out), stderr(&out));
        stdout(&out)
    }

    #[track_caller]
    fn fails(&self, args: &[&str], code: i32, needle: &str) {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}{}", stdout(&out), stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: expected `{needle}` in {}", stderr(&out));
    }
}

/// The `0x…` address in a line such as "created key `a`: address 0x…".
fn address_in(text: &str, after: &str) -> String {
    let start = text.find(after).unwrap_or_else(|| panic!("no `{after}` in {text}")) + after.len();
    let address = &text[start..start + 42];
    assert!(address.starts_with("0x") && address[2..].bytes().all(|b| b.is_ascii_hexdigit()), "{text}");
    address.to_string()
}

/// The storage key of `balances[address]` (the first storage field).
fn balance_key(address: &str) -> String {
    format!("0100000000{}", address.trim_start_matches("0x"))
}

// ------------------------------------------------------------------ tests

// The CLI against a real node: keys, deploy, calls (one co-signed), views,
// events, a storage proof checked offline (and refused when tampered with),
// exit codes; then a restart on the same store keeps height, root and state.
#[test]
fn cli_workflow_proofs_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let data = dir.path().join("data");
    let node = NodeProcess::start(&data, 20);
    let cli = Cli { node: &node.url, keys: &keys };

    let alice = address_in(&cli.ok(&["key", "new", "alice"]), "address ");
    let bob = address_in(&cli.ok(&["key", "new", "bob"]), "address ");
    cli.ok(&["key", "new", "carol"]);
    let listed = cli.ok(&["key", "list"]);
    assert!(listed.contains("alice") && listed.contains(&bob) && listed.contains("carol"), "{listed}");
    cli.fails(&["key", "new", "alice"], 2, "exists already");
    // A damaged key file is named, and the keys that load are still listed.
    std::fs::write(keys.join("dave.key"), "not a key\n").unwrap();
    let out = cli.run(&["key", "list"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("dave.key is damaged"), "{}", stderr(&out));
    assert!(stdout(&out).contains("alice") && stdout(&out).contains("carol"), "{}", stdout(&out));
    std::fs::remove_file(keys.join("dave.key")).unwrap();
    // A key file others can read still signs, with a warning each time.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(keys.join("carol.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = cli.run(&["key", "list"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("carol.key can be read or changed by others (mode 644)"),
            "{}",
            stderr(&out)
        );
    }

    let source = token_source();
    let deployed = cli.ok(&["deploy", source.to_str().unwrap(), "--contract", "Token", "--key", "alice"]);
    let token = address_in(&deployed, "deployed Token at ");

    // Successful calls exit 0 and print the receipt.
    let minted = cli.ok(&["call", &token, "mint", &format!(r#"["{alice}", "100"]"#), "--key", "alice"]);
    assert!(minted.contains(": success (gas "), "{minted}");
    let sent = cli.ok(&[
        "call",
        &token,
        "send",
        &format!(r#"{{"to": "{bob}", "amount": "30"}}"#),
        "--key",
        "alice",
        "--cosign",
        "carol",
    ]);
    assert!(sent.contains("event Sent"), "{sent}");

    // Failed calls exit 1: a contract error, a missing role, no such entry
    // point, no such contract, a refused transaction (bad gas limit).
    cli.fails(&["call", &token, "send", &format!(r#"["{alice}", "31"]"#), "--key", "bob"], 1, "Insufficient");
    cli.fails(
        &["call", &token, "mint", &format!(r#"["{bob}", "1"]"#), "--key", "bob"],
        1,
        "the call aborted",
    );
    cli.fails(&["call", &token, "nosuch", "--key", "bob"], 1, "no entry point `nosuch`");
    let nobody = format!("0x{}", "ab".repeat(20));
    cli.fails(&["call", &nobody, "send", "--key", "bob"], 1, "404");
    cli.fails(
        &["call", &token, "send", &format!(r#"["{alice}", "1"]"#), "--key", "bob", "--gas-limit", "0"],
        1,
        "gas_limit",
    );
    // Bad usage exits 2: arguments that do not fit, a missing key.
    cli.fails(&["call", &token, "send", r#"["0x12", "1"]"#, "--key", "bob"], 2, "arguments of `send`");
    cli.fails(
        &["call", &token, "send", &format!(r#"["{bob}", "1"]"#), "--key", "dave"],
        2,
        "no key named `dave`",
    );

    assert_eq!(cli.ok(&["query", &token, "balance", &format!(r#"["{alice}"]"#)]).trim(), r#""70""#);
    assert_eq!(cli.ok(&["query", &token, "balance", &format!(r#"["{bob}"]"#)]).trim(), r#""30""#);
    cli.fails(&["query", &token, "mint", "[]"], 1, "not_a_view");
    let events = cli.ok(&["events", &token]);
    assert_eq!(events.lines().filter(|l| l.contains("Sent")).count(), 1, "{events}");
    assert!(events.contains(&bob), "{events}");
    assert_eq!(cli.ok(&["events", &token, "--name", "Nope"]).trim(), "no events");
    // An unreachable node is exit 2.
    let dead = Cli { node: "http://127.0.0.1:9", keys: &keys };
    dead.fails(&["query", &token, "balance", &format!(r#"["{alice}"]"#)], 2, "cannot reach the node");

    // A state proof of alice's balance, checked offline; then a proof that
    // a key nobody wrote is absent.
    let (code, proof) = get(&node.url, &format!("/v1/contracts/{token}/proof?key={}", balance_key(&alice)));
    assert_eq!(code, 200, "{proof}");
    let (_, latest) = get(&node.url, "/v1/blocks/latest");
    assert_eq!(proof["header"]["state_root"], latest["state_root"]);
    assert_eq!(proof["block_hash"], latest["hash"]);
    let proof_file = dir.path().join("proof.json");
    std::fs::write(&proof_file, proof.to_string()).unwrap();
    let file = proof_file.to_str().unwrap();
    let valid = cli.ok(&["verify-proof", file]);
    assert!(valid.starts_with("present: 0000000000000046"), "{valid}");
    cli.ok(&["verify-proof", file, "--root", latest["state_root"].as_str().unwrap()]);
    cli.ok(&["verify-proof", file, "--block-hash", latest["hash"].as_str().unwrap()]);
    cli.fails(&["verify-proof", file, "--root", &"00".repeat(32)], 1, "not 0000");
    cli.fails(&["verify-proof", file, "--block-hash", &"00".repeat(32)], 1, "not 0000");
    // A nibble of the leaf's value hash (the tree proof of a present key
    // is `01`, the key hash, the value hash, then the siblings): flipping
    // the last nibble instead sometimes turns an empty sibling's tag into
    // a full one and leaves a proof that does not decode (exit 2).
    let mut flipped = proof["proof"].as_str().unwrap().to_string();
    assert!(flipped.starts_with("01"), "{flipped}");
    let at = 2 + 64 + 10;
    let nibble = if &flipped[at..=at] == "0" { "1" } else { "0" };
    flipped.replace_range(at..=at, nibble);
    let mut forgeries = vec![
        ("value", json!("0000000000000063")),
        ("value", Json::Null),
        ("key", json!(balance_key(&bob))),
        ("proof", json!(flipped)),
        ("block_hash", json!("11".repeat(32))),
    ];
    let mut other_root = proof["header"].clone();
    other_root["state_root"] = json!("11".repeat(32));
    forgeries.push(("header", other_root));
    for (field, forged) in forgeries {
        let mut tampered = proof.clone();
        tampered[field] = forged;
        std::fs::write(&proof_file, tampered.to_string()).unwrap();
        cli.fails(&["verify-proof", file], 1, "the proof is not valid");
    }
    let nobody = "ab".repeat(20);
    let (code, absent) = get(&node.url, &format!("/v1/contracts/{token}/proof?key={}", balance_key(&nobody)));
    assert_eq!(code, 200, "{absent}");
    assert_eq!(absent["value"], Json::Null);
    std::fs::write(&proof_file, absent.to_string()).unwrap();
    assert!(cli.ok(&["verify-proof", file]).starts_with("absent"));
    let mut claimed = absent.clone();
    claimed["value"] = json!("0000000000000001");
    std::fs::write(&proof_file, claimed.to_string()).unwrap();
    cli.fails(&["verify-proof", file], 1, "the proof is not valid");
    // A proof against an earlier block's state root.
    let (code, old) =
        get(&node.url, &format!("/v1/contracts/{token}/proof?key={}&height=1", balance_key(&alice)));
    assert_eq!(code, 200, "{old}");
    assert_eq!(old["header"]["height"], 1);
    std::fs::write(&proof_file, old.to_string()).unwrap();
    assert!(cli.ok(&["verify-proof", file]).starts_with("absent"), "alice held nothing after block 1");
    std::fs::write(&proof_file, "{ not a proof").unwrap();
    cli.fails(&["verify-proof", file], 2, "is not a state proof");
    std::fs::write(&proof_file, vec![b' '; 1 << 20]).unwrap();
    cli.fails(&["verify-proof", file], 2, "more than a proof can have");

    // Restart on the same store: same head, same answers, and it goes on.
    let before = node.status();
    assert!(before["height"].as_u64().unwrap() >= 3, "{before}");
    drop(node);
    let node = NodeProcess::start(&data, 20);
    let after = node.status();
    for field in ["height", "block_hash", "state_root", "chain_id"] {
        assert_eq!(before[field], after[field], "{field}");
    }
    let cli = Cli { node: &node.url, keys: &keys };
    assert_eq!(cli.ok(&["query", &token, "balance", &format!(r#"["{alice}"]"#)]).trim(), r#""70""#);
    assert_eq!(cli.ok(&["query", &token, "balance", &format!(r#"["{bob}"]"#)]).trim(), r#""30""#);
    cli.ok(&["call", &token, "send", &format!(r#"["{bob}", "5"]"#), "--key", "alice"]);
    assert_eq!(cli.ok(&["query", &token, "balance", &format!(r#"["{bob}"]"#)]).trim(), r#""35""#);
    assert_eq!(node.status()["height"].as_u64(), before["height"].as_u64().map(|h| h + 1));
    drop(node);

    // The full check of the stopped node's store, then the same store
    // emptied: the folder held a chain, so the node refuses to start a
    // new one in its place, and says why.
    let node_cmd = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_writ"))
            .args(["node", "--chain-id", "e2e", "--data"])
            .arg(&data)
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let checked = node_cmd(&["--verify-state"]);
    assert_eq!(checked.status.code(), Some(0), "{}", stderr(&checked));
    assert!(stdout(&checked).contains("is sound"), "{}", stdout(&checked));
    std::fs::File::create(data.join("chain.redb")).unwrap().set_len(0).unwrap();
    let refused = node_cmd(&["--listen", "127.0.0.1:0"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stdout(&refused));
    assert!(stderr(&refused).contains("lost or truncated"), "{}", stderr(&refused));
}

// Every way a submission is refused, each with its exact status and code.
#[test]
fn every_rejection_has_its_status_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProcess::start(&dir.path().join("data"), 20);
    let url = node.url.as_str();
    let chain = node.status()["chain_id"].as_str().unwrap().to_string();
    assert_eq!(chain, "e2e");
    let code = token_wasm(dir.path());
    let (alice, bob) = (key(1), key(2));

    // Deploy and mint, over HTTP, waiting for the receipts.
    let deploy = Payload::Deploy { code: code.clone(), args: encode(&code, "init", &json!([])) };
    let answer = submit_raw(url, &hex(&signed(&chain, &alice, 0, GAS, deploy)), true);
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["status"], "success", "{}", answer.text);
    let token: [u8; 20] = writ_ledger::crypto::parse_hex(answer.body["contract"].as_str().unwrap()).unwrap();
    let mint_args = encode(&code, "mint", &json!([format!("0x{}", hex(&addr(&alice))), "100"]));
    let mint = Payload::Call { contract: token, method: "mint".into(), args: mint_args.clone() };
    // (With `0x` before the hex, which is also accepted.)
    let answer = submit_raw(url, &format!("0x{}", hex(&signed(&chain, &alice, 1, GAS, mint.clone()))), true);
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["status"], "success");
    assert!(answer.body["gas_used"].as_u64().unwrap() > 0);
    let id = answer.body["transaction"].as_str().unwrap().to_string();
    let (status, receipt) = get(url, &format!("/v1/transactions/{id}"));
    assert_eq!(status, 200);
    assert_eq!(receipt, answer.body);

    let call = |method: &str, args: Vec<u8>| Payload::Call { contract: token, method: method.into(), args };
    let send_args = encode(&code, "send", &json!([format!("0x{}", hex(&addr(&bob))), "1"]));

    // A co-signed transaction with its co-signature, accepted…
    let mut cosigned = unsigned(&chain, &alice, 2, GAS, call("send", send_args.clone()));
    cosigned.cosigners = vec![bob.verifying_key().to_bytes()];
    let answer = submit_raw(url, &hex(&cosigned.clone().sign(&alice, &[&bob]).encode()), true);
    assert_eq!(answer.status, 200, "{}", answer.text);
    // … and refused without it, or with the wrong key's.
    let mut missing = cosigned.clone();
    missing.nonce = 3;
    let answer = submit_raw(url, &hex(&missing.clone().sign(&alice, &[]).encode()), false);
    assert_error(&answer, 400, "bad_signature", "missing co-signature");
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("needs 2"), "{}", answer.text);
    let answer = submit_raw(url, &hex(&missing.sign(&alice, &[&key(9)]).encode()), false);
    assert_error(&answer, 400, "bad_signature", "co-signature by another key");

    // Tampered bytes: a flipped bit in the signature, and in the body.
    let good = signed(&chain, &alice, 3, GAS, call("send", send_args.clone()));
    let mut bad_sig = good.clone();
    *bad_sig.last_mut().unwrap() ^= 1;
    assert_error(&submit_raw(url, &hex(&bad_sig), false), 400, "bad_signature", "signature bit");
    let mut bad_body = good.clone();
    let at = bad_body.len() - 64 - 1; // the last byte of the arguments
    bad_body[at] ^= 1;
    assert_error(&submit_raw(url, &hex(&bad_body), false), 400, "bad_signature", "body bit");
    // A signature by another key than the signer's.
    let forged = unsigned(&chain, &alice, 3, GAS, call("send", send_args.clone())).sign(&bob, &[]).encode();
    assert_error(&submit_raw(url, &hex(&forged), false), 400, "bad_signature", "other key");

    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("wrong chain", signed("other", &alice, 3, GAS, call("send", send_args.clone())), 400, "wrong_chain"),
        (
            "replayed nonce",
            signed(&chain, &alice, 1, GAS, call("send", send_args.clone())),
            409,
            "replayed_nonce",
        ),
        ("replayed tx", signed(&chain, &alice, 1, GAS, mint.clone()), 409, "replayed_nonce"),
        (
            "gapped nonce",
            signed(&chain, &alice, 5, GAS, call("send", send_args.clone())),
            409,
            "gapped_nonce",
        ),
        ("gas limit 0", signed(&chain, &alice, 3, 0, call("send", send_args.clone())), 400, "gas_limit"),
        (
            "gas limit above the VM's max",
            signed(
                &chain,
                &alice,
                3,
                writ_vm::limits::CALL_GAS_LIMIT_MAX + 1,
                call("send", send_args.clone()),
            ),
            400,
            "gas_limit",
        ),
        (
            "gas limit above the chain's ceiling",
            signed(&chain, &alice, 3, TX_GAS_LIMIT_MAX_DEFAULT + 1, call("send", send_args.clone())),
            400,
            "gas_limit",
        ),
        (
            "unknown contract",
            signed(
                &chain,
                &alice,
                3,
                GAS,
                Payload::Call { contract: [0xab; 20], method: "send".into(), args: send_args.clone() },
            ),
            404,
            "unknown_contract",
        ),
        ("unknown method", signed(&chain, &alice, 3, GAS, call("burn", Vec::new())), 404, "unknown_method"),
        (
            "init is no method",
            signed(&chain, &alice, 3, GAS, call("init", Vec::new())),
            404,
            "unknown_method",
        ),
        ("missing arguments", signed(&chain, &alice, 3, GAS, call("send", Vec::new())), 400, "bad_arguments"),
        (
            "arguments of other types",
            signed(&chain, &alice, 3, GAS, call("send", mint_args[..mint_args.len() - 1].to_vec())),
            400,
            "bad_arguments",
        ),
        (
            "trailing argument bytes",
            signed(&chain, &alice, 3, GAS, call("send", [send_args.clone(), vec![0]].concat())),
            400,
            "bad_arguments",
        ),
        (
            "init arguments",
            signed(&chain, &alice, 3, GAS, Payload::Deploy { code: code.clone(), args: vec![1, 2, 3] }),
            400,
            "bad_arguments",
        ),
        (
            "random bytes as code",
            signed(&chain, &alice, 3, GAS, Payload::Deploy { code: vec![0x5a; 100], args: Vec::new() }),
            400,
            "bad_module",
        ),
        (
            "a float instruction",
            signed(&chain, &alice, 3, GAS, Payload::Deploy { code: float_module(), args: Vec::new() }),
            400,
            "bad_module",
        ),
        (
            "truncated module",
            signed(
                &chain,
                &alice,
                3,
                GAS,
                Payload::Deploy { code: code[..code.len() / 2].to_vec(), args: Vec::new() },
            ),
            400,
            "bad_module",
        ),
        (
            // The size checks and the body limit let it through; the VM
            // refuses its content.
            "a largest module with the largest arguments",
            signed(
                &chain,
                &alice,
                3,
                GAS,
                Payload::Deploy {
                    code: vec![0; writ_vm::limits::MODULE_BYTES_MAX],
                    args: vec![0; writ_vm::limits::ARGS_BYTES_MAX as usize],
                },
            ),
            400,
            "bad_module",
        ),
        (
            "oversize payload",
            signed(&chain, &alice, 3, GAS, Payload::Deploy { code: vec![0; TX_BYTES_MAX], args: Vec::new() }),
            413,
            "too_large",
        ),
        ("malformed bytes", b"not a transaction".to_vec(), 400, "malformed"),
        ("empty bytes", Vec::new(), 400, "malformed"),
        ("signature cut short", good[..good.len() - 10].to_vec(), 400, "bad_signature"),
        ("cut in the body", good[..40].to_vec(), 400, "malformed"),
    ];
    for (what, bytes, status, code) in &cases {
        assert_error(&submit_raw(url, &hex(bytes), false), *status, code, what);
    }
    // Not hex at all, and an odd number of digits.
    assert_error(&submit_raw(url, "zz", false), 400, "bad_hex", "bad hex");
    assert_error(&submit_raw(url, "abc", false), 400, "bad_hex", "odd hex");
    assert_error(&submit_raw(url, &format!("0x0x{}", hex(&good)), false), 400, "bad_hex", "0x twice");
    // A body over the limit is refused before it is read as a transaction.
    let huge = format!(r#"{{"tx": "{}"}}"#, "00".repeat(2 * TX_BYTES_MAX));
    let answer = post_oversized(url, "/v1/transactions", huge.into_bytes());
    assert_error(&answer, 413, "too_large", "huge body");

    // None of that moved the chain: the next nonce is still 3, and a good
    // transaction with it goes through.
    let (_, account) = get(url, &format!("/v1/accounts/0x{}", hex(&addr(&alice))));
    assert_eq!(account["next_nonce"], 3, "{account}");
    let answer = submit_raw(url, &hex(&good), true);
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["status"], "success");
    // An aborted call still has a receipt (bob's balance is 2).
    let too_much = encode(&code, "send", &json!([format!("0x{}", hex(&addr(&alice))), "3"]));
    let answer = submit_raw(url, &hex(&signed(&chain, &bob, 0, GAS, call("send", too_much))), true);
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["status"], "aborted");
    assert_eq!(answer.body["error"]["name"], "Insufficient", "{}", answer.text);

    // Views over HTTP: arguments, a wrong-arguments view, a non-view.
    let balance = format!("/v1/contracts/0x{}/views/balance", hex(&token));
    let (status, body) = post_json(url, &balance, &json!([format!("0x{}", hex(&addr(&alice)))]));
    assert_eq!((status, &body["result"]), (200, &json!("98")), "{body}");
    let (status, body) = post_json(url, &balance, &json!({ "who": format!("0x{}", hex(&addr(&bob))) }));
    assert_eq!((status, &body["result"]), (200, &json!("2")), "{body}");
    let view = |path: &str, body: &[u8]| {
        request("POST", &format!("{url}{path}"), Some("application/json"), Some(body))
    };
    assert_error(&view(&balance, b"[]"), 400, "bad_arguments", "view without arguments");
    assert_error(&view(&balance, br#"["0x12"]"#), 400, "bad_arguments", "view with a bad address");
    assert_error(&view(&balance, b"[1,"), 400, "bad_json", "view with bad JSON");
    // A key named twice is refused, not settled by keeping the last one.
    let twice = format!(r#"{{"who": "0x{}", "who": "0x{}"}}"#, hex(&addr(&alice)), hex(&addr(&bob)));
    let answer = view(&balance, twice.as_bytes());
    assert_error(&answer, 400, "bad_arguments", "a key twice in view arguments");
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("twice"), "{}", answer.text);
    let tx_twice = format!(r#"{{"tx": "{}", "tx": "00"}}"#, hex(&good));
    let answer = request(
        "POST",
        &format!("{url}/v1/transactions"),
        Some("application/json"),
        Some(tx_twice.as_bytes()),
    );
    assert_error(&answer, 422, "bad_json", "a key twice in a submission");
    // Views take JSON as transactions do: another content type is 415;
    // an empty body (no arguments) may come without one.
    let alice_json = format!(r#"["0x{}"]"#, hex(&addr(&alice)));
    for content_type in [Some("text/plain"), None, Some("application/x-www-form-urlencoded")] {
        let answer = request("POST", &format!("{url}{balance}"), content_type, Some(alice_json.as_bytes()));
        assert_error(&answer, 415, "bad_content_type", &format!("a view as {content_type:?}"));
    }
    let answer = request(
        "POST",
        &format!("{url}{balance}"),
        Some("application/json; charset=utf-8"),
        Some(alice_json.as_bytes()),
    );
    assert_eq!(answer.status, 200, "{}", answer.text);
    let total = format!("/v1/contracts/0x{}/views/balance", hex(&token));
    let answer = request("POST", &format!("{url}{total}"), None, Some(b""));
    assert_error(&answer, 400, "bad_arguments", "an empty body is no arguments");
    let huge_view = format!("[{}1]", "1,".repeat(1_100_000));
    assert_error(&post_oversized(url, &balance, huge_view.into_bytes()), 413, "too_large", "huge view body");
    let mint_view = format!("/v1/contracts/0x{}/views/mint", hex(&token));
    assert_error(&view(&mint_view, b"[]"), 400, "not_a_view", "a call as a view");
    let no_view = format!("/v1/contracts/0x{}/views/nosuch", hex(&token));
    assert_error(&view(&no_view, b"[]"), 404, "not_found", "no such view");
    let no_contract = format!("/v1/contracts/0x{}/views/balance", "ab".repeat(20));
    assert_error(&view(&no_contract, b"[]"), 404, "not_found", "no such contract");
    assert_error(&view(&format!("{balance}?from=nothex"), b"[]"), 400, "bad_address", "bad from");

    // Malformed requests of every kind: 4xx with a JSON error, never a 5xx.
    let t = format!("0x{}", hex(&token));
    let zero = format!("0x{}", "00".repeat(20));
    let post = |path: &str, content_type: Option<&str>, body: &[u8]| {
        request("POST", &format!("{url}{path}"), content_type, Some(body))
    };
    let json = Some("application/json");
    let bad: Vec<(&str, Answer, u16, &str)> = vec![
        ("not JSON", post("/v1/transactions", json, b"tx=00"), 400, "bad_json"),
        ("empty body", post("/v1/transactions", json, b""), 400, "bad_json"),
        ("wrong shape", post("/v1/transactions", json, br#"{"tx": 5}"#), 422, "bad_json"),
        ("no tx field", post("/v1/transactions", json, br#"{"transaction": "00"}"#), 422, "bad_json"),
        ("an array", post("/v1/transactions", json, b"[]"), 422, "bad_json"),
        ("no content type", post("/v1/transactions", None, br#"{"tx": "00"}"#), 415, "bad_content_type"),
        (
            "text content type",
            post("/v1/transactions", Some("text/plain"), br#"{"tx": "00"}"#),
            415,
            "bad_content_type",
        ),
        ("bad wait", post("/v1/transactions?wait=maybe", json, br#"{"tx": "00"}"#), 400, "bad_query"),
        ("bad id", request("GET", &format!("{url}/v1/transactions/xyz"), None, None), 400, "bad_id"),
        (
            "short id",
            request("GET", &format!("{url}/v1/transactions/{}", "ab".repeat(31)), None, None),
            400,
            "bad_id",
        ),
        (
            "unknown id",
            request("GET", &format!("{url}/v1/transactions/{}", "ab".repeat(32)), None, None),
            404,
            "not_found",
        ),
        ("bad height", request("GET", &format!("{url}/v1/blocks/abc"), None, None), 400, "bad_height"),
        ("negative height", request("GET", &format!("{url}/v1/blocks/-1"), None, None), 400, "bad_height"),
        (
            "huge height",
            request("GET", &format!("{url}/v1/blocks/99999999999999999999"), None, None),
            400,
            "bad_height",
        ),
        ("missing block", request("GET", &format!("{url}/v1/blocks/99999"), None, None), 404, "not_found"),
        ("block 0", request("GET", &format!("{url}/v1/blocks/0"), None, None), 404, "not_found"),
        (
            "a URI over hyper's bound",
            raw_request(
                url,
                format!("GET /v1/status?x={} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000)).as_bytes(),
            ),
            414,
            "uri_too_long",
        ),
        ("not HTTP", raw_request(url, b"HELLO THERE\r\n\r\n"), 400, "bad_request"),
        (
            "invalid UTF-8 in the path",
            request("GET", &format!("{url}/v1/blocks/%FF"), None, None),
            400,
            "bad_path",
        ),
        ("bad account", request("GET", &format!("{url}/v1/accounts/0x12"), None, None), 400, "bad_address"),
        (
            "bad contract",
            request("GET", &format!("{url}/v1/contracts/nothex"), None, None),
            400,
            "bad_address",
        ),
        (
            "unknown contract",
            request("GET", &format!("{url}/v1/contracts/{zero}"), None, None),
            404,
            "not_found",
        ),
        (
            "events of nothing",
            request("GET", &format!("{url}/v1/contracts/{zero}/events"), None, None),
            404,
            "not_found",
        ),
        (
            "bad events query",
            request("GET", &format!("{url}/v1/contracts/{t}/events?from=abc"), None, None),
            400,
            "bad_query",
        ),
        (
            "negative limit",
            request("GET", &format!("{url}/v1/contracts/{t}/events?limit=-1"), None, None),
            400,
            "bad_query",
        ),
        (
            "proof without key",
            request("GET", &format!("{url}/v1/contracts/{t}/proof"), None, None),
            400,
            "bad_query",
        ),
        (
            "proof with bad key",
            request("GET", &format!("{url}/v1/contracts/{t}/proof?key=xyz"), None, None),
            400,
            "bad_key",
        ),
        (
            "proof against a block that does not exist",
            request("GET", &format!("{url}/v1/contracts/{t}/proof?key=00&height=999"), None, None),
            404,
            "not_found",
        ),
        ("unknown route", request("GET", &format!("{url}/v2/status"), None, None), 404, "not_found"),
        ("root", request("GET", &format!("{url}/"), None, None), 404, "not_found"),
        ("too deep", request("GET", &format!("{url}/v1/blocks/1/2"), None, None), 404, "not_found"),
        (
            "GET a POST route",
            request("GET", &format!("{url}/v1/transactions"), None, None),
            405,
            "method_not_allowed",
        ),
        (
            "DELETE a GET route",
            request("DELETE", &format!("{url}/v1/status"), None, None),
            405,
            "method_not_allowed",
        ),
        (
            "PUT a view",
            request("PUT", &format!("{url}{balance}"), json, Some(b"[]".as_slice())),
            405,
            "method_not_allowed",
        ),
    ];
    for (what, answer, status, code) in &bad {
        assert_error(answer, *status, code, what);
    }
    // Block 0 does not exist, and the answer says where heights start.
    let (_, zero_block) = get(url, "/v1/blocks/0");
    assert!(zero_block["error"]["message"].as_str().unwrap().contains("heights start at 1"), "{zero_block}");

    // Reads that work: status, blocks, events (also an empty or reversed
    // range), an account, the contract's ABI, the OpenAPI document.
    let (status, latest) = get(url, "/v1/blocks/latest");
    assert_eq!(status, 200);
    let height = latest["height"].as_u64().unwrap();
    let (status, same) = get(url, &format!("/v1/blocks/{height}"));
    assert_eq!((status, &same), (200, &latest));
    let (status, events) = get(url, &format!("/v1/contracts/{t}/events?name=Sent&limit=1000"));
    assert_eq!(status, 200, "{events}");
    assert_eq!(events["events"].as_array().unwrap().len(), 2, "{events}");
    assert_eq!(events["events"][0]["fields"]["amount"], "1", "{events}");
    let (status, reversed) = get(url, &format!("/v1/contracts/{t}/events?from=5&to=1"));
    assert_eq!((status, &reversed["events"]), (200, &json!([])), "{reversed}");
    let (status, contract) = get(url, &format!("/v1/contracts/{t}"));
    assert_eq!(status, 200);
    assert_eq!(contract["abi"]["name"], "Token");
    let (status, openapi) = get(url, "/openapi.json");
    assert_eq!(status, 200);
    assert!(openapi["paths"]["/v1/transactions"]["post"]["responses"]["413"].is_object());
    // Every path the document lists answers with JSON, never a 5xx.
    for (path, item) in openapi["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{address}", &t)
            .replace("{id}", &id)
            .replace("{height}", "1")
            .replace("{method}", "balance");
        for method in item.as_object().unwrap().keys() {
            let answer =
                request(&method.to_uppercase(), &format!("{url}{concrete}"), json, Some(b"{}".as_slice()));
            assert!(answer.status < 500, "{method} {path}: {}", answer.text);
            assert_eq!(answer.content_type, "application/json", "{method} {path}");
        }
    }
}

// With blocks far apart, transactions wait in the mempool: a resubmission
// is a duplicate, the receipt is pending, nonces count what waits.
#[test]
fn waiting_transactions_duplicates_and_nonces() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProcess::start(&dir.path().join("data"), 600_000);
    let url = node.url.as_str();
    let code = token_wasm(dir.path());
    let alice = key(1);
    let deploy = |nonce: u64, args: Vec<u8>| {
        signed("e2e", &alice, nonce, GAS, Payload::Deploy { code: code.clone(), args })
    };
    let first = deploy(0, Vec::new());
    let answer = submit_raw(url, &hex(&first), false);
    assert_eq!(answer.status, 202, "{}", answer.text);
    assert_eq!(answer.body["status"], "pending");
    let id = answer.body["id"].as_str().unwrap().to_string();
    assert_error(&submit_raw(url, &hex(&first), false), 409, "duplicate", "the same transaction again");
    let (status, pending) = get(url, &format!("/v1/transactions/{id}"));
    assert_eq!((status, &pending["status"]), (202, &json!("pending")), "{pending}");
    assert_eq!(node.status()["pending"], 1);
    let (_, account) = get(url, &format!("/v1/accounts/{}", hex(&addr(&alice))));
    assert_eq!(account["next_nonce"], 1);
    // The next nonce counts the waiting one; the same nonce again is a replay.
    assert_eq!(submit_raw(url, &hex(&deploy(1, Vec::new())), false).status, 202);
    let other = signed("e2e", &alice, 1, GAS + 1, Payload::Deploy { code: code.clone(), args: Vec::new() });
    assert_error(&submit_raw(url, &hex(&other), false), 409, "replayed_nonce", "a second nonce 1");
    assert_error(&submit_raw(url, &hex(&deploy(3, Vec::new())), false), 409, "gapped_nonce", "nonce 3");
    assert_eq!(node.status()["pending"], 2);
    assert_eq!(node.status()["height"], 0);
    // A batch: each transaction gets its own answer, in order; one refusal
    // does not stop the others. Its signatures are verified as one batch:
    // a bad one among them is still named, and only it is refused.
    let mut forged = deploy(3, Vec::new());
    if let Some(last) = forged.last_mut() {
        *last ^= 1;
    }
    let (status, batch) = post_json(
        url,
        "/v1/transactions/batch",
        &json!({ "txs": [
            hex(&deploy(2, Vec::new())),
            "zz",
            hex(&forged),
            "00",
            hex(&deploy(9, Vec::new())),
            hex(&deploy(3, Vec::new())),
        ] }),
    );
    assert_eq!(status, 202, "{batch}");
    let results = batch["results"].as_array().unwrap();
    assert_eq!(results.len(), 6, "{batch}");
    assert_eq!(results[0]["status"], "pending", "{batch}");
    assert_eq!(results[1]["error"]["code"], "bad_hex", "{batch}");
    assert_eq!(results[2]["error"]["code"], "bad_signature", "{batch}");
    assert_eq!(results[3]["error"]["code"], "malformed", "{batch}");
    assert_eq!(results[4]["error"]["code"], "gapped_nonce", "{batch}");
    assert_eq!(results[5]["status"], "pending", "{batch}");
    assert_eq!(node.status()["pending"], 4);
    let too_many: Vec<String> = (0..1001).map(|_| "00".to_string()).collect();
    let (status, body) = post_json(url, "/v1/transactions/batch", &json!({ "txs": too_many }));
    assert_eq!((status, body["error"]["code"].clone()), (413, json!("too_large")), "{body}");
    let (status, body) = post_json(url, "/v1/transactions/batch", &json!({ "tx": "00" }));
    assert_eq!(status, 422, "{body}");
    assert_error(
        &request("GET", &format!("{url}/v1/blocks/latest"), None, None),
        404,
        "not_found",
        "no blocks",
    );
}

// The mempool's bounds answer 429 with their own codes and a message that
// names the bound: a sender over its share (`sender_quota`) and a full
// pool (`mempool_full`), by count and by bytes, singly and in a batch.
// Chain parameters that cannot hold together stop `writ node` with exit 2.
#[test]
fn mempool_bounds_answer_429() {
    let dir = tempfile::tempdir().unwrap();
    let code = token_wasm(dir.path());
    let deploy = |signer: u8, nonce: u64| {
        signed("e2e", &key(signer), nonce, GAS, Payload::Deploy { code: code.clone(), args: Vec::new() })
    };
    let accepted = |url: &str, bytes: &[u8]| {
        let answer = submit_raw(url, &hex(bytes), false);
        assert_eq!(answer.status, 202, "{}", answer.text);
    };

    // By count: eight waiting at most, so two per sender.
    let node = NodeProcess::start_with(&dir.path().join("count"), 600_000, &["--mempool-txs", "8"]);
    let url = node.url.as_str();
    accepted(url, &deploy(1, 0));
    accepted(url, &deploy(1, 1));
    let third = request(
        "POST",
        &format!("{url}/v1/transactions"),
        Some("application/json"),
        Some(serde_json::to_vec(&json!({ "tx": hex(&deploy(1, 2)) })).unwrap().as_slice()),
    );
    assert_eq!(third.retry_after.as_deref(), Some("1"), "{}", third.text);
    let answer = third;
    assert_error(&answer, 429, "sender_quota", "a third from one sender");
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("share"), "{}", answer.text);
    for signer in 2..=4 {
        accepted(url, &deploy(signer, 0));
        accepted(url, &deploy(signer, 1));
    }
    let answer = submit_raw(url, &hex(&deploy(5, 0)), false);
    assert_error(&answer, 429, "mempool_full", "a ninth transaction");
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("8"), "{}", answer.text);
    let (status, batch) = post_json(url, "/v1/transactions/batch", &json!({ "txs": [hex(&deploy(5, 0))] }));
    assert_eq!(status, 202, "{batch}");
    assert_eq!(batch["results"][0]["error"]["code"], "mempool_full", "{batch}");
    assert_eq!(node.status()["pending"], 8);
    drop(node);

    // By bytes: room for four deploys, so one per sender.
    let size = deploy(1, 0).len();
    let bytes_max = (4 * size + 3).to_string();
    let node = NodeProcess::start_with(&dir.path().join("bytes"), 600_000, &["--mempool-bytes", &bytes_max]);
    let url = node.url.as_str();
    accepted(url, &deploy(1, 0));
    let answer = submit_raw(url, &hex(&deploy(1, 1)), false);
    assert_error(&answer, 429, "sender_quota", "a second deploy from one sender");
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("bytes"), "{}", answer.text);
    for signer in 2..=4 {
        accepted(url, &deploy(signer, 0));
    }
    let answer = submit_raw(url, &hex(&deploy(5, 0)), false);
    assert_error(&answer, 429, "mempool_full", "a fifth deploy");
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("bytes"), "{}", answer.text);
    drop(node);

    let out = writ_cmd(
        &["node", "--data", dir.path().join("bad").to_str().unwrap(), "--tx-gas", "10", "--block-gas", "5"],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("could never fit in a block"), "{}", stderr(&out));
}

// The chain's gas parameters from `writ node` flags: a gas limit over
// `--tx-gas` is refused, and three waiting transactions of the full
// ceiling, with `--block-gas` at twice it, go into a block of two and the
// next block of one, in order.
#[test]
fn blocks_are_packed_by_the_block_gas_flag() {
    let dir = tempfile::tempdir().unwrap();
    let code = token_wasm(dir.path());
    let (ceiling, block) = (GAS.to_string(), (2 * GAS).to_string());
    let node = NodeProcess::start_with(
        &dir.path().join("data"),
        100,
        &["--tx-gas", &ceiling, "--block-gas", &block],
    );
    let url = node.url.as_str();
    let deploy = |nonce: u64, gas: u64| {
        signed("e2e", &key(1), nonce, gas, Payload::Deploy { code: code.clone(), args: Vec::new() })
    };
    assert_error(&submit_raw(url, &hex(&deploy(0, GAS + 1)), false), 400, "gas_limit", "over --tx-gas");
    let (status, batch) = post_json(
        url,
        "/v1/transactions/batch",
        &json!({ "txs": [hex(&deploy(0, GAS)), hex(&deploy(1, GAS)), hex(&deploy(2, GAS))] }),
    );
    assert_eq!(status, 202, "{batch}");
    let ids: Vec<String> =
        batch["results"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut heights = Vec::new();
    for id in &ids {
        loop {
            let (status, receipt) = get(url, &format!("/v1/transactions/{id}"));
            if status == 200 {
                heights.push(receipt["height"].as_u64().unwrap());
                break;
            }
            assert!(Instant::now() < deadline, "no receipt for {id}: {receipt}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert_eq!(heights[0], heights[1], "{heights:?}");
    assert_eq!(heights[2], heights[0] + 1, "{heights:?}");
}

// Reads are answered while a block executes: a call that burns the whole
// transaction gas ceiling reading storage keeps its block busy, and the
// status, which says how many transactions the executing block holds, is
// seen saying so. A node whose reads waited for the block could only ever
// answer between blocks, with nothing executing.
#[test]
fn reads_are_answered_while_a_block_executes() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProcess::start(&dir.path().join("data"), 20);
    let url = node.url.as_str();
    let chain = node.status()["chain_id"].as_str().unwrap().to_string();
    let out = dir.path().join("build");
    let source = repo().join("ledger/examples/spin.writ");
    let built = writ_cmd(&["build".as_ref(), source.as_os_str(), "-o".as_ref(), out.as_os_str()], None);
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    let code = std::fs::read(out.join("Spin.wasm")).unwrap();
    let spinner = key(9);
    let deploy = Payload::Deploy { code: code.clone(), args: encode(&code, "init", &json!([])) };
    let answer = submit_raw(url, &hex(&signed(&chain, &spinner, 0, GAS, deploy)), true);
    assert_eq!(answer.status, 200, "{}", answer.text);
    let spin = writ_ledger::crypto::contract_address(&address_of(&spinner.verifying_key().to_bytes()), 0);
    let call = Payload::Call {
        contract: spin,
        method: "spin".into(),
        args: encode(&code, "spin", &json!(["1000000000000"])),
    };
    let ceiling = writ_ledger::limits::TX_GAS_LIMIT_MAX_DEFAULT;
    let answer = submit_raw(url, &hex(&signed(&chain, &spinner, 1, ceiling, call)), false);
    assert_eq!(answer.status, 202, "{}", answer.text);
    let id = answer.body["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen_executing = false;
    loop {
        let status = node.status();
        seen_executing |= status["executing"] == 1;
        let (code, receipt) = get(url, &format!("/v1/transactions/{id}"));
        if code == 200 {
            assert_eq!(receipt["error"]["name"], "OutOfGas", "{receipt}");
            break;
        }
        assert!(Instant::now() < deadline, "the spin call was not committed");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(seen_executing, "no read was answered while the block executed");
}

// `writ deploy PKG` deploys the package's contracts in the order its
// writ.toml lists them, an earlier contract's address standing in for
// `"@Name"` in a later one's arguments; the office then calls the registry
// across a call between contracts on the node.
#[test]
fn a_package_deploys_its_contracts_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let node = NodeProcess::start(&dir.path().join("data"), 20);
    let cli = Cli { node: &node.url, keys: &keys };
    let alice = address_in(&cli.ok(&["key", "new", "alice"]), "address ");
    let package = dir.path().join("agencies");
    std::fs::create_dir_all(package.join("src")).unwrap();
    std::fs::write(
        package.join("writ.toml"),
        "[package]\nname = \"agencies\"\nversion = \"1.0.0\"\n\n[[deploy]]\ncontract = \"Registry\"\n\n[[deploy]]\ncontract = \"Office\"\nargs = { registry = \"@Registry\", fee = \"7\" }\n",
    )
    .unwrap();
    std::fs::write(
        package.join("src/agencies.writ"),
        "pub contract Registry {\n    storage {\n        known: Map<Address, bool>,\n    }\n\n    pub fn enrol(who: Address) {\n        self.known[who] = true;\n    }\n\n    pub view fn is_known(who: Address) -> bool {\n        self.known.get(who).unwrap_or(false)\n    }\n}\n\npub contract Office {\n    storage {\n        registry: Registry,\n        fee: u64,\n    }\n\n    init(registry: Registry, fee: u64) {\n        self.registry = registry;\n        self.fee = fee;\n    }\n\n    pub view fn fee_for(who: Address) -> u64 {\n        if self.registry.is_known(who) { self.fee } else { 0 }\n    }\n\n    pub view fn registry() -> Address {\n        self.registry.address()\n    }\n}\n",
    )
    .unwrap();
    let deployed = cli.ok(&["deploy", package.to_str().unwrap(), "--key", "alice"]);
    let registry = address_in(&deployed, "deployed Registry at ");
    let office = address_in(&deployed, "deployed Office at ");
    assert!(
        deployed.find("deployed Registry").unwrap() < deployed.find("deployed Office").unwrap(),
        "{deployed}"
    );
    assert_eq!(cli.ok(&["query", &office, "registry"]).trim(), format!("\"{registry}\""));
    assert_eq!(cli.ok(&["query", &office, "fee_for", &format!(r#"["{alice}"]"#)]).trim(), r#""0""#);
    cli.ok(&["call", &registry, "enrol", &format!(r#"["{alice}"]"#), "--key", "alice"]);
    assert_eq!(cli.ok(&["query", &office, "fee_for", &format!(r#"["{alice}"]"#)]).trim(), r#""7""#);
}

// A package that has only another agency's built artifact calls the
// contract deployed from it: the interface comes from the artifact's ABI
// (an `abi` dependency), and a contract of another shape at the address
// is refused at the call.
#[test]
fn a_contract_calls_one_known_only_by_its_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let node = NodeProcess::start(&dir.path().join("data"), 20);
    let cli = Cli { node: &node.url, keys: &keys };
    let alice = address_in(&cli.ok(&["key", "new", "alice"]), "address ");
    // The registry's agency builds it and hands over only the artifact.
    let registry_source = |result: &str, value: &str| {
        format!(
            "pub contract Registry {{\n    storage {{\n        known: Map<Address, bool>,\n    }}\n\n    pub fn enrol(who: Address) {{\n        self.known[who] = true;\n    }}\n\n    pub view fn is_known(who: Address) -> {result} {{\n        {value}\n    }}\n}}\n"
        )
    };
    let write_package = |folder: &str, manifest: &str, source: &str| {
        let root = dir.path().join(folder);
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("writ.toml"), manifest).unwrap();
        std::fs::write(root.join("src/main.writ"), source).unwrap();
        root
    };
    let registry = write_package(
        "registry",
        "[package]\nname = \"registry\"\nversion = \"2.1.0\"\n",
        &registry_source("bool", "self.known.get(who).unwrap_or(false)"),
    );
    let built = dir.path().join("vendor");
    cli.ok(&["build", registry.to_str().unwrap(), "-o", built.to_str().unwrap()]);
    let artifact = built.join("Registry.wasm");
    let interface = cli.ok(&["abi", "--interface", artifact.to_str().unwrap()]);
    assert!(interface.contains("pub view fn is_known(who: Address) -> bool;"), "{interface}");
    let registry_at = address_in(
        &cli.ok(&["deploy", artifact.to_str().unwrap(), "--key", "alice"]),
        "deployed Registry at ",
    );

    let office_manifest = |registry_at: &str| {
        format!(
            "[package]\nname = \"office\"\nversion = \"1.0.0\"\n\n[dependencies]\nregistry = {{ abi = \"../vendor/Registry.wasm\" }}\n\n[[deploy]]\ncontract = \"Office\"\nargs = [\"{registry_at}\"]\n"
        )
    };
    let office_source = "use registry::Registry;\n\npub contract Office {\n    storage {\n        registry: Registry,\n    }\n\n    init(registry: Registry) {\n        self.registry = registry;\n    }\n\n    pub view fn fee_for(who: Address) -> u64 {\n        if self.registry.is_known(who) { 7 } else { 0 }\n    }\n}\n";
    let office = write_package("office", &office_manifest(&registry_at), office_source);
    let office_at =
        address_in(&cli.ok(&["deploy", office.to_str().unwrap(), "--key", "alice"]), "deployed Office at ");
    let fee = |office_at: &str| cli.run(&["query", office_at, "fee_for", &format!(r#"["{alice}"]"#)]);
    assert_eq!(stdout(&fee(&office_at)).trim(), r#""0""#);
    cli.ok(&["call", &registry_at, "enrol", &format!(r#"["{alice}"]"#), "--key", "alice"]);
    assert_eq!(stdout(&fee(&office_at)).trim(), r#""7""#);

    // A registry whose `is_known` answers with a number: the office, built
    // against the first artifact, is refused at the call, not misled.
    let other = write_package(
        "registry_v3",
        "[package]\nname = \"registry\"\nversion = \"3.0.0\"\n",
        &registry_source("u64", "1"),
    );
    let other_built = dir.path().join("vendor_v3");
    cli.ok(&["build", other.to_str().unwrap(), "-o", other_built.to_str().unwrap()]);
    let other_at = address_in(
        &cli.ok(&["deploy", other_built.join("Registry.wasm").to_str().unwrap(), "--key", "alice"]),
        "deployed Registry at ",
    );
    std::fs::write(office.join("writ.toml"), office_manifest(&other_at)).unwrap();
    // `writ deploy` refuses at once; forced, the call is refused by the VM.
    cli.fails(
        &["deploy", office.to_str().unwrap(), "--key", "alice"],
        1,
        "does not have that interface: `is_known` takes or returns other types there",
    );
    let nowhere = "0x00000000000000000000000000000000000000aa";
    std::fs::write(office.join("writ.toml"), office_manifest(nowhere)).unwrap();
    cli.fails(
        &["deploy", office.to_str().unwrap(), "--key", "alice"],
        1,
        "holds no contract this node knows",
    );
    std::fs::write(office.join("writ.toml"), office_manifest(&other_at)).unwrap();
    let forced = cli.ok(&["deploy", office.to_str().unwrap(), "--key", "alice", "--no-interface-check"]);
    let misled_at = address_in(&forced, "deployed Office at ");
    let refused = fee(&misled_at);
    assert_ne!(refused.status.code(), Some(0), "{}", stdout(&refused));
    assert!(stderr(&refused).contains("InterfaceMismatch"), "{}", stderr(&refused));
}
