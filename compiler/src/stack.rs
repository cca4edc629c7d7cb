//! Room on the stack for the passes that recurse over expressions.
//!
//! Nesting is bounded (`limits::NESTING_DEPTH_MAX`), but an operator chain
//! (`a + b + …`, up to `limits::CHAIN_OPERANDS_MAX` operands) is walked one
//! level per operand. Each recursive step first makes sure some stack is
//! left, and moves to a fresh segment on the heap when it is not, so no
//! input overflows the stack of whichever thread runs the compiler.

/// Stack that must be left before a recursive step runs on the current one.
const RED_ZONE_BYTES: usize = 128 * 1024;

/// Size of each extra segment.
const SEGMENT_BYTES: usize = 2 * 1024 * 1024;

/// Runs `step`, on a new stack segment if the current one is nearly used up.
pub(crate) fn deep<R>(step: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE_BYTES, SEGMENT_BYTES, step)
}
