//! Bounds the compiler and the VM must agree on (the shape of a module, and
//! encoded values), each with the reason for its value.
//!
//! Why here: the VM enforces the module bounds at deploy and the compiler
//! refuses to build past them, so a file that builds always deploys.

/// Largest module accepted at deploy, in bytes. Compiled Writ contracts are
/// tens of kilobytes; 2 MiB leaves room for large generated tables while
/// keeping Cranelift's compile time (paid once per code hash) bounded.
pub const MODULE_BYTES_MAX: usize = 2 * 1024 * 1024;

/// Largest single function body, in bytes. Bounds Cranelift's per-function
/// cost (some of its passes are superlinear in function size).
pub const FUNCTION_BODY_BYTES_MAX: u32 = 256 * 1024;

/// Most locals one function may declare. Bounds the native stack frame a
/// single call needs, so the stack limit is reached by depth, not by one
/// giant frame.
pub const LOCALS_PER_FUNCTION_MAX: u32 = 2_000;

/// Deepest nesting of a value's encoding (options, lists, maps, tuples,
/// structs and enums inside each other). Decoding recurses once per level;
/// 64 is far beyond any real record and keeps hostile input from
/// exhausting the stack.
pub const ENCODED_DEPTH_MAX: usize = 64;

/// Most elements a list or map may declare. Lengths beyond what the input
/// could hold are refused anyway; this also caps what a valid-looking
/// encoding can make a decoder allocate.
pub const ENCODED_LENGTH_MAX: usize = 16 * 1024 * 1024;

/// Most elements of a list whose element type encodes to no bytes (such as
/// `List<()>`): nothing in the input bounds their number otherwise.
pub const ZERO_SIZED_ELEMENTS_MAX: usize = 1024;
