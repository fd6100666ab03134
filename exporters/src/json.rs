//! The `--json` document: provenance, metrics with CI, analytic values, series, checks.

use crate::Provenance;
use crate::runs::check_json;
use runner::RunReport;
use serde_json::{Map, Value, json};

/// One JSON document describing a run; key order is fixed, so equal runs give equal bytes.
pub fn run_document(report: &RunReport, provenance: &Provenance) -> Value {
    let mut metrics = Map::new();
    for (name, s) in report.metrics() {
        metrics.insert(name, json!({"mean": s.mean, "sd": s.sd, "ci95": [s.ci95.0, s.ci95.1], "n": s.n}));
    }
    let mut analytic = Map::new();
    let mut formulas = Map::new();
    for a in report.analytic() {
        analytic.insert(a.name.clone(), json!(a.value));
        formulas.insert(a.name, json!({"metric": a.metric, "formula": a.formula, "check": check_json(a.check)}));
    }
    let series: Map<String, Value> = report.series().into_iter().map(|(n, v)| (n, json!(v))).collect();
    let distributions: Map<String, Value> = report.distributions().into_iter().map(|(n, v)| (n, json!(v))).collect();
    let checks: Vec<Value> = report
        .checks()
        .into_iter()
        .map(|c| {
            json!({
                "analytic": c.analytic, "metric": c.metric, "formula": c.formula,
                "simulated_mean": c.simulated.mean, "expected": c.expected, "tolerance": c.tolerance, "pass": c.pass,
            })
        })
        .collect();
    json!({
        "scenario": report.name,
        "model": report.model,
        "seed": report.seed,
        "first_replicate": report.first_replicate,
        "replicates": report.runs.len(),
        "metrics": metrics,
        "analytic": analytic,
        "formulas": formulas,
        "series": series,
        "distributions": distributions,
        "checks": checks,
        "notes": report.notes,
        "provenance": provenance.to_json(),
    })
}

/// Pretty JSON text with a final newline.
pub fn to_text(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("a Value always serialises");
    s.push('\n');
    s
}
