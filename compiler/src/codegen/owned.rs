//! Which list variables a function owns alone, so that `push` may append
//! in place instead of copying the whole list.
//!
//! Lists are immutable values (`lists.rs`): `xs.push(v)` builds a longer
//! copy, which makes building a list of n elements cost n² copying. A
//! local declared `let mut xs = []` whose every use is one that cannot let
//! its block be seen from anywhere else — `xs.push(v)` as a statement,
//! `xs.len()`, `xs[i]` read, `for x in xs`, and handing it back with
//! `return xs` or as the body's last expression — holds the only reference
//! to its block for as long as it can still be pushed to. Such a list keeps
//! its capacity in the header word that other lists leave as padding and
//! grows by doubling (`Runtime::ListGrow`). Any other use (passing it to a
//! function, copying it into another variable or a record, assigning to
//! it, comparing it) keeps the copying `push`.
//!
//! Why iteration is safe: a `for` loop reads the block and count it
//! started with; an in-place push writes only past that count, and a
//! growing push moves to a new block and leaves the old one as it was.

use std::collections::{HashMap, HashSet};

use super::Typed;
use crate::ast::*;
use crate::types::{Def, LocalId};
use crate::walk::{Node, walk_block};

/// The locals of the function with `body` that may be pushed to in place.
pub(super) fn owned_lists(body: &Block, typed: &Typed<'_>) -> HashSet<LocalId> {
    let local_of = |e: &Expr| match &e.kind {
        ExprKind::Path(path) if path.is_single() => match typed.def(path.last()) {
            Some(Def::Local(local)) => Some(local),
            _ => None,
        },
        _ => None,
    };
    let mut candidates = HashSet::new();
    let mut uses: HashMap<LocalId, usize> = HashMap::new();
    let mut allowed: HashMap<LocalId, usize> = HashMap::new();
    let allow = |e: &Expr, allowed: &mut HashMap<LocalId, usize>| {
        if let Some(local) = local_of(e) {
            *allowed.entry(local).or_default() += 1;
        }
    };
    // The body's value: its tail, or a last statement without `;`.
    let tail = body.tail.as_deref().or_else(|| match body.stmts.last().map(|s| &s.kind) {
        Some(StmtKind::Expr { expr, semi: false }) => Some(expr),
        _ => None,
    });
    if let Some(tail) = tail {
        allow(tail, &mut allowed);
    }
    walk_block(body, &mut |node| match node {
        Node::Stmt(stmt) => match &stmt.kind {
            StmtKind::Let { name, mutable: true, value, .. } if matches!(&value.kind, ExprKind::List(items) if items.is_empty()) => {
                if let Some(Def::Local(local)) = typed.def(name) {
                    candidates.insert(local);
                }
            }
            StmtKind::Expr { expr, .. } => {
                if let ExprKind::MethodCall { receiver, method, args } = &expr.kind
                    && method.name == "push"
                    && args.len() == 1
                {
                    allow(receiver, &mut allowed);
                }
            }
            StmtKind::For { iter: ForIter::Expr(e), .. } => allow(e, &mut allowed),
            _ => {}
        },
        Node::Expr(e) => {
            if let Some(local) = local_of(e) {
                *uses.entry(local).or_default() += 1;
            }
            match &e.kind {
                // The shorthand `Item { xs }` names a local without a path.
                ExprKind::StructLit { fields, .. } => {
                    for field in fields.iter().filter(|f| f.shorthand) {
                        if let Some(local) = local_of(&field.value) {
                            *uses.entry(local).or_default() += 1;
                        }
                    }
                }
                ExprKind::MethodCall { receiver, method, args }
                    if method.name == "len" && args.is_empty() =>
                {
                    allow(receiver, &mut allowed);
                }
                ExprKind::Index { receiver, .. } => allow(receiver, &mut allowed),
                ExprKind::Return(Some(value)) => allow(value, &mut allowed),
                _ => {}
            }
        }
        _ => {}
    });
    // An assignment's target is never an allowed use, even `xs[i] = v`:
    // count those uses once more so they cannot balance.
    walk_block(body, &mut |node| {
        if let Node::Stmt(Stmt { kind: StmtKind::Assign { target, .. }, .. }) = node {
            let mut target_uses = Vec::new();
            collect_locals(target, typed, &mut target_uses);
            for local in target_uses {
                *uses.entry(local).or_default() += 1;
            }
        }
    });
    candidates
        .retain(|local| uses.get(local).copied().unwrap_or(0) == allowed.get(local).copied().unwrap_or(0));
    candidates
}

/// Every local named in `e` (the receivers of an assignment target).
fn collect_locals(e: &Expr, typed: &Typed<'_>, out: &mut Vec<LocalId>) {
    match &e.kind {
        ExprKind::Path(path) if path.is_single() => {
            if let Some(Def::Local(local)) = typed.def(path.last()) {
                out.push(local);
            }
        }
        ExprKind::Paren(inner)
        | ExprKind::Field { receiver: inner, .. }
        | ExprKind::TupleField { receiver: inner, .. } => collect_locals(inner, typed, out),
        ExprKind::Index { receiver, .. } => collect_locals(receiver, typed, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::analysis::Analysis;

    /// The names of the owned lists of each free function in `source`.
    fn owned_names(source: &str) -> Vec<(String, Vec<String>)> {
        let analysis = Analysis::single("t.writ", source);
        assert!(analysis.diagnostics().iter().all(|d| !d.is_error()), "{:?}", analysis.diagnostics());
        let typed = Typed::new(&analysis);
        let file = analysis.files().next().unwrap();
        let mut out = Vec::new();
        for item in &file.parsed.tree.items {
            let ItemKind::Fn(def) = &item.kind else { continue };
            let owned = owned_lists(&def.body, &typed);
            let mut names: Vec<String> = owned
                .iter()
                .filter_map(|l| analysis.tables().local(*l).map(|info| info.name.clone()))
                .collect();
            names.sort();
            out.push((def.name.name.clone(), names));
        }
        out
    }

    #[test]
    fn only_lists_nothing_else_can_reach_are_owned() {
        let source = r#"
struct S { items: List<u64> }
fn keep(xs: List<u64>) -> u64 { xs.len() }
fn built(n: u64) -> List<u64> {
    let mut xs: List<u64> = [];
    for i in 0..n { xs.push(i); }
    for x in xs { xs.push(x + xs[0] + xs.len()); }
    return xs;
}
fn aliased() -> List<u64> {
    let mut xs: List<u64> = [];
    xs.push(1);
    let ys = xs;
    xs.push(2);
    ys
}
fn passed() -> u64 {
    let mut xs: List<u64> = [];
    xs.push(1);
    keep(xs)
}
fn assigned() -> List<u64> {
    let mut xs: List<u64> = [];
    xs.push(1);
    xs[0] = 5;
    xs = [9];
    xs
}
fn shorthand() -> S {
    let mut items: List<u64> = [];
    items.push(1);
    S { items }
}
fn compared() -> bool {
    let mut xs: List<u64> = [];
    xs.push(1);
    xs == [1]
}
fn not_empty_at_first() -> List<u64> {
    let mut xs = [1, 2];
    xs.push(3);
    xs
}
fn two() -> (u64, List<u64>) {
    let mut a: List<u64> = [];
    let mut b: List<u64> = [];
    a.push(1);
    b.push(2);
    (a.len(), b)
}
"#;
        let names = owned_names(source);
        let get = |f: &str| names.iter().find(|(n, _)| n == f).map(|(_, l)| l.clone()).unwrap();
        assert_eq!(get("built"), vec!["xs"]);
        assert!(get("aliased").is_empty());
        assert!(get("passed").is_empty());
        assert!(get("assigned").is_empty());
        assert!(get("shorthand").is_empty());
        assert!(get("compared").is_empty());
        assert!(get("not_empty_at_first").is_empty());
        // `b` leaves inside a tuple: not a use that keeps it alone.
        assert_eq!(get("two"), vec!["a"]);
    }
}
