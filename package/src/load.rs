//! Reading a package and the packages it depends on, transitively.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use writ_compiler::analysis::PackageFile;
use writ_compiler::check::PackageScope;

use crate::manifest::{Dependency, MANIFEST, Manifest};
use crate::{PackageError, io_reason, is_module_name};

/// One package of a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// Its folder, as found (canonical); for an `abi` dependency, its
    /// artifact.
    pub root: PathBuf,
    /// The names of the packages it depends on, sorted.
    pub dependencies: Vec<String>,
}

/// One source file of a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedFile {
    /// Its path, for messages.
    pub path: PathBuf,
    /// Its module path: `registry::people`, `registry::tests::flows`.
    pub module: String,
    /// Its package, an index into `Loaded::packages`.
    pub package: usize,
    pub bytes: Vec<u8>,
    /// The artifact at `path` the interface in `bytes` was written from
    /// (an `abi` dependency's), which a test may deploy.
    pub artifact: Option<std::sync::Arc<[u8]>>,
}

/// A package and every package it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The package asked for first, then its dependencies as first met.
    pub packages: Vec<Package>,
    /// Every package's files, by package, each package's in module order.
    /// Only the first package's tests are read.
    pub files: Vec<LoadedFile>,
}

impl Loaded {
    /// Adds the packages of `other` not already here (the same folder),
    /// so several packages are checked as one set, as an editor with
    /// documents of several packages open needs. Refused, changing
    /// nothing, when `other` holds a package of a name already here from
    /// another folder: module paths start with package names, so two
    /// packages of one name cannot be checked together.
    pub fn merge(&mut self, other: Loaded) -> Result<(), PackageError> {
        let mut index = Vec::with_capacity(other.packages.len());
        let mut added = Vec::new();
        for package in &other.packages {
            match self.packages.iter().position(|p| p.name == package.name) {
                Some(found) if self.packages[found].root == package.root => index.push(found),
                Some(found) => {
                    return Err(PackageError::DuplicatePackage {
                        name: package.name.clone(),
                        first: self.packages[found].root.clone(),
                        second: package.root.clone(),
                    });
                }
                None => {
                    index.push(self.packages.len() + added.len());
                    added.push(package.clone());
                }
            }
        }
        self.packages.extend(added);
        // A package already here as a dependency lacks its tests, which a
        // load of it as a root has: every file not here yet is added.
        for mut file in other.files {
            let Some(&to) = index.get(file.package) else { continue };
            if !self.files.iter().any(|f| f.path == file.path) {
                file.package = to;
                self.files.push(file);
            }
        }
        Ok(())
    }

    /// The packages as the checker scopes them.
    pub fn scopes(&self) -> Vec<PackageScope> {
        self.packages
            .iter()
            .map(|p| PackageScope {
                name: p.name.clone(),
                version: p.version.clone(),
                dependencies: p.dependencies.clone(),
            })
            .collect()
    }

    /// The files for `Analysis::packaged`, with `decode` turning each
    /// file's bytes into text (or `None`, for the caller to report).
    pub fn package_files(&self, mut decode: impl FnMut(&LoadedFile) -> Option<String>) -> Vec<PackageFile> {
        self.files
            .iter()
            .filter_map(|file| {
                let text = decode(file)?;
                Some(PackageFile {
                    name: file.path.display().to_string(),
                    module: file.module.clone(),
                    package: file.package,
                    text,
                    artifact: file.artifact.clone(),
                })
            })
            .collect()
    }
}

/// The folder of the package `path` is in: the nearest folder, from `path`
/// up, that holds a `writ.toml`.
pub fn find_root(path: &Path) -> Option<PathBuf> {
    let start = if path.is_dir() { path } else { path.parent()? };
    start.ancestors().find(|dir| dir.join(MANIFEST).is_file()).map(Path::to_path_buf)
}

/// Reads the package in `dir` and every package it depends on.
pub fn load(dir: &Path) -> Result<Loaded, PackageError> {
    let mut loader =
        Loader { loaded: Loaded { packages: Vec::new(), files: Vec::new() }, at: BTreeMap::new() };
    loader.visit(dir, &mut Vec::new())?;
    Ok(loader.loaded)
}

struct Loader {
    loaded: Loaded,
    /// Packages read so far: canonical folder to index.
    at: BTreeMap<PathBuf, usize>,
}

impl Loader {
    /// Reads the package in `dir` (once) and its dependencies; its index.
    /// `chain` holds the packages being read, outermost first.
    fn visit(&mut self, dir: &Path, chain: &mut Vec<String>) -> Result<usize, PackageError> {
        let root = std::fs::canonicalize(dir)
            .map_err(|e| PackageError::Read { path: dir.to_path_buf(), reason: io_reason(&e) })?;
        let manifest = Manifest::read(&root)?;
        if let Some(start) = chain.iter().position(|name| *name == manifest.name) {
            let mut cycle = chain.get(start..).unwrap_or_default().to_vec();
            cycle.push(manifest.name);
            return Err(PackageError::Cycle { chain: cycle });
        }
        if let Some(index) = self.at.get(&root) {
            return Ok(*index);
        }
        if let Some(other) = self.loaded.packages.iter().find(|p| p.name == manifest.name) {
            return Err(PackageError::DuplicatePackage {
                name: manifest.name,
                first: other.root.clone(),
                second: root,
            });
        }
        let index = self.loaded.packages.len();
        self.at.insert(root.clone(), index);
        self.loaded.packages.push(Package {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            root: root.clone(),
            dependencies: manifest.dependencies.keys().cloned().collect(),
        });
        let mut files = modules(&root, &manifest.name, "src", None)?;
        if index == 0 {
            files.extend(modules(&root, &manifest.name, "tests", Some("tests"))?);
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        for pair in files.windows(2) {
            if let [(module, first), (again, second)] = pair
                && module == again
            {
                return Err(PackageError::DuplicateModule {
                    module: module.clone(),
                    first: first.clone(),
                    second: second.clone(),
                });
            }
        }
        for (module, path) in files {
            let bytes = std::fs::read(&path)
                .map_err(|e| PackageError::Read { path: path.clone(), reason: io_reason(&e) })?;
            self.loaded.files.push(LoadedFile { path, module, package: index, bytes, artifact: None });
        }
        chain.push(manifest.name.clone());
        for (name, source) in &manifest.dependencies {
            let relative = match source {
                Dependency::Path(folder) => folder,
                Dependency::Abi(artifact) => {
                    self.artifact(&root.join(MANIFEST), name, &root.join(artifact))?;
                    continue;
                }
            };
            let dependency = root.join(relative);
            if !dependency.join(MANIFEST).is_file() {
                return Err(PackageError::MissingDependency {
                    path: root.join(MANIFEST),
                    name: name.clone(),
                    dependency,
                });
            }
            let found = self.visit(&dependency, chain)?;
            let found_name = self.loaded.packages.get(found).map(|p| p.name.clone()).unwrap_or_default();
            if found_name != *name {
                return Err(PackageError::MisnamedDependency {
                    path: root.join(MANIFEST),
                    name: name.clone(),
                    dependency,
                    found: found_name,
                });
            }
        }
        chain.pop();
        Ok(index)
    }

    /// Reads the artifact of `abi` dependency `name` (once) as a package of
    /// one module, `name`, holding the interface its ABI document gives.
    fn artifact(&mut self, manifest: &Path, name: &str, artifact: &Path) -> Result<(), PackageError> {
        let bad = |reason: String| PackageError::BadArtifact {
            path: manifest.to_path_buf(),
            name: name.to_string(),
            artifact: artifact.to_path_buf(),
            reason,
        };
        let canonical = std::fs::canonicalize(artifact).map_err(|e| bad(io_reason(&e)))?;
        if let Some(other) = self.loaded.packages.iter().find(|p| p.name == name) {
            if other.root == canonical {
                return Ok(());
            }
            return Err(PackageError::DuplicatePackage {
                name: name.to_string(),
                first: other.root.clone(),
                second: canonical,
            });
        }
        let bytes = std::fs::read(&canonical).map_err(|e| bad(io_reason(&e)))?;
        let abi = writ_abi::document::read_from_module(&bytes).map_err(|e| bad(e.to_string()))?;
        let text = writ_compiler::interface::interface_source(&abi).map_err(bad)?;
        let index = self.loaded.packages.len();
        self.loaded.packages.push(Package {
            name: name.to_string(),
            version: abi.package.map_or_else(|| "0.0.0".to_string(), |p| p.version),
            root: canonical.clone(),
            dependencies: Vec::new(),
        });
        self.loaded.files.push(LoadedFile {
            path: canonical,
            module: name.to_string(),
            package: index,
            bytes: text.into_bytes(),
            artifact: Some(bytes.into()),
        });
        Ok(())
    }
}

/// The `.writ` files under `root/folder` with their module paths:
/// `package::` (then `prefix::`) then the path's folders and the file's
/// stem. A missing folder has none.
fn modules(
    root: &Path,
    package: &str,
    folder: &str,
    prefix: Option<&str>,
) -> Result<Vec<(String, PathBuf)>, PackageError> {
    let base = root.join(folder);
    let mut found = Vec::new();
    if base.is_dir() {
        walk(&base, &mut found)?;
    }
    let mut out = Vec::new();
    for path in found {
        let relative = path.strip_prefix(&base).unwrap_or(&path).with_extension("");
        let mut segments = vec![package.to_string()];
        segments.extend(prefix.map(str::to_string));
        for part in relative.components() {
            let segment = part.as_os_str().to_string_lossy().into_owned();
            if !is_module_name(&segment) {
                return Err(PackageError::BadModuleName { file: path.clone(), segment });
            }
            segments.push(segment);
        }
        out.push((segments.join("::"), path));
    }
    Ok(out)
}

/// Every `.writ` file below `dir`. Hidden entries (an editor's lock and
/// backup files) and symbolic links are skipped: a link could lead back up
/// and never end, or make one file two modules.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), PackageError> {
    let unreadable =
        |e: std::io::Error| PackageError::Read { path: dir.to_path_buf(), reason: io_reason(&e) };
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(unreadable)?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "writ") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a package `name` into `dir/name` with `deps` (name, path)
    /// and `files` (path under the package, text).
    fn package(dir: &Path, folder: &str, name: &str, deps: &[(&str, &str)], files: &[(&str, &str)]) {
        let root = dir.join(folder);
        std::fs::create_dir_all(&root).unwrap_or_else(|e| panic!("{e}"));
        let mut manifest = format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\n[dependencies]\n");
        for (dep, path) in deps {
            manifest.push_str(&format!("{dep} = {{ path = \"{path}\" }}\n"));
        }
        std::fs::write(root.join(MANIFEST), manifest).unwrap_or_else(|e| panic!("{e}"));
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap_or(&root)).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    fn temp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
    }

    // Modules follow the files; a package reached twice (a diamond) is
    // read once; only the first package's tests are read.
    #[test]
    fn modules_follow_the_files_and_shared_dependencies_load_once() {
        let dir = temp();
        package(
            dir.path(),
            "office",
            "office",
            &[("registry", "../registry"), ("fees", "../fees")],
            &[("src/office.writ", ""), ("src/rules/late.writ", ""), ("tests/flows.writ", "")],
        );
        package(dir.path(), "fees", "fees", &[("registry", "../registry")], &[("src/fees.writ", "")]);
        package(dir.path(), "registry", "registry", &[], &[("src/people.writ", ""), ("tests/t.writ", "")]);
        let loaded = load(&dir.path().join("office")).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = loaded.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["office", "fees", "registry"]);
        let modules: Vec<(&str, usize)> =
            loaded.files.iter().map(|f| (f.module.as_str(), f.package)).collect();
        assert_eq!(
            modules,
            [
                ("office::office", 0),
                ("office::rules::late", 0),
                ("office::tests::flows", 0),
                ("fees::fees", 1),
                ("registry::people", 2),
            ]
        );
        assert_eq!(loaded.packages[0].dependencies, ["fees", "registry"]);
    }

    // Every way a package graph can be wrong is an error that names it.
    #[test]
    fn bad_graphs_are_refused_by_name() {
        let dir = temp();
        package(dir.path(), "a", "a", &[("b", "../b")], &[]);
        package(dir.path(), "b", "b", &[("c", "../c")], &[]);
        package(dir.path(), "c", "c", &[("a", "../a")], &[]);
        assert_eq!(
            load(&dir.path().join("a")),
            Err(PackageError::Cycle { chain: vec!["a".into(), "b".into(), "c".into(), "a".into()] })
        );

        let dir = temp();
        package(dir.path(), "a", "a", &[("b", "../nowhere")], &[]);
        assert!(
            matches!(load(&dir.path().join("a")), Err(PackageError::MissingDependency { name, .. }) if name == "b")
        );

        let dir = temp();
        package(dir.path(), "a", "a", &[("b", "../c")], &[]);
        package(dir.path(), "c", "c", &[], &[]);
        assert!(
            matches!(load(&dir.path().join("a")), Err(PackageError::MisnamedDependency { found, .. }) if found == "c")
        );

        // Two folders holding packages of one name.
        let dir = temp();
        package(dir.path(), "a", "a", &[("b", "../b"), ("c", "../c")], &[]);
        package(dir.path(), "b", "b", &[], &[]);
        package(dir.path(), "c", "c", &[("b", "../other_b")], &[]);
        package(dir.path(), "other_b", "b", &[], &[]);
        assert!(
            matches!(load(&dir.path().join("a")), Err(PackageError::DuplicatePackage { name, .. }) if name == "b")
        );

        let dir = temp();
        package(dir.path(), "a", "a", &[], &[("src/Two Words.writ", "")]);
        assert!(
            matches!(load(&dir.path().join("a")), Err(PackageError::BadModuleName { segment, .. }) if segment == "Two Words")
        );
        let dir = temp();
        package(dir.path(), "a", "a", &[], &[("src/tests.writ", "")]);
        assert!(matches!(load(&dir.path().join("a")), Err(PackageError::BadModuleName { .. })));

        let dir = temp();
        assert!(matches!(load(&dir.path().join("none")), Err(PackageError::Read { .. })));
    }

    // A link back up the tree and an editor's hidden lock file are not
    // modules: the walk ends and the package loads.
    #[cfg(unix)]
    #[test]
    fn links_and_hidden_files_are_skipped() {
        let dir = temp();
        package(dir.path(), "a", "a", &[], &[("src/m.writ", ""), ("src/.#m.writ", "")]);
        let src = dir.path().join("a/src");
        std::os::unix::fs::symlink(&src, src.join("loop")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(src.join("m.writ"), src.join("twin.writ"))
            .unwrap_or_else(|e| panic!("{e}"));
        let loaded = load(&dir.path().join("a")).unwrap_or_else(|e| panic!("{e}"));
        let modules: Vec<&str> = loaded.files.iter().map(|f| f.module.as_str()).collect();
        assert_eq!(modules, ["a::m"]);
    }

    /// Builds `source`'s contract `Registry` into `dir/Registry.wasm`.
    fn artifact(dir: &Path, source: &str) {
        let analysis = writ_compiler::Analysis::single("registry.writ", source);
        let file = analysis.own_files().next().map(|f| f.id).unwrap_or_else(|| panic!("no file"));
        let built = writ_compiler::codegen::build_file(&analysis, file);
        let wasm = &built.artifacts.first().unwrap_or_else(|| panic!("{:?}", built.diagnostics)).wasm;
        std::fs::write(dir.join("Registry.wasm"), wasm).unwrap_or_else(|e| panic!("{e}"));
    }

    fn abi_package(dir: &Path, folder: &str, name: &str, deps: &[(&str, &str)], files: &[(&str, &str)]) {
        package(dir, folder, name, &[], files);
        let manifest = dir.join(folder).join(MANIFEST);
        let mut text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| panic!("{e}"));
        for (dep, artifact) in deps {
            text.push_str(&format!("{dep} = {{ abi = \"{artifact}\" }}\n"));
        }
        std::fs::write(manifest, text).unwrap_or_else(|e| panic!("{e}"));
    }

    // An `abi` dependency is a package of one module holding the interface
    // its artifact's document gives; the office checks against it.
    #[test]
    fn an_abi_dependency_is_the_interface_of_its_artifact() {
        let dir = temp();
        artifact(
            dir.path(),
            "contract Registry {\n    storage { n: u64 }\n    pub fn bump() { self.n += 1; }\n    pub view fn count() -> u64 { self.n }\n}\n",
        );
        abi_package(
            dir.path(),
            "office",
            "office",
            &[("registry", "../Registry.wasm")],
            &[(
                "src/office.writ",
                "use registry::Registry;\n\npub contract Office {\n    storage { registry: Registry }\n    init(registry: Registry) { self.registry = registry; }\n    pub view fn seen() -> u64 { self.registry.count() }\n}\n",
            )],
        );
        let loaded = load(&dir.path().join("office")).unwrap_or_else(|e| panic!("{e}"));
        let modules: Vec<(&str, usize)> =
            loaded.files.iter().map(|f| (f.module.as_str(), f.package)).collect();
        assert_eq!(modules, [("office::office", 0), ("registry", 1)]);
        let text = String::from_utf8_lossy(&loaded.files[1].bytes).into_owned();
        assert!(
            text.contains("pub interface Registry {\n    pub fn bump();\n    pub view fn count() -> u64;\n}"),
            "{text}"
        );
        let files = loaded.package_files(|f| String::from_utf8(f.bytes.clone()).ok());
        let analysis = writ_compiler::Analysis::packaged(loaded.scopes(), files);
        assert_eq!(analysis.diagnostics(), Vec::new());
    }

    #[test]
    fn an_unusable_artifact_is_refused_by_name() {
        let dir = temp();
        abi_package(dir.path(), "a", "a", &[("gone", "../Gone.wasm")], &[]);
        let missing = load(&dir.path().join("a"));
        assert!(
            matches!(&missing, Err(PackageError::BadArtifact { name, reason, .. }) if name == "gone" && reason == "no such file or folder"),
            "{missing:?}"
        );
        std::fs::write(dir.path().join("Text.wasm"), "not wasm").unwrap_or_else(|e| panic!("{e}"));
        abi_package(dir.path(), "b", "b", &[("text", "../Text.wasm")], &[]);
        let text = load(&dir.path().join("b"));
        assert!(
            matches!(&text, Err(PackageError::BadArtifact { reason, .. }) if reason.contains("not a WebAssembly module")),
            "{text:?}"
        );
        // Two packages that mean different artifacts by one name.
        artifact(dir.path(), "contract Registry { pub view fn n() -> u64 { 1 } }\n");
        let other = dir.path().join("other");
        std::fs::create_dir_all(&other).unwrap_or_else(|e| panic!("{e}"));
        std::fs::copy(dir.path().join("Registry.wasm"), other.join("Registry.wasm"))
            .unwrap_or_else(|e| panic!("{e}"));
        abi_package(dir.path(), "c", "c", &[("registry", "../Registry.wasm")], &[]);
        let mut manifest =
            std::fs::read_to_string(dir.path().join("c").join(MANIFEST)).unwrap_or_else(|e| panic!("{e}"));
        manifest.push_str("d = { path = \"../d\" }\n");
        std::fs::write(dir.path().join("c").join(MANIFEST), manifest).unwrap_or_else(|e| panic!("{e}"));
        abi_package(dir.path(), "d", "d", &[("registry", "../other/Registry.wasm")], &[]);
        let twice = load(&dir.path().join("c"));
        assert!(
            matches!(&twice, Err(PackageError::DuplicatePackage { name, .. }) if name == "registry"),
            "{twice:?}"
        );
        // The same artifact reached twice is one package.
        abi_package(dir.path(), "e", "e", &[("registry", "../Registry.wasm")], &[]);
        let mut manifest =
            std::fs::read_to_string(dir.path().join("e").join(MANIFEST)).unwrap_or_else(|e| panic!("{e}"));
        manifest.push_str("f = { path = \"../f\" }\n");
        std::fs::write(dir.path().join("e").join(MANIFEST), manifest).unwrap_or_else(|e| panic!("{e}"));
        abi_package(dir.path(), "f", "f", &[("registry", "../Registry.wasm")], &[]);
        let shared = load(&dir.path().join("e")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shared.packages.iter().filter(|p| p.name == "registry").count(), 1);
    }

    // Two open packages sharing a dependency are one set with the shared
    // package once; a second package of a taken name is refused whole.
    #[test]
    fn loads_merge_sharing_dependencies() {
        let dir = temp();
        package(dir.path(), "office", "office", &[("registry", "../registry")], &[("src/main.writ", "")]);
        package(dir.path(), "court", "court", &[("registry", "../registry")], &[("src/main.writ", "")]);
        package(dir.path(), "registry", "registry", &[], &[("src/people.writ", ""), ("tests/t.writ", "")]);
        package(dir.path(), "other", "registry", &[], &[("src/people.writ", "")]);
        let mut merged = load(&dir.path().join("office")).unwrap_or_else(|e| panic!("{e}"));
        merged
            .merge(load(&dir.path().join("court")).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = merged.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["office", "registry", "court"]);
        let modules: Vec<(&str, usize)> =
            merged.files.iter().map(|f| (f.module.as_str(), f.package)).collect();
        assert_eq!(modules, [("office::main", 0), ("registry::people", 1), ("court::main", 2)]);
        // The registry as a root of its own brings its tests.
        merged
            .merge(load(&dir.path().join("registry")).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            merged.files.last().map(|f| (f.module.as_str(), f.package)),
            Some(("registry::tests::t", 1))
        );
        let before = merged.clone();
        let clash = merged.merge(load(&dir.path().join("other")).unwrap_or_else(|e| panic!("{e}")));
        assert!(matches!(clash, Err(PackageError::DuplicatePackage { name, .. }) if name == "registry"));
        assert_eq!(merged, before);
    }

    #[test]
    fn the_root_is_found_from_any_file_inside() {
        let dir = temp();
        package(dir.path(), "a", "a", &[], &[("src/deep/er.writ", "")]);
        let root = dir.path().join("a");
        assert_eq!(find_root(&root.join("src/deep/er.writ")), Some(root.clone()));
        assert_eq!(find_root(&root), Some(root));
        assert_eq!(find_root(dir.path()), None);
    }
}
