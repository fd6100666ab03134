//! dissem: a deterministic discrete-event simulator of dissemination protocols, as a library.
//!
//! The `dissem` binary is [`cli::main_with`]`("dissem", `[`Registry::builtin`]`())`. A protocol of your own is a type
//! implementing [`models::Model`] in your own crate; register it and your binary has `run`, `sweep`,
//! `check`, `plot` and `reproduce` for it, exactly as dissem's own models do:
//!
//! ```no_run
//! # use dissem::Registry;
//! fn main() -> std::process::ExitCode {
//!     // In a binary of your crate, `env!("CARGO_BIN_NAME")` names it as its `[[bin]]` does.
//!     dissem::cli::main_with("my-dissem", Registry::builtin() /* .with(MyModel) */)
//! }
//! ```
//!
//! This crate is the edge of the program: the only one that touches the file system, prints or sets the
//! exit code. The layers below are re-exported: [`sim_core`] (engine, topologies), [`models`] (protocols
//! and the `Model` trait), [`runner`] (scenario files, replicates, sweeps), [`exporters`] (tables, JSON,
//! CSV, plots, reproduce pages).

mod args;
pub mod cli;
mod draw;
mod files;
mod plot;
mod reproduce;
mod shipped;
mod sweep;
mod trace;

pub use runner::Registry;
pub use {exporters, models, runner, sim_core};
