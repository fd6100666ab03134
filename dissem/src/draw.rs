//! `dissem draw SCENARIO --out DIR`: pictures of one replicate's spread (GraphML, DOT, an HTML page that plays
//! it, and for overlays over an underlay an SVG of the tree and the link stress), written all or nothing.

use std::path::Path;

use exporters::spread::{MAX_NODES, Picture, Shape, Spread};
use runner::{Prepared, TopologySpec};

use crate::cli::Failure;
use crate::files::{check_writable, text_artifact, write_artifacts};

/// What `draw` writes into its directory (`overlay.svg` only when the run crossed underlay links).
pub(crate) const FILES: [&str; 4] = ["spread.graphml", "spread.dot", "spread.html", "overlay.svg"];

pub(crate) fn draw(prepared: &Prepared, replicate: u32, dir: &Path) -> Result<(), Failure> {
    let too_big = |nodes: u64| {
        Failure::Input(format!(
            "{}: field `topology`: draw pictures topologies of at most {MAX_NODES} nodes, this one has {nodes}",
            prepared.origin
        ))
    };
    let estimate = prepared.scenario.topology.size_estimate().nodes;
    if estimate > u64::from(MAX_NODES) {
        return Err(too_big(estimate));
    }
    check_writable(dir, &FILES).map_err(Failure::Input)?;
    let mut spread = Spread::default();
    let (_, env) = prepared.run_traced(replicate, &mut spread)?;
    let topology = &env.topology;
    if topology.node_count() > MAX_NODES {
        return Err(too_big(topology.node_count().into()));
    }
    spread.cover(topology.node_count());
    let shape = match &prepared.scenario.topology {
        TopologySpec::Ring(_) | TopologySpec::Complete(_) => Shape::Circle,
        TopologySpec::Grid(g) => Shape::Grid { cols: g.cols },
        _ => Shape::Free,
    };
    let positions = exporters::spread::layout(topology, shape);
    let title = format!("{} (replicate {replicate})", prepared.scenario.name);
    let picture = Picture { title: &title, topology, spread: &spread, positions: &positions, hosts: &env.hosts };
    let [graphml, dot, html, overlay] = FILES;
    let mut files = vec![
        text_artifact(graphml, exporters::spread::graphml(&picture)),
        text_artifact(dot, exporters::spread::dot(&picture)),
        text_artifact(html, exporters::spread::html(&picture)),
    ];
    if !spread.stress.is_empty() {
        let svg = exporters::spread::overlay_svg(&picture).map_err(|e| Failure::Run(e.to_string()))?;
        files.push(text_artifact(overlay, svg));
    }
    write_artifacts(dir, &files).map_err(Failure::Input)?;
    let names: Vec<String> = files.iter().map(|f| dir.join(&f.path).display().to_string()).collect();
    crate::cli::out(&format!("{}\n", names.join("\n")))
}
