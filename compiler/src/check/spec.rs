//! Checking `spec` members: the entry point a spec describes, its clauses
//! (`assumes`, `ensures`, `aborts_if … [with Error]`, `modifies`,
//! `emits`), and the two names only specs have: `old(e)` and `result`.
//!
//! Invariant: a spec only reads. Its parameters are the function's own
//! locals (so tools see one `amount`), and `result` is a local of the
//! spec's `ensures` clauses alone.

use super::body::Body;
use super::declare::Work;
use super::{BodyKind, Checker, suggest, with_suggestion};
use crate::ast::*;
use crate::diagnostic::{Code, Label};
use crate::span::Span;
use crate::types::*;

/// The clause words, in the order the documentation lists them.
pub const CLAUSES: &[&str] = &["assumes", "ensures", "aborts_if", "modifies", "emits"];

impl<'a> Checker<'a> {
    pub(super) fn check_specs(&mut self, work: &Work<'a>) {
        let mut seen: Vec<(FnId, Span)> = Vec::new();
        for &(spec, m, cid) in &work.specs {
            self.check_spec(spec, m, cid, &mut seen);
        }
    }

    fn check_spec(&mut self, spec: &SpecDef, m: usize, cid: ContractId, seen: &mut Vec<(FnId, Span)>) {
        let Some(func) = self.spec_target(spec, cid) else {
            // Still check the clauses' words, so every mistake shows at once.
            for clause in &spec.clauses {
                self.clause_word(clause);
            }
            return;
        };
        if let Some((_, first)) = seen.iter().find(|(f, _)| *f == func) {
            let first = *first;
            self.error(
                Code::DuplicateDefinition,
                spec.name.span,
                format!("`{}` already has a spec; put every clause in one", spec.name.name),
            )
            .labels
            .push(Label { span: first, message: "the first spec here".into() });
            return;
        }
        seen.push((func, spec.name.span));
        let Some(info) = self.t.fn_info(func).cloned() else { return };
        let Some(def) = self.fn_def_params(func) else { return };
        let mut body = Body::new(m, Some(cid), BodyKind::Spec(func, false), Ty::Unit);
        let mut params = Vec::new();
        for (name, id) in def {
            body.scopes[0].push((name, id));
            params.push(id);
        }
        // `result` is its own local, declared at the spec's name (hover
        // on a use shows its type); only `ensures` clauses see it.
        let result = (info.ret != Ty::Unit).then(|| {
            let id = self.t.locals.len() as LocalId;
            self.t.locals.push(LocalInfo {
                name: "result".into(),
                ty: info.ret.clone(),
                span: spec.name.span,
                mutable: false,
                inferred: false,
                param: false,
            });
            self.local_use.push((true, false));
            id
        });
        for clause in &spec.clauses {
            self.check_clause(clause, &mut body, func, result);
        }
        self.t.specs.push(SpecInfo { contract: cid, func, span: spec.name.span, params, result });
    }

    /// The entry point or view the spec names, recorded as a use of it.
    fn spec_target(&mut self, spec: &SpecDef, cid: ContractId) -> Option<FnId> {
        let name = &spec.name;
        let found = self.contract_scopes.get(cid as usize).and_then(|s| s.get(&name.name)).copied();
        match found {
            Some(Def::Fn(id))
                if self.t.fn_info(id).is_some_and(|f| matches!(f.kind, FnKind::Entry | FnKind::View)) =>
            {
                self.reference(name, Def::Fn(id));
                Some(id)
            }
            Some(Def::Fn(id)) => {
                self.reference(name, Def::Fn(id));
                self.error(
                    Code::SpecTarget,
                    name.span,
                    format!("`{}` is private; a spec describes an entry point (`pub fn`) or a view, which callers reach", name.name),
                );
                None
            }
            _ => {
                let contract = self.t.contract(cid).cloned().unwrap_or_default();
                let names: Vec<String> = contract
                    .fns
                    .iter()
                    .filter_map(|f| self.t.fn_info(*f))
                    .filter(|f| matches!(f.kind, FnKind::Entry | FnKind::View))
                    .map(|f| f.name.clone())
                    .collect();
                let suggestion = suggest(&name.name, names.iter().map(String::as_str));
                let d = self.error(
                    Code::SpecTarget,
                    name.span,
                    format!(
                        "`{}` is not an entry point of `{}`, so there is nothing to specify",
                        name.name, contract.name
                    ),
                );
                with_suggestion(d, name.span, suggestion);
                None
            }
        }
    }

    /// The function's parameters as (name, local), from its declaration.
    fn fn_def_params(&self, func: FnId) -> Option<Vec<(String, LocalId)>> {
        let info = self.t.fn_info(func)?;
        let mut out = Vec::new();
        for param in &info.params {
            let id = self.t.locals.iter().position(|l| l.param && l.span == param.span)?;
            out.push((param.name.clone(), id as LocalId));
        }
        Some(out)
    }

    /// The clause's word if it is one; reports it otherwise.
    fn clause_word(&mut self, clause: &SpecClause) -> Option<&'static str> {
        let word = clause.keyword.name.as_str();
        if let Some(known) = CLAUSES.iter().find(|c| **c == word) {
            return Some(known);
        }
        let suggestion = suggest(word, CLAUSES.iter().copied());
        let d = self.error(
            Code::InvalidClause,
            clause.keyword.span,
            format!(
                "`{word}` is not a spec clause; a spec has `assumes`, `ensures`, `aborts_if`, `modifies` and `emits`"
            ),
        );
        with_suggestion(d, clause.keyword.span, suggestion);
        None
    }

    fn check_clause(&mut self, clause: &SpecClause, body: &mut Body, func: FnId, result: Option<LocalId>) {
        let Some(word) = self.clause_word(clause) else {
            for e in &clause.exprs {
                self.infer_expr(e, body, None);
            }
            return;
        };
        if let Some((with, error)) = &clause.with {
            if word != "aborts_if" || with.name != "with" {
                self.error(
                    Code::InvalidClause,
                    with.span,
                    format!("only `aborts_if` names an error, as `aborts_if cond with {}`", error.to_text()),
                );
            } else {
                self.abort_name(error, body.contract, body, "this contract");
            }
        }
        if word == "modifies" {
            for e in &clause.exprs {
                self.modified_field(e, body);
            }
            return;
        }
        if word == "emits" {
            self.emitted_events(&clause.exprs, body);
            return;
        }
        if let [_, extra, ..] = clause.exprs.as_slice() {
            self.error(
                Code::InvalidClause,
                extra.span,
                format!("`{word}` takes one condition; join several with `&&` or write one clause each"),
            );
        }
        let ensures = word == "ensures";
        body.kind = BodyKind::Spec(func, ensures);
        body.scopes.push(Vec::new());
        if let (true, Some(id), Some(scope)) = (ensures, result, body.scopes.last_mut()) {
            scope.push(("result".into(), id));
        }
        for e in &clause.exprs {
            self.check_expr(e, body, Some(&Ty::Bool));
        }
        body.scopes.pop();
        body.kind = BodyKind::Spec(func, false);
    }

    /// `modifies self.f`: a whole storage field.
    fn modified_field(&mut self, e: &Expr, body: &mut Body) {
        self.infer_expr(e, body, None);
        let is_field = match &e.kind {
            ExprKind::Field { receiver, .. } => matches!(receiver.kind, ExprKind::SelfValue),
            _ => false,
        };
        if !is_field {
            self.error(
                Code::InvalidClause,
                e.span,
                "`modifies` lists storage fields, such as `self.balances`; every field not listed must keep its value",
            );
        }
    }

    /// `emits E, F`: events of the contract, or `emits nothing`.
    fn emitted_events(&mut self, exprs: &[Expr], body: &Body) {
        let Some(cid) = body.contract else { return };
        for e in exprs {
            let ExprKind::Path(path) = &e.kind else {
                self.error(
                    Code::InvalidClause,
                    e.span,
                    "`emits` lists events of the contract, or says `nothing`",
                );
                continue;
            };
            let name = &path.last().name;
            let event =
                if path.is_single() { self.t.contract(cid).and_then(|c| c.event(name)) } else { None };
            match event {
                Some(index) => self.reference(path.last(), Def::Event(cid, index)),
                None if path.is_single() && name == "nothing" && exprs.len() == 1 => {}
                None => {
                    let names = self.record_names(Some(cid), true);
                    let suggestion = suggest(name, names.iter().map(String::as_str));
                    let d = self.error(
                        Code::InvalidClause,
                        path.span,
                        format!("`{}` is not an event of this contract; `emits` lists events, or says `nothing` alone", path.to_text()),
                    );
                    with_suggestion(d, path.span, suggestion);
                }
            }
        }
    }

    /// `old(e)`: `e`'s type; `e` is read in the state before the call.
    pub(super) fn old(&mut self, args: &[Expr], span: Span, body: &mut Body, hint: Option<&Ty>) -> Ty {
        let [value] = args else {
            self.error(
                Code::ArgumentCount,
                span,
                format!("`old` takes one value, but {} were given", args.len()),
            );
            self.infer_args(args, body);
            return Ty::Error;
        };
        let BodyKind::Spec(func, _) = body.kind else { return Ty::Error };
        // Inside `old(..)` everything is already the state before the
        // call: a nested `old` or `result` would mean nothing.
        body.kind = BodyKind::Spec(func, false);
        let hidden = body.scopes.iter_mut().map(hide_result).collect::<Vec<_>>();
        let ty = match hint {
            Some(h) => self.check_expr(value, body, Some(h)),
            None => self.infer_expr(value, body, None),
        };
        for (scope, back) in body.scopes.iter_mut().zip(hidden) {
            scope.extend(back);
        }
        body.kind = BodyKind::Spec(func, true);
        ty
    }
}

/// Takes `result` out of a scope (to be put back after an `old(..)`).
fn hide_result(scope: &mut Vec<(String, LocalId)>) -> Vec<(String, LocalId)> {
    let (result, rest): (Vec<_>, Vec<_>) =
        std::mem::take(scope).into_iter().partition(|(n, _)| n == "result");
    *scope = rest;
    result
}

/// The `old(..)` calls in `e`, in the order the tree walk meets them (the
/// order `writ test` and the prover take their values in).
pub fn old_calls(e: &Expr) -> Vec<&Expr> {
    let mut out = Vec::new();
    crate::walk::walk_expr(e, &mut |node| {
        if let crate::walk::Node::Expr(x) = node
            && let ExprKind::Call { callee, .. } = &x.kind
            && let ExprKind::Path(path) = &callee.kind
            && path.is_single()
            && path.last().name == "old"
        {
            out.push(x);
        }
    });
    out
}

/// A clause as written, whitespace folded, without its `;`: how reports
/// name it.
pub fn clause_text(analysis: &crate::analysis::Analysis, clause: &SpecClause) -> String {
    analysis
        .file(clause.span.file)
        .and_then(|f| f.text.get(clause.span.range()))
        .map(|t| t.trim_end_matches(';').split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
