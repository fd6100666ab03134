//! The command line: parses arguments, runs the command with the models of a [`Registry`], prints, and
//! turns the outcome into the exit code (0 success, 1 a run or a check failed, 2 bad input or usage, 141
//! when the reader of the output went away, as for a program ended by SIGPIPE).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use indicatif::{ProgressBar, ProgressStyle};
use runner::{Prepared, Registry, RunReport};

use crate::args::{Cli, Command, ScenarioArgs};
use crate::files::{FsInputs, address_space_limit, check_writable, read_text, write_artifacts};
use crate::{plot, reproduce, sweep};

/// Why the program stops early.
pub(crate) enum Failure {
    /// Bad input or usage: exit code 2.
    Input(String),
    /// A run or a check failed: exit code 1.
    Run(String),
    /// Whoever read the output closed it (`dissem schema | head`): end quietly, as coreutils do.
    ClosedOutput,
}

/// The status a shell reports for a program ended by SIGPIPE (128 + 13), which is how coreutils end when
/// their reader goes away.
const CLOSED_OUTPUT: u8 = 141;

/// Prints `text` on standard output. A closed pipe ends the program quietly; another failure (a full disk)
/// is an error.
pub(crate) fn out(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Failure::ClosedOutput,
        _ => Failure::Input(format!("cannot write to standard output: {e}")),
    })
}

impl From<runner::ScenarioError> for Failure {
    fn from(e: runner::ScenarioError) -> Self {
        Failure::Input(e.to_string())
    }
}

/// The default memory budget under an address-space limit (`ulimit -v`, `prlimit --as`): half the limit if
/// that is less than `default`. The estimate counts what the runs allocate, while the address space also
/// holds the program, the threads' stacks and the allocator's reserves; a run estimated past the limit
/// would die on a failed allocation instead of being refused.
fn budget_within(default: u64, limit: Option<u64>) -> u64 {
    limit.map_or(default, |limit| default.min(limit / 2))
}

/// Runs the `dissem` command line as `program` with the models of `registry`: the whole program of the
/// `dissem` binary, given `"dissem"` and [`Registry::builtin`]. A crate with models of its own calls it from
/// its `main` with its binary's name (`env!("CARGO_BIN_NAME")`) and `Registry::builtin().with(MyModel)`,
/// and its binary runs, sweeps, checks and plots them as dissem's own.
///
/// `program` is the name `--help`, usage lines, completions and the man page show, and the first word of
/// the command line a JSON output records, so that the record runs again as it stands: the binary's file
/// name (`argv[0]`) would not do, as it differs between builds (cargo's test binaries end in a hash) and
/// installs.
pub fn main_with(program: &'static str, registry: Registry) -> ExitCode {
    let mut command = Cli::command().name(program).bin_name(program);
    let cli = match command.try_get_matches_from_mut(std::env::args_os()).and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => e.format(&mut command).exit(),
    };
    let registry = match cli.memory_budget {
        Some(bytes) => registry.with_memory_budget(bytes),
        None => {
            let default = registry.memory_budget();
            registry.with_memory_budget(budget_within(default, address_space_limit()))
        }
    };
    let result = threads(cli.threads).and_then(|()| dispatch(cli.command, &registry, command));
    // Messages quote what the user wrote; `bounded` keeps a huge value from making a huge message.
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(m)) => {
            eprintln!("error: {}", runner::bounded(&m));
            ExitCode::from(2)
        }
        Err(Failure::Run(m)) => {
            eprintln!("error: {}", runner::bounded(&m));
            ExitCode::from(1)
        }
        Err(Failure::ClosedOutput) => ExitCode::from(CLOSED_OUTPUT),
    }
}

/// Sizes the worker pool: `--threads N` with 1 <= N, at most the cores this process may use (more threads
/// than cores only share the same cores, and each holds a run's memory); default all of them.
fn threads(asked: Option<usize>) -> Result<(), Failure> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = match asked {
        None => cores,
        Some(0) => return Err(Failure::Input("--threads: must be at least 1".into())),
        Some(n) if n > cores => {
            eprintln!("note: --threads {n}: this machine lets dissem use {cores} cores; using {cores} threads");
            cores
        }
        Some(n) => n,
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| Failure::Input(format!("--threads: {e}")))
}

/// Runs `command` with the models of `registry`; `cli` is the whole command line's definition, named as
/// the program.
fn dispatch(command: Command, registry: &Registry, mut cli: clap::Command) -> Result<(), Failure> {
    match command {
        Command::Run { scenario, json, out: dir, replicate, trace } => {
            let prepared = prepare(&scenario, registry, "run")?;
            if let Some(r) = replicate {
                check_replicate(&prepared, r)?;
            }
            if let Some(dir) = &dir {
                // Before the run, so that a bad directory does not cost its results.
                check_writable(dir, &exporters::RUN_FILES).map_err(Failure::Input)?;
            }
            // One replicate alone may take minutes: its own work is shown instead of a count of runs.
            let report = match (&trace.trace, replicate.or((prepared.scenario.replicates == 1).then_some(0))) {
                (Some(path), r) => crate::trace::run(&prepared, r.unwrap_or(0), path, trace.trace_limit)?,
                (None, Some(r)) => {
                    let bar = WorkBar::new(&prepared.scenario.name);
                    let report = prepared.run_only(r, &bar);
                    bar.0.finish_and_clear();
                    report?
                }
                (None, None) => run_with_progress(&prepared)?,
            };
            print_notes(&report.notes);
            if replicate.is_none() && trace.trace.is_none() {
                warn_few_replicates(std::iter::once(report.runs.len()));
            }
            let provenance = exporters::Provenance::new(command_line(cli.get_name()), &prepared.scenario);
            if let Some(dir) = &dir {
                write_artifacts(dir, &exporters::run_artifacts(&report, &provenance)).map_err(Failure::Input)?;
            }
            if json {
                out(&exporters::json::to_text(&exporters::json::run_document(&report, &provenance)))
            } else {
                out(&exporters::text::run_summary(&report))
            }
        }
        Command::Draw { scenario, out, replicate } => {
            let prepared = prepare(&scenario, registry, "draw")?;
            check_replicate(&prepared, replicate)?;
            crate::draw::draw(&prepared, replicate, &out)
        }
        Command::Validate { scenario } => {
            let prepared = prepare(&scenario, registry, "validate")?;
            print_notes(&prepared.notes);
            let connectivity = prepared.connectivity(VALIDATE_ELEMENTS)?;
            out(&format!(
                "{}: ok ({} model, {} replicate(s), seed {})\n{}",
                prepared.origin,
                prepared.scenario.model.kind,
                prepared.scenario.replicates,
                prepared.scenario.seed,
                exporters::text::connectivity(&connectivity, prepared.scenario.replicates)
            ))
        }
        Command::Schema { sweep } => {
            let schema = if sweep { runner::sweep::schema() } else { registry.schema() };
            out(&(serde_json::to_string_pretty(&schema).expect("schema serialises") + "\n"))
        }
        Command::Metrics { model } => metrics(model.as_deref(), registry),
        Command::Check { paths } => check(&paths, cli.get_name(), registry),
        Command::Sweep { file, out, overrides, resume, overwrite, shard, force, wide } => {
            let options = sweep::Options { resume, overwrite, shard: shard.as_deref(), force, wide };
            sweep::run(&file, &out, overrides.for_sweep().map_err(Failure::Input)?, &options, registry)
        }
        Command::Merge { dirs, out, wide } => sweep::merge(&dirs, &out, wide),
        Command::Examples { dir } => crate::shipped::examples(&dir),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            let program = cli.get_name().to_owned();
            clap_complete::generate(shell, &mut cli, program, &mut script);
            out(&String::from_utf8_lossy(&script))
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cli).render(&mut page).map_err(|e| Failure::Input(format!("man: {e}")))?;
            out(&String::from_utf8_lossy(&page))
        }
        Command::Plot(args) => plot::plot(&args),
        Command::Reproduce { name, list, out, items } => {
            reproduce::reproduce(name.as_deref(), list, &out, &items, cli.get_name(), registry)
        }
    }
}

/// Nodes and edges of the random graphs `validate` draws at most, replicate after replicate (about a second
/// of work); beyond, it says how many replicates it checked.
const VALIDATE_ELEMENTS: u64 = 20_000_000;

/// An error unless `replicate` is one of the scenario's.
fn check_replicate(prepared: &Prepared, replicate: u32) -> Result<(), Failure> {
    let replicates = prepared.scenario.replicates;
    if replicate >= replicates {
        return Err(Failure::Input(format!(
            "--replicate {replicate}: the scenario has replicates 0 to {} (replicates = {replicates})",
            replicates - 1
        )));
    }
    Ok(())
}

/// This process's command line as `program` ran it, quoted for a POSIX shell, for provenance.
/// `--threads` (`-j`) is left out: it never changes results, and outputs must not depend on it.
fn command_line(program: &str) -> String {
    words_to_record(program, std::env::args_os().map(|a| a.to_string_lossy().into_owned()))
}

/// The words of a command line as recorded, quoted for a POSIX shell: `program` in place of the binary's
/// file name (`argv[0]`, which differs between builds and installs), then the arguments with
/// `--threads`/`-j` and its value left out.
fn words_to_record(program: &str, mut args: impl Iterator<Item = String>) -> String {
    args.next();
    let mut kept = vec![program.to_owned()];
    while let Some(arg) = args.next() {
        let threads_with_value = arg
            .strip_prefix("--threads=")
            .or_else(|| arg.strip_prefix("-j"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if arg == "--threads" || arg == "-j" {
            args.next();
        } else if !threads_with_value {
            kept.push(arg);
        }
    }
    // Arguments from the operating system hold no NUL byte, the one thing a shell cannot quote.
    shlex::try_join(kept.iter().map(String::as_str)).expect("no NUL byte in command-line arguments")
}

/// Reads, checks and prepares the scenario of `args` for `command` (named in errors).
fn prepare(args: &ScenarioArgs, registry: &Registry, command: &str) -> Result<Prepared, Failure> {
    let origin = args.file.display().to_string();
    let text = read_text(&args.file).map_err(Failure::Input)?;
    let scenario = runner::parse(&text, &origin, &args.overrides().map_err(Failure::Input)?, registry)
        .map_err(|e| wrong_command(&text, &origin, command, e))?;
    Ok(Prepared::new(scenario, &origin, &FsInputs::beside(&args.file), registry)?)
}

/// The failure to report when `command` could not read `text` (from `origin`): when the file is of another
/// kind (a sweep given to `run`, a scenario given to `sweep`, a reproduce item to either), the command that
/// reads it; otherwise `error` itself.
pub(crate) fn wrong_command(text: &str, origin: &str, command: &str, error: runner::ScenarioError) -> Failure {
    let Ok(serde_json::Value::Object(doc)) = serde_json::from_str::<serde_json::Value>(text) else {
        return error.into();
    };
    let quote = |w: &str| shlex::try_quote(w).map_or_else(|_| w.to_owned(), |q| q.into_owned());
    let quoted = quote(origin);
    let (kind, fix) = if doc.contains_key("model") {
        ("a scenario file", format!("run it with `dissem run {quoted}`"))
    } else if doc.contains_key("scenario") && doc.contains_key("parameters") {
        ("a sweep file", format!("run it with `dissem sweep {quoted} --out DIR`"))
    } else if doc.contains_key("sweep") && doc.contains_key("title") {
        let path = std::path::Path::new(origin);
        let name = path.file_stem().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let dir = path.parent().map_or_else(String::new, |d| d.display().to_string());
        ("a reproduce item", format!("run it with `dissem reproduce {} --items {}`", quote(&name), quote(&dir)))
    } else {
        return error.into();
    };
    let reads = if command == "sweep" { "a sweep file" } else { "a scenario file" };
    if kind == reads {
        return error.into();
    }
    Failure::Input(format!("{origin}: is {kind}, but `dissem {command}` reads {reads}; {fix}"))
}

/// What reading the topology noted (directed edges read as undirected, duplicates dropped, …), on standard
/// error, so that the table (or the JSON document) on standard output stays clean.
fn print_notes(notes: &[String]) {
    for note in notes {
        eprintln!("note: {note}");
    }
}

/// Warns on standard error when a 95% interval shown rests on fewer than 5 runs (`counts`: runs per
/// scenario or sweep point).
pub(crate) fn warn_few_replicates(counts: impl Iterator<Item = usize>) {
    if let Some(warning) = counts.filter(|&n| n > 1).min().and_then(exporters::text::few_replicates) {
        eprintln!("warning: {warning}");
    }
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

/// The progress of one run's own work (a long run's lookups), on standard error when it is a terminal.
struct WorkBar(ProgressBar);

impl WorkBar {
    fn new(label: &str) -> WorkBar {
        if !std::io::stderr().is_terminal() {
            return WorkBar(ProgressBar::hidden());
        }
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{prefix} {bar:40} {percent}% of the run, {elapsed} elapsed, ETA {eta}")
                .expect("valid template"),
        );
        bar.set_prefix(label.to_owned());
        WorkBar(bar)
    }
}

impl models::Progress for WorkBar {
    fn advance(&self, done: u64, total: u64) {
        self.0.set_length(total);
        self.0.set_position(done);
    }
}

fn run_with_progress(prepared: &Prepared) -> Result<RunReport, Failure> {
    let bar = progress_bar(u64::from(prepared.scenario.replicates), &prepared.scenario.name);
    let report = prepared.run_all(&|| bar.inc(1));
    bar.finish_and_clear();
    Ok(report?)
}

/// The documentation of every model's outputs, or of `model`'s alone.
fn metrics(model: Option<&str>, registry: &Registry) -> Result<(), Failure> {
    let kinds = model.map_or_else(|| registry.kinds().iter().map(|k| k.to_string()).collect(), |k| vec![k.to_owned()]);
    let mut pages = Vec::new();
    for kind in &kinds {
        let (about, docs) = registry.documentation(kind).map_err(|m| Failure::Input(format!("metrics: {m}")))?;
        pages.push(exporters::text::metric_docs(kind, about, docs));
    }
    out(&pages.join("\n"))
}

/// Runs every scenario under `paths` that has analytic counterparts and prints one line per comparison;
/// `program` names the command in errors.
fn check(paths: &[std::path::PathBuf], program: &str, registry: &Registry) -> Result<(), Failure> {
    let files = crate::files::scenario_files(paths, program).map_err(Failure::Input)?;
    let mut results = Vec::new();
    for file in &files {
        let args = ScenarioArgs::of(file);
        let report = run_with_progress(&prepare(&args, registry, "check")?)?;
        results.extend(report.checks());
    }
    let failed = results.iter().filter(|c| !c.pass).count();
    out(&format!("{}{} passed, {} failed\n", exporters::text::check_lines(&results), results.len() - failed, failed))?;
    if failed > 0 {
        return Err(Failure::Run(format!("{failed} comparison(s) outside their tolerance")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use models::outcome::{outputs, undeclared};

    use super::*;
    use crate::args::Overrides;

    #[test]
    fn an_address_space_limit_lowers_the_default_budget() {
        assert_eq!(budget_within(20 << 30, None), 20 << 30);
        assert_eq!(budget_within(20 << 30, Some(8 << 30)), 4 << 30);
        assert_eq!(budget_within(20 << 30, Some(1 << 50)), 20 << 30);
    }

    /// `dissem metrics` cannot drift from what runs emit: one replicate of every shipped scenario emits only
    /// outputs its model declares, and every declared output of every registered model is emitted by some
    /// shipped scenario (so a model without a scenario exercising all it reports fails here too).
    #[test]
    fn shipped_scenarios_emit_exactly_the_declared_metrics() {
        let registry = Registry::builtin();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let shipped = crate::files::scenario_files(std::slice::from_ref(&root), "dissem").unwrap();
        // What no shipped scenario asks for: Chord on an underlay's hosts (its delays).
        let chord_on_hosts = r#"model={"kind": "chord", "lookups": 1000}"#;
        let extra = [(root.join("alm/transit-stub-groups.json"), chord_on_hosts)];
        let cases =
            shipped.iter().map(|f| (f.clone(), None)).chain(extra.iter().map(|(f, set)| (f.clone(), Some(*set))));
        let mut emitted: BTreeSet<(String, models::OutputKind, String)> = BTreeSet::new();
        for (file, set) in cases {
            let set = set.into_iter().map(str::to_owned).collect();
            let overrides = Overrides { replicates: Some(1), set, ..Overrides::default() };
            let args = ScenarioArgs { file: file.clone(), overrides };
            let prepared = prepare(&args, &registry, "run").unwrap_or_else(|_| panic!("{}", file.display()));
            let kind = prepared.scenario.model.kind.clone();
            let outcome = prepared.run_replicate(0).unwrap();
            let (_, declared) = registry.documentation(&kind).unwrap();
            assert_eq!(undeclared(declared, &outcome), [], "{}", file.display());
            emitted.extend(outputs(&outcome).map(|(k, name)| (kind.clone(), k, name.to_owned())));
        }
        let mut never = Vec::new();
        for kind in registry.kinds() {
            let (_, declared) = registry.documentation(kind).unwrap();
            assert!(!declared.is_empty(), "{kind} declares its metrics");
            never.extend(
                declared
                    .iter()
                    .filter(|d| !emitted.iter().any(|(k, o, name)| k == kind && *o == d.kind && d.matches(name)))
                    .map(|d| format!("{kind}: {} `{}`", d.kind.name(), d.name)),
            );
        }
        assert_eq!(never, Vec::<String>::new(), "declared but emitted by no shipped scenario");
    }

    /// A recorded command reads back as the same words in a POSIX shell, without the thread count, and
    /// begins with the program's name (the one its `main` passes) whatever the binary's file name.
    #[test]
    fn recorded_commands_read_back_as_the_same_words() {
        let words = ["--set", "model.p_flood=0.8", "a b", r#"model.mode="push""#, "it's", "$HOME", "", "-jx.json"];
        let runs = [
            ("/usr/bin/dissem", "dissem"),
            ("target/debug/deps/dissem-0123abcd", "dissem"),
            ("./dissem-push-sum", "dissem-push-sum"),
            ("target/release/deps/dissem_push_sum-0123456789abcdef", "dissem-push-sum"),
            ("", "dissem"),
        ];
        for (binary, program) in runs {
            let line = std::iter::once(binary).chain(["run", "-j", "2", "--threads=4", "-j3"]).chain(words);
            let recorded = words_to_record(program, line.map(str::to_owned));
            let read_back = shlex::split(&recorded).expect("a shell reads it");
            let expected: Vec<&str> = [program, "run"].into_iter().chain(words).collect();
            assert_eq!(read_back, expected, "{binary}: {recorded}");
        }
    }
}
