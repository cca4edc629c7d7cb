//! Parsing a file again after an edit, re-reading only the item it touched.
//!
//! The editor re-analyses a file on every change; most changes fall inside
//! one function of one item, and parsing the whole file again was most of
//! the time from a keystroke to its diagnostics. Here the file is seen as
//! windows: each item with the text between it and the item before (its
//! comments and doc lines), and the text after the last item. When an edit
//! lies inside one window and leaves that item's closing token in place,
//! only the window's new text is parsed; the items before it are kept, the
//! items after it move by the edit's change in length and in node count.
//!
//! Invariant: `reparse` returns exactly what `parser::parse` returns for
//! the new text — tree, spans, node ids, docs, comments, diagnostics and
//! node count (a property test holds it to that over random edits). When
//! that cannot be guaranteed the whole text is parsed: when the previous
//! parse had diagnostics (error recovery may have reached across items),
//! when the window's new text has any, or when its last item does not end
//! exactly where the window ends (its closing `}` would then be inside a
//! comment that, in the whole file, runs on into the next window).

use crate::limits::SOURCE_BYTES_MAX;
use crate::parser::{Parsed, parse, parse_numbered};
use crate::relocate::{id_bounds, shift};
use crate::span::{FileId, Span};

/// Parses `new_text`, the text of `file` after an edit, reusing `old`, the
/// parse of `old_text`, where it can.
pub fn reparse(file: FileId, old_text: &str, old: &Parsed, new_text: &str) -> Parsed {
    let mut parsed = old.clone();
    if reparse_in_place(file, old_text, &mut parsed, new_text) { parsed } else { parse(file, new_text) }
}

/// Turns `parsed`, the parse of `old_text`, into the parse of `new_text`
/// by re-reading one window, and says whether it could; when it could not,
/// `parsed` is left as it was and only a whole parse is sure to be right.
/// Working in place spares copying the items around the edit, which cost
/// more than parsing the window.
pub fn reparse_in_place(file: FileId, old_text: &str, parsed: &mut Parsed, new_text: &str) -> bool {
    if !parsed.diagnostics.is_empty() || parsed.tree.span.file != file || new_text.len() > SOURCE_BYTES_MAX {
        return false;
    }
    let items = &mut parsed.tree.items;
    let count = items.len();
    let (old_bytes, new_bytes) = (old_text.as_bytes(), new_text.as_bytes());
    let prefix = old_bytes.iter().zip(new_bytes).take_while(|(a, b)| a == b).count();
    let rest = old_bytes.len().min(new_bytes.len()) - prefix;
    let suffix =
        old_bytes.iter().rev().zip(new_bytes.iter().rev()).take(rest).take_while(|(a, b)| a == b).count();
    let edit_end = old_bytes.len() - suffix;

    // The window holding the edit: item `k` with the text before it, or
    // the text after the last item when `k == items.len()`.
    let k = items.partition_point(|item| (item.span.hi as usize) <= prefix);
    let start = k.checked_sub(1).and_then(|i| items.get(i)).map_or(0, |item| item.span.hi as usize);
    let end = match items.get(k) {
        // The item's closing token must be left as it was.
        Some(item) if edit_end < item.span.hi as usize => item.span.hi as usize,
        Some(_) => return false,
        None => old_bytes.len(),
    };
    let Some(window) =
        (end + new_bytes.len()).checked_sub(old_bytes.len()).and_then(|e| new_text.get(start..e))
    else {
        return false;
    };

    // Ids are handed out in source order, item after item, so the window's
    // ids are those between the items around it.
    let (before, after) = items.split_at_mut(k.min(count));
    let first_id = before.iter_mut().rev().find_map(id_bounds).map_or(0, |(_, hi)| hi + 1);
    let later = after.get_mut(1..).unwrap_or_default();
    let old_next_id = later.iter_mut().find_map(id_bounds).map_or(parsed.nodes, |(lo, _)| lo);
    if first_id > old_next_id {
        return false;
    }

    let mut part = parse_numbered(file, window, first_id);
    if !part.diagnostics.is_empty() {
        return false;
    }
    if k < count && part.tree.items.last().map(|item| item.span.hi as usize) != Some(window.len()) {
        return false;
    }
    if count - usize::from(k < count) + part.tree.items.len() == 0 {
        // A file left with no item: its span is the whole parse's to say.
        return false;
    }
    let Ok(nodes) = u32::try_from(i64::from(parsed.nodes) + i64::from(part.nodes) - i64::from(old_next_id))
    else {
        return false;
    };

    // From here on `parsed` becomes the new parse.
    let bytes_moved = new_bytes.len() as i64 - old_bytes.len() as i64;
    let ids_moved = i64::from(part.nodes) - i64::from(old_next_id);
    for item in later {
        shift(item, bytes_moved, ids_moved);
    }
    for item in &mut part.tree.items {
        shift(item, start as i64, 0);
    }
    items.splice(k..(k + 1).min(count), part.tree.items);

    let first_in = parsed.comments.partition_point(|c| (c.span.lo as usize) < start);
    let first_after = parsed.comments.partition_point(|c| (c.span.lo as usize) < end);
    for comment in parsed.comments.get_mut(first_after..).unwrap_or_default() {
        shift(&mut comment.span, bytes_moved, 0);
    }
    for comment in &mut part.comments {
        shift(&mut comment.span, start as i64, 0);
    }
    parsed.comments.splice(first_in..first_after, part.comments);

    let items = &parsed.tree.items;
    let lo = items.first().map_or(0, |item| item.span.lo);
    let hi = items.last().map_or(0, |item| item.span.hi);
    parsed.tree.span = Span { file, lo, hi };
    parsed.nodes = nodes;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The fast path alone: the new parse, or `None` (checking that the
    /// old parse was then left as it was).
    fn reparse_window(file: FileId, old_text: &str, old: &Parsed, new_text: &str) -> Option<Parsed> {
        let mut parsed = old.clone();
        if reparse_in_place(file, old_text, &mut parsed, new_text) {
            return Some(parsed);
        }
        assert_eq!(&parsed, old, "a refused re-parse changed the old parse");
        None
    }

    /// Files with every kind of item: the examples and the library.
    fn corpus() -> Vec<&'static str> {
        let mut files = vec![
            include_str!("../../examples/tax/tax.writ"),
            include_str!("../../examples/equity/equity.writ"),
            include_str!("../../examples/evidence/evidence.writ"),
            "use std::money::{split};\n\n/// A rate.\nconst RATE: u64 = 5;\n\nstruct P { a: u64 }\n\
             enum E { A, B(u64) }\n\nfn f(x: u64) -> u64 { return x * RATE; }\n\n\
             test \"t\" { assert_eq(f(1), 5); }\n\nproperty \"p\"(x: u64 in 0..10) { assert(f(x) >= x); }\n\
             test \"empty\" {}\n// the end\n",
            // Items with nothing between them: an edit at a boundary can
            // join two tokens, or start a comment that runs into the next.
            "fn a() {}fn b() { let x = 1; }struct S { f: u64 }const C: u64 = 1;",
        ];
        files.extend(writ_stdlib::MODULES.iter().map(|(_, text)| *text));
        files
    }

    /// Text an edit may insert: kept-clean edits and breaking ones.
    const INSERTS: &[&str] = &[
        "",
        " ",
        "\n",
        "// note\n",
        "/// doc\n",
        "x",
        "1",
        ";",
        "}",
        "{",
        "(",
        "\"",
        "/*",
        "*/",
        "//",
        "fn g() {}\n",
        "let y = 1;",
        "0.5",
        "é",
        "contract C {}\n",
        "test \"n\" {}",
    ];

    fn floor(text: &str, at: usize) -> usize {
        (0..=at.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
    }

    fn edit(text: &str, at: usize, delete: usize, insert: &str) -> String {
        let lo = floor(text, at);
        let hi = floor(text, lo + delete).max(lo);
        format!("{}{insert}{}", &text[..lo], &text[hi..])
    }

    proptest! {
        // After any sequence of edits, re-parsing gives what a whole parse
        // of the new text gives: same tree, spans, ids, docs, comments,
        // diagnostics and node count.
        #[test]
        fn equals_a_whole_parse(
            file in 0..corpus().len(),
            edits in proptest::collection::vec(
                (any::<bool>(), 0..1_000_000usize, -2..3i64, 0..24usize, 0..INSERTS.len()),
                1..5,
            ),
        ) {
            let mut text = corpus()[file].to_string();
            let mut parsed = parse(FileId(3), &text);
            for (near_boundary, at, jitter, delete, insert) in edits {
                // Half the edits land next to the end of an item, where
                // windows meet.
                let ends: Vec<usize> = parsed.tree.items.iter().map(|i| i.span.hi as usize).collect();
                let at = match ends.get(at % ends.len().max(1)) {
                    Some(&end) if near_boundary => usize::try_from(end as i64 + jitter).unwrap_or(0),
                    _ => at % (text.len() + 1),
                };
                let new_text = edit(&text, at, if delete > 16 { 0 } else { delete }, INSERTS[insert]);
                let whole = parse(FileId(3), &new_text);
                if let Some(fast) = reparse_window(FileId(3), &text, &parsed, &new_text) {
                    prop_assert_eq!(&fast, &whole, "edit at {} of file {}", at, file);
                }
                parsed = reparse(FileId(3), &text, &parsed, &new_text);
                prop_assert_eq!(&parsed, &whole);
                text = new_text;
            }
        }
    }

    // Every edit of a small file, at every offset: where windows meet is
    // where a re-parse could go wrong.
    #[test]
    fn every_small_edit_equals_a_whole_parse() {
        for text in corpus().iter().filter(|t| t.len() < 400) {
            let parsed = parse(FileId(0), text);
            for at in 0..=text.len() {
                for delete in 0..3 {
                    for insert in INSERTS {
                        let new_text = edit(text, at, delete, insert);
                        let whole = parse(FileId(0), &new_text);
                        if let Some(fast) = reparse_window(FileId(0), text, &parsed, &new_text) {
                            assert_eq!(fast, whole, "{new_text:?}");
                        }
                    }
                }
            }
        }
    }

    // The fast path is taken where it should be: inside a function's body,
    // between members, in doc lines and after the last item; and each
    // result still equals the whole parse.
    #[test]
    fn edits_inside_one_item_reparse_only_it() {
        let text = corpus()[0];
        let parsed = parse(FileId(0), text);
        let mut taken = 0;
        for (at, _) in text.match_indices("\n    let ") {
            for insert in ["\n    // a comment", "\n    let extra = 1;", " "] {
                let new_text = edit(text, at, 0, insert);
                let Some(fast) = reparse_window(FileId(0), text, &parsed, &new_text) else {
                    panic!("whole parse for {insert:?} at {at}");
                };
                assert_eq!(fast, parse(FileId(0), &new_text));
                taken += 1;
            }
        }
        assert!(taken > 30, "only {taken} edits tried");
        let appended = format!("{text}\nfn more() {{}}\n");
        assert!(reparse_window(FileId(0), text, &parsed, &appended).is_some());
    }

    // Where a window-sized parse could differ from the whole, the whole
    // file is parsed.
    #[test]
    fn risky_edits_parse_the_whole_file() {
        let text = "fn a() {}\nfn b() {}\n";
        let parsed = parse(FileId(0), text);
        // A line comment after the closing brace would swallow `fn b` in the
        // whole file, though the window alone ends cleanly.
        let swallowed = "fn a() {}//\nfn b() {}\n".replace("//\n", "//");
        assert_eq!(reparse_window(FileId(0), text, &parsed, &swallowed), None);
        assert_eq!(reparse(FileId(0), text, &parsed, &swallowed), parse(FileId(0), &swallowed));
        // The closing brace itself edited.
        assert_eq!(reparse_window(FileId(0), text, &parsed, "fn a() {\nfn b() {}\n"), None);
        // A previous parse with errors.
        let broken = parse(FileId(0), "fn a( {}\n");
        assert_eq!(reparse_window(FileId(0), "fn a( {}\n", &broken, "fn a() {}\n"), None);
        // Another file's parse.
        assert_eq!(reparse_window(FileId(1), text, &parsed, "fn a() { }\nfn b() {}\n"), None);
    }
}
