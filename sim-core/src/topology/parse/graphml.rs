//! GraphML as published by the Internet Topology Zoo (yEd source files). Only `key`, `node`, `edge` and `data`
//! elements are read; yEd graphics are skipped, except that a node's yEd label names it when the file declares no
//! `label` node key (the zoo's yEd files keep city names only there).

#![expect(clippy::disallowed_types, reason = "maps are looked up, never iterated into the graph")]

use std::collections::HashMap;

use roxmltree::{Document, Node};

use super::{Links, Listing, Loaded, assemble};
use crate::topology::Labels;
use crate::{NodeId, TopologyError};

const GRAPHML_NS: &str = "http://graphml.graphdrawing.org/xmlns";
/// Mean Earth radius (IUGG), km.
const EARTH_RADIUS_KM: f64 = 6371.0088;
/// Propagation speed at 2/3 of the speed of light, km per µs.
const KM_PER_US: f64 = 299_792.458 * 2.0 / 3.0 / 1e6;

/// How link weights are derived from a GraphML file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphmlWeights {
    /// Every link weighs 1.
    Hops,
    /// Great-circle distance between the nodes' `Latitude`/`Longitude` data, as propagation delay in
    /// microseconds at 2/3 c, at least 1. A node without coordinates is an error that names it.
    Distance,
}

fn is(node: Node, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && matches!(node.tag_name().namespace(), None | Some(GRAPHML_NS))
}

/// The `<data key=…>` text of a node, trimmed, if present and not empty.
fn data<'a>(node: Node<'a, '_>, key: Option<&str>) -> Option<&'a str> {
    let key = key?;
    node.children()
        .find(|c| is(*c, "data") && c.attribute("key") == Some(key))
        .and_then(|d| d.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Ids of the node keys the loader uses, found by their `attr.name` (ids differ from file to file).
#[derive(Default)]
struct Keys<'a> {
    label: Option<&'a str>,
    latitude: Option<&'a str>,
    longitude: Option<&'a str>,
}

impl<'a> Keys<'a> {
    fn read(root: Node<'a, '_>) -> Self {
        let mut keys = Keys::default();
        for key in root.children().filter(|k| is(*k, "key")) {
            if !matches!(key.attribute("for"), Some("node" | "all")) {
                continue;
            }
            let (Some(id), Some(name)) = (key.attribute("id"), key.attribute("attr.name")) else {
                continue;
            };
            if name == "label" {
                keys.label = Some(id);
            } else if name.eq_ignore_ascii_case("latitude") {
                keys.latitude = Some(id);
            } else if name.eq_ignore_ascii_case("longitude") {
                keys.longitude = Some(id);
            }
        }
        keys
    }
}

/// The number that ends a node id, if any. Files number their node ids (`n0`, `n1`, …, or `0`, `1`, …) in file
/// order more often than not, so node `numbered(id)` is the first guess for `id`, and only other ids are hashed.
fn numbered(id: &str) -> Option<usize> {
    let start = id.len() - id.bytes().rev().take_while(u8::is_ascii_digit).count();
    id[start..].parse().ok()
}

/// Great-circle (haversine) distance as a delay in whole microseconds, at least 1.
fn delay_us((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> u32 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let (dphi, dlambda) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    let km = 2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin();
    ((km / KM_PER_US).round() as u32).max(1)
}

/// An Internet Topology Zoo GraphML file. Nodes are numbered densely in file order (`n0`, `n1`, … become 0, 1, …)
/// and labelled by the `label` node key, else by their yEd label, else by their id. Links are undirected whatever
/// `edgedefault` says; self-loops are dropped and repeated links merged, all counted in the report.
pub fn graphml(text: &str, weights: GraphmlWeights) -> Result<Loaded, TopologyError> {
    let doc = Document::parse(text).map_err(|e| TopologyError::Parse {
        line: e.pos().row as usize,
        message: format!("not well-formed XML: {e}"),
    })?;
    let error = |at: Node, message: String| TopologyError::Parse {
        line: doc.text_pos_at(at.range().start).row as usize,
        message,
    };
    let root = doc.root_element();
    if !is(root, "graphml") {
        let found = root.tag_name().name();
        return Err(error(root, format!("expected a <graphml> root element, found <{found}>")));
    }
    let keys = Keys::read(root);
    let mut graphs = root.descendants().filter(|g| is(*g, "graph"));
    let graph =
        graphs.next().ok_or_else(|| TopologyError::Invalid("graphml: the file has no <graph> element".into()))?;
    if let Some(nested) = graphs.next() {
        return Err(error(nested, "nested graphs (yEd groups) are not supported".into()));
    }
    let distance = weights == GraphmlWeights::Distance;
    if distance && (keys.latitude.is_none() || keys.longitude.is_none()) {
        return Err(TopologyError::Invalid(
            "graphml: distance weights need Latitude and Longitude node data, but the file declares no such keys \
             (the zoo's yEd files carry none); use hop weights"
                .into(),
        ));
    }

    let mut notes = Vec::new();
    if graph.attribute("edgedefault") == Some("directed") {
        notes.push(
            "the file declares edgedefault=\"directed\"; its links are read as undirected (a zoo file lists \
             each physical link once, in either direction)"
                .to_string(),
        );
    }
    notes.push(match weights {
        GraphmlWeights::Hops => "weights: every link weighs 1 (hops)".to_string(),
        GraphmlWeights::Distance => {
            "weights: great-circle distance between the nodes' coordinates, as propagation delay in µs at 2/3 c \
             (at least 1)"
                .to_string()
        }
    });
    notes.push(if keys.label.is_some() {
        "labels: from the `label` node key".to_string()
    } else {
        "labels: from the yEd node labels (the file declares no `label` node key)".to_string()
    });

    let mut ids: HashMap<&str, NodeId> = HashMap::new();
    let mut file_ids: Vec<&str> = Vec::new();
    let mut labels = Labels::new();
    let mut unlabelled = Listing::default();
    let mut coordinates = Vec::new();
    for node in graph.children().filter(|n| is(*n, "node")) {
        let id = node.attribute("id").ok_or_else(|| error(node, "<node> without an id attribute".into()))?;
        let next = file_ids.len();
        // Only ids other than `numbered(id) == node` are hashed: no two nodes can both be numbered by one id.
        let twice = match numbered(id) {
            Some(k) if k == next => ids.contains_key(id),
            numbered_as => {
                numbered_as.is_some_and(|k| file_ids.get(k) == Some(&id)) || ids.insert(id, next as NodeId).is_some()
            }
        };
        if twice {
            return Err(error(node, format!("node id `{id}` is declared twice")));
        }
        file_ids.push(id);
        let yed_label = || {
            node.descendants()
                .find(|n| n.tag_name().name() == "NodeLabel")
                .and_then(|n| n.text())
                .map(str::trim)
                .filter(|t| !t.is_empty())
        };
        let label = data(node, keys.label).or_else(yed_label).unwrap_or_else(|| {
            unlabelled.push_with(|| id.to_string());
            id
        });
        labels.push(label);
        if distance {
            let degrees = |key, name, limit: f64| match data(node, key) {
                None => Err(error(
                    node,
                    format!(
                        "node {id} ({label}) has no {name}; distance weights need coordinates on every node \
                         (use hop weights)"
                    ),
                )),
                Some(t) => t.parse::<f64>().ok().filter(|x| x.abs() <= limit).ok_or_else(|| {
                    error(node, format!("node {id} ({label}): {name} `{t}` is not a number in [-{limit}, {limit}]"))
                }),
            };
            coordinates.push((degrees(keys.latitude, "Latitude", 90.0)?, degrees(keys.longitude, "Longitude", 180.0)?));
        }
    }
    if !unlabelled.is_empty() {
        notes.push(format!(
            "{} node(s) have no label and are labelled by their id: {}",
            unlabelled.count,
            unlabelled.text()
        ));
    }
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for label in labels.iter() {
        *uses.entry(label).or_default() += 1;
    }
    // Sorted by label, so the order does not depend on the map's.
    let mut shared: Vec<(&str, usize)> = uses.into_iter().filter(|&(_, count)| count > 1).collect();
    shared.sort_unstable();
    let mut listed = Listing::default();
    for (label, count) in shared {
        listed.push_with(|| format!("{label} ×{count}"));
    }
    if !listed.is_empty() {
        notes.push(format!(
            "{} label(s) name more than one node (kept; the nodes stay distinct): {}",
            listed.count,
            listed.text()
        ));
    }
    let hyperedges = graph.children().filter(|h| is(*h, "hyperedge")).count();
    if hyperedges > 0 {
        notes.push(format!("ignored {hyperedges} <hyperedge> element(s)"));
    }

    let node_of = |id: &str| {
        numbered(id).filter(|&k| file_ids.get(k) == Some(&id)).map(|k| k as NodeId).or_else(|| ids.get(id).copied())
    };
    let mut links = Links::with_capacity(0, distance);
    for edge in graph.children().filter(|e| is(*e, "edge")) {
        let end = |attribute: &str| -> Result<NodeId, TopologyError> {
            let id = edge
                .attribute(attribute)
                .ok_or_else(|| error(edge, format!("<edge> without a {attribute} attribute")))?;
            node_of(id).ok_or_else(|| error(edge, format!("edge {attribute} `{id}` is not a declared node")))
        };
        let (u, v) = (end("source")?, end("target")?);
        let weight = if distance { delay_us(coordinates[u as usize], coordinates[v as usize]) } else { 1 };
        links.push(u, v, weight);
    }
    assemble(labels, links, notes, Some(&file_ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small yEd-style file: keys declared with file-specific ids, graphics to skip, a loop and a repeat.
    fn file(nodes: &str, edges: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:y="http://www.yworks.com/xml/graphml">
  <key attr.name="Latitude" attr.type="double" for="node" id="d29"/>
  <key attr.name="Longitude" attr.type="double" for="node" id="d32"/>
  <key attr.name="label" attr.type="string" for="node" id="d33"/>
  <key attr.name="label" attr.type="string" for="edge" id="d40"/>
  <key for="node" id="d41" yfiles.type="nodegraphics"/>
  <graph edgedefault="directed" id="G">
{nodes}
{edges}
  </graph>
</graphml>"#
        )
    }

    fn node(id: &str, label: &str, lat: f64, lon: f64) -> String {
        format!(
            r#"<node id="{id}"><data key="d29">{lat}</data><data key="d32">{lon}</data><data key="d33">{label}</data>
<data key="d41"><y:ShapeNode><y:NodeLabel>graphics label</y:NodeLabel></y:ShapeNode></data></node>"#
        )
    }

    fn cities() -> String {
        [
            node("n0", "London", 51.5074, -0.1278),
            node("n1", "Paris", 48.8566, 2.3522),
            node("n2", "New York", 40.7128, -74.006),
        ]
        .concat()
    }

    const EDGES: &str = r#"<edge source="n0" target="n1"><data key="d40">10G</data></edge>
<edge source="n1" target="n0"/><edge source="n2" target="n2"/><edge source="n0" target="n2"/>"#;

    #[test]
    fn hops_read_labels_and_account_for_repeats() {
        let loaded = graphml(&file(&cities(), EDGES), GraphmlWeights::Hops).unwrap();
        let (g, r) = (&loaded.graph, &loaded.report);
        assert_eq!(g.labels().unwrap().iter().collect::<Vec<_>>(), ["London", "Paris", "New York"]);
        assert!(!g.is_weighted());
        assert_eq!((r.nodes, r.edges_in_file, r.edges, r.self_loops_dropped, r.parallel_merged), (3, 4, 2, 1, 1));
        let notes = r.notes.join("\n");
        assert!(notes.contains("edgedefault=\"directed\""), "{notes}");
        assert!(notes.contains("at New York (n2)"), "{notes}");
        assert!(
            notes.contains(
                "listed in both directions into one undirected link, keeping one link: \
                                London (n0) -- Paris (n1)"
            ),
            "{notes}"
        );
    }

    #[test]
    fn distance_is_great_circle_delay_at_two_thirds_c() {
        let loaded = graphml(&file(&cities(), EDGES), GraphmlWeights::Distance).unwrap();
        let g = &loaded.graph;
        // London–Paris is 343.5 km and London–New York 5570 km on the 6371 km sphere; at 199.86 km/ms that is
        // 1719 µs and 27869 µs.
        assert_eq!(g.endpoints(0), (0, 1));
        assert!((1_715..=1_723).contains(&g.weight(0)), "{}", g.weight(0));
        assert!((27_800..=27_950).contains(&g.weight(1)), "{}", g.weight(1));
        // Coincident nodes still get a positive delay.
        assert_eq!(delay_us((10.0, 10.0), (10.0, 10.0)), 1);
    }

    #[test]
    fn missing_coordinates_name_the_node() {
        let nodes = cities() + r#"<node id="n3"><data key="d33">Atlantis</data></node>"#;
        let err = graphml(&file(&nodes, EDGES), GraphmlWeights::Distance).unwrap_err();
        let TopologyError::Parse { message, .. } = err else { panic!("{err:?}") };
        assert!(message.starts_with("node n3 (Atlantis) has no Latitude"), "{message}");
        // Hop weights do not need coordinates.
        assert_eq!(graphml(&file(&nodes, EDGES), GraphmlWeights::Hops).unwrap().report.nodes, 4);
        let bad = cities() + &node("n3", "Nowhere", 95.0, 0.0);
        let err = graphml(&file(&bad, EDGES), GraphmlWeights::Distance).unwrap_err().to_string();
        assert!(err.contains("node n3 (Nowhere): Latitude `95` is not a number in [-90, 90]"), "{err}");
    }

    #[test]
    fn yed_labels_and_ids_stand_in_for_missing_label_keys() {
        let text = r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:y="http://www.yworks.com/xml/graphml">
  <key for="node" id="d7" yfiles.type="nodegraphics"/>
  <graph edgedefault="undirected">
    <node id="a"><data key="d7"><y:ShapeNode><y:NodeLabel x="1">Seattle<y:LabelModel/></y:NodeLabel></y:ShapeNode></data></node>
    <node id="b"><data key="d7"><y:ShapeNode><y:NodeLabel/></y:ShapeNode></data></node>
    <node id="c"><data key="d7"><y:ShapeNode><y:NodeLabel>Seattle</y:NodeLabel></y:ShapeNode></data></node>
    <edge source="a" target="b"/><edge source="b" target="c"/>
  </graph>
</graphml>"#;
        let loaded = graphml(text, GraphmlWeights::Hops).unwrap();
        assert_eq!(loaded.graph.labels().unwrap().iter().collect::<Vec<_>>(), ["Seattle", "b", "Seattle"]);
        let notes = loaded.report.notes.join("\n");
        assert!(notes.contains("1 node(s) have no label and are labelled by their id: b"), "{notes}");
        assert!(notes.contains("1 label(s) name more than one node (kept; the nodes stay distinct): Seattle ×2"));
        assert!(!notes.contains("edgedefault"), "{notes}");
        let err = graphml(text, GraphmlWeights::Distance).unwrap_err().to_string();
        assert!(err.contains("declares no such keys"), "{err}");
    }

    #[test]
    fn structural_errors_carry_lines() {
        let parse_line = |text: &str| match graphml(text, GraphmlWeights::Hops) {
            Err(TopologyError::Parse { line, message }) => (line, message),
            other => panic!("expected a parse error, got {other:?}"),
        };
        let (line, message) = parse_line(&file(&cities(), "<edge source=\"n0\" target=\"n9\"/>"));
        assert_eq!(message, "edge target `n9` is not a declared node");
        assert_eq!(line, 13);
        let (_, message) = parse_line(&file(&(cities() + &node("n1", "Again", 0.0, 0.0)), ""));
        assert_eq!(message, "node id `n1` is declared twice");
        // Ids that number their node and ids that do not are checked against each other.
        for ids in [["n1", "n1", "x"], ["n0", "x", "n0"], ["a", "b", "b"], ["7", "n7", "7"]] {
            let nodes: String = ids.map(|id| node(id, id, 0.0, 0.0)).concat();
            let (_, message) = parse_line(&file(&nodes, ""));
            assert!(message.ends_with("is declared twice"), "{ids:?}: {message}");
        }
        let edges = r#"<edge source="x" target="n2"/><edge source="n2" target="7"/>"#;
        let nodes: String = ["7", "x", "n2"].map(|id| node(id, id, 0.0, 0.0)).concat();
        let g = graphml(&file(&nodes, edges), GraphmlWeights::Hops).unwrap().graph;
        assert_eq!((g.endpoints(0), g.endpoints(1)), ((1, 2), (2, 0)));
        let (_, message) = parse_line(&file(&cities(), "<edge target=\"n1\"/>"));
        assert_eq!(message, "<edge> without a source attribute");
        let (line, message) = parse_line("<graphml>\n<graph>\n<node id=\"a\">\n</graph>");
        assert!(line >= 3 && message.starts_with("not well-formed XML"), "{line} {message}");
        let (_, message) = parse_line("<gml/>");
        assert_eq!(message, "expected a <graphml> root element, found <gml>");
        let nested = file(&cities(), "<node id=\"g\"><graph id=\"inner\"/></node>");
        assert!(parse_line(&nested).1.starts_with("nested graphs"));
        assert!(matches!(graphml("<graphml/>", GraphmlWeights::Hops), Err(TopologyError::Invalid(_))));
    }
}
