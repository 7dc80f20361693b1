//! pcut: differential against GNU cut, parallel determinism, CSV by name.

use crate::common::*;

const LISTS: &[&str] = &[
    "1", "2", "1,3", "2-", "-2", "1-2,4-", "3-3,1", "2,2,1-1", "5", "1-100", "1,1000",
];

#[test]
fn fields_match_gnu_cut_on_edge_inputs() {
    let s = Scratch::new();
    let files = s.edge_files();
    let extras: &[&[&str]] = &[
        &[],
        &["-s"],
        &["--complement"],
        &["--output-delimiter=|"],
        &["-s", "--complement"],
        &["--output-delimiter="],
        &["-z"],
    ];
    for list in LISTS {
        for delim in ["-d:", "-d\t", "-d "] {
            for extra in extras {
                for (_, path) in &files {
                    let mut args = vec!["-f", list, delim];
                    args.extend_from_slice(extra);
                    args.push(path);
                    differential("pcut", "cut", &args, None);
                }
            }
        }
    }
}

#[test]
fn default_tab_delimiter_and_stdin() {
    let input = b"a\tb\tc\nno tab\n\tlead\n";
    for args in [vec!["-f2"], vec!["-f1,3", "-s"], vec!["-f", "2", "-"]] {
        differential("pcut", "cut", &args, Some(input));
    }
}

#[test]
fn bytes_and_characters_match_gnu_cut() {
    let s = Scratch::new();
    let files = s.edge_files();
    let extras: &[&[&str]] = &[
        &[],
        &["--complement"],
        &["--output-delimiter=:"],
        &["-n"],
        &["-z"],
    ];
    for flag in ["-b", "-c"] {
        for list in [
            "1",
            "2-3,1",
            "1-2,3-4",
            "1-3,2-5",
            "4-",
            "-2,6-",
            "1,3,5,7,9",
        ] {
            for extra in extras {
                for (_, path) in &files {
                    let mut args = vec![flag, list];
                    args.extend_from_slice(extra);
                    args.push(path);
                    differential("pcut", "cut", &args, None);
                }
            }
        }
    }
}

#[test]
fn usage_errors_match_gnu_status() {
    for args in [
        vec![],
        vec!["-f0"],
        vec!["-f", "3-1"],
        vec!["-f", "-"],
        vec!["-f", "x"],
        vec!["-f1", "-b1"],
        vec!["-b1", "-d:"],
        vec!["-b1", "-s"],
        vec!["-f1", "-d", "ab"],
        vec!["-f1", "--bogus"],
    ] {
        let o = ours("pcut", &args, Some(b"a\n"));
        let g = gnu("cut", &args, Some(b"a\n"));
        assert_eq!(
            o.code, g.code,
            "{args:?}: ours {} / gnu {}",
            o.stderr, g.stderr
        );
        assert!(o.stdout.is_empty());
        assert!(
            o.stderr.starts_with("pcut: ") || o.stderr.starts_with("error:"),
            "{}",
            o.stderr
        );
    }
}

#[test]
fn missing_file_goes_on_with_status_1() {
    let s = Scratch::new();
    let a = s.file("a", b"x:y\n");
    let args = ["-d:", "-f2", "/nonexistent", a.as_str()];
    assert_same(
        "missing",
        &ours("pcut", &args, None),
        &gnu("cut", &args, None),
    );
}

#[test]
fn same_bytes_at_any_parallelism() {
    let mut rng = Rng::new(7);
    let mut data = Vec::new();
    for i in 0..3000 {
        let nf = rng.below(6);
        for f in 0..nf {
            if f > 0 {
                data.push(b':');
            }
            data.extend(format!("f{i}-{f}").bytes().take(rng.below(8) as usize));
        }
        data.push(b'\n');
    }
    for args in [
        vec!["-d:", "-f2,4-"],
        vec!["-d:", "-f1", "-s"],
        vec!["-b", "2-5"],
    ] {
        let o = ours_everywhere("pcut", &args, Some(&data));
        assert_same(&format!("{args:?}"), &o, &gnu("cut", &args, Some(&data)));
    }
}

const TRIPS: &str = "id,zone,fare,note\n1,\"Airport, JFK\",10.5,\n2,Midtown,7,\"said \"\"hi\"\"\"\n3,\"needs\nquotes\",1,\"\"\n4,plain,2,\"x\"\r\n";

#[test]
fn csv_by_name_keeps_quoted_fields_whole() {
    let o = ours_everywhere(
        "pcut",
        &["--csv", "-f", "zone,fare"],
        Some(TRIPS.as_bytes()),
    );
    assert_eq!(
        o.stdout_str(),
        "zone,fare\n\"Airport, JFK\",10.5\nMidtown,7\n\"needs\nquotes\",1\nplain,2\n"
    );
    let o = ours_everywhere("pcut", &["--csv", "-f", "note,id"], Some(TRIPS.as_bytes()));
    assert_eq!(
        o.stdout_str(),
        "id,note\n1,\n2,\"said \"\"hi\"\"\"\n3,\n4,x\n"
    );
}

#[test]
fn csv_reorder_allows_duplicates() {
    let o = ours_everywhere(
        "pcut",
        &["--csv", "--reorder", "-f", "fare,id,fare"],
        Some(TRIPS.as_bytes()),
    );
    assert_eq!(
        o.stdout_str(),
        "fare,id,fare\n10.5,1,10.5\n7,2,7\n1,3,1\n2,4,2\n"
    );
}

#[test]
fn csv_unknown_name_lists_the_columns() {
    let o = ours("pcut", &["--csv", "-f", "nope"], Some(TRIPS.as_bytes()));
    assert_eq!(o.code, Some(1));
    assert!(
        o.stderr.contains("unknown column 'nope'") && o.stderr.contains("id, zone, fare, note"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn csv_several_files_print_the_header_once() {
    let s = Scratch::new();
    let a = s.file("a.csv", TRIPS.as_bytes());
    let b = s.gz("b.csv.gz", TRIPS.as_bytes());
    let o = ours_everywhere("pcut", &["--csv", "-f", "3,1", &a, &b], None);
    let one = "id,fare\n1,10.5\n2,7\n3,1\n4,2\n";
    assert_eq!(o.stdout_str(), format!("{one}{}", &one[8..]));
}

#[test]
fn tsv_and_plain_header_by_name() {
    let tsv = b"a\tb\tc\n1\t2\t3\n";
    let o = ours_everywhere("pcut", &["--tsv", "-f", "c,a"], Some(tsv));
    assert_eq!(o.stdout_str(), "a\tc\n1\t3\n");
    let psv = b"user|id\nann|1\n";
    let o = ours_everywhere("pcut", &["-H", "-d|", "-f", "id"], Some(psv));
    assert_eq!(o.stdout_str(), "id\n1\n");
}
