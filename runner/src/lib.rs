//! runner: what a user writes down and how it is run.
//!
//! Owns the scenario format (serde types, JSON Schema), `--set` overrides by dotted path, validation with
//! errors that name the origin, the field and what is allowed, the memory guard, building topologies from
//! their specs, running replicates (in parallel, results in replicate order) and comparing simulated
//! metrics with their formulas, and sweeps (expansion, parallel runs in canonical order, resume, shards).
//! It depends on sim-core and models; it must not depend on exporters or the binary, and it does no I/O of its own: files a scenario names are read through [`Inputs`].
//!
//! # Running a scenario from code
//!
//! What `dissem run` and `dissem check` do, for a test of a model of your own: [`parse`] the scenario's
//! text with a [`Registry`] that holds the model (`Registry::builtin().with(MyModel)`), build a
//! [`Prepared`] (everything checked, the model prepared on the topology; [`NoInputs`] when the scenario
//! names no file, an [`Inputs`] of your own otherwise), [`Prepared::run_all`] the replicates, and read the
//! [`RunReport`]: every run's outcome, the metrics' summaries, and [`RunReport::checks`] against the
//! model's formulas. `dissem-examples` does so in `src/ttl_push.rs`
//! (`reach_matches_the_formula_in_every_timing`).

mod error;
#[cfg(test)]
mod fuzz;
pub mod json;
mod load;
mod overrides;
mod registry;
mod report;
mod run;
mod spec;
pub mod sweep;
mod tagged;
mod topology;

pub use error::{ScenarioError, bounded};
pub use load::parse;
pub use overrides::{parse_assignment, set_path};
pub use registry::Registry;
pub use report::{AnalyticSummary, CheckResult, RunReport};
pub use run::{Connectivity, Inputs, MEMORY_BUDGET_BYTES, NoInputs, Prepared};
/// The confidence of a check's interval (see [`RunReport::checks_at`]).
pub use sim_core::stats::Level;
pub use spec::*;
pub use topology::Built;
