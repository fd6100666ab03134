//! Karp, Schindelhauer, Shenker and Vöcking's median-counter algorithm ("Randomized Rumor Spreading", FOCS
//! 2000, §3): push-pull rumor spreading that stops by itself after O(N log log N) transmissions.
//!
//! In the random phone-call model every node calls one random peer per round, informed or not; over each
//! connection (caller → callee) the rumor may travel both ways: from an informed caller (push) and from an
//! informed callee (pull). A node does not know whether its partner already has the rumor (the algorithm is
//! address-oblivious), so a node that transmits at all transmits over every connection it has that round.
//! Each node is in one of four states:
//!
//! * **A**: does not know the rumor; transmits nothing.
//! * **B-m** (`1 ≤ m < ctr_max`): knows the rumor and sends it, with its counter `m`, over every
//!   connection. A node that first receives the rumor from B nodes only moves to B-1; the source starts in
//!   B-1 (in C when `ctr_max` is 1, which leaves no B state).
//! * **C**: sends the rumor over every connection for `c_rounds` more rounds, then moves to D.
//! * **D**: knows the rumor and sends nothing any more.
//!
//! **The median rule** (our reading of §3; the paper's text was not at hand, so this follows its published
//! summary and the implementations that cite it): at the end of a round, a node in B-m looks at the
//! partners it had during the round — its callee and every caller — counting a partner that sent the rumor
//! with counter `m' ≥ m` as at or above, and a partner that sent nothing (a node in A or D, or whose message
//! was lost) or a counter below `m` as below. If strictly more partners are at or above than below — the
//! lower median of their counters, silence counting 0, is at least `m` — the node moves to B-(m+1), and at
//! `ctr_max` to C. A node in A or B that receives the rumor from a node in C moves to C at once. So counters
//! rise only once most partners know the rumor (about half the nodes do), then about one per round: the
//! B phase ends O(log log N) rounds after the rumor has reached half of the nodes, by which time pull has
//! squared the uninformed fraction down from 1/2 at every round, and the C phase lets the last ones pull.
//!
//! **Defaults** (the paper fixes `ctr_max = O(log log N)` and the C phase to O(log log N) rounds, with
//! constants left to the analysis): `ctr_max = ⌈log2 log2 N⌉ + 1` and `c_rounds = ⌈log2 log2 N⌉`, the
//! number of squarings that take the uninformed fraction from 1/2 below 1/N (N = 1000: 5 and 4; N = 10^6:
//! 6 and 5). See [`default_ctr_max`] and [`default_c_rounds`].
//!
//! **Timing.** States change only at the end of a round ([`Gossip::end_round`]), so every exchange of a round
//! sees the states the round began with, in both timings: in synchronous rounds every node calls once per
//! round (the paper's model); event-driven, a round is one period, a node calls when its timer fires (zero,
//! one or two times in a period with jitter or exponential gaps) and the median is taken over the partners it
//! met during the period (an answer arriving after the period its call was made in still informs the caller,
//! but counts as silence in that period's median).
//!
//! **Metrics.** `transmissions` counts the rumor sends (push and pull, lost ones included); `traffic` is
//! transmissions per node, the same measure as rumor spreading's `m`. `t_last`: the round in which the last
//! node to be informed first received the rumor; `rounds`: the round at whose end the last transmitting node
//! stopped (all nodes in A or D). In synchronous rounds on any connected graph, every node in B or C at the
//! start of a round pushes exactly once in it, so `push_transmissions` equals the node-rounds spent in B or C
//! (an exact check counting the same transmissions from the states instead of the sends); and on the complete
//! graph without loss (where it is checked) the harness's message count equals N calls per round plus the pull
//! transmissions.
//!
//! References beside the metrics: `log3 N` for `t_last` (push-pull informs everyone in
//! `log3 N + O(log log N)` rounds, Karp et al. §2) and `ln ln N` for `traffic` (O(N ln ln N)
//! transmissions). Both are asymptotic orders, so neither is checked; a residue of 0 is checked (Karp et al.:
//! every node is informed with high probability) on the complete graph without loss, within the 95% interval
//! and never narrower than the rule of three over the runs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::network::Network;
use sim_core::topology::Topology;
use sim_core::trace::Sink;
use sim_core::{NodeId, Time};

use super::check_connected;
use super::replicas::series_bytes;
use crate::gossip::{Gossip, GossipModel, GossipParams, Harness, Incoming, Net, Timing, check_turns};
use crate::model::{Env, Size};
use crate::{Check, MAX_ROUNDS, MetricDoc, ModelError, NodeRef, Outcome, check_range, join};

/// Largest `ctr_max` and `c_rounds` (the paper's O(log log N) is 5 at N = 2^32).
pub const MAX_PHASE: u32 = 64;

/// Parameters of a median-counter run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MedianCounterParams {
    /// The node that starts with the rumor (in state B-1): its index, or its id in the topology file.
    #[serde(default)]
    pub source: NodeRef,
    /// Counter value at which a node leaves state B for C (B-1 … B-(ctr_max − 1)); absent:
    /// ⌈log2 log2 N⌉ + 1.
    #[serde(default)]
    #[schemars(range(min = 1, max = MAX_PHASE))]
    pub ctr_max: Option<u32>,
    /// Rounds a node spends in state C, still transmitting, before it stops (state D); absent:
    /// ⌈log2 log2 N⌉.
    #[serde(default)]
    #[schemars(range(min = 0, max = MAX_PHASE))]
    pub c_rounds: Option<u32>,
    #[serde(default)]
    pub timing: Timing,
    /// Give up after this many rounds (event-driven: periods) if some node still transmits.
    #[serde(default = "default_max_rounds")]
    #[schemars(range(min = 1, max = MAX_ROUNDS))]
    pub max_rounds: u32,
}

fn default_max_rounds() -> u32 {
    1000
}

impl Default for MedianCounterParams {
    fn default() -> Self {
        MedianCounterParams {
            source: NodeRef::default(),
            ctr_max: None,
            c_rounds: None,
            timing: Timing::Rounds,
            max_rounds: default_max_rounds(),
        }
    }
}

/// ⌈log2 log2 N⌉ (at least 1): the rounds of squaring that take an uninformed fraction of 1/2 below 1/N.
fn log2_log2(n: u32) -> u32 {
    let l = f64::from(n.max(4)).log2().log2().ceil();
    l.max(1.0) as u32
}

/// The default `ctr_max` for `n` nodes: ⌈log2 log2 N⌉ + 1, so that a node counts ⌈log2 log2 N⌉ rounds in
/// which most of its partners are at least as far as itself.
pub fn default_ctr_max(n: u32) -> u32 {
    log2_log2(n) + 1
}

/// The default length of the C phase for `n` nodes: ⌈log2 log2 N⌉ rounds.
pub fn default_c_rounds(n: u32) -> u32 {
    log2_log2(n)
}

impl GossipParams for MedianCounterParams {
    /// Checks parameters against the topology; `prefix` is the scenario path of these parameters. Returns
    /// them with the source resolved to an index and the phase lengths filled in.
    fn validate(&self, prefix: &str, topology: &Topology) -> Result<Self, ModelError> {
        let source = self.source.resolve(join(prefix, "source"), topology)?;
        self.timing.validate(&join(prefix, "timing"))?;
        let n = topology.node_count();
        let ctr_max = self.ctr_max.unwrap_or_else(|| default_ctr_max(n));
        check_range(join(prefix, "ctr_max"), ctr_max.into(), 1, MAX_PHASE.into())?;
        let c_rounds = self.c_rounds.unwrap_or_else(|| default_c_rounds(n));
        check_range(join(prefix, "c_rounds"), c_rounds.into(), 0, MAX_PHASE.into())?;
        check_range(join(prefix, "max_rounds"), self.max_rounds.into(), 1, MAX_ROUNDS.into())?;
        // Every node calls every round until all stop: a run may take max_rounds × N turns.
        check_turns(join(prefix, "max_rounds"), self.max_rounds, n, 1)?;
        check_connected(topology, "the median-counter algorithm")?;
        Ok(MedianCounterParams { source, ctr_max: Some(ctr_max), c_rounds: Some(c_rounds), ..self.clone() })
    }
}

/// A node's state for the rumor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Does not know the rumor.
    A,
    /// Knows it and spreads it with counter `m` (1 ≤ m < ctr_max).
    B(u8),
    /// Spreads it for this many more rounds (≥ 1).
    C(u8),
    /// Knows it and has stopped.
    D,
}

impl State {
    /// What the node sends over its connections: its counter, or nothing (A, D).
    fn tag(self) -> Option<Tag> {
        match self {
            State::A | State::D => None,
            State::B(m) => Some(Tag::B(m)),
            State::C(_) => Some(Tag::C),
        }
    }
}

/// The rumor as it travels: with the sender's counter, or marked as sent from state C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    B(u8),
    C,
}

/// What a connection carries: the call (with the rumor if the caller spreads it), and the callee's answer
/// (the rumor, if it spreads it; a callee that does not stays silent). Both carry the round in which the call
/// was made, so that an answer arriving in a later round (event-driven, with latency) does not count among
/// the partners of a round that did not count its call.
#[derive(Clone, Copy, Debug)]
enum Msg {
    Call(Option<Tag>, u32),
    Answer(Tag, u32),
}

/// What a node met during the current round.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    /// Connections: its own delivered call, and every call it received.
    partners: u32,
    /// Partners that sent the rumor with a counter at or above the node's own (B nodes only).
    at_least: u32,
    /// Whether any partner sent the rumor at all, and whether one sent it from state C.
    heard: bool,
    heard_c: bool,
}

/// Moves a node from B-m (or A, m = 0) one counter step on: B-(m+1), or C at `ctr_max`.
fn count_up(m: u8, ctr_max: u8, c_rounds: u8) -> State {
    if m + 1 >= ctr_max { enter_c(c_rounds) } else { State::B(m + 1) }
}

/// State C for `c_rounds` rounds (D at once if there are none).
fn enter_c(c_rounds: u8) -> State {
    if c_rounds == 0 { State::D } else { State::C(c_rounds) }
}

/// The state after a round in which the node in `state` met `t`: the median rule (see the module docs).
fn next_state(state: State, t: Tally, ctr_max: u8, c_rounds: u8) -> State {
    match state {
        State::A if t.heard_c => enter_c(c_rounds),
        State::A if t.heard => count_up(0, ctr_max, c_rounds),
        State::B(_) if t.heard_c => enter_c(c_rounds),
        State::B(m) if 2 * t.at_least > t.partners => count_up(m, ctr_max, c_rounds),
        State::C(1) => State::D,
        State::C(k) => State::C(k - 1),
        s => s,
    }
}

/// The median-counter algorithm as a gossip protocol.
struct MedianCounter {
    n: u32,
    ctr_max: u8,
    c_rounds: u8,
    state: Vec<State>,
    tally: Vec<Tally>,
    /// Nodes in B or C.
    active: u32,
    informed: u32,
    /// Nodes in A that received the rumor this round (they move on at its end).
    pending: u32,
    /// Rumors that left their sender and have not arrived.
    in_flight: u64,
    push: u64,
    pull: u64,
    /// Σ over rounds of the nodes in B or C during the round.
    active_node_rounds: u64,
    /// Rounds ended so far: the round calls are made in now.
    round: u32,
    t_last: Time,
    /// The round at whose end the last spreading node stopped.
    last_stop: u32,
    uninformed: Vec<f64>,
    spreading: Vec<f64>,
}

impl MedianCounter {
    fn new(n: u32, source: NodeId, ctr_max: u8, c_rounds: u8) -> Self {
        let mut state = vec![State::A; n as usize];
        state[source as usize] = count_up(0, ctr_max, c_rounds);
        let active = u32::from(state[source as usize] != State::D);
        MedianCounter {
            n,
            ctr_max,
            c_rounds,
            state,
            tally: vec![Tally::default(); n as usize],
            active,
            informed: 1,
            pending: 0,
            in_flight: 0,
            push: 0,
            pull: 0,
            active_node_rounds: 0,
            round: 0,
            t_last: 0,
            last_stop: 0,
            uninformed: Vec::new(),
            spreading: Vec::new(),
        }
    }

    /// `v` receives the rumor with `tag` at time `now`; its counter is compared with `v`'s only when `counted`
    /// (the partner is among this round's connections).
    #[inline]
    fn hear(&mut self, v: NodeId, tag: Tag, now: Time, counted: bool) {
        let state = self.state[v as usize];
        let t = &mut self.tally[v as usize];
        if state == State::A && !t.heard {
            self.informed += 1;
            self.pending += 1;
            self.t_last = now;
        }
        t.heard = true;
        match (tag, state) {
            (Tag::C, _) => t.heard_c = true,
            (Tag::B(m2), State::B(m)) if counted && m2 >= m => t.at_least += 1,
            _ => {}
        }
    }
}

impl Gossip for MedianCounter {
    type Msg = Msg;
    type Timer = ();

    fn start(&mut self, _net: &mut impl Net<Msg, ()>) {}

    /// Every node calls a random peer; a spreading node sends the rumor with the call (push).
    #[inline]
    fn turn(&mut self, net: &mut impl Net<Msg, ()>, p: NodeId) {
        let Some(q) = net.peer(p) else {
            return;
        };
        let tag = self.state[p as usize].tag();
        let left = net.send(p, q, Msg::Call(tag, self.round));
        if tag.is_some() {
            self.push += 1;
            self.in_flight += u64::from(left);
        }
        if left {
            // A delivered call is a connection; the answer, if any, is tallied when it arrives.
            self.tally[p as usize].partners += 1;
        }
    }

    #[inline]
    fn receive(&mut self, net: &mut impl Net<Msg, ()>, msg: Msg, at: Incoming) {
        let now = net.now();
        match msg {
            Msg::Call(tag, made) => {
                self.tally[at.to as usize].partners += 1;
                if let Some(tag) = tag {
                    self.in_flight -= 1;
                    self.hear(at.to, tag, now, true);
                }
                if let Some(mine) = self.state[at.to as usize].tag() {
                    self.pull += 1;
                    let left = net.reply(at, Msg::Answer(mine, made));
                    self.in_flight += u64::from(left);
                }
            }
            Msg::Answer(tag, made) => {
                self.in_flight -= 1;
                // The caller counted the connection when its call was delivered, in round `made`: an answer
                // from an earlier round informs but does not count in this one's median.
                self.hear(at.to, tag, now, made == self.round);
            }
        }
    }

    /// Every node moves on by what it met during the round.
    fn end_round(&mut self, _net: &mut impl Net<Msg, ()>, round: u32) {
        self.active_node_rounds += u64::from(self.active);
        let was_active = self.active;
        for (s, t) in self.state.iter_mut().zip(&mut self.tally) {
            debug_assert!(t.at_least <= t.partners, "a round's median counts only its own partners");
            let next = next_state(*s, std::mem::take(t), self.ctr_max, self.c_rounds);
            let (before, after) = (matches!(*s, State::B(_) | State::C(_)), matches!(next, State::B(_) | State::C(_)));
            self.active = self.active + u32::from(after) - u32::from(before);
            *s = next;
        }
        self.pending = 0;
        self.round += 1;
        if was_active > 0 && self.active == 0 {
            self.last_stop = round;
        }
    }

    fn sample(&mut self) {
        let n = f64::from(self.n);
        self.uninformed.push(f64::from(self.n - self.informed) / n);
        self.spreading.push(f64::from(self.active) / n);
    }

    fn done(&self) -> bool {
        self.active == 0 && self.pending == 0 && self.in_flight == 0
    }

    fn describe(msg: &Msg) -> &'static str {
        match msg {
            Msg::Call(Some(_), _) => "call+rumor",
            Msg::Call(None, _) => "call",
            Msg::Answer(..) => "rumor",
        }
    }

    fn holds(&self, node: NodeId) -> bool {
        self.state[node as usize] != State::A || self.tally[node as usize].heard
    }
}

/// Runs the median-counter algorithm: run `run` of `seed` on `topology` under `network`. `params` must be
/// validated ([`MedianCounterParams::validate`]: phase lengths filled in).
pub fn run(params: &MedianCounterParams, topology: &Topology, network: Network, seed: u64, run: u64) -> Outcome {
    MedianCounterModel.run_with(params, &Env::new(topology.clone(), network), seed, run, None)
}

/// The median-counter algorithm as a [`GossipModel`], hence a [`Model`](crate::Model): `model.kind = "median_counter"`.
pub struct MedianCounterModel;

impl GossipModel for MedianCounterModel {
    const KIND: &'static str = "median_counter";
    const ABOUT: &'static str = "Karp et al.'s median-counter push-pull rumor spreading (FOCS 2000): every node \
                                 informed in O(log N) rounds with O(N log log N) transmissions, stopping by itself.";
    const METRICS: &'static [MetricDoc] = METRICS;
    type Params = MedianCounterParams;

    fn run_with(&self, params: &Self::Params, env: &Env, seed: u64, run: u64, sink: Option<&mut dyn Sink>) -> Outcome {
        let (topology, network) = (&*env.topology, env.network);
        let n = topology.node_count();
        let nf = f64::from(n);
        let phase = |v: Option<u32>| v.expect("validated parameters fill in the phase lengths") as u8;
        let mut g = MedianCounter::new(n, params.source.index(), phase(params.ctr_max), phase(params.c_rounds));
        let end = Harness::new(topology, network, params.timing, params.max_rounds).run_with(&mut g, seed, run, sink);
        let stopped = g.active == 0;
        let period = end.period as f64;
        let rounds = if stopped { f64::from(g.last_stop) } else { end.in_rounds(end.time) };
        let transmissions = (g.push + g.pull) as f64;
        let residual_nodes = f64::from(n - g.informed);
        let mut out = Outcome::default();
        out.metric("residual", residual_nodes / nf)
            .metric("residual_nodes", residual_nodes)
            .metric("t_last", g.t_last as f64 / period)
            .metric("rounds", rounds)
            .metric("stopped", f64::from(u8::from(stopped)))
            .metric("transmissions", transmissions)
            .metric("traffic", transmissions / nf)
            .metric("push_transmissions", g.push as f64)
            .metric("pull_transmissions", g.pull as f64)
            .metric("messages", end.traffic.sent as f64);
        out.series("uninformed_fraction", std::mem::take(&mut g.uninformed))
            .series("spreading_fraction", std::mem::take(&mut g.spreading));
        if params.timing == Timing::Rounds {
            out.analytic(
                "push_from_states",
                "push_transmissions",
                "node-rounds spent in B or C",
                g.active_node_rounds as f64,
                Check::Exact,
            );
            if network.loss == 0.0 && matches!(topology, Topology::Complete { .. }) {
                out.analytic(
                    "calls_and_answers",
                    "messages",
                    "N calls per round + pull transmissions",
                    nf * end.time as f64 + g.pull as f64,
                    Check::Exact,
                );
            }
        }
        if matches!(topology, Topology::Complete { .. }) {
            out.analytic("rounds_log3", "t_last", "log3 N", nf.ln() / 3f64.ln(), Check::Reference).analytic(
                "traffic_ln_ln",
                "traffic",
                "ln ln N",
                nf.ln().ln(),
                Check::Reference,
            );
            if network.loss == 0.0 && params.timing == Timing::Rounds {
                out.analytic(
                    "everyone_informed",
                    "residual",
                    "s = 0 (every node informed w.h.p.)",
                    0.0,
                    Check::WithinCiCount { rel_slack: 0.0, unit: 1.0 / nf },
                );
            }
        }
        out
    }

    /// Two bytes of state and a 12-byte tally per node, the event queue and links when event-driven, and
    /// the two per-round series.
    fn estimated_bytes(&self, params: &MedianCounterParams, size: &Size) -> u64 {
        size.nodes
            .saturating_mul(16)
            .saturating_add(size.edges.saturating_mul(16))
            .saturating_add(params.timing.estimated_bytes(size.nodes, size.edges))
            .saturating_add(series_bytes(2, params.max_rounds))
    }
}

/// What a median-counter run reports (`dissem metrics median_counter`).
pub const METRICS: &[MetricDoc] = &[
    MetricDoc::metric(
        "residual",
        "fraction",
        "Share of the nodes that never received the rumor.",
        "uninformed nodes at the end / N",
    ),
    MetricDoc::metric("residual_nodes", "nodes", "Nodes that never received the rumor.", "N − informed nodes"),
    MetricDoc::metric(
        "t_last",
        "rounds",
        "When the last node to be informed first received the rumor (0 if only the source knows it).",
        "last first-receipt time / period",
    ),
    MetricDoc::metric(
        "rounds",
        "rounds",
        "Until every node had stopped transmitting (all in state A or D), or the round limit.",
        "round at whose end the last node in B or C stopped (or end of the run)",
    ),
    MetricDoc::metric(
        "stopped",
        "0/1",
        "Whether every node had stopped transmitting before the round limit.",
        "1 if no node is in state B or C at the end, else 0",
    ),
    MetricDoc::metric(
        "transmissions",
        "messages",
        "Rumor transmissions: pushes by spreading callers and pulls answered by spreading callees.",
        "push_transmissions + pull_transmissions (lost ones included)",
    ),
    MetricDoc::metric(
        "traffic",
        "messages per node",
        "Rumor transmissions per node (rumor spreading's m).",
        "transmissions / N",
    ),
    MetricDoc::metric(
        "push_transmissions",
        "messages",
        "Calls that carried the rumor (caller in state B or C).",
        "count of calls from spreading nodes",
    ),
    MetricDoc::metric(
        "pull_transmissions",
        "messages",
        "Answers that carried the rumor back to a caller (callee in state B or C).",
        "count of answers",
    ),
    MetricDoc::metric(
        "messages",
        "messages",
        "Every message sent: a call per turn (one per node per round in synchronous rounds), plus the answers.",
        "sends counted by the network, lost ones included",
    ),
    MetricDoc::series(
        "uninformed_fraction",
        "fraction",
        "Share of nodes that have not received the rumor, before round 1 and after every round.",
        "uninformed nodes / N",
    ),
    MetricDoc::series(
        "spreading_fraction",
        "fraction",
        "Share of nodes in state B or C (transmitting), before round 1 and after every round.",
        "nodes in B or C / N",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sim_core::topology::GraphBuilder;

    fn params(ctr_max: u32, c_rounds: u32) -> MedianCounterParams {
        MedianCounterParams { ctr_max: Some(ctr_max), c_rounds: Some(c_rounds), ..MedianCounterParams::default() }
    }

    fn tally(partners: u32, at_least: u32) -> Tally {
        Tally { partners, at_least, heard: at_least > 0, heard_c: false }
    }

    /// The median rule by hand, ctr_max = 4, c_rounds = 2.
    #[test]
    fn median_rule_by_hand() {
        let next = |s, t| next_state(s, t, 4, 2);
        // B-2 met 3 partners: counters (silence, 1, 3) → lower median 1 < 2: stays; (silence, 2, 3) → 2: moves.
        assert_eq!(next(State::B(2), tally(3, 1)), State::B(2));
        assert_eq!(next(State::B(2), tally(3, 2)), State::B(3));
        // 4 partners, two at or above: a tie is no majority (the lower median is below).
        assert_eq!(next(State::B(2), tally(4, 2)), State::B(2));
        assert_eq!(next(State::B(2), tally(4, 3)), State::B(3));
        // A lone silent partner (a node in A or D) holds the counter.
        assert_eq!(next(State::B(1), tally(1, 0)), State::B(1));
        // B-3 counting up reaches ctr_max = 4: state C for c_rounds = 2 rounds, then D.
        assert_eq!(next(State::B(3), tally(2, 2)), State::C(2));
        assert_eq!(next(State::C(2), tally(5, 0)), State::C(1));
        assert_eq!(next(State::C(1), tally(5, 0)), State::D);
        // The rumor from a node in C sends A and B nodes to C whatever the counters.
        let from_c = Tally { partners: 3, at_least: 0, heard: true, heard_c: true };
        assert_eq!(next(State::B(1), from_c), State::C(2));
        assert_eq!(next(State::A, from_c), State::C(2));
        // A node in A that heard the rumor from B nodes only starts at B-1; one that heard nothing stays.
        assert_eq!(next(State::A, Tally { partners: 2, at_least: 0, heard: true, heard_c: false }), State::B(1));
        assert_eq!(next(State::A, tally(2, 0)), State::A);
        assert_eq!(next(State::D, from_c), State::D);
        // Without a C phase, C is skipped.
        assert_eq!(next_state(State::B(3), tally(1, 1), 4, 0), State::D);
    }

    /// Two nodes, ctr_max = 3, c_rounds = 1, by hand. Round 1: node 0 (B-1) pushes to node 1 and answers node
    /// 1's call (pull): node 1 is informed; node 0 met only silence and stays B-1. Rounds 2 and 3: both
    /// spread, each meets two partners at its own counter: B-2, then C. Round 4: both spread in C, then D.
    /// Transmissions: 2 + 4 + 4 + 4 = 14, half push, half pull; messages: 2 calls per round + 7 answers.
    #[test]
    fn two_nodes_by_hand() {
        let t = Topology::complete(2).unwrap();
        let out = run(&params(3, 1).validate("", &t).unwrap(), &t, Network::default(), 1, 0);
        for (metric, value) in [
            ("residual", 0.0),
            ("t_last", 1.0),
            ("rounds", 4.0),
            ("stopped", 1.0),
            ("transmissions", 14.0),
            ("push_transmissions", 7.0),
            ("pull_transmissions", 7.0),
            ("messages", 15.0),
            ("traffic", 7.0),
        ] {
            assert_eq!(out.get(metric), Some(value), "{metric}");
        }
        let spreading = &out.series.iter().find(|(n, _)| n == "spreading_fraction").unwrap().1;
        assert_eq!(spreading, &[0.5, 1.0, 1.0, 1.0, 0.0]);
    }

    /// The order of states: A, B-1 … B-(ctr_max − 1), C with rounds left counting down, D.
    fn rank(s: State, ctr_max: u8, c_rounds: u8) -> u32 {
        match s {
            State::A => 0,
            State::B(m) => u32::from(m),
            State::C(k) => u32::from(ctr_max) + u32::from(c_rounds - k),
            State::D => u32::from(ctr_max) + u32::from(c_rounds),
        }
    }

    fn any_state(ctr_max: u8, c_rounds: u8) -> impl Strategy<Value = State> {
        let b = (1..ctr_max.max(2)).prop_map(State::B);
        let c = (1..=c_rounds.max(1)).prop_map(State::C);
        prop_oneof![Just(State::A), b, c, Just(State::D)].prop_filter("reachable", move |s| match *s {
            State::B(m) => m < ctr_max,
            State::C(k) => k <= c_rounds,
            _ => true,
        })
    }

    proptest! {
        /// States only move forward, B by at most one counter step, and only with the rumor or a majority.
        #[test]
        fn states_are_monotone(
            (ctr_max, c_rounds, s) in (1u8..8, 0u8..5).prop_flat_map(|(m, c)| (Just(m), Just(c), any_state(m, c))),
            partners in 0u32..6, above in 0u32..6, heard_c in any::<bool>(),
        ) {
            let at_least = above.min(partners);
            let t = Tally { partners, at_least, heard: at_least > 0 || heard_c, heard_c };
            let next = next_state(s, t, ctr_max, c_rounds);
            let (r0, r1) = (rank(s, ctr_max, c_rounds), rank(next, ctr_max, c_rounds));
            prop_assert!(r1 >= r0, "{s:?} → {next:?}");
            if let (State::B(m), State::B(m2)) = (s, next) {
                prop_assert!(m2 == m || (m2 == m + 1 && 2 * at_least > partners));
            }
            if s == State::A && !t.heard {
                prop_assert_eq!(next, State::A);
            }
        }

        /// Whole runs on small complete graphs, in rounds: every node ends in A or D once all stop, the
        /// transmissions add up, and the two exact counts hold.
        #[test]
        fn runs_add_up(n in 2u32..60, ctr_max in 1u32..6, c_rounds in 0u32..4, seed in 0u64..1000) {
            let t = Topology::complete(n).unwrap();
            let p = params(ctr_max, c_rounds).validate("", &t).unwrap();
            let out = run(&p, &t, Network::default(), seed, 0);
            let get = |m: &str| out.get(m).unwrap();
            prop_assert_eq!(get("transmissions"), get("push_transmissions") + get("pull_transmissions"));
            prop_assert!((get("residual_nodes") - f64::from(n) * get("residual")).abs() < 1e-9);
            prop_assert!(get("stopped") == 0.0 || get("t_last") <= get("rounds"));
            for a in &out.analytic {
                if a.check == Check::Exact {
                    prop_assert_eq!(get(&a.metric), a.value, "{}", a.name);
                }
            }
            prop_assert_eq!(out, run(&p, &t, Network::default(), seed, 0));
        }
    }

    #[test]
    fn defaults_follow_log2_log2_n() {
        assert_eq!((default_ctr_max(1000), default_c_rounds(1000)), (5, 4));
        assert_eq!((default_ctr_max(1_000_000), default_c_rounds(1_000_000)), (6, 5));
        assert_eq!((default_ctr_max(2), default_c_rounds(2)), (2, 1));
        let t = Topology::complete(1000).unwrap();
        let p = MedianCounterParams::default().validate("model", &t).unwrap();
        assert_eq!((p.ctr_max, p.c_rounds), (Some(5), Some(4)));
        let p: MedianCounterParams = serde_json::from_str(r#"{"ctr_max": 3, "timing": {"kind": "poisson"}}"#).unwrap();
        assert_eq!((p.ctr_max, p.c_rounds, p.timing), (Some(3), None, Timing::Poisson { period: 10 }));
        assert!(serde_json::from_str::<MedianCounterParams>(r#"{"ctr": 3}"#).is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let t = Topology::complete(10).unwrap();
        let field = |p: MedianCounterParams, topology: &Topology| p.validate("model", topology).unwrap_err().field;
        assert_eq!(field(params(0, 1), &t), "model.ctr_max");
        assert_eq!(field(params(65, 1), &t), "model.ctr_max");
        assert_eq!(field(params(3, 65), &t), "model.c_rounds");
        let p = MedianCounterParams { max_rounds: 0, ..MedianCounterParams::default() };
        assert_eq!(field(p, &t), "model.max_rounds");
        let p = MedianCounterParams { source: NodeRef::Index(10), ..MedianCounterParams::default() };
        assert_eq!(field(p, &t), "model.source");
        let p = MedianCounterParams { timing: Timing::Periodic { period: 10, jitter: 1.5 }, ..Default::default() };
        assert_eq!(field(p, &t), "model.timing.jitter");
        let mut b = GraphBuilder::new(4);
        b.edge(0, 1).edge(2, 3);
        let split = Topology::from(b.build().unwrap());
        assert!(MedianCounterParams::default().validate("model", &split).unwrap_err().message.contains("disconnected"));
    }

    /// Event-driven (exponential timers, latency 1–3) and on a sparse graph in rounds, the default phases
    /// still inform everyone and stop; the runs repeat.
    #[test]
    fn event_driven_and_graph_runs_inform_everyone_and_stop() {
        let complete = Topology::complete(500).unwrap();
        let p = MedianCounterParams { timing: Timing::Poisson { period: 10 }, ..Default::default() }
            .validate("", &complete)
            .unwrap();
        let net = Network { latency: sim_core::network::Latency::Uniform { min: 1, max: 3 }, loss: 0.0 };
        let mut b = GraphBuilder::new(300);
        for v in 0..300 {
            b.edge(v, (v + 1) % 300).edge(v, (v * 7 + 3) % 300);
        }
        let graph = Topology::from(b.build().unwrap());
        let q = MedianCounterParams::default().validate("", &graph).unwrap();
        for (p, t, net) in [(&p, &complete, net), (&q, &graph, Network::default())] {
            let out = run(p, t, net, 5, 2);
            assert_eq!((out.get("residual"), out.get("stopped")), (Some(0.0), Some(1.0)), "{:?}", p.timing);
            assert!(out.get("t_last").unwrap() <= out.get("rounds").unwrap());
            assert_eq!(out, run(p, t, net, 5, 2));
        }
        // Latency up to 2.5 periods: many answers arrive in a later round than their call. They inform, but
        // never count in a median whose round did not count their call (the debug assertion in `end_round`).
        let slow = Network { latency: sim_core::network::Latency::Uniform { min: 5, max: 25 }, loss: 0.0 };
        let out = run(&p, &complete, slow, 5, 3);
        assert_eq!(out.get("residual"), Some(0.0));
    }
}
