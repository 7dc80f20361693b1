//! Command-line conventions shared by every tool, defined once:
//!
//! - [`main`]: the one place where a tool's result becomes an exit status,
//!   where messages get their `TOOL: ` prefix, and where a closed stdout
//!   ends the process quietly;
//! - argument groups flattened into each tool's clap parser: [`ThreadsArg`],
//!   [`FormatArgs`] (`--csv`, `--tsv`, `--no-header`), [`ProgressArgs`];
//! - [`size`]: GNU's `-S/--buffer-size` syntax.

pub mod man;
pub mod size;

use crate::error::Error;
use crate::format::Dialect;
use clap::Parser;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static TOOL: OnceLock<&'static str> = OnceLock::new();
static HAD_ERROR: AtomicBool = AtomicBool::new(false);

/// The running tool's name, for message prefixes.
pub fn tool() -> &'static str {
    TOOL.get().copied().unwrap_or("ptools")
}

/// Prints `TOOL: msg` on stderr.
pub fn message(msg: impl std::fmt::Display) {
    eprintln!("{}: {}", tool(), msg);
}

/// Reports an error the tool goes on after (a missing file among many, as
/// cat does); the exit status will say trouble.
pub fn warn(err: &Error) {
    HAD_ERROR.store(true, Ordering::Relaxed);
    message(err);
}

/// The exit status of a tool that went on after errors: `trouble` if
/// [`warn`] was called, else 0.
pub fn status(trouble: i32) -> i32 {
    if had_error() {
        trouble
    } else {
        0
    }
}

/// True when [`warn`] was called.
pub fn had_error() -> bool {
    HAD_ERROR.load(Ordering::Relaxed)
}

/// Runs a tool: parses arguments with clap, calls `run`, and maps the
/// outcome to an exit status. `trouble` is the GNU tool's status for
/// failure (1 for cat, cut, join; 2 for grep and sort). `run` returns the
/// status of a normal finish (grep's 1 for "no match", for example).
pub fn main<A: Parser>(name: &'static str, trouble: i32, run: fn(A) -> crate::Result<i32>) -> ! {
    let _ = TOOL.set(name);
    let args = match A::try_parse() {
        Ok(a) => a,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                std::process::exit(0);
            }
            // GNU shape: `TOOL: what is wrong` and a pointer to --help.
            let text = e.to_string();
            let first = text
                .split("\n\n")
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ")
                .trim_end();
            message(first);
            eprintln!("Try '{name} --help' for more information.");
            std::process::exit(trouble);
        }
    };
    let code = match run(args) {
        Ok(code) => code,
        Err(Error::BrokenPipe) => quiet_sigpipe_exit(),
        Err(e) => {
            message(&e);
            if e.is_usage() {
                eprintln!("Try '{name} --help' for more information.");
            }
            trouble
        }
    };
    std::process::exit(code);
}

/// Ends the process as a coreutils tool ends when its reader goes away:
/// killed by SIGPIPE (status 141 in the shell), printing nothing. Called
/// after the stack has unwound, so temporary files are already removed.
fn quiet_sigpipe_exit() -> ! {
    // SAFETY: resetting a signal disposition and raising it are
    // async-signal-safe and we are about to exit anyway.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    std::process::exit(141)
}

/// `-j/--threads N`: worker threads (default: all cores).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ThreadsArg {
    /// Number of worker threads [default: number of cores]
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,
}

impl ThreadsArg {
    pub fn get(&self) -> usize {
        resolve_threads(self.threads)
    }
}

/// Threads requested, or all cores.
pub fn resolve_threads(requested: Option<usize>) -> usize {
    requested
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `--csv`, `--tsv`, `--no-header`: structured input with a header row
/// whose names can be used wherever a field number can.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct FormatArgs {
    /// Input is RFC 4180 CSV (comma, double quotes) with a header row
    #[arg(long, conflicts_with = "tsv")]
    pub csv: bool,
    /// Input is TSV (tab-separated, no quoting) with a header row
    #[arg(long)]
    pub tsv: bool,
    /// With --csv or --tsv: the input has no header row
    #[arg(long)]
    pub no_header: bool,
}

impl FormatArgs {
    /// The dialect asked for, if --csv or --tsv was given.
    pub fn dialect(&self) -> Option<Dialect> {
        if self.csv {
            Some(Dialect::csv(b','))
        } else if self.tsv {
            Some(Dialect::plain(b'\t', b'\n'))
        } else {
            None
        }
    }

    /// True when the first record is a header row.
    pub fn has_header(&self) -> bool {
        (self.csv || self.tsv) && !self.no_header
    }
}

/// The input operands of a streaming tool: FILEs (globs, `-`) or
/// `--files0-from=F`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct InputArgs {
    /// Read input file names from F, separated by NUL bytes
    #[arg(long = "files0-from", value_name = "F")]
    pub files0_from: Option<std::path::PathBuf>,
    /// Files to read (globs are expanded; none or - means standard input)
    #[arg(value_name = "FILE")]
    pub files: Vec<std::ffi::OsString>,
}

impl InputArgs {
    /// The sources named, in order.
    pub fn sources(&self) -> crate::Result<Vec<crate::input::Source>> {
        crate::input::source::resolve(&self.files, self.files0_from.as_deref())
    }
}

/// `--progress`, `--quiet`: the stderr progress bar.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ProgressArgs {
    /// Show a progress bar on stderr even when it is not a terminal
    #[arg(long)]
    pub progress: bool,
    /// Never show a progress bar
    #[arg(long = "quiet", conflicts_with = "progress")]
    pub no_progress: bool,
}

/// Parses a one-byte delimiter as GNU does (`-d ','`, `-t '\t'`, `'\0'`).
pub fn parse_delimiter(s: &str, what: &str) -> crate::Result<u8> {
    match s.as_bytes() {
        [b] => Ok(*b),
        b"\\0" => Ok(0),
        b"\\t" => Ok(b'\t'),
        [] => Err(Error::usage(format!("empty {what}"))),
        _ => Err(Error::usage(format!(
            "the {what} must be a single character"
        ))),
    }
}
