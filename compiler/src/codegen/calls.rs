//! Calls in generated code: user functions, built-ins, methods of
//! options and Decimals, and the records of `emit` and `fail`.
//!
//! Invariant: a built-in either has generated code here or is reported as
//! not compilable yet; none is silently skipped.

use wasm_encoder::{BlockType, Instruction as I, ValType};
use writ_abi::host::AbortCode;

use super::func::FnCompiler;
use super::module::Runtime;
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
        if let Some(Def::Fn(id)) = self.ctx.typed.def(path.last().span) {
            for arg in args {
                self.expr(arg)?;
            }
            let index = self.ctx.user_fn(id);
            self.emit(I::Call(index));
            return Ok(());
        }
        let name = path.last().name.as_str();
        match (name, args) {
            ("require", [cond, message]) => {
                let ExprKind::Lit(Lit::Str(text)) = &message.kind else {
                    return Err(unsupported(message.span, "a computed `require` message"));
                };
                self.expr(cond)?;
                self.emit(I::I32Eqz);
                self.emit(I::If(BlockType::Empty));
                let at = self.ctx.data(text.as_bytes());
                self.emit(I::I32Const(AbortCode::Require as i32));
                self.emit(I::I32Const(at as i32));
                self.emit(I::I32Const(text.len() as i32));
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
                    self.call_host(name);
                    self.emit(I::LocalGet(p));
                }
            }
            ("now" | "block_height", []) => self.call_host(name),
            ("signed_by", [addr]) => {
                self.expr(addr)?;
                self.call_host("signed_by");
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
                self.emit(I::LocalTee(y));
                self.emit(I::LocalGet(x));
                self.emit(I::LocalGet(y));
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

    /// Evaluates `value` and leaves a pointer to its canonical encoding.
    pub(super) fn boxed(&mut self, value: &Expr, ty: &Ty) -> Out {
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
        if matches!(receiver.kind, ExprKind::SelfValue) {
            let Some(Def::Fn(id)) = self.ctx.typed.def(method.span) else {
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
            let key_len = 5 + scalar_size(&key_ty).ok_or_else(|| unsupported(span, "this map key type"))?;
            let Some(key_expr) = args.first() else { return Err(unsupported(span, "this call")) };
            let key = self.map_key(field, key_expr, &key_ty)?;
            return match (method.name.as_str(), args) {
                ("get", [_]) => self.storage_get_option(key, key_len, &value_ty, span),
                ("contains", [_]) => {
                    self.emit(I::LocalGet(key));
                    self.emit(I::I32Const(key_len as i32));
                    self.call_host("storage_read");
                    self.emit(I::I32Const(-1));
                    self.emit(I::I32Ne);
                    Ok(())
                }
                ("insert", [_, value]) => {
                    self.expr(value)?;
                    self.storage_write_scalar_dyn(key, key_len, &value_ty, span)
                }
                ("remove", [_]) => {
                    self.emit(I::LocalGet(key));
                    self.emit(I::I32Const(key_len as i32));
                    self.call_host("storage_remove");
                    Ok(())
                }
                _ => Err(unsupported(span, &format!("the map method `{}`", method.name))),
            };
        }
        let receiver_ty = self.ty(receiver);
        if receiver_ty == Ty::Decimal {
            return self.decimal_method(receiver, method, args, span);
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
                self.emit(I::LocalGet(p));
                self.load_encoded(inner, span)
            }
            (Ty::Option(inner), "unwrap_or", [default]) => {
                let vt =
                    repr(ty).and_then(Repr::val_type).ok_or_else(|| unsupported(span, "this `unwrap_or`"))?;
                let p = self.temp(ValType::I32);
                self.expr(receiver)?;
                self.emit(I::LocalTee(p));
                self.emit(I::If(BlockType::Result(vt)));
                self.emit(I::LocalGet(p));
                self.load_encoded(inner, span)?;
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
                self.emit(I::I32Const(0));
                self.emit(I::I32LtS);
                self.emit(I::If(BlockType::Result(ValType::I32)));
                self.emit(I::I32Const(zero as i32));
                self.emit(I::LocalGet(a));
                self.call_rt(Runtime::DecSub);
                self.emit(I::Else);
                self.emit(I::LocalGet(a));
                self.emit(I::End);
            }
            _ => return Err(unsupported(span, &format!("the Decimal method `{}`", method.name))),
        }
        Ok(())
    }

    // ------------------------------------------------------------ records
    /// Encodes record fields (event or error) into fresh memory; leaves
    /// nothing on the stack and returns (pointer local, length).
    pub(super) fn encode_fields(
        &mut self,
        prefix: Option<u32>,
        args: &[Expr],
        span: Span,
    ) -> Result<(u32, u32), Diagnostic> {
        let mut sizes = Vec::new();
        for arg in args {
            let ty = self.ty(arg);
            sizes.push((
                scalar_size(&ty)
                    .ok_or_else(|| unsupported(arg.span, "this field's type in an event or error"))?,
                ty,
            ));
        }
        let head = if prefix.is_some() { 4 } else { 0 };
        let total = head + sizes.iter().map(|(s, _)| s).sum::<u32>();
        self.emit(I::I32Const(total as i32));
        self.call_rt(Runtime::Alloc);
        let p = self.temp(ValType::I32);
        self.emit(I::LocalSet(p));
        if let Some(index) = prefix {
            self.emit(I::LocalGet(p));
            self.emit(I::I32Const(index as i32));
            self.store_encoded(&Ty::Int(IntTy::U32));
        }
        let mut offset = head;
        for (arg, (size, ty)) in args.iter().zip(sizes) {
            self.emit(I::LocalGet(p));
            self.emit(I::I32Const(offset as i32));
            self.emit(I::I32Add);
            self.expr(arg)?;
            self.store_encoded(&ty);
            offset += size;
        }
        let _ = span;
        Ok((p, total))
    }

    pub(super) fn record_index(&self, path: &Path) -> Option<u32> {
        match self.ctx.typed.def(path.last().span) {
            Some(Def::Event(_, i) | Def::Error(_, i)) => Some(i),
            _ => None,
        }
    }

    pub(super) fn fail(&mut self, error: &Path, args: &[Expr], span: Span) -> Out {
        let index = self.record_index(error).ok_or_else(|| unsupported(span, "this `fail`"))?;
        let (p, len) = self.encode_fields(Some(index), args, span)?;
        self.emit(I::I32Const(AbortCode::ContractError as i32));
        self.emit(I::LocalGet(p));
        self.emit(I::I32Const(len as i32));
        self.call_host("abort");
        self.emit(I::Unreachable);
        Ok(())
    }

    pub(super) fn emit_event(&mut self, event: &Path, args: &[Expr], span: Span) -> Out {
        let index = self.record_index(event).ok_or_else(|| unsupported(span, "this `emit`"))?;
        let (p, len) = self.encode_fields(None, args, span)?;
        self.emit(I::I32Const(index as i32));
        self.emit(I::LocalGet(p));
        self.emit(I::I32Const(len as i32));
        self.call_host("emit");
        Ok(())
    }
}
