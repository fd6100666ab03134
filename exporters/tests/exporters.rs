//! Snapshot tests of every exporter (text table, check lines, JSON document, CSV files) on two small
//! deterministic scenarios: flooding on a ring with random latencies, and the lecture's ALM example.

use exporters::Provenance;
use runner::{NoInputs, Prepared, Registry, RunReport, parse};

fn report(text: &str) -> RunReport {
    prepared(text).run_all(&|| ()).expect("runs")
}

fn prepared(text: &str) -> Prepared {
    let scenario = parse(text, "snapshot.json", &[], &Registry::builtin()).expect("valid scenario");
    Prepared::new(scenario, "snapshot.json", &NoInputs, &Registry::builtin()).expect("prepares")
}

const FLOODING: &str = r#"{"name": "ring-flood", "seed": 5, "replicates": 4,
    "topology": {"kind": "ring", "nodes": 60},
    "network": {"latency": {"kind": "uniform", "min": 1, "max": 9}},
    "model": {"kind": "flooding"}}"#;

/// The provenance `dissem run snapshot.json` gives the flooding scenario.
fn flooding_provenance() -> Provenance {
    Provenance::new("dissem run snapshot.json".into(), &prepared(FLOODING).scenario)
}

fn flooding() -> RunReport {
    report(FLOODING)
}

fn alm() -> RunReport {
    report(
        r#"{"name": "alm-lecture",
            "topology": {"kind": "edges", "edges": ["Ra Rb 7", "Ra Re 30", "Re Rc 20", "Rc Rd 5", "Rb Rd 40",
                         "A Ra 1", "B Rb 1", "C Rc 1", "D Rd 1", "E Re 1"], "hosts": ["A", "B", "C", "D", "E"]},
            "model": {"kind": "alm", "groups": [{"name": "from_b",
                      "tree": {"root": "A", "edges": [["A", "B"], ["B", "E"], ["E", "D"], ["D", "C"]]},
                      "source": {"node": "B"}, "report_members": ["C"]}],
                      "expect": [{"metric": "from_b.stretch.C", "value": "73/47"}]}}"#,
    )
}

#[test]
fn flooding_table() {
    insta::assert_snapshot!(exporters::text::run_summary(&flooding()));
}

#[test]
fn flooding_checks() {
    insta::assert_snapshot!(exporters::text::check_lines(&flooding().checks()));
}

#[test]
fn flooding_json() {
    insta::assert_snapshot!(exporters::json::to_text(&exporters::json::run_document(
        &flooding(),
        &flooding_provenance()
    )));
}

#[test]
fn flooding_csv() {
    let r = flooding();
    insta::assert_snapshot!("metrics_csv", exporters::csv::metrics(&r));
    insta::assert_snapshot!("runs_csv", exporters::csv::runs(&r));
}

#[test]
fn alm_table_and_distributions() {
    let r = alm();
    insta::assert_snapshot!("alm_table", exporters::text::run_summary(&r));
    insta::assert_snapshot!("alm_distributions_csv", exporters::csv::distributions(&r).expect("histograms"));
}

#[test]
fn run_artifacts_are_the_exporters_output() {
    let r = flooding();
    let files = exporters::run_artifacts(&r, &flooding_provenance());
    let names: Vec<&str> = files.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(names, ["result.json", "metrics.csv", "runs.csv"]);
    assert_eq!(files[1].bytes, exporters::csv::metrics(&r).into_bytes());
}

/// A replicate run alone is that replicate of the whole run, and keeps its number.
#[test]
fn one_replicate_alone_is_that_replicate() {
    let all = flooding();
    let one = prepared(FLOODING).run_only(2, &models::Unobserved).expect("runs");
    assert_eq!(one.runs, all.runs[2..3]);
    let csv = exporters::csv::runs(&one);
    assert!(csv.lines().nth(1).is_some_and(|row| row.starts_with("2,")), "{csv}");
}

/// `dissem metrics`: every built-in model's declared outputs, one snapshot per model.
#[test]
fn metric_documentation() {
    let registry = Registry::builtin();
    for kind in registry.kinds() {
        let (about, docs) = registry.documentation(kind).expect("registered");
        insta::assert_snapshot!(format!("metrics_{kind}"), exporters::text::metric_docs(kind, about, docs));
    }
}

/// The tolerance column says what each comparison allowed: a statistical check with one replicate has no
/// interval, and one of a metric no run reports has no tolerance at all, rather than "exact" or "±NaN".
#[test]
fn check_lines_name_a_missing_interval() {
    use models::Check;
    use sim_core::stats::Summary;
    let result = |metric: &str, check: Check, values: &[f64], tolerance: f64| runner::CheckResult {
        scenario: "s".into(),
        analytic: metric.into(),
        metric: metric.into(),
        formula: "f".into(),
        check,
        simulated: Summary::of(values),
        expected: 0.5,
        tolerance,
        pass: false,
    };
    let ci = Check::WithinCi { rel_slack: 0.0 };
    let lines = exporters::text::check_lines(&[
        result("exact", Check::Exact, &[0.5], 0.0),
        result("one", ci, &[0.4], 0.0),
        result("none", ci, &[], f64::NAN),
        result("two", ci, &[0.4, 0.6], 1.27),
    ]);
    let tolerance = |metric: &str| {
        let line = lines.lines().find(|l| l.split_whitespace().nth(2) == Some(metric)).expect("a line per check");
        line.split("  ").filter(|c| !c.is_empty()).last().unwrap().trim().to_owned()
    };
    assert_eq!(tolerance("exact"), "exact, every run");
    assert_eq!(tolerance("one"), "none: 1 replicate, no interval");
    assert_eq!(tolerance("none"), "none: no run reports it");
    assert_eq!(tolerance("two"), "±1.27");
}
