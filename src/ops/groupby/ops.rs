//! The operation list (datamash's grouping operations plus pandas-style
//! aliases) and each operation's partial state: how a value is added, how
//! two partial states of one group combine (the earlier chunk's first), how
//! a state is encoded for a spill file, and how it is finished.
//!
//! Combining is exact where order could show: sums go through
//! [`ExactSum`]; holistic operations keep every value and sort at the end;
//! `first`, `last` and `collapse` keep input order because partials are
//! combined in chunk order. datamash pipes its input through a stable
//! `sort`, so within a group it sees lines in input order too.
//!
//! `--full` and `-i` print a "representative" line of each group, as
//! datamash does: the group's first line, replaced by every later line on
//! which `min`, `max`, `absmin`, `absmax`, `last` or `rand` took a new
//! value. Each such state remembers its line (ordinal and bytes) when the
//! caller asks for it.

use super::number::{
    add_square, dd_div, dd_sqrt, is_na, put_bytes, variance_numerator, Dd, ExactSum, Reader,
};
use crate::error::{Error, Result};

/// One operation kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Count,
    Sum,
    Min,
    Max,
    AbsMin,
    AbsMax,
    Range,
    Mean,
    GeoMean,
    HarmMean,
    TrimMean(f64),
    Median,
    Q1,
    Q3,
    Iqr,
    Perc(u32),
    Mode,
    AntiMode,
    PStdev,
    SStdev,
    PVar,
    SVar,
    Mad,
    MadRaw,
    SSkew,
    PSkew,
    SKurt,
    PKurt,
    First,
    Last,
    Rand,
    Unique,
    Collapse,
    CountUnique,
}

/// An operation on one column, as given on the command line.
#[derive(Clone, Debug)]
pub struct Op {
    pub kind: Kind,
    /// The name as printed in an output header (`sum`, `perc:90`).
    pub name: String,
    /// 0-based input column.
    pub field: usize,
}

/// Every operation name, for `--help` and errors.
pub const NAMES: &str = "count sum min max absmin absmax range mean geomean harmmean \
trimmean[:X] median q1 q3 iqr perc[:P] mode antimode pstdev sstdev pvar svar mad madraw \
sskew pskew skurt pkurt first last rand unique collapse countunique; aliases: nunique \
(countunique), std (sstdev), var (svar), size (count)";

/// Parses an operation name (`perc:90`, `trimmean:0.2`, `std`); `None` when
/// the word is not an operation (so it starts the file operands).
pub fn parse_kind(word: &str) -> Option<Result<(Kind, String)>> {
    let (base, param) = match word.split_once(':') {
        Some((b, p)) => (b, Some(p)),
        None => (word, None),
    };
    let kind = match base {
        "count" | "size" => Kind::Count,
        "sum" => Kind::Sum,
        "min" => Kind::Min,
        "max" => Kind::Max,
        "absmin" => Kind::AbsMin,
        "absmax" => Kind::AbsMax,
        "range" => Kind::Range,
        "mean" => Kind::Mean,
        "geomean" => Kind::GeoMean,
        "harmmean" => Kind::HarmMean,
        "trimmean" => {
            let x = match param {
                None => 0.0,
                Some(p) => match p.parse::<f64>() {
                    Ok(x) if (0.0..=0.5).contains(&x) => x,
                    _ => {
                        return Some(Err(Error::usage(format!(
                            "invalid trim mean value {p} (expected 0 <= X <= 0.5)"
                        ))))
                    }
                },
            };
            return Some(Ok((Kind::TrimMean(x), word.to_string())));
        }
        "median" => Kind::Median,
        "q1" => Kind::Q1,
        "q3" => Kind::Q3,
        "iqr" => Kind::Iqr,
        "perc" => {
            let p = match param {
                None => 95,
                Some(p) => match p.parse::<u32>() {
                    Ok(x) if (1..=100).contains(&x) => x,
                    _ => return Some(Err(Error::usage(format!("invalid percentile value '{p}'")))),
                },
            };
            return Some(Ok((Kind::Perc(p), format!("perc:{p}"))));
        }
        "mode" => Kind::Mode,
        "antimode" => Kind::AntiMode,
        "pstdev" => Kind::PStdev,
        "sstdev" | "std" => Kind::SStdev,
        "pvar" => Kind::PVar,
        "svar" | "var" => Kind::SVar,
        "mad" => Kind::Mad,
        "madraw" => Kind::MadRaw,
        "sskew" => Kind::SSkew,
        "pskew" => Kind::PSkew,
        "skurt" => Kind::SKurt,
        "pkurt" => Kind::PKurt,
        "first" => Kind::First,
        "last" => Kind::Last,
        "rand" => Kind::Rand,
        "unique" => Kind::Unique,
        "collapse" => Kind::Collapse,
        "countunique" | "nunique" => Kind::CountUnique,
        _ => return None,
    };
    if param.is_some() {
        return Some(Err(Error::usage(format!(
            "operation '{base}' takes no parameter"
        ))));
    }
    Some(Ok((kind, word.to_string())))
}

impl Kind {
    /// True when the operation adds its values up as they are (`sum`,
    /// `mean`): a short decimal goes in exactly, without becoming a
    /// double ([`State::add_decimal`]).
    pub fn sums_decimals(self) -> bool {
        matches!(self, Kind::Sum | Kind::Mean)
    }

    /// True when the state's result does not depend on the order values
    /// come in or partial states combine: counts, and sums kept exact
    /// (not `min`/`max`, whose NaN rule looks at the first value, nor the
    /// holistic ones, whose moments are summed in order).
    pub fn order_free(self) -> bool {
        matches!(
            self,
            Kind::Count
                | Kind::Sum
                | Kind::Mean
                | Kind::GeoMean
                | Kind::HarmMean
                | Kind::PStdev
                | Kind::SStdev
                | Kind::PVar
                | Kind::SVar
        )
    }

    /// True when the field must be a number.
    pub fn numeric(self) -> bool {
        !matches!(
            self,
            Kind::Count
                | Kind::First
                | Kind::Last
                | Kind::Rand
                | Kind::Unique
                | Kind::Collapse
                | Kind::CountUnique
        )
    }
}

/// A line remembered for `--full`/`-i`: its ordinal in the input and bytes.
pub type Line = Option<(u64, Box<[u8]>)>;

/// What the caller passes with each value.
pub struct Ctx<'a> {
    /// Input order of the line (source and offset).
    pub ord: u64,
    /// The record, when lines are tracked.
    pub line: Option<&'a [u8]>,
}

impl Ctx<'_> {
    #[inline]
    fn keep(&self) -> Line {
        self.line.map(|l| (self.ord, l.into()))
    }
}

/// One operation's partial state for one group.
#[derive(Clone, Debug)]
pub enum State {
    Count(u64),
    /// sum, mean, geomean (of logs), harmmean (of reciprocals).
    Sum {
        n: u64,
        s: ExactSum,
    },
    /// min, max, absmin, absmax: the best non-NaN value, and whether the
    /// group's first value was NaN (then datamash's result is NaN).
    Ext {
        n: u64,
        first_nan: bool,
        has: bool,
        best: f64,
        line: Line,
    },
    Range {
        n: u64,
        first_nan: bool,
        has: bool,
        lo: f64,
        hi: f64,
    },
    /// Σx and Σx², boxed: the largest variant sets every state's size.
    Var {
        n: u64,
        sq: Box<[ExactSum; 2]>,
    },
    Values(Vec<f64>),
    /// first, last, rand: the value, its ordinal, its line.
    Pick {
        n: u64,
        ord: u64,
        value: Box<[u8]>,
        line: Line,
    },
    /// unique, collapse, countunique: length-prefixed strings in order.
    Strings {
        n: u64,
        buf: Vec<u8>,
    },
}

/// A finished result.
pub enum Out {
    /// A number as a double-double (see [`Dd`]).
    Num(Dd),
    Text(Vec<u8>),
}

impl State {
    pub fn new(kind: Kind) -> State {
        match kind {
            Kind::Count => State::Count(0),
            Kind::Sum | Kind::Mean | Kind::GeoMean | Kind::HarmMean => State::Sum {
                n: 0,
                s: ExactSum::default(),
            },
            Kind::Min | Kind::Max | Kind::AbsMin | Kind::AbsMax => State::Ext {
                n: 0,
                first_nan: false,
                has: false,
                best: 0.0,
                line: None,
            },
            Kind::Range => State::Range {
                n: 0,
                first_nan: false,
                has: false,
                lo: 0.0,
                hi: 0.0,
            },
            Kind::PStdev | Kind::SStdev | Kind::PVar | Kind::SVar => State::Var {
                n: 0,
                sq: Box::default(),
            },
            Kind::First | Kind::Last | Kind::Rand => State::Pick {
                n: 0,
                ord: 0,
                value: Box::default(),
                line: None,
            },
            Kind::Unique | Kind::Collapse | Kind::CountUnique => State::Strings {
                n: 0,
                buf: Vec::new(),
            },
            _ => State::Values(Vec::new()),
        }
    }

    /// Adds one short decimal `m / 10^frac` to a `sum` or `mean` (see
    /// [`Kind::sums_decimals`]).
    #[inline]
    pub fn add_decimal(&mut self, m: i64, frac: u32) {
        match self {
            State::Sum { n, s } => {
                *n += 1;
                s.add_decimal(m, frac);
            }
            _ => unreachable!("add_decimal on a state that is not a sum"),
        }
    }

    /// Counts one value of a `count`, which needs no value.
    #[inline]
    pub fn count_one(&mut self) {
        match self {
            State::Count(n) => *n += 1,
            _ => unreachable!("count_one on a state that is not a count"),
        }
    }

    /// Adds one value: `raw` is the field, `x` its number for numeric ops.
    #[inline]
    pub fn update(&mut self, kind: Kind, raw: &[u8], x: f64, ctx: &Ctx) {
        match self {
            State::Count(n) => *n += 1,
            State::Sum { n, s } => {
                *n += 1;
                s.add(match kind {
                    Kind::GeoMean => x.ln(),
                    Kind::HarmMean => 1.0 / x,
                    _ => x,
                });
            }
            State::Ext {
                n,
                first_nan,
                has,
                best,
                line,
            } => {
                *n += 1;
                if *n == 1 {
                    *first_nan = x.is_nan();
                }
                if !x.is_nan() && (!*has || better(kind, x, *best)) {
                    *best = x;
                    *has = true;
                    *line = ctx.keep();
                }
            }
            State::Range {
                n,
                first_nan,
                has,
                lo,
                hi,
            } => {
                *n += 1;
                if *n == 1 {
                    *first_nan = x.is_nan();
                }
                if !x.is_nan() {
                    if !*has {
                        (*lo, *hi, *has) = (x, x, true);
                    } else {
                        *lo = lo.min(x);
                        *hi = hi.max(x);
                    }
                }
            }
            State::Var { n, sq } => {
                *n += 1;
                sq[0].add(x);
                add_square(&mut sq[1], x);
            }
            State::Values(v) => v.push(x),
            State::Pick {
                n,
                ord,
                value,
                line,
            } => {
                *n += 1;
                let take = match kind {
                    Kind::First => *n == 1,
                    Kind::Last => true,
                    _ => *n == 1 || mix(ctx.ord) < mix(*ord),
                };
                if take {
                    *ord = ctx.ord;
                    *value = raw.into();
                    *line = ctx.keep();
                }
            }
            State::Strings { n, buf } => {
                *n += 1;
                put_bytes(buf, raw);
            }
        }
    }

    /// Combines `later` (a partial of the same group from a later chunk)
    /// into `self`.
    pub fn merge(&mut self, kind: Kind, later: State) {
        match (self, later) {
            (State::Count(a), State::Count(b)) => *a += b,
            (State::Sum { n, s }, State::Sum { n: n2, s: s2 }) => {
                *n += n2;
                s.merge(&s2);
            }
            (
                State::Ext {
                    n,
                    first_nan,
                    has,
                    best,
                    line,
                },
                State::Ext {
                    n: n2,
                    first_nan: f2,
                    has: h2,
                    best: b2,
                    line: l2,
                },
            ) => {
                if *n == 0 {
                    (*first_nan, *has, *best, *line) = (f2, h2, b2, l2);
                } else if h2 && (!*has || better(kind, b2, *best)) {
                    (*has, *best, *line) = (true, b2, l2);
                }
                *n += n2;
            }
            (
                State::Range {
                    n,
                    first_nan,
                    has,
                    lo,
                    hi,
                },
                State::Range {
                    n: n2,
                    first_nan: f2,
                    has: h2,
                    lo: lo2,
                    hi: hi2,
                },
            ) => {
                if *n == 0 {
                    (*first_nan, *has, *lo, *hi) = (f2, h2, lo2, hi2);
                } else if h2 {
                    if *has {
                        *lo = lo.min(lo2);
                        *hi = hi.max(hi2);
                    } else {
                        (*has, *lo, *hi) = (true, lo2, hi2);
                    }
                }
                *n += n2;
            }
            (State::Var { n, sq }, State::Var { n: n2, sq: sq2 }) => {
                *n += n2;
                sq[0].merge(&sq2[0]);
                sq[1].merge(&sq2[1]);
            }
            (State::Values(a), State::Values(b)) => a.extend_from_slice(&b),
            (
                State::Pick {
                    n,
                    ord,
                    value,
                    line,
                },
                State::Pick {
                    n: n2,
                    ord: o2,
                    value: v2,
                    line: l2,
                },
            ) => {
                let take = n2 > 0
                    && match kind {
                        Kind::First => *n == 0,
                        Kind::Last => true,
                        _ => *n == 0 || mix(o2) < mix(*ord),
                    };
                if take {
                    (*ord, *value, *line) = (o2, v2, l2);
                }
                *n += n2;
            }
            (State::Strings { n, buf }, State::Strings { n: n2, buf: b2 }) => {
                *n += n2;
                buf.extend_from_slice(&b2);
            }
            _ => {}
        }
    }

    /// Bytes this state holds, for the memory budget.
    pub fn heap_size(&self) -> usize {
        match self {
            State::Values(v) => v.capacity() * 8,
            State::Strings { buf, .. } => buf.capacity(),
            State::Pick { value, line, .. } => {
                value.len() + line.as_ref().map_or(0, |(_, l)| l.len())
            }
            State::Ext { line, .. } => line.as_ref().map_or(0, |(_, l)| l.len()),
            State::Var { .. } => 2 * std::mem::size_of::<ExactSum>(),
            State::Sum { .. } => 0,
            _ => 0,
        }
    }

    /// The line this state wants printed under `--full`/`-i`, if any.
    pub fn line(&self) -> Option<&(u64, Box<[u8]>)> {
        match self {
            State::Ext { line, .. } | State::Pick { line, .. } => line.as_ref(),
            _ => None,
        }
    }

    /// The result. `fold` is `-i` (case-insensitive unique/countunique).
    pub fn finish(&mut self, kind: Kind, fold: bool) -> Out {
        let count = match self {
            State::Count(n)
            | State::Sum { n, .. }
            | State::Ext { n, .. }
            | State::Range { n, .. }
            | State::Var { n, .. }
            | State::Pick { n, .. }
            | State::Strings { n, .. } => *n,
            State::Values(v) => v.len() as u64,
        };
        if count == 0 {
            return empty(kind);
        }
        let nan = (f64::NAN, 0.0);
        let one = |x: f64| (x, 0.0);
        Out::Num(match self {
            State::Count(n) => one(*n as f64),
            State::Sum { n, s } => {
                let v = s.double_double();
                match kind {
                    Kind::Mean => dd_div(v, *n as f64),
                    Kind::GeoMean => one((v.0 / *n as f64).exp()),
                    Kind::HarmMean => one(*n as f64 / v.0),
                    _ => (v.0 + 0.0, v.1),
                }
            }
            State::Ext {
                first_nan, best, ..
            } => {
                if *first_nan {
                    nan
                } else {
                    one(*best)
                }
            }
            State::Range {
                first_nan, lo, hi, ..
            } => {
                if *first_nan {
                    nan
                } else {
                    let mut r = ExactSum::default();
                    r.add(*hi);
                    r.add(-*lo);
                    r.double_double()
                }
            }
            State::Var { n, sq } => {
                let (s, q) = (&sq[0], &sq[1]);
                let df = u64::from(matches!(kind, Kind::SStdev | Kind::SVar));
                if *n == df {
                    nan
                } else {
                    let mut d = variance_numerator(*n, s, q).double_double();
                    if d.0 < 0.0 {
                        d = (0.0, 0.0);
                    }
                    let var = dd_div(d, *n as f64 * (*n - df) as f64);
                    if matches!(kind, Kind::PStdev | Kind::SStdev) {
                        dd_sqrt(var)
                    } else {
                        var
                    }
                }
            }
            State::Values(v) => {
                v.sort_by(f64::total_cmp);
                holistic(kind, v)
            }
            State::Pick { value, .. } => return Out::Text(value.to_vec()),
            State::Strings { buf, .. } => {
                let mut items = Vec::new();
                let mut r = Reader { data: buf };
                while let Some(b) = r.bytes() {
                    items.push(b);
                }
                if kind == Kind::Collapse {
                    return Out::Text(items.join(&b","[..]));
                }
                if fold {
                    items.sort_by_key(|a| a.to_ascii_lowercase());
                    items.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
                } else {
                    items.sort();
                    items.dedup();
                }
                if kind == Kind::CountUnique {
                    one(items.len() as f64)
                } else {
                    return Out::Text(items.join(&b","[..]));
                }
            }
        })
    }

    /// Appends the state to `out` (spill files).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let put_line = |out: &mut Vec<u8>, line: &Line| match line {
            None => out.push(0),
            Some((o, l)) => {
                out.push(1);
                out.extend_from_slice(&o.to_le_bytes());
                put_bytes(out, l);
            }
        };
        match self {
            State::Count(n) => out.extend_from_slice(&n.to_le_bytes()),
            State::Sum { n, s } => {
                out.extend_from_slice(&n.to_le_bytes());
                s.encode(out);
            }
            State::Ext {
                n,
                first_nan,
                has,
                best,
                line,
            } => {
                out.extend_from_slice(&n.to_le_bytes());
                out.push(u8::from(*first_nan) | u8::from(*has) << 1);
                out.extend_from_slice(&best.to_bits().to_le_bytes());
                put_line(out, line);
            }
            State::Range {
                n,
                first_nan,
                has,
                lo,
                hi,
            } => {
                out.extend_from_slice(&n.to_le_bytes());
                out.push(u8::from(*first_nan) | u8::from(*has) << 1);
                out.extend_from_slice(&lo.to_bits().to_le_bytes());
                out.extend_from_slice(&hi.to_bits().to_le_bytes());
            }
            State::Var { n, sq } => {
                out.extend_from_slice(&n.to_le_bytes());
                sq[0].encode(out);
                sq[1].encode(out);
            }
            State::Values(v) => {
                out.extend_from_slice(&(v.len() as u64).to_le_bytes());
                for x in v {
                    out.extend_from_slice(&x.to_bits().to_le_bytes());
                }
            }
            State::Pick {
                n,
                ord,
                value,
                line,
            } => {
                out.extend_from_slice(&n.to_le_bytes());
                out.extend_from_slice(&ord.to_le_bytes());
                put_bytes(out, value);
                put_line(out, line);
            }
            State::Strings { n, buf } => {
                out.extend_from_slice(&n.to_le_bytes());
                put_bytes(out, buf);
            }
        }
    }

    /// Reads a state written by [`State::encode`] for an op of `kind`.
    pub fn decode(kind: Kind, r: &mut Reader) -> Option<State> {
        fn line(r: &mut Reader) -> Option<Line> {
            Some(match r.u8()? {
                0 => None,
                _ => Some((r.u64()?, r.bytes()?.into())),
            })
        }
        Some(match State::new(kind) {
            State::Count(_) => State::Count(r.u64()?),
            State::Sum { .. } => State::Sum {
                n: r.u64()?,
                s: ExactSum::decode(r)?,
            },
            State::Ext { .. } => {
                let n = r.u64()?;
                let flags = r.u8()?;
                State::Ext {
                    n,
                    first_nan: flags & 1 != 0,
                    has: flags & 2 != 0,
                    best: r.f64()?,
                    line: line(r)?,
                }
            }
            State::Range { .. } => {
                let n = r.u64()?;
                let flags = r.u8()?;
                State::Range {
                    n,
                    first_nan: flags & 1 != 0,
                    has: flags & 2 != 0,
                    lo: r.f64()?,
                    hi: r.f64()?,
                }
            }
            State::Var { .. } => State::Var {
                n: r.u64()?,
                sq: Box::new([ExactSum::decode(r)?, ExactSum::decode(r)?]),
            },
            State::Values(_) => {
                let n = r.u64()? as usize;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(r.f64()?);
                }
                State::Values(v)
            }
            State::Pick { .. } => State::Pick {
                n: r.u64()?,
                ord: r.u64()?,
                value: r.bytes()?.into(),
                line: line(r)?,
            },
            State::Strings { .. } => State::Strings {
                n: r.u64()?,
                buf: r.bytes()?.to_vec(),
            },
        })
    }
}

/// datamash's comparisons for min, max, absmin, absmax (strict, so the
/// earliest value wins ties).
#[inline]
fn better(kind: Kind, x: f64, best: f64) -> bool {
    match kind {
        Kind::Min => x < best,
        Kind::Max => x > best,
        Kind::AbsMin => x.abs() < best.abs(),
        _ => x.abs() > best.abs(),
    }
}

/// `rand`'s choice: the value whose line ordinal hashes lowest, so the
/// pick is uniform-looking yet the same at any `-j` and chunk size.
#[inline]
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Results of a group with no values (all NA under `--narm`), as datamash.
fn empty(kind: Kind) -> Out {
    let v = match kind {
        Kind::Sum | Kind::Count | Kind::CountUnique => 0.0,
        Kind::Min | Kind::AbsMin => f64::NEG_INFINITY,
        Kind::Max | Kind::AbsMax => f64::INFINITY,
        Kind::First | Kind::Last | Kind::Rand => return Out::Text(b"N/A".to_vec()),
        Kind::Unique | Kind::Collapse => return Out::Text(Vec::new()),
        _ => f64::NAN,
    };
    Out::Num((v, 0.0))
}

/// Adds `sign * (a + f * (b - a))` to `acc` without rounding anything
/// but the final result: datamash interpolates in long double, and at
/// 14 digits the cancellation in `b - a` would otherwise show.
fn lerp_into(acc: &mut ExactSum, a: f64, b: f64, f: f64, sign: f64) {
    acc.add(sign * a);
    if f == 0.0 {
        return;
    }
    // b - a exactly as dh + dl (two-sum).
    let dh = b - a;
    let bb = dh + a;
    let dl = (b - bb) + (-a - (dh - bb));
    for d in [dh, dl] {
        let p = f * d;
        acc.add(sign * p);
        acc.add(sign * f.mul_add(d, -p));
    }
}

fn median_into(acc: &mut ExactSum, v: &[f64], sign: f64) {
    let n = v.len();
    if n % 2 == 1 {
        acc.add(sign * v[n / 2]);
    } else {
        lerp_into(acc, v[n / 2 - 1], v[n / 2], 0.5, sign);
    }
}

fn median(v: &[f64]) -> Dd {
    let mut acc = ExactSum::default();
    median_into(&mut acc, v, 1.0);
    acc.double_double()
}

/// R's quantile type 7, as datamash: `h = (n-1) p` in double, then the
/// interpolation (exact here, long double there).
fn percentile_into(acc: &mut ExactSum, v: &[f64], p: f64, sign: f64) {
    let n = v.len();
    if n == 1 {
        acc.add(sign * v[0]);
        return;
    }
    let h = (n - 1) as f64 * p;
    let fh = h.floor() as usize;
    if fh + 1 >= n {
        acc.add(sign * v[fh.min(n - 1)]);
        return;
    }
    lerp_into(acc, v[fh], v[fh + 1], h - fh as f64, sign);
}

fn percentile(v: &[f64], p: f64) -> Dd {
    let mut acc = ExactSum::default();
    percentile_into(&mut acc, v, p, 1.0);
    acc.double_double()
}

/// datamash's mode/antimode scan over sorted values (its quirks kept).
fn mode(v: &[f64], anti: bool) -> f64 {
    let mut last = v[0];
    let mut seq = 1usize;
    let mut best_seq = if anti { usize::MAX } else { 1 };
    let mut best = v[0];
    for &x in &v[1..] {
        let eq = x == last;
        if eq {
            seq += 1;
        }
        if (!anti && seq > best_seq) || (anti && seq < best_seq) {
            best_seq = seq;
            best = last;
        }
        if !eq {
            seq = 1;
        }
        last = x;
    }
    best
}

fn moments(v: &[f64]) -> (f64, f64, f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &x in v {
        let t = x - mean;
        m2 += t * t;
        m3 += t * t * t;
        m4 += t * t * t * t;
    }
    (n, m2 / n, m3 / n, m4 / n)
}

/// Holistic results over the sorted values of a group.
fn holistic(kind: Kind, v: &[f64]) -> Dd {
    let nan = (f64::NAN, 0.0);
    match kind {
        Kind::Median => median(v),
        Kind::Q1 => percentile(v, 0.25),
        Kind::Q3 => percentile(v, 0.75),
        Kind::Iqr => {
            let mut acc = ExactSum::default();
            percentile_into(&mut acc, v, 0.75, 1.0);
            percentile_into(&mut acc, v, 0.25, -1.0);
            acc.double_double()
        }
        Kind::Perc(p) => percentile(v, f64::from(p) / 100.0),
        Kind::Mode => (mode(v, false), 0.0),
        Kind::AntiMode => (mode(v, true), 0.0),
        Kind::Mad | Kind::MadRaw => {
            let mut m = ExactSum::default();
            median_into(&mut m, v, 1.0);
            let mut d: Vec<f64> = v
                .iter()
                .map(|&x| {
                    let mut t = m.clone();
                    t.add(-x);
                    t.value().abs()
                })
                .collect();
            d.sort_by(f64::total_cmp);
            let m = median(&d);
            if kind == Kind::Mad {
                let p = m.0 * 1.4826;
                (p, m.0.mul_add(1.4826, -p) + m.1 * 1.4826)
            } else {
                m
            }
        }
        Kind::TrimMean(t) => {
            if t >= 0.5 {
                return median(v);
            }
            let n = v.len();
            let c = (t * n as f64).floor() as usize;
            let mut s = ExactSum::default();
            for &x in &v[c..n - c] {
                s.add(x);
            }
            dd_div(s.double_double(), (n - 2 * c) as f64)
        }
        Kind::SSkew | Kind::PSkew => {
            if v.len() <= 1 {
                return nan;
            }
            let (n, m2, m3, _) = moments(v);
            let mut s = m3 / (m2 * m2 * m2).sqrt();
            if kind == Kind::SSkew {
                if v.len() <= 2 {
                    return nan;
                }
                s *= (n * (n - 1.0)).sqrt() / (n - 2.0);
            }
            (s, 0.0)
        }
        Kind::SKurt | Kind::PKurt => {
            if v.len() <= 1 {
                return nan;
            }
            let (n, m2, _, m4) = moments(v);
            let mut k = m4 / (m2 * m2) - 3.0;
            if kind == Kind::SKurt {
                if v.len() <= 3 {
                    return nan;
                }
                k = ((n - 1.0) / ((n - 2.0) * (n - 3.0))) * ((n + 1.0) * k + 6.0);
            }
            (k, 0.0)
        }
        _ => nan,
    }
}

/// True when the field is skipped under `--narm`: datamash's NA, N/A and
/// NaN, and (our extension) an empty field.
#[inline]
pub fn skipped(narm: bool, raw: &[u8]) -> bool {
    narm && (raw.is_empty() || is_na(raw))
}
