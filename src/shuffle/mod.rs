//! The shuffle layer: everything that moves records through temporary
//! files under one memory budget. Shared by psort, pmerge, pgroupby and
//! pjoin.
//!
//! - [`tmp`]: private temp directories under `-T`/`$TMPDIR`/`/tmp`,
//!   removed on success, on error and on SIGINT/SIGTERM/SIGHUP;
//! - [`spill`]: writing records to a spill file and reading them back;
//! - [`partition`]: hash partitioning of records into spill files
//!   (grace-style group-by and join);
//! - [`sort`]: external sort of records under a budget (sorted runs,
//!   spill, k-way merge);
//! - [`run`]: sorted runs on disk and the record sources a merge reads
//!   (runs, text inputs, byte slices);
//! - [`merge`]: the loser tree, and multi-level merging of runs;
//! - [`ranged`]: sorted input files read by byte range (pmerge's parallel
//!   merge).

pub mod merge;
pub mod partition;
pub mod ranged;
pub mod run;
pub mod sort;
pub mod spill;
pub mod tmp;

/// Default memory budget when a tool is given no `-S`: a quarter of
/// physical memory, capped at 1 GiB, so several tools in one pipeline
/// do not fight over memory and small machines still have room.
pub fn default_budget() -> u64 {
    (crate::cli::size::physical_memory() / 4).min(1 << 30)
}
