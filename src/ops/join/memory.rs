//! The in-memory path: both inputs are loaded (plain files that fit are
//! mmapped; others read into chunk buffers kept whole), lines are indexed
//! (place, key place, 8-byte key prefix) on all threads, each side is put
//! in stable key order, and the sorted indexes are joined by
//! [`merge::merge_join`] — the same loop as the streaming path, so the
//! output is GNU's by construction — or, for plain pairs, printed
//! directly in that loop's order.
//!
//! Key order, two ways:
//! - the hash path (`hash_match`), when one side's unpaired lines are
//!   not printed: the other side is sorted, its distinct keys ranked and
//!   put in a [`KeyTable`]; the first side is probed on all threads, its
//!   unmatched lines dropped, its matched lines counting-sorted by rank.
//!   When only pairs are printed in the default layout, they are printed
//!   straight from these matches (`print_matches`), key by key;
//! - otherwise (`-a1 -a2`, `-o auto`) both sides are comparison-sorted
//!   (rayon's parallel sort, prefix first).
//!
//! Otherwise, to use every core for the join itself, the sorted indexes
//! are cut at key boundaries into segments (a key never straddles two),
//! joined in parallel by the merge join, a wave of 2×threads segments at
//! a time, and written in order, so the output does not depend on the
//! thread count.
//!
//! Loading stops as soon as the inputs (plus 48 bytes a line for the
//! index and the sort's scratch) pass the budget; [`external`] then takes
//! the loaded chunks and the rest of the stream.

use super::gnu::{compare_keys, key_prefix, Layout, Spec};
use super::merge::{self, Check, LineSource};
use super::table::{KeyTable, Probe};
use super::{external, Resources};
use crate::error::{Error, Result};
use crate::input::map::{Map, Population};
use crate::input::{stream::StreamOptions, ChunkStream, RecordFormat, Source, StreamItem};
use crate::output::Output;
use rayon::prelude::*;
use std::sync::Arc;

/// Memory charged per line on top of its bytes: the index entry and the
/// merge sort's scratch half.
const LINE_COST: u64 = 48;

/// Maps `path` if it is a non-empty regular file of at most `max` bytes
/// that is not gzip. Mapping (with `MAP_POPULATE`) instead of reading
/// saves the copy and the zeroing of fresh pages: page clearing alone
/// was 16% of the benchmark join's profile. (A file truncated under us
/// would fault, as it does for every mmap reader; inputs are not written
/// while joined.)
fn map_file(path: &std::path::Path, max: u64) -> Option<Map> {
    if std::fs::metadata(path).ok()?.len() > max {
        return None;
    }
    Map::open(path, Population::Now)
}

/// A loaded chunk: read into a buffer, or a record-aligned piece of a
/// mapped file.
pub enum Piece {
    Owned(Vec<u8>),
    Mapped(Arc<Map>, std::ops::Range<usize>),
}

impl std::ops::Deref for Piece {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Piece::Owned(v) => v,
            Piece::Mapped(m, r) => &m.bytes()[r.clone()],
        }
    }
}

/// One side, loaded.
pub struct Loaded {
    pub chunks: Vec<Piece>,
    /// The header line (`--header`), without terminator; it is not in
    /// `chunks`' index.
    pub header: Option<Vec<u8>>,
    /// Where chunk 0's data lines start (past the header).
    pub skip: usize,
}

/// An index entry: one line of one side.
#[derive(Clone, Copy, Debug, Default)]
pub struct Entry {
    prefix: u64,
    chunk: u32,
    start: u32,
    len: u32,
    kstart: u32,
    klen: u32,
}

impl Loaded {
    #[inline]
    fn line(&self, e: &Entry) -> &[u8] {
        let s = e.start as usize;
        &self.chunks[e.chunk as usize][s..s + e.len as usize]
    }

    #[inline]
    fn key(&self, e: &Entry) -> &[u8] {
        let s = (e.start + e.kstart) as usize;
        &self.chunks[e.chunk as usize][s..s + e.klen as usize]
    }

    /// Lines of chunk `ci`, each `(start, end)` without terminator.
    pub fn for_each_line(&self, ci: usize, eol: u8, mut f: impl FnMut(usize, usize)) {
        let data = &self.chunks[ci];
        let base = if ci == 0 { self.skip } else { 0 };
        let mut start = base;
        for end in memchr::memchr_iter(eol, &data[base..]).map(|i| i + base) {
            f(start, end);
            start = end + 1;
        }
        if start < data.len() {
            f(start, data.len());
        }
    }
}

/// Where loading ended.
pub enum Load {
    Done(Loaded),
    /// The budget ran out: what was loaded, and the rest of the stream.
    Over(Loaded, Option<ChunkStream>),
    /// Not read yet.
    Pending(Source),
}

/// Loads one source while `used` stays within `budget`.
pub fn load(source: &Source, spec: &Spec, res: &Resources, used: &mut u64) -> Result<Load> {
    let opts = StreamOptions::new(
        RecordFormat::Lines {
            terminator: spec.eol,
        },
        1,
    );
    let mut loaded = Loaded {
        chunks: Vec::new(),
        header: None,
        skip: 0,
    };
    // A plain file that surely fits is mapped, not read; a larger one is
    // read so that the external path's memory stays within the budget
    // (mapped pages count in the resident set once touched).
    let mapped = source
        .path()
        .and_then(|p| map_file(p, (res.budget / 4).saturating_sub(*used)));
    if let Some(m) = mapped {
        let m = Arc::new(m);
        let data = m.bytes();
        let step = crate::input::chunk_size();
        let mut start = 0;
        while start < data.len() {
            let end = if start + step >= data.len() {
                data.len()
            } else {
                memchr::memchr(spec.eol, &data[start + step..])
                    .map_or(data.len(), |i| start + step + i + 1)
            };
            if end - start > u32::MAX as usize {
                return Err(Error::data(format!(
                    "{}: a line longer than 4 GiB is not supported",
                    source.name()
                )));
            }
            loaded.chunks.push(Piece::Mapped(m.clone(), start..end));
            start = end;
        }
        let lines = memchr::memchr_iter(spec.eol, data).count() as u64 + 1;
        *used += data.len() as u64 + lines * LINE_COST;
        if spec.header {
            let end = memchr::memchr(spec.eol, data).unwrap_or(data.len());
            loaded.header = Some(data[..end].to_vec());
            loaded.skip = (end + 1).min(loaded.chunks[0].len());
        }
        if *used > res.budget {
            return Ok(Load::Over(loaded, None));
        }
        return Ok(Load::Done(loaded));
    }
    let mut stream = ChunkStream::new(vec![source.clone()], opts);
    while let Some(item) = stream.next() {
        let mut chunk = match item {
            StreamItem::Chunk(c) => c,
            StreamItem::Error { error, .. } => return Err(error),
        };
        let data = std::mem::take(&mut chunk.data);
        if data.len() > u32::MAX as usize {
            return Err(Error::data(format!(
                "{}: a line longer than 4 GiB is not supported",
                source.name()
            )));
        }
        let lines = memchr::memchr_iter(spec.eol, &data).count() as u64 + 1;
        *used += data.len() as u64 + lines * LINE_COST;
        if loaded.chunks.is_empty() && spec.header {
            let end = memchr::memchr(spec.eol, &data).unwrap_or(data.len());
            loaded.header = Some(data[..end].to_vec());
            loaded.skip = (end + 1).min(data.len());
        }
        loaded.chunks.push(Piece::Owned(data));
        if *used > res.budget {
            return Ok(Load::Over(loaded, Some(stream)));
        }
    }
    Ok(Load::Done(loaded))
}

/// Joins the two sources into `output`; returns the exit status.
pub fn join(
    spec: &Spec,
    sources: [Source; 2],
    res: &Resources,
    output: &mut Output,
) -> Result<i32> {
    let mut used = 0u64;
    let [s1, s2] = sources;
    let a = load(&s1, spec, res, &mut used)?;
    let a = match a {
        Load::Done(a) => a,
        over => return external::join(spec, [over, Load::Pending(s2)], res, output),
    };
    let b = load(&s2, spec, res, &mut used)?;
    let b = match b {
        Load::Done(b) => b,
        over => return external::join(spec, [Load::Done(a), over], res, output),
    };
    join_loaded(spec, &a, &b, res, output)
}

/// The index entry of the line `s..e` of chunk `ci`.
#[inline]
fn entry_of(t: &Loaded, ci: usize, s: usize, e: usize, spec: &Spec, which: u8) -> Entry {
    let line = &t.chunks[ci][s..e];
    let k = spec.key(line, which);
    let kstart = if k.is_empty() {
        0
    } else {
        k.as_ptr() as usize - line.as_ptr() as usize
    };
    Entry {
        prefix: key_prefix(k, spec.ignore_case),
        chunk: ci as u32,
        start: s as u32,
        len: (e - s) as u32,
        kstart: kstart as u32,
        klen: k.len() as u32,
    }
}

/// Indexes every line of `t` on all threads.
fn index(t: &Loaded, spec: &Spec, which: u8) -> Vec<Entry> {
    let parts: Vec<Vec<Entry>> = (0..t.chunks.len())
        .into_par_iter()
        .map(|ci| {
            let mut v = Vec::new();
            t.for_each_line(ci, spec.eol, |s, e| {
                v.push(entry_of(t, ci, s, e, spec, which))
            });
            v
        })
        .collect();
    let mut all = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for p in parts {
        all.extend_from_slice(&p);
    }
    all
}

/// The hash path, for a `probe` side whose unpaired lines are not
/// printed: the `build` side is indexed and sorted; its distinct keys,
/// numbered in order (ranks), go into a hash map; the probe side's lines
/// are looked up on all threads as they are indexed, so lines without a
/// partner never get an entry, and the matched ones are put in key order
/// by a stable counting sort on their rank, in O(n). Returns the sorted
/// build and probe indexes; build lines no probe line matched are dropped
/// unless `keep_build` (their unpaired lines are printed).
///
/// Measured on the 10M × 2M benchmark (2 cores): this replaced a hash
/// filter plus a comparison sort of the large side that took 3× longer.
fn hash_match(spec: &Spec, build: (&Loaded, u8), probe: (&Loaded, u8)) -> Matches {
    let ic = spec.ignore_case;
    let (bt, bw) = build;
    let (pt, pw) = probe;
    let mut be = index(bt, spec, bw);
    sort(bt, &mut be, ic);
    // The first entry of each run of equal keys, with its key's probe,
    // found on all threads: in key order the keys are scattered in
    // memory, so each is a cache miss (done on one thread, this was the
    // longest serial step of the benchmark join: 0.4 s of 2.5 s).
    const RUNS_PIECE: usize = 1 << 16;
    let starts: Vec<Vec<(u32, Probe)>> = be
        .par_chunks(RUNS_PIECE)
        .enumerate()
        .map(|(c, part)| {
            let base = c * RUNS_PIECE;
            let mut v = Vec::new();
            let mut prev = base.checked_sub(1).map(|i| bt.key(&be[i]));
            for (j, e) in part.iter().enumerate() {
                if let Some(ahead) = part.get(j + 8) {
                    prefetch(bt.key(ahead).as_ptr());
                }
                let k = bt.key(e);
                if prev.is_none_or(|p| compare_keys(p, k, ic).is_ne()) {
                    v.push(((base + j) as u32, Probe::new(k, ic)));
                }
                prev = Some(k);
            }
            v
        })
        .collect();
    let firsts: Vec<u32> = starts.iter().flatten().map(|&(i, _)| i).collect();
    let nranks = firsts.len();
    let table = KeyTable::with_capacity(nranks, ic);
    // Inserts on all threads (done on one, each a cache miss, they were
    // 0.2 s of the benchmark join), in batches whose slots are
    // prefetched first.
    let probes: Vec<&Probe> = starts.iter().flatten().map(|(_, p)| p).collect();
    const INSERTS: usize = 1 << 14;
    probes
        .par_chunks(INSERTS)
        .enumerate()
        .for_each(|(c, part)| {
            for (b, group) in part.chunks(16).enumerate() {
                for p in group {
                    table.prefetch(p);
                }
                for (j, p) in group.iter().enumerate() {
                    table.insert(p, (c * INSERTS + b * 16 + j) as u32);
                }
            }
        });
    drop(probes);
    drop(starts);
    let rank_key = |r: u32| bt.key(&be[firsts[r as usize] as usize]);
    // Matches per rank (the counting sort's counts, and which build keys
    // were hit) are counted in the table's slots.
    const BATCH: usize = 16;
    let parts: Vec<Vec<(u32, Entry)>> = (0..pt.chunks.len())
        .into_par_iter()
        .map(|ci| {
            let data = &pt.chunks[ci];
            let mut v = Vec::new();
            let mut batch: Vec<(Entry, Probe)> = Vec::with_capacity(BATCH);
            let resolve = |batch: &mut Vec<(Entry, Probe)>, v: &mut Vec<(u32, Entry)>| {
                for (e, p) in batch.drain(..) {
                    if let Some(r) = table.find(pt.key(&e), &p, rank_key) {
                        v.push((r, e));
                    }
                }
            };
            pt.for_each_line(ci, spec.eol, |s, e| {
                let line = &data[s..e];
                let k = spec.key(line, pw);
                let kstart = if k.is_empty() {
                    0
                } else {
                    k.as_ptr() as usize - line.as_ptr() as usize
                };
                let p = Probe::new(k, ic);
                table.prefetch(&p);
                let entry = Entry {
                    prefix: 0,
                    chunk: ci as u32,
                    start: s as u32,
                    len: (e - s) as u32,
                    kstart: kstart as u32,
                    klen: k.len() as u32,
                };
                batch.push((entry, p));
                if batch.len() == BATCH {
                    resolve(&mut batch, &mut v);
                }
            });
            resolve(&mut batch, &mut v);
            v
        })
        .collect();
    let counts = table.hits(nranks);
    drop(table);
    let pe = counting_sort(&parts, &counts);
    drop(parts);
    Matches {
        build: be,
        firsts,
        counts,
        probe: pe,
    }
}

/// What the hash path found: the build side in key order, the start of
/// each of its distinct keys (by rank), how many probe lines matched each
/// rank, and those probe lines in rank order.
struct Matches {
    build: Vec<Entry>,
    firsts: Vec<u32>,
    counts: Vec<u32>,
    probe: Vec<Entry>,
}

impl Matches {
    /// The sorted build and probe indexes for the merge join; build lines
    /// no probe line matched are dropped unless `keep_build` (their
    /// unpaired lines are printed).
    fn into_sorted(self, keep_build: bool) -> (Vec<Entry>, Vec<Entry>) {
        let Matches {
            build: mut be,
            firsts,
            counts,
            probe,
        } = self;
        if !keep_build {
            // Entry i belongs to the last run that starts at or before it.
            let nranks = firsts.len();
            let mut i = 0;
            let mut rank = 0;
            be.retain(|_| {
                while rank + 1 < nranks && firsts[rank + 1] as usize <= i {
                    rank += 1;
                }
                i += 1;
                counts[rank] > 0
            });
        }
        (be, probe)
    }

    /// The build entries of rank `r`.
    fn build_run(&self, r: usize) -> &[Entry] {
        let end = self
            .firsts
            .get(r + 1)
            .map_or(self.build.len(), |&e| e as usize);
        &self.build[self.firsts[r] as usize..end]
    }
}

/// Prints every joined pair straight from the matches, when only pairs
/// are printed ([`Spec::spans_layout`], no `-a`/`-v`, no header): key by
/// key in rank order, each file-1 line of the key against each file-2
/// line, as GNU's join loop does, with no key comparisons and no field
/// splitting (the key's place is in the index entry). Keys are cut into
/// segments of about equal output, printed on all threads a wave at a
/// time and written in order. (The general merge join over the sorted
/// indexes spent about 0.85 s on the benchmark's 3.6M output lines: line
/// copies, splits and key comparisons the hash match already settled.)
fn print_matches(
    spec: &Spec,
    m: &Matches,
    tables: (&Loaded, &Loaded),
    probe_is_1: bool,
    res: &Resources,
    output: &mut Output,
) -> Result<()> {
    let (bt, pt) = tables;
    // Per rank: where its probe lines start, and its output lines.
    let nranks = m.counts.len();
    let pairs = |r: usize| match m.counts[r] {
        0 => 0,
        c => u64::from(c) * m.build_run(r).len() as u64,
    };
    let mut probe_at = Vec::with_capacity(nranks + 1);
    let mut acc = 0usize;
    for &c in &m.counts {
        probe_at.push(acc);
        acc += c as usize;
    }
    probe_at.push(acc);
    let lines: u64 = (0..nranks).map(pairs).sum();
    let nseg = (lines / 16_384).clamp(1, 4096).max(res.threads as u64);
    let mut cuts = vec![0usize];
    let mut done = 0u64;
    for r in 0..nranks {
        let n = pairs(r);
        done += n;
        if n > 0 && done * nseg >= lines * cuts.len() as u64 && r + 1 < nranks {
            cuts.push(r + 1);
        }
    }
    cuts.push(nranks);
    cuts.dedup();
    const AHEAD: usize = 8;
    let segment = |r0: usize, r1: usize| {
        let mut out = Vec::new();
        let mut fetched = probe_at[r0];
        let mut fetch_rank = r0;
        for r in r0..r1 {
            if m.counts[r] == 0 {
                continue;
            }
            let b = m.build_run(r);
            let p = &m.probe[probe_at[r]..probe_at[r + 1]];
            // Lines are read in key order, from random places: fetch the
            // lines a few probe entries ahead (and their keys' build
            // lines) while this key prints.
            while fetched < probe_at[r1] && fetched < probe_at[r + 1] + AHEAD {
                prefetch(pt.line(&m.probe[fetched]).as_ptr());
                while fetch_rank < r1 && probe_at[fetch_rank + 1] <= fetched {
                    fetch_rank += 1;
                }
                if fetched == probe_at[fetch_rank] {
                    for e in m.build_run(fetch_rank).iter().take(2) {
                        prefetch(bt.line(e).as_ptr());
                    }
                }
                fetched += 1;
            }
            let ((t1, g1), (t2, g2)) = if probe_is_1 {
                ((pt, p), (bt, b))
            } else {
                ((bt, b), (pt, p))
            };
            for e1 in g1 {
                let l1 = t1.line(e1);
                let k1 = (e1.kstart as usize, e1.klen as usize);
                for e2 in g2 {
                    out.extend_from_slice(t1.key(e1));
                    spec.others_of(l1, 1, k1, &mut out);
                    spec.others_of(
                        t2.line(e2),
                        2,
                        (e2.kstart as usize, e2.klen as usize),
                        &mut out,
                    );
                    out.push(spec.eol);
                }
            }
        }
        out
    };
    let wave = res.threads.max(1) * 2;
    let segs: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    for group in segs.chunks(wave) {
        let outs: Vec<Vec<u8>> = group.par_iter().map(|&(a, b)| segment(a, b)).collect();
        for o in outs {
            output.write_all(&o)?;
        }
    }
    Ok(())
}

/// Puts `(rank, entry)` pairs (in input order) in rank order, stably,
/// given the count of each rank. The output is cut into one slice per
/// thread by rank range; each thread scans all pairs and places its own,
/// so the scattered writes (the cost: they miss the cache) run in
/// parallel without sharing a slice.
fn counting_sort(parts: &[Vec<(u32, Entry)>], counts: &[u32]) -> Vec<Entry> {
    let n: usize = counts.iter().map(|&c| c as usize).sum();
    let mut out = vec![Entry::default(); n];
    let ways = rayon::current_num_threads().max(1);
    // Rank ranges of about n / ways entries each.
    let mut cuts = vec![0usize];
    let mut acc = 0usize;
    let mut starts = Vec::with_capacity(counts.len());
    for (r, &c) in counts.iter().enumerate() {
        starts.push(acc);
        acc += c as usize;
        if acc * ways >= n * cuts.len() && cuts.len() < ways && r + 1 < counts.len() {
            cuts.push(r + 1);
        }
    }
    cuts.push(counts.len());
    let mut slices = Vec::new();
    let mut rest: &mut [Entry] = &mut out;
    for w in cuts.windows(2) {
        let lo = starts.get(w[0]).copied().unwrap_or(n);
        let hi = starts.get(w[1]).copied().unwrap_or(n);
        let (mine, tail) = rest.split_at_mut(hi - lo);
        slices.push((w[0] as u32, w[1] as u32, lo, mine));
        rest = tail;
    }
    slices.into_par_iter().for_each(|(r0, r1, base, slice)| {
        let mut cursor: Vec<usize> = starts[r0 as usize..r1 as usize]
            .iter()
            .map(|s| s - base)
            .collect();
        for &(r, e) in parts.iter().flatten() {
            if r >= r0 && r < r1 {
                let c = &mut cursor[(r - r0) as usize];
                slice[*c] = e;
                *c += 1;
            }
        }
    });
    out
}

/// Puts entries (indexed in input order) in key order, lines of one key
/// in input order: an unstable sort with the line's place as the last
/// tie-break is that stable sort, without the merge sort's scratch copy.
fn sort(t: &Loaded, entries: &mut [Entry], ic: bool) {
    entries.par_sort_unstable_by(|a, b| {
        a.prefix
            .cmp(&b.prefix)
            .then_with(|| compare_keys(t.key(a), t.key(b), ic))
            .then((a.chunk, a.start).cmp(&(b.chunk, b.start)))
    });
}

/// Lines of one segment of a sorted index, after an optional header.
struct EntryLines<'a> {
    t: &'a Loaded,
    header: Option<&'a [u8]>,
    entries: std::slice::Iter<'a, Entry>,
}

impl LineSource for EntryLines<'_> {
    fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
        buf.clear();
        if let Some(h) = self.header.take() {
            buf.extend_from_slice(h);
            return Ok(true);
        }
        // Lines come in key order, scattered in memory: fetch the line
        // a few entries ahead so its cache miss overlaps this copy (the
        // copies were a quarter of the benchmark join's profile).
        if let Some(ahead) = self.entries.as_slice().get(8) {
            prefetch(self.t.line(ahead).as_ptr());
        }
        match self.entries.next() {
            Some(e) => {
                buf.extend_from_slice(self.t.line(e));
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[inline]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint and never faults.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0)
    };
}

fn field_count(spec: &Spec, line: &[u8]) -> usize {
    let mut f = Vec::new();
    spec.split(line, &mut f);
    f.len()
}

/// Joins two loaded sides.
pub fn join_loaded(
    spec: &Spec,
    a: &Loaded,
    b: &Loaded,
    res: &Resources,
    output: &mut Output,
) -> Result<i32> {
    let ic = spec.ignore_case;
    let mut spec = spec.clone();
    let auto = matches!(spec.layout, Layout::Auto(..));
    // The hash path needs a side whose unpaired lines are not printed;
    // it probes with the larger such side. `-o auto` needs each side's
    // first sorted line, unmatched or not, so it sorts both sides whole.
    let size = |t: &Loaded| t.chunks.iter().map(|c| c.len()).sum::<usize>();
    let probe = match (spec.unpaired1, spec.unpaired2) {
        _ if auto => None,
        (false, false) => Some(if size(a) >= size(b) { 1 } else { 2 }),
        (false, true) => Some(1),
        (true, false) => Some(2),
        (true, true) => None,
    };
    // Only pairs printed, in the default layout: straight from the matches.
    let direct =
        spec.spans_layout() && spec.pairables && !spec.header && !spec.unpaired1 && !spec.unpaired2;
    let (e1, e2) = match probe {
        Some(1) => {
            let m = hash_match(&spec, (b, 2), (a, 1));
            if direct {
                print_matches(&spec, &m, (b, a), true, res, output)?;
                return Ok(0);
            }
            let (e2, e1) = m.into_sorted(spec.unpaired2);
            (e1, e2)
        }
        Some(_) => {
            let m = hash_match(&spec, (a, 1), (b, 2));
            if direct {
                print_matches(&spec, &m, (a, b), false, res, output)?;
                return Ok(0);
            }
            m.into_sorted(spec.unpaired1)
        }
        None => {
            let (mut e1, mut e2) = rayon::join(|| index(a, &spec, 1), || index(b, &spec, 2));
            rayon::join(|| sort(a, &mut e1, ic), || sort(b, &mut e2, ic));
            if auto {
                let first = |t: &Loaded, e: &[Entry]| match &t.header {
                    Some(h) => field_count(&spec, h),
                    None => e.first().map_or(0, |x| field_count(&spec, t.line(x))),
                };
                spec.layout = Layout::Auto(first(a, &e1), first(b, &e2));
            }
            (e1, e2)
        }
    };

    // Segment boundaries: pivots taken from the larger side, each
    // boundary the first entry (on both sides) whose key is not below
    // the pivot.
    let total = e1.len() + e2.len();
    let nseg = (total / 32_768)
        .clamp(1, 4096)
        .max(res.threads.min(total.max(1)));
    let (big, bt) = if e1.len() >= e2.len() {
        (&e1, a)
    } else {
        (&e2, b)
    };
    let mut bounds: Vec<(usize, usize)> = vec![(0, 0)];
    for k in 1..nseg {
        let p = &big[k * big.len() / nseg];
        let pk = bt.key(p);
        let b1 = e1.partition_point(|e| compare_keys(a.key(e), pk, ic).is_lt());
        let b2 = e2.partition_point(|e| compare_keys(b.key(e), pk, ic).is_lt());
        if (b1, b2) != *bounds.last().expect("non-empty") {
            bounds.push((b1, b2));
        }
    }
    bounds.push((e1.len(), e2.len()));
    let segs: Vec<(usize, usize, usize, usize)> = bounds
        .windows(2)
        .map(|w| (w[0].0, w[1].0, w[0].1, w[1].1))
        .collect();

    let mut code = 0;
    let wave = res.threads.max(1) * 2;
    for (wi, group) in segs.chunks(wave).enumerate() {
        let outs: Vec<Result<(Vec<u8>, i32)>> = group
            .par_iter()
            .enumerate()
            .map(|(i, &(a0, a1, b0, b1))| {
                let first = wi == 0 && i == 0;
                let mut seg_spec = spec.clone();
                seg_spec.header = spec.header && first;
                let la = EntryLines {
                    t: a,
                    header: if first { a.header.as_deref() } else { None },
                    entries: e1[a0..a1].iter(),
                };
                let lb = EntryLines {
                    t: b,
                    header: if first { b.header.as_deref() } else { None },
                    entries: e2[b0..b1].iter(),
                };
                let mut out = Vec::new();
                let c = merge::merge_join(&seg_spec, Check::Disabled, la, lb, false, &mut |x| {
                    out.extend_from_slice(x);
                    Ok(())
                })?;
                Ok((out, c))
            })
            .collect();
        for o in outs {
            let (bytes, c) = o?;
            code = code.max(c);
            output.write_all(&bytes)?;
        }
    }
    Ok(code)
}
