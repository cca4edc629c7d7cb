//! Entry-point arguments written as JSON (an array in parameter order, or
//! an object by parameter name), checked against the ABI and encoded.
//! Used by the HTTP API and the CLI client alike.

use serde_json::Value as Json;
use writ_abi::document::Field;
use writ_abi::{AbiType, TypeDefs, Value};

/// The canonical encoding of the arguments, or a message saying which
/// argument is wrong and why.
pub fn encode_args(params: &[Field], args: &Json, defs: &TypeDefs) -> Result<Vec<u8>, String> {
    let signature = || params.iter().map(|p| format!("{}: {}", p.name, p.ty)).collect::<Vec<_>>().join(", ");
    let convert = |json: &Json, field: &Field| {
        writ_abi::json::from_json(json, &field.ty, defs)
            .map_err(|e| e.with_root(field.name.clone()).to_string())
    };
    let values: Vec<Value> = match args {
        Json::Null if params.is_empty() => Vec::new(),
        Json::Array(items) => {
            if items.len() != params.len() {
                return Err(format!(
                    "expected {} argument(s) ({}), found {}",
                    params.len(),
                    signature(),
                    items.len()
                ));
            }
            items.iter().zip(params).map(|(j, p)| convert(j, p)).collect::<Result<_, _>>()?
        }
        Json::Object(map) => {
            if let Some(unknown) = map.keys().find(|k| !params.iter().any(|p| &p.name == *k)) {
                return Err(format!(
                    "there is no parameter `{unknown}`; the parameters are ({})",
                    signature()
                ));
            }
            params
                .iter()
                .map(|p| match map.get(&p.name) {
                    Some(j) => convert(j, p),
                    None => {
                        Err(format!("missing argument `{}`; the parameters are ({})", p.name, signature()))
                    }
                })
                .collect::<Result<_, _>>()?
        }
        _ => return Err("write the arguments as a JSON array in parameter order or an object by name".into()),
    };
    let types: Vec<AbiType> = params.iter().map(|p| p.ty.clone()).collect();
    writ_abi::encode_value(&AbiType::Tuple(types), &Value::Tuple(values), defs).map_err(|e| e.to_string())
}
