//! Sweeps: one base scenario, parameters varied by dotted path, replicates per point.
//!
//! A sweep file is first *planned*: its parameter values are listed and its points and runs counted, so
//! that a sweep too large to run is refused before any point exists. It then expands into points, each a
//! full scenario built with `set_path` and parsed, so every value gets the same validation as a written one.
//! Runs are numbered point-major: run `p·R + r` is replicate `r` of point `p`; a shard's runs are an
//! arithmetic progression ([`Runs`]), computed, never listed. Point `p` runs with seed
//! [`point_seed`]`(sweep seed, p)` and replicate `r` draws from stream `(seed, r)`, exactly as
//! `dissem run --seed` would, so results depend on neither threads nor shards and any point can be re-run
//! on its own. Workers take runs in canonical order and the caller's sink receives them in that order; each
//! run becomes one JSON line that resume and merge read back.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use models::Outcome;
use rayon::prelude::*;
use schemars::{JsonSchema, Schema, json_schema};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sim_core::rng::derive_seed;

use crate::error::ScenarioError;
use crate::json::count_values;
use crate::load::parse_value;
use crate::overrides::set_path;
use crate::registry::Registry;
use crate::report::RunReport;
use crate::run::{Inputs, Prepared, human_bytes, ordered, workers_within};
use crate::spec::{MAX_REPLICATES, MAX_SEED, Scenario};

/// Version tag of the metadata file; resume and merge refuse other versions (2: point seeds of 53 bits; 3: point
/// seeds from a sweep seed of their own, see [`point_seed`]).
pub const FORMAT: &str = "dissem-sweep/3";

/// Most values one parameter may take (a typo in a range should not allocate gigabytes).
const MAX_VALUES: u64 = 1_000_000;

/// Most points a sweep may have: each is a scenario parsed, checked and kept in the metadata.
pub const MAX_POINTS: u64 = 1_000_000;

/// Most values all parameters may list together (zip mode lists one per parameter and point).
const MAX_LISTED: u64 = 4_000_000;

/// Memory a parsed point holds per JSON value of its scenario (the value itself, its key, and the typed
/// copies made when it is parsed and checked), rounded up from a sweep of anti-entropy points with 20,000
/// updates each: 52 MB per point, about 120,000 values. Reading a point takes more at its peak (about 2 KB per
/// value, counted by [`parse_value`]; [`MAX_SCENARIO_VALUES`](crate::load::MAX_SCENARIO_VALUES) explains both);
/// what is held afterwards is this.
const PARSED_BYTES_PER_VALUE: u64 = 512;

/// A sweep file as written.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Short name used in reports; defaults to the file name.
    #[serde(default)]
    pub name: String,
    /// Free text saying what the sweep shows.
    #[serde(default)]
    pub description: String,
    /// The base scenario file, relative to the sweep file.
    pub scenario: String,
    /// Seed of the sweep; default: the base scenario's.
    #[serde(default)]
    #[schemars(range(max = MAX_SEED))]
    pub seed: Option<u64>,
    /// Replicates per point (1 to 100,000); default: the base scenario's.
    #[serde(default)]
    #[schemars(range(min = 1, max = MAX_REPLICATES))]
    pub replicates: Option<u32>,
    /// How the parameters' values combine into points: `product` (every combination) or `zip`.
    #[serde(default)]
    pub mode: Mode,
    /// Overrides applied to every point, by dotted path (not at or inside a path the sweep varies, nor `seed`
    /// or `replicates`: the fields above give them).
    #[serde(default)]
    pub set: Map<String, Value>,
    /// Dotted path → a list, `{"range": [from, to, step]}`, `{"geom": [from, to, factor]}` or
    /// `{"linspace": [from, to, count]}`.
    #[serde(default)]
    #[schemars(schema_with = "parameters_schema")]
    pub parameters: Map<String, Value>,
    /// What the command line adds (`dissem sweep --set/--seed/--replicates`); never read from the file.
    #[serde(skip)]
    #[schemars(skip)]
    pub command_line: CommandLine,
}

/// What `dissem sweep` takes beside the sweep file, as `dissem run` does beside a scenario file.
///
/// `set` is applied to the base scenario after the sweep file's own `set` (so it wins over it) and before the
/// parameters, at every point; a path the sweep varies, or one inside it, is refused, since the parameter
/// would replace it. `seed` and `replicates` replace the sweep file's (or, without those, the base
/// scenario's). All of them reach every point's scenario, so they are part of the sweep's identity: resume
/// and merge accept only the same values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CommandLine {
    pub set: Vec<(String, Value)>,
    pub seed: Option<u64>,
    pub replicates: Option<u32>,
}

/// The JSON Schema of sweep files (`dissem schema --sweep`).
pub fn schema() -> Schema {
    let mut root = schemars::SchemaGenerator::default().root_schema_for::<SweepSpec>().to_value();
    let defs = root["$defs"].clone();
    crate::registry::describe(&mut root, &defs);
    Schema::try_from(root).expect("the schema is an object")
}

/// `parameters`: every value a list or one of the generated forms.
fn parameters_schema(_: &mut schemars::SchemaGenerator) -> Schema {
    let form = |name: &str, third: &str, text: &str| {
        json!({
            "type": "object",
            "description": text,
            "properties": {name: {
                "description": format!("[from, to, {third}]"),
                "type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3,
            }},
            "required": [name],
            "additionalProperties": false,
        })
    };
    json_schema!({
        "type": "object",
        "additionalProperties": {"oneOf": [
            {"type": "array", "minItems": 1, "description": "The values, in order."},
            form("range", "step", "Integers from, from + step, … up to to (included when reached)."),
            form("geom", "factor", "from, from·factor, from·factor², … while ≤ to."),
            form("linspace", "count", "count evenly spaced values from from to to, both included."),
        ]},
    })
}

/// How parameter values combine into points.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Every combination; the last parameter varies fastest.
    #[default]
    Product,
    /// The i-th values of all parameters together (all lists must have the same length).
    Zip,
}

/// An expanded sweep: everything needed to run it, and all that resume and merge compare.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    pub name: String,
    pub description: String,
    pub seed: u64,
    pub replicates: u32,
    /// The varied paths, in file order.
    pub parameters: Vec<String>,
    pub points: Vec<SweepPoint>,
    /// Content hash of every file the points read (edge lists, GraphML), by the path the scenario gives;
    /// filled by [`Sweep::prepare`], so that resume and merge notice an edited input.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs: BTreeMap<String, String>,
}

/// One point: its parameter values and the scenario they give (seed and replicates already set).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    pub parameters: Map<String, Value>,
    pub scenario: Scenario,
}

/// Runs `index`, `index + count`, … of a sweep: one of `count` deterministic slices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` with 0 ≤ I < N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not of the form I/N with 0 <= I < N (e.g. 0/4)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The run numbers `first`, `first + step`, … below `end`: a shard's runs in canonical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Runs {
    first: u64,
    step: u64,
    end: u64,
}

impl Runs {
    /// The runs of `shard` (all runs without one) among `total`.
    pub fn of(shard: Option<Shard>, total: u64) -> Runs {
        let Shard { index, count } = shard.unwrap_or(Shard { index: 0, count: 1 });
        Runs { first: index, step: count.max(1), end: total }
    }

    pub fn len(&self) -> u64 {
        self.before(self.end)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many of these runs are below `run`.
    fn before(&self, run: u64) -> u64 {
        let run = run.min(self.end);
        if run <= self.first { 0 } else { (run - self.first - 1) / self.step + 1 }
    }

    /// The `i`-th run.
    pub fn get(&self, i: u64) -> Option<u64> {
        (i < self.len()).then(|| self.first + i * self.step)
    }

    /// These runs without the first `n`.
    pub fn skip(&self, n: u64) -> Runs {
        let first = self.get(n).unwrap_or(self.end);
        Runs { first, ..*self }
    }

    pub fn iter(&self) -> impl Iterator<Item = u64> + use<> {
        let runs = *self;
        (0..runs.len()).map(move |i| runs.first + i * runs.step)
    }
}

/// Parses a sweep file; errors name `origin` and the field.
pub fn parse_sweep(text: &str, origin: &str) -> Result<SweepSpec, ScenarioError> {
    let doc = crate::json::parse(text).map_err(|e| ScenarioError::from_json(origin, e))?;
    crate::json::from_value(doc).map_err(|(path, message)| ScenarioError::from_serde(origin, &path, &message))
}

/// A sweep file read against its base scenario: every parameter's values listed and the points counted, no
/// point built yet. [`Plan::expand`] builds them.
pub struct Plan {
    name: String,
    description: String,
    origin: String,
    /// The base document with the sweep's `set` applied.
    doc: Value,
    base_name: String,
    seed: u64,
    replicates: u32,
    mode: Mode,
    axes: Vec<Axis>,
    points: u64,
}

/// Plans `spec` (read from `origin`) over the base scenario text `base` (read from `base_origin`): the base
/// scenario and every parameter are checked, the points counted.
pub fn plan(
    spec: &SweepSpec,
    origin: &str,
    base: &str,
    base_origin: &str,
    registry: &Registry,
) -> Result<Plan, ScenarioError> {
    let mut doc = crate::json::parse(base).map_err(|e| ScenarioError::from_json(base_origin, e))?;
    // A fixed value at a path the sweep varies, or inside one, would be replaced at every point unseen.
    let replaced = |path: &str| {
        let axis = spec.parameters.keys().find(|axis| path == *axis || path.starts_with(&format!("{axis}.")))?;
        Some(format!(
            "the sweep varies `{axis}` (parameters.{axis}), which replaces this value at every point; change the \
             sweep's parameters instead"
        ))
    };
    for (path, value) in &spec.set {
        let field = format!("set.{path}");
        if let Some(m) = replaced(path) {
            return Err(ScenarioError::new(origin, field, m));
        }
        // The sweep's own field sets them (or the base scenario's, without it); two places would disagree.
        if matches!(path.as_str(), "seed" | "replicates") {
            return Err(ScenarioError::new(
                origin,
                field,
                format!("give the sweep's {path} as its own `{path}` field"),
            ));
        }
        set_path(&mut doc, path, value.clone()).map_err(|m| ScenarioError::new(origin, field, m))?;
    }
    let cli = &spec.command_line;
    for (path, value) in &cli.set {
        let refuse = |m: String| Err(ScenarioError::new(origin, path.as_str(), format!("--set: {m}")));
        if let Some(m) = replaced(path) {
            return refuse(m);
        }
        if matches!(path.as_str(), "seed" | "replicates") {
            return refuse(format!("give the sweep's {path} with --{path}"));
        }
        set_path(&mut doc, path, value.clone())
            .map_err(|m| ScenarioError::new(origin, path.as_str(), format!("--set: {m}")))?;
    }
    // An error after `set` may come from either file (or the command line): name them.
    let defaults_origin = match (spec.set.is_empty(), cli.set.is_empty()) {
        (true, true) => base_origin.to_owned(),
        (false, true) => format!("{origin} (`set` applied to {base_origin})"),
        (true, false) => format!("{base_origin} (with --set)"),
        (false, false) => format!("{origin} (`set` and --set applied to {base_origin})"),
    };
    let defaults = parse_value(doc.clone(), &defaults_origin, registry)?;
    let seed = cli.seed.or(spec.seed).unwrap_or(defaults.seed);
    let replicates = cli.replicates.or(spec.replicates).unwrap_or(defaults.replicates);
    if seed > MAX_SEED {
        let flag = if cli.seed.is_some() { "--seed: " } else { "" };
        return Err(ScenarioError::new(origin, "seed", format!("{flag}{}", crate::load::seed_message(seed))));
    }
    if !(1..=MAX_REPLICATES).contains(&replicates) {
        let flag = if cli.replicates.is_some() { "--replicates: " } else { "" };
        return Err(ScenarioError::new(
            origin,
            "replicates",
            format!("{flag}must be from 1 to {MAX_REPLICATES}, got {replicates}"),
        ));
    }
    let (mut axes, mut listed) = (Vec::new(), 0u64);
    for (path, values) in &spec.parameters {
        if path.split('.').any(str::is_empty) {
            return Err(ScenarioError::new(
                origin,
                format!("parameters.{path}"),
                "is not a dotted field path such as topology.nodes",
            ));
        }
        if matches!(path.as_str(), "seed" | "replicates" | "name") {
            return Err(ScenarioError::new(
                origin,
                format!("parameters.{path}"),
                "cannot be varied: set the sweep's own `seed` and `replicates` (each point gets its seed from it)",
            ));
        }
        let values =
            parameter_values(values).map_err(|m| ScenarioError::new(origin, format!("parameters.{path}"), m))?;
        listed += values.len() as u64;
        if listed > MAX_LISTED {
            return Err(ScenarioError::new(
                origin,
                "parameters",
                format!("the parameters list more than {MAX_LISTED} values in all"),
            ));
        }
        axes.push((path.clone(), values));
        if spec.mode == Mode::Product {
            // Refused as soon as the points are too many, before the next parameter's values are listed.
            count_points(&axes, spec.mode).map_err(|(path, m)| ScenarioError::new(origin, path, m))?;
        }
    }
    let points = count_points(&axes, spec.mode).map_err(|(path, m)| ScenarioError::new(origin, path, m))?;
    Ok(Plan {
        name: if spec.name.is_empty() { default_name(origin) } else { spec.name.clone() },
        description: spec.description.clone(),
        origin: origin.to_owned(),
        doc,
        base_name: defaults.name,
        seed,
        replicates,
        mode: spec.mode,
        axes,
        points,
    })
}

/// Plans and expands in one step: [`plan`], then [`Plan::expand`].
pub fn expand(
    spec: &SweepSpec,
    origin: &str,
    base: &str,
    base_origin: &str,
    registry: &Registry,
) -> Result<Sweep, ScenarioError> {
    plan(spec, origin, base, base_origin, registry)?.expand(registry).map(|(sweep, _)| sweep)
}

impl Plan {
    pub fn points(&self) -> u64 {
        self.points
    }

    pub fn replicates(&self) -> u32 {
        self.replicates
    }

    /// Every run of the sweep (points × replicates).
    pub fn total_runs(&self) -> u64 {
        self.points.saturating_mul(self.replicates.into())
    }

    /// Builds and parses the scenario of every point. The parsed points are held together until the sweep
    /// ends, so their size counts against the memory budget: a base scenario with long lists (anti-entropy
    /// `updates`, inline `edges`) times many points is refused before it fills the memory. Returns the sweep
    /// and the bytes each point holds, which running it reserves ([`Sweep::prepare`]).
    pub fn expand(self, registry: &Registry) -> Result<(Sweep, Vec<u64>), ScenarioError> {
        let budget = registry.memory_budget();
        // Point 0 is parsed first, so that the usual sweep, whose points are alike, is refused before any
        // other is built, and the message does not depend on which thread got further.
        let (first, each) = self.point(0, registry)?;
        let too_big = || {
            let message = format!(
                "the {} points' scenarios take more than the {} budget as parsed (point 0 alone about {}); vary \
                 fewer points, shorten the base scenario's lists, or raise the budget (dissem --memory-budget)",
                self.points,
                human_bytes(budget),
                human_bytes(each)
            );
            ScenarioError::new(&self.origin, "parameters", message)
        };
        if each.saturating_mul(self.points) > budget {
            return Err(too_big());
        }
        let held = AtomicU64::new(each);
        let rest = (1..self.points)
            .into_par_iter()
            .map(|p| {
                let (point, bytes) = self.point(p, registry)?;
                match held.fetch_add(bytes, Ordering::Relaxed).saturating_add(bytes) > budget {
                    true => Err(too_big()),
                    false => Ok((point, bytes)),
                }
            })
            .collect::<Result<Vec<_>, ScenarioError>>()?;
        let (points, held) = std::iter::once((first, each)).chain(rest).unzip();
        let sweep = Sweep {
            name: self.name,
            description: self.description,
            seed: self.seed,
            replicates: self.replicates,
            parameters: self.axes.into_iter().map(|(p, _)| p).collect(),
            points,
            inputs: BTreeMap::new(),
        };
        Ok((sweep, held))
    }

    /// Builds and parses point `p`'s scenario; returns it with the memory it holds, estimated from its JSON
    /// values as written and its model's parameters with every default filled in (often more than written).
    fn point(&self, p: u64, registry: &Registry) -> Result<(SweepPoint, u64), ScenarioError> {
        let mut point_doc = self.doc.clone();
        let mut parameters = Map::new();
        for (path, value) in self.axes.iter().map(|(path, _)| path).zip(self.values(p)) {
            set_path(&mut point_doc, path, value.clone())
                .map_err(|m| ScenarioError::new(&self.origin, format!("parameters.{path}"), m))?;
            parameters.insert(path.clone(), value);
        }
        let fixed = [
            ("name", json!(self.base_name)),
            ("seed", json!(point_seed(self.seed, p))),
            ("replicates", json!(self.replicates)),
        ];
        for (path, value) in fixed {
            set_path(&mut point_doc, path, value).map_err(|m| ScenarioError::new(&self.origin, "", m))?;
        }
        let written = count_values(&point_doc);
        let scenario = parse_value(point_doc, &point_origin(&self.origin, p, &parameters), registry)?;
        let bytes = (written + scenario.model.params.values().map(count_values).sum::<u64>())
            .saturating_mul(PARSED_BYTES_PER_VALUE);
        Ok((SweepPoint { parameters, scenario }, bytes))
    }

    /// The parameter values of point `p`: the i-th of every list (zip), or the mixed-radix digits of `p`
    /// with the last parameter fastest (product).
    fn values(&self, p: u64) -> Vec<Value> {
        match self.mode {
            Mode::Zip => self.axes.iter().map(|(_, v)| v[p as usize].clone()).collect(),
            Mode::Product => {
                let mut rest = p;
                let mut values: Vec<Value> = self
                    .axes
                    .iter()
                    .rev()
                    .map(|(_, v)| {
                        let len = v.len() as u64;
                        let value = v[(rest % len) as usize].clone();
                        rest /= len;
                        value
                    })
                    .collect();
                values.reverse();
                values
            }
        }
    }
}

/// The seed of point `p`: its replicate r draws from stream (seed, r). Its low 53 bits, so that it is a
/// valid scenario seed and comes back unchanged from any JSON reader ([`MAX_SEED`]).
///
/// Points derive from a sweep seed of their own, `sweep_seed` mixed with the index `POINT`: `derive_seed`
/// mixes a seed and an index alike, so `derive_seed(s, &[p])` would be symmetric (sweep 1's point 2 would
/// be sweep 2's point 1) and would cancel for `p = s` (point s of sweep s the same in every sweep). A
/// derived seed is a 64-bit hash, never a small index, so neither happens between points. The one cancellation
/// left is between the tags: sweep seed `POINT`'s points are sweep seed `RETEST`'s re-tests, and vice versa.
pub fn point_seed(sweep_seed: u64, point: u64) -> u64 {
    derive_seed(derive_seed(sweep_seed, &[POINT]), &[point]) & MAX_SEED
}

/// The seed of point `p`'s re-test: independent of [`point_seed`]`(sweep_seed, p)` and of every other
/// point's, so that a re-test never repeats a draw of the first stage. Re-tests derive from a sweep seed
/// of their own, `sweep_seed` mixed with the index `RETEST`, as points do with `POINT`.
pub fn retest_seed(sweep_seed: u64, point: u64) -> u64 {
    derive_seed(derive_seed(sweep_seed, &[RETEST]), &[point]) & MAX_SEED
}

/// The indices that turn a sweep seed into its points' and its re-tests' sweep seeds ("point" and "retest"
/// in ASCII).
const POINT: u64 = 0x0070_6f69_6e74;
const RETEST: u64 = 0x7265_7465_7374;

fn default_name(origin: &str) -> String {
    let file = origin.rsplit(['/', '\\']).next().unwrap_or(origin);
    file.strip_suffix(".json").unwrap_or(file).to_owned()
}

fn point_origin(origin: &str, point: u64, parameters: &Map<String, Value>) -> String {
    let values: Vec<String> = parameters.iter().map(|(k, v)| format!("{k}={}", value_text(v))).collect();
    let values = if values.is_empty() { String::new() } else { format!(" ({})", values.join(", ")) };
    crate::error::bounded(&format!("{origin}: point {point}{values}"))
}

/// A parameter value as a table cell: strings without quotes, `{"kind": "ring", "nodes": 10}` as
/// `ring(nodes=10)`, everything else as JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(map) if map.get("kind").is_some_and(Value::is_string) => {
            let fields: Vec<String> =
                map.iter().filter(|(k, _)| *k != "kind").map(|(k, x)| format!("{k}={}", value_text(x))).collect();
            format!("{}({})", value_text(&map["kind"]), fields.join(", "))
        }
        other => other.to_string(),
    }
}

/// The values one parameter takes. Errors say what is wrong; the caller adds the field.
fn parameter_values(spec: &Value) -> Result<Vec<Value>, String> {
    const FORMS: &str = "expected a list of values, {\"range\": [from, to, step]}, {\"geom\": [from, to, factor]} \
                         or {\"linspace\": [from, to, count]}";
    let values = match spec {
        Value::Array(items) => items.clone(),
        Value::Object(map) if map.len() == 1 => {
            let (form, args) = map.iter().next().expect("one entry");
            let make = match form.as_str() {
                "range" => int_range,
                "geom" => geom,
                "linspace" => linspace,
                _ => return Err(format!("unknown form `{form}`; {FORMS}")),
            };
            let nums = args
                .as_array()
                .filter(|a| a.len() == 3 && a.iter().all(Value::is_number))
                .ok_or_else(|| format!("`{form}` needs three numbers [from, to, {}]", third(form)))?;
            make(nums)?
        }
        _ => return Err(FORMS.to_owned()),
    };
    if values.is_empty() {
        return Err("gives no values".into());
    }
    if values.len() as u64 > MAX_VALUES {
        return Err(format!("gives {} values, more than {MAX_VALUES}", values.len()));
    }
    Ok(values)
}

fn third(form: &str) -> &'static str {
    match form {
        "geom" => "factor",
        "linspace" => "count",
        _ => "step",
    }
}

/// from, from + step, … up to and including `to` when it is reached. The count is computed in i128, so that
/// no pair of i64 bounds can overflow it.
fn int_range(nums: &[Value]) -> Result<Vec<Value>, String> {
    let ints: Vec<i64> = nums.iter().filter_map(Value::as_i64).collect();
    let [from, to, step] = ints[..] else {
        return Err("`range` takes integers from -2^63 to 2^63 - 1: [from, to, step]".into());
    };
    let (span, wide_step) = (i128::from(to) - i128::from(from), i128::from(step));
    if step == 0 || span.signum() * wide_step.signum() < 0 {
        return Err(format!("step {step} does not lead from {from} to {to}"));
    }
    let count = span / wide_step + 1;
    if count > i128::from(MAX_VALUES) {
        return Err(format!("gives {count} values, more than {MAX_VALUES}"));
    }
    // Every value lies between `from` and `to`, so it is an i64.
    Ok((0..count).map(|i| json!((i128::from(from) + i * wide_step) as i64)).collect())
}

/// from, from·factor, from·factor², … while ≤ to; integers stay integers.
fn geom(nums: &[Value]) -> Result<Vec<Value>, String> {
    let (from, to, factor) = (nums[0].as_f64().unwrap_or(0.0), nums[1].as_f64().unwrap_or(0.0), nums[2].as_f64());
    let factor = factor.unwrap_or(0.0);
    if !(from > 0.0 && to >= from && factor > 1.0) {
        return Err(format!("needs 0 < from <= to and factor > 1, got [{from}, {to}, {factor}]"));
    }
    let mut out = Vec::new();
    if let (Some(a), Some(b), Some(f)) = (nums[0].as_u64(), nums[1].as_u64(), nums[2].as_u64()) {
        let mut v = Some(a);
        while let Some(x) = v.filter(|&x| x <= b) {
            out.push(json!(x));
            v = x.checked_mul(f);
        }
    } else {
        // Relative slack so that 0.001·10³ still counts as reaching 1; a value beyond f64 ends the range.
        for i in 0.. {
            let x = from * factor.powi(i);
            if !(x.is_finite() && x <= to * (1.0 + 1e-9)) || out.len() as u64 > MAX_VALUES {
                break;
            }
            out.push(json!(x));
        }
    }
    Ok(out)
}

/// `count` evenly spaced values from `from` to `to` inclusive.
fn linspace(nums: &[Value]) -> Result<Vec<Value>, String> {
    let (from, to) = (nums[0].as_f64().unwrap_or(0.0), nums[1].as_f64().unwrap_or(0.0));
    let count = nums[2].as_u64().filter(|&c| c >= 2).ok_or("`linspace` needs an integer count of at least 2")?;
    if count > MAX_VALUES {
        return Err(format!("gives {count} values, more than {MAX_VALUES}"));
    }
    if !(to - from).is_finite() {
        return Err(format!("the span from {from} to {to} is beyond the range of numbers"));
    }
    // Multiply before dividing so that, e.g., 0.3 comes out as 0.3 and not 0.30000000000000004.
    Ok((0..count).map(|i| json!(from + (to - from) * i as f64 / (count - 1) as f64)).collect())
}

type Axis = (String, Vec<Value>);

/// The number of points the parameters give, at most [`MAX_POINTS`]; errors: (field, message).
fn count_points(axes: &[Axis], mode: Mode) -> Result<u64, (String, String)> {
    match mode {
        Mode::Zip => {
            let Some((first, first_values)) = axes.first() else { return Ok(1) };
            let len = first_values.len();
            if let Some((path, v)) = axes.iter().find(|(_, v)| v.len() != len) {
                return Err((
                    format!("parameters.{path}"),
                    format!("has {} values but `{first}` has {len}; \"mode\": \"zip\" needs equal lengths", v.len()),
                ));
            }
            Ok(len as u64)
        }
        Mode::Product => {
            let total = axes.iter().try_fold(1u64, |acc, (_, v)| acc.checked_mul(v.len() as u64));
            match total {
                Some(t) if t <= MAX_POINTS => Ok(t),
                _ => Err(("parameters".into(), format!("the product has more than {MAX_POINTS} points"))),
            }
        }
    }
}

/// One finished run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    pub run: u64,
    pub point: u64,
    pub replicate: u32,
    /// The point's seed (the run draws from stream (seed, replicate)).
    pub seed: u64,
    pub parameters: Map<String, Value>,
    /// Metrics and analytic values (series are not kept per run).
    pub outcome: Outcome,
}

/// Why running a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// A run failed: its random topology came out unusable for the model (e.g. disconnected), or an input
    /// file changed while the sweep ran.
    #[error("{error}")]
    Run { point: u64, replicate: u32, error: ScenarioError },
    /// The sink refused a row (a write failed).
    #[error("{0}")]
    Sink(String),
}

/// FNV-1a, 64 bits, as 16 hex digits: identifies a sweep and the content of its input files.
pub fn content_hash(bytes: &[u8]) -> String {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{h:016x}")
}

/// Reads inputs through another reader and records each file's content hash; a file read again must read
/// the same, so that every point of a sweep sees one version of it.
struct Hashed<'a> {
    inner: &'a dyn Inputs,
    seen: Mutex<BTreeMap<String, String>>,
}

impl Inputs for Hashed<'_> {
    fn read(&self, path: &str) -> Result<String, String> {
        let text = self.inner.read(path)?;
        let hash = content_hash(text.as_bytes());
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        match seen.get(path) {
            Some(first) if *first != hash => Err(format!(
                "`{path}` changed while the sweep read it (content hash {first}, now {hash}); run the sweep again \
                 once the file is final"
            )),
            Some(_) => Ok(text),
            None => {
                seen.insert(path.to_owned(), hash);
                Ok(text)
            }
        }
    }
}

/// Prepared forms kept from checking a sweep's points, at most: this fraction of the memory budget (1.25
/// GiB of the default 20). Small sweeps keep all of theirs; a sweep of thousands of big points does not hold
/// them all at once.
const KEEP_SHARE: u64 = 16;

/// The points of a sweep, checked and ready to run. A point's prepared form (its fixed topology, a model's
/// setup) is kept from the check while all kept ones fit in a sixteenth of the memory budget; the others are
/// prepared again when their first run comes. Each is dropped after its last run.
pub struct Points<'a> {
    origin: String,
    inputs: Hashed<'a>,
    registry: &'a Registry,
    slots: Vec<Mutex<Option<Arc<Prepared>>>>,
    /// Estimated bytes of one run of each point, its prepared form included.
    estimates: Vec<u64>,
    /// Bytes held by the prepared forms kept from the check.
    kept: u64,
    /// Bytes the caller holds beside the runs (the parsed points), reserved when workers are counted.
    held: u64,
}

impl Points<'_> {
    /// Point `p`'s prepared form, preparing it again if it was not kept.
    fn get(&self, sweep: &Sweep, p: u64) -> Result<Arc<Prepared>, ScenarioError> {
        let mut slot = self.slots[p as usize].lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(prepared) = &*slot {
            return Ok(Arc::clone(prepared));
        }
        let point = &sweep.points[p as usize];
        let origin = point_origin(&self.origin, p, &point.parameters);
        let prepared = Arc::new(Prepared::new(point.scenario.clone(), &origin, &self.inputs, self.registry)?);
        *slot = Some(Arc::clone(&prepared));
        Ok(prepared)
    }

    fn release(&self, p: u64) {
        *self.slots[p as usize].lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

impl Sweep {
    /// Every run of the sweep (points × replicates).
    pub fn total_runs(&self) -> u64 {
        (self.points.len() as u64).saturating_mul(self.replicates.into())
    }

    /// The runs of `shard` (all runs without one), in canonical order.
    pub fn runs(&self, shard: Option<Shard>) -> Runs {
        Runs::of(shard, self.total_runs())
    }

    /// (point, replicate) of a run.
    pub fn locate(&self, run: u64) -> (u64, u32) {
        let r = u64::from(self.replicates.max(1));
        (run / r, (run % r) as u32)
    }

    /// Identifies the expanded sweep, its input files' content included: FNV-1a of its canonical JSON.
    pub fn hash(&self) -> String {
        content_hash(serde_json::to_string(self).expect("a sweep serialises").as_bytes())
    }

    /// The metadata file an output directory starts with (the same bytes for the same sweep and shard, from
    /// the same dissem version, which it records).
    pub fn metadata(&self, shard: Option<Shard>) -> String {
        let doc = json!({
            "format": FORMAT, "dissem": env!("CARGO_PKG_VERSION"), "hash": self.hash(), "runs": self.total_runs(),
            "shard": shard, "sweep": self,
        });
        let mut text = serde_json::to_string_pretty(&doc).expect("metadata serialises");
        text.push('\n');
        text
    }

    /// Reads metadata written by `metadata`, checking format, hash and that the sweep is one `expand` could
    /// have made (the points' seeds and replicates), so that nothing later meets a run it cannot place.
    pub fn from_metadata(text: &str) -> Result<(Sweep, Option<Shard>), String> {
        #[derive(Deserialize)]
        struct Meta {
            format: String,
            hash: String,
            shard: Option<Shard>,
            sweep: Sweep,
        }
        let doc = crate::json::parse(text).map_err(|e| format!("not sweep metadata: {}", e.message))?;
        let meta: Meta = crate::json::from_value(doc)
            .map_err(|(path, message)| format!("not sweep metadata: at `{path}`: {message}"))?;
        if meta.format != FORMAT {
            return Err(format!("format `{}`, this dissem reads `{FORMAT}`", crate::error::shorten(&meta.format)));
        }
        if meta.sweep.hash() != meta.hash {
            return Err("the metadata was modified (its hash does not match its content)".into());
        }
        let sweep = meta.sweep;
        let consistent = (1..=MAX_REPLICATES).contains(&sweep.replicates)
            && (1..=MAX_POINTS).contains(&(sweep.points.len() as u64))
            && meta.shard.is_none_or(|s| s.index < s.count)
            && sweep.points.iter().enumerate().all(|(p, point)| {
                point.scenario.seed == point_seed(sweep.seed, p as u64) && point.scenario.replicates == sweep.replicates
            });
        if !consistent {
            return Err("the metadata does not describe a sweep dissem wrote (points, seeds or replicates)".into());
        }
        Ok((sweep, meta.shard))
    }

    /// Checks every point (topology, memory, model parameters) without running, and records the content
    /// hash of every file the points read in [`Sweep::inputs`]. Errors come in point order. `held`: the
    /// bytes the caller holds while the sweep runs (its parsed points, from [`Plan::expand`]); the runs fit in
    /// the memory budget beside them, so the largest run and `held` together beyond it are refused.
    pub fn prepare<'a>(
        &mut self,
        origin: &str,
        inputs: &'a dyn Inputs,
        registry: &'a Registry,
        held: u64,
    ) -> Result<Points<'a>, ScenarioError> {
        self.prepare_keeping(origin, inputs, registry, held, registry.memory_budget() / KEEP_SHARE)
    }

    /// [`Sweep::prepare`], keeping prepared forms up to `keep` bytes.
    fn prepare_keeping<'a>(
        &mut self,
        origin: &str,
        inputs: &'a dyn Inputs,
        registry: &'a Registry,
        held: u64,
        keep: u64,
    ) -> Result<Points<'a>, ScenarioError> {
        let hashed = Hashed { inner: inputs, seen: Mutex::new(BTreeMap::new()) };
        let kept = AtomicU64::new(0);
        let largest = self.points.iter().map(|p| Prepared::estimate(&p.scenario, registry)).max().unwrap_or(0);
        let budget = registry.memory_budget();
        if held.saturating_add(largest) > budget {
            let message = format!(
                "the points' scenarios as parsed (about {}) and the largest run (about {}) take more than the {} \
                 budget together; vary fewer points, make the largest smaller, or raise the budget (dissem \
                 --memory-budget)",
                human_bytes(held),
                human_bytes(largest),
                human_bytes(budget)
            );
            return Err(ScenarioError::new(origin, "parameters", message));
        }
        let mut checked = Vec::with_capacity(self.points.len());
        let check = |p: u64| {
            let point = &self.points[p as usize];
            let origin = point_origin(origin, p, &point.parameters);
            let prepared = Prepared::new(point.scenario.clone(), &origin, &hashed, registry)?;
            let bytes = prepared.estimated_bytes();
            let fits = kept.fetch_add(bytes, Ordering::Relaxed).saturating_add(bytes) <= keep;
            Ok((fits.then(|| Arc::new(prepared)), bytes))
        };
        ordered(self.points.len() as u64, workers_within(budget, largest, held), &check, &mut |point| {
            checked.push(point);
            Ok(())
        })?;
        self.inputs = hashed.seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let kept = checked.iter().filter(|(p, _)| p.is_some()).map(|(_, bytes)| bytes).sum();
        let (slots, estimates) = checked.into_iter().map(|(p, bytes)| (Mutex::new(p), bytes)).unzip();
        Ok(Points { origin: origin.to_owned(), inputs: hashed, registry, slots, estimates, kept, held })
    }

    /// Runs `runs` (canonical order) on the current rayon pool, as many at once as memory allows whatever
    /// their point, and gives each row to `sink` in the order of `runs`. Stops at the first failure; rows
    /// already given to the sink stay valid.
    pub fn execute(
        &self,
        points: &Points,
        runs: Runs,
        sink: &mut dyn FnMut(RunRow) -> Result<(), String>,
    ) -> Result<(), ExecError> {
        // How many of `runs` each point has left: its prepared form is dropped after the last.
        let r = u64::from(self.replicates);
        let left: Vec<AtomicU64> = (0..self.points.len() as u64)
            .map(|p| AtomicU64::new(runs.before((p + 1) * r) - runs.before(p * r)))
            .collect();
        let largest = points.estimates.iter().copied().max().unwrap_or(0);
        // Beside the parsed points and the kept forms: one prepared point per worker, and the next one being
        // prepared.
        let reserved = points.held.saturating_add(points.kept).saturating_add(largest);
        let workers = workers_within(points.registry.memory_budget(), largest, reserved);
        let run_one = |k: u64| {
            let run = runs.get(k).expect("k < runs.len()");
            let (point, replicate) = self.locate(run);
            let failed = |error| ExecError::Run { point, replicate, error };
            let outcome = points.get(self, point).and_then(|p| p.run_replicate(replicate)).map_err(failed)?;
            if left[point as usize].fetch_sub(1, Ordering::Relaxed) == 1 {
                points.release(point);
            }
            let p = &self.points[point as usize];
            Ok(RunRow { run, point, replicate, seed: p.scenario.seed, parameters: p.parameters.clone(), outcome })
        };
        ordered(runs.len(), workers, &run_one, &mut |row| sink(row).map_err(ExecError::Sink))
    }

    /// Checks that `done` (the complete rows of an interrupted `runs.jsonl`, in file order) are the first
    /// runs of `runs`, each at its own point, replicate and seed; anything else means the file is not this
    /// sweep's, or was edited.
    pub fn check_done(&self, done: &[RunRow], runs: Runs) -> Result<(), String> {
        done.iter().enumerate().try_for_each(|(i, row)| self.check_row(i as u64, row, runs))
    }

    /// Checks that `row`, the `i`-th (from 0) of a `runs.jsonl` in file order, is the `i`-th run of `runs`
    /// at its own point, replicate and seed: [`Sweep::check_done`] one row at a time, for files read line by
    /// line.
    pub fn check_row(&self, i: u64, row: &RunRow, runs: Runs) -> Result<(), String> {
        let line = i + 1;
        let Some(expected) = runs.get(i) else {
            return Err(format!("line {line}: run {} where the runs had ended", row.run));
        };
        if row.run != expected {
            return Err(format!("line {line}: run {} where run {expected} was expected", row.run));
        }
        let (point, replicate) = self.locate(row.run);
        let seed = self.points[point as usize].scenario.seed;
        if (row.point, row.replicate, row.seed) != (point, replicate, seed) {
            return Err(format!(
                "line {line}: run {} says point {}, replicate {}, seed {}; it is point {point}, replicate \
                 {replicate}, seed {seed}",
                row.run, row.point, row.replicate, row.seed
            ));
        }
        Ok(())
    }

    /// Checks that a shard with `done` rows, each already checked by [`Sweep::check_row`], is complete.
    pub fn check_complete(&self, shard: Shard, done: u64) -> Result<(), String> {
        let expected = self.runs(Some(shard)).len();
        if done != expected {
            return Err(format!("shard {shard} is incomplete ({done} of {expected} runs); finish it with --resume"));
        }
        Ok(())
    }

    /// Combines the complete rows of every shard into the rows of one unsharded run, in run order.
    pub fn merge(&self, shards: Vec<(Shard, Vec<RunRow>)>) -> Result<Vec<RunRow>, String> {
        for (shard, done) in &shards {
            self.check_done(done, self.runs(Some(*shard))).map_err(|e| format!("shard {shard}: {e}"))?;
            self.check_complete(*shard, done.len() as u64)?;
        }
        let order = self.merge_order(&shards.iter().map(|(s, _)| *s).collect::<Vec<_>>())?;
        let mut rows: Vec<_> = shards.into_iter().map(|(_, done)| done.into_iter()).collect();
        Ok(order.map(|k| rows[k].next().expect("a complete shard has this run")).collect())
    }

    /// The order in which complete shards (each holding exactly its runs) give the rows of one unsharded
    /// run: the index in `shards` of the shard holding run 0, run 1, …. Only the shards are read, not their
    /// rows, so that rows can be streamed from files in this order; a run missing or given twice is an error,
    /// found before any row is read.
    pub fn merge_order(&self, shards: &[Shard]) -> Result<impl Iterator<Item = usize> + use<>, String> {
        let total = self.total_runs();
        let present: u64 = shards.iter().map(|s| self.runs(Some(*s)).len()).sum();
        let order = MergeOrder::new(shards, total);
        // The order's runs, checked once before it is handed out: run `want` must come next, and once.
        for (want, got) in (0..total).zip(order.clone().runs()) {
            if want != got {
                return Err(format!("run {want} is missing or given twice; give each shard 0..N-1 of one sweep once"));
            }
        }
        if present != total {
            return Err(format!("{present} of {total} runs present; some shards are missing"));
        }
        Ok(order.map(|(_, k)| k))
    }
    /// The re-test of `points` (indices, ascending): a sweep of those points alone, each with `replicates`
    /// runs on its [`retest_seed`]. Its point `i` is this sweep's point `points[i]`.
    pub fn retest(&self, points: &[usize], replicates: u32) -> Sweep {
        let points = points
            .iter()
            .map(|&p| {
                let mut point = self.points[p].clone();
                point.scenario.seed = retest_seed(self.seed, p as u64);
                point.scenario.replicates = replicates;
                point
            })
            .collect();
        Sweep { points, replicates, inputs: BTreeMap::new(), ..self.clone() }
    }

    /// One report per point from the rows of every run of the sweep, in run order; other rows are an error.
    pub fn point_reports(&self, rows: Vec<RunRow>) -> Result<Vec<RunReport>, String> {
        let mut reports = self.reports();
        rows.into_iter().try_for_each(|row| reports.add(row))?;
        reports.finish()
    }

    /// [`Sweep::point_reports`] one row at a time, for rows read line by line: only the outcomes are kept.
    pub fn reports(&self) -> PointReports<'_> {
        PointReports { sweep: self, rows: 0, outcomes: Vec::new(), reports: Vec::new() }
    }
}

/// The per-point reports of a sweep built from its rows in run order ([`Sweep::reports`]): each row is
/// checked as it comes, and a point's outcomes become its report after its last replicate.
pub struct PointReports<'s> {
    sweep: &'s Sweep,
    rows: u64,
    /// The outcomes of the point under way.
    outcomes: Vec<Outcome>,
    reports: Vec<RunReport>,
}

impl PointReports<'_> {
    /// Adds the next row; one that is not the next run of the sweep is an error naming its line.
    pub fn add(&mut self, row: RunRow) -> Result<(), String> {
        let sweep = self.sweep;
        sweep.check_row(self.rows, &row, sweep.runs(None))?;
        self.rows += 1;
        self.outcomes.push(row.outcome);
        if row.replicate + 1 == sweep.replicates {
            let scenario = &sweep.points[row.point as usize].scenario;
            self.reports.push(RunReport::new(scenario, std::mem::take(&mut self.outcomes), Vec::new()));
        }
        Ok(())
    }

    /// The reports, once every run's row was added.
    pub fn finish(self) -> Result<Vec<RunReport>, String> {
        let total = self.sweep.total_runs();
        if self.rows != total {
            return Err(format!("{} of {total} runs present; the sweep is not finished", self.rows));
        }
        Ok(self.reports)
    }
}

/// The shards' runs in run order, as (run, index of its shard), merged from their arithmetic progressions.
#[derive(Clone)]
struct MergeOrder {
    /// Each shard's runs left, smallest next run first (then lowest shard index).
    next: std::collections::BinaryHeap<std::cmp::Reverse<(u64, usize)>>,
    runs: Vec<Runs>,
    taken: Vec<u64>,
}

impl MergeOrder {
    fn new(shards: &[Shard], total: u64) -> Self {
        let runs: Vec<Runs> = shards.iter().map(|s| Runs::of(Some(*s), total)).collect();
        let next = runs.iter().enumerate().filter_map(|(k, r)| Some(std::cmp::Reverse((r.get(0)?, k)))).collect();
        MergeOrder { next, taken: vec![0; runs.len()], runs }
    }

    fn runs(self) -> impl Iterator<Item = u64> {
        self.map(|(run, _)| run)
    }
}

impl Iterator for MergeOrder {
    type Item = (u64, usize);

    fn next(&mut self) -> Option<(u64, usize)> {
        let std::cmp::Reverse((run, k)) = self.next.pop()?;
        self.taken[k] += 1;
        if let Some(following) = self.runs[k].get(self.taken[k]) {
            self.next.push(std::cmp::Reverse((following, k)));
        }
        Some((run, k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::NoInputs;

    #[test]
    fn a_retest_runs_the_chosen_points_on_seeds_of_their_own() {
        let spec =
            parse_sweep(r#"{"scenario": "r.json", "seed": 5, "parameters": {"topology.nodes": [10, 20, 30]}}"#, "s")
                .unwrap();
        let sweep = expand(&spec, "s", RING, "r.json", &Registry::builtin()).unwrap();
        let again = sweep.retest(&[0, 2], 12);
        assert_eq!(again.points.len(), 2);
        assert_eq!(again.points[1].parameters, sweep.points[2].parameters);
        assert_eq!((again.replicates, again.points[1].scenario.replicates), (12, 12));
        let seeds: Vec<u64> = again.points.iter().map(|p| p.scenario.seed).collect();
        assert_eq!(seeds, [retest_seed(5, 0), retest_seed(5, 2)]);
        for p in 0..3 {
            assert!(!seeds.contains(&point_seed(5, p)), "a first-stage seed");
        }
    }

    #[test]
    fn no_two_points_or_retests_share_a_seed() {
        // Sweep seeds and point indices both small, where a symmetric derivation would collide (seed s's
        // point s, or seed 1's point 0 against seed 0's point 1).
        let first: std::collections::BTreeSet<u64> =
            (0..64).flat_map(|s| (0..64).map(move |p| point_seed(s, p))).collect();
        assert_eq!(first.len(), 64 * 64, "two points of sweeps share a seed");
        let retests: std::collections::BTreeSet<u64> =
            (0..64).flat_map(|s| (0..64).map(move |p| retest_seed(s, p))).collect();
        assert_eq!(retests.len(), 64 * 64, "two re-tests share a seed");
        assert!(first.is_disjoint(&retests), "a re-test repeats a first-stage seed");
    }

    #[test]
    fn a_set_value_the_parameters_would_replace_is_refused() {
        let e = sweep(r#"{"scenario": "r", "set": {"topology.nodes": 5}, "parameters": {"topology.nodes": [4, 6]}}"#)
            .unwrap_err();
        assert_eq!(e.field, "set.topology.nodes");
        assert!(e.message.contains("parameters.topology.nodes"), "{}", e.message);
        let inside = r#"{"scenario": "r", "set": {"topology.nodes": 5},
                         "parameters": {"topology": [{"kind": "ring", "nodes": 4}]}}"#;
        assert_eq!(sweep(inside).unwrap_err().field, "set.topology.nodes");
        let around = r#"{"scenario": "r", "set": {"topology": {"kind": "complete", "nodes": 5}},
                         "parameters": {"topology.nodes": [4, 6]}}"#;
        assert!(sweep(around).is_ok(), "a parameter may vary a field inside a set value");
    }

    /// A sweep's seed and replicates come from its own fields (or the base scenario), never from `set`,
    /// as `--set seed` is refused for --seed.
    #[test]
    fn seed_and_replicates_are_not_set() {
        for path in ["seed", "replicates"] {
            let text = format!(r#"{{"scenario": "r", "seed": 1, "replicates": 2, "set": {{"{path}": 5}}}}"#);
            let e = sweep(&text).unwrap_err();
            assert_eq!(e.field, format!("set.{path}"));
            assert!(e.message.contains(&format!("as its own `{path}` field")), "{}", e.message);
        }
    }

    #[test]
    fn points_too_big_together_for_the_memory_budget_are_refused() {
        // 2,000 updates of 4 fields each, about 10^4 values: about 5 MiB per point parsed.
        let updates: Vec<Value> = (0..2000).map(|_| json!({})).collect();
        let base = json!({"topology": {"kind": "complete", "nodes": 10},
                          "model": {"kind": "anti_entropy", "updates": updates}})
        .to_string();
        let spec =
            parse_sweep(r#"{"scenario": "b.json", "parameters": {"model.max_rounds": {"range": [100, 299, 1]}}}"#, "s")
                .unwrap();
        let small = Registry::builtin().with_memory_budget(256 << 20);
        let e = expand(&spec, "s", &base, "b.json", &small).unwrap_err();
        assert_eq!(e.field, "parameters");
        assert!(e.message.contains("200 points' scenarios take more than the 256.0 MiB budget"), "{}", e.message);
        assert!(expand(&spec, "s", &base, "b.json", &Registry::builtin().with_memory_budget(4 << 30)).is_ok());
    }

    /// The parsed points stay held while the sweep runs: their bytes and the largest run must fit in the
    /// budget together (each alone fitting is not enough).
    #[test]
    fn runs_are_sized_beside_the_parsed_points() {
        let spec = parse_sweep(r#"{"scenario": "r", "parameters": {"topology.nodes": [10, 400]}}"#, "s").unwrap();
        let fits = |budget: u64| {
            let registry = Registry::builtin().with_memory_budget(budget);
            let (mut sweep, held) = plan(&spec, "s", RING, "r.json", &registry)?.expand(&registry)?;
            let held = held.iter().sum();
            let largest = sweep.points.iter().map(|p| Prepared::estimate(&p.scenario, &registry)).max().unwrap();
            sweep.prepare("s", &NoInputs, &registry, held).map(|_| (held, largest))
        };
        let (held, largest) = fits(1 << 30).unwrap();
        assert!(held > 0 && largest > 0, "each alone fits in one byte less than both");
        let e = fits(held + largest - 1).err().unwrap();
        assert_eq!(e.field, "parameters");
        assert!(e.message.contains("and the largest run"), "{}", e.message);
        assert!(fits(held + largest).is_ok());
    }

    const RING: &str = r#"{"name": "ring", "topology": {"kind": "ring", "nodes": 10}, "model": {"kind": "flooding"}, "replicates": 3}"#;

    fn sweep(text: &str) -> Result<Sweep, ScenarioError> {
        expand(&parse_sweep(text, "s.json")?, "s.json", RING, "ring.json", &Registry::builtin())
    }

    fn nodes(s: &Sweep) -> Vec<Value> {
        s.points.iter().map(|p| p.parameters["topology.nodes"].clone()).collect()
    }

    #[test]
    fn expands_lists_ranges_and_geometric_ranges() {
        let s = sweep(r#"{"scenario": "ring.json", "parameters": {"topology.nodes": {"range": [4, 10, 3]}}}"#).unwrap();
        assert_eq!(nodes(&s), [json!(4), json!(7), json!(10)]);
        assert_eq!(s.replicates, 3, "replicates default to the base scenario's");
        let s = sweep(r#"{"scenario": "r", "parameters": {"topology.nodes": {"geom": [10, 10000, 10]}}}"#).unwrap();
        assert_eq!(nodes(&s), [json!(10), json!(100), json!(1000), json!(10000)]);
        assert_eq!(s.points[2].scenario.topology, crate::TopologySpec::Ring(crate::NodesSpec { nodes: 1000 }));
        let s = sweep(r#"{"scenario": "r", "parameters": {"model.p_flood": {"linspace": [0, 1, 11]}}}"#).unwrap();
        let p: Vec<f64> = s.points.iter().map(|p| p.parameters["model.p_flood"].as_f64().unwrap()).collect();
        assert_eq!(p[3], 0.3);
        assert_eq!(p.len(), 11);
        let s = sweep(r#"{"scenario": "r", "parameters": {"model.p_flood": {"geom": [0.001, 1, 10]}}}"#).unwrap();
        assert_eq!(s.points.len(), 4, "the float geometric range reaches its end despite rounding");
    }

    #[test]
    fn product_varies_the_last_parameter_fastest_and_zip_pairs() {
        let text = r#"{"scenario": "r", "mode": "MODE", "replicates": 2,
            "parameters": {"topology.nodes": [10, 20], "model.p_flood": [0.5, 1]}}"#;
        let s = sweep(&text.replace("MODE", "product")).unwrap();
        let pairs: Vec<String> = s.points.iter().map(|p| serde_json::to_string(&p.parameters).unwrap()).collect();
        assert_eq!(
            pairs,
            [
                r#"{"topology.nodes":10,"model.p_flood":0.5}"#,
                r#"{"topology.nodes":10,"model.p_flood":1}"#,
                r#"{"topology.nodes":20,"model.p_flood":0.5}"#,
                r#"{"topology.nodes":20,"model.p_flood":1}"#
            ]
        );
        assert_eq!(s.total_runs(), 8);
        let s = sweep(&text.replace("MODE", "zip")).unwrap();
        assert_eq!(s.points.len(), 2);
        assert_eq!(s.points[1].parameters["model.p_flood"], json!(1));
    }

    #[test]
    fn errors_name_the_field() {
        // Expansion checks types and ranges; preparing checks model parameters against the topology.
        let field = |text: &str| {
            sweep(text).and_then(|mut s| s.prepare("s.json", &NoInputs, &Registry::builtin(), 0).map(drop)).unwrap_err()
        };
        let e = field(r#"{"scenario": "r", "parameters": {"model.p_flood": [0.5, 2]}}"#);
        assert_eq!(e.field, "model.p_flood", "{e}");
        assert!(e.origin.contains("point 1 (model.p_flood=2)"), "{e}");
        let e = field(r#"{"scenario": "r", "parameters": {"topology.nodes": {"range": [10, 1, 1]}}}"#);
        assert_eq!(e.field, "parameters.topology.nodes", "{e}");
        let e = field(r#"{"scenario": "r", "parameters": {"topology.nodes": {"steps": [1, 2, 3]}}}"#);
        assert!(e.message.contains("unknown form"), "{e}");
        let e = field(r#"{"scenario": "r", "mode": "zip", "parameters": {"topology.nodes": [3, 4], "seed": [1]}}"#);
        assert_eq!(e.field, "parameters.seed", "{e}");
        let e = field(
            r#"{"scenario": "r", "mode": "zip", "parameters": {"topology.nodes": [3, 4], "model.p_flood": [1]}}"#,
        );
        assert_eq!(e.field, "parameters.model.p_flood", "{e}");
        let e = field(r#"{"scenario": "r", "mode": "diagonal"}"#);
        assert_eq!(e.field, "mode", "{e}");
        let e = field(r#"{"scenario": "r", "parametres": {}}"#);
        assert!(e.message.contains("unknown field `parametres`"), "{e}");
    }

    #[test]
    fn seeds_come_from_the_sweep_seed_and_the_point() {
        let s = sweep(r#"{"scenario": "r", "seed": 5, "parameters": {"topology.nodes": [10, 20]}}"#).unwrap();
        assert_eq!(s.points[0].scenario.seed, derive_seed(derive_seed(5, &[POINT]), &[0]) & MAX_SEED);
        assert_eq!(s.points[1].scenario.seed, derive_seed(derive_seed(5, &[POINT]), &[1]) & MAX_SEED);
        assert_ne!(s.points[0].scenario.seed, s.points[1].scenario.seed);
        assert_eq!(s.locate(4), (1, 1));
    }

    /// Every seed a sweep writes is one JSON readers keep exact (below 2^53) and one `run --seed` takes; a
    /// sweep seed above that is refused by name, from the file or from --seed.
    #[test]
    fn seeds_are_json_safe() {
        let s = sweep(
            r#"{"scenario": "r", "seed": 9007199254740991, "parameters": {"topology.nodes": {"range": [3, 1000, 1]}}}"#,
        )
        .unwrap();
        assert!(s.points.iter().all(|p| p.scenario.seed <= MAX_SEED));
        assert!(s.points.iter().any(|p| p.scenario.seed > MAX_SEED >> 1), "the 53 bits are used");
        let e =
            sweep(r#"{"scenario": "r", "seed": 9007199254740992, "parameters": {"topology.nodes": [3]}}"#).unwrap_err();
        assert_eq!(e.field, "seed", "{e}");
        assert!(
            e.message.contains("2^53 − 1 = 9007199254740991") && e.message.ends_with("got 9007199254740992"),
            "{e}"
        );
    }

    #[test]
    fn values_read_as_table_cells() {
        assert_eq!(value_text(&json!("push")), "push");
        assert_eq!(value_text(&json!(0.5)), "0.5");
        assert_eq!(value_text(&json!({"kind": "grid", "rows": 3, "torus": true})), "grid(rows=3, torus=true)");
        assert_eq!(value_text(&json!([1, 2])), "[1,2]");
    }

    #[test]
    fn shards_partition_the_runs() {
        let s = sweep(r#"{"scenario": "r", "replicates": 7, "parameters": {"topology.nodes": [10, 20, 30]}}"#).unwrap();
        let mut all: Vec<u64> = (0..4).flat_map(|i| s.runs(Some(Shard { index: i, count: 4 })).iter()).collect();
        all.sort();
        assert_eq!(all, s.runs(None).iter().collect::<Vec<_>>());
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::parse("4/4").is_err());
        assert!(Shard::parse("1").is_err());
    }

    fn run_rows(s: &Sweep, runs: Runs) -> Vec<RunRow> {
        let registry = Registry::builtin();
        let mut s = s.clone();
        let points = s.prepare("s.json", &NoInputs, &registry, 0).unwrap();
        let mut rows = Vec::new();
        s.execute(&points, runs, &mut |row| {
            rows.push(row);
            Ok(())
        })
        .unwrap();
        rows
    }

    #[test]
    fn resumed_runs_continue_where_the_done_rows_stop() {
        let s = sweep(r#"{"scenario": "r", "parameters": {"model.p_flood": [0.3, 1]}}"#).unwrap();
        let runs = s.runs(None);
        let rows = run_rows(&s, runs);
        assert_eq!(rows.len(), 6);
        s.check_done(&rows[..5], runs).unwrap();
        let mut resumed = rows[..5].to_vec();
        resumed.extend(run_rows(&s, runs.skip(5)));
        assert_eq!(resumed, rows);
        // Rows of another sweep are refused.
        let other = sweep(r#"{"scenario": "r", "parameters": {"model.p_flood": [0.3]}}"#).unwrap();
        assert!(other.check_done(&rows, other.runs(Some(Shard { index: 1, count: 2 }))).is_err());
    }

    #[test]
    fn merged_shards_equal_a_single_run() {
        let s = sweep(r#"{"scenario": "r", "replicates": 4, "parameters": {"model.p_flood": [0.2, 0.6, 1]}}"#).unwrap();
        let whole = run_rows(&s, s.runs(None));
        let shards: Vec<(Shard, Vec<RunRow>)> = (0..3)
            .map(|i| {
                let shard = Shard { index: i, count: 3 };
                (shard, run_rows(&s, s.runs(Some(shard))))
            })
            .collect();
        assert_eq!(s.merge(shards.clone()).unwrap(), whole);
        assert!(s.merge(shards[..2].to_vec()).unwrap_err().contains("run 2 is missing"));
        // The order comes from the shards alone: any partition of the runs, and nothing else, is merged.
        let shard = |index, count| Shard { index, count };
        let order: Vec<usize> = s.merge_order(&[shard(1, 4), shard(0, 2), shard(3, 4)]).unwrap().collect();
        assert_eq!(order, [1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2]);
        let e = s.merge_order(&[shard(0, 2), shard(1, 2), shard(1, 2)]).err().unwrap();
        assert!(e.contains("run 2 is missing or given twice"), "{e}");
    }

    #[test]
    fn metadata_round_trips_and_detects_edits() {
        let s = sweep(r#"{"scenario": "r", "parameters": {"topology.nodes": [10, 20]}}"#).unwrap();
        let shard = Some(Shard { index: 1, count: 2 });
        let text = s.metadata(shard);
        assert_eq!(Sweep::from_metadata(&text).unwrap(), (s.clone(), shard));
        assert!(Sweep::from_metadata(&text.replace("\"nodes\": 20", "\"nodes\": 21")).is_err());
    }

    #[test]
    fn ranges_of_any_i64_bounds_are_counted_without_overflow() {
        for range in ["[0, -9223372036854775808, -1]", "[-9223372036854775808, 9223372036854775807, 1]"] {
            let text = format!(r#"{{"scenario": "r", "parameters": {{"topology.nodes": {{"range": {range}}}}}}}"#);
            let e = sweep(&text).unwrap_err();
            assert_eq!(e.field, "parameters.topology.nodes", "{e}");
            assert!(e.message.contains("values, more than 1000000"), "{e}");
        }
        let s = sweep(
            r#"{"scenario": "r", "parameters": {"seed2": {"range": [9223372036854775806, 9223372036854775807, 5]}}}"#,
        );
        assert!(s.unwrap_err().message.contains("unknown field `seed2`"), "the one value is in range");
        let e = sweep(r#"{"scenario": "r", "parameters": {"x": {"linspace": [-1e308, 1e308, 3]}}}"#).unwrap_err();
        assert!(e.message.contains("beyond the range of numbers"), "{e}");
        // A thousand parameters of a million values each are refused by their count, not listed.
        let axes: Vec<String> = (0..1000).map(|i| format!(r#""p{i}": {{"range": [1, 1000000, 1]}}"#)).collect();
        let e = sweep(&format!(r#"{{"scenario": "r", "mode": "zip", "parameters": {{{}}}}}"#, axes.join(", ")));
        assert!(e.unwrap_err().message.contains("more than 4000000 values"));
        let e = sweep(&format!(r#"{{"scenario": "r", "parameters": {{{}}}}}"#, axes.join(", ")));
        assert!(e.unwrap_err().message.contains("more than 1000000 points"));
        for path in ["", "topology..nodes", ".x"] {
            let e = sweep(&format!(r#"{{"scenario": "r", "parameters": {{"{path}": [1]}}}}"#)).unwrap_err();
            assert!(e.message.contains("not a dotted field path"), "{e}");
        }
    }

    /// A plan counts points without building them; runs are computed, never listed.
    #[test]
    fn plans_count_and_runs_are_not_listed() {
        let spec = parse_sweep(
            r#"{"scenario": "r", "parameters": {"model.p_flood": {"linspace": [0, 2, 1000000]}}}"#,
            "s.json",
        )
        .unwrap();
        let plan = plan(&spec, "s.json", RING, "ring.json", &Registry::builtin()).unwrap();
        assert_eq!((plan.points(), plan.total_runs()), (1_000_000, 3_000_000), "counted, not built");
        let mut s = sweep(r#"{"scenario": "r"}"#).unwrap();
        s.replicates = u32::MAX;
        let runs = s.runs(Some(Shard { index: 3, count: 1000 }));
        assert_eq!(runs.len(), 4_294_968);
        assert_eq!(runs.skip(2).get(0), Some(2003));
        assert_eq!(runs.get(4_294_967), Some(4_294_967_003));
        assert_eq!(runs.get(4_294_968), None);
    }

    /// Rows that do not belong where they say are refused, not indexed: a crafted runs.jsonl cannot panic.
    #[test]
    fn rows_must_be_the_runs_they_claim() {
        let s = sweep(r#"{"scenario": "r", "parameters": {"model.p_flood": [0.3, 1]}}"#).unwrap();
        let mut rows = run_rows(&s, s.runs(None));
        assert!(s.point_reports(rows.clone()).is_ok());
        rows[1].point = 99;
        assert!(s.point_reports(rows.clone()).unwrap_err().contains("line 2"));
        assert!(s.point_reports(rows[..1].to_vec()).unwrap_err().contains("not finished"));
    }

    /// Points prepared again on demand (none kept) give the same rows as points kept from the check.
    #[test]
    fn points_prepared_on_demand_run_the_same() {
        let mut s =
            sweep(r#"{"scenario": "r", "replicates": 3, "parameters": {"model.p_flood": [0.2, 0.6, 1]}}"#).unwrap();
        let kept = run_rows(&s, s.runs(None));
        let registry = Registry::builtin();
        let points = s.prepare_keeping("s.json", &NoInputs, &registry, 0, 0).unwrap();
        assert!(points.slots.iter().all(|p| p.lock().unwrap().is_none()) && points.kept == 0);
        let mut rows = Vec::new();
        s.execute(&points, s.runs(None), &mut |row| {
            rows.push(row);
            Ok(())
        })
        .unwrap();
        assert_eq!(rows, kept);
        assert!(points.slots.iter().all(|p| p.lock().unwrap().is_none()), "each point is dropped after its runs");
    }

    #[test]
    fn metadata_of_another_shape_is_refused() {
        let s = sweep(r#"{"scenario": "r", "parameters": {"topology.nodes": [10, 20]}}"#).unwrap();
        let mut other = s.clone();
        other.replicates = 0;
        let doc = json!({"format": FORMAT, "hash": other.hash(), "runs": 0, "shard": null, "sweep": other});
        assert!(Sweep::from_metadata(&doc.to_string()).unwrap_err().contains("does not describe"));
    }

    #[test]
    fn point_reports_match_running_the_point_alone() {
        let s = sweep(r#"{"scenario": "r", "replicates": 5, "parameters": {"model.p_flood": [0.5]}}"#).unwrap();
        let report = &s.point_reports(run_rows(&s, s.runs(None))).unwrap()[0];
        let alone = Prepared::new(s.points[0].scenario.clone(), "p", &NoInputs, &Registry::builtin())
            .unwrap()
            .run_all(&|| ())
            .unwrap();
        assert_eq!(report.metrics(), alone.metrics());
    }
}
