//! Integration tests of the models crate against sim-core topologies.

use models::Env;
use models::flooding::{self, FloodingParams, LazyReach};
use proptest::prelude::*;
use sim_core::network::{Latency, Network};
use sim_core::paths::{ShortestPaths, UNREACHABLE};
use sim_core::rng::{Lane, stream};
use sim_core::topology::{Topology, generators};
use sim_core::trace::{Kind, OwnedStep};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Full flooding on any connected graph sends exactly 2|E| - (N - 1) messages whatever the latencies,
    /// and with unit latency completes at the source's eccentricity.
    #[test]
    fn full_flooding_message_count_is_exact(seed in 0u64..1000, n in 20u32..400, which in 0usize..4) {
        let mut rng = stream(seed, 0, Lane::Topology);
        let graph = match which {
            0 => generators::random_regular(n - n % 2, 4, &mut rng).unwrap(),
            1 => generators::barabasi_albert(n, 2, &mut rng).unwrap(),
            2 => generators::watts_strogatz(n, 4, 0.2, &mut rng).unwrap(),
            _ => generators::grid(n / 10 + 3, 7, true).unwrap(),
        };
        prop_assume!(graph.is_connected());
        let source = (seed % u64::from(graph.node_count())) as u32;
        let ecc = ShortestPaths::hops_from(&graph, source).eccentricity();
        let (nodes, edges) = (graph.node_count(), graph.edge_count() as f64);
        let topology = Topology::from(graph);
        let params = FloodingParams { source: source.into(), ..FloodingParams::default() };

        let random = Network { latency: Latency::Uniform { min: 1, max: 30 }, loss: 0.0 };
        let out = flooding::run(&params, &topology, &LazyReach::default(), random, seed, 0);
        prop_assert_eq!(out.get("messages"), Some(2.0 * edges - f64::from(nodes - 1)));
        prop_assert_eq!(out.get("coverage"), Some(1.0));

        let unit = flooding::run(&params, &topology, &LazyReach::default(), Network::default(), seed, 0);
        prop_assert_eq!(unit.get("completion_time"), Some(ecc as f64));
        prop_assert_eq!(unit.get("max_hops"), Some(ecc as f64));
    }
}

/// Full flooding on sparse G(N, p) graphs (mean degree 1.6: many components) reaches exactly the source's
/// component c and sends 2|E_c| − (|V_c| − 1) messages; c is found here by breadth-first hops from the
/// source, independently of the model's own count.
#[test]
fn full_flooding_on_a_disconnected_graph_covers_the_source_component() {
    for seed in 0..20u64 {
        let graph = generators::erdos_renyi(300, 1.6 / 299.0, &mut stream(seed, 0, Lane::Topology)).unwrap();
        assert!(!graph.is_connected());
        let source = (seed * 37 % 300) as u32;
        let hops = ShortestPaths::hops_from(&graph, source);
        let component: Vec<u32> = (0..300).filter(|&v| hops.distances()[v as usize] != UNREACHABLE).collect();
        let degrees: u64 = component.iter().map(|&v| u64::from(graph.degree(v))).sum();
        let giant = graph.component_sizes()[0];
        let topology = Topology::from(graph);
        let params = FloodingParams { source: source.into(), ..FloodingParams::default() };
        let out = flooding::run(&params, &topology, &LazyReach::default(), Network::default(), seed, 0);
        let nodes = component.len() as f64;
        assert_eq!(out.get("messages"), Some(degrees as f64 - (nodes - 1.0)), "seed {seed}");
        assert_eq!(out.get("coverage"), Some(nodes / 300.0));
        assert_eq!(out.get("coverage_of_reachable"), Some(1.0));
        let in_giant = if nodes as u32 == giant { 1.0 } else { 0.0 };
        assert_eq!(out.get("coverage_of_giant"), Some(in_giant));
        assert!(out.analytic.iter().any(|a| a.name == "messages" && a.value == degrees as f64 - (nodes - 1.0)));
    }
}

#[test]
fn weighted_flooding_completes_at_the_weighted_eccentricity() {
    let params = generators::TransitStubParams {
        transit_domains: 2,
        transit_per_domain: 3,
        stubs_per_transit: 2,
        stub_size: 5,
        hosts: 40,
        edge_probability: 0.2,
        transit_transit_delay: (10, 40),
        transit_stub_delay: (3, 9),
        stub_stub_delay: (1, 5),
        host_delay: (1, 2),
    };
    for seed in 0..5 {
        let topology =
            Topology::from(generators::transit_stub(&params, &mut stream(seed, 0, Lane::Topology)).unwrap().graph);
        let g = topology.as_graph().unwrap();
        let ecc = ShortestPaths::from(g, 0).eccentricity();
        let network = Network { latency: Latency::EdgeWeight, loss: 0.0 };
        let out = flooding::run(&FloodingParams::default(), &topology, &LazyReach::default(), network, seed, 0);
        assert_eq!(out.get("completion_time"), Some(ecc as f64));
        assert!(out.analytic.iter().any(|a| a.name == "completion_time" && a.value == ecc as f64));
    }
}

/// Probabilistic flooding with p_flood forwards at about a fraction p_flood of reached non-source
/// nodes. On a d-regular graph a forwarder sends d - 1 messages, so
/// E[messages] = d + p_flood·(d - 1)·(reached - 1). The mean ratio over 40 runs must lie within 1.7 CI
/// half-widths of p_flood (t-quantile 3.3 instead of 2.02: a 99.8% interval).
#[test]
fn probabilistic_flooding_sends_what_its_forwarders_imply() {
    let (n, d, p) = (4000u32, 10u32, 0.3);
    let mut ratios = Vec::new();
    for seed in 0..40 {
        let topology = Topology::from(generators::random_regular(n, d, &mut stream(seed, 0, Lane::Topology)).unwrap());
        let params = FloodingParams { p_flood: p, ..FloodingParams::default() };
        let out = flooding::run(&params, &topology, &LazyReach::default(), Network::default(), seed, 0);
        let reached = out.get("coverage").unwrap() * f64::from(n);
        let forwards = (out.get("messages").unwrap() - f64::from(d)) / f64::from(d - 1);
        ratios.push(forwards / (reached - 1.0));
    }
    let s = sim_core::stats::Summary::of(&ratios);
    assert!((s.mean - p).abs() < 1.7 * s.half_width(), "{s:?}");
}

fn count(steps: &[OwnedStep], kind: Kind) -> usize {
    steps.iter().filter(|s| s.kind == kind).count()
}

/// A traced flood is the same run (same outcome), and its trace accounts for every message: one `send` per
/// message, one `deliver` per copy not lost, one `inform` per node reached, in time order.
#[test]
fn a_traced_flood_is_the_same_run_and_its_trace_adds_up() {
    let graph = generators::random_regular(200, 4, &mut stream(5, 0, Lane::Topology)).unwrap();
    let topology = Topology::from(graph);
    let params = FloodingParams { p_flood: 0.8, ..FloodingParams::default() };
    let network = Network { latency: Latency::Uniform { min: 1, max: 9 }, loss: 0.1 };
    let reach = LazyReach::default();
    let plain = flooding::run(&params, &topology, &reach, network, 3, 2);
    let mut steps: Vec<OwnedStep> = Vec::new();
    let mut trace = sim_core::trace::Labelled::new(&mut steps, |()| "update");
    let traced = flooding::run_traced(&params, &topology, &reach, network, 3, 2, &mut trace);
    assert_eq!(plain, traced);
    let dropped = steps.iter().filter(|s| s.kind == Kind::Send && s.dropped).count();
    assert_eq!(count(&steps, Kind::Send) as f64, plain.get("messages").unwrap());
    assert_eq!(count(&steps, Kind::Deliver), count(&steps, Kind::Send) - dropped);
    assert_eq!(count(&steps, Kind::Inform) as f64, plain.get("coverage").unwrap() * 200.0);
    assert!(steps.windows(2).all(|w| w[0].time <= w[1].time));
}

/// Traced gossip runs take the generic round where untraced ones take a protocol's faster form; both give
/// the same outcome, in rounds and event-driven, and every node that ends up informed is reported once.
#[test]
fn traced_gossip_runs_are_the_same_runs() {
    use models::epidemic::anti_entropy::{self, AntiEntropyParams};
    use models::epidemic::rumor::{self, Rumor, RumorParams};
    use models::gossip::{GossipModel, Timing};
    let topology = Topology::complete(300).unwrap();
    let lossy = Network { latency: Latency::Uniform { min: 1, max: 4 }, loss: 0.05 };
    for timing in [Timing::Rounds, Timing::Poisson { period: 10 }] {
        let ae = AntiEntropyParams { timing, ..AntiEntropyParams::default() };
        let mut steps: Vec<OwnedStep> = Vec::new();
        let traced = anti_entropy::run_with(&ae, &topology, lossy, None, 7, 1, Some(&mut steps));
        assert_eq!(traced, anti_entropy::run(&ae, &topology, lossy, None, 7, 1));
        assert_eq!(traced.get("converged"), Some(1.0));
        assert_eq!(count(&steps, Kind::Inform), 300);
        assert_eq!(count(&steps, Kind::Send) as f64, traced.get("messages").unwrap());

        let r = RumorParams { timing, ..RumorParams::default() };
        let mut steps: Vec<OwnedStep> = Vec::new();
        let traced = Rumor.run_with(&r, &Env::new(topology.clone(), lossy), 7, 1, Some(&mut steps));
        assert_eq!(traced, rumor::run(&r, &topology, lossy, 7, 1));
        assert_eq!(count(&steps, Kind::Inform) as f64, 300.0 - traced.get("residual_nodes").unwrap());
        let informed: std::collections::BTreeSet<u32> =
            steps.iter().filter(|s| s.kind == Kind::Inform).map(|s| s.to).collect();
        assert_eq!(informed.len(), count(&steps, Kind::Inform));
    }
}

/// ALM under churn with returns, read from JSON and run through the public API: on a ring of 60 routers
/// with 200 hosts, members fail and come back; the exact identities hold (the multicasts during which
/// nothing changed miss exactly the members cut off), returns are counted and most returned members are
/// connected again, and one seed gives one outcome.
#[test]
fn alm_members_that_come_back_join_again() {
    use models::alm::{AlmParams, run};
    use models::outcome::Check;
    use sim_core::rng::below;
    use sim_core::topology::GraphBuilder;
    use sim_core::underlay::Underlay;
    let (routers, hosts) = (60, 200);
    let mut rng = stream(4, 0, Lane::Topology);
    let mut b = GraphBuilder::new(routers + hosts);
    for v in 0..routers {
        b.weighted_edge(v, (v + 1) % routers, 1 + below(&mut rng, 30));
    }
    for h in 0..hosts {
        b.weighted_edge(routers + h, below(&mut rng, routers), 1 + below(&mut rng, 3));
    }
    let underlay = Underlay::new(b.build().unwrap().into(), (routers..routers + hosts).collect()).unwrap();
    let params: AlmParams = serde_json::from_str(
        r#"{"overlay": {"kind": "chord", "bits": 24}, "groups": [{"name": "everyone", "members": "all"}],
            "timing": {"kind": "events", "join_window": 50,
                       "churn": {"session": {"kind": "exponential", "mean": 8000},
                                 "downtime": {"kind": "exponential", "mean": 1000},
                                 "multicasts": 4, "multicast_every": 2000, "heartbeat": 300}}}"#,
    )
    .unwrap();
    let out = run(&params, &underlay, 9, 0);
    assert_eq!(out, run(&params, &underlay, 9, 0));
    for a in out.analytic.iter().filter(|a| a.check == Check::Exact) {
        assert_eq!(out.get(&a.metric), Some(a.value), "{}", a.name);
    }
    let (returns, connected) = (out.get("all.returns").unwrap(), out.get("everyone.returns_connected").unwrap());
    assert!(returns >= 50.0 && connected >= 0.8 * returns, "{returns} {connected}");
}
