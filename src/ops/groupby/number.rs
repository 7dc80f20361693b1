//! Numbers as datamash reads, adds and prints them.
//!
//! - [`parse`]: what `strtold` accepts in a whole field (leading blanks,
//!   sign, decimal or hex digits, exponent, `inf`, `nan`), with a fast path
//!   for plain decimals (`-12.50`): digits into a `u64` and one exact
//!   division by a power of ten (Clinger's fast path, correctly rounded);
//!   anything else goes through `str::parse::<f64>`, also correctly rounded.
//! - [`decimal`]: a short plain decimal as the integer of its digits and
//!   its scale, which `sum` and `mean` add without rounding; its digits
//!   read by a [`DigitReader`], one 64-bit word ([`Swar`]) or a byte
//!   shuffle and multiply-adds ([`Ssse3`]), which agree on every field.
//! - [`ExactSum`]: an exact accumulator of `f64` values and of decimals.
//!   The doubles' sum is kept as an integer times a power of two, in an
//!   `i128` while it fits and in a growable big integer after; the
//!   decimals' as an integer times a power of ten. Adding in any order and
//!   combining partial sums in any grouping gives the same bits: results
//!   do not depend on the chunk size or `-j`. It is rounded once, at the
//!   end.
//! - [`Format`]: C `printf` of one floating-point conversion (`%.14g`
//!   by default, as datamash's `%.14Lg`; `-R N` is `%.Nf`; `--format`).
//!
//! datamash computes in `long double` (64-bit mantissa); we read values
//! into `f64` (or, for `sum` and `mean`, short decimals as written) and sum
//! exactly, so a last-digit difference is possible only where the 14th
//! significant digit sits on a rounding edge.

use crate::error::{Error, Result};

/// Parses a whole field as `strtold` would (the whole field must be used).
/// `None` when it is not a number (datamash: "invalid numeric value").
#[inline]
pub fn parse(s: &[u8]) -> Option<f64> {
    if let Some(v) = parse_plain(s) {
        return Some(v);
    }
    parse_general(s)
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `[-+]digits[.digits]` with at most 15 significant digits... answered
/// exactly: both the integer and the power of ten are exact doubles, so one
/// division is correctly rounded.
#[inline]
fn parse_plain(s: &[u8]) -> Option<f64> {
    let (neg, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if let Some((m, frac)) = short_decimal(digits) {
        let v = m as f64 / POW10[frac];
        return Some(if neg { -v } else { v });
    }
    let mut m: u64 = 0;
    let mut n = 0usize;
    let mut frac = 0usize;
    let mut seen_dot = false;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                m = m * 10 + u64::from(b - b'0');
                n += 1;
                if seen_dot {
                    frac += 1;
                }
                if n > 15 {
                    return None;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return None,
        }
    }
    if n == 0 {
        return None;
    }
    let v = m as f64 / POW10[frac];
    Some(if neg { -v } else { v })
}

/// A short plain decimal (`[-+]` then at most 8 bytes of digits and one
/// dot) as `(signed integer of its digits, digits after the dot)`: the
/// exact value a sum takes without rounding it to a double first (see
/// [`ExactSum::add_decimal`]). `None` for every other shape, which
/// [`parse`] still reads. Always inlined: called per value from the
/// per-record loop, which is compiled once per byte kernel
/// (`aggregate_with`); left to the inliner, the AVX builds called it out
/// of line (18% of the low-cardinality query's profile).
#[inline(always)]
pub fn decimal(s: &[u8]) -> Option<(i64, u32)> {
    decimal_with(s, Swar)
}

/// [`decimal`], its digits read by `reader`.
#[inline(always)]
pub fn decimal_with<R: DigitReader>(s: &[u8], reader: R) -> Option<(i64, u32)> {
    let (neg, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let len = digits.len();
    if len == 0 || len > 8 {
        return None;
    }
    let (m, frac) = reader.short_decimal(crate::word::le_word(digits), len)?;
    let m = m as i64;
    Some((if neg { -m } else { m }, frac as u32))
}

/// [`decimal_with`] of the field `data[field]`, for the per-record loop:
/// the sign is taken off without a branch and the digits come from one
/// 8-byte load of `data` (bytes past the field are ignored), where
/// `le_word` of the field's slice branched on its length.
#[inline(always)]
pub fn decimal_in<R: DigitReader>(
    data: &[u8],
    field: std::ops::Range<usize>,
    reader: R,
) -> Option<(i64, u32)> {
    // An empty field's "first byte" is the next one, harmless: the
    // length test below fails either way.
    let first = *data.get(field.start)?;
    let neg = first == b'-';
    let start = field.start + usize::from(neg || first == b'+');
    let len = field.end.wrapping_sub(start);
    if len.wrapping_sub(1) >= 8 {
        return None;
    }
    let w = match data.get(start..start + 8) {
        Some(b) => u64::from_le_bytes(b.try_into().expect("8 bytes")),
        None => crate::word::le_word(&data[start..field.end]),
    };
    let (m, frac) = reader.short_decimal(w, len)?;
    let m = m as i64;
    Some((if neg { -m } else { m }, frac as u32))
}

/// How the digits of a short decimal become an integer: [`Swar`], one
/// 64-bit word (any CPU), or [`Ssse3`], a byte shuffle and multiply-adds.
pub trait DigitReader: Copy {
    /// `short_decimal` of the `len` (1 to 8) low bytes of `w`; the bytes
    /// above them are ignored.
    fn short_decimal(self, w: u64, len: usize) -> Option<(u64, usize)>;
}

/// The word-at-a-time reader (`short_decimal_word`).
#[derive(Clone, Copy, Debug)]
pub struct Swar;

impl DigitReader for Swar {
    #[inline(always)]
    fn short_decimal(self, w: u64, len: usize) -> Option<(u64, usize)> {
        let keep = 8 * len as u32;
        short_decimal_word(w & u64::MAX.checked_shr(64 - keep).unwrap_or(0), len)
    }
}

/// One byte shuffle takes the digits out of the field, dropping the dot
/// and right-aligning them (a table by length and dot place), and three
/// multiply-adds make the integer: 23 instructions a value fewer than the
/// word reader (callgrind on pgroupby's low-cardinality query, 1.036G ->
/// 0.969G), `-j1` on 3M rows of trips.csv 106/111 -> 99/103 ms. Exists
/// only where the CPU has SSSE3 and SSE4.1 ([`Ssse3::detect`]); pays when
/// inlined into a function compiled for them (pgroupby's AVX2 and AVX-512
/// loops).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub struct Ssse3(());

#[cfg(target_arch = "x86_64")]
impl Ssse3 {
    /// The reader, when this CPU has SSSE3 and SSE4.1.
    pub fn detect() -> Option<Ssse3> {
        (std::is_x86_feature_detected!("ssse3") && std::is_x86_feature_detected!("sse4.1"))
            .then_some(Ssse3(()))
    }
}

/// `DIGITS[len][row]`, for a field of `len` bytes whose first dot is at
/// `row` (8: no dot): bytes 0 to 7 are the byte shuffle that drops the
/// dot and right-aligns the digits (the most significant first; 0x80
/// gives a zero byte), byte 15 the number of digits after the dot. For a
/// lone dot (`len` 1, `row` 0) output byte 7 takes the dot itself, which
/// then fails the digit test: `.` is no number.
#[cfg(target_arch = "x86_64")]
static DIGITS: [[[u8; 16]; 9]; 9] = digit_tables();

#[cfg(target_arch = "x86_64")]
const fn digit_tables() -> [[[u8; 16]; 9]; 9] {
    let mut t = [[[0x80u8; 16]; 9]; 9];
    let mut len = 1;
    while len <= 8 {
        let mut dot = 0;
        while dot <= 8 {
            let n = if dot < len { len - 1 } else { len };
            let (mut i, mut j) = (0, 0);
            while i < len {
                if i != dot {
                    t[len][dot][8 - n + j] = i as u8;
                    j += 1;
                }
                i += 1;
            }
            if n == 0 {
                t[len][dot][7] = 0;
            }
            t[len][dot][15] = if dot < len { (len - 1 - dot) as u8 } else { 0 };
            dot += 1;
        }
        len += 1;
    }
    t
}

#[cfg(target_arch = "x86_64")]
impl DigitReader for Ssse3 {
    #[inline(always)]
    fn short_decimal(self, w: u64, len: usize) -> Option<(u64, usize)> {
        use std::arch::x86_64::*;
        debug_assert!((1..=8).contains(&len));
        // SAFETY: an `Ssse3` value exists only on a CPU with SSSE3 and
        // SSE4.1 (`detect`); the table entry is 16 bytes.
        unsafe {
            let v = _mm_cvtsi64_si128(w as i64);
            let dots = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8))) as u32
                & ((1u32 << len) - 1);
            // The first dot is the decimal point (8: none); another one
            // fails the digit test below, as in the word reader. The
            // table answers the rest, so there is no branch on the dot.
            let row = (dots | 1 << 8).trailing_zeros() as usize;
            let entry = &DIGITS[len][row];
            let order = _mm_loadu_si128(entry.as_ptr() as *const __m128i);
            let d = _mm_shuffle_epi8(_mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8)), order);
            // Every byte a digit: 0..=9 once '0' is taken off (the zero
            // fillers pass).
            let digits = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
            if _mm_movemask_epi8(digits) & 0xff != 0xff {
                return None;
            }
            let pairs = _mm_maddubs_epi16(
                d,
                _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 0, 0, 0, 0, 0, 0, 0, 0),
            );
            let fours = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 0, 0, 0, 0));
            let packed = _mm_packus_epi32(fours, fours);
            let all = _mm_madd_epi16(packed, _mm_setr_epi16(10000, 1, 0, 0, 0, 0, 0, 0));
            Some((_mm_cvtsi128_si32(all) as u32 as u64, usize::from(entry[15])))
        }
    }
}

/// `digits[.digits]` of at most 8 bytes as (integer of all its digits,
/// digits after the dot), read as one word: the typical value (`12.50`,
/// `0.41`) costs a few multiplies and no branch per byte. The byte loop
/// of [`parse_plain`] mispredicted on every field length and dot
/// position: it was the hottest spot of pgroupby's benchmark queries
/// (perf on trips.csv, two numeric columns a record). `None` means "not
/// this shape": the caller takes the byte loop, which answers the same.
#[inline(always)]
fn short_decimal(s: &[u8]) -> Option<(u64, usize)> {
    let len = s.len();
    if len == 0 || len > 8 {
        return None;
    }
    short_decimal_word(crate::word::le_word(s), len)
}

/// [`short_decimal`] of the `len` (1 to 8) low bytes of `w`, zero above.
#[inline(always)]
fn short_decimal_word(w: u64, len: usize) -> Option<(u64, usize)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // The first '.' (exact for the lowest zero byte of w ^ '.'s).
    let x = w ^ (ONES * u64::from(b'.'));
    let dots = x.wrapping_sub(ONES) & !x & (ONES << 7);
    let dot = (dots.trailing_zeros() / 8) as usize;
    let (w, n, frac) = if dot < len {
        let low = w & ((1u64 << (8 * dot)) - 1);
        // Two shifts, each below 64 (dot <= 7): no test for a last-byte dot.
        let high = (w >> (8 * dot)) >> 8;
        (low | (high << (8 * dot)), len - 1, len - 1 - dot)
    } else {
        (w, len, 0)
    };
    if n == 0 {
        return None;
    }
    // The n digits moved to the top bytes, '0's below: eight digits, the
    // most significant in byte 0.
    let pad = 8 * (8 - n) as u32;
    let filled = (w << pad) | ((ONES * u64::from(b'0')) & ((1u64 << pad) - 1));
    let d = filled.wrapping_sub(ONES * u64::from(b'0'));
    // Every byte a digit: no byte borrowed below '0' (high nibble 0) and
    // none above '9' (adding 6 stays below 16).
    let bad =
        ((filled & (ONES * 0xf0)) ^ (ONES * 0x30)) | (d.wrapping_add(ONES * 6) & (ONES * 0xf0));
    if bad != 0 {
        return None;
    }
    // Pairs, then fours, then all eight (byte 0 most significant).
    let d = (d.wrapping_mul(10) + (d >> 8)) & 0x00ff_00ff_00ff_00ff;
    let d = (d.wrapping_mul(100) + (d >> 16)) & 0x0000_ffff_0000_ffff;
    let d = (d.wrapping_mul(10000) + (d >> 32)) & 0xffff_ffff;
    Some((d, frac))
}

/// The rest of `strtold`'s grammar.
fn parse_general(s: &[u8]) -> Option<f64> {
    let start = s
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))?;
    let t = std::str::from_utf8(&s[start..]).ok()?;
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let v = if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else if lower == "nan"
        || (lower.starts_with("nan(")
            && lower.ends_with(')')
            && lower[4..lower.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        f64::NAN
    } else if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex(hex)?
    } else {
        // Rust accepts exactly the decimal forms strtold does, except that
        // it also takes "inf"/"nan" spellings we handled above and refuses
        // a lone "." (strtold too).
        let b = body.as_bytes();
        if !b.first().is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
            return None;
        }
        if !b
            .iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        let v: f64 = body.parse().ok()?;
        if v.is_infinite() {
            return None; // ERANGE in datamash (beyond f64 here)
        }
        v
    };
    Some(if neg { -v } else { v })
}

/// Hex float body after `0x`: hex digits, optional `.`, optional `p±exp`.
fn parse_hex(s: &str) -> Option<f64> {
    let (mant, exp) = match s.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

/// datamash's `--narm`: `NA`, `N/A` and `NaN`, any case.
#[inline]
pub fn is_na(s: &[u8]) -> bool {
    s.eq_ignore_ascii_case(b"NA")
        || s.eq_ignore_ascii_case(b"N/A")
        || s.eq_ignore_ascii_case(b"NaN")
}

// ---------------------------------------------------------------------
// Exact summation.

/// Exact sum of `f64` values (see the module doc). NaN and infinities are
/// counted apart; the sum of `+inf` and `-inf` is `-nan`, as x87 gives.
/// An `i128` stored as two `u64`s (8-byte alignment).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Small([u64; 2]);

impl Small {
    #[inline]
    fn get(self) -> i128 {
        ((i128::from(self.0[1] as i64)) << 64) | i128::from(self.0[0])
    }
    #[inline]
    fn of(v: i128) -> Small {
        Small([v as u64, (v >> 64) as u64])
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExactSum {
    /// The sum of the doubles added is `small * 2^exp` while `big` is
    /// `None`; an `i128` kept as two words so the struct is 8-aligned (48
    /// bytes, not 64: one state per group and operation, so it counts
    /// against the budget).
    small: Small,
    /// The sum of the decimals added ([`ExactSum::add_decimal`]) is
    /// `dec / 10^scale`, `scale` at most 7. It cannot overflow: a short
    /// decimal is below 10^8 and has at most 7 digits after the dot, so
    /// each adds less than 10^15 at scale 7, and 2^64 of them stay below
    /// 2^114.
    dec: Small,
    exp: i32,
    scale: u8,
    big: Option<Box<BigFixed>>,
    /// Bit 0: +inf seen, bit 1: -inf seen, bit 2: nan seen.
    special: u8,
}

const POW10_I64: [i64; 8] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000];

impl ExactSum {
    #[inline]
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            self.special |= if x.is_nan() {
                4
            } else if x > 0.0 {
                1
            } else {
                2
            };
            return;
        }
        if x == 0.0 {
            return;
        }
        let (m, e) = decompose(x);
        self.add_scaled(i128::from(m), e);
    }

    /// Adds the decimal `m / 10^frac` exactly (as [`decimal`] reads it,
    /// `frac` at most 7). A sum of the decimals as written, where [`add`]
    /// would first round each to a double: no division and no
    /// normalisation per value, so summing a column of plain decimals
    /// costs an integer add (the division and the exact binary add were
    /// half of pgroupby's time per value on trips.csv).
    ///
    /// [`add`]: ExactSum::add
    #[inline]
    pub fn add_decimal(&mut self, m: i64, frac: u32) {
        debug_assert!(frac <= 7);
        self.add_dec(i128::from(m), frac as u8);
    }

    /// Adds `m / 10^scale` to the decimal part, rescaling whichever of the
    /// two has fewer digits after the dot.
    #[inline]
    fn add_dec(&mut self, mut m: i128, scale: u8) {
        let mut dec = self.dec.get();
        if scale == self.scale {
            // A column's values mostly share their scale: no multiply (an
            // i128 one was 5% of the low-cardinality query).
        } else if scale > self.scale {
            dec *= i128::from(POW10_I64[usize::from(scale - self.scale)]);
            self.scale = scale;
        } else {
            m *= i128::from(POW10_I64[usize::from(self.scale - scale)]);
        }
        self.dec = Small::of(dec + m);
    }

    /// Adds `m * 2^e`.
    #[inline]
    fn add_scaled(&mut self, m: i128, e: i32) {
        if m == 0 {
            return;
        }
        if let Some(b) = &mut self.big {
            b.add(m, e);
            return;
        }
        let small = self.small.get();
        if small == 0 {
            self.small = Small::of(m);
            self.exp = e;
            return;
        }
        if e >= self.exp {
            let shift = (e - self.exp) as u32;
            if shift < 127 {
                let spare = m.unsigned_abs().leading_zeros();
                if shift + 1 < spare {
                    if let Some(s) = small.checked_add(m << shift) {
                        self.small = Small::of(s);
                        return;
                    }
                }
            }
        } else {
            let shift = (self.exp - e) as u32;
            let spare = small.unsigned_abs().leading_zeros();
            if shift + 1 < spare {
                if let Some(s) = (small << shift).checked_add(m) {
                    self.small = Small::of(s);
                    self.exp = e;
                    return;
                }
            }
        }
        let mut b = BigFixed::default();
        b.add(small, self.exp);
        b.add(m, e);
        self.small = Small::default();
        self.big = Some(Box::new(b));
    }

    /// Adds another sum (exactly).
    pub fn merge(&mut self, other: &ExactSum) {
        self.special |= other.special;
        if other.dec != Small::default() {
            self.add_dec(other.dec.get(), other.scale);
        }
        match &other.big {
            None => self.add_scaled(other.small.get(), other.exp),
            Some(b) => {
                for (i, &limb) in b.limbs.iter().enumerate() {
                    let last = i + 1 == b.limbs.len();
                    let v = if last {
                        i128::from(limb as i64)
                    } else {
                        i128::from(limb)
                    };
                    self.add_scaled(v, b.exp + 64 * i as i32);
                }
            }
        }
    }

    /// The sum, rounded to `f64`: correctly while only doubles were
    /// added; with decimals, the nearest double to its double-double.
    pub fn value(&self) -> f64 {
        if self.dec != Small::default() && self.special == 0 {
            return self.double_double().0;
        }
        self.binary_value()
    }

    /// The sum of the doubles added, correctly rounded.
    fn binary_value(&self) -> f64 {
        match self.special {
            0 => {}
            s if s & 4 != 0 => return f64::NAN,
            3 => return -f64::NAN,
            1 => return f64::INFINITY,
            _ => return f64::NEG_INFINITY,
        }
        match &self.big {
            None => round_i128(self.small.get(), self.exp),
            Some(b) => b.to_f64(),
        }
    }

    /// The sum as `hi + lo`, each rounded (a double-double).
    pub fn double_double(&self) -> (f64, f64) {
        let hi = self.binary_value();
        if !hi.is_finite() {
            return (hi, 0.0);
        }
        let mut rest = self.clone();
        rest.dec = Small::default();
        rest.add(-hi);
        let binary = (hi, rest.binary_value());
        if self.dec == Small::default() {
            return binary;
        }
        // The decimals: their integer as a double-double (exact to 2^-106
        // of it), divided by the power of ten.
        let dec = self.dec.get();
        let dh = dec as f64;
        let dl = (dec - dh as i128) as f64;
        let (dh, dl) = if self.scale == 0 {
            (dh, dl)
        } else {
            dd_div((dh, dl), POW10[usize::from(self.scale)])
        };
        // Two-sum of the high parts, then the low parts into the error.
        let s = binary.0 + dh;
        let bb = s - binary.0;
        let err = (binary.0 - (s - bb)) + (dh - bb);
        let lo = err + binary.1 + dl;
        let hi = s + lo;
        (hi, lo - (hi - s))
    }

    /// Serializes (for spill files).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.special);
        out.push(self.scale);
        out.extend_from_slice(&self.dec.get().to_le_bytes());
        match &self.big {
            None => {
                out.push(0);
                out.extend_from_slice(&self.small.get().to_le_bytes());
                out.extend_from_slice(&self.exp.to_le_bytes());
            }
            Some(b) => {
                out.push(1);
                out.extend_from_slice(&b.exp.to_le_bytes());
                out.extend_from_slice(&(b.limbs.len() as u32).to_le_bytes());
                for l in &b.limbs {
                    out.extend_from_slice(&l.to_le_bytes());
                }
            }
        }
    }

    pub fn decode(r: &mut Reader) -> Option<ExactSum> {
        let special = r.u8()?;
        let scale = r.u8()?;
        let dec = Small::of(i128::from_le_bytes(r.take(16)?.try_into().ok()?));
        match r.u8()? {
            0 => {
                let small = Small::of(i128::from_le_bytes(r.take(16)?.try_into().ok()?));
                let exp = r.i32()?;
                Some(ExactSum {
                    small,
                    dec,
                    exp,
                    scale,
                    big: None,
                    special,
                })
            }
            _ => {
                let exp = r.i32()?;
                let n = r.u32()? as usize;
                let mut limbs = Vec::with_capacity(n);
                for _ in 0..n {
                    limbs.push(u64::from_le_bytes(r.take(8)?.try_into().ok()?));
                }
                Some(ExactSum {
                    small: Small::default(),
                    dec,
                    exp: 0,
                    scale,
                    big: Some(Box::new(BigFixed { limbs, exp })),
                    special,
                })
            }
        }
    }
}

/// Exact `n * Σx² - (Σx)²` from exact sums, rounded once: the numerator of
/// the variance, free of the order the values came in.
pub fn variance_numerator(n: u64, sum: &ExactSum, sumsq: &ExactSum) -> ExactSum {
    let (sh, sl) = sum.double_double();
    let (qh, ql) = sumsq.double_double();
    let mut d = ExactSum::default();
    if !(sh.is_finite() && qh.is_finite()) {
        d.add(f64::NAN);
        return d;
    }
    let nf = n as f64;
    for (a, b, sign) in [
        (nf, qh, 1.0),
        (nf, ql, 1.0),
        (sh, sh, -1.0),
        (2.0 * sh, sl, -1.0),
        (sl, sl, -1.0),
    ] {
        let p = a * b;
        let err = a.mul_add(b, -p);
        d.add(sign * p);
        d.add(sign * err);
    }
    d
}

/// A value carried as an unevaluated sum `hi + lo` (double-double), so
/// results keep ~32 digits until printed: datamash's long double results
/// then round to the same 14 digits except on a true near-tie.
pub type Dd = (f64, f64);

/// `(hi + lo) / d`, as a double-double.
pub fn dd_div((hi, lo): Dd, d: f64) -> Dd {
    let q = hi / d;
    if !q.is_finite() {
        return (q, 0.0);
    }
    let r = (-q).mul_add(d, hi);
    (q, (r + lo) / d)
}

/// The square root of a double-double (one Newton step).
pub fn dd_sqrt((hi, lo): Dd) -> Dd {
    let s = hi.sqrt();
    if !s.is_finite() || s == 0.0 {
        return (s, 0.0);
    }
    let e = (-s).mul_add(s, hi) + lo;
    (s, e / (2.0 * s))
}

/// Adds `x * x` exactly (as two doubles) to `acc`.
#[inline]
pub fn add_square(acc: &mut ExactSum, x: f64) {
    let p = x * x;
    acc.add(p);
    if p.is_finite() {
        acc.add(x.mul_add(x, -p));
    }
}

/// A finite nonzero double as `m * 2^e` with `m` odd.
#[inline]
fn decompose(x: f64) -> (i64, i32) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mut m, mut e) = if biased == 0 {
        (frac as i64, -1074)
    } else {
        ((frac | (1u64 << 52)) as i64, biased - 1075)
    };
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    if x < 0.0 {
        m = -m;
    }
    (m, e)
}

/// Rounds `m * 2^e` to the nearest double, ties to even.
fn round_i128(m: i128, e: i32) -> f64 {
    if m == 0 {
        return 0.0;
    }
    let neg = m < 0;
    let mag = m.unsigned_abs();
    let top = 127 - mag.leading_zeros() as i32; // index of the highest bit
    let (hi, sticky) = if top >= 63 {
        let sh = (top - 63) as u32;
        ((mag >> sh) as u64, mag & ((1u128 << sh) - 1) != 0)
    } else {
        ((mag << (63 - top) as u32) as u64, false)
    };
    round_parts(neg, hi, sticky, e + top)
}

/// Rounds a magnitude whose highest 64 bits are `hi` (bit 63 set), whose
/// lower bits are nonzero when `sticky`, and whose highest bit has weight
/// `2^top`.
fn round_parts(neg: bool, hi: u64, sticky: bool, top: i32) -> f64 {
    // Bits kept: 53 for a normal result, fewer for a subnormal one.
    let keep = if top < -1022 { 53 - (-1022 - top) } else { 53 };
    let v = if keep <= 0 {
        // Below half the smallest subnormal, or around it.
        let up = keep == 0 && (hi > 1 << 63 || (hi == 1 << 63 && sticky));
        if up {
            pow2(-1074)
        } else {
            0.0
        }
    } else {
        let drop = (64 - keep) as u32;
        let mut mant = hi >> drop;
        let rem = hi & ((1u64 << drop) - 1);
        let half = 1u64 << (drop - 1);
        if rem > half || (rem == half && (sticky || mant & 1 == 1)) {
            mant += 1;
        }
        (mant as f64) * pow2(top - keep + 1)
    };
    if neg {
        -v
    } else {
        v
    }
}

/// `2^e` for any `e`, via two steps so intermediate values stay finite.
fn pow2(e: i32) -> f64 {
    if e > 1023 {
        return f64::INFINITY;
    }
    if e < -1022 {
        return 2f64.powi(-1022) * 2f64.powi((e + 1022).max(-1100));
    }
    2f64.powi(e)
}

/// A two's-complement big integer `limbs * 2^exp` (little-endian limbs;
/// the top limb's sign is the number's).
#[derive(Clone, Debug, Default, PartialEq)]
struct BigFixed {
    limbs: Vec<u64>,
    exp: i32,
}

impl BigFixed {
    fn negative(&self) -> bool {
        self.limbs.last().is_some_and(|&l| (l as i64) < 0)
    }

    fn add(&mut self, m: i128, e: i32) {
        if m == 0 {
            return;
        }
        if self.limbs.is_empty() {
            self.exp = e;
        }
        if e < self.exp {
            self.shift_left((self.exp - e) as u32);
            self.exp = e;
        }
        let off = (e - self.exp) as usize;
        let (idx, bit) = (off / 64, (off % 64) as u32);
        // The addend as 3 limbs (192 bits, sign-extended), shifted by bit.
        let lo = m as u128;
        let sign = if m < 0 { u64::MAX } else { 0 };
        let mut add = [lo as u64, (lo >> 64) as u64, sign, sign];
        if bit > 0 {
            add[3] = (add[3] << bit) | (add[2] >> (64 - bit));
            add[2] = (add[2] << bit) | (add[1] >> (64 - bit));
            add[1] = (add[1] << bit) | (add[0] >> (64 - bit));
            add[0] <<= bit;
        }
        let need = idx + add.len() + 1;
        let fill = if self.negative() { u64::MAX } else { 0 };
        if self.limbs.len() < need {
            self.limbs.resize(need, fill);
        }
        let mut carry = false;
        for (i, limb) in self.limbs.iter_mut().enumerate().skip(idx) {
            let a = if i - idx < add.len() {
                add[i - idx]
            } else {
                sign
            };
            let (s1, c1) = limb.overflowing_add(a);
            let (s2, c2) = s1.overflowing_add(u64::from(carry));
            *limb = s2;
            carry = c1 || c2;
        }
        // Keep a pure sign limb on top so the next add cannot overflow.
        let top = *self.limbs.last().unwrap_or(&0);
        let below = self.limbs.len().checked_sub(2).map_or(0, |i| self.limbs[i]);
        if !(top == 0 && (below as i64) >= 0 || top == u64::MAX && (below as i64) < 0) {
            let s = if (top as i64) < 0 { u64::MAX } else { 0 };
            self.limbs.push(s);
        }
    }

    fn shift_left(&mut self, by: u32) {
        let (words, bits) = ((by / 64) as usize, by % 64);
        let fill = if self.negative() { u64::MAX } else { 0 };
        let mut v = vec![0u64; words];
        v.extend_from_slice(&self.limbs);
        v.push(fill);
        if bits > 0 {
            for i in (words..v.len()).rev() {
                let lower = if i > 0 { v[i - 1] } else { 0 };
                v[i] = (v[i] << bits) | (lower >> (64 - bits));
            }
        }
        v.push(fill);
        self.limbs = v;
    }

    fn to_f64(&self) -> f64 {
        let neg = self.negative();
        let mut mag = self.limbs.clone();
        if neg {
            let mut carry = true;
            for l in &mut mag {
                let (s, c) = (!*l).overflowing_add(u64::from(carry));
                *l = s;
                carry = c;
            }
        }
        let Some(ti) = mag.iter().rposition(|&l| l != 0) else {
            return 0.0;
        };
        let lz = mag[ti].leading_zeros();
        let top_bit = (ti as i32) * 64 + 63 - lz as i32;
        // The 64 bits from top_bit down.
        let get = |i: isize| -> u64 {
            if i < 0 {
                0
            } else {
                mag.get(i as usize).copied().unwrap_or(0)
            }
        };
        let hi = if lz == 0 {
            mag[ti]
        } else {
            (mag[ti] << lz) | (get(ti as isize - 1) >> (64 - lz))
        };
        let partial = match (ti, lz) {
            (0, _) => false,
            (_, 0) => mag[ti - 1] != 0,
            _ => mag[ti - 1] & ((1u64 << (64 - lz)) - 1) != 0,
        };
        let sticky = partial || mag[..ti.saturating_sub(1)].iter().any(|&l| l != 0);
        round_parts(neg, hi, sticky, self.exp + top_bit)
    }
}

/// A cursor over an encoded state.
pub struct Reader<'a> {
    pub data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.data.len() < n {
            return None;
        }
        let (a, b) = self.data.split_at(n);
        self.data = b;
        Some(a)
    }
    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    pub fn i32(&mut self) -> Option<i32> {
        Some(i32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    pub fn f64(&mut self) -> Option<f64> {
        self.u64().map(f64::from_bits)
    }
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

/// Appends a length-prefixed byte string.
pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

// ---------------------------------------------------------------------
// Output formatting.

/// One `printf` floating-point conversion with its surrounding text.
#[derive(Clone, Debug)]
pub struct Format {
    prefix: String,
    suffix: String,
    left: bool,
    plus: bool,
    space: bool,
    zero: bool,
    alt: bool,
    width: usize,
    precision: Option<usize>,
    conv: u8,
}

impl Format {
    /// datamash's default, `%.14Lg`.
    pub fn default_format() -> Format {
        Format::parse("%.14g").expect("valid default format")
    }

    /// `-R N`: `%.Nf`.
    pub fn round(n: &str) -> Result<Format> {
        let p: usize = n
            .parse()
            .ok()
            .filter(|&p| (1..=50).contains(&p))
            .ok_or_else(|| Error::usage(format!("invalid rounding digits value '{n}'")))?;
        Format::parse(&format!("%.{p}f"))
    }

    /// A user format: text with exactly one `%[flags][width][.prec]{fFeEgG}`
    /// (and `%%` for a percent sign).
    pub fn parse(spec: &str) -> Result<Format> {
        let bad = || Error::usage(format!("invalid --format '{spec}'"));
        let b = spec.as_bytes();
        let mut prefix = String::new();
        let mut i = 0;
        let mut found = None;
        while i < b.len() {
            if b[i] == b'%' {
                if b.get(i + 1) == Some(&b'%') {
                    prefix.push('%');
                    i += 2;
                    continue;
                }
                found = Some(i);
                break;
            }
            prefix.push(b[i] as char);
            i += 1;
        }
        let start = found.ok_or_else(bad)?;
        prefix = String::from_utf8_lossy(&unescape_percent(&b[..start])).into_owned();
        let mut j = start + 1;
        let mut f = Format {
            prefix,
            suffix: String::new(),
            left: false,
            plus: false,
            space: false,
            zero: false,
            alt: false,
            width: 0,
            precision: None,
            conv: b'g',
        };
        while j < b.len() {
            match b[j] {
                b'-' => f.left = true,
                b'+' => f.plus = true,
                b' ' => f.space = true,
                b'0' => f.zero = true,
                b'#' => f.alt = true,
                b'\'' => {}
                _ => break,
            }
            j += 1;
        }
        while j < b.len() && b[j].is_ascii_digit() {
            f.width = f.width * 10 + usize::from(b[j] - b'0');
            j += 1;
        }
        if j < b.len() && b[j] == b'.' {
            j += 1;
            let mut p = 0usize;
            while j < b.len() && b[j].is_ascii_digit() {
                p = p * 10 + usize::from(b[j] - b'0');
                j += 1;
            }
            f.precision = Some(p);
        }
        if j < b.len() && b[j] == b'L' {
            j += 1;
        }
        match b.get(j) {
            Some(&c) if b"fFeEgG".contains(&c) => f.conv = c,
            _ => return Err(bad()),
        }
        let rest = &b[j + 1..];
        // No second conversion allowed.
        let mut k = 0;
        while k < rest.len() {
            if rest[k] == b'%' {
                if rest.get(k + 1) == Some(&b'%') {
                    k += 2;
                    continue;
                }
                return Err(bad());
            }
            k += 1;
        }
        f.suffix = String::from_utf8_lossy(&unescape_percent(rest)).into_owned();
        if f.width > 1000 || f.precision.is_some_and(|p| p > 1000) {
            return Err(bad());
        }
        Ok(f)
    }

    /// Appends `v` (a double-double) formatted.
    pub fn write(&self, (v, lo): Dd, out: &mut Vec<u8>) {
        out.extend_from_slice(self.prefix.as_bytes());
        let upper = self.conv.is_ascii_uppercase();
        let neg = v.is_sign_negative();
        let mut body = if v.is_nan() {
            "nan".to_string()
        } else if v.is_infinite() {
            "inf".to_string()
        } else {
            let a = v.abs();
            let lo = if v < 0.0 { -lo } else { lo };
            let p = self.precision.unwrap_or(6);
            let conv = self.conv.to_ascii_lowercase();
            let exact = if lo != 0.0 && lo.is_finite() {
                dd_digits(a, lo, conv, p, self.alt)
            } else {
                None
            };
            exact.unwrap_or_else(|| match conv {
                b'f' => fixed(a, p, self.alt),
                b'e' => exp(a, p, self.alt),
                _ => general(a, p, self.alt),
            })
        };
        if upper {
            body = body.to_ascii_uppercase();
        }
        let sign = if neg {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        };
        let len = sign.len() + body.len();
        let pad = self.width.saturating_sub(len);
        if self.left {
            out.extend_from_slice(sign.as_bytes());
            out.extend_from_slice(body.as_bytes());
            out.resize(out.len() + pad, b' ');
        } else if self.zero && v.is_finite() {
            out.extend_from_slice(sign.as_bytes());
            out.resize(out.len() + pad, b'0');
            out.extend_from_slice(body.as_bytes());
        } else {
            out.resize(out.len() + pad, b' ');
            out.extend_from_slice(sign.as_bytes());
            out.extend_from_slice(body.as_bytes());
        }
        out.extend_from_slice(self.suffix.as_bytes());
    }
}

/// Rounds `(hi + lo) * 10^scale` to an integer, ties to even (`hi >= 0`);
/// `None` when out of the exact range.
fn scaled_round(hi: f64, lo: f64, scale: i32) -> Option<u64> {
    let (mh, ml) = if scale >= 0 {
        let p = *POW10.get(scale as usize)?;
        let a = hi * p;
        let ae = hi.mul_add(p, -a) + lo * p;
        let s = a + ae;
        (s, ae - (s - a))
    } else {
        let q = *POW10.get((-scale) as usize)?;
        let m = hi / q;
        (m, ((-m).mul_add(q, hi) + lo) / q)
    };
    if !(0.0..9.0e15).contains(&mh) {
        return None;
    }
    let f = mh.floor();
    let mut i = f as u64;
    // The fraction is (mh - f) + ml; compare it with one half without
    // rounding ml away: mh - f and its difference from 0.5 are exact.
    let d = ((mh - f) - 0.5) + ml;
    if d > 0.0 || (d == 0.0 && i % 2 == 1) {
        i += 1;
    }
    Some(i)
}

/// `%f`, `%e` or `%g` of `hi + lo` (non-negative) from its correctly
/// rounded digits; `None` when beyond 15 digits (the caller then formats
/// `hi` alone).
fn dd_digits(hi: f64, lo: f64, conv: u8, p: usize, alt: bool) -> Option<String> {
    if conv == b'f' {
        let m = scaled_round(hi, lo, i32::try_from(p).ok()?)?;
        let mut s = format!("{m:0>width$}", width = p + 1);
        if p > 0 {
            s.insert(s.len() - p, '.');
        } else if alt {
            s.push('.');
        }
        return Some(s);
    }
    let sig = if conv == b'e' { p + 1 } else { p.max(1) };
    if sig > 15 || hi <= 0.0 {
        return None;
    }
    let lowest = 10u64.pow(sig as u32 - 1);
    let e0 = hi.log10().floor() as i32;
    let (digits, e) = (e0 - 1..=e0 + 1).find_map(|e| {
        let m = scaled_round(hi, lo, sig as i32 - 1 - e)?;
        (lowest..lowest * 10).contains(&m).then_some((m, e))
    })?;
    let d = digits.to_string();
    let exp_style = conv == b'e' || e < -4 || e >= sig as i32;
    let mut s = if exp_style {
        let mut m = d[..1].to_string();
        if d.len() > 1 || alt {
            m.push('.');
        }
        m.push_str(&d[1..]);
        m
    } else if e >= 0 {
        let k = e as usize + 1;
        let mut m = d[..k].to_string();
        if k < d.len() || alt {
            m.push('.');
        }
        m.push_str(&d[k..]);
        m
    } else {
        format!("0.{}{}", "0".repeat((-e - 1) as usize), d)
    };
    if conv == b'g' && !alt && s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if exp_style {
        s.push('e');
        s.push(if e < 0 { '-' } else { '+' });
        s.push_str(&format!("{:02}", e.unsigned_abs()));
    }
    Some(s)
}

fn unescape_percent(b: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        v.push(b[i]);
        if b[i] == b'%' && b.get(i + 1) == Some(&b'%') {
            i += 1;
        }
        i += 1;
    }
    v
}

/// `%.pf` of a non-negative finite value. Rust's formatting is exact and
/// rounds ties to even, as glibc does.
fn fixed(a: f64, p: usize, alt: bool) -> String {
    let mut s = format!("{a:.p$}");
    if alt && p == 0 {
        s.push('.');
    }
    s
}

/// `%.pe`: Rust's `1.5e2` made C's `1.5e+02`.
fn exp(a: f64, p: usize, alt: bool) -> String {
    let s = format!("{a:.p$e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let mut out = m.to_string();
    if alt && p == 0 {
        out.push('.');
    }
    out.push('e');
    out.push(if e < 0 { '-' } else { '+' });
    let ea = e.unsigned_abs();
    if ea < 10 {
        out.push('0');
    }
    out.push_str(&ea.to_string());
    out
}

/// `%.pg`: `%e` or `%f` by the exponent after rounding, trailing zeros
/// removed unless `#`.
fn general(a: f64, p: usize, alt: bool) -> String {
    let p = p.max(1);
    let x = if a == 0.0 {
        0
    } else {
        let s = format!("{:.*e}", p - 1, a);
        s.split_once('e')
            .and_then(|(_, e)| e.parse::<i32>().ok())
            .unwrap_or(0)
    };
    let mut s = if (x as i64) < p as i64 && x >= -4 {
        fixed(a, (p as i64 - 1 - x as i64) as usize, alt)
    } else {
        exp(a, p - 1, alt)
    };
    if !alt {
        let (mant, tail) = match s.find('e') {
            Some(i) => (s[..i].to_string(), s[i..].to_string()),
            None => (s.clone(), String::new()),
        };
        let mant = if mant.contains('.') {
            mant.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            mant
        };
        s = mant + &tail;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(spec: &str, v: f64) -> String {
        let mut out = Vec::new();
        Format::parse(spec).unwrap().write((v, 0.0), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn printf_like_glibc() {
        assert_eq!(fmt("%.14g", 4.234_567_890_123_457), "4.2345678901235");
        assert_eq!(fmt("%.14g", 2e300), "2e+300");
        assert_eq!(fmt("%.14g", 1e-5), "1e-05");
        assert_eq!(fmt("%.14g", 123456.7), "123456.7");
        assert_eq!(fmt("%.14g", 0.0), "0");
        assert_eq!(fmt("%.14g", -f64::NAN), "-nan");
        assert_eq!(fmt("%.14g", f64::NEG_INFINITY), "-inf");
        assert_eq!(fmt("%.14g", 1e14), "1e+14");
        assert_eq!(fmt("%.14g", 1e13), "10000000000000");
        assert_eq!(fmt("%.2f", 0.125), "0.12");
        assert_eq!(fmt("%08.3f", -1.5), "-001.500");
        assert_eq!(fmt("x%-6.1ey%%", 1234.0), "x1.2e+03y%");
        assert_eq!(fmt("%#.3g", 1.0), "1.00");
    }

    #[test]
    fn double_double_rounds_from_both_parts() {
        let w = |spec: &str, hi: f64, lo: f64| {
            let mut out = Vec::new();
            Format::parse(spec).unwrap().write((hi, lo), &mut out);
            String::from_utf8(out).unwrap()
        };
        // hi alone sits on a 14-digit tie; lo decides.
        assert_eq!(w("%.3g", 1.125, 1e-20), "1.13");
        assert_eq!(w("%.3g", 1.125, -1e-20), "1.12");
        assert_eq!(w("%.3g", -1.125, -1e-20), "-1.13");
        assert_eq!(w("%.3g", 1.135, 0.0), "1.14");
        assert_eq!(w("%.14g", 1234567.0, 1e-12), "1234567");
        assert_eq!(w("%.14g", 1e-7, 1e-30), "1e-07");
        assert_eq!(w("%.14g", 99999999999999.5, 1e-3), "1e+14");
        assert_eq!(w("%.3f", 0.0625, 1e-20), "0.063");
        assert_eq!(w("%.3e", 12345.0, 1e-9), "1.235e+04");
        assert_eq!(w("%.3e", 12345.0, -1e-9), "1.234e+04");
        assert_eq!(w("%.14g", 0.15, 1e-18), "0.15");
    }

    /// Steps the tests' generator (a 64-bit LCG; the high bits are used).
    fn next_seed(seed: &mut u64) {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
    }

    /// Short-decimal shapes at the edges: eight digits, the dot first,
    /// last or alone, two dots, all zeros.
    const EDGE_DECIMALS: [&[u8]; 9] = [
        b"12345678",
        b"9999.999",
        b"0.000001",
        b".5",
        b"5.",
        b".",
        b"1.2.3",
        b"00000000",
        b"99999999",
    ];

    /// The one-word reader answers as the byte loop on every short
    /// string of digits, dots and a few other bytes.
    #[test]
    fn short_decimals_match_the_byte_loop() {
        fn slow(s: &[u8]) -> Option<(u64, usize)> {
            let (mut m, mut n, mut frac, mut dot) = (0u64, 0, 0, false);
            for &b in s {
                match b {
                    b'0'..=b'9' => {
                        m = m * 10 + u64::from(b - b'0');
                        n += 1;
                        frac += usize::from(dot);
                    }
                    b'.' if !dot => dot = true,
                    _ => return None,
                }
            }
            (n > 0).then_some((m, frac))
        }
        let alphabet = b"0159.:/ -e\x00\xb9";
        let mut seed = 7u64;
        for _ in 0..200_000 {
            next_seed(&mut seed);
            let len = (seed >> 60) as usize % 10;
            let s: Vec<u8> = (0..len)
                .map(|i| alphabet[((seed >> (4 * i)) & 0xf) as usize % alphabet.len()])
                .collect();
            let want = if s.len() <= 8 { slow(&s) } else { None };
            assert_eq!(short_decimal(&s), want, "{:?}", bstr::BStr::new(&s));
        }
        for s in EDGE_DECIMALS {
            assert_eq!(short_decimal(s), slow(s));
        }
    }

    #[test]
    fn digit_readers_agree() {
        // Every reader this CPU has against the word reader, on generated
        // fields of 1 to 8 bytes with garbage (dots, digits, high bytes)
        // in the word above them; prints which readers it compared.
        #[cfg(target_arch = "x86_64")]
        let ssse3 = Ssse3::detect();
        #[cfg(target_arch = "x86_64")]
        eprintln!(
            "digit readers compared with the word reader: ssse3 {}",
            ssse3.is_some()
        );
        let alphabet = b"0123456789.-+ e\x00\xb9/:";
        let mut seed = 11u64;
        let mut checked = 0;
        for _ in 0..300_000 {
            next_seed(&mut seed);
            let len = 1 + (seed >> 61) as usize;
            let mut bytes = [0u8; 8];
            for (i, b) in bytes.iter_mut().enumerate() {
                let pick = ((seed >> (3 * i + 7)) ^ (seed >> 40)) as usize;
                // Mostly digits, so that many fields are valid.
                *b = if pick.is_multiple_of(4) {
                    alphabet[pick % alphabet.len()]
                } else {
                    b'0' + (pick % 10) as u8
                };
            }
            let w = u64::from_le_bytes(bytes);
            let field = &bytes[..len];
            let want = short_decimal(field);
            assert_eq!(
                Swar.short_decimal(w, len),
                want,
                "{:?}",
                bstr::BStr::new(field)
            );
            #[cfg(target_arch = "x86_64")]
            if let Some(r) = ssse3 {
                assert_eq!(
                    r.short_decimal(w, len),
                    want,
                    "{:?}",
                    bstr::BStr::new(field)
                );
            }
            checked += usize::from(want.is_some());
        }
        assert!(
            checked > 10_000,
            "too few valid fields generated: {checked}"
        );
        for field in EDGE_DECIMALS {
            let w = crate::word::le_word(field);
            #[cfg(target_arch = "x86_64")]
            if let Some(r) = ssse3 {
                assert_eq!(r.short_decimal(w, field.len()), short_decimal(field));
            }
            assert_eq!(Swar.short_decimal(w, field.len()), short_decimal(field));
        }
    }

    /// `decimal_in` (one load of the whole buffer, sign taken off without
    /// a branch) answers as `decimal` of the field's slice, for every
    /// field of up to 11 bytes of generated buffers: signs alone, empty
    /// fields, fields ending less than 8 bytes before the buffer's end.
    #[test]
    fn decimals_in_a_buffer_match_their_slices() {
        let alphabet = b"0123456789.-+,e";
        let mut seed = 5u64;
        let mut checked = 0;
        for _ in 0..3_000 {
            next_seed(&mut seed);
            let n = (seed >> 58) as usize;
            let data: Vec<u8> = (0..n)
                .map(|i| {
                    let pick = (seed >> (i % 50)) as usize ^ i.wrapping_mul(0x9e37);
                    if pick.is_multiple_of(3) {
                        alphabet[pick / 3 % alphabet.len()]
                    } else {
                        b'0' + (pick % 10) as u8
                    }
                })
                .collect();
            for start in 0..=n {
                for end in start..=(start + 11).min(n) {
                    let want = decimal(&data[start..end]);
                    assert_eq!(
                        decimal_in(&data, start..end, Swar),
                        want,
                        "{:?}",
                        bstr::BStr::new(&data[start..end])
                    );
                    #[cfg(target_arch = "x86_64")]
                    if let Some(r) = Ssse3::detect() {
                        assert_eq!(decimal_in(&data, start..end, r), want);
                    }
                    checked += usize::from(want.is_some());
                }
            }
        }
        assert!(checked > 10_000, "too few valid fields: {checked}");
    }

    #[test]
    fn parses_like_strtold() {
        assert_eq!(parse(b"12.50"), Some(12.5));
        assert_eq!(parse(b"-0.41"), Some(-0.41));
        assert_eq!(parse(b" 1"), Some(1.0));
        assert_eq!(parse(b"1 "), None);
        assert_eq!(parse(b"1e3"), Some(1000.0));
        assert_eq!(parse(b".5"), Some(0.5));
        assert_eq!(parse(b"5."), Some(5.0));
        assert_eq!(parse(b"0x10"), Some(16.0));
        assert_eq!(parse(b"-inf"), Some(f64::NEG_INFINITY));
        assert!(parse(b"nan").unwrap().is_nan());
        for bad in [&b""[..], b".", b"-", b"a", b"1,5", b"1e", b"--1", b"1e5000"] {
            assert_eq!(parse(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            parse(b"0.1234567890123456789"),
            Some(0.123_456_789_012_345_68)
        );
    }

    /// Decimals are summed as written: the result is the exact decimal
    /// sum rounded once (checked against Rust's correctly rounded parse
    /// of the sum written out), whatever the order, the grouping of the
    /// partial sums, the mix of scales and a spill's round trip; doubles
    /// added beside them still count exactly.
    #[test]
    fn decimal_sums_are_exact_and_order_free() {
        let texts: Vec<String> = (0..3000u64)
            .map(|i| {
                let m = (i * 7919 + 13) % 99_999_999;
                let frac = (i % 11).min(7) as usize;
                let digits = format!("{m:0>width$}", width = frac + 1);
                let (int, dec) = digits.split_at(digits.len() - frac);
                let sign = if i % 3 == 0 { "-" } else { "" };
                let t = if frac == 0 {
                    format!("{sign}{int}")
                } else {
                    format!("{sign}{int}.{dec}")
                };
                t[..t.len().min(9)].to_string()
            })
            .filter(|t| decimal(t.as_bytes()).is_some())
            .collect();
        assert!(texts.len() > 1500, "{}", texts.len());
        // The exact sum at scale 7, written out and parsed once.
        let exact: i128 = texts
            .iter()
            .map(|t| {
                let (m, frac) = decimal(t.as_bytes()).unwrap();
                i128::from(m) * 10i128.pow(7 - frac)
            })
            .sum();
        let written = format!(
            "{}{}.{:07}",
            if exact < 0 { "-" } else { "" },
            exact.abs() / 10_000_000,
            exact.abs() % 10_000_000
        );
        let want: f64 = written.parse().unwrap();
        let sum_of = |ts: &[String]| {
            let mut s = ExactSum::default();
            for t in ts {
                let (m, frac) = decimal(t.as_bytes()).unwrap();
                s.add_decimal(m, frac);
            }
            s
        };
        assert_eq!(sum_of(&texts).value().to_bits(), want.to_bits());
        let rev: Vec<String> = texts.iter().rev().cloned().collect();
        assert_eq!(sum_of(&rev).value().to_bits(), want.to_bits());
        for split in [1, 500, texts.len() - 1] {
            let mut a = sum_of(&texts[..split]);
            a.merge(&sum_of(&texts[split..]));
            let mut enc = Vec::new();
            a.encode(&mut enc);
            let d = ExactSum::decode(&mut Reader { data: &enc }).unwrap();
            assert_eq!(d.value().to_bits(), want.to_bits(), "split {split}");
        }
        // 0.1 as a decimal plus the double nearest 0.2 is 0.3 + 1.11e-17
        // (0.2's rounding error): nearest to the double written 0.3, which
        // is 1.11e-17 below 0.3, so the low part is their 2.22e-17 apart.
        let mut s = ExactSum::default();
        s.add_decimal(1, 1);
        s.add(0.2);
        let (hi, lo) = s.double_double();
        assert_eq!(hi, 0.3);
        assert!((lo - 2.220446049250313e-17).abs() < 1e-31, "{lo:e}");
    }

    #[test]
    fn exact_sum_is_order_free() {
        let vals: Vec<f64> = (0..2000)
            .map(|i| {
                let x = ((i * 7919) % 1000) as f64 / 100.0 - 3.0;
                if i % 97 == 0 {
                    x * 1e-30
                } else if i % 89 == 0 {
                    x * 1e25
                } else {
                    x
                }
            })
            .collect();
        let mut a = ExactSum::default();
        for &v in &vals {
            a.add(v);
        }
        let mut b = ExactSum::default();
        for &v in vals.iter().rev() {
            b.add(v);
        }
        assert_eq!(a.value().to_bits(), b.value().to_bits());
        for split in [1, 7, 500, 1999] {
            let mut x = ExactSum::default();
            let mut y = ExactSum::default();
            for &v in &vals[..split] {
                x.add(v);
            }
            for &v in &vals[split..] {
                y.add(v);
            }
            x.merge(&y);
            assert_eq!(x.value().to_bits(), a.value().to_bits());
            let mut enc = Vec::new();
            x.encode(&mut enc);
            let d = ExactSum::decode(&mut Reader { data: &enc }).unwrap();
            assert_eq!(d.value().to_bits(), a.value().to_bits());
        }
        let mut s = ExactSum::default();
        s.add(0.1);
        s.add(0.2);
        assert_eq!(s.value(), 0.30000000000000004);
        let mut s = ExactSum::default();
        s.add(1e100);
        s.add(1.0);
        s.add(-1e100);
        assert_eq!(s.value(), 1.0);
        let mut s = ExactSum::default();
        s.add(-2.5);
        s.add(1e-300);
        s.add(2.5);
        assert_eq!(s.value(), 1e-300);
    }
}
