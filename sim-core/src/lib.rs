//! sim-core: the deterministic simulation kernel of dissem.
//!
//! Owns integer simulation time, the event queue ordered by (time, insertion sequence), the
//! discrete-event engine and the synchronous-round driver, seeded ChaCha8 random streams, the network
//! model (latency, loss, counters), topologies (implicit complete graph, CSR graphs, generators, file
//! parsers), shortest paths, and underlays (end hosts on routers with their unicast delays and paths, on
//! which overlays are placed). It must not depend on any protocol, on JSON, on files or on plotting:
//! parsers take text, never paths, and nothing here prints or exits.

pub mod atomic;
pub mod bitset;
pub mod engine;
pub mod network;
pub mod pages;
pub mod paths;
pub mod prefetch;
pub mod queue;
pub mod rng;
pub mod rounds;
pub mod stats;
pub mod topology;
pub mod trace;
pub mod underlay;

/// Simulation time: an integer number of time units.
pub type Time = u64;
/// A node is an index into per-node vectors.
pub type NodeId = u32;

/// Why a topology could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TopologyError {
    #[error("a topology needs at least 2 nodes, got {nodes}")]
    TooFewNodes { nodes: u64 },
    #[error("node {node} is out of range for {nodes} nodes")]
    NodeOutOfRange { node: u64, nodes: u64 },
    #[error("{0}")]
    Invalid(String),
    /// A generator parameter outside its allowed range; `message` names the parameter and the range.
    #[error("{generator}: {message}")]
    Parameter { generator: &'static str, parameter: &'static str, message: String },
    #[error("line {line}: {message}")]
    Parse { line: usize, message: String },
}
