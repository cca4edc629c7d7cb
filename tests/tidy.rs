//! House rules checked mechanically over the repository: every Rust file
//! says what it is for in a `//!` first line, no debugging leftovers
//! (`dbg!`, `todo!`, `unimplemented!`), and ARCHITECTURE.md names every
//! top-level folder.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

// Every Rust source file opens with a `//!` comment saying what it does.
#[test]
fn every_rust_file_starts_with_a_module_comment() {
    let mut files = Vec::new();
    rust_files(&repo(), &mut files);
    assert!(files.len() > 20, "found only {} Rust files", files.len());
    let missing: Vec<String> = files
        .iter()
        .filter(|p| !std::fs::read_to_string(p).unwrap_or_default().starts_with("//!"))
        .map(|p| p.display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a leading `//!` line: {missing:#?}");
}

// No debugging or placeholder macros are left in the code.
#[test]
fn no_debugging_leftovers() {
    let mut files = Vec::new();
    rust_files(&repo(), &mut files);
    let banned = [concat!("dbg", "!("), concat!("todo", "!("), concat!("unimplemented", "!(")];
    let mut hits = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if banned.iter().any(|b| line.contains(b)) {
                hits.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(hits.is_empty(), "{hits:#?}");
}

// ARCHITECTURE.md mentions every top-level folder of the repository.
#[test]
fn architecture_names_every_folder() {
    let text = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap_or_default();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(repo()).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let described = text.contains(&format!("`{name}/`"));
        if entry.path().is_dir() && !name.starts_with('.') && name != "target" && !described {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "folders not described in ARCHITECTURE.md: {missing:?}");
}
