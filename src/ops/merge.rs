//! pmerge: GNU `sort -m` — merge already-sorted inputs — with the same
//! ordering options, a bounded number of open files, and `--check`.
//!
//! Each input is read in blocks ([`TextReader`], gzip allowed) and the
//! heads are merged by a loser tree ([`LoserTree`]) on the caller's
//! thread; ties go to the earlier input, as in GNU sort. With more inputs
//! than `--batch-size`, consecutive groups of inputs are first merged into
//! temp runs (and runs into longer runs, level by level), so at most
//! `--batch-size` inputs are open at once. With `-o` naming one of the
//! inputs, that input is copied to a temp file before the output is
//! truncated, as GNU sort does.
//!
//! `--check` verifies, while merging, that each input is in order and
//! fails on the first record that is not, naming the input and line (GNU's
//! `sort -m` trusts its input and silently produces unsorted output).

use crate::cli::ThreadsArg;
use crate::engine::{self, Event, Flow, Item};
use crate::error::{Error, Result};
use crate::input::{decompress, source, Source};
use crate::ops::sort::keys::{KeyArgs, SortSpec};
use crate::output::Output;
use crate::shuffle::merge::{LoserTree, RunMerger};
use crate::shuffle::ranged::RangedFile;
use crate::shuffle::run::{MergeSource, RunFile, RunReader, SliceReader, TextReader};
use crate::shuffle::sort::{Compare, Shared, DEFAULT_BATCH_SIZE};
use crate::shuffle::tmp::TempDir;
use clap::Parser;
use std::cmp::Ordering;
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const ABOUT: &str = "Merge already sorted FILEs into one sorted output, as GNU 'sort -m', \
with the same ordering options, any number of inputs and an optional order check.";

const EXAMPLES: &str = "\
Examples:
  pmerge part-*.txt > all.txt            merge sorted parts (as sort -m)
  pmerge -t, -k2,2n -o out.csv a.csv b.csv
                                         merge on the numeric second field
  pmerge -u --batch-size=64 logs/*.gz    hundreds of gzip inputs, 64 open at a time,
                                         one line per distinct key
  pmerge --check a b                     fail (naming file and line) if an input
                                         is not sorted";

/// pmerge's command line.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "pmerge",
    version,
    about = ABOUT,
    after_help = EXAMPLES,
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct Args {
    /// Print help (-h is --human-numeric-sort, as in GNU sort)
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Print version (-V is --version-sort, as in GNU sort)
    #[arg(long = "version", id = "print_version", action = clap::ArgAction::Version)]
    pub print_version: Option<bool>,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Merge already sorted files (what pmerge always does; accepted for
    /// compatibility with sort -m)
    #[arg(short = 'm', long = "merge")]
    pub merge: bool,
    /// Check that each input is sorted while merging; fail on the first
    /// out-of-order line, naming the file and line
    #[arg(long)]
    pub check: bool,
    /// Write result to FILE instead of standard output (may be one of the
    /// inputs)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Merge at most NMERGE inputs at once; more are merged in groups
    /// through temporary files [default: 16]
    #[arg(long = "batch-size", value_name = "NMERGE")]
    pub batch_size: Option<String>,
    /// Use DIR for temporary files, not $TMPDIR or /tmp; multiple options
    /// specify multiple directories
    #[arg(short = 'T', long = "temporary-directory", value_name = "DIR")]
    pub tmp_dirs: Vec<PathBuf>,
    /// Compress temporary files with PROG; decompress them with PROG -d
    #[arg(long = "compress-program", value_name = "PROG")]
    pub compress_program: Option<OsString>,
    #[command(flatten)]
    pub threads: ThreadsArg,
    /// Read input file names from F, separated by NUL bytes
    #[arg(long = "files0-from", value_name = "F")]
    pub files0_from: Option<PathBuf>,
    /// Sorted files to merge (globs are expanded; none or - means standard
    /// input; gzip is read transparently)
    pub files: Vec<OsString>,
}

/// `--batch-size` as GNU sort parses it.
fn batch_size(arg: Option<&str>) -> Result<usize> {
    let Some(s) = arg else {
        return Ok(DEFAULT_BATCH_SIZE);
    };
    match s.parse::<u64>() {
        Ok(n) if n >= 2 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        Ok(_) => Err(Error::usage(format!(
            "invalid --batch-size argument '{s}'\nminimum --batch-size argument is '2'"
        ))),
        Err(_) => Err(Error::usage(format!("invalid --batch-size argument '{s}'"))),
    }
}

/// One input of a merge: a text input (checked with `--check`) or a temp
/// run holding an already merged group.
enum Input<C: Compare> {
    Text(Checked<C>),
    Run(RunReader),
}

impl<C: Compare> MergeSource for Input<C> {
    #[inline]
    fn advance(&mut self) -> Result<bool> {
        match self {
            Input::Text(t) => t.advance(),
            Input::Run(r) => r.advance(),
        }
    }
    #[inline]
    fn current(&self) -> &[u8] {
        match self {
            Input::Text(t) => t.reader.current(),
            Input::Run(r) => r.current(),
        }
    }
}

/// A text input, and with `--check` the previous record to compare the
/// next one against.
struct Checked<C: Compare> {
    reader: TextReader,
    check: Option<(Shared<C>, Vec<u8>)>,
}

impl<C: Compare> Checked<C> {
    fn advance(&mut self) -> Result<bool> {
        let Some((cmp, prev)) = &mut self.check else {
            return self.reader.advance();
        };
        let first = self.reader.line == 0;
        prev.clear();
        prev.extend_from_slice(self.reader.current());
        if !self.reader.advance()? {
            return Ok(false);
        }
        let cur = self.reader.current();
        if !first && cmp.compare(prev, cur) == Ordering::Greater {
            return Err(Error::data(format!(
                "{}:{}: disorder: {}",
                self.reader.name(),
                self.reader.line,
                String::from_utf8_lossy(cur)
            )));
        }
        Ok(true)
    }
}

/// Opens the inputs `sources` as merge sources.
fn open_texts<C: Compare>(
    sources: &[Source],
    terminator: u8,
    check: Option<&Shared<C>>,
) -> Result<Vec<Input<C>>> {
    sources
        .iter()
        .map(|s| {
            let name = match s {
                Source::Stdin => "-".to_string(),
                Source::Path(p) => p.display().to_string(),
            };
            let reader = TextReader::new(decompress::open(s)?, name, terminator);
            Ok(Input::Text(Checked {
                reader,
                check: check.map(|c| (c.clone(), Vec::new())),
            }))
        })
        .collect()
}

/// If `-o` names an existing file that is also an input, copies that input
/// to a temp file and reads the copy instead (the output is truncated
/// before the merge reads it).
fn protect_output(
    sources: &mut [Source],
    output: Option<&Path>,
    tmp: &mut Option<TempDir>,
    tmp_dirs: &[PathBuf],
) -> Result<()> {
    let Some(out) = output.filter(|p| *p != Path::new("-")) else {
        return Ok(());
    };
    let Ok(meta) = std::fs::metadata(out) else {
        return Ok(());
    };
    let id = (meta.dev(), meta.ino());
    for s in sources.iter_mut() {
        let Source::Path(p) = s else { continue };
        let same = std::fs::metadata(&*p).is_ok_and(|m| (m.dev(), m.ino()) == id);
        if !same {
            continue;
        }
        if tmp.is_none() {
            *tmp = Some(TempDir::new(tmp_dirs)?);
        }
        let dir = tmp.as_ref().expect("temp dir just created");
        let (copy, mut file) = dir.create_file("input")?;
        let mut src =
            std::fs::File::open(&*p).map_err(|e| Error::io(p.display().to_string(), e))?;
        std::io::copy(&mut src, &mut file).map_err(|e| {
            Error::io(
                format!("cannot copy '{}' to a temporary file", p.display()),
                e,
            )
        })?;
        *s = Source::Path(copy);
    }
    Ok(())
}

pub fn run(args: Args) -> Result<i32> {
    let spec = SortSpec::new(&args.keys)?;
    let fan_in = batch_size(args.batch_size.as_deref())?;
    let terminator = spec.terminator;
    let unique = spec.unique;
    let mut sources = source::resolve(&args.files, args.files0_from.as_deref())?;
    let spec = Arc::new(spec);
    let cmp = Shared(spec.clone());
    let check = args.check.then_some(&cmp);

    let mut tmp: Option<TempDir> = None;
    protect_output(
        &mut sources,
        args.output.as_deref(),
        &mut tmp,
        &args.tmp_dirs,
    )?;

    if !args.check && sources.len() <= fan_in {
        if let Some(files) = ranged(&sources)? {
            let out = Output::open(args.output.as_deref())?;
            merge_parallel(files, spec, args.threads.get(), out)?;
            drop(tmp);
            return Ok(0);
        }
    }

    // Past the fan-in: merge consecutive groups of inputs into runs, then
    // runs into longer runs, until one merge of at most `fan_in` is left.
    let mut runs: Vec<RunFile> = Vec::new();
    let mut rest: &[Source] = &sources;
    if sources.len() > fan_in {
        if tmp.is_none() {
            tmp = Some(TempDir::new(&args.tmp_dirs)?);
        }
        let merger = RunMerger {
            tmp: tmp.as_ref().expect("temp dir just created"),
            cmp: cmp.clone(),
            compress: args.compress_program.as_ref(),
            fan_in,
            pool: None,
            sample_every: 0,
        };
        // Leave as many inputs for the final merge as there is room for.
        while runs.len() + rest.len() > fan_in {
            let take = (runs.len() + rest.len() - fan_in + 1)
                .min(fan_in)
                .min(rest.len());
            let (group, tail) = rest.split_at(take);
            runs.push(merger.merge(open_texts(group, terminator, check)?)?);
            rest = tail;
            if rest.is_empty() {
                runs = merger.reduce(runs, fan_in)?;
            }
        }
    }

    let mut inputs: Vec<Input<SortSpec>> = Vec::with_capacity(runs.len() + rest.len());
    for r in &runs {
        inputs.push(Input::Run(r.open()?));
    }
    inputs.extend(open_texts(rest, terminator, check)?);
    let mut tree = LoserTree::new(inputs, cmp)?;

    let mut out = Output::open(args.output.as_deref())?;
    let term = [terminator];
    if unique {
        let mut last: Option<Vec<u8>> = None;
        while let Some(r) = tree.next_record()? {
            if let Some(l) = &mut last {
                if spec.compare_keys(l, r) == Ordering::Equal {
                    continue;
                }
                l.clear();
                l.extend_from_slice(r);
            } else {
                last = Some(r.to_vec());
            }
            out.write_all(r)?;
            out.write_all(&term)?;
        }
    } else {
        while let Some(r) = tree.next_record()? {
            out.write_all(r)?;
            out.write_all(&term)?;
        }
    }
    out.flush()?;
    drop(tree);
    drop(tmp);
    Ok(0)
}

/// Output bytes per partition of the parallel merge (and so, with the
/// engine's in-flight limit, its memory: 2 x threads + 2 partitions, each
/// its input pieces and its output).
/// One candidate splitter is sampled per eighth of this from each input,
/// and below four partitions' worth of input the streaming merge is used.
/// `PTOOLS_MERGE_PARTITION` overrides it (tests use tiny partitions).
fn partition_bytes() -> usize {
    std::env::var("PTOOLS_MERGE_PARTITION")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(4 << 20)
}

/// The inputs opened for reading by range, when the parallel merge
/// applies: all regular, uncompressed files, together big enough.
fn ranged(sources: &[Source]) -> Result<Option<Vec<RangedFile>>> {
    let min_bytes = 4 * partition_bytes();
    let mut files = Vec::with_capacity(sources.len());
    let mut total = 0usize;
    let mut head = Vec::new();
    for s in sources {
        let Source::Path(p) = s else { return Ok(None) };
        match std::fs::metadata(p) {
            Ok(m) if m.is_file() => {}
            _ => return Ok(None), // the streaming path reports it
        }
        let f = RangedFile::open(p)?;
        f.read(0, f.len().min(2), &mut head)?;
        if head == [0x1f, 0x8b] {
            return Ok(None);
        }
        total += f.len();
        files.push(f);
    }
    Ok((total >= min_bytes).then_some(files))
}

/// Byte offset of the first record of sorted `file` that does not compare
/// below `key`: binary search over byte offsets snapped to record starts.
fn lower_bound<C: Compare>(file: &RangedFile, key: &[u8], term: u8, cmp: &C) -> Result<usize> {
    let (mut lo, mut hi) = (0usize, file.len());
    let (mut rec, mut buf) = (Vec::new(), Vec::new());
    while lo < hi {
        let mut s = file.next_start(lo + (hi - lo) / 2, term, &mut buf)?;
        if s >= hi {
            s = lo;
        }
        let next = file.record_at(s, term, &mut rec, &mut buf)?;
        if cmp.compare(&rec, key) == Ordering::Less {
            lo = next;
        } else {
            hi = s;
        }
    }
    Ok(lo)
}

/// The order inside one partition of the parallel merge: `spec`'s, with
/// cached words ([`Compare::prefix`], [`Compare::prefix2`]) taken past
/// the first `skip` bytes, which every record of the partition shares.
/// `skip` is 0 unless the order is the whole line's bytes (no `-k`): a
/// record between two splitters in byte order (either direction) starts
/// with the bytes they have in common. (8 sorted pieces of lines.txt:
/// partitions of about a day and a half share "2016-MM-D", so the words
/// hold the hour, minute and second.)
struct PartitionOrder {
    spec: Arc<SortSpec>,
    skip: usize,
}

impl Compare for PartitionOrder {
    #[inline]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        self.spec.compare(a, b)
    }
    #[inline]
    fn prefix(&self, record: &[u8]) -> u64 {
        self.spec.prefix(record.get(self.skip..).unwrap_or(&[]))
    }
    #[inline]
    fn prefix2(&self, record: &[u8]) -> u64 {
        self.spec.prefix2(record.get(self.skip..).unwrap_or(&[]))
    }
}

/// Merges the inputs on `threads` threads: the key range is cut at
/// splitters sampled from the inputs (about [`partition_bytes`] of output
/// per partition); each input's piece of a partition is found by binary
/// search, the pieces are read and merged by a loser tree into a buffer on
/// the engine's workers, and the engine writes the buffers in order.
/// Records that compare equal fall on the same side of every splitter, so
/// ties (and `-u`) are decided within one partition exactly as in one
/// sequential merge.
fn merge_parallel(
    files: Vec<RangedFile>,
    spec: Arc<SortSpec>,
    threads: usize,
    mut out: Output,
) -> Result<()> {
    let term = spec.terminator;
    let cmp = Shared(spec.clone());
    let partition = partition_bytes();
    let step = (partition / 8).max(1);
    // Candidates: the record after every `step` bytes of every input,
    // each standing for about that many bytes; sorted, every 8th becomes
    // a splitter.
    let mut cands: Vec<Vec<u8>> = Vec::new();
    let mut buf = Vec::new();
    for f in &files {
        let mut x = step;
        while x < f.len() {
            let s = f.next_start(x, term, &mut buf)?;
            if s < f.len() {
                let mut rec = Vec::new();
                f.record_at(s, term, &mut rec, &mut buf)?;
                cands.push(rec);
            }
            x += step;
        }
    }
    cands.sort_by(|a, b| cmp.compare(a, b));
    let every = (partition / step).max(1);
    let mut splitters: Vec<Vec<u8>> = Vec::new();
    for c in cands.into_iter().skip(every - 1).step_by(every) {
        if splitters
            .last()
            .is_none_or(|l| cmp.compare(l, &c) == Ordering::Less)
        {
            splitters.push(c);
        }
    }
    let parts = splitters.len() + 1;
    // Every partition's bounds in every input, before any merging.
    let mut bounds: Vec<Vec<usize>> = Vec::with_capacity(files.len());
    for f in &files {
        let mut b = Vec::with_capacity(parts + 1);
        b.push(0);
        for k in &splitters {
            b.push(lower_bound(f, k, term, &cmp)?);
        }
        b.push(f.len());
        bounds.push(b);
    }
    // Whole-line order: a partition's records all share the first bytes
    // its two splitters share, so its loser tree caches the words after
    // those ([`PartitionOrder`]).
    let shared: Vec<usize> = (0..parts)
        .map(
            |p| match (p.checked_sub(1).map(|q| &splitters[q]), splitters.get(p)) {
                (Some(lo), Some(hi)) if spec.keys.is_empty() => {
                    lo.iter().zip(hi.iter()).take_while(|(a, b)| a == b).count()
                }
                _ => 0,
            },
        )
        .collect();
    let files = Arc::new(files);
    let bounds = Arc::new(bounds);
    let sink_spec = spec.clone();
    let items = (0..parts).map(Item::<usize, ()>::Work);
    // Buffers go round: the sink hands written output buffers back, and
    // each worker keeps its input buffers, so a steady state allocates
    // (and page-faults) nothing.
    let (spare_tx, spare_rx) = crossbeam_channel::unbounded::<Vec<u8>>();
    thread_local! {
        static PIECES: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let map = move |&p: &usize| -> Result<Vec<u8>> {
        let cmp = PartitionOrder {
            spec: spec.clone(),
            skip: shared[p],
        };
        let mut pieces = PIECES.with(|c| c.take());
        pieces.resize_with(files.len(), Vec::new);
        for ((f, b), piece) in files.iter().zip(bounds.iter()).zip(pieces.iter_mut()) {
            f.read(b[p], b[p + 1].max(b[p]), piece)?;
        }
        let sources: Vec<SliceReader> = pieces.iter().map(|d| SliceReader::new(d, term)).collect();
        let mut tree = LoserTree::new(sources, cmp)?;
        let mut buf = spare_rx
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(partition + partition / 4));
        buf.clear();
        let mut last: Option<(usize, usize)> = None;
        while let Some(r) = tree.next_record()? {
            if spec.unique {
                if let Some((s, e)) = last {
                    if spec.compare_keys(&buf[s..e], r) == Ordering::Equal {
                        continue;
                    }
                }
                last = Some((buf.len(), buf.len() + r.len()));
            }
            buf.extend_from_slice(r);
            buf.push(term);
        }
        drop(tree);
        PIECES.with(|c| c.replace(pieces));
        Ok(buf)
    };
    // `-u` across partition bounds: records equal on the keys but not as
    // wholes may fall on both sides of a splitter, so the first records of
    // a partition are checked against the last one written.
    let mut last: Option<Vec<u8>> = None;
    engine::ordered_map(threads, items, map, |ev| {
        if let Event::Mapped(_, res) = ev {
            let buf = res?;
            let mut from = 0;
            if sink_spec.unique {
                if let Some(l) = &last {
                    while from < buf.len() {
                        let end =
                            memchr::memchr(term, &buf[from..]).map_or(buf.len(), |i| from + i);
                        if sink_spec.compare_keys(l, &buf[from..end]) != Ordering::Equal {
                            break;
                        }
                        from = end + 1;
                    }
                }
                if from < buf.len() {
                    let body = &buf[..buf.len() - 1];
                    let s = memchr::memrchr(term, body).map_or(0, |i| i + 1);
                    last = Some(body[s..].to_vec());
                }
            }
            out.write_all(&buf[from.min(buf.len())..])?;
            let _ = spare_tx.send(buf);
        }
        Ok(Flow::Continue)
    })?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_size_as_gnu() {
        assert_eq!(batch_size(None).unwrap(), 16);
        assert_eq!(batch_size(Some("2")).unwrap(), 2);
        for bad in ["0", "1", "x", "-3", ""] {
            assert!(batch_size(Some(bad)).is_err(), "{bad}");
        }
    }
}
