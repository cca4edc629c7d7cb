//! Proofs in the editor: the "▶ prove" code lens runs `writ prove`'s work
//! (`writ_runner::prove`) on an open document as the editor holds it, and
//! each verdict becomes a diagnostic on the invariant's name or the spec
//! clause it is about, kept for exactly that text of the document.
//!
//! Invariant: a proof is never shown against text it was not made for:
//! the marks are dropped as soon as the document changes. Proving runs on
//! a thread of its own (the solver may take seconds), never on the async
//! runtime, and a missing Z3 is a message, not a failure of the server.

use std::sync::Arc;

use tower_lsp_server::ls_types::{Diagnostic, DiagnosticSeverity, NumberOrString};
use writ_compiler::FileId;
use writ_compiler::span::Span;
use writ_runner::prove::{InvariantResult, ProveOptions, ProveVerdict, prove_document};

use crate::line_index::LineIndex;
use crate::state::Snapshot;

/// The command behind the "prove" code lens: `[uri]`.
pub const PROVE_COMMAND: &str = "writ.prove";

/// One verdict, placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofMark {
    pub span: Span,
    pub verdict: ProveVerdict,
    pub message: String,
}

/// The proofs of one document, for the text they were made for.
#[derive(Debug, Clone)]
pub struct Proofs {
    pub text: String,
    pub marks: Vec<ProofMark>,
}

/// What proving a document gave.
pub enum ProveRun {
    /// Not run: the reason, for the user.
    Refused(String),
    Ran {
        proofs: Proofs,
        summary: String,
        counterexamples: usize,
    },
}

/// Proves every invariant and spec of `file` on a thread of its own.
pub async fn prove(snapshot: Arc<Snapshot>, file: FileId) -> ProveRun {
    if snapshot.analysis.diagnostics_for(file).iter().any(|d| d.is_error()) {
        return ProveRun::Refused("Cannot prove this file: it has errors; fix them first.".into());
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let worker = std::thread::Builder::new().stack_size(256 * 1024 * 1024).spawn(move || {
        let run = crate::server::guard(|| prove_now(&snapshot, file));
        let _ = tx.send(run.unwrap_or_else(|| {
            ProveRun::Refused("Proving failed inside the server; please report it.".into())
        }));
    });
    if worker.is_err() {
        return ProveRun::Refused("Cannot start a thread to prove the file.".into());
    }
    rx.await.unwrap_or_else(|_| ProveRun::Refused("The proof stopped unexpectedly.".into()))
}

fn prove_now(snapshot: &Snapshot, file: FileId) -> ProveRun {
    let results = match prove_document(&snapshot.analysis, file, ProveOptions::default()) {
        Ok(results) => results,
        Err(why) => return ProveRun::Refused(format!("Cannot prove: {why}")),
    };
    let text = snapshot.analysis.file(file).map_or_else(String::new, |f| f.text.clone());
    let count = |verdict| results.iter().filter(|r| r.verdict == verdict).count();
    let counterexamples = count(ProveVerdict::Counterexample);
    let summary = format!(
        "writ prove: {counterexamples} counterexample, {} proved, {} bounded, {} unknown, {} vacuous",
        count(ProveVerdict::Proved),
        count(ProveVerdict::Bounded),
        count(ProveVerdict::Unknown),
        count(ProveVerdict::Vacuous),
    );
    let marks = results.iter().map(mark).collect();
    ProveRun::Ran { proofs: Proofs { text, marks }, summary, counterexamples }
}

fn mark(result: &InvariantResult) -> ProofMark {
    let what = match &result.spec {
        Some(function) => format!("spec of `{function}`: `{}`", result.invariant),
        None => format!("invariant \"{}\"", result.invariant),
    };
    let mut message = format!("{}: {what}: {}", result.verdict.name(), result.detail);
    if let Some(test) = &result.test {
        message.push_str("\n\n");
        message.push_str(test);
    }
    ProofMark { span: result.span, verdict: result.verdict, message }
}

/// The marks as diagnostics: a counterexample is an error, what was not
/// shown either way a warning, a proof information.
pub fn diagnostics(proofs: &Proofs, index: &LineIndex) -> Vec<Diagnostic> {
    proofs
        .marks
        .iter()
        .map(|m| Diagnostic {
            range: index.range(m.span.lo, m.span.hi),
            severity: Some(match m.verdict {
                ProveVerdict::Counterexample => DiagnosticSeverity::ERROR,
                ProveVerdict::Proved => DiagnosticSeverity::INFORMATION,
                _ => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(m.verdict.name().into())),
            source: Some("writ prove".into()),
            message: m.message.clone(),
            ..Diagnostic::default()
        })
        .collect()
}
