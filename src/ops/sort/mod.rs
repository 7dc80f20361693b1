//! psort: GNU sort 9.1 (`LC_ALL=C`) on every core, out of core, plus CSV
//! and TSV with column names in keys.
//!
//! - [`keys`]: the ordering ([`keys::SortSpec`], GNU's `compare`);
//!   [`numeric`] and [`version`] hold the comparison kinds.
//! - [`run`]: reads the inputs with [`ChunkStream`] (reader threads ahead
//!   of this one), pushes every record into a [`Sorter`] (which sorts runs
//!   in parallel and spills them under the `-S` budget), and only after
//!   `finish()` opens the output, so `-o` may name an input. `-u` keeps the
//!   first record of each run that compares equal. An input error stops
//!   the sort before anything is written (exit 2), as GNU does.
//! - `-c`/`-C` compare each record with the previous one, streaming.
//! - `-m` sorts all its inputs too: the output is the same as GNU's for
//!   sorted inputs (`pmerge` is the streaming merge).

pub mod keys;
pub mod numeric;
pub mod version;

use crate::cli::{self, FormatArgs, ProgressArgs, ThreadsArg};
use crate::error::{Error, Result};
use crate::format::{Dialect, Header};
use crate::input::{self, stream::StreamOptions, ChunkStream, Source, StreamItem};
use crate::output::Output;
use crate::progress::Progress;
use crate::shuffle::sort::{Compare, SortOptions, Sorter, SpillOptions, DEFAULT_BATCH_SIZE};
use clap::{ArgAction, Parser};
use keys::{KeyArgs, Layout, SortSpec};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

const ABOUT: &str = "Write the sorted concatenation of all FILEs to standard output, \
using every core and temporary files past the memory budget. GNU sort's flags and \
output bytes (as under LC_ALL=C), plus CSV/TSV with column names in keys.";

const EXAMPLES: &str = "\
KEYDEF is F[.C][OPTS][,F[.C][OPTS]] for start and stop position, where F is a
field number and C a character position in the field; both are origin 1, and
the stop position defaults to the line's end. OPTS is one or more of bdfgiMhnRrV,
which override global ordering options for that key. With --csv, --tsv or -H,
F may be a column name; a name alone (-k total_amount) is that one column.

SIZE may be followed by the suffixes % b K M G T P E (a bare number is KiB).

Differences from GNU sort: -R orders by a seeded 64-bit hash, not MD5 (same
groups of identical keys; a given --random-source always gives the same order);
-g compares as 64-bit doubles, not long doubles; -m sorts its inputs (the same
output when they are sorted; pmerge merges without sorting); --debug is
refused. --batch-size bounds the runs merged at once (multi-level merges
past it); --compress-program=PROG writes spilled runs through PROG and reads
them back through PROG -d, as GNU does.

Examples:
  psort -t $'\\t' -k1,1 left.tsv          by the first tab-separated field
  psort -t, -k4,4n -k1,1r trips.csv       numeric 4th field, then 1st reversed
  psort -S 200M -T /scratch big.txt -o big.sorted
                                         200 MiB of memory, spill to /scratch
  psort --csv -k total_amount,total_amountnr trips.csv
                                         by a column name, numeric, descending;
                                         the header stays first";

/// psort's command line.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "psort",
    version,
    about = ABOUT,
    after_help = EXAMPLES,
    disable_help_flag = true,
    disable_version_flag = true,
    args_override_self = true,
    infer_long_args = true
)]
pub struct Args {
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Check for sorted input; do not sort (report the first disorder)
    #[arg(short = 'c')]
    pub check_diagnose: bool,
    /// Like -c, but do not report the first bad line
    #[arg(short = 'C')]
    pub check_quiet: bool,
    /// Check for sorted input; WHAT is diagnose-first (as -c) or quiet/silent (as -C)
    #[arg(
        long = "check",
        value_name = "WHAT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "diagnose-first"
    )]
    pub check: Option<String>,
    /// Merge already sorted files (psort sorts them: same output)
    #[arg(short = 'm', long = "merge")]
    pub merge: bool,
    /// Write result to FILE instead of standard output (may be an input)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Use SIZE for the main memory buffer (GNU syntax: 200M, 50%, 1G;
    /// default: an eighth of physical memory)
    #[arg(short = 'S', long = "buffer-size", value_name = "SIZE")]
    pub buffer_size: Option<String>,
    /// Use DIR for temporaries, not $TMPDIR or /tmp; repeatable
    #[arg(short = 'T', long = "temporary-directory", value_name = "DIR")]
    pub tmp_dirs: Vec<PathBuf>,
    /// Change the number of sorts run concurrently to N (as -j)
    #[arg(long = "parallel", value_name = "N")]
    pub parallel: Option<String>,
    /// Merge at most NMERGE runs at once (default 16; more runs are merged
    /// in levels)
    #[arg(long = "batch-size", value_name = "NMERGE")]
    pub batch_size: Option<String>,
    /// Compress temporary files with PROG; decompress them with PROG -d
    #[arg(long = "compress-program", value_name = "PROG")]
    pub compress_program: Option<String>,
    /// Read input from the files named by NUL-terminated names in file F
    #[arg(long = "files0-from", value_name = "F")]
    pub files0_from: Option<PathBuf>,
    /// Not supported: refused with an error
    #[arg(long = "debug")]
    pub debug: bool,
    /// The first line is a header row: printed first, names usable in -k
    #[arg(short = 'H', long = "header")]
    pub header: bool,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub threads: ThreadsArg,
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Print help
    #[arg(long = "help", action = ArgAction::Help)]
    pub show_help: Option<bool>,
    /// Print version
    #[arg(long = "version", action = ArgAction::Version)]
    pub show_version: Option<bool>,
    /// Files to read (globs are expanded; none or - means standard input)
    pub files: Vec<OsString>,
}

/// `-c`/`-C`/`--check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    Diagnose,
    Quiet,
}

fn check_mode(args: &Args) -> Result<Option<Check>> {
    let mut modes = Vec::new();
    if args.check_diagnose {
        modes.push(Check::Diagnose);
    }
    if args.check_quiet {
        modes.push(Check::Quiet);
    }
    if let Some(w) = &args.check {
        let words = [
            ("quiet", Check::Quiet),
            ("silent", Check::Quiet),
            ("diagnose-first", Check::Diagnose),
        ];
        let hits: Vec<Check> = words
            .iter()
            .filter(|(name, _)| !w.is_empty() && name.starts_with(w.as_str()))
            .map(|(_, c)| *c)
            .collect();
        let exact = words.iter().find(|(name, _)| name == w).map(|(_, c)| *c);
        match (exact, hits.as_slice()) {
            (Some(c), _) => modes.push(c),
            (None, [c]) => modes.push(*c),
            (None, [a, rest @ ..]) if rest.iter().all(|c| c == a) => modes.push(*a),
            _ => {
                return Err(Error::usage(format!(
                    "invalid argument '{w}' for '--check'\nValid arguments are: 'quiet', 'silent', 'diagnose-first'"
                )))
            }
        }
    }
    modes.dedup();
    match modes.as_slice() {
        [] => Ok(None),
        [m] => Ok(Some(*m)),
        _ => Err(Error::usage("options '-cC' are incompatible")),
    }
}

/// A positive count option (`--parallel`, `--batch-size`).
fn count(value: &str, what: &str) -> Result<usize> {
    value
        .trim()
        .parse::<usize>()
        .map_err(|_| Error::usage(format!("invalid {what} argument '{value}'")))
}

/// Everything settled from the command line before any input is read.
struct Plan {
    check: Option<Check>,
    dialect: Dialect,
    header_mode: bool,
    threads: usize,
    budget: u64,
    /// Most runs merged at once (`--batch-size`).
    batch_size: usize,
}

fn plan(args: &Args) -> Result<Plan> {
    if args.debug {
        return Err(Error::usage(
            "--debug is not supported by psort (use GNU sort to annotate keys)",
        ));
    }
    let check = check_mode(args)?;
    if let Some(c) = check {
        if args.output.is_some() {
            let letter = if c == Check::Quiet { 'C' } else { 'c' };
            return Err(Error::usage(format!(
                "options '-{letter}o' are incompatible"
            )));
        }
        if args.files.len() > 1 {
            return Err(Error::usage(format!(
                "extra operand '{}' not allowed with -{}",
                args.files[1].to_string_lossy(),
                if c == Check::Quiet { 'C' } else { 'c' }
            )));
        }
    }
    let mut batch_size = DEFAULT_BATCH_SIZE;
    if let Some(b) = &args.batch_size {
        let n = count(b, "--batch-size")?;
        if n < 2 {
            return Err(Error::usage(format!(
                "invalid --batch-size argument '{b}'\nminimum --batch-size argument is '2'"
            )));
        }
        batch_size = n;
    }
    let threads = match &args.parallel {
        Some(p) => {
            let n = count(p, "--parallel")?;
            if n == 0 {
                return Err(Error::usage("number in parallel must be nonzero"));
            }
            n
        }
        None => args.threads.get(),
    };
    let budget = match &args.buffer_size {
        Some(s) => cli::size::parse(s)?,
        None => crate::shuffle::default_budget(),
    }
    // Below a few KiB every record would be its own run; GNU also has a
    // floor. Output does not depend on it.
    .max(4 << 10);
    let term = if args.keys.zero_terminated { 0 } else { b'\n' };
    if args.format.csv && args.keys.zero_terminated {
        return Err(Error::usage("-z cannot be combined with --csv"));
    }
    let tab = match &args.keys.field_separator {
        Some(t) => Some(keys::parse_tab(t)?),
        None => None,
    };
    let dialect = if args.format.csv {
        Dialect::csv(tab.unwrap_or(b','))
    } else {
        // --tsv and plain lines: GNU fields (-t, default tab for the header).
        Dialect::plain(tab.unwrap_or(b'\t'), term)
    };
    Ok(Plan {
        check,
        dialect,
        header_mode: args.header || args.format.has_header(),
        threads,
        budget,
        batch_size,
    })
}

/// The ordering for this command line; `header` resolves column names.
fn spec_for(args: &Args, plan: &Plan, header: Option<&Header>) -> Result<SortSpec> {
    let structured = args.format.csv || args.format.tsv;
    SortSpec::with_layout(
        &args.keys,
        Layout {
            tab: structured.then_some(plan.dialect.delimiter),
            quoting: plan.dialect.quoting,
            header,
        },
    )
}

/// Calls `f` on every record of a chunk, raw (a CSV record keeps its `\r`
/// before the newline, so output bytes equal input bytes).
fn for_each_record(
    dialect: &Dialect,
    data: &[u8],
    mut f: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    for r in dialect.records(data) {
        let mut end = r.start + r.body.len();
        if dialect.quoting && r.terminated && data.get(end) == Some(&b'\r') {
            end += 1;
        }
        f(&data[r.start..end])?;
    }
    Ok(())
}

pub fn run(args: Args) -> Result<i32> {
    // GNU's argmatch failures (--sort=WORD, --check=WORD) exit 1, not 2.
    let bad_word = args
        .keys
        .sort_word
        .as_deref()
        .map(keys::sort_word_letter)
        .and_then(Result::err)
        .or_else(|| {
            check_mode(&args)
                .err()
                .filter(|e| e.to_string().starts_with("invalid"))
        });
    if let Some(e) = bad_word {
        cli::message(&e);
        eprintln!("Try 'psort --help' for more information.");
        return Ok(1);
    }
    let plan = plan(&args)?;
    // Without a header, bad keys are reported before any input is read.
    let early_spec = if plan.header_mode {
        None
    } else {
        Some(spec_for(&args, &plan, None)?)
    };
    let sources = input::source::resolve(&args.files, args.files0_from.as_deref())?;
    if plan.check.is_some() && sources.len() > 1 {
        return Err(Error::usage(format!(
            "extra operand '{}' not allowed with -c",
            sources[1].name()
        )));
    }
    let mut progress = Progress::new(&args.progress, &sources);
    let mut stream = ChunkStream::new(
        sources.clone(),
        StreamOptions::new(plan.dialect.record_format(), plan.threads),
    )
    .peekable();

    // Header mode: the first record of the first input that has one.
    let mut header_raw: Option<Vec<u8>> = None;
    let mut header_source = usize::MAX;
    if plan.header_mode {
        while let Some(item) = stream.peek() {
            match item {
                StreamItem::Chunk(c) => {
                    let mut first = None;
                    for_each_record(&plan.dialect, &c.data, |r| {
                        if first.is_none() {
                            first = Some(r.to_vec());
                        }
                        Ok(())
                    })?;
                    if first.is_some() {
                        header_raw = first;
                        header_source = c.source;
                        break;
                    }
                    stream.next();
                }
                StreamItem::Error { .. } => break,
            }
        }
    }
    let spec = match early_spec {
        Some(s) => s,
        None => {
            let parsed = header_raw.as_ref().map(|h| {
                let body = h.strip_suffix(b"\r").unwrap_or(h);
                Header::parse(body, &plan.dialect)
            });
            spec_for(&args, &plan, parsed.as_ref())?
        }
    };
    let term = plan.dialect.terminator;

    if let Some(mode) = plan.check {
        let name = sources.first().map_or("-".to_string(), Source::name);
        return check(&spec, &plan, stream, mode, &name, plan.header_mode);
    }

    let mut sorter = Sorter::with_spill(
        spec.clone(),
        SortOptions {
            budget: plan.budget,
            threads: plan.threads,
            tmp_dirs: args.tmp_dirs.clone(),
        },
        SpillOptions {
            batch_size: plan.batch_size,
            compress_program: args.compress_program.clone().map(Into::into),
        },
    );
    // Plain lines go to the engine a chunk at a time (records split and
    // prefixes computed on its pool); header and CSV modes record by record.
    let whole_chunks = !plan.header_mode && !plan.dialect.quoting;
    for item in stream {
        match item {
            StreamItem::Chunk(c) => {
                progress.inc(c.data.len() as u64);
                if whole_chunks {
                    sorter.push_chunk(&c.data, term)?;
                    continue;
                }
                // Every input's first record is its header in header mode.
                let mut skip = plan.header_mode && c.index == 0;
                for_each_record(&plan.dialect, &c.data, |r| {
                    if skip {
                        skip = false;
                        return Ok(());
                    }
                    sorter.push(r)
                })?;
            }
            StreamItem::Error { error, .. } => return Err(error),
        }
    }
    let _ = header_source;
    // Past the budget, the final merge runs on every core.
    let mut sorted = sorter.finish_parallel(term)?;
    progress.finish();

    // Only now: -o may name one of the inputs.
    let mut out = Output::open(args.output.as_deref())?;
    if let Some(h) = &header_raw {
        out.write_all(h)?;
        out.write_all(&[term])?;
    }
    if spec.unique {
        let mut prev: Vec<u8> = Vec::new();
        let mut first = true;
        while let Some(r) = sorted.next_record()? {
            if !first && spec.compare(&prev, r) == std::cmp::Ordering::Equal {
                continue;
            }
            first = false;
            out.write_all(r)?;
            out.write_all(&[term])?;
            prev.clear();
            prev.extend_from_slice(r);
        }
    } else {
        // Blocks of records rather than two writes per record: about 4%
        // less CPU on `-t, -k4,4n trips.csv` (scale 0.1), within the noise
        // on lines.txt; the gather runs on the pool when a core is idle.
        while let Some(b) = sorted.next_block(term)? {
            out.write_all(b)?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// `-c`/`-C`: exit 1 at the first record out of order (with `-u`, also at
/// the first equal pair), reporting it as GNU does for `-c`.
fn check(
    spec: &SortSpec,
    plan: &Plan,
    stream: impl Iterator<Item = StreamItem>,
    mode: Check,
    name: &str,
    header_mode: bool,
) -> Result<i32> {
    let mut prev: Vec<u8> = Vec::new();
    let mut have_prev = false;
    let mut number: u64 = 0;
    let mut disorder: Option<(u64, Vec<u8>)> = None;
    for item in stream {
        let c = match item {
            StreamItem::Chunk(c) => c,
            StreamItem::Error { error, .. } => return Err(error),
        };
        let mut skip = header_mode && c.index == 0;
        for_each_record(&plan.dialect, &c.data, |r| {
            number += 1;
            if skip {
                skip = false;
                return Ok(());
            }
            if disorder.is_some() {
                return Ok(());
            }
            if have_prev {
                let d = spec.compare(&prev, r);
                if d == std::cmp::Ordering::Greater
                    || (spec.unique && d == std::cmp::Ordering::Equal)
                {
                    disorder = Some((number, r.to_vec()));
                    return Ok(());
                }
            }
            prev.clear();
            prev.extend_from_slice(r);
            have_prev = true;
            Ok(())
        })?;
        if disorder.is_some() {
            break;
        }
    }
    match disorder {
        None => Ok(0),
        Some((n, line)) => {
            if mode == Check::Diagnose {
                let mut e = std::io::stderr().lock();
                let _ = write!(e, "{}: {}:{}: disorder: ", cli::tool(), name, n);
                let _ = e.write_all(&line);
                let _ = e.write_all(b"\n");
            }
            Ok(1)
        }
    }
}
