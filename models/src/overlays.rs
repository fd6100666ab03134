//! The structured overlays a scenario can name, as `{"kind": "chord", ...}` objects.
//!
//! This is the only module that knows which overlays exist. Adding one — a proximity-aware Chord, a Pastry-like
//! prefix-routing overlay — is its own module implementing [`StructuredOverlay`] plus one variant in each enum
//! here (its parameters, their check, how to build it, its memory, and the built overlay); what runs on
//! overlays (application-level multicast) is not touched. The built overlay is an enum rather than a trait
//! object so that a route's per-hop callback is inlined into the implementation's walk: tree building at the
//! Scribe scale runs millions of hops.

use std::ops::ControlFlow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::chord::{Hop, Ring, RingParams};
use crate::overlay::{IdSpace, Nodes, StructuredOverlay};

/// Which structured overlay to build, and its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", expecting = "an object such as {\"kind\": \"chord\", \"bits\": 32}")]
pub enum OverlayParams {
    /// Chord's converged ring (Stoica et al. 2001): the root of a key is its successor, messages follow fingers
    /// (optionally chosen by proximity: `candidates`, `candidate_scope`, `route`; optionally delivered from
    /// successor lists: `successor_list`).
    Chord(RingParams),
}

impl Default for OverlayParams {
    fn default() -> Self {
        OverlayParams::Chord(RingParams::default())
    }
}

impl OverlayParams {
    /// Checks the parameters for an overlay on `nodes`; errors name fields within `prefix`.
    pub fn validate(&self, prefix: &str, nodes: Nodes<'_>) -> Result<(), ModelError> {
        match self {
            OverlayParams::Chord(ring) => ring.validate(prefix, nodes),
        }
    }

    /// The checks of [`OverlayParams::validate`] that need no nodes; errors name fields within `prefix`.
    pub fn check(&self, prefix: &str) -> Result<(), ModelError> {
        match self {
            OverlayParams::Chord(ring) => ring.check(prefix),
        }
    }

    /// The identifier circle of keys.
    ///
    /// # Panics
    /// Unless [`OverlayParams::validate`] accepted the parameters.
    pub fn key_space(&self) -> IdSpace {
        match self {
            OverlayParams::Chord(ring) => ring.space(),
        }
    }

    /// The converged overlay on `nodes` for run `run` of `seed` (placement draws come from its placement
    /// stream).
    ///
    /// # Panics
    /// Unless [`OverlayParams::validate`] accepted the parameters for these nodes.
    pub fn build(&self, nodes: Nodes<'_>, seed: u64, run: u64) -> Overlay {
        match self {
            OverlayParams::Chord(ring) => Overlay::Chord(ring.ring(nodes, seed, run)),
        }
    }

    /// Memory of the built overlay on `nodes` nodes.
    pub fn estimated_bytes(&self, nodes: u64) -> u64 {
        match self {
            OverlayParams::Chord(ring) => ring.estimated_bytes(nodes),
        }
    }
}

/// A built overlay of one of the kinds [`OverlayParams`] names.
#[derive(Clone, Debug)]
pub enum Overlay {
    /// A converged Chord ring.
    Chord(Ring),
}

impl Overlay {
    /// The next hop of node `v` towards `key` once `v` has found the nodes `silent` names not answering
    /// (Chord: [`Ring::hop_around`] with a successor list of `successors` entries): `Owner(u)` when `v`'s
    /// tables name `u` (possibly `v` itself) as the key's owner, `Closer(u)` for a node nearer the key, `None`
    /// when no entry it trusts makes progress.
    pub(crate) fn next_hop_around(
        &self,
        v: u32,
        key: u64,
        successors: u32,
        silent: impl Fn(u32) -> bool,
    ) -> Option<Hop<u32>> {
        match self {
            Overlay::Chord(ring) => {
                let hop = ring.hop_around(ring.position(v), key, successors, |p| silent(ring.node(p)))?;
                Some(match hop {
                    Hop::Owner(p) => Hop::Owner(ring.node(p)),
                    Hop::Closer(p) => Hop::Closer(ring.node(p)),
                })
            }
        }
    }
}

impl StructuredOverlay for Overlay {
    fn len(&self) -> u32 {
        match self {
            Overlay::Chord(ring) => StructuredOverlay::len(ring),
        }
    }

    fn key_space(&self) -> IdSpace {
        match self {
            Overlay::Chord(ring) => ring.key_space(),
        }
    }

    #[inline]
    fn root(&self, key: u64) -> u32 {
        match self {
            Overlay::Chord(ring) => ring.root(key),
        }
    }

    #[inline]
    fn next_hop(&self, v: u32, key: u64) -> Option<u32> {
        match self {
            Overlay::Chord(ring) => ring.next_hop(v, key),
        }
    }

    #[inline]
    fn route_with(&self, from: u32, key: u64, forward: impl FnMut(u32) -> ControlFlow<()>) {
        match self {
            Overlay::Chord(ring) => ring.route_with(from, key, forward),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::IdAssignment;

    #[test]
    fn overlays_read_from_kind_tagged_objects() {
        let chord: OverlayParams = serde_json::from_str(r#"{"kind": "chord", "bits": 64, "ids": "hashed"}"#).unwrap();
        assert_eq!(
            chord,
            OverlayParams::Chord(RingParams { bits: 64, ids: IdAssignment::Hashed, ..RingParams::default() })
        );
        assert_eq!(
            serde_json::to_value(&chord).unwrap(),
            serde_json::json!({"kind": "chord", "bits": 64, "ids": "hashed"})
        );
        let default: OverlayParams = serde_json::from_str(r#"{"kind": "chord"}"#).unwrap();
        assert_eq!(default, OverlayParams::default());
        for bad in [r#"{"kind": "pastry"}"#, r#"{"kind": "chord", "bitz": 3}"#, r#"{"bits": 3}"#] {
            assert!(serde_json::from_str::<OverlayParams>(bad).is_err(), "{bad}");
        }
        let e = serde_json::from_str::<OverlayParams>(r#""chord""#).unwrap_err().to_string();
        assert!(e.contains(r#"expected an object such as {"kind": "chord", "bits": 32}"#), "{e}");
    }

    #[test]
    fn built_overlays_route_to_the_root_of_a_key() {
        let params = OverlayParams::Chord(RingParams { bits: 16, ids: IdAssignment::Random, ..RingParams::default() });
        params.validate("overlay", Nodes::Bare(50)).unwrap();
        let overlay = params.build(Nodes::Bare(50), 4, 0);
        assert_eq!((overlay.len(), overlay.key_space()), (50, IdSpace::new(16)));
        let mut path = Vec::new();
        for key in [0, 77, 40_000, 65_535] {
            overlay.route(3, key, &mut path);
            assert_eq!((path[0], *path.last().unwrap()), (3, overlay.root(key)));
            // Hop by hop, the same nodes.
            let mut v = 3;
            for &next in &path[1..] {
                assert_eq!(overlay.next_hop(v, key), Some(next));
                v = next;
            }
            assert_eq!(overlay.next_hop(v, key), None);
        }
        let e = OverlayParams::Chord(RingParams { bits: 65, ids: IdAssignment::Random, ..RingParams::default() })
            .validate("overlay", Nodes::Bare(5))
            .unwrap_err();
        assert_eq!(e.field, "overlay.bits");
    }
}
