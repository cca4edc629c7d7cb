//! `writ.toml`: a package's name, version and dependencies by path.
//!
//! ```toml
//! [package]
//! name = "tax_office"
//! version = "0.1.0"
//!
//! [dependencies]
//! registry = { path = "../registry" }
//! sanctions = { abi = "../vendor/SanctionsList.wasm" }
//! ```
//!
//! A `path` dependency is a package, read from source; an `abi` one is a
//! contract built elsewhere, of which only its artifact is at hand: its
//! interface is read from the artifact's ABI document.
//!
//! Unknown keys are refused (a misspelt `dependencies` would otherwise
//! leave a package silently without them); every error names the line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{PackageError, io_reason, is_module_name};

/// The manifest's file name, at a package's root.
pub const MANIFEST: &str = "writ.toml";

/// A package's manifest, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    /// Each dependency by name.
    pub dependencies: BTreeMap<String, Dependency>,
    /// What `writ deploy` of the package deploys, in order.
    pub deploy: Vec<DeployStep>,
}

/// Where a dependency comes from; paths are relative to the manifest's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dependency {
    /// A package's folder.
    Path(PathBuf),
    /// A built artifact (`.wasm`) whose ABI document gives the interface.
    Abi(PathBuf),
}

/// One contract `writ deploy` deploys: its name and the arguments of its
/// `init` (as `--args` takes them: a list in order or a table by name), in
/// which a string `"@Name"` stands for the address of contract `Name`
/// deployed by an earlier step.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployStep {
    pub contract: String,
    #[serde(default)]
    pub args: Option<toml::Value>,
}

impl DeployStep {
    /// The contracts of earlier steps this one's arguments name.
    pub fn names(&self) -> Vec<String> {
        fn walk(value: &toml::Value, out: &mut Vec<String>) {
            match value {
                toml::Value::String(text) => out.extend(text.strip_prefix('@').map(str::to_string)),
                toml::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
                toml::Value::Table(table) => table.values().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        if let Some(args) = &self.args {
            walk(args, &mut out);
        }
        out
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    package: RawPackage,
    #[serde(default)]
    dependencies: BTreeMap<String, RawDependency>,
    #[serde(default)]
    deploy: Vec<DeployStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackage {
    name: String,
    version: String,
    /// For people; the build does not read it.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDependency {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    abi: Option<String>,
}

impl Manifest {
    /// Reads `dir/writ.toml`.
    pub fn read(dir: &Path) -> Result<Manifest, PackageError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| PackageError::Read { path: path.clone(), reason: io_reason(&e) })?;
        Manifest::parse(&path, &text)
    }

    /// Parses the text of the manifest at `path` (named in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Manifest, PackageError> {
        let raw: Raw = toml::from_str(text).map_err(|error| {
            let (line, column) = error.span().map_or((1, 1), |span| line_column(text, span.start));
            PackageError::Manifest {
                path: path.to_path_buf(),
                line,
                column,
                message: error.message().trim_end().to_string(),
            }
        })?;
        let name = raw.package.name;
        if !is_module_name(&name) {
            return Err(PackageError::BadName { path: path.to_path_buf(), name });
        }
        let version = raw.package.version.trim().to_string();
        if version.is_empty() {
            let (line, column) = find(text, "version");
            let message = "the version must not be empty".to_string();
            return Err(PackageError::Manifest { path: path.to_path_buf(), line, column, message });
        }
        let mut dependencies = BTreeMap::new();
        for (dependency, raw) in raw.dependencies {
            if !is_module_name(&dependency) {
                return Err(PackageError::BadName { path: path.to_path_buf(), name: dependency });
            }
            if dependency == name {
                let (line, column) = find(text, &dependency);
                let message = format!("the package `{name}` cannot depend on itself");
                return Err(PackageError::Manifest { path: path.to_path_buf(), line, column, message });
            }
            let source = match (raw.path, raw.abi) {
                (Some(folder), None) => Dependency::Path(PathBuf::from(folder)),
                (None, Some(artifact)) => Dependency::Abi(PathBuf::from(artifact)),
                (both, _) => {
                    let (line, column) = find(text, &dependency);
                    let message = if both.is_some() {
                        format!("the dependency `{dependency}` has both a `path` and an `abi`: give one")
                    } else {
                        format!(
                            "the dependency `{dependency}` needs a `path` (a package's folder) or an `abi` (a built `.wasm`)"
                        )
                    };
                    return Err(PackageError::Manifest { path: path.to_path_buf(), line, column, message });
                }
            };
            dependencies.insert(dependency, source);
        }
        // Each step may name only contracts deployed before it.
        let mut deployed: Vec<&str> = Vec::new();
        for step in &raw.deploy {
            for named in step.names() {
                if !deployed.contains(&named.as_str()) {
                    let (line, column) = find(text, "contract");
                    let message = format!(
                        "the deployment of `{}` names `@{named}`, which no earlier [[deploy]] step deploys",
                        step.contract
                    );
                    return Err(PackageError::Manifest { path: path.to_path_buf(), line, column, message });
                }
            }
            deployed.push(&step.contract);
        }
        Ok(Manifest { name, version, dependencies, deploy: raw.deploy })
    }
}

/// The 1-based line and column of byte `at` in `text`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at.min(text.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where the key `word` is first set in `text` (a line starting with it,
/// then `=` or a space), for an error about it.
fn find(text: &str, word: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(n, line)| {
            let rest = line.trim_start().strip_prefix(word)?;
            let column = line.len() - line.trim_start().len() + 1;
            (rest.starts_with('=') || rest.starts_with(' ')).then_some((n + 1, column))
        })
        .unwrap_or((1, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, PackageError> {
        Manifest::parse(Path::new("writ.toml"), text)
    }

    #[test]
    fn a_manifest_reads_name_version_and_dependencies() {
        let manifest = parse(
            "[package]\nname = \"tax_office\"\nversion = \"1.2.0\"\n\n[dependencies]\nregistry = { path = \"../registry\" }\n",
        );
        let mut dependencies = BTreeMap::new();
        dependencies.insert("registry".to_string(), Dependency::Path(PathBuf::from("../registry")));
        assert_eq!(
            manifest,
            Ok(Manifest {
                name: "tax_office".into(),
                version: "1.2.0".into(),
                dependencies,
                deploy: Vec::new()
            })
        );
        let planned = parse(
            "[package]\nname = \"a\"\nversion = \"1\"\n[[deploy]]\ncontract = \"Registry\"\n[[deploy]]\ncontract = \"Office\"\nargs = [\"60000.00\", \"@Registry\"]\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let contracts: Vec<&str> = planned.deploy.iter().map(|s| s.contract.as_str()).collect();
        assert_eq!(contracts, ["Registry", "Office"]);
        assert_eq!(planned.deploy[1].names(), ["Registry"]);
        let early = parse(
            "[package]\nname = \"a\"\nversion = \"1\"\n[[deploy]]\ncontract = \"Office\"\nargs = { registry = \"@Registry\" }\n[[deploy]]\ncontract = \"Registry\"\n",
        );
        let Err(PackageError::Manifest { message, .. }) = early else { panic!("{early:?}") };
        assert!(message.contains("no earlier [[deploy]] step"), "{message}");
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        let misspelt =
            parse("[package]\nname = \"a\"\nversion = \"1\"\n[dependencys]\nb = { path = \"b\" }\n");
        let Err(PackageError::Manifest { line, message, .. }) = misspelt else { panic!("{misspelt:?}") };
        assert_eq!(line, 4, "{message}");
        assert!(message.contains("dependencys"), "{message}");
        let syntax = parse("[package]\nname = \"a\nversion = \"1\"\n");
        assert!(matches!(syntax, Err(PackageError::Manifest { line: 2, .. })), "{syntax:?}");
        let no_version = parse("[package]\nname = \"a\"\n");
        assert!(matches!(no_version, Err(PackageError::Manifest { .. })), "{no_version:?}");
        assert!(matches!(
            parse("[package]\nname = \"Tax Office\"\nversion = \"1\"\n"),
            Err(PackageError::BadName { .. })
        ));
        assert!(matches!(
            parse("[package]\nname = \"contract\"\nversion = \"1\"\n"),
            Err(PackageError::BadName { .. })
        ));
        let itself =
            parse("[package]\nname = \"a\"\nversion = \"1\"\n[dependencies]\na = { path = \".\" }\n");
        assert!(matches!(itself, Err(PackageError::Manifest { line: 5, .. })), "{itself:?}");
        let both = parse(
            "[package]\nname = \"a\"\nversion = \"1\"\n[dependencies]\nb = { path = \"b\", abi = \"b.wasm\" }\n",
        );
        let Err(PackageError::Manifest { line: 5, message, .. }) = both else { panic!("{both:?}") };
        assert!(message.contains("both a `path` and an `abi`"), "{message}");
        let neither = parse("[package]\nname = \"a\"\nversion = \"1\"\n[dependencies]\nb = {}\n");
        let Err(PackageError::Manifest { line: 5, message, .. }) = neither else { panic!("{neither:?}") };
        assert!(message.contains("needs a `path`"), "{message}");
    }

    #[test]
    fn an_abi_dependency_names_an_artifact() {
        let manifest = parse(
            "[package]\nname = \"a\"\nversion = \"1\"\n[dependencies]\nsanctions = { abi = \"vendor/Sanctions.wasm\" }\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            manifest.dependencies.get("sanctions"),
            Some(&Dependency::Abi(PathBuf::from("vendor/Sanctions.wasm")))
        );
    }
}
