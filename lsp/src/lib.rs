//! The language server: a thin shell over the compiler's analysis API.
//!
//! Boundary: depends on `writ-compiler` only and contains no parsing or type
//! checking of its own. Built by the language server work (issue #6).
