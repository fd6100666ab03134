//! `dissem reproduce`: the lecture's tables and figures. Each item is a file (`sweeps/reproduce/NAME.json`)
//! naming a sweep and saying which table, claims and plots to draw from its results; no number is written
//! here. An item renders to `NAME/README.md` (formula beside simulation), `NAME/summary.csv` and SVG + PNG
//! plots; the index `README.md` lists the items.

use models::Check;
use runner::RunReport;
use runner::sweep::{Sweep, value_text};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::number::fmt_num;
use crate::plot::{self, Figure, LogAxes, SweepPlot};
use crate::{Artifact, sweep as sweep_csv};

/// An item file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub title: String,
    /// Where the lecture states it (e.g. "REFERENCE.md, Flooding").
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
    pub labels: std::collections::BTreeMap<String, String>,
    /// Series whose first entry belongs to a later row (a per-cycle factor starts at cycle 1).
    #[serde(default)]
    pub shift: std::collections::BTreeMap<String, usize>,
}

/// A table column: exactly one of `param`, `metric`, `analytic`, `check`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    #[serde(default)]
    pub header: Option<String>,
    /// A sweep parameter's value.
    #[serde(default)]
    pub param: Option<String>,
    /// A metric's mean ± 95% CI half-width.
    #[serde(default)]
    pub metric: Option<String>,
    /// An analytic value by name (header: its formula).
    #[serde(default)]
    pub analytic: Option<String>,
    /// The verdict of comparing an analytic value with its metric.
    #[serde(default)]
    pub check: Option<String>,
    /// Multiply by this parameter (a fraction times `topology.nodes` is a count of nodes).
    #[serde(default)]
    pub times: Option<String>,
}

/// A statement about a metric, judged by its 95% interval at the points it names.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub text: String,
    /// Parameter values selecting the points (all points when empty).
    #[serde(default)]
    pub at: Map<String, Value>,
    pub metric: String,
    #[serde(default)]
    pub above: Option<f64>,
    #[serde(default)]
    pub below: Option<f64>,
}

/// A plot: lines of metrics against `x` (default), or `hist`/`cdf` of a metric over runs, or `series`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlotSpec {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Vec<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub hist: Option<String>,
    #[serde(default)]
    pub cdf: Option<String>,
    /// Per-round series (mean over replicates) of every point, with their formula series.
    #[serde(default)]
    pub series: Vec<String>,
    /// Per-bin histograms (mean over replicates) of every point, drawn as lines with markers.
    #[serde(default)]
    pub distributions: Vec<String>,
    /// Draw each distribution as "how many are ≥ x" (sums from the right): smooth where bins are sparse.
    #[serde(default)]
    pub at_least: bool,
    /// The series are quantile functions at equally spaced levels 0..1: draw each as a CDF (value on x).
    #[serde(default)]
    pub quantiles: bool,
    /// Legend names for series and distributions; in line plots, of analytic values (by name) and groups.
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// The x value of the first entry of each series or distribution (default 0).
    #[serde(default)]
    pub x_from: f64,
    /// auto, none, x, y or xy.
    #[serde(default)]
    pub log: Option<String>,
    /// Analytic values not to draw.
    #[serde(default)]
    pub hide: Vec<String>,
    #[serde(default)]
    pub x_label: Option<String>,
    #[serde(default)]
    pub y_label: Option<String>,
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
    let doc: Value = serde_json::from_str(text).map_err(|e| err(format!("not valid JSON: {e}")))?;
    let item = Item::deserialize(doc).map_err(|e| err(e.to_string()))?;
    for (i, c) in item.table.iter().enumerate() {
        let kinds = [&c.param, &c.metric, &c.analytic, &c.check].iter().filter(|k| k.is_some()).count();
        if kinds != 1 {
            return Err(err(format!("table[{i}]: give exactly one of param, metric, analytic, check")));
        }
    }
    for (i, p) in item.plots.iter().enumerate() {
        LogAxes::try_from(p.log.as_deref().unwrap_or("auto")).map_err(|m| err(format!("plots[{i}].log: {m}")))?;
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

/// `README.md` of the output directory: one line per item.
pub fn index(entries: &[IndexEntry]) -> Artifact {
    let mut md = String::from(
        "# Lecture tables and figures, reproduced\n\n\
         Generated by `dissem reproduce` from the item files in `sweeps/reproduce/`; do not edit by hand.\n\
         Each item has its own page with the lecture's formula beside the simulated value (mean and 95% \
         confidence interval), the claims checked against the simulation, plots (SVG and PNG) and the data \
         (`summary.csv`). Regenerate one with `dissem reproduce NAME`, list them with `dissem reproduce --list`.\n\n\
         | item | what | lecture source |\n|---|---|---|\n",
    );
    for e in entries {
        md += &format!("| [{}]({}/README.md) | {} | {} |\n", e.name, e.name, cell(&e.title), cell(&e.source));
    }
    Artifact { path: "README.md".into(), bytes: md.into_bytes() }
}

/// Renders item `name` from its sweep's results (one report per point). `sweep_file` is shown in the page.
pub fn render_item(
    name: &str,
    item: &Item,
    sweep_file: &str,
    sweep: &Sweep,
    reports: &[RunReport],
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
        "Lecture source: {}. Sweep: `{sweep_file}` ({runs}). Regenerate: `dissem reproduce {name}`.\n\n",
        item.source
    );
    if !item.table.is_empty() {
        md += &table(item, sweep, reports).map_err(err)?;
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
    md += &checks(sweep, reports);
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
    md += "Data: [summary.csv](summary.csv) (one row per point: every metric's mean, sd, 95% CI and n, and the \
           analytic values).\n";
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
        format!("{} ± {}", fmt_num(s.mean * scale), fmt_num(s.half_width() * scale))
    } else {
        fmt_num(s.mean * scale)
    })
}

fn table(item: &Item, sweep: &Sweep, reports: &[RunReport]) -> Result<String, String> {
    let formula_of =
        |name: &str| reports.iter().flat_map(RunReport::analytic).find(|a| a.name == name).map(|a| a.formula);
    let mut header = Vec::new();
    for c in &item.table {
        let default = match (&c.param, &c.metric, &c.analytic, &c.check) {
            (Some(p), ..) => p.clone(),
            (_, Some(m), ..) => format!("{m} (mean ± 95% CI)"),
            (_, _, Some(a), _) => formula_of(a).ok_or_else(|| format!("no point reports analytic value `{a}`"))?,
            (.., Some(a)) => format!("check {a}"),
            _ => unreachable!("checked when parsed"),
        };
        header.push(cell(c.header.as_ref().unwrap_or(&default)));
    }
    let mut md = format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(header.len()));
    for (point, report) in sweep.points.iter().zip(reports) {
        let mut row = Vec::new();
        for c in &item.table {
            let scale = match &c.times {
                Some(p) => point
                    .parameters
                    .get(p)
                    .and_then(Value::as_f64)
                    .ok_or_else(|| format!("`times`: `{p}` is not a numeric parameter"))?,
                None => 1.0,
            };
            let text = if let Some(p) = &c.param {
                point
                    .parameters
                    .get(p)
                    .map(value_text)
                    .ok_or_else(|| format!("`{p}` is not a parameter of the sweep"))?
            } else if let Some(m) = &c.metric {
                mean_ci(report, m, scale).unwrap_or_else(|| "–".into())
            } else if let Some(a) = &c.analytic {
                report
                    .analytic()
                    .into_iter()
                    .find(|x| &x.name == a)
                    .map(|x| fmt_num(x.value * scale))
                    .unwrap_or_else(|| "–".into())
            } else {
                let name = c.check.as_deref().unwrap_or_default();
                match report.checks().into_iter().find(|x| x.analytic == name) {
                    Some(x) if x.pass => "pass".into(),
                    Some(_) => "**FAIL**".into(),
                    None => "–".into(),
                }
            };
            row.push(cell(&text));
        }
        md += &format!("| {} |\n", row.join(" | "));
    }
    Ok(md)
}

/// The label of a point in legends and column headers: its parameters, `name = value`.
fn point_label(point: &runner::sweep::SweepPoint) -> String {
    let at: Vec<String> =
        point.parameters.iter().map(|(k, v)| format!("{} = {}", plot::short(k), value_text(v))).collect();
    at.join(", ")
}

fn series_table(st: &SeriesTable, sweep: &Sweep, reports: &[RunReport]) -> Result<String, String> {
    let mut columns: Vec<(String, Vec<Option<f64>>)> = Vec::new();
    for (point, report) in sweep.points.iter().zip(reports) {
        let label = point_label(point);
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
        // Holds when the whole 95% interval is on the claimed side, fails when it is wholly on the other.
        let verdict = match (claim.above, claim.below) {
            (Some(a), _) if lo > a => "holds",
            (Some(a), _) if hi <= a => "**does not hold**",
            (_, Some(b)) if hi < b => "holds",
            (_, Some(b)) if lo >= b => "**does not hold**",
            (None, None) => return Err(format!("claim \"{}\": give `above` or `below`", claim.text)),
            _ => "undecided (the 95% interval straddles the bound)",
        };
        let at: Vec<String> =
            sweep.points[p].parameters.iter().map(|(k, v)| format!("{k} = {}", value_text(v))).collect();
        out += &format!(
            "- {}: {verdict}. Simulated {} = {} (95% CI [{}, {}], {} runs) at {}.\n",
            claim.text,
            claim.metric,
            fmt_num(s.mean),
            fmt_num(lo),
            fmt_num(hi),
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

/// Every checked formula of every point: pass or fail.
fn checks(sweep: &Sweep, reports: &[RunReport]) -> String {
    let mut rows = Vec::new();
    for (point, report) in sweep.points.iter().zip(reports) {
        let at: Vec<String> =
            point.parameters.iter().map(|(k, v)| format!("{} = {}", plot::short(k), value_text(v))).collect();
        for c in report.checks() {
            let tolerance = match report.analytic().into_iter().find(|a| a.name == c.analytic).map(|a| a.check) {
                Some(Check::Exact) => "exact, every run".to_owned(),
                _ => format!("±{}", fmt_num(c.tolerance)),
            };
            rows.push(format!(
                "| {} | {} | {} | {} ± {} | {} | {} | {} |\n",
                if at.is_empty() { "the scenario".to_owned() } else { cell(&at.join(", ")) },
                c.metric,
                cell(&c.formula),
                fmt_num(c.simulated.mean),
                fmt_num(c.simulated.half_width()),
                fmt_num(c.expected),
                tolerance,
                if c.pass { "pass" } else { "**FAIL**" }
            ));
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let failed = rows.iter().filter(|r| r.contains("**FAIL**")).count();
    format!(
        "## Formula checks\n\n{} of {} pass.\n\n| point | metric | formula | simulated | analytic | tolerance | result |\n|---|---|---|---|---|---|---|\n{}\n",
        rows.len() - failed,
        rows.len(),
        rows.concat()
    )
}

fn figure(spec: &PlotSpec, sweep: &Sweep, reports: &[RunReport]) -> Result<Figure, String> {
    let log = LogAxes::try_from(spec.log.as_deref().unwrap_or("auto"))?;
    let (log_x, log_y) = (log.x, log.y);
    if let Some(metric) = spec.hist.as_ref().or(spec.cdf.as_ref()) {
        let samples = plot::metric_samples(sweep, reports, metric);
        let title = spec.title.clone().unwrap_or_else(|| format!("{metric} over runs"));
        let mut f =
            plot::distribution(&title, spec.x_label.as_deref().unwrap_or(metric), samples, spec.cdf.is_some(), log_x);
        if let Some(y) = &spec.y_label {
            f.y_label = y.clone();
        }
        return Ok(f);
    }
    if !spec.series.is_empty() || !spec.distributions.is_empty() {
        let (mut series, mut legends) = (Vec::new(), Vec::new());
        let wanted = if spec.series.is_empty() { &spec.distributions } else { &spec.series };
        for (point, report) in sweep.points.iter().zip(reports) {
            let label = point_label(point);
            let all = if spec.series.is_empty() { report.distributions() } else { report.series() };
            for (name, mut values) in all.into_iter().filter(|(n, _)| wanted.contains(n)) {
                if spec.at_least {
                    for i in (1..values.len()).rev() {
                        values[i - 1] += values[i];
                    }
                }
                let shown = spec.labels.get(&name).cloned().unwrap_or_else(|| name.clone());
                let full = |n: &str| if label.is_empty() { n.to_owned() } else { format!("{label}: {n}") };
                // Formula series are paired with their measurement by the raw names; legends use the labels.
                series.push((full(&name), values));
                legends.push(full(&shown));
            }
        }
        if series.is_empty() {
            return Err(format!("no point reports any of {wanted:?}"));
        }
        let title = spec.title.clone().unwrap_or_else(|| wanted.join(", "));
        let x_label = spec.x_label.as_deref().unwrap_or("round");
        let mut f = plot::series_lines(&title, x_label, &series, spec.x_from, log);
        if let plot::Content::Lines(lines) = &mut f.content {
            for (line, legend) in lines.iter_mut().zip(legends) {
                line.label = legend;
                if spec.quantiles {
                    let last = line.points.len().saturating_sub(1).max(1) as f64;
                    line.points = line.points.iter().enumerate().map(|(i, &(_, v))| (v, i as f64 / last)).collect();
                    line.style = plot::Style::Curve;
                }
            }
        }
        if spec.quantiles {
            f.log_x = log_x.unwrap_or(false);
            f.log_y = log_y.unwrap_or(false);
        }
        if let Some(y) = &spec.y_label {
            f.y_label = y.clone();
        }
        return Ok(f);
    }
    let x = spec.x.clone().or_else(|| sweep.parameters.first().cloned()).ok_or("the sweep varies no parameter")?;
    let mut f = plot::sweep_lines(
        sweep,
        reports,
        &SweepPlot {
            x,
            metrics: spec.y.clone(),
            group: spec.group.clone(),
            no_analytic: false,
            hide: spec.hide.clone(),
            log,
            title: spec.title.clone(),
            y_label: spec.y_label.clone(),
            labels: spec.labels.clone(),
        },
    )
    .map_err(|e| e.0)?;
    if let Some(x) = &spec.x_label {
        f.x_label = x.clone();
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_files_are_checked() {
        let ok = r#"{"title": "t", "sweep": "s.json", "table": [{"param": "model.p_flood"}, {"metric": "coverage"}]}"#;
        assert_eq!(parse_item(ok, "i.json").unwrap().table.len(), 2);
        let two = r#"{"title": "t", "sweep": "s.json", "table": [{"param": "a", "metric": "b"}]}"#;
        assert!(parse_item(two, "i.json").unwrap_err().message.contains("exactly one"));
        let unknown = r#"{"title": "t", "sweep": "s.json", "tables": []}"#;
        assert!(parse_item(unknown, "i.json").unwrap_err().message.contains("unknown field"));
        let log = r#"{"title": "t", "sweep": "s.json", "plots": [{"name": "p", "log": "z"}]}"#;
        assert!(parse_item(log, "i.json").unwrap_err().message.contains("plots[0].log"));
    }

    #[test]
    fn cells_escape_pipes() {
        assert_eq!(cell("2|E| - (N - 1)"), "2\\|E\\| - (N - 1)");
    }
}
