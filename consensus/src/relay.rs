//! Passing transactions on: every transaction a client submits to this
//! node is sent to the other nodes' APIs, marked as relayed so that they
//! do not pass it on again (the genesis list is a full mesh, so one hop
//! reaches everyone). Each node admits a relayed transaction exactly as
//! its own client's, and a duplicate is refused by id.
//!
//! Relaying is best effort and never holds up a submission: a queue of
//! bounded length feeds one thread, which sends what has gathered as one
//! batch per peer. A peer that is down misses the transactions sent
//! meanwhile; they still reach it in the blocks it executes.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

use writ_ledger::api::RELAY_HEADER;

/// Most transactions waiting to be relayed; more are dropped (not lost:
/// they are in this node's mempool and its proposals).
const QUEUE_MAX: usize = 20_000;
/// Most transactions in one relayed batch (the API's batch bound).
const BATCH_MAX: usize = writ_ledger::limits::BATCH_TXS_MAX;
/// How long one peer may take to answer a batch.
const PEER_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts the relay to `peers` (`host:port` of their APIs); returns the
/// queue to hand it transactions through.
pub fn start(peers: Vec<String>) -> SyncSender<Vec<u8>> {
    let (queue, waiting) = sync_channel(QUEUE_MAX);
    let spawned = std::thread::Builder::new().name("writ-relay".into()).spawn(move || run(&peers, &waiting));
    if let Err(error) = spawned {
        tracing::error!("the transaction relay could not start: {error}");
    }
    queue
}

fn run(peers: &[String], waiting: &Receiver<Vec<u8>>) {
    let agent = ureq::AgentBuilder::new().timeout(PEER_TIMEOUT).build();
    while let Ok(first) = waiting.recv() {
        let mut batch = vec![hex::encode(first)];
        while batch.len() < BATCH_MAX {
            match waiting.try_recv() {
                Ok(tx) => batch.push(hex::encode(tx)),
                Err(_) => break,
            }
        }
        let body = serde_json::json!({ "txs": batch });
        for peer in peers {
            let url = format!("http://{peer}/v1/transactions/batch");
            if let Err(error) = agent.post(&url).set(RELAY_HEADER, "1").send_json(&body) {
                tracing::debug!(peer, "relaying {} transactions failed: {error}", batch.len());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::{BufRead, BufReader, Read, Write};

    use super::*;

    /// One HTTP request as a peer's API receives it: headers and body.
    fn receive(listener: &std::net::TcpListener) -> (String, String) {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let reply = "HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
        reader.get_mut().write_all(reply.as_bytes()).unwrap();
        (head.to_ascii_lowercase(), String::from_utf8(body).unwrap())
    }

    #[test]
    fn accepted_transactions_reach_every_peer_marked_as_relayed() {
        let peers: Vec<std::net::TcpListener> =
            (0..2).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap()).collect();
        let addresses = peers.iter().map(|p| p.local_addr().unwrap().to_string()).collect();
        let queue = start(addresses);
        queue.send(vec![0xab, 0xcd]).unwrap();
        for peer in &peers {
            let (head, body) = receive(peer);
            assert!(head.starts_with("post /v1/transactions/batch "), "{head}");
            assert!(head.contains(&format!("{RELAY_HEADER}: 1")), "{head}");
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(json["txs"][0], "abcd");
        }
    }
}
