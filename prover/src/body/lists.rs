//! Lists as SMT-LIB sequences, and loops.
//!
//! A list is an array of elements and a length (`sorts`): a literal stores
//! its elements in order, `push` stores one past the end, `len` and
//! indexing read the datatype (an index past the end aborts with
//! `IndexOutOfRange`, as on the VM). A `for` over a list is
//! unrolled when the list's elements are known where the loop starts (a
//! literal, or a function returning one: a table of tax brackets); each
//! iteration runs under the condition that no `break` ran before it. A
//! loop over a list of unknown length, a range, or a `while`, is refused:
//! the prover does not guess loop invariants. Resource limits (the longest
//! list, gas) are not modelled: a call the VM would stop for them counts
//! as one that returns, which can only make a proof harder, never wrong.

use easy_smt::SExpr;
use writ_abi::host::AbortCode;
use writ_compiler::ast::{Block, Expr, ExprKind, Pattern};
use writ_compiler::span::Span;
use writ_compiler::types::Ty;

use super::{Encoder, Exit, Result, State, refuse};
use crate::sorts;

/// The states in which the iterations of the innermost loop being
/// unrolled left it early.
#[derive(Debug, Default)]
pub(super) struct LoopExits {
    breaks: Vec<State>,
    continues: Vec<State>,
}

impl LoopExits {
    /// The states `break`s and `continue`s left the loop in, apart.
    pub(super) fn into_parts(self) -> (Vec<State>, Vec<State>) {
        (self.breaks, self.continues)
    }
}

impl Encoder<'_, '_> {
    /// `[a, b, c]`: the elements in order.
    pub(super) fn list_literal(&mut self, state: &mut State, elements: &[Expr], e: &Expr) -> Result<SExpr> {
        let ty = self.ty(e);
        self.sort(&ty, e.span)?;
        let mut terms = Vec::with_capacity(elements.len());
        for element in elements {
            terms.push(self.expr(state, element)?);
        }
        let Some(list) = sorts::list_of(self.solver.ctx(), self.analysis, &ty, &terms) else {
            return self.refuse_type(e.span, "lists of type", &ty);
        };
        let named = self.name(list, &ty, e.span)?;
        self.lists.insert(named, terms);
        Ok(named)
    }

    /// `len`, indexing's check and `push` on lists; `None` for other
    /// receivers.
    pub(super) fn list_method(
        &mut self,
        state: &mut State,
        receiver: &Expr,
        method: &str,
        args: &[Expr],
        e: &Expr,
    ) -> Result<Option<SExpr>> {
        let ty = self.ty(receiver);
        if !matches!(ty, Ty::List(_)) {
            return Ok(None);
        }
        match (method, args) {
            ("len", []) => {
                let list = self.expr(state, receiver)?;
                Ok(Some(self.list_len(&ty, list, e.span)?))
            }
            ("push", [value]) => {
                self.push(state, receiver, value, e.span)?;
                Ok(Some(self.ctx().true_()))
            }
            _ => refuse(e.span, format!("the list method `{method}`")),
        }
    }

    /// `place.push(value)`: the place is read (a map entry must exist),
    /// then the value, then the longer list written back.
    fn push(&mut self, state: &mut State, place: &Expr, value: &Expr, span: Span) -> Result<()> {
        if let ExprKind::Index { receiver, index } = &place.kind
            && let Some(map) = self.map_field(state, receiver)
        {
            let key = self.expr(state, index)?;
            let ctx = self.ctx();
            let missing = ctx.not(ctx.select(map.present, key));
            self.abort(state, missing, Exit::Abort(AbortCode::MissingKey));
            let old = self.entry(state, receiver, map, key);
            let element = self.expr(state, value)?;
            let longer = self.appended(&self.ty(place), old, element, span)?;
            return self.write_entry(state, receiver, map, key, Some(longer), span);
        }
        let old = self.expr(state, place)?;
        let element = self.expr(state, value)?;
        let longer = self.appended(&self.ty(place), old, element, span)?;
        self.write(state, place, longer, span)
    }

    fn appended(&mut self, ty: &Ty, list: SExpr, element: SExpr, span: Span) -> Result<SExpr> {
        match sorts::list_pushed(self.solver.ctx(), self.analysis, ty, list, element) {
            Some(longer) => Ok(longer),
            None => self.refuse_type(span, "lists of type", ty),
        }
    }

    /// The length of `list`, of type `ty`.
    pub(super) fn list_len(&mut self, ty: &Ty, list: SExpr, span: Span) -> Result<SExpr> {
        match sorts::list_len(self.solver.ctx(), self.analysis, ty, list) {
            Some(len) => Ok(len),
            None => self.refuse_type(span, "lists of type", ty),
        }
    }

    /// `xs[i]` on a list value.
    pub(super) fn list_index(&mut self, state: &mut State, receiver: &Expr, index: &Expr) -> Result<SExpr> {
        let ty = self.ty(receiver);
        let list = self.expr(state, receiver)?;
        let i = self.expr(state, index)?;
        let len = self.list_len(&ty, list, receiver.span)?;
        let past = self.ctx().gte(i, len);
        self.abort(state, past, Exit::Abort(AbortCode::IndexOutOfRange));
        match sorts::list_nth(self.solver.ctx(), self.analysis, &ty, list, i) {
            Some(nth) => Ok(nth),
            None => self.refuse_type(index.span, "lists of type", &ty),
        }
    }

    /// `for pattern in over { body }` over a list whose elements are known.
    pub(super) fn unrolled_loop(
        &mut self,
        state: &mut State,
        pattern: &Pattern,
        over: &Expr,
        body: &Block,
        span: Span,
    ) -> Result<()> {
        let ty = self.ty(over);
        let Ty::List(element_ty) = &ty else {
            self.expr(state, over)?;
            return refuse(over.span, "a `for` loop over anything but a list or, in an invariant, a map");
        };
        let list = self.expr(state, over)?;
        let Some(elements) = self.lists.get(&list).cloned() else {
            if self.checking {
                // An invariant's or a spec's loop: "for every element".
                return self.for_all_elements(state, pattern, &ty, list, body, span);
            }
            // Code that runs: exactly where it only checks, else by its
            // last iteration (`havoc`).
            let exact =
                |this: &mut Self, s: &mut State| this.for_all_elements(s, pattern, &ty, list, body, span);
            if self.exactly(state, exact)? {
                return Ok(());
            }
            let over = super::havoc::Over::List(list, ty.clone());
            return self.by_last_iteration(state, Some(pattern), over, body, span);
        };
        if elements.len() > UNROLL_MAX {
            return refuse(over.span, format!("a `for` loop of more than {UNROLL_MAX} iterations"));
        }
        let mut breaks = Vec::new();
        for element in elements {
            // A loop's pattern always matches (the checker allows no
            // other); only what it binds matters.
            let mut binds = Vec::new();
            self.pattern(pattern, element_ty, element, &mut binds)?;
            let mut inner = state.clone();
            for (local, term) in binds {
                inner.locals.insert(local, term);
            }
            self.loops.push(LoopExits::default());
            let ran = self.block(&mut inner, body);
            let exits = self.loops.pop().unwrap_or_default();
            ran?;
            // The next iteration starts where this one ended or continued.
            let mut outcomes = vec![(inner, None)];
            outcomes.extend(exits.continues.into_iter().map(|s| (s, None)));
            self.join_all(state, outcomes, &Ty::Unit, span)?;
            breaks.extend(exits.breaks);
        }
        let mut outcomes = vec![(state.clone(), None)];
        outcomes.extend(breaks.into_iter().map(|s| (s, None)));
        self.join_all(state, outcomes, &Ty::Unit, span)?;
        Ok(())
    }

    /// `break` or `continue` in a loop being unrolled: the state goes to
    /// the loop's end or its next iteration, and nothing after it runs.
    pub(super) fn leave_iteration(&mut self, state: &mut State, is_break: bool, span: Span) -> Result<SExpr> {
        let Some(exits) = self.loops.last_mut() else {
            return refuse(span, "`break` or `continue` outside a loop the prover unrolls");
        };
        if is_break {
            exits.breaks.push(state.clone());
        } else {
            exits.continues.push(state.clone());
        }
        state.live = self.ctx().false_();
        Ok(self.ctx().true_())
    }
}

/// The most iterations a loop is unrolled to.
const UNROLL_MAX: usize = 64;
