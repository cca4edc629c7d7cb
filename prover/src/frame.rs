//! The frame rule, by the syntax: what a function may write in storage
//! and what an invariant reads. An invariant that reads nothing an entry
//! point can write holds after any call of it that returns from a state
//! where it held, whatever the call does: so it is kept even where the
//! call's code is beyond the encoding (a loop over a list built at run
//! time). Writ has no references: storage changes only by an assignment
//! to a place rooted at a field of `self`, a mutating method of the one
//! table of built-ins called on such a place, `grant` or `revoke` (roles),
//! or a function that does one of those.

use std::collections::BTreeSet;

use writ_compiler::ast::{Block, Expr, ExprKind, StmtKind};
use writ_compiler::check::TypedFile;
use writ_compiler::types::{Def, FnId};
use writ_compiler::walk::{Node, walk_block};
use writ_compiler::{Analysis, FileId, builtins};

use crate::body::find_fn;

/// A part of a contract's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// The storage field of this index.
    Field(u32),
    /// Who holds which role.
    Roles,
    /// The call's context (caller, signers, block), which every call has
    /// its own of: an invariant that reads it is never kept by the frame.
    Context,
}

/// The parts of the state `block` (in `file`) and the functions it calls
/// may write.
pub fn writes(analysis: &Analysis, file: FileId, block: &Block) -> BTreeSet<Part> {
    collect(analysis, file, block, BTreeSet::from([Part::Context]), &mut |typed, node, out| match node {
        Node::Stmt(stmt) => {
            if let StmtKind::Assign { target, .. } = &stmt.kind {
                out.extend(root(typed, target));
            }
        }
        Node::Expr(e) => match &e.kind {
            ExprKind::MethodCall { receiver, method, .. }
                if builtins::method_of(typed.ty(receiver.id), &method.name).is_some_and(|m| m.mutating) =>
            {
                out.extend(root(typed, receiver));
            }
            ExprKind::Call { callee, .. } if builtin_named(typed, callee, &["grant", "revoke"]) => {
                out.insert(Part::Roles);
            }
            _ => {}
        },
        _ => {}
    })
}

/// The parts of the state `block` (in `file`) and the functions it calls
/// read.
pub fn reads(analysis: &Analysis, file: FileId, block: &Block) -> BTreeSet<Part> {
    collect(analysis, file, block, BTreeSet::new(), &mut |typed, node, out| {
        if let Node::Expr(e) = node {
            match &e.kind {
                ExprKind::Field { .. } => out.extend(field(typed, e)),
                ExprKind::Call { callee, .. } if builtin_named(typed, callee, &["has_role"]) => {
                    out.insert(Part::Roles);
                }
                ExprKind::Call { callee, .. }
                    if builtin_named(typed, callee, &["caller", "now", "signed_by", "block_height"]) =>
                {
                    out.insert(Part::Context);
                }
                _ => {}
            }
        }
    })
}

type Visitor<'v> = dyn FnMut(&TypedFile, Node<'_>, &mut BTreeSet<Part>) + 'v;

/// `start` and what `f` adds to it from every node of `block` and, once
/// each, of the bodies of the functions it calls.
fn collect(
    analysis: &Analysis,
    file: FileId,
    block: &Block,
    start: BTreeSet<Part>,
    f: &mut Visitor<'_>,
) -> BTreeSet<Part> {
    let mut out = start;
    visit(analysis, file, block, &mut BTreeSet::new(), f, &mut out);
    out
}

/// Walks `block` and, once each, the bodies of the functions it calls.
fn visit(
    analysis: &Analysis,
    file: FileId,
    block: &Block,
    seen: &mut BTreeSet<FnId>,
    f: &mut Visitor<'_>,
    out: &mut BTreeSet<Part>,
) {
    let typed = analysis.typed_file(file);
    let mut called = Vec::new();
    walk_block(block, &mut |node| {
        f(typed, node, out);
        if let Node::Expr(e) = node {
            let name = match &e.kind {
                ExprKind::Call { callee, .. } => match &callee.kind {
                    ExprKind::Path(path) => Some(path.last()),
                    _ => None,
                },
                ExprKind::MethodCall { receiver, method, .. }
                    if matches!(receiver.kind, ExprKind::SelfValue) =>
                {
                    Some(method)
                }
                _ => None,
            };
            if let Some(Def::Fn(id)) = name.and_then(|n| typed.def(n.id)) {
                called.push(id);
            }
        }
    });
    for id in called {
        if seen.insert(id)
            && let Some((file, def)) = find_fn(analysis, id)
        {
            visit(analysis, file, &def.body, seen, f, out);
        }
    }
}

/// The index of the storage field a place is rooted at (`self.m[k].f` →
/// `m`'s).
pub(crate) fn root_field(typed: &TypedFile, place: &Expr) -> Option<u32> {
    match root(typed, place) {
        Some(Part::Field(index)) => Some(index),
        _ => None,
    }
}

/// The field of `self` a place is rooted at (`self.m[k].f` → `m`).
fn root(typed: &TypedFile, place: &Expr) -> Option<Part> {
    match &place.kind {
        ExprKind::Field { receiver, .. } if matches!(receiver.kind, ExprKind::SelfValue) => {
            field(typed, place)
        }
        ExprKind::Field { receiver, .. }
        | ExprKind::TupleField { receiver, .. }
        | ExprKind::Index { receiver, .. } => root(typed, receiver),
        ExprKind::Paren(inner) => root(typed, inner),
        _ => None,
    }
}

/// `self.f` as the storage field it names.
fn field(typed: &TypedFile, e: &Expr) -> Option<Part> {
    let ExprKind::Field { receiver, name } = &e.kind else { return None };
    if !matches!(receiver.kind, ExprKind::SelfValue) {
        return None;
    }
    match typed.def(name.id) {
        Some(Def::Storage(_, index)) => Some(Part::Field(index)),
        _ => None,
    }
}

/// Whether `callee` is one of the built-in functions `names` (not a
/// function of the program's that shares the name).
fn builtin_named(typed: &TypedFile, callee: &Expr, names: &[&str]) -> bool {
    let ExprKind::Path(path) = &callee.kind else { return false };
    typed.def(path.last().id).is_none() && names.contains(&path.last().name.as_str())
}
