//! Push-pull anti-entropy in synchronous rounds on a complete graph of N = 10^8 nodes, one update, to
//! full convergence, run once: the targets are at most 20 s, and that it fits in 24 GiB (the round state
//! is a few bits per node). Prints rounds, time and the peak resident memory. Every exchange is a random
//! memory access: the round draws a word's peers ahead and prefetches their words, so that many are
//! under way at once.
//!
//! `cargo bench -p dissem-benches --bench epidemic_1e8`

#![expect(clippy::disallowed_types, reason = "a benchmark measures wall-clock time")]

use std::time::Instant;

use models::epidemic::Mode;
use models::epidemic::anti_entropy::{self, AntiEntropyParams};
use sim_core::network::Network;
use sim_core::topology::Topology;

fn main() {
    let n = 100_000_000;
    let start = Instant::now();
    let topology = Topology::complete(n).expect("n >= 2");
    let params = AntiEntropyParams { mode: Mode::PushPull, ..AntiEntropyParams::default() };
    let out = anti_entropy::run(&params, &topology, Network::default(), None, 1, 0);
    println!(
        "anti-entropy push-pull N = 10^8: {} rounds to convergence in {:.1} s",
        out.get("rounds_to_convergence").unwrap_or(f64::NAN),
        start.elapsed().as_secs_f64()
    );
    // Peak resident set size, from the kernel's accounting for this process (Linux).
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        println!("peak memory: {} (limit 24 GiB)", line.trim_start_matches("VmHWM:").trim());
    }
}
