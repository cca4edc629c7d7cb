//! The EVM side: runtime bytecode compiled by solc from
//! `bench/solidity/*.sol` (by `scripts/bench.sh`), placed in revm's
//! in-memory database and called with one transaction per call, calldata
//! built by hand from 4-byte selectors.
//!
//! Like the rest of the harness (see `main.rs`), its `expect`s guard
//! fixed, generated inputs and the harness's own contracts: a failure is
//! a harness bug, stopped at once with its reason; no user input reaches it.

use std::collections::BTreeMap;
use std::path::Path;

use revm::context::TxEnv;
use revm::context_interface::result::ExecutionResult;
use revm::database::{CacheDB, EmptyDB};
use revm::handler::{MainnetContext, MainnetEvm};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, Bytes, TxKind, U256, hex, keccak256};
use revm::state::{AccountInfo, Bytecode};
use revm::{Context, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext};
use sha2::{Digest, Sha256};

/// The Solidity sources, by contract name (hashed to refuse stale
/// bytecode).
pub const SOURCES: [(&str, &str); 4] = [
    ("Spin", include_str!("../solidity/Spin.sol")),
    ("Token", include_str!("../solidity/Token.sol")),
    ("Tax", include_str!("../solidity/Tax.sol")),
    ("Evidence", include_str!("../solidity/Evidence.sol")),
];

/// Where every contract is deployed.
pub const CONTRACT: Address = Address::new([0xC0; 20]);
/// Gas limit of every transaction: far beyond any workload (the EIP-7825
/// cap is lifted below), so none is cut short.
const GAS_LIMIT: u64 = 1 << 40;

/// What `scripts/bench.sh` produced: runtime code per contract, the
/// compiler's version and its compile times.
#[derive(Debug)]
pub struct Compiled {
    pub code: BTreeMap<String, Vec<u8>>,
    pub version: String,
    pub compile_ms: BTreeMap<String, f64>,
}

/// Reads the solc output in `dir`. Refuses output whose sources differ
/// from the ones built into this binary (rerun `scripts/bench.sh`), and
/// checks every selector the harness computes against solc's.
pub fn load(dir: &Path) -> Result<Compiled, String> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let info = read("solc.txt")?;
    let mut version = String::new();
    let mut compile_ms = BTreeMap::new();
    let mut hashes = BTreeMap::new();
    let mut code_hashes = BTreeMap::new();
    for line in info.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["version", v] => version = (*v).to_string(),
            ["compile_ms", file, ms] => {
                compile_ms.insert(file.trim_end_matches(".sol").to_string(), ms.parse().unwrap_or(f64::NAN));
            }
            ["source_sha256", file, digest] => {
                hashes.insert(file.trim_end_matches(".sol").to_string(), (*digest).to_string());
            }
            ["bytecode_sha256", name, digest] => {
                code_hashes.insert((*name).to_string(), (*digest).to_string());
            }
            _ => {}
        }
    }
    let mut code = BTreeMap::new();
    for (name, source) in SOURCES {
        let digest: String = Sha256::digest(source.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        if hashes.get(name) != Some(&digest) {
            return Err(format!(
                "{}: compiled from a different {name}.sol than this binary's; run scripts/bench.sh",
                dir.display()
            ));
        }
        let text = read(&format!("{name}.bin"))?;
        // The bytecode is the one the compile step wrote for these sources
        // (its digest is recorded beside theirs), so the contracts behave as
        // the workloads below expect and their results have the declared shape.
        let code_digest: String =
            Sha256::digest(text.trim().as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        if code_hashes.get(name) != Some(&code_digest) {
            return Err(format!(
                "{}: {name}.bin is not the bytecode the compile step recorded; run scripts/bench.sh",
                dir.display()
            ));
        }
        let bytes = hex::decode(text.trim()).map_err(|e| format!("{name}.bin: {e}"))?;
        for line in read(&format!("{name}.hashes"))?.lines() {
            if let Some((selector_hex, signature)) = line.split_once(' ') {
                let ours = hex::encode(selector(signature));
                if ours != selector_hex {
                    return Err(format!(
                        "selector of {signature}: solc says {selector_hex}, keccak says {ours}"
                    ));
                }
            }
        }
        code.insert(name.to_string(), bytes);
    }
    Ok(Compiled { code, version, compile_ms })
}

/// The 4-byte selector of a function signature such as
/// `transfer(address,uint64)`.
pub fn selector(signature: &str) -> [u8; 4] {
    let digest = keccak256(signature.as_bytes());
    [digest[0], digest[1], digest[2], digest[3]]
}

/// ABI-encoded calldata, built by hand.
#[derive(Debug, Clone)]
pub struct Calldata(Vec<u8>);

impl Calldata {
    pub fn new(signature: &str) -> Calldata {
        Calldata(selector(signature).to_vec())
    }

    pub fn word(mut self, value: U256) -> Calldata {
        self.0.extend(value.to_be_bytes::<32>());
        self
    }

    pub fn uint(self, value: u128) -> Calldata {
        self.word(U256::from(value))
    }

    pub fn address(self, address: [u8; 20]) -> Calldata {
        let mut word = [0u8; 32];
        word[12..].copy_from_slice(&address);
        self.word(U256::from_be_bytes(word))
    }

    /// Raw bytes appended as they are, padded to a whole word (the tail of
    /// a dynamic `bytes` argument).
    pub fn padded(mut self, bytes: &[u8]) -> Calldata {
        self.0.extend(bytes);
        let body = self.0.len() - 4;
        self.0.resize(4 + body.div_ceil(32) * 32, 0);
        self
    }

    pub fn bytes(self) -> Bytes {
        Bytes::from(self.0)
    }
}

/// The word at `index` of a return buffer.
pub fn word(output: &[u8], index: usize) -> U256 {
    let Some(bytes) = output.get(index * 32..index * 32 + 32) else {
        crate::fatal(&format!("the EVM returned {} bytes; word {index} was expected", output.len()))
    };
    U256::from_be_slice(bytes)
}

/// A word that must fit in a u128 (every value this harness reads back).
pub fn small(value: U256) -> u128 {
    u128::try_from(value)
        .unwrap_or_else(|_| crate::fatal(&format!("the EVM returned {value}, beyond 128 bits")))
}

/// One EVM with the contract `code` deployed at [`CONTRACT`], in an
/// in-memory database, at the Osaka rules solc compiled for.
pub struct Evm {
    evm: MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>,
    /// Next nonce of each sender (transactions are committed in order).
    nonces: BTreeMap<[u8; 20], u64>,
}

/// A successful transaction's output, gas and number of logs.
pub struct Done {
    pub output: Bytes,
    pub gas: u64,
    pub logs: Vec<revm::primitives::Log>,
}

impl Evm {
    pub fn new(code: &[u8]) -> Evm {
        let mut db = CacheDB::new(EmptyDB::default());
        let bytecode = Bytecode::new_legacy(Bytes::copy_from_slice(code));
        db.insert_account_info(CONTRACT, AccountInfo { code: Some(bytecode), ..AccountInfo::default() });
        let context = Context::mainnet().with_db(db).modify_cfg_chained(|cfg| {
            cfg.set_spec_and_mainnet_gas_params(SpecId::OSAKA);
            // EIP-7825 caps a transaction at 2^24 gas; the single-call
            // workloads (10 million loop iterations) need more.
            cfg.tx_gas_limit_cap = Some(u64::MAX);
        });
        Evm { evm: context.build_mainnet(), nonces: BTreeMap::new() }
    }

    fn tx(&self, caller: [u8; 20], data: Bytes) -> TxEnv {
        TxEnv {
            caller: Address::new(caller),
            gas_limit: GAS_LIMIT,
            gas_price: 0,
            kind: TxKind::Call(CONTRACT),
            data,
            nonce: self.nonces.get(&caller).copied().unwrap_or(0),
            chain_id: Some(1),
            ..TxEnv::default()
        }
    }

    /// A transaction whose changes are committed to the database.
    pub fn transact_commit(&mut self, caller: [u8; 20], data: Bytes) -> Done {
        let tx = self.tx(caller, data);
        let result = self
            .evm
            .transact_commit(tx)
            .unwrap_or_else(|e| crate::fatal(&format!("revm refused a transaction: {e}")));
        *self.nonces.entry(caller).or_insert(0) += 1;
        done(result)
    }

    /// A call whose changes are dropped (a view, as `eth_call` runs one).
    pub fn call(&mut self, caller: [u8; 20], data: Bytes) -> Done {
        let tx = self.tx(caller, data);
        done(
            self.evm
                .transact(tx)
                .unwrap_or_else(|e| crate::fatal(&format!("revm refused a call: {e}")))
                .result,
        )
    }
}

fn done(result: ExecutionResult) -> Done {
    let gas = result.tx_gas_used();
    match result {
        ExecutionResult::Success { logs, output, .. } => Done { output: output.into_data(), gas, logs },
        other => crate::fatal(&format!("an EVM call failed: {other:?}")),
    }
}
