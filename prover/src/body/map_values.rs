//! Maps held as values: an entry of a map in storage that is itself a map
//! (`Map<String, Map<Address, u64>>`), or one built by `Map::new()`. Such a
//! map is a datatype of its two arrays and its ghost sum and count
//! (`sorts`), read as a map in storage is, and written by building the new
//! map and writing it back where it came from, in the order the compiled
//! code does (`compiler/src/codegen/place.rs`): for `m[k] = v` and
//! `insert`, the value first, then the map, then the key.

use easy_smt::SExpr;
use writ_abi::host::AbortCode;
use writ_compiler::ast::Expr;
use writ_compiler::span::Span;
use writ_compiler::types::Ty;

use super::{Encoder, Exit, MapTerms, Result, State, refuse};
use crate::sorts;

impl Encoder<'_, '_> {
    /// The terms of `map`, a map value of type `ty`.
    fn value_terms(&mut self, ty: &Ty, map: SExpr, span: Span) -> Result<MapTerms> {
        let ctx = self.solver.ctx();
        let part = |name: &str| sorts::map_part(ctx, self.analysis, ty, map, name);
        match (part("present"), part("values"), part("sum"), part("count")) {
            (Some(present), Some(values), Some(sum), Some(count)) => {
                Ok(MapTerms { present, values, sum, count })
            }
            _ => self.refuse_type(span, "maps of type", ty),
        }
    }

    /// The map of type `ty` whose terms are `map`, named.
    fn value_of(&mut self, ty: &Ty, map: MapTerms, span: Span) -> Result<SExpr> {
        let parts = [map.present, map.values, map.sum, map.count];
        match sorts::map_of(self.solver.ctx(), self.analysis, ty, parts) {
            Some(value) => self.name(value, ty, span),
            None => self.refuse_type(span, "maps of type", ty),
        }
    }

    /// The map at `receiver` (evaluated) and its terms.
    pub(super) fn value_map(&mut self, state: &mut State, receiver: &Expr) -> Result<MapTerms> {
        let ty = self.ty(receiver);
        self.sort(&ty, receiver.span)?;
        let map = self.expr(state, receiver)?;
        self.value_terms(&ty, map, receiver.span)
    }

    /// `m[k]`: the map, then the key; an absent key aborts.
    pub(super) fn value_index(&mut self, state: &mut State, receiver: &Expr, index: &Expr) -> Result<SExpr> {
        let map = self.value_map(state, receiver)?;
        let key = self.expr(state, index)?;
        let ctx = self.ctx();
        let missing = ctx.not(ctx.select(map.present, key));
        self.abort(state, missing, Exit::Abort(AbortCode::MissingKey));
        Ok(self.entry(state, receiver, map, key))
    }

    /// `m[k] = value` (`value` already evaluated; `None` removes the key):
    /// the map, then the key, then the new map written back to `receiver`.
    pub(super) fn write_value_entry(
        &mut self,
        state: &mut State,
        receiver: &Expr,
        index: &Expr,
        value: Option<SExpr>,
        span: Span,
    ) -> Result<()> {
        let ty = self.ty(receiver);
        let map = self.value_map(state, receiver)?;
        let key = self.expr(state, index)?;
        let written = self.written(state, &ty, map, key, value, span)?;
        let rebuilt = self.value_of(&ty, written, span)?;
        self.write(state, receiver, rebuilt, span)
    }

    /// `get`, `contains`, `len`, `insert` and `remove` of a map value.
    pub(super) fn value_method(
        &mut self,
        state: &mut State,
        receiver: &Expr,
        method: &str,
        args: &[Expr],
        e: &Expr,
    ) -> Result<SExpr> {
        match (method, args) {
            ("len", []) => Ok(self.value_map(state, receiver)?.count),
            ("contains", [key]) => {
                let map = self.value_map(state, receiver)?;
                let key = self.expr(state, key)?;
                Ok(self.ctx().select(map.present, key))
            }
            ("get", [key]) => {
                let map = self.value_map(state, receiver)?;
                let key = self.expr(state, key)?;
                self.entry_option(state, receiver, map, key, e)
            }
            ("insert", [key, value]) => {
                let value = self.expr(state, value)?;
                self.write_value_entry(state, receiver, key, Some(value), e.span)?;
                Ok(self.ctx().true_())
            }
            ("remove", [key]) => {
                self.write_value_entry(state, receiver, key, None, e.span)?;
                Ok(self.ctx().true_())
            }
            _ => refuse(e.span, format!("the map method `{method}`")),
        }
    }
}
