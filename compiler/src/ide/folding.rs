//! Folding ranges: items, contract members, blocks, `match` arms lists,
//! struct literals, runs of `use` lines and of line comments, and block
//! comments. Ranges are byte spans; the editor side turns them into lines
//! and drops those that fit on one line.

use crate::analysis::Analysis;
use crate::ast::{ExprKind, ItemKind};
use crate::lexer::CommentKind;
use crate::span::{FileId, Span};
use crate::walk::{Node, walk_file};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldKind {
    Region,
    Comment,
    Imports,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    pub span: Span,
    pub kind: FoldKind,
}

/// The foldable regions of `file`, sorted by start.
pub fn folding_ranges(analysis: &Analysis, file: FileId) -> Vec<Fold> {
    let Some(data) = analysis.file(file) else { return Vec::new() };
    let mut out = Vec::new();
    let region = |span: Span| Fold { span, kind: FoldKind::Region };
    walk_file(&data.parsed.tree, &mut |node| match node {
        Node::Item(item) if !matches!(item.kind, ItemKind::Use(_) | ItemKind::Error) => {
            out.push(region(item.span))
        }
        Node::Member(member) => out.push(region(member.span)),
        Node::Block(block) => out.push(region(block.span)),
        Node::Expr(e)
            if matches!(e.kind, ExprKind::Match { .. } | ExprKind::StructLit { .. } | ExprKind::List(_)) =>
        {
            out.push(region(e.span))
        }
        _ => {}
    });
    let uses: Vec<Span> = data
        .parsed
        .tree
        .items
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::Use(_)))
        .map(|i| i.span)
        .collect();
    if let (Some(first), Some(last)) = (uses.first(), uses.last())
        && uses.len() > 1
    {
        out.push(Fold { span: first.to(*last), kind: FoldKind::Imports });
    }
    // Line comments on consecutive lines fold together.
    let mut run: Option<Span> = None;
    for comment in &data.parsed.comments {
        if comment.kind == CommentKind::Block {
            out.push(Fold { span: comment.span, kind: FoldKind::Comment });
            continue;
        }
        let between = run.and_then(|r| data.text.get(r.hi as usize..comment.span.lo as usize));
        match (run, between) {
            (Some(r), Some(gap)) if gap.trim().is_empty() && gap.matches('\n').count() == 1 => {
                run = Some(r.to(comment.span));
            }
            _ => {
                if let Some(r) = run {
                    out.push(Fold { span: r, kind: FoldKind::Comment });
                }
                run = Some(comment.span);
            }
        }
    }
    if let Some(r) = run {
        out.push(Fold { span: r, kind: FoldKind::Comment });
    }
    out.sort_by_key(|f| (f.span.lo, std::cmp::Reverse(f.span.hi)));
    out.dedup_by_key(|f| (f.span.lo, f.span.hi));
    out
}
