//! Preparing a scenario (topology, memory guard, model checks) and running its replicates.

use std::sync::Arc;

use models::alm::Underlay;
use models::chord::Overlay;
use models::{ModelError, Outcome, epidemic};
use rayon::prelude::*;
use sim_core::network::{Latency, Network};
use sim_core::rng::{Lane, stream};
use sim_core::topology::{Topology, generators};

use crate::error::ScenarioError;
use crate::report::RunReport;
use crate::spec::{LatencySpec, ModelSpec, Scenario, TopologySpec};
use crate::topology::Built;

/// What `Prepared::dispatch` does with a model.
#[derive(Clone, Copy)]
enum Step {
    Validate,
    Run(u32),
}

/// Reads the files a scenario refers to (edge lists, GraphML). The binary reads from disk relative to
/// the scenario file; tests can serve text from memory.
pub trait Inputs: Sync {
    fn read(&self, path: &str) -> Result<String, String>;
}

/// No files available.
pub struct NoInputs;

impl Inputs for NoInputs {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("cannot read `{path}`: no file access here"))
    }
}

/// Scenarios whose estimated memory exceeds this are refused before anything is allocated.
pub const MEMORY_BUDGET_BYTES: u64 = 20 << 30;

/// A scenario ready to run: checked, with its fixed topology built (random ones are built per replicate).
pub struct Prepared {
    pub scenario: Scenario,
    pub origin: String,
    fixed: Option<Arc<Built>>,
    pub notes: Vec<String>,
    estimated_bytes: u64,
}

impl Prepared {
    /// Checks everything that can be checked without running, and builds deterministic topologies.
    pub fn new(scenario: Scenario, origin: &str, inputs: &dyn Inputs) -> Result<Prepared, ScenarioError> {
        let estimated_bytes = estimate_bytes(&scenario);
        if estimated_bytes > MEMORY_BUDGET_BYTES {
            return Err(ScenarioError::new(
                origin,
                "topology",
                format!(
                    "this scenario needs about {} of memory, more than the {} budget; reduce topology.nodes or the \
                     edge density",
                    human_bytes(estimated_bytes),
                    human_bytes(MEMORY_BUDGET_BYTES)
                ),
            ));
        }
        let fixed = if scenario.topology.is_random() {
            None
        } else {
            let mut rng = stream(scenario.seed, 0, Lane::Topology);
            Some(Arc::new(build(&scenario, origin, &mut rng, inputs)?))
        };
        let notes = fixed.as_ref().map(|b| b.notes.clone()).unwrap_or_default();
        let prepared = Prepared { scenario, origin: origin.to_owned(), fixed, notes, estimated_bytes };
        // Check the model against the first replicate's topology, so bad parameters fail before any run.
        let built = prepared.topology(0)?;
        prepared.validate_model(&built)?;
        check_latency(&prepared, &built.topology)?;
        Ok(prepared)
    }

    fn topology(&self, replicate: u32) -> Result<Arc<Built>, ScenarioError> {
        match &self.fixed {
            Some(t) => Ok(Arc::clone(t)),
            None => {
                // Random kinds never read files.
                let mut rng = stream(self.scenario.seed, u64::from(replicate), Lane::Topology);
                build(&self.scenario, &self.origin, &mut rng, &NoInputs).map(Arc::new)
            }
        }
    }

    /// Estimated memory of one run (topology and model state), for deciding how many runs fit at once.
    pub fn estimated_bytes(&self) -> u64 {
        self.estimated_bytes
    }

    fn validate_model(&self, built: &Built) -> Result<(), ScenarioError> {
        self.dispatch(built, Step::Validate).map(drop)
    }

    /// Checks the model against `built` (for `Step::Validate`, or a replicate whose topology is new) and
    /// runs it for `Step::Run`. One dispatch for both, so that the underlay of Chord and ALM, whose
    /// distance table takes seconds at scale, is computed once per replicate.
    fn dispatch(&self, built: &Built, step: Step) -> Result<Option<Outcome>, ScenarioError> {
        let (seed, network, t) = (self.scenario.seed, self.network(), &built.topology);
        let check = match step {
            Step::Validate => true,
            Step::Run(r) => r > 0 && self.fixed.is_none(),
        };
        let run = match step {
            Step::Validate => None,
            Step::Run(r) => Some(u64::from(r)),
        };
        let then = |valid: &dyn Fn() -> Result<(), ModelError>, go: &dyn Fn(u64) -> Outcome| {
            if check {
                valid()?;
            }
            Ok(run.map(go))
        };
        match &self.scenario.model {
            ModelSpec::Flooding(p) => {
                then(&|| p.validate("model", t), &|r| models::flooding::run(p, t, network, seed, r))
            }
            ModelSpec::AntiEntropy(p) => {
                then(&|| p.validate("model", t), &|r| epidemic::anti_entropy::run(p, t, network, seed, r))
            }
            ModelSpec::Rumor(p) => then(&|| p.validate("model", t), &|r| epidemic::rumor::run(p, t, network, seed, r)),
            ModelSpec::DeathCertificates(p) => {
                then(&|| p.validate("model", t), &|r| epidemic::death::run(p, t, network, seed, r))
            }
            ModelSpec::Aggregation(p) => {
                then(&|| p.validate("model", t), &|r| epidemic::aggregation::run(p, t, network, seed, r))
            }
            ModelSpec::Chord(p) => {
                with_overlay(built, |o| then(&|| p.validate("model", o), &|r| models::chord::run(p, o, seed, r)))
            }
            ModelSpec::Alm(p) => {
                underlay(built).and_then(|u| then(&|| p.validate("model", &u), &|r| models::alm::run(p, &u, seed, r)))
            }
        }
        .map_err(|e| {
            let message = match step {
                Step::Run(r) => format!("{} (replicate {r})", e.message),
                Step::Validate => e.message,
            };
            ScenarioError::new(&self.origin, e.field, message)
        })
    }

    fn network(&self) -> Network {
        let latency = match &self.scenario.network.latency {
            LatencySpec::Constant(c) => Latency::Constant(c.value),
            LatencySpec::Uniform(u) => Latency::Uniform { min: u.min, max: u.max },
            LatencySpec::Exponential(e) => Latency::Exponential { mean: e.mean },
            LatencySpec::EdgeWeight(_) => Latency::EdgeWeight,
        };
        Network { latency, loss: self.scenario.network.loss }
    }

    /// Runs replicate `replicate` (draws from stream (seed, replicate)).
    pub fn run_replicate(&self, replicate: u32) -> Result<Outcome, ScenarioError> {
        let built = self.topology(replicate)?;
        Ok(self.dispatch(&built, Step::Run(replicate))?.expect("a run step returns an outcome"))
    }

    /// Runs every replicate, in parallel when memory allows; results are in replicate order whatever
    /// the number of threads. `on_done` is called once per finished replicate (for progress bars).
    pub fn run_all(&self, on_done: &(dyn Fn() + Sync)) -> Result<RunReport, ScenarioError> {
        let replicates: Vec<u32> = (0..self.scenario.replicates).collect();
        let one = |&r: &u32| {
            let out = self.run_replicate(r);
            on_done();
            out
        };
        let parallel_fits =
            self.estimated_bytes.saturating_mul(rayon::current_num_threads() as u64) <= MEMORY_BUDGET_BYTES;
        let runs: Result<Vec<Outcome>, ScenarioError> =
            if parallel_fits { replicates.par_iter().map(one).collect() } else { replicates.iter().map(one).collect() };
        Ok(RunReport::new(&self.scenario, runs?, self.notes.clone()))
    }
}

/// The underlay of Chord and ALM: the topology's graph with its hosts (every node when none are named).
fn underlay(built: &Built) -> Result<Underlay<'_>, ModelError> {
    let graph = built.topology.as_graph().ok_or_else(|| {
        ModelError::new(
            "topology.kind",
            "this model needs a router-level graph (transit_stub, edge_list, graphml, edges, ...), not an implicit \
             complete graph",
        )
    })?;
    let hosts = if built.hosts.is_empty() { (0..graph.node_count()).collect() } else { built.hosts.clone() };
    Underlay::new(graph, hosts).map_err(|e| {
        let field = if e.field.starts_with("topology") { e.field } else { format!("topology.{}", e.field) };
        ModelError { field, ..e }
    })
}

/// Chord runs on bare overlay nodes over a complete topology, and on the hosts of an underlay otherwise.
fn with_overlay<T>(built: &Built, f: impl FnOnce(Overlay<'_>) -> Result<T, ModelError>) -> Result<T, ModelError> {
    match &built.topology {
        Topology::Complete { nodes } => f(Overlay::Nodes(*nodes)),
        Topology::Graph(_) => f(Overlay::Hosts(&underlay(built)?)),
    }
}

fn build(
    scenario: &Scenario,
    origin: &str,
    rng: &mut sim_core::rng::SimRng,
    inputs: &dyn Inputs,
) -> Result<Built, ScenarioError> {
    scenario.topology.build(rng, inputs).map_err(|e| {
        let field = if e.field.is_empty() { "topology".to_owned() } else { format!("topology.{}", e.field) };
        ScenarioError::new(origin, field, e.message)
    })
}

fn check_latency(p: &Prepared, topology: &Topology) -> Result<(), ScenarioError> {
    let weighted = topology.as_graph().is_some_and(|g| g.is_weighted());
    if matches!(p.scenario.network.latency, LatencySpec::EdgeWeight(_)) && !weighted {
        return Err(ScenarioError::new(
            &p.origin,
            "network.latency.kind",
            "\"edge_weight\" needs a topology with edge weights (an edge list with weights, GraphML with distances, \
             or transit_stub); use \"constant\", \"uniform\" or \"exponential\" here",
        ));
    }
    Ok(())
}

/// Memory a run needs: the topology's arrays plus the model's per-node state and in-flight messages.
fn estimate_bytes(s: &Scenario) -> u64 {
    let (nodes, edges, logical_edges) = s.topology.size_estimate();
    let graph = generators::estimated_bytes(nodes, edges);
    let model = match &s.model {
        // A reached bit per node, plus up to one queued 16-byte event per arc.
        ModelSpec::Flooding(_) => (nodes / 8).saturating_add(logical_edges.saturating_mul(32)),
        // Packed replica state: a few bits per node in rounds, a byte or two with event timers.
        ModelSpec::AntiEntropy(_) | ModelSpec::Rumor(_) => nodes.saturating_mul(2).saturating_add(edges * 16),
        // Per-node stores of keys, versions and certificates.
        ModelSpec::DeathCertificates(_) => nodes.saturating_mul(64),
        // One f64 estimate per node.
        ModelSpec::Aggregation(_) => nodes.saturating_mul(16),
        // Finger tables (one u32 per bit) and ids.
        ModelSpec::Chord(p) => nodes.saturating_mul(u64::from(p.ring.bits) * 4 + 16),
        // The underlay's distance table between access routers, 4 bytes per pair, dominates.
        ModelSpec::Alm(_) => {
            let routers = match &s.topology {
                TopologySpec::TransitStub(t) => nodes.saturating_sub(u64::from(t.hosts)),
                _ => nodes,
            };
            routers.saturating_mul(routers).saturating_mul(4)
        }
    };
    graph.saturating_add(model)
}

pub(crate) fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.1} {}", UNITS[i])
}
