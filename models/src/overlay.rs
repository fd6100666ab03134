//! What overlays are placed on: the sim-core [`Underlay`] of a model's environment ([`underlay_of`]), whose
//! errors become [`ModelError`]s here.

use std::sync::Arc;

use sim_core::topology::Topology;
use sim_core::underlay::{Underlay, UnderlayError};

use crate::ModelError;
use crate::model::Env;

/// The underlay a model's environment describes: its graph with its hosts (every node when none are named).
/// An implicit complete graph has no underlay.
pub fn underlay_of(env: &Env) -> Result<Underlay, ModelError> {
    let Topology::Graph(graph) = &*env.topology else {
        return Err(ModelError::outside(
            "topology.kind",
            "this model needs a router-level graph (transit_stub, edge_list, graphml, edges, ...), not an implicit \
             complete graph",
        ));
    };
    let hosts = if env.hosts.is_empty() { (0..graph.node_count()).collect() } else { env.hosts.to_vec() };
    Ok(Underlay::new(Arc::clone(graph), hosts)?)
}

/// An underlay that cannot be built is an error in the scenario's hosts or in its topology.
impl From<UnderlayError> for ModelError {
    fn from(e: UnderlayError) -> Self {
        if e.is_about_hosts() {
            ModelError::outside("topology.hosts", e.to_string())
        } else {
            ModelError::topology(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn underlay_errors_name_hosts_or_topology() {
        use sim_core::network::Network;
        use sim_core::topology::GraphBuilder;
        let e = underlay_of(&Env::new(Topology::complete(4).unwrap(), Network::default())).unwrap_err();
        assert_eq!((e.field.as_str(), e.outside), ("topology.kind", true));
        let mut b = GraphBuilder::new(4);
        b.weighted_edge(0, 1, 1).weighted_edge(2, 3, 1);
        let mut env = Env::new(b.build().unwrap().into(), Network::default());
        let e = underlay_of(&env).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("topology", "hosts at 0 and 2 are not connected"));
        env.hosts = Arc::from([7]);
        let e = underlay_of(&env).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("topology.hosts", "host 7 is not a node of the 4-node graph")
        );
    }
}
