//! The command line: parses arguments, runs the command with the models of a [`Registry`], prints, and
//! turns the outcome into the exit code (0 success, 1 a run or a check failed, 2 bad input or usage).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use runner::{Prepared, Registry, RunReport};

use crate::args::{Cli, Command, ScenarioArgs};
use crate::files::{FsInputs, read_text, write_artifacts};
use crate::{plot, reproduce, sweep};

/// Why the program stops early.
pub(crate) enum Failure {
    /// Bad input or usage: exit code 2.
    Input(String),
    /// A run or a check failed: exit code 1.
    Run(String),
}

impl From<runner::ScenarioError> for Failure {
    fn from(e: runner::ScenarioError) -> Self {
        Failure::Input(e.to_string())
    }
}

/// Runs the `dissem` command line with the models of `registry`: the whole program of the `dissem` binary,
/// given [`Registry::builtin`]. A crate with models of its own calls it from its `main` with
/// `Registry::builtin().with(MyModel)`, and its binary runs, sweeps, checks and plots them as dissem's own.
pub fn main_with(registry: Registry) -> ExitCode {
    let cli = Cli::parse();
    if let Some(threads) = cli.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global()
    {
        eprintln!("error: --threads: {e}");
        return ExitCode::from(2);
    }
    match dispatch(cli.command, &registry) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Run(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
    }
}

fn dispatch(command: Command, registry: &Registry) -> Result<(), Failure> {
    match command {
        Command::Run { scenario, json, out } => {
            let prepared = prepare(&scenario, registry)?;
            let report = run_with_progress(&prepared)?;
            if let Some(dir) = out {
                write_artifacts(&dir, &exporters::run_artifacts(&report)).map_err(Failure::Input)?;
            }
            if json {
                print!("{}", exporters::json::to_text(&exporters::json::run_document(&report)));
            } else {
                print!("{}", exporters::text::run_summary(&report));
            }
            Ok(())
        }
        Command::Validate { scenario } => {
            let prepared = prepare(&scenario, registry)?;
            println!(
                "{}: ok ({} model, {} replicate(s), seed {})",
                prepared.origin, prepared.scenario.model.kind, prepared.scenario.replicates, prepared.scenario.seed
            );
            Ok(())
        }
        Command::Schema => {
            println!("{}", serde_json::to_string_pretty(&registry.schema()).expect("schema serialises"));
            Ok(())
        }
        Command::Check { paths } => check(&paths, registry),
        Command::Sweep { file, out, resume, shard, force } => {
            sweep::run(&file, &out, resume, shard.as_deref(), force, registry)
        }
        Command::Merge { dirs, out } => sweep::merge(&dirs, &out),
        Command::Plot(args) => plot::plot(&args),
        Command::Reproduce { name, list, out, items } => {
            reproduce::reproduce(name.as_deref(), list, &out, &items, registry)
        }
    }
}

fn prepare(args: &ScenarioArgs, registry: &Registry) -> Result<Prepared, Failure> {
    let origin = args.file.display().to_string();
    let text = read_text(&args.file).map_err(Failure::Input)?;
    let scenario = runner::parse(&text, &origin, &args.overrides().map_err(Failure::Input)?, registry)?;
    Ok(Prepared::new(scenario, &origin, &FsInputs::beside(&args.file), registry)?)
}

pub(crate) fn progress_bar(len: u64, label: &str) -> ProgressBar {
    if len < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{prefix} {bar:40} {pos}/{len} runs, {elapsed} elapsed, ETA {eta}")
            .expect("valid template"),
    );
    bar.set_prefix(label.to_owned());
    bar
}

fn run_with_progress(prepared: &Prepared) -> Result<RunReport, Failure> {
    let bar = progress_bar(u64::from(prepared.scenario.replicates), &prepared.scenario.name);
    let report = prepared.run_all(&|| bar.inc(1));
    bar.finish_and_clear();
    Ok(report?)
}

/// Runs every scenario under `paths` that has analytic counterparts and prints one line per comparison.
fn check(paths: &[std::path::PathBuf], registry: &Registry) -> Result<(), Failure> {
    let files = crate::files::scenario_files(paths).map_err(Failure::Input)?;
    let mut results = Vec::new();
    for file in &files {
        let args = ScenarioArgs::of(file);
        let report = run_with_progress(&prepare(&args, registry)?)?;
        results.extend(report.checks());
    }
    print!("{}", exporters::text::check_lines(&results));
    let failed = results.iter().filter(|c| !c.pass).count();
    println!("{} passed, {} failed", results.len() - failed, failed);
    if failed > 0 {
        return Err(Failure::Run(format!("{failed} comparison(s) outside their tolerance")));
    }
    Ok(())
}
