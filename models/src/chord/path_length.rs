//! The mean lookup path length of Chord with random identifiers, computed rather than estimated.
//!
//! Stoica et al. estimate the path length (fingers followed until the key's predecessor) as ½·log2 N. With N
//! identifiers drawn uniformly from a circle of 2^m ≫ N points, a lookup for a uniform key from a uniform node
//! is a Markov chain. Its mean is computed with the other nodes as a Poisson process to 10^-5 hops, and for a
//! fixed N to within 3·10^-4 hops from N = 12 on:
//!
//! - **The chain.** Let the other nodes be a Poisson process of mean λ on the circle (length 1). A node at
//!   distance D from the key's predecessor p forwards to succ(n + s), s = 2^⌊log2 D⌋ the largest finger offset
//!   not past p (Chord's closest preceding finger). The nodes between n + s and p have not been looked at, so
//!   the next node lies at distance y ∈ (0, D − s) before p with density λ·e^(−λ(D − s − y)), or is p itself.
//!   The expected hops f(D) to p obey f(D) = 1 + F(D − s) with F(x) = ∫_0^x λ·e^(−λ(x − y))·f(y) dy.
//! - **Solving it.** In units of expected nodes, u = λ·x, F′(u) = 1 + F(u − s(u)) − F(u), F(0) = 0: a delay
//!   equation whose delayed argument u − s(u) < u/2 is already solved. On a grid of step λ/2^k, which holds
//!   every finger offset λ/2^j, that argument is a grid point; the forcing is taken linear between grid points
//!   and integrated exactly (exponential integrator), and two grids (k, k + 1) are Richardson-extrapolated.
//! - **Averaging.** The initiator owns the key when no other node lies between the key and it (path 0), and is
//!   its predecessor when none lies between them (path 0); otherwise p is at distance D = x from it, and the
//!   Poissonised mean is Ẽ(λ) = ∫_0^1 f(x)·P(Poisson(λ·(1 − x)) ≥ 2) dx.
//! - **Fixed N.** Ẽ(λ) averages e(M), the mean for M + 1 nodes, over M ~ Poisson(λ). The Poisson–Charlier
//!   inversion e(n) = Ẽ(n) − (n/2)·Ẽ″(n) + (n/3)·Ẽ‴(n) + (n²/8 − n/4)·Ẽ⁗(n) − … (Jacquet & Szpankowski
//!   1998) taken to its second term, with Ẽ″ by finite differences, gives e(N − 1); the terms left out are
//!   O(N^-2). Against exact averages over every route of 10^5 random rings (64-bit ids), the result is within
//!   3·10^-4 hops (about two standard errors) for N = 12 to 256, 9·10^-4 off at N = 8 and 0.02 at N = 4.
//!
//! Past λ = 2^20 the value is Ẽ(λ/2^j) + j/2: halving the density and every finger offset is the same chain, and
//! the circle's finite length adds to Ẽ(2λ) − Ẽ(λ) − ½ a term of 1.4·10^-5 hops at λ = 2^19 that about halves
//! with every doubling, so the halvings are off by less than 3·10^-5 hops.
//! The model is the continuum limit: on a circle only a few times larger than N, the lattice (identifiers and
//! finger offsets are integers) shifts the mean by up to about N/2^m hops (+0.004 at N = 256, m = 12).

/// Finest grid step, in expected nodes: the solution has structure on the scale of one node spacing.
const STEP: f64 = 0.25;

/// Largest Poisson mean solved on a grid (of 2^22 cells, 32 MiB); larger ones are halved (see the module doc).
const LARGEST_GRID: f64 = (1u32 << 20) as f64;

/// Expected mean path length of Chord's lookups on `nodes` nodes with uniform random identifiers on a circle of
/// 2^m ≫ N points, from a uniform node for a uniform key: fingers followed until the key's predecessor (0 when
/// the initiator owns the key or precedes it). See the module documentation for how it is computed.
pub fn expected_path_length(nodes: u32) -> f64 {
    if nodes <= 2 {
        return 0.0; // one node owns every key; of two, the initiator owns the key or precedes it
    }
    let (n, halvings) = poisson_mean(nodes);
    let scale = (-halvings).exp2();
    // Ẽ″ by central differences at spacing δ = n/16 (truncation error below 5·10^-5/n hops), the three points
    // on grids of the same level, so that their discretisation errors cancel in the difference; a grid twice
    // as coarse as Ẽ's own changes the term (n/2)·Ẽ″ (about 0.36/n hops) by less than 5·10^-5 hops.
    let delta = n / 16.0;
    let level = grid_level((n + delta) * scale) - 1;
    let coarse = |lambda: f64| poissonized(lambda * scale, level);
    let curvature = (coarse(n - delta) - 2.0 * coarse(n) + coarse(n + delta)) / (delta * delta);
    poissonized(n * scale, grid_level(n * scale)) + 0.5 * halvings - 0.5 * n * curvature
}

/// Bytes of the largest grid [`expected_path_length`] holds at once for `nodes` nodes.
pub fn grid_bytes(nodes: u32) -> u64 {
    if nodes <= 2 {
        return 0;
    }
    let (n, halvings) = poisson_mean(nodes);
    8 * ((1u64 << grid_level(n * (-halvings).exp2())) + 1)
}

/// The Poisson mean N − 1 of the nodes besides the initiator, and the halvings that bring it to the grid.
fn poisson_mean(nodes: u32) -> (f64, f64) {
    let n = f64::from(nodes - 1);
    (n, (n / LARGEST_GRID).log2().ceil().max(0.0))
}

/// The grid level k whose step λ/2^k is at most [`STEP`].
fn grid_level(lambda: f64) -> u32 {
    (lambda / STEP).log2().ceil().max(2.0) as u32
}

/// Ẽ(λ): the mean path length when the nodes other than the initiator are a Poisson process of mean `lambda`,
/// Richardson-extrapolated from the grids of levels `level` and `level + 1`.
fn poissonized(lambda: f64, level: u32) -> f64 {
    (4.0 * on_grid(lambda, level + 1) - on_grid(lambda, level)) / 3.0
}

/// Ẽ(λ) on the grid of step h = λ/2^k over [0, λ/2] (distances in expected nodes), the forcing linear in each
/// cell; the error is O(h²).
fn on_grid(lambda: f64, k: u32) -> f64 {
    let cells = 1usize << (k - 1);
    let h = lambda / (1u64 << k) as f64;
    let decay = (-h).exp();
    // ∫_0^h e^-(h-t) dt and ∫_0^h e^-(h-t)·t/h dt: weights of the forcing at a cell's two ends.
    let (flat, ramp) = (1.0 - decay, (h - 1.0 + decay) / h);
    let mut f = vec![0.0; cells + 1];
    // In [0, h) the delayed argument u − s(u) runs through infinitely many finger offsets; F(t) ≈ t there and
    // ∫_0^h (u − s(u)) du = h²/6.
    f[1] = flat + h * h / 6.0;
    // Cells [offset, 2·offset): the largest finger offset at or below u is `offset` cells.
    let mut offset = 1;
    while offset < cells {
        for i in offset..2 * offset {
            let (left, right) = (f[i - offset], f[i + 1 - offset]);
            f[i + 1] = f[i] * decay + (1.0 + left) * flat + (right - left) * ramp;
        }
        offset *= 2;
    }
    // f(D) = 1 + F(D − s) averaged over the predecessor's distance D = s + t, t ∈ [0, s), for every offset s,
    // weighted by the chance that at least two nodes lie in the rest of the circle (else the initiator owns
    // the key or the key is beyond every other node; both count 0).
    let weight = |d: f64| {
        let rest = lambda - d;
        // Past 40 expected nodes the complement is below 2·10^-16: 1 to the last bit.
        if rest > 40.0 { 1.0 } else { 1.0 - (-rest).exp() * (1.0 + rest) }
    };
    // Below h: one hop, plus F(D − s) ≈ D − s, whose integral over [0, h) is h²/6.
    let mut total = h * weight(0.0) + h * h / 6.0;
    let mut offset = 1;
    while offset <= cells {
        let integrand = |j: usize| (1.0 + f[j]) * weight((offset + j) as f64 * h);
        let inner: f64 = (1..offset).map(integrand).sum();
        total += h * (inner + 0.5 * (integrand(0) + integrand(offset)));
        offset *= 2;
    }
    total / lambda
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chord::Ring;
    use crate::overlay::{IdSpace, random_ids};
    use sim_core::rng::{Lane, stream};
    use sim_core::stats::Summary;

    /// The mean path length of one ring over every key and initiator, routed by [`Ring::lookup_path`]: the keys
    /// of the arc (p, succ(p)] all have predecessor p, so each (initiator, p) pair is one route, weighted by
    /// the arc's share of the circle.
    fn ring_mean(ring: &Ring) -> f64 {
        let (space, n) = (ring.space(), ring.len());
        let mut path = Vec::new();
        let mut total = 0.0;
        for p in 0..n {
            let arc = space.distance(ring.id(p), ring.id(ring.successor(p))) as f64 / space.size() as f64;
            let key = space.add(ring.id(p), 1);
            for from in 0..n {
                ring.lookup_path(from, key, &mut path);
                total += arc * path.len().saturating_sub(2) as f64;
            }
        }
        total / f64::from(n)
    }

    /// Exact ring means over `rings` rings of `n` random 64-bit ids.
    fn ring_means(n: u32, rings: u64) -> Summary {
        let space = IdSpace::new(64);
        let means: Vec<f64> = (0..rings)
            .map(|r| ring_mean(&Ring::new(space, &random_ids(space, n, &mut stream(7, r, Lane::Placement)))))
            .collect();
        Summary::of(&means)
    }

    #[test]
    fn tiny_rings_by_hand() {
        // One or two nodes: the initiator owns the key or precedes it, every path is 0 hops.
        assert_eq!(expected_path_length(1), 0.0);
        assert_eq!(expected_path_length(2), 0.0);
        assert_eq!(ring_means(2, 10).mean, 0.0);
        // Three nodes a, b, c: only a lookup from a for a key in (b, c] leaves its initiator (one hop, to b).
        // Over the three initiators the arcs sum to the circle: 1/3 on every ring.
        let three = ring_means(3, 20);
        assert!((three.mean - 1.0 / 3.0).abs() < 1e-12 && three.sd < 1e-12, "{three:?}");
        // The de-Poissonised mean is off by O(N^-2) there (0.018 hops at N = 3), hence only shown below N = 16.
        assert!((expected_path_length(3) - 1.0 / 3.0).abs() < 0.02, "{}", expected_path_length(3));
        // Poissonised with mean λ → 0: two other nodes (probability e^-λ·λ²/2, mean 1/3) or more (O(λ³)).
        let lambda: f64 = 0.01;
        let two = (-lambda).exp() * lambda * lambda / 6.0;
        let e = poissonized(lambda, grid_level(lambda));
        assert!(e > two && e < two + lambda.powi(3) / 6.0, "{e} vs {two}");
    }

    #[test]
    fn the_expectation_matches_every_route_of_random_rings() {
        // Exact means of random rings, routed by the ring's own next-hop rule, against the computed
        // expectation: within the 95% interval over rings (half-widths 0.003 and 0.002 hops).
        for (n, rings) in [(16, 4000), (64, 600)] {
            let s = ring_means(n, rings);
            let e = expected_path_length(n);
            assert!((s.mean - e).abs() <= s.half_width(), "N = {n}: {s:?} vs {e}");
        }
    }

    #[test]
    fn large_rings_shift_by_half_a_hop_per_doubling() {
        // Past the largest grid the value is carried by halvings: it keeps the slope ½ per doubling of N, and
        // the grid's own doubling below the cut differs from ½ by less than the bound the halvings claim.
        let at = |n: u32| expected_path_length(n);
        assert!((at(1 << 23) - at(1 << 22) - 0.5).abs() < 1e-6);
        let lambda = LARGEST_GRID / 2.0;
        let doubling = poissonized(2.0 * lambda, grid_level(2.0 * lambda)) - poissonized(lambda, grid_level(lambda));
        assert!((doubling - 0.5).abs() < 1.5e-5, "{doubling}");
    }

    #[test]
    fn richardson_extrapolation_has_converged() {
        // Halving the grid step changes Ẽ by less than 10^-5 hops.
        for lambda in [15.0, 255.0, 4095.0] {
            let k = grid_level(lambda);
            let (coarse, fine) = (poissonized(lambda, k), poissonized(lambda, k + 1));
            assert!((coarse - fine).abs() < 1e-5, "λ = {lambda}: {coarse} vs {fine}");
        }
    }
}
