//! Items, contract members, blocks, statements and comma lists as layout
//! documents, with comments placed by [`Trivia`].
//!
//! Invariant: the printed tokens are the parsed tokens (up to optional
//! commas and the `()` of an empty record), so re-parsing gives the same tree.

use super::doc::{Doc, concat, group, if_break, nest, text};
use super::trivia::{Blank, Leftovers, Line, Trivia, comment_line, join_hard};
use crate::ast::*;
use crate::lexer::{Comment, CommentKind};

pub struct Printer<'a> {
    pub source: &'a str,
    pub trivia: Trivia<'a>,
}

/// How a comma list is laid out.
#[derive(Debug, Clone, Copy)]
pub struct ListStyle {
    pub open: &'static str,
    pub close: &'static str,
    /// `{ a, b }` rather than `(a, b)` when flat.
    pub spaced: bool,
    /// A single element keeps its comma even when flat: `(a,)`.
    pub comma_after_single: bool,
}

pub const PARENS: ListStyle = ListStyle { open: "(", close: ")", spaced: false, comma_after_single: false };
pub const BRACKETS: ListStyle = ListStyle { open: "[", close: "]", spaced: false, comma_after_single: false };
pub const BRACES: ListStyle = ListStyle { open: "{", close: "}", spaced: true, comma_after_single: false };

impl<'a> Printer<'a> {
    pub fn new(source: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        Printer { source, trivia: Trivia::new(source, comments) }
    }

    /// The source text of a span, for nodes that failed to parse.
    pub fn verbatim(&self, span: crate::span::Span) -> Doc {
        text(self.source.get(span.range()).unwrap_or("").trim())
    }

    /// Places one line-level element: its leading comments, the element
    /// itself, its leftover and trailing comments.
    pub fn element(
        &mut self,
        lines: &mut Vec<Line>,
        prev: Option<u32>,
        blank: Blank,
        (lo, hi): (u32, u32),
        leftovers: Leftovers,
        build: impl FnOnce(&mut Printer<'a>) -> Doc,
    ) {
        let keep = blank == Blank::Keep;
        let mut last = prev;
        // A `///` carried out of the previous element is followed by an
        // empty line, so it cannot become this element's doc comment.
        let mut detach = false;
        for comment in self.trivia.take_before(lo) {
            let gap = detach || (keep && last.is_some_and(|p| self.trivia.blank_between(p, comment.span.lo)));
            lines.push((gap, comment_line(comment)));
            detach = comment.kind == CommentKind::Doc && prev.is_some_and(|p| comment.span.hi <= p);
            last = Some(comment.span.hi);
        }
        let mut gap = detach || (keep && last.is_some_and(|p| self.trivia.blank_between(p, lo)));
        let body = build(self);
        let inner = self.trivia.take_before(hi);
        match leftovers {
            Leftovers::Prepend => {
                for comment in inner {
                    lines.push((gap, comment_line(comment)));
                    gap = false;
                }
            }
            Leftovers::Carry => self.trivia.carry(inner),
        }
        let trailing = self.trivia.take_trailing(hi);
        lines.push((gap, concat(vec![body, trailing])));
    }

    /// A comma list. `end` is the offset of the closing bracket's end when
    /// known, so comments before it stay inside the list.
    pub fn list<T>(
        &mut self,
        style: ListStyle,
        elems: &[T],
        span_of: impl Fn(&T) -> (u32, u32),
        build: impl Fn(&mut Printer<'a>, &T) -> Doc,
        end: Option<u32>,
    ) -> Doc {
        let mut lines: Vec<Line> = Vec::new();
        let mut prev = None;
        let count = elems.len();
        for (i, elem) in elems.iter().enumerate() {
            let span = span_of(elem);
            let comma = if i + 1 < count || (style.comma_after_single && count == 1) {
                text(",")
            } else {
                if_break(text(","), Doc::Nil)
            };
            self.element(&mut lines, prev, Blank::Never, span, Leftovers::Prepend, |p| {
                concat(vec![build(p, elem), comma])
            });
            prev = Some(span.1);
        }
        if let Some(end) = end {
            self.trivia.close(&mut lines, prev, Blank::Never, end);
        }
        if lines.is_empty() {
            return text(format!("{}{}", style.open, style.close));
        }
        let edge = if style.spaced { Doc::Line } else { Doc::SoftLine };
        let mut inner = vec![edge.clone()];
        for (i, (_, doc)) in lines.into_iter().enumerate() {
            if i > 0 {
                inner.push(Doc::Line);
            }
            inner.push(doc);
        }
        group(concat(vec![text(style.open), nest(concat(inner)), edge, text(style.close)]))
    }

    /// A braced block; empty blocks print as `{}`.
    pub fn block(&mut self, block: &Block) -> Doc {
        let mut lines: Vec<Line> = Vec::new();
        let mut prev = None;
        for stmt in &block.stmts {
            let span = (stmt.span.lo, stmt.span.hi);
            self.element(&mut lines, prev, Blank::Keep, span, Leftovers::Prepend, |p| p.stmt(stmt));
            prev = Some(stmt.span.hi);
        }
        if let Some(tail) = &block.tail {
            let span = (tail.span.lo, tail.span.hi);
            self.element(&mut lines, prev, Blank::Keep, span, Leftovers::Prepend, |p| p.expr(tail));
            prev = Some(tail.span.hi);
        }
        self.trivia.close(&mut lines, prev, Blank::Keep, block.span.hi);
        braced_lines(lines)
    }

    fn stmt(&mut self, stmt: &Stmt) -> Doc {
        match &stmt.kind {
            StmtKind::Let { name, mutable, ty, value } => {
                let mut parts = vec![text(if *mutable { "let mut " } else { "let " })];
                parts.push(text(name.name.clone()));
                if let Some(ty) = ty {
                    parts.push(text(format!(": {}", type_text(ty))));
                }
                parts.push(text(" = "));
                parts.push(self.expr(value));
                parts.push(text(";"));
                concat(parts)
            }
            StmtKind::Assign { target, op, value } => {
                let target = self.expr(target);
                let value = self.expr(value);
                concat(vec![target, text(format!(" {} ", op.text())), value, text(";")])
            }
            StmtKind::Expr { expr, semi } => {
                let expr = self.expr(expr);
                concat(vec![expr, text(if *semi { ";" } else { "" })])
            }
            StmtKind::While { cond, body } => {
                let cond = self.expr(cond);
                let body = self.block(body);
                concat(vec![text("while "), cond, text(" "), body])
            }
            StmtKind::For { pattern, iter, body } => {
                let mut parts = vec![text(format!("for {} in ", pattern_text(pattern)))];
                match iter {
                    ForIter::Range(from, to) => {
                        parts.push(self.expr(from));
                        parts.push(text(".."));
                        parts.push(self.expr(to));
                    }
                    ForIter::Expr(e) => parts.push(self.expr(e)),
                }
                parts.push(text(" "));
                parts.push(self.block(body));
                concat(parts)
            }
            StmtKind::Invariant { cond } => concat(vec![text("invariant "), self.expr(cond), text(";")]),
            StmtKind::Empty => text(";"),
            StmtKind::Error => self.verbatim(stmt.span),
        }
    }

    /// The whole file: items separated by one blank line.
    pub fn source_file(&mut self, file: &SourceFile) -> Doc {
        let mut lines: Vec<Line> = Vec::new();
        let mut prev = None;
        let mut prev_kind: Option<&ItemKind> = None;
        for item in &file.items {
            let first_line = lines.len();
            let span = (item.span.lo, item.span.hi);
            self.element(&mut lines, prev, Blank::Keep, span, Leftovers::Carry, |p| p.item(item));
            if let (Some(line), Some(before)) = (lines.get_mut(first_line), prev_kind) {
                line.0 |= item_needs_blank(before, &item.kind);
            }
            prev = Some(item.span.hi);
            prev_kind = Some(&item.kind);
        }
        self.trivia.close(&mut lines, prev, Blank::Keep, u32::MAX);
        if lines.is_empty() {
            return Doc::Nil;
        }
        concat(vec![join_hard(lines), Doc::HardLine])
    }

    fn item(&mut self, item: &Item) -> Doc {
        // A function's `pub` is printed with its prefix.
        let public = |doc: Doc| if item.public { concat(vec![text("pub "), doc]) } else { doc };
        match &item.kind {
            ItemKind::Use(u) => self.use_item(u, item.span.hi),
            ItemKind::Struct(s) => public(self.struct_def(s, item.span.hi)),
            ItemKind::Enum(e) => public(self.enum_def(e, item.span.hi)),
            ItemKind::Const(c) => public(self.const_def(c)),
            ItemKind::Fn(f) => self.fn_def(f),
            ItemKind::Contract(c) => public(self.contract(c, item.span.hi)),
            ItemKind::Test(t) => {
                let body = self.block(&t.body);
                concat(vec![text(format!("test {} ", str_lit(&t.name.value))), body])
            }
            ItemKind::Property(p) => {
                let from = p.params.last().map_or(p.name.span.hi, |q| q.span.hi);
                let end = self.trivia.closing_after(from, b')');
                let params =
                    self.list(PARENS, &p.params, |q| (q.span.lo, q.span.hi), Self::property_param, end);
                let body = self.block(&p.body);
                concat(vec![text(format!("property {} ", str_lit(&p.name.value))), params, text(" "), body])
            }
            ItemKind::Error => self.verbatim(item.span),
        }
    }

    fn property_param(&mut self, param: &PropertyParam) -> Doc {
        let mut parts = vec![text(format!("{}: {}", param.name.name, type_text(&param.ty)))];
        if let Some((from, to)) = &param.range {
            parts.push(text(" in "));
            parts.push(self.expr(from));
            parts.push(text(".."));
            parts.push(self.expr(to));
        }
        concat(parts)
    }

    fn use_item(&mut self, u: &UseItem, end: u32) -> Doc {
        let module = u.module.to_text();
        if !u.braced {
            let names: Vec<&str> = u.names.iter().map(|n| n.name.as_str()).collect();
            let prefix = if module.is_empty() { String::new() } else { format!("{module}::") };
            return text(format!("use {prefix}{};", names.join("::")));
        }
        let names = self.list(
            BRACES_FLAT_TIGHT,
            &u.names,
            |n| (n.span.lo, n.span.hi),
            |_, n| text(n.name.clone()),
            Some(end),
        );
        concat(vec![text(format!("use {module}::")), names, text(";")])
    }

    fn struct_def(&mut self, s: &StructDef, end: u32) -> Doc {
        let fields = self.fields(&s.fields, end);
        concat(vec![text(format!("struct {} ", s.name.name)), fields])
    }

    /// Struct and storage fields: always one per line.
    fn fields(&mut self, fields: &[FieldDef], end: u32) -> Doc {
        let mut lines: Vec<Line> = Vec::new();
        let mut prev = None;
        for field in fields {
            let span = (field.span.lo, field.span.hi);
            self.element(&mut lines, prev, Blank::Keep, span, Leftovers::Prepend, |_| {
                text(format!("{}: {},", field.name.name, type_text(&field.ty)))
            });
            prev = Some(field.span.hi);
        }
        self.trivia.close(&mut lines, prev, Blank::Keep, end);
        braced_lines(lines)
    }

    fn enum_def(&mut self, e: &EnumDef, end: u32) -> Doc {
        let variants =
            self.list(BRACES, &e.variants, |v| (v.span.lo, v.span.hi), |_, v| variant_text(v), Some(end));
        concat(vec![text(format!("enum {} ", e.name.name)), variants])
    }

    fn const_def(&mut self, c: &ConstDef) -> Doc {
        let value = self.expr(&c.value);
        concat(vec![text(format!("const {}: {} = ", c.name.name, type_text(&c.ty))), value, text(";")])
    }

    /// A function; an interface's signature ends with `;`.
    fn fn_def(&mut self, f: &FnDef) -> Doc {
        let head = match f.kind {
            FnKind::Private => format!("fn {}", f.name.name),
            FnKind::Entry => format!("pub fn {}", f.name.name),
            FnKind::View => format!("pub view fn {}", f.name.name),
            FnKind::Init => "init".to_string(),
        };
        let from = f.params.last().map_or(f.name.span.hi, |q| q.span.hi);
        let end = self.trivia.closing_after(from, b')');
        let params = self.list(PARENS, &f.params, |q| (q.span.lo, q.span.hi), |_, q| param_text(q), end);
        let mut tail = String::new();
        if let Some(ret) = &f.ret {
            tail.push_str(&format!(" -> {}", type_text(ret)));
        }
        if !f.requires.is_empty() {
            let roles: Vec<&str> = f.requires.iter().map(|r| r.name.as_str()).collect();
            tail.push_str(&format!(" requires {}", roles.join(" | ")));
        }
        if f.signature {
            tail.push(';');
            return concat(vec![text(head), params, text(tail)]);
        }
        tail.push(' ');
        let body = self.block(&f.body);
        concat(vec![text(head), params, text(tail), body])
    }

    fn contract(&mut self, c: &ContractDef, end: u32) -> Doc {
        let mut lines: Vec<Line> = Vec::new();
        let mut prev: Option<(u32, &MemberKind)> = None;
        for member in &c.members {
            let first_line = lines.len();
            let span = (member.span.lo, member.span.hi);
            self.element(&mut lines, prev.map(|p| p.0), Blank::Keep, span, Leftovers::Carry, |p| {
                p.member(member)
            });
            if let (Some(line), Some((_, before))) = (lines.get_mut(first_line), prev) {
                // An interface's signatures may sit in a run, like `use` items.
                line.0 |= !c.interface && needs_blank(before, &member.kind);
            }
            prev = Some((member.span.hi, &member.kind));
        }
        self.trivia.close(&mut lines, prev.map(|p| p.0), Blank::Keep, end);
        let keyword = if c.interface { "interface" } else { "contract" };
        concat(vec![text(format!("{keyword} {} ", c.name.name)), braced_lines(lines)])
    }

    fn member(&mut self, member: &Member) -> Doc {
        let end = member.span.hi;
        match &member.kind {
            MemberKind::Roles(roles) => {
                let list = self.list(
                    BRACES,
                    roles,
                    |r| (r.span.lo, r.span.hi),
                    |_, r| text(r.name.clone()),
                    Some(end),
                );
                concat(vec![text("roles "), list])
            }
            MemberKind::Storage(fields) => {
                let fields = self.fields(fields, end);
                concat(vec![text("storage "), fields])
            }
            MemberKind::Event(record) => self.record("event", record, end),
            MemberKind::Error(record) => self.record("error", record, end),
            MemberKind::Fn(f) => self.fn_def(f),
            MemberKind::Struct(s) => self.struct_def(s, end),
            MemberKind::Enum(e) => self.enum_def(e, end),
            MemberKind::Const(c) => self.const_def(c),
            MemberKind::Invariant(inv) => {
                let body = self.block(&inv.body);
                concat(vec![text(format!("invariant {} ", str_lit(&inv.name.value))), body])
            }
            MemberKind::Spec(spec) => self.spec(spec, end),
            MemberKind::Broken => self.verbatim(member.span),
        }
    }

    /// `spec f {` one clause per line `}`.
    fn spec(&mut self, spec: &SpecDef, end: u32) -> Doc {
        let mut lines: Vec<Line> = Vec::new();
        let mut prev = None;
        for clause in &spec.clauses {
            let span = (clause.span.lo, clause.span.hi);
            self.element(&mut lines, prev, Blank::Keep, span, Leftovers::Prepend, |p| p.clause(clause));
            prev = Some(clause.span.hi);
        }
        self.trivia.close(&mut lines, prev, Blank::Keep, end);
        concat(vec![text(format!("spec {} ", spec.name.name)), braced_lines(lines)])
    }

    /// `aborts_if cond with Error;`: the expressions as a comma list.
    fn clause(&mut self, clause: &SpecClause) -> Doc {
        let mut parts = vec![text(clause.keyword.name.clone())];
        for (i, e) in clause.exprs.iter().enumerate() {
            parts.push(text(if i == 0 { " " } else { ", " }));
            parts.push(self.expr(e));
        }
        if let Some((word, error)) = &clause.with {
            parts.push(text(format!(" {} {}", word.name, error.to_text())));
        }
        parts.push(text(";"));
        group(concat(parts))
    }

    /// `event Name(fields);`, or `event Name;` without fields.
    fn record(&mut self, keyword: &str, record: &RecordDef, end: u32) -> Doc {
        let head = text(format!("{keyword} {}", record.name.name));
        if record.fields.is_empty() {
            // Comments inside `event E()` are left for the member to carry.
            return concat(vec![head, text(";")]);
        }
        let params =
            self.list(PARENS, &record.fields, |q| (q.span.lo, q.span.hi), |_, q| param_text(q), Some(end));
        concat(vec![head, params, text(";")])
    }
}

/// `use a::{b, c};` lists stay tight inside their braces.
const BRACES_FLAT_TIGHT: ListStyle = ListStyle { spaced: false, ..BRACES };

/// Contract members of these kinds are short declarations that may sit in
/// runs without blank lines; every other pair is separated by one.
fn needs_blank(before: &MemberKind, after: &MemberKind) -> bool {
    let small = |k: &MemberKind| {
        matches!(k, MemberKind::Roles(_) | MemberKind::Event(_) | MemberKind::Error(_) | MemberKind::Const(_))
    };
    !(small(before) && std::mem::discriminant(before) == std::mem::discriminant(after))
}

/// Runs of `use` or of `const` items may sit without blank lines; every
/// other pair of items is separated by one.
fn item_needs_blank(before: &ItemKind, after: &ItemKind) -> bool {
    let run = matches!(
        (before, after),
        (ItemKind::Use(_), ItemKind::Use(_)) | (ItemKind::Const(_), ItemKind::Const(_))
    );
    !run
}

/// `{` lines `}` with every line indented, or `{}` when there are none.
pub fn braced_lines(lines: Vec<Line>) -> Doc {
    if lines.is_empty() {
        return text("{}");
    }
    concat(vec![text("{"), nest(concat(vec![Doc::HardLine, join_hard(lines)])), Doc::HardLine, text("}")])
}

fn param_text(param: &Param) -> Doc {
    text(format!("{}: {}", param.name.name, type_text(&param.ty)))
}

fn variant_text(variant: &VariantDef) -> Doc {
    if variant.fields.is_empty() {
        return text(variant.name.name.clone());
    }
    let fields: Vec<String> = variant.fields.iter().map(type_text).collect();
    text(format!("{}({})", variant.name.name, fields.join(", ")))
}

pub use super::expr::{pattern_text, str_lit, type_text};
