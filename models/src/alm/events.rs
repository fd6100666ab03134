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
//! Groups do not interact (no node fails), so each group runs on its own engine, its draws from the stream of
//! (seed, group index, run).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::NodeId;
use sim_core::Time;
use sim_core::engine::{Context, Limits, Protocol, Simulation};
use sim_core::rng::derive_seed;
use sim_core::underlay::Underlay;

use super::metrics::{Delivery, Dissemination, MISSED, Scratch};
use super::tree::{NONE, Tree};
use crate::chord::events::below_time;
use crate::gossip::MAX_PERIOD;
use crate::overlay::StructuredOverlay;
use crate::overlays::Overlay;
use crate::{ModelError, check_range, join};

/// Keeps the event-driven run's draws apart from the planning draws of the same (seed, run).
const EVENTS_STREAM: u64 = 0x616c_6d65_7674;

/// ALM's parameters when joins and the multicast run as messages on the event engine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
}

impl EventParams {
    /// Checks the bounds; errors name fields within `prefix`.
    pub fn validate(&self, prefix: &str) -> Result<(), ModelError> {
        check_range(join(prefix, "join_window"), self.join_window, 0, MAX_PERIOD)?;
        if let Some(t) = self.multicast_at {
            check_range(join(prefix, "multicast_at"), t, 0, MAX_PERIOD)?;
        }
        Ok(())
    }
}

/// What the JOIN messages of one group did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Joins {
    /// JOIN messages sent (each one adds one tree edge).
    pub messages: u64,
    /// Time from a member sending its JOIN to a tree node adopting it, for every member that sent one, sorted.
    pub latencies: Vec<Time>,
    /// When the last JOIN stopped.
    pub complete_at: Time,
    /// When the multicast left the source.
    pub multicast_at: Time,
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
}

enum Timer {
    /// A member sends its JOIN.
    Join,
    /// The source sends the multicast.
    Multicast,
}

type Ctx<'c> = Context<'c, Msg, Timer>;

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
}

impl Group<'_> {
    /// Sends `msg` over the overlay hop a → b, which takes the unicast delay between their hosts.
    fn hop(&mut self, ctx: &mut Ctx<'_>, a: u32, b: u32, msg: Msg) -> u64 {
        let delay = self.underlay.delay(a, b);
        ctx.send_after(a, b, delay, msg);
        delay
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

    /// Adds overlay node `v` to the tree, without a parent yet.
    fn enter(&mut self, v: u32, member: bool) -> u32 {
        self.first_child.push(NONE);
        self.next_sibling.push(NONE);
        self.from.push(NONE);
        self.arrival.push(MISSED);
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
                self.lead_in_delay += self.hop(ctx, v, next, Msg::LeadIn);
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
            self.tree_cost += self.hop(ctx, v, child, Msg::Data);
            c = self.next_sibling[c as usize];
        }
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
                        let forwarder = self.enter(to, false);
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
            }
            Msg::Data => self.reach(ctx, self.slot[to as usize], self.slot[from as usize]),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, node: NodeId, timer: Timer) {
        match timer {
            Timer::Join => match self.slot[node as usize] {
                NONE => {
                    self.enter(node, true);
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
            Timer::Multicast => self.multicast(ctx),
        }
    }
}

/// Group `group` (members sorted, source `None` for the root) joined and sent one multicast on the event
/// engine: the tree its JOINs built, the delivery its messages made, and what the joins did. `slot` must hold
/// `NONE` for every overlay node; it is left so.
pub(super) fn disseminate(
    p: &EventParams,
    overlay: &Overlay,
    underlay: &Underlay,
    (mid, members, source): (u64, &[u32], Option<u32>),
    (seed, group, run): (u64, u64, u64),
    scratch: &mut Scratch,
) -> (Dissemination, Delivery, Joins) {
    let root = overlay.root(mid);
    let mut slot = std::mem::take(&mut scratch.slot);
    slot[root as usize] = 0;
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
    };
    let mut sim = Simulation::<Msg, Timer>::with_run(derive_seed(seed, &[EVENTS_STREAM, group]), run)
        .timer_horizon(p.join_window.max(1));
    sim.run(&mut g, Limits::default());
    let Group {
        tree,
        from,
        arrival,
        tree_cost,
        lead_in,
        lead_in_delay,
        join_messages,
        join_latencies,
        complete_at,
        sent_at,
        ..
    } = g;
    let mut latencies = join_latencies;
    latencies.sort_unstable();
    for &v in &tree.nodes {
        slot[v as usize] = NONE;
    }
    scratch.slot = slot;
    let delivery = Delivery { from, arrival, alm: scratch.take(), tree_cost, lead_in_delay };
    let joins = Joins {
        messages: join_messages,
        latencies,
        complete_at,
        multicast_at: sent_at.expect("the multicast is sent"),
    };
    (Dissemination { tree, source: source.unwrap_or(root), entry: 0, lead_in }, delivery, joins)
}
