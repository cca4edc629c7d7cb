//! Translating one function body (statements and expressions, already
//! checked) into WebAssembly instructions.
//!
//! Invariant: every operation keeps the language's meaning: integer
//! arithmetic is checked (overflow, underflow and division by zero abort
//! with their codes), conversions are checked, storage goes through the
//! host with the documented key layout, and values are left on the Wasm
//! stack in the representation `repr.rs` gives their type.

use std::collections::HashMap;

use wasm_encoder::{BlockType, Instruction as I, MemArg, ValType};
use writ_abi::host::AbortCode;

use super::module::{Ctx, Runtime};
use super::repr::{Repr, repr, scalar_size, signed};
use super::unsupported;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::types::{Def, IntTy, LocalId, Ty};

type Out = Result<(), Diagnostic>;

pub(super) fn mem(offset: u64, align: u32) -> MemArg {
    MemArg { offset, align, target: wasm_encoder::MemArgTarget::Memory(0), ordering: None }
}

/// What a loop's `break` and `continue` jump to, as block depths.
#[derive(Clone, Copy)]
struct LoopLabels {
    break_depth: u32,
    continue_depth: u32,
}

pub(super) struct FnCompiler<'c, 'a> {
    pub ctx: &'c mut Ctx<'a>,
    pub params: Vec<ValType>,
    pub locals: Vec<ValType>,
    pub code: Vec<I<'static>>,
    local_map: HashMap<LocalId, u32>,
    depth: u32,
    loops: Vec<LoopLabels>,
}

impl<'c, 'a> FnCompiler<'c, 'a> {
    pub fn new(ctx: &'c mut Ctx<'a>) -> Self {
        FnCompiler {
            ctx,
            params: Vec::new(),
            locals: Vec::new(),
            code: Vec::new(),
            local_map: HashMap::new(),
            depth: 0,
            loops: Vec::new(),
        }
    }

    pub fn emit(&mut self, i: I<'static>) {
        match i {
            I::Block(_) | I::Loop(_) | I::If(_) => self.depth += 1,
            I::End => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        self.code.push(i);
    }

    /// A fresh local of the given type.
    pub fn temp(&mut self, ty: ValType) -> u32 {
        self.locals.push(ty);
        (self.params.len() + self.locals.len() - 1) as u32
    }

    pub fn param(&mut self, local: LocalId, ty: ValType) -> u32 {
        self.params.push(ty);
        let index = (self.params.len() - 1) as u32;
        self.local_map.insert(local, index);
        index
    }

    fn bind(&mut self, local: LocalId, ty: &Ty, span: Span) -> Result<Option<u32>, Diagnostic> {
        let r = repr(ty)
            .ok_or_else(|| unsupported(span, &format!("a value of type `{}`", self.ctx.display(ty))))?;
        Ok(r.val_type().map(|vt| {
            let index = self.temp(vt);
            self.local_map.insert(local, index);
            index
        }))
    }

    pub fn call_rt(&mut self, f: Runtime) {
        let index = self.ctx.runtime(f);
        self.emit(I::Call(index));
    }

    pub fn call_host(&mut self, name: &str) {
        let index = self.ctx.host(name);
        self.emit(I::Call(index));
    }

    /// Aborts the call with a code and no data.
    pub fn abort(&mut self, code: AbortCode) {
        self.emit(I::I32Const(code as i32));
        self.call_rt(Runtime::Trap);
        self.emit(I::Unreachable);
    }

    /// `if <top of stack> { abort(code) }`.
    pub fn abort_if(&mut self, code: AbortCode) {
        self.emit(I::If(BlockType::Empty));
        self.abort(code);
        self.emit(I::End);
    }

    fn ty(&self, e: &Expr) -> Ty {
        self.ctx.typed.ty(e.span)
    }

    // ------------------------------------------------------------ blocks

    /// Emits a block, leaving its value (if any) on the stack.
    pub fn block(&mut self, block: &Block) -> Out {
        let value_stmt = match (&block.tail, block.stmts.last()) {
            (None, Some(Stmt { kind: StmtKind::Expr { expr, semi: false }, .. })) => Some(expr),
            _ => None,
        };
        for (i, stmt) in block.stmts.iter().enumerate() {
            if i + 1 == block.stmts.len()
                && let Some(expr) = value_stmt
            {
                self.expr(expr)?;
                continue;
            }
            self.stmt(stmt)?;
        }
        if let Some(tail) = &block.tail {
            self.expr(tail)?;
        }
        Ok(())
    }

    fn stmt(&mut self, stmt: &Stmt) -> Out {
        match &stmt.kind {
            StmtKind::Let { name, value, .. } => {
                self.expr(value)?;
                let Some(Def::Local(local)) = self.ctx.typed.def(name.span) else {
                    // `_` binds nothing: evaluate and drop.
                    let ty = self.ty(value);
                    return self.drop_value(&ty, value.span);
                };
                let ty = self.ctx.local_ty(local);
                if let Some(index) = self.bind(local, &ty, name.span)? {
                    self.emit(I::LocalSet(index));
                }
                Ok(())
            }
            StmtKind::Assign { target, op, value } => self.assign(target, *op, value),
            StmtKind::Expr { expr, .. } => {
                self.expr(expr)?;
                let ty = self.ty(expr);
                self.drop_value(&ty, expr.span)
            }
            StmtKind::While { cond, body } => {
                self.emit(I::Block(BlockType::Empty));
                let break_depth = self.depth;
                self.emit(I::Loop(BlockType::Empty));
                let continue_depth = self.depth;
                self.expr(cond)?;
                self.emit(I::I32Eqz);
                self.emit(I::BrIf(self.depth - break_depth));
                self.loops.push(LoopLabels { break_depth, continue_depth });
                self.block(body)?;
                self.drop_block_value(body)?;
                self.loops.pop();
                self.emit(I::Br(self.depth - continue_depth));
                self.emit(I::End);
                self.emit(I::End);
                Ok(())
            }
            StmtKind::For { pattern, iter, body } => self.for_loop(pattern, iter, body, stmt.span),
            StmtKind::Empty | StmtKind::Error => Ok(()),
        }
    }

    fn drop_value(&mut self, ty: &Ty, span: Span) -> Out {
        match repr(ty) {
            Some(Repr::None) => {}
            Some(_) => self.emit(I::Drop),
            None => return Err(unsupported(span, &format!("a value of type `{}`", self.ctx.display(ty)))),
        }
        Ok(())
    }

    fn drop_block_value(&mut self, block: &Block) -> Out {
        if let Some(tail) = &block.tail {
            let ty = self.ty(tail);
            return self.drop_value(&ty, tail.span);
        }
        if let Some(Stmt { kind: StmtKind::Expr { expr, semi: false }, .. }) = block.stmts.last() {
            let ty = self.ty(expr);
            return self.drop_value(&ty, expr.span);
        }
        Ok(())
    }

    fn for_loop(&mut self, pattern: &Pattern, iter: &ForIter, body: &Block, span: Span) -> Out {
        let ForIter::Range(lo, hi) = iter else {
            return Err(unsupported(span, "a `for` loop over a list or map"));
        };
        let PatternKind::Name(name) = &pattern.kind else {
            return Err(unsupported(pattern.span, "this loop pattern"));
        };
        let ty = self.ty(lo);
        let Some(Repr::I32 | Repr::I64) = repr(&ty) else {
            return Err(unsupported(span, "this range"));
        };
        let wide = repr(&ty) == Some(Repr::I64);
        let vt = if wide { ValType::I64 } else { ValType::I32 };
        let counter = match self.ctx.typed.def(name.span) {
            Some(Def::Local(local)) => self.bind(local, &ty, name.span)?.unwrap_or(0),
            _ => self.temp(vt),
        };
        let end = self.temp(vt);
        self.expr(lo)?;
        self.emit(I::LocalSet(counter));
        self.expr(hi)?;
        self.emit(I::LocalSet(end));
        self.emit(I::Block(BlockType::Empty));
        let break_depth = self.depth;
        self.emit(I::Loop(BlockType::Empty));
        let loop_depth = self.depth;
        self.emit(I::LocalGet(counter));
        self.emit(I::LocalGet(end));
        self.emit(match (wide, signed(&ty)) {
            (true, true) => I::I64GeS,
            (true, false) => I::I64GeU,
            (false, _) => I::I32GeU,
        });
        self.emit(I::BrIf(self.depth - break_depth));
        self.emit(I::Block(BlockType::Empty));
        let continue_depth = self.depth;
        self.loops.push(LoopLabels { break_depth, continue_depth });
        self.block(body)?;
        self.drop_block_value(body)?;
        self.loops.pop();
        self.emit(I::End);
        // The counter never passes `end`, so adding one cannot overflow.
        self.emit(I::LocalGet(counter));
        self.emit(if wide { I::I64Const(1) } else { I::I32Const(1) });
        self.emit(if wide { I::I64Add } else { I::I32Add });
        self.emit(I::LocalSet(counter));
        self.emit(I::Br(self.depth - loop_depth));
        self.emit(I::End);
        self.emit(I::End);
        Ok(())
    }

    fn assign(&mut self, target: &Expr, op: AssignOp, value: &Expr) -> Out {
        let target_ty = self.ty(target);
        let compound = |this: &mut Self| -> Out {
            // The new value: old (already on the stack) op value.
            this.expr(value)?;
            let bin = if op == AssignOp::Add { BinOp::Add } else { BinOp::Sub };
            let value_ty = this.ty(value);
            this.arith(bin, &target_ty, &value_ty, target.span)
        };
        match &target.kind {
            ExprKind::Path(path) if path.is_single() => {
                let Some(Def::Local(local)) = self.ctx.typed.def(path.span) else {
                    return Err(unsupported(target.span, "this assignment"));
                };
                let index =
                    *self.local_map.get(&local).ok_or_else(|| unsupported(target.span, "this assignment"))?;
                if op == AssignOp::Assign {
                    self.expr(value)?;
                } else {
                    self.emit(I::LocalGet(index));
                    compound(self)?;
                }
                self.emit(I::LocalSet(index));
                Ok(())
            }
            ExprKind::Field { receiver, name } if matches!(receiver.kind, ExprKind::SelfValue) => {
                let field = self.storage_index(name)?;
                let key = self.ctx.field_key(field);
                if op != AssignOp::Assign {
                    self.storage_read_scalar(key, 5, &target_ty, target.span, AbsentIs::Zero)?;
                    compound(self)?;
                } else {
                    self.expr(value)?;
                }
                self.storage_write_scalar_static(key, &target_ty, target.span)
            }
            ExprKind::Index { receiver, index } => {
                let ExprKind::Field { receiver: inner, name } = &receiver.kind else {
                    return Err(unsupported(target.span, "assigning into a collection held in a variable"));
                };
                if !matches!(inner.kind, ExprKind::SelfValue) {
                    return Err(unsupported(target.span, "assigning into a collection held in a variable"));
                }
                let field = self.storage_index(name)?;
                let key_ty = self.ty(index);
                let key = self.map_key(field, index, &key_ty)?;
                let key_len = 5 + scalar_size(&key_ty).unwrap_or(0);
                if op != AssignOp::Assign {
                    self.storage_read_scalar_dyn(
                        key,
                        key_len,
                        &target_ty,
                        target.span,
                        AbsentIs::MissingKey,
                    )?;
                    compound(self)?;
                } else {
                    self.expr(value)?;
                }
                self.storage_write_scalar_dyn(key, key_len, &target_ty, target.span)
            }
            _ => Err(unsupported(target.span, "this kind of assignment target")),
        }
    }

    fn storage_index(&self, name: &Ident) -> Result<u32, Diagnostic> {
        match self.ctx.typed.def(name.span) {
            Some(Def::Storage(_, index)) => Ok(index),
            _ => Err(unsupported(name.span, "this storage access")),
        }
    }

    // ------------------------------------------------------------ expressions

    pub fn expr(&mut self, e: &Expr) -> Out {
        let ty = self.ty(e);
        if repr(&ty).is_none() {
            return Err(unsupported(e.span, &format!("a value of type `{}`", self.ctx.display(&ty))));
        }
        match &e.kind {
            ExprKind::Lit(lit) => self.literal(lit, &ty, e.span, false),
            ExprKind::Paren(inner) => self.expr(inner),
            ExprKind::Path(path) => self.path(path, &ty, e.span),
            ExprKind::Unary { op: UnOp::Not, operand } => {
                self.expr(operand)?;
                self.emit(I::I32Eqz);
                Ok(())
            }
            ExprKind::Unary { op: UnOp::Neg, operand } => {
                if let ExprKind::Lit(lit) = &operand.kind {
                    return self.literal(lit, &ty, e.span, true);
                }
                if ty == Ty::Decimal {
                    let zero = self.decimal_zero();
                    self.emit(I::I32Const(zero as i32));
                    self.expr(operand)?;
                    self.call_rt(Runtime::DecSub);
                    return Ok(());
                }
                // 0 - x, checked.
                let t = self.temp(ValType::I64);
                self.expr(operand)?;
                self.emit(I::LocalTee(t));
                self.emit(I::I64Const(i64::MIN));
                self.emit(I::I64Eq);
                self.abort_if(AbortCode::Overflow);
                self.emit(I::I64Const(0));
                self.emit(I::LocalGet(t));
                self.emit(I::I64Sub);
                Ok(())
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e.span),
            ExprKind::Cast { expr, .. } => self.cast(expr, &ty, e.span),
            ExprKind::Call { callee, args } => self.call(callee, args, &ty, e.span),
            ExprKind::MethodCall { receiver, method, args } => {
                self.method(receiver, method, args, &ty, e.span)
            }
            ExprKind::Field { receiver, name } if matches!(receiver.kind, ExprKind::SelfValue) => {
                let field = self.storage_index(name)?;
                let key = self.ctx.field_key(field);
                self.storage_read_scalar(key, 5, &ty, e.span, AbsentIs::Zero)
            }
            ExprKind::Index { receiver, index } => {
                let ExprKind::Field { receiver: inner, name } = &receiver.kind else {
                    return Err(unsupported(e.span, "indexing a collection held in a variable"));
                };
                if !matches!(inner.kind, ExprKind::SelfValue) {
                    return Err(unsupported(e.span, "indexing a collection held in a variable"));
                }
                let field = self.storage_index(name)?;
                let key_ty = self.ty(index);
                let key = self.map_key(field, index, &key_ty)?;
                let key_len = 5 + scalar_size(&key_ty).unwrap_or(0);
                self.storage_read_scalar_dyn(key, key_len, &ty, e.span, AbsentIs::MissingKey)
            }
            ExprKind::Block(block) => self.block(block),
            ExprKind::If { cond, then_block, else_branch } => {
                self.expr(cond)?;
                let result = match repr(&ty).and_then(Repr::val_type) {
                    Some(vt) if else_branch.is_some() => Some(vt),
                    _ => None,
                };
                self.emit(I::If(result.map_or(BlockType::Empty, BlockType::Result)));
                let block_type_empty = result.is_none();
                self.block(then_block)?;
                if block_type_empty {
                    self.drop_block_value(then_block)?;
                }
                if let Some(other) = else_branch {
                    self.emit(I::Else);
                    self.expr(other)?;
                    if block_type_empty {
                        let other_ty = self.ty(other);
                        self.drop_value(&other_ty, other.span)?;
                    }
                }
                self.emit(I::End);
                Ok(())
            }
            ExprKind::Return(value) => {
                if let Some(v) = value {
                    self.expr(v)?;
                }
                self.emit(I::Return);
                Ok(())
            }
            ExprKind::Break | ExprKind::Continue => {
                let Some(labels) = self.loops.last().copied() else { return Ok(()) };
                let target = if matches!(e.kind, ExprKind::Break) {
                    labels.break_depth
                } else {
                    labels.continue_depth
                };
                self.emit(I::Br(self.depth - target));
                Ok(())
            }
            ExprKind::Fail { error, args } => self.fail(error, args, e.span),
            ExprKind::Emit { event, args } => self.emit_event(event, args, e.span),
            ExprKind::Match { .. } => Err(unsupported(e.span, "`match`")),
            ExprKind::Tuple(items) if items.is_empty() => Ok(()),
            _ => Err(unsupported(e.span, "this expression")),
        }
    }

    fn literal(&mut self, lit: &Lit, ty: &Ty, span: Span, negative: bool) -> Out {
        if *ty == Ty::Decimal {
            return self.decimal_literal(lit, span, negative);
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
    fn decimal_literal(&mut self, lit: &Lit, span: Span, negative: bool) -> Out {
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

    fn decimal_zero(&mut self) -> u32 {
        self.ctx.data(&[0u8; 16])
    }

    /// `[a, b]` of Decimals on the stack: leaves a fresh `a op b`.
    fn decimal_arith(&mut self, op: BinOp, span: Span) -> Out {
        match op {
            BinOp::Add => self.call_rt(Runtime::DecAdd),
            BinOp::Sub => self.call_rt(Runtime::DecSub),
            BinOp::Mul | BinOp::Div => {
                let (a, b, out) = (self.temp(ValType::I32), self.temp(ValType::I32), self.temp(ValType::I32));
                self.emit(I::LocalSet(b));
                self.emit(I::LocalSet(a));
                self.emit(I::I32Const(16));
                self.call_rt(Runtime::Alloc);
                self.emit(I::LocalSet(out));
                self.emit(I::LocalGet(a));
                self.emit(I::LocalGet(b));
                self.emit(I::LocalGet(out));
                self.call_host(if op == BinOp::Mul { "decimal_mul" } else { "decimal_div" });
                self.emit(I::LocalGet(out));
            }
            _ => return Err(unsupported(span, "this Decimal operation")),
        }
        Ok(())
    }

    /// `[src, places, mode]` on the stack: leaves a fresh rounded Decimal.
    fn decimal_round(&mut self) {
        let (src, places, mode, out) = (
            self.temp(ValType::I32),
            self.temp(ValType::I32),
            self.temp(ValType::I32),
            self.temp(ValType::I32),
        );
        self.emit(I::LocalSet(mode));
        self.emit(I::LocalSet(places));
        self.emit(I::LocalSet(src));
        self.emit(I::I32Const(16));
        self.call_rt(Runtime::Alloc);
        self.emit(I::LocalSet(out));
        for l in [src, places, mode, out] {
            self.emit(I::LocalGet(l));
        }
        self.call_host("decimal_round");
        self.emit(I::LocalGet(out));
    }

    fn path(&mut self, path: &Path, ty: &Ty, span: Span) -> Out {
        if *ty == Ty::Rounding {
            let modes = ["Down", "Up", "Floor", "Ceiling", "HalfUp", "HalfDown", "HalfEven"];
            let index = modes
                .iter()
                .position(|m| *m == path.last().name)
                .ok_or_else(|| unsupported(span, "this rounding mode"))?;
            self.emit(I::I32Const(index as i32));
            return Ok(());
        }
        if path.is_single() && path.last().name == "None" && self.ctx.typed.def(path.last().span).is_none() {
            self.emit(I::I32Const(0));
            return Ok(());
        }
        match self.ctx.typed.def(path.span).or_else(|| self.ctx.typed.def(path.last().span)) {
            Some(Def::Local(local)) => {
                let index = *self.local_map.get(&local).ok_or_else(|| unsupported(span, "this variable"))?;
                self.emit(I::LocalGet(index));
                Ok(())
            }
            Some(Def::Role(_, index)) => {
                self.emit(I::I32Const(index as i32));
                Ok(())
            }
            Some(Def::Const(id)) => {
                let value = self.ctx.const_value(id).ok_or_else(|| unsupported(span, "this constant"))?;
                match &value.kind {
                    ExprKind::Lit(lit) => self.literal(lit, ty, span, false),
                    ExprKind::Unary { op: UnOp::Neg, operand } => match &operand.kind {
                        ExprKind::Lit(lit) => self.literal(lit, ty, span, true),
                        _ => Err(unsupported(span, "this constant")),
                    },
                    _ => Err(unsupported(span, "this constant")),
                }
            }
            _ => Err(unsupported(span, "this name")),
        }
    }

    // ------------------------------------------------------------ operators

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, span: Span) -> Out {
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

    fn compare(&mut self, op: BinOp, ty: &Ty, span: Span) -> Out {
        if *ty == Ty::Decimal {
            self.call_rt(Runtime::DecCmp);
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
            (Some(Repr::Ptr), Ty::Address | Ty::Hash) => {
                if !matches!(op, BinOp::Eq | BinOp::Ne) {
                    return Err(unsupported(span, "ordering of addresses"));
                }
                self.emit(I::I32Const(scalar_size(ty).unwrap_or(0) as i32));
                self.call_rt(Runtime::MemEq);
                if op == BinOp::Ne {
                    self.emit(I::I32Eqz);
                }
            }
            (Some(Repr::I32), _) => self.emit(match op {
                BinOp::Eq => I::I32Eq,
                BinOp::Ne => I::I32Ne,
                BinOp::Lt => I::I32LtU,
                BinOp::Le => I::I32LeU,
                BinOp::Gt => I::I32GtU,
                _ => I::I32GeU,
            }),
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
    fn arith(&mut self, op: BinOp, lt: &Ty, rt: &Ty, span: Span) -> Out {
        if *lt == Ty::Decimal {
            return self.decimal_arith(op, span);
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

    fn arith_u64(&mut self, op: BinOp, a: u32, b: u32) {
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
                get(self, a);
                get(self, b);
                self.emit(I::I64Mul);
                let r = self.temp(ValType::I64);
                self.emit(I::LocalSet(r));
                get(self, a);
                self.emit(I::I64Const(0));
                self.emit(I::I64Ne);
                self.emit(I::If(BlockType::Empty));
                get(self, r);
                get(self, a);
                self.emit(I::I64DivU);
                get(self, b);
                self.emit(I::I64Ne);
                self.abort_if(AbortCode::Overflow);
                self.emit(I::End);
                get(self, r);
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

    fn arith_i64(&mut self, op: BinOp, a: u32, b: u32) {
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
                self.emit(I::I64Xor);
                self.emit(I::I64And);
                self.emit(I::I64Const(0));
                self.emit(I::I64LtS);
                self.abort_if(AbortCode::Overflow);
                get(self, r);
            }
            BinOp::Mul => {
                // MIN * -1 and -1 * MIN overflow; otherwise check by division.
                get(self, a);
                self.emit(I::I64Const(-1));
                self.emit(I::I64Eq);
                get(self, b);
                self.emit(I::I64Const(i64::MIN));
                self.emit(I::I64Eq);
                self.emit(I::I32And);
                get(self, b);
                self.emit(I::I64Const(-1));
                self.emit(I::I64Eq);
                get(self, a);
                self.emit(I::I64Const(i64::MIN));
                self.emit(I::I64Eq);
                self.emit(I::I32And);
                self.emit(I::I32Or);
                self.abort_if(AbortCode::Overflow);
                get(self, a);
                get(self, b);
                self.emit(I::I64Mul);
                self.emit(I::LocalSet(r));
                get(self, a);
                self.emit(I::I64Const(0));
                self.emit(I::I64Ne);
                self.emit(I::If(BlockType::Empty));
                get(self, r);
                get(self, a);
                self.emit(I::I64DivS);
                get(self, b);
                self.emit(I::I64Ne);
                self.abort_if(AbortCode::Overflow);
                self.emit(I::End);
                get(self, r);
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
                    self.emit(I::I64Const(-1));
                    self.emit(I::I64Eq);
                    self.emit(I::I32And);
                    self.abort_if(AbortCode::Overflow);
                }
                get(self, a);
                get(self, b);
                self.emit(if op == BinOp::Div { I::I64DivS } else { I::I64RemS });
            }
        }
    }

    /// u8 and u32 arithmetic, computed in 64 bits and range-checked.
    fn arith_u32(&mut self, op: BinOp, a: u32, b: u32, max: i64) {
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

    fn cast(&mut self, inner: &Expr, to: &Ty, span: Span) -> Out {
        let from = self.ty(inner);
        self.expr(inner)?;
        if from == Ty::Decimal && *to == Ty::Decimal {
            return Ok(());
        }
        if from == Ty::Decimal {
            let target = match to {
                Ty::Int(IntTy::U64) => 0,
                Ty::Int(IntTy::I64) => 1,
                Ty::Int(IntTy::U32) => 2,
                Ty::Int(IntTy::U8) => 3,
                Ty::Timestamp => 4,
                _ => return Err(unsupported(span, "this conversion")),
            };
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
            self.emit(I::LocalSet(out));
            self.emit(I::LocalGet(v));
            self.emit(I::I32Const(i32::from(signed(&from))));
            self.emit(I::LocalGet(out));
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
            self.emit(I::LocalGet(t));
            self.emit(I::I64Const(0));
            self.emit(I::I64LtS);
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

    // ------------------------------------------------------------ calls

    fn call(&mut self, callee: &Expr, args: &[Expr], ty: &Ty, span: Span) -> Out {
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
    fn boxed(&mut self, value: &Expr, ty: &Ty) -> Out {
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

    fn method(&mut self, receiver: &Expr, method: &Ident, args: &[Expr], ty: &Ty, span: Span) -> Out {
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

    fn decimal_method(&mut self, receiver: &Expr, method: &Ident, args: &[Expr], span: Span) -> Out {
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
    fn encode_fields(
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

    fn record_index(&self, path: &Path) -> Option<u32> {
        match self.ctx.typed.def(path.last().span) {
            Some(Def::Event(_, i) | Def::Error(_, i)) => Some(i),
            _ => None,
        }
    }

    fn fail(&mut self, error: &Path, args: &[Expr], span: Span) -> Out {
        let index = self.record_index(error).ok_or_else(|| unsupported(span, "this `fail`"))?;
        let (p, len) = self.encode_fields(Some(index), args, span)?;
        self.emit(I::I32Const(AbortCode::ContractError as i32));
        self.emit(I::LocalGet(p));
        self.emit(I::I32Const(len as i32));
        self.call_host("abort");
        self.emit(I::Unreachable);
        Ok(())
    }

    fn emit_event(&mut self, event: &Path, args: &[Expr], span: Span) -> Out {
        let index = self.record_index(event).ok_or_else(|| unsupported(span, "this `emit`"))?;
        let (p, len) = self.encode_fields(None, args, span)?;
        self.emit(I::I32Const(index as i32));
        self.emit(I::LocalGet(p));
        self.emit(I::I32Const(len as i32));
        self.call_host("emit");
        Ok(())
    }

    // ------------------------------------------------------------ storage

    /// Builds `0x01 ++ field ++ key` in fresh memory; returns its local.
    fn map_key(&mut self, field: u32, key: &Expr, key_ty: &Ty) -> Result<u32, Diagnostic> {
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

    fn storage_read_scalar(
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
    fn storage_read_scalar_dyn(
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

    fn storage_get_option(&mut self, key: u32, key_len: u32, value_ty: &Ty, span: Span) -> Out {
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

    fn storage_write_scalar_static(&mut self, key_at: u32, ty: &Ty, span: Span) -> Out {
        let k = self.temp(ValType::I32);
        self.emit(I::I32Const(key_at as i32));
        self.emit(I::LocalSet(k));
        self.storage_write_scalar_dyn(k, 5, ty, span)
    }

    /// Writes the value on the stack at the key in local `key`.
    fn storage_write_scalar_dyn(&mut self, key: u32, key_len: u32, ty: &Ty, span: Span) -> Out {
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
    fn zero(&mut self, ty: &Ty, span: Span) -> Out {
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

/// What reading an absent storage key means.
#[derive(Clone, Copy)]
enum AbsentIs {
    /// A storage field never written holds its zero value.
    Zero,
    /// `m[k]` on an absent key aborts.
    MissingKey,
}

fn hex_bytes(digits: &str) -> Vec<u8> {
    digits
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).unwrap_or("00");
            u8::from_str_radix(text, 16).unwrap_or(0)
        })
        .collect()
}
