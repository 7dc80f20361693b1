//! Read-only memory maps of input files, for pmerge's parallel merge
//! (which binary-searches each sorted input for its partition bounds and
//! lets several threads read the pieces in place).
//!
//! Hazard: a file truncated by another process while mapped makes reads
//! past its new end fault (SIGBUS), as with any mmap-based reader
//! (ripgrep has the same caveat). pmerge maps only regular files, after
//! `-o` onto an input has been redirected to a private copy.

use crate::error::{Error, Result};
use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// A whole file mapped read-only (an empty file maps to an empty slice).
pub struct Mapped {
    ptr: *const u8,
    len: usize,
}

// SAFETY: the mapping is read-only and lives until drop; sharing `&[u8]`
// views of it between threads is as safe as sharing a `&[u8]`.
unsafe impl Send for Mapped {}
unsafe impl Sync for Mapped {}

impl Mapped {
    pub fn open(path: &Path) -> Result<Mapped> {
        let name = || path.display().to_string();
        let file = File::open(path).map_err(|e| Error::io(name(), e))?;
        let len = file.metadata().map_err(|e| Error::io(name(), e))?.len() as usize;
        if len == 0 {
            return Ok(Mapped {
                ptr: std::ptr::NonNull::dangling().as_ptr(),
                len: 0,
            });
        }
        // SAFETY: a fresh read-only private mapping of an open file; the
        // result is checked before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Error::io(name(), std::io::Error::last_os_error()));
        }
        // SAFETY: advice on our own mapping; failure is harmless.
        unsafe {
            libc::madvise(ptr, len, libc::MADV_SEQUENTIAL);
        }
        Ok(Mapped {
            ptr: ptr as *const u8,
            len,
        })
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: ptr..ptr+len is mapped (or len is 0) until drop.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: unmapping exactly the mapping made in `open`.
            unsafe {
                libc::munmap(self.ptr as *mut libc::c_void, self.len);
            }
        }
    }
}
