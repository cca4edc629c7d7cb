//! The encoding used as proofs are: claims over every value of a type,
//! answered `Unsat` (proved: no value breaks them), `Sat` with a model
//! (a counterexample the VM would reproduce), or `Unknown` when the budget
//! runs out. Each claim is asserted negated under the operands' range facts
//! and the operation's "did not abort" condition, as the engines will.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use writ_abi::Rounding;
use writ_prover::int::{self, Arith, IntType};
use writ_prover::solver::Answer;
use writ_prover::{Budget, Solver, decimal};

/// Checks `claim` for all values of the declared operands; the scope is
/// closed again afterwards.
fn prove(solver: &mut Solver, facts: &[easy_smt::SExpr], claim: easy_smt::SExpr) -> Answer {
    prove_within(solver, facts, claim, Budget::default())
}

fn prove_within(
    solver: &mut Solver,
    facts: &[easy_smt::SExpr],
    claim: easy_smt::SExpr,
    budget: Budget,
) -> Answer {
    open_negated(solver, facts, claim);
    let answer = solver.check_within(budget).unwrap();
    solver.pop().unwrap();
    answer
}

/// Opens a scope holding `facts` and the negation of `claim`: a model of
/// it is a counterexample.
fn open_negated(solver: &mut Solver, facts: &[easy_smt::SExpr], claim: easy_smt::SExpr) {
    solver.push().unwrap();
    for fact in facts {
        solver.assert(*fact).unwrap();
    }
    let negated = solver.ctx().not(claim);
    solver.assert(negated).unwrap();
}

#[test]
fn a_true_claim_about_every_u64_is_proved() {
    let Some(mut solver) = common::solver() else { return };
    let (a, b) = (solver.int_const("a1").unwrap(), solver.int_const("b1").unwrap());
    let ctx = solver.ctx();
    let sum = int::arith(ctx, Arith::Add, IntType::U64, a, b);
    let facts = [
        int::in_range(ctx, IntType::U64, a),
        int::in_range(ctx, IntType::U64, b),
        ctx.not(sum.aborts_at_all(ctx)),
    ];
    // Whenever `a + b` does not abort, it is at least `a`.
    let claim = ctx.gte(sum.value, a);
    assert_eq!(prove(&mut solver, &facts, claim), Answer::Unsat);
}

#[test]
fn a_false_claim_gets_a_counterexample() {
    let Some(mut solver) = common::solver() else { return };
    let (a, b) = (solver.int_const("a2").unwrap(), solver.int_const("b2").unwrap());
    let ctx = solver.ctx();
    let sum = int::arith(ctx, Arith::Add, IntType::U8, a, b);
    let facts = [int::in_range(ctx, IntType::U8, a), int::in_range(ctx, IntType::U8, b)];
    // "`a + b` never aborts on u8" is false: the model must overflow.
    let claim = ctx.not(sum.aborts_at_all(ctx));
    open_negated(&mut solver, &facts, claim);
    assert_eq!(solver.check().unwrap(), Answer::Sat);
    let (a, b) = (solver.int_value(a).unwrap(), solver.int_value(b).unwrap());
    let (a, b): (u8, u8) = (a.parse().unwrap(), b.parse().unwrap());
    assert!(a.checked_add(b).is_none(), "{a} + {b} does not overflow");
    solver.pop().unwrap();
}

#[test]
fn rounding_claims_over_every_decimal_are_proved() {
    let Some(mut solver) = common::solver() else { return };
    let x = solver.int_const("x3").unwrap();
    let ctx = solver.ctx();
    let two = ctx.numeral(2);
    let once = decimal::round(ctx, x, two, Rounding::HalfEven);
    let twice = decimal::round(ctx, once.value, two, Rounding::HalfEven);
    let floor = decimal::whole(ctx, x, Rounding::Floor);
    let ceil = decimal::whole(ctx, x, Rounding::Ceiling);
    let facts = [
        decimal::in_range(ctx, x),
        ctx.not(once.aborts_at_all(ctx)),
        ctx.not(twice.aborts_at_all(ctx)),
        ctx.not(floor.aborts_at_all(ctx)),
        ctx.not(ceil.aborts_at_all(ctx)),
    ];
    // Rounding twice to the same places changes nothing more.
    let idempotent = ctx.eq(twice.value, once.value);
    assert_eq!(prove(&mut solver, &facts, idempotent), Answer::Unsat);
    // floor(x) <= x <= ceil(x), and they differ by at most one unit.
    let ctx = solver.ctx();
    let ordered = ctx.and(ctx.lte(floor.value, x), ctx.lte(x, ceil.value));
    let close = ctx.lte(ctx.sub(ceil.value, floor.value), decimal::scale(ctx));
    let claim = ctx.and(ordered, close);
    assert_eq!(prove(&mut solver, &facts, claim), Answer::Unsat);
}

#[test]
fn an_exhausted_budget_is_unknown_never_a_verdict() {
    let Some(mut solver) = common::solver() else { return };
    let (a, b) = (solver.int_const("a4").unwrap(), solver.int_const("b4").unwrap());
    let ctx = solver.ctx();
    // Non-linear: (a * b) / b == a for every non-zero b, over Decimals.
    let product = decimal::mul(ctx, a, b);
    let back = decimal::div(ctx, product.value, b);
    let facts = [
        decimal::in_range(ctx, a),
        decimal::in_range(ctx, b),
        ctx.not(product.aborts_at_all(ctx)),
        ctx.not(back.aborts_at_all(ctx)),
    ];
    let claim = ctx.eq(back.value, a);
    assert_eq!(prove_within(&mut solver, &facts, claim, Budget(1)), Answer::Unknown);
    // The session goes on with its own budget afterwards.
    let ctx = solver.ctx();
    let trivial = ctx.eq(a, a);
    assert_eq!(prove(&mut solver, &[], trivial), Answer::Unsat);
}
