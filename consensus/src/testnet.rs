//! A network of nodes inside one process, on 127.0.0.1: for tests, for
//! `writ demo --nodes 4` and for the benchmark. Each node is a real node
//! (its own store, API, consensus engine and peer connections); only the
//! process is shared.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::init::init_network;
use crate::network::{NetError, Running, Settings, start};

/// A running local network.
pub struct Testnet {
    pub dir: PathBuf,
    pub configs: Vec<PathBuf>,
    /// Each node, or `None` while it is stopped.
    pub nodes: Vec<Option<Running>>,
    vm: Arc<writ_vm::Vm>,
    tune: fn(&mut Settings),
    /// The proxies between nodes, for networks a test partitions.
    pub links: Option<crate::links::Links>,
    /// How many of the nodes are validators (the first ones).
    validators: usize,
}

/// Ports nobody listens on now, for nodes that bind them a moment later.
///
/// They come from outside the range the OS hands out for `bind(0)` and for
/// the local end of outgoing connections: a port taken from that range and
/// released could be given to a node's dial before the node listens on it
/// (a CI run lost a partition test that way). Each process starts at its
/// own offset and never hands a port out twice, so tests running side by
/// side do not collide either; each port is checked free before it is given.
pub fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let (low, span) = quiet_ports();
    let start = std::process::id().wrapping_mul(7919) % span;
    let mut ports = Vec::with_capacity(n);
    for _ in 0..span {
        if ports.len() == n {
            return Ok(ports);
        }
        let offset = (start + NEXT.fetch_add(1, Ordering::Relaxed)) % span;
        let Ok(port) = u16::try_from(low + offset) else { continue };
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            ports.push(port);
        }
    }
    if ports.len() == n {
        return Ok(ports);
    }
    Err(std::io::Error::new(std::io::ErrorKind::AddrInUse, "no free port outside the ephemeral range"))
}

/// The first port and the count of a range the OS does not hand out by
/// itself: below its ephemeral range (Linux says where it is), else above.
fn quiet_ports() -> (u32, u32) {
    const FLOOR: u32 = 10_000;
    let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut bounds = text.split_whitespace().map(|b| b.parse::<u32>().ok());
            Some((bounds.next()??, bounds.next()??))
        })
        .unwrap_or((32_768, 60_999));
    match ephemeral {
        (first, _) if first >= FLOOR + 2_000 => (FLOOR, first - FLOOR),
        (_, last) if last < 63_000 => (last + 1, 65_535 - last),
        _ => (FLOOR, 20_000),
    }
}

impl Testnet {
    /// Writes and starts a network of `n` validators in `dir`; `tune`
    /// adjusts each node's settings (timeouts, faults) before it starts.
    pub async fn start(dir: &Path, n: usize, tune: fn(&mut Settings)) -> Result<Testnet, NetError> {
        Testnet::start_with(dir, "testnet", n, tune, false).await
    }

    /// [`Testnet::start`], with every link between nodes through a proxy
    /// that [`Testnet::partition`] can cut.
    pub async fn start_linked(dir: &Path, n: usize, tune: fn(&mut Settings)) -> Result<Testnet, NetError> {
        Testnet::start_with(dir, "testnet", n, tune, true).await
    }

    /// A network of chain `chain_id`; `linked`: through proxies a test can cut.
    pub async fn start_with(
        dir: &Path,
        chain_id: &str,
        n: usize,
        tune: fn(&mut Settings),
        linked: bool,
    ) -> Result<Testnet, NetError> {
        let listen_error =
            |e: std::io::Error| NetError::Listen { address: "127.0.0.1:0".into(), why: e.to_string() };
        let ports = free_ports(2 * n).map_err(listen_error)?;
        let p2p: Vec<String> = (0..n).map(|k| format!("127.0.0.1:{}", ports[2 * k + 1])).collect();
        let configs = init_network(dir, chain_id, 0, n, &move |k| (ports[2 * k], ports[2 * k + 1]))?;
        let vm = Arc::new(
            writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).map_err(|e| NetError::Engine(e.to_string()))?,
        );
        let links =
            if linked { Some(crate::links::Links::start(&p2p).await.map_err(listen_error)?) } else { None };
        let mut net =
            Testnet { dir: dir.to_path_buf(), configs, nodes: Vec::new(), vm, tune, links, validators: n };
        for k in 0..n {
            let running = net.launch(k).await?;
            net.nodes.push(Some(running));
        }
        Ok(net)
    }

    async fn launch(&self, k: usize) -> Result<Running, NetError> {
        let mut settings = Settings::load(&self.configs[k])?;
        if let Some(links) = &self.links
            && k < self.validators
        {
            settings.dial =
                (0..self.validators).filter(|&to| to != k).map(|to| links.address(k, to)).collect();
        }
        (self.tune)(&mut settings);
        start(settings, Arc::clone(&self.vm)).await
    }

    /// Starts a node whose key is no validator's: it follows the chain as
    /// a full node. Returns its index.
    pub async fn start_full_node(&mut self) -> Result<usize, NetError> {
        let k = self.configs.len();
        let ports = free_ports(2)
            .map_err(|e| NetError::Listen { address: "127.0.0.1:0".into(), why: e.to_string() })?;
        let (config, _) = crate::init::write_node(
            &self.dir.join(format!("full-{k}")),
            &format!("full-{k}"),
            ports[0],
            ports[1],
        )?;
        self.configs.push(config);
        let running = self.launch(k).await?;
        self.nodes.push(Some(running));
        Ok(k)
    }

    /// Stops node `k` (as a crash would: nothing is flushed beyond what
    /// every write already made durable).
    pub async fn kill(&mut self, k: usize) {
        if let Some(running) = self.nodes.get_mut(k).and_then(Option::take) {
            running.stop().await;
        }
    }

    /// Starts node `k` again on its store.
    pub async fn restart(&mut self, k: usize) -> Result<(), NetError> {
        let running = self.launch(k).await?;
        self.nodes[k] = Some(running);
        Ok(())
    }

    /// Removes node `k`'s data (it must be stopped).
    pub fn wipe(&self, k: usize) -> std::io::Result<()> {
        let data = self.configs[k].parent().unwrap_or(Path::new(".")).join("data");
        std::fs::remove_dir_all(data)
    }

    /// Node `k`'s API base URL, while it runs.
    pub fn api(&self, k: usize) -> Option<String> {
        self.nodes.get(k)?.as_ref().map(|r| format!("http://{}", r.api))
    }

    /// Each running node's head height.
    pub fn heights(&self) -> Vec<Option<u64>> {
        self.nodes.iter().map(|n| n.as_ref().map(|r| r.node.head().height)).collect()
    }

    /// Waits until every running node is at `height` or above.
    pub async fn wait_for(&self, height: u64, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.heights().iter().flatten().all(|h| *h >= height) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Cuts the links between groups of nodes (a linked network only).
    pub fn partition(&self, groups: &[&[usize]]) {
        if let Some(links) = &self.links {
            links.partition(groups);
        }
    }

    /// Restores every link.
    pub fn heal(&self) {
        if let Some(links) = &self.links {
            links.heal();
        }
    }

    /// Stops every node.
    pub async fn stop(mut self) {
        for k in 0..self.nodes.len() {
            self.kill(k).await;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn free_ports_are_distinct_bindable_and_outside_the_ephemeral_range() {
        let (low, span) = quiet_ports();
        let mut all: Vec<u16> = free_ports(8).unwrap();
        all.extend(free_ports(8).unwrap());
        for &port in &all {
            assert!(
                (low..low + span).contains(&u32::from(port)),
                "port {port} is outside {low}..{}",
                low + span
            );
            std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        }
        let distinct: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), all.len(), "a port was handed out twice: {all:?}");
    }
}
