//! Rumor spreading (gossiping, rumor mongering; Demers et al. 1987).
//!
//! One node, the source, starts with a hot rumor. Nodes are **susceptible** (never heard it), **infective**
//! (know it and spread it) or **removed** (know it but lost interest). A **contact** is one transmission of
//! the rumor from an infective A to a node B; it is **unnecessary** if B already knew it. Who contacts whom:
//!
//! * **push**: every infective picks a random peer each round and sends it the rumor;
//! * **pull**: every node picks a random peer each round and asks for hot rumors (a request, no rumor);
//!   an infective peer answers with the rumor (a contact from the peer to the asker);
//! * **push-pull**: every node picks a peer; an infective initiator sends the rumor (push), any other
//!   initiator sends a request that an infective peer answers (pull).
//!
//! Loss of interest, decided by the infective A after a contact (`k ≥ 1`, `p_stop = 1/k`):
//!
//! * **feedback** (`feedback: true`): B tells A when it already knew (a NACK message, counted in
//!   `feedback_messages`); only unnecessary contacts count. **blind**: every contact counts, and A learns nothing.
//! * **coin**: A stops with probability `1/k` per counted contact. **counter**: A stops at its k-th counted contact.
//!
//! Demers et al.'s simulations (their Table 1) make two further choices, offered as options:
//!
//! * `knew_at`: whether B "already knew" at the moment of the contact (`contact`, the default) or at the start
//!   of the round (`round_start`, synchronous rounds only): then a contact to a node informed earlier in the
//!   same round is neither news nor counted.
//! * `counts` (feedback + counter): whether the counter counts every unnecessary contact (`all`, the default)
//!   or consecutive ones (`consecutive`): a contact that informs B resets A's counter, B telling A so (an ACK).
//!
//! With both (`round_start`, `consecutive`) the residue and traffic of Demers et al.'s Table 1 come out at
//! n = 1000; their Table 2 (blind, coin) does not depend on either. The lecture's table needs the defaults.
//!
//! The lecture's model is push + feedback + coin: an infective that contacts a node that already knew stops
//! with probability `p_stop`. Its residue satisfies `s = e^{-(1/p_stop + 1)(1 - s)}` (the mean-field ODE
//! `ds/dt = -s i`, `di/dt = s i - p_stop (1 - s) i`; see [`super::analysis::solve_residual`]), and every push
//! variant satisfies `s ≈ e^{-m}` for its traffic `m` (Demers et al.).
//!
//! The rule is written once, as a gossip protocol ([`crate::gossip`]): a turn pushes the rumor (a spreading
//! node) or asks for it (any other, in pull and push-pull); a rumor informs or draws a NACK; a request is
//! answered by a spreading node; a counted contact may end the spreading. In push mode only spreading nodes
//! take turns (the harness's awake turns, in the order they were informed).
//!
//! Synchronous rounds: who spreads is fixed at the start of the round (a node informed in round r starts
//! spreading in round r+1; one that loses interest in round r still answers requests until the round ends),
//! while contacts happen one after another, so "already knew" means knew at the moment of the contact
//! (including nodes informed earlier in the same round). This keeps the per-contact odds of the ODE (inform
//! with probability s, meet a knowing node with probability 1 - s), so the residue follows the formula; had a
//! contact seen only the previous round's knowledge (`knew_at: round_start`), contacts to nodes informed in the
//! same round would not count, and s would come out 15-20% below the formula at N = 10^4.
//!
//! Event-driven: every node spreading (push) or asking (pull, push-pull) has its own timer; the rumor,
//! requests and NACKs take the network's latency, and an infective loses interest when the NACK arrives
//! (feedback) or when it sends (blind). Because the NACK arrives a round trip late, an infective may contact
//! again before it learns that it should stop; with exponential timers this lowers s by about the fraction
//! of timer gaps shorter than a round trip (2-3% for latency 1 and period 100).
//!
//! Metrics (times in rounds; event-driven, a round is a period and times are divided by it):
//!
//! * `residual` s: the fraction of nodes never informed; `traffic` m: rumor messages per node;
//!   `rounds`: until no node is infective.
//! * `t_ave`: the mean, over the nodes *other than the source* that got the rumor, of the round in which
//!   each first got it; rounds count from 1, so a node told in the first round counts 1. NaN if no other
//!   node got it.
//! * `t_ave_demers`: Demers et al.'s t_ave, "the difference between the time of the initial injection of
//!   an update and the arrival of the update at a given site, averaged over all sites" that received it:
//!   the same arrival times, but the source is a site too, with delay 0, so `t_ave_demers = t_ave·(I−1)/I`
//!   for I informed nodes (the source alone: 0).
//! * `t_last`: the round in which the last node to get the rumor got it (0 if only the source knows it).
//!   This is also Demers et al.'s t_last, "the delay until the reception by the last site that will
//!   receive the update": the source's delay 0 never is the maximum unless it is alone, where both are 0.
//!
//! With `then_anti_entropy`, anti-entropy (bitset fast path of [`super::anti_entropy`]) runs after the rumor
//! has died out until every node holds the update; the `ae_*` metrics give the cost of that phase.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::bitset::BitSet;
use sim_core::network::{Latency, Network};
use sim_core::rng::{SimRng, chance, derive_seed};
use sim_core::topology::Topology;
use sim_core::trace::Sink;
use sim_core::{NodeId, Time};

use super::Mode;
use super::analysis::{push_residual_of_traffic, solve_residual};
use super::anti_entropy::spread;
use super::replicas::{Bitset, ENTRY_BYTES, Replicas, series_bytes};
use crate::gossip::{Gossip, GossipModel, GossipParams, Harness, Incoming, Net, Timing, Turns, View};
use crate::model::{Env, Size};
use crate::{Check, MAX_ROUNDS, MetricDoc, ModelError, NodeRef, Outcome, check_range, join};

/// When an infective loses interest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StopRule {
    /// With probability 1/k after each counted contact.
    #[default]
    Coin,
    /// At the k-th counted contact.
    Counter,
}

/// When a contact counts as unnecessary: the receiver "already knew" the rumor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KnewAt {
    /// At the moment of the contact, nodes informed earlier in the same round included.
    #[default]
    Contact,
    /// At the start of the round (synchronous rounds only): a contact to a node informed earlier in the
    /// same round is neither news nor unnecessary.
    RoundStart,
}

/// Which unnecessary contacts the counter counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Counts {
    /// Every unnecessary contact since the node was informed.
    #[default]
    All,
    /// Consecutive ones: a contact that informs its receiver resets the counter (the receiver says so, an
    /// ACK; feedback and counter only).
    Consecutive,
}

/// Parameters of a rumor-spreading run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RumorParams {
    /// The node that starts with the rumor: its index, or its id in the topology file.
    #[serde(default)]
    pub source: NodeRef,
    #[serde(default = "push")]
    pub mode: Mode,
    /// Feedback (only contacts with nodes that already knew count) or blind (every contact counts).
    #[serde(default = "yes")]
    pub feedback: bool,
    #[serde(default)]
    pub stop: StopRule,
    /// `k`: the coin's 1/k (= p_stop) or the counter's limit; at most 255 for the counter.
    #[serde(default = "default_k")]
    pub k: u32,
    /// When the receiver "already knew": at the contact (the lecture) or at the start of the round
    /// (Demers et al.'s Table 1).
    #[serde(default)]
    pub knew_at: KnewAt,
    /// Whether the counter counts all unnecessary contacts or consecutive ones (Demers et al.'s Table 1).
    #[serde(default)]
    pub counts: Counts,
    #[serde(default)]
    pub timing: Timing,
    /// Give up after this many rounds (event-driven: periods), per phase.
    #[serde(default = "default_max_rounds")]
    #[schemars(range(min = 1, max = MAX_ROUNDS))]
    pub max_rounds: u32,
    /// Run anti-entropy in this mode after the rumor dies out, until every node holds the update.
    #[serde(default)]
    pub then_anti_entropy: Option<Mode>,
}

fn push() -> Mode {
    Mode::Push
}

fn yes() -> bool {
    true
}

fn default_k() -> u32 {
    4
}

fn default_max_rounds() -> u32 {
    10_000
}

impl Default for RumorParams {
    fn default() -> Self {
        RumorParams {
            source: NodeRef::default(),
            mode: Mode::Push,
            feedback: true,
            stop: StopRule::Coin,
            k: default_k(),
            knew_at: KnewAt::Contact,
            counts: Counts::All,
            timing: Timing::Rounds,
            max_rounds: default_max_rounds(),
            then_anti_entropy: None,
        }
    }
}

impl GossipParams for RumorParams {
    /// Checks parameters against the topology; `prefix` is the scenario path of these parameters. Returns
    /// them with the source resolved to an index.
    fn validate(&self, prefix: &str, topology: &Topology) -> Result<Self, ModelError> {
        let source = self.source.resolve(join(prefix, "source"), topology)?;
        self.timing.validate(&join(prefix, "timing"))?;
        let k_max = match self.stop {
            StopRule::Coin => u32::MAX,
            StopRule::Counter => u32::from(u8::MAX),
        };
        if !(1..=k_max).contains(&self.k) {
            return Err(ModelError::new(join(prefix, "k"), format!("must lie in 1..={k_max}, got {}", self.k)));
        }
        if self.knew_at == KnewAt::RoundStart && self.timing != Timing::Rounds {
            return Err(ModelError::new(
                join(prefix, "knew_at"),
                "round_start needs synchronous rounds (timing.kind = rounds); event-driven runs have no rounds to start",
            ));
        }
        if self.counts == Counts::Consecutive && !(self.feedback && self.stop == StopRule::Counter) {
            return Err(ModelError::new(
                join(prefix, "counts"),
                "consecutive needs feedback: true and stop: counter (a blind counter counts every contact, a coin \
                 none)",
            ));
        }
        check_range(join(prefix, "max_rounds"), self.max_rounds.into(), 1, MAX_ROUNDS.into())?;
        if self.then_anti_entropy.is_some() {
            super::check_connected(topology, "anti-entropy after the rumor")?;
        }
        Ok(RumorParams { source, ..self.clone() })
    }
}

impl RumorParams {
    /// Whether this is the lecture's model, for which `s = e^{-(1/p_stop + 1)(1 - s)}` holds.
    pub fn is_lecture_model(&self) -> bool {
        self.mode == Mode::Push && self.feedback && self.stop == StopRule::Coin
    }
}

/// Rumor spreading as a gossip protocol. A node is susceptible until `informed`, infective while
/// `spreading`, removed after. Bits rather than bytes: the event-driven run touches a random node's state
/// per event, and N/4 bytes stay in cache where N bytes do not.
struct Spreading {
    n: u32,
    source: NodeId,
    mode: Mode,
    feedback: bool,
    stop: StopRule,
    k: u32,
    informed: BitSet,
    /// `informed` as the round began, kept only when contacts are judged on it.
    informed_at_round_start: Option<BitSet>,
    counts: Counts,
    /// Now, and at the start of the synchronous round (who spreads in a round is fixed when it begins).
    spreading: Bitset,
    spreading_count: u64,
    /// Counted contacts per node (counter rule only).
    count: Vec<u8>,
    informed_count: u64,
    /// Sum and maximum of the times at which nodes other than the source were informed.
    t_sum: f64,
    t_last: f64,
    /// Time at which the last infective lost interest.
    last_removal: Time,
    rumors: u64,
    /// Rumors that left their sender and have not arrived yet.
    rumors_in_flight: u64,
    requests: u64,
    /// Feedback replies: NACKs, and ACKs with consecutive counting.
    feedback_replies: u64,
    susceptible: Vec<f64>,
    infective: Vec<f64>,
}

/// What rumor spreading sends: the rumor, a pull request, or the feedback that the rumor was known.
#[derive(Clone, Copy)]
enum Msg {
    Rumor,
    Request,
    Nack,
    Ack,
}

impl Spreading {
    fn new(n: u32, p: &RumorParams) -> Self {
        let (mut informed, mut spreading) = (BitSet::new(n), Bitset::new(n));
        let source = p.source.index();
        informed.set(source);
        spreading.set(source);
        Spreading {
            n,
            source,
            mode: p.mode,
            feedback: p.feedback,
            stop: p.stop,
            k: p.k,
            informed_at_round_start: (p.knew_at == KnewAt::RoundStart).then(|| informed.clone()),
            counts: p.counts,
            informed,
            spreading,
            spreading_count: 1,
            count: if p.stop == StopRule::Counter { vec![0; n as usize] } else { Vec::new() },
            informed_count: 1,
            t_sum: 0.0,
            t_last: 0.0,
            last_removal: 0,
            rumors: 0,
            rumors_in_flight: 0,
            requests: 0,
            feedback_replies: 0,
            susceptible: Vec::new(),
            infective: Vec::new(),
        }
    }

    /// The fraction of nodes never informed.
    fn susceptible(&self) -> f64 {
        (u64::from(self.n) - self.informed_count) as f64 / f64::from(self.n)
    }

    /// Accounts for a rumor infective `a` just sent; `left` says whether it left (was not lost).
    #[inline(always)]
    fn sent_rumor(&mut self, net: &mut impl Net<Msg, ()>, a: NodeId, left: bool) {
        self.rumors += 1;
        self.rumors_in_flight += u64::from(left);
        if !self.feedback {
            self.counted_contact(net, a);
        }
    }

    /// One counted contact of infective `a`: it may lose interest.
    #[inline(always)]
    fn counted_contact(&mut self, net: &mut impl Net<Msg, ()>, a: NodeId) {
        if self.spreading.get(View::Now, a) && self.loses_interest(a, net.rng()) {
            self.spreading.clear(a);
            self.spreading_count -= 1;
            self.last_removal = net.now();
            net.sleep(a);
        }
    }

    fn loses_interest(&mut self, a: NodeId, rng: &mut SimRng) -> bool {
        match self.stop {
            StopRule::Coin => chance(rng, 1.0 / f64::from(self.k)),
            StopRule::Counter => {
                let c = &mut self.count[a as usize];
                *c += 1;
                u32::from(*c) >= self.k
            }
        }
    }

    /// Informs a susceptible node at time `t`; returns whether it was susceptible.
    fn infect(&mut self, b: NodeId, t: Time) -> bool {
        if !self.informed.set(b) {
            return false;
        }
        self.informed_count += 1;
        self.t_sum += t as f64;
        self.t_last = self.t_last.max(t as f64);
        true
    }
}

impl Gossip for Spreading {
    type Msg = Msg;
    type Timer = ();

    /// Push: only infectives take the initiative. Pull and push-pull: every node does.
    fn turns(&self) -> Turns {
        if self.mode == Mode::Push { Turns::Awake } else { Turns::All }
    }

    fn start(&mut self, net: &mut impl Net<Msg, ()>) {
        net.wake(self.source);
    }

    fn begin_round(&mut self) {
        self.spreading.freeze();
        if let Some(known) = &mut self.informed_at_round_start {
            known.clone_from(&self.informed);
        }
    }

    /// A spreading node pushes the rumor (push, push-pull); any other asks for it (pull, push-pull).
    #[inline(always)]
    fn turn(&mut self, net: &mut impl Net<Msg, ()>, a: NodeId) {
        // Push: only spreading nodes take turns (Turns::Awake).
        let spreading = self.mode == Mode::Push || self.spreading.get(net.view(), a);
        let Some(b) = net.peer(a) else {
            return;
        };
        if self.mode.pushes() && spreading {
            let left = net.send(a, b, Msg::Rumor);
            self.sent_rumor(net, a, left);
        } else {
            self.requests += 1;
            net.send(a, b, Msg::Request);
        }
    }

    #[inline(always)]
    fn receive(&mut self, net: &mut impl Net<Msg, ()>, msg: Msg, at: Incoming) {
        match msg {
            Msg::Rumor => {
                self.rumors_in_flight -= 1;
                let news = self.infect(at.to, net.now());
                if news {
                    self.spreading.set(at.to);
                    self.spreading_count += 1;
                    net.wake(at.to);
                }
                let knew = match &self.informed_at_round_start {
                    Some(known) => known.get(at.to),
                    None => !news,
                };
                if knew && self.feedback {
                    self.feedback_replies += 1;
                    net.reply(at, Msg::Nack);
                } else if !knew && self.counts == Counts::Consecutive {
                    self.feedback_replies += 1;
                    net.reply(at, Msg::Ack);
                }
            }
            Msg::Request => {
                if self.spreading.get(net.view(), at.to) {
                    let left = net.reply(at, Msg::Rumor);
                    self.sent_rumor(net, at.to, left);
                }
            }
            Msg::Nack => self.counted_contact(net, at.to),
            Msg::Ack => self.count[at.to as usize] = 0,
        }
    }

    fn sample(&mut self) {
        self.susceptible.push(self.susceptible());
        self.infective.push(self.spreading_count as f64 / f64::from(self.n));
    }

    fn done(&self) -> bool {
        self.spreading_count == 0 && self.rumors_in_flight == 0
    }

    fn describe(msg: &Msg) -> &'static str {
        match msg {
            Msg::Rumor => "rumor",
            Msg::Request => "request",
            Msg::Nack => "nack",
            Msg::Ack => "ack",
        }
    }

    fn holds(&self, node: NodeId) -> bool {
        self.informed.get(node)
    }
}

/// Runs rumor spreading (and, if asked, anti-entropy after it): run `run` of `seed` on `topology` under
/// `network`.
pub fn run(params: &RumorParams, topology: &Topology, network: Network, seed: u64, run: u64) -> Outcome {
    Rumor.run_with(params, &Env::new(topology.clone(), network), seed, run, None)
}

/// Rumor spreading as a [`GossipModel`], hence a [`Model`](crate::Model): `model.kind = "rumor"`.
pub struct Rumor;

impl GossipModel for Rumor {
    const KIND: &'static str = "rumor";
    const ABOUT: &'static str = "Rumor spreading (the lecture model and the Demers et al. variants), optionally \
                                 followed by anti-entropy until every node is updated.";
    const METRICS: &'static [MetricDoc] = METRICS;
    type Params = RumorParams;

    fn run_with(&self, params: &Self::Params, env: &Env, seed: u64, run: u64, sink: Option<&mut dyn Sink>) -> Outcome {
        let (topology, network) = (&*env.topology, env.network);
        let n = topology.node_count();
        let nf = f64::from(n);
        let harness = Harness::new(topology, network, params.timing, params.max_rounds);
        let mut r = Spreading::new(n, params);
        let end = harness.run_with(&mut r, seed, run, sink);
        let died_out = r.spreading_count == 0;
        let rounds = end.in_rounds(if died_out { r.last_removal } else { end.time });
        let s = r.susceptible();
        let m = r.rumors as f64 / nf;
        let others = r.informed_count - 1;
        let period = end.period as f64;
        let mut out = Outcome::default();
        out.metric("residual", s)
            .metric("residual_nodes", nf - r.informed_count as f64)
            .metric("traffic", m)
            .metric("t_ave", if others > 0 { r.t_sum / period / others as f64 } else { f64::NAN })
            .metric("t_ave_demers", r.t_sum / period / r.informed_count as f64)
            .metric("t_last", r.t_last / period)
            .metric("rounds", rounds)
            .metric("died_out", f64::from(u8::from(died_out)))
            .metric("messages", end.traffic.sent as f64)
            .metric("requests", r.requests as f64)
            .metric("feedback_messages", r.feedback_replies as f64);
        out.series("susceptible_fraction", std::mem::take(&mut r.susceptible))
            .series("infective_fraction", std::mem::take(&mut r.infective));

        if let Some(ae_mode) = params.then_anti_entropy {
            let mut have = Bitset::new(n);
            for v in (0..n).filter(|&v| r.informed.get(v)) {
                have.set(v);
            }
            let missing = u64::from(n) - r.informed_count;
            // A stream of its own, so that the phases do not replay each other's draws.
            let ae =
                spread(&harness, ae_mode, have, missing, u64::from(n), &[], derive_seed(seed, &[AE_PHASE]), run, None);
            let ae_rounds = ae.converged().unwrap_or(f64::NAN);
            out.metric("ae_rounds", ae_rounds)
                .metric("ae_messages", ae.end.traffic.sent as f64)
                .metric("ae_state_bytes", (ae.entries * ENTRY_BYTES) as f64)
                .metric("total_rounds", rounds + ae_rounds)
                .metric("total_messages", (end.traffic.sent + ae.end.traffic.sent) as f64);
            out.series("ae_ignorant_fraction", ae.ignorant);
        }

        if matches!(topology, Topology::Complete { .. }) && network.loss == 0.0 {
            let sync = params.timing == Timing::Rounds;
            if params.is_lecture_model() {
                out.analytic(
                    "residual_lecture",
                    "residual",
                    "s = e^{-(1/p_stop + 1)(1 - s)}, p_stop = 1/k",
                    solve_residual(1.0 / f64::from(params.k)),
                    Check::WithinCiCount {
                        unit: 1.0 / f64::from(topology.node_count()),
                        rel_slack: if sync { 0.0 } else { late_nack_slack(network.latency, params.timing.period()) },
                    },
                );
            }
            if params.mode == Mode::Push {
                out.analytic(
                    "residual_traffic",
                    "residual",
                    "s = e^{-m} (m: this run's traffic)",
                    push_residual_of_traffic(m),
                    Check::WithinCiCount { rel_slack: 0.0, unit: 1.0 / f64::from(topology.node_count()) },
                );
            }
        }
        out
    }

    /// Packed node states (two bits and a counter byte per node), the event queue and links when
    /// event-driven, and the per-round series.
    fn estimated_bytes(&self, params: &RumorParams, size: &Size) -> u64 {
        size.nodes
            .saturating_add(size.edges.saturating_mul(16))
            .saturating_add(params.timing.estimated_bytes(size.nodes, size.edges))
            .saturating_add(series_bytes(4, params.max_rounds))
    }
}

/// Stream tag of the anti-entropy phase after the rumor.
const AE_PHASE: u64 = 0x6165;

/// Relative slack of the lecture's residue event-driven: a NACK arrives a round trip after the contact, and
/// a spreader whose next timer fires first contacts once more than the model says; about twice the round
/// trip over the period (see the module docs). Synchronous rounds need none: their contacts are the
/// lecture's Markov chain, whose finite-N mean lies within 0.1 node of the formula (`finite_size_term`).
/// Neither does s = e^{-m}: every contact, on time or late, hits a uniform other node.
fn late_nack_slack(latency: Latency, period: Time) -> f64 {
    2.0 * 2.0 * mean_latency(latency) / period as f64
}

/// Mean of a latency distribution on the complete graph (edge weight 1).
fn mean_latency(l: Latency) -> f64 {
    match l {
        Latency::Constant(t) => t as f64,
        Latency::Uniform { min, max } => (min + max) as f64 / 2.0,
        // Rounded up: about half a unit more.
        Latency::Exponential { mean } => mean + 0.5,
        Latency::EdgeWeight => 1.0,
    }
}

/// What a rumor-spreading run reports (`dissem metrics rumor`); the `ae_` and `total_` entries only with
/// `then_anti_entropy`.
pub const METRICS: &[MetricDoc] = &[
    MetricDoc::metric(
        "residual",
        "fraction",
        "Share of the nodes that never heard the rumor (the lecture's s).",
        "ignorant nodes at the end / N",
    ),
    MetricDoc::metric("residual_nodes", "nodes", "Nodes that never heard the rumor.", "N − informed nodes"),
    MetricDoc::metric("traffic", "messages per node", "Rumor messages per node (the lecture's m).", "rumors sent / N"),
    MetricDoc::metric(
        "t_ave",
        "rounds",
        "Mean time at which a node other than the origin first heard the rumor.",
        "Σ first-receipt times / period / (informed − 1); NaN when nobody else was informed",
    ),
    MetricDoc::metric(
        "t_ave_demers",
        "rounds",
        "Demers et al.'s t_ave: mean delay to the nodes that heard the rumor, the origin counted at delay 0.",
        "Σ first-receipt times / period / informed = t_ave·(informed − 1)/informed",
    ),
    MetricDoc::metric(
        "t_last",
        "rounds",
        "When the last node to be informed first heard the rumor (Demers et al.'s t_last too).",
        "last first-receipt time / period",
    ),
    MetricDoc::metric(
        "rounds",
        "rounds",
        "How long the rumor was spread: until the last spreader stopped, or the end of the run.",
        "time of the last removal (or end) / period",
    ),
    MetricDoc::metric(
        "died_out",
        "0/1",
        "Whether every node had stopped spreading before the round limit.",
        "1 if no node is infective at the end, else 0",
    ),
    MetricDoc::metric(
        "messages",
        "messages",
        "Every message sent in the rumor phase: rumors, pull requests and feedback.",
        "sends counted by the network, lost ones included",
    ),
    MetricDoc::metric("requests", "messages", "Pull requests sent (pull and push-pull).", "count of requests"),
    MetricDoc::metric(
        "feedback_messages",
        "messages",
        "Feedback replies: that the receiver already knew (a NACK), and with counts = consecutive also that it \
         did not (an ACK, which resets the spreader's counter).",
        "count of NACKs + ACKs",
    ),
    MetricDoc::series(
        "susceptible_fraction",
        "fraction",
        "Share of ignorant nodes, before round 1 and after every round.",
        "ignorant nodes / N",
    ),
    MetricDoc::series(
        "infective_fraction",
        "fraction",
        "Share of nodes still spreading, before round 1 and after every round.",
        "infective nodes / N",
    ),
    MetricDoc::metric(
        "ae_rounds",
        "rounds",
        "Rounds the anti-entropy phase took to bring the update to every node.",
        "convergence time / period; NaN if it did not converge",
    ),
    MetricDoc::metric("ae_messages", "messages", "Messages of the anti-entropy phase.", "sends counted by the network"),
    MetricDoc::metric(
        "ae_state_bytes",
        "bytes",
        "Replica entries the anti-entropy phase carried, in bytes.",
        "entries carried × 24",
    ),
    MetricDoc::metric("total_rounds", "rounds", "Both phases together.", "rounds + ae_rounds"),
    MetricDoc::metric("total_messages", "messages", "Both phases together.", "messages + ae_messages"),
    MetricDoc::series(
        "ae_ignorant_fraction",
        "fraction",
        "Share of nodes without the update during the anti-entropy phase, before its round 1 and after each round.",
        "ignorant nodes / N",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::stats::Summary;
    use sim_core::topology::GraphBuilder;

    fn runs(p: &RumorParams, t: &Topology, count: u64, seed: u64) -> Vec<Outcome> {
        (0..count).map(|r| run(p, t, Network::default(), seed, r)).collect()
    }

    /// What `dissem check` does with a WithinCiCount prediction, without the rule-of-three floor (these runs
    /// leave hundreds of nodes out, so it would never bind): the mean of the metric over runs lies within
    /// its 95% CI, widened by rel_slack·|value|, of the (mean) predicted value.
    fn assert_within_ci(outs: &[Outcome], name: &str) {
        let a = outs[0].analytic.iter().find(|a| a.name == name).expect("prediction present");
        let Check::WithinCiCount { rel_slack, .. } = a.check else { panic!("{name} is not WithinCiCount") };
        let xs: Vec<f64> = outs.iter().map(|o| o.get(&a.metric).unwrap()).collect();
        let predicted = outs.iter().map(|o| o.analytic.iter().find(|b| b.name == name).unwrap().value).sum::<f64>()
            / outs.len() as f64;
        let s = Summary::of(&xs);
        assert!(
            (s.mean - predicted).abs() <= s.half_width() + rel_slack * predicted.abs(),
            "{name}: {} ± {} vs {predicted} (slack {rel_slack})",
            s.mean,
            s.half_width()
        );
    }

    /// The lecture's residue s = e^{-(1/p_stop + 1)(1 - s)} at N = 10^4 (push, feedback, coin), synchronous
    /// rounds for k = 1, 2, 4 (60 runs each) and exponential timers for k = 2 (40 runs), through the
    /// outcome's own WithinCi check (no slack in rounds; see `finite_size_term` for why none is needed).
    #[test]
    fn residue_matches_the_lecture_formula() {
        let t = Topology::complete(10_000).unwrap();
        for k in [1, 2, 4] {
            let p = RumorParams { k, ..RumorParams::default() };
            assert_within_ci(&runs(&p, &t, 60, 21), "residual_lecture");
        }
        let p = RumorParams { k: 2, timing: Timing::Poisson { period: 100 }, ..RumorParams::default() };
        assert_within_ci(&runs(&p, &t, 40, 22), "residual_lecture");
    }

    /// The exact mean residue of the lecture's model at finite N. In push with feedback and a coin, the
    /// counts (S susceptible, I infective) change only at contacts, and a contact's outcome depends on
    /// nothing else: it informs with probability S/(N−1) (S → S−1, I → I+1), else its sender stops with
    /// probability p (I → I−1), else nothing changes. Whichever infective makes it and whenever (rounds or
    /// events, if feedback is instant), so the final S has the law of this chain. Skipping the contacts that
    /// change nothing, each step lowers 2S + I by one: a sweep over the levels of 2S + I gives E[S_∞] in
    /// O(N²).
    fn exact_lecture_residual(n: u32, p: f64) -> f64 {
        let (n, nf) = (n as usize, f64::from(n));
        let mut level = vec![0.0; n + 1];
        level[n - 1] = 1.0;
        let mut residual = 0.0;
        for phi in (1..2 * n).rev() {
            let mut next = vec![0.0; n + 1];
            for (s, &mass) in level.iter().enumerate().filter(|&(_, &m)| m > 0.0) {
                let i = phi - 2 * s;
                if i == 0 {
                    residual += mass * s as f64;
                    continue;
                }
                let inform = s as f64 / (nf - 1.0);
                let stop = p * (1.0 - inform);
                next[s.saturating_sub(1)] += mass * inform / (inform + stop);
                next[s] += mass * stop / (inform + stop);
            }
            level = next;
        }
        residual
    }

    /// The lecture's formula is the chain's limit; its finite-N term is tiny: |E[S_∞] − N·s| < 0.1 node for
    /// N = 100 and 1000, k = 1..7 (it converges to a constant number of nodes: −0.086 at k = 1, +0.006 at
    /// k = 7). So the check needs no slack. The simulation agrees with the exact mean too: N = 1000, k = 1
    /// and 4, 3000 runs each, within the 95% interval.
    #[test]
    fn finite_size_term() {
        for n in [100, 1000] {
            for k in 1..=7 {
                let p = 1.0 / f64::from(k);
                let term = exact_lecture_residual(n, p) - f64::from(n) * solve_residual(p);
                assert!(term.abs() < 0.1, "N = {n}, k = {k}: {term} nodes");
            }
        }
        let t = Topology::complete(1000).unwrap();
        for k in [1, 4] {
            let exact = exact_lecture_residual(1000, 1.0 / f64::from(k)) / 1000.0;
            let p = RumorParams { k, ..RumorParams::default() };
            let s = Summary::of(&runs(&p, &t, 3000, 26).iter().map(|o| o.get("residual").unwrap()).collect::<Vec<_>>());
            assert!((s.mean - exact).abs() <= s.half_width(), "k = {k}: {s:?} vs {exact}");
        }
    }

    /// Demers et al.: every push variant trades residue for traffic as s = e^{-m}. N = 10^4, k = 2, 40 runs.
    #[test]
    fn push_variants_follow_s_equals_e_to_minus_m() {
        let t = Topology::complete(10_000).unwrap();
        for (feedback, stop) in
            [(true, StopRule::Coin), (false, StopRule::Coin), (true, StopRule::Counter), (false, StopRule::Counter)]
        {
            let p = RumorParams { k: 2, feedback, stop, ..RumorParams::default() };
            assert_within_ci(&runs(&p, &t, 40, 23), "residual_traffic");
        }
    }

    /// Demers et al.'s choices keep s = e^{-m} (N = 10^4, k = 2, 40 runs each); with a consecutive counter
    /// every rumor draws exactly one feedback reply (a NACK if the receiver knew, an ACK if not), and judged
    /// at the round's start a contact draws a NACK only if the receiver knew before the round began, so
    /// NACKs + nodes informed ≤ rumors + 1.
    #[test]
    fn demers_choices_keep_s_equals_e_to_minus_m() {
        let t = Topology::complete(10_000).unwrap();
        for (knew_at, counts) in [
            (KnewAt::RoundStart, Counts::All),
            (KnewAt::Contact, Counts::Consecutive),
            (KnewAt::RoundStart, Counts::Consecutive),
        ] {
            let p = RumorParams { k: 2, stop: StopRule::Counter, knew_at, counts, ..RumorParams::default() };
            let outs = runs(&p, &t, 40, 24);
            assert_within_ci(&outs, "residual_traffic");
            for out in &outs {
                let rumors = (out.get("traffic").unwrap() * 10_000.0).round();
                let (replies, informed) =
                    (out.get("feedback_messages").unwrap(), 10_000.0 - out.get("residual_nodes").unwrap());
                if counts == Counts::Consecutive && knew_at == KnewAt::Contact {
                    assert_eq!(replies, rumors);
                }
                if counts == Counts::All {
                    assert!(replies + informed <= rumors + 1.0, "{replies} {informed} {rumors}");
                }
            }
        }
    }

    /// Counting only consecutive unnecessary contacts can only lengthen a spreader's life: over 40 runs the
    /// consecutive counter's traffic lies above the counter of all, their 95% intervals apart.
    #[test]
    fn a_consecutive_counter_spreads_longer() {
        let t = Topology::complete(1000).unwrap();
        let traffic = |counts| {
            let p = RumorParams { k: 3, stop: StopRule::Counter, counts, ..RumorParams::default() };
            Summary::of(&runs(&p, &t, 40, 25).iter().map(|o| o.get("traffic").unwrap()).collect::<Vec<_>>())
        };
        let (all, consecutive) = (traffic(Counts::All), traffic(Counts::Consecutive));
        assert!(consecutive.mean - consecutive.half_width() > all.mean + all.half_width(), "{all:?} {consecutive:?}");
    }

    #[test]
    fn counters_are_exact_in_synchronous_push() {
        let t = Topology::complete(2000).unwrap();
        for feedback in [true, false] {
            let p = RumorParams { k: 3, feedback, stop: StopRule::Counter, ..RumorParams::default() };
            let out = run(&p, &t, Network::default(), 4, 0);
            let informed = 2000.0 - out.get("residual_nodes").unwrap();
            // Every informed node stops at exactly its 3rd counted contact: a NACK (feedback) or a send (blind).
            let counted =
                if feedback { out.get("feedback_messages") } else { Some(out.get("traffic").unwrap() * 2000.0) };
            assert_eq!(counted, Some(3.0 * informed), "feedback = {feedback}");
            assert_eq!(out.get("died_out"), Some(1.0));
        }
    }

    #[test]
    fn pull_and_push_pull_count_requests_and_die_out() {
        let t = Topology::complete(3000).unwrap();
        for mode in [Mode::Pull, Mode::PushPull] {
            let p = RumorParams { mode, ..RumorParams::default() };
            let out = run(&p, &t, Network::default(), 6, 0);
            assert_eq!(out.get("died_out"), Some(1.0));
            let rounds = out.get("rounds").unwrap();
            let rumors = out.get("traffic").unwrap() * 3000.0;
            let (req, nacks) = (out.get("requests").unwrap(), out.get("feedback_messages").unwrap());
            assert_eq!(out.get("messages"), Some(rumors + req + nacks));
            if mode == Mode::Pull {
                assert_eq!(req, 3000.0 * rounds);
            } else {
                // Every node initiates once per round: a push if spreading, a request otherwise.
                assert!(req < 3000.0 * rounds && req + rumors >= 3000.0 * rounds);
            }
            let s = &out.series.iter().find(|(n, _)| n == "susceptible_fraction").unwrap().1;
            assert_eq!(*s.last().unwrap(), out.get("residual").unwrap());
            assert_eq!(s.len() as f64, rounds + 1.0);
            assert!(out.analytic.is_empty(), "the formulas are for push");
        }
    }

    /// On a path 0 - 1 - 2 from node 0, push with the counter at its limit 255: node 1 hears in round 1,
    /// node 2 in some round from 2 on. dissem's t_ave leaves the source out; Demers et al.'s counts it at 0.
    #[test]
    fn arrival_times_with_and_without_the_source() {
        let mut b = GraphBuilder::new(3);
        b.edge(0, 1).edge(1, 2);
        let path = Topology::from(b.build().unwrap());
        let p = RumorParams { stop: StopRule::Counter, k: 255, ..RumorParams::default() };
        let out = run(&p, &path, Network::default(), 3, 0);
        assert_eq!(out.get("residual"), Some(0.0));
        // Node 0's only neighbour is node 1: told in round 1. Node 1 picks node 2 with probability 1/2 per
        // round from round 2 on, and keeps spreading (at most 254 wasted contacts before it would stop).
        let t2 = out.get("t_last").unwrap();
        assert!(t2 >= 2.0);
        assert_eq!(out.get("t_ave"), Some((1.0 + t2) / 2.0));
        assert_eq!(out.get("t_ave_demers"), Some((0.0 + 1.0 + t2) / 3.0));
        // On the complete graph, t_ave_demers = t_ave (I - 1)/I for I informed nodes.
        let t = Topology::complete(1000).unwrap();
        for out in runs(&RumorParams::default(), &t, 5, 4) {
            let informed = 1000.0 - out.get("residual_nodes").unwrap();
            let (ave, demers) = (out.get("t_ave").unwrap(), out.get("t_ave_demers").unwrap());
            assert!((demers - ave * (informed - 1.0) / informed).abs() < 1e-12, "{ave} {demers}");
            assert!(demers < ave && out.get("t_last").unwrap() > ave);
        }
    }

    #[test]
    fn event_driven_modes_die_out_on_a_graph_and_repeat() {
        let mut b = GraphBuilder::new(200);
        for v in 0..200 {
            b.edge(v, (v + 1) % 200).edge(v, (v * 7 + 3) % 200);
        }
        let t = Topology::from(b.build().unwrap());
        for mode in [Mode::Push, Mode::Pull, Mode::PushPull] {
            for feedback in [true, false] {
                let p = RumorParams {
                    mode,
                    feedback,
                    timing: Timing::Periodic { period: 5, jitter: 0.4 },
                    ..RumorParams::default()
                };
                let net = Network { latency: sim_core::network::Latency::Uniform { min: 1, max: 3 }, loss: 0.0 };
                let out = run(&p, &t, net, 8, 1);
                assert_eq!(out.get("died_out"), Some(1.0), "{mode:?} {feedback}");
                assert!(out.get("t_last").unwrap() <= out.get("rounds").unwrap());
                assert_eq!(out, run(&p, &t, net, 8, 1));
            }
        }
    }

    #[test]
    fn anti_entropy_after_the_rumor_reaches_everyone() {
        let t = Topology::complete(5000).unwrap();
        for timing in [Timing::Rounds, Timing::Poisson { period: 10 }] {
            let p = RumorParams { k: 1, timing, then_anti_entropy: Some(Mode::PushPull), ..RumorParams::default() };
            let out = run(&p, &t, Network::default(), 3, 0);
            assert!(out.get("residual").unwrap() > 0.1, "k = 1 leaves about 20% ignorant");
            let ae = out.get("ae_rounds").unwrap();
            assert!(ae > 0.0 && ae < 10.0, "{ae}");
            let total = out.get("messages").unwrap() + out.get("ae_messages").unwrap();
            assert_eq!(out.get("total_messages"), Some(total));
            let ign = &out.series.iter().find(|(n, _)| n == "ae_ignorant_fraction").unwrap().1;
            assert_eq!(ign[0], out.get("residual").unwrap());
            assert_eq!(*ign.last().unwrap(), 0.0);
        }
    }

    #[test]
    fn validation() {
        let t = Topology::complete(10).unwrap();
        let bad = RumorParams { stop: StopRule::Counter, k: 300, ..RumorParams::default() };
        assert_eq!(bad.validate("model", &t).unwrap_err().field, "model.k");
        let bad = RumorParams { source: NodeRef::Index(10), ..RumorParams::default() };
        assert_eq!(bad.validate("model", &t).unwrap_err().field, "model.source");
        let bad = RumorParams {
            knew_at: KnewAt::RoundStart,
            timing: Timing::Poisson { period: 10 },
            ..RumorParams::default()
        };
        assert_eq!(bad.validate("model", &t).unwrap_err().field, "model.knew_at");
        let bad = RumorParams { counts: Counts::Consecutive, ..RumorParams::default() };
        assert_eq!(bad.validate("model", &t).unwrap_err().field, "model.counts");
        let bad = RumorParams {
            counts: Counts::Consecutive,
            stop: StopRule::Counter,
            feedback: false,
            ..RumorParams::default()
        };
        assert_eq!(bad.validate("model", &t).unwrap_err().field, "model.counts");
        assert!(RumorParams::default().validate("model", &t).is_ok());
    }
}
