//! `pgrep`: thin main; the work is in [`ptools::ops::grep`]. Trouble is
//! exit status 2, as GNU grep's.

fn main() {
    ptools::cli::main("pgrep", 2, ptools::ops::grep::run)
}
