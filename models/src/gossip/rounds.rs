//! The synchronous-round driver: no event queue; messages are delivered as soon as they are sent.

use std::collections::{BTreeMap, VecDeque};

use sim_core::bitset::BitSet;
use sim_core::rng::{Lane, SimRng, chance, partial_shuffle, stream};
use sim_core::topology::Topology;
use sim_core::trace::{Labelled, NoTrace, Trace};
use sim_core::{NodeId, Time};

use super::{Down, End, Gossip, Harness, Incoming, Link, Net, Order, Peer, Traffic, Turns, View};

/// The synchronous-round driver, as a faster form of a round ([`Gossip::round`]) drives it. Handlers see
/// it through [`Net`]. `R` is the run's trace (none for a faster form: traced runs take the generic round).
pub struct Round<'a, M, T, R = NoTrace> {
    topology: &'a Topology,
    rng: SimRng,
    /// Loss draws, apart from the protocol's.
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
    /// the next: the generic body of [`Gossip::round`].
    pub fn turns<G: Gossip<Msg = M, Timer = T>>(&mut self, g: &mut G) {
        if self.in_index_order() {
            for p in 0..self.topology.node_count() {
                self.turn(g, p);
            }
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

impl<'a, M, T> Round<'a, M, T> {
    /// What a faster form of a round works with, borrowed apart (so that its hot loop can keep them in
    /// registers): the topology, the protocol's random stream (peers are drawn from it, as
    /// [`Net::peer`] does with [`Topology::random_neighbor`]), and the links.
    pub fn split(&mut self) -> (&'a Topology, &mut SimRng, Wire<'_>) {
        let wire = Wire {
            loss: self.loss,
            rng: &mut self.network_rng,
            all_up: self.down.count == 0,
            down: &self.down,
            traffic: Traffic::default(),
            total: &mut self.traffic,
        };
        (self.topology, &mut self.rng, wire)
    }
}

/// The links of a synchronous round as a faster form of the round uses them ([`Round::split`]): messages
/// are accounted for exactly as [`Net::send`] does, and the effect is the caller's. Its counts join the
/// round's when it is dropped.
pub struct Wire<'r> {
    loss: f64,
    rng: &'r mut SimRng,
    all_up: bool,
    down: &'r Down,
    traffic: Traffic,
    total: &'r mut Traffic,
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
        transmit(to, self.all_up, self.down, self.loss, self.rng, &mut self.traffic)
    }
}

impl Drop for Wire<'_> {
    fn drop(&mut self) {
        self.total.sent += self.traffic.sent;
        self.total.lost += self.traffic.lost;
        self.total.failed += self.traffic.failed;
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
