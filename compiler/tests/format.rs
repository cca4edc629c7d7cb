//! Formatter round trips: every fixture and random programs format to text
//! that parses to the same tree, keeps every comment, and is a fixed point.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use writ_compiler::FileId;
use writ_compiler::format::format_source;
use writ_compiler::parser::parse;

/// The tree's `Debug` text without spans (`@lo..hi`) and file ids (`#n`).
fn shape(source: &str) -> String {
    let debug = format!("{:?}", parse(FileId(0), source).tree);
    let mut out = String::with_capacity(debug.len());
    let chars: Vec<char> = debug.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let digit_at = |j: usize| chars.get(j).is_some_and(char::is_ascii_digit);
        if (c == '@' || c == '#') && digit_at(i + 1) {
            i += 1;
            while digit_at(i) {
                i += 1;
            }
            if c == '@' && chars.get(i) == Some(&'.') && chars.get(i + 1) == Some(&'.') && digit_at(i + 2) {
                i += 2;
                while digit_at(i) {
                    i += 1;
                }
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Every comment's text (line comments without trailing spaces), sorted.
fn comments(source: &str) -> Vec<String> {
    let mut texts: Vec<String> =
        parse(FileId(0), source).comments.iter().map(|c| c.text.trim_end().to_string()).collect();
    texts.sort();
    texts
}

/// Formats `source` and checks the three round-trip properties; returns the
/// formatted text, or `None` when the source does not parse.
fn round_trip(source: &str) -> Option<String> {
    let once = format_source(FileId(0), source).ok()?;
    let twice = match format_source(FileId(0), &once) {
        Ok(text) => text,
        Err(errors) => panic!("formatted text does not parse: {errors:?}\n{once}"),
    };
    assert_eq!(shape(&once), shape(source), "tree changed by formatting:\n{source}\n---\n{once}");
    assert_eq!(comments(&once), comments(source), "comments changed:\n{source}\n---\n{once}");
    assert_eq!(twice, once, "formatting is not idempotent:\n{source}");
    Some(once)
}

fn writ_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            writ_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "writ") {
            out.push(path);
        }
    }
}

// Every fixture that parses survives formatting unchanged in meaning and
// comments, and formatting is a fixed point on it.
#[test]
fn fixtures_round_trip() {
    let mut files = Vec::new();
    writ_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"), &mut files);
    files.sort();
    let mut formatted = 0;
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap_or_default();
        if round_trip(&source).is_some() {
            formatted += 1;
        }
    }
    assert!(formatted >= 2, "expected at least the locker and messy fixtures, found {files:?}");
}

// The canonical layout of a deliberately messy file, input and output together.
#[test]
fn messy_snapshot() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/format/messy.writ");
    let source = std::fs::read_to_string(path).unwrap_or_default();
    let formatted = round_trip(&source).unwrap_or_else(|| panic!("messy.writ does not parse"));
    insta::assert_snapshot!("messy", format!("{source}\n======== formatted ========\n{formatted}"));
}

// ---------------------------------------------------------------- random programs

fn ident() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "total", "from", "x1", "very_long_identifier_name_for_wrapping"])
        .prop_map(str::to_string)
}

fn string_lit() -> impl Strategy<Value = String> {
    let piece =
        prop::sample::select(vec!["a", " ", "\\\"", "\\\\", "\\n", "\\t", "\\u{1}", "é", "\\u{41}", "'"]);
    prop::collection::vec(piece, 0..6).prop_map(|parts| format!("\"{}\"", parts.concat()))
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..100_000).prop_map(|n| n.to_string()),
        (0u64..1000, 0u64..100).prop_map(|(a, b)| format!("{a}.{b:02}")),
        Just("1_000".to_string()),
        Just("0xAB_cd".to_string()),
        Just("true".to_string()),
        string_lit(),
        string_lit().prop_map(|s| format!("b{s}")),
    ]
}

/// A comment to put between tokens: nothing most of the time.
fn gap() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(" ".to_string()),
        1 => Just(" /* c */ ".to_string()),
        1 => Just(" // line\n".to_string()),
        1 => Just("\n\n".to_string()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    let leaf =
        prop_oneof![literal(), ident(), Just("Status::Paid".to_string()), Just("self.count".to_string())];
    leaf.prop_recursive(4, 48, 4, |inner| {
        let op = prop::sample::select(vec!["+", "-", "*", "/", "%", "<", "<=", "==", "!=", "&&", "||"]);
        prop_oneof![
            (inner.clone(), op, gap(), inner.clone()).prop_map(|(a, o, g, b)| format!("{a}{g}{o} {b}")),
            (ident(), prop::collection::vec((inner.clone(), gap()), 0..5)).prop_map(|(f, args)| {
                let args: Vec<String> = args.into_iter().map(|(a, g)| format!("{a},{g}")).collect();
                format!("{f}({})", args.concat())
            }),
            (ident(), ident(), prop::collection::vec(inner.clone(), 0..3))
                .prop_map(|(r, m, args)| format!("{r}.{m}({})", args.join(","))),
            (prop::collection::vec((ident(), inner.clone()), 0..4), gap()).prop_map(|(fields, g)| {
                let fields: Vec<String> = fields.into_iter().map(|(n, v)| format!("{n}:{v}")).collect();
                format!("Point{{{g}{}}}", fields.join(","))
            }),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|xs| format!("[{}]", xs.join(","))),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|xs| format!("({},)", xs.join(","))),
            inner.clone().prop_map(|x| format!("({x})")),
            inner.clone().prop_map(|x| format!("-{x}")),
            inner.clone().prop_map(|x| format!("!{x}")),
            inner.clone().prop_map(|x| format!("({x}) as u64")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("(if ({c}) {{ {a} }} else if b {{ {b} }} else {{ 0 }})")),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(s, a, b)| {
                format!("(match ({s}) {{ 1 | 2 => {a}, Some(x) => {{ {b} }} -1 => 0, _ => match b {{ _ => 1 }} }})")
            }),
        ]
    })
}

fn stmt() -> impl Strategy<Value = String> {
    prop_oneof![
        (ident(), expr(), gap()).prop_map(|(n, e, g)| format!("let {n} ={g}{e};")),
        (ident(), expr()).prop_map(|(n, e)| format!("let mut {n}: List<u64> = {e};")),
        (ident(), expr()).prop_map(|(n, e)| format!("{n} += {e};")),
        (ident(), expr()).prop_map(|(f, e)| format!("{f}({e});")),
        (expr(), expr()).prop_map(|(c, e)| format!("if ({c}) {{ return {e}; }}")),
        (ident(), expr()).prop_map(|(i, e)| format!("for {i} in 0..10 {{ x = {e}; }}")),
        expr().prop_map(|e| format!("while ({e}) {{ break; }}")),
        Just("fail Unknown(a, b);".to_string()),
        Just(";".to_string()),
        Just("// a statement comment\n".to_string()),
    ]
}

fn item() -> impl Strategy<Value = String> {
    let body = (prop::collection::vec((stmt(), gap()), 0..5), prop::option::of(expr()));
    let params = prop::collection::vec(ident(), 0..6);
    prop_oneof![
        (ident(), params, body, gap()).prop_map(|(name, params, (stmts, tail), g)| {
            let params: Vec<String> = params.iter().map(|p| format!("{p}: u64")).collect();
            let stmts: Vec<String> = stmts.into_iter().map(|(s, g)| format!("{s}{g}")).collect();
            format!("fn {name}({}) -> u64 {{{g}{}{}}}", params.join(", "), stmts.concat(), tail.unwrap_or_default())
        }),
        prop::collection::vec(ident(), 0..4).prop_map(|fields| {
            let fields: Vec<String> = fields.iter().enumerate().map(|(i, f)| format!("{f}{i}: Map<u64, (u8, bool)>")).collect();
            format!("struct S {{ {} }}", fields.join(", "))
        }),
        (expr(), gap()).prop_map(|(e, g)| format!("const C: u64 ={g}{e};")),
        Just("enum E { A, B(u64, String), C }".to_string()),
        (prop::collection::vec((stmt(), gap()), 0..4), gap()).prop_map(|(stmts, g)| {
            let stmts: Vec<String> = stmts.into_iter().map(|(s, g)| format!("{s}{g}")).collect();
            format!("contract K {{ roles {{ A, B }}{g}storage {{ n: u64 }} event E(a: u64); pub fn f() requires A | B {{ {} }} }}", stmts.concat())
        }),
    ]
}

fn program() -> impl Strategy<Value = String> {
    let doc = prop_oneof![3 => Just(String::new()), 1 => Just("/// Doc line.\n".to_string()), 1 => Just("// plain\n".to_string())];
    prop::collection::vec((doc, item()), 1..4)
        .prop_map(|items| items.into_iter().map(|(d, i)| format!("{d}{i}\n")).collect::<String>())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    // Random programs: formatting keeps the tree and the comments and is a
    // fixed point. Programs the generator got wrong (parse errors) are skipped.
    #[test]
    fn random_programs_round_trip(source in program()) {
        prop_assume!(format_source(FileId(0), &source).is_ok());
        round_trip(&source);
    }
}
