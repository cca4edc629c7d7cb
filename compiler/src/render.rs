//! Terminal rendering of diagnostics with source snippets (ariadne), and a
//! plain one-line form for logs and snapshots.
//!
//! Invariant: rendering adds no meaning; everything shown comes from the
//! `Diagnostic` value. Spans outside the text are clamped, never trusted.

use ariadne::{CharSet, Config, IndexType, Label, Report, ReportKind, sources};

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::{FileId, line_col};

/// How to draw a report.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub color: bool,
    /// ASCII box drawing, for snapshots and plain terminals.
    pub ascii: bool,
}

/// Renders diagnostics to text. `files` gives each file id its name and
/// source text; diagnostics in unknown files are rendered without a snippet.
pub fn render(diagnostics: &[Diagnostic], files: &[(FileId, &str, &str)], options: RenderOptions) -> String {
    let mut out = Vec::new();
    let cache_sources: Vec<(String, String)> =
        files.iter().map(|(_, name, text)| (name.to_string(), text.to_string())).collect();
    for d in diagnostics {
        let Some((_, name, text)) = files.iter().find(|(id, _, _)| *id == d.span.file) else {
            out.extend_from_slice(plain(d, "<unknown>", "").as_bytes());
            out.push(b'\n');
            continue;
        };
        let clamp = |lo: u32, hi: u32| {
            let len = text.len();
            let lo = (lo as usize).min(len);
            let hi = (hi as usize).clamp(lo, len);
            lo..hi
        };
        let kind = match d.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let name = name.to_string();
        let config = Config::default()
            .with_color(options.color)
            .with_index_type(IndexType::Byte)
            .with_char_set(if options.ascii { CharSet::Ascii } else { CharSet::Unicode });
        let mut report = Report::build(kind, (name.clone(), clamp(d.span.lo, d.span.hi)))
            .with_config(config)
            .with_code(d.code.as_str())
            .with_message(d.code.title())
            .with_label(Label::new((name.clone(), clamp(d.span.lo, d.span.hi))).with_message(&d.message));
        for label in &d.labels {
            let label_name = files
                .iter()
                .find(|(id, _, _)| *id == label.span.file)
                .map_or(name.clone(), |(_, n, _)| n.to_string());
            report = report.with_label(
                Label::new((label_name, clamp(label.span.lo, label.span.hi))).with_message(&label.message),
            );
        }
        for note in &d.notes {
            report = report.with_note(note);
        }
        if let Some(fix) = &d.fix {
            report = report.with_help(&fix.message);
        }
        // Writing into a Vec cannot fail; a failure would only lose output.
        let _ = report.finish().write(sources(cache_sources.clone()), &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `name:line:col: error[E2004]: type mismatch: expected `u64`, found `bool``
pub fn plain(d: &Diagnostic, name: &str, text: &str) -> String {
    let (line, col) = line_col(text, d.span.lo);
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut out =
        format!("{name}:{line}:{col}: {severity}[{}]: {}: {}", d.code.as_str(), d.code.title(), d.message);
    for note in &d.notes {
        out.push_str(&format!("\n  note: {note}"));
    }
    if let Some(fix) = &d.fix {
        out.push_str(&format!("\n  help: {}", fix.message));
    }
    out
}
