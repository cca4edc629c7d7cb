//! Calls between contracts: `registry.is_registered(who)` through a
//! contract reference, lowered to the host's `call_contract` (see
//! `docs/host-abi.md`, "Calls between contracts").
//!
//! The call carries the interface this contract was compiled against, the
//! bytes `writ_abi::interface` makes from the callee's ABI document, so
//! the VM refuses the call unless the contract at that address takes and
//! returns exactly these types.

use wasm_encoder::{Instruction as I, ValType};

use super::abi_doc::document;
use super::core::FnCompiler;
use super::repr::{Repr, repr};
use super::unsupported;
use crate::ast::{Expr, Ident};
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::types::{ContractId, Def, Ty};

impl FnCompiler<'_, '_> {
    /// Calls entry point `method` of the contract `receiver` refers to,
    /// forwarding at most `gas` (a `u64` expression; all the gas left when
    /// `None`); leaves its result (of type `ty`) on the stack.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn contract_call(
        &mut self,
        receiver: &Expr,
        gas: Option<&Expr>,
        cid: ContractId,
        method: &Ident,
        args: &[Expr],
        ty: &Ty,
        span: Span,
    ) -> Result<(), Diagnostic> {
        let tables = self.ctx.tables();
        let Some(Def::Fn(id)) = self.ctx.typed.def(method) else {
            return Err(unsupported(span, "this call to another contract"));
        };
        let params: Vec<Ty> =
            tables.fn_info(id).map(|f| f.params.iter().map(|p| p.ty.clone()).collect()).unwrap_or_default();
        if let Some(name) = super::abi_doc::type_name_clash(tables, cid) {
            let what = format!(
                "a call to a contract with two different types named `{name}` in its ABI (rename one)"
            );
            return Err(unsupported(span, &what));
        }
        let interface = document(tables, cid, "")
            .and_then(|doc| {
                doc.entry(&method.name).map(|entry| writ_abi::interface::interface(entry, &doc.types))
            })
            .ok_or_else(|| unsupported(span, "a call to an entry point whose types have no ABI form"))?;
        let (address, limit) = (self.temp(ValType::I32), self.temp(ValType::I64));
        self.expr(receiver)?;
        self.emit(I::LocalSet(address));
        match gas {
            Some(gas) => self.expr(gas)?,
            // All ones: everything the caller has left.
            None => self.emit(I::I64Const(-1)),
        }
        self.emit(I::LocalSet(limit));
        let mut encoded = Vec::new();
        for (arg, param) in args.iter().zip(&params) {
            self.expr(arg)?;
            encoded.push(self.encode_value(param, arg.span)?);
        }
        let (p, len) = (self.temp(ValType::I32), self.temp(ValType::I32));
        self.concat_parts(&encoded, None, p, len);
        let name_at = self.ctx.data(method.name.as_bytes());
        let interface_at = self.ctx.data(&interface);
        wasm!(self;
            local.get(address)
            i32.const(name_at as i32) i32.const(method.name.len() as i32)
            local.get(p) local.get(len)
            i32.const(interface_at as i32) i32.const(interface.len() as i32)
            local.get(limit)
        );
        self.call_host(writ_abi::host::CALL_CONTRACT.name);
        if repr(ty) == Some(Repr::None) {
            self.emit(I::Drop);
            return Ok(());
        }
        let out = self.copy_return_buffer();
        self.decode_value(out, ty, span)
    }
}
