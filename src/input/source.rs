//! Operands to sources: `-` and no operand mean stdin; a path that does not
//! exist but looks like a glob is expanded by us (so `'logs/*.gz'` works
//! past ARG_MAX); `--files0-from=F` reads NUL-separated names.

use crate::error::{Error, Result};
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// One input: standard input or a file path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Stdin,
    Path(PathBuf),
}

impl Source {
    /// The name used in messages and `--source-column` (GNU says `-` for
    /// stdin in some places and "standard input" in others; we use the
    /// operand as the user wrote it).
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "-".into(),
            Source::Path(p) => p.display().to_string(),
        }
    }

    /// The name as grep and cat print it in messages ("(standard input)").
    pub fn display_name(&self) -> String {
        match self {
            Source::Stdin => "(standard input)".into(),
            Source::Path(p) => p.display().to_string(),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::Stdin => None,
            Source::Path(p) => Some(p),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

fn has_glob_meta(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Turns operands into sources. No operand means stdin. A literal path that
/// exists is taken as is; otherwise, if it has glob characters, it is
/// expanded (sorted, as the shell would); a pattern that matches nothing is
/// kept literally so opening it reports "No such file or directory".
pub fn expand(operands: &[OsString]) -> Vec<Source> {
    if operands.is_empty() {
        return vec![Source::Stdin];
    }
    let mut out = Vec::with_capacity(operands.len());
    for op in operands {
        if op == "-" {
            out.push(Source::Stdin);
            continue;
        }
        let path = PathBuf::from(op);
        if path.symlink_metadata().is_err() {
            if let Some(s) = op.to_str().filter(|s| has_glob_meta(s)) {
                if let Ok(paths) = glob::glob(s) {
                    let mut matched: Vec<PathBuf> = paths.filter_map(|p| p.ok()).collect();
                    if !matched.is_empty() {
                        matched.sort();
                        out.extend(matched.into_iter().map(Source::Path));
                        continue;
                    }
                }
            }
        }
        out.push(Source::Path(path));
    }
    out
}

/// Reads `--files0-from=F`: file names separated by NUL bytes (`-` reads
/// them from stdin). As in GNU, operands may not be given as well, and a
/// zero-length name is an error.
pub fn files0_from(list: &Path, operands: &[OsString]) -> Result<Vec<Source>> {
    use std::os::unix::ffi::OsStringExt;
    if !operands.is_empty() {
        return Err(Error::usage(format!(
            "extra operand '{}'\nfile operands cannot be combined with --files0-from",
            operands[0].to_string_lossy()
        )));
    }
    let bytes = if list == Path::new("-") {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut v)
            .map_err(|e| Error::io("cannot read file names from standard input", e))?;
        v
    } else {
        std::fs::read(list)
            .map_err(|e| Error::io(format!("cannot open '{}' for reading", list.display()), e))?
    };
    let mut out = Vec::new();
    let body = bytes.strip_suffix(b"\0").unwrap_or(&bytes);
    if body.is_empty() {
        return Ok(out);
    }
    for (i, name) in body.split(|&b| b == 0).enumerate() {
        if name.is_empty() {
            return Err(Error::usage(format!(
                "{}:{}: invalid zero-length file name",
                list.display(),
                i + 1
            )));
        }
        if name == b"-" {
            return Err(Error::usage(format!(
                "when reading file names from {}, file name '-' is not allowed",
                list.display()
            )));
        }
        out.push(Source::Path(PathBuf::from(OsString::from_vec(
            name.to_vec(),
        ))));
    }
    Ok(out)
}

/// The sources of a tool: `--files0-from` if given, else the operands.
pub fn resolve(operands: &[OsString], files0: Option<&Path>) -> Result<Vec<Source>> {
    match files0 {
        Some(list) => files0_from(list, operands),
        None => Ok(expand(operands)),
    }
}
