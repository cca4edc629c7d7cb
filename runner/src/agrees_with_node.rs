//! The node and `writ test` execute transactions with one core: the same
//! deployments and calls (co-signed ones, aborting ones, a view, a second
//! deployment by the same account), run through the test runner's ledger
//! and through a real `Chain`, give the same contract addresses, result
//! bytes, events, aborts and gas.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use sha2::Digest;
use writ_abi::{AbiType, TypeDefs, Value};
use writ_compiler::Analysis;
use writ_compiler::codegen::build_tests;
use writ_ledger::chain::Chain;
use writ_ledger::crypto::{address_of, contract_address};
use writ_ledger::receipt::{self, Receipt};
use writ_ledger::tx::{Payload, Transaction};
use writ_vm::{CallReport, Outcome, Vm, VmOptions};

use crate::ledger::{Handle, Ledger, account, call, deploy_report};
use crate::{Prepared, RunOptions, START_TIME};

const SOURCE: &str = r#"
contract Custody {
    storage {
        holder: Address,
        moves: u64,
    }

    event Moved(from: Address, to: Address, height: u64);

    error NotHolder(holder: Address);

    init() {
        self.holder = caller();
    }

    // The holder hands over; the receiver must co-sign. Returns where it ran.
    pub fn hand_over(to: Address) -> Address {
        if caller() != self.holder {
            fail NotHolder(self.holder);
        }
        require(signed_by(to), "the receiver must sign");
        emit Moved(self.holder, to, block_height());
        self.holder = to;
        self.moves += 1;
        contract_address()
    }

    pub view fn holder() -> Address {
        self.holder
    }
}

test "compiles" {
    let h = deploy Custody();
}
"#;

/// One transaction: who sends it, who co-signs, and what it does.
struct Step {
    sender: &'static str,
    cosigners: &'static [&'static str],
    /// `None` deploys; `Some((n, method, to))` calls the `n`th deployment.
    call: Option<(usize, &'static str, Option<&'static str>)>,
}

const STEPS: &[Step] = &[
    Step { sender: "admin", cosigners: &[], call: None },
    Step { sender: "admin", cosigners: &[], call: None },
    Step { sender: "admin", cosigners: &["officer"], call: Some((0, "hand_over", Some("officer"))) },
    // The holder is the officer now: NotHolder.
    Step { sender: "admin", cosigners: &[], call: Some((0, "hand_over", Some("lab"))) },
    // The receiver did not sign: Require.
    Step { sender: "admin", cosigners: &[], call: Some((1, "hand_over", Some("lab"))) },
    Step { sender: "officer", cosigners: &["lab", "officer"], call: Some((0, "hand_over", Some("lab"))) },
    Step { sender: "lab", cosigners: &[], call: Some((0, "holder", None)) },
    Step { sender: "officer", cosigners: &[], call: None },
];

/// The key behind test account `name` (`ledger::account`).
fn key(name: &str) -> SigningKey {
    let seed: [u8; 32] = sha2::Sha256::digest(format!("writ-test-account:{name}").as_bytes()).into();
    SigningKey::from_bytes(&seed)
}

fn args_of(to: Option<&str>) -> Vec<u8> {
    let (types, values) = match to {
        Some(to) => (vec![AbiType::Address], vec![Value::Address(account(to))]),
        None => (Vec::new(), Vec::new()),
    };
    writ_abi::encode_value(&AbiType::Tuple(types), &Value::Tuple(values), &TypeDefs::default()).unwrap()
}

/// What the runner's ledger did: per step, the contract and the report.
fn through_runner(prepared: &Prepared) -> Vec<([u8; 20], CallReport)> {
    let mut ledger = Ledger::new();
    let mut deployed = Vec::new();
    let mut done = Vec::new();
    for step in STEPS {
        let sender = account(step.sender);
        match step.call {
            None => {
                let executed = deploy_report(&mut ledger, &prepared.env, 0, sender, &args_of(None)).unwrap();
                deployed.push(executed.contract);
                done.push((executed.contract, executed.report));
            }
            Some((n, method, to)) => {
                let handle = Handle {
                    contract: deployed[n],
                    caller: sender,
                    cosigners: step.cosigners.iter().map(|c| account(c)).collect(),
                };
                let (report, _) = call(&mut ledger, &prepared.env, &handle, method, &args_of(to)).unwrap();
                done.push((deployed[n], report));
            }
        }
    }
    done
}

/// The same steps as signed transactions, one block each, on a chain.
fn through_chain(code: &[u8], gas_limit: u64) -> Vec<Receipt> {
    let dir = tempfile::tempdir().unwrap();
    let vm = Arc::new(Vm::new(VmOptions::in_memory()).unwrap());
    let mut chain = Chain::open(dir.path(), "agree", vm).unwrap();
    let mut nonces: BTreeMap<&str, u64> = BTreeMap::new();
    let mut deployed = Vec::new();
    let mut receipts = Vec::new();
    for step in STEPS {
        let nonce = nonces.entry(step.sender).or_default();
        let payload = match step.call {
            None => Payload::Deploy { code: code.to_vec(), args: args_of(None) },
            Some((n, method, to)) => {
                Payload::Call { contract: deployed[n], method: method.to_string(), args: args_of(to) }
            }
        };
        let cosigners: Vec<SigningKey> = step.cosigners.iter().map(|c| key(c)).collect();
        let tx = Transaction {
            chain_id: "agree".into(),
            signer: key(step.sender).verifying_key().to_bytes(),
            nonce: *nonce,
            gas_limit,
            cosigners: cosigners.iter().map(|k| k.verifying_key().to_bytes()).collect(),
            payload,
        };
        *nonce += 1;
        let signed = tx.sign(&key(step.sender), &cosigners.iter().collect::<Vec<_>>());
        let (_, mut made) = chain.apply_block(&[signed], START_TIME).unwrap();
        assert_eq!(made.len(), 1, "the chain left a transaction out");
        let receipt = made.remove(0);
        if step.call.is_none() {
            deployed.push(receipt.contract);
        }
        receipts.push(receipt);
    }
    receipts
}

#[test]
fn the_node_and_writ_test_execute_alike() {
    for name in ["admin", "officer", "lab"] {
        assert_eq!(address_of(&key(name).verifying_key().to_bytes()), account(name));
    }
    let analysis = Analysis::new(vec![("agree.writ".to_string(), SOURCE.to_string())]);
    let file = analysis.file_id("agree.writ").unwrap();
    let harness = build_tests(&analysis, file, false).unwrap().unwrap();
    let vm = Arc::new(Vm::new(VmOptions::in_memory()).unwrap());
    let prepared = Prepared::new(&vm, &harness, &RunOptions::default()).unwrap();

    let from_runner = through_runner(&prepared);
    let from_chain = through_chain(&harness.contracts[0].wasm, prepared.env.gas_limit);
    assert_eq!(from_runner.len(), from_chain.len());
    let mut outcomes = Vec::new();
    for (i, ((contract, report), receipt)) in from_runner.iter().zip(&from_chain).enumerate() {
        assert_eq!(*contract, receipt.contract, "step {i}: contract address");
        assert_eq!(report.gas_used, receipt.gas_used, "step {i}: gas");
        match (&report.outcome, &receipt.outcome) {
            (Outcome::Success(success), receipt::Outcome::Success { result, events }) => {
                assert_eq!(&success.result, result, "step {i}: result");
                let ran: Vec<_> =
                    success.events.iter().map(|e| (*contract, e.index, e.data.clone())).collect();
                let kept: Vec<_> = events.iter().map(|e| (e.contract, e.index, e.data.clone())).collect();
                assert_eq!(ran, kept, "step {i}: events");
                outcomes.push(if events.is_empty() { "ok" } else { "ok, emitted" });
            }
            (Outcome::Aborted(ran), receipt::Outcome::Aborted(kept)) => {
                assert_eq!(ran, kept, "step {i}: abort");
                outcomes.push("aborted");
            }
            (ran, kept) => panic!("step {i}: the runner got {ran:?}, the chain {kept:?}"),
        }
    }
    // The sequence does what it says, so the comparison covers each case.
    assert_eq!(outcomes, ["ok", "ok", "ok, emitted", "aborted", "aborted", "ok, emitted", "ok", "ok"]);
    // Deployments follow the node's address rule: the deployer's nonce,
    // counting its calls in between.
    let admin = account("admin");
    assert_eq!(from_runner[0].0, contract_address(&admin, 0));
    assert_eq!(from_runner[1].0, contract_address(&admin, 1));
    assert_eq!(from_runner[7].0, contract_address(&account("officer"), 1));
    // `contract_address()` inside the contract is the address it was given.
    let Outcome::Success(success) = &from_runner[2].1.outcome else { panic!("step 2 aborted") };
    assert_eq!(success.result, from_runner[0].0.to_vec());
}
