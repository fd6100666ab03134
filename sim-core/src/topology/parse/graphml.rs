//! GraphML as published by the Internet Topology Zoo (yEd source files). Only `key`, `node`, `edge` and `data`
//! elements are read; yEd graphics are skipped, except that a node's yEd label names it when the file declares no
//! `label` node key (the zoo's yEd files keep city names only there).
//!
//! dissem's links are undirected: a message crosses a link either way. Directed edges (`edgedefault="directed"` on
//! the graph, `directed="true"` on an edge) are read as undirected links and the report's notes say so, since every
//! zoo file declares `edgedefault="directed"` while listing each physical link once, in either direction. What a
//! link cannot stand for is refused with its line: a `<hyperedge>` (a link joins two nodes), a second `<graph>`
//! (one graph per file) and a graph nested in a node (yEd groups).
//!
//! The file is read in one streaming pass (see `xml`), building the graph as it goes: memory is the text, the
//! graph and the open elements. GraphML declares its keys before the graph and its nodes before their edges;
//! a file that declares a key after the graph began, or links a node declared further on, is read a second
//! time with what the first pass learnt, so that every file reads as if whole.

#![expect(clippy::disallowed_types, reason = "maps are looked up, never iterated into the graph")]

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::weights::{self, LinkWeights};
use super::xml::{Element, Event, Reader, XmlError};
use super::{Links, Listing, Loaded, assemble, label_notes, line};
use crate::topology::Labels;
use crate::{NodeId, TopologyError};

const GRAPHML_NS: &str = "http://graphml.graphdrawing.org/xmlns";
fn is(element: &Element, name: &str) -> bool {
    element.local == name && matches!(element.namespace, None | Some(GRAPHML_NS))
}

/// Ids of the node keys the loader uses, found by their `attr.name` (ids differ from file to file).
#[derive(Clone, Default, PartialEq)]
struct Keys {
    label: Option<String>,
    latitude: Option<String>,
    longitude: Option<String>,
}

impl Keys {
    /// Takes a `<key>`: a later declaration of a name replaces an earlier one.
    fn read(&mut self, key: &Element) {
        if !matches!(key.attribute("for").map(|f| &**f), Some("node" | "all")) {
            return;
        }
        let (Some(id), Some(name)) = (key.attribute("id"), key.attribute("attr.name")) else {
            return;
        };
        let slot = if name == "label" {
            &mut self.label
        } else if name.eq_ignore_ascii_case("latitude") {
            &mut self.latitude
        } else if name.eq_ignore_ascii_case("longitude") {
            &mut self.longitude
        } else {
            return;
        };
        *slot = Some(id.to_string());
    }

    /// Which of the loader's keys a `<data key=…>` of a node holds.
    fn targets(&self, key: Option<&str>) -> u8 {
        let Some(key) = key else { return 0 };
        let bit = |slot: &Option<String>, bit| if slot.as_deref() == Some(key) { bit } else { 0 };
        bit(&self.label, LABEL) | bit(&self.latitude, LATITUDE) | bit(&self.longitude, LONGITUDE)
    }
}

/// What a node's text can stand for: its `label`, `Latitude` and `Longitude` data, its yEd label.
const LABEL: u8 = 1;
const LATITUDE: u8 = 2;
const LONGITUDE: u8 = 4;
const YED_LABEL: u8 = 8;

/// An id as a prefix and a number written without leading zeros: `n12` is ("n", 12), `7` is ("", 7).
fn numbered(id: &str) -> Option<(&str, usize)> {
    let start = id.len() - id.bytes().rev().take_while(u8::is_ascii_digit).count();
    number(&id.as_bytes()[start..]).map(|k| (&id[..start], k))
}

/// The node number `digits` write: decimal digits only, without a leading zero, at most nineteen (they fit in a
/// u64; longer numbers are not node numbers).
#[inline]
fn number(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 19 || (digits.len() > 1 && digits[0] == b'0') {
        return None;
    }
    let mut k = 0u64;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        k = k * 10 + u64::from(d - b'0');
    }
    usize::try_from(k).ok()
}

/// The nodes' file ids, in file order. Files number their ids (`n0`, `n1`, …, or `0`, `1`, …) in file order more
/// often than not: node k whose id is the common prefix and k is marked plain, and found from its id without
/// reading the ids again (which lie scattered over the text); only other ids are hashed.
#[derive(Default)]
struct NodeIds<'a> {
    ids: Vec<Cow<'a, str>>,
    /// The prefix of the plain ids, set by the first.
    prefix: Option<String>,
    plain: Vec<bool>,
    hashed: HashMap<Cow<'a, str>, NodeId>,
}

impl<'a> NodeIds<'a> {
    /// The node whose plain id this is.
    fn plain(&self, id: &str) -> Option<usize> {
        // The prefix ends in no digit, so `id` numbers its node if all that follows the prefix is its number.
        let k = number(id.strip_prefix(self.prefix.as_deref()?)?.as_bytes())?;
        (self.plain.get(k) == Some(&true)).then_some(k)
    }

    /// Declares the next node; false, and nothing declared, if the id is taken.
    fn declare(&mut self, id: Cow<'a, str>) -> bool {
        let next = self.ids.len();
        let plain = numbered(&id).filter(|&(p, k)| k == next && self.prefix.as_deref().is_none_or(|q| q == p));
        let taken = match plain {
            // Earlier plain ids carry smaller numbers: only a hashed id can be this one.
            Some(_) => self.hashed.contains_key(&*id),
            None => {
                self.plain(&id).is_some()
                    || match self.hashed.entry(id.clone()) {
                        Entry::Occupied(_) => true,
                        Entry::Vacant(slot) => {
                            slot.insert(next as NodeId);
                            false
                        }
                    }
            }
        };
        if !taken {
            if let (Some((prefix, _)), None) = (plain, &self.prefix) {
                self.prefix = Some(prefix.to_string());
            }
            self.plain.push(plain.is_some());
            self.ids.push(id);
        }
        !taken
    }

    fn get(&self, id: &str) -> Option<NodeId> {
        self.plain(id).map(|k| k as NodeId).or_else(|| self.hashed.get(id).copied())
    }
}

/// Errors by precedence, as a reader of the whole file reports them: the root, the graph, the keys, then the
/// first bad node, then the first bad edge. A malformed text (an `XmlError`) comes before all.
const ROOT: u8 = 0;
const GRAPH: u8 = 1;
const KEYS: u8 = 2;
const NODE: u8 = 3;
const EDGE: u8 = 4;

enum Problem {
    /// At a byte offset.
    At(usize, String),
    Invalid(String),
}

/// A node being read: its id and the texts that may name and place it.
struct NodeRead<'a> {
    /// Depth of its element.
    depth: usize,
    offset: usize,
    /// None for a node in error, which is not read further.
    id: Option<Cow<'a, str>>,
    texts: [Option<Cow<'a, str>>; 4],
    /// Targets whose element has been met (the first one counts, even without text).
    met: u8,
}

/// Text being gathered: the first child text node of an element (its text up to its first child element, comment
/// or instruction), for the targets it stands for.
struct Gather<'a> {
    targets: u8,
    text: Option<Cow<'a, str>>,
}

/// What the first pass learnt for a second one.
struct Prior<'a> {
    keys: Keys,
    ids: NodeIds<'a>,
}

/// One pass over the file.
struct Pass<'a, 'p> {
    distance: bool,
    prior: Option<&'p Prior<'a>>,
    keys: Keys,
    /// The keys when the graph began.
    graph_keys: Option<Keys>,
    ids: NodeIds<'a>,
    labels: Labels,
    unlabelled: Listing,
    coordinates: Vec<(f64, f64)>,
    links: Links,
    /// Whether the graph says `edgedefault="directed"`.
    directed: bool,
    /// Edges read that say `directed="true"` themselves.
    directed_edges: usize,
    /// The graph's depth while it is open.
    graph: Option<usize>,
    graph_seen: bool,
    node: Option<NodeRead<'a>>,
    gather: Option<Gather<'a>>,
    failure: Option<(u8, Problem)>,
    /// The id of the edge end that failed, if the failure is an undeclared node.
    undeclared: Option<Cow<'a, str>>,
}

impl<'a, 'p> Pass<'a, 'p> {
    fn new(distance: bool, prior: Option<&'p Prior<'a>>) -> Self {
        Pass {
            distance,
            prior,
            keys: prior.map(|p| p.keys.clone()).unwrap_or_default(),
            graph_keys: None,
            ids: NodeIds::default(),
            labels: Labels::new(),
            unlabelled: Listing::default(),
            coordinates: Vec::new(),
            links: Links::with_capacity(0, distance),
            directed: false,
            directed_edges: 0,
            graph: None,
            graph_seen: false,
            node: None,
            gather: None,
            failure: None,
            undeclared: None,
        }
    }

    fn fail(&mut self, tier: u8, problem: Problem) {
        if self.failure.as_ref().is_none_or(|(t, _)| tier < *t) {
            self.failure = Some((tier, problem));
        }
    }

    fn tier(&self) -> u8 {
        self.failure.as_ref().map_or(u8::MAX, |(t, _)| *t)
    }

    fn read(mut self, text: &'a str) -> Result<Self, XmlError> {
        let mut reader = Reader::new(text);
        let mut depth = 0;
        loop {
            // Text matters only while it is gathered.
            let event = reader.next(self.gather.is_some())?;
            if !matches!(event, Event::Text(_)) {
                self.gathered();
            }
            match event {
                Event::Start(e) => {
                    self.start(&e, depth);
                    if e.empty {
                        self.end(depth);
                    } else {
                        depth += 1;
                    }
                }
                Event::End => {
                    depth -= 1;
                    self.end(depth);
                }
                Event::Text(t) => {
                    if let Some(g) = &mut self.gather {
                        match &mut g.text {
                            None => g.text = Some(t),
                            Some(text) => text.to_mut().push_str(&t),
                        }
                    }
                }
                Event::Other => {}
                Event::Eof => return Ok(self),
            }
        }
    }

    /// A start tag at `depth` (the root's is 0).
    fn start(&mut self, e: &Element<'_, 'a>, depth: usize) {
        if self.tier() <= GRAPH {
            return;
        }
        if depth == 0 {
            if !is(e, "graphml") {
                self.fail(
                    ROOT,
                    Problem::At(e.offset, format!("expected a <graphml> root element, found <{}>", e.local)),
                );
            }
            return;
        }
        if depth == 1 && is(e, "key") && self.prior.is_none() {
            self.keys.read(e);
        }
        if is(e, "graph") {
            if self.graph_seen {
                let message = if self.graph.is_some() {
                    "nested graphs (yEd groups) are not supported"
                } else {
                    "a second <graph>: dissem reads one graph per file"
                };
                self.fail(GRAPH, Problem::At(e.offset, message.into()));
                return;
            }
            self.graph_seen = true;
            self.graph = Some(depth);
            self.graph_keys = Some(self.keys.clone());
            self.directed = e.attribute("edgedefault").is_some_and(|d| d == "directed");
            if self.distance && (self.keys.latitude.is_none() || self.keys.longitude.is_none()) {
                self.fail(
                    KEYS,
                    Problem::Invalid(
                        "graphml: distance weights need Latitude and Longitude node data, but the file declares no \
                         such keys (the zoo's yEd files carry none); use hop weights"
                            .into(),
                    ),
                );
            }
            return;
        }
        if self.graph.is_some_and(|g| depth == g + 1) {
            if is(e, "node") {
                self.node_start(e, depth);
            } else if is(e, "edge") {
                self.edge(e);
            } else if is(e, "hyperedge") {
                self.fail(
                    EDGE,
                    Problem::At(
                        e.offset,
                        "<hyperedge> is not supported: dissem's links join two nodes (list each link as an <edge>)"
                            .into(),
                    ),
                );
            }
            return;
        }
        let Some(node) = &mut self.node else { return };
        let mut targets = 0;
        if depth == node.depth + 1 && is(e, "data") {
            targets = self.keys.targets(e.attribute("key").map(|k| &**k)) & !node.met;
        }
        if e.local == "NodeLabel" {
            targets |= YED_LABEL & !node.met;
        }
        node.met |= targets;
        if targets != 0 && !e.empty {
            self.gather = Some(Gather { targets, text: None });
        }
    }

    /// The end of the element at `depth`.
    fn end(&mut self, depth: usize) {
        if self.node.as_ref().is_some_and(|n| n.depth == depth) {
            let node = self.node.take().expect("checked");
            self.node_end(node);
        } else if self.graph == Some(depth) {
            self.graph = None;
        }
    }

    /// Hands gathered text to its targets.
    fn gathered(&mut self) {
        let (Some(Gather { targets, text }), Some(node)) = (self.gather.take(), &mut self.node) else { return };
        for (bit, slot) in node.texts.iter_mut().enumerate() {
            if targets & (1 << bit) != 0 {
                slot.clone_from(&text);
            }
        }
    }

    fn node_start(&mut self, e: &Element<'_, 'a>, depth: usize) {
        let mut node = NodeRead { depth, offset: e.offset, id: None, texts: Default::default(), met: 0 };
        match e.attribute("id") {
            None => self.fail(NODE, Problem::At(e.offset, "<node> without an id attribute".into())),
            Some(id) if !self.ids.declare(id.clone()) => {
                self.fail(NODE, Problem::At(e.offset, format!("node id `{id}` is declared twice")));
            }
            // A node after a failure is still declared, for the second pass; it is read only if the failure
            // may yet give way to an earlier node's.
            Some(id) if self.tier() >= EDGE => node.id = Some(id.clone()),
            Some(_) => {}
        }
        if e.empty {
            self.node_end(node);
        } else {
            self.node = Some(node);
        }
    }

    fn node_end(&mut self, node: NodeRead<'a>) {
        let Some(id) = node.id else { return };
        let text = |target: u8| {
            node.texts[target.trailing_zeros() as usize].as_deref().map(str::trim).filter(|t| !t.is_empty())
        };
        let label = text(LABEL).or_else(|| text(YED_LABEL)).unwrap_or_else(|| {
            self.unlabelled.push_with(|| id.to_string());
            &id
        });
        self.labels.push(label);
        if self.distance {
            match weights::place(format_args!("{id} ({label})"), text(LATITUDE), text(LONGITUDE)) {
                Ok(place) => self.coordinates.push(place),
                Err(message) => self.fail(NODE, Problem::At(node.offset, message)),
            }
        }
    }

    fn edge(&mut self, e: &Element<'_, 'a>) {
        if self.failure.is_some() {
            return;
        }
        let ids = self.prior.map_or(&self.ids, |p| &p.ids);
        let end = |attribute: &str| match e.attribute(attribute) {
            None => Err((format!("<edge> without a {attribute} attribute"), None)),
            Some(id) => {
                ids.get(id).ok_or_else(|| (format!("edge {attribute} `{id}` is not a declared node"), Some(id.clone())))
            }
        };
        match end("source").and_then(|u| Ok((u, end("target")?))) {
            // Weights wait for the end, when every node's coordinates are known.
            Ok((u, v)) => {
                self.links.push(u, v, 1);
                if e.attribute("directed").is_some_and(|d| matches!(&**d, "true" | "1")) {
                    self.directed_edges += 1;
                }
            }
            Err((message, undeclared)) => {
                self.undeclared = undeclared;
                self.fail(EDGE, Problem::At(e.offset, message));
            }
        }
    }

    /// Whether the pass read under keys or node ids it learnt only later, so that a second pass must decide.
    fn unsettled(&self) -> bool {
        let tier = self.tier();
        tier > GRAPH
            && (self.graph_keys.as_ref().is_some_and(|k| *k != self.keys)
                || (tier == EDGE && self.undeclared.as_deref().is_some_and(|id| self.ids.get(id).is_some())))
    }
}

/// An Internet Topology Zoo GraphML file. Nodes are numbered densely in file order (`n0`, `n1`, … become 0, 1, …)
/// and labelled by the `label` node key, else by their yEd label, else by their id. Links are undirected whatever
/// `edgedefault` or an edge's `directed` says (noted in the report); self-loops are dropped and repeated links
/// merged, all counted in the report. Hyperedges, a second graph and nested graphs are errors.
pub fn graphml(text: &str, weights: LinkWeights) -> Result<Loaded, TopologyError> {
    let distance = weights == LinkWeights::Distance;
    let malformed = |mut e: XmlError| {
        while !text.is_char_boundary(e.offset) {
            e.offset -= 1;
        }
        let column = 1 + text[..e.offset].chars().rev().take_while(|&c| c != '\n' && c != '\r').count();
        TopologyError::Parse {
            line: line(text, e.offset),
            message: format!("not well-formed XML: {} (column {column})", e.message),
        }
    };
    let first = Pass::new(distance, None).read(text).map_err(malformed)?;
    let prior;
    let pass = if first.unsettled() {
        prior = Prior { keys: first.keys, ids: first.ids };
        Pass::new(distance, Some(&prior)).read(text).map_err(malformed)?
    } else {
        first
    };
    if let Some((_, problem)) = pass.failure {
        return Err(match problem {
            Problem::At(offset, message) => TopologyError::Parse { line: line(text, offset), message },
            Problem::Invalid(message) => TopologyError::Invalid(message),
        });
    }
    if !pass.graph_seen {
        return Err(TopologyError::Invalid("graphml: the file has no <graph> element".into()));
    }
    let Pass { keys, ids, labels, unlabelled, coordinates, mut links, directed, directed_edges, .. } = pass;

    let mut notes = Vec::new();
    if directed || directed_edges > 0 {
        let mut said = Vec::new();
        if directed {
            said.push("the file declares edgedefault=\"directed\"".to_string());
        }
        if directed_edges > 0 {
            said.push(format!("{directed_edges} <edge> element(s) say directed=\"true\""));
        }
        notes.push(format!(
            "directed edges read as undirected links ({}): dissem's links carry messages both ways, and a zoo \
             file lists each physical link once, in either direction",
            said.join("; ")
        ));
    }
    notes.push(weights.note());
    notes.push(if keys.label.is_some() {
        "labels: from the `label` node key".to_string()
    } else {
        "labels: from the yEd node labels (the file declares no `label` node key)".to_string()
    });
    label_notes(&labels, &unlabelled, &mut notes);
    weights::weigh(&mut links, &coordinates);
    let file_ids: Vec<&str> = ids.ids.iter().map(|id| &**id).collect();
    assemble(labels, links, notes, Some(&file_ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small yEd-style file: keys declared with file-specific ids, graphics to skip, a loop and a repeat.
    fn file(nodes: &str, edges: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:y="http://www.yworks.com/xml/graphml">
  <key attr.name="Latitude" attr.type="double" for="node" id="d29"/>
  <key attr.name="Longitude" attr.type="double" for="node" id="d32"/>
  <key attr.name="label" attr.type="string" for="node" id="d33"/>
  <key attr.name="label" attr.type="string" for="edge" id="d40"/>
  <key for="node" id="d41" yfiles.type="nodegraphics"/>
  <graph edgedefault="directed" id="G">
{nodes}
{edges}
  </graph>
</graphml>"#
        )
    }

    fn node(id: &str, label: &str, lat: f64, lon: f64) -> String {
        format!(
            r#"<node id="{id}"><data key="d29">{lat}</data><data key="d32">{lon}</data><data key="d33">{label}</data>
<data key="d41"><y:ShapeNode><y:NodeLabel>graphics label</y:NodeLabel></y:ShapeNode></data></node>"#
        )
    }

    fn cities() -> String {
        [
            node("n0", "London", 51.5074, -0.1278),
            node("n1", "Paris", 48.8566, 2.3522),
            node("n2", "New York", 40.7128, -74.006),
        ]
        .concat()
    }

    const EDGES: &str = r#"<edge source="n0" target="n1"><data key="d40">10G</data></edge>
<edge source="n1" target="n0"/><edge source="n2" target="n2"/><edge source="n0" target="n2"/>"#;

    #[test]
    fn hops_read_labels_and_account_for_repeats() {
        let loaded = graphml(&file(&cities(), EDGES), LinkWeights::Hops).unwrap();
        let (g, r) = (&loaded.graph, &loaded.report);
        assert_eq!(g.labels().unwrap().iter().collect::<Vec<_>>(), ["London", "Paris", "New York"]);
        assert!(!g.is_weighted());
        assert_eq!((r.nodes, r.edges_in_file, r.edges, r.self_loops_dropped, r.parallel_merged), (3, 4, 2, 1, 1));
        let notes = r.notes.join("\n");
        assert!(notes.contains("edgedefault=\"directed\""), "{notes}");
        assert!(notes.contains("at New York (n2)"), "{notes}");
        assert!(
            notes.contains(
                "listed in both directions into one undirected link, keeping one link: \
                                London (n0) -- Paris (n1)"
            ),
            "{notes}"
        );
    }

    #[test]
    fn distance_is_great_circle_delay_at_two_thirds_c() {
        let loaded = graphml(&file(&cities(), EDGES), LinkWeights::Distance).unwrap();
        let g = &loaded.graph;
        // London–Paris is 343.5 km and London–New York 5570 km on the 6371 km sphere; at 199.86 km/ms that is
        // 1719 µs and 27869 µs.
        assert_eq!(g.endpoints(0), (0, 1));
        assert!((1_715..=1_723).contains(&g.weight(0)), "{}", g.weight(0));
        assert!((27_800..=27_950).contains(&g.weight(1)), "{}", g.weight(1));
    }

    #[test]
    fn missing_coordinates_name_the_node() {
        let nodes = cities() + r#"<node id="n3"><data key="d33">Atlantis</data></node>"#;
        let err = graphml(&file(&nodes, EDGES), LinkWeights::Distance).unwrap_err();
        let TopologyError::Parse { message, .. } = err else { panic!("{err:?}") };
        assert!(message.starts_with("node n3 (Atlantis) has no Latitude"), "{message}");
        // Hop weights do not need coordinates.
        assert_eq!(graphml(&file(&nodes, EDGES), LinkWeights::Hops).unwrap().report.nodes, 4);
        let bad = cities() + &node("n3", "Nowhere", 95.0, 0.0);
        let err = graphml(&file(&bad, EDGES), LinkWeights::Distance).unwrap_err().to_string();
        assert!(err.contains("node n3 (Nowhere): Latitude `95` is not a number in [-90, 90]"), "{err}");
    }

    #[test]
    fn yed_labels_and_ids_stand_in_for_missing_label_keys() {
        let text = r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:y="http://www.yworks.com/xml/graphml">
  <key for="node" id="d7" yfiles.type="nodegraphics"/>
  <graph edgedefault="undirected">
    <node id="a"><data key="d7"><y:ShapeNode><y:NodeLabel x="1">Seattle<y:LabelModel/></y:NodeLabel></y:ShapeNode></data></node>
    <node id="b"><data key="d7"><y:ShapeNode><y:NodeLabel/></y:ShapeNode></data></node>
    <node id="c"><data key="d7"><y:ShapeNode><y:NodeLabel>Seattle</y:NodeLabel></y:ShapeNode></data></node>
    <edge source="a" target="b"/><edge source="b" target="c"/>
  </graph>
</graphml>"#;
        let loaded = graphml(text, LinkWeights::Hops).unwrap();
        assert_eq!(loaded.graph.labels().unwrap().iter().collect::<Vec<_>>(), ["Seattle", "b", "Seattle"]);
        let notes = loaded.report.notes.join("\n");
        assert!(notes.contains("1 node(s) have no label and are labelled by their id: b"), "{notes}");
        assert!(notes.contains("1 label(s) name more than one node (kept; the nodes stay distinct): Seattle ×2"));
        assert!(!notes.contains("edgedefault"), "{notes}");
        let err = graphml(text, LinkWeights::Distance).unwrap_err().to_string();
        assert!(err.contains("declares no such keys"), "{err}");
    }

    #[test]
    fn structural_errors_carry_lines() {
        let parse_line = |text: &str| match graphml(text, LinkWeights::Hops) {
            Err(TopologyError::Parse { line, message }) => (line, message),
            other => panic!("expected a parse error, got {other:?}"),
        };
        let (line, message) = parse_line(&file(&cities(), "<edge source=\"n0\" target=\"n9\"/>"));
        assert_eq!(message, "edge target `n9` is not a declared node");
        assert_eq!(line, 13);
        let (_, message) = parse_line(&file(&(cities() + &node("n1", "Again", 0.0, 0.0)), ""));
        assert_eq!(message, "node id `n1` is declared twice");
        // Ids that number their node and ids that do not are checked against each other.
        for ids in [["n1", "n1", "x"], ["n0", "x", "n0"], ["a", "b", "b"], ["7", "n7", "7"]] {
            let nodes: String = ids.map(|id| node(id, id, 0.0, 0.0)).concat();
            let (_, message) = parse_line(&file(&nodes, ""));
            assert!(message.ends_with("is declared twice"), "{ids:?}: {message}");
        }
        let edges = r#"<edge source="x" target="n2"/><edge source="n2" target="7"/>"#;
        let nodes: String = ["7", "x", "n2"].map(|id| node(id, id, 0.0, 0.0)).concat();
        let g = graphml(&file(&nodes, edges), LinkWeights::Hops).unwrap().graph;
        assert_eq!((g.endpoints(0), g.endpoints(1)), ((1, 2), (2, 0)));
        let (_, message) = parse_line(&file(&cities(), "<edge target=\"n1\"/>"));
        assert_eq!(message, "<edge> without a source attribute");
        let (line, message) = parse_line("<graphml>\n<graph>\n<node id=\"a\">\n</graph>");
        assert!(line >= 3 && message.starts_with("not well-formed XML"), "{line} {message}");
        let (_, message) = parse_line("<gml/>");
        assert_eq!(message, "expected a <graphml> root element, found <gml>");
        let nested = file(&cities(), "<node id=\"g\"><graph id=\"inner\"/></node>");
        assert!(parse_line(&nested).1.starts_with("nested graphs"));
        let (line, message) = parse_line("<graphml>\n<graph/>\n <graph/></graphml>");
        assert_eq!((line, message.as_str()), (3, "a second <graph>: dissem reads one graph per file"));
        // Lines may end at a lone CR, for lines and columns alike.
        let (line, message) = parse_line("<graphml>\r<graph/>\r <graph/></graphml>");
        assert_eq!((line, message.as_str()), (3, "a second <graph>: dissem reads one graph per file"));
        let (line, message) = parse_line("<graphml>\r<graph>\r  <a b=c/>\r</graph></graphml>");
        assert!(line == 3 && message.ends_with("(column 8)"), "{line} {message}");
        assert!(matches!(graphml("<graphml/>", LinkWeights::Hops), Err(TopologyError::Invalid(_))));
    }

    /// A hyperedge may join any number of nodes, a link exactly two: it is refused, not dropped.
    #[test]
    fn hyperedges_are_refused() {
        let edges = "<edge source=\"n0\" target=\"n1\"/>\n<hyperedge><endpoint node=\"n0\"/><endpoint node=\"n2\"/></hyperedge>";
        match graphml(&file(&cities(), edges), LinkWeights::Hops) {
            Err(TopologyError::Parse { line, message }) => {
                assert_eq!(line, 14);
                assert!(
                    message.starts_with("<hyperedge> is not supported: dissem's links join two nodes"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    /// Directed edges, by default or one by one, are read as undirected links, and the notes say so.
    #[test]
    fn directed_edges_are_noted() {
        let nodes = "<node id='a'/><node id='b'/><node id='c'/>";
        let edges = "<edge source='a' target='b' directed='true'/><edge source='b' target='c' directed='1'/>\
                     <edge source='a' target='c' directed='false'/>";
        let text = format!("<graphml><graph edgedefault='undirected'>{nodes}{edges}</graph></graphml>");
        let loaded = graphml(&text, LinkWeights::Hops).unwrap();
        assert_eq!(loaded.report.edges, 3);
        let notes = loaded.report.notes.join("\n");
        assert!(notes.contains("directed edges read as undirected links (2 <edge> element(s) say directed"), "{notes}");
        let undirected = text.replace(" directed='true'", "").replace(" directed='1'", "");
        let notes = graphml(&undirected, LinkWeights::Hops).unwrap().report.notes.join("\n");
        assert!(!notes.contains("directed edges"), "{notes}");
        let notes = graphml(&file(&cities(), EDGES), LinkWeights::Hops).unwrap().report.notes.join("\n");
        assert!(
            notes.contains("directed edges read as undirected links (the file declares edgedefault=\"directed\")"),
            "{notes}"
        );
    }

    /// Keys declared after the graph and edges before their nodes read as in file order, by a second pass.
    #[test]
    fn late_keys_and_early_edges_read_as_in_order() {
        let keys = r#"<key attr.name="label" for="node" id="k"/><key attr.name="Latitude" for="node" id="la"/>
<key attr.name="Longitude" for="all" id="lo"/>"#;
        let nodes = r#"<node id="b"><data key="la">0</data><data key="lo">1</data><data key="k">Bee</data></node>
<node id="a"><data key="la">0</data><data key="lo">0</data><data key="k">Ay</data></node>"#;
        let edges = r#"<edge source="a" target="b"/>"#;
        let in_order = format!("<graphml>{keys}<graph>{nodes}{edges}</graph></graphml>");
        let reordered = format!("<graphml><graph>{edges}{nodes}</graph>{keys}</graphml>");
        for weights in [LinkWeights::Hops, LinkWeights::Distance] {
            let (a, b) = (graphml(&in_order, weights).unwrap(), graphml(&reordered, weights).unwrap());
            assert_eq!(format!("{:?}", a.graph), format!("{:?}", b.graph));
            assert_eq!(a.report, b.report);
            assert_eq!(a.graph.labels().unwrap().iter().collect::<Vec<_>>(), ["Bee", "Ay"]);
        }
        assert_eq!(graphml(&reordered, LinkWeights::Distance).unwrap().graph.weight(0), 556);
        // An edge to a node that never comes is named, on the edge's line.
        let missing = format!("<graphml><graph>\n{edges}<node id=\"a\"/></graph></graphml>");
        let err = graphml(&missing, LinkWeights::Hops).unwrap_err().to_string();
        assert_eq!(err, "line 2: edge target `b` is not a declared node");
    }

    /// A label is its element's first text (character data, CDATA and references, up to the first child
    /// element, comment or instruction), in a namespace given by any prefix.
    #[test]
    fn labels_are_the_first_text_in_any_prefix() {
        let text = "\u{feff}<?xml version='1.0' encoding='UTF-8'?>\n<g:graphml xmlns:g='http://graphml.graphdrawing.org/xmlns'>\
            <g:key attr.name='label' for='node' id='k'/><g:graph>\
            <g:node id='0'><g:data key='k'> <![CDATA[R&D]]> &amp;&#32;Co\r\n</g:data></g:node>\
            <g:node id='1'><g:data key='k'><!-- none -->Hidden</g:data><NodeLabel>Yed</NodeLabel></g:node>\
            <g:node id='2'><g:data key='k'/><g:data key='k'>Second</g:data></g:node>\
            <other:node xmlns:other='elsewhere' id='3'/></g:graph></g:graphml>";
        let loaded = graphml(text, LinkWeights::Hops).unwrap();
        assert_eq!(loaded.graph.labels().unwrap().iter().collect::<Vec<_>>(), ["R&D & Co", "Yed", "2"]);
    }

    #[test]
    fn malformed_xml_comes_before_other_errors() {
        for (text, line) in [
            ("<gml>\n<a></b></gml>", 2),
            ("<graphml><graph><edge source='x'/></graph>\n&bogus;</graphml>", 2),
            ("<!DOCTYPE graphml>\n<graphml/>", 1),
            ("<graphml>\n<graph><node id='a' id='b'/></graph></graphml>", 2),
            ("<graphml><graph/></graphml>\n<graphml/>", 2),
            ("<graphml><graph>\n<node id='\u{1}'/></graph></graphml>", 2),
        ] {
            match graphml(text, LinkWeights::Hops) {
                Err(TopologyError::Parse { line: l, message }) => {
                    assert!(message.starts_with("not well-formed XML: "), "{text:?}: {message}");
                    assert_eq!(l, line, "{text:?}: {message}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
