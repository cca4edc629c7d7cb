//! Editor latency on a 5 000-line file, measured through the real server
//! (over OS pipes, the same code and framing `writ lsp` runs):
//! time from `didChange` to `publishDiagnostics`, and completion latency
//! with and without a preceding edit. Run with
//! `cargo bench -p writ-lsp --bench latency` (release profile); prints
//! medians and 95th percentiles next to the targets (50 ms, 20 ms).

use std::time::{Duration, Instant};

/// The `writ` binary's allocator (cli/src/main.rs), so the figures are
/// those of `writ lsp`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::mpsc;

use serde_json::{Value, json};
use writ_lsp::transport::{read_messages, write_frame};

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
    writer: std::io::PipeWriter,
    messages: mpsc::Receiver<Value>,
    /// Messages received while waiting for another one.
    backlog: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn send(&mut self, message: Value) {
        let _ = write_frame(&mut self.writer, message.to_string().as_bytes());
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait(|m| m["id"] == json!(id) && m.get("method").is_none())
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn wait(&mut self, accept: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&accept) {
            return self.backlog.remove(i);
        }
        loop {
            match self.messages.recv_timeout(Duration::from_secs(30)) {
                Ok(message) if accept(&message) => return message,
                Ok(other) => self.backlog.push(other),
                Err(_) => {
                    eprintln!("the server stopped answering");
                    std::process::exit(1);
                }
            }
        }
    }

    fn diagnostics(&mut self, version: i64) -> Value {
        self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == json!(version)
        })
    }

    fn change(&mut self, version: i64, line: u32, text: &str) {
        let at = json!({ "line": line, "character": 0 });
        let change = json!({ "range": { "start": at, "end": at }, "text": text });
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": URI, "version": version }, "contentChanges": [change] }),
        );
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

fn run() -> std::io::Result<()> {
    let text = big_file();
    let lines = text.lines().count() as u32;
    let (server_read, writer) = std::io::pipe()?;
    let (client_read, server_write) = std::io::pipe()?;
    std::thread::spawn(move || writ_lsp::serve(server_read, server_write));
    let messages = read_messages(client_read);
    let mut client = Client { writer, messages, backlog: Vec::new(), next_id: 0 };
    let delay_ms = writ_lsp::server::DIAGNOSTICS_DELAY_MS;
    client.request("initialize", json!({ "capabilities": {} }));
    client.notify("initialized", json!({}));
    let doc = json!({ "uri": URI, "languageId": "writ", "version": 1, "text": text });
    client.notify("textDocument/didOpen", json!({ "textDocument": doc }));
    let first = client.diagnostics(1);
    let count = first["params"]["diagnostics"].as_array().map_or(0, Vec::len);
    println!("file: {lines} lines, {} bytes, {count} diagnostics", text.len());

    // An edit after a pause: diagnostics are computed at once.
    let mut version = 1;
    let mut single = Vec::new();
    for i in 0..SAMPLES {
        version += 1;
        std::thread::sleep(Duration::from_millis(delay_ms + 20));
        let started = Instant::now();
        client.change(version, lines / 2, &format!("// edit {i}\n"));
        client.diagnostics(version);
        single.push(started.elapsed());
    }
    report("didChange -> publishDiagnostics (single edit)", single, 50.0);

    // A burst of keystrokes 20 ms apart: measured from the last one.
    let mut burst = Vec::new();
    for _ in 0..SAMPLES / 3 {
        std::thread::sleep(Duration::from_millis(delay_ms + 20));
        let mut started = Instant::now();
        for key in 0..5 {
            version += 1;
            started = Instant::now();
            client.change(version, lines / 3, &format!("// key {key}\n"));
            std::thread::sleep(Duration::from_millis(20));
        }
        client.diagnostics(version);
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
        std::thread::sleep(Duration::from_millis(delay_ms + 20));
        client.change(version, line, "        self.\n");
        let position =
            json!({ "textDocument": { "uri": URI }, "position": { "line": line, "character": 13 } });
        let started = Instant::now();
        let items = client.request("textDocument/completion", position.clone());
        after_edit.push(started.elapsed());
        if items["result"].as_array().is_none_or(|a| a.is_empty()) {
            eprintln!("completion returned nothing: {items}");
        }
        client.diagnostics(version);
        let started = Instant::now();
        client.request("textDocument/completion", position);
        warm.push(started.elapsed());
    }
    report("completion right after an edit (re-analysis)", after_edit, 20.0);
    report("completion, analysis up to date", warm, 20.0);
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("cannot run the benchmark: {e}");
    }
}
