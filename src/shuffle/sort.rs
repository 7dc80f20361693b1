//! External sort of records under a memory budget.
//!
//! A [`Sorter`] copies the records it is given into one arena buffer and
//! keeps, per record, a 16-byte `Entry`: the comparator's order-keeping
//! 8-byte key prefix ([`Compare::prefix`]), the record's offset and its
//! length. No heap string per record. When arena plus entries reach the
//! budget, the entries are sorted (in parallel on a rayon pool of
//! `threads` threads; most comparisons are decided by the prefixes alone)
//! and the records are written in order as a run ([`super::run`]) to a
//! private temp directory ([`super::tmp`]: removed on success, on error
//! and on SIGINT/SIGTERM/SIGHUP).
//!
//! [`Sorter::finish`] sorts what is left. When nothing spilled, the result
//! is read straight from memory. Otherwise the last buffer stays in memory
//! as one more merge source and the runs are merged with a loser tree
//! ([`super::merge`]) of at most `batch_size` sources; when there are more
//! runs than that, groups of consecutive runs are first merged into longer
//! runs (several groups at once on the pool), level after level, so the
//! number of open files stays bounded.
//!
//! Stability: equal records come out in the order they were pushed. Within
//! a buffer, ties on the comparator are broken by arena offset (push
//! order), so the faster unstable sort gives a stable result; across runs
//! the loser tree breaks ties by source index, runs are numbered in push
//! order, and multi-level merges only ever merge consecutive runs.
//!
//! Memory: the budget covers arena and entries; a merge adds one 256 KiB
//! block per open run (at most `batch_size` per merge) and the output
//! buffer of a run being written.

use super::merge::{LoserTree, RunMerger};
use super::run::{encode_records, MergeSource, RunFile, RunReader, RunWriter};
use super::splitmerge::SplitMerge;
use super::tmp::TempDir;
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::cmp::Ordering;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

/// How records compare; psort's key options and pjoin's join key implement
/// it.
pub trait Compare: Send + Sync + 'static {
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering;

    /// An order-keeping 8-byte prefix of the record's sort key, compared
    /// before [`Compare::compare`] is called: `prefix(a) < prefix(b)` must
    /// imply `compare(a, b) == Less` (and `>` imply `Greater`); equal
    /// prefixes tell nothing and fall back to `compare`. For a byte-wise
    /// key, [`bytes_prefix`] of the key is such a prefix (flip its bits
    /// for a reversed key). The default, a constant, is always correct and
    /// never helps.
    #[inline]
    fn prefix(&self, _record: &[u8]) -> u64 {
        0
    }

    /// A second order-keeping 8-byte word, compared when the prefixes
    /// tie: for records with equal [`Compare::prefix`],
    /// `prefix2(a) < prefix2(b)` must imply `compare(a, b) == Less` (and
    /// `>` imply `Greater`); equal words fall back to `compare`. Merges
    /// cache it beside the prefix (a loser tree's matches between heads
    /// that share their first 8 bytes, as log lines of one month do, are
    /// then still integer comparisons). For a byte-wise key,
    /// [`bytes_prefix2`]. The default, a constant, never helps.
    #[inline]
    fn prefix2(&self, _record: &[u8]) -> u64 {
        0
    }

    /// The order-keeping 8-byte "digit" at `depth` (1, 2, ...) of the
    /// record's ordering, for records whose digits at every smaller depth
    /// are equal (depth 0 is [`Compare::prefix`]): then `digit(a) <
    /// digit(b)` must imply `compare(a, b) == Less` (and `>` imply
    /// `Greater`). The flag says the digits end here: two records with
    /// equal digits up to and including an ending one compare `Equal`
    /// (and the other's digits end there too). `None`: no digit to give;
    /// the engine falls back to [`Compare::compare`]; the engine asks for
    /// depth `d + 1` only of records that all had a digit at depths
    /// `1..=d`. The default gives none. [`bytes_digit`] gives the digits of a byte-wise key.
    #[inline]
    fn digit(&self, _record: &[u8], _depth: usize) -> Option<(u64, bool)> {
        None
    }

    /// Whether two records that tie on their digits below some depth are
    /// compared faster digit by digit from there than by
    /// [`Compare::compare`] (the engine's small groups). True when a
    /// digit is a load from the record, not a key found again each time.
    /// The default: no.
    #[inline]
    fn digits_compare_fast(&self) -> bool {
        false
    }
}

impl<F> Compare for F
where
    F: Fn(&[u8], &[u8]) -> Ordering + Send + Sync + 'static,
{
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        self(a, b)
    }
}

/// The first 8 bytes of `key`, big-endian, zero-padded: an order-keeping
/// prefix for byte-wise (memcmp) comparison of `key`.
#[inline]
pub fn bytes_prefix(key: &[u8]) -> u64 {
    crate::word::be_word(key)
}

/// Bytes 8..16 of `key`, big-endian, zero-padded: [`Compare::prefix2`]
/// of a byte-wise key. Zero padding keeps order here too: two keys with
/// equal padded first words either have their first 8 bytes in common
/// (then these words order their next bytes) or one is shorter than 8
/// bytes with only zeros after it in the other, whose second word is
/// then at least the shorter one's 0.
#[inline]
pub fn bytes_prefix2(key: &[u8]) -> u64 {
    crate::word::be_word(key.get(8..).unwrap_or(&[]))
}

/// The digit at `depth` of a byte-wise (memcmp) key, for
/// [`Compare::digit`]; depth 0 is [`bytes_prefix`] (no length in it).
/// Depth `d >= 1` holds the key's bytes `[8 + 7(d-1), 8 + 7d)`, zero-padded,
/// in its top 7 bytes and a length byte below them: `min(len, 15)` at
/// depth 1, `min(len, end) - start` further on. Padding alone would not do
/// (`ab` and `ab\0` pad alike); with the length byte, equal digits mean
/// equal padded bytes and equal lengths up to the window's end, so a
/// shorter key orders before its extensions and the digits end (flag) at
/// the first window ending past the key.
#[inline]
pub fn bytes_digit(key: &[u8], depth: usize) -> (u64, bool) {
    if depth == 0 {
        return (bytes_prefix(key), false);
    }
    let start = 8 + 7 * (depth - 1);
    let end = start + 7;
    let len = key.len();
    // At most 7 bytes: the lowest byte of the word stays 0 for the length.
    let window = if len > start {
        crate::word::be_word(&key[start..start + (len - start).min(7)])
    } else {
        0
    };
    let len_byte = if depth == 1 {
        len.min(end) as u8
    } else {
        (len.min(end).saturating_sub(start)) as u8
    };
    // Not `<=`: a key ending exactly at the window's end has the same
    // digit as its extensions; its end shows in the next (empty) window.
    (window | u64::from(len_byte), len < end)
}

/// How many digits ([`bytes_digit`]) a byte-wise key of `len` bytes has:
/// at least two (depth 0 carries no length), up to the first window that
/// ends past the key.
#[inline]
pub fn bytes_digits(len: usize) -> usize {
    2 + len.saturating_sub(8) / 7
}

/// Whole records compared as bytes (memcmp order, as `LC_ALL=C sort`),
/// with the byte prefix.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bytes;

impl Compare for Bytes {
    #[inline]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        a.cmp(b)
    }
    #[inline]
    fn prefix(&self, record: &[u8]) -> u64 {
        bytes_prefix(record)
    }
    #[inline]
    fn prefix2(&self, record: &[u8]) -> u64 {
        bytes_prefix2(record)
    }
    #[inline]
    fn digit(&self, record: &[u8], depth: usize) -> Option<(u64, bool)> {
        Some(bytes_digit(record, depth))
    }
    #[inline]
    fn digits_compare_fast(&self) -> bool {
        true
    }
}

/// A comparator shared between the sorter, its merge threads and the
/// final stream (and pmerge's merges).
pub struct Shared<C>(pub Arc<C>);

impl<C> Clone for Shared<C> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<C: Compare> Compare for Shared<C> {
    #[inline]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        self.0.compare(a, b)
    }
    #[inline]
    fn prefix(&self, record: &[u8]) -> u64 {
        self.0.prefix(record)
    }
    #[inline]
    fn prefix2(&self, record: &[u8]) -> u64 {
        self.0.prefix2(record)
    }
    #[inline]
    fn digit(&self, record: &[u8], depth: usize) -> Option<(u64, bool)> {
        self.0.digit(record, depth)
    }
    #[inline]
    fn digits_compare_fast(&self) -> bool {
        self.0.digits_compare_fast()
    }
}

/// Budget, threads and temp dirs for a sort.
#[derive(Clone, Debug)]
pub struct SortOptions {
    /// Bytes of records (plus 16 bytes of bookkeeping each) held before a
    /// run is spilled.
    pub budget: u64,
    pub threads: usize,
    /// `-T` directories (empty: `$TMPDIR` or `/tmp`).
    pub tmp_dirs: Vec<PathBuf>,
}

impl Default for SortOptions {
    fn default() -> SortOptions {
        SortOptions {
            budget: super::default_budget(),
            threads: crate::cli::resolve_threads(None),
            tmp_dirs: Vec::new(),
        }
    }
}

/// How runs are merged and stored (GNU sort's `--batch-size` and
/// `--compress-program`).
#[derive(Clone, Debug)]
pub struct SpillOptions {
    /// Most runs merged at once (open files per merge); at least 2.
    pub batch_size: usize,
    /// Write runs through this program, read them back through `PROG -d`.
    pub compress_program: Option<OsString>,
}

/// GNU sort's default `--batch-size`.
pub const DEFAULT_BATCH_SIZE: usize = 16;

impl Default for SpillOptions {
    fn default() -> SpillOptions {
        SpillOptions {
            batch_size: DEFAULT_BATCH_SIZE,
            compress_program: None,
        }
    }
}

/// One record in the buffer: 16 bytes, no allocation.
#[derive(Clone, Copy, Debug)]
struct Entry {
    prefix: u64,
    off: u32,
    len: u32,
}

/// Bytes each record costs against the budget beyond its own bytes.
const ENTRY_COST: usize = std::mem::size_of::<Entry>();

/// Offsets are 32-bit: one buffer holds at most 4 GiB of record bytes (a
/// larger budget spills 4 GiB runs).
const MAX_ARENA: usize = u32::MAX as usize;

/// Below this many records a buffer is sorted on the calling thread
/// (rayon's split costs more than it gains).
const PARALLEL_MIN: usize = 1 << 14;

/// Accumulates records and sorts them, spilling runs past the budget.
pub struct Sorter<C: Compare> {
    cmp: Shared<C>,
    opts: SortOptions,
    spill: SpillOptions,
    arena: Vec<u8>,
    entries: Vec<Entry>,
    runs: Vec<RunFile>,
    tmp: Option<TempDir>,
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl<C: Compare> Sorter<C> {
    pub fn new(cmp: C, opts: SortOptions) -> Sorter<C> {
        Sorter::with_spill(cmp, opts, SpillOptions::default())
    }

    /// A sorter with explicit merge fan-in and run compression.
    pub fn with_spill(cmp: C, opts: SortOptions, spill: SpillOptions) -> Sorter<C> {
        let pool = shared_pool(opts.threads);
        Sorter {
            cmp: Shared(Arc::new(cmp)),
            opts,
            spill: SpillOptions {
                batch_size: spill.batch_size.max(2),
                ..spill
            },
            arena: Vec::new(),
            entries: Vec::new(),
            runs: Vec::new(),
            tmp: None,
            pool,
        }
    }

    /// Reserves the whole buffer at the first record: address space only
    /// (pages are backed as they are touched, so RSS still grows with the
    /// data), but arena and entries never move (no copy on growth). If the
    /// reservation is refused (a budget beyond what the system will map),
    /// the vectors grow as usual. (Asking for transparent huge pages on
    /// top saved 0.15 s of user time on 10M lines but cost 0.5 s more in
    /// the kernel, faulting and compacting: not done.)
    #[cold]
    fn reserve(&mut self) {
        let budget = usize::try_from(self.opts.budget).unwrap_or(usize::MAX);
        let _ = self.arena.try_reserve_exact(budget.min(MAX_ARENA));
        let _ = self.entries.try_reserve_exact(budget / ENTRY_COST + 1);
    }

    /// Adds one record.
    #[inline]
    pub fn push(&mut self, record: &[u8]) -> Result<()> {
        if self.arena.capacity() == 0 {
            self.reserve();
        }
        let len = record.len();
        let used = self.arena.len() + self.entries.len() * ENTRY_COST;
        if !self.entries.is_empty()
            && ((used + len + ENTRY_COST) as u64 > self.opts.budget
                || self.arena.len() + len > MAX_ARENA)
        {
            self.spill()?;
        }
        if len > MAX_ARENA {
            return Err(Error::data(format!(
                "record of {len} bytes is too long to sort (limit 4 GiB)"
            )));
        }
        self.entries.push(Entry {
            prefix: self.cmp.prefix(record),
            off: self.arena.len() as u32,
            len: len as u32,
        });
        self.arena.extend_from_slice(record);
        Ok(())
    }

    /// Adds every record of `data`, records ending with `terminator` (the
    /// last one may lack it): the same as pushing them one by one, but
    /// done on the pool's threads, each taking a piece of `data`: it
    /// copies its bytes into the arena and writes its records' entries
    /// (prefixes computed) straight into place. (Sorting 10M lines of
    /// left.tsv in memory on the shared 2-core machine: pushing line by
    /// line cost 14% more CPU in all than by 4 MiB chunks split on two
    /// threads; copying arena and entries on the calling thread after the
    /// split was another 0.2 s of a 1.9 s run.)
    pub fn push_chunk(&mut self, data: &[u8], terminator: u8) -> Result<()> {
        if self.arena.capacity() == 0 && !data.is_empty() {
            self.reserve();
        }
        if let Some(pool) = self.pool.clone().filter(|_| data.len() >= PARALLEL_CHUNK) {
            let pieces = split_at_terminators(data, terminator, pool.current_num_threads());
            let counts: Vec<usize> = pool.install(|| {
                pieces
                    .par_iter()
                    .map(|&(start, end)| records_in(&data[start..end], terminator))
                    .collect()
            });
            let n: usize = counts.iter().sum();
            let used = self.arena.len() + (self.entries.len() + n) * ENTRY_COST;
            let base = self.arena.len();
            if (used + data.len()) as u64 <= self.opts.budget && base + data.len() <= MAX_ARENA {
                self.arena.reserve(data.len());
                self.entries.reserve(n);
                let filled = self.entries.len();
                let cmp = &self.cmp;
                let mut jobs = Vec::with_capacity(pieces.len());
                let mut arena_rest = &mut self.arena.spare_capacity_mut()[..data.len()];
                let mut entries_rest = &mut self.entries.spare_capacity_mut()[..n];
                for (&(start, end), &count) in pieces.iter().zip(&counts) {
                    let (bytes, a) = std::mem::take(&mut arena_rest).split_at_mut(end - start);
                    let (slots, e) = std::mem::take(&mut entries_rest).split_at_mut(count);
                    jobs.push((&data[start..end], base + start, bytes, slots));
                    arena_rest = a;
                    entries_rest = e;
                }
                pool.install(|| {
                    jobs.into_par_iter().for_each(|(piece, at, bytes, slots)| {
                        for (slot, &b) in bytes.iter_mut().zip(piece) {
                            slot.write(b);
                        }
                        fill_entries(piece, at, terminator, cmp, slots);
                    })
                });
                // SAFETY: the jobs wrote all `data.len()` reserved bytes
                // (each piece its own bytes) and all `n` reserved entries
                // (`fill_entries` writes one per record of its piece, and
                // `records_in` counted exactly those).
                unsafe {
                    self.arena.set_len(base + data.len());
                    self.entries.set_len(filled + n);
                }
                return Ok(());
            }
            // Past the budget: the records that fit (about; found from
            // the chunk's mean record size) go in on the pool, then a
            // spill, then the rest. (Record by record, the chunk that
            // reached the budget was done on one thread: about one chunk
            // in seven of `psort -S 50M`.)
            let budget = usize::try_from(self.opts.budget).unwrap_or(usize::MAX);
            let now = self.arena.len() + self.entries.len() * ENTRY_COST;
            let room = budget.saturating_sub(now).min(MAX_ARENA - base);
            let target = (room as u128 * data.len() as u128 / (data.len() + n * ENTRY_COST) as u128)
                as usize;
            let head =
                memchr::memrchr(terminator, &data[..target.min(data.len())]).map_or(0, |i| i + 1);
            if head >= PARALLEL_CHUNK && head < data.len() {
                self.push_chunk(&data[..head], terminator)?;
                self.spill()?;
                return self.push_chunk(&data[head..], terminator);
            }
            // Too little room for a parallel piece: one by one, spilling
            // where the budget is reached.
        }
        let mut start = 0;
        for end in memchr::memchr_iter(terminator, data) {
            self.push(&data[start..end])?;
            start = end + 1;
        }
        if start < data.len() {
            self.push(&data[start..])?;
        }
        Ok(())
    }

    /// Runs spilled so far (for tests and progress).
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    fn sort_in_memory(&mut self) {
        sort_entries(
            &mut self.entries,
            &self.arena,
            &self.cmp,
            self.pool.as_deref(),
        );
    }

    fn tmp(&mut self) -> Result<&TempDir> {
        if self.tmp.is_none() {
            self.tmp = Some(TempDir::new(&self.opts.tmp_dirs)?);
        }
        Ok(self.tmp.as_ref().expect("temp dir just created"))
    }

    fn spill(&mut self) -> Result<()> {
        if self.entries.is_empty() {
            return Ok(());
        }
        self.sort_in_memory();
        let compress = self.spill.compress_program.clone();
        let every = self.sample_every();
        let mut w = RunWriter::create(self.tmp()?, compress.as_ref())?.sampled(every);
        let arena = &self.arena;
        let entries = &self.entries;
        // Records are framed in sorted order from random places in the
        // arena: fetch one a few steps ahead (as `MemRun` does).
        let frame = |r: &std::ops::Range<usize>| {
            let es = &entries[r.clone()];
            // A u32 length frames in at most 5 bytes.
            let mut out = Vec::with_capacity(es.iter().map(|e| e.len as usize + 5).sum());
            let records = es.iter().enumerate().map(|(i, e)| {
                if let Some(f) = es.get(i + PREFETCH) {
                    prefetch(arena.as_ptr().wrapping_add(f.off as usize));
                }
                &arena[e.off as usize..(e.off + e.len) as usize]
            });
            encode_records(records, &mut out);
            out
        };
        // Framing (the gather from the arena) on the pool, blocks of about
        // 1 MiB a wave at a time, written in order: done on the calling
        // thread it was 11% of `psort -S 50M` of left.tsv, with the other
        // core idle.
        let pool = self.pool.as_ref().filter(|_| entries.len() >= PARALLEL_MIN);
        let wave = pool.map_or(1, |p| 2 * p.current_num_threads());
        for group in blocks_of(entries, SPILL_BLOCK).chunks(wave) {
            let framed: Vec<Vec<u8>> = match pool {
                Some(pool) => pool.install(|| group.par_iter().map(frame).collect()),
                None => group.iter().map(frame).collect(),
            };
            for block in &framed {
                w.write_encoded(block)?;
            }
        }
        self.runs.push(w.finish()?);
        self.arena.clear();
        self.entries.clear();
        Ok(())
    }

    /// Bytes between the samples of a run written now: none without a
    /// pool (no parallel merge to cut runs for), else about 1/1024 of the
    /// budget within 4 KiB..1 MiB, so partitions stay small against the
    /// budget while the samples (one record copy per spacing) hold a
    /// fraction of a percent of the data.
    /// `PTOOLS_RUN_SAMPLE` sets it (tests cut small runs finely).
    fn sample_every(&self) -> u64 {
        if self.pool.is_none() {
            return 0;
        }
        test_sample_spacing().unwrap_or((self.opts.budget / 1024).clamp(4 << 10, 1 << 20))
    }

    /// As [`Sorter::finish`], but when runs were spilled and a pool is
    /// there, the final merge runs on every core ([`SplitMerge`]): the
    /// last buffer is spilled too (freeing it), and
    /// [`Sorted::next_block`] must then be called with `terminator`.
    /// (`psort -S 50M` of left.tsv, 2 cores: the one-thread merge was half
    /// the run.)
    pub fn finish_parallel(mut self, terminator: u8) -> Result<Sorted<C>> {
        let every = self.sample_every();
        let Some(pool) = self.pool.clone() else {
            return self.finish();
        };
        if self.runs.is_empty() || self.spill.compress_program.is_some() || every == 0 {
            return self.finish();
        }
        self.spill()?;
        let runs = std::mem::take(&mut self.runs);
        let tmp = self.tmp.as_ref().expect("runs live in the temp dir");
        let merger = RunMerger {
            tmp,
            cmp: self.cmp.clone(),
            compress: None,
            fan_in: self.spill.batch_size,
            pool: Some(&pool),
            sample_every: every,
        };
        let runs = merger.reduce(runs, self.spill.batch_size)?;
        // Partitions of at least 8 samples per run: finding where a
        // splitter cuts a run reads up to one sample spacing of it, so
        // this keeps that extra reading to about 1/16 of the data.
        let min_part = if test_sample_spacing().is_some() {
            0
        } else {
            4 << 20
        };
        let part = (8 * runs.len() as u64 * every).max(min_part);
        let split = SplitMerge::new(
            runs,
            self.cmp.clone(),
            pool.clone(),
            terminator,
            every,
            part,
        )?;
        Ok(Sorted {
            inner: Inner::Split(split),
            block: Vec::new(),
            pool: Some(pool),
            _tmp: self.tmp.take(),
        })
    }

    /// Sorts what is left and returns the sorted stream.
    pub fn finish(mut self) -> Result<Sorted<C>> {
        self.sort_in_memory();
        let mem = MemRun {
            arena: std::mem::take(&mut self.arena),
            entries: std::mem::take(&mut self.entries),
            next: 0,
        };
        if self.runs.is_empty() {
            return Ok(Sorted {
                inner: Inner::Memory(mem),
                block: Vec::new(),
                pool: self.pool.take(),
                _tmp: None,
            });
        }
        // The in-memory buffer is the last source of the final merge.
        let runs = std::mem::take(&mut self.runs);
        let tmp = self.tmp.as_ref().expect("runs live in the temp dir");
        let merger = RunMerger {
            tmp,
            cmp: self.cmp.clone(),
            compress: self.spill.compress_program.as_ref(),
            fan_in: self.spill.batch_size,
            pool: self.pool.as_deref(),
            sample_every: 0,
        };
        let runs = merger.reduce(runs, self.spill.batch_size - 1)?;
        let mut sources = Vec::with_capacity(runs.len() + 1);
        for r in &runs {
            sources.push(Head::Run(r.open()?));
        }
        sources.push(Head::Mem(mem));
        let tree = LoserTree::new(sources, self.cmp.clone())?;
        Ok(Sorted {
            inner: Inner::Merge(tree),
            block: Vec::new(),
            pool: self.pool.take(),
            _tmp: self.tmp.take(),
        })
    }
}

/// `PTOOLS_RUN_SAMPLE`: the run sample spacing tests force.
fn test_sample_spacing() -> Option<u64> {
    static SPACING: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *SPACING.get_or_init(|| {
        std::env::var("PTOOLS_RUN_SAMPLE")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n: &u64| n > 0)
    })
}

/// The rayon pool of `threads` threads (none for one thread), one per
/// thread count for the whole process: tools that keep many sorters alive
/// (one per partition) share it rather than each starting its own.
fn shared_pool(threads: usize) -> Option<Arc<rayon::ThreadPool>> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static POOLS: Mutex<Option<HashMap<usize, Arc<rayon::ThreadPool>>>> = Mutex::new(None);
    if threads <= 1 {
        return None;
    }
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    let pools = pools.get_or_insert_with(HashMap::new);
    if let Some(p) = pools.get(&threads) {
        return Some(p.clone());
    }
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .ok()?,
    );
    pools.insert(threads, pool.clone());
    Some(pool)
}

/// Chunks at least this big are split on several threads by `push_chunk`.
const PARALLEL_CHUNK: usize = 256 * 1024;

/// Cuts `data` into about `n` pieces ending just after a terminator (the
/// last piece ends at the end of `data`).
fn split_at_terminators(data: &[u8], terminator: u8, n: usize) -> Vec<(usize, usize)> {
    let mut pieces = Vec::with_capacity(n);
    let mut start = 0;
    for i in 1..n {
        let target = (data.len() * i / n).max(start);
        match memchr::memchr(terminator, &data[target..]) {
            Some(j) if target + j + 1 < data.len() => {
                pieces.push((start, target + j + 1));
                start = target + j + 1;
            }
            _ => break,
        }
    }
    pieces.push((start, data.len()));
    pieces
}

/// Record bytes in a block of a spilled run framed at once.
const SPILL_BLOCK: usize = 1 << 20;

/// `entries` cut into consecutive ranges of about `bytes` record bytes
/// each (at least one entry each).
fn blocks_of(entries: &[Entry], bytes: usize) -> Vec<std::ops::Range<usize>> {
    let mut blocks = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (i, e) in entries.iter().enumerate() {
        size += e.len as usize + 1;
        if size >= bytes {
            blocks.push(start..i + 1);
            (start, size) = (i + 1, 0);
        }
    }
    if start < entries.len() {
        blocks.push(start..entries.len());
    }
    blocks
}

/// How many records `piece` holds: its terminators, plus one for an
/// unterminated last record.
fn records_in(piece: &[u8], terminator: u8) -> usize {
    let n = memchr::memchr_iter(terminator, piece).count();
    n + usize::from(piece.last().is_some_and(|&b| b != terminator))
}

/// Writes the entry of each record of `piece` (there are
/// [`records_in`] of them, as many as `slots`), offsets counted from
/// `base` (the piece's place in the arena).
fn fill_entries<C: Compare>(
    piece: &[u8],
    base: usize,
    terminator: u8,
    cmp: &C,
    slots: &mut [std::mem::MaybeUninit<Entry>],
) {
    let mut slots = slots.iter_mut();
    let mut start = 0;
    let mut add = |s: usize, e: usize| {
        let slot = slots.next().expect("one slot per record");
        slot.write(Entry {
            prefix: cmp.prefix(&piece[s..e]),
            off: (base + s) as u32,
            len: (e - s) as u32,
        });
    };
    for end in memchr::memchr_iter(terminator, piece) {
        add(start, end);
        start = end + 1;
    }
    if start < piece.len() {
        add(start, piece.len());
    }
}

/// Sorts the entries by prefix, then comparator, then offset (push order).
///
/// Two phases. First the entries are sorted on `(prefix, offset)` alone:
/// integer comparisons, no access to the records. Then each group of
/// entries with equal prefixes is sorted by [`sort_group`], stably, so
/// ties keep offset order. Measured on 10M lines of left.tsv by the first
/// tab field (12-byte keys, repeated a few times each): in one
/// comparator sort, 46% of the profile was comparisons between equal
/// prefixes (the insertion-sort leaves see many) scanning both records for
/// the tab;
/// the two phases cost 6% less CPU for the whole sort-and-write (best of
/// 3 on the loaded 2-core machine) and make the first phase independent
/// of the comparator's cost.
fn sort_entries<C: Compare>(
    entries: &mut [Entry],
    arena: &[u8],
    cmp: &C,
    pool: Option<&rayon::ThreadPool>,
) {
    let by_prefix = |a: &Entry, b: &Entry| a.prefix.cmp(&b.prefix).then(a.off.cmp(&b.off));
    let Some(pool) = pool.filter(|_| entries.len() >= PARALLEL_MIN) else {
        entries.sort_unstable_by(by_prefix);
        sort_groups(entries, arena, cmp);
        return;
    };
    pool.install(|| {
        entries.par_sort_unstable_by(by_prefix);
        // Cut into pieces at group boundaries: a big group alone (sorted
        // in parallel itself: a constant prefix makes one group of all),
        // small groups batched so each task has some work.
        let piece = (entries.len() / (pool.current_num_threads() * 8)).max(PARALLEL_MIN);
        let mut pieces: Vec<(&mut [Entry], bool)> = Vec::new();
        let mut rest = entries;
        while !rest.is_empty() {
            let mut end = 0;
            let mut big = false;
            while end < rest.len() {
                let p = rest[end].prefix;
                let g = end + rest[end..].iter().take_while(|e| e.prefix == p).count();
                if g - end >= PARALLEL_MIN {
                    if end == 0 {
                        end = g;
                        big = true;
                    }
                    break;
                }
                end = g;
                if end >= piece {
                    break;
                }
            }
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(end);
            pieces.push((head, big));
            rest = tail;
        }
        pieces.into_par_iter().for_each(|(p, big)| {
            if big {
                sort_group(p, arena, cmp, 1, true);
            } else {
                sort_groups(p, arena, cmp);
            }
        });
    });
}

/// Sorts each run of equal prefixes in `entries` ([`sort_group`]).
///
/// The records of a group sit at random places in the arena, so each
/// first touch is a cache miss; records of groups further on are
/// prefetched while the current group is sorted. (Without the prefetch a
/// sort of 10M lines of left.tsv cost 13% more CPU in all.)
fn sort_groups<C: Compare>(entries: &mut [Entry], arena: &[u8], cmp: &C) {
    const AHEAD: usize = 32;
    let n = entries.len();
    let shared = |entries: &[Entry], i: usize| {
        (i > 0 && entries[i - 1].prefix == entries[i].prefix)
            || (i + 1 < n && entries[i + 1].prefix == entries[i].prefix)
    };
    let mut fetched = 0;
    let mut start = 0;
    while start < n {
        let p = entries[start].prefix;
        let mut end = start + 1;
        while end < n && entries[end].prefix == p {
            end += 1;
        }
        if end - start > 1 {
            while fetched < (end + AHEAD).min(n) {
                if shared(entries, fetched) {
                    prefetch(arena.as_ptr().wrapping_add(entries[fetched].off as usize));
                }
                fetched += 1;
            }
            sort_group(&mut entries[start..end], arena, cmp, 1, false);
        }
        start = end;
    }
}

/// Groups of at most this many records are sorted by the comparator;
/// larger ones by digits first ([`sort_group`]). (8 rather than 32: 25%
/// less CPU on the whole-line sort of lines.txt, 10% on `-k4,4n` of
/// trips.csv; 3 measured the same as 8.)
const DIGIT_MIN: usize = 8;

/// Deepest digit tried (a bound on the recursion for long equal keys).
const MAX_DEPTH: usize = 64;

/// Sorts `group`, entries in offset order whose digits ([`Compare::digit`])
/// at depths below `depth` are equal, by the comparator, stably.
///
/// A large group is an MSD radix step on 8-byte digits: each entry's
/// prefix is overwritten with its digit at `depth` (no longer needed: the
/// group is already placed), the group is sorted on `(digit, offset)`
/// with integer comparisons, and each run of equal digits recurses one
/// depth further, unless its digits ended (its records compare equal and
/// are in offset order). Small groups, groups past [`MAX_DEPTH`] and
/// comparators without digits are sorted with the comparator, stably.
/// (Whole-line sort of lines.txt, log lines sharing "2016-MM-" in groups
/// of ~1M: comparator sorts of those groups spent 78% of the time in
/// memcmp. With digits, scale 1 on the 2-core machine, CPU user time:
/// lines.txt 22.9 s -> 3.2 s; `-t, -k4,4n trips.csv`, whose ties go to the
/// whole line, 31 s -> 8.5 s; GNU sort 7.6 s and 15.4 s.)
fn sort_group<C: Compare>(
    group: &mut [Entry],
    arena: &[u8],
    cmp: &C,
    depth: usize,
    parallel: bool,
) {
    let record = |e: &Entry| &arena[e.off as usize..(e.off + e.len) as usize];
    // Records of a group tie on every digit below `depth`, so their
    // digits from `depth` on order them, when the comparator has them
    // and says they are cheap ([`Compare::digits_compare_fast`]): for
    // `-k4,4n` those are the whole line's bytes (the keys tied), and
    // comparing them skips finding and parsing both keys again (small
    // groups of trips.csv's ties: 5.32 -> 4.42 s wall, medians of 3
    // interleaved; for a text key each digit finds the key again, and
    // the keyed sort of left.tsv went 1.38 -> 1.64 s, hence the switch).
    // A pair without digits to the end is compared by the comparator,
    // which agrees with the digits wherever both answer.
    let by_digits = |a: &[u8], b: &[u8]| -> Option<Ordering> {
        for d in depth..=MAX_DEPTH {
            let (da, end) = cmp.digit(a, d)?;
            let (db, _) = cmp.digit(b, d)?;
            match da.cmp(&db) {
                Ordering::Equal if end => return Some(Ordering::Equal),
                Ordering::Equal => {}
                other => return Some(other),
            }
        }
        None
    };
    let by_record = |a: &Entry, b: &Entry| cmp.compare(record(a), record(b));
    let by_digits_first = |a: &Entry, b: &Entry| {
        let (ra, rb) = (record(a), record(b));
        by_digits(ra, rb).unwrap_or_else(|| cmp.compare(ra, rb))
    };
    let parallel = parallel && group.len() >= PARALLEL_MIN;
    // Two sorts, not one comparator with a test inside: the plain one
    // stays as it was for comparators without fast digits (a shared
    // closure cost the text-key sort of left.tsv 4% more CPU).
    let fallback = |g: &mut [Entry]| match (parallel, cmp.digits_compare_fast()) {
        (true, false) => g.par_sort_by(by_record),
        (true, true) => g.par_sort_by(by_digits_first),
        (false, false) => g.sort_by(by_record),
        (false, true) => g.sort_by(by_digits_first),
    };
    if group.len() <= DIGIT_MIN || depth > MAX_DEPTH {
        return fallback(group);
    }
    let set_digits = |g: &mut [Entry]| {
        for i in 0..g.len() {
            if let Some(f) = g.get(i + PREFETCH) {
                prefetch(arena.as_ptr().wrapping_add(f.off as usize));
            }
            let e = &mut g[i];
            match cmp.digit(record(e), depth) {
                Some((d, _)) => e.prefix = d,
                None => return false,
            }
        }
        true
    };
    let by_digit = |a: &Entry, b: &Entry| a.prefix.cmp(&b.prefix).then(a.off.cmp(&b.off));
    let ok = if parallel {
        group
            .par_chunks_mut(1 << 12)
            .map(set_digits)
            .reduce(|| true, |a, b| a && b)
    } else {
        set_digits(group)
    };
    if !ok {
        // Still in offset order: only prefixes were overwritten.
        return fallback(group);
    }
    if parallel {
        group.par_sort_unstable_by(by_digit);
    } else {
        group.sort_unstable_by(by_digit);
    }
    let ended = |g: &[Entry]| cmp.digit(record(&g[0]), depth).is_some_and(|d| d.1);
    let mut subs: Vec<&mut [Entry]> = Vec::new();
    let mut rest = group;
    while !rest.is_empty() {
        let p = rest[0].prefix;
        let n = 1 + rest[1..].iter().take_while(|e| e.prefix == p).count();
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(n);
        if n > 1 && !ended(head) {
            if parallel {
                subs.push(head);
            } else {
                sort_group(head, arena, cmp, depth + 1, false);
            }
        }
        rest = tail;
    }
    subs.into_par_iter()
        .for_each(|g| sort_group(g, arena, cmp, depth + 1, true));
}

/// A sorted buffer still in memory, read as a merge source.
struct MemRun {
    arena: Vec<u8>,
    entries: Vec<Entry>,
    next: usize,
}

impl MergeSource for MemRun {
    #[inline]
    fn advance(&mut self) -> Result<bool> {
        if self.next < self.entries.len() {
            // Records are read in sorted order, so at random places in the
            // arena: fetch a record a few steps ahead into cache. Writing
            // out 10M sorted lines (230 MB): 54% more CPU for the whole
            // sort without this prefetch.
            if let Some(e) = self.entries.get(self.next + PREFETCH) {
                prefetch(self.arena.as_ptr().wrapping_add(e.off as usize));
            }
            self.next += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }
    #[inline]
    fn current(&self) -> &[u8] {
        let e = self.entries[self.next - 1];
        &self.arena[e.off as usize..(e.off + e.len) as usize]
    }
}

/// How many records ahead [`MemRun`] prefetches.
const PREFETCH: usize = 16;

#[inline(always)]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults, whatever the address.
    #[allow(unused_unsafe)]
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A source of the final merge: a run on disk or the last buffer.
enum Head {
    Run(RunReader),
    Mem(MemRun),
}

impl MergeSource for Head {
    #[inline]
    fn advance(&mut self) -> Result<bool> {
        match self {
            Head::Run(r) => r.advance(),
            Head::Mem(m) => m.advance(),
        }
    }
    #[inline]
    fn current(&self) -> &[u8] {
        match self {
            Head::Run(r) => r.current(),
            Head::Mem(m) => m.current(),
        }
    }
}

enum Inner<C: Compare> {
    Memory(MemRun),
    Merge(LoserTree<Head, Shared<C>>),
    Split(SplitMerge<C>),
}

/// The sorted records, read one at a time.
pub struct Sorted<C: Compare> {
    inner: Inner<C>,
    /// Output buffer of [`Sorted::next_block`].
    block: Vec<u8>,
    pool: Option<Arc<rayon::ThreadPool>>,
    /// Keeps the run files alive until the stream is dropped.
    _tmp: Option<TempDir>,
}

/// About how many bytes [`Sorted::next_block`] returns at a time.
const OUT_BLOCK: usize = 1 << 20;

impl<C: Compare> Sorted<C> {
    /// The next record in order, or `None` at the end.
    #[inline]
    pub fn next_record(&mut self) -> Result<Option<&[u8]>> {
        match &mut self.inner {
            Inner::Memory(m) => Ok(if m.advance()? {
                Some(m.current())
            } else {
                None
            }),
            Inner::Merge(tree) => tree.next_record(),
            Inner::Split(m) => m.next_record(),
        }
    }

    /// The next records in order, each followed by `terminator`, about
    /// 1 MiB at a time (whole records; `None` at the end): the same bytes
    /// as writing every [`Sorted::next_record`] and a terminator, in fewer
    /// calls. When nothing spilled, the records of a block are gathered
    /// from the arena by the pool's threads, each copying its share
    /// straight into place: that gathering is random access into the
    /// arena, and it is the largest serial step of an in-memory sort.
    /// (On the loaded 2-core machine, where the other thread is rarely
    /// free, it measured the same as per-record writes: 0.9 s for 10M
    /// lines; the split only pays when a core is idle.)
    pub fn next_block(&mut self, terminator: u8) -> Result<Option<&[u8]>> {
        self.block.clear();
        match &mut self.inner {
            Inner::Memory(m) => {
                let start = m.next;
                let mut end = start;
                let mut bytes = 0usize;
                while end < m.entries.len() && bytes < OUT_BLOCK {
                    bytes += m.entries[end].len as usize + 1;
                    end += 1;
                }
                m.next = end;
                let entries = &m.entries[start..end];
                let arena = &m.arena;
                self.block.resize(bytes, terminator);
                let gather = |es: &[Entry], out: &mut [u8]| {
                    let mut at = 0;
                    for (i, e) in es.iter().enumerate() {
                        if let Some(f) = es.get(i + PREFETCH) {
                            prefetch(arena.as_ptr().wrapping_add(f.off as usize));
                        }
                        let len = e.len as usize;
                        out[at..at + len]
                            .copy_from_slice(&arena[e.off as usize..e.off as usize + len]);
                        at += len + 1; // the terminator is already there
                    }
                };
                match &self.pool {
                    Some(pool) if entries.len() >= 4096 => {
                        // Cut entries and block at the same record bounds.
                        let n = pool.current_num_threads() * 2;
                        let mut jobs: Vec<(&[Entry], &mut [u8])> = Vec::with_capacity(n);
                        let mut rest_e = entries;
                        let mut rest_b: &mut [u8] = &mut self.block;
                        let per = entries.len().div_ceil(n);
                        while !rest_e.is_empty() {
                            let (es, te) = rest_e.split_at(per.min(rest_e.len()));
                            let len: usize = es.iter().map(|e| e.len as usize + 1).sum();
                            let (bs, tb) = std::mem::take(&mut rest_b).split_at_mut(len);
                            jobs.push((es, bs));
                            rest_e = te;
                            rest_b = tb;
                        }
                        pool.install(|| jobs.into_par_iter().for_each(|(es, bs)| gather(es, bs)));
                    }
                    _ => gather(entries, &mut self.block),
                }
            }
            Inner::Split(m) => return m.next_block(),
            Inner::Merge(tree) => {
                while self.block.len() < OUT_BLOCK {
                    let Some(r) = tree.next_record()? else { break };
                    self.block.extend_from_slice(r);
                    self.block.push(terminator);
                }
            }
        }
        Ok(if self.block.is_empty() {
            None
        } else {
            Some(&self.block)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compares on the first byte only, so stability shows.
    #[derive(Clone, Copy)]
    struct FirstByte;
    impl Compare for FirstByte {
        fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
            a.first().cmp(&b.first())
        }
        fn prefix(&self, r: &[u8]) -> u64 {
            // Deliberately coarse: equal prefixes must fall back.
            u64::from(r.first().map_or(0, |&b| b / 2 + 1))
        }
    }

    fn options(budget: u64, tmp_dirs: Vec<PathBuf>) -> SortOptions {
        SortOptions {
            budget,
            threads: 2,
            tmp_dirs,
        }
    }

    fn sort_with(recs: &[Vec<u8>], budget: u64, fan_in: usize) -> (Vec<Vec<u8>>, usize) {
        let mut s = Sorter::with_spill(
            FirstByte,
            options(budget, vec![]),
            SpillOptions {
                batch_size: fan_in,
                compress_program: None,
            },
        );
        for r in recs {
            s.push(r).unwrap();
        }
        let runs = s.runs();
        let mut out = Vec::new();
        let mut sorted = s.finish().unwrap();
        while let Some(r) = sorted.next_record().unwrap() {
            out.push(r.to_vec());
        }
        (out, runs)
    }

    fn records(n: u32) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                format!(
                    "{}{}",
                    (b'a' + (i.wrapping_mul(7919) % 13) as u8) as char,
                    i
                )
                .into_bytes()
            })
            .collect()
    }

    fn expected(recs: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let mut e = recs.to_vec();
        e.sort_by(|a, b| a[0].cmp(&b[0])); // stable
        e
    }

    #[test]
    fn spilled_equals_in_memory_and_is_stable() {
        let recs = records(50_000);
        let (mem, runs) = sort_with(&recs, 1 << 30, 16);
        assert_eq!(runs, 0);
        assert_eq!(mem, expected(&recs));
        let (spilled, runs) = sort_with(&recs, 64 << 10, 16);
        assert!(runs > 3, "{runs} runs");
        assert_eq!(spilled, mem);
    }

    /// Chunks that reach the budget are split where it is reached, the
    /// head going in on the pool: the output of pushing record by record.
    #[test]
    fn chunks_split_at_the_budget() {
        let recs = records(1_500_000);
        let mut one = Sorter::new(FirstByte, options(12 << 20, vec![]));
        let mut chunked = Sorter::new(FirstByte, options(12 << 20, vec![]));
        let mut data = Vec::new();
        for r in &recs {
            one.push(r).unwrap();
            data.extend_from_slice(r);
            data.push(b'\n');
            if data.len() >= 2 << 20 {
                chunked.push_chunk(&data, b'\n').unwrap();
                data.clear();
            }
        }
        chunked.push_chunk(&data, b'\n').unwrap();
        assert!(chunked.runs() >= 2, "{} runs", chunked.runs());
        assert_same_records(one, chunked, recs.len());
    }

    /// Runs large enough to be framed on the pool, in several blocks and
    /// waves, merged by the parallel final merge: the in-memory order.
    #[test]
    fn large_runs_framed_on_the_pool() {
        let recs = records(400_000);
        let (mem, _) = sort_with(&recs, 1 << 30, 16);
        let mut s = Sorter::new(FirstByte, options(4 << 20, vec![]));
        for r in &recs {
            s.push(r).unwrap();
        }
        assert!(s.runs() >= 2, "{} runs", s.runs());
        let mut sorted = s.finish_parallel(b'\n').unwrap();
        let mut out = Vec::new();
        while let Some(r) = sorted.next_record().unwrap() {
            out.push(r.to_vec());
        }
        assert_eq!(out, mem);
    }

    #[test]
    fn multi_level_merge_with_tiny_fan_in() {
        let recs = records(3000);
        for fan_in in [2, 3, 5] {
            let (out, runs) = sort_with(&recs, 300, fan_in);
            assert!(runs > 50, "{runs} runs");
            assert_eq!(out, expected(&recs), "fan-in {fan_in}");
        }
    }

    #[test]
    fn next_block_matches_next_record() {
        let recs = records(30_000);
        for budget in [1 << 30, 50_000] {
            let sorter = || {
                let mut s = Sorter::new(FirstByte, options(budget, vec![]));
                for r in &recs {
                    s.push(r).unwrap();
                }
                s.finish().unwrap()
            };
            let mut by_record = Vec::new();
            let mut sorted = sorter();
            while let Some(r) = sorted.next_record().unwrap() {
                by_record.extend_from_slice(r);
                by_record.push(0);
            }
            let mut by_block = Vec::new();
            let mut sorted = sorter();
            // Mixing the two calls keeps one order.
            if let Some(r) = sorted.next_record().unwrap() {
                by_block.extend_from_slice(r);
                by_block.push(0);
            }
            while let Some(b) = sorted.next_block(0).unwrap() {
                by_block.extend_from_slice(b);
            }
            assert_eq!(by_block, by_record, "budget {budget}");
        }
    }

    #[test]
    fn push_chunk_matches_push() {
        let data = b"b2\na1\nb1\n\na0";
        let mut s = Sorter::new(FirstByte, options(1 << 20, vec![]));
        s.push_chunk(data, b'\n').unwrap();
        let mut sorted = s.finish().unwrap();
        let mut out = Vec::new();
        while let Some(r) = sorted.next_record().unwrap() {
            out.push(String::from_utf8(r.to_vec()).unwrap());
        }
        assert_eq!(out, ["", "a1", "a0", "b2", "b1"]);
    }

    /// Both sorters finish with the same `n` records in the same order.
    fn assert_same_records<C: Compare>(one: Sorter<C>, other: Sorter<C>, n: usize) {
        let (mut a, mut b) = (one.finish().unwrap(), other.finish().unwrap());
        let mut seen = 0;
        while let Some(x) = a.next_record().unwrap() {
            let x = x.to_vec();
            assert_eq!(Some(&x[..]), b.next_record().unwrap(), "record {seen}");
            seen += 1;
        }
        assert_eq!(b.next_record().unwrap(), None);
        assert_eq!(seen, n);
    }

    /// Chunks large enough for the pool's split (several in a row, the
    /// last one unterminated) give what pushing each record gives, in
    /// memory and past the budget.
    #[test]
    fn parallel_push_chunk_matches_push() {
        let recs = records(100_000);
        let mut data = Vec::new();
        for r in &recs {
            data.extend_from_slice(r);
            data.push(b'\n');
        }
        data.pop();
        assert!(data.len() > 2 * PARALLEL_CHUNK);
        for budget in [64 << 20, 300_000] {
            let mut one = Sorter::new(FirstByte, options(budget, vec![]));
            for r in &recs {
                one.push(r).unwrap();
            }
            let mut chunked = Sorter::new(FirstByte, options(budget, vec![]));
            let cut = data.len() / 3;
            let cut = cut + memchr::memchr(b'\n', &data[cut..]).unwrap() + 1;
            chunked.push_chunk(&data[..cut], b'\n').unwrap();
            chunked.push_chunk(&data[cut..], b'\n').unwrap();
            // The same records in each run, or runs cut a little apart
            // where a chunk reached the budget: the same output.
            assert_eq!(one.runs() == 0, chunked.runs() == 0, "budget {budget}");
            assert_same_records(one, chunked, recs.len());
        }
    }

    fn count_entries(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    #[test]
    fn temp_files_removed_after_finish_and_drop() {
        let base = tempfile::tempdir().unwrap();
        let recs = records(2000);
        // Drained to the end.
        let mut s = Sorter::new(FirstByte, options(500, vec![base.path().into()]));
        for r in &recs {
            s.push(r).unwrap();
        }
        assert!(count_entries(base.path()) > 0);
        let mut sorted = s.finish().unwrap();
        while sorted.next_record().unwrap().is_some() {}
        drop(sorted);
        assert_eq!(count_entries(base.path()), 0);
        // Dropped half-way, and a sorter dropped before finish.
        let mut s = Sorter::new(FirstByte, options(500, vec![base.path().into()]));
        for r in &recs {
            s.push(r).unwrap();
        }
        let mut sorted = s.finish().unwrap();
        sorted.next_record().unwrap();
        drop(sorted);
        let mut s = Sorter::new(FirstByte, options(500, vec![base.path().into()]));
        for r in &recs {
            s.push(r).unwrap();
        }
        drop(s);
        assert_eq!(count_entries(base.path()), 0);
    }

    #[test]
    fn unusable_temp_dir_is_a_clear_error() {
        let mut s = Sorter::new(FirstByte, options(10, vec!["/nonexistent/dir".into()]));
        let err = (|| {
            for r in records(100) {
                s.push(&r)?;
            }
            s.finish().map(|_| ())
        })()
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("cannot create temporary directory in '/nonexistent/dir'")
                && msg.contains("No such file or directory"),
            "{msg}"
        );
    }

    #[test]
    fn compress_program_round_trip() {
        let recs = records(5000);
        let mut s = Sorter::with_spill(
            FirstByte,
            options(2000, vec![]),
            SpillOptions {
                batch_size: 4,
                compress_program: Some("gzip".into()),
            },
        );
        for r in &recs {
            s.push(r).unwrap();
        }
        let mut sorted = s.finish().unwrap();
        let mut out = Vec::new();
        while let Some(r) = sorted.next_record().unwrap() {
            out.push(r.to_vec());
        }
        assert_eq!(out, expected(&recs));
        // A program that cannot run is an error, not a silent fallback.
        let mut s = Sorter::with_spill(
            FirstByte,
            options(100, vec![]),
            SpillOptions {
                batch_size: 4,
                compress_program: Some("/nonexistent/prog".into()),
            },
        );
        let err = recs.iter().try_for_each(|r| s.push(r)).unwrap_err();
        assert!(
            err.to_string().contains("cannot run compress program"),
            "{err}"
        );
    }

    /// The digit sequences of byte keys, up to the ending digit, order as
    /// the keys do (lengths across window ends, NUL bytes, extensions).
    #[test]
    fn bytes_digits_keep_order() {
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for len in [0, 1, 7, 8, 9, 14, 15, 16, 21, 22, 23, 30, 40] {
            for fill in [0u8, 1, b'a', 0xff] {
                let mut k = vec![b'a'; len];
                keys.push(k.clone());
                if len > 0 {
                    k[len - 1] = fill;
                    keys.push(k.clone());
                    k[len / 2] = fill;
                    keys.push(k);
                }
            }
        }
        let seq = |k: &[u8]| {
            let mut v = vec![bytes_digit(k, 0).0];
            for d in 1.. {
                let (x, end) = bytes_digit(k, d);
                v.push(x);
                if end {
                    assert_eq!(d + 1, bytes_digits(k.len()), "{k:?}");
                    break;
                }
            }
            v
        };
        for a in &keys {
            for b in &keys {
                assert_eq!(seq(a).cmp(&seq(b)), a.cmp(b), "{a:?} {b:?}");
                // Equal digits up to one that ends: both end, equal keys.
                if bytes_digit(a, 0) == bytes_digit(b, 0) {
                    for d in 1.. {
                        let (da, db) = (bytes_digit(a, d), bytes_digit(b, d));
                        if da != db {
                            break;
                        }
                        if da.1 {
                            assert_eq!(a, b);
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Large groups of equal prefixes through the digit path, in parallel
    /// and not, reversed, agree with a stable comparator sort.
    #[test]
    fn digit_sort_matches_comparator_sort() {
        // With and without digit-by-digit comparison of small groups.
        #[derive(Clone, Copy)]
        struct Rev(bool);
        impl Compare for Rev {
            fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
                b.cmp(a)
            }
            fn prefix(&self, r: &[u8]) -> u64 {
                !bytes_prefix(r)
            }
            fn digit(&self, r: &[u8], depth: usize) -> Option<(u64, bool)> {
                let (d, end) = bytes_digit(r, depth);
                Some((!d, end))
            }
            fn digits_compare_fast(&self) -> bool {
                self.0
            }
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let recs: Vec<Vec<u8>> = (0..40_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let mut r = b"2016-01-01 00:".to_vec();
                r.truncate(8 + (x % 8) as usize);
                for i in 0..(x >> 8) % 20 {
                    r.push([0u8, b'a', b'b'][((x >> (12 + i)) % 3) as usize]);
                }
                r
            })
            .collect();
        for (threads, fast) in [(1, false), (2, false), (1, true), (2, true)] {
            let run = |sorted: &mut Sorted<Rev>| {
                let mut out = Vec::new();
                while let Some(r) = sorted.next_record().unwrap() {
                    out.push(r.to_vec());
                }
                out
            };
            let mut s = Sorter::new(
                Rev(fast),
                SortOptions {
                    budget: 1 << 30,
                    threads,
                    tmp_dirs: vec![],
                },
            );
            for r in &recs {
                s.push(r).unwrap();
            }
            let got = run(&mut s.finish().unwrap());
            let mut want = recs.clone();
            want.sort_by(|a, b| b.cmp(a));
            let first = got.iter().zip(&want).position(|(a, b)| a != b);
            assert_eq!(
                first.map(|i| (i, &got[i], &want[i])),
                None,
                "{threads} threads, fast digits {fast}"
            );
            assert_eq!(got.len(), want.len());
        }
    }

    #[test]
    fn bytes_prefix2_keeps_order_when_prefixes_tie() {
        let keys: [&[u8]; 12] = [
            b"",
            b"\0",
            b"abcdefgh",
            b"abcdefgh\0",
            b"abcdefghi",
            b"abcdefghij",
            b"abcdefgh\xff",
            b"abcd",
            b"abcd\0\0\0\0",
            b"abcd\0\0\0\0\0",
            b"abcd\0\0\0\0x",
            b"abcdefghijklmnopq",
        ];
        for a in keys {
            for b in keys {
                if bytes_prefix(a) != bytes_prefix(b) {
                    continue;
                }
                let (pa, pb) = (bytes_prefix2(a), bytes_prefix2(b));
                if pa != pb {
                    assert_eq!(pa.cmp(&pb), a.cmp(b), "{a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn bytes_prefix_keeps_order() {
        let keys: [&[u8]; 7] = [b"", b"\0", b"a", b"a\0", b"ab", b"abcdefgh", b"abcdefghi"];
        for a in keys {
            for b in keys {
                let (pa, pb) = (bytes_prefix(a), bytes_prefix(b));
                if pa != pb {
                    assert_eq!(pa.cmp(&pb), a.cmp(b), "{a:?} {b:?}");
                }
            }
        }
    }
}
