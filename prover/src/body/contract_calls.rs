//! Calls to other contracts through a contract reference (LANGUAGE.md
//! §9.9), read by what they can do to the caller: return any value of
//! their result type, or abort. The callee cannot write the caller's
//! storage (re-entering a contract on the stack is refused), so the
//! caller's state is untouched; the reading has more behaviours than the
//! VM (a real registry answers one way), so it is recorded with the
//! approximations: proofs through it hold, and no counterexample rests on
//! it.

use easy_smt::SExpr;
use writ_compiler::ast::{Expr, ExprKind, Ident};
use writ_compiler::types::Ty;

use super::{Encoder, Refused, Result, State};

impl Encoder<'_, '_> {
    /// `r.entry(args)`, `r.with_gas(n).entry(args)` or `r.address()` on a
    /// contract reference `r`; `None` for any other receiver.
    pub(super) fn contract_call(
        &mut self,
        state: &mut State,
        receiver: &Expr,
        method: &Ident,
        args: &[Expr],
        e: &Expr,
    ) -> Result<Option<SExpr>> {
        let (reference, limit) = match &receiver.kind {
            ExprKind::MethodCall { receiver: inner, method: with_gas, args: limit }
                if with_gas.name == "with_gas" && matches!(self.ty(inner), Ty::Ref(_)) =>
            {
                (inner.as_ref(), limit.as_slice())
            }
            _ if matches!(self.ty(receiver), Ty::Ref(_)) => (receiver, &[][..]),
            _ => return Ok(None),
        };
        let address = self.expr(state, reference)?;
        if method.name == "address" && limit.is_empty() && args.is_empty() {
            return Ok(Some(address));
        }
        // The limit and the arguments are evaluated, in order, for what
        // they may abort with; then the callee answers anything.
        for value in limit.iter().chain(args) {
            self.expr(state, value)?;
        }
        let why = Refused { span: e.span, what: format!("a call to another contract's `{}`", method.name) };
        let ret = self.ty(e);
        self.opaque_result(state, &ret, why, e.span).map(Some)
    }
}
