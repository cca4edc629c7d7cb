//! What the network tests share: short timeouts, signed token
//! transactions, submission over HTTP, and comparing the nodes' chains.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use serde_json::{Value as Json, json};
use writ_consensus::network::Settings;
use writ_consensus::testnet::Testnet;
use writ_ledger::crypto::{Address, address_of, contract_address, hex};
use writ_ledger::tx::{Payload, SignedTransaction, Transaction};

pub const CHAIN: &str = "testnet";
pub const GAS: u64 = 10_000_000;

/// Short timeouts: a lost round costs about a second, not five.
pub fn quick(settings: &mut Settings) {
    settings.timeouts = LinearTimeouts {
        propose: Duration::from_millis(1500),
        propose_delta: Duration::from_millis(250),
        prevote: Duration::from_millis(400),
        prevote_delta: Duration::from_millis(200),
        precommit: Duration::from_millis(400),
        precommit_delta: Duration::from_millis(200),
        rebroadcast: Duration::from_millis(2000),
        max_timeout: Duration::from_secs(10),
    };
    settings.block_interval = Duration::from_millis(100);
    settings.empty_block_wait = Duration::from_millis(100);
}

pub fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

pub fn account(n: u8) -> Address {
    address_of(&key(n).verifying_key().to_bytes())
}

pub fn token() -> Vec<u8> {
    static CODE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    CODE.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runner/tests/exec/pass/token.writ");
        let source = std::fs::read_to_string(&path).unwrap();
        let analysis = writ_compiler::Analysis::single("token.writ", &source);
        let output = writ_compiler::codegen::build_file(&analysis, writ_compiler::FileId(0));
        assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
        output.artifacts.into_iter().find(|a| a.contract == "Token").unwrap().wasm
    })
    .clone()
}

pub fn args(code: &[u8], method: &str, values: &Json) -> Vec<u8> {
    let abi = writ_abi::document::read_from_module(code).unwrap();
    let entry = abi.entry(method).unwrap();
    writ_ledger::args::encode_args(&entry.params, values, &abi.types).unwrap()
}

pub fn sign(signer: u8, nonce: u64, payload: Payload) -> SignedTransaction {
    let tx = Transaction {
        chain_id: CHAIN.into(),
        signer: key(signer).verifying_key().to_bytes(),
        nonce,
        gas_limit: GAS,
        cosigners: Vec::new(),
        payload,
    };
    tx.sign(&key(signer), &[])
}

/// A token deployed by account 1, minted to accounts 1..=`accounts`,
/// then `transfers` transfers among them: every transaction, in order.
pub fn workload(accounts: u8, transfers: usize) -> Vec<SignedTransaction> {
    let code = token();
    let contract = contract_address(&account(1), 0);
    let mut nonces = std::collections::HashMap::<u8, u64>::new();
    let mut next = |n: u8| {
        let nonce = nonces.entry(n).or_insert(0);
        *nonce += 1;
        *nonce - 1
    };
    let mut txs =
        vec![sign(1, next(1), Payload::Deploy { code: code.clone(), args: args(&code, "init", &json!([])) })];
    for n in 1..=accounts {
        let a = args(&code, "mint", &json!([format!("0x{}", hex(&account(n))), "1000000"]));
        txs.push(sign(1, next(1), Payload::Call { contract, method: "mint".into(), args: a }));
    }
    for i in 0..transfers {
        let from = 1 + (i % accounts as usize) as u8;
        let to = 1 + ((i * 7 + 3) % accounts as usize) as u8;
        let a = args(&code, "send", &json!([format!("0x{}", hex(&account(to))), "1"]));
        txs.push(sign(from, next(from), Payload::Call { contract, method: "send".into(), args: a }));
    }
    txs
}

pub fn post(api: &str, tx: &SignedTransaction) -> Result<Json, String> {
    match ureq::post(&format!("{api}/v1/transactions")).send_json(json!({ "tx": hex(&tx.encode()) })) {
        Ok(response) => response.into_json().map_err(|e| e.to_string()),
        Err(ureq::Error::Status(code, response)) => {
            Err(format!("{code}: {}", response.into_string().unwrap_or_default()))
        }
        Err(error) => Err(error.to_string()),
    }
}

pub fn get(api: &str, path: &str) -> Option<Json> {
    ureq::get(&format!("{api}{path}")).call().ok()?.into_json().ok()
}

/// Every running node's blocks 1..=height: hash and state root each.
pub fn chains(net: &Testnet, height: u64) -> Vec<Vec<(String, String)>> {
    net.nodes
        .iter()
        .flatten()
        .map(|running| {
            (1..=height)
                .map(|h| {
                    let block = running.node.reader().block(h).unwrap().unwrap();
                    (block.hash, block.state_root)
                })
                .collect()
        })
        .collect()
}

/// Waits until every running node has a receipt for every one of `ids`.
pub async fn wait_for_receipts(net: &Testnet, ids: &[[u8; 32]], timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let done = net
            .nodes
            .iter()
            .flatten()
            .all(|r| ids.iter().all(|id| r.node.reader().receipt(id).ok().flatten().is_some()));
        if done {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
