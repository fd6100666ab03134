//! The discrete-event engine: a clock, an event queue ordered by (time, insertion sequence), two random streams
//! (the protocol's; loss and latency draw from the network's), the network model and counters. Handlers see all of
//! it only through a [`Context`].

use std::num::NonZeroU32;

use crate::network::{Counters, Latency, Network, survives};
use crate::queue::EventQueue;
use crate::rng::{Below, Lane, SimRng, stream};
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
    rng: &'a mut SimRng,
    /// The network lane: loss and delays draw from it alone, so that a protocol drawing more or fewer numbers
    /// leaves every link's delays as they were.
    net_rng: &'a mut SimRng,
    queue: &'a mut EventQueue<Event<M, T>>,
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

    pub fn rng(&mut self) -> &mut SimRng {
        self.rng
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
        let (net_rng, queue) = (&mut *self.net_rng, &mut *self.queue);
        let mut sent = 0;
        let kept = graph.neighbors(from).iter().filter(|&&u| u != skip).inspect(|_| sent += 1);
        let event = |u| Event::Deliver { from, to: Target::new(u), msg };
        match span {
            Some(span) => queue.extend(kept.map(|&u| (later(base, Time::from(span.sample(net_rng))), event(u)))),
            None => queue.extend(kept.map(|&u| (base, event(u)))),
        }
        self.counters.sent += sent;
    }

    /// Sends `msg` from `from` to `to` with a delay the protocol knows, such as an underlay's shortest-path
    /// delay between two hosts: the network's loss applies, its latency does not.
    #[inline]
    pub fn send_after(&mut self, from: NodeId, to: NodeId, delay: Time, msg: M) {
        self.counters.sent += 1;
        if !survives(self.network, self.net_rng) {
            self.counters.dropped += 1;
            return;
        }
        self.queue.push(later(self.now, delay), Event::Deliver { from, to: Target::new(to), msg });
    }

    #[inline(always)]
    fn transmit(&mut self, from: NodeId, to: NodeId, weight: u32, msg: M) {
        self.counters.sent += 1;
        if !survives(self.network, self.net_rng) {
            self.counters.dropped += 1;
            if R::ON {
                self.trace.send(self.now, from, to, &msg, true);
            }
            return;
        }
        // Guarded, not only empty when untraced: a reference to `msg` would keep it out of registers.
        if R::ON {
            self.trace.send(self.now, from, to, &msg, false);
        }
        let delay = self.network.latency.sample(self.net_rng, weight);
        self.queue.push(later(self.now, delay), Event::Deliver { from, to: Target::new(to), msg });
    }

    /// Fires `timer` at `node` after `delay`.
    #[inline]
    pub fn set_timer(&mut self, node: NodeId, delay: Time, timer: T) {
        self.queue.push(later(self.now, delay), Event::Timer { node, timer });
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
        let latency = match (self.network.latency, self.graph) {
            (Latency::EdgeWeight, Some(g)) => Time::from(g.max_weight()) + 1,
            (latency, _) => latency.horizon(),
        };
        self.queue = EventQueue::new(latency.max(self.timer_horizon));
        self
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
            rng: &mut self.rng,
            net_rng: &mut self.net_rng,
            queue: &mut self.queue,
            network: &self.network,
            delays: Delays::of(&self.network),
            graph: self.graph,
            counters: &mut self.counters,
            trace,
        };
        protocol.start(&mut ctx);
        let end = loop {
            if ctx.stop {
                break RunEnd::Stopped;
            }
            if events >= max_events {
                break RunEnd::EventLimit;
            }
            // Only the first event of a time moves the clock, and so is checked against the time limit; the
            // others were moved with it to the queue's list of the current time.
            let event = match ctx.queue.pop_due() {
                Some(event) => event,
                None => {
                    match ctx.queue.peek_time() {
                        None => break RunEnd::Drained,
                        Some(t) if t > max_time => break RunEnd::TimeLimit,
                        Some(_) => {}
                    }
                    let (time, event) = ctx.queue.pop().expect("an event is due");
                    ctx.now = time;
                    event
                }
            };
            for d in PREFETCH_DISTANCES {
                if let Some(&Event::Deliver { from, to, .. }) = ctx.queue.peek_same_time(d) {
                    protocol.prefetch(from, to.get(), d);
                }
            }
            events += 1;
            match event {
                Event::Deliver { from, to, msg } => {
                    ctx.counters.delivered += 1;
                    if R::ON {
                        ctx.trace.deliver(ctx.now, from, to.get(), &msg, false);
                    }
                    protocol.on_message(&mut ctx, from, to.get(), msg);
                }
                Event::Timer { node, timer } => protocol.on_timer(&mut ctx, node, timer),
            }
        };
        self.now = ctx.now;
        self.events = events;
        end
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
    /// at the same times, and leaves the counters alike: with batched delays (constant, uniform, a row longer
    /// than a batch) and without (loss, exponential, edge weights, a span beyond 2^32).
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
        for latency in latencies {
            for loss in [0.0, 0.3] {
                let network = Network { latency, loss };
                let [batched, by_arc] = [true, false].map(|batched| {
                    let mut sim = Simulation::with_run(5, 1).network(network).graph(&graph);
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
