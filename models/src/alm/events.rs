//! ALM as messages on the event engine (`"timing": {"kind": "events", ...}`): the tree is what JOIN messages
//! leave behind, and the multicast travels down it, every overlay hop taking the unicast delay between its end
//! hosts in the [`Underlay`].
//!
//! **Joins** (Scribe, Castro et al. 2002): each member sends a JOIN towards the group's root key at a uniform
//! random time in `[0, join_window)`, routed hop by hop by the overlay's next hop
//! ([`StructuredOverlay::next_hop`], Chord's one routing rule on a Chord overlay). A node that receives a JOIN
//! and is not yet in the tree enters it as a forwarder, adopts the sender as its child and sends the JOIN on;
//! a node already in the tree (the root, a forwarder, or a member whose own JOIN is under way) adopts the
//! sender and stops the JOIN. A member already in the tree when its time comes sends nothing. On a converged
//! overlay every node's parent is its next hop towards the root key, whatever the order of the joins, so the
//! tree equals the one [`super::join_tree`] builds.
//!
//! **The multicast** leaves the source at `multicast_at`, or as soon as the last JOIN has stopped; a source
//! other than the root first routes it to the root (the lead-in), and each tree node forwards it to the
//! children it has when it arrives. A member whose JOIN had not connected it to the root by then is missed.
//!
//! **Churn** (`churn`, optional). Once the tree is complete and the first multicast has made its last hop
//! (the start of churn, from which the churn parameters' times count), nodes fail: at the end of their
//! sessions and in scheduled simultaneous failures. With `downtime`, a failed node comes back after a down
//! time drawn from that law and starts a new session; it has forgotten its tree state, and a member of the
//! group sends its JOIN again (a node that comes back is a new tree node: its old one stays failed). The
//! schedule is drawn once per run from its own stream, up to the last multicast's due time, so every
//! group sees the same nodes fail and come back at the same times after its own start. The root sends
//! `multicasts` more multicasts, one every `multicast_every`; one due while the root is down is lost (its
//! role has not passed on yet). Every tree node other than the root sends a heartbeat to its parent every
//! `heartbeat` (the first at a uniform time in the first period); a parent that does not answer within
//! `timeout_rtts` round trips (twice the underlay's delay, what a node measures on a static underlay) plus
//! `timeout_min` has failed, and the child re-sends its JOIN towards the group's key, keeping its subtree;
//! so does a child whose parent has come back and answers that it does not know it. A parent that has heard no heartbeat from a child for `heartbeat` plus its timeout for that child drops
//! it and sends it no more copies; copies sent to a failed child before that are counted (wasted traffic).
//!
//! *What each node knows.* Its converged Chord state at the start (fingers and a successor list of
//! `successors` entries), and the nodes it has itself found silent (also across its own failures); nothing
//! else, and nodes do not run Chord's stabilisation, so a node that comes back is in the tables of those
//! that did not find it silent, and in its own tables as they were. A JOIN hop to a failed node costs the sender a timeout, after which it drops that
//! node from its tables and sends the JOIN to its next best entry, chosen as on the converged ring (by
//! proximity route selection or successor-scope alternates when the ring uses them; [`Overlay`]'s
//! `next_hop_around`); a node with no entry that makes progress tries again at its next heartbeat. A JOIN
//! sent to a node as the key's owner makes it the root if the root has failed (it takes the role, leaving
//! its old parent, if it had one); while a live node holds the role, another node named the owner (one
//! that came back after the role passed on: no stabilisation hands the key back) refuses it, and the
//! sender treats it as silent after the answer's round trip. A node whose own tables make it the owner
//! while the role is held elsewhere sends its JOIN round the ring by Chord's rule. Every other hop goes to
//! a node strictly closer to the key, and the role passes only from a failed root, so tree edges lead
//! either to a root (live or failed) or closer to the key and re-joins make no cycle (debug builds check
//! it). A node that receives a JOIN adopts its sender, then stops it if it was in the tree and forwards it
//! otherwise, as during the build.
//!
//! *Shortcuts that change no outcome.* Answers to heartbeats and JOIN hops are counted but not simulated:
//! they change no state, and the timeout exceeds the round trip they would take, so the sender's timer is
//! scheduled only when the receiver has failed (at the sender's send time plus its timeout). A parent checks
//! when it last heard from each child as it forwards a multicast, not by a timer of its own: forwarding is
//! all it does with its children, and a live child's heartbeats arrive every period, so only failed
//! children are dropped. Each group runs alone, so what a node learns by a timeout in one group it does
//! not know in another.
//!
//! *What is measured.* Per later multicast: the members up when it was due (the root aside), those it
//! missed, and those that had no chain of live tree nodes to the live root when it left; a repair lasts from
//! a parent's failure until its orphan is connected to the live root again (by its own re-join, by the
//! re-join of a node above it, or by becoming the root); a return lasts from a member's coming back until
//! it is connected again. The run ends when the last multicast's last copy has arrived.
//!
//! Groups do not interact (failures are scheduled, not caused), so each group runs on its own engine, its
//! draws from the stream of (seed, group index, run).

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::NodeId;
use sim_core::Time;
use sim_core::engine::{Context, Limits, Protocol, Simulation};
use sim_core::rng::derive_seed;
use sim_core::underlay::Underlay;

use super::churn::{ChurnParams, Multicast, NEVER, Repairs, Schedule, expected_cut};
use super::metrics::{Delivery, Dissemination, MISSED, Scratch};
use super::tree::{NONE, Tree};
use crate::chord::Hop;
use crate::chord::events::{below_time, timeout};
use crate::gossip::MAX_PERIOD;
use crate::overlay::StructuredOverlay;
use crate::overlays::Overlay;
use crate::{ModelError, check_range, join};

/// Keeps the event-driven run's draws apart from the planning draws of the same (seed, run).
const EVENTS_STREAM: u64 = 0x616c_6d65_7674;

/// ALM's parameters when joins and the multicast run as messages on the event engine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    /// Each member sends its JOIN at a uniform random whole time in `[0, join_window)`; 0 (default): all at
    /// time 0.
    #[serde(default)]
    #[schemars(range(max = MAX_PERIOD))]
    pub join_window: Time,
    /// When the source sends the multicast; default: as soon as the last JOIN has stopped (the tree is
    /// complete, no member is missed).
    #[serde(default)]
    #[schemars(range(max = MAX_PERIOD))]
    pub multicast_at: Option<Time>,
    /// Node failures, heartbeats, re-joins and later multicasts once the tree is built and the first
    /// multicast delivered; default: none (the run ends with the first multicast).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub churn: Option<ChurnParams>,
}

impl EventParams {
    /// Checks the bounds; errors name fields within `prefix`.
    pub fn validate(&self, prefix: &str) -> Result<(), ModelError> {
        check_range(join(prefix, "join_window"), self.join_window, 0, MAX_PERIOD)?;
        if let Some(t) = self.multicast_at {
            check_range(join(prefix, "multicast_at"), t, 0, MAX_PERIOD)?;
        }
        if let Some(churn) = &self.churn {
            churn.validate(&join(prefix, "churn"))?;
        }
        Ok(())
    }
}

/// What the JOIN messages of one group did.
#[derive(Clone, Debug, PartialEq)]
pub struct Joins {
    /// JOIN messages sent (each one adds one tree edge).
    pub messages: u64,
    /// Time from a member sending its JOIN to a tree node adopting it, for every member that sent one, sorted.
    pub latencies: Vec<Time>,
    /// When the last JOIN stopped.
    pub complete_at: Time,
    /// When the multicast left the source.
    pub multicast_at: Time,
    /// With `churn`: what the churn phase measured.
    pub repairs: Option<Repairs>,
}

enum Msg {
    /// A JOIN from a node (the sender) that has just entered the tree and waits for its parent.
    Join {
        /// When the member that started it sent it.
        began: Time,
    },
    /// The multicast on its way from a source to the root.
    LeadIn,
    /// The multicast going down the tree.
    Data,
    /// Churn: a JOIN sent again by a node (the sender) that lost its parent, or forwarded for one;
    /// `owner`: the sender's tables name the receiver as the owner of the group's key; `index`: the
    /// sender's tree index.
    Rejoin { owner: bool, index: u32 },
    /// Churn: tree index `index`'s heartbeat to its parent, tree index `parent`.
    Ping { index: u32, parent: u32 },
    /// Churn: later multicast number `k` (1, 2, …) going down the tree to tree index `index`.
    Later { k: u32, index: u32 },
}

enum Timer {
    /// A member sends its JOIN.
    Join,
    /// The source sends the multicast.
    Multicast,
    /// Churn: tree index `index`'s next heartbeat.
    Heartbeat { index: u32 },
    /// Churn: tree index `index`'s heartbeat to its parent, tree index `parent` on node `peer`, or its JOIN
    /// to `peer` (`parent` = `NONE`), was not answered in time, or (`refused`) was answered by a node that
    /// had come back and knew nothing of it.
    Silent { peer: u32, parent: u32, index: u32, refused: bool },
    /// Churn: a member comes back and joins the group again.
    Return,
    /// Churn: the root sends later multicast `k`.
    Later { k: u32 },
    /// Churn: scheduled failure `index` strikes (the nodes fail by the schedule; this measures its cut).
    Failure { index: u32 },
}

type Ctx<'c> = Context<'c, Msg, Timer>;

/// The churn phase's state (see the module comment); tree indices are those of [`Group::tree`].
struct Repair<'a> {
    p: &'a ChurnParams,
    schedule: &'a Schedule,
    /// When churn began; `None` while the tree is built and the first multicast travels.
    start: Option<Time>,
    /// Copies of the first multicast (lead-in and tree hops) on their way.
    first_in_flight: u64,
    /// Tree index of the node holding the root's role.
    root: u32,
    /// Per tree index: when it entered the tree; the last later multicast it got; the node its JOIN went
    /// to, awaiting adoption (`NONE`: none); since when it has been an orphan awaiting repair (`NEVER`: it
    /// is not).
    entered: Vec<Time>,
    got: Vec<u32>,
    pending: Vec<u32>,
    orphan_since: Vec<Time>,
    /// Per tree index: when its parent last heard from it (its adoption, churn's start or a heartbeat);
    /// since when it has been a member back from a failure awaiting its connection (`NEVER`: it is not).
    heard: Vec<Time>,
    back_since: Vec<Time>,
    /// The largest delay of a tree edge since churn began (bounds when a parent finds a failed child).
    max_edge_delay: Time,
    /// Orphans and members back from a failure awaiting their connection.
    waiting: u64,
    /// (node, silent node): what each node has found out by its own timeouts.
    silent: BTreeSet<(u32, u32)>,
    /// Copies of later multicasts, all of them together, on their way.
    later_in_flight: u64,
    /// Per later multicast (index k − 1): when sent, last arrival, and counts.
    sent: Vec<Time>,
    last_arrival: Vec<Time>,
    eligible: Vec<u32>,
    reached: Vec<u32>,
    disconnected: Vec<u32>,
    /// When tree edges changed, in time order.
    changes: Vec<Time>,
    /// The tree as churn began.
    built: Option<Tree>,
    out: Repairs,
}

impl<'a> Repair<'a> {
    fn new(p: &'a ChurnParams, schedule: &'a Schedule) -> Self {
        Repair {
            p,
            schedule,
            start: None,
            first_in_flight: 0,
            root: 0,
            entered: Vec::new(),
            got: Vec::new(),
            pending: Vec::new(),
            orphan_since: Vec::new(),
            heard: Vec::new(),
            back_since: Vec::new(),
            max_edge_delay: 0,
            waiting: 0,
            silent: BTreeSet::new(),
            sent: Vec::new(),
            later_in_flight: 0,
            last_arrival: Vec::new(),
            eligible: Vec::new(),
            reached: Vec::new(),
            disconnected: Vec::new(),
            changes: Vec::new(),
            built: None,
            out: Repairs::default(),
        }
    }

    /// When the tree node overlay node `v` became at `entered` ends: v's first failure from then, in the
    /// group's time.
    fn end(&self, v: u32, entered: Time) -> Time {
        self.start.map_or(NEVER, |s| s.saturating_add(self.schedule.failure_from(v, entered.saturating_sub(s))))
    }

    /// What the phase measured, once the run has ended at `end`.
    fn finish(mut self, tree: &Tree, end: Time) -> Repairs {
        let Some(start) = self.start else {
            return self.out;
        };
        self.out.start = start;
        self.out.end = end;
        self.out.root = tree.nodes[self.root as usize];
        for (i, &v) in tree.nodes.iter().enumerate() {
            let (from, to) = (self.entered[i].max(start), self.end(v, self.entered[i]).min(end));
            self.out.node_time += u128::from(to.saturating_sub(from));
        }
        // A failed child is dropped by any forward `bound` after its failure (its last heartbeat arrived
        // before its failure plus the edge's delay, and the parent waits a period plus its timeout).
        let p = self.p;
        let bound = self.max_edge_delay + p.heartbeat + timeout(p.timeout_rtts, p.timeout_min, self.max_edge_delay);
        let deaths = &self.schedule.deaths_sorted;
        self.out.detected_before_forwards = (0..self.sent.len()).all(|k| {
            let (from, to) = ((self.sent[k] - start).saturating_sub(bound), self.last_arrival[k] - start);
            deaths.get(deaths.partition_point(|&d| d < from)).is_none_or(|&d| d > to)
        });
        self.out.multicasts = (0..self.sent.len())
            .map(|k| {
                let (sent, last) = (self.sent[k], self.last_arrival[k]);
                let changed =
                    self.changes[self.changes.partition_point(|&t| t < sent)..].first().is_some_and(|&t| t <= last);
                Multicast {
                    eligible: self.eligible[k],
                    missed: self.eligible[k].saturating_sub(self.reached[k]),
                    disconnected: self.disconnected[k],
                    unchanged: !changed && !self.schedule.death_within(sent - start, last - start),
                }
            })
            .collect();
        self.out
    }
}

struct Group<'a> {
    overlay: &'a Overlay,
    underlay: &'a Underlay,
    mid: u64,
    members: &'a [u32],
    source: u32,
    p: &'a EventParams,
    tree: Tree,
    /// Overlay node → tree index (`NONE` outside the tree); the caller's scratch, left clean.
    slot: &'a mut [u32],
    /// Children of each tree index as linked lists: its first child, and each child's next sibling.
    first_child: Vec<u32>,
    next_sibling: Vec<u32>,
    /// Members whose JOIN has not stopped yet (or not been sent).
    joins_left: usize,
    join_messages: u64,
    join_latencies: Vec<Time>,
    complete_at: Time,
    /// When the multicast left the source, once it has.
    sent_at: Option<Time>,
    lead_in: Vec<u32>,
    lead_in_delay: u64,
    from: Vec<u32>,
    arrival: Vec<u64>,
    tree_cost: u64,
    loads: &'a mut Scratch,
    /// With `churn`: its state.
    repair: Option<Repair<'a>>,
}

impl<'a> Group<'a> {
    /// Sends `msg` over the overlay hop a → b, which takes the unicast delay between their hosts.
    fn hop(&mut self, ctx: &mut Ctx<'_>, a: u32, b: u32, msg: Msg) -> u64 {
        let delay = self.underlay.delay(a, b);
        ctx.send_after(a, b, delay, msg);
        delay
    }

    /// A copy of the first multicast leaves (churn begins once none is on its way).
    fn first_copy(&mut self, ctx: &mut Ctx<'_>, a: u32, b: u32, msg: Msg) -> u64 {
        if let Some(r) = &mut self.repair {
            r.first_in_flight += 1;
        }
        self.hop(ctx, a, b, msg)
    }

    /// The next hop of node `v` towards the group's root key; `v` is not the root.
    fn towards_root(&self, v: u32) -> u32 {
        self.overlay.next_hop(v, self.mid).expect("only the root has no next hop, and the root is in the tree")
    }

    /// Tree node `parent` adopts tree node `child`.
    fn adopt(&mut self, parent: u32, child: u32) {
        self.tree.parent[child as usize] = parent;
        self.next_sibling[child as usize] = self.first_child[parent as usize];
        self.first_child[parent as usize] = child;
    }

    /// Tree node `child` leaves its parent's children.
    fn unlink(&mut self, child: u32) {
        let parent = std::mem::replace(&mut self.tree.parent[child as usize], NONE);
        let next = std::mem::replace(&mut self.next_sibling[child as usize], NONE);
        if self.first_child[parent as usize] == child {
            self.first_child[parent as usize] = next;
            return;
        }
        let mut at = self.first_child[parent as usize];
        while self.next_sibling[at as usize] != child {
            at = self.next_sibling[at as usize];
        }
        self.next_sibling[at as usize] = next;
    }

    /// Adds overlay node `v` to the tree, without a parent yet.
    fn enter(&mut self, v: u32, member: bool, now: Time) -> u32 {
        self.first_child.push(NONE);
        self.next_sibling.push(NONE);
        self.from.push(NONE);
        self.arrival.push(MISSED);
        if let Some(r) = &mut self.repair {
            r.entered.push(now);
            r.got.push(0);
            r.pending.push(NONE);
            r.orphan_since.push(NEVER);
            r.heard.push(now);
            if r.start.is_some() {
                r.back_since.push(NEVER);
            }
        }
        self.tree.push(v, member, self.slot)
    }

    /// A JOIN has stopped; after the last one the multicast leaves unless its time is set.
    fn join_done(&mut self, ctx: &mut Ctx<'_>, began: Option<Time>) {
        self.join_latencies.extend(began.map(|b| ctx.now() - b));
        self.joins_left -= 1;
        if self.joins_left == 0 {
            self.complete_at = ctx.now();
            if self.p.multicast_at.is_none() {
                self.multicast(ctx);
            }
            self.begin_churn(ctx);
        }
    }

    fn multicast(&mut self, ctx: &mut Ctx<'_>) {
        self.sent_at = Some(ctx.now());
        self.lead_in.push(self.source);
        self.take_multicast(ctx, self.source);
    }

    /// Overlay node `v` on the lead-in holds the multicast: the root sends it down, others towards the root.
    fn take_multicast(&mut self, ctx: &mut Ctx<'_>, v: u32) {
        match self.overlay.next_hop(v, self.mid) {
            None => {
                if self.lead_in.len() == 1 {
                    self.lead_in.clear();
                }
                self.reach(ctx, 0, NONE);
            }
            Some(next) => {
                self.underlay.for_each_link(v, next, |e| self.loads.add(e, 1));
                self.lead_in_delay += self.first_copy(ctx, v, next, Msg::LeadIn);
            }
        }
    }

    /// Tree index `i` receives the multicast from tree index `from` and forwards it to its children.
    fn reach(&mut self, ctx: &mut Ctx<'_>, i: u32, from: u32) {
        let sent_at = self.sent_at.expect("the multicast has left");
        self.arrival[i as usize] = ctx.now() - sent_at;
        self.from[i as usize] = from;
        let v = self.tree.nodes[i as usize];
        let mut c = self.first_child[i as usize];
        while c != NONE {
            let child = self.tree.nodes[c as usize];
            self.underlay.for_each_link(v, child, |e| self.loads.add(e, 1));
            self.tree_cost += self.first_copy(ctx, v, child, Msg::Data);
            c = self.next_sibling[c as usize];
        }
    }

    // --- churn ---

    fn repair(&mut self) -> &mut Repair<'a> {
        self.repair.as_mut().expect("churn messages and timers only with churn")
    }

    /// Whether overlay node `v` is up at `now` (every node is, without churn or before it starts).
    fn up(&self, v: u32, now: Time) -> bool {
        self.repair.as_ref().is_none_or(|r| r.start.is_none_or(|s| now < s || r.schedule.up(v, now - s)))
    }

    /// Whether tree index `i` is live at `now`: its node has not failed since it entered the tree (a node
    /// that comes back is a new tree node, if any).
    fn live(&self, i: u32, now: Time) -> bool {
        self.repair.as_ref().is_none_or(|r| now < r.end(self.tree.nodes[i as usize], r.entered[i as usize]))
    }

    /// Overlay node `v`'s live tree index at `now`, if it has one.
    fn live_slot(&self, v: u32, now: Time) -> Option<u32> {
        let i = self.slot[v as usize];
        (i != NONE && self.live(i, now)).then_some(i)
    }

    /// Whether the root's role is held by a live tree node other than tree index `i` at `now`.
    fn root_elsewhere(&self, i: u32, now: Time) -> bool {
        let root = self.repair.as_ref().map_or(0, |r| r.root);
        root != i && self.live(root, now)
    }

    /// A copy of the first multicast has arrived.
    fn first_arrived(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(r) = &mut self.repair {
            r.first_in_flight -= 1;
            self.begin_churn(ctx);
        }
    }

    /// Churn begins once the tree is complete and no copy of the first multicast is on its way: heartbeats
    /// start, later multicasts and failures are scheduled.
    fn begin_churn(&mut self, ctx: &mut Ctx<'_>) {
        let Some(r) = &mut self.repair else { return };
        if r.start.is_some() || self.joins_left > 0 || self.sent_at.is_none() || r.first_in_flight > 0 {
            return;
        }
        r.start = Some(ctx.now());
        r.built = Some(self.tree.clone());
        r.heard.fill(ctx.now());
        r.max_edge_delay = (1..self.tree.len())
            .map(|i| self.underlay.delay(self.tree.nodes[i], self.tree.nodes[self.tree.parent[i] as usize]))
            .max()
            .unwrap_or(0);
        let (p, root, schedule) = (r.p, self.tree.nodes[r.root as usize], r.schedule);
        r.back_since = vec![NEVER; self.tree.len()];
        for (i, &v) in self.tree.nodes.iter().enumerate().skip(1) {
            let first = 1 + below_time(ctx.rng(), p.heartbeat);
            ctx.set_timer(v, first, Timer::Heartbeat { index: i as u32 });
        }
        for &m in self.members {
            for back in schedule.returns(m) {
                ctx.set_timer(m, back, Timer::Return);
            }
        }
        for (index, f) in p.failures.iter().enumerate() {
            ctx.set_timer(root, f.time, Timer::Failure { index: index as u32 });
        }
        ctx.set_timer(root, p.multicast_every, Timer::Later { k: 1 });
    }

    /// Tree index `index` of node a sent b a message that b, failed, does not answer (a's timer fires when
    /// its wait is over), or that b, back from a failure, refuses (its answer arrives after the delay).
    fn silence(&mut self, ctx: &mut Ctx<'_>, (a, index): (u32, u32), (b, parent): (u32, u32)) {
        let delay = self.underlay.delay(a, b);
        let refused = self.up(b, ctx.now());
        let p = self.repair().p;
        let wait = if refused { delay } else { timeout(p.timeout_rtts, p.timeout_min, delay) - delay };
        ctx.set_timer(a, wait, Timer::Silent { peer: b, parent, index, refused });
    }

    /// Where node `v` sends a JOIN for the group's key by what it knows: `Owner(v)` when it holds the key
    /// itself, `None` when no entry it trusts makes progress.
    fn route(&self, v: u32) -> Option<Hop<u32>> {
        let r = self.repair.as_ref().expect("routing around failures only with churn");
        if r.silent.range((v, 0)..=(v, u32::MAX)).next().is_none() {
            // Nothing found silent: the converged next hop, whose owner is the converged root.
            return Some(match self.overlay.next_hop(v, self.mid) {
                None => Hop::Owner(v),
                Some(u) if u == self.overlay.root(self.mid) => Hop::Owner(u),
                Some(u) => Hop::Closer(u),
            });
        }
        self.overlay.next_hop_around(v, self.mid, r.p.successors, |u| r.silent.contains(&(v, u)))
    }

    /// Tree index `i`, without a parent, sends its JOIN again (or takes the root's role if it holds the
    /// key; with no way forward it tries again at its next heartbeat).
    fn rejoin(&mut self, ctx: &mut Ctx<'_>, i: u32) {
        let v = self.tree.nodes[i as usize];
        let mut hop = self.route(v);
        if hop == Some(Hop::Owner(v)) && self.root_elsewhere(i, ctx.now()) {
            // It holds the key by its tables but the role is held elsewhere (it came back after the role
            // passed on): Chord's rule over its tables takes its JOIN round the ring instead.
            let r = self.repair.as_ref().expect("churn");
            hop = self
                .overlay
                .next_hop_around(v, self.mid, r.p.successors, |u| r.silent.contains(&(v, u)))
                .filter(|&h| h != Hop::Owner(v));
        }
        let (next, owner) = match hop {
            None => return,
            Some(Hop::Owner(u)) if u == v => return self.become_root(ctx, i),
            Some(Hop::Owner(u)) => (u, true),
            Some(Hop::Closer(u)) => (u, false),
        };
        let r = self.repair();
        r.pending[i as usize] = next;
        r.out.rejoin_messages += 1;
        self.hop(ctx, v, next, Msg::Rejoin { owner, index: i });
    }

    /// Node b receives a (re-)JOIN from a: adopts a, then stops it if b was in the tree, takes the root's
    /// role if a named it the key's owner, and forwards it otherwise.
    fn rejoined(&mut self, ctx: &mut Ctx<'_>, (a, ia): (u32, u32), b: u32, owner: bool) {
        let now = ctx.now();
        // Named the key's owner while the role is held by another live node (b came back after the role
        // passed on, and no stabilisation hands the key back): b refuses, as it holds no state for the group.
        let root = self.repair().root;
        let refused = owner && self.live(root, now) && self.live_slot(b, now) != Some(root);
        if !self.up(b, now) || refused {
            return self.silence(ctx, (a, ia), (b, NONE));
        }
        let r = self.repair();
        if r.pending[ia as usize] != b {
            return; // a stopped waiting for b (it took the root's role meanwhile)
        }
        r.pending[ia as usize] = NONE;
        r.changes.push(now);
        let (ib, new) = match self.live_slot(b, now) {
            None => {
                let ib = self.enter(b, false, now);
                let heartbeat = self.repair().p.heartbeat;
                ctx.set_timer(b, heartbeat, Timer::Heartbeat { index: ib });
                (ib, true)
            }
            Some(ib) => (ib, false),
        };
        self.adopt(ib, ia);
        let delay = self.underlay.delay(a, b);
        let r = self.repair();
        r.heard[ia as usize] = now;
        r.max_edge_delay = r.max_edge_delay.max(delay);
        if owner && ib != self.repair().root {
            self.become_root(ctx, ib);
        } else if new {
            self.rejoin(ctx, ib);
        } else {
            self.reconnected(ctx, ia);
        }
    }

    /// Tree index `i` takes the root's role: it holds the group's key now that the root has failed.
    fn become_root(&mut self, ctx: &mut Ctx<'_>, i: u32) {
        if self.tree.parent[i as usize] != NONE {
            self.unlink(i);
        }
        let r = self.repair();
        r.pending[i as usize] = NONE;
        r.root = i;
        r.out.root_changes += 1;
        r.changes.push(ctx.now());
        self.reconnected(ctx, i);
    }

    /// Whether tree index `i` has a chain of live tree nodes up to the live root at `now`.
    fn connected(&self, i: u32, now: Time) -> bool {
        let root = self.repair.as_ref().map_or(0, |r| r.root);
        let mut x = i;
        for _ in 0..self.tree.len() {
            if !self.live(x, now) {
                return false;
            }
            if x == root {
                return true;
            }
            x = self.tree.parent[x as usize];
            if x == NONE {
                return false;
            }
        }
        debug_assert!(false, "tree parents form a cycle");
        false
    }

    /// Tree index `top` has just been attached: if it is connected, every orphan awaiting repair and every
    /// member back from a failure in its live subtree is connected now.
    fn reconnected(&mut self, ctx: &mut Ctx<'_>, top: u32) {
        let now = ctx.now();
        if self.repair().waiting == 0 || !self.connected(top, now) {
            return;
        }
        let mut stack = vec![top];
        while let Some(x) = stack.pop() {
            if !self.live(x, now) {
                continue;
            }
            let r = self.repair.as_mut().expect("churn");
            let since = std::mem::replace(&mut r.orphan_since[x as usize], NEVER);
            if since != NEVER {
                r.out.repair_times.push(now - since);
                r.waiting -= 1;
            }
            let back = std::mem::replace(&mut r.back_since[x as usize], NEVER);
            if back != NEVER {
                r.out.return_times.push(now - back);
                r.waiting -= 1;
            }
            let mut c = self.first_child[x as usize];
            while c != NONE {
                stack.push(c);
                c = self.next_sibling[c as usize];
            }
        }
    }

    /// Tree index i's heartbeat: to its parent, or, without one and no JOIN under way, its JOIN again.
    fn heartbeat(&mut self, ctx: &mut Ctx<'_>, i: u32) {
        if !self.live(i, ctx.now()) {
            return;
        }
        let v = self.tree.nodes[i as usize];
        let parent = self.tree.parent[i as usize];
        let r = self.repair();
        ctx.set_timer(v, r.p.heartbeat, Timer::Heartbeat { index: i });
        if i == r.root {
            return;
        }
        match parent {
            NONE if r.pending[i as usize] == NONE => self.rejoin(ctx, i),
            NONE => {}
            p => {
                r.out.heartbeat_messages += 1;
                let to = self.tree.nodes[p as usize];
                self.hop(ctx, v, to, Msg::Ping { index: i, parent: p });
            }
        }
    }

    /// Tree index i's wait for `peer` (its parent, tree index `parent`, or where its JOIN went if that is
    /// `NONE`) is over without an answer, or `peer` refused it (it is back from a failure: it no longer
    /// knows i as a child, or holds no key).
    fn silent(&mut self, ctx: &mut Ctx<'_>, i: u32, (peer, parent): (u32, u32), refused: bool) {
        let heartbeat = parent != NONE;
        if !self.live(i, ctx.now()) || heartbeat && self.tree.parent[i as usize] != parent {
            return; // it has left that parent since
        }
        let a = self.tree.nodes[i as usize];
        let r = self.repair.as_ref().expect("churn");
        let death = if heartbeat { r.end(peer, r.entered[parent as usize]) } else { NEVER };
        let r = self.repair();
        if !heartbeat {
            if r.pending[i as usize] != peer {
                return;
            }
            r.pending[i as usize] = NONE;
            if refused {
                r.out.join_refusals += 1;
            } else {
                r.out.join_timeouts += 1;
            }
        }
        if !(heartbeat && refused) {
            r.silent.insert((a, peer));
        }
        if heartbeat {
            if r.orphan_since[i as usize] == NEVER {
                r.orphan_since[i as usize] = death;
                r.waiting += 1;
                r.out.orphans += 1;
            }
            r.changes.push(ctx.now());
            self.unlink(i);
        }
        self.rejoin(ctx, i);
    }

    /// Member `m` comes back from a failure: it enters the tree afresh and sends its JOIN.
    fn come_back(&mut self, ctx: &mut Ctx<'_>, m: u32) {
        let now = ctx.now();
        debug_assert!(self.live_slot(m, now).is_none(), "a node that comes back had failed");
        let i = self.enter(m, true, now);
        let r = self.repair();
        r.back_since[i as usize] = now;
        r.waiting += 1;
        r.out.returns += 1;
        ctx.set_timer(m, r.p.heartbeat, Timer::Heartbeat { index: i });
        self.rejoin(ctx, i);
    }

    /// Tree index `i` has later multicast `k`: it forwards it to its children, first dropping those it has
    /// not heard from for `heartbeat` plus its timeout for them (they have failed).
    fn forward_later(&mut self, ctx: &mut Ctx<'_>, i: u32, k: u32) {
        let (v, now) = (self.tree.nodes[i as usize], ctx.now());
        let mut c = self.first_child[i as usize];
        while c != NONE {
            let (child, next) = (self.tree.nodes[c as usize], self.next_sibling[c as usize]);
            let delay = self.underlay.delay(v, child);
            let r = self.repair();
            let grace = r.p.heartbeat + timeout(r.p.timeout_rtts, r.p.timeout_min, delay);
            if now - r.heard[c as usize] > grace {
                debug_assert!(!self.live(c, now), "a live child's heartbeats come every period");
                let r = self.repair();
                r.out.children_dropped += 1;
                self.unlink(c); // no change to any live node's connection: not counted in `changes`
            } else {
                let dead = !self.live(c, now);
                let r = self.repair();
                r.later_in_flight += 1;
                r.out.later_copies += 1;
                r.out.copies_to_dead += u64::from(dead);
                self.hop(ctx, v, child, Msg::Later { k, index: c });
            }
            c = next;
        }
    }

    /// The root's role sends later multicast `k`: the members up and those cut off are counted as it leaves.
    fn send_later(&mut self, ctx: &mut Ctx<'_>, k: u32) {
        let now = ctx.now();
        let r = self.repair();
        let (root, last) = (r.root, r.p.multicasts);
        if k < last {
            let every = r.p.multicast_every;
            ctx.set_timer(self.tree.nodes[root as usize], every, Timer::Later { k: k + 1 });
        }
        let (mut eligible, mut disconnected) = (0, 0);
        for i in 0..self.tree.len() as u32 {
            if self.tree.member[i as usize] && i != root && self.live(i, now) {
                eligible += 1;
                disconnected += u32::from(!self.connected(i, now));
            }
        }
        let r = self.repair();
        r.sent.push(now);
        r.last_arrival.push(now);
        r.eligible.push(eligible);
        r.reached.push(0);
        r.disconnected.push(disconnected);
        if self.live(root, now) {
            self.repair().got[root as usize] = k;
            self.forward_later(ctx, root, k);
        }
        self.end_if_done(ctx);
    }

    /// Later multicast `k` arrives for tree index `ib`.
    fn later(&mut self, ctx: &mut Ctx<'_>, ib: u32, k: u32) {
        let now = ctx.now();
        let r = self.repair();
        r.later_in_flight -= 1;
        r.last_arrival[k as usize - 1] = now;
        if self.live(ib, now) && self.repair().got[ib as usize] < k {
            let member = self.tree.member[ib as usize];
            let r = self.repair();
            r.got[ib as usize] = k;
            if member && ib != r.root {
                r.reached[k as usize - 1] += 1;
            }
            self.forward_later(ctx, ib, k);
        }
        self.end_if_done(ctx);
    }

    /// The run ends once the last multicast is sent and no copy of any multicast is left on its way.
    fn end_if_done(&mut self, ctx: &mut Ctx<'_>) {
        let r = self.repair();
        if r.sent.len() == r.p.multicasts as usize && r.later_in_flight == 0 {
            ctx.stop();
        }
    }

    /// Scheduled failure `index` strikes: the members connected to the live root just before it, and those
    /// of them it cuts off (they survive, a node above them does not), with the expected count.
    fn failure(&mut self, index: u32) {
        let r = self.repair.as_ref().expect("churn");
        let (victims, live) = &r.schedule.failures[index as usize];
        let at = r.start.unwrap_or(0).saturating_add(r.p.failures[index as usize].time);
        // Tree index x's end; whether it fails in this failure; whether it was live just before.
        let end = |x: u32| r.end(self.tree.nodes[x as usize], r.entered[x as usize]);
        let victim = |x: u32| end(x) == at && victims.binary_search(&self.tree.nodes[x as usize]).is_ok();
        let before = |x: u32| end(x) > at || victim(x);
        let (mut ancestors, mut cut) = (Vec::new(), 0);
        for i in (0..self.tree.len() as u32).filter(|&i| self.tree.member[i as usize]) {
            let (mut x, mut a, mut hit) = (i, 0, false);
            let connected = loop {
                if !before(x) || a > self.tree.len() as u32 {
                    break false;
                }
                hit |= x != i && victim(x);
                if x == r.root {
                    break true;
                }
                x = self.tree.parent[x as usize];
                if x == NONE {
                    break false;
                }
                a += 1;
            };
            if connected {
                ancestors.push(a);
                cut += u64::from(hit && !victim(i));
            }
        }
        let expected = expected_cut(*live, victims.len() as u32, ancestors.into_iter());
        let r = self.repair();
        r.out.failure_cut += cut;
        r.out.failure_cut_expected += expected;
    }
}

impl Protocol for Group<'_> {
    type Msg = Msg;
    type Timer = Timer;

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        for &m in self.members {
            let at = match self.p.join_window {
                0 | 1 => 0,
                window => below_time(ctx.rng(), window),
            };
            ctx.set_timer(m, at, Timer::Join);
        }
        if let Some(t) = self.p.multicast_at {
            ctx.set_timer(self.source, t, Timer::Multicast);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeId, to: NodeId, msg: Msg) {
        match msg {
            Msg::Join { began } => {
                let child = self.slot[from as usize];
                match self.slot[to as usize] {
                    NONE => {
                        let forwarder = self.enter(to, false, ctx.now());
                        self.adopt(forwarder, child);
                        let next = self.towards_root(to);
                        self.join_messages += 1;
                        self.hop(ctx, to, next, Msg::Join { began });
                    }
                    parent => {
                        self.adopt(parent, child);
                        self.join_done(ctx, Some(began));
                    }
                }
            }
            Msg::LeadIn => {
                self.lead_in.push(to);
                self.take_multicast(ctx, to);
                self.first_arrived(ctx);
            }
            Msg::Data => {
                self.reach(ctx, self.slot[to as usize], self.slot[from as usize]);
                self.first_arrived(ctx);
            }
            Msg::Rejoin { owner, index } => self.rejoined(ctx, (from, index), to, owner),
            Msg::Ping { index, parent } => {
                let now = ctx.now();
                let current = self.tree.parent[index as usize] == parent;
                if !self.up(to, now) || current && !self.live(parent, now) {
                    // Failed, or back from a failure and refusing a child it no longer knows.
                    self.silence(ctx, (from, index), (to, parent));
                } else {
                    let r = self.repair();
                    r.out.heartbeat_messages += 1; // the answer (see the module comment)
                    if current {
                        r.heard[index as usize] = now;
                    }
                }
            }
            Msg::Later { k, index } => self.later(ctx, index, k),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, node: NodeId, timer: Timer) {
        match timer {
            Timer::Join => match self.slot[node as usize] {
                NONE => {
                    self.enter(node, true, ctx.now());
                    let next = self.towards_root(node);
                    self.join_messages += 1;
                    let now = ctx.now();
                    self.hop(ctx, node, next, Msg::Join { began: now });
                }
                i => {
                    self.tree.member[i as usize] = true;
                    self.join_done(ctx, None);
                }
            },
            Timer::Multicast => {
                self.multicast(ctx);
                self.begin_churn(ctx);
            }
            Timer::Heartbeat { index } => self.heartbeat(ctx, index),
            Timer::Silent { peer, parent, index, refused } => self.silent(ctx, index, (peer, parent), refused),
            Timer::Return => self.come_back(ctx, node),
            Timer::Later { k } => self.send_later(ctx, k),
            Timer::Failure { index } => self.failure(index),
        }
    }
}

/// Group `group` (members sorted, source `None` for the root) joined and sent one multicast on the event
/// engine, then, with `churn`, went through the failures of `schedule`: the tree its JOINs built (as it
/// stood when churn began), the delivery its first multicast's messages made, and what the joins and
/// repairs did. `slot` must hold `NONE` for every overlay node; it is left so.
pub(super) fn disseminate(
    p: &EventParams,
    overlay: &Overlay,
    underlay: &Underlay,
    (mid, members, source): (u64, &[u32], Option<u32>),
    (seed, group, run): (u64, u64, u64),
    schedule: Option<&Schedule>,
    scratch: &mut Scratch,
) -> (Dissemination, Delivery, Joins) {
    let root = overlay.root(mid);
    let mut slot = std::mem::take(&mut scratch.slot);
    slot[root as usize] = 0;
    let mut repair = p.churn.as_ref().zip(schedule).map(|(c, s)| Repair::new(c, s));
    if let Some(r) = &mut repair {
        (r.entered, r.got, r.pending, r.orphan_since, r.heard) = (vec![0], vec![0], vec![NONE], vec![NEVER], vec![0]);
    }
    let mut g = Group {
        overlay,
        underlay,
        mid,
        members,
        source: source.unwrap_or(root),
        p,
        tree: Tree::with_root(root, false),
        slot: &mut slot,
        first_child: vec![NONE],
        next_sibling: vec![NONE],
        joins_left: members.len(),
        join_messages: 0,
        join_latencies: Vec::new(),
        complete_at: 0,
        sent_at: None,
        lead_in: Vec::new(),
        lead_in_delay: 0,
        from: vec![NONE],
        arrival: vec![MISSED],
        tree_cost: 0,
        loads: scratch,
        repair,
    };
    let horizon = p.join_window.max(p.churn.as_ref().map_or(1, |c| c.heartbeat));
    let mut sim =
        Simulation::<Msg, Timer>::with_run(derive_seed(seed, &[EVENTS_STREAM, group]), run).timer_horizon(horizon);
    sim.run(&mut g, Limits::default());
    let Group {
        mut tree,
        from,
        mut arrival,
        tree_cost,
        lead_in,
        lead_in_delay,
        join_messages,
        join_latencies,
        complete_at,
        sent_at,
        repair,
        ..
    } = g;
    let mut latencies = join_latencies;
    latencies.sort_unstable();
    let mut built = None;
    let repairs = repair.map(|mut r| {
        built = r.built.take();
        r.finish(&tree, sim.now())
    });
    for &v in &tree.nodes {
        slot[v as usize] = NONE;
    }
    scratch.slot = slot;
    // The first multicast's figures are those of the tree it went down: the tree as churn began.
    if let Some(built) = built {
        tree = built;
    }
    let mut from = from;
    from.truncate(tree.len());
    arrival.truncate(tree.len());
    let delivery = Delivery { from, arrival, alm: scratch.take(), tree_cost, lead_in_delay };
    let joins = Joins {
        messages: join_messages,
        latencies,
        complete_at,
        multicast_at: sent_at.expect("the multicast is sent"),
        repairs,
    };
    (Dissemination { tree, source: source.unwrap_or(root), entry: 0, lead_in }, delivery, joins)
}
