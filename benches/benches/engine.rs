//! Event-queue throughput: a steady state of `pending` events, each pop scheduling one new event
//! at a random delay, as a message-passing protocol does.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sim_core::queue::EventQueue;
use sim_core::rng::{Lane, below, stream};

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

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = queue_hold
}
criterion_main!(benches);
