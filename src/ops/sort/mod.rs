//! psort: GNU sort on every core, out of core. (Being built: see keys.rs
//! for the ordering options; the external sort is `shuffle::sort`.)

pub mod keys;
