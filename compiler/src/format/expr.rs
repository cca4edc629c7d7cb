//! Expressions, patterns, types and literals as layout documents or text.
//!
//! Invariant: parentheses are printed only where the tree has
//! `ExprKind::Paren`, and literals are re-escaped so the lexer reads back
//! the same value.

use super::doc::{Doc, concat, text};
use super::print::{BRACES, BRACKETS, PARENS, Printer, braced_lines};
use super::trivia::{Blank, Leftovers, Line};
use crate::ast::*;

impl<'a> Printer<'a> {
    pub fn expr(&mut self, e: &Expr) -> Doc {
        let end = Some(e.span.hi);
        match &e.kind {
            ExprKind::Lit(lit) => text(lit_text(lit)),
            ExprKind::Path(path) => text(path.to_text()),
            ExprKind::SelfValue => text("self"),
            ExprKind::Paren(inner) => concat(vec![text("("), self.expr(inner), text(")")]),
            ExprKind::Unary { op, operand } => {
                let op = match op {
                    UnOp::Neg => "-",
                    UnOp::Not => "!",
                };
                concat(vec![text(op), self.expr(operand)])
            }
            ExprKind::Binary { op, lhs, rhs } => {
                // A chain of one level is laid out flat, and its left spine
                // walked in a loop (a chain may have thousands of operands).
                let mut rights = vec![(*op, rhs.as_ref())];
                let mut left = lhs.as_ref();
                while let ExprKind::Binary { op: inner, lhs, rhs } = &left.kind
                    && inner.precedence() == op.precedence()
                {
                    rights.push((*inner, rhs.as_ref()));
                    left = lhs;
                }
                let mut parts = vec![self.expr(left)];
                for (op, right) in rights.into_iter().rev() {
                    parts.push(text(format!(" {} ", op.text())));
                    parts.push(self.expr(right));
                }
                concat(parts)
            }
            ExprKind::Cast { expr, ty } => {
                concat(vec![self.expr(expr), text(format!(" as {}", type_text(ty)))])
            }
            ExprKind::Call { callee, args } => {
                let callee = self.expr(callee);
                concat(vec![callee, self.args(args, end)])
            }
            ExprKind::MethodCall { receiver, method, args } => {
                let receiver = self.expr(receiver);
                concat(vec![receiver, text(format!(".{}", method.name)), self.args(args, end)])
            }
            ExprKind::Field { receiver, name } => {
                concat(vec![self.expr(receiver), text(format!(".{}", name.name))])
            }
            ExprKind::TupleField { receiver, index, .. } => {
                // `t.0.1` would lex `0.1` as a decimal, and `5.0` is one too.
                let spaced =
                    matches!(receiver.kind, ExprKind::TupleField { .. } | ExprKind::Lit(Lit::Int(_)));
                let dot = if spaced { " ." } else { "." };
                concat(vec![self.expr(receiver), text(format!("{dot}{index}"))])
            }
            ExprKind::Index { receiver, index } => {
                let receiver = self.expr(receiver);
                concat(vec![receiver, text("["), self.expr(index), text("]")])
            }
            ExprKind::StructLit { path, fields } => {
                let fields = self.list(BRACES, fields, |f| (f.span.lo, f.span.hi), Self::field_init, end);
                concat(vec![text(format!("{} ", path.to_text())), fields])
            }
            ExprKind::Tuple(items) => {
                let style = super::print::ListStyle { comma_after_single: true, ..PARENS };
                self.list(style, items, |x| (x.span.lo, x.span.hi), Self::expr, end)
            }
            ExprKind::List(items) => self.list(BRACKETS, items, |x| (x.span.lo, x.span.hi), Self::expr, end),
            ExprKind::Block(block) => self.block(block),
            ExprKind::If { cond, then_block, else_branch } => {
                let mut parts = vec![text("if "), self.expr(cond), text(" "), self.block(then_block)];
                if let Some(branch) = else_branch {
                    parts.push(text(" else "));
                    parts.push(self.expr(branch));
                }
                concat(parts)
            }
            ExprKind::Match { scrutinee, arms } => self.match_expr(scrutinee, arms, e.span.hi),
            ExprKind::Return(None) => text("return"),
            ExprKind::Return(Some(value)) => concat(vec![text("return "), self.expr(value)]),
            ExprKind::Break => text("break"),
            ExprKind::Continue => text("continue"),
            ExprKind::Fail { error, args } => {
                concat(vec![text(format!("fail {}", error.to_text())), self.args(args, end)])
            }
            ExprKind::Emit { event, args } => {
                concat(vec![text(format!("emit {}", event.to_text())), self.args(args, end)])
            }
            ExprKind::Deploy { contract, args, from } => {
                let args_end = from.as_ref().map_or(e.span.hi, |f| f.span.lo);
                let mut parts =
                    vec![text(format!("deploy {}", contract.to_text())), self.args(args, Some(args_end))];
                if let Some(from) = from {
                    parts.push(text(" from "));
                    parts.push(self.expr(from));
                }
                concat(parts)
            }
            ExprKind::Error => self.verbatim(e.span),
        }
    }

    fn args(&mut self, args: &[Expr], end: Option<u32>) -> Doc {
        self.list(PARENS, args, |x| (x.span.lo, x.span.hi), Self::expr, end)
    }

    fn field_init(&mut self, field: &FieldInit) -> Doc {
        if field.shorthand {
            return text(field.name.name.clone());
        }
        concat(vec![text(format!("{}: ", field.name.name)), self.expr(&field.value)])
    }

    fn match_expr(&mut self, scrutinee: &Expr, arms: &[Arm], end: u32) -> Doc {
        let head = concat(vec![text("match "), self.expr(scrutinee), text(" ")]);
        let mut lines: Vec<Line> = Vec::new();
        let mut prev = None;
        for arm in arms {
            let span = (arm.span.lo, arm.span.hi);
            self.element(&mut lines, prev, Blank::Keep, span, Leftovers::Prepend, |p| {
                let block_like = matches!(
                    arm.body.kind,
                    ExprKind::Block(_) | ExprKind::If { .. } | ExprKind::Match { .. }
                );
                let body = p.expr(&arm.body);
                let comma = text(if block_like { "" } else { "," });
                concat(vec![text(format!("{} => ", pattern_text(&arm.pattern))), body, comma])
            });
            prev = Some(arm.span.hi);
        }
        self.trivia.close(&mut lines, prev, Blank::Keep, end);
        concat(vec![head, braced_lines(lines)])
    }
}

pub fn type_text(ty: &TypeExpr) -> String {
    match &ty.kind {
        TypeKind::Named { path, args } if args.is_empty() => path.to_text(),
        TypeKind::Named { path, args } => {
            let args: Vec<String> = args.iter().map(type_text).collect();
            format!("{}<{}>", path.to_text(), args.join(", "))
        }
        TypeKind::Tuple(parts) if parts.len() == 1 => {
            format!("({},)", parts.iter().map(type_text).collect::<String>())
        }
        TypeKind::Tuple(parts) => {
            let parts: Vec<String> = parts.iter().map(type_text).collect();
            format!("({})", parts.join(", "))
        }
    }
}

pub fn pattern_text(pattern: &Pattern) -> String {
    let all = |ps: &[Pattern]| ps.iter().map(pattern_text).collect::<Vec<_>>();
    match &pattern.kind {
        PatternKind::Wildcard => "_".to_string(),
        PatternKind::Name(name) => name.name.clone(),
        PatternKind::Path(path) => path.to_text(),
        PatternKind::Variant { path, fields } => {
            format!("{}({})", path.to_text(), all(fields).join(", "))
        }
        PatternKind::Lit(lit) => lit_text(lit),
        PatternKind::NegLit(lit) => format!("-{}", lit_text(lit)),
        PatternKind::Tuple(parts) if parts.len() == 1 => format!("({},)", all(parts).join("")),
        PatternKind::Tuple(parts) => format!("({})", all(parts).join(", ")),
        PatternKind::Or(alts) => all(alts).join(" | "),
    }
}

pub fn lit_text(lit: &Lit) -> String {
    match lit {
        Lit::Bool(b) => b.to_string(),
        Lit::Int(digits) | Lit::Decimal(digits) => digits.clone(),
        Lit::Hex(digits) => format!("0x{digits}"),
        Lit::Str(value) => str_lit(value),
        Lit::Bytes(bytes) => format!("b{}", str_lit(&String::from_utf8_lossy(bytes))),
    }
}

/// A string literal with quotes, escaping what the lexer would not read back
/// verbatim: quotes, backslashes and control characters.
pub fn str_lit(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
