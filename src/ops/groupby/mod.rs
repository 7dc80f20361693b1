//! pgroupby: GNU datamash's group-by (`datamash -s -g …`) on every core,
//! out of core, plus CSV/TSV with column names.
//!
//! Shape: map → combine → finish.
//! - *input*: [`Pieces`], record-aligned slices of mapped regular files
//!   (no copy) or chunks of the shared reader (gzip, stdin, pipes);
//! - *map* (engine workers, [`aggregate_carried`]): each chunk's records are
//!   hashed by key into a partial [`Table`] of per-operation states;
//! - *combine* (the caller's thread, in chunk order): partials are
//!   absorbed into the running table, so order-sensitive results (`first`,
//!   `last`, `collapse`) see input order, and exact sums make numeric
//!   results independent of where chunks end. When no result depends on
//!   order ([`Spec::order_free`]), a worker keeps adding chunks to one
//!   table ([`Carried`]) and hands it over only when it grows;
//! - *spill*: when the running table's estimated size passes `-S`, it is
//!   written to hash partitions and emptied (see [`table`]);
//! - *finish*: groups sorted by key (as `sort -s -k…` orders datamash's
//!   input under `LC_ALL=C`) and printed. Nothing is printed before the
//!   whole input is read, so an invalid value never leaves a partial
//!   output that looks complete.

pub mod number;
pub mod ops;
pub mod table;

use crate::cli::{self, FormatArgs, ProgressArgs, ThreadsArg};
use crate::engine::{self, Event, Flow, Item};
use crate::error::{Error, Result};
use crate::format::bytescan::{Block, Kernel, Separators, Sse2};
use crate::format::csv::{split_fields, unquote, write_field};
use crate::format::{Dialect, Header};
use crate::input::{self, pieces::Failure, Piece, Pieces};
use crate::output::Output;
use crate::progress::Progress;
use clap::Parser;
use memchr::memchr_iter;
use number::{DigitReader, Format};
use ops::{Ctx, Kind, Op, Out};
use std::ffi::OsString;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use table::{Carried, Spill, Table};

const ABOUT: &str = "Group rows by key columns and aggregate other columns, as GNU \
datamash -s -g does, on every core and in bounded memory; plus CSV/TSV with column names.";

const AFTER: &str = "\
OPERATIONS (datamash's names; COLS is a field number, a range 2-4, a list 3,5, or
names with a header):
  count sum min max absmin absmax range mean geomean harmmean trimmean[:X]
  median q1 q3 iqr perc[:P] mode antimode pstdev sstdev pvar svar mad madraw
  sskew pskew skurt pkurt first last rand unique collapse countunique
  pandas-style aliases: nunique (countunique), std (sstdev), var (svar),
  size (count)

Output is sorted by key, byte order (as datamash -s under LC_ALL=C); numbers
print as datamash's %.14Lg unless -R or --format. A value that is not a number
where one is needed is an error naming the line, field and value; nothing is
printed then.

Empty groups (every value NA under --narm) print as datamash does: count,
sum and countunique 0; min/absmin -inf; max/absmax inf; first/last/rand N/A;
unique/collapse an empty field; every other operation nan.

Examples:
  pgroupby -s -g 1 sum 3 mean 4,5 count 1 data.tsv
                                       as datamash -s -g 1 sum 3 mean 4,5 count 1
  pgroupby --csv -g payment_type mean total_amount,trip_distance count payment_type trips.csv
  pgroupby --csv -g year,state,county sum x 'parts/*.csv.gz'
  pgroupby -t, --header-in -g 5 median 8 -- trips-clean.csv";

/// pgroupby's command line.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "pgroupby",
    version,
    about = ABOUT,
    after_help = AFTER,
    override_usage = "pgroupby [OPTIONS] -g COLS OP COLS [OP COLS]... [FILE]..."
)]
pub struct Args {
    /// Group by these columns (numbers, ranges or names); without -g the
    /// whole input is one group, as in datamash
    #[arg(short = 'g', long = "group", value_name = "COLS")]
    pub group: Option<String>,
    /// Accepted for datamash compatibility: output is always sorted by key
    #[arg(short = 's', long = "sort")]
    pub sort: bool,
    /// Use X instead of TAB as field delimiter
    #[arg(short = 't', long = "field-separator", value_name = "X")]
    pub separator: Option<String>,
    /// Fields are separated by runs of spaces and tabs
    #[arg(short = 'W', long = "whitespace")]
    pub whitespace: bool,
    /// Ignore upper/lower case when comparing keys and in unique/countunique
    #[arg(short = 'i', long = "ignore-case")]
    pub ignore_case: bool,
    /// The first line of each input is a header
    #[arg(long = "header-in")]
    pub header_in: bool,
    /// Print a header line first
    #[arg(long = "header-out")]
    pub header_out: bool,
    /// Same as --header-in --header-out
    #[arg(short = 'H', long = "headers")]
    pub headers: bool,
    /// Skip NA, N/A and NaN values (any case) and empty fields
    #[arg(long)]
    pub narm: bool,
    /// Round numeric output to N decimal places
    #[arg(short = 'R', long = "round", value_name = "N")]
    pub round: Option<String>,
    /// Print numeric values with this printf floating-point format
    #[arg(long = "format", value_name = "FORMAT")]
    pub format_spec: Option<String>,
    /// Use X as output field delimiter (default: the input delimiter)
    #[arg(long = "output-delimiter", value_name = "X")]
    pub output_delimiter: Option<String>,
    /// Lines end with a NUL byte, not newline
    #[arg(short = 'z', long = "zero-terminated")]
    pub zero_terminated: bool,
    /// Skip comment lines (starting with '#' or ';' after optional blanks)
    #[arg(short = 'C', long = "skip-comments")]
    pub skip_comments: bool,
    /// Print the whole representative line of each group before the results
    #[arg(short = 'f', long = "full")]
    pub full: bool,
    /// Accepted for datamash compatibility (filler for missing fields)
    #[arg(long = "filler", value_name = "X")]
    pub filler: Option<String>,
    /// Memory budget for group state before spilling to disk (GNU -S syntax;
    /// default: an eighth of physical memory)
    #[arg(short = 'S', long = "buffer-size", value_name = "SIZE")]
    pub buffer_size: Option<String>,
    /// Directory for temporary files (repeatable)
    #[arg(short = 'T', long = "temporary-directory", value_name = "DIR")]
    pub tmp_dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub threads: ThreadsArg,
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Operations (OP COLS pairs), then files (globs are expanded; none or
    /// - means standard input)
    #[arg(value_name = "OP COLS... FILE", allow_hyphen_values = false)]
    pub items: Vec<OsString>,
    /// Files after `--`
    #[arg(last = true, value_name = "FILE")]
    pub after: Vec<OsString>,
}

/// How fields are split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// One delimiter byte, no quoting (datamash `-t`, default TAB).
    Delim(u8),
    /// Runs of blanks (`-W`).
    Blank,
    /// RFC 4180 (`--csv`).
    Csv(u8),
}

/// Everything a worker needs to aggregate a chunk: a plain value.
#[derive(Debug)]
pub struct Spec {
    pub split: Split,
    pub dialect: Dialect,
    pub keys: Vec<usize>,
    pub ops: Vec<Op>,
    pub narm: bool,
    pub fold: bool,
    pub comments: bool,
    /// Keep lines for `--full`/`-i`.
    pub track: bool,
    pub header: bool,
    /// Fields needed (1 + the largest index used).
    pub need: usize,
}

impl Spec {
    /// True when no result depends on the order the records come in, so
    /// partial tables may hold any chunks and combine in any order:
    /// counts and exact sums only, and no kept lines.
    pub fn order_free(&self) -> bool {
        !self.track && self.ops.iter().all(|o| o.kind.order_free())
    }
}

/// A bad record found by a worker; the sink turns the record index into a
/// line number.
#[derive(Debug)]
pub enum Bad {
    Number {
        record: u64,
        field: usize,
        value: Vec<u8>,
    },
    Missing {
        record: u64,
        field: usize,
        have: usize,
    },
}

impl Bad {
    /// The record (0-based, in its chunk) the problem is in.
    fn record(&self) -> u64 {
        match *self {
            Bad::Number { record, .. } | Bad::Missing { record, .. } => record,
        }
    }
}

/// A chunk's result: its partial table (`None` when the worker kept it
/// to add later chunks to, see [`Carried`]), its record count, and the
/// field count of its first record (for generated header names).
pub struct Partial {
    pub table: std::result::Result<Option<Table>, Bad>,
    pub records: u64,
    pub first_fields: usize,
}

/// Splits a record into field ranges (at least `need` if it has them).
#[inline]
fn split(spec: &Spec, rec: &[u8], out: &mut Vec<Range<usize>>) {
    match spec.split {
        Split::Delim(d) => {
            out.clear();
            if rec.is_empty() {
                return;
            }
            let mut start = 0;
            for i in memchr_iter(d, rec) {
                out.push(start..i);
                start = i + 1;
            }
            out.push(start..rec.len());
        }
        Split::Csv(d) => split_fields(rec, d, true, out),
        Split::Blank => {
            out.clear();
            let blank = |b: u8| b == b' ' || b == b'\t';
            let mut i = 0;
            while i < rec.len() {
                while i < rec.len() && blank(rec[i]) {
                    i += 1;
                }
                if i == rec.len() {
                    break;
                }
                let s = i;
                while i < rec.len() && !blank(rec[i]) {
                    i += 1;
                }
                out.push(s..i);
            }
        }
    }
}

/// The value of a field (unquoted in CSV mode).
#[inline]
fn value<'a>(spec: &Spec, raw: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
    match spec.split {
        Split::Csv(_) => unquote(raw),
        _ => std::borrow::Cow::Borrowed(raw),
    }
}

fn is_comment(rec: &[u8]) -> bool {
    rec.iter()
        .find(|&&b| b != b' ' && b != b'\t')
        .is_some_and(|&b| b == b'#' || b == b';')
}

/// Appends `v` to an encoded key (see [`table`]).
fn push_key_part(key: &mut Vec<u8>, v: &[u8], fold: bool, multi: bool) {
    for &b in v {
        let b = if fold { b.to_ascii_uppercase() } else { b };
        key.push(b);
        if multi && b == 0 {
            key.push(1);
        }
    }
    if multi {
        key.extend_from_slice(&[0, 0]);
    }
}

/// Splits an encoded key back into its fields.
fn key_fields(key: &[u8], multi: bool) -> Vec<Vec<u8>> {
    if !multi {
        return vec![key.to_vec()];
    }
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut i = 0;
    while i < key.len() {
        if key[i] == 0 {
            if key.get(i + 1) == Some(&0) {
                out.push(std::mem::take(&mut cur));
            } else {
                cur.push(0);
            }
            i += 2;
        } else {
            cur.push(key[i]);
            i += 1;
        }
    }
    out
}

/// Calls `f(record number, record range, field ranges)` for every record
/// of `data`; ranges index `data`. Delimited and CSV input are split from
/// [`Separators`]' masks (see there for what it replaced and why): the
/// delimiter bits below the next terminator are a record's fields, popped
/// up to the `need`-th; `-W` input splits record by record.
#[inline(always)]
fn scan<E, K: Kernel>(
    spec: &Spec,
    data: &[u8],
    need: usize,
    kernel: K,
    mut f: impl FnMut(u64, Range<usize>, &[Range<usize>]) -> std::result::Result<(), E>,
) -> std::result::Result<u64, E> {
    let mut ranges: Vec<Range<usize>> = Vec::with_capacity(32);
    let mut r = 0u64;
    let (delim, quoting) = match spec.split {
        Split::Blank => {
            for rec in spec.dialect.records(data) {
                split(spec, rec.body, &mut ranges);
                let off = rec.start;
                for x in &mut ranges {
                    *x = x.start + off..x.end + off;
                }
                f(r, off..off + rec.body.len(), &ranges)?;
                r += 1;
            }
            return Ok(r);
        }
        Split::Delim(d) => (d, false),
        Split::Csv(d) => (d, true),
    };
    let term = spec.dialect.terminator;
    let mut rec_start = 0;
    let mut field_start = 0;
    let n = data.len();
    // Past the last field used, the record's other delimiters are
    // cleared from the mask unread.
    let mut skipping = false;
    for Block {
        base,
        mut delims,
        mut terms,
    } in Separators::with_kernel(data, delim, term, quoting, kernel)
    {
        loop {
            // The delimiters before the next terminator (all of the
            // block's when it has none) belong to the current record.
            let before = if terms == 0 {
                !0
            } else {
                (terms & terms.wrapping_neg()) - 1
            };
            if !skipping {
                // As many fields as the mask has, up to `need`: counted
                // first, so the loop below checks neither the count nor
                // (an exact-size `extend`) the capacity per field.
                let mut fields = delims & before;
                let k = (fields.count_ones() as usize).min(need - ranges.len());
                ranges.extend((0..k).map(|_| {
                    let i = base + fields.trailing_zeros() as usize;
                    fields &= fields - 1;
                    let field = field_start..i;
                    field_start = i + 1;
                    field
                }));
                skipping = ranges.len() >= need;
            }
            delims &= !before;
            if terms == 0 {
                break;
            }
            let i = base + terms.trailing_zeros() as usize;
            terms &= terms - 1;
            // End of record (CSV: a CR before the LF is not data).
            let mut end = i;
            if quoting && end > rec_start && data[end - 1] == b'\r' {
                end -= 1;
            }
            if !skipping && (end > rec_start || !ranges.is_empty()) {
                ranges.push(field_start..end);
            }
            f(r, rec_start..end, &ranges)?;
            ranges.clear();
            skipping = false;
            r += 1;
            rec_start = i + 1;
            field_start = i + 1;
        }
    }
    if rec_start < n {
        let mut end = n;
        if quoting && data[end - 1] == b'\r' {
            end -= 1;
        }
        if !skipping {
            ranges.push(field_start..end);
        }
        f(r, rec_start..end, &ranges)?;
        r += 1;
    }
    Ok(r)
}

/// Aggregates every record of a chunk into a partial table: the one the
/// worker carries from earlier chunks when `carried` has one, kept there
/// while it stays small (with [`Carried::none`], always a new one).
pub fn aggregate_carried(spec: &Spec, chunk: &Piece, carried: &Carried) -> Partial {
    let mut t = carried.take().unwrap_or_else(|| Table::new(&spec.ops));
    let (result, records, first_fields) = aggregate_into(spec, chunk, &mut t);
    Partial {
        table: result.map(|()| carried.keep(t)),
        records,
        first_fields,
    }
}

/// What the per-record loop does with an operation's field, decided once
/// a chunk rather than from the kind on every record (the kind tests and
/// the value's unquoting were about 100 of the ~800 instructions a record
/// of the low-cardinality query, callgrind: 1.195G -> 1.042G on 1.49M
/// records).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// A count without `--narm`: no value looked at.
    Count,
    /// A sum or mean: the raw field is tried as a short decimal first (a
    /// field that is one is never empty, `NA` or quoted, so neither
    /// `--narm` nor unquoting applies); anything else takes [`Step::Value`].
    Decimal,
    /// The value unquoted, skipped by `--narm`, parsed when numeric.
    Value,
}

impl Step {
    fn of(kind: Kind, narm: bool) -> Step {
        match kind {
            Kind::Count if !narm => Step::Count,
            k if k.sums_decimals() => Step::Decimal,
            _ => Step::Value,
        }
    }
}

/// What [`aggregate_into`] returns: the result, the records seen (up to
/// a bad one), and the first record's field count.
type Aggregated = (std::result::Result<(), Bad>, u64, usize);

/// Adds every record of a chunk to `t`, compiled for the widest byte
/// kernel the CPU has: the whole per-record loop is built again with
/// AVX-512 or AVX2 (and BMI) enabled, so the kernel's compares inline and
/// the bit tricks use the newer instructions. (Low-cardinality benchmark
/// query on the 2-core AMD EPYC, with `decimal` always inlined: 0.77 ->
/// 0.69 s wall, medians of 7 interleaved.)
fn aggregate_into(spec: &Spec, chunk: &Piece, t: &mut Table) -> Aggregated {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::format::bytescan::{Avx2, Avx512};
        if let Some(r) = number::Ssse3::detect() {
            if let Some(k) = Avx512::detect() {
                // SAFETY: `detect` found every feature the function enables.
                return unsafe { aggregate_avx512(spec, chunk, t, k, r) };
            }
            if let Some(k) = Avx2::detect() {
                // SAFETY: as above.
                return unsafe { aggregate_avx2(spec, chunk, t, k, r) };
            }
        }
    }
    aggregate_with(spec, chunk, t, Sse2, number::Swar)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx2,bmi1,bmi2,lzcnt,popcnt,pclmulqdq")]
unsafe fn aggregate_avx512(
    spec: &Spec,
    chunk: &Piece,
    t: &mut Table,
    k: crate::format::bytescan::Avx512,
    r: number::Ssse3,
) -> Aggregated {
    aggregate_with(spec, chunk, t, k, r)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1,bmi2,lzcnt,popcnt,pclmulqdq")]
unsafe fn aggregate_avx2(
    spec: &Spec,
    chunk: &Piece,
    t: &mut Table,
    k: crate::format::bytescan::Avx2,
    r: number::Ssse3,
) -> Aggregated {
    aggregate_with(spec, chunk, t, k, r)
}

/// The body of [`aggregate_into`], for kernel `K`.
#[inline(always)]
fn aggregate_with<K: Kernel, R: DigitReader>(
    spec: &Spec,
    chunk: &Piece,
    t: &mut Table,
    kernel: K,
    reader: R,
) -> Aggregated {
    let mut key: Vec<u8> = Vec::with_capacity(64);
    let multi = spec.keys.len() > 1;
    let mut first_fields = 0;
    let nops = spec.ops.len();
    let base = (chunk.source as u64) << 44;
    let data = chunk.data();
    let csv = matches!(spec.split, Split::Csv(_));
    // --full prints whole lines, and the first line's field count names
    // the columns of a generated header: split those completely.
    let need = if spec.track || (chunk.index == 0 && chunk.source == 0) {
        usize::MAX
    } else {
        spec.need
    };
    let steps: Vec<Step> = spec
        .ops
        .iter()
        .map(|op| Step::of(op.kind, spec.narm))
        .collect();
    // Inlined into the split loop: called per record, its captures were
    // reloaded on every call.
    let result = scan(
        spec,
        data,
        need,
        kernel,
        #[inline(always)]
        |r, rec, ranges| {
            if r == 0 && chunk.index == 0 && spec.header {
                return Ok(());
            }
            if spec.comments && is_comment(&data[rec.clone()]) {
                return Ok(());
            }
            if csv && rec.is_empty() {
                return Ok(());
            }
            if r == 0 {
                first_fields = ranges.len();
            }
            if ranges.len() < spec.need {
                let field = spec
                    .keys
                    .iter()
                    .chain(spec.ops.iter().map(|o| &o.field))
                    .find(|&&f| f >= ranges.len())
                    .copied()
                    .unwrap_or(0);
                return Err(Bad::Missing {
                    record: r,
                    field: field + 1,
                    have: ranges.len(),
                });
            }
            let ord = base | (chunk.offset + rec.start as u64);
            let line = if spec.track {
                Some(&data[rec.clone()])
            } else {
                None
            };
            let field = |k: usize| &data[ranges[k].clone()];
            let g = if spec.keys.is_empty() {
                t.group(b"", || line.map(|l| (ord, l.into())))
            } else if !(multi || spec.fold || csv && field(spec.keys[0]).first() == Some(&b'"')) {
                t.group_in(data, ranges[spec.keys[0]].clone(), || {
                    line.map(|l| (ord, l.into()))
                })
            } else {
                key.clear();
                for &k in &spec.keys {
                    let v = value(spec, field(k));
                    push_key_part(&mut key, &v, spec.fold, multi);
                }
                t.group(&key, || line.map(|l| (ord, l.into())))
            };
            let states = &mut t.states[g * nops..(g + 1) * nops];
            for ((op, step), state) in spec.ops.iter().zip(&steps).zip(states.iter_mut()) {
                match step {
                    Step::Count => {
                        state.count_one();
                        continue;
                    }
                    Step::Decimal => {
                        if let Some((m, frac)) =
                            number::decimal_in(data, ranges[op.field].clone(), reader)
                        {
                            state.add_decimal(m, frac);
                            continue;
                        }
                    }
                    Step::Value => {}
                }
                let raw = value(spec, field(op.field));
                if ops::skipped(spec.narm, &raw) {
                    continue;
                }
                if *step == Step::Decimal {
                    if let Some((m, frac)) = number::decimal(&raw) {
                        // A quoted short decimal.
                        state.add_decimal(m, frac);
                        continue;
                    }
                }
                let x = if op.kind.numeric() {
                    match number::parse(&raw) {
                        Some(x) => x,
                        None => {
                            return Err(Bad::Number {
                                record: r,
                                field: op.field + 1,
                                value: raw.into_owned(),
                            })
                        }
                    }
                } else {
                    0.0
                };
                state.update(op.kind, &raw, x, &Ctx { ord, line });
            }
            Ok(())
        },
    );
    match result {
        Ok(records) => (Ok(()), records, first_fields),
        Err(bad) => {
            let seen = bad.record() + 1;
            (Err(bad), seen, first_fields)
        }
    }
}

/// Resolves a datamash column list (`3`, `2-4`, `1,5`, or header names;
/// only commas separate, so names may hold blanks) to 0-based indexes.
fn columns(spec: &str, header: Option<&Header>) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for item in spec.split(',') {
        if let Some(i) = header.and_then(|h| h.index_of(item.as_bytes())) {
            out.push(i);
            continue;
        }
        let num = |s: &str| -> Option<usize> {
            s.parse::<usize>()
                .ok()
                .filter(|&n| n > 0 && s.bytes().all(|b| b.is_ascii_digit()))
        };
        let range = match item.split_once('-') {
            None => num(item).map(|n| (n, n)),
            Some((a, b)) => num(a).zip(num(b)).filter(|(a, b)| a <= b),
        };
        match (range, header) {
            (Some((lo, hi)), _) => out.extend(lo - 1..hi),
            (None, Some(h)) => {
                return Err(Error::usage(format!(
                    "column name '{item}' not found in input file; available columns: {}",
                    h.available()
                )))
            }
            (None, None) => {
                return Err(Error::usage(format!("invalid field value '{item}'")));
            }
        }
    }
    Ok(out)
}

/// Splits the positional words into operations and files.
/// Operations as written: kind, printed name, column list.
type OpWords = Vec<(Kind, String, String)>;

fn split_items(items: &[OsString]) -> Result<(OpWords, Vec<OsString>)> {
    let mut ops = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let Some(word) = items[i].to_str() else { break };
        let Some(parsed) = ops::parse_kind(word) else {
            break;
        };
        let (kind, name) = parsed?;
        let cols = items.get(i + 1).and_then(|c| c.to_str()).ok_or_else(|| {
            Error::usage(format!("missing field number after operation '{word}'"))
        })?;
        ops.push((kind, name, cols.to_string()));
        i += 2;
    }
    if ops.is_empty() {
        return Err(Error::usage(match items.first() {
            Some(w) => format!(
                "invalid operation '{}' (operations: {})",
                w.to_string_lossy(),
                ops::NAMES
            ),
            None => "missing operation specifiers".to_string(),
        }));
    }
    Ok((ops, items[i..].to_vec()))
}

/// Output settings.
struct Printer {
    delim: u8,
    term: u8,
    csv: bool,
    format: Format,
    fold: bool,
    full: bool,
    multi: bool,
}

impl Printer {
    fn field(&self, out: &mut Vec<u8>, v: &[u8]) {
        if self.csv {
            write_field(out, v, self.delim);
        } else {
            out.extend_from_slice(v);
        }
    }
}

/// Writes one group's output line into `line`.
fn emit(p: &Printer, spec: &Spec, t: &mut Table, key: &[u8], g: usize, line: &mut Vec<u8>) {
    let nops = spec.ops.len();
    if spec.track {
        // The representative line: the first, or the latest line an
        // operation kept (datamash's group line swap).
        let mut rep: Option<&(u64, Box<[u8]>)> = t.firsts[g].as_ref();
        for st in &t.states[g * nops..(g + 1) * nops] {
            if let Some(c) = st.line() {
                if rep.is_none_or(|r| c.0 > r.0) {
                    rep = Some(c);
                }
            }
        }
        let rep = rep.map(|r| r.1.to_vec()).unwrap_or_default();
        let mut ranges = Vec::new();
        split(spec, &rep, &mut ranges);
        if p.full {
            for r in &ranges {
                p.field(line, &value(spec, &rep[r.clone()]));
                line.push(p.delim);
            }
        } else {
            for &k in &spec.keys {
                if let Some(r) = ranges.get(k) {
                    p.field(line, &value(spec, &rep[r.clone()]));
                }
                line.push(p.delim);
            }
        }
    } else if !spec.keys.is_empty() {
        for f in key_fields(key, p.multi) {
            p.field(line, &f);
            line.push(p.delim);
        }
    }
    for i in 0..nops {
        if i > 0 {
            line.push(p.delim);
        }
        match t.states[g * nops + i].finish(spec.ops[i].kind, p.fold) {
            Out::Num(v) => p.format.write(v, line),
            Out::Text(s) => p.field(line, &s),
        }
    }
    line.push(p.term);
}

pub fn run(args: Args) -> Result<i32> {
    let csv = args.format.csv;
    let structured = args.format.csv || args.format.tsv;
    if structured && (args.separator.is_some() || args.whitespace) {
        return Err(Error::usage("--csv/--tsv cannot be combined with -t or -W"));
    }
    if args.zero_terminated && csv {
        return Err(Error::usage("-z cannot be combined with --csv"));
    }
    if args.whitespace && args.separator.is_some() {
        return Err(Error::usage("-t and -W cannot be combined"));
    }
    let term = if args.zero_terminated { 0 } else { b'\n' };
    let split_mode = if csv {
        Split::Csv(b',')
    } else if args.format.tsv {
        Split::Delim(b'\t')
    } else if args.whitespace {
        Split::Blank
    } else {
        match &args.separator {
            Some(s) if s.len() == 1 => Split::Delim(s.as_bytes()[0]),
            Some(_) => return Err(Error::usage("the delimiter must be a single character")),
            None => Split::Delim(b'\t'),
        }
    };
    let dialect = if csv {
        Dialect::csv(b',')
    } else {
        Dialect::plain(b'\t', term)
    };
    let header_in = args.header_in || args.headers || args.format.has_header();
    let header_out = args.header_out || args.headers || args.format.has_header();
    let in_delim = match split_mode {
        Split::Delim(d) | Split::Csv(d) => d,
        Split::Blank => b'\t',
    };
    let out_delim = match &args.output_delimiter {
        Some(s) if s.len() == 1 => s.as_bytes()[0],
        Some(_) => return Err(Error::usage("the delimiter must be a single character")),
        None => in_delim,
    };
    let format = match (&args.format_spec, &args.round) {
        (Some(f), _) => Format::parse(f)?,
        (None, Some(r)) => Format::round(r)?,
        (None, None) => Format::default_format(),
    };
    let budget = match &args.buffer_size {
        Some(s) => cli::size::parse(s)?,
        None => crate::shuffle::default_budget(),
    };
    let (op_words, mut files) = split_items(&args.items)?;
    files.extend(args.after.iter().cloned());
    let sources = input::source::resolve(&files, None)?;
    let threads = args.threads.get();
    let mut progress = Progress::new(&args.progress, &sources);
    let mut chunk_size = input::chunk_size();
    if std::env::var_os("PTOOLS_CHUNK_SIZE").is_none() {
        // Each chunk in flight becomes a partial table of up to one group
        // per row, several times the chunk's bytes: keep the chunks a small
        // fraction of the budget (-S 100M: 1.5 MiB chunks; measured peak
        // RSS of a spilling run at scale 0.1 went from 239 to 140 MiB).
        chunk_size = chunk_size.min((budget / 64).max(64 << 10) as usize);
    }
    let mut stream =
        Pieces::new(sources.clone(), dialect.record_format(), threads).with_chunk_size(chunk_size);

    // Read ahead to the header, to resolve names.
    let mut head: Vec<std::result::Result<Piece, Failure>> = Vec::new();
    let mut header: Option<Header> = None;
    if header_in {
        for item in stream.by_ref() {
            let found = match &item {
                Ok(c) => dialect.records(c.data()).next().map(|r| {
                    let mut ranges = Vec::new();
                    let tmp = Spec {
                        split: split_mode,
                        dialect,
                        keys: vec![],
                        ops: vec![],
                        narm: false,
                        fold: false,
                        comments: false,
                        track: false,
                        header: false,
                        need: 0,
                    };
                    split(&tmp, r.body, &mut ranges);
                    Header {
                        names: ranges
                            .iter()
                            .map(|x| value(&tmp, &r.body[x.clone()]).into_owned())
                            .collect(),
                    }
                }),
                Err(_) => None,
            };
            head.push(item);
            if found.is_some() {
                header = found;
                break;
            }
        }
    }
    let resolve = |cols: &str| -> Result<Vec<usize>> {
        if header_in && header.is_none() {
            // Empty input: names cannot be resolved, but nothing will print.
            return columns(cols, None).or_else(|_| Ok(vec![0]));
        }
        if !header_in
            && cols
                .bytes()
                .any(|b| !(b.is_ascii_digit() || b == b',' || b == b'-'))
        {
            return Err(Error::usage(
                "-H or --header-in must be used with named columns",
            ));
        }
        columns(cols, header.as_ref())
    };
    let keys = match &args.group {
        Some(g) => resolve(g)?,
        None => Vec::new(),
    };
    let mut op_list = Vec::new();
    for (kind, name, cols) in &op_words {
        for f in resolve(cols)? {
            op_list.push(Op {
                kind: *kind,
                name: name.clone(),
                field: f,
            });
        }
    }
    let need = keys
        .iter()
        .chain(op_list.iter().map(|o| &o.field))
        .max()
        .map_or(0, |m| m + 1);
    let spec = Arc::new(Spec {
        split: split_mode,
        dialect,
        keys,
        ops: op_list,
        narm: args.narm,
        fold: args.ignore_case,
        comments: args.skip_comments,
        track: args.full || args.ignore_case,
        header: header_in,
        need,
    });
    let printer = Printer {
        delim: out_delim,
        term,
        csv,
        format,
        fold: args.ignore_case,
        full: args.full,
        multi: spec.keys.len() > 1,
    };

    let items = head.into_iter().chain(stream).map(|item| match item {
        Ok(c) => Item::Work(c),
        Err((_, error)) => Item::Pass(error),
    });
    let mut table = Table::new(&spec.ops);
    let mut spill: Option<Spill> = None;
    let mut lines_before = vec![0u64; sources.len()];
    let mut first_fields = 0usize;
    let mut failure: Option<Error> = None;
    let map_spec = spec.clone();
    // Order-free operations let a worker add chunk after chunk to one
    // table, up to a small share of the budget, instead of handing the
    // caller a new partial table per chunk to combine: with many groups a
    // chunk's table is nearly as large as its records, and building then
    // combining it cost more than the records' own work.
    let carried = Arc::new(if spec.order_free() {
        Carried::up_to((budget / 64 / threads as u64) as usize)
    } else {
        Carried::none()
    });
    let map_carried = carried.clone();
    // A third of the budget for the running table: the chunks and partial
    // tables in flight and the allocator's slack take the rest (measured:
    // -S 100M peaked at 308 MiB with half).
    let add = |table: &mut Table, t: Table, spill: &mut Option<Spill>| -> Result<()> {
        table.absorb(t);
        if table.memory() as u64 > budget / 3 {
            if spill.is_none() {
                *spill = Some(Spill::new(&args.tmp_dirs)?);
            }
            let s = spill.as_mut().expect("spill just created");
            table.spill_to(&mut s.parts)?;
            s.spills += 1;
        }
        Ok(())
    };
    engine::ordered_map(
        threads,
        items,
        move |c: &Piece| aggregate_carried(&map_spec, c, &map_carried),
        |ev| {
            match ev {
                Event::Mapped(c, partial) => {
                    progress.inc(c.data().len() as u64);
                    if c.source == 0 && c.index == 0 {
                        first_fields = partial.first_fields;
                    }
                    let before = lines_before[c.source];
                    lines_before[c.source] += partial.records;
                    match partial.table {
                        Ok(Some(t)) => add(&mut table, t, &mut spill)?,
                        Ok(None) => {}
                        Err(bad) => {
                            let name = sources[c.source].name();
                            failure = Some(Error::data(match bad {
                                Bad::Number {
                                    record,
                                    field,
                                    value,
                                } => format!(
                                    "invalid numeric value in line {} field {}: '{}' ({})",
                                    before + record + 1,
                                    field,
                                    String::from_utf8_lossy(&value),
                                    name
                                ),
                                Bad::Missing {
                                    record,
                                    field,
                                    have,
                                } => format!(
                                    "invalid input: field {} requested, line {} has only {} fields ({})",
                                    field,
                                    before + record + 1,
                                    have,
                                    name
                                ),
                            }));
                            return Ok(Flow::Stop);
                        }
                    }
                }
                Event::Passed(e) => cli::warn(&e),
            }
            Ok(Flow::Continue)
        },
    )?;
    progress.finish();
    if let Some(e) = failure {
        return Err(e);
    }
    while let Some(t) = carried.take() {
        add(&mut table, t, &mut spill)?;
    }

    let mut out = Output::stdout();
    let mut buf = Vec::with_capacity(1 << 16);
    if header_out
        && (header.is_some() || !header_in)
        && !(table.is_empty() && spill.is_none() && !header_in)
    {
        header_line(
            &printer,
            &spec,
            header.as_ref(),
            first_fields,
            csv || args.format.tsv,
            &mut buf,
        );
        out.write_all(&buf)?;
        buf.clear();
    }
    match spill {
        None => {
            let order = table.take_sorted();
            for (k, g) in order {
                emit(&printer, &spec, &mut table, &k, g as usize, &mut buf);
                if buf.len() >= 1 << 16 {
                    out.write_all(&buf)?;
                    buf.clear();
                }
            }
            out.write_all(&buf)?;
        }
        Some(s) => {
            table::finish_spilled(
                s,
                table,
                |t, k, g, line| emit(&printer, &spec, t, k, g, line),
                |line| out.write_all(line),
            )?;
        }
    }
    out.flush()?;
    Ok(if cli::had_error() { 1 } else { 0 })
}

/// The output header: datamash's `GroupBy(name)`/`op(name)` (names are
/// `field-N` without an input header); in CSV/TSV mode the key columns
/// keep their names.
fn header_line(
    p: &Printer,
    spec: &Spec,
    header: Option<&Header>,
    first_fields: usize,
    structured: bool,
    out: &mut Vec<u8>,
) {
    let name = |i: usize| -> Vec<u8> {
        header
            .and_then(|h| h.names.get(i).cloned())
            .unwrap_or_else(|| format!("field-{}", i + 1).into_bytes())
    };
    if p.full {
        let n = header.map_or(first_fields, |h| h.names.len());
        for i in 0..n {
            p.field(out, &name(i));
            out.push(p.delim);
        }
    } else {
        for &k in &spec.keys {
            if structured {
                p.field(out, &name(k));
            } else {
                let mut v = b"GroupBy(".to_vec();
                v.extend_from_slice(&name(k));
                v.push(b')');
                p.field(out, &v);
            }
            out.push(p.delim);
        }
    }
    for (i, op) in spec.ops.iter().enumerate() {
        if i > 0 {
            out.push(p.delim);
        }
        let mut v = op.name.clone().into_bytes();
        v.push(b'(');
        v.extend_from_slice(&name(op.field));
        v.push(b')');
        p.field(out, &v);
    }
    out.push(p.term);
}
