//! Private temporary directories.
//!
//! A [`TempDir`] is a fresh `ptools-XXXXXX` directory (mode 0700) under each
//! base directory (`-T DIR`, repeatable; else `$TMPDIR`; else `/tmp`);
//! files in it are created 0600 and spread round-robin over the bases, as
//! GNU sort spreads its temp files over several `-T`. The directories are
//! removed when the [`TempDir`] is dropped (success and error paths alike)
//! and, through a signal thread installed on first use, when the process
//! gets SIGINT, SIGTERM or SIGHUP.

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};

static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static SIGNALS: Once = Once::new();

/// The base directories: the `-T` dirs given, else `$TMPDIR`, else `/tmp`.
pub fn base_dirs(given: &[PathBuf]) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    match std::env::var_os("TMPDIR") {
        Some(t) if !t.is_empty() => vec![PathBuf::from(t)],
        _ => vec![PathBuf::from("/tmp")],
    }
}

/// A set of private temp directories, removed on drop and on signals.
#[derive(Debug)]
pub struct TempDir {
    dirs: Vec<PathBuf>,
    next: AtomicUsize,
}

impl TempDir {
    /// Creates a private directory under each base.
    pub fn new(bases: &[PathBuf]) -> Result<TempDir> {
        install_signal_cleanup();
        let bases = base_dirs(bases);
        let mut dirs = Vec::with_capacity(bases.len());
        for base in &bases {
            let dir = create_private_dir(base)?;
            LIVE.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(dir.clone());
            dirs.push(dir);
        }
        Ok(TempDir {
            dirs,
            next: AtomicUsize::new(0),
        })
    }

    /// Creates a new private (0600) file, returning its path and handle.
    pub fn create_file(&self, stem: &str) -> Result<(PathBuf, File)> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let dir = &self.dirs[n % self.dirs.len()];
        let path = dir.join(format!("{stem}-{n}"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| {
                Error::io(
                    format!("cannot create temporary file '{}'", path.display()),
                    e,
                )
            })?;
        Ok((path, file))
    }

    /// The directories (for tests and messages).
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        for d in &self.dirs {
            let _ = fs::remove_dir_all(d);
            live.retain(|p| p != d);
        }
    }
}

fn create_private_dir(base: &Path) -> Result<PathBuf> {
    let pid = std::process::id();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for attempt in 0..1000u32 {
        let dir = base.join(format!("ptools-{pid}-{nanos:x}-{attempt}"));
        match fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(Error::io(
                    format!("cannot create temporary directory in '{}'", base.display()),
                    e,
                ))
            }
        }
    }
    Err(Error::data(format!(
        "cannot create temporary directory in '{}': too many attempts",
        base.display()
    )))
}

/// On SIGINT/SIGTERM/SIGHUP: remove every live temp dir, then die of the
/// same signal so the shell sees the usual status.
fn install_signal_cleanup() {
    SIGNALS.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
                for d in live.iter() {
                    let _ = fs::remove_dir_all(d);
                }
                // SAFETY: restoring the default action and re-raising is
                // the documented way to die of a signal after cleanup.
                unsafe {
                    libc::signal(sig, libc::SIG_DFL);
                    libc::raise(sig);
                }
                std::process::exit(128 + sig);
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_and_removed_on_drop() {
        let base = std::env::temp_dir();
        let t = TempDir::new(&[base]).unwrap();
        let dir = t.dirs()[0].clone();
        let (p, _f) = t.create_file("run").unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        drop(t);
        assert!(!dir.exists());
    }
}
