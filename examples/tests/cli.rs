//! The example binaries as a user runs them. `dissem-push-sum`: the shipped scenario passes `check` against
//! its formulas, bad input exits 2 naming the field, the schema lists the new kind, and a recorded command
//! names this binary. `dissem-ttl-push`: one rule checked against one formula in rounds and event-driven,
//! a spread traced, and its reproduce page.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the example binary at `path` on one thread.
fn example_binary(path: &str, args: &[&str]) -> Output {
    Command::new(path).args(["--threads", "1"]).args(args).output().expect("the example binary runs")
}

fn dissem_push_sum(args: &[&str]) -> Output {
    example_binary(env!("CARGO_BIN_EXE_dissem-push-sum"), args)
}

fn dissem_ttl_push(args: &[&str]) -> Output {
    example_binary(env!("CARGO_BIN_EXE_dissem-ttl-push"), args)
}

fn example(file: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(file).display().to_string()
}

fn scenario() -> String {
    example("push-sum.json")
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

/// Fanout push with a TTL: the same rule passes the same exact reach formula in synchronous rounds and
/// event-driven with latency and loss, and every informed node sends fanout × ttl messages.
#[test]
fn ttl_push_checks_in_both_timings() {
    let out = dissem_ttl_push(&["check", &example("ttl-push.json"), &example("ttl-push-events.json")]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    for scenario in ["ttl-push ", "ttl-push-events "] {
        for metric in ["reach", "messages_per_informed"] {
            let checked = |l: &&str| l.starts_with("pass") && l.contains(scenario) && l.contains(metric);
            assert!(text.lines().any(|l| checked(&l)), "{scenario}{metric} checked:\n{text}");
        }
    }
    assert!(text.ends_with("4 passed, 0 failed\n"), "{text}");
}

/// A traced replicate: the source informs itself at time 0, then pushes `rumor` messages, and every other node
/// reported informed is reported right after the delivery that informed it (same time, sender and receiver).
#[test]
fn ttl_push_traces_its_spread() {
    let dir = std::env::temp_dir().join(format!("dissem-ttl-push-trace-{}", std::process::id()));
    let trace = dir.join("trace.jsonl");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dissem_ttl_push(&["run", &example("ttl-push.json"), "--trace", trace.to_str().unwrap()]);
    let text = std::fs::read_to_string(&trace).unwrap_or_default();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut lines = text.lines();
    assert!(lines.next().is_some_and(|l| l.contains(r#""time":0,"kind":"inform","from":0,"to":0"#)), "{text}");
    assert!(text.contains(r#""kind":"send","from":0,"#) && text.contains(r#""message":"rumor""#));
    let steps: Vec<&str> = text.lines().collect();
    let mut informed = 1;
    for pair in steps.windows(2).filter(|w| w[1].contains(r#""kind":"inform""#)) {
        let delivery = pair[1].replace(r#""kind":"inform""#, r#""kind":"deliver""#).replace("update", "rumor");
        assert_eq!(pair[0], delivery, "an inform step not preceded by its delivery");
        informed += 1;
    }
    assert!(informed > 1 && informed <= 200, "{informed} informed");
}

/// The example's reproduce item gives a page whose checks pass and whose commands name this binary.
#[test]
fn ttl_push_page_names_this_binary() {
    let dir = std::env::temp_dir().join(format!("dissem-ttl-push-pages-{}", std::process::id()));
    let items = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sweeps/reproduce");
    let out = dissem_ttl_push(&["reproduce", "--items", items.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    let page = std::fs::read_to_string(dir.join("ttl-push-reach/README.md")).unwrap_or_default();
    let plotted = dir.join("ttl-push-reach/reach.svg").exists();
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(plotted && page.contains("regenerate: `dissem-ttl-push reproduce ttl-push-reach`"), "{page}");
    assert!(page.contains("`dissem-ttl-push run BASE") && page.contains("16 of 16 pass"), "{page}");
}
