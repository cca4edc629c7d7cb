//! Every position in a syntax tree, reachable for rewriting: each span and
//! each node id. Re-parsing one edited item (`reparse`) moves the items
//! after it by the edit's change in length and in node count, and places
//! the new item, parsed on its own, at its offset in the file.
//!
//! Invariant: `places` visits every `Span` and every `NodeId` of a node
//! exactly once. The impls destructure every struct without `..`, so a
//! field added to the tree does not compile until it is listed here.

use crate::ast::*;
use crate::span::Span;

/// A position inside a tree.
pub(crate) enum Place<'a> {
    Span(&'a mut Span),
    Id(&'a mut NodeId),
}

pub(crate) trait Places {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>));
}

/// Adds `bytes` to every offset and `ids` to every node id of `node`.
/// The results stay in range when they describe a parse of a file no
/// larger than `limits::SOURCE_BYTES_MAX`; out-of-range values saturate.
pub(crate) fn shift(node: &mut impl Places, bytes: i64, ids: i64) {
    let moved = |value: u32, by: i64| u32::try_from((i64::from(value) + by).max(0)).unwrap_or(u32::MAX);
    node.places(&mut |place| match place {
        Place::Span(span) => {
            span.lo = moved(span.lo, bytes);
            span.hi = moved(span.hi, bytes);
        }
        Place::Id(id) => id.0 = moved(id.0, ids),
    });
}

/// The smallest and largest node id in `node`, if it has any.
pub(crate) fn id_bounds(node: &mut impl Places) -> Option<(u32, u32)> {
    let mut bounds: Option<(u32, u32)> = None;
    node.places(&mut |place| {
        if let Place::Id(id) = place {
            bounds = Some(bounds.map_or((id.0, id.0), |(lo, hi)| (lo.min(id.0), hi.max(id.0))));
        }
    });
    bounds
}

impl Places for Span {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        f(Place::Span(self));
    }
}

impl Places for NodeId {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        f(Place::Id(self));
    }
}

impl<T: Places> Places for Vec<T> {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        for item in self {
            item.places(f);
        }
    }
}

impl<T: Places> Places for Option<T> {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        if let Some(inner) = self {
            inner.places(f);
        }
    }
}

impl<T: Places> Places for Box<T> {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        (**self).places(f);
    }
}

impl<A: Places, B: Places> Places for (A, B) {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        self.0.places(f);
        self.1.places(f);
    }
}

/// Lists the fields of a struct that hold positions and names the others,
/// so that the destructuring stays exhaustive.
macro_rules! fields {
    ($ty:ident { $($field:ident),* ; $($plain:ident),* }) => {
        impl Places for $ty {
            fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
                let $ty { $($field,)* $($plain: _,)* } = self;
                $($field.places(f);)*
            }
        }
    };
}

fields!(Ident { span, id; name });
fields!(Path { segments, span; });
fields!(SourceFile { items, span; });
fields!(Item { kind, span; doc, public });
fields!(UseItem { module, names; braced });
fields!(StructDef { name, fields; });
fields!(FieldDef { name, ty, span; });
fields!(EnumDef { name, variants; });
fields!(VariantDef { name, fields, span; });
fields!(ConstDef { name, ty, value; });
fields!(FnDef { name, params, ret, requires, body; kind, signature });
fields!(Param { name, ty, span; });
fields!(ContractDef { name, members; interface });
fields!(Member { kind, span; doc });
fields!(RecordDef { name, fields; });
fields!(InvariantDef { name, body; });
fields!(SpecDef { name, clauses; });
fields!(SpecClause { keyword, exprs, with, span; });
fields!(TestDef { name, body; });
fields!(PropertyDef { name, params, body; });
fields!(PropertyParam { name, ty, range, span; });
fields!(StrLit { span; value });
fields!(TypeExpr { kind, span; });
fields!(Block { stmts, tail, span; depth });
fields!(Stmt { kind, span; });
fields!(FieldInit { name, value, span; shorthand });
fields!(Arm { pattern, body, span; });
fields!(Pattern { kind, span; });

impl Places for Expr {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        let Expr { kind, span, depth: _, chain: _, id } = self;
        // An operator chain is walked one level per operand.
        crate::stack::deep(|| kind.places(f));
        span.places(f);
        id.places(f);
    }
}

impl Places for ItemKind {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        match self {
            ItemKind::Use(x) => x.places(f),
            ItemKind::Struct(x) => x.places(f),
            ItemKind::Enum(x) => x.places(f),
            ItemKind::Const(x) => x.places(f),
            ItemKind::Fn(x) => x.places(f),
            ItemKind::Contract(x) => x.places(f),
            ItemKind::Test(x) => x.places(f),
            ItemKind::Property(x) => x.places(f),
            ItemKind::Error => {}
        }
    }
}

impl Places for MemberKind {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        match self {
            MemberKind::Roles(x) => x.places(f),
            MemberKind::Storage(x) => x.places(f),
            MemberKind::Event(x) | MemberKind::Error(x) => x.places(f),
            MemberKind::Fn(x) => x.places(f),
            MemberKind::Struct(x) => x.places(f),
            MemberKind::Enum(x) => x.places(f),
            MemberKind::Const(x) => x.places(f),
            MemberKind::Invariant(x) => x.places(f),
            MemberKind::Spec(x) => x.places(f),
            MemberKind::Broken => {}
        }
    }
}

impl Places for TypeKind {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        match self {
            TypeKind::Named { path, args } => {
                path.places(f);
                args.places(f);
            }
            TypeKind::Tuple(parts) => parts.places(f),
        }
    }
}

impl Places for StmtKind {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        match self {
            StmtKind::Let { name, mutable: _, ty, value } => {
                name.places(f);
                ty.places(f);
                value.places(f);
            }
            StmtKind::Assign { target, op: _, value } => {
                target.places(f);
                value.places(f);
            }
            StmtKind::Expr { expr, semi: _ } => expr.places(f),
            StmtKind::While { cond, body } => {
                cond.places(f);
                body.places(f);
            }
            StmtKind::For { pattern, iter, body } => {
                pattern.places(f);
                iter.places(f);
                body.places(f);
            }
            StmtKind::Invariant { cond } => cond.places(f),
            StmtKind::Empty | StmtKind::Error => {}
        }
    }
}

impl Places for ForIter {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        match self {
            ForIter::Range(from, to) => {
                from.places(f);
                to.places(f);
            }
            ForIter::Expr(e) => e.places(f),
        }
    }
}

impl Places for ExprKind {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        match self {
            ExprKind::Lit(_)
            | ExprKind::SelfValue
            | ExprKind::Break
            | ExprKind::Continue
            | ExprKind::Error => {}
            ExprKind::Path(path) => path.places(f),
            ExprKind::Paren(e) => e.places(f),
            ExprKind::Unary { op: _, operand } => operand.places(f),
            ExprKind::Binary { op: _, lhs, rhs } => {
                lhs.places(f);
                rhs.places(f);
            }
            ExprKind::Cast { expr, ty } => {
                expr.places(f);
                ty.places(f);
            }
            ExprKind::Call { callee, args } => {
                callee.places(f);
                args.places(f);
            }
            ExprKind::MethodCall { receiver, method, args } => {
                receiver.places(f);
                method.places(f);
                args.places(f);
            }
            ExprKind::Field { receiver, name } => {
                receiver.places(f);
                name.places(f);
            }
            ExprKind::TupleField { receiver, index: _, index_span } => {
                receiver.places(f);
                index_span.places(f);
            }
            ExprKind::Index { receiver, index } => {
                receiver.places(f);
                index.places(f);
            }
            ExprKind::StructLit { path, fields } => {
                path.places(f);
                fields.places(f);
            }
            ExprKind::Tuple(es) | ExprKind::List(es) => es.places(f),
            ExprKind::Block(b) => b.places(f),
            ExprKind::If { cond, then_block, else_branch } => {
                cond.places(f);
                then_block.places(f);
                else_branch.places(f);
            }
            ExprKind::Match { scrutinee, arms } => {
                scrutinee.places(f);
                arms.places(f);
            }
            ExprKind::Return(e) => e.places(f),
            ExprKind::Fail { error: path, args } | ExprKind::Emit { event: path, args } => {
                path.places(f);
                args.places(f);
            }
            ExprKind::Deploy { contract, args, from } => {
                contract.places(f);
                args.places(f);
                from.places(f);
            }
        }
    }
}

impl Places for PatternKind {
    fn places(&mut self, f: &mut dyn FnMut(Place<'_>)) {
        match self {
            PatternKind::Wildcard | PatternKind::Lit(_) | PatternKind::NegLit(_) => {}
            PatternKind::Name(name) => name.places(f),
            PatternKind::Path(path) => path.places(f),
            PatternKind::Variant { path, fields } => {
                path.places(f);
                fields.places(f);
            }
            PatternKind::Tuple(parts) | PatternKind::Or(parts) => parts.places(f),
        }
    }
}
