//! The harness's promises, checked with scripted protocols in both drivers.

use std::collections::BTreeMap;

use sim_core::network::{Latency, Network};
use sim_core::rng::{Lane, stream};
use sim_core::topology::GraphBuilder;

use super::*;

/// What a scripted protocol saw, in order.
#[derive(Clone, Debug, PartialEq)]
enum Seen {
    Turn { now: Time, node: NodeId },
    Receive { now: Time, from: NodeId, to: NodeId, msg: u32 },
    Timer { now: Time, node: NodeId, timer: u32 },
    EndRound(u32),
    Sample,
}

type Hook<T> = fn(&mut Script, &mut dyn Net<u32, u32>, T);

/// A protocol whose handlers are given functions; it logs everything the harness calls.
struct Script {
    turns: Turns,
    seen: Vec<Seen>,
    on_start: Hook<()>,
    on_turn: Hook<NodeId>,
    on_receive: Hook<(u32, Incoming)>,
    on_timer: Hook<(NodeId, u32)>,
    done: fn(&Script) -> bool,
}

impl Script {
    fn new(turns: Turns) -> Self {
        Script {
            turns,
            seen: Vec::new(),
            on_start: |_, _, _| {},
            on_turn: |_, _, _| {},
            on_receive: |_, _, _| {},
            on_timer: |_, _, _| {},
            done: |_| false,
        }
    }

    fn turns_of(&self, node: NodeId) -> usize {
        self.seen.iter().filter(|s| matches!(s, Seen::Turn { node: v, .. } if *v == node)).count()
    }

    fn samples(&self) -> usize {
        self.seen.iter().filter(|s| **s == Seen::Sample).count()
    }
}

impl Gossip for Script {
    type Msg = u32;
    type Timer = u32;

    fn turns(&self) -> Turns {
        self.turns
    }

    fn start(&mut self, net: &mut impl Net<u32, u32>) {
        (self.on_start)(self, net, ());
    }

    fn turn(&mut self, net: &mut impl Net<u32, u32>, node: NodeId) {
        self.seen.push(Seen::Turn { now: net.now(), node });
        (self.on_turn)(self, net, node);
    }

    fn receive(&mut self, net: &mut impl Net<u32, u32>, msg: u32, at: Incoming) {
        self.seen.push(Seen::Receive { now: net.now(), from: at.from, to: at.to, msg });
        (self.on_receive)(self, net, (msg, at));
    }

    fn timer(&mut self, net: &mut impl Net<u32, u32>, node: NodeId, timer: u32) {
        self.seen.push(Seen::Timer { now: net.now(), node, timer });
        (self.on_timer)(self, net, (node, timer));
    }

    fn end_round(&mut self, _net: &mut impl Net<u32, u32>, round: u32) {
        self.seen.push(Seen::EndRound(round));
    }

    fn sample(&mut self) {
        self.seen.push(Seen::Sample);
    }

    fn done(&self) -> bool {
        (self.done)(self)
    }
}

fn complete(n: u32) -> Topology {
    Topology::complete(n).unwrap()
}

fn rounds(t: &Topology, max_rounds: u32) -> Harness<'_> {
    Harness::new(t, Network::default(), Timing::Rounds, max_rounds)
}

#[test]
fn rounds_give_every_node_one_turn_in_index_order_then_end_and_sample() {
    let t = complete(3);
    let mut s = Script::new(Turns::All);
    let end = rounds(&t, 2).run(&mut s, 1, 0);
    let turn = |now, node| Seen::Turn { now, node };
    #[rustfmt::skip]
    let expected = vec![
        Seen::Sample,
        turn(1, 0), turn(1, 1), turn(1, 2), Seen::EndRound(1), Seen::Sample,
        turn(2, 0), turn(2, 1), turn(2, 2), Seen::EndRound(2), Seen::Sample,
    ];
    assert_eq!(s.seen, expected);
    assert_eq!(end, End { time: 2, period: 1, done: false, traffic: Traffic::default() });
}

/// Messages are delivered before the next turn, replies too, in the order sent.
#[test]
fn rounds_deliver_at_once_in_the_order_sent() {
    let t = complete(3);
    let mut s = Script::new(Turns::All);
    s.on_turn = |_, net, p| {
        if p == 0 {
            let (a, b) = (net.peer(0).unwrap(), net.peer(0).unwrap());
            assert!(net.send(0, a, 1) && net.send(0, b, 2));
        }
    };
    // Every message below 10 is answered with ten times its value.
    s.on_receive = |_, net, (msg, at)| {
        if msg < 10 {
            net.reply(at, msg * 10);
        }
    };
    rounds(&t, 1).run(&mut s, 1, 0);
    let got: Vec<(u32, NodeId)> = s
        .seen
        .iter()
        .filter_map(|x| match *x {
            Seen::Receive { msg, to, .. } => Some((msg, to)),
            Seen::Turn { node, .. } => Some((0, node + 100)),
            _ => None,
        })
        .collect();
    assert_eq!(&got[..1], &[(0, 100)]);
    assert_eq!(got[1].0, 1);
    assert_eq!(got[2].0, 2);
    assert_eq!(&got[3..], &[(10, 0), (20, 0), (0, 101), (0, 102)]);
}

/// Every one of the 24 orders of 4 nodes is equally likely: 24,000 rounds, each count Binomial(24000,
/// 1/24) with sd ≈ 30.6, within ±5 sd = ±153 of 1000.
#[test]
fn shuffled_rounds_draw_a_uniform_order_each_round() {
    let t = complete(4);
    let mut s = Script::new(Turns::All);
    let harness = Harness::new(&t, Network::default(), Timing::Rounds, 24_000).order(Order::Shuffled);
    harness.run(&mut s, 3, 0);
    let mut counts: BTreeMap<Vec<NodeId>, i64> = BTreeMap::new();
    for round in s.seen.split(|x| *x == Seen::Sample).skip(1).filter(|r| !r.is_empty()) {
        let order: Vec<NodeId> =
            round.iter().filter_map(|x| if let Seen::Turn { node, .. } = x { Some(*node) } else { None }).collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2, 3], "each round is a permutation");
        *counts.entry(order).or_default() += 1;
    }
    assert_eq!(counts.len(), 24);
    assert!(counts.values().all(|&c| (c - 1000).abs() <= 153), "{counts:?}");
}

/// Awake turns in rounds: fixed when the round begins (a node put to sleep still has its turn that round),
/// survivors first, then the newly woken in wake order.
#[test]
fn awake_turns_in_rounds_change_between_rounds() {
    let t = complete(5);
    let mut s = Script::new(Turns::Awake);
    s.on_start = |_, net, ()| {
        net.wake(3);
        net.wake(1);
        net.wake(3);
    };
    s.on_turn = |_, net, p| match (net.now(), p) {
        (1, 3) => {
            net.sleep(1); // before 1's turn in round 1: it keeps it
            net.wake(4);
            net.wake(0);
        }
        (2, 4) => {
            net.sleep(4);
            net.wake(4); // asleep and awake again within the round: one turn per round
            net.wake(2);
            net.sleep(2); // woken and put to sleep within the round: no turn
        }
        _ => {}
    };
    rounds(&t, 3).run(&mut s, 1, 0);
    let order = |round: Time| -> Vec<NodeId> {
        s.seen
            .iter()
            .filter_map(|x| match *x {
                Seen::Turn { now, node } if now == round => Some(node),
                _ => None,
            })
            .collect()
    };
    assert_eq!(order(1), vec![3, 1]);
    assert_eq!(order(2), vec![3, 4, 0]);
    assert_eq!(order(3), vec![3, 4, 0]);
}

/// Awake turns event-driven: a woken node's turns come a period apart from one gap after its waking;
/// asleep, it has none; woken again while its timer is pending, it keeps that one timer.
#[test]
fn awake_turns_event_driven_follow_wakes_and_sleeps() {
    let t = complete(4);
    let timing = Timing::Periodic { period: 10, jitter: 0.0 };
    let mut s = Script::new(Turns::Awake);
    s.on_start = |_, net, ()| {
        net.wake(0);
        net.wake(3);
        net.sleep(3); // never takes a turn
    };
    s.on_turn = |_, net, p| {
        if p == 0 && net.now() <= 10 {
            net.wake(1); // at its first turn (the second changes nothing)
        }
        if p == 1 {
            net.sleep(1);
            net.wake(1); // still one timer
            if net.now() >= 41 {
                net.sleep(1);
            }
        }
    };
    Harness::new(&t, Network::default(), timing, 10).run(&mut s, 5, 0);
    let times = |node| -> Vec<Time> {
        s.seen
            .iter()
            .filter_map(|x| match *x {
                Seen::Turn { now, node: v } if v == node => Some(now),
                _ => None,
            })
            .collect()
    };
    let first = times(0)[0];
    assert!((1..=10).contains(&first));
    assert_eq!(times(0), (0..).map(|i| first + 10 * i).take_while(|&x| x <= 100).collect::<Vec<_>>());
    let one = times(1);
    assert_eq!(one[0], first + 10);
    assert!(one.windows(2).all(|w| w[1] - w[0] == 10) && *one.last().unwrap() >= 41 && one.len() <= 4, "{one:?}");
    assert!(times(2).is_empty() && times(3).is_empty());
}

/// A node that is down takes no turns, and messages to it fail: in rounds when sent (the sender knows),
/// event-driven when they arrive.
#[test]
fn down_nodes_take_no_turns_and_messages_to_them_fail() {
    let t = complete(4);
    for timing in [Timing::Rounds, Timing::Periodic { period: 5, jitter: 0.2 }] {
        let mut s = Script::new(Turns::All);
        s.on_start = |_, net, ()| {
            net.set_up(2, false);
            assert!(!net.is_up(2) && net.is_up(1));
        };
        s.on_turn = |_, net, p| {
            let q = net.peer(p).unwrap();
            let sent = net.send(p, q, 7);
            if net.view() == View::RoundStart {
                assert_eq!(sent, q.node != 2);
            }
        };
        let end = Harness::new(&t, Network::default(), timing, 50).run(&mut s, 2, 0);
        assert_eq!(s.turns_of(2), 0, "{timing:?}");
        let to_two = s.seen.iter().filter(|x| matches!(x, Seen::Receive { to: 2, .. })).count();
        assert_eq!(to_two, 0);
        let received = s.seen.iter().filter(|x| matches!(x, Seen::Receive { .. })).count() as u64;
        assert!(end.traffic.failed > 0);
        assert_eq!(end.traffic.sent, received + end.traffic.failed, "{timing:?}");
        assert_eq!(end.traffic.sent, (s.turns_of(0) + s.turns_of(1) + s.turns_of(3)) as u64);
    }
}

/// Timers fire after the turns of their round (at 0: before round 1, after the first sample), in the
/// order set; event-driven at their time.
#[test]
fn timers_fire_at_their_round_or_time() {
    let t = complete(2);
    for timing in [Timing::Rounds, Timing::Periodic { period: 10, jitter: 0.0 }] {
        let mut s = Script::new(Turns::All);
        s.on_start = |_, net, ()| {
            let p = net.period();
            net.schedule(2 * p, 1, 20);
            net.schedule(0, 0, 0);
            net.schedule(2 * p, 0, 21);
        };
        s.on_timer = |_, net, (node, timer)| {
            if timer == 21 {
                net.schedule(net.now() + 1, node, 30);
            }
        };
        Harness::new(&t, Network::default(), timing, 3).run(&mut s, 1, 0);
        let timers: Vec<(Time, u32)> = s
            .seen
            .iter()
            .filter_map(|x| if let Seen::Timer { now, timer, .. } = *x { Some((now, timer)) } else { None })
            .collect();
        let p = timing.period();
        assert_eq!(timers, vec![(0, 0), (2 * p, 20), (2 * p, 21), (2 * p + 1, 30)], "{timing:?}");
        if timing == Timing::Rounds {
            let at = |x: &Seen| s.seen.iter().position(|y| y == x).unwrap();
            assert!(at(&Seen::Sample) < at(&Seen::Timer { now: 0, node: 0, timer: 0 }));
            let last_turn_2 = s.seen.iter().rposition(|x| matches!(x, Seen::Turn { now: 2, .. })).unwrap();
            assert!(last_turn_2 < at(&Seen::Timer { now: 2, node: 1, timer: 20 }));
            assert!(at(&Seen::Timer { now: 2, node: 0, timer: 21 }) < at(&Seen::EndRound(2)));
        }
    }
}

/// One sample before the first round and one per round; event-driven, one more when the protocol is
/// done. The limit is `max_rounds` rounds or periods.
#[test]
fn samples_and_limits() {
    let t = complete(10);
    let mut s = Script::new(Turns::All);
    let end = rounds(&t, 7).run(&mut s, 1, 0);
    assert_eq!((s.samples(), end.time, end.done), (8, 7, false));
    let periodic = Timing::Periodic { period: 10, jitter: 0.3 };
    let mut s = Script::new(Turns::All);
    let end = Harness::new(&t, Network::default(), periodic, 7).run(&mut s, 1, 0);
    assert_eq!((s.samples(), end.rounds(), end.done), (8, 7, false));
    assert!(end.time <= 70 && s.seen.iter().all(|x| !matches!(x, Seen::Turn { now, .. } if *now > 70)));
    // Done after the 25th turn.
    for timing in [Timing::Rounds, periodic] {
        let mut s = Script::new(Turns::All);
        s.done = |s| s.seen.iter().filter(|x| matches!(x, Seen::Turn { .. })).count() >= 25;
        let end = Harness::new(&t, Network::default(), timing, 100).run(&mut s, 1, 0);
        assert!(end.done);
        let turns = s.seen.iter().filter(|x| matches!(x, Seen::Turn { .. })).count();
        if timing == Timing::Rounds {
            // Checked after every round: rounds 1-3 ran.
            assert_eq!((turns, end.time, s.samples()), (30, 3, 4));
        } else {
            // Checked after every event, sampled once more at the end.
            assert_eq!(turns, 25);
            assert_eq!(s.samples() as u64, end.time / 10 + 2);
            assert_eq!(s.seen.last(), Some(&Seen::Sample));
        }
    }
}

/// In rounds, each message is lost with the network's probability: 20,000 messages at loss 0.3, the lost
/// count Binomial(20000, 0.3) with sd ≈ 64.8, within ±5 sd = ±324 of 6000. Lost messages are not
/// delivered.
#[test]
fn loss_drops_messages_at_its_rate() {
    let t = complete(1000);
    let mut s = Script::new(Turns::All);
    s.on_turn = |_, net, p| {
        let q = net.peer(p).unwrap();
        net.send(p, q, 1);
    };
    let net = Network { loss: 0.3, ..Network::default() };
    let end = Harness::new(&t, net, Timing::Rounds, 20).run(&mut s, 4, 0);
    let received = s.seen.iter().filter(|x| matches!(x, Seen::Receive { .. })).count() as u64;
    assert_eq!(end.traffic.sent, 20_000);
    assert_eq!(received + end.traffic.lost, 20_000);
    assert!((end.traffic.lost as i64 - 6000).abs() <= 324, "{end:?}");
}

/// Event-driven on a graph, a reply takes the link its request came on: with edge weights as latency,
/// every request-reply round trip takes twice the weight of the edge between the two nodes.
#[test]
fn replies_travel_back_over_the_link_they_came_on() {
    let mut b = GraphBuilder::new(6);
    for (u, v, w) in [(0, 1, 3), (1, 2, 5), (2, 3, 7), (3, 4, 2), (4, 5, 9), (5, 0, 4), (0, 3, 6)] {
        b.weighted_edge(u, v, w);
    }
    let t = Topology::from(b.build().unwrap());
    let weight = |u: NodeId, v: NodeId| -> Time {
        let g = t.as_graph().unwrap();
        let a = g.arcs(u).find(|&a| g.arc_target(a) == v).unwrap();
        Time::from(g.weight(g.arc_edge(a)))
    };
    let mut s = Script::new(Turns::All);
    s.on_turn = |_, net, p| {
        let q = net.peer(p).unwrap();
        net.send(p, q, net.now() as u32 + 1000);
    };
    s.on_receive = |_, net, (msg, at)| {
        if msg >= 1000 {
            net.reply(at, msg - 1000);
        }
    };
    let network = Network { latency: Latency::EdgeWeight, loss: 0.0 };
    Harness::new(&t, network, Timing::Poisson { period: 20 }, 20).run(&mut s, 6, 0);
    let replies: Vec<_> = s
        .seen
        .iter()
        .filter_map(|x| match *x {
            Seen::Receive { now, from, to, msg } if msg < 1000 => Some((now, Time::from(msg), from, to)),
            _ => None,
        })
        .collect();
    assert!(replies.len() > 50);
    for (arrived, sent, from, to) in replies {
        assert_eq!(arrived - sent, 2 * weight(from, to));
    }
}

#[test]
fn same_seed_same_run() {
    let t = complete(50);
    for timing in [Timing::Rounds, Timing::Poisson { period: 7 }] {
        let script = || {
            let mut s = Script::new(Turns::All);
            s.on_turn = |_, net, p| {
                let q = net.peer(p).unwrap();
                net.send(p, q, 0);
            };
            s
        };
        let h = Harness::new(&t, Network { loss: 0.2, ..Network::default() }, timing, 10);
        let (mut a, mut b, mut c) = (script(), script(), script());
        assert_eq!(h.run(&mut a, 9, 1), h.run(&mut b, 9, 1));
        h.run(&mut c, 9, 2);
        assert_eq!(a.seen, b.seen);
        assert_ne!(a.seen, c.seen);
    }
}

#[test]
fn clock_gaps_respect_their_bounds() {
    let mut rng = stream(1, 0, Lane::Protocol);
    let c = Timing::Periodic { period: 10, jitter: 0.35 }.clock().unwrap();
    for _ in 0..1000 {
        assert!((7..=13).contains(&c.gap(&mut rng)));
        assert!((1..=10).contains(&c.first(&mut rng)));
    }
    let p = Timing::Poisson { period: 10 }.clock().unwrap();
    let n = 20_000;
    let mean = (0..n).map(|_| p.gap(&mut rng) as f64).sum::<f64>() / f64::from(n);
    // ceil adds about 0.5; sd of the mean is 10/sqrt(20000) ≈ 0.07, so ±0.35 is 5 sd.
    assert!((mean - 10.5).abs() < 0.35, "{mean}");
}

#[test]
fn timing_validation_names_the_field() {
    assert_eq!(Timing::Periodic { period: 0, jitter: 0.0 }.validate("timing").unwrap_err().field, "timing.period");
    assert_eq!(Timing::Periodic { period: 5, jitter: 1.0 }.validate("t").unwrap_err().field, "t.jitter");
    assert_eq!(Timing::Poisson { period: 0 }.validate("").unwrap_err().field, "period");
    assert!(Timing::Rounds.validate("timing").is_ok());
}
