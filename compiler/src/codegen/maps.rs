//! Maps held as values, and iteration over storage maps.
//!
//! Layout: a pointer to a `u32` entry count, four bytes of padding, then
//! 24-byte entries in ascending order of their keys' key forms: the key
//! form's pointer and length (two `i32`s), the key's slot, the value's slot.
//!
//! Invariant: a map value is never changed after it is built (`insert` and
//! `remove` build a new map), entries stay sorted by key form, so iteration
//! order is the language's key order and the encoding is canonical.

use wasm_encoder::{BlockType, Instruction as I, ValType};
use writ_abi::host::AbortCode;

use super::core::Runtime;
use super::core::{FnCompiler, mem};
use super::repr::{Repr, repr, scalar_size};
use super::unsupported;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::types::Ty;

type Out = Result<(), Diagnostic>;

const ENTRY: i32 = 24;

impl<'c, 'a> FnCompiler<'c, 'a> {
    pub(super) fn map_empty(&mut self) {
        let at = self.ctx.data(&[0u8; 8]);
        self.emit(I::I32Const(at as i32));
    }

    /// Pushes the address of entry `index` (a local) of the map in `map`.
    fn entry_address(&mut self, map: u32, index: u32) {
        wasm!(self;
            local.get(map) i32.const(8) i32.add local.get(index) i32.const(ENTRY) i32.mul
            i32.add
        );
    }

    /// Scans the map for the first entry whose key form is not below the
    /// given one. Leaves in locals: its index (the count if none) and
    /// whether it is equal.
    fn map_position(&mut self, map: u32, kf: u32, kf_len: u32) -> Result<(u32, u32), Diagnostic> {
        let (count, i, found, entry) = (
            self.temp(ValType::I32),
            self.temp(ValType::I32),
            self.temp(ValType::I32),
            self.temp(ValType::I32),
        );
        // Locals keep their values between iterations of an enclosing
        // loop: the scan must start from zero every time.
        wasm!(self;
            i32.const(0) local.set(i) local.get(map) i32.load(mem(0, 0)) local.set(count)
        );
        self.while_below(i, count, |f, labels| {
            f.entry_address(map, i);
            wasm!(f;
                local.tee(entry) i32.load(mem(0, 0)) local.get(entry) i32.load(mem(4, 0)) local.get(kf) local.get(kf_len)
            );
            f.call_rt(Runtime::MemCmp);
            f.emit(I::LocalTee(found));
            f.emit(I::I32Const(0));
            f.emit(I::I32GeS);
            f.emit(I::BrIf(f.depth() - labels.break_depth));
            f.increment(i);
            Ok(())
        })?;
        // found: 1 when the key forms are equal (the comparison gave 0 and
        // the scan stopped before the end).
        let equal = self.temp(ValType::I32);
        wasm!(self;
            local.get(i) local.get(count) i32.lt_u local.get(found) i32.eqz i32.and
            local.set(equal)
        );
        Ok((i, equal))
    }

    /// Evaluates `key` and returns locals with its value and key form.
    fn map_key_value(&mut self, key: &Expr, key_ty: &Ty) -> Result<(u32, u32, u32), Diagnostic> {
        let vt = repr(key_ty).and_then(Repr::val_type).ok_or_else(|| unsupported(key.span, "this key"))?;
        let value = self.temp(vt);
        self.expr(key)?;
        self.emit(I::LocalTee(value));
        let (kf, kf_len) = self.key_form_of_stack(key_ty, key.span)?;
        Ok((value, kf, kf_len))
    }

    /// `m.get(k)`, `m.contains(k)`, `m.len()`, `m[k]` on a map value; the
    /// map is evaluated from `receiver`.
    pub(super) fn map_query(
        &mut self,
        receiver: &Expr,
        method: &str,
        key: Option<&Expr>,
        key_ty: &Ty,
        value_ty: &Ty,
        span: Span,
    ) -> Out {
        let map = self.temp(ValType::I32);
        self.expr(receiver)?;
        self.emit(I::LocalSet(map));
        if method == "len" {
            wasm!(self;
                local.get(map) i32.load(mem(0, 0)) i64.extend_i32_u
            );
            return Ok(());
        }
        let key = key.ok_or_else(|| unsupported(span, "this map operation"))?;
        let (_, kf, kf_len) = self.map_key_value(key, key_ty)?;
        let (i, equal) = self.map_position(map, kf, kf_len)?;
        match method {
            "contains" => self.emit(I::LocalGet(equal)),
            "get" => {
                self.emit(I::LocalGet(equal));
                self.emit(I::If(BlockType::Result(ValType::I32)));
                self.entry_address(map, i);
                self.load_slot(2, value_ty, span)?;
                let (p, _) = self.encode_value(value_ty, span)?;
                wasm!(self;
                    local.get(p) else i32.const(0) end
                );
            }
            _ => {
                // m[k]
                self.emit(I::LocalGet(equal));
                self.emit(I::I32Eqz);
                self.abort_if(AbortCode::MissingKey);
                self.entry_address(map, i);
                self.load_slot(2, value_ty, span)?;
            }
        }
        Ok(())
    }

    /// With a map on the stack: the map with `key` set to the value in
    /// `value_local` (replacing an existing entry).
    pub(super) fn map_inserted(
        &mut self,
        key: &Expr,
        value_local: u32,
        key_ty: &Ty,
        value_ty: &Ty,
        span: Span,
    ) -> Out {
        let map = self.temp(ValType::I32);
        self.emit(I::LocalSet(map));
        let (key_value, kf, kf_len) = self.map_key_value(key, key_ty)?;
        let (i, equal) = self.map_position(map, kf, kf_len)?;
        let [count, new_count, block, entry] = [0; 4].map(|_| self.temp(ValType::I32));
        // A replaced key keeps the count; a new one adds an entry.
        wasm!(self;
            local.get(map) i32.load(mem(0, 0)) local.tee(count) local.get(count) i32.const(1) i32.add
            local.get(equal)
        );
        self.emit(I::Select);
        wasm!(self;
            local.tee(new_count) i32.const(ENTRY) i32.mul i32.const(8) i32.add
        );
        self.call_rt(Runtime::Alloc);
        wasm!(self;
            local.tee(block) local.get(new_count) i32.store(mem(0, 0))
        );
        // Entries before the position.
        self.copy_entries(block, 0, map, 0, i);
        // The new entry at the position.
        self.entry_address(block, i);
        wasm!(self;
            local.tee(entry) local.get(kf) i32.store(mem(0, 0)) local.get(entry) local.get(kf_len) i32.store(mem(4, 0))
            local.get(key_value)
        );
        self.store_slot(entry, 1, key_ty, span)?;
        self.emit(I::LocalGet(value_local));
        self.store_slot(entry, 2, value_ty, span)?;
        // Entries after it (skipping a replaced one).
        let (from, to, rest) = (self.temp(ValType::I32), self.temp(ValType::I32), self.temp(ValType::I32));
        wasm!(self;
            local.get(i) local.get(equal) i32.add local.set(from) local.get(i) i32.const(1)
            i32.add local.set(to) local.get(count) local.get(from) i32.sub local.set(rest)
        );
        self.copy_entries_dyn(block, to, map, from, rest);
        self.emit(I::LocalGet(block));
        Ok(())
    }

    /// With a map on the stack: the map without `key` (the same map if absent).
    pub(super) fn map_removed(&mut self, key: &Expr, key_ty: &Ty) -> Out {
        let map = self.temp(ValType::I32);
        self.emit(I::LocalSet(map));
        let (_, kf, kf_len) = self.map_key_value(key, key_ty)?;
        let (i, equal) = self.map_position(map, kf, kf_len)?;
        let [count, block, after, rest] = [0; 4].map(|_| self.temp(ValType::I32));
        wasm!(self;
            local.get(equal) if(BlockType::Result(ValType::I32)) local.get(map) i32.load(mem(0, 0)) i32.const(1) i32.sub
            local.tee(count) i32.const(ENTRY) i32.mul i32.const(8) i32.add
        );
        self.call_rt(Runtime::Alloc);
        wasm!(self;
            local.tee(block) local.get(count) i32.store(mem(0, 0))
        );
        self.copy_entries(block, 0, map, 0, i);
        wasm!(self;
            local.get(i) i32.const(1) i32.add local.set(after) local.get(count) local.get(i)
            i32.sub local.set(rest)
        );
        self.copy_entries_dyn(block, i, map, after, rest);
        wasm!(self;
            local.get(block) else local.get(map) end
        );
        Ok(())
    }

    /// Copies `count` (a local) entries from the start of `src` to the start of `dst`.
    fn copy_entries(&mut self, dst: u32, _dst_index: i32, src: u32, _src_index: i32, count: u32) {
        wasm!(self;
            local.get(dst) i32.const(8) i32.add local.get(src) i32.const(8) i32.add
            local.get(count) i32.const(ENTRY) i32.mul
        );
        self.call_rt(Runtime::Copy);
    }

    /// Copies `count` entries from index `from` of `src` to index `to` of `dst` (all locals).
    fn copy_entries_dyn(&mut self, dst: u32, to: u32, src: u32, from: u32, count: u32) {
        self.entry_address(dst, to);
        self.entry_address(src, from);
        wasm!(self;
            local.get(count) i32.const(ENTRY) i32.mul
        );
        self.call_rt(Runtime::Copy);
    }

    /// `for (k, v) in m` over a map value.
    pub(super) fn map_loop(
        &mut self,
        pattern: &Pattern,
        map_expr: &Expr,
        key_ty: &Ty,
        value_ty: &Ty,
        body: &Block,
        span: Span,
    ) -> Out {
        let (map, count, i, entry) = (
            self.temp(ValType::I32),
            self.temp(ValType::I32),
            self.temp(ValType::I32),
            self.temp(ValType::I32),
        );
        self.emit(I::I32Const(0));
        self.emit(I::LocalSet(i));
        self.expr(map_expr)?;
        wasm!(self;
            local.tee(map) i32.load(mem(0, 0)) local.set(count)
        );
        self.while_below(i, count, |f, labels| {
            f.entry_address(map, i);
            f.emit(I::LocalSet(entry));
            f.bind_entry(pattern, entry, 1, 2, key_ty, value_ty, span)?;
            // Counted before the body, so `continue` needs no increment.
            f.increment(i);
            f.continue_block(|f, continue_depth| f.loop_body(body, labels.break_depth, continue_depth))
        })
    }

    /// Binds `(k, v)` from two slots of the block in `entry`.
    #[allow(clippy::too_many_arguments)]
    fn bind_entry(
        &mut self,
        pattern: &Pattern,
        entry: u32,
        key_slot: u32,
        value_slot: u32,
        key_ty: &Ty,
        value_ty: &Ty,
        span: Span,
    ) -> Out {
        let PatternKind::Tuple(parts) = &pattern.kind else {
            return Err(unsupported(pattern.span, "this loop pattern"));
        };
        for (part, (slot, ty)) in parts.iter().zip([(key_slot, key_ty), (value_slot, value_ty)]) {
            if matches!(part.kind, PatternKind::Wildcard) {
                continue;
            }
            let vt = repr(ty).and_then(Repr::val_type).ok_or_else(|| unsupported(span, "this loop"))?;
            let local = self.temp(vt);
            self.emit(I::LocalGet(entry));
            self.load_slot(slot, ty, span)?;
            self.emit(I::LocalSet(local));
            self.bind_pattern_value(part, local, ty)?;
        }
        Ok(())
    }

    /// `for (k, v) in self.m` over a storage map, in key order, through the
    /// host's ordered iteration.
    pub(super) fn storage_map_loop(
        &mut self,
        pattern: &Pattern,
        field: u32,
        key_ty: &Ty,
        value_ty: &Ty,
        body: &Block,
        span: Span,
    ) -> Out {
        // Two slots to hold the decoded key and value for binding.
        let slots = self.temp(ValType::I32);
        self.emit(I::I32Const(16));
        self.call_rt(Runtime::Alloc);
        self.emit(I::LocalSet(slots));
        self.storage_walk(field, |this, buf, key_len, break_depth| {
            // buf: u32 key length, the key (prefix ++ key form), the value.
            let (key_form, value_at) = (this.temp(ValType::I32), this.temp(ValType::I32));
            this.emit(I::LocalGet(buf));
            this.emit(I::I32Const(4 + 5));
            this.emit(I::I32Add);
            this.emit(I::LocalSet(key_form));
            this.emit(I::LocalGet(buf));
            this.emit(I::I32Const(4));
            this.emit(I::I32Add);
            this.emit(I::LocalGet(key_len));
            this.emit(I::I32Add);
            this.emit(I::LocalSet(value_at));
            this.decode_key_at(key_form, key_ty, span)?;
            this.store_slot(slots, 0, key_ty, span)?;
            this.decode_value(value_at, value_ty, span)?;
            this.store_slot(slots, 1, value_ty, span)?;
            this.bind_entry(pattern, slots, 0, 1, key_ty, value_ty, span)?;
            this.emit(I::Block(BlockType::Empty));
            let continue_depth = this.depth();
            this.loop_body(body, break_depth, continue_depth)?;
            this.emit(I::End);
            Ok(())
        })
    }

    /// `self.m.len()` on a storage map: the store keeps no count, so this
    /// walks the entries in key order and counts them (gas per entry).
    pub(super) fn storage_map_len(&mut self, field: u32) -> Out {
        let count = self.temp(ValType::I64);
        self.emit(I::I64Const(0));
        self.emit(I::LocalSet(count));
        self.storage_walk(field, |this, _, _, _| {
            this.emit(I::LocalGet(count));
            this.emit(I::I64Const(1));
            this.emit(I::I64Add);
            this.emit(I::LocalSet(count));
            Ok(())
        })?;
        self.emit(I::LocalGet(count));
        Ok(())
    }

    /// Walks the entries of storage map `field` in key order with
    /// `storage_next`: for each, `each` gets the local holding the entry
    /// (`u32` key length, key, value), the key's length, and the depth a
    /// `break` jumps to.
    fn storage_walk(&mut self, field: u32, each: impl FnOnce(&mut Self, u32, u32, u32) -> Out) -> Out {
        let [prefix, after, after_len, len, buf, key_len] = [0; 6].map(|_| self.temp(ValType::I32));
        let at = self.ctx.field_key(field);
        wasm!(self;
            i32.const(at as i32) local.set(prefix) i32.const(-1) local.set(after_len)
        );
        self.while_loop(
            |f| {
                wasm!(f;
                    local.get(prefix) i32.const(5) local.get(after) local.get(after_len)
                );
                f.call_host("storage_next");
                wasm!(f;
                    local.tee(len) i32.const(-1) i32.eq
                );
                Ok(())
            },
            |f, labels| {
                f.emit(I::LocalGet(len));
                f.call_rt(Runtime::Alloc);
                f.emit(I::LocalTee(buf));
                f.call_host("return_copy");
                f.emit(I::LocalGet(buf));
                f.emit(I::I32Load(mem(0, 0)));
                f.call_rt(Runtime::Bswap32);
                f.emit(I::LocalTee(key_len));
                // The next search starts after this key.
                wasm!(f;
                    local.set(after_len) local.get(buf) i32.const(4) i32.add local.set(after)
                );
                each(f, buf, key_len, labels.break_depth)
            },
        )
    }

    // ------------------------------------------------------------ encoding

    /// The map in local `v`: a big-endian count, then key forms and value encodings.
    pub(super) fn encode_map(&mut self, v: u32, value_ty: &Ty, span: Span) -> Result<(u32, u32), Diagnostic> {
        let [count, i, total, p, at, entry] = [0; 6].map(|_| self.temp(ValType::I32));
        wasm!(self;
            local.get(v) i32.load(mem(0, 0)) local.tee(count)
        );
        // A table of (pointer, length) of each value's encoding.
        let pairs = self.temp(ValType::I32);
        self.emit(I::I32Const(8));
        self.emit(I::I32Mul);
        self.call_rt(Runtime::Alloc);
        wasm!(self;
            local.set(pairs) i32.const(4) local.set(total)
        );
        let cell = self.temp(ValType::I32);
        self.each_entry(v, count, i, entry, |f| {
            f.emit(I::LocalGet(entry));
            f.load_slot(2, value_ty, span)?;
            let (ep, el) = f.encode_value(value_ty, span)?;
            wasm!(f;
                local.get(pairs) local.get(i) i32.const(8) i32.mul i32.add local.tee(cell)
                local.get(ep) i32.store(mem(0, 0)) local.get(cell) local.get(el) i32.store(mem(4, 0)) local.get(total)
                local.get(el) i32.add local.get(entry) i32.load(mem(4, 0)) i32.add local.set(total)
            );
            Ok(())
        })?;
        self.alloc_counted(total, count, p, at);
        let j = self.temp(ValType::I32);
        self.each_entry(v, count, j, entry, |f| {
            for (ptr_offset, len_of) in [(None, None), (Some(()), Some(()))] {
                let _ = len_of;
                if ptr_offset.is_none() {
                    // The key form.
                    wasm!(f;
                        local.get(at) local.get(entry) i32.load(mem(0, 0)) local.get(entry) i32.load(mem(4, 0))
                    );
                    f.call_rt(Runtime::Copy);
                    wasm!(f;
                        local.get(at) local.get(entry) i32.load(mem(4, 0))
                    );
                } else {
                    // The value's encoding.
                    wasm!(f;
                        local.get(pairs) local.get(j) i32.const(8) i32.mul i32.add local.set(cell)
                        local.get(at) local.get(cell) i32.load(mem(0, 0)) local.get(cell) i32.load(mem(4, 0))
                    );
                    f.call_rt(Runtime::Copy);
                    wasm!(f;
                        local.get(at) local.get(cell) i32.load(mem(4, 0))
                    );
                }
                f.emit(I::I32Add);
                f.emit(I::LocalSet(at));
            }
            Ok(())
        })?;
        Ok((p, total))
    }

    fn each_entry(
        &mut self,
        map: u32,
        count: u32,
        i: u32,
        entry: u32,
        body: impl FnOnce(&mut Self) -> Out,
    ) -> Out {
        self.counted_loop(i, count, |f, _| {
            f.entry_address(map, i);
            f.emit(I::LocalSet(entry));
            body(f)
        })
    }

    /// Walks a map encoding at `ptr`; pushes its length, or (with `decode`)
    /// builds the map and returns it in a local.
    pub(super) fn walk_map(
        &mut self,
        ptr: u32,
        key_ty: &Ty,
        value_ty: &Ty,
        decode: bool,
        span: Span,
    ) -> Result<u32, Diagnostic> {
        let [count, i, cursor, block, entry, key_len] = [0; 6].map(|_| self.temp(ValType::I32));
        self.emit(I::LocalGet(ptr));
        self.emit(I::I32Load(mem(0, 0)));
        self.call_rt(Runtime::Bswap32);
        self.emit(I::LocalSet(count));
        if decode {
            wasm!(self;
                local.get(count) i32.const(ENTRY) i32.mul i32.const(8) i32.add
            );
            self.call_rt(Runtime::Alloc);
            wasm!(self;
                local.tee(block) local.get(count) i32.store(mem(0, 0))
            );
        }
        wasm!(self;
            local.get(ptr) i32.const(4) i32.add local.set(cursor)
        );
        self.each_entry(block, count, i, entry, |f| {
            f.key_len_at(cursor, key_ty, span)?;
            f.emit(I::LocalSet(key_len));
            if decode {
                // The key form stays where it is in the (immutable) input.
                wasm!(f;
                    local.get(entry) local.get(cursor) i32.store(mem(0, 0)) local.get(entry) local.get(key_len) i32.store(mem(4, 0))
                );
                f.decode_key_at(cursor, key_ty, span)?;
                f.store_slot(entry, 1, key_ty, span)?;
            }
            wasm!(f;
                local.get(cursor) local.get(key_len) i32.add local.set(cursor)
            );
            if decode {
                f.decode_value(cursor, value_ty, span)?;
                f.store_slot(entry, 2, value_ty, span)?;
            }
            f.encoded_len_at(cursor, value_ty, span)?;
            wasm!(f;
                local.get(cursor) i32.add local.set(cursor)
            );
            Ok(())
        })?;
        if !decode {
            wasm!(self;
                local.get(cursor) local.get(ptr) i32.sub
            );
        }
        Ok(block)
    }

    /// Pushes the length of the key form of a `ty` at `ptr`.
    pub(super) fn key_len_at(&mut self, ptr: u32, ty: &Ty, span: Span) -> Out {
        match ty {
            Ty::String | Ty::Bytes => {
                self.emit(I::LocalGet(ptr));
                self.call_rt(Runtime::KeyUnescape);
                wasm!(self;
                    i64.const(32) i64.shr_u i32.wrap_i64
                );
            }
            Ty::Tuple(_) | Ty::Enum(_) => {
                let (value, len) = self.record_key_at(ptr, ty, false, span)?;
                let _ = value;
                self.emit(I::LocalGet(len));
            }
            _ => {
                let size = scalar_size(ty).ok_or_else(|| unsupported(span, "this key type"))?;
                self.emit(I::I32Const(size as i32));
            }
        }
        Ok(())
    }

    /// Pushes the key whose key form starts at `ptr`.
    pub(super) fn decode_key_at(&mut self, ptr: u32, ty: &Ty, span: Span) -> Out {
        match ty {
            Ty::String | Ty::Bytes => {
                self.emit(I::LocalGet(ptr));
                self.call_rt(Runtime::KeyUnescape);
                self.emit(I::I32WrapI64);
            }
            Ty::Tuple(_) | Ty::Enum(_) => {
                let (value, _) = self.record_key_at(ptr, ty, true, span)?;
                self.emit(I::LocalGet(value));
            }
            _ => self.decode_value(ptr, ty, span)?,
        }
        Ok(())
    }

    /// One part of a record's key form at `cursor`: decoded into the
    /// block's slot (when given), then the cursor moves past it.
    fn key_part_at(&mut self, cursor: u32, part: &Ty, into: Option<(u32, u32)>, span: Span) -> Out {
        if let Some((block, slot)) = into {
            self.decode_key_at(cursor, part, span)?;
            self.store_slot(block, slot, part, span)?;
        }
        self.key_len_at(cursor, part, span)?;
        wasm!(self;
            local.get(cursor) i32.add local.set(cursor)
        );
        Ok(())
    }

    /// Walks the key form of a tuple or enum at `ptr`; returns locals with
    /// the decoded value (when `decode`) and the key form's length.
    fn record_key_at(
        &mut self,
        ptr: u32,
        ty: &Ty,
        decode: bool,
        span: Span,
    ) -> Result<(u32, u32), Diagnostic> {
        let (cursor, block, len) =
            (self.temp(ValType::I32), self.temp(ValType::I32), self.temp(ValType::I32));
        self.emit(I::LocalGet(ptr));
        self.emit(I::LocalSet(cursor));
        let parts: Vec<(u32, Ty)> = if let Some(tys) = super::records::field_types(self.ctx.tables(), ty) {
            if decode {
                self.emit(I::I32Const((tys.len().max(1) * 8) as i32));
                self.call_rt(Runtime::Alloc);
                self.emit(I::LocalSet(block));
            }
            tys.into_iter().enumerate().map(|(i, t)| (i as u32, t)).collect()
        } else {
            // Enum keys: variant index, then the variant's fields, which
            // are read by a branch per variant that has any.
            let variants = super::records::variants(self.ctx.tables(), ty).unwrap_or_default();
            let tag = self.temp(ValType::I32);
            self.emit(I::LocalGet(cursor));
            self.emit(I::I32Load(mem(0, 0)));
            self.call_rt(Runtime::Bswap32);
            self.emit(I::LocalSet(tag));
            if decode {
                let slots = 1 + variants.iter().map(Vec::len).max().unwrap_or(0);
                self.emit(I::I32Const((slots * 8) as i32));
                self.call_rt(Runtime::Alloc);
                wasm!(self;
                    local.tee(block) local.get(tag) i32.store(mem(0, 0))
                );
            }
            self.advance(cursor, 4);
            self.per_variant_field(tag, &variants, |f, field, slot| {
                f.key_part_at(cursor, field, decode.then_some((block, slot)), span)
            })?;
            Vec::new()
        };
        for (slot, part) in &parts {
            self.key_part_at(cursor, part, decode.then_some((block, *slot)), span)?;
        }
        wasm!(self;
            local.get(cursor) local.get(ptr) i32.sub local.set(len)
        );
        Ok((block, len))
    }
}
