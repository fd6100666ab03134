//! File access: reading scenarios and the files they name (bounded in size, UTF-8 checked), writing a
//! command's outputs all or nothing (every file to a temporary first, then all renamed), and locking an
//! output directory against a second dissem.

use std::fs::{self, File, TryLockError};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use exporters::Artifact;
use runner::Inputs;

/// Largest scenario, sweep or item file read: 64 MiB is far beyond any hand-written file, and an inline
/// edge list that large belongs in an edge-list file.
const MAX_JSON_BYTES: u64 = 64 << 20;

/// Largest topology file read (edge list, GraphML); what it builds is checked by the memory guard.
const MAX_INPUT_BYTES: u64 = 1 << 30;

/// Reads a scenario, sweep or item file.
pub fn read_text(path: &Path) -> Result<String, String> {
    read_bounded(path, MAX_JSON_BYTES)
}

/// Reads a file dissem wrote itself whole (a sweep's sweep.json, a run's result.json and CSV files): it grows
/// with the sweep or the run, past what anyone writes by hand, so it is read up to the topology files'
/// limit. A sweep's runs.jsonl grows past any such limit and is read line by line ([`OutputLines`]).
pub fn read_output(path: &Path) -> Result<String, String> {
    read_bounded(path, MAX_INPUT_BYTES)
}

/// Longest line read from a runs.jsonl: a row holds its point's parameter values, which come from a sweep
/// file of at most [`MAX_JSON_BYTES`], and its metrics and analytic values (a few KB); twice that leaves
/// room for both.
const MAX_ROW_BYTES: u64 = 2 * MAX_JSON_BYTES;

/// A file dissem writes line by line (a sweep's runs.jsonl), read one line at a time: memory is bounded by
/// the longest line, not by the file, which may hold any number of rows.
pub struct OutputLines {
    reader: BufReader<File>,
    path: PathBuf,
    /// Longest line accepted, its newline included.
    cap: u64,
    /// Lines read so far.
    line: u64,
}

/// A line of an [`OutputLines`] file.
pub enum Line {
    /// A line ended by its newline (which is left out).
    Whole(String),
    /// The file's last bytes, without a newline: a row cut by a kill; how many bytes.
    Cut(u64),
}

impl OutputLines {
    pub fn open(path: &Path) -> Result<Self, String> {
        Self::with_cap(path, MAX_ROW_BYTES)
    }

    pub(crate) fn with_cap(path: &Path, cap: u64) -> Result<Self, String> {
        let (file, _) = open_file(path)?;
        Ok(OutputLines { reader: BufReader::new(file), path: path.to_owned(), cap, line: 0 })
    }

    /// The next line, `None` at the end of the file.
    pub fn next_line(&mut self) -> Result<Option<Line>, String> {
        let shown = self.path.display();
        let mut bytes = Vec::new();
        (&mut self.reader)
            .take(self.cap + 1)
            .read_until(b'\n', &mut bytes)
            .map_err(|e| format!("{shown}: cannot read: {e}"))?;
        self.line += 1;
        let line = self.line;
        if bytes.len() as u64 > self.cap {
            return Err(format!(
                "{shown}: line {line} is longer than {} MiB, the most dissem reads as one row",
                self.cap >> 20
            ));
        }
        if bytes.last() != Some(&b'\n') {
            return Ok((!bytes.is_empty()).then_some(Line::Cut(bytes.len() as u64)));
        }
        bytes.pop();
        String::from_utf8(bytes)
            .map(|text| Some(Line::Whole(text)))
            .map_err(|_| format!("{shown}: line {line} is not UTF-8 text"))
    }
}

/// Reads UTF-8 text of at most `limit` bytes; anything else is an error naming the file and saying why.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<String, String> {
    let shown = path.display();
    let (file, meta) = open_file(path)?;
    // A file's size is known before reading it; a device's is not (and is refused by `open_file`).
    if meta.is_file() && meta.len() > limit {
        return Err(too_large(path, limit));
    }
    // Sized by the file's length (at most the limit, checked above), so that reading never moves what it has read.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, limit));
    }
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return Err(format!("{shown}: UTF-16 text; save the file as UTF-8"));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        format!("{shown}: not UTF-8 text (invalid byte at offset {at}); save the file as UTF-8")
    })
}

/// Opens `path` for reading; a directory, a device or a socket is refused (/dev/zero would never end).
fn open_file(path: &Path) -> Result<(File, fs::Metadata), String> {
    let shown = path.display();
    let file = File::open(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("{shown}: cannot read: {e}"))?;
    if meta.is_dir() {
        return Err(format!("{shown}: is a directory, not a file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        if kind.is_char_device() || kind.is_block_device() || kind.is_socket() {
            return Err(format!("{shown}: a device or socket, not a file"));
        }
    }
    Ok((file, meta))
}

/// The process's address-space limit in bytes (the soft `RLIMIT_AS`), if it has one; read from
/// /proc/self/limits, so none elsewhere than Linux.
pub fn address_space_limit() -> Option<u64> {
    address_space_in(&fs::read_to_string("/proc/self/limits").ok()?)
}

/// The soft address-space limit in the text of /proc/self/limits (`unlimited`: none).
fn address_space_in(limits: &str) -> Option<u64> {
    let line = limits.lines().find_map(|l| l.strip_prefix("Max address space"))?;
    line.split_whitespace().next()?.parse().ok()
}

fn too_large(path: &Path, limit: u64) -> String {
    format!("{}: larger than {} MiB, the most dissem reads from such a file", path.display(), limit >> 20)
}

/// Reads files named in a scenario relative to the scenario file's directory.
#[derive(Clone)]
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
        read_bounded(&self.base.join(path), MAX_INPUT_BYTES)
    }
}

pub fn text_artifact(path: &str, text: String) -> Artifact {
    Artifact { path: path.to_owned(), bytes: text.into_bytes() }
}

/// Checks, before any work, that `names` can be written under `dir`: `dir` is a directory or can be created
/// in one, no name is taken by a directory, and the nearest existing directory accepts a new file. Leaves
/// nothing behind.
pub fn check_writable(dir: &Path, names: &[&str]) -> Result<(), String> {
    let mut existing = dir;
    while !existing.as_os_str().is_empty() && !existing.exists() {
        existing = existing.parent().unwrap_or(Path::new(""));
    }
    let existing = if existing.as_os_str().is_empty() { Path::new(".") } else { existing };
    if !existing.is_dir() {
        return Err(format!("{}: not a directory; choose another output directory", existing.display()));
    }
    for name in names {
        let target = dir.join(name);
        if target.is_dir() {
            return Err(format!("{}: is a directory; move it or choose another output directory", target.display()));
        }
    }
    let probe = existing.join(format!(".dissem-probe-{}", std::process::id()));
    File::create(&probe).map_err(|e| format!("{}: cannot write here: {e}", existing.display()))?;
    fs::remove_file(&probe).map_err(|e| format!("{}: {e}", probe.display()))
}

/// Writes every artifact under `dir`, all or nothing: each goes to a temporary file beside its target, and
/// only when all are written are they renamed into place. On failure the temporaries, and the directories
/// this call created, are removed.
pub fn write_artifacts(dir: &Path, artifacts: &[Artifact]) -> Result<(), String> {
    write_artifacts_with(dir, artifacts, Vec::new())
}

/// [`write_artifacts`], with files already written line by line ([`Staged`]) among them.
pub fn write_artifacts_with(dir: &Path, artifacts: &[Artifact], staged: Vec<Staged>) -> Result<(), String> {
    let mut created: Vec<PathBuf> = Vec::new();
    let mut temporaries: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut result = Ok(());
    for file in staged {
        let target = file.target.clone();
        temporaries.push((file.tmp.clone(), target.clone()));
        if result.is_ok() {
            result = file.close();
            if result.is_ok() && target.is_dir() {
                result =
                    Err(format!("{}: is a directory; move it or choose another output directory", target.display()));
            }
        }
    }
    let result = result.and_then(|()| stage(dir, artifacts, &mut created, &mut temporaries));
    if result.is_err() {
        for (tmp, _) in &temporaries {
            let _ = fs::remove_file(tmp);
        }
        for d in created.iter().rev() {
            let _ = fs::remove_dir(d);
        }
        return result;
    }
    for (i, (tmp, target)) in temporaries.iter().enumerate() {
        if let Err(e) = fs::rename(tmp, target) {
            for (rest, _) in &temporaries[i..] {
                let _ = fs::remove_file(rest);
            }
            let done: Vec<String> = temporaries[..i].iter().map(|(_, t)| t.display().to_string()).collect();
            return Err(format!(
                "{}: cannot write: {e}{}",
                target.display(),
                if done.is_empty() { String::new() } else { format!(" (already replaced: {})", done.join(", ")) }
            ));
        }
    }
    Ok(())
}

/// A file of an existing directory written a piece at a time to a temporary beside it, and renamed into
/// place with the others by [`write_artifacts_with`]: for output too large to hold (a merged runs.jsonl).
pub struct Staged {
    file: BufWriter<File>,
    tmp: PathBuf,
    target: PathBuf,
}

impl Staged {
    /// Starts `dir/name` (`dir` must exist).
    pub fn create(dir: &Path, name: &str) -> Result<Staged, String> {
        let target = dir.join(name);
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let file = File::create(&tmp).map_err(|e| format!("{}: cannot write: {e}", target.display()))?;
        Ok(Staged { file: BufWriter::new(file), tmp, target })
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.file.write_all(bytes).map_err(|e| format!("{}: cannot write: {e}", self.target.display()))
    }

    /// Removes the temporary: for a command that fails before [`write_artifacts_with`].
    pub fn discard(self) {
        let _ = fs::remove_file(&self.tmp);
    }

    /// Flushes and syncs the temporary.
    fn close(self) -> Result<(), String> {
        let file = self.file.into_inner().map_err(|e| e.into_error());
        file.and_then(|f| f.sync_all()).map_err(|e| format!("{}: cannot write: {e}", self.target.display()))
    }
}

/// Creates the directories and writes the temporaries of [`write_artifacts`], recording both for cleanup.
fn stage(
    dir: &Path,
    artifacts: &[Artifact],
    created: &mut Vec<PathBuf>,
    temporaries: &mut Vec<(PathBuf, PathBuf)>,
) -> Result<(), String> {
    for a in artifacts {
        let target = dir.join(&a.path);
        if target.is_dir() {
            return Err(format!("{}: is a directory; move it or choose another output directory", target.display()));
        }
    }
    for a in artifacts {
        let target = dir.join(&a.path);
        let parent = target.parent().unwrap_or(dir).to_owned();
        create_dirs(&parent, created)?;
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = parent.join(format!(".{name}.{}.tmp", std::process::id()));
        temporaries.push((tmp.clone(), target.clone()));
        let mut file = File::create(&tmp).map_err(|e| format!("{}: cannot write: {e}", target.display()))?;
        file.write_all(&a.bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("{}: cannot write: {e}", target.display()))?;
    }
    Ok(())
}

/// Creates `dir` and its missing ancestors, recording each one created (outermost first).
fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> Result<(), String> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if dir.exists() {
        return Err(format!("{}: not a directory; choose another output directory", dir.display()));
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent, created)?;
    }
    fs::create_dir(dir).map_err(|e| format!("{}: cannot create directory: {e}", dir.display()))?;
    created.push(dir.to_owned());
    Ok(())
}

/// An output directory held by this process: a second dissem asking for it is refused until this one ends.
/// The lock is the operating system's (flock) on `DIR/.dissem.lock`, so it dies with the process, even
/// a killed one.
pub struct DirLock {
    file: File,
    path: PathBuf,
    /// Whether this process created the lock file, and the directories it created to hold it (outermost
    /// first): [`DirLock::remove_if_created`] takes them away again.
    created_file: bool,
    created: Vec<PathBuf>,
}

const LOCK: &str = ".dissem.lock";

impl DirLock {
    /// Locks `dir` (created if missing) for `what` (e.g. "dissem sweep").
    pub fn acquire(dir: &Path, what: &str) -> Result<DirLock, String> {
        let mut created = Vec::new();
        create_dirs(dir, &mut created)?;
        let path = dir.join(LOCK);
        let open = |new: bool| fs::OpenOptions::new().read(true).write(true).create_new(new).open(&path);
        let (file, created_file) = match open(true) {
            Ok(file) => (Ok(file), true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => (open(false), false),
            Err(e) => (Err(e), false),
        };
        let file = file.map_err(|e| format!("{}: cannot create the lock file: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                return Err(format!(
                    "{}: in use by another dissem ({}); wait for it to end, or choose another output directory",
                    dir.display(),
                    runner::bounded(holder.trim())
                ));
            }
            Err(TryLockError::Error(e)) => return Err(format!("{}: cannot lock: {e}", path.display())),
        }
        let mut lock = DirLock { file, path, created_file, created };
        let note = format!("{what}, process {}\n", std::process::id());
        // Who holds it, for the message above; the lock itself does not depend on it.
        let _ = lock.file.set_len(0).and_then(|()| lock.file.write_all(note.as_bytes()));
        Ok(lock)
    }

    /// Removes the lock file if `acquire` created it, and the directories it created if they are empty
    /// again: for a command that failed before writing anything.
    pub fn remove_if_created(self) {
        if self.created_file {
            let _ = fs::remove_file(&self.path);
        }
        for d in self.created.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
}

/// The *.json files under `paths` (default `scenarios/`), sorted, recursing into directories. A path that
/// holds no scenario file is an error: `check` on it would check nothing. `program` names the command in
/// the hint when `scenarios/` is missing.
pub fn scenario_files(paths: &[PathBuf], program: &str) -> Result<Vec<PathBuf>, String> {
    if paths.is_empty() && !Path::new("scenarios").exists() {
        return Err(crate::shipped::missing_default("scenarios", program, &format!("`{program} check PATH…`")));
    }
    let roots = if paths.is_empty() { vec![PathBuf::from("scenarios")] } else { paths.to_vec() };
    let mut files = Vec::new();
    for root in &roots {
        let before = files.len();
        collect(root, &mut files, 0)?;
        if files.len() == before {
            return Err(format!("{}: no scenario files (*.json) here", root.display()));
        }
    }
    files.sort();
    Ok(files)
}

/// Deepest folder nesting searched: a symbolic link back up the tree must not recurse forever.
const MAX_DEPTH: usize = 32;

fn collect(path: &Path, files: &mut Vec<PathBuf>, depth: usize) -> Result<(), String> {
    let meta = fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_file() {
        files.push(path.to_owned());
        return Ok(());
    }
    if depth == MAX_DEPTH {
        return Err(format!("{}: folders nested more than {MAX_DEPTH} deep (a link loop?)", path.display()));
    }
    let entries = fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for entry in entries {
        let p = entry.map_err(|e| format!("{}: {e}", path.display()))?.path();
        if p.is_dir() || p.extension().is_some_and(|x| x == "json") {
            collect(&p, files, depth + 1)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_space_limit_is_read_from_proc_limits() {
        let limited = "Max stack size            8388608              unlimited            bytes     \n\
                       Max address space         8589934592           unlimited            bytes     \n";
        assert_eq!(address_space_in(limited), Some(8 << 30));
        let unlimited = "Max address space         unlimited            unlimited            bytes     \n";
        assert_eq!(address_space_in(unlimited), None);
        assert_eq!(address_space_in(""), None);
    }

    #[test]
    fn sizes_are_checked_before_reading_and_devices_refused() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.json");
        // Sparse: 64 GiB that take no disk, and would take minutes and 64 GiB of memory to read.
        File::create(&big).unwrap().set_len(64 << 30).unwrap();
        assert!(read_text(&big).unwrap_err().ends_with("larger than 64 MiB, the most dissem reads from such a file"));
        assert!(FsInputs::beside(&big).read("big.json").unwrap_err().contains("larger than 1024 MiB"));
        assert!(read_text(dir.path()).unwrap_err().ends_with("is a directory, not a file"));
        // A sweep's own rows outgrow the limit of hand-written files.
        let rows = dir.path().join("runs.jsonl");
        File::create(&rows).unwrap().set_len((64 << 20) + 1).unwrap();
        assert!(read_text(&rows).unwrap_err().contains("larger than 64 MiB"));
        assert_eq!(read_output(&rows).unwrap().len(), (64 << 20) + 1);
        let e = create_dirs(&big.join("out"), &mut Vec::new()).unwrap_err();
        assert!(e.ends_with("big.json: not a directory; choose another output directory"), "{e}");
        #[cfg(unix)]
        assert_eq!(read_text(Path::new("/dev/zero")).unwrap_err(), "/dev/zero: a device or socket, not a file");
    }
}
