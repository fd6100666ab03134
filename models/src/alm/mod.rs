//! Application-level multicast (ALM) over a structured overlay, following the lecture's five steps: a group
//! has a multicast identifier `mid`; its root is the overlay's root of `mid` (on Chord, succ(mid)); members
//! route join requests towards the root, and the first time a node sees a join for the group it becomes a
//! forwarder and passes the join on, while a node already in the tree adopts the requester as a child and stops
//! the join (see [`join_tree`]). A message from the root goes down the tree; a message from any other node is
//! first routed by the overlay to the root. The overlay is chosen by the `overlay` parameter (Chord by
//! default) from [`crate::overlays`], and used only through [`StructuredOverlay`]. Instead of building the tree
//! by joins, a group may state its overlay tree (edges between named hosts and a root); the message then spreads
//! over the tree's edges from its source.
//!
//! Every overlay hop follows the unicast (shortest-delay) path between its end hosts in the sim-core
//! [`Underlay`]. For each group the model measures link stress, stretch, node stress, forwarders, depth,
//! network usage and tree cost, and the same costs for IP multicast (the source's shortest-path tree) and for
//! unicast from the source to every member. Groups are measured in parallel and reported in group order.
//!
//! With `"timing": {"kind": "events"}` the overlay-built trees are built by JOIN messages and the message
//! travels down them on the event engine ([`events`]); the same metrics are measured from those messages, and
//! each listed group's figures are checked against the tree the static model builds. With its `churn` option
//! nodes then fail, children find silent parents by heartbeats and re-join around the failed nodes, and the
//! root sends more multicasts ([`churn`] has the parameters and what is measured).

pub mod churn;
pub mod events;
mod metrics;
mod tree;

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::paths::ShortestPaths;
use sim_core::rng::{Lane, below, partial_shuffle, stream};
use sim_core::topology::EdgeId;
use sim_core::trace::{Kind, Sink, Step};
use sim_core::underlay::Underlay;

use crate::model::{Env, Model, Size};
use crate::overlay::{Nodes, StructuredOverlay, underlay_bytes, underlay_of};
use crate::overlays::{Overlay, OverlayParams};
use crate::tagged::{Variant, body, no_fields, tagged};
use crate::{Check, MetricDoc, ModelError, Outcome, check_range, join};
use churn::Schedule;
pub use churn::{ChurnParams, Multicast, Repairs};
pub use events::{EventParams, Joins};
use metrics::Scratch;
pub use metrics::{Delivery, Dissemination, GroupCosts, LinkLoad, MISSED, mst};
use sim_core::stats::quantile;
pub use tree::{Tree, TreeError, explicit_tree, join_tree};

/// Who belongs to a group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Members {
    /// Every overlay node (for an explicit tree: every node of the tree).
    #[default]
    All,
    /// This many distinct overlay nodes, uniformly at random.
    Count(u32),
    /// round(fraction · N) distinct overlay nodes (at least one), uniformly at random.
    Fraction(f64),
    /// These overlay nodes, by name (host label, `#k` for the k-th repeat of a host).
    List(Vec<String>),
}

/// Who sends the group's message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The root of the tree.
    #[default]
    Root,
    /// A member chosen uniformly at random.
    RandomMember,
    /// This overlay node, by name.
    Node(String),
}

/// An overlay tree stated in the scenario instead of built by joins over the overlay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplicitTree {
    /// Name of the root node.
    pub root: String,
    /// Undirected overlay edges between named nodes; together they must form a tree containing the root.
    pub edges: Vec<[String; 2]>,
}

/// One multicast group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupParams {
    /// Prefix of the group's metrics; default `g<index>`.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub members: Members,
    /// The overlay tree, if not built by joins over the overlay. Members must then be `all` or a list of tree
    /// nodes.
    #[serde(default)]
    pub tree: Option<ExplicitTree>,
    #[serde(default)]
    pub source: Source,
    /// Multicast identifier, a key of the overlay (below 2^m); default: uniform random.
    #[serde(default)]
    pub mid: Option<u64>,
    /// Links whose stress is reported as `<group>.link_stress.<a>-<b>`, as pairs of graph node names.
    #[serde(default)]
    pub report_links: Vec<[String; 2]>,
    /// Members whose overlay delay, unicast delay and stretch are reported (`<group>.stretch.<name>`, …).
    #[serde(default)]
    pub report_members: Vec<String>,
}

/// Many overlay-built groups with Zipf-distributed sizes, as in the Scribe evaluation (Castro et al. 2002):
/// the group of rank r has `max(1, floor(largest · r^-exponent + 0.5))` members, uniformly at random.
/// They enter the `all.*` totals only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ZipfGroups {
    /// Number of groups.
    /// Number of groups, at most 100,000 (each is a tree built and measured).
    #[schemars(range(min = 1, max = MAX_ZIPF_GROUPS))]
    pub count: u32,
    /// Zipf exponent of the group sizes over their rank.
    #[serde(default = "default_exponent")]
    pub exponent: f64,
    /// Size of the largest group; default: every overlay node.
    #[serde(default)]
    pub largest: Option<u32>,
    #[serde(default)]
    pub source: Source,
}

fn default_exponent() -> f64 {
    1.25
}

/// A value stated in the scenario (e.g. a figure from the lecture): a number or a ratio `"a/b"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Stated {
    Number(f64),
    Text(String),
}

impl Stated {
    pub fn value(&self) -> Result<f64, String> {
        match self {
            Stated::Number(x) => Ok(*x),
            Stated::Text(t) => {
                let parse = |s: &str| s.trim().parse::<f64>().map_err(|_| format!("`{t}` is not a number or a/b"));
                match t.split_once('/') {
                    Some((a, b)) => Ok(parse(a)? / parse(b)?),
                    None => parse(t),
                }
            }
        }
    }
}

/// A metric value the run must reproduce exactly (reported as an `Exact` analytic value).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The metric's name as the run reports it (`dissem metrics alm`).
    pub metric: String,
    pub value: Stated,
    /// Where the value comes from, shown as its formula.
    #[serde(default)]
    pub note: Option<String>,
}

/// Parameters of an ALM run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlmParams {
    /// The structured overlay the trees are built on (unused when every group states its tree); default: Chord
    /// with 32-bit random identifiers.
    #[serde(default)]
    pub overlay: OverlayParams,
    /// Groups reported one by one (`<name>.*` metrics) and in the `all.*` totals.
    #[serde(default)]
    pub groups: Vec<GroupParams>,
    /// Many groups with Zipf-distributed sizes, reported in the `all.*` totals only.
    #[serde(default)]
    pub zipf_groups: Option<ZipfGroups>,
    /// Link-stress histograms count stress 1, 2, …, and put stress ≥ this in the last bin.
    #[serde(default = "default_bins")]
    #[schemars(range(min = 1, max = MAX_HISTOGRAM_BINS))]
    pub histogram_bins: u32,
    /// The cheapest overlay tree (quadratic) is computed for groups of at most this many nodes (at most
    /// 20,000: 4·10^8 distance reads per group).
    #[serde(default = "default_mst_limit")]
    #[schemars(range(max = MAX_MST_LIMIT))]
    pub mst_limit: u32,
    /// Values the run must reproduce exactly (from a published example), checked by `dissem check`.
    #[serde(default)]
    pub expect: Vec<Expectation>,
    /// `static` (default): trees built by a function and the message's delays summed along them; `events`:
    /// JOIN messages build the trees and the message travels down them on the event engine.
    #[serde(default, skip_serializing_if = "AlmTiming::is_static")]
    pub timing: AlmTiming,
}

/// How ALM's trees are built and its message delivered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlmTiming {
    /// Trees joined by [`join_tree`] at once; delays summed over the tree's edges.
    #[default]
    Static,
    /// JOIN messages routed by the overlay's next hop build the trees, and the multicast goes down them, on the
    /// event engine over the underlay's delays (see the `events` module).
    Events(EventParams),
}

impl AlmTiming {
    fn is_static(&self) -> bool {
        *self == AlmTiming::Static
    }
}

/// Read with `crate::tagged`, so that a unit variant refuses fields and errors name the inner field.
impl<'de> Deserialize<'de> for AlmTiming {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const VARIANTS: &[Variant<AlmTiming>] =
            &[("static", |m| no_fields(m).map(|()| AlmTiming::Static)), ("events", |m| body(m).map(AlmTiming::Events))];
        tagged(d, VARIANTS)
    }
}

/// Most Zipf groups: each one's tree is built, measured and kept until the totals are summed.
pub const MAX_ZIPF_GROUPS: u32 = 100_000;

/// Most bins of a link-stress histogram (one series entry each, per group).
pub const MAX_HISTOGRAM_BINS: u32 = 100_000;

/// Largest group whose cheapest overlay tree is computed (dense Prim: quadratic in the group's size).
pub const MAX_MST_LIMIT: u32 = 20_000;

fn default_bins() -> u32 {
    100
}

fn default_mst_limit() -> u32 {
    2_000
}

impl Default for AlmParams {
    fn default() -> Self {
        AlmParams {
            overlay: OverlayParams::default(),
            groups: vec![GroupParams::default()],
            zipf_groups: None,
            histogram_bins: default_bins(),
            mst_limit: default_mst_limit(),
            expect: Vec::new(),
            timing: AlmTiming::Static,
        }
    }
}

/// How a group's tree is made.
#[derive(Clone, Debug)]
enum Build {
    /// Joins routed over the overlay towards the root of `mid`.
    Joined { mid: u64, members: Vec<u32> },
    /// The tree stated in the scenario.
    Explicit { root: u32, edges: Vec<(u32, u32)>, members: Vec<u32> },
}

impl Build {
    /// Members, sorted.
    fn members(&self) -> &[u32] {
        match self {
            Build::Joined { members, .. } | Build::Explicit { members, .. } => members,
        }
    }
}

/// A group with every name resolved and every random choice made.
#[derive(Clone, Debug)]
struct Plan {
    name: String,
    detailed: bool,
    build: Build,
    /// `None`: the root sends.
    source: Option<u32>,
    report_links: Vec<(String, EdgeId)>,
    report_members: Vec<(String, u32)>,
}

/// One measured group.
#[derive(Clone, Debug)]
pub struct GroupReport {
    pub name: String,
    /// Whether the group's own metrics are reported (explicitly listed groups), or only its share of `all.*`.
    pub detailed: bool,
    pub costs: GroupCosts,
    pub report_links: Vec<(String, EdgeId)>,
    pub report_members: Vec<(String, u32)>,
    /// With timing `events`: what the group's JOIN messages did.
    pub joins: Option<Joins>,
    /// With timing `events`, for a listed group the message reached whole: the figures of the tree the static
    /// model builds for the same plan, which the message-built tree must equal.
    pub static_figures: Option<Vec<(&'static str, f64)>>,
}

impl AlmParams {
    /// Whether some group's tree is built by joins over the overlay.
    fn uses_overlay(&self) -> bool {
        self.zipf_groups.is_some() || self.groups.iter().any(|g| g.tree.is_none())
    }

    /// The checks of [`AlmParams::validate`] that need no underlay: ranges, the timing, the overlay's
    /// parameters, expectations and Zipf groups; errors name fields within `prefix`.
    pub fn check(&self, prefix: &str) -> Result<(), ModelError> {
        if self.uses_overlay() {
            self.overlay.check(&join(prefix, "overlay"))?;
        }
        check_range(join(prefix, "histogram_bins"), self.histogram_bins.into(), 1, MAX_HISTOGRAM_BINS.into())?;
        check_range(join(prefix, "mst_limit"), self.mst_limit.into(), 0, MAX_MST_LIMIT.into())?;
        if let AlmTiming::Events(events) = &self.timing {
            events.validate(&join(prefix, "timing"))?;
            if let Some(g) = self.groups.iter().position(|g| g.tree.is_some()) {
                return Err(ModelError::new(
                    join(prefix, &format!("groups[{g}].tree")),
                    "with timing `events` trees are built by JOIN messages over the overlay: remove the explicit \
                     tree or use timing `static`",
                ));
            }
        }
        for (i, e) in self.expect.iter().enumerate() {
            e.value.value().map_err(|m| ModelError::new(join(prefix, &format!("expect[{i}].value")), m))?;
        }
        if let Some(z) = &self.zipf_groups {
            let at = |f: &str| join(prefix, &format!("zipf_groups.{f}"));
            check_range(at("count"), z.count.into(), 1, MAX_ZIPF_GROUPS.into())?;
            if !(z.exponent.is_finite() && z.exponent > 0.0) {
                return Err(ModelError::new(at("exponent"), format!("must be positive, got {}", z.exponent)));
            }
        }
        Ok(())
    }

    /// Checks the parameters against the underlay whose hosts are the overlay nodes ([`AlmParams::check`] first);
    /// errors name fields within `prefix`.
    pub fn validate(&self, prefix: &str, underlay: &Underlay) -> Result<(), ModelError> {
        self.check(prefix)?;
        if self.uses_overlay() {
            self.overlay.validate(&join(prefix, "overlay"), Nodes::Hosts(underlay))?;
        }
        // Not in `check`: the defaults alone (`{"kind": "alm"}`) are read and normalised without groups.
        if self.groups.is_empty() && self.zipf_groups.is_none() {
            return Err(ModelError::new(join(prefix, "groups"), "no groups: give groups or zipf_groups"));
        }
        if let Some(z) = &self.zipf_groups
            && let Some(l) = z.largest
            && !(1..=underlay.len()).contains(&l)
        {
            let at = join(prefix, "zipf_groups.largest");
            return Err(ModelError::new(at, format!("must be in 1..={}, got {l}", underlay.len())));
        }
        let plans = self.plans(prefix, underlay, 0, 0)?;
        if let AlmTiming::Events(EventParams { churn: Some(churn), .. }) = &self.timing {
            // A tree has at most its members' route lengths (at most one hop per identifier bit) of nodes.
            let hops = f64::from(self.overlay.key_space().bits()) + 1.0;
            let n = f64::from(underlay.len());
            let tree_nodes = plans.iter().map(|p| (p.build.members().len() as f64 * hops).min(n)).sum();
            churn.check_work(&join(prefix, "timing.churn"), tree_nodes, hops, n)?;
        }
        Ok(())
    }

    /// Resolves names and draws mids, members and random sources (protocol stream of (seed, run)).
    fn plans(&self, prefix: &str, underlay: &Underlay, seed: u64, run: u64) -> Result<Vec<Plan>, ModelError> {
        let names = Names::new(underlay);
        let n = underlay.len();
        let mut rng = stream(seed, run, Lane::Protocol);
        let mut permutation: Vec<u32> = (0..n).collect();
        let mut sample = |rng: &mut _, k: u32| {
            let mut chosen = partial_shuffle(&mut permutation, k as usize, rng).to_vec();
            chosen.sort_unstable();
            chosen
        };
        let mut plans = Vec::new();
        let mut seen_names = BTreeSet::from(["all".to_owned()]);
        for (g, group) in self.groups.iter().enumerate() {
            let at = |f: &str| join(prefix, &format!("groups[{g}].{f}"));
            let name = group.name.clone().unwrap_or_else(|| format!("g{g}"));
            if !seen_names.insert(name.clone()) {
                return Err(ModelError::new(at("name"), format!("`{name}` is used twice (or is reserved)")));
            }
            let listed = |list: &[String]| -> Result<Vec<u32>, ModelError> {
                let mut v = list.iter().map(|m| names.resolve(m, &at("members"))).collect::<Result<Vec<_>, _>>()?;
                v.sort_unstable();
                v.dedup();
                if v.is_empty() {
                    return Err(ModelError::new(at("members"), "the list is empty"));
                }
                Ok(v)
            };
            let build = match &group.tree {
                Some(t) => {
                    let root = names.resolve(&t.root, &at("tree.root"))?;
                    let edges = t
                        .edges
                        .iter()
                        .enumerate()
                        .map(|(i, [a, b])| {
                            let f = at(&format!("tree.edges[{i}]"));
                            Ok((names.resolve(a, &f)?, names.resolve(b, &f)?))
                        })
                        .collect::<Result<Vec<_>, ModelError>>()?;
                    let members = match &group.members {
                        Members::All => None,
                        Members::List(list) => Some(listed(list)?),
                        Members::Count(_) | Members::Fraction(_) => {
                            return Err(ModelError::new(
                                at("members"),
                                "with an explicit tree, members must be `all` or a list of tree nodes",
                            ));
                        }
                    };
                    let tree = explicit_tree(root, &edges, &mut vec![tree::NONE; n as usize]).map_err(|e| {
                        ModelError::new(
                            at("tree.edges"),
                            match e {
                                TreeError::Cycle(i) => format!("edge {i} closes a cycle"),
                                TreeError::Disconnected(v) => {
                                    format!("{} is not connected to the root", underlay.node_name(v))
                                }
                            },
                        )
                    })?;
                    let in_tree = |v: &u32| tree.nodes.contains(v);
                    if let Some(v) = members.iter().flatten().find(|v| !in_tree(v)) {
                        return Err(ModelError::new(
                            at("members"),
                            format!("{} is not a node of the tree", underlay.node_name(*v)),
                        ));
                    }
                    if let Source::Node(s) = &group.source
                        && !in_tree(&names.resolve(s, &at("source"))?)
                    {
                        return Err(ModelError::new(at("source"), format!("{s} is not a node of the tree")));
                    }
                    let members = members.unwrap_or_else(|| {
                        let mut all = tree.nodes.clone();
                        all.sort_unstable();
                        all
                    });
                    Build::Explicit { root, edges, members }
                }
                None => {
                    // A group without a tree uses the overlay, whose parameters have been validated.
                    let space = self.overlay.key_space();
                    let mid = match group.mid {
                        Some(mid) if !space.contains(mid) => {
                            return Err(ModelError::new(at("mid"), format!("{mid} is not below 2^{}", space.bits())));
                        }
                        Some(mid) => mid,
                        None => space.random(&mut rng),
                    };
                    let members = match &group.members {
                        Members::All => (0..n).collect(),
                        &Members::Count(k) if (1..=n).contains(&k) => sample(&mut rng, k),
                        Members::Count(k) => {
                            return Err(ModelError::new(at("members"), format!("count must be in 1..={n}, got {k}")));
                        }
                        &Members::Fraction(f) if f > 0.0 && f <= 1.0 => {
                            sample(&mut rng, ((f * f64::from(n)).round() as u32).max(1))
                        }
                        Members::Fraction(f) => {
                            return Err(ModelError::new(at("members"), format!("fraction must be in (0, 1], got {f}")));
                        }
                        Members::List(list) => listed(list)?,
                    };
                    Build::Joined { mid, members }
                }
            };
            let source = match &group.source {
                Source::Root => None,
                Source::Node(s) => Some(names.resolve(s, &at("source"))?),
                Source::RandomMember => Some(random_member(&build, &mut rng)),
            };
            let report_links = group
                .report_links
                .iter()
                .map(|[a, b]| {
                    underlay
                        .link(a, b)
                        .map(|e| (underlay.link_name(e), e))
                        .ok_or_else(|| ModelError::new(at("report_links"), format!("no link between {a} and {b}")))
                })
                .collect::<Result<_, _>>()?;
            let report_members = group
                .report_members
                .iter()
                .map(|m| Ok((m.clone(), names.resolve(m, &at("report_members"))?)))
                .collect::<Result<Vec<_>, ModelError>>()?;
            if let Some((m, _)) = report_members.iter().find(|(_, v)| build.members().binary_search(v).is_err()) {
                return Err(ModelError::new(at("report_members"), format!("{m} is not a member")));
            }
            plans.push(Plan { name, detailed: true, build, source, report_links, report_members });
        }
        if let Some(z) = &self.zipf_groups {
            let space = self.overlay.key_space();
            let largest = f64::from(z.largest.unwrap_or(n));
            for r in 1..=z.count {
                let size = ((largest * f64::from(r).powf(-z.exponent) + 0.5).floor() as u32).clamp(1, n);
                let mid = space.random(&mut rng);
                let build = Build::Joined { mid, members: sample(&mut rng, size) };
                let source = match &z.source {
                    Source::Root => None,
                    Source::Node(s) => Some(names.resolve(s, &join(prefix, "zipf_groups.source"))?),
                    Source::RandomMember => Some(random_member(&build, &mut rng)),
                };
                plans.push(Plan {
                    name: format!("zipf{r}"),
                    detailed: false,
                    build,
                    source,
                    report_links: Vec::new(),
                    report_members: Vec::new(),
                });
            }
        }
        Ok(plans)
    }
}

/// Overlay nodes by name, looked up only if a group names one: with 10^5 hosts the map costs more than the
/// rest of the planning.
struct Names<'u> {
    underlay: &'u Underlay,
    map: OnceCell<BTreeMap<String, u32>>,
}

impl<'u> Names<'u> {
    fn new(underlay: &'u Underlay) -> Self {
        Names { underlay, map: OnceCell::new() }
    }

    /// The overlay node called `name`; errors name `field`.
    fn resolve(&self, name: &str, field: &str) -> Result<u32, ModelError> {
        let map = self.map.get_or_init(|| self.underlay.names());
        map.get(name).copied().ok_or_else(|| ModelError::new(field, format!("no overlay node is named `{name}`")))
    }
}

fn random_member(build: &Build, rng: &mut sim_core::rng::SimRng) -> u32 {
    let members = build.members();
    members[below(rng, members.len() as u32) as usize]
}

/// Builds every group's tree and measures one message per group. Parameters must have been validated.
pub fn analyse(params: &AlmParams, underlay: &Underlay, seed: u64, run: u64) -> Vec<GroupReport> {
    let plans = params.plans("alm", underlay, seed, run).expect("validated ALM parameters");
    let overlay = params.uses_overlay().then(|| params.overlay.build(Nodes::Hosts(underlay), seed, run));
    let schedule = match &params.timing {
        AlmTiming::Events(EventParams { churn: Some(churn), .. }) => {
            Some(Schedule::draw(churn, underlay.len(), seed, run))
        }
        _ => None,
    };
    plans
        .into_par_iter()
        .enumerate()
        .map_init(
            || Scratch::new(underlay),
            |scratch, (g, plan)| {
                let measure = |(d, delivery), scratch: &mut Scratch| {
                    metrics::measure(underlay, d, delivery, params.mst_limit, scratch)
                };
                let (costs, joins, static_figures) = match (&params.timing, &plan.build) {
                    (AlmTiming::Events(events), &Build::Joined { mid, ref members }) => {
                        let overlay = overlay.as_ref().expect("an overlay for groups built by joins");
                        let (d, delivery, joins) = events::disseminate(
                            events,
                            overlay,
                            underlay,
                            (mid, members, plan.source),
                            (seed, g as u64, run),
                            schedule.as_ref(),
                            scratch,
                        );
                        let costs = measure((d, delivery), scratch);
                        // Only a multicast that reached every tree node (the source's own branch too, whose JOIN may come
                        // after the multicast) has the static tree's figures.
                        let whole = costs.arrival.iter().all(|&a| a != MISSED);
                        let reference = (plan.detailed && whole).then(|| {
                            let d = disseminate(&plan, Some(overlay), scratch);
                            let delivery = metrics::deliver(underlay, &d, scratch);
                            compared_figures(&measure((d, delivery), scratch), underlay)
                        });
                        (costs, Some(joins), reference)
                    }
                    _ => {
                        let d = disseminate(&plan, overlay.as_ref(), scratch);
                        let delivery = metrics::deliver(underlay, &d, scratch);
                        (measure((d, delivery), scratch), None, None)
                    }
                };
                GroupReport {
                    name: plan.name,
                    detailed: plan.detailed,
                    costs,
                    report_links: plan.report_links,
                    report_members: plan.report_members,
                    joins,
                    static_figures,
                }
            },
        )
        .collect()
}

/// The figures by which a message-built tree and delivery are checked against the static model's: link and
/// node stress, tree size and depth, delays and Scribe's RAD and RMD.
fn compared_figures(c: &GroupCosts, u: &Underlay) -> Vec<(&'static str, f64)> {
    let mut figures = vec![
        ("tree_nodes", c.dissemination.tree.len() as f64),
        ("depth", f64::from(c.depth)),
        ("link_stress_max", f64::from(c.alm.max())),
        ("link_stress_mean", c.alm.mean()),
        ("links_used", c.alm.links() as f64),
        ("network_usage", c.alm.usage(u.graph()) as f64),
        ("node_stress_max", f64::from(c.node_stress_max)),
        ("node_stress_mean", c.node_stress_mean),
        ("delay_mean", c.delay_mean),
        ("delay_max", c.delay_max as f64),
    ];
    if let Some((rad, rmd)) = c.delay_ratios() {
        figures.extend([("rad", rad), ("rmd", rmd)]);
    }
    figures
}

fn disseminate(plan: &Plan, overlay: Option<&Overlay>, scratch: &mut Scratch) -> Dissemination {
    match &plan.build {
        Build::Joined { mid, members } => {
            let overlay = overlay.expect("an overlay for groups built by joins");
            let tree = join_tree(overlay, *mid, members, &mut scratch.slot);
            let source = plan.source.unwrap_or(tree.root());
            let mut lead_in = Vec::new();
            if source != tree.root() {
                overlay.route(source, *mid, &mut lead_in);
            }
            Dissemination { tree, source, entry: 0, lead_in }
        }
        Build::Explicit { root, edges, members } => {
            let mut tree = explicit_tree(*root, edges, &mut scratch.slot).expect("validated tree");
            for (m, v) in tree.member.iter_mut().zip(&tree.nodes) {
                *m = members.binary_search(v).is_ok();
            }
            let source = plan.source.unwrap_or(*root);
            let entry = tree.nodes.iter().position(|&v| v == source).expect("validated source") as u32;
            Dissemination { tree, source, entry, lead_in: Vec::new() }
        }
    }
}

/// Runs the groups and reports, for every listed group `<g>`:
///
/// * `<g>.members`, `<g>.tree_nodes`, `<g>.forwarders` (non-member tree nodes), `<g>.depth`, `<g>.depth_mean`
///   (overlay hops root → member), `<g>.node_stress_max`, `<g>.node_stress_mean` (children per forwarding node);
/// * `<g>.link_stress_max`, `<g>.link_stress_mean` (over used links), `<g>.links_used`, `<g>.network_usage`
///   (Σ delay × stress), `<g>.tree_cost` (Σ overlay edge delays), `<g>.mst_cost` (cheapest overlay tree),
///   `<g>.usage_ratio_ip`;
/// * `<g>.delay_mean`, `<g>.delay_max` (overlay delay source → receivers), `<g>.rad`, `<g>.rmd` (their ratios to
///   unicast's, as Scribe defines RAD and RMD), `<g>.stretch_mean`, `_max`, `_p50`,
///   `_p90`, `_p99` (overlay / unicast delay, receivers not on the source's host) and the series
///   `<g>.stretch_quantiles` (stretch at levels 0, 0.01, …, 1);
/// * `<g>.delay_p50`, `_p90`, `_p99` (the delivery delay's distribution over the receivers reached);
/// * with timing `events`: `<g>.members_missed`, `<g>.join_messages`, `<g>.join_latency_mean`, `_max`,
///   `<g>.tree_complete_at`, `<g>.multicast_at`, `<g>.missed.<m>` for every named member, and
///   `all.members_missed`; with `churn`: `<g>.churn_start`, `<g>.multicasts`, `<g>.missed_per_multicast_mean`,
///   `_max`, `<g>.disconnected_per_multicast_mean`, `<g>.unchanged_multicasts`, `<g>.missed_unchanged`,
///   `<g>.orphans`, `<g>.repairs`, `<g>.repair_time_mean`, `_max`, `<g>.rejoin_messages`, `<g>.join_timeouts`,
///   `<g>.join_refusals`, `<g>.returns`, `<g>.returns_connected`, `<g>.return_time_mean`, `_max`,
///   `<g>.root_changes`, `<g>.later_copies`, `<g>.copies_to_dead`, `<g>.children_dropped`,
///   `<g>.heartbeats_per_node_time`, `<g>.failure_cut`, and their `all.*` totals;
/// * `<g>.ip.links_used`, `<g>.ip.link_stress_max`, `<g>.ip.network_usage`; `<g>.unicast.link_stress_max`,
///   `_mean`, `<g>.unicast.links_used`, `<g>.unicast.network_usage`, `<g>.unicast.delay_mean`, `_max`,
///   `<g>.unicast.source_link_stress` (when the source host has an access link);
/// * `<g>.link_stress.<a>-<b>`, `<g>.overlay_delay.<m>`, `<g>.unicast_delay.<m>`, `<g>.stretch.<m>` as asked;
/// * series `<g>.link_stress_histogram`, `<g>.unicast.link_stress_histogram`.
///
/// Over all groups (listed and Zipf), with one message per group: `all.groups`, `all.members`,
/// `all.forwarders`, `all.depth_max`, `all.depth_mean`, pooled `all.stretch_*`, `all.rad_mean`, `_p50`, `_p90`,
/// `_max` and `all.rmd_*` over groups, and the combined link loads
/// `all.link_stress_max`, `_mean`, `all.links_used`, `all.network_usage`, `all.ip.*`, `all.unicast.*`
/// (with histograms), `all.node_stress_max`, `_mean` (children summed over groups per node).
pub fn run(params: &AlmParams, underlay: &Underlay, seed: u64, run: u64) -> Outcome {
    outcome(params, underlay, &analyse(params, underlay, seed, run))
}

/// [`run`], with each group's message reported to `sink` (named by the group), group after group: the source
/// informed at 0, then every overlay hop (lead-in, then tree edges in order of arrival) as a `send` at the
/// time the sender has the message, a `link` step for each underlay link of its unicast path (so that a
/// link's steps count its stress), a `deliver` and, on a first receipt, an `inform` at the arrival time.
/// Nodes are graph nodes (hosts and routers), not overlay indices. With timing `events` the steps are the
/// multicast's hops as its messages took them (a missed member has none); JOIN messages are not traced.
pub fn run_traced(params: &AlmParams, underlay: &Underlay, seed: u64, run: u64, sink: &mut dyn Sink) -> Outcome {
    let reports = analyse(params, underlay, seed, run);
    for r in &reports {
        trace_group(r, underlay, sink);
    }
    outcome(params, underlay, &reports)
}

fn trace_group(r: &GroupReport, u: &Underlay, sink: &mut dyn Sink) {
    let c = &r.costs;
    let d = &c.dissemination;
    let message = r.name.as_str();
    let graph = u.graph();
    let mut informed = BTreeSet::new();
    let mut step = |time, kind, from, to| sink.step(Step { time, kind, from, to, message, dropped: false });
    let source = u.host(d.source);
    step(0, Kind::Inform, source, source);
    informed.insert(d.source);
    // (time at the sender, sender, receiver) of every overlay hop, in the order the message takes them.
    let mut hops = Vec::new();
    let mut time = 0;
    for w in d.lead_in.windows(2) {
        hops.push((time, w[0], w[1]));
        time += u.delay(w[0], w[1]);
    }
    let mut order: Vec<usize> = (0..d.tree.len()).filter(|&i| c.from[i] != tree::NONE).collect();
    order.sort_by_key(|&i| c.arrival[c.from[i] as usize]);
    for i in order {
        let p = c.from[i] as usize;
        hops.push((c.arrival[p], d.tree.nodes[p], d.tree.nodes[i]));
    }
    for (at, a, b) in hops {
        let arrival = at + u.delay(a, b);
        step(at, Kind::Send, u.host(a), u.host(b));
        u.for_each_link(a, b, |e| {
            let (x, y) = graph.endpoints(e);
            step(at, Kind::Link, x, y);
        });
        step(arrival, Kind::Deliver, u.host(a), u.host(b));
        if informed.insert(b) {
            step(arrival, Kind::Inform, u.host(a), u.host(b));
        }
    }
}

/// The outcome of a run from its groups' reports.
fn outcome(params: &AlmParams, underlay: &Underlay, reports: &[GroupReport]) -> Outcome {
    let mut out = Outcome::default();
    let churn = match &params.timing {
        AlmTiming::Events(e) => e.churn.as_ref(),
        AlmTiming::Static => None,
    };
    for r in reports.iter().filter(|r| r.detailed) {
        group_outcome(r, underlay, params.histogram_bins, churn, &mut out);
    }
    totals(reports, underlay, params.histogram_bins, &mut out);
    if let Some(p) = churn {
        churn::totals(p, reports.iter().filter_map(|r| r.joins.as_ref()?.repairs.as_ref()), &mut out);
    }
    for e in &params.expect {
        out.analytic(
            &format!("expect.{}", e.metric),
            &e.metric,
            e.note.as_deref().unwrap_or("stated in the scenario"),
            e.value.value().expect("validated"),
            Check::Exact,
        );
    }
    out
}

fn loads_outcome(prefix: &str, load: &LinkLoad, underlay: &Underlay, bins: u32, out: &mut Outcome) {
    out.metric(&format!("{prefix}link_stress_max"), f64::from(load.max()))
        .metric(&format!("{prefix}link_stress_mean"), load.mean())
        .metric(&format!("{prefix}links_used"), load.links() as f64)
        .metric(&format!("{prefix}network_usage"), load.usage(underlay.graph()) as f64)
        .distribution(&format!("{prefix}link_stress_histogram"), load.histogram(bins));
}

fn group_outcome(r: &GroupReport, underlay: &Underlay, bins: u32, churn: Option<&ChurnParams>, out: &mut Outcome) {
    let c = &r.costs;
    let d = &c.dissemination;
    let g = &r.name;
    let members = d.tree.member.iter().filter(|&&m| m).count();
    out.metric(&format!("{g}.members"), members as f64)
        .metric(&format!("{g}.tree_nodes"), d.tree.len() as f64)
        .metric(&format!("{g}.forwarders"), f64::from(c.forwarders))
        .metric(&format!("{g}.depth"), f64::from(c.depth))
        .metric(&format!("{g}.depth_mean"), c.depth_mean)
        .metric(&format!("{g}.node_stress_max"), f64::from(c.node_stress_max))
        .metric(&format!("{g}.node_stress_mean"), c.node_stress_mean);
    loads_outcome(&format!("{g}."), &c.alm, underlay, bins, out);
    let usage = c.alm.usage(underlay.graph());
    let ip_usage = c.ip.usage(underlay.graph());
    out.metric(&format!("{g}.tree_cost"), c.tree_cost as f64)
        .metric(&format!("{g}.usage_ratio_ip"), usage as f64 / ip_usage.max(1) as f64)
        .metric(&format!("{g}.delay_mean"), c.delay_mean)
        .metric(&format!("{g}.delay_max"), c.delay_max as f64);
    if !c.delays.is_empty() {
        for (q, name) in [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")] {
            out.metric(&format!("{g}.delay_{name}"), quantile(&c.delays, q));
        }
    }
    if let Some(joins) = &r.joins {
        joins_outcome(r, joins, out);
        if let (Some(p), Some(repairs)) = (churn, &joins.repairs) {
            churn::group_outcome(&r.name, p, repairs, out);
        }
    }
    if let Some((rad, rmd)) = c.delay_ratios() {
        out.metric(&format!("{g}.rad"), rad).metric(&format!("{g}.rmd"), rmd);
    }
    if let Some(mst) = c.mst_cost {
        out.metric(&format!("{g}.mst_cost"), mst as f64);
    }
    stretch_outcome(g, &c.stretch, out);
    out.metric(&format!("{g}.ip.links_used"), c.ip.links() as f64)
        .metric(&format!("{g}.ip.link_stress_max"), f64::from(c.ip.max()))
        .metric(&format!("{g}.ip.network_usage"), ip_usage as f64);
    loads_outcome(&format!("{g}.unicast."), &c.unicast, underlay, bins, out);
    out.metric(&format!("{g}.unicast.delay_mean"), c.unicast_delay_mean)
        .metric(&format!("{g}.unicast.delay_max"), c.unicast_delay_max as f64);

    out.analytic(
        &format!("{g}.network_usage"),
        &format!("{g}.network_usage"),
        "Σ over overlay hops of their unicast delay (tree cost + source→root leg)",
        (c.tree_cost + c.lead_in_delay) as f64,
        Check::Exact,
    );
    if c.ip.links() > 0 {
        out.analytic(
            &format!("{g}.ip.link_stress_max"),
            &format!("{g}.ip.link_stress_max"),
            "1: IP multicast sends one copy over each link of the source's shortest-path tree",
            1.0,
            Check::Exact,
        );
    }
    if let Some(e) = underlay.access_edge(d.source) {
        out.metric(&format!("{g}.unicast.source_link_stress"), f64::from(c.unicast.of(e)));
        out.analytic(
            &format!("{g}.unicast.source_link_stress"),
            &format!("{g}.unicast.source_link_stress"),
            "members not on the source's host: every unicast copy leaves through the access link",
            f64::from(c.receivers - c.colocated),
            Check::Exact,
        );
    }
    for (name, e) in &r.report_links {
        out.metric(&format!("{g}.link_stress.{name}"), f64::from(c.alm.of(*e)));
    }
    for (name, v) in &r.report_members {
        reported_member(r, name, *v, underlay, out);
    }
}

/// What a group's JOIN messages did, and the exact checks of the message-built tree against the static one.
fn joins_outcome(r: &GroupReport, joins: &Joins, out: &mut Outcome) {
    let (c, g) = (&r.costs, &r.name);
    out.metric(&format!("{g}.members_missed"), f64::from(c.missed))
        .metric(&format!("{g}.join_messages"), joins.messages as f64)
        .metric(&format!("{g}.tree_complete_at"), joins.complete_at as f64)
        .metric(&format!("{g}.multicast_at"), joins.multicast_at as f64);
    if let Some(&max) = joins.latencies.last() {
        let sum: u64 = joins.latencies.iter().sum();
        out.metric(&format!("{g}.join_latency_mean"), sum as f64 / joins.latencies.len() as f64)
            .metric(&format!("{g}.join_latency_max"), max as f64);
    }
    out.analytic(
        &format!("{g}.join_messages"),
        &format!("{g}.join_messages"),
        "tree_nodes − 1: every JOIN message gives its sender a parent",
        (c.dissemination.tree.len() - 1) as f64,
        Check::Exact,
    );
    // A named member the multicast missed has no delays to report: say so rather than leave them out.
    for (name, v) in &r.report_members {
        let i = c.index_of(*v).expect("members are in the tree");
        out.metric(&format!("{g}.missed.{name}"), f64::from(u8::from(c.arrival[i as usize] == MISSED)));
    }
    for (name, value) in r.static_figures.iter().flatten() {
        out.analytic(
            &format!("{g}.static.{name}"),
            &format!("{g}.{name}"),
            "the static model's, over the tree join_tree builds for the same group",
            *value,
            Check::Exact,
        );
    }
}

/// Delays and stretch of one member, with independent checks: Dijkstra on the full graph (sim-core) for the
/// unicast delay and for every overlay hop on the member's path. None for a member the multicast missed
/// (`<g>.missed.<m>` says it was).
fn reported_member(r: &GroupReport, name: &str, v: u32, underlay: &Underlay, out: &mut Outcome) {
    let (c, g) = (&r.costs, &r.name);
    let i = c.index_of(v).expect("members are in the tree");
    let overlay = c.arrival[i as usize];
    if overlay == MISSED {
        return;
    }
    let source = c.dissemination.source;
    let graph = underlay.graph();
    let unicast = underlay.delay(source, v);
    out.metric(&format!("{g}.overlay_delay.{name}"), overlay as f64)
        .metric(&format!("{g}.unicast_delay.{name}"), unicast as f64);
    if unicast > 0 {
        out.metric(&format!("{g}.stretch.{name}"), overlay as f64 / unicast as f64);
    }
    let dijkstra = |a: u32, b: u32| ShortestPaths::from(graph, underlay.host(a)).dist(underlay.host(b)) as f64;
    out.analytic(
        &format!("{g}.unicast_delay.{name}"),
        &format!("{g}.unicast_delay.{name}"),
        "shortest-path delay (Dijkstra on the full graph)",
        dijkstra(source, v),
        Check::Exact,
    );
    out.analytic(
        &format!("{g}.overlay_delay.{name}"),
        &format!("{g}.overlay_delay.{name}"),
        "Σ over the overlay path of each hop's shortest-path delay (Dijkstra on the full graph)",
        c.path_to(i).windows(2).map(|w| dijkstra(w[0], w[1])).sum(),
        Check::Exact,
    );
}

/// Stretch statistics, left out when no receiver has a network path from the source.
fn stretch_outcome(prefix: &str, sorted: &[f64], out: &mut Outcome) {
    if sorted.is_empty() {
        return;
    }
    let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
    out.metric(&format!("{prefix}.stretch_mean"), mean)
        .metric(&format!("{prefix}.stretch_max"), sorted[sorted.len() - 1])
        .metric(&format!("{prefix}.stretch_p50"), quantile(sorted, 0.5))
        .metric(&format!("{prefix}.stretch_p90"), quantile(sorted, 0.9))
        .metric(&format!("{prefix}.stretch_p99"), quantile(sorted, 0.99))
        .series(&format!("{prefix}.stretch_quantiles"), stretch_quantiles(sorted));
}

/// The stretch at levels 0, 1/100, …, 1 (minimum to maximum): a fixed-length quantile function, so that
/// replicates average level by level and a plot can draw it as a CDF.
fn stretch_quantiles(sorted: &[f64]) -> Vec<f64> {
    (0..=100).map(|i| quantile(sorted, f64::from(i) / 100.0)).collect()
}

/// Totals over all groups, each sending one message (the Scribe paper's combined link stress).
fn totals(reports: &[GroupReport], underlay: &Underlay, bins: u32, out: &mut Outcome) {
    let graph = underlay.graph();
    let combine = |pick: fn(&GroupCosts) -> &LinkLoad| {
        let mut sum = vec![0u32; graph.edge_count()];
        for r in reports {
            for &(e, s) in &pick(&r.costs).loads {
                sum[e as usize] += s;
            }
        }
        LinkLoad { loads: (0..).zip(sum).filter(|&(_, s)| s > 0).collect() }
    };
    let mut children = vec![0u32; underlay.len() as usize];
    for r in reports {
        for &(v, k) in &r.costs.children {
            children[v as usize] += k;
        }
    }
    let forwarding: Vec<u32> = children.into_iter().filter(|&k| k > 0).collect();
    let mut stretch: Vec<f64> = reports.iter().flat_map(|r| r.costs.stretch.iter().copied()).collect();
    stretch.sort_unstable_by(f64::total_cmp);
    let groups = reports.len() as f64;
    let receivers: u32 = reports.iter().map(|r| r.costs.receivers - r.costs.missed).sum();
    out.metric("all.groups", groups)
        .metric(
            "all.members",
            reports.iter().map(|r| r.costs.dissemination.tree.member.iter().filter(|&&m| m).count()).sum::<usize>()
                as f64,
        )
        .metric("all.forwarders", reports.iter().map(|r| f64::from(r.costs.forwarders)).sum())
        .metric("all.depth_max", reports.iter().map(|r| r.costs.depth).max().map_or(0.0, f64::from))
        .metric("all.depth_mean", reports.iter().map(|r| f64::from(r.costs.depth)).sum::<f64>() / groups)
        .metric(
            "all.delay_mean",
            reports.iter().map(|r| r.costs.delay_mean * f64::from(r.costs.receivers)).sum::<f64>()
                / f64::from(receivers.max(1)),
        )
        .metric("all.node_stress_max", f64::from(forwarding.iter().copied().max().unwrap_or(0)))
        .metric(
            "all.node_stress_mean",
            forwarding.iter().map(|&k| f64::from(k)).sum::<f64>() / forwarding.len().max(1) as f64,
        );
    stretch_outcome("all", &stretch, out);
    if reports.iter().any(|r| r.joins.is_some()) {
        out.metric("all.members_missed", reports.iter().map(|r| f64::from(r.costs.missed)).sum());
    }
    let (mut rad, mut rmd): (Vec<f64>, Vec<f64>) = reports.iter().filter_map(|r| r.costs.delay_ratios()).unzip();
    for (name, ratios) in [("rad", &mut rad), ("rmd", &mut rmd)] {
        ratios.sort_unstable_by(f64::total_cmp);
        if let Some(&max) = ratios.last() {
            out.metric(&format!("all.{name}_mean"), ratios.iter().sum::<f64>() / ratios.len() as f64)
                .metric(&format!("all.{name}_p50"), quantile(ratios, 0.5))
                .metric(&format!("all.{name}_p90"), quantile(ratios, 0.9))
                .metric(&format!("all.{name}_max"), max);
        }
    }
    let alm = combine(|c| &c.alm);
    let ip = combine(|c| &c.ip);
    loads_outcome("all.", &alm, underlay, bins, out);
    loads_outcome("all.ip.", &ip, underlay, bins, out);
    loads_outcome("all.unicast.", &combine(|c| &c.unicast), underlay, bins, out);
    out.metric("all.usage_ratio_ip", alm.usage(graph) as f64 / ip.usage(graph).max(1) as f64);
}

/// What an ALM run reports (`dissem metrics alm`): `{group}` is a listed group's name, `all` the totals over
/// every group (listed and Zipf) each sending one message; `{link}` (`a-b`) and `{member}` are those the
/// group asks to report.
pub const METRICS: &[MetricDoc] = &[
    MetricDoc::metric(
        "{group}.members",
        "nodes",
        "Members of the group ({group}: a listed group's name, or `all` for the totals over every group).",
        "count of members",
    ),
    MetricDoc::metric(
        "{group}.tree_nodes",
        "nodes",
        "Nodes of the group's dissemination tree.",
        "members + forwarders",
    ),
    MetricDoc::metric(
        "{group}.forwarders",
        "nodes",
        "Tree nodes that are not members (they only forward).",
        "tree nodes − members",
    ),
    MetricDoc::metric("{group}.depth", "hops", "Overlay hops from the root to the deepest member.", "max over members"),
    MetricDoc::metric(
        "{group}.depth_mean",
        "hops",
        "Overlay hops from the root to a member, on average.",
        "mean over members",
    ),
    MetricDoc::metric(
        "{group}.node_stress_max",
        "children",
        "Most copies one node sends (its children in the tree).",
        "max over forwarding nodes of their children",
    ),
    MetricDoc::metric(
        "{group}.node_stress_mean",
        "children",
        "Copies a forwarding node sends, on average.",
        "mean over nodes with children of their children",
    ),
    MetricDoc::metric(
        "{group}.link_stress_max",
        "copies",
        "Most copies of the message crossing one underlay link.",
        "max over links of the copies crossing it",
    ),
    MetricDoc::metric("{group}.link_stress_mean", "copies", "Copies per used underlay link.", "Σ copies / links used"),
    MetricDoc::metric("{group}.links_used", "links", "Underlay links that carry at least one copy.", "count"),
    MetricDoc::metric(
        "{group}.network_usage",
        "time units × copies",
        "Resources the dissemination uses in the underlay.",
        "Σ over links of delay × stress",
    ),
    MetricDoc::distribution(
        "{group}.link_stress_histogram",
        "links",
        "Used links with stress 1, 2, …; the last bin holds stress ≥ histogram_bins.",
        "count of links per stress",
    ),
    MetricDoc::metric(
        "{group}.tree_cost",
        "time units",
        "Σ over overlay tree edges of their unicast delay.",
        "Σ edge delays",
    ),
    MetricDoc::metric(
        "{group}.usage_ratio_ip",
        "ratio",
        "Network usage relative to IP multicast.",
        "network_usage / max(1, ip.network_usage)",
    ),
    MetricDoc::metric(
        "{group}.delay_mean",
        "time units",
        "Delay from the source to a receiver over the tree, on average.",
        "mean over receivers of the overlay path's underlay delay",
    ),
    MetricDoc::metric(
        "{group}.delay_max",
        "time units",
        "Longest delay from the source to a receiver.",
        "max over receivers",
    ),
    MetricDoc::metric(
        "{group}.delay_p50",
        "time units",
        "Median delay from the source to a receiver over the tree (with p90, p99: the delivery delay's \
         distribution).",
        "0.5-quantile over receivers reached",
    ),
    MetricDoc::metric(
        "{group}.delay_p90",
        "time units",
        "90th percentile of the delay.",
        "0.9-quantile over receivers",
    ),
    MetricDoc::metric(
        "{group}.delay_p99",
        "time units",
        "99th percentile of the delay.",
        "0.99-quantile over receivers",
    ),
    MetricDoc::metric(
        "{group}.members_missed",
        "nodes",
        "Timing `events`: receivers the multicast did not reach (their JOIN had not connected them when it \
         passed); they are left out of the delays, stretch, RAD and RMD.",
        "count of members without an arrival",
    ),
    MetricDoc::metric(
        "{group}.join_messages",
        "messages",
        "Timing `events`: JOIN messages sent, members' and forwarders' (each gives its sender a parent).",
        "tree_nodes − 1",
    ),
    MetricDoc::metric(
        "{group}.join_latency_mean",
        "time units",
        "Timing `events`: time from a member sending its JOIN to a tree node adopting the last forwarder, on \
         average over the members that sent one.",
        "mean over joining members of (stop time − send time)",
    ),
    MetricDoc::metric(
        "{group}.join_latency_max",
        "time units",
        "Timing `events`: longest time a member's JOIN took to reach the tree.",
        "max over joining members",
    ),
    MetricDoc::metric(
        "{group}.tree_complete_at",
        "time units",
        "Timing `events`: when the last JOIN stopped.",
        "time of the last adoption",
    ),
    MetricDoc::metric(
        "{group}.multicast_at",
        "time units",
        "Timing `events`: when the source sent the multicast (`multicast_at`, or when the tree was complete).",
        "send time",
    ),
    MetricDoc::metric(
        "{group}.churn_start",
        "time units",
        "Timing `events` with `churn`: when churn began (the tree complete, the first multicast's last copy \
         arrived); churn times count from here.",
        "time of the first multicast's last arrival, or of the tree's completion if later",
    ),
    MetricDoc::metric(
        "{group}.multicasts",
        "multicasts",
        "With `churn`: multicasts the root's role sent after the first (one due while the root was down counts, \
         lost).",
        "churn.multicasts",
    ),
    MetricDoc::metric(
        "{group}.missed_per_multicast_mean",
        "nodes",
        "With `churn`: members up when a later multicast was due (the root aside) that it did not reach, on \
         average over the later multicasts.",
        "mean over later multicasts of (members up − members reached)",
    ),
    MetricDoc::metric(
        "{group}.missed_per_multicast_max",
        "nodes",
        "With `churn`: most members a later multicast missed.",
        "max over later multicasts",
    ),
    MetricDoc::metric(
        "{group}.disconnected_per_multicast_mean",
        "nodes",
        "With `churn`: members up without a chain of live tree nodes to the live root when a later multicast \
         left, on average.",
        "mean over later multicasts of the members cut off at sending",
    ),
    MetricDoc::metric(
        "{group}.unchanged_multicasts",
        "multicasts",
        "With `churn`: later multicasts during which no node failed and no tree edge changed (from sending to \
         their last arrival).",
        "count",
    ),
    MetricDoc::metric(
        "{group}.missed_unchanged",
        "nodes",
        "With `churn`: members missed by the unchanged multicasts, checked to equal those cut off when they left.",
        "Σ over unchanged multicasts of missed members",
    ),
    MetricDoc::metric(
        "{group}.orphans",
        "nodes",
        "With `churn`: live tree nodes that found their parent failed (by a heartbeat timeout) while not \
         already awaiting a repair.",
        "count of orphan episodes",
    ),
    MetricDoc::metric(
        "{group}.repairs",
        "nodes",
        "With `churn`: orphans connected to the live root again before the run ended.",
        "count",
    ),
    MetricDoc::metric(
        "{group}.repair_time_mean",
        "time units",
        "With `churn`: time from a parent's failure to its orphan's being connected to the live root again \
         (with its subtree), on average over repairs.",
        "mean over repairs of (reconnection time − parent's failure time)",
    ),
    MetricDoc::metric("{group}.repair_time_max", "time units", "With `churn`: longest repair.", "max over repairs"),
    MetricDoc::metric(
        "{group}.rejoin_messages",
        "messages",
        "With `churn`: JOIN messages sent after churn began (orphans' re-joins, the forwarders they make, and \
         re-sends after a timeout).",
        "count",
    ),
    MetricDoc::metric(
        "{group}.join_timeouts",
        "timeouts",
        "With `churn`: JOIN hops to a failed node, each costing its sender a timeout.",
        "count",
    ),
    MetricDoc::metric(
        "{group}.root_changes",
        "changes",
        "With `churn`: times the root's role passed to the key's new owner after the root failed.",
        "count",
    ),
    MetricDoc::metric(
        "{group}.join_refusals",
        "messages",
        "With `churn.downtime`: JOIN hops refused by a node named the key's owner while another live node \
         held the root's role (it came back after the role passed on; the sender routes on, as after a \
         timeout).",
        "count",
    ),
    MetricDoc::metric(
        "{group}.returns",
        "nodes",
        "With `churn.downtime`: members that came back from a failure and joined the group again (0 with no \
         failure, checked).",
        "count",
    ),
    MetricDoc::metric(
        "{group}.returns_connected",
        "nodes",
        "With `churn.downtime`: members back from a failure that were connected to the live root again before \
         they failed anew or the run ended.",
        "count",
    ),
    MetricDoc::metric(
        "{group}.return_time_mean",
        "time units",
        "With `churn.downtime`: time from a member's coming back to its being connected to the live root, on \
         average over those connected.",
        "mean over returns connected of (connection time − return time)",
    ),
    MetricDoc::metric(
        "{group}.return_time_max",
        "time units",
        "With `churn.downtime`: longest time a member back from a failure took to be connected.",
        "max over returns connected",
    ),
    MetricDoc::metric(
        "{group}.later_copies",
        "messages",
        "With `churn`: copies of the later multicasts tree nodes forwarded to their children (live or failed).",
        "count",
    ),
    MetricDoc::metric(
        "{group}.copies_to_dead",
        "messages",
        "With `churn`: copies of later multicasts sent to a child that had already failed, before its parent \
         dropped it (wasted traffic); 0 with no failure, and 0 when every failure (session end or scheduled) \
         is found before any later multicast is forwarded (checked).",
        "count of copies whose receiver was down when sent",
    ),
    MetricDoc::metric(
        "{group}.children_dropped",
        "nodes",
        "With `churn`: failed children their parents dropped, having heard no heartbeat from them for a \
         heartbeat period plus the timeout (checked when forwarding a multicast).",
        "count",
    ),
    MetricDoc::metric(
        "{group}.heartbeats_per_node_time",
        "messages / (node × time unit)",
        "With `churn`: heartbeats and their answers per live tree node per time unit.",
        "heartbeat messages / ∫ live tree nodes dt over churn",
    ),
    MetricDoc::metric(
        "{group}.failure_cut",
        "nodes",
        "With `churn.failures`: members connected to the live root just before a scheduled failure that it \
         cut off (they survived, a node above them did not), summed over the failures.",
        "Σ over failures of the members cut off",
    ),
    MetricDoc::metric(
        "{group}.mst_cost",
        "time units",
        "Cost of the cheapest overlay tree over the same nodes (when the group asks for it).",
        "weight of the minimum spanning tree of unicast delays",
    ),
    MetricDoc::metric(
        "{group}.stretch_mean",
        "ratio",
        "Relative delay penalty: overlay delay over unicast delay, receivers not on the source's host.",
        "mean over receivers of overlay delay / unicast delay",
    ),
    MetricDoc::metric("{group}.stretch_max", "ratio", "Largest stretch.", "max over receivers"),
    MetricDoc::metric(
        "{group}.rad",
        "ratio",
        "Relative average delay as Scribe defines it (Castro et al. 2002): the tree's average delay over IP \
         multicast's (= unicast's), when some receiver has a network path.",
        "delay_mean / unicast.delay_mean (a ratio of means; stretch_mean is a mean of ratios)",
    ),
    MetricDoc::metric(
        "{group}.rmd",
        "ratio",
        "Relative maximum delay as Scribe defines it: the tree's largest delay over IP multicast's.",
        "delay_max / unicast.delay_max",
    ),
    MetricDoc::metric("{group}.stretch_p50", "ratio", "Median stretch.", "0.5-quantile over receivers"),
    MetricDoc::metric("{group}.stretch_p90", "ratio", "90th percentile of the stretch.", "0.9-quantile over receivers"),
    MetricDoc::metric(
        "{group}.stretch_p99",
        "ratio",
        "99th percentile of the stretch.",
        "0.99-quantile over receivers",
    ),
    MetricDoc::series(
        "{group}.stretch_quantiles",
        "ratio",
        "Stretch at levels 0, 0.01, …, 1 (a CDF read sideways).",
        "quantile over receivers at each level",
    ),
    MetricDoc::metric("{group}.ip.links_used", "links", "Links of IP multicast's shortest-path tree.", "count"),
    MetricDoc::metric(
        "{group}.ip.link_stress_max",
        "copies",
        "Most copies on one link under IP multicast (1 when any link is used).",
        "max over links",
    ),
    MetricDoc::metric(
        "{group}.ip.network_usage",
        "time units × copies",
        "Network usage of IP multicast.",
        "Σ over the shortest-path tree's links of their delay",
    ),
    MetricDoc::metric(
        "{group}.unicast.link_stress_max",
        "copies",
        "Most copies on one link when the source unicasts to every member.",
        "max over links",
    ),
    MetricDoc::metric(
        "{group}.unicast.link_stress_mean",
        "copies",
        "Copies per used link under unicast.",
        "Σ copies / links used",
    ),
    MetricDoc::metric("{group}.unicast.links_used", "links", "Links used under unicast.", "count"),
    MetricDoc::metric(
        "{group}.unicast.network_usage",
        "time units × copies",
        "Network usage under unicast.",
        "Σ over links of delay × stress",
    ),
    MetricDoc::distribution(
        "{group}.unicast.link_stress_histogram",
        "links",
        "Used links with stress 1, 2, … under unicast; the last bin holds stress ≥ histogram_bins.",
        "count of links per stress",
    ),
    MetricDoc::metric(
        "{group}.unicast.delay_mean",
        "time units",
        "Shortest-path delay from the source to a receiver, on average.",
        "mean over receivers",
    ),
    MetricDoc::metric(
        "{group}.unicast.delay_max",
        "time units",
        "Longest shortest-path delay to a receiver.",
        "max over receivers",
    ),
    MetricDoc::metric(
        "{group}.unicast.source_link_stress",
        "copies",
        "Copies crossing the source's access link under unicast (when the source host has one).",
        "members not on the source's host",
    ),
    MetricDoc::metric(
        "{group}.link_stress.{link}",
        "copies",
        "Copies of the group's message crossing the named link.",
        "stress of link a-b",
    ),
    MetricDoc::metric(
        "{group}.overlay_delay.{member}",
        "time units",
        "Delay from the source to the named member over the tree.",
        "Σ over its overlay path of each hop's shortest-path delay",
    ),
    MetricDoc::metric(
        "{group}.unicast_delay.{member}",
        "time units",
        "Shortest-path delay from the source to the named member.",
        "Dijkstra distance",
    ),
    MetricDoc::metric(
        "{group}.missed.{member}",
        "0/1",
        "Whether the multicast missed the named member (timing events only; a missed member has no delays).",
        "1 if the member's tree branch was not complete when the multicast passed, else 0",
    ),
    MetricDoc::metric(
        "{group}.stretch.{member}",
        "ratio",
        "The named member's stretch (when its unicast delay is not 0).",
        "overlay_delay / unicast_delay",
    ),
    MetricDoc::metric("all.groups", "groups", "Groups, listed and Zipf.", "count"),
    MetricDoc::metric("all.members", "nodes", "Members summed over groups.", "Σ members"),
    MetricDoc::metric("all.forwarders", "nodes", "Forwarders summed over groups.", "Σ forwarders"),
    MetricDoc::metric("all.depth_max", "hops", "Deepest tree.", "max over groups of depth"),
    MetricDoc::metric("all.depth_mean", "hops", "Tree depth, averaged over groups.", "mean over groups of depth"),
    MetricDoc::metric(
        "all.delay_mean",
        "time units",
        "Delay to a receiver over the tree, averaged over every receiver of every group.",
        "Σ_g delay_mean · receivers / Σ receivers",
    ),
    MetricDoc::metric(
        "all.members_missed",
        "nodes",
        "Timing `events`: receivers the multicast missed, summed over groups.",
        "Σ_g members_missed",
    ),
    MetricDoc::metric(
        "all.missed_per_multicast_mean",
        "nodes",
        "With `churn`: members missed per later multicast, over every group's later multicasts.",
        "Σ missed / Σ later multicasts",
    ),
    MetricDoc::metric(
        "all.missed_per_multicast_max",
        "nodes",
        "With `churn`: most members one later multicast of a group missed.",
        "max over groups and later multicasts",
    ),
    MetricDoc::metric("all.orphans", "nodes", "With `churn`: orphans summed over groups.", "Σ_g orphans"),
    MetricDoc::metric("all.repairs", "nodes", "With `churn`: repairs summed over groups.", "Σ_g repairs"),
    MetricDoc::metric(
        "all.repair_time_mean",
        "time units",
        "With `churn`: repair time over every group's repairs.",
        "mean over repairs",
    ),
    MetricDoc::metric("all.repair_time_max", "time units", "With `churn`: longest repair of any group.", "max"),
    MetricDoc::metric(
        "all.rejoin_messages",
        "messages",
        "With `churn`: JOIN messages after churn began, summed over groups.",
        "Σ_g rejoin_messages",
    ),
    MetricDoc::metric("all.returns", "nodes", "With `churn.downtime`: returns summed over groups.", "Σ_g returns"),
    MetricDoc::metric(
        "all.return_time_mean",
        "time units",
        "With `churn.downtime`: time to connection over every group's returned members.",
        "mean over returns connected",
    ),
    MetricDoc::metric(
        "all.return_time_max",
        "time units",
        "With `churn.downtime`: longest time to connection of a returned member of any group.",
        "max",
    ),
    MetricDoc::metric(
        "all.later_copies",
        "messages",
        "With `churn`: copies of later multicasts forwarded, summed over groups.",
        "Σ_g later_copies",
    ),
    MetricDoc::metric(
        "all.copies_to_dead",
        "messages",
        "With `churn`: copies of later multicasts sent to failed children, summed over groups.",
        "Σ_g copies_to_dead",
    ),
    MetricDoc::metric(
        "all.heartbeats_per_node_time",
        "messages / (node × time unit)",
        "With `churn`: heartbeats and answers per live tree node per time unit, over every group's trees.",
        "Σ heartbeat messages / Σ ∫ live tree nodes dt",
    ),
    MetricDoc::metric("all.rad_mean", "ratio", "RAD averaged over groups.", "mean over groups of {group}.rad"),
    MetricDoc::metric("all.rad_p50", "ratio", "Median RAD over groups.", "0.5-quantile over groups of {group}.rad"),
    MetricDoc::metric(
        "all.rad_p90",
        "ratio",
        "90th percentile of RAD over groups (Scribe plots its distribution over groups).",
        "0.9-quantile over groups of {group}.rad",
    ),
    MetricDoc::metric("all.rad_max", "ratio", "Largest RAD of a group.", "max over groups of {group}.rad"),
    MetricDoc::metric("all.rmd_mean", "ratio", "RMD averaged over groups.", "mean over groups of {group}.rmd"),
    MetricDoc::metric("all.rmd_p50", "ratio", "Median RMD over groups.", "0.5-quantile over groups of {group}.rmd"),
    MetricDoc::metric(
        "all.rmd_p90",
        "ratio",
        "90th percentile of RMD over groups (Scribe plots its distribution over groups).",
        "0.9-quantile over groups of {group}.rmd",
    ),
    MetricDoc::metric("all.rmd_max", "ratio", "Largest RMD of a group.", "max over groups of {group}.rmd"),
    MetricDoc::metric(
        "all.node_stress_max",
        "children",
        "Most copies one node sends, children summed over groups.",
        "max over nodes of Σ_g children",
    ),
    MetricDoc::metric(
        "all.node_stress_mean",
        "children",
        "Copies a forwarding node sends, children summed over groups.",
        "mean over nodes with children of Σ_g children",
    ),
    MetricDoc::metric(
        "all.usage_ratio_ip",
        "ratio",
        "Combined network usage relative to IP multicast's.",
        "all.network_usage / max(1, all.ip.network_usage)",
    ),
];

/// Application-level multicast as a [`Model`]: `model.kind = "alm"`.
pub struct Alm;

/// ALM's parameters with the underlay they run on (its distance table is computed once; the overlay, whose
/// identifiers may depend on the run, is built per run).
pub struct PreparedAlm {
    params: AlmParams,
    underlay: Underlay,
}

impl Model for Alm {
    const KIND: &'static str = "alm";
    const ABOUT: &'static str = "Application-level multicast on a router-level underlay, over trees built by \
                                 joins on a structured overlay (Chord by default) or stated explicitly.";
    const METRICS: &'static [MetricDoc] = METRICS;
    type Params = AlmParams;
    type Prepared = PreparedAlm;

    fn check(&self, params: &AlmParams) -> Result<(), ModelError> {
        params.check("")
    }

    fn prepare(&self, params: &AlmParams, env: &Env) -> Result<PreparedAlm, ModelError> {
        let underlay = underlay_of(env)?;
        if matches!(params.timing, AlmTiming::Events(_)) && env.network.loss > 0.0 {
            return Err(ModelError::outside(
                "network.loss",
                "event-driven ALM needs a lossless network: a lost JOIN would leave a member out of the tree",
            ));
        }
        params.validate("", &underlay)?;
        Ok(PreparedAlm { params: params.clone(), underlay })
    }

    fn run(&self, p: &PreparedAlm, seed: u64, run: u64) -> Outcome {
        crate::alm::run(&p.params, &p.underlay, seed, run)
    }

    fn run_traced(&self, p: &PreparedAlm, seed: u64, run: u64, sink: &mut dyn Sink) -> Option<Outcome> {
        Some(crate::alm::run_traced(&p.params, &p.underlay, seed, run, sink))
    }

    /// The underlay's distance table, which dominates, and the overlay; with timing `events`, a group's
    /// engine (its queue holds at most one JOIN per member, its per-tree-node vectors about 40 bytes a node);
    /// with `churn`, the failure schedule (8 bytes a node and 16 a return), the tree as churn began and the
    /// repair state (about 40 bytes a tree node more, and pending heartbeats in the queue).
    fn estimated_bytes(&self, params: &AlmParams, size: &Size) -> u64 {
        let overlay_nodes = if size.hosts > 0 { size.hosts } else { size.nodes };
        let overlay = if params.uses_overlay() { params.overlay.estimated_bytes(overlay_nodes) } else { 0 };
        let engine = match params.timing {
            AlmTiming::Static => 0,
            AlmTiming::Events(EventParams { churn: None, .. }) => overlay_nodes.saturating_mul(64),
            // With `downtime`, each return adds two schedule times and a tree node of the same size.
            AlmTiming::Events(EventParams { churn: Some(ref c), .. }) => overlay_nodes
                .saturating_mul(64 + 8 + 96)
                .saturating_add((overlay_nodes as f64 * c.returns_per_node() * (16.0 + 96.0)) as u64),
        };
        underlay_bytes(size).saturating_add(overlay).saturating_add(engine)
    }
}

#[cfg(test)]
mod tests;
