//! Input: which files to read, how to open and decompress them, and how to
//! cut their bytes into record-aligned chunks.
//!
//! - [`source`] turns operands (`-`, paths, globs, `--files0-from`) into a
//!   list of [`Source`]s.
//! - [`decompress`] opens a source and undoes gzip, detected by magic bytes.
//! - [`chunker`] cuts one byte stream into [`Chunk`]s that end on a record
//!   boundary (a line, or a CSV record whose quotes are balanced).
//! - [`stream`] reads several sources at once on background threads and
//!   hands their chunks over in input order.
//! - [`map`] memory-maps a whole regular file (read-only).
//! - [`pieces`] hands out record-aligned slices of memory-mapped regular
//!   files, and a [`stream`]'s chunks for everything else.

pub mod chunker;
pub mod decompress;
pub mod map;
pub mod pieces;
pub mod source;
pub mod stream;

pub use chunker::{Chunk, Chunker, RecordFormat};
pub use pieces::Piece;
pub use pieces::Pieces;
pub use source::Source;
pub use stream::{ChunkStream, StreamItem};

/// Default chunk size: large enough that per-chunk overhead (a channel send,
/// a wake-up) is noise, small enough that a few chunks per thread in flight
/// keep memory far under 100 MiB.
pub const DEFAULT_CHUNK_SIZE: usize = 4 << 20;

/// The chunk size, overridable with `PTOOLS_CHUNK_SIZE` (bytes) so tests can
/// force tiny chunks and every boundary case.
pub fn chunk_size() -> usize {
    std::env::var("PTOOLS_CHUNK_SIZE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_CHUNK_SIZE)
}
