//! The Writ compiler front end: source text to diagnostics, a checked
//! program, formatted source, and the analysis the language server queries.
//!
//! Invariant: no IO. Callers hand in source text (and the standard library
//! comes embedded from `writ-stdlib`); nothing here reads files, clocks or
//! the environment, and no input makes it panic.

pub mod analysis;
pub mod ast;
pub mod builtins;
pub mod check;
pub mod codegen;
pub mod diagnostic;
pub mod docgen;
pub mod format;
pub mod ide;
pub mod interface;
pub mod lexer;
pub mod limits;
pub mod parser;
mod relocate;
pub mod render;
pub mod reparse;
pub mod span;
mod stack;
pub mod types;
pub mod walk;

pub use analysis::Analysis;
pub use diagnostic::{Code, Diagnostic, Severity};
pub use span::{FileId, Span};
