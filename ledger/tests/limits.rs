//! The ledger's bounds at the node level: a deploy carrying a module of
//! exactly the VM's largest size passes every size check; blocks are
//! packed by declared gas within the chain's block gas limit, and
//! `apply_block` cuts a proposal that goes past it the same way on every
//! node; admission refuses a gas limit above the per-transaction ceiling.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use serde_json::{Value as Json, json};
use writ_ledger::chain::{Chain, Rejection};
use writ_ledger::crypto::{Address, address_of, contract_address, hex};
use writ_ledger::node::{Node, NodeConfig, SubmitError};
use writ_ledger::params::ChainParams;
use writ_ledger::tx::{Payload, SignedTransaction, Transaction};

const CHAIN: &str = "limits";
/// The gas each test transaction declares; the test chain's ceiling.
const GAS: u64 = 10_000_000;

fn token() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runner/tests/exec/pass/token.writ");
    let source = std::fs::read_to_string(&path).unwrap();
    let analysis = writ_compiler::Analysis::single("token.writ", &source);
    let output = writ_compiler::codegen::build_file(&analysis, writ_compiler::FileId(0));
    output.artifacts.into_iter().find(|a| a.contract == "Token").unwrap().wasm
}

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn account(n: u8) -> Address {
    address_of(&key(n).verifying_key().to_bytes())
}

fn signed(signer: u8, nonce: u64, gas: u64, payload: Payload) -> SignedTransaction {
    let tx = Transaction {
        chain_id: CHAIN.into(),
        signer: key(signer).verifying_key().to_bytes(),
        nonce,
        gas_limit: gas,
        cosigners: Vec::new(),
        payload,
    };
    tx.sign(&key(signer), &[])
}

fn args(code: &[u8], method: &str, values: &Json) -> Vec<u8> {
    let abi = writ_abi::document::read_from_module(code).unwrap();
    let entry = abi.entry(method).unwrap();
    writ_ledger::args::encode_args(&entry.params, values, &abi.types).unwrap()
}

fn vm() -> Arc<writ_vm::Vm> {
    Arc::new(writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap())
}

/// A node whose blocks hold at most three transactions of `GAS`.
fn node(dir: &Path) -> Node {
    let mut config = NodeConfig::new(dir.to_path_buf(), CHAIN);
    config.params = ChainParams::new(GAS, 3 * GAS).unwrap();
    Node::open(config, vm()).unwrap()
}

/// Deploys the token as account 1 and returns its address.
fn deploy_token(node: &Node, code: &[u8]) -> Address {
    let deploy = Payload::Deploy { code: code.to_vec(), args: args(code, "init", &json!([])) };
    node.submit(&signed(1, 0, GAS, deploy).encode()).unwrap();
    node.produce().unwrap().unwrap();
    contract_address(&account(1), 0)
}

fn mint(code: &[u8], token: Address, signer: u8, nonce: u64, gas: u64) -> SignedTransaction {
    let to = json!(format!("0x{}", hex(&account(signer))));
    let payload =
        Payload::Call { contract: token, method: "mint".into(), args: args(code, "mint", &json!([to, "1"])) };
    signed(signer, nonce, gas, payload)
}

// Five waiting transactions of the full ceiling make a block of three and
// a block of two, in arrival order; a gas limit over the ceiling is
// refused at admission with `gas_limit`.
#[test]
fn the_producer_packs_blocks_within_the_gas_limit() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    let code = token();
    let token = deploy_token(&node, &code);
    let ids: Vec<_> =
        (0..5).map(|n| node.submit(&mint(&code, token, 1, 1 + n, GAS).encode()).unwrap()).collect();
    let (block, receipts) = node.produce().unwrap().unwrap();
    assert_eq!(block.transactions, ids[..3].iter().map(|id| hex(id)).collect::<Vec<_>>());
    assert_eq!(receipts.len(), 3);
    assert_eq!(node.pending(), 2);
    let (block, _) = node.produce().unwrap().unwrap();
    assert_eq!(block.transactions, ids[3..].iter().map(|id| hex(id)).collect::<Vec<_>>());
    assert_eq!((node.pending(), node.pending_bytes()), (0, 0));

    let over = mint(&code, token, 1, 6, GAS + 1);
    let refused = node.submit(&over.encode()).unwrap_err();
    assert!(
        matches!(refused, SubmitError::Rejected(Rejection::GasLimit { found, max: GAS }) if found == GAS + 1),
        "{refused}"
    );
}

// A proposal past the block gas limit is cut deterministically: two
// chains given the same over-full proposal include the same prefix that
// fits (skipping what does not), and make the same block.
#[test]
fn apply_block_skips_what_is_past_the_gas_limit() {
    let code = token();
    let params = ChainParams::new(GAS, 5 * GAS / 2).unwrap();
    let mut heads = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let mut chain = Chain::open_with(dir.path(), CHAIN, vm(), 1 << 24, params).unwrap();
        let deploy = Payload::Deploy { code: code.clone(), args: args(&code, "init", &json!([])) };
        chain.apply_block(&[signed(1, 0, GAS, deploy)], 1).unwrap();
        let token = contract_address(&account(1), 0);
        // Over the ceiling (skipped); two ceilings; a third that would pass
        // the block's limit of two and a half (skipped); half a ceiling,
        // which still fits.
        let proposal = vec![
            mint(&code, token, 2, 0, GAS + 1),
            mint(&code, token, 3, 0, GAS),
            mint(&code, token, 4, 0, GAS),
            mint(&code, token, 5, 0, GAS),
            mint(&code, token, 6, 0, GAS / 2),
        ];
        // Minting needs the admin role, so each mint aborts; an aborted
        // transaction is still included, which is what this counts.
        let (block, receipts) = chain.apply_block(&proposal, 2).unwrap();
        let included: Vec<[u8; 20]> = receipts.iter().map(|r| r.sender).collect();
        assert_eq!(included, [3, 4, 6].map(account));
        assert_eq!(block.transactions.len(), 3);
        let reader = chain.reader();
        assert_eq!(
            (reader.next_nonce(&account(2)).unwrap(), reader.next_nonce(&account(5)).unwrap()),
            (0, 0)
        );
        heads.push((block.hash, chain.head()));
    }
    assert_eq!(heads[0], heads[1]);
}

// A deploy of a module of exactly the VM's largest size, with the largest
// arguments, is not refused for its size: the refusal is the module's
// content (`bad_module`), never `too_large`.
#[test]
fn a_largest_module_passes_the_size_checks() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    let code = vec![0u8; writ_vm::limits::MODULE_BYTES_MAX];
    let args = vec![0u8; writ_vm::limits::ARGS_BYTES_MAX as usize];
    let bytes = signed(7, 0, GAS, Payload::Deploy { code, args }).encode();
    assert!(bytes.len() <= writ_ledger::limits::TX_BYTES_MAX);
    let refused = node.submit(&bytes).unwrap_err();
    match refused {
        SubmitError::Rejected(rejection) => assert_eq!(rejection.code(), "bad_module", "{rejection}"),
        other => panic!("refused as {other}"),
    }
    // One byte more of code is refused as too large, before anything compiles it.
    let code = vec![0u8; writ_vm::limits::MODULE_BYTES_MAX + 1];
    let bytes = signed(7, 0, GAS, Payload::Deploy { code, args: Vec::new() }).encode();
    let refused = node.submit(&bytes).unwrap_err();
    assert!(matches!(&refused, SubmitError::Rejected(r) if r.code() == "too_large"), "{refused}");
}
