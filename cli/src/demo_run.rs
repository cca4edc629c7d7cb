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
use writ_compiler::codegen::Artifact;
use writ_ledger::crypto::{Address, address_of, hex};
use writ_ledger::node::Node;
use writ_ledger::receipt::Outcome;
use writ_ledger::tx::{Payload, Transaction};
use writ_vm::explain::{describe_abort, show_event, show_tuple};

/// One step of a workflow. An `init` step deploys its contract; every
/// other step calls the contract of that name deployed before. A step with
/// no contract name goes to the contract deployed last (an `init` without
/// one deploys the example's first contract).
pub struct Step {
    pub contract: &'static str,
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

/// Stands for the address of contract `name` as this workflow deployed it
/// (a constructor argument naming a contract deployed before): replaced
/// before the step is encoded.
pub fn contract_at(name: &str) -> Value {
    Value::Address(placeholder(name))
}

fn placeholder(name: &str) -> Address {
    use sha2::Digest;
    let digest: [u8; 32] = sha2::Sha256::digest(format!("writ-demo-contract:{name}").as_bytes()).into();
    let mut address = [0u8; 20];
    address.copy_from_slice(digest.get(..20).unwrap_or(&[0u8; 20]));
    address
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
    artifacts: &[Artifact],
    steps: &[Step],
    done: &mut usize,
    total: usize,
) -> Result<bool, String> {
    let names: Vec<&str> =
        steps.iter().flat_map(|s| std::iter::once(s.caller).chain(s.cosigners.iter().copied())).collect();
    // Contracts deployed so far, by name, in the order deployed.
    let mut deployed: Vec<(&str, Address)> = Vec::new();
    let readable = |line: String, deployed: &[(&str, Address)]| {
        let mut line = line;
        for name in &names {
            line = line.replace(&format!("0x{}", hex(&account(name))), name);
        }
        for (name, address) in deployed {
            line = line.replace(&format!("0x{}", hex(address)), name);
        }
        line
    };
    let mut all_ok = true;
    let chain_id = node.reader().chain_id().to_string();
    for step in steps {
        *done += 1;
        let named = match (step.contract, step.entry, deployed.last()) {
            ("", "init", _) | ("", _, None) => artifacts.first().map(|a| a.contract.as_str()),
            ("", _, Some((last, _))) => Some(*last),
            (name, _, _) => Some(name),
        };
        let artifact = named
            .and_then(|name| artifacts.iter().find(|a| a.contract == name))
            .ok_or_else(|| format!("the example has no contract `{}`", step.contract))?;
        let (wasm, abi) = (&artifact.wasm, &artifact.abi);
        let contract = deployed.iter().find(|(name, _)| *name == artifact.contract).map(|(_, a)| *a);
        // The addresses of contracts deployed before, where the step names one.
        let args: Vec<Value> = step
            .args
            .iter()
            .map(|arg| match arg {
                Value::Address(a) => {
                    let named = deployed.iter().find(|(name, _)| placeholder(name) == *a);
                    Value::Address(named.map_or(*a, |(_, address)| *address))
                }
                other => other.clone(),
            })
            .collect();

        let shown_args = {
            let entry = abi.entry(step.entry);
            let types: Vec<AbiType> =
                entry.map(|e| e.params.iter().map(|p| p.ty.clone()).collect()).unwrap_or_default();
            let bytes = encode(abi, step.entry, &args)?;
            show_tuple(&types, &bytes, &abi.types)
        };
        say(&format!("  [{done:>2}/{total}] {} ({})", step.what, step.caller));
        say(&readable(format!("          {}.{}({shown_args})", artifact.contract, step.entry), &deployed));
        let is_view = abi.entry(step.entry).is_some_and(|e| e.kind == EntryKind::View);
        if is_view {
            let target = contract.ok_or("a view before the deployment")?;
            let args = encode(abi, step.entry, &args)?;
            let report = node
                .reader()
                .view(&target, step.entry, &args, account(step.caller))
                .map_err(|e| e.to_string())?;
            match report.outcome {
                writ_vm::Outcome::Success(success) => {
                    let returns = abi.entry(step.entry).map_or(AbiType::Unit, |e| e.returns.clone());
                    let shown = show_tuple(std::slice::from_ref(&returns), &success.result, &abi.types);
                    say(&readable(
                        format!("          query -> {shown}   gas {}", report.gas_used),
                        &deployed,
                    ));
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
        let args = encode(abi, step.entry, &args)?;
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
                    deployed.push((&artifact.contract, receipt.contract));
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
                    say(&readable(
                        format!("          block {}: ok{shown}   gas {}", block, receipt.gas_used),
                        &deployed,
                    ));
                }
                for event in events {
                    let emitter = abi_of(artifacts, &deployed, &event.contract).unwrap_or(abi);
                    let shown = show_event(emitter, event.index, &event.data);
                    let from = if event.contract == receipt.contract {
                        String::new()
                    } else {
                        format!(" from 0x{}", hex(&event.contract))
                    };
                    say(&readable(format!("          event {shown}{from}"), &deployed));
                }
            }
            Outcome::Aborted(abort) => {
                all_ok &= expected_abort;
                // A called contract's abort is told in its own terms.
                let reason = match writ_vm::explain::aborted_in(abort) {
                    Some(callee) => {
                        let callee_abi = abi_of(artifacts, &deployed, callee).unwrap_or(abi);
                        format!("{}, in 0x{}", describe_abort(abort, callee_abi), hex(callee))
                    }
                    None => describe_abort(abort, abi),
                };
                let note = if expected_abort { "" } else { "  (unexpected)" };
                say(&readable(
                    format!("          block {}: aborted: {reason}   gas {}{note}", block, receipt.gas_used),
                    &deployed,
                ));
            }
        }
    }
    Ok(all_ok)
}

/// The ABI of the contract this workflow deployed at `address`.
fn abi_of<'a>(
    artifacts: &'a [Artifact],
    deployed: &[(&str, Address)],
    address: &Address,
) -> Option<&'a ContractAbi> {
    let (name, _) = deployed.iter().find(|(_, a)| a == address)?;
    artifacts.iter().find(|artifact| artifact.contract == *name).map(|artifact| &artifact.abi)
}
