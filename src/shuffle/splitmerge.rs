//! The final merge of an external sort on every core.
//!
//! A single loser tree merges on one thread, and past the budget that
//! merge was half of psort's time with the other core idle (`psort -S 50M`
//! of left.tsv, 2 cores). Here the runs are cut by key range instead: the
//! runs' samples ([`Sample`](super::run::Sample), one every `spacing`
//! bytes of each run) are sorted and every so many become a splitter; the
//! place of each splitter in each run (the first record not below it) is
//! found from the nearest sample before it by reading at most `spacing`
//! bytes; then each key range ("partition") is merged from its pieces of
//! every run by a loser tree on the pool, a few partitions ahead of the
//! reader, and the merged partitions are handed out in order.
//!
//! Same order as the one loser tree: records that compare equal fall on
//! the same side of every splitter, so each partition holds all of its
//! ties, and within it the tree breaks them by run number as the single
//! merge does. Memory: the partitions in flight (about `2 × threads + 1`,
//! each its merged bytes) plus one 256 KiB read block per run piece being
//! merged.

use super::merge::LoserTree;
use super::run::{MergeSource, RunFile, RunReader};
use super::sort::{Compare, Shared};
use crate::error::Result;
use crossbeam_channel::{bounded, Receiver};
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::VecDeque;
use std::sync::Arc;

/// Merged records of one partition, each followed by the terminator.
#[derive(Default)]
pub struct Block {
    pub bytes: Vec<u8>,
    /// End of each record (where its terminator is).
    ends: Vec<usize>,
}

/// Where a partition starts in one run: the file offset of its first
/// record and that record's number.
#[derive(Clone, Copy)]
struct Cut {
    offset: u64,
    index: u64,
}

/// What every partition job needs.
struct Plan<C: Compare> {
    runs: Vec<RunFile>,
    /// `cuts[s][r]`: where partition `s + 1` starts in run `r`.
    cuts: Vec<Vec<Cut>>,
    cmp: Shared<C>,
    terminator: u8,
}

/// The merged stream, partition by partition.
pub struct SplitMerge<C: Compare> {
    plan: Arc<Plan<C>>,
    pool: Arc<rayon::ThreadPool>,
    /// Next partition to start.
    next: usize,
    ahead: usize,
    pending: VecDeque<Receiver<Result<Block>>>,
    block: Block,
    /// Next record of `block` for [`SplitMerge::next_record`].
    at: usize,
}

impl<C: Compare> SplitMerge<C> {
    /// Plans the merge of `runs` (sampled every `spacing` bytes) into
    /// partitions of about `part_bytes`, records followed by `terminator`.
    pub fn new(
        runs: Vec<RunFile>,
        cmp: Shared<C>,
        pool: Arc<rayon::ThreadPool>,
        terminator: u8,
        spacing: u64,
        part_bytes: u64,
    ) -> Result<SplitMerge<C>> {
        let mut samples: Vec<&[u8]> = runs
            .iter()
            .flat_map(|r| r.samples.iter().map(|s| &*s.record))
            .collect();
        samples.sort_by(|a, b| cmp.compare(a, b));
        let every = (part_bytes / spacing.max(1)).max(1) as usize;
        let mut splitters: Vec<&[u8]> = Vec::new();
        for &s in samples.iter().skip(every - 1).step_by(every) {
            if splitters
                .last()
                .is_none_or(|l| cmp.compare(l, s) == Ordering::Less)
            {
                splitters.push(s);
            }
        }
        let cuts: Vec<Vec<Cut>> = pool.install(|| {
            splitters
                .par_iter()
                .map(|k| runs.iter().map(|r| cut(r, k, &cmp)).collect())
                .collect::<Result<_>>()
        })?;
        drop(samples);
        let threads = pool.current_num_threads();
        let mut m = SplitMerge {
            plan: Arc::new(Plan {
                runs,
                cuts,
                cmp,
                terminator,
            }),
            pool,
            next: 0,
            ahead: 2 * threads + 1,
            pending: VecDeque::new(),
            block: Block::default(),
            at: 0,
        };
        m.launch();
        Ok(m)
    }

    /// Starts partitions until `ahead` are under way.
    fn launch(&mut self) {
        let parts = self.plan.cuts.len() + 1;
        while self.pending.len() < self.ahead && self.next < parts {
            let (tx, rx) = bounded(1);
            let plan = self.plan.clone();
            let p = self.next;
            self.pool.spawn(move || {
                let _ = tx.send(plan.merge(p));
            });
            self.pending.push_back(rx);
            self.next += 1;
        }
    }

    /// The next partition's records (each followed by the terminator),
    /// `None` at the end. Empty partitions are passed over.
    pub fn next_block(&mut self) -> Result<Option<&[u8]>> {
        loop {
            let Some(rx) = self.pending.pop_front() else {
                return Ok(None);
            };
            let block = rx
                .recv()
                .unwrap_or_else(|_| Err(crate::error::Error::data("merge worker stopped")))?;
            self.launch();
            self.block = block;
            self.at = 0;
            if !self.block.bytes.is_empty() {
                return Ok(Some(&self.block.bytes));
            }
        }
    }

    /// The next record in order, `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<&[u8]>> {
        while self.at >= self.block.ends.len() {
            if self.next_block()?.is_none() {
                return Ok(None);
            }
        }
        let start = match self.at {
            0 => 0,
            i => self.block.ends[i - 1] + 1,
        };
        let end = self.block.ends[self.at];
        self.at += 1;
        Ok(Some(&self.block.bytes[start..end]))
    }
}

impl<C: Compare> Plan<C> {
    /// Merges partition `p` from its pieces of every run.
    fn merge(&self, p: usize) -> Result<Block> {
        let mut readers: Vec<RunReader> = Vec::with_capacity(self.runs.len());
        for (r, run) in self.runs.iter().enumerate() {
            let from = match p {
                0 => Cut {
                    offset: 0,
                    index: 0,
                },
                _ => self.cuts[p - 1][r],
            };
            let to = self.cuts.get(p).map_or(run.records, |c| c[r].index);
            if to > from.index {
                readers.push(run.open_range(from.offset, to - from.index)?);
            }
        }
        let mut tree = LoserTree::new(readers, self.cmp.clone())?;
        let mut block = Block::default();
        while let Some(r) = tree.next_record()? {
            block.bytes.extend_from_slice(r);
            block.ends.push(block.bytes.len());
            block.bytes.push(self.terminator);
        }
        Ok(block)
    }
}

/// Where `key` cuts `run`: its first record that does not compare below
/// `key`, found from the last sample below `key`.
fn cut<C: Compare>(run: &RunFile, key: &[u8], cmp: &Shared<C>) -> Result<Cut> {
    let i = run
        .samples
        .partition_point(|s| cmp.compare(&s.record, key) == Ordering::Less);
    let mut at = match i {
        0 => Cut {
            offset: 0,
            index: 0,
        },
        _ => Cut {
            offset: run.samples[i - 1].offset,
            index: run.samples[i - 1].index,
        },
    };
    let mut reader = run.open_range(at.offset, run.records - at.index)?;
    while reader.advance()? {
        if cmp.compare(reader.current(), key) != Ordering::Less {
            at.offset = reader.record_offset();
            return Ok(at);
        }
        at.index += 1;
    }
    Ok(Cut {
        offset: run.bytes,
        index: run.records,
    })
}
