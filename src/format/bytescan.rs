//! Finding every place of a few byte values in a buffer, in order: the
//! field splitter's inner loop (delimiter, terminator, quote).
//!
//! [`Specials`] compares 32 bytes at a time against each of three byte
//! values (SSE2, which every x86_64 has; a plain loop elsewhere) and hands
//! out the positions of the set bits of the resulting mask, so the bytes
//! between two special ones cost nothing each. Fields are short (trips.csv
//! averages under 4 bytes), so a `memchr` call per field spends more on its
//! set-up than on the search; one mask per 32 bytes serves many fields.
//! [`Specials::seek`] skips ahead (the caller jumped to a record's end).

/// Bytes compared per block.
const BLOCK: usize = 32;

/// The positions, in increasing order, of the bytes of `data` equal to
/// any of three values.
pub struct Specials<'a> {
    data: &'a [u8],
    needles: [u8; 3],
    /// Start of the current block.
    base: usize,
    /// Matches of the current block not handed out yet (bit i: `base + i`).
    mask: u32,
}

impl<'a> Specials<'a> {
    /// Positions of `a`, `b` and `c` in `data` (values may repeat).
    pub fn new(data: &'a [u8], a: u8, b: u8, c: u8) -> Specials<'a> {
        let mut s = Specials {
            data,
            needles: [a, b, c],
            base: 0,
            mask: 0,
        };
        s.load(0);
        s
    }

    /// Makes `at` (at most the data's length) the current block's start.
    #[inline]
    fn load(&mut self, at: usize) {
        self.base = at;
        self.mask = if at + BLOCK <= self.data.len() {
            block_mask(&self.data[at..at + BLOCK], self.needles)
        } else {
            tail_mask(&self.data[at..], self.needles)
        };
    }

    /// Continues the search at `at`: positions before it are not handed
    /// out.
    #[inline]
    pub fn seek(&mut self, at: usize) {
        self.load(at.min(self.data.len()));
    }
}

impl Iterator for Specials<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.mask != 0 {
                let i = self.mask.trailing_zeros() as usize;
                self.mask &= self.mask - 1;
                return Some(self.base + i);
            }
            let next = self.base + BLOCK;
            if next >= self.data.len() {
                return None;
            }
            self.load(next);
        }
    }
}

/// The match mask of a block shorter than [`BLOCK`] (the data's end).
#[inline]
fn tail_mask(block: &[u8], n: [u8; 3]) -> u32 {
    let mut mask = 0u32;
    for (i, &b) in block.iter().enumerate() {
        if b == n[0] || b == n[1] || b == n[2] {
            mask |= 1 << i;
        }
    }
    mask
}

/// The match mask of a full block.
#[cfg(target_arch = "x86_64")]
#[inline]
fn block_mask(block: &[u8], n: [u8; 3]) -> u32 {
    use std::arch::x86_64::*;
    debug_assert_eq!(block.len(), BLOCK);
    // SAFETY: SSE2 is part of x86_64; the two unaligned loads read the
    // block's 32 bytes, which the slice holds.
    unsafe {
        let p = block.as_ptr() as *const __m128i;
        let lo = _mm_loadu_si128(p);
        let hi = _mm_loadu_si128(p.add(1));
        let half = |v: __m128i| {
            let eq = _mm_or_si128(
                _mm_or_si128(
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(n[0] as i8)),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(n[1] as i8)),
                ),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(n[2] as i8)),
            );
            _mm_movemask_epi8(eq) as u32 & 0xffff
        };
        half(lo) | (half(hi) << 16)
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn block_mask(block: &[u8], n: [u8; 3]) -> u32 {
    tail_mask(block, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(data: &[u8], n: [u8; 3]) -> Vec<usize> {
        (0..data.len()).filter(|&i| n.contains(&data[i])).collect()
    }

    #[test]
    fn finds_every_position_at_every_length_and_alignment() {
        let pattern = b"ab,\"cd\n,,x\"y\n";
        for len in 0..200 {
            let data: Vec<u8> = pattern.iter().cycle().take(len).copied().collect();
            for start in 0..len.min(40) {
                let got: Vec<usize> = Specials::new(&data[start..], b',', b'\n', b'"').collect();
                assert_eq!(got, naive(&data[start..], [b',', b'\n', b'"']));
            }
        }
    }

    #[test]
    fn high_bytes_and_repeated_needles() {
        let data: Vec<u8> = (0..=255u8).cycle().take(700).collect();
        let got: Vec<usize> = Specials::new(&data, 0xff, 0x80, 0x80).collect();
        assert_eq!(got, naive(&data, [0xff, 0x80, 0x80]));
    }

    #[test]
    fn seek_skips_and_resumes() {
        let data = b",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,";
        let mut s = Specials::new(data, b',', b',', b',');
        assert_eq!(s.next(), Some(0));
        s.seek(37);
        assert_eq!(s.next(), Some(37));
        assert_eq!(s.next(), Some(38));
        s.seek(data.len());
        assert_eq!(s.next(), None);
        s.seek(data.len() + 5);
        assert_eq!(s.next(), None);
    }
}
