//! pjoin against GNU join: on sorted inputs byte for byte; on unsorted
//! inputs against `join <(sort -s …) <(sort -s …)`; `--sorted` and
//! `--check-order` against join on the raw inputs (warnings, fatal
//! errors and exit statuses included); spilling with a tiny `-S` and
//! every thread count and chunk size give the same bytes.

use crate::common::{
    assert_same, bin, gnu, gzip, ours, ours_everywhere_with, run_with, Rng, Scratch,
};
use std::path::Path;

/// How the generated lines separate their fields.
#[derive(Clone, Copy)]
enum Sep {
    Blanks,
    Char(u8),
}

// The long keys differ only past byte 16 (or in case there): they reach
// the hash table's slow path.
const TOKENS: [&str; 15] = [
    "a",
    "A",
    "b",
    "B",
    "ab",
    "aB",
    "Ab",
    "",
    "c",
    "zz",
    "a b",
    "\u{e9}",
    "longkey-0123456789abcdef",
    "longkey-0123456789abcdeF",
    "longkey-0123456789abcdefg",
];

const LEADING: [&[u8]; 3] = [b" ", b"\t", b"  "];
const BETWEEN: [&[u8]; 4] = [b" ", b"\t", b" \t ", b"  "];

/// Random lines: few distinct keys (duplicates on both sides), case
/// variants, empty keys, too few fields, blank runs and leading or
/// trailing blanks in blank mode, a missing final terminator sometimes.
fn lines(rng: &mut Rng, n: usize, sep: Sep, eol: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        let nf = rng.below(5) as usize;
        let mut line = Vec::new();
        if let Sep::Blanks = sep {
            if rng.chance(15) {
                let blank: &&[u8] = rng.pick(&LEADING);
                line.extend_from_slice(blank);
            }
        }
        for f in 0..nf {
            if f > 0 {
                match sep {
                    Sep::Blanks => {
                        let blank: &&[u8] = rng.pick(&BETWEEN);
                        line.extend_from_slice(blank)
                    }
                    Sep::Char(c) => line.push(c),
                }
            }
            let mut t = rng.pick(&TOKENS).as_bytes().to_vec();
            if let Sep::Blanks = sep {
                t.retain(|&b| b != b' ');
                if t.is_empty() {
                    t = b"e".to_vec();
                }
            }
            line.extend_from_slice(&t);
            if f > 0 && rng.chance(30) {
                line.extend_from_slice(format!("{}", rng.below(100)).as_bytes());
            }
        }
        if let Sep::Blanks = sep {
            if rng.chance(10) {
                line.push(b' ');
            }
        }
        out.extend_from_slice(&line);
        if i + 1 < n || rng.chance(80) {
            out.push(eol);
        }
    }
    out
}

/// The GNU sort options that sort file `which` as join compares it.
fn sort_opts(flags: &[&str], sep: Sep, which: u8) -> String {
    let mut field = 1usize;
    let mut it = flags.iter();
    let mut icase = false;
    let mut z = false;
    while let Some(f) = it.next() {
        match *f {
            "-j" => field = it.next().unwrap().parse().unwrap(),
            "-1" if which == 1 => field = it.next().unwrap().parse().unwrap(),
            "-2" if which == 2 => field = it.next().unwrap().parse().unwrap(),
            "-i" => icase = true,
            "-z" => z = true,
            _ => {}
        }
    }
    // Key options go on the key itself: a key with any option of its own
    // (`b`) inherits no global one, so a global -f would be ignored.
    let f = if icase { "f" } else { "" };
    let mut s = String::from("-s");
    if z {
        s.push_str(" -z");
    }
    match sep {
        Sep::Blanks => s.push_str(&format!(" -k{field}b{f},{field}")),
        Sep::Char(c) => s.push_str(&format!(" -t '{}' -k{field}{f},{field}", c as char)),
    }
    s
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// `sort` of one file as a shell expression, keeping a `--header` line
/// first.
fn sorted_expr(path: &str, opts: &str, header: bool, z: bool) -> String {
    if header {
        let zf = if z { "-z " } else { "" };
        format!("(head {zf}-n 1 {path}; tail {zf}-n +2 {path} | sort {opts})")
    } else {
        format!("sort {opts} {path}")
    }
}

/// The reference pipeline: join on the inputs stably sorted by key.
fn pipeline(flags: &[&str], sep: Sep, a: &str, b: &str) -> crate::common::Outcome {
    let header = flags.contains(&"--header");
    let z = flags.contains(&"-z");
    let mut cmd = String::from("join");
    for f in flags {
        cmd.push(' ');
        cmd.push_str(&shell_quote(f));
    }
    if let Sep::Char(c) = sep {
        cmd.push_str(&format!(" -t '{}'", c as char));
    }
    cmd.push_str(&format!(
        " <({}) <({})",
        sorted_expr(a, &sort_opts(flags, sep, 1), header, z),
        sorted_expr(b, &sort_opts(flags, sep, 2), header, z)
    ));
    run_with(Path::new("/bin/bash"), &["-c", &cmd], None, &[])
}

fn with_sep<'a>(flags: &[&'a str], sep: Sep, tab: &'a str) -> Vec<&'a str> {
    let mut v = flags.to_vec();
    if let Sep::Char(_) = sep {
        v.push("-t");
        v.push(tab);
    }
    v
}

const FLAG_SETS: &[&[&str]] = &[
    &[],
    &["-a", "1"],
    &["-a", "2"],
    &["-a", "1", "-a", "2"],
    &["-v", "1"],
    &["-v", "2"],
    &["-v", "1", "-v", "2"],
    &["-e", "X"],
    &["-e", "X", "-o", "auto"],
    &["-a", "1", "-a", "2", "-e", "NA", "-o", "auto"],
    &["-a", "1", "-e", "-", "-o", "0,1.2,2.2,2.3"],
    &["-a", "2", "-o", "1.1 2.1,0"],
    &["-o", "auto"],
    &["-i"],
    &["-i", "-a", "1", "-a", "2"],
    &["-1", "2", "-2", "1"],
    // Join fields past the first, often missing or empty: the direct
    // printing of pairs copies the spans around them.
    &["-j", "2"],
    &["-1", "3", "-2", "2"],
    &["-j", "2", "-a", "1"],
    &["--header"],
    &["--header", "-a", "2", "-o", "auto", "-e", "?"],
    &["-v", "1", "-i", "-e", "E", "-o", "auto"],
];

#[test]
fn unsorted_inputs_match_the_sort_join_pipeline() {
    let s = Scratch::new();
    for seed in 0..3u64 {
        for sep in [Sep::Blanks, Sep::Char(b',')] {
            let mut rng = Rng::new(seed * 2 + 1);
            let a = s.file("a", &lines(&mut rng, 30 + seed as usize * 20, sep, b'\n'));
            let b = s.file("b", &lines(&mut rng, 25, sep, b'\n'));
            for flags in FLAG_SETS {
                let full = with_sep(flags, sep, ",");
                let mut args = full.clone();
                args.extend([a.as_str(), b.as_str()]);
                let got = ours_everywhere_with("pjoin", "--threads", &args, None);
                let want = pipeline(flags, sep, &a, &b);
                assert_same(&format!("pjoin {args:?} (seed {seed})"), &got, &want);
            }
        }
    }
}

#[test]
fn sorted_and_check_order_modes_match_gnu_join_on_raw_inputs() {
    let s = Scratch::new();
    for seed in 0..3u64 {
        for sep in [Sep::Blanks, Sep::Char(b'\t')] {
            let mut rng = Rng::new(seed + 100);
            let a = s.file("a", &lines(&mut rng, 20, sep, b'\n'));
            let b = s.file("b", &lines(&mut rng, 20, sep, b'\n'));
            for flags in FLAG_SETS {
                let full = with_sep(flags, sep, "\t");
                // Sorted copies: GNU join must give exactly what pjoin
                // gives on them, in every mode.
                let sa = s.path("sa").to_string_lossy().into_owned();
                let sb = s.path("sb").to_string_lossy().into_owned();
                let header = flags.contains(&"--header");
                let prep = format!(
                    "{} > {sa} && {} > {sb}",
                    sorted_expr(&a, &sort_opts(&full, sep, 1), header, false),
                    sorted_expr(&b, &sort_opts(&full, sep, 2), header, false)
                );
                let prep = prep.replace("'\t'", "$'\\t'");
                let r = run_with(Path::new("/bin/bash"), &["-c", &prep], None, &[]);
                assert_eq!(r.code, Some(0), "{prep}: {}", r.stderr);
                for (x, y) in [(&a, &b), (&sa, &sb)] {
                    for mode in [&[][..], &["--check-order"], &["--nocheck-order"]] {
                        let mut g: Vec<&str> = mode.to_vec();
                        g.extend(&full);
                        g.extend([x.as_str(), y.as_str()]);
                        let want = gnu("join", &g, None);
                        let mut o = vec!["--sorted"];
                        o.extend(&g);
                        let got = ours("pjoin", &o, None);
                        assert_same(&format!("pjoin {o:?}"), &got, &want);
                        if x == &sa && mode.is_empty() {
                            let got = ours("pjoin", &g, None);
                            assert_same(&format!("pjoin {g:?} on sorted input"), &got, &want);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn zero_terminated_and_whole_line_keys() {
    let s = Scratch::new();
    let mut rng = Rng::new(7);
    let a = s.file("a", &lines(&mut rng, 40, Sep::Blanks, 0));
    let b = s.file("b", &lines(&mut rng, 40, Sep::Blanks, 0));
    for flags in [&["-z"][..], &["-z", "-a", "1", "-e", "X", "-o", "auto"]] {
        let mut args = flags.to_vec();
        args.extend([a.as_str(), b.as_str()]);
        let got = ours_everywhere_with("pjoin", "--threads", &args, None);
        assert_same(
            &format!("{args:?}"),
            &got,
            &pipeline(flags, Sep::Blanks, &a, &b),
        );
    }
    // -t '': the whole line is the key (sorted input: GNU's own rule).
    let a = s.file("c", b"a b\na b\nb\nc c\n");
    let b = s.file("d", b"a b\nb\nb c\nc c\n");
    for extra in [&[][..], &["-a", "1", "-a", "2"]] {
        let mut args = vec!["-t", ""];
        args.extend(extra);
        args.extend([a.as_str(), b.as_str()]);
        assert_same(
            &format!("{args:?}"),
            &ours_everywhere_with("pjoin", "--threads", &args, None),
            &gnu("join", &args, None),
        );
    }
}

#[test]
fn tiny_budget_spills_and_gives_the_same_bytes() {
    let s = Scratch::new();
    let mut rng = Rng::new(42);
    let a = s.file("a", &lines(&mut rng, 400, Sep::Char(b','), b'\n'));
    let b = s.file("b", &lines(&mut rng, 300, Sep::Char(b','), b'\n'));
    for flags in [
        &[][..],
        &["-a", "1", "-a", "2", "-e", "X", "-o", "auto"],
        &["--header", "-v", "2"],
        &["-i", "-a", "1"],
    ] {
        let full = with_sep(flags, Sep::Char(b','), ",");
        let want = pipeline(flags, Sep::Char(b','), &a, &b);
        for budget in ["2K", "6K", "1G"] {
            let tmp = s.path("tmp");
            std::fs::create_dir_all(&tmp).unwrap();
            let tmp = tmp.to_string_lossy().into_owned();
            let mut args = vec!["-S", budget, "-T", tmp.as_str()];
            args.extend(&full);
            args.extend([a.as_str(), b.as_str()]);
            let got = ours_everywhere_with("pjoin", "--threads", &args, None);
            assert_same(&format!("pjoin {args:?}"), &got, &want);
            // Runs sampled finely: the final merges cut into many
            // partitions (shuffle::splitmerge).
            let mut threaded = vec!["--threads", "3"];
            threaded.extend(&args);
            let env = [("PTOOLS_RUN_SAMPLE", "32")];
            let got = run_with(&bin("pjoin"), &threaded, None, &env);
            assert_same(&format!("pjoin {args:?} sampled"), &got, &want);
            let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
            assert!(left.is_empty(), "temp files left behind: {left:?}");
        }
    }
}

#[test]
fn gzip_and_stdin_inputs() {
    let s = Scratch::new();
    let mut rng = Rng::new(9);
    let da = lines(&mut rng, 50, Sep::Blanks, b'\n');
    let db = lines(&mut rng, 50, Sep::Blanks, b'\n');
    let a = s.file("a", &da);
    let b = s.file("b", &db);
    let want = pipeline(&["-a", "1"], Sep::Blanks, &a, &b);
    let az = s.file("a.gz", &gzip(&da));
    assert_same("gzip", &ours("pjoin", &["-a", "1", &az, &b], None), &want);
    assert_same(
        "stdin",
        &ours("pjoin", &["-a", "1", "-", &b], Some(&da)),
        &want,
    );
    assert_same(
        "stdin 2",
        &ours("pjoin", &["-a", "1", &a, "-"], Some(&db)),
        &want,
    );
}

#[test]
fn usage_errors_exit_as_gnu_join() {
    let s = Scratch::new();
    let a = s.file("a", b"a 1\n");
    let b = s.file("b", b"a 2\n");
    let cases: &[&[&str]] = &[
        &["-a", "3"],
        &["-v", "x"],
        &["-1", "0"],
        &["-j", "1", "-1", "2"],
        &["-t", "ab"],
        &["-t", ",", "-t", ";"],
        &["-o", "3.1"],
        &["-o", "1.0"],
        &["-o", "1,2.1"],
        &["-o", "0.1"],
        &["-e", "x", "-e", "y"],
        &["--nosuch"],
    ];
    for c in cases {
        let mut args = c.to_vec();
        args.extend([a.as_str(), b.as_str()]);
        let got = ours("pjoin", &args, None);
        let want = gnu("join", &args, None);
        assert_same(&format!("{args:?}"), &got, &want);
        assert!(!got.stderr.is_empty(), "{args:?}: no message");
    }
    for args in [
        &[][..],
        &[a.as_str()],
        &[a.as_str(), b.as_str(), b.as_str()],
        &["-", "-"],
        &[a.as_str(), "/nonexistent/x"],
    ] {
        assert_same(
            &format!("{args:?}"),
            &ours("pjoin", args, Some(b"")),
            &gnu("join", args, Some(b"")),
        );
    }
}

#[test]
fn tsv_and_header_columns_by_name() {
    let s = Scratch::new();
    let mut rng = Rng::new(11);
    let mut a = b"id\tx\ty\n".to_vec();
    a.extend(lines(&mut rng, 40, Sep::Char(b'\t'), b'\n'));
    let mut b = b"k\tid\tz\n".to_vec();
    b.extend(lines(&mut rng, 40, Sep::Char(b'\t'), b'\n'));
    let (a, b) = (s.file("a.tsv", &a), s.file("b.tsv", &b));
    let want = pipeline(
        &["--header", "-1", "1", "-2", "2", "-a", "1"],
        Sep::Char(b'\t'),
        &a,
        &b,
    );
    for named in [
        &["--tsv", "-1", "id", "-2", "id"][..],
        &["--tsv", "-j", "id"],
        &["-H", "-t", "\t", "-1", "1", "-2", "id"],
    ] {
        let mut args = named.to_vec();
        args.extend(["-a", "1", a.as_str(), b.as_str()]);
        let got = ours_everywhere_with("pjoin", "--threads", &args, None);
        assert_same(&format!("{args:?}"), &got, &want);
    }
    for bad in [
        &["--tsv", "-j", "nosuch"][..],
        &["--tsv", "-1", "x", "-1", "id"],
        &["--csv", "-t", ","],
        &["-1", "id"],
    ] {
        let mut args = bad.to_vec();
        args.extend([a.as_str(), b.as_str()]);
        let got = ours("pjoin", &args, None);
        assert!(
            got.code == Some(1) && got.stdout.is_empty(),
            "{args:?}: {got:?}"
        );
    }
}

/// Key tokens of the several-field tests: never empty (an empty key
/// field would be filled by `-e` in ours but not inside the oracle's
/// concatenated field), case variants for `-i`, a blank, a UTF-8 byte.
const KEY_TOKENS: [&str; 7] = ["a", "A", "b", "ab", "a b", "\u{e9}", "aB"];

/// Lines of `nf` comma-separated fields whose fields `keys` (zero-based)
/// are key tokens; the others are random tokens (empty ones too).
fn keyed_lines(rng: &mut Rng, n: usize, nf: usize, keys: &[usize]) -> Vec<Vec<String>> {
    (0..n)
        .map(|_| {
            (0..nf)
                .map(|f| {
                    if keys.contains(&f) {
                        rng.pick(&KEY_TOKENS).to_string()
                    } else {
                        rng.pick(&TOKENS[..10]).replace(' ', "_")
                    }
                })
                .collect()
        })
        .collect()
}

/// The oracle's input for GNU join: the key fields (in key order) cut
/// out and prepended as one field joined by \x01, a byte below every
/// other byte of the lines, so one field compares as the fields one by
/// one would (a shorter field ends in \x01, below any byte of the
/// longer).
fn concatenated(lines: &[Vec<String>], keys: &[usize]) -> Vec<u8> {
    let mut out = String::new();
    for l in lines {
        let k: Vec<&str> = keys.iter().map(|&k| l[k].as_str()).collect();
        let mut fields = vec![k.join("\u{1}")];
        fields.extend(
            (0..l.len())
                .filter(|i| !keys.contains(i))
                .map(|i| l[i].clone()),
        );
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

fn joined(lines: &[Vec<String>]) -> Vec<u8> {
    lines
        .iter()
        .map(|l| l.join(",") + "\n")
        .collect::<String>()
        .into_bytes()
}

#[test]
fn several_join_fields_match_gnu_join_on_concatenated_keys() {
    let s = Scratch::new();
    // File 1 joins on fields 1 and 3, file 2 on fields 2 and 1.
    let (k1, k2) = ([0usize, 2], [1usize, 0]);
    // (our flags, GNU's flags on the concatenated files): file 1's field 2
    // is its field 2 there, field 4 its field 3; file 2's field 3 is 2.
    let cases: &[(&[&str], &[&str])] = &[
        (&[], &[]),
        (&["-a", "1"], &["-a", "1"]),
        (&["-a", "1", "-a", "2"], &["-a", "1", "-a", "2"]),
        (&["-v", "2"], &["-v", "2"]),
        (&["-i"], &["-i"]),
        (&["-i", "-v", "1"], &["-i", "-v", "1"]),
        (&["-e", "X"], &["-e", "X"]),
        (
            &["-a", "2", "-e", "X", "-o", "auto"],
            &["-a", "2", "-e", "X", "-o", "auto"],
        ),
        (
            &["-a", "1", "-e", "N", "-o", "0,2.3,1.4,1.2"],
            &["-a", "1", "-e", "N", "-o", "0,2.2,1.3,1.2"],
        ),
        (&["-H"], &["--header"]),
    ];
    for seed in 0..2u64 {
        let mut rng = Rng::new(100 + seed);
        let la = keyed_lines(&mut rng, 40, 4, &k1);
        let lb = keyed_lines(&mut rng, 35, 3, &k2);
        let (a, b) = (s.file("a", &joined(&la)), s.file("b", &joined(&lb)));
        let ca = s.file("ca", &concatenated(&la, &k1));
        let cb = s.file("cb", &concatenated(&lb, &k2));
        for (ours_flags, gnu_flags) in cases {
            let mut want = pipeline(gnu_flags, Sep::Char(b','), &ca, &cb);
            for b in want.stdout.iter_mut() {
                if *b == 1 {
                    *b = b',';
                }
            }
            for keys in [
                &["-1", "1,3", "-2", "2,1"][..],
                &["-2", "2,1", "-1", "1,3", "-1", "1,3"],
            ] {
                let mut args = vec!["-t", ","];
                args.extend(keys);
                args.extend(*ours_flags);
                args.extend([a.as_str(), b.as_str()]);
                let got = ours_everywhere_with("pjoin", "--threads", &args, None);
                assert_same(&format!("pjoin {args:?} (seed {seed})"), &got, &want);
                if seed == 0 {
                    let mut spill = vec!["-S", "1K"];
                    spill.extend(&args);
                    let small = ours("pjoin", &spill, None);
                    assert_same(&format!("spilled {args:?}"), &small, &want);
                }
            }
        }
    }
    // By name with a header, and -j for both sides.
    let mut rng = Rng::new(7);
    let mut la = keyed_lines(&mut rng, 30, 3, &[0, 1]);
    let mut lb = keyed_lines(&mut rng, 30, 3, &[0, 1]);
    let (ha, hb) = (
        vec!["p".to_string(), "q".to_string(), "x".to_string()],
        vec!["p".to_string(), "q".to_string(), "y".to_string()],
    );
    let want = {
        let ca = s.file(
            "ca",
            &concatenated(&[&[ha.clone()][..], &la].concat(), &[1, 0]),
        );
        let cb = s.file(
            "cb",
            &concatenated(&[&[hb.clone()][..], &lb].concat(), &[1, 0]),
        );
        let mut w = pipeline(&["--header", "-a", "1"], Sep::Char(b','), &ca, &cb);
        w.stdout
            .iter_mut()
            .filter(|b| **b == 1)
            .for_each(|b| *b = b',');
        w
    };
    la.insert(0, ha);
    lb.insert(0, hb);
    let (a, b) = (s.file("a", &joined(&la)), s.file("b", &joined(&lb)));
    for keys in [&["-j", "q,p"][..], &["-1", "2,p", "-2", "q,1"]] {
        let mut args = vec!["-t", ",", "-H", "-a", "1"];
        args.extend(keys);
        args.extend([a.as_str(), b.as_str()]);
        let got = ours_everywhere_with("pjoin", "--threads", &args, None);
        assert_same(&format!("pjoin {args:?}"), &got, &want);
    }
}

/// CSV values with the bytes RFC 4180 quotes, case variants and an
/// empty value.
const CSV_VALUES: [&str; 9] = [
    "a",
    "A",
    "b,c",
    "say \"hi\"",
    "two\nlines",
    "",
    "b",
    "x\r\ny",
    "z",
];

/// Minimal RFC 4180 quoting (the oracle's output rule).
fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// Random CSV rows of `nf` values, and their file bytes: values quoted
/// when needed and sometimes when not, CRLF line ends sometimes.
fn csv_rows(rng: &mut Rng, header: &[&str], n: usize) -> (Vec<Vec<String>>, Vec<u8>) {
    let mut rows = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    for _ in 0..n {
        rows.push(
            (0..header.len())
                .map(|_| rng.pick(&CSV_VALUES).to_string())
                .collect(),
        );
    }
    let mut bytes = String::new();
    for r in &rows {
        let f: Vec<String> = r
            .iter()
            .map(|v| {
                if rng.chance(20) {
                    format!("\"{}\"", v.replace('"', "\"\""))
                } else {
                    csv_field(v)
                }
            })
            .collect();
        bytes.push_str(&f.join(","));
        bytes.push_str(if rng.chance(10) { "\r\n" } else { "\n" });
    }
    (rows, bytes.into_bytes())
}

/// The defined output of a CSV join, by nested loops: keys in byte order
/// of their values field by field (upper-cased with `-i`), within a key
/// file 1's rows × file 2's rows in input order, unpaired rows at their
/// key's place; the header (join columns, then file 1's other columns,
/// then file 2's) once.
fn csv_oracle(
    rows: [&[Vec<String>]; 2],
    keys: [&[usize]; 2],
    unpaired: [bool; 2],
    pairs: bool,
    icase: bool,
    empty: Option<&str>,
) -> Vec<u8> {
    let key = |r: &Vec<String>, w: usize| -> Vec<String> {
        keys[w]
            .iter()
            .map(|&k| {
                if icase {
                    r[k].to_ascii_uppercase()
                } else {
                    r[k].clone()
                }
            })
            .collect()
    };
    let line = |r1: Option<&Vec<String>>, r2: Option<&Vec<String>>| -> String {
        let fill = |v: &str| {
            if v.is_empty() {
                empty.map_or(String::new(), csv_field)
            } else {
                csv_field(v)
            }
        };
        let mut out: Vec<String> = match (r1, r2) {
            (Some(r), _) => keys[0].iter().map(|&k| fill(&r[k])).collect(),
            (None, Some(r)) => keys[1].iter().map(|&k| fill(&r[k])).collect(),
            _ => unreachable!(),
        };
        for (w, r) in [r1, r2].into_iter().enumerate() {
            if let Some(r) = r {
                out.extend(
                    (0..r.len())
                        .filter(|i| !keys[w].contains(i))
                        .map(|i| fill(&r[i])),
                );
            }
        }
        out.join(",") + "\n"
    };
    let mut out = line(Some(&rows[0][0]), Some(&rows[1][0]));
    let (d1, d2) = (&rows[0][1..], &rows[1][1..]);
    let mut all: Vec<Vec<String>> = d1
        .iter()
        .map(|r| key(r, 0))
        .chain(d2.iter().map(|r| key(r, 1)))
        .collect();
    all.sort();
    all.dedup();
    for k in all {
        let m1: Vec<&Vec<String>> = d1.iter().filter(|r| key(r, 0) == k).collect();
        let m2: Vec<&Vec<String>> = d2.iter().filter(|r| key(r, 1) == k).collect();
        if m2.is_empty() && unpaired[0] {
            m1.iter().for_each(|r| out.push_str(&line(Some(r), None)));
        }
        if m1.is_empty() && unpaired[1] {
            m2.iter().for_each(|r| out.push_str(&line(None, Some(r))));
        }
        if pairs {
            for r1 in &m1 {
                for r2 in &m2 {
                    out.push_str(&line(Some(r1), Some(r2)));
                }
            }
        }
    }
    out.into_bytes()
}

/// Flags, and the oracle's -a1, -a2, pairs printed, -i, -e.
type CsvCase<'a> = (&'a [&'a str], bool, bool, bool, bool, Option<&'a str>);

#[test]
fn csv_joins_match_the_nested_loop_oracle() {
    let s = Scratch::new();
    let mut rng = Rng::new(77);
    let (r1, a) = csv_rows(&mut rng, &["id", "k,2", "v"], 40);
    let (r2, b) = csv_rows(&mut rng, &["w", "K", "ID"], 35);
    let (a, b) = (s.file("a.csv", &a), s.file("b.csv", &b));
    let tmp = s.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let tmp = tmp.to_string_lossy().into_owned();
    let cases: &[CsvCase] = &[
        (&[], false, false, true, false, None),
        (&["-a", "1"], true, false, true, false, None),
        (
            &["-a", "1", "-a", "2", "-e", "N,A"],
            true,
            true,
            true,
            false,
            Some("N,A"),
        ),
        (&["-v", "2"], false, true, false, false, None),
        (&["-i", "-a", "2"], false, true, true, true, None),
    ];
    // "k,2" is a column name that cannot be named (a comma separates
    // names); it is used by number.
    let key_sets: [(&[&str], &[usize], &[usize]); 3] = [
        (&["-1", "id,2", "-2", "ID,K"], &[0, 1], &[2, 1]),
        (&["-1", "1", "-2", "3"], &[0], &[2]),
        (&["-1", "v,id", "-2", "2,3"], &[2, 0], &[1, 2]),
    ];
    for (key_args, k1, k2) in key_sets {
        for (flags, u1, u2, pairs, icase, empty) in cases {
            let want = csv_oracle([&r1, &r2], [k1, k2], [*u1, *u2], *pairs, *icase, *empty);
            let mut args = vec!["--csv"];
            args.extend(key_args);
            args.extend(*flags);
            args.extend([a.as_str(), b.as_str()]);
            let got = ours_everywhere_with("pjoin", "--threads", &args, None);
            assert_eq!(got.code, Some(0), "{args:?}: {}", got.stderr);
            assert!(
                got.stdout == want,
                "pjoin {args:?}\nours:\n{}\noracle:\n{}",
                got.stdout_str(),
                String::from_utf8_lossy(&want)
            );
            let mut spill = vec!["-S", "1K", "-T", tmp.as_str()];
            spill.extend(&args);
            let small = ours_everywhere_with("pjoin", "--threads", &spill, None);
            assert_same(&format!("spilled {args:?}"), &small, &got);
        }
    }
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "temp files left behind: {left:?}");
    // Names resolve on standard input too (from its header record).
    let want = csv_oracle([&r1, &r2], [&[0], &[2]], [true, false], true, false, None);
    let a_bytes = std::fs::read(&a).unwrap();
    let got = ours(
        "pjoin",
        &["--csv", "-a", "1", "-1", "id", "-2", "ID", "-", b.as_str()],
        Some(&a_bytes),
    );
    assert!(got.code == Some(0) && got.stdout == want, "stdin: {got:?}");
    for bad in [
        &["--csv", "-j", "nosuch"][..],
        &["--csv", "-1", "id,v", "-2", "ID"],
        &["--csv", "-j", "id", "--check-order"],
        &["--csv", "-t", ";"],
        &["--csv", "-z"],
        &["-1", "1,2", "-2", "x,1"],
    ] {
        let mut args = bad.to_vec();
        args.extend([a.as_str(), b.as_str()]);
        let got = ours("pjoin", &args, None);
        assert!(
            got.code == Some(1) && got.stdout.is_empty() && got.stderr.contains("pjoin: "),
            "{args:?}: {got:?}"
        );
    }
}
