//! The scripted workflows `writ demo` runs: each example contract compiled
//! by the back end and called step by step on the VM in this process, with
//! every step's outcome, gas and events printed.
//!
//! Invariant: the demo only renders; compiling is the compiler's, running
//! is the VM's, and values are encoded and decoded by `writ_abi`.

use std::fmt::Write as _;
use std::sync::Arc;

use writ_abi::document::ContractAbi;
use writ_abi::{AbiType, Date, Decimal, TypeDefs, Value};
use writ_vm::{Call, CallContext, MemoryState, Outcome, Vm};

/// One call of a workflow.
pub struct Step {
    pub caller: &'static str,
    pub cosigners: &'static [&'static str],
    pub entry: &'static str,
    pub args: Vec<Value>,
    pub what: &'static str,
}

const GAS_LIMIT: u64 = 10_000_000;
/// The demo's block time: 2023-11-14 22:13:20 UTC.
const BLOCK_TIME: i64 = 1_700_000_000;

/// A deterministic address for a named participant.
pub fn account(name: &str) -> [u8; 20] {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("writ-demo-account:{name}").as_bytes());
    let mut address = [0u8; 20];
    address.copy_from_slice(digest.get(..20).unwrap_or(&[0u8; 20]));
    address
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

/// Runs `steps` against `wasm`; returns false if a step that should
/// succeed did not. Writes the report into `out`.
pub fn run(wasm: &[u8], abi: &ContractAbi, steps: &[Step], out: &mut String) -> Result<bool, String> {
    let vm = Vm::new(writ_vm::VmOptions::in_memory()).map_err(|e| e.to_string())?;
    let contract = vm.prepare(wasm).map_err(|e| e.to_string())?;
    let mut state = MemoryState::new();
    let mut all_ok = true;
    for (i, step) in steps.iter().enumerate() {
        let Some(entry) = abi.entry(step.entry) else {
            return Err(format!("the contract has no entry point `{}`", step.entry));
        };
        let types: Vec<AbiType> = entry.params.iter().map(|p| p.ty.clone()).collect();
        let args = writ_abi::encode_value(
            &AbiType::Tuple(types),
            &Value::Tuple(step.args.clone()),
            &TypeDefs::default(),
        )
        .map_err(|e| format!("{}: {e}", step.entry))?;
        let mut signers = vec![account(step.caller)];
        signers.extend(step.cosigners.iter().map(|c| account(c)));
        let context = CallContext {
            contract: account("contract"),
            caller: account(step.caller),
            signers,
            block_time: BLOCK_TIME,
            block_height: i as u64 + 1,
            gas_limit: GAS_LIMIT,
        };
        let call = Call { entry: step.entry, args: &args, context, state: Arc::new(state.clone()) };
        let report = vm.call(&contract, call).map_err(|e| e.to_string())?;
        let shown_args: Vec<String> = step.args.iter().map(show).collect();
        let _ = writeln!(out, "      {:>2}. {} ({})", i + 1, step.what, step.caller);
        let _ = writeln!(out, "          {}({})", step.entry, shown_args.join(", "));
        match &report.outcome {
            Outcome::Success(success) => {
                let result = writ_abi::decode_value(&entry.returns, &success.result, &TypeDefs::default())
                    .map_or_else(|_| "…".to_string(), |v| show(&v));
                let result =
                    if entry.returns == AbiType::Unit { String::new() } else { format!(" -> {result}") };
                let _ = writeln!(out, "          ok{result}   gas {}", report.gas_used);
                for event in &success.events {
                    let Some(record) = abi.events.get(event.index as usize) else { continue };
                    let types = AbiType::Tuple(record.fields.iter().map(|f| f.ty.clone()).collect());
                    let fields = match writ_abi::decode_value(&types, &event.data, &TypeDefs::default()) {
                        Ok(Value::Tuple(values)) => values.iter().map(show).collect::<Vec<_>>().join(", "),
                        _ => "…".to_string(),
                    };
                    let _ = writeln!(out, "          event {}({fields})", record.name);
                }
                state.apply(&success.writes);
            }
            Outcome::Aborted(abort) => {
                let reason = match abort {
                    writ_vm::Abort::ContractAbort {
                        code: writ_abi::host::AbortCode::ContractError,
                        data,
                    } => {
                        let index = data.get(..4).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                        abi.errors
                            .get(index as usize)
                            .map_or("an error".to_string(), |e| format!("error {}", e.name))
                    }
                    writ_vm::Abort::ContractAbort { code, data } => {
                        let message = String::from_utf8_lossy(data);
                        if message.is_empty() {
                            code.name().to_string()
                        } else {
                            format!("{}: {message}", code.name())
                        }
                    }
                    other => other.to_string(),
                };
                let expected = step.what.starts_with("refused");
                all_ok &= expected;
                let _ = writeln!(
                    out,
                    "          aborted: {reason}   gas {}{}",
                    report.gas_used,
                    if expected { "" } else { "  (unexpected)" }
                );
            }
        }
    }
    let _ = writeln!(out, "      state: {} entries, digest {}", state.entries.len(), digest(&state));
    Ok(all_ok)
}

/// SHA-256 over the sorted entries: the same on every run.
fn digest(state: &MemoryState) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for (key, value) in &state.entries {
        hasher.update((key.len() as u32).to_be_bytes());
        hasher.update(key);
        hasher.update((value.len() as u32).to_be_bytes());
        hasher.update(value);
    }
    hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// A value as the demo prints it.
fn show(value: &Value) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::U8(n) => n.to_string(),
        Value::U32(n) => n.to_string(),
        Value::U64(n) | Value::Timestamp(n) => n.to_string(),
        Value::U128(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::I128(n) => n.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Bytes(b) => format!("0x{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        Value::Hash(h) => format!("0x{}…", h.iter().take(4).map(|x| format!("{x:02x}")).collect::<String>()),
        Value::Address(a) => {
            format!("0x{}…", a.iter().take(3).map(|x| format!("{x:02x}")).collect::<String>())
        }
        Value::Date(d) => d.to_string(),
        Value::Unit => "()".to_string(),
        Value::Option(None) => "None".to_string(),
        Value::Option(Some(v)) => format!("Some({})", show(v)),
        Value::List(items) | Value::Tuple(items) | Value::Struct(items) => {
            format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        Value::Map(entries) => {
            format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", show(k), show(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        Value::Enum { variant, fields } => {
            format!("#{variant}({})", fields.iter().map(show).collect::<Vec<_>>().join(", "))
        }
    }
}
