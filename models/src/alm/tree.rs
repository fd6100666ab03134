//! Multicast trees over overlay nodes: built by JOIN messages routed over a structured overlay (the lecture's
//! five steps) or stated explicitly.

use std::ops::ControlFlow;

use petgraph::unionfind::UnionFind;

use crate::overlay::StructuredOverlay;

pub(crate) const NONE: u32 = u32::MAX;

/// A rooted tree of overlay nodes. Index 0 is the root; `parent[i]` indexes `nodes` (`NONE` for the root).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    pub nodes: Vec<u32>,
    pub parent: Vec<u32>,
    /// Whether `nodes[i]` is a group member (the others only forward).
    pub member: Vec<bool>,
}

impl Tree {
    /// A tree of its root alone.
    pub(super) fn with_root(root: u32, member: bool) -> Tree {
        Tree { nodes: vec![root], parent: vec![NONE], member: vec![member] }
    }

    /// Adds `node` (no parent yet) and records its index in `slot`.
    pub(super) fn push(&mut self, node: u32, member: bool, slot: &mut [u32]) -> u32 {
        let i = self.nodes.len() as u32;
        slot[node as usize] = i;
        self.nodes.push(node);
        self.parent.push(NONE);
        self.member.push(member);
        i
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn root(&self) -> u32 {
        self.nodes[0]
    }

    /// Adjacency of the tree as an undirected graph over indices into `nodes` (CSR: offsets, neighbours).
    pub fn adjacency(&self) -> (Vec<u32>, Vec<u32>) {
        csr(self.len(), (1..self.len() as u32).map(|c| (c, self.parent[c as usize])))
    }

    /// Breadth-first order from tree index `start` over the undirected tree, with the index each node is
    /// reached from (`NONE` for `start`).
    pub fn bfs(&self, start: u32, adjacency: &(Vec<u32>, Vec<u32>)) -> (Vec<u32>, Vec<u32>) {
        let (offsets, targets) = adjacency;
        let mut from = vec![NONE; self.len()];
        let mut order = Vec::with_capacity(self.len());
        order.push(start);
        from[start as usize] = start;
        let mut head = 0;
        while head < order.len() {
            let v = order[head];
            head += 1;
            for &u in &targets[offsets[v as usize] as usize..offsets[v as usize + 1] as usize] {
                if from[u as usize] == NONE {
                    from[u as usize] = v;
                    order.push(u);
                }
            }
        }
        from[start as usize] = NONE;
        (order, from)
    }
}

/// Builds the tree of group `mid` by joins routed over `overlay`: the root is the root of `mid` (Chord:
/// succ(mid)); each member P (in the given order) routes a join towards the root. At each node Q on the way:
/// if Q is not yet in the tree it becomes a forwarder, the previous node becomes its child and the join goes
/// on; if Q is in the tree, the previous node becomes its child and the join stops. A member that already
/// forwards for the group just becomes a member.
///
/// `slot` is scratch space with one `NONE` entry per overlay node; it is left as it was found.
///
/// # Panics
/// If a route ends before reaching the root of `mid` (an overlay breaking the [`StructuredOverlay`] contract).
pub fn join_tree(overlay: &impl StructuredOverlay, mid: u64, members: &[u32], slot: &mut [u32]) -> Tree {
    let root = overlay.root(mid);
    let mut tree = Tree::with_root(root, false);
    slot[root as usize] = 0;
    for &p in members {
        if slot[p as usize] != NONE {
            tree.member[slot[p as usize] as usize] = true;
            continue;
        }
        let mut child = tree.push(p, true, slot);
        overlay.route_with(p, mid, |q| {
            if slot[q as usize] != NONE {
                tree.parent[child as usize] = slot[q as usize];
                return ControlFlow::Break(());
            }
            let forwarder = tree.push(q, false, slot);
            tree.parent[child as usize] = forwarder;
            child = forwarder;
            ControlFlow::Continue(())
        });
        assert_ne!(tree.parent[child as usize], NONE, "the join of node {p} for key {mid} stopped before the root");
    }
    for &v in &tree.nodes {
        slot[v as usize] = NONE;
    }
    tree
}

/// Why an explicit tree is not a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeError {
    /// The edge at this index would close a cycle or repeats an edge.
    Cycle(usize),
    /// This node is not connected to the root.
    Disconnected(u32),
}

/// The tree with the given root and undirected edges between overlay nodes. Its nodes are the root and the
/// edges' endpoints in order of appearance, all marked as members.
pub fn explicit_tree(root: u32, edges: &[(u32, u32)], slot: &mut [u32]) -> Result<Tree, TreeError> {
    let mut tree = Tree::with_root(root, true);
    slot[root as usize] = 0;
    for &(a, b) in edges {
        for v in [a, b] {
            if slot[v as usize] == NONE {
                tree.push(v, true, slot);
            }
        }
    }
    let indexed: Vec<(u32, u32)> = edges.iter().map(|&(a, b)| (slot[a as usize], slot[b as usize])).collect();
    for &v in &tree.nodes {
        slot[v as usize] = NONE;
    }
    // An edge joining two nodes already connected closes a cycle.
    let mut sets = UnionFind::<u32>::new(tree.len());
    if let Some(i) = indexed.iter().position(|&(a, b)| !sets.union(a, b)) {
        return Err(TreeError::Cycle(i));
    }
    if let Some(i) = (1..tree.len() as u32).find(|&i| !sets.equiv(0, i)) {
        return Err(TreeError::Disconnected(tree.nodes[i as usize]));
    }
    let (_, parent) = tree.bfs(0, &csr(tree.len(), indexed.into_iter()));
    tree.parent = parent;
    Ok(tree)
}

/// Undirected adjacency in CSR form of `n` nodes and the given edges.
fn csr(n: usize, edges: impl Iterator<Item = (u32, u32)> + Clone) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = vec![0u32; n + 1];
    for (a, b) in edges.clone() {
        offsets[a as usize + 1] += 1;
        offsets[b as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut targets = vec![0; offsets[n] as usize];
    for (a, b) in edges {
        for (x, y) in [(a, b), (b, a)] {
            targets[fill[x as usize] as usize] = y;
            fill[x as usize] += 1;
        }
    }
    (offsets, targets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chord::Ring;
    use crate::overlay::IdSpace;

    /// A toy overlay, not Chord: key k belongs to node k mod n, and messages step along the node numbers.
    struct Line(u32);

    impl StructuredOverlay for Line {
        fn len(&self) -> u32 {
            self.0
        }

        fn key_space(&self) -> IdSpace {
            IdSpace::new(16)
        }

        fn root(&self, key: u64) -> u32 {
            (key % u64::from(self.0)) as u32
        }

        fn next_hop(&self, v: u32, key: u64) -> Option<u32> {
            let root = self.root(key);
            (v != root).then(|| if v > root { v - 1 } else { v + 1 })
        }
    }

    #[test]
    fn join_tree_works_on_any_overlay() {
        let mut slot = vec![NONE; 10];
        let t = join_tree(&Line(10), 23, &[0, 9, 2], &mut slot);
        // Root 3; the join from 0 leaves forwarders 1 and 2, the one from 9 forwarders 8..4; 2 becomes a member.
        assert_eq!(t.nodes, vec![3, 0, 1, 2, 9, 8, 7, 6, 5, 4]);
        assert_eq!(t.parent, vec![NONE, 2, 3, 0, 5, 6, 7, 8, 9, 0]);
        assert_eq!(t.member, vec![false, true, false, true, true, false, false, false, false, false]);
        assert!(slot.iter().all(|&s| s == NONE));
    }

    #[test]
    fn explicit_trees_are_checked() {
        let mut slot = vec![NONE; 6];
        let t = explicit_tree(0, &[(0, 1), (1, 4), (4, 3), (3, 2)], &mut slot).unwrap();
        assert_eq!(t.nodes, vec![0, 1, 4, 3, 2]);
        assert_eq!(t.parent, vec![NONE, 0, 1, 2, 3]);
        assert!(slot.iter().all(|&s| s == NONE));
        assert_eq!(explicit_tree(0, &[(0, 1), (1, 2), (2, 0)], &mut slot), Err(TreeError::Cycle(2)));
        assert_eq!(explicit_tree(0, &[(0, 1), (2, 3)], &mut slot), Err(TreeError::Disconnected(2)));
        assert_eq!(explicit_tree(0, &[(0, 1), (1, 0), (2, 3)], &mut slot), Err(TreeError::Cycle(1)));
    }

    #[test]
    fn join_tree_on_chord_is_the_union_of_join_routes() {
        let space = IdSpace::new(16);
        let ids: Vec<u64> = (0..64u64).map(|v| sim_core::rng::mix64(v) & 0xffff).collect();
        let ring = Ring::new(space, &ids);
        let mut slot = vec![NONE; 64];
        let members: Vec<u32> = (0..64).step_by(3).collect();
        let mid = 0x1234;
        let t = join_tree(&ring, mid, &members, &mut slot);
        assert_eq!(t.root(), ring.node(ring.successor_of(mid)));
        // Every member's parent chain is its Chord route to the root.
        let mut path = Vec::new();
        for &m in &members {
            ring.lookup_path(ring.position(m), mid, &mut path);
            let mut i = t.nodes.iter().position(|&v| v == m).unwrap();
            for &p in &path {
                assert_eq!(t.nodes[i], ring.node(p));
                i = t.parent[i] as usize;
            }
            assert!(t.member[t.nodes.iter().position(|&v| v == m).unwrap()]);
        }
        // The same tree whatever the join order.
        let mut reversed = members.clone();
        reversed.reverse();
        let r = join_tree(&ring, mid, &reversed, &mut slot);
        let edges = |t: &Tree| {
            let mut e: Vec<(u32, u32)> = (1..t.len()).map(|i| (t.nodes[i], t.nodes[t.parent[i] as usize])).collect();
            e.sort_unstable();
            e
        };
        assert_eq!(edges(&t), edges(&r));
        assert!(slot.iter().all(|&s| s == NONE));
    }
}
