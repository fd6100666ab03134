//! exporters: everything a person or a program reads after a run.
//!
//! Owns the exporters, one per output format: the readable summary table and check lines (text), the
//! `--json` document, CSV files, sweep summaries, plots (SVG and PNG rendered in memory), and the lecture
//! reproductions (`reproduce`: item files → Markdown pages, CSV and plots). Exporters return text or bytes
//! and never write files; the binary decides where output goes. Depends on runner, models and sim-core; must not
//! depend on the binary.

pub mod csv;
pub mod json;
pub mod number;
pub mod plot;
pub mod reproduce;
pub mod runs;
pub mod sweep;
pub mod text;

/// A file to write, relative to an output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Every file `dissem run --out DIR` may write (series and distributions only when the model has them).
pub const RUN_FILES: [&str; 5] = ["result.json", "metrics.csv", "runs.csv", "series.csv", "distributions.csv"];

/// The files `dissem run --out DIR` writes, named as in [`RUN_FILES`].
pub fn run_artifacts(report: &runner::RunReport) -> Vec<Artifact> {
    let [result, metrics, runs, series, distributions] = RUN_FILES;
    let text = |path: &str, s: String| Artifact { path: path.to_owned(), bytes: s.into_bytes() };
    let mut files = vec![
        text(result, json::to_text(&json::run_document(report))),
        text(metrics, csv::metrics(report)),
        text(runs, csv::runs(report)),
    ];
    if let Some(s) = csv::series(report) {
        files.push(text(series, s));
    }
    if let Some(d) = csv::distributions(report) {
        files.push(text(distributions, d));
    }
    files
}
