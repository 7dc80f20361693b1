//! pjoin: GNU join under `LC_ALL=C`, without its sorted-input rule.
//!
//! The defined output is what `join` prints on its inputs stably sorted
//! on the join field (`sort -s -k1,1b`, with `-t`/`-f` to match): key
//! order, and within one key file 1's lines × file 2's lines in input
//! order, unpaired lines (`-a`, `-v`) at their key's place. On inputs that
//! are already sorted that is exactly what `join` prints.
//!
//! Paths, chosen in [`run`]:
//! - [`memory`]: both inputs fit the budget (`-S`): they are loaded,
//!   indexed and stably sorted by key in parallel, and the sorted
//!   index is cut at key boundaries into segments that are joined on
//!   all threads and written in order;
//! - [`external`]: an input overflows the budget: both are stably sorted
//!   through [`crate::shuffle::sort::Sorter`] (spilled runs in private
//!   temp files, removed on exit as psort's) and merge-joined as streams;
//! - [`general`]: several join fields or `--csv`: records sorted by an
//!   encoded composite key through the external sorter, then joined;
//! - `--sorted` / `--check-order`: the inputs are merge-joined as they
//!   come, with GNU's order checks ([`merge`]), in almost no memory.
//!
//! [`gnu`] holds the line semantics all three share; [`merge`] is the one
//! join loop, a port of GNU's.

pub mod external;
pub mod general;
pub mod gnu;
pub mod memory;
pub mod merge;
pub mod table;

use crate::cli;
use crate::error::{Error, Result};
use crate::input::{decompress, Source};
use crate::output::Output;
use clap::{ArgAction, Parser};
use gnu::{Layout, OutField, Separator, Spec};
use merge::{Check, LineSource};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

const ABOUT: &str = "For each pair of input lines with identical join fields, write a line \
to standard output. The default join field is the first, delimited by blanks. \
Unlike GNU join, the inputs need not be sorted: the output is what join prints on \
inputs stably sorted on the join field, on every core and in bounded memory.";

const EXAMPLES: &str = "\
When FILE1 or FILE2 (not both) is -, read standard input. Inputs may be gzip.

FORMAT is one or more comma or blank separated specifications, each being
'FILENUM.FIELD' or '0'. Default FORMAT outputs the join field, the remaining
fields from FILE1, the remaining fields from FILE2, all separated by CHAR.
With several join fields, '0' and the default output print all of them, in
the order given (file 2's when file 1's line is missing).
If FORMAT is the keyword 'auto', then the first line of each file determines
the number of fields output for each line.

Unsorted inputs give the output of
  join <(sort -s -k1b,1 FILE1) <(sort -s -k1b,1 FILE2)
(with -t CHAR: sort -t CHAR -s -k1,1; with -i: -k1bf,1; join field N: -kNb,N).

Examples:
  pjoin -t$'\\t' left.tsv right.tsv      unsorted inputs: no sort needed
  pjoin -a1 -e NULL -o auto a.txt b.txt  left outer join, missing fields as NULL
  pjoin -v2 a.txt b.txt                   lines of b.txt whose key is not in a.txt
  pjoin --sorted big1 big2                stream sorted inputs in tiny memory
  pjoin -S 100M huge1.gz huge2.gz         spill to temp files past 100 MiB
  pjoin --csv -1 zone -2 name trips.csv zones.csv
                                          CSV, join columns by name
  pjoin -t, -1 1,3 -2 2,1 a.txt b.txt     two join fields: 0 in -o prints both";

/// pjoin's command line.
#[derive(Parser, Debug, Clone)]
#[command(name = "pjoin", version, about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// Also print unpairable lines from file FILENUM (1 or 2)
    #[arg(short = 'a', value_name = "FILENUM", action = ArgAction::Append)]
    pub unpaired: Vec<String>,
    /// Like -a FILENUM, but suppress joined output lines
    #[arg(short = 'v', value_name = "FILENUM", action = ArgAction::Append)]
    pub only_unpaired: Vec<String>,
    /// Replace missing (and empty) input fields with STRING
    #[arg(short = 'e', value_name = "STRING", action = ArgAction::Append, allow_hyphen_values = true)]
    pub empty: Vec<String>,
    /// Ignore differences in case when comparing fields
    #[arg(short = 'i', long = "ignore-case")]
    pub ignore_case: bool,
    /// Equivalent to '-1 FIELD -2 FIELD'; FIELD may be a list (a,b)
    #[arg(short = 'j', value_name = "FIELD", action = ArgAction::Append)]
    pub field: Vec<String>,
    /// Obey FORMAT while constructing output line
    #[arg(short = 'o', value_name = "FORMAT", action = ArgAction::Append)]
    pub format: Vec<String>,
    /// Use CHAR as input and output field separator
    #[arg(short = 't', value_name = "CHAR", action = ArgAction::Append, allow_hyphen_values = true)]
    pub tab: Vec<String>,
    /// Join on this FIELD of file 1: a number, a column name (with a
    /// header), or a comma-separated list of them (keys compare field by
    /// field; -2 must list as many)
    #[arg(short = '1', value_name = "FIELD", action = ArgAction::Append)]
    pub field1: Vec<String>,
    /// Join on this FIELD (or list of fields) of file 2
    #[arg(short = '2', value_name = "FIELD", action = ArgAction::Append)]
    pub field2: Vec<String>,
    /// Check that the input is correctly sorted, even if all input lines
    /// are pairable; fail at the first disorder, as GNU join does
    #[arg(long = "check-order", overrides_with = "nocheck_order")]
    pub check_order: bool,
    /// Do not check that the input is correctly sorted
    #[arg(long = "nocheck-order")]
    pub nocheck_order: bool,
    /// Treat the first line in each file as field headers, print them
    /// without trying to pair them; -1, -2 and -j may then name a column
    #[arg(short = 'H', long)]
    pub header: bool,
    /// Tab-separated input with a header row (-t TAB -H)
    #[arg(long)]
    pub tsv: bool,
    /// RFC 4180 CSV input and output (comma, header row, quoted fields
    /// may hold commas, quotes and newlines; keys compare unquoted)
    #[arg(long)]
    pub csv: bool,
    /// Line delimiter is NUL, not newline
    #[arg(short = 'z', long = "zero-terminated")]
    pub zero_terminated: bool,
    /// The inputs are sorted on the join field: stream a merge join in
    /// almost no memory (GNU join's own mode, with its order warnings)
    #[arg(long)]
    pub sorted: bool,
    /// Memory budget before spilling to temporary files (GNU sort's -S
    /// syntax: 100M, 2G, 10%; default: an eighth of physical memory)
    #[arg(short = 'S', long = "buffer-size", value_name = "SIZE")]
    pub buffer_size: Option<String>,
    /// Directory for temporary files [default: $TMPDIR or /tmp]
    #[arg(short = 'T', long = "temporary-directory", value_name = "DIR")]
    pub tmp_dirs: Vec<PathBuf>,
    /// Number of worker threads [default: number of cores] (-j is GNU
    /// join's join field)
    #[arg(long = "threads", value_name = "N")]
    pub threads: Option<usize>,
    /// FILE1 and FILE2
    #[arg(value_name = "FILE")]
    pub files: Vec<OsString>,
}

/// GNU's `string_to_join_field`: a positive decimal, one-based.
fn join_field(s: &str) -> Result<usize> {
    let bad = || Error::usage(format!("invalid field number: '{s}'"));
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match s.parse::<u64>() {
        Ok(0) => Err(bad()),
        Ok(v) => Ok(usize::try_from(v - 1).unwrap_or(usize::MAX - 1)),
        Err(_) => Ok(usize::MAX - 1),
    }
}

/// GNU's `set_join_field` over every value given.
fn pick_field(values: &[&String]) -> Result<Option<usize>> {
    let mut got: Option<usize> = None;
    for v in values {
        let f = join_field(v)?;
        if let Some(g) = got {
            if g != f {
                return Err(Error::usage(format!(
                    "incompatible join fields {}, {}",
                    g as u128 + 1,
                    f as u128 + 1
                )));
            }
        }
        got = Some(f);
    }
    Ok(got)
}

/// One `-o` list: items separated by commas or blanks.
fn parse_format(s: &str, out: &mut Vec<OutField>) -> Result<()> {
    for item in s.split([',', ' ', '\t']) {
        let b = item.as_bytes();
        let spec = match b.first() {
            Some(b'0') if b.len() == 1 => OutField::Join,
            Some(b'0') => return Err(Error::usage(format!("invalid field specifier: '{item}'"))),
            Some(&f @ (b'1' | b'2')) => {
                if b.get(1) != Some(&b'.') {
                    return Err(Error::usage(format!("invalid field specifier: '{item}'")));
                }
                OutField::Field(f - b'0', join_field(&item[2..])?)
            }
            _ => {
                return Err(Error::usage(format!(
                    "invalid file number in field spec: '{item}'"
                )))
            }
        };
        out.push(spec);
    }
    Ok(())
}

/// Resolves the command line into a [`Spec`], with GNU's checks.
pub fn spec_of(args: &Args) -> Result<Spec> {
    let (mut u1, mut u2, mut pairables) = (false, false, true);
    for (v, only) in args
        .unpaired
        .iter()
        .map(|v| (v, false))
        .chain(args.only_unpaired.iter().map(|v| (v, true)))
    {
        match v.as_str() {
            "1" => u1 = true,
            "2" => u2 = true,
            _ => return Err(Error::usage(format!("invalid field number: '{v}'"))),
        }
        if only {
            pairables = false;
        }
    }
    let mut empty: Option<&String> = None;
    for e in &args.empty {
        if empty.is_some_and(|x| x != e) {
            return Err(Error::usage("conflicting empty-field replacement strings"));
        }
        empty = Some(e);
    }
    let mut sep = Separator::Blanks;
    let mut tab: Option<u8> = None;
    for t in &args.tab {
        let c = match t.as_bytes() {
            [] => b'\n',
            [c] => *c,
            b"\\0" => 0,
            _ => return Err(Error::usage(format!("multi-character tab '{t}'"))),
        };
        if tab.is_some_and(|x| x != c) {
            return Err(Error::usage("incompatible tabs"));
        }
        tab = Some(c);
        sep = Separator::Char(c);
    }
    if args.csv {
        if tab.is_some() || args.tsv {
            return Err(Error::usage(
                "--csv reads commas: it cannot be combined with -t or --tsv",
            ));
        }
        if args.zero_terminated {
            return Err(Error::usage("-z cannot be combined with --csv"));
        }
        sep = Separator::Char(b',');
    }
    if args.tsv {
        if tab.is_some_and(|t| t != b'\t') {
            return Err(Error::usage("incompatible tabs"));
        }
        sep = Separator::Char(b'\t');
    }
    let header = args.header || args.tsv || args.csv;
    // With a header row, a join field that is not a number names a
    // column; run() resolves it against the header lines. Several join
    // fields and --csv take the general path (general_of).
    let many = is_general(args);
    let numeric = |v: &&String| !many && (!header || v.bytes().all(|b| b.is_ascii_digit()));
    let k1: Vec<&String> = args
        .field1
        .iter()
        .chain(&args.field)
        .filter(numeric)
        .collect();
    let k2: Vec<&String> = args
        .field2
        .iter()
        .chain(&args.field)
        .filter(numeric)
        .collect();
    let key1 = pick_field(&k1)?.unwrap_or(0);
    let key2 = pick_field(&k2)?.unwrap_or(0);
    let mut list = Vec::new();
    let mut auto = false;
    for f in &args.format {
        if f == "auto" {
            auto = true;
        } else {
            parse_format(f, &mut list)?;
        }
    }
    let layout = if !list.is_empty() {
        Layout::List(list)
    } else if auto {
        Layout::Auto(0, 0)
    } else {
        Layout::Default
    };
    Ok(Spec {
        key1,
        key2,
        sep,
        eol: if args.zero_terminated { 0 } else { b'\n' },
        ignore_case: args.ignore_case,
        unpaired1: u1,
        unpaired2: u2,
        pairables,
        empty: empty.map(|e| e.as_bytes().to_vec()),
        layout,
        header,
    })
}

/// True when the join takes the general path: `--csv`, or a join field
/// list with several columns.
fn is_general(args: &Args) -> bool {
    args.csv
        || args
            .field1
            .iter()
            .chain(&args.field2)
            .chain(&args.field)
            .any(|v| v.contains(','))
}

/// One side's join columns on the general path: every `-1`/`-2` and `-j`
/// value is a comma-separated list of numbers or (with a header) names;
/// all values given for a side must be the same list.
fn key_items(values: &[&String], header: bool) -> Result<Vec<general::KeyItem>> {
    let mut got: Option<(Vec<general::KeyItem>, &String)> = None;
    for v in values {
        let items = v
            .split(',')
            .map(|item| {
                if header && !item.is_empty() && !item.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(general::KeyItem::Name(item.to_string()))
                } else {
                    join_field(item).map(general::KeyItem::Num)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some((g, first)) = &got {
            if *g != items {
                return Err(Error::usage(format!(
                    "incompatible join fields '{first}', '{v}'"
                )));
            }
        }
        got = Some((items, v));
    }
    Ok(got.map_or_else(|| vec![general::KeyItem::Num(0)], |g| g.0))
}

/// The general path's join columns, or `None` for GNU's single-field
/// paths.
pub fn general_of(args: &Args, spec: &Spec) -> Result<Option<general::General>> {
    if !is_general(args) {
        return Ok(None);
    }
    let side = |own: &Vec<String>| -> Result<Vec<general::KeyItem>> {
        let values: Vec<&String> = own.iter().chain(&args.field).collect();
        key_items(&values, spec.header)
    };
    let (k1, k2) = (side(&args.field1)?, side(&args.field2)?);
    if k1.len() != k2.len() {
        return Err(Error::usage(format!(
            "file 1 has {} join fields and file 2 has {}: give as many to -1 and -2",
            k1.len(),
            k2.len()
        )));
    }
    if args.check_order {
        return Err(Error::usage(
            "--check-order works on one join field and plain input, not with --csv or several join fields",
        ));
    }
    Ok(Some(general::General {
        keys: [k1, k2],
        csv: args.csv,
    }))
}

/// The two operands as sources.
fn sources(args: &Args) -> Result<[Source; 2]> {
    match args.files.as_slice() {
        [] => Err(Error::usage("missing operand")),
        [one] => Err(Error::usage(format!(
            "missing operand after '{}'",
            one.to_string_lossy()
        ))),
        [a, b] => {
            let s = |o: &OsString| {
                if o == "-" {
                    Source::Stdin
                } else {
                    Source::Path(PathBuf::from(o))
                }
            };
            let (a, b) = (s(a), s(b));
            if a == Source::Stdin && b == Source::Stdin {
                return Err(Error::usage("both files cannot be standard input"));
            }
            Ok([a, b])
        }
        [_, _, extra, ..] => Err(Error::usage(format!(
            "extra operand '{}'",
            extra.to_string_lossy()
        ))),
    }
}

/// A file's lines, read as they come (the `--sorted` path).
pub struct FileLines {
    reader: BufReader<Box<dyn Read + Send>>,
    eol: u8,
    name: String,
}

impl FileLines {
    pub fn open(source: &Source, eol: u8) -> Result<FileLines> {
        Ok(FileLines {
            reader: BufReader::with_capacity(1 << 18, decompress::open(source)?),
            eol,
            name: source.name(),
        })
    }
}

impl LineSource for FileLines {
    fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
        buf.clear();
        let n = self
            .reader
            .read_until(self.eol, buf)
            .map_err(|e| Error::io(self.name.clone(), e))?;
        if n == 0 {
            return Ok(false);
        }
        if buf.last() == Some(&self.eol) {
            buf.pop();
        }
        Ok(true)
    }
}

/// Budget, threads and temp dirs of one run.
#[derive(Clone, Debug)]
pub struct Resources {
    pub budget: u64,
    pub threads: usize,
    pub tmp_dirs: Vec<PathBuf>,
}

/// Resolves join fields given as column names (`-1 id`, `-j id` with
/// `-H`/`--tsv`) against each file's header line.
fn resolve_names(args: &Args, spec: &mut Spec, sources: &[Source; 2]) -> Result<()> {
    if !spec.header {
        return Ok(());
    }
    for which in [1u8, 2] {
        let own = if which == 1 {
            &args.field1
        } else {
            &args.field2
        };
        let names: Vec<&String> = own
            .iter()
            .chain(&args.field)
            .filter(|v| !v.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        if names.is_empty() {
            continue;
        }
        let source = &sources[which as usize - 1];
        if *source == Source::Stdin {
            return Err(Error::usage(
                "a join field named by its column needs a file, not standard input",
            ));
        }
        let mut line = Vec::new();
        FileLines::open(source, spec.eol)?.read_line(&mut line)?;
        let mut fields = Vec::new();
        spec.split(&line, &mut fields);
        let numbered: Vec<&String> = own
            .iter()
            .chain(&args.field)
            .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        let mut got = pick_field(&numbered)?;
        for name in names {
            if name.contains(',') {
                return Err(Error::usage(format!(
                    "several join fields ('{name}') are not supported yet"
                )));
            }
            let Some(i) = fields
                .iter()
                .position(|r| &line[r.start as usize..r.end as usize] == name.as_bytes())
            else {
                return Err(Error::usage(format!(
                    "no column '{name}' in the header of {}",
                    source.name()
                )));
            };
            if let Some(g) = got.filter(|&g| g != i) {
                return Err(Error::usage(format!(
                    "incompatible join fields {}, {}",
                    g + 1,
                    i + 1
                )));
            }
            got = Some(i);
        }
        let key = got.unwrap_or(0);
        if which == 1 {
            spec.key1 = key;
        } else {
            spec.key2 = key;
        }
    }
    Ok(())
}

pub fn run(args: Args) -> Result<i32> {
    let mut spec = spec_of(&args)?;
    let many = general_of(&args, &spec)?;
    let [s1, s2] = sources(&args)?;
    if many.is_none() {
        resolve_names(&args, &mut spec, &[s1.clone(), s2.clone()])?;
    }
    let budget = match &args.buffer_size {
        Some(s) => cli::size::parse(s)?,
        None => crate::shuffle::default_budget(),
    };
    let res = Resources {
        budget,
        threads: cli::resolve_threads(args.threads),
        tmp_dirs: args.tmp_dirs.clone(),
    };
    let mut output = Output::stdout();
    let streaming = args.sorted || args.check_order;
    let code = if let Some(g) = &many {
        // Sorted inputs give the same output through the sort, so
        // --sorted needs no path of its own here.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(res.threads)
            .build()
            .map_err(|e| Error::data(format!("cannot start threads: {e}")))?;
        pool.install(|| general::join(&spec, g, [s1, s2], &res, &mut output))?
    } else if streaming {
        let check = if args.check_order {
            Check::Enabled
        } else if args.nocheck_order {
            Check::Disabled
        } else {
            Check::Default
        };
        let a = FileLines::open(&s1, spec.eol)?;
        let b = FileLines::open(&s2, spec.eol)?;
        merge::merge_join(&spec, check, a, b, true, &mut |bytes| {
            output.write_all(bytes)
        })?
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(res.threads)
            .build()
            .map_err(|e| Error::data(format!("cannot start threads: {e}")))?;
        pool.install(|| memory::join(&spec, [s1, s2], &res, &mut output))?
    };
    output.flush()?;
    Ok(code)
}
