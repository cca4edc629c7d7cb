//! A read-only walk over a syntax tree that hands every node to a callback,
//! so the editor queries (scopes, folding, tokens) and the back end's
//! analyses (`codegen/owned.rs`) share one traversal.
//!
//! Recursion is bounded by the parser's nesting limit; a long operator
//! chain (walked one operand per level) grows the stack as it needs
//! (`stack.rs`).

use crate::ast::*;

/// One node of the tree, as seen by [`walk_file`].
#[derive(Debug, Clone, Copy)]
pub enum Node<'a> {
    Item(&'a Item),
    Member(&'a Member),
    Block(&'a Block),
    Stmt(&'a Stmt),
    Expr(&'a Expr),
    Arm(&'a Arm),
}

/// Calls `f` on every node of `file`, parents before children.
pub fn walk_file<'a>(file: &'a SourceFile, f: &mut dyn FnMut(Node<'a>)) {
    for item in &file.items {
        walk_item(item, f);
    }
}

fn walk_item<'a>(item: &'a Item, f: &mut dyn FnMut(Node<'a>)) {
    f(Node::Item(item));
    match &item.kind {
        ItemKind::Fn(def) => walk_block(&def.body, f),
        ItemKind::Const(def) => walk_expr(&def.value, f),
        ItemKind::Test(def) => walk_block(&def.body, f),
        ItemKind::Property(def) => {
            for param in &def.params {
                if let Some((lo, hi)) = &param.range {
                    walk_expr(lo, f);
                    walk_expr(hi, f);
                }
            }
            walk_block(&def.body, f);
        }
        ItemKind::Contract(def) => {
            for member in &def.members {
                f(Node::Member(member));
                match &member.kind {
                    MemberKind::Fn(def) => walk_block(&def.body, f),
                    MemberKind::Const(def) => walk_expr(&def.value, f),
                    MemberKind::Invariant(def) => walk_block(&def.body, f),
                    MemberKind::Spec(def) => {
                        for e in def.clauses.iter().flat_map(|c| &c.exprs) {
                            walk_expr(e, f);
                        }
                    }
                    _ => {}
                }
            }
        }
        ItemKind::Use(_) | ItemKind::Struct(_) | ItemKind::Enum(_) | ItemKind::Error => {}
    }
}

pub fn walk_block<'a>(block: &'a Block, f: &mut dyn FnMut(Node<'a>)) {
    f(Node::Block(block));
    for stmt in &block.stmts {
        f(Node::Stmt(stmt));
        match &stmt.kind {
            StmtKind::Let { value, .. } => walk_expr(value, f),
            StmtKind::Assign { target, value, .. } => {
                walk_expr(target, f);
                walk_expr(value, f);
            }
            StmtKind::Expr { expr, .. } => walk_expr(expr, f),
            StmtKind::While { cond, body } => {
                walk_expr(cond, f);
                walk_block(body, f);
            }
            StmtKind::For { iter, body, .. } => {
                match iter {
                    ForIter::Range(lo, hi) => {
                        walk_expr(lo, f);
                        walk_expr(hi, f);
                    }
                    ForIter::Expr(e) => walk_expr(e, f),
                }
                walk_block(body, f);
            }
            StmtKind::Invariant { cond } => walk_expr(cond, f),
            StmtKind::Empty | StmtKind::Error => {}
        }
    }
    if let Some(tail) = &block.tail {
        walk_expr(tail, f);
    }
}

fn walk_exprs<'a>(exprs: &'a [Expr], f: &mut dyn FnMut(Node<'a>)) {
    for e in exprs {
        walk_expr(e, f);
    }
}

pub fn walk_expr<'a>(e: &'a Expr, f: &mut dyn FnMut(Node<'a>)) {
    crate::stack::deep(|| walk_expr_here(e, f));
}

fn walk_expr_here<'a>(e: &'a Expr, f: &mut dyn FnMut(Node<'a>)) {
    f(Node::Expr(e));
    match &e.kind {
        ExprKind::Lit(_)
        | ExprKind::Path(_)
        | ExprKind::SelfValue
        | ExprKind::Break
        | ExprKind::Continue
        | ExprKind::Error => {}
        ExprKind::Paren(inner) | ExprKind::Unary { operand: inner, .. } => walk_expr(inner, f),
        ExprKind::Cast { expr, .. } => walk_expr(expr, f),
        ExprKind::Binary { lhs, rhs, .. } => {
            walk_expr(lhs, f);
            walk_expr(rhs, f);
        }
        ExprKind::Call { callee, args } => {
            walk_expr(callee, f);
            walk_exprs(args, f);
        }
        ExprKind::MethodCall { receiver, args, .. } => {
            walk_expr(receiver, f);
            walk_exprs(args, f);
        }
        ExprKind::Field { receiver, .. } | ExprKind::TupleField { receiver, .. } => walk_expr(receiver, f),
        ExprKind::Index { receiver, index } => {
            walk_expr(receiver, f);
            walk_expr(index, f);
        }
        ExprKind::StructLit { fields, .. } => {
            // A shorthand's value is the field's own name: queries see the name once.
            for field in fields.iter().filter(|field| !field.shorthand) {
                walk_expr(&field.value, f);
            }
        }
        ExprKind::Tuple(items) | ExprKind::List(items) => walk_exprs(items, f),
        ExprKind::Block(block) => walk_block(block, f),
        ExprKind::If { cond, then_block, else_branch } => {
            walk_expr(cond, f);
            walk_block(then_block, f);
            if let Some(other) = else_branch {
                walk_expr(other, f);
            }
        }
        ExprKind::Match { scrutinee, arms } => {
            walk_expr(scrutinee, f);
            for arm in arms {
                f(Node::Arm(arm));
                walk_expr(&arm.body, f);
            }
        }
        ExprKind::Return(value) => {
            if let Some(value) = value {
                walk_expr(value, f);
            }
        }
        ExprKind::Fail { args, .. } | ExprKind::Emit { args, .. } => walk_exprs(args, f),
        ExprKind::Deploy { args, from, .. } => {
            walk_exprs(args, f);
            if let Some(from) = from {
                walk_expr(from, f);
            }
        }
    }
}
