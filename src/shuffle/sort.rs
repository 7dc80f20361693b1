//! External sort of records under a memory budget.
//!
//! A [`Sorter`] takes records (byte strings, no terminator) one at a time,
//! keeps them in one arena buffer with an offset table, and when the arena
//! reaches the budget sorts it (stably, in parallel with rayon) and spills
//! it as a run. [`Sorter::finish`] returns a [`Sorted`] stream: the
//! in-memory records when nothing spilled, or a k-way merge of the runs.
//!
//! Stability: equal records come out in the order they were pushed. Within a
//! run the sort is stable; across runs the merge breaks ties by run number,
//! and runs are numbered in push order.

use super::spill::{SpillReader, SpillWriter};
use super::tmp::TempDir;
use crate::error::Result;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::path::PathBuf;
use std::sync::Arc;

/// How records compare; psort's key options and pjoin's join key implement
/// it.
pub trait Compare: Send + Sync + 'static {
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering;
}

impl<F> Compare for F
where
    F: Fn(&[u8], &[u8]) -> Ordering + Send + Sync + 'static,
{
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        self(a, b)
    }
}

/// Budget, threads and temp dirs for a sort.
#[derive(Clone, Debug)]
pub struct SortOptions {
    /// Bytes of records (plus their offsets) held before a run is spilled.
    pub budget: u64,
    pub threads: usize,
    /// `-T` directories (empty: `$TMPDIR` or `/tmp`).
    pub tmp_dirs: Vec<PathBuf>,
}

/// Accumulates records and sorts them, spilling runs past the budget.
pub struct Sorter<C: Compare> {
    cmp: Arc<C>,
    opts: SortOptions,
    arena: Vec<u8>,
    spans: Vec<(usize, usize)>,
    runs: Vec<SpillReader>,
    tmp: Option<TempDir>,
}

/// Offsets cost this many bytes per record against the budget.
const SPAN_COST: usize = std::mem::size_of::<(usize, usize)>();

impl<C: Compare> Sorter<C> {
    pub fn new(cmp: C, opts: SortOptions) -> Sorter<C> {
        Sorter {
            cmp: Arc::new(cmp),
            opts,
            arena: Vec::new(),
            spans: Vec::new(),
            runs: Vec::new(),
            tmp: None,
        }
    }

    /// Adds one record.
    pub fn push(&mut self, record: &[u8]) -> Result<()> {
        let start = self.arena.len();
        self.arena.extend_from_slice(record);
        self.spans.push((start, self.arena.len()));
        if (self.arena.len() + self.spans.len() * SPAN_COST) as u64 >= self.opts.budget {
            self.spill()?;
        }
        Ok(())
    }

    fn sort_in_memory(&mut self) {
        let arena = &self.arena;
        let cmp = &self.cmp;
        let by = |a: &(usize, usize), b: &(usize, usize)| {
            cmp.compare(&arena[a.0..a.1], &arena[b.0..b.1])
        };
        if self.opts.threads > 1 && self.spans.len() > 1 << 14 {
            self.spans.par_sort_by(by);
        } else {
            self.spans.sort_by(by);
        }
    }

    fn spill(&mut self) -> Result<()> {
        if self.spans.is_empty() {
            return Ok(());
        }
        self.sort_in_memory();
        if self.tmp.is_none() {
            self.tmp = Some(TempDir::new(&self.opts.tmp_dirs)?);
        }
        let tmp = self.tmp.as_ref().expect("temp dir just created");
        let mut w = SpillWriter::create(tmp, "run")?;
        for &(s, e) in &self.spans {
            w.write(&self.arena[s..e])?;
        }
        self.runs.push(w.finish()?.reader());
        self.arena.clear();
        self.spans.clear();
        Ok(())
    }

    /// Sorts what is left and returns the sorted stream.
    pub fn finish(mut self) -> Result<Sorted<C>> {
        if self.runs.is_empty() {
            self.sort_in_memory();
            return Ok(Sorted {
                inner: Inner::Memory {
                    arena: self.arena,
                    spans: self.spans.into_iter(),
                },
                _tmp: None,
            });
        }
        self.spill()?;
        let mut heap = BinaryHeap::with_capacity(self.runs.len());
        let mut runs = Vec::with_capacity(self.runs.len());
        for (i, mut r) in self.runs.into_iter().enumerate() {
            let mut buf = Vec::new();
            if r.next_into(&mut buf)? {
                heap.push(Head {
                    record: buf,
                    run: i,
                    cmp: self.cmp.clone(),
                });
            }
            runs.push(r);
        }
        Ok(Sorted {
            inner: Inner::Merge {
                heap,
                runs,
                current: Vec::new(),
            },
            _tmp: self.tmp,
        })
    }
}

/// The head record of one run in the merge heap.
struct Head<C: Compare> {
    record: Vec<u8>,
    run: usize,
    cmp: Arc<C>,
}

impl<C: Compare> PartialEq for Head<C> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<C: Compare> Eq for Head<C> {}
impl<C: Compare> PartialOrd for Head<C> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<C: Compare> Ord for Head<C> {
    /// Reversed, so the max-heap pops the smallest record (earliest run
    /// first among equals).
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp
            .compare(&other.record, &self.record)
            .then(other.run.cmp(&self.run))
    }
}

enum Inner<C: Compare> {
    Memory {
        arena: Vec<u8>,
        spans: std::vec::IntoIter<(usize, usize)>,
    },
    Merge {
        heap: BinaryHeap<Head<C>>,
        runs: Vec<SpillReader>,
        current: Vec<u8>,
    },
}

/// The sorted records, read one at a time.
pub struct Sorted<C: Compare> {
    inner: Inner<C>,
    /// Keeps the spill files alive until the stream is dropped.
    _tmp: Option<TempDir>,
}

impl<C: Compare> Sorted<C> {
    /// The next record in order, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<&[u8]>> {
        match &mut self.inner {
            Inner::Memory { arena, spans } => Ok(spans.next().map(|(s, e)| &arena[s..e])),
            Inner::Merge {
                heap,
                runs,
                current,
            } => {
                let Some(mut head) = heap.pop() else {
                    return Ok(None);
                };
                std::mem::swap(current, &mut head.record);
                if runs[head.run].next_into(&mut head.record)? {
                    heap.push(head);
                }
                Ok(Some(current.as_slice()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sort_all(recs: &[&[u8]], budget: u64) -> Vec<Vec<u8>> {
        // Compare on the first byte only, to see stability.
        let cmp = |a: &[u8], b: &[u8]| a.first().cmp(&b.first());
        let mut s = Sorter::new(
            cmp,
            SortOptions {
                budget,
                threads: 2,
                tmp_dirs: vec![],
            },
        );
        for r in recs {
            s.push(r).unwrap();
        }
        let mut out = Vec::new();
        let mut sorted = s.finish().unwrap();
        while let Some(r) = sorted.next_record().unwrap() {
            out.push(r.to_vec());
        }
        out
    }

    #[test]
    fn spilled_equals_in_memory_and_is_stable() {
        let recs: Vec<Vec<u8>> = (0..500u32)
            .map(|i| format!("{}{}", (b'a' + (i * 7 % 5) as u8) as char, i).into_bytes())
            .collect();
        let refs: Vec<&[u8]> = recs.iter().map(|r| r.as_slice()).collect();
        let mem = sort_all(&refs, 1 << 30);
        let spilled = sort_all(&refs, 64);
        assert_eq!(mem, spilled);
        let mut expect = recs.clone();
        expect.sort_by(|a, b| a[0].cmp(&b[0]));
        assert_eq!(mem, expect);
    }
}
