//! A model's values as Writ source, for the tests the search prints:
//! numbers, booleans and strings as literals, `Decimal`s with their point,
//! dates as `date(y, m, d)`, hashes and unknown addresses in hex, the
//! search's accounts as `account("name")`, and structs, tuples, enums,
//! `Option`s and lists part by part — each part asked of the solver as a
//! term of its own (a field, a variant test, a list's length and
//! elements), so no model of a datatype or an array is ever parsed.

use easy_smt::SExpr;
use writ_compiler::Analysis;
use writ_compiler::ast::{ItemKind, MemberKind};
use writ_compiler::types::Ty;

use crate::body::EncodeError;
use crate::invariant::value_text;
use crate::{Solver, SolverError, sorts};

/// The longest list, and the deepest value, written.
const MOST_ELEMENTS: u64 = 64;
const DEEPEST: u32 = 16;

/// What the source of a value needs besides the solver.
pub(crate) struct Writer<'w> {
    pub analysis: &'w Analysis,
    /// The search's accounts, by name, and the term of each.
    pub accounts: &'w [(String, [u8; 20])],
    pub pool: &'w [SExpr],
}

impl Writer<'_> {
    /// The account `term` is, by name; `None` when it is none of them.
    pub fn account(&self, solver: &mut Solver, term: SExpr) -> Result<Option<String>, EncodeError> {
        for ((name, _), account) in self.accounts.iter().zip(self.pool) {
            let ctx = solver.ctx();
            let same = ctx.eq(term, *account);
            if solver.bool_value(same)? {
                return Ok(Some(name.clone()));
            }
        }
        Ok(None)
    }

    /// The model's value of `term`, of type `ty`, as Writ source.
    pub fn source(&self, solver: &mut Solver, term: SExpr, ty: &Ty) -> Result<String, EncodeError> {
        self.source_at(solver, term, ty, 0)
    }

    fn source_at(
        &self,
        solver: &mut Solver,
        term: SExpr,
        ty: &Ty,
        depth: u32,
    ) -> Result<String, EncodeError> {
        if depth > DEEPEST {
            return Err(unwritable("a value nested this deep"));
        }
        let parts = |solver: &mut Solver, terms: Vec<(SExpr, Ty)>| -> Result<Vec<String>, EncodeError> {
            terms.into_iter().map(|(t, ty)| self.source_at(solver, t, &ty, depth + 1)).collect()
        };
        let analysis = self.analysis;
        Ok(match ty {
            Ty::Address => match self.account(solver, term)? {
                Some(name) => format!("account({name:?})"),
                None => format!("0x{}", hex(solver, term, 20)?),
            },
            Ty::Ref(cid) => {
                let contract = analysis.tables().contract(*cid).map_or("?", |c| c.name.as_str());
                format!("{contract}::at({})", self.source_at(solver, term, &Ty::Address, depth + 1)?)
            }
            Ty::Hash => format!("0x{}", hex(solver, term, 32)?),
            Ty::Decimal => {
                let text = value_text(solver, term, ty)?;
                if text.contains('.') { text } else { format!("{text}.0") }
            }
            Ty::Date => {
                let days = solver.int_value(term)?;
                let date = days.parse().ok().and_then(writ_abi::Date::from_days);
                let Some((y, m, d)) = date.map(writ_abi::Date::ymd) else {
                    return Err(EncodeError::Solver(SolverError::BadValue(days)));
                };
                format!("date({y}, {m}, {d})")
            }
            Ty::Struct(id) => {
                let (_, fields) = sorts::record(analysis, ty).ok_or_else(|| unwritable("this struct"))?;
                let info =
                    analysis.tables().structs.get(*id as usize).ok_or_else(|| unwritable("this struct"))?;
                let terms = self.fields(solver, ty, term, &fields)?;
                let written = parts(solver, terms)?;
                let named: Vec<String> =
                    info.fields.iter().zip(&written).map(|(f, v)| format!("{}: {v}", f.name)).collect();
                format!("{} {{ {} }}", qualified(analysis, &info.name, info.span), named.join(", "))
            }
            Ty::Tuple(_) => {
                let (_, fields) = sorts::record(analysis, ty).ok_or_else(|| unwritable("this tuple"))?;
                let terms = self.fields(solver, ty, term, &fields)?;
                let written = parts(solver, terms)?;
                let comma = if written.len() == 1 { "," } else { "" };
                format!("({}{comma})", written.join(", "))
            }
            Ty::Enum(_) | Ty::Option(_) => {
                let (_, variants) = sorts::choices(analysis, ty).ok_or_else(|| unwritable("this enum"))?;
                let mut chosen = None;
                for v in 0..variants.len() {
                    let ctx = solver.ctx();
                    let test = sorts::is_variant(ctx, analysis, ty, term, v)
                        .ok_or_else(|| unwritable("this enum"))?;
                    if solver.bool_value(test)? {
                        chosen = Some(v);
                        break;
                    }
                }
                let v = chosen.ok_or_else(|| unwritable("this enum"))?;
                let fields = variants.get(v).cloned().unwrap_or_default();
                let mut terms = Vec::new();
                for (i, field) in fields.into_iter().enumerate() {
                    let ctx = solver.ctx();
                    let t = sorts::variant_field(ctx, analysis, ty, term, v, i)
                        .ok_or_else(|| unwritable("this enum"))?;
                    terms.push((t, field));
                }
                let written = parts(solver, terms)?;
                let name = match (ty, v) {
                    (Ty::Option(_), 0) => "None".to_string(),
                    (Ty::Option(_), _) => "Some".to_string(),
                    (Ty::Enum(id), _) => {
                        let info = analysis
                            .tables()
                            .enums
                            .get(*id as usize)
                            .ok_or_else(|| unwritable("this enum"))?;
                        let variant = info.variants.get(v).ok_or_else(|| unwritable("this enum"))?;
                        format!("{}::{}", qualified(analysis, &info.name, info.span), variant.name)
                    }
                    _ => return Err(unwritable("this enum")),
                };
                if written.is_empty() { name } else { format!("{name}({})", written.join(", ")) }
            }
            Ty::List(element) => {
                let ctx = solver.ctx();
                let len = sorts::list_len(ctx, analysis, ty, term).ok_or_else(|| unwritable("this list"))?;
                let count: u64 = solver.int_value(len)?.parse().unwrap_or(u64::MAX);
                if count > MOST_ELEMENTS {
                    return Err(unwritable("a list this long"));
                }
                let mut terms = Vec::new();
                for i in 0..count {
                    let ctx = solver.ctx();
                    let index = ctx.numeral(i);
                    let nth = sorts::list_nth(ctx, analysis, ty, term, index)
                        .ok_or_else(|| unwritable("this list"))?;
                    terms.push((nth, (**element).clone()));
                }
                format!("[{}]", parts(solver, terms)?.join(", "))
            }
            Ty::Map(..) => return Err(unwritable("a map")),
            _ => value_text(solver, term, ty)?,
        })
    }

    /// The terms of the fields of a struct or tuple `term`.
    fn fields(
        &self,
        solver: &mut Solver,
        ty: &Ty,
        term: SExpr,
        fields: &[Ty],
    ) -> Result<Vec<(SExpr, Ty)>, EncodeError> {
        let ctx = solver.ctx();
        fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                sorts::field(ctx, self.analysis, ty, term, i)
                    .map(|t| (t, f.clone()))
                    .ok_or_else(|| unwritable("this struct"))
            })
            .collect()
    }
}

/// A model's value of a non-negative integer term below 2^(8·bytes), in
/// hex of exactly that many bytes (an address or a hash: beyond `u128`).
fn hex(solver: &mut Solver, term: SExpr, bytes: usize) -> Result<String, EncodeError> {
    let text = solver.int_value(term)?;
    let bad = || EncodeError::Solver(SolverError::BadValue(text.clone()));
    // Long division of the decimal digits by 16, most significant first.
    let mut digits: Vec<u32> = text.chars().map(|c| c.to_digit(10)).collect::<Option<_>>().ok_or_else(bad)?;
    let mut out = Vec::new();
    while digits.iter().any(|d| *d != 0) {
        let mut rest = 0;
        for d in &mut digits {
            let value = rest * 10 + *d;
            *d = value / 16;
            rest = value % 16;
        }
        out.push(char::from_digit(rest, 16).ok_or_else(bad)?);
    }
    if out.len() > 2 * bytes {
        return Err(bad());
    }
    out.resize(2 * bytes, '0');
    Ok(out.into_iter().rev().collect())
}

/// A struct's or enum's name as a test outside its contract writes it:
/// `Contract::Name` for one declared in a contract (its name's `span`).
fn qualified(analysis: &Analysis, name: &str, span: writ_compiler::span::Span) -> String {
    for file in analysis.user_files() {
        for item in &file.parsed.tree.items {
            let ItemKind::Contract(contract) = &item.kind else { continue };
            let inside = contract.members.iter().any(|m| match &m.kind {
                MemberKind::Struct(s) => s.name.span == span,
                MemberKind::Enum(e) => e.name.span == span,
                _ => false,
            });
            if inside {
                return format!("{}::{name}", contract.name.name);
            }
        }
    }
    name.to_string()
}

fn unwritable(what: &str) -> EncodeError {
    EncodeError::Solver(SolverError::BadValue(format!(
        "{what}, which the prover does not write in a test yet"
    )))
}
