//! The stdin side of the transport: reads Content-Length framed messages
//! and hands tower-lsp only well-formed ones. A body that is not JSON, or
//! not a JSON-RPC message, becomes a request for the `writ/badMessage`
//! method, which the server answers with the JSON-RPC error (parse error
//! or invalid request) that the client is owed.
//!
//! Why: tower-lsp's reader stops the whole session at the first
//! undecodable message; this keeps one bad message from ending it.

use std::io::{BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

/// The method carrying a rejected message to the server.
pub const BAD_MESSAGE_METHOD: &str = "writ/badMessage";

/// The largest message read: a source file at its size limit, escaped.
const MESSAGE_BYTES_MAX: usize = 64 * 1024 * 1024;

/// What the client asked for about ending the session.
#[derive(Debug, Default)]
pub struct Ending {
    /// A `shutdown` request arrived (so `exit` means a clean end).
    pub shutdown: AtomicBool,
}

/// Starts a thread copying checked frames from `input` into the returned
/// stream. The stream ends when `input` does or right after `exit`
/// (tower-lsp would otherwise wait for one more message).
pub fn checked_input(input: impl Read + Send + 'static) -> (tokio::io::DuplexStream, Arc<Ending>) {
    let (mut writer, reader) = tokio::io::duplex(1024 * 1024);
    let ending = Arc::new(Ending::default());
    let seen = ending.clone();
    let handle = tokio::runtime::Handle::current();
    std::thread::spawn(move || {
        let mut input = std::io::BufReader::new(input);
        while let Some(body) = read_frame(&mut input) {
            let (body, method) = check(body);
            if method.as_deref() == Some("shutdown") {
                seen.shutdown.store(true, Ordering::SeqCst);
            }
            let framed = [format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes(), body].concat();
            if handle.block_on(writer.write_all(&framed)).is_err() || method.as_deref() == Some("exit") {
                break;
            }
        }
        let _ = handle.block_on(writer.shutdown());
    });
    (reader, ending)
}

/// The next frame's body; `None` at the end of input. Header blocks
/// without a usable Content-Length are skipped.
fn read_frame(input: &mut impl BufRead) -> Option<Vec<u8>> {
    loop {
        let mut length: Option<usize> = None;
        loop {
            let mut line = String::new();
            let read = input.read_line(&mut line).ok()?;
            if read == 0 {
                return None;
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().ok();
            }
        }
        let Some(length) = length else { continue };
        if length > MESSAGE_BYTES_MAX {
            std::io::copy(&mut input.take(length as u64), &mut std::io::sink()).ok()?;
            return Some(bad_message(Value::Null, "invalid"));
        }
        let mut body = vec![0; length];
        input.read_exact(&mut body).ok()?;
        return Some(body);
    }
}

/// The body unchanged when it is a JSON-RPC message tower-lsp can decode,
/// else a `writ/badMessage` request; and the method it calls, if any.
fn check(body: Vec<u8>) -> (Vec<u8>, Option<String>) {
    match serde_json::from_slice::<Value>(&body) {
        Err(_) => (bad_message(Value::Null, "parse"), None),
        Ok(message) if is_message(&message) => {
            let method = message.get("method").and_then(Value::as_str).map(str::to_string);
            (body, method)
        }
        Ok(message) => {
            let id = match message.get("id") {
                Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
                _ => Value::Null,
            };
            (bad_message(id, "invalid"), None)
        }
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

    fn frames(input: &str) -> Vec<String> {
        let mut reader = std::io::BufReader::new(input.as_bytes());
        let mut out = Vec::new();
        while let Some(body) = read_frame(&mut reader) {
            out.push(String::from_utf8_lossy(&check(body).0).into_owned());
        }
        out
    }

    // Good messages pass unchanged; bad ones become `writ/badMessage`
    // requests keeping the id when there is one; headers without a
    // length are skipped.
    #[test]
    fn bad_messages_are_replaced() {
        let good = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        let input = format!(
            "Content-Length: {}\r\n\r\n{good}Content-Length: 3\r\n\r\n{{x}}X-Other: 1\r\n\r\nContent-Length: 10\r\n\r\n{{\"id\":\"a\"}}",
            good.len()
        );
        let out = frames(&input);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0], good);
        assert!(out[1].contains(r#""id":null"#) && out[1].contains(r#""kind":"parse""#), "{}", out[1]);
        assert!(out[2].contains(r#""id":"a""#) && out[2].contains(r#""kind":"invalid""#), "{}", out[2]);
    }
}
