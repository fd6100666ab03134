//! Replica state and the anti-entropy exchange, shared by anti-entropy, the anti-entropy phase after rumor
//! spreading, and death certificates.
//!
//! Two representations of the same thing: [`Bitset`] for the common single-update case (one bit per node),
//! and [`Store`] for the general one (per node a key → (value, version) map, stored densely as one row of
//! entry slots per node). Both implement [`Replicas`], so the exchange logic exists once.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::NodeId;
use sim_core::rng::{SimRng, chance};
use sim_core::topology::Topology;

use super::Mode;

/// Bytes one entry occupies in a message: key (8) + value (8) + version (8).
pub const ENTRY_BYTES: u64 = 24;

/// Bound on nodes × keys of a [`Store`] (32 bytes per entry, kept twice in synchronous rounds: 1 GiB).
pub(crate) const MAX_STORE_ENTRIES: u64 = 1 << 24;

/// Which state reads see: the current one, or the one frozen at the start of a synchronous round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum View {
    Now = 0,
    RoundStart = 1,
}

/// The state of all replicas. Writes always go to the current state; synchronous rounds read the state
/// [`Replicas::freeze`] kept at the start of the round.
pub(crate) trait Replicas {
    /// A node's entries, or a subset of them, as one message carries them; doubles as a digest.
    type Snapshot;

    /// Every entry `node` holds.
    fn snapshot(&self, view: View, node: NodeId) -> Self::Snapshot;
    /// The entries of `node` that are newer than those in `digest` (what a reply to `digest` carries).
    fn newer(&self, view: View, node: NodeId, digest: &Self::Snapshot) -> Self::Snapshot;
    /// Keeps the current state as [`View::RoundStart`].
    fn freeze(&mut self);
    /// Number of entries in a snapshot.
    fn len(s: &Self::Snapshot) -> u32;
    /// Merges `s` into `node`, keeping the newer version of each key. Returns how many (node, update) pairs
    /// this adds: a node holds an update once it holds that version of its key or a newer one.
    fn merge(&mut self, node: NodeId, s: &Self::Snapshot) -> u64;
    /// Writes update `u` at its node; returns the (node, update) pairs this adds.
    fn inject(&mut self, u: &Update) -> u64;

    /// The exchanges of one synchronous round, after [`Replicas::freeze`] (see [`sync_round`]). The provided
    /// body works for any representation; [`Bitset`] replaces it with a word-at-a-time form of the same
    /// steps and draws (the tests check that both give identical results).
    #[inline(always)]
    fn exchanges<const PUSH: bool, const PULL: bool>(
        &mut self,
        topology: &Topology,
        rng: &mut SimRng,
        loss: f64,
        online: impl Fn(NodeId) -> bool,
        traffic: &mut Traffic,
    ) -> u64
    where
        Self: Sized,
    {
        // Counters in locals, so that they stay in registers.
        let mut t = *traffic;
        let mut gained = 0;
        let lost = |rng: &mut SimRng| loss > 0.0 && chance(rng, loss);
        for p in 0..topology.node_count() {
            if !online(p) {
                continue;
            }
            let Some(q) = topology.random_neighbor(p, rng) else {
                continue;
            };
            t.messages += 1;
            let mine = self.snapshot(View::RoundStart, p);
            if PUSH {
                t.entries += u64::from(Self::len(&mine));
            }
            if !online(q) {
                t.failed += 1;
                continue;
            }
            if lost(rng) {
                continue;
            }
            if PUSH {
                gained += self.merge(q, &mine);
            }
            if PULL {
                let reply = self.newer(View::RoundStart, q, &mine);
                t.messages += 1;
                t.entries += u64::from(Self::len(&reply));
                if !lost(rng) {
                    gained += self.merge(p, &reply);
                }
            }
        }
        *traffic = t;
        gained
    }
}

/// An update placed in the system by a client: in synchronous rounds `at` is the round after which the node
/// holds it (0 = before round 1); event-driven, the time at which it is written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Update {
    pub node: NodeId,
    pub at: u64,
    /// Index of the key's slot in a [`Store`] row.
    pub slot: u32,
    pub entry: Entry,
}

/// One key's state at a node. `version == 0`: the node holds nothing for the key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    pub version: u32,
    /// When the update was written (round or time), carried with it; death certificates expire by it.
    pub stamp: u64,
    /// `None`: a death certificate.
    pub value: Option<u64>,
}

/// Where and when an update is written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSpec {
    /// The key written; several updates to one key are ordered by (`at`, position in the list) and the
    /// later one wins (last writer wins).
    #[serde(default)]
    pub key: u64,
    /// The node written at; absent: a uniformly random node.
    #[serde(default)]
    pub node: Option<NodeId>,
    /// Round after which the node holds it (synchronous rounds, 0 = initially) or time of the write
    /// (event-driven).
    #[serde(default)]
    pub at: u64,
    /// The value written; default: the update's position in the list.
    #[serde(default)]
    pub value: Option<u64>,
}

impl Default for UpdateSpec {
    fn default() -> Self {
        UpdateSpec { key: 0, node: Some(0), at: 0, value: None }
    }
}

/// Turns specs into updates: random nodes drawn from `rng` in list order, keys mapped to slots in order of
/// first appearance, versions 1, 2, … in (at, list position) order. Returns the updates in that order
/// and the number of key slots.
pub(crate) fn resolve(specs: &[UpdateSpec], nodes: u32, rng: &mut SimRng) -> (Vec<Update>, usize) {
    let mut keys: Vec<u64> = Vec::new();
    let mut updates: Vec<Update> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let slot = keys.iter().position(|&k| k == s.key).unwrap_or_else(|| {
                keys.push(s.key);
                keys.len() - 1
            });
            Update {
                node: s.node.unwrap_or_else(|| sim_core::rng::below(rng, nodes)),
                at: s.at,
                slot: slot as u32,
                entry: Entry { version: 0, stamp: s.at, value: Some(s.value.unwrap_or(i as u64)) },
            }
        })
        .collect();
    updates.sort_by_key(|u| u.at); // stable: list order among equal times
    for (i, u) in updates.iter_mut().enumerate() {
        u.entry.version = i as u32 + 1;
    }
    (updates, keys.len())
}

/// One bit per node: whether it holds the single update, now and at the start of the round. The two words
/// of a node sit side by side, so that an exchange with a random peer touches one cache line.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bitset {
    /// `[now, round start]` per 64 nodes.
    words: Vec<[u64; 2]>,
}

impl Bitset {
    pub fn new(n: u32) -> Self {
        Bitset { words: vec![[0; 2]; (n as usize).div_ceil(64)] }
    }

    #[inline]
    pub fn get(&self, view: View, i: NodeId) -> bool {
        self.words[(i / 64) as usize][view as usize] >> (i % 64) & 1 == 1
    }

    /// Sets bit `i` now; returns whether it was clear.
    #[inline]
    pub fn set(&mut self, i: NodeId) -> bool {
        let w = &mut self.words[(i / 64) as usize][0];
        let bit = 1u64 << (i % 64);
        let was_clear = *w & bit == 0;
        *w |= bit;
        was_clear
    }
}

impl Replicas for Bitset {
    /// Whether the node holds the update.
    type Snapshot = bool;

    #[inline]
    fn snapshot(&self, view: View, node: NodeId) -> bool {
        self.get(view, node)
    }

    // Branch-free (`&`, `|=`): in the middle rounds these bits are coin flips a branch predictor cannot learn.
    #[inline]
    fn newer(&self, view: View, node: NodeId, digest: &bool) -> bool {
        !*digest & self.get(view, node)
    }

    fn freeze(&mut self) {
        for w in &mut self.words {
            w[1] = w[0];
        }
    }

    #[inline]
    fn len(s: &bool) -> u32 {
        u32::from(*s)
    }

    #[inline]
    fn merge(&mut self, node: NodeId, s: &bool) -> u64 {
        let w = &mut self.words[(node / 64) as usize][0];
        let before = *w;
        *w |= u64::from(*s) << (node % 64);
        u64::from(*w != before)
    }

    fn inject(&mut self, u: &Update) -> u64 {
        u64::from(self.set(u.node))
    }

    /// The provided loop, 64 initiators at a time: their round-start bits come from one word, and what
    /// they pull is gathered in a register and stored once. Gains are counted at the end by popcount.
    fn exchanges<const PUSH: bool, const PULL: bool>(
        &mut self,
        topology: &Topology,
        rng: &mut SimRng,
        loss: f64,
        online: impl Fn(NodeId) -> bool,
        traffic: &mut Traffic,
    ) -> u64 {
        let count = |words: &[[u64; 2]], view: View| -> u64 {
            words.iter().map(|w| u64::from(w[view as usize].count_ones())).sum()
        };
        let before = count(&self.words, View::RoundStart);
        let mut t = *traffic;
        let lost = |rng: &mut SimRng| loss > 0.0 && chance(rng, loss);
        let n = topology.node_count();
        for wi in 0..self.words.len() {
            let start = self.words[wi][1];
            let mut pulled = 0u64;
            let first = wi as u32 * 64;
            for b in 0..(n - first).min(64) {
                let p = first + b;
                if !online(p) {
                    continue;
                }
                let Some(q) = topology.random_neighbor(p, rng) else {
                    continue;
                };
                t.messages += 1;
                let mine = start >> b & 1;
                if PUSH {
                    t.entries += mine;
                }
                if !online(q) {
                    t.failed += 1;
                    continue;
                }
                if lost(rng) {
                    continue;
                }
                let peer_words = &mut self.words[(q / 64) as usize];
                if PUSH {
                    peer_words[0] |= mine << (q % 64);
                }
                if PULL {
                    let reply = peer_words[1] >> (q % 64) & 1 & !mine;
                    t.messages += 1;
                    t.entries += reply;
                    if !lost(rng) {
                        pulled |= reply << b;
                    }
                }
            }
            self.words[wi][0] |= pulled;
        }
        *traffic = t;
        count(&self.words, View::Now) - before
    }
}

/// Per node, one entry slot per key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Store {
    slots: usize,
    entries: Vec<Entry>,
    /// The entries at the start of the round (empty until the first [`Replicas::freeze`]).
    round_start: Vec<Entry>,
    /// Versions of all updates of each slot, ascending, to count the updates an entry covers.
    versions: Vec<Vec<u32>>,
}

impl Store {
    pub fn new(n: u32, slots: usize, updates: &[Update]) -> Self {
        let mut versions = vec![Vec::new(); slots];
        for u in updates {
            versions[u.slot as usize].push(u.entry.version);
        }
        Store { slots, entries: vec![Entry::default(); n as usize * slots], round_start: Vec::new(), versions }
    }

    pub fn row(&self, node: NodeId) -> &[Entry] {
        self.row_of(View::Now, node)
    }

    fn row_of(&self, view: View, node: NodeId) -> &[Entry] {
        let entries = match view {
            View::Now => &self.entries,
            View::RoundStart => &self.round_start,
        };
        &entries[node as usize * self.slots..][..self.slots]
    }

    pub fn row_mut(&mut self, node: NodeId) -> &mut [Entry] {
        &mut self.entries[node as usize * self.slots..][..self.slots]
    }

    /// Updates of `slot` that an entry of version `v` holds (itself and the older ones).
    fn covered(&self, slot: usize, v: u32) -> u64 {
        self.versions[slot].partition_point(|&w| w <= v) as u64
    }

    fn put(&mut self, node: NodeId, slot: usize, e: Entry) -> u64 {
        let old = self.row(node)[slot].version;
        if e.version <= old {
            return 0;
        }
        self.row_mut(node)[slot] = e;
        self.covered(slot, e.version) - self.covered(slot, old)
    }
}

impl Replicas for Store {
    /// (slot, entry) pairs.
    type Snapshot = Vec<(u32, Entry)>;

    fn snapshot(&self, view: View, node: NodeId) -> Self::Snapshot {
        self.row_of(view, node).iter().enumerate().filter(|(_, e)| e.version > 0).map(|(s, e)| (s as u32, *e)).collect()
    }

    fn newer(&self, view: View, node: NodeId, digest: &Self::Snapshot) -> Self::Snapshot {
        // A digest lists a node's held slots in ascending order; walk both in step.
        let mut theirs = digest.iter().peekable();
        let mut out = Vec::new();
        for (s, e) in self.row_of(view, node).iter().enumerate().filter(|(_, e)| e.version > 0) {
            while theirs.next_if(|(t, _)| (*t as usize) < s).is_some() {}
            let known = theirs.peek().filter(|(t, _)| *t as usize == s).map_or(0, |(_, d)| d.version);
            if e.version > known {
                out.push((s as u32, *e));
            }
        }
        out
    }

    fn freeze(&mut self) {
        self.round_start.clone_from(&self.entries);
    }

    fn len(s: &Self::Snapshot) -> u32 {
        s.len() as u32
    }

    fn merge(&mut self, node: NodeId, s: &Self::Snapshot) -> u64 {
        s.iter().map(|&(slot, e)| self.put(node, slot as usize, e)).sum()
    }

    fn inject(&mut self, u: &Update) -> u64 {
        self.put(u.node, u.slot as usize, u.entry)
    }
}

/// Messages and entries sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Traffic {
    pub messages: u64,
    /// Entries carried (× [`ENTRY_BYTES`] = state bytes).
    pub entries: u64,
    /// Exchanges that found their peer offline.
    pub failed: u64,
}

/// One synchronous anti-entropy round: every online node P picks a peer Q and exchanges with it. Reads see
/// the state at the end of the previous round, writes go to the current state. Each message is lost with
/// probability `loss`. Returns the (node, update) pairs gained.
///
/// Messages: push sends P's entries (1 message); pull sends P's digest and Q replies with the entries newer
/// than it (2); push-pull sends P's entries and Q replies with its newer ones (2). Digests carry no entries.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sync_round<R: Replicas>(
    topology: &Topology,
    mode: Mode,
    state: &mut R,
    rng: &mut SimRng,
    loss: f64,
    online: impl Fn(NodeId) -> bool,
    traffic: &mut Traffic,
) -> u64 {
    state.freeze();
    // One loop per mode, so that the hot loop carries no mode tests.
    match mode {
        Mode::Push => state.exchanges::<true, false>(topology, rng, loss, online, traffic),
        Mode::Pull => state.exchanges::<false, true>(topology, rng, loss, online, traffic),
        Mode::PushPull => state.exchanges::<true, true>(topology, rng, loss, online, traffic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::rng::{Lane, stream};

    fn spec(key: u64, node: u32, at: u64) -> UpdateSpec {
        UpdateSpec { key, node: Some(node), at, value: None }
    }

    #[test]
    fn resolve_orders_versions_by_time_then_list() {
        let mut rng = stream(1, 0, Lane::Placement);
        let (u, slots) = resolve(&[spec(7, 0, 5), spec(3, 1, 0), spec(7, 2, 0)], 4, &mut rng);
        assert_eq!(slots, 2);
        let order: Vec<(u32, u32, u32)> = u.iter().map(|u| (u.node, u.slot, u.entry.version)).collect();
        assert_eq!(order, vec![(1, 1, 1), (2, 0, 2), (0, 0, 3)]);
        assert_eq!(u[2].entry.value, Some(0));
    }

    #[test]
    fn store_keeps_newest_and_counts_covered_updates() {
        let mut rng = stream(1, 0, Lane::Placement);
        let (u, slots) = resolve(&[spec(0, 0, 0), spec(0, 0, 1), spec(1, 1, 0)], 3, &mut rng);
        let mut s = Store::new(3, slots, &u);
        assert_eq!(s.inject(&u[0]), 1);
        assert_eq!(s.inject(&u[1]), 1); // u[1] is key 1 at node 1
        assert_eq!(s.inject(&u[2]), 1); // key 0, version 3 at node 0 (covers version 1 already held)
        // Node 2 learns both keys from node 0 and 1: key 0 at version 3 covers two updates.
        let now = View::Now;
        assert_eq!(s.merge(2, &s.snapshot(now, 0)), 2);
        assert_eq!(s.merge(2, &s.snapshot(now, 1)), 1);
        assert_eq!(s.merge(2, &s.snapshot(now, 0)), 0);
        // Node 1 holds only key 1; node 0 is newer on key 0 only.
        let reply = s.newer(now, 0, &s.snapshot(now, 1));
        assert_eq!(reply.len(), 1);
        assert_eq!(reply[0].0, 0);
        assert!(s.newer(now, 0, &s.snapshot(now, 2)).is_empty());
        let versions: Vec<u32> = s.row(2).iter().map(|e| e.version).collect();
        assert_eq!(versions, vec![3, 2]);
    }

    #[test]
    fn push_pull_round_leaves_both_sides_equal() {
        // Two nodes: one push-pull exchange makes the stores identical.
        let t = Topology::complete(2).unwrap();
        let mut rng = stream(1, 0, Lane::Placement);
        let (u, slots) = resolve(&[spec(0, 0, 0), spec(1, 1, 0)], 2, &mut rng);
        let mut cur = Store::new(2, slots, &u);
        for x in &u {
            cur.inject(x);
        }
        let mut traffic = Traffic::default();
        let gained = sync_round(&t, Mode::PushPull, &mut cur, &mut rng, 0.0, |_| true, &mut traffic);
        assert_eq!(gained, 2);
        assert_eq!(cur.row(0), cur.row(1));
        // Node 0 sends 1 entry, gets 1 back; node 1 then sends 1 and gets 1 back (from the previous state).
        assert_eq!(traffic, Traffic { messages: 4, entries: 4, failed: 0 });
    }

    #[test]
    fn bitset_set_get_freeze() {
        let mut b = Bitset::new(130);
        assert!(b.set(129));
        assert!(!b.set(129));
        assert!(b.get(View::Now, 129) && !b.get(View::Now, 128));
        assert!(!b.get(View::RoundStart, 129));
        b.freeze();
        assert_eq!(b.words, vec![[0; 2], [0; 2], [2, 2]]);
    }

    /// The bitset and the store are two representations of one update: on the same draws, the same rounds
    /// give the same gains and traffic, in every mode, with loss and offline nodes.
    #[test]
    fn bitset_and_store_agree_on_one_update() {
        let t = Topology::complete(300).unwrap();
        let (u, slots) = resolve(&[spec(5, 17, 0)], 300, &mut stream(1, 0, Lane::Placement));
        for mode in [Mode::Push, Mode::Pull, Mode::PushPull] {
            let mut bits = Bitset::new(300);
            let mut store = Store::new(300, slots, &u);
            assert_eq!(bits.inject(&u[0]), store.inject(&u[0]));
            let (mut rb, mut rs) = (stream(2, 0, Lane::Protocol), stream(2, 0, Lane::Protocol));
            let (mut tb, mut ts) = (Traffic::default(), Traffic::default());
            for _ in 0..12 {
                let online = |v: u32| v % 7 != 5;
                let gb = sync_round(&t, mode, &mut bits, &mut rb, 0.1, online, &mut tb);
                let gs = sync_round(&t, mode, &mut store, &mut rs, 0.1, online, &mut ts);
                assert_eq!(gb, gs, "{mode:?}");
            }
            assert_eq!(tb, ts);
            assert!((0..300).all(|v| bits.get(View::Now, v) == (store.row(v)[0].version == 1)));
        }
    }
}
