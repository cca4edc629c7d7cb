//! Receipts in words, for the API and its clients: a canonical receipt
//! read with its contract's ABI, as the JSON `GET /v1/transactions/{id}`
//! serves (error name and sentence, event names and fields, the decoded
//! result).
//!
//! Invariant: nothing here feeds back into a receipt, a root or the store.
//! The words come from an [`Explain`] chosen by the caller, so they can
//! change freely; `tests/receipts.rs` renders one chain with two wordings
//! and checks that its bytes and roots do not move.

use std::sync::Arc;

use serde_json::{Value as Json, json};
use writ_abi::document::{ContractAbi, read_from_module};
use writ_abi::{AbiType, Value};
use writ_vm::Abort;

use crate::chain::Reader;
use crate::crypto::{Address, hex};
use crate::receipt::{Event, Outcome, Receipt, Status};
use crate::tx::Payload;

/// Words for an abort, given the ABI of the contract that aborted.
pub trait Explain {
    /// A name programs can match: the contract error's (`Insufficient`)
    /// or the built-in abort's (`MissingRole`, `OutOfGas`).
    fn abort_name(&self, abort: &Abort, abi: &ContractAbi) -> String;
    /// A sentence for people: the error with its fields, or why it aborted.
    fn abort_message(&self, abort: &Abort, abi: &ContractAbi) -> String;
}

/// The node's words: the ones `writ test` uses for the same aborts
/// (`writ_vm::explain`).
#[derive(Debug, Clone, Copy, Default)]
pub struct VmWords;

impl Explain for VmWords {
    fn abort_name(&self, abort: &Abort, abi: &ContractAbi) -> String {
        writ_vm::explain::abort_name(abort, abi)
    }

    fn abort_message(&self, abort: &Abort, abi: &ContractAbi) -> String {
        writ_vm::explain::describe_abort(abort, abi)
    }
}

/// The ABI to read `receipt` with: its contract's, or, for a deployment
/// whose `init` aborted (so no contract exists at that address), the one
/// embedded in the code the transaction carried.
pub fn abi_for(chain: &Reader, receipt: &Receipt) -> Option<Arc<ContractAbi>> {
    if let Some(abi) = chain.abi_of(&receipt.contract) {
        return Some(abi);
    }
    let signed = chain.transaction(&receipt.transaction).ok()??;
    match signed.tx.payload {
        Payload::Deploy { code, .. } => read_from_module(&code).ok().map(Arc::new),
        Payload::Call { .. } => None,
    }
}

/// The receipt as the API serves it: the canonical fields in hex and
/// numbers, plus what the ABI and `words` make of them (`value`, the
/// error's `name` and `message`, each event's `name` and `fields`). With
/// no ABI, names fall back to numbers (`#2`, `ContractError`). Events and
/// aborts of other contracts the call reached are read with their own
/// ABIs, from `abi_of`.
pub fn receipt_json(
    receipt: &Receipt,
    abi: Option<&ContractAbi>,
    abi_of: &dyn Fn(&Address) -> Option<Arc<ContractAbi>>,
    words: &dyn Explain,
) -> Json {
    let fallback;
    let abi = match abi {
        Some(abi) => abi,
        None => {
            fallback = ContractAbi::empty();
            &fallback
        }
    };
    let (result, error) = match &receipt.outcome {
        Outcome::Success { result, .. } => (json!(hex(result)), Json::Null),
        Outcome::Aborted(abort) => {
            let numbers = abort.numbers();
            // A called contract's abort is named in that contract's terms.
            let aborted_in = writ_vm::explain::aborted_in(abort);
            let callee_abi = aborted_in.and_then(abi_of);
            let explaining = callee_abi.as_deref().unwrap_or(abi);
            let mut error = json!({
                "name": words.abort_name(abort, explaining),
                "message": words.abort_message(abort, explaining),
                "data": hex(&abort.data()),
                "kind": numbers.kind,
                "detail": numbers.detail,
            });
            if let (Some(callee), Some(fields)) = (aborted_in, error.as_object_mut()) {
                fields.insert("contract".into(), json!(hex(callee)));
            }
            (Json::Null, error)
        }
    };
    let status = match receipt.status() {
        Status::Success => "success",
        Status::Aborted => "aborted",
    };
    let mut object = json!({
        "transaction": hex(&receipt.transaction),
        "height": receipt.height,
        "index": receipt.index,
        "sender": hex(&receipt.sender),
        "contract": hex(&receipt.contract),
        "method": receipt.method,
        "status": status,
        "gas_used": receipt.gas_used,
        "result": result,
        "error": error,
        "events": receipt
            .events()
            .iter()
            .map(|e| {
                if e.contract == receipt.contract {
                    event_json(abi, e)
                } else {
                    let emitter = abi_of(&e.contract);
                    event_json(emitter.as_deref().unwrap_or(&ContractAbi::empty()), e)
                }
            })
            .collect::<Vec<_>>(),
    });
    if let (Outcome::Success { result, .. }, Some(entry), Some(fields)) =
        (&receipt.outcome, abi.entry(&receipt.method), object.as_object_mut())
    {
        let value = writ_abi::decode_value(&entry.returns, result, &abi.types)
            .ok()
            .and_then(|v| writ_abi::json::to_json(&v, &entry.returns, &abi.types).ok())
            .unwrap_or(Json::Null);
        fields.insert("value".into(), value);
    }
    object
}

/// An event as JSON: where it came from, its name and its fields by name
/// (decoded by the ABI; empty when the ABI does not know it), and its raw
/// data in hex.
pub fn event_json(abi: &ContractAbi, event: &Event) -> Json {
    let data = hex(&event.data);
    let Some(record) = abi.events.get(event.index as usize) else {
        let name = format!("#{}", event.index);
        return json!({ "contract": hex(&event.contract), "index": event.index, "name": name, "fields": {}, "data": data });
    };
    let types: Vec<AbiType> = record.fields.iter().map(|f| f.ty.clone()).collect();
    let mut fields = serde_json::Map::new();
    if let Ok(Value::Tuple(values)) =
        writ_abi::decode_value(&AbiType::Tuple(types.clone()), &event.data, &abi.types)
    {
        for ((field, ty), value) in record.fields.iter().zip(&types).zip(&values) {
            let shown = writ_abi::json::to_json(value, ty, &abi.types).unwrap_or(Json::Null);
            fields.insert(field.name.clone(), shown);
        }
    }
    json!({
        "contract": hex(&event.contract),
        "index": event.index,
        "name": record.name,
        "fields": fields,
        "data": data,
    })
}
