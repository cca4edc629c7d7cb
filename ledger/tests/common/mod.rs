//! What the ledger's integration tests share: the token contract compiled
//! from Writ source, fixed keys, and arguments encoded by the ABI.
// Each test file uses a different part of this module.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use serde_json::{Value as Json, json};
use writ_ledger::chain::Chain;
use writ_ledger::crypto::{Address, address_of, hex};

/// The token contract (`runner/tests/exec/pass/token.writ`), compiled once.
pub fn token() -> Vec<u8> {
    static CODE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    CODE.get_or_init(compile_token).clone()
}

fn compile_token() -> Vec<u8> {
    compile("Token")
}

/// The escrow of the token's file: it calls the token (`release`).
#[allow(dead_code)]
pub fn escrow() -> Vec<u8> {
    static CODE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    CODE.get_or_init(|| compile("Escrow")).clone()
}

fn compile(contract: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runner/tests/exec/pass/token.writ");
    let source = std::fs::read_to_string(&path).unwrap();
    let analysis = writ_compiler::Analysis::single("token.writ", &source);
    let output = writ_compiler::codegen::build_file(&analysis, writ_compiler::FileId(0));
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    output.artifacts.into_iter().find(|a| a.contract == contract).unwrap().wasm
}

/// A chain in `dir` with its own in-memory VM.
pub fn open(dir: &Path, chain_id: &str) -> Chain {
    let vm = writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap();
    Chain::open(dir, chain_id, Arc::new(vm)).unwrap()
}

/// Account `n`'s key: the seed is 32 bytes of `n`.
pub fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

pub fn account(n: u8) -> Address {
    address_of(&key(n).verifying_key().to_bytes())
}

/// JSON arguments of `method` in their canonical encoding.
pub fn args(code: &[u8], method: &str, values: &Json) -> Vec<u8> {
    let abi = writ_abi::document::read_from_module(code).unwrap();
    let entry = abi.entry(method).unwrap();
    writ_ledger::args::encode_args(&entry.params, values, &abi.types).unwrap()
}

pub fn address_json(address: &Address) -> Json {
    json!(format!("0x{}", hex(address)))
}
