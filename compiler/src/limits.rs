//! Bounds on what the compiler accepts, each with the reason for its value.
//!
//! Invariant: every input larger or deeper than these gets a diagnostic,
//! never a stack overflow or an allocation failure.

/// Largest source file accepted. 8 MiB is hundreds of times a large contract,
/// and keeps every byte offset well inside `u32`.
pub const SOURCE_BYTES_MAX: usize = 8 * 1024 * 1024;

/// Deepest nesting of expressions, blocks and types. The checker and the
/// formatter recurse once per level; 256 levels is far beyond readable code
/// and keeps the deepest recursion within a 2 MiB thread stack even in
/// unoptimised builds.
pub const NESTING_DEPTH_MAX: u32 = 256;

/// Most operands of one operator chain of a single precedence level
/// (`a + b + … `). A chain nests nothing, but the checker, the back end and
/// the formatter walk it recursively (on a stack that grows as needed):
/// 4 096 terms is far beyond a hand-written sum and bounds that walk.
pub const CHAIN_OPERANDS_MAX: u32 = 4096;

/// Most diagnostics reported for one file. A binary file fed to the
/// compiler would otherwise produce one error per byte.
pub const DIAGNOSTICS_PER_FILE_MAX: usize = 200;

/// Edit distance under which a known name is suggested for an unknown one.
pub const SUGGESTION_DISTANCE_MAX: usize = 2;
