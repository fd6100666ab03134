//! Integration tests of sim-core against the real topologies shipped in `scenarios/topologies/`.

use sim_core::TopologyError;
use sim_core::topology::parse::{LinkWeights, LoadReport, Loaded, gml, graphml};

fn zoo(name: &str) -> String {
    shipped(&format!("{name}.graphml"))
}

fn shipped(file: &str) -> String {
    let path = format!("{}/../scenarios/topologies/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn load(name: &str) -> (sim_core::topology::Graph, LoadReport) {
    let loaded = graphml(&zoo(name), LinkWeights::Hops).unwrap_or_else(|e| panic!("{name}: {e}"));
    (loaded.graph, loaded.report)
}

/// Node and link counts from the README table; self-loops and repeated links as the README describes them,
/// counted independently (Python's ElementTree over the same files): Geant2012's duplicate is one link listed in
/// both directions, the others repeat a pair in the same direction.
#[test]
fn zoo_files_load_with_every_repair_accounted_for() {
    // (file, nodes, edges in file, self-loops, links listed in both directions, parallel links same direction)
    let table = [
        ("Abilene", 11, 14, 0, 0, 0),
        ("Geant2012", 40, 62, 0, 1, 0),
        ("Cogentco", 197, 245, 0, 0, 2),
        ("Interoute", 110, 158, 2, 0, 10),
        ("Kdl", 754, 899, 0, 0, 4),
    ];
    for (name, nodes, in_file, loops, reversed, parallel) in table {
        let (g, r) = load(name);
        assert_eq!((r.nodes, g.node_count()), (nodes, nodes), "{name}");
        assert_eq!(r.edges_in_file, in_file, "{name}");
        assert_eq!(r.self_loops_dropped, loops, "{name}");
        assert_eq!(r.parallel_merged, reversed + parallel, "{name}");
        assert_eq!(r.edges, in_file - loops - reversed - parallel, "{name}");
        assert_eq!(g.edge_count(), r.edges, "{name}");
        assert!(g.is_connected(), "{name}");
        let notes = r.notes.join("\n");
        // Every zoo file says edgedefault="directed" although it lists an undirected network.
        assert!(notes.contains("edgedefault=\"directed\""), "{name}: {notes}");
        for (count, what) in
            [(loops, "self-loop(s)"), (reversed, "link(s) listed in both directions"), (parallel, "parallel link(s)")]
        {
            let said = notes.contains(&format!("{count} {what}"));
            assert_eq!(said, count > 0, "{name}: {what}: {notes}");
        }
    }
}

#[test]
fn zoo_labels_come_from_yed_graphics() {
    let (g, r) = load("Abilene");
    assert_eq!(g.label(0), Some("Seattle"));
    assert_eq!(g.label(2), Some("Los Angeles"));
    assert!(r.notes.iter().any(|n| n.starts_with("labels: from the yEd node labels")));
    // Unnamed nodes in the source files are labelled by their id, and said so.
    for (name, unnamed) in [("Cogentco", 11), ("Interoute", 6), ("Kdl", 28)] {
        let (_, r) = load(name);
        let prefix = format!("{unnamed} node(s) have no label");
        assert!(r.notes.iter().any(|n| n.starts_with(&prefix)), "{name}: {:?}", r.notes);
    }
}

#[test]
fn zoo_files_have_no_coordinates_for_distance_weights() {
    for name in ["Abilene", "Geant2012", "Cogentco", "Interoute", "Kdl"] {
        match graphml(&zoo(name), LinkWeights::Distance) {
            Err(TopologyError::Invalid(message)) => {
                assert!(message.contains("Latitude"), "{message}")
            }
            other => panic!("{name}: expected a missing-coordinates error, got {other:?}"),
        }
    }
}

/// A link as (smaller end, larger end, weight).
type Link = (u32, u32, u32);

/// Labels, links as sorted (smaller end, larger end, weight) and the report's counts: what two loaders of the same
/// graph must agree on, whatever order each file lists links in.
fn summary(loaded: &Loaded) -> (Vec<&str>, Vec<Link>, [usize; 4]) {
    let g = &loaded.graph;
    let mut links: Vec<Link> = (0..g.edge_count())
        .map(|e| {
            let (u, v) = g.endpoints(e as _);
            (u.min(v), u.max(v), g.weight(e as _))
        })
        .collect();
    links.sort_unstable();
    let r = &loaded.report;
    (g.labels().unwrap().iter().collect(), links, [r.edges_in_file, r.edges, r.self_loops_dropped, r.parallel_merged])
}

/// `Abilene.gml` is `Abilene.graphml` written by networkx's `write_gml`, each node named by its yEd label as the
/// zoo's own GML files name them (see the README beside them): the GML loader reads the graph the GraphML loader
/// reads, with hop weights and, once both forms are given the same coordinates, with distance weights. As
/// shipped neither file has coordinates, so both refuse distance weights.
#[test]
fn zoo_gml_reads_as_its_graphml() {
    let (xml, text) = (zoo("Abilene"), shipped("Abilene.gml"));
    let (a, b) = (graphml(&xml, LinkWeights::Hops).unwrap(), gml(&text, LinkWeights::Hops).unwrap());
    assert_eq!(summary(&a), summary(&b));
    assert_eq!(b.graph.label(0), Some("Seattle"));
    assert!(b.report.notes[0].starts_with("directed edges read as undirected links"), "{:?}", b.report.notes);
    let err = gml(&text, LinkWeights::Distance).unwrap_err().to_string();
    assert!(err.contains("node 0 (Seattle) has no Latitude"), "{err}");
    assert!(graphml(&xml, LinkWeights::Distance).is_err());

    // Node i placed at (30 + i, −120 + 5i) in both forms: GraphML node `ni` is GML node `id i`.
    let place = |i: usize| (30.0 + i as f64, -120.0 + 5.0 * i as f64);
    let keys = r#"<key attr.name="Latitude" attr.type="double" for="node" id="lat"/>
        <key attr.name="Longitude" attr.type="double" for="node" id="lon"/>
        <graph "#;
    let (mut xml, mut text) = (xml.replacen("<graph ", keys, 1), text);
    for i in 0..a.report.nodes as usize {
        let (lat, lon) = place(i);
        let (node, gml_node) = (format!("<node id=\"n{i}\">"), format!("node [\n    id {i}\n"));
        assert!(xml.contains(&node) && text.contains(&gml_node), "node {i}");
        let data = format!(r#"<data key="lat">{lat}</data><data key="lon">{lon}</data>"#);
        xml = xml.replacen(&node, &(node.clone() + &data), 1);
        text = text.replacen(&gml_node, &format!("{gml_node}    Latitude {lat:.1}\n    Longitude {lon:.1}\n"), 1);
    }
    let a = graphml(&xml, LinkWeights::Distance).unwrap();
    let b = gml(&text, LinkWeights::Distance).unwrap();
    // The summary holds every link's weight: here a delay in µs, not a hop.
    assert_eq!(summary(&a), summary(&b));
    assert!(b.graph.is_weighted() && b.graph.min_weight() > 1);
}
