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
use crate::files::{DirLock, FsInputs, read_output, read_text, text_artifact, write_artifacts};

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
        let sweep = self.plan.expand(self.registry)?;
        Ok(Loaded { sweep, origin: self.origin, inputs: FsInputs::beside(&self.base), registry: self.registry })
    }
}

impl Loaded<'_> {
    /// The re-test of `points` ([`Sweep::retest`]): those points alone, `replicates` runs each on seeds of
    /// their own, reading the same input files.
    pub fn retest(&self, points: &[usize], replicates: u32) -> Self {
        Loaded {
            sweep: self.sweep.retest(points, replicates),
            origin: format!("{} (re-test)", self.origin),
            inputs: self.inputs.clone(),
            registry: self.registry,
        }
    }

    /// Checks every point against its topology and the memory budget, and records its input files' hashes:
    /// the sweep so completed, and its points ready to run.
    pub fn prepare(&mut self) -> Result<(&Sweep, Points<'_>), Failure> {
        let points = self.sweep.prepare(&self.origin, &self.inputs, self.registry)?;
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
    let text = if runs_path.exists() { read_output(&runs_path).map_err(Failure::Input)? } else { String::new() };
    // A kill leaves whole rows and at most one cut row at the end, which is dropped.
    let keep_bytes = text.rfind('\n').map_or(0, |i| i + 1);
    let done = runs::parse_rows(&text[..keep_bytes])
        .and_then(|rows| sweep.check_done(&rows, runs).map(|()| rows.len() as u64))
        .map_err(|m| Failure::Input(format!("{}: {m}", runs_path.display())))?;
    let file = OpenOptions::new().create(true).write(true).truncate(false).open(&runs_path);
    file.and_then(|f| f.set_len(keep_bytes as u64)).map_err(|e| io_failure(&runs_path, e))?;
    Ok(Opened::Resumed(done))
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
    let text = read_output(&dir.join(RUNS)).map_err(Failure::Input)?;
    let reports = reports_of(sweep, &text).map_err(|m| Failure::Input(format!("{}: {m}", dir.join(RUNS).display())))?;
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

/// Per-point reports from a complete runs.jsonl.
pub fn reports_of(sweep: &Sweep, text: &str) -> Result<Vec<RunReport>, String> {
    sweep.point_reports(runs::parse_rows(text)?)
}

/// Reads a sweep output directory: the sweep, its shard and its runs.jsonl text.
pub fn read_dir(dir: &Path) -> Result<(Sweep, Option<Shard>, String), Failure> {
    let meta_path = dir.join(META);
    let (sweep, shard) = Sweep::from_metadata(&read_output(&meta_path).map_err(Failure::Input)?)
        .map_err(|m| Failure::Input(format!("{}: {m}", meta_path.display())))?;
    let runs = read_output(&dir.join(RUNS)).map_err(Failure::Input)?;
    Ok((sweep, shard, runs))
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
    let (first_dir, (sweep, _, _)) = &parts[0];
    let mut shards = Vec::new();
    for (d, (other, shard, text)) in &parts {
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
        let rows: Vec<RunRow> =
            runs::parse_rows(text).map_err(|m| Failure::Input(format!("{}: {m}", d.join(RUNS).display())))?;
        shards.push((shard, rows));
    }
    let rows = sweep.merge(shards).map_err(Failure::Input)?;
    let text: String = rows.iter().map(runs::line).collect();
    let reports = reports_of(sweep, &text).map_err(Failure::Input)?;
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
    let files = [
        text_artifact(META, sweep.metadata(None)),
        text_artifact(RUNS, text),
        text_artifact(SUMMARY, exporters::sweep::summary_csv(sweep, &reports)),
    ];
    if let Err(m) = write_artifacts(dir, &files) {
        lock.remove_if_created();
        return Err(Failure::Input(m));
    }
    crate::cli::warn_few_replicates(reports.iter().map(|r| r.runs.len()));
    out(&format!(
        "{}{} runs merged into {}\n",
        exporters::sweep::summary_table(sweep, &reports, wide),
        sweep.total_runs(),
        dir.display()
    ))
}

fn io_text(path: &Path, e: std::io::Error) -> String {
    format!("{}: cannot write: {e}", path.display())
}

fn io_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure::Input(io_text(path, e))
}
