//! Man pages in man/ must match what the clap definitions generate.
//! Run `scripts/gen-man` (PTOOLS_BLESS=1) to refresh them.

use std::path::Path;

#[test]
fn man_pages_are_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let bless = std::env::var_os("PTOOLS_BLESS").is_some();
    for (name, cmd) in ptools::ops::commands() {
        let page = ptools::cli::man::render(cmd);
        let path = dir.join(format!("{name}.1"));
        if bless {
            std::fs::write(&path, &page).unwrap();
            continue;
        }
        let on_disk = std::fs::read(&path)
            .unwrap_or_else(|_| panic!("{} is missing: run scripts/gen-man", path.display()));
        assert!(
            on_disk == page,
            "{} is stale: run scripts/gen-man",
            path.display()
        );
    }
}
