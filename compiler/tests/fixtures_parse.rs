//! Checks the checker fixtures under `tests/data/check/` against the parser
//! alone, so the data is trustworthy before the type checker exists.
//!
//! Invariant: every `ok/` program and every `err/` program whose expected
//! codes come from later passes parses without a diagnostic, and every
//! lexer or parser fixture produces exactly the codes its `// expect:` line
//! lists (as a multiset). The `err/` folder also covers every code except
//! the two that are tested in Rust (E0002 too large, E1005 too many errors).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use writ_compiler::parser::parse;
use writ_compiler::{Code, FileId};

/// Codes that the lexer and parser report; the rest come from later passes.
/// E1004 (invalid assignment target) is a parse-level code that the parser
/// does not report: the grammar accepts any expression on the left of `=`.
const PARSER_CODES: &[&str] = &["E0003", "E0004", "E0005", "E0006", "E0007", "E1001", "E1002", "E1003"];

/// Codes that no fixture needs to cover, with the reason.
const NOT_COVERED: &[&str] = &[
    "E0002", // a file over 8 MiB: tested in Rust, not kept as data
    "E1005", // more than 200 errors: tested in Rust, not kept as data
    "E1006", // a chain of more than 4 096 operands: tested in Rust, not kept as data
    "E3001", // code generation: `writ build`, covered by tests/codegen.rs
    "E3002", // a body over the VM's limits: generated in tests/cli.rs, not kept as data
    "E3003", // a module over 2 MiB: generated in tests/cli.rs, not kept as data
    "E3999", // a compiler bug: forced in a unit test of codegen/module.rs
];

fn data_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check").join(kind)
}

/// The `.writ` files of a fixture folder, sorted by name.
fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = data_dir(kind);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) => panic!("cannot read {}: {error}", dir.display()),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "writ"))
        .collect();
    paths.sort();
    paths
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn read_bytes(path: &Path) -> Vec<u8> {
    match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => panic!("cannot read {}: {error}", path.display()),
    }
}

/// The codes listed on the first line, `// expect: E2004 W0001`.
fn expected_codes(name: &str, bytes: &[u8]) -> Result<Vec<String>, String> {
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let first_line =
        std::str::from_utf8(first_line).map_err(|_| format!("{name}: first line is not UTF-8"))?;
    let codes = first_line
        .strip_prefix("// expect: ")
        .ok_or_else(|| format!("{name}: first line must be `// expect: CODE ...`"))?;
    let codes: Vec<String> = codes.split(' ').map(str::to_string).collect();
    if codes.iter().any(String::is_empty) {
        return Err(format!("{name}: codes must be separated by single spaces"));
    }
    Ok(codes)
}

fn parser_codes(source: &str) -> Vec<String> {
    let mut codes: Vec<String> =
        parse(FileId(0), source).diagnostics.iter().map(|d| d.code.as_str().to_string()).collect();
    codes.sort();
    codes
}

// Every program that must check clean at least parses clean.
#[test]
fn ok_fixtures_parse_without_diagnostics() {
    let paths = fixtures("ok");
    assert!(paths.len() >= 13, "expected at least 13 ok fixtures, found {}", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let name = file_name(path);
        match String::from_utf8(read_bytes(path)) {
            Ok(source) => {
                let diagnostics = parse(FileId(0), &source).diagnostics;
                for d in diagnostics {
                    failures.push(format!(
                        "{name}: {} at {}..{}: {}",
                        d.code.as_str(),
                        d.span.lo,
                        d.span.hi,
                        d.message
                    ));
                }
            }
            Err(_) => failures.push(format!("{name}: not UTF-8")),
        }
    }
    assert!(failures.is_empty(), "ok fixtures with parse diagnostics:\n{}", failures.join("\n"));
}

// Each error fixture gets from the parser exactly its lexer and parser
// codes, and nothing at all when its codes belong to later passes.
#[test]
fn err_fixtures_get_their_parser_codes_and_no_others() {
    let paths = fixtures("err");
    assert!(paths.len() >= 70, "expected at least 70 err fixtures, found {}", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let name = file_name(path);
        let bytes = read_bytes(path);
        let expected = match expected_codes(&name, &bytes) {
            Ok(codes) => codes,
            Err(message) => {
                failures.push(message);
                continue;
            }
        };
        if expected.iter().any(|c| c == "E0001") {
            // The one binary fixture: the driver refuses it before parsing.
            if String::from_utf8(bytes).is_ok() {
                failures.push(format!("{name}: expects E0001 but is valid UTF-8"));
            }
            continue;
        }
        let Ok(source) = String::from_utf8(bytes) else {
            failures.push(format!("{name}: not UTF-8 but does not expect E0001"));
            continue;
        };
        if !source.lines().nth(1).is_some_and(|line| line.starts_with("// ")) {
            failures.push(format!("{name}: second line must be a comment saying what the fixture proves"));
        }
        let mut wanted: Vec<String> =
            expected.iter().filter(|c| PARSER_CODES.contains(&c.as_str())).cloned().collect();
        wanted.sort();
        let got = parser_codes(&source);
        if got != wanted {
            failures.push(format!("{name}: parser gave {got:?}, fixture expects {wanted:?} from the parser"));
        }
    }
    assert!(failures.is_empty(), "err fixtures that disagree with the parser:\n{}", failures.join("\n"));
}

// The error fixtures name only real codes, start their file name with the
// first expected code, and together cover every code but the two tested in
// Rust.
#[test]
fn err_fixtures_cover_every_code() {
    let known: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    let mut failures = Vec::new();
    for path in fixtures("err") {
        let name = file_name(&path);
        let Ok(expected) = expected_codes(&name, &read_bytes(&path)) else {
            continue; // reported by the other test
        };
        for code in &expected {
            if !known.contains(code.as_str()) {
                failures.push(format!("{name}: unknown code {code}"));
            }
        }
        if !expected.first().is_some_and(|first| name.starts_with(&format!("{first}_"))) {
            failures.push(format!("{name}: the file name must start with its first expected code"));
        }
        covered.extend(expected);
    }
    for code in &known {
        if !covered.contains(*code) && !NOT_COVERED.contains(code) {
            failures.push(format!("no fixture expects {code}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
