//! Storage and encoding in generated code: storage keys, reads and writes
//! through the host, and values to and from their canonical encoding.
//!
//! Invariant: what generated code writes to storage, events and results is
//! byte for byte the encoding `writ_abi::encode` specifies.

use wasm_encoder::{BlockType, Instruction as I, ValType};
use writ_abi::host::AbortCode;

use super::func::{AbsentIs, FnCompiler, mem};
use super::module::Runtime;
use super::repr::{Repr, repr, scalar_size};
use super::unsupported;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::types::{Def, IntTy, Ty};

type Out = Result<(), Diagnostic>;

impl<'c, 'a> FnCompiler<'c, 'a> {
    pub(super) fn storage_index(&self, name: &Ident) -> Result<u32, Diagnostic> {
        match self.ctx.typed.def(name.span) {
            Some(Def::Storage(_, index)) => Ok(index),
            _ => Err(unsupported(name.span, "this storage access")),
        }
    }

    // ------------------------------------------------------------ storage
    /// Builds `0x01 ++ field ++ key` in fresh memory; returns its local.
    pub(super) fn map_key(&mut self, field: u32, key: &Expr, key_ty: &Ty) -> Result<u32, Diagnostic> {
        let size = scalar_size(key_ty).ok_or_else(|| unsupported(key.span, "this map key type"))?;
        self.emit(I::I32Const((5 + size) as i32));
        self.call_rt(Runtime::Alloc);
        let p = self.temp(ValType::I32);
        self.emit(I::LocalTee(p));
        let prefix = self.ctx.field_key(field);
        self.emit(I::I32Const(prefix as i32));
        self.emit(I::I32Const(5));
        self.call_rt(Runtime::Copy);
        self.emit(I::LocalGet(p));
        self.emit(I::I32Const(5));
        self.emit(I::I32Add);
        self.expr(key)?;
        self.store_encoded(key_ty);
        Ok(p)
    }

    pub(super) fn storage_read_scalar(
        &mut self,
        key_at: u32,
        key_len: u32,
        ty: &Ty,
        span: Span,
        absent: AbsentIs,
    ) -> Out {
        let k = self.temp(ValType::I32);
        self.emit(I::I32Const(key_at as i32));
        self.emit(I::LocalSet(k));
        self.storage_read_scalar_dyn(k, key_len, ty, span, absent)
    }

    /// Reads the value at the key in local `key` and decodes it.
    pub(super) fn storage_read_scalar_dyn(
        &mut self,
        key: u32,
        key_len: u32,
        ty: &Ty,
        span: Span,
        absent: AbsentIs,
    ) -> Out {
        let vt = repr(ty).and_then(Repr::val_type).ok_or_else(|| unsupported(span, "this storage type"))?;
        if scalar_size(ty).is_none() {
            return Err(unsupported(span, "storage of this type"));
        }
        let len = self.temp(ValType::I32);
        self.emit(I::LocalGet(key));
        self.emit(I::I32Const(key_len as i32));
        self.call_host("storage_read");
        self.emit(I::LocalTee(len));
        self.emit(I::I32Const(-1));
        self.emit(I::I32Eq);
        self.emit(I::If(BlockType::Result(vt)));
        match absent {
            AbsentIs::Zero => self.zero(ty, span)?,
            AbsentIs::MissingKey => self.abort(AbortCode::MissingKey),
        }
        self.emit(I::Else);
        self.emit(I::LocalGet(len));
        self.call_rt(Runtime::Alloc);
        let p = self.temp(ValType::I32);
        self.emit(I::LocalTee(p));
        self.call_host("return_copy");
        self.emit(I::LocalGet(p));
        self.load_encoded(ty, span)?;
        self.emit(I::End);
        Ok(())
    }

    pub(super) fn storage_get_option(&mut self, key: u32, key_len: u32, value_ty: &Ty, span: Span) -> Out {
        if scalar_size(value_ty).is_none() {
            return Err(unsupported(span, "a map value of this type"));
        }
        let len = self.temp(ValType::I32);
        self.emit(I::LocalGet(key));
        self.emit(I::I32Const(key_len as i32));
        self.call_host("storage_read");
        self.emit(I::LocalTee(len));
        self.emit(I::I32Const(-1));
        self.emit(I::I32Eq);
        self.emit(I::If(BlockType::Result(ValType::I32)));
        self.emit(I::I32Const(0));
        self.emit(I::Else);
        self.emit(I::LocalGet(len));
        self.call_rt(Runtime::Alloc);
        let p = self.temp(ValType::I32);
        self.emit(I::LocalTee(p));
        self.call_host("return_copy");
        self.emit(I::LocalGet(p));
        self.emit(I::End);
        Ok(())
    }

    pub(super) fn storage_write_scalar_static(&mut self, key_at: u32, ty: &Ty, span: Span) -> Out {
        let k = self.temp(ValType::I32);
        self.emit(I::I32Const(key_at as i32));
        self.emit(I::LocalSet(k));
        self.storage_write_scalar_dyn(k, 5, ty, span)
    }

    /// Writes the value on the stack at the key in local `key`.
    pub(super) fn storage_write_scalar_dyn(&mut self, key: u32, key_len: u32, ty: &Ty, span: Span) -> Out {
        let size = scalar_size(ty).ok_or_else(|| unsupported(span, "storage of this type"))?;
        let vt = repr(ty).and_then(Repr::val_type).ok_or_else(|| unsupported(span, "this storage type"))?;
        let v = self.temp(vt);
        self.emit(I::LocalSet(v));
        self.emit(I::I32Const(size as i32));
        self.call_rt(Runtime::Alloc);
        let p = self.temp(ValType::I32);
        self.emit(I::LocalTee(p));
        self.emit(I::LocalGet(v));
        self.store_encoded(ty);
        self.emit(I::LocalGet(key));
        self.emit(I::I32Const(key_len as i32));
        self.emit(I::LocalGet(p));
        self.emit(I::I32Const(size as i32));
        self.call_host("storage_write");
        Ok(())
    }

    /// The zero value of a storage field that was never written.
    pub(super) fn zero(&mut self, ty: &Ty, span: Span) -> Out {
        match repr(ty) {
            Some(Repr::I32) => self.emit(I::I32Const(0)),
            Some(Repr::I64) => self.emit(I::I64Const(0)),
            Some(Repr::Ptr) if matches!(ty, Ty::Option(_)) => self.emit(I::I32Const(0)),
            Some(Repr::Ptr) => {
                let zeros = vec![0u8; scalar_size(ty).unwrap_or(0) as usize];
                let at = self.ctx.data(&zeros);
                self.emit(I::I32Const(at as i32));
            }
            _ => return Err(unsupported(span, "this storage type")),
        }
        Ok(())
    }

    /// `[ptr, value]` on the stack: stores the value's canonical encoding.
    pub fn store_encoded(&mut self, ty: &Ty) {
        match ty {
            Ty::Bool | Ty::Int(IntTy::U8) => self.emit(I::I32Store8(mem(0, 0))),
            Ty::Int(IntTy::U32) | Ty::Role(_) => {
                self.call_rt(Runtime::Bswap32);
                self.emit(I::I32Store(mem(0, 0)));
            }
            Ty::Int(IntTy::I64) => {
                // Signed numbers flip the top bit so byte order is numeric order.
                self.emit(I::I64Const(i64::MIN));
                self.emit(I::I64Xor);
                self.call_rt(Runtime::Bswap64);
                self.emit(I::I64Store(mem(0, 0)));
            }
            Ty::Int(IntTy::U64) | Ty::Timestamp => {
                self.call_rt(Runtime::Bswap64);
                self.emit(I::I64Store(mem(0, 0)));
            }
            Ty::Address | Ty::Hash => {
                self.emit(I::I32Const(scalar_size(ty).unwrap_or(0) as i32));
                self.call_rt(Runtime::Copy);
            }
            Ty::Decimal => self.call_rt(Runtime::DecEncode),
            _ => {
                self.emit(I::Drop);
                self.emit(I::Drop);
            }
        }
    }

    /// `[ptr]` on the stack: loads the value its canonical encoding holds.
    pub fn load_encoded(&mut self, ty: &Ty, span: Span) -> Out {
        match ty {
            Ty::Bool | Ty::Int(IntTy::U8) => self.emit(I::I32Load8U(mem(0, 0))),
            Ty::Int(IntTy::U32) | Ty::Role(_) => {
                self.emit(I::I32Load(mem(0, 0)));
                self.call_rt(Runtime::Bswap32);
            }
            Ty::Int(IntTy::I64) => {
                self.emit(I::I64Load(mem(0, 0)));
                self.call_rt(Runtime::Bswap64);
                self.emit(I::I64Const(i64::MIN));
                self.emit(I::I64Xor);
            }
            Ty::Int(IntTy::U64) | Ty::Timestamp => {
                self.emit(I::I64Load(mem(0, 0)));
                self.call_rt(Runtime::Bswap64);
            }
            // Addresses and hashes are used where they lie.
            Ty::Address | Ty::Hash => {}
            Ty::Decimal => self.call_rt(Runtime::DecDecode),
            _ => return Err(unsupported(span, "loading this type")),
        }
        Ok(())
    }
}
