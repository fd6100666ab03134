//! Fuzz targets, as proptest properties: the scenario loader, sweep files, and the edge-list, GraphML and GML
//! parsers never panic, whatever they are given; they return a value or an error.
//!
//! `cargo test -p runner fuzz` runs a short campaign (CI runs it with the other tests); a long one:
//! `PROPTEST_CASES=200000 cargo test -p runner --release fuzz`. Inputs are arbitrary text and bytes, and the
//! shipped scenarios with one value replaced by an arbitrary JSON value, so that the checks behind the
//! syntax are reached too.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{Map, Value};
use sim_core::topology::parse::{LinkWeights, edge_list, gml, graphml};

use crate::run::{Inputs, Prepared};
use crate::sweep::{parse_sweep, plan};
use crate::{Registry, parse};

fn cases() -> ProptestConfig {
    // PROPTEST_CASES, when set, overrides this (the long campaign).
    ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(256) }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("runner is in the workspace").to_owned()
}

/// Every shipped scenario, as JSON.
fn shipped() -> Vec<Value> {
    let mut files = Vec::new();
    let mut dirs = vec![workspace().join("scenarios")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).expect("scenarios/ is readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files.iter().map(|f| serde_json::from_str(&std::fs::read_to_string(f).expect("readable")).expect("JSON")).collect()
}

/// Topology files as the shipped scenarios name them, from scenarios/topologies/.
struct Topologies;

impl Inputs for Topologies {
    fn read(&self, path: &str) -> Result<String, String> {
        let name = Path::new(path).file_name().ok_or("no file name")?;
        std::fs::read_to_string(workspace().join("scenarios/topologies").join(name)).map_err(|e| e.to_string())
    }
}

/// JSON values that sit on the edges of what fields accept.
fn edge_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(0u64),
            Just(1),
            Just(2),
            Just(u64::from(u32::MAX)),
            Just(u64::from(u32::MAX) + 1),
            Just(u64::MAX),
            0u64..100
        ]
        .prop_map(Value::from),
        prop_oneof![Just(i64::MIN), Just(-1i64), any::<i64>()].prop_map(Value::from),
        prop_oneof![Just(0.5f64), Just(1e-300), Just(1e300), Just(-0.0), any::<f64>()].prop_map(Value::from),
        prop_oneof![Just(String::new()), "[a-z_]{1,12}", ".{0,20}"].prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// Replaces the `choice`-th value of `doc` (in a walk of the whole tree, the root excluded) by `by`.
fn replace_nth(doc: &mut Value, choice: usize, by: Value) {
    fn count(v: &Value) -> usize {
        match v {
            Value::Array(a) => a.iter().map(|x| 1 + count(x)).sum(),
            Value::Object(o) => o.values().map(|x| 1 + count(x)).sum(),
            _ => 0,
        }
    }
    fn walk(v: &mut Value, n: &mut usize, by: &mut Option<Value>) {
        let children: Vec<&mut Value> = match v {
            Value::Array(a) => a.iter_mut().collect(),
            Value::Object(o) => o.values_mut().collect(),
            _ => return,
        };
        for child in children {
            if by.is_none() {
                return;
            }
            if *n == 0 {
                *child = by.take().expect("checked above");
                return;
            }
            *n -= 1;
            walk(child, n, by);
        }
    }
    let total = count(doc);
    if total > 0 {
        walk(doc, &mut (choice % total), &mut Some(by));
    }
}

/// Loads a scenario; when it loads and its topology is small, also prepares it with a plain model (the
/// models' own parameters are not this target's).
fn load(text: &str) {
    let registry = Registry::builtin();
    if let Ok(mut scenario) = parse(text, "fuzz.json", &[], &registry) {
        scenario.model = serde_json::from_str(r#"{"kind": "flooding"}"#).expect("a model");
        if Prepared::estimate(&scenario, &registry) < 16 << 20 {
            let _ = Prepared::new(scenario, "fuzz.json", &Topologies, &registry);
        }
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn fuzz_scenario_text(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        load(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn fuzz_scenario_mutations(which in any::<usize>(), choice in any::<usize>(), by in edge_value(), twice in any::<bool>()) {
        let scenarios = shipped();
        let mut doc = scenarios[which % scenarios.len()].clone();
        replace_nth(&mut doc, choice, by);
        let mut text = doc.to_string();
        if twice {
            // The same key once more at the top.
            text = text.replacen('{', r#"{"seed": 1, "seed": 2, "#, 1);
        }
        load(&text);
    }

    #[test]
    fn fuzz_sweep_files(parameters in prop::collection::vec(("[a-z.]{1,16}", edge_value()), 0..3), form in 0..4usize,
                        args in prop::collection::vec(edge_value(), 3), replicates in edge_value()) {
        let registry = Registry::builtin();
        let ring = r#"{"topology": {"kind": "ring", "nodes": 10}, "model": {"kind": "flooding"}}"#;
        let mut map: Map<String, Value> = parameters.into_iter().collect();
        let name = ["range", "geom", "linspace", "steps"][form];
        map.insert("topology.nodes".into(), serde_json::json!({ name: args }));
        let text = serde_json::json!({"scenario": "r.json", "replicates": replicates, "parameters": map}).to_string();
        if let Ok(spec) = parse_sweep(&text, "s.json")
            && let Ok(planned) = plan(&spec, "s.json", ring, "r.json", &registry)
            && planned.points() <= 1000
        {
            let _ = planned.expand(&registry);
        }
    }

    #[test]
    fn fuzz_edge_list(lines in prop::collection::vec(
        prop::collection::vec(prop_oneof![
            Just("a"), Just("b"), Just("7"), Just("0"), Just("4294967295"), Just("4294967296"), Just("-1"),
            Just("#"), Just("\r"), Just("\t"), Just("é"), Just("1.5"), Just("")
        ], 0..5).prop_map(|t| t.join(" ")), 0..12)) {
        let _ = edge_list(&lines.join("\n"));
    }

    /// Long runs of integer links (the parser's loop of its own, and its pass over more links than it looks
    /// ahead), broken now and then by other lines: whatever it reads adds up.
    #[test]
    fn fuzz_edge_list_integers(lines in prop::collection::vec(prop_oneof![
        8 => (0u32..40, 0u32..40).prop_map(|(u, v)| format!("{u} {v}")),
        1 => prop_oneof![
            Just("12345678 007"), Just("3 4 5"), Just("99999999999999999999 1"), Just("1\t2 \r"), Just(""),
            Just("#"), Just("5 x"), Just("2147483648 0"), Just("1  1")
        ].prop_map(str::to_owned),
    ], 0..80)) {
        if let Ok(loaded) = edge_list(&lines.join("\n")) {
            let r = &loaded.report;
            prop_assert_eq!(r.edges + r.self_loops_dropped + r.parallel_merged, r.edges_in_file);
            prop_assert_eq!(loaded.graph.edge_count(), r.edges);
        }
    }

    #[test]
    fn fuzz_edge_list_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = edge_list(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn fuzz_graphml(parts in prop::collection::vec(prop_oneof![
        Just(r#"<key id="d0" for="node" attr.name="label" attr.type="string"/>"#.to_owned()),
        Just(r#"<key id="d1" for="node" attr.name="Latitude" attr.type="double"/>"#.to_owned()),
        Just(r#"<key id="d2" for="node" attr.name="Longitude" attr.type="double"/>"#.to_owned()),
        Just(r#"<graph edgedefault="undirected">"#.to_owned()),
        Just("</graph>".to_owned()),
        (0..4u8).prop_map(|i| format!(r#"<node id="n{i}"><data key="d0">N{i}</data></node>"#)),
        (0..4u8, prop_oneof![Just(91.0f64), Just(-181.0), Just(f64::NAN), any::<f64>()])
            .prop_map(|(i, x)| format!(r#"<node id="n{i}"><data key="d1">{x}</data><data key="d2">{x}</data></node>"#)),
        (0..5u8, 0..5u8).prop_map(|(a, b)| format!(r#"<edge source="n{a}" target="n{b}"/>"#)),
        Just("<graph><node id=\"x\"/></graph>".to_owned()),
        Just("<!-- c -->".to_owned()),
        Just("&amp;".to_owned()),
        // What the streaming reader checks or decodes itself: references, CDATA, line ends, namespaces, yEd labels.
        prop_oneof![Just("&#65;"), Just("&#xD800;"), Just("&bogus;"), Just("&#;"), Just("&"), Just("]]>"), Just("\r\n")]
            .prop_map(str::to_owned),
        (0..4u8).prop_map(|i| format!(r#"<node id="n{i}"><data key="d0"><![CDATA[N{i}]]>&#x20;<!-- --></data></node>"#)),
        (0..4u8).prop_map(|i| format!(r#"<node id="n{i}"><data key="d9"><y:ShapeNode><y:NodeLabel>Y{i}</y:NodeLabel></y:ShapeNode></data></node>"#)),
        Just(r#"<g:node xmlns:g="http://graphml.graphdrawing.org/xmlns" id="n9"/>"#.to_owned()),
        Just(r#"<y:a xmlns:y="u" y:b="1" b="2"/>"#.to_owned()),
        Just("<?xml version='1.0'?>".to_owned()),
        Just("<!DOCTYPE graphml>".to_owned()),
        Just("<?pi x?>".to_owned()),
        // What the reader splits itself: tags and end tags left open, quotes, a byte-order mark, undeclaring.
        prop_oneof![Just("<"), Just("</"), Just("'"), Just("\""), Just("<a b='>'>"), Just("</a >"), Just("\u{feff}"),
            Just("<y:a xmlns:y=''/>")].prop_map(str::to_owned),
        ".{0,8}",
    ], 0..14), distance in any::<bool>()) {
        let text = format!(r#"<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:y="http://www.yworks.com/xml/graphml">{}</graphml>"#, parts.concat());
        let weights = if distance { LinkWeights::Distance } else { LinkWeights::Hops };
        let _ = graphml(&text, weights);
    }

    #[test]
    fn fuzz_graphml_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = graphml(&String::from_utf8_lossy(&bytes), LinkWeights::Hops);
    }

    /// GML pieces in any order: whole nodes and edges, lists opened and closed anywhere, the keys the loader reads
    /// given in any list with values of every kind, and what the lexer decides on (numbers, strings, references,
    /// comments).
    #[test]
    fn fuzz_gml(parts in prop::collection::vec(prop_oneof![
        3 => (4..16u32, any::<bool>()).prop_map(|(i, placed)| if placed {
            format!("node [ id {i} label \"N{i}\" Latitude {} Longitude {} ]", i * 5, i * 10)
        } else {
            format!("node [ id {i} ]")
        }),
        4 => (0..5u8, 0..5u8).prop_map(|(a, b)| format!("edge [ source {a} target {b} graphics [ w 1.5 ] ]")),
        1 => prop_oneof![Just("graph ["), Just("node ["), Just("edge ["), Just("graphics ["), Just("]")].prop_map(str::to_owned),
        1 => (prop_oneof![Just("id"), Just("source"), Just("target"), Just("label")], 0..5u8)
            .prop_map(|(key, i)| format!("{key} {i}")),
        1 => (prop_oneof![Just("id"), Just("source"), Just("target"), Just("label")], "[a-c]")
            .prop_map(|(key, s)| format!("{key} \"{s}\"")),
        1 => (prop_oneof![Just("Latitude"), Just("longitude"), Just("directed"), Just("id"), Just("label")],
              prop_oneof![Just("0"), Just("1"), Just("-91.5"), Just("1E400"), Just("+INF"), Just("NAN"), Just("2"),
                          Just("99999999999999999999"), Just("\"45\""), Just("[")])
            .prop_map(|(key, value)| format!("{key} {value}")),
        // What the lexer splits and decodes itself.
        1 => prop_oneof![Just("\"&amp;&eacute;&#233;&#xE9;AT&T\""), Just("\"&bogus;\""), Just("\"&amp\""), Just("\"&#0;\""),
            Just("\"&#x110000;\""), Just("\"\r\n\u{1}\""), Just("\""), Just("# comment\n"), Just("1.2.3"), Just(".5"),
            Just("-"), Just("5km"), Just("\u{feff}"), Just("é"), Just("\r\n"), Just("directed 1"), Just("x")].prop_map(str::to_owned),
        1 => ".{0,6}",
    ], 0..24), distance in any::<bool>(), wrapped in any::<bool>()) {
        let weights = if distance { LinkWeights::Distance } else { LinkWeights::Hops };
        let text = parts.join(" ");
        // Half the time inside a graph of four nodes, so that more texts get past the graph's first nodes.
        let text = if wrapped {
            let nodes: String = (0..4).map(|i| format!("node [ id {i} Latitude {i}.5 Longitude -{i} ]\n")).collect();
            format!("graph [\n{nodes}{text}\n]")
        } else {
            text
        };
        if let Ok(loaded) = gml(&text, weights) {
            let r = &loaded.report;
            prop_assert_eq!(r.edges + r.self_loops_dropped + r.parallel_merged, r.edges_in_file);
            prop_assert_eq!(loaded.graph.edge_count(), r.edges);
        }
    }

    #[test]
    fn fuzz_gml_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = gml(&String::from_utf8_lossy(&bytes), LinkWeights::Hops);
    }
}
