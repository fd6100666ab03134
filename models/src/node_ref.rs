//! A node named in a scenario's parameters: by its index, or by its id in the topology file.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use sim_core::NodeId;
use sim_core::topology::Topology;

use crate::ModelError;

/// A node reference: an integer is the node's index (`0..N`, in the order the topology lists its nodes), a
/// string is the node's id (label) in the GraphML or edge-list file the topology was loaded from. `5` and
/// `"5"` differ: the second is the node whose id is 5, wherever the file lists it. Models resolve labels to
/// indices when they check their parameters, so a label that names no node is an error before anything
/// runs; after that, [`NodeRef::index`] gives the node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum NodeRef {
    /// The node's index.
    Index(NodeId),
    /// The node's id in the topology file.
    Label(String),
}

impl Default for NodeRef {
    fn default() -> Self {
        NodeRef::Index(0)
    }
}

impl From<NodeId> for NodeRef {
    fn from(v: NodeId) -> Self {
        NodeRef::Index(v)
    }
}

impl<'de> Deserialize<'de> for NodeRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RefVisitor;

        impl Visitor<'_> for RefVisitor {
            type Value = NodeRef;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a node index 0..{} or a node id (a string) from the topology file", NodeId::MAX)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeRef, E> {
                NodeId::try_from(v)
                    .map(NodeRef::Index)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodeRef, E> {
                u64::try_from(v)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
                    .and_then(|v| self.visit_u64(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeRef, E> {
                Ok(NodeRef::Label(v.to_owned()))
            }
        }

        deserializer.deserialize_any(RefVisitor)
    }
}

impl NodeRef {
    /// The node's index. Labels must have been resolved ([`NodeRef::resolve`], which the models' parameter
    /// checks do): a label left unresolved is a caller's bug and panics.
    pub fn index(&self) -> NodeId {
        match self {
            NodeRef::Index(v) => *v,
            NodeRef::Label(label) => panic!("node label `{label}` used before the parameters were checked"),
        }
    }

    /// The same reference as an index into `topology`: errors name `field` and say whether the index is
    /// out of range, the label names no node, or the topology has no labels at all.
    pub fn resolve(&self, field: String, topology: &Topology) -> Result<NodeRef, ModelError> {
        let n = topology.node_count();
        match self {
            NodeRef::Index(v) if *v < n => Ok(NodeRef::Index(*v)),
            NodeRef::Index(v) => {
                Err(ModelError::new(field, format!("node {v} does not exist; the topology has nodes 0..{}", n - 1)))
            }
            NodeRef::Label(label) => {
                let Some(labels) = topology.as_graph().and_then(|g| g.labels()) else {
                    return Err(ModelError::new(
                        field,
                        format!(
                            "`{label}` is a node id, but this topology's nodes have none (only graphs read from a \
                             GraphML or edge-list file do); give an index 0..{}",
                            n - 1
                        ),
                    ));
                };
                match labels.find(&[label.as_str()])[0] {
                    Some(v) => Ok(NodeRef::Index(v)),
                    None => Err(ModelError::new(field, format!("no node of the topology file has the id `{label}`"))),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::topology::GraphBuilder;

    #[test]
    fn parses_indices_and_labels_and_rejects_the_rest() {
        let parse = |s: &str| serde_json::from_str::<NodeRef>(s);
        assert_eq!(parse("7").unwrap(), NodeRef::Index(7));
        assert_eq!(parse("\"7\"").unwrap(), NodeRef::Label("7".into()));
        assert_eq!(parse("\"r-12\"").unwrap(), NodeRef::Label("r-12".into()));
        for bad in ["-1", "4294967296", "1.5", "null", "[1]", "true"] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.contains("a node index 0..4294967295 or a node id"), "{bad}: {e}");
        }
        assert_eq!(serde_json::to_string(&NodeRef::Label("a".into())).unwrap(), "\"a\"");
        assert_eq!(serde_json::to_string(&NodeRef::Index(3)).unwrap(), "3");
    }

    #[test]
    fn resolves_against_the_topology() {
        let path = |labels: Option<Vec<String>>| {
            let mut b = GraphBuilder::new(3);
            b.edge(0, 1).edge(1, 2);
            if let Some(l) = labels {
                b.labels(l);
            }
            Topology::from(b.build().unwrap())
        };
        let labelled = path(Some(vec!["c".into(), "a".into(), "b".into()]));
        let plain = path(None);
        let r = |n: NodeRef, t: &Topology| n.resolve("m.source".into(), t);
        assert_eq!(r(NodeRef::Label("b".into()), &labelled).unwrap(), NodeRef::Index(2));
        assert_eq!(r(NodeRef::Index(2), &labelled).unwrap().index(), 2);
        let e = r(NodeRef::Label("d".into()), &labelled).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("m.source", "no node of the topology file has the id `d`"));
        assert!(r(NodeRef::Label("a".into()), &plain).unwrap_err().message.contains("nodes have none"));
        assert!(r(NodeRef::Label("a".into()), &Topology::complete(3).unwrap()).is_err());
        assert!(r(NodeRef::Index(3), &plain).unwrap_err().message.contains("does not exist"));
    }
}
