//! The front end never panics: arbitrary bytes, and valid programs mutated
//! at random (deletions, insertions of tokens, duplications, truncations),
//! all go through decoding, lexing, parsing and checking to diagnostics.
//!
//! `WRIT_FUZZ_CASES=N` raises the number of cases for a long run
//! (`scripts/fuzz-frontend.sh` does this in release mode).

use std::path::Path;

use proptest::prelude::*;
use writ_compiler::analysis::decode_source;
use writ_compiler::{Analysis, FileId};

fn cases() -> u32 {
    std::env::var("WRIT_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

/// Every `.writ` file the project ships or uses as a fixture: the corpus
/// the mutations start from.
fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    for dir in ["examples", "stdlib/std", "compiler/tests/data"] {
        collect(&root.join(dir), &mut out);
    }
    out.sort();
    out.into_iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect()
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "writ") {
            out.push(path);
        }
    }
}

/// Pieces of Writ syntax that make mutations land on interesting states.
const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ";",
    ",",
    "::",
    ".",
    "..",
    "=>",
    "->",
    "=",
    "==",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "!",
    "&&",
    "||",
    "|",
    "+=",
    "fn ",
    "pub ",
    "view ",
    "contract ",
    "struct ",
    "enum ",
    "match ",
    "if ",
    "else ",
    "while ",
    "for ",
    " in ",
    "let ",
    "mut ",
    "return ",
    "fail ",
    "emit ",
    "deploy ",
    "from ",
    "self",
    "as ",
    "requires ",
    "storage ",
    "roles ",
    "event ",
    "error ",
    "init",
    "test ",
    "property ",
    "invariant ",
    "spec ",
    "ensures ",
    "aborts_if ",
    " with ",
    "modifies self.",
    "emits ",
    "old(",
    "result",
    "\"",
    "\"text\"",
    "b\"x\"",
    "0x",
    "0xab",
    "12",
    "1.5",
    "99999999999999999999999999999999999999999",
    "0.0000000000000000001",
    "/*",
    "*/",
    "//",
    "///",
    "x",
    "Some(",
    "None",
    "Map<",
    "List<",
    "Option<",
    "u8",
    "Decimal",
    "_",
    "\n",
    "é",
    "\u{0}",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, len)| Edit::Delete(at, len)),
        (any::<usize>(), 0..FRAGMENTS.len()).prop_map(|(at, f)| Edit::Insert(at, f)),
        (any::<usize>(), 1usize..200).prop_map(|(at, len)| Edit::Duplicate(at, len)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// The nearest char boundary at or before `at` (mod the length).
fn boundary(text: &str, at: usize) -> usize {
    if text.is_empty() {
        return 0;
    }
    let mut i = at % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(mut text: String, edits: &[Edit]) -> String {
    for e in edits {
        match *e {
            Edit::Delete(at, len) => {
                let lo = boundary(&text, at);
                let hi = boundary(&text, lo + len).max(lo);
                text.replace_range(lo..hi, "");
            }
            Edit::Insert(at, f) => {
                let at = boundary(&text, at);
                text.insert_str(at, FRAGMENTS[f]);
            }
            Edit::Duplicate(at, len) => {
                let lo = boundary(&text, at);
                let hi = boundary(&text, lo + len).max(lo);
                let piece = text[lo..hi].to_string();
                text.insert_str(hi, &piece);
            }
            Edit::Truncate(at) => {
                let at = boundary(&text, at);
                text.truncate(at);
            }
        }
    }
    text
}

/// Runs the whole front end; the assertion is that it returns at all.
fn analyse(text: &str) {
    let analysis = Analysis::single("fuzz.writ", text);
    let diagnostics = analysis.diagnostics();
    // Every span points inside the file it names.
    for d in &diagnostics {
        if let Some(file) = analysis.file(d.span.file) {
            assert!(d.span.hi as usize <= file.text.len(), "span out of bounds: {d:?}");
        }
    }
    // Queries at arbitrary offsets answer without panicking.
    for offset in [0, text.len() / 3, text.len() / 2, text.len()] {
        let offset = offset as u32;
        let _ = analysis.hover_at(FileId(0), offset);
        let _ = analysis.definition_at(FileId(0), offset);
        let _ = analysis.references_at(FileId(0), offset);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    // Arbitrary bytes: undecodable input is one clean diagnostic, anything
    // else goes through the whole front end.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(text) = decode_source(FileId(0), bytes) {
            analyse(&text);
        }
    }

    // Text made of Writ fragments reaches deeper parser states than bytes.
    #[test]
    fn fragment_soup_never_panics(parts in proptest::collection::vec(0..FRAGMENTS.len(), 0..300)) {
        let text: String = parts.iter().map(|i| FRAGMENTS[*i]).collect();
        analyse(&text);
    }

    // Valid programs with random edits: mostly-valid input reaches the checker.
    #[test]
    fn mutated_programs_never_panic(index in any::<usize>(), edits in proptest::collection::vec(edit(), 1..6)) {
        let corpus = corpus();
        prop_assume!(!corpus.is_empty());
        let text = apply(corpus[index % corpus.len()].clone(), &edits);
        analyse(&text);
    }
}
