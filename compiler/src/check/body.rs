//! Checking bodies: functions, tests, properties, invariants and constants;
//! statements, blocks, scopes, assignment targets and effects.
//!
//! Invariant: every local is declared once per block, every scope reports
//! its unused and needlessly mutable locals when it closes, and every
//! storage write or emit is attributed to the body that does it.

use super::declare::Work;
use super::{BodyKind, Checker};
use crate::ast::*;
use crate::diagnostic::{Code, Label};
use crate::span::Span;
use crate::types::*;

/// The state of one body being checked.
pub(super) struct Body {
    pub module: usize,
    pub contract: Option<ContractId>,
    pub kind: BodyKind,
    /// What `return` must produce.
    pub ret: Ty,
    pub(super) scopes: Vec<Vec<(String, LocalId)>>,
    pub loop_depth: u32,
    /// The next block checked is a loop's body (its leading statements
    /// may be `invariant`s).
    pub(super) loop_body_next: bool,
    /// Checking a loop invariant, which only reads (E2044).
    pub(super) reading_only: bool,
}

impl Body {
    pub(super) fn new(module: usize, contract: Option<ContractId>, kind: BodyKind, ret: Ty) -> Body {
        Body {
            module,
            contract,
            kind,
            ret,
            scopes: vec![Vec::new()],
            loop_depth: 0,
            loop_body_next: false,
            reading_only: false,
        }
    }

    pub fn lookup_local(&self, name: &str) -> Option<LocalId> {
        self.scopes
            .iter()
            .rev()
            .find_map(|scope| scope.iter().rev().find(|(n, _)| n == name).map(|(_, id)| *id))
    }

    pub fn local_names(&self) -> Vec<String> {
        self.scopes.iter().flatten().map(|(n, _)| n.clone()).collect()
    }

    pub fn is_test(&self) -> bool {
        matches!(self.kind, BodyKind::Test | BodyKind::Property)
    }
}

/// Where an assignment target lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PlaceRoot {
    Local(LocalId),
    Storage,
    /// Not assignable; already reported.
    Invalid,
}

/// Which effect a body performs, for the read-only rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Effect {
    Write,
    Emit,
}

impl<'a> Checker<'a> {
    pub(super) fn check_bodies(&mut self, work: &Work<'a>) {
        for &(id, f, m) in &work.fns {
            self.check_fn(id, f, m);
        }
        for &(id, c, m, cid) in &work.consts {
            self.check_const(id, c, m, cid);
        }
        for &(inv, m, cid) in &work.invariants {
            let mut body = Body::new(m, Some(cid), BodyKind::Invariant, Ty::Unit);
            self.check_block(&inv.body, &mut body, Some(&Ty::Unit), true);
        }
        for &(test, m) in &work.tests {
            let mut body = Body::new(m, None, BodyKind::Test, Ty::Unit);
            self.check_block(&test.body, &mut body, Some(&Ty::Unit), true);
        }
        for &(prop, m) in &work.properties {
            self.check_property(prop, m);
        }
        self.check_specs(work);
    }

    fn check_fn(&mut self, id: FnId, f: &FnDef, m: usize) {
        let Some(info) = self.t.fn_info(id).cloned() else { return };
        // An interface's signature has no body to check.
        if info.contract.and_then(|c| self.t.contract(c)).is_some_and(|c| c.interface) {
            return;
        }
        let mut body = Body::new(m, info.contract, BodyKind::Fn(id), info.ret.clone());
        for (param, p) in info.params.iter().zip(&f.params) {
            // A repeated parameter was reported by the signature pass.
            if body.lookup_local(&p.name.name).is_none() {
                self.bind_param(&mut body, &p.name, param.ty.clone());
            }
        }
        let ty = self.check_block(&f.body, &mut body, Some(&info.ret), false);
        if info.ret != Ty::Unit && ty == Ty::Unit && !info.ret.is_error() {
            let ret = self.display(&info.ret);
            let end = Span { lo: f.body.span.hi.saturating_sub(1), ..f.body.span };
            self.error(
                Code::MissingReturn,
                f.name.span,
                format!(
                    "`{}` must return `{ret}`, but its body can end without returning a value",
                    f.name.name
                ),
            )
            .labels
            .push(Label { span: end, message: "the body can reach its end here".into() });
        }
        self.close_scope(&mut body);
    }

    fn check_const(&mut self, id: ConstId, c: &ConstDef, m: usize, cid: Option<ContractId>) {
        let ty = self.t.consts.get(id as usize).map_or(Ty::Error, |x| x.ty.clone());
        let literal = match &c.value.kind {
            ExprKind::Lit(_) => true,
            ExprKind::Unary { op: UnOp::Neg, operand } => matches!(operand.kind, ExprKind::Lit(_)),
            _ => false,
        };
        if !literal {
            self.error(
                Code::NotConstant,
                c.value.span,
                "a constant's value must be a literal, such as `60000.00` or `-1`",
            );
            return;
        }
        let mut body = Body::new(m, cid, BodyKind::Const, Ty::Unit);
        self.check_expr(&c.value, &mut body, Some(&ty));
    }

    fn check_property(&mut self, prop: &PropertyDef, m: usize) {
        let mut body = Body::new(m, None, BodyKind::Property, Ty::Unit);
        for param in &prop.params {
            let ty = self.resolve_type(&param.ty, m, None);
            if !property_type_ok(&ty) {
                let shown = self.display(&ty);
                self.error(
                    Code::InvalidPropertyParam,
                    param.ty.span,
                    format!("values of `{shown}` cannot be generated; use integers, Decimal, String, Address, bool or lists of them"),
                );
            }
            if let Some((lo, hi)) = &param.range {
                if !matches!(ty, Ty::Int(_) | Ty::Decimal | Ty::Error) {
                    let shown = self.display(&ty);
                    self.error(
                        Code::InvalidPropertyParam,
                        lo.span.to(hi.span),
                        format!("a range bounds numbers only, and `{shown}` is not a number"),
                    );
                } else {
                    let mut bounds = Body::new(m, None, BodyKind::Const, Ty::Unit);
                    self.check_expr(lo, &mut bounds, Some(&ty));
                    self.check_expr(hi, &mut bounds, Some(&ty));
                }
            }
            self.bind_param(&mut body, &param.name, ty);
        }
        self.check_block(&prop.body, &mut body, Some(&Ty::Unit), false);
        self.close_scope(&mut body);
    }

    /// Declares a local in the innermost scope, refusing a second binding
    /// of the same name in the same block.
    /// Declares a parameter.
    fn bind_param(&mut self, body: &mut Body, name: &Ident, ty: Ty) {
        self.bind_local(body, name, ty, false, false);
        if let Some(last) = self.t.locals.last_mut()
            && last.span == name.span
        {
            last.param = true;
        }
    }

    pub(super) fn bind_local(
        &mut self,
        body: &mut Body,
        name: &Ident,
        ty: Ty,
        mutable: bool,
        inferred: bool,
    ) {
        if name.name == "_" {
            return;
        }
        let scope_index = body.scopes.len().saturating_sub(1);
        let previous = body
            .scopes
            .get(scope_index)
            .and_then(|scope| scope.iter().find(|(n, _)| *n == name.name).map(|(_, id)| *id));
        if let Some(previous) = previous {
            let previous_span = self.t.local(previous).map_or(name.span, |l| l.span);
            self.error(Code::Shadowing, name.span, format!("`{}` is already bound in this block", name.name))
                .labels
                .push(Label { span: previous_span, message: "first bound here".into() });
        }
        let id = self.new_local(
            name,
            LocalInfo { name: name.name.clone(), ty, span: name.span, mutable, inferred, param: false },
        );
        if let Some(scope) = body.scopes.last_mut() {
            scope.push((name.name.clone(), id));
        }
    }

    /// Pops the innermost scope and reports what it left unused.
    pub(super) fn close_scope(&mut self, body: &mut Body) {
        let Some(scope) = body.scopes.pop() else { return };
        for (name, id) in scope {
            let (used, mutated) = self.local_use.get(id as usize).copied().unwrap_or((true, true));
            let Some(info) = self.t.local(id) else { continue };
            let span = info.span;
            let mutable = info.mutable;
            if !used && !name.starts_with('_') {
                let d = crate::diagnostic::Diagnostic::warning(
                    Code::UnusedVariable,
                    span,
                    format!("`{name}` is never read"),
                )
                .with_fix(format!("prefix it with `_`: `_{name}`"), span, format!("_{name}"));
                self.push(d);
            }
            if mutable && !mutated {
                self.warn(
                    Code::UnusedMut,
                    span,
                    format!("`{name}` is never changed, so it need not be `mut`"),
                );
            }
        }
    }

    /// Checks a block; its type is the tail's, `Never` if it cannot finish,
    /// or `()`. `expected` is what the block's value must be.
    pub(super) fn check_block(
        &mut self,
        block: &Block,
        body: &mut Body,
        expected: Option<&Ty>,
        new_scope: bool,
    ) -> Ty {
        if new_scope {
            body.scopes.push(Vec::new());
        }
        // A block that failed to parse has no trustworthy value: judging it
        // would only repeat the syntax error as a type error.
        let broken = block.stmts.iter().any(|s| s.kind == StmtKind::Error);
        let expected = if broken { None } else { expected };
        let value_stmt = match (&block.tail, block.stmts.last()) {
            (None, Some(Stmt { kind: StmtKind::Expr { expr, semi: false }, .. })) => Some(expr),
            _ => None,
        };
        let mut diverged = false;
        let mut warned = false;
        let mut value_ty = None;
        // Loop invariants go first in a loop's body, and nowhere else.
        let mut invariants_allowed = std::mem::take(&mut body.loop_body_next);
        for (i, stmt) in block.stmts.iter().enumerate() {
            if let StmtKind::Invariant { cond } = &stmt.kind {
                self.check_loop_invariant(cond, stmt.span, invariants_allowed, body);
                continue;
            }
            invariants_allowed = false;
            if diverged && !warned && !matches!(stmt.kind, StmtKind::Empty | StmtKind::Error) {
                self.warn(Code::UnreachableCode, stmt.span, "this code can never run");
                warned = true;
            }
            let is_value = i + 1 == block.stmts.len() && value_stmt.is_some();
            let diverges = match (&stmt.kind, is_value) {
                (StmtKind::Expr { expr, .. }, true) => {
                    let ty = self.check_expr(expr, body, expected);
                    let never = ty == Ty::Never;
                    value_ty = Some(ty);
                    never
                }
                _ => self.check_stmt(stmt, body),
            };
            diverged |= diverges;
        }
        let ty = if let Some(tail) = &block.tail {
            if diverged && !warned {
                self.warn(Code::UnreachableCode, tail.span, "this code can never run");
            }
            self.check_expr(tail, body, expected)
        } else if let Some(ty) = value_ty {
            ty
        } else {
            Ty::Unit
        };
        if new_scope {
            self.close_scope(body);
        }
        if diverged { Ty::Never } else { ty }
    }

    /// Checks one statement; returns whether it never finishes.
    fn check_stmt(&mut self, stmt: &Stmt, body: &mut Body) -> bool {
        match &stmt.kind {
            StmtKind::Let { name, mutable, ty, value } => {
                let declared = ty.as_ref().map(|t| self.resolve_type(t, body.module, body.contract));
                let found = self.check_expr(value, body, declared.as_ref());
                let local_ty = declared.clone().unwrap_or_else(|| found.clone());
                let local_ty = if local_ty == Ty::Never { Ty::Error } else { local_ty };
                self.bind_local(body, name, local_ty, *mutable, declared.is_none());
                found == Ty::Never
            }
            StmtKind::Assign { target, op, value } => self.check_assign(target, *op, value, body),
            StmtKind::Expr { expr, .. } => self.check_expr(expr, body, None) == Ty::Never,
            StmtKind::While { cond, body: block } => {
                self.check_expr(cond, body, Some(&Ty::Bool));
                body.loop_depth += 1;
                body.loop_body_next = true;
                self.check_block(block, body, None, true);
                body.loop_depth -= 1;
                false
            }
            StmtKind::For { pattern, iter, body: block } => {
                self.check_for(pattern, iter, block, body);
                false
            }
            // Checked by `check_block`, which knows where it stands.
            StmtKind::Invariant { .. } | StmtKind::Empty | StmtKind::Error => false,
        }
    }

    /// `invariant cond;`: a `bool` that only reads, at the start of a
    /// loop's body (`allowed`), else E2055.
    fn check_loop_invariant(&mut self, cond: &Expr, span: Span, allowed: bool, body: &mut Body) {
        if !allowed {
            self.error(
                Code::MisplacedLoopInvariant,
                span,
                "a loop invariant goes at the start of a loop's body, before its other statements",
            );
        }
        let reading = std::mem::replace(&mut body.reading_only, true);
        self.check_expr(cond, body, Some(&Ty::Bool));
        body.reading_only = reading;
    }

    fn check_for(&mut self, pattern: &Pattern, iter: &ForIter, block: &Block, body: &mut Body) {
        let item_ty = match iter {
            ForIter::Range(lo, hi) => {
                let (lo_ty, hi_ty) = self.infer_pair(lo, hi, body, None);
                if !compatible_or_error(&lo_ty, &hi_ty) {
                    self.mismatch(hi.span, &lo_ty, &hi_ty);
                }
                if !matches!(lo_ty, Ty::Int(_) | Ty::Error) {
                    let shown = self.display(&lo_ty);
                    self.error(
                        Code::NotIterable,
                        lo.span.to(hi.span),
                        format!("a range needs integers, found `{shown}`"),
                    );
                    Ty::Error
                } else {
                    lo_ty
                }
            }
            ForIter::Expr(e) => match self.check_expr(e, body, None) {
                Ty::List(t) => *t,
                Ty::Map(k, v) => Ty::Tuple(vec![*k, *v]),
                Ty::Error => Ty::Error,
                other => {
                    let shown = self.display(&other);
                    self.error(
                        Code::NotIterable,
                        e.span,
                        format!("`for` walks a list, a map or a range `a..b`; found `{shown}`"),
                    );
                    Ty::Error
                }
            },
        };
        body.scopes.push(Vec::new());
        if !pattern_irrefutable(pattern) {
            self.error(
                Code::InvalidPattern,
                pattern.span,
                "a `for` loop binds names or tuples of names, never a pattern that can fail",
            );
        }
        let mut bindings = Vec::new();
        self.check_pattern(pattern, &item_ty, body, &mut bindings);
        for (name, ty) in bindings {
            self.bind_local(body, &name, ty, false, true);
        }
        body.loop_depth += 1;
        body.loop_body_next = true;
        self.check_block(block, body, None, true);
        body.loop_depth -= 1;
        self.close_scope(body);
    }

    fn check_assign(&mut self, target: &Expr, op: AssignOp, value: &Expr, body: &mut Body) -> bool {
        let (ty, root) = self.check_place(target, body);
        if root != PlaceRoot::Invalid {
            self.apply_write(root, target.span, body, op != AssignOp::Assign);
        }
        let value_ty = match op {
            AssignOp::Assign => self.check_expr(value, body, Some(&ty)),
            AssignOp::Add | AssignOp::Sub => {
                let rhs_expected = if ty == Ty::Timestamp { Ty::Int(IntTy::U64) } else { ty.clone() };
                let ok = ty.is_numeric()
                    || ty == Ty::Timestamp
                    || ty.is_error()
                    || (ty == Ty::String && op == AssignOp::Add);
                if !ok {
                    let shown = self.display(&ty);
                    self.error(
                        Code::InvalidOperand,
                        target.span,
                        format!("`{}` needs a number, found `{shown}`", op.text()),
                    );
                }
                self.check_expr(value, body, Some(&rhs_expected))
            }
        };
        value_ty == Ty::Never
    }

    /// Resolves an assignment target (or the receiver of a mutating
    /// method) without judging whether it may be written.
    pub(super) fn check_place(&mut self, e: &Expr, body: &mut Body) -> (Ty, PlaceRoot) {
        let (ty, root) = self.check_place_kind(e, body);
        self.index.typed.entry(e.span.file).or_default().set_ty(e.id, ty.clone());
        (ty, root)
    }

    fn check_place_kind(&mut self, e: &Expr, body: &mut Body) -> (Ty, PlaceRoot) {
        match &e.kind {
            ExprKind::Paren(inner) => self.check_place(inner, body),
            ExprKind::Path(path) if path.is_single() => match body.lookup_local(&path.last().name) {
                Some(id) => {
                    self.reference(path.last(), Def::Local(id));
                    let ty = self.t.local(id).map_or(Ty::Error, |l| l.ty.clone());
                    (ty, PlaceRoot::Local(id))
                }
                None => {
                    let ty = self.infer_expr(e, body, None);
                    if !ty.is_error() {
                        self.error(
                            Code::InvalidAssignTarget,
                            e.span,
                            format!("`{}` is not a variable and cannot be assigned", path.last().name),
                        );
                    }
                    (Ty::Error, PlaceRoot::Invalid)
                }
            },
            ExprKind::Field { receiver, name } if matches!(receiver.kind, ExprKind::SelfValue) => {
                (self.storage_field(receiver.span, name, body), PlaceRoot::Storage)
            }
            ExprKind::Field { receiver, name } => {
                let (ty, root) = self.check_place(receiver, body);
                (self.field_of(&ty, name), root)
            }
            ExprKind::TupleField { receiver, index, index_span } => {
                let (ty, root) = self.check_place(receiver, body);
                (self.tuple_field_of(&ty, *index, *index_span), root)
            }
            ExprKind::Index { receiver, index } => {
                let (ty, root) = self.check_place(receiver, body);
                (self.index_of(&ty, index, receiver.span, body), root)
            }
            _ => {
                self.infer_expr(e, body, None);
                self.error(
                    Code::InvalidAssignTarget,
                    e.span,
                    "only variables, their fields and elements, and `self.field` can be assigned",
                );
                (Ty::Error, PlaceRoot::Invalid)
            }
        }
    }

    /// Applies the rules for changing a place: locals must be `mut`,
    /// storage may change only outside read-only bodies.
    pub(super) fn apply_write(&mut self, root: PlaceRoot, span: Span, body: &mut Body, reads_too: bool) {
        self.apply_change(root, span, body, reads_too, Code::AssignToImmutable);
    }

    /// As `apply_write`, reporting an immutable local with `code`.
    pub(super) fn apply_change(
        &mut self,
        root: PlaceRoot,
        span: Span,
        body: &mut Body,
        reads_too: bool,
        code: Code,
    ) {
        match root {
            PlaceRoot::Local(id) => {
                if let Some(state) = self.local_use.get_mut(id as usize) {
                    state.1 = true;
                    state.0 |= reads_too;
                }
                let Some(info) = self.t.local(id) else { return };
                if !info.mutable {
                    let (name, decl) = (info.name.clone(), info.span);
                    let d = self.error(
                        code,
                        span,
                        format!("`{name}` is not declared `mut`, so it cannot change"),
                    );
                    d.labels.push(Label {
                        span: decl,
                        message: format!("declared here; write `let mut {name}`"),
                    });
                }
            }
            PlaceRoot::Storage => self.effect(Effect::Write, span, body),
            PlaceRoot::Invalid => {}
        }
    }

    /// Records a storage write or an emit, refusing it where state must not change.
    pub(super) fn effect(&mut self, effect: Effect, span: Span, body: &mut Body) {
        if body.reading_only {
            self.error(
                Code::InvariantWrites,
                span,
                "a loop invariant only reads: it cannot change storage or emit",
            );
            return;
        }
        match body.kind {
            BodyKind::Fn(id) => {
                if let Some(w) = self.fn_writes.get_mut(id as usize) {
                    *w = true;
                }
                let is_view = self.t.fn_info(id).is_some_and(|f| f.kind == FnKind::View);
                if is_view {
                    match effect {
                        Effect::Write => {
                            self.error(Code::WriteInView, span, "a view function cannot change storage");
                        }
                        Effect::Emit => {
                            self.error(Code::EmitInView, span, "a view function cannot emit events");
                        }
                    }
                }
            }
            BodyKind::Invariant => {
                self.error(
                    Code::InvariantWrites,
                    span,
                    "an invariant only reads: it cannot change storage or emit",
                );
            }
            BodyKind::Spec(..) => {
                self.error(
                    Code::InvariantWrites,
                    span,
                    "a spec only reads: it cannot change storage or emit",
                );
            }
            _ => {}
        }
    }

    /// `self.name`: a storage field of the current contract.
    pub(super) fn storage_field(&mut self, self_span: Span, name: &Ident, body: &mut Body) -> Ty {
        let Some(cid) = body.contract else {
            self.error(
                Code::SelfOutsideContract,
                self_span,
                "`self` is the contract's storage, and there is no contract here",
            );
            return Ty::Error;
        };
        let Some(contract) = self.t.contract(cid) else { return Ty::Error };
        match contract.storage_field(&name.name) {
            Some(index) => {
                let ty = contract.storage.get(index as usize).map_or(Ty::Error, |f| f.ty.clone());
                self.reference(name, Def::Storage(cid, index));
                ty
            }
            None => {
                let names: Vec<String> = contract.storage.iter().map(|f| f.name.clone()).collect();
                let suggestion = super::suggest(&name.name, names.iter().map(String::as_str));
                let contract_name = contract.name.clone();
                let d = self.error(
                    Code::UnknownField,
                    name.span,
                    format!("the contract `{contract_name}` has no storage field `{}`", name.name),
                );
                super::with_suggestion(d, name.span, suggestion);
                Ty::Error
            }
        }
    }
}

fn compatible_or_error(a: &Ty, b: &Ty) -> bool {
    super::compatible(a, b)
}

fn property_type_ok(ty: &Ty) -> bool {
    match ty {
        Ty::Int(_) | Ty::Decimal | Ty::String | Ty::Address | Ty::Bool | Ty::Error => true,
        Ty::List(inner) => property_type_ok(inner),
        _ => false,
    }
}

/// Whether a pattern matches every value of its type without testing it.
pub(super) fn pattern_irrefutable(p: &Pattern) -> bool {
    match &p.kind {
        PatternKind::Wildcard => true,
        PatternKind::Name(n) => n.name != "None",
        PatternKind::Tuple(parts) => parts.iter().all(pattern_irrefutable),
        _ => false,
    }
}
