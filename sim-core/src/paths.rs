//! Single-source shortest paths with path reconstruction, over edge weights (Dijkstra).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::NodeId;
use crate::topology::{ArcId, EdgeId, Graph};

/// Distance meaning "not reachable".
pub const UNREACHABLE: u64 = u64::MAX;

/// Shortest-path tree from one source. Ties between equal-length paths are broken towards the
/// predecessor settled first, which makes the tree a deterministic function of the graph.
#[derive(Clone, Debug)]
pub struct ShortestPaths {
    source: NodeId,
    dist: Vec<u64>,
    /// Arc by which each node was reached (`usize::MAX` for the source and unreachable nodes).
    via: Vec<ArcId>,
}

impl ShortestPaths {
    /// Dijkstra from `source` using the graph's edge weights (1 when unweighted).
    pub fn from(graph: &Graph, source: NodeId) -> Self {
        let n = graph.node_count() as usize;
        let mut dist = vec![UNREACHABLE; n];
        let mut via = vec![usize::MAX; n];
        let mut heap = BinaryHeap::new();
        dist[source as usize] = 0;
        heap.push(Reverse((0u64, source)));
        while let Some(Reverse((d, v))) = heap.pop() {
            if d > dist[v as usize] {
                continue;
            }
            for a in graph.arcs(v) {
                let u = graph.arc_target(a);
                let nd = d + u64::from(graph.weight(graph.arc_edge(a)));
                if nd < dist[u as usize] {
                    dist[u as usize] = nd;
                    via[u as usize] = a;
                    heap.push(Reverse((nd, u)));
                }
            }
        }
        ShortestPaths { source, dist, via }
    }

    /// Breadth-first search from `source`: distances in hops, ignoring edge weights.
    pub fn hops_from(graph: &Graph, source: NodeId) -> Self {
        let n = graph.node_count() as usize;
        let mut dist = vec![UNREACHABLE; n];
        let mut via = vec![usize::MAX; n];
        let mut frontier = std::collections::VecDeque::from([source]);
        dist[source as usize] = 0;
        while let Some(v) = frontier.pop_front() {
            for a in graph.arcs(v) {
                let u = graph.arc_target(a);
                if dist[u as usize] == UNREACHABLE {
                    dist[u as usize] = dist[v as usize] + 1;
                    via[u as usize] = a;
                    frontier.push_back(u);
                }
            }
        }
        ShortestPaths { source, dist, via }
    }

    pub fn source(&self) -> NodeId {
        self.source
    }

    /// Distance to `v`, or `UNREACHABLE`.
    pub fn dist(&self, v: NodeId) -> u64 {
        self.dist[v as usize]
    }

    pub fn distances(&self) -> &[u64] {
        &self.dist
    }

    /// Largest finite distance (the weighted eccentricity of the source within its component).
    pub fn eccentricity(&self) -> u64 {
        self.dist.iter().copied().filter(|&d| d != UNREACHABLE).max().unwrap_or(0)
    }

    /// Edges on the path from the source to `target`, in order from the source; `None` if unreachable.
    pub fn path_edges(&self, graph: &Graph, target: NodeId) -> Option<Vec<EdgeId>> {
        if self.dist[target as usize] == UNREACHABLE {
            return None;
        }
        let mut edges = Vec::new();
        let mut v = target;
        while v != self.source {
            let a = self.via[v as usize];
            let e = graph.arc_edge(a);
            edges.push(e);
            let (x, y) = graph.endpoints(e);
            v = if x == v { y } else { x };
        }
        edges.reverse();
        Some(edges)
    }

    /// Nodes on the path from the source to `target`, both ends included; `None` if unreachable.
    pub fn path_nodes(&self, graph: &Graph, target: NodeId) -> Option<Vec<NodeId>> {
        let edges = self.path_edges(graph, target)?;
        let mut nodes = vec![self.source];
        for e in edges {
            let (x, y) = graph.endpoints(e);
            let last = *nodes.last().expect("non-empty");
            nodes.push(if x == last { y } else { x });
        }
        Some(nodes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::GraphBuilder;

    #[test]
    fn dijkstra_finds_weighted_shortest_path() {
        // 0 -1- 1 -1- 2, and a direct 0 -5- 2.
        let mut b = GraphBuilder::new(4);
        b.weighted_edge(0, 1, 1).weighted_edge(1, 2, 1).weighted_edge(0, 2, 5).weighted_edge(2, 3, 2);
        let g = b.build().unwrap();
        let sp = ShortestPaths::from(&g, 0);
        assert_eq!(sp.dist(2), 2);
        assert_eq!(sp.dist(3), 4);
        assert_eq!(sp.path_nodes(&g, 3).unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(sp.path_edges(&g, 3).unwrap(), vec![0, 1, 3]);
        assert_eq!(sp.eccentricity(), 4);
    }
}
