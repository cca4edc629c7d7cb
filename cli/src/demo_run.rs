//! The scripted workflows `writ demo` runs on an embedded ledger node:
//! each example contract is deployed by a signed transaction, then every
//! step is a signed call (with co-signatures where the workflow needs
//! them) put in a block, or a view query; each step's receipt, gas and
//! events are printed as it happens.
//!
//! Invariant: the demo only renders; compiling is the compiler's, running
//! is the node's, and values are encoded and decoded by `writ_abi`. The
//! node runs a logical clock, so every run gives the same blocks and the
//! same state root.

use ed25519_dalek::SigningKey;
use writ_abi::document::{ContractAbi, EntryKind};
use writ_abi::{AbiType, Date, Decimal, TypeDefs, Value};
use writ_ledger::crypto::{Address, address_of, hex};
use writ_ledger::node::Node;
use writ_ledger::receipt::Outcome;
use writ_ledger::tx::{Payload, Transaction};
use writ_vm::explain::{describe_abort, show_event, show_tuple};

/// One step of a workflow; the first step of each is the deployment.
pub struct Step {
    pub caller: &'static str,
    pub cosigners: &'static [&'static str],
    pub entry: &'static str,
    pub args: Vec<Value>,
    pub what: &'static str,
}

const GAS_LIMIT: u64 = 10_000_000;

/// The demo key of a named participant: its seed is SHA-256 of
/// `writ-demo-key:` and the name, so every run signs with the same keys.
pub fn key(name: &str) -> SigningKey {
    use sha2::Digest;
    let seed: [u8; 32] = sha2::Sha256::digest(format!("writ-demo-key:{name}").as_bytes()).into();
    SigningKey::from_bytes(&seed)
}

pub fn account(name: &str) -> Address {
    address_of(&key(name).verifying_key().to_bytes())
}

pub fn who(name: &'static str) -> Value {
    Value::Address(account(name))
}

pub fn text(s: &str) -> Value {
    Value::String(s.to_string())
}

pub fn money(s: &str) -> Value {
    Value::Decimal(s.parse().unwrap_or(Decimal::ZERO))
}

pub fn day(y: i32, m: u32, d: u32) -> Value {
    // Demo dates are real days; a mistyped one would fail to encode, loudly.
    Date::from_ymd(y, m, d).map_or(Value::Unit, Value::Date)
}

/// Prints a line at once, so the steps show as they run.
pub fn say(line: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

fn encode(abi: &ContractAbi, entry: &str, args: &[Value]) -> Result<Vec<u8>, String> {
    let params = abi.entry(entry).ok_or_else(|| format!("the contract has no entry point `{entry}`"))?;
    let types: Vec<AbiType> = params.params.iter().map(|p| p.ty.clone()).collect();
    writ_abi::encode_value(&AbiType::Tuple(types), &Value::Tuple(args.to_vec()), &abi.types)
        .map_err(|e| format!("{entry}: {e}"))
}

/// Runs `steps` on `node`; returns whether every step went as scripted
/// (steps whose description starts with "refused" must abort).
/// How a submitted transaction gets into a block: the node makes one
/// alone, or (in a network) the validators decide one; the height of the
/// block that holds it.
pub type IntoBlock<'a> = &'a dyn Fn(&Node, &[u8; 32]) -> Result<u64, String>;

pub fn run(
    node: &Node,
    into_block: IntoBlock<'_>,
    wasm: &[u8],
    abi: &ContractAbi,
    steps: &[Step],
    done: &mut usize,
    total: usize,
) -> Result<bool, String> {
    let names: Vec<&str> =
        steps.iter().flat_map(|s| std::iter::once(s.caller).chain(s.cosigners.iter().copied())).collect();
    let readable = |line: String| {
        let mut line = line;
        for name in &names {
            line = line.replace(&format!("0x{}", hex(&account(name))), name);
        }
        line
    };
    let mut contract: Option<Address> = None;
    let mut all_ok = true;
    let chain_id = node.reader().chain_id().to_string();
    for step in steps {
        *done += 1;
        let shown_args = {
            let entry = abi.entry(step.entry);
            let types: Vec<AbiType> =
                entry.map(|e| e.params.iter().map(|p| p.ty.clone()).collect()).unwrap_or_default();
            let bytes = encode(abi, step.entry, &step.args)?;
            show_tuple(&types, &bytes, &abi.types)
        };
        say(&format!("  [{done:>2}/{total}] {} ({})", step.what, step.caller));
        say(&readable(format!("          {}({shown_args})", step.entry)));
        let is_view = abi.entry(step.entry).is_some_and(|e| e.kind == EntryKind::View);
        if is_view {
            let target = contract.ok_or("a view before the deployment")?;
            let args = encode(abi, step.entry, &step.args)?;
            let report = node
                .reader()
                .view(&target, step.entry, &args, account(step.caller))
                .map_err(|e| e.to_string())?;
            match report.outcome {
                writ_vm::Outcome::Success(success) => {
                    let returns = abi.entry(step.entry).map_or(AbiType::Unit, |e| e.returns.clone());
                    let shown = show_tuple(std::slice::from_ref(&returns), &success.result, &abi.types);
                    say(&readable(format!("          query -> {shown}   gas {}", report.gas_used)));
                }
                writ_vm::Outcome::Aborted(abort) => {
                    all_ok = false;
                    say(&format!("          query aborted: {}", describe_abort(&abort, abi)));
                }
            }
            continue;
        }
        let signer = key(step.caller);
        let cosigners: Vec<SigningKey> = step.cosigners.iter().map(|c| key(c)).collect();
        let args = encode(abi, step.entry, &step.args)?;
        let payload = match (step.entry, contract) {
            ("init", _) => Payload::Deploy { code: wasm.to_vec(), args },
            (method, Some(target)) => Payload::Call { contract: target, method: method.to_string(), args },
            (_, None) => return Err("the first step of a workflow deploys the contract".into()),
        };
        let tx = Transaction {
            chain_id: chain_id.clone(),
            signer: signer.verifying_key().to_bytes(),
            nonce: node.next_nonce(&account(step.caller)).map_err(|e| e.to_string())?,
            gas_limit: GAS_LIMIT,
            cosigners: cosigners.iter().map(|k| k.verifying_key().to_bytes()).collect(),
            payload,
        };
        let signed = tx.sign(&signer, &cosigners.iter().collect::<Vec<_>>());
        let bytes = signed.encode();
        let id = node.submit(&bytes).map_err(|e| format!("the node refused `{}`: {e}", step.entry))?;
        node.relay(bytes);
        let block = into_block(node, &id)?;
        let receipt =
            node.reader().receipt(&id).map_err(|e| e.to_string())?.ok_or("the transaction has no receipt")?;
        let expected_abort = step.what.starts_with("refused");
        // The receipt holds numbers and bytes; the words are rendered here,
        // with the workflow's ABI.
        match &receipt.outcome {
            Outcome::Success { result, events } => {
                all_ok &= !expected_abort;
                if step.entry == "init" {
                    contract = Some(receipt.contract);
                    say(&format!(
                        "          block {}: deployed at {}   gas {}",
                        block,
                        hex(&receipt.contract),
                        receipt.gas_used
                    ));
                } else {
                    let returns = abi.entry(step.entry).map_or(AbiType::Unit, |e| e.returns.clone());
                    let shown = if returns == AbiType::Unit {
                        String::new()
                    } else {
                        format!(
                            " -> {}",
                            show_tuple(std::slice::from_ref(&returns), result, &TypeDefs::default())
                        )
                    };
                    say(&readable(format!(
                        "          block {}: ok{shown}   gas {}",
                        block, receipt.gas_used
                    )));
                }
                for event in events {
                    say(&readable(format!("          event {}", show_event(abi, event.index, &event.data))));
                }
            }
            Outcome::Aborted(abort) => {
                all_ok &= expected_abort;
                let reason = describe_abort(abort, abi);
                let note = if expected_abort { "" } else { "  (unexpected)" };
                say(&readable(format!(
                    "          block {}: aborted: {reason}   gas {}{note}",
                    block, receipt.gas_used
                )));
            }
        }
    }
    Ok(all_ok)
}
