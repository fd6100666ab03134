//! `dissem sweep` and `dissem merge`: the files of a sweep directory.
//!
//! A sweep directory is locked ([`DirLock`]) while a sweep or a merge writes it, so two of them cannot
//! interleave rows. DIR/sweep.json (metadata with the expanded sweep and its hash) is written first, whole;
//! DIR/runs.jsonl grows by whole rows in run order, each flushed as soon as every earlier run is done, so a
//! killed sweep leaves finished rows and at most one cut row, which `--resume` drops; DIR/summary.csv is
//! written whole at the end.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use exporters::runs;
use runner::sweep::{CommandLine, ExecError, Plan, Points, RunRow, Runs, Shard, Sweep, parse_sweep, plan};
use runner::{Registry, RunReport};

use crate::cli::{Failure, out};
use crate::files::{
    DirLock, FsInputs, Line, OutputLines, Staged, read_output, read_text, text_artifact, write_artifacts,
    write_artifacts_with,
};

/// Sweeps with more runs than this need --force.
pub const RUN_LIMIT: u64 = 100_000;

const META: &str = "sweep.json";
const RUNS: &str = "runs.jsonl";
const SUMMARY: &str = "summary.csv";

/// A sweep file read and planned: the base scenario and every parameter checked, the runs counted, no point
/// built yet.
pub struct Planned<'r> {
    pub plan: Plan,
    origin: String,
    base: PathBuf,
    registry: &'r Registry,
}

/// A sweep expanded (every point's scenario parsed and range-checked).
pub struct Loaded<'r> {
    pub sweep: Sweep,
    /// Bytes each point of the sweep holds as parsed ([`Plan::expand`]).
    held: Vec<u64>,
    /// Bytes held beside this sweep's points: by the sweep a re-test comes from.
    beside: u64,
    origin: String,
    inputs: FsInputs,
    registry: &'r Registry,
}

impl<'r> Planned<'r> {
    /// Reads and plans the sweep `file` with what the command line adds (`cli`).
    pub fn read(file: &Path, cli: CommandLine, registry: &'r Registry) -> Result<Planned<'r>, Failure> {
        let origin = file.display().to_string();
        let text = read_text(file).map_err(Failure::Input)?;
        let mut spec =
            parse_sweep(&text, &origin).map_err(|e| crate::cli::wrong_command(&text, &origin, "sweep", e))?;
        spec.command_line = cli;
        let base = file.parent().unwrap_or(Path::new("")).join(&spec.scenario);
        let base_text = read_text(&base).map_err(|m| Failure::Input(format!("{origin}: field `scenario`: {m}")))?;
        let plan = plan(&spec, &origin, &base_text, &base.display().to_string(), registry)?;
        Ok(Planned { plan, origin, base, registry })
    }

    pub fn expand(self) -> Result<Loaded<'r>, Failure> {
        let (sweep, held) = self.plan.expand(self.registry)?;
        Ok(Loaded {
            sweep,
            held,
            beside: 0,
            origin: self.origin,
            inputs: FsInputs::beside(&self.base),
            registry: self.registry,
        })
    }
}

impl Loaded<'_> {
    /// The re-test of `points` ([`Sweep::retest`]): those points alone, `replicates` runs each on seeds of
    /// their own, reading the same input files. This sweep stays held while it runs.
    pub fn retest(&self, points: &[usize], replicates: u32) -> Self {
        Loaded {
            sweep: self.sweep.retest(points, replicates),
            held: points.iter().map(|&p| self.held[p]).collect(),
            beside: self.beside.saturating_add(self.held()),
            origin: format!("{} (re-test)", self.origin),
            inputs: self.inputs.clone(),
            registry: self.registry,
        }
    }

    /// Bytes this sweep's points hold as parsed.
    pub fn held(&self) -> u64 {
        self.held.iter().sum()
    }

    /// Counts `bytes` held beside this sweep (by other sweeps loaded with it) when its runs are sized.
    pub fn hold_beside(&mut self, bytes: u64) {
        self.beside = bytes;
    }

    /// Checks every point against its topology and the memory budget, and records its input files' hashes:
    /// the sweep so completed, and its points ready to run.
    pub fn prepare(&mut self) -> Result<(&Sweep, Points<'_>), Failure> {
        let held = self.beside.saturating_add(self.held());
        let points = self.sweep.prepare(&self.origin, &self.inputs, self.registry, held)?;
        Ok((&self.sweep, points))
    }
}

/// How `dissem sweep` runs, besides its file, directory and overrides.
pub struct Options<'a> {
    /// Finish the sweep DIR holds.
    pub resume: bool,
    /// Replace the sweep DIR holds.
    pub overwrite: bool,
    /// `I/N` as given.
    pub shard: Option<&'a str>,
    /// Run more than [`RUN_LIMIT`] runs.
    pub force: bool,
    /// Print every metric.
    pub wide: bool,
}

pub fn run(
    file: &Path,
    dir: &Path,
    cli: CommandLine,
    options: &Options<'_>,
    registry: &Registry,
) -> Result<(), Failure> {
    let Options { resume, overwrite, shard, force, wide } = *options;
    let shard = shard.map(Shard::parse).transpose().map_err(|m| Failure::Input(format!("--shard: {m}")))?;
    let planned = Planned::read(file, cli, registry)?;
    // Counted before any point is built: a sweep too large to run costs nothing.
    let count = Runs::of(shard, planned.plan.total_runs()).len();
    if count > RUN_LIMIT && !force {
        return Err(Failure::Input(format!(
            "{}: {count} runs ({} points × {} replicates{}), more than {RUN_LIMIT}; pass --force to run them anyway",
            file.display(),
            planned.plan.points(),
            planned.plan.replicates(),
            shard.map(|s| format!(", shard {s}")).unwrap_or_default()
        )));
    }
    let mut loaded = planned.expand()?;
    let (sweep, points) = loaded.prepare()?;
    let runs = sweep.runs(shard);
    let lock = DirLock::acquire(dir, "dissem sweep").map_err(Failure::Input)?;
    let done = match open_dir(dir, sweep, shard, runs, resume, overwrite) {
        Ok(Opened::Fresh) => None,
        Ok(Opened::Resumed(done)) => Some(done),
        Err(e) => {
            lock.remove_if_created();
            return Err(e);
        }
    };
    let bar = crate::cli::progress_bar(runs.len(), &sweep.name);
    bar.set_position(done.unwrap_or(0));
    let path = dir.join(RUNS);
    let mut rows = OpenOptions::new().append(true).open(&path).map_err(|e| io_failure(&path, e))?;
    let result = sweep.execute(&points, runs.skip(done.unwrap_or(0)), &mut |row| {
        rows.write_all(runs::line(&row).as_bytes()).and_then(|()| rows.flush()).map_err(|e| io_text(&path, e))?;
        bar.inc(1);
        Ok(())
    });
    bar.finish_and_clear();
    match result {
        Ok(()) => {}
        // The scenario cannot run as drawn: bad input, like any scenario error. Resuming would meet the same
        // draw, so a directory this sweep started is removed again.
        Err(e @ ExecError::Run { .. }) => {
            if done.is_none() {
                drop(rows);
                remove_files(dir, &[META, RUNS]);
                lock.remove_if_created();
            }
            return Err(Failure::Input(e.to_string()));
        }
        // Rows written so far are whole; --resume continues after the problem is fixed.
        Err(ExecError::Sink(m)) => {
            return Err(Failure::Input(format!("{m}; finished runs are kept, --resume continues")));
        }
    }
    match shard {
        None => finish(dir, sweep, wide),
        Some(s) => out(&format!(
            "shard {s}: {} runs in {}; combine all shards with `dissem merge`\n",
            runs.len(),
            path.display()
        )),
    }
}

/// What `open_dir` found.
enum Opened {
    /// A new sweep directory, its metadata and empty runs.jsonl written.
    Fresh,
    /// A directory of this sweep with this many of the runs done.
    Resumed(u64),
}

/// Prepares DIR (locked by the caller) for the sweep; `overwrite` first removes the sweep files it holds.
fn open_dir(
    dir: &Path,
    sweep: &Sweep,
    shard: Option<Shard>,
    runs: Runs,
    resume: bool,
    overwrite: bool,
) -> Result<Opened, Failure> {
    let (meta_path, runs_path) = (dir.join(META), dir.join(RUNS));
    if overwrite {
        for path in [&meta_path, &runs_path, &dir.join(SUMMARY)] {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Failure::Input(format!("{}: cannot remove: {e}", path.display())));
                }
                _ => {}
            }
        }
    }
    if !meta_path.exists() {
        if runs_path.exists() {
            return Err(Failure::Input(format!(
                "{}: exists without {META}; pass --overwrite to replace it, or choose another --out",
                runs_path.display()
            )));
        }
        let files = [text_artifact(META, sweep.metadata(shard)), text_artifact(RUNS, String::new())];
        write_artifacts(dir, &files).map_err(Failure::Input)?;
        return Ok(Opened::Fresh);
    }
    if !resume {
        return Err(Failure::Input(format!(
            "{} already holds a sweep; pass --resume to finish it, --overwrite to replace it, or choose another --out",
            dir.display()
        )));
    }
    let (theirs, their_shard) = Sweep::from_metadata(&read_output(&meta_path).map_err(Failure::Input)?)
        .map_err(|m| Failure::Input(format!("{}: {m}", meta_path.display())))?;
    if theirs.hash() != sweep.hash() || their_shard != shard {
        return Err(Failure::Input(format!(
            "{} holds {}, not {}; resume only with the same sweep file, parameters, input files, shard, --set, --seed and \
             --replicates (or pass --overwrite to start again){}",
            dir.display(),
            describe(&theirs, their_shard),
            describe(sweep, shard),
            changed_inputs(&theirs, sweep)
        )));
    }
    let (done, keep_bytes) = match runs_path.exists() {
        true => OutputLines::open(&runs_path).and_then(|lines| done_rows(sweep, runs, lines, &runs_path)),
        false => Ok((0, 0)),
    }
    .map_err(Failure::Input)?;
    let file = OpenOptions::new().create(true).write(true).truncate(false).open(&runs_path);
    file.and_then(|f| f.set_len(keep_bytes)).map_err(|e| io_failure(&runs_path, e))?;
    Ok(Opened::Resumed(done))
}

/// The rows of an interrupted runs.jsonl at `path` that are the first of `runs`: how many, and their bytes.
/// A kill leaves whole rows and at most one cut row at the end, which is not counted (resume drops it).
fn done_rows(sweep: &Sweep, runs: Runs, lines: OutputLines, path: &Path) -> Result<(u64, u64), String> {
    let (mut done, mut bytes) = (0, 0);
    read_rows(lines, path, &mut |i, row, text| {
        sweep.check_row(i, &row, runs)?;
        done += 1;
        bytes += text.len() as u64 + 1;
        Ok(())
    })?;
    Ok((done, bytes))
}

/// Reads the runs.jsonl at `path` one row at a time: `each` gets the row's index (from 0), the row and its
/// line. Returns the length of a last row cut by a kill, if there is one. Errors name the file and the line.
fn read_rows(
    mut lines: OutputLines,
    path: &Path,
    each: &mut dyn FnMut(u64, RunRow, &str) -> Result<(), String>,
) -> Result<Option<u64>, String> {
    let mut i = 0;
    while let Some(line) = lines.next_line()? {
        let text = match line {
            Line::Cut(bytes) => return Ok(Some(bytes)),
            Line::Whole(text) => text,
        };
        let row = runs::parse_line(&text).map_err(|e| format!("{}: line {}: {e}", path.display(), i + 1))?;
        each(i, row, &text).map_err(|m| format!("{}: {m}", path.display()))?;
        i += 1;
    }
    Ok(None)
}

/// [`read_rows`] of a complete runs.jsonl: a cut last row is an error.
fn read_complete_rows(
    lines: OutputLines,
    path: &Path,
    each: &mut dyn FnMut(u64, RunRow, &str) -> Result<(), String>,
) -> Result<u64, String> {
    let mut rows = 0;
    let cut = read_rows(lines, path, &mut |i, row, text| {
        rows += 1;
        each(i, row, text)
    })?;
    match cut {
        None => Ok(rows),
        Some(_) => Err(format!(
            "{}: line {} is cut short (no newline at its end); finish the sweep with --resume",
            path.display(),
            rows + 1
        )),
    }
}

fn describe(sweep: &Sweep, shard: Option<Shard>) -> String {
    let shard = shard.map(|x| format!(", shard {x}")).unwrap_or_default();
    format!("sweep {} (hash {}){shard}", runner::bounded(&sweep.name), sweep.hash())
}

/// "; input file X changed (content hash A, now B)" for each input file two sweeps read differently.
fn changed_inputs(before: &Sweep, now: &Sweep) -> String {
    let changed: Vec<String> = now
        .inputs
        .iter()
        .filter_map(|(path, hash)| {
            let old = before.inputs.get(path)?;
            (old != hash).then(|| format!("; input file `{path}` changed (content hash {old}, now {hash})"))
        })
        .collect();
    changed.concat()
}

fn remove_files(dir: &Path, names: &[&str]) {
    for name in names {
        let _ = std::fs::remove_file(dir.join(name));
    }
}

/// Writes summary.csv from the complete runs.jsonl and prints the summary table.
fn finish(dir: &Path, sweep: &Sweep, wide: bool) -> Result<(), Failure> {
    let reports = reports_in(sweep, &dir.join(RUNS)).map_err(Failure::Input)?;
    let summary = text_artifact(SUMMARY, exporters::sweep::summary_csv(sweep, &reports));
    write_artifacts(dir, &[summary]).map_err(Failure::Input)?;
    crate::cli::warn_few_replicates(reports.iter().map(|r| r.runs.len()));
    out(&format!(
        "{}{} runs in {}; summary in {}\n",
        exporters::sweep::summary_table(sweep, &reports, wide),
        sweep.total_runs(),
        dir.join(RUNS).display(),
        dir.join(SUMMARY).display()
    ))
}

/// Per-point reports from the complete runs.jsonl at `path`, read a row at a time.
pub fn reports_in(sweep: &Sweep, path: &Path) -> Result<Vec<RunReport>, String> {
    reports_from(sweep, OutputLines::open(path)?, path)
}

fn reports_from(sweep: &Sweep, lines: OutputLines, path: &Path) -> Result<Vec<RunReport>, String> {
    let mut reports = sweep.reports();
    read_complete_rows(lines, path, &mut |_, row, _| reports.add(row))?;
    reports.finish().map_err(|m| format!("{}: {m}", path.display()))
}

/// Reads a sweep output directory's metadata: the sweep and its shard (its rows are in DIR/runs.jsonl).
pub fn read_dir(dir: &Path) -> Result<(Sweep, Option<Shard>), Failure> {
    let meta_path = dir.join(META);
    Sweep::from_metadata(&read_output(&meta_path).map_err(Failure::Input)?)
        .map_err(|m| Failure::Input(format!("{}: {m}", meta_path.display())))
}

/// The runs.jsonl of a sweep output directory.
pub fn runs_path(dir: &Path) -> PathBuf {
    dir.join(RUNS)
}

pub fn merge(dirs: &[PathBuf], dir: &Path, wide: bool) -> Result<(), Failure> {
    // The output must not be one of the shards it reads: writing it would replace what it merges.
    if let Ok(target) = dir.canonicalize()
        && let Some(same) = dirs.iter().find(|d| d.canonicalize().is_ok_and(|d| d == target))
    {
        return Err(Failure::Input(format!(
            "--out {}: is the shard directory {}; merge into a new directory",
            dir.display(),
            same.display()
        )));
    }
    let mut parts = Vec::new();
    for d in dirs {
        parts.push((d, read_dir(d)?));
    }
    let (first_dir, (sweep, _)) = &parts[0];
    // Every shard's rows are checked first, a row at a time; then they are read again in run order.
    let mut shards = Vec::new();
    for (d, (other, shard)) in &parts {
        if other.hash() != sweep.hash() {
            return Err(Failure::Input(format!(
                "{} holds {} but {} holds {}{}",
                d.display(),
                describe(other, None),
                first_dir.display(),
                describe(sweep, None),
                changed_inputs(sweep, other)
            )));
        }
        let shard = shard.unwrap_or(Shard { index: 0, count: 1 });
        let (path, expected) = (d.join(RUNS), sweep.runs(Some(shard)));
        let check = &mut |i, row: RunRow, _: &str| {
            sweep.check_row(i, &row, expected).map_err(|e| format!("shard {shard}: {e}"))
        };
        let done = OutputLines::open(&path).and_then(|lines| read_complete_rows(lines, &path, check));
        done.and_then(|done| sweep.check_complete(shard, done)).map_err(Failure::Input)?;
        shards.push(shard);
    }
    let order = sweep.merge_order(&shards).map_err(Failure::Input)?;
    let lock = DirLock::acquire(dir, "dissem merge").map_err(Failure::Input)?;
    if dir.join(META).exists() {
        let theirs = read_output(&dir.join(META)).ok().and_then(|t| Sweep::from_metadata(&t).ok());
        if theirs.is_none_or(|(s, _)| s.hash() != sweep.hash()) {
            lock.remove_if_created();
            return Err(Failure::Input(format!(
                "--out {}: holds another sweep; merge into a new directory",
                dir.display()
            )));
        }
    }
    let written = Staged::create(dir, RUNS).and_then(|mut rows| match merge_rows(sweep, &parts, order, &mut rows) {
        Ok(reports) => {
            let files = [
                text_artifact(META, sweep.metadata(None)),
                text_artifact(SUMMARY, exporters::sweep::summary_csv(sweep, &reports)),
            ];
            write_artifacts_with(dir, &files, vec![rows]).map(|()| reports)
        }
        Err(m) => {
            rows.discard();
            Err(m)
        }
    });
    let reports = match written {
        Ok(reports) => reports,
        Err(m) => {
            lock.remove_if_created();
            return Err(Failure::Input(m));
        }
    };
    crate::cli::warn_few_replicates(reports.iter().map(|r| r.runs.len()));
    out(&format!(
        "{}{} runs merged into {}\n",
        exporters::sweep::summary_table(sweep, &reports, wide),
        sweep.total_runs(),
        dir.display()
    ))
}

/// Writes the checked shards' rows to `out` in run order (`order`: the shard of each run) and builds the
/// per-point reports from them, one row in memory at a time.
fn merge_rows(
    sweep: &Sweep,
    parts: &[(&PathBuf, (Sweep, Option<Shard>))],
    order: impl Iterator<Item = usize>,
    out: &mut Staged,
) -> Result<Vec<RunReport>, String> {
    let paths: Vec<PathBuf> = parts.iter().map(|(d, _)| d.join(RUNS)).collect();
    let mut lines = paths.iter().map(|p| OutputLines::open(p)).collect::<Result<Vec<_>, _>>()?;
    let mut reports = sweep.reports();
    for k in order {
        let changed = || format!("{}: changed while dissem merge read it", paths[k].display());
        let Some(Line::Whole(text)) = lines[k].next_line()? else { return Err(changed()) };
        let row = runs::parse_line(&text).map_err(|_| changed())?;
        out.write(runs::line(&row).as_bytes())?;
        reports.add(row).map_err(|m| format!("{}: {m}", paths[k].display()))?;
    }
    reports.finish()
}

fn io_text(path: &Path, e: std::io::Error) -> String {
    format!("{}: cannot write: {e}", path.display())
}

fn io_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure::Input(io_text(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::OutputLines;

    const RING: &str = r#"{"name": "ring", "topology": {"kind": "ring", "nodes": 10}, "model": {"kind": "flooding"}, "replicates": 3}"#;

    /// A sweep of three points and its runs.jsonl text.
    fn swept(registry: &Registry) -> (Sweep, String) {
        let spec = parse_sweep(r#"{"scenario": "r", "parameters": {"model.p_flood": [0.3, 0.6, 1]}}"#, "s.json");
        let mut sweep = runner::sweep::expand(&spec.unwrap(), "s.json", RING, "r.json", registry).unwrap();
        let points = sweep.prepare("s.json", &runner::NoInputs, registry, 0).unwrap();
        let mut text = String::new();
        sweep
            .execute(&points, sweep.runs(None), &mut |row| {
                text.push_str(&runs::line(&row));
                Ok(())
            })
            .unwrap();
        drop(points);
        (sweep, text)
    }

    /// runs.jsonl is read a line at a time, so a sweep's rows are finished and resumed whatever the file's
    /// size: here a file nine times the one line read at once, which a whole-file read bounded by that
    /// size refuses.
    #[test]
    fn rows_are_read_a_line_at_a_time_whatever_the_file_size() {
        let registry = Registry::builtin();
        let (sweep, text) = swept(&registry);
        let longest = text.lines().map(|l| l.len() as u64 + 1).max().unwrap();
        assert_eq!(text.lines().count(), 9);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RUNS);
        std::fs::write(&path, &text).unwrap();
        assert!(crate::files::read_bounded(&path, longest).unwrap_err().contains("larger than"));
        let lines = || OutputLines::with_cap(&path, longest).unwrap();
        let reports = reports_from(&sweep, lines(), &path).unwrap();
        let whole = sweep.point_reports(text.lines().map(|l| runs::parse_line(l).unwrap()).collect()).unwrap();
        let csv = |r: &[RunReport]| exporters::sweep::summary_csv(&sweep, r);
        assert_eq!(csv(&reports), csv(&whole));
        assert_eq!(done_rows(&sweep, sweep.runs(None), lines(), &path).unwrap(), (9, text.len() as u64));
        // A kill's cut row is dropped by resume and refused by finish; a line over the cap is refused.
        let cut = text.len() - 5;
        std::fs::write(&path, &text[..cut]).unwrap();
        let kept = text[..cut].rfind('\n').unwrap() as u64 + 1;
        assert_eq!(done_rows(&sweep, sweep.runs(None), lines(), &path).unwrap(), (8, kept));
        assert!(
            reports_from(&sweep, lines(), &path)
                .unwrap_err()
                .ends_with("line 9 is cut short (no newline at its end); finish the sweep with --resume")
        );
        let e = reports_from(&sweep, OutputLines::with_cap(&path, longest / 2).unwrap(), &path).unwrap_err();
        assert!(e.contains("line 1 is longer than"), "{e}");
    }
}
