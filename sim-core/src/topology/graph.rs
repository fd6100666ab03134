use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::{NodeId, TopologyError, pages, prefetch};

/// How many edges ahead `GraphBuilder::build` prefetches the rows it will write.
const AHEAD: usize = 16;
/// Every edge is two arcs, and arc ids are u32.
const MAX_EDGES: usize = (u32::MAX / 2) as usize;
/// Rows up to this long are checked for repeated targets pair by pair, without a sort.
const SHORT_ROW: usize = 16;

/// Whether no target above `u` appears twice in `row` (at most `SHORT_ROW` long): those targets gathered without
/// a branch, then each pair compared, which for a few targets costs less than a sort and mispredicts less.
#[inline]
fn distinct_above(u: NodeId, row: &[NodeId]) -> bool {
    let mut above = [0; SHORT_ROW];
    let mut count = 0;
    for &v in row {
        // `count` stays below SHORT_ROW until the last target is written: the mask only spares a bounds check.
        above[count % SHORT_ROW] = v;
        count += usize::from(v > u);
    }
    let mut same = false;
    for i in 1..count {
        same |= above[..i].iter().fold(false, |same, &w| same | (w == above[i]));
    }
    !same
}

/// Writes the arcs of `endpoints` into their rows, each row from its end down, edges taken last to first:
/// `offsets[v]` goes from the end of row v to its start. Rows are written at random: the row bounds are
/// prefetched some edges ahead, and where the arcs will go (about: the rows fill from their ends down) half as
/// far ahead, once those bounds have come in.
fn fill_rows(endpoints: &[(NodeId, NodeId)], offsets: &mut [u32], targets: &mut [NodeId]) {
    let place = |offsets: &mut [u32], targets: &mut [NodeId], (u, v): (NodeId, NodeId)| {
        for (a, b) in [(u, v), (v, u)] {
            let slot = &mut offsets[a as usize];
            *slot -= 1;
            targets[*slot as usize] = b;
        }
    };
    let m = endpoints.len();
    if m > AHEAD {
        let edges = endpoints[AHEAD..].iter().rev();
        let far = endpoints[..m - AHEAD].iter().rev();
        let near = endpoints[AHEAD / 2..m - AHEAD / 2].iter().rev();
        for ((&edge, &(a, b)), &(c, d)) in edges.zip(far).zip(near) {
            prefetch::read_at(offsets, a as usize);
            prefetch::read_at(offsets, b as usize);
            for w in [c, d] {
                prefetch::read_at(targets, offsets[w as usize].wrapping_sub(1) as usize);
            }
            place(offsets, targets, edge);
        }
    }
    for &edge in endpoints[..AHEAD.min(m)].iter().rev() {
        place(offsets, targets, edge);
    }
}

/// Undirected graph in CSR form with optional integer edge weights and node labels.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Row starts, as u32: arcs are limited to u32::MAX (a graph that large would exceed any memory budget
    /// long before), and the flood's first lookup per node stays half the size.
    offsets: Vec<u32>,
    targets: Vec<NodeId>,
    /// The edge of each arc, parallel to `targets`: laid out when first asked for (`Graph::arc_edge`), as
    /// loading, connectivity and a flood whose delays ignore weights never ask, and the random writes that
    /// lay them out cost as much as those of the targets.
    arc_edges: OnceLock<Vec<EdgeId>>,
    /// Sizes of the connected components, searched when first asked for: the runner's connectivity check
    /// and the model's preparation both ask, and on a large graph each search costs as much as a tenth of
    /// building it.
    component_sizes: OnceLock<Vec<u32>>,
    endpoints: Vec<(NodeId, NodeId)>,
    weights: Option<Vec<u32>>,
    labels: Option<Labels>,
}

/// Node names, one per node, kept in one string (a `String` per node would cost an allocation and 24 bytes
/// more each).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels {
    text: String,
    /// `ends[v]`: where label v ends in `text` (it starts where label v - 1 ends).
    ends: Vec<usize>,
}

impl Labels {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the label of the next node.
    pub fn push(&mut self, label: &str) {
        self.text.push_str(label);
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, v: NodeId) -> Option<&str> {
        let v = v as usize;
        let end = *self.ends.get(v)?;
        let start = if v == 0 { 0 } else { self.ends[v - 1] };
        Some(&self.text[start..end])
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len() as NodeId).map(|v| self.get(v).expect("in range"))
    }

    /// For each name, the first node carrying it, in one pass over the labels.
    pub fn find(&self, names: &[&str]) -> Vec<Option<NodeId>> {
        let mut first: BTreeMap<&str, Option<NodeId>> = names.iter().map(|&name| (name, None)).collect();
        let mut missing = first.len();
        for (v, label) in (0..).zip(self.iter()) {
            if missing == 0 {
                break;
            }
            if let Some(slot @ None) = first.get_mut(label) {
                *slot = Some(v);
                missing -= 1;
            }
        }
        names.iter().map(|name| first[name]).collect()
    }

    fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

impl<S: AsRef<str>> FromIterator<S> for Labels {
    fn from_iter<I: IntoIterator<Item = S>>(labels: I) -> Self {
        let mut all = Labels::new();
        for label in labels {
            all.push(label.as_ref());
        }
        all
    }
}

impl From<Vec<String>> for Labels {
    fn from(labels: Vec<String>) -> Self {
        labels.iter().collect()
    }
}

/// Index of an arc (one direction of an edge) in the CSR arrays.
pub type ArcId = usize;
/// Index of an undirected edge.
pub type EdgeId = u32;

impl Graph {
    /// A graph from CSR arrays already laid out as `GraphBuilder::build` lays them out: rows in edge order.
    pub(crate) fn from_csr(offsets: Vec<u32>, targets: Vec<NodeId>, endpoints: Vec<(NodeId, NodeId)>) -> Self {
        debug_assert_eq!(offsets.last().map(|&o| o as usize), Some(targets.len()));
        debug_assert_eq!(targets.len(), 2 * endpoints.len());
        Graph {
            offsets,
            targets,
            arc_edges: OnceLock::new(),
            component_sizes: OnceLock::new(),
            endpoints,
            weights: None,
            labels: None,
        }
    }

    pub fn node_count(&self) -> u32 {
        (self.offsets.len() - 1) as u32
    }

    pub fn edge_count(&self) -> usize {
        self.endpoints.len()
    }

    #[inline]
    pub fn degree(&self, v: NodeId) -> u32 {
        self.offsets[v as usize + 1] - self.offsets[v as usize]
    }

    #[inline]
    pub fn neighbors(&self, v: NodeId) -> &[NodeId] {
        &self.targets[self.arcs(v)]
    }

    /// Prefetches the adjacency index of `v` (step 1 of 2: the index says where the neighbours are).
    #[inline]
    pub fn prefetch_index(&self, v: NodeId) {
        crate::prefetch::read(&self.offsets[v as usize]);
    }

    /// Prefetches the neighbours of `v`, both ends of the row, which may straddle two cache lines (step 2:
    /// reads the index, loaded by step 1).
    #[inline]
    pub fn prefetch_neighbors(&self, v: NodeId) {
        let row = self.neighbors(v);
        if let (Some(first), Some(last)) = (row.first(), row.last()) {
            crate::prefetch::read(first);
            crate::prefetch::read(last);
        }
    }

    /// Arc ids leaving `v`, parallel to `neighbors(v)`.
    #[inline]
    pub fn arcs(&self, v: NodeId) -> std::ops::Range<ArcId> {
        self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize
    }

    #[inline]
    pub fn arc_target(&self, a: ArcId) -> NodeId {
        self.targets[a]
    }

    #[inline]
    pub fn arc_edge(&self, a: ArcId) -> EdgeId {
        self.arc_edges.get_or_init(|| self.lay_out_arc_edges())[a]
    }

    /// The edge of every arc. Each row lists its arcs in edge order (as `GraphBuilder::build` and `from_csr`
    /// lay them out), so walking the edges in order with a cursor per row finds each arc's place.
    #[cold]
    fn lay_out_arc_edges(&self) -> Vec<EdgeId> {
        let mut next = self.offsets[..self.offsets.len() - 1].to_vec();
        let mut arc_edges = vec![0; self.targets.len()];
        pages::advise_huge(&arc_edges);
        for (e, &(u, v)) in (0..).zip(&self.endpoints) {
            if let Some(&(a, b)) = self.endpoints.get(e as usize + AHEAD) {
                prefetch::read_at(&next, a as usize);
                prefetch::read_at(&next, b as usize);
            }
            for w in [u, v] {
                let slot = &mut next[w as usize];
                arc_edges[*slot as usize] = e;
                *slot += 1;
            }
        }
        arc_edges
    }

    pub fn endpoints(&self, e: EdgeId) -> (NodeId, NodeId) {
        self.endpoints[e as usize]
    }

    /// Weight of edge `e` (1 when the graph is unweighted).
    #[inline]
    pub fn weight(&self, e: EdgeId) -> u32 {
        self.weights.as_ref().map_or(1, |w| w[e as usize])
    }

    /// The smallest edge weight (1 for an unweighted graph, 0 for a graph without edges).
    pub fn min_weight(&self) -> u32 {
        match &self.weights {
            Some(w) => w.iter().copied().min().unwrap_or(0),
            None => u32::from(!self.endpoints.is_empty()),
        }
    }

    /// The largest edge weight (1 for an unweighted graph, 0 for a graph without edges).
    pub fn max_weight(&self) -> u32 {
        match &self.weights {
            Some(w) => w.iter().copied().max().unwrap_or(0),
            None => u32::from(!self.endpoints.is_empty()),
        }
    }

    pub fn is_weighted(&self) -> bool {
        self.weights.is_some()
    }

    pub fn label(&self, v: NodeId) -> Option<&str> {
        self.labels.as_ref().and_then(|l| l.get(v))
    }

    pub fn labels(&self) -> Option<&Labels> {
        self.labels.as_ref()
    }

    /// Sizes of the connected components, largest first (searched once, then kept).
    pub fn component_sizes(&self) -> &[u32] {
        self.component_sizes.get_or_init(|| self.search_components())
    }

    /// [`Graph::component_sizes`], searched breadth-first, so that the rows of queued nodes can be prefetched
    /// well before they are read.
    fn search_components(&self) -> Vec<u32> {
        let n = self.node_count() as usize;
        let mut seen = vec![0u64; n.div_ceil(64)];
        let mut queue: Vec<NodeId> = Vec::with_capacity(n);
        let mut sizes = Vec::new();
        for s in 0..n {
            if seen[s / 64] & (1 << (s % 64)) != 0 {
                continue;
            }
            seen[s / 64] |= 1 << (s % 64);
            let first = queue.len();
            queue.push(s as NodeId);
            let mut head = first;
            while let Some(&v) = queue.get(head) {
                if let Some(&ahead) = queue.get(head + 16) {
                    self.prefetch_index(ahead);
                }
                if let Some(&ahead) = queue.get(head + 8) {
                    self.prefetch_neighbors(ahead);
                }
                head += 1;
                for &u in self.neighbors(v) {
                    let (word, bit) = (u as usize / 64, 1u64 << (u % 64));
                    if seen[word] & bit == 0 {
                        seen[word] |= bit;
                        queue.push(u);
                    }
                }
            }
            sizes.push((queue.len() - first) as u32);
        }
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        sizes
    }

    pub fn is_connected(&self) -> bool {
        self.component_sizes().len() <= 1
    }

    /// Nodes and edges of the connected component of `source` (breadth-first; edges counted as half the sum
    /// of the component's degrees).
    pub fn component_of(&self, source: NodeId) -> (u32, u64) {
        let mut seen = vec![0u64; (self.node_count() as usize).div_ceil(64)];
        let mut queue: Vec<NodeId> = vec![source];
        seen[source as usize / 64] |= 1 << (source % 64);
        let (mut head, mut degrees) = (0, 0u64);
        while let Some(&v) = queue.get(head) {
            head += 1;
            degrees += u64::from(self.degree(v));
            for &u in self.neighbors(v) {
                let (word, bit) = (u as usize / 64, 1u64 << (u % 64));
                if seen[word] & bit == 0 {
                    seen[word] |= bit;
                    queue.push(u);
                }
            }
        }
        (queue.len() as u32, degrees / 2)
    }

    /// Edges that repeat an earlier edge between the same two nodes, in either direction: `(repeat, first)`
    /// pairs in the order of `repeat`, `first` being the pair's smallest edge id. Found by sorting each
    /// adjacency row (each pair is looked at from its smaller end), without hashing; a short row is first checked
    /// pair by pair.
    pub(crate) fn repeated_edges(&self) -> Vec<(EdgeId, EdgeId)> {
        let mut repeats = Vec::new();
        let mut upper: Vec<NodeId> = Vec::new();
        let mut pairs: Vec<(NodeId, EdgeId)> = Vec::new();
        for u in 0..self.node_count() {
            // Most rows have no repeat: comparing each pair of a short row's targets, or sorting a long row's,
            // shows it; only then are edge ids looked at.
            let row = self.neighbors(u);
            let unique = if row.len() <= SHORT_ROW {
                distinct_above(u, row)
            } else {
                upper.clear();
                upper.extend(row.iter().filter(|&&v| v > u));
                upper.sort_unstable();
                upper.windows(2).all(|w| w[0] != w[1])
            };
            if unique {
                continue;
            }
            pairs.clear();
            for a in self.arcs(u) {
                if self.targets[a] > u {
                    pairs.push((self.targets[a], self.arc_edge(a)));
                }
            }
            pairs.sort_unstable();
            for same in pairs.chunk_by(|a, b| a.0 == b.0) {
                let first = same[0].1;
                repeats.extend(same[1..].iter().map(|&(_, repeat)| (repeat, first)));
            }
        }
        repeats.sort_unstable();
        repeats
    }

    /// The graph without the `repeats` (as `repeated_edges` lists them), each first edge keeping the smallest
    /// weight of its repeats. Edge ids are renumbered in order; labels stay.
    pub(crate) fn merge_repeats(self, repeats: &[(EdgeId, EdgeId)]) -> Result<Graph, TopologyError> {
        let nodes = self.node_count();
        let mut weights = self.weights;
        if let Some(w) = &mut weights {
            for &(repeat, first) in repeats {
                w[first as usize] = w[first as usize].min(w[repeat as usize]);
            }
        }
        let mut dropped = repeats.iter().map(|&(repeat, _)| repeat as usize).peekable();
        let edges = self.endpoints.len() - repeats.len();
        let mut kept = Vec::with_capacity(edges);
        let mut kept_weights = weights.as_ref().map(|_| Vec::with_capacity(edges));
        for (e, &ends) in self.endpoints.iter().enumerate() {
            if dropped.next_if_eq(&e).is_some() {
                continue;
            }
            kept.push(ends);
            if let (Some(all), Some(w)) = (&weights, &mut kept_weights) {
                w.push(all[e]);
            }
        }
        let mut b = GraphBuilder::from_edges(nodes, kept, kept_weights);
        b.labels = self.labels;
        b.build()
    }

    /// Heap bytes held by the CSR arrays, counted by capacity (labels excluded); see
    /// `generators::estimated_bytes` for the estimate made before building.
    pub fn heap_bytes(&self) -> u64 {
        let bytes = |cap: usize, item: usize| (cap * item) as u64;
        bytes(self.offsets.capacity(), size_of::<u32>())
            + bytes(self.targets.capacity(), size_of::<NodeId>())
            // The edges of the arcs whether laid out yet or not: any use of the graph may lay them out.
            + bytes(self.targets.len(), size_of::<EdgeId>())
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
    labels: Option<Labels>,
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

    pub fn labels(&mut self, labels: impl Into<Labels>) -> &mut Self {
        let mut labels = labels.into();
        labels.shrink_to_fit();
        self.labels = Some(labels);
        self
    }

    /// A builder over edges already collected (weights, if any, parallel to them).
    pub(crate) fn from_edges(nodes: u32, endpoints: Vec<(NodeId, NodeId)>, weights: Option<Vec<u32>>) -> Self {
        debug_assert!(weights.as_ref().is_none_or(|w| w.len() == endpoints.len()));
        GraphBuilder { nodes, endpoints, weights, labels: None }
    }

    pub fn build(self) -> Result<Graph, TopologyError> {
        self.check_size()?;
        let n = self.nodes as usize;
        // Both the degrees (then the row bounds) and the targets are written at random rows, and the targets
        // are read so by whatever runs on the graph: huge pages spare a page walk per access (see `pages`).
        let mut degrees = vec![0u32; n + 1];
        pages::advise_huge(&degrees);
        for (e, &(u, v)) in self.endpoints.iter().enumerate() {
            // Counting touches random rows: prefetching some edges ahead overlaps the cache misses.
            if let Some(&(a, b)) = self.endpoints.get(e + AHEAD) {
                prefetch::read_at(&degrees, a as usize);
                prefetch::read_at(&degrees, b as usize);
            }
            for w in [u, v] {
                if w as usize >= n {
                    return Err(TopologyError::NodeOutOfRange { node: w as u64, nodes: n as u64 });
                }
            }
            if u == v {
                return Err(TopologyError::Invalid(format!("self-loop at node {u}")));
            }
            degrees[u as usize] += 1;
            degrees[v as usize] += 1;
        }
        Ok(self.lay_out(degrees))
    }

    /// `build` for edges whose degrees were counted as they were collected: `degrees[v]` is how many edges
    /// `v` is an end of, for every node up to the last that is one (an end beyond the list would be out of
    /// range); no edge is a self-loop.
    pub(crate) fn build_counted(self, mut degrees: Vec<u32>) -> Result<Graph, TopologyError> {
        self.check_size()?;
        let n = self.nodes as usize;
        if degrees.len() > n {
            let node = (degrees.len() - 1) as u64;
            return Err(TopologyError::NodeOutOfRange { node, nodes: n as u64 });
        }
        debug_assert!(self.endpoints.iter().all(|&(u, v)| u != v));
        debug_assert_eq!(degrees.iter().map(|&d| u64::from(d)).sum::<u64>(), 2 * self.endpoints.len() as u64);
        degrees.resize(n + 1, 0);
        Ok(self.lay_out(degrees))
    }

    /// Whether the builder can make a graph at all: two nodes or more, a label for each if labelled, arc ids
    /// within u32.
    fn check_size(&self) -> Result<(), TopologyError> {
        let n = self.nodes as usize;
        if n < 2 {
            return Err(TopologyError::TooFewNodes { nodes: n as u64 });
        }
        if let Some(labels) = &self.labels
            && labels.len() != n
        {
            return Err(TopologyError::Invalid(format!("{} labels for {} nodes", labels.len(), n)));
        }
        if self.endpoints.len() > MAX_EDGES {
            return Err(TopologyError::Invalid(format!(
                "{} edges exceed the limit of {MAX_EDGES} (arc ids are u32)",
                self.endpoints.len(),
            )));
        }
        Ok(())
    }

    /// The CSR arrays from the degrees (`n + 1` entries, the last 0). One array serves as degree, then row end,
    /// then row start: the prefix sums put the end of row v at offsets[v]; filling each row from its end, edges
    /// taken last to first, leaves offsets[v] at the row's start and the row in edge order.
    fn lay_out(self, mut offsets: Vec<u32>) -> Graph {
        let mut acc = 0;
        for o in &mut offsets {
            acc += *o;
            *o = acc;
        }
        // The edges of the arcs are laid out only if asked for (see `Graph::arc_edges`).
        let mut targets = vec![0; acc as usize];
        pages::advise_huge(&targets);
        fill_rows(&self.endpoints, &mut offsets, &mut targets);
        Graph {
            offsets,
            targets,
            arc_edges: OnceLock::new(),
            component_sizes: OnceLock::new(),
            endpoints: self.endpoints,
            weights: self.weights,
            labels: self.labels,
        }
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

    proptest::proptest! {
        /// Repeats found by sorting adjacency rows are those a map of pairs finds.
        #[test]
        fn repeated_edges_are_the_pairs_seen_before(
            nodes in 2u32..40,
            picks in proptest::collection::vec((0u32..40, 1u32..40), 1..300),
        ) {
            let edges: Vec<(NodeId, NodeId)> =
                picks.iter().map(|&(u, step)| (u % nodes, (u + step % (nodes - 1).max(1)) % nodes))
                    .filter(|&(u, v)| u != v).collect();
            let mut b = GraphBuilder::new(nodes);
            for &(u, v) in &edges {
                b.edge(u, v);
            }
            let g = b.build().unwrap();
            let mut first = BTreeMap::new();
            let mut expected = Vec::new();
            for (e, &(u, v)) in (0..).zip(&edges) {
                match first.get(&(u.min(v), u.max(v))) {
                    Some(&f) => expected.push((e, f)),
                    None => { first.insert((u.min(v), u.max(v)), e); }
                }
            }
            proptest::prop_assert_eq!(g.repeated_edges(), expected);
            // The edges of the arcs, laid out when asked for: each edge at one arc in each end's row, and
            // each row in edge order.
            let mut arcs_of = vec![Vec::new(); edges.len()];
            for v in 0..nodes {
                let row: Vec<EdgeId> = g.arcs(v).map(|a| g.arc_edge(a)).collect();
                proptest::prop_assert!(row.is_sorted(), "row {v}: {row:?}");
                for a in g.arcs(v) {
                    arcs_of[g.arc_edge(a) as usize].push((v, g.arc_target(a)));
                }
            }
            for (e, &(u, v)) in edges.iter().enumerate() {
                proptest::prop_assert_eq!(&arcs_of[e], &vec![(u.min(v), u.max(v)), (u.max(v), u.min(v))]);
            }
        }
    }

    #[test]
    fn counted_degrees_lay_out_the_rows_as_counting_them_does() {
        let edges = [(0, 1), (2, 1), (3, 0), (1, 3)];
        let counted = GraphBuilder::from_edges(5, edges.to_vec(), None).build_counted(vec![2, 3, 1, 2]).unwrap();
        let built = GraphBuilder::from_edges(5, edges.to_vec(), None).build().unwrap();
        assert_eq!((counted.offsets, counted.targets), (built.offsets, built.targets));
        // Degrees for more nodes than the graph has: an end is out of range.
        let wide = GraphBuilder::from_edges(2, vec![(0, 1)], None).build_counted(vec![1, 1, 0]);
        assert!(matches!(wide, Err(TopologyError::NodeOutOfRange { node: 2, nodes: 2 })));
    }

    #[test]
    fn labels_are_found_by_their_first_node() {
        let labels: Labels = ["a", "b", "a", "c"].into_iter().collect();
        assert_eq!(labels.find(&["a", "c", "z", "a"]), [Some(0), Some(3), None, Some(0)]);
        assert_eq!(labels.find(&[]), []);
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
