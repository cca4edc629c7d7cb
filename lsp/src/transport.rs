//! The one framing layer: reads and writes Content-Length framed messages.
//! The server's stdin side, the protocol tests and the latency benchmark
//! all use it.
//!
//! The server hands tower-lsp-server only well-formed JSON-RPC. Invalid
//! input is handled here first:
//! - A body that is not JSON, or is not a JSON-RPC message, becomes a
//!   request for `writ/badMessage`. The server answers it with the JSON-RPC
//!   error the client is owed (parse error or invalid request), using the
//!   message's id when one can be recovered.
//! - Lone UTF-16 surrogate escapes (`"\udcff"`), which an editor may send
//!   in the middle of a change, are replaced with U+FFFD. U+FFFD is one
//!   UTF-16 unit too, so later positions still line up.
//! - A text-sync notification whose params do not decode becomes
//!   `writ/lostChange`. The server then stops trusting that document until
//!   it gets its full text again.
//! - A wrong Content-Length does not swallow the frames that follow. A
//!   header is found anywhere on a line. If a body runs into the next
//!   frame's header after a complete JSON value, it ends there.
//!
//! Why: tower-lsp-server ends the whole session at the first message it
//! cannot decode, and drops a notification whose params do not decode
//! without a word. A lost edit would leave the server applying later
//! edits to a stale document.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
};

/// The method carrying a rejected message to the server.
pub const BAD_MESSAGE_METHOD: &str = "writ/badMessage";

/// The notification telling the server that a change to a document was
/// lost (its params did not decode).
pub const LOST_CHANGE_METHOD: &str = "writ/lostChange";

/// The largest message read: a source file at its size limit, escaped.
const MESSAGE_BYTES_MAX: usize = 64 * 1024 * 1024;

/// How a header names the body's length (compared ignoring case).
const LENGTH_HEADER: &[u8] = b"content-length:";

/// `body` with its header, ready to write.
pub fn frame(body: &[u8]) -> Vec<u8> {
    [format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes(), body.to_vec()].concat()
}

/// Writes one framed message and flushes.
pub fn write_frame(output: &mut impl Write, body: &[u8]) -> std::io::Result<()> {
    output.write_all(&frame(body))?;
    output.flush()
}

/// Reads framed message bodies from a byte stream and resynchronises after
/// damaged headers and wrong lengths.
pub struct FrameReader<R> {
    input: BufReader<R>,
    /// Bytes already read that belong to the frames after the last one.
    pending: Vec<u8>,
}

impl<R: Read> FrameReader<R> {
    pub fn new(input: R) -> FrameReader<R> {
        FrameReader { input: BufReader::new(input), pending: Vec::new() }
    }

    /// The next frame's body; `None` at the end of the input. Header
    /// blocks without a usable length are skipped; a body over the size
    /// limit is skipped and reported as an empty body (not JSON).
    pub fn next_body(&mut self) -> Option<Vec<u8>> {
        loop {
            let mut length: Option<usize> = None;
            loop {
                let line = self.line()?;
                let line = line.strip_suffix(b"\n").unwrap_or(&line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.is_empty() {
                    // A blank line ends a header block only once it has a length;
                    // stray blank lines between frames are skipped.
                    if length.is_some() {
                        break;
                    }
                    continue;
                }
                // Anywhere on the line: what is left of a body cut short by a
                // wrong length runs straight into the next header.
                if let Some(at) = find_ignoring_case(line, LENGTH_HEADER) {
                    let value = String::from_utf8_lossy(&line[at + LENGTH_HEADER.len()..]).trim().to_string();
                    length = value.parse().ok().or(Some(usize::MAX));
                }
            }
            let Some(length) = length.filter(|l| *l != usize::MAX) else { continue };
            if length > MESSAGE_BYTES_MAX {
                self.skip(length)?;
                return Some(Vec::new());
            }
            return self.body(length);
        }
    }

    /// One line, from the pending bytes first.
    fn line(&mut self) -> Option<Vec<u8>> {
        if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            return Some(self.pending.drain(..=end).collect());
        }
        let mut line = std::mem::take(&mut self.pending);
        let read = self.input.read_until(b'\n', &mut line).ok()?;
        if read == 0 && line.is_empty() {
            return None;
        }
        Some(line)
    }

    /// Reads a body of `length` bytes, stopping early when a complete JSON
    /// value is followed by another frame's header (the length was wrong).
    fn body(&mut self, length: usize) -> Option<Vec<u8>> {
        let mut body = std::mem::take(&mut self.pending);
        if body.len() > length {
            self.pending = body.split_off(length);
            return Some(body);
        }
        // Each header-like place is looked at once, however the body arrives.
        let mut searched = 0;
        while body.len() < length {
            if let Some(cut) = premature_end(&body, searched) {
                self.pending = body.split_off(cut);
                return Some(body);
            }
            searched = body.len().saturating_sub(LENGTH_HEADER.len());
            let available = self.input.fill_buf().ok()?;
            if available.is_empty() {
                return None;
            }
            let take = available.len().min(length - body.len());
            body.extend_from_slice(&available[..take]);
            self.input.consume(take);
        }
        Some(body)
    }

    fn skip(&mut self, mut length: usize) -> Option<()> {
        let from_pending = self.pending.len().min(length);
        self.pending.drain(..from_pending);
        length -= from_pending;
        let skipped = std::io::copy(&mut (&mut self.input).take(length as u64), &mut std::io::sink()).ok()?;
        (skipped == length as u64).then_some(())
    }
}

/// Where `body` ends if it holds a complete JSON value followed by the
/// start of another frame's header at or after `from`.
fn premature_end(body: &[u8], from: usize) -> Option<usize> {
    let mut from = from;
    loop {
        let at = from + find_ignoring_case(body.get(from..)?, LENGTH_HEADER)?;
        if serde_json::from_slice::<serde::de::IgnoredAny>(&body[..at]).is_ok() {
            return Some(at);
        }
        from = at + 1;
    }
}

fn find_ignoring_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle))
}

/// Starts a thread reading framed JSON messages from `input` (a server's
/// output, for clients such as the protocol tests and the benchmark) and
/// returns them in order; a body that is not JSON arrives as `null`.
pub fn read_messages(input: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<Value> {
    let (sender, messages) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = FrameReader::new(input);
        while let Some(body) = reader.next_body() {
            let message = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if sender.send(message).is_err() {
                break;
            }
        }
    });
    messages
}

/// What the client asked for about ending the session.
#[derive(Debug, Default)]
pub struct Ending {
    /// A `shutdown` request arrived (so `exit` means a clean end).
    pub shutdown: AtomicBool,
}

/// Starts a thread copying checked frames from `input` into the returned
/// stream. The stream ends when `input` does or right after `exit`
/// (tower-lsp-server would otherwise wait for one more message).
pub fn checked_input(input: impl Read + Send + 'static) -> (tokio::io::DuplexStream, Arc<Ending>) {
    let (mut writer, reader) = tokio::io::duplex(1024 * 1024);
    let ending = Arc::new(Ending::default());
    let seen = ending.clone();
    let handle = tokio::runtime::Handle::current();
    std::thread::spawn(move || {
        let mut input = FrameReader::new(input);
        while let Some(body) = input.next_body() {
            let (body, method) = check(body);
            if method.as_deref() == Some("shutdown") {
                seen.shutdown.store(true, Ordering::SeqCst);
            }
            if handle.block_on(writer.write_all(&frame(&body))).is_err() || method.as_deref() == Some("exit")
            {
                break;
            }
        }
        let _ = handle.block_on(writer.shutdown());
    });
    (reader, ending)
}

/// The body to hand tower-lsp-server: unchanged when it is a JSON-RPC
/// message it can decode, repaired when only lone surrogates stood in the
/// way, else a `writ/badMessage` request or `writ/lostChange`
/// notification; and the method it calls, if any.
pub fn check(body: Vec<u8>) -> (Vec<u8>, Option<String>) {
    let (body, message) = match serde_json::from_slice::<Value>(&body) {
        Ok(message) => (body, message),
        Err(_) => match repair_surrogates(&body).and_then(|b| Some((serde_json::from_slice(&b).ok()?, b))) {
            Some((message, repaired)) => (repaired, message),
            None => return (bad_message(recover_id(&body), "parse"), None),
        },
    };
    if !is_message(&message) {
        let id = match message.get("id") {
            Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
            _ => Value::Null,
        };
        return (bad_message(id, "invalid"), None);
    }
    let method = message.get("method").and_then(Value::as_str).map(str::to_string);
    if let Some(why) = method.as_deref().and_then(|m| sync_problem(m, &message)) {
        let uri = message.pointer("/params/textDocument/uri").cloned().unwrap_or(Value::Null);
        let lost =
            json!({ "jsonrpc": "2.0", "method": LOST_CHANGE_METHOD, "params": { "uri": uri, "why": why } });
        return (lost.to_string().into_bytes(), Some(LOST_CHANGE_METHOD.to_string()));
    }
    (body, method)
}

/// Why the params of a text-sync notification do not decode, if they do
/// not: the server must know it missed a change.
fn sync_problem(method: &str, message: &Value) -> Option<String> {
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    let decoded = match method {
        "textDocument/didChange" => serde_json::from_value::<DidChangeTextDocumentParams>(params).err(),
        "textDocument/didOpen" => serde_json::from_value::<DidOpenTextDocumentParams>(params).err(),
        "textDocument/didClose" => serde_json::from_value::<DidCloseTextDocumentParams>(params).err(),
        _ => None,
    };
    decoded.map(|e| format!("its `{method}` params do not decode: {e}"))
}

/// `body` with every lone surrogate escape inside a string replaced by
/// `\ufffd`; `None` when there was none (so the body is broken otherwise).
fn repair_surrogates(body: &[u8]) -> Option<Vec<u8>> {
    let unit = |at: usize| -> Option<u16> {
        let digits = body.get(at..at + 6)?;
        if digits[0] != b'\\' || digits[1] != b'u' {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&digits[2..]).ok()?, 16).ok()
    };
    let is_high = |u: u16| (0xD800..0xDC00).contains(&u);
    let is_low = |u: u16| (0xDC00..0xE000).contains(&u);
    let mut out = Vec::with_capacity(body.len());
    let (mut i, mut in_string, mut repaired) = (0, false, false);
    while i < body.len() {
        let byte = body[i];
        if !in_string {
            in_string = byte == b'"';
            out.push(byte);
            i += 1;
            continue;
        }
        match byte {
            b'"' => {
                in_string = false;
                out.push(byte);
                i += 1;
            }
            b'\\' => match unit(i) {
                Some(u) if is_high(u) && unit(i + 6).is_some_and(is_low) => {
                    out.extend_from_slice(&body[i..i + 12]);
                    i += 12;
                }
                Some(u) if is_high(u) || is_low(u) => {
                    out.extend_from_slice(b"\\ufffd");
                    repaired = true;
                    i += 6;
                }
                _ => {
                    out.extend_from_slice(body.get(i..i + 2).unwrap_or(&body[i..]));
                    i += 2;
                }
            },
            _ => {
                out.push(byte);
                i += 1;
            }
        }
    }
    repaired.then_some(out)
}

/// The id of a request whose body is not valid JSON, when one can be
/// read: the first `"id":` followed by a number or a string.
fn recover_id(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let Some(at) = text.find("\"id\"") else { return Value::Null };
    let rest = text[at + 4..].trim_start();
    let Some(rest) = rest.strip_prefix(':') else { return Value::Null };
    let mut values = serde_json::Deserializer::from_str(rest.trim_start()).into_iter::<Value>();
    match values.next() {
        Some(Ok(id @ (Value::Number(_) | Value::String(_)))) => id,
        _ => Value::Null,
    }
}

fn is_id(value: Option<&Value>) -> bool {
    matches!(value, None | Some(Value::Number(_) | Value::String(_) | Value::Null))
}

/// Whether `message` is a request, notification or response as JSON-RPC 2.0 defines them.
fn is_message(message: &Value) -> bool {
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return false;
    }
    if let Some(method) = message.get("method") {
        return method.is_string() && is_id(message.get("id"));
    }
    let has_id = message.get("id").is_some() && is_id(message.get("id"));
    let error_ok = match message.get("error") {
        None => message.get("result").is_some(),
        Some(error) => {
            message.get("result").is_none()
                && error.get("code").is_some_and(Value::is_i64)
                && error.get("message").is_some_and(Value::is_string)
        }
    };
    has_id && error_ok
}

fn bad_message(id: Value, kind: &str) -> Vec<u8> {
    json!({ "jsonrpc": "2.0", "id": id, "method": BAD_MESSAGE_METHOD, "params": { "kind": kind } })
        .to_string()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<String> {
        let mut reader = FrameReader::new(input);
        let mut out = Vec::new();
        while let Some(body) = reader.next_body() {
            out.push(String::from_utf8_lossy(&check(body).0).into_owned());
        }
        out
    }

    fn framed(body: &str) -> String {
        String::from_utf8_lossy(&frame(body.as_bytes())).into_owned()
    }

    // Good messages pass unchanged; bad ones become `writ/badMessage`
    // requests keeping the id when there is one; headers without a
    // length are skipped.
    #[test]
    fn bad_messages_are_replaced() {
        let good = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        let input = format!(
            "{}Content-Length: 3\r\n\r\n{{x}}X-Other: 1\r\n\r\nContent-Length: 10\r\n\r\n{{\"id\":\"a\"}}{}",
            framed(good),
            framed(r#"{"jsonrpc":"2.0","id":9,"method":"x","params":{"#)
        );
        let out = frames(input.as_bytes());
        assert_eq!(out.len(), 4);
        assert_eq!(out[0], good);
        assert!(out[1].contains(r#""id":null"#) && out[1].contains(r#""kind":"parse""#), "{}", out[1]);
        assert!(out[2].contains(r#""id":"a""#) && out[2].contains(r#""kind":"invalid""#), "{}", out[2]);
        // Broken JSON, but its id can still be read.
        assert!(out[3].contains(r#""id":9"#) && out[3].contains(r#""kind":"parse""#), "{}", out[3]);
    }

    // A length too long for its body, or too short, does not swallow the
    // frames after it.
    #[test]
    fn wrong_lengths_resynchronise() {
        let a = r#"{"jsonrpc":"2.0","id":1,"method":"a"}"#;
        let b = r#"{"jsonrpc":"2.0","id":2,"method":"b"}"#;
        let c = r#"{"jsonrpc":"2.0","id":3,"method":"c"}"#;
        let input =
            format!("Content-Length: 500\r\n\r\n{a}{}content-length: 10\r\n\r\n{b}{}", framed(b), framed(c));
        let out = frames(input.as_bytes());
        assert_eq!(out[0], a);
        assert_eq!(out[1], b);
        assert!(out[2].contains(r#""kind":"parse""#), "{}", out[2]);
        assert_eq!(out.last().map(String::as_str), Some(c), "{out:?}");
    }

    /// Hands out its chunks one read at a time, as a pipe does.
    struct Chunks(Vec<Vec<u8>>);

    impl Read for Chunks {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            let Some(chunk) = self.0.first_mut() else { return Ok(0) };
            let n = chunk.len().min(buffer.len());
            buffer[..n].copy_from_slice(&chunk[..n]);
            chunk.drain(..n);
            if chunk.is_empty() {
                self.0.remove(0);
            }
            Ok(n)
        }
    }

    // A length too long for its body, with the next frame arriving in a
    // later read, still ends at that frame's header.
    #[test]
    fn wrong_lengths_resynchronise_across_reads() {
        let a = r#"{"jsonrpc":"2.0","id":1,"method":"a"}"#;
        let b = r#"{"jsonrpc":"2.0","id":2,"method":"b"}"#;
        let first = format!("Content-Length: {}\r\n\r\n{a}", a.len() + 4000).into_bytes();
        let mut reader = FrameReader::new(Chunks(vec![first, frame(b.as_bytes())]));
        assert_eq!(reader.next_body(), Some(a.as_bytes().to_vec()));
        assert_eq!(reader.next_body(), Some(b.as_bytes().to_vec()));
        assert_eq!(reader.next_body(), None);
    }

    // A lone surrogate is replaced with U+FFFD and the message goes through;
    // a valid pair and an escaped backslash are left alone.
    #[test]
    fn lone_surrogates_are_repaired() {
        let change = r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.writ","version":2},"contentChanges":[{"text":"a\udcffb \ud83d\ude00 \\udcff"}]}}"#;
        let (body, method) = check(change.as_bytes().to_vec());
        assert_eq!(method.as_deref(), Some("textDocument/didChange"));
        let value: Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(value["params"]["contentChanges"][0]["text"], "a\u{fffd}b 😀 \\udcff");
    }

    // A text-sync notification that does not decode is reported as a lost
    // change for its document, never passed on to be dropped.
    #[test]
    fn undecodable_changes_are_reported() {
        let change = r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.writ"},"contentChanges":[{"text":1}]}}"#;
        let (body, method) = check(change.as_bytes().to_vec());
        assert_eq!(method.as_deref(), Some(LOST_CHANGE_METHOD));
        let value: Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(value["params"]["uri"], "file:///a.writ");
    }
}
