//! `dissem reproduce`: the lecture's tables and figures. Each item is a file (`sweeps/reproduce/NAME.json`)
//! naming a sweep and saying which table, claims and plots to draw from its results; no number is written
//! here. An item renders to `NAME/README.md` (formula beside simulation), `NAME/summary.csv` and SVG + PNG
//! plots; the index `README.md` lists the items.
//!
//! # Verdicts: a failed statistical check is re-tested once
//! A statistical check (`WithinCi…`) passes when the formula lies in the 95% interval of the mean over the
//! point's runs, so a correct formula fails one check in twenty by chance; the pages hold well over a
//! hundred such checks, and a handful of them would show FAIL at any seed. More replicates would not change
//! that (they narrow the interval, not its 5% error rate). So a page uses a two-stage rule, fixed before
//! any result is seen: every point with a failed statistical check runs again ([`retest_points`]),
//! [`RETEST_FACTOR`] times as many runs on a seed of its own (`runner::sweep::retest_seed`, independent of
//! every first-stage run), and the check is compared again on its 99% interval. It FAILs only if the re-test
//! fails too. For a correct formula the two stages are independent, so a check FAILs with probability at
//! most 0.05 × 0.01 = 1/2000 (under 0.1 expected over all pages). A wrong formula that the first stage
//! catches is caught again with more power: four times the runs halve the interval, the 99% quantile
//! widens it by 2.58/1.96, so the re-test's interval is about 0.66 of the first. Exact checks (`Exact`)
//! are not re-tested: they cannot fail by chance. The page shows both stages' figures and says how many
//! chance failures its checks lead one to expect. `dissem check` is unchanged: one stage at 95%.

use std::collections::BTreeMap;

use models::Check;
use runner::sweep::{Sweep, value_text};
use runner::{CheckResult, Level, RunReport};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::number::{ci_places, fmt_mean_ci, fmt_num, fmt_places};
use crate::plot::{self, Content, Figure, Ink, LogAxes, Series, Style, SweepPlot};
use crate::{Artifact, sweep as sweep_csv};

/// An item file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub title: String,
    /// Where the lecture and the literature state it, as short citations of the entries of the repository's
    /// `REFERENCES.md` (e.g. "Cárcamo 2023, ch. 4, Flooding; Haas, Halpern & Li, INFOCOM 2002").
    #[serde(default)]
    pub source: String,
    /// What the lecture says, in Markdown.
    #[serde(default)]
    pub text: String,
    /// The sweep file, relative to the item file.
    pub sweep: String,
    #[serde(default)]
    pub table: Vec<Column>,
    /// Per-round series side by side, one row per round.
    #[serde(default)]
    pub series_table: Option<SeriesTable>,
    #[serde(default)]
    pub claims: Vec<Claim>,
    #[serde(default)]
    pub plots: Vec<PlotSpec>,
}

/// A table of series (mean over replicates) of every point: one column per point and series, one row per index.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesTable {
    pub series: Vec<String>,
    /// Header of the index column (default "round").
    #[serde(default)]
    pub index: Option<String>,
    /// The index of the first entry (default 0).
    #[serde(default)]
    pub x_from: f64,
    /// Column names for series.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Series whose first entry belongs to a later row (a per-cycle factor starts at cycle 1).
    #[serde(default)]
    pub shift: BTreeMap<String, usize>,
}

/// A table column: `{"param": P}`, `{"metric": M}`, `{"analytic": A}`, `{"check": A}` or
/// `{"published": [v, …]}`, with an optional `header`; metrics and analytic values may be multiplied by a parameter (`"times": "topology.nodes"`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "Map<String, Value>")]
pub struct Column {
    pub header: Option<String>,
    pub cell: Cell,
}

/// What a column shows for each point.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// A sweep parameter's value.
    Param(String),
    /// A metric's mean ± 95% CI half-width, multiplied by the parameter `times` (a fraction times
    /// `topology.nodes` is a count of nodes).
    Metric { name: String, times: Option<String> },
    /// An analytic value by name (default header: its formula), multiplied by the parameter `times`.
    Analytic { name: String, times: Option<String> },
    /// The verdict of comparing an analytic value with its metric.
    Check(String),
    /// Values published in the literature, one per point in the sweep's order (`null`: none); a string
    /// keeps the digits as printed there ("0.20").
    Published(Vec<Option<Published>>),
}

/// A published value: a number, or its text as printed.
#[derive(Clone, Debug, PartialEq)]
pub enum Published {
    Number(serde_json::Number),
    Text(String),
}

impl std::fmt::Display for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Published::Number(n) => n.fmt(f),
            Published::Text(t) => f.write_str(t),
        }
    }
}

impl TryFrom<Map<String, Value>> for Column {
    type Error = String;

    fn try_from(map: Map<String, Value>) -> Result<Column, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Shared {
            #[serde(default)]
            header: Option<String>,
        }
        const SHARED: [&str; 1] = ["header"];
        let (kind, mut own, shared) = split(map, &["param", "metric", "analytic", "check", "published"], &SHARED)?;
        let Shared { header } = body(shared, &[])?;
        let cell = match kind {
            "param" => Cell::Param(only(own, kind, &SHARED)?),
            "check" => Cell::Check(only(own, kind, &SHARED)?),
            "published" => {
                let values: Vec<Value> = only(own, kind, &SHARED)?;
                let value = |(i, v): (usize, Value)| match v {
                    Value::Null => Ok(None),
                    Value::Number(n) => Ok(Some(Published::Number(n))),
                    Value::String(t) => Ok(Some(Published::Text(t))),
                    other => Err(format!("`published[{i}]`: give a number, its text or null, got {other}")),
                };
                Cell::Published(values.into_iter().enumerate().map(value).collect::<Result<_, _>>()?)
            }
            _ => {
                let times = own.remove("times").map(|t| String::deserialize(t).map_err(|e| format!("`times`: {e}")));
                let times = times.transpose()?;
                let name = only(own, kind, &["times", "header"])?;
                if kind == "metric" { Cell::Metric { name, times } } else { Cell::Analytic { name, times } }
            }
        };
        Ok(Column { header, cell })
    }
}

/// A statement about a metric, judged by its 95% interval at the points it names: `{"text": …, "metric": M,
/// "at": {param: value, …}, "above": x}` or `"below": x`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "Map<String, Value>")]
pub struct Claim {
    pub text: String,
    /// Parameter values selecting the points (all points when empty).
    pub at: Map<String, Value>,
    pub metric: String,
    pub bound: Bound,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    Above(f64),
    Below(f64),
}

impl TryFrom<Map<String, Value>> for Claim {
    type Error = String;

    fn try_from(map: Map<String, Value>) -> Result<Claim, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Shared {
            text: String,
            #[serde(default)]
            at: Map<String, Value>,
            metric: String,
        }
        const SHARED: [&str; 3] = ["text", "at", "metric"];
        let (kind, own, shared) = split(map, &["above", "below"], &SHARED)?;
        let Shared { text, at, metric } = body(shared, &[])?;
        let value = only(own, kind, &SHARED)?;
        let bound = if kind == "above" { Bound::Above(value) } else { Bound::Below(value) };
        Ok(Claim { text, at, metric, bound })
    }
}

/// A plot: its file name, optional title, caption, axis labels and log axes (`auto`, `none`, `x`, `y`, `xy`),
/// and what it draws, told by one key: `y`, `hist`, `cdf`, `series`, `quantiles` or `distributions`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "Map<String, Value>")]
pub struct PlotSpec {
    pub name: String,
    pub title: Option<String>,
    pub caption: Option<String>,
    pub x_label: Option<String>,
    pub y_label: Option<String>,
    pub log: LogAxes,
    pub draw: Draw,
}

/// What a plot draws.
#[derive(Clone, Debug, PartialEq)]
pub enum Draw {
    /// Metrics' means with 95% CIs against a sweep parameter, with the analytic values predicting them.
    Lines(LinesPlot),
    /// Histogram of a metric over runs, one colour per point.
    Histogram(String),
    /// Empirical CDF of a metric over runs, one curve per point.
    Cdf(String),
    /// Per-round series (mean over replicates) of every point, each beside its formula series.
    Series(SeriesPlot),
    /// Quantile functions (values at levels 0..1, mean over replicates) of every point, drawn as CDFs.
    Quantiles(CurvesPlot),
    /// Per-bin histograms (mean over replicates) of every point, as lines with markers.
    Distributions(DistributionsPlot),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinesPlot {
    /// The parameter on the x axis (default: the sweep's first).
    #[serde(default)]
    pub x: Option<String>,
    /// Metrics on the y axis.
    pub y: Vec<String>,
    /// A second parameter: one line per value.
    #[serde(default)]
    pub group: Option<String>,
    /// Analytic values not to draw.
    #[serde(default)]
    pub hide: Vec<String>,
    /// Legend names of analytic values (by name, instead of their formula) and groups (`param = value`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesPlot {
    pub series: Vec<String>,
    /// Legend names of series, points (`param = value`) and analytic values.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The x value of each series' first entry (default 0).
    #[serde(default)]
    pub x_from: f64,
    /// Analytic values drawn as horizontal lines, by name, with their legend label (one line when every
    /// point has the same value).
    #[serde(default)]
    pub analytic: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurvesPlot {
    pub quantiles: Vec<String>,
    /// Legend names of series and points.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionsPlot {
    pub distributions: Vec<String>,
    /// Legend names of distributions and points.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The x value of each distribution's first bin (default 0).
    #[serde(default)]
    pub x_from: f64,
    /// Draw "how many are ≥ x" (sums from the right): smooth where bins are sparse.
    #[serde(default)]
    pub at_least: bool,
}

impl TryFrom<Map<String, Value>> for PlotSpec {
    type Error = String;

    fn try_from(map: Map<String, Value>) -> Result<PlotSpec, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Shared {
            name: String,
            #[serde(default)]
            title: Option<String>,
            #[serde(default)]
            caption: Option<String>,
            #[serde(default)]
            x_label: Option<String>,
            #[serde(default)]
            y_label: Option<String>,
            #[serde(default)]
            log: LogAxes,
        }
        const KINDS: [&str; 6] = ["y", "hist", "cdf", "series", "quantiles", "distributions"];
        const SHARED: [&str; 6] = ["name", "title", "caption", "x_label", "y_label", "log"];
        let (kind, own, shared) = split(map, &KINDS, &SHARED)?;
        let Shared { name, title, caption, x_label, y_label, log } = body(shared, &[])?;
        let draw = match kind {
            "y" => Draw::Lines(body(own, &SHARED)?),
            "hist" => Draw::Histogram(only(own, kind, &SHARED)?),
            "cdf" => Draw::Cdf(only(own, kind, &SHARED)?),
            "series" => Draw::Series(body(own, &SHARED)?),
            "quantiles" => Draw::Quantiles(body(own, &SHARED)?),
            _ => Draw::Distributions(body(own, &SHARED)?),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(format!("name `{name}`: use letters, digits, `_` and `-` (it names the plot's files)"));
        }
        Ok(PlotSpec { name, title, caption, x_label, y_label, log, draw })
    }
}

/// The fields of an item entry.
type Fields = Map<String, Value>;

/// Splits an object whose kind is told by which one of `kinds` it has as a key (`{"metric": …}`) into that
/// kind, the other fields and the fields every kind shares.
fn split(mut map: Fields, kinds: &[&'static str], shared: &[&str]) -> Result<(&'static str, Fields, Fields), String> {
    let quoted = |keys: &[&str]| keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
    let present: Vec<&'static str> = kinds.iter().copied().filter(|k| map.contains_key(*k)).collect();
    let kind = match present[..] {
        [one] => one,
        [] => return Err(format!("give one of {}", quoted(kinds))),
        _ => return Err(format!("give only one of {} (found {})", quoted(kinds), quoted(&present))),
    };
    let common = shared.iter().filter_map(|&k| map.remove(k).map(|v| (k.to_owned(), v))).collect();
    Ok((kind, map, common))
}

/// Deserialises fields of an item entry, naming the field of an error; an unknown field is reported with
/// what is allowed, including the `shared` fields every kind of entry has.
fn body<T: DeserializeOwned>(map: Fields, shared: &[&str]) -> Result<T, String> {
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if inner.starts_with("unknown field") {
            format!("{inner}{}", also(shared))
        } else if path == "." {
            inner
        } else {
            format!("`{path}`: {inner}")
        }
    })
}

/// The value of the one field `key` that an entry kind has besides the `shared` ones (`{"param": P}`).
fn only<T: DeserializeOwned>(mut own: Fields, key: &str, shared: &[&str]) -> Result<T, String> {
    if let Some(other) = own.keys().find(|k| *k != key) {
        return Err(format!("unknown field `{other}`, expected `{key}`{}", also(shared)));
    }
    let value = own.remove(key).unwrap_or(Value::Null);
    T::deserialize(value).map_err(|e| format!("`{key}`: {e}"))
}

/// ", or `a`, `b`": the fields allowed beside the ones serde names.
fn also(shared: &[&str]) -> String {
    if shared.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = shared.iter().map(|k| format!("`{k}`")).collect();
    format!(", or {}", quoted.join(", "))
}

/// Why an item cannot be rendered; names the item file and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct ReproduceError {
    pub origin: String,
    pub message: String,
}

/// Parses an item file.
pub fn parse_item(text: &str, origin: &str) -> Result<Item, ReproduceError> {
    let err = |message: String| ReproduceError { origin: origin.to_owned(), message };
    let item: Item = serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            err(format!("not valid JSON: {inner}"))
        } else if path == "." {
            err(inner.to_string())
        } else {
            err(format!("{path}: {inner}"))
        }
    })?;
    for (i, p) in item.plots.iter().enumerate() {
        if item.plots[..i].iter().any(|q| q.name == p.name) {
            return Err(err(format!("plots[{i}]: a second plot named `{}` would overwrite the first", p.name)));
        }
    }
    Ok(item)
}

/// One line of the index.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexEntry {
    pub name: String,
    pub title: String,
    pub source: String,
}

impl IndexEntry {
    pub fn of(name: &str, item: &Item) -> Self {
        IndexEntry { name: name.to_owned(), title: item.title.clone(), source: item.source.clone() }
    }
}

/// The first line of the index: a folder whose `README.md` starts with it was written by `reproduce`.
pub const INDEX_TITLE: &str = "# Lecture tables and figures, reproduced\n";

/// `README.md` of the output directory: one line per item. `program` is the command that wrote it (`dissem`,
/// or the binary of a crate with models of its own), named where the page says how to regenerate it.
pub fn index(entries: &[IndexEntry], program: &str) -> Artifact {
    let mut md = String::from(INDEX_TITLE);
    md.push_str(&format!(
        "\n\
         Generated by `{program} reproduce` from the item files in `sweeps/reproduce/`; do not edit by hand.\n\
         Each item has its own page with the lecture's formula beside the simulated value (mean and 95% \
         confidence interval), the claims checked against the simulation, plots (SVG and PNG) and the data \
         (`summary.csv`). Regenerate one with `{program} reproduce NAME`, list them with `{program} reproduce --list`.\n\n\
         A statistical check passes when the formula lies in the 95% interval of the simulated mean, so a \
         correct formula fails one check in twenty by chance, and the pages hold well over a hundred such \
         checks. A failed check is therefore re-tested once: its point runs again with four times the runs on \
         a seed of its own, compared on the 99% interval, and the check is reported as FAIL only if the \
         re-test fails too. A correct formula then FAILs with probability at most 0.05 × 0.01 = 1/2000 per \
         check; a wrong one is caught again by the re-test, whose interval is about two thirds as wide as the \
         first. Each page shows both stages and how many chance failures its checks lead one to expect.\n\n\
         | item | what | sources ([references](../REFERENCES.md)) |\n|---|---|---|\n",
    ));
    for e in entries {
        md += &format!("| [{}]({}/README.md) | {} | {} |\n", e.name, e.name, cell(&e.title), cell(&e.source));
    }
    Artifact { path: "README.md".into(), bytes: md.into_bytes() }
}

/// Replicates of a re-test: this many times the first stage's.
pub const RETEST_FACTOR: u32 = 4;

/// The re-test of one point: its index in the sweep and the report of its runs on its re-test seed.
#[derive(Clone, Debug)]
pub struct Retest {
    pub point: usize,
    pub report: RunReport,
}

/// The points (indices, ascending) with a statistical check that failed at 95%: they are re-tested.
pub fn retest_points(reports: &[RunReport]) -> Vec<usize> {
    (0..reports.len()).filter(|&p| reports[p].checks().iter().any(|c| !c.pass && c.check != Check::Exact)).collect()
}

/// The verdict on one check of a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Pass,
    /// Failed at 95%, passed its re-test at 99%.
    PassOnRetest,
    Fail,
}

/// The verdict on check `c` of a point whose re-test (if it had one) is `retest`, with the re-test's result.
fn verdict(c: &CheckResult, retest: Option<&RunReport>) -> (Verdict, Option<CheckResult>) {
    if c.pass {
        return (Verdict::Pass, None);
    }
    let again = retest.and_then(|r| r.checks_at(Level::P99).into_iter().find(|x| x.analytic == c.analytic));
    match &again {
        Some(x) if x.pass && c.check != Check::Exact => (Verdict::PassOnRetest, again),
        _ => (Verdict::Fail, again),
    }
}

/// Renders item `name` from its sweep's results (one report per point) and the re-tests of the points
/// [`retest_points`] chose. `sweep_file` is shown in the page, and `program` (as for [`index`]) in the
/// commands it gives.
pub fn render_item(
    program: &str,
    name: &str,
    item: &Item,
    sweep_file: &str,
    sweep: &Sweep,
    reports: &[RunReport],
    retests: &[Retest],
) -> Result<Vec<Artifact>, ReproduceError> {
    let err = |message: String| ReproduceError { origin: format!("item {name}"), message };
    let mut md = format!("# {}\n\n", item.title);
    if !item.text.is_empty() {
        md += &format!("{}\n\n", item.text.trim_end());
    }
    let runs = format!(
        "{} point{} × {} replicate{}, seed {}",
        sweep.points.len(),
        plural(sweep.points.len()),
        sweep.replicates,
        plural(sweep.replicates as usize),
        sweep.seed
    );
    md += &format!(
        "Sources: {} ([references](../../REFERENCES.md)). Sweep: `{sweep_file}` ({runs}). Generated by dissem {}; \
         regenerate: `{program} reproduce {name}`.\n\n",
        item.source,
        crate::VERSION
    );
    if !item.table.is_empty() {
        md += &table(item, sweep, reports, retests).map_err(err)?;
        md += "\n";
    }
    if let Some(st) = &item.series_table {
        md += &series_table(st, sweep, reports).map_err(err)?;
        md += "\n";
    }
    if !item.claims.is_empty() {
        md += "## Claims\n\n";
        for claim in &item.claims {
            md += &judge(claim, sweep, reports).map_err(err)?;
        }
        md += "\n";
    }
    md += &checks(sweep, reports, retests);
    let mut files = Vec::new();
    if !item.plots.is_empty() {
        md += "## Figures\n\n";
    }
    for spec in &item.plots {
        let figure = figure(spec, sweep, reports).map_err(|m| err(format!("plot {}: {m}", spec.name)))?;
        for a in plot::render(&figure, &format!("{name}/{}", spec.name)).map_err(|e| err(e.to_string()))? {
            files.push(a);
        }
        md += &format!("![{}]({}.svg)\n\n", figure.title, spec.name);
        if let Some(c) = &spec.caption {
            md += &format!("{}\n\n", c.trim_end());
        }
        md += &format!("([PNG]({}.png))\n\n", spec.name);
    }
    md += &format!(
        "Data: [summary.csv](summary.csv) (one row per point: its seed, every metric's mean, sd, 95% CI and n, \
         and the analytic values). Point p's replicate r alone: `{program} run BASE --set PATH=VALUE… --seed SEED \
         --replicate r`, with the point's values and seed from that file.\n"
    );
    files.push(Artifact {
        path: format!("{name}/summary.csv"),
        bytes: sweep_csv::summary_csv(sweep, reports).into_bytes(),
    });
    files.insert(0, Artifact { path: format!("{name}/README.md"), bytes: md.into_bytes() });
    Ok(files)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Escapes a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn mean_ci(report: &RunReport, metric: &str, scale: f64) -> Option<String> {
    let (_, s) = report.metrics().into_iter().find(|(n, _)| n == metric)?;
    Some(if s.n > 1 && s.sd > 0.0 {
        fmt_mean_ci(s.mean * scale, s.half_width() * scale)
    } else {
        fmt_num(s.mean * scale)
    })
}

fn retest_of(retests: &[Retest], point: usize) -> Option<&RunReport> {
    retests.iter().find(|r| r.point == point).map(|r| &r.report)
}

fn table(item: &Item, sweep: &Sweep, reports: &[RunReport], retests: &[Retest]) -> Result<String, String> {
    let formula_of =
        |name: &str| reports.iter().flat_map(RunReport::analytic).find(|a| a.name == name).map(|a| a.formula);
    let mut header = Vec::new();
    for c in &item.table {
        let default = match &c.cell {
            Cell::Param(p) => p.clone(),
            Cell::Metric { name, .. } => format!("{name} (mean ± 95% CI)"),
            Cell::Analytic { name, .. } => {
                formula_of(name).ok_or_else(|| format!("no point reports analytic value `{name}`"))?
            }
            Cell::Check(name) => format!("check {name}"),
            Cell::Published(values) if values.len() != sweep.points.len() => {
                return Err(format!(
                    "`published` has {} values for the sweep's {} points (one per point, in order)",
                    values.len(),
                    sweep.points.len()
                ));
            }
            Cell::Published(_) => "published".into(),
        };
        header.push(cell(c.header.as_ref().unwrap_or(&default)));
    }
    let mut md = format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(header.len()));
    for (i, (point, report)) in sweep.points.iter().zip(reports).enumerate() {
        let scale = |times: &Option<String>| match times {
            Some(p) => point
                .parameters
                .get(p)
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("`times`: `{p}` is not a numeric parameter")),
            None => Ok(1.0),
        };
        let mut row = Vec::new();
        for c in &item.table {
            let text = match &c.cell {
                Cell::Param(p) => point
                    .parameters
                    .get(p)
                    .map(value_text)
                    .ok_or_else(|| format!("`{p}` is not a parameter of the sweep"))?,
                Cell::Metric { name, times } => mean_ci(report, name, scale(times)?).unwrap_or_else(|| "–".into()),
                Cell::Analytic { name, times } => {
                    let scale = scale(times)?;
                    let value = report.analytic().into_iter().find(|x| &x.name == name);
                    value.map(|x| fmt_num(x.value * scale)).unwrap_or_else(|| "–".into())
                }
                Cell::Check(name) => match report.checks().into_iter().find(|x| &x.analytic == name) {
                    Some(x) => match verdict(&x, retest_of(retests, i)).0 {
                        Verdict::Pass => "pass".into(),
                        Verdict::PassOnRetest => "pass (re-test)".into(),
                        Verdict::Fail => "**FAIL**".into(),
                    },
                    None => "–".into(),
                },
                Cell::Published(values) => values[i].as_ref().map_or_else(|| "–".into(), ToString::to_string),
            };
            row.push(cell(&text));
        }
        md += &format!("| {} |\n", row.join(" | "));
    }
    Ok(md)
}

fn series_table(st: &SeriesTable, sweep: &Sweep, reports: &[RunReport]) -> Result<String, String> {
    let mut columns: Vec<(String, Vec<Option<f64>>)> = Vec::new();
    for (point, report) in sweep.points.iter().zip(reports) {
        let label = plot::point_label(&point.parameters);
        for (name, values) in report.series().into_iter().filter(|(n, _)| st.series.contains(n)) {
            let skip = st.shift.get(&name).copied().unwrap_or(0);
            let values = std::iter::repeat_n(None, skip).chain(values.into_iter().map(Some)).collect();
            let name = st.labels.get(&name).cloned().unwrap_or(name);
            columns.push((if label.is_empty() { name } else { format!("{label}: {name}") }, values));
        }
    }
    if columns.is_empty() {
        return Err(format!("series_table: no point reports any of {:?}", st.series));
    }
    let rows = columns.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let mut md = format!(
        "| {} | {} |\n|{}\n",
        cell(st.index.as_deref().unwrap_or("round")),
        columns.iter().map(|(h, _)| cell(h)).collect::<Vec<_>>().join(" | "),
        "---|".repeat(columns.len() + 1)
    );
    for i in 0..rows {
        let values: Vec<String> =
            columns.iter().map(|(_, v)| v.get(i).copied().flatten().map_or_else(|| "–".into(), fmt_num)).collect();
        md += &format!("| {} | {} |\n", fmt_num(st.x_from + i as f64), values.join(" | "));
    }
    Ok(md)
}

fn judge(claim: &Claim, sweep: &Sweep, reports: &[RunReport]) -> Result<String, String> {
    let mut out = String::new();
    let selected: Vec<usize> = (0..sweep.points.len())
        .filter(|&p| claim.at.iter().all(|(k, v)| sweep.points[p].parameters.get(k).is_some_and(|x| same_value(x, v))))
        .collect();
    if selected.is_empty() {
        return Err(format!("claim \"{}\": no point has {}", claim.text, Value::Object(claim.at.clone())));
    }
    for p in selected {
        let (_, s) = reports[p]
            .metrics()
            .into_iter()
            .find(|(n, _)| n == &claim.metric)
            .ok_or_else(|| format!("claim \"{}\": no metric `{}`", claim.text, claim.metric))?;
        let (lo, hi) = s.ci95;
        // Mean and bounds to the decimal place the interval resolves.
        let shown = |x: f64| ci_places(s.half_width()).map_or_else(|| fmt_num(x), |p| fmt_places(x, p));
        // Holds when the whole 95% interval is on the claimed side, fails when it is wholly on the other.
        let verdict = match claim.bound {
            Bound::Above(a) if lo > a => "holds",
            Bound::Above(a) if hi <= a => "**does not hold**",
            Bound::Below(b) if hi < b => "holds",
            Bound::Below(b) if lo >= b => "**does not hold**",
            _ => "undecided (the 95% interval straddles the bound)",
        };
        let at: Vec<String> =
            sweep.points[p].parameters.iter().map(|(k, v)| format!("{k} = {}", value_text(v))).collect();
        out += &format!(
            "- {}: {verdict}. Simulated {} = {} (95% CI [{}, {}], {} runs) at {}.\n",
            claim.text,
            claim.metric,
            shown(s.mean),
            shown(lo),
            shown(hi),
            s.n,
            at.join(", ")
        );
    }
    Ok(out)
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Every checked formula of every point with its verdict, the re-tests of the failed statistical ones, and
/// how many chance failures the page's statistical checks lead one to expect at each stage.
fn checks(sweep: &Sweep, reports: &[RunReport], retests: &[Retest]) -> String {
    let mut rows = Vec::new();
    let mut again = Vec::new();
    let (mut statistical, mut counts) = (0, [0usize; 3]);
    for (p, (point, report)) in sweep.points.iter().zip(reports).enumerate() {
        let at = plot::point_label(&point.parameters);
        let at = if at.is_empty() { "the scenario".to_owned() } else { cell(&at) };
        for c in report.checks() {
            let exact = c.check == Check::Exact;
            statistical += usize::from(!exact);
            let (v, retested) = verdict(&c, retest_of(retests, p));
            counts[v as usize] += 1;
            let result = match v {
                Verdict::Pass => "pass",
                Verdict::PassOnRetest => "fail at 95%, re-test pass",
                Verdict::Fail if retested.is_some() => "**FAIL** (re-test too)",
                Verdict::Fail => "**FAIL**",
            };
            rows.push(format!(
                "| {at} | {} | {} | {} | {} | {} | {result} |\n",
                c.metric,
                cell(&c.formula),
                fmt_mean_ci(c.simulated.mean, c.simulated.half_width()),
                fmt_num(c.expected),
                crate::text::tolerance(&c),
            ));
            if let (Some(x), Some(r)) = (retested, retest_of(retests, p)) {
                again.push(format!(
                    "| {at} | {} | {} | {} | {} | {} | ±{} | {} |\n",
                    r.seed,
                    x.simulated.n,
                    x.metric,
                    fmt_mean_ci(x.simulated.mean, Level::P99.half_width(x.simulated.n, x.simulated.sd)),
                    fmt_num(x.expected),
                    fmt_num(x.tolerance),
                    if x.pass { "pass" } else { "**FAIL**" }
                ));
            }
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let [passed, on_retest, failed] = counts;
    let mut md = format!("## Formula checks\n\n{} of {} pass", passed + on_retest, rows.len());
    if on_retest > 0 {
        md += &format!(" ({on_retest} after a re-test)");
    }
    md += &format!("{}.", if failed > 0 { format!("; {failed} FAIL") } else { String::new() });
    if statistical > 0 {
        md += &format!(
            " {statistical} of the checks are statistical: each compares the mean over runs with the formula on \
             its 95% interval, so a correct formula fails about one in twenty by chance ({} expected here). A \
             point with a failed one runs again, {RETEST_FACTOR} times the runs on a seed of its own, and the \
             check is compared on its 99% interval: it FAILs only if this re-test fails too, which a correct \
             formula does with probability at most 0.05 × 0.01 = 1/2000 ({} expected here); the re-test's \
             interval is about two thirds as wide as the first, so a wrong formula is caught again.",
            fmt_num(0.05 * statistical as f64),
            fmt_num(statistical as f64 / 2000.0),
        );
    }
    md += &format!(
        "\n\n| point | metric | formula | simulated | analytic | tolerance | result |\n|---|---|---|---|---|---|---|\n{}\n",
        rows.concat()
    );
    if !again.is_empty() {
        md += &format!(
            "### Re-tests\n\nThe checks that failed above, on their point's re-test (simulated: mean ± 99% CI).\n\n\
             | point | seed | runs | metric | simulated | analytic | tolerance (99%) | result |\n\
             |---|---|---|---|---|---|---|---|\n{}\n",
            again.concat()
        );
    }
    md
}

fn figure(spec: &PlotSpec, sweep: &Sweep, reports: &[RunReport]) -> Result<Figure, String> {
    let title = |default: String| spec.title.clone().unwrap_or(default);
    let mut f = match &spec.draw {
        Draw::Lines(lines) => {
            let x =
                lines.x.clone().or_else(|| sweep.parameters.first().cloned()).ok_or("the sweep varies no parameter")?;
            let plot = SweepPlot {
                x,
                metrics: lines.y.clone(),
                group: lines.group.clone(),
                no_analytic: false,
                hide: lines.hide.clone(),
                log: spec.log,
                title: spec.title.clone(),
                y_label: None,
                labels: lines.labels.clone(),
            };
            plot::sweep_lines(sweep, reports, &plot).map_err(|e| e.0)?
        }
        Draw::Histogram(metric) | Draw::Cdf(metric) => {
            let samples = plot::metric_samples(sweep, reports, metric);
            let as_cdf = matches!(spec.draw, Draw::Cdf(_));
            plot::distribution(&title(format!("{metric} over runs")), metric, samples, as_cdf, spec.log.x)
        }
        Draw::Series(s) => {
            let curves = point_curves(sweep, reports, &s.series, false, &s.labels)?;
            let named: Vec<(String, Vec<f64>)> = curves.iter().map(|c| (c.name.clone(), c.values.clone())).collect();
            let mut f = plot::series_lines(&title(s.series.join(", ")), "round", &named, s.x_from, spec.log);
            if let Content::Lines(lines) = &mut f.content {
                for (line, c) in lines.iter_mut().zip(&curves) {
                    line.label = c.legend.clone();
                }
                let length = curves.iter().map(|c| c.values.len()).max().unwrap_or(1);
                let span = (s.x_from, s.x_from + length.saturating_sub(1).max(1) as f64);
                for (name, label) in &s.analytic {
                    lines.extend(reference_lines((name, label), span, sweep, reports, &curves, lines)?);
                }
            }
            f
        }
        Draw::Quantiles(q) => {
            let curves = point_curves(sweep, reports, &q.quantiles, false, &q.labels)?;
            let named: Vec<(String, Vec<f64>)> = curves.into_iter().map(|c| (c.legend, c.values)).collect();
            plot::quantile_cdfs(&title(q.quantiles.join(", ")), "value", &named, spec.log.x)
        }
        Draw::Distributions(d) => {
            let mut curves = point_curves(sweep, reports, &d.distributions, true, &d.labels)?;
            if d.at_least {
                for c in &mut curves {
                    for i in (1..c.values.len()).rev() {
                        c.values[i - 1] += c.values[i];
                    }
                }
            }
            let named: Vec<(String, Vec<f64>)> = curves.into_iter().map(|c| (c.legend, c.values)).collect();
            plot::series_lines(&title(d.distributions.join(", ")), "bin", &named, d.x_from, spec.log)
        }
    };
    if let Some(x) = &spec.x_label {
        f.x_label = x.clone();
    }
    if let Some(y) = &spec.y_label {
        f.y_label = y.clone();
    }
    Ok(f)
}

/// A series or distribution (mean over replicates) of one point.
struct Curve {
    /// `point: name` with the raw names (a formula series is paired with its measurement by these).
    name: String,
    /// The legend: point and name through the labels; the point alone when the plot shows one name.
    legend: String,
    /// The index of its point.
    point: usize,
    values: Vec<f64>,
}

fn point_curves(
    sweep: &Sweep,
    reports: &[RunReport],
    wanted: &[String],
    distributions: bool,
    labels: &BTreeMap<String, String>,
) -> Result<Vec<Curve>, String> {
    let mut curves = Vec::new();
    for (p, (point, report)) in sweep.points.iter().zip(reports).enumerate() {
        let label = plot::point_label(&point.parameters);
        let shown_point = labels.get(&label).unwrap_or(&label);
        let all = if distributions { report.distributions() } else { report.series() };
        for (name, values) in all.into_iter().filter(|(n, _)| wanted.contains(n)) {
            let shown = labels.get(&name).unwrap_or(&name);
            let (name, legend) = match (label.is_empty(), wanted.len()) {
                (true, _) => (name.clone(), shown.clone()),
                (false, 1) => (format!("{label}: {name}"), shown_point.clone()),
                (false, _) => (format!("{label}: {name}"), format!("{shown_point}: {shown}")),
            };
            curves.push(Curve { name, legend, point: p, values });
        }
    }
    if curves.is_empty() {
        return Err(format!("no point reports any of {wanted:?}"));
    }
    Ok(curves)
}

/// Horizontal lines at analytic value `name` over `span`, labelled `label`: one black line when every point has the same value,
/// else one per point in the colour of its curves.
fn reference_lines(
    (name, label): (&str, &str),
    span: (f64, f64),
    sweep: &Sweep,
    reports: &[RunReport],
    curves: &[Curve],
    lines: &[Series],
) -> Result<Vec<Series>, String> {
    let mut values = Vec::new();
    for (p, (point, report)) in sweep.points.iter().zip(reports).enumerate() {
        let ink = curves.iter().zip(lines).find(|(c, _)| c.point == p).map_or(Ink::Neutral, |(_, l)| l.ink);
        if let Some(a) = report.analytic().into_iter().find(|a| a.name == name) {
            values.push((plot::point_label(&point.parameters), a.value, ink));
        }
    }
    let Some(&(_, first, _)) = values.first() else {
        return Err(format!("no point reports analytic value `{name}`"));
    };
    let line = |label: String, value: f64, ink: Ink| Series {
        label,
        points: vec![(span.0, value), (span.1, value)],
        ci: Vec::new(),
        style: Style::Analytic,
        ink,
    };
    if values.iter().all(|v| v.1 == first) {
        return Ok(vec![line(label.to_owned(), first, Ink::Neutral)]);
    }
    Ok(values.into_iter().map(|(point, value, ink)| line(format!("{point}: {label}"), value, ink)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_entries_parse_into_their_kinds() {
        let text = r#"{"title": "t", "sweep": "s.json",
            "table": [{"param": "model.k"}, {"metric": "residual", "times": "topology.nodes", "header": "N_s"},
                      {"analytic": "residual_lecture"}, {"check": "residual_lecture"},
                      {"published": [0.18, "0.20", null], "header": "s (paper)"}],
            "claims": [{"text": "c", "metric": "coverage", "at": {"model.p_flood": 0.01}, "above": 0.99}],
            "plots": [{"name": "a", "y": ["residual"], "group": "topology.nodes", "log": "y"},
                      {"name": "b", "hist": "coverage"}, {"name": "c", "cdf": "coverage"},
                      {"name": "d", "series": ["variance"], "analytic": {"reduction_factor": "1/(2√e)"}},
                      {"name": "e", "quantiles": ["all.stretch_quantiles"]},
                      {"name": "f", "distributions": ["h"], "at_least": true, "x_from": 1}]}"#;
        let item = parse_item(text, "i.json").unwrap();
        let metric = Cell::Metric { name: "residual".into(), times: Some("topology.nodes".into()) };
        assert_eq!(item.table[1], Column { header: Some("N_s".into()), cell: metric });
        assert_eq!(item.table[3].cell, Cell::Check("residual_lecture".into()));
        let Cell::Published(values) = &item.table[4].cell else { panic!("{:?}", item.table[4]) };
        let shown: Vec<String> = values.iter().map(|v| v.as_ref().map_or("–".into(), ToString::to_string)).collect();
        assert_eq!(shown, ["0.18", "0.20", "–"]);
        assert_eq!(item.claims[0].bound, Bound::Above(0.99));
        let kinds: Vec<&str> = item
            .plots
            .iter()
            .map(|p| match &p.draw {
                Draw::Lines(l) if l.group.is_some() => "lines",
                Draw::Histogram(m) if m == "coverage" => "hist",
                Draw::Cdf(_) => "cdf",
                Draw::Series(s) if s.analytic.contains_key("reduction_factor") => "series",
                Draw::Quantiles(_) => "quantiles",
                Draw::Distributions(d) if d.at_least && d.x_from == 1.0 => "distributions",
                _ => "wrong",
            })
            .collect();
        assert_eq!(kinds, ["lines", "hist", "cdf", "series", "quantiles", "distributions"]);
        assert_eq!(item.plots[0].log, LogAxes { x: Some(false), y: Some(true) });
    }

    /// Every malformed entry gets one message naming the file, the entry and what is allowed.
    #[test]
    fn bad_item_files_say_which_file_and_field() {
        let cases = [
            r#"{"title": "t", "sweep": "s.json", "table": [{"param": "a", "metric": "b"}]}"#,
            r#"{"title": "t", "sweep": "s.json", "table": [{"header": "h"}]}"#,
            r#"{"title": "t", "sweep": "s.json", "table": [{"param": "a", "times": "topology.nodes"}]}"#,
            r#"{"title": "t", "sweep": "s.json", "table": [{"metric": 3}]}"#,
            r#"{"title": "t", "sweep": "s.json", "table": [{"check": "a", "header": 1}]}"#,
            r#"{"title": "t", "sweep": "s.json", "claims": [{"text": "c", "metric": "m", "above": 1, "below": 2}]}"#,
            r#"{"title": "t", "sweep": "s.json", "claims": [{"text": "c", "metric": "m", "above": "50x"}]}"#,
            r#"{"title": "t", "sweep": "s.json", "plots": [{"name": "p", "y": ["m"], "log": "z"}]}"#,
            r#"{"title": "t", "sweep": "s.json", "plots": [{"name": "p", "series": ["a"], "quantiles": ["b"]}]}"#,
            r#"{"title": "t", "sweep": "s.json", "plots": [{"name": "p", "series": ["a"], "at_least": true}]}"#,
            r#"{"title": "t", "sweep": "s.json", "plots": [{"name": "p", "title": "no kind"}]}"#,
            r#"{"title": "t", "sweep": "s.json", "plots": [{"y": ["m"]}]}"#,
            r#"{"title": "t", "sweep": "s.json", "plots": [{"name": "../p", "hist": "m"}]}"#,
            r#"{"title": "t", "sweep": "s.json", "plots": [{"name": "p", "hist": "m"}, {"name": "p", "cdf": "m"}]}"#,
            r#"{"title": "t", "sweep": "s.json", "plots": [{"name": "p", "distributions": ["h"], "labels": {"h": 2}}]}"#,
            r#"{"title": "t", "sweep": "s.json", "tables": []}"#,
            r#"{"title": "t", "sweep": "s.json", "table": [{"published": [{"s": 0.2}]}]}"#,
            r#"{"title": "t", "sweep": "s.json", "table": [{"param": "a"}"#,
        ];
        let messages: Vec<String> =
            cases.iter().map(|c| parse_item(c, "sweeps/reproduce/x.json").unwrap_err().to_string()).collect();
        insta::assert_snapshot!(messages.join("\n"));
    }

    /// A report of `values` of metric `m`, predicted `expected` by a check of kind `check`.
    fn report(values: &[f64], expected: f64, check: Check) -> RunReport {
        let runs = values
            .iter()
            .map(|&v| {
                let mut o = models::Outcome::default();
                o.metric("m", v).analytic("a", "m", "formula", expected, check);
                o
            })
            .collect();
        RunReport { name: "t".into(), model: "x".into(), seed: 1, first_replicate: 0, runs, notes: Vec::new() }
    }

    /// A statistical check that fails at 95% is re-tested and FAILs only if its re-test fails too; an
    /// exact one is never re-tested and FAILs at once.
    #[test]
    fn failed_statistical_checks_are_retested_and_fail_only_twice() {
        let ci = Check::WithinCi { rel_slack: 0.0 };
        let off = report(&[1.0, 1.1, 0.9, 1.0, 1.05], 1.2, ci);
        let fine = report(&[1.0, 1.1, 0.9, 1.0, 1.05], 1.01, ci);
        let exact = report(&[1.0, 1.0], 2.0, Check::Exact);
        assert_eq!(retest_points(&[fine.clone(), off.clone(), exact.clone()]), [1]);
        let first = &off.checks()[0];
        let near = report(&[1.2, 1.25, 1.1, 1.15, 1.2, 1.18, 1.22, 1.19], 1.2, ci);
        assert_eq!(verdict(first, Some(&near)).0, Verdict::PassOnRetest);
        let (v, again) = verdict(first, Some(&off));
        assert_eq!(v, Verdict::Fail);
        assert!(again.is_some_and(|x| !x.pass && x.tolerance > first.tolerance), "judged at 99%");
        assert_eq!(verdict(&fine.checks()[0], None).0, Verdict::Pass);
        assert_eq!(verdict(&exact.checks()[0], Some(&report(&[2.0], 2.0, Check::Exact))).0, Verdict::Fail);
    }

    #[test]
    fn cells_escape_pipes() {
        assert_eq!(cell("2|E| - (N - 1)"), "2\\|E\\| - (N - 1)");
    }
}
