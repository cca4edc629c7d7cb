//! Finding and reading `.writ` files named on the command line.
//!
//! Invariant: the order of files is sorted and stable, so diagnostics and
//! outputs are the same on every run and machine.

use std::path::{Path, PathBuf};

use writ_compiler::{Diagnostic, FileId};

/// The files read: decodable ones as `(name, text)`, and those that are not
/// UTF-8 with the diagnostic saying where.
pub struct Loaded {
    pub sources: Vec<(String, String)>,
    pub undecodable: Vec<(String, Diagnostic)>,
}

/// Collects `.writ` files from the given paths (the current folder if
/// none). A missing path is a usage error.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let default = [PathBuf::from(".")];
    let roots = if paths.is_empty() { &default[..] } else { paths };
    let mut out = Vec::new();
    for root in roots {
        let meta = std::fs::metadata(root)
            .map_err(|e| format!("cannot read `{}`: {}", root.display(), io_reason(&e)))?;
        if meta.is_dir() {
            walk(root, &mut out)?;
        } else {
            out.push(root.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list `{}`: {}", dir.display(), io_reason(&e)))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let hidden = name.to_string_lossy().starts_with('.') || name == "target";
        if path.is_dir() {
            if !hidden {
                walk(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "writ") {
            out.push(path);
        }
    }
    Ok(())
}

pub fn load(paths: &[PathBuf]) -> Result<Loaded, String> {
    let mut loaded = Loaded { sources: Vec::new(), undecodable: Vec::new() };
    for path in collect(paths)? {
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("cannot read `{}`: {}", path.display(), io_reason(&e)))?;
        let name = path.display().to_string();
        match writ_compiler::analysis::decode_source(FileId(u32::MAX), bytes) {
            Ok(text) => loaded.sources.push((name, text)),
            Err(diagnostic) => loaded.undecodable.push((name, diagnostic)),
        }
    }
    Ok(loaded)
}

/// The OS error without its code number, which differs between systems.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}
