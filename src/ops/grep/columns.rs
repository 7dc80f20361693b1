//! Column-scoped search of CSV/TSV (`--csv`, `--tsv`, `-d DELIM`, with
//! `--select COLS`), as `xsv search -s`: a record is selected when the
//! pattern matches inside one of the selected fields (unquoted value; `^`,
//! `$` and `-x` anchor at the field's ends); whole records are printed as
//! they are in the input, the first input's header once, before anything
//! else (even when nothing matches). `-v`, `-i`, `-w`, `-x`, `-F`, `-E`,
//! `-c`, `-m`, `-l`, `-L`, `-q` keep their meaning, counted in records.
//!
//! Workers split their chunk's records and fields and return the spans of
//! the selected records; the sink applies `-m` in order and copies them.

use super::pattern::Matcher;
use super::print::push_u64;
use super::Config;
use crate::cli;
use crate::engine::{self, Event, Flow};
use crate::error::Result;
use crate::format::csv::{split_fields, unquote};
use crate::format::fieldlist::{Mask, Unit};
use crate::format::{Dialect, FieldList, Header};
use crate::input::pieces::{Failure, Piece, Pieces};
use crate::input::Source;
use crate::output::Output;
use crate::progress::Progress;
use memchr::{memchr_iter, memrchr};
use std::ops::Range;
use std::sync::Arc;

/// A column search, resolved from the command line.
pub struct ColumnJob {
    pub cfg: Config,
    pub matcher: Matcher,
    /// A literal prefilter over raw record bytes (see `search_records`).
    pub prefilter: Option<Matcher>,
    pub dialect: Dialect,
    pub has_header: bool,
    pub select: Option<String>,
    pub threads: usize,
}

/// What a worker found in one chunk.
struct Found {
    /// Raw spans of the selected records (terminator included).
    records: Vec<Range<usize>>,
    /// The raw header record, when this chunk starts its source.
    header: Option<Vec<u8>>,
}

/// Does record `body` hold a match in a selected field?
#[inline]
fn record_matches(
    m: &Matcher,
    dialect: &Dialect,
    mask: Option<&Mask>,
    body: &[u8],
    ranges: &mut Vec<Range<usize>>,
) -> bool {
    split_fields(body, dialect.delimiter, dialect.quoting, ranges);
    for (i, f) in ranges.iter().enumerate() {
        if let Some(mask) = mask {
            if !mask.contains(i) {
                if mask.done_after(i) {
                    break;
                }
                continue;
            }
        }
        let raw = &body[f.clone()];
        let value = if dialect.quoting {
            unquote(raw)
        } else {
            raw.into()
        };
        if m.is_match(&value) {
            return true;
        }
    }
    false
}

/// The end (after its terminator) of the record starting at `start`.
fn record_end(dialect: &Dialect, data: &[u8], start: usize) -> usize {
    match dialect.records(&data[start..]).next() {
        None => data.len(),
        Some(r) => {
            let mut e = start + r.body.len();
            if data.get(e) == Some(&b'\r') && dialect.quoting {
                e += 1;
            }
            if e < data.len() {
                e += 1;
            }
            e
        }
    }
}

/// The start of the record holding byte `p`, given that `pos <= p` starts
/// a record: the last newline before `p` outside double quotes (quote
/// parity is counted from `pos`, which is outside quotes).
fn record_start(data: &[u8], pos: usize, p: usize, quoting: bool) -> usize {
    let mut limit = p;
    let total = if quoting {
        memchr_iter(b'"', &data[pos..p]).count()
    } else {
        0
    };
    while let Some(i) = memrchr(b'\n', &data[pos..limit]) {
        let n = pos + i;
        let after = if quoting {
            memchr_iter(b'"', &data[n..p]).count()
        } else {
            0
        };
        if (total - after).is_multiple_of(2) {
            return n + 1;
        }
        limit = n;
    }
    pos
}

/// Selected records of one chunk.
///
/// With a literal prefilter (fixed-string patterns without a quote byte:
/// any match inside a field value is also a match in the raw record
/// bytes), a non-inverted search jumps from candidate to candidate with
/// the regex's literal search and splits only the records holding one;
/// the rest of the chunk is never parsed. Measured on trips.csv (scale 1,
/// `--select pickup_zone Airport`): this is what puts the column search
/// far ahead of a record-by-record scan.
fn search_records(
    m: &Matcher,
    prefilter: Option<&Matcher>,
    dialect: &Dialect,
    mask: Option<&Mask>,
    invert: bool,
    data: &[u8],
    skip_header: bool,
) -> Found {
    let mut found = Found {
        records: Vec::new(),
        header: None,
    };
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut pos = 0;
    if skip_header && !data.is_empty() {
        let end = record_end(dialect, data, 0);
        found.header = Some(data[..end].to_vec());
        pos = end;
    }
    if let (Some(pf), false) = (prefilter, invert) {
        while pos < data.len() {
            let Some((p, _)) = pf.find_at(data, pos) else {
                break;
            };
            let rs = record_start(data, pos, p, dialect.quoting);
            let re = record_end(dialect, data, rs);
            if let Some(r) = dialect.records(&data[rs..re]).next() {
                if record_matches(m, dialect, mask, r.body, &mut ranges) {
                    found.records.push(rs..re);
                }
            }
            pos = re;
        }
        return found;
    }
    let mut records = dialect.records(&data[pos..]).peekable();
    let base = pos;
    while let Some(r) = records.next() {
        let end = records.peek().map_or(data.len() - base, |n| n.start);
        if record_matches(m, dialect, mask, r.body, &mut ranges) != invert {
            found.records.push(base + r.start..base + end);
        }
    }
    found
}

pub fn run(job: ColumnJob, sources: Vec<Source>, mut progress: Progress) -> Result<i32> {
    let ColumnJob {
        cfg,
        matcher,
        prefilter,
        dialect,
        has_header,
        select,
        threads,
    } = job;
    let mut stream = Pieces::new(sources.clone(), dialect.record_format(), threads);
    // Read ahead to the first chunk to resolve column names.
    let mut head: Vec<Result<Piece, Failure>> = Vec::new();
    let mut header: Option<Header> = None;
    if has_header {
        for item in stream.by_ref() {
            let h = match &item {
                Ok(c) => dialect
                    .records(c.data())
                    .next()
                    .map(|r| Header::parse(r.body, &dialect)),
                Err(_) => None,
            };
            head.push(item);
            if h.is_some() {
                header = h;
                break;
            }
        }
    }
    let mask = match &select {
        Some(s) => Some(
            FieldList::parse(s, Unit::Fields)?
                .resolve(header.as_ref())?
                .mask(),
        ),
        None => None,
    };
    let shared = Arc::new((matcher, prefilter, dialect, mask, cfg.invert, has_header));
    let worker = shared.clone();
    let cfg = Arc::new(cfg);
    let mut out = Output::stdout();
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let print_records = !cfg.count_only();
    let mut header_done = !has_header || !print_records;
    let mut counts = vec![0u64; sources.len()];
    let mut started = vec![false; sources.len()];
    let mut trouble = false;
    let mut quiet_hit = false;
    let nsources = sources.len();
    let items = head.into_iter().chain(stream).map(|p| match p {
        Ok(p) => engine::Item::Work(p),
        Err(f) => engine::Item::Pass(f),
    });
    engine::ordered_map(
        threads,
        items,
        move |c: &Piece| {
            let (m, pf, d, mask, invert, has_header) = &*worker;
            search_records(
                m,
                pf.as_ref(),
                d,
                mask.as_ref(),
                *invert,
                c.data(),
                *has_header && c.offset == 0,
            )
        },
        |ev| {
            match ev {
                Event::Mapped(c, found) => {
                    progress.inc(c.data().len() as u64);
                    started[c.source] = true;
                    if !header_done {
                        if let Some(h) = &found.header {
                            buf.extend_from_slice(h);
                            if h.last() != Some(&b'\n') {
                                buf.push(b'\n');
                            }
                            header_done = true;
                        }
                    }
                    let count = &mut counts[c.source];
                    for r in &found.records {
                        if cfg.max_count.is_some_and(|m| *count >= m) {
                            break;
                        }
                        *count += 1;
                        if cfg.quiet {
                            quiet_hit = true;
                            return Ok(Flow::Stop);
                        }
                        if print_records {
                            buf.extend_from_slice(&c.data()[r.clone()]);
                            if c.data()[r.end - 1] != b'\n' {
                                buf.push(b'\n');
                            }
                        }
                    }
                    if buf.len() >= 1 << 18 || cfg.line_buffered {
                        out.write_all(&buf)?;
                        buf.clear();
                    }
                    let done = cfg.max_count.is_some_and(|m| *count >= m);
                    if done && c.source + 1 == nsources {
                        return Ok(Flow::Stop);
                    }
                }
                Event::Passed((_, e)) => {
                    trouble = true;
                    if !cfg.no_messages {
                        out.write_all(&buf)?;
                        buf.clear();
                        out.flush()?;
                        cli::message(&e);
                    }
                }
            }
            Ok(Flow::Continue)
        },
    )?;
    progress.finish();
    if quiet_hit {
        return Ok(0);
    }
    let mut any = false;
    for (i, &n) in counts.iter().enumerate() {
        any |= n > 0;
        let name = &cfg.names[i];
        if !started[i] && trouble {
            continue;
        }
        if cfg.count {
            if cfg.with_filename {
                buf.extend_from_slice(name);
                buf.push(if cfg.null { 0 } else { b':' });
            }
            push_u64(&mut buf, n);
            buf.push(b'\n');
        }
        if (cfg.files_with_matches && n > 0) || (cfg.files_without_match && n == 0) {
            buf.extend_from_slice(name);
            buf.push(if cfg.null { 0 } else { b'\n' });
        }
    }
    out.write_all(&buf)?;
    out.flush()?;
    Ok(if trouble && !(cfg.quiet && any) {
        2
    } else if any {
        0
    } else {
        1
    })
}
