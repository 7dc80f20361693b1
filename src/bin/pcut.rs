//! `pcut`: thin main; the work is in [`ptools::ops::cut`].

fn main() {
    ptools::cli::main("pcut", 1, ptools::ops::cut::run)
}
