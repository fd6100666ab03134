//! Replica state and the anti-entropy exchange, shared by anti-entropy, the anti-entropy phase after rumor
//! spreading, and death certificates.
//!
//! Two representations of the same thing: [`Bitset`] for the common single-update case (one bit per node),
//! and [`Store`] for the general one (per node a key → (value, version) map, stored densely as one row of
//! entry slots per node). Both implement [`Replicas`], so the exchange rule ([`Exchange`]) exists once;
//! [`Bitset`] adds a word-at-a-time form of the synchronous round ([`Replicas::fast_round`]), checked
//! against the rule by `bitset_and_store_agree_on_one_update`, whose chunks run on several threads at once
//! with the same result.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::NodeId;
use sim_core::atomic::as_atomic;
use sim_core::rng::{Ahead, SimRng};
use sim_core::topology::{DrawNeighbor, NeighborSampler};
use sim_core::{pages, prefetch};

use super::Mode;
use crate::gossip::{Chunk, Chunks, Gossip, Incoming, Net, Round, Traffic, View, Wire};
use crate::{MAX_ROUNDS, NodeRef};

/// Bytes one entry occupies in a message: key (8) + value (8) + version (8).
pub const ENTRY_BYTES: u64 = 24;

/// Bound on nodes × keys of a [`Store`] (32 bytes per entry, kept twice in synchronous rounds: 1 GiB).
pub(crate) const MAX_STORE_ENTRIES: u64 = 1 << 24;

/// Memory of a [`Store`] of `nodes` × `keys` entries (32 bytes each), kept twice: the current state and the
/// round-start copy in rounds, the entries in flight event-driven (measured: 57–64 bytes per entry). Like
/// every estimate, it assumes what validation accepts (at most [`MAX_STORE_ENTRIES`]), so that parameters
/// beyond their bounds are refused by name rather than by the memory guard.
pub(crate) fn store_bytes(nodes: u64, keys: u64) -> u64 {
    nodes.saturating_mul(keys).min(MAX_STORE_ENTRIES) * 64
}

/// Memory of `series` series of one f64 per round for `rounds` rounds (at most [`MAX_ROUNDS`]).
pub(crate) fn series_bytes(series: u64, rounds: u32) -> u64 {
    series * 8 * (u64::from(rounds.min(MAX_ROUNDS)) + 1)
}

/// The state of all replicas. Writes always go to the current state; synchronous rounds read the state
/// [`Replicas::freeze`] kept at the start of the round.
pub(crate) trait Replicas: Sized {
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

    /// Runs the turns of one synchronous round of `ex` in a faster form of exactly the generic steps and
    /// draws, if this representation has one; returns false to leave the round to [`Round::turns`].
    fn fast_round<M, T>(_ex: &mut Exchange<Self>, _round: &mut Round<'_, M, T>) -> bool {
        false
    }
}

/// The anti-entropy messages between the initiator P and its peer Q.
pub(crate) enum Msg<S> {
    /// Push: P's entries.
    Push(S),
    /// Pull request: P's digest.
    Digest(S),
    /// Push-pull request: P's entries.
    PushPull(S),
    /// Q's entries newer than the request's.
    Reply(S),
}

impl<S> Msg<S> {
    /// The message's name in traces.
    pub fn name(&self) -> &'static str {
        match self {
            Msg::Push(_) => "push",
            Msg::Digest(_) => "pull-request",
            Msg::PushPull(_) => "push-pull",
            Msg::Reply(_) => "reply",
        }
    }

    /// The entries or digest the message carries.
    pub fn entries_mut(&mut self) -> &mut S {
        match self {
            Msg::Push(s) | Msg::Digest(s) | Msg::PushPull(s) | Msg::Reply(s) => s,
        }
    }
}

/// The anti-entropy exchange, for any representation of the replicas.
///
/// Messages: push sends P's entries (1 message); pull sends P's digest and Q replies with the entries newer
/// than it (2); push-pull sends P's entries, Q merges them and replies with its newer ones (2). Digests carry
/// no entries. Reads see [`Net::view`]: in synchronous rounds the state at the end of the previous round
/// (frozen by the models' [`Gossip::begin_round`]), event-driven the current one.
pub(crate) struct Exchange<R> {
    pub mode: Mode,
    pub replicas: R,
    /// Entries carried (× [`ENTRY_BYTES`] = state bytes).
    pub entries: u64,
    /// (node, update) pairs gained by merges, plus those the model adds by writes.
    pub gained: u64,
}

impl<R: Replicas> Exchange<R> {
    pub fn new(mode: Mode, replicas: R) -> Self {
        Exchange { mode, replicas, entries: 0, gained: 0 }
    }

    /// P's turn: a peer, and its entries or digest.
    #[inline]
    pub fn turn<T>(&mut self, net: &mut impl Net<Msg<R::Snapshot>, T>, p: NodeId) {
        let Some(q) = net.peer(p) else {
            return;
        };
        let mine = self.replicas.snapshot(net.view(), p);
        let msg = match self.mode {
            Mode::Push => Msg::Push(mine),
            Mode::Pull => Msg::Digest(mine),
            Mode::PushPull => Msg::PushPull(mine),
        };
        if let Msg::Push(s) | Msg::PushPull(s) = &msg {
            self.entries += u64::from(R::len(s));
        }
        net.send(p, q, msg);
    }

    #[inline]
    pub fn receive<T>(&mut self, net: &mut impl Net<Msg<R::Snapshot>, T>, msg: Msg<R::Snapshot>, at: Incoming) {
        match msg {
            Msg::Push(s) | Msg::Reply(s) => self.gained += self.replicas.merge(at.to, &s),
            Msg::Digest(d) => self.answer(net, at, &d),
            Msg::PushPull(s) => {
                self.gained += self.replicas.merge(at.to, &s);
                self.answer(net, at, &s);
            }
        }
    }

    /// Q replies to P's request with its entries newer than P's.
    fn answer<T>(&mut self, net: &mut impl Net<Msg<R::Snapshot>, T>, at: Incoming, digest: &R::Snapshot) {
        let reply = self.replicas.newer(net.view(), at.to, digest);
        self.entries += u64::from(R::len(&reply));
        net.reply(at, Msg::Reply(reply));
    }

    /// One synchronous round of a model `g` built on this exchange: the representation's faster form when
    /// it has one, the generic turns otherwise.
    pub fn round<G: Gossip>(g: &mut G, round: &mut Round<'_, G::Msg, G::Timer>, exchange: fn(&mut G) -> &mut Self) {
        if !R::fast_round(exchange(g), round) {
            round.turns(g);
        }
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
    /// The node written at (its index, or its id in the topology file); absent: a uniformly random node.
    #[serde(default)]
    pub node: Option<NodeRef>,
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
        UpdateSpec { key: 0, node: Some(NodeRef::default()), at: 0, value: None }
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
                node: s.node.as_ref().map_or_else(|| sim_core::rng::below(rng, nodes), NodeRef::index),
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

/// One bit per node, now and at the start of the round: as replicas, whether the node holds the single
/// update (rumor spreading also keeps its spreading nodes in one). The two words of a node sit side by
/// side, so that an exchange with a random peer touches one cache line.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bitset {
    /// `[now, round start]` per 64 nodes.
    words: Vec<[u64; 2]>,
}

impl Bitset {
    pub fn new(n: u32) -> Self {
        let words = vec![[0; 2]; (n as usize).div_ceil(64)];
        // Exchanges touch the words of random peers: on 10^8 nodes and more, TLB misses would double their cost.
        pages::advise_huge(&words);
        Bitset { words }
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

    /// Clears bit `i` now.
    #[inline]
    pub fn clear(&mut self, i: NodeId) {
        self.words[(i / 64) as usize][0] &= !(1u64 << (i % 64));
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

    /// The generic round of [`Exchange`], 64 initiators at a time: their round-start bits come from one
    /// word, and what they pull is gathered in a register and stored once. Gains are counted at the end by
    /// popcount. Needs turns in index order; one loop per mode, for perfect links or not, and per kind of
    /// topology, so that the hot loop carries no tests it does not need.
    ///
    /// The round's chunks ([`Chunks`]) run one after the other on one thread, or on all the threads of the
    /// current rayon pool at once, with the same result: an exchange reads round-start bits only and only
    /// sets current bits, so exchanges commute; a chunk draws from its own streams; and the counts are sums.
    fn fast_round<M, T>(ex: &mut Exchange<Self>, round: &mut Round<'_, M, T>) -> bool {
        if !round.in_index_order() {
            return false;
        }
        let words = &mut ex.replicas.words;
        let before = count_ones(words, View::RoundStart);
        let mut chunks = round.chunks();
        let (entries, traffic) = match (ex.mode, chunks.perfect()) {
            (Mode::Push, true) => chunked_round::<true, false, false>(words, &chunks),
            (Mode::Pull, true) => chunked_round::<false, true, false>(words, &chunks),
            (Mode::PushPull, true) => chunked_round::<true, true, false>(words, &chunks),
            (Mode::Push, false) => chunked_round::<true, false, true>(words, &chunks),
            (Mode::Pull, false) => chunked_round::<false, true, true>(words, &chunks),
            (Mode::PushPull, false) => chunked_round::<true, true, true>(words, &chunks),
        };
        chunks.account(traffic);
        ex.entries += entries;
        ex.gained += count_ones(words, View::Now) - before;
        true
    }
}

fn count_ones(words: &[[u64; 2]], view: View) -> u64 {
    words.iter().map(|w| u64::from(w[view as usize].count_ones())).sum()
}

/// [`Bitset::fast_round`] for one mode; returns the entries carried and the traffic. One loop per kind of
/// topology, so that peers are drawn without testing it.
fn chunked_round<const PUSH: bool, const PULL: bool, const FAULTY: bool>(
    words: &mut [[u64; 2]],
    chunks: &Chunks<'_>,
) -> (u64, Traffic) {
    match chunks.topology().neighbor_sampler() {
        NeighborSampler::Complete(others) => on_threads::<PUSH, PULL, FAULTY, _>(words, &others, chunks),
        NeighborSampler::Graph(g) => on_threads::<PUSH, PULL, FAULTY, _>(words, g, chunks),
    }
}

/// The chunks of the round in turn on this thread when the pool has one (the words plainly owned), or
/// spread over the pool's threads (the words shared as atomics); the sums of their counts.
fn on_threads<const PUSH: bool, const PULL: bool, const FAULTY: bool, S: DrawNeighbor + Sync>(
    words: &mut [[u64; 2]],
    sampler: &S,
    chunks: &Chunks<'_>,
) -> (u64, Traffic) {
    let sum = |(e, t): (u64, Traffic), (f, u): (u64, Traffic)| (e + f, t + u);
    if chunks.count() == 1 || rayon::current_num_threads() == 1 {
        let mut owned = Owned(words);
        (0..chunks.count())
            .map(|k| word_loop::<PUSH, PULL, FAULTY, _, _>(&mut owned, sampler, chunks.chunk(k)))
            .fold((0, Traffic::default()), sum)
    } else {
        let shared = Shared(as_atomic(words));
        (0..chunks.count())
            .into_par_iter()
            .map(|k| word_loop::<PUSH, PULL, FAULTY, _, _>(&mut { shared }, sampler, chunks.chunk(k)))
            .reduce(|| (0, Traffic::default()), sum)
    }
}

/// The bitset's words as a round's exchanges use them: they read round-start words and set bits in
/// current words, nothing else, so the order of the exchanges does not matter.
trait Words {
    /// Round-start word `wi`.
    fn start(&self, wi: usize) -> u64;
    /// Sets `bits` in current word `wi`.
    fn set(&mut self, wi: usize, bits: u64);
    /// Starts loading word `wi`.
    fn prefetch(&self, wi: usize);
}

/// The words of a round run on one thread.
struct Owned<'w>(&'w mut [[u64; 2]]);

impl Words for Owned<'_> {
    #[inline(always)]
    fn start(&self, wi: usize) -> u64 {
        self.0[wi][1]
    }

    // Unconditional (`|=`): in the middle rounds whether a bit is new is a coin flip a branch predictor
    // cannot learn.
    #[inline(always)]
    fn set(&mut self, wi: usize, bits: u64) {
        self.0[wi][0] |= bits;
    }

    #[inline(always)]
    fn prefetch(&self, wi: usize) {
        prefetch::read_at(self.0, wi);
    }
}

/// The words of a round whose chunks run on several threads at once.
#[derive(Clone, Copy)]
struct Shared<'w>(&'w [[AtomicU64; 2]]);

impl Words for Shared<'_> {
    #[inline(always)]
    fn start(&self, wi: usize) -> u64 {
        self.0[wi][1].load(Relaxed)
    }

    // A locked `or` costs tens of plain instructions and holds back the loads behind it: it is only worth
    // it for a bit that is new, and over a run few are (each node's bit is new once).
    #[inline(always)]
    fn set(&mut self, wi: usize, bits: u64) {
        let now = &self.0[wi][0];
        if bits & !now.load(Relaxed) != 0 {
            now.fetch_or(bits, Relaxed);
        }
    }

    #[inline(always)]
    fn prefetch(&self, wi: usize) {
        prefetch::read_at(self.0, wi);
    }
}

/// The peers of one word's initiators, drawn ahead of their exchanges.
struct Peers {
    /// The peer of each initiator; an initiator without an exchange is paired with itself.
    of: [NodeId; 64],
    /// Initiators without an exchange: down, or without neighbours.
    absent: u64,
    /// Initiators in the word (64 but in the last word).
    count: usize,
}

/// The turns of one chunk, word by word (a chunk is whole words). The peers of the next word's initiators
/// are drawn before this word's exchanges run, and their words requested from memory during them, one per
/// exchange (over faulty links: as they are drawn): once the state outgrows the caches, each exchange would
/// otherwise wait for its peer's word alone, while this way some 64 loads are under way at once, and their
/// requests are spread out rather than queued behind each other. Peers come from the chunk's protocol
/// stream (read ahead in batches, [`Ahead`]) and losses from its network stream, each in turn order, so
/// the draws are those of the generic round; and exchanges read only round-start bits and only set bits,
/// so drawing ahead changes nothing else either. Returns the entries carried and the traffic.
///
/// Drawing and exchanging are functions of their own, each a tight loop with registers to itself.
#[inline(always)]
fn word_loop<const PUSH: bool, const PULL: bool, const FAULTY: bool, W: Words, S: DrawNeighbor>(
    words: &mut W,
    sampler: &S,
    chunk: Chunk<'_>,
) -> (u64, Traffic) {
    let Chunk { nodes, rng, mut wire } = chunk;
    let mut rng = Ahead::new(rng);
    let (first, end) = ((nodes.start / 64) as usize, nodes.end.div_ceil(64) as usize);
    let mut entries = 0;
    let mut peers = [(); 2].map(|()| Peers { of: [0; 64], absent: 0, count: 0 });
    draw_peers::<FAULTY, _, _>(words, first, nodes.end, sampler, &mut rng, &wire, &mut peers[0]);
    if !FAULTY {
        peers[0].of[..peers[0].count].iter().for_each(|&q| words.prefetch((q / 64) as usize));
    }
    for wi in first..end {
        let [even, odd] = &mut peers;
        let (this, next) = if (wi - first) % 2 == 0 { (&*even, odd) } else { (&*odd, even) };
        if wi + 1 < end {
            draw_peers::<FAULTY, _, _>(words, wi + 1, nodes.end, sampler, &mut rng, &wire, next);
        }
        entries += if FAULTY {
            exchange_faulty::<PUSH, PULL, _>(words, wi, this, &mut wire)
        } else {
            let (carried, messages) = exchange::<PUSH, PULL, _>(words, wi, this, next);
            wire.delivered(messages);
            carried
        };
    }
    (entries, wire.traffic())
}

/// Draws the peers of the initiators of word `wi` (those below `end`) in turn order; over faulty links,
/// starts loading their words as they are drawn. With every node up, the draws of the word are one run
/// ([`DrawNeighbor::draw_run`]).
#[inline(never)]
fn draw_peers<const FAULTY: bool, W: Words, S: DrawNeighbor>(
    words: &W,
    wi: usize,
    end: u32,
    sampler: &S,
    rng: &mut Ahead,
    wire: &Wire<'_>,
    peers: &mut Peers,
) {
    let first = wi as u32 * 64;
    peers.count = (end - first).min(64) as usize;
    let of = &mut peers.of[..peers.count];
    if FAULTY {
        peers.absent = 0;
        for (b, slot) in (0..).zip(of.iter_mut()) {
            let p = first + b;
            let peer = if wire.is_up(p) { sampler.draw(p, rng) } else { None };
            *slot = peer.unwrap_or_else(|| {
                peers.absent |= 1 << b;
                p
            });
            words.prefetch((*slot / 64) as usize);
        }
    } else {
        peers.absent = sampler.draw_run(first, of, rng);
    }
}

/// The exchanges of word `wi` over perfect links (no loss, every node up: every message arrives), with
/// no tests: messages and entries are counted for the word at once; `next` holds the peers of the next
/// word, whose words are requested meanwhile. Returns (entries, messages).
///
/// A push from an initiator without the update sets nothing, and neither does a pull into one that has it:
/// so the word's exchanges skip the pushes when none of its initiators has the update (most words of the
/// early rounds), and the pulls when all of them have it (most words of the late rounds). A test per
/// word, not per exchange: whether one initiator has the update is a coin flip in the middle rounds.
#[inline(never)]
fn exchange<const PUSH: bool, const PULL: bool, W: Words>(
    words: &mut W,
    wi: usize,
    peers: &Peers,
    next: &Peers,
) -> (u64, u64) {
    let start = words.start(wi);
    // An initiator paired with itself is not counted as a sender, and pulls the bit it has.
    let senders = start & !peers.absent;
    let lacking = !start & (u64::MAX >> (64 - peers.count));
    let pulled = match (PUSH && senders != 0, PULL && lacking != 0) {
        (true, true) => contacts::<true, true, W>(words, peers, senders, next),
        (true, false) => contacts::<true, false, W>(words, peers, senders, next),
        (false, true) => contacts::<false, true, W>(words, peers, senders, next),
        (false, false) => contacts::<false, false, W>(words, peers, senders, next),
    };
    // Only initiators without the update get a non-empty reply.
    let pulled = pulled & lacking;
    words.set(wi, pulled);
    let exchanges = peers.count as u64 - u64::from(peers.absent.count_ones());
    let mut entries = 0;
    if PUSH {
        entries += u64::from(senders.count_ones());
    }
    if PULL {
        entries += u64::from(pulled.count_ones());
    }
    (entries, exchanges * (1 + u64::from(PULL)))
}

/// The pushes of `senders` to their peers, and the pulls of every initiator from its peer, as `exchange`
/// asks for them, each exchange starting to load the word of a peer of the `next` word's (for the last
/// word of a chunk, stale peers: a hint that loads nothing needed); returns the round-start bits pulled,
/// bit b for initiator b.
#[inline(always)]
fn contacts<const PUSH: bool, const PULL: bool, W: Words>(
    words: &mut W,
    peers: &Peers,
    senders: u64,
    next: &Peers,
) -> u64 {
    let mut pushing = senders;
    let mut pulled = 0u64;
    for (&q, &ahead) in peers.of[..peers.count].iter().zip(&next.of) {
        words.prefetch((ahead / 64) as usize);
        let qi = (q / 64) as usize;
        if PUSH {
            words.set(qi, (pushing & 1) << (q % 64));
            pushing >>= 1;
        }
        if PULL {
            // Shifted in from the top: after the word's initiators, bit b is initiator b's.
            pulled = pulled >> 1 | (words.start(qi) >> (q % 64)) << 63;
        }
    }
    if PULL { pulled >> (64 - peers.count) } else { 0 }
}

/// The exchanges of word `wi` as the generic round makes them, message by message; returns the entries.
#[inline(never)]
fn exchange_faulty<const PUSH: bool, const PULL: bool, W: Words>(
    words: &mut W,
    wi: usize,
    peers: &Peers,
    wire: &mut Wire<'_>,
) -> u64 {
    let first = wi as u32 * 64;
    let start = words.start(wi);
    let (mut pulled, mut entries) = (0u64, 0);
    for (b, &q) in peers.of[..peers.count].iter().enumerate() {
        if peers.absent >> b & 1 == 1 {
            continue;
        }
        let mine = start >> b & 1;
        if PUSH {
            entries += mine;
        }
        if !wire.transmit(q) {
            continue;
        }
        let qi = (q / 64) as usize;
        if PUSH {
            words.set(qi, mine << (q % 64));
        }
        if PULL {
            let reply = words.start(qi) >> (q % 64) & 1 & !mine;
            entries += reply;
            if wire.transmit(first + b as u32) {
                pulled |= reply << b;
            }
        }
    }
    words.set(wi, pulled);
    entries
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

    // Out of line: they allocate anyway, and inlined they crowd the engine's own loop out of inlining.
    #[inline(never)]
    fn snapshot(&self, view: View, node: NodeId) -> Self::Snapshot {
        // Sized once: growing by doubling costs more than a second pass over a short row.
        let row = self.row_of(view, node);
        let mut out = Vec::with_capacity(row.iter().filter(|e| e.version > 0).count());
        out.extend(row.iter().enumerate().filter(|(_, e)| e.version > 0).map(|(s, e)| (s as u32, *e)));
        out
    }

    #[inline(never)]
    fn newer(&self, view: View, node: NodeId, digest: &Self::Snapshot) -> Self::Snapshot {
        // A digest lists a node's held slots in ascending order; walk both in step.
        let mut theirs = digest.iter().peekable();
        let mut out = Vec::new();
        for (s, e) in self.row_of(view, node).iter().enumerate().filter(|(_, e)| e.version > 0) {
            while theirs.next_if(|(t, _)| (*t as usize) < s).is_some() {}
            let known = theirs.peek().filter(|(t, _)| *t as usize == s).map_or(0, |(_, d)| d.version);
            if e.version > known {
                if out.capacity() == 0 {
                    out.reserve(self.slots - s); // at most the rest of the row; most replies are empty
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gossip::{Harness, Timing, Traffic};
    use proptest::prelude::*;
    use sim_core::network::Network;
    use sim_core::rng::{Lane, stream};
    use sim_core::topology::Topology;
    use sim_core::topology::generators::erdos_renyi;

    fn spec(key: u64, node: u32, at: u64) -> UpdateSpec {
        UpdateSpec { key, node: Some(node.into()), at, value: None }
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

    /// The exchange alone: the nodes in `down` are down throughout; samples (gained, entries).
    /// `fast`: the round must take the representation's fast form.
    struct Bare<R> {
        exchange: Exchange<R>,
        down: Vec<NodeId>,
        fast: bool,
        samples: Vec<(u64, u64)>,
    }

    impl<R: Replicas> Bare<R> {
        fn new(mode: Mode, replicas: R, down: Vec<NodeId>, fast: bool) -> Self {
            Bare { exchange: Exchange::new(mode, replicas), down, fast, samples: Vec::new() }
        }
    }

    impl<R: Replicas> Gossip for Bare<R> {
        type Msg = Msg<R::Snapshot>;
        type Timer = ();

        fn start(&mut self, net: &mut impl Net<Self::Msg, ()>) {
            for &v in &self.down {
                net.set_up(v, false);
            }
        }

        fn begin_round(&mut self) {
            self.exchange.replicas.freeze();
        }

        fn turn(&mut self, net: &mut impl Net<Self::Msg, ()>, p: NodeId) {
            self.exchange.turn(net, p);
        }

        fn receive(&mut self, net: &mut impl Net<Self::Msg, ()>, msg: Self::Msg, at: Incoming) {
            self.exchange.receive(net, msg, at);
        }

        fn sample(&mut self) {
            self.samples.push((self.exchange.gained, self.exchange.entries));
        }

        fn round(&mut self, round: &mut Round<'_, Self::Msg, ()>) {
            if self.fast {
                assert!(R::fast_round(&mut self.exchange, round), "the fast form declined");
            } else {
                round.turns(self);
            }
        }
    }

    #[test]
    fn push_pull_round_leaves_both_sides_equal() {
        // Two nodes: one push-pull round makes the stores identical.
        let t = Topology::complete(2).unwrap();
        let mut rng = stream(1, 0, Lane::Placement);
        let (u, slots) = resolve(&[spec(0, 0, 0), spec(1, 1, 0)], 2, &mut rng);
        let mut store = Store::new(2, slots, &u);
        for x in &u {
            store.inject(x);
        }
        let mut bare = Bare::new(Mode::PushPull, store, Vec::new(), false);
        let end = Harness::new(&t, Network::default(), Timing::Rounds, 1).run(&mut bare, 1, 0);
        let store = &bare.exchange.replicas;
        assert_eq!(store.row(0), store.row(1));
        // Node 0 sends 1 entry, gets 1 back; node 1 then sends 1 and gets 1 back (from the previous state).
        assert_eq!(bare.samples, vec![(0, 0), (2, 4)]);
        assert_eq!(end.traffic, Traffic { sent: 4, lost: 0, failed: 0 });
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

    /// The bitset and the store are two representations of one update, and the bitset's word-at-a-time
    /// round is a faster form of the generic one: on the same draws, the same rounds give the same gains
    /// and traffic, in every mode, with loss, with and without nodes that are down.
    #[test]
    fn bitset_and_store_agree_on_one_update() {
        let t = Topology::complete(300).unwrap();
        let (u, slots) = resolve(&[spec(5, 17, 0)], 300, &mut stream(1, 0, Lane::Placement));
        let harness = Harness::new(&t, Network { loss: 0.1, ..Network::default() }, Timing::Rounds, 12);
        let downs = [Vec::new(), (0..300).filter(|v| v % 7 == 5).collect::<Vec<_>>()];
        for (mode, down) in
            [Mode::Push, Mode::Pull, Mode::PushPull].into_iter().flat_map(|m| downs.clone().map(|d| (m, d)))
        {
            let mut fast = Bare::new(mode, Bitset::new(300), down.clone(), true);
            let mut bits = Bare::new(mode, Bitset::new(300), down.clone(), false);
            let mut store = Bare::new(mode, Store::new(300, slots, &u), down.clone(), false);
            assert_eq!(fast.exchange.replicas.inject(&u[0]), store.exchange.replicas.inject(&u[0]));
            bits.exchange.replicas.inject(&u[0]);
            let ends = [harness.run(&mut fast, 2, 0), harness.run(&mut bits, 2, 0), harness.run(&mut store, 2, 0)];
            assert!(ends.iter().all(|e| *e == ends[0]), "{mode:?}: {ends:?}");
            assert!(ends[0].traffic.lost > 0 && (ends[0].traffic.failed > 0) != down.is_empty());
            assert_eq!(fast.samples, store.samples, "{mode:?}");
            assert_eq!(bits.samples, store.samples, "{mode:?}");
            assert_eq!(fast.exchange.replicas, bits.exchange.replicas);
            let held = |v| store.exchange.replicas.row(v)[0].version == 1;
            assert!((0..300).all(|v| fast.exchange.replicas.get(View::Now, v) == held(v)));
        }
    }

    proptest! {
        /// The word-at-a-time round, peers drawn a word ahead, is the generic round: on the complete graph
        /// and on sparse random graphs (with isolated nodes), at sizes around word and chunk boundaries
        /// (chunks on the test pool's threads), in every mode, with or without loss and nodes that are
        /// down, from several informed nodes, the same rounds give the same gains, entries, traffic and bits.
        #[test]
        fn the_word_round_is_the_generic_round(
            n in prop_oneof![2u32..200, 1000u32..1100, 8150u32..8250],
            graph in any::<bool>(),
            mode in prop_oneof![Just(Mode::Push), Just(Mode::Pull), Just(Mode::PushPull)],
            loss in prop_oneof![Just(0.0), 0.0..0.5],
            down_every in prop_oneof![Just(0u32), 2u32..9],
            informed in 1u32..20,
            seed in any::<u64>(),
        ) {
            let topology = if graph {
                let mut rng = stream(seed, 0, Lane::Topology);
                Topology::from(erdos_renyi(n, 2.0 / f64::from(n), &mut rng).unwrap())
            } else {
                Topology::complete(n).unwrap()
            };
            let down: Vec<NodeId> = if down_every == 0 { Vec::new() } else { (1..n).step_by(down_every as usize).collect() };
            let harness = Harness::new(&topology, Network { loss, ..Network::default() }, Timing::Rounds, 8);
            let mut rng = stream(seed, 1, Lane::Placement);
            let sources: Vec<NodeId> = (0..informed).map(|_| sim_core::rng::below(&mut rng, n)).collect();
            let [mut fast, mut generic] = [true, false].map(|f| {
                let mut bits = Bitset::new(n);
                for &v in &sources {
                    bits.set(v);
                }
                Bare::new(mode, bits, down.clone(), f)
            });
            let ends = [harness.run(&mut fast, seed, 3), harness.run(&mut generic, seed, 3)];
            prop_assert_eq!(ends[0], ends[1]);
            prop_assert_eq!(&fast.samples, &generic.samples);
            prop_assert_eq!(&fast.exchange.replicas, &generic.exchange.replicas);
        }
    }
}
