//! Records and fields: how bytes inside a chunk become records, and records
//! become fields.
//!
//! - [`records`]: iterate the records of a chunk (lines, or CSV records whose
//!   quoted fields may hold newlines).
//! - [`csv`]: split a CSV record into fields, unquote a field, and write a
//!   field quoted only when it needs it.
//! - [`fieldlist`]: GNU's field-list grammar (`1,3-5,7-`) extended with
//!   column names, resolved against a header once.
//! - [`header`]: a header row and name lookup.
//! - [`bytescan`]: the unquoted delimiters and terminators of a buffer as
//!   bit masks, 64 bytes at a time.
//!
//! Fields are ranges into the record's bytes; nothing here allocates per
//! field on the hot path.

pub mod bytescan;
pub mod csv;
pub mod fieldlist;
pub mod header;
pub mod records;

pub use fieldlist::FieldList;
pub use header::Header;
pub use records::{Dialect, Records};
