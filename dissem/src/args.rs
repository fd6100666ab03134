//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

/// dissem: deterministic simulation of dissemination protocols (flooding, anti-entropy, rumor spreading,
/// Chord multicast), with every measured value set beside its analytic formula.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// Worker threads for replicates, and for the parts of one large run (default: all cores). Results do not
    /// depend on it.
    #[arg(short = 'j', long, global = true)]
    pub threads: Option<usize>,
    /// Memory the runs may use, estimated before anything is allocated (e.g. 8GiB, 512MiB; default 20GiB, or
    /// half the address-space limit if less): a scenario needing more is refused, and no more replicates run
    /// at once than fit.
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub memory_budget: Option<u64>,
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 success, 1 a run or a check against a formula failed, 2 bad input or usage.";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario file and print metric, mean, 95% CI and analytic value.
    Run {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Print one JSON document (metrics, analytic, series, checks) instead of the table.
        #[arg(long)]
        json: bool,
        /// Also write result.json, metrics.csv, runs.csv and series.csv into this directory.
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Run replicate R alone (0 <= R < replicates), exactly as it runs among the others: the way to re-run
        /// one row of runs.csv or runs.jsonl (with that row's --seed and --set values).
        #[arg(long, value_name = "R")]
        replicate: Option<u32>,
        #[command(flatten)]
        trace: TraceArgs,
    },
    /// Draw one replicate's spread: DIR/spread.graphml (Gephi, yEd), DIR/spread.dot (Graphviz) and
    /// DIR/spread.html (plays the spread in a browser), with each node's first receipt and role; for an overlay
    /// over an underlay (ALM) also DIR/overlay.svg: the underlay, the overlay tree and the stress on each link.
    Draw {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Output directory.
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        /// The replicate drawn (default 0).
        #[arg(long, value_name = "R", default_value_t = 0)]
        replicate: u32,
    },
    /// Check a scenario file (syntax, types, ranges, topology, memory) without running it.
    Validate {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// Print the JSON Schema of scenario files (for editor completion and checking).
    Schema {
        /// The schema of sweep files instead.
        #[arg(long)]
        sweep: bool,
    },
    /// List what a model's runs report: each metric, series and distribution with its unit, meaning and
    /// formula (every model, or MODEL alone).
    Metrics {
        /// A `model.kind` (default: every registered model).
        #[arg(value_name = "MODEL")]
        model: Option<String>,
    },
    /// Run scenarios with analytic counterparts and compare: one line per formula, exit 1 if any fails.
    Check {
        /// Scenario files or directories to search for *.json (default: scenarios/).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Run a sweep file: a base scenario with parameters varied, every point × replicate in parallel.
    /// Writes DIR/sweep.json, DIR/runs.jsonl (one row per run, in run order) and DIR/summary.csv.
    Sweep {
        /// Sweep file (JSON): {"scenario": "base.json", "parameters": {"model.p_flood": [0.1, 0.5, 1]}, ...}.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Output directory.
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        overrides: Overrides,
        /// Finish an interrupted sweep in DIR without redoing its finished runs.
        #[arg(long, conflicts_with = "overwrite")]
        resume: bool,
        /// Replace the sweep DIR holds (its sweep.json, runs.jsonl and summary.csv) instead of refusing.
        #[arg(long)]
        overwrite: bool,
        /// Print every metric of every point (default: the metrics that fit in 100 columns; all are in
        /// summary.csv).
        #[arg(long)]
        wide: bool,
        /// Run only slice I of N (0 <= I < N): runs I, I+N, I+2N, ...; combine slices with `dissem merge`.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Run even if the sweep has more than 100,000 runs.
        #[arg(long)]
        force: bool,
    },
    /// Plot a run (`dissem run --out DIR`) or a sweep (`dissem sweep --out DIR`) as SVG and PNG.
    Plot(PlotArgs),
    /// Regenerate the lecture's tables and figures (items in sweeps/reproduce/) into reports/.
    Reproduce {
        /// Only this item (default: all).
        #[arg(value_name = "NAME")]
        name: Option<String>,
        /// List the items and exit.
        #[arg(long)]
        list: bool,
        /// Output directory.
        #[arg(short, long, value_name = "DIR", default_value = "reports")]
        out: PathBuf,
        /// Directory of item files.
        #[arg(long, value_name = "DIR", default_value = crate::reproduce::DEFAULT_ITEMS)]
        items: PathBuf,
    },
    /// Write the shipped scenarios/ and sweeps/ (lecture items in sweeps/reproduce/) into DIR: an installed
    /// dissem then runs `dissem check` and `dissem reproduce` in DIR as in the source checkout.
    Examples {
        /// Directory to write scenarios/ and sweeps/ into (neither may exist there yet).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Print a shell completion script, e.g. `dissem completions bash > ~/.local/share/bash-completion/completions/dissem`.
    Completions {
        /// The shell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `dissem man > ~/.local/share/man/man1/dissem.1`.
    Man,
    /// Combine the output directories of all shards of a sweep into what one unsharded run writes.
    Merge {
        /// Shard output directories (each written by `dissem sweep --shard I/N`).
        #[arg(value_name = "DIR", required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory for sweep.json, runs.jsonl and summary.csv.
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        /// Print every metric of every point (default: the metrics that fit in 100 columns).
        #[arg(long)]
        wide: bool,
    },
}

/// Reads a size such as `8GiB`, `512MiB`, `1.5GiB`, `2G` (binary units: K, M, G, T with or without `iB`),
/// `8GB` (decimal units) or a number of bytes; more than zero.
fn parse_size(text: &str) -> Result<u64, String> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let factor: f64 = match unit.trim() {
        "" | "B" => 1.0,
        "K" | "KiB" => 1024.0,
        "M" | "MiB" => 1024f64.powi(2),
        "G" | "GiB" => 1024f64.powi(3),
        "T" | "TiB" => 1024f64.powi(4),
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        other => return Err(format!("unknown unit `{other}`; use B, KiB, MiB, GiB, TiB (or KB, MB, GB, TB)")),
    };
    let value: f64 = number.parse().map_err(|_| format!("`{text}` is not a size such as 8GiB"))?;
    let bytes = value * factor;
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("`{text}`: must be at least 1 byte and below 16 EiB"));
    }
    Ok(bytes as u64)
}

/// `dissem run --trace FILE`.
#[derive(Args, Debug)]
pub struct TraceArgs {
    /// Write every step of one replicate (--replicate, default 0) to FILE as JSON Lines: time, kind (send,
    /// deliver, inform, link), from, to, message, dropped. Runs that replicate alone.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// The most lines --trace writes (about 110 bytes each); later steps are counted in a last
    /// `{"kind":"truncated",...}` line.
    #[arg(long, value_name = "LINES", default_value_t = exporters::trace::DEFAULT_LIMIT, requires = "trace")]
    pub trace_limit: u64,
}

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// Output directory of `dissem run --out` (plots its series) or `dissem sweep` (plots metrics against a
    /// parameter with 95% CI error bars and the analytic values).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Sweep parameter on the x axis (default: the first one).
    #[arg(long, value_name = "PARAM")]
    pub x: Option<String>,
    /// Metrics (sweep) or series (run) on the y axis, comma-separated (default: the first metric; all series).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub y: Vec<String>,
    /// Sweep parameter drawn as one line per value (default: the other parameter of a two-parameter sweep).
    #[arg(long, value_name = "PARAM")]
    pub group: Option<String>,
    /// Histogram of a metric over runs (per point of a sweep) instead of a line plot.
    #[arg(long, value_name = "METRIC", conflicts_with = "cdf")]
    pub hist: Option<String>,
    /// Empirical CDF of a metric over runs (per point of a sweep).
    #[arg(long, value_name = "METRIC")]
    pub cdf: Option<String>,
    /// Logarithmic axes: auto (when values span decades), none, x, y or xy.
    #[arg(long, value_name = "AXES", default_value = "auto")]
    pub log: String,
    /// Title above the plot (default: what is plotted).
    #[arg(long)]
    pub title: Option<String>,
    /// Path of the plot without extension; writes PATH.svg and PATH.png (default: DIR/plots/<what>).
    #[arg(short, long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ScenarioArgs {
    /// Scenario file (JSON; see `dissem schema`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub overrides: Overrides,
}

/// What `run`, `validate` and `sweep` take beside their file: one definition, so the flags mean the same
/// everywhere.
#[derive(Args, Debug, Default)]
pub struct Overrides {
    /// Override the seed (a sweep's: each point's seed derives from it).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override the number of replicates (a sweep's: per point).
    #[arg(long)]
    pub replicates: Option<u32>,
    /// Override any field by its dotted path, e.g. --set topology.nodes=1000 (repeatable, each path once). In
    /// a sweep it applies to every point, after the sweep file's `set`; a parameter the sweep varies cannot be
    /// set.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

impl ScenarioArgs {
    pub fn of(file: &std::path::Path) -> Self {
        ScenarioArgs { file: file.to_owned(), overrides: Overrides::default() }
    }

    /// All overrides: --set in order, then --seed and --replicates.
    pub fn overrides(&self) -> Result<Vec<(String, Value)>, String> {
        let mut out = self.overrides.assignments()?;
        if let Some(seed) = self.overrides.seed {
            out.push(("seed".into(), Value::from(seed)));
        }
        if let Some(r) = self.overrides.replicates {
            out.push(("replicates".into(), Value::from(r)));
        }
        once_each(&out)?;
        Ok(out)
    }
}

/// Refuses a path given twice, or inside another given path (`model` and `model.k`): either would silently
/// keep only the later value, whichever it is.
fn once_each(assignments: &[(String, Value)]) -> Result<(), String> {
    let inside = |path: &str, outer: &str| path.strip_prefix(outer).is_some_and(|rest| rest.starts_with('.'));
    for (i, (path, _)) in assignments.iter().enumerate() {
        for (other, _) in &assignments[..i] {
            if path == other {
                return Err(format!("`{path}` is given twice (by --set, --seed or --replicates); give it once"));
            }
            let pair =
                if inside(path, other) { Some((other, path)) } else { inside(other, path).then_some((path, other)) };
            if let Some((outer, inner)) = pair {
                return Err(format!(
                    "`{outer}` and `{inner}` are both given (by --set, --seed or --replicates), and `{outer}` holds `{inner}`: the later \
                     would replace the earlier; give one (put `{inner}`'s value inside `{outer}`'s)"
                ));
            }
        }
    }
    Ok(())
}

impl Overrides {
    /// The --set assignments, parsed, in order; each path at most once.
    pub fn assignments(&self) -> Result<Vec<(String, Value)>, String> {
        let assignments = self
            .set
            .iter()
            .map(|s| runner::parse_assignment(s).map_err(|m| format!("--set: {m}")))
            .collect::<Result<Vec<_>, _>>()?;
        once_each(&assignments)?;
        Ok(assignments)
    }

    /// What a sweep takes from them.
    pub fn for_sweep(&self) -> Result<runner::sweep::CommandLine, String> {
        Ok(runner::sweep::CommandLine { set: self.assignments()?, seed: self.seed, replicates: self.replicates })
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn a_path_set_twice_is_refused() {
        let overrides = |args: &[&str]| {
            let cli = Cli::try_parse_from([&["dissem", "run", "s.json"], args].concat()).unwrap();
            let Command::Run { scenario, .. } = cli.command else { unreachable!("a run command") };
            scenario.overrides()
        };
        assert_eq!(overrides(&["--set", "model.k=3", "--set", "topology.nodes=5"]).unwrap().len(), 2);
        let e = overrides(&["--set", "model.k=3", "--set", "model.k=4"]).unwrap_err();
        assert!(e.contains("`model.k` is given twice"), "{e}");
        assert!(overrides(&["--set", "seed=3", "--seed", "4"]).unwrap_err().contains("`seed` is given twice"));
        // A path inside another given one would be replaced by it, or replace part of it, whatever the order.
        for args in [["model.k=3", r#"model={"kind":"rumor"}"#], [r#"model={"kind":"rumor"}"#, "model.k=3"]] {
            let e = overrides(&["--set", args[0], "--set", args[1]]).unwrap_err();
            assert!(e.contains("`model` and `model.k` are both given"), "{e}");
        }
        assert_eq!(overrides(&["--set", "model.k=3", "--set", "models=1", "--set", "model.kk=1"]).unwrap().len(), 3);
    }

    /// `--help` explains every option and argument of every command, and the short flags stay unique.
    #[test]
    fn every_argument_has_help() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" && arg.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let cli = Cli::command();
        cli.clone().debug_assert();
        let mut missing = Vec::new();
        walk(&cli, "dissem", &mut missing);
        assert_eq!(missing, Vec::<String>::new());
    }

    #[test]
    fn sizes_read_in_binary_and_decimal_units() {
        assert_eq!(parse_size("8GiB"), Ok(8 << 30));
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("512 MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in ["", "0", "GiB", "8 XB", "-1G", "1e99TiB", "0.1"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_flags_for_output_and_threads() {
        let cli = Cli::try_parse_from(["dissem", "-j", "2", "run", "s.json", "-o", "out"]).unwrap();
        assert_eq!(cli.threads, Some(2));
        assert!(matches!(cli.command, Command::Run { out: Some(dir), .. } if dir == std::path::Path::new("out")));
    }
}
