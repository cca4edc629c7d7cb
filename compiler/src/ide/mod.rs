//! Editor queries that are language logic: completion, signature help,
//! symbols, semantic token classes, folding, inlay hints and rename
//! checks. Pure functions over an [`Analysis`] working in byte offsets;
//! the language server only converts their results to the protocol.
//!
//! Invariant: nothing here panics on any offset or any source, and no
//! query type-checks on its own: types come from the checker's tables.

pub mod completion;
pub mod folding;
pub mod hints;
pub mod rename;
pub mod scope;
pub mod signature;
pub mod symbols;
pub mod tokens;

#[cfg(test)]
mod tests;

pub use completion::{Completion, CompletionKind, completions};
pub use folding::{Fold, FoldKind, folding_ranges};
pub use hints::{InlayHint, inlay_hints};
pub use rename::{RenameError, prepare_rename, rename, validate_name};
pub use signature::{SignatureHelp, signature_help};
pub use symbols::{FoundSymbol, Symbol, SymbolKind, document_symbols, workspace_symbols};
pub use tokens::{SemanticToken, TokenKind, semantic_tokens};
