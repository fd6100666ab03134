//! Topologies: an implicit complete graph, or an undirected graph stored as compressed adjacency (CSR).
//!
//! Nodes are `u32` indices. Every undirected edge `e = {u, v}` appears as two arcs, one in the adjacency of
//! `u` and one in that of `v`; both arcs know `e`, so per-link counters and weights are indexed by edge.
//! `generators` makes graphs from parameters and a random stream; `parse` reads edge list, GraphML and GML text.

pub mod generators;
mod graph;
pub mod parse;

use std::sync::Arc;

pub use graph::{ArcId, EdgeId, Graph, GraphBuilder, Labels};

use crate::rng::{Below, Rng, SimRng, WordRuns, below, other_than};
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

/// Draws what [`Topology::random_neighbor`] draws, from the same words, for many nodes in a row (the
/// turns of a round), with what can be worked out once worked out once. Each kind of topology has its
/// own type, so that a loop generic over it draws without testing the kind.
pub trait DrawNeighbor {
    /// What `random_neighbor(v, rng)` draws.
    fn draw(&self, v: NodeId, rng: &mut impl Rng) -> Option<NodeId>;

    /// What `draw` draws for the nodes `first`, `first + 1`, … in turn, one per element of `out` (at most
    /// 64): `out[i]` is the neighbour of `first + i`, or `first + i` itself if it has none; bit `i` of
    /// the result is set for such nodes.
    #[inline]
    fn draw_run(&self, first: NodeId, out: &mut [NodeId], rng: &mut impl WordRuns) -> u64 {
        debug_assert!(out.len() <= 64);
        let mut alone = 0;
        for (i, slot) in (0..).zip(out) {
            *slot = self.draw(first + i, rng).unwrap_or_else(|| {
                alone |= 1 << i;
                first + i
            });
        }
        alone
    }
}

/// [`DrawNeighbor`] for either kind of topology ([`Topology::neighbor_sampler`]).
#[derive(Clone, Copy, Debug)]
pub enum NeighborSampler<'t> {
    Complete(OtherNodes),
    Graph(&'t Graph),
}

/// Neighbours on the complete graph: the other nodes, with the rejection threshold of the draw
/// computed once.
#[derive(Clone, Copy, Debug)]
pub struct OtherNodes {
    others: Below,
}

impl DrawNeighbor for OtherNodes {
    #[inline(always)]
    fn draw(&self, v: NodeId, rng: &mut impl Rng) -> Option<NodeId> {
        Some(other_than(v, self.others.sample(rng)))
    }

    /// Without a test per draw: [`Below::fill_skipping`], skipping over each node itself.
    #[inline]
    fn draw_run(&self, first: NodeId, out: &mut [NodeId], rng: &mut impl WordRuns) -> u64 {
        self.others.fill_skipping(first, out, rng);
        0
    }
}

impl DrawNeighbor for Graph {
    #[inline(always)]
    fn draw(&self, v: NodeId, rng: &mut impl Rng) -> Option<NodeId> {
        graph_neighbor(self, v, rng)
    }
}

impl DrawNeighbor for NeighborSampler<'_> {
    #[inline(always)]
    fn draw(&self, v: NodeId, rng: &mut impl Rng) -> Option<NodeId> {
        match self {
            NeighborSampler::Complete(others) => others.draw(v, rng),
            NeighborSampler::Graph(g) => g.draw(v, rng),
        }
    }
}

#[inline(always)]
fn graph_neighbor(g: &Graph, v: NodeId, rng: &mut impl Rng) -> Option<NodeId> {
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
            Topology::Complete { nodes } => NeighborSampler::Complete(OtherNodes { others: Below::new(nodes - 1) }),
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

    /// The sampler draws what `random_neighbor` draws and leaves the stream where it leaves it, node by
    /// node and in runs: on the complete graph (sizes with frequent and rare rejections) and on a graph
    /// with an isolated node.
    #[test]
    fn neighbor_sampler_draws_what_random_neighbor_draws() {
        let mut b = GraphBuilder::new(5);
        b.edge(0, 1).edge(1, 2).edge(1, 3);
        let graph = Topology::from(b.build().unwrap());
        for t in [Topology::complete(2).unwrap(), Topology::complete(3 << 30).unwrap(), graph] {
            let n = t.node_count().min(200);
            let (mut x, mut y) = (stream(4, 0, Lane::Protocol), stream(4, 0, Lane::Protocol));
            let sampler = t.neighbor_sampler();
            for i in 0..5000 {
                let v = i % n;
                assert_eq!(sampler.draw(v, &mut x), t.random_neighbor(v, &mut y), "{t:?}, node {v}");
            }
            assert_eq!(x.next_u32(), y.next_u32());
            for (first, len) in [(0, 0), (0, 1), (1, (n - 1).min(64)), (0, n.min(64)), (n - n.min(37), n.min(37))] {
                let mut out = vec![0; len as usize];
                let alone = match sampler {
                    NeighborSampler::Complete(others) => others.draw_run(first, &mut out, &mut x),
                    NeighborSampler::Graph(g) => g.draw_run(first, &mut out, &mut x),
                };
                for (i, &q) in (0..).zip(&out) {
                    let v = first + i;
                    let expected = t.random_neighbor(v, &mut y);
                    assert_eq!(
                        (q, alone >> i & 1 == 1),
                        (expected.unwrap_or(v), expected.is_none()),
                        "{t:?}, node {v}"
                    );
                }
                assert_eq!(x.next_u32(), y.next_u32());
            }
        }
    }
}
