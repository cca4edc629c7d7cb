//! The syntax tree the parser builds. Every node carries its span.
//!
//! Invariant: the tree records what was written, nothing resolved. Parentheses
//! are kept (`ExprKind::Paren`) so the formatter can reproduce the source's
//! grouping, and nodes that failed to parse are `Error` variants so later
//! phases can skip them without reporting again.

use crate::span::Span;

/// Identifies an expression or a name within its file, numbered as the
/// parser builds them. The checker's results (`check::TypedFile`: each
/// expression's type, each name's definition) are indexed by it, so no
/// pass looks a span up in a table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NodeId(pub u32);

impl std::fmt::Debug for NodeId {
    // Printed like a file id (`#n`), so tree dumps that leave out
    // positions leave ids out too.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Hands out node ids while one file is parsed.
#[derive(Debug, Default)]
pub struct NodeIds(std::cell::Cell<u32>);

impl NodeIds {
    pub fn starting_at(first: u32) -> NodeIds {
        NodeIds(std::cell::Cell::new(first))
    }

    pub fn next(&self) -> NodeId {
        let id = self.0.get();
        self.0.set(id.saturating_add(1));
        NodeId(id)
    }

    /// How many ids were handed out (the size of a file's result tables).
    pub fn count(&self) -> u32 {
        self.0.get()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
    /// What the checker's results for this name are indexed by.
    pub id: NodeId,
}

/// A `::`-separated path such as `FilingStatus::Paid` or `std::tax`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub segments: Vec<Ident>,
    pub span: Span,
}

impl Path {
    /// The last segment; a path always has at least one.
    pub fn last(&self) -> &Ident {
        // The grammar never builds an empty path; fall back to an empty
        // name rather than panic if a caller constructs one.
        self.segments.last().unwrap_or(&EMPTY_IDENT)
    }

    pub fn is_single(&self) -> bool {
        self.segments.len() == 1
    }

    pub fn to_text(&self) -> String {
        self.segments.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join("::")
    }
}

static EMPTY_IDENT: Ident = Ident {
    name: String::new(),
    span: Span { file: crate::span::FileId(0), lo: 0, hi: 0 },
    id: NodeId(u32::MAX),
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub items: Vec<Item>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
    /// The `///` lines just above the item, markers removed.
    pub doc: Option<String>,
    /// Declared `pub` (a function: `pub fn`): other modules of a package,
    /// and packages that depend on it, may import it.
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    Use(UseItem),
    Struct(StructDef),
    Enum(EnumDef),
    Const(ConstDef),
    Fn(FnDef),
    Contract(ContractDef),
    Test(TestDef),
    Property(PropertyDef),
    /// An item that failed to parse; already reported.
    Error,
}

/// `use std::tax::{Bracket, progressive};` or `use std::tax::Bracket;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseItem {
    /// The module path (`std::tax`).
    pub module: Path,
    /// The imported names.
    pub names: Vec<Ident>,
    /// Whether the names were written in braces.
    pub braced: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructDef {
    pub name: Ident,
    pub fields: Vec<FieldDef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumDef {
    pub name: Ident,
    pub variants: Vec<VariantDef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantDef {
    pub name: Ident,
    pub fields: Vec<TypeExpr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstDef {
    pub name: Ident,
    pub ty: TypeExpr,
    pub value: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FnKind {
    /// `fn`: private helper.
    Private,
    /// `pub fn`: entry point that may change state.
    Entry,
    /// `pub view fn`: read-only entry point.
    View,
    /// `init(...)`: runs once at deployment.
    Init,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnDef {
    pub kind: FnKind,
    pub name: Ident,
    pub params: Vec<Param>,
    pub ret: Option<TypeExpr>,
    /// Roles named by `requires A | B`.
    pub requires: Vec<Ident>,
    pub body: Block,
    /// Written as a signature ended by `;` (an interface's entry point):
    /// `body` is an empty block at the `;`, not written by anyone.
    pub signature: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractDef {
    pub name: Ident,
    pub members: Vec<Member>,
    /// Declared with `interface`: entry-point signatures of a contract
    /// deployed elsewhere, whose bodies are empty and never checked.
    pub interface: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub kind: MemberKind,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberKind {
    Roles(Vec<Ident>),
    Storage(Vec<FieldDef>),
    Event(RecordDef),
    Error(RecordDef),
    Fn(FnDef),
    Struct(StructDef),
    Enum(EnumDef),
    Const(ConstDef),
    Invariant(InvariantDef),
    Spec(SpecDef),
    /// A member that failed to parse; already reported.
    Broken,
}

/// An `event` or `error` declaration: a name and typed fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDef {
    pub name: Ident,
    pub fields: Vec<Param>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantDef {
    pub name: StrLit,
    pub body: Block,
}

/// `spec transfer { ensures …; aborts_if … with E; modifies self.f; }`:
/// what an entry point promises, checked by `writ test` after every call
/// and proved by `writ prove`. The parser keeps clause words as names;
/// the checker decides which are clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecDef {
    pub name: Ident,
    pub clauses: Vec<SpecClause>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecClause {
    /// `ensures`, `aborts_if`, `assumes` or `modifies`.
    pub keyword: Ident,
    pub exprs: Vec<Expr>,
    /// `with Name` after the expressions: the word and the error.
    pub with: Option<(Ident, Path)>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestDef {
    pub name: StrLit,
    pub body: Block,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyDef {
    pub name: StrLit,
    pub params: Vec<PropertyParam>,
    pub body: Block,
}

/// `income: Decimal in 0.00..100000000.00`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyParam {
    pub name: Ident,
    pub ty: TypeExpr,
    pub range: Option<(Expr, Expr)>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

impl TypeExpr {
    /// Nesting depth of the type. Recursive, but only ever called on types
    /// whose parts were already checked against the nesting limit.
    pub fn depth(&self) -> u32 {
        let inner = match &self.kind {
            TypeKind::Named { args, .. } => args.iter().map(TypeExpr::depth).max(),
            TypeKind::Tuple(parts) => parts.iter().map(TypeExpr::depth).max(),
        };
        1 + inner.unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeKind {
    /// `Decimal`, `List<T>`, `Map<K, V>`, `Option<T>`, `Item`, `std::tax::Bracket`.
    Named { path: Path, args: Vec<TypeExpr> },
    /// `(A, B)`; `()` is the unit type.
    Tuple(Vec<TypeExpr>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    /// A final expression without `;` gives the block its value.
    pub tail: Option<Box<Expr>>,
    pub span: Span,
    /// Nesting depth, as for [`Expr::depth`].
    pub depth: u32,
}

impl Block {
    pub fn new(stmts: Vec<Stmt>, tail: Option<Box<Expr>>, span: Span) -> Block {
        let stmt_depth = stmts.iter().map(Stmt::depth).max().unwrap_or(0);
        let depth = 1 + stmt_depth.max(tail.as_deref().map_or(0, |e| e.depth));
        Block { stmts, tail, span, depth }
    }
}

impl Stmt {
    /// The deepest expression or block directly inside this statement.
    pub fn depth(&self) -> u32 {
        match &self.kind {
            StmtKind::Let { value, .. } => value.depth,
            StmtKind::Assign { target, value, .. } => target.depth.max(value.depth),
            StmtKind::Expr { expr, .. } => expr.depth,
            StmtKind::While { cond, body } => cond.depth.max(body.depth),
            StmtKind::For { iter, body, .. } => {
                let iter_depth = match iter {
                    ForIter::Range(a, b) => a.depth.max(b.depth),
                    ForIter::Expr(e) => e.depth,
                };
                iter_depth.max(body.depth)
            }
            StmtKind::Invariant { cond } => cond.depth,
            StmtKind::Empty | StmtKind::Error => 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOp {
    Assign,
    Add,
    Sub,
}

impl AssignOp {
    pub fn text(self) -> &'static str {
        match self {
            AssignOp::Assign => "=",
            AssignOp::Add => "+=",
            AssignOp::Sub => "-=",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StmtKind {
    Let {
        name: Ident,
        mutable: bool,
        ty: Option<TypeExpr>,
        value: Expr,
    },
    Assign {
        target: Expr,
        op: AssignOp,
        value: Expr,
    },
    /// An expression statement. `semi` records whether a `;` followed
    /// (block-like expressions such as `if` and `match` need none).
    Expr {
        expr: Expr,
        semi: bool,
    },
    While {
        cond: Expr,
        body: Block,
    },
    For {
        pattern: Pattern,
        iter: ForIter,
        body: Block,
    },
    /// `invariant cond;` at the start of a loop's body: what holds at the
    /// start of every iteration. Never run: `writ prove` proves it (it
    /// holds where the loop starts, and every iteration keeps it).
    Invariant {
        cond: Expr,
    },
    /// A lone `;`.
    Empty,
    /// A statement that failed to parse; already reported.
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForIter {
    /// `a..b`, `b` exclusive.
    Range(Expr, Expr),
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// Nesting depth of this expression (a leaf is 1), computed when the
    /// node is built so that over-deep input is refused without recursion.
    /// A chain of one precedence level (`a + b + c`) is one level, however
    /// long: writing it flat nests nothing.
    pub depth: u32,
    /// The operands of the operator chain this expression ends (`a + b +
    /// c`: 3); 1 for anything else. Bounded apart from the depth, because
    /// every pass still walks a chain's left spine recursively.
    pub chain: u32,
    /// What the checker's results for this expression are indexed by.
    pub id: NodeId,
}

impl Expr {
    /// Builds an expression, computing its depth from its direct children.
    pub fn new(kind: ExprKind, span: Span, id: NodeId) -> Expr {
        let (depth, chain) = match &kind {
            // The left operand of the same level continues the chain.
            ExprKind::Binary { op, lhs, rhs } => match &lhs.kind {
                ExprKind::Binary { op: inner, .. } if inner.precedence() == op.precedence() => {
                    (lhs.depth.max(rhs.depth + 1), lhs.chain.saturating_add(1))
                }
                _ => (1 + lhs.depth.max(rhs.depth), 2),
            },
            _ => (1 + kind.child_depth(), 1),
        };
        Expr { kind, span, depth, chain, id }
    }

    /// A placeholder for an expression that failed to parse.
    pub fn error(span: Span, id: NodeId) -> Expr {
        Expr::new(ExprKind::Error, span, id)
    }
}

impl ExprKind {
    /// The deepest direct child (0 for leaves). Shallow: children already
    /// know their own depth.
    fn child_depth(&self) -> u32 {
        let of = |e: &Expr| e.depth;
        let of_all = |es: &[Expr]| es.iter().map(|e| e.depth).max().unwrap_or(0);
        match self {
            ExprKind::Lit(_)
            | ExprKind::Path(_)
            | ExprKind::SelfValue
            | ExprKind::Break
            | ExprKind::Continue
            | ExprKind::Error => 0,
            ExprKind::Paren(e) | ExprKind::Unary { operand: e, .. } => of(e),
            ExprKind::Cast { expr, .. } => of(expr),
            ExprKind::Binary { lhs, rhs, .. } => of(lhs).max(of(rhs)),
            ExprKind::Call { args, .. } => of_all(args),
            ExprKind::MethodCall { receiver, args, .. } => of(receiver).max(of_all(args)),
            ExprKind::Field { receiver, .. } | ExprKind::TupleField { receiver, .. } => of(receiver),
            ExprKind::Index { receiver, index } => of(receiver).max(of(index)),
            ExprKind::StructLit { fields, .. } => fields.iter().map(|f| of(&f.value)).max().unwrap_or(0),
            ExprKind::Tuple(es) | ExprKind::List(es) => of_all(es),
            ExprKind::Block(b) => b.depth,
            ExprKind::If { cond, then_block, else_branch } => {
                of(cond).max(then_block.depth).max(else_branch.as_deref().map_or(0, of))
            }
            ExprKind::Match { scrutinee, arms } => {
                of(scrutinee).max(arms.iter().map(|a| a.body.depth).max().unwrap_or(0))
            }
            ExprKind::Return(e) => e.as_deref().map_or(0, of),
            ExprKind::Fail { args, .. } | ExprKind::Emit { args, .. } => of_all(args),
            ExprKind::Deploy { args, from, .. } => of_all(args).max(from.as_deref().map_or(0, of)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinOp {
    pub fn text(self) -> &'static str {
        match self {
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "&&",
            BinOp::Or => "||",
        }
    }

    /// Binding strength: higher binds tighter.
    /// `<`, `==` and their kin, which do not chain.
    pub fn is_comparison(self) -> bool {
        matches!(self.precedence(), 3 | 4)
    }

    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Mul | BinOp::Div | BinOp::Rem => 6,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Eq | BinOp::Ne => 3,
            BinOp::And => 2,
            BinOp::Or => 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lit {
    Bool(bool),
    /// Integer digits, underscores removed.
    Int(String),
    /// Decimal digits with the point, underscores removed.
    Decimal(String),
    /// Lower-case hex digits after `0x`.
    Hex(String),
    Str(String),
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInit {
    pub name: Ident,
    /// The value. For the shorthand `Item { digest }` the parser makes it
    /// the path `digest`, with ids of its own, so every pass sees one form.
    pub value: Expr,
    /// Written as the shorthand (for the formatter).
    pub shorthand: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arm {
    pub pattern: Pattern,
    pub body: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    Lit(Lit),
    /// A name or a qualified name: `x`, `Clerk`, `FilingStatus::Paid`.
    Path(Path),
    SelfValue,
    Paren(Box<Expr>),
    Unary {
        op: UnOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Cast {
        expr: Box<Expr>,
        ty: TypeExpr,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Expr>,
    },
    MethodCall {
        receiver: Box<Expr>,
        method: Ident,
        args: Vec<Expr>,
    },
    Field {
        receiver: Box<Expr>,
        name: Ident,
    },
    TupleField {
        receiver: Box<Expr>,
        index: u32,
        index_span: Span,
    },
    Index {
        receiver: Box<Expr>,
        index: Box<Expr>,
    },
    StructLit {
        path: Path,
        fields: Vec<FieldInit>,
    },
    Tuple(Vec<Expr>),
    List(Vec<Expr>),
    Block(Block),
    If {
        cond: Box<Expr>,
        then_block: Block,
        else_branch: Option<Box<Expr>>,
    },
    Match {
        scrutinee: Box<Expr>,
        arms: Vec<Arm>,
    },
    Return(Option<Box<Expr>>),
    Break,
    Continue,
    /// `fail ErrorName(args)`.
    Fail {
        error: Path,
        args: Vec<Expr>,
    },
    /// `emit EventName(args)`.
    Emit {
        event: Path,
        args: Vec<Expr>,
    },
    /// `deploy Contract(args)` or `deploy Contract(args) from addr`, in tests.
    Deploy {
        contract: Path,
        args: Vec<Expr>,
        from: Option<Box<Expr>>,
    },
    /// An expression that failed to parse; already reported.
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternKind {
    Wildcard,
    /// A single name: a binding, or a unit variant such as `None`, decided
    /// by the checker.
    Name(Ident),
    /// A qualified unit variant: `FilingStatus::Paid`.
    Path(Path),
    /// A variant with fields: `Some(x)`, `FilingStatus::Assessed(amount)`.
    Variant {
        path: Path,
        fields: Vec<Pattern>,
    },
    Lit(Lit),
    /// A negative numeric literal pattern such as `-1`.
    NegLit(Lit),
    Tuple(Vec<Pattern>),
    Or(Vec<Pattern>),
}
