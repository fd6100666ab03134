//! Graph generators. Every random choice comes from the `SimRng` passed in, so a seed fixes the graph; every
//! generator returns a simple graph (no self-loops, no parallel edges) and rejects parameters outside their
//! range with a `TopologyError::Parameter` that names the parameter and the allowed range.

mod regular;
mod small_world;
mod transit_stub;

pub use regular::random_regular;
pub use small_world::watts_strogatz;
pub use transit_stub::{TransitStub, TransitStubParams, transit_stub};

use crate::rng::{SimRng, below, unit};
use crate::topology::{Graph, GraphBuilder};
use crate::{NodeId, TopologyError};

fn param(generator: &'static str, parameter: &'static str, message: String) -> TopologyError {
    TopologyError::Parameter { generator, parameter, message }
}

fn probability(generator: &'static str, parameter: &'static str, p: f64) -> Result<(), TopologyError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(param(generator, parameter, format!("{parameter} must be a probability in [0, 1], got {p}")))
    }
}

/// Bytes a `Graph` with `nodes` nodes and `edges` undirected edges takes, weights included; labels are not
/// counted. Lets callers refuse an oversized topology before allocating it. A generator's own scratch comes on
/// top (`random_regular`: 8 bytes per edge end; `watts_strogatz`: up to 24 bytes per edge, where n > 64·k instead
/// about 4·beta·k + 28 bytes per node, its edge list becoming the graph's; the others: at most the edge list,
/// 8 bytes per edge).
pub fn estimated_bytes(nodes: u64, edges: u64) -> u64 {
    // offsets (n + 1 u32), which `GraphBuilder::build` also counts and fills in
    let per_node = nodes.saturating_add(1).saturating_mul(4);
    // two arcs (target u32 + edge id u32 each), endpoints (2 × u32), weight (u32)
    let per_edge = edges.saturating_mul(2 * 8 + 8 + 4);
    per_node.saturating_add(per_edge)
}

/// Cycle 0 – 1 – … – (n-1) – 0.
pub fn ring(n: u32) -> Result<Graph, TopologyError> {
    if n < 3 {
        return Err(param(
            "ring",
            "n",
            format!("n must be at least 3 (a ring of 2 nodes would need a double link), got {n}"),
        ));
    }
    let mut b = GraphBuilder::with_capacity(n, n as usize);
    for v in 0..n {
        b.edge(v, (v + 1) % n);
    }
    b.build()
}

/// `rows × cols` grid, node `r * cols + c` at row r, column c; with `torus` the rows and columns wrap around.
pub fn grid(rows: u32, cols: u32, torus: bool) -> Result<Graph, TopologyError> {
    const NAME: &str = "grid";
    let nodes = u64::from(rows) * u64::from(cols);
    if !(2..=u64::from(u32::MAX)).contains(&nodes) {
        return Err(param(NAME, "rows", format!("rows*cols must be in 2..=4294967295, got rows={rows} cols={cols}")));
    }
    if torus && (rows < 3 || cols < 3) {
        return Err(param(
            NAME,
            if rows < 3 { "rows" } else { "cols" },
            format!(
                "a torus needs rows >= 3 and cols >= 3 (wrapping a side of 1 or 2 nodes would make self-loops or \
                 double links), got rows={rows} cols={cols}"
            ),
        ));
    }
    let edges = if torus { 2 * nodes } else { 2 * nodes - u64::from(rows) - u64::from(cols) };
    let mut b = GraphBuilder::with_capacity(nodes as u32, edges as usize);
    let id = |r: u32, c: u32| r * cols + c;
    for r in 0..rows {
        for c in 0..cols {
            if c + 1 < cols {
                b.edge(id(r, c), id(r, c + 1));
            } else if torus {
                b.edge(id(r, c), id(r, 0));
            }
            if r + 1 < rows {
                b.edge(id(r, c), id(r + 1, c));
            } else if torus {
                b.edge(id(r, c), id(0, c));
            }
        }
    }
    b.build()
}

/// Calls `edge(rng, v, w)` for each pair `w < v < n` independently with probability `p`, in O(n + edges) time by
/// geometric skipping (Batagelj & Brandes, "Efficient generation of large random networks", Phys. Rev. E 2005):
/// in the row-major order of pairs, the number of pairs skipped before the next chosen one is geometric,
/// `floor(ln(1 - r) / ln(1 - p))` for r uniform in [0, 1).
fn gnp_pairs(n: u32, p: f64, rng: &mut SimRng, mut edge: impl FnMut(&mut SimRng, NodeId, NodeId)) {
    if p <= 0.0 {
        return; // ln(1 - p) = 0 would make the skip 0/0
    }
    let log_q = (-p).ln_1p();
    let n = i64::from(n);
    let (mut v, mut w) = (1i64, -1i64);
    while v < n {
        // The cast saturates, so a huge skip for tiny p just ends the loop.
        let skip = ((1.0 - unit(rng)).ln() / log_q).floor() as i64;
        w = w.saturating_add(1).saturating_add(skip);
        while w >= v && v < n {
            w -= v;
            v += 1;
        }
        if v < n {
            edge(rng, v as NodeId, w as NodeId);
        }
    }
}

/// G(n, p): every pair of nodes is linked independently with probability `p`.
pub fn erdos_renyi(n: u32, p: f64, rng: &mut SimRng) -> Result<Graph, TopologyError> {
    const NAME: &str = "erdos_renyi";
    if n < 2 {
        return Err(param(NAME, "n", format!("n must be at least 2, got {n}")));
    }
    probability(NAME, "p", p)?;
    let pairs = u64::from(n) * u64::from(n - 1) / 2;
    let mean = pairs as f64 * p;
    // Room for the mean plus 5 standard deviations, so the edge list almost never reallocates.
    let capacity = (mean + 5.0 * (mean * (1.0 - p)).sqrt() + 1.0).min(pairs as f64);
    let mut b = GraphBuilder::with_capacity(n, capacity as usize);
    gnp_pairs(n, p, rng, |_, v, w| {
        b.edge(w, v);
    });
    b.build()
}

/// Preferential attachment (Barabási & Albert 1999): starts from a complete graph on `m + 1` nodes (so every node
/// has degree at least m), then each new node links to `m` distinct existing nodes chosen with probability
/// proportional to their degree. Connected, with `m(m+1)/2 + (n-m-1)·m` edges.
pub fn barabasi_albert(n: u32, m: u32, rng: &mut SimRng) -> Result<Graph, TopologyError> {
    const NAME: &str = "barabasi_albert";
    if m == 0 || m >= n {
        return Err(param(NAME, "m", format!("m must be in 1..n (1..={}), got m={m} for n={n}", n.saturating_sub(1))));
    }
    let edges = (u64::from(m) * u64::from(m + 1) / 2 + u64::from(n - m - 1) * u64::from(m)) as usize;
    let mut b = GraphBuilder::with_capacity(n, edges);
    // Every edge end, so a uniform entry is a node drawn proportionally to its degree.
    let mut ends: Vec<NodeId> = Vec::with_capacity(2 * edges);
    for v in 0..=m {
        for w in 0..v {
            b.edge(w, v);
            ends.extend([w, v]);
        }
    }
    // chosen_by[w] == t: node t already picked w.
    let mut chosen_by = vec![NodeId::MAX; n as usize];
    let mut targets = Vec::with_capacity(m as usize);
    for t in m + 1..n {
        targets.clear();
        while targets.len() < m as usize {
            let w = ends[below(rng, ends.len() as u32) as usize];
            if chosen_by[w as usize] != t {
                chosen_by[w as usize] = t;
                targets.push(w);
            }
        }
        for &w in &targets {
            b.edge(w, t);
            ends.extend([w, t]);
        }
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Lane, stream};
    use proptest::prelude::*;

    /// Panics unless `g` has no self-loops, no parallel edges, and degrees summing to twice the edge count.
    pub(super) fn assert_simple(g: &Graph) {
        let mut degree_sum = 0u64;
        for v in 0..g.node_count() {
            let mut ns = g.neighbors(v).to_vec();
            degree_sum += ns.len() as u64;
            ns.sort_unstable();
            assert!(!ns.contains(&v), "self-loop at {v}");
            assert!(ns.windows(2).all(|w| w[0] != w[1]), "parallel edges at {v}: {ns:?}");
        }
        assert_eq!(degree_sum, 2 * g.edge_count() as u64);
    }

    pub(super) fn rng(seed: u64) -> SimRng {
        stream(seed, 0, Lane::Topology)
    }

    pub(super) fn edges(g: &Graph) -> Vec<(NodeId, NodeId)> {
        (0..g.edge_count() as u32).map(|e| g.endpoints(e)).collect()
    }

    #[test]
    fn ring_and_grids_have_exact_counts() {
        let r = ring(7).unwrap();
        assert_eq!((r.node_count(), r.edge_count()), (7, 7));
        assert!((0..7).all(|v| r.degree(v) == 2) && r.is_connected());
        let g = grid(3, 4, false).unwrap();
        assert_eq!((g.node_count(), g.edge_count()), (12, 3 * 3 + 4 * 2));
        assert_eq!((g.degree(0), g.degree(1), g.degree(5)), (2, 3, 4));
        let t = grid(3, 4, true).unwrap();
        assert_eq!((t.node_count(), t.edge_count()), (12, 24));
        assert!((0..12).all(|v| t.degree(v) == 4));
        let path = grid(1, 5, false).unwrap();
        assert_eq!(path.edge_count(), 4);
        for g in [r, g, t, path] {
            assert_simple(&g);
            assert!(g.is_connected());
        }
    }

    #[test]
    fn bad_parameters_name_the_parameter() {
        let mut rng = rng(1);
        let parameter = |r: Result<Graph, TopologyError>| match r {
            Err(TopologyError::Parameter { parameter, .. }) => parameter,
            other => panic!("expected a parameter error, got {other:?}"),
        };
        assert_eq!(parameter(ring(2)), "n");
        assert_eq!(parameter(grid(1, 1, false)), "rows");
        assert_eq!(parameter(grid(4, 2, true)), "cols");
        assert_eq!(parameter(erdos_renyi(10, f64::NAN, &mut rng)), "p");
        assert_eq!(parameter(erdos_renyi(10, 1.5, &mut rng)), "p");
        assert_eq!(parameter(barabasi_albert(5, 5, &mut rng)), "m");
        assert_eq!(parameter(barabasi_albert(5, 0, &mut rng)), "m");
        assert_eq!(parameter(watts_strogatz(10, 3, 0.1, &mut rng)), "k");
        assert_eq!(parameter(watts_strogatz(10, 10, 0.1, &mut rng)), "k");
        assert_eq!(parameter(watts_strogatz(10, 4, -0.1, &mut rng)), "beta");
        let message = ring(2).unwrap_err().to_string();
        assert!(message.starts_with("ring: n must be at least 3"), "{message}");
    }

    #[test]
    fn erdos_renyi_edge_count_and_spread_match_gnp() {
        // |E| ~ Binomial(M, p) with M = n(n-1)/2, sd = sqrt(M p (1-p)); accept within 5 sd. The pairs inside the
        // first half of the nodes form a Binomial(M', p) count with M' = h(h-1)/2, h = n/2: a skipping error that
        // favoured early or late rows would shift it.
        let (n, p) = (3_000u32, 0.05);
        for seed in 0..3 {
            let g = erdos_renyi(n, p, &mut rng(seed)).unwrap();
            assert_simple(&g);
            let within = |count: usize, pairs: f64| {
                let (mean, sd) = (pairs * p, (pairs * p * (1.0 - p)).sqrt());
                assert!((count as f64 - mean).abs() < 5.0 * sd, "{count} vs {mean} ± 5·{sd}");
            };
            within(g.edge_count(), f64::from(n) * f64::from(n - 1) / 2.0);
            let h = n / 2;
            let low = edges(&g).iter().filter(|&&(u, v)| u < h && v < h).count();
            within(low, f64::from(h) * f64::from(h - 1) / 2.0);
        }
    }

    #[test]
    fn erdos_renyi_extremes_and_determinism() {
        assert_eq!(erdos_renyi(50, 0.0, &mut rng(1)).unwrap().edge_count(), 0);
        let complete = erdos_renyi(50, 1.0, &mut rng(1)).unwrap();
        assert_eq!(complete.edge_count(), 50 * 49 / 2);
        assert_simple(&complete);
        let a = erdos_renyi(300, 0.05, &mut rng(9)).unwrap();
        let b = erdos_renyi(300, 0.05, &mut rng(9)).unwrap();
        let c = erdos_renyi(300, 0.05, &mut rng(10)).unwrap();
        assert_eq!(edges(&a), edges(&b));
        assert_ne!(edges(&a), edges(&c));
    }

    #[test]
    fn barabasi_albert_counts_and_hubs() {
        let (n, m) = (2_000, 3);
        let g = barabasi_albert(n, m, &mut rng(4)).unwrap();
        assert_simple(&g);
        assert!(g.is_connected());
        assert_eq!(g.edge_count() as u32, m * (m + 1) / 2 + (n - m - 1) * m);
        assert!((0..n).all(|v| g.degree(v) >= m));
        // Preferential attachment grows hubs far above the mean degree 2m; uniform attachment would keep the
        // maximum near 2m + O(log n).
        assert!((0..n).map(|v| g.degree(v)).max().unwrap() > 10 * 2 * m);
        assert_eq!(edges(&g), edges(&barabasi_albert(n, m, &mut rng(4)).unwrap()));
    }

    #[test]
    fn watts_strogatz_lattice_and_rewiring() {
        let lattice = watts_strogatz(20, 4, 0.0, &mut rng(1)).unwrap();
        assert!((0..20).all(|v| lattice.degree(v) == 4));
        assert_eq!(lattice.neighbors(0), &[1, 19, 2, 18]);
        let g = watts_strogatz(1_000, 6, 0.2, &mut rng(2)).unwrap();
        assert_simple(&g);
        assert_eq!(g.edge_count(), 3_000);
        // Each of the 3000 edges is rewired with probability 0.2 and its far end then leaves the lattice band
        // |u - w| <= 3 (mod n) except with probability 6/999: count ~ Binomial(3000, ≈0.2), sd ≈ 21.9, 5 sd.
        let off = edges(&g)
            .iter()
            .filter(|&&(u, v)| {
                let gap = u.abs_diff(v);
                gap.min(1_000 - gap) > 3
            })
            .count();
        assert!((off as f64 - 600.0).abs() < 5.0 * 21.9, "{off}");
        // Complete lattice: nothing can be rewired.
        assert_eq!(watts_strogatz(5, 4, 1.0, &mut rng(3)).unwrap().edge_count(), 10);
    }

    #[test]
    fn estimated_bytes_bounds_the_built_graph() {
        let mut b = GraphBuilder::with_capacity(1_000, 5_000);
        let mut rng = rng(5);
        for _ in 0..5_000 {
            let u = below(&mut rng, 999);
            b.weighted_edge(u, u + 1 + below(&mut rng, 999 - u), 3);
        }
        let g = b.build().unwrap();
        assert_eq!(g.heap_bytes(), estimated_bytes(1_000, 5_000));
        assert_eq!(estimated_bytes(u64::MAX, u64::MAX), u64::MAX);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn erdos_renyi_is_simple(seed: u64, n in 2u32..80, p in 0.0f64..=1.0) {
            let g = erdos_renyi(n, p, &mut rng(seed)).unwrap();
            assert_simple(&g);
            prop_assert_eq!(g.node_count(), n);
        }

        #[test]
        fn barabasi_albert_is_simple(seed: u64, n in 2u32..80, m in 1u32..10) {
            prop_assume!(m < n);
            let g = barabasi_albert(n, m, &mut rng(seed)).unwrap();
            assert_simple(&g);
            prop_assert!(g.is_connected());
        }

        #[test]
        fn rings_and_grids_are_simple(n in 3u32..50, rows in 1u32..12, cols in 1u32..12, torus: bool) {
            assert_simple(&ring(n).unwrap());
            if let Ok(g) = grid(rows, cols, torus) {
                assert_simple(&g);
                prop_assert!(g.is_connected());
            } else {
                prop_assert!(rows * cols < 2 || torus && (rows < 3 || cols < 3));
            }
        }
    }
}
