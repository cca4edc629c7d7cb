//! Editor latency on a 5 000-line file, measured through the real server
//! (tower-lsp over in-memory pipes, the same code `writ lsp` runs):
//! time from `didChange` to `publishDiagnostics`, and completion latency
//! with and without a preceding edit. Run with
//! `cargo bench -p writ-lsp --bench latency` (release profile); prints
//! medians and 95th percentiles next to the targets (50 ms, 20 ms).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

const SAMPLES: usize = 30;
const URI: &str = "file:///bench/big.writ";

/// The tax example with its contract repeated under new names until the
/// file passes 5 000 lines.
fn big_file() -> String {
    let source = include_str!("../../examples/tax/tax.writ");
    let start = source.find("contract TaxOffice {").unwrap_or(0);
    let end = source.get(start..).and_then(|s| s.find("\n}\n")).map_or(source.len(), |i| start + i + 3);
    let (head, contract, tail) = (&source[..start], &source[start..end], &source[end..]);
    let mut out = head.to_string();
    let mut copy = 0;
    while out.lines().count() + tail.lines().count() < 5_000 {
        copy += 1;
        out.push_str(&contract.replacen("contract TaxOffice {", &format!("contract TaxOffice{copy} {{"), 1));
        out.push('\n');
    }
    out.push_str(contract);
    out.push_str(tail);
    out
}

struct Client {
    writer: tokio::io::WriteHalf<tokio::io::DuplexStream>,
    messages: mpsc::UnboundedReceiver<Value>,
    /// Messages received while waiting for another one.
    backlog: Vec<Value>,
    next_id: i64,
}

impl Client {
    async fn send(&mut self, message: Value) {
        let body = message.to_string();
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        let _ = self.writer.write_all(framed.as_bytes()).await;
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })).await;
        self.wait(|m| m["id"] == json!(id) && m.get("method").is_none()).await
    }

    async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params })).await;
    }

    async fn wait(&mut self, accept: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&accept) {
            return self.backlog.remove(i);
        }
        loop {
            match tokio::time::timeout(Duration::from_secs(30), self.messages.recv()).await {
                Ok(Some(message)) if accept(&message) => return message,
                Ok(Some(other)) => self.backlog.push(other),
                _ => {
                    eprintln!("the server stopped answering");
                    std::process::exit(1);
                }
            }
        }
    }

    async fn diagnostics(&mut self, version: i64) -> Value {
        self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == json!(version)
        })
        .await
    }

    async fn change(&mut self, version: i64, line: u32, text: &str) {
        let at = json!({ "line": line, "character": 0 });
        let change = json!({ "range": { "start": at, "end": at }, "text": text });
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": URI, "version": version }, "contentChanges": [change] }),
        )
        .await;
    }
}

async fn read_messages(
    reader: tokio::io::ReadHalf<tokio::io::DuplexStream>,
    sender: mpsc::UnboundedSender<Value>,
) {
    let mut reader = BufReader::new(reader);
    loop {
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = value.parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        if let Ok(message) = serde_json::from_slice(&body)
            && sender.send(message).is_err()
        {
            return;
        }
    }
}

fn report(name: &str, mut samples: Vec<Duration>, target_ms: f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let median = ms(samples[samples.len() / 2]);
    let p95 = ms(samples[(samples.len() * 95 / 100).min(samples.len() - 1)]);
    let verdict = if median <= target_ms { "within" } else { "OVER" };
    println!("{name:<52} median {median:7.1} ms  p95 {p95:7.1} ms  ({verdict} target {target_ms} ms)");
}

async fn run() {
    let text = big_file();
    let lines = text.lines().count() as u32;
    let (client_side, server_side) = tokio::io::duplex(16 * 1024 * 1024);
    let (server_read, server_write) = tokio::io::split(server_side);
    tokio::spawn(writ_lsp::serve(server_read, server_write));
    let (client_read, writer) = tokio::io::split(client_side);
    let (sender, messages) = mpsc::unbounded_channel();
    tokio::spawn(read_messages(client_read, sender));
    let mut client = Client { writer, messages, backlog: Vec::new(), next_id: 0 };
    let delay_ms = writ_lsp::server::DIAGNOSTICS_DELAY_MS;
    client.request("initialize", json!({ "capabilities": {} })).await;
    client.notify("initialized", json!({})).await;
    let doc = json!({ "uri": URI, "languageId": "writ", "version": 1, "text": text });
    client.notify("textDocument/didOpen", json!({ "textDocument": doc })).await;
    let first = client.diagnostics(1).await;
    let count = first["params"]["diagnostics"].as_array().map_or(0, Vec::len);
    println!("file: {lines} lines, {} bytes, {count} diagnostics", text.len());

    // An edit after a pause: diagnostics are computed at once.
    let mut version = 1;
    let mut single = Vec::new();
    for i in 0..SAMPLES {
        version += 1;
        tokio::time::sleep(Duration::from_millis(delay_ms + 20)).await;
        let started = Instant::now();
        client.change(version, lines / 2, &format!("// edit {i}\n")).await;
        client.diagnostics(version).await;
        single.push(started.elapsed());
    }
    report("didChange -> publishDiagnostics (single edit)", single, 50.0);

    // A burst of keystrokes 20 ms apart: measured from the last one.
    let mut burst = Vec::new();
    for _ in 0..SAMPLES / 3 {
        tokio::time::sleep(Duration::from_millis(delay_ms + 20)).await;
        let mut started = Instant::now();
        for key in 0..5 {
            version += 1;
            started = Instant::now();
            client.change(version, lines / 3, &format!("// key {key}\n")).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        client.diagnostics(version).await;
        burst.push(started.elapsed());
    }
    report(&format!("  ... during typing (debounced, {delay_ms} ms pause)"), burst, 50.0 + delay_ms as f64);

    // Completion after `self.` in a contract in the middle of the file.
    let anchor = text.lines().enumerate().filter(|(_, l)| l.contains("let today = now().date();")).nth(8);
    let line = anchor.map_or(lines / 2, |(i, _)| i as u32 + 1);
    let mut after_edit = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..SAMPLES {
        version += 1;
        tokio::time::sleep(Duration::from_millis(delay_ms + 20)).await;
        client.change(version, line, "        self.\n").await;
        let position =
            json!({ "textDocument": { "uri": URI }, "position": { "line": line, "character": 13 } });
        let started = Instant::now();
        let items = client.request("textDocument/completion", position.clone()).await;
        after_edit.push(started.elapsed());
        if items["result"].as_array().is_none_or(|a| a.is_empty()) {
            eprintln!("completion returned nothing: {items}");
        }
        client.diagnostics(version).await;
        let started = Instant::now();
        client.request("textDocument/completion", position).await;
        warm.push(started.elapsed());
    }
    report("completion right after an edit (re-analysis)", after_edit, 20.0);
    report("completion, analysis up to date", warm, 20.0);
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(64 * 1024 * 1024)
        .enable_all()
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => eprintln!("cannot start the runtime: {e}"),
    }
}
