//! What event-driven ALM does once a group's tree is built, when nodes fail (`"timing": {"kind": "events",
//! "churn": {...}}`): the parameters, the failure schedule every group of a run shares, and what a group's
//! repairs and later multicasts measured. The protocol itself is in [`super::events`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::Time;
use sim_core::rng::{Lane, derive_seed, partial_shuffle, stream};

use crate::chord::churn::MAX_SUCCESSORS;
use crate::chord::events::{
    Failure, Lifetime, MAX_FAILURES, check_failures, check_timeout, default_successors, default_timeout_rtts, failing,
    one,
};
use crate::gossip::MAX_PERIOD;
use crate::{Check, ModelError, Outcome, check_range, join};

/// Most multicasts after the first (each one is a pass over the tree and a count per member).
pub const MAX_MULTICASTS: u32 = 10_000;

/// Most messages and timers the churn phases of a run's groups may take together (about a minute on one
/// core), estimated from the parameters before the run.
pub const MAX_CHURN_EVENTS: f64 = 1e9;

/// When a node does not fail.
pub(crate) const NEVER: Time = Time::MAX;

/// Keeps the failure schedule's draws apart from every other stream of the same (seed, run).
const SCHEDULE_STREAM: u64 = 0x616c_6d63_6872;

/// Node failures, heartbeats, repairs and periodic multicasts after a group's tree is built and its first
/// multicast delivered (the start of churn, from which every time here counts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChurnParams {
    /// How long each node stays up from the start of churn (exponential or Pareto, Chord's laws); it then
    /// fails for good (nodes do not come back). Default: no session ends.
    #[serde(default)]
    pub session: Option<Lifetime>,
    /// Fractions of the live nodes failing at once, at times counted from the start of churn (at least one
    /// node stays up), each at its own time; at most 1000.
    #[serde(default)]
    #[schemars(length(max = MAX_FAILURES))]
    pub failures: Vec<Failure>,
    /// Multicasts the group's root sends after the first, one every `multicast_every` time units from the
    /// start of churn; 1..=10,000.
    #[serde(default = "default_multicasts")]
    #[schemars(range(min = 1, max = MAX_MULTICASTS))]
    pub multicasts: u32,
    /// Time units between multicasts, 1..=2^32 − 1.
    #[schemars(range(min = 1, max = MAX_PERIOD))]
    pub multicast_every: Time,
    /// Time units between a tree node's heartbeats to its parent, 1..=2^32 − 1.
    #[schemars(range(min = 1, max = MAX_PERIOD))]
    pub heartbeat: Time,
    /// A node waits `timeout_rtts` round-trip times (plus `timeout_min`) for a heartbeat or JOIN to be
    /// answered; 1..=1000.
    #[serde(default = "default_timeout_rtts")]
    #[schemars(range(min = 1, max = 1000))]
    pub timeout_rtts: f64,
    /// Time units added to every timeout, 1..=2^32 − 1.
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = MAX_PERIOD))]
    pub timeout_min: Time,
    /// Length r of the successor list each node routes by (its r successors on the ring at the start).
    #[serde(default = "default_successors")]
    #[schemars(range(min = 1, max = MAX_SUCCESSORS))]
    pub successors: u32,
}

fn default_multicasts() -> u32 {
    10
}

impl ChurnParams {
    /// Checks the bounds; errors name fields within `prefix`.
    pub fn validate(&self, prefix: &str) -> Result<(), ModelError> {
        let field = |f: &str| join(prefix, f);
        if let Some(session) = &self.session {
            session.validate(&field("session"))?;
        }
        check_failures(prefix, &self.failures)?;
        // Failures at one time would each count the other's victims as down before it, while the expected
        // cut draws them from one pool.
        let mut times: Vec<(Time, usize)> = self.failures.iter().enumerate().map(|(i, f)| (f.time, i)).collect();
        times.sort_unstable();
        if let Some(w) = times.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(ModelError::new(
                field(&format!("failures[{}].time", w[1].1)),
                format!("{} is also the time of failures[{}]: each failure needs its own time", w[1].0, w[0].1),
            ));
        }
        check_range(field("multicasts"), self.multicasts.into(), 1, MAX_MULTICASTS.into())?;
        check_range(field("multicast_every"), self.multicast_every, 1, MAX_PERIOD)?;
        check_range(field("heartbeat"), self.heartbeat, 1, MAX_PERIOD)?;
        check_timeout(prefix, self.timeout_rtts, self.timeout_min)?;
        check_range(field("successors"), self.successors.into(), 1, MAX_SUCCESSORS.into())
    }

    /// Checks that the groups' churn phases take at most [`MAX_CHURN_EVENTS`] messages, timers and steps,
    /// given a bound on the tree nodes of all groups together, the `hops` a member is at most below its root
    /// and the `nodes` of the overlay: each tree node sends a heartbeat every `heartbeat` (a message, its
    /// answer and its timer) and forwards every multicast; the phase lasts about
    /// `(multicasts + 1) · multicast_every`; every later multicast and every scheduled failure walks from each
    /// member up to the root (`hops` steps), and drawing a failure's victims is a pass over the nodes.
    pub fn check_work(&self, prefix: &str, tree_nodes: f64, hops: f64, nodes: f64) -> Result<(), ModelError> {
        let (multicasts, failures) = (f64::from(self.multicasts), self.failures.len() as f64);
        let duration = (multicasts + 1.0) * self.multicast_every as f64;
        let heartbeats = tree_nodes * 3.0 * duration / self.heartbeat as f64;
        let (later, failed) = (tree_nodes * multicasts * (1.0 + hops), failures * (tree_nodes * hops + nodes));
        let events = heartbeats + later + failed;
        if events > MAX_CHURN_EVENTS {
            let field = if failed >= heartbeats.max(later) {
                "failures"
            } else if later >= heartbeats {
                "multicasts"
            } else {
                "heartbeat"
            };
            return Err(ModelError::new(
                join(prefix, field),
                format!(
                    "about {events:.3e} heartbeats, multicast copies and walks to the root over {tree_nodes:.0} tree \
                     nodes, more than the {MAX_CHURN_EVENTS:e} a run may take: use a longer heartbeat, fewer \
                     multicasts or failures, or a shorter multicast_every"
                ),
            ));
        }
        Ok(())
    }

    /// Whether any node fails.
    pub(crate) fn fails(&self) -> bool {
        self.session.is_some() || self.failures.iter().any(|f| f.fraction > 0.0)
    }
}

/// Which nodes fail and when, drawn once per run and the same for every group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Schedule {
    /// Per overlay node: when it fails, counted from the start of churn ([`NEVER`]: it does not).
    pub death: Vec<Time>,
    /// Per scheduled failure (in the order listed): the nodes it takes down, sorted, and how many nodes were
    /// up when it struck (the pool they were drawn from).
    pub failures: Vec<(Vec<u32>, u32)>,
    /// Every finite death time, sorted.
    pub deaths_sorted: Vec<Time>,
}

impl Schedule {
    /// Session ends for `n` nodes, then the scheduled failures in time order, each drawing its nodes
    /// uniformly from those still up (session ends at the same time come first).
    pub fn draw(p: &ChurnParams, n: u32, seed: u64, run: u64) -> Schedule {
        let mut rng = stream(derive_seed(seed, &[SCHEDULE_STREAM]), run, Lane::Protocol);
        let mut death = vec![NEVER; n as usize];
        if let Some(session) = &p.session {
            for d in &mut death {
                *d = session.draw(&mut rng);
            }
        }
        let mut order: Vec<usize> = (0..p.failures.len()).collect();
        order.sort_by_key(|&i| p.failures[i].time);
        let mut failures = vec![(Vec::new(), 0); p.failures.len()];
        for i in order {
            let Failure { time, fraction } = p.failures[i];
            let mut up: Vec<u32> = (0..n).filter(|&v| death[v as usize] > time).collect();
            let k = failing(fraction, up.len());
            let mut victims = partial_shuffle(&mut up, k, &mut rng).to_vec();
            for &v in &victims {
                death[v as usize] = time;
            }
            victims.sort_unstable();
            failures[i] = (victims, up.len() as u32);
        }
        let mut deaths_sorted: Vec<Time> = death.iter().copied().filter(|&d| d != NEVER).collect();
        deaths_sorted.sort_unstable();
        Schedule { death, failures, deaths_sorted }
    }

    /// Whether some node fails in `(from, to]` (offsets from the start of churn).
    pub fn death_within(&self, from: Time, to: Time) -> bool {
        let i = self.deaths_sorted.partition_point(|&d| d <= from);
        self.deaths_sorted.get(i).is_some_and(|&d| d <= to)
    }
}

/// One multicast after the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Multicast {
    /// Members up when it was due, other than the root.
    pub eligible: u32,
    /// Of those, the ones it did not reach (all of them if the root was down when it was due).
    pub missed: u32,
    /// Of those, the ones without a chain of live tree nodes up to the live root when it was sent.
    pub disconnected: u32,
    /// No node failed and no tree edge changed from its sending to its last delivery.
    pub unchanged: bool,
}

/// What a group's churn phase measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Repairs {
    /// When churn began (the tree complete and the first multicast delivered), in the group's time.
    pub start: Time,
    /// When the last multicast's last copy arrived (the end of the run).
    pub end: Time,
    /// The multicasts after the first, in order.
    pub multicasts: Vec<Multicast>,
    /// Live tree nodes that found their parent silent.
    pub orphans: u64,
    /// From a parent's failure to its orphan's being connected to the live root again, per repaired orphan.
    pub repair_times: Vec<Time>,
    /// JOIN messages sent after the start of churn (re-joins and the forwarders they make).
    pub rejoin_messages: u64,
    /// JOIN hops that timed out (the receiver had failed).
    pub join_timeouts: u64,
    /// Heartbeats and their answers.
    pub heartbeat_messages: u64,
    /// ∫ live tree nodes dt over the churn phase.
    pub node_time: u128,
    /// Times the root's role passed to another node (the key's new owner).
    pub root_changes: u64,
    /// The overlay node holding the root's role at the end.
    pub root: u32,
    /// Members connected to the live root just before a scheduled failure and cut off by it, summed over
    /// failures.
    pub failure_cut: u64,
    /// Its expectation given the trees just before the failures (`expected_cut` summed over them).
    pub failure_cut_expected: f64,
    /// Copies of later multicasts sent, to live and failed children.
    pub later_copies: u64,
    /// Of those, copies sent to a child that had failed (its parent had not yet found it silent).
    pub copies_to_dead: u64,
    /// Failed children their parents dropped, having heard no heartbeat from them for a period plus a timeout.
    pub children_dropped: u64,
    /// No later multicast was forwarded between a node's failure and the time by which its parent finds it
    /// silent (a heartbeat period, the timeout and the edge's delay, the largest of any tree edge): no copy
    /// can go to a failed child.
    pub detected_before_forwards: bool,
}

/// Expected number of the members connected just before a failure that it cuts off: `L` nodes up, `k` of
/// them failing uniformly at random, member v with `a_v` distinct live ancestors (the root included) is cut
/// iff it survives and one of them fails: P = (L−k)/L − C(L−1−a_v, k)/C(L, k), the second term being
/// Π_{j=0}^{a_v} (L−k−j)/(L−j).
pub(crate) fn expected_cut(live: u32, k: u32, ancestors: impl Iterator<Item = u32>) -> f64 {
    let (l, k) = (f64::from(live), f64::from(k));
    ancestors
        .map(|a| {
            let all_survive: f64 = (0..=a).map(|j| ((l - k - f64::from(j)) / (l - f64::from(j))).max(0.0)).product();
            (l - k) / l - all_survive
        })
        .sum()
}

/// A listed group's churn metrics (`<g>.multicasts`, `<g>.missed_per_multicast_*`, …) and checks: with no
/// failure, no multicast misses a member and no node is orphaned; the multicasts during which nothing
/// changed miss exactly the members that were cut off when they left; the members a scheduled failure cuts
/// off, against their expectation given the tree.
pub(crate) fn group_outcome(g: &str, p: &ChurnParams, r: &Repairs, out: &mut Outcome) {
    let name = |m: &str| format!("{g}.{m}");
    let missed = |m: &Multicast| f64::from(m.missed);
    let count = r.multicasts.len().max(1) as f64;
    let unchanged = r.multicasts.iter().filter(|m| m.unchanged);
    out.metric(&name("churn_start"), r.start as f64)
        .metric(&name("multicasts"), r.multicasts.len() as f64)
        .metric(&name("missed_per_multicast_mean"), r.multicasts.iter().map(missed).sum::<f64>() / count)
        .metric(&name("missed_per_multicast_max"), r.multicasts.iter().map(missed).fold(0.0, f64::max))
        .metric(
            &name("disconnected_per_multicast_mean"),
            r.multicasts.iter().map(|m| f64::from(m.disconnected)).sum::<f64>() / count,
        )
        .metric(&name("unchanged_multicasts"), unchanged.clone().count() as f64)
        .metric(&name("missed_unchanged"), unchanged.clone().map(missed).sum())
        .metric(&name("orphans"), r.orphans as f64)
        .metric(&name("repairs"), r.repair_times.len() as f64)
        .metric(&name("rejoin_messages"), r.rejoin_messages as f64)
        .metric(&name("join_timeouts"), r.join_timeouts as f64)
        .metric(&name("root_changes"), r.root_changes as f64)
        .metric(&name("later_copies"), r.later_copies as f64)
        .metric(&name("copies_to_dead"), r.copies_to_dead as f64)
        .metric(&name("children_dropped"), r.children_dropped as f64)
        .metric(&name("heartbeats_per_node_time"), r.heartbeat_messages as f64 / r.node_time.max(1) as f64);
    if let Some(&max) = r.repair_times.iter().max() {
        let sum: Time = r.repair_times.iter().sum();
        out.metric(&name("repair_time_mean"), sum as f64 / r.repair_times.len() as f64)
            .metric(&name("repair_time_max"), max as f64);
    }
    out.analytic(
        &name("missed_unchanged"),
        &name("missed_unchanged"),
        "Σ over the multicasts during which no node failed and no tree edge changed of the members up and \
         without a chain of live tree nodes to the live root when they left",
        unchanged.map(|m| f64::from(m.disconnected)).sum(),
        Check::Exact,
    );
    if !p.fails() {
        for metric in ["missed_per_multicast_max", "orphans", "rejoin_messages", "copies_to_dead", "children_dropped"] {
            out.analytic(&name(metric), &name(metric), "0: no node fails", 0.0, Check::Exact);
        }
    } else if r.detected_before_forwards {
        out.analytic(
            &name("copies_to_dead"),
            &name("copies_to_dead"),
            "0: every failed node found silent by its parent (a heartbeat period plus the timeout after its last \
             heartbeat arrived) before any later multicast was forwarded",
            0.0,
            Check::Exact,
        );
    }
    if !p.failures.is_empty() {
        out.metric(&name("failure_cut"), r.failure_cut as f64).analytic(
            &name("failure_cut"),
            &name("failure_cut"),
            "Σ over scheduled failures, over the members connected just before, of (L−k)/L − C(L−1−a, k)/C(L, k) \
             (L nodes up, k failing, a live ancestors); the metric's interval is conservative (the formula's \
             own spread over trees is part of it)",
            r.failure_cut_expected,
            Check::WithinCiCount { rel_slack: 0.0, unit: 1.0 },
        );
    }
}

/// Churn totals over every group (`all.missed_per_multicast_*`, `all.repair_time_*`, …).
pub(crate) fn totals<'r>(reports: impl Iterator<Item = &'r Repairs> + Clone, out: &mut Outcome) {
    let multicasts = reports.clone().flat_map(|r| &r.multicasts);
    let count = multicasts.clone().count().max(1) as f64;
    let times: Vec<Time> = reports.clone().flat_map(|r| r.repair_times.iter().copied()).collect();
    let heartbeats: u64 = reports.clone().map(|r| r.heartbeat_messages).sum();
    let node_time: u128 = reports.clone().map(|r| r.node_time).sum();
    out.metric("all.missed_per_multicast_mean", multicasts.clone().map(|m| f64::from(m.missed)).sum::<f64>() / count)
        .metric("all.missed_per_multicast_max", multicasts.map(|m| f64::from(m.missed)).fold(0.0, f64::max))
        .metric("all.orphans", reports.clone().map(|r| r.orphans as f64).sum())
        .metric("all.repairs", times.len() as f64)
        .metric("all.rejoin_messages", reports.clone().map(|r| r.rejoin_messages as f64).sum())
        .metric("all.later_copies", reports.clone().map(|r| r.later_copies as f64).sum())
        .metric("all.copies_to_dead", reports.clone().map(|r| r.copies_to_dead as f64).sum())
        .metric("all.heartbeats_per_node_time", heartbeats as f64 / node_time.max(1) as f64);
    if let Some(&max) = times.iter().max() {
        out.metric("all.repair_time_mean", times.iter().sum::<Time>() as f64 / times.len() as f64)
            .metric("all.repair_time_max", max as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(failures: Vec<Failure>, session: Option<Lifetime>) -> ChurnParams {
        ChurnParams {
            session,
            failures,
            multicasts: 3,
            multicast_every: 100,
            heartbeat: 10,
            timeout_rtts: 3.0,
            timeout_min: 1,
            successors: 4,
        }
    }

    #[test]
    fn failures_draw_from_the_nodes_still_up() {
        let p = params(
            vec![Failure { time: 50, fraction: 0.5 }, Failure { time: 10, fraction: 0.25 }],
            Some(Lifetime::Exponential { mean: 40.0 }),
        );
        let s = Schedule::draw(&p, 1000, 7, 0);
        assert_eq!(s, Schedule::draw(&p, 1000, 7, 0), "one seed, one schedule");
        for (i, (victims, up)) in s.failures.iter().enumerate() {
            let t = p.failures[i].time;
            assert_eq!(victims.len(), failing(p.failures[i].fraction, *up as usize));
            assert!(victims.iter().all(|&v| s.death[v as usize] == t));
        }
        // The later failure drew from the nodes up at 50: not those of the earlier one.
        assert!(s.failures[0].0.iter().all(|v| s.failures[1].0.binary_search(v).is_err()));
        assert!(s.failures[0].1 < s.failures[1].1);
        assert!(s.death_within(0, 10) && !s.death_within(NEVER - 1, NEVER));
    }

    #[test]
    fn expected_cut_is_exact_on_a_small_case() {
        // 4 nodes up, 1 fails: a member with one ancestor survives with its ancestor with probability 2/4,
        // survives at all with 3/4: cut with 1/4. A member with no ancestor (the root) is never cut.
        assert!((expected_cut(4, 1, [1, 0].into_iter()) - 0.25).abs() < 1e-12);
        // Enumerating the 6 pairs of 4 nodes failing 2: a member with 2 ancestors survives with both in none
        // of them (3 nodes of 4 must survive), survives in 3: cut in 3/6.
        assert!((expected_cut(4, 2, [2].into_iter()) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn errors_name_the_field() {
        let mut p = params(Vec::new(), None);
        p.heartbeat = 0;
        assert_eq!(p.validate("timing.churn").unwrap_err().field, "timing.churn.heartbeat");
        let p = params(vec![Failure { time: 1, fraction: 1.5 }], None);
        assert_eq!(p.validate("timing.churn").unwrap_err().field, "timing.churn.failures[0].fraction");
        let p = params(vec![Failure { time: 5, fraction: 0.1 }, Failure { time: 5, fraction: 0.2 }], None);
        assert_eq!(p.validate("timing.churn").unwrap_err().field, "timing.churn.failures[1].time");
        let p = params(Vec::new(), Some(Lifetime::Pareto { shape: 0.5, mean: 10.0 }));
        assert_eq!(p.validate("timing.churn").unwrap_err().field, "timing.churn.session.shape");
        let mut p = params(Vec::new(), None);
        p.timeout_rtts = 0.5;
        assert_eq!(p.validate("timing.churn").unwrap_err().field, "timing.churn.timeout_rtts");
        let p = params(Vec::new(), None);
        assert_eq!(p.check_work("timing.churn", 1e9, 33.0, 1e9).unwrap_err().field, "timing.churn.heartbeat");
        assert!(p.check_work("timing.churn", 1e3, 33.0, 1e3).is_ok());
        let p = params(vec![Failure { time: 1, fraction: 0.1 }; MAX_FAILURES + 1], None);
        let e = p.validate("timing.churn").unwrap_err();
        assert_eq!(e.field, "timing.churn.failures");
        assert!(e.message.contains("at most 1000"), "{}", e.message);
        // 1000 failures, each a walk from 10^5 tree nodes 33 hops up: 3.3·10^9 steps.
        let p = params((0..MAX_FAILURES as Time).map(|time| Failure { time, fraction: 0.1 }).collect(), None);
        assert!(p.validate("timing.churn").is_ok());
        assert_eq!(p.check_work("timing.churn", 1e5, 33.0, 1e5).unwrap_err().field, "timing.churn.failures");
        let mut p = params(Vec::new(), None);
        (p.multicasts, p.heartbeat) = (MAX_MULTICASTS, MAX_PERIOD);
        assert_eq!(p.check_work("timing.churn", 1e5, 33.0, 1e5).unwrap_err().field, "timing.churn.multicasts");
    }
}
