//! The event-driven driver: a gossip protocol as a sim-core engine protocol, with per-node turn timers.

use sim_core::bitset::BitSet;
use sim_core::engine::{Context, Limits, Protocol, Simulation};
use sim_core::rng::{SimRng, below};
use sim_core::topology::{ArcId, Topology};
use sim_core::trace::{Labelled, Sink, Trace};
use sim_core::{NodeId, Time};

use super::{Clock, Down, End, Gossip, Harness, Incoming, Link, Net, Peer, Traffic, Turns, View};

/// Runs `g` on the engine, reporting to `sink` (messages named by [`Gossip::describe`]).
pub(super) fn run_traced<G: Gossip>(
    h: &Harness<'_>,
    clock: Clock,
    g: &mut G,
    seed: u64,
    run: u64,
    sink: &mut dyn Sink,
) -> End {
    let mut trace = Labelled::new(sink, |e: &Envelope<G::Msg>| G::describe(&e.msg));
    self::run(h, clock, g, seed, run, &mut trace)
}

/// Runs `g` on the engine, reporting to `trace`.
pub(super) fn run<G: Gossip, R: Trace<Envelope<G::Msg>>>(
    h: &Harness<'_>,
    clock: Clock,
    g: &mut G,
    seed: u64,
    run: u64,
    trace: &mut R,
) -> End {
    let period = h.timing.period();
    let n = h.topology.node_count();
    let turns = g.turns();
    let mut driver = Driver {
        protocol: g,
        links: Links::new(h.topology),
        state: State {
            clock,
            period,
            turns,
            awake: BitSet::new(if turns == Turns::Awake { n } else { 0 }),
            armed: BitSet::new(if turns == Turns::Awake { n } else { 0 }),
            starting: true,
            first: Vec::new(),
            down: Down::default(),
            failed: 0,
        },
        round: 0,
        done: false,
        informed: BitSet::new(if R::ON { n } else { 0 }),
    };
    let mut sim = Simulation::with_run(seed, run).network(h.network).timer_horizon(period.saturating_mul(2));
    if let Topology::Graph(graph) = h.topology {
        sim = sim.graph(graph);
    }
    let limits = Limits { max_time: Some(u64::from(h.max_rounds).saturating_mul(period)), max_events: None };
    sim.run_traced(&mut driver, limits, trace);
    let counters = sim.counters_ref();
    End {
        time: sim.now(),
        period,
        done: driver.done,
        traffic: Traffic { sent: counters.sent, lost: counters.dropped, failed: driver.state.failed },
    }
}

/// What travels through the engine: the protocol's message and the link it took.
pub(super) struct Envelope<M> {
    link: Link,
    msg: M,
}

enum Tick<T> {
    Turn,
    /// The end of a round: a multiple of the period.
    Sample,
    Protocol(T),
}

type Ctx<'c, M, T, R> = Context<'c, Envelope<M>, Tick<T>, R>;

struct Driver<'p, 't, G> {
    protocol: &'p mut G,
    links: Links<'t>,
    state: State,
    round: u32,
    done: bool,
    /// Traced runs: the nodes reported to hold the update.
    informed: BitSet,
}

/// What the harness keeps per run besides the links.
struct State {
    clock: Clock,
    period: Time,
    turns: Turns,
    /// [`Turns::Awake`]: nodes awake, and nodes with a turn timer pending.
    awake: BitSet,
    armed: BitSet,
    /// During [`Gossip::start`]: nodes woken, whose first turns are set after it.
    starting: bool,
    first: Vec<NodeId>,
    down: Down,
    failed: u64,
}

/// The event-driven [`Net`]: the engine's context, the links and the harness state.
struct Events<'a, 'c, 't, M, T, R> {
    ctx: &'a mut Ctx<'c, M, T, R>,
    links: &'a Links<'t>,
    state: &'a mut State,
}

fn net<'a, 'c, 't, M, T, R>(
    links: &'a Links<'t>,
    state: &'a mut State,
    ctx: &'a mut Ctx<'c, M, T, R>,
) -> Events<'a, 'c, 't, M, T, R> {
    Events { ctx, links, state }
}

impl<G: Gossip> Driver<'_, '_, G> {
    /// Traced runs: reports `to` as informed by `from` the first time the protocol says it holds the update.
    #[inline(always)]
    fn check<R: Trace<Envelope<G::Msg>>>(&mut self, ctx: &mut Ctx<'_, G::Msg, G::Timer, R>, from: NodeId, to: NodeId) {
        if R::ON && !self.informed.get(to) && self.protocol.holds(to) {
            self.informed.set(to);
            ctx.inform(from, to);
        }
    }

    /// Stops the run, with a last sample, once the protocol is done.
    #[inline]
    fn check_done<R: Trace<Envelope<G::Msg>>>(&mut self, ctx: &mut Ctx<'_, G::Msg, G::Timer, R>) {
        if self.protocol.done() {
            self.protocol.sample();
            self.done = true;
            ctx.stop();
        }
    }
}

impl<G: Gossip, R: Trace<Envelope<G::Msg>>> Protocol<R> for Driver<'_, '_, G> {
    type Msg = Envelope<G::Msg>;
    type Timer = Tick<G::Timer>;

    fn start(&mut self, ctx: &mut Ctx<'_, G::Msg, G::Timer, R>) {
        self.protocol.start(&mut net(&self.links, &mut self.state, ctx));
        if R::ON {
            for v in 0..self.links.topology.node_count() {
                self.check(ctx, v, v);
            }
        }
        self.state.starting = false;
        self.protocol.sample();
        ctx.set_timer(0, self.state.period, Tick::Sample);
        let clock = self.state.clock;
        match self.state.turns {
            Turns::All => {
                for v in 0..self.links.topology.node_count() {
                    let first = clock.first(ctx.rng());
                    ctx.set_timer(v, first, Tick::Turn);
                }
            }
            Turns::Awake => {
                for v in std::mem::take(&mut self.state.first) {
                    let first = clock.first(ctx.rng());
                    ctx.set_timer(v, first, Tick::Turn);
                }
            }
        }
        self.check_done(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, G::Msg, G::Timer, R>, from: NodeId, to: NodeId, env: Envelope<G::Msg>) {
        if !self.state.down.is_up(to) {
            self.state.failed += 1;
            return;
        }
        let at = Incoming { from, to, link: env.link };
        self.protocol.receive(&mut net(&self.links, &mut self.state, ctx), env.msg, at);
        self.check(ctx, from, to);
        self.check(ctx, to, from);
        self.check_done(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, G::Msg, G::Timer, R>, node: NodeId, tick: Tick<G::Timer>) {
        match tick {
            Tick::Turn => {
                let awake = self.state.turns == Turns::All || {
                    self.state.armed.clear(node);
                    self.state.awake.get(node)
                };
                if !awake {
                    return; // put to sleep since this timer was set
                }
                if self.state.down.is_up(node) {
                    self.protocol.turn(&mut net(&self.links, &mut self.state, ctx), node);
                }
                if self.state.turns == Turns::All || self.state.awake.get(node) && self.state.armed.set(node) {
                    let gap = self.state.clock.gap(ctx.rng());
                    ctx.set_timer(node, gap, Tick::Turn);
                }
            }
            Tick::Sample => {
                self.round += 1;
                self.protocol.end_round(&mut net(&self.links, &mut self.state, ctx), self.round);
                self.protocol.sample();
                ctx.set_timer(0, self.state.period, Tick::Sample);
            }
            Tick::Protocol(t) => {
                self.protocol.timer(&mut net(&self.links, &mut self.state, ctx), node, t);
                self.check(ctx, node, node);
            }
        }
        self.check_done(ctx);
    }
}

impl<M, T, R: Trace<Envelope<M>>> Net<M, T> for Events<'_, '_, '_, M, T, R> {
    #[inline]
    fn nodes(&self) -> u32 {
        self.links.topology.node_count()
    }

    #[inline]
    fn now(&self) -> Time {
        self.ctx.now()
    }

    #[inline]
    fn period(&self) -> Time {
        self.state.period
    }

    #[inline]
    fn view(&self) -> View {
        View::Now
    }

    #[inline]
    fn rng(&mut self) -> &mut SimRng {
        self.ctx.rng()
    }

    #[inline]
    fn peer(&mut self, node: NodeId) -> Option<Peer> {
        self.links.pick(node, self.ctx.rng())
    }

    #[inline]
    fn send(&mut self, from: NodeId, to: Peer, msg: M) -> bool {
        let dropped = self.ctx.counters().dropped;
        let env = Envelope { link: to.link, msg };
        match to.link.arc() {
            Some(a) => self.ctx.send_arc(from, a, env),
            None => self.ctx.send(from, to.node, env),
        }
        self.ctx.counters().dropped == dropped
    }

    #[inline]
    fn reply(&mut self, at: Incoming, msg: M) -> bool {
        let back = self.links.back(at.link);
        self.send(at.to, Peer { node: at.from, link: back }, msg)
    }

    fn schedule(&mut self, at: Time, node: NodeId, timer: T) {
        debug_assert!(at >= self.ctx.now(), "timer for {at} set at {}", self.ctx.now());
        let delay = at.saturating_sub(self.ctx.now());
        self.ctx.set_timer(node, delay, Tick::Protocol(timer));
    }

    #[inline]
    fn wake(&mut self, node: NodeId) {
        let s = &mut *self.state;
        if s.turns == Turns::Awake && s.awake.set(node) && s.armed.set(node) {
            if s.starting {
                s.first.push(node);
            } else {
                let gap = s.clock.gap(self.ctx.rng());
                self.ctx.set_timer(node, gap, Tick::Turn);
            }
        }
    }

    #[inline]
    fn sleep(&mut self, node: NodeId) {
        if self.state.turns == Turns::Awake {
            self.state.awake.clear(node);
        }
    }

    fn set_up(&mut self, node: NodeId, up: bool) {
        self.state.down.set(self.links.topology.node_count(), node, up);
    }

    #[inline]
    fn is_up(&self, node: NodeId) -> bool {
        self.state.down.is_up(node)
    }
}

/// Peer choice and the way back, event-driven.
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
                assert!(count < u32::MAX as usize, "{count} arcs do not fit the 32-bit links of the gossip harness");
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

    /// A uniformly random neighbour of `v` (same draw as [`Topology::random_neighbor`]) and the arc to it.
    #[inline]
    fn pick(&self, v: NodeId, rng: &mut SimRng) -> Option<Peer> {
        match self.topology {
            Topology::Complete { .. } => {
                self.topology.random_neighbor(v, rng).map(|q| Peer { node: q, link: Link::NONE })
            }
            Topology::Graph(g) => {
                let arcs = g.arcs(v);
                let d = arcs.len() as u32;
                (d > 0).then(|| {
                    let a = arcs.start + below(rng, d) as ArcId;
                    Peer { node: g.arc_target(a), link: Link { arc: a as u32 } }
                })
            }
        }
    }

    /// The link back from the receiver of a message that came over `link`.
    #[inline]
    fn back(&self, link: Link) -> Link {
        link.arc().map_or(Link::NONE, |a| Link { arc: self.reverse[a] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
