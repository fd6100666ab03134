//! Aggregation by gossip: push-pull averaging and size estimation.
//!
//! Every node i holds a value x_i. In each cycle every node, in an order drawn afresh every cycle (as
//! PeerSim's shuffle control does), picks a random peer j and both set `x_i, x_j ← (x_i + x_j)/2`; exchanges
//! within a cycle are sequential (each sees the values the previous ones left), as in Jelasity, Montresor
//! and Babaoglu (2005). The sum is conserved, so every value converges
//! to the average. Starting from one node at 1 and the rest at 0 (`initial = "peak"`) the average is 1/N and
//! every node estimates the network size as 1/x_i.
//!
//! With uniform random peers the variance shrinks per cycle by about `1/(2√e) ≈ 0.303` in expectation: a node
//! takes part in 1 + Poisson(1) exchanges per cycle, and treating the values it meets as independent,
//! `E[σ²_{i+1}] ≈ E[2^{-(1 + Poisson(1))}] σ²_i = σ²_i / (2√e)`. Because the order is random, a cycle's
//! expected factor is the same from any values, `f(N) = 1/(2√e) − 0.554/N`
//! ([`averaging_factor_at`], exact up to O(1/N²)). So the metric
//! `reduction_factor` is the arithmetic mean of the per-cycle factors, whose expectation is `f(N)` from
//! a uniform and from a peak start alike, and the check has no slack. (Their geometric mean would sit
//! below by Jensen's inequality, the more so the more the factors vary, as from a peak; with the order
//! fixed the factor depends on the start and on where the peak sits.) Measured at N = 10^4 over 200 runs,
//! 30 cycles: 0.30328 ± 0.00012 from uniform values, 0.30372 ± 0.00076 from a peak; at N = 100,
//! 0.2986 ± 0.0013 and 0.2981 ± 0.0013 against f(100) = 0.2977.
//!
//! The exchange as messages: P sends x_P; Q sets x_Q to the mean m of the two and replies m; P adds
//! `m - x_P(sent)` to its value. In synchronous rounds nothing happens in between, so both end at exactly m
//! (the atomic exchange above). Event-driven, P may have taken part in other exchanges while the reply was
//! on its way; adding the change rather than setting m keeps what those brought, so every exchange still
//! moves value from one node to the other and the sum is conserved exactly (up to rounding), counting
//! what the replies still on their way at the end would move (`mean` includes it). With exchanges much
//! shorter than a period the variance shrinks per period by `1/(2√e)` with periodic timers (one initiative
//! per node and period, as in rounds), and by `1/e` with exponential timers (Poisson(1) initiatives and
//! Poisson(1) contacts per period: `E[2^{-(I + R)}] = 1/e`); both are references there, since exchanges
//! that overlap mix less (latency 1..10 with period 10 gives about 0.68). Loss applies in both timings: a
//! lost reply leaves its exchange half done, so with loss the sum is not conserved and every formula is a
//! reference.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::NodeId;
use sim_core::network::Network;
use sim_core::rng::{Lane, stream, unit};
use sim_core::topology::Topology;
use sim_core::trace::Sink;

use super::analysis::{averaging_factor_at, averaging_factor_poisson};
use crate::gossip::{Gossip, GossipModel, GossipParams, Harness, Incoming, Net, Order, Timing};
use crate::model::{Env, Size};
use crate::{Check, MAX_ROUNDS, MetricDoc, ModelError, NodeRef, Outcome, check_range, join};

/// The values nodes start with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Initial {
    /// `peak_node` holds 1, every other node 0: size estimation.
    #[default]
    Peak,
    /// Independent uniform values in [0, 1).
    Uniform,
}

/// Parameters of a gossip-averaging run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AggregationParams {
    #[serde(default)]
    pub initial: Initial,
    /// The node holding 1 when `initial` is `peak`: its index, or its id in the topology file.
    #[serde(default)]
    pub peak_node: NodeRef,
    /// Number of cycles (event-driven: periods).
    #[serde(default = "default_cycles")]
    #[schemars(range(min = 1, max = MAX_ROUNDS))]
    pub cycles: u32,
    #[serde(default)]
    pub timing: Timing,
}

fn default_cycles() -> u32 {
    30
}

impl Default for AggregationParams {
    fn default() -> Self {
        AggregationParams {
            initial: Initial::Peak,
            peak_node: NodeRef::default(),
            cycles: default_cycles(),
            timing: Timing::Rounds,
        }
    }
}

impl GossipParams for AggregationParams {
    /// Checks parameters against the topology; `prefix` is the scenario path of these parameters. Returns
    /// them with the peak node resolved to an index.
    fn validate(&self, prefix: &str, topology: &Topology) -> Result<Self, ModelError> {
        let peak_node = self.peak_node.resolve(join(prefix, "peak_node"), topology)?;
        self.timing.validate(&join(prefix, "timing"))?;
        check_range(join(prefix, "cycles"), self.cycles.into(), 1, MAX_ROUNDS.into())?;
        crate::gossip::check_turns(join(prefix, "cycles"), self.cycles, topology.node_count(), 1)?;
        super::check_connected(topology, "averaging")?;
        Ok(AggregationParams { peak_node, ..self.clone() })
    }
}

/// Population variance and mean.
fn variance(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n, mean)
}

/// Variance ratios below this fraction of the start are rounding noise, not averaging.
const VARIANCE_FLOOR: f64 = 1e-24;

/// Push-pull averaging as a gossip protocol.
struct Averaging {
    x: Vec<f64>,
    /// What the replies on their way will still add to their receivers (0 in rounds between exchanges).
    in_transit: f64,
    /// Variance after every cycle.
    var: Vec<f64>,
}

/// The averaging exchange between the initiator P and its peer Q.
#[derive(Clone, Copy)]
enum Msg {
    /// P's value.
    Push(f64),
    /// The average Q computed from `sent`, P's value as P sent it.
    Reply { mean: f64, sent: f64 },
}

impl Gossip for Averaging {
    type Msg = Msg;
    type Timer = ();

    fn start(&mut self, _net: &mut impl Net<Msg, ()>) {}

    #[inline(always)]
    fn turn(&mut self, net: &mut impl Net<Msg, ()>, p: NodeId) {
        if let Some(q) = net.peer(p) {
            net.send(p, q, Msg::Push(self.x[p as usize]));
        }
    }

    /// Q takes the average and sends it back; P takes it too, keeping what it received from other exchanges
    /// meanwhile (event-driven), so that every exchange moves value from one node to the other and the sum
    /// is conserved.
    #[inline(always)]
    fn receive(&mut self, net: &mut impl Net<Msg, ()>, msg: Msg, at: Incoming) {
        let x = &mut self.x[at.to as usize];
        match msg {
            Msg::Push(sent) => {
                let mean = (sent + *x) / 2.0;
                *x = mean;
                if net.reply(at, Msg::Reply { mean, sent }) {
                    self.in_transit += mean - sent;
                }
            }
            Msg::Reply { mean, sent } => {
                // In rounds nothing intervenes: x - sent = 0, and x becomes exactly the mean.
                *x = mean + (*x - sent);
                self.in_transit -= mean - sent;
            }
        }
    }

    fn sample(&mut self) {
        self.var.push(variance(&self.x).0);
    }

    fn describe(msg: &Msg) -> &'static str {
        match msg {
            Msg::Push(_) => "push",
            Msg::Reply { .. } => "reply",
        }
    }
}

/// Runs averaging: run `run` of `seed` on `topology` under `network` (latency applies event-driven, loss
/// in both timings).
pub fn run(params: &AggregationParams, topology: &Topology, network: Network, seed: u64, run: u64) -> Outcome {
    Aggregation.run_with(params, &Env::new(topology.clone(), network), seed, run, None)
}

/// Gossip aggregation as a [`GossipModel`], hence a [`Model`](crate::Model): `model.kind = "aggregation"`.
pub struct Aggregation;

impl GossipModel for Aggregation {
    const KIND: &'static str = "aggregation";
    const ABOUT: &'static str = "Push-pull gossip averaging and size estimation.";
    const METRICS: &'static [MetricDoc] = METRICS;
    type Params = AggregationParams;

    fn run_with(&self, params: &Self::Params, env: &Env, seed: u64, run: u64, sink: Option<&mut dyn Sink>) -> Outcome {
        let (topology, network) = (&*env.topology, env.network);
        let n = topology.node_count();
        let nf = f64::from(n);
        let mut x = vec![0.0; n as usize];
        match params.initial {
            Initial::Peak => x[params.peak_node.index() as usize] = 1.0,
            Initial::Uniform => {
                let mut place = stream(seed, run, Lane::Placement);
                x.iter_mut().for_each(|v| *v = unit(&mut place));
            }
        }
        let mean0 = variance(&x).1;
        let mut avg = Averaging { x, in_transit: 0.0, var: Vec::new() };
        Harness::new(topology, network, params.timing, params.cycles)
            .order(Order::Shuffled)
            .run_with(&mut avg, seed, run, sink);
        let Averaging { x, in_transit, var } = avg;
        let var0 = var[0];
        let factors: Vec<f64> = var.windows(2).map(|w| w[1] / w[0]).collect();
        // Mean of the per-cycle factors while the variance is above rounding noise.
        let useful = var.iter().skip(1).take_while(|&&v| v > VARIANCE_FLOOR * var0).count();
        let factor = if useful > 0 { factors[..useful].iter().sum::<f64>() / useful as f64 } else { f64::NAN };
        let (var_end, mean_held) = variance(&x);
        // Exchanges cut off by the end of an event-driven run complete in thought: their replies still move
        // value. (Exactly 0 in rounds, and x + 0 = x.)
        let mean_end = mean_held + in_transit / nf;

        let mut out = Outcome::default();
        out.metric("variance_final", var_end).metric("reduction_factor", factor).metric("mean", mean_end);
        // One initiative per node and cycle (rounds, periodic timers), or Poisson(1) of them per period.
        let (rho, per) = match params.timing {
            Timing::Poisson { .. } => (averaging_factor_poisson(), "1/e per period (exponential timers)"),
            _ => (averaging_factor_at(n), "1/(2√e) − 0.554/N per cycle"),
        };
        out.series("variance", var)
            .series("reduction_factor", factors)
            .series("variance_predicted", (0..=params.cycles).map(|i| var0 * rho.powi(i as i32)).collect());
        // Without loss every exchange moves value from one node to another; a lost reply breaks that.
        let conserved = network.loss == 0.0;
        out.analytic(
            "mean",
            "mean",
            "mean of the initial values (the sum is conserved)",
            mean0,
            if conserved { Check::WithinCi { rel_slack: 1e-9 } } else { Check::Reference },
        );
        // Checked in lossless rounds; event-driven, exchanges that overlap (latency not much shorter than the
        // period) mix less, so the formula is a reference there.
        let checked = params.timing == Timing::Rounds && conserved;
        let complete = matches!(topology, Topology::Complete { .. });
        if complete {
            let check = if checked { Check::WithinCi { rel_slack: 0.0 } } else { Check::Reference };
            out.analytic("reduction_factor", "reduction_factor", per, rho, check);
        }
        if params.initial == Initial::Peak {
            let reached: Vec<f64> = x.iter().filter(|&&v| v > 0.0).map(|v| 1.0 / v).collect();
            let estimate = reached.iter().sum::<f64>() / reached.len() as f64;
            out.metric("size_estimate", estimate)
                .metric("size_estimate_min", reached.iter().copied().fold(f64::INFINITY, f64::min))
                .metric("size_estimate_max", reached.iter().copied().fold(0.0, f64::max))
                .metric("unreached", nf - reached.len() as f64);
            if complete {
                // Mean of 1/x_i over nodes: the first-order deviations cancel (Σ(x_i - 1/N) = 0), leaving a bias
                // of about the squared coefficient of variation N²σ²_C ≈ N ρ^C (σ²_0 ≈ 1/N).
                let cv2 = nf * rho.powi(params.cycles as i32);
                out.analytic(
                    "size_estimate",
                    "size_estimate",
                    "N (each node estimates 1/x_i)",
                    nf,
                    if checked { Check::WithinCi { rel_slack: 5.0 * cv2 + 1e-9 } } else { Check::Reference },
                );
            }
        }
        out
    }

    /// One f64 estimate per node; event-driven also the event queue, links, and about one 24-byte
    /// message in flight per node (every exchange's reply carries a value back).
    fn estimated_bytes(&self, params: &AggregationParams, size: &Size) -> u64 {
        let in_flight = if params.timing == Timing::Rounds { 0 } else { size.nodes.saturating_mul(24) };
        size.nodes
            .saturating_mul(16)
            .saturating_add(in_flight)
            .saturating_add(params.timing.estimated_bytes(size.nodes, size.edges))
    }
}

/// What an aggregation run reports (`dissem metrics aggregation`); the `size_estimate` entries only for
/// `initial = "peak"`.
pub const METRICS: &[MetricDoc] = &[
    MetricDoc::metric(
        "variance_final",
        "value²",
        "Variance of the node values at the end.",
        "Σ (x_i − x̄)² / N after the last cycle",
    ),
    MetricDoc::metric(
        "reduction_factor",
        "ratio per cycle",
        "How much one cycle shrinks the variance (the lecture's 1/(2√e) ≈ 0.303).",
        "(σ²_c / σ²_0)^(1/c), c = cycles while σ² is above rounding noise",
    ),
    MetricDoc::metric(
        "mean",
        "value",
        "Mean of the node values at the end, exchanges cut off by the end counted in.",
        "(Σ x_i + value in transit) / N",
    ),
    MetricDoc::series(
        "variance",
        "value²",
        "Variance of the node values, before cycle 1 and after every cycle.",
        "Σ (x_i − x̄)² / N",
    ),
    MetricDoc::series("reduction_factor", "ratio", "Each cycle's variance reduction.", "σ²_{c+1} / σ²_c"),
    MetricDoc::series(
        "variance_predicted",
        "value²",
        "The variance the formula predicts per cycle from the run's initial variance.",
        "σ²_0 · ρ^c, ρ = 1/(2√e) per cycle (1/e per period with exponential timers)",
    ),
    MetricDoc::metric(
        "size_estimate",
        "nodes",
        "Mean of the nodes' estimates of N (one node started with 1, the others 0).",
        "mean over nodes with x_i > 0 of 1/x_i",
    ),
    MetricDoc::metric("size_estimate_min", "nodes", "Smallest estimate of N.", "min over nodes with x_i > 0 of 1/x_i"),
    MetricDoc::metric("size_estimate_max", "nodes", "Largest estimate of N.", "max over nodes with x_i > 0 of 1/x_i"),
    MetricDoc::metric("unreached", "nodes", "Nodes still at 0, with no estimate.", "count of x_i = 0"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::network::Latency;
    use sim_core::stats::Summary;
    use sim_core::topology::generators::ring;

    fn check(outs: &[Outcome], name: &str) -> (f64, f64, f64) {
        let a = outs[0].analytic.iter().find(|a| a.name == name).unwrap();
        let Check::WithinCi { rel_slack } = a.check else { panic!() };
        let s = Summary::of(&outs.iter().map(|o| o.get(&a.metric).unwrap()).collect::<Vec<_>>());
        assert!((s.mean - a.value).abs() <= s.half_width() + rel_slack * a.value.abs(), "{name}: {s:?} vs {}", a.value);
        (s.mean, s.half_width(), a.value)
    }

    /// Variance factor per cycle against 1/(2√e) − 0.554/N through the outcome's own check, which has no
    /// slack (N = 1000, 20 runs per start), and far from 1/e, the factor of averaging N random pairs per
    /// cycle instead.
    #[test]
    fn variance_shrinks_by_about_one_over_two_root_e() {
        let t = Topology::complete(1000).unwrap();
        for initial in [Initial::Peak, Initial::Uniform] {
            let p = AggregationParams { initial, ..AggregationParams::default() };
            let outs: Vec<Outcome> = (0..20).map(|r| run(&p, &t, Network::default(), 5, r)).collect();
            let (mean, half, _) = check(&outs, "reduction_factor");
            assert!(mean + half < 0.9 * (-1.0f64).exp(), "{mean}");
            check(&outs, "mean");
        }
    }

    #[test]
    fn peak_start_estimates_the_size() {
        let t = Topology::complete(2000).unwrap();
        let outs: Vec<Outcome> =
            (0..5).map(|r| run(&AggregationParams::default(), &t, Network::default(), 6, r)).collect();
        let (mean, ..) = check(&outs, "size_estimate");
        assert!((mean - 2000.0).abs() < 1e-3);
        assert!(outs.iter().all(|o| o.get("unreached") == Some(0.0)));
        // Few cycles: the estimates are still spread out, and some nodes may still hold 0.
        let few = run(&AggregationParams { cycles: 3, ..AggregationParams::default() }, &t, Network::default(), 6, 0);
        assert!(few.get("size_estimate_max").unwrap() > 2.0 * few.get("size_estimate_min").unwrap());
    }

    #[test]
    fn averaging_on_a_ring_converges_slowly_but_conserves_the_mean() {
        let t = Topology::from(ring(100).unwrap());
        let p = AggregationParams { initial: Initial::Uniform, ..AggregationParams::default() };
        let out = run(&p, &t, Network::default(), 1, 0);
        assert!(out.get("reduction_factor").unwrap() > 0.5, "a ring mixes slowly");
        assert!(out.analytic.iter().all(|a| a.name == "mean"), "the 1/(2√e) factor is for random peers");
        let a = &out.analytic[0];
        assert!((out.get("mean").unwrap() - a.value).abs() < 1e-12);
    }

    fn uniform(timing: Timing, cycles: u32) -> AggregationParams {
        AggregationParams { initial: Initial::Uniform, timing, cycles, ..AggregationParams::default() }
    }

    /// Event-driven, every exchange moves value from one node to the other, so the sum — counting what the
    /// replies still on their way at the end will move — is conserved in every run, up to rounding (1e-12
    /// relative), however much exchanges overlap: periodic and exponential timers, latency up to the
    /// period, on the complete graph and on a ring. The mean of the values held alone is not.
    #[test]
    fn event_driven_averaging_conserves_the_sum_in_every_run() {
        let ring = Topology::from(ring(200).unwrap());
        let net = Network { latency: Latency::Uniform { min: 1, max: 10 }, loss: 0.0 };
        for t in [Topology::complete(500).unwrap(), ring] {
            for timing in [Timing::Periodic { period: 10, jitter: 0.2 }, Timing::Poisson { period: 10 }] {
                for r in 0..5 {
                    let out = run(&uniform(timing, 15), &t, net, 7, r);
                    let (mean, mean0) = (out.get("mean").unwrap(), out.analytic[0].value);
                    assert!((mean - mean0).abs() <= 1e-12 * mean0, "{timing:?}: {mean} vs {mean0}");
                    assert_eq!(out.analytic[0].check, Check::WithinCi { rel_slack: 1e-9 });
                }
            }
        }
    }

    /// With exchanges much shorter than a period (latency 1, period 100) the variance shrinks per period by
    /// the round model's factor: 1/(2√e) with periodic timers (one initiative per node and period), 1/e
    /// with exponential ones (Poisson(1) initiatives and contacts); N = 1000, 20 runs. Event-driven these
    /// are references, not exact: exchanges take time and a period holds 0, 1 or 2 initiatives of a node
    /// under jitter, which the round argument leaves out; they agree within 2% beyond the CI here (periodic:
    /// 0.2989 ± 0.0020 against f(1000) = 0.3027). Exchanges that overlap mix less: with latency up to the
    /// period, the factor is far above both.
    #[test]
    fn event_driven_variance_factor_follows_the_timing() {
        let t = Topology::complete(1000).unwrap();
        let factor = |timing: Timing, latency: Latency| -> Summary {
            let net = Network { latency, loss: 0.0 };
            let xs: Vec<f64> =
                (0..20).map(|r| run(&uniform(timing, 20), &t, net, 8, r).get("reduction_factor").unwrap()).collect();
            Summary::of(&xs)
        };
        let periodic = Timing::Periodic { period: 100, jitter: 0.1 };
        for (timing, rho) in
            [(periodic, averaging_factor_at(1000)), (Timing::Poisson { period: 100 }, averaging_factor_poisson())]
        {
            let s = factor(timing, Latency::Constant(1));
            assert!((s.mean - rho).abs() <= s.half_width() + 0.02 * rho, "{timing:?}: {s:?} vs {rho}");
        }
        let overlapping = factor(Timing::Periodic { period: 10, jitter: 0.1 }, Latency::Uniform { min: 1, max: 10 });
        assert!(overlapping.mean - overlapping.half_width() > 1.5 * averaging_factor_poisson(), "{overlapping:?}");
    }

    /// Loss applies to averaging too: a lost reply leaves its exchange half done, so the sum is no longer
    /// conserved and the formulas become references.
    #[test]
    fn loss_breaks_conservation() {
        let t = Topology::complete(300).unwrap();
        let out = run(&uniform(Timing::Rounds, 10), &t, Network { loss: 0.2, ..Network::default() }, 9, 0);
        assert!((out.get("mean").unwrap() - out.analytic[0].value).abs() > 1e-6);
        assert!(out.analytic.iter().all(|a| a.check == Check::Reference));
    }

    #[test]
    fn validation() {
        let t = Topology::complete(10).unwrap();
        let bad = AggregationParams { cycles: 0, ..AggregationParams::default() };
        assert_eq!(bad.validate("", &t).unwrap_err().field, "cycles");
        let bad =
            AggregationParams { timing: Timing::Periodic { period: 10, jitter: 2.0 }, ..AggregationParams::default() };
        assert_eq!(bad.validate("", &t).unwrap_err().field, "timing.jitter");
        assert!(AggregationParams::default().validate("", &t).is_ok());
    }
}
