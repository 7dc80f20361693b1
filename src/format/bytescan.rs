//! The unquoted delimiters and terminators of a buffer, 64 bytes at a
//! time: the field splitter's inner loop.
//!
//! [`Separators`] compares each 64-byte block against the delimiter, the
//! terminator and (CSV) the double quote with a [`Kernel`] (SSE2, which
//! every x86_64 has, a plain loop elsewhere; AVX2 or AVX-512 when the CPU
//! has them and the caller was compiled for them), and hands out two bit masks per block: the
//! delimiters and the terminators that are not inside quotes. Which bytes
//! are quoted is the running parity of the quotes before them (a prefix
//! XOR of the quote mask, carried from block to block), the same rule as
//! toggling a flag at each quote, so `""` inside a quoted field needs no
//! case of its own.
//!
//! A caller walks the masks with bit tricks: the fields of a record are
//! the delimiter bits below the next terminator bit, and the rest of a
//! record past the last field it needs is skipped by clearing bits, so no
//! byte and no separator costs a branch of its own. Before this, one
//! position at a time was handed out of a mask of all three bytes and
//! classified with branches (quote? inside quotes? delimiter?): walking
//! the positions alone took 50 ns a trips.csv record, and the whole
//! pgroupby scan ~130 ns (single thread, in-process, 64 MiB of trips.csv).

/// Bytes per block: one bit each in a `u64`.
const BLOCK: usize = 64;

/// How a block's bytes are compared: the match masks of a full 64-byte
/// block for three needles, and the prefix XOR of a mask.
///
/// [`Sse2`] is the baseline every x86_64 has (a plain loop elsewhere).
/// [`Avx2`] and [`Avx512`] exist only as values that [`Avx2::detect`] and
/// [`Avx512::detect`] made after checking the CPU, and their methods only
/// pay when inlined into a function compiled for those features (the
/// caller's `#[target_feature]` dispatch: see `pgroupby`'s scan). On the
/// 2-core AMD EPYC machine, the four SSE2 compares a needle and the
/// shift-XOR ladder were 12% of pgroupby's low-cardinality benchmark.
pub trait Kernel: Copy {
    fn masks(self, block: &[u8], needles: [u8; 3]) -> [u64; 3];
    fn prefix_xor(self, x: u64) -> u64;
}

/// The baseline kernel (SSE2 on x86_64).
#[derive(Clone, Copy, Debug)]
pub struct Sse2;

impl Kernel for Sse2 {
    #[inline(always)]
    fn masks(self, block: &[u8], needles: [u8; 3]) -> [u64; 3] {
        block_masks(block, needles)
    }
    #[inline(always)]
    fn prefix_xor(self, x: u64) -> u64 {
        prefix_xor(x)
    }
}

/// 32-byte compares and a carry-less multiply for the prefix XOR.
#[derive(Clone, Copy, Debug)]
pub struct Avx2(());

/// 64-byte compares straight into masks, and a carry-less multiply.
#[derive(Clone, Copy, Debug)]
pub struct Avx512(());

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    /// The kernel, when this CPU has AVX2 and PCLMULQDQ, and the bit
    /// instructions (BMI1, BMI2, LZCNT, POPCNT) that a caller compiled for
    /// this kernel also enables: a virtual machine may show AVX2 without
    /// them.
    pub fn detect() -> Option<Avx2> {
        (std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("pclmulqdq")
            && bit_instructions())
        .then_some(Avx2(()))
    }
}

/// True when the CPU has BMI1, BMI2, LZCNT and POPCNT.
#[cfg(target_arch = "x86_64")]
fn bit_instructions() -> bool {
    std::is_x86_feature_detected!("bmi1")
        && std::is_x86_feature_detected!("bmi2")
        && std::is_x86_feature_detected!("lzcnt")
        && std::is_x86_feature_detected!("popcnt")
}

#[cfg(target_arch = "x86_64")]
impl Avx512 {
    /// The kernel, when this CPU has AVX-512 BW and PCLMULQDQ, and what
    /// [`Avx2::detect`] asks for.
    pub fn detect() -> Option<Avx512> {
        (std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512f")
            && Avx2::detect().is_some())
        .then_some(Avx512(()))
    }
}

/// Prefix XOR as a carry-less multiply by all ones.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn clmul_prefix_xor(x: u64) -> u64 {
    use std::arch::x86_64::*;
    // SAFETY: only reached through an `Avx2` or `Avx512` value, which
    // exists only on a CPU with PCLMULQDQ (their `detect`).
    unsafe {
        let p = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1), 0);
        _mm_cvtsi128_si64(p) as u64
    }
}

#[cfg(target_arch = "x86_64")]
impl Kernel for Avx2 {
    #[inline(always)]
    fn masks(self, block: &[u8], n: [u8; 3]) -> [u64; 3] {
        use std::arch::x86_64::*;
        assert!(block.len() >= BLOCK);
        // SAFETY: the CPU has AVX2 (an `Avx2` value exists); the two
        // unaligned loads read the block's 64 bytes, which it holds.
        unsafe {
            let p = block.as_ptr() as *const __m256i;
            let (lo, hi) = (_mm256_loadu_si256(p), _mm256_loadu_si256(p.add(1)));
            let mask = |needle: u8| {
                let s = _mm256_set1_epi8(needle as i8);
                let a = _mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, s)) as u32;
                let b = _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, s)) as u32;
                u64::from(a) | u64::from(b) << 32
            };
            [mask(n[0]), mask(n[1]), mask(n[2])]
        }
    }
    #[inline(always)]
    fn prefix_xor(self, x: u64) -> u64 {
        clmul_prefix_xor(x)
    }
}

#[cfg(target_arch = "x86_64")]
impl Kernel for Avx512 {
    #[inline(always)]
    fn masks(self, block: &[u8], n: [u8; 3]) -> [u64; 3] {
        use std::arch::x86_64::*;
        assert!(block.len() >= BLOCK);
        // SAFETY: the CPU has AVX-512 F and BW (an `Avx512` value
        // exists); the unaligned load reads the block's 64 bytes.
        unsafe {
            let v = _mm512_loadu_si512(block.as_ptr() as *const __m512i);
            let mask = |needle: u8| _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(needle as i8));
            [mask(n[0]), mask(n[1]), mask(n[2])]
        }
    }
    #[inline(always)]
    fn prefix_xor(self, x: u64) -> u64 {
        clmul_prefix_xor(x)
    }
}

/// The blocks of `data` with their unquoted separators, compared with
/// kernel `K`.
pub struct Separators<'a, K: Kernel = Sse2> {
    data: &'a [u8],
    delim: u8,
    term: u8,
    quoting: bool,
    kernel: K,
    /// Start of the next block.
    next: usize,
    /// All ones when the next block starts inside quotes.
    inside: u64,
}

/// One block's separators: bit `i` stands for `data[base + i]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub base: usize,
    pub delims: u64,
    pub terms: u64,
}

impl<'a> Separators<'a, Sse2> {
    /// `quoting`: `"` opens and closes quoted regions (RFC 4180), whose
    /// delimiters and terminators are data.
    pub fn new(data: &'a [u8], delim: u8, term: u8, quoting: bool) -> Separators<'a, Sse2> {
        Separators::with_kernel(data, delim, term, quoting, Sse2)
    }
}

impl<'a, K: Kernel> Separators<'a, K> {
    /// As [`Separators::new`], comparing with `kernel`.
    #[inline(always)]
    pub fn with_kernel(
        data: &'a [u8],
        delim: u8,
        term: u8,
        quoting: bool,
        kernel: K,
    ) -> Separators<'a, K> {
        Separators {
            data,
            delim,
            term,
            quoting,
            kernel,
            next: 0,
            inside: 0,
        }
    }
}

impl<K: Kernel> Iterator for Separators<'_, K> {
    type Item = Block;

    #[inline(always)]
    fn next(&mut self) -> Option<Block> {
        let base = self.next;
        let rest = self.data.len().checked_sub(base).filter(|&n| n > 0)?;
        let needles = [self.delim, self.term, b'"'];
        let [d, t, q] = if rest >= BLOCK {
            self.kernel.masks(&self.data[base..base + BLOCK], needles)
        } else {
            tail_masks(&self.data[base..], needles)
        };
        self.next = base + BLOCK;
        let mut delims = d;
        let mut terms = t;
        if self.quoting {
            // Bit i of `inside` is set when an odd number of quotes lie
            // at or before i (plus the carry): an opening quote and what
            // follows it, up to the closing quote.
            let inside = self.kernel.prefix_xor(q) ^ self.inside;
            delims &= !inside;
            terms &= !inside;
            self.inside = ((inside as i64) >> 63) as u64;
        }
        Some(Block {
            base,
            delims,
            terms,
        })
    }
}

/// Bit i of the result is the XOR of bits 0..=i of `x`.
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The match masks of a block shorter than [`BLOCK`] (the data's end).
#[inline]
fn tail_masks(block: &[u8], n: [u8; 3]) -> [u64; 3] {
    let mut m = [0u64; 3];
    for (i, &b) in block.iter().enumerate() {
        for k in 0..3 {
            m[k] |= u64::from(b == n[k]) << i;
        }
    }
    m
}

/// The match masks of a full block.
#[cfg(target_arch = "x86_64")]
#[inline]
fn block_masks(block: &[u8], n: [u8; 3]) -> [u64; 3] {
    use std::arch::x86_64::*;
    assert!(block.len() >= BLOCK);
    // SAFETY: SSE2 is part of x86_64; the four unaligned loads read the
    // block's 64 bytes, which the slice holds.
    unsafe {
        let p = block.as_ptr() as *const __m128i;
        let v = [
            _mm_loadu_si128(p),
            _mm_loadu_si128(p.add(1)),
            _mm_loadu_si128(p.add(2)),
            _mm_loadu_si128(p.add(3)),
        ];
        let mask = |needle: u8| {
            let s = _mm_set1_epi8(needle as i8);
            let mut m = 0u64;
            for (k, &x) in v.iter().enumerate() {
                let bits = _mm_movemask_epi8(_mm_cmpeq_epi8(x, s)) as u32 & 0xffff;
                m |= u64::from(bits) << (16 * k);
            }
            m
        };
        [mask(n[0]), mask(n[1]), mask(n[2])]
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn block_masks(block: &[u8], n: [u8; 3]) -> [u64; 3] {
    tail_masks(block, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The separators found one byte at a time with a quote flag.
    fn naive(data: &[u8], delim: u8, term: u8, quoting: bool) -> (Vec<usize>, Vec<usize>) {
        let (mut ds, mut ts, mut inside) = (Vec::new(), Vec::new(), false);
        for (i, &b) in data.iter().enumerate() {
            if quoting && b == b'"' {
                inside = !inside;
            } else if !inside && b == delim {
                ds.push(i);
            } else if !inside && b == term {
                ts.push(i);
            }
        }
        (ds, ts)
    }

    fn found_with<K: Kernel>(
        data: &[u8],
        delim: u8,
        term: u8,
        quoting: bool,
        kernel: K,
    ) -> (Vec<usize>, Vec<usize>) {
        let (mut ds, mut ts) = (Vec::new(), Vec::new());
        for b in Separators::with_kernel(data, delim, term, quoting, kernel) {
            for i in 0..64 {
                if b.delims >> i & 1 == 1 {
                    ds.push(b.base + i);
                }
                if b.terms >> i & 1 == 1 {
                    ts.push(b.base + i);
                }
            }
        }
        (ds, ts)
    }

    /// The separators by every kernel this CPU has, which must agree;
    /// prints (once) which kernels were compared, so a run that could
    /// check only the baseline says so.
    fn found(data: &[u8], delim: u8, term: u8, quoting: bool) -> (Vec<usize>, Vec<usize>) {
        let base = found_with(data, delim, term, quoting, Sse2);
        #[cfg(target_arch = "x86_64")]
        {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                eprintln!(
                    "bytescan kernels compared with SSE2: avx2 {}, avx512 {}",
                    Avx2::detect().is_some(),
                    Avx512::detect().is_some()
                )
            });
            if let Some(k) = Avx2::detect() {
                assert_eq!(found_with(data, delim, term, quoting, k), base, "avx2");
            }
            if let Some(k) = Avx512::detect() {
                assert_eq!(found_with(data, delim, term, quoting, k), base, "avx512");
            }
        }
        base
    }

    #[test]
    fn agrees_with_a_quote_flag_at_every_length_and_alignment() {
        let pattern = b"ab,\"c,d\n\"\",,x\"y\n\"\"\"q\",\r\n";
        for len in 0..300 {
            let data: Vec<u8> = pattern.iter().cycle().take(len).copied().collect();
            for start in 0..len.min(70) {
                for quoting in [false, true] {
                    let d = &data[start..];
                    assert_eq!(
                        found(d, b',', b'\n', quoting),
                        naive(d, b',', b'\n', quoting),
                        "len {len} start {start} quoting {quoting}"
                    );
                }
            }
        }
    }

    #[test]
    fn high_bytes_nul_terminators_and_long_quoted_runs() {
        let mut data: Vec<u8> = (0..=255u8).cycle().take(700).collect();
        data.extend_from_slice(b"\"");
        data.extend(std::iter::repeat_n(b'\0', 200));
        data.extend_from_slice(b"\"\0\xff");
        for quoting in [false, true] {
            assert_eq!(
                found(&data, 0xff, 0, quoting),
                naive(&data, 0xff, 0, quoting)
            );
        }
    }
}
