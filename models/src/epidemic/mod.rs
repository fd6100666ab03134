//! Epidemic protocols: anti-entropy, rumor spreading (gossiping), death certificates and aggregation.
//!
//! Vocabulary (lecture): a **round** is the time in which every live node has taken the initiative once.
//! A node contacts a **peer** chosen uniformly among all other nodes on [`Topology::Complete`] and among
//! its neighbours on a graph.
//!
//! Every protocol here runs in one of two timing models ([`Timing`]):
//!
//! * **synchronous rounds** (`"rounds"`): in round `i` every node initiates one exchange, and every exchange
//!   of round `i` sees the state at the end of round `i - 1` (what it learns becomes visible in round
//!   `i + 1`). This is the model the lecture's recursions describe, and the fast path. (Rumor spreading
//!   departs from it in one respect, whether a contacted node already knew; see [`rumor`].)
//! * **event-driven** (`"periodic"`, `"poisson"`) on the sim-core engine: each node has its own timer (a fixed
//!   period with uniform jitter, or exponential gaps), and each message takes the network's latency. One
//!   round is one (mean) period; series are sampled once per period.
//!
//! Submodules: [`anti_entropy`], [`rumor`], [`death`], [`aggregation`]; [`analysis`] holds the formulas as
//! pure functions (recursions, the rumor residue) so that reports can draw analytic curves without running.

pub mod aggregation;
pub mod analysis;
pub mod anti_entropy;
pub mod death;
mod replicas;

pub use replicas::{ENTRY_BYTES, UpdateSpec};
pub mod rumor;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::engine::Context;
use sim_core::rng::{SimRng, below, unit};
use sim_core::topology::{ArcId, Topology};
use sim_core::{NodeId, Time};

use crate::{ModelError, join};

/// Who sends to whom in an exchange between the initiator P and its peer Q.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// P sends its updates to Q.
    Push,
    /// P fetches Q's updates.
    Pull,
    /// Both: afterwards P and Q hold the same state.
    #[default]
    PushPull,
}

impl Mode {
    pub fn pushes(self) -> bool {
        self != Mode::Pull
    }

    pub fn pulls(self) -> bool {
        self != Mode::Push
    }
}

/// When nodes take the initiative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Timing {
    /// Synchronous rounds: exchanges of round i see the state at the end of round i - 1.
    #[default]
    Rounds,
    /// Event-driven: each node fires every `period ± jitter·period` time units (uniform integer jitter),
    /// its first firing uniform in `1..=period`.
    Periodic {
        #[serde(default = "default_period")]
        period: Time,
        /// Fraction of the period, in [0, 1).
        #[serde(default)]
        jitter: f64,
    },
    /// Event-driven: exponential gaps with mean `period` (rounded up to whole time units, at least 1).
    Poisson {
        #[serde(default = "default_period")]
        period: Time,
    },
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

    pub fn validate(&self, prefix: &str) -> Result<(), ModelError> {
        match *self {
            Timing::Rounds => Ok(()),
            Timing::Periodic { period, jitter } => {
                check_period(prefix, period)?;
                if (0.0..1.0).contains(&jitter) {
                    Ok(())
                } else {
                    Err(ModelError::new(join(prefix, "jitter"), format!("must lie in [0, 1), got {jitter}")))
                }
            }
            Timing::Poisson { period } => check_period(prefix, period),
        }
    }

    /// The timer distribution of the event-driven models; `None` for synchronous rounds.
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

fn check_period(prefix: &str, period: Time) -> Result<(), ModelError> {
    if period == 0 { Err(ModelError::new(join(prefix, "period"), "must be at least 1")) } else { Ok(()) }
}

/// Gaps between a node's initiatives in the event-driven models.
#[derive(Clone, Copy, Debug)]
enum Clock {
    Periodic { period: Time, spread: Time },
    Poisson { mean: f64 },
}

impl Clock {
    /// Delay of a node's first initiative: uniform in `1..=period`, so that nodes are out of phase.
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

/// A message's way from sender to receiver: the graph arc it took ([`Link::NONE`] on the implicit complete
/// graph), so that the receiver can answer along the same link. 4 bytes, to keep queued events small.
#[derive(Clone, Copy, Debug)]
struct Link {
    arc: u32,
}

impl Link {
    const NONE: Link = Link { arc: u32::MAX };

    fn arc(self) -> Option<ArcId> {
        (self.arc != Link::NONE.arc).then_some(self.arc as ArcId)
    }
}

/// Peer choice and sending for the event-driven models.
struct Links<'t> {
    topology: &'t Topology,
    /// On a graph, the arc in the opposite direction of each arc.
    reverse: Vec<u32>,
}

impl<'t> Links<'t> {
    fn new(topology: &'t Topology) -> Self {
        let reverse = match topology {
            Topology::Complete { .. } => Vec::new(),
            Topology::Graph(g) => {
                // The two arcs of an edge, found through the edge: first seen arc per edge, then pair them.
                let mut first = vec![ArcId::MAX; g.edge_count()];
                let arcs = (0..g.node_count()).flat_map(|v| g.arcs(v));
                let count = arcs.clone().count();
                assert!(count < u32::MAX as usize, "{count} arcs do not fit the 32-bit links of the epidemic models");
                let mut reverse = vec![0; count];
                for a in arcs {
                    let e = g.arc_edge(a) as usize;
                    if first[e] == ArcId::MAX {
                        first[e] = a;
                    } else {
                        reverse[a] = first[e] as u32;
                        reverse[first[e]] = a as u32;
                    }
                }
                reverse
            }
        };
        Links { topology, reverse }
    }

    /// A uniformly random neighbour of `v` (same draw as [`Topology::random_neighbor`]).
    #[inline]
    fn pick(&self, v: NodeId, rng: &mut SimRng) -> Option<(NodeId, Link)> {
        match self.topology {
            Topology::Complete { .. } => self.topology.random_neighbor(v, rng).map(|q| (q, Link::NONE)),
            Topology::Graph(g) => {
                let arcs = g.arcs(v);
                let d = arcs.len() as u32;
                (d > 0).then(|| {
                    let a = arcs.start + below(rng, d) as ArcId;
                    (g.arc_target(a), Link { arc: a as u32 })
                })
            }
        }
    }

    #[inline]
    fn send<M, T>(ctx: &mut Context<'_, M, T>, from: NodeId, to: NodeId, link: Link, msg: M) {
        match link.arc() {
            Some(a) => ctx.send_arc(from, a, msg),
            None => ctx.send(from, to, msg),
        }
    }

    /// The link back from the receiver of a message that came over `link`.
    #[inline]
    fn back(&self, link: Link) -> Link {
        link.arc().map_or(Link::NONE, |a| Link { arc: self.reverse[a] })
    }
}

/// Checks that `node` exists in `topology`.
fn check_node(field: String, node: NodeId, topology: &Topology) -> Result<(), ModelError> {
    if node < topology.node_count() {
        Ok(())
    } else {
        Err(ModelError::new(
            field,
            format!("node {node} does not exist; the topology has nodes 0..{}", topology.node_count() - 1),
        ))
    }
}

/// Gossip needs every node to reach every other: rejects disconnected graphs.
fn check_connected(topology: &Topology, what: &str) -> Result<(), ModelError> {
    match topology.as_graph() {
        Some(g) => {
            let sizes = g.component_sizes();
            if sizes.len() > 1 {
                Err(ModelError::topology(format!(
                    "the graph is disconnected ({} components, the largest has {} of {} nodes); {what} needs a \
                         connected graph",
                    sizes.len(),
                    sizes[0],
                    g.node_count()
                )))
            } else {
                Ok(())
            }
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::rng::{Lane, stream};
    use sim_core::topology::GraphBuilder;

    #[test]
    fn reverse_arcs_point_back() {
        let mut b = GraphBuilder::new(4);
        b.edge(0, 1).edge(1, 2).edge(2, 0).edge(2, 3);
        let t = Topology::from(b.build().unwrap());
        let links = Links::new(&t);
        let g = t.as_graph().unwrap();
        for v in 0..4 {
            for a in g.arcs(v) {
                let r = links.reverse[a] as ArcId;
                assert_eq!(g.arc_edge(r), g.arc_edge(a));
                assert_eq!(g.arc_target(r), v);
            }
        }
    }

    /// Scenario files name these parameters: empty objects give the defaults, variants parse, typos fail.
    #[test]
    fn parameters_parse_from_json() {
        use super::aggregation::AggregationParams;
        use super::anti_entropy::AntiEntropyParams;
        use super::death::{Collection, DeathParams};
        use super::rumor::RumorParams;
        assert_eq!(serde_json::from_str::<AntiEntropyParams>("{}").unwrap(), AntiEntropyParams::default());
        assert_eq!(serde_json::from_str::<RumorParams>("{}").unwrap(), RumorParams::default());
        assert_eq!(serde_json::from_str::<DeathParams>("{}").unwrap(), DeathParams::default());
        assert_eq!(serde_json::from_str::<AggregationParams>("{}").unwrap(), AggregationParams::default());
        let p: AntiEntropyParams = serde_json::from_str(
            r#"{"mode": "push", "timing": {"kind": "periodic", "period": 20, "jitter": 0.1},
                "updates": [{"key": 1, "node": 3, "at": 2}, {"key": 2}]}"#,
        )
        .unwrap();
        assert_eq!(p.mode, Mode::Push);
        assert_eq!(p.timing, Timing::Periodic { period: 20, jitter: 0.1 });
        assert_eq!(p.updates[1].node, None, "no node: a random one");
        let r: RumorParams =
            serde_json::from_str(r#"{"stop": "counter", "feedback": false, "then_anti_entropy": "pull"}"#).unwrap();
        assert_eq!(r.then_anti_entropy, Some(Mode::Pull));
        let d: DeathParams = serde_json::from_str(r#"{"collection": {"kind": "global"}}"#).unwrap();
        assert_eq!(d.collection, Collection::Global);
        assert!(serde_json::from_str::<RumorParams>(r#"{"mod": "push"}"#).is_err());
        assert!(
            serde_json::from_str::<AntiEntropyParams>(r#"{"timing": {"kind": "poisson", "jitter": 0.1}}"#).is_err()
        );
        assert!(serde_json::from_str::<DeathParams>(r#"{"collection": {"kind": "lifetime"}}"#).is_err());
        let schema = serde_json::to_string(&schemars::schema_for!(AntiEntropyParams)).unwrap();
        assert!(schema.contains("push_pull") && schema.contains("periodic"));
    }

    #[test]
    fn clock_gaps_respect_their_bounds() {
        let mut rng = stream(1, 0, Lane::Protocol);
        let c = Timing::Periodic { period: 10, jitter: 0.35 }.clock().unwrap();
        for _ in 0..1000 {
            assert!((7..=13).contains(&c.gap(&mut rng)));
            assert!((1..=10).contains(&c.first(&mut rng)));
        }
        let p = Timing::Poisson { period: 10 }.clock().unwrap();
        let n = 20_000;
        let mean = (0..n).map(|_| p.gap(&mut rng) as f64).sum::<f64>() / f64::from(n);
        // ceil adds about 0.5; sd of the mean is 10/sqrt(20000) ≈ 0.07, so ±0.35 is 5 sd.
        assert!((mean - 10.5).abs() < 0.35, "{mean}");
    }
}
