//! The discrete-event engine: a clock, an event queue ordered by (time, insertion sequence), two random streams
//! (the protocol's; loss and latency draw from the network's), the network model and counters. Handlers see all of
//! it only through a [`Context`].
//!
//! # One run on several threads
//! [`Simulation::run_parts`] runs a protocol whose nodes are split into contiguous parts ([`Split`]), each part
//! handled by one task with a queue of its own, in conservative synchronous windows (the lookahead of Chandy,
//! Misra and Bryant, taken in lockstep): the parts advance together by windows `[W, W + L)`, `W` the earliest
//! pending time of any part and `L` the smallest delay a message can take ([`Simulation::lookahead`], at least 1).
//! A handler running at `t ≥ W` sends messages that arrive at `t + d ≥ W + L`: after the window, so a
//! window's events are all known when it starts, and messages for another part wait in an outbox until the
//! window ends. Each part handles its own events in time order; within one instant, in an order that depends on
//! the split. So the run is the sequential one whatever the split when
//! * delays and loss are drawn by message, not from one sequential stream ([`Simulation::keyed_draws`]);
//! * the protocol's handlers touch only the receiver's state (and read the state of nodes settled before the
//!   window: a sender's state as of its send, for instance), draw only [`Keyed`] numbers, and the outcome of an
//!   instant's messages at a node does not depend on their order (a minimum over them, for instance).
//!
//! The engine cannot check the second condition: a protocol that runs on parts states it and tests it against
//! its sequential run (flooding does, with a proptest).

use std::num::NonZeroU32;
use std::ops::Range;

use rayon::prelude::*;

use crate::network::{Counters, Latency, Network, survives};
use crate::queue::EventQueue;
use crate::rng::{Below, Keyed, Lane, SimRng, stream};
use crate::topology::{ArcId, Graph};
use crate::trace::{NoTrace, Trace};
use crate::{NodeId, Time};

/// A protocol run by the engine: reacts to message deliveries and timers.
///
/// `R` is the run's [`Trace`]: a protocol that can be traced implements `Protocol<R>` for every `R:
/// Trace<Self::Msg>` (its handlers are then compiled once untraced, at no cost, and once traced); one that
/// cannot implements `Protocol`, that is `Protocol<NoTrace>`.
pub trait Protocol<R = NoTrace> {
    type Msg;
    type Timer;

    /// Called once at time 0 before any event.
    fn start(&mut self, ctx: &mut Context<'_, Self::Msg, Self::Timer, R>);
    fn on_message(
        &mut self,
        ctx: &mut Context<'_, Self::Msg, Self::Timer, R>,
        from: NodeId,
        to: NodeId,
        msg: Self::Msg,
    );
    fn on_timer(&mut self, ctx: &mut Context<'_, Self::Msg, Self::Timer, R>, node: NodeId, timer: Self::Timer);

    /// The clock moved to `now`: called before the first event of each time (not at the start); in a run on
    /// parts, when this part's clock moves (a part does not see the times at which only others have events). A protocol
    /// that resolves an instant's messages at a node together (see the module comment) closes the last
    /// instant here, instead of testing the time of every message.
    #[inline]
    fn advance(&mut self, _now: Time) {}

    /// A hint that a message from `from` to `to` will be delivered in a few events: a protocol whose
    /// per-node state is large may start loading it (see [`crate::prefetch`]). It must not change any state.
    #[inline]
    fn prefetch(&self, _from: NodeId, _to: NodeId, _distance: usize) {}
}

/// How many events ahead the engine announces deliveries to [`Protocol::prefetch`]; the protocol is told
/// at both distances, so it can load a node's index first and what the index points to next.
pub const PREFETCH_DISTANCES: [usize; 2] = [16, 8];

enum Event<M, T> {
    Deliver { from: NodeId, to: Target, msg: M },
    Timer { node: NodeId, timer: T },
}

/// The receiver of a message, stored as `!to`: never zero (node ids stop below `u32::MAX`), so `Event` uses
/// that value as its tag. A delivery of a payload-free message then takes 8 bytes in the queue, not 12.
#[derive(Clone, Copy)]
struct Target(NonZeroU32);

impl Target {
    #[inline]
    fn new(to: NodeId) -> Self {
        Target(NonZeroU32::new(!to).expect("node ids are below u32::MAX"))
    }

    #[inline]
    fn get(self) -> NodeId {
        !self.0.get()
    }
}

/// What a handler may touch while it runs; `R` is the run's trace.
pub struct Context<'a, M, T, R = NoTrace> {
    now: Time,
    stop: bool,
    /// The protocol lane; none in a run on parts, whose handlers draw [`Keyed`] numbers only.
    rng: Option<&'a mut SimRng>,
    /// The network lane: loss and delays draw from it alone, so that a protocol drawing more or fewer numbers
    /// leaves every link's delays as they were.
    net: NetDraws<'a>,
    queue: &'a mut EventQueue<Event<M, T>>,
    mail: Mail<'a, Event<M, T>>,
    network: &'a Network,
    /// How [`Context::send_to_neighbors`] draws delays, worked out once from the network.
    delays: Delays,
    graph: Option<&'a Graph>,
    counters: &'a mut Counters,
    trace: &'a mut R,
}

impl<M, T, R: Trace<M>> Context<'_, M, T, R> {
    pub fn now(&self) -> Time {
        self.now
    }

    /// The protocol's stream.
    ///
    /// # Panics
    /// In a run on parts ([`Simulation::run_parts`]), whose handlers draw [`Keyed`] numbers only.
    pub fn rng(&mut self) -> &mut SimRng {
        self.rng.as_deref_mut().expect("a run on parts draws keyed numbers only")
    }

    /// Sends `msg` from `from` to `to` outside any topology link (e.g. over an implicit complete graph).
    /// Per-edge latency counts as 1 here.
    #[inline]
    pub fn send(&mut self, from: NodeId, to: NodeId, msg: M) {
        self.transmit(from, to, 1, msg);
    }

    /// Sends `msg` along arc `arc` of the simulation's graph.
    #[inline]
    pub fn send_arc(&mut self, from: NodeId, arc: ArcId, msg: M) {
        let graph = self.graph.expect("send_arc needs a simulation built with a graph");
        // The arc → edge lookup is a cache miss on large graphs: pay it only when the latency is the weight.
        let weight = match self.network.latency {
            Latency::EdgeWeight => graph.weight(graph.arc_edge(arc)),
            _ => 1,
        };
        self.transmit(from, graph.arc_target(arc), weight, msg);
    }

    /// Sends `msg` along every arc of `from` but those to `except`, in arc order: what [`Context::send_arc`]
    /// on each of them does (the same draws, the same events). Without loss or trace, and with a constant
    /// or uniform latency, a row's events are drawn and queued in one loop.
    #[inline]
    pub fn send_to_neighbors(&mut self, from: NodeId, except: Option<NodeId>, msg: M)
    where
        M: Copy,
    {
        let graph = self.graph.expect("send_to_neighbors needs a simulation built with a graph");
        let (min, span) = match self.delays {
            Delays::Constant(delay) if !R::ON => (delay, None),
            Delays::Uniform { min, span } if !R::ON => (min, Some(span)),
            _ => {
                for a in graph.arcs(from) {
                    if Some(graph.arc_target(a)) != except {
                        self.send_arc(from, a, msg);
                    }
                }
                return;
            }
        };
        // One loop over the row, each kept target's delay drawn and its event filed in turn. No node has id
        // `u32::MAX` (see `Target`), so it stands for no exception.
        let skip = except.unwrap_or(NodeId::MAX);
        let base = later(self.now, min);
        let (net, queue, mail) = (&mut self.net, &mut *self.queue, &mut self.mail);
        let mut sent = 0;
        let kept = graph.neighbors(from).iter().filter(|&&u| u != skip).inspect(|_| sent += 1);
        match (span, net) {
            (Some(span), NetDraws::Stream(rng)) => {
                file_row(queue, mail, from, msg, kept, |_| later(base, Time::from(span.sample(*rng))))
            }
            (Some(span), &mut NetDraws::Keyed { now: keys, .. }) => file_row(queue, mail, from, msg, kept, |u| {
                later(base, Time::from(span.sample(&mut keys.stream(from, u))))
            }),
            (None, _) => file_row(queue, mail, from, msg, kept, |_| base),
        }
        self.counters.sent += sent;
    }

    /// Sends `msg` from `from` to `to` with a delay the protocol knows, such as an underlay's shortest-path
    /// delay between two hosts: the network's loss applies, its latency does not.
    #[inline]
    pub fn send_after(&mut self, from: NodeId, to: NodeId, delay: Time, msg: M) {
        self.counters.sent += 1;
        let survived = match &mut self.net {
            NetDraws::Keyed { now, .. } => survives(self.network, &mut now.stream(from, to)),
            NetDraws::Stream(rng) => survives(self.network, *rng),
        };
        if !survived {
            self.counters.dropped += 1;
            return;
        }
        self.file(to, later(self.now, delay), Event::Deliver { from, to: Target::new(to), msg });
    }

    /// Files `event` for node `node`: in the queue, or in the outbox of the part that owns `node`.
    #[inline(always)]
    fn file(&mut self, node: NodeId, time: Time, event: Event<M, T>) {
        if self.mail.home(node) {
            self.queue.push(time, event);
        } else {
            self.mail.post(node, time, event);
        }
    }

    #[inline(always)]
    fn transmit(&mut self, from: NodeId, to: NodeId, weight: u32, msg: M) {
        self.counters.sent += 1;
        let delay = match &mut self.net {
            NetDraws::Keyed { now, .. } => draw_delay(self.network, &mut now.stream(from, to), weight),
            NetDraws::Stream(rng) => draw_delay(self.network, *rng, weight),
        };
        // Guarded, not only empty when untraced: a reference to `msg` would keep it out of registers.
        if R::ON {
            self.trace.send(self.now, from, to, &msg, delay.is_none());
        }
        match delay {
            Some(delay) => self.file(to, later(self.now, delay), Event::Deliver { from, to: Target::new(to), msg }),
            None => self.counters.dropped += 1,
        }
    }

    /// Fires `timer` at `node` after `delay`.
    #[inline]
    pub fn set_timer(&mut self, node: NodeId, delay: Time, timer: T) {
        self.file(node, later(self.now, delay), Event::Timer { node, timer });
    }

    /// Ends the run after the current handler returns.
    pub fn stop(&mut self) {
        self.stop = true;
    }

    pub fn counters(&self) -> &Counters {
        self.counters
    }

    /// Reports to the trace that `to` received the update for the first time, from `from` (`from == to` for
    /// a source); nothing when untraced.
    #[inline(always)]
    pub fn inform(&mut self, from: NodeId, to: NodeId) {
        self.trace.inform(self.now, from, to);
    }
}

/// Files the events of a row's targets `kept`, each at the time `time` gives: all in the queue in one loop when
/// the run has one part (the common case), else each in the queue or the outbox of the part that owns it.
#[inline(always)]
fn file_row<'r, M: Copy, T>(
    queue: &mut EventQueue<Event<M, T>>,
    mail: &mut Mail<'_, Event<M, T>>,
    from: NodeId,
    msg: M,
    kept: impl Iterator<Item = &'r NodeId>,
    mut time: impl FnMut(NodeId) -> Time,
) {
    let event = |u| Event::Deliver { from, to: Target::new(u), msg };
    if mail.owns_every_node() {
        queue.extend(kept.map(|&u| (time(u), event(u))));
    } else {
        queue.extend(kept.filter_map(|&u| {
            let t = time(u);
            if mail.home(u) {
                Some((t, event(u)))
            } else {
                mail.post(u, t, event(u));
                None
            }
        }));
    }
}

/// Where a run draws the network's loss and delays from.
enum NetDraws<'a> {
    /// The network lane's sequential stream.
    Stream(&'a mut SimRng),
    /// With [`Simulation::keyed_draws`]: the network lane's keyed family, from which each message draws by
    /// (sender, receiver, time of sending), and that family at the current time.
    Keyed { keys: Keyed, now: Keyed },
}

/// Whether a message survives the network's loss and, if so, its delay: loss drawn first, then the delay.
#[inline(always)]
fn draw_delay(network: &Network, rng: &mut (impl crate::rng::Rng + ?Sized), weight: u32) -> Option<Time> {
    survives(network, rng).then(|| network.latency.sample(rng, weight))
}

/// The network's delays as [`Context::send_to_neighbors`] draws them in one loop: a constant, `min` plus a
/// draw below `span` (the draws [`Latency::sample`] makes, its rejection threshold computed once), or arc by
/// arc through [`Context::send_arc`] (loss draws between delays, other latencies).
#[derive(Clone, Copy)]
enum Delays {
    Constant(Time),
    Uniform { min: Time, span: Below },
    PerArc,
}

impl Delays {
    fn of(network: &Network) -> Self {
        if network.loss > 0.0 {
            return Delays::PerArc;
        }
        match network.latency {
            Latency::Constant(d) => Delays::Constant(d),
            Latency::Uniform { min, max } => match (max - min).checked_add(1).map(u32::try_from) {
                Some(Ok(span)) => Delays::Uniform { min, span: Below::new(span) },
                _ => Delays::PerArc,
            },
            Latency::Exponential { .. } | Latency::EdgeWeight => Delays::PerArc,
        }
    }
}

/// `now + delay`, which no run reaches the end of the clock with: delays stay below 2^32 and runs last at
/// most 10^6 periods of at most 2^32 (the scenario format bounds both), so a wrap is a bug, not a result.
#[inline(always)]
fn later(now: Time, delay: Time) -> Time {
    now.checked_add(delay).expect("event time beyond 2^64: delays and run lengths must be bounded")
}

/// Bounds on a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Events later than this are not processed.
    pub max_time: Option<Time>,
    pub max_events: Option<u64>,
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    Drained,
    Stopped,
    TimeLimit,
    EventLimit,
}

/// One simulation: clock, queue, random streams, network and counters.
pub struct Simulation<'g, M, T> {
    rng: SimRng,
    net_rng: SimRng,
    /// The network lane's keyed family, drawn from instead of `net_rng` with [`Simulation::keyed_draws`].
    net_keys: Keyed,
    keyed: bool,
    queue: EventQueue<Event<M, T>>,
    network: Network,
    graph: Option<&'g Graph>,
    counters: Counters,
    events: u64,
    now: Time,
    timer_horizon: Time,
}

impl<'g, M, T> Simulation<'g, M, T> {
    /// Run 0 of `seed`, default network (constant latency 1, no loss).
    pub fn new(seed: u64) -> Self {
        Self::with_run(seed, 0)
    }

    /// Run `run` of `seed`: handlers draw from the protocol lane of stream (seed, run), loss and latency from its
    /// network lane.
    pub fn with_run(seed: u64, run: u64) -> Self {
        let network = Network::default();
        Simulation {
            rng: stream(seed, run, Lane::Protocol),
            net_rng: stream(seed, run, Lane::Network),
            net_keys: Keyed::new(seed, run, Lane::Network),
            keyed: false,
            queue: EventQueue::new(network.latency.horizon()),
            network,
            graph: None,
            counters: Counters::default(),
            events: 0,
            now: 0,
            timer_horizon: 0,
        }
    }

    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self.size_queue()
    }

    /// Each message draws its loss and delay from the network lane's [`Keyed`] stream of (sender, receiver, time
    /// of sending) rather than from the lane's one sequential stream: the same draws in any order of sending,
    /// as a run on parts needs ([`Simulation::run_parts`]). Two messages between the same nodes at the same
    /// instant draw alike: for protocols that send at most one message per link and instant (flooding).
    pub fn keyed_draws(mut self) -> Self {
        self.keyed = true;
        self
    }

    /// The smallest delay a message can take, if it is at least 1: the width of a run's windows on parts.
    /// `None` when a message may arrive at the instant it was sent.
    pub fn lookahead(&self) -> Option<Time> {
        let min_weight = self.graph.map_or(1, Graph::min_weight);
        Some(self.network.latency.min_delay(min_weight)).filter(|&d| d >= 1)
    }

    /// The longest timer delay a protocol sets routinely (its period, with jitter): the queue's wheel is
    /// sized to cover it as well as link latencies, so timers do not fall back to the slower heap.
    pub fn timer_horizon(mut self, horizon: Time) -> Self {
        self.timer_horizon = horizon;
        self.size_queue()
    }

    /// The graph that `send_arc` uses for targets and weights.
    pub fn graph(mut self, graph: &'g Graph) -> Self {
        self.graph = Some(graph);
        self.size_queue()
    }

    /// A new queue whose wheel covers link latencies (edge weights, if they are the latency) and timers.
    fn size_queue(mut self) -> Self {
        self.queue = self.new_queue();
        self
    }

    fn new_queue(&self) -> EventQueue<Event<M, T>> {
        let latency = match (self.network.latency, self.graph) {
            (Latency::EdgeWeight, Some(g)) => Time::from(g.max_weight()) + 1,
            (latency, _) => latency.horizon(),
        };
        EventQueue::new(latency.max(self.timer_horizon))
    }

    pub fn now(&self) -> Time {
        self.now
    }

    pub fn counters_ref(&self) -> &Counters {
        &self.counters
    }

    /// Runs `protocol` from time 0 until the queue drains, a limit is hit, or a handler calls `stop`.
    pub fn run<P: Protocol<Msg = M, Timer = T>>(&mut self, protocol: &mut P, limits: Limits) -> RunEnd {
        self.run_traced(protocol, limits, &mut NoTrace)
    }

    /// [`Simulation::run`], reporting every send, drop and delivery to `trace` (and the protocol's first
    /// receipts, through [`Context::inform`]). The same draws, so the same run.
    pub fn run_traced<R: Trace<M>, P: Protocol<R, Msg = M, Timer = T>>(
        &mut self,
        protocol: &mut P,
        limits: Limits,
        trace: &mut R,
    ) -> RunEnd {
        let max_time = limits.max_time.unwrap_or(Time::MAX);
        let max_events = limits.max_events.unwrap_or(u64::MAX);
        let mut events = self.events;
        // One context for the whole run: handlers get it by reference, the loop only moves its clock.
        let mut ctx = Context {
            now: self.now,
            stop: false,
            rng: Some(&mut self.rng),
            net: match self.keyed {
                true => NetDraws::Keyed { keys: self.net_keys, now: self.net_keys.at(self.now) },
                false => NetDraws::Stream(&mut self.net_rng),
            },
            queue: &mut self.queue,
            mail: Mail::everything(),
            network: &self.network,
            delays: Delays::of(&self.network),
            graph: self.graph,
            counters: &mut self.counters,
            trace,
        };
        protocol.start(&mut ctx);
        let end = handle(&mut ctx, protocol, &mut events, max_events, max_time);
        self.now = ctx.now;
        self.events = events;
        end
    }

    /// Runs `protocols`, the parts of one protocol that own the nodes of `split`'s ranges in order, each on a
    /// task of the current rayon pool, in windows as wide as the [`Simulation::lookahead`] (see the module
    /// comment): the run [`Simulation::run`] makes, for protocols that meet the module comment's conditions.
    /// Each part's [`Protocol::start`] is called (a part with no starting node does nothing there); the run ends
    /// when no event is pending, and the counters are the parts' sums.
    ///
    /// # Panics
    /// Without [`Simulation::keyed_draws`] or a lookahead, unless there are as many protocols as parts, if a
    /// handler sends or sets a timer for another part's node sooner than the lookahead, or if a handler
    /// calls [`Context::stop`] (a run on parts cannot stop at one event) or draws from [`Context::rng`].
    pub fn run_parts<P>(&mut self, split: &Split, protocols: &mut [P])
    where
        P: Protocol<Msg = M, Timer = T> + Send,
        M: Send,
        T: Send,
    {
        assert!(self.keyed, "a run on parts needs keyed draws");
        let width = self.lookahead().expect("a run on parts needs a lookahead of at least 1");
        assert_eq!(protocols.len(), split.parts(), "one protocol per part");
        let mut parts: Vec<PartRun<M, T>> = (0..split.parts())
            .map(|_| PartRun {
                queue: self.new_queue(),
                counters: Counters::default(),
                outboxes: (0..split.parts()).map(|_| Vec::new()).collect(),
                inboxes: (0..split.parts()).map(|_| Vec::new()).collect(),
                earliest: Time::MAX,
            })
            .collect();
        let shared = Shared { net_keys: self.net_keys, network: &self.network, graph: self.graph, split };
        let mut last = None;
        loop {
            parts.par_iter_mut().zip(protocols.par_iter_mut()).enumerate().for_each(|(i, (part, protocol))| {
                part.step(&shared, i, protocol, last);
            });
            // Outboxes become the receivers' inboxes (which their parts have taken, and left empty).
            let earliest = parts.iter_mut().map(|p| std::mem::replace(&mut p.earliest, Time::MAX)).min();
            for from in 0..parts.len() {
                for to in 0..parts.len() {
                    parts[to].inboxes[from] = std::mem::take(&mut parts[from].outboxes[to]);
                }
            }
            let queued = parts.iter().filter_map(|p| p.queue.peek_time()).min();
            let Some(start) = queued.into_iter().chain(earliest).filter(|&t| t != Time::MAX).min() else { break };
            last = Some(later(start, width) - 1);
        }
        self.now = parts.iter().map(|p| p.queue.now()).max().unwrap_or(self.now);
        for part in &parts {
            self.counters.sent += part.counters.sent;
            self.counters.delivered += part.counters.delivered;
            self.counters.dropped += part.counters.dropped;
        }
    }
}

/// Handles the events of `ctx`'s queue in order until it drains, a limit is hit (`max_time` being the last
/// time handled), or a handler calls `stop`.
#[inline(always)]
fn handle<M, T, R: Trace<M>, P: Protocol<R, Msg = M, Timer = T>>(
    ctx: &mut Context<'_, M, T, R>,
    protocol: &mut P,
    events: &mut u64,
    max_events: u64,
    max_time: Time,
) -> RunEnd {
    loop {
        if ctx.stop {
            return RunEnd::Stopped;
        }
        if *events >= max_events {
            return RunEnd::EventLimit;
        }
        // Only the first event of a time moves the clock, and so is checked against the time limit; the
        // others were moved with it to the queue's list of the current time.
        let event = match ctx.queue.pop_due() {
            Some(event) => event,
            None => {
                match ctx.queue.peek_time() {
                    None => return RunEnd::Drained,
                    Some(t) if t > max_time => return RunEnd::TimeLimit,
                    Some(_) => {}
                }
                let (time, event) = ctx.queue.pop().expect("an event is due");
                ctx.now = time;
                if let NetDraws::Keyed { keys, now } = &mut ctx.net {
                    *now = keys.at(time);
                }
                protocol.advance(time);
                event
            }
        };
        for d in PREFETCH_DISTANCES {
            if let Some(&Event::Deliver { from, to, .. }) = ctx.queue.peek_same_time(d) {
                protocol.prefetch(from, to.get(), d);
            }
        }
        *events += 1;
        match event {
            Event::Deliver { from, to, msg } => {
                ctx.counters.delivered += 1;
                if R::ON {
                    ctx.trace.deliver(ctx.now, from, to.get(), &msg, false);
                }
                protocol.on_message(ctx, from, to.get(), msg);
            }
            Event::Timer { node, timer } => protocol.on_timer(ctx, node, timer),
        }
    }
}

/// Nodes `0..nodes` split into contiguous parts of equal size (the last one shorter), a multiple of 64 nodes
/// each so that no word of a node bit set is written by two parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    nodes: u32,
    /// Nodes per part: node `v` belongs to part `v / chunk`.
    chunk: u32,
}

impl Split {
    /// At most `parts` parts (fewer when there are too few nodes for them), at least one.
    pub fn new(nodes: u32, parts: usize) -> Self {
        let parts = u32::try_from(parts.max(1)).unwrap_or(u32::MAX);
        let chunk = nodes.div_ceil(parts).next_multiple_of(64).max(64);
        Split { nodes, chunk }
    }

    /// How many parts there are.
    pub fn parts(&self) -> usize {
        self.nodes.div_ceil(self.chunk).max(1) as usize
    }

    /// The nodes of part `part`.
    pub fn range(&self, part: usize) -> Range<NodeId> {
        let first = (part as u32).saturating_mul(self.chunk).min(self.nodes);
        first..first.saturating_add(self.chunk).min(self.nodes)
    }

    /// The ranges of all parts, in order.
    pub fn ranges(&self) -> impl Iterator<Item = Range<NodeId>> + '_ {
        (0..self.parts()).map(|p| self.range(p))
    }
}

/// Where a handler's events go: its part's queue if the node is one of the part's, else the outbox of the part
/// that owns it. A run of one part owns every node.
struct Mail<'a, E> {
    first: NodeId,
    /// Nodes of this part: `u32::MAX` for a run of one part.
    nodes: u32,
    chunk: u32,
    outboxes: &'a mut [Vec<(Time, E)>],
    /// The earliest time posted since the outboxes were handed over.
    earliest: Time,
    /// The earliest time an event for another part may have: after the window being handled.
    horizon: Time,
}

impl<'a, E> Mail<'a, E> {
    fn everything() -> Self {
        Mail { first: 0, nodes: u32::MAX, chunk: u32::MAX, outboxes: &mut [], earliest: Time::MAX, horizon: 0 }
    }

    /// Whether this is a run of one part.
    #[inline(always)]
    fn owns_every_node(&self) -> bool {
        self.nodes == u32::MAX
    }

    #[inline(always)]
    fn home(&self, node: NodeId) -> bool {
        node.wrapping_sub(self.first) < self.nodes
    }

    #[inline(always)]
    fn post(&mut self, node: NodeId, time: Time, event: E) {
        // Sooner, it would land in the receiving part's past (the window it has handled already).
        assert!(time >= self.horizon, "an event for another part's node sooner than the lookahead");
        self.earliest = self.earliest.min(time);
        self.outboxes[(node / self.chunk) as usize].push((time, event));
    }
}

/// What every part of a run on parts reads.
struct Shared<'s, 'g> {
    net_keys: Keyed,
    network: &'s Network,
    graph: Option<&'g Graph>,
    split: &'s Split,
}

/// One part of a run on parts: its queue, counters and mail.
struct PartRun<M, T> {
    queue: EventQueue<Event<M, T>>,
    counters: Counters,
    /// Events for each part's nodes sent during this window (this part's own slot stays empty).
    outboxes: Vec<Vec<(Time, Event<M, T>)>>,
    /// Events from each part, sent in the window before.
    inboxes: Vec<Vec<(Time, Event<M, T>)>>,
    earliest: Time,
}

impl<M, T> PartRun<M, T> {
    /// Files the inboxes in the queue and handles the events up to `last` (inclusive), or, before the first
    /// window (`last` none), starts the part.
    fn step<P: Protocol<Msg = M, Timer = T>>(
        &mut self,
        shared: &Shared<'_, '_>,
        part: usize,
        protocol: &mut P,
        last: Option<Time>,
    ) {
        // Taken, not drained: an inbox's capacity is freed once its events are queued, so that a window's
        // events are held once (in a queue or an outbox), as the protocol's memory estimate counts them.
        for inbox in &mut self.inboxes {
            self.queue.extend(std::mem::take(inbox));
        }
        let range = shared.split.range(part);
        let mut ctx = Context {
            now: self.queue.now(),
            stop: false,
            rng: None,
            net: NetDraws::Keyed { keys: shared.net_keys, now: shared.net_keys.at(self.queue.now()) },
            queue: &mut self.queue,
            mail: Mail {
                first: range.start,
                nodes: range.end - range.start,
                chunk: shared.split.chunk,
                outboxes: &mut self.outboxes,
                earliest: Time::MAX,
                horizon: last.map_or(0, |last| last + 1),
            },
            network: shared.network,
            delays: Delays::of(shared.network),
            graph: shared.graph,
            counters: &mut self.counters,
            trace: &mut NoTrace,
        };
        match last {
            None => protocol.start(&mut ctx),
            Some(last) => {
                let end = handle(&mut ctx, protocol, &mut 0, u64::MAX, last);
                assert!(end != RunEnd::Stopped, "a run on parts cannot be stopped");
            }
        }
        self.earliest = ctx.mail.earliest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Latency;

    /// Records the order in which it sees events.
    struct Recorder {
        seen: Vec<(Time, u32)>,
    }

    impl Protocol for Recorder {
        type Msg = u32;
        type Timer = u32;
        fn start(&mut self, ctx: &mut Context<'_, u32, u32>) {
            for i in 0..3 {
                ctx.set_timer(0, 10, i);
            }
            ctx.send(0, 1, 100);
            ctx.set_timer(0, 10, 3);
        }
        fn on_message(&mut self, ctx: &mut Context<'_, u32, u32>, _from: NodeId, _to: NodeId, msg: u32) {
            self.seen.push((ctx.now(), msg));
        }
        fn on_timer(&mut self, ctx: &mut Context<'_, u32, u32>, _node: NodeId, timer: u32) {
            self.seen.push((ctx.now(), timer));
            if timer == 3 {
                ctx.stop();
            }
        }
    }

    #[test]
    fn equal_times_run_in_insertion_order_and_stop_works() {
        let mut sim = Simulation::new(1).network(Network { latency: Latency::Constant(10), loss: 0.0 });
        let mut p = Recorder { seen: vec![] };
        assert_eq!(sim.run(&mut p, Limits::default()), RunEnd::Stopped);
        assert_eq!(p.seen, vec![(10, 0), (10, 1), (10, 2), (10, 100), (10, 3)]);
    }

    /// Floods once, forwarding along every arc but the one it came by, with `send_to_neighbors` or with
    /// `send_arc` arc by arc; records every delivery.
    struct Flood {
        batched: bool,
        reached: Vec<bool>,
        seen: Vec<(Time, NodeId, NodeId)>,
    }

    impl Flood {
        fn forward(&self, ctx: &mut Context<'_, (), ()>, v: NodeId, except: Option<NodeId>) {
            if self.batched {
                ctx.send_to_neighbors(v, except, ());
            } else {
                let g = ctx.graph.expect("a graph");
                for a in g.arcs(v).filter(|&a| Some(g.arc_target(a)) != except) {
                    ctx.send_arc(v, a, ());
                }
            }
        }
    }

    impl Protocol for Flood {
        type Msg = ();
        type Timer = ();
        fn start(&mut self, ctx: &mut Context<'_, (), ()>) {
            self.reached[0] = true;
            self.forward(ctx, 0, None);
        }
        fn on_message(&mut self, ctx: &mut Context<'_, (), ()>, from: NodeId, to: NodeId, (): ()) {
            self.seen.push((ctx.now(), from, to));
            if !std::mem::replace(&mut self.reached[to as usize], true) {
                self.forward(ctx, to, Some(from));
            }
        }
        fn on_timer(&mut self, _: &mut Context<'_, (), ()>, _: NodeId, (): ()) {}
    }

    /// Sending to every neighbour at once delivers what sending arc by arc delivers, in the same order and
    /// at the same times, and leaves the counters alike, drawing from the network's stream or keyed: with batched
    /// delays (constant, uniform, a row longer than a batch) and without (loss, exponential, edge weights, a
    /// span beyond 2^32).
    #[test]
    fn sending_to_neighbors_is_sending_arc_by_arc() {
        let mut b = crate::topology::GraphBuilder::new(60);
        let mut rng = stream(9, 0, Lane::Topology);
        for v in 1..60 {
            // Node 0 links to every other (a row of 59, longer than a batch); others at random.
            b.weighted_edge(0, v, 1 + v % 7);
            let u = crate::rng::below(&mut rng, 60);
            if u != v {
                b.weighted_edge(u, v, 3);
            }
        }
        let graph = b.build().unwrap();
        let latencies = [
            Latency::Constant(4),
            Latency::Uniform { min: 2, max: 90 },
            Latency::Uniform { min: 0, max: 1 << 40 },
            Latency::Exponential { mean: 5.0 },
            Latency::EdgeWeight,
        ];
        for (latency, keyed) in latencies.into_iter().flat_map(|l| [(l, false), (l, true)]) {
            for loss in [0.0, 0.3] {
                let network = Network { latency, loss };
                let [batched, by_arc] = [true, false].map(|batched| {
                    let mut sim = Simulation::with_run(5, 1).network(network).graph(&graph);
                    if keyed {
                        sim = sim.keyed_draws();
                    }
                    let mut p = Flood { batched, reached: vec![false; 60], seen: Vec::new() };
                    sim.run(&mut p, Limits::default());
                    let c = sim.counters_ref();
                    (p.seen, c.sent, c.delivered, c.dropped)
                });
                assert!(batched.0.len() > 60, "{network:?}");
                assert_eq!(batched, by_arc, "{network:?}");
            }
        }
    }

    /// Counts the copies each node receives; a node forwards the copy it receives with `ttl > 0` to two nodes
    /// picked by keyed draws of (node, ttl), with `ttl - 1`. What a node does depends on a copy alone, and the
    /// counts are sums: the outcome does not depend on the order of an instant's copies.
    struct Relay<'c> {
        keys: Keyed,
        nodes: u32,
        counts: &'c [std::sync::atomic::AtomicU32],
    }

    impl Protocol for Relay<'_> {
        type Msg = u32;
        type Timer = ();
        fn start(&mut self, ctx: &mut Context<'_, u32, ()>) {
            if ctx.mail.home(0) {
                ctx.send(0, 1, 6);
            }
        }
        fn on_message(&mut self, ctx: &mut Context<'_, u32, ()>, _from: NodeId, to: NodeId, ttl: u32) {
            self.counts[to as usize].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if ttl > 0 {
                let mut rng = self.keys.at(ctx.now()).stream(to, ttl);
                for _ in 0..2 {
                    ctx.send(to, crate::rng::below(&mut rng, self.nodes), ttl - 1);
                }
            }
        }
        fn on_timer(&mut self, _: &mut Context<'_, u32, ()>, _: NodeId, (): ()) {}
    }

    /// A run on 2, 3 or 5 parts is the run on one: the same deliveries at each node, counters and end.
    #[test]
    fn a_run_on_parts_is_the_sequential_run() {
        let nodes = 300;
        let network = Network { latency: Latency::Uniform { min: 2, max: 9 }, loss: 0.0 };
        let outcome = |parts: Option<usize>| {
            let mut counts = vec![0u32; nodes as usize];
            let view = crate::atomic::counts_as_atomic(&mut counts);
            let keys = Keyed::new(4, 0, Lane::Protocol);
            let mut sim = Simulation::with_run(4, 0).network(network).keyed_draws();
            let relay = || Relay { keys, nodes, counts: view };
            match parts {
                None => _ = sim.run(&mut relay(), Limits::default()),
                Some(parts) => {
                    let split = Split::new(nodes, parts);
                    assert_eq!(split.parts(), parts);
                    sim.run_parts(&split, &mut (0..parts).map(|_| relay()).collect::<Vec<_>>());
                }
            }
            let c = sim.counters_ref();
            let totals = (c.sent, c.delivered, c.dropped, sim.now());
            (counts, totals)
        };
        let sequential = outcome(None);
        assert_eq!(sequential.1.0, (1 << 7) - 1, "1 + 2 + ... + 2^6 copies");
        for parts in [2, 3, 5] {
            assert_eq!(outcome(Some(parts)), sequential, "{parts} parts");
        }
    }

    #[test]
    fn splits_cover_the_nodes_in_words() {
        let split = Split::new(1000, 3);
        let ranges: Vec<_> = split.ranges().collect();
        assert_eq!(ranges, vec![0..384, 384..768, 768..1000]);
        assert_eq!(Split::new(100, 4).parts(), 2);
        assert_eq!(Split::new(0, 2).ranges().collect::<Vec<_>>(), vec![0..0]);
    }

    #[test]
    fn payload_free_deliveries_take_eight_bytes() {
        assert_eq!(size_of::<Event<(), ()>>(), 8);
        assert_eq!(size_of::<Event<u32, ()>>(), 12);
        assert_eq!(Target::new(0).get(), 0);
        assert_eq!(Target::new(u32::MAX - 1).get(), u32::MAX - 1);
    }

    #[test]
    fn time_limit_and_loss() {
        let mut sim = Simulation::new(1).network(Network { latency: Latency::Constant(10), loss: 1.0 });
        let mut p = Recorder { seen: vec![] };
        assert_eq!(sim.run(&mut p, Limits { max_time: Some(5), max_events: None }), RunEnd::TimeLimit);
        assert!(p.seen.is_empty());
        assert_eq!(sim.counters_ref().dropped, 1);
    }
}
