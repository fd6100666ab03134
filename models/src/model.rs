//! The contract between a protocol and everything that runs it: scenario files, sweeps, checks and plots
//! reach a model only through [`Model`].
//!
//! A model names its parameter type (read from the scenario's `model` object, documented by its JSON
//! Schema), turns parameters and an [`Env`] into a prepared form — building that form *is* the validation,
//! so a run never meets invalid parameters — and runs the prepared form for any `(seed, run)`. The prepared
//! form is shared by every replicate on the same topology, so work that does not depend on the run (an
//! underlay's distance table, a converged ring) is done once.
//!
//! A model from another crate implements [`Model`] exactly as dissem's own do and is registered with
//! `runner::Registry::builtin().with(MyModel)`; `dissem::cli::main_with` then gives it every subcommand.
//! The crate `dissem-examples` (`examples/` in the repository, guide in `examples/README.md`) holds two:
//! push-sum averaging (`Bound` as the prepared form, the rule on the gossip harness) and fanout push with
//! a TTL (a prepared form of its own that computes an exact formula once per topology, nodes woken and put
//! to sleep by the protocol, a trace).

// Every model from outside dissem is written against this module: all of it is documented.
#![deny(missing_docs)]

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sim_core::NodeId;
use sim_core::network::Network;
use sim_core::topology::Topology;
use sim_core::trace::Sink;

use crate::{MetricDoc, ModelError, Outcome};

/// What a model runs on: one topology (a fixed one, or one replicate's random draw) and the network.
#[derive(Clone, Debug)]
pub struct Env {
    /// The graph (or the implicit complete graph) the run uses; `Topology::node_count` is N.
    pub topology: Arc<Topology>,
    /// End hosts of a router-level underlay, in host order (the hosts of a transit-stub topology, or those a
    /// scenario names); empty when every node is a host.
    pub hosts: Arc<[NodeId]>,
    /// The scenario's `network`: per-message latency and loss probability.
    pub network: Network,
}

impl Env {
    /// An environment with every node a host.
    pub fn new(topology: Topology, network: Network) -> Self {
        Env { topology: Arc::new(topology), hosts: Arc::from([]), network }
    }
}

/// Sizes known from a scenario before anything is built, for the memory guard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Size {
    /// Every node of the topology, routers and hosts.
    pub nodes: u64,
    /// Edges stored (0 for the implicit complete graph).
    pub edges: u64,
    /// Edges a protocol may use: `edges`, or N(N-1)/2 on the complete graph.
    pub usable_edges: u64,
    /// End hosts of an underlay; 0 when every node is a host.
    pub hosts: u64,
}

/// A protocol dissem can run: one implementation per model, registered once (`runner::Registry`). A gossip
/// protocol implements [`GossipModel`](crate::gossip::GossipModel), which implements this trait for it.
///
/// `KIND` is the `model.kind` tag of scenario files. `Params` is the rest of the `model` object: unknown
/// fields should be refused (`#[serde(deny_unknown_fields)]`) and every field documented, since its doc
/// comments become the JSON Schema descriptions users read.
pub trait Model: Send + Sync + 'static {
    /// The `model.kind` tag, in snake_case.
    const KIND: &'static str;
    /// One sentence on what the model simulates (shown by `dissem schema` and `--help`).
    const ABOUT: &'static str;
    /// Every metric, series and distribution a run may emit, with unit, meaning and formula: what `dissem
    /// metrics` prints. When a model declares any, each run's outcome is checked against the list in debug
    /// builds (`runner::Registry`), and the workspace tests require every entry to be emitted by some shipped
    /// scenario. The default, empty, declares nothing and checks nothing.
    const METRICS: &'static [MetricDoc] = &[];
    /// The `model` object of a scenario minus `kind`: read with serde, its JSON Schema (from the doc comments
    /// of its fields, and `#[schemars(range(min = …, max = …))]` for the bounds [`Model::prepare`] enforces)
    /// is what `dissem schema` prints. Written back (defaults filled in) into a run's provenance and a sweep's
    /// identity.
    type Params: Clone + Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static;
    /// What [`Model::prepare`] builds: the checked parameters and whatever every run on this environment
    /// needs. [`Bound`] when that is only the parameters and the [`Env`]; a type of the model's own when
    /// something can be computed once per topology (an exact formula's value, a routing table).
    type Prepared: Send + Sync + 'static;

    /// Checks what needs no topology (value ranges, options that exclude each other), when the scenario is
    /// read: before its topology is built or its memory estimated from these parameters. Errors name fields
    /// within `params` ([`ModelError::new`]). [`Model::prepare`] must refuse the same parameters (it usually
    /// calls this first); the default checks nothing here.
    fn check(&self, params: &Self::Params) -> Result<(), ModelError> {
        let _ = params;
        Ok(())
    }

    /// Checks `params` against `env` and builds what every run needs. Errors name fields within `params`
    /// ([`ModelError::new`]) or elsewhere in the scenario ([`ModelError::outside`]).
    fn prepare(&self, params: &Self::Params, env: &Env) -> Result<Self::Prepared, ModelError>;

    /// Run `run` of `seed`: every draw comes from `sim_core::rng::stream(seed, run, lane)`.
    fn run(&self, prepared: &Self::Prepared, seed: u64, run: u64) -> Outcome;

    /// [`Model::run`], telling `progress` how far it has got. Models whose single run can take minutes
    /// override it; the default reports nothing.
    fn run_observed(&self, prepared: &Self::Prepared, seed: u64, run: u64, progress: &dyn Progress) -> Outcome {
        let _ = progress;
        self.run(prepared, seed, run)
    }

    /// [`Model::run`] with a trace: the same run (same draws, same outcome), every message sent, dropped and
    /// delivered and every first receipt of the update reported to `sink` as it happens
    /// ([`sim_core::trace`]). `None`, the default: the model has no trace.
    fn run_traced(&self, _prepared: &Self::Prepared, _seed: u64, _run: u64, _sink: &mut dyn Sink) -> Option<Outcome> {
        None
    }

    /// Peak memory of one run beyond the topology's own arrays, from the parameters and sizes alone;
    /// scenarios whose estimate exceeds the budget are refused before anything is allocated.
    fn estimated_bytes(&self, params: &Self::Params, size: &Size) -> u64;
}

/// Told how far one long run has got, so that the edge can show it (a progress bar on a terminal): models
/// report through it and never print. Reporting changes nothing a run draws or returns.
pub trait Progress: Sync {
    /// `done` of the run's `total` units of work (lookups, rounds, …) are finished.
    fn advance(&self, done: u64, total: u64);
}

/// No one watches the run.
pub struct Unobserved;

impl Progress for Unobserved {
    fn advance(&self, _: u64, _: u64) {}
}

/// The prepared form of a model that needs nothing beyond its checked parameters and its environment.
#[derive(Clone, Debug)]
pub struct Bound<P> {
    /// The parameters as checked (and completed: node names resolved to indices).
    pub params: P,
    /// The environment they were checked against.
    pub env: Env,
}

impl<P> Bound<P> {
    /// `params`, checked, bound to a copy of `env` (its topology is shared, not copied).
    pub fn new(params: P, env: &Env) -> Self {
        Bound { params, env: env.clone() }
    }
}
