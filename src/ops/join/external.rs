//! The out-of-core path: each side is stably sorted by its join key
//! through the shared [`Sorter`] (runs spilled to private temp files past
//! half the budget each, k-way merged), then the two sorted streams are
//! merge-joined by [`merge::merge_join`]. This is literally the
//! `join <(sort -s …) <(sort -s …)` pipeline the output is defined by,
//! in one process.
//!
//! A record in the sorter is the line prefixed by its key's place
//! (`start`, `len`: two little-endian u32), so comparisons do not split
//! fields again.

use super::gnu::{compare_keys, Spec};
use super::memory::Load;
use super::merge::{self, Check, LineSource};
use super::Resources;
use crate::error::Result;
use crate::input::{stream::StreamOptions, ChunkStream, RecordFormat, StreamItem};
use crate::output::Output;
use crate::shuffle::sort::{Compare, SortOptions, Sorted, Sorter};
use std::cmp::Ordering;

/// Orders encoded records by join key (GNU's `keycmp`).
pub struct KeyCmp {
    ignore_case: bool,
}

#[inline]
fn key_of(rec: &[u8]) -> &[u8] {
    let s = u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]) as usize;
    let l = u32::from_le_bytes([rec[4], rec[5], rec[6], rec[7]]) as usize;
    &rec[8 + s..8 + s + l]
}

impl Compare for KeyCmp {
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        compare_keys(key_of(a), key_of(b), self.ignore_case)
    }
}

/// A sorted side: its header line (if any), then its sorted lines.
struct SortedLines {
    header: Option<Vec<u8>>,
    sorted: Sorted<KeyCmp>,
}

impl LineSource for SortedLines {
    fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
        buf.clear();
        if let Some(h) = self.header.take() {
            *buf = h;
            return Ok(true);
        }
        match self.sorted.next_record()? {
            Some(rec) => {
                buf.extend_from_slice(&rec[8..]);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Feeds one side's lines into a sorter.
struct Feeder<'s> {
    spec: &'s Spec,
    which: u8,
    sorter: Sorter<KeyCmp>,
    header: Option<Vec<u8>>,
    first: bool,
    rec: Vec<u8>,
}

impl Feeder<'_> {
    fn chunk(&mut self, data: &[u8]) -> Result<()> {
        let eol = self.spec.eol;
        let mut start = 0;
        if self.first {
            self.first = false;
            if self.spec.header {
                let end = memchr::memchr(eol, data).unwrap_or(data.len());
                self.header = Some(data[..end].to_vec());
                start = (end + 1).min(data.len());
            }
        }
        let mut rest = &data[start..];
        while !rest.is_empty() {
            let (line, next) = match memchr::memchr(eol, rest) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            self.push(line)?;
            rest = next;
        }
        Ok(())
    }

    fn push(&mut self, line: &[u8]) -> Result<()> {
        let k = self.spec.key(line, self.which);
        let ks = if k.is_empty() {
            0
        } else {
            k.as_ptr() as usize - line.as_ptr() as usize
        };
        self.rec.clear();
        self.rec.extend_from_slice(&(ks as u32).to_le_bytes());
        self.rec.extend_from_slice(&(k.len() as u32).to_le_bytes());
        self.rec.extend_from_slice(line);
        self.sorter.push(&self.rec)
    }
}

/// Sorts one side, whatever part of it was already loaded.
fn sort_side(
    spec: &Spec,
    load: Load,
    which: u8,
    res: &Resources,
    budget: u64,
) -> Result<SortedLines> {
    let mut f = Feeder {
        spec,
        which,
        sorter: Sorter::new(
            KeyCmp {
                ignore_case: spec.ignore_case,
            },
            SortOptions {
                budget,
                threads: res.threads,
                tmp_dirs: res.tmp_dirs.clone(),
            },
        ),
        header: None,
        first: true,
        rec: Vec::new(),
    };
    let stream = match load {
        Load::Done(l) => {
            feed_loaded(&mut f, l)?;
            None
        }
        Load::Over(l, rest) => {
            feed_loaded(&mut f, l)?;
            rest
        }
        Load::Pending(source) => {
            let opts = StreamOptions::new(
                RecordFormat::Lines {
                    terminator: spec.eol,
                },
                1,
            );
            Some(ChunkStream::new(vec![source], opts))
        }
    };
    for item in stream.into_iter().flatten() {
        match item {
            StreamItem::Chunk(c) => f.chunk(&c.data)?,
            StreamItem::Error { error, .. } => return Err(error),
        }
    }
    Ok(SortedLines {
        header: f.header.take(),
        sorted: f.sorter.finish_parallel(b'\n')?,
    })
}

/// Pushes already loaded chunks, freeing each once pushed.
fn feed_loaded(f: &mut Feeder, l: super::memory::Loaded) -> Result<()> {
    if l.chunks.is_empty() {
        return Ok(());
    }
    // The loader already split off the header.
    f.first = false;
    f.header = l.header;
    for (i, data) in l.chunks.into_iter().enumerate() {
        let skip = if i == 0 { l.skip } else { 0 };
        f.chunk(&data[skip..])?;
    }
    Ok(())
}

/// Joins two sides through external sorts.
pub fn join(spec: &Spec, loads: [Load; 2], res: &Resources, output: &mut Output) -> Result<i32> {
    let half = (res.budget / 2).max(1);
    let [l1, l2] = loads;
    // Both sides sort at once (each within half the budget): reading,
    // parsing and spilling one overlaps the other's.
    let (a, b) = rayon::join(
        || sort_side(spec, l1, 1, res, half),
        || sort_side(spec, l2, 2, res, half),
    );
    let (a, b) = (a?, b?);
    merge::merge_join(spec, Check::Disabled, a, b, true, &mut |bytes| {
        output.write_all(bytes)
    })
}
