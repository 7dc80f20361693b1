//! `-V`: gnulib's `filenvercmp` (the version sort of coreutils 9.1), over
//! key bytes with explicit lengths.
//!
//! Empty sorts first; then `.`, `..` and other dot-names before the rest;
//! file suffixes matching `(\.[A-Za-z~][A-Za-z0-9~]*)*$` are compared only
//! when the rest ties; the rest is Debian's `verrevcmp` (non-digit runs by
//! a character order where `~` sorts before everything, even the end;
//! digit runs numerically).

use std::cmp::Ordering;

/// Length of `s` without its file suffix (gnulib `file_prefixlen`).
fn prefix_len(s: &[u8]) -> usize {
    let n = s.len();
    let mut prefix = 0;
    let mut i = 0;
    loop {
        if i == n {
            return prefix;
        }
        i += 1;
        prefix = i;
        while i + 1 < n && s[i] == b'.' && (s[i + 1].is_ascii_alphabetic() || s[i + 1] == b'~') {
            i += 2;
            while i < n && (s[i].is_ascii_alphanumeric() || s[i] == b'~') {
                i += 1;
            }
        }
    }
}

/// The sort weight of `s[pos]` (the end of the string sorts before all
/// but `~`).
fn order(s: &[u8], pos: usize) -> i32 {
    if pos == s.len() {
        return -1;
    }
    let c = s[pos];
    if c.is_ascii_digit() {
        0
    } else if c.is_ascii_alphabetic() {
        c as i32
    } else if c == b'~' {
        -2
    } else {
        c as i32 + 256
    }
}

fn verrevcmp(a: &[u8], b: &[u8]) -> i32 {
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        let mut first_diff = 0i32;
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a, i);
            let bc = order(b, j);
            if ac != bc {
                return ac - bc;
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        while i < a.len() && j < b.len() && a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            if first_diff == 0 {
                first_diff = a[i] as i32 - b[j] as i32;
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return -1;
        }
        if first_diff != 0 {
            return first_diff;
        }
    }
    0
}

/// Compares two versions as GNU `sort -V` does.
pub fn compare(a: &[u8], b: &[u8]) -> Ordering {
    filenvercmp(a, b).cmp(&0)
}

fn filenvercmp(a: &[u8], b: &[u8]) -> i32 {
    if a.is_empty() {
        return -(!b.is_empty() as i32);
    }
    if b.is_empty() {
        return 1;
    }
    if a[0] == b'.' {
        if b[0] != b'.' {
            return -1;
        }
        let adot = a.len() == 1;
        let bdot = b.len() == 1;
        if adot {
            return -(!bdot as i32);
        }
        if bdot {
            return 1;
        }
        let adotdot = a[1] == b'.' && a.len() == 2;
        let bdotdot = b[1] == b'.' && b.len() == 2;
        if adotdot {
            return -(!bdotdot as i32);
        }
        if bdotdot {
            return 1;
        }
    } else if b[0] == b'.' {
        return 1;
    }
    let ap = prefix_len(a);
    let bp = prefix_len(b);
    let one_pass_only = ap == a.len() && bp == b.len();
    let r = verrevcmp(&a[..ap], &b[..bp]);
    if r != 0 || one_pass_only {
        r
    } else {
        verrevcmp(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::compare;
    use std::cmp::Ordering::*;

    #[test]
    fn version_order() {
        assert_eq!(compare(b"a1.2", b"a1.10"), Less);
        assert_eq!(compare(b"1.0~rc1", b"1.0"), Less);
        assert_eq!(compare(b"", b"a"), Less);
        assert_eq!(compare(b".a", b"a"), Less);
        assert_eq!(compare(b"foo.tar.gz", b"foo1.tar.gz"), Less);
    }
}
