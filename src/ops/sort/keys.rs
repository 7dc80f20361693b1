//! GNU sort's ordering options: key fields (`-k POS1[,POS2]` with per-key
//! flags), field separator, and the comparison kinds (`-n -g -h -V -M -d -f
//! -i -b -r -R`), shared by psort and pmerge.
//!
//! [`SortSpec`] is GNU sort 9.1's `compare()` under `LC_ALL=C`, rebuilt:
//! - options are parsed as GNU parses them (`set_ordering`, `-k` field
//!   counts, `--sort=WORD` with abbreviations) and global options are
//!   inherited by keys that have no ordering option of their own (a key's
//!   own `r` alone does not block inheritance; `b` does);
//! - key extraction is GNU's `begfield`/`limfield` ([`SortSpec::key_range`],
//!   kept separate from the comparison so a cached key prefix can reuse
//!   it): without `-t`, a field is its leading blanks plus the non-blanks
//!   after them; `-k2` runs to the end of the line; a key ending before it
//!   starts is empty;
//! - each key compares by kind ([`super::numeric`], [`super::version`],
//!   months, a seeded hash for `-R`, bytes with `-f`/`-d`/`-i` tables), then
//!   the whole-line byte comparison is the last resort unless `-s` or `-u`.
//!
//! Nothing here allocates per comparison except `-f` combined with a
//! numeric, version or random kind on keys longer than 256 bytes, and CSV
//! keys whose quoted value holds an escaped quote.
//!
//! `-R` is not GNU's MD5 order (GNU's order is random by design): keys are
//! ordered by a 64-bit hash seeded from `--random-source` (16 bytes) or
//! from the OS, then by their bytes, so identical keys stay together and a
//! given random source always gives the same order.

use super::numeric;
use super::version;
use crate::error::{Error, Result};
use crate::format::csv::unquote;
use crate::format::Header;
use crate::shuffle::sort::{bytes_digit, bytes_digits, Compare};
use crate::word::find_byte;
use std::borrow::Cow;
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

/// Which bytes a key ignores (`-d`, `-i`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ignore {
    #[default]
    Nothing,
    /// `-i`: bytes that are not printable ASCII.
    Nonprinting,
    /// `-d`: bytes that are neither alphanumeric nor blank.
    Dictionary,
}

impl Ignore {
    #[inline]
    fn ignores(self, c: u8) -> bool {
        match self {
            Ignore::Nothing => false,
            Ignore::Nonprinting => !(0x20..0x7f).contains(&c),
            Ignore::Dictionary => !c.is_ascii_alphanumeric() && !numeric::is_blank(c),
        }
    }
}

/// The ordering flags of one key (or of the global options), as GNU's
/// `struct keyfield` holds them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pub skip_start_blanks: bool,
    pub skip_end_blanks: bool,
    pub ignore: Ignore,
    pub fold: bool,
    pub general: bool,
    pub human: bool,
    pub month: bool,
    pub numeric: bool,
    pub random: bool,
    pub version: bool,
    pub reverse: bool,
}

/// Which end of a key a `b` applies to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Blanks {
    Start,
    End,
    Both,
}

impl Flags {
    /// GNU `set_ordering`: applies option letters from the start of `s`;
    /// returns the rest.
    fn apply<'a>(&mut self, s: &'a str, which: Blanks) -> &'a str {
        for (i, c) in s.char_indices() {
            match c {
                'b' => {
                    if which != Blanks::End {
                        self.skip_start_blanks = true;
                    }
                    if which != Blanks::Start {
                        self.skip_end_blanks = true;
                    }
                }
                'd' => self.ignore = Ignore::Dictionary,
                'f' => self.fold = true,
                'g' => self.general = true,
                'h' => self.human = true,
                // -d implies -i; option order does not matter.
                'i' => {
                    if self.ignore == Ignore::Nothing {
                        self.ignore = Ignore::Nonprinting
                    }
                }
                'M' => self.month = true,
                'n' => self.numeric = true,
                'R' => self.random = true,
                'r' => self.reverse = true,
                'V' => self.version = true,
                _ => return &s[i..],
            }
        }
        ""
    }

    /// GNU `default_key_compare`: no option but (possibly) `r`.
    fn is_default(&self) -> bool {
        let mut f = *self;
        f.reverse = false;
        f == Flags::default()
    }

    /// GNU `key_to_opts`, for the "incompatible" message.
    fn letters(&self) -> String {
        let mut s = String::new();
        let f = self;
        for (on, c) in [
            (f.skip_start_blanks || f.skip_end_blanks, 'b'),
            (f.ignore == Ignore::Dictionary, 'd'),
            (f.fold, 'f'),
            (f.general, 'g'),
            (f.human, 'h'),
            (f.ignore == Ignore::Nonprinting, 'i'),
            (f.month, 'M'),
            (f.numeric, 'n'),
            (f.random, 'R'),
            (f.reverse, 'r'),
            (f.version, 'V'),
        ] {
            if on {
                s.push(c);
            }
        }
        s
    }

    fn kind(&self) -> Kind {
        if self.numeric {
            Kind::Numeric
        } else if self.general {
            Kind::General
        } else if self.human {
            Kind::Human
        } else if self.month {
            Kind::Month
        } else if self.random {
            Kind::Random
        } else if self.version {
            Kind::Version
        } else {
            Kind::Text
        }
    }
}

/// How a key's bytes compare (GNU tests them in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Numeric,
    General,
    Human,
    Month,
    Random,
    Version,
}

/// One key: where it is in the line and how it compares.
#[derive(Clone, Debug)]
pub struct Key {
    /// 0-based start field; `None` is GNU's `SIZE_MAX` (line start).
    pub sword: Option<usize>,
    /// 0-based start character within the field.
    pub schar: usize,
    /// 0-based end field; `None`: the key runs to the end of the line.
    pub eword: Option<usize>,
    /// End character within the end field; 0 means the field's end.
    pub echar: usize,
    pub flags: Flags,
    pub kind: Kind,
    /// CSV: the key is exactly one field, so its unquoted value compares.
    pub unquote: bool,
}

/// How fields are found in a record.
#[derive(Clone, Copy, Debug, Default)]
pub struct Layout<'h> {
    /// Field separator (`-t`, or the CSV/TSV delimiter); `None`: GNU's
    /// blank-to-non-blank transition.
    pub tab: Option<u8>,
    /// RFC 4180 quotes: a separator inside double quotes is data.
    pub quoting: bool,
    /// Header row whose names may stand for field numbers in `-k`.
    pub header: Option<&'h Header>,
}

/// A resolved ordering: compares two records (without terminators).
#[derive(Clone, Debug)]
pub struct SortSpec {
    /// Record terminator (`\n`, or `\0` with `-z`).
    pub terminator: u8,
    /// `-u`: keep the first of each run of records that compare equal on
    /// the keys (the last-resort comparison is not used for equality).
    pub unique: bool,
    /// `-s`: no last-resort comparison.
    pub stable: bool,
    /// Global `-r`: reverses the last-resort comparison too.
    pub reverse: bool,
    pub keys: Vec<Key>,
    pub tab: Option<u8>,
    pub quoting: bool,
    /// Seed of the `-R` hash.
    pub seed: u64,
}

/// GNU's `-t` argument: one byte, or `\0`.
pub fn parse_tab(s: &str) -> Result<u8> {
    match s.as_bytes() {
        [] => Err(Error::usage("empty tab")),
        [b] => Ok(*b),
        b"\\0" => Ok(0),
        _ => Err(Error::usage(format!("multi-character tab '{s}'"))),
    }
}

/// `--sort=WORD` (unambiguous abbreviations allowed, as GNU's argmatch) to
/// its option letter.
pub fn sort_word_letter(word: &str) -> Result<char> {
    const WORDS: [(&str, char); 6] = [
        ("general-numeric", 'g'),
        ("human-numeric", 'h'),
        ("month", 'M'),
        ("numeric", 'n'),
        ("random", 'R'),
        ("version", 'V'),
    ];
    if let Some((_, c)) = WORDS.iter().find(|(w, _)| *w == word) {
        return Ok(*c);
    }
    let hits: Vec<char> = WORDS
        .iter()
        .filter(|(w, _)| !word.is_empty() && w.starts_with(word))
        .map(|(_, c)| *c)
        .collect();
    match hits.as_slice() {
        [c] => Ok(*c),
        [] => Err(Error::usage(format!(
            "invalid argument '{word}' for '--sort'\nValid arguments are: 'general-numeric', 'human-numeric', 'month', 'numeric', 'random', 'version'"
        ))),
        _ => Err(Error::usage(format!(
            "ambiguous argument '{word}' for '--sort'"
        ))),
    }
}

/// GNU `parse_field_count`: a decimal count at the start of `s`, saturating
/// on overflow; `None` when `s` does not start with a digit.
fn field_count(s: &str) -> Option<(usize, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    let v = s[..n].parse::<usize>().unwrap_or(usize::MAX);
    Some((v, &s[n..]))
}

/// A field number, or with a header a column name, at the start of `s`:
/// 1-based field and the rest. The longest prefix that names a column wins.
fn field_or_name<'a>(
    s: &'a str,
    header: Option<&Header>,
    spec: &str,
    what: &str,
) -> Result<(usize, &'a str, bool)> {
    if let Some((n, rest)) = field_count(s) {
        return Ok((n, rest, false));
    }
    if let Some(h) = header {
        for end in (1..=s.len()).rev().filter(|&e| s.is_char_boundary(e)) {
            if let Some(i) = h.index_of(&s.as_bytes()[..end]) {
                return Ok((i + 1, &s[end..], true));
            }
        }
        return Err(Error::usage(format!(
            "{what}: no column '{s}' in key '{spec}' (columns: {})",
            h.available()
        )));
    }
    Err(Error::usage(format!(
        "{what}: invalid count at start of '{s}'"
    )))
}

fn bad_field(spec: &str, why: &str) -> Error {
    Error::usage(format!("invalid field specification '{spec}': {why}"))
}

/// Parses one `-k KEYDEF` as GNU does.
fn parse_key(spec: &str, header: Option<&Header>) -> Result<(Key, bool)> {
    let mut flags = Flags::default();
    let (f, mut s, named) = field_or_name(spec, header, spec, "invalid number at field start")?;
    if f == 0 {
        return Err(bad_field(spec, "field number is zero"));
    }
    let sword = f - 1;
    let mut schar = 0;
    if let Some(rest) = s.strip_prefix('.') {
        let (c, rest) = field_count(rest).ok_or_else(|| {
            Error::usage(format!(
                "invalid number after '.': invalid count at start of '{rest}'"
            ))
        })?;
        if c == 0 {
            return Err(bad_field(spec, "character offset is zero"));
        }
        schar = c - 1;
        s = rest;
    }
    s = flags.apply(s, Blanks::Start);
    let (eword, echar);
    if let Some(rest) = s.strip_prefix(',') {
        let (e, rest, _) = field_or_name(rest, header, spec, "invalid number after ','")?;
        if e == 0 {
            return Err(bad_field(spec, "field number is zero"));
        }
        s = rest;
        let mut c = 0;
        if let Some(rest) = s.strip_prefix('.') {
            let (n, rest) = field_count(rest).ok_or_else(|| {
                Error::usage(format!(
                    "invalid number after '.': invalid count at start of '{rest}'"
                ))
            })?;
            c = n;
            s = rest;
        }
        s = flags.apply(s, Blanks::End);
        eword = Some(e - 1);
        echar = c;
    } else if named {
        // A column name alone is that one column, not "to the end".
        eword = Some(sword);
        echar = 0;
    } else {
        eword = None;
        echar = 0;
    }
    if !s.is_empty() {
        return Err(bad_field(spec, "stray character in field spec"));
    }
    // GNU: -k1 and -k1.1 start at the line's start (SIZE_MAX).
    let start = if sword == 0 && schar == 0 {
        None
    } else {
        Some(sword)
    };
    Ok((
        Key {
            sword: start,
            schar,
            eword,
            echar,
            flags,
            kind: Kind::Text,
            unquote: false,
        },
        named,
    ))
}

impl SortSpec {
    /// The ordering of plain lines (GNU fields, `-t` if given).
    pub fn new(args: &KeyArgs) -> Result<SortSpec> {
        SortSpec::with_layout(args, Layout::default())
    }

    /// The ordering with fields found per `layout` (CSV/TSV, header names).
    /// `-t` in `args` overrides `layout.tab`.
    pub fn with_layout(args: &KeyArgs, layout: Layout) -> Result<SortSpec> {
        let tab = match &args.field_separator {
            Some(t) => Some(parse_tab(t)?),
            None => layout.tab,
        };
        let mut global = Flags::default();
        let mut letters = String::new();
        for (on, c) in [
            (args.ignore_leading_blanks, 'b'),
            (args.dictionary_order, 'd'),
            (args.ignore_case, 'f'),
            (args.general_numeric, 'g'),
            (args.human_numeric, 'h'),
            (args.ignore_nonprinting, 'i'),
            (args.month, 'M'),
            (args.numeric, 'n'),
            (args.random, 'R'),
            (args.reverse, 'r'),
            (args.version, 'V'),
        ] {
            if on {
                letters.push(c);
            }
        }
        if let Some(w) = &args.sort_word {
            letters.push(sort_word_letter(w)?);
        }
        global.apply(&letters, Blanks::Both);

        let mut keys = Vec::with_capacity(args.keys.len());
        for k in &args.keys {
            let (mut key, _) = parse_key(k, layout.header)?;
            if key.flags.is_default() && !key.flags.reverse {
                key.flags = global;
            }
            keys.push(key);
        }
        if keys.is_empty() && !global.is_default() {
            keys.push(Key {
                sword: None,
                schar: 0,
                eword: None,
                echar: 0,
                flags: global,
                kind: Kind::Text,
                unquote: false,
            });
        }
        for key in &mut keys {
            let f = &key.flags;
            // GNU 9.1 accepts -R, -V and -d/-i together, but no two of
            // {numeric kinds, -M, that group}.
            let kinds = [
                f.numeric,
                f.general,
                f.human,
                f.month,
                f.random || f.version || f.ignore != Ignore::Nothing,
            ]
            .iter()
            .filter(|&&b| b)
            .count();
            if kinds > 1 {
                let mut shown = *f;
                shown.skip_start_blanks = false;
                shown.skip_end_blanks = false;
                shown.reverse = false;
                return Err(Error::usage(format!(
                    "options '-{}' are incompatible",
                    shown.letters()
                )));
            }
            key.kind = f.kind();
            key.unquote = layout.quoting
                && key.eword.is_some()
                && key.eword == Some(key.sword.unwrap_or(0))
                && key.schar == 0
                && key.echar == 0
                && !f.skip_start_blanks;
        }
        let need_random = keys.iter().any(|k| k.kind == Kind::Random);
        let seed = if need_random {
            random_seed(args.random_source.as_deref())?
        } else {
            0
        };
        Ok(SortSpec {
            terminator: if args.zero_terminated { 0 } else { b'\n' },
            unique: args.unique,
            stable: args.stable,
            reverse: global.reverse,
            keys,
            tab,
            quoting: layout.quoting,
            seed,
        })
    }

    /// The end of the field that starts at `p` (the separator's position,
    /// or the line's end).
    #[inline]
    fn field_end(&self, line: &[u8], p: usize, tab: u8) -> usize {
        if !self.quoting {
            // Fields are mostly short: word-at-a-time over the first bytes
            // beats memchr's set-up (on `-t, -k4,4n trips.csv`, memchr on
            // 1-10 byte fields was 60% of the profile).
            return find_byte(tab, &line[p..]).map_or(line.len(), |i| p + i);
        }
        let mut in_quotes = false;
        for (i, &c) in line[p..].iter().enumerate() {
            if c == b'"' {
                in_quotes = !in_quotes;
            } else if c == tab && !in_quotes {
                return p + i;
            }
        }
        line.len()
    }

    #[inline]
    fn skip_blanks(line: &[u8], mut p: usize, lim: usize) -> usize {
        while p < lim && numeric::is_blank(line[p]) {
            p += 1;
        }
        p
    }

    #[inline]
    fn skip_nonblanks(line: &[u8], mut p: usize, lim: usize) -> usize {
        while p < lim && !numeric::is_blank(line[p]) {
            p += 1;
        }
        p
    }

    /// GNU `begfield`.
    fn begfield(&self, line: &[u8], key: &Key) -> usize {
        let lim = line.len();
        let mut ptr = 0;
        let mut sword = key.sword.unwrap_or(0);
        match self.tab {
            Some(tab) => {
                while ptr < lim && sword > 0 {
                    sword -= 1;
                    ptr = self.field_end(line, ptr, tab);
                    if ptr < lim {
                        ptr += 1;
                    }
                }
            }
            None => {
                while ptr < lim && sword > 0 {
                    sword -= 1;
                    ptr = Self::skip_blanks(line, ptr, lim);
                    ptr = Self::skip_nonblanks(line, ptr, lim);
                }
            }
        }
        if key.flags.skip_start_blanks {
            ptr = Self::skip_blanks(line, ptr, lim);
        }
        lim.min(ptr.saturating_add(key.schar))
    }

    /// GNU `limfield`, for a key with an end field.
    fn limfield(&self, line: &[u8], key: &Key, eword: usize) -> usize {
        let lim = line.len();
        let mut ptr = 0;
        let echar = key.echar;
        let mut eword = if echar == 0 {
            eword.saturating_add(1)
        } else {
            eword
        };
        match self.tab {
            Some(tab) => {
                while ptr < lim && eword > 0 {
                    eword -= 1;
                    ptr = self.field_end(line, ptr, tab);
                    if ptr < lim && (eword > 0 || echar > 0) {
                        ptr += 1;
                    }
                }
            }
            None => {
                while ptr < lim && eword > 0 {
                    eword -= 1;
                    ptr = Self::skip_blanks(line, ptr, lim);
                    ptr = Self::skip_nonblanks(line, ptr, lim);
                }
            }
        }
        if echar != 0 {
            // GNU 9.1 does not stop at the end field's end here (that code
            // is under POSIX_UNSPECIFIED): `.C` may run into later fields.
            if key.flags.skip_end_blanks {
                ptr = Self::skip_blanks(line, ptr, lim);
            }
            ptr = lim.min(ptr.saturating_add(echar));
        }
        ptr
    }

    /// Where `key` lies in `line`: GNU's key start and limit, with a limit
    /// before the start read as an empty key. Separate from the comparison
    /// so a sort engine may derive cached key prefixes from it.
    #[inline]
    pub fn key_range(&self, key: &Key, line: &[u8]) -> (usize, usize) {
        // The common `-t X -kN,N`: whole field N, no character offsets,
        // no blanks to skip. What the general path below computes, with
        // the separator searches inline (on `psort -t TAB -k1,1`, the
        // general path and its out-of-line field steps were a fifth of
        // the instructions).
        // (`sword` None, the line's start, is field 0 here as below.)
        if let (Some(tab), false, s, Some(e), 0, 0, false) = (
            self.tab,
            self.quoting,
            key.sword.unwrap_or(0),
            key.eword,
            key.schar,
            key.echar,
            key.flags.skip_start_blanks,
        ) {
            if s == e {
                let mut p = 0;
                for _ in 0..s {
                    match find_byte(tab, &line[p..]) {
                        Some(i) => p += i + 1,
                        None => return (line.len(), line.len()),
                    }
                }
                return (p, find_byte(tab, &line[p..]).map_or(line.len(), |i| p + i));
            }
        }
        let sword = key.sword.unwrap_or(0);
        let skips = key.eword.map(|e| {
            if key.echar == 0 {
                e.saturating_add(1)
            } else {
                e
            }
        });
        match skips {
            // The end lies past the start field: skip the first `sword`
            // fields once for both ends (begfield and limfield step over
            // them identically), instead of twice from the line's start.
            Some(total) if total > sword => {
                let lim = line.len();
                let mut ptr = 0;
                let mut left = sword;
                while ptr < lim && left > 0 {
                    left -= 1;
                    ptr = self.skip_field(line, ptr, true);
                }
                let mut beg = ptr;
                if key.flags.skip_start_blanks {
                    beg = Self::skip_blanks(line, beg, lim);
                }
                let beg = lim.min(beg.saturating_add(key.schar));
                let mut left = total - sword;
                while ptr < lim && left > 0 {
                    left -= 1;
                    ptr = self.skip_field(line, ptr, left > 0 || key.echar > 0);
                }
                if key.echar != 0 {
                    if key.flags.skip_end_blanks {
                        ptr = Self::skip_blanks(line, ptr, lim);
                    }
                    ptr = lim.min(ptr.saturating_add(key.echar));
                }
                (beg, ptr.max(beg))
            }
            _ => {
                let lim = match key.eword {
                    Some(e) => self.limfield(line, key, e),
                    None => line.len(),
                };
                let beg = self.begfield(line, key);
                (beg, lim.max(beg))
            }
        }
    }

    /// Steps over one field from `ptr` (and, with `-t`, over the separator
    /// after it when `past_tab`), as GNU's begfield/limfield loops do.
    #[inline]
    fn skip_field(&self, line: &[u8], ptr: usize, past_tab: bool) -> usize {
        let lim = line.len();
        match self.tab {
            Some(tab) => {
                let p = self.field_end(line, ptr, tab);
                if p < lim && past_tab {
                    p + 1
                } else {
                    p
                }
            }
            None => {
                let p = Self::skip_blanks(line, ptr, lim);
                Self::skip_nonblanks(line, p, lim)
            }
        }
    }

    /// The bytes of `key` in `line` (unquoted for a one-field CSV key).
    #[inline]
    pub fn key_text<'a>(&self, key: &Key, line: &'a [u8]) -> Cow<'a, [u8]> {
        let (s, e) = self.key_range(key, line);
        let text = &line[s..e];
        if key.unquote && text.first() == Some(&b'"') {
            unquote(text)
        } else {
            Cow::Borrowed(text)
        }
    }

    /// Key comparison only (no last resort), as GNU's `keycompare`: what
    /// `-u` and `-c` use for equality. Without keys (and without global
    /// ordering options) the whole line is the key, as in GNU's `compare`.
    pub fn compare_keys(&self, a: &[u8], b: &[u8]) -> Ordering {
        if self.keys.is_empty() {
            let d = a.cmp(b);
            return if self.reverse { d.reverse() } else { d };
        }
        for key in &self.keys {
            let d = if key.unquote {
                let ta = self.key_text(key, a);
                let tb = self.key_text(key, b);
                self.compare_key(key, &ta, &tb)
            } else {
                let (sa, ea) = self.key_range(key, a);
                let (sb, eb) = self.key_range(key, b);
                self.compare_key(key, &a[sa..ea], &b[sb..eb])
            };
            if d != Ordering::Equal {
                return d;
            }
        }
        Ordering::Equal
    }

    /// Compares the texts of one key, reversal included.
    #[inline]
    pub fn compare_key(&self, key: &Key, a: &[u8], b: &[u8]) -> Ordering {
        let f = &key.flags;
        let d = match key.kind {
            Kind::Text => {
                if f.ignore != Ignore::Nothing {
                    compare_ignoring(a, b, f.ignore, f.fold)
                } else if f.fold {
                    let n = a.len().min(b.len());
                    let mut d = Ordering::Equal;
                    for i in 0..n {
                        d = a[i].to_ascii_uppercase().cmp(&b[i].to_ascii_uppercase());
                        if d != Ordering::Equal {
                            break;
                        }
                    }
                    d.then(a.len().cmp(&b.len()))
                } else {
                    a.cmp(b)
                }
            }
            kind if f.fold || f.ignore != Ignore::Nothing => with_translated(a, f, |ta| {
                with_translated(b, f, |tb| self.by_kind(kind, ta, tb))
            }),
            kind => self.by_kind(kind, a, b),
        };
        if f.reverse {
            d.reverse()
        } else {
            d
        }
    }

    fn by_kind(&self, kind: Kind, a: &[u8], b: &[u8]) -> Ordering {
        match kind {
            Kind::Text => a.cmp(b),
            Kind::Numeric => numeric::numeric(a, b),
            Kind::General => numeric::general(a, b),
            Kind::Human => numeric::human(a, b),
            Kind::Month => month(a).cmp(&month(b)),
            Kind::Version => version::compare(a, b),
            Kind::Random => hash(self.seed, a)
                .cmp(&hash(self.seed, b))
                .then_with(|| a.cmp(b)),
        }
    }
}

/// The first 8 bytes of `key`, big-endian, zero-padded: order-keeping for
/// byte-wise comparison (a shorter key pads with zeros, never above its
/// extensions).
#[inline]
fn be_prefix(key: impl Iterator<Item = u8>) -> u64 {
    let mut b = [0u8; 8];
    for (d, c) in b.iter_mut().zip(key) {
        *d = c;
    }
    u64::from_be_bytes(b)
}

/// An order-keeping u64 for an f64 (-0 = +0; NaN is not passed here).
#[inline]
fn f64_key(x: f64) -> u64 {
    let x = if x == 0.0 { 0.0 } else { x };
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// [`numeric_value`] of a key with at most 15 significant digits and 22
/// fraction digits, without text: the digits as an integer (exact in an
/// f64) divided by an exact power of ten, one correctly rounded division,
/// so the same f64 as the correctly rounded parse. (`-t, -k4,4n
/// trips.csv`: formatting and parsing each key was 9% of the profile;
/// with this path the whole sort takes 12% less CPU, scale 0.1.)
fn numeric_value_fast(s: &[u8]) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let s = &s[s.iter().take_while(|&&c| numeric::is_blank(c)).count()..];
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let mut m: u64 = 0;
    let mut sig = 0;
    let mut frac = 0;
    let mut i = 0;
    let mut point = false;
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() {
            m = m * 10 + u64::from(c - b'0');
            if m > 0 {
                sig += 1;
            }
            if point {
                frac += 1;
            }
            if sig > 15 || frac > 22 {
                return None;
            }
        } else if c == b'.' && !point {
            point = true;
        } else {
            break;
        }
        i += 1;
    }
    if m == 0 {
        return Some(0.0);
    }
    let v = m as f64 / POW10[frac];
    Some(if neg { -v } else { v })
}

/// The value of a `-n` key, rounded to f64: non-decreasing in GNU's `-n`
/// order (digits are truncated, never rounded up, before a correctly
/// rounded parse; a key that is not a number is 0).
fn numeric_value(s: &[u8]) -> f64 {
    if let Some(v) = numeric_value_fast(s) {
        return v;
    }
    let s = &s[s.iter().take_while(|&&c| numeric::is_blank(c)).count()..];
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let int_len = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let (int, rest) = s.split_at(int_len);
    let frac: &[u8] = match rest.first() {
        Some(b'.') => {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            &rest[1..1 + n]
        }
        _ => &[],
    };
    let int = &int[int.iter().take_while(|&&c| c == b'0').count()..];
    // 0.DIGITS e EXP, with at most 40 significant digits.
    let mut buf = [0u8; 64];
    let mut n = 0;
    if neg {
        buf[n] = b'-';
        n += 1;
    }
    buf[n..n + 2].copy_from_slice(b"0.");
    n += 2;
    let mut exp: i64 = int.len() as i64;
    let mut digits = int.iter().chain(frac.iter()).copied().peekable();
    if int.is_empty() {
        while digits.peek() == Some(&b'0') {
            digits.next();
            exp -= 1;
        }
    }
    let mut any = false;
    for d in digits.take(40) {
        buf[n] = d;
        n += 1;
        any = true;
    }
    if !any {
        return 0.0;
    }
    // The exponent goes in the same stack buffer: no allocation per record.
    let mut tail = &mut buf[n..];
    let room = tail.len();
    if std::io::Write::write_fmt(&mut tail, format_args!("e{exp}")).is_err() {
        return 0.0;
    }
    n += room - tail.len();
    std::str::from_utf8(&buf[..n])
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .unwrap_or(0.0)
}

impl SortSpec {
    /// An order-keeping 8-byte prefix of `record`'s sort key, for a sort
    /// engine to compare before calling [`Compare::compare`]:
    /// `key_prefix(a) < key_prefix(b)` implies `compare(a, b) == Less` (and
    /// `>` implies `Greater`); equal prefixes say nothing. Derived from the
    /// first key only (or the whole line without keys): its first 8 bytes
    /// (upper-cased with `-f`, ignored bytes dropped with `-d`/`-i`), the
    /// f64 value for `-n`/`-g`/`-h`, the month number, the `-R` hash; 0 for
    /// `-V`. Inverted for a reversed key.
    pub fn key_prefix(&self, record: &[u8]) -> u64 {
        let Some(key) = self.keys.first() else {
            let p = crate::shuffle::sort::bytes_prefix(record);
            return if self.reverse { !p } else { p };
        };
        let text = self.key_text(key, record);
        let f = &key.flags;
        let p = match key.kind {
            // The common plain key: one word load, no byte loop.
            Kind::Text if f.ignore == Ignore::Nothing && !f.fold => {
                crate::shuffle::sort::bytes_prefix(&text)
            }
            Kind::Text => be_prefix(
                text.iter()
                    .copied()
                    .filter(|&c| !f.ignore.ignores(c))
                    .map(|c| if f.fold { c.to_ascii_uppercase() } else { c }),
            ),
            Kind::Version => 0,
            kind => with_translated(&text, f, |t| match kind {
                Kind::Numeric => f64_key(numeric_value(t)),
                Kind::Month => month(t) as u64,
                Kind::Random => hash(self.seed, t),
                Kind::General => match numeric::parse_general(t) {
                    numeric::General::Invalid => 0,
                    numeric::General::NaN { .. } => 1,
                    numeric::General::Num(x) => f64_key(x).max(2),
                },
                Kind::Human => {
                    let order = numeric::unit_order_of(t) + 8;
                    ((order as u64) << 59) | (f64_key(numeric_value(t)) >> 5)
                }
                _ => 0,
            }),
        };
        if f.reverse {
            !p
        } else {
            p
        }
    }
}

/// Whether the `-n` value of `s` ([`numeric_value`]) is exact for the
/// comparison: at most 15 significant digits (after leading zeros, before
/// trailing fraction zeros) and at most 15 leading fraction zeros, so two
/// such keys with equal f64 values are equal numbers (distinct decimals
/// of at most 15 digits round to distinct doubles) and compare equal.
fn numeric_exact(s: &[u8]) -> bool {
    let s = &s[s.iter().take_while(|&&c| numeric::is_blank(c)).count()..];
    let s = s.strip_prefix(b"-").unwrap_or(s);
    let int_len = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let (int, rest) = s.split_at(int_len);
    let int = &int[int.iter().take_while(|&&c| c == b'0').count()..];
    let mut frac: &[u8] = match rest.first() {
        Some(b'.') => {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            &rest[1..1 + n]
        }
        _ => &[],
    };
    while let [head @ .., b'0'] = frac {
        frac = head;
    }
    if int.is_empty() {
        let zeros = frac.iter().take_while(|&&c| c == b'0').count();
        zeros <= 15 && frac.len() - zeros <= 15
    } else {
        int.len() + frac.len() <= 15
    }
}

impl SortSpec {
    /// The digit at `depth >= 1` of `record`'s ordering, for
    /// [`Compare::digit`] (depth 0 is [`SortSpec::key_prefix`]), when the
    /// ordering is a sequence of byte strings: without keys, the whole
    /// line's bytes ([`bytes_digit`]); with one plain text key (no `-f`,
    /// `-d`, `-i`), the key's bytes, then the whole line's unless `-s` or
    /// `-u`; with one plain `-n` key whose value is exact
    /// (`numeric_exact`), the prefix decided the key, so the whole
    /// line's bytes follow (or the digits end with `-s`/`-u`). Reversal
    /// inverts a digit. Anything else: `None` (the comparator decides).
    pub fn key_digit(&self, record: &[u8], depth: usize) -> Option<(u64, bool)> {
        let line = |d: usize| {
            let (v, end) = bytes_digit(record, d);
            (if self.reverse { !v } else { v }, end)
        };
        let Some(key) = self.keys.first() else {
            return Some(line(depth));
        };
        let f = &key.flags;
        if self.keys.len() != 1 || f.fold || f.ignore != Ignore::Nothing {
            return None;
        }
        let last_resort = !(self.unique || self.stable);
        match key.kind {
            Kind::Text => {
                let text = self.key_text(key, record);
                let n = bytes_digits(text.len());
                if depth < n {
                    let (v, end) = bytes_digit(&text, depth);
                    let v = if f.reverse { !v } else { v };
                    Some((v, end && !last_resort))
                } else if last_resort {
                    Some(line(depth - n))
                } else {
                    None
                }
            }
            Kind::Numeric => {
                // Deeper digits are only asked of records that had one at
                // depth 1, so exact: no second look for the field. (Ties
                // of -k4,4n on trips.csv: finding field 4 again at every
                // depth was 28% of the profile.)
                if depth == 1 && !numeric_exact(&self.key_text(key, record)) {
                    None
                } else if last_resort {
                    Some(line(depth - 1))
                } else {
                    Some((0, true))
                }
            }
            _ => None,
        }
    }
}

impl Compare for SortSpec {
    /// The order-keeping prefix of the first key ([`SortSpec::key_prefix`]),
    /// the engine's integer fast path.
    #[inline]
    fn prefix(&self, record: &[u8]) -> u64 {
        self.key_prefix(record)
    }

    /// The whole line's bytes 8..16 when it is the only key (no `-k`):
    /// the loser tree's second word ([`Compare::prefix2`]).
    #[inline]
    fn prefix2(&self, record: &[u8]) -> u64 {
        if !self.keys.is_empty() {
            return 0;
        }
        let p = crate::shuffle::sort::bytes_prefix2(record);
        if self.reverse {
            !p
        } else {
            p
        }
    }

    /// Deeper digits of byte-wise orderings ([`SortSpec::key_digit`]).
    #[inline]
    fn digit(&self, record: &[u8], depth: usize) -> Option<(u64, bool)> {
        self.key_digit(record, depth)
    }

    /// The whole line's digits, and a plain `-n` key's (past depth 1 they
    /// are the line's: no key lookup), are loads; a text key's digits
    /// find the key each time.
    #[inline]
    fn digits_compare_fast(&self) -> bool {
        match self.keys.as_slice() {
            [] => true,
            [key] => {
                key.kind == Kind::Numeric && !key.flags.fold && key.flags.ignore == Ignore::Nothing
            }
            _ => false,
        }
    }

    /// GNU's `compare`: keys, then the last-resort whole-line byte
    /// comparison (reversed by a global `-r`) unless `-s` or `-u`.
    #[inline]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        if !self.keys.is_empty() {
            let d = self.compare_keys(a, b);
            if d != Ordering::Equal || self.unique || self.stable {
                return d;
            }
        }
        let d = a.cmp(b);
        if self.reverse {
            d.reverse()
        } else {
            d
        }
    }
}

/// GNU's `CMP_WITH_IGNORE`: skip ignored bytes on both sides, compare the
/// rest (folded with `-f`); the longer remainder is greater.
fn compare_ignoring(a: &[u8], b: &[u8], ignore: Ignore, fold: bool) -> Ordering {
    let (mut i, mut j) = (0, 0);
    loop {
        while i < a.len() && ignore.ignores(a[i]) {
            i += 1;
        }
        while j < b.len() && ignore.ignores(b[j]) {
            j += 1;
        }
        if !(i < a.len() && j < b.len()) {
            break;
        }
        let (x, y) = if fold {
            (a[i].to_ascii_uppercase(), b[j].to_ascii_uppercase())
        } else {
            (a[i], b[j])
        };
        if x != y {
            return x.cmp(&y);
        }
        i += 1;
        j += 1;
    }
    (i < a.len()).cmp(&(j < b.len()))
}

/// Calls `g` with the key as GNU copies it for the non-text kinds: bytes
/// that `-d`/`-i` ignore dropped, the rest upper-cased with `-f`. On the
/// stack for keys up to 256 bytes.
fn with_translated<R>(s: &[u8], f: &Flags, g: impl FnOnce(&[u8]) -> R) -> R {
    let mut buf = [0u8; 256];
    let mut heap = Vec::new();
    let kept = s.iter().filter(|&&c| !f.ignore.ignores(c)).map(|&c| {
        if f.fold {
            c.to_ascii_uppercase()
        } else {
            c
        }
    });
    if s.len() <= buf.len() {
        let mut n = 0;
        for c in kept {
            buf[n] = c;
            n += 1;
        }
        g(&buf[..n])
    } else {
        heap.extend(kept);
        g(&heap)
    }
}

/// GNU `getmonth`: 1..=12 for a key starting (after blanks) with a month
/// abbreviation in any case, 0 otherwise.
pub fn month(s: &[u8]) -> u8 {
    const MONTHS: [&[u8; 3]; 12] = [
        b"JAN", b"FEB", b"MAR", b"APR", b"MAY", b"JUN", b"JUL", b"AUG", b"SEP", b"OCT", b"NOV",
        b"DEC",
    ];
    let s = &s[s.iter().take_while(|&&c| numeric::is_blank(c)).count()..];
    if s.len() < 3 {
        return 0;
    }
    let m = [
        s[0].to_ascii_uppercase(),
        s[1].to_ascii_uppercase(),
        s[2].to_ascii_uppercase(),
    ];
    MONTHS
        .iter()
        .position(|x| **x == m)
        .map_or(0, |i| i as u8 + 1)
}

/// The `-R` hash: 64-bit multiply-rotate over 8-byte words with a
/// splitmix64 finish, seeded. Deterministic for a given seed.
fn hash(seed: u64, s: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = seed ^ (s.len() as u64).wrapping_mul(K);
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(K).rotate_left(29);
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(last)).wrapping_mul(K);
    h ^= h >> 30;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// The `-R` seed: the first 16 bytes of `--random-source` (too short a
/// file is an error, as in GNU), or randomness from the OS.
fn random_seed(source: Option<&std::path::Path>) -> Result<u64> {
    use std::io::Read;
    match source {
        Some(p) => {
            let mut buf = [0u8; 16];
            let mut f = std::fs::File::open(p)
                .map_err(|e| Error::io(format!("open failed: {}", p.display()), e))?;
            f.read_exact(&mut buf).map_err(|e| {
                if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    Error::data(format!("{}: end of file", p.display()))
                } else {
                    Error::io(p.display().to_string(), e)
                }
            })?;
            let (lo, hi) = buf.split_at(8);
            let lo = u64::from_le_bytes(lo.try_into().unwrap_or([0; 8]));
            let hi = u64::from_le_bytes(hi.try_into().unwrap_or([0; 8]));
            Ok(hash(lo, &hi.to_le_bytes()))
        }
        None => {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(std::process::id() as u64);
            Ok(h.finish())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(keys: &[&str], tab: Option<&str>) -> SortSpec {
        let args = KeyArgs {
            keys: keys.iter().map(|s| s.to_string()).collect(),
            field_separator: tab.map(str::to_string),
            ..KeyArgs::default()
        };
        SortSpec::new(&args).unwrap()
    }

    /// The `-t X -kN,N` fast path of `key_range` finds what GNU's
    /// begfield and limfield find, on lines with missing, empty and
    /// trailing fields.
    #[test]
    fn whole_field_fast_path_matches_begfield_limfield() {
        let lines: [&[u8]; 9] = [
            b"",
            b":",
            b"a",
            b"a:",
            b"::",
            b"a:bb:ccc",
            b"a:bb:ccc:",
            b":x::y",
            b"long field one:2:3:4:5:6",
        ];
        for n in 1..=6 {
            let s = spec(&[&format!("{n},{n}")], Some(":"));
            let key = &s.keys[0];
            for line in lines {
                let beg = s.begfield(line, key);
                let lim = s.limfield(line, key, key.eword.unwrap());
                assert_eq!(
                    s.key_range(key, line),
                    (beg, lim.max(beg)),
                    "-k{n},{n} {:?}",
                    String::from_utf8_lossy(line)
                );
            }
        }
    }

    #[test]
    fn fields_as_gnu_finds_them() {
        let s = spec(&["2,2"], None);
        let line = b"  a   bb  c";
        let (b, e) = s.key_range(&s.keys[0], line);
        assert_eq!(&line[b..e], b"   bb");
        let s = spec(&["2"], Some(":"));
        let line = b"a:b:c";
        let (b, e) = s.key_range(&s.keys[0], line);
        assert_eq!(&line[b..e], b"b:c");
        let s = spec(&["1.2,1.3"], Some(":"));
        let (b, e) = s.key_range(&s.keys[0], b"abcd:x");
        assert_eq!((b, e), (1, 3));
    }

    #[test]
    fn no_keys_means_the_whole_line() {
        let s = spec(&[], None);
        assert_eq!(s.compare_keys(b"a", b"b"), Ordering::Less);
        assert_eq!(s.compare_keys(b"a", b"a"), Ordering::Equal);
    }

    #[test]
    fn bad_keys_are_usage_errors() {
        for k in ["0", "1.0", "1,0", "x", "1x", "1.", "1,"] {
            let args = KeyArgs {
                keys: vec![k.to_string()],
                ..KeyArgs::default()
            };
            assert!(SortSpec::new(&args).is_err(), "{k}");
        }
    }

    /// The prefix contract on random lines and keys: a prefix order is
    /// never contradicted by the full comparison.
    #[test]
    fn prefix_keeps_order() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let atoms: &[&str] = &[
            "",
            "0",
            "-0",
            "1",
            "-1",
            "10",
            "9.5",
            "-9.50",
            ".5",
            "0.05",
            "1e3",
            "1K",
            "2M",
            "-3G",
            "jan",
            "FEB",
            "dec",
            "a",
            "B",
            "b",
            "nan",
            "inf",
            "-inf",
            "0x10",
            " 7",
            "007",
            "12345678901234567890123",
            "-12345678901234567890124",
            "x y",
            "~",
        ];
        let key_sets: &[&[&str]] = &[
            &[],
            &["1,1n"],
            &["1,1g"],
            &["1,1h"],
            &["1,1M"],
            &["1,1f"],
            &["1,1d"],
            &["1,1nr"],
            &["2,2n", "1,1"],
            &["1,1R"],
            &["1b,1"],
            &["1.2,1.3"],
        ];
        for keys in key_sets {
            for reverse in [false, true] {
                let args = KeyArgs {
                    keys: keys.iter().map(|s| s.to_string()).collect(),
                    reverse,
                    field_separator: Some(":".into()),
                    ..KeyArgs::default()
                };
                let s = SortSpec::new(&args).unwrap();
                let lines: Vec<Vec<u8>> = (0..200)
                    .map(|_| {
                        let a = atoms[next(atoms.len() as u64) as usize];
                        let b = atoms[next(atoms.len() as u64) as usize];
                        format!("{a}:{b}").into_bytes()
                    })
                    .collect();
                for a in &lines {
                    for b in &lines {
                        let (pa, pb) = (s.key_prefix(a), s.key_prefix(b));
                        if pa != pb {
                            assert_eq!(
                                pa.cmp(&pb),
                                s.compare(a, b),
                                "{keys:?} r={reverse} {:?} {:?}",
                                String::from_utf8_lossy(a),
                                String::from_utf8_lossy(b)
                            );
                        }
                    }
                }
            }
        }
    }

    /// Exact `-n` keys with equal prefixes are equal numbers (what lets
    /// the whole line's digits follow the prefix).
    #[test]
    fn exact_numeric_prefix_means_equal_keys() {
        let atoms = [
            "",
            "0",
            "-0",
            "00",
            "0.0",
            "-0.000",
            ".",
            "-",
            "abc",
            "1",
            "1.0",
            "1.50",
            "1.5",
            "01.5",
            " 1.5",
            "-1.5",
            "123456789012345",
            "123456789012346",
            "1234567890123456",
            "0.000000000000001",
            "0.0000000000000010",
            "0.000000000000002",
            "1e5",
            "+5",
            "999999999999999",
            "99999999999999.9",
            "-.5",
            "-0.5",
        ];
        let s = spec(&["1,1n"], Some(":"));
        for a in atoms {
            for b in atoms {
                let (la, lb) = (a.as_bytes(), b.as_bytes());
                if numeric_exact(la) && numeric_exact(lb) && s.key_prefix(la) == s.key_prefix(lb) {
                    assert_eq!(numeric::numeric(la, lb), Ordering::Equal, "{a:?} {b:?}");
                }
            }
        }
        assert!(!numeric_exact(b"1234567890123456"));
        assert!(numeric_exact(b"123456789012345.000"));
    }

    /// The fast parse gives the parse's f64 bit for bit.
    #[test]
    fn fast_numeric_value_is_the_parse() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let int = (x >> 20) % [1, 10, 1000, 1_000_000, 1 << 40][(x % 5) as usize];
            let frac = format!("{:0w$}", (x >> 8) % 1000, w = ((x >> 4) % 4) as usize);
            let sign = if x & 1 == 1 { "-" } else { "" };
            let t = format!("{sign}{int}.{frac}");
            for t in [t.as_str(), &t[..t.len() - 1], &format!(" {t}x")] {
                if let Some(v) = numeric_value_fast(t.as_bytes()) {
                    // The parse path alone, for comparison.
                    let slow = {
                        let mut n = t.to_string();
                        n.push_str(&"0".repeat(40)); // > 15 digits: slow path
                        numeric_value(n.as_bytes())
                    };
                    if t.contains('.') || t.trim_start().trim_end_matches('x').len() < 2 {
                        assert_eq!(v.to_bits(), slow.to_bits(), "{t:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn months() {
        assert_eq!(month(b"  jan"), 1);
        assert_eq!(month(b"Decx"), 12);
        assert_eq!(month(b"ja"), 0);
    }
}
