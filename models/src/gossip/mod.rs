//! A harness for gossip protocols: write a protocol's rule once, run it in synchronous rounds or
//! event-driven.
//!
//! A gossip protocol says three things ([`Gossip`]): what a node does when its **turn** comes (usually:
//! sample a peer and send it something), what a node does when a **message** arrives (possibly replying),
//! and what it **records** once per round. Everything else belongs to the harness ([`Harness`]):
//!
//! * the **clock** ([`Timing`]): synchronous rounds, or event-driven with per-node timers (a fixed period
//!   with uniform jitter, or exponential gaps) on the sim-core engine;
//! * **peer sampling** ([`Net::peer`]): uniform among all other nodes on the implicit complete graph,
//!   uniform among a node's neighbours on a graph;
//! * **links** ([`Net::send`], [`Net::reply`]): the network's loss in both timings, its latency when
//!   event-driven; a reply travels back over the link its request came on;
//! * **who takes turns** ([`Turns`]): every node, or only the nodes the protocol keeps awake
//!   ([`Net::wake`], [`Net::sleep`]), and which nodes are up ([`Net::set_up`]): a node that is down
//!   takes no turns and messages to it fail;
//! * protocol **timers** ([`Net::schedule`]), such as a client's write at a given time;
//! * **series**: [`Gossip::sample`] once before the first round and after every round (event-driven: at
//!   every multiple of the period);
//! * **limits**: at most `max_rounds` rounds (event-driven: `max_rounds` periods), or until
//!   [`Gossip::done`].
//!
//! # The two drivers
//!
//! **Synchronous rounds.** Round `r` (from 1) gives every node whose turn it is one turn, in index order
//! (or, with [`Order::Shuffled`], in an order drawn afresh each round). A message is delivered at once,
//! before the next turn, and so is the reply to it: exchanges are sequential and atomic. What a turn or a
//! delivery reads is the protocol's choice: [`Net::view`] is [`View::RoundStart`] here, and a protocol
//! that keeps the state of the start of the round ([`Gossip::begin_round`]) reads it for what the round
//! model says is seen "as of the start of the round" — the lecture's anti-entropy recursions assume that
//! exchanges see the previous round's state — and reads the current state otherwise. After the turns come
//! the timers set for that round, [`Gossip::end_round`], then [`Gossip::sample`]. Time ([`Net::now`]) is
//! the round number; a round is one time unit.
//!
//! **Event-driven.** Every node taking turns has a timer: the first fires uniformly in `1..=period`
//! (periodic) or after an exponential gap (Poisson), the next ones a period (± jitter) or a new gap later.
//! Messages take the network's latency and may be lost; [`Net::view`] is [`View::Now`]. One round is one
//! period: at every multiple of it the harness calls [`Gossip::end_round`] and [`Gossip::sample`]. When
//! [`Gossip::done`] turns true (checked after every event), the protocol samples once more — the state
//! every later sample would see — and the run stops.
//!
//! The same protocol value runs under either driver; so the rule, the draws it makes and the metrics it
//! keeps exist once. A protocol may replace the generic round ([`Gossip::round`]) by a faster form of
//! exactly the same steps for its state representation, with a test that both give identical results.
//!
//! # Random streams
//!
//! Peer choices, timer gaps and the protocol's own draws ([`Net::rng`]) come from the protocol lane of
//! `(seed, run)`; in rounds, loss is drawn from the network lane. Event-driven, latency and loss are drawn
//! by the sim-core engine.
//!
//! In rounds whose turns are every node in index order, the turns are cut into chunks of [`CHUNK_NODES`]
//! consecutive nodes, and each chunk of each round has a protocol and a network stream of its own, derived
//! from `(seed, run, round, chunk)` ([`Chunks`]); the rest of the run (start, timers, end of round) draws
//! from the run's streams. A chunk's draws do not depend on the chunks before it, so a faster form of the
//! round may run chunks on several threads and still give the same output on any number of threads.
//!
//! # Example
//!
//! Push spreading of one bit: every informed node tells a random peer each round.
//!
//! ```
//! use models::gossip::{Gossip, Harness, Incoming, Net, Timing};
//! use sim_core::NodeId;
//! use sim_core::network::Network;
//! use sim_core::topology::Topology;
//!
//! struct Push {
//!     informed: Vec<bool>,
//!     count: usize,
//!     series: Vec<f64>,
//! }
//!
//! impl Gossip for Push {
//!     type Msg = ();
//!     type Timer = ();
//!
//!     fn start(&mut self, _net: &mut impl Net<(), ()>) {
//!         self.informed[0] = true;
//!         self.count = 1;
//!     }
//!
//!     fn turn(&mut self, net: &mut impl Net<(), ()>, node: NodeId) {
//!         if self.informed[node as usize]
//!             && let Some(peer) = net.peer(node)
//!         {
//!             net.send(node, peer, ());
//!         }
//!     }
//!
//!     fn receive(&mut self, _net: &mut impl Net<(), ()>, _msg: (), at: Incoming) {
//!         if !std::mem::replace(&mut self.informed[at.to as usize], true) {
//!             self.count += 1;
//!         }
//!     }
//!
//!     fn sample(&mut self) {
//!         self.series.push(self.count as f64 / self.informed.len() as f64);
//!     }
//!
//!     fn done(&self) -> bool {
//!         self.count == self.informed.len()
//!     }
//! }
//!
//! let topology = Topology::complete(1000).unwrap();
//! for timing in [Timing::Rounds, Timing::Poisson { period: 10 }] {
//!     let mut push = Push { informed: vec![false; 1000], count: 0, series: Vec::new() };
//!     let end = Harness::new(&topology, Network::default(), timing, 100).run(&mut push, 1, 0);
//!     assert!(end.done && push.series.last() == Some(&1.0));
//! }
//! ```
//!
//! Note: this example reads the current state in its turn, so a node informed early in a round may
//! already spread in the same round; a protocol that wants the round model keeps a round-start copy.

// Researchers build on this module from their own crates: all of it is documented.
#![deny(missing_docs)]

mod events;
mod rounds;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sim_core::bitset::BitSet;
use sim_core::network::Network;
use sim_core::rng::{SimRng, below, unit};
use sim_core::topology::{ArcId, Topology};
use sim_core::trace::{NoTrace, Sink};
use sim_core::{NodeId, Time};

pub use rounds::{CHUNK_NODES, Chunk, Chunks, Round, Wire};

use crate::model::{Bound, Env, Model, Size};
use crate::tagged::{Variant, body, no_fields, tagged};
use crate::{MetricDoc, ModelError, Outcome, check_range, join};

/// A gossip protocol: its rule, written once for both drivers. See the [module docs](self).
///
/// Handlers reach the clock, the random stream, peers and links only through the [`Net`] they are
/// given, so that the same code runs in rounds and on the event engine.
pub trait Gossip: Sized {
    /// What nodes send each other.
    type Msg;
    /// The protocol's own timers, set with [`Net::schedule`] (for instance a client's write); `()` when
    /// there are none.
    type Timer;

    /// Who takes turns, read once before [`Gossip::start`]. Default: every node.
    fn turns(&self) -> Turns {
        Turns::All
    }

    /// Sets up time 0: writes the initial state, schedules timers, wakes the first nodes
    /// ([`Turns::Awake`]). The first sample follows.
    fn start(&mut self, net: &mut impl Net<Self::Msg, Self::Timer>);

    /// Synchronous rounds only: called before the turns of every round, to keep what the round's
    /// exchanges should see as [`View::RoundStart`].
    fn begin_round(&mut self) {}

    /// `node`'s turn: usually samples a peer ([`Net::peer`]) and sends it a message, or does nothing.
    fn turn(&mut self, net: &mut impl Net<Self::Msg, Self::Timer>, node: NodeId);

    /// A message arrives at `at.to` from `at.from`; [`Net::reply`] answers it.
    fn receive(&mut self, net: &mut impl Net<Self::Msg, Self::Timer>, msg: Self::Msg, at: Incoming);

    /// A timer set with [`Net::schedule`] fires at `node`. Default: nothing.
    fn timer(&mut self, _net: &mut impl Net<Self::Msg, Self::Timer>, _node: NodeId, _timer: Self::Timer) {}

    /// End of round `round` (from 1; event-driven: the `round`-th multiple of the period), before its
    /// sample: per-round housekeeping. Default: nothing.
    fn end_round(&mut self, _net: &mut impl Net<Self::Msg, Self::Timer>, _round: u32) {}

    /// Records the series: once at time 0 after [`Gossip::start`], after every round, and event-driven
    /// once more when the protocol is done.
    fn sample(&mut self);

    /// Whether the run can stop (checked after start, after every round, and event-driven after every
    /// event). Default: never; the run lasts `max_rounds`.
    fn done(&self) -> bool {
        false
    }

    /// What `msg` is, in a trace (`send`, `deliver` steps). Default: `message`.
    fn describe(_msg: &Self::Msg) -> &'static str {
        "message"
    }

    /// Whether `node` holds the update the protocol spreads: a traced run reports when each node first does
    /// (`inform` steps), checked after start, after every delivery (at both ends) and after every timer.
    /// Default: no node ever does (a protocol that spreads no update, such as averaging).
    fn holds(&self, _node: NodeId) -> bool {
        false
    }

    /// The turns of one synchronous round. The provided body is [`Round::turns`]; a protocol may replace
    /// it with a faster form of exactly the same steps and draws for its state (checking
    /// [`Round::in_index_order`]), and must then test that both give identical results.
    fn round(&mut self, round: &mut Round<'_, Self::Msg, Self::Timer>) {
        round.turns(self);
    }
}

/// What a protocol's handlers may use: the clock, the random stream, peers, links, timers, and who
/// takes turns. Implemented by both drivers.
pub trait Net<M, T> {
    /// Number of nodes.
    fn nodes(&self) -> u32;
    /// Current time: the round number in rounds (0 during start), the engine's time event-driven.
    fn now(&self) -> Time;
    /// Time units per round: 1 in rounds, the timing's period event-driven.
    fn period(&self) -> Time;
    /// Which state reads should see: [`View::RoundStart`] in rounds, [`View::Now`] event-driven.
    fn view(&self) -> View;
    /// The protocol's random stream.
    fn rng(&mut self) -> &mut SimRng;
    /// A uniformly random peer of `node`: any other node on the complete graph, a neighbour on a graph
    /// (`None` for a node without neighbours). One draw from [`Net::rng`].
    fn peer(&mut self, node: NodeId) -> Option<Peer>;
    /// Sends `msg` from `from` to `to`. Returns whether it left `from` and was not lost: false if the
    /// network dropped it, or (in rounds, where delivery is immediate) if `to` is down.
    fn send(&mut self, from: NodeId, to: Peer, msg: M) -> bool;
    /// Answers the message that arrived as `at`, over the link it came on; as [`Net::send`].
    fn reply(&mut self, at: Incoming, msg: M) -> bool;
    /// Fires `timer` at `node` at time `at` (≥ now): in rounds, after the turns of round `at`, or before
    /// round 1 for `at = 0`.
    fn schedule(&mut self, at: Time, node: NodeId, timer: T);
    /// With [`Turns::Awake`]: `node` takes turns from now on (in rounds: from the next round on; event-driven:
    /// its first turn comes one timer gap from now). No effect with [`Turns::All`].
    fn wake(&mut self, node: NodeId);
    /// With [`Turns::Awake`]: `node` takes no more turns (in rounds: after the current round, whose
    /// turns were fixed when it began). No effect with [`Turns::All`].
    fn sleep(&mut self, node: NodeId);
    /// Brings `node` up or down. A node that is down takes no turns (its timers keep running) and
    /// messages to it fail (counted in [`Traffic::failed`]): in rounds when sent, event-driven when
    /// they arrive.
    fn set_up(&mut self, node: NodeId, up: bool);
    /// Whether `node` is up (all nodes are at first).
    fn is_up(&self, node: NodeId) -> bool;
}

/// A peer to send to: a node and the link that leads there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The peer.
    pub node: NodeId,
    link: Link,
}

/// How a message arrived: sender, receiver, and the link it came over (to reply along it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incoming {
    /// The sender.
    pub from: NodeId,
    /// The receiver.
    pub to: NodeId,
    link: Link,
}

/// Which state a read sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The current state.
    Now = 0,
    /// The state at the start of the current synchronous round.
    RoundStart = 1,
}

/// Which nodes take turns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turns {
    /// Every node that is up, every round.
    All,
    /// Only the nodes the protocol wakes ([`Net::wake`]) until it puts them to sleep ([`Net::sleep`]).
    /// In rounds they take turns in the order they were woken, earlier ones first.
    Awake,
}

/// The order of turns within a synchronous round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// Node index order ([`Turns::All`]) or wake order ([`Turns::Awake`]).
    #[default]
    Index,
    /// A uniform permutation of them, drawn afresh before every round from the protocol's stream.
    Shuffled,
}

/// Longest period of an event-driven timing, like every latency below 2^32 time units: `max_rounds`
/// periods then stay far below 2^64.
pub const MAX_PERIOD: Time = u32::MAX as Time;

/// When nodes take the initiative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Timing {
    /// Synchronous rounds: every node takes its turn once per round; exchanges are atomic.
    #[default]
    Rounds,
    /// Event-driven: each node fires every `period ± jitter·period` time units (uniform integer jitter),
    /// its first firing uniform in `1..=period`.
    Periodic {
        /// Time units between a node's initiatives (one round).
        #[serde(default = "default_period")]
        #[schemars(range(min = 1, max = MAX_PERIOD))]
        period: Time,
        /// Fraction of the period, in [0, 1).
        #[serde(default)]
        #[schemars(range(min = 0), extend("exclusiveMaximum" = 1))]
        jitter: f64,
    },
    /// Event-driven: exponential gaps with mean `period` (rounded up to whole time units, at least 1).
    Poisson {
        /// Mean time units between a node's initiatives (one round).
        #[serde(default = "default_period")]
        #[schemars(range(min = 1, max = MAX_PERIOD))]
        period: Time,
    },
}

/// Read with `crate::tagged`, so that a unit variant refuses fields and errors name the inner field.
impl<'de> Deserialize<'de> for Timing {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// The fields of `periodic`, with their defaults.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Periodic {
            #[serde(default = "default_period")]
            period: Time,
            #[serde(default)]
            jitter: f64,
        }
        /// The fields of `poisson`, with their defaults.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Poisson {
            #[serde(default = "default_period")]
            period: Time,
        }
        const VARIANTS: &[Variant<Timing>] = &[
            ("rounds", |m| no_fields(m).map(|()| Timing::Rounds)),
            ("periodic", |m| body(m).map(|p: Periodic| Timing::Periodic { period: p.period, jitter: p.jitter })),
            ("poisson", |m| body(m).map(|p: Poisson| Timing::Poisson { period: p.period })),
        ];
        tagged(d, VARIANTS)
    }
}

fn default_period() -> Time {
    10
}

impl Timing {
    /// The length of one round in time units (1 for synchronous rounds).
    pub fn period(&self) -> Time {
        match *self {
            Timing::Rounds => 1,
            Timing::Periodic { period, .. } | Timing::Poisson { period } => period,
        }
    }

    /// Checks the period and jitter; `prefix` is the path of the timing within the parameters.
    pub fn validate(&self, prefix: &str) -> Result<(), ModelError> {
        let check_period = |period: Time| check_range(join(prefix, "period"), period, 1, MAX_PERIOD);
        match *self {
            Timing::Rounds => Ok(()),
            Timing::Periodic { period, jitter } => {
                check_period(period)?;
                if (0.0..1.0).contains(&jitter) {
                    Ok(())
                } else {
                    Err(ModelError::new(join(prefix, "jitter"), format!("must lie in [0, 1), got {jitter}")))
                }
            }
            Timing::Poisson { period } => check_period(period),
        }
    }

    /// Memory an event-driven run needs beyond the protocol's state: about one queued timer per node and
    /// the reverse-link table of a graph (`edges` stored edges); 0 in rounds.
    pub fn estimated_bytes(&self, nodes: u64, edges: u64) -> u64 {
        match self {
            Timing::Rounds => 0,
            _ => nodes.saturating_mul(32).saturating_add(edges.saturating_mul(8)),
        }
    }

    /// The timer distribution of the event-driven driver; `None` for synchronous rounds.
    fn clock(&self) -> Option<Clock> {
        match *self {
            Timing::Rounds => None,
            Timing::Periodic { period, jitter } => {
                Some(Clock::Periodic { period, spread: (jitter * period as f64).floor() as Time })
            }
            Timing::Poisson { period } => Some(Clock::Poisson { mean: period as f64 }),
        }
    }
}

/// Gaps between a node's turns, event-driven.
#[derive(Clone, Copy, Debug)]
enum Clock {
    Periodic { period: Time, spread: Time },
    Poisson { mean: f64 },
}

impl Clock {
    /// Delay of a node's first turn: uniform in `1..=period`, so that nodes are out of phase.
    fn first(self, rng: &mut SimRng) -> Time {
        match self {
            Clock::Periodic { period, .. } => 1 + Time::from(below(rng, period.min(u64::from(u32::MAX)) as u32)),
            Clock::Poisson { .. } => self.gap(rng),
        }
    }

    fn gap(self, rng: &mut SimRng) -> Time {
        match self {
            Clock::Periodic { period, spread: 0 } => period,
            Clock::Periodic { period, spread } => {
                period - spread + Time::from(below(rng, (2 * spread + 1).min(u64::from(u32::MAX)) as u32))
            }
            Clock::Poisson { mean } => ((-(1.0 - unit(rng)).ln() * mean).ceil() as Time).max(1),
        }
    }
}

/// The graph arc a message took ([`Link::NONE`] on the implicit complete graph and in rounds), so that
/// the receiver can answer along the same link. 4 bytes, to keep queued events small.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link {
    arc: u32,
}

impl Link {
    const NONE: Link = Link { arc: u32::MAX };

    fn arc(self) -> Option<ArcId> {
        (self.arc != Link::NONE.arc).then_some(self.arc as ArcId)
    }
}

/// The nodes that are down (allocated when the first goes down), and how many.
#[derive(Debug, Default)]
struct Down {
    nodes: Option<BitSet>,
    count: u32,
}

impl Down {
    fn set(&mut self, n: u32, node: NodeId, up: bool) {
        let down = self.nodes.get_or_insert_with(|| BitSet::new(n));
        if up == down.get(node) {
            if up {
                down.clear(node);
                self.count -= 1;
            } else {
                down.set(node);
                self.count += 1;
            }
        }
    }

    #[inline]
    fn is_up(&self, node: NodeId) -> bool {
        self.count == 0 || self.nodes.as_ref().is_none_or(|d| !d.get(node))
    }
}

/// Messages counted by the harness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Every message sent, including those lost or failed.
    pub sent: u64,
    /// Dropped by the network's loss.
    pub lost: u64,
    /// Addressed to a node that was down.
    pub failed: u64,
}

impl std::ops::Add for Traffic {
    type Output = Traffic;

    fn add(self, o: Traffic) -> Traffic {
        Traffic { sent: self.sent + o.sent, lost: self.lost + o.lost, failed: self.failed + o.failed }
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct End {
    /// Rounds run (synchronous), or the time of the last event (event-driven).
    pub time: Time,
    /// Time units per round (1 in rounds).
    pub period: Time,
    /// Whether [`Gossip::done`] ended the run (rather than the round limit).
    pub done: bool,
    /// Messages sent, lost and failed.
    pub traffic: Traffic,
}

impl End {
    /// Rounds begun: `time / period` rounded up.
    pub fn rounds(&self) -> u32 {
        self.time.div_ceil(self.period) as u32
    }

    /// `time` in rounds (a fraction event-driven).
    pub fn in_rounds(&self, time: Time) -> f64 {
        time as f64 / self.period as f64
    }
}

/// A gossip protocol's parameters, checked against the topology by [`prepare`].
pub trait GossipParams: Clone {
    /// Checks the parameters against `topology`; `prefix` is their scenario path, which errors name the field
    /// under (or they name the topology). Returns them completed where they leave something to the topology
    /// (a node named rather than numbered, a length that depends on the node count).
    fn validate(&self, prefix: &str, topology: &Topology) -> Result<Self, ModelError>;
}

/// A gossip protocol's [`Model::prepare`]: refuses a network that loses every
/// message, then binds the validated parameters to `env`. No gossip protocol could spread anything over such a
/// network, and a run that waits for convergence would last all of its rounds (10^6 rounds of 10^4 nodes:
/// minutes) to show it.
pub fn prepare<P: GossipParams>(params: &P, env: &Env) -> Result<Bound<P>, ModelError> {
    if env.network.loss < 1.0 {
        return Ok(Bound::new(params.validate("", &env.topology)?, env));
    }
    Err(ModelError::outside(
        "network.loss",
        format!(
            "is {}: every message would be lost, so a gossip protocol could spread nothing and would run all its \
             rounds; allowed: [0, 1)",
            env.network.loss
        ),
    ))
}

/// A gossip protocol as a [`Model`]: what differs from one gossip model to the next. Every `GossipModel` is a
/// [`Model`] (one implementation for all of them) whose prepared form is [`Bound`]: [`prepare`] checks the
/// parameters, [`Model::run`] is [`GossipModel::run_with`] without a sink and [`Model::run_traced`] with one.
/// Register it as any model (`runner::Registry::with`).
///
/// The blanket implementation keeps [`Model`]'s defaults for the rest, so a `GossipModel` cannot check its
/// parameters when the scenario is read ([`Model::check`]: it checks nothing), tell a progress observer how far a
/// long run has got ([`Model::run_observed`]: it reports nothing), or keep a prepared form of its own (anything
/// worked out once per scenario rather than once per run). Hence [`GossipModel::estimated_bytes`] receives the
/// parameters as written, before [`GossipParams::validate`] has checked them, and must stay bounded whatever
/// they hold (saturating arithmetic). A protocol
/// that needs any of these implements [`Model`] itself, with [`prepare`], as anti-entropy (its exact expected
/// rounds, worked out once per scenario) and the examples' ttl-push (its exact expected reach) do.
pub trait GossipModel: Send + Sync + 'static {
    /// The `model.kind` tag ([`Model::KIND`]).
    const KIND: &'static str;
    /// One sentence on what the model simulates ([`Model::ABOUT`]).
    const ABOUT: &'static str;
    /// Every metric, series and distribution a run may emit ([`Model::METRICS`]).
    const METRICS: &'static [MetricDoc] = &[];
    /// The `model` object of a scenario, minus `kind` ([`Model::Params`]).
    type Params: GossipParams + Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static;

    /// Run `run` of `seed` with `params` (checked by [`GossipParams::validate`]) on `env`'s topology under its
    /// network, reporting every message and first receipt to `sink` if there is one ([`Harness::run_with`]).
    fn run_with(&self, params: &Self::Params, env: &Env, seed: u64, run: u64, sink: Option<&mut dyn Sink>) -> Outcome;

    /// Peak memory of one run beyond the topology's own arrays ([`Model::estimated_bytes`]).
    fn estimated_bytes(&self, params: &Self::Params, size: &Size) -> u64;
}

impl<G: GossipModel> Model for G {
    const KIND: &'static str = <G as GossipModel>::KIND;
    const ABOUT: &'static str = <G as GossipModel>::ABOUT;
    const METRICS: &'static [MetricDoc] = <G as GossipModel>::METRICS;
    type Params = G::Params;
    type Prepared = Bound<G::Params>;

    fn prepare(&self, params: &G::Params, env: &Env) -> Result<Bound<G::Params>, ModelError> {
        prepare(params, env)
    }

    fn run(&self, b: &Bound<G::Params>, seed: u64, run: u64) -> Outcome {
        self.run_with(&b.params, &b.env, seed, run, None)
    }

    fn run_traced(&self, b: &Bound<G::Params>, seed: u64, run: u64, sink: &mut dyn Sink) -> Option<Outcome> {
        Some(self.run_with(&b.params, &b.env, seed, run, Some(sink)))
    }

    fn estimated_bytes(&self, params: &G::Params, size: &Size) -> u64 {
        GossipModel::estimated_bytes(self, params, size)
    }
}

/// Most turns a run of fixed length may take (rounds × nodes, each turn weighted by the protocol's work per
/// turn relative to one pairwise exchange): about 10–30 s. Each parameter within its bound could otherwise make
/// hours together (10^6 rounds of 10^4 nodes).
pub const MAX_TURNS: u64 = 1_000_000_000;

/// Refuses a run that always lasts `rounds` rounds (`field`, its path) of `nodes` turns of `weight` exchanges
/// each when that is more than [`MAX_TURNS`].
pub fn check_turns(field: String, rounds: u32, nodes: u32, weight: u64) -> Result<(), ModelError> {
    let turns = u64::from(rounds).saturating_mul(u64::from(nodes)).saturating_mul(weight);
    if turns <= MAX_TURNS {
        return Ok(());
    }
    let per_turn = if weight == 1 { String::new() } else { format!(" × {weight} (work per turn)") };
    Err(ModelError::new(
        field.clone(),
        format!(
            "{field} × nodes{per_turn} = {turns} turns, more than the {MAX_TURNS} a run may take; use fewer \
             rounds or nodes"
        ),
    ))
}

/// Where, how and how long a gossip protocol runs.
#[derive(Clone, Copy, Debug)]
pub struct Harness<'t> {
    topology: &'t Topology,
    network: Network,
    timing: Timing,
    max_rounds: u32,
    order: Order,
}

impl<'t> Harness<'t> {
    /// Runs on `topology` under `network` (loss in both timings, latency event-driven) with `timing`,
    /// for at most `max_rounds` rounds (event-driven: `max_rounds` periods).
    pub fn new(topology: &'t Topology, network: Network, timing: Timing, max_rounds: u32) -> Self {
        Harness { topology, network, timing, max_rounds, order: Order::Index }
    }

    /// The order of turns within a synchronous round (default [`Order::Index`]).
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// Runs `protocol` as run `run` of `seed`.
    pub fn run<G: Gossip>(&self, protocol: &mut G, seed: u64, run: u64) -> End {
        match self.timing.clock() {
            None => rounds::run(self, protocol, seed, run, NoTrace),
            Some(clock) => events::run(self, clock, protocol, seed, run, &mut NoTrace),
        }
    }

    /// [`Harness::run_traced`] into `sink` if there is one, [`Harness::run`] otherwise.
    pub fn run_with<G: Gossip>(&self, protocol: &mut G, seed: u64, run: u64, sink: Option<&mut dyn Sink>) -> End {
        match sink {
            Some(sink) => self.run_traced(protocol, seed, run, sink),
            None => self.run(protocol, seed, run),
        }
    }

    /// [`Harness::run`], reporting every message sent (named by [`Gossip::describe`]), dropped and delivered,
    /// and every node's first holding of the update ([`Gossip::holds`]), to `sink`. The same draws, so the
    /// same run: in rounds it takes the generic round ([`Round::turns`]), which a protocol's faster form is
    /// tested to equal.
    pub fn run_traced<G: Gossip>(&self, protocol: &mut G, seed: u64, run: u64, sink: &mut dyn Sink) -> End {
        match self.timing.clock() {
            None => rounds::run(self, protocol, seed, run, sim_core::trace::Labelled::new(sink, G::describe)),
            Some(clock) => events::run_traced(self, clock, protocol, seed, run, sink),
        }
    }
}

#[cfg(test)]
mod tests;
