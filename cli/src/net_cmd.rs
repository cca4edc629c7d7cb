//! The network commands: `writ net init` writes a local network's files,
//! and `writ node --config FILE` runs one node of a network (docs/
//! consensus.md). The work is `writ_consensus`'s; this module parses and
//! reports.

use std::path::Path;
use std::sync::Arc;

use crate::node_cmd::{Failed, refused, say, usage};

/// `writ net init DIR --nodes N --base-port P`.
pub fn init(dir: &Path, nodes: usize, base_port: u16, chain_id: &str) -> Result<(), Failed> {
    if base_port < 1024 || u32::from(base_port) + 10 * nodes as u32 > u32::from(u16::MAX) {
        return Err(usage(format!(
            "--base-port {base_port} leaves no room for {nodes} nodes (10 ports each, from 1024)"
        )));
    }
    let ports = writ_consensus::init::ports_from(base_port);
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let configs = writ_consensus::init::init_network(dir, chain_id, now, nodes, &ports)
        .map_err(|e| usage(format!("cannot write the network: {e}")))?;
    say(&format!("writ net: a network of {nodes} validators for chain `{chain_id}` in {}", dir.display()));
    say(&format!("  genesis {}", dir.join("genesis.json").display()));
    for (k, config) in configs.iter().enumerate() {
        let (api, p2p) = ports(k);
        say(&format!("  node {k}: {}  (API 127.0.0.1:{api}, peers 127.0.0.1:{p2p})", config.display()));
    }
    say("Start each with `writ node --config FILE`.");
    Ok(())
}

/// `writ node --config FILE`: runs a node of a network until Ctrl-C, or
/// until it must stop (a diverged state is never served).
pub fn run(config: &Path) -> Result<(), Failed> {
    let settings = writ_consensus::network::Settings::load(config).map_err(|e| usage(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| usage(format!("cannot start the runtime: {e}")))?;
    let _ =
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,arc_malachitebft_network=error")
            }))
            .with_writer(std::io::stderr)
            .try_init();
    runtime.block_on(async move {
        let vm = writ_vm::Vm::new(writ_vm::VmOptions {
            disk_cache: Some(settings.data.join("compiled")),
            ..writ_vm::VmOptions::in_memory()
        })
        .map_err(|e| usage(format!("cannot start the VM: {e}")))?;
        let role = if settings.is_validator() { "validator" } else { "full node" };
        let (chain, moniker) = (settings.genesis.chain_id.clone(), settings.moniker.clone());
        let running = writ_consensus::network::start(settings, Arc::new(vm))
            .await
            .map_err(|e| usage(format!("cannot start the node: {e}")))?;
        let head = running.node.head();
        say(&format!(
            "writ node: {moniker}, a {role} of chain `{chain}` at height {}, API on http://{}",
            head.height, running.api
        ));
        let mut halted = running.halted.clone();
        let stopped_alone = tokio::select! {
            _ = tokio::signal::ctrl_c() => None,
            why = halted.wait_for(Option::is_some) => why.ok().and_then(|why| why.clone()),
        };
        running.stop().await;
        match stopped_alone {
            Some(why) => Err(refused(format!("writ node: stopped: {why}"))),
            None => {
                say("writ node: stopped");
                Ok(())
            }
        }
    })
}
