//! Spill files: records written as `length (LEB128 varint) + bytes`,
//! buffered, and read back in the order written.
//!
//! The record bytes are opaque here: a sort run holds whole lines, a
//! group-by partition holds a key and an encoded partial state, a join
//! partition holds a side tag and a line. Errors name the file (a full disk
//! reads "No space left on device").

use super::tmp::TempDir;
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

const BUFFER: usize = 256 * 1024;

/// Writes records to one spill file.
pub struct SpillWriter {
    out: BufWriter<File>,
    path: PathBuf,
    records: u64,
    bytes: u64,
}

/// A finished spill file, ready to be read back.
#[derive(Debug)]
pub struct SpillFile {
    file: File,
    pub path: PathBuf,
    pub records: u64,
    pub bytes: u64,
}

impl SpillWriter {
    pub fn create(tmp: &TempDir, stem: &str) -> Result<SpillWriter> {
        let (path, file) = tmp.create_file(stem)?;
        Ok(SpillWriter {
            out: BufWriter::with_capacity(BUFFER, file),
            path,
            records: 0,
            bytes: 0,
        })
    }

    /// Appends one record.
    #[inline]
    pub fn write(&mut self, record: &[u8]) -> Result<()> {
        let mut len = [0u8; 10];
        let n = encode_varint(record.len() as u64, &mut len);
        self.out
            .write_all(&len[..n])
            .and_then(|_| self.out.write_all(record))
            .map_err(|e| self.error(e))?;
        self.records += 1;
        self.bytes += (n + record.len()) as u64;
        Ok(())
    }

    /// Appends one record made of two parts (saves a copy when a caller
    /// has a key and a value apart).
    pub fn write_parts(&mut self, a: &[u8], b: &[u8]) -> Result<()> {
        let mut len = [0u8; 10];
        let n = encode_varint((a.len() + b.len()) as u64, &mut len);
        self.out
            .write_all(&len[..n])
            .and_then(|_| self.out.write_all(a))
            .and_then(|_| self.out.write_all(b))
            .map_err(|e| self.error(e))?;
        self.records += 1;
        self.bytes += (n + a.len() + b.len()) as u64;
        Ok(())
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    /// Flushes and rewinds, for reading back.
    pub fn finish(self) -> Result<SpillFile> {
        let path = self.path.clone();
        let records = self.records;
        let bytes = self.bytes;
        let mut file = self
            .out
            .into_inner()
            .map_err(|e| spill_error(&path, e.into_error()))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| spill_error(&path, e))?;
        Ok(SpillFile {
            file,
            path,
            records,
            bytes,
        })
    }

    fn error(&self, e: std::io::Error) -> Error {
        spill_error(&self.path, e)
    }
}

fn spill_error(path: &std::path::Path, e: std::io::Error) -> Error {
    Error::io(
        format!("cannot write temporary file '{}'", path.display()),
        e,
    )
}

impl SpillFile {
    /// A reader over the records, in the order written.
    pub fn reader(self) -> SpillReader {
        SpillReader {
            input: BufReader::with_capacity(BUFFER, self.file),
            path: self.path,
            left: self.records,
        }
    }
}

/// Reads records back from a spill file.
pub struct SpillReader {
    input: BufReader<File>,
    path: PathBuf,
    left: u64,
}

impl SpillReader {
    /// Reads the next record into `buf` (replacing its contents); false at
    /// the end.
    pub fn next_into(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
        if self.left == 0 {
            return Ok(false);
        }
        let len = self.read_varint()? as usize;
        buf.clear();
        buf.resize(len, 0);
        self.input.read_exact(buf).map_err(|e| self.error(e))?;
        self.left -= 1;
        Ok(true)
    }

    /// Records not yet read.
    pub fn remaining(&self) -> u64 {
        self.left
    }

    fn read_varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let mut b = [0u8; 1];
            self.input.read_exact(&mut b).map_err(|e| self.error(e))?;
            v |= u64::from(b[0] & 0x7f) << shift;
            if b[0] & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    fn error(&self, e: std::io::Error) -> Error {
        Error::io(
            format!("cannot read temporary file '{}'", self.path.display()),
            e,
        )
    }
}

/// LEB128 encoding of `v` into `out`; returns the length used.
#[inline]
pub fn encode_varint(mut v: u64, out: &mut [u8; 10]) -> usize {
    let mut i = 0;
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out[i] = b;
            return i + 1;
        }
        out[i] = b | 0x80;
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let tmp = TempDir::new(&[std::env::temp_dir()]).unwrap();
        let mut w = SpillWriter::create(&tmp, "t").unwrap();
        let recs: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"abc".to_vec(),
            vec![7u8; 300],
            b"\n\0".to_vec(),
        ];
        for r in &recs {
            w.write(r).unwrap();
        }
        w.write_parts(b"ke", b"y").unwrap();
        let mut r = w.finish().unwrap().reader();
        let mut buf = Vec::new();
        for want in &recs {
            assert!(r.next_into(&mut buf).unwrap());
            assert_eq!(&buf, want);
        }
        assert!(r.next_into(&mut buf).unwrap());
        assert_eq!(buf, b"key");
        assert!(!r.next_into(&mut buf).unwrap());
    }
}
