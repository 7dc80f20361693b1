//! pcat: differential against GNU cat, parallel determinism, gzip, headers.

use crate::common::*;

const FLAGS: &[&str] = &["-A", "-b", "-e", "-E", "-n", "-s", "-t", "-T", "-u", "-v"];

#[test]
fn every_flag_and_flag_pair_matches_gnu_cat() {
    let s = Scratch::new();
    let files: Vec<(String, String)> = edge_inputs()
        .into_iter()
        .map(|(name, data)| (name.to_string(), s.file(name, &data)))
        .collect();
    let mut flag_sets: Vec<Vec<&str>> = vec![vec![]];
    for a in FLAGS {
        flag_sets.push(vec![a]);
        for b in FLAGS {
            if a < b {
                flag_sets.push(vec![a, b]);
            }
        }
    }
    for flags in &flag_sets {
        for (_, path) in &files {
            let mut args = flags.clone();
            args.push(path);
            differential("pcat", "cat", &args, None);
        }
        // Several files: numbering, squeezing and an unterminated last line
        // carry across file boundaries.
        let mut args = flags.clone();
        args.extend(files.iter().map(|(_, p)| p.as_str()));
        let theirs = gnu("cat", &args, None);
        assert_same(
            &format!("cat {flags:?} on all"),
            &ours_everywhere("pcat", &args, None),
            &theirs,
        );
    }
}

#[test]
fn stdin_and_dash() {
    let s = Scratch::new();
    let a = s.file("a", b"file a\n");
    // Large enough that two readers of stdin running at once would split it.
    let mut input: Vec<u8> = (0..200_000)
        .flat_map(|i| format!("stdin {i}\n").into_bytes())
        .collect();
    input.extend_from_slice(b"\n\n\nend");
    let input = input.as_slice();
    for args in [
        vec![],
        vec!["-"],
        vec![a.as_str(), "-", a.as_str()],
        vec!["-n", "-s"],
        vec!["-", a.as_str(), "-", "-"],
    ] {
        let theirs = gnu("cat", &args, Some(input));
        assert_same(
            &format!("{args:?}"),
            &ours("pcat", &args, Some(input)),
            &theirs,
        );
        let mut many = vec!["-j", "8"];
        many.extend_from_slice(&args);
        let small_chunks = run_with(
            &bin("pcat"),
            &many,
            Some(input),
            &[("PTOOLS_CHUNK_SIZE", "4096")],
        );
        assert_same(&format!("-j8 {args:?}"), &small_chunks, &theirs);
    }
}

#[test]
fn missing_file_and_directory_go_on_with_status_1() {
    let s = Scratch::new();
    let a = s.file("a", b"A\n");
    let dir = s.path("d");
    std::fs::create_dir(&dir).unwrap();
    let dir = dir.to_string_lossy().into_owned();
    let args = [a.as_str(), "/nonexistent/x", dir.as_str(), a.as_str()];
    let o = ours("pcat", &args, None);
    assert_same("missing + dir", &o, &gnu("cat", &args, None));
    assert!(
        o.stderr
            .contains("pcat: /nonexistent/x: No such file or directory"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("Is a directory"), "{}", o.stderr);
}

#[test]
fn unreadable_file_is_reported() {
    if unsafe { libc::geteuid() } == 0 {
        // root reads everything; use a path under a file instead, which
        // fails for root too (ENOTDIR).
        let s = Scratch::new();
        let a = s.file("a", b"x\n");
        let bad = format!("{a}/sub");
        let o = ours("pcat", &[&bad], None);
        assert_eq!(o.code, Some(1));
        assert!(o.stderr.contains("Not a directory"), "{}", o.stderr);
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let s = Scratch::new();
    let a = s.file("a", b"x\n");
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o000)).unwrap();
    let o = ours("pcat", &[&a], None);
    assert_eq!(o.code, Some(1));
    assert!(o.stderr.contains("Permission denied"));
}

#[test]
fn gzip_is_detected_by_magic_and_multi_member_works() {
    let s = Scratch::new();
    let mut multi = gzip(b"first member\n");
    multi.extend(gzip(b"second member\nno newline"));
    let m = s.file("multi.dat", &multi); // no .gz extension on purpose
    let p = s.file("plain.gz", b"not gzip at all\n"); // .gz extension, plain
    let o = ours_everywhere("pcat", &[&m, &p], None);
    assert_eq!(
        o.stdout,
        b"first member\nsecond member\nno newlinenot gzip at all\n"
    );
    assert_eq!(o.code, Some(0));
    // Compressed stdin too.
    let o = ours("pcat", &[], Some(&multi));
    assert_eq!(o.stdout, b"first member\nsecond member\nno newline");
}

#[test]
fn many_gzip_files_come_out_in_order() {
    let s = Scratch::new();
    let mut expect = Vec::new();
    let mut paths = Vec::new();
    for i in 0..40 {
        let body: Vec<u8> = (0..(i * 37 % 200))
            .flat_map(|j| format!("file {i} line {j}\n").into_bytes())
            .collect();
        expect.extend_from_slice(&body);
        paths.push(s.gz(&format!("p/{i:02}.gz"), &body));
    }
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let o = ours_everywhere("pcat", &refs, None);
    assert_eq!(o.stdout, expect);
    // The same through a glob we expand ourselves.
    let pattern = s.path("p/*.gz").to_string_lossy().into_owned();
    assert_eq!(ours("pcat", &[&pattern], None).stdout, expect);
}

#[test]
fn corrupt_and_truncated_gzip_fail_naming_the_file() {
    let s = Scratch::new();
    let body: Vec<u8> = (0..5000)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let gz = gzip(&body);
    let truncated = s.file("trunc.gz", &gz[..gz.len() / 2]);
    let mut bad = gz.clone();
    let mid = bad.len() / 2;
    for b in &mut bad[mid..mid + 20] {
        *b ^= 0x55;
    }
    let corrupt = s.file("corrupt.gz", &bad);
    for f in [&truncated, &corrupt] {
        let o = ours("pcat", &[f], None);
        assert_eq!(o.code, Some(1), "{f}: {}", o.stderr);
        assert!(o.stderr.contains(f.as_str()), "{}", o.stderr);
        assert!(o.stdout.len() < body.len());
    }
}

#[test]
fn head_closes_the_pipe_quietly() {
    let s = Scratch::new();
    let body: Vec<u8> = (0..300_000)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let f = s.file("big", &body);
    let script = format!("{} {f} | head -1", bin("pcat").display());
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"line 0\n");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn files0_from() {
    let s = Scratch::new();
    let a = s.file("a", b"A\n");
    let b = s.file("b", b"B\n");
    let list = s.file("list", format!("{a}\0{b}\0").as_bytes());
    let o = ours("pcat", &["--files0-from", &list], None);
    assert_eq!(o.stdout, b"A\nB\n");
}

#[test]
fn header_kept_once_and_mismatch_is_an_error() {
    let s = Scratch::new();
    let a = s.file("a.csv", b"id,name\n1,\"x,y\"\n");
    let b = s.gz("b.csv.gz", b"id,name\n2,\"multi\nline\"\n3,z");
    let c = s.file("c.csv", b"id,name\n");
    let o = ours_everywhere("pcat", &["--csv", &a, &b, &c], None);
    assert_eq!(
        o.stdout_str(),
        "id,name\n1,\"x,y\"\n2,\"multi\nline\"\n3,z\n"
    );
    let d = s.file("d.csv", b"id,other\n9,9\n");
    let o = ours("pcat", &["--header", &a, &d], None);
    assert_eq!(o.code, Some(1));
    assert!(
        o.stderr.contains("d.csv") && o.stderr.contains("header differs"),
        "{}",
        o.stderr
    );
    assert!(
        o.stdout.is_empty(),
        "no partial output before a known mismatch"
    );
}

#[test]
fn union_headers_and_source_column() {
    let s = Scratch::new();
    let a = s.file("a.csv", b"id,name\n1,x\n");
    let b = s.file("b.csv", b"name,extra,id\n\"q,r\",e,2\n");
    let o = ours_everywhere(
        "pcat",
        &[
            "--csv",
            "--union-headers",
            "--source-column",
            "file",
            &a,
            &b,
        ],
        None,
    );
    let expect = format!("id,name,extra,file\n1,x,,{a}\n2,\"q,r\",e,{b}\n");
    assert_eq!(o.stdout_str(), expect);
}

#[test]
fn progress_only_when_asked_off_a_terminal() {
    let s = Scratch::new();
    let body: Vec<u8> = (0..200_000)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let f = s.file("big", &body);
    let quiet = ours("pcat", &[&f], None);
    assert!(
        quiet.stderr.is_empty(),
        "no bar when stderr is not a terminal"
    );
    let shown = ours("pcat", &["--progress", &f], None);
    assert_eq!(shown.stdout, body, "the bar never touches stdout");
    assert!(
        shown.stderr.contains("MiB") || shown.stderr.contains("KiB"),
        "{:?}",
        shown.stderr
    );
}

/// A pipe that pauses: the records read so far come out at once, before
/// the input ends (`tail -f log | pcat`, `| pgrep --line-buffered`).
#[test]
fn a_pausing_pipe_streams() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    for (tool, args) in [
        ("pcat", vec![]),
        ("pgrep", vec!["--line-buffered", "ERROR"]),
    ] {
        let mut child = Command::new(bin(tool))
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"ERROR first\n").unwrap();
        stdin.flush().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        // stdin is still open: the line must arrive without an EOF.
        let got = rx.recv_timeout(std::time::Duration::from_secs(20));
        drop(stdin);
        let _ = child.wait();
        assert_eq!(got.as_deref(), Ok("ERROR first\n"), "{tool}");
    }
}
