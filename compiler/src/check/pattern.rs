//! Patterns: typing and bindings, and exhaustiveness and reachability of
//! `match` arms by the usefulness algorithm over constructor matrices.
//!
//! Invariant: a match is accepted only if every value of the scrutinee's
//! type is matched by some arm; an arm no value can reach is a warning.

use super::Checker;
use super::body::Body;
use crate::ast::*;
use crate::diagnostic::Code;
use crate::span::Span;
use crate::types::*;

/// A pattern reduced to constructors, for the exhaustiveness check.
#[derive(Debug, Clone, PartialEq)]
enum Pat {
    Wild,
    Ctor(Ctor, Vec<Pat>),
    Or(Vec<Pat>),
}

#[derive(Debug, Clone, PartialEq)]
enum Ctor {
    Bool(bool),
    Some,
    None,
    Variant(u32),
    Tuple,
    /// A literal of a type with unboundedly many values.
    Lit(String),
}

impl<'a> Checker<'a> {
    /// Types a pattern against `ty`, collecting the names it binds.
    pub(super) fn check_pattern(
        &mut self,
        p: &Pattern,
        ty: &Ty,
        body: &mut Body,
        bindings: &mut Vec<(Ident, Ty)>,
    ) {
        match &p.kind {
            PatternKind::Wildcard => {}
            PatternKind::Name(name) if name.name == "None" => {
                if !matches!(ty, Ty::Option(_) | Ty::Error) {
                    let shown = self.display(ty);
                    self.error(
                        Code::InvalidPattern,
                        p.span,
                        format!("`None` matches an Option, and this value is `{shown}`"),
                    );
                }
            }
            PatternKind::Name(name) => bindings.push((name.clone(), ty.clone())),
            PatternKind::Path(path) => {
                self.variant_pattern(path, &[], p.span, ty, body, bindings);
            }
            PatternKind::Variant { path, fields } => {
                if path.is_single() && path.last().name == "Some" {
                    let inner = match ty {
                        Ty::Option(inner) => (**inner).clone(),
                        Ty::Error => Ty::Error,
                        other => {
                            let shown = self.display(other);
                            self.error(
                                Code::InvalidPattern,
                                p.span,
                                format!("`Some(...)` matches an Option, and this value is `{shown}`"),
                            );
                            Ty::Error
                        }
                    };
                    if fields.len() != 1 {
                        self.error(Code::ArgumentCount, p.span, "`Some` holds exactly one value");
                    }
                    for f in fields {
                        self.check_pattern(f, &inner, body, bindings);
                    }
                    return;
                }
                self.variant_pattern(path, fields, p.span, ty, body, bindings);
            }
            PatternKind::Lit(lit) => {
                let found = self.lit_type(lit, Some(ty), p.span, false);
                self.expect_type(p.span, ty, &found);
            }
            PatternKind::NegLit(lit) => {
                let found = self.lit_type(lit, Some(ty), p.span, true);
                self.expect_type(p.span, ty, &found);
            }
            PatternKind::Tuple(parts) => match ty {
                Ty::Tuple(tys) if tys.len() == parts.len() => {
                    for (part, t) in parts.iter().zip(tys) {
                        self.check_pattern(part, t, body, bindings);
                    }
                }
                Ty::Error => {
                    for part in parts {
                        self.check_pattern(part, &Ty::Error, body, bindings);
                    }
                }
                other => {
                    let shown = self.display(other);
                    self.error(
                        Code::TypeMismatch,
                        p.span,
                        format!("this tuple pattern has {} parts, and the value is `{shown}`", parts.len()),
                    );
                }
            },
            PatternKind::Or(alternatives) => {
                for alternative in alternatives {
                    let mut inner = Vec::new();
                    self.check_pattern(alternative, ty, body, &mut inner);
                    if let Some((name, _)) = inner.first() {
                        self.error(
                            Code::InvalidPattern,
                            name.span,
                            format!("alternatives joined by `|` cannot bind names such as `{}`", name.name),
                        );
                    }
                    // Bind them anyway (as unknown) so their uses do not
                    // cascade into "unknown name".
                    for (name, _) in inner {
                        if !bindings.iter().any(|(n, _)| n.name == name.name) {
                            bindings.push((name, Ty::Error));
                        }
                    }
                }
            }
        }
    }

    fn variant_pattern(
        &mut self,
        path: &Path,
        fields: &[Pattern],
        span: Span,
        ty: &Ty,
        body: &mut Body,
        bindings: &mut Vec<(Ident, Ty)>,
    ) {
        let def = self.lookup_path(path, body.module, body.contract);
        let Some(Def::Variant(eid, index)) = def else {
            let d_path = path.clone();
            if def.is_some() {
                self.error(
                    Code::InvalidPattern,
                    path.span,
                    format!("`{}` is not an enum variant", path.to_text()),
                );
            } else {
                self.unknown_value(&d_path, body);
            }
            for f in fields {
                self.check_pattern(f, &Ty::Error, body, bindings);
            }
            return;
        };
        self.reference(path.last(), Def::Variant(eid, index));
        if !matches!(ty, Ty::Error) && *ty != Ty::Enum(eid) {
            self.mismatch(span, ty, &Ty::Enum(eid));
        }
        let field_tys = self
            .t
            .enum_info(eid)
            .and_then(|e| e.variants.get(index as usize))
            .map(|v| v.fields.clone())
            .unwrap_or_default();
        if field_tys.len() != fields.len() {
            self.error(
                Code::ArgumentCount,
                span,
                format!(
                    "the variant `{}` has {} field{}, and the pattern gives {}",
                    path.to_text(),
                    field_tys.len(),
                    super::expr::plural(field_tys.len()),
                    fields.len()
                ),
            );
        }
        for (i, f) in fields.iter().enumerate() {
            let t = field_tys.get(i).cloned().unwrap_or(Ty::Error);
            self.check_pattern(f, &t, body, bindings);
        }
    }

    /// Reports missing cases and arms that can never match.
    pub(super) fn check_exhaustive(&mut self, arms: &[Arm], ty: &Ty, span: Span) {
        if ty.contains_error() {
            return;
        }
        let mut rows: Vec<Vec<Pat>> = Vec::new();
        for arm in arms {
            let pat = self.lower(&arm.pattern, ty);
            let row = vec![pat];
            if !self.useful(&rows, &row, std::slice::from_ref(ty)) {
                self.warn(
                    Code::UnreachablePattern,
                    arm.pattern.span,
                    "no value can reach this arm: earlier arms match everything it would",
                );
            }
            rows.push(row);
        }
        if self.useful(&rows, &[Pat::Wild], std::slice::from_ref(ty)) {
            let shown = self.display(ty);
            let missing = self.missing_example(&rows, ty);
            let d = self.error(
                Code::NonExhaustiveMatch,
                span,
                format!("this `match` on `{shown}` does not cover every value"),
            );
            if let Some(example) = missing {
                d.notes.push(format!("not covered: {example}"));
            }
            d.notes.push("add the missing arms, or `_ => ...` for everything else".into());
        }
    }

    fn missing_example(&self, rows: &[Vec<Pat>], ty: &Ty) -> Option<String> {
        let ctors = self.ctors_of(ty)?;
        for (ctor, arity) in ctors {
            let specialized = specialize(rows, &ctor, arity);
            let wilds = vec![Pat::Wild; arity];
            let tys = self.ctor_field_types(ty, &ctor);
            if self.useful(&specialized, &wilds, &tys) {
                return Some(self.ctor_text(ty, &ctor, arity));
            }
        }
        None
    }

    fn ctor_text(&self, ty: &Ty, ctor: &Ctor, arity: usize) -> String {
        let args = if arity == 0 { String::new() } else { format!("({})", vec!["_"; arity].join(", ")) };
        match ctor {
            Ctor::Bool(b) => b.to_string(),
            Ctor::Some => "Some(_)".into(),
            Ctor::None => "None".into(),
            Ctor::Variant(i) => {
                let (enum_name, variant) = match ty {
                    Ty::Enum(id) => self.t.enum_info(*id).map_or((String::new(), String::new()), |e| {
                        (
                            e.name.clone(),
                            e.variants.get(*i as usize).map_or(String::new(), |v| v.name.clone()),
                        )
                    }),
                    _ => (String::new(), String::new()),
                };
                format!("{enum_name}::{variant}{args}")
            }
            Ctor::Tuple => format!("({})", vec!["_"; arity].join(", ")),
            Ctor::Lit(text) => text.clone(),
        }
    }

    fn lower(&self, p: &Pattern, ty: &Ty) -> Pat {
        match &p.kind {
            PatternKind::Wildcard => Pat::Wild,
            PatternKind::Name(n) if n.name == "None" => Pat::Ctor(Ctor::None, vec![]),
            PatternKind::Name(_) => Pat::Wild,
            PatternKind::Path(path) | PatternKind::Variant { path, .. } => {
                let fields: &[Pattern] = match &p.kind {
                    PatternKind::Variant { fields, .. } => fields,
                    _ => &[],
                };
                if path.is_single() && path.last().name == "Some" {
                    let inner = match ty {
                        Ty::Option(t) => (**t).clone(),
                        _ => Ty::Error,
                    };
                    let sub = fields.first().map_or(Pat::Wild, |f| self.lower(f, &inner));
                    return Pat::Ctor(Ctor::Some, vec![sub]);
                }
                let Ty::Enum(eid) = ty else { return Pat::Wild };
                let Some(info) = self.t.enum_info(*eid) else { return Pat::Wild };
                let Some(index) = info.variants.iter().position(|v| v.name == path.last().name) else {
                    return Pat::Wild;
                };
                let field_tys = info.variants.get(index).map(|v| v.fields.clone()).unwrap_or_default();
                let subs = field_tys
                    .iter()
                    .enumerate()
                    .map(|(i, t)| fields.get(i).map_or(Pat::Wild, |f| self.lower(f, t)))
                    .collect();
                Pat::Ctor(Ctor::Variant(index as u32), subs)
            }
            PatternKind::Lit(Lit::Bool(b)) => Pat::Ctor(Ctor::Bool(*b), vec![]),
            PatternKind::Lit(lit) => Pat::Ctor(Ctor::Lit(lit_text(lit, false)), vec![]),
            PatternKind::NegLit(lit) => Pat::Ctor(Ctor::Lit(lit_text(lit, true)), vec![]),
            PatternKind::Tuple(parts) => {
                let tys = match ty {
                    Ty::Tuple(t) => t.clone(),
                    _ => vec![Ty::Error; parts.len()],
                };
                let subs = parts.iter().zip(tys.iter()).map(|(part, t)| self.lower(part, t)).collect();
                Pat::Ctor(Ctor::Tuple, subs)
            }
            PatternKind::Or(alternatives) => {
                Pat::Or(alternatives.iter().map(|a| self.lower(a, ty)).collect())
            }
        }
    }

    /// The complete list of constructors of a type with their arities, or
    /// `None` when the type has unboundedly many values.
    fn ctors_of(&self, ty: &Ty) -> Option<Vec<(Ctor, usize)>> {
        match ty {
            Ty::Bool => Some(vec![(Ctor::Bool(false), 0), (Ctor::Bool(true), 0)]),
            Ty::Option(_) => Some(vec![(Ctor::None, 0), (Ctor::Some, 1)]),
            Ty::Enum(id) => {
                let info = self.t.enum_info(*id)?;
                Some(
                    info.variants
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (Ctor::Variant(i as u32), v.fields.len()))
                        .collect(),
                )
            }
            Ty::Tuple(parts) => Some(vec![(Ctor::Tuple, parts.len())]),
            _ => None,
        }
    }

    fn ctor_field_types(&self, ty: &Ty, ctor: &Ctor) -> Vec<Ty> {
        match (ty, ctor) {
            (Ty::Option(inner), Ctor::Some) => vec![(**inner).clone()],
            (Ty::Enum(id), Ctor::Variant(i)) => self
                .t
                .enum_info(*id)
                .and_then(|e| e.variants.get(*i as usize))
                .map(|v| v.fields.clone())
                .unwrap_or_default(),
            (Ty::Tuple(parts), Ctor::Tuple) => parts.clone(),
            _ => vec![],
        }
    }

    /// Whether some value matched by `q` is matched by no row of `rows`.
    fn useful(&self, rows: &[Vec<Pat>], q: &[Pat], tys: &[Ty]) -> bool {
        let Some((head, rest)) = q.split_first() else {
            return rows.is_empty();
        };
        let head_ty = tys.first().cloned().unwrap_or(Ty::Error);
        let rest_tys = tys.get(1..).unwrap_or(&[]);
        match head {
            Pat::Or(alternatives) => alternatives.iter().any(|alt| {
                let mut row = vec![alt.clone()];
                row.extend_from_slice(rest);
                self.useful(rows, &row, tys)
            }),
            Pat::Ctor(ctor, args) => {
                let specialized = specialize(rows, ctor, args.len());
                let mut row = args.clone();
                row.extend_from_slice(rest);
                let mut field_tys = self.ctor_field_types(&head_ty, ctor);
                field_tys.resize(args.len(), Ty::Error);
                field_tys.extend_from_slice(rest_tys);
                self.useful(&specialized, &row, &field_tys)
            }
            Pat::Wild => {
                let complete = self.ctors_of(&head_ty).filter(|ctors| {
                    ctors.iter().all(|(c, _)| rows.iter().any(|r| head_covers(r.first(), c)))
                });
                match complete {
                    Some(ctors) => ctors.iter().any(|(ctor, arity)| {
                        let specialized = specialize(rows, ctor, *arity);
                        let mut row = vec![Pat::Wild; *arity];
                        row.extend_from_slice(rest);
                        let mut field_tys = self.ctor_field_types(&head_ty, ctor);
                        field_tys.resize(*arity, Ty::Error);
                        field_tys.extend_from_slice(rest_tys);
                        self.useful(&specialized, &row, &field_tys)
                    }),
                    None => {
                        let defaulted = default_rows(rows);
                        self.useful(&defaulted, rest, rest_tys)
                    }
                }
            }
        }
    }
}

/// Whether a row's head mentions the constructor (directly or in an `|`).
fn head_covers(head: Option<&Pat>, ctor: &Ctor) -> bool {
    match head {
        Some(Pat::Ctor(c, _)) => c == ctor,
        Some(Pat::Or(alternatives)) => alternatives.iter().any(|a| head_covers(Some(a), ctor)),
        _ => false,
    }
}

/// The rows that match `ctor`, with its fields spread into columns.
fn specialize(rows: &[Vec<Pat>], ctor: &Ctor, arity: usize) -> Vec<Vec<Pat>> {
    let mut out = Vec::new();
    for row in rows {
        let Some((head, rest)) = row.split_first() else { continue };
        let mut heads = Vec::new();
        expand_or(head, &mut heads);
        for h in heads {
            match h {
                Pat::Ctor(c, args) if c == *ctor => {
                    let mut new_row = args.clone();
                    new_row.resize(arity, Pat::Wild);
                    new_row.extend_from_slice(rest);
                    out.push(new_row);
                }
                Pat::Wild => {
                    let mut new_row = vec![Pat::Wild; arity];
                    new_row.extend_from_slice(rest);
                    out.push(new_row);
                }
                _ => {}
            }
        }
    }
    out
}

/// The rows whose head matches anything, head removed.
fn default_rows(rows: &[Vec<Pat>]) -> Vec<Vec<Pat>> {
    let mut out = Vec::new();
    for row in rows {
        let Some((head, rest)) = row.split_first() else { continue };
        let mut heads = Vec::new();
        expand_or(head, &mut heads);
        if heads.iter().any(|h| matches!(h, Pat::Wild)) {
            out.push(rest.to_vec());
        }
    }
    out
}

fn expand_or(p: &Pat, out: &mut Vec<Pat>) {
    match p {
        Pat::Or(alternatives) => alternatives.iter().for_each(|a| expand_or(a, out)),
        other => out.push(other.clone()),
    }
}

fn lit_text(lit: &Lit, negative: bool) -> String {
    let sign = if negative { "-" } else { "" };
    match lit {
        Lit::Int(d) | Lit::Decimal(d) => format!("{sign}{d}"),
        Lit::Hex(d) => format!("0x{d}"),
        Lit::Str(s) => format!("{s:?}"),
        Lit::Bytes(b) => format!("{b:?}"),
        Lit::Bool(b) => b.to_string(),
    }
}
