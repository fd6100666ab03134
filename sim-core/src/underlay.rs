//! The underlay: a weighted graph (edge weight = link delay) with overlay nodes placed on some of its nodes
//! (hosts), and the unicast delays and shortest paths between them.
//!
//! Hosts usually hang off routers: a host of degree 1 whose neighbour has degree > 1 is a *stub* with an access
//! link, and every path from it leaves through that link. Such hosts are cut off, and shortest paths are
//! computed only on the remaining *core* graph, once from every distinct attachment point (*anchor*), into one
//! flat table of u32 distances (rows: anchors, columns: core nodes). With 5,000 routers and 100,000 hosts that
//! is 5,000 Dijkstra runs over 5,000 nodes and 100 MB, instead of 100,000 runs over 105,000 nodes. Paths are
//! not stored: the path to t is rebuilt backwards by stepping to the first neighbour p (in adjacency order)
//! with `d(s, p) + w(p, t) = d(s, t)`. That choice depends only on (s, t), so the paths from one source form a
//! tree (the source's shortest-path tree), and positive weights guarantee progress.
//!
//! The underlay knows no protocol: overlays (Chord's lookups, ALM's trees) place their nodes on it and ask it
//! for delays and links.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

use rayon::prelude::*;

use crate::NodeId;
use crate::topology::{EdgeId, Graph};

const NONE: u32 = u32::MAX;
/// Distance table entries allowed (4 bytes each): 1 GiB.
const MAX_TABLE_ENTRIES: u64 = 1 << 28;

/// Overlay nodes placed on the hosts of a weighted graph, with unicast delays and paths between them.
#[derive(Clone, Debug)]
pub struct Underlay {
    graph: Arc<Graph>,
    /// Graph node of each overlay node.
    hosts: Vec<NodeId>,
    /// How many earlier overlay nodes share this overlay node's host (for names).
    repeat: Vec<u32>,
    /// Per overlay node: core index of its anchor, access delay, access edge (`NONE` for core hosts).
    anchor: Vec<u32>,
    access: Vec<u32>,
    access_edge: Vec<EdgeId>,
    /// Core graph in CSR form over core indices; arcs carry the graph's edge id and weight.
    core_nodes: Vec<NodeId>,
    offsets: Vec<u32>,
    targets: Vec<u32>,
    arc_edge: Vec<EdgeId>,
    arc_weight: Vec<u32>,
    /// Row of each core node in `dist` (`NONE` if it anchors no host).
    row: Vec<u32>,
    dist: Vec<u32>,
}

impl Underlay {
    /// Places overlay node v on graph node `hosts[v]` (several overlay nodes may share a host) and computes
    /// the distance table. Edge weights are delays and must be ≥ 1; all hosts must be connected.
    pub fn new(graph: Arc<Graph>, hosts: Vec<NodeId>) -> Result<Self, UnderlayError> {
        let n = graph.node_count();
        if hosts.is_empty() {
            return Err(UnderlayError::NoHosts);
        }
        if let Some(&host) = hosts.iter().find(|&&h| h >= n) {
            return Err(UnderlayError::HostOutOfRange { host, nodes: n });
        }
        if let Some(e) = (0..graph.edge_count() as EdgeId).find(|&e| graph.weight(e) == 0) {
            let (u, v) = graph.endpoints(e);
            return Err(UnderlayError::ZeroDelay {
                link: format!("{}-{}", node_name(&graph, u), node_name(&graph, v)),
            });
        }
        let mut is_host = vec![0u32; n as usize];
        let repeat = hosts
            .iter()
            .map(|&h| {
                is_host[h as usize] += 1;
                is_host[h as usize] - 1
            })
            .collect();
        let stub =
            |v: NodeId| is_host[v as usize] > 0 && graph.degree(v) == 1 && graph.degree(graph.neighbors(v)[0]) > 1;
        let mut core_index = vec![NONE; n as usize];
        let core_nodes: Vec<NodeId> = (0..n).filter(|&v| !stub(v)).collect();
        for (i, &v) in core_nodes.iter().enumerate() {
            core_index[v as usize] = i as u32;
        }
        let (mut offsets, mut targets, mut arc_edge, mut arc_weight) = (vec![0u32], vec![], vec![], vec![]);
        let mut total_weight = 0u64;
        for &v in &core_nodes {
            for a in graph.arcs(v) {
                let t = core_index[graph.arc_target(a) as usize];
                if t != NONE {
                    let e = graph.arc_edge(a);
                    targets.push(t);
                    arc_edge.push(e);
                    arc_weight.push(graph.weight(e));
                    total_weight += u64::from(graph.weight(e));
                }
            }
            offsets.push(targets.len() as u32);
        }
        if total_weight / 2 >= u64::from(NONE) {
            return Err(UnderlayError::DelaysTooLong);
        }
        let mut anchor = Vec::with_capacity(hosts.len());
        let mut access = Vec::with_capacity(hosts.len());
        let mut access_edge = Vec::with_capacity(hosts.len());
        for &h in &hosts {
            if stub(h) {
                let a = graph.arcs(h).start;
                anchor.push(core_index[graph.arc_target(a) as usize]);
                access.push(graph.weight(graph.arc_edge(a)));
                access_edge.push(graph.arc_edge(a));
            } else {
                anchor.push(core_index[h as usize]);
                access.push(0);
                access_edge.push(NONE);
            }
        }
        let mut row = vec![NONE; core_nodes.len()];
        let mut sources = Vec::new();
        for &a in &anchor {
            if row[a as usize] == NONE {
                row[a as usize] = 0;
                sources.push(a);
            }
        }
        sources.sort_unstable();
        for (r, &s) in sources.iter().enumerate() {
            row[s as usize] = r as u32;
        }
        let width = core_nodes.len();
        if sources.len() as u64 * width as u64 > MAX_TABLE_ENTRIES {
            return Err(UnderlayError::TableTooLarge { anchors: sources.len(), core: width });
        }
        let mut underlay = Underlay {
            graph,
            hosts,
            repeat,
            anchor,
            access,
            access_edge,
            core_nodes,
            offsets,
            targets,
            arc_edge,
            arc_weight,
            row,
            dist: vec![NONE; sources.len() * width],
        };
        let mut dist = std::mem::take(&mut underlay.dist);
        dist.par_chunks_mut(width).zip(&sources).for_each(|(row, &s)| underlay.dijkstra(s, row));
        underlay.dist = dist;
        let first = underlay.row_of(sources[0]);
        if let Some(&s) = sources.iter().find(|&&s| first[s as usize] == NONE) {
            return Err(UnderlayError::Disconnected {
                a: node_name(&underlay.graph, underlay.core_nodes[sources[0] as usize]),
                b: node_name(&underlay.graph, underlay.core_nodes[s as usize]),
            });
        }
        Ok(underlay)
    }

    /// Shortest distances from core node `s` over the core graph, into `dist` (unreached: `NONE`).
    fn dijkstra(&self, s: u32, dist: &mut [u32]) {
        let mut heap = BinaryHeap::new();
        dist[s as usize] = 0;
        heap.push(Reverse(u64::from(s)));
        while let Some(Reverse(key)) = heap.pop() {
            let (d, v) = ((key >> 32) as u32, key as u32);
            if d > dist[v as usize] {
                continue;
            }
            for a in self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize {
                let (t, nd) = (self.targets[a], d + self.arc_weight[a]);
                if nd < dist[t as usize] {
                    dist[t as usize] = nd;
                    heap.push(Reverse(u64::from(nd) << 32 | u64::from(t)));
                }
            }
        }
    }

    #[inline]
    fn row_of(&self, core: u32) -> &[u32] {
        let width = self.core_nodes.len();
        let r = self.row[core as usize] as usize;
        &self.dist[r * width..(r + 1) * width]
    }

    /// The graph the hosts are placed on (edge weights are delays).
    #[inline]
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Number of overlay nodes.
    #[inline]
    pub fn len(&self) -> u32 {
        self.hosts.len() as u32
    }

    /// Whether there are no overlay nodes (never, for an underlay built by [`Underlay::new`]).
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// Graph node of overlay node `v`.
    #[inline]
    pub fn host(&self, v: u32) -> NodeId {
        self.hosts[v as usize]
    }

    /// Graph node of every overlay node, in overlay order.
    pub fn hosts(&self) -> &[NodeId] {
        &self.hosts
    }

    /// Access link of overlay node `v`, if its host is a stub.
    #[inline]
    pub fn access_edge(&self, v: u32) -> Option<EdgeId> {
        let e = self.access_edge[v as usize];
        (e != NONE).then_some(e)
    }

    /// Number of distinct attachment points (rows of the distance table).
    pub fn anchors(&self) -> usize {
        self.dist.len() / self.core_nodes.len()
    }

    /// Name of overlay node `v`: its host's label (or node number), with `#k` for the k-th repeat of a host.
    pub fn node_name(&self, v: u32) -> String {
        let base = node_name(&self.graph, self.host(v));
        match self.repeat[v as usize] {
            0 => base,
            k => format!("{base}#{k}"),
        }
    }

    /// Overlay nodes by name.
    pub fn names(&self) -> BTreeMap<String, u32> {
        (0..self.len()).map(|v| (self.node_name(v), v)).collect()
    }

    /// The link between the graph nodes named `a` and `b` (labels, or node numbers in an unlabelled graph).
    pub fn link(&self, a: &str, b: &str) -> Option<EdgeId> {
        let find = |name: &str| (0..self.graph.node_count()).find(|&v| node_name(&self.graph, v) == name);
        let (a, b) = (find(a)?, find(b)?);
        self.graph.arcs(a).find(|&arc| self.graph.arc_target(arc) == b).map(|arc| self.graph.arc_edge(arc))
    }

    /// `a-b` for the link `e`.
    pub fn link_name(&self, e: EdgeId) -> String {
        let (a, b) = self.graph.endpoints(e);
        format!("{}-{}", node_name(&self.graph, a), node_name(&self.graph, b))
    }

    /// Unicast (shortest-path) delay between overlay nodes `a` and `b`; 0 when they share a host.
    #[inline]
    pub fn delay(&self, a: u32, b: u32) -> u64 {
        self.delays_from(a).to(b)
    }

    /// Unicast delays from overlay node `a`, with its row of the distance table looked up once.
    #[inline]
    pub fn delays_from(&self, a: u32) -> DelaysFrom<'_> {
        DelaysFrom {
            underlay: self,
            host: self.hosts[a as usize],
            access: self.access[a as usize],
            row: self.row_of(self.anchor[a as usize]),
        }
    }

    /// Mean unicast delay over the ordered pairs of distinct overlay nodes (0 with fewer than two). Computed from
    /// the anchors' distances in O(nodes + anchors²), not over every pair: a pair's delay is its two access
    /// delays plus the distance between its anchors, or 0 on a shared host.
    pub fn mean_delay(&self) -> f64 {
        let n = self.hosts.len() as u128;
        if n < 2 {
            return 0.0;
        }
        let width = self.core_nodes.len();
        let mut per_row = vec![0u128; self.anchors()];
        let mut access_sum = 0u128;
        for (&a, &acc) in self.anchor.iter().zip(&self.access) {
            per_row[self.row[a as usize] as usize] += 1;
            access_sum += u128::from(acc);
        }
        let anchored: Vec<(usize, u128)> =
            (0..width).filter(|&c| self.row[c] != NONE).map(|c| (c, per_row[self.row[c] as usize])).collect();
        let core: u128 = anchored
            .iter()
            .map(|&(s, cs)| {
                let row = self.row_of(s as u32);
                cs * anchored.iter().map(|&(t, ct)| ct * u128::from(row[t])).sum::<u128>()
            })
            .sum();
        // Each node's access delay counts once per other node, on either side of the pair; pairs on a shared
        // host were counted with twice that host's access delay and no core distance, and have delay 0.
        let mut shared = BTreeMap::new();
        for (&h, &acc) in self.hosts.iter().zip(&self.access) {
            shared.entry(h).or_insert((0u128, acc)).0 += 1;
        }
        let on_shared_hosts: u128 = shared.values().map(|&(k, acc)| k * (k - 1) * 2 * u128::from(acc)).sum();
        let total = 2 * (n - 1) * access_sum + core - on_shared_hosts;
        total as f64 / (n * (n - 1)) as f64
    }

    /// Calls `f` on every link of the unicast path from `a` to `b` (no particular order).
    #[inline]
    pub fn for_each_link(&self, a: u32, b: u32, mut f: impl FnMut(EdgeId)) {
        if self.hosts[a as usize] == self.hosts[b as usize] {
            return;
        }
        for e in [self.access_edge[a as usize], self.access_edge[b as usize]] {
            if e != NONE {
                f(e);
            }
        }
        self.walk_back(a, b, |e, _| f(e));
    }

    /// Walks the core part of the path from `a` to `b` backwards, from b's anchor towards a's, calling `f` on
    /// each link and its end nearer b. The links walked from any b form a's shortest-path tree.
    #[inline]
    pub fn walk_back(&self, a: u32, b: u32, mut f: impl FnMut(EdgeId, NodeId)) {
        let (s, mut t) = (self.anchor[a as usize], self.anchor[b as usize]);
        let d = self.row_of(s);
        while t != s {
            let want = d[t as usize];
            let arc = (self.offsets[t as usize] as usize..self.offsets[t as usize + 1] as usize)
                .find(|&arc| {
                    let p = self.targets[arc] as usize;
                    d[p] != NONE && d[p] + self.arc_weight[arc] == want
                })
                .expect("a node at finite distance has a predecessor");
            f(self.arc_edge[arc], self.core_nodes[t as usize]);
            t = self.targets[arc];
        }
    }
}

/// Unicast delays from one overlay node (see [`Underlay::delays_from`]).
#[derive(Clone, Copy, Debug)]
pub struct DelaysFrom<'u> {
    underlay: &'u Underlay,
    host: NodeId,
    access: u32,
    row: &'u [u32],
}

impl DelaysFrom<'_> {
    /// Delay to overlay node `b`; 0 when it shares the host.
    #[inline]
    pub fn to(&self, b: u32) -> u64 {
        let u = self.underlay;
        if u.hosts[b as usize] == self.host {
            return 0;
        }
        let core = self.row[u.anchor[b as usize] as usize];
        u64::from(self.access) + u64::from(core) + u64::from(u.access[b as usize])
    }
}

/// Why hosts cannot be placed on a graph. Errors about the hosts themselves say so
/// ([`UnderlayError::is_about_hosts`]); the others are about the graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnderlayError {
    /// The list of hosts is empty.
    #[error("no hosts to place overlay nodes on")]
    NoHosts,
    /// A host is not a node of the `nodes`-node graph.
    #[error("host {host} is not a node of the {nodes}-node graph")]
    HostOutOfRange { host: NodeId, nodes: u32 },
    /// A link (named `a-b`) without delay: shortest paths need positive weights to make progress.
    #[error("link {link} has delay 0; delays must be ≥ 1")]
    ZeroDelay { link: String },
    /// Distances would not fit the table's u32 entries.
    #[error("link delays sum to 2^32 or more; use smaller delay units")]
    DelaysTooLong,
    /// The distance table would have more than `MAX_TABLE_ENTRIES` (2^28) entries.
    #[error(
        "{anchors} attachment points × {core} core nodes exceed the {}-entry distance table; attach hosts to \
         fewer routers",
        MAX_TABLE_ENTRIES
    )]
    TableTooLarge { anchors: usize, core: usize },
    /// Two hosts (named by their graph nodes) with no path between them.
    #[error("hosts at {a} and {b} are not connected")]
    Disconnected { a: String, b: String },
}

impl UnderlayError {
    /// Whether the error lies in the list of hosts rather than in the graph.
    pub fn is_about_hosts(&self) -> bool {
        matches!(self, UnderlayError::NoHosts | UnderlayError::HostOutOfRange { .. })
    }
}

/// A graph node's label, or its number in an unlabelled graph.
fn node_name(graph: &Graph, v: NodeId) -> String {
    graph.label(v).map_or_else(|| v.to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::ShortestPaths;
    use crate::topology::GraphBuilder;
    use proptest::prelude::*;

    /// Routers 0..r in a ring with chords, hosts r.. attached to random routers, some hosts on routers.
    fn random_underlay(r: u32, h: u32, seed: u64) -> (Graph, Vec<NodeId>) {
        let mut x = seed;
        let mut next = |m: u32| {
            x = crate::rng::mix64(x);
            (x % u64::from(m)) as u32
        };
        let mut b = GraphBuilder::new(r + h);
        for v in 0..r {
            b.weighted_edge(v, (v + 1) % r, 1 + next(20));
            let w = next(r);
            if w != v && w != (v + 1) % r && (w + 1) % r != v {
                b.weighted_edge(v, w, 1 + next(50));
            }
        }
        let mut hosts = Vec::new();
        for i in 0..h {
            b.weighted_edge(r + i, next(r), 1 + next(3));
            hosts.push(r + i);
            hosts.push(next(r));
        }
        (b.build().unwrap(), hosts)
    }

    proptest! {
        #[test]
        fn delays_and_paths_match_dijkstra_on_the_full_graph(r in 3u32..30, h in 1u32..20, seed in any::<u64>()) {
            let (g, hosts) = random_underlay(r, h, seed);
            let u = Underlay::new(g.clone().into(), hosts).unwrap();
            for a in 0..u.len() {
                let sp = ShortestPaths::from(&g, u.host(a));
                for b in 0..u.len() {
                    prop_assert_eq!(u.delay(a, b), sp.dist(u.host(b)));
                    let mut sum = 0u64;
                    u.for_each_link(a, b, |e| sum += u64::from(g.weight(e)));
                    prop_assert_eq!(sum, sp.dist(u.host(b)));
                }
            }
        }
    }

    proptest! {
        #[test]
        fn mean_delay_is_the_mean_over_distinct_pairs(r in 3u32..30, h in 1u32..20, seed in any::<u64>()) {
            let (g, hosts) = random_underlay(r, h, seed);
            let u = Underlay::new(g.into(), hosts).unwrap();
            let n = u.len();
            let sum: u64 = (0..n).flat_map(|a| (0..n).filter(move |&b| b != a).map(move |b| (a, b)))
                .map(|(a, b)| u.delay(a, b))
                .sum();
            let brute = sum as f64 / (f64::from(n) * f64::from(n - 1));
            prop_assert!((u.mean_delay() - brute).abs() <= 1e-9 * brute.max(1.0), "{} vs {brute}", u.mean_delay());
        }
    }

    #[test]
    fn stubs_are_cut_off_and_names_repeat() {
        let mut b = GraphBuilder::new(4);
        b.weighted_edge(0, 1, 5).weighted_edge(1, 2, 2).weighted_edge(1, 3, 7);
        b.labels(["R0", "R1", "H2", "H3"].map(String::from).to_vec());
        let g = b.build().unwrap();
        // R0 is a leaf but not a host, so it stays in the core; H2 and H3 are stubs of R1, itself a host.
        let u = Underlay::new(g.clone().into(), vec![2, 3, 2, 1]).unwrap();
        assert_eq!(u.anchors(), 1);
        assert_eq!(u.access_edge(0), Some(1));
        assert_eq!(u.access_edge(3), None);
        assert_eq!(u.delay(0, 1), 9);
        assert_eq!(u.delay(0, 2), 0);
        assert_eq!(u.delay(1, 3), 7);
        // Pairs {0,1} 9, {0,2} 0 (shared host), {0,3} 2, {1,2} 9, {1,3} 7, {2,3} 2.
        assert!((u.mean_delay() - 29.0 / 6.0).abs() < 1e-12, "{}", u.mean_delay());
        let mut links = Vec::new();
        u.for_each_link(0, 1, |e| links.push(e));
        assert_eq!(links, vec![1, 2]);
        assert_eq!(u.node_name(2), "H2#1");
        assert_eq!(u.link("R1", "H3"), Some(2));
        assert_eq!(u.link_name(0), "R0-R1");
    }

    #[test]
    fn disconnected_hosts_and_zero_delays_are_errors() {
        let mut b = GraphBuilder::new(4);
        b.weighted_edge(0, 1, 1).weighted_edge(2, 3, 1);
        let g = b.build().unwrap();
        assert_eq!(
            Underlay::new(g.clone().into(), vec![0, 3]).unwrap_err().to_string(),
            "hosts at 0 and 3 are not connected"
        );
        let mut b = GraphBuilder::new(3);
        b.weighted_edge(0, 1, 0).weighted_edge(1, 2, 1);
        let g = b.build().unwrap();
        assert_eq!(
            Underlay::new(g.clone().into(), vec![0, 2]).unwrap_err().to_string(),
            "link 0-1 has delay 0; delays must be ≥ 1"
        );
        assert!(Underlay::new(g.clone().into(), vec![]).unwrap_err().is_about_hosts());
        assert_eq!(Underlay::new(g.into(), vec![3]).unwrap_err(), UnderlayError::HostOutOfRange { host: 3, nodes: 3 });
    }
}
