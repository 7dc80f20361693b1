//! ptools: parallel, out-of-core Unix tools for big files.
//!
//! Seven thin binaries (`src/bin/`) over this library. Data flows
//! Source → Chunker → Engine → Sink:
//!
//! - [`input`]: operands, globs, decompression, record-aligned chunks;
//! - [`format`](mod@format): records, fields, CSV quoting, field lists,
//!   headers;
//! - [`engine`]: the bounded ordered parallel map every tool runs on;
//! - [`shuffle`]: external sort, spill files and k-way merge under a
//!   memory budget;
//! - [`ops`]: one module per tool, its arguments and its logic;
//! - [`cli`], [`output`], [`error`], [`progress`]: the conventions every
//!   tool shares; [`word`]: short byte strings as one integer.
//!
//! See `docs/ARCHITECTURE.md` for threads, channels and buffer ownership.

pub mod cli;
pub mod engine;
pub mod error;
pub mod format;
pub mod input;
pub mod ops;
pub mod output;
pub mod progress;
pub mod shuffle;
pub mod word;

pub use error::{Error, Result};
