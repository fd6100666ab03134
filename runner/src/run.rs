//! Preparing a scenario (topology, memory guard, model checks) and running its replicates.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use models::{Env, Outcome, Progress, Size, Unobserved};
use sim_core::NodeId;
use sim_core::network::{Latency, Network};
use sim_core::rng::{Lane, stream};
use sim_core::topology::{Topology, generators};
use sim_core::trace::Sink;

use crate::error::ScenarioError;
use crate::registry::{DynModel, Registry, Runnable};
use crate::report::RunReport;
use crate::spec::{LatencySpec, Scenario, TopologySpec};
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

/// The default memory budget ([`Registry::memory_budget`]): scenarios whose estimated memory exceeds it are
/// refused before anything is allocated.
pub const MEMORY_BUDGET_BYTES: u64 = 20 << 30;

/// A scenario ready to run: checked, with its model prepared on the fixed topology (random topologies are
/// drawn, and the model prepared on them, per replicate).
pub struct Prepared {
    pub scenario: Scenario,
    pub origin: String,
    model: Arc<dyn DynModel>,
    /// The model prepared on the fixed topology, shared by every replicate.
    fixed: Option<Box<dyn Runnable>>,
    /// The fixed topology (what `fixed` runs on), for [`Prepared::connectivity`].
    fixed_topology: Option<Arc<Topology>>,
    /// With a random topology: the model prepared on replicate 0's graph when checking, kept for replicate 0's
    /// run (which takes it) and the connectivity check, so that the graph is not drawn twice. Preparing any
    /// other replicate drops it first ([`Prepared::drawn`]): a run's memory counts one prepared model, not two.
    first_drawn: Mutex<Option<Box<dyn Runnable>>>,
    pub notes: Vec<String>,
    estimated_bytes: u64,
    /// The registry's memory budget.
    budget: u64,
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
        let budget = registry.memory_budget();
        let estimated_bytes = within_budget(&scenario, &*model, scenario.topology.size_estimate(), budget, origin, "")?;
        let mut prepared = Prepared {
            scenario,
            origin: origin.to_owned(),
            model,
            fixed: None,
            fixed_topology: None,
            first_drawn: Mutex::new(None),
            notes: Vec::new(),
            estimated_bytes,
            budget,
        };
        let random = prepared.scenario.topology.is_random();
        // Random kinds never read files; replicate 0's graph stands for the others in the checks.
        let built = prepared.build(0, if random { &NoInputs } else { inputs })?;
        if prepared.scenario.topology.is_file() {
            // A file's size is known once read: the guard looks again before the model allocates for it.
            let size = Size {
                nodes: built.topology.node_count().into(),
                edges: built.topology.edge_count(),
                usable_edges: built.topology.edge_count(),
                hosts: built.hosts.len() as u64,
            };
            let what = format!(" (the topology read has {} nodes and {} edges)", size.nodes, size.edges);
            prepared.estimated_bytes =
                within_budget(&prepared.scenario, &*prepared.model, size, budget, origin, &what)?;
        }
        check_latency(&prepared, &built.topology)?;
        prepared.notes.clone_from(&built.notes);
        let topology = Arc::new(built.topology);
        let runnable = prepared.prepare_model(Arc::clone(&topology), built.hosts, None)?;
        if random {
            prepared.first_drawn = Mutex::new(Some(runnable));
        } else {
            prepared.fixed = Some(runnable);
            prepared.fixed_topology = Some(topology);
        }
        Ok(prepared)
    }

    /// Checks the topology of every replicate as its run will meet it, so that what `validate` accepts, `run`
    /// does not refuse later: a fixed topology serves them all; a random one is drawn per replicate and the
    /// model prepared on each (its refusal is the error, naming the replicate), until the graphs drawn hold
    /// `budget` nodes and edges in all (at least replicate 0 is checked). Returns their connectivity.
    pub fn connectivity(&self, budget: u64) -> Result<Connectivity, ScenarioError> {
        let components =
            |t: &Topology| t.as_graph().map_or_else(|| vec![t.node_count()], |g| g.component_sizes().to_vec());
        let erdos_renyi = match &self.scenario.topology {
            // The chance of no isolated node, the limit of the chance of connectivity (Erdős and Rényi 1961).
            TopologySpec::ErdosRenyi(s) => {
                Some((-f64::from(s.nodes) * (1.0 - s.p).powf(f64::from(s.nodes) - 1.0)).exp())
            }
            _ => None,
        };
        let mut found = Connectivity {
            random: self.fixed_topology.is_none(),
            checked: 0,
            nodes: 0,
            disconnected: Vec::new(),
            erdos_renyi_connected: erdos_renyi,
        };
        if let Some(topology) = &self.fixed_topology {
            found.checked = self.scenario.replicates;
            found.nodes = topology.node_count();
            let sizes = components(topology);
            if sizes.len() > 1 {
                found.disconnected.push((None, sizes.len() as u32, sizes[0]));
            }
            return Ok(found);
        }
        let mut drawn = 0u64;
        for r in 0..self.scenario.replicates {
            if r > 0 && drawn >= budget {
                break;
            }
            // Replicate 0's graph was drawn, and the model prepared on it, by `new`; the others drop it.
            let topology = match (r == 0).then(|| self.first_drawn()).flatten() {
                Some(topology) => topology,
                None => Arc::clone(&self.drawn(r)?.env().topology),
            };
            drawn = drawn.saturating_add(u64::from(topology.node_count()) + topology.edge_count());
            found.nodes = topology.node_count();
            let sizes = components(&topology);
            if sizes.len() > 1 {
                found.disconnected.push((Some(r), sizes.len() as u32, sizes[0]));
            }
            found.checked = r + 1;
        }
        Ok(found)
    }

    /// The estimated memory of one run of `scenario` from the scenario alone (a file counts as empty; an
    /// unknown model as 0).
    pub(crate) fn estimate(scenario: &Scenario, registry: &Registry) -> u64 {
        let size = scenario.topology.size_estimate();
        registry.get(&scenario.model.kind).map_or(0, |model| run_bytes(scenario, &**model, size))
    }

    /// Replicate 0's random topology, if the model prepared on it by `new` is still kept.
    fn first_drawn(&self) -> Option<Arc<Topology>> {
        let kept = self.first_drawn.lock().unwrap_or_else(PoisonError::into_inner);
        kept.as_ref().map(|model| Arc::clone(&model.env().topology))
    }

    /// The model prepared on a random topology for `replicate`: replicate 0's kept one (taken, once), or one
    /// prepared on the replicate's graph, drawn now. Any other replicate drops the kept model before preparing
    /// its own, so that no more prepared models are held than runs in flight (what the memory budget counts);
    /// replicate 0 then draws its graph again, alike.
    fn drawn(&self, replicate: u32) -> Result<Box<dyn Runnable>, ScenarioError> {
        let kept = self.first_drawn.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(model) = kept.filter(|_| replicate == 0) {
            return Ok(model);
        }
        let built = self.build(replicate, &NoInputs)?;
        self.prepare_model(Arc::new(built.topology), built.hosts, Some(replicate))
    }

    /// Replicate `replicate`'s topology (the fixed one for replicate 0).
    fn build(&self, replicate: u32, inputs: &dyn Inputs) -> Result<Built, ScenarioError> {
        let mut rng = stream(self.scenario.seed, u64::from(replicate), Lane::Topology);
        self.scenario.topology.build(&mut rng, inputs).map_err(|e| {
            let field = if e.field.is_empty() { "topology".to_owned() } else { format!("topology.{}", e.field) };
            ScenarioError::new(&self.origin, field, e.message)
        })
    }

    fn prepare_model(
        &self,
        topology: Arc<Topology>,
        hosts: Vec<NodeId>,
        replicate: Option<u32>,
    ) -> Result<Box<dyn Runnable>, ScenarioError> {
        let env = Env { topology, hosts: hosts.into(), network: self.network() };
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
            LatencySpec::Constant(c) => Latency::Constant(c.value.into()),
            LatencySpec::Uniform(u) => Latency::Uniform { min: u.min.into(), max: u.max.into() },
            LatencySpec::Exponential(e) => Latency::Exponential { mean: e.mean },
            LatencySpec::EdgeWeight(_) => Latency::EdgeWeight,
        };
        Network { latency, loss: self.scenario.network.loss }
    }

    /// Runs replicate `replicate` (draws from stream (seed, replicate)).
    pub fn run_replicate(&self, replicate: u32) -> Result<Outcome, ScenarioError> {
        self.run_observed(replicate, &Unobserved)
    }

    /// [`Prepared::run_replicate`], telling `progress` how far the run has got (models with long runs
    /// report; see [`models::Model::run_observed`]).
    pub fn run_observed(&self, replicate: u32, progress: &dyn Progress) -> Result<Outcome, ScenarioError> {
        let (seed, run) = (self.scenario.seed, u64::from(replicate));
        match &self.fixed {
            Some(model) => Ok(model.run(seed, run, progress)),
            None => Ok(self.drawn(replicate)?.run(seed, run, progress)),
        }
    }

    /// Runs replicate `replicate` as [`Prepared::run_replicate`] does (same draws, same outcome), reporting its
    /// steps to `sink` ([`models::Model::run_traced`]); returns the outcome and the environment it ran on (for
    /// pictures of the spread). An error if the model has no trace.
    pub fn run_traced(&self, replicate: u32, sink: &mut dyn Sink) -> Result<(Outcome, Env), ScenarioError> {
        let (seed, run) = (self.scenario.seed, u64::from(replicate));
        let drawn;
        let model = match &self.fixed {
            Some(model) => model,
            None => {
                drawn = self.drawn(replicate)?;
                &drawn
            }
        };
        let outcome = model.run_traced(seed, run, sink).ok_or_else(|| {
            let kind = &self.scenario.model.kind;
            ScenarioError::new(
                &self.origin,
                "model.kind",
                format!("model \"{kind}\" does not report its steps to traces"),
            )
        })?;
        Ok((outcome, model.env().clone()))
    }

    /// Runs replicate `replicate` alone, as [`Prepared::run_all`] would have run it, telling `progress` how
    /// far it has got: its report holds that one run, numbered `replicate`.
    pub fn run_only(&self, replicate: u32, progress: &dyn Progress) -> Result<RunReport, ScenarioError> {
        Ok(self.report_of(replicate, self.run_observed(replicate, progress)?))
    }

    /// The report of replicate `replicate` alone, given its outcome.
    pub fn report_of(&self, replicate: u32, outcome: Outcome) -> RunReport {
        let mut report = RunReport::new(&self.scenario, vec![outcome], self.notes.clone());
        report.first_replicate = replicate;
        report
    }

    /// Runs every replicate, as many at once as the memory budget allows; results are in replicate order
    /// whatever the number of threads. `on_done` is called once per finished replicate (for progress bars).
    pub fn run_all(&self, on_done: &(dyn Fn() + Sync)) -> Result<RunReport, ScenarioError> {
        let mut runs = Vec::new();
        let job = |r: u64| {
            let out = self.run_replicate(r as u32);
            on_done();
            out
        };
        let workers = workers_within(self.budget, self.estimated_bytes, 0);
        ordered(self.scenario.replicates.into(), workers, &job, &mut |outcome| {
            runs.push(outcome);
            Ok(())
        })?;
        Ok(RunReport::new(&self.scenario, runs, self.notes.clone()))
    }
}

/// The connectivity of the graphs a scenario's replicates run on ([`Prepared::connectivity`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Connectivity {
    /// Whether each replicate draws its own topology.
    pub random: bool,
    /// Replicates whose topology was checked (every one for a fixed topology).
    pub checked: u32,
    /// Nodes of the topology (of the last one checked).
    pub nodes: u32,
    /// `(replicate, components, nodes of the largest)` of each disconnected graph checked; the replicate is
    /// `None` for a fixed topology.
    pub disconnected: Vec<(Option<u32>, u32, u32)>,
    /// For G(N, p): the chance that a draw is connected, e^(−N(1−p)^(N−1)) (that no node is isolated).
    pub erdos_renyi_connected: Option<f64>,
}

/// The estimated memory of one run of `scenario` on a topology of `size`: the graph and the model's state.
fn run_bytes(scenario: &Scenario, model: &dyn DynModel, size: Size) -> u64 {
    let (topology, state) = run_bytes_parts(scenario, model, size);
    topology.saturating_add(state)
}

/// [`run_bytes`] as (topology, model state).
fn run_bytes_parts(scenario: &Scenario, model: &dyn DynModel, size: Size) -> (u64, u64) {
    (generators::estimated_bytes(size.nodes, size.edges), model.estimated_bytes(&scenario.model.params, &size))
}

/// [`run_bytes`], or an error if it exceeds `budget`; `what` ends the message (what the size comes from). The
/// error gives both parts and names `model` when the model's parameters alone, on a single node, need more
/// than the budget; otherwise `topology`, whose size scales both parts.
fn within_budget(
    scenario: &Scenario,
    model: &dyn DynModel,
    size: Size,
    budget: u64,
    origin: &str,
    what: &str,
) -> Result<u64, ScenarioError> {
    let (topology, state) = run_bytes_parts(scenario, model, size);
    let bytes = topology.saturating_add(state);
    if bytes > budget {
        let one_node = Size { nodes: 1, edges: 0, usable_edges: 0, hosts: size.hosts.min(1) };
        let (field, remedy) = if run_bytes_parts(scenario, model, one_node).1 > budget {
            ("model", "reduce the model parameters that set how much state a run keeps")
        } else {
            ("topology", "reduce topology.nodes or the edge density")
        };
        return Err(ScenarioError::new(
            origin,
            field,
            format!(
                "this scenario needs about {} of memory (the topology {}, the model's state {}){what}, more than \
                 the {} budget; {remedy}, or raise the budget (dissem --memory-budget)",
                human_bytes(bytes),
                human_bytes(topology),
                human_bytes(state),
                human_bytes(budget)
            ),
        ));
    }
    Ok(bytes)
}

/// How many runs of `bytes_each` fit at once in `budget` beside `reserved` bytes held already, at least one
/// and at most one per thread of the current pool.
pub(crate) fn workers_within(budget: u64, bytes_each: u64, reserved: u64) -> usize {
    let fit = budget.saturating_sub(reserved) / bytes_each.max(1);
    usize::try_from(fit).unwrap_or(usize::MAX).clamp(1, rayon::current_num_threads())
}

/// Runs `job(0)`, …, `job(count - 1)` on `workers` tasks of the current rayon pool, each task taking the next
/// index in order, and hands the results to `sink` in index order whatever finishes first. Stops at the
/// first error of either; results already handed to `sink` stay.
pub(crate) fn ordered<T: Send, E: Send>(
    count: u64,
    workers: usize,
    job: &(dyn Fn(u64) -> Result<T, E> + Sync),
    sink: &mut dyn FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    let workers = workers.max(1).min(usize::try_from(count).unwrap_or(usize::MAX));
    let (next, stop) = (&AtomicU64::new(0), &AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<(u64, Result<T, E>)>();
    std::thread::scope(|s| {
        s.spawn(move || {
            // Tasks take indices in order, so results finish nearly in order and few wait below.
            rayon::scope(|pool| {
                for _ in 0..workers {
                    let tx = tx.clone();
                    pool.spawn(move |_| {
                        while !stop.load(Ordering::Relaxed) {
                            let k = next.fetch_add(1, Ordering::Relaxed);
                            if k >= count || tx.send((k, job(k))).is_err() {
                                break;
                            }
                        }
                    });
                }
            });
        });
        let mut pending = BTreeMap::new();
        let mut want = 0;
        for (k, result) in rx.iter() {
            pending.insert(k, result);
            while let Some(result) = pending.remove(&want) {
                want += 1;
                if let Err(e) = result.and_then(&mut *sink) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(p: &Prepared) -> bool {
        p.first_drawn.lock().unwrap().is_some()
    }

    #[test]
    fn the_kept_model_of_replicate_zero_is_dropped_before_another_replicate_is_prepared() {
        let text = r#"{"seed": 3, "replicates": 3, "topology": {"kind": "erdos_renyi", "nodes": 50, "p": 0.1},
                       "model": {"kind": "flooding"}}"#;
        let registry = Registry::builtin();
        let new =
            || Prepared::new(crate::parse(text, "t.json", &[], &registry).unwrap(), "t.json", &NoInputs, &registry);
        let p = new().unwrap();
        // Checking replicate 0 alone reuses the kept model; checking replicate 1 drops it.
        assert_eq!(p.connectivity(0).unwrap().checked, 1);
        assert!(kept(&p));
        assert_eq!(p.connectivity(u64::MAX).unwrap().checked, 3);
        assert!(!kept(&p));
        let p = new().unwrap();
        p.run_replicate(2).unwrap();
        assert!(!kept(&p));
        let p = new().unwrap();
        p.run_traced(1, &mut Vec::new()).unwrap();
        assert!(!kept(&p));
    }
}
