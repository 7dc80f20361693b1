//! Iterating the records of a chunk.

use crate::input::RecordFormat;
use memchr::{memchr, memchr2};

/// How a tool reads its records and fields: GNU's delimiter mode (no
/// quoting; `\n` or `\0` terminated) or RFC 4180 CSV/TSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// Field separator.
    pub delimiter: u8,
    /// RFC 4180 double-quote handling (`--csv`); plain split otherwise.
    pub quoting: bool,
    /// Record terminator (`\n`, or `\0` with `-z`).
    pub terminator: u8,
}

impl Dialect {
    pub fn plain(delimiter: u8, terminator: u8) -> Dialect {
        Dialect {
            delimiter,
            quoting: false,
            terminator,
        }
    }

    pub fn csv(delimiter: u8) -> Dialect {
        Dialect {
            delimiter,
            quoting: true,
            terminator: b'\n',
        }
    }

    /// How the chunker must cut input for this dialect.
    pub fn record_format(&self) -> RecordFormat {
        if self.quoting {
            RecordFormat::Csv { quote: b'"' }
        } else {
            RecordFormat::Lines {
                terminator: self.terminator,
            }
        }
    }

    /// The records of `data` (see [`Records`]).
    pub fn records<'a>(&self, data: &'a [u8]) -> Records<'a> {
        Records {
            data,
            pos: 0,
            dialect: *self,
        }
    }
}

/// The records of a chunk, without their terminators. In CSV mode a
/// trailing `\r` (CRLF line ends) is stripped too and a record runs to the
/// first newline outside double quotes.
pub struct Records<'a> {
    data: &'a [u8],
    pos: usize,
    dialect: Dialect,
}

/// One record: its body (no terminator) and whether a terminator followed
/// it in the input (only the last record of an input may lack one).
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub body: &'a [u8],
    pub terminated: bool,
    /// Byte offset of the record in the chunk.
    pub start: usize,
    /// In CSV mode: the record holds a double quote (so fields need the
    /// quote-aware split); false in plain mode.
    pub quoted: bool,
}

impl<'a> Records<'a> {
    /// The end of the CSV record at `pos` (its newline outside quotes),
    /// and whether it holds a quote byte.
    fn csv_record_end(&self) -> (Option<usize>, bool) {
        let d = &self.data[self.pos..];
        let mut in_quotes = false;
        let mut quoted = false;
        let mut i = 0;
        while let Some(j) = memchr2(b'"', b'\n', &d[i..]) {
            let at = i + j;
            if d[at] == b'"' {
                in_quotes = !in_quotes;
                quoted = true;
            } else if !in_quotes {
                return (Some(self.pos + at), quoted);
            }
            i = at + 1;
        }
        (None, quoted)
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    #[inline]
    fn next(&mut self) -> Option<Record<'a>> {
        if self.pos >= self.data.len() {
            return None;
        }
        let start = self.pos;
        let (end, quoted) = if self.dialect.quoting {
            self.csv_record_end()
        } else {
            (
                memchr(self.dialect.terminator, &self.data[start..]).map(|i| start + i),
                false,
            )
        };
        let (mut body, terminated) = match end {
            Some(e) => {
                self.pos = e + 1;
                (&self.data[start..e], true)
            }
            None => {
                self.pos = self.data.len();
                (&self.data[start..], false)
            }
        };
        if self.dialect.quoting && terminated {
            if let Some(b) = body.strip_suffix(b"\r") {
                body = b;
            }
        }
        Some(Record {
            body,
            terminated,
            start,
            quoted,
        })
    }
}
