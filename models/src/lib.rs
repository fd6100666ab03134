//! models: the dissemination protocols dissem simulates, each with its metrics and analytic formulas.
//!
//! Owns flooding (full, probabilistic, degree-dependent, GOSSIP1), the gossip harness that runs a gossip
//! protocol's one rule in synchronous rounds or event-driven (public, for protocols from other crates),
//! the epidemic protocols on it (anti-entropy, rumor spreading, death certificates, gossip aggregation)
//! with their analytic formulas as pure functions, the structured-overlay contract (`overlay`:
//! identifiers, the root of a key, routes) and the overlays scenarios can name (`overlays`), Chord (finger
//! tables, lookups, churn with stabilisation), and application-level multicast over overlay-built or
//! explicit trees with its underlay costs (link stress, stretch, node stress, against IP multicast and
//! unicast); and the protocol parameter types (serde-derivable so that scenario files can name them). Runs
//! on top of sim-core's engine, rounds, topologies, underlays and random streams, and uses rayon only
//! where results are collected in a fixed order. It must not depend on scenario files, JSON text, the file
//! system, reports or plotting; it never prints.
//!
//! Module dependencies point one way: `overlay` ← `chord` ← `overlays` ← `alm` (and `overlay` ← `alm`):
//! ALM knows overlays only through the `StructuredOverlay` trait and the `overlays` list.

pub mod alm;
pub mod chord;
pub mod epidemic;
pub mod flooding;
pub mod gossip;
pub mod model;
pub mod node_ref;
pub mod outcome;
pub mod overlay;
pub mod overlays;
pub mod tagged;

pub use model::{Bound, Env, Model, Progress, Size, Unobserved};
pub use node_ref::NodeRef;
pub use outcome::{Analytic, Check, MetricDoc, ModelError, Outcome, OutputKind, join};

/// Most rounds a run may last (`rounds`, `max_rounds`, `cycles`, churn rounds): every round costs work on
/// every node and adds an entry to the run's series, and round arithmetic stays far from overflowing.
pub const MAX_ROUNDS: u32 = 1_000_000;

/// Most lookups a Chord run measures (on the converged ring, or per churn round).
pub const MAX_LOOKUPS: u32 = 10_000_000;

/// Checks that an integer parameter lies in `lo..=hi`, the range its schema states.
pub fn check_range(field: String, value: u64, lo: u64, hi: u64) -> Result<(), ModelError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(ModelError::new(field, format!("must be from {lo} to {hi}, got {value}")))
    }
}

/// Checks that a probability parameter lies in [0, 1] (and is not NaN).
pub fn check_probability(field: String, p: f64) -> Result<(), ModelError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(ModelError::new(field, format!("must be a probability in [0, 1], got {p}")))
    }
}
