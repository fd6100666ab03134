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
pub mod spread;
pub mod sweep;
pub mod text;
pub mod trace;

/// The version of dissem that wrote an output.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where a run's results come from, written into every JSON output: the dissem version, the command line
/// that produced them, and the scenario as run (after `--set`, `--seed` and `--replicates`, with every
/// default filled in).
#[derive(Clone, Debug, PartialEq)]
pub struct Provenance {
    /// The command line, quoted for a POSIX shell.
    pub command: String,
    /// The resolved scenario.
    pub scenario: serde_json::Value,
}

impl Provenance {
    /// The provenance of a run of `scenario` by `command`.
    pub fn new(command: String, scenario: &runner::Scenario) -> Self {
        let scenario = serde_json::to_value(scenario).expect("a scenario always serialises");
        Provenance { command, scenario }
    }

    /// As a JSON object: `dissem` (version), `command`, `scenario`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"dissem": VERSION, "command": self.command, "scenario": self.scenario})
    }
}

/// A file to write, relative to an output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Every file `dissem run --out DIR` may write (series and distributions only when the model has them).
pub const RUN_FILES: [&str; 5] = ["result.json", "metrics.csv", "runs.csv", "series.csv", "distributions.csv"];

/// The files `dissem run --out DIR` writes, named as in [`RUN_FILES`].
pub fn run_artifacts(report: &runner::RunReport, provenance: &Provenance) -> Vec<Artifact> {
    let [result, metrics, runs, series, distributions] = RUN_FILES;
    let text = |path: &str, s: String| Artifact { path: path.to_owned(), bytes: s.into_bytes() };
    let mut files = vec![
        text(result, json::to_text(&json::run_document(report, provenance))),
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
