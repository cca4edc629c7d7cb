//! Structs, tuples and enums in generated code: building them, reading
//! fields, changing a field (by copying the record: values never alias),
//! comparing them, and their canonical encoding.
//!
//! Layout: a record is a pointer to 8-byte slots; struct field or tuple
//! element `i` lives at `8 * i`; an enum holds its variant index in slot 0
//! and its fields from slot 1. A slot holds the field's representation
//! (`repr.rs`): an `i32`, an `i64` or a pointer.
//!
//! Invariant: a record is never changed after it is built; assigning
//! `x.f = v` builds a new record for `x`. So copying a value is copying a
//! pointer, and no two variables can observe each other's changes.

use std::collections::HashSet;

use wasm_encoder::{BlockType, Instruction as I, ValType};

use super::core::{CodecOp, Runtime};
use super::core::{FnCompiler, mem};
use super::repr::{Repr, repr};
use super::unsupported;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::types::{Def, Tables, Ty};

type Out = Result<(), Diagnostic>;

/// How deep encoding code for record types nested inside each other is
/// expanded inline; deeper records, and every record type that contains
/// itself (through an `Option`, a `List` or a `Map`), are encoded by a
/// function of their own (`CodecOp`), which a recursive type calls
/// recursively.
const RECORD_DEPTH_MAX: u32 = 12;

/// The field types of a struct or tuple, or of one enum variant.
pub(super) fn field_types(tables: &Tables, ty: &Ty) -> Option<Vec<Ty>> {
    match ty {
        Ty::Struct(id) => Some(tables.struct_info(*id)?.fields.iter().map(|f| f.ty.clone()).collect()),
        Ty::Tuple(parts) => Some(parts.clone()),
        _ => None,
    }
}

pub(super) fn variants(tables: &Tables, ty: &Ty) -> Option<Vec<Vec<Ty>>> {
    match ty {
        Ty::Enum(id) => Some(tables.enum_info(*id)?.variants.iter().map(|v| v.fields.clone()).collect()),
        _ => None,
    }
}

/// Whether values of `ty` can be encoded and decoded by generated code.
pub(super) fn encodable(tables: &Tables, ty: &Ty) -> bool {
    encodable_in(tables, ty, &mut HashSet::new())
}

/// [`encodable`], where a struct or enum already in `seen` counts as
/// encodable (it is being checked further up, or was checked).
fn encodable_in(tables: &Tables, ty: &Ty, seen: &mut HashSet<Ty>) -> bool {
    match ty {
        Ty::String | Ty::Bytes | Ty::Handle(_) | Ty::Unit => true,
        Ty::Option(inner) | Ty::List(inner) => encodable_in(tables, inner, seen),
        Ty::Map(k, v) => encodable_in(tables, k, seen) && encodable_in(tables, v, seen),
        Ty::Tuple(parts) => parts.iter().all(|p| encodable_in(tables, p, seen)),
        Ty::Struct(_) | Ty::Enum(_) => {
            if !seen.insert(ty.clone()) {
                return true;
            }
            record_children(tables, ty)
                .is_some_and(|fields| fields.iter().all(|f| encodable_in(tables, f, seen)))
        }
        other => super::repr::scalar_size(other).is_some(),
    }
}

/// Every field type of a struct or tuple, or of all an enum's variants.
fn record_children(tables: &Tables, ty: &Ty) -> Option<Vec<Ty>> {
    field_types(tables, ty).or_else(|| Some(variants(tables, ty)?.into_iter().flatten().collect()))
}

/// Whether the struct or enum `ty` contains itself, at any depth: its
/// encoding code cannot be expanded inline.
pub(super) fn is_recursive(tables: &Tables, ty: &Ty) -> bool {
    if !matches!(ty, Ty::Struct(_) | Ty::Enum(_)) {
        return false;
    }
    let mut stack = record_children(tables, ty).unwrap_or_default();
    let mut seen = HashSet::new();
    while let Some(t) = stack.pop() {
        if &t == ty {
            return true;
        }
        match t {
            Ty::Option(inner) | Ty::List(inner) => stack.push(*inner),
            Ty::Map(k, v) => stack.extend([*k, *v]),
            Ty::Tuple(parts) => stack.extend(parts),
            Ty::Struct(_) | Ty::Enum(_) => {
                if let Some(children) = record_children(tables, &t).filter(|_| seen.insert(t.clone())) {
                    stack.extend(children);
                }
            }
            _ => {}
        }
    }
    false
}

impl<'c, 'a> FnCompiler<'c, 'a> {
    /// Stores the value on the stack into slot `slot` of the record in `block`.
    pub(super) fn store_slot(&mut self, block: u32, slot: u32, ty: &Ty, span: Span) -> Out {
        let r = repr(ty)
            .ok_or_else(|| unsupported(span, &format!("a field of type `{}`", self.ctx.display(ty))))?;
        let Some(vt) = r.val_type() else {
            return Ok(());
        };
        let v = self.temp(vt);
        wasm!(self;
            local.set(v) local.get(block) local.get(v)
        );
        self.emit(if r == Repr::I64 {
            I::I64Store(mem(u64::from(slot) * 8, 0))
        } else {
            I::I32Store(mem(u64::from(slot) * 8, 0))
        });
        Ok(())
    }

    /// With a record pointer on the stack, pushes slot `slot` as a `ty`.
    pub(super) fn load_slot(&mut self, slot: u32, ty: &Ty, span: Span) -> Out {
        let r = repr(ty)
            .ok_or_else(|| unsupported(span, &format!("a field of type `{}`", self.ctx.display(ty))))?;
        match r {
            Repr::None => self.emit(I::Drop),
            Repr::I64 => self.emit(I::I64Load(mem(u64::from(slot) * 8, 0))),
            Repr::I32 | Repr::Ptr => self.emit(I::I32Load(mem(u64::from(slot) * 8, 0))),
        }
        Ok(())
    }

    fn alloc_slots(&mut self, slots: u32) -> u32 {
        let block = self.temp(ValType::I32);
        self.emit(I::I32Const((slots.max(1) * 8) as i32));
        self.call_rt(Runtime::Alloc);
        self.emit(I::LocalSet(block));
        block
    }

    /// `S { f: v, ... }`: fields evaluated in source order, stored by slot.
    pub(super) fn struct_literal(&mut self, fields: &[FieldInit], ty: &Ty, span: Span) -> Out {
        let Ty::Struct(id) = ty else { return Err(unsupported(span, "this struct literal")) };
        let Some(info) = self.ctx.tables().struct_info(*id).cloned() else {
            return Err(unsupported(span, "this struct literal"));
        };
        let block = self.alloc_slots(info.fields.len() as u32);
        for init in fields {
            let Some(slot) = info.fields.iter().position(|f| f.name == init.name.name) else { continue };
            let field_ty = info.fields[slot].ty.clone();
            self.expr(&init.value)?;
            self.store_slot(block, slot as u32, &field_ty, init.span)?;
        }
        self.emit(I::LocalGet(block));
        Ok(())
    }

    /// `(a, b, ...)`.
    pub(super) fn tuple_literal(&mut self, items: &[Expr], span: Span) -> Out {
        let block = self.alloc_slots(items.len() as u32);
        for (slot, item) in items.iter().enumerate() {
            let ty = self.ty(item);
            self.expr(item)?;
            self.store_slot(block, slot as u32, &ty, span)?;
        }
        self.emit(I::LocalGet(block));
        Ok(())
    }

    /// An enum value: variant `index` with its field values.
    pub(super) fn enum_value(&mut self, index: u32, args: &[Expr], span: Span) -> Out {
        if args.is_empty() {
            // Field-less variants are shared static blocks.
            let mut bytes = index.to_le_bytes().to_vec();
            bytes.resize(8, 0);
            let at = self.ctx.data(&bytes);
            self.emit(I::I32Const(at as i32));
            return Ok(());
        }
        let block = self.alloc_slots(1 + args.len() as u32);
        wasm!(self;
            local.get(block) i32.const(index as i32) i32.store(mem(0, 0))
        );
        for (i, arg) in args.iter().enumerate() {
            let ty = self.ty(arg);
            self.expr(arg)?;
            self.store_slot(block, 1 + i as u32, &ty, span)?;
        }
        self.emit(I::LocalGet(block));
        Ok(())
    }

    /// The slot of a named field of a struct value.
    pub(super) fn field_slot(&self, receiver_ty: &Ty, name: &Ident) -> Option<u32> {
        match (receiver_ty, self.ctx.typed.def(name)) {
            (Ty::Struct(_), Some(Def::Field(_, index))) => Some(index),
            _ => None,
        }
    }

    /// Rebuilds the records along `target` with `value_local` stored at its
    /// end, and stores the new outermost value back into its variable.
    /// Returns false if `target` is not a path of fields from a variable.
    /// A copy of the record `receiver` evaluates to; returns its local.
    pub(super) fn copy_record(&mut self, receiver: &Expr, slots: u32) -> Result<u32, Diagnostic> {
        let copy = self.alloc_slots(slots);
        self.emit(I::LocalGet(copy));
        self.expr(receiver)?;
        self.emit(I::I32Const((slots.max(1) * 8) as i32));
        self.call_rt(Runtime::Copy);
        Ok(copy)
    }

    pub(super) fn assign_field_path(&mut self, target: &Expr, value_local: u32) -> Result<bool, Diagnostic> {
        let (receiver, slot) = match &target.kind {
            ExprKind::Field { receiver, name } if !matches!(receiver.kind, ExprKind::SelfValue) => {
                let receiver_ty = self.ty(receiver);
                let Some(slot) = self.field_slot(&receiver_ty, name) else { return Ok(false) };
                (receiver, slot)
            }
            ExprKind::TupleField { receiver, index, .. } => (receiver, *index),
            _ => return Ok(false),
        };
        let receiver_ty = self.ty(receiver);
        let slots = match field_types(self.ctx.tables(), &receiver_ty) {
            Some(fields) => fields.len() as u32,
            None => return Ok(false),
        };
        let field_ty = self.ty(target);
        // Copy the record, change the slot.
        let copy = self.alloc_slots(slots);
        self.emit(I::LocalGet(copy));
        self.expr(receiver)?;
        self.emit(I::I32Const((slots.max(1) * 8) as i32));
        self.call_rt(Runtime::Copy);
        self.emit(I::LocalGet(value_local));
        self.store_slot(copy, slot, &field_ty, target.span)?;
        // Put the copy where the record was.
        match &receiver.kind {
            ExprKind::Path(path) if path.is_single() => match self.ctx.typed.def(path.last()) {
                Some(Def::Local(local)) => {
                    let Some(index) = self.local_index(local) else { return Ok(false) };
                    self.emit(I::LocalGet(copy));
                    self.emit(I::LocalSet(index));
                    Ok(true)
                }
                _ => Ok(false),
            },
            _ => self.assign_field_path(receiver, copy),
        }
    }

    /// Equality of two records on the stack, by their canonical encodings.
    pub(super) fn record_eq(&mut self, ty: &Ty, span: Span) -> Out {
        let (b, a) = (self.temp(ValType::I32), self.temp(ValType::I32));
        wasm!(self;
            local.set(b) local.set(a) local.get(a)
        );
        let (pa, la) = self.encode_value(ty, span)?;
        self.emit(I::LocalGet(b));
        let (pb, lb) = self.encode_value(ty, span)?;
        wasm!(self;
            local.get(la) local.get(lb) i32.eq if(BlockType::Result(ValType::I32)) local.get(pa) local.get(pb)
            local.get(la)
        );
        self.call_rt(Runtime::MemEq);
        wasm!(self;
            else i32.const(0) end
        );
        Ok(())
    }

    // ------------------------------------------------------------ encoding

    /// Encodes the record in local `v` as the concatenation of its fields'
    /// encodings (after the variant index, for enums).
    pub(super) fn encode_record(&mut self, v: u32, ty: &Ty, span: Span) -> Result<(u32, u32), Diagnostic> {
        if self.via_codec_fn(CodecOp::Encode, v, ty) {
            let (p, len) = (self.temp(ValType::I32), self.temp(ValType::I32));
            self.emit(I::LocalSet(len));
            self.emit(I::LocalSet(p));
            return Ok((p, len));
        }
        self.inline_record(|f| f.encode_record_inline(v, ty, span))
    }

    /// Calls the encoding function `op` of record type `ty` on local `arg`
    /// when the type's code goes in a function of its own (it contains
    /// itself, or nests too deep to expand here); false when it is to be
    /// emitted inline instead.
    fn via_codec_fn(&mut self, op: CodecOp, arg: u32, ty: &Ty) -> bool {
        if self.record_depth < RECORD_DEPTH_MAX && !is_recursive(self.ctx.tables(), ty) {
            return false;
        }
        let index = self.ctx.codec_fn(op, ty);
        self.emit(I::LocalGet(arg));
        self.emit(I::Call(index));
        true
    }

    /// Emits a record's encoding code inline, one level deeper.
    fn inline_record<T>(
        &mut self,
        body: impl FnOnce(&mut Self) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        self.record_depth += 1;
        let result = body(self);
        self.record_depth -= 1;
        result
    }

    /// The body of [`Self::encode_record`], always inline.
    pub(super) fn encode_record_inline(
        &mut self,
        v: u32,
        ty: &Ty,
        span: Span,
    ) -> Result<(u32, u32), Diagnostic> {
        self.record_parts(v, ty, span, Self::encode_value)
    }

    /// A tuple, struct or enum in local `v`, written part by part into fresh
    /// memory (returned as pointer and length locals): each field loaded and
    /// turned into a (pointer, length) part by `part` (its encoding, or its
    /// key form), the parts one after another, after the variant index for
    /// an enum (one branch per variant).
    pub(super) fn record_parts(
        &mut self,
        v: u32,
        ty: &Ty,
        span: Span,
        part: impl Fn(&mut Self, &Ty, Span) -> Result<(u32, u32), Diagnostic>,
    ) -> Result<(u32, u32), Diagnostic> {
        let (p, len) = (self.temp(ValType::I32), self.temp(ValType::I32));
        if let Some(fields) = field_types(self.ctx.tables(), ty) {
            let mut parts = Vec::new();
            for (slot, field) in fields.iter().enumerate() {
                self.emit(I::LocalGet(v));
                self.load_slot(slot as u32, field, span)?;
                parts.push(part(self, field, span)?);
            }
            self.concat_parts(&parts, None, p, len);
            return Ok((p, len));
        }
        let variants =
            variants(self.ctx.tables(), ty).ok_or_else(|| unsupported(span, "encoding this value"))?;
        // One branch per variant; each leaves (p, len) set.
        let tag = self.temp(ValType::I32);
        wasm!(self;
            local.get(v) i32.load(mem(0, 0)) local.set(tag)
        );
        for (index, fields) in variants.iter().enumerate() {
            wasm!(self;
                local.get(tag) i32.const(index as i32) i32.eq if(BlockType::Empty)
            );
            let mut parts = Vec::new();
            for (i, field) in fields.iter().enumerate() {
                self.emit(I::LocalGet(v));
                self.load_slot(1 + i as u32, field, span)?;
                parts.push(part(self, field, span)?);
            }
            self.concat_parts(&parts, Some(tag), p, len);
            self.emit(I::End);
        }
        Ok((p, len))
    }

    /// Writes an optional big-endian `u32` and the parts, one after another,
    /// into fresh memory; sets `p` and `len`.
    pub(super) fn concat_parts(&mut self, parts: &[(u32, u32)], head: Option<u32>, p: u32, len: u32) {
        let at = self.temp(ValType::I32);
        self.emit(I::I32Const(if head.is_some() { 4 } else { 0 }));
        for (_, l) in parts {
            self.emit(I::LocalGet(*l));
            self.emit(I::I32Add);
        }
        self.emit(I::LocalTee(len));
        self.call_rt(Runtime::Alloc);
        self.emit(I::LocalTee(p));
        self.emit(I::LocalSet(at));
        if let Some(tag) = head {
            self.emit(I::LocalGet(at));
            self.emit(I::LocalGet(tag));
            self.call_rt(Runtime::Bswap32);
            self.emit(I::I32Store(mem(0, 0)));
            self.advance(at, 4);
        }
        for (ptr, l) in parts {
            wasm!(self;
                local.get(at) local.get(*ptr) local.get(*l)
            );
            self.call_rt(Runtime::Copy);
            wasm!(self;
                local.get(at) local.get(*l) i32.add local.set(at)
            );
        }
    }

    /// Pushes the length of the record encoding starting at `ptr`.
    pub(super) fn record_len_at(&mut self, ptr: u32, ty: &Ty, span: Span) -> Out {
        if self.via_codec_fn(CodecOp::Length, ptr, ty) {
            return Ok(());
        }
        self.inline_record(|f| f.record_len_inline(ptr, ty, span))
    }

    /// The body of [`Self::record_len_at`], always inline.
    pub(super) fn record_len_inline(&mut self, ptr: u32, ty: &Ty, span: Span) -> Out {
        let cursor = self.temp(ValType::I32);
        self.emit(I::LocalGet(ptr));
        self.emit(I::LocalSet(cursor));
        self.walk_record(cursor, ty, None, span)?;
        wasm!(self;
            local.get(cursor) local.get(ptr) i32.sub
        );
        Ok(())
    }

    /// Pushes a record decoded from the encoding at `ptr`.
    pub(super) fn decode_record(&mut self, ptr: u32, ty: &Ty, span: Span) -> Out {
        if self.via_codec_fn(CodecOp::Decode, ptr, ty) {
            return Ok(());
        }
        self.inline_record(|f| f.decode_record_inline(ptr, ty, span))
    }

    /// The body of [`Self::decode_record`], always inline.
    pub(super) fn decode_record_inline(&mut self, ptr: u32, ty: &Ty, span: Span) -> Out {
        let cursor = self.temp(ValType::I32);
        self.emit(I::LocalGet(ptr));
        self.emit(I::LocalSet(cursor));
        let slots = match (field_types(self.ctx.tables(), ty), variants(self.ctx.tables(), ty)) {
            (Some(fields), _) => fields.len() as u32,
            (None, Some(vs)) => 1 + vs.iter().map(Vec::len).max().unwrap_or(0) as u32,
            _ => return Err(unsupported(span, "decoding this value")),
        };
        let block = self.alloc_slots(slots);
        self.walk_record(cursor, ty, Some(block), span)?;
        self.emit(I::LocalGet(block));
        Ok(())
    }

    /// Advances `cursor` over the encoding of a record of type `ty`,
    /// storing each field into `block` when given.
    fn walk_record(&mut self, cursor: u32, ty: &Ty, block: Option<u32>, span: Span) -> Out {
        if let Some(fields) = field_types(self.ctx.tables(), ty) {
            for (slot, field) in fields.iter().enumerate() {
                self.field_at(cursor, field, block, slot as u32, span)?;
            }
            return Ok(());
        }
        let variants =
            variants(self.ctx.tables(), ty).ok_or_else(|| unsupported(span, "decoding this value"))?;
        let tag = self.temp(ValType::I32);
        self.emit(I::LocalGet(cursor));
        self.emit(I::I32Load(mem(0, 0)));
        self.call_rt(Runtime::Bswap32);
        self.emit(I::LocalSet(tag));
        if let Some(block) = block {
            wasm!(self;
                local.get(block) local.get(tag) i32.store(mem(0, 0))
            );
        }
        self.advance(cursor, 4);
        self.per_variant_field(tag, &variants, |f, field, slot| f.field_at(cursor, field, block, slot, span))
    }

    /// For each variant of an enum being read that has fields: `if tag ==
    /// index { each(field, slot) for its fields }`, the slots counted from
    /// 1 (slot 0 holds the variant index).
    pub(super) fn per_variant_field(
        &mut self,
        tag: u32,
        variants: &[Vec<Ty>],
        mut each: impl FnMut(&mut Self, &Ty, u32) -> Out,
    ) -> Out {
        for (index, fields) in variants.iter().enumerate() {
            if fields.is_empty() {
                continue;
            }
            wasm!(self;
                local.get(tag) i32.const(index as i32) i32.eq if(BlockType::Empty)
            );
            for (i, field) in fields.iter().enumerate() {
                each(self, field, 1 + i as u32)?;
            }
            self.emit(I::End);
        }
        Ok(())
    }

    /// One field at `cursor`: decoded into the block's slot (if any), then
    /// the cursor moves past it.
    fn field_at(&mut self, cursor: u32, field: &Ty, block: Option<u32>, slot: u32, span: Span) -> Out {
        if let Some(block) = block {
            self.decode_value(cursor, field, span)?;
            self.store_slot(block, slot, field, span)?;
        }
        self.encoded_len_at(cursor, field, span)?;
        wasm!(self;
            local.get(cursor) i32.add local.set(cursor)
        );
        Ok(())
    }
}
