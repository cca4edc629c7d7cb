//! Calls in generated code: user functions, built-ins, methods of
//! options and Decimals, and the records of `emit` and `fail`.
//!
//! Invariant: a built-in either has generated code here or is reported as
//! not compilable yet; none is silently skipped.

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

type Out = Result<(), Diagnostic>;

impl<'c, 'a> FnCompiler<'c, 'a> {
    // ------------------------------------------------------------ calls
    pub(super) fn call(&mut self, callee: &Expr, args: &[Expr], ty: &Ty, span: Span) -> Out {
        let ExprKind::Path(path) = &callee.kind else { return Err(unsupported(span, "this call")) };
        if let Some(Def::Variant(_, index)) = self.ctx.typed.def(path.last()) {
            return self.enum_value(index, args, span);
        }
        if let Some(Def::Fn(id)) = self.ctx.typed.def(path.last()) {
            for arg in args {
                self.expr(arg)?;
            }
            let index = self.ctx.user_fn(id);
            self.emit(I::Call(index));
            return Ok(());
        }
        let name = path.last().name.as_str();
        if let (Ty::Ref(_), "at", [address]) = (ty, name, args) {
            // `Registry::at(address)` is the address, now typed.
            return self.expr(address);
        }
        if path.segments.len() == 2 && name == "new" && path.segments[0].name == "List" {
            return self.list_literal(&[], span);
        }
        if path.segments.len() == 2 && name == "new" && path.segments[0].name == "Map" {
            self.map_empty();
            return Ok(());
        }
        if self.ctx.harness.is_some() && self.test_builtin(name, args, span)? {
            return Ok(());
        }
        match (name, args) {
            // Only specs have `old`: its value was taken before the call.
            ("old", [_]) => {
                let local =
                    self.old_values.get(&span).copied().ok_or_else(|| unsupported(span, "`old` here"))?;
                self.emit(I::LocalGet(local));
            }
            ("require", [cond, message]) => {
                let ExprKind::Lit(Lit::Str(text)) = &message.kind else {
                    return Err(unsupported(message.span, "a computed `require` message"));
                };
                self.expr(cond)?;
                self.emit(I::I32Eqz);
                self.emit(I::If(BlockType::Empty));
                let at = self.ctx.data(text.as_bytes());
                wasm!(self;
                    i32.const(AbortCode::Require as i32) i32.const(at as i32) i32.const(text.len() as i32)
                );
                self.call_host("abort");
                self.emit(I::Unreachable);
                self.emit(I::End);
            }
            ("caller" | "contract_address" | "zero_address", []) => {
                self.emit(I::I32Const(20));
                self.call_rt(Runtime::Alloc);
                if name != "zero_address" {
                    let p = self.temp(ValType::I32);
                    self.emit(I::LocalTee(p));
                    self.call_builtin_host(name);
                    self.emit(I::LocalGet(p));
                }
            }
            ("now" | "block_height", []) => self.call_builtin_host(name),
            ("date", [y, m, d]) => {
                self.expr(y)?;
                self.expr(m)?;
                self.expr(d)?;
                self.call_rt(Runtime::DateFromYmd);
            }
            ("sha256" | "sm3", [data]) => {
                let (d, out) = (self.temp(ValType::I32), self.temp(ValType::I32));
                self.expr(data)?;
                self.emit(I::LocalSet(d));
                self.emit(I::I32Const(32));
                self.call_rt(Runtime::Alloc);
                self.emit(I::LocalSet(out));
                self.bytes_args(d);
                self.emit(I::LocalGet(out));
                self.call_builtin_host(name);
                self.emit(I::LocalGet(out));
            }
            ("verify_ed25519", [key, message, signature]) => {
                let locals: Vec<u32> = (0..3).map(|_| self.temp(ValType::I32)).collect();
                for (arg, local) in [key, message, signature].into_iter().zip(&locals) {
                    self.expr(arg)?;
                    self.emit(I::LocalSet(*local));
                }
                for local in locals {
                    self.bytes_args(local);
                }
                self.call_builtin_host("verify_ed25519");
            }
            ("signed_by", [addr]) => {
                self.expr(addr)?;
                self.call_builtin_host("signed_by");
            }
            ("has_role", [role, addr]) => {
                self.expr(role)?;
                self.expr(addr)?;
                self.call_rt(Runtime::HasRole);
            }
            ("grant" | "revoke", [role, addr]) => {
                self.expr(role)?;
                self.expr(addr)?;
                self.emit(I::I32Const(i32::from(name == "grant")));
                self.call_rt(Runtime::SetRole);
            }
            ("min" | "max", [a, b]) => {
                let vt =
                    repr(ty).and_then(Repr::val_type).ok_or_else(|| unsupported(span, "this `min`/`max`"))?;
                let (x, y) = (self.temp(vt), self.temp(vt));
                self.expr(a)?;
                self.emit(I::LocalTee(x));
                self.expr(b)?;
                wasm!(self;
                    local.tee(y) local.get(x) local.get(y)
                );
                self.compare(if name == "min" { BinOp::Lt } else { BinOp::Gt }, ty, span)?;
                self.emit(I::Select);
            }
            ("Some", [value]) => {
                let inner = match ty {
                    Ty::Option(inner) => (**inner).clone(),
                    _ => return Err(unsupported(span, "this `Some`")),
                };
                self.boxed(value, &inner)?;
            }
            _ => return Err(unsupported(span, &format!("the built-in `{name}`"))),
        }
        Ok(())
    }

    /// `place.push(value)`: the list at a variable or in storage is
    /// replaced by a copy with the value appended.
    fn push_into_place(&mut self, place: &Expr, value: &Expr, elem: &Ty, span: Span) -> Out {
        let list_ty = self.ty(place);
        match &place.kind {
            ExprKind::Path(path) if path.is_single() => {
                let Some(Def::Local(local)) = self.ctx.typed.def(path.last()) else {
                    return Err(unsupported(span, "this `push`"));
                };
                let index = self.local_index(local).ok_or_else(|| unsupported(span, "this `push`"))?;
                if self.owned_lists.contains(&local) && repr(elem).and_then(Repr::val_type).is_some() {
                    return self.push_owned(index, value, elem, span);
                }
                self.emit(I::LocalGet(index));
                self.list_pushed(value, elem, span)?;
                self.emit(I::LocalSet(index));
                Ok(())
            }
            ExprKind::Field { receiver, name } if matches!(receiver.kind, ExprKind::SelfValue) => {
                let field = self.storage_index(name)?;
                let key = self.field_key_local(field);
                self.storage_read(key, &list_ty, span, super::storage::AbsentIs::Zero)?;
                self.list_pushed(value, elem, span)?;
                self.storage_write(key, &list_ty, span)
            }
            ExprKind::Index { receiver, index }
                if matches!(&receiver.kind, ExprKind::Field { receiver: inner, .. }
                    if matches!(inner.kind, ExprKind::SelfValue)) =>
            {
                let ExprKind::Field { name, .. } = &receiver.kind else {
                    return Err(unsupported(span, "this `push`"));
                };
                let field = self.storage_index(name)?;
                let key_ty = self.ty(index);
                let key = self.map_key(field, index, &key_ty)?;
                self.storage_read(key, &list_ty, span, super::storage::AbsentIs::MissingKey)?;
                self.list_pushed(value, elem, span)?;
                self.storage_write(key, &list_ty, span)
            }
            // Anywhere else (a field of a struct, an element of a list,
            // an entry of a map held in a variable or in storage): build
            // the longer list and store it back through the enclosing values.
            _ => {
                self.expr(place)?;
                self.list_pushed(value, elem, span)?;
                let rebuilt = self.temp(ValType::I32);
                self.emit(I::LocalSet(rebuilt));
                self.store_to_place(place, rebuilt)
            }
        }
    }

    /// Pushes (pointer to the bytes, their length) of held bytes in `local`.
    fn bytes_args(&mut self, local: u32) {
        wasm!(self;
            local.get(local) i32.const(4) i32.add local.get(local) i32.load(mem(0, 0))
        );
        self.call_rt(Runtime::Bswap32);
    }

    /// Evaluates `value` and leaves a pointer to its canonical encoding.
    pub(super) fn boxed(&mut self, value: &Expr, ty: &Ty) -> Out {
        if matches!(ty, Ty::String | Ty::Bytes) {
            // Held as their encoding already: the option points at it.
            return self.expr(value);
        }
        if matches!(ty, Ty::Struct(_) | Ty::Enum(_) | Ty::Tuple(_) | Ty::Option(_)) {
            self.expr(value)?;
            let (p, _) = self.encode_value(ty, value.span)?;
            self.emit(I::LocalGet(p));
            return Ok(());
        }
        let size = scalar_size(ty).ok_or_else(|| unsupported(value.span, "this value in an `Option`"))?;
        let vt = repr(ty).and_then(Repr::val_type).ok_or_else(|| unsupported(value.span, "this value"))?;
        let v = self.temp(vt);
        self.expr(value)?;
        self.emit(I::LocalSet(v));
        self.emit(I::I32Const(size as i32));
        self.call_rt(Runtime::Alloc);
        let p = self.temp(ValType::I32);
        self.emit(I::LocalTee(p));
        self.emit(I::LocalGet(v));
        self.store_encoded(ty);
        self.emit(I::LocalGet(p));
        Ok(())
    }

    pub(super) fn method(
        &mut self,
        receiver: &Expr,
        method: &Ident,
        args: &[Expr],
        ty: &Ty,
        span: Span,
    ) -> Out {
        match (self.ty(receiver), method.name.as_str()) {
            // A handle is the runner's bytes: a length, then the address.
            (Ty::Handle(_), "address") => {
                self.expr(receiver)?;
                wasm!(self; i32.const(4) i32.add);
                return Ok(());
            }
            (Ty::Handle(_), _) => return self.handle_method(receiver, method, args, ty, span),
            // A reference is held as its address.
            (Ty::Ref(_), "address") => return self.expr(receiver),
            (Ty::Ref(cid), _) => return self.contract_call(receiver, None, cid, method, args, ty, span),
            _ => {}
        }
        // `r.with_gas(n).entry(args)`: the same call, forwarding at most `n`.
        if let ExprKind::MethodCall { receiver: inner, method: with_gas, args: limit } = &receiver.kind
            && with_gas.name == "with_gas"
            && let (Ty::Ref(cid), [limit]) = (self.ty(inner), limit.as_slice())
        {
            return self.contract_call(inner, Some(limit), cid, method, args, ty, span);
        }
        if matches!(receiver.kind, ExprKind::SelfValue) {
            let Some(Def::Fn(id)) = self.ctx.typed.def(method) else {
                return Err(unsupported(span, "this call"));
            };
            for arg in args {
                self.expr(arg)?;
            }
            let index = self.ctx.user_fn(id);
            self.emit(I::Call(index));
            return Ok(());
        }
        // Storage maps: `self.m.get(k)`, `contains`, `insert`, `remove`.
        if let ExprKind::Field { receiver: inner, name } = &receiver.kind
            && matches!(inner.kind, ExprKind::SelfValue)
            && let Ty::Map(key_ty, value_ty) = self.ty(receiver)
        {
            let field = self.storage_index(name)?;
            if method.name == "len" && args.is_empty() {
                return self.storage_map_len(field);
            }
            let Some(key_expr) = args.first() else { return Err(unsupported(span, "this call")) };
            let key = self.map_key(field, key_expr, &key_ty)?;
            return match (method.name.as_str(), args) {
                ("get", [_]) => self.storage_get(key, &value_ty, span),
                ("contains", [_]) => {
                    self.storage_contains(key);
                    Ok(())
                }
                ("insert", [_, value]) => {
                    self.expr(value)?;
                    self.storage_write(key, &value_ty, span)
                }
                ("remove", [_]) => {
                    self.storage_remove(key);
                    Ok(())
                }
                _ => Err(unsupported(span, &format!("the map method `{}`", method.name))),
            };
        }
        let receiver_ty = self.ty(receiver);
        if receiver_ty == Ty::Decimal {
            return self.decimal_method(receiver, method, args, span);
        }
        if let Ty::Map(k, v) = &receiver_ty {
            return match (method.name.as_str(), args) {
                ("get" | "contains", [key]) => self.map_query(receiver, &method.name, Some(key), k, v, span),
                ("len", []) => self.map_query(receiver, "len", None, k, v, span),
                ("insert", [key, value]) => {
                    let vt = repr(v)
                        .and_then(Repr::val_type)
                        .ok_or_else(|| unsupported(span, "this map value"))?;
                    let (value_local, rebuilt) = (self.temp(vt), self.temp(ValType::I32));
                    self.expr(value)?;
                    self.emit(I::LocalSet(value_local));
                    self.expr(receiver)?;
                    self.map_inserted(key, value_local, k, v, span)?;
                    self.emit(I::LocalSet(rebuilt));
                    self.store_to_place(receiver, rebuilt)
                }
                ("remove", [key]) => {
                    let rebuilt = self.temp(ValType::I32);
                    self.expr(receiver)?;
                    self.map_removed(key, k)?;
                    self.emit(I::LocalSet(rebuilt));
                    self.store_to_place(receiver, rebuilt)
                }
                _ => Err(unsupported(span, &format!("the map method `{}`", method.name))),
            };
        }
        match (&receiver_ty, method.name.as_str(), args) {
            (Ty::List(_), "len", []) => {
                self.expr(receiver)?;
                self.list_len();
                return Ok(());
            }
            (Ty::List(elem), "push", [value]) => return self.push_into_place(receiver, value, elem, span),
            (Ty::String | Ty::Bytes, "len", []) => {
                self.expr(receiver)?;
                self.emit(I::I32Load(mem(0, 0)));
                self.call_rt(Runtime::Bswap32);
                self.emit(I::I64ExtendI32U);
                return Ok(());
            }
            (Ty::Timestamp, "date", []) => {
                // Whole days since 1970; beyond year 9999 is no date.
                let t = self.temp(ValType::I64);
                self.expr(receiver)?;
                self.emit(I::I64Const(86_400));
                self.emit(I::I64DivU);
                wasm!(self;
                    local.tee(t) i64.const(i64::from(super::runtime::DAY_MAX)) i64.gt_u
                );
                self.abort_if(AbortCode::Conversion);
                self.emit(I::LocalGet(t));
                self.emit(I::I32WrapI64);
                return Ok(());
            }
            (Ty::Date, "year" | "month" | "day", []) => {
                self.expr(receiver)?;
                let which = match method.name.as_str() {
                    "year" => 0,
                    "month" => 1,
                    _ => 2,
                };
                self.emit(I::I32Const(which));
                self.call_rt(Runtime::DateParts);
                return Ok(());
            }
            (Ty::Date, "add_days", [days]) => {
                let t = self.temp(ValType::I64);
                self.expr(receiver)?;
                self.emit(I::I64ExtendI32S);
                self.expr(days)?;
                // |days| is at most 2^63; adding a date (under 2^22) to it
                // could only wrap for the very extremes, which the range
                // check after catches as long as no wrap occurs: check the
                // operand first.
                let n = self.temp(ValType::I64);
                wasm!(self;
                    local.tee(n) i64.const(i64::from(i32::MIN)) i64.lt_s local.get(n) i64.const(i64::from(i32::MAX))
                );
                self.emit(I::I64GtS);
                self.emit(I::I32Or);
                self.abort_if(AbortCode::Overflow);
                wasm!(self;
                    local.get(n) i64.add local.tee(t) i64.const(i64::from(super::runtime::DAY_MIN)) i64.lt_s local.get(t)
                    i64.const(i64::from(super::runtime::DAY_MAX))
                );
                self.emit(I::I64GtS);
                self.emit(I::I32Or);
                self.abort_if(AbortCode::Overflow);
                self.emit(I::LocalGet(t));
                self.emit(I::I32WrapI64);
                return Ok(());
            }
            // Text is held exactly as bytes are.
            (Ty::String, "as_bytes", []) => return self.expr(receiver),
            (Ty::Hash, "as_bytes", []) => {
                let (h, out) = (self.temp(ValType::I32), self.temp(ValType::I32));
                self.expr(receiver)?;
                self.emit(I::LocalSet(h));
                self.emit(I::I32Const(36));
                self.call_rt(Runtime::Alloc);
                self.emit(I::LocalTee(out));
                self.emit(I::I32Const(32));
                self.call_rt(Runtime::Bswap32);
                wasm!(self;
                    i32.store(mem(0, 0)) local.get(out) i32.const(4) i32.add local.get(h) i32.const(32)
                );
                self.call_rt(Runtime::Copy);
                self.emit(I::LocalGet(out));
                return Ok(());
            }
            _ => {}
        }
        match (&receiver_ty, method.name.as_str(), args) {
            (Ty::Option(inner), "is_some" | "is_none", []) => {
                self.expr(receiver)?;
                if method.name == "is_some" {
                    self.emit(I::I32Const(0));
                    self.emit(I::I32Ne);
                } else {
                    self.emit(I::I32Eqz);
                }
                let _ = inner;
                Ok(())
            }
            (Ty::Option(inner), "unwrap", []) => {
                let p = self.temp(ValType::I32);
                self.expr(receiver)?;
                self.emit(I::LocalTee(p));
                self.emit(I::I32Eqz);
                self.abort_if(AbortCode::NoneUnwrapped);
                self.decode_value(p, inner, span)
            }
            (Ty::Option(inner), "unwrap_or", [default]) => {
                let vt =
                    repr(ty).and_then(Repr::val_type).ok_or_else(|| unsupported(span, "this `unwrap_or`"))?;
                let p = self.temp(ValType::I32);
                self.expr(receiver)?;
                self.emit(I::LocalTee(p));
                self.emit(I::If(BlockType::Result(vt)));
                self.decode_value(p, inner, span)?;
                self.emit(I::Else);
                self.expr(default)?;
                self.emit(I::End);
                Ok(())
            }
            _ => Err(unsupported(span, &format!("the method `{}` here", method.name))),
        }
    }

    pub(super) fn decimal_method(
        &mut self,
        receiver: &Expr,
        method: &Ident,
        args: &[Expr],
        span: Span,
    ) -> Out {
        self.expr(receiver)?;
        // Rounding modes by index: Down 0, Up 1, Floor 2, Ceiling 3, HalfUp 4, HalfDown 5, HalfEven 6.
        let fixed = |places: i32, mode: i32| Some((places, mode));
        let preset = match method.name.as_str() {
            "trunc" => fixed(0, 0),
            "floor" => fixed(0, 2),
            "ceil" => fixed(0, 3),
            _ => None,
        };
        if let Some((places, mode)) = preset {
            self.emit(I::I32Const(places));
            self.emit(I::I32Const(mode));
            self.decimal_round();
            return Ok(());
        }
        match (method.name.as_str(), args) {
            ("round", [places]) => {
                self.expr(places)?;
                self.emit(I::I32Const(6));
                self.decimal_round();
            }
            ("round", [places, mode]) => {
                self.expr(places)?;
                self.expr(mode)?;
                self.decimal_round();
            }
            ("abs", []) => {
                // Negative values are negated (which fails only for the minimum).
                let a = self.temp(ValType::I32);
                self.emit(I::LocalTee(a));
                let zero = self.decimal_zero();
                self.emit(I::I32Const(zero as i32));
                self.call_rt(Runtime::DecCmp);
                wasm!(self;
                    i32.const(0) i32.lt_s if(BlockType::Result(ValType::I32)) i32.const(zero as i32) local.get(a)
                );
                self.call_rt(Runtime::DecSub);
                wasm!(self;
                    else local.get(a) end
                );
            }
            _ => return Err(unsupported(span, &format!("the Decimal method `{}`", method.name))),
        }
        Ok(())
    }

    // ------------------------------------------------------------ records
    /// Encodes record fields (an event's or error's) one after another,
    /// after an optional `u32` prefix; returns (pointer local, length local).
    pub(super) fn encode_fields(
        &mut self,
        prefix: Option<u32>,
        args: &[Expr],
        span: Span,
    ) -> Result<(u32, u32), Diagnostic> {
        let mut parts = Vec::new();
        for arg in args {
            let ty = self.ty(arg);
            self.expr(arg)?;
            parts.push(self.encode_value(&ty, arg.span)?);
        }
        let (p, total, at) = (self.temp(ValType::I32), self.temp(ValType::I32), self.temp(ValType::I32));
        self.emit(I::I32Const(if prefix.is_some() { 4 } else { 0 }));
        for (_, len) in &parts {
            self.emit(I::LocalGet(*len));
            self.emit(I::I32Add);
        }
        self.emit(I::LocalTee(total));
        self.call_rt(Runtime::Alloc);
        self.emit(I::LocalTee(p));
        self.emit(I::LocalSet(at));
        if let Some(index) = prefix {
            self.emit(I::LocalGet(p));
            self.emit(I::I32Const(index as i32));
            self.store_encoded(&Ty::Int(IntTy::U32));
            self.advance(at, 4);
        }
        for (ptr, len) in parts {
            wasm!(self;
                local.get(at) local.get(ptr) local.get(len)
            );
            self.call_rt(Runtime::Copy);
            wasm!(self;
                local.get(at) local.get(len) i32.add local.set(at)
            );
        }
        let _ = span;
        Ok((p, total))
    }

    pub(super) fn record_index(&self, path: &Path) -> Option<u32> {
        match self.ctx.typed.def(path.last()) {
            Some(Def::Event(_, i) | Def::Error(_, i)) => Some(i),
            _ => None,
        }
    }

    pub(super) fn fail(&mut self, error: &Path, args: &[Expr], span: Span) -> Out {
        let index = self.record_index(error).ok_or_else(|| unsupported(span, "this `fail`"))?;
        let (p, len) = self.encode_fields(Some(index), args, span)?;
        wasm!(self;
            i32.const(AbortCode::ContractError as i32) local.get(p) local.get(len)
        );
        self.call_host("abort");
        self.emit(I::Unreachable);
        Ok(())
    }

    pub(super) fn emit_event(&mut self, event: &Path, args: &[Expr], span: Span) -> Out {
        let index = self.record_index(event).ok_or_else(|| unsupported(span, "this `emit`"))?;
        let (p, len) = self.encode_fields(None, args, span)?;
        wasm!(self;
            i32.const(index as i32) local.get(p) local.get(len)
        );
        self.call_host("emit");
        Ok(())
    }
}
