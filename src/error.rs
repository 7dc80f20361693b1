//! The one error type of ptools and its mapping to exit statuses.
//!
//! Every failure carries its context (which file, which line, which byte) so a
//! message reads `TOOL: what failed: where: cause`. The binaries turn an
//! [`Error`] into an exit status in exactly one place, [`crate::cli::main`].

use std::fmt;
use std::io;

/// What went wrong, with enough context to tell the user where.
#[derive(Debug)]
pub enum Error {
    /// An I/O failure; `context` says what we were doing (`reading 'a.gz'`).
    Io { context: String, source: io::Error },
    /// Bad command-line usage (unknown column, bad list, unsupported flag).
    Usage(String),
    /// Bad input data (a non-number where a number is needed, a header that
    /// does not match, a corrupt record).
    Data(String),
    /// Standard output was closed by the reader (`| head`): end quietly.
    BrokenPipe,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with what we were doing. A broken pipe on output
    /// becomes [`Error::BrokenPipe`] so it can end the tool quietly.
    pub fn io(context: impl Into<String>, source: io::Error) -> Error {
        if source.kind() == io::ErrorKind::BrokenPipe {
            return Error::BrokenPipe;
        }
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub fn usage(msg: impl Into<String>) -> Error {
        Error::Usage(msg.into())
    }

    pub fn data(msg: impl Into<String>) -> Error {
        Error::Data(msg.into())
    }

    /// True for errors that come from the command line rather than the data.
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Usage(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { context, source } => {
                write!(f, "{}: {}", context, describe_io(source))
            }
            Error::Usage(m) | Error::Data(m) => f.write_str(m),
            Error::BrokenPipe => f.write_str("broken pipe"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::io("I/O error", e)
    }
}

/// GNU-style wording of common I/O errors ("No such file or directory"),
/// without Rust's "(os error 2)" suffix.
pub fn describe_io(e: &io::Error) -> String {
    if let Some(code) = e.raw_os_error() {
        // SAFETY: strerror returns a pointer to a static, NUL-terminated string.
        let s = unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) };
        return s.to_string_lossy().into_owned();
    }
    e.to_string()
}

/// Quotes a path or name for a message the way GNU tools do ('name').
pub fn quote(name: impl AsRef<str>) -> String {
    format!("'{}'", name.as_ref())
}
