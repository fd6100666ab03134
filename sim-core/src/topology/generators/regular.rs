//! Random d-regular simple graphs: the pairing (configuration) model, then random degree-preserving switches that
//! remove its few self-loops and multi-edges. Restarting until the pairing happens to be simple would take about
//! e^((d²-1)/4) pairings, hopeless beyond small d.

use super::param;
use crate::prefetch;
use crate::rng::{SimRng, below};
use crate::topology::{Graph, GraphBuilder};
use crate::{NodeId, TopologyError};

const NAME: &str = "random_regular";
/// Pairings tried before giving up; only graphs of a handful of nodes can get stuck and need another one.
const PAIRINGS: u32 = 100;
/// Rows of at most this many slots are checked for loops and repeats by comparing the row with itself turned,
/// and laid out for the CSR by ranking every slot against every other, without a branch (work growing with the
/// square of the row length, so short rows only).
const SHORT_ROW: usize = 16;

/// A simple d-regular graph on `n` nodes (n·d even, 1 <= d < n). The result is close to, not exactly, uniform over
/// d-regular graphs: the pairing model is uniform over pairings, and only the ≈ (d-1)/2 + (d-1)²/4 defective
/// pairs (expected, for d² ≪ n) are switched with uniformly chosen edges. For d > (n-1)/2 it returns the
/// complement of an (n-1-d)-regular graph, where switches always find room.
pub fn random_regular(n: u32, d: u32, rng: &mut SimRng) -> Result<Graph, TopologyError> {
    if d == 0 || d >= n {
        return Err(param(NAME, "d", format!("d must be in 1..n (1..={}), got d={d} for n={n}", n.saturating_sub(1))));
    }
    let ends = u64::from(n) * u64::from(d);
    if ends % 2 == 1 {
        return Err(param(NAME, "d", format!("n*d must be even (every link has two ends), got n={n} d={d}")));
    }
    if ends > u64::from(u32::MAX) {
        return Err(param(NAME, "n", format!("n*d must be at most 4294967295, got n={n} d={d}")));
    }
    let dense = 2 * d > n - 1;
    let sparse_d = if dense { n - 1 - d } else { d };
    let slots = switched_pairing(n, sparse_d, rng)?;
    if !dense {
        return Ok(csr(n, d as usize, slots));
    }
    let neighbours = |u: NodeId| row(&slots, sparse_d as usize, u);
    let mut b = GraphBuilder::with_capacity(n, (ends / 2) as usize);
    // linked[v] == u: v is a neighbour of u in the sparse graph.
    let mut linked = vec![NodeId::MAX; n as usize];
    for u in 0..n {
        for &v in neighbours(u) {
            linked[v as usize] = u;
        }
        for v in u + 1..n {
            if linked[v as usize] != u {
                b.edge(u, v);
            }
        }
    }
    b.build()
}

/// The graph whose adjacency `slots` holds, laid out as `GraphBuilder` would lay out its edges `(u, v)`, `u < v`,
/// taken row by row in slot order (the edge ids the generator has always given). Row x then lists its smaller
/// neighbours in increasing order (their edges come from earlier rows), then its larger ones in slot order: a
/// reordering of its slots, done in place, one pass over the rows with no access elsewhere. Each row is then in
/// edge order, so the graph lays out the edges of the arcs itself if ever asked for them (a flood whose delays
/// ignore weights, and the connectivity check, never ask).
fn csr(n: u32, d: usize, mut slots: Vec<NodeId>) -> Graph {
    debug_assert_eq!(slots.len(), n as usize * d);
    let mut endpoints: Vec<(NodeId, NodeId)> = Vec::with_capacity(slots.len() / 2);
    let mut long = Vec::new();
    for u in 0..n {
        let links = &mut slots[u as usize * d..][..d];
        let smaller = lay_out(u, links, &mut long);
        endpoints.extend(links[smaller..].iter().map(|&v| (u, v)));
    }
    let offsets = (0..=n).map(|u| u * d as u32).collect();
    Graph::from_csr(offsets, slots, endpoints)
}

/// Reorders row `u`'s distinct neighbours `links` as [`csr`] lays them out: the smaller ones in increasing
/// order, then the larger ones in their order before. Returns how many are smaller. `long` is scratch for
/// rows longer than `SHORT_ROW`.
fn lay_out(u: NodeId, links: &mut [NodeId], long: &mut Vec<NodeId>) -> usize {
    match links.len() {
        0..=8 => lay_out_short::<8>(u, links),
        9..=SHORT_ROW => lay_out_short::<SHORT_ROW>(u, links),
        _ => {
            let smaller = links.iter().filter(|&&v| v < u).count();
            long.clear();
            long.extend_from_slice(links);
            let (mut s, mut l) = (0, smaller);
            for &v in long.iter() {
                if v < u {
                    links[s] = v;
                    s += 1;
                } else {
                    links[l] = v;
                    l += 1;
                }
            }
            links[..smaller].sort_unstable();
            smaller
        }
    }
}

/// [`lay_out`] for a row of at most `L` slots, without a branch on the values, which are coin flips to a
/// branch predictor: the place of a smaller neighbour is its rank (all neighbours below it are smaller too),
/// that of a larger one the number of smaller neighbours and of larger ones before it.
fn lay_out_short<const L: usize>(u: NodeId, links: &mut [NodeId]) -> usize {
    let padded = pad::<L>(links);
    let ranks = ranks(&padded);
    let smaller = padded.iter().map(|&v| u32::from(v < u)).sum::<u32>() as usize;
    let mut larger_before = smaller;
    for (&v, &rank) in padded.iter().zip(&ranks).take(links.len()) {
        let is_larger = v > u;
        links[if is_larger { larger_before } else { rank as usize }] = v;
        larger_before += usize::from(is_larger);
    }
    smaller
}

/// The rank of each slot of a padded row: how many slots hold a smaller value. All at once, by comparing the
/// row with each of its values lane by lane, loops of fixed length that become a few vector instructions
/// (for L = 8, about 70 instructions in all). Not inlined: inlined, the compiler turned them into 64 scalar
/// comparisons.
#[inline(never)]
fn ranks<const L: usize>(padded: &[NodeId; L]) -> [u32; L] {
    let mut ranks = [0u32; L];
    for w in *padded {
        for (rank, &v) in ranks.iter_mut().zip(padded) {
            *rank += u32::from(w < v);
        }
    }
    ranks
}

/// A row of at most `L` slots as an array of `L`, padded with `NodeId::MAX`, which no node is (nodes are
/// below n <= `NodeId::MAX`): it ranks above every node and changes no node's rank.
#[inline(always)]
fn pad<const L: usize>(row: &[NodeId]) -> [NodeId; L] {
    <[NodeId; L]>::try_from(row).unwrap_or_else(|_| {
        let mut padded = [NodeId::MAX; L];
        padded[..row.len()].copy_from_slice(row);
        padded
    })
}

/// Whether row `u` holds neither u nor any neighbour twice, for rows of at most `SHORT_ROW` slots.
fn short_row_is_simple(u: NodeId, links: &[NodeId]) -> bool {
    match links.len() {
        0..=1 => links.first() != Some(&u),
        2..=8 => short_row_is_simple_in::<8>(u, links),
        _ => short_row_is_simple_in::<SHORT_ROW>(u, links),
    }
}

/// [`short_row_is_simple`] for rows of 2 to `L` slots, padded with distinct values that no node is (a row of
/// 2 slots or more means n·d <= `NodeId::MAX` with d >= 2, so every node is below `NodeId::MAX / 2`). Every
/// two places of the padded row are k apart around it one way or the other, for some k in 1..=L/2, so
/// comparing the row lane by lane with itself turned by each such k finds any repeat: for L = 8 about 40
/// vector instructions and no branch, where ranking the row (as [`lay_out`] must) takes twice as many.
fn short_row_is_simple_in<const L: usize>(u: NodeId, links: &[NodeId]) -> bool {
    let padded = <[NodeId; L]>::try_from(links).unwrap_or_else(|_| {
        let mut padded = std::array::from_fn(|i| NodeId::MAX - i as NodeId);
        padded[..links.len()].copy_from_slice(links);
        padded
    });
    let mut clash = padded.map(|v| u32::from(v == u));
    for k in 1..=L / 2 {
        let turned: [NodeId; L] = std::array::from_fn(|i| padded[(i + k) % L]);
        for ((clash, &a), &b) in clash.iter_mut().zip(&padded).zip(&turned) {
            *clash |= u32::from(a == b);
        }
    }
    clash.iter().fold(0, |any, &c| any | c) == 0
}

/// Adjacency of a simple d-regular graph as `n·d` slots: slot `u·d + i` holds the i-th neighbour of u.
fn switched_pairing(n: u32, d: u32, rng: &mut SimRng) -> Result<Vec<NodeId>, TopologyError> {
    for _ in 0..PAIRINGS {
        let mut slots = pairing(n, d as usize, rng);
        if remove_defects(&mut slots, d as usize, rng) {
            return Ok(slots);
        }
    }
    Err(TopologyError::Invalid(format!("{NAME}: no simple graph found from {PAIRINGS} pairings (n={n}, d={d})")))
}

/// The configuration model: d stubs per node, shuffled (Fisher–Yates) and paired consecutively. A loop {u, u}
/// shows as two slots of u holding u. Both steps write to random places: the shuffle draws its swap partners
/// a batch ahead (the same draws, in the same order) and prefetches them, the pairing prefetches the rows of
/// the pairs ahead. Returns the slots.
fn pairing(n: u32, d: usize, rng: &mut SimRng) -> Vec<NodeId> {
    const AHEAD: usize = 32;
    let mut stubs: Vec<NodeId> = Vec::with_capacity(n as usize * d);
    crate::pages::advise_huge(stubs.spare_capacity_mut());
    for u in 0..n {
        stubs.extend(std::iter::repeat_n(u, d));
    }
    let mut partners = [0usize; AHEAD];
    let mut i = stubs.len().saturating_sub(1);
    while i > 0 {
        let batch = i.min(AHEAD);
        for (k, partner) in partners[..batch].iter_mut().enumerate() {
            *partner = below(rng, (i - k) as u32 + 1) as usize;
            prefetch::read(&stubs[*partner]);
        }
        for (k, &partner) in partners[..batch].iter().enumerate() {
            stubs.swap(i - k, partner);
        }
        i -= batch;
    }
    let mut slots = vec![0; stubs.len()];
    crate::pages::advise_huge(&slots);
    for (p, pair) in stubs.chunks_exact(2).enumerate() {
        if let Some(ahead) = stubs.get(2 * (p + AHEAD / 2)..2 * (p + AHEAD / 2) + 2) {
            for &a in ahead {
                prefetch::read(&slots[a as usize * d + d - 1]);
            }
        }
        for (a, b) in [(pair[0], pair[1]), (pair[1], pair[0])] {
            fill_next(&mut slots[a as usize * d..][..d], b);
        }
    }
    slots
}

/// Appends `value` to a row of fixed length that fills from its start and keeps, until it is full, how many
/// slots are filled in its last slot (so a row starts as zeros): one memory access per write, where a
/// separate array of counts would be a second cache miss. The row's last write replaces the count.
#[inline(always)]
fn fill_next(row: &mut [u32], value: u32) {
    let last = row.len() - 1;
    let filled = row[last] as usize;
    row[filled] = value;
    if filled < last {
        row[last] = filled as u32 + 1;
    }
}

fn row(slots: &[NodeId], d: usize, u: NodeId) -> &[NodeId] {
    &slots[u as usize * d..][..d]
}

/// True if u and v are linked (v = u: u has a loop).
fn linked(slots: &[NodeId], d: usize, u: NodeId, v: NodeId) -> bool {
    row(slots, d, u).contains(&v)
}

/// True if {u, v} is still a defect: a loop (u = v, two slots), or a link with a second copy.
fn is_defect(slots: &[NodeId], d: usize, u: NodeId, v: NodeId) -> bool {
    row(slots, d, u).iter().filter(|&&w| w == v).count() >= 2
}

/// Replaces one occurrence of `old` among u's neighbours by `new`.
fn relink(slots: &mut [NodeId], d: usize, u: NodeId, old: NodeId, new: NodeId) {
    let row = &mut slots[u as usize * d..][..d];
    let i = row.iter().position(|&w| w == old).expect("switched links exist");
    row[i] = new;
}

/// Switches every self-loop and every extra copy of a multi-edge {u, v} with a uniformly chosen arc (x, y):
/// {u, v} and {x, y} become {u, x} and {v, y}, accepted only if neither is a loop or an existing link, so no
/// switch creates a defect and degrees never change. Returns false if a defect finds no valid switch in many
/// tries (possible only on graphs of a handful of nodes, e.g. when every other edge is a loop too).
fn remove_defects(slots: &mut [NodeId], d: usize, rng: &mut SimRng) -> bool {
    if slots.is_empty() {
        return true;
    }
    let n = (slots.len() / d) as NodeId;
    let mut defects = Vec::new();
    let mut sorted = Vec::with_capacity(d);
    for u in 0..n {
        // Most rows are simple: the ranks of their few slots show it, without sorting them.
        let links = row(slots, d, u);
        if d <= SHORT_ROW && short_row_is_simple(u, links) {
            continue;
        }
        sorted.clear();
        sorted.extend_from_slice(links);
        sorted.sort_unstable();
        for run in sorted.chunk_by(|a, b| a == b) {
            // k loops at u fill 2k slots of u; a link {u, v} with k copies fills k slots of u and of v,
            // counted once, at the smaller end.
            let extra = match run[0] {
                v if v == u => run.len() / 2,
                v if v > u => run.len() - 1,
                _ => 0,
            };
            defects.extend(std::iter::repeat_n((u, run[0]), extra));
        }
    }
    let arcs = slots.len() as u32;
    let tries = 64 * u64::from(arcs);
    for (u, v) in defects {
        // An earlier switch may have used this copy as its (x, y).
        if !is_defect(slots, d, u, v) {
            continue;
        }
        let mut tried = 0;
        loop {
            if tried == tries {
                return false;
            }
            tried += 1;
            let s = below(rng, arcs) as usize;
            let (x, y) = ((s / d) as NodeId, slots[s]);
            // {u, x} = {v, y} only for a loop switched with a loop (x = v would already fail `linked(u, x)`).
            let same_new_link = u == v && x == y;
            if x != u && y != v && !same_new_link && !linked(slots, d, u, x) && !linked(slots, d, v, y) {
                relink(slots, d, u, v, x);
                relink(slots, d, v, u, y);
                relink(slots, d, x, y, u);
                relink(slots, d, y, x, v);
                break;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_simple, edges, rng};
    use super::*;
    use proptest::prelude::*;

    fn assert_regular(g: &Graph, d: u32) {
        assert_simple(g);
        assert!((0..g.node_count()).all(|v| g.degree(v) == d));
    }

    #[test]
    fn sparse_and_dense_graphs_are_simple_and_regular() {
        for (n, d) in [(1_000, 8), (500, 3), (10, 9), (11, 6), (12, 5), (40, 39), (2, 1)] {
            for seed in 0..3 {
                let g = random_regular(n, d, &mut rng(seed)).unwrap();
                assert_regular(&g, d);
                assert_eq!(g.edge_count() as u32, n * d / 2);
            }
        }
    }

    #[test]
    fn switches_remove_loops_and_multi_edges() {
        // 6 nodes, d = 2, nothing but defects: loops at 0 and 3, double links 1-2 and 4-5.
        let d = 2;
        let mut slots = vec![0, 0, 2, 2, 1, 1, 3, 3, 5, 5, 4, 4];
        assert!(remove_defects(&mut slots, d, &mut rng(3)));
        let mut b = GraphBuilder::new(6);
        for u in 0..6u32 {
            for &v in row(&slots, d, u).iter().filter(|&&v| u < v) {
                b.edge(u, v);
            }
        }
        assert_regular(&b.build().unwrap(), 2);
    }

    #[test]
    fn parameters_are_checked_and_graphs_repeat_per_seed() {
        let message = random_regular(5, 3, &mut rng(1)).unwrap_err().to_string();
        assert_eq!(message, "random_regular: n*d must be even (every link has two ends), got n=5 d=3");
        assert!(random_regular(5, 5, &mut rng(1)).is_err());
        assert!(random_regular(5, 0, &mut rng(1)).is_err());
        let a = random_regular(200, 4, &mut rng(7)).unwrap();
        assert_eq!(edges(&a), edges(&random_regular(200, 4, &mut rng(7)).unwrap()));
        assert_ne!(edges(&a), edges(&random_regular(200, 4, &mut rng(8)).unwrap()));
    }

    /// The plain shuffle and pairing, one swap and one row write at a time.
    fn plain_pairing(n: u32, d: usize, rng: &mut SimRng) -> Vec<NodeId> {
        let mut stubs: Vec<NodeId> = (0..n).flat_map(|u| std::iter::repeat_n(u, d)).collect();
        for i in (1..stubs.len()).rev() {
            let j = below(rng, i as u32 + 1) as usize;
            stubs.swap(i, j);
        }
        let mut slots = vec![0; stubs.len()];
        crate::pages::advise_huge(&slots);
        let mut filled = vec![0; n as usize];
        for pair in stubs.chunks_exact(2) {
            for (a, b) in [(pair[0], pair[1]), (pair[1], pair[0])] {
                slots[a as usize * d + filled[a as usize]] = b;
                filled[a as usize] += 1;
            }
        }
        slots
    }

    /// Panics unless `a` and `b` have the same edges (ids and endpoints) and the same rows (targets and edges, in
    /// order).
    fn assert_same(a: &Graph, b: &Graph) {
        assert_eq!(edges(a), edges(b));
        for v in 0..a.node_count() {
            let arcs = |g: &Graph| g.arcs(v).map(|arc| (g.arc_target(arc), g.arc_edge(arc))).collect::<Vec<_>>();
            assert_eq!(arcs(a), arcs(b), "row {v}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The batched shuffle makes the same draws in the same order as the plain one, and the direct layout
        /// equals what `GraphBuilder` makes of the edges taken row by row (short rows and long ones): the graphs of
        /// a seed are as before.
        #[test]
        fn fast_steps_equal_the_plain_ones(seed: u64, n in 2u32..60, d in prop_oneof![1u32..=8, 9u32..=16, 17u32..20]) {
            prop_assume!(d < n && n * d % 2 == 0);
            let slots = pairing(n, d as usize, &mut rng(seed));
            prop_assert_eq!(&slots, &plain_pairing(n, d as usize, &mut rng(seed)));
            let g = random_regular(n, d, &mut rng(seed)).unwrap();
            if 2 * d < n {
                let mut slots = slots;
                if remove_defects(&mut slots, d as usize, &mut rng(seed)) {
                    let mut b = GraphBuilder::new(n);
                    for u in 0..n {
                        for &v in row(&slots, d as usize, u).iter().filter(|&&v| u < v) {
                            b.edge(u, v);
                        }
                    }
                    assert_same(&csr(n, d as usize, slots), &b.build().unwrap());
                }
            }
            assert_regular(&g, d);
        }

        /// The check of short rows without a branch agrees with sorting the row.
        #[test]
        fn short_rows_are_simple_as_sorting_shows(u in 0u32..6, row in proptest::collection::vec(0u32..12, 0..=SHORT_ROW)) {
            let mut sorted = row.clone();
            sorted.sort_unstable();
            let simple = !row.contains(&u) && sorted.windows(2).all(|w| w[0] != w[1]);
            prop_assert_eq!(short_row_is_simple(u, &row), simple);
        }

        #[test]
        fn any_valid_parameters_give_a_regular_simple_graph(seed: u64, n in 2u32..70, d in 1u32..70) {
            prop_assume!(d < n && n * d % 2 == 0);
            assert_regular(&random_regular(n, d, &mut rng(seed)).unwrap(), d);
        }
    }
}
