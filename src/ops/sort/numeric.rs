//! GNU sort's number comparisons over key bytes, without allocation:
//!
//! - [`numeric`] (`-n`): gnulib's `strnumcmp` digit-by-digit comparison, so
//!   numbers of any length compare exactly, `-0` equals `0`, and there are
//!   no exponents (C locale: `.` decimal point, no thousands separator);
//! - [`human`] (`-h`): the SI suffix order (none < k/K < M < G < T < P < E
//!   < Z < Y, as coreutils 9.1), then `-n` on the number;
//! - [`general`] (`-g`): `strtold`-style prefix parsing (blanks, sign,
//!   decimal or hex floats, `inf`, `nan(...)`), conversion errors first,
//!   then NaNs, then numbers.
//!
//! GNU reads keys as NUL-terminated C strings (it writes a NUL at the key
//! end), so bytes past the key read here as 0 through `at`.

use std::cmp::Ordering;

/// The byte at `i`, or NUL past the end (GNU's temporary terminator).
#[inline(always)]
fn at(s: &[u8], i: usize) -> u8 {
    if i < s.len() {
        s[i]
    } else {
        0
    }
}

/// GNU's `blanks` table in the C locale: space, tab and newline.
#[inline(always)]
pub fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == b'\n'
}

fn skip_blanks(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| is_blank(c)).count();
    &s[n..]
}

#[inline(always)]
fn digit(c: u8) -> bool {
    c.is_ascii_digit()
}

fn sign(i: i32) -> Ordering {
    i.cmp(&0)
}

/// `-n`: leading blanks skipped, then `strnumcmp`.
pub fn numeric(a: &[u8], b: &[u8]) -> Ordering {
    sign(strnumcmp(skip_blanks(a), skip_blanks(b)))
}

/// gnulib `strnumcmp-in.h` `fraccompare`, on positions `i` in `a`, `j` in `b`.
fn fraccompare(a: &[u8], mut i: usize, b: &[u8], mut j: usize) -> i32 {
    if at(a, i) == b'.' && at(b, j) == b'.' {
        loop {
            i += 1;
            j += 1;
            if at(a, i) != at(b, j) {
                break;
            }
            if !digit(at(a, i)) {
                return 0;
            }
        }
        let (ca, cb) = (at(a, i), at(b, j));
        if digit(ca) && digit(cb) {
            return ca as i32 - cb as i32;
        }
        if digit(ca) {
            while at(a, i) == b'0' {
                i += 1;
            }
            return digit(at(a, i)) as i32;
        }
        if digit(cb) {
            while at(b, j) == b'0' {
                j += 1;
            }
            return -(digit(at(b, j)) as i32);
        }
        return 0;
    }
    if at(a, i) == b'.' {
        i += 1;
        while at(a, i) == b'0' {
            i += 1;
        }
        return digit(at(a, i)) as i32;
    }
    if at(b, j) == b'.' {
        j += 1;
        while at(b, j) == b'0' {
            j += 1;
        }
        return -(digit(at(b, j)) as i32);
    }
    0
}

/// gnulib `strnumcmp` (C locale): compares the numbers at the start of `a`
/// and `b` digit by digit. A number is `-?[0-9]*(\.[0-9]*)?`; anything else
/// counts as zero.
pub fn strnumcmp(a: &[u8], b: &[u8]) -> i32 {
    match (at(a, 0) == b'-', at(b, 0) == b'-') {
        // A negative number is below any non-negative one, unless it is a
        // negative zero, which equals zero.
        (true, false) => {
            if is_nonzero(a, 1) {
                -1
            } else {
                -(is_nonzero(b, 0) as i32)
            }
        }
        (false, true) => {
            if is_nonzero(b, 1) {
                1
            } else {
                is_nonzero(a, 0) as i32
            }
        }
        // Both negative: the larger magnitude is the smaller number.
        (true, true) => magnitude_cmp(b, skip_zeros(b, 1), a, skip_zeros(a, 1)),
        (false, false) => magnitude_cmp(a, skip_zeros(a, 0), b, skip_zeros(b, 0)),
    }
}

/// The first position at or after `i` that is not a `0`.
fn skip_zeros(s: &[u8], mut i: usize) -> usize {
    while at(s, i) == b'0' {
        i += 1;
    }
    i
}

/// True when the unsigned number at `s[i..]` has a non-zero digit.
fn is_nonzero(s: &[u8], i: usize) -> bool {
    let mut i = skip_zeros(s, i);
    if at(s, i) == b'.' {
        i = skip_zeros(s, i + 1);
    }
    digit(at(s, i))
}

/// Compares the magnitudes of two unsigned numbers starting at `a[i]` and
/// `b[j]` (leading zeros already skipped): integer parts by length, then
/// digit by digit, then fractions. Swapping the arguments negates it, which
/// is how [`strnumcmp`] compares two negative numbers.
fn magnitude_cmp(a: &[u8], mut i: usize, b: &[u8], mut j: usize) -> i32 {
    let mut ta = at(a, i);
    let mut tb = at(b, j);
    while ta == tb && digit(ta) {
        i += 1;
        ta = at(a, i);
        j += 1;
        tb = at(b, j);
    }
    if (ta == b'.' && !digit(tb)) || (tb == b'.' && !digit(ta)) {
        return fraccompare(a, i, b, j);
    }
    let tmp = ta as i32 - tb as i32;
    let mut log_a = 0usize;
    while digit(ta) {
        i += 1;
        ta = at(a, i);
        log_a += 1;
    }
    let mut log_b = 0usize;
    while digit(tb) {
        j += 1;
        tb = at(b, j);
        log_b += 1;
    }
    if log_a != log_b {
        return if log_a < log_b { -1 } else { 1 };
    }
    if log_a == 0 {
        return 0;
    }
    tmp
}

/// coreutils 9.1 `unit_order`: K/k=1 M=2 G=3 T=4 P=5 E=6 Z=7 Y=8.
fn unit_order(c: u8) -> i32 {
    match c {
        b'K' | b'k' => 1,
        b'M' => 2,
        b'G' => 3,
        b'T' => 4,
        b'P' => 5,
        b'E' => 6,
        b'Z' => 7,
        b'Y' => 8,
        _ => 0,
    }
}

/// coreutils `find_unit_order`: the signed order of the suffix after the
/// number, 0 when the number is all zeros.
fn find_unit_order(s: &[u8]) -> i32 {
    let minus = at(s, 0) == b'-';
    let mut p = minus as usize;
    let mut nonzero = false;
    let mut ch;
    loop {
        loop {
            ch = at(s, p);
            p += 1;
            if !digit(ch) {
                break;
            }
            nonzero |= ch != b'0';
        }
        if ch != b'.' {
            break;
        }
    }
    if !nonzero {
        return 0;
    }
    let order = unit_order(ch);
    if minus {
        -order
    } else {
        order
    }
}

/// The signed suffix order of a `-h` key (after its blanks).
pub fn unit_order_of(s: &[u8]) -> i32 {
    find_unit_order(skip_blanks(s))
}

/// `-h`: suffix order first, then `-n`.
pub fn human(a: &[u8], b: &[u8]) -> Ordering {
    let (a, b) = (skip_blanks(a), skip_blanks(b));
    let d = find_unit_order(a) - find_unit_order(b);
    if d != 0 {
        return sign(d);
    }
    sign(strnumcmp(a, b))
}

/// A parsed `-g` key: what `strtold` made of it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum General {
    /// No number at the start of the key (sorts first).
    Invalid,
    /// A NaN: its sign and payload, ordered as GNU orders NaNs (by the
    /// bytes of the x86 80-bit long double: mantissa little-endian first).
    NaN { negative: bool, payload: u64 },
    /// Any other value (infinities included). Held as f64; GNU uses long
    /// double, so numbers equal in f64 but not in 80 bits tie here.
    Num(f64),
}

impl General {
    fn nan_bytes(negative: bool, payload: u64) -> [u8; 10] {
        let mantissa = 0xC000_0000_0000_0000u64 | (payload & 0x3FFF_FFFF_FFFF_FFFF);
        let mut b = [0u8; 10];
        b[..8].copy_from_slice(&mantissa.to_le_bytes());
        b[8] = 0xFF;
        b[9] = 0x7F | if negative { 0x80 } else { 0 };
        b
    }

    /// GNU `general_numcompare`: errors < NaNs < numbers; -0 == 0.
    pub fn order(&self, other: &General) -> Ordering {
        use General::*;
        match (self, other) {
            (Invalid, Invalid) => Ordering::Equal,
            (Invalid, _) => Ordering::Less,
            (_, Invalid) => Ordering::Greater,
            (NaN { .. }, Num(_)) => Ordering::Less,
            (Num(_), NaN { .. }) => Ordering::Greater,
            (
                NaN {
                    negative: na,
                    payload: pa,
                },
                NaN {
                    negative: nb,
                    payload: pb,
                },
            ) => Self::nan_bytes(*na, *pa).cmp(&Self::nan_bytes(*nb, *pb)),
            (Num(x), Num(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        }
    }
}

/// `-g` comparison of two keys.
pub fn general(a: &[u8], b: &[u8]) -> Ordering {
    parse_general(a).order(&parse_general(b))
}

fn strtold_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn starts_with_ci(s: &[u8], word: &[u8]) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word)
}

/// Parses the longest `strtold` prefix of `s` (C locale).
pub fn parse_general(s: &[u8]) -> General {
    let mut p = s.iter().take_while(|&&c| strtold_space(c)).count();
    let mut negative = false;
    if p < s.len() && (s[p] == b'+' || s[p] == b'-') {
        negative = s[p] == b'-';
        p += 1;
    }
    let rest = &s[p..];
    if starts_with_ci(rest, b"inf") {
        return General::Num(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if starts_with_ci(rest, b"nan") {
        let mut payload = 0u64;
        let tail = &rest[3..];
        if tail.first() == Some(&b'(') {
            if let Some(close) = tail.iter().position(|&c| c == b')') {
                let inner = &tail[1..close];
                if inner
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    payload = parse_c_integer(inner).unwrap_or(0);
                }
            }
        }
        return General::NaN { negative, payload };
    }
    if rest.len() >= 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        if let Some(v) = parse_hex(&rest[2..]) {
            return General::Num(if negative { -v } else { v });
        }
        // "0x" with no hex digits: strtold reads the "0".
        return General::Num(if negative { -0.0 } else { 0.0 });
    }
    // Decimal: digits, optional point and digits, optional exponent.
    let mut q = 0;
    let int_start = q;
    while q < rest.len() && rest[q].is_ascii_digit() {
        q += 1;
    }
    let int_digits = &rest[int_start..q];
    let mut frac_digits: &[u8] = &[];
    if q < rest.len() && rest[q] == b'.' {
        let f0 = q + 1;
        let mut f = f0;
        while f < rest.len() && rest[f].is_ascii_digit() {
            f += 1;
        }
        frac_digits = &rest[f0..f];
        if !int_digits.is_empty() || !frac_digits.is_empty() {
            q = f;
        }
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return General::Invalid;
    }
    let mut exp: &[u8] = &[];
    if q < rest.len() && (rest[q] | 0x20) == b'e' {
        let mut e = q + 1;
        if e < rest.len() && (rest[e] == b'+' || rest[e] == b'-') {
            e += 1;
        }
        let d0 = e;
        while e < rest.len() && rest[e].is_ascii_digit() {
            e += 1;
        }
        if e > d0 {
            exp = &rest[q + 1..e];
        }
    }
    let mut text = String::with_capacity(int_digits.len() + frac_digits.len() + exp.len() + 4);
    if negative {
        text.push('-');
    }
    if int_digits.is_empty() {
        text.push('0');
    }
    text.push_str(std::str::from_utf8(int_digits).unwrap_or("0"));
    if !frac_digits.is_empty() {
        text.push('.');
        text.push_str(std::str::from_utf8(frac_digits).unwrap_or("0"));
    }
    if !exp.is_empty() {
        text.push('e');
        // Clamp huge exponents so the parse saturates instead of failing.
        let (sgn, digits) = match exp[0] {
            b'+' | b'-' => (&exp[..1], &exp[1..]),
            _ => (&exp[..0], exp),
        };
        let digits = std::str::from_utf8(digits)
            .unwrap_or("0")
            .trim_start_matches('0');
        text.push_str(std::str::from_utf8(sgn).unwrap_or(""));
        if digits.len() > 6 {
            text.push_str("999999");
        } else if digits.is_empty() {
            text.push('0');
        } else {
            text.push_str(digits);
        }
    }
    General::Num(text.parse::<f64>().unwrap_or(0.0))
}

/// A hex float body after `0x`: hex digits, optional point, optional
/// binary exponent `p[+-]digits`. `None` when there is no hex digit.
fn parse_hex(s: &[u8]) -> Option<f64> {
    let mut v = 0f64;
    let mut any = false;
    let mut scale = 0i64;
    let mut p = 0;
    while p < s.len() && s[p].is_ascii_hexdigit() {
        v = v * 16.0 + hex_val(s[p]) as f64;
        any = true;
        p += 1;
    }
    if p < s.len() && s[p] == b'.' {
        let mut f = p + 1;
        let mut frac_any = false;
        while f < s.len() && s[f].is_ascii_hexdigit() {
            v = v * 16.0 + hex_val(s[f]) as f64;
            scale -= 4;
            frac_any = true;
            f += 1;
        }
        if any || frac_any {
            any = true;
            p = f;
        }
    }
    if !any {
        return None;
    }
    if p < s.len() && (s[p] | 0x20) == b'p' {
        let mut e = p + 1;
        let mut neg = false;
        if e < s.len() && (s[e] == b'+' || s[e] == b'-') {
            neg = s[e] == b'-';
            e += 1;
        }
        let d0 = e;
        let mut x: i64 = 0;
        while e < s.len() && s[e].is_ascii_digit() {
            x = (x * 10 + (s[e] - b'0') as i64).min(1 << 20);
            e += 1;
        }
        if e > d0 {
            scale += if neg { -x } else { x };
        }
    }
    Some(v * 2f64.powi(scale.clamp(-5000, 5000) as i32))
}

fn hex_val(c: u8) -> u32 {
    (c as char).to_digit(16).unwrap_or(0)
}

/// `strtoull(s, _, 0)` on a whole NaN payload (decimal, 0x hex, 0 octal).
fn parse_c_integer(s: &[u8]) -> Option<u64> {
    let t = std::str::from_utf8(s).ok()?;
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if t.len() > 1 && t.starts_with('0') {
        u64::from_str_radix(&t[1..], 8).ok()
    } else {
        t.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strnumcmp_basics() {
        let c = |a: &str, b: &str| numeric(a.as_bytes(), b.as_bytes());
        assert_eq!(c("-0", "0"), Ordering::Equal);
        assert_eq!(c("10", "9"), Ordering::Greater);
        assert_eq!(c("-10", "-9"), Ordering::Less);
        assert_eq!(c("1.5", "1.25"), Ordering::Greater);
        assert_eq!(c("  3", "3"), Ordering::Equal);
        assert_eq!(c("abc", "0"), Ordering::Equal);
        assert_eq!(c("1e5", "2"), Ordering::Less);
    }

    #[test]
    fn general_parses_like_strtold() {
        assert_eq!(parse_general(b" 1e3x"), General::Num(1000.0));
        assert_eq!(parse_general(b"0x10"), General::Num(16.0));
        assert_eq!(parse_general(b"-inf"), General::Num(f64::NEG_INFINITY));
        assert_eq!(parse_general(b"x"), General::Invalid);
        assert_eq!(parse_general(b"."), General::Invalid);
        assert!(matches!(parse_general(b"NaN"), General::NaN { .. }));
    }
}
