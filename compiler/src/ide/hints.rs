//! Inlay hints: the inferred type after each `let` binding written
//! without a type annotation.

use crate::analysis::Analysis;
use crate::span::FileId;

/// A hint to show at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlayHint {
    pub offset: u32,
    /// Such as `: Decimal`.
    pub label: String,
}

/// Type hints for the inferred `let` bindings of `file` within `lo..hi`.
pub fn inlay_hints(analysis: &Analysis, file: FileId, lo: u32, hi: u32) -> Vec<InlayHint> {
    let tables = analysis.tables();
    let mut out: Vec<InlayHint> = tables
        .locals
        .iter()
        .filter(|l| l.span.file == file && l.inferred && l.name != "_" && !l.ty.contains_error())
        .filter(|l| l.span.hi >= lo && l.span.lo <= hi)
        .map(|l| InlayHint { offset: l.span.hi, label: format!(": {}", tables.display(&l.ty)) })
        .collect();
    out.sort_by_key(|h| h.offset);
    out.dedup();
    out
}
