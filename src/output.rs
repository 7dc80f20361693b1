//! Where results go: a large buffered writer on stdout or `-o FILE`.
//!
//! A closed pipe (`pcat big | head -1`) surfaces as [`Error::BrokenPipe`];
//! [`crate::cli::main`] ends the process quietly on it, as coreutils do.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Size of the output buffer. Large writes amortise the syscall; 256 KiB
/// is past the point where `write(2)` cost stops mattering for pipes.
pub const OUTPUT_BUFFER: usize = 256 * 1024;

/// A buffered output stream that reports errors with its name.
pub struct Output {
    inner: io::BufWriter<Box<dyn Write + Send>>,
    name: String,
}

impl Output {
    /// Standard output.
    pub fn stdout() -> Output {
        Output {
            inner: io::BufWriter::with_capacity(OUTPUT_BUFFER, Box::new(io::stdout())),
            name: "standard output".into(),
        }
    }

    /// A file, created or truncated.
    pub fn file(path: &Path) -> Result<Output> {
        let f = File::create(path)
            .map_err(|e| Error::io(format!("cannot open '{}' for writing", path.display()), e))?;
        Ok(Output {
            inner: io::BufWriter::with_capacity(OUTPUT_BUFFER, Box::new(f)),
            name: format!("'{}'", path.display()),
        })
    }

    /// `-o FILE` if given, else stdout.
    pub fn open(path: Option<&Path>) -> Result<Output> {
        match path {
            Some(p) if p != Path::new("-") => Output::file(p),
            _ => Ok(Output::stdout()),
        }
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.inner.write_all(bytes).map_err(|e| self.error(e))
    }

    pub fn flush(&mut self) -> Result<()> {
        self.inner.flush().map_err(|e| self.error(e))
    }

    fn error(&self, e: io::Error) -> Error {
        Error::io(format!("write error on {}", self.name), e)
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
