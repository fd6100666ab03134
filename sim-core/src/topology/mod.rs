//! Topologies: an implicit complete graph, or an undirected graph stored as compressed adjacency (CSR).
//!
//! Nodes are `u32` indices. Every undirected edge `e = {u, v}` appears as two arcs, one in the adjacency of
//! `u` and one in that of `v`; both arcs know `e`, so per-link counters and weights are indexed by edge.
//! `generators` makes graphs from parameters and a random stream; `parse` reads edge lists and GraphML text.

pub mod generators;
mod graph;
pub mod parse;

use std::sync::Arc;

pub use graph::{ArcId, EdgeId, Graph, GraphBuilder, Labels};

use crate::rng::{SimRng, below};
use crate::{NodeId, TopologyError};

/// The network's shape. `Complete` never materialises its N(N-1)/2 edges. A graph is shared, not copied,
/// by whatever keeps it beyond one run (an underlay built on it, every replicate of a fixed topology).
#[derive(Clone, Debug)]
pub enum Topology {
    Complete { nodes: u32 },
    Graph(Arc<Graph>),
}

impl From<Graph> for Topology {
    fn from(graph: Graph) -> Self {
        Topology::Graph(Arc::new(graph))
    }
}

impl Topology {
    pub fn complete(nodes: u32) -> Result<Self, TopologyError> {
        if nodes < 2 {
            return Err(TopologyError::TooFewNodes { nodes: nodes as u64 });
        }
        Ok(Topology::Complete { nodes })
    }

    pub fn node_count(&self) -> u32 {
        match self {
            Topology::Complete { nodes } => *nodes,
            Topology::Graph(g) => g.node_count(),
        }
    }

    /// Number of undirected edges.
    pub fn edge_count(&self) -> u64 {
        match self {
            Topology::Complete { nodes } => u64::from(*nodes) * u64::from(nodes - 1) / 2,
            Topology::Graph(g) => g.edge_count() as u64,
        }
    }

    pub fn degree(&self, v: NodeId) -> u32 {
        match self {
            Topology::Complete { nodes } => nodes - 1,
            Topology::Graph(g) => g.degree(v),
        }
    }

    /// A neighbour of `v` chosen uniformly, or `None` for an isolated node. Always inlined: epidemic
    /// rounds call it once per node per round, across the crate boundary.
    #[inline(always)]
    pub fn random_neighbor(&self, v: NodeId, rng: &mut SimRng) -> Option<NodeId> {
        match self {
            Topology::Complete { nodes } => {
                let u = below(rng, nodes - 1);
                Some(u + u32::from(u >= v))
            }
            Topology::Graph(g) => {
                let ns = g.neighbors(v);
                (!ns.is_empty()).then(|| ns[below(rng, ns.len() as u32) as usize])
            }
        }
    }

    pub fn as_graph(&self) -> Option<&Graph> {
        match self {
            Topology::Graph(g) => Some(g),
            Topology::Complete { .. } => None,
        }
    }
}
