//! The scenario file format: what to simulate, on which topology and network, how often, with which seed.

use models::flooding::FloodingParams;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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

/// A complete scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name used in reports; defaults to the file name.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Seed of every random stream of the scenario; replicate r draws from stream (seed, r).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Number of independent runs.
    #[serde(default = "default_replicates")]
    pub replicates: u32,
    pub topology: TopologySpec,
    #[serde(default)]
    pub network: NetworkSpec,
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
}

kind_tagged!(TopologySpec { "complete" => Complete, "ring" => Ring });

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodesSpec {
    pub nodes: u32,
}

/// Link latency and loss.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    #[serde(default)]
    pub latency: LatencySpec,
    /// Probability that a message is lost.
    #[serde(default)]
    pub loss: f64,
}

/// Distribution of the time a message takes on a link (integer time units).
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LatencySpec {
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
    pub value: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UniformLatency {
    pub min: u64,
    pub max: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExponentialLatency {
    pub mean: f64,
}

/// A variant without parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// The protocol and its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelSpec {
    /// Flooding: full, probabilistic, degree-dependent or GOSSIP1(p, k).
    Flooding(FloodingParams),
}

kind_tagged!(ModelSpec { "flooding" => Flooding });

impl ModelSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            ModelSpec::Flooding(_) => "flooding",
        }
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
        let m = ModelSpec::Flooding(FloodingParams::default());
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(serde_json::from_value::<ModelSpec>(v).unwrap(), m);
    }
}
