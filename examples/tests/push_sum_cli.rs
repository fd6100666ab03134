//! The example binary `dissem-push-sum` as a user runs it: the shipped scenario passes `check` against
//! its formulas, bad input exits 2 naming the field, the schema lists the new kind, and a recorded
//! command names this binary.

use std::path::PathBuf;
use std::process::{Command, Output};

fn dissem_push_sum(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dissem-push-sum"))
        .args(["--threads", "1"])
        .args(args)
        .output()
        .expect("the example binary runs")
}

fn scenario() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/push-sum.json").display().to_string()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn check_passes_against_the_formula() {
    let out = dissem_push_sum(&["check", &scenario()]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    for metric in ["mass_conserved", "ratio_first", "contraction"] {
        assert!(text.lines().any(|l| l.starts_with("pass") && l.contains(metric)), "{metric} checked:\n{text}");
    }
    assert!(text.ends_with("3 passed, 0 failed\n"), "{text}");
}

#[test]
fn bad_input_exits_2_naming_the_field() {
    let out = dissem_push_sum(&["validate", &scenario(), "--set", "model.rounds=0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("push-sum.json") && err.contains("`model.rounds`"), "{err}");
}

#[test]
fn schema_lists_push_sum_beside_the_builtin_models() {
    let out = dissem_push_sum(&["schema"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("\"push_sum\"") && text.contains("\"aggregation\""));
}

/// The command a JSON output records runs again as it stands: it names this binary, not `dissem`, which
/// has no push-sum model.
#[test]
fn recorded_command_names_this_binary() {
    let out = dissem_push_sum(&["run", &scenario(), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(text.contains("\"command\": \"dissem-push-sum run "), "{text}");
}
