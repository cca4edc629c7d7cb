//! The JSON error body for requests the HTTP layer refuses before the
//! router sees them.
//!
//! hyper answers a request it cannot parse (a URI over 65 534 bytes: 414;
//! headers over its buffer: 431; a malformed request line or header: 400)
//! by itself, with an empty body. Every other error of the API is
//! `{"error": {"code", "message"}}`, and clients rely on that shape, so
//! each accepted connection is wrapped in a stream that recognises such a
//! bare answer as hyper writes it and writes the same status with the JSON
//! body instead. hyper closes the connection after these answers, so
//! nothing follows them on the stream.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A listener whose connections answer hyper's own refusals in JSON.
pub struct JsonErrorListener(pub TcpListener);

impl axum::serve::Listener for JsonErrorListener {
    type Io = JsonErrorStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (JsonErrorStream, std::net::SocketAddr) {
        let (stream, address) = axum::serve::Listener::accept(&mut self.0).await;
        (JsonErrorStream { inner: stream, pending: Vec::new(), written: 0 }, address)
    }

    fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.0.local_addr()
    }
}

/// A connection that rewrites a bare error answer into the JSON shape.
pub struct JsonErrorStream {
    inner: TcpStream,
    /// A rewritten answer, accepted from hyper and still being written.
    pending: Vec<u8>,
    written: usize,
}

impl JsonErrorStream {
    /// Writes what is left of a rewritten answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(rest) = self.pending.get(self.written..).filter(|rest| !rest.is_empty()) {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for JsonErrorStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for JsonErrorStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(answer) = with_json_body(buf) {
            // The whole of hyper's answer is taken; the replacement is
            // written now as far as the socket allows, the rest by the
            // flush or shutdown hyper always does next.
            this.pending = answer;
            this.written = 0;
            if let Poll::Ready(Err(error)) = this.poll_pending(cx) {
                return Poll::Ready(Err(error));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// Longest bare answer hyper writes: a status line and a few headers.
const BARE_ANSWER_BYTES_MAX: usize = 1024;

/// hyper's bare answer to an unparsable request (a whole response head
/// with a 400, 414 or 431 status and `content-length: 0`), rewritten with
/// the JSON error body; `None` for anything else. The API's own answers
/// always carry a body, so they never match.
fn with_json_body(written: &[u8]) -> Option<Vec<u8>> {
    // Every write passes here: rule out the API's own answers (large, or
    // not a 4xx head) before reading the bytes as text.
    if written.len() > BARE_ANSWER_BYTES_MAX || !written.starts_with(b"HTTP/1.1 4") {
        return None;
    }
    let head = std::str::from_utf8(written).ok()?;
    let status = head.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    if !head.ends_with("\r\n\r\n") || !head.to_ascii_lowercase().contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let (code, message) = match status {
        "400" => ("bad_request", "the request is not HTTP/1.1 the node can read"),
        "414" => ("uri_too_long", "the request's URI is longer than the node reads (65 534 bytes at most)"),
        "431" => ("headers_too_large", "the request's headers are larger than the node reads"),
        _ => return None,
    };
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    let mut out = String::with_capacity(head.len() + body.len() + 64);
    for line in head.trim_end_matches("\r\n").split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("content-length:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("content-type: application/json\r\n");
    out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    out.push_str(&body);
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    // A bare 414 gets the JSON body with a matching length; answers with a
    // body, and other statuses, pass untouched.
    #[test]
    fn only_bare_refusals_are_rewritten() {
        let bare = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(with_json_body(bare).unwrap()).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{out}");
        assert!(head.contains("content-type: application/json") && head.contains("date: x"), "{out}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{out}");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"]["code"], "uri_too_long");
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n{\"error\":{}}";
        assert!(with_json_body(with_body).is_none());
        assert!(with_json_body(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(with_json_body(b"{\"error\": 1}").is_none());
    }
}
