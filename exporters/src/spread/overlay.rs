//! An overlay's message over its underlay as SVG (the lecture's "ALM: some costs" figure): routers as grey
//! squares and hosts as circles, each underlay link labelled with its delay and drawn wider and blue by its
//! stress (how many times the message crosses it, also written ×k), and the overlay tree as dashed arrows from
//! each host to those it forwards to. Text is drawn as glyph outlines, as in plots.

use crate::plot::{Anchor, Layer, Layout, Mark, PlotError, Rect, Rgb, svg, text};

use super::{Picture, Role};

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 860.0;
/// Where the nodes go.
const AREA: Rect = Rect { x0: 70.0, y0: 100.0, x1: 930.0, y1: 700.0 };
const GREY: Rgb = Rgb(150, 150, 150);
const BLUE: Rgb = Rgb(0, 114, 178);
const ORANGE: Rgb = Rgb(213, 94, 0);
const DARK: Rgb = Rgb(34, 34, 34);

/// The SVG of `p`, whose spread is an overlay's message with link stress (ALM).
pub fn overlay_svg(p: &Picture<'_>) -> Result<String, PlotError> {
    let at = |v: u32| {
        let (x, y) = p.positions[v as usize];
        (AREA.x0 + x * (AREA.x1 - AREA.x0), AREA.y0 + y * (AREA.y1 - AREA.y0))
    };
    let is_host = |v: u32| p.hosts.is_empty() || p.hosts.contains(&v);
    let (mut links, mut link_labels) = (Vec::new(), Vec::new());
    if let Some(g) = p.graph() {
        for e in 0..g.edge_count() {
            let (a, b) = g.endpoints(e as _);
            let stress = p.spread.stress.get(&(a.min(b), a.max(b))).copied().unwrap_or(0);
            let (pa, pb) = (at(a), at(b));
            let (color, width) = if stress > 0 { (BLUE, 2.0 + 3.0 * f64::from(stress)) } else { (GREY, 1.5) };
            links.push(Mark::Line { points: vec![pa, pb], color, width, dash: &[] });
            let mid = ((pa.0 + pb.0) / 2.0, (pa.1 + pb.1) / 2.0);
            let mut label = if g.is_weighted() { g.weight(e as _).to_string() } else { String::new() };
            if stress > 0 {
                label += &format!("{}×{stress}", if label.is_empty() { "" } else { "  " });
            }
            if !label.is_empty() {
                let color = if stress > 0 { BLUE } else { GREY };
                link_labels.push(text(&label, 17.0, (mid.0 + 6.0, mid.1 - 6.0), Anchor::Start, color)?);
            }
        }
    }
    let mut tree = Vec::new();
    for v in 0..p.positions.len() as u32 {
        if let Some(r) = p.spread.first[v as usize].filter(|r| r.from != v) {
            tree.extend(arrow(at(r.from), at(v)));
        }
    }
    let (mut nodes, mut names) = (Vec::new(), Vec::new());
    for v in 0..p.positions.len() as u32 {
        let c = at(v);
        if is_host(v) {
            let fill = match p.spread.role(v) {
                Role::Source => ORANGE,
                Role::Reached => BLUE,
                Role::NotReached => GREY,
            };
            nodes.push(Mark::Circle { center: c, radius: 11.0, fill });
        } else {
            let rect = Rect { x0: c.0 - 10.0, y0: c.1 - 10.0, x1: c.0 + 10.0, y1: c.1 + 10.0 };
            nodes.push(Mark::Rect { rect, fill: Some((Rgb(220, 220, 220), 1.0)), stroke: Some((DARK, 1.0)) });
        }
        names.push(text(&p.name(v), 20.0, (c.0 + 14.0, c.1 + 22.0), Anchor::Start, DARK)?);
    }
    let message = p.spread.message.as_deref().unwrap_or("the message");
    let notes = [
        format!("Message {message}: hosts are circles (orange: its source), routers grey squares."),
        "Links are labelled with their delay; blue links carry the message, ×k times (link stress), wider the more."
            .to_owned(),
        "Dashed arrows: the overlay tree, each host to the hosts it forwards the message to.".to_owned(),
    ];
    let mut texts = vec![text(p.title, 24.0, (WIDTH / 2.0, 50.0), Anchor::Middle, DARK)?];
    for (i, note) in notes.iter().enumerate() {
        texts.push(text(note, 17.0, (40.0, 760.0 + 28.0 * i as f64), Anchor::Start, Rgb(90, 90, 90))?);
    }
    let layer = |class, marks, texts| Layer { class, marks, texts };
    let layout = Layout {
        width: WIDTH,
        height: HEIGHT,
        title: p.title.to_owned(),
        plot: AREA,
        legend: None,
        layers: vec![
            layer("links", links, link_labels),
            layer("overlay-tree", tree, Vec::new()),
            layer("nodes", nodes, names),
            layer("notes", Vec::new(), texts),
        ],
    };
    svg(&layout)
}

/// A dashed arc from `a` to `b` (bent to the left, so that it leaves the straight underlay links visible) with
/// an arrowhead at `b`, stopping short of the node circles.
fn arrow(a: (f64, f64), b: (f64, f64)) -> Vec<Mark> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    let bend = 0.18 * len;
    let control = ((a.0 + b.0) / 2.0 - dy / len * bend, (a.1 + b.1) / 2.0 + dx / len * bend);
    let point = |t: f64| {
        let u = 1.0 - t;
        (u * u * a.0 + 2.0 * u * t * control.0 + t * t * b.0, u * u * a.1 + 2.0 * u * t * control.1 + t * t * b.1)
    };
    let gap = (16.0 / len).min(0.3);
    let points: Vec<(f64, f64)> = (0..=24).map(|i| point(gap + (1.0 - 2.0 * gap) * f64::from(i) / 24.0)).collect();
    let tip = points[points.len() - 1];
    let before = points[points.len() - 2];
    let (ux, uy) = (tip.0 - before.0, tip.1 - before.1);
    let ul = (ux * ux + uy * uy).sqrt().max(1e-9);
    let (ux, uy) = (ux / ul, uy / ul);
    let head = vec![
        (tip.0 + 4.0 * ux, tip.1 + 4.0 * uy),
        (tip.0 - 12.0 * ux - 7.0 * uy, tip.1 - 12.0 * uy + 7.0 * ux),
        (tip.0 - 12.0 * ux + 7.0 * uy, tip.1 - 12.0 * uy - 7.0 * ux),
    ];
    vec![
        Mark::Line { points, color: ORANGE, width: 2.5, dash: &[8.0, 5.0] },
        Mark::Polygon { points: head, fill: ORANGE, opacity: 1.0 },
    ]
}
