//! GT-ITM-style transit-stub networks (Zegura, Calvert & Bhattacharjee, "How to model an internetwork",
//! INFOCOM 1996): a connected core of transit domains, stub domains hanging off transit routers, and end hosts
//! attached to stub routers. Edge weights are link delays.

use super::{gnp_pairs, param, probability};
use crate::rng::{SimRng, below};
use crate::topology::{Graph, GraphBuilder};
use crate::{NodeId, TopologyError};

const NAME: &str = "transit_stub";

/// Shape and link delays of a transit-stub network. Delays are uniform integer ranges `(lo, hi)`, inclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TransitStubParams {
    pub transit_domains: u32,
    /// Routers in each transit domain.
    pub transit_per_domain: u32,
    /// Stub domains attached to each transit router.
    pub stubs_per_transit: u32,
    /// Routers in each stub domain.
    pub stub_size: u32,
    /// End hosts, each attached to one uniformly chosen stub router.
    pub hosts: u32,
    /// Probability of each extra link inside a domain, and between two transit domains, beyond the random
    /// spanning tree that keeps it connected.
    pub edge_probability: f64,
    /// Links inside a transit domain and between transit domains.
    pub transit_transit_delay: (u32, u32),
    /// The link from a stub domain to its transit router.
    pub transit_stub_delay: (u32, u32),
    /// Links inside a stub domain.
    pub stub_stub_delay: (u32, u32),
    /// The link from a host to its stub router.
    pub host_delay: (u32, u32),
}

impl Default for TransitStubParams {
    /// The size of the Scribe experiments: 4 transit domains of 5 routers, 10 stub domains of 25 routers
    /// per transit router (5,020 routers), 1,000 hosts.
    fn default() -> Self {
        TransitStubParams {
            transit_domains: 4,
            transit_per_domain: 5,
            stubs_per_transit: 10,
            stub_size: 25,
            hosts: 1000,
            edge_probability: 0.1,
            transit_transit_delay: (20, 80),
            transit_stub_delay: (5, 20),
            stub_stub_delay: (1, 10),
            host_delay: (1, 3),
        }
    }
}

/// A generated network. Nodes: the transit routers first (domain by domain), then the stub domains' routers
/// (stub domain s of transit router t at `transit + (t·stubs_per_transit + s)·stub_size`), then the hosts.
#[derive(Clone, Debug)]
pub struct TransitStub {
    pub graph: Graph,
    /// Routers are nodes `0..routers`.
    pub routers: u32,
    /// Host i is node `hosts[i] = routers + i`.
    pub hosts: Vec<NodeId>,
}

impl TransitStubParams {
    /// Checks the parameters; returns the number of transit routers and of all routers.
    fn sizes(&self) -> Result<(u32, u32), TopologyError> {
        for (name, value) in [
            ("transit_domains", self.transit_domains),
            ("transit_per_domain", self.transit_per_domain),
            ("stubs_per_transit", self.stubs_per_transit),
            ("stub_size", self.stub_size),
        ] {
            if value == 0 {
                return Err(param(NAME, name, format!("{name} must be at least 1, got 0")));
            }
        }
        probability(NAME, "edge_probability", self.edge_probability)?;
        for (name, (lo, hi)) in [
            ("transit_transit_delay", self.transit_transit_delay),
            ("transit_stub_delay", self.transit_stub_delay),
            ("stub_stub_delay", self.stub_stub_delay),
            ("host_delay", self.host_delay),
        ] {
            if lo == 0 || lo > hi {
                return Err(param(
                    NAME,
                    name,
                    format!("{name} must be a range (lo, hi) with 1 <= lo <= hi, got ({lo}, {hi})"),
                ));
            }
        }
        let transit = u128::from(self.transit_domains) * u128::from(self.transit_per_domain);
        let routers = transit * (1 + u128::from(self.stubs_per_transit) * u128::from(self.stub_size));
        if routers + u128::from(self.hosts) > u128::from(u32::MAX) {
            return Err(param(
                NAME,
                "hosts",
                format!("routers + hosts must be at most 4294967295, got {routers} routers + {} hosts", self.hosts),
            ));
        }
        Ok((transit as u32, routers as u32))
    }
}

fn delay(rng: &mut SimRng, (lo, hi): (u32, u32)) -> u32 {
    lo + below(rng, hi - lo + 1)
}

/// Calls `edge` for the links of a connected random graph on `0..size`: a random recursive tree (node v > 0
/// links to a uniformly chosen earlier node), plus every other pair independently with probability `p`.
fn connected(size: u32, p: f64, rng: &mut SimRng, mut edge: impl FnMut(&mut SimRng, NodeId, NodeId)) {
    let mut parent = vec![NodeId::MAX; size as usize];
    for v in 1..size {
        parent[v as usize] = below(rng, v);
        edge(rng, parent[v as usize], v);
    }
    gnp_pairs(size, p, rng, |rng, v, w| {
        if parent[v as usize] != w {
            edge(rng, w, v);
        }
    });
}

/// A transit-stub network; connected by construction: every domain is connected, the transit domains are linked
/// by a connected random graph of domains (each domain-level link joins uniformly chosen routers of the two),
/// each stub domain links one uniformly chosen router to its transit router, and each host links to a uniformly
/// chosen stub router.
pub fn transit_stub(params: &TransitStubParams, rng: &mut SimRng) -> Result<TransitStub, TopologyError> {
    let (transit, routers) = params.sizes()?;
    let TransitStubParams {
        transit_per_domain: per_domain,
        stubs_per_transit,
        stub_size,
        hosts,
        edge_probability: p,
        ..
    } = *params;
    // Spanning trees need one link per router, plus hosts and the expected extra links are not known here.
    let mut b = GraphBuilder::with_capacity(routers + hosts, (routers + hosts) as usize);
    let mut link = |rng: &mut SimRng, u: NodeId, v: NodeId, range: (u32, u32)| {
        let d = delay(rng, range);
        b.weighted_edge(u, v, d);
    };
    for domain in 0..params.transit_domains {
        let base = domain * per_domain;
        connected(per_domain, p, rng, |rng, a, c| link(rng, base + a, base + c, params.transit_transit_delay));
    }
    connected(params.transit_domains, p, rng, |rng, a, c| {
        let x = a * per_domain + below(rng, per_domain);
        let y = c * per_domain + below(rng, per_domain);
        link(rng, x, y, params.transit_transit_delay);
    });
    for t in 0..transit {
        for s in 0..stubs_per_transit {
            let base = transit + (t * stubs_per_transit + s) * stub_size;
            connected(stub_size, p, rng, |rng, a, c| link(rng, base + a, base + c, params.stub_stub_delay));
            let gateway = base + below(rng, stub_size);
            link(rng, t, gateway, params.transit_stub_delay);
        }
    }
    let host_ids: Vec<NodeId> = (routers..routers + hosts).collect();
    for &h in &host_ids {
        let router = transit + below(rng, routers - transit);
        link(rng, h, router, params.host_delay);
    }
    Ok(TransitStub { graph: b.build()?, routers, hosts: host_ids })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_simple, edges, rng};
    use super::*;
    use proptest::prelude::*;

    fn params() -> TransitStubParams {
        TransitStubParams {
            transit_domains: 3,
            transit_per_domain: 4,
            stubs_per_transit: 2,
            stub_size: 5,
            hosts: 200,
            edge_probability: 0.3,
            transit_transit_delay: (20, 40),
            transit_stub_delay: (5, 10),
            stub_stub_delay: (2, 4),
            host_delay: (1, 1),
        }
    }

    #[test]
    fn layout_delays_and_connectivity() {
        let p = params();
        let ts = transit_stub(&p, &mut rng(1)).unwrap();
        let g = &ts.graph;
        let transit = 12;
        assert_eq!(ts.routers, transit + transit * 2 * 5);
        assert_eq!(ts.hosts, (ts.routers..ts.routers + 200).collect::<Vec<_>>());
        assert_eq!(g.node_count(), ts.routers + 200);
        assert_simple(g);
        assert!(g.is_connected());
        let stub_domain = |v: NodeId| (v - transit) / 5;
        for e in 0..g.edge_count() as u32 {
            let (u, v) = g.endpoints(e);
            let (lo, hi) = match (u < transit, v < transit) {
                (true, true) => p.transit_transit_delay,
                (true, false) | (false, true) => {
                    // A transit router links only to its own stub domains.
                    let (t, s) = if u < transit { (u, v) } else { (v, u) };
                    assert_eq!(stub_domain(s) / 2, t);
                    p.transit_stub_delay
                }
                _ if u >= ts.routers || v >= ts.routers => {
                    assert!(u.min(v) >= transit && u.min(v) < ts.routers, "host linked to a transit router");
                    p.host_delay
                }
                _ => {
                    assert_eq!(stub_domain(u), stub_domain(v), "stub domains link only inside");
                    p.stub_stub_delay
                }
            };
            assert!((lo..=hi).contains(&g.weight(e)), "edge {u}-{v} weight {}", g.weight(e));
        }
        for &h in &ts.hosts {
            assert_eq!(g.degree(h), 1);
        }
        assert_eq!(edges(g), edges(&transit_stub(&p, &mut rng(1)).unwrap().graph));
    }

    #[test]
    fn bad_parameters_name_the_parameter() {
        let check = |p: TransitStubParams, expected: &str| match transit_stub(&p, &mut rng(1)) {
            Err(TopologyError::Parameter { parameter, .. }) => assert_eq!(parameter, expected),
            other => panic!("expected an error about {expected}, got {other:?}"),
        };
        check(TransitStubParams { stub_size: 0, ..params() }, "stub_size");
        check(TransitStubParams { edge_probability: 2.0, ..params() }, "edge_probability");
        check(TransitStubParams { host_delay: (0, 3), ..params() }, "host_delay");
        check(TransitStubParams { stub_stub_delay: (5, 4), ..params() }, "stub_stub_delay");
        check(TransitStubParams { transit_domains: 1 << 16, transit_per_domain: 1 << 16, ..params() }, "hosts");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn always_connected_and_simple(
            seed: u64, domains in 1u32..4, per_domain in 1u32..4, stubs in 1u32..3, size in 1u32..5,
            hosts in 0u32..20, p in 0.0f64..=1.0,
        ) {
            let params = TransitStubParams {
                transit_domains: domains,
                transit_per_domain: per_domain,
                stubs_per_transit: stubs,
                stub_size: size,
                hosts,
                edge_probability: p,
                ..params()
            };
            let ts = transit_stub(&params, &mut rng(seed)).unwrap();
            assert_simple(&ts.graph);
            prop_assert!(ts.graph.is_connected());
        }
    }
}
