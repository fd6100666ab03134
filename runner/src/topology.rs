//! Building a topology from its spec: generators, files, inline edge lists; size estimates for the
//! memory guard.

use sim_core::NodeId;
use sim_core::TopologyError;
use sim_core::rng::SimRng;
use sim_core::topology::generators::{self, TransitStubParams};
use sim_core::topology::parse::{self, GraphmlWeights, Loaded};
use sim_core::topology::{Graph, Topology};

use crate::run::Inputs;
use crate::spec::{GraphmlWeightsSpec, TopologySpec, TransitStubSpec};

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

    /// (nodes, stored edges, edges a protocol may use) — known before building, for the memory guard.
    /// Files count as 0 edges here: their size is bounded by the file already read.
    pub fn size_estimate(&self) -> (u64, u64, u64) {
        let n = |x: u32| u64::from(x);
        let (nodes, edges) = match self {
            TopologySpec::Complete(s) => {
                let nodes = n(s.nodes);
                return (nodes, 0, nodes.saturating_mul(nodes.saturating_sub(1)) / 2);
            }
            TopologySpec::Ring(s) => (n(s.nodes), n(s.nodes)),
            TopologySpec::Grid(s) => (n(s.rows) * n(s.cols), 2 * n(s.rows) * n(s.cols)),
            TopologySpec::ErdosRenyi(s) => {
                let pairs = n(s.nodes).saturating_mul(n(s.nodes).saturating_sub(1)) / 2;
                (n(s.nodes), (pairs as f64 * s.p.clamp(0.0, 1.0)).ceil() as u64)
            }
            TopologySpec::RandomRegular(s) => (n(s.nodes), n(s.nodes).saturating_mul(n(s.degree)) / 2),
            TopologySpec::BarabasiAlbert(s) => (n(s.nodes), n(s.nodes).saturating_mul(n(s.m))),
            TopologySpec::WattsStrogatz(s) => (n(s.nodes), n(s.nodes).saturating_mul(n(s.k)) / 2),
            TopologySpec::TransitStub(s) => {
                let transit = n(s.transit_domains) * n(s.transit_per_domain);
                let routers = transit + transit * n(s.stubs_per_transit) * n(s.stub_size);
                let extra = (n(s.stub_size).pow(2) as f64 * s.edge_probability.clamp(0.0, 1.0)) as u64;
                (routers + n(s.hosts), routers * (2 + extra) + n(s.hosts))
            }
            TopologySpec::EdgeList(_) | TopologySpec::Graphml(_) | TopologySpec::Edges(_) => (0, 0),
        };
        (nodes, edges, edges)
    }

    /// Builds the topology, drawing from `rng` if it is random and reading files through `inputs`.
    pub fn build(&self, rng: &mut SimRng, inputs: &dyn Inputs) -> Result<Built, BuildError> {
        let graph = |g: Result<Graph, TopologyError>| g.map(|g| plain(Topology::Graph(g))).map_err(generator_error);
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
                Ok(Built { topology: Topology::Graph(ts.graph), hosts: ts.hosts, notes: Vec::new() })
            }
            TopologySpec::EdgeList(s) => {
                let text = inputs.read(&s.path).map_err(|m| BuildError { field: "path".into(), message: m })?;
                loaded(parse::edge_list(&text), &s.path)?.with_hosts(&s.hosts)
            }
            TopologySpec::Graphml(s) => {
                let text = inputs.read(&s.path).map_err(|m| BuildError { field: "path".into(), message: m })?;
                let weights = match s.weights {
                    GraphmlWeightsSpec::Hops => GraphmlWeights::Hops,
                    GraphmlWeightsSpec::Distance => GraphmlWeights::Distance,
                };
                loaded(parse::graphml(&text, weights), &s.path)
            }
            TopologySpec::Edges(s) => parse::edge_list(&s.edges.join("\n"))
                .map(|l| Built { topology: Topology::Graph(l.graph), hosts: Vec::new(), notes: l.report.notes })
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
    Ok(Built { topology: Topology::Graph(l.graph), hosts: Vec::new(), notes })
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
