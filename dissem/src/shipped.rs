//! The scenarios and sweeps shipped with dissem, embedded at build time, so that an installed binary (which
//! has no checkout beside it) can write them out with `dissem examples DIR`.

use std::path::Path;

use exporters::Artifact;
use include_dir::{Dir, DirEntry, include_dir};

use crate::cli::{Failure, out};
use crate::files::write_artifacts;

/// The checkout's `scenarios/` folder (scenario files and topologies/).
static SCENARIOS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../scenarios");

/// The checkout's `sweeps/` folder (sweep files and the reproduce items in sweeps/reproduce/).
static SWEEPS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../sweeps");

/// Every embedded file as an artifact at its path under the checkout (`scenarios/…`, `sweeps/…`).
pub fn files() -> Vec<Artifact> {
    fn walk(prefix: &str, dir: &Dir<'static>, out: &mut Vec<Artifact>) {
        for entry in dir.entries() {
            match entry {
                DirEntry::Dir(d) => walk(prefix, d, out),
                DirEntry::File(f) => out.push(Artifact {
                    path: format!("{prefix}/{}", f.path().to_string_lossy().replace('\\', "/")),
                    bytes: f.contents().to_vec(),
                }),
            }
        }
    }
    let mut all = Vec::new();
    walk("scenarios", &SCENARIOS, &mut all);
    walk("sweeps", &SWEEPS, &mut all);
    all.sort_by(|a, b| a.path.cmp(&b.path));
    all
}

/// `dissem examples DIR`: writes the shipped files into DIR, all or nothing, never over existing ones.
pub fn examples(dir: &Path) -> Result<(), Failure> {
    for top in ["scenarios", "sweeps"] {
        if dir.join(top).exists() {
            return Err(Failure::Input(format!(
                "{}: exists already; give a directory without scenarios/ and sweeps/",
                dir.join(top).display()
            )));
        }
    }
    let files = files();
    write_artifacts(dir, &files).map_err(Failure::Input)?;
    out(&format!(
        "{} files in {} (scenarios/ and sweeps/); there, `dissem check` runs the scenarios with formulas and \
         `dissem reproduce` the lecture items\n",
        files.len(),
        dir.display()
    ))
}

/// The hint added when a folder the commands look for by default is missing: the binary `program` is
/// installed, not run from the checkout, or is a crate's own binary run outside the folder that holds its
/// files; `named` is how the command takes the folder explicitly (`--items DIR`).
pub fn missing_default(folder: &str, program: &str, named: &str) -> String {
    format!(
        "{folder}: not found here ({program} looks for it in the current directory, as in the source checkout); \
         name yours ({named}), or `{program} examples DIR` writes dissem's shipped scenarios/ and sweeps/ into \
         DIR, then run there"
    )
}
