//! Proofs for auditors (`writ prove`, issue #14), built in layers.
//!
//! Writ's meaning is written here as SMT-LIB terms and handed to a real
//! solver (Z3, a subprocess). This first layer holds the solver session
//! ([`solver`]: deterministic budgets and seeds, the solver's version, a
//! replay of every query) and the exact encoding of Writ's arithmetic:
//! checked integers ([`int`]) and `Decimal` with its rounding rules
//! ([`decimal`]), each operation as its value and the conditions under
//! which it aborts, with the abort codes the VM uses. The encoding is
//! tested against the VM itself (`tests/conformance.rs`): a term and the
//! compiled code must agree on every result and every abort.
//!
//! On top of these, [`sorts`] gives each modelled type its sort (structs
//! and tuples as datatypes), [`body`] encodes a function body from the
//! typed program: when it returns and with what, every way it aborts, and
//! the storage it leaves (tested against the VM on random bodies,
//! `tests/bodies.rs`, maps and structs in storage included);
//! [`invariant`] is the inductive check of a contract's invariants,
//! [`spec`] the same for each clause of a `spec` member, and [`bounded`]
//! the search over call sequences from `init` or from the state a test
//! leaves ([`concrete`]) (`tests/invariants.rs`, and the runner's planted
//! bugs). `writ prove` runs them from the runner (`writ_runner::prove`),
//! which replays every counterexample on the VM.
//!
//! Not built yet (docs/prove.md): loops outside invariants other than over
//! lists known where they start, and anything they need (loop invariants,
//! specs of library functions).
//!
//! Boundary: this crate speaks SMT-LIB and knows Writ's arithmetic rules,
//! reading types from the compiler and abort codes from `writ-abi`; it never
//! runs contract code.

pub mod body;
pub mod bounded;
pub mod concrete;
pub mod decimal;
pub mod frame;
pub mod int;
pub mod invariant;
pub mod solver;
pub mod sorts;
mod source;
pub mod spec;

pub use solver::{Budget, Solver, SolverError};

/// The disjunction of `terms`: `false` when there are none (SMT-LIB's `or`
/// needs at least one).
pub(crate) fn any(
    ctx: &easy_smt::Context,
    terms: impl IntoIterator<Item = easy_smt::SExpr>,
) -> easy_smt::SExpr {
    joined(terms, ctx.false_(), |many| ctx.or_many(many))
}

/// The conjunction of `terms`: `true` when there are none.
pub(crate) fn all(
    ctx: &easy_smt::Context,
    terms: impl IntoIterator<Item = easy_smt::SExpr>,
) -> easy_smt::SExpr {
    joined(terms, ctx.true_(), |many| ctx.and_many(many))
}

/// `none` for no terms, the term itself for one, `many` of them otherwise.
fn joined(
    terms: impl IntoIterator<Item = easy_smt::SExpr>,
    none: easy_smt::SExpr,
    many: impl FnOnce(Vec<easy_smt::SExpr>) -> easy_smt::SExpr,
) -> easy_smt::SExpr {
    let terms: Vec<easy_smt::SExpr> = terms.into_iter().collect();
    match terms.as_slice() {
        [] => none,
        [one] => *one,
        _ => many(terms),
    }
}
