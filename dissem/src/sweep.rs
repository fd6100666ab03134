//! `dissem sweep` and `dissem merge`: the files of a sweep directory.
//!
//! DIR/sweep.json (metadata with the expanded sweep and its hash) is written first, whole; DIR/runs.jsonl grows
//! by whole rows in run order, each flushed as soon as every earlier run is done, so a killed sweep leaves
//! finished rows and at most one cut row, which `--resume` drops; DIR/summary.csv is written whole at the end.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use exporters::runs;
use runner::sweep::{ExecError, RunRow, Shard, Sweep, expand, parse_sweep};
use runner::{Prepared, Registry, RunReport};

use crate::cli::Failure;
use crate::files::{FsInputs, read_text, write_artifacts};

/// Sweeps with more runs than this need --force.
pub const RUN_LIMIT: u64 = 100_000;

const META: &str = "sweep.json";
const RUNS: &str = "runs.jsonl";
const SUMMARY: &str = "summary.csv";

/// A sweep file read and expanded (every point's scenario parsed and range-checked).
pub struct Loaded<'r> {
    pub sweep: Sweep,
    origin: String,
    base: PathBuf,
    registry: &'r Registry,
}

impl<'r> Loaded<'r> {
    pub fn read(file: &Path, registry: &'r Registry) -> Result<Loaded<'r>, Failure> {
        let origin = file.display().to_string();
        let spec = parse_sweep(&read_text(file).map_err(Failure::Input)?, &origin)?;
        let base = file.parent().unwrap_or(Path::new("")).join(&spec.scenario);
        let base_text = read_text(&base).map_err(|m| Failure::Input(format!("{origin}: field `scenario`: {m}")))?;
        let sweep = expand(&spec, &origin, &base_text, &base.display().to_string(), registry)?;
        Ok(Loaded { sweep, origin, base, registry })
    }

    /// Checks every point against its topology and the memory budget.
    pub fn prepare(&self) -> Result<Vec<Prepared>, Failure> {
        Ok(self.sweep.prepare(&self.origin, &FsInputs::beside(&self.base), self.registry)?)
    }
}

pub fn run(
    file: &Path,
    out: &Path,
    resume: bool,
    shard: Option<&str>,
    force: bool,
    registry: &Registry,
) -> Result<(), Failure> {
    let shard = shard.map(Shard::parse).transpose().map_err(|m| Failure::Input(format!("--shard: {m}")))?;
    let loaded = Loaded::read(file, registry)?;
    let sweep = &loaded.sweep;
    let runs = sweep.runs(shard);
    if runs.len() as u64 > RUN_LIMIT && !force {
        return Err(Failure::Input(format!(
            "{}: {} runs ({} points × {} replicates{}), more than {RUN_LIMIT}; pass --force to run them anyway",
            file.display(),
            runs.len(),
            sweep.points.len(),
            sweep.replicates,
            shard.map(|s| format!(", shard {s}")).unwrap_or_default()
        )));
    }
    let prepared = loaded.prepare()?;
    let done = open_dir(out, sweep, shard, &runs, resume)?;
    let bar = crate::cli::progress_bar(runs.len() as u64, &sweep.name);
    bar.set_position(done as u64);
    let path = out.join(RUNS);
    let mut rows = OpenOptions::new().append(true).open(&path).map_err(|e| io_failure(&path, e))?;
    let result = sweep.execute(&prepared, &runs[done..], &mut |row| {
        rows.write_all(runs::line(&row).as_bytes()).and_then(|()| rows.flush()).map_err(|e| io_text(&path, e))?;
        bar.inc(1);
        Ok(())
    });
    bar.finish_and_clear();
    result.map_err(|e| match e {
        ExecError::Run { .. } => Failure::Run(format!("{e}; finished runs are kept, --resume continues after a fix")),
        ExecError::Sink(m) => Failure::Input(m),
    })?;
    match shard {
        None => finish(out, sweep),
        Some(s) => {
            println!("shard {s}: {} runs in {}; combine all shards with `dissem merge`", runs.len(), path.display());
            Ok(())
        }
    }
}

/// Prepares DIR for the sweep and returns how many of `runs` are already done there.
fn open_dir(out: &Path, sweep: &Sweep, shard: Option<Shard>, runs: &[u64], resume: bool) -> Result<usize, Failure> {
    let (meta_path, runs_path) = (out.join(META), out.join(RUNS));
    if !meta_path.exists() {
        if runs_path.exists() {
            return Err(Failure::Input(format!(
                "{}: exists without {META}; choose another --out",
                runs_path.display()
            )));
        }
        let meta = crate::files::text_artifact(META, sweep.metadata(shard));
        write_artifacts(out, &[meta]).map_err(Failure::Input)?;
        fs::write(&runs_path, "").map_err(|e| io_failure(&runs_path, e))?;
        return Ok(0);
    }
    if !resume {
        return Err(Failure::Input(format!(
            "{} already holds a sweep; pass --resume to finish it, or choose another --out",
            out.display()
        )));
    }
    let (theirs, their_shard) = Sweep::from_metadata(&read_text(&meta_path).map_err(Failure::Input)?)
        .map_err(|m| Failure::Input(format!("{}: {m}", meta_path.display())))?;
    if theirs.hash() != sweep.hash() || their_shard != shard {
        let describe = |s: &Sweep, sh: Option<Shard>| {
            format!("sweep {} (hash {}){}", s.name, s.hash(), sh.map(|x| format!(", shard {x}")).unwrap_or_default())
        };
        return Err(Failure::Input(format!(
            "{} holds {}, not {}; resume only with the same sweep file, parameters and shard",
            out.display(),
            describe(&theirs, their_shard),
            describe(sweep, shard)
        )));
    }
    let text = if runs_path.exists() { read_text(&runs_path).map_err(Failure::Input)? } else { String::new() };
    // A kill leaves whole rows and at most one cut row at the end, which is dropped.
    let keep_bytes = text.rfind('\n').map_or(0, |i| i + 1);
    let done = runs::parse_rows(&text[..keep_bytes])
        .and_then(|rows| sweep.check_done(&rows, runs).map(|()| rows.len()))
        .map_err(|m| Failure::Input(format!("{}: {m}", runs_path.display())))?;
    let file = OpenOptions::new().create(true).write(true).truncate(false).open(&runs_path);
    file.and_then(|f| f.set_len(keep_bytes as u64)).map_err(|e| io_failure(&runs_path, e))?;
    Ok(done)
}

/// Writes summary.csv from the complete runs.jsonl and prints the summary table.
fn finish(out: &Path, sweep: &Sweep) -> Result<(), Failure> {
    let text = read_text(&out.join(RUNS)).map_err(Failure::Input)?;
    let reports = reports_of(sweep, &text).map_err(|m| Failure::Input(format!("{}: {m}", out.join(RUNS).display())))?;
    let summary = crate::files::text_artifact(SUMMARY, exporters::sweep::summary_csv(sweep, &reports));
    write_artifacts(out, &[summary]).map_err(Failure::Input)?;
    print!("{}", exporters::sweep::summary_table(sweep, &reports));
    println!("{} runs in {}; summary in {}", sweep.total_runs(), out.join(RUNS).display(), out.join(SUMMARY).display());
    Ok(())
}

/// Per-point reports from a complete runs.jsonl.
pub fn reports_of(sweep: &Sweep, text: &str) -> Result<Vec<RunReport>, String> {
    let rows = runs::parse_rows(text)?;
    if rows.len() as u64 != sweep.total_runs() {
        return Err(format!("{} of {} runs present; the sweep is not finished", rows.len(), sweep.total_runs()));
    }
    Ok(sweep.point_reports(rows))
}

/// Reads a sweep output directory: the sweep, its shard and its runs.jsonl text.
pub fn read_dir(dir: &Path) -> Result<(Sweep, Option<Shard>, String), Failure> {
    let meta_path = dir.join(META);
    let (sweep, shard) = Sweep::from_metadata(&read_text(&meta_path).map_err(Failure::Input)?)
        .map_err(|m| Failure::Input(format!("{}: {m}", meta_path.display())))?;
    let runs = read_text(&dir.join(RUNS)).map_err(Failure::Input)?;
    Ok((sweep, shard, runs))
}

pub fn merge(dirs: &[std::path::PathBuf], out: &Path) -> Result<(), Failure> {
    let mut parts = Vec::new();
    for dir in dirs {
        parts.push((dir, read_dir(dir)?));
    }
    let (first_dir, (sweep, _, _)) = &parts[0];
    let mut shards = Vec::new();
    for (dir, (other, shard, text)) in &parts {
        if other.hash() != sweep.hash() {
            return Err(Failure::Input(format!(
                "{} holds sweep {} (hash {}) but {} holds {} (hash {})",
                dir.display(),
                other.name,
                other.hash(),
                first_dir.display(),
                sweep.name,
                sweep.hash()
            )));
        }
        let shard = shard.unwrap_or(Shard { index: 0, count: 1 });
        let rows: Vec<RunRow> =
            runs::parse_rows(text).map_err(|m| Failure::Input(format!("{}: {m}", dir.join(RUNS).display())))?;
        shards.push((shard, rows));
    }
    let rows = sweep.merge(shards).map_err(Failure::Input)?;
    let text: String = rows.iter().map(runs::line).collect();
    let reports = reports_of(sweep, &text).map_err(Failure::Input)?;
    let files = [
        crate::files::text_artifact(META, sweep.metadata(None)),
        crate::files::text_artifact(RUNS, text),
        crate::files::text_artifact(SUMMARY, exporters::sweep::summary_csv(sweep, &reports)),
    ];
    write_artifacts(out, &files).map_err(Failure::Input)?;
    print!("{}", exporters::sweep::summary_table(sweep, &reports));
    println!("{} runs merged into {}", sweep.total_runs(), out.display());
    Ok(())
}

fn io_text(path: &Path, e: std::io::Error) -> String {
    format!("{}: cannot write: {e}", path.display())
}

fn io_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure::Input(io_text(path, e))
}
