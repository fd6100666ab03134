//! `dissem run --trace FILE`: one replicate's steps as JSON Lines, appended line by line as the run takes
//! them, cut at a bound on lines with a last line saying how many were left out.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use runner::{Prepared, RunReport};
use sim_core::trace::{Sink, Step};

use crate::cli::Failure;

/// Writes steps to a file, opened at the first step (a run that fails before it writes nothing).
struct JsonLines {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    limit: u64,
    written: u64,
    omitted: u64,
    error: Option<String>,
}

impl JsonLines {
    fn write(&mut self, text: &str) {
        if self.error.is_some() {
            return;
        }
        if self.out.is_none() {
            match File::create(&self.path) {
                Ok(f) => self.out = Some(BufWriter::new(f)),
                Err(e) => {
                    self.error = Some(format!("{}: cannot write the trace: {e}", self.path.display()));
                    return;
                }
            }
        }
        if let Some(out) = &mut self.out
            && let Err(e) = out.write_all(text.as_bytes())
        {
            self.error = Some(format!("{}: cannot write the trace: {e}", self.path.display()));
        }
    }

    /// Writes the truncation line if steps were left out, and flushes.
    fn finish(mut self) -> Result<(u64, u64), String> {
        if self.omitted > 0 {
            self.write(&exporters::trace::truncated(self.limit, self.omitted));
        }
        if let (None, Some(out)) = (&self.error, &mut self.out)
            && let Err(e) = out.flush()
        {
            self.error = Some(format!("{}: cannot write the trace: {e}", self.path.display()));
        }
        self.error.map_or(Ok((self.written, self.omitted)), Err)
    }
}

impl Sink for JsonLines {
    fn step(&mut self, step: Step<'_>) {
        if self.written < self.limit {
            self.written += 1;
            self.write(&exporters::trace::line(&step));
        } else {
            self.omitted += 1;
        }
    }
}

/// Runs replicate `replicate` of `prepared` with its steps written to `path` (at most `limit` lines, then a
/// `truncated` line); returns the replicate's report.
pub(crate) fn run(prepared: &Prepared, replicate: u32, path: &Path, limit: u64) -> Result<RunReport, Failure> {
    if limit == 0 {
        return Err(Failure::Input("--trace-limit: must be at least 1".into()));
    }
    if path.is_dir() {
        return Err(Failure::Input(format!("--trace {}: is a directory; name a file", path.display())));
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Failure::Input(format!(
            "--trace {}: the directory {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    let mut sink = JsonLines { path: path.to_owned(), out: None, limit, written: 0, omitted: 0, error: None };
    let (outcome, _) = prepared.run_traced(replicate, &mut sink)?;
    let (written, omitted) = sink.finish().map_err(Failure::Input)?;
    if omitted > 0 {
        eprintln!(
            "note: {}: the trace was cut at {written} lines (--trace-limit); {omitted} later steps are not written",
            path.display()
        );
    }
    Ok(prepared.report_of(replicate, outcome))
}
