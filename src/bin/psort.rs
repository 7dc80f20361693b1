//! `psort`: thin main; the work is in [`ptools::ops::sort`].

fn main() {
    ptools::cli::main("psort", 2, ptools::ops::sort::run)
}
