//! What the compiler and the VM share: the value model and its types, the
//! reference `Decimal` and `Date` semantics, the canonical binary encoding
//! of values and map keys, and the JSON form of values for the node's API
//! and the CLI (both specified in `docs/encoding.md`).
//!
//! Invariant: depends on no other workspace crate, does no IO, and decodes
//! hostile bytes or JSON into an error, never a panic.

pub mod date;
pub mod decimal;
pub mod document;
pub mod encode;
pub mod host;
pub mod interface;
pub mod json;
pub mod limits;
pub mod reader;
pub mod value;

pub use date::Date;
pub use decimal::{ArithError, Decimal, Rounding};
pub use encode::{CodecError, decode_key, decode_value, encode_key, encode_value};
pub use json::{JsonError, from_json, to_json};
pub use value::{AbiType, TypeDefs, Value};
