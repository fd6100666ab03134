//! A spread as Graphviz DOT: nodes pinned at their layout positions (`neato -n2 -Tsvg`, or `fdp` to lay
//! them out anew), filled by first-receipt time (source orange, not reached grey), with the time and sender
//! as tooltip; the edges first receipts came over drawn bold, link stress as a label where there is any.

use std::fmt::Write;

use super::{Picture, Role, node_colour};

/// Points per unit of the layout's square.
const SCALE: f64 = 720.0;

/// The DOT document of `p`.
pub fn dot(p: &Picture<'_>) -> String {
    let mut s = format!(
        "graph spread {{\n  label={};\n  node [shape=circle, style=filled, fontsize=8, width=0.25, fixedsize=true];\n  \
         edge [color=\"#cccccc\"];\n",
        quote(p.title)
    );
    for (v, &(x, y)) in (0..).zip(p.positions) {
        let when = match (p.spread.role(v), p.spread.first[v as usize]) {
            (Role::NotReached, _) | (_, None) => "not reached".to_owned(),
            (Role::Source, Some(r)) => format!("source at {}", r.time),
            (Role::Reached, Some(r)) => format!("at {} from {}", r.time, p.name(r.from)),
        };
        let _ = writeln!(
            s,
            "  n{v} [label={}, pos=\"{:.1},{:.1}!\", fillcolor=\"{}\", tooltip={}];",
            quote(&p.name(v)),
            x * SCALE,
            (1.0 - y) * SCALE,
            node_colour(p.spread, v),
            quote(&format!("{}: {when}", p.name(v)))
        );
    }
    for (a, b, tree) in p.edges() {
        let mut attrs = Vec::new();
        if tree {
            attrs.push("color=\"#333333\", penwidth=2".to_owned());
        }
        if let Some(stress) = p.spread.stress.get(&(a.min(b), a.max(b))) {
            attrs.push(format!("label=\"{stress}\""));
        }
        let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
        let _ = writeln!(s, "  n{a} -- n{b}{attrs};");
    }
    s += "}\n";
    s
}

/// A DOT string literal.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}
