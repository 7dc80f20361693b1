//! Up to eight bytes of a slice as one integer, the load under every
//! cached key prefix and short-key hash.
//!
//! `copy_from_slice` of a variable length into a zeroed `[u8; 8]` is a
//! call to `memcpy`; [`le_word`] instead combines at most two overlapping
//! fixed-size loads. (The join's probe of 10M keys of 12 bytes called
//! memcpy twice per key for this.)

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

#[cfg(test)]
mod tests {
    use super::*;

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
