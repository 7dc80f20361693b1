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
use crate::input::{stream::StreamOptions, Chunk, ChunkStream, Source, StreamItem};
use crate::output::Output;
use crate::progress::Progress;
use std::ops::Range;
use std::sync::Arc;

/// A column search, resolved from the command line.
pub struct ColumnJob {
    pub cfg: Config,
    pub matcher: Matcher,
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

/// Selected records of one chunk.
fn search_records(
    m: &Matcher,
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
    let mut records = dialect.records(data).peekable();
    if skip_header {
        if let Some(h) = records.next() {
            let end = records.peek().map_or(data.len(), |n| n.start);
            found.header = Some(data[h.start..end].to_vec());
        }
    }
    while let Some(r) = records.next() {
        let end = records.peek().map_or(data.len(), |n| n.start);
        split_fields(r.body, dialect.delimiter, dialect.quoting, &mut ranges);
        let mut hit = false;
        for (i, f) in ranges.iter().enumerate() {
            if let Some(mask) = mask {
                if !mask.contains(i) {
                    if mask.done_after(i) {
                        break;
                    }
                    continue;
                }
            }
            let raw = &r.body[f.clone()];
            let value = if dialect.quoting { unquote(raw) } else { raw.into() };
            if m.is_match(&value) {
                hit = true;
                break;
            }
        }
        if hit != invert {
            found.records.push(r.start..end);
        }
    }
    found
}

pub fn run(job: ColumnJob, sources: Vec<Source>, mut progress: Progress) -> Result<i32> {
    let ColumnJob {
        cfg,
        matcher,
        dialect,
        has_header,
        select,
        threads,
    } = job;
    let mut stream = ChunkStream::new(
        sources.clone(),
        StreamOptions::new(dialect.record_format(), threads),
    );
    // Read ahead to the first chunk to resolve column names.
    let mut head: Vec<StreamItem> = Vec::new();
    let mut header: Option<Header> = None;
    if has_header {
        for item in stream.by_ref() {
            let h = match &item {
                StreamItem::Chunk(c) => dialect
                    .records(&c.data)
                    .next()
                    .map(|r| Header::parse(r.body, &dialect)),
                StreamItem::Error { .. } => None,
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
    let shared = Arc::new((matcher, dialect, mask, cfg.invert, has_header));
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
    let items = head.into_iter().chain(stream).map(super::to_item);
    engine::ordered_map(
        threads,
        items,
        move |c: &Chunk| {
            let (m, d, mask, invert, has_header) = &*worker;
            search_records(m, d, mask.as_ref(), *invert, &c.data, *has_header && c.index == 0)
        },
        |ev| {
            match ev {
                Event::Mapped(c, found) => {
                    progress.inc(c.data.len() as u64);
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
                            buf.extend_from_slice(&c.data[r.clone()]);
                            if c.data[r.end - 1] != b'\n' {
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
