//! What event-driven ALM does once a group's tree is built, when nodes fail (`"timing": {"kind": "events",
//! "churn": {...}}`): the parameters, the failure schedule every group of a run shares, and what a group's
//! repairs and later multicasts measured. The protocol itself is in [`super::events`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::Time;
use sim_core::rng::{Lane, SimRng, derive_seed, partial_shuffle, stream};

use crate::chord::churn::{MAX_SUCCESSORS, default_successors};
use crate::chord::events::{
    Failure, Lifetime, MAX_FAILURES, check_failures, check_timeout, default_timeout_rtts, failing, one,
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
    /// How long each node stays up from the start of churn, and again after each return (exponential or
    /// Pareto, Chord's laws). Default: no session ends.
    #[serde(default)]
    pub session: Option<Lifetime>,
    /// How long a failed node stays down before it comes back with its identifier (same laws); a member
    /// that comes back joins its groups again. Default: failed nodes do not come back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downtime: Option<Lifetime>,
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
        if let Some(downtime) = &self.downtime {
            downtime.validate(&field("downtime"))?;
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
        // With `downtime`, each node fails and comes back about once per session and downtime: the schedule
        // holds two times per cycle, and every member's return is a timer and a JOIN of up to `hops` hops.
        let returns = self.cycles(self.schedule_span()) * (2.0 * nodes + tree_nodes * (2.0 + hops));
        let events = heartbeats + later + failed + returns;
        if events > MAX_CHURN_EVENTS {
            let (field, remedy) = if returns >= heartbeats.max(later).max(failed) {
                ("downtime", "use longer session and downtime means, or an earlier last failure".to_owned())
            } else if failed >= heartbeats.max(later) {
                ("failures", "use fewer failures".to_owned())
            } else if later >= heartbeats {
                ("multicasts", "use fewer multicasts".to_owned())
            } else {
                // Their ratio is what counts: either may be the value written wrong, so both are quoted.
                let remedy = format!(
                    "a heartbeat every {} time units over (multicasts + 1) × multicast_every = {} × {} time units; \
                     use a longer heartbeat or a shorter multicast_every",
                    self.heartbeat,
                    multicasts + 1.0,
                    self.multicast_every
                );
                ("heartbeat", remedy)
            };
            return Err(ModelError::new(
                join(prefix, field),
                format!(
                    "about {events:.3e} heartbeats, multicast copies, walks to the root and returns over \
                     {tree_nodes:.0} tree nodes, more than the {MAX_CHURN_EVENTS:e} a run may take: {remedy}"
                ),
            ));
        }
        Ok(())
    }

    /// Returns per node over the schedule, roughly (see [`ChurnParams::check_work`]).
    pub(crate) fn returns_per_node(&self) -> f64 {
        self.cycles(self.schedule_span())
    }

    /// How far [`Schedule::draw`] draws each node's failures and returns: the churn phase, or up to the last
    /// scheduled failure if that is later (a bound on the returns the work and memory estimates count).
    fn schedule_span(&self) -> f64 {
        let phase = (f64::from(self.multicasts) + 1.0) * self.multicast_every as f64;
        self.failures.iter().map(|f| f.time as f64).fold(phase, f64::max)
    }

    /// Returns per node over `duration` with `downtime` (none without): one per session plus downtime,
    /// and each scheduled failure's fraction.
    fn cycles(&self, duration: f64) -> f64 {
        match (&self.downtime, &self.session) {
            (None, _) => 0.0,
            (Some(down), session) => {
                let per_session = session.map_or(0.0, |s| duration / (s.mean() + down.mean()));
                per_session + self.failures.iter().map(|f| f.fraction).sum::<f64>()
            }
        }
    }

    /// Whether any node fails.
    pub(crate) fn fails(&self) -> bool {
        self.session.is_some() || self.failures.iter().any(|f| f.fraction > 0.0)
    }
}

/// Which nodes fail and come back, and when, drawn once per run and the same for every group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Schedule {
    /// Per overlay node v, `flips[flip_start[v]..flip_start[v + 1]]`: the times it fails and comes back,
    /// alternately (a failure first), counted from the start of churn, increasing.
    flips: Vec<Time>,
    flip_start: Vec<usize>,
    /// Per scheduled failure (in the order listed): the nodes it takes down, sorted, and how many nodes were
    /// up when it struck (the pool they were drawn from).
    pub failures: Vec<(Vec<u32>, u32)>,
    /// Every failure time of every node, sorted.
    pub deaths_sorted: Vec<Time>,
}

/// Appends to a node's flips, the last a failure, its returns and later failures up to the first time past
/// `horizon` (no return without `downtime`, no later failure without `session`).
fn live_on(flips: &mut Vec<Time>, p: &ChurnParams, horizon: Time, rng: &mut SimRng) {
    let Some(down) = &p.downtime else { return };
    while let Some(&last) = flips.last().filter(|&&t| t <= horizon) {
        let back = last.saturating_add(down.draw(rng));
        flips.push(back);
        match &p.session {
            Some(session) if back <= horizon => flips.push(back.saturating_add(session.draw(rng))),
            _ => return,
        }
    }
}

impl Schedule {
    /// Sessions (and with `downtime`, returns and further sessions) for `n` nodes up to the last multicast,
    /// then the scheduled failures in time order, each drawing its nodes uniformly from those up at its time
    /// (session ends at the same time come first, returns at the same time do not count) and starting their
    /// downtimes.
    pub fn draw(p: &ChurnParams, n: u32, seed: u64, run: u64) -> Schedule {
        let mut rng = stream(derive_seed(seed, &[SCHEDULE_STREAM]), run, Lane::Protocol);
        let last_failure = p.failures.iter().map(|f| f.time).max().unwrap_or(0);
        let horizon = Time::from(p.multicasts).saturating_mul(p.multicast_every).max(last_failure);
        let mut lines = vec![Vec::new(); n as usize];
        if let Some(session) = &p.session {
            for line in &mut lines {
                line.push(session.draw(&mut rng));
                live_on(line, p, horizon, &mut rng);
            }
        }
        let mut order: Vec<usize> = (0..p.failures.len()).collect();
        order.sort_by_key(|&i| p.failures[i].time);
        let mut failures = vec![(Vec::new(), 0); p.failures.len()];
        for i in order {
            let Failure { time, fraction } = p.failures[i];
            // Not a node coming back at that very time: it would fail before its session began.
            let mut up: Vec<u32> = (0..n)
                .filter(|&v| is_up(&lines[v as usize], time) && lines[v as usize].binary_search(&time).is_err())
                .collect();
            let k = failing(fraction, up.len());
            let mut victims = partial_shuffle(&mut up, k, &mut rng).to_vec();
            victims.sort_unstable();
            for &v in &victims {
                let line = &mut lines[v as usize];
                line.truncate(line.partition_point(|&t| t < time));
                line.push(time);
                live_on(line, p, horizon, &mut rng);
            }
            failures[i] = (victims, up.len() as u32);
        }
        Schedule::of_lines(lines, failures)
    }

    /// The schedule of each node's failure and return times (`lines`, failures first) and the scheduled
    /// failures' victims.
    pub fn of_lines(lines: Vec<Vec<Time>>, failures: Vec<(Vec<u32>, u32)>) -> Schedule {
        let mut flip_start = Vec::with_capacity(lines.len() + 1);
        flip_start.push(0);
        let mut flips = Vec::new();
        for line in lines {
            flips.extend(line);
            flip_start.push(flips.len());
        }
        let mut deaths_sorted: Vec<Time> = (0..flip_start.len() - 1)
            .flat_map(|v| flips[flip_start[v]..flip_start[v + 1]].iter().copied().step_by(2))
            .collect();
        deaths_sorted.sort_unstable();
        Schedule { flips, flip_start, failures, deaths_sorted }
    }

    fn line(&self, v: u32) -> &[Time] {
        &self.flips[self.flip_start[v as usize]..self.flip_start[v as usize + 1]]
    }

    /// Whether node `v` is up at `t` (from the start of churn).
    pub fn up(&self, v: u32, t: Time) -> bool {
        is_up(self.line(v), t)
    }

    /// Node `v`'s first failure at or after `t` ([`NEVER`]: none).
    pub fn failure_from(&self, v: u32, t: Time) -> Time {
        let line = self.line(v);
        let k = line.partition_point(|&f| f < t);
        line.get(k + k % 2).copied().unwrap_or(NEVER)
    }

    /// When node `v` comes back after its failures.
    pub fn returns(&self, v: u32) -> impl Iterator<Item = Time> + '_ {
        self.line(v).iter().copied().skip(1).step_by(2)
    }

    /// Whether some node fails in `(from, to]` (offsets from the start of churn).
    pub fn death_within(&self, from: Time, to: Time) -> bool {
        let i = self.deaths_sorted.partition_point(|&d| d <= from);
        self.deaths_sorted.get(i).is_some_and(|&d| d <= to)
    }
}

/// Whether a node whose failures and returns are `line` is up at `t`.
fn is_up(line: &[Time], t: Time) -> bool {
    line.partition_point(|&f| f <= t).is_multiple_of(2)
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
    /// JOIN hops refused by a node named the key's owner that had come back from a failure (it holds no key).
    pub join_refusals: u64,
    /// Members that came back from a failure and joined again.
    pub returns: u64,
    /// From a member's coming back to its being connected to the live root, per member connected.
    pub return_times: Vec<Time>,
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
    if p.downtime.is_some() {
        out.metric(&name("join_refusals"), r.join_refusals as f64)
            .metric(&name("returns"), r.returns as f64)
            .metric(&name("returns_connected"), r.return_times.len() as f64);
    }
    if let Some(&max) = r.return_times.iter().max() {
        let sum: Time = r.return_times.iter().sum();
        out.metric(&name("return_time_mean"), sum as f64 / r.return_times.len() as f64)
            .metric(&name("return_time_max"), max as f64);
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
        let returns = p.downtime.as_ref().map(|_| "returns");
        for metric in ["missed_per_multicast_max", "orphans", "rejoin_messages", "copies_to_dead", "children_dropped"]
            .into_iter()
            .chain(returns)
        {
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
pub(crate) fn totals<'r>(p: &ChurnParams, reports: impl Iterator<Item = &'r Repairs> + Clone, out: &mut Outcome) {
    let multicasts = reports.clone().flat_map(|r| &r.multicasts);
    let count = multicasts.clone().count().max(1) as f64;
    let times: Vec<Time> = reports.clone().flat_map(|r| r.repair_times.iter().copied()).collect();
    let back: Vec<Time> = reports.clone().flat_map(|r| r.return_times.iter().copied()).collect();
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
    if p.downtime.is_some() {
        out.metric("all.returns", reports.clone().map(|r| r.returns as f64).sum());
    }
    if let Some(&max) = back.iter().max() {
        out.metric("all.return_time_mean", back.iter().sum::<Time>() as f64 / back.len() as f64)
            .metric("all.return_time_max", max as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(failures: Vec<Failure>, session: Option<Lifetime>) -> ChurnParams {
        ChurnParams {
            session,
            downtime: None,
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
            assert!(victims.iter().all(|&v| s.failure_from(v, 0) == t && !s.up(v, t)));
        }
        // The later failure drew from the nodes up at 50: not those of the earlier one.
        assert!(s.failures[0].0.iter().all(|v| s.failures[1].0.binary_search(v).is_err()));
        assert!(s.failures[0].1 < s.failures[1].1);
        assert!(s.death_within(0, 10) && !s.death_within(NEVER - 1, NEVER));
    }

    #[test]
    fn nodes_come_back_and_the_fraction_up_settles_at_the_renewal_ratio() {
        // Alternating sessions (mean 1000) and downtimes (mean 3000), independent per node: long after the
        // start a node is up with probability 1000/(1000 + 3000) = 1/4 (times are rounded up, shifting each
        // mean by 1/2: negligible). 20,000 nodes: the count up is binomial, sd = √(20000·¼·¾) ≈ 61; 4.5 sd.
        let mut p = params(vec![Failure { time: 60_000, fraction: 0.5 }], Some(Lifetime::Exponential { mean: 1e3 }));
        p.downtime = Some(Lifetime::Exponential { mean: 3e3 });
        (p.multicasts, p.multicast_every) = (10, 10_000);
        let n = 20_000;
        let s = Schedule::draw(&p, n, 11, 0);
        let up = |t| (0..n).filter(|&v| s.up(v, t)).count() as f64;
        assert!((up(50_000) - 5_000.0).abs() < 4.5 * 61.3, "{}", up(50_000));
        // The failure at 60,000 takes half of those up, who come back later; failures and returns alternate.
        let (victims, pool) = &s.failures[0];
        assert_eq!(victims.len(), failing(0.5, *pool as usize));
        assert!(victims.iter().all(|&v| s.failure_from(v, 60_000) == 60_000 && !s.up(v, 60_000)));
        assert!(victims.iter().all(|&v| s.returns(v).any(|b| b > 60_000)));
        for v in 0..100 {
            let mut t = 0;
            for b in s.returns(v) {
                let f = s.failure_from(v, t);
                assert!(f < b && s.up(v, f.saturating_sub(1)) && !s.up(v, f) && s.up(v, b), "{v}: {f} {b}");
                t = b;
            }
        }
        // Without downtime, the same draws as before returns existed: every node fails at most once.
        p.downtime = None;
        let once = Schedule::draw(&p, n, 11, 0);
        assert!((0..n).all(|v| once.returns(v).next().is_none()));
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
        let mut p = params(Vec::new(), None);
        p.multicast_every = 1 << 31;
        let e = p.check_work("timing.churn", 20.0, 33.0, 20.0).unwrap_err();
        assert_eq!(e.field, "timing.churn.heartbeat");
        let quoted = format!("(multicasts + 1) × multicast_every = {} × 2147483648", p.multicasts + 1);
        assert!(e.message.contains(&quoted), "{}", e.message);
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
