//! The readable summary table printed by `dissem run`, the check lines of `dissem check` and the metric
//! documentation of `dissem metrics`.

use models::{MetricDoc, OutputKind};
use runner::{CheckResult, RunReport};

use crate::number::fmt_num;

/// Renders rows as an aligned plain-text table with a header rule.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, &w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_owned() + "\n"
    };
    let mut out = line(header.to_vec());
    out += &line(widths.iter().map(|&w| "-".repeat(w)).collect::<Vec<_>>().iter().map(String::as_str).collect());
    for row in rows {
        out += &line(row.iter().map(String::as_str).collect());
    }
    out
}

/// Metric, mean, 95% CI and the analytic value(s) predicting it.
pub fn run_summary(report: &RunReport) -> String {
    let analytic = report.analytic();
    let rows: Vec<Vec<String>> = report
        .metrics()
        .into_iter()
        .map(|(name, s)| {
            let predictions: Vec<String> = analytic
                .iter()
                .filter(|a| a.metric == name)
                .map(|a| format!("{} = {}", a.formula, fmt_num(a.value)))
                .collect();
            vec![
                name,
                fmt_num(s.mean),
                format!("[{}, {}]", fmt_num(s.ci95.0), fmt_num(s.ci95.1)),
                predictions.join("; "),
            ]
        })
        .collect();
    let mut out = format!(
        "{} ({}), seed {}, {} replicate{}\n\n",
        report.name,
        report.model,
        report.seed,
        report.runs.len(),
        if report.runs.len() == 1 { "" } else { "s" }
    );
    out += &table(&["metric", "mean", "95% CI", "analytic"], &rows);
    for note in &report.notes {
        out += &format!("note: {note}\n");
    }
    out
}

/// One line per comparison: scenario, formula, simulated mean ± CI half-width, analytic value, verdict.
pub fn check_lines(results: &[CheckResult]) -> String {
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|c| {
            vec![
                if c.pass { "pass" } else { "FAIL" }.to_owned(),
                c.scenario.clone(),
                c.metric.clone(),
                c.formula.clone(),
                format!("{} ± {}", fmt_num(c.simulated.mean), fmt_num(c.simulated.half_width())),
                fmt_num(c.expected),
                if c.tolerance == 0.0 { "exact, every run".to_owned() } else { format!("±{}", fmt_num(c.tolerance)) },
            ]
        })
        .collect();
    table(&["result", "scenario", "metric", "formula", "simulated", "analytic", "tolerance"], &rows)
}

/// `dissem metrics` for one model: a heading with its kind and description, then every declared output
/// with its kind (unless a metric), unit, meaning and formula.
pub fn metric_docs(kind: &str, about: &str, docs: &[MetricDoc]) -> String {
    let mut out = format!("{kind}: {about}\n");
    if docs.is_empty() {
        out += "  (declares no metrics: its `Model::METRICS` is empty)\n";
    }
    for d in docs {
        let what = if d.kind == OutputKind::Metric { String::new() } else { format!(" ({})", d.kind.name()) };
        out += &format!("\n  {}{what} [{}]\n      {}\n      = {}\n", d.name, d.unit, d.meaning, d.formula);
    }
    out
}
