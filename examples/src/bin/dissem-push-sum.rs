//! The dissem command line with push-sum registered beside dissem's own models: every subcommand (`run`,
//! `sweep`, `check`, `plot`, `schema`, `validate`, `reproduce`) accepts `model.kind = "push_sum"`.
//!
//! `cargo run -p dissem-examples --bin dissem-push-sum -- check examples/scenarios/push-sum.json`

fn main() -> std::process::ExitCode {
    dissem::cli::main_with(env!("CARGO_BIN_NAME"), dissem::Registry::builtin().with(dissem_examples::PushSum))
}
