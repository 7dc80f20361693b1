//! A read-only private memory map of a whole regular file: the one map
//! type behind pgrep's and pgroupby's pieces (`input::pieces`) and
//! pjoin's loaded inputs.
//!
//! Only regular, non-empty files that are not gzip are mapped; the file
//! is looked at (`stat`) before it is opened, since opening a named pipe
//! would block until a writer comes. A file truncated by another process
//! while mapped makes a read of the lost pages raise SIGBUS, as for every
//! map reader (ripgrep included).

use std::fs::File;
use std::ops::Range;
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// How a map's pages come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Population {
    /// On first touch, read ahead sequentially (`MADV_SEQUENTIAL`):
    /// pieces handed to the workers, faults taken where they are read.
    OnTouch,
    /// All at once when mapped (`MAP_POPULATE`): a file read whole right
    /// away (pjoin's in-memory join).
    Now,
}

/// A read-only private mapping of a whole file, unmapped on drop.
pub struct Map {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and never written through; it is
// unmapped only on drop, when nothing refers to it any more.
unsafe impl Send for Map {}
unsafe impl Sync for Map {}

impl Map {
    /// Maps `path` if it is a regular, non-empty file that is not gzip.
    pub fn open(path: &Path, population: Population) -> Option<Map> {
        if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            return None;
        }
        let f = File::open(path).ok()?;
        let meta = f.metadata().ok()?;
        if !meta.is_file() || meta.len() == 0 {
            return None;
        }
        let len = usize::try_from(meta.len()).ok()?;
        let flags = match population {
            Population::OnTouch => libc::MAP_PRIVATE,
            Population::Now => libc::MAP_PRIVATE | libc::MAP_POPULATE,
        };
        // SAFETY: a fresh read-only private mapping of an open descriptor;
        // the result is checked against MAP_FAILED.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                flags,
                f.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        if population == Population::OnTouch {
            // SAFETY: advice on our own mapping; failure is harmless.
            unsafe {
                libc::madvise(ptr, len, libc::MADV_SEQUENTIAL);
            }
        }
        let map = Map { ptr, len };
        if map.bytes().starts_with(&[0x1f, 0x8b]) {
            return None;
        }
        Some(map)
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: ptr..ptr+len is our live mapping.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }

    /// Drops the resident pages wholly inside `r`: later reads fault the
    /// same bytes back in from the page cache, so a reader that is done
    /// with a range keeps its RSS down (see `input::pieces`).
    pub fn release(&self, r: Range<usize>) {
        const PAGE: usize = 4096;
        let start = r.start.div_ceil(PAGE) * PAGE;
        let end = r.end / PAGE * PAGE;
        if end > start {
            // SAFETY: a page-aligned range inside our read-only private
            // mapping; later reads fault the same file bytes back in.
            unsafe {
                libc::madvise(
                    (self.ptr as *mut u8).add(start) as *mut libc::c_void,
                    end - start,
                    libc::MADV_DONTNEED,
                );
            }
        }
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: unmapping our own mapping once.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}
