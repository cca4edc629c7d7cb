//! Canonical receipts on a real chain: a fixed block sequence of the token
//! contract (a deployment that succeeds and one that runs out of gas,
//! calls that succeed with and without events or a result, a contract
//! error, a failed role check, a call out of gas) and of an escrow that
//! calls it (events of two contracts in one receipt, the token's abort
//! inside the escrow's call) pins every block's hash
//! and roots and every receipt's bytes in a snapshot; and rendering the
//! same chain in other words changes no byte and no root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fmt::Write as _;

use common::{account, address_json, args, escrow, key, token};
use serde_json::{Value as Json, json};
use writ_abi::document::ContractAbi;
use writ_abi::host::AbortCode;
use writ_ledger::block::{Block, Header};
use writ_ledger::chain::Chain;
use writ_ledger::crypto::{Address, contract_address, hex, leaf_hash, merkle_root, parse_hex, sha256};
use writ_ledger::receipt::{Outcome, Receipt, Status};
use writ_ledger::receipt_json::{Explain, VmWords, abi_for, receipt_json};
use writ_ledger::tx::{Payload, SignedTransaction, Transaction};
use writ_vm::Abort;

const CHAIN: &str = "receipts";
const GAS: u64 = 10_000_000;
/// Enough to start a call, far too little to finish one.
const GAS_TOO_LITTLE: u64 = 500;
const START: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// Signs transactions with each account's next nonce.
struct Signer {
    code: Vec<u8>,
    nonces: [u64; 8],
}

impl Signer {
    fn tx(&mut self, signer: u8, gas_limit: u64, payload: Payload) -> SignedTransaction {
        let nonce = &mut self.nonces[usize::from(signer)];
        let tx = Transaction {
            chain_id: CHAIN.into(),
            signer: key(signer).verifying_key().to_bytes(),
            nonce: *nonce,
            gas_limit,
            cosigners: Vec::new(),
            payload,
        };
        *nonce += 1;
        tx.sign(&key(signer), &[])
    }

    fn call(
        &mut self,
        signer: u8,
        gas_limit: u64,
        contract: Address,
        method: &str,
        values: Json,
    ) -> SignedTransaction {
        let args = args(&self.code, method, &values);
        self.tx(signer, gas_limit, Payload::Call { contract, method: method.into(), args })
    }

    /// A call to the escrow account 4 deployed.
    fn escrow(&mut self, signer: u8, method: &str, values: Json) -> SignedTransaction {
        let args = args(&escrow(), method, &values);
        let contract = contract_address(&account(4), 0);
        self.tx(signer, GAS, Payload::Call { contract, method: method.into(), args })
    }
}

/// The fixed sequence: what each block holds, in order.
fn blocks() -> Vec<Vec<SignedTransaction>> {
    let mut s = Signer { code: token(), nonces: [0; 8] };
    let token = contract_address(&account(1), 0);
    let init = args(&s.code, "init", &json!([]));
    let deploy = |init: &Vec<u8>, code: &Vec<u8>| Payload::Deploy { code: code.clone(), args: init.clone() };
    let code = s.code.clone();
    let to = |n: u8| address_json(&account(n));
    vec![
        vec![
            s.tx(1, GAS, deploy(&init, &code)),
            // Its `init` runs out of gas: a receipt, and no contract.
            s.tx(2, GAS_TOO_LITTLE, deploy(&init, &code)),
        ],
        vec![
            s.call(1, GAS, token, "mint", json!([to(1), "1000"])),
            // Account 3 is not Admin: MissingRole.
            s.call(3, GAS, token, "mint", json!([to(3), "5"])),
            s.call(1, GAS, token, "send", json!([to(2), "300"])),
            s.call(1, GAS, token, "send", json!([to(3), "7"])),
        ],
        vec![
            // Account 2 holds 300: the contract error Insufficient(300, 500).
            s.call(2, GAS, token, "send", json!([to(3), "500"])),
            // A view called in a transaction returns its result bytes.
            s.call(3, GAS, token, "balance", json!([to(2)])),
            s.call(2, GAS_TOO_LITTLE, token, "send", json!([to(1), "1"])),
        ],
        vec![
            // An escrow over the token, holding 10 tokens, crediting 25.
            s.tx(4, GAS, deploy(&args(&escrow(), "init", &json!([address_json(&token)])), &escrow())),
            s.call(1, GAS, token, "mint", json!([address_json(&contract_address(&account(4), 0)), "10"])),
            s.escrow(4, "credit", json!([to(2), "25"])),
            // Paid through the token: the token's Sent, then the escrow's Released.
            s.escrow(2, "release", json!(["5"])),
            // The escrow has 5 left: the token's Insufficient(5, 20) ends the call.
            s.escrow(2, "release", json!(["20"])),
        ],
    ]
}

fn time_of(height: usize) -> i64 {
    START + 5 * height as i64
}

/// Runs the sequence on a fresh chain in `dir`.
fn run(dir: &std::path::Path) -> (Chain, Vec<(Block, Vec<Receipt>)>) {
    let mut chain = common::open(dir, CHAIN);
    let made =
        blocks().iter().enumerate().map(|(i, txs)| chain.apply_block(txs, time_of(i + 1)).unwrap()).collect();
    (chain, made)
}

/// The receipts of block `height` as the store returns them.
fn stored_receipts(chain: &Chain, height: u64) -> Vec<Receipt> {
    let block = chain.reader().block(height).unwrap().unwrap();
    block
        .transactions
        .iter()
        .map(|id| chain.reader().receipt(&parse_hex(id).unwrap()).unwrap().unwrap())
        .collect()
}

fn summary(receipt: &Receipt) -> String {
    match &receipt.outcome {
        Outcome::Success { result, events } => {
            format!("success, {} result bytes, {} events", result.len(), events.len())
        }
        Outcome::Aborted(abort) => {
            let numbers = abort.numbers();
            format!("aborted, kind {} detail {}", numbers.kind, numbers.detail)
        }
    }
}

// Every block's hash and roots and every receipt's canonical bytes, for a
// fixed sequence at fixed times: any change to the bytes shows in review.
#[test]
fn golden_block_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, made) = run(dir.path());
    let receipts: Vec<&Receipt> = made.iter().flat_map(|(_, r)| r).collect();
    // The sequence covers what it claims to.
    let aborts: Vec<&Abort> = receipts
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Aborted(abort) => Some(abort),
            Outcome::Success { .. } => None,
        })
        .collect();
    assert!(aborts.iter().any(|a| matches!(a, Abort::ContractAbort { code: AbortCode::ContractError, .. })));
    assert!(aborts.iter().any(|a| matches!(a, Abort::ContractAbort { code: AbortCode::MissingRole, .. })));
    assert_eq!(aborts.iter().filter(|a| matches!(a, Abort::OutOfGas)).count(), 2, "{aborts:?}");
    assert!(receipts.iter().any(|r| !r.events().is_empty()));
    assert!(
        receipts.iter().any(|r| matches!(&r.outcome, Outcome::Success { result, .. } if !result.is_empty()))
    );
    assert!(
        chain.reader().contract(&contract_address(&account(2), 0)).unwrap().is_none(),
        "a deployment out of gas left a contract"
    );

    let mut out = String::new();
    for (block, receipts) in &made {
        writeln!(out, "block {} at {}", block.height, block.time).unwrap();
        writeln!(out, "  hash          {}", block.hash).unwrap();
        writeln!(out, "  tx root       {}", block.tx_root).unwrap();
        writeln!(out, "  receipts root {}", block.receipts_root).unwrap();
        writeln!(out, "  state root    {}", block.state_root).unwrap();
        for receipt in receipts {
            writeln!(
                out,
                "  receipt {} {}: {}, gas {}",
                receipt.index,
                receipt.method,
                summary(receipt),
                receipt.gas_used
            )
            .unwrap();
            // 48 bytes a line keeps the snapshot readable in a diff.
            for line in receipt.encode().chunks(48) {
                writeln!(out, "    {}", hex(line)).unwrap();
            }
        }
    }
    insta::assert_snapshot!(out);
}

/// Other words for the same aborts: what a reworded or translated
/// explanation would be.
struct OtherWords;

impl Explain for OtherWords {
    fn abort_name(&self, abort: &Abort, abi: &ContractAbi) -> String {
        format!("renamed-{}", VmWords.abort_name(abort, abi).to_lowercase())
    }

    fn abort_message(&self, abort: &Abort, _abi: &ContractAbi) -> String {
        let numbers = abort.numbers();
        format!("in other words: the call stopped (kind {}, detail {})", numbers.kind, numbers.detail)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every word a rendering shows: error names and messages, event names.
fn words_of(rendered: &Json) -> Vec<String> {
    let mut words = Vec::new();
    for key in ["name", "message"] {
        words.extend(rendered["error"][key].as_str().map(str::to_string));
    }
    for event in rendered["events"].as_array().unwrap() {
        words.push(event["name"].as_str().unwrap().to_string());
    }
    words
}

// The words are the edge's: two wordings of the same chain render
// differently, yet the receipts' bytes and every root stay the same; no
// word of either appears in the bytes; and each block's receipts root is
// exactly the Merkle root of its receipts' canonical bytes. If prose
// entered a receipt or the hash, one of these would fail.
#[test]
fn changing_the_words_changes_no_root() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, made) = run(dir.path());
    let before: Vec<(Block, Vec<Vec<u8>>)> =
        made.iter().map(|(b, r)| (b.clone(), r.iter().map(Receipt::encode).collect())).collect();
    let mut differently_worded = 0;
    for (block, receipts) in &made {
        let stored = stored_receipts(&chain, block.height);
        assert_eq!(&stored, receipts, "the store gives back the receipts the block made");
        for receipt in &stored {
            let bytes = receipt.encode();
            let abi = abi_for(chain.reader(), receipt);
            let abi_of = |contract: &[u8; 20]| chain.reader().abi_of(contract);
            let ours = receipt_json(receipt, abi.as_deref(), &abi_of, &VmWords);
            let theirs = receipt_json(receipt, abi.as_deref(), &abi_of, &OtherWords);
            if receipt.status() == Status::Aborted {
                assert_ne!(ours["error"], theirs["error"]);
                differently_worded += 1;
            }
            for word in words_of(&ours).iter().chain(&words_of(&theirs)) {
                assert!(
                    !contains(&bytes, word.as_bytes()),
                    "`{word}` is in the bytes of receipt {}",
                    receipt.index
                );
            }
            assert_eq!(Receipt::decode(&bytes).unwrap(), *receipt);
        }
        // The root, recomputed here from the canonical bytes alone.
        let leaves: Vec<_> = stored.iter().map(|r| leaf_hash(&sha256(&r.encode()))).collect();
        assert_eq!(hex(&merkle_root(&leaves)), block.receipts_root, "block {}", block.height);
        let header = Header {
            height: block.height,
            parent: parse_hex(&block.parent).unwrap(),
            time: block.time,
            tx_root: parse_hex(&block.tx_root).unwrap(),
            receipts_root: merkle_root(&leaves),
            state_root: parse_hex(&block.state_root).unwrap(),
            gas_used: stored.iter().map(|r| r.gas_used).sum(),
        };
        assert_eq!(hex(&header.hash()), block.hash);
    }
    assert_eq!(differently_worded, 5);
    // After all that rendering the chain holds the same bytes and roots,
    // and a second chain that never rendered anything agrees.
    let after: Vec<(Block, Vec<Vec<u8>>)> = (1..=chain.head().height)
        .map(|h| {
            (
                chain.reader().block(h).unwrap().unwrap(),
                stored_receipts(&chain, h).iter().map(Receipt::encode).collect(),
            )
        })
        .collect();
    assert_eq!(before, after);
    let twin_dir = tempfile::tempdir().unwrap();
    let (twin, _) = run(twin_dir.path());
    assert_eq!(twin.head(), chain.head());
}

// The API's JSON keeps the shape clients rely on, in the node's words:
// status, gas, result and decoded value, error name, sentence and data,
// events with their names and fields.
#[test]
fn the_api_renders_names_and_fields_from_the_abi() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, made) = run(dir.path());
    let abi_of = |contract: &[u8; 20]| chain.reader().abi_of(contract);
    let render = |receipt: &Receipt| {
        receipt_json(receipt, abi_for(chain.reader(), receipt).as_deref(), &abi_of, &VmWords)
    };
    let [deployed, starved] = &made[0].1[..] else { panic!("two receipts in block 1") };
    assert_eq!(render(deployed)["status"], "success");
    let starved = render(starved);
    assert_eq!(starved["error"]["name"], "OutOfGas", "{starved}");
    assert_eq!(starved["gas_used"], GAS_TOO_LITTLE);
    let [_, not_admin, sent, _] = &made[1].1[..] else { panic!("four receipts in block 2") };
    let not_admin = render(not_admin);
    assert_eq!(not_admin["error"]["name"], "MissingRole");
    assert_eq!(not_admin["error"]["message"], "MissingRole (needs Admin)");
    assert_eq!(
        (not_admin["error"]["kind"].clone(), not_admin["error"]["detail"].clone()),
        (json!(4), json!(1))
    );
    let sent = render(sent);
    assert_eq!(sent["result"], "");
    let event = &sent["events"][0];
    assert_eq!(event["name"], "Sent", "{sent}");
    assert_eq!(event["index"], 0);
    assert_eq!(event["contract"], hex(&contract_address(&account(1), 0)));
    assert_eq!(event["fields"]["amount"], "300");
    let [insufficient, balance, _] = &made[2].1[..] else { panic!("three receipts in block 3") };
    let insufficient = render(insufficient);
    assert_eq!(insufficient["status"], "aborted");
    assert_eq!(insufficient["error"]["name"], "Insufficient");
    assert_eq!(insufficient["error"]["message"], "Insufficient(300, 500)", "{insufficient}");
    assert!(insufficient["error"]["data"].as_str().unwrap().starts_with("00000000"));
    assert_eq!(insufficient["result"], Json::Null);
    assert_eq!(render(balance)["value"], "300");
    // Through the escrow: the token's event is read with the token's ABI,
    // and the token's refusal is named in the token's terms.
    let [.., released, refused] = &made[3].1[..] else { panic!("five receipts in block 4") };
    let released = render(released);
    let names: Vec<&Json> = released["events"].as_array().unwrap().iter().map(|e| &e["name"]).collect();
    assert_eq!(names, [&json!("Sent"), &json!("Released")], "{released}");
    assert_eq!(released["events"][0]["contract"], hex(&contract_address(&account(1), 0)));
    assert_eq!(released["events"][0]["fields"]["amount"], "5");
    let refused = render(refused);
    assert_eq!(refused["error"]["name"], "Insufficient", "{refused}");
    assert_eq!(refused["error"]["message"], "Insufficient(5, 20)");
    assert_eq!(refused["error"]["contract"], hex(&contract_address(&account(1), 0)));
    assert_eq!((refused["error"]["kind"].clone(), refused["error"]["detail"].clone()), (json!(9), json!(4)));
}
