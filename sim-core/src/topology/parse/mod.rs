//! Topology files: plain edge lists, and GraphML and GML as the Internet Topology Zoo publishes them. Parsers take
//! text, never paths.
//!
//! Real files list links more than once and sometimes link a node to itself. The loaders keep the graph simple:
//! self-loops are dropped and repeated links (in either direction) merged into one, keeping the smaller weight.
//! Every such decision is counted in the `LoadReport` and described in its notes, never taken silently.

mod edge_list;
mod gml;
mod graphml;
mod weights;
mod xml;

pub use edge_list::edge_list;
pub use gml::gml;
pub use graphml::graphml;
pub use weights::LinkWeights;

use crate::topology::{Graph, GraphBuilder, Labels};
use crate::{NodeId, TopologyError};

/// The line of a byte offset of `text`, from 1. A line ends at `\n`, `\r\n` or a lone `\r`.
fn line(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let lone_cr = |&i: &usize| bytes.get(i + 1) != Some(&b'\n');
    1 + memchr::memchr_iter(b'\n', &bytes[..at]).count()
        + memchr::memchr_iter(b'\r', &bytes[..at]).filter(lone_cr).count()
}

/// What a loader read and what it did with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadReport {
    pub nodes: u32,
    /// Links listed in the file, self-loops and repeats included.
    pub edges_in_file: usize,
    /// Edges of the loaded graph: `edges_in_file - self_loops_dropped - parallel_merged`.
    pub edges: usize,
    pub self_loops_dropped: usize,
    /// Links merged into an earlier link between the same two nodes, listed in the same or the other direction.
    pub parallel_merged: usize,
    /// What the loader did, in words.
    pub notes: Vec<String>,
}

/// A loaded topology.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub graph: Graph,
    pub report: LoadReport,
}

/// The links a file lists, in file order: self-loops apart (only their node is kept, for the notes).
struct Links {
    endpoints: Vec<(NodeId, NodeId)>,
    /// Parallel to `endpoints` in a weighted file.
    weights: Option<Vec<u32>>,
    loops: Vec<NodeId>,
    /// How many of `endpoints` each node is an end of, counted as the links are collected (nodes after the last
    /// end may be left out), so that building the CSR needs no pass of its own to count them.
    degrees: Vec<u32>,
}

impl Links {
    fn with_capacity(links: usize, weighted: bool) -> Self {
        Links {
            endpoints: Vec::with_capacity(links),
            weights: weighted.then(|| Vec::with_capacity(links)),
            loops: Vec::new(),
            degrees: Vec::new(),
        }
    }

    #[inline]
    fn push(&mut self, u: NodeId, v: NodeId, weight: u32) {
        if u == v {
            self.loops.push(u);
            return;
        }
        let last = u.max(v) as usize;
        if last >= self.degrees.len() {
            self.degrees.resize(last + 1, 0);
        }
        self.degrees[u as usize] += 1;
        self.degrees[v as usize] += 1;
        self.endpoints.push((u, v));
        if let Some(w) = &mut self.weights {
            w.push(weight);
        }
    }
}

/// At most this many items are spelled out in a note.
const LISTED: usize = 8;

/// Items for a note: counted, and the first `LISTED` spelled out.
#[derive(Default)]
struct Listing {
    count: usize,
    shown: Vec<String>,
}

impl Listing {
    /// Counts an item; `item` is called only if it will be shown.
    fn push_with(&mut self, item: impl FnOnce() -> String) {
        if self.count < LISTED {
            self.shown.push(item());
        }
        self.count += 1;
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn text(&self) -> String {
        let mut text = self.shown.join(", ");
        if self.count > LISTED {
            text += &format!(", and {} more", self.count - LISTED);
        }
        text
    }
}

/// Notes on the labels of a file whose nodes may go unlabelled: those labelled by their id instead, and labels
/// that name more than one node.
#[expect(clippy::disallowed_types, reason = "the counts are sorted by label before they are shown")]
fn label_notes(labels: &Labels, unlabelled: &Listing, notes: &mut Vec<String>) {
    if !unlabelled.is_empty() {
        notes.push(format!(
            "{} node(s) have no label and are labelled by their id: {}",
            unlabelled.count,
            unlabelled.text()
        ));
    }
    let mut uses: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
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
}

/// Builds the simple graph from the listed links, dropping self-loops and merging repeated links into the first
/// listing of their pair (its direction, the smallest weight). Repeats are found by sorting adjacency rows.
/// `file_ids`, when the file names nodes apart from their labels, is shown beside each label in the notes.
fn assemble(
    labels: Labels,
    links: Links,
    mut notes: Vec<String>,
    file_ids: Option<&[&str]>,
) -> Result<Loaded, TopologyError> {
    let nodes = u32::try_from(labels.len())
        .map_err(|_| TopologyError::Invalid(format!("{} nodes exceed the limit of {}", labels.len(), u32::MAX)))?;
    let Links { endpoints, weights, loops, degrees } = links;
    let weighted = weights.is_some();
    // A graph without edges has no weights, whatever the file said.
    let weights = weights.filter(|_| !endpoints.is_empty());
    let edges_in_file = endpoints.len() + loops.len();
    let mut b = GraphBuilder::from_edges(nodes, endpoints, weights);
    b.labels(labels);
    let mut graph = b.build_counted(degrees)?;
    let name = |graph: &Graph, v: NodeId| {
        let label = graph.label(v).expect("loaded graphs are labelled");
        match file_ids {
            Some(ids) => format!("{label} ({})", ids[v as usize]),
            None => label.to_owned(),
        }
    };
    let mut dropped = Listing::default();
    for &v in &loops {
        dropped.push_with(|| name(&graph, v));
    }
    let repeats = graph.repeated_edges();
    let (mut same_direction, mut reversed) = (Listing::default(), Listing::default());
    for &(repeat, first) in &repeats {
        let (u, v) = graph.endpoints(first);
        let pair = || format!("{} -- {}", name(&graph, u), name(&graph, v));
        if graph.endpoints(repeat).0 == u { same_direction.push_with(pair) } else { reversed.push_with(pair) }
    }
    if !repeats.is_empty() {
        graph = graph.merge_repeats(&repeats)?;
    }
    let keeping = if weighted { "one link with the smaller weight" } else { "one link" };
    if !dropped.is_empty() {
        notes.push(format!(
            "dropped {} self-loop(s), which carry nothing between nodes: at {}",
            dropped.count,
            dropped.text()
        ));
    }
    if !same_direction.is_empty() {
        notes.push(format!(
            "merged {} parallel link(s) (the same pair listed again), keeping {keeping}: {}",
            same_direction.count,
            same_direction.text()
        ));
    }
    if !reversed.is_empty() {
        notes.push(format!(
            "merged {} link(s) listed in both directions into one undirected link, keeping {keeping}: {}",
            reversed.count,
            reversed.text()
        ));
    }
    let report = LoadReport {
        nodes,
        edges_in_file,
        edges: graph.edge_count(),
        self_loops_dropped: loops.len(),
        parallel_merged: repeats.len(),
        notes,
    };
    Ok(Loaded { graph, report })
}
