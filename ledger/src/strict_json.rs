//! JSON read strictly: an object that names a key twice is refused.
//!
//! serde_json keeps the last of two equal keys without a word, so
//! `{"to": A, "to": B}` would send to B while a reader of the request (or
//! a log of it) sees A first. The check has to happen while parsing: once
//! the text is a `serde_json::Value`, the duplicate is gone.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value as Json};

/// Why text is not strict JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrictJsonError {
    /// Not JSON at all (syntax, end of input, nesting too deep).
    #[error("{0}")]
    Syntax(String),
    /// JSON, but an object names a key twice.
    #[error("{0}")]
    DuplicateKey(String),
}

/// Parses `bytes` as JSON, refusing any object with a repeated key (at
/// any depth).
pub fn parse(bytes: &[u8]) -> Result<Json, StrictJsonError> {
    match serde_json::from_slice::<Strict>(bytes) {
        Ok(Strict(value)) => Ok(value),
        // The visitor's only own error is the duplicate key; serde_json
        // classifies it as a data error, everything else is syntax.
        Err(error) if error.is_data() => Err(StrictJsonError::DuplicateKey(error.to_string())),
        Err(error) => Err(StrictJsonError::Syntax(error.to_string())),
    }
}

/// [`parse`] for text.
pub fn parse_str(text: &str) -> Result<Json, StrictJsonError> {
    parse(text.as_bytes())
}

/// A JSON value built by a visitor that sees every key as it is read.
struct Strict(Json);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Strict, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Json;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Json, E> {
        Ok(Json::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Json, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Json, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Json, E> {
        // JSON text cannot spell NaN or infinity, so this is always a number.
        Ok(Number::from_f64(value).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Json, E> {
        Ok(Json::String(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<Json, E> {
        Ok(Json::String(value))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Json, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!("the key `{key}` appears twice in one object")));
            }
            let Strict(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Json::Object(map))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    // Strict parsing gives what serde_json gives, except that a repeated
    // key at any depth is refused as such, and bad syntax stays syntax.
    #[test]
    fn duplicates_are_refused_at_any_depth() {
        for text in [r#"[1, -2, 3.5, "x", null, true, {"a": {"b": []}}]"#, r#"{"a": 1, "b": {"a": 2}}"#, "7"]
        {
            assert_eq!(parse_str(text).unwrap(), serde_json::from_str::<Json>(text).unwrap(), "{text}");
        }
        assert_eq!(parse_str(r#"{"u": 18446744073709551615}"#).unwrap(), json!({"u": u64::MAX}));
        for text in [r#"{"a": 1, "a": 2}"#, r#"[{"x": {"k": 1, "k": 1}}]"#, r#"{"a": 1, "b": 2, "a": 1}"#] {
            assert!(
                matches!(parse_str(text), Err(StrictJsonError::DuplicateKey(m)) if m.contains("twice")),
                "{text}"
            );
        }
        for text in ["", "[1,", "{\"a\"}", "nul", "[1] x"] {
            assert!(matches!(parse_str(text), Err(StrictJsonError::Syntax(_))), "{text}");
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(parse_str(&deep), Err(StrictJsonError::Syntax(_))));
    }
}
