//! Chord (Stoica, Morris, Karger, Kaashoek, Balakrishnan, SIGCOMM 2001) on an m-bit identifier circle.
//!
//! Identifiers are `u64` taken mod 2^m, 1 ≤ m ≤ 64 (m = 64 is plain wrapping arithmetic). `succ(k)` is the first
//! node whose id follows or equals k clockwise. Node n keeps `finger[i] = succ(n + 2^(i-1))`, i = 1..m. A lookup
//! for key k at node n stops at n if n owns k (k ∈ (pred(n), n]); otherwise it goes to `succ(n)` if
//! k ∈ (n, succ(n)], else to the closest finger preceding k, and so on. Path length is counted in overlay hops:
//! messages until the request reaches succ(k).
//!
//! [`Ring`] is the converged ring: ids sorted in one vector, fingers as ring positions (u32) in one flat vector
//! of N·m entries. On an underlay, two proximity options (Gummadi et al. 2003) change which nodes fill the
//! fingers and which finger a message takes, never where it ends: *proximity neighbour selection* makes finger i
//! the node nearest by underlay delay among several candidates that may fill it ([`RingParams::candidates`]),
//! and *proximity route selection* picks, among the fingers that make progress, the one with the least delay
//! plus estimated remaining delay ([`RouteChoice::Proximity`]). A third option, a successor list
//! ([`RingParams::successor_list`]), changes neither: a node that knows the key's owner among its first r
//! successors sends the message there directly. All default off, which is Chord as published.
//!
//! A ring is a [`StructuredOverlay`] (root of a key = its successor, routes along fingers), which is how
//! application-level multicast builds trees on it. [`churn`] runs joins, failures and the stabilisation
//! protocol in rounds on per-node state. Identifiers and their assignment are shared with other overlays
//! ([`crate::overlay`]); delays come from the sim-core [`Underlay`] the nodes are placed on, if any.

pub mod churn;
pub mod events;
pub mod path_length;

use std::ops::ControlFlow;

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::network::Network;
use sim_core::rng::{Lane, below, stream};
use sim_core::stats::quantile;
use sim_core::topology::Topology;
use sim_core::underlay::Underlay;

use crate::model::{Env, Model, Progress, Size, Unobserved};
use crate::overlay::{
    IdAssignment, IdSpace, MAX_BITS, Nodes, StructuredOverlay, check_bits, check_ids, node_ids, underlay_bytes,
    underlay_of,
};
use crate::tagged::{Variant, body, no_fields, tagged};
use crate::{Check, MAX_LOOKUPS, MetricDoc, ModelError, Outcome, check_range, join};

pub use churn::{ChurnEvent, ChurnParams};
pub use events::{EventParams, Failure, Lifetime, LookupMode, SessionChurn};

/// The identifier circle, how nodes are placed on it, and how fingers and next hops are chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RingParams {
    /// Identifier length m, 1..=64.
    #[serde(default = "default_bits")]
    pub bits: u32,
    /// How nodes get their identifiers: `random` (from the seed) or `hashed` (from their names).
    #[serde(default)]
    pub ids: IdAssignment,
    /// Proximity neighbour selection: finger i of node n is the node nearest to n by underlay delay among this
    /// many candidates, the first nodes from succ(n + 2^(i-1)) clockwise (ties: the first). 1 (default) is
    /// Chord's finger; more needs hosts on an underlay, and with timing `events` a static ring (the nodes start
    /// with these fingers and keep them). At most 256.
    #[serde(default = "default_candidates", skip_serializing_if = "is_one")]
    #[schemars(range(min = 1, max = MAX_CANDIDATES))]
    pub candidates: u32,
    /// Which nodes may be a finger's candidates: `interval` (default; those whose ids lie in the finger's
    /// interval [n + 2^(i-1), n + 2^i), Gummadi et al.'s PNS; succ(n + 2^(i-1)) alone when it is empty) or
    /// `successors` (the successors of n + 2^(i-1) whatever their ids, Stoica et al.'s alternates).
    #[serde(default, skip_serializing_if = "CandidateScope::is_default")]
    pub candidate_scope: CandidateScope,
    /// How a node chooses the next hop towards a key: `closest_preceding` (default; Chord's closest preceding
    /// finger) or `proximity` (proximity route selection; needs hosts on an underlay).
    #[serde(default, skip_serializing_if = "RouteChoice::is_default")]
    pub route: RouteChoice,
    /// Successor list length r: a node whose first r successors include the owner of the key sends the message
    /// straight to the owner (the successor lists of Stoica et al., ToN 2003, §IV-E, used to end a lookup;
    /// Dabek et al. 2004) instead of routing on to the owner's predecessor first. 1 (default) is Chord's rule:
    /// only the immediate successor is known to own a key. At most 256.
    #[serde(default = "default_successor_list", skip_serializing_if = "is_one")]
    #[schemars(range(min = 1, max = MAX_SUCCESSOR_LIST))]
    pub successor_list: u32,
}

/// Most candidates per finger (each costs one delay lookup per finger per node when the ring is built).
pub const MAX_CANDIDATES: u32 = 256;

/// Longest successor list a node of the converged ring delivers from (Chord's r is O(log N)).
pub const MAX_SUCCESSOR_LIST: u32 = 256;

/// Candidates of a finger as (ring position, delay), in ring order.
type Alternates = Vec<(u32, u32)>;

/// Which nodes may fill a finger under proximity neighbour selection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CandidateScope {
    /// Nodes whose ids lie in the finger's interval [n + 2^(i-1), n + 2^i) (Gummadi et al. 2003).
    #[default]
    Interval,
    /// The successors of the finger's start, past its interval too (Stoica et al. 2003's alternates). Which of
    /// them a message takes is decided when it is forwarded: the nearest by delay among those before its key,
    /// so that no hop passes the key (a finger fixed in advance would, for every key short of it).
    Successors,
}

impl CandidateScope {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// How a node picks the next hop of a message for a key it does not own (the successor is taken when it owns
/// the key, whatever the choice).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RouteChoice {
    /// The finger closest before the key on the circle (Chord).
    #[default]
    ClosestPreceding,
    /// Proximity route selection: among the fingers before the key, the one minimising
    /// delay(n, f) + d̄(n) · ½·log2(1 + N·(distance from f to the key)/2^m), where d̄(n) is n's mean delay to
    /// its distinct fingers and the log term estimates the hops left (after Dabek et al. 2004); ties go to the
    /// finger closest to the key.
    Proximity,
}

impl RouteChoice {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

fn default_bits() -> u32 {
    32
}

fn default_candidates() -> u32 {
    1
}

fn default_successor_list() -> u32 {
    1
}

fn is_one(x: &u32) -> bool {
    *x == 1
}

impl Default for RingParams {
    fn default() -> Self {
        RingParams {
            bits: default_bits(),
            ids: IdAssignment::Random,
            candidates: default_candidates(),
            candidate_scope: CandidateScope::default(),
            route: RouteChoice::default(),
            successor_list: default_successor_list(),
        }
    }
}

impl RingParams {
    /// Checks the identifier length, that the nodes get distinct ids (see [`check_ids`]), the number of
    /// candidates, and that proximity options have an underlay to measure delays on.
    pub fn validate(&self, prefix: &str, nodes: Nodes<'_>) -> Result<(), ModelError> {
        self.check(prefix)?;
        check_ids(prefix, self.bits, self.ids, nodes)?;
        let needs_delays = [("candidates", self.candidates > 1), ("route", self.route == RouteChoice::Proximity)];
        if let Some((field, _)) = needs_delays.iter().find(|(_, on)| *on)
            && nodes.underlay().is_none()
        {
            return Err(ModelError::new(
                join(prefix, field),
                "proximity needs delays: place the nodes on a router-level graph (not a complete topology)",
            ));
        }
        Ok(())
    }

    /// The checks of [`RingParams::validate`] that need no nodes: the ranges of `bits`, `candidates` and
    /// `successor_list`.
    pub fn check(&self, prefix: &str) -> Result<(), ModelError> {
        check_bits(prefix, self.bits)?;
        check_range(join(prefix, "candidates"), self.candidates.into(), 1, MAX_CANDIDATES.into())?;
        check_range(join(prefix, "successor_list"), self.successor_list.into(), 1, MAX_SUCCESSOR_LIST.into())
    }

    fn options(&self) -> RingOptions {
        RingOptions {
            candidates: self.candidates,
            scope: self.candidate_scope,
            route: self.route,
            successor_list: self.successor_list,
        }
    }

    /// The identifier circle. Panics unless [`RingParams::validate`] accepted the parameters.
    pub fn space(&self) -> IdSpace {
        IdSpace::new(self.bits)
    }

    /// The converged ring of `nodes` for run `run` of `seed` (random ids come from its placement stream).
    /// Panics unless [`RingParams::validate`] accepted the parameters for these nodes.
    pub fn ring(&self, nodes: Nodes<'_>, seed: u64, run: u64) -> Ring {
        self.ring_of(nodes, &node_ids(self.space(), self.ids, nodes, seed, run))
    }

    /// The converged ring of `nodes` with identifiers `ids` (as [`node_ids`] gives them).
    fn ring_of(&self, nodes: Nodes<'_>, ids: &[u64]) -> Ring {
        Ring::build(self.space(), ids, self.options(), nodes.underlay())
    }

    /// Finger tables (one u32 per identifier bit), ids and the maps between nodes and ring positions; with
    /// proximity route selection also a u32 delay per finger and a mean per node.
    pub fn estimated_bytes(&self, nodes: u64) -> u64 {
        let bits = u64::from(self.bits.min(MAX_BITS));
        let route = if self.route == RouteChoice::Proximity { bits * 4 + 8 } else { 0 };
        nodes.saturating_mul(bits * 4 + 16 + route)
    }
}

/// How a ring departs from Chord as published (see [`RingParams`]): proximity neighbour and route selection,
/// and delivery from the successor list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingOptions {
    pub candidates: u32,
    pub scope: CandidateScope,
    pub route: RouteChoice,
    pub successor_list: u32,
}

impl Default for RingOptions {
    fn default() -> Self {
        RingParams::default().options()
    }
}

/// A converged Chord ring: every node's successor, predecessor and fingers are exact.
///
/// Nodes are addressed by ring position (rank of their id); `node(p)` maps back to the overlay node.
#[derive(Clone, Debug)]
pub struct Ring {
    space: IdSpace,
    ids: Vec<u64>,
    nodes: Vec<u32>,
    positions: Vec<u32>,
    /// `fingers[p·m + i - 1]` = position of `succ(id(p) + 2^(i-1))`, or of the nearest candidate under
    /// proximity neighbour selection.
    fingers: Vec<u32>,
    route: RouteChoice,
    /// Nodes a node delivers to directly when one of them owns the key: its first `successor_list` successors.
    successor_list: u32,
    /// Proximity route selection only (else empty): delay from p to each finger, p's mean delay to its distinct
    /// fingers, and N / 2^m (nodes per identifier).
    finger_delays: Vec<u32>,
    /// `candidate_scope: successors` only (else empty): finger slot p·m + i's alternates are
    /// `alternates[alternate_ranges[p·m + i]]`, the candidates nearer by delay than every candidate before
    /// them, in ring order, as (position, delay); the last is `fingers[p·m + i]`. Slots with the same first
    /// candidate share one range.
    alternates: Alternates,
    alternate_ranges: Vec<(u32, u32)>,
    mean_finger_delay: Vec<f64>,
    density: f64,
}

impl Ring {
    /// Builds the ring of overlay nodes `0..ids.len()`, node v having id `ids[v]`. Ids must be distinct and
    /// below 2^m.
    pub fn new(space: IdSpace, ids: &[u64]) -> Ring {
        Ring::build(space, ids, RingOptions::default(), None)
    }

    /// [`Ring::new`] with fingers and next hops chosen by `options`, delays measured on `underlay`, whose
    /// overlay nodes are the ring's nodes.
    pub fn with_proximity(space: IdSpace, ids: &[u64], options: RingOptions, underlay: &Underlay) -> Ring {
        Ring::build(space, ids, options, Some(underlay))
    }

    fn build(space: IdSpace, ids: &[u64], options: RingOptions, underlay: Option<&Underlay>) -> Ring {
        let mut order: Vec<(u64, u32)> = ids.iter().zip(0..).map(|(&id, v)| (id, v)).collect();
        order.sort_unstable();
        assert!(order.windows(2).all(|w| w[0].0 != w[1].0), "node ids must be distinct");
        assert!(order.last().is_none_or(|&(id, _)| space.contains(id)), "ids must be below 2^m");
        let ids: Vec<u64> = order.iter().map(|&(id, _)| id).collect();
        let nodes: Vec<u32> = order.iter().map(|&(_, v)| v).collect();
        let mut positions = vec![0; nodes.len()];
        for (p, &v) in nodes.iter().enumerate() {
            positions[v as usize] = p as u32;
        }
        let m = space.bits() as usize;
        let mut fingers = vec![0u32; ids.len() * m];
        let choose = underlay.filter(|_| options.candidates > 1);
        let keep_alternates = choose.is_some() && options.scope == CandidateScope::Successors;
        // Per node: its alternates and each slot's range within them (successor scope only).
        let mut per_node: Vec<(Alternates, Vec<(u32, u32)>)> = vec![Default::default(); ids.len()];
        fingers.par_chunks_mut(m.max(1)).zip(per_node.par_iter_mut()).enumerate().for_each(
            |(p, (table, (alternates, ranges)))| {
                let n = ids[p];
                let succ = (p + 1) % ids.len();
                let gap = space.distance(n, ids[succ]);
                let mut nearer = Vec::new();
                for (i, f) in table.iter_mut().enumerate() {
                    // Fingers that start within the gap to the successor are the successor: no search needed.
                    let first = if gap == 0 || (1u64 << i) <= gap {
                        succ as u32
                    } else {
                        successor_in(&ids, space.add(n, 1u64 << i))
                    };
                    *f = match choose {
                        Some(u) if gap != 0 => {
                            let shared = i > 0 && keep_alternates && nearer.first().is_some_and(|&(c, _)| c == first);
                            if !shared {
                                nearer.clear();
                                nearer_candidates(space, &ids, &nodes, u, options, p as u32, i, first, &mut nearer);
                                if keep_alternates {
                                    alternates.extend_from_slice(&nearer);
                                }
                            }
                            nearer.last().map_or(first, |&(c, _)| c)
                        }
                        _ => first,
                    };
                    if keep_alternates {
                        let end = alternates.len() as u32;
                        ranges.push(if nearer.is_empty() { (end, end) } else { (end - nearer.len() as u32, end) });
                    }
                }
            },
        );
        let (mut alternates, mut alternate_ranges) = (Vec::new(), Vec::new());
        if keep_alternates {
            alternate_ranges.reserve(ids.len() * m);
            for (node_alternates, ranges) in per_node {
                let base = u32::try_from(alternates.len()).expect("fewer than 2^32 alternates");
                alternate_ranges.extend(ranges.iter().map(|&(a, b)| (base + a, base + b)));
                alternates.extend(node_alternates);
            }
        }
        let mut ring = Ring {
            space,
            ids,
            nodes,
            positions,
            fingers,
            route: RouteChoice::ClosestPreceding,
            successor_list: options.successor_list,
            finger_delays: Vec::new(),
            alternates,
            alternate_ranges,
            mean_finger_delay: Vec::new(),
            density: 0.0,
        };
        if let Some(u) = underlay
            && options.route == RouteChoice::Proximity
        {
            ring.measure_fingers(u);
        }
        ring
    }

    /// Delays to the fingers, for proximity route selection.
    fn measure_fingers(&mut self, underlay: &Underlay) {
        let m = self.space.bits() as usize;
        let mut delays = vec![0u32; self.fingers.len()];
        let mut means = vec![0.0; self.ids.len()];
        delays.par_chunks_mut(m).zip(means.par_iter_mut()).enumerate().for_each(|(p, (row, mean))| {
            let from = underlay.delays_from(self.nodes[p]);
            let table = self.fingers(p as u32);
            let (mut sum, mut distinct) = (0u64, 0u32);
            for (i, (d, &f)) in row.iter_mut().zip(table).enumerate() {
                let delay = from.to(self.nodes[f as usize]);
                *d = u32::try_from(delay).unwrap_or(u32::MAX);
                if i == 0 || table[i - 1] != f {
                    sum += delay;
                    distinct += 1;
                }
            }
            *mean = sum as f64 / f64::from(distinct);
        });
        self.route = RouteChoice::Proximity;
        self.finger_delays = delays;
        self.mean_finger_delay = means;
        self.density = self.ids.len() as f64 / self.space.size() as f64;
    }

    pub fn space(&self) -> IdSpace {
        self.space
    }

    pub fn len(&self) -> u32 {
        self.ids.len() as u32
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Identifiers in ring order.
    pub fn ids(&self) -> &[u64] {
        &self.ids
    }

    #[inline]
    pub fn id(&self, pos: u32) -> u64 {
        self.ids[pos as usize]
    }

    /// Overlay node at ring position `pos`.
    #[inline]
    pub fn node(&self, pos: u32) -> u32 {
        self.nodes[pos as usize]
    }

    /// Ring position of overlay node `v`.
    #[inline]
    pub fn position(&self, v: u32) -> u32 {
        self.positions[v as usize]
    }

    /// Position of `succ(key)`, the node responsible for `key`.
    #[inline]
    pub fn successor_of(&self, key: u64) -> u32 {
        successor_in(&self.ids, key)
    }

    #[inline]
    pub fn successor(&self, pos: u32) -> u32 {
        if pos + 1 == self.len() { 0 } else { pos + 1 }
    }

    #[inline]
    pub fn predecessor(&self, pos: u32) -> u32 {
        if pos == 0 { self.len() - 1 } else { pos - 1 }
    }

    /// The finger table of `pos`: entry i - 1 is `finger[i]`.
    #[inline]
    pub fn fingers(&self, pos: u32) -> &[u32] {
        let m = self.space.bits() as usize;
        &self.fingers[pos as usize * m..(pos as usize + 1) * m]
    }

    /// Whether `pos` is responsible for `key`: key ∈ (pred, pos].
    #[inline]
    pub fn owns(&self, pos: u32, key: u64) -> bool {
        self.space.in_half_open(self.id(self.predecessor(pos)), self.id(pos), key)
    }

    /// Where `pos`, which does not own `key`, forwards a request for it: Chord's next-hop rule (`next_hop`) over
    /// its successor and fingers, or with `route: proximity` the preceding finger [`RouteChoice::Proximity`] picks.
    #[inline]
    pub fn next_position(&self, pos: u32, key: u64) -> u32 {
        match self.hop(pos, key) {
            Hop::Owner(p) | Hop::Closer(p) => p,
        }
    }

    /// [`next_hop`] at `pos`, searching only the fingers that can precede the key: fingers i + 1 with
    /// 2^i ≥ d start at or past it, so the search begins at the largest 2^i < d. With a successor list, the
    /// owner when it is one of the listed successors.
    #[inline]
    fn hop(&self, pos: u32, key: u64) -> Hop<u32> {
        let n = self.id(pos);
        let succ = self.successor(pos);
        let d = self.space.distance(n, key);
        if self.successor_list > 1 {
            // The list holds the next min(r, N - 1) positions; the last of them bounds the keys it covers.
            let last = (u64::from(pos) + u64::from(self.successor_list.min(self.len() - 1))) % u64::from(self.len());
            if d <= self.space.distance(n, self.id(last as u32)) {
                return Hop::Owner(self.successor_of(key));
            }
        }
        if self.route == RouteChoice::Proximity && d > self.space.distance(n, self.id(succ)) {
            return Hop::Closer(self.proximity_finger(pos, n, d, |_| false).unwrap_or(succ));
        }
        let top = if d == 0 { 0 } else { 64 - (d - 1).leading_zeros() as usize };
        let top = top.min(self.space.bits() as usize);
        if !self.alternates.is_empty() {
            if d <= self.space.distance(n, self.id(succ)) {
                return Hop::Owner(succ);
            }
            let alternate = (0..top).rev().find_map(|i| self.alternate(pos, i, n, d, |_| false));
            return Hop::Closer(alternate.map_or(succ, |(f, _)| f));
        }
        let table = &self.fingers(pos)[..top];
        next_hop(self.space, n, key, (succ, self.id(succ)), table.iter().rev().map(|&f| (f, self.id(f))))
    }

    /// Successor scope: the alternate of finger slot `i` of `pos` (id `n`) a message for a key at distance `d`
    /// takes, with its delay: the nearest by delay of the slot's candidates strictly between n and the key
    /// (they lie in ring order, so those are a prefix) that `silent` does not name, none if there is none.
    #[inline]
    fn alternate(&self, pos: u32, i: usize, n: u64, d: u64, silent: impl Fn(u32) -> bool) -> Option<(u32, u32)> {
        let (from, to) = self.alternate_ranges[pos as usize * self.space.bits() as usize + i];
        self.alternates[from as usize..to as usize].iter().rev().copied().find(|&(c, _)| {
            let e = self.space.distance(n, self.id(c));
            e > 0 && e < d && !silent(c)
        })
    }

    /// The finger of `pos` (whose id is `n`) that [`RouteChoice::Proximity`] sends a message for a key at
    /// distance `d` > the successor's to: strictly between n and the key (every hop makes progress), not named
    /// by `silent`, least delay plus the estimated delay of the rest of the way; none if no finger qualifies.
    #[inline]
    fn proximity_finger(&self, pos: u32, n: u64, d: u64, silent: impl Fn(u32) -> bool) -> Option<u32> {
        // Fingers i + 1 with 2^i ≥ d start at or past the key (and so does any candidate that fills them), so the
        // search begins at the largest 2^i < d.
        let top = 63 - (d - 1).leading_zeros() as usize;
        let table = &self.fingers(pos)[..=top];
        let m = self.space.bits() as usize;
        let delays = &self.finger_delays[pos as usize * m..];
        let hop = self.mean_finger_delay[pos as usize];
        let cost = |delay: u32, f: u32| {
            let left = (d - self.space.distance(n, self.id(f))) as f64;
            f64::from(delay) + hop * 0.5 * (1.0 + self.density * left).log2()
        };
        let mut best = None;
        for (i, &f) in table.iter().enumerate().rev() {
            let (f, delay) = if self.alternates.is_empty() {
                (f, delays[i])
            } else {
                // The slot's alternate before the key; none if its first candidate is already past it.
                match self.alternate(pos, i, n, d, &silent) {
                    Some(alternate) => alternate,
                    None => continue,
                }
            };
            let e = self.space.distance(n, self.id(f));
            if e == 0 || e >= d || silent(f) {
                continue;
            }
            let c = cost(delay, f);
            if best.is_none_or(|(b, _)| c < b) {
                best = Some((c, f));
            }
        }
        best.map(|(_, f)| f)
    }

    /// Where `pos` sends a request for `key` once it has found the positions `silent` names not answering:
    /// Chord's next-hop rule ([`next_hop`]) over what it still trusts of its converged state, its first
    /// `successors` successors (a successor list of that length) and its fingers. With every listed
    /// successor silent it covers no key and forwards only to a finger preceding the key; `None` when no
    /// entry makes progress. A key equal to its own id is its own (`Owner(pos)`). Fingers are chosen as
    /// [`Ring::hop`] chooses them among those it still trusts: with `route: proximity` by
    /// [`RouteChoice::Proximity`]'s delay estimate (the converged table's delays), with successor-scope
    /// alternates the nearest trusted alternate of the farthest slot preceding the key, else the closest
    /// preceding finger; the first trusted successor when none precedes the key.
    pub(crate) fn hop_around(
        &self,
        pos: u32,
        key: u64,
        successors: u32,
        silent: impl Fn(u32) -> bool,
    ) -> Option<Hop<u32>> {
        let n = self.id(pos);
        if key == n {
            return Some(Hop::Owner(pos));
        }
        let len = u64::from(self.len());
        let successor = (1..=u64::from(successors).min(len - 1))
            .map(|k| ((u64::from(pos) + k) % len) as u32)
            .find(|&s| !silent(s))
            .map_or((NO_ENTRY, n), |s| (s, self.id(s)));
        let d = self.space.distance(n, key);
        if d > self.space.distance(n, successor.1)
            && (self.route == RouteChoice::Proximity || !self.alternates.is_empty())
        {
            let chosen = if d < 2 {
                None // no node lies strictly between n and a key at distance 1
            } else if self.route == RouteChoice::Proximity {
                self.proximity_finger(pos, n, d, &silent)
            } else {
                let top = (64 - (d - 1).leading_zeros() as usize).min(self.space.bits() as usize);
                (0..top).rev().find_map(|i| self.alternate(pos, i, n, d, &silent)).map(|(f, _)| f)
            };
            return chosen.or((successor.0 != NO_ENTRY).then_some(successor.0)).map(Hop::Closer);
        }
        let fingers = self.fingers(pos).iter().rev().filter(|&&f| !silent(f)).map(|&f| (f, self.id(f)));
        match next_hop(self.space, n, key, successor, fingers) {
            Hop::Owner(NO_ENTRY) | Hop::Closer(NO_ENTRY) => None,
            hop => Some(hop),
        }
    }

    /// The lookup path for `key` from `from` to `succ(key)`, both ends included, as ring positions
    /// ([`StructuredOverlay::route`] gives the same path as overlay nodes).
    pub fn lookup_path(&self, from: u32, key: u64, path: &mut Vec<u32>) {
        path.clear();
        path.push(from);
        let mut cur = from;
        while !self.owns(cur, key) {
            cur = self.next_position(cur, key);
            path.push(cur);
        }
    }
}

/// Overlay nodes are the ring's nodes; the root of a key is its successor, and a message follows
/// [`Ring::next_position`] until it reaches the node that owns the key.
impl StructuredOverlay for Ring {
    fn len(&self) -> u32 {
        Ring::len(self)
    }

    fn key_space(&self) -> IdSpace {
        self.space
    }

    #[inline]
    fn root(&self, key: u64) -> u32 {
        self.node(self.successor_of(key))
    }

    #[inline]
    fn next_hop(&self, v: u32, key: u64) -> Option<u32> {
        let pos = self.position(v);
        (!self.owns(pos, key)).then(|| self.node(self.next_position(pos, key)))
    }

    /// [`Ring::next_position`] over ring positions until the owner, with ownership tested once: a finger
    /// preceding the key never owns it, and the successor is taken exactly when it does.
    #[inline]
    fn route_with(&self, from: u32, key: u64, mut forward: impl FnMut(u32) -> ControlFlow<()>) {
        let mut pos = self.position(from);
        if self.owns(pos, key) {
            return;
        }
        loop {
            match self.hop(pos, key) {
                Hop::Owner(succ) => {
                    let _ = forward(self.node(succ));
                    return;
                }
                Hop::Closer(f) => {
                    pos = f;
                    if forward(self.node(pos)).is_break() {
                        return;
                    }
                }
            }
        }
    }
}

/// No table entry left (a successor list whose every entry is silent).
const NO_ENTRY: u32 = u32::MAX;

/// Where a request for a key goes next from a node that does not own it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hop<T> {
    /// The successor, which owns the key.
    Owner(T),
    /// A node strictly between this one and the key.
    Closer(T),
}

/// Chord's next-hop rule (Stoica et al. 2001, Fig. 4 `find_successor`), written once for every timing: at a
/// node with id `n`, a key in (n, successor] belongs to the successor; any other goes to the closest finger
/// preceding it, or to the successor if no finger does. `fingers` lists (entry, id) from the farthest finger
/// down; entries at the node itself are skipped (a stale table may hold them). The converged [`Ring`] and the
/// event-driven nodes ([`events`]), whose tables may be stale, both route by it.
#[inline]
pub(crate) fn next_hop<T: Copy>(
    space: IdSpace,
    n: u64,
    key: u64,
    successor: (T, u64),
    mut fingers: impl Iterator<Item = (T, u64)>,
) -> Hop<T> {
    let d = space.distance(n, key);
    if d <= space.distance(n, successor.1) {
        return Hop::Owner(successor.0);
    }
    let closer = fingers.find(|&(_, f)| {
        let e = space.distance(n, f);
        e > 0 && e < d
    });
    Hop::Closer(closer.map_or(successor.0, |(f, _)| f))
}

/// Proximity neighbour selection for finger `i` (0-based) of ring position `p`: among up to
/// `options.candidates` nodes clockwise from `first` = succ(id(p) + 2^i), never p itself and, for the
/// interval scope, none past the interval's end id(p) + 2^(i+1) (`first` is always a candidate), pushes onto
/// `nearer` as (position, delay) each candidate nearer to p by underlay delay than every one before it: the
/// last is the nearest (ties go to the first), and the last before any position is the nearest up to it.
#[expect(clippy::too_many_arguments, reason = "the ring's parts during construction")]
fn nearer_candidates(
    space: IdSpace,
    ids: &[u64],
    nodes: &[u32],
    underlay: &Underlay,
    options: RingOptions,
    p: u32,
    i: usize,
    first: u32,
    nearer: &mut Alternates,
) {
    let n = ids[p as usize];
    let end = match options.scope {
        CandidateScope::Interval => 1u64.checked_shl(i as u32 + 1).filter(|_| i + 1 < space.bits() as usize),
        CandidateScope::Successors => None,
    };
    if first == p {
        nearer.push((first, 0)); // no other node follows the finger's start before p: the finger is p itself
        return;
    }
    let from = underlay.delays_from(nodes[p as usize]);
    let delay = |c: u32| u32::try_from(from.to(nodes[c as usize])).unwrap_or(u32::MAX);
    nearer.push((first, delay(first)));
    let mut c = first;
    for _ in 1..options.candidates {
        c = if c as usize + 1 == ids.len() { 0 } else { c + 1 };
        if c == p || end.is_some_and(|end| space.distance(n, ids[c as usize]) >= end) {
            break;
        }
        let d = delay(c);
        if nearer.last().is_some_and(|&(_, best)| d < best) {
            nearer.push((c, d));
        }
    }
}

/// Position of the first id ≥ key in the sorted `ids`, wrapping to 0.
#[inline]
fn successor_in(ids: &[u64], key: u64) -> u32 {
    let p = ids.partition_point(|&id| id < key);
    if p == ids.len() { 0 } else { p as u32 }
}

/// Parameters of a Chord run: random lookups on the converged ring, and optionally churn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChordParams {
    #[serde(default)]
    pub ring: RingParams,
    /// Lookups from uniform random nodes for uniform random keys on the converged ring.
    #[serde(default = "default_lookups")]
    #[schemars(range(max = MAX_LOOKUPS))]
    pub lookups: u32,
    /// Joins, failures and stabilisation over time, in rounds (with `timing` `rounds`).
    #[serde(default)]
    pub churn: Option<ChurnParams>,
    /// `rounds`: lookups computed on the converged ring (the fast path); `events`: Chord's messages on the
    /// event engine, over the underlay's delays, with timeouts, maintenance and churn.
    #[serde(default)]
    pub timing: ChordTiming,
}

/// How Chord's lookups are simulated.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChordTiming {
    /// Lookups walk the converged ring at once; churn (if any) runs in rounds.
    #[default]
    Rounds,
    /// Lookups, maintenance and churn as messages and timers on the event engine ([`events`]).
    Events(EventParams),
}

/// Read with `crate::tagged`, so that a unit variant refuses fields and errors name the inner field.
impl<'de> Deserialize<'de> for ChordTiming {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const VARIANTS: &[Variant<ChordTiming>] = &[
            ("rounds", |m| no_fields(m).map(|()| ChordTiming::Rounds)),
            ("events", |m| body(m).map(ChordTiming::Events)),
        ];
        tagged(d, VARIANTS)
    }
}

fn default_lookups() -> u32 {
    10_000
}

impl Default for ChordParams {
    fn default() -> Self {
        ChordParams {
            ring: RingParams::default(),
            lookups: default_lookups(),
            churn: None,
            timing: ChordTiming::Rounds,
        }
    }
}

impl ChordParams {
    /// The checks of [`ChordParams::validate`] that need no nodes: ranges, and options that exclude each other.
    pub fn check(&self, prefix: &str) -> Result<(), ModelError> {
        if let ChordTiming::Events(events) = &self.timing {
            if self.ring.route == RouteChoice::Proximity {
                return Err(ModelError::new(
                    join(prefix, "ring.route"),
                    "proximity route selection is an option of the converged ring (timing `rounds`); \
                     event-driven nodes route by Chord's closest preceding finger",
                ));
            }
            if self.ring.candidates > 1 && self.ring.candidate_scope == CandidateScope::Successors {
                return Err(ModelError::new(
                    join(prefix, "ring.candidate_scope"),
                    "`successors` chooses among a finger's alternates when forwarding, which event-driven nodes \
                     do not keep: use `interval` (one proximity finger per interval)",
                ));
            }
            if self.ring.candidates > 1 && (events.stabilize_every > 0 || events.churn.is_some()) {
                return Err(ModelError::new(
                    join(prefix, "ring.candidates"),
                    "event-driven nodes start with proximity fingers chosen on the converged ring, which \
                     fix_fingers and joins would refill by identifier: needs timing.stabilize_every 0 and no \
                     timing.churn",
                ));
            }
            if self.ring.successor_list > 1 {
                return Err(ModelError::new(
                    join(prefix, "ring.successor_list"),
                    "is an option of the converged ring (timing `rounds`); event-driven nodes keep \
                     timing.successors successors and route by the first",
                ));
            }
        }
        self.ring.check(&join(prefix, "ring"))?;
        check_range(join(prefix, "lookups"), self.lookups.into(), 0, MAX_LOOKUPS.into())?;
        if let Some(churn) = &self.churn {
            if let ChordTiming::Events(_) = self.timing {
                return Err(ModelError::new(
                    join(prefix, "churn"),
                    "round-based churn needs timing `rounds`; with timing `events` use timing.churn and \
                     timing.failures",
                ));
            }
            churn.validate(&join(prefix, "churn"), self.ring.bits)?;
        }
        if let ChordTiming::Events(events) = &self.timing {
            events.check(&join(prefix, "timing"), self.lookups)?;
        }
        Ok(())
    }

    /// Checks the parameters for a ring on `nodes` ([`ChordParams::check`] first); errors name fields within
    /// `prefix`.
    pub fn validate(&self, prefix: &str, nodes: Nodes<'_>) -> Result<(), ModelError> {
        self.check(prefix)?;
        self.ring.validate(&join(prefix, "ring"), nodes)?;
        if let Some(churn) = &self.churn {
            churn.check_work(&join(prefix, "churn"), nodes.len())?;
        }
        if let ChordTiming::Events(events) = &self.timing {
            events.validate(&join(prefix, "timing"), nodes.len(), self.ring.bits, self.lookups)?;
        }
        Ok(())
    }
}

/// Mean lookup path length estimated by Stoica et al.: ½·log2 N fingers followed. The exact mean with random
/// identifiers is [`path_length::expected_path_length`], 0.14–0.3 hops lower for N ≥ 16.
pub fn predicted_path_length(nodes: u32) -> f64 {
    0.5 * f64::from(nodes).log2()
}

/// Runs `params.lookups` lookups on the converged ring of `nodes` (and the churn experiment if asked).
///
/// Metrics: `nodes`, `mean_hops` (messages until the request reaches succ(k)), `mean_path_length` (fingers
/// followed until the predecessor of k, the paper's path length), `max_hops`, `hops_p50`, `hops_p99`; with hosts
/// also `mean_delay` (underlay delay along the overlay path), `mean_direct_delay` (initiator to owner) and
/// `delay_stretch` (their ratio), and the lookup stretch quantiles `recursive_stretch_p10`, `_p50`, `_p99` and
/// `iterative_stretch_*` (see [`METRICS`]).
/// Series: `hops_distribution` (fraction of lookups taking h hops, h = 0, 1, …), plus the churn series.
/// With timing `events`, [`events::run`] measures the lookups instead, on `network`'s latency without an
/// underlay. `estimate` is [`Estimate::of`] the ring and `nodes.len()`, computed once for every run.
/// `progress` hears of every [`PROGRESS_STEP`] lookups done (rounds).
pub fn run(
    params: &ChordParams,
    nodes: Nodes<'_>,
    network: Network,
    estimate: Estimate,
    seed: u64,
    run: u64,
    progress: &dyn Progress,
) -> Outcome {
    let space = params.ring.space();
    let ids = node_ids(space, params.ring.ids, nodes, seed, run);
    let mut out = Outcome::default();
    out.metric("nodes", f64::from(nodes.len()));
    if let ChordTiming::Events(p) = &params.timing {
        // Proximity fingers are those of the converged ring (validation keeps them from being refreshed).
        let proximity = (params.ring.candidates > 1).then(|| params.ring.ring_of(nodes, &ids));
        let (underlay, fingers) = (nodes.underlay(), proximity.as_ref());
        events::run(p, params.lookups, space, &ids, fingers, underlay, network, estimate, seed, run, &mut out);
    } else if params.lookups > 0 {
        let ring = params.ring.ring_of(nodes, &ids);
        lookups(&ring, nodes.underlay(), params.lookups, estimate, (seed, run), progress, &mut out);
    }
    if let Some(churn) = &params.churn {
        churn::run(churn, space, &ids, seed, run, &mut out);
    }
    out
}

/// Lookups between two reports to a run's [`Progress`]: a few milliseconds of work.
pub const PROGRESS_STEP: u32 = 1 << 16;

/// Runs `count` lookups; `estimate` says whether the expected path length is checked or only shown.
fn lookups(
    ring: &Ring,
    underlay: Option<&Underlay>,
    count: u32,
    estimate: Estimate,
    (seed, run): (u64, u64),
    progress: &dyn Progress,
    out: &mut Outcome,
) {
    let mut rng = stream(seed, run, Lane::Protocol);
    let mut histogram: Vec<u64> = Vec::new();
    let (mut delay, mut direct) = (0u64, 0u64);
    let (mut recursive, mut iterative) = (Vec::new(), Vec::new());
    let mut path = Vec::new();
    for i in 0..count {
        if i % PROGRESS_STEP == 0 {
            progress.advance(i.into(), count.into());
        }
        let from = below(&mut rng, ring.len());
        let key = ring.space().random(&mut rng);
        ring.lookup_path(from, key, &mut path);
        let hops = path.len() - 1;
        if histogram.len() <= hops {
            histogram.resize(hops + 1, 0);
        }
        histogram[hops] += 1;
        if let Some(u) = underlay {
            let along = path.windows(2).map(|w| u.delay(ring.node(w[0]), ring.node(w[1]))).sum::<u64>();
            let init = u.delays_from(ring.node(from));
            let straight = init.to(ring.node(path[hops]));
            delay += along;
            direct += straight;
            if straight > 0 {
                // Stoica et al. (ToN 2003): a lookup's latency until the initiator has the answer, over the
                // round trip to the key's owner. Recursive: the request follows the path and the owner
                // replies directly; iterative: the initiator asks each node on the path in turn.
                let round_trip = 2.0 * straight as f64;
                let asked = path[1..].iter().map(|&p| init.to(ring.node(p))).sum::<u64>();
                recursive.push((along + straight) as f64 / round_trip);
                iterative.push(2.0 * asked as f64 / round_trip);
            }
        }
    }
    progress.advance(count.into(), count.into());
    let total = f64::from(count);
    hop_metrics(&histogram, ring.len(), estimate, out);
    if underlay.is_some() {
        out.metric("mean_delay", delay as f64 / total)
            .metric("mean_direct_delay", direct as f64 / total)
            .metric("delay_stretch", delay as f64 / direct.max(1) as f64);
        for (style, mut stretch) in [("recursive", recursive), ("iterative", iterative)] {
            stretch.sort_unstable_by(f64::total_cmp);
            if !stretch.is_empty() {
                for (q, name) in [(0.1, "p10"), (0.5, "p50"), (0.99, "p99")] {
                    out.metric(&format!("{style}_stretch_{name}"), quantile(&stretch, q));
                }
            }
        }
    }
}

/// What becomes of the expected path length beside a set of lookups: computed once per scenario, in `prepare`,
/// for the prepared number of nodes (its grid takes milliseconds, and up to 32 MiB at 2^22 nodes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Estimate {
    /// Not shown: the ring is still converging.
    Omitted,
    /// Shown only: the fingers or next hops are chosen by proximity, lookups end from a successor list, the
    /// identifiers are hashed (every run has the same ring, so the runs' interval leaves out the spread between
    /// rings that the expectation averages over), the circle is too dense for the continuum model, or N is too
    /// small for its de-Poissonisation.
    Shown(f64),
    /// Checked: Chord's own fingers on a converged ring of random identifiers, every run a new ring.
    Checked(f64),
}

/// Fewest nodes whose expected path length is checked (two or fewer are exact too: every path is 0 hops). The
/// de-Poissonised mean is within 3·10^-4 hops of exact averages over random rings from N = 12 on, far inside
/// the interval of any run, but 0.02 hops off at N = 4.
const FEWEST_CHECKED: u32 = 16;

/// The circle must have at least 2^10 points per node: the continuum model is off by about N/2^m hops.
const SPARSE_BITS: u32 = 10;

impl Estimate {
    /// For Chord's lookups on the converged ring of `nodes` nodes that `ring` describes.
    pub fn of(ring: &RingParams, nodes: u32) -> Estimate {
        let expected = path_length::expected_path_length(nodes);
        if checks_expectation(ring, nodes) { Estimate::Checked(expected) } else { Estimate::Shown(expected) }
    }
}

/// Whether the expected path length is the expectation of lookups on this ring (see [`Estimate`]).
fn checks_expectation(ring: &RingParams, nodes: u32) -> bool {
    let sparse = ring.bits >= u64::from(nodes.max(1)).next_power_of_two().ilog2() + SPARSE_BITS;
    let sized = nodes <= 2 || nodes >= FEWEST_CHECKED;
    ring.options() == RingOptions::default() && ring.ids == IdAssignment::Random && sparse && sized
}

/// The expected path length's formula, as the `mean_path_length` analytic states it.
const EXPECTED_FORMULA: &str = "E[path] for random ids: greedy-finger Markov chain on the distance to pred(k), \
                                Poissonised, solved on a grid, de-Poissonised (no slack)";

/// The hop statistics of lookups on `n` nodes from their histogram (`histogram[h]` lookups took h hops, at
/// least one lookup): `mean_hops`, `mean_path_length`, `max_hops`, `hops_p50`, `hops_p99`,
/// `hops_distribution`; beside them as `estimate` says, the expected path length
/// ([`path_length::expected_path_length`]) and hops, and Stoica et al.'s ½·log2 N for reference.
fn hop_metrics(histogram: &[u64], n: u32, estimate: Estimate, out: &mut Outcome) {
    let total = histogram.iter().sum::<u64>() as f64;
    let mean = histogram.iter().zip(0..).map(|(&c, h)| c as f64 * f64::from(h)).sum::<f64>() / total;
    // Stoica et al. count the fingers followed until the predecessor of k, which returns its successor:
    // one hop fewer than the messages that reach succ(k), for every lookup that leaves its initiator.
    let path_length = mean - (1.0 - histogram[0] as f64 / total);
    out.metric("mean_hops", mean)
        .metric("mean_path_length", path_length)
        .metric("max_hops", (histogram.len() - 1) as f64)
        .metric("hops_p50", histogram_quantile(histogram, 0.5))
        .metric("hops_p99", histogram_quantile(histogram, 0.99));
    out.distribution("hops_distribution", histogram.iter().map(|&c| c as f64 / total).collect());
    let (expected, check, formula) = match estimate {
        Estimate::Omitted => return,
        Estimate::Checked(e) => (e, Check::WithinCi { rel_slack: 0.0 }, EXPECTED_FORMULA.to_string()),
        Estimate::Shown(e) => {
            (e, Check::Reference, format!("{EXPECTED_FORMULA}; for Chord's fingers on random ids, shown only here"))
        }
    };
    // The initiator owns the key with probability 1/N (0 hops); every other lookup takes its path and the hop
    // from the predecessor to succ(k).
    let leave = if n == 0 { 0.0 } else { 1.0 - 1.0 / f64::from(n) };
    out.analytic("mean_path_length", "mean_path_length", &formula, expected, check)
        .analytic(
            "mean_hops",
            "mean_hops",
            "E[path] + 1 − 1/N (the hop from pred(k) to succ(k), unless the initiator owns k)",
            expected + leave,
            check,
        )
        .analytic(
            "mean_path_length_half_log2",
            "mean_path_length",
            "½·log2 N (Stoica et al. 2001's estimate)",
            predicted_path_length(n),
            Check::Reference,
        );
}

/// Smallest h such that at least a fraction q of the counted values are ≤ h.
fn histogram_quantile(histogram: &[u64], q: f64) -> f64 {
    let total: u64 = histogram.iter().sum();
    let need = (q * total as f64).ceil().max(1.0) as u64;
    let mut acc = 0;
    for (h, &c) in histogram.iter().enumerate() {
        acc += c;
        if acc >= need {
            return h as f64;
        }
    }
    (histogram.len().max(1) - 1) as f64
}

/// What a Chord run reports (`dissem metrics chord`); the delays only with hosts on an underlay and timing
/// `rounds`, the `churn.` entries only with `churn`, latency and the lookup outcomes only with timing `events`
/// (whose hop statistics count successful lookups).
pub const METRICS: &[MetricDoc] = &[
    MetricDoc::metric("nodes", "nodes", "Chord nodes on the ring.", "N"),
    MetricDoc::metric(
        "mean_hops",
        "hops",
        "Messages per lookup until the request reaches succ(k).",
        "Σ hops / lookups",
    ),
    MetricDoc::metric(
        "mean_path_length",
        "hops",
        "The Chord paper's path length: fingers followed until the predecessor of k. Checked, with random ids, \
         against its exact expectation (a Markov chain on the distance to the predecessor, about 0.14 hops below \
         Stoica et al.'s ½·log2 N for large N, 0.29 at N = 16), shown beside ½·log2 N.",
        "mean_hops − share of lookups that leave their initiator",
    ),
    MetricDoc::metric("max_hops", "hops", "Longest lookup.", "max over lookups of the hops"),
    MetricDoc::metric("hops_p50", "hops", "Median hops per lookup.", "0.5-quantile of the hop histogram"),
    MetricDoc::metric(
        "hops_p99",
        "hops",
        "99th percentile of the hops per lookup.",
        "0.99-quantile of the hop histogram",
    ),
    MetricDoc::metric(
        "mean_delay",
        "time units",
        "Underlay delay along a lookup's overlay path.",
        "Σ over lookups of Σ hop delays / lookups",
    ),
    MetricDoc::metric(
        "mean_direct_delay",
        "time units",
        "Underlay delay from the initiator straight to the key's owner.",
        "Σ shortest-path delays / lookups",
    ),
    MetricDoc::metric(
        "delay_stretch",
        "ratio",
        "Overlay delay over direct delay.",
        "Σ path delays / max(1, Σ direct delays)",
    ),
    MetricDoc::metric(
        "recursive_stretch_p50",
        "ratio",
        "Median lookup stretch, recursive: the request follows the overlay path and the owner answers the \
         initiator directly (Stoica et al. 2003); lookups whose owner shares the initiator's host are left out.",
        "median over lookups of (Σ hop delays + delay(owner, initiator)) / (2 · delay(initiator, owner))",
    ),
    MetricDoc::metric(
        "recursive_stretch_p10",
        "ratio",
        "10th percentile of the recursive lookup stretch.",
        "0.1-quantile over lookups",
    ),
    MetricDoc::metric(
        "recursive_stretch_p99",
        "ratio",
        "99th percentile of the recursive lookup stretch.",
        "0.99-quantile over lookups",
    ),
    MetricDoc::metric(
        "iterative_stretch_p50",
        "ratio",
        "Median lookup stretch, iterative: the initiator asks each node of the path in turn.",
        "median over lookups of Σ_j 2 · delay(initiator, path node j) / (2 · delay(initiator, owner))",
    ),
    MetricDoc::metric(
        "iterative_stretch_p10",
        "ratio",
        "10th percentile of the iterative lookup stretch.",
        "0.1-quantile over lookups",
    ),
    MetricDoc::metric(
        "iterative_stretch_p99",
        "ratio",
        "99th percentile of the iterative lookup stretch.",
        "0.99-quantile over lookups",
    ),
    MetricDoc::distribution(
        "hops_distribution",
        "fraction",
        "Share of lookups taking h hops, h = 0, 1, …",
        "lookups with h hops / lookups",
    ),
    MetricDoc::metric(
        "latency_mean",
        "time units",
        "Timing `events`: time from a successful lookup's start to the owner's answer at its initiator.",
        "Σ latencies / successful lookups",
    ),
    MetricDoc::metric(
        "mean_unicast_delay",
        "time units",
        "Timing `events` on an underlay: mean unicast delay D̄ between two distinct nodes, what a hop to a node \
         chosen without regard to distance costs on average.",
        "Σ over ordered pairs of distinct nodes of delay(a, b) / (N·(N − 1))",
    ),
    MetricDoc::metric(
        "latency_in_unicast_delays",
        "mean unicast delays",
        "Timing `events` on an underlay: mean lookup latency over D̄. On a static ring it is shown beside what \
         the run's hops would cost if each joined two random nodes (recursive: hops + the answer; iterative: a \
         round trip per hop): checked for Chord's fingers with random ids, shown with proximity fingers, whose \
         hops are shorter.",
        "latency_mean / mean_unicast_delay",
    ),
    MetricDoc::metric(
        "latency_p50",
        "time units",
        "Timing `events`: median lookup latency.",
        "0.5-quantile of latencies",
    ),
    MetricDoc::metric(
        "latency_p90",
        "time units",
        "Timing `events`: 90th percentile of the lookup latency.",
        "0.9-quantile of latencies",
    ),
    MetricDoc::metric(
        "latency_p99",
        "time units",
        "Timing `events`: 99th percentile of the lookup latency.",
        "0.99-quantile of latencies",
    ),
    MetricDoc::metric(
        "lookups_failed",
        "fraction",
        "Timing `events`: lookups that found no live entry to route by or were not answered within give_up.",
        "failed / (lookups − abandoned)",
    ),
    MetricDoc::metric(
        "lookups_wrong",
        "fraction",
        "Timing `events`: lookups answered by a node other than the key's live successor when it answered.",
        "wrong / (lookups − abandoned)",
    ),
    MetricDoc::metric(
        "lookups_wrong_new_owner",
        "fraction",
        "Timing `events`: wrong lookups whose key's owner joined the ring after the lookup began.",
        "wrong with the owner newer than the lookup / (lookups − abandoned)",
    ),
    MetricDoc::metric(
        "lookups_wrong_stale_successor",
        "fraction",
        "Timing `events`: other wrong lookups, answered by a node that another named as its successor while \
         the owner lay between them (the owner not yet announced by stabilisation).",
        "wrong by a successor pointer / (lookups − abandoned)",
    ),
    MetricDoc::metric(
        "lookups_wrong_stale_predecessor",
        "fraction",
        "Timing `events`: other wrong lookups, answered by their initiator, whose predecessor pointer skipped \
         the owner.",
        "wrong by a predecessor pointer / (lookups − abandoned)",
    ),
    MetricDoc::metric(
        "wrong_owner_age_max",
        "time units",
        "Timing `events`: longest time the owner of a wrongly answered key had been in the ring when the wrong \
         answer was given (0 without wrong lookups): about two stabilisation periods while joins propagate.",
        "max over wrong lookups of (answer time − owner's join time)",
    ),
    MetricDoc::metric(
        "lookups_abandoned",
        "fraction",
        "Timing `events`: lookups whose initiator left before the answer (or that found no live node to start).",
        "abandoned / lookups",
    ),
    MetricDoc::metric(
        "timeouts_per_lookup",
        "timeouts",
        "Timing `events`: contacts of measured lookups that went unanswered.",
        "timeouts / (lookups − abandoned)",
    ),
    MetricDoc::metric(
        "messages_per_lookup",
        "messages",
        "Timing `events`: messages of measured lookups (requests, answers, suspicions, hop acknowledgements).",
        "lookup messages / lookups",
    ),
    MetricDoc::metric(
        "maintenance_per_node_time",
        "messages per node per time unit",
        "Timing `events`: stabilize, notify, check_predecessor, fix_fingers and join messages.",
        "maintenance messages / ∫ live nodes dt",
    ),
    MetricDoc::metric(
        "alive_mean",
        "fraction",
        "Timing `events`: time-averaged share of the nodes up.",
        "∫ live nodes dt / (N · run time)",
    ),
    MetricDoc::metric(
        "churn.lookup_success_mean",
        "fraction",
        "Share of lookups that found the key's live owner, averaged over rounds 0..=rounds.",
        "mean of churn.lookup_success",
    ),
    MetricDoc::metric(
        "churn.lookup_success_min",
        "fraction",
        "Worst round's lookup success.",
        "min of churn.lookup_success",
    ),
    MetricDoc::metric(
        "churn.lookup_success_final",
        "fraction",
        "Last round's lookup success.",
        "last of churn.lookup_success",
    ),
    MetricDoc::metric(
        "churn.mean_hops_final",
        "hops",
        "Last round's hops per successful lookup.",
        "last of churn.mean_hops",
    ),
    MetricDoc::series("churn.alive", "fraction", "Share of nodes up, per round.", "live nodes / N"),
    MetricDoc::series(
        "churn.lookup_success",
        "fraction",
        "Share of the round's lookups that reached the key's live owner.",
        "successful lookups / lookups",
    ),
    MetricDoc::series(
        "churn.mean_hops",
        "hops",
        "Hops per successful lookup, per round.",
        "Σ hops of successful lookups / successful lookups",
    ),
    MetricDoc::series(
        "churn.timeouts_per_lookup",
        "timeouts",
        "Contacts of departed nodes per lookup, per round.",
        "timeouts / lookups",
    ),
    MetricDoc::series(
        "churn.correct_successors",
        "fraction",
        "Share of live nodes whose first live listed successor is their true successor.",
        "correct / live nodes",
    ),
];

/// Chord as a [`Model`]: `model.kind = "chord"`.
pub struct Chord;

/// Chord's parameters with the nodes they run on.
pub struct PreparedChord {
    params: ChordParams,
    /// The underlay's hosts, or `nodes` bare overlay nodes on a complete topology.
    underlay: Option<Underlay>,
    nodes: u32,
    /// Message latency between bare nodes (timing `events` without an underlay).
    network: Network,
    /// The expected path length beside the lookups (omitted without lookups).
    estimate: Estimate,
}

impl PreparedChord {
    fn nodes(&self) -> Nodes<'_> {
        match &self.underlay {
            Some(u) => Nodes::Hosts(u),
            None => Nodes::Bare(self.nodes),
        }
    }
}

impl Model for Chord {
    const KIND: &'static str = "chord";
    const ABOUT: &'static str = "Chord lookups (and churn with stabilisation) on the topology's hosts, or on \
                                 `complete.nodes` overlay nodes without an underlay.";
    const METRICS: &'static [MetricDoc] = METRICS;
    type Params = ChordParams;
    type Prepared = PreparedChord;

    fn check(&self, params: &ChordParams) -> Result<(), ModelError> {
        params.check("")
    }

    fn prepare(&self, params: &ChordParams, env: &Env) -> Result<PreparedChord, ModelError> {
        let underlay = match &*env.topology {
            Topology::Complete { .. } => None,
            Topology::Graph(_) => Some(underlay_of(env)?),
        };
        if matches!(params.timing, ChordTiming::Events(_)) && env.network.loss > 0.0 {
            return Err(ModelError::outside(
                "network.loss",
                "event-driven Chord needs a lossless network: a lost message would pass for a failed node",
            ));
        }
        let mut prepared = PreparedChord {
            params: params.clone(),
            underlay,
            nodes: env.topology.node_count(),
            network: env.network,
            estimate: Estimate::Omitted,
        };
        params.validate("", prepared.nodes())?;
        if params.lookups > 0 {
            // The ring's nodes: the underlay's hosts, not its routers.
            prepared.estimate = Estimate::of(&params.ring, prepared.nodes().len());
        }
        Ok(prepared)
    }

    fn run(&self, p: &PreparedChord, seed: u64, run: u64) -> Outcome {
        self.run_observed(p, seed, run, &Unobserved)
    }

    /// Lookups report their progress (the churn experiment, bounded in rounds, does not).
    fn run_observed(&self, p: &PreparedChord, seed: u64, run: u64, progress: &dyn Progress) -> Outcome {
        crate::chord::run(&p.params, p.nodes(), p.network, p.estimate, seed, run, progress)
    }

    /// The underlay on a graph with, in `prepare`, the expected path length's grid; then the converged ring for
    /// the lookups (or the event-driven nodes' state), freed before the churn experiment's own state is built.
    fn estimated_bytes(&self, params: &ChordParams, size: &Size) -> u64 {
        let on_graph = size.edges > 0;
        let nodes = if size.hosts > 0 { size.hosts } else { size.nodes };
        // On an underlay, two stretches (f64) per lookup are kept for their quantiles.
        let stretches = if on_graph { u64::from(params.lookups) * 16 } else { 0 };
        // The expected path length's grid, freed at the end of `prepare`.
        let grid =
            if params.lookups > 0 { path_length::grid_bytes(u32::try_from(nodes).unwrap_or(u32::MAX)) } else { 0 };
        let ring = match &params.timing {
            ChordTiming::Rounds if params.lookups > 0 => params.ring.estimated_bytes(nodes) + stretches,
            ChordTiming::Rounds => 0,
            ChordTiming::Events(e) => {
                let proximity = if params.ring.candidates > 1 { params.ring.estimated_bytes(nodes) } else { 0 };
                e.estimated_bytes(nodes, params.ring.bits, params.lookups).saturating_add(proximity)
            }
        };
        let churn = params.churn.as_ref().map_or(0, |c| c.estimated_bytes(nodes, params.ring.bits));
        let underlay = if on_graph { underlay_bytes(size) } else { 0 };
        underlay.saturating_add(ring.max(churn).max(grid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Analytic;
    use crate::overlay::random_ids;
    use proptest::prelude::*;
    use sim_core::stats::Summary;

    /// A whole Chord run, with its expected path length computed as `prepare` does.
    pub(super) fn run_chord(params: &ChordParams, nodes: Nodes<'_>, network: Network, seed: u64, run: u64) -> Outcome {
        let estimate = Estimate::of(&params.ring, nodes.len());
        super::run(params, nodes, network, estimate, seed, run, &Unobserved)
    }

    /// Brute force: the first id ≥ key, else the smallest id.
    fn brute_succ(ids: &[u64], key: u64) -> u64 {
        ids.iter().copied().filter(|&id| id >= key).min().unwrap_or_else(|| *ids.iter().min().unwrap())
    }

    fn ring_of(bits: u32, n: u32, seed: u64) -> Ring {
        let space = IdSpace::new(bits);
        Ring::new(space, &random_ids(space, n, &mut stream(seed, 0, Lane::Placement)))
    }

    #[test]
    fn paper_example_fingers() {
        // Stoica et al. Fig. 3(b): m = 3, nodes 0, 1, 3; finger tables 1 3 0 / 3 3 0 / 0 0 0.
        let ring = Ring::new(IdSpace::new(3), &[0, 1, 3]);
        let ids = |p: u32| ring.fingers(p).iter().map(|&f| ring.id(f)).collect::<Vec<_>>();
        assert_eq!(ids(ring.position(0)), vec![1, 3, 0]);
        assert_eq!(ids(ring.position(1)), vec![3, 3, 0]);
        assert_eq!(ids(ring.position(2)), vec![0, 0, 0]);
        let mut path = Vec::new();
        let route = |from: u64, key: u64, path: &mut Vec<u32>| {
            ring.lookup_path(ring.successor_of(from), key, path);
            path.iter().map(|&p| ring.id(p)).collect::<Vec<_>>()
        };
        // Node 3 owns key 2 (2 ∈ (1, 3]); node 0 reaches it through finger[1] = 1, whose successor covers it.
        assert_eq!(route(3, 2, &mut path), vec![3]);
        assert_eq!(route(0, 2, &mut path), vec![0, 1, 3]);
        // Key 6 from node 1: finger[3] = 0 overshoots, finger[2] = 3 precedes 6, and 3's successor 0 covers it.
        assert_eq!(route(1, 6, &mut path), vec![1, 3, 0]);
    }

    #[test]
    fn hops_around_silent_nodes_fall_back_to_the_next_entry() {
        // The paper's ring 0, 1, 3 (positions 0, 1, 2): from node 0, key 2 goes to finger 1.
        let ring = Ring::new(IdSpace::new(3), &[0, 1, 3]);
        let none = |_: u32| false;
        assert_eq!(ring.hop_around(0, 2, 2, none), Some(Hop::Closer(1)));
        assert_eq!(ring.hop(0, 2), Hop::Closer(1), "nothing silent: the converged hop");
        // Node 1 silent: the next successor, 3, covers key 2.
        assert_eq!(ring.hop_around(0, 2, 2, |p| p == 1), Some(Hop::Owner(2)));
        // With a successor list of one entry, only fingers are left; 3 overshoots the key: no way forward.
        assert_eq!(ring.hop_around(0, 2, 1, |p| p == 1), None);
        assert_eq!(ring.hop_around(0, 2, 2, |p| p != 0), None);
        // A key equal to the node's own id is its own.
        assert_eq!(ring.hop_around(0, 0, 2, none), Some(Hop::Owner(0)));
        // Key 6 from node 1: finger 3 precedes it; with 3 silent, the successor list's 0 covers it.
        assert_eq!(ring.hop_around(1, 6, 2, none), Some(Hop::Closer(2)));
        assert_eq!(ring.hop_around(1, 6, 2, |p| p == 2), Some(Hop::Owner(0)));
    }

    /// Replicate means of `metric` over `runs` runs of `params` on `n` bare nodes, and the analytic value
    /// `name` of the first run.
    fn replicated(params: &ChordParams, n: u32, runs: u64, metric: &str, name: &str) -> (Summary, Analytic) {
        let outs: Vec<Outcome> =
            (0..runs).map(|r| run_chord(params, Nodes::Bare(n), Network::default(), 42, r)).collect();
        let means: Vec<f64> = outs.iter().map(|o| o.get(metric).unwrap()).collect();
        (Summary::of(&means), outs[0].analytic.iter().find(|a| a.name == name).unwrap().clone())
    }

    #[test]
    fn mean_path_length_is_its_expectation_within_the_interval() {
        // 12 rings of N = 1024, 4000 lookups each: the replicate means' 95% interval holds the expected path
        // length, checked with no slack; ½·log2 N = 5 lies outside it (0.15 hops above).
        let params = ChordParams { lookups: 4_000, ..ChordParams::default() };
        let (s, a) = replicated(&params, 1024, 12, "mean_path_length", "mean_path_length");
        assert_eq!(a.check, Check::WithinCi { rel_slack: 0.0 });
        assert_eq!(a.value, path_length::expected_path_length(1024));
        assert!((s.mean - a.value).abs() <= s.half_width(), "{s:?} vs {}", a.value);
        assert!((s.mean - predicted_path_length(1024)).abs() > s.half_width(), "{s:?}");
        let (hops, expected_hops) = replicated(&params, 1024, 12, "mean_hops", "mean_hops");
        assert_eq!(expected_hops.value, a.value + 1.0 - 1.0 / 1024.0);
        assert!((hops.mean - expected_hops.value).abs() <= hops.half_width(), "{hops:?}");
        let out = run_chord(&params, Nodes::Bare(1024), Network::default(), 42, 0);
        let hist = &out.distributions.iter().find(|(n, _)| n == "hops_distribution").unwrap().1;
        assert!((hist.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let extra = out.get("mean_hops").unwrap() - out.get("mean_path_length").unwrap();
        assert!((extra - (1.0 - hist[0])).abs() < 1e-9);
    }

    #[test]
    fn a_path_length_off_by_a_twentieth_of_a_hop_fails_the_check() {
        // The shipped scenario chord-lookups-n256: 10 rings of 256 nodes, 20,000 lookups each.
        let params = ChordParams { lookups: 20_000, ..ChordParams::default() };
        let (s, a) = replicated(&params, 256, 10, "mean_path_length", "mean_path_length");
        assert!((s.mean - a.value).abs() <= s.half_width(), "{s:?} vs {}", a.value);
        for wrong in [a.value - 0.05, a.value + 0.05] {
            assert!((s.mean - wrong).abs() > s.half_width(), "{s:?} vs {wrong}");
        }
    }

    #[test]
    fn the_expected_path_length_is_checked_only_where_it_is_the_expectation() {
        let ring = RingParams::default();
        assert!(checks_expectation(&ring, 1024));
        assert!(checks_expectation(&ring, 2), "every path is 0 hops");
        assert!(!checks_expectation(&ring, 8), "de-Poissonisation off by 10^-3 hops");
        assert!(checks_expectation(&ring, 1 << 22));
        assert!(!checks_expectation(&ring, (1 << 22) + 1), "fewer than 2^10 points per node");
        let hashed = RingParams { ids: IdAssignment::Hashed, ..RingParams::default() };
        assert!(!checks_expectation(&hashed, 1024), "the same ring in every run");
        let proximity = RingParams { candidates: 4, ..RingParams::default() };
        assert!(!checks_expectation(&proximity, 1024));
        let listed = RingParams { successor_list: 8, ..RingParams::default() };
        assert!(!checks_expectation(&listed, 1024), "paths end before pred(k)");
        assert_eq!(Estimate::of(&ring, 1024), Estimate::Checked(path_length::expected_path_length(1024)));
    }

    #[test]
    fn lookups_on_hosts_report_underlay_delays_and_hashed_ids_use_host_names() {
        use sim_core::topology::GraphBuilder;
        // A star of 3 routers (delays 10) with 40 hosts on access links of delay 1.
        let mut b = GraphBuilder::new(44);
        b.weighted_edge(0, 1, 10).weighted_edge(0, 2, 10).weighted_edge(0, 3, 10);
        for h in 4..44 {
            b.weighted_edge(h, 1 + h % 3, 1);
        }
        let g = b.build().unwrap();
        let u = Underlay::new(g.clone().into(), (4..44).collect()).unwrap();
        let params = ChordParams {
            ring: RingParams { bits: 64, ids: IdAssignment::Hashed, ..RingParams::default() },
            lookups: 500,
            churn: None,
            timing: ChordTiming::Rounds,
        };
        params.validate("chord", Nodes::Hosts(&u)).unwrap();
        let a = run_chord(&params, Nodes::Hosts(&u), Network::default(), 1, 0);
        let b = run_chord(&params, Nodes::Hosts(&u), Network::default(), 2, 0);
        // Hashed ids do not depend on the seed; the lookups do.
        let ids = |seed| node_ids(params.ring.space(), params.ring.ids, Nodes::Hosts(&u), seed, 0);
        assert_eq!(ids(1), ids(2));
        assert_eq!(ids(1)[0], IdSpace::new(64).hash("4"));
        assert_ne!(a.get("mean_delay"), b.get("mean_delay"));
        // Every overlay hop costs at least the direct path, so the overlay delay is at least the direct one.
        assert!(a.get("delay_stretch").unwrap() >= 1.0);
        assert!(a.get("mean_direct_delay").unwrap() > 0.0);
        let short = RingParams { bits: 6, ids: IdAssignment::Hashed, ..RingParams::default() };
        assert!(short.validate("ring", Nodes::Hosts(&u)).unwrap_err().message.contains("same 6-bit identifier"));
    }

    #[test]
    fn chord_parameters_read_from_json_and_run_churn() {
        let params: ChordParams = serde_json::from_str(
            r#"{"ring": {"bits": 64, "ids": "random"}, "lookups": 200,
                "churn": {"rounds": 6, "lookups": 100, "events": [{"round": 2, "fail": 0.2}]}}"#,
        )
        .unwrap();
        params.validate("chord", Nodes::Bare(128)).unwrap();
        let out = run_chord(&params, Nodes::Bare(128), Network::default(), 3, 1);
        assert_eq!(out, run_chord(&params, Nodes::Bare(128), Network::default(), 3, 1));
        let alive = &out.series.iter().find(|(n, _)| n == "churn.alive").unwrap().1;
        assert_eq!(alive.len(), 7);
        assert_eq!(alive[2], 102.0 / 128.0);
        assert!(out.get("mean_hops").is_some() && out.get("churn.lookup_success_final").is_some());
        let bad: ChordParams = serde_json::from_str(r#"{"ring": {"bits": 0}}"#).unwrap();
        assert_eq!(bad.validate("chord", Nodes::Bare(8)).unwrap_err().field, "chord.ring.bits");
        assert!(serde_json::from_str::<ChordParams>(r#"{"lookup": 3}"#).is_err());
    }

    /// `hosts` hosts on a ring of 12 routers with pseudo-random link and access delays.
    fn small_underlay(hosts: u32, seed: u64) -> Underlay {
        use sim_core::topology::GraphBuilder;
        let r = 12;
        let mut b = GraphBuilder::new(r + hosts);
        let mut x = seed;
        let mut next = |m: u64| {
            x = sim_core::rng::mix64(x);
            1 + (x % m) as u32
        };
        for v in 0..r {
            b.weighted_edge(v, (v + 1) % r, next(30));
        }
        for h in 0..hosts {
            let router = next(u64::from(r)) - 1;
            b.weighted_edge(r + h, router, next(5));
        }
        Underlay::new(b.build().unwrap().into(), (r..r + hosts).collect()).unwrap()
    }

    #[test]
    fn proximity_needs_an_underlay_and_bounded_candidates() {
        let bare = Nodes::Bare(16);
        let e = RingParams { candidates: 4, ..RingParams::default() }.validate("ring", bare).unwrap_err();
        assert_eq!(e.field, "ring.candidates");
        assert!(e.message.contains("proximity needs delays"), "{e}");
        let e = RingParams { route: RouteChoice::Proximity, ..RingParams::default() }.validate("ring", bare);
        assert_eq!(e.unwrap_err().field, "ring.route");
        let e = RingParams { candidates: 0, ..RingParams::default() }.validate("ring", bare).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("ring.candidates", "must be from 1 to 256, got 0"));
        assert!(RingParams { candidates: 257, ..RingParams::default() }.validate("ring", bare).is_err());
        // A successor list needs no delays, but is bounded.
        RingParams { successor_list: 16, ..RingParams::default() }.validate("ring", bare).unwrap();
        for r in [0, 257] {
            let e = RingParams { successor_list: r, ..RingParams::default() }.validate("ring", bare).unwrap_err();
            assert_eq!(e.field, "ring.successor_list");
        }
        let events: ChordParams =
            serde_json::from_str(r#"{"ring": {"successor_list": 4}, "timing": {"kind": "events"}}"#).unwrap();
        assert_eq!(events.validate("chord", bare).unwrap_err().field, "chord.ring.successor_list");
        // Defaults are left out when written back, so existing scenarios read and print as before.
        let json = serde_json::to_value(RingParams::default()).unwrap();
        assert_eq!(json, serde_json::json!({"bits": 32, "ids": "random"}));
        let read: RingParams =
            serde_json::from_str(r#"{"candidates": 8, "candidate_scope": "successors", "route": "proximity"}"#)
                .unwrap();
        assert_eq!(
            read.options(),
            RingOptions {
                candidates: 8,
                scope: CandidateScope::Successors,
                route: RouteChoice::Proximity,
                successor_list: 1
            }
        );
    }

    #[test]
    fn proximity_shortens_lookup_delays_on_an_underlay() {
        // 600 hosts on 12 routers: with 16 candidates per finger, lookups cross fewer long router links.
        let u = small_underlay(600, 5);
        let base = ChordParams { lookups: 3_000, ..ChordParams::default() };
        let near = ChordParams { ring: RingParams { candidates: 16, ..RingParams::default() }, ..base.clone() };
        let stretch = |p: &ChordParams| {
            let xs: Vec<f64> = (0..6)
                .map(|r| run_chord(p, Nodes::Hosts(&u), Network::default(), 9, r).get("recursive_stretch_p50").unwrap())
                .collect();
            sim_core::stats::Summary::of(&xs)
        };
        let (before, after) = (stretch(&base), stretch(&near));
        // The intervals are disjoint: proximity lowers the median stretch beyond replicate noise.
        assert!(after.ci95.1 < before.ci95.0, "{before:?} {after:?}");
    }

    proptest! {
        #[test]
        fn proximity_fingers_and_routes_reach_the_owner(
            hosts in 2u32..120,
            seed in any::<u64>(),
            candidates in 1u32..20,
            successors in any::<bool>(),
            proximity_route in any::<bool>(),
            successor_list in 1u32..20,
            keys in proptest::collection::vec(any::<u64>(), 1..30),
        ) {
            let u = small_underlay(hosts, seed);
            let bits = 12;
            let space = IdSpace::new(bits);
            let ids = random_ids(space, hosts, &mut stream(seed, 1, Lane::Placement));
            let scope = if successors { CandidateScope::Successors } else { CandidateScope::Interval };
            let route = if proximity_route { RouteChoice::Proximity } else { RouteChoice::ClosestPreceding };
            let options = RingOptions { candidates, scope, route, successor_list };
            let ring = Ring::with_proximity(space, &ids, options, &u);
            let listless = Ring::with_proximity(space, &ids, RingOptions { successor_list: 1, ..options }, &u);
            let plain = Ring::new(space, &ids);
            for p in 0..hosts {
                for (i, (&f, &chord)) in ring.fingers(p).iter().zip(plain.fingers(p)).enumerate() {
                    // A finger is Chord's or one of the `candidates` nodes from it clockwise, never nearer by
                    // delay than it is allowed to be: no candidate beats it.
                    let steps = (f + hosts - chord) % hosts;
                    prop_assert!(steps < candidates, "finger {i} of {p}: {steps} steps past Chord's");
                    prop_assert!(u.delay(ring.node(p), ring.node(f)) <= u.delay(ring.node(p), ring.node(chord)));
                    if !successors && steps > 0 {
                        let d = space.distance(ring.id(p), ring.id(f));
                        prop_assert!(d >= 1 << i && (i + 1 >= bits as usize || d < 1 << (i + 1)));
                    }
                }
            }
            let mut path = Vec::new();
            for (k, key) in keys.into_iter().enumerate() {
                let key = space.add(0, key);
                let from = (k as u32 * 31) % hosts;
                ring.lookup_path(from, key, &mut path);
                prop_assert_eq!(*path.last().unwrap(), plain.successor_of(key));
                for w in path.windows(2) {
                    let left = |v: u32| space.distance(ring.id(v), key);
                    prop_assert!(left(w[1]) < left(w[0]) || w[1] == ring.successor_of(key));
                }
                let mut nodes = Vec::new();
                StructuredOverlay::route(&ring, ring.node(from), key, &mut nodes);
                prop_assert_eq!(nodes, path.iter().map(|&p| ring.node(p)).collect::<Vec<_>>());
                // The successor list only cuts the path short: the route without it, up to the first node
                // with the owner among its first r successors, then the owner; by the triangle inequality of
                // shortest-path delays it is never slower.
                let owner = plain.successor_of(key);
                let mut full = Vec::new();
                listless.lookup_path(from, key, &mut full);
                let within = |p: u32| p != owner && (owner + hosts - p) % hosts <= successor_list;
                let cut = full.iter().position(|&p| within(p)).map_or(full.len(), |i| i + 1);
                let mut expected = full[..cut].to_vec();
                if expected.last() != Some(&owner) {
                    expected.push(owner);
                }
                prop_assert_eq!(&path, &expected);
                let delay = |p: &[u32]| p.windows(2).map(|w| u.delay(ring.node(w[0]), ring.node(w[1]))).sum::<u64>();
                prop_assert!(delay(&path) <= delay(&full));
                // No hop passes the key: every node before the owner lies strictly between `from` and the key.
                let span = space.distance(ring.id(from), key);
                for &v in &path[..path.len() - 1] {
                    prop_assert!(v == from || space.distance(ring.id(from), ring.id(v)) < span);
                }
                // Stoica's alternates are chosen when forwarding: from the largest finger whose start precedes
                // the key down, the nearest by delay (ties: the first) of its candidates (up to `candidates`
                // nodes clockwise from Chord's finger, never the node itself) strictly before the key.
                if successors && !proximity_route {
                    for w in full.windows(2) {
                        let (p, n) = (w[0], ring.id(w[0]));
                        let d = space.distance(n, key);
                        let before = |c: u32| (1..d).contains(&space.distance(n, ring.id(c)));
                        let succ = ring.successor(p);
                        let expected = if !before(succ) {
                            succ
                        } else {
                            (0..bits as usize)
                                .rev()
                                .find_map(|i| {
                                    let first = plain.fingers(p)[i];
                                    (0..candidates)
                                        .map(|k| (first + k) % hosts)
                                        .take_while(|&c| c != p)
                                        .filter(|&c| before(c))
                                        .min_by_key(|&c| u.delay(ring.node(p), ring.node(c)))
                                })
                                .unwrap_or(succ)
                        };
                        prop_assert_eq!(w[1], expected, "hop from {} for key {}", p, key);
                    }
                }
                // Routing around silent nodes chooses as the converged hop does: with nothing silent and a
                // successor list of one, exactly its hop; with some nodes silent, never one of them, and every
                // hop still makes progress or names a trusted owner.
                if !listless.owns(from, key) {
                    prop_assert_eq!(listless.hop_around(from, key, 1, |_| false), Some(listless.hop(from, key)));
                }
                let silent = |p: u32| (u64::from(p) ^ key).is_multiple_of(3) && p != from;
                let d = space.distance(ring.id(from), key);
                match listless.hop_around(from, key, 2, silent) {
                    Some(Hop::Owner(o)) => prop_assert!(
                        o == from && d == 0 || !silent(o) && d <= space.distance(ring.id(from), ring.id(o))
                    ),
                    Some(Hop::Closer(f)) => {
                        prop_assert!(!silent(f) && (1..d).contains(&space.distance(ring.id(from), ring.id(f))));
                    }
                    None => {}
                }
            }
        }

        #[test]
        fn every_lookup_ends_at_the_brute_force_successor(
            bits in prop_oneof![Just(64u32), 1u32..=64],
            n in 1u32..200,
            seed in any::<u64>(),
            keys in proptest::collection::vec(any::<u64>(), 1..40),
        ) {
            let space = IdSpace::new(bits);
            let n = n.min(space.size().min(1 << 20) as u32);
            let ring = ring_of(bits, n, seed);
            let (mut path, mut nodes) = (Vec::new(), Vec::new());
            for (i, key) in keys.into_iter().enumerate() {
                let key = space.add(0, key);
                let from = (i as u32 * 7919) % n;
                ring.lookup_path(from, key, &mut path);
                let owner = *path.last().unwrap();
                prop_assert_eq!(ring.id(owner), brute_succ(ring.ids(), key));
                prop_assert_eq!(ring.successor_of(key), owner);
                // Every hop but the last moves strictly closer to the key; no node repeats.
                for w in path.windows(2) {
                    let before = space.distance(ring.id(w[0]), key);
                    prop_assert!(space.distance(ring.id(w[1]), key) < before || w[1] == owner);
                }
                prop_assert!(path.len() <= n as usize);
                // As a structured overlay, the ring routes over the same nodes to the key's root.
                StructuredOverlay::route(&ring, ring.node(from), key, &mut nodes);
                prop_assert_eq!(&nodes, &path.iter().map(|&p| ring.node(p)).collect::<Vec<_>>());
                prop_assert_eq!(ring.root(key), ring.node(owner));
            }
            for p in 0..n {
                for (i, &f) in ring.fingers(p).iter().enumerate() {
                    let start = space.add(ring.id(p), 1 << i);
                    prop_assert_eq!(ring.id(f), brute_succ(ring.ids(), start));
                }
            }
        }
    }

    /// A long run tells its observer how far it has got, from 0 to all lookups, in order, and returns
    /// exactly what an unobserved run returns.
    #[test]
    fn lookups_report_progress_without_changing_results() {
        struct Record(std::sync::Mutex<Vec<(u64, u64)>>);
        impl Progress for Record {
            fn advance(&self, done: u64, total: u64) {
                self.0.lock().unwrap().push((done, total));
            }
        }
        let count = 3 * PROGRESS_STEP + 5;
        let params = ChordParams { lookups: count, ..ChordParams::default() };
        let record = Record(std::sync::Mutex::new(Vec::new()));
        let observed = run(&params, Nodes::Bare(64), Network::default(), Estimate::of(&params.ring, 64), 3, 1, &record);
        assert_eq!(observed, run_chord(&params, Nodes::Bare(64), Network::default(), 3, 1));
        let total = u64::from(count);
        let step = u64::from(PROGRESS_STEP);
        let expected: Vec<(u64, u64)> = [0, step, 2 * step, 3 * step, total].iter().map(|&d| (d, total)).collect();
        assert_eq!(*record.0.lock().unwrap(), expected);
    }
}
