//! Topology files: plain edge lists and Internet Topology Zoo GraphML. Parsers take text, never paths.
//!
//! Real files list links more than once and sometimes link a node to itself. The loaders keep the graph simple:
//! self-loops are dropped and repeated links (in either direction) merged into one, keeping the smaller weight.
//! Every such decision is counted in the `LoadReport` and described in its notes, never taken silently.

#![expect(clippy::disallowed_types, reason = "maps are looked up, never iterated into the graph")]

mod graphml;

pub use graphml::{GraphmlWeights, graphml};

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::topology::{Graph, GraphBuilder};
use crate::{NodeId, TopologyError};

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

/// A link as listed in a file.
#[derive(Clone, Copy, Debug)]
struct Link {
    u: NodeId,
    v: NodeId,
    weight: u32,
}

/// At most this many items are spelled out in a note.
const LISTED: usize = 8;

fn listing(items: &[String]) -> String {
    let mut text = items[..items.len().min(LISTED)].join(", ");
    if items.len() > LISTED {
        text += &format!(", and {} more", items.len() - LISTED);
    }
    text
}

/// Builds the simple graph from the listed links, dropping self-loops and merging repeated links. `file_ids`,
/// when the file names nodes apart from their labels, is shown beside each label in the notes.
fn assemble(
    labels: Vec<String>,
    links: &[Link],
    weighted: bool,
    mut notes: Vec<String>,
    file_ids: Option<&[&str]>,
) -> Result<Loaded, TopologyError> {
    let name = |v: NodeId| match file_ids {
        Some(ids) => format!("{} ({})", labels[v as usize], ids[v as usize]),
        None => labels[v as usize].clone(),
    };
    let mut kept: Vec<Link> = Vec::with_capacity(links.len());
    // Looked up only, never iterated, so the kept order is the file's.
    let mut index: HashMap<(NodeId, NodeId), usize> = HashMap::with_capacity(links.len());
    let (mut loops, mut same_direction, mut reversed) = (Vec::new(), Vec::new(), Vec::new());
    for &link in links {
        if link.u == link.v {
            loops.push(name(link.u));
            continue;
        }
        match index.entry((link.u.min(link.v), link.u.max(link.v))) {
            Entry::Vacant(slot) => {
                slot.insert(kept.len());
                kept.push(link);
            }
            Entry::Occupied(slot) => {
                let first = &mut kept[*slot.get()];
                first.weight = first.weight.min(link.weight);
                let pair = format!("{} -- {}", name(first.u), name(first.v));
                if first.u == link.u {
                    same_direction.push(pair);
                } else {
                    reversed.push(pair);
                }
            }
        }
    }
    let keeping = if weighted { "one link with the smaller weight" } else { "one link" };
    if !loops.is_empty() {
        notes.push(format!(
            "dropped {} self-loop(s), which carry nothing between nodes: at {}",
            loops.len(),
            listing(&loops)
        ));
    }
    if !same_direction.is_empty() {
        notes.push(format!(
            "merged {} parallel link(s) (the same pair listed again), keeping {keeping}: {}",
            same_direction.len(),
            listing(&same_direction)
        ));
    }
    if !reversed.is_empty() {
        notes.push(format!(
            "merged {} link(s) listed in both directions into one undirected link, keeping {keeping}: {}",
            reversed.len(),
            listing(&reversed)
        ));
    }
    let report = LoadReport {
        nodes: labels.len() as u32,
        edges_in_file: links.len(),
        edges: kept.len(),
        self_loops_dropped: loops.len(),
        parallel_merged: same_direction.len() + reversed.len(),
        notes,
    };
    let mut b = GraphBuilder::with_capacity(report.nodes, kept.len());
    for link in kept {
        if weighted {
            b.weighted_edge(link.u, link.v, link.weight);
        } else {
            b.edge(link.u, link.v);
        }
    }
    b.labels(labels);
    Ok(Loaded { graph: b.build()?, report })
}

/// An edge list: one link `u v` or `u v weight` per line; `#` starts a comment, blank lines are skipped. Node
/// tokens are labels, numbered densely in order of first appearance (so `7 3` makes `7` node 0); the graph keeps
/// them as its labels. Weights are positive integers, given on every line or on none (then every link weighs 1).
pub fn edge_list(text: &str) -> Result<Loaded, TopologyError> {
    let mut ids: HashMap<&str, NodeId> = HashMap::new();
    let mut labels: Vec<String> = Vec::new();
    let mut links = Vec::new();
    // The first link's line and whether it had a weight; the others must agree.
    let mut first: Option<(usize, bool)> = None;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let content = line.split_once('#').map_or(line, |(before, _)| before);
        let fields: Vec<&str> = content.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let error = |message: String| TopologyError::Parse { line: line_no, message };
        let (u, v, weight) = match fields[..] {
            [u, v] => (u, v, None),
            [u, v, w] => (u, v, Some(parse_weight(w).map_err(error)?)),
            _ => {
                return Err(error(format!(
                    "expected `u v` or `u v weight`, found {} fields: `{}`",
                    fields.len(),
                    content.trim()
                )));
            }
        };
        match first {
            None => first = Some((line_no, weight.is_some())),
            Some((line, had)) if had != weight.is_some() => {
                let (this, that) = if had { ("no weight", "one") } else { ("a weight", "none") };
                return Err(error(format!(
                    "this link has {this} but the first link (line {line}) has {that}: give every link a weight \
                     or none"
                )));
            }
            Some(_) => {}
        }
        links.push(Link {
            u: intern(&mut ids, &mut labels, u),
            v: intern(&mut ids, &mut labels, v),
            weight: weight.unwrap_or(1),
        });
    }
    let Some((_, weighted)) = first else {
        return Err(TopologyError::Invalid("edge list: no links found (expected lines `u v` or `u v weight`)".into()));
    };
    let notes = vec![if weighted {
        "weights: as given in the file".to_string()
    } else {
        "weights: none given, every link weighs 1".to_string()
    }];
    assemble(labels, &links, weighted, notes, None)
}

/// The id of the node labelled `token`, numbering new labels in order of first appearance.
fn intern<'a>(ids: &mut HashMap<&'a str, NodeId>, labels: &mut Vec<String>, token: &'a str) -> NodeId {
    *ids.entry(token).or_insert_with(|| {
        labels.push(token.to_string());
        (labels.len() - 1) as NodeId
    })
}

fn parse_weight(token: &str) -> Result<u32, String> {
    match token.parse::<u32>() {
        Ok(w) if w > 0 => Ok(w),
        _ => Err(format!("weight `{token}` is not a positive integer (allowed: 1 to {})", u32::MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> (usize, String) {
        match edge_list(text) {
            Err(TopologyError::Parse { line, message }) => (line, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn reads_labels_comments_and_weights() {
        let text = "# a comment\n\nparis berlin 5\nberlin rome 7  # trailing comment\n  rome paris 2\n";
        let loaded = edge_list(text).unwrap();
        let g = &loaded.graph;
        assert_eq!(g.labels().unwrap(), ["paris", "berlin", "rome"]);
        assert_eq!((g.node_count(), g.edge_count()), (3, 3));
        assert_eq!((g.endpoints(2), g.weight(2)), ((2, 0), 2));
        assert_eq!(loaded.report.edges_in_file, 3);
        assert!(g.is_weighted());
    }

    #[test]
    fn drops_loops_and_merges_repeats_with_a_report() {
        let text = "a b 4\nb a 3\na b 9\nc c 1\nb c 2\n";
        let loaded = edge_list(text).unwrap();
        let r = &loaded.report;
        assert_eq!((r.nodes, r.edges_in_file, r.edges, r.self_loops_dropped, r.parallel_merged), (3, 5, 2, 1, 2));
        // The merged link keeps the first listing's direction and the smallest weight.
        assert_eq!((loaded.graph.endpoints(0), loaded.graph.weight(0)), ((0, 1), 3));
        let notes = r.notes.join("\n");
        assert!(notes.contains("dropped 1 self-loop(s), which carry nothing between nodes: at c"), "{notes}");
        assert!(
            notes.contains(
                "merged 1 parallel link(s) (the same pair listed again), keeping one link with \
                                the smaller weight: a -- b"
            ),
            "{notes}"
        );
        assert!(notes.contains("merged 1 link(s) listed in both directions"), "{notes}");
    }

    #[test]
    fn unweighted_lists_weigh_one_and_long_notes_are_cut() {
        let text: String = (0..12).map(|i| format!("x{i} x{i}\nx{i} y\n")).collect();
        let loaded = edge_list(&text).unwrap();
        assert!(!loaded.graph.is_weighted());
        assert_eq!(loaded.report.self_loops_dropped, 12);
        assert!(loaded.report.notes.iter().any(|n| n.ends_with("x7, and 4 more")), "{:?}", loaded.report.notes);
        assert!(loaded.report.notes.iter().any(|n| n == "weights: none given, every link weighs 1"));
    }

    #[test]
    fn every_malformed_line_is_named() {
        assert_eq!(error("a b\nc\n"), (2, "expected `u v` or `u v weight`, found 1 fields: `c`".into()));
        assert_eq!(error("a b 1 2 # x"), (1, "expected `u v` or `u v weight`, found 4 fields: `a b 1 2`".into()));
        for bad in ["0", "-3", "1.5", "heavy", "4294967296"] {
            let (line, message) = error(&format!("a b 1\n\nb c {bad}\n"));
            assert_eq!(line, 3);
            assert_eq!(message, format!("weight `{bad}` is not a positive integer (allowed: 1 to 4294967295)"));
        }
        let (line, message) = error("# header\na b 1\nb c\n");
        assert_eq!(line, 3);
        assert!(message.starts_with("this link has no weight but the first link (line 2) has one"), "{message}");
        let (line, message) = error("a b\nb c 4\n");
        assert_eq!(line, 2);
        assert!(message.starts_with("this link has a weight but the first link (line 1) has none"), "{message}");
    }

    #[test]
    fn empty_lists_and_single_nodes_are_errors() {
        assert!(matches!(edge_list("# nothing\n\n"), Err(TopologyError::Invalid(_))));
        assert_eq!(edge_list("a a\n").unwrap_err(), TopologyError::TooFewNodes { nodes: 1 });
    }
}
