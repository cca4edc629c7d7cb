//! `writ new NAME`: a package to start from, whose tests pass.

use std::path::{Path, PathBuf};

use crate::manifest::MANIFEST;
use crate::{PackageError, io_reason, is_module_name};

/// Makes the package `name` in the new folder `dir`: a manifest, a module
/// with a contract in `src/`, and a test of it in `tests/`. Refuses a
/// folder that exists; returns the files written.
pub fn scaffold(dir: &Path, name: &str) -> Result<Vec<PathBuf>, PackageError> {
    if !is_module_name(name) {
        return Err(PackageError::BadName { path: dir.to_path_buf(), name: name.to_string() });
    }
    if dir.exists() {
        return Err(PackageError::Exists { path: dir.to_path_buf() });
    }
    let files = [
        (PathBuf::from(MANIFEST), manifest(name)),
        (PathBuf::from("src").join("registry.writ"), REGISTRY.to_string()),
        (PathBuf::from("tests").join("registry.writ"), TESTS.to_string()),
    ];
    let mut written = Vec::new();
    for (relative, text) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| PackageError::Write { path: parent.to_path_buf(), reason: io_reason(&e) })?;
        }
        std::fs::write(&path, text)
            .map_err(|e| PackageError::Write { path: path.clone(), reason: io_reason(&e) })?;
        written.push(path);
    }
    Ok(written)
}

fn manifest(name: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n# Packages this one imports from: `use other::module::{{Item}};`\n# other = {{ path = \"../other\" }}, or a contract built elsewhere:\n# sanctions = {{ abi = \"../vendor/SanctionsList.wasm\" }}\n[dependencies]\n"
    )
}

const REGISTRY: &str = r#"/// A register of named entries, kept by its clerks.
pub contract Registry {
    roles { Clerk }

    storage { names: Map<Address, String> }

    event Recorded(who: Address, name: String);

    pub fn record(who: Address, name: String) requires Clerk {
        self.names[who] = name;
        emit Recorded(who, name);
    }

    pub view fn name_of(who: Address) -> Option<String> {
        self.names.get(who)
    }
}
"#;

const TESTS: &str = r#"use crate::registry::{Registry};

test "a clerk records a name" {
    let clerk = account("clerk");
    let alice = account("alice");
    let registry = deploy Registry();
    registry.grant_role(Clerk, clerk);
    registry.from(clerk).record(alice, "Alice");
    assert_eq(registry.name_of(alice), Some("Alice"));
    assert_aborts(registry.from(alice).record(alice, "Mallory"), MissingRole);
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_package_has_a_manifest_a_module_and_a_test() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path().join("land_registry");
        let written = scaffold(&root, "land_registry").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(written.len(), 3);
        let loaded = crate::load(&root).unwrap_or_else(|e| panic!("{e}"));
        let modules: Vec<&str> = loaded.files.iter().map(|f| f.module.as_str()).collect();
        assert_eq!(modules, ["land_registry::registry", "land_registry::tests::registry"]);
        assert!(matches!(scaffold(&root, "land_registry"), Err(PackageError::Exists { .. })));
        assert!(matches!(scaffold(&dir.path().join("x"), "Land"), Err(PackageError::BadName { .. })));
    }
}
