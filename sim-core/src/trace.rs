//! Traces: what a run did, message by message, for debugging and teaching.
//!
//! Two layers. [`Trace`] is what a driver calls in its hot loop, generic over the message type: the
//! engine ([`crate::engine::Simulation::run_traced`]) reports every send (and whether the network dropped
//! it) and every delivery, and a protocol reports when a node first receives the update it spreads
//! ([`Trace::inform`]). [`NoTrace`], the default, does nothing: its methods are empty and inlined, and
//! [`Trace::ON`] is false, so an untraced run compiles to the same loop as before traces existed. [`Labelled`]
//! turns these calls into [`Step`]s, naming each message with a function of the protocol's, and hands them
//! to a [`Sink`]: whatever the caller wants done with them (the command line writes JSON Lines). Nothing
//! here does I/O.

use crate::{NodeId, Time};

/// What a [`Step`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A message left `from` for `to` (`dropped`: the network lost it, or `to` was down).
    Send,
    /// A message arrived at `to` (`dropped`: `to` was down, so its handler did not see it).
    Deliver,
    /// `to` received the update for the first time, from `from` (a source: `from == to`, at the time it was
    /// written).
    Inform,
    /// A message crossed the underlay link between routers `from` and `to` (overlays over an underlay).
    Link,
}

impl Kind {
    /// The name written in traces.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Send => "send",
            Kind::Deliver => "deliver",
            Kind::Inform => "inform",
            Kind::Link => "link",
        }
    }
}

/// One event of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step<'a> {
    pub time: Time,
    pub kind: Kind,
    pub from: NodeId,
    pub to: NodeId,
    /// What the message is, in the protocol's words ("update", "rumor", "pull-request", a group name…).
    pub message: &'a str,
    pub dropped: bool,
}

/// Where the steps of a traced run go.
pub trait Sink {
    fn step(&mut self, step: Step<'_>);
}

/// The hooks a driver calls; `M` is the message type it carries.
pub trait Trace<M> {
    /// Whether steps are recorded at all: drivers skip work done only for a trace (such as asking a protocol
    /// who holds the update) when it is false.
    const ON: bool;
    fn send(&mut self, time: Time, from: NodeId, to: NodeId, msg: &M, dropped: bool);
    fn deliver(&mut self, time: Time, from: NodeId, to: NodeId, msg: &M, dropped: bool);
    fn inform(&mut self, time: Time, from: NodeId, to: NodeId);
}

/// No trace: every hook is empty, so an untraced run costs nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTrace;

impl<M> Trace<M> for NoTrace {
    const ON: bool = false;
    #[inline(always)]
    fn send(&mut self, _: Time, _: NodeId, _: NodeId, _: &M, _: bool) {}
    #[inline(always)]
    fn deliver(&mut self, _: Time, _: NodeId, _: NodeId, _: &M, _: bool) {}
    #[inline(always)]
    fn inform(&mut self, _: Time, _: NodeId, _: NodeId) {}
}

/// A trace into a [`Sink`], each message named by `label`; first receipts are named `update`.
pub struct Labelled<'s, M> {
    pub sink: &'s mut dyn Sink,
    pub label: fn(&M) -> &'static str,
}

impl<'s, M> Labelled<'s, M> {
    pub fn new(sink: &'s mut dyn Sink, label: fn(&M) -> &'static str) -> Self {
        Labelled { sink, label }
    }
}

impl<M> Trace<M> for Labelled<'_, M> {
    const ON: bool = true;

    fn send(&mut self, time: Time, from: NodeId, to: NodeId, msg: &M, dropped: bool) {
        let message = (self.label)(msg);
        self.sink.step(Step { time, kind: Kind::Send, from, to, message, dropped });
    }

    fn deliver(&mut self, time: Time, from: NodeId, to: NodeId, msg: &M, dropped: bool) {
        let message = (self.label)(msg);
        self.sink.step(Step { time, kind: Kind::Deliver, from, to, message, dropped });
    }

    fn inform(&mut self, time: Time, from: NodeId, to: NodeId) {
        self.sink.step(Step { time, kind: Kind::Inform, from, to, message: "update", dropped: false });
    }
}

/// A [`Step`] that owns its message name, for keeping steps in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedStep {
    pub time: Time,
    pub kind: Kind,
    pub from: NodeId,
    pub to: NodeId,
    pub message: String,
    pub dropped: bool,
}

/// Steps kept in memory (tests, and pictures of a spread).
impl Sink for Vec<OwnedStep> {
    fn step(&mut self, s: Step<'_>) {
        self.push(OwnedStep {
            time: s.time,
            kind: s.kind,
            from: s.from,
            to: s.to,
            message: s.message.to_owned(),
            dropped: s.dropped,
        });
    }
}
