//! The readable summary table printed by `dissem run`, the check lines of `dissem check` and the metric
//! documentation of `dissem metrics`.

use models::{Check, MetricDoc, OutputKind};
use runner::{CheckResult, Connectivity, Level, RunReport};

use crate::number::{fmt_mean_ci, fmt_num};

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

/// The line `dissem validate` adds about the graphs the replicates run on: connected or not (components and
/// the largest), how many random draws were checked, and for G(N, p) the chance of a connected draw.
pub fn connectivity(c: &Connectivity, replicates: u32) -> String {
    /// Disconnected replicates listed by number; the rest are counted.
    const LISTED: usize = 3;
    let part = |&(replicate, components, largest): &(Option<u32>, u32, u32)| {
        let of = format!("{components} components, the largest has {largest} of {} nodes", c.nodes);
        replicate.map_or(of.clone(), |r| format!("replicate {r}: {of}"))
    };
    let mut line = if !c.random {
        match c.disconnected.first() {
            None => format!("topology: connected ({} nodes)", c.nodes),
            Some(d) => format!("topology: disconnected, {}", part(d)),
        }
    } else {
        let checked = if c.checked == replicates {
            format!("all {replicates} replicates checked")
        } else {
            format!("{} of {replicates} replicates checked (the others are drawn when they run)", c.checked)
        };
        let found = match c.disconnected.len() {
            0 => "every graph checked is connected".to_owned(),
            n => {
                let listed: Vec<String> = c.disconnected.iter().take(LISTED).map(part).collect();
                let more = if n > LISTED { format!("; {} more", n - LISTED) } else { String::new() };
                format!("{n} disconnected ({}{more})", listed.join("; "))
            }
        };
        format!("topology: random, drawn per replicate; {checked}; {found}")
    };
    if let Some(p) = c.erdos_renyi_connected {
        line += &format!("; G(N, p) is connected with probability about {} (e^(-N(1-p)^(N-1)))", fmt_num(p));
    }
    line + "\n"
}

/// The table alone (notes on what loading the topology merged or dropped go to standard error, printed by
/// the binary): metric, mean ± 95% CI half-width (the mean rounded to what the interval resolves; the mean alone for one
/// replicate) and the analytic value(s) predicting it.
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
            let mean = if s.n > 1 { fmt_mean_ci(s.mean, s.half_width()) } else { fmt_num(s.mean) };
            vec![name, mean, predictions.join("; ")]
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
    out += &table(&["metric", "mean ± 95% CI", "analytic"], &rows);
    out
}

/// Fewest replicates whose 95% interval is shown without a warning: below 5 the Student-t factor (4.30 at
/// n = 3, 12.7 at n = 2) makes the interval too wide, and the sample sd too unstable, to mean much.
pub const MIN_REPLICATES_FOR_CI: usize = 5;

/// The warning for a 95% interval computed from `n` runs, when 1 < n < [`MIN_REPLICATES_FOR_CI`].
pub fn few_replicates(n: usize) -> Option<String> {
    (2..MIN_REPLICATES_FOR_CI).contains(&n).then(|| {
        format!(
            "95% intervals from {n} replicates are {:.1} standard errors wide each side and rest on an unstable sd; \
             use --replicates {MIN_REPLICATES_FOR_CI} or more",
            Level::P95.t_quantile(n - 1)
        )
    })
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
                fmt_mean_ci(c.simulated.mean, c.simulated.half_width()),
                fmt_num(c.expected),
                tolerance(c),
            ]
        })
        .collect();
    table(&["result", "scenario", "metric", "formula", "simulated", "analytic", "tolerance"], &rows)
}

/// The tolerance column of a comparison, in check lines and on reproduce pages: an exact check compares
/// every run; a statistical one the mean, within its interval (and slack), which one value does not give and
/// no value leaves undefined.
pub fn tolerance(c: &CheckResult) -> String {
    match (c.check, c.simulated.n) {
        (Check::Exact, _) => "exact, every run".to_owned(),
        (_, 0) => "none: no run reports it".to_owned(),
        (_, 1) if c.tolerance == 0.0 => "none: 1 replicate, no interval".to_owned(),
        _ => format!("±{}", fmt_num(c.tolerance)),
    }
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
