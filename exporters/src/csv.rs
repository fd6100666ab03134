//! CSV exports that pandas and spreadsheets read: one header row, comma-separated, RFC 4180 quoting, every
//! number at full precision (the shortest text that reads back as the same f64).

use runner::RunReport;

use crate::number::fmt_exact;

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

pub(crate) fn line<S: AsRef<str>>(cells: &[S]) -> String {
    cells.iter().map(|c| field(c.as_ref())).collect::<Vec<_>>().join(",") + "\n"
}

/// metric,mean,sd,ci95_lo,ci95_hi,n — one row per metric.
pub fn metrics(report: &RunReport) -> String {
    let mut out = line(&["metric", "mean", "sd", "ci95_lo", "ci95_hi", "n"]);
    for (name, s) in report.metrics() {
        out += &line(&[
            name,
            fmt_exact(s.mean),
            fmt_exact(s.sd),
            fmt_exact(s.ci95.0),
            fmt_exact(s.ci95.1),
            s.n.to_string(),
        ]);
    }
    out
}

/// replicate (its number in the scenario) followed by one column per metric — one row per run.
pub fn runs(report: &RunReport) -> String {
    let names = report.metric_names();
    let mut header = vec!["replicate".to_owned()];
    header.extend(names.iter().cloned());
    let mut out = line(&header);
    for (replicate, run) in (u64::from(report.first_replicate)..).zip(&report.runs) {
        let mut row = vec![replicate.to_string()];
        row.extend(names.iter().map(|n| run.get(n).map(fmt_exact).unwrap_or_default()));
        out += &line(&row);
    }
    out
}

/// index followed by one column per series (mean over replicates); None when there are no series.
pub fn series(report: &RunReport) -> Option<String> {
    columns(&report.series())
}

/// bin followed by one column per distribution (mean over replicates); None when there are none.
pub fn distributions(report: &RunReport) -> Option<String> {
    columns(&report.distributions())
}

fn columns(series: &[(String, Vec<f64>)]) -> Option<String> {
    let len = series.iter().map(|(_, v)| v.len()).max()?;
    let mut header = vec!["index".to_owned()];
    header.extend(series.iter().map(|(n, _)| n.clone()));
    let mut out = line(&header);
    for i in 0..len {
        let mut row = vec![i.to_string()];
        row.extend(series.iter().map(|(_, v)| v.get(i).map(|&x| fmt_exact(x)).unwrap_or_default()));
        out += &line(&row);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(field("abc"), "abc");
        assert_eq!(field("2|E| - (N - 1)"), "2|E| - (N - 1)");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
