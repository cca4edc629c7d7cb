//! `match` in generated code: arms tried in order, each a pattern test
//! (short-circuit: a field is only read once its enclosing variant has
//! matched) followed by its bindings and body.
//!
//! Invariant: the checker has proved the match exhaustive, so falling past
//! the last arm is unreachable and traps if it ever happens.

use wasm_encoder::{BlockType, Instruction as I, ValType};

use super::core::{FnCompiler, mem};
use super::records::{field_types, variants};
use super::repr::{Repr, repr};
use super::unsupported;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::types::{Def, Ty};

type Out = Result<(), Diagnostic>;

impl<'c, 'a> FnCompiler<'c, 'a> {
    pub(super) fn match_expr(&mut self, scrutinee: &Expr, arms: &[Arm], ty: &Ty, span: Span) -> Out {
        let scrutinee_ty = self.ty(scrutinee);
        let vt = repr(&scrutinee_ty)
            .and_then(Repr::val_type)
            .ok_or_else(|| unsupported(span, &format!("a match on `{}`", self.ctx.display(&scrutinee_ty))))?;
        let value = self.temp(vt);
        self.expr(scrutinee)?;
        self.emit(I::LocalSet(value));
        let result = repr(ty).and_then(Repr::val_type);
        self.emit(I::Block(result.map_or(BlockType::Empty, BlockType::Result)));
        let done = self.depth();
        let point = self.branch_point();
        for (index, arm) in arms.iter().enumerate() {
            self.emit(I::Block(BlockType::Empty));
            let next = self.depth();
            self.pattern_test(&arm.pattern, value, &scrutinee_ty)?;
            self.emit(I::I32Eqz);
            self.emit(I::BrIf(self.depth() - next));
            self.pattern_bind(&arm.pattern, value, &scrutinee_ty)?;
            self.probe(span, super::core::ProbeKind::Branch { point, arm: index as u32 });
            self.expr(&arm.body)?;
            let body_ty = self.ty(&arm.body);
            if result.is_none() {
                self.drop_unit_or(&body_ty, arm.body.span)?;
            }
            self.emit(I::Br(self.depth() - done));
            self.emit(I::End);
        }
        self.emit(I::Unreachable);
        self.emit(I::End);
        Ok(())
    }

    fn drop_unit_or(&mut self, ty: &Ty, span: Span) -> Out {
        match repr(ty) {
            Some(Repr::None) => Ok(()),
            Some(_) => {
                self.emit(I::Drop);
                Ok(())
            }
            None => Err(unsupported(span, "this match arm")),
        }
    }

    /// Loads a part of the value in `value` into a fresh local: slot `slot`
    /// of a record, typed `ty`.
    fn part(&mut self, value: u32, slot: u32, ty: &Ty, span: Span) -> Result<u32, Diagnostic> {
        let vt = repr(ty).and_then(Repr::val_type).ok_or_else(|| unsupported(span, "this pattern"))?;
        let local = self.temp(vt);
        self.emit(I::LocalGet(value));
        self.load_slot(slot, ty, span)?;
        self.emit(I::LocalSet(local));
        Ok(local)
    }

    /// The payload of a present option in `value`, decoded into a local.
    fn payload(&mut self, value: u32, inner: &Ty, span: Span) -> Result<u32, Diagnostic> {
        let vt = repr(inner).and_then(Repr::val_type).ok_or_else(|| unsupported(span, "this pattern"))?;
        let local = self.temp(vt);
        self.decode_value(value, inner, span)?;
        self.emit(I::LocalSet(local));
        Ok(local)
    }

    /// The variant index a pattern path names, if it names one.
    fn variant_index(&self, path: &Path) -> Option<u32> {
        match self.ctx.typed.def(path.last()) {
            Some(Def::Variant(_, index)) => Some(index),
            _ => None,
        }
    }

    /// Pushes 1 if the value in `value` (of type `ty`) matches `p`, else 0.
    fn pattern_test(&mut self, p: &Pattern, value: u32, ty: &Ty) -> Out {
        match &p.kind {
            PatternKind::Wildcard => self.emit(I::I32Const(1)),
            PatternKind::Name(name) if name.name == "None" && self.ctx.typed.def(name).is_none() => {
                self.emit(I::LocalGet(value));
                self.emit(I::I32Eqz);
            }
            PatternKind::Name(_) => self.emit(I::I32Const(1)),
            PatternKind::Path(path) => {
                let index = self.variant_index(path).ok_or_else(|| unsupported(p.span, "this pattern"))?;
                wasm!(self;
                    local.get(value) i32.load(mem(0, 0)) i32.const(index as i32) i32.eq
                );
            }
            PatternKind::Variant { path, fields } if path.is_single() && path.last().name == "Some" => {
                let Ty::Option(inner) = ty else { return Err(unsupported(p.span, "this pattern")) };
                self.emit(I::LocalGet(value));
                self.emit(I::If(BlockType::Result(ValType::I32)));
                match fields.first() {
                    Some(field) => {
                        let payload = self.payload(value, inner, p.span)?;
                        self.pattern_test(field, payload, inner)?;
                    }
                    None => self.emit(I::I32Const(1)),
                }
                wasm!(self;
                    else i32.const(0) end
                );
            }
            PatternKind::Variant { path, fields } => {
                let index = self.variant_index(path).ok_or_else(|| unsupported(p.span, "this pattern"))?;
                let field_tys = variants(self.ctx.tables(), ty)
                    .and_then(|vs| vs.get(index as usize).cloned())
                    .ok_or_else(|| unsupported(p.span, "this pattern"))?;
                wasm!(self;
                    local.get(value) i32.load(mem(0, 0)) i32.const(index as i32) i32.eq
                );
                let parts: Vec<(u32, &Pattern, Ty)> = fields
                    .iter()
                    .zip(field_tys)
                    .enumerate()
                    .map(|(i, (f, t))| (1 + i as u32, f, t))
                    .collect();
                self.all_parts(value, &parts)?;
            }
            PatternKind::Tuple(parts) => {
                let tys =
                    field_types(self.ctx.tables(), ty).ok_or_else(|| unsupported(p.span, "this pattern"))?;
                self.emit(I::I32Const(1));
                let parts: Vec<(u32, &Pattern, Ty)> =
                    parts.iter().zip(tys).enumerate().map(|(i, (f, t))| (i as u32, f, t)).collect();
                self.all_parts(value, &parts)?;
            }
            PatternKind::Lit(lit) | PatternKind::NegLit(lit) => {
                let negative = matches!(p.kind, PatternKind::NegLit(_));
                self.emit(I::LocalGet(value));
                self.pattern_literal(lit, ty, p.span, negative)?;
                self.compare(BinOp::Eq, ty, p.span)?;
            }
            PatternKind::Or(alternatives) => {
                let mut first = true;
                for alternative in alternatives {
                    if first {
                        self.pattern_test(alternative, value, ty)?;
                        first = false;
                        continue;
                    }
                    // previous || this
                    wasm!(self;
                        if(BlockType::Result(ValType::I32)) i32.const(1) else
                    );
                    self.pattern_test(alternative, value, ty)?;
                    self.emit(I::End);
                }
            }
        }
        Ok(())
    }

    /// With a condition on the stack, ands in the tests of record parts,
    /// reading each part only when everything before it matched.
    fn all_parts(&mut self, value: u32, parts: &[(u32, &Pattern, Ty)]) -> Out {
        for (slot, pattern, ty) in parts {
            if matches!(pattern.kind, PatternKind::Wildcard) {
                continue;
            }
            self.emit(I::If(BlockType::Result(ValType::I32)));
            let local = self.part(value, *slot, ty, pattern.span)?;
            self.pattern_test(pattern, local, ty)?;
            wasm!(self;
                else i32.const(0) end
            );
        }
        Ok(())
    }

    /// Sets the locals a matched pattern binds.
    fn pattern_bind(&mut self, p: &Pattern, value: u32, ty: &Ty) -> Out {
        match &p.kind {
            PatternKind::Name(name) => {
                if let Some(Def::Local(local)) = self.ctx.typed.def(name)
                    && let Some(index) = self.bind_local(local, ty, name.span)?
                {
                    self.emit(I::LocalGet(value));
                    self.emit(I::LocalSet(index));
                }
            }
            PatternKind::Variant { path, fields } if path.is_single() && path.last().name == "Some" => {
                let (Ty::Option(inner), Some(field)) = (ty, fields.first()) else { return Ok(()) };
                if pattern_binds(field) {
                    let payload = self.payload(value, inner, p.span)?;
                    self.pattern_bind(field, payload, inner)?;
                }
            }
            PatternKind::Variant { path, fields } => {
                let Some(index) = self.variant_index(path) else { return Ok(()) };
                let field_tys = variants(self.ctx.tables(), ty)
                    .and_then(|vs| vs.get(index as usize).cloned())
                    .unwrap_or_default();
                for (i, (field, field_ty)) in fields.iter().zip(field_tys).enumerate() {
                    if pattern_binds(field) {
                        let local = self.part(value, 1 + i as u32, &field_ty, field.span)?;
                        self.pattern_bind(field, local, &field_ty)?;
                    }
                }
            }
            PatternKind::Tuple(parts) => {
                let tys = field_types(self.ctx.tables(), ty).unwrap_or_default();
                for (i, (part, part_ty)) in parts.iter().zip(tys).enumerate() {
                    if pattern_binds(part) {
                        let local = self.part(value, i as u32, &part_ty, part.span)?;
                        self.pattern_bind(part, local, &part_ty)?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn pattern_literal(&mut self, lit: &Lit, ty: &Ty, span: Span, negative: bool) -> Out {
        self.literal(lit, ty, span, negative)
    }
}

/// Whether a pattern binds any name.
fn pattern_binds(p: &Pattern) -> bool {
    match &p.kind {
        PatternKind::Name(n) => n.name != "None",
        PatternKind::Variant { fields, .. } => fields.iter().any(pattern_binds),
        PatternKind::Tuple(parts) => parts.iter().any(pattern_binds),
        _ => false,
    }
}
