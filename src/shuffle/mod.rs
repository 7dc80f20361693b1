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
//! - [`splitmerge`]: an external sort's final merge on every core (runs
//!   cut by key range at sampled splitters);
//! - [`ranged`]: sorted input files read by byte range (pmerge's parallel
//!   merge).

pub mod merge;
pub mod partition;
pub mod ranged;
pub mod run;
pub mod sort;
pub mod spill;
pub mod splitmerge;
pub mod tmp;

/// Default memory budget when a tool is given no `-S`: an eighth of
/// physical memory, so a 1 GiB input sorts in memory on a machine of
/// 16 GiB or more and several tools of one pipeline still fit side by
/// side (GNU sort's default is larger: it sizes its buffer from the input
/// and the available memory). Only what the data touches is resident: the budget is a ceiling,
/// not an allocation. (The earlier cap of 1 GiB made psort spill one run
/// of lines.txt and of trips.csv at scale 1: see BENCHMARKS.md.)
pub fn default_budget() -> u64 {
    crate::cli::size::physical_memory() / 8
}
