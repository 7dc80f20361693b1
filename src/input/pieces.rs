//! What pgrep's and pgroupby's workers read: [`Piece`]s, record-aligned
//! slices of either a memory-mapped regular file or a chunk from the
//! shared reader ([`ChunkStream`], for stdin, gzip, pipes and anything
//! not mappable; a run of such sources is streamed together, so several
//! are read and decompressed at once).
//!
//! Why a memory map, although the shared input layer measured `read(2)`
//! faster for pcut: for a search or an aggregation the copy is the
//! bottleneck. `read(2)` copies the whole file on the one reader thread,
//! while faults on a map are taken by whichever thread touches the pages
//! first. Measured on lines.txt at scale 1 (1 GiB, cached, 2 cores,
//! loaded machine, 3 runs): `pgrep -c ERROR` 0.18-0.28 s mapped vs
//! 0.28-0.31 s read from stdin; `pgrep ERROR` 0.20 s vs 0.28 s; peak RSS
//! 32-43 MiB vs 17-30 MiB (thanks to the release below). pgroupby's
//! low-cardinality benchmark query on trips.csv (2-core Intel Xeon, 15
//! interleaved runs): 0.62 s read vs 0.54 s mapped (medians), CPU time
//! 1.20 vs 1.05 s, peak RSS 44 vs 32 MiB. A C test on the same machine:
//! reading the cached 963 MiB file in 4 MiB `read`s took 0.15 s, mapping
//! and touching it 0.06 s.
//!
//! Hazards:
//! - a file truncated by another process while mapped makes a read of
//!   the lost pages raise SIGBUS (ripgrep has the same exposure); files
//!   are only mapped when they are regular, non-empty and not gzip;
//! - resident memory: touched file pages count in our RSS. Dropping a
//!   piece `madvise(MADV_DONTNEED)`s the pages wholly inside it, so RSS
//!   stays at the engine's few pieces in flight (a page shared with a
//!   neighbour piece is simply faulted in again from the page cache).
//!
//! Threads: none of its own. The iterator runs on the engine's feeder
//! thread; a run of streamed sources gets one [`ChunkStream`] (reader
//! threads of the input layer) when its turn comes.

use super::map::{Map, Population};
use crate::input::{
    self, stream::StreamOptions, Chunk, ChunkStream, RecordFormat, Source, StreamItem,
};
use memchr::memrchr;
use std::ops::Range;
use std::sync::Arc;

/// A run of whole lines of one source.
pub struct Piece {
    /// Index of the source among the inputs.
    pub source: usize,
    /// Position of the piece among its source's pieces (0 = first).
    pub index: u64,
    /// Byte offset of the piece in the (decompressed) source.
    pub offset: u64,
    /// True for the last piece of its source.
    pub last: bool,
    /// The source paused after this piece (a quiet pipe): see
    /// [`crate::input::Chunk::paused`].
    pub paused: bool,
    body: Body,
}

enum Body {
    Chunk(Chunk),
    Mapped(Arc<Map>, Range<usize>),
}

impl Piece {
    pub fn data(&self) -> &[u8] {
        match &self.body {
            Body::Chunk(c) => &c.data,
            Body::Mapped(m, r) => &m.bytes()[r.clone()],
        }
    }
}

impl Drop for Piece {
    fn drop(&mut self) {
        if let Body::Mapped(m, r) = &self.body {
            m.release(r.clone());
        }
    }
}

/// An input error, with its source.
pub type Failure = (usize, crate::error::Error);

enum Current {
    None,
    Mapped {
        map: Arc<Map>,
        pos: usize,
        index: u64,
        source: usize,
    },
    /// A run of sources from `first` on, streamed.
    Stream {
        stream: ChunkStream,
        first: usize,
    },
}

/// Pieces of all sources, in order.
pub struct Pieces {
    sources: Vec<Source>,
    next: usize,
    current: Current,
    format: RecordFormat,
    chunk_size: usize,
    threads: usize,
    /// The map of source `next`, opened while ending a streamed run.
    mapped_next: Option<Map>,
}

impl Pieces {
    pub fn new(sources: Vec<Source>, format: RecordFormat, threads: usize) -> Pieces {
        Pieces {
            sources,
            next: 0,
            current: Current::None,
            format,
            chunk_size: input::chunk_size(),
            threads,
            mapped_next: None,
        }
    }

    /// Pieces (and streamed chunks) of about `n` bytes.
    pub fn with_chunk_size(mut self, n: usize) -> Pieces {
        self.chunk_size = n.max(1);
        self
    }
}

impl Iterator for Pieces {
    type Item = Result<Piece, Failure>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match &mut self.current {
                Current::None => {
                    let i = self.next;
                    let source = self.sources.get(i)?;
                    self.next += 1;
                    let map = match self.mapped_next.take() {
                        Some(m) => Some(m),
                        None => source
                            .path()
                            .and_then(|p| Map::open(p, Population::OnTouch)),
                    };
                    if let Some(map) = map {
                        self.current = Current::Mapped {
                            map: Arc::new(map),
                            pos: 0,
                            index: 0,
                            source: i,
                        };
                        continue;
                    }
                    // A run of sources that do not map (stdin, gzip,
                    // pipes) is streamed together, so that several are
                    // read and decompressed at once; the first one that
                    // maps ends it and is kept for the next turn.
                    while let Some(s) = self.sources.get(self.next) {
                        if let Some(m) = s.path().and_then(|p| Map::open(p, Population::OnTouch)) {
                            self.mapped_next = Some(m);
                            break;
                        }
                        self.next += 1;
                    }
                    self.current = Current::Stream {
                        stream: ChunkStream::new(
                            self.sources[i..self.next].to_vec(),
                            StreamOptions {
                                chunk_size: self.chunk_size,
                                ..StreamOptions::new(self.format, self.threads)
                            },
                        ),
                        first: i,
                    };
                }
                Current::Mapped {
                    map,
                    pos,
                    index,
                    source,
                } => {
                    let bytes = map.bytes();
                    let start = *pos;
                    if start >= bytes.len() {
                        self.current = Current::None;
                        continue;
                    }
                    let end = piece_end(self.format, bytes, start, self.chunk_size);
                    *pos = end;
                    *index += 1;
                    return Some(Ok(Piece {
                        source: *source,
                        index: *index - 1,
                        offset: start as u64,
                        last: end == bytes.len(),
                        paused: false,
                        body: Body::Mapped(map.clone(), start..end),
                    }));
                }
                Current::Stream { stream, first } => match stream.next() {
                    Some(StreamItem::Chunk(c)) => {
                        return Some(Ok(Piece {
                            source: *first + c.source,
                            index: c.index,
                            offset: c.offset,
                            last: c.last,
                            paused: c.paused,
                            body: Body::Chunk(c),
                        }))
                    }
                    Some(StreamItem::Error { source, error }) => {
                        return Some(Err((*first + source, error)))
                    }
                    None => self.current = Current::None,
                },
            }
        }
    }
}

/// The end of the piece starting at record boundary `start`: the last
/// record boundary within `chunk_size` bytes, or further when one record
/// is longer (a record is never split).
fn piece_end(format: RecordFormat, bytes: &[u8], start: usize, chunk_size: usize) -> usize {
    let mut size = chunk_size.max(1);
    loop {
        let want = start.saturating_add(size).min(bytes.len());
        if want == bytes.len() {
            return want;
        }
        let window = &bytes[start..want];
        let found = match format {
            RecordFormat::Lines { terminator } => memrchr(terminator, window),
            RecordFormat::Csv { quote } => last_csv_boundary(window, quote),
        };
        if let Some(k) = found {
            return start + k + 1;
        }
        size = size.saturating_mul(2);
    }
}

/// The last newline of `window` outside quotes (the window starts outside
/// quotes). Counts quote bytes only (rarer than newlines in real CSV), then
/// walks back from the end to the first newline with even quote parity.
/// The chunker's forward scan visits every newline; this visits the quotes
/// and the last few newlines.
fn last_csv_boundary(window: &[u8], quote: u8) -> Option<usize> {
    let total = memchr::memchr_iter(quote, window).count();
    let mut limit = window.len();
    let mut after = 0;
    while let Some(n) = memrchr(b'\n', &window[..limit]) {
        after += memchr::memchr_iter(quote, &window[n..limit]).count();
        if (total - after).is_multiple_of(2) {
            return Some(n);
        }
        limit = n;
    }
    None
}
