//! The `dissem` binary: the command line with dissem's own models.

fn main() -> std::process::ExitCode {
    dissem::cli::main_with(env!("CARGO_BIN_NAME"), dissem::Registry::builtin())
}
