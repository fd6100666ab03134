//! Engine speed. Event-queue throughput: a steady state of `pending` events, each pop scheduling one new
//! event at a random delay, as a message-passing protocol does. Flooding: full flooding on a random
//! 8-regular graph with N = 10^6 and uniform random latencies; throughput counts delivered messages (target: at
//! least 30 million per second, single-threaded; a flood this sparse runs on one part whatever the threads). Topology: generating a random 8-regular graph of
//! N = 10^6 nodes, and loading the same graph from the text of an edge list (`u v` per line), each alone;
//! throughput counts links.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use models::flooding::{self, FloodingParams, LazyReach};
use sim_core::network::{Latency, Network};
use sim_core::queue::EventQueue;
use sim_core::rng::{Lane, below, stream};
use sim_core::topology::{Topology, generators, parse};

fn queue_hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue_hold");
    const OPS: u64 = 1_000_000;
    group.throughput(Throughput::Elements(OPS));
    for (pending, max_delay) in [(1_000u32, 100u32), (1_000_000, 100), (100_000, 100_000)] {
        let id = BenchmarkId::from_parameter(format!("pending={pending},delay<={max_delay}"));
        group.bench_function(id, |b| {
            b.iter_batched(
                || {
                    let mut rng = stream(1, 0, Lane::Network);
                    let mut q = EventQueue::new(u64::from(max_delay));
                    for i in 0..pending {
                        q.push(u64::from(below(&mut rng, max_delay)), i);
                    }
                    (q, rng)
                },
                |(mut q, mut rng)| {
                    for _ in 0..OPS {
                        let (t, e) = q.pop().expect("steady state");
                        q.push(t + 1 + u64::from(below(&mut rng, max_delay)), e);
                    }
                    q.len()
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn flooding_regular(c: &mut Criterion) {
    let n = 1_000_000;
    let graph = generators::random_regular(n, 8, &mut stream(1, 0, Lane::Topology)).expect("valid parameters");
    let topology = Topology::from(graph);
    let network = Network { latency: Latency::Uniform { min: 1, max: 100 }, loss: 0.0 };
    let params = FloodingParams::default();
    let reach = LazyReach::default();
    let delivered = 2 * topology.edge_count() - u64::from(n - 1);
    let mut group = c.benchmark_group("flooding");
    group.throughput(Throughput::Elements(delivered));
    group.bench_function("random_regular_n1e6_d8_uniform_latency", |b| {
        b.iter(|| flooding::run(&params, &topology, &reach, network, 1, 0))
    });
    group.finish();
}

fn topology_regular(c: &mut Criterion) {
    let (n, d) = (1_000_000, 8);
    let generate = || generators::random_regular(n, d, &mut stream(1, 0, Lane::Topology)).expect("valid parameters");
    let graph = generate();
    let text: String = (0..graph.edge_count() as u32)
        .map(|e| {
            let (u, v) = graph.endpoints(e);
            format!("{u} {v}\n")
        })
        .collect();
    let mut group = c.benchmark_group("topology");
    group.throughput(Throughput::Elements(graph.edge_count() as u64));
    group.bench_function("random_regular_n1e6_d8", |b| b.iter(generate));
    group.bench_function("edge_list_n1e6_d8", |b| b.iter(|| parse::edge_list(&text).expect("a valid edge list")));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = queue_hold, flooding_regular, topology_regular
}
criterion_main!(benches);
