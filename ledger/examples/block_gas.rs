//! How long a block at the gas limit takes: the figure behind the default
//! block gas limit (docs/ledger.md, "Gas per block"). Deploys a contract
//! whose entry points loop until their gas runs out (`spin`: arithmetic
//! only, the most instructions per unit of gas; `spin_reading`: a storage
//! read per turn, host calls), then times `apply_block` on a block of such
//! calls, each at the per-transaction ceiling, whose declared gas fills
//! the block limit.
//!
//! `cargo run --release -p writ-ledger --example block_gas`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use ed25519_dalek::SigningKey;
use writ_ledger::chain::Chain;
use writ_ledger::crypto::{address_of, contract_address};
use writ_ledger::limits::{BLOCK_GAS_LIMIT_DEFAULT, TX_GAS_LIMIT_MAX_DEFAULT};
use writ_ledger::tx::{Payload, Transaction};

const SPIN: &str = "
contract Spin {
    storage {
        step: u64,
    }

    pub fn spin_reading(n: u64) -> u64 {
        let mut total: u64 = 0;
        let mut i: u64 = 0;
        while i < n {
            total += self.step;
            i += 1;
        }
        total
    }

    pub fn spin(n: u64) -> u64 {
        let mut total: u64 = 0;
        let mut i: u64 = 0;
        while i < n {
            total += i;
            i += 1;
        }
        total
    }
}
";

fn main() {
    let analysis = writ_compiler::Analysis::single("spin.writ", SPIN);
    let output = writ_compiler::codegen::build_file(&analysis, writ_compiler::FileId(0));
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    let code = output.artifacts.into_iter().next().expect("one contract").wasm;
    let dir = tempfile::tempdir().unwrap();
    let vm = writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap();
    let mut chain = Chain::open(dir.path(), "block-gas", Arc::new(vm)).unwrap();
    let key = SigningKey::from_bytes(&[1; 32]);
    let sign = |nonce: u64, gas_limit: u64, payload: Payload| {
        let tx = Transaction {
            chain_id: "block-gas".into(),
            signer: key.verifying_key().to_bytes(),
            nonce,
            gas_limit,
            cosigners: Vec::new(),
            payload,
        };
        tx.sign(&key, &[])
    };
    chain.apply_block(&[sign(0, 10_000_000, Payload::Deploy { code, args: Vec::new() })], 1).unwrap();
    let spin = contract_address(&address_of(&key.verifying_key().to_bytes()), 0);
    // Far more iterations than any gas limit pays for: every call runs
    // out of gas, having used exactly its limit.
    let args = (1u64 << 62).to_be_bytes().to_vec();
    let count = BLOCK_GAS_LIMIT_DEFAULT / TX_GAS_LIMIT_MAX_DEFAULT;
    let mut nonce = 1;
    for (height, method) in [(2, "spin"), (3, "spin_reading")] {
        let block: Vec<_> = (0..count)
            .map(|_| {
                let call = Payload::Call { contract: spin, method: method.into(), args: args.clone() };
                nonce += 1;
                sign(nonce - 1, TX_GAS_LIMIT_MAX_DEFAULT, call)
            })
            .collect();
        let start = Instant::now();
        let (_, receipts) = chain.apply_block(&block, height).unwrap();
        let elapsed = start.elapsed();
        let gas: u64 = receipts.iter().map(|r| r.gas_used).sum();
        println!(
            "{method}: {} calls, {gas} gas in {:.2} s: {:.2} G gas/s ({} build of the host)",
            receipts.len(),
            elapsed.as_secs_f64(),
            gas as f64 / elapsed.as_secs_f64() / 1e9,
            if cfg!(debug_assertions) { "debug" } else { "release" },
        );
    }
}
