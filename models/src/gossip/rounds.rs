//! The synchronous-round driver: no event queue; messages are delivered as soon as they are sent.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;

use sim_core::bitset::BitSet;
use sim_core::rng::{Lane, SimRng, chance, partial_shuffle, stream, substream};
use sim_core::topology::Topology;
use sim_core::trace::{Labelled, NoTrace, Trace};
use sim_core::{NodeId, Time};

use super::{Down, End, Gossip, Harness, Incoming, Link, Net, Order, Peer, Traffic, Turns, View};

/// The synchronous-round driver, as a faster form of a round ([`Gossip::round`]) drives it. Handlers see
/// it through [`Net`]. `R` is the run's trace (none for a faster form: traced runs take the generic round).
pub struct Round<'a, M, T, R = NoTrace> {
    topology: &'a Topology,
    /// The run's: chunked turns derive their streams from them.
    seed: u64,
    run: u64,
    /// The protocol's stream; during turns in index order, the chunk's.
    rng: SimRng,
    /// Loss draws, apart from the protocol's; during turns in index order, the chunk's.
    network_rng: SimRng,
    loss: f64,
    /// No loss and every node up: sending cannot fail.
    lossless_and_up: bool,
    now: Time,
    traffic: Traffic,
    down: Down,
    /// Messages waiting behind the first of a handler's (most turns have one message in flight at a
    /// time), oldest first.
    later: VecDeque<(M, Incoming)>,
    /// Protocol timers by (time, order of scheduling).
    timers: BTreeMap<(Time, u64), (NodeId, T)>,
    scheduled: u64,
    turns: Turns,
    order: Order,
    /// The round's turns, unless they are all nodes in index order: awake nodes ([`Turns::Awake`]) or a
    /// permutation of all nodes ([`Order::Shuffled`]).
    list: Vec<NodeId>,
    /// [`Turns::Awake`]: nodes awake now; nodes in `list` or `woken`; nodes woken since the list was settled.
    awake: BitSet,
    listed: BitSet,
    woken: Vec<NodeId>,
    trace: R,
    /// Traced runs: the nodes reported to hold the update.
    informed: BitSet,
}

/// How a run with trace `Self` plays a round: untraced, as the protocol says ([`Gossip::round`], perhaps a
/// faster form); traced, the generic turns, whose every message the trace sees.
pub(super) trait Play<M>: Trace<M> + Sized {
    fn play<G: Gossip<Msg = M>>(g: &mut G, round: &mut Round<'_, M, G::Timer, Self>);
}

impl<M> Play<M> for NoTrace {
    #[inline(always)]
    fn play<G: Gossip<Msg = M>>(g: &mut G, round: &mut Round<'_, M, G::Timer, Self>) {
        g.round(round);
    }
}

impl<M> Play<M> for Labelled<'_, M> {
    fn play<G: Gossip<Msg = M>>(g: &mut G, round: &mut Round<'_, M, G::Timer, Self>) {
        round.turns(g);
    }
}

/// Runs `g` in synchronous rounds, reporting to `trace`.
pub(super) fn run<G: Gossip, R: Play<G::Msg>>(h: &Harness<'_>, g: &mut G, seed: u64, run: u64, trace: R) -> End {
    let n = h.topology.node_count();
    let turns = g.turns();
    let (awake, list) = match (turns, h.order) {
        (Turns::Awake, _) => (BitSet::new(n), Vec::new()),
        (Turns::All, Order::Index) => (BitSet::new(0), Vec::new()),
        (Turns::All, Order::Shuffled) => (BitSet::new(0), (0..n).collect()),
    };
    let mut r = Round {
        topology: h.topology,
        seed,
        run,
        rng: stream(seed, run, Lane::Protocol),
        network_rng: stream(seed, run, Lane::Network),
        loss: h.network.loss,
        lossless_and_up: h.network.loss == 0.0,
        now: 0,
        traffic: Traffic::default(),
        down: Down::default(),
        later: VecDeque::new(),
        timers: BTreeMap::new(),
        scheduled: 0,
        turns,
        order: h.order,
        list,
        listed: awake.clone(),
        awake,
        woken: Vec::new(),
        trace,
        informed: BitSet::new(if R::ON { n } else { 0 }),
    };
    let mut net = Handler::new(&mut r);
    g.start(&mut net);
    net.deliver(g);
    if R::ON {
        for v in 0..n {
            r.check(g, v, v);
        }
    }
    g.sample();
    r.fire_timers(g);
    let mut done = g.done();
    while !done && r.now < u64::from(h.max_rounds) {
        r.now += 1;
        r.settle();
        g.begin_round();
        if r.order == Order::Shuffled {
            let len = r.list.len();
            partial_shuffle(&mut r.list, len, &mut r.rng);
        }
        R::play(g, &mut r);
        r.fire_timers(g);
        let round = r.now as u32;
        let mut net = Handler::new(&mut r);
        g.end_round(&mut net, round);
        net.deliver(g);
        g.sample();
        done = g.done();
    }
    End { time: r.now, period: 1, done, traffic: r.traffic }
}

impl<'a, M, T, R: Trace<M>> Round<'a, M, T, R> {
    /// Gives every node whose turn it is this round its turn, and delivers what each turn sends before
    /// the next: the generic body of [`Gossip::round`]. Turns in index order take their chunks' streams
    /// ([`Chunks`]).
    pub fn turns<G: Gossip<Msg = M, Timer = T>>(&mut self, g: &mut G) {
        if self.in_index_order() {
            let n = self.topology.node_count();
            let streams = self.chunk_streams();
            let run = (self.rng.clone(), self.network_rng.clone());
            for k in 0..chunk_count(n) {
                (self.rng, self.network_rng) = streams.of(k);
                for p in chunk_nodes(n, k) {
                    self.turn(g, p);
                }
            }
            (self.rng, self.network_rng) = run;
        } else {
            for i in 0..self.list.len() {
                self.turn(g, self.list[i]);
            }
        }
    }

    #[inline(always)]
    fn turn<G: Gossip<Msg = M, Timer = T>>(&mut self, g: &mut G, p: NodeId) {
        if self.down.is_up(p) {
            let mut net = Handler::new(self);
            g.turn(&mut net, p);
            net.deliver(g);
        }
    }

    fn fire_timers<G: Gossip<Msg = M, Timer = T>>(&mut self, g: &mut G) {
        while let Some(entry) = self.timers.first_entry()
            && entry.key().0 <= self.now
        {
            let (node, timer) = entry.remove();
            let mut net = Handler::new(self);
            g.timer(&mut net, node, timer);
            net.deliver(g);
            self.check(g, node, node);
        }
    }

    /// Traced runs: reports `to` as informed by `from` the first time `g` says it holds the update.
    #[inline(always)]
    fn check<G: Gossip>(&mut self, g: &G, from: NodeId, to: NodeId) {
        if R::ON && !self.informed.get(to) && g.holds(to) {
            self.informed.set(to);
            self.trace.inform(self.now, from, to);
        }
    }

    /// [`Turns::Awake`]: the next round's turns are the nodes still awake, in order, then those woken
    /// since, in wake order.
    fn settle(&mut self) {
        if self.turns == Turns::All {
            return;
        }
        let (awake, listed) = (&self.awake, &mut self.listed);
        let mut keep = |v: &NodeId| {
            let stay = awake.get(*v);
            if !stay {
                listed.clear(*v);
            }
            stay
        };
        self.list.retain(&mut keep);
        self.woken.retain(&mut keep);
        self.list.append(&mut self.woken);
    }

    /// The topology peers are drawn on.
    #[inline]
    pub fn topology(&self) -> &'a Topology {
        self.topology
    }

    /// Whether this round's turns are every node in index order (what a faster form of the round may
    /// assume, and must check).
    #[inline]
    pub fn in_index_order(&self) -> bool {
        self.turns == Turns::All && self.order == Order::Index
    }
}

/// Nodes per chunk of a round's turns in index order ([`Chunks`]): a multiple of 64, so that chunks
/// split packed per-node state at word boundaries.
pub const CHUNK_NODES: u32 = 4096;

/// Chunks of a round's turns on `n` nodes.
fn chunk_count(n: u32) -> usize {
    n.div_ceil(CHUNK_NODES) as usize
}

/// The nodes of chunk `k` of `n`.
fn chunk_nodes(n: u32, k: usize) -> Range<NodeId> {
    let first = k as u32 * CHUNK_NODES;
    first..n.min(first + CHUNK_NODES)
}

/// Where the streams of a round's chunks come from.
#[derive(Clone, Copy)]
struct ChunkStreams {
    seed: u64,
    run: u64,
    round: u64,
}

impl ChunkStreams {
    /// The protocol and network streams of chunk `k`.
    fn of(self, k: usize) -> (SimRng, SimRng) {
        let path = [self.round, k as u64];
        (substream(self.seed, self.run, Lane::Protocol, &path), substream(self.seed, self.run, Lane::Network, &path))
    }
}

impl<M, T, R> Round<'_, M, T, R> {
    fn chunk_streams(&self) -> ChunkStreams {
        ChunkStreams { seed: self.seed, run: self.run, round: self.now }
    }
}

impl<'a, M, T> Round<'a, M, T> {
    /// The round's turns as a faster form works with them ([`Chunks`]); only for turns in index order
    /// ([`Round::in_index_order`]).
    pub fn chunks(&mut self) -> Chunks<'_> {
        debug_assert!(self.in_index_order(), "chunks of turns that are not in index order");
        Chunks {
            topology: self.topology,
            streams: self.chunk_streams(),
            loss: self.loss,
            all_up: self.down.count == 0,
            down: &self.down,
            total: &mut self.traffic,
        }
    }
}

/// The turns of a synchronous round in index order, as a faster form of the round takes them. They are cut
/// into chunks of [`CHUNK_NODES`] consecutive nodes (the last one shorter), the same for any number of
/// threads; the turns of chunk `k` of round `r` draw their peers and the protocol's numbers from the
/// protocol stream of `(seed, run)` at path `[r, k]`, and their losses from the network stream at the same
/// path ([`sim_core::rng::substream`]). So the draws of a turn depend only on its chunk and its place in it:
/// a protocol whose exchanges in a round commute (they read the round-start state, and only set bits, say)
/// may run the chunks in any order, or several at once, and give the same result. The generic round
/// ([`Round::turns`]) takes the same streams, one chunk after the other.
pub struct Chunks<'r> {
    topology: &'r Topology,
    streams: ChunkStreams,
    loss: f64,
    all_up: bool,
    down: &'r Down,
    total: &'r mut Traffic,
}

impl Chunks<'_> {
    /// The topology peers are drawn on.
    #[inline]
    pub fn topology(&self) -> &Topology {
        self.topology
    }

    /// Number of chunks.
    #[inline]
    pub fn count(&self) -> usize {
        chunk_count(self.topology.node_count())
    }

    /// Whether links are perfect: no loss, and every node up. Then every message arrives.
    #[inline]
    pub fn perfect(&self) -> bool {
        self.all_up && self.loss == 0.0
    }

    /// Chunk `k`: its initiators, its protocol stream (peers are drawn from it, as [`Net::peer`] does with
    /// [`Topology::random_neighbor`]), and its links.
    pub fn chunk(&self, k: usize) -> Chunk<'_> {
        let (rng, network_rng) = self.streams.of(k);
        let wire = Wire {
            loss: self.loss,
            rng: network_rng,
            all_up: self.all_up,
            down: self.down,
            traffic: Traffic::default(),
        };
        Chunk { nodes: chunk_nodes(self.topology.node_count(), k), rng, wire }
    }

    /// Adds the traffic of the chunks' wires ([`Wire::traffic`], summed) to the round's.
    pub fn account(&mut self, t: Traffic) {
        *self.total = *self.total + t;
    }
}

/// One chunk of a round's turns ([`Chunks::chunk`]).
pub struct Chunk<'r> {
    /// The initiators, in turn order.
    pub nodes: Range<NodeId>,
    /// The chunk's protocol stream.
    pub rng: SimRng,
    /// The chunk's links.
    pub wire: Wire<'r>,
}

/// The links of a chunk of a synchronous round as a faster form of the round uses them ([`Chunks::chunk`]):
/// messages are accounted for exactly as [`Net::send`] does, and the effect is the caller's. Its counts
/// ([`Wire::traffic`]) are the caller's to add to the round's ([`Chunks::account`]).
pub struct Wire<'r> {
    loss: f64,
    /// The chunk's network stream.
    rng: SimRng,
    all_up: bool,
    down: &'r Down,
    traffic: Traffic,
}

impl Wire<'_> {
    /// Whether `node` is up.
    #[inline]
    pub fn is_up(&self, node: NodeId) -> bool {
        self.all_up || self.down.is_up(node)
    }

    /// Whether links are perfect: no loss, and every node up. Then every message arrives.
    #[inline]
    pub fn perfect(&self) -> bool {
        self.all_up && self.loss == 0.0
    }

    /// Accounts for `count` messages sent over perfect links ([`Wire::perfect`]), all of which arrive.
    #[inline]
    pub fn delivered(&mut self, count: u64) {
        debug_assert!(self.perfect(), "messages counted as delivered over faulty links");
        self.traffic.sent += count;
    }

    /// A message to `to`: sent; failed if `to` is down; lost with the network's loss. Returns whether it
    /// arrives.
    #[inline]
    pub fn transmit(&mut self, to: NodeId) -> bool {
        transmit(to, self.all_up, self.down, self.loss, &mut self.rng, &mut self.traffic)
    }

    /// The messages counted so far.
    #[inline]
    pub fn traffic(&self) -> Traffic {
        self.traffic
    }
}

/// The accounting of [`Net::send`] in rounds: sent; failed if `to` is down; lost with probability `loss`.
#[inline(always)]
fn transmit(to: NodeId, all_up: bool, down: &Down, loss: f64, rng: &mut SimRng, t: &mut Traffic) -> bool {
    t.sent += 1;
    if !all_up && !down.is_up(to) {
        t.failed += 1;
        false
    } else if loss > 0.0 && chance(rng, loss) {
        t.lost += 1;
        false
    } else {
        true
    }
}

/// The [`Net`] of one handler call in rounds: what it sends is delivered when it returns, and so on
/// until nothing is left. The first message waits in `next`, a local of the turn that the compiler can
/// keep in registers.
struct Handler<'r, 'a, M, T, R> {
    round: &'r mut Round<'a, M, T, R>,
    next: Option<(M, Incoming)>,
    /// Whether messages wait in [`Round::later`] (kept here so that the common case never looks there).
    later: bool,
}

impl<'r, 'a, M, T, R: Trace<M>> Handler<'r, 'a, M, T, R> {
    #[inline(always)]
    fn new(round: &'r mut Round<'a, M, T, R>) -> Self {
        Handler { round, next: None, later: false }
    }

    /// After the handler: delivers what it sent, and what the deliveries send.
    #[inline(always)]
    fn deliver<G: Gossip<Msg = M, Timer = T>>(mut self, g: &mut G) {
        loop {
            let (msg, at) = match self.next.take() {
                Some(m) => m,
                None if self.later => match self.round.later.pop_front() {
                    Some(m) => m,
                    None => break,
                },
                None => break,
            };
            if R::ON {
                let now = self.round.now;
                self.round.trace.deliver(now, at.from, at.to, &msg, false);
            }
            g.receive(&mut self, msg, at);
            self.round.check(g, at.from, at.to);
            self.round.check(g, at.to, at.from);
        }
    }
}

impl<M, T, R: Trace<M>> Net<M, T> for Handler<'_, '_, M, T, R> {
    #[inline]
    fn nodes(&self) -> u32 {
        self.round.topology.node_count()
    }

    #[inline]
    fn now(&self) -> Time {
        self.round.now
    }

    #[inline]
    fn period(&self) -> Time {
        1
    }

    #[inline]
    fn view(&self) -> View {
        View::RoundStart
    }

    #[inline]
    fn rng(&mut self) -> &mut SimRng {
        &mut self.round.rng
    }

    #[inline(always)]
    fn peer(&mut self, node: NodeId) -> Option<Peer> {
        let r = &mut *self.round;
        r.topology.random_neighbor(node, &mut r.rng).map(|q| Peer { node: q, link: Link::NONE })
    }

    #[inline(always)]
    fn send(&mut self, from: NodeId, to: Peer, msg: M) -> bool {
        let r = &mut *self.round;
        let arrives = if r.lossless_and_up {
            r.traffic.sent += 1;
            true
        } else {
            transmit(to.node, r.down.count == 0, &r.down, r.loss, &mut r.network_rng, &mut r.traffic)
        };
        if R::ON {
            r.trace.send(r.now, from, to.node, &msg, !arrives);
        }
        if arrives {
            let m = (msg, Incoming { from, to: to.node, link: Link::NONE });
            if self.next.is_none() && !self.later {
                self.next = Some(m);
            } else {
                r.later.push_back(m);
                self.later = true;
            }
        }
        arrives
    }

    #[inline(always)]
    fn reply(&mut self, at: Incoming, msg: M) -> bool {
        self.send(at.to, Peer { node: at.from, link: Link::NONE }, msg)
    }

    fn schedule(&mut self, at: Time, node: NodeId, timer: T) {
        let r = &mut *self.round;
        debug_assert!(at >= r.now, "timer for {at} set at {}", r.now);
        r.timers.insert((at, r.scheduled), (node, timer));
        r.scheduled += 1;
    }

    #[inline]
    fn wake(&mut self, node: NodeId) {
        let r = &mut *self.round;
        if r.turns == Turns::Awake && r.awake.set(node) && r.listed.set(node) {
            r.woken.push(node);
        }
    }

    #[inline]
    fn sleep(&mut self, node: NodeId) {
        if self.round.turns == Turns::Awake {
            self.round.awake.clear(node);
        }
    }

    fn set_up(&mut self, node: NodeId, up: bool) {
        let r = &mut *self.round;
        r.down.set(r.topology.node_count(), node, up);
        r.lossless_and_up = r.loss == 0.0 && r.down.count == 0;
    }

    #[inline]
    fn is_up(&self, node: NodeId) -> bool {
        self.round.down.is_up(node)
    }
}
