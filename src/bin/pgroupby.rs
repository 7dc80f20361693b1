//! `pgroupby`: thin main; the work is in [`ptools::ops::groupby`].

fn main() {
    ptools::cli::main("pgroupby", 1, ptools::ops::groupby::run)
}
