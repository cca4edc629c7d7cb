//! How each checked type is held in WebAssembly, and how its canonical
//! encoding (docs/encoding.md) is laid out in memory.
//!
//! Invariant: a type is either fully supported here (it has a
//! representation and, where needed, a fixed-size encoding) or reported as
//! not compilable; there is no partial support.

use wasm_encoder::ValType;

use crate::types::{IntTy, Ty};

/// Where a value lives while a function runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr {
    /// Nothing: `()` and `!`.
    None,
    I32,
    I64,
    /// A pointer (i32) to an immutable value in linear memory: addresses
    /// and hashes (their bytes), Decimals (the raw `i128`, 16 bytes
    /// little-endian), and `Option`s (0 is `None`, else a pointer to the
    /// payload's canonical encoding), text and bytes (their canonical
    /// encoding: a big-endian `u32` length, then the bytes).
    Ptr,
}

impl Repr {
    pub fn val_type(self) -> Option<ValType> {
        match self {
            Repr::None => None,
            Repr::I32 | Repr::Ptr => Some(ValType::I32),
            Repr::I64 => Some(ValType::I64),
        }
    }
}

/// The representation of a type, or `None` if the back end cannot handle it yet.
pub fn repr(ty: &Ty) -> Option<Repr> {
    Some(match ty {
        Ty::Unit | Ty::Never => Repr::None,
        Ty::Bool | Ty::Int(IntTy::U8 | IntTy::U32) | Ty::Role(_) | Ty::Rounding | Ty::Date => Repr::I32,
        Ty::Int(IntTy::U64 | IntTy::I64) | Ty::Timestamp => Repr::I64,
        // A test's contract handle is held like `Bytes`: the runner's opaque
        // description of the contract and who calls it.
        // A contract reference is held exactly as its address is.
        Ty::Address | Ty::Ref(_) | Ty::Hash | Ty::Decimal | Ty::String | Ty::Bytes | Ty::Handle(_) => {
            Repr::Ptr
        }
        // 128-bit integers are held like a Decimal's raw: 16 bytes, little endian.
        Ty::Int(IntTy::U128 | IntTy::I128) => Repr::Ptr,
        Ty::Tuple(parts) if parts.is_empty() => Repr::None,
        Ty::Option(_) | Ty::Struct(_) | Ty::Enum(_) | Ty::Tuple(_) | Ty::List(_) | Ty::Map(..) => Repr::Ptr,
        _ => return None,
    })
}

/// The size of a type's canonical encoding when it is fixed, for the
/// scalars the back end supports.
pub fn scalar_size(ty: &Ty) -> Option<u32> {
    Some(match ty {
        Ty::Bool | Ty::Int(IntTy::U8) => 1,
        Ty::Int(IntTy::U32) | Ty::Role(_) | Ty::Date | Ty::Rounding => 4,
        Ty::Int(IntTy::U64 | IntTy::I64) | Ty::Timestamp => 8,
        Ty::Address | Ty::Ref(_) => 20,
        Ty::Hash => 32,
        Ty::Decimal | Ty::Int(IntTy::U128 | IntTy::I128) => 16,
        _ => return None,
    })
}

/// Whether integer comparisons and arithmetic on the type are signed.
pub fn signed(ty: &Ty) -> bool {
    matches!(ty, Ty::Int(IntTy::I64 | IntTy::I128) | Ty::Date)
}
