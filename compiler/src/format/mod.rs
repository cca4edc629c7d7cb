//! The one canonical formatter for Writ, used by `writ fmt` and the
//! language server.
//!
//! Invariant: only error-free sources are formatted; the output parses to
//! the same tree (spans aside), keeps every comment, and formatting it again
//! changes nothing. Layout rules are written up in `docs/formatting.md`.

mod doc;
mod expr;
mod print;
mod trivia;

use crate::diagnostic::Diagnostic;
use crate::parser::{Parsed, parse};
use crate::span::FileId;

/// The line width the formatter aims for, in characters. Lists that would
/// cross it break one element per line.
pub const LINE_COLUMNS_MAX: usize = 100;

/// Parses `source` and returns its canonical text, or the error
/// diagnostics when it does not parse (broken code is never reformatted).
pub fn format_source(file: FileId, source: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = parse(file, source);
    let errors: Vec<Diagnostic> = parsed.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(format_tree(source, &parsed))
}

/// Formats an already parsed file. `source` must be the text `parsed` came
/// from. Nodes that failed to parse are copied verbatim, so callers that
/// want a faithful result should check the diagnostics first.
pub fn format_tree(source: &str, parsed: &Parsed) -> String {
    let mut printer = print::Printer::new(source, &parsed.comments);
    let layout = printer.source_file(&parsed.tree);
    doc::render(&layout, LINE_COLUMNS_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(src: &str) -> String {
        match format_source(FileId(0), src) {
            Ok(out) => out,
            Err(errors) => panic!("parse errors in test input: {errors:?}\n{src}"),
        }
    }

    /// Formats, then checks idempotency and that the result is canonical.
    fn check(src: &str, expected: &str) {
        let once = fmt(src);
        assert_eq!(once, expected, "\n--- got ---\n{once}\n--- want ---\n{expected}");
        assert_eq!(fmt(&once), once, "not idempotent");
    }

    // Spacing, indentation and the one newline at the end of the file.
    #[test]
    fn basic_layout() {
        check(
            "fn  f(a:u64,b : u64)->u64{let x=a+b*2;return x;}",
            "fn f(a: u64, b: u64) -> u64 {\n    let x = a + b * 2;\n    return x;\n}\n",
        );
        check("", "");
        check("\n\n// only a comment\n\n", "// only a comment\n");
    }

    // Comments before, after and inside statements and expressions survive.
    #[test]
    fn comments_in_odd_places() {
        check(
            "fn f() /* head */ { let x = 1 + /* mid */ 2; // end\n  g(a, // first\n b); }",
            "fn f() {\n    /* head */\n    /* mid */\n    let x = 1 + 2; // end\n    g(\n        a, // first\n        b,\n    );\n}\n",
        );
        check(
            "/// Doc.\n/// More.\nfn f() {} // trailing\n// between\nfn g() {\n    // inside empty\n}\n",
            "/// Doc.\n/// More.\nfn f() {} // trailing\n\n// between\nfn g() {\n    // inside empty\n}\n",
        );
        check("const X: u64 = f(/* c */);", "const X: u64 = f(\n    /* c */\n);\n");
    }

    // A comment inside an item with no statement to attach to is kept and
    // does not take over the next item's doc comment.
    #[test]
    fn comment_inside_const_is_carried() {
        check(
            "const X: u64 = 1 /* one */ + 2;\n/// Doc.\nfn f() {}",
            "const X: u64 = 1 + 2;\n\n/* one */\n/// Doc.\nfn f() {}\n",
        );
        // A carried `///` keeps an empty line after it, so it documents
        // nothing rather than the next item (which keeps its own doc).
        let src = "const X: u64 = 1 +\n    /// stray\n    2;\n/// Doc.\nfn f() {}";
        let out = "const X: u64 = 1 + 2;\n\n/// stray\n\n/// Doc.\nfn f() {}\n";
        check(src, out);
        let docs: Vec<Option<String>> =
            crate::parser::parse(FileId(0), out).tree.items.into_iter().map(|item| item.doc).collect();
        assert_eq!(docs, vec![None, Some("Doc.".to_string())]);
    }

    // Lists that do not fit break one element per line with trailing commas.
    #[test]
    fn long_argument_lists_wrap() {
        let src = "fn f() { call(first_argument_name, second_argument_name, third_argument_name, fourth_argument_name, fifth); }";
        check(
            src,
            "fn f() {\n    call(\n        first_argument_name,\n        second_argument_name,\n        third_argument_name,\n        fourth_argument_name,\n        fifth,\n    );\n}\n",
        );
        check("fn f() { g(a, b,); }", "fn f() {\n    g(a, b);\n}\n");
    }

    // `else if` chains and nested matches indent one level per block.
    #[test]
    fn nested_match_and_if_chains() {
        check(
            "fn f(x: u64) -> u64 { if x == 1 { 1 } else if x == 2 { match x { 2 => { 3 } _ => match x { _ => 4 }, } } else { 5 } }",
            "fn f(x: u64) -> u64 {\n    if x == 1 {\n        1\n    } else if x == 2 {\n        match x {\n            2 => {\n                3\n            }\n            _ => match x {\n                _ => 4,\n            }\n        }\n    } else {\n        5\n    }\n}\n",
        );
    }

    // Escapes are written back so the lexer reads the same value.
    #[test]
    fn string_escapes() {
        check(
            r#"const S: String = "a\"b\\c\nd\te\r\0\u{1b}\u{41}é";"#,
            "const S: String = \"a\\\"b\\\\c\\nd\\te\\r\\0\\u{1b}Aé\";\n",
        );
        check("const B: Bytes = b\"x\\n\";", "const B: Bytes = b\"x\\n\";\n");
        check("const H: Bytes = 0xAB_cd;", "const H: Bytes = 0xabcd;\n");
    }

    // Tuple fields after tuple fields and one-element tuples keep their meaning.
    #[test]
    fn tricky_tokens() {
        check(
            "fn f() { let a = t.0 .1; let b = (x,); let c = (x); }",
            "fn f() {\n    let a = t.0 .1;\n    let b = (x,);\n    let c = (x);\n}\n",
        );
    }

    // Contract members: roles on one line, storage one field per line, and
    // blank lines only between members of different kinds unless written.
    #[test]
    fn contract_members() {
        check(
            "contract C { roles {A,B} storage { a: u64 } event E(a: u64); event F(); error X; pub view fn v() -> u64 requires A|B { 1 } }",
            "contract C {\n    roles { A, B }\n\n    storage {\n        a: u64,\n    }\n\n    event E(a: u64);\n    event F;\n\n    error X;\n\n    pub view fn v() -> u64 requires A | B {\n        1\n    }\n}\n",
        );
    }

    // Broken code is refused with its diagnostics.
    #[test]
    fn refuses_broken_code() {
        assert!(format_source(FileId(0), "fn f( {").is_err());
    }
}
