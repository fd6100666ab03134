use sim_core::topology::{GraphBuilder, Topology};
use sim_core::trace::{Kind, Sink, Step};

use super::*;

/// A 6-node ring where node 0 informs 1 and 5, 1 informs 2, and node 3 and 4 are never reached.
fn small() -> (Topology, Spread) {
    let mut b = GraphBuilder::new(6);
    for v in 0..6 {
        b.edge(v, (v + 1) % 6);
    }
    b.labels(["a", "b", "c", "d", "e", "f<&>"].map(String::from).to_vec());
    let topology = Topology::from(b.build().unwrap());
    let mut spread = Spread::new(6);
    let mut step = |time, kind, from, to, dropped| {
        spread.step(Step { time, kind, from, to, message: "update", dropped });
    };
    step(0, Kind::Inform, 0, 0, false);
    step(0, Kind::Send, 0, 1, false);
    step(0, Kind::Send, 0, 5, false);
    step(1, Kind::Inform, 0, 1, false);
    step(1, Kind::Inform, 0, 5, false);
    step(1, Kind::Send, 1, 2, false);
    step(1, Kind::Send, 5, 4, true);
    step(2, Kind::Inform, 1, 2, false);
    step(2, Kind::Send, 2, 3, true);
    (topology, spread)
}

fn picture<'a>(topology: &'a Topology, spread: &'a Spread, positions: &'a [(f64, f64)]) -> Picture<'a> {
    Picture { title: "small ring", topology, spread, positions, hosts: &[] }
}

#[test]
fn the_spread_keeps_first_receipts_and_roles() {
    let (_, spread) = small();
    assert_eq!(spread.role(0), Role::Source);
    assert_eq!(spread.role(2), Role::Reached);
    assert_eq!(spread.role(3), Role::NotReached);
    assert_eq!((spread.end(), spread.reached(), spread.sent, spread.dropped), (2, 4, 5, 2));
}

#[test]
fn ring_pictures_match_their_snapshots() {
    let (topology, spread) = small();
    let positions = layout(&topology, Shape::Circle);
    let p = picture(&topology, &spread, &positions);
    insta::assert_snapshot!("graphml", graphml(&p));
    insta::assert_snapshot!("dot", dot(&p));
    insta::assert_snapshot!("html", html(&p));
}

#[test]
fn layouts_are_deterministic_and_in_the_unit_square() {
    let mut b = GraphBuilder::new(40);
    for v in 0..40 {
        b.edge(v, (v * 7 + 3) % 40).edge(v, (v + 1) % 40);
    }
    let t = Topology::from(b.build().unwrap());
    let free = layout(&t, Shape::Free);
    assert_eq!(free, layout(&t, Shape::Free));
    assert!(free.iter().all(|&(x, y)| (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y)));
    let grid = layout(&t, Shape::Grid { cols: 8 });
    assert_eq!((grid[0], grid[7], grid[39]), ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0)));
}

#[test]
fn pages_cannot_be_ended_early_by_names() {
    let mut b = GraphBuilder::new(2);
    b.edge(0, 1);
    b.labels(vec!["</script><script>alert(1)</script>".to_owned(), "x".to_owned()]);
    let t = Topology::from(b.build().unwrap());
    let spread = Spread::new(2);
    let positions = layout(&t, Shape::Circle);
    let page = html(&picture(&t, &spread, &positions));
    assert_eq!(page.matches("</script>").count(), 2, "only the page's own two scripts end");
}
