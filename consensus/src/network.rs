//! One node of a network: its configuration file, and running it — the
//! ledger node and its HTTP API, the consensus engine, the application
//! loop, and the relay that passes client transactions on to the peers.
//!
//! A node whose key is a genesis validator votes; any other node follows
//! the chain as a full node. A node dials the genesis list only (no
//! discovery); what it accepts from any peer counts only if a genesis
//! validator signed it.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use malachitebft_app_channel::app::config::{
    ConsensusConfig, DiscoveryConfig, NodeConfig as EngineConfig, P2pConfig, ValueSyncConfig,
};
use malachitebft_app_channel::app::net::Multiaddr;
use malachitebft_app_channel::app::types::Keypair;
use malachitebft_app_channel::app::types::codec::Codec;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use malachitebft_app_channel::{
    ConsensusContext, NetworkContext, NetworkIdentity, NetworkRequest, RequestContext, Signer as _,
    SyncContext, WalContext, start_engine,
};
use serde::{Deserialize, Serialize};
use writ_ledger::limits::BLOCK_INTERVAL_MS_DEFAULT;
use writ_ledger::node::{Node, NodeConfig};
use writ_ledger::params::ChainParams;
use writ_proof::genesis::{Genesis, split_host_port};

use crate::app::{App, AppConfig, Faults, Halt};
use crate::codec::WritCodec;
use crate::context::WritContext;
use crate::relay;
use crate::signing::{SecretKey, WritSigner, WritVerifier, address_of};

/// The format tag of a node's configuration file.
pub const CONFIG_FORMAT: &str = "writ-node-config/1";

/// A node's configuration file (JSON). Paths are relative to the file's
/// folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Always [`CONFIG_FORMAT`].
    pub format: String,
    /// The node's name in logs.
    pub moniker: String,
    /// The network's genesis file.
    pub genesis: PathBuf,
    /// The keystore folder and the name of the node's key in it.
    pub keys: PathBuf,
    pub key: String,
    /// The node's data folder (its store and consensus log).
    pub data: PathBuf,
    /// Where the HTTP API listens, `host:port`.
    pub api: String,
    /// Where the consensus engine listens for peers, `host:port`.
    pub p2p: String,
    /// The least time between blocks, in milliseconds.
    #[serde(default = "default_interval")]
    pub block_interval_ms: u64,
    /// The store's page cache, in MiB.
    #[serde(default = "default_cache")]
    pub cache_mib: u64,
}

fn default_interval() -> u64 {
    BLOCK_INTERVAL_MS_DEFAULT
}

fn default_cache() -> u64 {
    (writ_ledger::limits::STORE_CACHE_BYTES_DEFAULT / (1024 * 1024)) as u64
}

/// Why a node cannot start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("{path}: {why}")]
    Config { path: String, why: String },
    #[error(transparent)]
    Genesis(#[from] writ_proof::genesis::GenesisError),
    #[error(transparent)]
    Key(#[from] writ_ledger::keys::KeyError),
    #[error(transparent)]
    Ledger(#[from] writ_ledger::chain::LedgerError),
    #[error("the consensus engine: {0}")]
    Engine(String),
    #[error("cannot listen on {address}: {why}")]
    Listen { address: String, why: String },
    #[error("the node stopped: {0}")]
    Halted(#[from] Halt),
}

/// A node's settings, read and checked.
#[derive(Clone)]
pub struct Settings {
    pub moniker: String,
    pub genesis: Arc<Genesis>,
    pub key: SecretKey,
    pub data: PathBuf,
    pub api: String,
    pub p2p: String,
    pub block_interval: Duration,
    pub cache_bytes: usize,
    pub timeouts: LinearTimeouts,
    /// How long an idle proposer waits for a transaction.
    pub empty_block_wait: Duration,
    pub faults: Faults,
    /// Block times from a logical clock starting here (the demo's);
    /// `None`, the wall clock. Not in the configuration file.
    pub logical_clock_start: Option<i64>,
    /// Where to reach each other validator (`host:port`): the genesis
    /// list's peer addresses, unless a test routes them through proxies.
    pub dial: Vec<String>,
}

impl Settings {
    /// Reads a configuration file and what it names.
    pub fn load(path: &Path) -> Result<Settings, NetError> {
        let config_error = |why: String| NetError::Config { path: path.display().to_string(), why };
        let text = std::fs::read(path).map_err(|e| config_error(e.to_string()))?;
        let file: ConfigFile = serde_json::from_slice(&text).map_err(|e| config_error(e.to_string()))?;
        if file.format != CONFIG_FORMAT {
            return Err(config_error(format!("its format is `{}`, not `{CONFIG_FORMAT}`", file.format)));
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let genesis_path = base.join(&file.genesis);
        let genesis_bytes = std::fs::read(&genesis_path)
            .map_err(|e| NetError::Config { path: genesis_path.display().to_string(), why: e.to_string() })?;
        let genesis = Genesis::parse(&genesis_bytes)?;
        let keystore = writ_ledger::keys::Keystore::new(base.join(&file.keys));
        let key = keystore.load(&file.key)?;
        if let Some(warning) = keystore.exposure(&file.key) {
            tracing::warn!("{warning}");
        }
        for (what, address) in [("api", &file.api), ("p2p", &file.p2p)] {
            if split_host_port(address).is_none() {
                return Err(config_error(format!("`{what}` is `{address}`, not host:port")));
            }
        }
        let dial = genesis.validators.iter().filter(|v| v.peer != file.p2p).map(|v| v.peer.clone()).collect();
        Ok(Settings {
            dial,
            moniker: file.moniker,
            genesis: Arc::new(genesis),
            key: SecretKey(key),
            data: base.join(&file.data),
            api: file.api,
            p2p: file.p2p,
            block_interval: Duration::from_millis(file.block_interval_ms.max(1)),
            cache_bytes: usize::try_from(file.cache_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX),
            timeouts: LinearTimeouts::default(),
            empty_block_wait: Duration::from_millis(file.block_interval_ms.max(1)),
            faults: Faults::default(),
            logical_clock_start: None,
        })
    }

    /// Whether this node's key is a validator's.
    pub fn is_validator(&self) -> bool {
        let address = address_of(&self.key.0.verifying_key().to_bytes());
        self.genesis.validator(&address.0).is_some()
    }
}

/// `host:port` as a TCP multiaddress.
pub fn multiaddr(address: &str) -> Option<Multiaddr> {
    let (host, port) = split_host_port(address)?;
    let protocol = match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => "ip4",
        Ok(std::net::IpAddr::V6(_)) => "ip6",
        Err(_) => "dns",
    };
    Multiaddr::from_str(&format!("/{protocol}/{host}/tcp/{port}")).ok()
}

/// The engine's settings.
#[derive(Clone, Debug)]
struct Engine {
    moniker: String,
    consensus: ConsensusConfig,
    sync: ValueSyncConfig,
}

impl EngineConfig for Engine {
    fn moniker(&self) -> &str {
        &self.moniker
    }
    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }
    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }
    fn value_sync(&self) -> &ValueSyncConfig {
        &self.sync
    }
    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.sync
    }
}

fn engine_config(settings: &Settings) -> Result<Engine, NetError> {
    let listen = multiaddr(&settings.p2p)
        .ok_or_else(|| NetError::Engine(format!("`{}` is not a listening address", settings.p2p)))?;
    let peers = settings.dial.iter().filter_map(|peer| multiaddr(peer)).collect();
    let p2p = P2pConfig {
        listen_addr: listen,
        persistent_peers: peers,
        // Inbound connections are accepted: a full node that is not in the
        // genesis must reach the validators, and the engine matches an
        // inbound peer to the genesis list only once its own dial to it
        // succeeds (refusing before that left a network without a
        // connection in one start of five). Votes and proposals count only
        // when signed by a genesis validator, whoever relays them.
        persistent_peers_only: false,
        discovery: DiscoveryConfig {
            enabled: false,
            max_connections_per_ip: 256,
            ..DiscoveryConfig::default()
        },
        // A proposal part is at most 1 MiB of body; a decided block travels
        // whole in one sync answer.
        rpc_max_size: bytesize::ByteSize::mib(32),
        ..P2pConfig::default()
    };
    let consensus = ConsensusConfig { enabled: true, p2p, ..ConsensusConfig::default() };
    let sync = ValueSyncConfig {
        enabled: true,
        status_update_interval: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        max_response_size: bytesize::ByteSize::mib(30),
        ..ValueSyncConfig::default()
    };
    Ok(Engine { moniker: settings.moniker.clone(), consensus, sync })
}

/// A running node.
pub struct Running {
    pub node: Arc<Node>,
    /// The API's address as bound.
    pub api: std::net::SocketAddr,
    stop: Arc<tokio::sync::watch::Sender<bool>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    engine: malachitebft_app_channel::EngineHandle,
    /// Why the node stopped on its own, once it has.
    pub halted: tokio::sync::watch::Receiver<Option<String>>,
}

impl Running {
    /// Stops everything and waits for it (the store is closed after).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.engine.actor.kill_and_wait(None).await;
        self.engine.handle.abort();
        for task in self.tasks {
            task.abort();
            let _ = task.await;
        }
    }
}

/// Starts a node: store, API, engine, application loop and relay.
pub async fn start(settings: Settings, vm: Arc<writ_vm::Vm>) -> Result<Running, NetError> {
    let genesis = Arc::clone(&settings.genesis);
    let mut config = NodeConfig::new(settings.data.join("chain"), &genesis.chain_id);
    config.params = ChainParams::new(genesis.tx_gas_limit_max, genesis.block_gas_limit)
        .map_err(|e| NetError::Config { path: "genesis".into(), why: e.to_string() })?;
    config.produce_blocks = false;
    config.store_cache_bytes = settings.cache_bytes;
    let node = Arc::new(Node::open(config, vm)?);

    let listener = tokio::net::TcpListener::bind(&settings.api)
        .await
        .map_err(|e| NetError::Listen { address: settings.api.clone(), why: e.to_string() })?;
    let api = listener
        .local_addr()
        .map_err(|e| NetError::Listen { address: settings.api.clone(), why: e.to_string() })?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stop = Arc::new(stop);
    let mut tasks = Vec::new();
    {
        let node = Arc::clone(&node);
        let stopped = stopped.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(error) = writ_ledger::api::serve(node, listener, stopped).await {
                tracing::error!("the API stopped: {error}");
            }
        }));
    }
    let peers_api: Vec<String> =
        genesis.validators.iter().filter(|v| v.api != settings.api).map(|v| v.api.clone()).collect();
    node.set_relay(relay::start(peers_api));

    let ctx = WritContext { chain_id: genesis.chain_id.clone() };
    let public_key = settings.key.0.verifying_key().to_bytes();
    let address = address_of(&public_key);
    let keypair = Keypair::ed25519_from_bytes(settings.key.0.to_bytes())
        .map_err(|e| NetError::Engine(format!("the node key: {e}")))?;
    let verifier = WritVerifier { chain_id: genesis.chain_id.clone() };
    let validator = settings.is_validator();
    let (identity, consensus) = if validator {
        let signer = WritSigner { chain_id: genesis.chain_id.clone(), key: settings.key.clone() };
        let peer_id = keypair.public().to_peer_id().to_bytes();
        let proof = signer
            .sign_validator_proof(public_key.to_vec(), peer_id)
            .await
            .map_err(|e| NetError::Engine(e.to_string()))?;
        let proof = WritCodec.encode(&proof).map_err(|e| NetError::Engine(e.to_string()))?;
        (
            NetworkIdentity::new_validator(settings.moniker.clone(), keypair, address.to_string(), proof),
            ConsensusContext::new_validator(address, Box::new(verifier), Box::new(signer)),
        )
    } else {
        (
            NetworkIdentity::new(settings.moniker.clone(), keypair, None),
            ConsensusContext::new_full_node(address, Box::new(verifier)),
        )
    };
    let consensus_dir = settings.data.join("consensus");
    std::fs::create_dir_all(&consensus_dir)
        .map_err(|e| NetError::Config { path: consensus_dir.display().to_string(), why: e.to_string() })?;
    let (mut channels, engine) = start_engine(
        ctx,
        engine_config(&settings)?,
        WalContext::new(consensus_dir.join("wal"), WritCodec),
        NetworkContext::new(identity, WritCodec),
        consensus,
        SyncContext::new(WritCodec),
        RequestContext::new(100),
    )
    .await
    .map_err(|e| NetError::Engine(format!("{e:#}")))?;

    let peers = Arc::new(AtomicUsize::new(0));
    {
        let requests = channels.net_requests.clone();
        let peers = Arc::clone(&peers);
        tasks.push(tokio::spawn(async move {
            loop {
                if let Ok(Some(dump)) = NetworkRequest::dump_state(&requests).await {
                    peers.store(dump.peers.len(), Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }));
    }
    let signer =
        validator.then(|| WritSigner { chain_id: genesis.chain_id.clone(), key: settings.key.clone() });
    let mut app = App::new(AppConfig {
        genesis,
        node: Arc::clone(&node),
        signer,
        dir: consensus_dir.join("bodies"),
        timeouts: settings.timeouts,
        block_interval: settings.block_interval,
        empty_block_wait: settings.empty_block_wait,
        faults: settings.faults,
        logical_clock_start: settings.logical_clock_start,
        peers,
    });
    let (halt, halted) = tokio::sync::watch::channel(None);
    {
        let stop = Arc::clone(&stop);
        tasks.push(tokio::spawn(async move {
            if let Err(why) = app.run(&mut channels).await {
                tracing::error!("{why}");
                let _ = halt.send(Some(why.to_string()));
                // Never serve a state this node cannot vouch for.
                let _ = stop.send(true);
            }
        }));
    }
    Ok(Running { node, api, stop, tasks, engine, halted })
}
