//! `writ fmt`: rewrite files in the canonical layout, or (with `--check`)
//! report the files that are not in it.
//!
//! Invariant: a file is only rewritten when it parsed cleanly, and it is
//! replaced atomically (written beside it, then renamed), so an
//! interrupted run never leaves a half-written source file.

use std::path::{Path, PathBuf};

use writ_compiler::FileId;
use writ_compiler::render::{RenderOptions, render};

pub fn run(paths: &[PathBuf], check: bool, color: bool) -> u8 {
    let files = match crate::files::to_format(paths) {
        Ok(files) => files,
        Err(message) => {
            errln!("error: {message}");
            return 2;
        }
    };
    let mut failed = 0usize;
    let mut changed = 0usize;
    for path in &files {
        match format_file(path, check, color) {
            Ok(true) => changed += 1,
            Ok(false) => {}
            Err(message) => {
                errout!("{message}");
                failed += 1;
            }
        }
    }
    // Files that could not be read, decoded or parsed are neither
    // formatted nor unchanged: the summary counts them apart.
    let not_done =
        if failed > 0 { format!(", {failed} not formatted because of errors") } else { String::new() };
    if check {
        if changed > 0 || failed > 0 {
            errln!("{changed} of {} file{} not formatted{not_done}", files.len(), plural(files.len()));
        }
        u8::from(failed > 0 || changed > 0)
    } else {
        let done = files.len() - failed;
        errln!("formatted {done} file{} ({changed} changed){not_done}", plural(done));
        u8::from(failed > 0)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Formats one file; returns whether it was (or, when checking, would be) changed.
fn format_file(path: &Path, check: bool, color: bool) -> Result<bool, String> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| format!("error: cannot read `{name}`: {}\n", crate::files::io_reason(&e)))?;
    let text = writ_compiler::analysis::decode_source(FileId(0), bytes)
        .map_err(|d| format!("{}\n", writ_compiler::render::plain(&d, &name, "")))?;
    let formatted = writ_compiler::format::format_source(FileId(0), &text).map_err(|diagnostics| {
        let report = render(
            &diagnostics,
            &[(FileId(0), name.as_str(), text.as_str())],
            RenderOptions { color, ascii: false },
        );
        format!("{report}error: `{name}` has syntax errors and was left unchanged\n")
    })?;
    if formatted == text {
        return Ok(false);
    }
    if check {
        errln!("not formatted: {name}");
        return Ok(true);
    }
    let temporary = path.with_extension("writ.fmt-tmp");
    std::fs::write(&temporary, formatted.as_bytes())
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            format!("error: cannot write `{name}`: {}\n", crate::files::io_reason(&e))
        })?;
    Ok(true)
}
