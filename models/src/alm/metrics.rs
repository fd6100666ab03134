//! The costs of sending one message to a group: over its ALM tree, by IP multicast and by unicast.

use sim_core::NodeId;
use sim_core::topology::{EdgeId, Graph};
use sim_core::underlay::Underlay;

use super::tree::{NONE, Tree};

/// Copies of one message per underlay link, for the links that carry any, sorted by link.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkLoad {
    pub loads: Vec<(EdgeId, u32)>,
}

impl LinkLoad {
    /// Number of links that carry at least one copy.
    pub fn links(&self) -> usize {
        self.loads.len()
    }

    /// Largest link stress (0 when no link is used).
    pub fn max(&self) -> u32 {
        self.loads.iter().map(|&(_, s)| s).max().unwrap_or(0)
    }

    /// Mean stress over the used links (0 when none).
    pub fn mean(&self) -> f64 {
        let total: u64 = self.loads.iter().map(|&(_, s)| u64::from(s)).sum();
        total as f64 / self.links().max(1) as f64
    }

    /// Stress of link `e` (0 if unused).
    pub fn of(&self, e: EdgeId) -> u32 {
        self.loads.binary_search_by_key(&e, |&(l, _)| l).map_or(0, |i| self.loads[i].1)
    }

    /// Network usage: Σ over links of delay × stress.
    pub fn usage(&self, graph: &Graph) -> u64 {
        self.loads.iter().map(|&(e, s)| u64::from(graph.weight(e)) * u64::from(s)).sum()
    }

    /// Number of used links with stress 1, 2, …, `bins - 1`, and with stress ≥ `bins` in the last entry;
    /// as long as the largest stress needs, at most `bins`.
    pub fn histogram(&self, bins: u32) -> Vec<f64> {
        histogram(self.loads.iter().map(|&(_, s)| s), bins)
    }
}

fn histogram(stresses: impl Iterator<Item = u32> + Clone, bins: u32) -> Vec<f64> {
    let len = stresses.clone().max().unwrap_or(0).min(bins) as usize;
    let mut h = vec![0.0; len];
    for s in stresses {
        h[(s.min(bins) - 1) as usize] += 1.0;
    }
    h
}

/// One message to one group: the tree, who sends, where the message enters the tree, and the overlay path
/// from the source to that entry (empty when the source is the entry).
#[derive(Clone, Debug)]
pub struct Dissemination {
    pub tree: Tree,
    /// Overlay node that sends.
    pub source: u32,
    /// Index into `tree.nodes` where the message enters; it then spreads over the tree's edges.
    pub entry: u32,
    /// Overlay nodes from the source to `tree.nodes[entry]`, both included (empty if they are the same).
    pub lead_in: Vec<u32>,
}

/// What one message to one group costs.
#[derive(Clone, Debug)]
pub struct GroupCosts {
    pub dissemination: Dissemination,
    /// Per tree index: the tree index it received the message from (`NONE` for the entry and the missed).
    pub from: Vec<u32>,
    /// Per tree index: overlay delay from the source ([`MISSED`] if the message did not arrive).
    pub arrival: Vec<u64>,
    /// Members other than the source.
    pub receivers: u32,
    /// Receivers on the source's host (no network path, no stretch).
    pub colocated: u32,
    /// Receivers the message did not reach (left out of the delays and stretch).
    pub missed: u32,
    /// Tree nodes that are not members.
    pub forwarders: u32,
    /// Largest and mean overlay hops from the root to a member.
    pub depth: u32,
    pub depth_mean: f64,
    /// Children per tree node: the largest, and the mean over nodes that have any.
    pub node_stress_max: u32,
    pub node_stress_mean: f64,
    /// (overlay node, children) for every tree node with children.
    pub children: Vec<(u32, u32)>,
    /// Σ of the unicast delays of the tree edges the message crossed (all of them unless some node was
    /// missed).
    pub tree_cost: u64,
    /// Delay of the lead-in path (source to root).
    pub lead_in_delay: u64,
    /// Cost of the cheapest overlay tree over the source and the members (MST of unicast delays), if computed.
    pub mst_cost: Option<u64>,
    /// Mean and largest overlay delay from the source to the receivers reached, and the same for unicast.
    pub delay_mean: f64,
    pub delay_max: u64,
    /// Overlay delay of every receiver reached, sorted.
    pub delays: Vec<f64>,
    pub unicast_delay_mean: f64,
    pub unicast_delay_max: u64,
    /// Stretch of every receiver not on the source's host, sorted.
    pub stretch: Vec<f64>,
    pub alm: LinkLoad,
    pub ip: LinkLoad,
    pub unicast: LinkLoad,
}

impl GroupCosts {
    /// Tree index of overlay node `v`, if it is in the tree.
    pub fn index_of(&self, v: u32) -> Option<u32> {
        self.dissemination.tree.nodes.iter().position(|&u| u == v).map(|i| i as u32)
    }

    /// Scribe's delay penalties (Castro et al. 2002): RAD, the mean delay over the tree to the receivers over
    /// their mean unicast (= IP multicast) delay, and RMD, the same for the largest delays; `None` when no
    /// receiver has a network path from the source.
    pub fn delay_ratios(&self) -> Option<(f64, f64)> {
        (self.unicast_delay_max > 0)
            .then(|| (self.delay_mean / self.unicast_delay_mean, self.delay_max as f64 / self.unicast_delay_max as f64))
    }

    /// Overlay nodes the message passes from the source to tree index `i`, both included.
    pub fn path_to(&self, i: u32) -> Vec<u32> {
        let d = &self.dissemination;
        let mut back = vec![d.tree.nodes[i as usize]];
        let mut v = i;
        while self.from[v as usize] != NONE {
            v = self.from[v as usize];
            back.push(d.tree.nodes[v as usize]);
        }
        back.reverse();
        match d.lead_in.split_last() {
            Some((_, before)) => before.iter().copied().chain(back).collect(),
            None => back,
        }
    }
}

/// Per-thread scratch space, sized once for the underlay and left clean after each use.
pub(crate) struct Scratch {
    pub slot: Vec<u32>,
    count: Vec<u32>,
    touched: Vec<EdgeId>,
    directions: Vec<u8>,
    arcs: Vec<(NodeId, NodeId, EdgeId)>,
    indegree: Vec<u32>,
    copies: Vec<u64>,
}

impl Scratch {
    pub fn new(underlay: &Underlay) -> Self {
        let (edges, nodes) = (underlay.graph().edge_count(), underlay.graph().node_count() as usize);
        Scratch {
            slot: vec![NONE; underlay.len() as usize],
            count: vec![0; edges],
            touched: Vec::new(),
            directions: vec![0; edges],
            arcs: Vec::new(),
            indegree: vec![0; nodes],
            copies: vec![0; nodes],
        }
    }

    #[inline]
    pub fn add(&mut self, e: EdgeId, copies: u32) {
        if self.count[e as usize] == 0 {
            self.touched.push(e);
        }
        self.count[e as usize] += copies;
    }

    pub fn take(&mut self) -> LinkLoad {
        self.touched.sort_unstable();
        let loads = self.touched.iter().map(|&e| (e, std::mem::take(&mut self.count[e as usize]))).collect();
        self.touched.clear();
        LinkLoad { loads }
    }

    /// Records the directed link `e` into `to` as part of the IP multicast tree (once per direction).
    #[inline]
    fn arc(&mut self, graph: &Graph, e: EdgeId, to: NodeId) {
        let (a, b) = graph.endpoints(e);
        let (from, bit) = if to == b { (a, 1) } else { (b, 2) };
        if self.directions[e as usize] & bit == 0 {
            self.directions[e as usize] |= bit;
            self.arcs.push((from, to, e));
        }
    }

    /// Copies per link when the source's host sends one copy on each recorded link leaving it and every
    /// router forwards each copy it receives on each recorded link leaving it (in topological order; the
    /// recorded links all lead away from the source, so they form a DAG). On a tree every link carries one.
    fn ip_loads(&mut self, source: NodeId) -> LinkLoad {
        let mut arcs = std::mem::take(&mut self.arcs);
        arcs.sort_unstable();
        for &(_, to, e) in &arcs {
            self.indegree[to as usize] += 1;
            self.directions[e as usize] = 0;
        }
        self.copies[source as usize] = 1;
        let mut ready = vec![source];
        while let Some(u) = ready.pop() {
            let c = std::mem::take(&mut self.copies[u as usize]);
            let start = arcs.partition_point(|&(f, _, _)| f < u);
            for &(_, to, e) in arcs[start..].iter().take_while(|&&(f, _, _)| f == u) {
                self.add(e, c as u32);
                self.copies[to as usize] += c;
                self.indegree[to as usize] -= 1;
                if self.indegree[to as usize] == 0 {
                    ready.push(to);
                }
            }
        }
        for &(_, to, _) in &arcs {
            self.indegree[to as usize] = 0;
            self.copies[to as usize] = 0;
        }
        self.take()
    }
}

/// How one message travelled: who each tree node got it from and when, and the copies it put on each link.
/// `deliver` computes it from the tree; the event-driven model records it from its messages.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// Per tree index: the tree index it received the message from (`NONE` for the entry and the missed).
    pub from: Vec<u32>,
    /// Per tree index: delay from the source ([`MISSED`] when the message never arrived).
    pub arrival: Vec<u64>,
    /// Copies per underlay link of the overlay hops taken (lead-in and tree edges).
    pub alm: LinkLoad,
    /// Σ of the unicast delays of the tree edges the message crossed.
    pub tree_cost: u64,
    /// Delay of the lead-in path (source to root).
    pub lead_in_delay: u64,
}

/// The arrival of a tree node the message did not reach.
pub const MISSED: u64 = u64::MAX;

/// The message sent at once over every edge of the tree from its entry (after the lead-in), each overlay hop
/// following the unicast path between its end hosts and taking its delay.
pub(crate) fn deliver(u: &Underlay, d: &Dissemination, scratch: &mut Scratch) -> Delivery {
    let tree = &d.tree;
    let (order, from) = tree.bfs(d.entry, &tree.adjacency());
    let mut lead_in_delay = 0;
    for w in d.lead_in.windows(2) {
        lead_in_delay += u.delay(w[0], w[1]);
        u.for_each_link(w[0], w[1], |e| scratch.add(e, 1));
    }
    let mut arrival = vec![0u64; tree.len()];
    arrival[d.entry as usize] = lead_in_delay;
    let mut tree_cost = 0;
    for &v in &order[1..] {
        let p = from[v as usize];
        let (a, b) = (tree.nodes[p as usize], tree.nodes[v as usize]);
        let hop = u.delay(a, b);
        tree_cost += hop;
        arrival[v as usize] = arrival[p as usize] + hop;
        u.for_each_link(a, b, |e| scratch.add(e, 1));
    }
    Delivery { from, arrival, alm: scratch.take(), tree_cost, lead_in_delay }
}

/// Overlay hops from the root to every tree index (each parent chain walked once).
fn hops_from_root(tree: &Tree) -> Vec<u32> {
    let mut hops = vec![NONE; tree.len()];
    hops[0] = 0;
    let mut chain = Vec::new();
    for i in 1..tree.len() {
        let mut v = i;
        while hops[v] == NONE {
            chain.push(v);
            v = tree.parent[v] as usize;
        }
        while let Some(c) = chain.pop() {
            hops[c] = hops[v] + 1;
            v = c;
        }
    }
    hops
}

/// Measures one message delivered as `delivery` says: delays and stretch of the receivers it reached (the
/// missed are counted apart), node stress, depth and tree costs; link stress of IP multicast (the source's
/// shortest-path tree to every receiver) and of unicast to every receiver. The MST is computed when the
/// source and members number at most `mst_limit` (Prim, quadratic).
pub(crate) fn measure(
    u: &Underlay,
    d: Dissemination,
    delivery: Delivery,
    mst_limit: u32,
    scratch: &mut Scratch,
) -> GroupCosts {
    let tree = &d.tree;
    let k = tree.len();
    let Delivery { from, arrival, alm, tree_cost, lead_in_delay } = delivery;

    // Depth counts hops from the root, whatever the entry.
    let hops = hops_from_root(tree);
    let members: Vec<u32> = (0..k as u32).filter(|&i| tree.member[i as usize]).collect();
    let depth = members.iter().map(|&i| hops[i as usize]).max().unwrap_or(0);
    let depth_mean = members.iter().map(|&i| f64::from(hops[i as usize])).sum::<f64>() / members.len().max(1) as f64;

    let mut child_count = vec![0u32; k];
    for &p in &tree.parent[1..] {
        child_count[p as usize] += 1;
    }
    let children: Vec<(u32, u32)> =
        (0..k).filter(|&i| child_count[i] > 0).map(|i| (tree.nodes[i], child_count[i])).collect();
    let node_stress_max = child_count.iter().copied().max().unwrap_or(0);
    let node_stress_mean = (k - 1) as f64 / children.len().max(1) as f64;

    let graph = u.graph();
    let source_host = u.host(d.source);
    let (mut colocated, mut missed, mut delay_sum, mut delay_max, mut unicast_sum, mut unicast_max) =
        (0, 0, 0, 0, 0, 0);
    let mut stretch = Vec::with_capacity(members.len());
    let mut delays = Vec::with_capacity(members.len());
    let from_source = u.delays_from(d.source);
    let receivers: Vec<u32> = members.iter().copied().filter(|&i| tree.nodes[i as usize] != d.source).collect();
    for &i in &receivers {
        let m = tree.nodes[i as usize];
        let reached = arrival[i as usize] != MISSED;
        if reached {
            delay_sum += arrival[i as usize];
            delay_max = delay_max.max(arrival[i as usize]);
            delays.push(arrival[i as usize] as f64);
        } else {
            missed += 1;
        }
        if u.host(m) == source_host {
            colocated += 1;
            continue;
        }
        let direct = from_source.to(m);
        if reached {
            unicast_sum += direct;
            unicast_max = unicast_max.max(direct);
            stretch.push(arrival[i as usize] as f64 / direct as f64);
        }
        if let Some(e) = u.access_edge(d.source) {
            scratch.add(e, 1);
            let (a, b) = graph.endpoints(e);
            scratch.arc(graph, e, if a == source_host { b } else { a });
        }
        u.walk_back(d.source, m, |e, to| {
            scratch.add(e, 1);
            scratch.arc(graph, e, to);
        });
        if let Some(e) = u.access_edge(m) {
            scratch.add(e, 1);
            scratch.arc(graph, e, u.host(m));
        }
    }
    let unicast = scratch.take();
    let ip = scratch.ip_loads(source_host);
    stretch.sort_unstable_by(f64::total_cmp);
    delays.sort_unstable_by(f64::total_cmp);

    let mut mst_nodes: Vec<u32> = members.iter().map(|&i| tree.nodes[i as usize]).collect();
    if !mst_nodes.contains(&d.source) {
        mst_nodes.push(d.source);
    }
    let mst_cost = (mst_nodes.len() <= mst_limit as usize).then(|| mst(u, &mst_nodes));
    let n_reached = (receivers.len() - missed as usize).max(1) as f64;
    GroupCosts {
        from,
        arrival,
        receivers: receivers.len() as u32,
        colocated,
        missed,
        forwarders: (k - members.len()) as u32,
        depth,
        depth_mean,
        node_stress_max,
        node_stress_mean,
        children,
        tree_cost,
        lead_in_delay,
        mst_cost,
        delay_mean: delay_sum as f64 / n_reached,
        delay_max,
        delays,
        unicast_delay_mean: unicast_sum as f64 / n_reached,
        unicast_delay_max: unicast_max,
        stretch,
        alm,
        ip,
        unicast,
        dissemination: d,
    }
}

/// Weight of the minimum spanning tree of the complete graph on `nodes` with unicast delays (Prim, O(k²)).
///
/// Dense Prim reads one distance-table row per step and stores nothing per edge, which is optimal on a complete
/// graph; petgraph's spanning trees would first materialise the k²/2 edges (O(k² log k) time, O(k²) memory).
/// On the Scribe-sized scenario the MSTs of the groups of up to `mst_limit` members take 1.8 G of the run's
/// 18.7 G instructions.
pub fn mst(u: &Underlay, nodes: &[u32]) -> u64 {
    let from_first = u.delays_from(nodes[0]);
    let mut best: Vec<u64> = nodes.iter().map(|&v| from_first.to(v)).collect();
    let mut done = vec![false; nodes.len()];
    done[0] = true;
    let mut total = 0;
    for _ in 1..nodes.len() {
        let next = (0..nodes.len()).filter(|&i| !done[i]).min_by_key(|&i| best[i]).expect("a node is left");
        done[next] = true;
        total += best[next];
        let from_next = u.delays_from(nodes[next]);
        for i in 0..nodes.len() {
            if !done[i] {
                best[i] = best[i].min(from_next.to(nodes[i]));
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_caps_the_last_bin() {
        let load = LinkLoad { loads: vec![(0, 1), (1, 3), (2, 1), (3, 9)] };
        assert_eq!(load.histogram(100), vec![2.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(load.histogram(3), vec![2.0, 0.0, 2.0]);
        assert_eq!(load.max(), 9);
        assert_eq!(load.mean(), 3.5);
        assert_eq!(load.of(1), 3);
        assert_eq!(load.of(7), 0);
        assert!(LinkLoad::default().histogram(10).is_empty());
    }

    #[test]
    fn ip_copies_multiply_where_recorded_paths_merge() {
        use sim_core::topology::GraphBuilder;
        // Diamond s–a–t, s–b–t, then t–x: if both branches were recorded (not a tree), t receives two copies
        // and forwards both, so the "one copy per link" identity would fail.
        let mut b = GraphBuilder::new(5);
        let (s, a, bb, t, x) = (0, 1, 2, 3, 4);
        b.edge(s, a).edge(s, bb).edge(a, t).edge(bb, t).edge(t, x);
        let g = b.build().unwrap();
        let u = Underlay::new(g.clone().into(), vec![s, x]).unwrap();
        let mut scratch = Scratch::new(&u);
        for (e, to) in [(0, a), (1, bb), (2, t), (3, t), (4, x)] {
            scratch.arc(&g, e, to);
        }
        let load = scratch.ip_loads(s);
        assert_eq!(load.loads, vec![(0, 1), (1, 1), (2, 1), (3, 1), (4, 2)]);
        // Scratch is clean again: a tree gives one copy per link.
        for (e, to) in [(0, a), (2, t), (4, x)] {
            scratch.arc(&g, e, to);
        }
        assert_eq!(scratch.ip_loads(s).loads, vec![(0, 1), (2, 1), (4, 1)]);
    }
}
