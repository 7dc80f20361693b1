//! Fields of one record: plain delimiter splitting (GNU) and RFC 4180.
//!
//! Fields are returned as byte ranges into the record, quotes included for
//! CSV; [`unquote`] gives the value. A record with no quote byte takes the
//! `memchr` fast path whatever the dialect.

use memchr::{memchr, memchr_iter};
use std::borrow::Cow;
use std::ops::Range;

/// Splits `record` at `delimiter` into `out` (cleared first). With
/// `quoting`, a delimiter inside double quotes is data.
#[inline]
pub fn split_fields(record: &[u8], delimiter: u8, quoting: bool, out: &mut Vec<Range<usize>>) {
    out.clear();
    if !quoting || memchr(b'"', record).is_none() {
        let mut start = 0;
        for i in memchr_iter(delimiter, record) {
            out.push(start..i);
            start = i + 1;
        }
        out.push(start..record.len());
        return;
    }
    let mut start = 0;
    let mut in_quotes = false;
    for (i, &b) in record.iter().enumerate() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == delimiter && !in_quotes {
            out.push(start..i);
            start = i + 1;
        }
    }
    out.push(start..record.len());
}

/// The value of a raw CSV field: surrounding quotes removed and `""`
/// turned into `"`. A field not starting with a quote is returned as is.
#[inline]
pub fn unquote(raw: &[u8]) -> Cow<'_, [u8]> {
    // Inlined for the common unquoted field; the rest stays out of line.
    if raw.first() == Some(&b'"') {
        unquote_quoted(raw)
    } else {
        Cow::Borrowed(raw)
    }
}

fn unquote_quoted(raw: &[u8]) -> Cow<'_, [u8]> {
    if raw.len() >= 2 && raw[raw.len() - 1] == b'"' {
        let inner = &raw[1..raw.len() - 1];
        if memchr(b'"', inner).is_none() {
            return Cow::Borrowed(inner);
        }
        let mut v = Vec::with_capacity(inner.len());
        let mut i = 0;
        while i < inner.len() {
            v.push(inner[i]);
            if inner[i] == b'"' && inner.get(i + 1) == Some(&b'"') {
                i += 1;
            }
            i += 1;
        }
        Cow::Owned(v)
    } else {
        Cow::Borrowed(raw)
    }
}

/// True when `value` must be quoted to survive as one CSV field.
#[inline]
pub fn needs_quotes(value: &[u8], delimiter: u8) -> bool {
    value
        .iter()
        .any(|&b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r')
}

/// Appends `value` as a CSV field, quoted only when it needs quotes.
pub fn write_field(out: &mut Vec<u8>, value: &[u8], delimiter: u8) {
    if needs_quotes(value, delimiter) {
        out.push(b'"');
        for &b in value {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value);
    }
}

/// Appends a raw field from a CSV input to CSV output with minimal quoting:
/// a quoted field that does not need its quotes loses them.
pub fn write_raw_field(out: &mut Vec<u8>, raw: &[u8], delimiter: u8) {
    if raw.first() == Some(&b'"') {
        write_field(out, &unquote(raw), delimiter);
    } else {
        out.extend_from_slice(raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        split_fields(s.as_bytes(), b',', true, &mut out);
        out.into_iter()
            .map(|r| String::from_utf8(unquote(&s.as_bytes()[r]).into_owned()).unwrap())
            .collect()
    }

    #[test]
    fn quoted_commas_and_escaped_quotes() {
        assert_eq!(
            fields("a,\"b,c\",\"d\"\"e\",,"),
            ["a", "b,c", "d\"e", "", ""]
        );
        assert_eq!(fields(""), [""]);
        assert_eq!(fields("\"x\ny\""), ["x\ny"]);
    }

    #[test]
    fn quoting_only_when_needed() {
        let mut out = Vec::new();
        write_raw_field(&mut out, b"\"plain\"", b',');
        out.push(b'|');
        write_raw_field(&mut out, b"\"a,b\"", b',');
        out.push(b'|');
        write_field(&mut out, b"say \"hi\"", b',');
        assert_eq!(out, b"plain|\"a,b\"|\"say \"\"hi\"\"\"");
    }
}
