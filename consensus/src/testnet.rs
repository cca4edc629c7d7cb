//! A network of nodes inside one process, on 127.0.0.1: for tests, for
//! `writ demo --nodes 4` and for the benchmark. Each node is a real node
//! (its own store, API, consensus engine and peer connections); only the
//! process is shared.

use std::path::{Path, PathBuf};
use std::sync::Arc;
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

/// Ports nobody listens on now (the OS picks them; a test binds them soon after).
pub fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let listeners: Vec<std::net::TcpListener> =
        (0..n).map(|_| std::net::TcpListener::bind("127.0.0.1:0")).collect::<Result<_, _>>()?;
    listeners.iter().map(|l| l.local_addr().map(|a| a.port())).collect()
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
