//! The general path: several join fields (`-1 a,b -2 c,d`) and `--csv`.
//!
//! Each side is read as records (lines, or RFC 4180 records that may hold
//! quoted newlines), its header (with `-H`/`--tsv`/`--csv`) split off and
//! used to resolve join fields named by column, and every record is pushed
//! into the shared stable external [`Sorter`] behind its encoded key (see
//! [`encode_key`]), so memory stays within the budget (runs spill to
//! private temp files). The two sorted streams are then merge-joined
//! group by group: key order, within a key file 1's × file 2's records in
//! input order, unpaired records at their key's place — the order the
//! single-field paths define, generalised.
//!
//! Threads: the two sides are read and sorted at once (`rayon::join`),
//! each sorter using the pool for its in-memory sorts; the join itself is
//! one thread.

use super::gnu::{Layout, OutField, Spec};
use super::Resources;
use crate::error::{Error, Result};
use crate::format::csv::{split_fields, unquote, write_field, write_raw_field};
use crate::format::Dialect;
use crate::input::{stream::StreamOptions, ChunkStream, Source, StreamItem};
use crate::output::Output;
use crate::shuffle::sort::{bytes_prefix, Compare, SortOptions, Sorted, Sorter};
use std::cmp::Ordering;
use std::ops::Range;

/// One join column as given: a one-based number (stored zero-based) or,
/// with a header, a column name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyItem {
    Num(usize),
    Name(String),
}

/// What the general path needs beyond [`Spec`].
#[derive(Clone, Debug)]
pub struct General {
    /// File 1's and file 2's join columns, as many on each side.
    pub keys: [Vec<KeyItem>; 2],
    /// RFC 4180 input and output (comma, header row).
    pub csv: bool,
}

/// How a side's records split into fields, and how fields print.
struct Fields<'s> {
    spec: &'s Spec,
    csv: bool,
}

impl Fields<'_> {
    fn split(&self, rec: &[u8], out: &mut Vec<Range<usize>>) {
        if self.csv {
            split_fields(rec, b',', true, out);
        } else {
            let mut r = Vec::new();
            self.spec.split(rec, &mut r);
            out.clear();
            out.extend(r.iter().map(|x| x.start as usize..x.end as usize));
        }
    }

    /// The value of a field: unquoted in CSV.
    fn value<'a>(&self, raw: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        if self.csv {
            unquote(raw)
        } else {
            std::borrow::Cow::Borrowed(raw)
        }
    }
}

/// Appends the order-keeping encoding of one key field: each byte as is
/// (upper-cased with `-i`), a 0 byte as `0 1`, and `0 0` after the field.
/// Comparing encodings as bytes then compares the fields one after the
/// other, each as GNU's `keycmp` does (bytes, then length; a missing
/// field is empty) — so one memcmp orders composite keys.
pub fn encode_key(field: &[u8], ignore_case: bool, out: &mut Vec<u8>) {
    for &b in field {
        let b = if ignore_case {
            b.to_ascii_uppercase()
        } else {
            b
        };
        out.push(b);
        if b == 0 {
            out.push(1);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// Orders sorter records (`u32` key length, key, record) by key bytes.
struct KeyCmp;

#[inline]
fn split_rec(rec: &[u8]) -> (&[u8], &[u8]) {
    let l = u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]) as usize;
    (&rec[4..4 + l], &rec[4 + l..])
}

impl Compare for KeyCmp {
    #[inline]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        split_rec(a).0.cmp(split_rec(b).0)
    }
    #[inline]
    fn prefix(&self, rec: &[u8]) -> u64 {
        bytes_prefix(split_rec(rec).0)
    }
}

/// A side after sorting: its header record, resolved join columns and
/// its sorted records.
struct Side {
    header: Option<Vec<u8>>,
    keys: Vec<usize>,
    sorted: Sorted<KeyCmp>,
}

/// Resolves a side's join columns against its header.
fn resolve(
    items: &[KeyItem],
    header: Option<&[u8]>,
    fields: &Fields,
    source: &Source,
) -> Result<Vec<usize>> {
    let mut names: Vec<Vec<u8>> = Vec::new();
    if let Some(h) = header {
        let mut r = Vec::new();
        fields.split(h, &mut r);
        names = r
            .iter()
            .map(|x| fields.value(&h[x.clone()]).into_owned())
            .collect();
    }
    items
        .iter()
        .map(|it| match it {
            KeyItem::Num(n) => Ok(*n),
            KeyItem::Name(name) => {
                names
                    .iter()
                    .position(|n| n == name.as_bytes())
                    .ok_or_else(|| {
                        Error::usage(format!(
                            "no column '{name}' in the header of {}",
                            source.name()
                        ))
                    })
            }
        })
        .collect()
}

/// Reads, keys and sorts one side.
fn sort_side(
    spec: &Spec,
    g: &General,
    which: usize,
    source: Source,
    res: &Resources,
    budget: u64,
) -> Result<Side> {
    let fields = Fields { spec, csv: g.csv };
    let dialect = if g.csv {
        Dialect::csv(b',')
    } else {
        Dialect::plain(b'\t', spec.eol)
    };
    let mut sorter = Sorter::new(
        KeyCmp,
        SortOptions {
            budget,
            threads: res.threads,
            tmp_dirs: res.tmp_dirs.clone(),
        },
    );
    let opts = StreamOptions::new(dialect.record_format(), 1);
    let mut first = true;
    let mut header = None;
    let mut keys: Vec<usize> = Vec::new();
    let mut ranges = Vec::new();
    let mut rec = Vec::new();
    for item in ChunkStream::new(vec![source.clone()], opts) {
        let chunk = match item {
            StreamItem::Chunk(c) => c,
            StreamItem::Error { error, .. } => return Err(error),
        };
        for r in dialect.records(&chunk.data) {
            let body = r.body;
            if first {
                first = false;
                if spec.header {
                    header = Some(body.to_vec());
                }
                keys = resolve(&g.keys[which], header.as_deref(), &fields, &source)?;
                if spec.header {
                    continue;
                }
            }
            fields.split(body, &mut ranges);
            rec.clear();
            rec.extend_from_slice(&[0; 4]);
            for &k in &keys {
                let v = match ranges.get(k) {
                    Some(x) => fields.value(&body[x.clone()]),
                    None => std::borrow::Cow::Borrowed(&b""[..]),
                };
                encode_key(&v, spec.ignore_case, &mut rec);
            }
            let klen = (rec.len() - 4) as u32;
            rec[..4].copy_from_slice(&klen.to_le_bytes());
            rec.extend_from_slice(body);
            sorter.push(&rec)?;
        }
    }
    if first {
        // Empty input: names still have to exist (there is no header).
        keys = resolve(&g.keys[which], None, &fields, &source)?;
    }
    Ok(Side {
        header,
        keys,
        sorted: sorter.finish_parallel(b'\n')?,
    })
}

/// A record held for output: its key, bytes and field ranges.
#[derive(Default)]
struct Rec {
    key: Vec<u8>,
    bytes: Vec<u8>,
    fields: Vec<Range<usize>>,
}

/// Prints joined and unpaired records in the general layout.
struct Printer<'s> {
    fields: Fields<'s>,
    keys: [Vec<usize>; 2],
    layout: Layout,
    sep: u8,
    eol: u8,
    out: Vec<u8>,
}

impl Printer<'_> {
    /// One field, or `-e`'s string when missing or empty.
    fn field(&mut self, rec: Option<&Rec>, n: usize) {
        let raw = rec.and_then(|r| r.fields.get(n).map(|x| &r.bytes[x.clone()]));
        let csv = self.fields.csv;
        match raw {
            Some(f) if !self.fields.value(f).is_empty() => {
                if csv {
                    write_raw_field(&mut self.out, f, b',');
                } else {
                    self.out.extend_from_slice(f);
                }
            }
            _ => {
                if let Some(e) = &self.fields.spec.empty {
                    if csv {
                        write_field(&mut self.out, e, b',');
                    } else {
                        self.out.extend_from_slice(e);
                    }
                }
            }
        }
    }

    fn join_fields(&mut self, r1: Option<&Rec>, r2: Option<&Rec>) {
        let (rec, w) = if r1.is_some() { (r1, 0) } else { (r2, 1) };
        for i in 0..self.keys[w].len() {
            if i > 0 {
                self.out.push(self.sep);
            }
            self.field(rec, self.keys[w][i]);
        }
    }

    fn print(&mut self, r1: Option<&Rec>, r2: Option<&Rec>) {
        match self.layout.clone() {
            Layout::List(list) => {
                for (i, o) in list.iter().enumerate() {
                    if i > 0 {
                        self.out.push(self.sep);
                    }
                    match *o {
                        OutField::Join => self.join_fields(r1, r2),
                        OutField::Field(1, n) => self.field(r1, n),
                        OutField::Field(_, n) => self.field(r2, n),
                    }
                }
            }
            layout => {
                let counts = match layout {
                    Layout::Auto(a, b) => [Some(a), Some(b)],
                    _ => [None, None],
                };
                self.join_fields(r1, r2);
                for (w, rec) in [r1, r2].into_iter().enumerate() {
                    let n = counts[w].unwrap_or_else(|| rec.map_or(0, |r| r.fields.len()));
                    for i in 0..n {
                        if !self.keys[w].contains(&i) {
                            self.out.push(self.sep);
                            self.field(rec, i);
                        }
                    }
                }
            }
        }
        self.out.push(self.eol);
    }
}

/// Reads the next sorted record into `rec`; false at the end.
fn next(sorted: &mut Sorted<KeyCmp>, fields: &Fields, rec: &mut Rec) -> Result<bool> {
    let Some(r) = sorted.next_record()? else {
        return Ok(false);
    };
    let (key, body) = split_rec(r);
    rec.key.clear();
    rec.key.extend_from_slice(key);
    rec.bytes.clear();
    rec.bytes.extend_from_slice(body);
    fields.split(&rec.bytes, &mut rec.fields);
    Ok(true)
}

/// A header or first record as a [`Rec`] (no key).
fn rec_of(bytes: &[u8], fields: &Fields) -> Rec {
    let mut r = Rec {
        bytes: bytes.to_vec(),
        ..Rec::default()
    };
    fields.split(bytes, &mut r.fields);
    r
}

/// Joins two sources through external sorts of their encoded keys.
pub fn join(
    spec: &Spec,
    g: &General,
    sources: [Source; 2],
    res: &Resources,
    output: &mut Output,
) -> Result<i32> {
    let half = (res.budget / 2).max(1);
    let [s1, s2] = sources;
    let (a, b) = rayon::join(
        || sort_side(spec, g, 0, s1, res, half),
        || sort_side(spec, g, 1, s2, res, half),
    );
    let (mut a, mut b) = (a?, b?);
    let fields = Fields { spec, csv: g.csv };
    let (mut c1, mut c2) = (Rec::default(), Rec::default());
    let mut has1 = next(&mut a.sorted, &fields, &mut c1)?;
    let mut has2 = next(&mut b.sorted, &fields, &mut c2)?;
    let h1 = a.header.as_deref().map(|h| rec_of(h, &fields));
    let h2 = b.header.as_deref().map(|h| rec_of(h, &fields));
    let mut layout = spec.layout.clone();
    if let Layout::Auto(..) = layout {
        // As GNU: the first line of each input (the header, else the
        // first record in key order).
        let count = |h: &Option<Rec>, has: bool, c: &Rec| match h {
            Some(h) => h.fields.len(),
            None if has => c.fields.len(),
            None => 0,
        };
        layout = Layout::Auto(count(&h1, has1, &c1), count(&h2, has2, &c2));
    }
    let mut p = Printer {
        fields: Fields { spec, csv: g.csv },
        keys: [a.keys.clone(), b.keys.clone()],
        layout,
        sep: if g.csv { b',' } else { spec.sep.output() },
        eol: if g.csv { b'\n' } else { spec.eol },
        out: Vec::with_capacity(1 << 17),
    };
    if h1.is_some() || h2.is_some() {
        p.print(h1.as_ref(), h2.as_ref());
    }
    // File 2's current run, and records kept for reuse.
    let (mut g2, mut spare): (Vec<Rec>, Vec<Rec>) = (Vec::new(), Vec::new());
    while has1 && has2 {
        match c1.key.cmp(&c2.key) {
            Ordering::Less => {
                if spec.unpaired1 {
                    p.print(Some(&c1), None);
                }
                has1 = next(&mut a.sorted, &fields, &mut c1)?;
            }
            Ordering::Greater => {
                if spec.unpaired2 {
                    p.print(None, Some(&c2));
                }
                has2 = next(&mut b.sorted, &fields, &mut c2)?;
            }
            Ordering::Equal => {
                // File 2's run of this key is held (GNU holds both runs);
                // file 1's records stream past it one at a time, so a
                // large run on file 1's side costs no memory.
                g2.clear();
                loop {
                    let mut n = spare.pop().unwrap_or_default();
                    has2 = next(&mut b.sorted, &fields, &mut n)?;
                    let same = has2 && n.key == c2.key;
                    g2.push(std::mem::replace(&mut c2, n));
                    if !same {
                        break;
                    }
                }
                let key = std::mem::take(&mut g2[0].key);
                loop {
                    if spec.pairables {
                        for r2 in &g2 {
                            p.print(Some(&c1), Some(r2));
                        }
                        if p.out.len() >= 1 << 16 {
                            output.write_all(&p.out)?;
                            p.out.clear();
                        }
                    }
                    has1 = next(&mut a.sorted, &fields, &mut c1)?;
                    if !has1 || c1.key != key {
                        break;
                    }
                }
                g2[0].key = key;
                spare.append(&mut g2);
            }
        }
        if p.out.len() >= 1 << 16 {
            output.write_all(&p.out)?;
            p.out.clear();
        }
    }
    for (has, cur, sorted, w) in [
        (&mut has1, &mut c1, &mut a.sorted, 1),
        (&mut has2, &mut c2, &mut b.sorted, 2),
    ] {
        let wanted = if w == 1 {
            spec.unpaired1
        } else {
            spec.unpaired2
        };
        while *has && wanted {
            if w == 1 {
                p.print(Some(cur), None);
            } else {
                p.print(None, Some(cur));
            }
            if p.out.len() >= 1 << 16 {
                output.write_all(&p.out)?;
                p.out.clear();
            }
            *has = next(sorted, &fields, cur)?;
        }
    }
    output.write_all(&p.out)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::encode_key;

    #[test]
    fn encoded_keys_order_field_by_field() {
        let keys: [[&[u8]; 2]; 7] = [
            [b"", b""],
            [b"", b"a"],
            [b"\0", b""],
            [b"a", b"\0"],
            [b"a", b""],
            [b"a\0", b"b"],
            [b"ab", b""],
        ];
        for x in keys {
            for y in keys {
                let (mut ex, mut ey) = (Vec::new(), Vec::new());
                for f in x {
                    encode_key(f, false, &mut ex);
                }
                for f in y {
                    encode_key(f, false, &mut ey);
                }
                assert_eq!(ex.cmp(&ey), x.cmp(&y), "{x:?} {y:?}");
            }
        }
    }
}
