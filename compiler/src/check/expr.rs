//! Expression typing: literals, names, operators, conversions, fields,
//! indexing, literals of structs/lists/tuples, `if`, `match`, and the
//! control-flow expressions `return`, `break`, `fail`, `emit`, `deploy`.
//!
//! Invariant: a type is never inferred beyond a literal or a `let`; the
//! expected type flows down (to type literals and empty collections) and
//! found types flow up.

use super::body::{Body, Effect};
use super::{BodyKind, Checker, compatible, suggest, with_suggestion};
use crate::ast::*;
use crate::diagnostic::Code;
use crate::span::Span;
use crate::types::*;

/// The largest whole part a Decimal can hold (i128::MAX / 10^18).
const DECIMAL_WHOLE_MAX: u128 = 170_141_183_460_469_231_731;
const DECIMAL_PLACES_MAX: usize = 18;

impl<'a> Checker<'a> {
    /// Types `e`, requiring it to fit `expected` when given.
    pub(super) fn check_expr(&mut self, e: &Expr, body: &mut Body, expected: Option<&Ty>) -> Ty {
        let ty = self.infer_expr(e, body, expected);
        if let Some(expected) = expected
            && !is_block_like(e)
            && !compatible(expected, &ty)
        {
            self.mismatch(e.span, expected, &ty);
        }
        ty
    }

    /// Types `e`; `hint` guides literals and empty collections only.
    pub(super) fn infer_expr(&mut self, e: &Expr, body: &mut Body, hint: Option<&Ty>) -> Ty {
        let ty = crate::stack::deep(|| self.infer_kind(e, body, hint));
        self.index.typed.entry(e.span.file).or_default().set_ty(e.id, ty.clone());
        ty
    }

    fn infer_kind(&mut self, e: &Expr, body: &mut Body, hint: Option<&Ty>) -> Ty {
        match &e.kind {
            ExprKind::Lit(lit) => self.lit_type(lit, hint, e.span, false),
            ExprKind::Path(path) => self.value_path(path, body, hint),
            ExprKind::SelfValue => {
                let message = if body.contract.is_some() {
                    "`self` is not a value by itself; read a storage field with `self.name`"
                } else {
                    "`self` is the contract's storage, and there is no contract here"
                };
                self.error(Code::SelfOutsideContract, e.span, message);
                Ty::Error
            }
            ExprKind::Paren(inner) => self.infer_expr(inner, body, hint),
            ExprKind::Unary { op, operand } => self.unary(*op, operand, e.span, body, hint),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, body, hint),
            ExprKind::Cast { expr, ty } => self.cast(expr, ty, body),
            ExprKind::Call { callee, args } => self.call(callee, args, e.span, body, hint),
            ExprKind::MethodCall { receiver, method, args } => {
                self.method_call(receiver, method, args, e.span, body)
            }
            ExprKind::Field { receiver, name } => {
                if matches!(receiver.kind, ExprKind::SelfValue) {
                    return self.storage_field(receiver.span, name, body);
                }
                let ty = self.infer_expr(receiver, body, None);
                self.field_of(&ty, name)
            }
            ExprKind::TupleField { receiver, index, index_span } => {
                let ty = self.infer_expr(receiver, body, None);
                self.tuple_field_of(&ty, *index, *index_span)
            }
            ExprKind::Index { receiver, index } => {
                let ty = self.infer_expr(receiver, body, None);
                self.index_of(&ty, index, receiver.span, body)
            }
            ExprKind::StructLit { path, fields } => self.struct_literal(path, fields, e.span, body),
            ExprKind::Tuple(items) => {
                if items.is_empty() {
                    return Ty::Unit;
                }
                let hints: Vec<Option<&Ty>> = match hint {
                    Some(Ty::Tuple(parts)) if parts.len() == items.len() => parts.iter().map(Some).collect(),
                    _ => items.iter().map(|_| None).collect(),
                };
                let tys = items.iter().zip(hints).map(|(item, h)| self.check_expr(item, body, h)).collect();
                Ty::Tuple(tys)
            }
            ExprKind::List(items) => self.list_literal(items, e.span, body, hint),
            ExprKind::Block(block) => self.check_block(block, body, hint, true),
            ExprKind::If { cond, then_block, else_branch } => {
                self.if_expr(cond, then_block, else_branch.as_deref(), body, hint)
            }
            ExprKind::Match { scrutinee, arms } => self.match_expr(scrutinee, arms, e.span, body, hint),
            ExprKind::Return(value) => {
                self.return_expr(value.as_deref(), e.span, body);
                Ty::Never
            }
            ExprKind::Break | ExprKind::Continue => {
                if body.loop_depth == 0 {
                    self.error(
                        Code::BreakOutsideLoop,
                        e.span,
                        "`break` and `continue` belong inside `while` or `for`",
                    );
                }
                Ty::Never
            }
            ExprKind::Fail { error, args } => {
                self.fail_expr(error, args, e.span, body);
                Ty::Never
            }
            ExprKind::Emit { event, args } => {
                self.emit_expr(event, args, e.span, body);
                Ty::Unit
            }
            ExprKind::Deploy { contract, args, from } => {
                self.deploy_expr(contract, args, from.as_deref(), e.span, body)
            }
            ExprKind::Error => Ty::Error,
        }
    }

    /// Types a literal; `negative` when it is the operand of unary minus.
    pub(super) fn lit_type(&mut self, lit: &Lit, hint: Option<&Ty>, span: Span, negative: bool) -> Ty {
        match lit {
            Lit::Bool(_) => Ty::Bool,
            Lit::Str(_) => Ty::String,
            Lit::Bytes(_) => Ty::Bytes,
            Lit::Hex(digits) => self.hex_type(digits, hint, span),
            Lit::Int(digits) => self.int_type(digits, hint, span, negative),
            Lit::Decimal(text) => {
                let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
                if fraction.len() > DECIMAL_PLACES_MAX {
                    self.error(
                        Code::DecimalPrecision,
                        span,
                        format!("a Decimal has at most {DECIMAL_PLACES_MAX} fractional digits; this literal has {}", fraction.len()),
                    );
                }
                if whole.parse::<u128>().map_or(true, |w| w > DECIMAL_WHOLE_MAX) {
                    self.error(
                        Code::IntegerOutOfRange,
                        span,
                        format!("`{text}` is beyond the largest Decimal"),
                    );
                }
                Ty::Decimal
            }
        }
    }

    fn hex_type(&mut self, digits: &str, hint: Option<&Ty>, span: Span) -> Ty {
        match hint {
            Some(Ty::Hash) => {
                if digits.len() != 64 {
                    self.error(
                        Code::InvalidLiteral,
                        span,
                        format!("a Hash literal has 64 hex digits; this one has {}", digits.len()),
                    );
                }
                Ty::Hash
            }
            Some(Ty::Address) => {
                if digits.len() != 40 {
                    self.error(
                        Code::InvalidLiteral,
                        span,
                        format!("an Address literal has 40 hex digits; this one has {}", digits.len()),
                    );
                }
                Ty::Address
            }
            _ => Ty::Bytes,
        }
    }

    fn int_type(&mut self, digits: &str, hint: Option<&Ty>, span: Span, negative: bool) -> Ty {
        let value = digits.parse::<u128>().ok();
        let sign = if negative { "-" } else { "" };
        let (ty, fits) = match hint {
            Some(Ty::Decimal) => (Ty::Decimal, value.is_some_and(|v| v <= DECIMAL_WHOLE_MAX)),
            Some(Ty::Timestamp) => (Ty::Timestamp, !negative && value.is_some_and(|v| v <= u64::MAX as u128)),
            Some(Ty::Int(t)) => (Ty::Int(*t), int_fits(*t, value, negative)),
            _ => {
                let t = if negative { IntTy::I64 } else { IntTy::U64 };
                (Ty::Int(t), int_fits(t, value, negative))
            }
        };
        if !fits {
            let shown = self.display(&ty);
            let range = match &ty {
                Ty::Int(t) if t.signed() => format!("-{}..={}", t.min_magnitude(), t.max_value()),
                Ty::Int(t) => format!("0..={}", t.max_value()),
                Ty::Timestamp => format!("0..={}", u64::MAX),
                _ => format!("up to {DECIMAL_WHOLE_MAX}"),
            };
            self.error(
                Code::IntegerOutOfRange,
                span,
                format!("`{sign}{digits}` does not fit in `{shown}` ({range})"),
            );
        }
        ty
    }

    fn unary(&mut self, op: UnOp, operand: &Expr, span: Span, body: &mut Body, hint: Option<&Ty>) -> Ty {
        match op {
            UnOp::Not => match self.infer_expr(operand, body, Some(&Ty::Bool)) {
                Ty::Bool => Ty::Bool,
                Ty::Error | Ty::Never => Ty::Bool,
                other => {
                    let shown = self.display(&other);
                    self.error(Code::InvalidOperand, span, format!("`!` negates a bool, not `{shown}`"));
                    Ty::Error
                }
            },
            UnOp::Neg => {
                if let ExprKind::Lit(lit @ (Lit::Int(_) | Lit::Decimal(_))) = &operand.kind {
                    let ty = self.lit_type(lit, hint, span, true);
                    if let Ty::Int(t) = ty
                        && !t.signed()
                    {
                        self.error(
                            Code::IntegerOutOfRange,
                            span,
                            format!("`{}` holds no negative values", t.name()),
                        );
                    }
                    return ty;
                }
                let ty = self.infer_expr(operand, body, hint);
                match ty {
                    Ty::Int(t) if t.signed() => ty,
                    Ty::Decimal | Ty::Error => ty,
                    _ => {
                        let shown = self.display(&ty);
                        self.error(
                            Code::InvalidOperand,
                            span,
                            format!("`-` needs a signed integer or a Decimal, found `{shown}`"),
                        );
                        Ty::Error
                    }
                }
            }
        }
    }

    /// Types two operands that must agree; an untyped literal on the left
    /// takes its type from the right.
    pub(super) fn infer_pair(
        &mut self,
        lhs: &Expr,
        rhs: &Expr,
        body: &mut Body,
        hint: Option<&Ty>,
    ) -> (Ty, Ty) {
        if is_untyped(lhs) && !is_untyped(rhs) {
            let rt = self.infer_expr(rhs, body, hint);
            let lt = self.infer_expr(lhs, body, Some(&rt));
            (lt, rt)
        } else {
            let lt = self.infer_expr(lhs, body, hint);
            let rt = self.infer_expr(rhs, body, Some(&lt));
            (lt, rt)
        }
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, body: &mut Body, hint: Option<&Ty>) -> Ty {
        match op {
            BinOp::And | BinOp::Or => {
                self.check_expr(lhs, body, Some(&Ty::Bool));
                self.check_expr(rhs, body, Some(&Ty::Bool));
                Ty::Bool
            }
            BinOp::Eq | BinOp::Ne => {
                let (lt, rt) = self.infer_pair(lhs, rhs, body, None);
                if !compatible(&lt, &rt) {
                    self.operand_mismatch(op, rhs.span, &lt, &rt);
                }
                Ty::Bool
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let (lt, rt) = self.infer_pair(lhs, rhs, body, None);
                if !compatible(&lt, &rt) {
                    self.operand_mismatch(op, rhs.span, &lt, &rt);
                } else if !lt.is_ordered() || matches!(lt, Ty::Bool | Ty::Bytes | Ty::Hash | Ty::Address) {
                    let shown = self.display(&lt);
                    self.error(
                        Code::NotOrdered,
                        lhs.span.to(rhs.span),
                        format!("`{}` compares numbers, Decimals, times, dates, text and tuples of them; `{shown}` has no order", op.text()),
                    );
                }
                Ty::Bool
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                self.arithmetic(op, lhs, rhs, body, hint)
            }
        }
    }

    fn operand_mismatch(&mut self, op: BinOp, span: Span, lt: &Ty, rt: &Ty) {
        let message = format!(
            "`{}` needs both sides of the same type; the left is `{}`, the right is `{}`",
            op.text(),
            self.display(lt),
            self.display(rt)
        );
        self.error(Code::TypeMismatch, span, message);
    }

    fn arithmetic(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, body: &mut Body, hint: Option<&Ty>) -> Ty {
        let hint = hint.filter(|h| h.is_numeric());
        let lt =
            if is_untyped(lhs) && !is_untyped(rhs) { None } else { Some(self.infer_expr(lhs, body, hint)) };
        // Times and dates have their own rules: `ts + secs`, `ts - secs`,
        // `t1 - t0`, `d1 - d0`.
        match (&lt, op) {
            (Some(Ty::Timestamp), BinOp::Add) => {
                self.check_expr(rhs, body, Some(&Ty::Int(IntTy::U64)));
                return Ty::Timestamp;
            }
            (Some(Ty::Timestamp), BinOp::Sub) => {
                let rt = self.infer_expr(rhs, body, Some(&Ty::Int(IntTy::U64)));
                return match rt {
                    Ty::Timestamp => Ty::Int(IntTy::U64),
                    Ty::Int(IntTy::U64) | Ty::Error => Ty::Timestamp,
                    other => {
                        self.mismatch(rhs.span, &Ty::Int(IntTy::U64), &other);
                        Ty::Error
                    }
                };
            }
            (Some(Ty::Date), BinOp::Sub) => {
                self.check_expr(rhs, body, Some(&Ty::Date));
                return Ty::Int(IntTy::I64);
            }
            _ => {}
        }
        let (lt, rt) = match lt {
            Some(lt) => {
                let rt = self.infer_expr(rhs, body, Some(&lt));
                (lt, rt)
            }
            None => {
                let rt = self.infer_expr(rhs, body, hint);
                let lt = self.infer_expr(lhs, body, Some(&rt));
                (lt, rt)
            }
        };
        if lt.is_error() || rt.is_error() {
            return Ty::Error;
        }
        if !compatible(&lt, &rt) {
            self.operand_mismatch(op, rhs.span, &lt, &rt);
            return Ty::Error;
        }
        let allowed = match op {
            BinOp::Add => lt.is_numeric() || matches!(lt, Ty::String | Ty::Bytes),
            BinOp::Rem => matches!(lt, Ty::Int(_)),
            _ => lt.is_numeric(),
        };
        if !allowed && lt != Ty::Never {
            let shown = self.display(&lt);
            let what = if op == BinOp::Rem { "integers" } else { "numbers or Decimals" };
            self.error(
                Code::InvalidOperand,
                lhs.span.to(rhs.span),
                format!("`{}` works on {what}, not on `{shown}`", op.text()),
            );
            return Ty::Error;
        }
        lt
    }

    fn cast(&mut self, expr: &Expr, target: &TypeExpr, body: &mut Body) -> Ty {
        let from = self.infer_expr(expr, body, None);
        let to = self.resolve_type(target, body.module, body.contract);
        let convertible = |t: &Ty| matches!(t, Ty::Int(_) | Ty::Decimal | Ty::Timestamp | Ty::Error);
        let ok = convertible(&from)
            && convertible(&to)
            && !(from == Ty::Timestamp && to == Ty::Decimal)
            && !(from == Ty::Decimal && to == Ty::Timestamp);
        if !ok {
            let message = format!(
                "`as` converts between integer types, Decimal and Timestamp; `{}` cannot become `{}`",
                self.display(&from),
                self.display(&to)
            );
            self.error(Code::InvalidCast, expr.span.to(target.span), message);
            return Ty::Error;
        }
        to
    }

    /// A name or path used as a value.
    fn value_path(&mut self, path: &Path, body: &mut Body, hint: Option<&Ty>) -> Ty {
        let name = &path.last().name;
        if path.is_single() {
            if let Some(id) = body.lookup_local(name) {
                if let Some(state) = self.local_use.get_mut(id as usize) {
                    state.0 = true;
                }
                self.reference(path.last(), Def::Local(id));
                return self.t.local(id).map_or(Ty::Error, |l| l.ty.clone());
            }
            if let Some(Ty::Role(cid)) = hint
                && let Some(index) = self.t.contract(*cid).and_then(|c| c.role(name))
            {
                self.reference(path.last(), Def::Role(*cid, index));
                return Ty::Role(*cid);
            }
            if let Some(Ty::Role(cid)) = hint
                && self.lookup_name(name, body.module, body.contract).is_none()
            {
                let role = path.last().clone();
                self.unknown_role(&role, Some(*cid));
                return Ty::Error;
            }
            if name == "None" {
                return match hint {
                    Some(Ty::Option(inner)) => Ty::Option(inner.clone()),
                    Some(_) => Ty::Option(Box::new(Ty::Error)),
                    None => {
                        self.error(
                            Code::AmbiguousType,
                            path.span,
                            "the type of this `None` is not known; give the binding a type, such as `let x: Option<u64> = None;`",
                        );
                        Ty::Option(Box::new(Ty::Error))
                    }
                };
            }
        }
        if path.segments.len() == 2 && path.segments[0].name == "Rounding" {
            if ROUNDING_MODES.contains(&name.as_str()) {
                return Ty::Rounding;
            }
            let suggestion = suggest(name, ROUNDING_MODES.iter().copied());
            let d = self.error(
                Code::UnknownName,
                path.last().span,
                format!("there is no rounding mode `{name}`"),
            );
            d.notes.push(format!("the modes are {}", ROUNDING_MODES.join(", ")));
            with_suggestion(d, path.last().span, suggestion);
            return Ty::Error;
        }
        match self.lookup_path(path, body.module, body.contract) {
            Some(def) => self.value_of_def(def, path, body),
            None => {
                self.unknown_value(path, body);
                Ty::Error
            }
        }
    }

    fn value_of_def(&mut self, def: Def, path: &Path, body: &Body) -> Ty {
        self.reference(path.last(), def);
        let name = path.last().name.clone();
        match def {
            Def::Const(id) => self.t.consts.get(id as usize).map_or(Ty::Error, |c| c.ty.clone()),
            Def::Role(cid, _) => {
                if body.contract.is_none() && !body.is_test() {
                    self.error(
                        Code::ContractOnly,
                        path.span,
                        "roles are used inside their contract or with a contract handle",
                    );
                }
                Ty::Role(cid)
            }
            Def::Variant(eid, index) => {
                let arity = self
                    .t
                    .enum_info(eid)
                    .and_then(|e| e.variants.get(index as usize))
                    .map_or(0, |v| v.fields.len());
                if arity > 0 {
                    self.error(
                        Code::ArgumentCount,
                        path.span,
                        format!(
                            "the variant `{name}` carries {arity} value{}; write `{}(...)`",
                            plural(arity),
                            path.to_text()
                        ),
                    );
                }
                Ty::Enum(eid)
            }
            Def::Fn(_) => {
                self.error(
                    Code::NotCallable,
                    path.span,
                    format!("`{name}` is a function; call it with `{name}(...)`"),
                );
                Ty::Error
            }
            Def::Event(..) | Def::Error(..) => {
                self.error(
                    Code::UnknownName,
                    path.span,
                    format!("`{name}` is an event or error; use it with `emit`, `fail` or an assertion"),
                );
                Ty::Error
            }
            Def::Struct(_) => {
                self.error(Code::UnknownName, path.span, format!("`{name}` is a type, not a value"))
                    .notes
                    .push(format!("build a value with `{name} {{ field: value }}`; in the head of `if`, `while`, `match` or `for`, put it in parentheses"));
                Ty::Error
            }
            Def::Enum(_) | Def::Contract(_) => {
                self.error(Code::UnknownName, path.span, format!("`{name}` is a type, not a value"));
                Ty::Error
            }
            Def::Local(id) => self.t.local(id).map_or(Ty::Error, |l| l.ty.clone()),
            Def::Field(..) | Def::Storage(..) => Ty::Error,
        }
    }

    pub(super) fn unknown_value(&mut self, path: &Path, body: &Body) {
        let name = path.to_text();
        let mut candidates = body.local_names();
        if let Some(scope) = self.scopes.get(body.module) {
            candidates.extend(scope.items.keys().cloned());
            candidates.extend(scope.imports.keys().cloned());
        }
        if let Some(cid) = body.contract
            && let Some(scope) = self.contract_scopes.get(cid as usize)
        {
            candidates.extend(scope.keys().cloned());
        }
        candidates.extend(crate::builtins::FUNCTIONS.iter().map(|f| f.name.to_string()));
        let suggestion = suggest(&name, candidates.iter().map(String::as_str));
        let d = self.error(Code::UnknownName, path.span, format!("there is no `{name}` in scope"));
        with_suggestion(d, path.span, suggestion);
    }

    pub(super) fn field_of(&mut self, ty: &Ty, name: &Ident) -> Ty {
        match ty {
            Ty::Struct(id) => {
                let Some(info) = self.t.struct_info(*id) else { return Ty::Error };
                if let Some(index) = info.fields.iter().position(|f| f.name == name.name) {
                    let field_ty = info.fields[index].ty.clone();
                    self.reference(name, Def::Field(*id, index as u32));
                    return field_ty;
                }
                let names: Vec<String> = info.fields.iter().map(|f| f.name.clone()).collect();
                let struct_name = info.name.clone();
                let suggestion = suggest(&name.name, names.iter().map(String::as_str));
                let d = self.error(
                    Code::UnknownField,
                    name.span,
                    format!("`{struct_name}` has no field `{}`", name.name),
                );
                d.notes.push(format!("its fields are {}", names.join(", ")));
                with_suggestion(d, name.span, suggestion);
                Ty::Error
            }
            Ty::Error => Ty::Error,
            other => {
                let shown = self.display(other);
                self.error(Code::NoFields, name.span, format!("`{shown}` has no fields"));
                Ty::Error
            }
        }
    }

    pub(super) fn tuple_field_of(&mut self, ty: &Ty, index: u32, span: Span) -> Ty {
        match ty {
            Ty::Tuple(parts) => match parts.get(index as usize) {
                Some(t) => t.clone(),
                None => {
                    self.error(
                        Code::TupleIndex,
                        span,
                        format!("this tuple has {} elements, numbered from 0", parts.len()),
                    );
                    Ty::Error
                }
            },
            Ty::Error => Ty::Error,
            other => {
                let shown = self.display(other);
                self.error(
                    Code::TupleIndex,
                    span,
                    format!("`.{index}` reads a tuple element, and `{shown}` is not a tuple"),
                );
                Ty::Error
            }
        }
    }

    pub(super) fn index_of(&mut self, ty: &Ty, index: &Expr, receiver_span: Span, body: &mut Body) -> Ty {
        match ty {
            Ty::List(elem) => {
                self.check_expr(index, body, Some(&Ty::Int(IntTy::U64)));
                (**elem).clone()
            }
            Ty::Map(key, value) => {
                self.check_expr(index, body, Some(key));
                (**value).clone()
            }
            Ty::Error => {
                self.infer_expr(index, body, None);
                Ty::Error
            }
            other => {
                self.infer_expr(index, body, None);
                let shown = self.display(other);
                self.error(
                    Code::NotIndexable,
                    receiver_span,
                    format!("`[...]` reads lists and maps; this is `{shown}`"),
                );
                Ty::Error
            }
        }
    }

    fn struct_literal(&mut self, path: &Path, fields: &[FieldInit], span: Span, body: &mut Body) -> Ty {
        let id = match self.lookup_path(path, body.module, body.contract) {
            Some(Def::Struct(id)) => id,
            other => {
                if other.is_none() {
                    let d_path = path.clone();
                    self.unknown_value(&d_path, body);
                } else {
                    self.error(Code::UnknownType, path.span, format!("`{}` is not a struct", path.to_text()));
                }
                for f in fields.iter().filter(|f| !f.shorthand) {
                    self.infer_expr(&f.value, body, None);
                }
                return Ty::Error;
            }
        };
        self.reference(path.last(), Def::Struct(id));
        let Some(info) = self.t.struct_info(id).cloned() else { return Ty::Error };
        let mut given: Vec<&str> = Vec::new();
        for f in fields {
            let field = info.fields.iter().position(|x| x.name == f.name.name);
            let expected = field.and_then(|i| info.fields.get(i)).map(|x| x.ty.clone());
            if given.contains(&f.name.name.as_str()) {
                self.error(
                    Code::DuplicateField,
                    f.name.span,
                    format!("the field `{}` is given twice", f.name.name),
                );
            }
            given.push(&f.name.name);
            match field {
                Some(i) => self.reference(&f.name, Def::Field(id, i as u32)),
                None => {
                    let names: Vec<String> = info.fields.iter().map(|x| x.name.clone()).collect();
                    let suggestion = suggest(&f.name.name, names.iter().map(String::as_str));
                    let d = self.error(
                        Code::UnknownField,
                        f.name.span,
                        format!("`{}` has no field `{}`", info.name, f.name.name),
                    );
                    with_suggestion(d, f.name.span, suggestion);
                }
            }
            self.check_expr(&f.value, body, expected.as_ref());
        }
        let missing: Vec<&str> =
            info.fields.iter().map(|f| f.name.as_str()).filter(|n| !given.contains(n)).collect();
        if !missing.is_empty() {
            let list = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
            self.error(Code::MissingField, span, format!("`{}` also needs {list}", info.name));
        }
        Ty::Struct(id)
    }

    fn list_literal(&mut self, items: &[Expr], span: Span, body: &mut Body, hint: Option<&Ty>) -> Ty {
        let elem_hint = match hint {
            Some(Ty::List(inner)) => Some((**inner).clone()),
            _ => None,
        };
        let Some(first) = items.first() else {
            return match elem_hint {
                Some(t) => Ty::List(Box::new(t)),
                None => {
                    if !matches!(hint, Some(Ty::Error)) {
                        self.error(
                            Code::AmbiguousType,
                            span,
                            "the element type of this empty list is not known; give the binding a type, such as `let xs: List<u64> = [];`",
                        );
                    }
                    Ty::List(Box::new(Ty::Error))
                }
            };
        };
        let elem = match elem_hint {
            Some(t) => {
                self.check_expr(first, body, Some(&t));
                t
            }
            None => self.infer_expr(first, body, None),
        };
        for item in items.iter().skip(1) {
            self.check_expr(item, body, Some(&elem));
        }
        Ty::List(Box::new(elem))
    }

    fn if_expr(
        &mut self,
        cond: &Expr,
        then_block: &Block,
        else_branch: Option<&Expr>,
        body: &mut Body,
        hint: Option<&Ty>,
    ) -> Ty {
        self.check_expr(cond, body, Some(&Ty::Bool));
        let Some(else_branch) = else_branch else {
            // The block's tail is held to `()` by `check_block` itself.
            self.check_block(then_block, body, Some(&Ty::Unit), true);
            return Ty::Unit;
        };
        let then_ty = self.check_block(then_block, body, hint, true);
        let else_hint = match (hint, &then_ty) {
            (Some(h), _) => Some(h.clone()),
            (None, Ty::Never) => None,
            (None, t) => Some(t.clone()),
        };
        let else_ty = self.check_expr(else_branch, body, else_hint.as_ref());
        join(then_ty, else_ty)
    }

    fn match_expr(
        &mut self,
        scrutinee: &Expr,
        arms: &[Arm],
        span: Span,
        body: &mut Body,
        hint: Option<&Ty>,
    ) -> Ty {
        let scrutinee_ty = self.infer_expr(scrutinee, body, None);
        let mut result: Option<Ty> = hint.cloned();
        let mut all_never = !arms.is_empty();
        for arm in arms {
            body.scopes.push(Vec::new());
            let mut bindings = Vec::new();
            self.check_pattern(&arm.pattern, &scrutinee_ty, body, &mut bindings);
            for (name, ty) in bindings {
                self.bind_local(body, &name, ty, false, true);
            }
            let arm_ty = self.check_expr(&arm.body, body, result.as_ref());
            if arm_ty != Ty::Never {
                all_never = false;
                if result.is_none() {
                    result = Some(arm_ty);
                }
            }
            self.close_scope(body);
        }
        // Point at `match <scrutinee>`, not the whole multi-line match.
        let head = Span { hi: scrutinee.span.hi, ..span };
        self.check_exhaustive(arms, &scrutinee_ty, head);
        if all_never {
            return Ty::Never;
        }
        result.unwrap_or(Ty::Unit)
    }

    fn return_expr(&mut self, value: Option<&Expr>, span: Span, body: &mut Body) {
        let in_fn = matches!(body.kind, BodyKind::Fn(_));
        match value {
            Some(v) if !in_fn => {
                self.infer_expr(v, body, None);
                self.error(
                    Code::ReturnInInvariant,
                    v.span,
                    "tests, properties and invariants end with a plain `return;`",
                );
            }
            Some(v) if body.ret == Ty::Unit => {
                let found = self.infer_expr(v, body, None);
                if !matches!(found, Ty::Unit | Ty::Never | Ty::Error) {
                    self.error(
                        Code::ReturnInInvariant,
                        v.span,
                        "this function declares no result (`-> Type`), so `return` takes no value",
                    );
                }
            }
            Some(v) => {
                let ret = body.ret.clone();
                self.check_expr(v, body, Some(&ret));
            }
            None => {
                if in_fn && body.ret != Ty::Unit && !body.ret.is_error() {
                    let shown = self.display(&body.ret);
                    self.error(
                        Code::TypeMismatch,
                        span,
                        format!("this function returns `{shown}`, so `return` needs a value"),
                    );
                }
            }
        }
    }

    /// Finds an event or error of the current contract named by `path`.
    fn contract_record(
        &mut self,
        path: &Path,
        body: &Body,
        events: bool,
    ) -> Option<(ContractId, u32, Vec<FieldInfo>)> {
        let cid = body.contract?;
        let contract = self.t.contract(cid)?;
        let found = if path.is_single() {
            let name = &path.last().name;
            if events { contract.event(name) } else { contract.error(name) }
        } else {
            match self.lookup_path(path, body.module, body.contract) {
                Some(Def::Event(c, i)) if events && c == cid => Some(i),
                Some(Def::Error(c, i)) if !events && c == cid => Some(i),
                _ => None,
            }
        }?;
        let contract = self.t.contract(cid)?;
        let list = if events { &contract.events } else { &contract.errors };
        let fields = list.get(found as usize)?.fields.clone();
        let def = if events { Def::Event(cid, found) } else { Def::Error(cid, found) };
        self.reference(path.last(), def);
        Some((cid, found, fields))
    }

    fn fail_expr(&mut self, error: &Path, args: &[Expr], span: Span, body: &mut Body) {
        if body.contract.is_none() {
            self.error(
                Code::ContractOnly,
                span,
                "`fail` raises a contract's error, and there is no contract here",
            );
            self.infer_args(args, body);
            return;
        }
        match self.contract_record(error, body, false) {
            Some((_, _, fields)) => self.record_args(error, &fields, args, span, body),
            None => {
                let is_event = self.contract_record(error, body, true).is_some();
                let other = self.lookup_path(error, body.module, body.contract).is_some();
                let name = error.to_text();
                if !is_event && other {
                    self.error(
                        Code::FailNonError,
                        error.span,
                        format!("`{name}` is not an error; `fail` needs an `error` declared in the contract"),
                    );
                } else if is_event {
                    self.error(
                        Code::FailNonError,
                        error.span,
                        format!("`{name}` is an event; `fail` needs an `error` declared in the contract"),
                    );
                } else {
                    let names = self.record_names(body.contract, false);
                    let suggestion = suggest(&name, names.iter().map(String::as_str));
                    let d = self.error(
                        Code::UnknownError,
                        error.span,
                        format!("the contract declares no error `{name}`"),
                    );
                    with_suggestion(d, error.span, suggestion);
                }
                self.infer_args(args, body);
            }
        }
    }

    fn emit_expr(&mut self, event: &Path, args: &[Expr], span: Span, body: &mut Body) {
        if body.contract.is_none() {
            self.error(
                Code::ContractOnly,
                span,
                "`emit` records a contract's event, and there is no contract here",
            );
            self.infer_args(args, body);
            return;
        }
        self.effect(Effect::Emit, span, body);
        match self.contract_record(event, body, true) {
            Some((_, _, fields)) => self.record_args(event, &fields, args, span, body),
            None => {
                let name = event.to_text();
                let names = self.record_names(body.contract, true);
                let suggestion = suggest(&name, names.iter().map(String::as_str));
                let d = self.error(
                    Code::UnknownEvent,
                    event.span,
                    format!("the contract declares no event `{name}`"),
                );
                with_suggestion(d, event.span, suggestion);
                self.infer_args(args, body);
            }
        }
    }

    pub(super) fn record_names(&self, contract: Option<ContractId>, events: bool) -> Vec<String> {
        contract
            .and_then(|c| self.t.contract(c))
            .map(|c| {
                let list = if events { &c.events } else { &c.errors };
                list.iter().map(|r| r.name.clone()).collect()
            })
            .unwrap_or_default()
    }

    /// Checks the arguments of an event or error against its fields.
    pub(super) fn record_args(
        &mut self,
        path: &Path,
        fields: &[FieldInfo],
        args: &[Expr],
        span: Span,
        body: &mut Body,
    ) {
        if fields.len() != args.len() {
            self.infer_args(args, body);
            self.error(
                Code::EventArity,
                span,
                format!(
                    "`{}` has {} field{}, but {} value{} given",
                    path.to_text(),
                    fields.len(),
                    plural(fields.len()),
                    args.len(),
                    if args.len() == 1 { " is" } else { "s are" }
                ),
            );
            return;
        }
        for (i, arg) in args.iter().enumerate() {
            let expected = fields.get(i).map(|f| f.ty.clone());
            self.check_expr(arg, body, expected.as_ref());
        }
    }

    pub(super) fn infer_args(&mut self, args: &[Expr], body: &mut Body) {
        for arg in args {
            self.infer_expr(arg, body, None);
        }
    }

    fn deploy_expr(
        &mut self,
        contract: &Path,
        args: &[Expr],
        from: Option<&Expr>,
        span: Span,
        body: &mut Body,
    ) -> Ty {
        if !body.is_test() {
            self.error(
                Code::TestOnly,
                span,
                "`deploy` is for tests; contracts are deployed with `writ deploy`",
            );
        }
        if let Some(from) = from {
            self.check_expr(from, body, Some(&Ty::Address));
        }
        let cid = match self.lookup_path(contract, body.module, body.contract) {
            Some(Def::Contract(cid)) => cid,
            _ => {
                let names: Vec<String> = self.t.contracts.iter().map(|c| c.name.clone()).collect();
                let suggestion = suggest(&contract.to_text(), names.iter().map(String::as_str));
                let d = self.error(
                    Code::UnknownContract,
                    contract.span,
                    format!("there is no contract `{}` to deploy", contract.to_text()),
                );
                with_suggestion(d, contract.span, suggestion);
                self.infer_args(args, body);
                return Ty::Error;
            }
        };
        self.reference(contract.last(), Def::Contract(cid));
        if self.t.contract(cid).is_some_and(|c| c.interface && !c.from_artifact) {
            self.error(
                Code::DeployInterface,
                contract.span,
                format!(
                    "`{name}` is an interface: it has no code to deploy; deploy a contract with the same \
                     entry points and reach it as `{name}::at(deployed.address())`",
                    name = contract.to_text()
                ),
            );
        }
        let params: Vec<Ty> = self
            .t
            .contract(cid)
            .and_then(|c| c.init)
            .and_then(|f| self.t.fn_info(f))
            .map(|f| f.params.iter().map(|p| p.ty.clone()).collect())
            .unwrap_or_default();
        self.check_args(&format!("`init` of {}", contract.to_text()), &params, args, span, body);
        Ty::Handle(cid)
    }

    /// Checks call arguments against parameter types, reporting a count mismatch.
    pub(super) fn check_args(
        &mut self,
        what: &str,
        params: &[Ty],
        args: &[Expr],
        span: Span,
        body: &mut Body,
    ) {
        if params.len() != args.len() {
            self.error(
                Code::ArgumentCount,
                span,
                format!(
                    "{what} takes {} argument{}, but {} {} given",
                    params.len(),
                    plural(params.len()),
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ),
            );
            self.infer_args(args, body);
            return;
        }
        for (i, arg) in args.iter().enumerate() {
            match params.get(i) {
                Some(p) => {
                    self.check_expr(arg, body, Some(p));
                }
                None => {
                    self.infer_expr(arg, body, None);
                }
            }
        }
    }
}

pub const ROUNDING_MODES: &[&str] = &["Down", "Up", "Floor", "Ceiling", "HalfUp", "HalfDown", "HalfEven"];

fn int_fits(t: IntTy, value: Option<u128>, negative: bool) -> bool {
    match value {
        None => false,
        Some(v) if negative => v <= t.min_magnitude(),
        Some(v) => v <= t.max_value(),
    }
}

/// Literals and empty collections whose type comes from the other side.
pub(super) fn is_untyped(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Lit(Lit::Int(_) | Lit::Hex(_)) => true,
        ExprKind::Unary { op: UnOp::Neg, operand } => matches!(operand.kind, ExprKind::Lit(Lit::Int(_))),
        ExprKind::Paren(inner) => is_untyped(inner),
        ExprKind::List(items) => items.is_empty(),
        ExprKind::Path(p) => p.is_single() && p.last().name == "None",
        _ => false,
    }
}

fn is_block_like(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Block(_) | ExprKind::If { .. } | ExprKind::Match { .. })
}

/// The type of two branches that both had to fit the same expectation.
fn join(a: Ty, b: Ty) -> Ty {
    match (a, b) {
        (Ty::Never, b) => b,
        (a, _) => a,
    }
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
