//! Conversions from the compiler's plain data (diagnostics, completion
//! kinds, symbols, semantic tokens) to LSP types.
//!
//! Invariant: nothing here adds meaning; codes, messages and spans are
//! passed through as the compiler reports them.

use std::collections::HashMap;

use tower_lsp_server::ls_types::{
    self as lsp, CompletionItemKind, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, SemanticToken, SymbolKind, TextEdit, Uri,
};
use writ_compiler::ide::{self, CompletionKind, TokenKind};
use writ_compiler::{Diagnostic, Severity, Span};

use crate::line_index::LineIndex;
use crate::state::Snapshot;

/// The range of a span in its own file, if the file is known.
pub fn range(snapshot: &Snapshot, span: Span) -> Option<lsp::Range> {
    snapshot.file(span.file).map(|f| f.index.range(span.lo, span.hi))
}

/// The location of a span, if its file has a URI.
pub fn location(snapshot: &Snapshot, span: Span) -> Option<Location> {
    let file = snapshot.file(span.file)?;
    Some(Location { uri: file.uri.clone()?, range: file.index.range(span.lo, span.hi) })
}

/// A compiler diagnostic as an LSP diagnostic: the code as `E2004`, labels
/// as related information, notes appended to the message.
pub fn diagnostic(snapshot: &Snapshot, index: &LineIndex, d: &Diagnostic) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    for note in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter_map(|l| {
            Some(DiagnosticRelatedInformation {
                location: location(snapshot, l.span)?,
                message: l.message.clone(),
            })
        })
        .collect();
    lsp::Diagnostic {
        range: index.range(d.span.lo, d.span.hi),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        source: Some("writ".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp::Diagnostic::default()
    }
}

pub fn completion_kind(kind: CompletionKind) -> CompletionItemKind {
    match kind {
        CompletionKind::Keyword => CompletionItemKind::KEYWORD,
        CompletionKind::Local => CompletionItemKind::VARIABLE,
        CompletionKind::Field => CompletionItemKind::FIELD,
        CompletionKind::Method => CompletionItemKind::METHOD,
        CompletionKind::Function => CompletionItemKind::FUNCTION,
        CompletionKind::Struct => CompletionItemKind::STRUCT,
        CompletionKind::Enum => CompletionItemKind::ENUM,
        CompletionKind::Variant | CompletionKind::Role => CompletionItemKind::ENUM_MEMBER,
        CompletionKind::Const => CompletionItemKind::CONSTANT,
        CompletionKind::Contract => CompletionItemKind::CLASS,
        CompletionKind::Event => CompletionItemKind::EVENT,
        CompletionKind::Error => CompletionItemKind::STRUCT,
        CompletionKind::Module => CompletionItemKind::MODULE,
        CompletionKind::Type => CompletionItemKind::TYPE_PARAMETER,
    }
}

pub fn symbol_kind(kind: ide::SymbolKind) -> SymbolKind {
    use ide::SymbolKind as K;
    match kind {
        K::Struct | K::Error => SymbolKind::STRUCT,
        K::Field => SymbolKind::FIELD,
        K::Enum => SymbolKind::ENUM,
        K::Variant => SymbolKind::ENUM_MEMBER,
        K::Const | K::Role => SymbolKind::CONSTANT,
        K::Function | K::Test | K::Property => SymbolKind::FUNCTION,
        K::Contract => SymbolKind::CLASS,
        K::Storage => SymbolKind::PROPERTY,
        K::Event => SymbolKind::EVENT,
        K::Init => SymbolKind::CONSTRUCTOR,
        K::EntryPoint => SymbolKind::METHOD,
        K::Invariant => SymbolKind::BOOLEAN,
        K::Spec => SymbolKind::INTERFACE,
    }
}

/// A document symbol, its selection kept inside its range as LSP requires.
#[allow(deprecated)]
pub fn document_symbol(index: &LineIndex, symbol: ide::Symbol) -> lsp::DocumentSymbol {
    let range = index.range(symbol.span.lo, symbol.span.hi);
    let inside = symbol.span.lo <= symbol.name_span.lo && symbol.name_span.hi <= symbol.span.hi;
    let selection_range = if inside { index.range(symbol.name_span.lo, symbol.name_span.hi) } else { range };
    let children: Vec<lsp::DocumentSymbol> =
        symbol.children.into_iter().map(|c| document_symbol(index, c)).collect();
    lsp::DocumentSymbol {
        name: symbol.name,
        detail: symbol.detail,
        kind: symbol_kind(symbol.kind),
        tags: None,
        deprecated: None,
        range,
        selection_range,
        children: (!children.is_empty()).then_some(children),
    }
}

pub fn token_legend() -> lsp::SemanticTokensLegend {
    lsp::SemanticTokensLegend {
        token_types: TokenKind::ALL.iter().map(|k| lsp::SemanticTokenType::new(k.name())).collect(),
        token_modifiers: ide::tokens::MODIFIERS.iter().map(|m| lsp::SemanticTokenModifier::new(m)).collect(),
    }
}

/// Semantic tokens in the protocol's relative encoding; a token spanning
/// lines (a block comment) is split into one token per line.
pub fn semantic_tokens(index: &LineIndex, tokens: &[ide::SemanticToken]) -> Vec<SemanticToken> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut last_line, mut last_start) = (0u32, 0u32);
    for token in tokens {
        let start = index.position(token.span.lo);
        let end = index.position(token.span.hi);
        for line in start.line..=end.line {
            let from = if line == start.line { start.character } else { 0 };
            let to = if line == end.line {
                end.character
            } else {
                let next = index.offset(lsp::Position { line: line + 1, character: 0 });
                index.position(next.saturating_sub(1)).character
            };
            if to <= from {
                continue;
            }
            let delta_line = line - last_line;
            let delta_start = if delta_line == 0 { from - last_start } else { from };
            out.push(SemanticToken {
                delta_line,
                delta_start,
                length: to - from,
                token_type: token.kind.index(),
                token_modifiers_bitset: token.modifiers,
            });
            last_line = line;
            last_start = from;
        }
    }
    out
}

/// Edits grouped by file, as a workspace edit.
pub fn workspace_edit(snapshot: &Snapshot, edits: Vec<(Span, String)>) -> lsp::WorkspaceEdit {
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (span, new_text) in edits {
        if let Some(loc) = location(snapshot, span) {
            changes.entry(loc.uri).or_default().push(TextEdit { range: loc.range, new_text });
        }
    }
    lsp::WorkspaceEdit { changes: Some(changes), ..lsp::WorkspaceEdit::default() }
}
