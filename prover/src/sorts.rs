//! The sort of each Writ type the prover models, what every value of it
//! obeys, and its zero value.
//!
//! `bool` is `Bool`; the integers, `Decimal` (its raw count), `Address`
//! and `Hash` (their 20 or 32 bytes as a number; a hash is uninterpreted:
//! only stored and compared) are `Int` with a range; `String` is SMT-LIB's
//! `String` (equality only: Writ measures strings in UTF-8 bytes, the
//! solver in characters, so `len` is refused); a struct or a tuple is a
//! datatype with one constructor, declared in the solver when first needed
//! (`Struct3`, `Tuple_Int_Bool`: a constructor `mk_…` and a selector per
//! field, `…_0`, `…_1`).
//!
//! Invariant: a type not listed here has no sort, and code using it is
//! refused by the caller with the type's name.

use easy_smt::{Context, SExpr};
use writ_compiler::Analysis;
use writ_compiler::types::Ty;

use crate::{Solver, SolverError, decimal, int};

/// The sort of `ty`, declaring the datatypes it needs; `None` when the
/// prover does not model `ty`.
pub fn sort(solver: &mut Solver, analysis: &Analysis, ty: &Ty) -> Result<Option<SExpr>, SolverError> {
    let ctx = solver.ctx();
    Ok(Some(match ty {
        Ty::Bool => ctx.bool_sort(),
        Ty::Int(_) | Ty::Decimal | Ty::Address | Ty::Hash => ctx.int_sort(),
        Ty::String => ctx.atom("String"),
        Ty::Struct(_) | Ty::Tuple(_) => {
            let Some((name, fields)) = record(analysis, ty) else { return Ok(None) };
            if solver.has_datatype(&name) {
                return Ok(Some(solver.ctx().atom(name)));
            }
            let mut selectors = vec![solver.ctx().atom(format!("mk_{name}"))];
            for (i, field) in fields.iter().enumerate() {
                let Some(field_sort) = sort(solver, analysis, field)? else { return Ok(None) };
                let ctx = solver.ctx();
                selectors.push(ctx.list(vec![ctx.atom(format!("{name}_{i}")), field_sort]));
            }
            let ctx = solver.ctx();
            let constructors = ctx.list(vec![ctx.list(selectors)]);
            solver.declare_datatype(&name, constructors)?
        }
        _ => return Ok(None),
    }))
}

/// A struct's or tuple's datatype name and field types, in order.
pub fn record(analysis: &Analysis, ty: &Ty) -> Option<(String, Vec<Ty>)> {
    match ty {
        Ty::Struct(id) => {
            let info = analysis.tables().structs.get(*id as usize)?;
            Some((format!("Struct{id}"), info.fields.iter().map(|f| f.ty.clone()).collect()))
        }
        Ty::Tuple(parts) => {
            let mut name = String::from("Tuple");
            for part in parts {
                name.push('_');
                name.push_str(&shape(analysis, part)?);
            }
            Some((name, parts.clone()))
        }
        _ => None,
    }
}

/// A name for a type inside a tuple's datatype name.
fn shape(analysis: &Analysis, ty: &Ty) -> Option<String> {
    Some(match ty {
        Ty::Bool => "Bool".into(),
        Ty::Int(t) => t.name().into(),
        Ty::Decimal => "Decimal".into(),
        Ty::Address => "Address".into(),
        Ty::Hash => "Hash".into(),
        Ty::String => "String".into(),
        Ty::Struct(_) | Ty::Tuple(_) => format!("[{}]", record(analysis, ty)?.0),
        _ => return None,
    })
}

/// The first type inside `ty` (itself included) that has no sort: what a
/// refusal should name.
pub fn unmodelled(analysis: &Analysis, ty: &Ty) -> Option<Ty> {
    match ty {
        Ty::Bool | Ty::Int(_) | Ty::Decimal | Ty::Address | Ty::Hash | Ty::String => None,
        Ty::Map(key, value) => unmodelled(analysis, key).or_else(|| unmodelled(analysis, value)),
        Ty::Struct(_) | Ty::Tuple(_) => match record(analysis, ty) {
            Some((_, fields)) => fields.iter().find_map(|f| unmodelled(analysis, f)),
            None => Some(ty.clone()),
        },
        other => Some(other.clone()),
    }
}

/// Field `index` of `value`, a struct or tuple of type `ty`.
pub fn field(ctx: &Context, analysis: &Analysis, ty: &Ty, value: SExpr, index: usize) -> Option<SExpr> {
    let (name, _) = record(analysis, ty)?;
    Some(ctx.list(vec![ctx.atom(format!("{name}_{index}")), value]))
}

/// A struct or tuple of type `ty` from its fields, in order.
pub fn build(ctx: &Context, analysis: &Analysis, ty: &Ty, fields: Vec<SExpr>) -> Option<SExpr> {
    let (name, _) = record(analysis, ty)?;
    if fields.is_empty() {
        return Some(ctx.atom(format!("mk_{name}")));
    }
    let mut items = vec![ctx.atom(format!("mk_{name}"))];
    items.extend(fields);
    Some(ctx.list(items))
}

/// What every value of `ty` obeys (ranges, field by field); `None` when
/// nothing needs saying.
pub fn range(ctx: &Context, analysis: &Analysis, ty: &Ty, term: SExpr) -> Option<SExpr> {
    match ty {
        Ty::Int(t) => Some(int::in_range(ctx, *t, term)),
        Ty::Decimal => Some(decimal::in_range(ctx, term)),
        Ty::Address => Some(address_range(ctx, term)),
        Ty::Hash => {
            let limit =
                ctx.times(ctx.numeral(1u128 << 127), ctx.times(ctx.numeral(1u128 << 127), ctx.numeral(4)));
            Some(ctx.and(ctx.lte(ctx.numeral(0), term), ctx.lt(term, limit)))
        }
        Ty::Struct(_) | Ty::Tuple(_) => {
            let (_, fields) = record(analysis, ty)?;
            let parts: Vec<SExpr> = fields
                .iter()
                .enumerate()
                .filter_map(|(i, f)| range(ctx, analysis, f, field(ctx, analysis, ty, term, i)?))
                .collect();
            (!parts.is_empty()).then(|| ctx.and_many(parts))
        }
        _ => None,
    }
}

/// The value storage starts with for `ty`: zero, `false`, the empty
/// string, a struct of zero fields.
pub fn zero(solver: &mut Solver, analysis: &Analysis, ty: &Ty) -> Result<Option<SExpr>, SolverError> {
    if sort(solver, analysis, ty)?.is_none() {
        return Ok(None);
    }
    let ctx = solver.ctx();
    Ok(match ty {
        Ty::Bool => Some(ctx.false_()),
        Ty::Int(_) | Ty::Decimal | Ty::Address | Ty::Hash => Some(ctx.numeral(0)),
        Ty::String => Some(ctx.atom("\"\"")),
        Ty::Struct(_) | Ty::Tuple(_) => {
            let Some((_, fields)) = record(analysis, ty) else { return Ok(None) };
            let mut parts = Vec::new();
            for f in &fields {
                let Some(part) = zero(solver, analysis, f)? else { return Ok(None) };
                parts.push(part);
            }
            build(solver.ctx(), analysis, ty, parts)
        }
        _ => None,
    })
}

/// An address is a number below 2^160 (its 20 bytes, big-endian).
pub fn address_range(ctx: &Context, term: SExpr) -> SExpr {
    let top = ctx.numeral(1u128 << 96);
    let limit = ctx.times(top, ctx.numeral(1u128 << 64));
    ctx.and(ctx.lte(ctx.numeral(0), term), ctx.lt(term, limit))
}
