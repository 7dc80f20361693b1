//! The sink of line mode: turns the workers' chunk-relative hits into GNU
//! grep's output, in input order, on the caller's thread.
//!
//! Per-file state carried across chunks:
//! - `line_base`: lines in earlier chunks (a prefix sum), for `-n`;
//! - `count` and `done`: the `-m` cut-off and `-l`'s first match;
//! - `after_left`: trailing context still owed, printed from the start of
//!   the next chunk;
//! - `ring`: the last `-B` unprinted lines of earlier chunks (copied, at
//!   most B lines), for leading context that reaches back over a boundary;
//! - `last_printed`: the last line printed, to avoid printing a line twice
//!   and to place `--` group separators exactly where GNU does.
//!
//! Binary files (a NUL byte, unless `-a`/`-z`): GNU grep decides on its
//! first read (96 KiB from a file) whether a file is binary. To give the
//! same answer at every chunk size, the sink holds a file's first chunks
//! back until 96 KiB (or the file's end) is seen. A NUL found later makes
//! the file binary from the line holding it (GNU switches at its 32 KiB
//! buffer edge before it; a small, documented difference). In a binary
//! stretch output is quiet, NUL bytes end lines as in GNU, and the first
//! selected line ends the file with "binary file matches" on stderr; that
//! stretch is re-searched on this thread (binary files are rare).

use super::search::{self, ChunkHits, SearchOptions, Want};
use super::{BinaryFiles, Config};
use crate::cli;
use crate::engine::{self, Event, Flow};
use crate::error::{Error, Result};
use crate::input::pieces::{Piece, Pieces};
use crate::output::Output;
use crate::progress::Progress;
use memchr::{memchr, memrchr};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::pattern::Matcher;

/// How much of a file GNU grep reads before deciding it is text.
const FIRST_READ: u64 = 96 * 1024;

/// Runs line mode: the engine with [`search::search_chunk`] on the workers
/// and a [`Printer`] as the sink. Returns the exit status.
pub fn run(
    cfg: Config,
    matcher: Matcher,
    pieces: Pieces,
    nsources: usize,
    threads: usize,
    mut progress: Progress,
) -> Result<i32> {
    let detect_binary = cfg.binary_files != BinaryFiles::Text && cfg.eol != 0;
    let sopts = SearchOptions {
        invert: cfg.invert,
        eol: cfg.eol,
        want: if cfg.count_only() {
            Want::Count
        } else {
            Want::Lines
        },
        number: cfg.line_number || cfg.context,
        detect_binary,
    };
    // Sources below this index need no more searching (a worker skips
    // their chunks): set by the sink when a file is done early.
    let skip_below = Arc::new(AtomicUsize::new(0));
    let matcher = Arc::new(matcher);
    let cfg = Arc::new(cfg);
    let mut printer = Printer::new(cfg.clone(), matcher.clone(), sopts, nsources, detect_binary);
    let worker_skip = skip_below.clone();
    let worker_matcher = matcher.clone();
    let result = engine::ordered_map(
        threads,
        pieces.map(|p| match p {
            Ok(p) => engine::Item::Work(p),
            Err(f) => engine::Item::Pass(f),
        }),
        move |c: &Piece| {
            if c.source < worker_skip.load(Ordering::Relaxed) {
                return ChunkHits {
                    skipped: true,
                    ..ChunkHits::default()
                };
            }
            search::search_chunk(&worker_matcher, c.data(), &sopts)
        },
        |ev| {
            let flow = match ev {
                Event::Mapped(c, r) => {
                    progress.inc(c.data().len() as u64);
                    printer.chunk(c, r)?
                }
                Event::Passed((source, e)) => printer.error(source, e)?,
            };
            if printer.file.done && printer.file.after_left == 0 {
                skip_below.store(printer.file.source + 1, Ordering::Relaxed);
                if printer.file.source + 1 == nsources && !printer.file.pending_any() {
                    return Ok(Flow::Stop);
                }
            }
            Ok(flow)
        },
    );
    progress.finish();
    result?;
    if printer.stopped_quiet {
        return Ok(0);
    }
    printer.finish_all()?;
    let status = if printer.trouble && !(cfg.quiet && printer.any_selected) {
        2
    } else if printer.any_selected {
        0
    } else {
        1
    };
    Ok(status)
}

/// A line kept for leading context across a chunk boundary.
#[derive(Debug)]
struct Kept {
    line: u64,
    offset: u64,
    bytes: Vec<u8>,
}

/// Per-file state (see the module doc).
#[derive(Default)]
pub struct FileState {
    pub source: usize,
    line_base: u64,
    count: u64,
    pub done: bool,
    pub after_left: u64,
    last_printed: Option<u64>,
    ring: VecDeque<Kept>,
    binary: bool,
    binary_hits: u64,
    decided: bool,
    pending: Vec<(Piece, ChunkHits)>,
    pending_bytes: u64,
    errored: bool,
    started: bool,
}

impl FileState {
    fn new(source: usize, decided: bool) -> FileState {
        FileState {
            source,
            decided,
            ..FileState::default()
        }
    }

    pub fn pending_any(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// The line-mode sink.
pub struct Printer {
    cfg: Arc<Config>,
    matcher: Arc<Matcher>,
    sopts: SearchOptions,
    nsources: usize,
    detect_binary: bool,
    out: Output,
    buf: Vec<u8>,
    /// Something was printed (GNU's `used`): a later group gets `--`.
    used: bool,
    pub any_selected: bool,
    pub trouble: bool,
    pub stopped_quiet: bool,
    pub file: FileState,
}

impl Printer {
    fn new(
        cfg: Arc<Config>,
        matcher: Arc<Matcher>,
        sopts: SearchOptions,
        nsources: usize,
        detect_binary: bool,
    ) -> Printer {
        Printer {
            cfg,
            matcher,
            sopts,
            nsources,
            detect_binary,
            out: Output::stdout(),
            buf: Vec::with_capacity(1 << 20),
            used: false,
            any_selected: false,
            trouble: false,
            stopped_quiet: false,
            file: FileState::new(0, !detect_binary),
        }
    }

    /// Moves on to `source`, finishing the files before it (including
    /// empty files, which yield no chunk).
    fn advance(&mut self, source: usize) -> Result<()> {
        while self.file.source < source {
            self.finish_file()?;
            self.file = FileState::new(self.file.source + 1, !self.detect_binary);
        }
        Ok(())
    }

    /// An input that failed.
    fn error(&mut self, source: usize, e: Error) -> Result<Flow> {
        self.advance(source)?;
        self.file.errored = true;
        // GNU opens a directory fine and fails on reading it: it then
        // still reports the file (`-c` prints 0, `-L` lists it). A file
        // that cannot be opened is not reported.
        if let Some(super::Source::Path(p)) = self.cfg.sources.get(source) {
            self.file.started |= std::fs::File::open(p).is_ok();
        }
        self.trouble = true;
        if !self.cfg.no_messages {
            self.flush()?;
            cli::message(&e);
        }
        Ok(Flow::Continue)
    }

    fn chunk(&mut self, c: Piece, r: ChunkHits) -> Result<Flow> {
        self.advance(c.source)?;
        self.file.started = true;
        if r.skipped || (self.file.done && self.file.after_left == 0) {
            return Ok(Flow::Continue);
        }
        if !self.file.decided {
            // Only a NUL inside GNU's first read makes the whole file binary.
            let nul = r
                .first_nul
                .is_some_and(|k| c.offset + (k as u64) < FIRST_READ);
            self.file.pending_bytes += c.data().len() as u64;
            let last = c.last;
            // A pipe that paused ends GNU's first read early too: decide on
            // what came, so `tail -f | pgrep --line-buffered` streams.
            let paused = c.paused;
            self.file.pending.push((c, r));
            if nul {
                self.file.binary = true;
                self.file.decided = true;
            } else if self.file.pending_bytes >= FIRST_READ || last || paused {
                self.file.decided = true;
            }
            if !self.file.decided {
                return Ok(Flow::Continue);
            }
            if self.file.binary && self.cfg.binary_files == BinaryFiles::WithoutMatch {
                self.file.pending.clear();
                self.file.done = true;
                return Ok(Flow::Continue);
            }
            let pending = std::mem::take(&mut self.file.pending);
            for (c, r) in pending {
                let flow = self.process(&c, &r)?;
                if flow == Flow::Stop {
                    return Ok(Flow::Stop);
                }
            }
            return Ok(Flow::Continue);
        }
        self.process(&c, &r)
    }

    fn process(&mut self, c: &Piece, r: &ChunkHits) -> Result<Flow> {
        let data = c.data();
        let line_base = self.file.line_base;
        self.file.line_base += r.lines;
        if self.file.done && self.file.after_left == 0 {
            return Ok(Flow::Continue);
        }
        if self.file.binary {
            return self.binary(data);
        }
        let upto = match r.first_nul {
            Some(k) => memrchr(self.cfg.eol, &data[..k]).map_or(0, |i| i + 1),
            None => data.len(),
        };
        let flow = if self.sopts.want == Want::Count {
            let n = if upto == data.len() {
                r.count
            } else {
                search::search_chunk(&self.matcher, &data[..upto], &self.sopts).count
            };
            self.add_count(n)
        } else {
            self.lines(c, r, upto, line_base)?
        };
        if flow == Flow::Stop {
            return Ok(Flow::Stop);
        }
        if r.first_nul.is_some() {
            self.file.binary = true;
            self.file.after_left = 0;
            if self.cfg.binary_files == BinaryFiles::WithoutMatch {
                // GNU: a file found binary late counts as not matching.
                self.file.count = 0;
                self.file.done = true;
                return Ok(Flow::Continue);
            }
            return self.binary(&data[upto..]);
        }
        self.maybe_flush()?;
        Ok(Flow::Continue)
    }

    /// Adds `n` selected lines found by counting (`-c -l -L -q`).
    fn add_count(&mut self, n: u64) -> Flow {
        if n == 0 || self.file.done {
            return Flow::Continue;
        }
        let room = self.cfg.max_count.map_or(u64::MAX, |m| m - self.file.count);
        self.file.count += n.min(room);
        if self.cfg.quiet {
            self.any_selected = true;
            self.stopped_quiet = true;
            return Flow::Stop;
        }
        if self.cfg.files_with_matches
            || self.cfg.files_without_match
            || Some(self.file.count) == self.cfg.max_count
        {
            self.file.done = true;
        }
        Flow::Continue
    }

    /// A binary stretch: quiet; counts only.
    fn binary(&mut self, data: &[u8]) -> Result<Flow> {
        if self.file.done {
            return Ok(Flow::Continue);
        }
        let limit = if self.cfg.count {
            self.cfg.max_count.map_or(u64::MAX, |m| m - self.file.count)
        } else {
            1
        };
        let n = search::count_binary(&self.matcher, data, self.cfg.eol, self.cfg.invert, limit);
        if n == 0 {
            return Ok(Flow::Continue);
        }
        self.file.binary_hits += n;
        if self.sopts.want == Want::Count {
            return Ok(self.add_count(n));
        }
        self.file.count += n;
        self.file.done = true;
        Ok(Flow::Continue)
    }

    /// Prints the after-context lines still owed (`after_left`) from
    /// `*cur` up to `end`, advancing `*cur` and its line number `*cur_line`.
    fn after_context(
        &mut self,
        c: &Piece,
        end: usize,
        line_base: u64,
        cur: &mut usize,
        cur_line: &mut u64,
    ) {
        let data = c.data();
        while self.file.after_left > 0 && *cur < end {
            let e = memchr(self.cfg.eol, &data[*cur..]).map_or(data.len(), |i| *cur + i);
            self.emit(
                b'-',
                line_base + *cur_line,
                c.offset + *cur as u64,
                &data[*cur..e],
                false,
            );
            self.file.after_left -= 1;
            *cur = e + 1;
            *cur_line += 1;
        }
    }

    /// Prints the selected lines of `c` before `upto`, with context.
    fn lines(&mut self, c: &Piece, r: &ChunkHits, upto: usize, line_base: u64) -> Result<Flow> {
        let data = c.data();
        let eol = self.cfg.eol;
        // Position after the last line printed in this chunk, and its
        // chunk-relative line number.
        let mut cur = 0usize;
        let mut cur_line = 0u64;
        for h in &r.hits {
            if h.start >= upto || self.file.done {
                break;
            }
            // Trailing context of the previous selected line.
            self.after_context(c, h.start, line_base, &mut cur, &mut cur_line);
            let abs = line_base + h.line;
            if self.cfg.before > 0 {
                let lo = abs
                    .saturating_sub(self.cfg.before)
                    .max(self.file.last_printed.map_or(0, |l| l + 1));
                if lo < line_base {
                    let kept: Vec<(u64, u64, Vec<u8>)> = self
                        .file
                        .ring
                        .iter()
                        .filter(|k| k.line >= lo)
                        .map(|k| (k.line, k.offset, k.bytes.clone()))
                        .collect();
                    for (line, offset, bytes) in kept {
                        self.emit(b'-', line, offset, &bytes, false);
                    }
                }
                let want = abs - lo.max(line_base).min(abs);
                let mut starts = Vec::with_capacity(want as usize);
                let mut p = h.start;
                while (starts.len() as u64) < want && p > cur {
                    let e = p - 1;
                    let s = memrchr(eol, &data[..e]).map_or(0, |i| i + 1);
                    starts.push((s, e));
                    p = s;
                }
                for (k, &(s, e)) in starts.iter().rev().enumerate() {
                    let line = abs - starts.len() as u64 + k as u64;
                    self.emit(b'-', line, c.offset + s as u64, &data[s..e], false);
                }
            }
            self.emit(
                b':',
                abs,
                c.offset + h.start as u64,
                &data[h.start..h.end],
                true,
            );
            self.file.count += 1;
            self.any_selected = true;
            cur = h.end + 1;
            cur_line = h.line + 1;
            self.file.after_left = self.cfg.after;
            if Some(self.file.count) == self.cfg.max_count {
                self.file.done = true;
            }
        }
        self.after_context(c, upto, line_base, &mut cur, &mut cur_line);
        if self.cfg.before > 0 && upto == data.len() && !self.file.done {
            self.keep_tail(c, r, cur, line_base);
        }
        Ok(Flow::Continue)
    }

    /// Keeps the last `-B` unprinted lines of a chunk for the next one.
    fn keep_tail(&mut self, c: &Piece, r: &ChunkHits, cur: usize, line_base: u64) {
        let data = c.data();
        let eol = self.cfg.eol;
        let b = self.cfg.before as usize;
        let mut tail: Vec<Kept> = Vec::new();
        let mut p = data.len();
        let mut line = line_base + r.lines;
        while tail.len() < b && p > cur {
            let e = if p == data.len() && data[p - 1] != eol {
                p
            } else {
                p - 1
            };
            let s = memrchr(eol, &data[..e]).map_or(0, |i| i + 1);
            line -= 1;
            tail.push(Kept {
                line,
                offset: c.offset + s as u64,
                bytes: data[s..e].to_vec(),
            });
            p = s;
        }
        if cur > 0 || tail.len() >= b {
            self.file.ring.clear();
        }
        for k in tail.into_iter().rev() {
            self.file.ring.push_back(k);
        }
        while self.file.ring.len() > b {
            self.file.ring.pop_front();
        }
    }

    /// Prints one line (selected: `sep == ':'`; context: `'-'`), with the
    /// group separator before it when it starts a new group.
    fn emit(&mut self, sep: u8, line: u64, offset: u64, bytes: &[u8], selected: bool) {
        if self.cfg.context {
            if let Some(gs) = &self.cfg.group_separator {
                let adjacent = self.file.last_printed.is_some_and(|l| l + 1 == line);
                if self.used && !adjacent {
                    if self.cfg.color {
                        sgr(&mut self.buf, SEP_COLOR, gs);
                    } else {
                        self.buf.extend_from_slice(gs);
                    }
                    self.buf.push(b'\n');
                }
            }
        }
        self.used = true;
        self.file.last_printed = Some(line);
        if self.cfg.only_matching {
            if !selected {
                return;
            }
            let matcher = self.matcher.clone();
            matcher.for_each_match(bytes, |s, e| {
                self.prefix(sep, line, offset + s as u64);
                if self.cfg.color {
                    sgr(&mut self.buf, MATCH_COLOR, &bytes[s..e]);
                } else {
                    self.buf.extend_from_slice(&bytes[s..e]);
                }
                self.buf.push(self.cfg.eol);
            });
            return;
        }
        self.prefix(sep, line, offset);
        // GNU colours the matches of selected lines, or with -v those of
        // context lines (the lines that match).
        if self.cfg.color && (selected != self.cfg.invert) {
            let matcher = self.matcher.clone();
            let mut at = 0;
            matcher.for_each_match(bytes, |s, e| {
                self.buf.extend_from_slice(&bytes[at..s]);
                sgr(&mut self.buf, MATCH_COLOR, &bytes[s..e]);
                at = e;
            });
            self.buf.extend_from_slice(&bytes[at..]);
        } else {
            self.buf.extend_from_slice(bytes);
        }
        self.buf.push(self.cfg.eol);
    }

    #[inline]
    fn prefix(&mut self, sep: u8, line: u64, offset: u64) {
        let (with_filename, null, line_number, byte_offset) = (
            self.cfg.with_filename,
            self.cfg.null,
            self.cfg.line_number,
            self.cfg.byte_offset,
        );
        if with_filename {
            self.name(self.file.source);
            if null {
                self.buf.push(0);
            } else {
                self.sep(sep);
            }
        }
        if line_number {
            self.number(line + 1);
            self.sep(sep);
        }
        if byte_offset {
            self.number(offset);
            self.sep(sep);
        }
    }

    /// A file name, coloured as GNU's `fn=35`.
    fn name(&mut self, source: usize) {
        let name = &self.cfg.names[source];
        if self.cfg.color {
            sgr(&mut self.buf, NAME_COLOR, name);
        } else {
            self.buf.extend_from_slice(name);
        }
    }

    fn sep(&mut self, sep: u8) {
        if self.cfg.color {
            sgr(&mut self.buf, SEP_COLOR, &[sep]);
        } else {
            self.buf.push(sep);
        }
    }

    fn number(&mut self, n: u64) {
        if self.cfg.color {
            let mut v = Vec::with_capacity(20);
            push_u64(&mut v, n);
            sgr(&mut self.buf, NUMBER_COLOR, &v);
        } else {
            push_u64(&mut self.buf, n);
        }
    }

    fn maybe_flush(&mut self) -> Result<()> {
        if self.buf.len() >= 1 << 18 || self.cfg.line_buffered {
            self.flush()?;
            if self.cfg.line_buffered {
                self.out.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Ends the current file: held-back chunks, `-c`, `-l`, `-L`, and the
    /// binary-file notice.
    fn finish_file(&mut self) -> Result<()> {
        if !self.file.pending.is_empty() {
            self.file.decided = true;
            let pending = std::mem::take(&mut self.file.pending);
            for (c, r) in pending {
                if self.process(&c, &r)? == Flow::Stop {
                    return Ok(());
                }
            }
        }
        let f = &self.file;
        if f.errored && !f.started {
            return Ok(());
        }
        let cfg = self.cfg.clone();
        let name = &cfg.names[f.source];
        let (source, count) = (f.source, f.count);
        if cfg.count {
            if cfg.with_filename {
                self.name(source);
                if cfg.null {
                    self.buf.push(0);
                } else {
                    self.sep(b':');
                }
            }
            push_u64(&mut self.buf, count);
            self.buf.push(b'\n');
        }
        let listed = if cfg.files_with_matches {
            count > 0
        } else {
            cfg.files_without_match && count == 0
        };
        if listed {
            self.name(source);
            self.buf.push(if cfg.null { 0 } else { b'\n' });
        }
        if count > 0 {
            self.any_selected = true;
        }
        if self.file.binary_hits > 0 && !cfg.count_only() {
            self.flush()?;
            cli::message(format!(
                "{}: binary file matches",
                String::from_utf8_lossy(name)
            ));
        }
        self.flush()
    }

    /// Finishes the last file and any files after it that had no chunk.
    fn finish_all(&mut self) -> Result<()> {
        let last = self.nsources.saturating_sub(1);
        self.advance(last)?;
        if self.file.source == last && self.nsources > 0 {
            self.finish_file()?;
        }
        self.flush()?;
        self.out.flush()
    }
}

/// GNU grep's default colours (GREP_COLORS unset): `ms=01;31`, `fn=35`,
/// `ln=32`, `bn=32`, `se=36`.
const MATCH_COLOR: &[u8] = b"01;31";
const NAME_COLOR: &[u8] = b"35";
const NUMBER_COLOR: &[u8] = b"32";
const SEP_COLOR: &[u8] = b"36";

/// Appends `text` between GNU's SGR start and end sequences.
fn sgr(out: &mut Vec<u8>, color: &[u8], text: &[u8]) {
    out.extend_from_slice(b"\x1b[");
    out.extend_from_slice(color);
    out.extend_from_slice(b"m\x1b[K");
    out.extend_from_slice(text);
    out.extend_from_slice(b"\x1b[m\x1b[K");
}

/// Appends `n` in decimal.
#[inline]
pub fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}
