//! `pcat`: thin main; the work is in [`ptools::ops::cat`].

fn main() {
    ptools::cli::main("pcat", 1, ptools::ops::cat::run)
}
