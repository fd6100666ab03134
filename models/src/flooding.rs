//! Flooding and its probabilistic variants.
//!
//! The source sends the message to every neighbour. A node that receives the message for the first time
//! decides whether to forward it, and if so sends it to every neighbour except the one it came from; later
//! copies are dropped (counted as duplicates). The forwarding decision:
//!
//! * full flooding (`p_flood = 1`, no degree rule): always forward;
//! * probabilistic flooding: forward with probability `p_flood`;
//! * `degree_rule = "own"`: forward with probability `min(1, p_flood · d_ref / deg(v))`, so that well-connected
//!   nodes, whose neighbours have many other chances, forward less often;
//! * `degree_rule = "neighbors"`: decide per neighbour `u`, sending with probability
//!   `min(1, p_flood · d_ref / deg(u))`, so that poorly connected neighbours are reached more surely;
//! * GOSSIP1(p, k) (Haas, Halpern, Li): a node that received the message over `h < k` hops forwards with
//!   probability 1, otherwise with probability `p = p_flood`.
//!
//! `d_ref` is `degree_reference`, by default the graph's mean degree. The source always sends.
//!
//! # Draws, ties and threads
//! Every draw is keyed ([`Keyed`]): a message's delay by its sender, receiver and time of sending (the network
//! lane), a node's forwarding decision by the node, a per-neighbour decision by the node and the neighbour
//! (the protocol lane). Copies that reach a node at the instant of its first receipt are ties: its hop count
//! is the least over them (it is read by the copies it forwards, which arrive later). So the reached nodes,
//! their times and hop counts, and the message counts do not depend on the order in which an instant's copies
//! are handled, and a large flood runs on every thread of the pool ([`Simulation::run_parts`]) with the same
//! result, when nothing else depends on that order: no loss and no per-neighbour rule (which copies a node
//! sends depends on the neighbour it excludes, the sender of the copy handled first), no GOSSIP1 (whose
//! decision reads the hop count of the copy handled first, in the engine's order, while `mean_hops` reports
//! the least), a smallest delay of at least 1, no trace. The argument also needs a simple graph: with two links
//! between the same nodes, which copy is handled first would decide what the excluded neighbour is spared
//! (the loaders and generators merge repeated links).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::atomic::{as_atomic, counts_as_atomic};
use sim_core::engine::{Context, Limits, PREFETCH_DISTANCES, Protocol, Simulation, Split};
use sim_core::network::{Latency, Network};
use sim_core::paths::ShortestPaths;
use sim_core::rng::{Keyed, Lane, chance};
use sim_core::topology::Topology;
use sim_core::trace::{Labelled, NoTrace, Sink, Trace};
use sim_core::{NodeId, Time};
use sim_core::{pages, prefetch};
use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use crate::model::{Bound, Env, Model, Size};
use crate::{Check, MetricDoc, ModelError, NodeRef, Outcome, check_probability, join};

/// How the forwarding probability depends on degrees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DegreeRule {
    /// `p_flood` for every node.
    #[default]
    None,
    /// `min(1, p_flood · d_ref / deg(v))` at the forwarding node v.
    Own,
    /// `min(1, p_flood · d_ref / deg(u))` for each neighbour u separately.
    Neighbors,
}

/// Parameters of a flood.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FloodingParams {
    /// Node that starts the flood: its index, or its id in the topology file.
    #[serde(default)]
    pub source: NodeRef,
    /// Forwarding probability (1 = full flooding).
    #[serde(default = "one")]
    #[schemars(range(min = 0, max = 1))]
    pub p_flood: f64,
    #[serde(default)]
    pub degree_rule: DegreeRule,
    /// Reference degree `d_ref` of the degree rules; default: the mean degree of the graph.
    #[serde(default)]
    pub degree_reference: Option<f64>,
    /// GOSSIP1(p_flood, k): nodes fewer than k hops from the source forward with probability 1.
    #[serde(default)]
    pub gossip_k: Option<u32>,
}

fn one() -> f64 {
    1.0
}

impl Default for FloodingParams {
    fn default() -> Self {
        FloodingParams {
            source: NodeRef::default(),
            p_flood: 1.0,
            degree_rule: DegreeRule::None,
            degree_reference: None,
            gossip_k: None,
        }
    }
}

impl FloodingParams {
    /// Whether every node always forwards (the exact formulas apply).
    pub fn is_full(&self) -> bool {
        self.p_flood >= 1.0 && self.degree_rule == DegreeRule::None
    }

    /// Checks parameters against the topology; `prefix` is the scenario path of these parameters. Returns
    /// them with the source resolved to an index.
    pub fn validate(&self, prefix: &str, topology: &Topology) -> Result<Self, ModelError> {
        check_probability(join(prefix, "p_flood"), self.p_flood)?;
        let source = self.source.resolve(join(prefix, "source"), topology)?;
        if let Some(d) = self.degree_reference
            && !(d.is_finite() && d > 0.0)
        {
            return Err(ModelError::new(
                join(prefix, "degree_reference"),
                format!("must be a positive number, got {d}"),
            ));
        }
        Ok(FloodingParams { source, ..self.clone() })
    }
}

/// What a flood from the source can reach: the source's connected component `c`, beside the largest one.
/// On a disconnected graph every count of full flooding holds for `c` alone: |V_c| nodes reached by
/// 2|E_c| − (|V_c| − 1) messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reach {
    /// |V_c|, the source included.
    pub nodes: u32,
    /// |E_c|.
    pub edges: u64,
    /// Nodes of a largest component (the giant component).
    pub giant: u32,
    /// Connected components of the graph.
    pub components: u32,
}

impl Reach {
    /// The reach of `source` in `topology` (a complete graph is one component).
    pub fn of(topology: &Topology, source: NodeId) -> Reach {
        let whole = Reach::whole(topology);
        let Topology::Graph(g) = topology else { return whole };
        let sizes = g.component_sizes();
        if sizes.len() <= 1 {
            return whole;
        }
        let (nodes, edges) = g.component_of(source);
        Reach { nodes, edges, giant: sizes[0], components: sizes.len() as u32 }
    }

    /// The reach of any node in a connected topology: all of it.
    fn whole(topology: &Topology) -> Reach {
        Reach {
            nodes: topology.node_count(),
            edges: topology.edge_count(),
            giant: topology.node_count(),
            components: 1,
        }
    }

    /// Messages of full, lossless flooding: 2|E_c| − (|V_c| − 1).
    pub fn full_flooding_messages(&self) -> f64 {
        2.0 * self.edges as f64 - f64::from(self.nodes - 1)
    }
}

/// [`Reach::of`] the source, worked out once, when a flood first needs it: a flood that reached every node
/// shows the topology connected, and then needs no search of the components (on a large graph, a tenth of
/// the time of loading it and flooding it). One `LazyReach` serves floods of one topology from one source.
#[derive(Debug, Default)]
pub struct LazyReach(OnceLock<(NodeId, u32, Reach)>);

impl LazyReach {
    /// `Reach::of(topology, source)`, given that a flood from `source` reached `reached` nodes.
    ///
    /// # Panics
    /// If the reach kept was worked out for another source or another number of nodes.
    fn get(&self, topology: &Topology, source: NodeId, reached: u32) -> Reach {
        if reached == topology.node_count() {
            return Reach::whole(topology);
        }
        let &(kept_source, nodes, reach) =
            self.0.get_or_init(|| (source, topology.node_count(), Reach::of(topology, source)));
        assert!(
            (kept_source, nodes) == (source, topology.node_count()),
            "a LazyReach serves one topology and one source"
        );
        reach
    }
}

/// The prepared form of flooding: checked parameters, their environment, and what the source can reach.
pub struct PreparedFlood {
    bound: Bound<FloodingParams>,
    reach: LazyReach,
}

/// The nodes of one part of a flood (all of them on one thread) and what they did. Per-node state is shared by
/// the parts: each writes only its own nodes' (whole words of bits: parts are multiples of 64 nodes) and
/// reads another's hop count only once it is settled (see the module comment).
struct Flood<'t> {
    topology: &'t Topology,
    params: &'t FloodingParams,
    d_ref: f64,
    /// The protocol lane's keyed draws: a node's decision by (node, node, 0), a per-neighbour one by (node,
    /// neighbour, 1).
    decisions: Keyed,
    per_neighbor: Keyed,
    /// This part's nodes.
    nodes: Range<NodeId>,
    /// Two bits per node, whether it was reached and whether at the current instant (a copy for a node first
    /// reached at the current instant is a tie), in one word: the duplicate test on every delivery reads one
    /// word, in cache even for 10^7 nodes.
    reached_bits: &'t [AtomicU64],
    /// Hops from the source at first receipt (the least over that instant's copies), per node. Kept here
    /// rather than in the messages, whose only content is then their sender: the engine queues such a message
    /// in 8 bytes.
    hops: &'t [AtomicU32],
    /// This part's nodes first reached at the current instant, whose second bits the next instant clears.
    fresh_nodes: Vec<NodeId>,
    /// Nodes this part reached, and when it reached the last one.
    reached: u32,
    last_first_receipt: Time,
}

impl<'t> Flood<'t> {
    fn new(run: &Run<'t>, keys: Keyed, nodes: Range<NodeId>) -> Self {
        Flood {
            topology: run.topology,
            params: run.params,
            d_ref: run.d_ref,
            decisions: keys.at(0),
            per_neighbor: keys.at(1),
            nodes,
            reached_bits: run.reached_bits,
            hops: run.hops,
            fresh_nodes: Vec::new(),
            reached: 0,
            last_first_receipt: 0,
        }
    }

    #[inline(always)]
    fn is_reached(&self, v: NodeId) -> bool {
        self.reached_bits[(v / 32) as usize].load(Relaxed) >> (2 * (v % 32)) & 1 == 1
    }

    /// Marks `v` reached at the current instant (a word only `v`'s part writes), and tells which copy this is.
    #[inline(always)]
    fn receive(&self, v: NodeId) -> Receipt {
        let word = &self.reached_bits[(v / 32) as usize];
        let (old, shift) = (word.load(Relaxed), 2 * (v % 32));
        let bits = old >> shift;
        if bits & 1 == 0 {
            word.store(old | 3 << shift, Relaxed);
            Receipt::First
        } else if bits & 2 == 0 {
            Receipt::Duplicate
        } else {
            Receipt::Tie
        }
    }

    /// `to` (just marked reached) receives its first copy, from `from`.
    #[inline(never)]
    fn first_receipt<R: Trace<()>>(&mut self, ctx: &mut Context<'_, (), (), R>, from: NodeId, to: NodeId) {
        ctx.inform(from, to);
        let hop = self.hops[from as usize].load(Relaxed) + 1;
        self.hops[to as usize].store(hop, Relaxed);
        self.fresh_nodes.push(to);
        self.reached += 1;
        self.last_first_receipt = ctx.now();
        if self.forwards(to, hop) {
            self.forward(ctx, to, Some(from));
        }
    }

    /// A copy from `from` reaches `to` at the instant of its first receipt: the least hop count stands.
    #[inline(never)]
    fn tie(&self, from: NodeId, to: NodeId) {
        let hop = self.hops[from as usize].load(Relaxed) + 1;
        let kept = &self.hops[to as usize];
        if hop < kept.load(Relaxed) {
            kept.store(hop, Relaxed);
        }
    }

    fn forwards(&self, v: NodeId, hop: u32) -> bool {
        let p = match (self.params.gossip_k, self.params.degree_rule) {
            (Some(k), _) if hop < k => return true,
            (_, DegreeRule::Own) => self.params.p_flood * self.d_ref / f64::from(self.topology.degree(v)),
            _ => self.params.p_flood,
        };
        chance(&mut self.decisions.stream(v, v), p)
    }

    fn forward<R: Trace<()>>(&self, ctx: &mut Context<'_, (), (), R>, v: NodeId, sender: Option<NodeId>) {
        let per_neighbor = self.params.degree_rule == DegreeRule::Neighbors;
        let sends_to = |u: NodeId, degree: u32| {
            !per_neighbor
                || chance(&mut self.per_neighbor.stream(v, u), self.params.p_flood * self.d_ref / f64::from(degree))
        };
        match self.topology {
            Topology::Graph(_) if !per_neighbor => ctx.send_to_neighbors(v, sender, ()),
            Topology::Graph(g) => {
                for a in g.arcs(v) {
                    let u = g.arc_target(a);
                    if Some(u) != sender && sends_to(u, g.degree(u)) {
                        ctx.send_arc(v, a, ());
                    }
                }
            }
            Topology::Complete { nodes } => {
                // Every other node has degree N - 1.
                for u in (0..*nodes).filter(|&u| u != v && Some(u) != sender) {
                    if sends_to(u, nodes - 1) {
                        ctx.send(v, u, ());
                    }
                }
            }
        }
    }
}

impl<R: Trace<()>> Protocol<R> for Flood<'_> {
    type Msg = ();
    type Timer = ();

    /// Only the part that owns the source starts.
    fn start(&mut self, ctx: &mut Context<'_, (), (), R>) {
        let s = self.params.source.index();
        if !self.nodes.contains(&s) {
            return;
        }
        self.receive(s);
        self.fresh_nodes.push(s);
        self.reached = 1;
        ctx.inform(s, s);
        self.forward(ctx, s, None);
    }

    /// Most copies are duplicates, decided by a bit in cache: this is inlined in the engine's loop, a first
    /// receipt is not.
    #[inline(always)]
    fn on_message(&mut self, ctx: &mut Context<'_, (), (), R>, from: NodeId, to: NodeId, (): ()) {
        match self.receive(to) {
            Receipt::First => self.first_receipt(ctx, from, to),
            Receipt::Tie => self.tie(from, to),
            Receipt::Duplicate => {}
        }
    }

    /// No node is first reached at the new instant yet.
    fn advance(&mut self, _: Time) {
        for &v in &self.fresh_nodes {
            let word = &self.reached_bits[(v / 32) as usize];
            word.store(word.load(Relaxed) & !(2 << (2 * (v % 32))), Relaxed);
        }
        self.fresh_nodes.clear();
    }

    fn on_timer(&mut self, _: &mut Context<'_, (), (), R>, _: NodeId, _: ()) {}

    /// Only a first receipt reads the adjacency and the sender's hop count and writes the receiver's, and the
    /// reached bit (in cache) says whether it will be one.
    #[inline]
    fn prefetch(&self, from: NodeId, to: NodeId, distance: usize) {
        if self.is_reached(to) {
            return;
        }
        let Topology::Graph(g) = self.topology else { return };
        if distance == PREFETCH_DISTANCES[0] {
            g.prefetch_index(to);
            prefetch::read_at(self.hops, from as usize);
            prefetch::read_at(self.hops, to as usize);
        } else {
            g.prefetch_neighbors(to);
        }
    }
}

/// Floods over at least this many links run on every thread of the pool when they can (see the module
/// comment) and their windows are full ([`EVENTS_PER_WINDOW`]): on fewer, a window holds too few events to pay
/// for its hand-over.
const PARTS_FROM_EDGES: u64 = 1 << 18;

/// How many events a window should hold, about, for a flood to run on parts. A flood's 2|E| messages are
/// spread over a few longest delays per hop, so a window as wide as the shortest delay holds on the order
/// of |E| · shortest / longest of them. Measured on two cores: the implicit complete graph of 5,000 nodes,
/// delays 1 to 100 (125,000 by this measure), ran 1.34 times as fast on two parts as on one; a random
/// 8-regular graph of 10^6 nodes, delays 1 to 100 (40,000; 27,000 a window counted), was no faster, its
/// flood bound by memory latency; with delays 1 to 10^6 a window holds about one event, and two threads
/// took five times as long as one.
const EVENTS_PER_WINDOW: u64 = 1 << 16;

/// Whether a flood over `topology` under `network` is large enough, and its windows full enough, to run on
/// parts: the parts it would have are otherwise not worth their hand-over.
fn worth_parts(topology: &Topology, network: Network) -> bool {
    let edges = topology.edge_count();
    // Asked first: the weights are scanned only for a graph large enough to be split.
    if edges < PARTS_FROM_EDGES {
        return false;
    }
    let (lightest, heaviest) = match (topology, network.latency) {
        (Topology::Graph(g), Latency::EdgeWeight) => (g.min_weight(), g.max_weight()),
        _ => (1, 1),
    };
    let (shortest, longest) = (network.latency.min_delay(lightest), network.latency.max_delay(heaviest));
    longest.is_some_and(|longest| {
        u128::from(edges) * u128::from(shortest) >= u128::from(EVENTS_PER_WINDOW) * u128::from(longest)
    })
}

/// Which copy a node receives.
enum Receipt {
    First,
    /// Another copy at the instant of the first.
    Tie,
    Duplicate,
}

/// What the parts of a flood share.
struct Run<'t> {
    topology: &'t Topology,
    params: &'t FloodingParams,
    d_ref: f64,
    reached_bits: &'t [AtomicU64],
    hops: &'t [AtomicU32],
}

impl Run<'_> {
    /// Whether the flood's outcome does not depend on the order of an instant's copies at a node (see the
    /// module comment), the delays aside.
    fn order_free(&self, network: Network) -> bool {
        network.loss == 0.0 && self.params.gossip_k.is_none() && self.params.degree_rule != DegreeRule::Neighbors
    }
}

/// Runs one flood: run `run` of `seed` on `topology` under `network`; `reach` keeps what the source can
/// reach, worked out at most once for all the runs on one topology that share it.
pub fn run(
    params: &FloodingParams,
    topology: &Topology,
    reach: &LazyReach,
    network: Network,
    seed: u64,
    run: u64,
) -> Outcome {
    run_traced(params, topology, reach, network, seed, run, &mut NoTrace)
}

/// [`run`], reporting every copy sent (named `update`), delivered or dropped, and every first receipt, to
/// `trace`.
pub fn run_traced<R: Trace<()>>(
    params: &FloodingParams,
    topology: &Topology,
    reach: &LazyReach,
    network: Network,
    seed: u64,
    run: u64,
    trace: &mut R,
) -> Outcome {
    let parts = if worth_parts(topology, network) { rayon::current_num_threads() } else { 1 };
    flood(params, topology, reach, network, (seed, run), trace, parts)
}

/// [`run_traced`] of run `run` of `seed`, on `parts` parts where the flood allows it, on one otherwise.
fn flood<R: Trace<()>>(
    params: &FloodingParams,
    topology: &Topology,
    reach: &LazyReach,
    network: Network,
    (seed, run): (u64, u64),
    trace: &mut R,
    parts: usize,
) -> Outcome {
    let n = topology.node_count();
    let d_ref = params.degree_reference.unwrap_or(2.0 * topology.edge_count() as f64 / f64::from(n));
    let mut reached_bits = vec![[0u64]; n.div_ceil(32) as usize];
    let mut hops = vec![0; n as usize];
    // Read and written at random nodes: huge pages spare a page walk per first receipt.
    pages::advise_huge(&hops);
    let shared = Run {
        topology,
        params,
        d_ref,
        reached_bits: as_atomic(&mut reached_bits).as_flattened(),
        hops: counts_as_atomic(&mut hops),
    };
    let keys = Keyed::new(seed, run, Lane::Protocol);
    let mut sim = Simulation::with_run(seed, run).network(network).keyed_draws();
    if let Topology::Graph(g) = topology {
        sim = sim.graph(g);
    }
    let split = Split::new(n, parts);
    let on_parts = split.parts() > 1 && !R::ON && sim.lookahead().is_some() && shared.order_free(network);
    let (reached, last_first_receipt) = match on_parts.then_some(split) {
        Some(split) => {
            let mut floods: Vec<Flood> = split.ranges().map(|nodes| Flood::new(&shared, keys, nodes)).collect();
            sim.run_parts(&split, &mut floods);
            floods.iter().fold((0, 0), |(r, t), f| (r + f.reached, t.max(f.last_first_receipt)))
        }
        None => {
            let mut flood = Flood::new(&shared, keys, 0..n);
            sim.run_traced(&mut flood, Limits::default(), trace);
            (flood.reached, flood.last_first_receipt)
        }
    };
    let (hop_sum, max_hops) = hops.iter().fold((0u64, 0u32), |(sum, max), &h| (sum + u64::from(h), max.max(h)));
    let counters = sim.counters_ref();
    let reach = reach.get(topology, params.source.index(), reached);

    let mut out = Outcome::default();
    let others = f64::from(reached - 1).max(1.0);
    // A flood never leaves the source's component, which is a giant one or no part of one.
    let in_giant = if reach.nodes == reach.giant { f64::from(reached) / f64::from(reach.giant) } else { 0.0 };
    out.metric("coverage", f64::from(reached) / f64::from(n))
        .metric("messages", counters.sent as f64)
        .metric("duplicates", (counters.delivered - u64::from(reached - 1)) as f64)
        .metric("completion_time", last_first_receipt as f64)
        .metric("mean_hops", hop_sum as f64 / others)
        .metric("max_hops", f64::from(max_hops))
        .metric("reached_90pct", f64::from(u8::from(reached as f64 >= 0.9 * f64::from(n))))
        .metric("reachable", f64::from(reach.nodes) / f64::from(n))
        .metric("coverage_of_reachable", f64::from(reached) / f64::from(reach.nodes))
        .metric("coverage_of_giant", in_giant);

    let full_messages = reach.full_flooding_messages();
    let lossless = network.loss == 0.0;
    if params.is_full() && lossless {
        out.analytic("messages", "messages", FULL_MESSAGES, full_messages, Check::Exact);
        out.analytic("coverage", "coverage", "|V_c| / N", f64::from(reach.nodes) / f64::from(n), Check::Exact);
        out.analytic("coverage_of_reachable", "coverage_of_reachable", "1", 1.0, Check::Exact);
        if let Some(ecc) = completion_time(topology, params.source.index(), network.latency) {
            out.analytic("completion_time", "completion_time", "eccentricity of the source", ecc as f64, Check::Exact);
        }
    } else {
        out.metric("reduction_vs_full", full_messages / (counters.sent as f64).max(1.0));
        out.analytic(
            "messages_full_flooding",
            "messages",
            &format!("{FULL_MESSAGES} (full flooding)"),
            full_messages,
            Check::Reference,
        );
    }
    out.analytic(
        "messages_edge_estimate",
        "messages",
        "|E| (lecture estimate: ½N(N-1)·p_edge on G(N, p_edge))",
        topology.edge_count() as f64,
        Check::Reference,
    );
    out
}

/// Messages of full flooding: every reached node but the source sends one copy fewer than its degree.
const FULL_MESSAGES: &str = "2|E_c| - (|V_c| - 1)";

/// Completion time of full flooding where it is determined: the (weighted) eccentricity of the source.
fn completion_time(topology: &Topology, source: NodeId, latency: Latency) -> Option<Time> {
    match (topology, latency) {
        (Topology::Complete { .. }, Latency::Constant(c)) => Some(c),
        (Topology::Complete { .. }, Latency::EdgeWeight) => Some(1),
        (Topology::Graph(g), Latency::Constant(c)) => {
            // Unit weights for the hop eccentricity, whatever weights the graph carries.
            let hops = ShortestPaths::hops_from(g, source);
            Some(c * hops.eccentricity())
        }
        (Topology::Graph(g), Latency::EdgeWeight) => Some(ShortestPaths::from(g, source).eccentricity()),
        _ => None,
    }
}

/// What a flooding run reports (`dissem metrics flooding`).
pub const METRICS: &[MetricDoc] = &[
    MetricDoc::metric("coverage", "fraction", "Share of the nodes that received the update.", "reached / N"),
    MetricDoc::metric(
        "messages",
        "messages",
        "Copies of the update sent, lost ones included (full, lossless flooding: exactly 2|E_c| − (|V_c| − 1)).",
        "Σ over reached nodes of the copies each forwarded",
    ),
    MetricDoc::metric(
        "duplicates",
        "messages",
        "Copies delivered to a node that already had the update.",
        "delivered − (reached − 1)",
    ),
    MetricDoc::metric(
        "completion_time",
        "time units",
        "When the last node to be reached received its first copy.",
        "max over reached nodes of the first-receipt time",
    ),
    MetricDoc::metric(
        "mean_hops",
        "hops",
        "Hops travelled by the first copy each node received (the fewest among copies that arrived at that \
         instant), the source excluded.",
        "Σ hops of first copies / max(1, reached − 1)",
    ),
    MetricDoc::metric("max_hops", "hops", "Hops of the farthest first copy.", "max over reached nodes of the hops"),
    MetricDoc::metric(
        "reached_90pct",
        "0/1",
        "Whether at least 90% of the nodes received the update (the mean over runs is the probability).",
        "1 if reached ≥ 0.9·N, else 0",
    ),
    MetricDoc::metric(
        "reachable",
        "fraction",
        "Share of the nodes in the source's connected component c, all that any flood can reach (1 on a \
         connected graph).",
        "|V_c| / N",
    ),
    MetricDoc::metric(
        "coverage_of_reachable",
        "fraction",
        "Share of the source's component that received the update (full, lossless flooding: 1).",
        "reached / |V_c|",
    ),
    MetricDoc::metric(
        "coverage_of_giant",
        "fraction",
        "Share of a largest connected component (the giant component) that received the update: 0 when the \
         source lies outside every largest component.",
        "reached / |V_giant| if |V_c| = |V_giant|, else 0",
    ),
    MetricDoc::metric(
        "reduction_vs_full",
        "ratio",
        "How many times fewer messages than full flooding on the same graph (reported unless the run is full, \
         lossless flooding).",
        "(2|E_c| − (|V_c| − 1)) / max(1, messages), c the source's component",
    ),
];

/// Flooding as a [`Model`]: `model.kind = "flooding"`.
pub struct Flooding;

impl Model for Flooding {
    const KIND: &'static str = "flooding";
    const ABOUT: &'static str = "Flooding: full, probabilistic, degree-dependent or GOSSIP1(p, k).";
    const METRICS: &'static [MetricDoc] = METRICS;
    type Params = FloodingParams;
    type Prepared = PreparedFlood;

    fn prepare(&self, params: &FloodingParams, env: &Env) -> Result<Self::Prepared, ModelError> {
        let params = params.validate("", &env.topology)?;
        Ok(PreparedFlood { bound: Bound::new(params, env), reach: LazyReach::default() })
    }

    fn run(&self, p: &Self::Prepared, seed: u64, run: u64) -> Outcome {
        let Bound { params, env } = &p.bound;
        crate::flooding::run(params, &env.topology, &p.reach, env.network, seed, run)
    }

    fn run_traced(&self, p: &Self::Prepared, seed: u64, run: u64, sink: &mut dyn Sink) -> Option<Outcome> {
        let Bound { params, env } = &p.bound;
        let mut trace = Labelled::new(sink, |()| "update");
        Some(run_traced(params, &env.topology, &p.reach, env.network, seed, run, &mut trace))
    }

    /// Two bits (reached, and at the current instant) and a 4-byte hop count per node, plus up to one 16-byte
    /// event per arc, queued or, in a run on parts, waiting in an outbox.
    fn estimated_bytes(&self, _: &FloodingParams, size: &Size) -> u64 {
        (size.nodes / 4)
            .saturating_add(size.nodes.saturating_mul(4))
            .saturating_add(size.usable_edges.saturating_mul(32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sim_core::topology::GraphBuilder;

    fn ring(n: u32) -> Topology {
        let mut b = GraphBuilder::new(n);
        for v in 0..n {
            b.edge(v, (v + 1) % n);
        }
        Topology::from(b.build().unwrap())
    }

    #[test]
    fn full_flooding_on_a_ring_matches_the_formulas() {
        let t = ring(10);
        let out = run(&FloodingParams::default(), &t, &LazyReach::default(), Network::default(), 1, 0);
        assert_eq!(out.get("messages"), Some(2.0 * 10.0 - 9.0));
        assert_eq!(out.get("coverage"), Some(1.0));
        assert_eq!(out.get("completion_time"), Some(5.0));
        assert_eq!(out.get("max_hops"), Some(5.0));
        // Both neighbours of the antipode deliver to it, and every other node receives one copy back.
        assert_eq!(out.get("duplicates"), Some(2.0));
    }

    #[test]
    fn complete_graph_flood_sends_n_minus_one_squared() {
        let t = Topology::complete(50).unwrap();
        let out = run(&FloodingParams::default(), &t, &LazyReach::default(), Network::default(), 1, 0);
        assert_eq!(out.get("messages"), Some(49.0 * 49.0));
        assert_eq!(out.get("completion_time"), Some(1.0));
    }

    #[test]
    fn p_flood_zero_reaches_only_the_neighbours() {
        let t = ring(10);
        let p = FloodingParams { p_flood: 0.0, ..FloodingParams::default() };
        let out = run(&p, &t, &LazyReach::default(), Network::default(), 1, 0);
        assert_eq!(out.get("messages"), Some(2.0));
        assert_eq!(out.get("coverage"), Some(0.3));
    }

    #[test]
    fn gossip_k_floods_the_first_hops_surely() {
        let t = ring(10);
        let p = FloodingParams { p_flood: 0.0, gossip_k: Some(3), ..FloodingParams::default() };
        let out = run(&p, &t, &LazyReach::default(), Network::default(), 1, 0);
        // Hops 1 and 2 forward surely, hop 3 never: nodes within 3 hops are reached.
        assert_eq!(out.get("coverage"), Some(0.7));
    }

    /// Two rings of 6 and 4 nodes: a flood from the small one covers it alone, with the exact count of its
    /// part, and none of the giant component.
    #[test]
    fn a_flood_covers_the_source_component_of_a_disconnected_graph() {
        let mut b = GraphBuilder::new(10);
        for v in 0..6 {
            b.edge(v, (v + 1) % 6);
        }
        for v in 0..4 {
            b.edge(6 + v, 6 + (v + 1) % 4);
        }
        let t = Topology::from(b.build().unwrap());
        let reach = Reach::of(&t, 7);
        assert_eq!(reach, Reach { nodes: 4, edges: 4, giant: 6, components: 2 });
        let p = FloodingParams { source: 7u32.into(), ..FloodingParams::default() };
        let out = run(&p, &t, &LazyReach::default(), Network::default(), 1, 0);
        assert_eq!(out.get("messages"), Some(2.0 * 4.0 - 3.0));
        assert_eq!(out.get("coverage"), Some(0.4));
        assert_eq!(out.get("reachable"), Some(0.4));
        assert_eq!(out.get("coverage_of_reachable"), Some(1.0));
        assert_eq!(out.get("coverage_of_giant"), Some(0.0));
        let from_giant = run(&FloodingParams::default(), &t, &LazyReach::default(), Network::default(), 1, 0);
        assert_eq!(from_giant.get("coverage_of_giant"), Some(1.0));
        assert_eq!(from_giant.get("messages"), Some(2.0 * 6.0 - 5.0));
    }

    /// A graph of `n` nodes with `links` random links of weight 1 to 4 (repeats and loops dropped): often
    /// disconnected when sparse.
    fn random_graph(n: u32, links: &[(u32, u32, u32)]) -> Topology {
        let mut b = GraphBuilder::new(n);
        let mut seen = std::collections::BTreeSet::new();
        for &(u, v, w) in links {
            let (u, v) = (u % n, v % n);
            if u != v && seen.insert((u.min(v), u.max(v))) {
                b.weighted_edge(u, v, 1 + w % 4);
            }
        }
        Topology::from(b.build().unwrap())
    }

    proptest! {
        /// A flood on 2, 3 or 4 parts is the flood on one: every metric alike, on random graphs, under
        /// constant delays (many ties), uniform ones and edge weights, full, probabilistic and degree-ruled.
        /// It fails if a node's hop count follows the first copy handled rather than the least of an
        /// instant's (the order of an instant's copies depends on the split).
        #[test]
        fn a_flood_on_parts_is_the_flood_on_one(
            n in 129u32..400,
            links in proptest::collection::vec((0u32..400, 0u32..400, 0u32..4), 100..900),
            latency in prop_oneof![
                (1u64..4).prop_map(Latency::Constant),
                (1u64..4, 0u64..30).prop_map(|(min, span)| Latency::Uniform { min, max: min + span }),
                Just(Latency::EdgeWeight),
            ],
            (p_flood, degree_rule) in prop_oneof![
                Just((1.0, DegreeRule::None)),
                Just((0.7, DegreeRule::None)),
                Just((0.9, DegreeRule::Own)),
            ],
            source in 0u32..400,
            seed in 0u64..1000,
        ) {
            let topology = random_graph(n, &links);
            let source = (source % n).into();
            let params = FloodingParams { source, p_flood, degree_rule, ..FloodingParams::default() };
            let network = Network { latency, loss: 0.0 };
            let reach = LazyReach::default();
            let on = |parts| flood(&params, &topology, &reach, network, (seed, 1), &mut NoTrace, parts);
            let one = on(1);
            prop_assert!(one.get("coverage").unwrap() > 0.0);
            for parts in [2, 3, 4] {
                prop_assert_eq!(&on(parts), &one, "{} parts", parts);
            }
        }
    }
}
