//! The JSON form of values, for people and programs outside the chain: the
//! node's HTTP API and the CLI read arguments in it and write results and
//! events in it. The rules are in `docs/encoding.md` ("JSON form").
//!
//! Invariant: `from_json` builds only well-formed values (maps sorted by
//! key encoding, no repeated keys, nesting within the encoding's limit), so
//! whatever it accepts also encodes; `from_json(to_json(v)) == v` for every
//! well-formed `v`. Every refusal names where in the JSON it happened and
//! what was expected there, and hostile input gives an error, never a panic
//! or unbounded recursion.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value as Json};

use crate::date::Date;
use crate::decimal::{Decimal, ParseDecimalError};
use crate::encode::{check_key_type, encode_key};
use crate::limits::ENCODED_DEPTH_MAX;
use crate::value::{AbiType, Defined, TypeDefs, Value};

/// The key of the object that wraps `Some` of an `Option` whose inner
/// value may itself be `null` (`Option<Option<T>>`, `Option<()>`).
pub const SOME_KEY: &str = "some";

/// Longest piece of a refused string quoted back in an error message.
const QUOTE_CHARS_MAX: usize = 40;

/// Why a value has no JSON form or a JSON document is not a value of the
/// expected type: where (a path from the root, `$` unless renamed with
/// [`JsonError::with_root`]) and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", render_path(.root, .steps))]
pub struct JsonError {
    root: String,
    /// Steps from the failing place up to the root (innermost first): they
    /// are added while the error travels up.
    steps: Vec<Step>,
    message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Index(usize),
    Field(String),
}

impl JsonError {
    fn new(message: impl Into<String>) -> JsonError {
        JsonError { root: "$".into(), steps: Vec::new(), message: message.into() }
    }

    fn under(mut self, step: Step) -> JsonError {
        self.steps.push(step);
        self
    }

    /// Where the problem is, such as `$.items[3]` or `$[0][1]`.
    pub fn path(&self) -> String {
        render_path(&self.root, &self.steps)
    }

    /// What was expected there, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with the root named `root` instead of `$`, for a
    /// caller that converts one part of a larger document: an argument read
    /// with `.with_root("args[1]")` reports `args[1].amount`.
    pub fn with_root(mut self, root: impl Into<String>) -> JsonError {
        self.root = root.into();
        self
    }
}

fn render_path(root: &str, steps: &[Step]) -> String {
    let mut out = root.to_string();
    for step in steps.iter().rev() {
        match step {
            Step::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
            Step::Field(name) if is_identifier(name) => {
                let _ = write!(out, ".{name}");
            }
            Step::Field(name) => {
                let _ = write!(out, "[{}]", quote(name));
            }
        }
    }
    out
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Adds a step to the path of an error coming up from below.
trait Under<T> {
    fn under(self, step: impl FnOnce() -> Step) -> Result<T, JsonError>;
}

impl<T> Under<T> for Result<T, JsonError> {
    fn under(self, step: impl FnOnce() -> Step) -> Result<T, JsonError> {
        self.map_err(|e| e.under(step()))
    }
}

fn too_deep() -> JsonError {
    JsonError::new(format!("the value nests deeper than {ENCODED_DEPTH_MAX} levels"))
}

fn undefined(name: &str) -> JsonError {
    JsonError::new(format!("the type `{name}` is not defined"))
}

/// Whether the JSON form of some value of `ty` is `null`, so that an
/// `Option` of it needs the `{"some": …}` wrapper to tell `Some` from `None`.
fn may_be_null(ty: &AbiType) -> bool {
    matches!(ty, AbiType::Option(_) | AbiType::Unit)
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") }
}

/// A string as a JSON string literal, cut short when long.
fn quote(text: &str) -> String {
    let cut: String = text.chars().take(QUOTE_CHARS_MAX).collect();
    let shown = if cut.len() < text.len() { format!("{cut}…") } else { cut };
    serde_json::to_string(&shown).unwrap_or_default()
}

/// What was found, for messages: `the number 12.5`, `an object`.
fn found(json: &Json) -> String {
    match json {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) => format!("the string {}", quote(s)),
        Json::Array(items) => format!("an array of {}", plural(items.len(), "element")),
        Json::Object(map) if map.is_empty() => "an empty object".into(),
        Json::Object(map) => format!("an object with {}", plural(map.len(), "key")),
    }
}

/// A type named with its article, as in "expected a u64".
fn a(ty: &AbiType) -> String {
    match ty {
        AbiType::I64 | AbiType::I128 | AbiType::Address => format!("an {ty}"),
        AbiType::Bytes => "Bytes".into(),
        AbiType::Unit => "()".into(),
        _ => format!("a {ty}"),
    }
}

/// `its fields are a, b` / `it has none`, for messages listing choices.
fn listing<'n>(what: &str, items: impl Iterator<Item = &'n str>) -> String {
    let items: Vec<&str> = items.collect();
    if items.is_empty() { "it has none".into() } else { format!("its {what} are {}", items.join(", ")) }
}

fn type_list(types: &[AbiType]) -> String {
    types.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

// ------------------------------------------------------------ to JSON

/// The JSON form of `value`, a value of type `ty`. Fails only when the
/// value does not fit the type (or names a type `defs` lacks).
pub fn to_json(value: &Value, ty: &AbiType, defs: &TypeDefs) -> Result<Json, JsonError> {
    write(value, ty, defs, 0)
}

/// What a value is, for messages about values that do not fit their type.
fn value_kind(value: &Value) -> String {
    match value {
        Value::Bool(_) => "a bool".into(),
        Value::U8(_) => "a u8".into(),
        Value::U32(_) => "a u32".into(),
        Value::U64(_) => "a u64".into(),
        Value::U128(_) => "a u128".into(),
        Value::I64(_) => "an i64".into(),
        Value::I128(_) => "an i128".into(),
        Value::Decimal(_) => "a Decimal".into(),
        Value::String(_) => "a String".into(),
        Value::Bytes(_) => "Bytes".into(),
        Value::Hash(_) => "a Hash".into(),
        Value::Address(_) => "an Address".into(),
        Value::Timestamp(_) => "a Timestamp".into(),
        Value::Date(_) => "a Date".into(),
        Value::Unit => "()".into(),
        Value::Option(_) => "an option".into(),
        Value::List(_) => "a list".into(),
        Value::Map(_) => "a map".into(),
        Value::Tuple(items) => format!("a tuple of {}", plural(items.len(), "element")),
        Value::Struct(fields) => format!("a struct with {}", plural(fields.len(), "field")),
        Value::Enum { variant, .. } => format!("variant {variant} of an enum"),
    }
}

fn hex(bytes: &[u8]) -> Json {
    let mut out = String::with_capacity(2 + 2 * bytes.len());
    out.push_str("0x");
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    Json::String(out)
}

fn write(value: &Value, ty: &AbiType, defs: &TypeDefs, depth: usize) -> Result<Json, JsonError> {
    if depth > ENCODED_DEPTH_MAX {
        return Err(too_deep());
    }
    let mismatch = || JsonError::new(format!("expected a value of type `{ty}`, found {}", value_kind(value)));
    Ok(match (ty, value) {
        (AbiType::Bool, Value::Bool(b)) => Json::Bool(*b),
        (AbiType::U8, Value::U8(n)) => Json::from(*n),
        (AbiType::U32, Value::U32(n)) => Json::from(*n),
        (AbiType::U64, Value::U64(n)) | (AbiType::Timestamp, Value::Timestamp(n)) => {
            Json::String(n.to_string())
        }
        (AbiType::U128, Value::U128(n)) => Json::String(n.to_string()),
        (AbiType::I64, Value::I64(n)) => Json::String(n.to_string()),
        (AbiType::I128, Value::I128(n)) => Json::String(n.to_string()),
        (AbiType::Decimal, Value::Decimal(d)) => Json::String(d.to_string()),
        (AbiType::Date, Value::Date(d)) => Json::String(d.to_string()),
        (AbiType::String, Value::String(s)) => Json::String(s.clone()),
        (AbiType::Bytes, Value::Bytes(b)) => hex(b),
        (AbiType::Hash, Value::Hash(h)) => hex(h),
        (AbiType::Address, Value::Address(a)) => hex(a),
        (AbiType::Unit, Value::Unit) => Json::Null,
        (AbiType::Option(_), Value::Option(None)) => Json::Null,
        (AbiType::Option(inner), Value::Option(Some(v))) if may_be_null(inner) => {
            let json = write(v, inner, defs, depth + 1).under(|| Step::Field(SOME_KEY.into()))?;
            let mut object = Map::new();
            object.insert(SOME_KEY.into(), json);
            Json::Object(object)
        }
        (AbiType::Option(inner), Value::Option(Some(v))) => write(v, inner, defs, depth + 1)?,
        (AbiType::List(inner), Value::List(items)) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| write(item, inner, defs, depth + 1).under(|| Step::Index(i)))
                .collect::<Result<_, _>>()?,
        ),
        (AbiType::Map(k, v), Value::Map(entries)) => write_map(entries, k, v, defs, depth)?,
        (AbiType::Tuple(types), Value::Tuple(values)) if types.len() == values.len() => Json::Array(
            types
                .iter()
                .zip(values)
                .enumerate()
                .map(|(i, (t, v))| write(v, t, defs, depth + 1).under(|| Step::Index(i)))
                .collect::<Result<_, _>>()?,
        ),
        (AbiType::Named(name), value) => match (defs.get(name), value) {
            (Some(Defined::Struct(fields)), Value::Struct(values)) if fields.len() == values.len() => {
                let mut object = Map::new();
                for ((field, t), v) in fields.iter().zip(values) {
                    let json = write(v, t, defs, depth + 1).under(|| Step::Field(field.clone()))?;
                    object.insert(field.clone(), json);
                }
                Json::Object(object)
            }
            (Some(Defined::Enum(variants)), Value::Enum { variant, fields }) => {
                let (variant_name, types) = variants
                    .get(*variant as usize)
                    .ok_or_else(|| JsonError::new(format!("the enum `{name}` has no variant {variant}")))?;
                if types.len() != fields.len() {
                    return Err(JsonError::new(format!(
                        "variant {variant_name} of enum {name} has {}, found {}",
                        plural(types.len(), "field"),
                        fields.len()
                    )));
                }
                if types.is_empty() {
                    return Ok(Json::String(variant_name.clone()));
                }
                let items = types
                    .iter()
                    .zip(fields)
                    .enumerate()
                    .map(|(i, (t, v))| write(v, t, defs, depth + 1).under(|| Step::Index(i)))
                    .collect::<Result<_, _>>()
                    .under(|| Step::Field(variant_name.clone()))?;
                let mut object = Map::new();
                object.insert(variant_name.clone(), Json::Array(items));
                Json::Object(object)
            }
            (None, _) => return Err(undefined(name)),
            _ => return Err(mismatch()),
        },
        _ => return Err(mismatch()),
    })
}

/// `[[key, value], …]` in ascending key order.
fn write_map(
    entries: &[(Value, Value)],
    k: &AbiType,
    v: &AbiType,
    defs: &TypeDefs,
    depth: usize,
) -> Result<Json, JsonError> {
    check_key_type(k, defs, depth + 1).map_err(|e| JsonError::new(e.to_string()))?;
    let mut sorted: BTreeMap<Vec<u8>, (usize, Json)> = BTreeMap::new();
    for (i, (key, val)) in entries.iter().enumerate() {
        let key_json = write(key, k, defs, depth + 1).under(|| Step::Index(0)).under(|| Step::Index(i))?;
        let val_json = write(val, v, defs, depth + 1).under(|| Step::Index(1)).under(|| Step::Index(i))?;
        let key_bytes = encode_key(k, key, defs)
            .map_err(|e| JsonError::new(e.to_string()))
            .under(|| Step::Index(0))
            .under(|| Step::Index(i))?;
        if let Some((first, _)) = sorted.get(&key_bytes) {
            return Err(JsonError::new(format!("duplicate map key: entry {first} has the same key"))
                .under(Step::Index(0))
                .under(Step::Index(i)));
        }
        sorted.insert(key_bytes, (i, Json::Array(vec![key_json, val_json])));
    }
    Ok(Json::Array(sorted.into_values().map(|(_, pair)| pair).collect()))
}

// ------------------------------------------------------------ from JSON

/// The value of type `ty` that `json` writes, refused unless it follows
/// the JSON form exactly (numbers in range, hex of the right length, every
/// struct field present and no other, …).
pub fn from_json(json: &Json, ty: &AbiType, defs: &TypeDefs) -> Result<Value, JsonError> {
    read(json, ty, defs, 0)
}

fn read(json: &Json, ty: &AbiType, defs: &TypeDefs, depth: usize) -> Result<Value, JsonError> {
    if depth > ENCODED_DEPTH_MAX {
        return Err(too_deep());
    }
    Ok(match ty {
        AbiType::Bool => match json {
            Json::Bool(b) => Value::Bool(*b),
            other => return Err(JsonError::new(format!("expected true or false, found {}", found(other)))),
        },
        AbiType::U8 => Value::U8(small_number(json, ty, u8::MAX.into(), |n| u8::try_from(n).ok())?),
        AbiType::U32 => Value::U32(small_number(json, ty, u32::MAX.into(), |n| u32::try_from(n).ok())?),
        AbiType::U64 => {
            Value::U64(integer(json, ty, |neg, n| unsigned(neg, n).and_then(|n| u64::try_from(n).ok()))?)
        }
        AbiType::Timestamp => Value::Timestamp(integer(json, ty, |neg, n| {
            unsigned(neg, n).and_then(|n| u64::try_from(n).ok())
        })?),
        AbiType::U128 => Value::U128(integer(json, ty, unsigned)?),
        AbiType::I64 => {
            Value::I64(integer(json, ty, |neg, n| signed(neg, n).and_then(|n| i64::try_from(n).ok()))?)
        }
        AbiType::I128 => Value::I128(integer(json, ty, signed)?),
        AbiType::Decimal => Value::Decimal(decimal(json)?),
        AbiType::Date => Value::Date(date(json)?),
        AbiType::String => match json {
            Json::String(s) => Value::String(s.clone()),
            other => return Err(JsonError::new(format!("expected a string, found {}", found(other)))),
        },
        AbiType::Bytes => Value::Bytes(hex_bytes(json, ty, None)?),
        AbiType::Hash => Value::Hash(fixed(json, ty)?),
        AbiType::Address => Value::Address(fixed(json, ty)?),
        AbiType::Unit => match json {
            Json::Null => Value::Unit,
            other => return Err(JsonError::new(format!("expected null for (), found {}", found(other)))),
        },
        AbiType::Option(inner) => match json {
            Json::Null => Value::Option(None),
            Json::Object(object)
                if may_be_null(inner) && object.len() == 1 && object.contains_key(SOME_KEY) =>
            {
                let json = object.get(SOME_KEY).unwrap_or(&Json::Null);
                let value = read(json, inner, defs, depth + 1).under(|| Step::Field(SOME_KEY.into()))?;
                Value::Option(Some(Box::new(value)))
            }
            other if may_be_null(inner) => {
                return Err(JsonError::new(format!(
                    "expected null or {{\"{SOME_KEY}\": …}} for {ty}, found {}",
                    found(other)
                )));
            }
            other => Value::Option(Some(Box::new(read(other, inner, defs, depth + 1)?))),
        },
        AbiType::List(inner) => {
            let Json::Array(items) = json else {
                return Err(JsonError::new(format!("expected an array for {ty}, found {}", found(json))));
            };
            Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| read(item, inner, defs, depth + 1).under(|| Step::Index(i)))
                    .collect::<Result<_, _>>()?,
            )
        }
        AbiType::Map(k, v) => read_map(json, ty, k, v, defs, depth)?,
        AbiType::Tuple(types) => match json {
            Json::Array(items) if items.len() == types.len() => Value::Tuple(
                items
                    .iter()
                    .zip(types)
                    .enumerate()
                    .map(|(i, (item, t))| read(item, t, defs, depth + 1).under(|| Step::Index(i)))
                    .collect::<Result<_, _>>()?,
            ),
            other => {
                return Err(JsonError::new(format!(
                    "expected an array of {} for {ty}, found {}",
                    plural(types.len(), "element"),
                    found(other)
                )));
            }
        },
        AbiType::Named(name) => match defs.get(name) {
            Some(Defined::Struct(fields)) => read_struct(json, name, fields, defs, depth)?,
            Some(Defined::Enum(variants)) => read_enum(json, name, variants, defs, depth)?,
            None => return Err(undefined(name)),
        },
    })
}

// ------------------------------------------------------------ numbers

/// How a number of a type that JSON carries as a string is written.
fn example(ty: &AbiType) -> &'static str {
    match ty {
        AbiType::I64 | AbiType::I128 => "-5",
        AbiType::Timestamp => "1700000000",
        AbiType::Decimal => "12.50",
        _ => "1000",
    }
}

/// The smallest and largest values of a number type, for messages.
fn bounds(ty: &AbiType) -> String {
    match ty {
        AbiType::U8 => format!("0 to {}", u8::MAX),
        AbiType::U32 => format!("0 to {}", u32::MAX),
        AbiType::U64 | AbiType::Timestamp => format!("0 to {}", u64::MAX),
        AbiType::U128 => format!("0 to {}", u128::MAX),
        AbiType::I64 => format!("{} to {}", i64::MIN, i64::MAX),
        AbiType::I128 => format!("{} to {}", i128::MIN, i128::MAX),
        AbiType::Decimal => format!("{} to {}", Decimal::MIN, Decimal::MAX),
        _ => String::new(),
    }
}

fn out_of_range(shown: &str, ty: &AbiType) -> JsonError {
    JsonError::new(format!("{shown} is out of range for {} ({})", a(ty), bounds(ty)))
}

/// The text of a number that JSON carries as a string (so that no digit
/// is lost in readers whose numbers are doubles).
fn quoted<'j>(json: &'j Json, ty: &AbiType) -> Result<&'j str, JsonError> {
    let expected = format!("expected {} as a string such as \"{}\"", a(ty), example(ty));
    match json {
        Json::String(text) => Ok(text),
        Json::Number(_) => Err(JsonError::new(format!(
            "{expected}, found {} (numbers of this type are quoted so that no digit is lost)",
            found(json)
        ))),
        other => Err(JsonError::new(format!("{expected}, found {}", found(other)))),
    }
}

/// A whole number written as a string: an optional `-`, then digits.
/// `convert` gets the sign and the magnitude and says whether it fits.
fn integer<T>(json: &Json, ty: &AbiType, convert: impl Fn(bool, u128) -> Option<T>) -> Result<T, JsonError> {
    let text = quoted(json, ty)?;
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(JsonError::new(format!(
            "expected {} as a string of digits such as \"{}\", found {}",
            a(ty),
            example(ty),
            found(json)
        )));
    }
    // With only digits left, parsing fails only on overflow.
    digits
        .parse::<u128>()
        .ok()
        .and_then(|n| convert(negative, n))
        .ok_or_else(|| out_of_range(&quote(text), ty))
}

fn unsigned(negative: bool, magnitude: u128) -> Option<u128> {
    (!negative || magnitude == 0).then_some(magnitude)
}

fn signed(negative: bool, magnitude: u128) -> Option<i128> {
    if negative { 0i128.checked_sub_unsigned(magnitude) } else { i128::try_from(magnitude).ok() }
}

/// A `u8` or `u32`: a JSON number, whole, written without fraction or
/// exponent, in range.
fn small_number<T>(
    json: &Json,
    ty: &AbiType,
    max: u64,
    convert: impl Fn(u64) -> Option<T>,
) -> Result<T, JsonError> {
    let expected = format!("expected {} as a whole number from 0 to {max}", a(ty));
    let Json::Number(n) = json else {
        let hint = if json.is_string() { " (numbers of this type are not quoted)" } else { "" };
        return Err(JsonError::new(format!("{expected}, found {}{hint}", found(json))));
    };
    if let Some(whole) = n.as_u64() {
        return convert(whole).ok_or_else(|| out_of_range(&found(json), ty));
    }
    let whole_outside = n.as_i64().is_some()
        || n.as_f64().is_some_and(|f| f.is_finite() && f.fract() == 0.0 && (f < 0.0 || f > max as f64));
    if whole_outside {
        return Err(out_of_range(&found(json), ty));
    }
    Err(JsonError::new(format!("{expected} (no fraction or exponent), found {}", found(json))))
}

fn decimal(json: &Json) -> Result<Decimal, JsonError> {
    let ty = &AbiType::Decimal;
    let text = quoted(json, ty)?;
    text.parse::<Decimal>().map_err(|e| match e {
        ParseDecimalError::Syntax(_) => JsonError::new(format!(
            "expected a Decimal as a string such as \"12.50\" (digits, an optional `-` and `.`), found {}",
            found(json)
        )),
        ParseDecimalError::Precision(_) => JsonError::new(format!(
            "{} has more than 18 fractional digits, the most a Decimal holds",
            quote(text)
        )),
        ParseDecimalError::Range(_) => out_of_range(&quote(text), ty),
    })
}

// ------------------------------------------------------------ text forms

fn date(json: &Json) -> Result<Date, JsonError> {
    let bad = || {
        JsonError::new(format!(
            "expected a Date as a string \"YYYY-MM-DD\" from 0001-01-01 to 9999-12-31, found {}",
            found(json)
        ))
    };
    let Json::String(text) = json else { return Err(bad()) };
    let shaped = text.len() == 10
        && text
            .bytes()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shaped {
        return Err(bad());
    }
    text.parse::<Date>().map_err(|_| {
        JsonError::new(format!("{} is not a calendar day from 0001-01-01 to 9999-12-31", quote(text)))
    })
}

fn nibble(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

/// `0x` and hex digits (either case), exactly `digits` of them if given.
fn hex_bytes(json: &Json, ty: &AbiType, digits: Option<usize>) -> Result<Vec<u8>, JsonError> {
    let want = match digits {
        Some(n) => format!("{n} hex digits"),
        None => "an even number of hex digits".into(),
    };
    let expected = format!("expected {} as \"0x\" followed by {want}", a(ty));
    let Some(body) = json.as_str().and_then(|text| text.strip_prefix("0x")) else {
        return Err(JsonError::new(format!("{expected}, found {}", found(json))));
    };
    if let Some(c) = body.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(JsonError::new(format!("{expected}, found {} ({c:?} is not a hex digit)", found(json))));
    }
    if body.len() % 2 != 0 || digits.is_some_and(|n| n != body.len()) {
        return Err(JsonError::new(format!("{expected}, found {}", plural(body.len(), "hex digit"))));
    }
    Ok(body.as_bytes().chunks_exact(2).map(|pair| (nibble(pair[0]) << 4) | nibble(pair[1])).collect())
}

fn fixed<const N: usize>(json: &Json, ty: &AbiType) -> Result<[u8; N], JsonError> {
    hex_bytes(json, ty, Some(2 * N))?
        .try_into()
        .map_err(|_| JsonError::new(format!("expected {} of {N} bytes", a(ty))))
}

// ------------------------------------------------------------ composites

/// `[[key, value], …]` in any order, each key once; the value keeps its
/// entries in key-encoding order.
fn read_map(
    json: &Json,
    ty: &AbiType,
    k: &AbiType,
    v: &AbiType,
    defs: &TypeDefs,
    depth: usize,
) -> Result<Value, JsonError> {
    check_key_type(k, defs, depth + 1).map_err(|e| JsonError::new(e.to_string()))?;
    let Json::Array(items) = json else {
        return Err(JsonError::new(format!(
            "expected an array of [key, value] pairs for {ty}, found {}",
            found(json)
        )));
    };
    let mut sorted: BTreeMap<Vec<u8>, (usize, Value, Value)> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let Some([key_json, val_json]) = item.as_array().map(Vec::as_slice) else {
            return Err(JsonError::new(format!("expected a [key, value] pair, found {}", found(item)))
                .under(Step::Index(i)));
        };
        let key = read(key_json, k, defs, depth + 1).under(|| Step::Index(0)).under(|| Step::Index(i))?;
        let key_bytes = encode_key(k, &key, defs)
            .map_err(|e| JsonError::new(e.to_string()))
            .under(|| Step::Index(0))
            .under(|| Step::Index(i))?;
        if let Some((first, _, _)) = sorted.get(&key_bytes) {
            return Err(JsonError::new(format!("duplicate map key: entry {first} has the same key"))
                .under(Step::Index(0))
                .under(Step::Index(i)));
        }
        let val = read(val_json, v, defs, depth + 1).under(|| Step::Index(1)).under(|| Step::Index(i))?;
        sorted.insert(key_bytes, (i, key, val));
    }
    Ok(Value::Map(sorted.into_values().map(|(_, key, val)| (key, val)).collect()))
}

/// An object with exactly the struct's fields.
fn read_struct(
    json: &Json,
    name: &str,
    fields: &[(String, AbiType)],
    defs: &TypeDefs,
    depth: usize,
) -> Result<Value, JsonError> {
    let Json::Object(object) = json else {
        return Err(JsonError::new(format!("expected an object for struct {name}, found {}", found(json))));
    };
    if let Some(unknown) = object.keys().find(|key| !fields.iter().any(|(f, _)| f == *key)) {
        return Err(JsonError::new(format!(
            "unknown field {} of struct {name} ({})",
            quote(unknown),
            listing("fields", fields.iter().map(|(f, _)| f.as_str()))
        )));
    }
    let mut values = Vec::with_capacity(fields.len());
    for (field, t) in fields {
        let Some(field_json) = object.get(field) else {
            return Err(JsonError::new(format!("missing field {} of struct {name}", quote(field))));
        };
        values.push(read(field_json, t, defs, depth + 1).under(|| Step::Field(field.clone()))?);
    }
    Ok(Value::Struct(values))
}

/// `"Variant"` for a variant without fields, `{"Variant": [fields…]}`
/// for one with fields.
fn read_enum(
    json: &Json,
    name: &str,
    variants: &[(String, Vec<AbiType>)],
    defs: &TypeDefs,
    depth: usize,
) -> Result<Value, JsonError> {
    let lookup = |wanted: &str| {
        let found = variants.iter().enumerate().find(|(_, (v, _))| v == wanted);
        let unknown = || {
            JsonError::new(format!(
                "unknown variant {} of enum {name} ({})",
                quote(wanted),
                listing("variants", variants.iter().map(|(v, _)| v.as_str()))
            ))
        };
        let (index, (variant, types)) = found.ok_or_else(unknown)?;
        let index = u32::try_from(index).map_err(|_| unknown())?;
        Ok::<_, JsonError>((index, variant, types))
    };
    let (variant, fields_json) = match json {
        Json::String(wanted) => {
            let (index, variant, types) = lookup(wanted)?;
            if !types.is_empty() {
                return Err(JsonError::new(format!(
                    "variant {variant} of enum {name} has {} ({}): write it as {{\"{variant}\": [{}]}}",
                    plural(types.len(), "field"),
                    type_list(types),
                    vec!["…"; types.len()].join(", ")
                )));
            }
            return Ok(Value::Enum { variant: index, fields: Vec::new() });
        }
        Json::Object(object) if object.len() == 1 => match object.iter().next() {
            Some(entry) => entry,
            None => return Err(JsonError::new(format!("expected a variant of enum {name}"))),
        },
        other => {
            return Err(JsonError::new(format!(
                "expected a variant of enum {name}, written \"Variant\" or {{\"Variant\": [fields…]}}, found {}",
                found(other)
            )));
        }
    };
    let (index, variant, types) = lookup(variant)?;
    if types.is_empty() {
        return Err(JsonError::new(format!(
            "variant {variant} of enum {name} has no fields: write it as the string \"{variant}\""
        )));
    }
    let items = match fields_json {
        Json::Array(items) if items.len() == types.len() => items,
        other => {
            return Err(JsonError::new(format!(
                "expected an array of {} ({}) for the fields of {name}::{variant}, found {}",
                plural(types.len(), "element"),
                type_list(types),
                found(other)
            ))
            .under(Step::Field(variant.clone())));
        }
    };
    let fields = items
        .iter()
        .zip(types)
        .enumerate()
        .map(|(i, (item, t))| read(item, t, defs, depth + 1).under(|| Step::Index(i)))
        .collect::<Result<Vec<_>, _>>()
        .under(|| Step::Field(variant.clone()))?;
    Ok(Value::Enum { variant: index, fields })
}
