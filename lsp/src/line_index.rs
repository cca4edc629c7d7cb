//! Conversion between byte offsets and LSP positions (line and UTF-16 code
//! unit column).
//!
//! Invariant: every position converts to an offset on a character boundary
//! of the text, whatever the client sends: lines past the end clamp to the
//! end, columns past a line's end clamp to that end, and a column inside a
//! surrogate pair moves back to the start of its character.

use tower_lsp_server::ls_types::{Position, Range};

#[derive(Debug, Clone)]
pub struct LineIndex {
    text: String,
    /// Byte offset where each line starts; the first is 0.
    line_starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i as u32 + 1));
        LineIndex { text: text.to_string(), line_starts }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn len(&self) -> u32 {
        self.text.len() as u32
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The byte range of line `line` without its terminator (`\n` or `\r\n`).
    fn line_bounds(&self, line: usize) -> (u32, u32) {
        let start = self.line_starts.get(line).copied().unwrap_or(self.len());
        let mut end = self.line_starts.get(line + 1).map_or(self.len(), |next| next - 1);
        if end > start && self.text.as_bytes().get(end as usize - 1) == Some(&b'\r') {
            end -= 1;
        }
        (start, end.max(start))
    }

    /// The offset of `position`, clamped into the text.
    pub fn offset(&self, position: Position) -> u32 {
        let last = self.line_starts.len() - 1;
        let line = (position.line as usize).min(last);
        if position.line as usize > last {
            return self.len();
        }
        let (start, end) = self.line_bounds(line);
        let mut units = 0u32;
        let mut offset = start;
        for c in self.text.get(start as usize..end as usize).unwrap_or("").chars() {
            let width = c.len_utf16() as u32;
            if units + width > position.character {
                break;
            }
            units += width;
            offset += c.len_utf8() as u32;
        }
        offset
    }

    /// The position of byte `offset`, clamped into the text and moved back
    /// to a character boundary.
    pub fn position(&self, offset: u32) -> Position {
        let mut offset = offset.min(self.len());
        while !self.text.is_char_boundary(offset as usize) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let character =
            self.text.get(start as usize..offset as usize).map_or(0, |s| s.encode_utf16().count());
        Position { line: line as u32, character: character as u32 }
    }

    pub fn range(&self, lo: u32, hi: u32) -> Range {
        Range { start: self.position(lo), end: self.position(hi) }
    }

    /// The byte range of an LSP range, in order.
    pub fn offsets(&self, range: Range) -> (u32, u32) {
        let (a, b) = (self.offset(range.start), self.offset(range.end));
        (a.min(b), a.max(b))
    }

    /// The number of lines (a final line without terminator counts).
    pub fn line_count(&self) -> u32 {
        self.line_starts.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    // ASCII, multi-byte and astral characters convert both ways.
    #[test]
    fn round_trips_utf16_columns() {
        let text = "ab\nné😀x\r\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(pos(0, 1)), 1);
        assert_eq!(index.offset(pos(1, 0)), 3);
        assert_eq!(index.offset(pos(1, 2)), 6); // after `é` (2 bytes, 1 unit)
        assert_eq!(index.offset(pos(1, 4)), 10); // after the emoji (4 bytes, 2 units)
        assert_eq!(index.offset(pos(1, 5)), 11);
        assert_eq!(index.position(10), pos(1, 4));
        assert_eq!(index.position(11), pos(1, 5));
        assert_eq!(index.offset(pos(2, 4)), text.len() as u32);
        for offset in 0..=text.len() as u32 {
            if text.is_char_boundary(offset as usize) && !text[..offset as usize].ends_with('\r') {
                assert_eq!(index.offset(index.position(offset)), offset, "offset {offset}");
            }
        }
    }

    // Out-of-range positions clamp; a column inside a surrogate pair moves back.
    #[test]
    fn clamps_invalid_positions() {
        let text = "né😀x\r\nz";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(pos(0, 3)), 3); // inside the emoji's pair
        assert_eq!(index.offset(pos(0, 99)), 8); // end of line, before `\r\n`
        assert_eq!(index.offset(pos(9, 0)), text.len() as u32);
        assert_eq!(index.position(999), pos(1, 1));
        assert_eq!(index.position(4), pos(0, 2)); // inside the emoji's bytes
        assert_eq!(LineIndex::new("").offset(pos(3, 3)), 0);
    }
}
