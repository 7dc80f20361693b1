//! The shuffle layer: external sort (sorted runs, spill files, k-way
//! merge) and hash partitioning, all under one memory budget. Shared by
//! psort, pmerge, pgroupby and pjoin.
