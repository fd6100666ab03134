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

/// Width the table `dissem sweep` prints by default stays within (columns of text), unless one metric alone
/// exceeds it.
pub const NARROW_COLUMNS: usize = 100;

/// The table `dissem sweep` prints: point, parameters, and each metric's mean ± 95% CI half-width (the mean
/// rounded to what the interval resolves). Unless `wide`, only the first metrics (in the order the model
/// reports them, its headline ones first) that fit in [`NARROW_COLUMNS`] are shown, and a last line says
/// how many are left out.
pub fn summary_table(sweep: &Sweep, reports: &[RunReport], wide: bool) -> String {
    let metrics = union(reports.iter().map(RunReport::metric_names));
    let mut columns: Vec<(String, Vec<String>)> =
        vec![("point".to_owned(), (0..sweep.points.len()).map(|p| p.to_string()).collect())];
    columns.extend(sweep.parameters.iter().map(|k| {
        (
            k.clone(),
            sweep.points.iter().map(|point| point.parameters.get(k).map(value_text).unwrap_or_default()).collect(),
        )
    }));
    let stats: Vec<_> = reports.iter().map(RunReport::metrics).collect();
    let metric_columns = metrics.iter().map(|m| {
        let cells = stats
            .iter()
            .map(|stats| match stats.iter().find(|(n, _)| n == m) {
                Some((_, s)) if s.n > 1 => fmt_mean_ci(s.mean, s.half_width()),
                Some((_, s)) => fmt_num(s.mean),
                None => String::new(),
            })
            .collect();
        (m.clone(), cells)
    });
    let width = |(header, cells): &(String, Vec<String>)| {
        cells.iter().map(|c| c.chars().count()).chain([header.chars().count()]).max().unwrap_or(0) + 2
    };
    let mut used: usize = columns.iter().map(width).sum();
    let mut left_out = 0;
    for column in metric_columns {
        let w = width(&column);
        if wide || left_out == 0 && (used + w <= NARROW_COLUMNS + 2 || columns.len() == 1 + sweep.parameters.len()) {
            used += w;
            columns.push(column);
        } else {
            left_out += 1;
        }
    }
    let header: Vec<&str> = columns.iter().map(|(h, _)| h.as_str()).collect();
    let rows: Vec<Vec<String>> =
        (0..sweep.points.len()).map(|p| columns.iter().map(|(_, cells)| cells[p].clone()).collect()).collect();
    let mut out = table(&header, &rows);
    if left_out > 0 {
        out += &format!("({left_out} more metric(s) in summary.csv; --wide prints them all)\n");
    }
    out
}
