//! The streaming merge join: a line-for-line port of GNU join's `join()`
//! loop over two line sources, holding only the current run of equal keys
//! of each side.
//!
//! It runs on the raw inputs for `--sorted` and `--check-order` (so the
//! disorder warning, the fatal `--check-order` error, the output printed
//! before it and the exit status are GNU's), and on the two key-sorted
//! streams of the external path (sorted by us, so no check can fire).

use super::gnu::{Layout, Line, Spec};
use crate::cli;
use crate::error::{Error, Result};
use std::ops::Range;

/// Where a side's lines come from.
pub trait LineSource {
    /// Reads the next line, without its terminator, into `buf` (cleared
    /// first). Returns false at the end.
    fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<bool>;
}

/// GNU's `--check-order` / `--nocheck-order` / default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Default: warn once per file, only after an unpairable line was
    /// seen; exit status 1 at the end.
    Default,
    /// `--check-order`: the first disorder is fatal.
    Enabled,
    /// `--nocheck-order`, or inputs sorted by pjoin itself.
    Disabled,
}

#[derive(Default, Clone)]
struct LineBuf {
    bytes: Vec<u8>,
    fields: Vec<Range<u32>>,
}

impl LineBuf {
    fn line(&self) -> Line<'_> {
        Line {
            bytes: &self.bytes,
            fields: &self.fields,
        }
    }

    fn key(&self, n: usize) -> &[u8] {
        match self.fields.get(n) {
            Some(r) => &self.bytes[r.start as usize..r.end as usize],
            None => &[],
        }
    }
}

/// Shared state of the loop: GNU's globals.
struct State<'s> {
    spec: Spec,
    check: Check,
    seen_unpairable: bool,
    issued: [bool; 2],
    out: Vec<u8>,
    sink: &'s mut dyn FnMut(&[u8]) -> Result<()>,
}

impl State<'_> {
    fn print(&mut self, l1: Option<&LineBuf>, l2: Option<&LineBuf>) -> Result<()> {
        let (a, b) = (l1.map(|l| l.line()), l2.map(|l| l.line()));
        self.spec.print(a.as_ref(), b.as_ref(), &mut self.out);
        if self.out.len() >= 1 << 16 {
            (self.sink)(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    fn key_field(&self, which: u8) -> usize {
        if which == 1 {
            self.spec.key1
        } else {
            self.spec.key2
        }
    }

    /// GNU's `check_order`.
    fn check_order(&mut self, prev: &LineBuf, cur: &LineBuf, which: u8) -> Result<()> {
        let w = which as usize - 1;
        if self.check == Check::Disabled
            || !(self.check == Check::Enabled || self.seen_unpairable)
            || self.issued[w]
        {
            return Ok(());
        }
        let n = self.key_field(which);
        if self.spec.compare(prev.key(n), cur.key(n)).is_gt() {
            let msg = format!("file {which} is not in sorted order");
            if self.check == Check::Enabled {
                (self.sink)(&self.out)?;
                self.out.clear();
                return Err(Error::data(msg));
            }
            cli::message(msg);
            self.issued[w] = true;
        }
        Ok(())
    }
}

/// One input: its source, GNU's `seq` of lines and `prevline`.
struct Side<S> {
    src: S,
    which: u8,
    lines: Vec<LineBuf>,
    count: usize,
    prev: LineBuf,
    has_prev: bool,
}

impl<S: LineSource> Side<S> {
    fn new(src: S, which: u8) -> Self {
        Side {
            src,
            which,
            lines: Vec::new(),
            count: 0,
            prev: LineBuf::default(),
            has_prev: false,
        }
    }

    /// GNU's `get_line` into `line`.
    fn get_line(&mut self, line: &mut LineBuf, st: &mut State) -> Result<bool> {
        if !self.src.read_line(&mut line.bytes)? {
            return Ok(false);
        }
        st.spec.split(&line.bytes, &mut line.fields);
        if st.check != Check::Disabled {
            if self.has_prev {
                st.check_order(&self.prev, line, self.which)?;
            }
            self.prev.clone_from(line);
            self.has_prev = true;
        }
        Ok(true)
    }

    /// GNU's `advance_seq`.
    fn advance(&mut self, first: bool, st: &mut State) -> Result<bool> {
        if first {
            self.count = 0;
        }
        if self.count == self.lines.len() {
            self.lines.push(LineBuf::default());
        }
        let mut slot = std::mem::take(&mut self.lines[self.count]);
        let ok = self.get_line(&mut slot, st)?;
        self.lines[self.count] = slot;
        if ok {
            self.count += 1;
        }
        Ok(ok)
    }
}

/// Joins two line sources as GNU join does, handing the output to `sink`
/// in pieces; returns the exit status (1 when a disorder warning was
/// given). `Layout::Auto` counts are taken from the first lines read when
/// `auto_from_first` (else the caller set them).
pub fn merge_join<A: LineSource, B: LineSource>(
    spec: &Spec,
    check: Check,
    a: A,
    b: B,
    auto_from_first: bool,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<i32> {
    let mut st = State {
        spec: spec.clone(),
        check,
        seen_unpairable: false,
        issued: [false; 2],
        out: Vec::with_capacity(1 << 17),
        sink,
    };
    let mut s1 = Side::new(a, 1);
    let mut s2 = Side::new(b, 2);
    s1.advance(true, &mut st)?;
    s2.advance(true, &mut st)?;
    if let (Layout::Auto(..), true) = (&st.spec.layout, auto_from_first) {
        let c1 = if s1.count > 0 {
            s1.lines[0].fields.len()
        } else {
            0
        };
        let c2 = if s2.count > 0 {
            s2.lines[0].fields.len()
        } else {
            0
        };
        st.spec.layout = Layout::Auto(c1, c2);
    }
    if st.spec.header && (s1.count > 0 || s2.count > 0) {
        let h1 = (s1.count > 0).then(|| s1.lines[0].clone());
        let h2 = (s2.count > 0).then(|| s2.lines[0].clone());
        st.print(h1.as_ref(), h2.as_ref())?;
        s1.has_prev = false;
        s2.has_prev = false;
        if s1.count > 0 {
            s1.advance(true, &mut st)?;
        }
        if s2.count > 0 {
            s2.advance(true, &mut st)?;
        }
    }
    let (k1, k2) = (st.spec.key1, st.spec.key2);
    while s1.count > 0 && s2.count > 0 {
        let diff = st.spec.compare(s1.lines[0].key(k1), s2.lines[0].key(k2));
        if diff.is_lt() {
            if st.spec.unpaired1 {
                st.print(Some(&s1.lines[0]), None)?;
            }
            s1.advance(true, &mut st)?;
            st.seen_unpairable = true;
            continue;
        }
        if diff.is_gt() {
            if st.spec.unpaired2 {
                st.print(None, Some(&s2.lines[0]))?;
            }
            s2.advance(true, &mut st)?;
            st.seen_unpairable = true;
            continue;
        }
        let mut eof1 = false;
        loop {
            if !s1.advance(false, &mut st)? {
                eof1 = true;
                s1.count += 1;
                break;
            }
            let last = &s1.lines[s1.count - 1];
            if st.spec.compare(last.key(k1), s2.lines[0].key(k2)).is_ne() {
                break;
            }
        }
        let mut eof2 = false;
        loop {
            if !s2.advance(false, &mut st)? {
                eof2 = true;
                s2.count += 1;
                break;
            }
            let last = &s2.lines[s2.count - 1];
            if st.spec.compare(s1.lines[0].key(k1), last.key(k2)).is_ne() {
                break;
            }
        }
        if st.spec.pairables {
            for i in 0..s1.count - 1 {
                for j in 0..s2.count - 1 {
                    let (l1, l2) = (&s1.lines[i], &s2.lines[j]);
                    let (a, b) = (l1.line(), l2.line());
                    st.spec.print(Some(&a), Some(&b), &mut st.out);
                }
                if st.out.len() >= 1 << 16 {
                    (st.sink)(&st.out)?;
                    st.out.clear();
                }
            }
        }
        if !eof1 {
            let last = s1.count - 1;
            s1.lines.swap(0, last);
            s1.count = 1;
        } else {
            s1.count = 0;
        }
        if !eof2 {
            let last = s2.count - 1;
            s2.lines.swap(0, last);
            s2.count = 1;
        } else {
            s2.count = 0;
        }
    }

    let checktail = st.check != Check::Disabled && !(st.issued[0] && st.issued[1]);
    let mut line = LineBuf::default();
    if (st.spec.unpaired1 || checktail) && s1.count > 0 {
        if st.spec.unpaired1 {
            st.print(Some(&s1.lines[0]), None)?;
        }
        if s2.count > 0 {
            st.seen_unpairable = true;
        }
        while s1.get_line(&mut line, &mut st)? {
            if st.spec.unpaired1 {
                st.print(Some(&line), None)?;
            }
            if st.issued[0] && !st.spec.unpaired1 {
                break;
            }
        }
    }
    if (st.spec.unpaired2 || checktail) && s2.count > 0 {
        if st.spec.unpaired2 {
            st.print(None, Some(&s2.lines[0]))?;
        }
        if s1.count > 0 {
            st.seen_unpairable = true;
        }
        while s2.get_line(&mut line, &mut st)? {
            if st.spec.unpaired2 {
                st.print(None, Some(&line))?;
            }
            if st.issued[1] && !st.spec.unpaired2 {
                break;
            }
        }
    }
    (st.sink)(&st.out)?;
    st.out.clear();
    Ok(if st.issued[0] || st.issued[1] { 1 } else { 0 })
}
