//! Storage and encoding in generated code: storage keys, reads and writes
//! through the host, and values to and from their canonical encoding.
//!
//! Invariant: what generated code writes to storage, events and results is
//! byte for byte the encoding `writ_abi::encode` specifies.

use wasm_encoder::{BlockType, Instruction as I, ValType};
use writ_abi::host::AbortCode;

use super::core::Runtime;
use super::core::{FnCompiler, mem};
use super::repr::{Repr, repr, scalar_size};
use super::unsupported;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::types::{Def, IntTy, Ty};

/// What reading an absent storage key means.
#[derive(Clone, Copy)]
pub(super) enum AbsentIs {
    /// A storage field never written holds its zero value.
    Zero,
    /// `m[k]` on an absent key aborts.
    MissingKey,
}

/// A storage key in memory: locals holding its pointer and length.
#[derive(Debug, Clone, Copy)]
pub(super) struct Key {
    pub ptr: u32,
    pub len: u32,
}

type Out = Result<(), Diagnostic>;

impl<'c, 'a> FnCompiler<'c, 'a> {
    pub(super) fn storage_index(&self, name: &Ident) -> Result<u32, Diagnostic> {
        match self.ctx.typed.def(name) {
            Some(Def::Storage(_, index)) => Ok(index),
            _ => Err(unsupported(name.span, "this storage access")),
        }
    }

    /// The key of a whole storage field, `0x01 ++ field index`.
    pub(super) fn field_key_local(&mut self, field: u32) -> Key {
        let at = self.ctx.field_key(field);
        let (ptr, len) = (self.temp(ValType::I32), self.temp(ValType::I32));
        wasm!(self;
            i32.const(at as i32) local.set(ptr) i32.const(5) local.set(len)
        );
        Key { ptr, len }
    }

    /// The key of a map entry: `0x01 ++ field index ++ key form of the key`.
    pub(super) fn map_key(&mut self, field: u32, key: &Expr, key_ty: &Ty) -> Result<Key, Diagnostic> {
        self.expr(key)?;
        let (form, form_len) = self.key_form(key_ty, key.span)?;
        let (ptr, len) = (self.temp(ValType::I32), self.temp(ValType::I32));
        wasm!(self;
            local.get(form_len) i32.const(5) i32.add local.tee(len)
        );
        self.call_rt(Runtime::Alloc);
        self.emit(I::LocalTee(ptr));
        let prefix = self.ctx.field_key(field);
        self.emit(I::I32Const(prefix as i32));
        self.emit(I::I32Const(5));
        self.call_rt(Runtime::Copy);
        wasm!(self;
            local.get(ptr) i32.const(5) i32.add local.get(form) local.get(form_len)
        );
        self.call_rt(Runtime::Copy);
        Ok(Key { ptr, len })
    }

    /// The key form of a tuple or enum: its parts' key forms in order
    /// (after the variant index, for enums).
    fn record_key_form(&mut self, ty: &Ty, span: Span) -> Result<(u32, u32), Diagnostic> {
        let v = self.temp(ValType::I32);
        self.emit(I::LocalSet(v));
        self.record_parts(v, ty, span, Self::key_form)
    }

    /// The key form of the value on the stack, as (pointer, length) locals.
    pub(super) fn key_form_of_stack(&mut self, ty: &Ty, span: Span) -> Result<(u32, u32), Diagnostic> {
        self.key_form(ty, span)
    }

    fn key_form(&mut self, ty: &Ty, span: Span) -> Result<(u32, u32), Diagnostic> {
        if matches!(ty, Ty::String | Ty::Bytes) {
            let (ptr, len) = (self.temp(ValType::I32), self.temp(ValType::I32));
            self.call_rt(Runtime::KeyEscape);
            wasm!(self;
                local.tee(ptr) i32.load(mem(0, 0)) local.set(len)
            );
            self.advance(ptr, 4);
            return Ok((ptr, len));
        }
        if matches!(ty, Ty::Tuple(_) | Ty::Enum(_)) {
            return self.record_key_form(ty, span);
        }
        if scalar_size(ty).is_none() {
            return Err(unsupported(span, &format!("a map key of type `{}`", self.ctx.display(ty))));
        }
        self.encode_value(ty, span)
    }

    fn call_with_key(&mut self, key: Key, host: &str) {
        self.emit(I::LocalGet(key.ptr));
        self.emit(I::LocalGet(key.len));
        self.call_host(host);
    }

    /// Reads and decodes the value under `key`.
    pub(super) fn storage_read(&mut self, key: Key, ty: &Ty, span: Span, absent: AbsentIs) -> Out {
        let vt = repr(ty).and_then(Repr::val_type).ok_or_else(|| unsupported(span, "this storage type"))?;
        if !super::records::encodable(self.ctx.tables(), ty) {
            return Err(unsupported(span, &format!("storage of `{}`", self.ctx.display(ty))));
        }
        let (len, p) = (self.temp(ValType::I32), self.temp(ValType::I32));
        self.call_with_key(key, "storage_read");
        wasm!(self;
            local.tee(len) i32.const(-1) i32.eq if(BlockType::Result(vt))
        );
        match absent {
            AbsentIs::Zero => self.zero(ty, span)?,
            AbsentIs::MissingKey => self.abort(AbortCode::MissingKey),
        }
        self.emit(I::Else);
        self.emit(I::LocalGet(len));
        self.call_rt(Runtime::Alloc);
        self.emit(I::LocalTee(p));
        self.call_host("return_copy");
        self.decode_value(p, ty, span)?;
        self.emit(I::End);
        Ok(())
    }

    /// `m.get(k)` on a storage map: `None` (0) or a pointer to the encoding.
    pub(super) fn storage_get(&mut self, key: Key, value_ty: &Ty, span: Span) -> Out {
        if !super::records::encodable(self.ctx.tables(), value_ty) {
            return Err(unsupported(span, &format!("a map value of type `{}`", self.ctx.display(value_ty))));
        }
        let (len, p) = (self.temp(ValType::I32), self.temp(ValType::I32));
        self.call_with_key(key, "storage_read");
        wasm!(self;
            local.tee(len) i32.const(-1) i32.eq if(BlockType::Result(ValType::I32)) i32.const(0) else
            local.get(len)
        );
        self.call_rt(Runtime::Alloc);
        self.emit(I::LocalTee(p));
        self.call_host("return_copy");
        self.emit(I::LocalGet(p));
        self.emit(I::End);
        Ok(())
    }

    pub(super) fn storage_contains(&mut self, key: Key) {
        self.call_with_key(key, "storage_read");
        self.emit(I::I32Const(-1));
        self.emit(I::I32Ne);
    }

    pub(super) fn storage_remove(&mut self, key: Key) {
        self.call_with_key(key, "storage_remove");
    }

    /// Writes the value on the stack under `key`.
    pub(super) fn storage_write(&mut self, key: Key, ty: &Ty, span: Span) -> Out {
        let (p, len) = self.encode_value(ty, span)?;
        wasm!(self;
            local.get(key.ptr) local.get(key.len) local.get(p) local.get(len)
        );
        self.call_host("storage_write");
        Ok(())
    }

    // ------------------------------------------------------------ encoding

    /// Encodes the value on the stack; returns locals holding a pointer to
    /// its canonical encoding and the encoding's length.
    pub(super) fn encode_value(&mut self, ty: &Ty, span: Span) -> Result<(u32, u32), Diagnostic> {
        let (p, len) = (self.temp(ValType::I32), self.temp(ValType::I32));
        match ty {
            Ty::Unit => {
                wasm!(self;
                    i32.const(0) local.tee(p) local.set(len)
                );
            }
            // Text and bytes are held as their encoding already.
            Ty::String | Ty::Bytes | Ty::Handle(_) => {
                self.emit(I::LocalSet(p));
                self.encoded_len_at(p, ty, span)?;
                self.emit(I::LocalSet(len));
            }
            Ty::Option(inner) => {
                // `00`, or `01` followed by the payload's encoding (which the
                // option's pointer already points at).
                let v = self.temp(ValType::I32);
                let payload = self.temp(ValType::I32);
                wasm!(self;
                    local.set(v) local.get(v) if(BlockType::Empty)
                );
                self.encoded_len_at(v, inner, span)?;
                wasm!(self;
                    local.tee(payload) i32.const(1) i32.add local.tee(len)
                );
                self.call_rt(Runtime::Alloc);
                wasm!(self;
                    local.tee(p) i32.const(1) i32.store8(mem(0, 0)) local.get(p) i32.const(1) i32.add
                    local.get(v) local.get(payload)
                );
                self.call_rt(Runtime::Copy);
                wasm!(self;
                    else i32.const(1) local.tee(len)
                );
                self.call_rt(Runtime::Alloc);
                wasm!(self;
                    local.tee(p) i32.const(0) i32.store8(mem(0, 0)) end
                );
            }
            Ty::Struct(_) | Ty::Enum(_) | Ty::Tuple(_) | Ty::List(_) | Ty::Map(..) => {
                let v = self.temp(ValType::I32);
                self.emit(I::LocalSet(v));
                let (rp, rlen) = match ty {
                    Ty::List(elem) => self.encode_list(v, elem, span)?,
                    Ty::Map(_, value_ty) => self.encode_map(v, value_ty, span)?,
                    _ => self.encode_record(v, ty, span)?,
                };
                wasm!(self;
                    local.get(rp) local.set(p) local.get(rlen) local.set(len)
                );
            }
            _ => {
                let size = scalar_size(ty).ok_or_else(|| {
                    unsupported(span, &format!("encoding a value of type `{}`", self.ctx.display(ty)))
                })?;
                let vt = repr(ty).and_then(Repr::val_type).ok_or_else(|| unsupported(span, "this value"))?;
                let v = self.temp(vt);
                wasm!(self;
                    local.set(v) i32.const(size as i32) local.tee(len)
                );
                self.call_rt(Runtime::Alloc);
                self.emit(I::LocalTee(p));
                self.emit(I::LocalGet(v));
                self.store_encoded(ty);
            }
        }
        Ok((p, len))
    }

    /// Pushes the length of the encoding of a `ty` that starts at `ptr`.
    pub(super) fn encoded_len_at(&mut self, ptr: u32, ty: &Ty, span: Span) -> Out {
        match ty {
            Ty::String | Ty::Bytes | Ty::Handle(_) => {
                self.emit(I::LocalGet(ptr));
                self.emit(I::I32Load(mem(0, 0)));
                self.call_rt(Runtime::Bswap32);
                self.emit(I::I32Const(4));
                self.emit(I::I32Add);
            }
            Ty::Unit => self.emit(I::I32Const(0)),
            Ty::Struct(_) | Ty::Enum(_) | Ty::Tuple(_) => self.record_len_at(ptr, ty, span)?,
            Ty::List(elem) => {
                self.walk_list(ptr, elem, false, span)?;
            }
            Ty::Map(k, v) => {
                self.walk_map(ptr, k, v, false, span)?;
            }
            Ty::Option(inner) => {
                let payload = self.temp(ValType::I32);
                wasm!(self;
                    local.get(ptr) i32.load8_u(mem(0, 0)) if(BlockType::Result(ValType::I32)) local.get(ptr) i32.const(1) i32.add
                    local.set(payload)
                );
                self.encoded_len_at(payload, inner, span)?;
                wasm!(self;
                    i32.const(1) i32.add else i32.const(1) end
                );
            }
            _ => {
                let size = scalar_size(ty).ok_or_else(|| {
                    unsupported(span, &format!("decoding a value of type `{}`", self.ctx.display(ty)))
                })?;
                self.emit(I::I32Const(size as i32));
            }
        }
        Ok(())
    }

    /// With the length a host call returned on the stack, copies the return
    /// buffer into a fresh block; the local holding its pointer.
    pub(super) fn copy_return_buffer(&mut self) -> u32 {
        let out = self.temp(ValType::I32);
        self.call_rt(Runtime::Alloc);
        self.emit(I::LocalTee(out));
        self.call_host("return_copy");
        out
    }

    /// Pushes the value whose encoding starts at `ptr`.
    pub(super) fn decode_value(&mut self, ptr: u32, ty: &Ty, span: Span) -> Out {
        match ty {
            Ty::String | Ty::Bytes | Ty::Handle(_) => self.emit(I::LocalGet(ptr)),
            Ty::Unit => {}
            Ty::Struct(_) | Ty::Enum(_) | Ty::Tuple(_) => self.decode_record(ptr, ty, span)?,
            Ty::List(elem) => {
                let block = self.walk_list(ptr, elem, true, span)?;
                self.emit(I::LocalGet(block));
            }
            Ty::Map(k, v) => {
                let block = self.walk_map(ptr, k, v, true, span)?;
                self.emit(I::LocalGet(block));
            }
            Ty::Option(_) => {
                // Tag 0 is `None` (0); else a pointer just past the tag.
                wasm!(self;
                    local.get(ptr) i32.load8_u(mem(0, 0)) if(BlockType::Result(ValType::I32)) local.get(ptr) i32.const(1) i32.add
                    else i32.const(0) end
                );
            }
            _ => {
                self.emit(I::LocalGet(ptr));
                self.load_encoded(ty, span)?;
            }
        }
        Ok(())
    }

    /// The zero value of a storage field that was never written.
    pub(super) fn zero(&mut self, ty: &Ty, span: Span) -> Out {
        let value = self
            .zero_constant(ty, &mut Vec::new())
            .ok_or_else(|| unsupported(span, "this storage type (it has no finite value)"))?;
        match repr(ty) {
            Some(Repr::I64) => self.emit(I::I64Const(value)),
            _ => self.emit(I::I32Const(value as i32)),
        }
        Ok(())
    }

    /// The zero value of `ty` as a constant: the number itself, or the
    /// address of static data holding it (records are built there too, with
    /// every field at its own zero, and an enum at its first variant whose
    /// fields have a zero value: one that does not hold the enum itself).
    /// `path` holds the records being built around this one; reaching one
    /// of them again means the value would never end.
    fn zero_constant(&mut self, ty: &Ty, path: &mut Vec<Ty>) -> Option<i64> {
        let bytes: Vec<u8> = match repr(ty)? {
            Repr::None | Repr::I32 | Repr::I64 => return Some(0),
            Repr::Ptr => match ty {
                Ty::Option(_) => return Some(0),
                Ty::String | Ty::Bytes => vec![0; 4],
                // A count of zero, then the padding before the entries.
                Ty::List(_) | Ty::Map(..) => vec![0; 8],
                Ty::Struct(_) | Ty::Tuple(_) | Ty::Enum(_) => {
                    if path.contains(ty) {
                        return None;
                    }
                    path.push(ty.clone());
                    let slots = self.zero_record(ty, path);
                    path.pop();
                    let mut slots = slots?;
                    if slots.is_empty() {
                        slots.resize(8, 0);
                    }
                    slots
                }
                _ => vec![0; scalar_size(ty)? as usize],
            },
        };
        Some(i64::from(self.ctx.data(&bytes)))
    }

    /// The slots of the zero value of a struct, tuple or enum (see
    /// [`Self::zero_constant`]).
    fn zero_record(&mut self, ty: &Ty, path: &mut Vec<Ty>) -> Option<Vec<u8>> {
        let zeros = |f: &mut Self, fields: &[Ty], path: &mut Vec<Ty>| -> Option<Vec<u8>> {
            let mut slots = Vec::with_capacity(fields.len() * 8);
            for field in fields {
                slots.extend(f.zero_constant(field, path)?.to_le_bytes());
            }
            Some(slots)
        };
        if let Some(fields) = super::records::field_types(self.ctx.tables(), ty) {
            return zeros(self, &fields, path);
        }
        let variants = super::records::variants(self.ctx.tables(), ty)?;
        variants.iter().enumerate().find_map(|(index, fields)| {
            let rest = zeros(self, fields, path)?;
            let mut slots = (index as i64).to_le_bytes().to_vec();
            slots.extend(rest);
            Some(slots)
        })
    }

    /// `[ptr, value]` on the stack: stores the value's canonical encoding.
    pub fn store_encoded(&mut self, ty: &Ty) {
        match ty {
            Ty::Bool | Ty::Int(IntTy::U8) => self.emit(I::I32Store8(mem(0, 0))),
            // A rounding mode is encoded as its variant index, like any
            // enum without fields.
            Ty::Int(IntTy::U32) | Ty::Role(_) | Ty::Rounding => {
                self.call_rt(Runtime::Bswap32);
                self.emit(I::I32Store(mem(0, 0)));
            }
            Ty::Date => {
                // Signed day count: flip the top bit so byte order is date order.
                self.emit(I::I32Const(i32::MIN));
                self.emit(I::I32Xor);
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
            Ty::Address | Ty::Ref(_) | Ty::Hash => {
                self.emit(I::I32Const(scalar_size(ty).unwrap_or(0) as i32));
                self.call_rt(Runtime::Copy);
            }
            // i128 is encoded exactly as a Decimal's raw i128 is.
            Ty::Decimal | Ty::Int(IntTy::I128) => self.call_rt(Runtime::DecEncode),
            Ty::Int(IntTy::U128) => self.call_rt(Runtime::U128Encode),
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
            Ty::Int(IntTy::U32) | Ty::Role(_) | Ty::Rounding => {
                self.emit(I::I32Load(mem(0, 0)));
                self.call_rt(Runtime::Bswap32);
            }
            Ty::Date => {
                self.emit(I::I32Load(mem(0, 0)));
                self.call_rt(Runtime::Bswap32);
                self.emit(I::I32Const(i32::MIN));
                self.emit(I::I32Xor);
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
            Ty::Address | Ty::Ref(_) | Ty::Hash => {}
            Ty::Decimal | Ty::Int(IntTy::I128) => self.call_rt(Runtime::DecDecode),
            Ty::Int(IntTy::U128) => self.call_rt(Runtime::U128Decode),
            _ => return Err(unsupported(span, "loading this type")),
        }
        Ok(())
    }
}
