//! From text to a checked `Scenario`: JSON syntax, --set overrides, types and unknown fields, value ranges.

use serde_json::Value;

use crate::error::ScenarioError;
use crate::overrides::set_path;
use crate::registry::Registry;
use crate::spec::{LatencySpec, MAX_EXPONENTIAL_MEAN, MAX_REPLICATES, MAX_SEED, Scenario, TopologySpec};

/// Parses a scenario from JSON text, applies `overrides` (dotted path, value), reads the model's parameters
/// as the `registry` model of that kind, and checks value ranges that do not need the topology. `origin`
/// names the source in errors (usually the file path).
pub fn parse(
    text: &str,
    origin: &str,
    overrides: &[(String, Value)],
    registry: &Registry,
) -> Result<Scenario, ScenarioError> {
    let mut doc = crate::json::parse(text).map_err(|e| ScenarioError::from_json(origin, e))?;
    for (path, value) in overrides {
        set_path(&mut doc, path, value.clone())
            .map_err(|m| ScenarioError::new(origin, path.as_str(), format!("--set: {m}")))?;
    }
    parse_value(doc, origin, registry)
}

/// Most JSON values a scenario may hold. Reading one, filling in a model's defaults and checking it take
/// about [`PEAK_BYTES_PER_VALUE`] and 30 µs per value in the worst case (anti-entropy `updates` written as
/// `{}`): at this bound, 2^18 × 2 KB = 512 MiB and about 8 s. The longest lists written by hand are far
/// shorter, and a large graph belongs in an edge-list file. What a parsed scenario keeps afterwards is less,
/// about 512 B per value (`PARSED_BYTES_PER_VALUE` in sweep.rs, which counts a sweep's parsed points
/// against the budget).
pub const MAX_SCENARIO_VALUES: u64 = 1 << 18;

/// Memory reading and checking a scenario takes at its peak, per JSON value: the worst case above, measured
/// on anti-entropy `updates`. 512 MiB at [`MAX_SCENARIO_VALUES`] can exceed a budget set lower (dissem
/// --memory-budget, or an address-space limit), so it is counted against the budget too.
const PEAK_BYTES_PER_VALUE: u64 = 2 << 10;

/// [`parse`] for a document already read (a sweep's points).
pub(crate) fn parse_value(doc: Value, origin: &str, registry: &Registry) -> Result<Scenario, ScenarioError> {
    let values = crate::json::count_values(&doc);
    if values > MAX_SCENARIO_VALUES {
        let bulkiest = crate::json::bulkiest(&doc);
        return Err(ScenarioError::new(
            origin,
            bulkiest.as_str(),
            format!(
                "the scenario holds {values} JSON values, more than the {MAX_SCENARIO_VALUES} allowed; shorten \
                 `{bulkiest}` (a large graph belongs in an edge-list file: topology kind edge_list)"
            ),
        ));
    }
    let (peak, budget) = (values.saturating_mul(PEAK_BYTES_PER_VALUE), registry.memory_budget());
    if peak > budget {
        let bulkiest = crate::json::bulkiest(&doc);
        return Err(ScenarioError::new(
            origin,
            bulkiest.as_str(),
            format!(
                "the scenario holds {values} JSON values, about {} to read and check, more than the {} budget; \
                 shorten `{bulkiest}` or raise the budget (dissem --memory-budget)",
                crate::run::human_bytes(peak),
                crate::run::human_bytes(budget)
            ),
        ));
    }
    let mut scenario: Scenario =
        crate::json::from_value(doc).map_err(|(path, message)| ScenarioError::from_serde(origin, &path, &message))?;
    registry
        .normalize(&mut scenario.model)
        .map_err(|(field, message)| ScenarioError::from_serde(origin, &field, &message))?;
    if scenario.name.is_empty() {
        scenario.name = default_name(origin);
    }
    check_ranges(&scenario, origin)?;
    Ok(scenario)
}

/// Why a seed above [`MAX_SEED`] is refused.
pub(crate) fn seed_message(seed: u64) -> String {
    format!(
        "must be at most 2^53 − 1 = {MAX_SEED} (JSON readers such as JavaScript, jq and pandas hold larger integers \
         inexactly, so a written seed would come back changed), got {seed}"
    )
}

fn default_name(origin: &str) -> String {
    let file = origin.rsplit(['/', '\\']).next().unwrap_or(origin);
    file.strip_suffix(".json").unwrap_or(file).to_owned()
}

fn check_ranges(s: &Scenario, origin: &str) -> Result<(), ScenarioError> {
    let err = |field: &str, msg: String| Err(ScenarioError::new(origin, field, msg));
    if !(1..=MAX_REPLICATES).contains(&s.replicates) {
        return err("replicates", format!("must be from 1 to {MAX_REPLICATES}, got {}", s.replicates));
    }
    if s.seed > MAX_SEED {
        return err("seed", seed_message(s.seed));
    }
    if let TopologySpec::Grid(g) = &s.topology
        && let Some((field, _)) = [("topology.rows", g.rows), ("topology.cols", g.cols)].into_iter().find(|f| f.1 == 0)
    {
        return err(field, "must be at least 1, got 0".into());
    }
    if let nodes @ 0..2 = s.topology.size_estimate().nodes {
        let field = match s.topology {
            TopologySpec::EdgeList(_) | TopologySpec::Graphml(_) | TopologySpec::Gml(_) | TopologySpec::Edges(_) => {
                None
            }
            TopologySpec::Grid(_) | TopologySpec::TransitStub(_) => Some("topology"),
            _ => Some("topology.nodes"),
        };
        if let Some(field) = field {
            return err(field, format!("needs at least 2 nodes, got {nodes}"));
        }
    }
    if !(0.0..=1.0).contains(&s.network.loss) {
        return err("network.loss", format!("must be a probability in [0, 1], got {}", s.network.loss));
    }
    match &s.network.latency {
        LatencySpec::Uniform(u) if u.min > u.max => {
            return err("network.latency", format!("min ({}) must not exceed max ({})", u.min, u.max));
        }
        LatencySpec::Exponential(e) if !(e.mean > 0.0 && e.mean <= MAX_EXPONENTIAL_MEAN) => {
            return err(
                "network.latency.mean",
                format!(
                    "must be a positive number of at most {MAX_EXPONENTIAL_MEAN:e} (samples reach 37 times the \
                     mean, and times stay below 2^32), got {}",
                    e.mean
                ),
            );
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RING: &str = r#"{"topology": {"kind": "ring", "nodes": 10}, "model": {"kind": "flooding"}}"#;

    fn error_of(text: &str) -> ScenarioError {
        parse(text, "s.json", &[], &Registry::builtin()).unwrap_err()
    }

    #[test]
    fn parses_with_defaults_and_overrides() {
        let s = parse(
            RING,
            "dir/ring.json",
            &[("topology.nodes".into(), json!(20)), ("seed".into(), json!(9))],
            &Registry::builtin(),
        )
        .unwrap();
        assert_eq!(s.name, "ring");
        assert_eq!(s.seed, 9);
        assert_eq!(s.topology, TopologySpec::Ring(crate::spec::NodesSpec { nodes: 20 }));
    }

    #[test]
    fn errors_name_the_field() {
        let e = error_of(r#"{"topology": {"kind": "ring", "nodes": "ten"}, "model": {"kind": "flooding"}}"#);
        assert_eq!(e.field, "topology.nodes", "{e}");
        assert!(e.message.contains("invalid type"), "{e}");

        let e =
            error_of(r#"{"topology": {"kind": "ring", "nodes": 10}, "model": {"kind": "flooding", "p_flood": "x"}}"#);
        assert_eq!(e.field, "model.p_flood", "{e}");

        let e = error_of(r#"{"topology": {"kind": "ring", "nodes": 10, "nods": 1}, "model": {"kind": "flooding"}}"#);
        assert!(e.message.contains("unknown field `nods`"), "{e}");

        let e = error_of(r#"{"topology": {"kind": "rung", "nodes": 10}, "model": {"kind": "flooding"}}"#);
        assert_eq!(e.field, "topology.kind", "{e}");
        assert!(e.message.contains("\"ring\""), "{e}");

        let e = error_of(r#"{"topology": {"kind": "ring", "nodes": 10}, "model": {"kind": "flooding"}, "extra": 1}"#);
        assert!(e.message.contains("unknown field `extra`"), "{e}");

        let e = error_of(r#"{"topology": {"kind": "ring", "nodes": 1}, "model": {"kind": "flooding"}}"#);
        assert_eq!(e.field, "topology.nodes");
        let e = error_of(r#"{"topology": {"kind": "grid", "rows": 3, "cols": 0}, "model": {"kind": "flooding"}}"#);
        assert_eq!((e.field.as_str(), e.message.as_str()), ("topology.cols", "must be at least 1, got 0"));

        let e = error_of(
            r#"{"topology": {"kind": "ring", "nodes": 5}, "network": {"loss": 1.5}, "model": {"kind": "flooding"}}"#,
        );
        assert_eq!(e.field, "network.loss");

        let e = error_of("{not json");
        assert!(e.message.contains("not valid JSON"), "{e}");
        assert!(e.to_string().starts_with("s.json: "), "{e}");
    }

    #[test]
    fn duplicate_keys_and_arrays_for_objects_are_refused() {
        let e = error_of(
            r#"{"topology": {"kind": "ring", "nodes": 10}, "topology": {"kind": "complete", "nodes": 9},
            "model": {"kind": "flooding"}}"#,
        );
        assert_eq!(e.field, "topology", "{e}");
        assert!(e.message.contains("twice"), "{e}");
        let e = error_of(r#"{"topology": {"kind": "ring", "nodes": 10, "nodes": 10}, "model": {"kind": "flooding"}}"#);
        assert_eq!(e.field, "topology.nodes", "{e}");
        assert!(error_of("[]").message.contains("expected an object"));
        let e = error_of(r#"[[], {"kind": "ring", "nodes": 10}, [], {"kind": "flooding"}]"#);
        assert!(e.message.contains("expected an object"), "{e}");
        for (text, field) in [
            (r#"{"topology": {"kind": "ring", "nodes": 10}, "network": [], "model": {"kind": "flooding"}}"#, "network"),
            (
                r#"{"topology": {"kind": "grid", "rows": 2, "cols": 2}, "network": {"latency": {"kind": "edge_weight"},
                    "loss": 0}, "model": {"kind": "flooding"}, "description": []}"#,
                "description",
            ),
        ] {
            assert_eq!(error_of(text).field, field, "{text}");
        }
        let bom = format!("\u{feff}{RING}");
        assert_eq!(parse(&bom, "s.json", &[], &Registry::builtin()).unwrap().name, "s");
    }

    /// `Model::check`: what the parameters alone decide is refused as the file is read, before a topology is
    /// built or memory estimated from them.
    #[test]
    fn model_ranges_are_checked_when_read() {
        for (model, field) in [
            (r#"{"kind": "chord", "lookups": 20000000}"#, "model.lookups"),
            (r#"{"kind": "chord", "ring": {"bits": 65}}"#, "model.ring.bits"),
            (r#"{"kind": "chord", "timing": {"kind": "events", "successors": 0}}"#, "model.timing.successors"),
            (
                r#"{"kind": "alm", "groups": [{}], "overlay": {"kind": "chord", "candidates": 0}}"#,
                "model.overlay.candidates",
            ),
            (
                r#"{"kind": "alm", "timing": {"kind": "events",
                    "churn": {"multicast_every": 1, "heartbeat": 1, "multicasts": 0}}}"#,
                "model.timing.churn.multicasts",
            ),
        ] {
            let text = format!(r#"{{"topology": {{"kind": "complete", "nodes": 4294967295}}, "model": {model}}}"#);
            assert_eq!(error_of(&text).field, field, "{model}");
        }
    }

    #[test]
    fn scenarios_of_too_many_values_are_refused_naming_the_bulkiest_list() {
        let updates = vec![json!({}); MAX_SCENARIO_VALUES as usize];
        let doc = json!({"topology": {"kind": "complete", "nodes": 10},
                          "model": {"kind": "anti_entropy", "updates": updates}});
        let e = error_of(&doc.to_string());
        assert_eq!(e.field, "model.updates");
        assert!(e.message.contains(&format!("more than the {MAX_SCENARIO_VALUES} allowed")), "{}", e.message);
    }

    /// Reading a scenario is counted against the memory budget: within the value bound, a budget smaller than
    /// what reading takes at its peak refuses it, naming the bulkiest list.
    #[test]
    fn reading_a_scenario_counts_against_the_memory_budget() {
        let updates = vec![json!({}); 1000];
        let doc = json!({"topology": {"kind": "complete", "nodes": 10},
                          "model": {"kind": "anti_entropy", "updates": updates}})
        .to_string();
        let small = Registry::builtin().with_memory_budget(1 << 20);
        let e = parse(&doc, "s.json", &[], &small).unwrap_err();
        assert_eq!(e.field, "model.updates");
        assert!(e.message.contains("to read and check, more than the 1.0 MiB budget"), "{}", e.message);
        assert!(parse(&doc, "s.json", &[], &Registry::builtin().with_memory_budget(8 << 20)).is_ok());
    }

    #[test]
    fn replicates_and_times_are_bounded() {
        let with = |extra: &str| {
            format!(r#"{{"topology": {{"kind": "ring", "nodes": 10}}, "model": {{"kind": "flooding"}}{extra}}}"#)
        };
        let e = error_of(&with(r#", "replicates": 4294967295"#));
        assert_eq!(e.field, "replicates");
        assert!(e.message.contains("100000"), "{e}");
        let e = error_of(&with(r#", "seed": 9007199254740992"#));
        assert_eq!(e.field, "seed", "a seed JSON readers would change (2^53)");
        assert!(parse(&with(r#", "seed": 9007199254740991"#), "s.json", &[], &Registry::builtin()).is_ok());
        let latency = |l: &str| with(&format!(r#", "network": {{"latency": {l}}}"#));
        for (l, field) in [
            (r#"{"kind": "constant", "value": 18446744073709551615}"#, "network.latency.value"),
            (r#"{"kind": "constant", "value": 4294967296}"#, "network.latency.value"),
            (r#"{"kind": "uniform", "min": 0, "max": 18446744073709551615}"#, "network.latency.max"),
            (r#"{"kind": "exponential", "mean": 1e300}"#, "network.latency.mean"),
            (r#"{"kind": "exponential", "mean": 0}"#, "network.latency.mean"),
        ] {
            let e = error_of(&latency(l));
            assert_eq!(e.field, field, "{l}: {e}");
        }
        let e = error_of(&latency(r#"{"kind": "constant", "value": 4294967296}"#));
        assert!(e.message.contains("from 0 to 4294967295"), "{e}");
        parse(&latency(r#"{"kind": "uniform", "min": 0, "max": 4294967295}"#), "s.json", &[], &Registry::builtin())
            .unwrap();
    }
}
