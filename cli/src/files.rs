//! Finding and reading `.writ` files named on the command line, or the
//! package (a folder with `writ.toml`) one names, with its dependencies.
//!
//! Invariant: the order of files is sorted and stable, so diagnostics and
//! outputs are the same on every run and machine.

use std::path::{Path, PathBuf};

use writ_compiler::analysis::PackageFile;
use writ_compiler::check::PackageScope;
use writ_compiler::{Analysis, Diagnostic, FileId};

/// The files read: decodable ones as `(name, text)`, and those that are not
/// UTF-8 with the diagnostic saying where.
pub struct Loaded {
    /// The files to act on (for a package, its own, not its dependencies').
    pub sources: Vec<(String, String)>,
    pub undecodable: Vec<(String, Diagnostic)>,
    /// When the paths named a package: its packages and every file of
    /// them, with their module paths.
    pub packaged: Option<(Vec<PackageScope>, Vec<PackageFile>)>,
}

impl Loaded {
    /// The analysis of what was read: the package with its dependencies,
    /// or the files on their own.
    pub fn analysis(&self) -> Analysis {
        match &self.packaged {
            Some((scopes, files)) => Analysis::packaged(scopes.clone(), files.clone()),
            None => Analysis::new(self.sources.clone()),
        }
    }
}

/// The package folder `path` names: a folder holding `writ.toml`, or the
/// manifest itself.
fn package_dir(path: &Path) -> Option<PathBuf> {
    if path.is_dir() && path.join(writ_package::MANIFEST).is_file() {
        return Some(path.to_path_buf());
    }
    if path.file_name().is_some_and(|n| n == writ_package::MANIFEST) && path.is_file() {
        return path
            .parent()
            .map(|p| if p.as_os_str().is_empty() { PathBuf::from(".") } else { p.to_path_buf() });
    }
    None
}

/// Reads the package in `dir` and its dependencies.
fn load_package(dir: &Path) -> Result<Loaded, String> {
    let package = writ_package::load(dir).map_err(|e| e.to_string())?;
    let mut loaded = Loaded { sources: Vec::new(), undecodable: Vec::new(), packaged: None };
    let files = package.package_files(|file| {
        let name = file.path.display().to_string();
        match writ_compiler::analysis::decode_source(FileId(u32::MAX), file.bytes.clone()) {
            Ok(text) => {
                if file.package == 0 {
                    loaded.sources.push((name, text.clone()));
                }
                Some(text)
            }
            Err(diagnostic) => {
                loaded.undecodable.push((name, diagnostic));
                None
            }
        }
    });
    loaded.packaged = Some((package.scopes(), files));
    Ok(loaded)
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

/// Reads the files `paths` name; a single path naming a package (the
/// current folder when none is given and it holds `writ.toml`) reads the
/// package and its dependencies.
/// Whether `file` (of the analysis) is one the command was asked about:
/// with a single `.writ` file named inside a package (which is checked
/// whole), that file only; otherwise every file of the analysis's own.
pub fn asked_for(paths: &[PathBuf], file: &writ_compiler::analysis::FileData) -> bool {
    match paths {
        [one] if one.is_file() && one.extension().is_some_and(|e| e == "writ") && file.package.is_some() => {
            std::fs::canonicalize(one).is_ok_and(|path| path.display().to_string() == file.name)
        }
        _ => true,
    }
}

/// The files `writ fmt` formats: for a package, its own modules and tests
/// (never a dependency's, even one kept inside its folder); else every
/// `.writ` file the paths name.
pub fn to_format(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    if let [one] = paths
        && let Some(dir) = package_dir(one)
    {
        let package = writ_package::load(&dir).map_err(|e| e.to_string())?;
        return Ok(package.files.into_iter().filter(|f| f.package == 0).map(|f| f.path).collect());
    }
    collect(paths)
}

pub fn load(paths: &[PathBuf]) -> Result<Loaded, String> {
    let here = [PathBuf::from(".")];
    let single = match paths {
        [] => here.first(),
        [one] => Some(one),
        _ => None,
    };
    if let Some(dir) = single.and_then(|path| package_dir(path).or_else(|| writ_package::find_root(path))) {
        return load_package(&dir);
    }
    let mut loaded = Loaded { sources: Vec::new(), undecodable: Vec::new(), packaged: None };
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
