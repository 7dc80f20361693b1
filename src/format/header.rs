//! A header row: column names, looked up by name.

use super::csv::{split_fields, unquote};
use super::Dialect;
use bstr::ByteSlice;

/// The names of a header row, unquoted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub names: Vec<Vec<u8>>,
}

impl Header {
    /// Parses a header record (its body, without terminator).
    pub fn parse(record: &[u8], dialect: &Dialect) -> Header {
        let mut ranges = Vec::new();
        split_fields(record, dialect.delimiter, dialect.quoting, &mut ranges);
        let names = ranges
            .into_iter()
            .map(|r| {
                if dialect.quoting {
                    unquote(&record[r]).into_owned()
                } else {
                    record[r].to_vec()
                }
            })
            .collect();
        Header { names }
    }

    /// The 0-based index of the first column called `name`.
    pub fn index_of(&self, name: &[u8]) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The names, for an error message: `a, b, c`.
    pub fn available(&self) -> String {
        self.names
            .iter()
            .map(|n| n.to_str_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
