//! pgrep: GNU grep (under `LC_ALL=C`) for big files, searching one file on
//! every core, with output in input order; plus a column-scoped search of
//! CSV/TSV (`--select`, as `xsv search -s`).
//!
//! Shape: the engine's ordered map. Workers run [`search::search_chunk`]
//! over whole chunks and return chunk-relative hits (line spans, line
//! numbers, counts, the first NUL byte); the sink ([`print::Printer`], on
//! the caller's thread) turns them into output with running per-file state:
//! line numbers are a prefix sum of the chunks' line counts, `-m` is an
//! ordered cut-off, before-context lines of earlier chunks are kept in a
//! small ring, and after-context is a counter carried into the next chunk.
//! So output is the same bytes at any `-j` and any chunk size.
//!
//! Early stop: `-q` stops the engine at the first selected line; `-m`,
//! `-l` stop it once the last input needs nothing more, and mark a
//! finished earlier input in a shared atomic so workers skip the rest of
//! its chunks without searching them.

pub mod columns;
pub mod pattern;
pub mod print;
pub mod search;

use crate::cli::{self, FormatArgs, ProgressArgs, ThreadsArg};
use crate::error::{Error, Result};
use crate::input::{self, Source};
use crate::progress::Progress;
use clap::{ArgAction, Parser};
use pattern::{Matcher, PatternOptions, Syntax};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

const ABOUT: &str = "Search for PATTERNS in each FILE, on every core: GNU grep's flags and \
output bytes (as under LC_ALL=C), one big file searched in parallel with output in input \
order, gzip inputs decompressed, and CSV/TSV search scoped to columns.";

const EXAMPLES: &str = "\
PATTERNS can hold several patterns separated by newlines. Exit status: 0 if a line is \
selected, 1 if none is, 2 on trouble (with -q, a selected line wins over an error).

Examples:
  pgrep ERROR app.log                    as GNU grep, on every core
  pgrep -c -E 'ERROR.*timeout [0-9]+' app.log
                                         count matching lines
  pgrep -n -C2 -m10 panic 'logs/*.gz'    numbered context, first 10 per file
  pgrep -F -f needles.txt big.txt        many fixed strings at once
  pgrep --csv --select pickup_zone Airport trips.csv
                                         whole records whose pickup_zone
                                         matches, header once (xsv search -s)
  pgrep --csv -v -i --select 2,note 'n/a' data.csv

The system's pgrep (procps) has the same name: put ptools first on PATH or
use an alias (alias pg=~/.local/bin/pgrep).";

/// pgrep's command line.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "pgrep",
    version,
    about = ABOUT,
    after_help = EXAMPLES,
    disable_help_flag = true,
    override_usage = "pgrep [OPTION]... PATTERNS [FILE]...\n       pgrep [OPTION]... -e PATTERNS ... [FILE]...\n       pgrep [OPTION]... -f PATTERN_FILE ... [FILE]..."
)]
pub struct Args {
    /// Print help
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,
    /// PATTERNS are extended regular expressions
    #[arg(short = 'E', long = "extended-regexp")]
    pub extended: bool,
    /// PATTERNS are strings
    #[arg(short = 'F', long = "fixed-strings")]
    pub fixed: bool,
    /// PATTERNS are basic regular expressions (the default)
    #[arg(short = 'G', long = "basic-regexp")]
    pub basic: bool,
    /// Perl regular expressions: not supported (refused)
    #[arg(short = 'P', long = "perl-regexp")]
    pub perl: bool,
    /// Use PATTERNS for matching
    #[arg(
        short = 'e',
        long = "regexp",
        value_name = "PATTERNS",
        allow_hyphen_values = true
    )]
    pub regexp: Vec<OsString>,
    /// Take PATTERNS from FILE, one per line
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub pattern_file: Vec<PathBuf>,
    /// Ignore case distinctions in patterns and data
    #[arg(short = 'i', long = "ignore-case", overrides_with = "no_ignore_case")]
    pub ignore_case: bool,
    /// Same as -i (obsolete)
    #[arg(short = 'y', overrides_with = "no_ignore_case")]
    pub y: bool,
    /// Do not ignore case distinctions (the default)
    #[arg(long = "no-ignore-case", overrides_with_all = ["ignore_case", "y"])]
    pub no_ignore_case: bool,
    /// Match only whole words
    #[arg(short = 'w', long = "word-regexp")]
    pub word: bool,
    /// Match only whole lines
    #[arg(short = 'x', long = "line-regexp")]
    pub line: bool,
    /// A data line ends in 0 byte, not newline
    #[arg(short = 'z', long = "null-data")]
    pub null_data: bool,
    /// Select non-matching lines
    #[arg(short = 'v', long = "invert-match")]
    pub invert: bool,
    /// Stop after NUM selected lines (per file)
    #[arg(short = 'm', long = "max-count", value_name = "NUM")]
    pub max_count: Option<i64>,
    /// Print the byte offset with output lines
    #[arg(short = 'b', long = "byte-offset")]
    pub byte_offset: bool,
    /// Print the line number with output lines
    #[arg(short = 'n', long = "line-number")]
    pub line_number: bool,
    /// Flush output on every line
    #[arg(long = "line-buffered")]
    pub line_buffered: bool,
    /// Print the file name for each match (default with several files)
    #[arg(short = 'H', long = "with-filename", overrides_with = "no_filename")]
    pub with_filename: bool,
    /// Suppress the file name prefix on output
    #[arg(short = 'h', long = "no-filename", overrides_with = "with_filename")]
    pub no_filename: bool,
    /// Use LABEL as the standard input file name prefix
    #[arg(long, value_name = "LABEL")]
    pub label: Option<OsString>,
    /// Show only nonempty parts of lines that match
    #[arg(short = 'o', long = "only-matching")]
    pub only_matching: bool,
    /// Suppress all normal output
    #[arg(short = 'q', long = "quiet", visible_alias = "silent")]
    pub quiet: bool,
    /// Assume that binary files are TYPE: 'binary', 'text', or 'without-match'
    #[arg(long = "binary-files", value_name = "TYPE")]
    pub binary_files: Option<String>,
    /// Equivalent to --binary-files=text
    #[arg(short = 'a', long = "text")]
    pub text: bool,
    /// Equivalent to --binary-files=without-match
    #[arg(short = 'I')]
    pub no_binary: bool,
    /// Accepted for compatibility; has no effect on POSIX systems
    #[arg(short = 'U', long = "binary")]
    pub binary_flag: bool,
    /// Recursive search: not supported (refused)
    #[arg(short = 'r', long = "recursive")]
    pub recursive: bool,
    /// Recursive search: not supported (refused)
    #[arg(short = 'R', long = "dereference-recursive")]
    pub dereference_recursive: bool,
    /// Print only names of FILEs with no selected lines
    #[arg(
        short = 'L',
        long = "files-without-match",
        overrides_with = "files_with_matches"
    )]
    pub files_without_match: bool,
    /// Print only names of FILEs with selected lines
    #[arg(
        short = 'l',
        long = "files-with-matches",
        overrides_with = "files_without_match"
    )]
    pub files_with_matches: bool,
    /// Print only a count of selected lines per FILE
    #[arg(short = 'c', long = "count")]
    pub count: bool,
    /// Print 0 byte after FILE name
    #[arg(short = 'Z', long = "null")]
    pub null: bool,
    /// Suppress error messages about nonexistent or unreadable files
    #[arg(short = 's', long = "no-messages")]
    pub no_messages: bool,
    /// Print NUM lines of leading context
    #[arg(short = 'B', long = "before-context", value_name = "NUM")]
    pub before: Option<u64>,
    /// Print NUM lines of trailing context
    #[arg(short = 'A', long = "after-context", value_name = "NUM")]
    pub after: Option<u64>,
    /// Print NUM lines of output context
    #[arg(short = 'C', long = "context", value_name = "NUM")]
    pub context: Option<u64>,
    /// Print SEP between context groups [default: --]
    #[arg(
        long = "group-separator",
        value_name = "SEP",
        allow_hyphen_values = true
    )]
    pub group_separator: Option<OsString>,
    /// Do not print a separator between context groups
    #[arg(long = "no-group-separator")]
    pub no_group_separator: bool,
    /// Use markers to highlight matches: never, always or auto (on a
    /// terminal); GNU's default colours
    #[arg(
        long = "color",
        visible_alias = "colour",
        value_name = "WHEN",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "auto"
    )]
    pub color: Option<String>,
    /// With a single character: the CSV field delimiter (implies CSV input
    /// with a header). As GNU's --directories: 'read' (default), 'skip'
    #[arg(short = 'd', long = "delimiter", value_name = "DELIM|ACTION")]
    pub delimiter: Option<String>,
    /// CSV/TSV: match only inside these columns (names or numbers, GNU
    /// list syntax); whole records are printed, the header once
    #[arg(long = "select", value_name = "COLS")]
    pub select: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub threads: ThreadsArg,
    /// Show a progress bar on stderr even when it is not a terminal
    #[arg(long)]
    pub progress: bool,
    /// PATTERNS (unless -e or -f is given), then the files to search
    /// (globs are expanded; none or - means standard input)
    #[arg(value_name = "PATTERNS] [FILE")]
    pub operands: Vec<OsString>,
}

/// Which binary files policy applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryFiles {
    Binary,
    Text,
    WithoutMatch,
}

/// Everything the sink needs, resolved from the command line.
#[derive(Clone, Debug)]
pub struct Config {
    pub invert: bool,
    pub eol: u8,
    pub max_count: Option<u64>,
    pub count: bool,
    pub files_with_matches: bool,
    pub files_without_match: bool,
    pub quiet: bool,
    pub only_matching: bool,
    pub line_number: bool,
    pub byte_offset: bool,
    pub with_filename: bool,
    pub null: bool,
    pub before: u64,
    pub after: u64,
    /// Any of -A/-B/-C given (even 0): group separators are printed.
    pub context: bool,
    pub group_separator: Option<Vec<u8>>,
    pub binary_files: BinaryFiles,
    pub no_messages: bool,
    pub line_buffered: bool,
    /// Names of the inputs as printed.
    pub names: Vec<Vec<u8>>,
    /// The inputs.
    pub sources: Vec<Source>,
    /// `--color`: GNU's default colours (GREP_COLORS is not read).
    pub color: bool,
}

impl Config {
    /// True when only counts or names are printed (or nothing): workers
    /// then count instead of listing lines.
    pub fn count_only(&self) -> bool {
        self.count || self.files_with_matches || self.files_without_match || self.quiet
    }
}

fn patterns_of(args: &Args, operands: &mut Vec<OsString>) -> Result<Vec<Vec<u8>>> {
    let mut patterns = Vec::new();
    for e in &args.regexp {
        pattern::split_patterns(e.as_bytes(), &mut patterns);
    }
    for f in &args.pattern_file {
        let data = if f.as_os_str() == "-" {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut v)
                .map_err(|e| Error::io("-", e))?;
            v
        } else {
            std::fs::read(f).map_err(|e| Error::io(f.display().to_string(), e))?
        };
        if !data.is_empty() {
            let body = data.strip_suffix(b"\n").unwrap_or(&data);
            pattern::split_patterns(body, &mut patterns);
        }
    }
    if args.regexp.is_empty() && args.pattern_file.is_empty() {
        if operands.is_empty() {
            return Err(Error::usage("no pattern given"));
        }
        let p = operands.remove(0);
        pattern::split_patterns(p.as_bytes(), &mut patterns);
    }
    Ok(patterns)
}

fn check(args: &Args) -> Result<Syntax> {
    if args.perl {
        return Err(Error::usage(
            "-P (Perl regular expressions) is not supported",
        ));
    }
    if args.recursive || args.dereference_recursive {
        return Err(Error::usage(
            "-r/-R (recursive search) is not supported; pass the files, or globs",
        ));
    }
    let n = [args.extended, args.fixed, args.basic]
        .iter()
        .filter(|&&b| b)
        .count();
    if n > 1 {
        return Err(Error::usage("conflicting matchers specified"));
    }
    match args.color.as_deref() {
        None
        | Some("never" | "no" | "none" | "auto" | "tty" | "if-tty" | "always" | "yes" | "force") => {
        }
        Some(w) => {
            return Err(Error::usage(format!(
                "invalid argument '{w}' for '--color'"
            )))
        }
    }
    Ok(if args.extended {
        Syntax::Extended
    } else if args.fixed {
        Syntax::Fixed
    } else {
        Syntax::Basic
    })
}

/// Whether `--color=WHEN` colours: always, or auto on a terminal whose
/// TERM is not "dumb" (as GNU grep decides).
fn color(when: Option<&str>) -> bool {
    use std::io::IsTerminal;
    match when {
        Some("always" | "yes" | "force") => true,
        Some("auto" | "tty" | "if-tty") => {
            std::io::stdout().is_terminal() && std::env::var("TERM").is_ok_and(|t| t != "dumb")
        }
        _ => false,
    }
}

pub fn run(args: Args) -> Result<i32> {
    let syntax = check(&args)?;
    let mut operands = args.operands.clone();
    let patterns = patterns_of(&args, &mut operands)?;
    let binary_files = match args.binary_files.as_deref() {
        _ if args.text => BinaryFiles::Text,
        _ if args.no_binary => BinaryFiles::WithoutMatch,
        None | Some("binary") => BinaryFiles::Binary,
        Some("text") => BinaryFiles::Text,
        Some("without-match") => BinaryFiles::WithoutMatch,
        Some(t) => return Err(Error::usage(format!("unknown binary-files type: '{t}'"))),
    };
    let max_count = match args.max_count {
        Some(m) if m < 0 => None,
        Some(m) => Some(m as u64),
        None => None,
    };
    // -d: a one-byte value is a CSV delimiter; a word is GNU's
    // --directories action.
    let mut skip_dirs = false;
    let mut delimiter = None;
    match args.delimiter.as_deref() {
        None | Some("read") => {}
        Some("skip") => skip_dirs = true,
        Some("recurse") => {
            return Err(Error::usage(
                "-d recurse (recursive search) is not supported",
            ))
        }
        Some(d) => delimiter = Some(cli::parse_delimiter(d, "delimiter")?),
    }
    let columns_mode = args.format.csv || args.format.tsv || delimiter.is_some();
    if args.select.is_some() && !columns_mode {
        return Err(Error::usage("--select needs --csv, --tsv or -d DELIM"));
    }
    let eol = if args.null_data { 0 } else { b'\n' };
    let mut sources = input::source::expand(&operands);
    // GNU counts operands for the default -H, skipped directories included.
    let several = sources.len() > 1;
    if skip_dirs {
        sources.retain(|s| !s.path().is_some_and(|p| p.is_dir()));
    }
    let names: Vec<Vec<u8>> = sources
        .iter()
        .map(|s| match s {
            Source::Stdin => args
                .label
                .as_ref()
                .map_or(b"(standard input)".to_vec(), |l| l.as_bytes().to_vec()),
            Source::Path(p) => p.as_os_str().as_bytes().to_vec(),
        })
        .collect();
    let with_filename = if args.no_filename {
        false
    } else {
        args.with_filename || several
    };
    // GNU: -q overrides -l and -L, which override -c; all three drop
    // context.
    let listing = args.files_with_matches || args.files_without_match;
    let files_with_matches = args.files_with_matches && !args.quiet;
    let files_without_match = args.files_without_match && !args.quiet;
    let count = args.count && !args.quiet && !listing;
    let context = !(args.quiet || listing)
        && (args.before.is_some() || args.after.is_some() || args.context.is_some());
    let cfg = Config {
        invert: args.invert,
        eol,
        max_count,
        count,
        files_with_matches,
        files_without_match,
        quiet: args.quiet,
        only_matching: args.only_matching,
        line_number: args.line_number,
        byte_offset: args.byte_offset,
        with_filename,
        null: args.null,
        before: if context {
            args.before.or(args.context).unwrap_or(0)
        } else {
            0
        },
        after: if context {
            args.after.or(args.context).unwrap_or(0)
        } else {
            0
        },
        context,
        group_separator: if args.no_group_separator {
            None
        } else {
            Some(
                args.group_separator
                    .as_ref()
                    .map_or(b"--".to_vec(), |s| s.as_bytes().to_vec()),
            )
        },
        binary_files,
        no_messages: args.no_messages,
        line_buffered: args.line_buffered,
        names,
        sources: sources.clone(),
        color: color(args.color.as_deref()),
    };
    let popts = PatternOptions {
        syntax,
        ignore_case: args.ignore_case || args.y,
        word: args.word,
        line: args.line,
        eol,
        multi_line: true,
    };
    if cfg.max_count == Some(0) {
        // GNU grep 3.x: -m 0 reads nothing and selects nothing.
        return Ok(1);
    }
    let threads = args.threads.get();
    let progress = Progress::new(
        &ProgressArgs {
            progress: args.progress,
            no_progress: false,
        },
        &sources,
    );
    if columns_mode {
        let mut dialect = args
            .format
            .dialect()
            .unwrap_or_else(|| crate::format::Dialect::csv(b','));
        if let Some(d) = delimiter {
            dialect.delimiter = d;
        }
        if args.only_matching || context || args.line_number || args.byte_offset || args.null_data {
            return Err(Error::usage(
                "-o, -n, -b, -z and context lines are not available with --csv/--tsv/-d",
            ));
        }
        let has_header = !args.format.no_header;
        let field_matcher = Matcher::new(
            &patterns,
            PatternOptions {
                multi_line: false,
                ..popts
            },
        )?;
        // Patterns that are plain strings (no quote byte, none empty) can
        // be looked for in the raw bytes first.
        let plain = |p: &Vec<u8>| {
            let special: &[u8] = match syntax {
                Syntax::Fixed => b"\"",
                Syntax::Basic => b"\"\\.[]*^$",
                Syntax::Extended => b"\"\\.[]*^$+?(){}|",
            };
            !p.is_empty() && !p.iter().any(|b| special.contains(b))
        };
        let prefilter = if !patterns.is_empty() && patterns.iter().all(plain) {
            Some(Matcher::new(
                &patterns,
                PatternOptions {
                    syntax: Syntax::Fixed,
                    word: false,
                    line: false,
                    ..popts
                },
            )?)
        } else {
            None
        };
        return columns::run(
            columns::ColumnJob {
                cfg,
                matcher: field_matcher,
                prefilter,
                dialect,
                has_header,
                select: args.select.clone(),
                threads,
            },
            sources,
            progress,
        );
    }
    let matcher = Matcher::new(&patterns, popts)?;
    let nsources = sources.len();
    let pieces = crate::input::pieces::Pieces::new(
        sources,
        input::RecordFormat::Lines { terminator: eol },
        threads,
    );
    print::run(cfg, matcher, pieces, nsources, threads, progress)
}
