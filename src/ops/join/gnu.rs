//! GNU join's line semantics, defined once for every path of pjoin: how a
//! line splits into fields (`-t`, or blanks with leading blanks ignored),
//! how two join keys compare (bytes, or ASCII case-folded with `-i`; a
//! missing field is an empty key, and empty keys are equal to each other
//! and less than any other key), and how a joined or unpaired line is
//! printed (`-o`, `-o auto`, `-e`).
//!
//! These mirror coreutils 9's `xfields`, `keycmp`, `prfield`, `prfields`
//! and `prjoin` under `LC_ALL=C`.

use std::cmp::Ordering;
use std::ops::Range;

/// How lines split into fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Separator {
    /// Runs of blanks (space, tab; newline too with `-z`); leading blanks
    /// are ignored. Output fields are joined by one space.
    Blanks,
    /// Exactly this byte (`-t C`). `-t ''` is `Char(b'\n')`: the whole
    /// line is one field, as in GNU.
    Char(u8),
}

impl Separator {
    /// The byte between output fields.
    pub fn output(self) -> u8 {
        match self {
            Separator::Blanks => b' ',
            Separator::Char(c) => c,
        }
    }
}

/// One item of `-o FORMAT`: `0` (the join field) or `FILE.FIELD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutField {
    Join,
    /// File (1 or 2) and zero-based field.
    Field(u8, usize),
}

/// The output layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The join field, then file 1's other fields, then file 2's.
    Default,
    /// `-o auto`: as Default, but each file prints as many fields as its
    /// first line has (the counts are filled in once the first lines are
    /// known).
    Auto(usize, usize),
    /// `-o FORMAT`.
    List(Vec<OutField>),
}

/// Everything that decides pjoin's output bytes for given inputs.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Zero-based join field of file 1 and file 2.
    pub key1: usize,
    pub key2: usize,
    pub sep: Separator,
    /// Line terminator (`\n`, or `\0` with `-z`).
    pub eol: u8,
    pub ignore_case: bool,
    /// `-a 1` / `-v 1`: print file 1's unpaired lines.
    pub unpaired1: bool,
    pub unpaired2: bool,
    /// False with `-v`: joined lines are not printed.
    pub pairables: bool,
    /// `-e STR`.
    pub empty: Option<Vec<u8>>,
    pub layout: Layout,
    /// `--header`: the first line of each file is printed once, unpaired.
    pub header: bool,
}

/// A line split into fields. `None` as a side of [`Spec::print`] stands
/// for GNU's `uni_blank` (the missing side of an unpaired line).
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    pub bytes: &'a [u8],
    pub fields: &'a [Range<u32>],
}

impl Line<'_> {
    #[inline]
    fn field(&self, n: usize) -> Option<&[u8]> {
        self.fields
            .get(n)
            .map(|r| &self.bytes[r.start as usize..r.end as usize])
    }
}

#[inline]
fn is_blank(c: u8, eol: u8) -> bool {
    // GNU 9's field_sep(): isblank() in the C locale, or a newline (which
    // can only be inside a line with -z).
    c == b' ' || c == b'\t' || (c == b'\n' && eol != b'\n')
}

impl Spec {
    /// Splits `line` (without its terminator) into `out` as GNU's
    /// `xfields` does. An empty line has no fields; so has a line of
    /// blanks in blank mode; a trailing run of blanks leaves an empty last
    /// field.
    pub fn split(&self, line: &[u8], out: &mut Vec<Range<u32>>) {
        out.clear();
        if line.is_empty() {
            return;
        }
        let lim = line.len();
        match self.sep {
            Separator::Char(b'\n') => out.push(0..lim as u32),
            Separator::Char(t) => {
                let mut start = 0;
                for sep in memchr::memchr_iter(t, line) {
                    out.push(start as u32..sep as u32);
                    start = sep + 1;
                }
                out.push(start as u32..lim as u32);
            }
            Separator::Blanks => {
                let eol = self.eol;
                let mut p = 0;
                while is_blank(line[p], eol) {
                    p += 1;
                    if p == lim {
                        return;
                    }
                }
                loop {
                    let mut s = p + 1;
                    while s != lim && !is_blank(line[s], eol) {
                        s += 1;
                    }
                    out.push(p as u32..s as u32);
                    if s == lim {
                        return;
                    }
                    p = s + 1;
                    while p != lim && is_blank(line[p], eol) {
                        p += 1;
                    }
                    if p == lim {
                        break;
                    }
                }
                out.push(lim as u32..lim as u32);
            }
        }
    }

    /// The byte range of field `n` of `line`, without splitting the whole
    /// line; `None` when the line has fewer fields (an empty key).
    pub fn key_range(&self, line: &[u8], n: usize) -> Option<Range<usize>> {
        if line.is_empty() {
            return None;
        }
        match self.sep {
            Separator::Char(b'\n') => (n == 0).then_some(0..line.len()),
            Separator::Char(t) => {
                let mut start = 0;
                let mut i = 0;
                for sep in memchr::memchr_iter(t, line) {
                    if i == n {
                        return Some(start..sep);
                    }
                    i += 1;
                    start = sep + 1;
                }
                (i == n).then_some(start..line.len())
            }
            Separator::Blanks => {
                let eol = self.eol;
                let lim = line.len();
                let mut p = 0;
                while is_blank(line[p], eol) {
                    p += 1;
                    if p == lim {
                        return None;
                    }
                }
                let mut i = 0;
                loop {
                    let mut s = p + 1;
                    while s != lim && !is_blank(line[s], eol) {
                        s += 1;
                    }
                    if i == n {
                        return Some(p..s);
                    }
                    i += 1;
                    if s == lim {
                        return None;
                    }
                    p = s + 1;
                    while p != lim && is_blank(line[p], eol) {
                        p += 1;
                    }
                    if p == lim {
                        break;
                    }
                }
                (i == n).then_some(lim..lim)
            }
        }
    }

    /// The join key of `line` in file `which` (1 or 2); empty when missing.
    #[inline]
    pub fn key<'a>(&self, line: &'a [u8], which: u8) -> &'a [u8] {
        let n = if which == 1 { self.key1 } else { self.key2 };
        match self.key_range(line, n) {
            Some(r) => &line[r],
            None => &[],
        }
    }

    /// GNU's `keycmp` on two keys.
    #[inline]
    pub fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        compare_keys(a, b, self.ignore_case)
    }

    /// Prints one output line for `l1` joined with `l2`; `None` is the
    /// blank side of an unpaired line (GNU's `prjoin`).
    pub fn print(&self, l1: Option<&Line>, l2: Option<&Line>, out: &mut Vec<u8>) {
        let osep = self.sep.output();
        match &self.layout {
            Layout::List(list) => {
                for (i, o) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(osep);
                    }
                    let (line, n) = match *o {
                        OutField::Join => match l1 {
                            None => (l2, self.key2),
                            Some(_) => (l1, self.key1),
                        },
                        OutField::Field(1, n) => (l1, n),
                        OutField::Field(_, n) => (l2, n),
                    };
                    self.field(line, n, out);
                }
            }
            Layout::Default
                if self.empty.is_none() && matches!(self.sep, Separator::Char(c) if c != b'\n') =>
            {
                // Input and output separators are the same byte here, so
                // the fields around the join field are copied as the
                // spans they are in the line: a few copies per line
                // instead of one per field (the copies were 18% of the
                // benchmark join's profile).
                match l1 {
                    None => self.field(l2, self.key2, out),
                    Some(_) => self.field(l1, self.key1, out),
                }
                for (line, k) in [(l1, self.key1), (l2, self.key2)] {
                    if let Some(l) = line {
                        self.span_others(l, k, out);
                    }
                }
            }
            layout => {
                let (c1, c2) = match *layout {
                    Layout::Auto(a, b) => (Some(a), Some(b)),
                    _ => (None, None),
                };
                match l1 {
                    None => self.field(l2, self.key2, out),
                    Some(_) => self.field(l1, self.key1, out),
                }
                self.others(l1, self.key1, c1, osep, out);
                self.others(l2, self.key2, c2, osep, out);
            }
        }
        out.push(self.eol);
    }

    /// GNU's `prfield`: the field, or `-e`'s string when it is missing or
    /// empty.
    #[inline]
    fn field(&self, line: Option<&Line>, n: usize, out: &mut Vec<u8>) {
        match line.and_then(|l| l.field(n)) {
            Some(f) if !f.is_empty() => out.extend_from_slice(f),
            _ => {
                if let Some(e) = &self.empty {
                    out.extend_from_slice(e);
                }
            }
        }
    }

    /// Whether [`Spec::print`] of a joined pair is the join field of file
    /// 1 followed by [`Spec::others_of`] each line: the default layout,
    /// no `-e`, one separator byte.
    pub fn spans_layout(&self) -> bool {
        self.layout == Layout::Default
            && self.empty.is_none()
            && matches!(self.sep, Separator::Char(c) if c != b'\n')
    }

    /// The default layout's fields of `l` other than field `k`, each
    /// preceded by the separator, copied as the spans they are in the line
    /// (the layout of [`Spec::spans_layout`]).
    #[inline]
    fn span_others(&self, l: &Line, k: usize, out: &mut Vec<u8>) {
        let osep = self.sep.output();
        let n = l.fields.len();
        if n == 0 {
            return;
        }
        if k >= n {
            out.push(osep);
            out.extend_from_slice(l.bytes);
            return;
        }
        let f = &l.fields[k];
        if k > 0 {
            out.push(osep);
            out.extend_from_slice(&l.bytes[..f.start as usize - 1]);
        }
        if k + 1 < n {
            out.push(osep);
            out.extend_from_slice(&l.bytes[f.end as usize + 1..]);
        }
    }

    /// What [`Spec::print`] prints of `line` (of file `which`) after the
    /// join field, under [`Spec::spans_layout`], given where its key is
    /// (`key_at`: start and length, as [`Spec::key`] finds it). A
    /// non-empty key says where the fields around it are, so nothing is
    /// split; an empty or missing one is split as `print` would.
    #[inline]
    pub fn others_of(&self, line: &[u8], which: u8, key_at: (usize, usize), out: &mut Vec<u8>) {
        let k = if which == 1 { self.key1 } else { self.key2 };
        let (start, len) = key_at;
        if len == 0 {
            let mut fields = Vec::new();
            self.split(line, &mut fields);
            let l = Line {
                bytes: line,
                fields: &fields,
            };
            return self.span_others(&l, k, out);
        }
        let osep = self.sep.output();
        if start > 0 {
            out.push(osep);
            out.extend_from_slice(&line[..start - 1]);
        }
        // The separator after the key, if any, leads the rest.
        out.extend_from_slice(&line[start + len..]);
    }

    /// GNU's `prfields`: every field but the join field, each preceded by
    /// the separator; with `-o auto`, exactly `count` fields.
    #[inline]
    fn others(
        &self,
        line: Option<&Line>,
        key: usize,
        count: Option<usize>,
        osep: u8,
        out: &mut Vec<u8>,
    ) {
        let n = count.unwrap_or_else(|| line.map_or(0, |l| l.fields.len()));
        for i in (0..n).filter(|&i| i != key) {
            out.push(osep);
            self.field(line, i, out);
        }
    }
}

/// GNU's `keycmp` under `LC_ALL=C`: bytes (or `toupper`ed bytes), then
/// length. An empty key sorts first and equals another empty key.
#[inline]
pub fn compare_keys(a: &[u8], b: &[u8], ignore_case: bool) -> Ordering {
    if !ignore_case {
        return compare_bytes(a, b);
    }
    let n = a.len().min(b.len());
    for i in 0..n {
        let (x, y) = (a[i].to_ascii_uppercase(), b[i].to_ascii_uppercase());
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

/// Byte order, eight bytes at a time. Join keys are short: inlined word
/// compares beat a libc `memcmp` call, which was 37% of the profile of
/// the 10M × 2M benchmark join.
#[inline]
pub fn compare_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_be_bytes(a[i..i + 8].try_into().expect("8 bytes"));
        let y = u64::from_be_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        if x != y {
            return x.cmp(&y);
        }
        i += 8;
    }
    while i < n {
        if a[i] != b[i] {
            return a[i].cmp(&b[i]);
        }
        i += 1;
    }
    a.len().cmp(&b.len())
}

/// The first eight key bytes (upper-cased with `-i`) as a big-endian
/// number: comparing prefixes orders keys as [`compare_keys`] does
/// whenever the prefixes differ, so sorts compare a `u64` first.
#[inline]
pub fn key_prefix(key: &[u8], ignore_case: bool) -> u64 {
    let w = crate::word::be_word(key);
    if ignore_case {
        let mut b = w.to_be_bytes();
        b.make_ascii_uppercase();
        u64::from_be_bytes(b)
    } else {
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(sep: Separator) -> Spec {
        Spec {
            key1: 0,
            key2: 0,
            sep,
            eol: b'\n',
            ignore_case: false,
            unpaired1: false,
            unpaired2: false,
            pairables: true,
            empty: None,
            layout: Layout::Default,
            header: false,
        }
    }

    fn fields(s: &Spec, line: &[u8]) -> Vec<Vec<u8>> {
        let mut r = Vec::new();
        s.split(line, &mut r);
        r.iter()
            .map(|x| line[x.start as usize..x.end as usize].to_vec())
            .collect()
    }

    #[test]
    fn blank_fields_and_key_range_agree() {
        let s = spec(Separator::Blanks);
        for line in [
            &b""[..],
            b"   ",
            b"a",
            b" a  b\tc ",
            b"a b",
            b"\t\ta",
            b"a  ",
        ] {
            let f = fields(&s, line);
            for n in 0..5 {
                let k = s.key_range(line, n).map(|r| line[r].to_vec());
                assert_eq!(k, f.get(n).cloned(), "{line:?} field {n}");
            }
        }
        assert_eq!(
            fields(&s, b"a b "),
            vec![b"a".to_vec(), b"b".to_vec(), vec![]]
        );
    }

    #[test]
    fn char_fields_and_key_range_agree() {
        let s = spec(Separator::Char(b','));
        for line in [&b""[..], b",", b"a,,b", b"a,", b",a"] {
            let f = fields(&s, line);
            for n in 0..4 {
                let k = s.key_range(line, n).map(|r| line[r].to_vec());
                assert_eq!(k, f.get(n).cloned(), "{line:?} field {n}");
            }
        }
    }

    #[test]
    fn prefix_order_matches_compare() {
        let keys: [&[u8]; 7] = [b"", b"\0", b"a", b"A", b"abcdefghi", b"abcdefgh", b"b"];
        for ic in [false, true] {
            for a in keys {
                for b in keys {
                    let (pa, pb) = (key_prefix(a, ic), key_prefix(b, ic));
                    if pa != pb {
                        assert_eq!(pa.cmp(&pb), compare_keys(a, b, ic));
                    }
                }
            }
        }
    }
}
