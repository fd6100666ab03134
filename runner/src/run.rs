//! Preparing a scenario (topology, memory guard, model checks) and running its replicates.

use std::sync::Arc;

use models::{Env, Outcome};
use rayon::prelude::*;
use sim_core::network::{Latency, Network};
use sim_core::rng::{Lane, stream};
use sim_core::topology::{Topology, generators};

use crate::error::ScenarioError;
use crate::registry::{DynModel, Registry, Runnable};
use crate::report::RunReport;
use crate::spec::{LatencySpec, Scenario};
use crate::topology::Built;

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

/// A scenario ready to run: checked, with its model prepared on the fixed topology (random topologies are
/// drawn, and the model prepared on them, per replicate).
pub struct Prepared {
    pub scenario: Scenario,
    pub origin: String,
    model: Arc<dyn DynModel>,
    /// The model prepared on the fixed topology, shared by every replicate.
    fixed: Option<Box<dyn Runnable>>,
    pub notes: Vec<String>,
    estimated_bytes: u64,
}

impl Prepared {
    /// Checks everything that can be checked without running: memory, topology, network and the model's
    /// parameters against the (first replicate's) topology.
    pub fn new(
        scenario: Scenario,
        origin: &str,
        inputs: &dyn Inputs,
        registry: &Registry,
    ) -> Result<Prepared, ScenarioError> {
        let model =
            Arc::clone(registry.get(&scenario.model.kind).map_err(|m| ScenarioError::new(origin, "model.kind", m))?);
        let size = scenario.topology.size_estimate();
        let estimated_bytes = generators::estimated_bytes(size.nodes, size.edges)
            .saturating_add(model.estimated_bytes(&scenario.model.params, &size));
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
        let mut prepared =
            Prepared { scenario, origin: origin.to_owned(), model, fixed: None, notes: Vec::new(), estimated_bytes };
        let random = prepared.scenario.topology.is_random();
        // Random kinds never read files; replicate 0's graph stands for the others in the checks.
        let built = prepared.build(0, if random { &NoInputs } else { inputs })?;
        check_latency(&prepared, &built.topology)?;
        prepared.notes.clone_from(&built.notes);
        let runnable = prepared.prepare_model(built, None)?;
        if !random {
            prepared.fixed = Some(runnable);
        }
        Ok(prepared)
    }

    /// Replicate `replicate`'s topology (the fixed one for replicate 0).
    fn build(&self, replicate: u32, inputs: &dyn Inputs) -> Result<Built, ScenarioError> {
        let mut rng = stream(self.scenario.seed, u64::from(replicate), Lane::Topology);
        self.scenario.topology.build(&mut rng, inputs).map_err(|e| {
            let field = if e.field.is_empty() { "topology".to_owned() } else { format!("topology.{}", e.field) };
            ScenarioError::new(&self.origin, field, e.message)
        })
    }

    fn prepare_model(&self, built: Built, replicate: Option<u32>) -> Result<Box<dyn Runnable>, ScenarioError> {
        let env = Env { topology: Arc::new(built.topology), hosts: built.hosts.into(), network: self.network() };
        self.model.prepare(&self.scenario.model.params, &env).map_err(|e| {
            let message = match replicate {
                Some(r) => format!("{} (replicate {r})", e.message),
                None => e.message.clone(),
            };
            ScenarioError::new(&self.origin, e.path("model"), message)
        })
    }

    /// Estimated memory of one run (topology and model state), for deciding how many runs fit at once.
    pub fn estimated_bytes(&self) -> u64 {
        self.estimated_bytes
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
        let (seed, run) = (self.scenario.seed, u64::from(replicate));
        match &self.fixed {
            Some(model) => Ok(model.run(seed, run)),
            None => {
                let built = self.build(replicate, &NoInputs)?;
                Ok(self.prepare_model(built, Some(replicate))?.run(seed, run))
            }
        }
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
