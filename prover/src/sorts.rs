//! The sort of each Writ type the prover models, what every value of it
//! obeys, and its zero value.
//!
//! `bool` is `Bool`; the integers, `Decimal` (its raw count), `Address`
//! and `Hash` (their 20 or 32 bytes as a number; a hash is uninterpreted:
//! only stored and compared) are `Int` with a range; `String` is SMT-LIB's
//! `String` (equality only: Writ measures strings in UTF-8 bytes, the
//! solver in characters, so `len` is refused); `Timestamp` (seconds) and
//! `Date` (days since 1970-01-01, years 1 to 9999) are `Int` with their
//! ranges; a struct or a tuple is a datatype with one constructor, declared
//! in the solver when first needed (`Struct3<u64_Date>`,
//! `Tuple_Int_Bool`: a constructor `mk_…` and a selector per field, `…_0`,
//! `…_1`); an enum is a datatype with a constructor per variant (`…_v0`,
//! its fields `…_v0_0`, …; an enum or struct that holds itself is not modelled); an
//! `Option<T>` one with `none_…` and `some_…`; a `List<T>` is a datatype
//! of an array of elements and a length (`List<T>_elems`, `List<T>_len`),
//! every element past the length being the element type's zero, so that
//! two lists are equal exactly when the datatype's values are (lists
//! inside structs compare right too). Not SMT-LIB's `(Seq T)`: Z3 4.8's
//! sequences give up ("max unfolding") on the quantified facts that
//! invariants over lists are, where arrays answer at once; the Move
//! Prover's vectors are arrays for the same reason. A map held as a value
//! (an entry of another map) is a datatype of its two arrays and its ghost
//! sum and count (`Map<K.V>_present`, `_values`, `_sum`, `_count`); a map
//! in storage is those terms held apart (`body::MapTerms`). A datatype's name spells its shape: Z3 4.8 keeps the
//! constructors of a datatype after the scope that declared it is closed,
//! so the structs of two programs proved in one session must never share
//! a name.
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
        Ty::Int(_) | Ty::Decimal | Ty::Address | Ty::Ref(_) | Ty::Hash | Ty::Timestamp | Ty::Date => {
            ctx.int_sort()
        }
        Ty::String => ctx.atom("String"),
        Ty::List(element) => {
            let Some(element) = sort(solver, analysis, element)? else { return Ok(None) };
            let Some(name) = shape(analysis, ty) else { return Ok(None) };
            if zero_term(solver.ctx(), analysis, ty).is_none() {
                // No zero to fill the array past the length with.
                return Ok(None);
            }
            let ctx = solver.ctx();
            let fields = [("elems", ctx.array_sort(ctx.int_sort(), element)), ("len", ctx.int_sort())];
            record_datatype(solver, &name, &fields)?
        }
        Ty::Map(key, value) => {
            // A map held as a value (an entry of a map in storage): its
            // two arrays and its ghost sum and count, as a datatype.
            let (Some(key), Some(value_sort)) =
                (sort(solver, analysis, key)?, sort(solver, analysis, value)?)
            else {
                return Ok(None);
            };
            let Some(name) = shape(analysis, ty) else { return Ok(None) };
            if zero_term(solver.ctx(), analysis, value).is_none() {
                return Ok(None);
            }
            let ctx = solver.ctx();
            let fields = [
                ("present", ctx.array_sort(key, ctx.bool_sort())),
                ("values", ctx.array_sort(key, value_sort)),
                ("sum", ctx.int_sort()),
                ("count", ctx.int_sort()),
            ];
            record_datatype(solver, &name, &fields)?
        }
        Ty::Enum(_) | Ty::Option(_) => return choice_sort(solver, analysis, ty),
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

/// The datatype `name` with one constructor, `mk_{name}`, and a selector
/// `{name}_{field}` per field, declared once.
fn record_datatype(solver: &mut Solver, name: &str, fields: &[(&str, SExpr)]) -> Result<SExpr, SolverError> {
    if solver.has_datatype(name) {
        return Ok(solver.ctx().atom(name));
    }
    let ctx = solver.ctx();
    let mut constructor = vec![ctx.atom(format!("mk_{name}"))];
    constructor.extend(
        fields.iter().map(|(field, sort)| ctx.list(vec![ctx.atom(format!("{name}_{field}")), *sort])),
    );
    let decl = ctx.list(vec![ctx.list(constructor)]);
    solver.declare_datatype(name, decl)
}

/// The datatype of an enum or an `Option`: a constructor per variant.
fn choice_sort(solver: &mut Solver, analysis: &Analysis, ty: &Ty) -> Result<Option<SExpr>, SolverError> {
    let Some((name, variants)) = choices(analysis, ty) else { return Ok(None) };
    if solver.has_datatype(&name) {
        return Ok(Some(solver.ctx().atom(name)));
    }
    let mut constructors = Vec::new();
    for (v, fields) in variants.iter().enumerate() {
        let mut parts = vec![solver.ctx().atom(constructor(&name, ty, v))];
        for (i, field) in fields.iter().enumerate() {
            let Some(field_sort) = sort(solver, analysis, field)? else { return Ok(None) };
            let ctx = solver.ctx();
            parts.push(ctx.list(vec![ctx.atom(selector(&name, ty, v, i)), field_sort]));
        }
        constructors.push(solver.ctx().list(parts));
    }
    let decl = solver.ctx().list(constructors);
    Ok(Some(solver.declare_datatype(&name, decl)?))
}

/// An enum's or `Option`'s datatype name and each variant's field types;
/// `None` for other types and for an enum that holds itself.
pub fn choices(analysis: &Analysis, ty: &Ty) -> Option<(String, Vec<Vec<Ty>>)> {
    match ty {
        Ty::Enum(id) => {
            let info = analysis.tables().enums.get(*id as usize)?;
            let variants: Vec<Vec<Ty>> = info.variants.iter().map(|v| v.fields.clone()).collect();
            if variants.iter().flatten().any(|f| holds(analysis, f, ty, 0)) {
                return None;
            }
            // The shape is part of the name: Z3 4.8 keeps a datatype's
            // constructors after the scope that declared it is popped, so
            // two programs' `Enum0`s must not share a name.
            let shapes: Vec<String> = variants
                .iter()
                .enumerate()
                .map(|(v, fields)| {
                    let parts: Vec<String> = fields.iter().map(|f| shape_or_any(analysis, f)).collect();
                    format!("v{v}.{}", parts.join("."))
                })
                .collect();
            Some((format!("Enum{id}<{}>", shapes.join("_")), variants))
        }
        Ty::Option(inner) => {
            Some((format!("Option_{}", shape(analysis, inner)?), vec![vec![], vec![(**inner).clone()]]))
        }
        _ => None,
    }
}

/// Whether a value of `ty` can hold a value of `target` (an enum or a
/// struct): such a type holds itself, and has no sort here. Nesting past 32
/// levels counts as holding, so the walk always ends.
fn holds(analysis: &Analysis, ty: &Ty, target: &Ty, depth: u32) -> bool {
    if depth > 32 {
        return true;
    }
    let tables = analysis.tables();
    match ty {
        Ty::Enum(_) | Ty::Struct(_) if ty == target => true,
        Ty::Enum(id) => tables.enums.get(*id as usize).is_some_and(|e| {
            e.variants.iter().flat_map(|v| &v.fields).any(|f| holds(analysis, f, target, depth + 1))
        }),
        Ty::Struct(id) => tables
            .structs
            .get(*id as usize)
            .is_some_and(|s| s.fields.iter().any(|f| holds(analysis, &f.ty, target, depth + 1))),
        Ty::Option(inner) | Ty::List(inner) => holds(analysis, inner, target, depth + 1),
        Ty::Map(k, v) => holds(analysis, k, target, depth + 1) || holds(analysis, v, target, depth + 1),
        Ty::Tuple(parts) => parts.iter().any(|p| holds(analysis, p, target, depth + 1)),
        _ => false,
    }
}

/// The constructor of variant `v` of the enum or `Option` named `name`.
pub fn constructor(name: &str, ty: &Ty, v: usize) -> String {
    match (ty, v) {
        (Ty::Option(_), 0) => format!("none_{name}"),
        (Ty::Option(_), _) => format!("some_{name}"),
        _ => format!("{name}_v{v}"),
    }
}

/// The selector of field `i` of variant `v`.
fn selector(name: &str, ty: &Ty, v: usize, i: usize) -> String {
    match ty {
        Ty::Option(_) => format!("{name}_val"),
        _ => format!("{name}_v{v}_{i}"),
    }
}

/// Variant `v` of an enum or `Option` value of type `ty` built from its
/// fields (`None` is variant 0 of an `Option`, `Some` variant 1).
pub fn variant(ctx: &Context, analysis: &Analysis, ty: &Ty, v: usize, fields: Vec<SExpr>) -> Option<SExpr> {
    let (name, _) = choices(analysis, ty)?;
    let ctor = ctx.atom(constructor(&name, ty, v));
    if fields.is_empty() {
        // A constructor without fields is ambiguous when two datatypes
        // share it; `as` names the sort.
        return Some(ctx.list(vec![ctx.atom("as"), ctor, ctx.atom(name)]));
    }
    let mut items = vec![ctor];
    items.extend(fields);
    Some(ctx.list(items))
}

/// Whether `value` (of type `ty`) is variant `v`.
pub fn is_variant(ctx: &Context, analysis: &Analysis, ty: &Ty, value: SExpr, v: usize) -> Option<SExpr> {
    let (name, _) = choices(analysis, ty)?;
    let tester = ctx.list(vec![ctx.atom("_"), ctx.atom("is"), ctx.atom(constructor(&name, ty, v))]);
    Some(ctx.list(vec![tester, value]))
}

/// Field `i` of variant `v` of `value` (meaningful when it is that variant).
pub fn variant_field(
    ctx: &Context,
    analysis: &Analysis,
    ty: &Ty,
    value: SExpr,
    v: usize,
    i: usize,
) -> Option<SExpr> {
    let (name, _) = choices(analysis, ty)?;
    Some(ctx.list(vec![ctx.atom(selector(&name, ty, v, i)), value]))
}

/// A struct's or tuple's datatype name and field types, in order.
pub fn record(analysis: &Analysis, ty: &Ty) -> Option<(String, Vec<Ty>)> {
    match ty {
        Ty::Struct(id) => {
            let info = analysis.tables().structs.get(*id as usize)?;
            let fields: Vec<Ty> = info.fields.iter().map(|f| f.ty.clone()).collect();
            if fields.iter().any(|f| holds(analysis, f, ty, 0)) {
                return None;
            }
            let shapes: Vec<String> = fields.iter().map(|f| shape_or_any(analysis, f)).collect();
            Some((format!("Struct{id}<{}>", shapes.join("_")), fields))
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

/// A type's shape, or `any` for one without a sort (never declared).
fn shape_or_any(analysis: &Analysis, ty: &Ty) -> String {
    shape(analysis, ty).unwrap_or_else(|| "any".into())
}

/// A name for a type inside a tuple's datatype name.
fn shape(analysis: &Analysis, ty: &Ty) -> Option<String> {
    Some(match ty {
        Ty::Bool => "Bool".into(),
        Ty::Int(t) => t.name().into(),
        Ty::Decimal => "Decimal".into(),
        Ty::Address | Ty::Ref(_) => "Address".into(),
        Ty::Hash => "Hash".into(),
        Ty::String => "String".into(),
        Ty::Timestamp => "Timestamp".into(),
        Ty::Date => "Date".into(),
        Ty::Struct(_) | Ty::Tuple(_) => format!("<{}>", record(analysis, ty)?.0),
        Ty::Enum(_) | Ty::Option(_) => format!("<{}>", choices(analysis, ty)?.0),
        Ty::List(inner) => format!("List<{}>", shape(analysis, inner)?),
        Ty::Map(key, value) => format!("Map<{}.{}>", shape(analysis, key)?, shape(analysis, value)?),
        _ => return None,
    })
}

/// Whether a value of `ty` holds a map (a map held as a value keeps what
/// its removed keys held, so its datatype's equality is not the VM's).
pub fn holds_map(analysis: &Analysis, ty: &Ty) -> bool {
    match ty {
        Ty::Map(..) => true,
        Ty::List(inner) | Ty::Option(inner) => holds_map(analysis, inner),
        Ty::Struct(_) | Ty::Tuple(_) => {
            // A struct that holds itself has no sort, and is refused anyway.
            record(analysis, ty).is_some_and(|(_, fields)| fields.iter().any(|f| holds_map(analysis, f)))
        }
        Ty::Enum(_) => choices(analysis, ty)
            .is_some_and(|(_, variants)| variants.iter().flatten().any(|f| holds_map(analysis, f))),
        _ => false,
    }
}

/// The first type inside `ty` (itself included) that has no sort: what a
/// refusal should name.
pub fn unmodelled(analysis: &Analysis, ty: &Ty) -> Option<Ty> {
    match ty {
        Ty::Bool
        | Ty::Int(_)
        | Ty::Decimal
        | Ty::Address
        | Ty::Ref(_)
        | Ty::Hash
        | Ty::String
        | Ty::Timestamp
        | Ty::Date => None,
        Ty::List(inner) => unmodelled(analysis, inner),
        Ty::Enum(_) | Ty::Option(_) => match choices(analysis, ty) {
            Some((_, variants)) => variants.iter().flatten().find_map(|f| unmodelled(analysis, f)),
            None => Some(ty.clone()),
        },
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
    range_within(ctx, analysis, ty, term, 0)
}

/// [`range`] inside `lists` lists: each list's quantifier has a name of
/// its own, so an inner one never captures an outer one's index.
fn range_within(ctx: &Context, analysis: &Analysis, ty: &Ty, term: SExpr, lists: u32) -> Option<SExpr> {
    match ty {
        Ty::Int(t) => Some(int::in_range(ctx, *t, term)),
        Ty::Decimal => Some(decimal::in_range(ctx, term)),
        // A contract reference is its address.
        Ty::Address | Ty::Ref(_) => Some(address_range(ctx, term)),
        Ty::Hash => {
            let limit =
                ctx.times(ctx.numeral(1u128 << 127), ctx.times(ctx.numeral(1u128 << 127), ctx.numeral(4)));
            Some(ctx.and(ctx.lte(ctx.numeral(0), term), ctx.lt(term, limit)))
        }
        Ty::Timestamp => Some(int::in_range(ctx, int::IntType::U64, term)),
        Ty::Date => Some(ctx.and(ctx.lte(ctx.numeral(DAY_MIN), term), ctx.lte(term, ctx.numeral(DAY_MAX)))),
        Ty::List(element) => {
            // Every element obeys its type's range; past the length each
            // is the zero the lists built here hold there. The length is
            // a `u64`, as `len()` returns it.
            let name = format!("list_i{lists}");
            let i = ctx.atom(name.clone());
            let len = list_len(ctx, analysis, ty, term)?;
            let nth = list_nth(ctx, analysis, ty, term, i)?;
            let inner = range_within(ctx, analysis, element, nth, lists + 1).unwrap_or_else(|| ctx.true_());
            let past = ctx.eq(nth, zero_term(ctx, analysis, element)?);
            let within = ctx.and(ctx.lte(ctx.numeral(0), i), ctx.lt(i, len));
            let each = ctx.forall([(name.as_str(), ctx.int_sort())], ctx.ite(within, inner, past));
            Some(ctx.and(int::in_range(ctx, int::IntType::U64, len), each))
        }
        Ty::Enum(_) | Ty::Option(_) => {
            let (_, variants) = choices(analysis, ty)?;
            let mut cases = Vec::new();
            for (v, fields) in variants.iter().enumerate() {
                let parts: Vec<SExpr> = fields
                    .iter()
                    .enumerate()
                    .filter_map(|(i, f)| {
                        range_within(ctx, analysis, f, variant_field(ctx, analysis, ty, term, v, i)?, lists)
                    })
                    .collect();
                if !parts.is_empty() {
                    cases.push(ctx.imp(is_variant(ctx, analysis, ty, term, v)?, crate::all(ctx, parts)));
                }
            }
            (!cases.is_empty()).then(|| crate::all(ctx, cases))
        }
        Ty::Struct(_) | Ty::Tuple(_) => {
            let (_, fields) = record(analysis, ty)?;
            let parts: Vec<SExpr> = fields
                .iter()
                .enumerate()
                .filter_map(|(i, f)| {
                    range_within(ctx, analysis, f, field(ctx, analysis, ty, term, i)?, lists)
                })
                .collect();
            (!parts.is_empty()).then(|| crate::all(ctx, parts))
        }
        _ => None,
    }
}

/// The value storage starts with for `ty`: zero, `false`, the empty
/// string or list, a struct of zero fields; its sort declared.
pub fn zero(solver: &mut Solver, analysis: &Analysis, ty: &Ty) -> Result<Option<SExpr>, SolverError> {
    if sort(solver, analysis, ty)?.is_none() {
        return Ok(None);
    }
    Ok(zero_term(solver.ctx(), analysis, ty))
}

/// The two arrays of an empty map from `key` to `value` (sorts declared):
/// no key present, every value the value type's zero.
pub(crate) fn empty_map(ctx: &Context, analysis: &Analysis, key: &Ty, value: &Ty) -> Option<(SExpr, SExpr)> {
    let key = declared_sort(ctx, analysis, key)?;
    let constant = |sort: SExpr, fill: SExpr| {
        let as_const = ctx.list(vec![ctx.atom("as"), ctx.atom("const"), ctx.array_sort(key, sort)]);
        ctx.list(vec![as_const, fill])
    };
    let present = constant(ctx.bool_sort(), ctx.false_());
    let values = constant(declared_sort(ctx, analysis, value)?, zero_term(ctx, analysis, value)?);
    Some((present, values))
}

fn zero_term(ctx: &Context, analysis: &Analysis, ty: &Ty) -> Option<SExpr> {
    match ty {
        Ty::Bool => Some(ctx.false_()),
        Ty::Int(_) | Ty::Decimal | Ty::Address | Ty::Ref(_) | Ty::Hash | Ty::Timestamp | Ty::Date => {
            Some(ctx.numeral(0))
        }
        Ty::String => Some(ctx.atom("\"\"")),
        Ty::List(_) => list_of(ctx, analysis, ty, &[]),
        Ty::Map(key, value) => {
            let name = shape(analysis, ty)?;
            let (present, values) = empty_map(ctx, analysis, key, value)?;
            let zero = ctx.numeral(0);
            Some(ctx.list(vec![ctx.atom(format!("mk_{name}")), present, values, zero, zero]))
        }
        Ty::Option(_) => variant(ctx, analysis, ty, 0, Vec::new()),
        Ty::Enum(_) => {
            // Decision 20: the first variant whose fields all have a zero.
            let (_, variants) = choices(analysis, ty)?;
            variants.iter().enumerate().find_map(|(v, fields)| {
                let parts: Option<Vec<SExpr>> = fields.iter().map(|f| zero_term(ctx, analysis, f)).collect();
                variant(ctx, analysis, ty, v, parts?)
            })
        }
        Ty::Struct(_) | Ty::Tuple(_) => {
            let (_, fields) = record(analysis, ty)?;
            let parts: Option<Vec<SExpr>> = fields.iter().map(|f| zero_term(ctx, analysis, f)).collect();
            build(ctx, analysis, ty, parts?)
        }
        _ => None,
    }
}

/// The sort of `ty` once declared, by name (no solver needed).
fn declared_sort(ctx: &Context, analysis: &Analysis, ty: &Ty) -> Option<SExpr> {
    Some(match ty {
        Ty::Bool => ctx.bool_sort(),
        Ty::Int(_) | Ty::Decimal | Ty::Address | Ty::Ref(_) | Ty::Hash | Ty::Timestamp | Ty::Date => {
            ctx.int_sort()
        }
        Ty::String => ctx.atom("String"),
        Ty::List(_) | Ty::Map(..) => ctx.atom(shape(analysis, ty)?),
        Ty::Enum(_) | Ty::Option(_) => ctx.atom(choices(analysis, ty)?.0),
        Ty::Struct(_) | Ty::Tuple(_) => ctx.atom(record(analysis, ty)?.0),
        _ => return None,
    })
}

/// The length of `list`, of type `list_ty`.
pub fn list_len(ctx: &Context, analysis: &Analysis, list_ty: &Ty, list: SExpr) -> Option<SExpr> {
    Some(ctx.list(vec![ctx.atom(format!("{}_len", shape(analysis, list_ty)?)), list]))
}

/// Element `i` of `list` (its element type's zero past the length).
pub fn list_nth(ctx: &Context, analysis: &Analysis, list_ty: &Ty, list: SExpr, i: SExpr) -> Option<SExpr> {
    let elems = ctx.list(vec![ctx.atom(format!("{}_elems", shape(analysis, list_ty)?)), list]);
    Some(ctx.select(elems, i))
}

/// The list of `items`, in order.
pub fn list_of(ctx: &Context, analysis: &Analysis, list_ty: &Ty, items: &[SExpr]) -> Option<SExpr> {
    let Ty::List(element) = list_ty else { return None };
    let array = ctx.array_sort(ctx.int_sort(), declared_sort(ctx, analysis, element)?);
    let as_const = ctx.list(vec![ctx.atom("as"), ctx.atom("const"), array]);
    let mut elems = ctx.list(vec![as_const, zero_term(ctx, analysis, element)?]);
    for (i, item) in items.iter().enumerate() {
        elems = ctx.store(elems, ctx.numeral(i), *item);
    }
    let name = shape(analysis, list_ty)?;
    Some(ctx.list(vec![ctx.atom(format!("mk_{name}")), elems, ctx.numeral(items.len())]))
}

/// Part `part` (`present`, `values`, `sum` or `count`) of `map`, a map
/// held as a value, of type `map_ty`.
pub fn map_part(ctx: &Context, analysis: &Analysis, map_ty: &Ty, map: SExpr, part: &str) -> Option<SExpr> {
    Some(ctx.list(vec![ctx.atom(format!("{}_{part}", shape(analysis, map_ty)?)), map]))
}

/// The map value of type `map_ty` of its parts, in `map_part`'s order.
pub fn map_of(
    ctx: &Context,
    analysis: &Analysis,
    map_ty: &Ty,
    [present, values, sum, count]: [SExpr; 4],
) -> Option<SExpr> {
    let name = shape(analysis, map_ty)?;
    Some(ctx.list(vec![ctx.atom(format!("mk_{name}")), present, values, sum, count]))
}

/// `list` with `element` appended.
pub fn list_pushed(
    ctx: &Context,
    analysis: &Analysis,
    list_ty: &Ty,
    list: SExpr,
    element: SExpr,
) -> Option<SExpr> {
    let name = shape(analysis, list_ty)?;
    let len = list_len(ctx, analysis, list_ty, list)?;
    let elems = ctx.list(vec![ctx.atom(format!("{name}_elems")), list]);
    let longer = ctx.store(elems, len, element);
    Some(ctx.list(vec![ctx.atom(format!("mk_{name}")), longer, ctx.plus(len, ctx.numeral(1))]))
}

/// The first and last day a `Date` can hold: 0001-01-01 and 9999-12-31.
pub const DAY_MIN: i64 = -719_162;
pub const DAY_MAX: i64 = 2_932_896;

/// An address is a number below 2^160 (its 20 bytes, big-endian).
pub fn address_range(ctx: &Context, term: SExpr) -> SExpr {
    let top = ctx.numeral(1u128 << 96);
    let limit = ctx.times(top, ctx.numeral(1u128 << 64));
    ctx.and(ctx.lte(ctx.numeral(0), term), ctx.lt(term, limit))
}
