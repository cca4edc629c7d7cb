//! `writ net init`: the files of a local network — one genesis, and for
//! each node a key and a configuration file.
//!
//! Layout under DIR: `genesis.json`; `node-K/config.json`,
//! `node-K/keys/node` (the node's key, mode 0600) and `node-K/data/` (made
//! when the node first starts). Node K's API listens on `base + 10·K` and
//! its consensus engine on `base + 10·K + 1`, on 127.0.0.1.

use std::path::{Path, PathBuf};

use writ_ledger::keys::{KeyInfo, Keystore};
use writ_ledger::limits::{BLOCK_GAS_LIMIT_DEFAULT, BLOCK_INTERVAL_MS_DEFAULT, TX_GAS_LIMIT_MAX_DEFAULT};
use writ_proof::genesis::{GENESIS_FORMAT, GenesisFile, ValidatorEntry};

use crate::network::{CONFIG_FORMAT, ConfigFile, NetError};

/// Agencies for the nodes of a local network, in order (more nodes are
/// named by number).
const AGENCIES: [&str; 4] = ["Revenue Bureau", "Provincial Court", "Securities Regulator", "Audit Office"];

/// Where node `k` listens: its API and its consensus engine.
pub type Ports = dyn Fn(usize) -> (u16, u16);

fn io(path: &Path, error: std::io::Error) -> NetError {
    NetError::Config { path: path.display().to_string(), why: error.to_string() }
}

/// Writes a network of `nodes` validators under `dir` (which must not
/// hold one already), no block earlier than `genesis_time` (Unix
/// seconds), and returns each node's configuration file.
pub fn init_network(
    dir: &Path,
    chain_id: &str,
    genesis_time: i64,
    nodes: usize,
    ports: &Ports,
) -> Result<Vec<PathBuf>, NetError> {
    if nodes == 0 || nodes > writ_proof::genesis::VALIDATORS_MAX {
        return Err(NetError::Config {
            path: dir.display().to_string(),
            why: format!("a network has 1 to {} nodes", writ_proof::genesis::VALIDATORS_MAX),
        });
    }
    let genesis_path = dir.join("genesis.json");
    if genesis_path.exists() {
        return Err(NetError::Config {
            path: genesis_path.display().to_string(),
            why: "a network is already there; choose another folder".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut validators = Vec::with_capacity(nodes);
    let mut configs = Vec::with_capacity(nodes);
    for k in 0..nodes {
        let (api, p2p) = ports(k);
        let (path, key) = write_node(&dir.join(format!("node-{k}")), &format!("node-{k}"), api, p2p)?;
        let name = AGENCIES.get(k).map_or_else(|| format!("Agency {k}"), |name| (*name).to_string());
        validators.push(ValidatorEntry {
            name,
            public_key: hex::encode(key.public_key),
            power: 1,
            peer: format!("127.0.0.1:{p2p}"),
            api: format!("127.0.0.1:{api}"),
        });
        configs.push(path);
    }
    let genesis = GenesisFile {
        format: GENESIS_FORMAT.into(),
        chain_id: chain_id.into(),
        time: genesis_time,
        tx_gas_limit_max: TX_GAS_LIMIT_MAX_DEFAULT,
        block_gas_limit: BLOCK_GAS_LIMIT_DEFAULT,
        validators,
    };
    std::fs::write(&genesis_path, genesis.to_json() + "\n").map_err(|e| io(&genesis_path, e))?;
    // The written genesis must be one every node accepts.
    writ_proof::genesis::Genesis::parse(&std::fs::read(&genesis_path).map_err(|e| io(&genesis_path, e))?)?;
    Ok(configs)
}

/// Writes one node's folder under `home` (beside the network's
/// `genesis.json`): a new key and a configuration listening on 127.0.0.1.
/// Returns the configuration's path and the key.
pub fn write_node(home: &Path, moniker: &str, api: u16, p2p: u16) -> Result<(PathBuf, KeyInfo), NetError> {
    std::fs::create_dir_all(home).map_err(|e| io(home, e))?;
    let key = Keystore::new(home.join("keys")).create("node")?;
    let config = ConfigFile {
        format: CONFIG_FORMAT.into(),
        moniker: moniker.into(),
        genesis: PathBuf::from("../genesis.json"),
        keys: PathBuf::from("keys"),
        key: "node".into(),
        data: PathBuf::from("data"),
        api: format!("127.0.0.1:{api}"),
        p2p: format!("127.0.0.1:{p2p}"),
        block_interval_ms: BLOCK_INTERVAL_MS_DEFAULT,
        cache_mib: 64,
    };
    let path = home.join("config.json");
    let text = serde_json::to_string_pretty(&config).unwrap_or_default();
    std::fs::write(&path, text + "\n").map_err(|e| io(&path, e))?;
    Ok((path, key))
}

/// The ports of [`init_network`]'s layout from `base`.
pub fn ports_from(base: u16) -> impl Fn(usize) -> (u16, u16) {
    move |k| {
        let api = base.saturating_add((k as u16).saturating_mul(10));
        (api, api.saturating_add(1))
    }
}
