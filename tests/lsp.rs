//! Protocol tests of `writ lsp`: the real binary is started and spoken to
//! in JSON-RPC with Content-Length framing over its stdio, and every
//! answer is checked exactly on small fixtures. Also a property test of
//! random incremental edits and the Neovim end-to-end script.

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use writ_lsp::transport::{read_messages, write_frame};

/// How long any single answer may take before the test fails.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// A client talking to one `writ lsp` process.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Notifications received while waiting for something else.
    backlog: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        Client::start_with(json!({}))
    }

    /// Starts a server, telling it the client has `capabilities`.
    fn start_with(capabilities: Value) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_writ"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start writ lsp: {e}"));
        let stdin = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        // The server's own framing layer reads its answers.
        let messages = read_messages(stdout);
        let mut client = Client { child, stdin, messages, backlog: Vec::new(), next_id: 0 };
        let init = client.request(
            "initialize",
            json!({ "capabilities": capabilities, "processId": null, "rootUri": null }),
        );
        assert!(init["result"]["capabilities"]["hoverProvider"].as_bool() == Some(true), "{init}");
        client.notify("initialized", json!({}));
        client
    }

    fn send_raw(&mut self, body: &str) {
        write_frame(&mut self.stdin, body.as_bytes()).unwrap_or_else(|e| panic!("write to server: {e}"));
    }

    /// Writes bytes as they are, framing included (or not).
    fn send_bytes(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap_or_else(|e| panic!("write to server: {e}"));
        self.stdin.flush().unwrap_or_else(|e| panic!("flush: {e}"));
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send_raw(&json!({ "jsonrpc": "2.0", "method": method, "params": params }).to_string());
    }

    fn next_message(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        self.messages.recv_timeout(left).unwrap_or_else(|e| panic!("no message from the server: {e}"))
    }

    /// Sends a request and returns the whole response (with `result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send_raw(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string());
        self.response(id)
    }

    fn response(&mut self, id: i64) -> Value {
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let message = self.next_message(deadline);
            if message["id"] == json!(id) && message.get("method").is_none() {
                return message;
            }
            self.backlog.push(message);
        }
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// Waits for a message satisfying `accept`.
    fn message(&mut self, accept: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&accept) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let message = self.next_message(deadline);
            if accept(&message) {
                return message;
            }
            self.backlog.push(message);
        }
    }

    /// Waits for a notification `method` whose params satisfy `accept`.
    fn notification(&mut self, method: &str, accept: impl Fn(&Value) -> bool) -> Value {
        self.message(|m| m["method"] == method && accept(&m["params"]))["params"].clone()
    }

    /// Replaces the whole text of `uri` (a full-sync change).
    fn change_full(&mut self, uri: &str, version: i64, text: &str) {
        let change = json!({ "text": text });
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [change] }),
        );
    }

    fn open(&mut self, uri: &str, text: &str) {
        let doc = json!({ "uri": uri, "languageId": "writ", "version": 1, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": doc }));
    }

    /// The diagnostics published for `uri` at `version`.
    fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let params = self.notification("textDocument/publishDiagnostics", |p| {
            p["uri"] == uri && p["version"] == json!(version)
        });
        params["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    fn at(&mut self, method: &str, uri: &str, line: u32, character: u32) -> Value {
        self.result(method, json!({ "textDocument": { "uri": uri }, "position": pos(line, character) }))
    }

    /// Shuts down politely and checks the process exits with status 0.
    fn shutdown(mut self) {
        // `"params": null`, as Emacs' eglot and LSP4IJ send it.
        let response = self.request("shutdown", Value::Null);
        assert!(
            response.get("error").is_none() && response.get("result") == Some(&Value::Null),
            "{response}"
        );
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap_or_else(|e| panic!("wait: {e}")) {
                assert!(status.success(), "server exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "server did not exit after `exit`");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pos(line: u32, character: u32) -> Value {
    json!({ "line": line, "character": character })
}

fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({ "start": pos(l1, c1), "end": pos(l2, c2) })
}

const URI: &str = "file:///work/fixture/counter.writ";

/// A contract with one error (a misspelt storage field) and one warning.
const COUNTER: &str = "use std::tax::progressive;

/// Counts visits.
contract Counter {
    storage { count: u64 }

    /// Adds one.
    pub fn bump() {
        self.cont = 1;
        let next = self.count + 1;
        self.count = next;
    }
}
";

fn counter() -> Client {
    let mut client = Client::start();
    client.open(URI, COUNTER);
    client
}

// Opening a file publishes its diagnostics with exact codes and ranges,
// labels and fixes; the fix is offered as a quick fix.
#[test]
fn diagnostics_and_quick_fix() {
    let mut client = counter();
    let diagnostics = client.diagnostics(URI, 1);
    let summary: Vec<(Value, Value, Value)> =
        diagnostics.iter().map(|d| (d["code"].clone(), d["severity"].clone(), d["range"].clone())).collect();
    assert_eq!(
        summary,
        vec![
            (json!("W0003"), json!(2), range(0, 14, 0, 25)),
            (json!("E2006"), json!(1), range(8, 13, 8, 17)),
        ]
    );
    assert_eq!(diagnostics[1]["message"], "the contract `Counter` has no storage field `cont`");
    assert_eq!(diagnostics[1]["source"], "writ");
    let actions = client.result(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": URI }, "range": range(8, 14, 8, 14), "context": { "diagnostics": [] } }),
    );
    assert_eq!(actions.as_array().map(Vec::len), Some(1), "{actions}");
    assert_eq!(actions[0]["title"], "did you mean `count`?");
    assert_eq!(
        actions[0]["edit"]["changes"][URI],
        json!([{ "range": range(8, 13, 8, 17), "newText": "count" }])
    );
    client.shutdown();
}

// An incremental edit (with UTF-16 columns after an emoji) republishes.
#[test]
fn incremental_edits_update_diagnostics() {
    let mut client = counter();
    client.diagnostics(URI, 1);
    // Fix the field name: replace `cont` (line 8, columns 13..17) with `count`.
    let change = json!({ "range": range(8, 13, 8, 17), "text": "count" });
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [change] }),
    );
    let codes: Vec<Value> = client.diagnostics(URI, 2).iter().map(|d| d["code"].clone()).collect();
    assert_eq!(codes, vec![json!("W0003")]);
    // An emoji is two UTF-16 units: the error after it starts at column 16.
    let text = "fn f() { /*😀*/ let x: u64 = true; }\n";
    let change = json!({ "text": text });
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 3 }, "contentChanges": [change] }),
    );
    let diagnostics = client.diagnostics(URI, 3);
    let mismatch =
        diagnostics.iter().find(|d| d["code"] == "E2004").unwrap_or_else(|| panic!("{diagnostics:?}"));
    assert_eq!(mismatch["range"], range(0, 29, 0, 33));
    client.shutdown();
}

// Edits inside one item re-parse only it (`Analysis::after`): the items
// after it move, so their diagnostics and definitions must follow, through
// a syntax error and its repair.
#[test]
fn edits_in_one_item_move_what_follows() {
    let mut client = Client::start();
    let text =
        format!("{COUNTER}\nfn later() -> u64 {{\n    let unused: u64 = true;\n    return later();\n}}\n");
    client.open(URI, &text);
    let mismatch = |diagnostics: &[Value]| {
        diagnostics.iter().find(|d| d["code"] == "E2004").map(|d| d["range"].clone()).unwrap_or_default()
    };
    assert_eq!(mismatch(&client.diagnostics(URI, 1)), range(15, 22, 15, 26));
    let edit = |client: &mut Client, version: i64, change: Value| {
        client.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": URI, "version": version }, "contentChanges": [change] }),
        );
        client.diagnostics(URI, version)
    };
    // Two lines added inside `bump`: the error in `later` moves down two.
    let added = edit(
        &mut client,
        2,
        json!({ "range": range(9, 0, 9, 0), "text": "        let a = 1;\n        let b = a;\n" }),
    );
    assert_eq!(mismatch(&added), range(17, 22, 17, 26));
    // A syntax error inside `bump`, then its repair.
    let broken = edit(&mut client, 3, json!({ "range": range(10, 17, 10, 18), "text": "" }));
    assert!(broken.iter().any(|d| d["code"] == "E1001"), "{broken:?}");
    let repaired = edit(&mut client, 4, json!({ "range": range(10, 17, 10, 17), "text": ";" }));
    assert_eq!(mismatch(&repaired), range(17, 22, 17, 26));
    // Removing the two lines moves it back; go to definition finds the
    // moved function.
    let removed = edit(&mut client, 5, json!({ "range": range(9, 0, 11, 0), "text": "" }));
    assert_eq!(mismatch(&removed), range(15, 22, 15, 26));
    assert_eq!(
        client.at("textDocument/definition", URI, 16, 12),
        json!({ "uri": URI, "range": range(14, 3, 14, 8) })
    );
    client.shutdown();
}

// Hover shows the signature in a code block and the doc comment.
#[test]
fn hover_shows_signature_and_doc() {
    let mut client = counter();
    let hover = client.at("textDocument/hover", URI, 9, 25);
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert_eq!(hover["contents"]["value"], "```writ\nstorage count: u64\n```");
    assert_eq!(hover["range"], range(9, 24, 9, 29));
    let hover = client.at("textDocument/hover", URI, 7, 12);
    assert_eq!(hover["contents"]["value"], "```writ\npub fn bump()\n```\n\n---\n\nAdds one.");
    assert_eq!(client.at("textDocument/hover", URI, 2, 3), Value::Null);
    client.shutdown();
}

// Definition jumps within the file and into the standard library, whose
// module is written to disk so the editor can open it.
#[test]
fn definition_in_file_and_library() {
    let mut client = counter();
    let local = client.at("textDocument/definition", URI, 10, 22);
    assert_eq!(local, json!({ "uri": URI, "range": range(9, 12, 9, 16) }));
    let library = client.at("textDocument/definition", URI, 0, 18);
    let uri = library["uri"].as_str().unwrap_or_default().to_string();
    assert!(uri.starts_with("file://") && uri.ends_with("/std/tax.writ"), "{library}");
    let path = uri.trim_start_matches("file://");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let line = library["range"]["start"]["line"].as_u64().unwrap_or(0) as usize;
    assert!(text.lines().nth(line).is_some_and(|l| l.contains("fn progressive")), "{library}");
    client.shutdown();
}

// A document inside a package is checked with the package: an import
// from a module that is not open resolves (no diagnostic), go to definition
// opens that module's file, and an import of a private item is refused.
#[test]
fn a_package_document_sees_its_package() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path().join("office");
    std::fs::create_dir_all(root.join("src")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(root.join("writ.toml"), "[package]\nname = \"office\"\nversion = \"1.0.0\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        root.join("src/fees.writ"),
        "pub fn fee(n: u64) -> u64 {\n    n * 2\n}\n\nfn hidden() -> u64 {\n    let unused = 1;\n    1\n}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let main = root.join("src/main.writ");
    let text = "use crate::fees::{fee};\n\nfn total() -> u64 {\n    fee(2)\n}\n";
    std::fs::write(&main, text).unwrap_or_else(|e| panic!("{e}"));
    let uri = format!("file://{}", main.display());
    let mut client = Client::start();
    client.open(&uri, text);
    assert_eq!(client.diagnostics(&uri, 1), Vec::<Value>::new());
    let fees = format!("file://{}", root.join("src/fees.writ").display());
    // The package's unopened file has its diagnostics too.
    let published = client.notification("textDocument/publishDiagnostics", |p| p["uri"] == json!(fees));
    let warned = published["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["code"] == "W0001"));
    assert!(warned, "{published}");
    let definition = client.at("textDocument/definition", &uri, 3, 5);
    assert_eq!(definition, json!({ "uri": fees, "range": range(0, 7, 0, 10) }));
    client.change_full(&uri, 2, "use crate::fees::{hidden};\n\nfn total() -> u64 {\n    hidden()\n}\n");
    let diagnostics = client.diagnostics(&uri, 2);
    assert!(diagnostics.iter().any(|d| d["code"] == "E2057"), "{diagnostics:?}");
    // A manifest that cannot be read is said so on the package's documents.
    std::fs::write(root.join("writ.toml"), "[package]\nname = \"office\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    client.change_full(&uri, 3, "fn total() -> u64 {\n    2\n}\n");
    let diagnostics = client.diagnostics(&uri, 3);
    let said = diagnostics
        .iter()
        .any(|d| d["message"].as_str().is_some_and(|m| m.contains("package cannot be read")));
    assert!(said, "{diagnostics:?}");
    client.shutdown();
}

// References list every mention, with or without the declaration.
#[test]
fn references_with_and_without_declaration() {
    let mut client = counter();
    let params = |include: bool| json!({ "textDocument": { "uri": URI }, "position": pos(10, 14), "context": { "includeDeclaration": include } });
    let all = client.result("textDocument/references", params(true));
    let ranges: Vec<Value> =
        all.as_array().cloned().unwrap_or_default().iter().map(|l| l["range"].clone()).collect();
    assert_eq!(ranges, vec![range(4, 14, 4, 19), range(9, 24, 9, 29), range(10, 13, 10, 18)]);
    let uses = client.result("textDocument/references", params(false));
    assert_eq!(uses.as_array().map(Vec::len), Some(2));
    client.shutdown();
}

// Rename edits every mention; a keyword, an invalid name and a clash are
// refused with an error response that says why.
#[test]
fn rename_accepted_and_refused() {
    let mut client = counter();
    let rename = |client: &mut Client, name: &str| {
        client.request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": URI }, "position": pos(9, 13), "newName": name }),
        )
    };
    let prepared = client.at("textDocument/prepareRename", URI, 9, 13);
    assert_eq!(prepared, range(9, 12, 9, 16));
    let accepted = rename(&mut client, "total");
    assert_eq!(
        accepted["result"]["changes"][URI],
        json!([
            { "range": range(9, 12, 9, 16), "newText": "total" },
            { "range": range(10, 21, 10, 25), "newText": "total" },
        ])
    );
    let keyword = rename(&mut client, "while");
    assert_eq!(keyword["error"]["message"], "`while` is a keyword and cannot be used as a name");
    let invalid = rename(&mut client, "two words");
    assert!(
        invalid["error"]["message"].as_str().is_some_and(|m| m.contains("is not a valid name")),
        "{invalid}"
    );
    // `bump` has no other local; a clash needs one: add a second binding.
    let change = json!({ "range": range(9, 8, 9, 8), "text": "let other = 2;\n        " });
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [change] }),
    );
    let clash = client.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": URI }, "position": pos(10, 13), "newName": "other" }),
    );
    let message = clash["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("renaming to `other` would break the program"), "{clash}");
    let library = client.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": URI }, "position": pos(0, 18), "newName": "prog" }),
    );
    assert!(
        library["error"]["message"].as_str().is_some_and(|m| m.contains("standard library")),
        "{library}"
    );
    client.shutdown();
}

fn labels(items: &Value) -> Vec<String> {
    items
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|i| i["label"].as_str().map(String::from))
        .collect()
}

// Completion after `self.` while typing, and in expression position.
#[test]
fn completion_items() {
    let mut client = counter();
    let change = json!({ "range": range(10, 26, 10, 26), "text": "\n        self." });
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [change] }),
    );
    let members = client.at("textDocument/completion", URI, 11, 13);
    assert_eq!(labels(&members), vec!["count", "bump"]);
    assert_eq!(members[0]["detail"], "u64");
    assert_eq!(members[0]["kind"], 5); // field
    let general = client.at("textDocument/completion", URI, 10, 8);
    let found = labels(&general);
    for expected in ["next", "Counter", "progressive", "require", "caller", "u64", "let", "match"] {
        assert!(found.iter().any(|l| l == expected), "missing {expected} in {found:?}");
    }
    client.shutdown();
}

// Formatting returns the canonical text, and refuses files with syntax errors.
#[test]
fn formatting_and_refusal() {
    let mut client = Client::start();
    client.open(URI, "fn  f( )->u64{1}\n");
    let params = json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 4, "insertSpaces": true } });
    let edits = client.result("textDocument/formatting", params.clone());
    assert_eq!(edits, json!([{ "range": range(0, 0, 1, 0), "newText": "fn f() -> u64 {\n    1\n}\n" }]));
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [{ "text": "fn f( {\n" }] }),
    );
    let refused = client.request("textDocument/formatting", params);
    assert_eq!(refused["error"]["code"], -32803, "{refused}");
    assert!(refused["error"]["message"].as_str().is_some_and(|m| m.contains("syntax error")), "{refused}");
    client.shutdown();
}

// Outline, semantic tokens, inlay hints, folding, signature help, code lens.
#[test]
fn structure_queries() {
    let mut client = counter();
    let doc = json!({ "textDocument": { "uri": URI } });
    let symbols = client.result("textDocument/documentSymbol", doc.clone());
    assert_eq!(symbols[0]["name"], "Counter");
    assert_eq!(labels_of(&symbols[0]["children"], "name"), vec!["count", "bump"]);
    let found = client.result("workspace/symbol", json!({ "query": "bmp" }));
    assert_eq!(labels_of(&found, "name"), vec!["bump"]);
    let tokens = client.result("textDocument/semanticTokens/full", doc.clone());
    let data = tokens["data"].as_array().map(Vec::len).unwrap_or(0);
    assert!(data > 0 && data.is_multiple_of(5), "{tokens}");
    // The first token is the keyword `use` (legend index 0) at 0:0, three long.
    assert_eq!(
        tokens["data"].as_array().map(|d| d[..5].to_vec()),
        Some(vec![json!(0), json!(0), json!(3), json!(0), json!(0)])
    );
    let hints = client.result(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": URI }, "range": range(0, 0, 99, 0) }),
    );
    assert_eq!(hints, json!([{ "position": pos(9, 16), "label": ": u64", "kind": 1 }]));
    let folds = client.result("textDocument/foldingRange", doc.clone());
    let lines: Vec<(Value, Value)> = folds
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| (f["startLine"].clone(), f["endLine"].clone()))
        .collect();
    assert!(lines.contains(&(json!(3), json!(11))), "{folds}");
    client.shutdown();
}

fn labels_of(items: &Value, key: &str) -> Vec<String> {
    items
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|i| i[key].as_str().map(String::from))
        .collect()
}

// Signature help counts commas; the test lens runs the test as the editor
// holds it (unsaved edits included), refusing a file with errors.
#[test]
fn signature_help_and_test_lens() {
    let mut client = Client::start();
    let text = "fn add(a: u64, b: u64) -> u64 { a + b }\n\ntest \"adds\" {\n    assert_eq(add(1, ), 3);\n}\n";
    client.open(URI, text);
    let help = client.at("textDocument/signatureHelp", URI, 3, 21);
    assert_eq!(help["signatures"][0]["label"], "add(a: u64, b: u64) -> u64");
    assert_eq!(help["activeParameter"], 1);
    let lenses = client.result("textDocument/codeLens", json!({ "textDocument": { "uri": URI } }));
    assert_eq!(lenses[0]["command"]["title"], "▶ run test");
    assert_eq!(lenses[0]["command"]["command"], "writ.runTest");
    assert_eq!(lenses[0]["command"]["arguments"][0], "adds");
    assert_eq!(lenses[0]["range"], range(2, 0, 2, 11));
    // The file has an error (a missing argument): the lens refuses to run.
    let refused = client
        .result("workspace/executeCommand", json!({ "command": "writ.runTest", "arguments": ["adds", URI] }));
    assert_eq!(refused["ran"], false, "{refused}");
    let shown = client.notification("window/showMessage", |_| true);
    assert!(shown["message"].as_str().is_some_and(|m| m.contains("has errors")), "{shown}");
    // Fixed in the editor (not saved): the test runs and fails, with the values.
    client.change_full(URI, 2, &text.replace("add(1, )", "add(1, 1)"));
    let ran = client
        .result("workspace/executeCommand", json!({ "command": "writ.runTest", "arguments": ["adds", URI] }));
    assert_eq!((ran["ran"].clone(), ran["passed"].clone()), (json!(true), json!(false)), "{ran}");
    assert!(ran["report"].as_str().is_some_and(|r| r.contains("left:  2\n  right: 3")), "{ran}");
    let shown = client.notification("window/showMessage", |m| m["type"] == 1);
    assert!(shown["message"].as_str().is_some_and(|m| m.starts_with("✗ \"adds\" failed")), "{shown}");
    // And passes once the expectation is right.
    client.change_full(URI, 3, &text.replace("add(1, )", "add(1, 2)"));
    let ran = client
        .result("workspace/executeCommand", json!({ "command": "writ.runTest", "arguments": ["adds", URI] }));
    assert_eq!(ran["passed"], true, "{ran}");
    let missing = client
        .result("workspace/executeCommand", json!({ "command": "writ.runTest", "arguments": ["nope", URI] }));
    assert_eq!(missing["ran"], false, "{missing}");
    let malformed =
        client.request("workspace/executeCommand", json!({ "command": "writ.runTest", "arguments": [] }));
    assert_eq!(malformed["error"]["code"], -32602, "{malformed}");
    client.shutdown();
}

// "▶ prove" above each invariant and spec proves the document as the
// editor holds it: each verdict is a diagnostic on the invariant's name or
// the clause (a counterexample an error with the test to paste), and the
// marks go away once the text changes.
#[test]
fn prove_lens_marks_invariants_and_clauses() {
    let mut client = Client::start();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../runner/tests/prove/permits.writ"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    client.open(URI, &text);
    assert!(client.diagnostics(URI, 1).is_empty());
    let lenses = client.result("textDocument/codeLens", json!({ "textDocument": { "uri": URI } }));
    let proving: Vec<&Value> =
        lenses.as_array().into_iter().flatten().filter(|l| l["command"]["command"] == "writ.prove").collect();
    assert_eq!(proving.len(), 3, "{lenses}");
    assert_eq!(proving[0]["command"]["title"], "▶ prove");
    let ran =
        client.result("workspace/executeCommand", json!({ "command": "writ.prove", "arguments": [URI] }));
    if ran["ran"] == false && ran["message"].as_str().is_some_and(|m| m.contains("Z3")) {
        assert!(std::env::var_os("CI").is_none(), "{ran}");
        eprintln!("skipped: {ran}");
        return;
    }
    assert_eq!((ran["ran"].clone(), ran["counterexamples"].clone()), (json!(true), json!(1)), "{ran}");
    let proved = |version: i64| {
        move |p: &Value| {
            p["uri"] == URI
                && p["version"] == json!(version)
                && p["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["source"] == "writ prove"))
        }
    };
    let published = client.notification("textDocument/publishDiagnostics", proved(1));
    let marks = published["diagnostics"].as_array().cloned().unwrap_or_default();
    assert_eq!(marks.len(), 5, "{marks:?}");
    let broken: Vec<&Value> = marks.iter().filter(|d| d["severity"] == 1).collect();
    assert_eq!(broken.len(), 1, "{marks:?}");
    assert_eq!(broken[0]["source"], "writ prove");
    assert_eq!(broken[0]["code"], "counterexample");
    let line =
        text.lines().position(|l| l.trim_start().starts_with("aborts_if !has_role")).unwrap_or(0) as u32;
    assert_eq!(broken[0]["range"]["start"]["line"], line, "{marks:?}");
    assert!(broken[0]["message"].as_str().is_some_and(|m| m.contains(".issue(account(")), "{marks:?}");
    assert!(marks.iter().filter(|d| d["severity"] == 3).count() == 4, "{marks:?}");
    // A change (the role check added) drops the marks until proved again.
    let fixed = text.replace("pub fn issue(to: Address) {", "pub fn issue(to: Address) requires Issuer {");
    client.change_full(URI, 2, &fixed);
    assert!(client.diagnostics(URI, 2).is_empty());
    let ran =
        client.result("workspace/executeCommand", json!({ "command": "writ.prove", "arguments": [URI] }));
    assert_eq!(ran["counterexamples"], 0, "{ran}");
    let published = client.notification("textDocument/publishDiagnostics", proved(2));
    let marks = published["diagnostics"].as_array().cloned().unwrap_or_default();
    assert!(marks.len() == 5 && marks.iter().all(|d| d["severity"] == 3), "{marks:?}");
    let malformed =
        client.request("workspace/executeCommand", json!({ "command": "writ.prove", "arguments": [] }));
    assert_eq!(malformed["error"]["code"], -32602, "{malformed}");
    client.shutdown();
}

// Bad input never stops the server: unknown documents, positions past the
// end, malformed params, unknown methods, broken JSON, half-typed code.
#[test]
fn bad_messages_get_answers() {
    let mut client = counter();
    assert_eq!(client.at("textDocument/hover", "file:///nowhere.writ", 0, 0), Value::Null);
    let far = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": URI }, "position": pos(9999, 9999) }),
    );
    assert!(far.get("error").is_none(), "{far}");
    let malformed = client.request("textDocument/hover", json!({ "textDocument": 42 }));
    assert_eq!(malformed["error"]["code"], -32602, "{malformed}");
    let unknown = client.request("writ/noSuchMethod", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    client.send_raw("{ this is not json");
    let parse_error = client.message(|m| m["error"]["code"] == -32700);
    assert_eq!(parse_error["id"], Value::Null);
    client.send_raw(r#"{"jsonrpc":"2.0","id":77,"method":5}"#);
    let invalid = client.message(|m| m["id"] == 77);
    assert_eq!(invalid["error"]["code"], -32600, "{invalid}");
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": "file:///not-open.writ", "version": 2 }, "contentChanges": [{ "text": "x" }] }),
    );
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [
            { "range": range(500, 3, 2, 900), "text": "contract { fn (" },
            { "text": "/* unclosed \"😀" },
        ] }),
    );
    client.diagnostics(URI, 2);
    let completion = client.at("textDocument/completion", URI, 0, 99);
    assert!(completion.is_array(), "{completion}");
    client.shutdown();
}

// The editor never silently diverges from the user's text: a change
// holding a lone surrogate is applied (as U+FFFD, one UTF-16 unit like the
// surrogate, so later edits land where the editor meant); a change that
// cannot be decoded at all makes the server say so and refuse to answer
// about that file (formatting stale text would replace the user's file)
// until the full text comes back.
#[test]
fn edits_are_never_applied_to_a_stale_document() {
    let uri = "file:///work/fixture/stale.writ";
    let mut client = Client::start();
    client.open(uri, "fn f() -> u64 {\n    1\n}\n");
    assert!(client.diagnostics(uri, 1).is_empty());
    let insert = r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///work/fixture/stale.writ","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0}},"text":"// a\udcffb\n"}]}}"#;
    client.send_raw(insert);
    // Renames `f` on line 1: only right if the line above was inserted.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "range": range(1, 3, 1, 4), "text": "g" }] }),
    );
    assert!(client.diagnostics(uri, 3).is_empty());
    let symbols = client.result("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(symbols[0]["name"], "g", "{symbols}");
    let hover = client.at("textDocument/hover", uri, 0, 4);
    assert_eq!(hover, Value::Null, "a comment has no hover: {hover}");

    // A change whose params do not decode is lost: the server says so.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 4 }, "contentChanges": [{ "text": 5 }] }),
    );
    let shown = client.notification("window/showMessage", |p| p["type"] == 1);
    assert!(
        shown["message"].as_str().is_some_and(|m| m.contains("lost an edit") && m.contains("stale.writ")),
        "{shown}"
    );
    let stale = client.diagnostics(uri, 3);
    assert!(
        stale.len() == 1 && stale[0]["message"].as_str().is_some_and(|m| m.contains("lost an edit")),
        "{stale:?}"
    );
    let formatting = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    assert!(
        formatting["error"]["message"].as_str().is_some_and(|m| m.contains("out of date")),
        "{formatting}"
    );
    // Later incremental edits are not applied to the stale text…
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 5 }, "contentChanges": [{ "range": range(0, 0, 0, 0), "text": "x" }] }),
    );
    assert_eq!(client.at("textDocument/hover", uri, 1, 3), Value::Null);
    // …and the full text brings the document back.
    client.change_full(uri, 6, "fn h() -> u64 {\n    true\n}\n");
    let back = client.diagnostics(uri, 6);
    assert!(back.iter().any(|d| d["code"] == "E2004"), "{back:?}");
    client.shutdown();
}

// A wrong Content-Length does not swallow the frames after it: a length
// too long for its body ends at the next header, and both requests are
// answered with their ids.
#[test]
fn wrong_lengths_do_not_swallow_messages() {
    let mut client = counter();
    let first = json!({ "jsonrpc": "2.0", "id": 901, "method": "textDocument/hover",
        "params": { "textDocument": { "uri": URI }, "position": pos(0, 0) } })
    .to_string();
    client.send_bytes(format!("Content-Length: {}\r\n\r\n{first}", first.len() + 4000).as_bytes());
    let second = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": URI } }));
    assert!(second["result"].is_array(), "{second}");
    let answered = client.message(|m| m["id"] == 901 && m.get("method").is_none());
    assert!(answered.get("error").is_none(), "{answered}");
    // Too short: the rest of the body is skipped up to the next header.
    // The ten bytes are `{"id":902,`: the error still carries the id.
    let third = r#"{"id":902,"jsonrpc":"2.0","method":"shutdown"}"#;
    client.send_bytes(format!("Content-Length: 10\r\n\r\n{third}").as_bytes());
    let parse_error = client.message(|m| m["error"]["code"] == -32700);
    assert_eq!(parse_error["id"], 902, "{parse_error}");
    // The next frame's header ends the leftover bytes, and it is answered.
    let fourth = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": URI } }));
    assert!(fourth["result"].is_array(), "{fourth}");
    client.shutdown();
}

mod random_edits {
    //! Random incremental edits, including ranges past the end and inside
    //! surrogate pairs, never stop the server from answering.

    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use super::*;

    const PIECES: &[&str] = &[
        "", "x", "{", "}", "(", ")", ";", "\n", "self.", "let y = ", "😀", "é", "\"", "/*", "*/", "fn ",
        "emit ", "::",
    ];

    fn edit() -> impl Strategy<Value = (u32, u32, u32, u32, usize)> {
        (0u32..20, 0u32..50, 0u32..20, 0u32..50, 0..PIECES.len())
    }

    // 64 cases of up to 8 edits each against one server; after each batch
    // a hover and a completion must be answered.
    #[test]
    fn server_survives_random_edits() {
        let client = std::cell::RefCell::new(counter());
        let version = std::cell::Cell::new(1);
        let mut runner =
            TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
        let result = runner.run(&proptest::collection::vec(edit(), 1..8), |edits| {
            version.set(version.get() + 1);
            let mut client = client.borrow_mut();
            let changes: Vec<Value> = edits
                .iter()
                .map(|&(l1, c1, l2, c2, piece)| json!({ "range": range(l1, c1, l2, c2), "text": PIECES[piece] }))
                .collect();
            client.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": URI, "version": version.get() }, "contentChanges": changes }),
            );
            let (line, character) = (edits[0].0, edits[0].1);
            let hover = client.request("textDocument/hover", json!({ "textDocument": { "uri": URI }, "position": pos(line, character) }));
            prop_assert!(hover.get("error").is_none(), "{}", hover);
            let completion = client.at("textDocument/completion", URI, edits[0].2, edits[0].3);
            prop_assert!(completion.is_array(), "{}", completion);
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        let mut client = client.into_inner();
        client.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": URI, "version": 1000 }, "contentChanges": [{ "text": COUNTER }] }),
        );
        assert_eq!(client.diagnostics(URI, 1000).len(), 2);
        client.shutdown();
    }
}

/// Runs a real-editor script with this `writ` when `editor` is installed
/// (it prints a skip line otherwise); returns the script's output.
fn editor_script(editor: &str, script: &str, no_install: &str) -> Option<String> {
    let found =
        Command::new(editor).arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !found {
        println!("skipped: {editor} is not on PATH (scripts/{script} installs it)");
        return None;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new("bash")
        .arg(root.join("scripts").join(script))
        .env("WRIT_BIN", env!("CARGO_BIN_EXE_writ"))
        .env(no_install, "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/{script}: {e}"));
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "scripts/{script} failed:\n{report}");
    Some(report)
}

// Neovim, headless, with the server attached: diagnostics arrive and go to
// definition lands on the declaration. Runs only when `nvim` is installed.
#[test]
fn neovim_end_to_end() {
    if let Some(report) = editor_script("nvim", "test-nvim.sh", "WRIT_NVIM_NO_INSTALL") {
        assert!(report.contains("neovim end-to-end test passed"), "{report}");
    }
}

// Emacs with eglot, headless, loading the shipped `editors/emacs/writ.el`:
// diagnostics, an edit, go to definition, rename, formatting and a clean
// shutdown (eglot sends `shutdown` with "params": null). Runs only when
// `emacs` is installed (`.ci/run` and `scripts/test-emacs.sh` install it).
#[test]
fn emacs_eglot_end_to_end() {
    if let Some(report) = editor_script("emacs", "test-emacs.sh", "WRIT_EMACS_NO_INSTALL") {
        assert!(report.contains("ok   with status 0") && !report.contains("FAIL"), "{report}");
    }
}

// References and rename reach every module of the package and the
// packages it depends on, opened or not; a rename checks the renamed
// package as a package (its `use crate::…` still resolve).
#[test]
fn references_and_rename_across_modules_and_packages() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap_or(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    };
    write("registry/writ.toml", "[package]\nname = \"registry\"\nversion = \"1.0.0\"\n");
    write("registry/src/people.writ", "pub fn fee(n: u64) -> u64 {\n    n * 2\n}\n");
    write(
        "office/writ.toml",
        "[package]\nname = \"office\"\nversion = \"1.0.0\"\n\n[dependencies]\nregistry = { path = \"../registry\" }\n",
    );
    let main_text = "use registry::people::{fee};\nuse crate::more::{more};\n\nfn total() -> u64 {\n    fee(2) + more()\n}\n";
    write("office/src/main.writ", main_text);
    write("office/src/more.writ", "use registry::people::{fee};\n\npub fn more() -> u64 {\n    fee(3)\n}\n");
    let uri_of = |path: &str| {
        format!("file://{}", std::fs::canonicalize(dir.path().join(path)).unwrap_or_default().display())
    };
    let (main, more, people) =
        (uri_of("office/src/main.writ"), uri_of("office/src/more.writ"), uri_of("registry/src/people.writ"));
    let mut client = Client::start();
    client.open(&main, main_text);
    assert_eq!(client.diagnostics(&main, 1), Vec::<Value>::new());
    let found = client.result(
        "textDocument/references",
        json!({ "textDocument": { "uri": main }, "position": pos(4, 5), "context": { "includeDeclaration": true } }),
    );
    let mut places: Vec<(String, Value)> = found
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|l| (l["uri"].as_str().unwrap_or("").to_string(), l["range"].clone()))
        .collect();
    places.sort_by_key(|(uri, range)| (uri.clone(), range.to_string()));
    let mut expected = vec![
        (main.clone(), range(0, 23, 0, 26)),
        (main.clone(), range(4, 4, 4, 7)),
        (more.clone(), range(0, 23, 0, 26)),
        (more.clone(), range(3, 4, 3, 7)),
        (people.clone(), range(0, 7, 0, 10)),
    ];
    expected.sort_by_key(|(uri, range)| (uri.clone(), range.to_string()));
    assert_eq!(places, expected);
    let renamed = client.result(
        "textDocument/rename",
        json!({ "textDocument": { "uri": main }, "position": pos(4, 5), "newName": "levy" }),
    );
    for (uri, count) in [(&main, 2), (&more, 2), (&people, 1)] {
        let edits = renamed["changes"][uri].as_array().cloned().unwrap_or_default();
        assert_eq!(edits.len(), count, "{uri}: {renamed}");
        assert!(edits.iter().all(|e| e["newText"] == "levy"), "{renamed}");
    }
    // A module-level rename that would clash in another module is refused.
    let clash = client.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": main }, "position": pos(4, 5), "newName": "more" }),
    );
    assert!(clash["error"]["message"].as_str().is_some_and(|m| m.contains("more")), "{clash}");
    client.shutdown();
}

// A contract known only by its artifact (an `abi` dependency): definition
// opens the interface written from it, and a rename that would edit it is
// refused, since no edit would reach the artifact.
#[test]
fn an_abi_dependency_opens_as_its_interface_and_is_not_renamed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let analysis = writ_compiler::Analysis::single(
        "sanctions.writ",
        "contract SanctionsList {\n    storage { listed: Map<Address, bool> }\n    pub view fn is_listed(who: Address) -> bool { self.listed.get(who).unwrap_or(false) }\n}\n",
    );
    let built = writ_compiler::codegen::build_file(&analysis, writ_compiler::FileId(0));
    std::fs::write(dir.path().join("SanctionsList.wasm"), &built.artifacts[0].wasm)
        .unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path().join("exchange");
    std::fs::create_dir_all(root.join("src")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        root.join("writ.toml"),
        "[package]\nname = \"exchange\"\nversion = \"1.0.0\"\n\n[dependencies]\nsanctions = { abi = \"../SanctionsList.wasm\" }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let text = "use sanctions::SanctionsList;\n\npub contract Exchange {\n    storage { sanctions: SanctionsList }\n    pub view fn clear(who: Address) -> bool { !self.sanctions.is_listed(who) }\n}\n";
    let main = root.join("src/main.writ");
    std::fs::write(&main, text).unwrap_or_else(|e| panic!("{e}"));
    let uri = format!("file://{}", std::fs::canonicalize(&main).unwrap_or_default().display());
    let mut client = Client::start();
    client.open(&uri, text);
    assert_eq!(client.diagnostics(&uri, 1), Vec::<Value>::new());
    let definition = client.at("textDocument/definition", &uri, 4, 65);
    let target = definition["uri"].as_str().unwrap_or("").to_string();
    let file_name = target.rsplit('/').next().unwrap_or("");
    assert!(target.contains("/interfaces/") && file_name.starts_with("sanctions-"), "{definition}");
    let shown = std::fs::read_to_string(target.trim_start_matches("file://")).unwrap_or_default();
    let line = definition["range"]["start"]["line"].as_u64().unwrap_or(0) as usize;
    assert!(
        shown.lines().nth(line).is_some_and(|l| l.contains("pub view fn is_listed(who: Address) -> bool;")),
        "{shown}"
    );
    let refused = client.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri }, "position": pos(4, 65), "newName": "is_banned" }),
    );
    assert!(refused["error"]["message"].as_str().is_some_and(|m| m.contains("artifact")), "{refused}");
    client.shutdown();
}

// An editor that watches files for the server is asked to report package
// files; a module created on disk is seen at once, without an edit of the
// open document.
#[test]
fn files_changed_on_disk_are_seen_when_the_editor_watches_them() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path().join("office");
    std::fs::create_dir_all(root.join("src")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(root.join("writ.toml"), "[package]\nname = \"office\"\nversion = \"1.0.0\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let text = "use crate::fees::{fee};\n\npub fn total() -> u64 {\n    fee(2)\n}\n";
    let main = root.join("src/main.writ");
    std::fs::write(&main, text).unwrap_or_else(|e| panic!("{e}"));
    let uri = format!("file://{}", std::fs::canonicalize(&main).unwrap_or_default().display());
    let mut client = Client::start_with(
        json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } }),
    );
    let registration = client.message(|m| m["method"] == "client/registerCapability");
    let registered = &registration["params"]["registrations"][0];
    assert_eq!(registered["method"], "workspace/didChangeWatchedFiles", "{registration}");
    let globs: Vec<&str> = registered["registerOptions"]["watchers"]
        .as_array()
        .map(|w| w.iter().filter_map(|w| w["globPattern"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(globs, ["**/*.writ", "**/writ.toml", "**/*.wasm"]);
    let answer = json!({ "jsonrpc": "2.0", "id": registration["id"], "result": null });
    client.send_raw(&answer.to_string());
    client.open(&uri, text);
    let before = client.diagnostics(&uri, 1);
    assert!(before.iter().any(|d| d["code"] == "E2027"), "{before:?}");
    let fees = root.join("src/fees.writ");
    std::fs::write(&fees, "pub fn fee(n: u64) -> u64 {\n    n * 2\n}\n").unwrap_or_else(|e| panic!("{e}"));
    let created = json!({ "changes": [{ "uri": format!("file://{}", fees.display()), "type": 1 }] });
    client.notify("workspace/didChangeWatchedFiles", created);
    assert_eq!(client.diagnostics(&uri, 1), Vec::<Value>::new());
    client.shutdown();
}

// Documents of several packages open at once are each checked with their
// own package; a package named like another open one cannot join them and
// says so on its documents.
#[test]
fn documents_of_several_packages_are_each_checked_with_theirs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut client = Client::start();
    let mut open = |folder: &str, name: &str| {
        let root = dir.path().join(folder);
        std::fs::create_dir_all(root.join("src")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            root.join("writ.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\n"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("src/fees.writ"), "pub fn fee() -> u64 {\n    2\n}\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let text = "use crate::fees::{fee};\n\npub fn total() -> u64 {\n    fee()\n}\n";
        let main = root.join("src/main.writ");
        std::fs::write(&main, text).unwrap_or_else(|e| panic!("{e}"));
        let uri = format!("file://{}", std::fs::canonicalize(&main).unwrap_or_default().display());
        client.open(&uri, text);
        uri
    };
    let office = open("office", "office");
    let court = open("court", "court");
    let twin = open("twin", "office");
    assert_eq!(client.diagnostics(&office, 1), Vec::<Value>::new());
    assert_eq!(client.diagnostics(&court, 1), Vec::<Value>::new());
    let refused = client.diagnostics(&twin, 1);
    let said = refused.iter().any(|d| {
        d["message"].as_str().is_some_and(|m| {
            m.contains("package cannot be read") && m.contains("two packages are named `office`")
        })
    });
    assert!(said, "{refused:?}");
    client.shutdown();
}
