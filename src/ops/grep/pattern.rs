//! Patterns: GNU grep's `-G` (basic), `-E` (extended) and `-F` (fixed)
//! syntaxes, with `-i`, `-w` and `-x`, translated into one `regex::bytes`
//! regex.
//!
//! The translation emits only ASCII regex syntax: every byte that is not a
//! plain ASCII letter or digit is written as `\xHH`, so a pattern holding
//! invalid UTF-8 matches those bytes (the regex is built with Unicode off,
//! which is GNU's `LC_ALL=C` meaning: a character is a byte). Several
//! patterns (`-e` twice, `-f FILE`, newlines in a pattern) become one
//! alternation, so a chunk is scanned once whatever their number; the
//! regex crate's literal prefilters (memchr, memmem, Teddy) do the fast
//! part.
//!
//! Known difference from GNU: the regex crate picks the leftmost-*first*
//! match where POSIX picks the leftmost-*longest*. Which lines match is the
//! same; only the extent printed by `-o` can differ, for alternations whose
//! earlier branch is a prefix of a later one (`-o -E 'a|ab'`).

use crate::error::{Error, Result};
use regex::bytes::{Regex, RegexBuilder};

/// Which syntax the patterns are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Basic,
    Extended,
    Fixed,
}

/// How patterns are compiled.
#[derive(Clone, Copy, Debug)]
pub struct PatternOptions {
    pub syntax: Syntax,
    pub ignore_case: bool,
    /// `-w`: the match must be a whole word.
    pub word: bool,
    /// `-x`: the match must be the whole line.
    pub line: bool,
    /// The line terminator (`\n`, or `\0` with `-z`): `^`/`$` anchor at it
    /// and `-w`'s boundary classes never consume it.
    pub eol: u8,
    /// True to search whole chunks (`^`/`$` at every line); false to match
    /// one value at a time (a CSV field), `^`/`$` at its ends.
    pub multi_line: bool,
}

/// A compiled set of patterns.
#[derive(Clone, Debug)]
pub struct Matcher {
    /// None when there is no pattern at all (`-f /dev/null`): nothing
    /// matches.
    re: Option<Regex>,
    /// With `-w`, the part to report is the capture group `m` (the regex
    /// also consumes the non-word byte around it).
    group: bool,
}

impl Matcher {
    /// Compiles `patterns` (each one GNU pattern, without newlines).
    pub fn new(patterns: &[Vec<u8>], opts: PatternOptions) -> Result<Matcher> {
        if patterns.is_empty() {
            return Ok(Matcher {
                re: None,
                group: false,
            });
        }
        let mut alts = Vec::with_capacity(patterns.len());
        for p in patterns {
            alts.push(match opts.syntax {
                Syntax::Fixed => literal(p),
                Syntax::Basic => translate(p, false)?,
                Syntax::Extended => translate(p, true)?,
            });
        }
        let body = if alts.len() == 1 {
            alts.pop().unwrap_or_default()
        } else {
            alts.iter()
                .map(|a| format!("(?:{a})"))
                .collect::<Vec<_>>()
                .join("|")
        };
        let (src, group) = if opts.line {
            (format!("^(?:{body})$"), false)
        } else if opts.word {
            // GNU's -w: the match is preceded and followed by a non-word
            // byte or the line's edge. The boundary classes exclude the
            // line terminator so a match never starts on the previous line.
            let nw = format!("[^0-9A-Za-z_\\x{:02X}]", opts.eol);
            (format!("(?:^|{nw})(?P<m>{body})(?:{nw}|$)"), true)
        } else {
            (body, false)
        };
        let re = RegexBuilder::new(&src)
            .unicode(false)
            .case_insensitive(opts.ignore_case)
            .multi_line(opts.multi_line)
            .line_terminator(opts.eol)
            .size_limit(1 << 30)
            .dfa_size_limit(1 << 28)
            .build()
            .map_err(|e| {
                Error::usage(format!("invalid pattern: {}", first_line(&e.to_string())))
            })?;
        Ok(Matcher {
            re: Some(re),
            group,
        })
    }

    /// The leftmost match at or after `start` in `hay`, as a whole-regex
    /// span (with `-w` it may include one boundary byte on each side, on
    /// the same line).
    #[inline]
    pub fn find_at(&self, hay: &[u8], start: usize) -> Option<(usize, usize)> {
        self.re
            .as_ref()?
            .find_at(hay, start)
            .map(|m| (m.start(), m.end()))
    }

    /// True when `hay` (one line or one field) holds a match.
    #[inline]
    pub fn is_match(&self, hay: &[u8]) -> bool {
        self.re.as_ref().is_some_and(|r| r.is_match(hay))
    }

    /// Calls `f(start, end)` for each non-empty match in `line`, in order,
    /// as `-o` prints them.
    pub fn for_each_match(&self, line: &[u8], mut f: impl FnMut(usize, usize)) {
        let Some(re) = &self.re else { return };
        let mut at = 0;
        while at <= line.len() {
            let span = if self.group {
                match re.captures_at(line, at) {
                    Some(c) => c.name("m").map(|m| (m.start(), m.end())),
                    None => None,
                }
            } else {
                re.find_at(line, at).map(|m| (m.start(), m.end()))
            };
            let Some((s, e)) = span else { return };
            if e > s {
                f(s, e);
                at = e;
            } else {
                at = e + 1;
            }
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .filter(|l| l.contains("error:"))
        .map(|l| l.trim().trim_start_matches("error:").trim().to_string())
        .next()
        .unwrap_or_else(|| s.lines().next().unwrap_or("").to_string())
}

/// Splits a pattern operand at newlines: GNU treats each line as its own
/// pattern.
pub fn split_patterns(p: &[u8], out: &mut Vec<Vec<u8>>) {
    for part in p.split(|&b| b == b'\n') {
        out.push(part.to_vec());
    }
}

/// Appends byte `b` as a regex literal.
fn push_literal(out: &mut String, b: u8) {
    if b.is_ascii_alphanumeric() {
        out.push(b as char);
    } else {
        out.push_str(&format!("\\x{b:02X}"));
    }
}

/// A fixed string as a regex.
fn literal(p: &[u8]) -> String {
    let mut out = String::with_capacity(p.len() * 2);
    for &b in p {
        push_literal(&mut out, b);
    }
    out
}

/// Translates one GNU basic (`extended == false`) or extended regex.
pub fn translate(p: &[u8], extended: bool) -> Result<String> {
    let mut out = String::with_capacity(p.len() * 2);
    // Start of the last atom in `out`, for a quantifier to apply to; None
    // where a quantifier has nothing to repeat (it is then literal).
    let mut atom: Option<usize> = None;
    // Whether that atom already carries a quantifier (a second one needs a
    // group around it: the regex crate rejects `a**`).
    let mut quantified = false;
    let mut groups: Vec<usize> = Vec::new();
    let mut i = 0;
    let n = p.len();
    while i < n {
        let c = p[i];
        let at_start = atom.is_none();
        match c {
            b'\\' => {
                let Some(&e) = p.get(i + 1) else {
                    return Err(Error::usage("trailing backslash (\\)"));
                };
                i += 2;
                match e {
                    b'(' if !extended => {
                        groups.push(out.len());
                        out.push('(');
                        atom = None;
                        quantified = false;
                    }
                    b')' if !extended => {
                        close_group(&mut out, &mut groups, &mut atom)?;
                        quantified = false;
                    }
                    b'|' if !extended => {
                        out.push('|');
                        atom = None;
                    }
                    b'{' if !extended => {
                        if at_start {
                            push_literal(&mut out, b'{');
                            atom = Some(out.len() - 4);
                            quantified = false;
                            continue;
                        }
                        let (q, next) =
                            interval(p, i, false)?.ok_or_else(|| Error::usage("unmatched \\{"))?;
                        quantify(&mut out, atom, &mut quantified, &q);
                        i = next;
                    }
                    b'+' | b'?' if !extended => {
                        if at_start {
                            let s = out.len();
                            push_literal(&mut out, e);
                            atom = Some(s);
                            quantified = false;
                        } else {
                            quantify(&mut out, atom, &mut quantified, &(e as char).to_string());
                        }
                    }
                    b'1'..=b'9' => {
                        return Err(Error::usage(
                            "back-references (\\1 to \\9) are not supported",
                        ))
                    }
                    b'<' | b'>' | b'b' | b'B' | b'`' | b'\'' => {
                        out.push_str(match e {
                            b'<' => r"\b{start}",
                            b'>' => r"\b{end}",
                            b'b' => r"\b",
                            b'B' => r"\B",
                            b'`' => "^",
                            _ => "$",
                        });
                        atom = None;
                    }
                    b'w' | b'W' | b's' | b'S' => {
                        let s = out.len();
                        out.push('\\');
                        out.push(e as char);
                        atom = Some(s);
                        quantified = false;
                    }
                    _ => {
                        let s = out.len();
                        push_literal(&mut out, e);
                        atom = Some(s);
                        quantified = false;
                    }
                }
                continue;
            }
            b'[' => {
                let s = out.len();
                i = bracket(p, i, &mut out)?;
                atom = Some(s);
                quantified = false;
                continue;
            }
            b'.' => {
                atom = Some(out.len());
                quantified = false;
                out.push('.');
            }
            b'*' => {
                if at_start {
                    atom = Some(out.len());
                    quantified = false;
                    push_literal(&mut out, b'*');
                } else {
                    quantify(&mut out, atom, &mut quantified, "*");
                }
            }
            b'^' => {
                // BRE: an anchor only where an expression starts.
                let anchor = extended || out.is_empty() || out.ends_with('(') || out.ends_with('|');
                if anchor {
                    out.push('^');
                    atom = None;
                } else {
                    atom = Some(out.len());
                    quantified = false;
                    push_literal(&mut out, b'^');
                }
            }
            b'$' => {
                // BRE: an anchor only where an expression ends.
                let rest = &p[i + 1..];
                let anchor = extended
                    || rest.is_empty()
                    || rest.starts_with(b"\\)")
                    || rest.starts_with(b"\\|");
                if anchor {
                    out.push('$');
                    atom = None;
                } else {
                    atom = Some(out.len());
                    quantified = false;
                    push_literal(&mut out, b'$');
                }
            }
            b'(' if extended => {
                groups.push(out.len());
                out.push('(');
                atom = None;
                quantified = false;
            }
            b')' if extended && !groups.is_empty() => {
                close_group(&mut out, &mut groups, &mut atom)?;
                quantified = false;
            }
            b'|' if extended => {
                out.push('|');
                atom = None;
            }
            b'+' | b'?' if extended && !at_start => {
                quantify(&mut out, atom, &mut quantified, &(c as char).to_string());
            }
            b'{' if extended && !at_start => match interval(p, i + 1, true)? {
                Some((q, next)) => {
                    quantify(&mut out, atom, &mut quantified, &q);
                    i = next;
                    continue;
                }
                None => {
                    atom = Some(out.len());
                    quantified = false;
                    push_literal(&mut out, b'{');
                }
            },
            _ => {
                atom = Some(out.len());
                quantified = false;
                push_literal(&mut out, c);
            }
        }
        i += 1;
    }
    if !groups.is_empty() {
        return Err(Error::usage("unmatched ( or \\("));
    }
    Ok(out)
}

fn close_group(out: &mut String, groups: &mut Vec<usize>, atom: &mut Option<usize>) -> Result<()> {
    let start = groups
        .pop()
        .ok_or_else(|| Error::usage("unmatched ) or \\)"))?;
    out.push(')');
    *atom = Some(start);
    Ok(())
}

/// Applies quantifier `q` to the last atom (wrapping it in a group when it
/// already has one).
fn quantify(out: &mut String, atom: Option<usize>, quantified: &mut bool, q: &str) {
    let Some(start) = atom else {
        out.push_str(q);
        return;
    };
    if *quantified {
        out.insert_str(start, "(?:");
        out.push(')');
    }
    out.push_str(q);
    *quantified = true;
}

/// Parses an interval body at `p[i..]` (just after `{` or `\{`): `n`,
/// `n,`, `,m` or `n,m`, closed by `}` (ERE) or `\}` (BRE). Returns the
/// regex quantifier and the index after the close, or None when it is not
/// an interval (ERE then takes `{` literally).
fn interval(p: &[u8], mut i: usize, extended: bool) -> Result<Option<(String, usize)>> {
    let num = |i: &mut usize| -> Option<u32> {
        let s = *i;
        while *i < p.len() && p[*i].is_ascii_digit() {
            *i += 1;
        }
        std::str::from_utf8(&p[s..*i]).ok()?.parse().ok()
    };
    let lo = num(&mut i);
    let mut hi = lo;
    let mut comma = false;
    if p.get(i) == Some(&b',') {
        comma = true;
        i += 1;
        hi = num(&mut i);
    }
    let close: &[u8] = if extended { b"}" } else { b"\\}" };
    if !p[i.min(p.len())..].starts_with(close) || (lo.is_none() && !comma) {
        if extended {
            return Ok(None);
        }
        return Err(Error::usage("invalid content of \\{\\}"));
    }
    let lo = lo.unwrap_or(0);
    if let Some(h) = hi {
        if h < lo {
            return Err(Error::usage("invalid content of \\{\\}"));
        }
    }
    if lo > 32767 || hi.is_some_and(|h| h > 32767) {
        return Err(Error::usage("regular expression too big"));
    }
    let q = match (comma, hi) {
        (false, _) => format!("{{{lo}}}"),
        (true, None) => format!("{{{lo},}}"),
        (true, Some(h)) => format!("{{{lo},{h}}}"),
    };
    Ok(Some((q, i + close.len())))
}

/// Translates a POSIX bracket expression starting at `p[i] == b'['`;
/// returns the index after its closing `]`. Members are written as `\xHH`
/// so the regex crate's own class syntax (`&&`, nested `[`) never applies.
fn bracket(p: &[u8], i: usize, out: &mut String) -> Result<usize> {
    let unmatched = || Error::usage("unmatched [, [^, [:, [., or [=");
    let mut j = i + 1;
    let mut class = String::from("[");
    if p.get(j) == Some(&b'^') {
        class.push('^');
        j += 1;
    }
    let mut first = true;
    let mut members = 0;
    loop {
        let Some(&c) = p.get(j) else {
            return Err(unmatched());
        };
        if c == b']' && !first {
            j += 1;
            break;
        }
        first = false;
        // One member: a byte, or [:class:], [=c=], [.c.].
        let lo: u8;
        if c == b'[' && matches!(p.get(j + 1), Some(b':' | b'=' | b'.')) {
            let kind = p[j + 1];
            let body_start = j + 2;
            let mut k = body_start;
            while k + 1 < p.len() && !(p[k] == kind && p[k + 1] == b']') {
                k += 1;
            }
            if k + 1 >= p.len() {
                return Err(unmatched());
            }
            let body = &p[body_start..k];
            j = k + 2;
            if kind == b':' {
                let name = std::str::from_utf8(body).unwrap_or("");
                const NAMES: [&str; 12] = [
                    "alpha", "digit", "alnum", "upper", "lower", "space", "blank", "punct",
                    "print", "graph", "cntrl", "xdigit",
                ];
                if !NAMES.contains(&name) {
                    return Err(Error::usage("invalid character class"));
                }
                class.push_str(&format!("[:{name}:]"));
                members += 1;
                continue;
            }
            if body.len() != 1 {
                return Err(Error::usage("invalid collation character"));
            }
            lo = body[0];
        } else {
            lo = c;
            j += 1;
        }
        // A range lo-hi (a '-' before the closing ']' is literal).
        if p.get(j) == Some(&b'-') && p.get(j + 1).is_some_and(|&b| b != b']') {
            let mut hi = p[j + 1];
            j += 2;
            if hi == b'[' && matches!(p.get(j), Some(b'.' | b'=')) {
                let kind = p[j];
                if p.get(j + 2) == Some(&kind) && p.get(j + 3) == Some(&b']') {
                    hi = p[j + 1];
                    j += 4;
                } else {
                    return Err(unmatched());
                }
            }
            if hi < lo {
                return Err(Error::usage("invalid range end"));
            }
            class.push_str(&format!("\\x{lo:02X}-\\x{hi:02X}"));
        } else {
            class.push_str(&format!("\\x{lo:02X}"));
        }
        members += 1;
    }
    debug_assert!(members > 0);
    class.push(']');
    out.push_str(&class);
    Ok(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, syntax: Syntax) -> Matcher {
        Matcher::new(
            &[p.as_bytes().to_vec()],
            PatternOptions {
                syntax,
                ignore_case: false,
                word: false,
                line: false,
                eol: b'\n',
                multi_line: true,
            },
        )
        .unwrap()
    }

    #[test]
    fn basic_regex_meanings() {
        let b = |p| m(p, Syntax::Basic);
        assert!(b("a\\+b").is_match(b"aab"));
        assert!(b("a+b").is_match(b"a+b") && !b("a+b").is_match(b"aab"));
        assert!(b("\\(ab\\)\\{2\\}").is_match(b"abab"));
        assert!(b("*a").is_match(b"*a"));
        assert!(b("a^b$c").is_match(b"a^b$c"));
        assert!(b("x\\|y").is_match(b"y"));
        assert!(b("[]a]").is_match(b"]"));
        assert!(b("[[:digit:]x-z]").is_match(b"y"));
        assert!(b("a**").is_match(b"b"));
        assert!(b("[\\]").is_match(b"\\"));
    }

    #[test]
    fn extended_regex_meanings() {
        let e = |p| m(p, Syntax::Extended);
        assert!(e("a{2}").is_match(b"aa") && !e("a{2}").is_match(b"a"));
        assert!(e("a{").is_match(b"a{"));
        assert!(e("(a|b)+c").is_match(b"abac"));
        assert!(e("\\(").is_match(b"("));
    }

    #[test]
    fn back_references_are_refused() {
        let o = PatternOptions {
            syntax: Syntax::Basic,
            ignore_case: false,
            word: false,
            line: false,
            eol: b'\n',
            multi_line: true,
        };
        assert!(Matcher::new(&[b"\\(a\\)\\1".to_vec()], o).is_err());
    }
}
