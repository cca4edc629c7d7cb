//! Writing a value back to where it came from: a variable, a storage field,
//! a storage map entry, or a field, element or entry of a value held in one
//! of those. Since values are never changed in place, updating a nested
//! part rebuilds each enclosing value on the way out.
//!
//! Invariant: a place is evaluated (its keys and indexes) exactly as the
//! source says, and the new value reaches storage only through
//! `storage_write`.

use wasm_encoder::{Instruction as I, ValType};

use super::core::FnCompiler;
use super::repr::{Repr, repr};
use super::unsupported;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::types::{Def, Ty};

type Out = Result<(), Diagnostic>;

impl<'c, 'a> FnCompiler<'c, 'a> {
    /// Stores the value in `value` (of the place's type) into `place`.
    pub(super) fn store_to_place(&mut self, place: &Expr, value: u32) -> Out {
        let place_ty = self.ty(place);
        match &place.kind {
            ExprKind::Paren(inner) => self.store_to_place(inner, value),
            ExprKind::Path(path) if path.is_single() => {
                let Some(Def::Local(local)) = self.ctx.typed.def(path.last()) else {
                    return Err(unsupported(place.span, "assigning to this"));
                };
                let index =
                    self.local_index(local).ok_or_else(|| unsupported(place.span, "this variable"))?;
                self.emit(I::LocalGet(value));
                self.emit(I::LocalSet(index));
                Ok(())
            }
            ExprKind::Field { receiver, name } if matches!(receiver.kind, ExprKind::SelfValue) => {
                let field = self.storage_index(name)?;
                let key = self.field_key_local(field);
                self.emit(I::LocalGet(value));
                self.storage_write(key, &place_ty, place.span)
            }
            ExprKind::Index { receiver, index } => {
                let receiver_ty = self.ty(receiver);
                if let ExprKind::Field { receiver: inner, name } = &receiver.kind
                    && matches!(inner.kind, ExprKind::SelfValue)
                    && matches!(receiver_ty, Ty::Map(..))
                {
                    // An entry of a storage map.
                    let field = self.storage_index(name)?;
                    let key_ty = self.ty(index);
                    let key = self.map_key(field, index, &key_ty)?;
                    self.emit(I::LocalGet(value));
                    return self.storage_write(key, &place_ty, place.span);
                }
                let rebuilt = self.temp(ValType::I32);
                match &receiver_ty {
                    Ty::Map(key_ty, value_ty) => {
                        self.expr(receiver)?;
                        self.map_inserted(index, value, key_ty, value_ty, place.span)?;
                    }
                    Ty::List(elem) => {
                        self.expr(receiver)?;
                        self.list_replaced(index, value, elem, place.span)?;
                    }
                    _ => return Err(unsupported(place.span, "assigning into this")),
                }
                self.emit(I::LocalSet(rebuilt));
                self.store_to_place(receiver, rebuilt)
            }
            ExprKind::Field { receiver, .. } | ExprKind::TupleField { receiver, .. } => {
                let slots = super::records::field_types(self.ctx.tables(), &self.ty(receiver))
                    .map(|f| f.len() as u32)
                    .ok_or_else(|| unsupported(place.span, "assigning to this field"))?;
                let slot = match &place.kind {
                    ExprKind::Field { name, .. } => self
                        .field_slot(&self.ty(receiver), name)
                        .ok_or_else(|| unsupported(place.span, "this field"))?,
                    ExprKind::TupleField { index, .. } => *index,
                    _ => 0,
                };
                let copy = self.copy_record(receiver, slots)?;
                self.emit(I::LocalGet(value));
                self.store_slot(copy, slot, &place_ty, place.span)?;
                self.store_to_place(receiver, copy)
            }
            _ => Err(unsupported(place.span, "assigning to this")),
        }
    }

    /// Evaluates a place, applies `op` with `value_expr` (for `+=`, `-=`)
    /// or takes the value as is, and stores the result back.
    pub(super) fn assign_to_place(
        &mut self,
        place: &Expr,
        compound: Option<BinOp>,
        value_expr: &Expr,
    ) -> Out {
        let place_ty = self.ty(place);
        let vt = repr(&place_ty)
            .and_then(Repr::val_type)
            .ok_or_else(|| unsupported(place.span, "this assignment"))?;
        match compound {
            None => self.expr(value_expr)?,
            Some(op) => {
                self.expr(place)?;
                self.expr(value_expr)?;
                let value_ty = self.ty(value_expr);
                self.arith(op, &place_ty, &value_ty, place.span)?;
            }
        }
        let value = self.temp(vt);
        self.emit(I::LocalSet(value));
        self.store_to_place(place, value)
    }
}
