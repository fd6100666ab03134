//! The analytic side of the epidemic models as pure functions, so that reports can draw the curves
//! without running a simulation.
//!
//! Anti-entropy (single source, complete graph, synchronous rounds): `p_i` is the probability that a node
//! is still ignorant after round `i`, starting from `p_0 = 1 - 1/N`. A node stays ignorant in round i+1
//! if its own exchange does not inform it (pull: it contacted an ignorant node, probability `p_i`) and,
//! with push, no informed node contacts it (each of the `(N-1)(1-p_i)` informed nodes picks it with
//! probability `1/(N-1)`). Hence:
//!
//! * push: `p_{i+1} = p_i (1 - 1/(N-1))^{(N-1)(1-p_i)}`
//! * pull: `p_{i+1} = p_i²`
//! * push-pull: `p_{i+1} = p_i² (1 - 1/(N-1))^{(N-1)(1-p_i)}` — the product of the two events above; the
//!   simulation follows this form.
//! * the lecture prints `p_{i+1} = p_i² · (p_i e^{-1})` for push-pull ([`Recursion::PushPullLecture`]); it has one
//!   factor `p_i` too many (the pull event is counted twice), so it falls faster than the simulation.
//!
//! These are mean-field recursions: they follow the mean of the ignorant fraction closely but ignore its
//! fluctuations.

use serde::{Deserialize, Serialize};

use super::Mode;

mod rounds_chain;
pub use rounds_chain::{ExactRounds, exact_expected_rounds};

/// Which recursion for the ignorant fraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Recursion {
    Push,
    Pull,
    PushPull,
    /// The lecture's printed push-pull form `p_i² · (p_i e^{-1})`.
    PushPullLecture,
}

impl From<Mode> for Recursion {
    fn from(mode: Mode) -> Self {
        match mode {
            Mode::Push => Recursion::Push,
            Mode::Pull => Recursion::Pull,
            Mode::PushPull => Recursion::PushPull,
        }
    }
}

impl Recursion {
    /// One step `p_i → p_{i+1}` for `n` nodes.
    pub fn step(self, p: f64, n: f64) -> f64 {
        let missed_by_pushes = || ((n - 1.0) * (1.0 - p) * (-1.0 / (n - 1.0)).ln_1p()).exp();
        match self {
            Recursion::Push => p * missed_by_pushes(),
            Recursion::Pull => p * p,
            Recursion::PushPull => p * p * missed_by_pushes(),
            Recursion::PushPullLecture => p * p * p * (-1.0f64).exp(),
        }
    }

    /// `p_0 = 1 - 1/N, p_1, …`, until fewer than 0.01 nodes are expected to be ignorant (`N·p_i < 0.01`) or
    /// `max_rounds` steps have been taken.
    pub fn series(self, n: u32, max_rounds: u32) -> Vec<f64> {
        let n = f64::from(n);
        let mut p = 1.0 - 1.0 / n;
        let mut out = vec![p];
        while n * p >= 0.01 && out.len() <= max_rounds as usize {
            p = self.step(p, n);
            out.push(p);
        }
        out
    }

    /// Expected rounds until every node is informed, `Σ_{i≥0} (1 - (1 - p_i)^N)`, treating nodes as
    /// independent given `p_i` (the number of ignorant nodes is then about Poisson with mean `N p_i`).
    pub fn expected_rounds(self, n: u32) -> f64 {
        let nf = f64::from(n);
        let mut p = 1.0 - 1.0 / nf;
        let mut sum = 0.0;
        for _ in 0..100_000 {
            // P(some node still ignorant after this round).
            let not_done = -(nf * (-p).ln_1p()).exp_m1();
            if not_done < 1e-12 {
                break;
            }
            sum += not_done;
            p = self.step(p, nf);
        }
        sum
    }
}

/// Rounds push needs to inform everyone: `log2 N + ln N` (Frieze–Grimmett, Pittel 1987; up to O(1)).
pub fn push_rounds_estimate(n: u32) -> f64 {
    let n = f64::from(n);
    n.log2() + n.ln()
}

/// Rounds push-pull needs: `log3 N` (Karp et al. 2000; up to O(log log N)).
pub fn push_pull_rounds_estimate(n: u32) -> f64 {
    f64::from(n).ln() / 3f64.ln()
}

/// The residual susceptible fraction `s` of rumor spreading with loss-of-interest probability `p_stop`
/// (feedback, coin): the root in (0, 1) of `s = e^{-(1/p_stop + 1)(1 - s)}` (the other root is s = 1).
///
/// Solved by Newton's method on `h(u) = u + a(1 - e^u)` with `u = ln s`, `a = 1/p_stop + 1`: `h` is concave
/// and increasing left of the root (there `s < 1/a`), so Newton from `u = -a` climbs monotonically to it.
pub fn solve_residual(p_stop: f64) -> f64 {
    if p_stop <= 0.0 {
        return 0.0;
    }
    let a = 1.0 / p_stop + 1.0;
    let mut u = -a;
    for _ in 0..100 {
        let e = u.exp();
        let step = (u + a * (1.0 - e)) / (1.0 - a * e);
        u -= step;
        if step.abs() <= 1e-15 * u.abs() {
            break;
        }
    }
    u.exp()
}

/// The fraction of active infectives as a function of the susceptible fraction during rumor spreading:
/// `i(s) = (1 + p_stop)(1 - s) + p_stop ln s`.
pub fn infective_of_susceptible(s: f64, p_stop: f64) -> f64 {
    (1.0 + p_stop) * (1.0 - s) + p_stop * s.ln()
}

/// Residue of push rumor mongering as a function of the traffic `m` (messages per node): `s = e^{-m}`
/// (Demers et al. 1987).
pub fn push_residual_of_traffic(m: f64) -> f64 {
    (-m).exp()
}

/// Expected factor by which push-pull averaging shrinks the variance per cycle with uniform random peers:
/// `1/(2√e) ≈ 0.303` (Jelasity, Montresor, Babaoglu 2005).
pub fn averaging_factor() -> f64 {
    0.5 * (-0.5f64).exp()
}

/// Coefficient `c` of the finite-size term of [`averaging_factor_at`]: `f(N) = 1/(2√e) − c/N + O(1/N²)`.
///
/// From the exact second-moment recursion (see the test `averaging_factor_at_matches_the_exact_recursion`):
/// `N (f(N) − 1/(2√e))` is −0.5930 at N = 10, −0.5637 at 40, −0.5589 at 80, −0.5566 at 160, −0.5554 at
/// 320, tending to −0.554 (each doubling of N halves the step).
pub const AVERAGING_FINITE_SIZE: f64 = 0.554;

/// The expected factor `f(N)` by which one cycle of push-pull averaging shrinks the variance on the complete
/// graph of `n` nodes when the initiators go in an order drawn afresh every cycle: `1/(2√e) − 0.554/N`.
///
/// With the order random, a cycle's map commutes with relabelling the nodes, so `E[S' | x] = f(N)·S`
/// exactly for *any* values `x` (S the sum of squared deviations from the mean): every cycle's factor
/// `S'/S` has expectation `f(N)`, whatever the start. `f(N)` is therefore the first cycle's factor from
/// independent values, which the second moments of the values give exactly (an `O(N³)` recursion, too
/// slow at N = 10⁴); its `1/N` term is [`AVERAGING_FINITE_SIZE`].
pub fn averaging_factor_at(n: u32) -> f64 {
    averaging_factor() - AVERAGING_FINITE_SIZE / f64::from(n)
}

/// The same factor per period when nodes take the initiative at exponential intervals (mean one period):
/// a node then starts Poisson(1) exchanges and is contacted in Poisson(1) more, so by the same argument
/// `E[2^{-(I + R)}] = e^{-1/2} e^{-1/2} = 1/e ≈ 0.368`.
pub fn averaging_factor_poisson() -> f64 {
    (-1f64).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residual_reproduces_the_lecture_table() {
        // The lecture's table (Cárcamo 2023, ch. 4; REFERENCES.md), N = 10,000: 1/p_stop → s, rounded to 6 digits.
        let table = [
            (1.0, 0.203188),
            (2.0, 0.059520),
            (3.0, 0.019827),
            (4.0, 0.006977),
            (5.0, 0.002516),
            (6.0, 0.000918),
            (7.0, 0.000336),
        ];
        for (k, s) in table {
            let got = solve_residual(1.0 / k);
            assert!((got - s).abs() < 5e-7, "k = {k}: {got} vs {s}");
            // It is a root, and not the trivial one.
            let a = k + 1.0;
            assert!((got - (-a * (1.0 - got)).exp()).abs() < 1e-15);
            assert!(infective_of_susceptible(got, 1.0 / k).abs() < 1e-12);
        }
        assert_eq!(solve_residual(0.0), 0.0);
        // Large k: s ≈ e^{-(k+1)}.
        let s = solve_residual(1.0 / 30.0);
        assert!((s / (-31.0f64).exp() - 1.0).abs() < 1e-10);
    }

    #[test]
    fn recursions_start_at_one_source_and_order_as_expected() {
        let n = 10_000;
        for r in [Recursion::Push, Recursion::Pull, Recursion::PushPull, Recursion::PushPullLecture] {
            let s = r.series(n, 1000);
            assert_eq!(s[0], 1.0 - 1e-4);
            assert!(s.windows(2).all(|w| w[1] < w[0]), "{r:?} decreases");
            assert!(f64::from(n) * s.last().unwrap() < 0.01);
        }
        // Push: one source informs about one node in round 1 (mean-field: N(1 - p_1) ≈ 2).
        let p1 = Recursion::Push.series(n, 1)[1];
        assert!((f64::from(n) * (1.0 - p1) - 2.0).abs() < 1e-3);
        // Push-pull is fastest; pull squares.
        let pp = Recursion::PushPull.series(n, 1000).len();
        assert!(pp < Recursion::Push.series(n, 1000).len());
        assert!(pp < Recursion::Pull.series(n, 1000).len());
        assert_eq!(Recursion::Pull.step(0.5, 100.0), 0.25);
        // The lecture's form is the small-p limit of the combined one times an extra factor p_i:
        // p³/e = p · p² e^{-(1-p)} · e^{-p}.
        let p = 0.3;
        let ratio = Recursion::PushPullLecture.step(p, 1e9) / Recursion::PushPull.step(p, 1e9);
        assert!((ratio - p * (-p).exp()).abs() < 1e-6, "{ratio}");
    }

    #[test]
    fn expected_rounds_sit_near_the_classic_estimates() {
        let n = 1_000_000;
        let push = Recursion::Push.expected_rounds(n);
        let pp = Recursion::PushPull.expected_rounds(n);
        // Both estimates hold up to lower-order terms; the recursion is within a few rounds of them.
        assert!((push - push_rounds_estimate(n)).abs() < 3.0, "{push}");
        assert!((pp - push_pull_rounds_estimate(n)).abs() < 4.0, "{pp}");
    }

    #[test]
    fn averaging_factor_value() {
        assert!((averaging_factor() - 0.303_265_33).abs() < 1e-8);
    }

    /// `E[S₁]/E[S₀]` for one cycle of push-pull averaging from independent unit-variance values, exactly:
    /// the expected covariance matrix `C` of the values through the cycle's exchanges (initiators in index
    /// order — from independent values the order does not change the expectation), each exchange of the
    /// initiator `t` with a uniform other node `j` averaged over `j`.
    fn exact_averaging_factor(n: usize) -> f64 {
        let w = 1.0 / (n - 1) as f64;
        let mut c = vec![vec![0.0; n]; n];
        (0..n).for_each(|i| c[i][i] = 1.0);
        for t in 0..n {
            // After the exchange with j, x_t and x_j both hold (x_t + x_j)/2: q_j is its variance.
            let q: Vec<f64> = (0..n).map(|j| (c[t][t] + 2.0 * c[t][j] + c[j][j]) / 4.0).collect();
            let mut next = c.clone();
            for k in (0..n).filter(|&k| k != t) {
                for l in (0..n).filter(|&l| l != t) {
                    next[k][l] = if k == l {
                        c[k][k] + w * (q[k] - c[k][k])
                    } else {
                        // Changed only if j = k or j = l.
                        c[k][l] + w * ((c[t][l] - c[k][l]) + (c[k][t] - c[k][l])) / 2.0
                    };
                }
                let others: f64 = (0..n).filter(|&j| j != t && j != k).map(|j| (c[t][k] + c[j][k]) / 2.0).sum();
                next[t][k] = w * (others + q[k]);
                next[k][t] = next[t][k];
            }
            next[t][t] = w * (0..n).filter(|&j| j != t).map(|j| q[j]).sum::<f64>();
            c = next;
        }
        let trace: f64 = (0..n).map(|i| c[i][i]).sum();
        let total: f64 = c.iter().flatten().sum();
        (trace - total / n as f64) / (n - 1) as f64
    }

    /// The same by enumerating every choice of peers: `x₁ = A x₀` with `A` doubly stochastic, so
    /// `E[S₁] = E‖A‖²_F − 1` from independent unit-variance values.
    fn enumerated_averaging_factor(n: usize) -> f64 {
        let choices = (n - 1).pow(n as u32);
        let mut sum = 0.0;
        for mut code in 0..choices {
            let mut a: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|k| f64::from(u8::from(i == k))).collect()).collect();
            for t in 0..n {
                let pick = code % (n - 1);
                code /= n - 1;
                let j = if pick < t { pick } else { pick + 1 };
                let mean: Vec<f64> = (0..n).map(|k| (a[t][k] + a[j][k]) / 2.0).collect();
                a[t].clone_from(&mean);
                a[j] = mean;
            }
            sum += a.iter().flatten().map(|v| v * v).sum::<f64>() - 1.0;
        }
        sum / choices as f64 / (n - 1) as f64
    }

    #[test]
    fn averaging_factor_at_matches_the_exact_recursion() {
        for n in 3..=6 {
            assert!((exact_averaging_factor(n) - enumerated_averaging_factor(n)).abs() < 1e-12, "{n}");
        }
        for (n, c) in [(10, -0.5930), (40, -0.5637), (80, -0.5589)] {
            let exact = exact_averaging_factor(n);
            assert!(((exact - averaging_factor()) * n as f64 - c).abs() < 1e-4, "{n}: {exact}");
            // The 1/N term leaves O(1/N²): within 0.04/N from N = 10 on.
            assert!((exact - averaging_factor_at(n as u32)).abs() < 0.04 / n as f64, "{n}");
        }
    }
}
