//! A cursor over bytes in this project's fixed layouts (big-endian
//! integers, `u32`-length-prefixed byte strings): the transaction format
//! and the test harness's operations both read with it.
//!
//! Invariant: every read is checked; short or malformed input gives `None`,
//! never a panic.

#[derive(Debug, Clone, Copy)]
pub struct ByteReader<'a> {
    bytes: &'a [u8],
}

impl<'a> ByteReader<'a> {
    pub fn new(bytes: &'a [u8]) -> ByteReader<'a> {
        ByteReader { bytes }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.bytes.split_at_checked(n)?;
        self.bytes = tail;
        Some(head)
    }

    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.array::<4>().map(u32::from_be_bytes)
    }

    pub fn u64(&mut self) -> Option<u64> {
        self.array::<8>().map(u64::from_be_bytes)
    }

    /// A `u32` big-endian length, then that many bytes (the value form of
    /// `Bytes` and `String`).
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    /// Length-prefixed UTF-8 of at most `max` bytes.
    pub fn text(&mut self, max: usize) -> Option<String> {
        let bytes = self.bytes()?;
        if bytes.len() > max {
            return None;
        }
        String::from_utf8(bytes.to_vec()).ok()
    }

    /// Length-prefixed UTF-8 of any length.
    pub fn string(&mut self) -> Option<String> {
        self.text(usize::MAX)
    }

    /// What is left unread.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes
    }
}
