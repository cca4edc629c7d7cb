//! Values crossing the boundary between contracts and the outside world
//! (arguments, results, storage, events), and the types that describe them.
//!
//! Invariant: a `Value` is well formed for its `AbiType` when built by
//! `decode` or `from_json`; maps keep their entries in ascending key order
//! (the order of their key encodings), so equal maps are equal values.

use std::collections::BTreeMap;
use std::fmt;

use crate::date::Date;
use crate::decimal::Decimal;

/// The type of a value as the ABI describes it. User structs and enums are
/// referred to by name and defined once in [`TypeDefs`], so recursive types
/// (a struct holding an `Option` of itself) stay finite.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AbiType {
    Bool,
    U8,
    U32,
    U64,
    U128,
    I64,
    I128,
    Decimal,
    String,
    Bytes,
    Hash,
    Address,
    Timestamp,
    Date,
    Unit,
    Option(Box<AbiType>),
    List(Box<AbiType>),
    Map(Box<AbiType>, Box<AbiType>),
    Tuple(Vec<AbiType>),
    /// A struct or enum defined in the accompanying [`TypeDefs`].
    Named(String),
}

/// The user-defined types an ABI refers to by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TypeDefs {
    /// Struct name to its fields, in declaration order.
    pub structs: BTreeMap<String, Vec<(String, AbiType)>>,
    /// Enum name to its variants, in declaration order, with field types.
    pub enums: BTreeMap<String, Vec<(String, Vec<AbiType>)>>,
}

/// A user type looked up by name.
#[derive(Debug, Clone, Copy)]
pub enum Defined<'a> {
    Struct(&'a [(String, AbiType)]),
    Enum(&'a [(String, Vec<AbiType>)]),
}

impl TypeDefs {
    pub fn get(&self, name: &str) -> Option<Defined<'_>> {
        if let Some(fields) = self.structs.get(name) {
            return Some(Defined::Struct(fields));
        }
        self.enums.get(name).map(|v| Defined::Enum(v))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Bool(bool),
    U8(u8),
    U32(u32),
    U64(u64),
    U128(u128),
    I64(i64),
    I128(i128),
    Decimal(Decimal),
    String(String),
    Bytes(Vec<u8>),
    Hash([u8; 32]),
    Address([u8; 20]),
    Timestamp(u64),
    Date(Date),
    Unit,
    Option(Option<Box<Value>>),
    List(Vec<Value>),
    /// Entries in ascending order of their key encodings.
    Map(Vec<(Value, Value)>),
    Tuple(Vec<Value>),
    /// Field values in declaration order.
    Struct(Vec<Value>),
    Enum {
        variant: u32,
        fields: Vec<Value>,
    },
}

/// Writ's own spelling: `Map<Address, List<Decimal>>`.
impl fmt::Display for AbiType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbiType::Bool => f.write_str("bool"),
            AbiType::U8 => f.write_str("u8"),
            AbiType::U32 => f.write_str("u32"),
            AbiType::U64 => f.write_str("u64"),
            AbiType::U128 => f.write_str("u128"),
            AbiType::I64 => f.write_str("i64"),
            AbiType::I128 => f.write_str("i128"),
            AbiType::Decimal => f.write_str("Decimal"),
            AbiType::String => f.write_str("String"),
            AbiType::Bytes => f.write_str("Bytes"),
            AbiType::Hash => f.write_str("Hash"),
            AbiType::Address => f.write_str("Address"),
            AbiType::Timestamp => f.write_str("Timestamp"),
            AbiType::Date => f.write_str("Date"),
            AbiType::Unit => f.write_str("()"),
            AbiType::Option(t) => write!(f, "Option<{t}>"),
            AbiType::List(t) => write!(f, "List<{t}>"),
            AbiType::Map(k, v) => write!(f, "Map<{k}, {v}>"),
            AbiType::Tuple(parts) => {
                let inner: Vec<String> = parts.iter().map(ToString::to_string).collect();
                if parts.len() == 1 {
                    write!(f, "({},)", inner.join(", "))
                } else {
                    write!(f, "({})", inner.join(", "))
                }
            }
            AbiType::Named(name) => f.write_str(name),
        }
    }
}

impl std::str::FromStr for AbiType {
    type Err = String;

    /// Parses the spelling `Display` produces.
    fn from_str(text: &str) -> Result<AbiType, String> {
        let mut parser = TypeParser { text, at: 0 };
        let ty = parser.ty(0)?;
        parser.skip_space();
        if parser.at != text.len() {
            return Err(format!("unexpected `{}` in type `{text}`", &text[parser.at..]));
        }
        Ok(ty)
    }
}

/// Deepest type nesting accepted when reading a type from text.
const TYPE_DEPTH_MAX: usize = 64;

struct TypeParser<'t> {
    text: &'t str,
    at: usize,
}

impl TypeParser<'_> {
    fn skip_space(&mut self) {
        while self.text[self.at..].starts_with(' ') {
            self.at += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.text[self.at..].starts_with(token) {
            self.at += token.len();
            return true;
        }
        false
    }

    fn name(&mut self) -> String {
        self.skip_space();
        let rest = &self.text[self.at..];
        let len =
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
        self.at += len;
        rest[..len].to_string()
    }

    fn ty(&mut self, depth: usize) -> Result<AbiType, String> {
        if depth > TYPE_DEPTH_MAX {
            return Err(format!("type `{}` is nested too deeply", self.text));
        }
        if self.eat("(") {
            let mut parts = Vec::new();
            let mut trailing = false;
            while !self.eat(")") {
                parts.push(self.ty(depth + 1)?);
                trailing = self.eat(",");
                if !trailing && !self.eat(")") {
                    return Err(format!("expected `,` or `)` in type `{}`", self.text));
                } else if !trailing {
                    break;
                }
            }
            return Ok(match parts.len() {
                0 => AbiType::Unit,
                1 if !trailing => parts.remove(0),
                _ => AbiType::Tuple(parts),
            });
        }
        let name = self.name();
        let args = if self.eat("<") {
            let mut args = vec![self.ty(depth + 1)?];
            while self.eat(",") {
                args.push(self.ty(depth + 1)?);
            }
            if !self.eat(">") {
                return Err(format!("expected `>` in type `{}`", self.text));
            }
            args
        } else {
            Vec::new()
        };
        let mut args = args.into_iter();
        let mut one =
            |what: &str| args.next().map(Box::new).ok_or_else(|| format!("`{what}` needs a type argument"));
        Ok(match name.as_str() {
            "bool" => AbiType::Bool,
            "u8" => AbiType::U8,
            "u32" => AbiType::U32,
            "u64" => AbiType::U64,
            "u128" => AbiType::U128,
            "i64" => AbiType::I64,
            "i128" => AbiType::I128,
            "Decimal" => AbiType::Decimal,
            "String" => AbiType::String,
            "Bytes" => AbiType::Bytes,
            "Hash" => AbiType::Hash,
            "Address" => AbiType::Address,
            "Timestamp" => AbiType::Timestamp,
            "Date" => AbiType::Date,
            "Option" => AbiType::Option(one("Option")?),
            "List" => AbiType::List(one("List")?),
            "Map" => {
                let key = one("Map")?;
                AbiType::Map(key, one("Map")?)
            }
            "" => return Err(format!("expected a type in `{}`", self.text)),
            other => AbiType::Named(other.to_string()),
        })
    }
}

impl serde::Serialize for AbiType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for AbiType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<AbiType, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A value in Writ's own notation, for people reading test failures and
/// tool output: `Some(12.50)`, `[1, 2]`, `{"a": 1}`, `Status::Paid(3.00)`,
/// `Point { x: 1, y: 2 }`, addresses and hashes as `0x` and full hex.
/// `ty` names struct and enum fields and variants (from `defs`); a value
/// that does not fit its type is shown as well as it can be, never refused.
pub fn render(value: &Value, ty: &AbiType, defs: &TypeDefs) -> String {
    let mut out = String::new();
    render_into(&mut out, value, Some(ty), defs, 0);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn render_into(out: &mut String, value: &Value, ty: Option<&AbiType>, defs: &TypeDefs, depth: usize) {
    use std::fmt::Write as _;
    // Types nest at most as deep as encodings allow; this is a backstop.
    if depth > 64 {
        out.push('…');
        return;
    }
    let list = |out: &mut String, items: &[Value], tys: &dyn Fn(usize) -> Option<AbiType>| {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            render_into(out, item, tys(i).as_ref(), defs, depth + 1);
        }
    };
    match value {
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::U8(n) => {
            let _ = write!(out, "{n}");
        }
        Value::U32(n) => {
            let _ = write!(out, "{n}");
        }
        Value::U64(n) | Value::Timestamp(n) => {
            let _ = write!(out, "{n}");
        }
        Value::U128(n) => {
            let _ = write!(out, "{n}");
        }
        Value::I64(n) => {
            let _ = write!(out, "{n}");
        }
        Value::I128(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Decimal(d) => {
            let _ = write!(out, "{d}");
        }
        Value::Date(d) => {
            let _ = write!(out, "{d}");
        }
        Value::String(s) => {
            let _ = write!(out, "{s:?}");
        }
        Value::Bytes(b) => {
            let _ = write!(out, "b\"{}\"", b.escape_ascii());
        }
        Value::Hash(h) => {
            let _ = write!(out, "0x{}", hex(h));
        }
        Value::Address(a) => {
            let _ = write!(out, "0x{}", hex(a));
        }
        Value::Unit => out.push_str("()"),
        Value::Option(None) => out.push_str("None"),
        Value::Option(Some(inner)) => {
            let inner_ty = match ty {
                Some(AbiType::Option(t)) => Some(&**t),
                _ => None,
            };
            out.push_str("Some(");
            render_into(out, inner, inner_ty, defs, depth + 1);
            out.push(')');
        }
        Value::List(items) => {
            let elem = match ty {
                Some(AbiType::List(t)) => Some((**t).clone()),
                _ => None,
            };
            out.push('[');
            list(out, items, &|_| elem.clone());
            out.push(']');
        }
        Value::Tuple(items) => {
            let parts = match ty {
                Some(AbiType::Tuple(parts)) => parts.clone(),
                _ => Vec::new(),
            };
            out.push('(');
            list(out, items, &|i| parts.get(i).cloned());
            if items.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        Value::Map(entries) => {
            let (k_ty, v_ty) = match ty {
                Some(AbiType::Map(k, v)) => (Some(&**k), Some(&**v)),
                _ => (None, None),
            };
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render_into(out, k, k_ty, defs, depth + 1);
                out.push_str(": ");
                render_into(out, v, v_ty, defs, depth + 1);
            }
            out.push('}');
        }
        Value::Struct(fields) => {
            let (name, declared) = match ty {
                Some(AbiType::Named(name)) => match defs.get(name) {
                    Some(Defined::Struct(declared)) => (name.as_str(), declared),
                    _ => (name.as_str(), &[][..]),
                },
                _ => ("", &[][..]),
            };
            let _ = write!(out, "{name} {{ ");
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match declared.get(i) {
                    Some((field_name, field_ty)) => {
                        let _ = write!(out, "{field_name}: ");
                        render_into(out, field, Some(field_ty), defs, depth + 1);
                    }
                    None => render_into(out, field, None, defs, depth + 1),
                }
            }
            out.push_str(" }");
        }
        Value::Enum { variant, fields } => {
            let found = match ty {
                Some(AbiType::Named(name)) => match defs.get(name) {
                    Some(Defined::Enum(variants)) => variants
                        .get(*variant as usize)
                        .map(|(v, tys)| (name.as_str(), v.as_str(), tys.clone())),
                    _ => None,
                },
                _ => None,
            };
            let tys = match found {
                Some((enum_name, variant_name, tys)) => {
                    let _ = write!(out, "{enum_name}::{variant_name}");
                    tys
                }
                None => {
                    let _ = write!(out, "#{variant}");
                    Vec::new()
                }
            };
            if !fields.is_empty() {
                out.push('(');
                list(out, fields, &|i| tys.get(i).cloned());
                out.push(')');
            }
        }
    }
}
