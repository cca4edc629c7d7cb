//! Translating one function body (statements and expressions, already
//! checked) into WebAssembly instructions.
//!
//! Invariant: every operation keeps the language's meaning: integer
//! arithmetic is checked (overflow, underflow and division by zero abort
//! with their codes), conversions are checked, storage goes through the
//! host with the documented key layout, and values are left on the Wasm
//! stack in the representation `repr.rs` gives their type.

use wasm_encoder::{BlockType, Instruction as I, ValType};
use writ_abi::host::AbortCode;

use super::core::ProbeKind;
use super::core::{FnCompiler, LoopLabels, Runtime};
use super::repr::{Repr, repr, signed};
use super::storage::AbsentIs;
use super::unsupported;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::types::{Def, IntTy, Ty};

type Out = Result<(), Diagnostic>;

impl<'c, 'a> FnCompiler<'c, 'a> {
    /// The storage map a `self.m[k]` indexes.
    fn storage_map_field(&self, receiver: &Expr, span: Span) -> Result<u32, Diagnostic> {
        match &receiver.kind {
            ExprKind::Field { receiver: inner, name } if matches!(inner.kind, ExprKind::SelfValue) => {
                self.storage_index(name)
            }
            _ => Err(unsupported(span, "indexing a collection held in a variable")),
        }
    }

    pub(super) fn ty(&self, e: &Expr) -> Ty {
        self.ctx.typed.ty(e)
    }

    // ------------------------------------------------------------ blocks
    /// Emits a block, leaving its value (if any) on the stack.
    pub fn block(&mut self, block: &Block) -> Out {
        let value_stmt = match (&block.tail, block.stmts.last()) {
            (None, Some(Stmt { kind: StmtKind::Expr { expr, semi: false }, .. })) => Some(expr),
            _ => None,
        };
        let block_mark = self.live.len();
        for (i, stmt) in block.stmts.iter().enumerate() {
            let mark = self.live.len();
            // A loop invariant is never run: no code, no coverage probe.
            if !matches!(stmt.kind, StmtKind::Empty | StmtKind::Error | StmtKind::Invariant { .. }) {
                self.probe(stmt.span, ProbeKind::Line);
                self.mark_statement(stmt.span)?;
            }
            if i + 1 == block.stmts.len()
                && let Some(expr) = value_stmt
            {
                self.expr(expr)?;
                continue;
            }
            self.stmt(stmt)?;
            self.give_back(mark, true);
        }
        if let Some(tail) = &block.tail {
            self.probe(tail.span, ProbeKind::Line);
            self.mark_statement(tail.span)?;
            self.expr(tail)?;
        }
        // The block's value, if any, is on the stack, never in a local.
        self.give_back(block_mark, false);
        Ok(())
    }

    fn stmt(&mut self, stmt: &Stmt) -> Out {
        match &stmt.kind {
            StmtKind::Let { name, value, .. } => {
                self.expr(value)?;
                let Some(Def::Local(local)) = self.ctx.typed.def(name) else {
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
            StmtKind::While { cond, body } => self.while_loop(
                |f| {
                    f.expr(cond)?;
                    f.emit(I::I32Eqz);
                    Ok(())
                },
                |f, labels| {
                    f.loops.push(labels);
                    f.block(body)?;
                    f.drop_block_value(body)?;
                    f.loops.pop();
                    Ok(())
                },
            ),
            StmtKind::For { pattern, iter, body } => self.for_loop(pattern, iter, body, stmt.span),
            StmtKind::Invariant { .. } | StmtKind::Empty | StmtKind::Error => Ok(()),
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

    /// Binds a loop pattern (a name, `_`, or a tuple of those) to a value.
    pub(super) fn bind_pattern_value(&mut self, pattern: &Pattern, value: u32, ty: &Ty) -> Out {
        match &pattern.kind {
            PatternKind::Wildcard => Ok(()),
            PatternKind::Name(name) => {
                if let Some(Def::Local(local)) = self.ctx.typed.def(name)
                    && let Some(index) = self.bind(local, ty, name.span)?
                {
                    self.emit(I::LocalGet(value));
                    self.emit(I::LocalSet(index));
                }
                Ok(())
            }
            PatternKind::Tuple(parts) => {
                let tys = super::records::field_types(self.ctx.tables(), ty).unwrap_or_default();
                for (slot, (part, part_ty)) in parts.iter().zip(tys).enumerate() {
                    let vt = repr(&part_ty)
                        .and_then(Repr::val_type)
                        .ok_or_else(|| unsupported(part.span, "this pattern"))?;
                    let local = self.temp(vt);
                    self.emit(I::LocalGet(value));
                    self.load_slot(slot as u32, &part_ty, part.span)?;
                    self.emit(I::LocalSet(local));
                    self.bind_pattern_value(part, local, &part_ty)?;
                }
                Ok(())
            }
            _ => Err(unsupported(pattern.span, "this loop pattern")),
        }
    }

    /// A loop body with `break` and `continue` labels in place.
    pub(super) fn loop_body(&mut self, body: &Block, break_depth: u32, continue_depth: u32) -> Out {
        self.loops.push(LoopLabels { break_depth, continue_depth });
        self.block(body)?;
        self.drop_block_value(body)?;
        self.loops.pop();
        Ok(())
    }

    fn for_loop(&mut self, pattern: &Pattern, iter: &ForIter, body: &Block, span: Span) -> Out {
        let (lo, hi) = match iter {
            ForIter::Range(lo, hi) => (lo, hi),
            ForIter::Expr(e) => {
                return match self.ty(e) {
                    Ty::List(elem) => self.list_loop(pattern, e, &elem, body, span),
                    Ty::Map(k, v) => match &e.kind {
                        ExprKind::Field { receiver, name }
                            if matches!(receiver.kind, ExprKind::SelfValue) =>
                        {
                            let field = self.storage_index(name)?;
                            self.storage_map_loop(pattern, field, &k, &v, body, span)
                        }
                        _ => self.map_loop(pattern, e, &k, &v, body, span),
                    },
                    _ => Err(unsupported(span, "this loop")),
                };
            }
        };
        let name = match &pattern.kind {
            PatternKind::Name(name) => Some(name),
            PatternKind::Wildcard => None,
            _ => return Err(unsupported(pattern.span, "this loop pattern")),
        };
        let ty = self.ty(lo);
        let Some(Repr::I32 | Repr::I64) = repr(&ty) else {
            return Err(unsupported(span, "this range"));
        };
        let wide = repr(&ty) == Some(Repr::I64);
        let vt = if wide { ValType::I64 } else { ValType::I32 };
        let counter = match name.and_then(|n| self.ctx.typed.def(n).map(|d| (d, n.span))) {
            Some((Def::Local(local), span)) => self.bind(local, &ty, span)?.unwrap_or(0),
            _ => self.temp(vt),
        };
        let end = self.temp(vt);
        self.expr(lo)?;
        self.emit(I::LocalSet(counter));
        self.expr(hi)?;
        self.emit(I::LocalSet(end));
        self.while_loop(
            |f| {
                f.emit(I::LocalGet(counter));
                f.emit(I::LocalGet(end));
                f.emit(match (wide, signed(&ty)) {
                    (true, true) => I::I64GeS,
                    (true, false) => I::I64GeU,
                    (false, _) => I::I32GeU,
                });
                Ok(())
            },
            |f, labels| {
                f.continue_block(|f, continue_depth| {
                    f.loops.push(LoopLabels { break_depth: labels.break_depth, continue_depth });
                    f.block(body)?;
                    f.drop_block_value(body)?;
                    f.loops.pop();
                    Ok(())
                })?;
                // The counter never passes `end`, so adding one cannot overflow.
                f.emit(I::LocalGet(counter));
                f.emit(if wide { I::I64Const(1) } else { I::I32Const(1) });
                f.emit(if wide { I::I64Add } else { I::I32Add });
                f.emit(I::LocalSet(counter));
                Ok(())
            },
        )
    }

    fn assign(&mut self, target: &Expr, op: AssignOp, value: &Expr) -> Out {
        let target_ty = self.ty(target);
        let compound_op = match op {
            AssignOp::Assign => None,
            AssignOp::Add => Some(BinOp::Add),
            AssignOp::Sub => Some(BinOp::Sub),
        };
        // Pushes the value to store: `value`, or `old op value` where `old`
        // pushes the target's current value.
        let new_value = |this: &mut Self, old: &mut dyn FnMut(&mut Self) -> Out| -> Out {
            let Some(bin) = compound_op else {
                return this.expr(value);
            };
            old(this)?;
            this.expr(value)?;
            let value_ty = this.ty(value);
            this.arith(bin, &target_ty, &value_ty, target.span)
        };
        match &target.kind {
            ExprKind::Path(path) if path.is_single() => {
                let Some(Def::Local(local)) = self.ctx.typed.def(path.last()) else {
                    return Err(unsupported(target.span, "this assignment"));
                };
                let index =
                    *self.local_map.get(&local).ok_or_else(|| unsupported(target.span, "this assignment"))?;
                new_value(self, &mut |this| {
                    this.emit(I::LocalGet(index));
                    Ok(())
                })?;
                self.emit(I::LocalSet(index));
                Ok(())
            }
            ExprKind::Field { receiver, name } if matches!(receiver.kind, ExprKind::SelfValue) => {
                let field = self.storage_index(name)?;
                let key = self.field_key_local(field);
                new_value(self, &mut |this| this.storage_read(key, &target_ty, target.span, AbsentIs::Zero))?;
                self.storage_write(key, &target_ty, target.span)
            }
            ExprKind::Index { receiver, .. } if !is_storage_field(receiver) => {
                self.assign_to_place(target, compound_op, value)
            }
            ExprKind::Index { receiver, index } if matches!(self.ty(receiver), Ty::List(_)) => {
                let ExprKind::Path(path) = &receiver.kind else {
                    // An element of a list in storage or inside another value.
                    return self.assign_to_place(target, compound_op, value);
                };
                let Some(Def::Local(local)) = self.ctx.typed.def(path.last()) else {
                    return Err(unsupported(target.span, "assigning into this list"));
                };
                let list_index =
                    self.local_index(local).ok_or_else(|| unsupported(target.span, "this list"))?;
                let vt = repr(&target_ty)
                    .and_then(Repr::val_type)
                    .ok_or_else(|| unsupported(target.span, "this element"))?;
                new_value(self, &mut |this| this.expr(target))?;
                let v = self.temp(vt);
                self.emit(I::LocalSet(v));
                self.emit(I::LocalGet(list_index));
                self.list_replaced(index, v, &target_ty, target.span)?;
                self.emit(I::LocalSet(list_index));
                Ok(())
            }
            ExprKind::Index { receiver, index } => {
                let field = self.storage_map_field(receiver, target.span)?;
                let key_ty = self.ty(index);
                let key = self.map_key(field, index, &key_ty)?;
                new_value(self, &mut |this| {
                    this.storage_read(key, &target_ty, target.span, AbsentIs::MissingKey)
                })?;
                self.storage_write(key, &target_ty, target.span)
            }
            ExprKind::Field { .. } | ExprKind::TupleField { .. } => {
                let place_ty = self.ty(target);
                let vt = repr(&place_ty)
                    .and_then(Repr::val_type)
                    .ok_or_else(|| unsupported(target.span, "this assignment"))?;
                new_value(self, &mut |this| this.expr(target))?;
                let v = self.temp(vt);
                self.emit(I::LocalSet(v));
                if self.assign_field_path(target, v)? {
                    Ok(())
                } else {
                    // A field of a record in storage, in a list or in a map:
                    // rebuild the enclosing values and store them back.
                    self.store_to_place(target, v)
                }
            }
            _ => Err(unsupported(target.span, "this kind of assignment target")),
        }
    }

    // ------------------------------------------------------------ expressions
    /// Emits `e`, leaving its value on the stack. The temporaries it took
    /// are given back when it is done (its value is on the stack, never in
    /// one of them), so a long chain of operators needs only a few locals.
    pub fn expr(&mut self, e: &Expr) -> Out {
        let mark = self.live.len();
        crate::stack::deep(|| self.expr_here(e))?;
        self.give_back(mark, true);
        Ok(())
    }

    fn expr_here(&mut self, e: &Expr) -> Out {
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
                if matches!(ty, Ty::Decimal | Ty::Int(IntTy::I128)) {
                    let zero = self.decimal_zero();
                    self.emit(I::I32Const(zero as i32));
                    self.expr(operand)?;
                    self.call_rt(Runtime::DecSub);
                    return Ok(());
                }
                // 0 - x, checked.
                let t = self.temp(ValType::I64);
                self.expr(operand)?;
                wasm!(self;
                    local.tee(t) i64.const(i64::MIN) i64.eq
                );
                self.abort_if(AbortCode::Overflow);
                wasm!(self;
                    i64.const(0) local.get(t) i64.sub
                );
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
                let key = self.field_key_local(field);
                self.storage_read(key, &ty, e.span, AbsentIs::Zero)
            }
            ExprKind::Index { receiver, index } if matches!(self.ty(receiver), Ty::List(_)) => {
                self.list_index(receiver, index, &ty, e.span)
            }
            ExprKind::Index { receiver, index } if !is_storage_field(receiver) => {
                let Ty::Map(k, v) = self.ty(receiver) else { return Err(unsupported(e.span, "this index")) };
                self.map_query(receiver, "index", Some(index), &k, &v, e.span)
            }
            ExprKind::Index { receiver, index } => {
                let field = self.storage_map_field(receiver, e.span)?;
                let key_ty = self.ty(index);
                let key = self.map_key(field, index, &key_ty)?;
                self.storage_read(key, &ty, e.span, AbsentIs::MissingKey)
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
                let point = self.branch_point();
                self.probe(e.span, ProbeKind::Branch { point, arm: 0 });
                self.block(then_block)?;
                if block_type_empty {
                    self.drop_block_value(then_block)?;
                }
                if let Some(other) = else_branch {
                    self.emit(I::Else);
                    self.probe(e.span, ProbeKind::Branch { point, arm: 1 });
                    self.expr(other)?;
                    if block_type_empty {
                        let other_ty = self.ty(other);
                        self.drop_value(&other_ty, other.span)?;
                    }
                } else if self.ctx.coverage.is_some() {
                    // The way around an `if` without `else` is a branch too.
                    self.emit(I::Else);
                    self.probe(e.span, ProbeKind::Branch { point, arm: 1 });
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
            ExprKind::Match { scrutinee, arms } => self.match_expr(scrutinee, arms, &ty, e.span),
            ExprKind::Tuple(items) if items.is_empty() => Ok(()),
            ExprKind::Tuple(items) => self.tuple_literal(items, e.span),
            ExprKind::List(items) => self.list_literal(items, e.span),
            ExprKind::StructLit { fields, .. } => self.struct_literal(fields, &ty, e.span),
            ExprKind::Field { receiver, name } => {
                let receiver_ty = self.ty(receiver);
                let slot =
                    self.field_slot(&receiver_ty, name).ok_or_else(|| unsupported(e.span, "this field"))?;
                self.expr(receiver)?;
                self.load_slot(slot, &ty, e.span)
            }
            ExprKind::TupleField { receiver, index, .. } => {
                self.expr(receiver)?;
                self.load_slot(*index, &ty, e.span)
            }
            ExprKind::Deploy { args, from, .. } => self.deploy(args, from.as_deref(), &ty, e.span),
            _ => Err(unsupported(e.span, "this expression")),
        }
    }

    fn path(&mut self, path: &Path, ty: &Ty, span: Span) -> Out {
        let modes = crate::check::ROUNDING_MODES;
        let written_mode = !matches!(self.ctx.typed.def(path.last()), Some(Def::Local(_)));
        if *ty == Ty::Rounding && written_mode {
            let index = modes
                .iter()
                .position(|m| *m == path.last().name)
                .ok_or_else(|| unsupported(span, "this rounding mode"))?;
            self.emit(I::I32Const(index as i32));
            return Ok(());
        }
        if path.is_single() && path.last().name == "None" && self.ctx.typed.def(path.last()).is_none() {
            self.emit(I::I32Const(0));
            return Ok(());
        }
        match self.ctx.typed.def(path.last()).or_else(|| self.ctx.typed.def(path.last())) {
            Some(Def::Local(local)) => {
                let index = *self.local_map.get(&local).ok_or_else(|| unsupported(span, "this variable"))?;
                self.emit(I::LocalGet(index));
                Ok(())
            }
            Some(Def::Role(_, index)) => {
                self.emit(I::I32Const(index as i32));
                Ok(())
            }
            Some(Def::Variant(_, index)) => self.enum_value(index, &[], span),
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
}

/// Whether an expression is `self.field`.
pub(super) fn is_storage_field(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Field { receiver, .. } if matches!(receiver.kind, ExprKind::SelfValue))
}
