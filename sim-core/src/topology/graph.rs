use crate::{NodeId, TopologyError};

/// Undirected graph in CSR form with optional integer edge weights and node labels.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    offsets: Vec<usize>,
    targets: Vec<NodeId>,
    arc_edges: Vec<u32>,
    endpoints: Vec<(NodeId, NodeId)>,
    weights: Option<Vec<u32>>,
    labels: Option<Vec<String>>,
}

/// Index of an arc (one direction of an edge) in the CSR arrays.
pub type ArcId = usize;
/// Index of an undirected edge.
pub type EdgeId = u32;

impl Graph {
    pub fn node_count(&self) -> u32 {
        (self.offsets.len() - 1) as u32
    }

    pub fn edge_count(&self) -> usize {
        self.endpoints.len()
    }

    #[inline]
    pub fn degree(&self, v: NodeId) -> u32 {
        (self.offsets[v as usize + 1] - self.offsets[v as usize]) as u32
    }

    #[inline]
    pub fn neighbors(&self, v: NodeId) -> &[NodeId] {
        &self.targets[self.offsets[v as usize]..self.offsets[v as usize + 1]]
    }

    /// Prefetches the adjacency index of `v` (step 1 of 2: the index says where the neighbours are).
    #[inline]
    pub fn prefetch_index(&self, v: NodeId) {
        crate::prefetch::read(&self.offsets[v as usize]);
    }

    /// Prefetches the first neighbours of `v` (step 2: reads the index, loaded by step 1).
    #[inline]
    pub fn prefetch_neighbors(&self, v: NodeId) {
        if let Some(first) = self.targets.get(self.offsets[v as usize]) {
            crate::prefetch::read(first);
        }
    }

    /// Arc ids leaving `v`, parallel to `neighbors(v)`.
    #[inline]
    pub fn arcs(&self, v: NodeId) -> std::ops::Range<ArcId> {
        self.offsets[v as usize]..self.offsets[v as usize + 1]
    }

    #[inline]
    pub fn arc_target(&self, a: ArcId) -> NodeId {
        self.targets[a]
    }

    #[inline]
    pub fn arc_edge(&self, a: ArcId) -> EdgeId {
        self.arc_edges[a]
    }

    pub fn endpoints(&self, e: EdgeId) -> (NodeId, NodeId) {
        self.endpoints[e as usize]
    }

    /// Weight of edge `e` (1 when the graph is unweighted).
    #[inline]
    pub fn weight(&self, e: EdgeId) -> u32 {
        self.weights.as_ref().map_or(1, |w| w[e as usize])
    }

    pub fn is_weighted(&self) -> bool {
        self.weights.is_some()
    }

    pub fn label(&self, v: NodeId) -> Option<&str> {
        self.labels.as_ref().map(|l| l[v as usize].as_str())
    }

    pub fn labels(&self) -> Option<&[String]> {
        self.labels.as_deref()
    }

    /// Sizes of the connected components, largest first.
    pub fn component_sizes(&self) -> Vec<u32> {
        let n = self.node_count() as usize;
        let mut seen = vec![false; n];
        let mut sizes = Vec::new();
        let mut stack = Vec::new();
        for s in 0..n {
            if seen[s] {
                continue;
            }
            seen[s] = true;
            stack.push(s as NodeId);
            let mut size = 0;
            while let Some(v) = stack.pop() {
                size += 1;
                for &u in self.neighbors(v) {
                    if !seen[u as usize] {
                        seen[u as usize] = true;
                        stack.push(u);
                    }
                }
            }
            sizes.push(size);
        }
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        sizes
    }

    pub fn is_connected(&self) -> bool {
        self.component_sizes().len() <= 1
    }

    /// Heap bytes held by the CSR arrays, counted by capacity (labels excluded); see
    /// `generators::estimated_bytes` for the estimate made before building.
    pub fn heap_bytes(&self) -> u64 {
        let bytes = |cap: usize, item: usize| (cap * item) as u64;
        bytes(self.offsets.capacity(), size_of::<usize>())
            + bytes(self.targets.capacity(), size_of::<NodeId>())
            + bytes(self.arc_edges.capacity(), size_of::<u32>())
            + bytes(self.endpoints.capacity(), size_of::<(NodeId, NodeId)>())
            + self.weights.as_ref().map_or(0, |w| bytes(w.capacity(), size_of::<u32>()))
    }

    /// Converts to a petgraph graph (node weights: index; edge weights: weight).
    pub fn to_petgraph(&self) -> petgraph::graph::UnGraph<NodeId, u32> {
        let mut g = petgraph::graph::UnGraph::with_capacity(self.node_count() as usize, self.edge_count());
        for v in 0..self.node_count() {
            g.add_node(v);
        }
        for (e, &(u, v)) in self.endpoints.iter().enumerate() {
            g.add_edge(u.into(), v.into(), self.weight(e as EdgeId));
        }
        g
    }
}

/// Collects undirected edges, then builds the CSR arrays. Edges keep the order they were added in.
#[derive(Clone, Debug)]
pub struct GraphBuilder {
    nodes: u32,
    endpoints: Vec<(NodeId, NodeId)>,
    weights: Option<Vec<u32>>,
    labels: Option<Vec<String>>,
}

impl GraphBuilder {
    pub fn new(nodes: u32) -> Self {
        GraphBuilder { nodes, endpoints: Vec::new(), weights: None, labels: None }
    }

    pub fn with_capacity(nodes: u32, edges: usize) -> Self {
        GraphBuilder { endpoints: Vec::with_capacity(edges), ..Self::new(nodes) }
    }

    pub fn node_count(&self) -> u32 {
        self.nodes
    }

    pub fn edge_count(&self) -> usize {
        self.endpoints.len()
    }

    /// Adds the undirected edge {u, v} with weight 1.
    pub fn edge(&mut self, u: NodeId, v: NodeId) -> &mut Self {
        self.endpoints.push((u, v));
        if let Some(w) = &mut self.weights {
            w.push(1);
        }
        self
    }

    /// Adds the undirected edge {u, v} with the given weight; the graph becomes weighted.
    pub fn weighted_edge(&mut self, u: NodeId, v: NodeId, weight: u32) -> &mut Self {
        let existing = self.endpoints.len();
        self.weights
            .get_or_insert_with(|| {
                // Sized like the edge list, so a builder made `with_capacity` never reallocates its weights.
                let mut w = Vec::with_capacity(self.endpoints.capacity());
                w.resize(existing, 1);
                w
            })
            .push(weight);
        self.endpoints.push((u, v));
        self
    }

    pub fn labels(&mut self, labels: Vec<String>) -> &mut Self {
        self.labels = Some(labels);
        self
    }

    pub fn build(self) -> Result<Graph, TopologyError> {
        let n = self.nodes as usize;
        if n < 2 {
            return Err(TopologyError::TooFewNodes { nodes: n as u64 });
        }
        if let Some(labels) = &self.labels
            && labels.len() != n
        {
            return Err(TopologyError::Invalid(format!("{} labels for {} nodes", labels.len(), n)));
        }
        if self.endpoints.len() > EdgeId::MAX as usize {
            return Err(TopologyError::Invalid(format!(
                "{} edges exceed the limit of {} (edge ids are u32)",
                self.endpoints.len(),
                EdgeId::MAX
            )));
        }
        let mut degree = vec![0usize; n + 1];
        for &(u, v) in &self.endpoints {
            for w in [u, v] {
                if w as usize >= n {
                    return Err(TopologyError::NodeOutOfRange { node: w as u64, nodes: n as u64 });
                }
            }
            if u == v {
                return Err(TopologyError::Invalid(format!("self-loop at node {u}")));
            }
            degree[u as usize] += 1;
            degree[v as usize] += 1;
        }
        let mut offsets = Vec::with_capacity(n + 1);
        let mut acc = 0;
        for d in &degree[..n] {
            offsets.push(acc);
            acc += d;
        }
        offsets.push(acc);
        let mut fill = offsets[..n].to_vec();
        let mut targets = vec![0; acc];
        let mut arc_edges = vec![0; acc];
        for (e, &(u, v)) in self.endpoints.iter().enumerate() {
            for (a, b) in [(u, v), (v, u)] {
                let slot = &mut fill[a as usize];
                targets[*slot] = b;
                arc_edges[*slot] = e as EdgeId;
                *slot += 1;
            }
        }
        Ok(Graph { offsets, targets, arc_edges, endpoints: self.endpoints, weights: self.weights, labels: self.labels })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_arcs_point_back_to_their_edges() {
        let mut b = GraphBuilder::new(4);
        b.edge(0, 1).edge(1, 2).weighted_edge(2, 3, 5);
        let g = b.build().unwrap();
        assert_eq!(g.edge_count(), 3);
        assert_eq!(g.neighbors(1), &[0, 2]);
        for v in 0..4 {
            for a in g.arcs(v) {
                let (x, y) = g.endpoints(g.arc_edge(a));
                assert!((x, y) == (v, g.arc_target(a)) || (y, x) == (v, g.arc_target(a)));
            }
        }
        assert_eq!(g.weight(0), 1);
        assert_eq!(g.weight(2), 5);
        assert!(g.is_connected());
    }

    #[test]
    fn self_loops_and_out_of_range_are_errors() {
        let mut b = GraphBuilder::new(3);
        b.edge(1, 1);
        assert!(b.build().is_err());
        let mut b = GraphBuilder::new(3);
        b.edge(0, 3);
        assert!(matches!(b.build(), Err(TopologyError::NodeOutOfRange { .. })));
    }
}
