//! A small Wadler-style layout engine: documents with groups that print flat
//! when they fit in the line width and break otherwise.
//!
//! Invariant: layout is a pure function of the document and the width, and
//! both the layout loop and the fit test use explicit stacks, so deep
//! documents never recurse.

/// A layout document.
#[derive(Debug, Clone)]
pub enum Doc {
    Nil,
    /// Literal text; it may hold newlines only for verbatim block comments.
    Text(String),
    /// A space when flat, a line break when broken.
    Line,
    /// Nothing when flat, a line break when broken.
    SoftLine,
    /// Always a line break; forces every enclosing group to break.
    HardLine,
    /// Prints nothing but forces every enclosing group to break (after a
    /// trailing `//` comment, for instance).
    BreakParent,
    Concat(Vec<Doc>),
    /// Indents line breaks inside by one level.
    Nest(Box<Doc>),
    /// Flat if it fits, else broken. The flag records a forced break.
    Group(Box<Doc>, bool),
    /// The first document when the enclosing group breaks, the second when flat.
    IfBreak(Box<Doc>, Box<Doc>),
}

/// Spaces per indentation level.
pub const INDENT_COLUMNS: usize = 4;

pub fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

pub fn concat(parts: Vec<Doc>) -> Doc {
    Doc::Concat(parts)
}

pub fn nest(doc: Doc) -> Doc {
    Doc::Nest(Box::new(doc))
}

pub fn group(doc: Doc) -> Doc {
    let forced = forces_break(&doc);
    Doc::Group(Box::new(doc), forced)
}

pub fn if_break(broken: Doc, flat: Doc) -> Doc {
    Doc::IfBreak(Box::new(broken), Box::new(flat))
}

/// Whether the document holds a hard break outside any already-measured
/// group (a nested group's flag is reused, so this is linear per level).
fn forces_break(doc: &Doc) -> bool {
    let mut stack = vec![doc];
    while let Some(d) = stack.pop() {
        match d {
            Doc::HardLine | Doc::BreakParent => return true,
            Doc::Text(s) if s.contains('\n') => return true,
            Doc::Group(_, forced) => {
                if *forced {
                    return true;
                }
            }
            Doc::Concat(parts) => stack.extend(parts.iter()),
            Doc::Nest(inner) => stack.push(inner),
            Doc::IfBreak(_, flat) => stack.push(flat),
            Doc::Nil | Doc::Text(_) | Doc::Line | Doc::SoftLine => {}
        }
    }
    false
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

fn width_of(s: &str) -> usize {
    s.chars().count()
}

/// Lays the document out in `width` columns.
pub fn render(doc: &Doc, width: usize) -> String {
    let mut out = String::new();
    let mut column = 0usize;
    // Indentation owed by the last line break, written before the next text
    // so that empty lines carry no trailing spaces.
    let mut owed_indent: Option<usize> = None;
    let mut stack: Vec<(usize, Mode, &Doc)> = vec![(0, Mode::Break, doc)];
    while let Some((indent, mode, d)) = stack.pop() {
        match d {
            Doc::Nil | Doc::BreakParent => {}
            Doc::Text(s) => {
                if s.is_empty() {
                    continue;
                }
                if let Some(n) = owed_indent.take() {
                    out.extend(std::iter::repeat_n(' ', n));
                }
                out.push_str(s);
                column = match s.rfind('\n') {
                    Some(i) => width_of(s.get(i + 1..).unwrap_or("")),
                    None => column + width_of(s),
                };
            }
            Doc::Line | Doc::SoftLine if mode == Mode::Flat => {
                if matches!(d, Doc::Line) {
                    if let Some(n) = owed_indent.take() {
                        out.extend(std::iter::repeat_n(' ', n));
                    }
                    out.push(' ');
                    column += 1;
                }
            }
            Doc::Line | Doc::SoftLine | Doc::HardLine => {
                out.push('\n');
                owed_indent = Some(indent);
                column = indent;
            }
            Doc::Concat(parts) => {
                for part in parts.iter().rev() {
                    stack.push((indent, mode, part));
                }
            }
            Doc::Nest(inner) => stack.push((indent + INDENT_COLUMNS, mode, inner)),
            Doc::Group(inner, forced) => {
                let flat =
                    mode == Mode::Flat || (!forced && fits(inner, width.saturating_sub(column), &stack));
                stack.push((indent, if flat { Mode::Flat } else { Mode::Break }, inner));
            }
            Doc::IfBreak(broken, flat) => {
                stack.push((indent, mode, if mode == Mode::Break { broken } else { flat }));
            }
        }
    }
    out
}

/// Whether `doc` printed flat, followed by the rest of the line, stays
/// within `remaining` columns. The rest ends at its first possible break.
fn fits(doc: &Doc, remaining: usize, rest: &[(usize, Mode, &Doc)]) -> bool {
    let mut remaining = remaining as isize;
    let mut stack: Vec<(Mode, &Doc)> = vec![(Mode::Flat, doc)];
    let mut rest_index = rest.len();
    loop {
        let (mode, d) = match stack.pop() {
            Some(next) => next,
            None => {
                if rest_index == 0 {
                    return true;
                }
                rest_index -= 1;
                match rest.get(rest_index) {
                    Some((_, mode, d)) => (*mode, *d),
                    None => return true,
                }
            }
        };
        match d {
            Doc::Nil => {}
            Doc::Text(s) => {
                if s.contains('\n') {
                    return mode == Mode::Break;
                }
                remaining -= width_of(s) as isize;
                if remaining < 0 {
                    return false;
                }
            }
            Doc::Line | Doc::SoftLine => {
                if mode == Mode::Break {
                    return true;
                }
                if matches!(d, Doc::Line) {
                    remaining -= 1;
                    if remaining < 0 {
                        return false;
                    }
                }
            }
            Doc::HardLine => return mode == Mode::Break,
            Doc::BreakParent => {
                if mode == Mode::Flat {
                    return false;
                }
            }
            Doc::Concat(parts) => {
                for part in parts.iter().rev() {
                    stack.push((mode, part));
                }
            }
            Doc::Nest(inner) => stack.push((mode, inner)),
            Doc::Group(inner, forced) => {
                stack.push((if *forced { Mode::Break } else { mode }, inner));
            }
            Doc::IfBreak(broken, flat) => {
                stack.push((mode, if mode == Mode::Break { broken } else { flat }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Doc {
        let mut inner = vec![Doc::SoftLine];
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                inner.push(text(","));
                inner.push(Doc::Line);
            }
            inner.push(text(*item));
        }
        inner.push(if_break(text(","), Doc::Nil));
        group(concat(vec![text("f("), nest(concat(inner)), Doc::SoftLine, text(")")]))
    }

    // A group stays flat when it fits and breaks one element per line when not.
    #[test]
    fn groups_break_only_when_too_wide() {
        assert_eq!(render(&list(&["a", "b"]), 10), "f(a, b)");
        assert_eq!(render(&list(&["aaaa", "bbbb"]), 10), "f(\n    aaaa,\n    bbbb,\n)");
    }

    // Text after the group up to the next break counts against the width.
    #[test]
    fn suffix_counts_toward_fit() {
        let doc = concat(vec![list(&["a", "b"]), text(";;;;")]);
        assert_eq!(render(&doc, 10), "f(\n    a,\n    b,\n);;;;");
        assert_eq!(render(&doc, 11), "f(a, b);;;;");
    }
}
