//! `pjoin`: thin main; the work is in [`ptools::ops::join`].

fn main() {
    ptools::cli::main("pjoin", 1, ptools::ops::join::run)
}
