//! The stderr progress bar: bytes read, rate and ETA.
//!
//! Shown when stderr is a terminal and the work has run for more than a
//! second (short jobs stay silent), or always with `--progress`; never with
//! `--quiet`. Counting is one relaxed atomic add per chunk.

use crate::cli::ProgressArgs;
use crate::input::Source;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// A progress bar that appears only when it should.
pub struct Progress {
    bar: Option<ProgressBar>,
    forced: bool,
    visible: bool,
    started: Instant,
}

const DELAY: Duration = Duration::from_secs(1);

impl Progress {
    /// A bar over `sources`; its length is their total size when they are
    /// all regular files (compressed files count their compressed size, so
    /// the bar is then a spinner-like byte counter).
    pub fn new(args: &ProgressArgs, sources: &[Source]) -> Progress {
        let wanted = !args.no_progress && (args.progress || std::io::stderr().is_terminal());
        if !wanted {
            return Progress::hidden();
        }
        let total: Option<u64> = sources
            .iter()
            .map(|s| {
                s.path()
                    .and_then(|p| std::fs::metadata(p).ok())
                    .map(|m| m.len())
            })
            .sum();
        let bar = match total {
            Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::hidden())
                .with_style(
                    ProgressStyle::with_template(
                        "{bytes}/{total_bytes} {wide_bar} {binary_bytes_per_sec} ETA {eta}",
                    )
                    .expect("valid template"),
                ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()).with_style(
                ProgressStyle::with_template("{bytes} {binary_bytes_per_sec} {elapsed}")
                    .expect("valid template"),
            ),
        };
        Progress {
            bar: Some(bar),
            forced: args.progress,
            visible: false,
            started: Instant::now(),
        }
    }

    pub fn hidden() -> Progress {
        Progress {
            bar: None,
            forced: false,
            visible: false,
            started: Instant::now(),
        }
    }

    /// Counts `n` more bytes done.
    pub fn inc(&mut self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
            if !self.visible && (self.forced || self.started.elapsed() > DELAY) {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                self.visible = true;
            }
        }
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
