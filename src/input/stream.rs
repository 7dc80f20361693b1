//! Reading many sources at once, handing their chunks over in input order.
//!
//! Threads and channels:
//! - one *dispatcher* thread walks the sources in order; for each it starts a
//!   *reader* thread and queues that reader's chunk receiver on `readers`
//!   (bounded: at most `parallel` sources are being read ahead);
//! - each reader opens and decompresses its source and pushes chunks into
//!   its own bounded channel (`depth` chunks), so a fast reader waits for the
//!   consumer instead of filling memory;
//! - the consumer ([`ChunkStream`]'s iterator) drains source 0's channel,
//!   then source 1's, and so on: order is the operands' order.
//!
//! So gzip parts are inflated `parallel` at a time while the output is still
//! written in order, and a plain file is read by one thread ahead of the
//! workers. Buffers come back through a shared pool when chunks are dropped.
//! Threads are detached: a consumer that stops early (`-m`, `| head`) just
//! drops the stream; a reader blocked on a full channel then sees it closed.

use super::{decompress, Chunk, Chunker, RecordFormat, Source};
use crate::error::Error;
use crossbeam_channel::{bounded, Receiver};
use std::thread;

/// What the stream yields: a chunk, or a source that failed (cannot be
/// opened, or broke mid-way), in input order.
pub enum StreamItem {
    Chunk(Chunk),
    Error { source: usize, error: Error },
}

/// Options for [`ChunkStream::new`].
#[derive(Clone, Debug)]
pub struct StreamOptions {
    pub format: RecordFormat,
    pub chunk_size: usize,
    /// How many sources may be read (and decompressed) at once.
    pub parallel: usize,
    /// How many chunks each reader may have ready ahead of the consumer.
    pub depth: usize,
}

impl StreamOptions {
    pub fn new(format: RecordFormat, threads: usize) -> StreamOptions {
        StreamOptions {
            format,
            chunk_size: super::chunk_size(),
            parallel: threads.max(1),
            depth: 2,
        }
    }
}

/// An iterator over the chunks of all sources, in order.
pub struct ChunkStream {
    readers: Receiver<Receiver<StreamItem>>,
    current: Option<Receiver<StreamItem>>,
}

impl ChunkStream {
    pub fn new(sources: Vec<Source>, opts: StreamOptions) -> ChunkStream {
        let (reader_tx, reader_rx) = bounded(opts.parallel.saturating_sub(1).max(1));
        let pool = bounded::<Vec<u8>>(opts.parallel * opts.depth + 8);
        thread::spawn(move || {
            // Stdin may be named more than once (`pcat - a -`): its readers
            // must not overlap, or they would split its bytes between them.
            let mut stdin_reader: Option<thread::JoinHandle<()>> = None;
            for (i, source) in sources.into_iter().enumerate() {
                let is_stdin = matches!(source, Source::Stdin);
                if is_stdin {
                    if let Some(h) = stdin_reader.take() {
                        let _ = h.join();
                    }
                }
                let (tx, rx) = bounded(opts.depth);
                let opts = opts.clone();
                let pool = pool.clone();
                if reader_tx.send(rx).is_err() {
                    return;
                }
                let handle = thread::spawn(move || {
                    let reader = match decompress::open(&source) {
                        Ok(r) => r,
                        Err(error) => {
                            let _ = tx.send(StreamItem::Error { source: i, error });
                            return;
                        }
                    };
                    let mut chunker =
                        Chunker::new(reader, opts.format, opts.chunk_size, i).with_pool(pool);
                    if matches!(source, Source::Stdin) {
                        chunker = chunker.with_idle_probe(libc::STDIN_FILENO);
                    }
                    for item in chunker {
                        let msg = match item {
                            Ok(c) => StreamItem::Chunk(c),
                            Err(e) => StreamItem::Error {
                                source: i,
                                error: Error::io(source.name(), e),
                            },
                        };
                        if tx.send(msg).is_err() {
                            return;
                        }
                    }
                });
                if is_stdin {
                    stdin_reader = Some(handle);
                }
            }
        });
        ChunkStream {
            readers: reader_rx,
            current: None,
        }
    }
}

impl Iterator for ChunkStream {
    type Item = StreamItem;

    fn next(&mut self) -> Option<StreamItem> {
        loop {
            if self.current.is_none() {
                self.current = Some(self.readers.recv().ok()?);
            }
            match self.current.as_ref().unwrap().recv() {
                Ok(item) => return Some(item),
                Err(_) => self.current = None,
            }
        }
    }
}
