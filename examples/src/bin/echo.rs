//! The echo algorithm (Chang 1982; propagation of information with feedback) written by hand on the bare
//! sim-core engine: no scenario file, no JSON, no model registry — the smallest complete use of
//! [`Simulation`], [`Protocol`] and [`Context`].
//!
//! The initiator sends a token to every neighbour. A node that gets its first token adopts the sender as
//! its parent and passes the token to every other neighbour; once a node has heard from every neighbour
//! (tokens and echoes alike) it sends an echo to its parent, and when the initiator has heard from all of
//! its neighbours the wave is complete: every node knows it is part of it, and the parent links form a
//! spanning tree. Every link carries exactly one message each way, so the wave costs exactly 2|E| messages
//! whatever the latencies — the program checks that on random graphs and prints the tree's depth and the
//! time the echo took.
//!
//! `cargo run -p dissem-examples --bin echo [NODES] [DEGREE] [SEED]`

use std::process::ExitCode;

use dissem::sim_core::engine::{Context, Limits, Protocol, RunEnd, Simulation};
use dissem::sim_core::network::{Latency, Network};
use dissem::sim_core::rng::{Lane, stream};
use dissem::sim_core::topology::{Graph, generators};
use dissem::sim_core::{NodeId, Time};

#[derive(Clone, Copy)]
enum Wave {
    Token,
    Echo,
}

const NO_PARENT: NodeId = NodeId::MAX;

struct Echo<'g> {
    graph: &'g Graph,
    initiator: NodeId,
    parent: Vec<NodeId>,
    /// Messages each node has received so far (it answers when it has heard from all its neighbours).
    heard: Vec<u32>,
    depth: Vec<u32>,
    decided_at: Option<Time>,
}

impl Echo<'_> {
    /// Sends `wave` from `v` to every neighbour except `skip`.
    fn send_all(&self, ctx: &mut Context<'_, Wave, ()>, v: NodeId, skip: NodeId, wave: Wave) {
        for arc in self.graph.arcs(v) {
            if self.graph.arc_target(arc) != skip {
                ctx.send_arc(v, arc, wave);
            }
        }
    }

    /// Once `v` has heard from every neighbour: echo to the parent, or, at the initiator, decide.
    fn maybe_done(&mut self, ctx: &mut Context<'_, Wave, ()>, v: NodeId) {
        if self.heard[v as usize] < self.graph.degree(v) {
            return;
        }
        if v == self.initiator {
            self.decided_at = Some(ctx.now());
            ctx.stop();
        } else {
            ctx.send(v, self.parent[v as usize], Wave::Echo);
        }
    }
}

impl Protocol for Echo<'_> {
    type Msg = Wave;
    type Timer = ();

    fn start(&mut self, ctx: &mut Context<'_, Wave, ()>) {
        self.parent[self.initiator as usize] = self.initiator;
        self.send_all(ctx, self.initiator, NO_PARENT, Wave::Token);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Wave, ()>, from: NodeId, to: NodeId, wave: Wave) {
        self.heard[to as usize] += 1;
        if matches!(wave, Wave::Token) && self.parent[to as usize] == NO_PARENT {
            self.parent[to as usize] = from;
            self.depth[to as usize] = self.depth[from as usize] + 1;
            self.send_all(ctx, to, from, Wave::Token);
        }
        self.maybe_done(ctx, to);
    }

    fn on_timer(&mut self, _: &mut Context<'_, Wave, ()>, _: NodeId, _: ()) {}
}

fn arg(i: usize, default: u64) -> Result<u64, String> {
    std::env::args()
        .nth(i)
        .map_or(Ok(default), |a| a.parse().map_err(|_| format!("argument {i}: `{a}` is not a number")))
}

fn main() -> ExitCode {
    let parsed = (arg(1, 10_000), arg(2, 6), arg(3, 1));
    let (Ok(nodes), Ok(degree), Ok(seed)) = parsed else {
        eprintln!("usage: echo [NODES] [DEGREE] [SEED]");
        return ExitCode::from(2);
    };
    let (Ok(nodes), Ok(degree)) = (u32::try_from(nodes), u32::try_from(degree)) else {
        eprintln!("echo: NODES and DEGREE must fit in 32 bits");
        return ExitCode::from(2);
    };
    let graph = match generators::random_regular(nodes, degree, &mut stream(seed, 0, Lane::Topology)) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("echo: {e}");
            return ExitCode::from(2);
        }
    };
    println!("random {degree}-regular graph, {nodes} nodes, {} links; latency uniform 1..=10", graph.edge_count());
    println!("{:>4} {:>10} {:>10} {:>8} {:>10}", "run", "messages", "2|E|", "depth", "echo time");
    let n = nodes as usize;
    for run in 0..5 {
        let mut echo = Echo {
            graph: &graph,
            initiator: 0,
            parent: vec![NO_PARENT; n],
            heard: vec![0; n],
            depth: vec![0; n],
            decided_at: None,
        };
        let network = Network { latency: Latency::Uniform { min: 1, max: 10 }, loss: 0.0 };
        let mut sim = Simulation::with_run(seed, run).network(network).graph(&graph);
        let end = sim.run(&mut echo, Limits::default());
        let messages = sim.counters_ref().sent;
        let expected = 2 * graph.edge_count() as u64;
        let depth = echo.depth.iter().max().copied().unwrap_or(0);
        let time = echo.decided_at.map_or_else(|| "-".to_owned(), |t| t.to_string());
        println!("{run:>4} {messages:>10} {expected:>10} {depth:>8} {time:>10}");
        let spanning = echo.parent.iter().all(|&p| p != NO_PARENT);
        if end != RunEnd::Stopped || messages != expected || !spanning {
            eprintln!("echo: the wave did not complete with exactly 2|E| messages and a spanning tree");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
