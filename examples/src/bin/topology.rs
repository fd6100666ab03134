//! A topology analysed with petgraph: dissem's loaders read the file and keep the graph in their compact
//! form for simulation; [`Graph::to_petgraph`] hands the same graph to petgraph's algorithms for questions
//! a simulation study asks before it starts — is it connected, which routers and links are single points
//! of failure, how long is the longest shortest path, what does a spanning tree cost.
//!
//! `cargo run -p dissem-examples --bin topology -- scenarios/topologies/Kdl.graphml` (or a `.gml` file)

use std::process::ExitCode;

use dissem::sim_core::paths::ShortestPaths;
use dissem::sim_core::topology::Graph;
use dissem::sim_core::topology::parse::{LinkWeights, gml, graphml};
use petgraph::algo::articulation_points::articulation_points;
use petgraph::algo::{bridges, connected_components, min_spanning_tree};
use petgraph::data::FromElements;
use petgraph::graph::UnGraph;

fn name(graph: &Graph, v: u32) -> String {
    graph.label(v).map_or_else(|| v.to_string(), str::to_owned)
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: topology FILE.graphml | FILE.gml");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: cannot read: {e}");
            return ExitCode::from(2);
        }
    };
    let load = if path.ends_with(".gml") { gml } else { graphml };
    let loaded = match load(&text, LinkWeights::Distance).or_else(|_| load(&text, LinkWeights::Hops)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    for note in &loaded.report.notes {
        eprintln!("{path}: {note}");
    }
    let graph = &loaded.graph;
    let pg = graph.to_petgraph();
    println!("{path}: {} nodes, {} links", pg.node_count(), pg.edge_count());
    println!("connected components: {}", connected_components(&pg));

    let mut cut: Vec<String> = articulation_points(&pg).into_iter().map(|v| name(graph, pg[v])).collect();
    cut.sort();
    let shown = cut.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
    let more = if cut.len() > 8 { format!(", and {} more", cut.len() - 8) } else { String::new() };
    println!("routers whose failure disconnects the network: {} ({shown}{more})", cut.len());
    println!("links whose failure disconnects the network: {}", bridges(&pg).count());

    let tree: UnGraph<u32, u32> = UnGraph::from_elements(min_spanning_tree(&pg));
    let tree_cost: u64 = tree.edge_weights().map(|&w| u64::from(w)).sum();
    let total: u64 = pg.edge_weights().map(|&w| u64::from(w)).sum();
    let unit = if graph.is_weighted() { "µs of propagation delay" } else { "hops" };
    println!("minimum spanning tree: {tree_cost} of {total} {unit} in all links");

    // The weighted diameter with dissem's own Dijkstra, which the simulator uses for exact checks.
    let diameter = (0..graph.node_count()).map(|s| ShortestPaths::from(graph, s).eccentricity()).max().unwrap_or(0);
    println!("diameter: {diameter} {unit}");
    ExitCode::SUCCESS
}
