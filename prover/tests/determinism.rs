//! A proof's answer and cost depend on the query and the Z3 binary only:
//! two fresh sessions given the same queries report the same answers and
//! the same count of solver steps, and the replay file a session writes
//! (`--dump-smt`) gives the same answers when Z3 runs it alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use writ_abi::Rounding;
use writ_prover::solver::Answer;
use writ_prover::{Solver, decimal};

mod common;
use common::start;

/// Three claims about rounding a Decimal to cents, the third false; the
/// answers and the session's step count after them.
fn session(solver: &mut Solver) -> (Vec<Answer>, u64) {
    let x = solver.int_const("x").unwrap();
    let mut answers = Vec::new();
    for (mode, claim_holds) in [(Rounding::HalfEven, true), (Rounding::Floor, true), (Rounding::Up, false)] {
        let ctx = solver.ctx();
        let cents = decimal::round(ctx, x, ctx.numeral(2), mode);
        let facts = [decimal::in_range(ctx, x), ctx.not(cents.aborts_at_all(ctx))];
        // Within a cent of x, and (for the false one) never above it.
        let distance = ctx.sub(cents.value, x);
        let cent = ctx.numeral(10_000_000_000_000_000u64);
        let mut claim = ctx.and(ctx.lt(distance, cent), ctx.lt(ctx.negate(cent), distance));
        if !claim_holds {
            claim = ctx.and(claim, ctx.lte(cents.value, x));
        }
        let negated = ctx.not(claim);
        solver.push().unwrap();
        for fact in facts {
            solver.assert(fact).unwrap();
        }
        solver.assert(negated).unwrap();
        answers.push(solver.check().unwrap());
        solver.pop().unwrap();
    }
    let steps = solver.steps().unwrap();
    (answers, steps)
}

#[test]
fn the_same_queries_give_the_same_answers_and_steps() {
    let (Some(mut first), Some(mut second)) = (start(None), start(None)) else { return };
    let (answers, steps) = session(&mut first);
    assert_eq!(answers, vec![Answer::Unsat, Answer::Unsat, Answer::Sat]);
    assert!(steps > 0);
    assert_eq!(session(&mut second), (answers, steps));
    assert!(first.version().starts_with("Z3 version"), "{}", first.version());
}

#[test]
fn the_replay_file_gives_the_same_answers() {
    let dir = std::env::temp_dir().join(format!("writ-prover-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("queries.smt2");
    let Some(mut solver) = start(Some(&path)) else { return };
    let (answers, _) = session(&mut solver);
    drop(solver);
    let output = std::process::Command::new("z3").arg("-smt2").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let replayed: Vec<&str> =
        text.lines().filter(|line| matches!(*line, "sat" | "unsat" | "unknown")).collect();
    let expected: Vec<&str> = answers
        .iter()
        .map(|a| match a {
            Answer::Sat => "sat",
            Answer::Unsat => "unsat",
            Answer::Unknown => "unknown",
        })
        .collect();
    assert_eq!(replayed, expected, "replay of {}:\n{text}", path.display());
    let _ = std::fs::remove_dir_all(&dir);
}
