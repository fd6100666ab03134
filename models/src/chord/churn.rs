//! Chord under churn, in rounds. Each node keeps its own (possibly stale) state: a successor list of r entries,
//! a predecessor and m fingers. Round 0 is the converged ring of the initially live nodes. Every later round:
//!
//! 1. nodes fail (each live node with probability `fail_rate`, plus scheduled bursts) and nodes join (each down
//!    node with probability `join_rate`, plus bursts). A joining node keeps its id, forgets its state and asks a
//!    random live node to look up its own id: the answer is its successor (Stoica et al., Fig. 6 `join`);
//! 2. `lookups` lookups from random live nodes for random keys are measured against the true successor among
//!    the live nodes;
//! 3. every `stabilize_every` rounds each live node (in index order) runs `stabilize` — ask the successor for its
//!    predecessor x, adopt x if x ∈ (n, successor), copy the successor's list, and `notify` it, which adopts n as
//!    predecessor if it has none, its predecessor is down, or n ∈ (predecessor, successor) — and then
//!    `fix_fingers` for `fix_fingers` fingers in turn (a lookup of n + 2^(i-1)).
//!
//! Lookups and maintenance route on fingers only (as in the SIGCOMM paper), falling back to the first live
//! entry of the successor list. Contacting a node that is down costs a timeout and removes it from the table
//! that pointed to it. Failure detection is otherwise perfect and messages are instantaneous.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::rng::{Lane, SimRng, below, chance, derive_seed, partial_shuffle, stream};
use sim_core::rounds::{Flow, RoundProtocol, run_rounds};

use crate::overlay::{IdSpace, MAX_BITS};
use crate::{MAX_LOOKUPS, MAX_ROUNDS, ModelError, Outcome, check_probability, check_range, join};

const NONE: u32 = u32::MAX;
/// Keeps the churn stream apart from the lookup stream of the same (seed, run).
const CHURN_STREAM: u64 = 0x6368_7572;

/// Longest successor list: Stoica et al. suggest r = 2·log2 N, which stays below 128 for any ring that fits
/// in memory; every node holds r entries and copies them at every stabilisation.
pub const MAX_SUCCESSORS: u32 = 256;

/// Most lookups (stabilisations, finger refreshes and measured lookups) a churn experiment may take: about
/// 15 s on one core for 100 nodes, more for larger rings, whose lookups take more hops.
pub const MAX_CHURN_LOOKUPS: u64 = 500_000_000;

/// A burst of failures and joins at one round.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChurnEvent {
    /// The round it happens at.
    #[schemars(range(min = 1, max = MAX_ROUNDS))]
    pub round: u32,
    /// Fraction of the live nodes that fail.
    #[serde(default)]
    pub fail: f64,
    /// Fraction of the down nodes that join.
    #[serde(default)]
    pub join: f64,
}

/// Joins, failures and stabilisation over time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChurnParams {
    /// Rounds after round 0.
    #[serde(default = "default_rounds")]
    #[schemars(range(min = 1, max = MAX_ROUNDS))]
    pub rounds: u32,
    /// Fraction of the nodes up at round 0 (the ring starts converged among them).
    #[serde(default = "all_alive")]
    pub initially_alive: f64,
    /// Probability that a live node fails in a round.
    #[serde(default)]
    pub fail_rate: f64,
    /// Probability that a down node joins in a round.
    #[serde(default)]
    pub join_rate: f64,
    /// Bursts of failures and joins at given rounds, on top of the rates.
    #[serde(default)]
    pub events: Vec<ChurnEvent>,
    /// Rounds between stabilisations.
    #[serde(default = "one_u32")]
    #[schemars(range(min = 1, max = MAX_ROUNDS))]
    pub stabilize_every: u32,
    /// Fingers each node refreshes per stabilisation, at most one pass over its table (`ring.bits`, at most
    /// 64).
    #[serde(default = "one_u32")]
    #[schemars(range(max = MAX_BITS))]
    pub fix_fingers: u32,
    /// Length r of the successor list.
    #[serde(default = "default_successors")]
    #[schemars(range(min = 1, max = MAX_SUCCESSORS))]
    pub successors: u32,
    /// Lookups measured per round.
    #[serde(default = "default_lookups")]
    #[schemars(range(min = 1, max = MAX_LOOKUPS))]
    pub lookups: u32,
}

fn default_rounds() -> u32 {
    100
}

/// The default `initially_alive`, of rounds and of events: every node up.
pub(crate) fn all_alive() -> f64 {
    1.0
}

fn one_u32() -> u32 {
    1
}

/// The default successor-list length r, of rounds and of events (Chord and the ALM trees over it).
pub(crate) fn default_successors() -> u32 {
    8
}

fn default_lookups() -> u32 {
    1_000
}

impl Default for ChurnParams {
    fn default() -> Self {
        ChurnParams {
            rounds: default_rounds(),
            initially_alive: 1.0,
            fail_rate: 0.0,
            join_rate: 0.0,
            events: Vec::new(),
            stabilize_every: 1,
            fix_fingers: 1,
            successors: default_successors(),
            lookups: default_lookups(),
        }
    }
}

impl ChurnParams {
    /// Memory of the experiment on `nodes` nodes with `bits`-bit identifiers: per node r successors, m
    /// fingers, a predecessor, its id and its place among the live nodes; and five series of one entry per
    /// round. Parameters count up to their bounds: beyond them, validation refuses them by name.
    pub fn estimated_bytes(&self, nodes: u64, bits: u32) -> u64 {
        let per_node = 4 * u64::from(self.successors.min(MAX_SUCCESSORS)) + 4 * u64::from(bits.min(MAX_BITS)) + 30;
        nodes.saturating_mul(per_node).saturating_add(5 * 8 * (u64::from(self.rounds.min(MAX_ROUNDS)) + 1))
    }

    /// Checks that the experiment on `nodes` nodes takes at most [`MAX_CHURN_LOOKUPS`] lookups: every round
    /// each node stabilises (about one lookup's work) and refreshes `fix_fingers` fingers by lookups, and
    /// `lookups` are measured. Each parameter within its bound can still make minutes of work together.
    pub fn check_work(&self, prefix: &str, nodes: u32) -> Result<(), ModelError> {
        let per_round = u64::from(nodes) * (1 + u64::from(self.fix_fingers)) + u64::from(self.lookups);
        let work = u64::from(self.rounds).saturating_mul(per_round);
        if work > MAX_CHURN_LOOKUPS {
            return Err(ModelError::new(
                join(prefix, "rounds"),
                format!(
                    "rounds × (nodes × (1 + fix_fingers) + lookups) = {work} lookups, more than the \
                     {MAX_CHURN_LOOKUPS} a run may take; use fewer rounds, nodes or fix_fingers"
                ),
            ));
        }
        Ok(())
    }

    /// Checks the parameters for a ring of `bits`-bit identifiers; errors name fields within `prefix`.
    pub fn validate(&self, prefix: &str, bits: u32) -> Result<(), ModelError> {
        check_probability(join(prefix, "fail_rate"), self.fail_rate)?;
        check_probability(join(prefix, "join_rate"), self.join_rate)?;
        if !(self.initially_alive > 0.0 && self.initially_alive <= 1.0) {
            return Err(ModelError::new(
                join(prefix, "initially_alive"),
                format!("must be in (0, 1], got {}", self.initially_alive),
            ));
        }
        for (field, v, hi) in [
            ("rounds", self.rounds, MAX_ROUNDS),
            ("stabilize_every", self.stabilize_every, MAX_ROUNDS),
            ("successors", self.successors, MAX_SUCCESSORS),
            ("lookups", self.lookups, MAX_LOOKUPS),
        ] {
            check_range(join(prefix, field), v.into(), 1, hi.into())?;
        }
        if self.fix_fingers > bits {
            return Err(ModelError::new(
                join(prefix, "fix_fingers"),
                format!(
                    "must be at most ring.bits ({bits}): more would refresh the same fingers again, got {}",
                    self.fix_fingers
                ),
            ));
        }
        for (i, e) in self.events.iter().enumerate() {
            check_probability(join(prefix, &format!("events[{i}].fail")), e.fail)?;
            check_probability(join(prefix, &format!("events[{i}].join")), e.join)?;
            if !(1..=self.rounds).contains(&e.round) {
                return Err(ModelError::new(
                    join(prefix, &format!("events[{i}].round")),
                    format!("must be in 1..={}, got {}", self.rounds, e.round),
                ));
            }
        }
        Ok(())
    }
}

/// Result of one lookup on the live state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lookup {
    /// The node the lookup ended at, if it did not get stuck.
    pub result: Option<u32>,
    pub hops: u32,
    pub timeouts: u32,
}

/// Per-node Chord state, structure of arrays; nodes are overlay node indices.
pub(crate) struct Nodes<'a> {
    pub(super) space: IdSpace,
    pub(super) ids: &'a [u64],
    pub(super) m: usize,
    pub(super) r: usize,
    pub(super) alive: Vec<bool>,
    /// `successors[v·r ..]`: successor list, `NONE`-padded.
    pub(super) successors: Vec<u32>,
    pub(super) predecessor: Vec<u32>,
    /// `fingers[v·m + i - 1]`: finger i, or `NONE` if unknown.
    pub(super) fingers: Vec<u32>,
    pub(super) next_finger: Vec<u8>,
    /// Live nodes sorted by id: the truth lookups are checked against.
    live: Vec<(u64, u32)>,
}

impl<'a> Nodes<'a> {
    /// The converged ring of the nodes marked alive.
    pub fn converged(space: IdSpace, ids: &'a [u64], alive: Vec<bool>, r: u32) -> Self {
        let n = ids.len();
        let (m, r) = (space.bits() as usize, r as usize);
        let mut nodes = Nodes {
            space,
            ids,
            m,
            r,
            alive,
            successors: vec![NONE; n * r],
            predecessor: vec![NONE; n],
            fingers: vec![NONE; n * m],
            next_finger: vec![0; n],
            live: Vec::new(),
        };
        nodes.refresh_live();
        let live = nodes.live.clone();
        for (p, &(id, v)) in live.iter().enumerate() {
            let v = v as usize;
            nodes.predecessor[v] = live[(p + live.len() - 1) % live.len()].1;
            for k in 0..r.min(live.len() - 1).max(1) {
                nodes.successors[v * r + k] = live[(p + 1 + k) % live.len()].1;
            }
            for i in 0..m {
                nodes.fingers[v * m + i] = nodes.true_successor(space.add(id, 1u64 << i));
            }
        }
        nodes
    }

    fn refresh_live(&mut self) {
        self.live =
            (0..self.ids.len() as u32).filter(|&v| self.alive[v as usize]).map(|v| (self.ids[v as usize], v)).collect();
        self.live.sort_unstable();
    }

    /// The live node responsible for `key`.
    fn true_successor(&self, key: u64) -> u32 {
        let p = self.live.partition_point(|&(id, _)| id < key);
        self.live[if p == self.live.len() { 0 } else { p }].1
    }

    #[inline]
    fn id(&self, v: u32) -> u64 {
        self.ids[v as usize]
    }

    /// First live entry of v's successor list, dropping the dead ones before it (one timeout each).
    fn live_successor(&mut self, v: u32, timeouts: &mut u32) -> Option<u32> {
        let list = &mut self.successors[v as usize * self.r..(v as usize + 1) * self.r];
        let dead = list.iter().take_while(|&&s| s != NONE && !self.alive[s as usize]).count();
        *timeouts += dead as u32;
        list.copy_within(dead.., 0);
        list[self.r - dead..].fill(NONE);
        (list[0] != NONE).then_some(list[0])
    }

    /// Closest live finger of v in (v, key), clearing dead fingers met on the way (one timeout each).
    fn closest_preceding(&mut self, v: u32, key: u64, timeouts: &mut u32) -> Option<u32> {
        let n = self.id(v);
        let d = self.space.distance(n, key);
        for i in (0..self.m).rev() {
            let f = self.fingers[v as usize * self.m + i];
            if f == NONE || f == v || self.space.distance(n, self.id(f)) >= d {
                continue;
            }
            if self.alive[f as usize] {
                return Some(f);
            }
            *timeouts += 1;
            self.fingers[v as usize * self.m + i] = NONE;
        }
        None
    }

    /// Looks up `key` from `from`: stop at `from` if it owns the key by its live predecessor; otherwise
    /// forward to the live successor if key ∈ (n, successor], else to the closest live preceding finger or,
    /// failing that, the successor. Every hop moves clockwise towards the key, so the walk ends.
    pub fn lookup(&mut self, from: u32, key: u64) -> Lookup {
        let mut out = Lookup { result: None, hops: 0, timeouts: 0 };
        let p = self.predecessor[from as usize];
        if p != NONE && self.alive[p as usize] && self.space.in_half_open(self.id(p), self.id(from), key) {
            out.result = Some(from);
            return out;
        }
        let mut cur = from;
        loop {
            let Some(s) = self.live_successor(cur, &mut out.timeouts) else {
                return out;
            };
            out.hops += 1;
            if self.space.in_half_open(self.id(cur), self.id(s), key) {
                out.result = Some(s);
                return out;
            }
            cur = self.closest_preceding(cur, key, &mut out.timeouts).unwrap_or(s);
        }
    }

    /// `stabilize` at v, then `notify` at its successor.
    fn stabilize(&mut self, v: u32) {
        let mut timeouts = 0;
        let s = match self.live_successor(v, &mut timeouts) {
            Some(s) => s,
            // Every listed successor is down: restart from the closest live finger.
            None => match (0..self.m)
                .map(|i| self.fingers[v as usize * self.m + i])
                .find(|&f| f != NONE && f != v && self.alive[f as usize])
            {
                Some(f) => f,
                None => return,
            },
        };
        if s == v {
            return;
        }
        let x = self.predecessor[s as usize];
        let s = if x != NONE
            && x != v
            && self.alive[x as usize]
            && self.space.in_open(self.id(v), self.id(s), self.id(x))
        {
            x
        } else {
            s
        };
        let r = self.r;
        let mut list = Vec::with_capacity(r);
        list.push(s);
        list.extend(
            self.successors[s as usize * r..(s as usize + 1) * r]
                .iter()
                .copied()
                .filter(|&u| u != NONE && u != v)
                .take(r - 1),
        );
        list.resize(r, NONE);
        self.successors[v as usize * r..(v as usize + 1) * r].copy_from_slice(&list);
        let p = self.predecessor[s as usize];
        if p == NONE || !self.alive[p as usize] || self.space.in_open(self.id(p), self.id(s), self.id(v)) {
            self.predecessor[s as usize] = v;
        }
    }

    /// `fix_fingers` at v: refresh the next finger in turn by a lookup.
    fn fix_finger(&mut self, v: u32) {
        let i = self.next_finger[v as usize] as usize;
        self.next_finger[v as usize] = ((i + 1) % self.m) as u8;
        if let Some(f) = self.lookup(v, self.space.add(self.id(v), 1u64 << i)).result {
            self.fingers[v as usize * self.m + i] = f;
        }
    }

    /// v (down) joins through the live node `via`; false if the lookup of its id got stuck.
    fn join(&mut self, v: u32, via: u32) -> bool {
        let Some(s) = self.lookup(via, self.id(v)).result else {
            return false;
        };
        let (vi, r, m) = (v as usize, self.r, self.m);
        self.alive[vi] = true;
        self.predecessor[vi] = NONE;
        self.successors[vi * r..(vi + 1) * r].fill(NONE);
        self.successors[vi * r] = s;
        self.fingers[vi * m..(vi + 1) * m].fill(NONE);
        self.next_finger[vi] = 0;
        true
    }

    /// Fraction of live nodes whose first live listed successor is their true successor.
    fn correct_successors(&self) -> f64 {
        let correct = self
            .live
            .iter()
            .enumerate()
            .filter(|&(p, &(_, v))| {
                let truth = self.live[(p + 1) % self.live.len()].1;
                let list = &self.successors[v as usize * self.r..(v as usize + 1) * self.r];
                list.iter().copied().find(|&s| s != NONE && self.alive[s as usize]) == Some(truth)
            })
            .count();
        correct as f64 / self.live.len() as f64
    }
}

/// Runs the churn experiment on nodes with the given ids and adds its series and metrics:
/// series `churn.alive` (fraction of nodes up), `churn.lookup_success`, `churn.mean_hops` (successful lookups),
/// `churn.timeouts_per_lookup`, `churn.correct_successors`, one entry per round 0..=rounds; metrics
/// `churn.lookup_success_mean`, `churn.lookup_success_min`, `churn.lookup_success_final`, `churn.mean_hops_final`.
pub fn run(params: &ChurnParams, space: IdSpace, ids: &[u64], seed: u64, run: u64, out: &mut Outcome) {
    let mut rng = stream(derive_seed(seed, &[CHURN_STREAM]), run, Lane::Protocol);
    let n = ids.len() as u32;
    let mut alive = vec![true; n as usize];
    if params.initially_alive < 1.0 {
        let k = ((params.initially_alive * f64::from(n)).round() as usize).max(1);
        alive.fill(false);
        for &v in partial_shuffle(&mut (0..n).collect::<Vec<_>>(), k, &mut rng).iter() {
            alive[v as usize] = true;
        }
    }
    let mut experiment = Experiment {
        params,
        nodes: Nodes::converged(space, ids, alive, params.successors),
        series: std::array::from_fn(|_| Vec::with_capacity(params.rounds as usize + 1)),
    };
    experiment.measure(&mut rng);
    run_rounds(&mut experiment, &mut rng, params.rounds);
    let series = experiment.series;
    let success = &series[1];
    out.metric("churn.lookup_success_mean", success.iter().sum::<f64>() / success.len() as f64)
        .metric("churn.lookup_success_min", success.iter().copied().fold(f64::INFINITY, f64::min))
        .metric("churn.lookup_success_final", success[success.len() - 1])
        .metric("churn.mean_hops_final", series[2][series[2].len() - 1]);
    let [alive, success, hops, timeouts, correct] = series;
    out.series("churn.alive", alive)
        .series("churn.lookup_success", success)
        .series("churn.mean_hops", hops)
        .series("churn.timeouts_per_lookup", timeouts)
        .series("churn.correct_successors", correct);
}

/// The churn experiment as a round protocol: series index r is measured in round r, after its churn and
/// before its stabilisation; index 0 is the converged ring.
struct Experiment<'a> {
    params: &'a ChurnParams,
    nodes: Nodes<'a>,
    /// Alive fraction, lookup success, mean hops, timeouts per lookup, correct successors.
    series: [Vec<f64>; 5],
}

impl Experiment<'_> {
    fn measure(&mut self, rng: &mut SimRng) {
        let nodes = &mut self.nodes;
        let (mut ok, mut hops, mut timeouts) = (0u32, 0u64, 0u64);
        for _ in 0..self.params.lookups {
            let from = nodes.live[below(rng, nodes.live.len() as u32) as usize].1;
            let key = nodes.space.random(rng);
            let l = nodes.lookup(from, key);
            timeouts += u64::from(l.timeouts);
            if l.result == Some(nodes.true_successor(key)) {
                ok += 1;
                hops += u64::from(l.hops);
            }
        }
        let lookups = f64::from(self.params.lookups);
        let s = &mut self.series;
        s[0].push(nodes.live.len() as f64 / nodes.ids.len() as f64);
        s[1].push(f64::from(ok) / lookups);
        s[2].push(if ok > 0 { hops as f64 / f64::from(ok) } else { f64::NAN });
        s[3].push(timeouts as f64 / lookups);
        s[4].push(nodes.correct_successors());
    }
}

impl RoundProtocol for Experiment<'_> {
    fn round(&mut self, round: u32, rng: &mut SimRng) -> Flow {
        churn(self.params, round, &mut self.nodes, rng);
        self.measure(rng);
        if round.is_multiple_of(self.params.stabilize_every) {
            let nodes = &mut self.nodes;
            let live: Vec<u32> = (0..nodes.ids.len() as u32).filter(|&v| nodes.alive[v as usize]).collect();
            for &v in &live {
                nodes.stabilize(v);
            }
            for &v in &live {
                for _ in 0..self.params.fix_fingers {
                    nodes.fix_finger(v);
                }
            }
        }
        if round == self.params.rounds { Flow::Done } else { Flow::Continue }
    }
}

/// Failures, then joins of the nodes that were down when the round began. If every live node would fail, the
/// one with the highest index stays up.
fn churn(params: &ChurnParams, round: u32, nodes: &mut Nodes<'_>, rng: &mut SimRng) {
    let n = nodes.ids.len() as u32;
    let mut down: Vec<u32> = (0..n).filter(|&v| !nodes.alive[v as usize]).collect();
    let mut live: Vec<u32> = nodes.live.iter().map(|&(_, v)| v).collect();
    let mut failing: Vec<u32> = live.iter().copied().filter(|_| chance(rng, params.fail_rate)).collect();
    let mut joining: Vec<u32> = down.iter().copied().filter(|_| chance(rng, params.join_rate)).collect();
    for e in params.events.iter().filter(|e| e.round == round) {
        let (fail, join) = ((e.fail * live.len() as f64).round(), (e.join * down.len() as f64).round());
        failing.extend_from_slice(partial_shuffle(&mut live, fail as usize, rng));
        joining.extend_from_slice(partial_shuffle(&mut down, join as usize, rng));
    }
    failing.sort_unstable();
    failing.dedup();
    joining.sort_unstable();
    joining.dedup();
    if failing.len() == live.len() {
        failing.pop();
    }
    for &v in &failing {
        nodes.alive[v as usize] = false;
    }
    nodes.refresh_live();
    for v in joining {
        let via = nodes.live[below(rng, nodes.live.len() as u32) as usize].1;
        nodes.join(v, via);
    }
    nodes.refresh_live();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chord::Ring;
    use crate::overlay::random_ids;

    #[test]
    fn converged_state_routes_exactly_like_the_static_ring() {
        let space = IdSpace::new(20);
        let ids = random_ids(space, 300, &mut stream(5, 0, Lane::Placement));
        let ring = Ring::new(space, &ids);
        let mut nodes = Nodes::converged(space, &ids, vec![true; 300], 4);
        let mut rng = stream(6, 0, Lane::Protocol);
        let mut path = Vec::new();
        for _ in 0..2000 {
            let from = below(&mut rng, 300);
            let key = space.random(&mut rng);
            ring.lookup_path(ring.position(from), key, &mut path);
            let l = nodes.lookup(from, key);
            assert_eq!(l.result, Some(ring.node(*path.last().unwrap())));
            assert_eq!(l.hops as usize, path.len() - 1);
            assert_eq!(l.timeouts, 0);
        }
        assert_eq!(nodes.correct_successors(), 1.0);
    }

    fn churn_series(params: ChurnParams, n: u32) -> Outcome {
        params.validate("churn", 32).unwrap();
        let space = IdSpace::new(32);
        let ids = random_ids(space, n, &mut stream(9, 0, Lane::Placement));
        let mut out = Outcome::default();
        run(&params, space, &ids, 9, 0, &mut out);
        out
    }

    fn series<'o>(out: &'o Outcome, name: &str) -> &'o [f64] {
        &out.series.iter().find(|(n, _)| n == name).unwrap().1
    }

    #[test]
    fn a_join_burst_breaks_lookups_until_stabilisation_catches_up() {
        let out = churn_series(
            ChurnParams {
                rounds: 15,
                initially_alive: 0.5,
                events: vec![ChurnEvent { round: 3, fail: 0.0, join: 1.0 }],
                successors: 4,
                lookups: 400,
                ..ChurnParams::default()
            },
            400,
        );
        let (alive, success) = (series(&out, "churn.alive"), series(&out, "churn.lookup_success"));
        assert_eq!(alive[2], 0.5);
        assert_eq!(alive[3], 1.0);
        assert!(success[..3].iter().all(|&s| s == 1.0), "{success:?}");
        // Half the keys now belong to new nodes nobody points to yet: about half the lookups fail.
        assert!(success[3] < 0.75, "{success:?}");
        assert_eq!(success[15], 1.0, "{success:?}");
        assert_eq!(series(&out, "churn.correct_successors")[15], 1.0);
        assert_eq!(out.get("churn.lookup_success_min"), Some(success[3]));
    }

    #[test]
    fn successor_lists_survive_mass_failure_and_single_successors_do_not() {
        let failure = |successors| {
            churn_series(
                ChurnParams {
                    rounds: 8,
                    events: vec![ChurnEvent { round: 2, fail: 0.3, join: 0.0 }],
                    successors,
                    lookups: 300,
                    ..ChurnParams::default()
                },
                300,
            )
        };
        let listed = failure(6);
        assert_eq!(series(&listed, "churn.alive")[2], 0.7);
        // 0.3^6 ≈ 7e-4 of the nodes lose their whole list; the timeouts show the damage instead.
        assert!(series(&listed, "churn.lookup_success").iter().all(|&s| s >= 0.97));
        assert!(series(&listed, "churn.timeouts_per_lookup")[2] > 1.0);
        assert_eq!(series(&listed, "churn.timeouts_per_lookup")[1], 0.0);
        // With one successor, 30% of the nodes lose theirs and the ring falls apart.
        let single = failure(1);
        assert!(series(&single, "churn.lookup_success")[2] < 0.5);
        // About 30% of the live nodes lost their only successor (sd ≈ 0.03 at 210 nodes).
        assert!(series(&single, "churn.correct_successors")[2] < 0.8);
        // Stabilisation restarts from the closest live finger and walks back one node per round.
        let mean = |o: &Outcome| series(o, "churn.lookup_success")[2..].iter().sum::<f64>();
        assert!(mean(&single) < mean(&listed));
    }

    #[test]
    fn invalid_churn_parameters_name_their_field() {
        let bad = ChurnParams { events: vec![ChurnEvent { round: 0, fail: 0.1, join: 0.0 }], ..ChurnParams::default() };
        assert_eq!(bad.validate("c", 32).unwrap_err().field, "c.events[0].round");
        let bad = ChurnParams { fail_rate: 1.5, ..ChurnParams::default() };
        assert_eq!(bad.validate("c", 32).unwrap_err().field, "c.fail_rate");
    }
}
