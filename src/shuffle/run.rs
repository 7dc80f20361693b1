//! Sorted runs on disk, and the record sources a merge reads from.
//!
//! A run file holds records as `length (LEB128 varint) + bytes`, the same
//! framing as [`super::spill`], but it is read back in 256 KiB blocks and
//! parsed in place ([`RunReader`]): the merge compares slices of the block
//! buffer, so reading a record copies nothing. (The byte-at-a-time varint
//! read of `SpillReader` cost about a third of the merge time in a
//! 10-million-record run merge.)
//!
//! A run is closed once written ([`RunFile`] keeps only its path), so a
//! sort with hundreds of runs holds open only the runs being merged.
//! With a compress program (`--compress-program=PROG`, as GNU sort) the
//! run is written through `PROG` and read back through `PROG -d`.
//!
//! An uncompressed run also keeps, in memory, a sparse index of itself:
//! every so many bytes a [`Sample`] (a copy of the record there and its
//! byte offset and number), so a parallel merge can cut the run by key
//! range and start reading in the middle ([`RunFile::open_range`]; see
//! [`super::splitmerge`]).
//!
//! [`TextReader`] reads a terminated text stream (pmerge's inputs) the same
//! way: blocks, records as slices, the last record's missing terminator
//! tolerated. Both implement [`MergeSource`], what the loser tree in
//! [`super::merge`] pulls from.

use super::spill::encode_varint;
use super::tmp::TempDir;
use crate::error::{Error, Result};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// Read and write block size for runs and text inputs.
pub const BLOCK: usize = 256 * 1024;

/// A record stream a merge can pull from: a current record, and a way to
/// step to the next one.
pub trait MergeSource {
    /// Makes the next record current; false at the end. Must be called
    /// once before the first [`MergeSource::current`].
    fn advance(&mut self) -> Result<bool>;
    /// The current record (without terminator).
    fn current(&self) -> &[u8];
}

/// Appends each record to `out` framed as in a run file, for
/// [`RunWriter::write_encoded`]: framing can then run on many threads,
/// block by block, and the writer only copies.
pub fn encode_records<'a>(records: impl Iterator<Item = &'a [u8]>, out: &mut Vec<u8>) {
    let mut len = [0u8; 10];
    for r in records {
        let n = encode_varint(r.len() as u64, &mut len);
        out.extend_from_slice(&len[..n]);
        out.extend_from_slice(r);
    }
}

/// The length framed at the start of `bytes` and the framing's size;
/// `None` when the framing is cut short (or runs past a u64's 10 bytes).
#[inline]
fn decode_varint(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut v = 0usize;
    for (i, &b) in bytes.iter().take(10).enumerate() {
        v |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// A record of a run and where it starts: one entry of the run's sparse
/// index.
#[derive(Debug)]
pub struct Sample {
    /// Byte offset of the record's framing in the file.
    pub offset: u64,
    /// The record's number in the run (0-based).
    pub index: u64,
    pub record: Box<[u8]>,
}

/// A finished run: a closed temp file of records in sorted order.
#[derive(Debug)]
pub struct RunFile {
    pub path: PathBuf,
    pub records: u64,
    /// The file's length.
    pub bytes: u64,
    /// The sparse index, in file order (empty for a compressed run, or
    /// one written without sampling).
    pub samples: Vec<Sample>,
    /// Written through the compress program (read back with `PROG -d`).
    compress: Option<OsString>,
}

impl RunFile {
    /// Opens the run for reading.
    pub fn open(&self) -> Result<RunReader> {
        let file = File::open(&self.path).map_err(|e| read_error(&self.path, e))?;
        let (input, child): (Box<dyn Read + Send>, Option<Child>) = match &self.compress {
            None => (Box::new(file), None),
            Some(prog) => {
                let mut child = Command::new(prog)
                    .arg("-d")
                    .stdin(file)
                    .stdout(Stdio::piped())
                    .spawn()
                    .map_err(|e| program_error(prog, e))?;
                let out = child
                    .stdout
                    .take()
                    .ok_or_else(|| Error::data("compress program has no output pipe"))?;
                (Box::new(out), Some(child))
            }
        };
        Ok(RunReader::new(input, child, &self.path, 0, self.records))
    }

    /// Opens an uncompressed run at byte `offset` (where a record's
    /// framing starts: a [`Sample`]'s offset, or a
    /// [`RunReader::record_offset`]) to read `count` records.
    pub fn open_range(&self, offset: u64, count: u64) -> Result<RunReader> {
        debug_assert!(self.compress.is_none(), "compressed runs are read whole");
        let mut file = File::open(&self.path).map_err(|e| read_error(&self.path, e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| read_error(&self.path, e))?;
        Ok(RunReader::new(
            Box::new(file),
            None,
            &self.path,
            offset,
            count,
        ))
    }

    /// Deletes the file (done as soon as a run has been merged, so a
    /// multi-level merge needs disk for about twice the input at most).
    pub fn remove(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Writes one run.
pub struct RunWriter {
    out: Box<dyn Write + Send>,
    child: Option<(Child, OsString)>,
    path: PathBuf,
    records: u64,
    compress: Option<OsString>,
    /// Bytes written so far.
    written: u64,
    /// Bytes between samples (0: no sampling).
    sample_every: u64,
    /// Where the next sample is due.
    next_sample: u64,
    samples: Vec<Sample>,
}

impl RunWriter {
    /// Creates a new run file in `tmp`, written through `compress` if given.
    pub fn create(tmp: &TempDir, compress: Option<&OsString>) -> Result<RunWriter> {
        let (path, file) = tmp.create_file("run")?;
        let (out, child): (Box<dyn Write + Send>, _) = match compress {
            None => (Box::new(io::BufWriter::with_capacity(BLOCK, file)), None),
            Some(prog) => {
                let mut child = Command::new(prog)
                    .stdin(Stdio::piped())
                    .stdout(file)
                    .spawn()
                    .map_err(|e| program_error(prog, e))?;
                let stdin: ChildStdin = child
                    .stdin
                    .take()
                    .ok_or_else(|| Error::data("compress program has no input pipe"))?;
                (
                    Box::new(io::BufWriter::with_capacity(BLOCK, stdin)),
                    Some((child, prog.clone())),
                )
            }
        };
        Ok(RunWriter {
            out,
            child,
            path,
            records: 0,
            compress: compress.cloned(),
            written: 0,
            sample_every: 0,
            next_sample: 0,
            samples: Vec::new(),
        })
    }

    /// Keeps a [`Sample`] about every `bytes` bytes of the run (0: none;
    /// never for a compressed run, whose offsets mean nothing).
    pub fn sampled(mut self, bytes: u64) -> RunWriter {
        if self.compress.is_none() {
            self.sample_every = bytes;
            self.next_sample = bytes;
        }
        self
    }

    /// Appends one record.
    #[inline]
    pub fn write(&mut self, record: &[u8]) -> Result<()> {
        let mut len = [0u8; 10];
        let n = encode_varint(record.len() as u64, &mut len);
        self.count(record, n);
        self.out
            .write_all(&len[..n])
            .and_then(|_| self.out.write_all(record))
            .map_err(|e| write_error(&self.path, e))
    }

    /// Counts one record about to be written with `framing` bytes of
    /// length before it, taking a sample if one is due.
    #[inline]
    fn count(&mut self, record: &[u8], framing: usize) {
        if self.sample_every > 0 && self.written >= self.next_sample {
            self.samples.push(Sample {
                offset: self.written,
                index: self.records,
                record: record.into(),
            });
            self.next_sample = self.written + self.sample_every;
        }
        self.records += 1;
        self.written += (framing + record.len()) as u64;
    }

    /// Appends records already framed by [`encode_records`] (one block of
    /// them, in order): the same file and samples as [`RunWriter::write`]
    /// of each, with one write. The framing is walked to keep the sample
    /// index, which costs a few integer steps a record.
    pub fn write_encoded(&mut self, block: &[u8]) -> Result<()> {
        let mut pos = 0;
        while pos < block.len() {
            let (len, n) = decode_varint(&block[pos..]).expect("a block framed by encode_records");
            self.count(&block[pos + n..pos + n + len], n);
            pos += n + len;
        }
        self.out
            .write_all(block)
            .map_err(|e| write_error(&self.path, e))
    }

    /// Flushes and closes the run. A full disk shows here at the latest.
    pub fn finish(mut self) -> Result<RunFile> {
        self.out.flush().map_err(|e| write_error(&self.path, e))?;
        drop(self.out);
        if let Some((mut child, prog)) = self.child.take() {
            let status = child.wait().map_err(|e| program_error(&prog, e))?;
            if !status.success() {
                return Err(Error::data(format!(
                    "{}: compress program failed ({status}) writing '{}'",
                    prog.to_string_lossy(),
                    self.path.display()
                )));
            }
        }
        Ok(RunFile {
            path: self.path,
            records: self.records,
            bytes: self.written,
            samples: self.samples,
            compress: self.compress,
        })
    }
}

/// Reads a run back, one record at a time, parsed in place.
pub struct RunReader {
    input: Box<dyn Read + Send>,
    child: Option<Child>,
    path: PathBuf,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    cur: (usize, usize),
    left: u64,
    /// File offset of `buf[end]`.
    read: u64,
    /// File offset of the current record's framing.
    start: u64,
}

impl RunReader {
    fn new(
        input: Box<dyn Read + Send>,
        child: Option<Child>,
        path: &Path,
        offset: u64,
        records: u64,
    ) -> RunReader {
        RunReader {
            input,
            child,
            path: path.to_path_buf(),
            buf: vec![0; BLOCK],
            pos: 0,
            end: 0,
            cur: (0, 0),
            left: records,
            read: offset,
            start: offset,
        }
    }

    /// File offset where the current record's framing starts.
    pub fn record_offset(&self) -> u64 {
        self.start
    }

    /// Makes sure `need` bytes from `pos` are in the buffer (moving the
    /// tail to the front and growing the buffer for a long record).
    fn fill(&mut self, need: usize) -> Result<bool> {
        if self.end - self.pos >= need {
            return Ok(true);
        }
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        if self.buf.len() < need {
            self.buf.resize(need.max(self.buf.len() * 2), 0);
        }
        while self.end < need {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end += n;
                    self.read += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_error(&self.path, e)),
            }
        }
        Ok(true)
    }

    fn truncated(&self) -> Error {
        Error::data(format!(
            "cannot read temporary file '{}': truncated",
            self.path.display()
        ))
    }
}

impl MergeSource for RunReader {
    fn advance(&mut self) -> Result<bool> {
        if self.left == 0 {
            return Ok(false);
        }
        self.start = self.read - (self.end - self.pos) as u64;
        // A varint is at most 10 bytes; near the end of the file fewer
        // remain, so ask for what there is.
        if !self.fill(10)? && self.end == self.pos {
            return Err(self.truncated());
        }
        let Some((len, n)) = decode_varint(&self.buf[self.pos..self.end]) else {
            return Err(self.truncated());
        };
        self.pos += n;
        if !self.fill(len)? {
            return Err(self.truncated());
        }
        self.cur = (self.pos, self.pos + len);
        self.pos += len;
        self.left -= 1;
        Ok(true)
    }

    #[inline]
    fn current(&self) -> &[u8] {
        &self.buf[self.cur.0..self.cur.1]
    }
}

impl Drop for RunReader {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Reads terminated records from a text stream (a pmerge input).
pub struct TextReader {
    input: Box<dyn Read + Send>,
    name: String,
    terminator: u8,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    cur: (usize, usize),
    /// 1-based number of the current record, for messages.
    pub line: u64,
}

impl TextReader {
    pub fn new(input: Box<dyn Read + Send>, name: String, terminator: u8) -> TextReader {
        TextReader {
            input,
            name,
            terminator,
            buf: vec![0; BLOCK],
            pos: 0,
            end: 0,
            eof: false,
            cur: (0, 0),
            line: 0,
        }
    }

    /// The input's name, as given on the command line.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads more: moves the unread tail to the front, grows the buffer
    /// if the tail fills it (a record longer than a block).
    fn refill(&mut self) -> Result<()> {
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(self.name.clone(), e)),
            }
        }
    }
}

impl MergeSource for TextReader {
    fn advance(&mut self) -> Result<bool> {
        let mut searched = self.pos;
        loop {
            if let Some(i) = memchr::memchr(self.terminator, &self.buf[searched..self.end]) {
                let e = searched + i;
                self.cur = (self.pos, e);
                self.pos = e + 1;
                self.line += 1;
                return Ok(true);
            }
            if self.eof {
                if self.pos < self.end {
                    // The last record lacks its terminator; GNU adds one.
                    self.cur = (self.pos, self.end);
                    self.pos = self.end;
                    self.line += 1;
                    return Ok(true);
                }
                return Ok(false);
            }
            let scanned = self.end - self.pos;
            self.refill()?;
            searched = self.pos + scanned;
        }
    }

    #[inline]
    fn current(&self) -> &[u8] {
        &self.buf[self.cur.0..self.cur.1]
    }
}

/// Terminated records of a byte slice (a piece of a mapped input).
pub struct SliceReader<'a> {
    data: &'a [u8],
    terminator: u8,
    pos: usize,
    cur: (usize, usize),
}

impl<'a> SliceReader<'a> {
    pub fn new(data: &'a [u8], terminator: u8) -> SliceReader<'a> {
        SliceReader {
            data,
            terminator,
            pos: 0,
            cur: (0, 0),
        }
    }
}

impl MergeSource for SliceReader<'_> {
    #[inline]
    fn advance(&mut self) -> Result<bool> {
        if self.pos >= self.data.len() {
            return Ok(false);
        }
        let end = memchr::memchr(self.terminator, &self.data[self.pos..])
            .map_or(self.data.len(), |i| self.pos + i);
        self.cur = (self.pos, end);
        self.pos = end + 1;
        Ok(true)
    }

    #[inline]
    fn current(&self) -> &[u8] {
        &self.data[self.cur.0..self.cur.1]
    }
}

fn write_error(path: &Path, e: io::Error) -> Error {
    Error::io(
        format!("cannot write temporary file '{}'", path.display()),
        e,
    )
}

fn read_error(path: &Path, e: io::Error) -> Error {
    Error::io(
        format!("cannot read temporary file '{}'", path.display()),
        e,
    )
}

fn program_error(prog: &OsString, e: io::Error) -> Error {
    Error::io(
        format!("cannot run compress program '{}'", prog.to_string_lossy()),
        e,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(src: &mut impl MergeSource) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        while src.advance().unwrap() {
            v.push(src.current().to_vec());
        }
        v
    }

    #[test]
    fn run_round_trip_with_long_records() {
        let tmp = TempDir::new(&[]).unwrap();
        let recs: Vec<Vec<u8>> = (0..2000usize)
            .map(|i| vec![b'a' + (i % 26) as u8; (i * 37) % 700])
            .chain(std::iter::once(vec![b'z'; 3 * BLOCK]))
            .collect();
        let mut w = RunWriter::create(&tmp, None).unwrap();
        for r in &recs {
            w.write(r).unwrap();
        }
        let run = w.finish().unwrap();
        assert_eq!(collect(&mut run.open().unwrap()), recs);
    }

    #[test]
    fn samples_open_the_run_in_the_middle() {
        let tmp = TempDir::new(&[]).unwrap();
        let recs: Vec<Vec<u8>> = (0..3000usize)
            .map(|i| format!("{i:05}{}", "x".repeat(i % 300)).into_bytes())
            .collect();
        let mut w = RunWriter::create(&tmp, None).unwrap().sampled(10_000);
        for r in &recs {
            w.write(r).unwrap();
        }
        let run = w.finish().unwrap();
        assert!(run.samples.len() > 20, "{} samples", run.samples.len());
        assert_eq!(run.bytes, std::fs::metadata(&run.path).unwrap().len());
        for s in &run.samples {
            let i = s.index as usize;
            assert_eq!(&*s.record, &recs[i][..]);
            // Ten records from the sample on, and each one's offset opens
            // the run at that record.
            let n = (recs.len() - i).min(10);
            let mut r = run.open_range(s.offset, n as u64).unwrap();
            let mut offsets = Vec::new();
            let mut got = Vec::new();
            while r.advance().unwrap() {
                offsets.push(r.record_offset());
                got.push(r.current().to_vec());
            }
            assert_eq!(got, recs[i..i + n].to_vec());
            assert_eq!(offsets[0], s.offset);
            let mut again = run.open_range(offsets[n - 1], 1).unwrap();
            assert!(again.advance().unwrap());
            assert_eq!(again.current(), &recs[i + n - 1][..]);
            assert!(!again.advance().unwrap());
        }
        // No samples without sampling, or through a compress program.
        let mut w = RunWriter::create(&tmp, None).unwrap();
        w.write(b"a").unwrap();
        assert!(w.finish().unwrap().samples.is_empty());
    }

    /// Framed blocks (of uneven sizes, with a record of 200 bytes, whose
    /// length takes two framing bytes) make the same file, samples and
    /// counts as writing record by record.
    #[test]
    fn encoded_blocks_write_what_records_write() {
        let tmp = TempDir::new(&[]).unwrap();
        let recs: Vec<Vec<u8>> = (0..3000usize)
            .map(|i| format!("{i:05}{}", "y".repeat(i * 7 % 250)).into_bytes())
            .collect();
        for every in [0, 5_000] {
            let mut one = RunWriter::create(&tmp, None).unwrap().sampled(every);
            for r in &recs {
                one.write(r).unwrap();
            }
            let one = one.finish().unwrap();
            let mut blocks = RunWriter::create(&tmp, None).unwrap().sampled(every);
            let mut rest = &recs[..];
            let mut size = 1;
            while !rest.is_empty() {
                let (head, tail) = rest.split_at(size.min(rest.len()));
                let mut block = Vec::new();
                encode_records(head.iter().map(|r| &r[..]), &mut block);
                blocks.write_encoded(&block).unwrap();
                rest = tail;
                size = size * 3 + 1;
            }
            let blocks = blocks.finish().unwrap();
            assert_eq!(
                std::fs::read(&one.path).unwrap(),
                std::fs::read(&blocks.path).unwrap()
            );
            assert_eq!((one.records, one.bytes), (blocks.records, blocks.bytes));
            let key = |s: &Sample| (s.offset, s.index, s.record.to_vec());
            let (a, b): (Vec<_>, Vec<_>) = (
                one.samples.iter().map(key).collect(),
                blocks.samples.iter().map(key).collect(),
            );
            assert_eq!(a, b);
            assert_eq!(a.is_empty(), every == 0);
        }
    }

    #[test]
    fn text_reader_splits_and_tolerates_missing_terminator() {
        let mut data = Vec::new();
        for i in 0..5000 {
            data.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        data.extend_from_slice(&vec![b'x'; 2 * BLOCK + 3]);
        let want: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(|s| s.to_vec()).collect();
        let mut r = TextReader::new(Box::new(io::Cursor::new(data)), "t".into(), b'\n');
        assert_eq!(collect(&mut r), want);
        assert_eq!(r.line, 5001);
        let mut empty = TextReader::new(Box::new(io::empty()), "e".into(), b'\n');
        assert!(collect(&mut empty).is_empty());
    }
}
