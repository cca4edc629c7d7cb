//! The node and its clients: `writ key`, `writ node`, `writ deploy`,
//! `writ call`, `writ query`, `writ events`, `writ verify-proof`.
//! Clients speak the node's HTTP API; transactions are built and signed
//! here, with keys from the keystore, and never leave unsigned.
//!
//! Exit codes: 0 success, 1 the node refused or the call aborted, 2 bad
//! usage or an unreachable node.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value as Json, json};
use writ_abi::document::{ContractAbi, read_from_module};
use writ_compiler::codegen::{InitReference, init_references};
use writ_ledger::crypto::{address_of, hex, parse_hex};
use writ_ledger::keys::Keystore;
use writ_ledger::tx::{Payload, Transaction};

/// Where clients find a node unless `--node` says otherwise.
pub const DEFAULT_NODE: &str = "http://127.0.0.1:7780";
/// Gas limit of a transaction unless `--gas-limit` says otherwise.
pub const DEFAULT_GAS: u64 = 100_000_000;

/// Why a client command failed: the exit code and the message.
pub struct Failed(u8, String);

pub fn usage(message: impl Into<String>) -> Failed {
    Failed(2, message.into())
}

pub fn refused(message: impl Into<String>) -> Failed {
    Failed(1, message.into())
}

/// Runs a command and turns its failure into a message and exit code.
pub fn report(result: Result<(), Failed>) -> u8 {
    match result {
        Ok(()) => 0,
        Err(Failed(code, message)) => {
            errln!("error: {message}");
            code
        }
    }
}

pub fn say(text: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

// ------------------------------------------------------------------ keys

pub fn key_new(keys: &Path, name: &str) -> Result<(), Failed> {
    let info = Keystore::new(keys).create(name).map_err(|e| usage(e.to_string()))?;
    say(&format!(
        "created key `{}`: address 0x{} (stored in {})",
        info.name,
        hex(&info.address),
        keys.display()
    ));
    Ok(())
}

pub fn key_list(keys: &Path) -> Result<(), Failed> {
    let store = Keystore::new(keys);
    let listing = store.list().map_err(|e| usage(e.to_string()))?;
    if listing.keys.is_empty() && listing.unreadable.is_empty() {
        say(&format!("no keys in {} (create one with `writ key new NAME`)", keys.display()));
    }
    for info in &listing.keys {
        say(&format!("{:<20} 0x{}", info.name, hex(&info.address)));
        if let Some(warning) = store.exposure(&info.name) {
            errln!("warning: {warning}");
        }
    }
    let Some((last, others)) = listing.unreadable.split_last() else { return Ok(()) };
    for problem in others {
        errln!("error: {problem}");
    }
    Err(refused(last.to_string()))
}

// ------------------------------------------------------------------ node

/// `writ node`'s flags.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// Where the node keeps its store (created if missing).
    #[arg(long, default_value = ".writ/node")]
    pub data: PathBuf,
    /// The address to serve the API on.
    #[arg(long, default_value = "127.0.0.1:7780")]
    pub listen: String,
    /// The chain's name; transactions for another chain are refused.
    #[arg(long, default_value = "writ-local")]
    pub chain_id: String,
    /// How often to make a block of waiting transactions, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub block_ms: u64,
    /// Most transactions in one block.
    #[arg(long, default_value_t = writ_ledger::limits::BLOCK_TXS_DEFAULT)]
    pub block_txs: usize,
    /// Most gas one block's transactions may declare together (a chain
    /// parameter: every node of the chain must use the same).
    #[arg(long, default_value_t = writ_ledger::limits::BLOCK_GAS_LIMIT_DEFAULT)]
    pub block_gas: u64,
    /// The largest gas limit one transaction may declare (a chain
    /// parameter, at most --block-gas).
    #[arg(long, default_value_t = writ_ledger::limits::TX_GAS_LIMIT_MAX_DEFAULT)]
    pub tx_gas: u64,
    /// The store's page cache, in MiB.
    #[arg(long, default_value_t = 64)]
    pub cache_mib: usize,
    /// Most transactions waiting (for tests; the default suits nodes).
    #[arg(long, hide = true, default_value_t = writ_ledger::limits::MEMPOOL_TXS_MAX)]
    pub mempool_txs: usize,
    /// Most bytes of transactions waiting (for tests).
    #[arg(long, hide = true, default_value_t = writ_ledger::limits::MEMPOOL_BYTES_MAX)]
    pub mempool_bytes: usize,
    /// Check the whole store (every block's hash, every state entry
    /// against the state tree and its root) and exit.
    #[arg(long)]
    pub verify_state: bool,
    /// Run as a node of a network of validators, configured by this file
    /// (written by `writ net init`); the other flags do not apply.
    #[arg(long, conflicts_with_all = ["data", "listen", "chain_id", "verify_state"])]
    pub config: Option<PathBuf>,
}

pub fn node(args: NodeArgs) -> Result<(), Failed> {
    if let Some(config) = &args.config {
        return crate::net_cmd::run(config);
    }
    let params = writ_ledger::params::ChainParams::new(args.tx_gas, args.block_gas)
        .map_err(|e| usage(format!("--tx-gas and --block-gas: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| usage(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let vm = writ_vm::Vm::new(writ_vm::VmOptions {
            disk_cache: Some(args.data.join("compiled")),
            ..writ_vm::VmOptions::in_memory()
        })
        .map_err(|e| usage(format!("cannot start the VM: {e}")))?;
        let mut config = writ_ledger::node::NodeConfig::new(args.data.clone(), &args.chain_id);
        config.block_interval = std::time::Duration::from_millis(args.block_ms.max(1));
        config.max_block_txs = args.block_txs.max(1);
        config.store_cache_bytes = args.cache_mib.saturating_mul(1024 * 1024);
        config.params = params;
        config.mempool.txs_max = args.mempool_txs.max(1);
        config.mempool.bytes_max = args.mempool_bytes;
        let node = writ_ledger::node::Node::open(config, Arc::new(vm))
            .map_err(|e| usage(format!("cannot open the store in {}: {e}", args.data.display())))?;
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| usage(format!("cannot listen on {}: {e}", args.listen)))?;
        let local = listener.local_addr().map_or(args.listen.clone(), |a| a.to_string());
        if args.verify_state {
            let check = node
                .reader()
                .verify_state()
                .map_err(|e| refused(format!("the store in {} failed its check: {e}", args.data.display())))?;
            say(&format!(
                "writ node: the store in {} is sound: {} blocks hash into a chain; {} state entries are in the tree under state root {}",
                args.data.display(),
                check.blocks,
                check.entries,
                check.state_root
            ));
            return Ok(());
        }
        let head = node.reader().head().map_err(|e| usage(format!("cannot read the chain's head: {e}")))?;
        say(&format!(
            "writ node: chain `{}` at height {}, store {}, listening on http://{local}",
            args.chain_id,
            head.height,
            args.data.display()
        ));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop_tx.send(true);
        });
        writ_ledger::api::serve(Arc::new(node), listener, stop_rx)
            .await
            .map_err(|e| usage(format!("the server stopped: {e}")))?;
        say("writ node: stopped");
        Ok(())
    })
}

// ------------------------------------------------------------------ HTTP

struct Client {
    base: String,
}

impl Client {
    fn new(base: &str) -> Client {
        Client { base: base.trim_end_matches('/').to_string() }
    }

    fn answer(&self, result: Result<ureq::Response, ureq::Error>) -> Result<Json, Failed> {
        match result {
            Ok(response) => response
                .into_json::<Json>()
                .map_err(|e| usage(format!("the node sent something that is not JSON: {e}"))),
            Err(ureq::Error::Status(status, response)) => {
                let body: Json = response.into_json().unwrap_or(Json::Null);
                let message = body["error"]["message"].as_str().unwrap_or("(no message)");
                let code = body["error"]["code"].as_str().unwrap_or("error");
                Err(refused(format!("the node answered {status} ({code}): {message}")))
            }
            Err(e) => Err(usage(format!("cannot reach the node at {}: {e}", self.base))),
        }
    }

    fn get(&self, path: &str) -> Result<Json, Failed> {
        self.answer(ureq::get(&format!("{}{path}", self.base)).call())
    }

    fn post(&self, path: &str, body: &Json) -> Result<Json, Failed> {
        self.answer(ureq::post(&format!("{}{path}", self.base)).send_json(body.clone()))
    }
}

fn parse_json_args(text: Option<&str>) -> Result<Json, Failed> {
    match text {
        None => Ok(Json::Array(Vec::new())),
        Some(text) => writ_ledger::strict_json::parse_str(text)
            .map_err(|e| usage(format!("the arguments are not JSON ({e}); write e.g. '[\"A\", \"12.50\"]'"))),
    }
}

fn parse_address(text: &str) -> Result<[u8; 20], Failed> {
    parse_hex::<20>(text).ok_or_else(|| usage(format!("`{text}` is not a 20-byte hex address")))
}

/// Signs and submits, waiting for the receipt; prints it. Aborted is exit 1.
fn submit(
    client: &Client,
    keys: &Path,
    key: &str,
    cosign: &[String],
    gas: u64,
    payload: Payload,
) -> Result<Json, Failed> {
    let store = Keystore::new(keys);
    let signer = store.load(key).map_err(|e| usage(e.to_string()))?;
    let cosigners = cosign
        .iter()
        .map(|n| store.load(n))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(e.to_string()))?;
    for name in std::iter::once(key).chain(cosign.iter().map(String::as_str)) {
        if let Some(warning) = store.exposure(name) {
            errln!("warning: {warning}");
        }
    }
    let sender = address_of(&signer.verifying_key().to_bytes());
    let status = client.get("/v1/status")?;
    let chain_id = status["chain_id"].as_str().unwrap_or_default().to_string();
    let account = client.get(&format!("/v1/accounts/{}", hex(&sender)))?;
    let nonce = account["next_nonce"].as_u64().unwrap_or(0);
    let tx = Transaction {
        chain_id,
        signer: signer.verifying_key().to_bytes(),
        nonce,
        gas_limit: gas,
        cosigners: cosigners.iter().map(|k| k.verifying_key().to_bytes()).collect(),
        payload,
    };
    let signed = tx.sign(&signer, &cosigners.iter().collect::<Vec<_>>());
    let receipt = client.post("/v1/transactions?wait=true", &json!({ "tx": hex(&signed.encode()) }))?;
    if receipt["status"] == "pending" {
        return Err(refused(format!("transaction {} is still waiting for a block", receipt["id"])));
    }
    Ok(receipt)
}

/// Prints a receipt; `Err` when the transaction aborted.
fn show_receipt(receipt: &Json) -> Result<(), Failed> {
    say(&format!(
        "transaction {} in block {}: {} (gas {})",
        receipt["transaction"].as_str().unwrap_or("?"),
        receipt["height"],
        receipt["status"].as_str().unwrap_or("?"),
        receipt["gas_used"]
    ));
    if let Some(value) = receipt.get("value").filter(|v| !v.is_null()) {
        say(&format!("result: {value}"));
    }
    for event in receipt["events"].as_array().into_iter().flatten() {
        say(&format!("event {} {}", event["name"].as_str().unwrap_or("?"), event["fields"]));
    }
    if receipt["status"] == "aborted" {
        return Err(refused(format!(
            "the call aborted: {}",
            receipt["error"]["message"].as_str().unwrap_or("(no message)")
        )));
    }
    Ok(())
}

pub struct SendArgs {
    pub node: String,
    pub keys: PathBuf,
    pub key: String,
    pub cosign: Vec<String>,
    pub gas_limit: u64,
}

/// `writ deploy FILE.writ|FILE.wasm`.
pub fn deploy(
    file: &Path,
    contract: Option<&str>,
    args: Option<&str>,
    send: &SendArgs,
    check_references: bool,
    color: bool,
) -> Result<(), Failed> {
    if contract.is_none() && args.is_none() && file.join(writ_package::MANIFEST).is_file() {
        return deploy_package(file, send, check_references, color);
    }
    let (code, references) = module_of(file, contract, color)?;
    let abi = read_from_module(&code).map_err(|e| usage(format!("`{}`: {e}", file.display())))?;
    let init = abi.entry("init").ok_or_else(|| usage("the module has no `init` entry point"))?;
    let values = parse_json_args(args)?;
    let encoded = writ_ledger::args::encode_args(&init.params, &values, &abi.types)
        .map_err(|e| usage(format!("arguments of `init`: {e}")))?;
    let client = Client::new(&send.node);
    if check_references {
        check_reference_args(&client, &abi.name, &references, &values)?;
    }
    let receipt = submit(
        &client,
        &send.keys,
        &send.key,
        &send.cosign,
        send.gas_limit,
        Payload::Deploy { code, args: encoded },
    )?;
    show_receipt(&receipt)?;
    say(&format!("deployed {} at 0x{}", abi.name, receipt["contract"].as_str().unwrap_or("?")));
    Ok(())
}

/// `writ deploy PKG`: the package's `[[deploy]]` steps in order, each
/// contract's `init` arguments naming the contracts deployed before it as
/// `"@Name"`, replaced by their addresses.
fn deploy_package(dir: &Path, send: &SendArgs, check_references: bool, color: bool) -> Result<(), Failed> {
    let manifest = writ_package::Manifest::read(dir).map_err(|e| usage(e.to_string()))?;
    if manifest.deploy.is_empty() {
        return Err(usage(format!(
            "the package `{}` lists nothing to deploy: add [[deploy]] steps to its writ.toml (docs/packages.md)",
            manifest.name
        )));
    }
    let analysis = crate::build_cmd::load_checked(&[dir.to_path_buf()], color, "not deployed")
        .map_err(|code| Failed(code, "the package does not compile".into()))?;
    let artifacts = build_own(&analysis, color)?;
    let client = Client::new(&send.node);
    let mut deployed: Vec<(String, String)> = Vec::new();
    for step in &manifest.deploy {
        let artifact = artifacts.iter().find(|a| a.contract == step.contract).ok_or_else(|| {
            let names: Vec<&str> = artifacts.iter().map(|a| a.contract.as_str()).collect();
            usage(format!(
                "the package has no contract `{}` to deploy (it has: {})",
                step.contract,
                names.join(", ")
            ))
        })?;
        let init = artifact.abi.entry("init").ok_or_else(|| usage("the module has no `init` entry point"))?;
        let mut values = match &step.args {
            Some(args) => serde_json::to_value(args)
                .map_err(|e| usage(format!("arguments of `{}`: {e}", step.contract)))?,
            None => Json::Array(Vec::new()),
        };
        name_addresses(&mut values, &deployed);
        let encoded = writ_ledger::args::encode_args(&init.params, &values, &artifact.abi.types)
            .map_err(|e| usage(format!("arguments of `{}`'s `init`: {e}", step.contract)))?;
        if check_references {
            check_reference_args(
                &client,
                &step.contract,
                &references_of(&analysis, &step.contract),
                &values,
            )?;
        }
        let payload = Payload::Deploy { code: artifact.wasm.clone(), args: encoded };
        let receipt = submit(&client, &send.keys, &send.key, &send.cosign, send.gas_limit, payload)?;
        show_receipt(&receipt)?;
        let address = format!("0x{}", receipt["contract"].as_str().unwrap_or("?"));
        say(&format!("deployed {} at {address}", step.contract));
        deployed.push((step.contract.clone(), address));
    }
    Ok(())
}

/// Replaces every string `"@Name"` in `value` with the address of the
/// contract `Name` deployed before (the manifest checked there is one).
fn name_addresses(value: &mut Json, deployed: &[(String, String)]) {
    match value {
        Json::String(text) => {
            if let Some((_, address)) =
                text.strip_prefix('@').and_then(|name| deployed.iter().find(|(n, _)| n == name))
            {
                *text = address.clone();
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|v| name_addresses(v, deployed)),
        Json::Object(fields) => fields.values_mut().for_each(|v| name_addresses(v, deployed)),
        _ => {}
    }
}

/// The contracts of the analysis's own files, built; errors rendered.
fn build_own(
    analysis: &writ_compiler::Analysis,
    color: bool,
) -> Result<Vec<writ_compiler::codegen::Artifact>, Failed> {
    let mut artifacts = Vec::new();
    for f in analysis.own_files() {
        let output = writ_compiler::codegen::build_file(analysis, f.id);
        if !output.diagnostics.is_empty() {
            let options = writ_compiler::render::RenderOptions { color, ascii: false };
            errout!("{}", writ_compiler::render::render(&output.diagnostics, &analysis.sources(), options));
            return Err(refused("not deployed, because of the errors above"));
        }
        artifacts.extend(output.artifacts);
    }
    Ok(artifacts)
}

/// The parameters of contract `name`'s `init` (in the analysis's own
/// files) that take references to other contracts.
fn references_of(analysis: &writ_compiler::Analysis, name: &str) -> Vec<InitReference> {
    let tables = analysis.tables();
    let own = |c: &writ_compiler::types::ContractInfo| analysis.own_files().any(|f| f.id == c.span.file);
    let found = tables.contracts.iter().position(|c| c.name == name && !c.interface && own(c));
    found.map(|cid| init_references(tables, cid as u32)).unwrap_or_default()
}

/// Refuses to deploy `contract` when an address passed for one of its
/// contract references (`values`, as for `--args`) holds no contract, or
/// one without the interface the parameter's type declares: caught here,
/// before the deployment, rather than at the first call.
fn check_reference_args(
    client: &Client,
    contract: &str,
    references: &[InitReference],
    values: &Json,
) -> Result<(), Failed> {
    for reference in references {
        let value = match values {
            Json::Array(items) => items.get(reference.index),
            Json::Object(fields) => fields.get(&reference.name),
            _ => None,
        };
        let Some(address) = value.and_then(Json::as_str) else { continue };
        let what = format!("`{contract}`'s `init` takes `{}: {}`", reference.name, reference.expects);
        let found = abi_of(client, address).map_err(|e| {
            refused(format!(
                "{what}, but {address} holds no contract this node knows ({}); deploy it first, or pass --no-interface-check",
                e.1
            ))
        })?;
        if let Some(why) = writ_abi::interface::mismatch(&reference.document, &found) {
            return Err(refused(format!(
                "{what}, but the contract at {address} (`{}`) does not have that interface: {why}; not deployed (pass --no-interface-check to deploy all the same)",
                found.name
            )));
        }
    }
    Ok(())
}

/// The module to deploy, a built artifact or a source file compiled now,
/// and the contract references its `init` takes (known from source only).
fn module_of(
    file: &Path,
    contract: Option<&str>,
    color: bool,
) -> Result<(Vec<u8>, Vec<InitReference>), Failed> {
    if file.extension().is_some_and(|e| e == "wasm") {
        let code = std::fs::read(file).map_err(|e| {
            usage(format!("cannot read `{}`: {}", file.display(), crate::files::io_reason(&e)))
        })?;
        return Ok((code, Vec::new()));
    }
    let analysis = crate::build_cmd::load_checked(&[file.to_path_buf()], color, "not deployed")
        .map_err(|code| Failed(code, "the source does not compile".into()))?;
    let artifacts = build_own(&analysis, color)?;
    let names: Vec<String> = artifacts.iter().map(|a| a.contract.clone()).collect();
    let chosen = match contract {
        Some(name) => artifacts.into_iter().find(|a| a.contract == name),
        None if artifacts.len() == 1 => artifacts.into_iter().next(),
        None => None,
    };
    chosen.map(|a| (a.wasm, references_of(&analysis, &a.contract))).ok_or_else(|| match contract {
        Some(name) => {
            usage(format!("no contract `{name}` in `{}` (it has: {})", file.display(), names.join(", ")))
        }
        None => usage(format!(
            "`{}` has {} contracts ({}); choose one with --contract",
            file.display(),
            names.len(),
            names.join(", ")
        )),
    })
}

fn abi_of(client: &Client, address: &str) -> Result<ContractAbi, Failed> {
    let contract = client.get(&format!("/v1/contracts/{address}"))?;
    serde_json::from_value(contract["abi"].clone())
        .map_err(|e| usage(format!("the node sent an ABI this client cannot read: {e}")))
}

/// `writ call ADDR METHOD [JSON]`.
pub fn call(address: &str, method: &str, args: Option<&str>, send: &SendArgs) -> Result<(), Failed> {
    let target = parse_address(address)?;
    let client = Client::new(&send.node);
    let abi = abi_of(&client, address)?;
    let entry = abi.entry(method).ok_or_else(|| {
        let names: Vec<&str> =
            abi.entry_points.iter().map(|e| e.name.as_str()).filter(|n| *n != "init").collect();
        refused(format!("contract {} has no entry point `{method}` (it has: {})", abi.name, names.join(", ")))
    })?;
    let encoded = writ_ledger::args::encode_args(&entry.params, &parse_json_args(args)?, &abi.types)
        .map_err(|e| usage(format!("arguments of `{method}`: {e}")))?;
    let payload = Payload::Call { contract: target, method: method.to_string(), args: encoded };
    let receipt = submit(&client, &send.keys, &send.key, &send.cosign, send.gas_limit, payload)?;
    show_receipt(&receipt)
}

/// `writ query ADDR METHOD [JSON]`.
pub fn query(
    node: &str,
    address: &str,
    method: &str,
    args: Option<&str>,
    from: Option<&str>,
) -> Result<(), Failed> {
    parse_address(address)?;
    let client = Client::new(node);
    let mut path = format!("/v1/contracts/{address}/views/{method}");
    if let Some(from) = from {
        parse_address(from)?;
        path.push_str(&format!("?from={from}"));
    }
    let answer = client.post(&path, &parse_json_args(args)?)?;
    say(&serde_json::to_string_pretty(&answer["result"]).unwrap_or_default());
    Ok(())
}

/// `writ events ADDR`.
pub fn events(
    node: &str,
    address: &str,
    name: Option<&str>,
    from: Option<u64>,
    to: Option<u64>,
) -> Result<(), Failed> {
    parse_address(address)?;
    let client = Client::new(node);
    let mut query = vec![];
    if let Some(name) = name {
        query.push(format!("name={name}"));
    }
    if let Some(from) = from {
        query.push(format!("from={from}"));
    }
    if let Some(to) = to {
        query.push(format!("to={to}"));
    }
    let suffix = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
    let answer = client.get(&format!("/v1/contracts/{address}/events{suffix}"))?;
    let list = answer["events"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        say("no events");
    }
    for event in list {
        say(&format!(
            "block {:>6}  {} {}",
            event["height"],
            event["name"].as_str().unwrap_or("?"),
            event["fields"]
        ));
    }
    Ok(())
}

/// `writ verify-proof FILE`: checks a state proof offline and says what
/// it shows: `present: VALUE` or `absent`.
pub fn verify_proof(
    file: &Path,
    root: Option<&str>,
    block_hash: Option<&str>,
    consortium: Option<(&Path, &Path)>,
) -> Result<(), Failed> {
    let cannot = |e: std::io::Error| {
        usage(format!("cannot read `{}`: {}", file.display(), crate::files::io_reason(&e)))
    };
    // A proof is a few KiB: anything far larger is refused before it is read.
    let size = std::fs::metadata(file).map_err(cannot)?.len();
    if size > writ_proof::state_proof::PROOF_FILE_BYTES_MAX as u64 {
        return Err(usage(format!(
            "`{}` is not a state proof: {size} bytes, more than a proof can have ({})",
            file.display(),
            writ_proof::state_proof::PROOF_FILE_BYTES_MAX
        )));
    }
    let text = std::fs::read(file).map_err(cannot)?;
    let proof = writ_proof::StateProof::from_json(&text)
        .map_err(|e| usage(format!("`{}` is not a state proof: {e}", file.display())))?;
    let same = |a: &str, b: &str| a.trim_start_matches("0x").eq_ignore_ascii_case(b.trim_start_matches("0x"));
    if let Some(root) = root
        && !same(root, proof.state_root())
    {
        return Err(refused(format!("the proof is for state root {}, not {root}", proof.state_root())));
    }
    if let Some(hash) = block_hash
        && !same(hash, &proof.block_hash)
    {
        return Err(refused(format!("the proof is for block {}, not {hash}", proof.block_hash)));
    }
    let decided = match consortium {
        Some((genesis, certificate)) => Some(check_certificate(&proof, genesis, certificate)?),
        None => None,
    };
    let verdict = proof.verify().map_err(|e| match e {
        writ_proof::ProofError::Malformed(_) => {
            usage(format!("`{}` is not a state proof: {e}", file.display()))
        }
        writ_proof::ProofError::Invalid(_) => refused(e.to_string()),
    })?;
    match verdict {
        writ_proof::Verdict::Present(value) => say(&format!("present: {}", hex(&value))),
        writ_proof::Verdict::Absent => say("absent"),
    }
    say(&format!(
        "  contract {} key {}
  state root {} of block {} at height {}",
        proof.contract,
        proof.key,
        proof.state_root(),
        proof.block_hash,
        proof.header.height
    ));
    if let Some(line) = decided {
        say(&line);
    }
    Ok(())
}

/// Checks that the proof's block was decided by the network of `genesis`:
/// `certificate` is a `writ-certificate/1` document, or a block as
/// `GET /v1/blocks/{height}` serves it (with its `certificate`).
fn check_certificate(
    proof: &writ_proof::StateProof,
    genesis: &Path,
    certificate: &Path,
) -> Result<String, Failed> {
    use writ_proof::certificate::{CERTIFICATE_BYTES_MAX, Certificate, CertificateError};
    use writ_proof::genesis::{GENESIS_FILE_BYTES_MAX, Genesis};
    let read = |path: &Path, max: usize| -> Result<Vec<u8>, Failed> {
        let cannot = |e: std::io::Error| {
            usage(format!("cannot read `{}`: {}", path.display(), crate::files::io_reason(&e)))
        };
        let size = std::fs::metadata(path).map_err(cannot)?.len();
        if size > 4 * max as u64 {
            return Err(usage(format!("`{}` is {size} bytes, far more than it can be", path.display())));
        }
        std::fs::read(path).map_err(cannot)
    };
    let genesis = Genesis::parse(&read(genesis, GENESIS_FILE_BYTES_MAX)?)
        .map_err(|e| usage(format!("`{}`: {e}", genesis.display())))?;
    let bytes = read(certificate, CERTIFICATE_BYTES_MAX)?;
    let document: Json = serde_json::from_slice(&bytes)
        .map_err(|e| usage(format!("`{}` is not JSON: {e}", certificate.display())))?;
    let inner = match document.get("certificate") {
        Some(Json::Null) => {
            return Err(refused(format!(
                "`{}` is a block without a certificate (a single node made it)",
                certificate.display()
            )));
        }
        Some(inner) => inner.clone(),
        None => document,
    };
    let certificate_doc = serde_json::from_value(inner)
        .map_err(|e| usage(format!("`{}` is not a certificate: {e}", certificate.display())))
        .and_then(|json| {
            Certificate::from_json(&json).map_err(|e| usage(format!("`{}`: {e}", certificate.display())))
        })?;
    if hex(&certificate_doc.block_hash) != proof.block_hash.trim_start_matches("0x").to_ascii_lowercase()
        || certificate_doc.height != proof.header.height
    {
        return Err(refused(format!(
            "the certificate is for block {} at height {}, not the proof's block {} at height {}",
            hex(&certificate_doc.block_hash),
            certificate_doc.height,
            proof.block_hash,
            proof.header.height
        )));
    }
    let power = certificate_doc.verify(&genesis).map_err(|e| match e {
        CertificateError::Malformed(_) => usage(e.to_string()),
        CertificateError::Invalid(_) => refused(e.to_string()),
    })?;
    Ok(format!(
        "  decided by chain `{}`: precommits of {} validators holding {power} of {} voting power (round {})",
        genesis.chain_id,
        certificate_doc.signatures.len(),
        genesis.total_power(),
        certificate_doc.round
    ))
}
