//! Every Writ source the project ships (examples and standard library)
//! checks without a single diagnostic, errors or warnings, so the language,
//! the checker and the documents stay in step.

use std::fs;
use std::path::{Path, PathBuf};

use writ_compiler::Analysis;

/// Collects the `.writ` files under `dir`, recursively, in a stable order.
fn writ_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            writ_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "writ") {
            out.push(path);
        }
    }
}

// Checks every shipped `.writ` file and reports all problems at once.
#[test]
fn shipped_sources_check_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    writ_files(&root.join("examples"), &mut files);
    writ_files(&root.join("stdlib").join("std"), &mut files);
    let mut failures = Vec::new();
    for path in &files {
        let Ok(source) = fs::read_to_string(path) else {
            failures.push(format!("{}: cannot be read as UTF-8", path.display()));
            continue;
        };
        let analysis = Analysis::single(&path.display().to_string(), &source);
        for d in &analysis.diagnostics() {
            let source = analysis.file(d.span.file).map_or("", |f| f.text.as_str());
            let (line, col) = writ_compiler::span::line_col(source, d.span.lo);
            failures.push(format!("{}:{}:{}: {} {}", path.display(), line, col, d.code.as_str(), d.message));
        }
    }
    assert!(failures.is_empty(), "diagnostics in shipped sources:\n{}", failures.join("\n"));
    // Three example contracts and two standard library modules at least.
    assert!(files.len() >= 5, "expected the examples and stdlib sources, found {files:?}");
}
