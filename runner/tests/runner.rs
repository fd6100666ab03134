//! Integration tests of the runner crate: parse → prepare → run, determinism, checks.

use runner::{NoInputs, Prepared, Registry, ScenarioError, parse};
use serde_json::json;

const RING: &str = r#"{
  "seed": 11, "replicates": 6,
  "topology": {"kind": "ring", "nodes": 200},
  "network": {"latency": {"kind": "uniform", "min": 1, "max": 20}},
  "model": {"kind": "flooding"}
}"#;

fn prepared(text: &str, overrides: &[(String, serde_json::Value)]) -> Prepared {
    prepare(text, overrides).unwrap()
}

/// The error preparing a scenario that parses.
fn refused(text: &str) -> ScenarioError {
    prepare(text, &[]).err().unwrap()
}

fn prepare(text: &str, overrides: &[(String, serde_json::Value)]) -> Result<Prepared, ScenarioError> {
    let registry = Registry::builtin();
    Prepared::new(parse(text, "test.json", overrides, &registry).unwrap(), "test.json", &NoInputs, &registry)
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

#[test]
fn results_do_not_depend_on_threads() {
    let p = prepared(RING, &[]);
    let one = in_pool(1, || p.run_all(&|| ()).unwrap());
    let two = in_pool(2, || p.run_all(&|| ()).unwrap());
    assert_eq!(one.runs, two.runs);
    // Random latencies make replicates differ from each other.
    assert_ne!(one.runs[0].get("completion_time"), one.runs[1].get("completion_time"));
}

/// Replicate 0's random graph, drawn when the scenario is prepared, is kept for its run: whichever way the run
/// gets it (kept, drawn again, after the connectivity check), the outcome is the same.
#[test]
fn replicate_zero_runs_alike_on_its_kept_or_redrawn_graph() {
    let text = r#"{
      "seed": 5, "replicates": 3,
      "topology": {"kind": "erdos_renyi", "nodes": 300, "p": 0.01},
      "network": {"latency": {"kind": "uniform", "min": 1, "max": 20}},
      "model": {"kind": "flooding"}
    }"#;
    let p = prepared(text, &[]);
    let on_kept = p.connectivity(u64::MAX).unwrap();
    assert_eq!(on_kept.checked, 3);
    let first = p.run_replicate(0).unwrap();
    // Checking replicates 1 and 2 dropped the kept graph: what follows draws it again.
    assert_eq!(p.connectivity(u64::MAX).unwrap(), on_kept);
    assert_eq!(p.run_replicate(0).unwrap(), first);
    assert_ne!(p.run_replicate(1).unwrap(), first);
    assert_eq!(prepared(text, &[]).run_replicate(0).unwrap(), first);
}

/// One run on several threads: anti-entropy on the complete graph of 4·4096 + 100 nodes (five chunks of
/// turns, the last one short) gives the same bytes on 1, 2 and 3 threads, in every mode, with loss too
/// (the chunks' own network streams), with replicates and chunks sharing the pool.
#[test]
fn one_run_gives_the_same_bytes_on_any_number_of_threads() {
    let n = 4 * models::gossip::CHUNK_NODES + 100;
    for (mode, loss) in [("push", 0.0), ("pull", 0.0), ("push_pull", 0.0), ("push_pull", 0.1)] {
        let text = json!({
            "seed": 5, "replicates": 2,
            "topology": {"kind": "complete", "nodes": n},
            "network": {"loss": loss},
            // Written after round 1, so that no exact chain is computed: the test is about bytes.
            "model": {"kind": "anti_entropy", "mode": mode, "updates": [{"at": 1}]}
        })
        .to_string();
        let p = prepared(&text, &[]);
        let [one, two, three] = [1, 2, 3].map(|threads| {
            let report = in_pool(threads, || p.run_all(&|| ()).unwrap());
            format!("{:?} {:?}", report.runs, report.checks())
        });
        assert_eq!(one, two, "{mode}, loss {loss}");
        assert_eq!(one, three, "{mode}, loss {loss}");
        assert!(one.contains("\"converged\", 1.0"), "{one}");
    }
}

#[test]
fn seeds_change_results_and_replicates_are_streams_of_one_seed() {
    let a = prepared(RING, &[]).run_all(&|| ()).unwrap();
    let b = prepared(RING, &[("seed".into(), json!(12))]).run_all(&|| ()).unwrap();
    assert_ne!(a.runs, b.runs);
    let first_two = prepared(RING, &[("replicates".into(), json!(2))]).run_all(&|| ()).unwrap();
    assert_eq!(first_two.runs[..], a.runs[..2]);
}

#[test]
fn full_flooding_checks_pass_and_a_wrong_expectation_fails() {
    let report = prepared(RING, &[]).run_all(&|| ()).unwrap();
    let checks = report.checks();
    assert!(checks.iter().any(|c| c.metric == "messages" && c.expected == 2.0 * 200.0 - 199.0));
    assert!(checks.iter().all(|c| c.pass), "{checks:?}");

    // Loss breaks the exact formula, so no exact check may be claimed.
    let lossy = prepared(RING, &[("network.loss".into(), json!(0.1))]).run_all(&|| ()).unwrap();
    assert!(lossy.checks().is_empty());
}

#[test]
fn oversized_scenarios_are_refused_before_allocating() {
    let text = r#"{"topology": {"kind": "complete", "nodes": 4000000000}, "model": {"kind": "flooding"}}"#;
    let err = refused(text);
    assert_eq!(err.field, "topology");
    assert!(err.message.contains("memory"), "{err}");
}

#[test]
fn model_errors_name_the_field() {
    let text = r#"{"topology": {"kind": "ring", "nodes": 10}, "model": {"kind": "flooding", "source": 10}}"#;
    let err = refused(text);
    assert_eq!(err.field, "model.source");
    let text = r#"{"topology": {"kind": "ring", "nodes": 10}, "network": {"latency": {"kind": "edge_weight"}},
                   "model": {"kind": "flooding"}}"#;
    let err = refused(text);
    assert_eq!(err.field, "network.latency.kind");
}
