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
        self.emit(I::LocalGet(count));
        self.emit(I::I32Const(8));
        self.emit(I::I32Mul);
        self.emit(I::I32Const(8));
        self.emit(I::I32Add);
    }

    fn list_alloc(&mut self, count: u32) -> u32 {
        let block = self.temp(ValType::I32);
        self.list_bytes(count);
        self.call_rt(Runtime::Alloc);
        self.emit(I::LocalTee(block));
        self.emit(I::LocalGet(count));
        self.emit(I::I32Store(mem(0, 0)));
        block
    }

    /// Pushes the address of slot `index` (a local) of the list in `list`.
    fn slot_address(&mut self, list: u32, index: u32) {
        self.emit(I::LocalGet(list));
        self.emit(I::LocalGet(index));
        self.emit(I::I32Const(8));
        self.emit(I::I32Mul);
        self.emit(I::I32Add);
        self.emit(I::I32Const(8));
        self.emit(I::I32Add);
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
        self.emit(I::LocalTee(i));
        self.emit(I::LocalGet(l));
        self.emit(I::I32Load(mem(0, 0)));
        self.emit(I::I64ExtendI32U);
        self.emit(I::I64GeU);
        self.abort_if(AbortCode::IndexOutOfRange);
        let i32_index = self.temp(ValType::I32);
        self.emit(I::LocalGet(i));
        self.emit(I::I32WrapI64);
        self.emit(I::LocalSet(i32_index));
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
        self.emit(I::LocalGet(list));
        self.emit(I::I32Load(mem(0, 0)));
        self.emit(I::LocalTee(old));
        self.emit(I::I32Const(extra));
        self.emit(I::I32Add);
        self.emit(I::LocalSet(count));
        let block = self.list_alloc(count);
        self.emit(I::LocalGet(block));
        self.emit(I::I32Const(8));
        self.emit(I::I32Add);
        self.emit(I::LocalGet(list));
        self.emit(I::I32Const(8));
        self.emit(I::I32Add);
        self.emit(I::LocalGet(old));
        self.emit(I::I32Const(8));
        self.emit(I::I32Mul);
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
        self.emit(I::LocalGet(list));
        self.emit(I::I32Load(mem(0, 0)));
        self.emit(I::LocalSet(count));
        self.slot_address(list, count);
        self.emit(I::LocalSet(address));
        self.emit(I::LocalGet(v));
        self.store_slot(address, 0, elem, span)?;
        self.emit(I::LocalGet(list));
        self.emit(I::LocalGet(count));
        self.emit(I::I32Const(1));
        self.emit(I::I32Add);
        self.emit(I::I32Store(mem(0, 0)));
        Ok(())
    }

    /// With the list on the stack: a new list whose element at `index` is `value`.
    pub(super) fn list_replaced(&mut self, index: &Expr, value_local: u32, elem: &Ty, span: Span) -> Out {
        let list = self.temp(ValType::I32);
        self.emit(I::LocalSet(list));
        let i = self.temp(ValType::I64);
        self.expr(index)?;
        self.emit(I::LocalTee(i));
        self.emit(I::LocalGet(list));
        self.emit(I::I32Load(mem(0, 0)));
        self.emit(I::I64ExtendI32U);
        self.emit(I::I64GeU);
        self.abort_if(AbortCode::IndexOutOfRange);
        let (block, _) = self.list_copy(list, 0);
        let (i32_index, address) = (self.temp(ValType::I32), self.temp(ValType::I32));
        self.emit(I::LocalGet(i));
        self.emit(I::I32WrapI64);
        self.emit(I::LocalSet(i32_index));
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
        self.emit(I::LocalTee(l));
        self.emit(I::I32Load(mem(0, 0)));
        self.emit(I::LocalSet(count));
        self.while_loop(
            |f| {
                f.below(i, count);
                Ok(())
            },
            |f, labels| {
                let address = f.temp(ValType::I32);
                f.slot_address(l, i);
                f.emit(I::LocalTee(address));
                f.load_slot(0, elem, span)?;
                f.emit(I::LocalSet(item));
                f.bind_pattern_value(pattern, item, elem)?;
                f.continue_block(|f, continue_depth| f.loop_body(body, labels.break_depth, continue_depth))?;
                f.increment(i);
                Ok(())
            },
        )
    }

    // ------------------------------------------------------------ encoding

    /// Encodes the list in local `v`: a big-endian count, then each element.
    pub(super) fn encode_list(&mut self, v: u32, elem: &Ty, span: Span) -> Result<(u32, u32), Diagnostic> {
        let [count, pairs, i, total, p, at, e_ptr, e_len] = [0; 8].map(|_| self.temp(ValType::I32));
        self.emit(I::LocalGet(v));
        self.emit(I::I32Load(mem(0, 0)));
        self.emit(I::LocalTee(count));
        // A table of (pointer, length) of each element's encoding.
        self.emit(I::I32Const(8));
        self.emit(I::I32Mul);
        self.call_rt(Runtime::Alloc);
        self.emit(I::LocalSet(pairs));
        self.emit(I::I32Const(4));
        self.emit(I::LocalSet(total));
        self.counted_loop(i, count, |f, _| {
            let address = f.temp(ValType::I32);
            f.slot_address(v, i);
            f.emit(I::LocalTee(address));
            f.load_slot(0, elem, span)?;
            let (ep, el) = f.encode_value(elem, span)?;
            f.emit(I::LocalGet(pairs));
            f.emit(I::LocalGet(i));
            f.emit(I::I32Const(8));
            f.emit(I::I32Mul);
            f.emit(I::I32Add);
            f.emit(I::LocalTee(address));
            f.emit(I::LocalGet(ep));
            f.emit(I::I32Store(mem(0, 0)));
            f.emit(I::LocalGet(address));
            f.emit(I::LocalGet(el));
            f.emit(I::I32Store(mem(4, 0)));
            f.emit(I::LocalGet(total));
            f.emit(I::LocalGet(el));
            f.emit(I::I32Add);
            f.emit(I::LocalSet(total));
            Ok(())
        })?;
        self.alloc_counted(total, count, p, at);
        let j = self.temp(ValType::I32);
        self.counted_loop(j, count, |f, _| {
            f.emit(I::LocalGet(pairs));
            f.emit(I::LocalGet(j));
            f.emit(I::I32Const(8));
            f.emit(I::I32Mul);
            f.emit(I::I32Add);
            f.emit(I::LocalTee(e_ptr));
            f.emit(I::I32Load(mem(4, 0)));
            f.emit(I::LocalSet(e_len));
            f.emit(I::LocalGet(at));
            f.emit(I::LocalGet(e_ptr));
            f.emit(I::I32Load(mem(0, 0)));
            f.emit(I::LocalGet(e_len));
            f.call_rt(Runtime::Copy);
            f.emit(I::LocalGet(at));
            f.emit(I::LocalGet(e_len));
            f.emit(I::I32Add);
            f.emit(I::LocalSet(at));
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
        self.emit(I::LocalGet(ptr));
        self.emit(I::I32Const(4));
        self.emit(I::I32Add);
        self.emit(I::LocalSet(cursor));
        self.counted_loop(i, count, |f, _| {
            if decode {
                let address = f.temp(ValType::I32);
                f.slot_address(block, i);
                f.emit(I::LocalSet(address));
                f.decode_value(cursor, elem, span)?;
                f.store_slot(address, 0, elem, span)?;
            }
            f.encoded_len_at(cursor, elem, span)?;
            f.emit(I::LocalGet(cursor));
            f.emit(I::I32Add);
            f.emit(I::LocalSet(cursor));
            Ok(())
        })?;
        if !decode {
            self.emit(I::LocalGet(cursor));
            self.emit(I::LocalGet(ptr));
            self.emit(I::I32Sub);
        }
        Ok(block)
    }
}
