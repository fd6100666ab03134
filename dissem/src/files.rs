//! File access: reading scenarios and the files they name, writing outputs whole (temp file + rename).

use std::fs;
use std::path::{Path, PathBuf};

use exporters::Artifact;
use runner::Inputs;

pub fn read_text(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

/// Reads files named in a scenario relative to the scenario file's directory.
pub struct FsInputs {
    base: PathBuf,
}

impl FsInputs {
    pub fn beside(scenario_file: &Path) -> Self {
        FsInputs { base: scenario_file.parent().map(Path::to_path_buf).unwrap_or_default() }
    }
}

impl Inputs for FsInputs {
    fn read(&self, path: &str) -> Result<String, String> {
        read_text(&self.base.join(path))
    }
}

pub fn text_artifact(path: &str, text: String) -> Artifact {
    Artifact { path: path.to_owned(), bytes: text.into_bytes() }
}

/// Writes each artifact under `dir` via a temporary file and a rename, so no reader sees half a file.
pub fn write_artifacts(dir: &Path, artifacts: &[Artifact]) -> Result<(), String> {
    for a in artifacts {
        let target = dir.join(&a.path);
        let parent = target.parent().unwrap_or(dir);
        fs::create_dir_all(parent).map_err(|e| format!("{}: cannot create directory: {e}", parent.display()))?;
        let tmp = target.with_extension(format!("tmp{}", std::process::id()));
        fs::write(&tmp, &a.bytes)
            .and_then(|()| fs::rename(&tmp, &target))
            .map_err(|e| format!("{}: cannot write: {e}", target.display()))?;
    }
    Ok(())
}

/// The *.json files under `paths` (default `scenarios/`), sorted, recursing into directories.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let roots = if paths.is_empty() { vec![PathBuf::from("scenarios")] } else { paths.to_vec() };
    let mut files = Vec::new();
    for root in &roots {
        collect(root, &mut files)?;
    }
    files.sort();
    Ok(files)
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_file() {
        files.push(path.to_owned());
        return Ok(());
    }
    let entries = fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for entry in entries {
        let p = entry.map_err(|e| format!("{}: {e}", path.display()))?.path();
        if p.is_dir() || p.extension().is_some_and(|x| x == "json") {
            collect(&p, files)?;
        }
    }
    Ok(())
}
