//! Pictures of a spread: a traced run's topology with each node's first receipt and role, as GraphML
//! (Gephi, yEd), DOT (Graphviz), a self-contained HTML page that plays the spread, and — for overlays over an
//! underlay (ALM) — an SVG of the underlay, the overlay tree and the stress on each link.
//!
//! [`Spread`] is the [`Sink`] a run is traced into: it keeps, for the first message of the trace that informs
//! nodes (flooding's and the epidemics' `update`, ALM's first group), each node's first receipt (time and
//! sender) and how many times the message crossed each underlay link, and counts the messages sent and
//! dropped. Memory: a few words per node and per link used, whatever the length of the run. [`layout`]
//! places the nodes, deterministically.

mod dot;
mod graphml;
mod html;
mod layout;
mod overlay;

use std::collections::BTreeMap;

use sim_core::topology::{Graph, Topology};
use sim_core::trace::{Kind, Sink, Step};
use sim_core::{NodeId, Time};

pub use dot::dot;
pub use graphml::graphml;
pub use html::html;
pub use layout::{Shape, layout};
pub use overlay::overlay_svg;

/// The most nodes a picture is drawn for: the HTML page animates every node, and the layout of a graph
/// without a shape of its own costs O(N²) per iteration.
pub const MAX_NODES: u32 = 5000;

/// Topology edges drawn beyond which a page or DOT file draws only the edges first receipts came over.
pub const MAX_EDGES: u64 = 20_000;

/// How a node took part in the spread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// It held the update from the start (or was written to).
    Source,
    /// It received the update.
    Reached,
    /// It never did.
    NotReached,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Reached => "reached",
            Role::NotReached => "not_reached",
        }
    }
}

/// A node's first receipt: when, and from whom (itself for a source).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub time: Time,
    pub from: NodeId,
}

/// What a picture shows of a traced run (see the module docs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Spread {
    /// The message followed: the first one an `inform` step names.
    pub message: Option<String>,
    pub first: Vec<Option<Receipt>>,
    /// Underlay link (lower node first) → times the followed message crossed it.
    pub stress: BTreeMap<(NodeId, NodeId), u32>,
    pub sent: u64,
    pub dropped: u64,
}

impl Spread {
    /// An empty spread over `nodes` nodes (more are added as steps name them).
    pub fn new(nodes: u32) -> Self {
        Spread { first: vec![None; nodes as usize], ..Spread::default() }
    }

    /// Makes room for `nodes` nodes, for a run that reached fewer than its topology has.
    pub fn cover(&mut self, nodes: u32) {
        if self.first.len() < nodes as usize {
            self.first.resize(nodes as usize, None);
        }
    }

    pub fn role(&self, v: NodeId) -> Role {
        match self.first[v as usize] {
            Some(r) if r.from == v => Role::Source,
            Some(_) => Role::Reached,
            None => Role::NotReached,
        }
    }

    /// The time of the last first receipt (0 if none).
    pub fn end(&self) -> Time {
        self.first.iter().flatten().map(|r| r.time).max().unwrap_or(0)
    }

    pub fn reached(&self) -> usize {
        self.first.iter().flatten().count()
    }

    fn follows(&mut self, message: &str) -> bool {
        match &self.message {
            Some(m) => m == message,
            None => {
                self.message = Some(message.to_owned());
                true
            }
        }
    }
}

impl Sink for Spread {
    fn step(&mut self, s: Step<'_>) {
        match s.kind {
            Kind::Send => {
                self.sent += 1;
                self.dropped += u64::from(s.dropped);
            }
            Kind::Deliver => {}
            Kind::Inform => {
                if self.follows(s.message) {
                    self.cover(s.to + 1);
                    let slot = &mut self.first[s.to as usize];
                    if slot.is_none() {
                        *slot = Some(Receipt { time: s.time, from: s.from });
                    }
                }
            }
            Kind::Link => {
                if self.message.as_deref() == Some(s.message) {
                    *self.stress.entry((s.from.min(s.to), s.from.max(s.to))).or_default() += 1;
                }
            }
        }
    }
}

/// What every picture is drawn from: the topology, the spread on it, node positions in the unit square, and
/// the name of each node.
pub struct Picture<'a> {
    pub title: &'a str,
    pub topology: &'a Topology,
    pub spread: &'a Spread,
    pub positions: &'a [(f64, f64)],
    /// End hosts of an underlay (drawn as hosts, the other nodes as routers); empty: every node is a host.
    pub hosts: &'a [NodeId],
}

impl Picture<'_> {
    fn name(&self, v: NodeId) -> String {
        self.graph().and_then(|g| g.label(v)).map_or_else(|| v.to_string(), str::to_owned)
    }

    fn graph(&self) -> Option<&Graph> {
        self.topology.as_graph()
    }

    /// The edges drawn: every topology edge if there are at most [`MAX_EDGES`] (none of the implicit complete
    /// graph), and every edge a first receipt came over; each with whether one did.
    fn edges(&self) -> Vec<(NodeId, NodeId, bool)> {
        let mut tree: Vec<(NodeId, NodeId)> = (0..self.spread.first.len() as NodeId)
            .filter_map(|v| {
                self.spread.first[v as usize].filter(|r| r.from != v).map(|r| (r.from.min(v), r.from.max(v)))
            })
            .collect();
        tree.sort_unstable();
        tree.dedup();
        let in_tree = |a: NodeId, b: NodeId| tree.binary_search(&(a.min(b), a.max(b))).is_ok();
        match self.graph() {
            Some(g) if (g.edge_count() as u64) <= MAX_EDGES => (0..g.edge_count() as u32)
                .map(|e| {
                    let (a, b) = g.endpoints(e as _);
                    (a, b, in_tree(a, b))
                })
                .collect(),
            _ => tree.iter().map(|&(a, b)| (a, b, true)).collect(),
        }
    }

    /// Whether every topology edge is drawn.
    fn all_edges(&self) -> bool {
        self.graph().is_some_and(|g| g.edge_count() as u64 <= MAX_EDGES)
    }
}

/// Colour of a first receipt at `time` of `end`: viridis from early (purple) to late (yellow-green).
fn time_colour(time: Time, end: Time) -> String {
    const STOPS: [(u8, u8, u8); 5] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)];
    let t = if end == 0 { 0.0 } else { 0.9 * time as f64 / end as f64 } * (STOPS.len() - 1) as f64;
    let (k, f) = ((t.floor() as usize).min(STOPS.len() - 2), t - t.floor());
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    format!("#{:02x}{:02x}{:02x}", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Colours of the roles that are not a time.
const SOURCE_COLOUR: &str = "#d55e00";
const NOT_REACHED_COLOUR: &str = "#bbbbbb";

fn node_colour(spread: &Spread, v: NodeId) -> String {
    match (spread.role(v), spread.first[v as usize]) {
        (Role::Source, _) => SOURCE_COLOUR.to_owned(),
        (Role::Reached, Some(r)) => time_colour(r.time, spread.end()),
        _ => NOT_REACHED_COLOUR.to_owned(),
    }
}

/// `s` with XML's special characters escaped.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

#[cfg(test)]
mod tests;
