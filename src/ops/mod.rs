//! One module per tool. Each exposes its clap `Args` and
//! `run(args) -> Result<i32>` (the exit status of a normal finish); the
//! per-chunk work is plain functions over bytes so tests and the cluster
//! layer can call it without threads or files.

pub mod cat;
pub mod cut;
pub mod grep;
pub mod groupby;
pub mod join;
pub mod merge;
pub mod sort;

use clap::CommandFactory;

/// Every tool's name and clap command, for man pages and docs.
pub fn commands() -> Vec<(&'static str, clap::Command)> {
    vec![
        ("pcat", cat::Args::command()),
        ("pcut", cut::Args::command()),
        ("pmerge", merge::Args::command()),
        ("psort", sort::Args::command()),
        ("pgrep", grep::Args::command()),
        ("pgroupby", groupby::Args::command()),
        ("pjoin", join::Args::command()),
    ]
}
