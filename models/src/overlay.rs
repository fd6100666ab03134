//! Structured overlays as the protocols built on them see them: nodes with identifiers on an m-bit circle,
//! every key owned by one node (its *root*), and messages for a key routed hop by hop until they reach it.
//!
//! [`StructuredOverlay`] is that contract. Its routing follows the common API for structured overlays
//! (Dabek, Zhao, Druschel, Kubiatowicz, Stoica, IPTPS 2003): a node knows the next hop towards a key's root,
//! and every node a message reaches on its way is told (the `forward` upcall) and may stop it there. That is
//! all application-level multicast needs to build a tree the Scribe way — a JOIN routed towards the group's
//! root stops at the first node already in the tree — so ALM works on any implementation: Chord's converged
//! ring today ([`crate::chord::Ring`]), a proximity-aware Chord or a Pastry-like prefix-routing overlay
//! tomorrow. [`crate::overlays`] lists the implementations a scenario can name.
//!
//! Also here, shared by every overlay on an identifier circle: the circle's arithmetic ([`IdSpace`]), how
//! nodes get their identifiers ([`IdAssignment`], [`check_ids`], [`node_ids`]), what they are placed on
//! ([`Nodes`]: bare nodes, or the hosts of a sim-core [`Underlay`]), and the underlay of a model's
//! environment ([`underlay_of`]), whose errors become [`ModelError`]s here.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::rng::{Lane, Rng, SimRng, mix64, partial_shuffle, stream};
use sim_core::topology::Topology;
use sim_core::underlay::{Underlay, UnderlayError};

use crate::model::{Env, Size};
use crate::{ModelError, join};

/// A structured overlay with converged routing state: nodes `0..len()` (numbered as the [`Nodes`] it was built
/// on), keys in [`StructuredOverlay::key_space`], each key owned by its root.
///
/// An implementation states the root of a key and the next hop of a message at any node; a message-driven
/// protocol asks for one hop per message. [`StructuredOverlay::route_with`] follows those hops and may be
/// overridden by a faster walk over the implementation's own state, visiting the same nodes.
pub trait StructuredOverlay: Send + Sync {
    /// Number of overlay nodes.
    fn len(&self) -> u32;

    /// Whether the overlay has no nodes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The identifier circle of keys (and node identifiers).
    fn key_space(&self) -> IdSpace;

    /// The node responsible for `key` (Chord: its successor).
    fn root(&self, key: u64) -> u32;

    /// Where node `v` sends a message for `key`: the next overlay hop, or `None` when `v` is the root of `key`.
    /// Following the hops from any node reaches the root.
    fn next_hop(&self, v: u32, key: u64) -> Option<u32>;

    /// Routes a message for `key` from node `from`: calls `forward(v)` at every node `v` the message reaches
    /// after `from`, in order, until it has reached `root(key)` or `forward` returns
    /// [`ControlFlow::Break`]. `forward` is never called when `from` is the root.
    #[inline]
    fn route_with(&self, from: u32, key: u64, mut forward: impl FnMut(u32) -> ControlFlow<()>) {
        let mut v = from;
        while let Some(next) = self.next_hop(v, key) {
            if forward(next).is_break() {
                return;
            }
            v = next;
        }
    }

    /// The route of a message for `key` from `from` to `root(key)`, both included, into `path`.
    fn route(&self, from: u32, key: u64, path: &mut Vec<u32>) {
        path.clear();
        path.push(from);
        self.route_with(from, key, |v| {
            path.push(v);
            ControlFlow::Continue(())
        });
    }
}

/// Largest identifier length.
pub const MAX_BITS: u32 = 64;

/// The identifier circle Z mod 2^m of node ids and keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdSpace {
    bits: u32,
    mask: u64,
}

impl IdSpace {
    /// The circle of `bits`-bit identifiers; `bits` must be in 1..=64.
    pub fn new(bits: u32) -> Self {
        assert!((1..=MAX_BITS).contains(&bits), "identifier bits must be in 1..=64, got {bits}");
        let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
        IdSpace { bits, mask }
    }

    /// Identifier length m.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Number of identifiers, 2^m.
    pub fn size(&self) -> u128 {
        1u128 << self.bits
    }

    /// Whether `id` lies below 2^m.
    #[inline]
    pub fn contains(&self, id: u64) -> bool {
        id & self.mask == id
    }

    /// `a + b mod 2^m`.
    #[inline]
    pub fn add(&self, a: u64, b: u64) -> u64 {
        a.wrapping_add(b) & self.mask
    }

    /// Clockwise distance from `from` to `to`, in `0..2^m`.
    #[inline]
    pub fn distance(&self, from: u64, to: u64) -> u64 {
        to.wrapping_sub(from) & self.mask
    }

    /// `x ∈ (a, b)` on the circle; `(a, a)` is the whole circle except `a`.
    #[inline]
    pub fn in_open(&self, a: u64, b: u64, x: u64) -> bool {
        let d = self.distance(a, x);
        d != 0 && (a == b || d < self.distance(a, b))
    }

    /// `x ∈ (a, b]` on the circle; `(a, a]` is the whole circle.
    #[inline]
    pub fn in_half_open(&self, a: u64, b: u64, x: u64) -> bool {
        let d = self.distance(a, x);
        a == b || (d != 0 && d <= self.distance(a, b))
    }

    /// A uniform identifier.
    #[inline]
    pub fn random(&self, rng: &mut SimRng) -> u64 {
        rng.next_u64() & self.mask
    }

    /// Identifier of a name: 64-bit FNV-1a over its UTF-8 bytes, mixed by the SplitMix64 finaliser (FNV alone
    /// leaves similar names close together), keeping the top m bits. Stands in for the papers' SHA-1.
    pub fn hash(&self, name: &str) -> u64 {
        let fnv =
            name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
        mix64(fnv) >> (64 - self.bits)
    }
}

/// How nodes get their identifiers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdAssignment {
    /// Distinct uniform identifiers from the placement stream of the seed.
    #[default]
    Random,
    /// [`IdSpace::hash`] of the node's name (its host's label); independent of the seed. Fails on a collision,
    /// so use enough bits (N²/2^(m+1) is the expected number of colliding pairs).
    Hashed,
}

/// What an overlay's nodes are: bare nodes, or nodes placed on an underlay's hosts (which gives them names and
/// delays). Node v of the overlay is node v here.
#[derive(Clone, Copy, Debug)]
pub enum Nodes<'a> {
    /// This many nodes without an underlay, named `n0`, `n1`, …
    Bare(u32),
    /// One node per host of the underlay, named after its host.
    Hosts(&'a Underlay),
}

impl Nodes<'_> {
    /// Number of nodes.
    pub fn len(&self) -> u32 {
        match self {
            Nodes::Bare(n) => *n,
            Nodes::Hosts(u) => u.len(),
        }
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name hashed ids are taken from: the host's name, or `n<index>` for bare nodes.
    pub fn name(&self, v: u32) -> String {
        match self {
            Nodes::Bare(_) => format!("n{v}"),
            Nodes::Hosts(u) => u.node_name(v),
        }
    }

    /// The underlay the nodes are placed on, if any.
    pub fn underlay(&self) -> Option<&Underlay> {
        match self {
            Nodes::Bare(_) => None,
            Nodes::Hosts(u) => Some(u),
        }
    }
}

/// Checks that `nodes` get distinct `bits`-bit identifiers by `ids`: the length is in 1..=64, the circle holds
/// them all and, for hashed ids, no two names collide. Errors name `<prefix>.bits` or `<prefix>.ids`.
pub fn check_ids(prefix: &str, bits: u32, ids: IdAssignment, nodes: Nodes<'_>) -> Result<(), ModelError> {
    check_bits(prefix, bits)?;
    let n = nodes.len();
    if n == 0 {
        return Err(ModelError::topology("the overlay has no nodes"));
    }
    if u128::from(n) > IdSpace::new(bits).size() {
        return Err(ModelError::new(join(prefix, "bits"), format!("{n} nodes do not fit in 2^{bits} identifiers")));
    }
    if ids == IdAssignment::Hashed {
        hashed_ids(prefix, IdSpace::new(bits), nodes)?;
    }
    Ok(())
}

/// Checks that identifiers of `bits` bits can be drawn: 1 to 64. Errors name `<prefix>.bits`.
pub fn check_bits(prefix: &str, bits: u32) -> Result<(), ModelError> {
    if (1..=MAX_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(ModelError::new(join(prefix, "bits"), format!("must be in 1..=64, got {bits}")))
    }
}

/// Node identifiers, one per node of `nodes`, as [`check_ids`] accepted them. Random ids come from the
/// placement stream of (seed, run).
///
/// # Panics
/// If [`check_ids`] refuses the same arguments.
pub fn node_ids(space: IdSpace, ids: IdAssignment, nodes: Nodes<'_>, seed: u64, run: u64) -> Vec<u64> {
    match ids {
        IdAssignment::Random => random_ids(space, nodes.len(), &mut stream(seed, run, Lane::Placement)),
        IdAssignment::Hashed => hashed_ids("", space, nodes).expect("hashed ids checked by check_ids"),
    }
}

fn hashed_ids(prefix: &str, space: IdSpace, nodes: Nodes<'_>) -> Result<Vec<u64>, ModelError> {
    let ids: Vec<u64> = (0..nodes.len()).map(|v| space.hash(&nodes.name(v))).collect();
    let mut sorted: Vec<(u64, u32)> = ids.iter().zip(0..).map(|(&id, v)| (id, v)).collect();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(ModelError::new(
            join(prefix, "ids"),
            format!(
                "nodes {} and {} hash to the same {}-bit identifier {}; use more bits or random ids",
                nodes.name(w[0].1),
                nodes.name(w[1].1),
                space.bits(),
                w[0].0
            ),
        ));
    }
    Ok(ids)
}

/// `n` distinct uniform identifiers in draw order (so node v's id is independent of the others' order).
/// Dense circles (2^m ≤ 4n, 2^m < 2^32) take a partial Fisher–Yates shuffle of the whole circle; sparse ones redraw
/// duplicates, which costs fewer than n/3 extra draws.
pub fn random_ids(space: IdSpace, n: u32, rng: &mut SimRng) -> Vec<u64> {
    let size = space.size();
    assert!(u128::from(n) <= size, "{n} ids do not fit in 2^{}", space.bits());
    if size <= 4 * u128::from(n) && size <= u128::from(u32::MAX) {
        let mut all: Vec<u64> = (0..size as u64).collect();
        partial_shuffle(&mut all, n as usize, rng);
        all.truncate(n as usize);
        return all;
    }
    let mut seen = BTreeSet::new();
    (0..n)
        .map(|_| {
            loop {
                let id = space.random(rng);
                if seen.insert(id) {
                    break id;
                }
            }
        })
        .collect()
}

/// The underlay a model's environment describes: its graph with its hosts (every node when none are named).
/// An implicit complete graph has no underlay.
/// Memory of the underlay [`underlay_of`] builds on a graph of `size`: the u32 distance table from every
/// anchor (distinct router a host hangs off: r·(1 − e^(−h/r)) expected for h hosts on r routers; every node
/// when all are hosts) to every router, and each host's placement.
pub fn underlay_bytes(size: &Size) -> u64 {
    let (routers, anchors) = if size.hosts == 0 {
        (size.nodes, size.nodes as f64)
    } else {
        let r = size.nodes.saturating_sub(size.hosts).max(1);
        (r, r as f64 * -(-(size.hosts as f64) / r as f64).exp_m1())
    };
    let table = (anchors * routers as f64 * 4.0) as u64; // `as` saturates
    table.saturating_add(size.nodes.saturating_mul(16))
}

pub fn underlay_of(env: &Env) -> Result<Underlay, ModelError> {
    let Topology::Graph(graph) = &*env.topology else {
        return Err(ModelError::outside(
            "topology.kind",
            "this model needs a router-level graph (transit_stub, edge_list, graphml, edges, ...), not an implicit \
             complete graph",
        ));
    };
    let hosts = if env.hosts.is_empty() { (0..graph.node_count()).collect() } else { env.hosts.to_vec() };
    Ok(Underlay::new(Arc::clone(graph), hosts)?)
}

/// An underlay that cannot be built is an error in the scenario's hosts or in its topology.
impl From<UnderlayError> for ModelError {
    fn from(e: UnderlayError) -> Self {
        if e.is_about_hosts() {
            ModelError::outside("topology.hosts", e.to_string())
        } else {
            ModelError::topology(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_arithmetic_wraps_at_64_bits() {
        let s = IdSpace::new(64);
        assert_eq!(s.add(u64::MAX, 2), 1);
        assert_eq!(s.distance(u64::MAX, 1), 2);
        assert!(s.in_open(u64::MAX - 1, 3, 0));
        assert!(!s.in_open(u64::MAX - 1, 3, 3));
        assert!(s.in_half_open(u64::MAX - 1, 3, 3));
        assert_eq!(s.add(u64::MAX, 1 << 63), (1u64 << 63) - 1);
        assert!(s.contains(u64::MAX));
        let s5 = IdSpace::new(5);
        assert_eq!(s5.add(30, 5), 3);
        assert!(s5.in_open(7, 7, 8) && !s5.in_open(7, 7, 7) && s5.in_half_open(7, 7, 7));
        assert!(s5.contains(31) && !s5.contains(32));
    }

    #[test]
    fn hashed_ids_are_stable_and_use_the_top_bits() {
        let s = IdSpace::new(64);
        assert_eq!(s.hash("A"), s.hash("A"));
        assert_ne!(s.hash("A"), s.hash("B"));
        assert_eq!(IdSpace::new(10).hash("node-17"), s.hash("node-17") >> 54);
    }

    #[test]
    fn dense_random_ids_fill_the_circle() {
        let space = IdSpace::new(4);
        let mut ids = random_ids(space, 16, &mut stream(3, 0, Lane::Placement));
        ids.sort_unstable();
        assert_eq!(ids, (0..16).collect::<Vec<_>>());
    }

    #[test]
    fn identifier_errors_name_the_field() {
        let e = check_ids("overlay", 0, IdAssignment::Random, Nodes::Bare(4)).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("overlay.bits", "must be in 1..=64, got 0"));
        let e = check_ids("overlay", 2, IdAssignment::Random, Nodes::Bare(5)).unwrap_err();
        assert_eq!(e.message, "5 nodes do not fit in 2^2 identifiers");
        // 16 names fill a 4-bit circle only if their hashes form a permutation (probability 16!/16^16).
        let e = check_ids("overlay", 4, IdAssignment::Hashed, Nodes::Bare(16)).unwrap_err();
        assert_eq!(e.field, "overlay.ids");
        assert!(e.message.contains("hash to the same 4-bit identifier"), "{e}");
        assert!(check_ids("overlay", 64, IdAssignment::Hashed, Nodes::Bare(40)).is_ok());
        assert_eq!(
            node_ids(IdSpace::new(64), IdAssignment::Hashed, Nodes::Bare(3), 1, 0),
            node_ids(IdSpace::new(64), IdAssignment::Hashed, Nodes::Bare(3), 2, 5)
        );
    }

    #[test]
    fn underlay_errors_name_hosts_or_topology() {
        use sim_core::network::Network;
        use sim_core::topology::GraphBuilder;
        let e = underlay_of(&Env::new(Topology::complete(4).unwrap(), Network::default())).unwrap_err();
        assert_eq!((e.field.as_str(), e.outside), ("topology.kind", true));
        let mut b = GraphBuilder::new(4);
        b.weighted_edge(0, 1, 1).weighted_edge(2, 3, 1);
        let mut env = Env::new(b.build().unwrap().into(), Network::default());
        let e = underlay_of(&env).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("topology", "hosts at 0 and 2 are not connected"));
        env.hosts = Arc::from([7]);
        let e = underlay_of(&env).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("topology.hosts", "host 7 is not a node of the 4-node graph")
        );
    }
}
