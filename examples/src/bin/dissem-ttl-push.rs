//! The dissem command line with fanout push with a TTL registered beside dissem's own models: every
//! subcommand accepts `model.kind = "ttl_push"`.
//!
//! `cargo run -p dissem-examples --bin dissem-ttl-push -- check examples/scenarios/ttl-push.json`

fn main() -> std::process::ExitCode {
    dissem::cli::main_with(env!("CARGO_BIN_NAME"), dissem::Registry::builtin().with(dissem_examples::TtlPush))
}
