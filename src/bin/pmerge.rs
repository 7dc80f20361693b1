//! `pmerge`: thin main; the work is in [`ptools::ops::merge`].

fn main() {
    ptools::cli::main("pmerge", 2, ptools::ops::merge::run)
}
