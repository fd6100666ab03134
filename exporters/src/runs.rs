//! The `runs.jsonl` row codec: one JSON line per finished run of a sweep (run, point, replicate, seed,
//! parameters, metrics, analytic values). Written as runs finish, read back by resume, merge and plots;
//! reading a line gives back exactly the row that wrote it.

use models::{Analytic, Check, Outcome};
use runner::sweep::RunRow;
use serde_json::{Map, Value, json};

/// One line of `runs.jsonl`, with its newline; NaN metrics are written as null.
pub fn line(row: &RunRow) -> String {
    let metrics: Map<String, Value> = row.outcome.metrics.iter().map(|(n, v)| (n.clone(), json!(v))).collect();
    let analytic: Map<String, Value> = row
        .outcome
        .analytic
        .iter()
        .map(|a| {
            let value =
                json!({"metric": a.metric, "formula": a.formula, "value": a.value, "check": check_json(a.check)});
            (a.name.clone(), value)
        })
        .collect();
    let row = json!({
        "run": row.run, "point": row.point, "replicate": row.replicate, "seed": row.seed,
        "parameters": row.parameters, "metrics": metrics, "analytic": analytic,
    });
    let mut line = row.to_string();
    line.push('\n');
    line
}

/// Reads a line written by [`line()`].
pub fn parse_line(line: &str) -> Result<RunRow, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not a JSON row: {e}"))?;
    let int = |k: &str| v.get(k).and_then(Value::as_u64).ok_or_else(|| format!("row without integer `{k}`"));
    let object = |k: &str| v.get(k).and_then(Value::as_object).ok_or_else(|| format!("row without object `{k}`"));
    let metrics = object("metrics")?.iter().map(|(n, x)| (n.clone(), x.as_f64().unwrap_or(f64::NAN))).collect();
    let analytic = object("analytic")?
        .iter()
        .map(|(name, a)| {
            let text = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_owned);
            Some(Analytic {
                name: name.clone(),
                metric: text("metric")?,
                formula: text("formula")?,
                value: a.get("value")?.as_f64().unwrap_or(f64::NAN),
                check: check_from_json(a.get("check")?)?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| format!("malformed analytic values in row {}", int("run").unwrap_or(0)))?;
    Ok(RunRow {
        run: int("run")?,
        point: int("point")?,
        replicate: u32::try_from(int("replicate")?).map_err(|e| e.to_string())?,
        seed: int("seed")?,
        parameters: object("parameters")?.clone(),
        outcome: Outcome { metrics, analytic, ..Outcome::default() },
    })
}

/// A `Check` as JSON: "exact", "reference", "within_ci_integer", {"within_ci": {"rel_slack": x}} or
/// {"within_ci_count": {"rel_slack": x, "unit": u}}.
pub fn check_json(check: Check) -> Value {
    match check {
        Check::Exact => json!("exact"),
        Check::WithinCi { rel_slack } => json!({"within_ci": {"rel_slack": rel_slack}}),
        Check::WithinCiCount { rel_slack, unit } => json!({"within_ci_count": {"rel_slack": rel_slack, "unit": unit}}),
        Check::WithinCiInteger => json!("within_ci_integer"),
        Check::Reference => json!("reference"),
    }
}

fn check_from_json(v: &Value) -> Option<Check> {
    match v.as_str() {
        Some("exact") => Some(Check::Exact),
        Some("reference") => Some(Check::Reference),
        Some("within_ci_integer") => Some(Check::WithinCiInteger),
        _ => match (v.get("within_ci"), v.get("within_ci_count")) {
            (Some(w), _) => Some(Check::WithinCi { rel_slack: w.get("rel_slack")?.as_f64()? }),
            (_, Some(w)) => {
                Some(Check::WithinCiCount { rel_slack: w.get("rel_slack")?.as_f64()?, unit: w.get("unit")?.as_f64()? })
            }
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field survives a write and a read, NaN metrics included (written as null), and the line reads
    /// back to the same bytes, which resume and merge rely on.
    #[test]
    fn rows_round_trip_to_the_same_bytes() {
        let mut outcome = Outcome::default();
        // 11.222222222222221 reads back as 11.22222222222222 without serde_json's exact float parsing.
        outcome.metric("coverage", 0.75).metric("t_ave", f64::NAN).metric("ratio", 11.222222222222221);
        outcome.analytic("m", "messages", "2|E| - (N - 1)", 61.0, Check::Exact);
        outcome.analytic("s", "residual", "e^-m", 0.2, Check::WithinCiCount { rel_slack: 0.0, unit: 1e-4 });
        outcome.analytic("r", "rounds", "log3 N", 12.5, Check::WithinCi { rel_slack: 0.05 });
        outcome.analytic("e", "messages", "|E|", 60.0, Check::Reference);
        outcome.analytic("t", "rounds", "E[T]", 9.15, Check::WithinCiInteger);
        let mut parameters = Map::new();
        parameters.insert("model.p_flood".into(), json!(0.5));
        let row = RunRow { run: 7, point: 2, replicate: 1, seed: u64::MAX, parameters, outcome };
        let text = line(&row);
        assert!(text.ends_with('\n') && text.contains("\"t_ave\":null"), "{text}");
        let back = parse_line(&text).unwrap();
        assert_eq!(line(&back), text);
        assert!(back.outcome.get("t_ave").unwrap().is_nan());
        assert_eq!(back.outcome.analytic, row.outcome.analytic);
        assert_eq!((back.run, back.point, back.replicate, back.seed), (7, 2, 1, u64::MAX));
        assert_eq!(parse_line("{\"run\": 1}").unwrap_err(), "row without object `metrics`");
    }
}
