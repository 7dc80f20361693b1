//! The integration tests: one binary (`autotests = false`) so it links once.
//! Each tool has its own module; `common` holds the harness.

mod common;

mod cat;
mod cut;
mod grep;
mod groupby;
mod join;
mod man;
mod merge;
mod sort;
