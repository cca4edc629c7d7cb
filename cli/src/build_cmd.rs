//! `writ build` (source to artifacts) and `writ abi` (an artifact's ABI).
//!
//! Invariant: artifacts are written whole (beside the target, then
//! renamed), and nothing is written unless every file checked and compiled.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use writ_compiler::Analysis;
use writ_compiler::codegen::build_file;
use writ_compiler::render::{RenderOptions, render};

/// Loads and checks the files for a command that runs the back end:
/// diagnostics are printed; `Err(exit code)` when there are errors.
pub fn load_checked(paths: &[PathBuf], color: bool, what: &str) -> Result<Analysis, u8> {
    let loaded = match crate::files::load(paths) {
        Ok(loaded) => loaded,
        Err(message) => {
            errln!("error: {message}");
            return Err(2);
        }
    };
    for (name, diagnostic) in &loaded.undecodable {
        errln!("{}", writ_compiler::render::plain(diagnostic, name, ""));
    }
    let analysis = Analysis::new(loaded.sources);
    let diagnostics = analysis.diagnostics();
    if !diagnostics.is_empty() {
        errout!("{}", render(&diagnostics, &analysis.sources(), RenderOptions { color, ascii: false }));
    }
    if !loaded.undecodable.is_empty() || diagnostics.iter().any(|d| d.is_error()) {
        errln!("error: {what}, because of the errors above");
        return Err(1);
    }
    Ok(analysis)
}

pub fn build(paths: &[PathBuf], out: &Path, color: bool) -> u8 {
    let analysis = match load_checked(paths, color, "not built") {
        Ok(analysis) => analysis,
        Err(code) => return code,
    };
    let options = RenderOptions { color, ascii: false };
    let mut artifacts = Vec::new();
    let mut failed = Vec::new();
    for file in analysis.files().iter().filter(|f| !f.is_library) {
        let output = build_file(&analysis, file.id);
        artifacts.extend(output.artifacts);
        failed.extend(output.diagnostics);
    }
    if !failed.is_empty() {
        errout!("{}", render(&failed, &analysis.sources(), options));
        errln!("error: not built, because of the errors above");
        return 1;
    }
    if let Err(e) = std::fs::create_dir_all(out) {
        errln!("error: cannot create `{}`: {}", out.display(), crate::files::io_reason(&e));
        return 2;
    }
    for artifact in &artifacts {
        let path = out.join(format!("{}.wasm", artifact.contract));
        if let Err(message) = write_atomically(&path, &artifact.wasm) {
            errln!("error: {message}");
            return 2;
        }
        errln!(
            "built {} -> {} ({} bytes, code hash {})",
            artifact.contract,
            path.display(),
            artifact.wasm.len(),
            artifact.code_hash()
        );
    }
    errln!("built {} contract{}", artifacts.len(), if artifacts.len() == 1 { "" } else { "s" });
    0
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let temporary = path.with_extension("wasm.tmp");
    std::fs::write(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path)).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        format!("cannot write `{}`: {}", path.display(), crate::files::io_reason(&e))
    })
}

pub fn abi(file: &Path) -> u8 {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            errln!("error: cannot read `{}`: {}", file.display(), crate::files::io_reason(&e));
            return 2;
        }
    };
    match writ_abi::document::read_from_module(&bytes) {
        Ok(abi) => {
            let text = serde_json::to_string_pretty(&abi).unwrap_or_default();
            let _ = writeln!(std::io::stdout().lock(), "{text}");
            0
        }
        Err(e) => {
            errln!("error: `{}`: {e}", file.display());
            1
        }
    }
}
