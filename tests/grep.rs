//! pgrep: differential against GNU grep (stdout bytes and exit status) on
//! generated and edge-case inputs, for each flag and flag pairs, at tiny
//! chunk sizes and several thread counts; CSV column search against an
//! oracle computed here.

use crate::common::*;

/// A generated log-like input: repeated words, empty lines, lines that
/// differ only in case, no final newline.
fn log_input(seed: u64, lines: usize) -> Vec<u8> {
    let words: &[&[u8]] = &[
        b"ERROR",
        b"error",
        b"warn",
        b"timeout",
        b"foo",
        b"foobar",
        b"bar",
        b"x",
        b"12",
        b"345",
        b"a.b",
        b"[x]",
        b"\xff\xfe",
        b"tab\there",
        b"",
        b"ERRORS",
    ];
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for i in 0..lines {
        if rng.chance(12) {
            out.push(b'\n');
            continue;
        }
        let n = 1 + rng.below(5);
        for k in 0..n {
            if k > 0 {
                out.push(if rng.chance(80) { b' ' } else { b',' });
            }
            let w: &[u8] = rng.pick::<&[u8]>(words);
            out.extend_from_slice(w);
        }
        if i + 1 < lines || rng.chance(50) {
            out.push(b'\n');
        }
    }
    out
}

fn inputs(s: &Scratch) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = edge_inputs()
        .into_iter()
        .map(|(n, d)| (n.to_string(), s.file(n, &d)))
        .collect();
    for seed in 1..=2 {
        let name = format!("log{seed}");
        v.push((name.clone(), s.file(&name, &log_input(seed, 60))));
    }
    v
}

fn check(label: &str, args: &[&str], stdin: Option<&[u8]>) {
    assert_same(
        label,
        &ours("pgrep", args, stdin),
        &gnu("grep", args, stdin),
    );
}

fn check_everywhere(label: &str, args: &[&str], stdin: Option<&[u8]>) {
    assert_same(
        label,
        &ours_everywhere("pgrep", args, stdin),
        &gnu("grep", args, stdin),
    );
}

const FLAGS: &[&str] = &[
    "-v", "-c", "-n", "-b", "-o", "-i", "-w", "-x", "-l", "-L", "-q", "-H", "-h", "-m2", "-A1",
    "-B2", "-C1", "-s", "-a", "-z", "-F", "-E",
];

#[test]
fn single_flags_and_pairs_match_gnu() {
    let s = Scratch::new();
    let files = inputs(&s);
    let patterns = ["foo", "ERROR", "a", "", "x$", "^$"];
    for (name, path) in &files {
        for pat in patterns {
            for f in FLAGS {
                let args = [*f, "-e", pat, path.as_str()];
                check(&format!("{args:?} ({name})"), &args, None);
            }
        }
    }
    // Pairs, on the generated input (every flag with every other).
    let path = &files.iter().find(|(n, _)| n == "log1").unwrap().1;
    for (i, a) in FLAGS.iter().enumerate() {
        for b in &FLAGS[i + 1..] {
            for pat in ["foo", "error"] {
                let args = [*a, *b, "-e", pat, path.as_str()];
                check(&format!("{args:?}"), &args, None);
            }
        }
    }
}

#[test]
fn line_numbers_offsets_context_and_max_count_are_exact_across_chunks() {
    let data = log_input(7, 80);
    let cases: &[&[&str]] = &[
        &["-n", "ERROR"],
        &["-b", "foo"],
        &["-n", "-b", "-o", "ba"],
        &["-c", "bar"],
        &["-v", "-n", ""],
        &["-v", "-n", "-c", "x"],
        &["-n", "-m3", "foo"],
        &["-n", "-m2", "-A2", "foo"],
        &["-n", "-A1", "ERROR"],
        &["-n", "-B3", "timeout"],
        &["-n", "-C2", "warn"],
        &["-b", "-C1", "-v", "foo"],
        &["-A0", "ERROR"],
        &["-o", "-A1", "-n", "12"],
        &["-n", "-C1", "--group-separator=::", "bar"],
        &["-n", "-C1", "--no-group-separator", "bar"],
        &["-c", "-m4", "-v", "foo"],
        &["-l", "foo"],
        &["-q", "foo"],
        &["-ow", "foo"],
        &["-x", "-n", "foo"],
        &["-i", "-n", "-B1", "error"],
    ];
    for args in cases {
        check_everywhere(&format!("{args:?}"), args, Some(&data));
    }
}

#[test]
fn basic_and_extended_regex_translation_matches_gnu() {
    let data: &[u8] =
        b"aab\na+b\nabab\n*a\na^b$c\nx|y\ny\n]\n\\\n{1}\na{2}\nab{\n(a)\nfoo.bar\nfooXbar\n\
word words sword\nA1_b\ttab\n 12 345 \nend$\n^start\n";
    let basic = [
        "a\\+b",
        "a+b",
        "\\(ab\\)\\{2\\}",
        "*a",
        "a^b$c",
        "x\\|y",
        "x|y",
        "[]a]",
        "[^a-z]",
        "[[:digit:]]\\{2\\}",
        "a**",
        "[\\]",
        "\\{1\\}",
        "foo.bar",
        "foo\\.bar",
        "\\<word\\>",
        "\\bsword",
        "\\w\\W\\w",
        "\\s[0-9]",
        "end\\$",
        "^^start",
        "^\\(a\\)",
        "a\\?b",
        "[.]",
        "[a-]",
        "ab{",
        "$",
        "^",
    ];
    for p in basic {
        for extra in [&[][..], &["-o"], &["-i"], &["-w"], &["-x"], &["-c", "-v"]] {
            let mut args = extra.to_vec();
            args.extend(["-e", p]);
            check(&format!("BRE {args:?}"), &args, Some(data));
        }
    }
    let extended = [
        "a+b",
        "a\\+b",
        "(ab){2}",
        "a{2}",
        "ab{",
        "x|y",
        "(a|b)+",
        "[[:upper:]][0-9]",
        "^(a)$",
        "a?b",
        "\\(a\\)",
        "fo{1,}",
        "o{,1}X",
        "(^|[^a-z])12",
        "end$",
        "w(or)?ds?\\b",
    ];
    for p in extended {
        for extra in [&[][..], &["-o"], &["-i"], &["-w"], &["-n", "-v"]] {
            let mut args = vec!["-E"];
            args.extend_from_slice(extra);
            args.extend(["-e", p]);
            check(&format!("ERE {args:?}"), &args, Some(data));
        }
    }
    for p in ["a+b", "[x]", ".", "a^b$c", "\\", "word"] {
        for extra in [&[][..], &["-o"], &["-i", "-w"], &["-x"]] {
            let mut args = vec!["-F"];
            args.extend_from_slice(extra);
            args.extend(["-e", p]);
            check(&format!("FIXED {args:?}"), &args, Some(data));
        }
    }
}

#[test]
fn several_patterns_pattern_files_and_empty_patterns() {
    let s = Scratch::new();
    let data = log_input(3, 50);
    let input = s.file("in", &data);
    let pats = s.file("pats", b"foo\nERROR\n");
    let with_empty = s.file("pats-empty-line", b"zzz\n\n");
    let empty = s.file("empty", b"");
    let cases: Vec<Vec<&str>> = vec![
        vec!["-e", "foo", "-e", "bar", &input],
        vec!["-e", "foo\nbar", &input],
        vec!["foo\nbar", &input],
        vec!["-f", &pats, &input],
        vec!["-f", &pats, "-e", "x", "-n", &input],
        vec!["-f", &with_empty, "-c", &input],
        vec!["-f", &empty, &input],
        vec!["-v", "-f", &empty, "-c", &input],
        vec!["-F", "-f", &pats, "-o", &input],
        vec!["-e", "", "-c", &input],
        vec!["-o", "-e", "x*", &input],
        vec!["-E", "-e", "a|", "-c", &input],
        vec!["-c", "-y", "Error", &input],
        vec!["-c", "-i", "--no-ignore-case", "Error", &input],
    ];
    for args in &cases {
        check(&format!("{args:?}"), args, None);
    }
}

#[test]
fn files_names_labels_and_exit_statuses() {
    let s = Scratch::new();
    let a = s.file("a", b"foo\nbar\n");
    let b = s.file("b", b"bar\nbaz");
    let e = s.file("e", b"");
    let missing = s.path("missing").to_string_lossy().into_owned();
    let dir = s.path("dir");
    std::fs::create_dir(&dir).unwrap();
    let dir = dir.to_string_lossy().into_owned();
    let cases: Vec<Vec<&str>> = vec![
        vec!["foo", &dir],
        vec!["-c", "foo", &dir, &a],
        vec!["-L", "foo", &dir, &a],
        vec!["-d", "skip", "foo", &dir, &a],
        vec!["-d", "read", "-s", "foo", &a, &dir],
        vec!["foo", &a, &b],
        vec!["-h", "bar", &a, &b],
        vec!["-c", "bar", &a, &e, &b],
        vec!["-l", "ba", &a, &e, &b],
        vec!["-L", "foo", &a, &e, &b],
        vec!["-Z", "-l", "ba", &a, &b],
        vec!["-Z", "-n", "ba", &a, &b],
        vec!["-A1", "-n", "foo\nbaz", &a, &b],
        vec!["foo", &a, &missing],
        vec!["-s", "foo", &a, &missing],
        vec!["-q", "foo", &missing, &a],
        vec!["-q", "zzz", &missing, &a],
        vec!["-c", "foo", &missing, &a],
        vec!["-m0", "foo", &a],
        vec!["nomatch", &a, &b],
        vec!["--binary-files=text", "foo", &a],
        vec!["foo", &a, "-", &b],
        vec!["--label=in", "-H", "x", "-"],
        vec!["-c", "--label=in", "x", &a, "-"],
    ];
    for args in &cases {
        check(&format!("{args:?}"), args, Some(b"x\ny\n"));
    }
}

#[test]
fn binary_input_is_handled_as_gnu_does() {
    let s = Scratch::new();
    let mut late = Vec::new();
    let mut n = 0;
    while late.len() < 150_000 {
        late.extend_from_slice(format!("line{n:07}\n").as_bytes());
        n += 1;
    }
    late[20_000] = 0;
    let files = [
        s.file("nul", b"a\0a\nb\na\n"),
        s.file("nul2", b"x\0y\nab\0cd\n"),
        s.file("late-in-first-read", &late),
    ];
    let cases: &[&[&str]] = &[
        &["a"],
        &["-c", "a"],
        &["-v", "x"],
        &["-vc", "x"],
        &["-c", "b.c"],
        &["-l", "a"],
        &["-L", "a"],
        &["-q", "a"],
        &["-n", "a"],
        &["-o", "b"],
        &["-a", "a"],
        &["-a", "-n", "-o", "b"],
        &["-I", "a"],
        &["-c", "-I", "a"],
        &["--binary-files=without-match", "-c", "a"],
        &["-z", "a"],
        &["-z", "-c", "y"],
        &["-c", "line00001"],
        &["line0000"],
        &["-m2", "-c", "a"],
    ];
    for f in &files {
        for args in cases {
            let mut full = args.to_vec();
            full.push(f);
            check_everywhere(&format!("{full:?}"), &full, None);
        }
    }
}

#[test]
fn big_input_in_parallel_equals_gnu() {
    // Enough lines for several default-size chunks' worth of work at 4 KiB.
    let data = log_input(11, 20_000);
    for args in [
        &["-n", "ERROR"][..],
        &["-c", "-v", "foo"],
        &["-b", "-C2", "timeout"],
        &["-m", "500", "-n", "bar"],
        &["-E", "ERROR.*[0-9]+"],
    ] {
        let theirs = gnu("grep", args, Some(&data));
        for threads in ["1", "3"] {
            let mut full = vec!["-j", threads];
            full.extend_from_slice(args);
            let got = run_with(
                &bin("pgrep"),
                &full,
                Some(&data),
                &[("PTOOLS_CHUNK_SIZE", "4096")],
            );
            assert_same(&format!("{full:?}"), &got, &theirs);
        }
    }
}

#[test]
fn gzip_inputs_are_searched_decompressed() {
    let s = Scratch::new();
    let data = log_input(5, 200);
    let gz = s.gz("in.gz", &data);
    let plain = s.file("in", &data);
    let ours_out = ours("pgrep", &["-n", "foo", &gz], None);
    let theirs = gnu("grep", &["-n", "foo", &plain], None);
    assert_same("gzip", &ours_out, &theirs);
}

#[test]
fn unsupported_flags_are_refused_with_status_2() {
    for args in [
        &["-P", "a"][..],
        &["-r", "a"],
        &["\\(a\\)\\1"],
        &["-E", "(a"],
        &["[a"],
        &["-E", "a", "-F"],
    ] {
        let o = ours("pgrep", args, Some(b"a\n"));
        assert_eq!(o.code, Some(2), "{args:?}: {o:?}");
        assert!(o.stderr.starts_with("pgrep: "), "{args:?}: {}", o.stderr);
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn color_always_uses_gnu_default_colors() {
    let s = Scratch::new();
    let data = log_input(13, 60);
    let a = s.file("a", &data);
    let b = s.file("b", b"foo\nbar foo\n");
    for extra in [
        &[][..],
        &["-n", "-b", "-H"],
        &["-o", "-n"],
        &["-C1", "-n"],
        &["-v", "-A1"],
        &["-c"],
        &["-l"],
        &["-Z", "-n"],
        &["-w", "-i"],
        &["-x"],
    ] {
        let mut args = vec!["--color=always"];
        args.extend_from_slice(extra);
        args.extend(["-e", "foo", "-e", "ERROR", &a, &b]);
        check(&format!("{args:?}"), &args, None);
    }
    check("--color=never", &["--color=never", "foo", &a], None);
    check(
        "--color=auto (not a terminal)",
        &["--color", "foo", &a],
        None,
    );
}

#[test]
fn help_has_synopsis_and_examples() {
    let o = ours("pgrep", &["--help"], None);
    assert_eq!(o.code, Some(0));
    let h = o.stdout_str();
    assert!(h.contains("pgrep [OPTION]... PATTERNS [FILE]..."), "{h}");
    assert!(
        h.contains("Examples:") && h.contains("--select pickup_zone"),
        "{h}"
    );
}

// ---- CSV column search, against an oracle computed here ----

/// Splits CSV text into raw records (terminator included) and each
/// record's unquoted field values: an independent, simple RFC 4180 reader.
fn csv_records(data: &[u8]) -> Vec<(Vec<u8>, Vec<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let start = i;
        let mut fields = vec![Vec::new()];
        let mut in_q = false;
        while i < data.len() {
            let b = data[i];
            i += 1;
            if in_q {
                if b == b'"' {
                    if data.get(i) == Some(&b'"') {
                        fields.last_mut().unwrap().push(b'"');
                        i += 1;
                    } else {
                        in_q = false;
                    }
                } else {
                    fields.last_mut().unwrap().push(b);
                }
            } else if b == b'"' {
                in_q = true;
            } else if b == b',' {
                fields.push(Vec::new());
            } else if b == b'\n' {
                break;
            } else {
                fields.last_mut().unwrap().push(b);
            }
        }
        if let Some(last) = fields.last_mut() {
            if last.last() == Some(&b'\r') {
                last.pop();
            }
        }
        out.push((data[start..i].to_vec(), fields));
    }
    out
}

fn contains(hay: &[u8], needle: &[u8], icase: bool) -> bool {
    let lower = |v: &[u8]| -> Vec<u8> {
        if icase {
            v.to_ascii_lowercase()
        } else {
            v.to_vec()
        }
    };
    let (h, n) = (lower(hay), lower(needle));
    n.is_empty() || h.windows(n.len()).any(|w| w == n.as_slice())
}

/// Expected output of `pgrep --csv [-v] [-i] -F [-m M] --select COLS NEEDLE`.
fn csv_oracle(
    data: &[u8],
    cols: &[usize],
    needle: &[u8],
    invert: bool,
    icase: bool,
    max: Option<usize>,
) -> Vec<u8> {
    let recs = csv_records(data);
    let mut out = Vec::new();
    let mut n = 0;
    for (k, (raw, fields)) in recs.iter().enumerate() {
        let hit = fields
            .iter()
            .enumerate()
            .any(|(i, f)| cols.contains(&i) && contains(f, needle, icase));
        if k == 0 || (hit != invert && max.is_none_or(|m| n < m)) {
            if k > 0 {
                n += 1;
            }
            out.extend_from_slice(raw);
            if raw.last() != Some(&b'\n') {
                out.push(b'\n');
            }
        }
    }
    out
}

fn trips(seed: u64, rows: usize) -> Vec<u8> {
    let zones = [
        "Airport",
        "JFK Airport",
        "\"Airport, Terminal 4\"",
        "Midtown",
        "\"Quoted \"\"Airport\"\" zone\"",
        "\"line\nAirport\"",
        "airport",
        "",
    ];
    let notes = ["", "Airport run", "\"a,b\"", "\"multi\nline\"", "x"];
    let mut rng = Rng::new(seed);
    let mut out = b"id,pickup_zone,note\n".to_vec();
    for i in 0..rows {
        out.extend_from_slice(format!("{i},{},{}", rng.pick(&zones), rng.pick(&notes)).as_bytes());
        out.extend_from_slice(if rng.chance(20) { b"\r\n" } else { b"\n" });
    }
    out
}

#[test]
fn csv_column_search_matches_the_oracle() {
    let data = trips(9, 120);
    for (sel, cols) in [
        ("pickup_zone", vec![1]),
        ("2", vec![1]),
        ("note", vec![2]),
        ("1-3", vec![0, 1, 2]),
    ] {
        for (invert, icase, max) in [
            (false, false, None),
            (true, false, None),
            (false, true, None),
            (false, false, Some(3)),
            (true, true, Some(5)),
        ] {
            let mut args = vec!["--csv", "-F", "--select", sel];
            if invert {
                args.push("-v");
            }
            if icase {
                args.push("-i");
            }
            let m = max.map(|m| m.to_string());
            if let Some(m) = &m {
                args.extend(["-m", m]);
            }
            args.push("Airport");
            let got = ours_everywhere("pgrep", &args, Some(&data));
            let want = csv_oracle(&data, &cols, b"Airport", invert, icase, max);
            assert!(
                got.stdout == want,
                "{args:?}\nours: {}\nwant: {}",
                got.stdout_str(),
                String::from_utf8_lossy(&want)
            );
            let selected = csv_records(&want).len() - 1;
            assert_eq!(got.code, Some(if selected > 0 { 0 } else { 1 }), "{args:?}");
            // -c counts the same records.
            let mut cargs = args.clone();
            cargs.insert(0, "-c");
            let c = ours_everywhere("pgrep", &cargs, Some(&data));
            assert_eq!(c.stdout_str(), format!("{selected}\n"), "{cargs:?}");
        }
    }
}

#[test]
fn csv_without_select_searches_every_field_and_unknown_columns_fail() {
    let data = trips(4, 40);
    let got = ours_everywhere("pgrep", &["--csv", "-F", "run"], Some(&data));
    assert_eq!(
        got.stdout,
        csv_oracle(&data, &[0, 1, 2], b"run", false, false, None)
    );
    // Without -F: a plain BRE (literal prefilter) and a real regex (record
    // by record) give the same records (the data has no 'Air?ort' but
    // 'Airport').
    let want = csv_oracle(&data, &[1], b"Airport", false, false, None);
    for pat in ["Airport", "Air.ort", "A[i]rport"] {
        let got = ours_everywhere(
            "pgrep",
            &["--csv", "--select", "pickup_zone", pat],
            Some(&data),
        );
        assert_eq!(got.stdout_str(), String::from_utf8_lossy(&want), "{pat}");
    }
    let bad = ours("pgrep", &["--csv", "--select", "nope", "x"], Some(&data));
    assert_eq!(bad.code, Some(2));
    assert!(bad.stderr.contains("nope"), "{}", bad.stderr);
    // A header-only result still prints the header, as xsv search does.
    let none = ours("pgrep", &["--csv", "--select", "note", "zzz"], Some(&data));
    assert_eq!(none.stdout, b"id,pickup_zone,note\n");
    assert_eq!(none.code, Some(1));
}
