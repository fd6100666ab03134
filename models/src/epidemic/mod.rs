//! Epidemic protocols: anti-entropy, rumor spreading (gossiping), death certificates and aggregation.
//!
//! Vocabulary (lecture): a **round** is the time in which every live node has taken the initiative once.
//! A node contacts a **peer** chosen uniformly among all other nodes on [`Topology::Complete`] and among
//! its neighbours on a graph.
//!
//! Each protocol states its exchange once, as a [`crate::gossip::Gossip`] protocol, and runs in either
//! timing model of the gossip harness ([`Timing`](crate::gossip::Timing)):
//!
//! * **synchronous rounds** (`"rounds"`): in round `i` every node initiates one exchange, and every exchange
//!   of round `i` sees the state at the end of round `i - 1` (what it learns becomes visible in round
//!   `i + 1`). This is the model the lecture's recursions describe, and the fast path. (Rumor spreading
//!   departs from it in one respect, whether a contacted node already knew; see [`rumor`]. Aggregation's
//!   exchanges see the values the previous ones left, as in its paper; see [`aggregation`].)
//! * **event-driven** (`"periodic"`, `"poisson"`) on the sim-core engine: each node has its own timer (a fixed
//!   period with uniform jitter, or exponential gaps), and each message takes the network's latency. One
//!   round is one (mean) period; series are sampled once per period.
//!
//! The network's loss applies to every message in both.
//!
//! Submodules: [`anti_entropy`], [`rumor`], [`median_counter`] (Karp et al.'s push-pull that stops by
//! itself), [`death`], [`aggregation`]; [`analysis`] holds the formulas as
//! pure functions (recursions, the rumor residue) so that reports can draw analytic curves without running.
//! The anti-entropy exchange itself, shared by anti-entropy, death certificates and the phase after rumor
//! spreading, lives in the private module `replicas`, with its two state representations.

pub mod aggregation;
pub mod analysis;
pub mod anti_entropy;
pub mod death;
pub mod median_counter;
mod replicas;

pub use replicas::{ENTRY_BYTES, UpdateSpec};
pub mod rumor;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::topology::Topology;

use crate::ModelError;

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
    /// Whether the initiator sends its updates.
    pub fn pushes(self) -> bool {
        self != Mode::Pull
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
    use crate::gossip::Timing;

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
        assert_eq!((d.collection, d.timing), (Collection::Global, Timing::Rounds));
        let d: DeathParams = serde_json::from_str(r#"{"timing": {"kind": "poisson", "period": 5}}"#).unwrap();
        assert_eq!(d.timing, Timing::Poisson { period: 5 });
        let a: AggregationParams = serde_json::from_str(r#"{"cycles": 4, "timing": {"kind": "periodic"}}"#).unwrap();
        assert_eq!(a.timing, Timing::Periodic { period: 10, jitter: 0.0 });
        assert!(serde_json::from_str::<RumorParams>(r#"{"mod": "push"}"#).is_err());
        assert!(
            serde_json::from_str::<AntiEntropyParams>(r#"{"timing": {"kind": "poisson", "jitter": 0.1}}"#).is_err()
        );
        assert!(serde_json::from_str::<DeathParams>(r#"{"collection": {"kind": "lifetime"}}"#).is_err());
        let schema = serde_json::to_string(&schemars::schema_for!(AntiEntropyParams)).unwrap();
        assert!(schema.contains("push_pull") && schema.contains("periodic"));
    }
}
