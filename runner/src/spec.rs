//! The scenario file format: what to simulate, on which topology and network, how often, with which seed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sim_core::topology::generators::TransitStubParams;

use crate::tagged::{Variant, body, tagged};

/// Implements `Deserialize` for a `kind`-tagged enum of newtype variants with precise error paths.
/// The tags must match the enum's `#[serde(rename_all = "snake_case")]` names (a round-trip test checks).
macro_rules! kind_tagged {
    ($ty:ident { $($tag:literal => $variant:ident),+ $(,)? }) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                const VARIANTS: &[Variant<$ty>] = &[$(($tag, |m| body(m).map($ty::$variant))),+];
                tagged(d, VARIANTS)
            }
        }
    };
}

/// Most replicates a scenario or a sweep point may ask for: a run keeps every replicate's outcome, and a
/// sweep above this many runs needs `--force` anyway.
pub const MAX_REPLICATES: u32 = 100_000;

/// Largest seed: 2^53 − 1, so that every seed dissem reads or writes (scenarios, `runs.jsonl`, `summary.csv`,
/// `result.json`) survives readers that hold JSON numbers as doubles (JavaScript, jq, pandas) unchanged.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// Largest mean of an exponential latency: a sample reaches at most 37 times the mean (the largest value of
/// -ln(u) for a 53-bit uniform u), so every delay stays below 2^32 like every other latency.
pub const MAX_EXPONENTIAL_MEAN: f64 = 1e8;

/// A complete scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name used in reports; defaults to the file name.
    #[serde(default)]
    pub name: String,
    /// Free text saying what the scenario shows (shown nowhere else; for the reader of the file).
    #[serde(default)]
    pub description: String,
    /// Seed of every random stream of the scenario; replicate r draws from stream (seed, r).
    #[serde(default = "default_seed")]
    #[schemars(range(max = MAX_SEED))]
    pub seed: u64,
    /// Number of independent runs.
    #[serde(default = "default_replicates")]
    #[schemars(range(min = 1, max = MAX_REPLICATES))]
    pub replicates: u32,
    /// The graph the protocol runs on.
    pub topology: TopologySpec,
    /// Link latency and loss (default: every message takes 1 time unit, none is lost).
    #[serde(default)]
    pub network: NetworkSpec,
    /// The protocol and its parameters (`dissem metrics MODEL` lists what it reports).
    pub model: ModelSpec,
}

fn default_seed() -> u64 {
    1
}

fn default_replicates() -> u32 {
    1
}

/// The graph the protocol runs on.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TopologySpec {
    /// Every node linked to every other (implicit: no edges are stored).
    Complete(NodesSpec),
    /// A cycle 0-1-…-(N-1)-0.
    Ring(NodesSpec),
    /// rows × cols lattice; node r·cols + c; `torus` wraps both dimensions.
    Grid(GridSpec),
    /// G(N, p): every pair linked independently with probability p (new graph per replicate).
    ErdosRenyi(ErdosRenyiSpec),
    /// A uniformly chosen simple graph with every degree equal to `degree` (new graph per replicate).
    RandomRegular(RandomRegularSpec),
    /// Preferential attachment: each new node links to m existing nodes (new graph per replicate).
    BarabasiAlbert(BarabasiAlbertSpec),
    /// Ring lattice of degree k with each edge rewired with probability beta (new graph per replicate).
    WattsStrogatz(WattsStrogatzSpec),
    /// GT-ITM-style router-level network (transit and stub domains) with end hosts on stub routers;
    /// edge weights are link delays.
    TransitStub(TransitStubSpec),
    /// An edge-list file: lines `u v [weight]`, `#` comments; path relative to the scenario file.
    EdgeList(EdgeListSpec),
    /// A GraphML file as the Internet Topology Zoo publishes it; path relative to the scenario file.
    Graphml(AttributedFileSpec),
    /// A GML file (Graph Modelling Language) as the Internet Topology Zoo and networkx write it; path relative to
    /// the scenario file.
    Gml(AttributedFileSpec),
    /// An edge list written inline: one `u v [weight]` string per edge.
    Edges(EdgesSpec),
}

kind_tagged!(TopologySpec {
    "complete" => Complete,
    "ring" => Ring,
    "grid" => Grid,
    "erdos_renyi" => ErdosRenyi,
    "random_regular" => RandomRegular,
    "barabasi_albert" => BarabasiAlbert,
    "watts_strogatz" => WattsStrogatz,
    "transit_stub" => TransitStub,
    "edge_list" => EdgeList,
    "graphml" => Graphml,
    "gml" => Gml,
    "edges" => Edges,
});

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodesSpec {
    /// Number of nodes N (a ring needs 3).
    #[schemars(range(min = 2))]
    pub nodes: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    /// Rows of the lattice.
    #[schemars(range(min = 1))]
    pub rows: u32,
    /// Columns of the lattice.
    #[schemars(range(min = 1))]
    pub cols: u32,
    /// Wrap both dimensions (every node then has four neighbours).
    #[serde(default)]
    pub torus: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErdosRenyiSpec {
    /// Number of nodes N.
    #[schemars(range(min = 2))]
    pub nodes: u32,
    /// Edge probability p_edge.
    #[schemars(range(min = 0, max = 1))]
    pub p: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RandomRegularSpec {
    /// Number of nodes N.
    #[schemars(range(min = 2))]
    pub nodes: u32,
    /// Degree of every node, below N; N · degree must be even.
    #[schemars(range(min = 1))]
    pub degree: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BarabasiAlbertSpec {
    /// Number of nodes N.
    #[schemars(range(min = 2))]
    pub nodes: u32,
    /// Links each new node makes to existing nodes, below N.
    #[schemars(range(min = 1))]
    pub m: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WattsStrogatzSpec {
    /// Number of nodes N.
    #[schemars(range(min = 2))]
    pub nodes: u32,
    /// Lattice degree (even, 2 <= k < N).
    #[schemars(range(min = 2))]
    pub k: u32,
    /// Rewiring probability.
    #[schemars(range(min = 0, max = 1))]
    pub beta: f64,
}

/// Transit-stub parameters; the defaults give 5,020 routers (4 transit domains of 5 routers, 10 stub
/// domains of 25 routers per transit router), the size of the Scribe experiments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TransitStubSpec {
    /// Transit domains (the backbone).
    #[schemars(range(min = 1))]
    pub transit_domains: u32,
    /// Routers in each transit domain.
    #[schemars(range(min = 1))]
    pub transit_per_domain: u32,
    /// Stub domains hanging off each transit router.
    #[schemars(range(min = 1))]
    pub stubs_per_transit: u32,
    /// Routers in each stub domain.
    #[schemars(range(min = 1))]
    pub stub_size: u32,
    /// End hosts, each attached to a uniformly chosen stub router.
    pub hosts: u32,
    /// Probability of each extra intra-domain link beyond a spanning tree.
    #[schemars(range(min = 0, max = 1))]
    pub edge_probability: f64,
    /// Delay range [min, max] (uniform integers, 1 <= min <= max) of links inside and between transit domains.
    pub transit_transit_delay: [u32; 2],
    /// Delay range [min, max] of the links between a transit router and its stub domains.
    pub transit_stub_delay: [u32; 2],
    /// Delay range [min, max] of the links inside a stub domain.
    pub stub_stub_delay: [u32; 2],
    /// Delay range [min, max] of the link from a host to its stub router.
    pub host_delay: [u32; 2],
}

impl Default for TransitStubSpec {
    fn default() -> Self {
        let p = TransitStubParams::default();
        let pair = |(min, max): (u32, u32)| [min, max];
        TransitStubSpec {
            transit_domains: p.transit_domains,
            transit_per_domain: p.transit_per_domain,
            stubs_per_transit: p.stubs_per_transit,
            stub_size: p.stub_size,
            hosts: p.hosts,
            edge_probability: p.edge_probability,
            transit_transit_delay: pair(p.transit_transit_delay),
            transit_stub_delay: pair(p.transit_stub_delay),
            stub_stub_delay: pair(p.stub_stub_delay),
            host_delay: pair(p.host_delay),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EdgeListSpec {
    /// The file, relative to the scenario file.
    pub path: String,
    /// End hosts of the underlay by node name (for Chord and ALM); default: every node.
    #[serde(default)]
    pub hosts: Vec<String>,
}

/// Edge weights of a GraphML or GML topology.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkWeightsSpec {
    /// Every link has weight 1.
    #[default]
    Hops,
    /// Propagation delay in microseconds from the nodes' Latitude/Longitude (files must carry them).
    Distance,
}

/// A file whose nodes carry attributes, coordinates among them (GraphML, GML).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributedFileSpec {
    /// The file, relative to the scenario file.
    pub path: String,
    /// Edge weights: `hops` (every link 1) or `distance` (propagation delay from the coordinates).
    #[serde(default)]
    pub weights: LinkWeightsSpec,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EdgesSpec {
    /// One `u v [weight]` per entry; node names are labels.
    pub edges: Vec<String>,
    /// End hosts of the underlay by node name (for Chord and ALM); default: every node.
    #[serde(default)]
    pub hosts: Vec<String>,
}

/// Link latency and loss.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Time a message takes on a link (default: constant 1).
    #[serde(default)]
    pub latency: LatencySpec,
    /// Probability that a message is lost.
    #[serde(default)]
    #[schemars(range(min = 0, max = 1))]
    pub loss: f64,
}

/// Distribution of the time a message takes on a link (integer time units). Every latency is below 2^32, as
/// edge weights are, so that no sum of delays along a path can overflow the clock.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LatencySpec {
    /// Every message takes `value` time units.
    Constant(ConstantLatency),
    /// Uniform on the integers min..=max.
    Uniform(UniformLatency),
    /// Exponential with the given mean, rounded up.
    Exponential(ExponentialLatency),
    /// The weight of the edge crossed, from the topology.
    EdgeWeight(Empty),
}

kind_tagged!(LatencySpec {
    "constant" => Constant,
    "uniform" => Uniform,
    "exponential" => Exponential,
    "edge_weight" => EdgeWeight,
});

impl Default for LatencySpec {
    fn default() -> Self {
        LatencySpec::Constant(ConstantLatency { value: 1 })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConstantLatency {
    /// The delay, in time units.
    pub value: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UniformLatency {
    /// Smallest delay, in time units.
    pub min: u32,
    /// Largest delay, at least `min`.
    pub max: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExponentialLatency {
    /// Mean delay, positive and at most 10^8.
    #[schemars(range(max = MAX_EXPONENTIAL_MEAN), extend("exclusiveMinimum" = 0))]
    pub mean: f64,
}

/// A variant without parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// The protocol and its parameters: `kind` names a model of the [`crate::Registry`], the other fields are
/// that model's parameters. Parsing a scenario checks them against the model and writes them back with
/// every default filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    pub kind: String,
    pub params: Map<String, Value>,
}

impl Serialize for ModelSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.params.len() + 1))?;
        map.serialize_entry("kind", &self.kind)?;
        for (k, v) in &self.params {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ModelSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (kind, params) =
            crate::tagged::split_kind(d, &|| "the name of a model (`dissem schema` lists them)".into())?;
        Ok(ModelSpec { kind, params })
    }
}

/// Which kinds exist depends on the registry; [`crate::Registry::schema`] lists them.
impl JsonSchema for ModelSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ModelSpec".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_round_trips() {
        let specs = [TopologySpec::Complete(NodesSpec { nodes: 3 }), TopologySpec::Ring(NodesSpec { nodes: 3 })];
        for s in specs {
            let v = serde_json::to_value(&s).unwrap();
            assert_eq!(serde_json::from_value::<TopologySpec>(v).unwrap(), s);
        }
        let lat = [
            LatencySpec::default(),
            LatencySpec::Uniform(UniformLatency { min: 1, max: 2 }),
            LatencySpec::Exponential(ExponentialLatency { mean: 2.0 }),
            LatencySpec::EdgeWeight(Empty {}),
        ];
        for s in lat {
            let v = serde_json::to_value(&s).unwrap();
            assert_eq!(serde_json::from_value::<LatencySpec>(v).unwrap(), s);
        }
    }
}
