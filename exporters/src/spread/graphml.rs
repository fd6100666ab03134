//! A spread as GraphML, which Gephi and yEd open: one node per topology node with its name, role, first-receipt
//! time and sender and its position; one edge per link drawn ([`super::Picture`]), with whether a first receipt
//! came over it, its weight and the followed message's crossings of it (link stress) where there are any.

use std::fmt::Write;

use super::{Picture, xml};

/// The GraphML document of `p`.
pub fn graphml(p: &Picture<'_>) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n\
         <key id=\"label\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n\
         <key id=\"role\" for=\"node\" attr.name=\"role\" attr.type=\"string\"/>\n\
         <key id=\"first_receipt\" for=\"node\" attr.name=\"first_receipt\" attr.type=\"long\"/>\n\
         <key id=\"informed_by\" for=\"node\" attr.name=\"informed_by\" attr.type=\"string\"/>\n\
         <key id=\"x\" for=\"node\" attr.name=\"x\" attr.type=\"double\"/>\n\
         <key id=\"y\" for=\"node\" attr.name=\"y\" attr.type=\"double\"/>\n\
         <key id=\"tree\" for=\"edge\" attr.name=\"tree\" attr.type=\"boolean\"><default>false</default></key>\n\
         <key id=\"weight\" for=\"edge\" attr.name=\"weight\" attr.type=\"long\"/>\n\
         <key id=\"stress\" for=\"edge\" attr.name=\"stress\" attr.type=\"long\"/>\n",
    );
    let _ = writeln!(s, "<graph id=\"{}\" edgedefault=\"undirected\">", xml(p.title));
    for (v, &(x, y)) in (0..).zip(p.positions) {
        let _ = write!(
            s,
            "<node id=\"n{v}\"><data key=\"label\">{}</data><data key=\"role\">{}</data>",
            xml(&p.name(v)),
            p.spread.role(v).name()
        );
        if let Some(r) = p.spread.first[v as usize] {
            let _ = write!(
                s,
                "<data key=\"first_receipt\">{}</data><data key=\"informed_by\">{}</data>",
                r.time,
                xml(&p.name(r.from))
            );
        }
        let _ = writeln!(s, "<data key=\"x\">{:.1}</data><data key=\"y\">{:.1}</data></node>", x * 1000.0, y * 1000.0);
    }
    for (a, b, tree) in p.edges() {
        let _ = write!(s, "<edge source=\"n{a}\" target=\"n{b}\">");
        if tree {
            s += "<data key=\"tree\">true</data>";
        }
        if let Some(g) = p.graph().filter(|g| g.is_weighted())
            && let Some(arc) = g.arcs(a).find(|&arc| g.arc_target(arc) == b)
        {
            let _ = write!(s, "<data key=\"weight\">{}</data>", g.weight(g.arc_edge(arc)));
        }
        if let Some(stress) = p.spread.stress.get(&(a.min(b), a.max(b))) {
            let _ = write!(s, "<data key=\"stress\">{stress}</data>");
        }
        s += "</edge>\n";
    }
    s += "</graph>\n</graphml>\n";
    s
}
