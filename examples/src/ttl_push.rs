//! Fanout push with a TTL, written outside dissem as a [`Model`] on the public gossip harness: a node that
//! first hears the rumor pushes it to `fanout` peers in each of its next `ttl` turns, then falls silent
//! (`ttl = 1` is infect-and-die, the forwarding rule of Bimodal Multicast's and lpbcast's gossip rounds).
//!
//! What it shows beside [`crate::push_sum`]:
//!
//! * **Nodes that act only for a while** ([`Turns::Awake`]): a node is woken ([`Net::wake`]) when it first
//!   hears the rumor and put to sleep ([`Net::sleep`]) after its `ttl` turns; the run ends
//!   ([`Gossip::done`]) when no node is awake and no message is in flight.
//! * **One rule, any timing**: the same [`Gossip`] impl runs in synchronous rounds and event-driven, and
//!   its reach formula holds in both, so `check` compares both with it.
//! * **A prepared form of its own** ([`Prepared`]): the exact expected reach depends on N, k and the loss
//!   only, so [`Model::prepare`] computes it once per topology, not once per replicate.
//! * **A node named in the parameters** ([`NodeRef`]: an index or a file's node id), resolved when the
//!   parameters are checked.
//! * **A trace** ([`Model::run_traced`]): `run --trace` and `draw` show the spread.
//!
//! # The reach formula
//!
//! On the complete graph every message goes to a node uniform among the N − 1 others, drawn independently
//! of everything before, and each informed node sends K = fanout · ttl messages in all (if the run lasts).
//! Which node sends a message and when do not change the chance that it informs someone new: with i nodes
//! informed (the sender among them), it reaches one of the N − i others with probability
//! r_i = (1 − ℓ)(N − i)/(N − 1), ℓ the network's loss. So the final number informed is that of a chain
//! that resolves pending messages one at a time, in any order and under any timing: from (i informed,
//! p pending), a new node gives (i + 1, p + K − 1), anything else (i, p − 1), and the chain stops at p = 0.
//! [`expected_reach`] computes its expectation exactly; `check` compares the mean reach with it within the
//! 95% interval, no slack ([`Check::WithinCiCount`], unit 1/N: near full reach runs miss few nodes, and the
//! interval is never taken narrower than the rule of three on them). As N → ∞ the mean reached fraction
//! tends to (1 − q)π ([`limit_reach`], shown beside it): the spread is then a branching process whose
//! offspring (messages that arrive) have generating function G(s) = (ℓ + (1 − ℓ)s)^K; it dies out while
//! small with probability q, the smallest root of q = G(q), and otherwise reaches the fraction π, the root in
//! (0, 1) of π = 1 − e^{−K(1−ℓ)π} (both limits are 0 when K(1 − ℓ) ≤ 1). π alone is the size of a large
//! spread, not the mean. On a graph other than the complete one the formulas do not apply and are not stated.
//!
//! The exact reach and the K messages per informed node assume that every run lasts until no node pushes:
//! a run cut short by `max_rounds` states neither (its reach still counts in the mean, so a scenario whose
//! limit cuts many runs short is checked against a formula it does not meet; raise `max_rounds`).
//!
//! In synchronous rounds, the series `informed_predicted` is the one-round expectation from the state at
//! the start of each round: with S_t nodes uninformed and A_t awake, each of the S_t stays uninformed with
//! probability (1 − r)^{fanout·A_t}, r = (1 − ℓ)/(N − 1) (a node informed in a round takes turns from the next).

use dissem::models::gossip::{self, Gossip, GossipParams, Harness, Incoming, Net, Timing, Turns};
use dissem::models::{
    Bound, Check, Env, MAX_ROUNDS, MetricDoc, Model, ModelError, NodeRef, Outcome, Size, check_range, join,
};
use dissem::sim_core::NodeId;
use dissem::sim_core::topology::Topology;
use dissem::sim_core::trace::Sink;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Most peers a node pushes to in one turn.
pub const MAX_FANOUT: u32 = 64;
/// Most turns a node pushes for.
pub const MAX_TTL: u32 = 1000;

/// Parameters of a run: the `model` object of a scenario with `"kind": "ttl_push"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TtlPushParams {
    /// The node that holds the rumor at time 0: an index, or a node id from the topology file.
    #[serde(default)]
    pub source: NodeRef,
    /// Peers a node pushes to in each of its turns.
    #[serde(default = "default_fanout")]
    #[schemars(range(min = 1, max = MAX_FANOUT))]
    pub fanout: u32,
    /// Turns a node pushes for after it first hears the rumor (1: infect-and-die).
    #[serde(default = "default_ttl")]
    #[schemars(range(min = 1, max = MAX_TTL))]
    pub ttl: u32,
    /// Most rounds (event-driven: periods) a run may last; it ends sooner when no node pushes any more.
    #[serde(default = "default_max_rounds")]
    #[schemars(range(min = 1, max = MAX_ROUNDS))]
    pub max_rounds: u32,
    /// Synchronous rounds or event-driven.
    #[serde(default)]
    pub timing: Timing,
}

fn default_fanout() -> u32 {
    2
}

fn default_ttl() -> u32 {
    1
}

fn default_max_rounds() -> u32 {
    1000
}

impl GossipParams for TtlPushParams {
    /// Checks the ranges the schema states and the source against the topology; returns the parameters
    /// with the source resolved to its index.
    fn validate(&self, prefix: &str, topology: &Topology) -> Result<Self, ModelError> {
        check_range(join(prefix, "fanout"), self.fanout.into(), 1, MAX_FANOUT.into())?;
        check_range(join(prefix, "ttl"), self.ttl.into(), 1, MAX_TTL.into())?;
        check_range(join(prefix, "max_rounds"), self.max_rounds.into(), 1, MAX_ROUNDS.into())?;
        self.timing.validate(&join(prefix, "timing"))?;
        let source = self.source.resolve(join(prefix, "source"), topology)?;
        Ok(TtlPushParams { source, ..self.clone() })
    }
}

/// Messages each informed node sends in all: fanout · ttl.
fn messages_per_node(params: &TtlPushParams) -> u32 {
    params.fanout * params.ttl
}

/// The expected final number of informed nodes on the complete graph of `n` ≥ 2 nodes (every topology has
/// two at least), when every informed
/// node sends `k` ≥ 1 messages in all, each to a uniform other node and lost with probability `loss`
/// (derivation in the [module docs](self)).
///
/// E(i, p), the expected final count from i informed and p pending, is
/// `r_i E(i + 1, p + k − 1) + (1 − r_i) E(i, p − 1)` with E(i, 0) = i, and the answer is E(1, k). Level i
/// needs p up to k + (k − 1)(i − 1), so the levels from i = n down take O(k n²) steps and O(k n) memory.
pub fn expected_reach(n: u32, k: u32, loss: f64) -> f64 {
    let (n, k) = (n as usize, k as usize);
    let mut above: Vec<f64> = Vec::new(); // E(i + 1, ·)
    for i in (1..=n).rev() {
        let r = (1.0 - loss) * (n - i) as f64 / (n - 1) as f64;
        let mut level = vec![i as f64; k + (k - 1) * (i - 1) + 1];
        for p in 1..level.len() {
            let new = if i < n { r * above[p + k - 1] } else { 0.0 };
            level[p] = new + (1.0 - r) * level[p - 1];
        }
        above = level;
    }
    above[k]
}

/// Largest k·n² for which [`Model::prepare`] computes [`expected_reach`] (about a second); larger
/// scenarios show the N → ∞ limit alone.
pub const MAX_EXACT_WORK: u64 = 200_000_000;

/// The N → ∞ limit of the mean reached fraction when every informed node sends `k` messages, each lost with
/// probability `loss`: (1 − q)π, q the probability that the spread dies out while small and π the fraction a
/// large spread reaches ([module docs](self)). 0 when k(1 − ℓ) ≤ 1.
pub fn limit_reach(k: u32, loss: f64) -> f64 {
    let c = f64::from(k) * (1.0 - loss);
    if c <= 1.0 {
        return 0.0;
    }
    // 1 − e^{−cπ} − π is positive on (0, π) and negative on (π, 1]: bisect.
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if -(-c * mid).exp_m1() > mid { lo = mid } else { hi = mid }
    }
    let large = 0.5 * (lo + hi);
    // G is increasing and convex with G(0) ≥ 0, so its iterates from 0 rise monotonically to the smallest
    // fixed point, geometrically: slowly only within about 10^−5 of c = 1, where the limit is below 10^−8.
    let mut q = 0.0f64;
    for _ in 0..1_000_000 {
        let next = (loss + (1.0 - loss) * q).powi(k as i32);
        if next <= q {
            break;
        }
        q = next;
    }
    (1.0 - q) * large
}

/// The protocol's state during one run.
struct Spread {
    fanout: u32,
    ttl: u32,
    source: NodeId,
    informed: Vec<bool>,
    /// Turns each informed node has left.
    turns_left: Vec<u32>,
    count: u32,
    awake: u32,
    /// Messages sent and not yet delivered (event-driven; 0 between turns in rounds).
    in_flight: u64,
    /// Per round: the informed fraction, and (rounds) its one-round prediction.
    informed_series: Vec<f64>,
    predicted: Vec<f64>,
    /// Probability that one message informs a given uninformed node, (1 − ℓ)/(N − 1).
    hit: f64,
}

impl Spread {
    fn inform(&mut self, net: &mut impl Net<(), ()>, node: NodeId) {
        if !std::mem::replace(&mut self.informed[node as usize], true) {
            self.count += 1;
            self.turns_left[node as usize] = self.ttl;
            self.awake += 1;
            net.wake(node);
        }
    }
}

impl Gossip for Spread {
    type Msg = ();
    type Timer = ();

    fn turns(&self) -> Turns {
        Turns::Awake
    }

    fn start(&mut self, net: &mut impl Net<(), ()>) {
        self.inform(net, self.source);
    }

    /// Rounds only: the expected informed count after this round, from the state at its start.
    fn begin_round(&mut self) {
        let n = self.informed.len() as f64;
        let uninformed = n - f64::from(self.count);
        let stays = (1.0 - self.hit).powf(f64::from(self.fanout) * f64::from(self.awake));
        self.predicted.push((n - uninformed * stays) / n);
    }

    fn turn(&mut self, net: &mut impl Net<(), ()>, node: NodeId) {
        for _ in 0..self.fanout {
            if let Some(peer) = net.peer(node)
                && net.send(node, peer, ())
            {
                self.in_flight += 1;
            }
        }
        let left = &mut self.turns_left[node as usize];
        *left -= 1;
        if *left == 0 {
            self.awake -= 1;
            net.sleep(node);
        }
    }

    fn receive(&mut self, net: &mut impl Net<(), ()>, _msg: (), at: Incoming) {
        self.in_flight -= 1;
        self.inform(net, at.to);
    }

    fn sample(&mut self) {
        self.informed_series.push(f64::from(self.count) / self.informed.len() as f64);
    }

    fn done(&self) -> bool {
        self.awake == 0 && self.in_flight == 0
    }

    fn describe(_: &()) -> &'static str {
        "rumor"
    }

    fn holds(&self, node: NodeId) -> bool {
        self.informed[node as usize]
    }
}

/// Fanout push with a TTL as a [`Model`]: `model.kind = "ttl_push"`.
pub struct TtlPush;

/// The checked parameters and environment; on the complete graph, the N → ∞ limit of the mean reach, and
/// the exact expected reach (both as fractions of N) when computing it is cheap enough ([`MAX_EXACT_WORK`]).
pub struct Prepared {
    bound: Bound<TtlPushParams>,
    expected_reach: Option<f64>,
    limit_reach: Option<f64>,
}

const METRICS: &[MetricDoc] = &[
    MetricDoc::metric("reach", "fraction", "Nodes that heard the rumor by the end, of all N.", "informed / N"),
    MetricDoc::metric(
        "messages_per_informed",
        "messages",
        "Messages sent (lost ones included) per informed node.",
        "sent / informed",
    ),
    MetricDoc::metric(
        "rounds",
        "rounds",
        "Rounds (event-driven: periods, begun) until no node pushes and no message is in flight.",
        "⌈end time / period⌉",
    ),
    MetricDoc::series("informed", "fraction", "Informed fraction after every round.", "informed_t / N"),
    MetricDoc::series(
        "informed_predicted",
        "fraction",
        "Rounds on the complete graph: the informed fraction expected after each round from its start.",
        "1 − S_t (1 − (1−ℓ)/(N−1))^{fanout·A_t} / N",
    ),
];

impl Model for TtlPush {
    const KIND: &'static str = "ttl_push";
    const ABOUT: &'static str = "Fanout push with a TTL: a newly informed node pushes the rumor to `fanout` peers in each of its next `ttl` turns.";
    const METRICS: &'static [MetricDoc] = METRICS;
    type Params = TtlPushParams;
    type Prepared = Prepared;

    fn prepare(&self, params: &TtlPushParams, env: &Env) -> Result<Prepared, ModelError> {
        let bound = gossip::prepare(params, env)?;
        let n = env.topology.node_count();
        let k = messages_per_node(params);
        let complete = matches!(*env.topology, Topology::Complete { .. });
        let exact = complete && u64::from(k).saturating_mul(u64::from(n) * u64::from(n)) <= MAX_EXACT_WORK;
        let expected_reach = exact.then(|| expected_reach(n, k, env.network.loss) / f64::from(n));
        let limit_reach = complete.then(|| limit_reach(k, env.network.loss));
        Ok(Prepared { bound, expected_reach, limit_reach })
    }

    fn run(&self, prepared: &Prepared, seed: u64, run: u64) -> Outcome {
        self::run(prepared, seed, run, None)
    }

    fn run_traced(&self, prepared: &Prepared, seed: u64, run: u64, sink: &mut dyn Sink) -> Option<Outcome> {
        Some(self::run(prepared, seed, run, Some(sink)))
    }

    /// Per node: its flag, turns left and a place in the harness's wake list (event-driven: also a queued
    /// timer and messages in flight); the two series; and the exact formula's table, k·N values at most.
    fn estimated_bytes(&self, params: &TtlPushParams, size: &Size) -> u64 {
        let k = u64::from(messages_per_node(params));
        let formula = if k.saturating_mul(size.nodes.saturating_mul(size.nodes)) <= MAX_EXACT_WORK {
            k * size.nodes * 8
        } else {
            0
        };
        size.nodes
            .saturating_mul(16)
            .saturating_add(params.timing.estimated_bytes(size.nodes, size.edges))
            .saturating_add(u64::from(params.max_rounds).saturating_add(1).saturating_mul(16))
            .saturating_add(formula)
    }
}

/// One run, traced into `sink` if given.
fn run(prepared: &Prepared, seed: u64, run: u64, sink: Option<&mut dyn Sink>) -> Outcome {
    let Bound { params, env } = &prepared.bound;
    let n = env.topology.node_count();
    let mut spread = Spread {
        fanout: params.fanout,
        ttl: params.ttl,
        source: params.source.index(),
        informed: vec![false; n as usize],
        turns_left: vec![0; n as usize],
        count: 0,
        awake: 0,
        in_flight: 0,
        informed_series: Vec::new(),
        predicted: Vec::new(),
        hit: (1.0 - env.network.loss) / f64::from(n - 1),
    };
    let harness = Harness::new(&env.topology, env.network, params.timing, params.max_rounds);
    let end = harness.run_with(&mut spread, seed, run, sink);

    let k = f64::from(messages_per_node(params));
    let mut out = Outcome::default();
    out.metric("reach", f64::from(spread.count) / f64::from(n))
        .metric("messages_per_informed", end.traffic.sent as f64 / f64::from(spread.count))
        .metric("rounds", f64::from(end.rounds()));
    out.series("informed", spread.informed_series);
    // Both assume that every informed node's turns run: not so in a run that `max_rounds` cut short.
    if end.done {
        out.analytic(
            "messages",
            "messages_per_informed",
            "fanout × ttl (every informed node's turns run)",
            k,
            Check::Exact,
        );
    }
    if let Some(expected) = prepared.expected_reach.filter(|_| end.done) {
        out.analytic(
            "reach",
            "reach",
            "E[informed]/N, messages resolved one at a time (exact)",
            expected,
            // Near full reach few nodes are missed, and the interval must not collapse with them.
            Check::WithinCiCount { rel_slack: 0.0, unit: 1.0 / f64::from(n) },
        );
    }
    if let Some(limit) = prepared.limit_reach {
        out.analytic(
            "reach_limit",
            "reach",
            "(1 − q)·π, π = 1 − e^(−K(1−ℓ)π), q = (ℓ + (1−ℓ)q)^K, K = fanout·ttl, N → ∞",
            limit,
            Check::Reference,
        );
        if params.timing == Timing::Rounds {
            // The first sample precedes round 1, and so does its prediction.
            spread.predicted.insert(0, 1.0 / f64::from(n));
            out.series("informed_predicted", spread.predicted);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dissem::Registry;
    use dissem::runner::{self, NoInputs};
    use dissem::sim_core::network::Network;
    use dissem::sim_core::topology::GraphBuilder;

    fn prepared(params: TtlPushParams, topology: Topology, network: Network) -> Prepared {
        TtlPush.prepare(&params, &Env::new(topology, network)).unwrap()
    }

    fn params(fanout: u32, ttl: u32, timing: Timing) -> TtlPushParams {
        TtlPushParams { source: NodeRef::Index(0), fanout, ttl, max_rounds: 10_000, timing }
    }

    /// With k = 1 the chain is a walk that goes on while it meets new nodes: the expected count is
    /// Σ_{i≥1} Π_{j<i} r_j. The recursion gives it, and E = N when nothing can be missed (N = 2, no loss).
    #[test]
    fn expected_reach_matches_the_walk_for_one_message() {
        for (n, loss) in [(2u32, 0.0), (5, 0.0), (40, 0.0), (40, 0.3)] {
            let (mut term, mut walk) = (1.0, 0.0);
            for i in 1..=n {
                walk += term;
                term *= (1.0 - loss) * f64::from(n - i) / f64::from(n - 1);
            }
            assert!((expected_reach(n, 1, loss) - walk).abs() < 1e-9, "N = {n}, ℓ = {loss}");
        }
        assert_eq!(expected_reach(2, 3, 0.0), 2.0);
        assert_eq!(expected_reach(50, 4, 1.0), 1.0);
    }

    /// The exact expectation tends to the N → ∞ limit of the mean, (1 − q)π, not to π (a large spread's
    /// size). Without loss and K ≥ 2 nothing dies out (q = G(0) = 0); with K = 2, ℓ = 0.2, q = 1/16 and
    /// (1 − q)π = 0.60186 lies 0.040 below π = 0.64198. The mean's finite-size terms are O(1/N) (a small spread
    /// is O(1) nodes, and a large one's mean count Nπ + O(1)): at N = 2000 the gap must be under 1/N = 5·10^−4,
    /// eighty times narrower than the distance to π.
    #[test]
    fn expected_reach_tends_to_the_mean_limit() {
        let pi = limit_reach(2, 0.0);
        assert!((pi - (1.0 - (-2.0 * pi).exp())).abs() < 1e-12 && pi > 0.79 && pi < 0.80);
        assert!((expected_reach(3000, 2, 0.0) / 3000.0 - pi).abs() < 2e-3);
        assert_eq!((limit_reach(1, 0.0), limit_reach(2, 0.5)), (0.0, 0.0));

        let limit = limit_reach(2, 0.2);
        let q: f64 = 1.0 / 16.0; // the smaller root of q = (0.2 + 0.8q)², exactly
        assert!((q - (0.2 + 0.8 * q).powi(2)).abs() < 1e-15);
        let large = limit / (1.0 - q);
        assert!((large - (1.0 - (-1.6 * large).exp())).abs() < 1e-12 && (large - 0.64198).abs() < 1e-5);
        let n = 2000;
        assert!((expected_reach(n, 2, 0.2) / f64::from(n) - limit).abs() < 1.0 / f64::from(n));
        assert!((limit_reach(2, 0.1) - 0.72339).abs() < 1e-5);
    }

    /// A run that `max_rounds` cuts short states neither the messages per informed node nor the exact reach:
    /// with ttl 3 and 2 rounds the source still has a turn to take, so `check` has nothing to compare.
    #[test]
    fn runs_cut_short_state_no_exact_formula() {
        let mut p = params(1, 3, Timing::Rounds);
        p.max_rounds = 2;
        let prep = prepared(p, Topology::complete(50).unwrap(), Network::default());
        let out = TtlPush.run(&prep, 3, 0);
        assert_eq!(out.get("rounds"), Some(2.0));
        assert_eq!(out.analytic.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["reach_limit"]);
        let finished = TtlPush.run(
            &prepared(params(1, 3, Timing::Rounds), Topology::complete(50).unwrap(), Network::default()),
            3,
            0,
        );
        let names: Vec<&str> = finished.analytic.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["messages", "reach", "reach_limit"]);
    }

    /// Mean reach within its 95% interval of the exact expectation, in rounds and event-driven with
    /// latency and loss: the rule and the formula are the same in both timings. Every run sends exactly
    /// fanout × ttl messages per informed node. The scenarios run in process as `check` runs them:
    /// `runner::parse`, `runner::Prepared`, `RunReport::checks`.
    #[test]
    fn reach_matches_the_formula_in_every_timing() {
        let registry = Registry::builtin().with(TtlPush);
        let model = r#""kind": "ttl_push", "fanout": 1, "ttl": 3"#;
        for (timing, network) in [
            (r#"{"kind": "rounds"}"#, r#"{"loss": 0}"#),
            (
                r#"{"kind": "poisson", "period": 10}"#,
                r#"{"latency": {"kind": "uniform", "min": 1, "max": 20}, "loss": 0.2}"#,
            ),
        ] {
            let text = format!(
                r#"{{"seed": 5, "replicates": 400, "topology": {{"kind": "complete", "nodes": 100}},
                    "network": {network}, "model": {{{model}, "timing": {timing}}}}}"#
            );
            let scenario = runner::parse(&text, "test.json", &[], &registry).unwrap();
            let report =
                runner::Prepared::new(scenario, "test.json", &NoInputs, &registry).unwrap().run_all(&|| ()).unwrap();
            let checks = report.checks();
            let names: Vec<&str> = checks.iter().map(|c| c.analytic.as_str()).collect();
            assert_eq!(names, ["messages", "reach"], "{timing}");
            assert!(checks.iter().all(|c| c.pass), "{timing}: {checks:#?}");
        }
    }

    /// In rounds the one-round prediction tracks the mean curve, and a node informed in a round pushes
    /// from the next: with N = 2, fanout 1, ttl 1, the source informs the other node in round 1, which
    /// pushes back in round 2, and the run ends there.
    #[test]
    fn rounds_wake_informed_nodes_from_the_next_round() {
        let prep = prepared(params(1, 1, Timing::Rounds), Topology::complete(2).unwrap(), Network::default());
        let out = TtlPush.run(&prep, 1, 0);
        assert_eq!(out.get("rounds"), Some(2.0));
        assert_eq!(out.get("reach"), Some(1.0));
        let series = |name: &str| out.series.iter().find(|(n, _)| n == name).unwrap().1.clone();
        assert_eq!(series("informed"), [0.5, 1.0, 1.0]);
        assert_eq!(series("informed_predicted"), [0.5, 1.0, 1.0]);
    }

    /// Off the complete graph no formula is stated; the run is a function of (seed, run).
    #[test]
    fn graphs_run_without_formulas_and_runs_repeat() {
        let mut b = GraphBuilder::new(30);
        for v in 0..30 {
            b.edge(v, (v + 1) % 30);
        }
        let prep = prepared(params(2, 3, Timing::Rounds), Topology::from(b.build().unwrap()), Network::default());
        let out = TtlPush.run(&prep, 2, 7);
        assert_eq!(out.analytic.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["messages"]);
        assert_eq!(out, TtlPush.run(&prep, 2, 7));
    }

    #[test]
    fn validation_names_the_field() {
        let t = Topology::complete(10).unwrap();
        let field = |p: TtlPushParams| p.validate("", &t).unwrap_err().field;
        let d = || params(2, 1, Timing::Rounds);
        assert_eq!(field(TtlPushParams { fanout: 0, ..d() }), "fanout");
        assert_eq!(field(TtlPushParams { ttl: MAX_TTL + 1, ..d() }), "ttl");
        assert_eq!(field(TtlPushParams { max_rounds: 0, ..d() }), "max_rounds");
        assert_eq!(field(TtlPushParams { source: NodeRef::Index(10), ..d() }), "source");
        assert_eq!(
            field(TtlPushParams { timing: Timing::Periodic { period: 0, jitter: 0.0 }, ..d() }),
            "timing.period"
        );
    }
}
