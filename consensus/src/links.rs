//! Links between a test network's nodes that a test can cut: each node
//! reaches each other node through its own TCP proxy on 127.0.0.1, and a
//! partition closes the proxies between two groups (and refuses new
//! connections through them) until it is healed.

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The proxies of a network of `n` nodes.
pub struct Links {
    /// (from, to) → the proxy's port.
    ports: Vec<Vec<u16>>,
    /// The pairs cut now; each proxy watches it.
    cut: watch::Sender<BTreeSet<(usize, usize)>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Links {
    /// Starts a proxy for every ordered pair of nodes, forwarding to
    /// `targets[to]` (each node's consensus listener).
    pub async fn start(targets: &[String]) -> std::io::Result<Links> {
        let n = targets.len();
        let (cut, _) = watch::channel(BTreeSet::new());
        let mut ports = vec![vec![0u16; n]; n];
        let mut tasks = Vec::new();
        for (from, row) in ports.iter_mut().enumerate() {
            for (to, port) in row.iter_mut().enumerate() {
                if from == to {
                    continue;
                }
                let listener = TcpListener::bind("127.0.0.1:0").await?;
                *port = listener.local_addr()?.port();
                tasks.push(tokio::spawn(proxy(listener, targets[to].clone(), (from, to), cut.subscribe())));
            }
        }
        Ok(Links { ports, cut, tasks: Mutex::new(tasks) })
    }

    /// Where node `from` dials node `to`.
    pub fn address(&self, from: usize, to: usize) -> String {
        format!("127.0.0.1:{}", self.ports[from][to])
    }

    /// Cuts every link between nodes of different groups.
    pub fn partition(&self, groups: &[&[usize]]) {
        let mut cut = BTreeSet::new();
        for (a, group) in groups.iter().enumerate() {
            for (b, other) in groups.iter().enumerate() {
                if a != b {
                    for &from in *group {
                        for &to in *other {
                            cut.insert((from, to));
                        }
                    }
                }
            }
        }
        self.cut.send_replace(cut);
    }

    /// Restores every link.
    pub fn heal(&self) {
        self.cut.send_replace(BTreeSet::new());
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        for task in self.tasks.get_mut().unwrap_or_else(PoisonError::into_inner).drain(..) {
            task.abort();
        }
    }
}

async fn proxy(
    listener: TcpListener,
    target: String,
    pair: (usize, usize),
    cut: watch::Receiver<BTreeSet<(usize, usize)>>,
) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        if cut.borrow().contains(&pair) {
            continue;
        }
        let target = target.clone();
        let mut cut = cut.clone();
        tokio::spawn(async move {
            let Ok(mut outbound) = TcpStream::connect(&target).await else { return };
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                _ = cut.wait_for(|cut| cut.contains(&pair)) => {}
            }
        });
    }
}
