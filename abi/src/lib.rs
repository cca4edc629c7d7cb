//! What the compiler and the VM share: the value model and its types, the
//! reference `Decimal` and `Date` semantics, and the canonical binary
//! encoding of values and map keys (specified in `docs/encoding.md`).
//!
//! Invariant: depends on no other workspace crate, does no IO, and decodes
//! hostile bytes into an error, never a panic.

pub mod date;
pub mod decimal;
pub mod document;
pub mod encode;
pub mod host;
pub mod limits;
pub mod value;

pub use date::Date;
pub use decimal::{ArithError, Decimal, Rounding};
pub use encode::{CodecError, decode_key, decode_value, encode_key, encode_value};
pub use value::{AbiType, TypeDefs, Value};
