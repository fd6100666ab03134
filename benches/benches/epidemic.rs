//! Epidemic speed targets (single-threaded, release):
//! - push-pull anti-entropy, synchronous rounds, complete graph, one update, to full convergence:
//!   N = 10^6 in at most 0.1 s, N = 10^7 at least 4× faster than the NumPy script whole process
//!   (`benches/peers/compare.py` measures the ratio);
//! - event-driven rumor spreading (feedback, coin, k = 4), N = 10^6: under 2 s.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use models::epidemic::Mode;
use models::epidemic::anti_entropy::{self, AntiEntropyParams};
use models::epidemic::rumor::{self, RumorParams};
use models::gossip::Timing;
use sim_core::network::{Latency, Network};
use sim_core::topology::Topology;

fn anti_entropy_rounds(c: &mut Criterion) {
    let mut group = c.benchmark_group("anti_entropy_push_pull_rounds");
    for n in [1_000_000u32, 10_000_000] {
        let topology = Topology::complete(n).expect("n >= 2");
        let params = AntiEntropyParams { mode: Mode::PushPull, ..AntiEntropyParams::default() };
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| anti_entropy::run(&params, &topology, Network::default(), None, 1, 0))
        });
    }
    group.finish();
}

fn rumor_events(c: &mut Criterion) {
    let topology = Topology::complete(1_000_000).expect("n >= 2");
    let params = RumorParams { k: 4, timing: Timing::Periodic { period: 100, jitter: 0.1 }, ..RumorParams::default() };
    let network = Network { latency: Latency::Uniform { min: 1, max: 10 }, loss: 0.0 };
    c.bench_function("rumor_event_driven_n1e6_k4", |b| b.iter(|| rumor::run(&params, &topology, network, 1, 0)));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = anti_entropy_rounds, rumor_events
}
criterion_main!(benches);
