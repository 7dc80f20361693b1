//! Up to eight bytes of a slice as one integer, the load under every
//! cached key prefix and short-key hash.
//!
//! `copy_from_slice` of a variable length into a zeroed `[u8; 8]` is a
//! call to `memcpy`; [`le_word`] instead combines at most two overlapping
//! fixed-size loads. (The join's probe of 10M keys of 12 bytes called
//! memcpy twice per key for this.) [`find_byte`] looks for a byte a word
//! at a time, for the short fields where `memchr`'s set-up costs more
//! than the search.

/// The first `min(8, len)` bytes of `bytes` as a little-endian number,
/// zero-padded above.
#[inline]
pub fn le_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    if n >= 8 {
        u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"))
    } else if n >= 4 {
        // Two overlapping 4-byte loads: bytes 0..4 and n-4..n.
        let lo = u64::from(u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes")));
        let hi = u64::from(u32::from_le_bytes(
            bytes[n - 4..].try_into().expect("4 bytes"),
        ));
        lo | (hi << ((n - 4) * 8))
    } else if n > 0 {
        // Bytes 0, n/2 and n-1 cover 1, 2 or 3 bytes.
        u64::from(bytes[0])
            | (u64::from(bytes[n / 2]) << (8 * (n / 2)))
            | (u64::from(bytes[n - 1]) << (8 * (n - 1)))
    } else {
        0
    }
}

/// The first `min(8, len)` bytes of `bytes` as a big-endian number,
/// zero-padded below: comparing two such words orders the slices as
/// comparing their first eight bytes (a shorter slice first on a tie).
#[inline]
pub fn be_word(bytes: &[u8]) -> u64 {
    le_word(bytes).swap_bytes()
}

/// How many leading bytes [`find_byte`] checks a word at a time before
/// handing over to `memchr`.
const SHORT: usize = 32;

/// The first place of `byte` in `hay`. The first 32 bytes are checked
/// eight at a time with integer arithmetic (the zero-byte test on
/// `word ^ byte×0x0101…`: its lowest flagged byte is exact, borrows only
/// flag bytes above a true match); the rest, if any, with `memchr`.
/// Fields of sort keys are mostly a few bytes long: on `psort -t TAB
/// -k1,1` of left.tsv (12-byte keys) a byte loop here was 11% of the
/// profile.
#[inline]
pub fn find_byte(byte: u8, hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO.wrapping_mul(u64::from(byte));
    let short = hay.len().min(SHORT);
    let mut i = 0;
    while i + 8 <= short {
        let w = u64::from_le_bytes(hay[i..i + 8].try_into().expect("8 bytes")) ^ pattern;
        let found = w.wrapping_sub(LO) & !w & HI;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    while i < short {
        if hay[i] == byte {
            return Some(i);
        }
        i += 1;
    }
    memchr::memchr(byte, &hay[short..]).map(|j| short + j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_byte_agrees_with_memchr() {
        // Every needle place (and none) in every length around the word
        // and short-part edges, with bytes that set borrows (0x00, 0x01,
        // 0x80, 0xff) next to the needle.
        for needle in [b'\t', 0u8, 0x80, 0xff, b','] {
            for len in 0..=45 {
                for at in (0..len).map(Some).chain([None]) {
                    let mut hay: Vec<u8> = (0..len)
                        .map(|i| [1u8, 0x80, 0xff, 0, b'a'][i % 5])
                        .map(|b| if b == needle { b.wrapping_add(2) } else { b })
                        .collect();
                    if let Some(at) = at {
                        hay[at] = needle;
                        if at + 1 < len {
                            hay[at + 1] = needle;
                        }
                    }
                    assert_eq!(
                        find_byte(needle, &hay),
                        memchr::memchr(needle, &hay),
                        "{needle} {hay:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn loads_every_length_as_a_zero_padded_copy() {
        let data: Vec<u8> = (1..=20u8).map(|b| b.wrapping_mul(37)).collect();
        for start in 0..6 {
            for len in 0..=12 {
                let s = &data[start..start + len];
                let mut b = [0u8; 8];
                let n = len.min(8);
                b[..n].copy_from_slice(&s[..n]);
                assert_eq!(le_word(s), u64::from_le_bytes(b), "{s:?}");
                assert_eq!(be_word(s), u64::from_be_bytes(b), "{s:?}");
            }
        }
    }
}
