//! Calls: user functions, enum variant constructors, built-in functions
//! (contract, pure and test-only), methods of built-in types and of
//! contract handles in tests.
//!
//! Invariant: every built-in is allowed only where it can run: contract
//! built-ins inside contracts, test built-ins inside tests and properties,
//! state-changing calls never from a read-only body.

use super::body::{Body, Effect, PlaceRoot};
use super::expr::{ROUNDING_MODES, plural};
use super::{BodyKind, Checker, compatible, suggest, with_suggestion};
use crate::ast::*;
use crate::builtins::{self, Allowed, Typing};
use crate::diagnostic::Code;
use crate::span::Span;
use crate::types::*;

/// The names `assert_aborts` accepts besides a contract's own errors.
pub const BUILTIN_ABORTS: &[&str] = &[
    "Require",
    "MissingRole",
    "Overflow",
    "DivisionByZero",
    "Conversion",
    "NoneUnwrapped",
    "IndexOutOfRange",
    "MissingKey",
    "OutOfGas",
    "ResourceLimit",
    // Refusals of a call between contracts (`writ_vm::CallProblem`).
    "NoContract",
    "NoSuchEntryPoint",
    "InterfaceMismatch",
    "Reentrancy",
    "CallDepthLimit",
    "StateChangeFromView",
    "MalformedArguments",
    "MalformedResult",
    "TooManyContracts",
];

impl<'a> Checker<'a> {
    pub(super) fn call(
        &mut self,
        callee: &Expr,
        args: &[Expr],
        span: Span,
        body: &mut Body,
        hint: Option<&Ty>,
    ) -> Ty {
        let ExprKind::Path(path) = &callee.kind else {
            self.infer_args(args, body);
            return Ty::Error;
        };
        let name = path.last().name.as_str();
        if path.is_single() {
            if let Some(id) = body.lookup_local(name) {
                if let Some(state) = self.local_use.get_mut(id as usize) {
                    state.0 = true;
                }
                self.error(Code::NotCallable, path.span, format!("`{name}` is a variable, not a function"));
                self.infer_args(args, body);
                return Ty::Error;
            }
            let user = self.lookup_name(name, body.module, body.contract);
            if user.is_none() && builtins::function_named(name).is_some() {
                return self.builtin_call(name, args, span, body, hint);
            }
        }
        if path.segments.len() == 2
            && name == "at"
            && let Some(Def::Contract(cid)) =
                self.lookup_name(&path.segments[0].name, body.module, body.contract)
        {
            // `Registry::at(address)`: the contract there, as a `Registry`.
            self.reference(&path.segments[0], Def::Contract(cid));
            let contract = self.contract_name(cid);
            self.check_args(&format!("`{contract}::at`"), &[Ty::Address], args, span, body);
            return Ty::Ref(cid);
        }
        if path.segments.len() == 2
            && name == "new"
            && matches!(path.segments[0].name.as_str(), "Map" | "List")
        {
            if !args.is_empty() {
                self.error(Code::ArgumentCount, span, format!("`{}` takes no arguments", path.to_text()));
            }
            let kind = path.segments[0].name.as_str();
            return match hint {
                Some(t @ Ty::Map(..)) if kind == "Map" => t.clone(),
                Some(t @ Ty::List(_)) if kind == "List" => t.clone(),
                _ => {
                    self.error(
                        Code::AmbiguousType,
                        span,
                        format!(
                            "the type of this `{}` is not known; give the binding a type",
                            path.to_text()
                        ),
                    );
                    Ty::Error
                }
            };
        }
        match self.lookup_path(path, body.module, body.contract) {
            Some(Def::Fn(id)) => {
                self.reference(path.last(), Def::Fn(id));
                // Another contract's code runs in that contract, with its
                // storage: only through a reference (an interface's
                // signature has no code at all).
                // A test may still call a contract's helper to test it on its
                // own; never an interface's signature, which has no code.
                let signature = self.t.fn_info(id).and_then(|f| f.contract).and_then(|c| self.t.contract(c));
                let allowed_in_test = body.is_test() && !signature.is_some_and(|c| c.interface);
                if let Some(owner) = self.t.fn_info(id).and_then(|f| f.contract)
                    && Some(owner) != body.contract
                    && !allowed_in_test
                {
                    let contract = self.contract_name(owner);
                    self.error(
                        Code::OtherContractFn,
                        path.span,
                        format!(
                            "`{}` belongs to `{contract}`, and runs there: call it through a reference, `{contract}::at(address).{name}(...)` (in a test, through the handle `deploy` gave)",
                            path.to_text()
                        ),
                    );
                    self.infer_args(args, body);
                    return self.t.fn_info(id).map_or(Ty::Error, |f| f.ret.clone());
                }
                self.user_call(id, args, span, body)
            }
            Some(Def::Variant(eid, index)) => {
                self.reference(path.last(), Def::Variant(eid, index));
                let fields = self
                    .t
                    .enum_info(eid)
                    .and_then(|e| e.variants.get(index as usize))
                    .map(|v| v.fields.clone())
                    .unwrap_or_default();
                self.check_args(&format!("the variant `{}`", path.to_text()), &fields, args, span, body);
                Ty::Enum(eid)
            }
            Some(Def::Struct(_)) => {
                self.error(
                    Code::NotCallable,
                    path.span,
                    format!("`{name}` is a struct; build it with `{name} {{ field: value }}`"),
                );
                self.infer_args(args, body);
                Ty::Error
            }
            Some(_) => {
                self.error(Code::NotCallable, path.span, format!("`{}` is not a function", path.to_text()));
                self.infer_args(args, body);
                Ty::Error
            }
            None => {
                self.unknown_value(path, body);
                self.infer_args(args, body);
                Ty::Error
            }
        }
    }

    fn user_call(&mut self, id: FnId, args: &[Expr], span: Span, body: &mut Body) -> Ty {
        let Some(info) = self.t.fn_info(id).cloned() else { return Ty::Error };
        let params: Vec<Ty> = info.params.iter().map(|p| p.ty.clone()).collect();
        self.check_args(&format!("`{}`", info.name), &params, args, span, body);
        if let BodyKind::Fn(caller) = body.kind
            && let Some(calls) = self.fn_calls.get_mut(caller as usize)
        {
            calls.push(id);
        }
        if self.read_only(body) {
            // A loop invariant only reads, as an invariant does.
            let kind = if body.reading_only { BodyKind::Invariant } else { body.kind };
            if matches!(info.kind, FnKind::Entry | FnKind::Init) {
                self.read_only_violation(span, &info.name, kind);
            } else {
                self.read_only_calls.push((id, span, kind));
            }
        }
        info.ret
    }

    fn read_only(&self, body: &Body) -> bool {
        if body.reading_only {
            return true;
        }
        match body.kind {
            BodyKind::Fn(id) => self.t.fn_info(id).is_some_and(|f| f.kind == FnKind::View),
            BodyKind::Invariant | BodyKind::Spec(..) => true,
            _ => false,
        }
    }

    fn read_only_violation(&mut self, span: Span, name: &str, kind: BodyKind) {
        if matches!(kind, BodyKind::Invariant | BodyKind::Spec(..)) {
            let what = if kind == BodyKind::Invariant { "an invariant" } else { "a spec" };
            self.error(
                Code::InvariantWrites,
                span,
                format!("`{name}` can change state, and {what} only reads"),
            );
        } else {
            self.error(
                Code::NonViewCallInView,
                span,
                format!("`{name}` can change state, so a view function cannot call it"),
            );
        }
    }

    /// Once every body is known: calls from read-only bodies to functions
    /// that (directly or through others) write storage or emit.
    pub(super) fn check_read_only_calls(&mut self) {
        let mut writes = self.fn_writes.clone();
        loop {
            let mut changed = false;
            for (caller, callees) in self.fn_calls.iter().enumerate() {
                if writes.get(caller).copied().unwrap_or(false) {
                    continue;
                }
                if callees.iter().any(|c| writes.get(*c as usize).copied().unwrap_or(false)) {
                    if let Some(w) = writes.get_mut(caller) {
                        *w = true;
                    }
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (callee, span, kind) in std::mem::take(&mut self.read_only_calls) {
            if writes.get(callee as usize).copied().unwrap_or(false) {
                let name = self.t.fn_info(callee).map_or_else(String::new, |f| f.name.clone());
                self.read_only_violation(span, &name, kind);
            }
        }
    }

    fn allowed(&mut self, name: &str, allowed: Allowed, span: Span, body: &Body) -> bool {
        let in_contract = body.contract.is_some();
        let ok = match allowed {
            Allowed::Anywhere => true,
            Allowed::Contract => in_contract,
            Allowed::ContractOrTest => in_contract || body.is_test(),
            Allowed::Test => body.is_test(),
            Allowed::Assertions => body.is_test() || body.kind == BodyKind::Invariant,
            Allowed::Ensures => matches!(body.kind, BodyKind::Spec(_, true)),
        };
        if !ok {
            match allowed {
                Allowed::Ensures if matches!(body.kind, BodyKind::Spec(..)) => {
                    self.error(
                        Code::OldOutsideEnsures,
                        span,
                        format!("`assumes` and `aborts_if` already read the state before the call: write the value without `{name}`"),
                    );
                }
                Allowed::Ensures => {
                    self.error(
                        Code::OldOutsideEnsures,
                        span,
                        format!("`{name}` is for a spec's `ensures` clauses, which compare the state after the call with the state before it"),
                    );
                }
                Allowed::Test | Allowed::Assertions => {
                    self.error(Code::TestOnly, span, format!("`{name}` is for tests and properties only"));
                }
                _ => {
                    self.error(
                        Code::ContractOnly,
                        span,
                        format!("`{name}` needs a contract, and there is none here"),
                    );
                }
            }
        }
        ok
    }

    fn builtin_call(
        &mut self,
        name: &str,
        args: &[Expr],
        span: Span,
        body: &mut Body,
        hint: Option<&Ty>,
    ) -> Ty {
        let Some(builtin) = builtins::function_named(name) else {
            self.infer_args(args, body);
            return Ty::Error;
        };
        let ret = builtin.ret.resolve(None, body.contract).unwrap_or(Ty::Error);
        if !self.allowed(name, builtin.allowed, span, body) {
            self.infer_args(args, body);
            return ret;
        }
        if builtin.writes {
            self.effect(Effect::Write, span, body);
        }
        if builtin.typing == Typing::Fixed {
            let params: Vec<Ty> = builtin
                .params
                .iter()
                .map(|p| p.ty.resolve(None, body.contract).unwrap_or(Ty::Error))
                .collect();
            self.check_args(&format!("`{name}`"), &params, args, span, body);
            return ret;
        }
        match name {
            "Some" => {
                let inner_hint = match hint {
                    Some(Ty::Option(inner)) => Some((**inner).clone()),
                    _ => None,
                };
                if args.len() != 1 {
                    self.error(
                        Code::ArgumentCount,
                        span,
                        format!("`Some` wraps exactly one value, but {} were given", args.len()),
                    );
                }
                let inner = match args.first() {
                    Some(arg) => match &inner_hint {
                        Some(h) => self.check_expr(arg, body, Some(h)),
                        None => self.infer_expr(arg, body, None),
                    },
                    None => Ty::Error,
                };
                self.infer_args(args.get(1..).unwrap_or(&[]), body);
                Ty::Option(Box::new(inner))
            }
            "min" | "max" => self.min_max(name, args, span, body, hint),
            "old" => self.old(args, span, body, hint),
            "assert" => {
                if args.is_empty() || args.len() > 2 {
                    self.error(
                        Code::ArgumentCount,
                        span,
                        format!(
                            "`assert` takes a condition and an optional message, but {} argument{} given",
                            args.len(),
                            plural(args.len())
                        ),
                    );
                }
                let expected = [Ty::Bool, Ty::String];
                for (arg, ty) in args.iter().zip(expected.iter()) {
                    self.check_expr(arg, body, Some(ty));
                }
                Ty::Unit
            }
            "assert_eq" => {
                if let [a, b] = args {
                    let (lt, rt) = self.infer_pair(a, b, body, None);
                    if !compatible(&lt, &rt) {
                        self.mismatch(b.span, &lt, &rt);
                    }
                } else {
                    self.error(
                        Code::ArgumentCount,
                        span,
                        format!("`assert_eq` compares two values, but {} were given", args.len()),
                    );
                    self.infer_args(args, body);
                }
                Ty::Unit
            }
            "assert_aborts" => {
                self.assert_aborts(args, span, body);
                Ty::Unit
            }
            "assert_emitted" => {
                self.assert_emitted(args, span, body);
                Ty::Unit
            }
            _ => {
                self.infer_args(args, body);
                Ty::Error
            }
        }
    }

    fn min_max(&mut self, name: &str, args: &[Expr], span: Span, body: &mut Body, hint: Option<&Ty>) -> Ty {
        let [a, b] = args else {
            self.error(
                Code::ArgumentCount,
                span,
                format!("`{name}` takes two values, but {} were given", args.len()),
            );
            self.infer_args(args, body);
            return Ty::Error;
        };
        let (lt, rt) = self.infer_pair(a, b, body, hint);
        if !compatible(&lt, &rt) {
            self.mismatch(b.span, &lt, &rt);
            return Ty::Error;
        }
        if !lt.is_ordered() || matches!(lt, Ty::Bool | Ty::Bytes | Ty::Hash | Ty::Address) {
            let shown = self.display(&lt);
            self.error(
                Code::NotOrdered,
                span,
                format!("`{name}` needs values with an order; `{shown}` has none"),
            );
            return Ty::Error;
        }
        lt
    }

    fn assert_aborts(&mut self, args: &[Expr], span: Span, body: &mut Body) {
        let Some(call) = args.first() else {
            self.error(Code::ArgumentCount, span, "`assert_aborts` needs the call that must abort");
            return;
        };
        let call_ty = self.infer_expr(call, body, None);
        let target = self.handle_of_call(call);
        if target.is_none() && !call_ty.is_error() {
            // Only a call through a contract handle is a transaction that
            // can abort on its own; a free function's abort is the test's.
            self.error(
                Code::TypeMismatch,
                call.span,
                "`assert_aborts` needs a call through a deployed contract, such as `token.from(a).send(b, 5)`",
            );
        }
        if args.len() > 2 {
            self.error(Code::ArgumentCount, span, "`assert_aborts` takes a call and an optional error name");
        }
        let Some(error) = args.get(1) else { return };
        let ExprKind::Path(path) = &error.kind else {
            self.error(
                Code::UnknownError,
                error.span,
                "name the expected error, such as `MissingRole` or one of the contract's errors",
            );
            return;
        };
        self.abort_name(path, target, body, "the called contract");
    }

    /// A name of an abort, as `assert_aborts` and a spec's `aborts_if …
    /// with` take it: a built-in abort, or an error of contract `target`
    /// (`whose` says which, in the diagnostic).
    pub(super) fn abort_name(&mut self, path: &Path, target: Option<ContractId>, body: &Body, whose: &str) {
        let name = path.last().name.clone();
        if path.is_single() && BUILTIN_ABORTS.contains(&name.as_str()) {
            return;
        }
        let found = match (path.is_single(), target) {
            (true, Some(cid)) => {
                self.t.contract(cid).and_then(|c| c.error(&name)).map(|i| Def::Error(cid, i))
            }
            _ => match self.lookup_path(path, body.module, body.contract) {
                Some(def @ Def::Error(..)) => Some(def),
                _ => None,
            },
        };
        match found {
            Some(def) => self.reference(path.last(), def),
            None => {
                let mut names: Vec<String> = BUILTIN_ABORTS.iter().map(|s| s.to_string()).collect();
                names.extend(self.record_names(target, false));
                let suggestion = suggest(&name, names.iter().map(String::as_str));
                let d = self.error(
                    Code::UnknownError,
                    path.span,
                    format!("`{}` is neither a built-in abort nor an error of {whose}", path.to_text()),
                );
                with_suggestion(d, path.span, suggestion);
            }
        }
    }

    /// The contract a test call goes to: `h.m()` or `h.from(a).m()`.
    fn handle_of_call(&self, call: &Expr) -> Option<ContractId> {
        let ExprKind::MethodCall { receiver, .. } = &call.kind else { return None };
        match self.index.typed.get(&receiver.span.file)?.ty(receiver.id) {
            Ty::Handle(cid) => Some(*cid),
            _ => None,
        }
    }

    fn assert_emitted(&mut self, args: &[Expr], span: Span, body: &mut Body) {
        let [handle, event] = args else {
            self.error(Code::ArgumentCount, span, "`assert_emitted` takes a contract handle and an event, such as `assert_emitted(token, Sent(a, b, 5))`");
            self.infer_args(args, body);
            return;
        };
        let handle_ty = self.infer_expr(handle, body, None);
        let cid = match handle_ty {
            Ty::Handle(cid) => Some(cid),
            Ty::Error => None,
            other => {
                let shown = self.display(&other);
                self.error(
                    Code::TypeMismatch,
                    handle.span,
                    format!("expected a deployed contract, found `{shown}`"),
                );
                None
            }
        };
        let ExprKind::Call { callee, args: event_args } = &event.kind else {
            self.error(
                Code::UnknownEvent,
                event.span,
                "write the event as it was emitted: `Name(values...)`",
            );
            return;
        };
        let ExprKind::Path(path) = &callee.kind else { return };
        let Some(cid) = cid else {
            self.infer_args(event_args, body);
            return;
        };
        let index = if path.is_single() {
            self.t.contract(cid).and_then(|c| c.event(&path.last().name))
        } else {
            match self.lookup_path(path, body.module, body.contract) {
                Some(Def::Event(c, i)) if c == cid => Some(i),
                _ => None,
            }
        };
        match index {
            Some(i) => {
                self.reference(path.last(), Def::Event(cid, i));
                let fields = self
                    .t
                    .contract(cid)
                    .and_then(|c| c.events.get(i as usize))
                    .map(|r| r.fields.clone())
                    .unwrap_or_default();
                self.record_args(path, &fields, event_args, event.span, body);
            }
            None => {
                let names = self.record_names(Some(cid), true);
                let suggestion = suggest(&path.last().name, names.iter().map(String::as_str));
                let contract = self.contract_name(cid);
                let d = self.error(
                    Code::UnknownEvent,
                    path.span,
                    format!("the contract `{contract}` declares no event `{}`", path.to_text()),
                );
                with_suggestion(d, path.span, suggestion);
                self.infer_args(event_args, body);
            }
        }
    }

    pub(super) fn method_call(
        &mut self,
        receiver: &Expr,
        method: &Ident,
        args: &[Expr],
        span: Span,
        body: &mut Body,
    ) -> Ty {
        if matches!(receiver.kind, ExprKind::SelfValue) {
            return self.self_call(receiver.span, method, args, span, body);
        }
        if let ExprKind::MethodCall { receiver: inner, method: with_gas, args: limit } = &receiver.kind
            && with_gas.name == "with_gas"
        {
            return self.call_with_gas(inner, with_gas, limit, method, args, span, body);
        }
        let mutating = builtins::METHODS.iter().any(|m| m.mutating && m.name == method.name);
        let (ty, root) = if mutating && is_place(receiver) {
            self.check_place(receiver, body)
        } else {
            (self.infer_expr(receiver, body, None), PlaceRoot::Invalid)
        };
        if let Ty::Handle(cid) = ty {
            return self.handle_method(cid, method, args, span, body);
        }
        if let Ty::Ref(cid) = ty
            && builtins::method_of(&ty, &method.name).is_none()
        {
            return self.contract_call(cid, method, args, span, body);
        }
        if mutating && matches!(ty, Ty::List(_) | Ty::Map(..)) {
            if root == PlaceRoot::Invalid {
                self.error(
                    Code::MutateImmutable,
                    receiver.span,
                    format!("`{}` would change a temporary value, and the change would be lost", method.name),
                );
            } else {
                self.apply_change(root, receiver.span, body, true, Code::MutateImmutable);
            }
        }
        if ty.is_error() {
            self.infer_args(args, body);
            return Ty::Error;
        }
        match builtins::method_of(&ty, &method.name) {
            Some(found) if found.typing == Typing::Special => {
                // `round`: an optional rounding mode.
                self.round(args, span, body)
            }
            Some(found) => {
                let resolve = |shape: builtins::Shape| shape.resolve(Some(&ty), None).unwrap_or(Ty::Error);
                let params: Vec<Ty> = found.params.iter().map(|p| resolve(p.ty)).collect();
                self.check_args(&format!("`{}`", method.name), &params, args, span, body);
                resolve(found.ret)
            }
            None => {
                let names = methods_of(&ty);
                let suggestion = suggest(&method.name, names.iter().copied());
                let shown = self.display(&ty);
                let d = self.error(
                    Code::UnknownMethod,
                    method.span,
                    format!("`{shown}` has no method `{}`", method.name),
                );
                if !names.is_empty() {
                    d.notes.push(format!("its methods are {}", names.join(", ")));
                }
                with_suggestion(d, method.span, suggestion);
                self.infer_args(args, body);
                Ty::Error
            }
        }
    }

    /// `self.name(args)`: a call to another function of the same contract.
    fn self_call(
        &mut self,
        self_span: Span,
        method: &Ident,
        args: &[Expr],
        span: Span,
        body: &mut Body,
    ) -> Ty {
        let Some(cid) = body.contract else {
            self.error(
                Code::SelfOutsideContract,
                self_span,
                "`self` is the contract's storage, and there is no contract here",
            );
            self.infer_args(args, body);
            return Ty::Error;
        };
        let found = self.t.contract(cid).and_then(|c| {
            c.fns.iter().copied().find(|f| self.t.fn_info(*f).is_some_and(|i| i.name == method.name))
        });
        match found {
            Some(id) => {
                self.reference(method, Def::Fn(id));
                self.user_call(id, args, span, body)
            }
            None => {
                let names: Vec<String> = self
                    .t
                    .contract(cid)
                    .map(|c| {
                        c.fns.iter().filter_map(|f| self.t.fn_info(*f)).map(|f| f.name.clone()).collect()
                    })
                    .unwrap_or_default();
                let suggestion = suggest(&method.name, names.iter().map(String::as_str));
                let contract = self.contract_name(cid);
                let d = self.error(
                    Code::UnknownMethod,
                    method.span,
                    format!("the contract `{contract}` has no function `{}`", method.name),
                );
                with_suggestion(d, method.span, suggestion);
                self.infer_args(args, body);
                Ty::Error
            }
        }
    }

    fn round(&mut self, args: &[Expr], span: Span, body: &mut Body) -> Ty {
        match args {
            [places] => {
                self.check_expr(places, body, Some(&Ty::Int(IntTy::U32)));
            }
            [places, mode] => {
                self.check_expr(places, body, Some(&Ty::Int(IntTy::U32)));
                self.check_expr(mode, body, Some(&Ty::Rounding));
            }
            _ => {
                let d = self.error(
                    Code::ArgumentCount,
                    span,
                    format!(
                        "`round` takes the number of places and an optional mode, but {} argument{} given",
                        args.len(),
                        plural(args.len())
                    ),
                );
                d.notes.push(format!(
                    "modes: {}",
                    ROUNDING_MODES.iter().map(|m| format!("Rounding::{m}")).collect::<Vec<_>>().join(", ")
                ));
                self.infer_args(args, body);
            }
        }
        Ty::Decimal
    }

    /// `registry.with_gas(n).entry(args)`: a call to another contract that
    /// forwards at most `n` gas. `with_gas` means nothing on its own, so it
    /// is accepted only right before the call it limits.
    #[allow(clippy::too_many_arguments)]
    fn call_with_gas(
        &mut self,
        reference: &Expr,
        with_gas: &Ident,
        limit: &[Expr],
        method: &Ident,
        args: &[Expr],
        span: Span,
        body: &mut Body,
    ) -> Ty {
        let ty = self.infer_expr(reference, body, None);
        match limit {
            [limit] => {
                self.check_expr(limit, body, Some(&Ty::Int(IntTy::U64)));
            }
            _ => {
                self.error(
                    Code::ArgumentCount,
                    with_gas.span,
                    "`with_gas` takes the most gas to forward, a `u64`",
                );
                self.infer_args(limit, body);
            }
        }
        match ty {
            Ty::Ref(cid) => self.contract_call(cid, method, args, span, body),
            Ty::Error => {
                self.infer_args(args, body);
                Ty::Error
            }
            other => {
                let shown = self.display(&other);
                self.error(
                    Code::UnknownMethod,
                    with_gas.span,
                    format!("`with_gas` limits a call to another contract, and `{shown}` is not a contract reference"),
                );
                self.infer_args(args, body);
                Ty::Error
            }
        }
    }

    /// `registry.is_registered(who)`: a call to an entry point of another
    /// deployed contract, through a reference of its type.
    fn contract_call(
        &mut self,
        cid: ContractId,
        method: &Ident,
        args: &[Expr],
        span: Span,
        body: &mut Body,
    ) -> Ty {
        if body.is_test() || body.contract.is_none() {
            self.error(
                Code::ContractCallOutsideContract,
                span,
                "calls through a contract reference are made by contracts; a test calls through the handle `deploy` gave it",
            );
        } else if body.reading_only || matches!(body.kind, BodyKind::Invariant | BodyKind::Spec(..)) {
            // Invariants and specs are checked against one contract's
            // state, by the runner and the prover alike.
            self.error(
                Code::ContractCallOutsideContract,
                span,
                "an invariant or a spec reads its own contract's state only; call other contracts from entry points",
            );
        }
        let contract_name = self.contract_name(cid);
        let Some((_, info)) = self.entry_point(cid, method, args, body, &[]) else { return Ty::Error };
        let params: Vec<Ty> = info.params.iter().map(|p| p.ty.clone()).collect();
        self.check_args(&format!("`{contract_name}.{}`", info.name), &params, args, span, body);
        if info.kind == FnKind::Entry {
            // Calling an entry point that may change state changes state,
            // for views and the functions they call alike.
            if let BodyKind::Fn(caller) = body.kind
                && let Some(writes) = self.fn_writes.get_mut(caller as usize)
            {
                *writes = true;
            }
            if self.read_only(body) {
                let kind = if body.reading_only { BodyKind::Invariant } else { body.kind };
                self.read_only_violation(span, &format!("{contract_name}.{}", info.name), kind);
            }
        }
        info.ret
    }

    /// Entry point `method` (a `pub fn` or `pub view fn`) of contract
    /// `cid`, recorded as what `method` refers to; else reported (private,
    /// or unknown with a suggestion among the entry points and `also`),
    /// with `args` inferred, and `None`.
    fn entry_point(
        &mut self,
        cid: ContractId,
        method: &Ident,
        args: &[Expr],
        body: &mut Body,
        also: &[String],
    ) -> Option<(FnId, crate::types::FnInfo)> {
        let contract = self.t.contract(cid)?;
        let contract_name = contract.name.clone();
        let found =
            contract.fns.iter().copied().find(|f| self.t.fn_info(*f).is_some_and(|i| i.name == method.name));
        let entry_names: Vec<String> = contract
            .fns
            .iter()
            .filter_map(|f| self.t.fn_info(*f))
            .filter(|f| matches!(f.kind, FnKind::Entry | FnKind::View))
            .map(|f| f.name.clone())
            .chain(also.iter().cloned())
            .collect();
        match found.and_then(|f| self.t.fn_info(f).cloned().map(|i| (f, i))) {
            Some((id, info)) if matches!(info.kind, FnKind::Entry | FnKind::View) => {
                self.reference(method, Def::Fn(id));
                Some((id, info))
            }
            Some((_, info)) => {
                self.error(
                    Code::UnknownMethod,
                    method.span,
                    format!(
                        "`{}` is private to `{contract_name}`; only its `pub fn` and `pub view fn` entry points can be called",
                        info.name
                    ),
                );
                self.infer_args(args, body);
                None
            }
            None => {
                let suggestion = suggest(&method.name, entry_names.iter().map(String::as_str));
                let d = self.error(
                    Code::UnknownMethod,
                    method.span,
                    format!("the contract `{contract_name}` has no entry point `{}`", method.name),
                );
                with_suggestion(d, method.span, suggestion);
                self.infer_args(args, body);
                None
            }
        }
    }

    fn handle_method(
        &mut self,
        cid: ContractId,
        method: &Ident,
        args: &[Expr],
        span: Span,
        body: &mut Body,
    ) -> Ty {
        if !body.is_test() {
            self.error(Code::TestOnly, span, "calls through a contract handle are for tests");
        }
        let handle = Ty::Handle(cid);
        if let Some(generated) = builtins::method_of(&handle, &method.name) {
            let resolve =
                |shape: builtins::Shape| shape.resolve(Some(&handle), Some(cid)).unwrap_or(Ty::Error);
            let params: Vec<Ty> = generated.params.iter().map(|p| resolve(p.ty)).collect();
            self.check_args(&format!("`{}`", method.name), &params, args, span, body);
            return resolve(generated.ret);
        }
        let generated: Vec<String> =
            builtins::methods_of(&Ty::Handle(cid)).map(|m| m.name.to_string()).collect();
        let Some((_, info)) = self.entry_point(cid, method, args, body, &generated) else { return Ty::Error };
        let params: Vec<Ty> = info.params.iter().map(|p| p.ty.clone()).collect();
        self.check_args(&format!("`{}`", info.name), &params, args, span, body);
        info.ret
    }
}

/// Whether an expression names storage or a variable (possibly through
/// fields and indexes), so a mutating method changes it in place.
fn is_place(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Path(p) => p.is_single(),
        ExprKind::Paren(inner) => is_place(inner),
        ExprKind::Field { receiver, .. } => {
            matches!(receiver.kind, ExprKind::SelfValue) || is_place(receiver)
        }
        ExprKind::TupleField { receiver, .. } | ExprKind::Index { receiver, .. } => is_place(receiver),
        _ => false,
    }
}

/// The names of the methods a built-in type has, for suggestions.
pub fn methods_of(ty: &Ty) -> Vec<&'static str> {
    builtins::methods_of(ty).filter(|m| m.receiver != builtins::Receiver::Handle).map(|m| m.name).collect()
}
