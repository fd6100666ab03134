//! Sweep summaries: one row per point with its parameters, every metric's statistics and the analytic values.

use runner::RunReport;
use runner::sweep::{Sweep, value_text};

use crate::csv::line;
use crate::number::{fmt_exact, fmt_mean_ci, fmt_num};
use crate::text::table;

/// Names in first-seen order over all points.
fn union(lists: impl Iterator<Item = Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in lists.flatten() {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// `summary.csv`: point, its seed, the parameters, then `<metric>_mean`, `_sd`, `_ci95_lo`, `_ci95_hi`, `_n` for every
/// metric and `analytic:<name>` for every analytic value (mean over the point's runs); empty where a point
/// does not report it.
pub fn summary_csv(sweep: &Sweep, reports: &[RunReport]) -> String {
    let metrics = union(reports.iter().map(RunReport::metric_names));
    let analytic = union(reports.iter().map(|r| r.analytic().into_iter().map(|a| a.name).collect()));
    let mut header = vec!["point".to_owned(), "seed".to_owned()];
    header.extend(sweep.parameters.iter().cloned());
    for m in &metrics {
        header.extend(["mean", "sd", "ci95_lo", "ci95_hi", "n"].map(|s| format!("{m}_{s}")));
    }
    header.extend(analytic.iter().map(|a| format!("analytic:{a}")));
    let mut out = line(&header);
    for (p, (point, report)) in sweep.points.iter().zip(reports).enumerate() {
        let mut row = vec![p.to_string(), point.scenario.seed.to_string()];
        row.extend(sweep.parameters.iter().map(|k| point.parameters.get(k).map(value_text).unwrap_or_default()));
        let stats = report.metrics();
        for m in &metrics {
            match stats.iter().find(|(n, _)| n == m) {
                Some((_, s)) => {
                    row.extend([s.mean, s.sd, s.ci95.0, s.ci95.1].map(fmt_exact).into_iter().chain([s.n.to_string()]))
                }
                None => row.extend(std::iter::repeat_n(String::new(), 5)),
            }
        }
        let values = report.analytic();
        row.extend(
            analytic
                .iter()
                .map(|a| values.iter().find(|x| &x.name == a).map(|x| fmt_exact(x.value)).unwrap_or_default()),
        );
        out += &line(&row);
    }
    out
}

/// The table `dissem sweep` prints: point, parameters, and each metric's mean ± 95% CI half-width (the mean
/// rounded to what the interval resolves).
pub fn summary_table(sweep: &Sweep, reports: &[RunReport]) -> String {
    let metrics = union(reports.iter().map(RunReport::metric_names));
    let mut header: Vec<&str> = vec!["point"];
    header.extend(sweep.parameters.iter().map(String::as_str));
    header.extend(metrics.iter().map(String::as_str));
    let rows: Vec<Vec<String>> = sweep
        .points
        .iter()
        .zip(reports)
        .enumerate()
        .map(|(p, (point, report))| {
            let mut row = vec![p.to_string()];
            row.extend(sweep.parameters.iter().map(|k| point.parameters.get(k).map(value_text).unwrap_or_default()));
            let stats = report.metrics();
            row.extend(metrics.iter().map(|m| match stats.iter().find(|(n, _)| n == m) {
                Some((_, s)) if s.n > 1 => fmt_mean_ci(s.mean, s.half_width()),
                Some((_, s)) => fmt_num(s.mean),
                None => String::new(),
            }));
            row
        })
        .collect();
    table(&header, &rows)
}
