//! Watts–Strogatz small worlds. Rewiring asks, for every lattice edge, whether a node pair is linked: the links
//! are kept in a hash set of node pairs, so that each question costs the same whatever the degrees.

#![expect(clippy::disallowed_types, reason = "link sets are looked up, never iterated")]

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::{param, probability};
use crate::rng::{SimRng, below, chance, mix64};
use crate::topology::{Graph, GraphBuilder};
use crate::{NodeId, TopologyError};

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
    let mut links: Links = HashSet::with_capacity_and_hasher(edges.len(), Default::default());
    links.extend(edges.iter().map(|&(u, v)| pair(u, v)));
    let mut degree = vec![k; n as usize];
    let mut strangers = (k > (n - 1) / 2).then(|| Strangers::new(n, &links));
    for (u, v) in &mut edges {
        let u = *u;
        if !chance(rng, beta) || degree[u as usize] == n - 1 {
            continue;
        }
        let w = match &strangers {
            Some(strangers) => strangers.draw(u, rng),
            None => loop {
                let w = below(rng, n);
                if w != u && !links.contains(&pair(u, w)) {
                    break w;
                }
            },
        };
        links.remove(&pair(u, *v));
        links.insert(pair(u, w));
        degree[*v as usize] -= 1;
        degree[w as usize] += 1;
        if let Some(strangers) = &mut strangers {
            strangers.unlink(u, *v);
            strangers.link(u, w);
        }
        *v = w;
    }
    let mut b = GraphBuilder::with_capacity(n, edges.len());
    for (u, v) in edges {
        b.edge(u, v);
    }
    b.build()
}

/// Node pairs, smaller node first, as one key.
fn pair(u: NodeId, v: NodeId) -> u64 {
    (u64::from(u.min(v)) << 32) | u64::from(u.max(v))
}

/// Hashes a key that is already a number by mixing its bits (never iterated, so the order it would give is
/// never observed).
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = mix64(self.0 ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = mix64(key);
    }
}

type Links = HashSet<u64, BuildHasherDefault<MixHasher>>;

/// Every node's non-neighbours (itself excluded) in a list, and where each stands in its list, so that a link
/// added or removed updates them in constant time. Used for dense lattices, where non-neighbours are few.
struct Strangers {
    lists: Vec<Vec<NodeId>>,
    /// (u, w) as `u << 32 | w` -> index of w in u's list.
    at: HashMap<u64, usize, BuildHasherDefault<MixHasher>>,
}

impl Strangers {
    fn new(n: u32, links: &Links) -> Self {
        let mut strangers = Strangers { lists: vec![Vec::new(); n as usize], at: HashMap::default() };
        for u in 0..n {
            for w in (0..n).filter(|&w| w != u && !links.contains(&pair(u, w))) {
                strangers.add(u, w);
            }
        }
        strangers
    }

    fn add(&mut self, u: NodeId, w: NodeId) {
        let list = &mut self.lists[u as usize];
        self.at.insert((u64::from(u) << 32) | u64::from(w), list.len());
        list.push(w);
    }

    fn remove(&mut self, u: NodeId, w: NodeId) {
        let i = self.at.remove(&((u64::from(u) << 32) | u64::from(w))).expect("w is a stranger of u");
        let list = &mut self.lists[u as usize];
        list.swap_remove(i);
        if let Some(&moved) = list.get(i) {
            self.at.insert((u64::from(u) << 32) | u64::from(moved), i);
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
        fn sparse_lattices_rewire_as_before(seed: u64, n in 3u32..90, half in 1u32..20, beta in 0.0f64..=1.0) {
            prop_assume!(2 * half < n);
            let g = watts_strogatz(n, 2 * half, beta, &mut rng(seed)).unwrap();
            assert_simple(&g);
            prop_assert_eq!(g.edge_count() as u32, n * half);
            if 2 * half <= (n - 1) / 2 {
                prop_assert_eq!(edges(&g), with_lists(n, 2 * half, beta, &mut rng(seed)));
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
        let mut links: Links = Default::default();
        let mut r = rng(9);
        for _ in 0..40 {
            let (u, v) = (below(&mut r, n), below(&mut r, n));
            if u != v {
                links.insert(pair(u, v));
            }
        }
        let mut strangers = Strangers::new(n, &links);
        for _ in 0..200 {
            let (u, w) = (below(&mut r, n), below(&mut r, n));
            if u == w {
                continue;
            }
            if links.remove(&pair(u, w)) {
                strangers.unlink(u, w);
            } else {
                links.insert(pair(u, w));
                strangers.link(u, w);
            }
            for x in 0..n {
                let mut listed = strangers.lists[x as usize].clone();
                listed.sort_unstable();
                let expected: Vec<NodeId> = (0..n).filter(|&y| y != x && !links.contains(&pair(x, y))).collect();
                assert_eq!(listed, expected, "node {x}");
            }
        }
    }
}
