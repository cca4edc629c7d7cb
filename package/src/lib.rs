//! Writ packages: a folder with a `writ.toml` manifest (name, version and
//! dependencies by path), its modules in `src/` and its tests in `tests/`.
//! This crate reads a package and every package it depends on into the
//! files and scopes `Analysis::packaged` checks together, and makes a new
//! package (`writ new`).
//!
//! Module paths follow the files: `src/people.writ` of package `registry`
//! is `registry::people`, `src/people/records.writ` is
//! `registry::people::records`, and `tests/flows.writ` is
//! `registry::tests::flows`. A package's files import from it as
//! `crate::…`, from a dependency as `name::…`.
//!
//! Invariant: loading is a function of the files on disk; the order of
//! packages and files is sorted and stable, and every way a package graph
//! can be wrong (a missing or circular dependency, two packages or two
//! modules of one name, a malformed manifest) is an error that names the
//! file, never a panic.

mod load;
mod manifest;
mod scaffold;

pub use load::{Loaded, LoadedFile, Package, find_root, load};
pub use manifest::{Dependency, DeployStep, MANIFEST, Manifest};
pub use scaffold::scaffold;

use std::path::PathBuf;

/// Why a package could not be loaded or made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    #[error("cannot read `{path}`: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path}:{line}:{column}: {message}")]
    Manifest { path: PathBuf, line: usize, column: usize, message: String },
    #[error(
        "{path}: `{name}` is not a package name: use lowercase letters, digits and `_`, starting with a letter"
    )]
    BadName { path: PathBuf, name: String },
    #[error("{path}: the dependency `{name}` at `{dependency}` has no writ.toml")]
    MissingDependency { path: PathBuf, name: String, dependency: PathBuf },
    #[error("{path}: the dependency `{name}` at `{dependency}` is the package `{found}`")]
    MisnamedDependency { path: PathBuf, name: String, dependency: PathBuf, found: String },
    #[error("{path}: the dependency `{name}` at `{artifact}`: {reason}")]
    BadArtifact { path: PathBuf, name: String, artifact: PathBuf, reason: String },
    #[error("circular dependencies: {}", chain.join(" -> "))]
    Cycle { chain: Vec<String> },
    #[error("two packages are named `{name}`: `{first}` and `{second}`")]
    DuplicatePackage { name: String, first: PathBuf, second: PathBuf },
    #[error(
        "`{file}`: `{segment}` cannot name a module: use lowercase letters, digits and `_`, starting with a letter"
    )]
    BadModuleName { file: PathBuf, segment: String },
    #[error("two files make the module `{module}`: `{first}` and `{second}`")]
    DuplicateModule { module: String, first: PathBuf, second: PathBuf },
    #[error("`{path}` already exists")]
    Exists { path: PathBuf },
    #[error("cannot write `{path}`: {reason}")]
    Write { path: PathBuf, reason: String },
}

/// Whether `name` may name a package or a module: lowercase ASCII letters,
/// digits and `_`, starting with a letter, and not a word the language
/// gives a meaning of its own in a path.
pub fn is_module_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !matches!(name, "crate" | "std" | "self" | "super" | "tests")
        && !writ_compiler::lexer::is_keyword(name)
}

/// The OS error without its code number, which differs between systems.
fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}
