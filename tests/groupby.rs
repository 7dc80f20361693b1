//! pgroupby tests (filled below).
