//! Node positions for pictures, in the unit square, deterministic (no random draw: the same topology always
//! gets the same picture).

use sim_core::topology::Topology;

/// The shape a generated topology has, which its picture keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Nodes in index order around a circle (rings, the complete graph).
    Circle,
    /// Node `r·cols + c` at row r, column c (grids and tori).
    Grid { cols: u32 },
    /// Anything else: a force-directed layout.
    Free,
}

/// Positions of `topology`'s nodes in [0, 1]², laid out as `shape` says. `Free`: Fruchterman–Reingold from
/// the circle, all pairs repelling and edges attracting, with a temperature that falls linearly to zero; the
/// number of iterations falls with N² (at least 15) so that a few thousand nodes take a second or two.
pub fn layout(topology: &Topology, shape: Shape) -> Vec<(f64, f64)> {
    let n = topology.node_count();
    let circle = || {
        (0..n)
            .map(|v| {
                let a = std::f64::consts::TAU * f64::from(v) / f64::from(n) - std::f64::consts::FRAC_PI_2;
                (0.5 + 0.5 * a.cos(), 0.5 + 0.5 * a.sin())
            })
            .collect::<Vec<_>>()
    };
    match (shape, topology.as_graph()) {
        (Shape::Grid { cols }, _) if cols > 0 => {
            let rows = n.div_ceil(cols);
            let span = |i: u32, count: u32| if count > 1 { f64::from(i) / f64::from(count - 1) } else { 0.5 };
            (0..n).map(|v| (span(v % cols, cols), span(v / cols, rows))).collect()
        }
        (Shape::Free, Some(g)) => force_directed(g, circle()),
        _ => circle(),
    }
}

fn force_directed(g: &sim_core::topology::Graph, mut pos: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let n = pos.len();
    if n < 3 {
        return pos;
    }
    let k = (1.0 / n as f64).sqrt();
    let iterations = (2e8 / (n as f64 * n as f64)).clamp(15.0, 300.0) as usize;
    let mut shift = vec![(0.0f64, 0.0f64); n];
    for it in 0..iterations {
        let temperature = 0.1 * (1.0 - it as f64 / iterations as f64);
        shift.iter_mut().for_each(|s| *s = (0.0, 0.0));
        for a in 0..n {
            for b in a + 1..n {
                let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
                let d2 = (dx * dx + dy * dy).max(1e-12);
                let f = k * k / d2;
                shift[a].0 += dx * f;
                shift[a].1 += dy * f;
                shift[b].0 -= dx * f;
                shift[b].1 -= dy * f;
            }
        }
        for e in 0..g.edge_count() {
            let (a, b) = g.endpoints(e as _);
            let (a, b) = (a as usize, b as usize);
            let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
            let d = (dx * dx + dy * dy).sqrt();
            let f = d / k;
            shift[a].0 -= dx * f;
            shift[a].1 -= dy * f;
            shift[b].0 += dx * f;
            shift[b].1 += dy * f;
        }
        for (p, s) in pos.iter_mut().zip(&shift) {
            // A pull towards the centre keeps components from drifting apart.
            let s = (s.0 - 2.0 * (p.0 - 0.5), s.1 - 2.0 * (p.1 - 0.5));
            let len = (s.0 * s.0 + s.1 * s.1).sqrt();
            if len > 0.0 {
                let step = len.min(temperature) / len;
                p.0 += s.0 * step;
                p.1 += s.1 * step;
            }
        }
    }
    normalise(pos)
}

/// Scales positions into [0, 1]², keeping the aspect ratio.
fn normalise(pos: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in &pos {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let span = (x1 - x0).max(y1 - y0).max(1e-12);
    let (ox, oy) = ((1.0 - (x1 - x0) / span) / 2.0, (1.0 - (y1 - y0) / span) / 2.0);
    pos.into_iter().map(|(x, y)| (ox + (x - x0) / span, oy + (y - y0) / span)).collect()
}
