//! pcat: GNU cat, plus decompression, parallel reading and header handling.
//!
//! Plain concatenation is a straight copy of the ordered chunk stream (the
//! stream reads and inflates several inputs at once). `-v`, `-E`, `-T`
//! transform each chunk independently, so they run on the engine's
//! workers. `-n`, `-b` and `-s` carry state from line to line and from file
//! to file (GNU numbers across files), so they run in order on the writer.

use crate::cli::{self, FormatArgs, InputArgs, ProgressArgs, ThreadsArg};
use crate::engine::{self, Event, Flow, Item};
use crate::error::{Error, Result};
use crate::format::csv::{split_fields, write_field};
use crate::format::{Dialect, Header};
use crate::input::{self, stream::StreamOptions, Chunk, ChunkStream, Source, StreamItem};
use crate::output::Output;
use crate::progress::Progress;
use clap::Parser;
use memchr::memchr;
use std::io::Read;
use std::ops::Range;
use std::sync::Arc;

const ABOUT: &str = "Concatenate files to standard output, decompressing gzip inputs and \
reading several inputs in parallel (output stays in input order).";

const EXAMPLES: &str = "\
Examples:
  pcat a.txt b.txt           concatenate, as cat does
  pcat 'logs/*.gz'           expand the glob ourselves (no ARG_MAX limit), inflate in parallel
  pcat -n notes.txt          number lines
  pcat --csv 'parts/*.csv.gz' > all.csv
                             one header, the repeated headers of later parts dropped
  pcat --csv --union-headers --source-column file a.csv b.csv
                             align columns by name, fill gaps, add each row's file";

/// pcat's command line.
#[derive(Parser, Debug, Clone)]
#[command(name = "pcat", version, about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// Equivalent to -vET
    #[arg(short = 'A', long = "show-all")]
    pub show_all: bool,
    /// Number nonempty output lines, overrides -n
    #[arg(short = 'b', long = "number-nonblank")]
    pub number_nonblank: bool,
    /// Equivalent to -vE
    #[arg(short = 'e')]
    pub e: bool,
    /// Display $ at end of each line
    #[arg(short = 'E', long = "show-ends")]
    pub show_ends: bool,
    /// Number all output lines
    #[arg(short = 'n', long = "number")]
    pub number: bool,
    /// Suppress repeated empty output lines
    #[arg(short = 's', long = "squeeze-blank")]
    pub squeeze_blank: bool,
    /// Equivalent to -vT
    #[arg(short = 't')]
    pub t: bool,
    /// Display TAB characters as ^I
    #[arg(short = 'T', long = "show-tabs")]
    pub show_tabs: bool,
    /// (ignored, as in GNU cat)
    #[arg(short = 'u')]
    pub u: bool,
    /// Use ^ and M- notation, except for LFD and TAB
    #[arg(short = 'v', long = "show-nonprinting")]
    pub show_nonprinting: bool,
    /// Keep the first input's header line; drop the same line at the top of
    /// every later input (a different header is an error)
    #[arg(long)]
    pub header: bool,
    /// With a header: align columns by name across inputs, filling missing
    /// ones with empty fields (needs --csv or --tsv)
    #[arg(long)]
    pub union_headers: bool,
    /// With a header: add a column NAME holding each row's input path
    /// (needs --csv or --tsv)
    #[arg(long, value_name = "NAME")]
    pub source_column: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub threads: ThreadsArg,
    #[command(flatten)]
    pub progress: ProgressArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

/// GNU cat's line-formatting options, after expanding -A, -e, -t.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    pub nonprinting: bool,
    pub ends: bool,
    pub tabs: bool,
    pub number: bool,
    pub number_nonblank: bool,
    pub squeeze: bool,
}

impl Style {
    fn from_args(a: &Args) -> Style {
        Style {
            nonprinting: a.show_nonprinting || a.show_all || a.e || a.t,
            ends: a.show_ends || a.show_all || a.e,
            tabs: a.show_tabs || a.show_all || a.t,
            number: a.number || a.number_nonblank,
            number_nonblank: a.number_nonblank,
            squeeze: a.squeeze_blank,
        }
    }

    fn transforms_bytes(&self) -> bool {
        self.nonprinting || self.ends || self.tabs
    }

    fn needs_state(&self) -> bool {
        self.number || self.squeeze
    }
}

/// State carried across lines and files for -n, -b, -s.
#[derive(Clone, Debug)]
pub struct LineState {
    at_line_start: bool,
    line: u64,
    empty_run: u64,
}

impl Default for LineState {
    fn default() -> Self {
        LineState {
            at_line_start: true,
            line: 0,
            empty_run: 0,
        }
    }
}

/// Appends `bytes` with -v/-T/-E applied (no line state involved).
pub fn show_bytes(style: &Style, bytes: &[u8], out: &mut Vec<u8>) {
    if !style.transforms_bytes() {
        out.extend_from_slice(bytes);
        return;
    }
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            // GNU cat 9.1 -E shows the CR of a CRLF line end as ^M.
            b'\r' if style.ends && bytes.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"^M");
            }
            b'\n' => {
                if style.ends {
                    out.push(b'$');
                }
                out.push(b'\n');
            }
            b'\t' => {
                if style.tabs {
                    out.extend_from_slice(b"^I");
                } else {
                    out.push(b'\t');
                }
            }
            _ if style.nonprinting => push_visible(b, out),
            _ => out.push(b),
        }
    }
}

/// GNU cat -v notation for one byte that is not `\n` or `\t`.
fn push_visible(b: u8, out: &mut Vec<u8>) {
    let c = if b >= 128 {
        out.extend_from_slice(b"M-");
        b - 128
    } else {
        b
    };
    match c {
        0..=31 => {
            out.push(b'^');
            out.push(c + 64);
        }
        127 => out.extend_from_slice(b"^?"),
        _ => out.push(c),
    }
}

/// Formats `data` with numbering and squeezing, carrying `state` over.
pub fn format_lines(style: &Style, state: &mut LineState, data: &[u8], out: &mut Vec<u8>) {
    let mut pos = 0;
    while pos < data.len() {
        let end = memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i + 1);
        let line = &data[pos..end];
        pos = end;
        if state.at_line_start && line == b"\n" {
            state.empty_run += 1;
            if style.squeeze && state.empty_run > 1 {
                continue;
            }
            if style.number && !style.number_nonblank {
                push_number(state, out);
            }
            show_bytes(style, line, out);
            continue;
        }
        if state.at_line_start {
            state.empty_run = 0;
            if style.number {
                push_number(state, out);
            }
        }
        show_bytes(style, line, out);
        state.at_line_start = line.last() == Some(&b'\n');
    }
}

fn push_number(state: &mut LineState, out: &mut Vec<u8>) {
    use std::io::Write;
    state.line += 1;
    let _ = write!(out, "{:>6}\t", state.line);
}

/// How headers are treated.
struct HeaderPlan {
    dialect: Dialect,
    /// The header printed (first input's, or the union).
    header: Header,
    /// Per source: output column -> input column, when columns are aligned.
    columns: Vec<Option<Vec<Option<usize>>>>,
    source_column: Option<String>,
}

pub fn run(args: Args) -> Result<i32> {
    let sources = args.input.sources()?;
    let threads = args.threads.get();
    let style = Style::from_args(&args);
    let header_mode = args.header || args.format.has_header();
    if (args.union_headers || args.source_column.is_some()) && args.format.dialect().is_none() {
        return Err(Error::usage(
            "--union-headers and --source-column need --csv or --tsv",
        ));
    }
    if (args.union_headers || args.source_column.is_some()) && !header_mode {
        return Err(Error::usage(
            "--union-headers and --source-column need a header row (not --no-header)",
        ));
    }
    if header_mode && (style.transforms_bytes() || style.needs_state()) {
        return Err(Error::usage(
            "--header cannot be combined with -A, -b, -e, -E, -n, -s, -t, -T or -v",
        ));
    }
    let dialect = args
        .format
        .dialect()
        .unwrap_or_else(|| Dialect::plain(b',', b'\n'));
    let mut out = Output::stdout();
    let mut progress = Progress::new(&args.progress, &sources);
    let opts = StreamOptions::new(dialect.record_format(), threads);
    let stream = ChunkStream::new(sources.clone(), opts);

    if header_mode {
        let plan = plan_headers(&args, &sources, dialect)?;
        return run_with_header(threads, stream, plan, &sources, &mut out, &mut progress);
    }
    if style.needs_state() {
        let mut state = LineState::default();
        let mut buf = Vec::new();
        for item in stream {
            match item {
                StreamItem::Chunk(c) => {
                    progress.inc(c.data.len() as u64);
                    buf.clear();
                    format_lines(&style, &mut state, &c.data, &mut buf);
                    out.write_all(&buf)?;
                }
                StreamItem::Error { error, .. } => cli::warn(&error),
            }
        }
    } else if style.transforms_bytes() {
        let items = stream.map(to_item);
        engine::ordered_map(
            threads,
            items,
            move |c: &Chunk| {
                let mut v = Vec::with_capacity(c.data.len() + c.data.len() / 8);
                show_bytes(&style, &c.data, &mut v);
                v
            },
            |ev| {
                match ev {
                    Event::Mapped(c, v) => {
                        progress.inc(c.data.len() as u64);
                        out.write_all(&v)?;
                    }
                    Event::Passed(e) => cli::warn(&e),
                }
                Ok(Flow::Continue)
            },
        )?;
    } else {
        for item in stream {
            match item {
                StreamItem::Chunk(c) => {
                    progress.inc(c.data.len() as u64);
                    out.write_all(&c.data)?;
                    // As cat, pass on what came in without holding it back
                    // (`tail -f log | pcat`); one flush per chunk is free.
                    out.flush()?;
                }
                StreamItem::Error { error, .. } => cli::warn(&error),
            }
        }
    }
    out.flush()?;
    Ok(cli::status(1))
}

fn to_item(item: StreamItem) -> Item<Chunk, Error> {
    match item {
        StreamItem::Chunk(c) => Item::Work(c),
        StreamItem::Error { error, .. } => Item::Pass(error),
    }
}

/// Reads the first record of a file source (for checking headers before
/// any output is written). Stdin and unreadable files give `None`; their
/// errors surface when the stream reaches them.
fn peek_header(source: &Source, dialect: &Dialect) -> Option<Vec<u8>> {
    if matches!(source, Source::Stdin) {
        return None;
    }
    let mut r = input::decompress::open(source).ok()?;
    let mut buf = Vec::new();
    let mut block = vec![0u8; 64 * 1024];
    loop {
        if let Some(end) = dialect.record_format().last_boundary(&buf) {
            // The first boundary, not the last: re-scan record by record.
            let first = dialect.records(&buf[..end]).next()?;
            return Some(first.body.to_vec());
        }
        let n = r.read(&mut block).ok()?;
        if n == 0 {
            return dialect.records(&buf).next().map(|r| r.body.to_vec());
        }
        buf.extend_from_slice(&block[..n]);
    }
}

fn plan_headers(args: &Args, sources: &[Source], dialect: Dialect) -> Result<HeaderPlan> {
    let headers: Vec<Option<Vec<u8>>> = sources.iter().map(|s| peek_header(s, &dialect)).collect();
    let aligned = args.union_headers;
    if aligned && sources.iter().any(|s| matches!(s, Source::Stdin)) {
        return Err(Error::usage(
            "--union-headers reads every header first and cannot read standard input",
        ));
    }
    let mut plan = HeaderPlan {
        dialect,
        header: Header::default(),
        columns: vec![None; sources.len()],
        source_column: args.source_column.clone(),
    };
    if !aligned {
        // Check up front that every readable file repeats the first header.
        let mut first: Option<(&Source, &Vec<u8>)> = None;
        for (s, h) in sources.iter().zip(&headers) {
            if let Some(h) = h {
                match first {
                    None => first = Some((s, h)),
                    Some((_, f)) if f == h => {}
                    Some((fs, _)) => return Err(header_mismatch(s, fs)),
                }
            }
        }
        return Ok(plan);
    }
    let parsed: Vec<Option<Header>> = headers
        .iter()
        .map(|h| h.as_ref().map(|h| Header::parse(h, &dialect)))
        .collect();
    for h in parsed.iter().flatten() {
        for name in &h.names {
            if plan.header.index_of(name).is_none() {
                plan.header.names.push(name.clone());
            }
        }
    }
    for (i, h) in parsed.iter().enumerate() {
        if let Some(h) = h {
            let map = plan.header.names.iter().map(|n| h.index_of(n)).collect();
            plan.columns[i] = Some(map);
        }
    }
    Ok(plan)
}

fn header_mismatch(source: &Source, first: &Source) -> Error {
    Error::data(format!(
        "{}: header differs from the header of {} (use --union-headers to align columns by name)",
        source.name(),
        first.name()
    ))
}

/// Per-chunk work in header mode: drop the header record of each input's
/// first chunk, and realign columns or add the source column.
fn header_chunk(plan: &HeaderPlan, sources: &[Source], c: &Chunk) -> (Option<Vec<u8>>, Vec<u8>) {
    let mut records = plan.dialect.records(&c.data);
    let header = if c.index == 0 {
        records.next().map(|r| r.body.to_vec())
    } else {
        None
    };
    let rest_start = if c.index == 0 { header_end(plan, c) } else { 0 };
    let body = &c.data[rest_start..];
    let mapping = plan.columns[c.source].as_ref();
    if mapping.is_none() && plan.source_column.is_none() {
        let mut v = body.to_vec();
        if !v.is_empty() && v.last() != Some(&plan.dialect.terminator) {
            v.push(plan.dialect.terminator);
        }
        return (header, v);
    }
    let mut out = Vec::with_capacity(body.len() + body.len() / 4);
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let name = sources[c.source].name();
    for r in plan.dialect.records(body) {
        split_fields(
            r.body,
            plan.dialect.delimiter,
            plan.dialect.quoting,
            &mut ranges,
        );
        match mapping {
            Some(map) => {
                for (k, col) in map.iter().enumerate() {
                    if k > 0 {
                        out.push(plan.dialect.delimiter);
                    }
                    if let Some(range) = col.and_then(|i| ranges.get(i)) {
                        out.extend_from_slice(&r.body[range.clone()]);
                    }
                }
            }
            None => out.extend_from_slice(r.body),
        }
        if plan.source_column.is_some() {
            out.push(plan.dialect.delimiter);
            push_value(&plan.dialect, name.as_bytes(), &mut out);
        }
        out.push(plan.dialect.terminator);
    }
    (header, out)
}

/// The byte where the first record (the header) of a chunk ends.
fn header_end(plan: &HeaderPlan, c: &Chunk) -> usize {
    let mut it = plan.dialect.records(&c.data);
    it.next();
    match it.next() {
        Some(r) => r.start,
        None => c.data.len(),
    }
}

fn push_value(dialect: &Dialect, value: &[u8], out: &mut Vec<u8>) {
    if dialect.quoting {
        write_field(out, value, dialect.delimiter);
    } else {
        out.extend_from_slice(value);
    }
}

fn run_with_header(
    threads: usize,
    stream: ChunkStream,
    plan: HeaderPlan,
    sources: &[Source],
    out: &mut Output,
    progress: &mut Progress,
) -> Result<i32> {
    let plan = Arc::new(plan);
    let sources_arc: Arc<Vec<Source>> = Arc::new(sources.to_vec());
    let mut first: Option<(usize, Vec<u8>)> = None;
    let p = plan.clone();
    let srcs = sources_arc.clone();
    engine::ordered_map(
        threads,
        stream.map(to_item),
        move |c: &Chunk| header_chunk(&p, &srcs, c),
        |ev| {
            match ev {
                Event::Mapped(c, (header, body)) => {
                    progress.inc(c.data.len() as u64);
                    if let Some(h) = header {
                        match &first {
                            None => {
                                write_header(&plan, &h, out)?;
                                first = Some((c.source, h));
                            }
                            Some((fs, fh)) => {
                                if plan.columns[c.source].is_none() && *fh != h {
                                    return Err(header_mismatch(
                                        &sources_arc[c.source],
                                        &sources_arc[*fs],
                                    ));
                                }
                            }
                        }
                    }
                    out.write_all(&body)?;
                }
                Event::Passed(e) => cli::warn(&e),
            }
            Ok(Flow::Continue)
        },
    )?;
    out.flush()?;
    Ok(cli::status(1))
}

fn write_header(plan: &HeaderPlan, first: &[u8], out: &mut Output) -> Result<()> {
    let d = &plan.dialect;
    let mut line = Vec::new();
    if plan.columns.iter().any(Option::is_some) {
        for (i, n) in plan.header.names.iter().enumerate() {
            if i > 0 {
                line.push(d.delimiter);
            }
            push_value(d, n, &mut line);
        }
    } else {
        line.extend_from_slice(first);
    }
    if let Some(name) = &plan.source_column {
        line.push(d.delimiter);
        push_value(d, name.as_bytes(), &mut line);
    }
    line.push(d.terminator);
    out.write_all(&line)
}
