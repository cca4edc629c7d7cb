//! Lists in generated code: literals, length, indexing, `push`, element
//! assignment, `for` loops and the canonical encoding.
//!
//! Layout: a pointer to a `u32` element count (native byte order), four
//! bytes of padding, then one 8-byte slot per element, as in records.
//!
//! Invariant: a list is never changed after it is built. `push` and
//! `xs[i] = v` build a new list and store it back where the old one was,
//! so values keep their copy semantics. The one exception is a list local
//! that no other reference can ever reach (`owned.rs`): `push` appends to
//! it in place, growing by doubling, so building a list in a loop is
//! linear rather than quadratic.

use wasm_encoder::{Instruction as I, ValType};
use writ_abi::host::AbortCode;

use super::core::Runtime;
use super::core::{FnCompiler, mem};
use super::repr::{Repr, repr};
use super::unsupported;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::types::Ty;

type Out = Result<(), Diagnostic>;

impl<'c, 'a> FnCompiler<'c, 'a> {
    /// Pushes the size in bytes of a list block of `count` slots: the
    /// 8-byte header, then 8 bytes a slot.
    pub(super) fn list_bytes(&mut self, count: u32) {
        wasm!(self;
            local.get(count) i32.const(8) i32.mul i32.const(8) i32.add
        );
    }

    fn list_alloc(&mut self, count: u32) -> u32 {
        let block = self.temp(ValType::I32);
        self.list_bytes(count);
        self.call_rt(Runtime::Alloc);
        wasm!(self;
            local.tee(block) local.get(count) i32.store(mem(0, 0))
        );
        block
    }

    /// Pushes the address of slot `index` (a local) of the list in `list`.
    fn slot_address(&mut self, list: u32, index: u32) {
        wasm!(self;
            local.get(list) local.get(index) i32.const(8) i32.mul i32.add i32.const(8)
            i32.add
        );
    }

    /// `[a, b, ...]`; `[]` is a shared empty list.
    pub(super) fn list_literal(&mut self, items: &[Expr], span: Span) -> Out {
        if items.is_empty() {
            let at = self.ctx.data(&[0u8; 8]);
            self.emit(I::I32Const(at as i32));
            return Ok(());
        }
        let count = self.temp(ValType::I32);
        self.emit(I::I32Const(items.len() as i32));
        self.emit(I::LocalSet(count));
        let block = self.list_alloc(count);
        for (i, item) in items.iter().enumerate() {
            let ty = self.ty(item);
            self.expr(item)?;
            self.store_slot(block, 1 + i as u32, &ty, span)?;
        }
        self.emit(I::LocalGet(block));
        Ok(())
    }

    /// `xs.len()` as a `u64`, with the list on the stack.
    pub(super) fn list_len(&mut self) {
        self.emit(I::I32Load(mem(0, 0)));
        self.emit(I::I64ExtendI32U);
    }

    /// Evaluates the list and the index; leaves the element's slot address
    /// in a local after checking the index is in range.
    fn checked_slot(&mut self, list: &Expr, index: &Expr) -> Result<u32, Diagnostic> {
        let (l, i) = (self.temp(ValType::I32), self.temp(ValType::I64));
        self.expr(list)?;
        self.emit(I::LocalSet(l));
        self.expr(index)?;
        wasm!(self;
            local.tee(i) local.get(l) i32.load(mem(0, 0)) i64.extend_i32_u i64.ge_u
        );
        self.abort_if(AbortCode::IndexOutOfRange);
        let i32_index = self.temp(ValType::I32);
        wasm!(self;
            local.get(i) i32.wrap_i64 local.set(i32_index)
        );
        let address = self.temp(ValType::I32);
        self.slot_address(l, i32_index);
        self.emit(I::LocalSet(address));
        Ok(address)
    }

    /// `xs[i]` on a list value.
    pub(super) fn list_index(&mut self, list: &Expr, index: &Expr, elem: &Ty, span: Span) -> Out {
        let address = self.checked_slot(list, index)?;
        self.emit(I::LocalGet(address));
        self.load_slot(0, elem, span)
    }

    /// A copy of the list in `list` with `extra` more slots at the end;
    /// returns (new list local, old count local).
    fn list_copy(&mut self, list: u32, extra: i32) -> (u32, u32) {
        let (old, count) = (self.temp(ValType::I32), self.temp(ValType::I32));
        wasm!(self;
            local.get(list) i32.load(mem(0, 0)) local.tee(old) i32.const(extra) i32.add local.set(count)
        );
        let block = self.list_alloc(count);
        wasm!(self;
            local.get(block) i32.const(8) i32.add local.get(list) i32.const(8) i32.add
            local.get(old) i32.const(8) i32.mul
        );
        self.call_rt(Runtime::Copy);
        (block, old)
    }

    /// With the list on the stack: a new list with `value` appended.
    pub(super) fn list_pushed(&mut self, value: &Expr, elem: &Ty, span: Span) -> Out {
        let list = self.temp(ValType::I32);
        self.emit(I::LocalSet(list));
        let (block, old) = self.list_copy(list, 1);
        let address = self.temp(ValType::I32);
        self.slot_address(block, old);
        self.emit(I::LocalSet(address));
        self.expr(value)?;
        self.store_slot(address, 0, elem, span)?;
        self.emit(I::LocalGet(block));
        Ok(())
    }

    /// `xs.push(value)` for a list the function owns alone (`owned.rs`),
    /// held in local `list`: the value is appended in place, the block
    /// growing by doubling when full.
    pub(super) fn push_owned(&mut self, list: u32, value: &Expr, elem: &Ty, span: Span) -> Out {
        let vt = repr(elem).and_then(Repr::val_type).ok_or_else(|| unsupported(span, "this `push`"))?;
        // The value first: it may read the list (its length, an element).
        let v = self.temp(vt);
        self.expr(value)?;
        self.emit(I::LocalSet(v));
        self.emit(I::LocalGet(list));
        self.call_rt(Runtime::ListGrow);
        self.emit(I::LocalSet(list));
        let (count, address) = (self.temp(ValType::I32), self.temp(ValType::I32));
        wasm!(self;
            local.get(list) i32.load(mem(0, 0)) local.set(count)
        );
        self.slot_address(list, count);
        self.emit(I::LocalSet(address));
        self.emit(I::LocalGet(v));
        self.store_slot(address, 0, elem, span)?;
        wasm!(self;
            local.get(list) local.get(count) i32.const(1) i32.add i32.store(mem(0, 0))
        );
        Ok(())
    }

    /// With the list on the stack: a new list whose element at `index` is `value`.
    pub(super) fn list_replaced(&mut self, index: &Expr, value_local: u32, elem: &Ty, span: Span) -> Out {
        let list = self.temp(ValType::I32);
        self.emit(I::LocalSet(list));
        let i = self.temp(ValType::I64);
        self.expr(index)?;
        wasm!(self;
            local.tee(i) local.get(list) i32.load(mem(0, 0)) i64.extend_i32_u i64.ge_u
        );
        self.abort_if(AbortCode::IndexOutOfRange);
        let (block, _) = self.list_copy(list, 0);
        let (i32_index, address) = (self.temp(ValType::I32), self.temp(ValType::I32));
        wasm!(self;
            local.get(i) i32.wrap_i64 local.set(i32_index)
        );
        self.slot_address(block, i32_index);
        self.emit(I::LocalSet(address));
        self.emit(I::LocalGet(value_local));
        self.store_slot(address, 0, elem, span)?;
        self.emit(I::LocalGet(block));
        Ok(())
    }

    /// `for x in xs { body }`.
    pub(super) fn list_loop(
        &mut self,
        pattern: &Pattern,
        list: &Expr,
        elem: &Ty,
        body: &Block,
        span: Span,
    ) -> Out {
        let vt = repr(elem).and_then(Repr::val_type).ok_or_else(|| unsupported(span, "this loop"))?;
        let (l, count, i, item) =
            (self.temp(ValType::I32), self.temp(ValType::I32), self.temp(ValType::I32), self.temp(vt));
        // Zeroed here, not by the function's start: an enclosing loop
        // runs this code again.
        self.emit(I::I32Const(0));
        self.emit(I::LocalSet(i));
        self.expr(list)?;
        wasm!(self;
            local.tee(l) i32.load(mem(0, 0)) local.set(count)
        );
        self.while_below(i, count, |f, labels| {
            let address = f.temp(ValType::I32);
            f.slot_address(l, i);
            f.emit(I::LocalTee(address));
            f.load_slot(0, elem, span)?;
            f.emit(I::LocalSet(item));
            f.bind_pattern_value(pattern, item, elem)?;
            f.continue_block(|f, continue_depth| f.loop_body(body, labels.break_depth, continue_depth))?;
            f.increment(i);
            Ok(())
        })
    }

    // ------------------------------------------------------------ encoding

    /// Encodes the list in local `v`: a big-endian count, then each element.
    pub(super) fn encode_list(&mut self, v: u32, elem: &Ty, span: Span) -> Result<(u32, u32), Diagnostic> {
        let [count, pairs, i, total, p, at, e_ptr, e_len] = [0; 8].map(|_| self.temp(ValType::I32));
        wasm!(self;
            local.get(v) i32.load(mem(0, 0)) local.tee(count)
        );
        // A table of (pointer, length) of each element's encoding.
        self.emit(I::I32Const(8));
        self.emit(I::I32Mul);
        self.call_rt(Runtime::Alloc);
        wasm!(self;
            local.set(pairs) i32.const(4) local.set(total)
        );
        self.counted_loop(i, count, |f, _| {
            let address = f.temp(ValType::I32);
            f.slot_address(v, i);
            f.emit(I::LocalTee(address));
            f.load_slot(0, elem, span)?;
            let (ep, el) = f.encode_value(elem, span)?;
            wasm!(f;
                local.get(pairs) local.get(i) i32.const(8) i32.mul i32.add local.tee(address)
                local.get(ep) i32.store(mem(0, 0)) local.get(address) local.get(el) i32.store(mem(4, 0)) local.get(total)
                local.get(el) i32.add local.set(total)
            );
            Ok(())
        })?;
        self.alloc_counted(total, count, p, at);
        let j = self.temp(ValType::I32);
        self.counted_loop(j, count, |f, _| {
            wasm!(f;
                local.get(pairs) local.get(j) i32.const(8) i32.mul i32.add local.tee(e_ptr)
                i32.load(mem(4, 0)) local.set(e_len) local.get(at) local.get(e_ptr) i32.load(mem(0, 0)) local.get(e_len)
            );
            f.call_rt(Runtime::Copy);
            wasm!(f;
                local.get(at) local.get(e_len) i32.add local.set(at)
            );
            Ok(())
        })?;
        Ok((p, total))
    }

    /// Pushes the length of the list encoding at `ptr`; with `decode`, also
    /// builds the list and leaves it in the returned local.
    pub(super) fn walk_list(
        &mut self,
        ptr: u32,
        elem: &Ty,
        decode: bool,
        span: Span,
    ) -> Result<u32, Diagnostic> {
        let [count, i, cursor, block] = [0; 4].map(|_| self.temp(ValType::I32));
        self.emit(I::LocalGet(ptr));
        self.emit(I::I32Load(mem(0, 0)));
        self.call_rt(Runtime::Bswap32);
        self.emit(I::LocalSet(count));
        if decode {
            let b = self.list_alloc(count);
            self.emit(I::LocalGet(b));
            self.emit(I::LocalSet(block));
        }
        wasm!(self;
            local.get(ptr) i32.const(4) i32.add local.set(cursor)
        );
        self.counted_loop(i, count, |f, _| {
            if decode {
                let address = f.temp(ValType::I32);
                f.slot_address(block, i);
                f.emit(I::LocalSet(address));
                f.decode_value(cursor, elem, span)?;
                f.store_slot(address, 0, elem, span)?;
            }
            f.encoded_len_at(cursor, elem, span)?;
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
}
