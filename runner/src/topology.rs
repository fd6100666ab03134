//! Building a topology from its spec: generators, files, inline edge lists; size estimates for the
//! memory guard.

use models::Size;
use sim_core::NodeId;
use sim_core::TopologyError;
use sim_core::rng::SimRng;
use sim_core::topology::generators::{self, TransitStubParams};
use sim_core::topology::parse::{self, LinkWeights, Loaded};
use sim_core::topology::{Graph, Topology};

use crate::run::Inputs;
use crate::spec::{LinkWeightsSpec, TopologySpec, TransitStubSpec};

/// A built topology with what a model may need besides the graph.
pub struct Built {
    pub topology: Topology,
    /// End hosts (transit-stub), in host order; empty when every node is a host.
    pub hosts: Vec<NodeId>,
    /// What a file loader did with self-loops, duplicate links and the like.
    pub notes: Vec<String>,
}

/// An error in the topology, with the scenario field it concerns (relative to `topology`).
pub struct BuildError {
    pub field: String,
    pub message: String,
}

impl TopologySpec {
    /// Whether every replicate gets its own graph (drawn from the replicate's topology stream).
    pub fn is_random(&self) -> bool {
        matches!(
            self,
            TopologySpec::ErdosRenyi(_)
                | TopologySpec::RandomRegular(_)
                | TopologySpec::BarabasiAlbert(_)
                | TopologySpec::WattsStrogatz(_)
                | TopologySpec::TransitStub(_)
        )
    }

    /// Whether the graph comes from a file or inline edges, whose size is known only once read.
    pub fn is_file(&self) -> bool {
        matches!(
            self,
            TopologySpec::EdgeList(_) | TopologySpec::Graphml(_) | TopologySpec::Gml(_) | TopologySpec::Edges(_)
        )
    }

    /// Sizes known before building, for the memory guard; every product saturates, so a huge parameter
    /// gives a huge estimate, never a wrapped small one. Files count as 0 nodes and edges here: the guard
    /// looks again once they are read.
    pub fn size_estimate(&self) -> Size {
        let n = |x: u32| u64::from(x);
        let (nodes, edges, hosts) = match self {
            TopologySpec::Complete(s) => {
                let nodes = n(s.nodes);
                return Size { nodes, edges: 0, usable_edges: pairs(nodes), hosts: 0 };
            }
            TopologySpec::Ring(s) => (n(s.nodes), n(s.nodes), 0),
            TopologySpec::Grid(s) => {
                let nodes = n(s.rows).saturating_mul(n(s.cols));
                (nodes, nodes.saturating_mul(2), 0)
            }
            TopologySpec::ErdosRenyi(s) => (n(s.nodes), expected(pairs(n(s.nodes)), s.p), 0),
            TopologySpec::RandomRegular(s) => (n(s.nodes), n(s.nodes).saturating_mul(n(s.degree)) / 2, 0),
            TopologySpec::BarabasiAlbert(s) => (n(s.nodes), n(s.nodes).saturating_mul(n(s.m)), 0),
            TopologySpec::WattsStrogatz(s) => (n(s.nodes), n(s.nodes).saturating_mul(n(s.k)) / 2, 0),
            TopologySpec::TransitStub(s) => transit_stub_size(s),
            TopologySpec::EdgeList(_) | TopologySpec::Graphml(_) | TopologySpec::Gml(_) | TopologySpec::Edges(_) => {
                (0, 0, 0)
            }
        };
        Size { nodes, edges, usable_edges: edges, hosts }
    }

    /// Builds the topology, drawing from `rng` if it is random and reading files through `inputs`.
    pub fn build(&self, rng: &mut SimRng, inputs: &dyn Inputs) -> Result<Built, BuildError> {
        let graph = |g: Result<Graph, TopologyError>| g.map(|g| plain(Topology::from(g))).map_err(generator_error);
        match self {
            TopologySpec::Complete(s) => Topology::complete(s.nodes).map(plain).map_err(generator_error),
            TopologySpec::Ring(s) => graph(generators::ring(s.nodes)),
            TopologySpec::Grid(s) => graph(generators::grid(s.rows, s.cols, s.torus)),
            TopologySpec::ErdosRenyi(s) => graph(generators::erdos_renyi(s.nodes, s.p, rng)),
            TopologySpec::RandomRegular(s) => graph(generators::random_regular(s.nodes, s.degree, rng)),
            TopologySpec::BarabasiAlbert(s) => graph(generators::barabasi_albert(s.nodes, s.m, rng)),
            TopologySpec::WattsStrogatz(s) => graph(generators::watts_strogatz(s.nodes, s.k, s.beta, rng)),
            TopologySpec::TransitStub(s) => {
                let ts = generators::transit_stub(&transit_stub_params(s), rng).map_err(generator_error)?;
                Ok(Built { topology: Topology::from(ts.graph), hosts: ts.hosts, notes: Vec::new() })
            }
            TopologySpec::EdgeList(s) => {
                let text = inputs.read(&s.path).map_err(|m| BuildError { field: "path".into(), message: m })?;
                loaded(parse::edge_list(&text), &s.path)?.with_hosts(&s.hosts)
            }
            TopologySpec::Graphml(s) | TopologySpec::Gml(s) => {
                let text = inputs.read(&s.path).map_err(|m| BuildError { field: "path".into(), message: m })?;
                let weights = match s.weights {
                    LinkWeightsSpec::Hops => LinkWeights::Hops,
                    LinkWeightsSpec::Distance => LinkWeights::Distance,
                };
                let parse = if matches!(self, TopologySpec::Gml(_)) { parse::gml } else { parse::graphml };
                loaded(parse(&text, weights), &s.path)
            }
            TopologySpec::Edges(s) => one_line_each(&s.edges)
                .and_then(|()| parse::edge_list(&s.edges.join("\n")))
                .map(|l| Built { topology: Topology::from(l.graph), hosts: Vec::new(), notes: l.report.notes })
                .map_err(|e| match e {
                    TopologyError::Parse { line, message } => {
                        BuildError { field: format!("edges[{}]", line - 1), message }
                    }
                    other => BuildError { field: "edges".into(), message: other.to_string() },
                })?
                .with_hosts(&s.hosts),
        }
    }
}

/// n(n - 1)/2, saturating.
fn pairs(n: u64) -> u64 {
    n.saturating_mul(n.saturating_sub(1)) / 2
}

/// The expected number of `pairs` kept with probability `p` (a probability outside [0, 1] is refused later
/// by the generator; here it counts as 1).
fn expected(pairs: u64, p: f64) -> u64 {
    let p = if (0.0..=1.0).contains(&p) { p } else { 1.0 };
    (pairs as f64 * p).ceil() as u64
}

/// (nodes, expected edges, hosts) of a transit-stub network: a spanning tree in every domain and between
/// the transit domains, the extra links of each domain drawn with `edge_probability`, one link from each stub
/// domain to its transit router and one per host.
fn transit_stub_size(s: &TransitStubSpec) -> (u64, u64, u64) {
    let n = |x: u32| u64::from(x);
    let p = s.edge_probability;
    let transit = n(s.transit_domains).saturating_mul(n(s.transit_per_domain));
    let stubs = transit.saturating_mul(n(s.stubs_per_transit));
    let routers = transit.saturating_add(stubs.saturating_mul(n(s.stub_size)));
    let links = [
        routers, // the spanning trees and the stub-to-transit links: one per router, less one per domain
        n(s.transit_domains).saturating_mul(expected(pairs(n(s.transit_per_domain)), p)),
        expected(pairs(n(s.transit_domains)), p),
        stubs.saturating_mul(expected(pairs(n(s.stub_size)), p)),
        n(s.hosts),
    ];
    let edges = links.iter().fold(0u64, |a, &b| a.saturating_add(b));
    (routers.saturating_add(n(s.hosts)), edges, n(s.hosts))
}

impl Built {
    /// Sets the hosts named in the scenario (node labels), in the order given.
    fn with_hosts(mut self, names: &[String]) -> Result<Built, BuildError> {
        let Some(graph) = self.topology.as_graph() else { return Ok(self) };
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let found = graph.labels().map_or_else(|| vec![None; names.len()], |labels| labels.find(&names));
        let hosts = found
            .into_iter()
            .zip(&names)
            .enumerate()
            .map(|(i, (node, name))| {
                node.ok_or_else(|| BuildError {
                    field: format!("hosts[{i}]"),
                    message: format!("no node is named \"{name}\""),
                })
            })
            .collect::<Result<Vec<NodeId>, BuildError>>()?;
        self.hosts = hosts;
        Ok(self)
    }
}

/// Inline edges are joined into one edge list, line i being entry i: an entry with a line break of its own
/// would shift the line numbers errors are reported by.
fn one_line_each(edges: &[String]) -> Result<(), TopologyError> {
    match edges.iter().position(|e| e.contains(['\n', '\r'])) {
        Some(i) => Err(TopologyError::Parse {
            line: i + 1,
            message: "an entry holds one edge `u v [weight]` and no line break".into(),
        }),
        None => Ok(()),
    }
}

fn plain(topology: Topology) -> Built {
    Built { topology, hosts: Vec::new(), notes: Vec::new() }
}

/// Generator parameters are named as in the scenario, except the two that read better spelled out.
fn generator_error(e: TopologyError) -> BuildError {
    match e {
        TopologyError::Parameter { parameter, message, .. } => {
            let field = match parameter {
                "n" => "nodes",
                "d" => "degree",
                other => other,
            };
            BuildError { field: field.into(), message }
        }
        TopologyError::TooFewNodes { .. } => BuildError { field: "nodes".into(), message: e.to_string() },
        other => BuildError { field: String::new(), message: other.to_string() },
    }
}

fn loaded(result: Result<Loaded, TopologyError>, path: &str) -> Result<Built, BuildError> {
    let l = result.map_err(|e| BuildError { field: "path".into(), message: format!("{path}: {e}") })?;
    let notes = l.report.notes.iter().map(|n| format!("{path}: {n}")).collect();
    Ok(Built { topology: Topology::from(l.graph), hosts: Vec::new(), notes })
}

fn transit_stub_params(s: &TransitStubSpec) -> TransitStubParams {
    let pair = |r: [u32; 2]| (r[0], r[1]);
    TransitStubParams {
        transit_domains: s.transit_domains,
        transit_per_domain: s.transit_per_domain,
        stubs_per_transit: s.stubs_per_transit,
        stub_size: s.stub_size,
        hosts: s.hosts,
        edge_probability: s.edge_probability,
        transit_transit_delay: pair(s.transit_transit_delay),
        transit_stub_delay: pair(s.transit_stub_delay),
        stub_stub_delay: pair(s.stub_stub_delay),
        host_delay: pair(s.host_delay),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::GridSpec;

    /// The products of the estimate saturate: the largest parameters give the largest estimate, not a
    /// wrapped small one (a transit-stub network of ~1.7·10^10 links was estimated at a few GiB).
    #[test]
    fn size_estimates_saturate() {
        let stub = TopologySpec::TransitStub(TransitStubSpec {
            transit_domains: 1,
            transit_per_domain: 1,
            stubs_per_transit: 1,
            stub_size: 536_870_911,
            edge_probability: 1.1920928998793157e-07,
            hosts: 0,
            ..TransitStubSpec::default()
        });
        let edges = stub.size_estimate().edges;
        assert!((1.7e10..1.8e10).contains(&(edges as f64)), "{edges}");
        let max = u32::MAX;
        let huge = TopologySpec::TransitStub(TransitStubSpec {
            transit_domains: max,
            transit_per_domain: max,
            stubs_per_transit: max,
            stub_size: max,
            hosts: max,
            edge_probability: 1.0,
            ..TransitStubSpec::default()
        });
        assert_eq!(huge.size_estimate().edges, u64::MAX);
        let grid = TopologySpec::Grid(GridSpec { rows: max, cols: max, torus: false });
        assert_eq!(grid.size_estimate().edges, u64::MAX);
        // The default (the Scribe experiments' size) is estimated near what the generator builds.
        let default = TopologySpec::TransitStub(TransitStubSpec::default());
        let built = default.build(&mut sim_core::rng::stream(1, 0, sim_core::rng::Lane::Topology), &crate::NoInputs);
        let built = built.ok().expect("the default builds").topology.edge_count() as f64;
        let estimated = default.size_estimate().edges as f64;
        assert!((estimated / built - 1.0).abs() < 0.1, "estimated {estimated}, built {built}");
    }
}
