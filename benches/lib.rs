//! dissem-benches: speed and memory benchmarks (under `benches/`). Owns nothing else; the library part
//! only holds fixtures shared by several benchmarks. Depends on sim-core and models, never on the CLI.
