//! Test harness: scratch directories with plain and gzip inputs, running
//! our tools and the GNU reference tools, and comparing at every
//! parallelism.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a process did: stdout bytes, stderr text and exit code (None when
/// killed by a signal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub code: Option<i32>,
}

impl Outcome {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Path of one of our binaries.
pub fn bin(name: &str) -> PathBuf {
    assert_cmd::cargo::cargo_bin(name)
}

/// A scratch directory, removed when dropped.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("scratch dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `data` to `name`, returning its path as a string.
    pub fn file(&self, name: &str, data: &[u8]) -> String {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, data).unwrap();
        p.to_string_lossy().into_owned()
    }

    /// Writes every [`edge_inputs`] case to a file: (case name, path).
    pub fn edge_files(&self) -> Vec<(&'static str, String)> {
        edge_inputs()
            .into_iter()
            .map(|(n, d)| (n, self.file(n, &d)))
            .collect()
    }

    /// Writes `data` gzip-compressed to `name`.
    pub fn gz(&self, name: &str, data: &[u8]) -> String {
        self.file(name, &gzip(data))
    }
}

/// Gzip-compresses `data` (one member).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Runs a program with args, optional stdin and extra environment.
pub fn run_with(
    program: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &[(&str, &str)],
) -> Outcome {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("LC_ALL", "C")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    if let Some(data) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    let out = child.wait_with_output().unwrap();
    Outcome {
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    }
}

/// Runs one of our tools.
pub fn ours(tool: &str, args: &[&str], stdin: Option<&[u8]>) -> Outcome {
    run_with(&bin(tool), args, stdin, &[])
}

/// Runs a reference tool from PATH (GNU coreutils, grep, datamash) under
/// LC_ALL=C.
pub fn gnu(program: &str, args: &[&str], stdin: Option<&[u8]>) -> Outcome {
    let path = which(program).unwrap_or_else(|| panic!("reference tool {program} not installed"));
    run_with(&path, args, stdin, &[])
}

fn which(program: &str) -> Option<PathBuf> {
    // Look past ~/.cargo/bin so an installed ptools never shadows GNU.
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .filter(|d| !d.to_string_lossy().contains(".cargo"))
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    })
}

/// Chunk sizes every order-sensitive test runs at: tiny (every record
/// crosses a boundary) and the default.
pub const CHUNK_SIZES: [Option<&str>; 3] = [Some("1"), Some("7"), None];

/// Runs our tool at chunk sizes {1, 7, default} x threads {1, 4}, asserts
/// all six outcomes are identical, and returns it.
pub fn ours_everywhere(tool: &str, args: &[&str], stdin: Option<&[u8]>) -> Outcome {
    ours_everywhere_with(tool, "-j", args, stdin)
}

/// [`ours_everywhere`] for a tool whose thread count flag is not `-j`
/// (pjoin: `-j` is GNU join's join field, so it takes `--threads`).
pub fn ours_everywhere_with(
    tool: &str,
    threads_flag: &str,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Outcome {
    let mut first: Option<(String, Outcome)> = None;
    for chunk in CHUNK_SIZES {
        for threads in ["1", "4"] {
            let mut full: Vec<&str> = vec![threads_flag, threads];
            full.extend_from_slice(args);
            let env: Vec<(&str, &str)> = chunk
                .map(|c| ("PTOOLS_CHUNK_SIZE", c))
                .into_iter()
                .collect();
            let got = run_with(&bin(tool), &full, stdin, &env);
            let label = format!("chunk={chunk:?} {threads_flag} {threads}");
            match &first {
                None => first = Some((label, got)),
                Some((l0, o0)) => assert!(
                    o0.stdout == got.stdout && o0.code == got.code,
                    "{tool} {args:?}: {label} differs from {l0}\n{l0}: {:?}\n{label}: {:?}",
                    o0.stdout_str(),
                    got.stdout_str()
                ),
            }
        }
    }
    first.unwrap().1
}

/// Runs our `tool` and the reference `program` on the same arguments and
/// input, and asserts the same stdout bytes and exit status.
pub fn differential(tool: &str, program: &str, args: &[&str], stdin: Option<&[u8]>) {
    assert_same(
        &format!("{program} {args:?}"),
        &ours(tool, args, stdin),
        &gnu(program, args, stdin),
    );
}

/// Asserts same stdout bytes and exit status.
pub fn assert_same(what: &str, ours: &Outcome, theirs: &Outcome) {
    assert!(
        ours.stdout == theirs.stdout && ours.code == theirs.code,
        "{what}: differs from the reference\nours   (exit {:?}): {:?}\nstderr: {}\ntheirs (exit {:?}): {:?}\nstderr: {}",
        ours.code,
        ours.stdout_str(),
        ours.stderr,
        theirs.code,
        theirs.stdout_str(),
        theirs.stderr
    );
}

/// A small deterministic pseudo-random generator (xorshift), so generated
/// inputs are the same on every run without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Edge-case line-oriented inputs shared by the differential tests: empty,
/// no final newline, CRLF, blank lines, long lines, invalid UTF-8,
/// multibyte text, NUL bytes.
pub fn edge_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let long: Vec<u8> = (0..20_000)
        .map(|i| b"abc:def\t"[i % 8])
        .chain(*b"\n")
        .collect();
    vec![
        ("empty", b"".to_vec()),
        ("one-newline", b"\n".to_vec()),
        ("no-final-newline", b"a:b:c\nd:e".to_vec()),
        ("crlf", b"a:b\r\nc:d\r\n\r\n".to_vec()),
        ("blank-lines", b"\n\n\na:b\n\n\n\nc\n\n".to_vec()),
        ("no-delimiter", b"plain\nx:y\nalso plain\n".to_vec()),
        ("empty-fields", b"::\na::b\n:x:\n".to_vec()),
        ("long-line", long),
        ("invalid-utf8", b"\xff\xfe:\x80x\n\xc3(:ok\n".to_vec()),
        ("multibyte", "héllo:wörld:日本\nζ:ω\n".as_bytes().to_vec()),
        ("nul-bytes", b"a\0b:c\n\0\0:\n".to_vec()),
        ("tabs", b"a\tb\tc\n\t\t\nx\ty\n".to_vec()),
        ("control", b"\x01\x1b[0m\x7f:\x9b\xff\n".to_vec()),
    ]
}
