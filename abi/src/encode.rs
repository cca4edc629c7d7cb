//! The canonical binary encoding of values (arguments, results, storage,
//! events) and the order-preserving encoding of map keys.
//!
//! Invariant: encoding is a function of the value (one value, one byte
//! string), decoding accepts exactly the encodings (trailing bytes, bad
//! lengths and bad tags are errors), and for keys `a < b` if and only if
//! `encode_key(a) < encode_key(b)` bytewise, so a store ordered by bytes
//! iterates maps in the language's natural key order.
//! The format is specified in `docs/encoding.md`.

use crate::date::Date;
use crate::decimal::Decimal;
use crate::limits::{ENCODED_DEPTH_MAX, ENCODED_LENGTH_MAX, ZERO_SIZED_ELEMENTS_MAX};
use crate::value::{AbiType, Defined, TypeDefs, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("a value of type `{0}` was expected")]
    WrongValue(String),
    #[error("the type `{0}` is not defined")]
    UnknownType(String),
    #[error("`{0}` cannot be a map key")]
    NotAKey(String),
    #[error("the encoding ended early")]
    Truncated,
    #[error("{0} bytes are left over after the value")]
    TrailingBytes(usize),
    #[error("invalid encoding: {0}")]
    Invalid(String),
    #[error("the value nests deeper than {ENCODED_DEPTH_MAX} levels")]
    TooDeep,
}

/// Which of the two forms to produce: values (strings and bytes carry a
/// length) or keys (strings and bytes are escaped and terminated, so that
/// bytewise order matches natural order even inside tuples).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Value,
    Key,
}

pub fn encode_value(ty: &AbiType, value: &Value, defs: &TypeDefs) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode(ty, value, defs, Form::Value, 0, &mut out)?;
    Ok(out)
}

pub fn encode_key(ty: &AbiType, value: &Value, defs: &TypeDefs) -> Result<Vec<u8>, CodecError> {
    check_key_type(ty, defs, 0)?;
    let mut out = Vec::new();
    encode(ty, value, defs, Form::Key, 0, &mut out)?;
    Ok(out)
}

pub fn decode_value(ty: &AbiType, bytes: &[u8], defs: &TypeDefs) -> Result<Value, CodecError> {
    decode_all(ty, bytes, defs, Form::Value)
}

pub fn decode_key(ty: &AbiType, bytes: &[u8], defs: &TypeDefs) -> Result<Value, CodecError> {
    check_key_type(ty, defs, 0)?;
    decode_all(ty, bytes, defs, Form::Key)
}

fn decode_all(ty: &AbiType, bytes: &[u8], defs: &TypeDefs, form: Form) -> Result<Value, CodecError> {
    let mut reader = Reader { bytes, at: 0 };
    let value = decode(ty, &mut reader, defs, form, 0)?;
    let left = bytes.len() - reader.at;
    if left != 0 {
        return Err(CodecError::TrailingBytes(left));
    }
    Ok(value)
}

/// Whether values of `ty` may be map keys: scalars, text, bytes, hashes,
/// addresses, times, dates, tuples and enums of keyable fields.
pub fn check_key_type(ty: &AbiType, defs: &TypeDefs, depth: usize) -> Result<(), CodecError> {
    if depth > ENCODED_DEPTH_MAX {
        return Err(CodecError::TooDeep);
    }
    match ty {
        AbiType::Option(_) | AbiType::List(_) | AbiType::Map(..) | AbiType::Unit => {
            Err(CodecError::NotAKey(ty.to_string()))
        }
        AbiType::Tuple(parts) => parts.iter().try_for_each(|p| check_key_type(p, defs, depth + 1)),
        AbiType::Named(name) => match defs.get(name) {
            Some(Defined::Enum(variants)) => {
                variants.iter().flat_map(|(_, f)| f).try_for_each(|f| check_key_type(f, defs, depth + 1))
            }
            Some(Defined::Struct(_)) => Err(CodecError::NotAKey(name.clone())),
            None => Err(CodecError::UnknownType(name.clone())),
        },
        _ => Ok(()),
    }
}

/// Big-endian with the sign bit flipped: signed order becomes byte order.
fn signed_be<const N: usize>(mut bytes: [u8; N]) -> [u8; N] {
    if let Some(first) = bytes.first_mut() {
        *first ^= 0x80;
    }
    bytes
}

fn length(n: usize) -> Result<[u8; 4], CodecError> {
    u32::try_from(n)
        .map(u32::to_be_bytes)
        .map_err(|_| CodecError::Invalid(format!("length {n} exceeds 2^32")))
}

fn encode(
    ty: &AbiType,
    value: &Value,
    defs: &TypeDefs,
    form: Form,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), CodecError> {
    if depth > ENCODED_DEPTH_MAX {
        return Err(CodecError::TooDeep);
    }
    let wrong = || CodecError::WrongValue(ty.to_string());
    match (ty, value) {
        (AbiType::Bool, Value::Bool(b)) => out.push(u8::from(*b)),
        (AbiType::U8, Value::U8(n)) => out.push(*n),
        (AbiType::U32, Value::U32(n)) => out.extend(n.to_be_bytes()),
        (AbiType::U64, Value::U64(n)) | (AbiType::Timestamp, Value::Timestamp(n)) => {
            out.extend(n.to_be_bytes())
        }
        (AbiType::U128, Value::U128(n)) => out.extend(n.to_be_bytes()),
        (AbiType::I64, Value::I64(n)) => out.extend(signed_be(n.to_be_bytes())),
        (AbiType::I128, Value::I128(n)) => out.extend(signed_be(n.to_be_bytes())),
        (AbiType::Decimal, Value::Decimal(d)) => out.extend(signed_be(d.raw().to_be_bytes())),
        (AbiType::Date, Value::Date(d)) => out.extend(signed_be(d.days().to_be_bytes())),
        (AbiType::Hash, Value::Hash(h)) => out.extend(h),
        (AbiType::Address, Value::Address(a)) => out.extend(a),
        (AbiType::String, Value::String(s)) => bytes_out(s.as_bytes(), form, out)?,
        (AbiType::Bytes, Value::Bytes(b)) => bytes_out(b, form, out)?,
        (AbiType::Unit, Value::Unit) => {}
        (AbiType::Option(inner), Value::Option(v)) => match v {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                encode(inner, v, defs, form, depth + 1, out)?;
            }
        },
        (AbiType::List(inner), Value::List(items)) => {
            out.extend(length(items.len())?);
            for item in items {
                encode(inner, item, defs, form, depth + 1, out)?;
            }
        }
        (AbiType::Map(k, v), Value::Map(entries)) => {
            check_key_type(k, defs, depth + 1)?;
            let mut encoded: Vec<(Vec<u8>, &Value)> = Vec::with_capacity(entries.len());
            for (key, val) in entries {
                let mut key_bytes = Vec::new();
                encode(k, key, defs, Form::Key, depth + 1, &mut key_bytes)?;
                encoded.push((key_bytes, val));
            }
            encoded.sort_by(|a, b| a.0.cmp(&b.0));
            if encoded.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err(CodecError::Invalid("a map holds the same key twice".into()));
            }
            out.extend(length(encoded.len())?);
            for (key_bytes, val) in encoded {
                out.extend(key_bytes);
                encode(v, val, defs, form, depth + 1, out)?;
            }
        }
        (AbiType::Tuple(types), Value::Tuple(values)) if types.len() == values.len() => {
            for (t, v) in types.iter().zip(values) {
                encode(t, v, defs, form, depth + 1, out)?;
            }
        }
        (AbiType::Named(name), value) => match (defs.get(name), value) {
            (Some(Defined::Struct(fields)), Value::Struct(values)) if fields.len() == values.len() => {
                for ((_, t), v) in fields.iter().zip(values) {
                    encode(t, v, defs, form, depth + 1, out)?;
                }
            }
            (Some(Defined::Enum(variants)), Value::Enum { variant, fields }) => {
                let (_, types) = variants.get(*variant as usize).ok_or_else(wrong)?;
                if types.len() != fields.len() {
                    return Err(wrong());
                }
                out.extend(variant.to_be_bytes());
                for (t, v) in types.iter().zip(fields) {
                    encode(t, v, defs, form, depth + 1, out)?;
                }
            }
            (None, _) => return Err(CodecError::UnknownType(name.clone())),
            _ => return Err(wrong()),
        },
        _ => return Err(wrong()),
    }
    Ok(())
}

/// Values carry a length; keys escape `0x00` as `0x00 0xFF` and end with
/// `0x00 0x00`, which sorts below every continuation.
fn bytes_out(bytes: &[u8], form: Form, out: &mut Vec<u8>) -> Result<(), CodecError> {
    match form {
        Form::Value => {
            out.extend(length(bytes.len())?);
            out.extend(bytes);
        }
        Form::Key => {
            for &b in bytes {
                out.push(b);
                if b == 0 {
                    out.push(0xFF);
                }
            }
            out.extend([0, 0]);
        }
    }
    Ok(())
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Result<&'b [u8], CodecError> {
        let end = self.at.checked_add(n).ok_or(CodecError::Truncated)?;
        let slice = self.bytes.get(self.at..end).ok_or(CodecError::Truncated)?;
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let slice = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }

    /// A count, refused when it could not possibly fit in what is left
    /// (every element takes at least one byte, except units).
    fn count(&mut self, element: &AbiType, defs: &TypeDefs) -> Result<usize, CodecError> {
        let n = u32::from_be_bytes(self.array()?) as usize;
        let left = self.bytes.len() - self.at;
        // Elements that may take no bytes could otherwise make four bytes of
        // input allocate millions of values.
        let empty_ok = may_be_empty(element, defs, 0);
        if n > ENCODED_LENGTH_MAX || (!empty_ok && n > left) || (empty_ok && n > ZERO_SIZED_ELEMENTS_MAX) {
            return Err(CodecError::Invalid(format!("a length of {n} with {left} bytes left")));
        }
        Ok(n)
    }

    fn bytes(&mut self, form: Form) -> Result<Vec<u8>, CodecError> {
        match form {
            Form::Value => {
                let n = self.count(&AbiType::U8, &TypeDefs::default())?;
                Ok(self.take(n)?.to_vec())
            }
            Form::Key => {
                let mut out = Vec::new();
                loop {
                    let b = self.byte()?;
                    if b != 0 {
                        out.push(b);
                        continue;
                    }
                    match self.byte()? {
                        0 => return Ok(out),
                        0xFF => out.push(0),
                        other => {
                            return Err(CodecError::Invalid(format!("escape 0x00 0x{other:02x} in a key")));
                        }
                    }
                }
            }
        }
    }
}

/// Whether a value of `ty` can encode to no bytes at all (units, and
/// tuples and structs made only of them).
fn may_be_empty(ty: &AbiType, defs: &TypeDefs, depth: usize) -> bool {
    if depth > ENCODED_DEPTH_MAX {
        return false;
    }
    match ty {
        AbiType::Unit => true,
        AbiType::Tuple(parts) => parts.iter().all(|p| may_be_empty(p, defs, depth + 1)),
        AbiType::Named(name) => match defs.get(name) {
            Some(Defined::Struct(fields)) => fields.iter().all(|(_, t)| may_be_empty(t, defs, depth + 1)),
            _ => false,
        },
        _ => false,
    }
}

fn unsigned_be<const N: usize>(bytes: [u8; N]) -> [u8; N] {
    signed_be(bytes)
}

fn decode(
    ty: &AbiType,
    r: &mut Reader<'_>,
    defs: &TypeDefs,
    form: Form,
    depth: usize,
) -> Result<Value, CodecError> {
    if depth > ENCODED_DEPTH_MAX {
        return Err(CodecError::TooDeep);
    }
    Ok(match ty {
        AbiType::Bool => match r.byte()? {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            b => return Err(CodecError::Invalid(format!("bool byte 0x{b:02x}"))),
        },
        AbiType::U8 => Value::U8(r.byte()?),
        AbiType::U32 => Value::U32(u32::from_be_bytes(r.array()?)),
        AbiType::U64 => Value::U64(u64::from_be_bytes(r.array()?)),
        AbiType::Timestamp => Value::Timestamp(u64::from_be_bytes(r.array()?)),
        AbiType::U128 => Value::U128(u128::from_be_bytes(r.array()?)),
        AbiType::I64 => Value::I64(i64::from_be_bytes(unsigned_be(r.array()?))),
        AbiType::I128 => Value::I128(i128::from_be_bytes(unsigned_be(r.array()?))),
        AbiType::Decimal => Value::Decimal(Decimal::from_raw(i128::from_be_bytes(unsigned_be(r.array()?)))),
        AbiType::Date => {
            let days = i32::from_be_bytes(unsigned_be(r.array()?));
            Value::Date(
                Date::from_days(days)
                    .ok_or_else(|| CodecError::Invalid(format!("day {days} is out of range")))?,
            )
        }
        AbiType::Hash => Value::Hash(r.array()?),
        AbiType::Address => Value::Address(r.array()?),
        AbiType::String => {
            let bytes = r.bytes(form)?;
            Value::String(
                String::from_utf8(bytes).map_err(|_| CodecError::Invalid("a string is not UTF-8".into()))?,
            )
        }
        AbiType::Bytes => Value::Bytes(r.bytes(form)?),
        AbiType::Unit => Value::Unit,
        AbiType::Option(inner) => match r.byte()? {
            0 => Value::Option(None),
            1 => Value::Option(Some(Box::new(decode(inner, r, defs, form, depth + 1)?))),
            b => return Err(CodecError::Invalid(format!("option tag 0x{b:02x}"))),
        },
        AbiType::List(inner) => {
            let n = r.count(inner, defs)?;
            let mut items = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                items.push(decode(inner, r, defs, form, depth + 1)?);
            }
            Value::List(items)
        }
        AbiType::Map(k, v) => {
            check_key_type(k, defs, depth + 1)?;
            let n = r.count(k, defs)?;
            let mut entries = Vec::with_capacity(n.min(1024));
            let mut previous: Option<&[u8]> = None;
            for _ in 0..n {
                let start = r.at;
                let key = decode(k, r, defs, Form::Key, depth + 1)?;
                let key_bytes = r.bytes.get(start..r.at).unwrap_or_default();
                if previous.is_some_and(|p| p >= key_bytes) {
                    return Err(CodecError::Invalid("map keys are not in strictly ascending order".into()));
                }
                previous = Some(key_bytes);
                entries.push((key, decode(v, r, defs, form, depth + 1)?));
            }
            Value::Map(entries)
        }
        AbiType::Tuple(types) => {
            let mut values = Vec::with_capacity(types.len());
            for t in types {
                values.push(decode(t, r, defs, form, depth + 1)?);
            }
            Value::Tuple(values)
        }
        AbiType::Named(name) => match defs.get(name) {
            Some(Defined::Struct(fields)) => {
                let mut values = Vec::with_capacity(fields.len());
                for (_, t) in fields {
                    values.push(decode(t, r, defs, form, depth + 1)?);
                }
                Value::Struct(values)
            }
            Some(Defined::Enum(variants)) => {
                let variant = u32::from_be_bytes(r.array()?);
                let (_, types) = variants
                    .get(variant as usize)
                    .ok_or_else(|| CodecError::Invalid(format!("`{name}` has no variant {variant}")))?;
                let mut fields = Vec::with_capacity(types.len());
                for t in types {
                    fields.push(decode(t, r, defs, form, depth + 1)?);
                }
                Value::Enum { variant, fields }
            }
            None => return Err(CodecError::UnknownType(name.clone())),
        },
    })
}
