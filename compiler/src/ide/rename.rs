//! Rename: every mention of the definition under the cursor, refused when
//! the new name is not an identifier, is a keyword, or would change what
//! the program means (checked by analysing the renamed files and refusing
//! if any new error appears, which catches clashes in the same scope).

use std::collections::HashMap;
use std::fmt;

use crate::analysis::Analysis;
use crate::lexer::{Tok, lex};
use crate::span::{FileId, Span};
use crate::types::Def;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenameError {
    /// The cursor is not on a name.
    NoName,
    /// The definition lives in the standard library.
    Library(String),
    /// `Admin` is built into every contract.
    BuiltinRole,
    NotIdentifier(String),
    Keyword(String),
    /// The renamed program has an error the original did not.
    Breaks {
        name: String,
        message: String,
    },
}

impl fmt::Display for RenameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenameError::NoName => write!(f, "there is no name to rename here"),
            RenameError::Library(module) => {
                write!(f, "`{module}` is part of the standard library and cannot be renamed")
            }
            RenameError::BuiltinRole => write!(f, "the role `Admin` is built into every contract"),
            RenameError::NotIdentifier(name) => write!(
                f,
                "`{name}` is not a valid name: use an ASCII letter or `_` followed by letters, digits and `_`"
            ),
            RenameError::Keyword(name) => write!(f, "`{name}` is a keyword and cannot be used as a name"),
            RenameError::Breaks { name, message } => {
                write!(f, "renaming to `{name}` would break the program: {message}")
            }
        }
    }
}

/// The span of the name that would be renamed at `offset`.
pub fn prepare_rename(analysis: &Analysis, file: FileId, offset: u32) -> Result<Span, RenameError> {
    let reference = analysis.reference_at(file, offset).ok_or(RenameError::NoName)?;
    renamable(analysis, reference.def)?;
    Ok(reference.span)
}

fn renamable(analysis: &Analysis, def: Def) -> Result<(), RenameError> {
    if let Def::Role(_, 0) = def {
        return Err(RenameError::BuiltinRole);
    }
    let declared = analysis.declaration_of(def).and_then(|span| analysis.file(span.file));
    match declared {
        Some(file) if file.is_library => Err(RenameError::Library(file.module.clone())),
        _ => Ok(()),
    }
}

/// Checks that `name` is one identifier token and not a keyword.
pub fn validate_name(name: &str) -> Result<(), RenameError> {
    let lexed = lex(FileId(0), name);
    match lexed.tokens.as_slice() {
        // `from` is a keyword only after `deploy C(args)`; elsewhere it is a name.
        [(0, Tok::From, _)] => Ok(()),
        [(0, Tok::Ident(ident), hi)] if ident == name && *hi as usize == name.len() => {
            if name == "_" {
                Err(RenameError::NotIdentifier(name.to_string()))
            } else {
                Ok(())
            }
        }
        [(0, tok, hi)]
            if *hi as usize == name.len() && tok.text() == name && lexed.diagnostics.is_empty() =>
        {
            Err(RenameError::Keyword(name.to_string()))
        }
        _ => Err(RenameError::NotIdentifier(name.to_string())),
    }
}

/// The spans to replace with `new_name`, across files.
pub fn rename(
    analysis: &Analysis,
    file: FileId,
    offset: u32,
    new_name: &str,
) -> Result<Vec<Span>, RenameError> {
    validate_name(new_name)?;
    let reference = analysis.reference_at(file, offset).ok_or(RenameError::NoName)?;
    renamable(analysis, reference.def)?;
    let spans = analysis.references_at(file, offset);
    let renamed = apply(analysis, &spans, new_name);
    let before = error_counts(analysis);
    // Checked as the same package, so `use crate::…` still resolves.
    let renamed_analysis = analysis.with_texts(renamed);
    let after = error_counts(&renamed_analysis);
    let new_error = renamed_analysis
        .diagnostics()
        .into_iter()
        .filter(|d| d.is_error())
        .find(|d| after.get(&d.code).copied().unwrap_or(0) > before.get(&d.code).copied().unwrap_or(0));
    if let Some(d) = new_error {
        return Err(RenameError::Breaks { name: new_name.to_string(), message: d.message });
    }
    Ok(spans)
}

fn error_counts(analysis: &Analysis) -> HashMap<crate::Code, usize> {
    let mut counts = HashMap::new();
    for d in analysis.diagnostics().iter().filter(|d| d.is_error()) {
        *counts.entry(d.code).or_insert(0) += 1;
    }
    counts
}

/// The user files' texts with every span replaced by `new_name`.
fn apply(analysis: &Analysis, spans: &[Span], new_name: &str) -> Vec<String> {
    analysis
        .files()
        .filter(|f| !f.is_library)
        .map(|f| {
            let mut text = f.text.clone();
            let mut here: Vec<&Span> = spans.iter().filter(|s| s.file == f.id).collect();
            here.sort_by_key(|s| std::cmp::Reverse(s.lo));
            for span in here {
                if text.get(span.range()).is_some() {
                    text.replace_range(span.range(), new_name);
                }
            }
            text
        })
        .collect()
}
