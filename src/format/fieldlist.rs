//! GNU's field-list grammar (`N`, `N-M`, `N-`, `-M`, joined by commas),
//! extended with column names when the input has a header.
//!
//! A list is parsed once into [`FieldList`] and resolved once, against the
//! header if there is one, into a [`Selection`] of 0-based inclusive ranges.
//! Error wording follows GNU cut where GNU has a case.

use super::Header;
use crate::error::{Error, Result};

/// What a list counts: GNU words its errors differently for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Fields,
    Positions,
}

/// A parsed but unresolved list: its items as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldList {
    items: Vec<String>,
    unit: Unit,
}

/// A range of 0-based indexes, inclusive; `hi == None` runs to the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub lo: usize,
    pub hi: Option<usize>,
}

impl Span {
    pub fn contains(&self, i: usize) -> bool {
        i >= self.lo && self.hi.is_none_or(|h| i <= h)
    }
}

/// A resolved list: spans in the order given (duplicates kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub spans: Vec<Span>,
}

impl FieldList {
    /// Splits a list into items. GNU accepts commas and blanks between items.
    pub fn parse(spec: &str, unit: Unit) -> Result<FieldList> {
        let items: Vec<String> = spec.split([',', ' ', '\t']).map(str::to_string).collect();
        let list = FieldList { items, unit };
        // Validate numeric items now so errors come before any input is read.
        for item in &list.items {
            if item.is_empty() || looks_numeric(item) {
                list.parse_range(item)?;
            }
        }
        Ok(list)
    }

    /// Resolves the list; names need a header.
    pub fn resolve(&self, header: Option<&Header>) -> Result<Selection> {
        let mut spans = Vec::with_capacity(self.items.len());
        for item in &self.items {
            if let Some(h) = header {
                if let Some(i) = h.index_of(item.as_bytes()) {
                    spans.push(Span { lo: i, hi: Some(i) });
                    continue;
                }
                if !looks_numeric(item) {
                    return Err(Error::usage(format!(
                        "unknown column '{}'; available columns: {}",
                        item,
                        h.available()
                    )));
                }
            }
            spans.push(self.parse_range(item)?);
        }
        Ok(Selection { spans })
    }

    fn what(&self) -> &'static str {
        match self.unit {
            Unit::Fields => "field",
            Unit::Positions => "byte/character",
        }
    }

    fn numbered_from_one(&self) -> Error {
        Error::usage(match self.unit {
            Unit::Fields => "fields are numbered from 1",
            Unit::Positions => "byte/character positions are numbered from 1",
        })
    }

    fn parse_range(&self, item: &str) -> Result<Span> {
        let num = |s: &str| -> Result<usize> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::usage(format!(
                    "invalid {} value '{}'",
                    self.what(),
                    item
                )));
            }
            match s.parse::<usize>() {
                Ok(0) => Err(self.numbered_from_one()),
                Ok(n) => Ok(n),
                Err(_) => Err(Error::usage(format!(
                    "{} number '{}' is too large",
                    self.what(),
                    s
                ))),
            }
        };
        if item.is_empty() {
            return Err(Error::usage(format!(
                "invalid {} range: empty list item",
                self.what()
            )));
        }
        match item.split_once('-') {
            None => {
                let n = num(item)?;
                Ok(Span {
                    lo: n - 1,
                    hi: Some(n - 1),
                })
            }
            Some(("", "")) => Err(Error::usage("invalid range with no endpoint: -")),
            Some(("", hi)) => Ok(Span {
                lo: 0,
                hi: Some(num(hi)? - 1),
            }),
            Some((lo, "")) => Ok(Span {
                lo: num(lo)? - 1,
                hi: None,
            }),
            Some((lo, hi)) => {
                let (lo, hi) = (num(lo)?, num(hi)?);
                if hi < lo {
                    return Err(Error::usage("invalid decreasing range"));
                }
                Ok(Span {
                    lo: lo - 1,
                    hi: Some(hi - 1),
                })
            }
        }
    }
}

fn looks_numeric(item: &str) -> bool {
    item.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}

impl Selection {
    /// True when index `i` is selected by any span.
    pub fn contains(&self, i: usize) -> bool {
        self.spans.iter().any(|s| s.contains(i))
    }

    /// A membership table for indexes below the largest closed bound, plus
    /// the smallest open start: what GNU cut's "each field once, in input
    /// order" needs, answered in O(1) per field.
    pub fn mask(&self) -> Mask {
        let open_from = self
            .spans
            .iter()
            .filter(|s| s.hi.is_none())
            .map(|s| s.lo)
            .min();
        let limit = self
            .spans
            .iter()
            .map(|s| s.hi.unwrap_or(s.lo) + 1)
            .max()
            .unwrap_or(0);
        let table = (0..limit).map(|i| self.contains(i)).collect();
        Mask { table, open_from }
    }

    /// The spans sorted and with overlapping ones merged (adjacent ones
    /// stay apart, as GNU cut keeps them for `--output-delimiter` in byte
    /// mode); with `complement`, the gaps between them instead.
    pub fn merged(&self, complement: bool) -> Vec<Span> {
        let mut spans = self.spans.clone();
        spans.sort_by_key(|s| s.lo);
        let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
        for s in spans {
            match merged.last_mut() {
                Some(last) if last.hi.is_none_or(|h| s.lo <= h) => {
                    last.hi = match (last.hi, s.hi) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                }
                _ => merged.push(s),
            }
        }
        if !complement {
            return merged;
        }
        let mut gaps = Vec::new();
        let mut next = 0;
        for s in &merged {
            if s.lo > next {
                gaps.push(Span {
                    lo: next,
                    hi: Some(s.lo - 1),
                });
            }
            match s.hi {
                Some(h) => next = h + 1,
                None => return gaps,
            }
        }
        gaps.push(Span { lo: next, hi: None });
        gaps
    }

    /// The indexes in the order given, duplicates kept, for a record with
    /// `n` fields (open spans end at the last field; past-the-end indexes of
    /// closed spans are kept so callers can fill them).
    pub fn ordered(&self, n: usize, out: &mut Vec<usize>) {
        out.clear();
        for s in &self.spans {
            let hi = match s.hi {
                Some(h) => h,
                None if n == 0 => continue,
                None => n - 1,
            };
            out.extend(s.lo..=hi);
        }
    }
}

/// See [`Selection::mask`].
#[derive(Clone, Debug)]
pub struct Mask {
    table: Vec<bool>,
    open_from: Option<usize>,
}

impl Mask {
    #[inline]
    pub fn contains(&self, i: usize) -> bool {
        match self.table.get(i) {
            Some(&b) => b || self.open_from.is_some_and(|o| i >= o),
            None => self.open_from.is_some_and(|o| i >= o),
        }
    }

    /// True when no index at or past `i` is selected.
    #[inline]
    pub fn done_after(&self, i: usize) -> bool {
        self.open_from.is_none() && i + 1 >= self.table.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(spec: &str) -> Selection {
        FieldList::parse(spec, Unit::Fields)
            .unwrap()
            .resolve(None)
            .unwrap()
    }

    #[test]
    fn gnu_list_syntax() {
        let m = sel("1,3-4,7-").mask();
        let got: Vec<usize> = (0..10).filter(|&i| m.contains(i)).collect();
        assert_eq!(got, [0, 2, 3, 6, 7, 8, 9]);
        let m = sel("-2").mask();
        assert!(m.contains(0) && m.contains(1) && !m.contains(2));
    }

    #[test]
    fn merge_and_complement_as_gnu() {
        let s = sel("4-5,1-3,2-3,7-");
        assert_eq!(
            s.merged(false),
            [
                Span { lo: 0, hi: Some(2) },
                Span { lo: 3, hi: Some(4) },
                Span { lo: 6, hi: None }
            ]
        );
        assert_eq!(s.merged(true), [Span { lo: 5, hi: Some(5) }]);
        assert_eq!(
            sel("2").merged(true),
            [Span { lo: 0, hi: Some(0) }, Span { lo: 2, hi: None }]
        );
    }

    #[test]
    fn gnu_list_errors() {
        for bad in ["0", "3-1", "-", "a", "1,,2", ""] {
            assert!(
                FieldList::parse(bad, Unit::Fields)
                    .and_then(|l| l.resolve(None))
                    .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_resolve_against_header() {
        let h = Header {
            names: vec![b"a".to_vec(), b"b-c".to_vec(), b"d".to_vec()],
        };
        let l = FieldList::parse("d,b-c,1", Unit::Fields).unwrap();
        let s = l.resolve(Some(&h)).unwrap();
        let mut v = Vec::new();
        s.ordered(3, &mut v);
        assert_eq!(v, [2, 1, 0]);
        let err = FieldList::parse("zz", Unit::Fields)
            .unwrap()
            .resolve(Some(&h))
            .unwrap_err();
        assert!(err.to_string().contains("available columns: a, b-c, d"));
    }
}
