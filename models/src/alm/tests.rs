use sim_core::topology::{Graph, GraphBuilder};

use super::*;
use crate::chord::RingParams;
use crate::overlay::IdAssignment;

/// Every `Exact` prediction must equal its metric (as `dissem check` requires).
fn assert_exact(out: &Outcome) {
    for a in out.analytic.iter().filter(|a| a.check == Check::Exact) {
        let got = out.get(&a.metric).unwrap_or_else(|| panic!("no metric {}", a.metric));
        assert!(
            (got - a.value).abs() <= 1e-9 * a.value.abs().max(1.0),
            "{}: {got} vs {} ({})",
            a.name,
            a.value,
            a.formula
        );
    }
}

/// The lecture's "ALM: some costs" network: hosts A–E on routers Ra–Re (access delay 1).
fn lecture_network() -> (Graph, Vec<u32>) {
    let names = ["Ra", "Rb", "Rc", "Rd", "Re", "A", "B", "C", "D", "E"];
    let mut b = GraphBuilder::new(10);
    for (u, v, w) in [(0, 1, 7), (0, 4, 30), (4, 2, 20), (2, 3, 5), (1, 3, 40)] {
        b.weighted_edge(u, v, w);
    }
    for h in 0..5 {
        b.weighted_edge(5 + h, h, 1);
    }
    b.labels(names.map(String::from).to_vec());
    (b.build().unwrap(), (5..10).collect())
}

fn lecture_tree() -> ExplicitTree {
    let edge = |a: &str, b: &str| [a.to_owned(), b.to_owned()];
    ExplicitTree { root: "A".into(), edges: vec![edge("A", "B"), edge("B", "E"), edge("E", "D"), edge("D", "C")] }
}

fn lecture_params() -> AlmParams {
    let stated = |metric: &str, value: Stated| Expectation {
        metric: metric.into(),
        value,
        note: Some("lecture, ALM: some costs".into()),
    };
    AlmParams {
        groups: vec![
            GroupParams {
                name: Some("from_a".into()),
                tree: Some(lecture_tree()),
                report_links: vec![["Ra".into(), "Rb".into()]],
                report_members: vec!["D".into()],
                ..GroupParams::default()
            },
            GroupParams {
                name: Some("from_b".into()),
                tree: Some(lecture_tree()),
                source: Source::Node("B".into()),
                report_members: vec!["C".into()],
                ..GroupParams::default()
            },
        ],
        expect: vec![
            stated("from_a.link_stress.Ra-Rb", Stated::Number(2.0)),
            stated("from_b.overlay_delay.C", Stated::Number(73.0)),
            stated("from_b.unicast_delay.C", Stated::Number(47.0)),
            stated("from_b.stretch.C", Stated::Text("73/47".into())),
            stated("from_a.tree_cost", Stated::Number(82.0)),
            stated("from_a.mst_cost", Stated::Number(70.0)),
        ],
        ..AlmParams::default()
    }
}

#[test]
fn lecture_example_costs() {
    let (g, hosts) = lecture_network();
    let u = Underlay::new(g.clone().into(), hosts).unwrap();
    let params = lecture_params();
    params.validate("alm", &u).unwrap();
    let out = run(&params, &u, 1, 0);
    let m = |name: &str| out.get(name).unwrap_or_else(|| panic!("no metric {name}"));
    // The message from A to D crosses ⟨Ra, Rb⟩ twice (A→B, then B→E).
    assert_eq!(m("from_a.link_stress.Ra-Rb"), 2.0);
    assert_eq!(m("from_a.overlay_delay.D"), 9.0 + 39.0 + 27.0);
    // B to C: B-Rb-Ra-Re-E-Re-Rc-Rd-D-Rd-Rc-C = 73 over the overlay, B-Rb-Rd-Rc-C = 47 in the network.
    assert_eq!(m("from_b.overlay_delay.C"), 73.0);
    assert_eq!(m("from_b.unicast_delay.C"), 47.0);
    assert_eq!(m("from_b.stretch.C"), 73.0 / 47.0);
    // Tree cost 9 + 39 + 27 + 7; the MST of the unicast delays is A–B, A–E, E–C, C–D = 9 + 32 + 22 + 7.
    assert_eq!(m("from_a.tree_cost"), 82.0);
    assert_eq!(m("from_a.mst_cost"), 70.0);
    assert_eq!(m("from_a.network_usage"), 82.0);
    // Disseminating from A: stress 2 on Ra-Rb, Rb-B, Re-E, Rc-Rd, Rd-D; 1 on A-Ra, Ra-Re, Re-Rc, Rc-C.
    assert_eq!(m("from_a.link_stress_max"), 2.0);
    assert_eq!(m("from_a.links_used"), 9.0);
    assert_eq!(m("from_a.link_stress_mean"), 14.0 / 9.0);
    assert_eq!(out.distributions.iter().find(|(n, _)| n == "from_a.link_stress_histogram").unwrap().1, vec![4.0, 5.0]);
    assert_eq!(m("from_a.members"), 5.0);
    assert_eq!(m("from_a.forwarders"), 0.0);
    assert_eq!(m("from_a.depth"), 4.0);
    assert_eq!(m("from_a.node_stress_max"), 1.0);
    // IP multicast from A: its shortest-path tree reaches D over Ra-Rb-Rd (49 < 57), 9 links, one copy each.
    assert_eq!(m("from_a.ip.links_used"), 9.0);
    assert_eq!(m("from_a.ip.link_stress_max"), 1.0);
    assert_eq!(m("from_a.ip.network_usage"), 1.0 + 7.0 + 1.0 + 30.0 + 1.0 + 20.0 + 1.0 + 40.0 + 1.0);
    // Unicast from A sends 4 copies through A's access link; B and D are reached over Ra-Rb, C and E over Ra-Re.
    assert_eq!(m("from_a.unicast.source_link_stress"), 4.0);
    assert_eq!(m("from_a.unicast.link_stress_max"), 4.0);
    assert_eq!(m("from_a.unicast.network_usage"), 9.0 + 52.0 + 49.0 + 32.0);
    // From B the message crosses the same tree edges, so the tree cost is the same.
    assert_eq!(m("from_b.network_usage"), 82.0);
    assert_exact(&out);
    assert_eq!(out.analytic.iter().filter(|a| a.name.starts_with("expect.")).count(), 6);
}

/// The trace of the lecture example: its `link` steps count each link's stress, its `inform` steps are the
/// overlay tree, and the run is the same.
#[test]
fn lecture_example_trace_counts_link_stress() {
    use sim_core::trace::{Kind, OwnedStep};
    let (g, hosts) = lecture_network();
    let u = Underlay::new(g.clone().into(), hosts).unwrap();
    let params = lecture_params();
    let mut steps: Vec<OwnedStep> = Vec::new();
    assert_eq!(run_traced(&params, &u, 1, 0, &mut steps), run(&params, &u, 1, 0));
    let from_a = |kind| steps.iter().filter(move |s| s.message == "from_a" && s.kind == kind);
    let (ra, rb) = (0, 1);
    assert_eq!(from_a(Kind::Link).filter(|s| (s.from, s.to) == (ra, rb) || (s.from, s.to) == (rb, ra)).count(), 2);
    assert_eq!(from_a(Kind::Link).count(), 14, "Σ stress over the 9 links used");
    let tree: Vec<(u32, u32)> = from_a(Kind::Inform).map(|s| (s.from, s.to)).collect();
    // A (5) informs itself, then A→B, B→E, E→D, D→C.
    assert_eq!(tree, vec![(5, 5), (5, 6), (6, 9), (9, 8), (8, 7)]);
    let d = from_a(Kind::Inform).find(|s| s.to == 8).unwrap();
    assert_eq!(d.time, 9 + 39 + 27);
}

#[test]
fn lecture_example_reads_from_json() {
    let json = r#"{
        "groups": [
            {
                "name": "from_a",
                "tree": {"root": "A", "edges": [["A", "B"], ["B", "E"], ["E", "D"], ["D", "C"]]},
                "report_links": [["Ra", "Rb"]],
                "report_members": ["D"]
            },
            {
                "name": "from_b",
                "tree": {"root": "A", "edges": [["A", "B"], ["B", "E"], ["E", "D"], ["D", "C"]]},
                "source": {"node": "B"},
                "report_members": ["C"]
            }
        ],
        "expect": [
            {"metric": "from_a.link_stress.Ra-Rb", "value": 2, "note": "lecture, ALM: some costs"},
            {"metric": "from_b.overlay_delay.C", "value": 73, "note": "lecture, ALM: some costs"},
            {"metric": "from_b.unicast_delay.C", "value": 47, "note": "lecture, ALM: some costs"},
            {"metric": "from_b.stretch.C", "value": "73/47", "note": "lecture, ALM: some costs"},
            {"metric": "from_a.tree_cost", "value": 82, "note": "lecture, ALM: some costs"},
            {"metric": "from_a.mst_cost", "value": 70, "note": "lecture, ALM: some costs"}
        ]
    }"#;
    let parsed: AlmParams = serde_json::from_str(json).unwrap();
    assert_eq!(parsed, lecture_params());
    let chord: AlmParams = serde_json::from_str(
        r#"{"overlay": {"kind": "chord", "bits": 64, "ids": "hashed"},
            "groups": [{"members": {"fraction": 0.1}, "source": "random_member"},
            {"members": "all"}, {"members": {"count": 3}}, {"members": {"list": ["A", "B"]}}],
            "zipf_groups": {"count": 1000}}"#,
    )
    .unwrap();
    assert_eq!(
        chord.overlay,
        OverlayParams::Chord(RingParams { bits: 64, ids: IdAssignment::Hashed, ..RingParams::default() })
    );
    assert_eq!(chord.groups[0].members, Members::Fraction(0.1));
    assert_eq!(chord.zipf_groups.unwrap().exponent, 1.25);
    assert!(serde_json::from_str::<AlmParams>(r#"{"group": []}"#).is_err());
    // The overlay is named `overlay` (it was `ring` when ALM could only use Chord).
    assert!(serde_json::from_str::<AlmParams>(r#"{"ring": {"bits": 32}}"#).is_err());
}

#[test]
fn lecture_example_errors_name_the_field() {
    let (g, hosts) = lecture_network();
    let u = Underlay::new(g.clone().into(), hosts).unwrap();
    let mut p = lecture_params();
    p.groups[0].tree.as_mut().unwrap().edges.push(["C".into(), "A".into()]);
    let e = p.validate("alm", &u).unwrap_err();
    assert_eq!((e.field.as_str(), e.message.as_str()), ("alm.groups[0].tree.edges", "edge 4 closes a cycle"));
    let mut p = lecture_params();
    p.groups[1].report_members = vec!["F".into()];
    assert_eq!(p.validate("alm", &u).unwrap_err().field, "alm.groups[1].report_members");
    let mut p = lecture_params();
    p.groups[0].report_links = vec![["Ra".into(), "Rc".into()]];
    assert!(p.validate("alm", &u).unwrap_err().message.contains("no link between Ra and Rc"));
    let mut p = lecture_params();
    p.groups[1].name = Some("from_a".into());
    assert_eq!(p.validate("alm", &u).unwrap_err().field, "alm.groups[1].name");
    let mut p = lecture_params();
    p.expect[0].value = Stated::Text("7/x".into());
    assert_eq!(p.validate("alm", &u).unwrap_err().field, "alm.expect[0].value");
}

/// Routers in a ring with random chords, hosts attached to random routers (several per router).
fn random_network(routers: u32, hosts: u32, seed: u64) -> (Graph, Vec<u32>) {
    let mut rng = sim_core::rng::stream(seed, 0, Lane::Topology);
    let mut b = GraphBuilder::new(routers + hosts);
    for v in 0..routers {
        b.weighted_edge(v, (v + 1) % routers, 1 + below(&mut rng, 30));
        let w = below(&mut rng, routers);
        if w != v {
            b.weighted_edge(v, w, 5 + below(&mut rng, 60));
        }
    }
    for h in 0..hosts {
        b.weighted_edge(routers + h, below(&mut rng, routers), 1 + below(&mut rng, 3));
    }
    (b.build().unwrap(), (routers..routers + hosts).collect())
}

#[test]
fn chord_groups_satisfy_the_exact_identities_and_are_deterministic() {
    // Two overlay nodes share a host, so one receiver can sit on the source's host.
    let u = shared_host_underlay();
    let params = chord_groups(&u, AlmTiming::Static);
    params.validate("alm", &u).unwrap();
    let out = run(&params, &u, 7, 0);
    assert_exact(&out);
    let m = |name: &str| out.get(name).unwrap_or_else(|| panic!("no metric {name}"));
    assert_eq!(m("everyone.members"), 401.0);
    // With every node a member, nobody only forwards.
    assert_eq!(m("everyone.forwarders"), 0.0);
    assert_eq!(m("everyone.tree_nodes"), 401.0);
    assert_eq!(m("some.members"), 40.0);
    assert!(m("some.tree_nodes") >= 40.0);
    assert_eq!(m("some.forwarders"), m("some.tree_nodes") - 40.0);
    // The pair's receiver shares the source's host: no network path, no stretch, no unicast copy.
    assert_eq!(m("pair.unicast.source_link_stress"), 0.0);
    assert_eq!(m(&format!("pair.unicast_delay.{}", u.node_name(400))), 0.0);
    assert_eq!(out.get(&format!("pair.stretch.{}", u.node_name(400))), None);
    // Scribe's ratios: of the mean delays and of the largest ones; none for the pair (no network path).
    assert_eq!(m("everyone.rad"), m("everyone.delay_mean") / m("everyone.unicast.delay_mean"));
    assert_eq!(m("some.rmd"), m("some.delay_max") / m("some.unicast.delay_max"));
    assert_eq!((out.get("pair.rad"), out.get("pair.rmd")), (None, None));
    assert!(m("all.rad_max") >= m("all.rad_p50") && m("all.rad_max") >= m("everyone.rad"));
    for r in ["rad", "rmd"] {
        let q = |name: &str| m(&format!("all.{r}_{name}"));
        assert!(q("p50") <= q("p90") && q("p90") <= q("max"), "{r}: quantiles over groups in order");
    }
    assert!(m("everyone.rad") >= 1.0 && m("everyone.rmd") >= 1.0, "IP multicast's delays are the shortest");
    assert_eq!(out.get("pair.stretch_mean"), None);
    assert!(m("everyone.stretch_p50") >= 1.0 && m("everyone.stretch_p99") >= m("everyone.stretch_p90"));
    assert!(m("everyone.stretch_max") >= m("everyone.stretch_p99"));
    // The quantile function runs from the minimum through the reported percentiles to the maximum.
    let q = &out.series.iter().find(|(n, _)| n == "everyone.stretch_quantiles").expect("stretch quantiles").1;
    assert_eq!(q.len(), 101);
    assert!(q.windows(2).all(|w| w[0] <= w[1]) && q[0] >= 1.0);
    assert_eq!(
        (q[50], q[90], q[99], q[100]),
        (m("everyone.stretch_p50"), m("everyone.stretch_p90"), m("everyone.stretch_p99"), m("everyone.stretch_max"))
    );
    assert!(out.series.iter().all(|(n, _)| n != "pair.stretch_quantiles"), "no receiver with a network path");
    assert!(m("everyone.link_stress_max") > 1.0);
    assert_eq!(m("all.groups"), 23.0);
    // Zipf sizes: round(401 · r^-1.25), at least 1.
    let zipf: f64 = (1..=20).map(|r| ((401.0 * f64::from(r).powf(-1.25) + 0.5).floor()).max(1.0)).sum();
    assert_eq!(m("all.members"), 401.0 + 40.0 + 2.0 + zipf);
    // The combined load adds up the groups' loads.
    let analysed = analyse(&params, &u, 7, 0);
    let usage: u64 = analysed.iter().map(|r| r.costs.alm.usage(u.graph())).sum();
    assert_eq!(m("all.network_usage"), usage as f64);
    // Same seed, same outcome, whatever the number of threads.
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| run(&params, &u, 7, 0));
    assert_eq!(single, out);
    assert_ne!(run(&params, &u, 8, 0), out);
}

/// Listed groups of every kind (all nodes, a fraction with a random source, a pair on one host) and Zipf
/// groups, over Chord on a random network where two overlay nodes share a host.
fn chord_groups(u: &Underlay, timing: AlmTiming) -> AlmParams {
    AlmParams {
        overlay: OverlayParams::Chord(RingParams { bits: 24, ids: IdAssignment::Random, ..RingParams::default() }),
        groups: vec![
            GroupParams { name: Some("everyone".into()), ..GroupParams::default() },
            GroupParams {
                name: Some("some".into()),
                members: Members::Fraction(0.1),
                source: Source::RandomMember,
                ..GroupParams::default()
            },
            GroupParams {
                name: Some("pair".into()),
                members: Members::List(vec![u.node_name(0), u.node_name(400)]),
                source: Source::Node(u.node_name(0)),
                report_members: vec![u.node_name(400)],
                ..GroupParams::default()
            },
        ],
        zipf_groups: Some(ZipfGroups { count: 20, exponent: 1.25, largest: None, source: Source::Root }),
        timing,
        ..AlmParams::default()
    }
}

fn shared_host_underlay() -> Underlay {
    let (g, mut hosts) = random_network(60, 400, 3);
    hosts.push(hosts[0]);
    Underlay::new(g.into(), hosts).unwrap()
}

/// Each tree's edges as (overlay node, its parent's overlay node), sorted.
fn parent_edges(t: &Tree) -> Vec<(u32, u32)> {
    let mut e: Vec<(u32, u32)> = (1..t.len()).map(|i| (t.nodes[i], t.nodes[t.parent[i] as usize])).collect();
    e.sort_unstable();
    e
}

/// Arrival time of every tree node, by overlay node.
fn arrivals(c: &GroupCosts) -> Vec<(u32, u64)> {
    let mut a: Vec<(u32, u64)> = c.dissemination.tree.nodes.iter().copied().zip(c.arrival.iter().copied()).collect();
    a.sort_unstable();
    a
}

#[test]
fn join_messages_build_the_tree_join_tree_builds_and_the_multicast_measures_the_same() {
    let u = shared_host_underlay();
    let static_params = chord_groups(&u, AlmTiming::Static);
    for events in [
        EventParams::default(),
        EventParams { join_window: 5_000, multicast_at: None, churn: None },
        // Members join while others' JOINs are under way; the multicast waits for the last one.
        EventParams { join_window: 40, multicast_at: None, churn: None },
    ] {
        let params = chord_groups(&u, AlmTiming::Events(events.clone()));
        params.validate("alm", &u).unwrap();
        for seed in [7, 8] {
            let (by_function, by_messages) = (analyse(&static_params, &u, seed, 0), analyse(&params, &u, seed, 0));
            assert_eq!(by_function.len(), by_messages.len());
            for (f, m) in by_function.iter().zip(&by_messages) {
                let (ft, mt) = (&f.costs.dissemination.tree, &m.costs.dissemination.tree);
                // Same root, same parent of every node, same members.
                assert_eq!(ft.root(), mt.root(), "{}", f.name);
                assert_eq!(parent_edges(ft), parent_edges(mt), "{}", f.name);
                let members = |t: &Tree| {
                    let mut v: Vec<u32> = t.nodes.iter().zip(&t.member).filter(|p| *p.1).map(|p| *p.0).collect();
                    v.sort_unstable();
                    v
                };
                assert_eq!(members(ft), members(mt));
                // The messages took the tree's edges with the underlay's delays and loaded the same links.
                assert_eq!(arrivals(&f.costs), arrivals(&m.costs), "{}", f.name);
                assert_eq!(f.costs.alm, m.costs.alm, "{}", f.name);
                assert_eq!(f.costs.dissemination.lead_in, m.costs.dissemination.lead_in);
                assert_eq!(m.costs.missed, 0);
                let joins = m.joins.as_ref().expect("joins");
                assert_eq!(joins.messages, mt.len() as u64 - 1);
                assert!(joins.multicast_at == joins.complete_at && joins.complete_at < events.join_window + 5_000);
            }
            // Every metric of the static model, the same (stress, RAD, RMD, stretch, totals…), and every exact
            // check of the event-driven run (JOIN messages, the static model's figures) holds.
            let (fo, mo) = (run(&static_params, &u, seed, 0), run(&params, &u, seed, 0));
            for (name, value) in &fo.metrics {
                assert_eq!(mo.get(name), Some(*value), "{name}");
            }
            assert_eq!(fo.series, mo.series);
            assert_eq!(fo.distributions, mo.distributions);
            assert_exact(&mo);
            let static_checks = mo.analytic.iter().filter(|a| a.name.contains(".static.")).count();
            assert_eq!(static_checks, 12 + 12 + 10, "everyone and some with RAD and RMD, pair without");
            assert_eq!(mo.get("everyone.members_missed"), Some(0.0));
            assert_eq!(mo.get("all.members_missed"), Some(0.0));
            assert_eq!(mo.get("everyone.join_messages"), Some(400.0));
        }
        let out = run(&params, &u, 7, 0);
        let single = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| run(&params, &u, 7, 0));
        assert_eq!(single, out);
    }
}

#[test]
fn a_multicast_sent_while_members_join_misses_them() {
    let u = shared_host_underlay();
    let at = |multicast_at| {
        let params = chord_groups(&u, AlmTiming::Events(EventParams { join_window: 2_000, multicast_at, churn: None }));
        params.validate("alm", &u).unwrap();
        (analyse(&params, &u, 7, 0), run(&params, &u, 7, 0))
    };
    let complete = analyse(&chord_groups(&u, AlmTiming::Static), &u, 7, 0);
    let (early, early_out) = at(Some(0));
    // At time 0 only the root is in the tree (the JOINs have not arrived): every receiver is missed.
    let everyone = &early[0].costs;
    assert_eq!((everyone.missed, everyone.receivers), (400, 400));
    assert_eq!(early_out.get("everyone.members_missed"), Some(400.0));
    assert_eq!(early_out.get("everyone.delay_mean"), Some(0.0));
    assert_eq!(early_out.get("everyone.rad"), None);
    // The named member of the pair was missed too: said so, with no delays.
    let named = u.node_name(400);
    assert_eq!(early_out.get(&format!("pair.missed.{named}")), Some(1.0));
    assert_eq!(early_out.get(&format!("pair.overlay_delay.{named}")), None);
    let (mid, mid_out) = at(Some(1_000));
    let everyone = &mid[0].costs;
    assert!(everyone.missed > 50 && everyone.missed < 350, "{}", everyone.missed);
    assert!(mid_out.analytic.iter().all(|a| !a.name.starts_with("everyone.static.")), "no static check with misses");
    assert_exact(&mid_out);
    // Whoever the message reached, it reached over the complete tree's path at the same time.
    let whole: BTreeMap<u32, u64> = arrivals(&complete[0].costs).into_iter().collect();
    let reached: Vec<(u32, u64)> = arrivals(everyone).into_iter().filter(|&(_, a)| a != MISSED).collect();
    assert!(reached.len() > 50);
    for (v, a) in reached {
        assert_eq!(whole[&v], a, "node {v}");
    }
    let (late, late_out) = at(Some(1_000_000));
    assert_eq!(late[0].costs.missed, 0);
    assert_eq!(late_out.get(&format!("pair.missed.{named}")), Some(0.0));
    assert!(late_out.get(&format!("pair.overlay_delay.{named}")).is_some());
    assert_eq!(late[0].joins.as_ref().unwrap().multicast_at, 1_000_000);
}

#[test]
fn event_timing_errors_name_the_field() {
    let (g, hosts) = lecture_network();
    let u = Underlay::new(g.clone().into(), hosts).unwrap();
    let mut p = lecture_params();
    p.timing = AlmTiming::Events(EventParams::default());
    let e = p.validate("alm", &u).unwrap_err();
    assert_eq!(e.field, "alm.groups[0].tree");
    assert!(e.message.contains("JOIN messages"), "{}", e.message);
    let read = |json: &str| serde_json::from_str::<AlmParams>(json);
    assert_eq!(
        read(r#"{"timing": {"kind": "events", "join_window": 10, "multicast_at": 99}}"#).unwrap().timing,
        AlmTiming::Events(EventParams { join_window: 10, multicast_at: Some(99), churn: None })
    );
    assert_eq!(read(r#"{"timing": {"kind": "static"}}"#).unwrap().timing, AlmTiming::Static);
    for (bad, says) in [
        (r#"{"timing": {"kind": "static", "join_window": 3}}"#, "at `join_window`"),
        (r#"{"timing": {"kind": "events", "join_windw": 3}}"#, "join_windw"),
        (r#"{"timing": {"kind": "events", "join_window": -1}}"#, "at `join_window`"),
        (r#"{"timing": {"kind": "rounds"}}"#, "one of \"static\", \"events\""),
    ] {
        let e = read(bad).unwrap_err().to_string();
        assert!(e.contains(says), "{bad}: {e}");
    }
    // Static timing is the default and is not written out.
    assert!(serde_json::to_value(AlmParams::default()).unwrap().get("timing").is_none());
    let env = crate::Env {
        topology: std::sync::Arc::new(g.into()),
        hosts: std::sync::Arc::from(vec![5, 6, 7, 8, 9]),
        network: sim_core::network::Network { loss: 0.1, ..Default::default() },
    };
    let joined = AlmParams {
        groups: vec![GroupParams::default()],
        timing: AlmTiming::Events(EventParams::default()),
        ..AlmParams::default()
    };
    let e = Alm.prepare(&joined, &env).err().expect("loss is refused");
    assert_eq!(e.field, "network.loss");
}

fn churn_params(multicast_every: sim_core::Time) -> ChurnParams {
    ChurnParams {
        session: None,
        downtime: None,
        failures: Vec::new(),
        multicasts: 3,
        multicast_every,
        heartbeat: 200,
        timeout_rtts: 3.0,
        timeout_min: 1,
        successors: 8,
    }
}

/// Group "everyone" of [`chord_groups`] on the shared-host network, built by JOINs and then churned with
/// the nodes `victims` picks (from the tree join_tree builds) failing as churn begins: the tree as churn
/// began, what the repairs measured, and the overlay.
fn churned(u: &Underlay, victims: impl Fn(&Tree, &Overlay) -> Vec<u32>) -> (Tree, Repairs, Overlay, u64) {
    churned_every(u, 20_000, victims)
}

/// [`churned`] with later multicasts every `multicast_every`.
fn churned_every(
    u: &Underlay,
    multicast_every: sim_core::Time,
    victims: impl Fn(&Tree, &Overlay) -> Vec<u32>,
) -> (Tree, Repairs, Overlay, u64) {
    churned_back(u, multicast_every, None, victims)
}

/// [`churned_every`] with the victims coming back at `back`, if given.
fn churned_back(
    u: &Underlay,
    multicast_every: sim_core::Time,
    back: Option<sim_core::Time>,
    victims: impl Fn(&Tree, &Overlay) -> Vec<u32>,
) -> (Tree, Repairs, Overlay, u64) {
    let params = chord_groups(u, AlmTiming::Static);
    let overlay = params.overlay.build(Nodes::Hosts(u), 7, 0);
    let mid = 0x00ab_cdef;
    let members: Vec<u32> = (0..u.len()).collect();
    let mut scratch = Scratch::new(u);
    let before = join_tree(&overlay, mid, &members, &mut scratch.slot);
    let mut lines = vec![Vec::new(); u.len() as usize];
    for v in victims(&before, &overlay) {
        lines[v as usize] = std::iter::once(0).chain(back).collect();
    }
    let schedule = Schedule::of_lines(lines, vec![]);
    let p = EventParams { join_window: 100, multicast_at: None, churn: Some(churn_params(multicast_every)) };
    let (d, _, joins) =
        events::disseminate(&p, &overlay, u, (mid, &members, None), (7, 0, 0), Some(&schedule), &mut scratch);
    assert_eq!(parent_edges(&d.tree), parent_edges(&before), "the first multicast's tree is the built one");
    (d.tree, joins.repairs.expect("churn"), overlay, mid)
}

/// Children of tree index `i`.
fn children(t: &Tree, i: usize) -> usize {
    t.parent.iter().filter(|&&p| p as usize == i).count()
}

#[test]
fn orphans_of_a_failed_forwarder_rejoin_and_later_multicasts_reach_everyone() {
    let u = shared_host_underlay();
    // The interior node with the most children, not the root.
    let busiest = |t: &Tree| (1..t.len()).max_by_key(|&i| (children(t, i), i)).expect("a tree of many nodes");
    let (tree, r, _, _) = churned(&u, |t, _| vec![t.nodes[busiest(t)]]);
    let orphaned = children(&tree, busiest(&tree)) as u64;
    assert!(orphaned >= 2, "{orphaned}");
    // Every child found its parent silent and was reconnected, the root kept its role.
    assert_eq!(r.orphans, orphaned);
    assert_eq!(r.repair_times.len() as u64, orphaned);
    assert!(r.repair_times.iter().all(|&t| t > 0 && t < 20_000), "{:?}", r.repair_times);
    assert_eq!((r.root_changes, r.root), (0, tree.root()));
    assert!(r.rejoin_messages >= orphaned && r.heartbeat_messages > 0);
    // Its parent found it silent long before the first later multicast: dropped, never sent a copy.
    assert_eq!((r.children_dropped, r.copies_to_dead), (1, 0));
    assert!(r.detected_before_forwards);
    // 401 members, the root and the failed node aside; repaired before the first later multicast.
    assert_eq!(r.multicasts.len(), 3);
    for m in &r.multicasts {
        assert_eq!((m.eligible, m.missed, m.disconnected), (399, 0, 0), "{m:?}");
    }
}

#[test]
fn a_parent_sends_copies_to_a_failed_child_until_its_heartbeats_are_overdue() {
    // Multicasts every 100 time units, heartbeats every 200: the busiest interior node fails as churn begins,
    // before its first heartbeat, so its parent last heard from it then. The parent forwards later multicast k
    // when it arrives, k·100 plus the tree's delay from the root after churn began, and sends the failed child
    // a copy exactly while that is within a heartbeat period plus its timeout (3 round trips + 1).
    let u = shared_host_underlay();
    let busiest = |t: &Tree| (1..t.len()).max_by_key(|&i| (children(t, i), i)).expect("a tree of many nodes");
    let (tree, r, _, _) = churned_every(&u, 100, |t, _| vec![t.nodes[busiest(t)]]);
    let victim = busiest(&tree);
    let parent = tree.parent[victim] as usize;
    let (mut depth, mut x) = (0, parent);
    while x != 0 {
        let up = tree.parent[x] as usize;
        depth += u.delay(tree.nodes[x], tree.nodes[up]);
        x = up;
    }
    let grace = 200 + crate::chord::events::timeout(3.0, 1, u.delay(tree.nodes[parent], tree.nodes[victim]));
    let expected = (1..=3u64).filter(|k| k * 100 + depth <= grace).count() as u64;
    assert!(expected > 0, "the first multicast comes before the parent can know");
    assert_eq!(r.copies_to_dead, expected);
    assert_eq!(r.children_dropped, u64::from(expected < 3));
    assert!(!r.detected_before_forwards);
}

#[test]
fn copies_to_failed_children_are_zero_when_parents_find_them_first_and_counted_otherwise() {
    let u = shared_host_underlay();
    let params = |every| {
        let mut churn = churn_params(every);
        churn.failures = vec![crate::chord::Failure { time: 10, fraction: 0.25 }];
        chord_groups(&u, AlmTiming::Events(EventParams { join_window: 40, multicast_at: None, churn: Some(churn) }))
    };
    // Multicasts every 5,000: the parents of the failed nodes have dropped them long before.
    let slow = params(5_000);
    slow.validate("alm", &u).unwrap();
    let out = run(&slow, &u, 3, 0);
    assert!(out.analytic.iter().any(|a| a.name == "everyone.copies_to_dead" && a.check == Check::Exact));
    assert_exact(&out);
    assert_eq!(out.get("all.copies_to_dead"), Some(0.0));
    assert!(out.get("everyone.children_dropped").unwrap() > 0.0);
    // Every 20: the first later multicasts reach parents that still count their failed children in.
    let fast = params(20);
    let out = run(&fast, &u, 3, 0);
    assert!(!out.analytic.iter().any(|a| a.name.ends_with(".copies_to_dead")));
    assert!(out.get("all.copies_to_dead").unwrap() > 0.0);
    assert!(out.get("all.copies_to_dead") < out.get("all.later_copies"));
}

#[test]
fn a_member_that_comes_back_joins_again_and_is_reached() {
    let u = shared_host_underlay();
    let busiest = |t: &Tree| (1..t.len()).max_by_key(|&i| (children(t, i), i)).expect("a tree of many nodes");
    // Back at 5,000, long after its children found it silent and its parent dropped it: it joins as a member
    // anew and every later multicast reaches all 400 members but the root.
    let (tree, r, _, _) = churned_back(&u, 20_000, Some(5_000), |t, _| vec![t.nodes[busiest(t)]]);
    let orphaned = children(&tree, busiest(&tree)) as u64;
    assert_eq!((r.returns, r.return_times.len(), r.orphans), (1, 1, orphaned));
    assert!(r.return_times[0] > 0 && r.return_times[0] < 20_000, "{:?}", r.return_times);
    for m in &r.multicasts {
        assert_eq!((m.eligible, m.missed, m.disconnected), (400, 0, 0), "{m:?}");
    }
    // Back at 50, before its first heartbeat was due: its children's heartbeats reach a node that no longer
    // knows them and are refused; they join again all the same, and so does it.
    let (_, r, _, _) = churned_back(&u, 20_000, Some(50), |t, _| vec![t.nodes[busiest(t)]]);
    assert_eq!((r.returns, r.return_times.len(), r.orphans, r.repair_times.len() as u64), (1, 1, orphaned, orphaned));
    assert!(r.multicasts.iter().all(|m| (m.eligible, m.missed) == (400, 0)), "{:?}", r.multicasts);
    // The root back at 100, before its children found it silent: their heartbeats are refused, and their
    // JOINs reach it as the key's owner while no live node holds the role: it takes the role again.
    let (tree, r, _, _) = churned_back(&u, 20_000, Some(100), |t, _| vec![t.root()]);
    assert_eq!((r.root_changes, r.root, r.returns, r.return_times.len()), (1, tree.root(), 1, 1));
    assert_eq!(r.join_refusals, 0);
    // Back at 5,000, long after the key's next owner took the role: JOINs naming it the owner are refused
    // (no stabilisation hands the key back), and it joins below the new root as a member.
    let (tree, r, overlay, _) = churned_back(&u, 20_000, Some(5_000), |t, _| vec![t.root()]);
    let Overlay::Chord(ring) = &overlay;
    let next_owner = ring.node(ring.successor(ring.position(tree.root())));
    assert_eq!((r.root_changes, r.root, r.returns, r.return_times.len()), (1, next_owner, 1, 1));
    assert!(r.multicasts.iter().all(|m| (m.eligible, m.missed) == (400, 0)), "{:?}", r.multicasts);
}

#[test]
fn members_coming_back_keep_the_identities_and_the_trees_acyclic_whatever_the_seed() {
    // Sessions of mean 3,000 and downtimes of mean 1,500 over five multicasts 2,000 apart: most nodes fail
    // and come back, some twice; roots fail and come back. Debug builds check that no tree has a cycle.
    let u = shared_host_underlay();
    let mut churn = churn_params(2_000);
    churn.session = Some(crate::chord::Lifetime::Exponential { mean: 3_000.0 });
    churn.downtime = Some(crate::chord::Lifetime::Exponential { mean: 1_500.0 });
    churn.failures = vec![crate::chord::Failure { time: 700, fraction: 0.2 }];
    churn.multicasts = 5;
    let params =
        chord_groups(&u, AlmTiming::Events(EventParams { join_window: 40, multicast_at: None, churn: Some(churn) }));
    params.validate("alm", &u).unwrap();
    let (mut connected, mut root_changes) = (0, 0);
    for seed in 1..=3 {
        let reports = analyse(&params, &u, seed, 0);
        let out = outcome(&params, &u, &reports);
        assert_exact(&out);
        for r in &reports {
            let c = r.joins.as_ref().unwrap().repairs.as_ref().expect("churn");
            assert!(c.return_times.len() as u64 <= c.returns && c.repair_times.len() as u64 <= c.orphans);
            assert!(c.multicasts.iter().all(|m| m.missed <= m.eligible && m.disconnected <= m.eligible));
            connected += c.return_times.len();
            root_changes += c.root_changes;
        }
        assert!(out.get("all.returns").unwrap() > 100.0, "{:?}", out.get("all.returns"));
    }
    assert!(connected > 100 && root_changes > 0, "{connected} {root_changes}");
}

#[test]
fn when_the_root_fails_the_keys_next_owner_takes_its_role() {
    let u = shared_host_underlay();
    let (tree, r, overlay, _) = churned(&u, |t, _| vec![t.root()]);
    let Overlay::Chord(ring) = &overlay;
    let next_owner = ring.node(ring.successor(ring.position(tree.root())));
    assert_eq!((r.root_changes, r.root), (1, next_owner));
    assert_eq!(r.orphans, children(&tree, 0) as u64);
    assert_eq!(r.repair_times.len() as u64, r.orphans);
    // Every member but the failed root is reached, the new root aside.
    for m in &r.multicasts {
        assert_eq!((m.eligible, m.missed), (399, 0), "{m:?}");
    }
    // The root and its successor both failing: the owner is the next node, found past a timeout.
    let (tree, r, overlay, _) = churned(&u, |t, o| {
        let Overlay::Chord(ring) = o;
        vec![t.root(), ring.node(ring.successor(ring.position(t.root())))]
    });
    let Overlay::Chord(ring) = &overlay;
    let after = ring.node(ring.successor(ring.successor(ring.position(tree.root()))));
    assert_eq!((r.root_changes, r.root), (1, after));
    assert!(r.join_timeouts >= 1);
    assert_eq!(r.multicasts.last().map(|m| m.missed), Some(0));
}

#[test]
fn churn_without_failures_leaves_the_first_multicast_as_it_was_and_misses_nobody() {
    let u = shared_host_underlay();
    let plain = chord_groups(&u, AlmTiming::Events(EventParams { join_window: 40, multicast_at: None, churn: None }));
    let churned = chord_groups(
        &u,
        AlmTiming::Events(EventParams { join_window: 40, multicast_at: None, churn: Some(churn_params(1_000)) }),
    );
    churned.validate("alm", &u).unwrap();
    let (a, b) = (analyse(&plain, &u, 7, 0), analyse(&churned, &u, 7, 0));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(parent_edges(&x.costs.dissemination.tree), parent_edges(&y.costs.dissemination.tree));
        assert_eq!(arrivals(&x.costs), arrivals(&y.costs), "{}", x.name);
        assert_eq!(x.costs.alm, y.costs.alm);
        let r = y.joins.as_ref().unwrap().repairs.as_ref().expect("churn");
        assert_eq!((r.orphans, r.rejoin_messages, r.join_timeouts, r.root_changes), (0, 0, 0, 0));
        assert_eq!((r.copies_to_dead, r.children_dropped), (0, 0));
        assert!(r.later_copies > 0 || y.costs.dissemination.tree.len() == 1);
        assert!(r.multicasts.iter().all(|m| m.missed == 0 && m.disconnected == 0 && m.unchanged));
        assert!(r.heartbeat_messages > 0 && r.end >= r.start + 3 * 1_000);
    }
    let (plain_out, out) = (run(&plain, &u, 7, 0), run(&churned, &u, 7, 0));
    for (name, value) in &plain_out.metrics {
        assert_eq!(out.get(name), Some(*value), "{name}");
    }
    assert_exact(&out);
    assert_eq!(out.get("all.missed_per_multicast_max"), Some(0.0));
    assert_eq!(out.get("everyone.orphans"), Some(0.0));
}

#[test]
fn churn_errors_name_the_field() {
    let u = shared_host_underlay();
    let read = |json: &str| serde_json::from_str::<AlmParams>(json);
    let e = read(r#"{"timing": {"kind": "events", "churn": {"multicast_every": 10}}}"#).unwrap_err().to_string();
    assert!(e.contains("heartbeat"), "{e}");
    let mut p =
        chord_groups(&u, AlmTiming::Events(EventParams { churn: Some(churn_params(1_000)), ..EventParams::default() }));
    let AlmTiming::Events(EventParams { churn: Some(c), .. }) = &mut p.timing else { unreachable!() };
    c.failures.push(crate::chord::Failure { time: 5, fraction: -0.1 });
    assert_eq!(p.validate("alm", &u).unwrap_err().field, "alm.timing.churn.failures[0].fraction");
    let AlmTiming::Events(EventParams { churn: Some(c), .. }) = &mut p.timing else { unreachable!() };
    c.failures.clear();
    (c.heartbeat, c.multicasts, c.multicast_every) = (1, 10_000, 1_000_000);
    let e = p.validate("alm", &u).unwrap_err();
    assert_eq!(e.field, "alm.timing.churn.heartbeat");
    assert!(e.message.contains("heartbeats"), "{}", e.message);
    let AlmTiming::Events(EventParams { churn: Some(c), .. }) = &mut p.timing else { unreachable!() };
    (c.heartbeat, c.multicasts) = (200, 3);
    c.downtime = Some(crate::chord::Lifetime::Exponential { mean: 0.5 });
    assert_eq!(p.validate("alm", &u).unwrap_err().field, "alm.timing.churn.downtime.mean");
    let AlmTiming::Events(EventParams { churn: Some(c), .. }) = &mut p.timing else { unreachable!() };
    (c.session, c.downtime) = (Some(crate::chord::Lifetime::Exponential { mean: 1.0 }), c.session);
    c.downtime = Some(crate::chord::Lifetime::Exponential { mean: 1.0 });
    c.multicast_every = 1_000_000;
    let e = p.validate("alm", &u).unwrap_err();
    assert_eq!(e.field, "alm.timing.churn.downtime", "{}", e.message);
    assert!(e.message.contains("session and downtime means"), "{}", e.message);
    // Returns are drawn up to the last scheduled failure, however long after the last multicast: the
    // estimate counts them there too (it used to stop at the multicasts and the run ran out of memory).
    let AlmTiming::Events(EventParams { churn: Some(c), .. }) = &mut p.timing else { unreachable!() };
    c.multicast_every = 100;
    p.validate("alm", &u).expect("a short churn phase passes");
    let AlmTiming::Events(EventParams { churn: Some(c), .. }) = &mut p.timing else { unreachable!() };
    c.failures.push(crate::chord::Failure { time: 4_000_000_000, fraction: 0.1 });
    assert_eq!(p.validate("alm", &u).unwrap_err().field, "alm.timing.churn.downtime");
}

#[test]
fn heavy_churn_keeps_the_identities_whatever_the_seed() {
    // A third of the nodes failing at once, sessions ending every few thousand time units, successor lists of
    // two: re-joins meet failed nodes, roots fail, JOINs get stuck; some multicasts still pass unchanged.
    let u = shared_host_underlay();
    let mut churn = churn_params(2_000);
    churn.session = Some(crate::chord::Lifetime::Exponential { mean: 1e6 });
    churn.failures = vec![crate::chord::Failure { time: 500, fraction: 0.33 }];
    churn.multicasts = 5;
    churn.successors = 2;
    let params =
        chord_groups(&u, AlmTiming::Events(EventParams { join_window: 40, multicast_at: None, churn: Some(churn) }));
    params.validate("alm", &u).unwrap();
    let (mut root_changes, mut unchanged_missing) = (0, 0);
    for seed in 1..=4 {
        let reports = analyse(&params, &u, seed, 0);
        let out = outcome(&params, &u, &reports);
        // Every multicast during which nothing changed missed exactly the members cut off when it left.
        assert_exact(&out);
        for r in &reports {
            let c = r.joins.as_ref().unwrap().repairs.as_ref().expect("churn");
            assert!(c.repair_times.len() as u64 <= c.orphans);
            assert!(c.multicasts.iter().all(|m| m.missed <= m.eligible && m.disconnected <= m.eligible));
            root_changes += c.root_changes;
            unchanged_missing += c.multicasts.iter().filter(|m| m.unchanged).map(|m| m.missed).sum::<u32>();
        }
        assert!(out.get("all.orphans").unwrap() > 0.0);
    }
    assert!(root_changes > 0, "some root failed and was replaced");
    assert!(unchanged_missing > 0, "the identity is put to the test by multicasts that miss members");
}
