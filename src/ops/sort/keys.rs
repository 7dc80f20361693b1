//! GNU sort's ordering options: key fields (`-k POS1[,POS2]` with per-key
//! flags), field separator, and the comparison kinds (`-n -g -h -V -M -d -f
//! -i -b -r -R`), shared by psort and pmerge.
//!
//! SKELETON: the flag definitions are final; `SortSpec` still compares
//! whole lines as bytes and rejects every other option. To be completed.

use crate::error::{Error, Result};
use crate::shuffle::sort::Compare;
use std::cmp::Ordering;

/// The ordering flags of GNU sort, flattened into psort's and pmerge's
/// command lines.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct KeyArgs {
    /// Ignore leading blanks
    #[arg(short = 'b', long = "ignore-leading-blanks")]
    pub ignore_leading_blanks: bool,
    /// Consider only blanks and alphanumeric characters
    #[arg(short = 'd', long = "dictionary-order")]
    pub dictionary_order: bool,
    /// Fold lower case to upper case characters
    #[arg(short = 'f', long = "ignore-case")]
    pub ignore_case: bool,
    /// Compare according to general numerical value
    #[arg(short = 'g', long = "general-numeric-sort")]
    pub general_numeric: bool,
    /// Compare human readable numbers (e.g., 2K 1G)
    #[arg(short = 'h', long = "human-numeric-sort")]
    pub human_numeric: bool,
    /// Consider only printable characters
    #[arg(short = 'i', long = "ignore-nonprinting")]
    pub ignore_nonprinting: bool,
    /// Compare (unknown) < 'JAN' < ... < 'DEC'
    #[arg(short = 'M', long = "month-sort")]
    pub month: bool,
    /// Compare according to string numerical value
    #[arg(short = 'n', long = "numeric-sort")]
    pub numeric: bool,
    /// Shuffle, but group identical keys
    #[arg(short = 'R', long = "random-sort")]
    pub random: bool,
    /// Get random bytes from FILE
    #[arg(long = "random-source", value_name = "FILE")]
    pub random_source: Option<std::path::PathBuf>,
    /// Reverse the result of comparisons
    #[arg(short = 'r', long = "reverse")]
    pub reverse: bool,
    /// Natural sort of (version) numbers within text
    #[arg(short = 'V', long = "version-sort")]
    pub version: bool,
    /// Sort according to WORD: general-numeric -g, human-numeric -h, month -M,
    /// numeric -n, random -R, version -V
    #[arg(long = "sort", value_name = "WORD")]
    pub sort_word: Option<String>,
    /// Sort via a key; KEYDEF gives location and type
    #[arg(short = 'k', long = "key", value_name = "KEYDEF")]
    pub keys: Vec<String>,
    /// Use SEP instead of non-blank to blank transition
    #[arg(short = 't', long = "field-separator", value_name = "SEP")]
    pub field_separator: Option<String>,
    /// Stabilize sort by disabling last-resort comparison
    #[arg(short = 's', long = "stable")]
    pub stable: bool,
    /// Output only the first of an equal run
    #[arg(short = 'u', long = "unique")]
    pub unique: bool,
    /// Line delimiter is NUL, not newline
    #[arg(short = 'z', long = "zero-terminated")]
    pub zero_terminated: bool,
}

/// A resolved ordering: compares two records (without terminators).
#[derive(Clone, Debug)]
pub struct SortSpec {
    /// Record terminator (`\n`, or `\0` with `-z`).
    pub terminator: u8,
    /// `-u`: keep the first of each run of records that compare equal on
    /// the keys (the last-resort comparison is not used for equality).
    pub unique: bool,
}

impl SortSpec {
    pub fn new(args: &KeyArgs) -> Result<SortSpec> {
        let unsupported = args.ignore_leading_blanks
            || args.dictionary_order
            || args.ignore_case
            || args.general_numeric
            || args.human_numeric
            || args.ignore_nonprinting
            || args.month
            || args.numeric
            || args.random
            || args.random_source.is_some()
            || args.reverse
            || args.version
            || args.sort_word.is_some()
            || !args.keys.is_empty()
            || args.field_separator.is_some()
            || args.stable;
        if unsupported {
            return Err(Error::usage("ordering options are not implemented yet"));
        }
        Ok(SortSpec {
            terminator: if args.zero_terminated { 0 } else { b'\n' },
            unique: args.unique,
        })
    }

    /// Key comparison only (no last resort): what `-u` and `-c` use for
    /// equality.
    pub fn compare_keys(&self, a: &[u8], b: &[u8]) -> Ordering {
        a.cmp(b)
    }
}

impl Compare for SortSpec {
    /// Full comparison: keys, then the last-resort whole-line byte
    /// comparison unless `-s` or `-u`.
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        a.cmp(b)
    }
}
