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

use crate::rng::{Below, SimRng, below};
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

/// Draws [`Topology::random_neighbor`] with what can be worked out once worked out once (on the complete
/// graph, the rejection threshold of the draw). A copy whose variant the compiler sees is a sampler without
/// the test of the variant.
#[derive(Clone, Copy, Debug)]
pub enum NeighborSampler<'t> {
    /// A draw among the `N - 1` other nodes.
    Complete {
        others: Below,
    },
    Graph(&'t Graph),
}

impl NeighborSampler<'_> {
    /// What `random_neighbor(v, rng)` draws, from the same draws.
    #[inline(always)]
    pub fn sample(&self, v: NodeId, rng: &mut SimRng) -> Option<NodeId> {
        match self {
            NeighborSampler::Complete { others } => Some(other_than(v, others.sample(rng))),
            NeighborSampler::Graph(g) => graph_neighbor(g, v, rng),
        }
    }
}

/// The `u`-th node of the complete graph other than `v`.
#[inline(always)]
fn other_than(v: NodeId, u: u32) -> NodeId {
    u + u32::from(u >= v)
}

#[inline(always)]
fn graph_neighbor(g: &Graph, v: NodeId, rng: &mut SimRng) -> Option<NodeId> {
    let ns = g.neighbors(v);
    (!ns.is_empty()).then(|| ns[below(rng, ns.len() as u32) as usize])
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
            Topology::Complete { nodes } => Some(other_than(v, below(rng, nodes - 1))),
            Topology::Graph(g) => graph_neighbor(g, v, rng),
        }
    }

    /// [`Topology::random_neighbor`] for many draws in a row (the turns of a round): the same draws.
    pub fn neighbor_sampler(&self) -> NeighborSampler<'_> {
        match self {
            Topology::Complete { nodes } => NeighborSampler::Complete { others: Below::new(nodes - 1) },
            Topology::Graph(g) => NeighborSampler::Graph(g),
        }
    }

    pub fn as_graph(&self) -> Option<&Graph> {
        match self {
            Topology::Graph(g) => Some(g),
            Topology::Complete { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Lane, Rng, stream};

    /// The sampler draws what `random_neighbor` draws and leaves the stream where it leaves it: on the
    /// complete graph (sizes with frequent and rare rejections) and on a graph with an isolated node.
    #[test]
    fn neighbor_sampler_draws_what_random_neighbor_draws() {
        let mut b = GraphBuilder::new(5);
        b.edge(0, 1).edge(1, 2).edge(1, 3);
        let graph = Topology::from(b.build().unwrap());
        for t in [Topology::complete(2).unwrap(), Topology::complete(3 << 30).unwrap(), graph] {
            let (mut x, mut y) = (stream(4, 0, Lane::Protocol), stream(4, 0, Lane::Protocol));
            let sampler = t.neighbor_sampler();
            for i in 0..5000 {
                let v = i % t.node_count().min(5);
                assert_eq!(sampler.sample(v, &mut x), t.random_neighbor(v, &mut y), "{t:?}, node {v}");
            }
            assert_eq!(x.next_u32(), y.next_u32());
        }
    }
}
