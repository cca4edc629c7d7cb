//! A concrete state as terms: the storage and roles a test left a
//! contract with, for the bounded search to start from instead of `init`.
//!
//! Every value becomes the term the encoding would hold for it (numbers as
//! integers, `Decimal`s as their raw count, structs, enums, lists and maps
//! held in maps as datatypes, maps in storage as their arrays with the
//! ghost sum and count the encoding keeps, roles as arrays of holders), so
//! a call encoded on top of it behaves as on the VM. A value the prover
//! does not model is refused by name, never approximated.

use easy_smt::{Context, SExpr};
use writ_abi::Value;
use writ_compiler::Analysis;
use writ_compiler::span::Span;
use writ_compiler::types::Ty;

use crate::body::{EncodeError, Held, MapTerms, Storage};
use crate::{Solver, int, sorts};

/// A contract's state as a test left it.
#[derive(Debug, Clone, Default)]
pub struct Concrete {
    /// Each storage field that holds something, by index: its value (a
    /// map field as `Value::Map`, entries in key order). A field not listed
    /// holds its type's zero.
    pub fields: Vec<(u32, Value)>,
    /// Each role (by index, `Admin` first) and the addresses holding it.
    pub roles: Vec<(u32, Vec<[u8; 20]>)>,
    /// The ledger's clock (seconds): calls come no earlier.
    pub time: i64,
}

/// The storage terms of `state` for the contract whose modelled fields
/// are `fields` and roles `roles` (keys as `invariant::role_fields` gives
/// them).
pub(crate) fn storage(
    solver: &mut Solver,
    analysis: &Analysis,
    fields: &[(u32, String, Ty)],
    roles: &[(u32, String)],
    state: &Concrete,
) -> Result<Storage, EncodeError> {
    let mut storage = crate::invariant::initial_storage(solver, analysis, fields)?;
    for (index, value) in &state.fields {
        let Some((_, name, ty)) = fields.iter().find(|(i, _, _)| i == index) else { continue };
        if !storage.contains_key(index) {
            // Not modelled: code reading it is refused where it reads it.
            continue;
        }
        let held = match (ty, value) {
            (Ty::Map(key, inner), Value::Map(entries)) => {
                Held::Map(map_terms(solver.ctx(), analysis, (key, inner), entries).map_err(|what| {
                    refused(format!("the value of the storage field `{name}` in the setup state: {what}"))
                })?)
            }
            _ => Held::Value(term(solver.ctx(), analysis, value, ty).map_err(|what| {
                refused(format!("the value of the storage field `{name}` in the setup state: {what}"))
            })?),
        };
        storage.insert(*index, (held, ty.clone()));
    }
    let ctx = solver.ctx();
    for (n, (key, _)) in roles.iter().enumerate() {
        let mut holders = nobody(ctx);
        let held = state.roles.iter().find(|(r, _)| *r as usize == n).map(|(_, h)| h.as_slice());
        for address in held.unwrap_or_default() {
            holders = ctx.store(holders, address_term(ctx, address), ctx.true_());
        }
        storage.insert(*key, (Held::Value(holders), Ty::Role(0)));
    }
    Ok(storage)
}

/// The array from addresses to `false`: nobody holds the role.
pub(crate) fn nobody(ctx: &Context) -> SExpr {
    let sort = ctx.array_sort(ctx.int_sort(), ctx.bool_sort());
    let as_const = ctx.list(vec![ctx.atom("as"), ctx.atom("const"), sort]);
    ctx.list(vec![as_const, ctx.false_()])
}

/// An address as the prover's number: its 20 bytes, big-endian.
pub(crate) fn address_term(ctx: &Context, address: &[u8; 20]) -> SExpr {
    let mut high = [0u8; 16];
    high.copy_from_slice(&address[..16]);
    let mut low = [0u8; 4];
    low.copy_from_slice(&address[16..]);
    let shifted = ctx.times(ctx.numeral(u128::from_be_bytes(high)), ctx.numeral(1u64 << 32));
    ctx.plus(shifted, ctx.numeral(u32::from_be_bytes(low)))
}

/// A hash as the prover's number: its 32 bytes, big-endian.
fn hash_term(ctx: &Context, hash: &[u8; 32]) -> SExpr {
    let mut high = [0u8; 16];
    high.copy_from_slice(&hash[..16]);
    let mut low = [0u8; 16];
    low.copy_from_slice(&hash[16..]);
    let two_64 = ctx.numeral(1u128 << 64);
    let shifted = ctx.times(ctx.numeral(u128::from_be_bytes(high)), ctx.times(two_64, two_64));
    ctx.plus(shifted, ctx.numeral(u128::from_be_bytes(low)))
}

/// The term of `value`, of type `ty` (its sorts declared); `Err` says what
/// cannot be written as one.
fn term(ctx: &Context, analysis: &Analysis, value: &Value, ty: &Ty) -> Result<SExpr, String> {
    let mismatch = || format!("a value that is not a `{}`", analysis.tables().display(ty));
    let parts = |values: &[Value], types: &[Ty]| -> Result<Vec<SExpr>, String> {
        if values.len() != types.len() {
            return Err(mismatch());
        }
        values.iter().zip(types).map(|(v, t)| term(ctx, analysis, v, t)).collect()
    };
    let unmodelled = || format!("`{}`, which the prover does not model", analysis.tables().display(ty));
    Ok(match (ty, value) {
        (Ty::Bool, Value::Bool(b)) => {
            if *b {
                ctx.true_()
            } else {
                ctx.false_()
            }
        }
        (Ty::Int(_), Value::U8(n)) => ctx.numeral(*n),
        (Ty::Int(_), Value::U32(n)) => ctx.numeral(*n),
        (Ty::Int(_), Value::U64(n)) => ctx.numeral(*n),
        (Ty::Int(_), Value::U128(n)) => ctx.numeral(*n),
        (Ty::Int(_), Value::I64(n)) => int::constant(ctx, i128::from(*n)),
        (Ty::Int(_), Value::I128(n)) => int::constant(ctx, *n),
        (Ty::Decimal, Value::Decimal(d)) => int::constant(ctx, d.raw()),
        (Ty::Address | Ty::Ref(_), Value::Address(a)) => address_term(ctx, a),
        (Ty::Hash, Value::Hash(h)) => hash_term(ctx, h),
        (Ty::Timestamp, Value::Timestamp(t)) => ctx.numeral(*t),
        (Ty::Date, Value::Date(d)) => int::constant(ctx, i128::from(d.days())),
        (Ty::String, Value::String(text)) => {
            // As the encoding's literals: SMT-LIB writes `"` as `""`, and
            // its other escapes differ from Writ's.
            if text.chars().any(|c| c == '\\' || !(' '..='~').contains(&c)) {
                return Err("a string with characters outside printable ASCII or a backslash".into());
            }
            ctx.atom(format!("\"{}\"", text.replace('"', "\"\"")))
        }
        (Ty::Struct(_) | Ty::Tuple(_), Value::Struct(values) | Value::Tuple(values)) => {
            let (_, types) = sorts::record(analysis, ty).ok_or_else(unmodelled)?;
            sorts::build(ctx, analysis, ty, parts(values, &types)?).ok_or_else(unmodelled)?
        }
        (Ty::Option(_), Value::Option(inner)) => {
            let (v, values) = match inner {
                None => (0, Vec::new()),
                Some(inner) => (1, vec![(**inner).clone()]),
            };
            let (_, variants) = sorts::choices(analysis, ty).ok_or_else(unmodelled)?;
            let types = variants.get(v).cloned().unwrap_or_default();
            sorts::variant(ctx, analysis, ty, v, parts(&values, &types)?).ok_or_else(unmodelled)?
        }
        (Ty::Enum(_), Value::Enum { variant, fields }) => {
            let (_, variants) = sorts::choices(analysis, ty).ok_or_else(unmodelled)?;
            let v = *variant as usize;
            let types = variants.get(v).ok_or_else(mismatch)?;
            sorts::variant(ctx, analysis, ty, v, parts(fields, types)?).ok_or_else(unmodelled)?
        }
        (Ty::List(element), Value::List(items)) => {
            let items: Vec<SExpr> =
                items.iter().map(|i| term(ctx, analysis, i, element)).collect::<Result<_, _>>()?;
            sorts::list_of(ctx, analysis, ty, &items).ok_or_else(unmodelled)?
        }
        (Ty::Map(key, inner), Value::Map(entries)) => {
            let map = map_terms(ctx, analysis, (key, inner), entries)?;
            sorts::map_of(ctx, analysis, ty, [map.present, map.values, map.sum, map.count])
                .ok_or_else(unmodelled)?
        }
        _ => return Err(mismatch()),
    })
}

/// A map's arrays, with the ghost sum (of its numbers, or its lists'
/// lengths; zero for other values, as the encoding keeps it) and count.
fn map_terms(
    ctx: &Context,
    analysis: &Analysis,
    (key_ty, value_ty): (&Ty, &Ty),
    entries: &[(Value, Value)],
) -> Result<MapTerms, String> {
    let map_ty = Ty::Map(Box::new(key_ty.clone()), Box::new(value_ty.clone()));
    let unmodelled = || format!("`{}`, which the prover does not model", analysis.tables().display(&map_ty));
    let (mut present, mut values) =
        sorts::empty_map(ctx, analysis, key_ty, value_ty).ok_or_else(unmodelled)?;
    let mut measures = Vec::new();
    for (key, value) in entries {
        let (k, v) = (term(ctx, analysis, key, key_ty)?, term(ctx, analysis, value, value_ty)?);
        present = ctx.store(present, k, ctx.true_());
        values = ctx.store(values, k, v);
        match value_ty {
            Ty::Int(_) | Ty::Decimal => measures.push(v),
            Ty::List(_) => measures.push(ctx.numeral(match value {
                Value::List(items) => items.len(),
                _ => 0,
            })),
            _ => {}
        }
    }
    let sum = crate::joined(measures, ctx.numeral(0), |many| ctx.plus_many(many));
    Ok(MapTerms { present, values, sum, count: ctx.numeral(entries.len()) })
}

fn refused(what: String) -> EncodeError {
    EncodeError::Refused(crate::body::Refused { span: Span::default(), what })
}
