//! Watts–Strogatz small worlds. Rewiring asks, for every lattice edge, whether a node pair is linked. Only lattice
//! links are ever removed (each edge is rewired at most once, from its lattice pair), so a pair is linked if it is
//! a lattice pair whose edge still holds it, found by arithmetic in the edge list, or a rewired pair, found in the
//! short lists of rewired partners kept per node: no hashing, and the questions about the node being rewired stay
//! in memory that its turn has just touched.

use std::collections::BTreeMap;

use super::{param, probability};
use crate::rng::{SimRng, below, chance};
use crate::topology::{Graph, GraphBuilder};
use crate::{NodeId, TopologyError, pages, prefetch};

const NAME: &str = "watts_strogatz";

/// Small world (Watts & Strogatz 1998): a ring lattice where each node links to its k/2 nearest neighbours on each
/// side, then each lattice edge (u, u+j), for j = 1..k/2 and u = 0..n, is rewired with probability `beta` to
/// (u, w) for w uniform among the nodes not yet linked to u (skipped if u is linked to every node). The edge count
/// stays n·k/2.
///
/// w is drawn until it is not u nor a neighbour of u, which takes (n - 1) / (n - 1 - deg(u)) draws on average:
/// under 2 while k <= (n - 1) / 2. Above, up to n draws per edge would make the generator quadratic; there w is
/// drawn directly from a list of u's non-neighbours, kept up to date as links move (the same distribution,
/// another use of the random stream).
pub fn watts_strogatz(n: u32, k: u32, beta: f64, rng: &mut SimRng) -> Result<Graph, TopologyError> {
    if k < 2 || k % 2 == 1 || k >= n {
        return Err(param(NAME, "k", format!("k must be even with 2 <= k < n, got k={k} for n={n}")));
    }
    probability(NAME, "beta", beta)?;
    let half = k / 2;
    let mut edges: Vec<(NodeId, NodeId)> = Vec::with_capacity(n as usize * half as usize);
    for j in 1..=half {
        edges.extend((0..n).map(|u| (u, (u + j) % n)));
    }
    // Read and written at random nodes, as are the rewired lists: huge pages spare a page walk per access.
    let mut degree = vec![0; n as usize];
    pages::advise_huge(&degree);
    degree.fill(k);
    let mut strangers = (k > (n - 1) / 2).then(|| Strangers::new(n, |u, w| lattice_distance(n, u, w) <= half));
    // Only needed where w is drawn by rejection.
    let mut rewired = Rewired::new(if strangers.is_none() { n } else { 0 }, k, beta);
    let mut held = Held::new();
    for slot in 0..edges.len() {
        let (u, v) = edges[slot];
        if !chance(rng, beta) {
            continue;
        }
        // What follows reads u's degree and rewired partners, which held writes may be due to change.
        held.release_for(u, &mut degree, &mut rewired);
        if degree[u as usize] == n - 1 {
            continue;
        }
        let w = match &strangers {
            Some(strangers) => strangers.draw(u, rng),
            None => loop {
                let w = below(rng, n);
                if w != u && !linked(&edges, &rewired, n, half, u, w) {
                    break w;
                }
            },
        };
        degree[v as usize] -= 1;
        match &mut strangers {
            Some(strangers) => {
                degree[w as usize] += 1;
                strangers.unlink(u, v);
                strangers.link(u, w);
            }
            None => {
                rewired.add(u, w);
                held.hold(w, u, &mut degree, &mut rewired);
            }
        }
        edges[slot].1 = w;
    }
    held.release_all(&mut degree, &mut rewired);
    GraphBuilder::from_edges(n, edges, None).build()
}

/// The writes that rewiring an edge to w makes at w (its degree, and u among its rewired partners), held back
/// `HELD` rewirings while their memory, at a random node, is prefetched: once the nodes outgrow the caches,
/// each would otherwise wait on memory in turn. Nothing reads a node's degree or partners but its own edges'
/// rewiring, which releases the writes held for it first; the writes commute, so the graph is the same.
struct Held {
    /// Node and partner of each held write, in a ring; `NodeId::MAX` (no node) marks an empty place.
    nodes: [NodeId; HELD],
    partners: [NodeId; HELD],
    next: usize,
}

const HELD: usize = 16;

impl Held {
    fn new() -> Self {
        Held { nodes: [NodeId::MAX; HELD], partners: [0; HELD], next: 0 }
    }

    /// Holds the write of `partner` at `w`, releasing the oldest held write to make room.
    fn hold(&mut self, w: NodeId, partner: NodeId, degree: &mut [u32], rewired: &mut Rewired) {
        self.release(self.next, degree, rewired);
        prefetch::read_at(degree, w as usize);
        rewired.prefetch(w, partner);
        (self.nodes[self.next], self.partners[self.next]) = (w, partner);
        self.next = (self.next + 1) % HELD;
    }

    /// Releases the writes held for u.
    #[inline]
    fn release_for(&mut self, u: NodeId, degree: &mut [u32], rewired: &mut Rewired) {
        // Without a branch per place: most of the time nothing is held for u.
        if self.nodes.iter().fold(false, |found, &w| found | (w == u)) {
            for i in 0..HELD {
                if self.nodes[i] == u {
                    self.release(i, degree, rewired);
                }
            }
        }
    }

    fn release_all(&mut self, degree: &mut [u32], rewired: &mut Rewired) {
        for i in 0..HELD {
            self.release(i, degree, rewired);
        }
    }

    fn release(&mut self, i: usize, degree: &mut [u32], rewired: &mut Rewired) {
        let w = std::mem::replace(&mut self.nodes[i], NodeId::MAX);
        if w != NodeId::MAX {
            degree[w as usize] += 1;
            rewired.add(w, self.partners[i]);
        }
    }
}

/// Distance from u to w around the ring of n nodes.
fn lattice_distance(n: u32, u: NodeId, w: NodeId) -> u32 {
    let ahead = if w >= u { w - u } else { n - (u - w) };
    ahead.min(n - ahead)
}

/// Whether u and w are linked, while the edges of the lattice, laid out as `(u, u + j)` at `(j - 1) * n + u`, are
/// rewired in order. A lattice pair is linked while its edge still ends where it started (a rewired edge never
/// ends at its lattice partner, which was linked when it moved); every other link is in `rewired`.
fn linked(edges: &[(NodeId, NodeId)], rewired: &Rewired, n: u32, half: u32, u: NodeId, w: NodeId) -> bool {
    let ahead = if w >= u { w - u } else { n - (u - w) };
    // k < n, so at most one of the two lattice edges can join u and w.
    let lattice = if ahead <= half {
        edges[(ahead - 1) as usize * n as usize + u as usize].1 == w
    } else if n - ahead <= half {
        edges[(n - ahead - 1) as usize * n as usize + w as usize].1 == u
    } else {
        false
    };
    lattice || rewired.contains(u, w)
}

/// The pairs linked by rewiring (never unlinked: only lattice links are removed). A node has about beta·k rewired
/// partners: where n <= 64·k an n × n bit matrix (at most 16 bytes per edge) answers in one look whatever k, else
/// each node's partners are listed, and a list is scanned in memory its node's turn has just touched. The lists
/// are rows of one array, room for the expected count and a few more, so that most nodes need no allocation of
/// their own; partners beyond a row go to the node's overflow list.
enum Rewired {
    Lists(Lists),
    Matrix { n: usize, bits: Vec<u64> },
}

struct Lists {
    room: usize,
    rows: Vec<NodeId>,
    lens: Vec<u32>,
    /// The partners beyond its row of the few nodes that have more (a list per node would take 24 bytes each).
    overflow: BTreeMap<NodeId, Vec<NodeId>>,
}

impl Lists {
    fn new(n: u32, room: usize) -> Self {
        let n = n as usize;
        let (rows, lens) = (vec![0; n * room], vec![0; n]);
        pages::advise_huge(&rows);
        pages::advise_huge(&lens);
        Lists { room, rows, lens, overflow: BTreeMap::new() }
    }

    fn contains(&self, u: NodeId, w: NodeId) -> bool {
        let len = self.lens[u as usize] as usize;
        self.rows[u as usize * self.room..][..len.min(self.room)].contains(&w)
            || len > self.room && self.overflow[&u].contains(&w)
    }

    fn push(&mut self, u: NodeId, w: NodeId) {
        let len = self.lens[u as usize] as usize;
        if len < self.room {
            self.rows[u as usize * self.room + len] = w;
        } else {
            self.overflow.entry(u).or_default().push(w);
        }
        self.lens[u as usize] += 1;
    }

    /// Starts loading u's count and row (both ends: a row may straddle two cache lines).
    fn prefetch(&self, u: NodeId) {
        let row = u as usize * self.room;
        prefetch::read_at(&self.lens, u as usize);
        prefetch::read_at(&self.rows, row);
        prefetch::read_at(&self.rows, row + self.room - 1);
    }
}

impl Rewired {
    fn new(n: u32, k: u32, beta: f64) -> Self {
        if u64::from(n) <= 64 * u64::from(k) {
            let n = n as usize;
            Rewired::Matrix { n, bits: vec![0; (n * n).div_ceil(64)] }
        } else {
            // A node ends with about beta·k rewired partners (beta·k/2 of its own edges, as many of others').
            Rewired::Lists(Lists::new(n, (beta * f64::from(k)).ceil() as usize + 4))
        }
    }

    fn contains(&self, u: NodeId, w: NodeId) -> bool {
        match self {
            Rewired::Lists(lists) => lists.contains(u, w),
            Rewired::Matrix { n, bits } => {
                let i = u as usize * n + w as usize;
                bits[i / 64] >> (i % 64) & 1 == 1
            }
        }
    }

    /// Adds w to u's rewired partners (a link is added from both ends, in two calls).
    fn add(&mut self, u: NodeId, w: NodeId) {
        match self {
            Rewired::Lists(lists) => lists.push(u, w),
            Rewired::Matrix { n, bits } => {
                let i = u as usize * *n + w as usize;
                bits[i / 64] |= 1 << (i % 64);
            }
        }
    }

    /// Starts loading what `add(u, w)` will write.
    fn prefetch(&self, u: NodeId, w: NodeId) {
        match self {
            Rewired::Lists(lists) => lists.prefetch(u),
            Rewired::Matrix { n, bits } => prefetch::read_at(bits, (u as usize * n + w as usize) / 64),
        }
    }
}

/// Every node's non-neighbours (itself excluded) in a list, and where each stands in its list, so that a link
/// added or removed updates them in constant time. Used for dense lattices, where non-neighbours are few and the
/// n × n table of places costs at most 16 bytes per edge (there are at least n²/4 edges).
struct Strangers {
    n: u32,
    lists: Vec<Vec<NodeId>>,
    /// `at[u * n + w]`: index of w in u's list, if w is a stranger of u.
    at: Vec<u32>,
}

impl Strangers {
    fn new(n: u32, linked: impl Fn(NodeId, NodeId) -> bool) -> Self {
        let mut strangers =
            Strangers { n, lists: vec![Vec::new(); n as usize], at: vec![u32::MAX; n as usize * n as usize] };
        for u in 0..n {
            for w in (0..n).filter(|&w| w != u && !linked(u, w)) {
                strangers.add(u, w);
            }
        }
        strangers
    }

    fn place(&mut self, u: NodeId, w: NodeId) -> &mut u32 {
        &mut self.at[u as usize * self.n as usize + w as usize]
    }

    fn add(&mut self, u: NodeId, w: NodeId) {
        let i = self.lists[u as usize].len() as u32;
        *self.place(u, w) = i;
        self.lists[u as usize].push(w);
    }

    fn remove(&mut self, u: NodeId, w: NodeId) {
        let i = std::mem::replace(self.place(u, w), u32::MAX);
        debug_assert_ne!(i, u32::MAX, "{w} is not a stranger of {u}");
        let list = &mut self.lists[u as usize];
        list.swap_remove(i as usize);
        if let Some(&moved) = list.get(i as usize) {
            *self.place(u, moved) = i;
        }
    }

    fn draw(&self, u: NodeId, rng: &mut SimRng) -> NodeId {
        let list = &self.lists[u as usize];
        list[below(rng, list.len() as u32) as usize]
    }

    fn unlink(&mut self, u: NodeId, v: NodeId) {
        self.add(u, v);
        self.add(v, u);
    }

    fn link(&mut self, u: NodeId, w: NodeId) {
        self.remove(u, w);
        self.remove(w, u);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_simple, edges, rng};
    use super::*;
    use proptest::prelude::*;

    /// The generator as it was, with adjacency lists: the reference for the lattices that still rewire by
    /// rejection (k <= (n - 1) / 2).
    fn with_lists(n: u32, k: u32, beta: f64, rng: &mut SimRng) -> Vec<(NodeId, NodeId)> {
        let mut edges: Vec<(NodeId, NodeId)> = Vec::new();
        let mut adjacency: Vec<Vec<NodeId>> = vec![Vec::new(); n as usize];
        for j in 1..=k / 2 {
            for u in 0..n {
                let v = (u + j) % n;
                edges.push((u, v));
                adjacency[u as usize].push(v);
                adjacency[v as usize].push(u);
            }
        }
        for (u, v) in &mut edges {
            if !chance(rng, beta) || adjacency[*u as usize].len() == n as usize - 1 {
                continue;
            }
            let w = loop {
                let w = below(rng, n);
                if w != *u && !adjacency[*u as usize].contains(&w) {
                    break w;
                }
            };
            let unlink = |list: &mut Vec<NodeId>, x: NodeId| {
                let i = list.iter().position(|&y| y == x).unwrap();
                list.swap_remove(i);
            };
            unlink(&mut adjacency[*u as usize], *v);
            unlink(&mut adjacency[*v as usize], *u);
            adjacency[*u as usize].push(w);
            adjacency[w as usize].push(*u);
            *v = w;
        }
        edges
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Sparse lattices rewire exactly as before; dense ones stay simple with n·k/2 edges.
        #[test]
        fn sparse_lattices_rewire_as_before(seed: u64, n in 3u32..400, half in prop_oneof![1u32..3, 1u32..20], beta in 0.0f64..=1.0) {
            prop_assume!(2 * half < n);
            let g = watts_strogatz(n, 2 * half, beta, &mut rng(seed)).unwrap();
            assert_simple(&g);
            prop_assert_eq!(g.edge_count() as u32, n * half);
            if 2 * half <= (n - 1) / 2 {
                prop_assert_eq!(edges(&g), with_lists(n, 2 * half, beta, &mut rng(seed)));
            }
        }
    }

    /// Both forms of the rewired pairs answer alike: a pair is in once inserted, from either end.
    #[test]
    fn rewired_lists_and_matrix_agree() {
        let n = 50;
        // Rows of 2 so that some partners overflow.
        let (mut lists, mut matrix) = (Rewired::Lists(Lists::new(n, 2)), Rewired::new(n, 2, 1.0));
        assert!(matches!(matrix, Rewired::Matrix { .. }));
        let mut r = rng(3);
        for _ in 0..300 {
            let (u, w) = (below(&mut r, n), below(&mut r, n));
            if u != w && !lists.contains(u, w) {
                for rewired in [&mut lists, &mut matrix] {
                    rewired.add(u, w);
                    rewired.add(w, u);
                }
            }
            assert!(lists.contains(w, u) && matrix.contains(w, u) || u == w);
        }
        for u in 0..n {
            for w in 0..n {
                assert_eq!(lists.contains(u, w), matrix.contains(u, w), "{u} {w}");
            }
        }
    }

    #[test]
    fn dense_lattices_draw_among_non_neighbours() {
        // n = 40, k = 36: each node misses 3 others; rewiring every edge keeps the graph simple.
        for seed in 0..5 {
            let g = watts_strogatz(40, 36, 1.0, &mut rng(seed)).unwrap();
            assert_simple(&g);
            assert_eq!(g.edge_count(), 40 * 18);
            assert_ne!(edges(&g), edges(&watts_strogatz(40, 36, 0.0, &mut rng(seed)).unwrap()));
        }
        // The lists stay the non-neighbours of each node while links move.
        let n = 12;
        let mut links = vec![false; (n * n) as usize];
        let mut r = rng(9);
        for _ in 0..40 {
            let (u, v) = (below(&mut r, n), below(&mut r, n));
            if u != v {
                links[(u * n + v) as usize] = true;
                links[(v * n + u) as usize] = true;
            }
        }
        let mut strangers = Strangers::new(n, |u, w| links[(u * n + w) as usize]);
        for _ in 0..200 {
            let (u, w) = (below(&mut r, n), below(&mut r, n));
            if u == w {
                continue;
            }
            let was = links[(u * n + w) as usize];
            links[(u * n + w) as usize] = !was;
            links[(w * n + u) as usize] = !was;
            if was {
                strangers.unlink(u, w);
            } else {
                strangers.link(u, w);
            }
            for x in 0..n {
                let mut listed = strangers.lists[x as usize].clone();
                listed.sort_unstable();
                let expected: Vec<NodeId> = (0..n).filter(|&y| y != x && !links[(x * n + y) as usize]).collect();
                assert_eq!(listed, expected, "node {x}");
            }
        }
    }
}
