//! Deleting values: death certificates spread by anti-entropy, and what happens when they are collected.
//!
//! Scenario (anti-entropy in `mode` every round; event-driven, "round r" is time r × period):
//!
//! 1. `keys` values are written before round 1, each at a random node, and spread.
//! 2. After round `offline_round`, a random `offline_fraction` of the nodes disconnects, keeping its copies
//!    (dormant copies). Each comes back after a uniform `1..=outage` further rounds. Offline nodes neither
//!    initiate nor answer; a contact to one fails (counted in `failed_contacts`).
//! 3. Each key is deleted after a round drawn uniformly from `delete_round..=delete_round + delete_spread`, at a
//!    random online node. The deletion is an update of its own, a **death certificate** (a newer version of
//!    the key with no value, stamped with the round of the deletion), and anti-entropy spreads it like any
//!    update, overriding older copies.
//! 4. Certificates are collected by `collection`: `never`; `lifetime` — every node drops a certificate
//!    `rounds` rounds after its stamp (Demers et al.'s time-to-live; nodes keep time while offline); or `global`
//!    — dropped everywhere as soon as every node, offline ones included, holds it (an idealised global
//!    agreement whose own messages are not modelled).
//!
//! A node that lacks a key accepts any version of it. So once the certificates are gone, a returning node
//! with a dormant copy spreads the deleted value again: it **comes back to life**. `resurrected_values`
//! counts the keys whose value is held somewhere at the end; `resurrected_copies` the (node, key) pairs
//! holding a value after the node had held its certificate. All keys share the same dormant holders, so
//! with `delete_spread = 0` they come back together (a run resurrects all or none); spreading the deletions
//! over time grades how many come back for a given lifetime. Storage: `certificates` (series) is the number of
//! certificates held over all nodes after each round.
//!
//! With `never` and `global` no value can come back (exact): a certificate outlives every copy of its value.
//!
//! The protocol is anti-entropy's exchange (module `replicas`) plus the writes, departures and returns as
//! harness timers and collection at the end of every round. Event-driven, collection runs at every
//! multiple of the period, offline nodes keep their timers but skip their turns, and a message to an
//! offline node fails when it arrives. Messages in flight may still carry what a sweep removed: collection
//! covers them too (an arriving entry that collection has removed everywhere is dropped), since otherwise
//! every sweep would be undone by the certificates in flight and storage never freed. In rounds nothing is
//! in flight across a sweep, so this never applies.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::NodeId;
use sim_core::bitset::BitSet;
use sim_core::network::Network;
use sim_core::rng::{Lane, below, shuffle_step, stream};
use sim_core::topology::Topology;
use sim_core::trace::Sink;

use super::replicas::{
    ENTRY_BYTES, Entry, Exchange, MAX_STORE_ENTRIES, Msg, Replicas, Store, Update, series_bytes, store_bytes,
};
use super::{Mode, check_connected};
use crate::gossip::{Gossip, GossipModel, GossipParams, Harness, Incoming, Net, Timing};
use crate::model::{Env, Size};
use crate::tagged::{Variant, body, no_fields, tagged};
use crate::{Check, MAX_ROUNDS, MetricDoc, ModelError, Outcome, check_probability, check_range, join};

/// When certificates are dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Collection {
    /// Keep certificates forever.
    Never,
    /// Drop a certificate `rounds` rounds after the deletion it records.
    Lifetime {
        /// Rounds a certificate is kept after its deletion.
        #[schemars(range(max = MAX_ROUNDS))]
        rounds: u32,
    },
    /// Drop a certificate everywhere once every node holds it.
    Global,
}

/// Read with `crate::tagged`, so that `never` and `global` refuse fields and errors name the inner field.
impl<'de> Deserialize<'de> for Collection {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// The fields of `lifetime`.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Lifetime {
            rounds: u32,
        }
        const VARIANTS: &[Variant<Collection>] = &[
            ("never", |m| no_fields(m).map(|()| Collection::Never)),
            ("lifetime", |m| body(m).map(|l: Lifetime| Collection::Lifetime { rounds: l.rounds })),
            ("global", |m| no_fields(m).map(|()| Collection::Global)),
        ];
        tagged(d, VARIANTS)
    }
}

impl Default for Collection {
    fn default() -> Self {
        Collection::Lifetime { rounds: 30 }
    }
}

/// Parameters of the death-certificate scenario (rounds are anti-entropy rounds; event-driven, periods).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeathParams {
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub timing: Timing,
    /// Number of values written (before round 1, at random nodes) and later deleted.
    #[serde(default = "default_keys")]
    #[schemars(range(min = 1, max = MAX_STORE_ENTRIES))]
    pub keys: u32,
    /// Fraction of nodes that go offline with their copies.
    #[serde(default = "default_offline_fraction")]
    pub offline_fraction: f64,
    /// The offline nodes disconnect after this round.
    #[serde(default = "default_offline_round")]
    #[schemars(range(max = MAX_ROUNDS))]
    pub offline_round: u32,
    /// Each offline node stays away a uniform 1..=outage rounds.
    #[serde(default = "default_outage")]
    #[schemars(range(min = 1, max = MAX_ROUNDS))]
    pub outage: u32,
    /// The first deletions happen after this round.
    #[serde(default = "default_delete_round")]
    #[schemars(range(max = MAX_ROUNDS))]
    pub delete_round: u32,
    /// Each key is deleted after a uniform round in `delete_round..=delete_round + delete_spread`.
    #[serde(default = "default_delete_spread")]
    #[schemars(range(max = MAX_ROUNDS))]
    pub delete_spread: u32,
    #[serde(default)]
    pub collection: Collection,
    /// Rounds to simulate.
    #[serde(default = "default_rounds")]
    #[schemars(range(min = 1, max = MAX_ROUNDS))]
    pub rounds: u32,
}

fn default_keys() -> u32 {
    10
}
fn default_offline_fraction() -> f64 {
    0.05
}
fn default_offline_round() -> u32 {
    15
}
fn default_outage() -> u32 {
    40
}
fn default_delete_round() -> u32 {
    20
}
fn default_delete_spread() -> u32 {
    20
}
fn default_rounds() -> u32 {
    150
}

impl Default for DeathParams {
    fn default() -> Self {
        DeathParams {
            mode: Mode::PushPull,
            timing: Timing::Rounds,
            keys: default_keys(),
            offline_fraction: default_offline_fraction(),
            offline_round: default_offline_round(),
            outage: default_outage(),
            delete_round: default_delete_round(),
            delete_spread: default_delete_spread(),
            collection: Collection::default(),
            rounds: default_rounds(),
        }
    }
}

impl GossipParams for DeathParams {
    /// Checks parameters against the topology; `prefix` is the scenario path of these parameters.
    fn validate(&self, prefix: &str, topology: &Topology) -> Result<Self, ModelError> {
        let err = |field: &str, msg: String| Err(ModelError::new(join(prefix, field), msg));
        self.timing.validate(&join(prefix, "timing"))?;
        check_probability(join(prefix, "offline_fraction"), self.offline_fraction)?;
        if self.offline_fraction >= 1.0 {
            return err("offline_fraction", "some node must stay online to delete".into());
        }
        check_range(join(prefix, "keys"), self.keys.into(), 1, MAX_STORE_ENTRIES)?;
        for (field, value, least) in [
            ("offline_round", self.offline_round, 0),
            ("outage", self.outage, 1),
            ("delete_round", self.delete_round, 0),
            ("delete_spread", self.delete_spread, 0),
            ("rounds", self.rounds, 1),
        ] {
            check_range(join(prefix, field), value.into(), least, MAX_ROUNDS.into())?;
        }
        if let Collection::Lifetime { rounds } = self.collection {
            check_range(join(prefix, "collection.rounds"), rounds.into(), 0, MAX_ROUNDS.into())?;
        }
        let last_delete = u64::from(self.delete_round) + u64::from(self.delete_spread);
        if u64::from(self.rounds) <= last_delete {
            return err(
                "rounds",
                format!("must exceed delete_round + delete_spread ({last_delete}) to see the deletions spread"),
            );
        }
        if u64::from(topology.node_count()) * u64::from(self.keys) > MAX_STORE_ENTRIES {
            return err("keys", format!("nodes × keys must stay below {MAX_STORE_ENTRIES} entries"));
        }
        // A node's turn merges stores of up to `keys` entries and certificates: measured, about 4 exchanges'
        // work per entry (1 key: 7, 10 keys: 22, 100 keys: 360 aggregation exchanges per turn).
        let weight = 4 * (1 + u64::from(self.keys));
        crate::gossip::check_turns(join(prefix, "rounds"), self.rounds, topology.node_count(), weight)?;
        check_connected(topology, "anti-entropy")?;
        Ok(self.clone())
    }
}

/// Runs the scenario: run `run` of `seed` on `topology`; `network.loss` applies to every message.
pub fn run(params: &DeathParams, topology: &Topology, network: Network, seed: u64, run: u64) -> Outcome {
    DeathCertificates.run_with(params, &Env::new(topology.clone(), network), seed, run, None)
}

/// Death certificates as a [`GossipModel`], hence a [`Model`](crate::Model): `model.kind = "death_certificates"`.
pub struct DeathCertificates;

impl GossipModel for DeathCertificates {
    const KIND: &'static str = "death_certificates";
    const ABOUT: &'static str =
        "Deletion by death certificates: lifetime-limited or collected once every node holds them.";
    const METRICS: &'static [MetricDoc] = METRICS;
    type Params = DeathParams;

    fn run_with(&self, params: &Self::Params, env: &Env, seed: u64, run: u64, sink: Option<&mut dyn Sink>) -> Outcome {
        let (topology, network) = (&*env.topology, env.network);
        let n = topology.node_count();
        let keys = params.keys;
        let mut place = stream(seed, run, Lane::Placement);

        // Offline nodes: a uniform subset (partial Fisher-Yates), each with its return round.
        let offline_count = (params.offline_fraction * f64::from(n)).round() as u32;
        let mut order: Vec<u32> = (0..n).collect();
        let mut back = vec![0u32; n as usize];
        for i in 0..offline_count as usize {
            let v = *shuffle_step(&mut order, i, &mut place);
            back[v as usize] = params.offline_round + 1 + below(&mut place, params.outage);
        }
        // Node v takes part in round r unless it is away: offline_round < r ≤ back[v].
        let online = |v: u32, r: u32| r <= params.offline_round || r > back[v as usize];

        // Writes before round 1 (version 1), deletions (version 2) at nodes online when they happen.
        let writes = (0..keys).map(|k| Update {
            node: below(&mut place, n),
            at: 0,
            slot: k,
            entry: Entry { version: 1, stamp: 0, value: Some(u64::from(k)) },
        });
        let mut updates: Vec<Update> = writes.collect();
        for k in 0..keys {
            let at = params.delete_round + below(&mut place, params.delete_spread + 1);
            let node = loop {
                let v = below(&mut place, n);
                if online(v, at + 1) {
                    break v;
                }
            };
            updates.push(Update {
                node,
                at: u64::from(at),
                slot: k,
                entry: Entry { version: 2, stamp: u64::from(at), value: None },
            });
        }

        let offline: Vec<(NodeId, u32)> =
            order[..offline_count as usize].iter().map(|&v| (v, back[v as usize])).collect();
        let mut d = Deletion {
            exchange: Exchange::new(params.mode, Store::new(n, keys as usize, &updates)),
            updates: &updates,
            offline: &offline,
            offline_round: params.offline_round,
            n,
            keys,
            collector: Collector { collection: params.collection, swept: 0, collected: vec![0; keys as usize] },
            saw_certificate: BitSet::new(n * keys),
            series: Series::default(),
        };
        let ended = Harness::new(topology, network, params.timing, params.rounds).run_with(&mut d, seed, run, sink);
        let Deletion { exchange, series, .. } = d;
        let cur = &exchange.replicas;

        let mut out = Outcome::default();
        let end = params.rounds as usize;
        let values_alive = (0..keys).filter(|&k| (0..n).any(|v| cur.row(v)[k as usize].value.is_some())).count() as f64;
        // The first round after which no copy of a deleted value exists any more, for good.
        let gone = series.value_copies[params.delete_round as usize..].iter().rposition(|&c| c > 0.0).map_or(
            Some(params.delete_round as usize),
            |i| {
                let last = params.delete_round as usize + i;
                (last < end).then_some(last + 1)
            },
        );
        out.metric("resurrected_values", values_alive)
            .metric("resurrected_fraction", values_alive / f64::from(keys))
            .metric("resurrected_copies", series.resurrected[end])
            .metric("deleted_everywhere_round", gone.map_or(f64::NAN, |r| r as f64))
            .metric("certificate_peak", series.certificates.iter().copied().fold(0.0, f64::max))
            .metric(
                "certificate_peak_bytes",
                series.certificates.iter().copied().fold(0.0, f64::max) * ENTRY_BYTES as f64,
            )
            .metric("certificate_entry_rounds", series.certificates.iter().sum())
            .metric("certificates_end", series.certificates[end])
            .metric("messages", ended.traffic.sent as f64)
            .metric("state_bytes", (exchange.entries * ENTRY_BYTES) as f64)
            .metric("failed_contacts", ended.traffic.failed as f64)
            .metric("offline_nodes", f64::from(offline_count));
        out.series("certificates", series.certificates)
            .series("value_copies", series.value_copies)
            .series("resurrected_copies", series.resurrected);
        if let Collection::Lifetime { rounds } = params.collection {
            out.analytic(
                "resurrected_fraction_estimate",
                "resurrected_fraction",
                "mean over deletion rounds d of 1 - P(back < d + L)^m: a key comes back if one of the m dormant \
                 holders returns after its certificates expired",
                resurrection_estimate(params, offline_count, rounds),
                Check::Reference,
            );
        } else {
            out.analytic(
                "resurrected_values",
                "resurrected_values",
                "0: a certificate outlives every copy of its value",
                0.0,
                Check::Exact,
            );
        }
        out
    }

    /// Per-node stores of keys, versions and certificates, and the event queue and links when event-driven.
    fn estimated_bytes(&self, params: &DeathParams, size: &Size) -> u64 {
        store_bytes(size.nodes, params.keys.into())
            .saturating_add(size.nodes.saturating_mul(16))
            .saturating_add(params.timing.estimated_bytes(size.nodes, size.edges))
            .saturating_add(series_bytes(3, params.rounds))
    }
}

/// The scenario as a gossip protocol: anti-entropy over a store, with the writes and deletions, the
/// offline nodes leaving and returning, certificate collection and the counts after every round.
struct Deletion<'a> {
    exchange: Exchange<Store>,
    /// The writes (at 0) and deletions (at their round).
    updates: &'a [Update],
    /// The offline nodes and the round after which each returns.
    offline: &'a [(NodeId, u32)],
    offline_round: u32,
    n: u32,
    keys: u32,
    collector: Collector,
    /// (node, key) pairs whose node has held the key's certificate.
    saw_certificate: BitSet,
    series: Series,
}

/// What happens at a node at a given round.
#[derive(Clone, Copy)]
enum Event {
    /// Update `i` is written.
    Write(u32),
    Leave,
    Return,
}

impl Gossip for Deletion<'_> {
    type Msg = Msg<<Store as Replicas>::Snapshot>;
    type Timer = Event;

    /// Writes before round 1; deletions, departures and returns after their rounds (event-driven: at the
    /// end of those periods).
    fn start(&mut self, net: &mut impl Net<Self::Msg, Event>) {
        let period = net.period();
        for (i, u) in (0..).zip(self.updates) {
            if u.at == 0 {
                self.exchange.replicas.inject(u);
            } else {
                net.schedule(u.at * period, u.node, Event::Write(i));
            }
        }
        for &(v, back) in self.offline {
            net.schedule(u64::from(self.offline_round) * period, v, Event::Leave);
            net.schedule(u64::from(back) * period, v, Event::Return);
        }
    }

    fn begin_round(&mut self) {
        self.exchange.replicas.freeze();
    }

    #[inline]
    fn turn(&mut self, net: &mut impl Net<Self::Msg, Event>, p: NodeId) {
        self.exchange.turn(net, p);
    }

    /// What collection removed since the message left is dropped from it. (In rounds nothing is in flight
    /// across a sweep, so nothing ever is.)
    #[inline]
    fn receive(&mut self, net: &mut impl Net<Self::Msg, Event>, mut msg: Self::Msg, at: Incoming) {
        msg.entries_mut().retain(|(slot, e)| !self.collector.obsolete(*slot as usize, e));
        self.exchange.receive(net, msg, at);
    }

    fn timer(&mut self, net: &mut impl Net<Self::Msg, Event>, node: NodeId, event: Event) {
        match event {
            Event::Write(i) => {
                self.exchange.replicas.inject(&self.updates[i as usize]);
            }
            Event::Leave => net.set_up(node, false),
            Event::Return => net.set_up(node, true),
        }
    }

    fn end_round(&mut self, _net: &mut impl Net<Self::Msg, Event>, round: u32) {
        self.collector.sweep(&mut self.exchange.replicas, self.n, u64::from(round));
    }

    fn sample(&mut self) {
        self.series.record(&self.exchange.replicas, self.n, self.keys, &mut self.saw_certificate);
    }

    fn describe(msg: &Self::Msg) -> &'static str {
        msg.name()
    }
}

/// Probability that a key comes back to life, if a returning node meets a certificate whenever one still
/// exists: node v takes part again from round back_v + 1 with back_v uniform on offline_round + 1..=offline_round
/// + outage, and the certificates of a key deleted after round d are gone from round d + L + 1 on.
fn resurrection_estimate(p: &DeathParams, offline: u32, lifetime: u32) -> f64 {
    let returned_before = |x: u32| {
        (f64::from(x) - f64::from(p.offline_round) - 1.0).clamp(0.0, f64::from(p.outage)) / f64::from(p.outage)
    };
    let deletions = p.delete_round..=p.delete_round + p.delete_spread;
    let sum: f64 = deletions.clone().map(|d| 1.0 - returned_before(d + lifetime).powf(f64::from(offline))).sum();
    sum / deletions.count() as f64
}

/// Certificate collection: what `collection` has let go, and when it last looked.
struct Collector {
    collection: Collection,
    /// The round of the last sweep.
    swept: u64,
    /// Global: per key, the version whose certificate was collected (0: none).
    collected: Vec<u32>,
}

impl Collector {
    /// Drops the certificates that `collection` lets go after round `r`.
    fn sweep(&mut self, store: &mut Store, n: u32, r: u64) {
        self.swept = r;
        match self.collection {
            Collection::Never => {}
            Collection::Lifetime { .. } => {
                for v in 0..n {
                    for (slot, e) in store.row_mut(v).iter_mut().enumerate() {
                        if self.obsolete(slot, e) {
                            *e = Entry::default();
                        }
                    }
                }
            }
            Collection::Global => {
                for (k, collected) in self.collected.iter_mut().enumerate() {
                    let mut version = 0;
                    let everywhere = (0..n).all(|v| {
                        let e = store.row(v)[k];
                        version = e.version;
                        e.version > 0 && e.value.is_none()
                    });
                    if everywhere {
                        *collected = version;
                        for v in 0..n {
                            store.row_mut(v)[k] = Entry::default();
                        }
                    }
                }
            }
        }
    }

    /// Whether collection has removed `e` (of key `slot`) everywhere: a certificate past its lifetime, or
    /// a version of a key at or below its collected certificate. Such an entry arriving in a message sent
    /// before the sweep (event-driven) is dropped too: collection covers messages in flight, or certificates
    /// would come back from them forever.
    #[inline]
    fn obsolete(&self, slot: usize, e: &Entry) -> bool {
        match self.collection {
            Collection::Never => false,
            Collection::Lifetime { rounds } => {
                e.value.is_none() && e.version > 0 && self.swept >= e.stamp + u64::from(rounds)
            }
            Collection::Global => e.version <= self.collected[slot],
        }
    }
}

/// Per-round counts over all nodes.
#[derive(Default)]
struct Series {
    certificates: Vec<f64>,
    /// Copies of the (to be) deleted values.
    value_copies: Vec<f64>,
    /// Copies held by nodes that had held the key's certificate.
    resurrected: Vec<f64>,
}

impl Series {
    fn record(&mut self, store: &Store, n: u32, keys: u32, saw_certificate: &mut BitSet) {
        let (mut certs, mut copies, mut back) = (0u64, 0u64, 0u64);
        for v in 0..n {
            for (k, e) in store.row(v).iter().enumerate() {
                let pair = v * keys + k as u32;
                match (e.version, e.value) {
                    (0, _) => {}
                    (_, None) => {
                        certs += 1;
                        saw_certificate.set(pair);
                    }
                    (_, Some(_)) => {
                        copies += 1;
                        back += u64::from(saw_certificate.get(pair));
                    }
                }
            }
        }
        self.certificates.push(certs as f64);
        self.value_copies.push(copies as f64);
        self.resurrected.push(back as f64);
    }
}

/// What a death-certificate run reports (`dissem metrics death_certificates`).
pub const METRICS: &[MetricDoc] = &[
    MetricDoc::metric(
        "resurrected_values",
        "keys",
        "Deleted keys whose value is held by some node at the end (brought back to life).",
        "keys with a value on at least one node",
    ),
    MetricDoc::metric(
        "resurrected_fraction",
        "fraction",
        "Share of the deleted keys resurrected.",
        "resurrected_values / keys",
    ),
    MetricDoc::metric(
        "resurrected_copies",
        "copies",
        "Value copies at the end held by nodes that had held the key's certificate.",
        "count over (node, key) at the last round",
    ),
    MetricDoc::metric(
        "deleted_everywhere_round",
        "rounds",
        "The first round after which no copy of a deleted value existed any more, for good.",
        "1 + last round with a copy (from the deletion round on); NaN if copies remain at the end",
    ),
    MetricDoc::metric(
        "certificate_peak",
        "entries",
        "Most certificates stored at once, over all nodes.",
        "max over rounds of the certificates series",
    ),
    MetricDoc::metric("certificate_peak_bytes", "bytes", "The certificate peak in bytes.", "certificate_peak × 24"),
    MetricDoc::metric(
        "certificate_entry_rounds",
        "entry·rounds",
        "Storage spent on certificates over the run.",
        "Σ over rounds of the certificates stored",
    ),
    MetricDoc::metric(
        "certificates_end",
        "entries",
        "Certificates still stored at the end.",
        "certificates at the last round",
    ),
    MetricDoc::metric("messages", "messages", "Messages sent.", "sends counted by the network, lost ones included"),
    MetricDoc::metric(
        "state_bytes",
        "bytes",
        "Replica entries (values and certificates) carried by all messages, in bytes.",
        "entries carried × 24",
    ),
    MetricDoc::metric(
        "failed_contacts",
        "contacts",
        "Exchanges that found their peer offline.",
        "count of contacts of an offline node",
    ),
    MetricDoc::metric(
        "offline_nodes",
        "nodes",
        "Nodes taken offline during the run.",
        "the count drawn from the parameters",
    ),
    MetricDoc::series(
        "certificates",
        "entries",
        "Certificates stored over all nodes, before round 1 and after every round.",
        "count over (node, key)",
    ),
    MetricDoc::series(
        "value_copies",
        "copies",
        "Copies of the deleted values, before round 1 and after every round.",
        "count over (node, key)",
    ),
    MetricDoc::series(
        "resurrected_copies",
        "copies",
        "Copies held by nodes that had held the key's certificate, per round.",
        "count over (node, key)",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::network::Latency;
    use sim_core::stats::Summary;

    fn params(collection: Collection) -> DeathParams {
        DeathParams { collection, ..DeathParams::default() }
    }

    #[test]
    fn never_and_global_collection_resurrect_nothing() {
        let t = Topology::complete(400).unwrap();
        for c in [Collection::Never, Collection::Global] {
            let out = run(&params(c), &t, Network::default(), 1, 0);
            assert_eq!(out.get("resurrected_values"), Some(0.0), "{c:?}");
            assert_eq!(out.get("resurrected_copies"), Some(0.0));
            assert!(out.get("deleted_everywhere_round").unwrap() > 20.0);
            let exact = out.analytic.iter().find(|a| a.name == "resurrected_values").unwrap();
            assert_eq!(exact.check, Check::Exact);
        }
        // Never keeps one certificate per node and key; global ends with none, after every node came back.
        let never = run(&params(Collection::Never), &t, Network::default(), 1, 0);
        assert_eq!(never.get("certificates_end"), Some(4000.0));
        let global = run(&params(Collection::Global), &t, Network::default(), 1, 0);
        assert_eq!(global.get("certificates_end"), Some(0.0));
    }

    #[test]
    fn values_spread_then_vanish_with_long_lifetimes() {
        let t = Topology::complete(400).unwrap();
        let out = run(&params(Collection::Lifetime { rounds: 100 }), &t, Network::default(), 2, 0);
        let copies = &out.series.iter().find(|(n, _)| n == "value_copies").unwrap().1;
        assert_eq!(copies[0], 10.0);
        assert_eq!(copies[15], 4000.0, "all values everywhere before the outage");
        assert_eq!(out.get("resurrected_values"), Some(0.0));
        // The last deletion is after round 40 at the latest: every certificate is gone by round 140.
        assert_eq!(out.get("certificates_end"), Some(0.0));
        assert!(out.get("failed_contacts").unwrap() > 0.0);
    }

    /// Shorter lifetimes resurrect more values: mean resurrected fraction over 12 runs at N = 300 is
    /// (weakly) decreasing in the lifetime, close to 1 when certificates die before any offline node
    /// returns (lifetime 2 < the first return) and 0 when they outlive every outage (lifetime 80 > 15 + 40 - 20
    /// rounds plus the spread time).
    #[test]
    fn shorter_lifetimes_resurrect_more() {
        let t = Topology::complete(300).unwrap();
        assert_shorter_lifetimes_resurrect_more(|collection, r| run(&params(collection), &t, Network::default(), 3, r));
    }

    /// Mean resurrected fraction over 12 runs for lifetimes 2, 15, 30, 80: weakly decreasing, above 0.9 at
    /// 2, 0 at 80.
    fn assert_shorter_lifetimes_resurrect_more(run_one: impl Fn(Collection, u64) -> Outcome) {
        let mean = |rounds: u32| {
            let xs: Vec<f64> = (0..12)
                .map(|r| run_one(Collection::Lifetime { rounds }, r).get("resurrected_fraction").unwrap())
                .collect();
            Summary::of(&xs).mean
        };
        let fractions: Vec<f64> = [2, 15, 30, 80].into_iter().map(mean).collect();
        assert!(fractions.windows(2).all(|w| w[0] >= w[1]), "{fractions:?}");
        assert!(fractions[0] > 0.9, "{fractions:?}");
        assert_eq!(fractions[3], 0.0);
    }

    /// The estimate mean_d 1 - P(back < d + L)^m against the mean resurrected fraction, N = 300, L = 25, 30
    /// runs: within the CI + 0.1 (the estimate ignores nodes that return just before the expiry and do not
    /// meet a certificate in time, which come back too).
    #[test]
    fn resurrection_estimate_is_close() {
        let t = Topology::complete(300).unwrap();
        let outs: Vec<Outcome> =
            (0..30).map(|r| run(&params(Collection::Lifetime { rounds: 25 }), &t, Network::default(), 4, r)).collect();
        let s = Summary::of(&outs.iter().map(|o| o.get("resurrected_fraction").unwrap()).collect::<Vec<_>>());
        let e = outs[0].analytic.iter().find(|a| a.name == "resurrected_fraction_estimate").unwrap().value;
        assert!(e > 0.3 && e < 0.7, "{e}");
        assert!((s.mean - e).abs() <= s.half_width() + 0.1, "{s:?} vs {e}");
    }

    fn event_driven(collection: Collection, timing: Timing) -> DeathParams {
        DeathParams { collection, timing, ..DeathParams::default() }
    }

    /// Event-driven (latency 1..10, periodic and exponential timers, 8 runs each), `never` and `global`
    /// still resurrect nothing in any run — exactly, as in rounds: collection also drops what messages in
    /// flight carry of a collected key — and global collection frees every certificate once all nodes
    /// are back, while `never` keeps one per node and key.
    #[test]
    fn event_driven_never_and_global_resurrect_nothing() {
        let t = Topology::complete(300).unwrap();
        let net = Network { latency: Latency::Uniform { min: 1, max: 10 }, loss: 0.0 };
        for timing in [Timing::Periodic { period: 10, jitter: 0.5 }, Timing::Poisson { period: 10 }] {
            for c in [Collection::Never, Collection::Global] {
                for r in 0..8 {
                    let out = run(&event_driven(c, timing), &t, net, 5, r);
                    assert_eq!(out.get("resurrected_values"), Some(0.0), "{c:?} {timing:?}");
                    assert_eq!(out.get("resurrected_copies"), Some(0.0));
                    let end = if c == Collection::Never { 3000.0 } else { 0.0 };
                    assert_eq!(out.get("certificates_end"), Some(end));
                    assert!(out.get("failed_contacts").unwrap() > 0.0, "offline nodes miss messages");
                }
            }
        }
    }

    /// The rounds test above, event-driven (period 10, jitter 0.3, latency 1..5): the mean resurrected
    /// fraction over 12 runs decreases with the lifetime, near 1 for a lifetime shorter than any outage and
    /// 0 when certificates outlive every outage.
    #[test]
    fn event_driven_shorter_lifetimes_resurrect_more() {
        let t = Topology::complete(300).unwrap();
        let net = Network { latency: Latency::Uniform { min: 1, max: 5 }, loss: 0.0 };
        let timing = Timing::Periodic { period: 10, jitter: 0.3 };
        assert_shorter_lifetimes_resurrect_more(|collection, r| run(&event_driven(collection, timing), &t, net, 3, r));
    }

    #[test]
    fn validation() {
        let t = Topology::complete(10).unwrap();
        let bad = DeathParams { rounds: 20, ..DeathParams::default() };
        assert_eq!(bad.validate("m", &t).unwrap_err().field, "m.rounds");
        let bad = DeathParams { offline_fraction: 1.0, ..DeathParams::default() };
        assert_eq!(bad.validate("m", &t).unwrap_err().field, "m.offline_fraction");
        let bad = DeathParams { timing: Timing::Poisson { period: 0 }, ..DeathParams::default() };
        assert_eq!(bad.validate("", &t).unwrap_err().field, "timing.period");
        assert!(DeathParams::default().validate("m", &t).is_ok());
    }
}
