//! Bounds on encoded values, each with the reason for its value.

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
