//! Man pages, generated from each tool's clap definition (one source for
//! `--help` and `man/`). `scripts/gen-man` rewrites `man/`; a test fails
//! when a page there is stale.

/// Renders the roff man page of one tool.
pub fn render(cmd: clap::Command) -> Vec<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .expect("rendering to a Vec cannot fail");
    out
}
