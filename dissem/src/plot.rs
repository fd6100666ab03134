//! `dissem plot`: reads a run or sweep output directory and writes SVG and PNG plots.

use std::path::Path;

use exporters::plot::{self, Figure, LogAxes, SweepPlot};
use serde_json::Value;

use crate::args::PlotArgs;
use crate::cli::{Failure, out};
use crate::files::{read_output, write_artifacts};

/// `--log`: which axes are logarithmic.
fn log_axes(text: &str) -> Result<LogAxes, Failure> {
    LogAxes::try_from(text).map_err(|m| Failure::Input(format!("--log: {m}")))
}

pub fn plot(args: &PlotArgs) -> Result<(), Failure> {
    let (figure, name) = if args.dir.join("sweep.json").exists() {
        sweep_figure(args)?
    } else if args.dir.join("result.json").exists() {
        run_figure(args)?
    } else {
        return Err(Failure::Input(format!(
            "{}: neither a sweep (sweep.json) nor a run (result.json) output directory",
            args.dir.display()
        )));
    };
    let stem = args.out.clone().unwrap_or_else(|| args.dir.join("plots").join(name));
    write_figure(&figure, &stem)
}

/// Writes STEM.svg and STEM.png and prints their paths.
pub fn write_figure(figure: &Figure, stem: &Path) -> Result<(), Failure> {
    let file = stem.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let artifacts = plot::render(figure, &file).map_err(|e| Failure::Run(e.to_string()))?;
    let dir = stem.parent().map(Path::to_path_buf).unwrap_or_default();
    write_artifacts(&dir, &artifacts).map_err(Failure::Input)?;
    out(&artifacts.iter().map(|a| format!("{}\n", dir.join(&a.path).display())).collect::<String>())
}

fn sweep_figure(args: &PlotArgs) -> Result<(Figure, String), Failure> {
    let (sweep, shard) = crate::sweep::read_dir(&args.dir)?;
    if let Some(s) = shard {
        return Err(Failure::Input(format!(
            "{} holds shard {s} only; plot the output of `dissem merge`",
            args.dir.display()
        )));
    }
    let reports = crate::sweep::reports_in(&sweep, &crate::sweep::runs_path(&args.dir)).map_err(Failure::Input)?;
    let log = log_axes(&args.log)?;
    if let Some(metric) = args.hist.as_ref().or(args.cdf.as_ref()) {
        let as_cdf = args.cdf.is_some();
        let samples = plot::metric_samples(&sweep, &reports, metric);
        if samples.is_empty() {
            return Err(Failure::Input(format!("no run of sweep {} reports metric `{metric}`", sweep.name)));
        }
        let what = if as_cdf { "CDF" } else { "histogram" };
        let title = args.title.clone().unwrap_or_else(|| format!("{metric} over runs ({what}), {}", sweep.name));
        let name = format!("{metric}_{}", if as_cdf { "cdf" } else { "hist" });
        return Ok((plot::distribution(&title, metric, samples, as_cdf, log.x), name));
    }
    let x = args
        .x
        .clone()
        .or_else(|| sweep.parameters.first().cloned())
        .ok_or_else(|| Failure::Input(format!("sweep {} varies no parameter; use --hist or --cdf", sweep.name)))?;
    let group = args.group.clone().or_else(|| match &sweep.parameters[..] {
        [a, b] => Some(if *a == x { b.clone() } else { a.clone() }),
        _ => None,
    });
    let metrics = if args.y.is_empty() {
        reports.first().and_then(|r| r.metric_names().into_iter().next()).into_iter().collect()
    } else {
        args.y.clone()
    };
    // Plots of the same metrics with other groups go to other files.
    let mut name = format!("{}_vs_{}", metrics.join("+"), plot::short(&x));
    if let Some(g) = &group {
        name += &format!("_by_{}", plot::short(g));
    }
    let spec = SweepPlot { x, metrics, group, log, title: args.title.clone(), ..SweepPlot::default() };
    let figure = plot::sweep_lines(&sweep, &reports, &spec).map_err(|e| Failure::Input(e.to_string()))?;
    Ok((figure, name))
}

fn run_figure(args: &PlotArgs) -> Result<(Figure, String), Failure> {
    let doc: Value = serde_json::from_str(&read_output(&args.dir.join("result.json")).map_err(Failure::Input)?)
        .map_err(|e| Failure::Input(format!("{}: {e}", args.dir.join("result.json").display())))?;
    let scenario = doc["scenario"].as_str().unwrap_or("run").to_owned();
    let log = log_axes(&args.log)?;
    if let Some(metric) = args.hist.as_ref().or(args.cdf.as_ref()) {
        let as_cdf = args.cdf.is_some();
        let values = csv_column(&args.dir.join("runs.csv"), metric)?;
        let title = args.title.clone().unwrap_or_else(|| format!("{metric} over {} runs, {scenario}", values.len()));
        let name = format!("{metric}_{}", if as_cdf { "cdf" } else { "hist" });
        return Ok((plot::distribution(&title, metric, vec![(scenario, values)], as_cdf, log.x), name));
    }
    let all = doc["series"].as_object().cloned().unwrap_or_default();
    let names: Vec<&str> = all.keys().map(String::as_str).collect();
    let mut series: Vec<(String, Vec<f64>)> = all
        .iter()
        .filter(|(n, _)| args.y.is_empty() || args.y.contains(n))
        .map(|(n, v)| (n.clone(), v.as_array().into_iter().flatten().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()))
        .collect();
    let Some(quantiles) = series.first().map(|(n, _)| plot::is_quantile_function(n)) else {
        return Err(Failure::Input(format!(
            "{}: no series to plot (available: {})",
            args.dir.display(),
            if names.is_empty() { "none".to_owned() } else { names.join(", ") }
        )));
    };
    // Quantile functions (values at levels 0..1) and per-round series have different x axes.
    if series.iter().any(|(n, _)| plot::is_quantile_function(n) != quantiles) {
        if !args.y.is_empty() {
            return Err(Failure::Input(
                "--y: quantile functions (…_quantiles) and per-round series need separate plots".to_owned(),
            ));
        }
        series.retain(|(n, _)| plot::is_quantile_function(n) == quantiles);
    }
    let title = args.title.clone().unwrap_or_else(|| format!("{scenario}: mean over replicates"));
    let name = if !args.y.is_empty() {
        args.y.join("+")
    } else if quantiles {
        "quantiles".to_owned()
    } else {
        "series".to_owned()
    };
    if quantiles {
        // `everyone.stretch_quantiles` holds stretches: the x axis is what every plotted function measures.
        let measured: Vec<&str> = series.iter().map(|(n, _)| plot::short(n.trim_end_matches("_quantiles"))).collect();
        let x_label = if measured.iter().all(|m| *m == measured[0]) { measured[0] } else { "value" };
        return Ok((plot::quantile_cdfs(&title, x_label, &series, log.x), name));
    }
    Ok((plot::series_lines(&title, "round", &series, 0.0, log), name))
}

/// One numeric column of a CSV file written by dissem (no quoted numbers).
fn csv_column(path: &Path, column: &str) -> Result<Vec<f64>, Failure> {
    let text = read_output(path).map_err(Failure::Input)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let i = header.iter().position(|h| *h == column).ok_or_else(|| {
        Failure::Input(format!("{}: no column `{column}` (columns: {})", path.display(), header.join(", ")))
    })?;
    Ok(lines.filter_map(|l| l.split(',').nth(i)?.parse().ok()).collect())
}
