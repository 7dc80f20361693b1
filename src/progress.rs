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
                // indicatif's own stderr target draws only on a terminal;
                // --progress must draw into a pipe or log file too.
                bar.set_draw_target(if self.forced {
                    ProgressDrawTarget::term_like_with_hz(Box::new(PlainStderr), 4)
                } else {
                    ProgressDrawTarget::stderr()
                });
                self.visible = true;
            }
        }
    }

    /// Removes the bar from the screen.
    /// Ends the bar: cleared from a terminal; with `--progress` the final
    /// figures stay (a log then records the total and the rate).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            if self.forced && self.visible {
                bar.finish();
            } else {
                bar.finish_and_clear();
            }
        }
    }
}

/// A minimal terminal for `--progress` when stderr is not a terminal:
/// each redraw is a carriage return and the line, no cursor movement.
#[derive(Debug)]
struct PlainStderr;

impl indicatif::TermLike for PlainStderr {
    fn width(&self) -> u16 {
        80
    }
    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        use std::io::Write;
        writeln!(std::io::stderr(), "{s}")
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        use std::io::Write;
        write!(std::io::stderr(), "{s}")
    }
    fn clear_line(&self) -> std::io::Result<()> {
        self.write_str("\r")
    }
    fn flush(&self) -> std::io::Result<()> {
        use std::io::Write;
        std::io::stderr().flush()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
