//! pgroupby: differential against `datamash -s -g` for every operation and
//! option, CSV mode against a Python `csv`/`statistics` oracle, forced
//! spills against memory, and the same bytes at every -j and chunk size.

use crate::common::*;

/// Like `assert_same`, but on a difference shows the first differing line
/// only (outputs here run to thousands of lines).
fn same(what: &str, ours: &Outcome, theirs: &Outcome) {
    if ours.stdout == theirs.stdout && ours.code == theirs.code {
        return;
    }
    let (a, b) = (ours.stdout_str(), theirs.stdout_str());
    let at = a.lines().zip(b.lines()).position(|(x, y)| x != y);
    let line =
        |s: &str, i: Option<usize>| i.and_then(|i| s.lines().nth(i)).unwrap_or("").to_string();
    panic!(
        "{what}: differs from the reference\nexit ours {:?} theirs {:?}; lines {} vs {}\nfirst difference at line {at:?}:\nours:   {:?}\ntheirs: {:?}\nstderr: {}{}",
        ours.code,
        theirs.code,
        a.lines().count(),
        b.lines().count(),
        line(&a, at),
        line(&b, at),
        ours.stderr,
        theirs.stderr
    );
}

/// Operations compared byte for byte with datamash. (skew and kurtosis are
/// compared with a tolerance: datamash's long double shows in their last
/// digits after the cancellation in `m4/m2² - 3`; rand is random.)
const EXACT_OPS: &[&str] = &[
    "count",
    "sum",
    "min",
    "max",
    "absmin",
    "absmax",
    "range",
    "mean",
    "geomean",
    "harmmean",
    "trimmean",
    "trimmean:0.2",
    "median",
    "q1",
    "q3",
    "iqr",
    "perc",
    "perc:37",
    "mode",
    "antimode",
    "pstdev",
    "sstdev",
    "pvar",
    "svar",
    "mad",
    "madraw",
    "first",
    "last",
    "unique",
    "collapse",
    "countunique",
];

/// Rows `key1 TAB key2 TAB x TAB y`: negatives, decimals, many-row and
/// single-row groups, keys that differ in case and hold spaces.
fn numeric_rows(seed: u64, rows: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let keys = ["a", "b", "A", "a b", "zz", "_x", "b-2", "Q"];
    let mut out = String::new();
    for _ in 0..rows {
        let k = rng.pick(&keys);
        let k2 = rng.pick(&["x", "y", "xy"]);
        let x = match rng.below(6) {
            0 => format!("{}", rng.below(100) as i64 - 50),
            1 => format!("{}.{:05}", rng.below(200) as i64 - 100, rng.below(100_000)),
            2 => format!("0.{:03}", rng.below(1000)),
            3 => "-0.5".to_string(),
            4 => format!("{}", rng.below(7) + 1),
            _ => format!("{}e{}", rng.below(9) + 1, rng.below(4)),
        };
        // Many digits: results of decimal inputs can land exactly on a
        // 14-digit tie, where datamash's long double and our exact sums
        // may round apart (documented); long fractions make that rare.
        let y = format!("{}.{:07}", rng.below(5) + 1, rng.below(10_000_000));
        out.push_str(&format!("{k}\t{k2}\t{x}\t{y}\n"));
    }
    for i in 0..5 {
        out.push_str(&format!("single{i}\tx\t{}.25\t1.5\n", i as i64 - 2));
    }
    out.into_bytes()
}

fn with_ops<'a>(base: &[&'a str], ops: &[&'a str], col: &'a str) -> Vec<&'a str> {
    let mut v = base.to_vec();
    for op in ops {
        v.push(op);
        v.push(col);
    }
    v
}

#[test]
fn every_operation_matches_datamash() {
    let data = numeric_rows(1, 400);
    for groups in ["1", "1,2", "2,1"] {
        for col in ["3", "4"] {
            let args = with_ops(&["-s", "-g", groups], EXACT_OPS, col);
            let ours_out = ours("pgroupby", &args, Some(&data));
            same(
                &format!("-g {groups} col {col}"),
                &ours_out,
                &gnu("datamash", &args, Some(&data)),
            );
        }
    }
    // Same bytes at -j1/-j4 and chunk sizes 1, 7, default.
    let args = with_ops(&["-s", "-g", "2,1"], EXACT_OPS, "3");
    ours_everywhere("pgroupby", &args, Some(&data));
}

#[test]
fn skewness_and_kurtosis_match_datamash_closely() {
    let data = numeric_rows(2, 300);
    let ops = ["sskew", "pskew", "skurt", "pkurt"];
    let args = with_ops(&["-s", "-g", "1"], &ops, "3");
    let a = ours_everywhere("pgroupby", &args, Some(&data));
    let b = gnu("datamash", &args, Some(&data));
    assert_eq!(a.code, b.code);
    let (a, b) = (a.stdout_str(), b.stdout_str());
    assert_eq!(a.lines().count(), b.lines().count());
    for (la, lb) in a.lines().zip(b.lines()) {
        for (x, y) in la.split('\t').zip(lb.split('\t')) {
            match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(x), Ok(y)) if x.is_finite() => {
                    assert!((x - y).abs() <= 1e-9 * y.abs().max(1.0), "{la} vs {lb}")
                }
                _ => assert_eq!(x, y, "{la} vs {lb}"),
            }
        }
    }
}

#[test]
fn options_match_datamash() {
    let data = numeric_rows(3, 200);
    let s = Scratch::new();
    let with_header = {
        let mut v = b"name\tkind\tx\ty\n".to_vec();
        v.extend_from_slice(&data);
        v
    };
    let commas: Vec<u8> = data
        .iter()
        .map(|&b| if b == b'\t' { b',' } else { b })
        .collect();
    // datamash -s sorts -W input with sort's blank-including keys, so
    // only uniform blank runs give it contiguous groups: one leading
    // blank, two spaces between fields.
    let blanks: Vec<u8> = String::from_utf8(data.clone())
        .unwrap()
        .lines()
        .map(|l| format!(" {}\n", l.replace(' ', "_").replace('\t', "  ")))
        .collect::<String>()
        .into_bytes();
    let nul: Vec<u8> = data
        .iter()
        .map(|&b| if b == b'\n' { 0 } else { b })
        .collect();
    let comments = {
        let mut v = b"#comment\t1\n".to_vec();
        v.extend_from_slice(&data);
        v.extend_from_slice(b"  ;also\tx\n");
        v
    };
    let cases: Vec<(Vec<&str>, &Vec<u8>)> = vec![
        (vec!["-g1", "--header-out", "sum", "3", "mean", "4"], &data),
        (vec!["sum", "3", "mean", "4", "collapse", "1"], &data),
        (vec!["--header-out", "count", "1", "median", "3"], &data),
        (
            vec!["--header-in", "-g1", "sum", "3", "count", "4"],
            &with_header,
        ),
        (
            vec!["-H", "-g", "name,kind", "sum", "x", "median", "y"],
            &with_header,
        ),
        (
            vec!["-H", "--full", "-g", "2", "min", "3", "first", "4"],
            &with_header,
        ),
        (vec!["--full", "-g", "1", "sum", "3"], &data),
        (vec!["--full", "-g", "1", "max", "3", "last", "4"], &data),
        (vec!["-f", "-g", "2", "absmin", "3"], &data),
        (
            vec![
                "-i",
                "-g",
                "1",
                "sum",
                "3",
                "unique",
                "1",
                "countunique",
                "1",
            ],
            &data,
        ),
        (vec!["-i", "-g", "1,2", "first", "3", "min", "4"], &data),
        (vec!["-t,", "-g", "1", "sum", "3", "mean", "4"], &commas),
        (
            vec!["-t,", "--output-delimiter=|", "-g2", "q1", "3"],
            &commas,
        ),
        (vec!["-W", "-g", "1", "sum", "3", "collapse", "2"], &blanks),
        (vec!["-W", "-g", "2,1", "mean", "4"], &blanks),
        (vec!["-R", "3", "-g", "1", "mean", "3", "count", "3"], &data),
        (vec!["--round=1", "-g", "1", "mean", "3"], &data),
        (vec!["--format", "%08.3e", "-g", "1", "mean", "3"], &data),
        (vec!["--format", "[%-12.4f]", "-g", "1", "sum", "4"], &data),
        (vec!["--format", "%#.3g", "-g", "2", "sstdev", "3"], &data),
        (vec!["-C", "-g", "1", "sum", "4"], &comments),
        (vec!["-g", "1", "sum", "3-4"], &data),
        (vec!["-g", "1", "sum", "3,4", "max", "4"], &data),
        (vec!["-g", "1", "sum", "5"], &data),
        (vec!["-g", "1", "sum", "1"], &data),
        (vec!["-g", "1", "sum", "3"], &comments),
    ];
    for (args, input) in &cases {
        let mut full = vec!["-s"];
        full.extend_from_slice(args);
        let theirs = gnu("datamash", &full, Some(input));
        let mine = ours("pgroupby", &full, Some(input));
        if theirs.code == Some(0) {
            same(&format!("{full:?}"), &mine, &theirs);
        } else {
            // datamash prints the groups before the bad line; we print
            // nothing that could pass for a complete result.
            assert_eq!(mine.code, theirs.code, "{full:?}: {}", mine.stderr);
            assert!(mine.stdout.is_empty(), "{full:?}: {:?}", mine.stdout_str());
            assert!(mine.stderr.contains("line"), "{}", mine.stderr);
        }
    }
    // -z: datamash 1.7 mishandles -s with -z, so it gets input that GNU
    // sort -z -s already grouped.
    let sorted = gnu("sort", &["-z", "-s", "-t\t", "-k1,1"], Some(&nul)).stdout;
    same(
        "-z",
        &ours(
            "pgroupby",
            &["-z", "-g", "1", "sum", "3", "first", "2"],
            Some(&nul),
        ),
        &gnu(
            "datamash",
            &["-z", "-g", "1", "sum", "3", "first", "2"],
            Some(&sorted),
        ),
    );
    // File operands, gzip, and '--' give the same as stdin.
    let plain = s.file("d.tsv", &data);
    let gz = s.gz("d.tsv.gz", &data);
    let want = gnu("datamash", &["-s", "-g1", "sum", "3"], Some(&data));
    same(
        "file",
        &ours_everywhere("pgroupby", &["-g1", "sum", "3", &plain], None),
        &want,
    );
    // Mapped files and streamed runs (gzip, stdin, gzip) in one list:
    // every source's records once, at every -j and chunk size.
    let five = [&data[..], &data[..], &data[..], &data[..], &data[..]].concat();
    same(
        "mapped and streamed sources",
        &ours_everywhere(
            "pgroupby",
            &[
                "-g1", "sum", "3", "count", "1", &plain, &gz, "-", &gz, &plain,
            ],
            Some(&data),
        ),
        &gnu(
            "datamash",
            &["-s", "-g1", "sum", "3", "count", "1"],
            Some(&five),
        ),
    );
    // An error in the last source of a streamed run names that source
    // and its own line number.
    let bad = s.gz("bad.tsv.gz", b"a\t1\t2\nb\t1\t3\nc\t1\tx\n");
    for order in [[&plain, &gz, &bad], [&gz, &plain, &bad]] {
        let got = ours_everywhere(
            "pgroupby",
            &["-g1", "sum", "3", order[0], order[1], order[2]],
            None,
        );
        assert_eq!(got.code, Some(1), "{}", got.stderr);
        assert!(
            got.stderr.contains("line 3 field 3: 'x'") && got.stderr.contains("bad.tsv.gz"),
            "{}",
            got.stderr
        );
    }
    same(
        "gz",
        &ours("pgroupby", &["-g1", "sum", "3", &gz], None),
        &want,
    );
    same(
        "--",
        &ours("pgroupby", &["-g1", "sum", "3", "--", &plain], None),
        &want,
    );
}

#[test]
fn narm_matches_datamash() {
    let mut rng = Rng::new(9);
    let mut data = String::new();
    for i in 0..300 {
        let k = rng.pick(&["a", "b", "c", "dd"]);
        let v = match rng.below(5) {
            0 => rng.pick(&["NA", "N/A", "NaN", "na", "nan"]).to_string(),
            _ => format!("{}.{}", rng.below(50) as i64 - 10, rng.below(10)),
        };
        data.push_str(&format!("{k}\t{v}\n"));
        if i % 50 == 0 {
            data.push_str("allna\tNA\n");
        }
    }
    let ops: Vec<&str> = EXACT_OPS.to_vec();
    let args = with_ops(&["-s", "--narm", "-g", "1"], &ops, "2");
    let data = data.into_bytes();
    same(
        "--narm",
        &ours_everywhere("pgroupby", &args, Some(&data)),
        &gnu("datamash", &args, Some(&data)),
    );
    // Without --narm, an NA is an invalid number: exit 1, no output.
    let bad = ours("pgroupby", &["-g1", "sum", "2"], Some(&data));
    assert_eq!(bad.code, Some(1));
    assert!(bad.stdout.is_empty());
    assert!(
        bad.stderr.contains("invalid numeric value in line"),
        "{}",
        bad.stderr
    );
    // Our extension: --narm also skips empty fields.
    let out = ours(
        "pgroupby",
        &["--narm", "-g1", "sum", "2", "count", "2"],
        Some(b"a\t1\na\t\nb\t\n"),
    );
    assert_eq!(out.stdout_str(), "a\t1\t1\nb\t0\t0\n");
}

#[test]
fn rand_picks_a_value_of_its_group() {
    let data = numeric_rows(4, 200);
    let out = ours_everywhere(
        "pgroupby",
        &["-g", "1", "rand", "2", "collapse", "2"],
        Some(&data),
    );
    for line in out.stdout_str().lines() {
        let f: Vec<&str> = line.split('\t').collect();
        assert!(f[2].split(',').any(|v| v == f[1]), "{line}");
    }
}

const CSV_ORACLE: &str = r#"
import csv, math, statistics, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
head, rows = rows[0], [r for r in rows[1:] if r]
ki = [head.index(k) for k in sys.argv[2].split(',')]
vi = head.index(sys.argv[3])
groups = {}
for r in rows:
    groups.setdefault(tuple(r[i] for i in ki), []).append(r)
w = csv.writer(sys.stdout, lineterminator='\n')
w.writerow([head[i] for i in ki] + ['sum(v)', 'mean(v)', 'median(v)', 'count(v)', 'first(v)', 'last(name)', 'countunique(name)', 'sstdev(v)'])
def g(x):
    return '%.14g' % x
for k in sorted(groups, key=lambda t: [s.encode() for s in t]):
    vs = [float(r[vi]) for r in groups[k]]
    names = [r[head.index('name')] for r in groups[k]]
    sd = g(statistics.stdev(vs)) if len(vs) > 1 else 'nan'
    w.writerow(list(k) + [g(math.fsum(vs)), g(math.fsum(vs) / len(vs)), g(statistics.median(vs)), len(vs),
                          groups[k][0][vi], names[-1], len(set(names)), sd])
"#;

#[test]
fn csv_mode_matches_python_oracle() {
    let mut rng = Rng::new(11);
    let names = [
        "plain",
        "with,comma",
        "with \"quote\"",
        "multi\nline",
        "both, \"x\"\nand",
        "",
        "Zed",
        // Quoted across several of the scanner's 64-byte blocks, with
        // delimiters, newlines and CRs inside.
        "long, \"quoted\"\r\nvalue that runs on, and on, past one block, and past two blocks\nof bytes",
    ];
    let mut data = String::from("id,name,\"the key\",v\n");
    for i in 0..250 {
        let n = rng.pick(&names);
        let k = rng.pick(&["k1", "k,2", "k\"3\"", "k\n4"]);
        let v = format!("{}.{:02}", rng.below(300) as i64 - 100, rng.below(100));
        let q = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) || rng_quote(i) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        // Some records end in CRLF (not data in CSV).
        let end = if i % 5 == 0 { "\r\n" } else { "\n" };
        data.push_str(&format!("{i},{},{},{}{end}", q(n), q(k), q(&v)));
    }
    let s = Scratch::new();
    let path = s.file("t.csv", data.as_bytes());
    let script = s.file("oracle.py", CSV_ORACLE.as_bytes());
    for keys in ["the key", "name", "the key,name"] {
        let want = run_with(
            std::path::Path::new("/usr/bin/env"),
            &["python3", &script, &path, keys, "v"],
            None,
            &[],
        );
        assert_eq!(want.code, Some(0), "oracle failed: {}", want.stderr);
        let args = [
            "--csv",
            "-g",
            keys,
            "sum",
            "v",
            "mean",
            "v",
            "median",
            "v",
            "count",
            "v",
            "first",
            "v",
            "last",
            "name",
            "countunique",
            "name",
            "sstdev",
            "v",
            &path,
        ];
        let got = ours_everywhere("pgroupby", &args, None);
        same(&format!("--csv -g {keys}"), &got, &want);
    }
}

fn rng_quote(i: usize) -> bool {
    i.is_multiple_of(7)
}

/// [`numeric_rows`] with a first column `key(row number)`: many distinct
/// keys, so the groups' state outgrows a small `-S`.
fn many_keyed_rows(seed: u64, rows: usize, key: impl Fn(usize) -> usize) -> Vec<u8> {
    String::from_utf8(numeric_rows(seed, rows))
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{}\t{l}\n", key(i)))
        .collect::<String>()
        .into_bytes()
}

/// A run of `ops` at budget `size` did spill: with an unusable `-T` it
/// fails, printing nothing.
fn assert_spills(size: &str, ops: &[&str], input: &[u8]) {
    let mut bad = vec!["-S", size, "-T", "/nonexistent/pgroupby-test"];
    bad.extend_from_slice(ops);
    let o = ours("pgroupby", &bad, Some(input));
    assert_eq!(o.code, Some(1), "{}", o.stderr);
    assert!(o.stdout.is_empty());
}

#[test]
fn spilled_equals_in_memory() {
    // Many distinct keys: the row number makes most groups single rows.
    let many = many_keyed_rows(5, 1500, |i| i % 700);
    let tmp = Scratch::new();
    let tdir = tmp.path("t");
    std::fs::create_dir_all(&tdir).unwrap();
    let tdir = tdir.to_string_lossy().into_owned();
    for ops in [
        &[
            "sum",
            "4",
            "median",
            "4",
            "first",
            "2",
            "collapse",
            "3",
            "countunique",
            "2",
        ][..],
        &["mean", "5", "sstdev", "4", "min", "4", "last", "1"][..],
    ] {
        let mut mem = vec!["-g", "1,2"];
        mem.extend_from_slice(ops);
        let mut spill = vec!["-S", "20K", "-T", &tdir];
        spill.extend_from_slice(&mem);
        let a = ours("pgroupby", &mem, Some(&many));
        // Every -j and chunk size for the first set; the second once.
        let b = if ops[0] == "sum" {
            ours_everywhere("pgroupby", &spill, Some(&many))
        } else {
            ours("pgroupby", &spill, Some(&many))
        };
        same(&format!("{spill:?}"), &b, &a);
        // (sstdev can differ from datamash in the 14th digit on ~1% of
        // groups: datamash reads decimals into long double, we into
        // double; see README.)
        if ops[0] == "sum" {
            same(
                "vs datamash",
                &a,
                &gnu("datamash", &[&["-s"][..], &mem].concat(), Some(&many)),
            );
        }
        assert_eq!(
            std::fs::read_dir(&tdir).unwrap().count(),
            0,
            "temp files left behind"
        );
        assert_spills("20K", &mem, &many);
    }
}

/// Order-free operations (counts, exact sums) let workers carry one
/// table across chunks up to 1/64 of the budget per thread. At `-S 2M`
/// with tiny chunks, carried tables fill, are handed over and spill, in
/// every mix: the bytes must equal the in-memory run and datamash.
#[test]
fn carried_tables_spill_like_memory() {
    let many = many_keyed_rows(9, 6000, |i| (i * 7) % 4001);
    let tmp = Scratch::new();
    let tdir = tmp.path("t");
    std::fs::create_dir_all(&tdir).unwrap();
    let tdir = tdir.to_string_lossy().into_owned();
    let ops = [
        "-g", "1", "count", "2", "sum", "4", "mean", "5", "sstdev", "4", "pvar", "5",
    ];
    let mem = ours("pgroupby", &ops, Some(&many));
    assert_eq!(mem.code, Some(0), "{}", mem.stderr);
    let mut spill = vec!["-S", "2M", "-T", &tdir];
    spill.extend_from_slice(&ops);
    same(
        "-S 2M",
        &ours_everywhere("pgroupby", &spill, Some(&many)),
        &mem,
    );
    // Against datamash without the variances (their 14th digit may
    // differ: long double against double inputs, see README).
    let plain = &ops[..8];
    same(
        "vs datamash",
        &ours("pgroupby", plain, Some(&many)),
        &gnu("datamash", &[&["-s"][..], plain].concat(), Some(&many)),
    );
    assert_eq!(std::fs::read_dir(&tdir).unwrap().count(), 0);
    assert_spills("2M", &ops, &many);
}

#[test]
fn usage_errors() {
    for args in [
        &["-g", "1"][..],
        &["-g", "1", "bogus", "2"],
        &["-g", "1", "sum"],
        &["-g", "x", "sum", "2"],
        &["-g", "1", "perc:0", "2"],
        &["-g", "1", "trimmean:0.7", "2"],
        &["-R", "0", "-g", "1", "sum", "2"],
        &["--format", "%d", "-g", "1", "sum", "2"],
        &["--format", "%g%g", "-g", "1", "sum", "2"],
        &["-t", "ab", "-g", "1", "sum", "2"],
    ] {
        let o = ours("pgroupby", args, Some(b"a\t1\n"));
        assert_eq!(o.code, Some(1), "{args:?}");
        assert!(o.stdout.is_empty());
        assert!(
            o.stderr.starts_with("pgroupby: ") || o.stderr.contains("error"),
            "{}",
            o.stderr
        );
    }
}
