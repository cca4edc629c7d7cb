//! Operators in generated code: literals, checked integer arithmetic,
//! Decimal arithmetic, comparisons and checked conversions.
//!
//! Invariant: integer arithmetic never wraps silently: overflow, underflow
//! and division by zero abort with their codes.

use wasm_encoder::{BlockType, Instruction as I, ValType};
use writ_abi::host::AbortCode;

use super::core::FnCompiler;
use super::core::Runtime;
use super::repr::{Repr, repr, scalar_size, signed};
use super::unsupported;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::types::{IntTy, Ty};

type Out = Result<(), Diagnostic>;

impl<'c, 'a> FnCompiler<'c, 'a> {
    pub(super) fn literal(&mut self, lit: &Lit, ty: &Ty, span: Span, negative: bool) -> Out {
        if *ty == Ty::Decimal {
            return self.decimal_literal(lit, span, negative);
        }
        if let (Ty::Int(IntTy::U128 | IntTy::I128), Lit::Int(digits)) = (ty, lit) {
            // Static 16 bytes, little endian (the checker bounds the value).
            let sign = if negative { "-" } else { "" };
            let text = format!("{sign}{digits}");
            let bytes = match ty {
                Ty::Int(IntTy::U128) => text.parse::<u128>().map(u128::to_le_bytes),
                _ => text.parse::<i128>().map(i128::to_le_bytes),
            }
            .map_err(|_| unsupported(span, "this literal"))?;
            let at = self.ctx.data(&bytes);
            self.emit(I::I32Const(at as i32));
            return Ok(());
        }
        let text_bytes = match lit {
            Lit::Str(text) => Some(text.as_bytes().to_vec()),
            Lit::Bytes(bytes) => Some(bytes.clone()),
            Lit::Hex(digits) if *ty == Ty::Bytes => Some(hex_bytes(digits)),
            _ => None,
        };
        if let Some(bytes) = text_bytes {
            // Static data in the held form: length, then the bytes.
            let mut held = (bytes.len() as u32).to_be_bytes().to_vec();
            held.extend(bytes);
            let at = self.ctx.data(&held);
            self.emit(I::I32Const(at as i32));
            return Ok(());
        }
        match (lit, repr(ty)) {
            (Lit::Bool(b), _) => self.emit(I::I32Const(i32::from(*b))),
            (Lit::Int(digits), Some(Repr::I32)) => {
                let v: u32 = digits.parse().map_err(|_| unsupported(span, "this literal"))?;
                self.emit(I::I32Const(v as i32));
            }
            (Lit::Int(digits), Some(Repr::I64)) => {
                let v: u128 = digits.parse().map_err(|_| unsupported(span, "this literal"))?;
                let v = if negative { (v as i128).wrapping_neg() as i64 } else { v as u64 as i64 };
                self.emit(I::I64Const(v));
            }
            (Lit::Hex(digits), Some(Repr::Ptr)) => {
                let bytes = hex_bytes(digits);
                let at = self.ctx.data(&bytes);
                self.emit(I::I32Const(at as i32));
            }
            _ => return Err(unsupported(span, "this literal")),
        }
        Ok(())
    }

    /// A Decimal literal (or an integer literal where a Decimal is
    /// expected) as static raw bytes.
    pub(super) fn decimal_literal(&mut self, lit: &Lit, span: Span, negative: bool) -> Out {
        let text = match lit {
            Lit::Decimal(text) | Lit::Int(text) => text,
            _ => return Err(unsupported(span, "this literal")),
        };
        let sign = if negative { "-" } else { "" };
        let value: writ_abi::Decimal =
            format!("{sign}{text}").parse().map_err(|_| unsupported(span, "this Decimal literal"))?;
        let at = self.ctx.data(&value.raw().to_le_bytes());
        self.emit(I::I32Const(at as i32));
        Ok(())
    }

    pub(super) fn decimal_zero(&mut self) -> u32 {
        self.ctx.data(&[0u8; 16])
    }

    /// `[a, b]` of Decimals on the stack: leaves a fresh `a op b`.
    pub(super) fn decimal_arith(&mut self, op: BinOp, span: Span) -> Out {
        match op {
            BinOp::Add => self.call_rt(Runtime::DecAdd),
            BinOp::Sub => self.call_rt(Runtime::DecSub),
            BinOp::Mul => self.call_rt(Runtime::DecMul),
            BinOp::Div => {
                let (a, b, out) = (self.temp(ValType::I32), self.temp(ValType::I32), self.temp(ValType::I32));
                wasm!(self;
                    local.set(b) local.set(a) i32.const(16)
                );
                self.call_rt(Runtime::Alloc);
                wasm!(self;
                    local.set(out) local.get(a) local.get(b) local.get(out)
                );
                self.call_host("decimal_div");
                self.emit(I::LocalGet(out));
            }
            _ => return Err(unsupported(span, "this Decimal operation")),
        }
        Ok(())
    }

    /// `[src, places, mode]` on the stack: leaves the rounded Decimal.
    pub(super) fn decimal_round(&mut self) {
        self.call_rt(Runtime::DecRound);
    }

    // ------------------------------------------------------------ operators
    pub(super) fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, span: Span) -> Out {
        let lt = self.ty(lhs);
        let rt = self.ty(rhs);
        match op {
            BinOp::And | BinOp::Or => {
                // Short-circuit: `a && b` is `if a { b } else { false }`.
                self.expr(lhs)?;
                self.emit(I::If(BlockType::Result(ValType::I32)));
                if op == BinOp::And {
                    self.expr(rhs)?;
                    self.emit(I::Else);
                    self.emit(I::I32Const(0));
                } else {
                    self.emit(I::I32Const(1));
                    self.emit(I::Else);
                    self.expr(rhs)?;
                }
                self.emit(I::End);
                Ok(())
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                self.expr(lhs)?;
                self.expr(rhs)?;
                self.compare(op, &lt, span)
            }
            _ => {
                self.expr(lhs)?;
                self.expr(rhs)?;
                self.arith(op, &lt, &rt, span)
            }
        }
    }

    pub(super) fn compare(&mut self, op: BinOp, ty: &Ty, span: Span) -> Out {
        if matches!(ty, Ty::Tuple(_) | Ty::Enum(_)) && !matches!(op, BinOp::Eq | BinOp::Ne) {
            // Key forms sort exactly in the language's order of keys, so
            // ordering compares them byte by byte.
            let b = self.temp(ValType::I32);
            self.emit(I::LocalSet(b));
            let (pa, la) = self.key_form_of_stack(ty, span)?;
            self.emit(I::LocalGet(b));
            let (pb, lb) = self.key_form_of_stack(ty, span)?;
            for local in [pa, la, pb, lb] {
                self.emit(I::LocalGet(local));
            }
            self.call_rt(Runtime::MemCmp);
            self.emit(I::I32Const(0));
            self.emit(match op {
                BinOp::Lt => I::I32LtS,
                BinOp::Le => I::I32LeS,
                BinOp::Gt => I::I32GtS,
                _ => I::I32GeS,
            });
            return Ok(());
        }
        if matches!(
            ty,
            Ty::Struct(_) | Ty::Enum(_) | Ty::Tuple(_) | Ty::List(_) | Ty::Map(..) | Ty::Option(_)
        ) && matches!(op, BinOp::Eq | BinOp::Ne)
        {
            self.record_eq(ty, span)?;
            if op == BinOp::Ne {
                self.emit(I::I32Eqz);
            }
            return Ok(());
        }
        if matches!(ty, Ty::String | Ty::Bytes) && matches!(op, BinOp::Eq | BinOp::Ne) {
            self.call_rt(Runtime::BytesEq);
            if op == BinOp::Ne {
                self.emit(I::I32Eqz);
            }
            return Ok(());
        }
        if matches!(ty, Ty::Decimal | Ty::String | Ty::Bytes | Ty::Int(IntTy::U128 | IntTy::I128)) {
            self.call_rt(match ty {
                // An i128 compares exactly as a Decimal's raw value does.
                Ty::Decimal | Ty::Int(IntTy::I128) => Runtime::DecCmp,
                Ty::Int(IntTy::U128) => Runtime::U128Cmp,
                _ => Runtime::BytesCmp,
            });
            self.emit(I::I32Const(0));
            self.emit(match op {
                BinOp::Eq => I::I32Eq,
                BinOp::Ne => I::I32Ne,
                BinOp::Lt => I::I32LtS,
                BinOp::Le => I::I32LeS,
                BinOp::Gt => I::I32GtS,
                _ => I::I32GeS,
            });
            return Ok(());
        }
        match (repr(ty), ty) {
            (Some(Repr::Ptr), Ty::Address | Ty::Ref(_) | Ty::Hash) => {
                if !matches!(op, BinOp::Eq | BinOp::Ne) {
                    return Err(unsupported(span, "ordering of addresses"));
                }
                self.emit(I::I32Const(scalar_size(ty).unwrap_or(0) as i32));
                self.call_rt(Runtime::MemEq);
                if op == BinOp::Ne {
                    self.emit(I::I32Eqz);
                }
            }
            (Some(Repr::I32), _) => {
                let s = signed(ty);
                self.emit(match (op, s) {
                    (BinOp::Eq, _) => I::I32Eq,
                    (BinOp::Ne, _) => I::I32Ne,
                    (BinOp::Lt, true) => I::I32LtS,
                    (BinOp::Lt, false) => I::I32LtU,
                    (BinOp::Le, true) => I::I32LeS,
                    (BinOp::Le, false) => I::I32LeU,
                    (BinOp::Gt, true) => I::I32GtS,
                    (BinOp::Gt, false) => I::I32GtU,
                    (_, true) => I::I32GeS,
                    (_, false) => I::I32GeU,
                })
            }
            (Some(Repr::I64), _) => {
                let s = signed(ty);
                self.emit(match (op, s) {
                    (BinOp::Eq, _) => I::I64Eq,
                    (BinOp::Ne, _) => I::I64Ne,
                    (BinOp::Lt, true) => I::I64LtS,
                    (BinOp::Lt, false) => I::I64LtU,
                    (BinOp::Le, true) => I::I64LeS,
                    (BinOp::Le, false) => I::I64LeU,
                    (BinOp::Gt, true) => I::I64GtS,
                    (BinOp::Gt, false) => I::I64GtU,
                    (_, true) => I::I64GeS,
                    (_, false) => I::I64GeU,
                })
            }
            _ => return Err(unsupported(span, "comparing these values")),
        }
        Ok(())
    }

    /// Checked arithmetic on the two operands on the stack.
    pub(super) fn arith(&mut self, op: BinOp, lt: &Ty, rt: &Ty, span: Span) -> Out {
        if *lt == Ty::Decimal {
            return self.decimal_arith(op, span);
        }
        if let Ty::Int(int @ (IntTy::U128 | IntTy::I128)) = lt {
            return self.int128_arith(op, *int == IntTy::I128, span);
        }
        if *lt == Ty::Date && op == BinOp::Sub {
            // Days between two dates: both fit in 32 bits, so the 64-bit
            // difference cannot overflow.
            let b = self.temp(ValType::I32);
            self.emit(I::LocalSet(b));
            self.emit(I::I64ExtendI32S);
            self.emit(I::LocalGet(b));
            self.emit(I::I64ExtendI32S);
            self.emit(I::I64Sub);
            return Ok(());
        }
        if matches!(lt, Ty::String | Ty::Bytes) && op == BinOp::Add {
            self.call_rt(Runtime::Concat);
            return Ok(());
        }
        let (a, b) = match repr(lt) {
            Some(Repr::I64) => (self.temp(ValType::I64), self.temp(ValType::I64)),
            Some(Repr::I32) => (self.temp(ValType::I32), self.temp(ValType::I32)),
            _ => return Err(unsupported(span, "arithmetic on these values")),
        };
        self.emit(I::LocalSet(b));
        self.emit(I::LocalSet(a));
        let rt_is_time = *rt == Ty::Timestamp;
        match (lt, op) {
            (Ty::Int(IntTy::I64), _) => self.arith_i64(op, a, b),
            (Ty::Int(IntTy::U64), _) | (Ty::Timestamp, BinOp::Add | BinOp::Sub) => {
                let _ = rt_is_time;
                self.arith_u64(op, a, b);
            }
            (Ty::Int(IntTy::U32), _) => self.arith_u32(op, a, b, u32::MAX as i64),
            (Ty::Int(IntTy::U8), _) => self.arith_u32(op, a, b, u8::MAX as i64),
            _ => return Err(unsupported(span, "arithmetic on these values")),
        }
        Ok(())
    }

    pub(super) fn arith_u64(&mut self, op: BinOp, a: u32, b: u32) {
        let get = |s: &mut Self, l: u32| s.emit(I::LocalGet(l));
        match op {
            BinOp::Add => {
                get(self, a);
                get(self, b);
                self.emit(I::I64Add);
                let r = self.temp(ValType::I64);
                self.emit(I::LocalTee(r));
                get(self, a);
                self.emit(I::I64LtU);
                self.abort_if(AbortCode::Overflow);
                get(self, r);
            }
            BinOp::Sub => {
                get(self, a);
                get(self, b);
                self.emit(I::I64LtU);
                self.abort_if(AbortCode::Overflow);
                get(self, a);
                get(self, b);
                self.emit(I::I64Sub);
            }
            BinOp::Mul => {
                // Overflow iff a != 0 and (a * b) / a != b.
                self.mul_checked_by_division(a, b, false);
            }
            _ => {
                get(self, b);
                self.emit(I::I64Eqz);
                self.abort_if(AbortCode::DivisionByZero);
                get(self, a);
                get(self, b);
                self.emit(if op == BinOp::Div { I::I64DivU } else { I::I64RemU });
            }
        }
    }

    /// Leaves `a * b` of two 64-bit locals, aborting on overflow: it
    /// overflowed iff `a != 0` and `(a * b) / a != b`.
    fn mul_checked_by_division(&mut self, a: u32, b: u32, signed: bool) {
        let r = self.temp(ValType::I64);
        wasm!(self;
            local.get(a) local.get(b) i64.mul local.set(r) local.get(a) i64.const(0)
            i64.ne if(BlockType::Empty) local.get(r) local.get(a)
        );
        self.emit(if signed { I::I64DivS } else { I::I64DivU });
        self.emit(I::LocalGet(b));
        self.emit(I::I64Ne);
        self.abort_if(AbortCode::Overflow);
        self.emit(I::End);
        self.emit(I::LocalGet(r));
    }

    pub(super) fn arith_i64(&mut self, op: BinOp, a: u32, b: u32) {
        let get = |s: &mut Self, l: u32| s.emit(I::LocalGet(l));
        let r = self.temp(ValType::I64);
        match op {
            BinOp::Add | BinOp::Sub => {
                get(self, a);
                get(self, b);
                self.emit(if op == BinOp::Add { I::I64Add } else { I::I64Sub });
                self.emit(I::LocalSet(r));
                // add: (a ^ r) & (b ^ r) < 0; sub: (a ^ b) & (a ^ r) < 0.
                get(self, a);
                if op == BinOp::Add {
                    get(self, r);
                    self.emit(I::I64Xor);
                    get(self, b);
                    get(self, r);
                } else {
                    get(self, b);
                    self.emit(I::I64Xor);
                    get(self, a);
                    get(self, r);
                }
                wasm!(self;
                    i64.xor i64.and i64.const(0) i64.lt_s
                );
                self.abort_if(AbortCode::Overflow);
                get(self, r);
            }
            BinOp::Mul => {
                // MIN * -1 and -1 * MIN overflow; otherwise check by division.
                get(self, a);
                self.emit(I::I64Const(-1));
                self.emit(I::I64Eq);
                get(self, b);
                wasm!(self;
                    i64.const(i64::MIN) i64.eq i32.and
                );
                get(self, b);
                self.emit(I::I64Const(-1));
                self.emit(I::I64Eq);
                get(self, a);
                wasm!(self;
                    i64.const(i64::MIN) i64.eq i32.and i32.or
                );
                self.abort_if(AbortCode::Overflow);
                self.mul_checked_by_division(a, b, true);
            }
            _ => {
                get(self, b);
                self.emit(I::I64Eqz);
                self.abort_if(AbortCode::DivisionByZero);
                if op == BinOp::Div {
                    get(self, a);
                    self.emit(I::I64Const(i64::MIN));
                    self.emit(I::I64Eq);
                    get(self, b);
                    wasm!(self;
                        i64.const(-1) i64.eq i32.and
                    );
                    self.abort_if(AbortCode::Overflow);
                }
                get(self, a);
                get(self, b);
                self.emit(if op == BinOp::Div { I::I64DivS } else { I::I64RemS });
            }
        }
    }

    /// u8 and u32 arithmetic, computed in 64 bits and range-checked.
    pub(super) fn arith_u32(&mut self, op: BinOp, a: u32, b: u32, max: i64) {
        let get = |s: &mut Self, l: u32| s.emit(I::LocalGet(l));
        if matches!(op, BinOp::Div | BinOp::Rem) {
            get(self, b);
            self.emit(I::I32Eqz);
            self.abort_if(AbortCode::DivisionByZero);
            get(self, a);
            get(self, b);
            self.emit(if op == BinOp::Div { I::I32DivU } else { I::I32RemU });
            return;
        }
        let r = self.temp(ValType::I64);
        get(self, a);
        self.emit(I::I64ExtendI32U);
        get(self, b);
        self.emit(I::I64ExtendI32U);
        self.emit(match op {
            BinOp::Add => I::I64Add,
            BinOp::Sub => I::I64Sub,
            _ => I::I64Mul,
        });
        self.emit(I::LocalTee(r));
        // Out of range (including below zero, which wraps high) aborts.
        self.emit(I::I64Const(max));
        self.emit(I::I64GtU);
        self.abort_if(AbortCode::Overflow);
        get(self, r);
        self.emit(I::I32WrapI64);
    }

    pub(super) fn cast(&mut self, inner: &Expr, to: &Ty, span: Span) -> Out {
        let from = self.ty(inner);
        self.expr(inner)?;
        if from == *to || (from == Ty::Decimal && *to == Ty::Decimal) {
            return Ok(());
        }
        let wide = |t: &Ty| matches!(t, Ty::Int(IntTy::U128 | IntTy::I128));
        if wide(&from) || wide(to) {
            return self.cast_int128(&from, to, span);
        }
        if from == Ty::Decimal {
            let target = int_target(to).ok_or_else(|| unsupported(span, "this conversion"))?;
            self.emit(I::I32Const(target));
            self.call_host("decimal_to_int");
            if repr(to) == Some(Repr::I32) {
                self.emit(I::I32WrapI64);
            }
            return Ok(());
        }
        if *to == Ty::Decimal {
            match repr(&from) {
                Some(Repr::I32) => self.emit(I::I64ExtendI32U),
                Some(Repr::I64) => {}
                _ => return Err(unsupported(span, "this conversion")),
            }
            let (v, out) = (self.temp(ValType::I64), self.temp(ValType::I32));
            self.emit(I::LocalSet(v));
            self.emit(I::I32Const(16));
            self.call_rt(Runtime::Alloc);
            wasm!(self;
                local.set(out) local.get(v) i32.const(i32::from(signed(&from))) local.get(out)
            );
            self.call_host("decimal_from_int");
            self.emit(I::LocalGet(out));
            return Ok(());
        }
        let bound = |ty: &Ty| -> Option<(i64, bool)> {
            Some(match ty {
                Ty::Int(IntTy::U8) => (u8::MAX as i64, false),
                Ty::Int(IntTy::U32) => (u32::MAX as i64, false),
                Ty::Int(IntTy::U64) | Ty::Timestamp => (-1, false),
                Ty::Int(IntTy::I64) => (i64::MAX, true),
                _ => return None,
            })
        };
        let (Some(_), Some((to_max, to_signed))) = (bound(&from), bound(to)) else {
            return Err(unsupported(span, "this conversion"));
        };
        // Widen to i64 first.
        if repr(&from) == Some(Repr::I32) {
            self.emit(I::I64ExtendI32U);
        }
        let t = self.temp(ValType::I64);
        self.emit(I::LocalSet(t));
        let from_signed = signed(&from);
        // Negative values fit no unsigned type.
        if from_signed && !to_signed {
            wasm!(self;
                local.get(t) i64.const(0) i64.lt_s
            );
            self.abort_if(AbortCode::Conversion);
        }
        // Too large for the target.
        if to_max != -1 {
            self.emit(I::LocalGet(t));
            self.emit(I::I64Const(to_max));
            self.emit(if from_signed { I::I64GtS } else { I::I64GtU });
            self.abort_if(AbortCode::Conversion);
        }
        self.emit(I::LocalGet(t));
        if repr(to) == Some(Repr::I32) {
            self.emit(I::I32WrapI64);
        }
        Ok(())
    }

    /// `[a, b]` of u128 or i128 on the stack: leaves a fresh `a op b`.
    fn int128_arith(&mut self, op: BinOp, is_signed: bool, span: Span) -> Out {
        use writ_abi::host::Int128Op;
        let inline = match (op, is_signed) {
            (BinOp::Add, true) => Some(Runtime::DecAdd),
            (BinOp::Sub, true) => Some(Runtime::DecSub),
            (BinOp::Add, false) => Some(Runtime::U128Add),
            (BinOp::Sub, false) => Some(Runtime::U128Sub),
            _ => None,
        };
        if let Some(helper) = inline {
            self.call_rt(helper);
            return Ok(());
        }
        let host_op = match (op, is_signed) {
            (BinOp::Mul, false) => Int128Op::MulU,
            (BinOp::Div, false) => Int128Op::DivU,
            (BinOp::Rem, false) => Int128Op::RemU,
            (BinOp::Mul, true) => Int128Op::MulI,
            (BinOp::Div, true) => Int128Op::DivI,
            (BinOp::Rem, true) => Int128Op::RemI,
            _ => return Err(unsupported(span, "this 128-bit operation")),
        };
        let (a, b) = (self.temp(ValType::I32), self.temp(ValType::I32));
        self.emit(I::LocalSet(b));
        self.emit(I::LocalSet(a));
        self.int128_call(host_op, a, Some(b), 16);
        Ok(())
    }

    /// Calls the `int128` host function on local `a` (and `b`, a pointer,
    /// or the number `kind` for `Narrow`) into fresh `size` bytes, which
    /// it leaves on the stack.
    fn int128_call(&mut self, op: writ_abi::host::Int128Op, a: u32, b: Option<u32>, size: i32) {
        let out = self.temp(ValType::I32);
        self.emit(I::I32Const(size));
        self.call_rt(Runtime::Alloc);
        wasm!(self;
            local.set(out) i32.const(op as i32) local.get(a)
        );
        match b {
            Some(b) => self.emit(I::LocalGet(b)),
            None => self.emit(I::I32Const(0)),
        }
        self.emit(I::LocalGet(out));
        self.call_host("int128");
        self.emit(I::LocalGet(out));
    }

    /// `as` to or from u128 / i128, with the value on the stack.
    fn cast_int128(&mut self, from: &Ty, to: &Ty, span: Span) -> Out {
        use writ_abi::host::Int128Op as Op;
        let v = self.temp(ValType::I32);
        match (from, to) {
            (Ty::Int(IntTy::U128), Ty::Int(IntTy::I128)) | (Ty::Int(IntTy::I128), Ty::Int(IntTy::U128)) => {
                self.emit(I::LocalSet(v));
                let op = if *from == Ty::Int(IntTy::U128) { Op::UToI } else { Op::IToU };
                self.int128_call(op, v, None, 16);
            }
            (Ty::Decimal, _) => {
                self.emit(I::LocalSet(v));
                let op = if *to == Ty::Int(IntTy::U128) { Op::DecimalToU } else { Op::DecimalToI };
                self.int128_call(op, v, None, 16);
            }
            (_, Ty::Decimal) => {
                self.emit(I::LocalSet(v));
                let op = if *from == Ty::Int(IntTy::U128) { Op::UToDecimal } else { Op::IToDecimal };
                self.int128_call(op, v, None, 16);
            }
            (Ty::Int(IntTy::U128 | IntTy::I128), narrow) => {
                let Some(target) = int_target(narrow) else {
                    return Err(unsupported(span, "this conversion"));
                };
                self.emit(I::LocalSet(v));
                let target = if *from == Ty::Int(IntTy::I128) { target + 5 } else { target };
                let (k, out) = (self.temp(ValType::I32), self.temp(ValType::I32));
                self.emit(I::I32Const(target));
                self.emit(I::LocalSet(k));
                self.int128_call(Op::Narrow, v, Some(k), 8);
                self.emit(I::LocalTee(out));
                self.emit(I::I64Load(super::core::mem(0, 0)));
                if repr(narrow) == Some(Repr::I32) {
                    self.emit(I::I32WrapI64);
                }
            }
            (small, Ty::Int(wide @ (IntTy::U128 | IntTy::I128))) => {
                if int_target(small).is_none() {
                    return Err(unsupported(span, "this conversion"));
                }
                // Widen: the 64-bit value, then its sign (or zero) above it.
                if repr(small) == Some(Repr::I32) {
                    self.emit(I::I64ExtendI32U);
                }
                let (x, out) = (self.temp(ValType::I64), self.temp(ValType::I32));
                self.emit(I::LocalSet(x));
                let from_signed = signed(small);
                if from_signed && *wide == IntTy::U128 {
                    wasm!(self;
                        local.get(x) i64.const(0) i64.lt_s
                    );
                    self.abort_if(AbortCode::Conversion);
                }
                self.emit(I::I32Const(16));
                self.call_rt(Runtime::Alloc);
                wasm!(self;
                    local.tee(out) local.get(x) i64.store(super::core::mem(0, 0)) local.get(out)
                );
                if from_signed {
                    self.emit(I::LocalGet(x));
                    self.emit(I::I64Const(63));
                    self.emit(I::I64ShrS);
                } else {
                    self.emit(I::I64Const(0));
                }
                self.emit(I::I64Store(super::core::mem(8, 0)));
                self.emit(I::LocalGet(out));
            }
            _ => return Err(unsupported(span, "this conversion")),
        }
        Ok(())
    }
}

/// The host's number for an integer target of a conversion (`decimal_to_int`
/// and `int128`'s `Narrow`): 0 `u64`, 1 `i64`, 2 `u32`, 3 `u8`, 4 `Timestamp`.
fn int_target(ty: &Ty) -> Option<i32> {
    Some(match ty {
        Ty::Int(IntTy::U64) => 0,
        Ty::Int(IntTy::I64) => 1,
        Ty::Int(IntTy::U32) => 2,
        Ty::Int(IntTy::U8) => 3,
        Ty::Timestamp => 4,
        _ => return None,
    })
}

/// The bytes of a hex literal's digits (checked by the lexer: even count, hex only).
pub(super) fn hex_bytes(digits: &str) -> Vec<u8> {
    digits
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).unwrap_or("00");
            u8::from_str_radix(text, 16).unwrap_or(0)
        })
        .collect()
}
