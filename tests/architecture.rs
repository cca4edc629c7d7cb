//! ARCHITECTURE.md stays a true map of the repository. Every path it names
//! in backticks must exist, written from the repository root, so a file
//! that is renamed, moved or deleted breaks this test instead of leaving
//! the map quietly wrong. In the other direction, every workspace crate and
//! every folder under a crate's `src/` must be named in the map, so a new
//! part of the code base cannot go unmapped.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Extensions of the files the map may name without a `/` in the token.
const EXTENSIONS: &[&str] =
    &["rs", "md", "writ", "lalrpop", "sh", "el", "lua", "toml", "json", "js", "sol", "wat"];

/// Whether a backticked token is meant as a repository path. Only the
/// characters paths here use are allowed, which leaves out command lines
/// (spaces), Rust paths (`::`), globs, generics, `{a,b}` groups and URLs;
/// a bare extension such as `.writ` has no file name and is not a path.
fn looks_like_path(token: &str) -> bool {
    let plain = token.chars().all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c));
    let named = token.chars().any(|c| c.is_ascii_alphabetic());
    let extension = Path::new(token).extension().and_then(|e| e.to_str());
    plain && named && (token.contains('/') || extension.is_some_and(|e| EXTENSIONS.contains(&e)))
}

/// The inline-code tokens of a Markdown text that look like paths. Fenced
/// blocks are skipped: their contents are pictures, not references.
fn path_tokens(text: &str) -> Vec<String> {
    let mut prose = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    prose.split('`').skip(1).step_by(2).filter(|t| looks_like_path(t)).map(str::to_owned).collect()
}

/// The path tokens of `text` that are not an existing file or folder under
/// `root`. A token that climbs out of the root or starts at `/` is reported
/// too: the map writes every path from the repository root.
fn missing_paths(text: &str, root: &Path) -> Vec<String> {
    let from_root = |t: &str| Path::new(t).components().all(|c| matches!(c, Component::Normal(_)));
    path_tokens(text).into_iter().filter(|t| !from_root(t) || !root.join(t).exists()).collect()
}

/// The `members` of the workspace manifest, e.g. `["abi", "compiler"]`.
fn workspace_members(manifest: &str) -> Vec<String> {
    let start = manifest
        .lines()
        .position(|l| l.trim_start().starts_with("members"))
        .unwrap_or_else(|| panic!("no `members` list in the workspace Cargo.toml"));
    let rest: String = manifest.lines().skip(start).collect::<Vec<_>>().join("\n");
    let list = rest
        .split_once('[')
        .and_then(|(_, tail)| tail.split_once(']'))
        .map(|(inside, _)| inside)
        .unwrap_or_else(|| panic!("the workspace `members` list is not a `[...]` array"));
    list.split(',').map(|m| m.trim().trim_matches('"').to_owned()).filter(|m| !m.is_empty()).collect()
}

/// Every folder below `dir`, as `/`-separated paths relative to `root`.
fn folders_below(root: &Path, dir: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(root.join(dir)) else { return };
    for entry in entries.flatten() {
        if entry.path().is_dir() {
            let sub = format!("{dir}/{}", entry.file_name().to_string_lossy());
            folders_below(root, &sub, out);
            out.push(sub);
        }
    }
}

/// The crate folders, and the folders under their `src/`, that `text`
/// never names as a path token (`compiler/` or `compiler`, written from
/// the root).
fn unnamed_folders(text: &str, root: &Path, members: &[String]) -> Vec<String> {
    let named: BTreeSet<String> =
        path_tokens(text).iter().map(|t| t.trim_end_matches('/').to_owned()).collect();
    let mut wanted = Vec::new();
    for member in members {
        wanted.push(member.clone());
        folders_below(root, &format!("{member}/src"), &mut wanted);
    }
    wanted.sort();
    wanted.into_iter().filter(|f| !named.contains(f)).map(|f| format!("{f}/")).collect()
}

#[test]
fn every_path_in_the_map_exists() {
    let root = repo();
    let text = read(&root.join("ARCHITECTURE.md"));
    assert!(path_tokens(&text).len() > 50, "ARCHITECTURE.md names too few paths to be a map");
    let missing = missing_paths(&text, &root);
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist (write them from the repository root): {missing:#?}"
    );
}

#[test]
fn the_map_names_every_crate_and_source_folder() {
    let root = repo();
    let text = read(&root.join("ARCHITECTURE.md"));
    let members = workspace_members(&read(&root.join("Cargo.toml")));
    assert!(members.len() >= 10, "found only these workspace members: {members:?}");
    let unnamed = unnamed_folders(&text, &root, &members);
    assert!(unnamed.is_empty(), "folders ARCHITECTURE.md does not name: {unnamed:#?}");
}

// The checks above must be able to fail: a missing path is reported, and
// tokens that are not paths are left alone.
#[test]
fn a_wrong_map_is_caught() {
    let root = repo();
    let text = "\
`compiler/src/lexer.rs` and `compiler/src/no_such_file.rs`, `nowhere/`, `lexer.rs`,
`../Cargo.toml`, `cargo test -p writ-cli`, `writ_vm::execute`, `std/*.writ`, `.writ`,
`{ok,err}/`, `Vec<u8>`, `https://example.org/a.md`, `1 / 2`, `/`.
```
`fenced/only.rs`
```
";
    assert_eq!(
        missing_paths(text, &root),
        ["compiler/src/no_such_file.rs", "nowhere/", "lexer.rs", "../Cargo.toml"]
    );
    let members = vec!["compiler".to_owned()];
    let unnamed = unnamed_folders("`compiler/` and `compiler/src/check/`", &root, &members);
    assert!(unnamed.contains(&"compiler/src/codegen/".to_owned()), "{unnamed:?}");
    assert!(!unnamed.iter().any(|f| f == "compiler/" || f == "compiler/src/check/"), "{unnamed:?}");
    assert_eq!(workspace_members("[workspace]\nmembers = [\n  \"a\",\n  \"b\",\n]\n"), ["a", "b"]);
}
