//! Comment placement: hands each comment to the line-level element it
//! belongs to (before it, trailing on its line, or at a container's end).
//!
//! Invariant: every comment is taken exactly once, in source order, so the
//! formatter never drops or duplicates one. Blank-line decisions read only
//! the gaps the formatter itself reproduces, which keeps output idempotent.

use super::doc::{Doc, concat, text};
use crate::lexer::{Comment, CommentKind};

/// One output line of a container: whether a blank line precedes it, and
/// its content.
pub type Line = (bool, Doc);

/// What to do with comments found inside an element that no nested element
/// claimed (for instance a comment in the middle of an expression).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leftovers {
    /// Put them on their own lines just before the element.
    Prepend,
    /// Keep them for the next element's leading comments (items and
    /// members, where a comment before the item would detach its doc).
    Carry,
}

/// Where blank lines between lines of a container come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blank {
    /// Never a blank line.
    Never,
    /// A blank line where the source had one or more.
    Keep,
}

pub struct Trivia<'a> {
    source: &'a str,
    comments: &'a [Comment],
    next: usize,
    carried: Vec<&'a Comment>,
}

impl<'a> Trivia<'a> {
    pub fn new(source: &'a str, comments: &'a [Comment]) -> Trivia<'a> {
        Trivia { source, comments, next: 0, carried: Vec::new() }
    }

    /// Takes every comment not yet placed that starts before `offset`,
    /// carried ones first.
    pub fn take_before(&mut self, offset: u32) -> Vec<&'a Comment> {
        let mut taken: Vec<&'a Comment> = std::mem::take(&mut self.carried);
        while let Some(comment) = self.comments.get(self.next) {
            if comment.span.lo >= offset {
                break;
            }
            taken.push(comment);
            self.next += 1;
        }
        taken
    }

    /// The offset just past the first `close` byte at or after `from` that
    /// is not inside a comment; used to find a list's closing bracket when
    /// only the elements' spans are known.
    pub fn closing_after(&self, from: u32, close: u8) -> Option<u32> {
        let bytes = self.source.as_bytes();
        let mut at = from as usize;
        let mut comment_index = self.comments.partition_point(|c| (c.span.lo as usize) < at);
        while let Some(&b) = bytes.get(at) {
            if let Some(comment) = self.comments.get(comment_index)
                && comment.span.lo as usize == at
            {
                at = comment.span.hi as usize;
                comment_index += 1;
                continue;
            }
            if b == close {
                return u32::try_from(at + 1).ok();
            }
            at += 1;
        }
        None
    }

    pub fn carry(&mut self, comments: Vec<&'a Comment>) {
        self.carried.extend(comments);
    }

    /// Takes the comments that follow `offset` on the same source line with
    /// only spaces, commas or semicolons between, as trailing text.
    pub fn take_trailing(&mut self, offset: u32) -> Doc {
        let mut parts = Vec::new();
        let mut from = offset;
        while let Some(comment) = self.comments.get(self.next) {
            let between = self.source.get(from as usize..comment.span.lo as usize);
            let same_line =
                between.is_some_and(|gap| gap.chars().all(|c| c == ' ' || c == '\t' || c == ',' || c == ';'));
            if !same_line {
                break;
            }
            parts.push(text(" "));
            parts.push(comment_text(comment));
            // A `/* */` comment may stay inside a flat line; a `//` one ends it.
            if comment.kind != CommentKind::Block {
                parts.push(Doc::BreakParent);
            }
            from = comment.span.hi;
            self.next += 1;
        }
        concat(parts)
    }

    /// Whether the source between two offsets holds an empty line.
    pub fn blank_between(&self, from: u32, to: u32) -> bool {
        let Some(gap) = self.source.get(from as usize..to as usize) else {
            return false;
        };
        let segments: Vec<&str> = gap.split('\n').collect();
        let interior = segments.len().saturating_sub(1);
        segments.iter().take(interior).skip(1).any(|s| s.trim().is_empty())
    }

    /// Pushes the comments left before a container's closing offset.
    pub fn close(&mut self, lines: &mut Vec<Line>, prev: Option<u32>, blank: Blank, end: u32) {
        let mut last = prev;
        for comment in self.take_before(end) {
            let gap = last.is_some_and(|p| blank == Blank::Keep && self.blank_between(p, comment.span.lo));
            lines.push((gap, comment_line(comment)));
            last = Some(comment.span.hi);
        }
    }
}

/// A comment on a line of its own; it forces any enclosing list to break
/// (a `//` comment must not be followed by more code on its line).
pub fn comment_line(comment: &Comment) -> Doc {
    concat(vec![comment_text(comment), Doc::BreakParent])
}

/// A comment as printed: line comments lose trailing spaces, doc and block
/// comments stay verbatim (a doc comment's text is part of the tree).
pub fn comment_text(comment: &Comment) -> Doc {
    match comment.kind {
        CommentKind::Line => text(comment.text.trim_end()),
        CommentKind::Doc | CommentKind::Block => text(comment.text.clone()),
    }
}

/// Joins container lines with hard breaks, adding the recorded blank lines.
pub fn join_hard(lines: Vec<Line>) -> Doc {
    let mut parts = Vec::new();
    for (i, (blank, doc)) in lines.into_iter().enumerate() {
        if i > 0 {
            parts.push(Doc::HardLine);
            if blank {
                parts.push(Doc::HardLine);
            }
        }
        parts.push(doc);
    }
    concat(parts)
}
