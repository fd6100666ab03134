//! Sweeps: one base scenario, parameters varied by dotted path, replicates per point.
//!
//! A sweep file expands into points, each a full scenario built with `set_path` and `parse`, so every value
//! gets the same validation as a written one. Runs are numbered point-major: run `p·R + r` is replicate `r` of
//! point `p`. Point `p` runs with seed `derive_seed(sweep seed, [p])` and replicate `r` draws from stream
//! `(seed, r)`, exactly as `dissem run --seed` would, so results depend on neither threads nor shards and any
//! point can be re-run on its own. Workers take runs in canonical order and the caller's sink receives them
//! in that order; each run becomes one JSON line that resume and merge read back.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use models::Outcome;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sim_core::rng::derive_seed;

use crate::error::ScenarioError;
use crate::load::parse;
use crate::overrides::set_path;
use crate::registry::Registry;
use crate::report::RunReport;
use crate::run::{Inputs, MEMORY_BUDGET_BYTES, Prepared};
use crate::spec::Scenario;

/// Version tag of the metadata file; resume and merge refuse other versions.
pub const FORMAT: &str = "dissem-sweep/1";

/// Most values one parameter may take (a typo in a range should not allocate gigabytes).
const MAX_VALUES: usize = 1_000_000;

/// A sweep file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The base scenario file, relative to the sweep file.
    pub scenario: String,
    /// Seed of the sweep; default: the base scenario's.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Replicates per point; default: the base scenario's.
    #[serde(default)]
    pub replicates: Option<u32>,
    #[serde(default)]
    pub mode: Mode,
    /// Overrides applied to every point, by dotted path.
    #[serde(default)]
    pub set: Map<String, Value>,
    /// Dotted path → a list, `{"range": [from, to, step]}`, `{"geom": [from, to, factor]}` or
    /// `{"linspace": [from, to, count]}`.
    #[serde(default)]
    pub parameters: Map<String, Value>,
}

/// How parameter values combine into points.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
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

/// Parses a sweep file; errors name `origin` and the field.
pub fn parse_sweep(text: &str, origin: &str) -> Result<SweepSpec, ScenarioError> {
    let doc = crate::json::parse(text).map_err(|e| ScenarioError::from_json(origin, e))?;
    crate::json::from_value(doc).map_err(|(path, message)| ScenarioError::from_serde(origin, &path, &message))
}

/// Expands `spec` (read from `origin`) over the base scenario text `base` (read from `base_origin`), parsing
/// and checking the scenario of every point.
pub fn expand(
    spec: &SweepSpec,
    origin: &str,
    base: &str,
    base_origin: &str,
    registry: &Registry,
) -> Result<Sweep, ScenarioError> {
    let mut doc = crate::json::parse(base).map_err(|e| ScenarioError::from_json(base_origin, e))?;
    for (path, value) in &spec.set {
        set_path(&mut doc, path, value.clone()).map_err(|m| ScenarioError::new(origin, format!("set.{path}"), m))?;
    }
    let defaults = parse(&doc.to_string(), base_origin, &[], registry)?;
    let seed = spec.seed.unwrap_or(defaults.seed);
    let replicates = spec.replicates.unwrap_or(defaults.replicates);
    if replicates == 0 {
        return Err(ScenarioError::new(origin, "replicates", "must be at least 1"));
    }
    let mut axes = Vec::new();
    for (path, values) in &spec.parameters {
        if matches!(path.as_str(), "seed" | "replicates" | "name") {
            return Err(ScenarioError::new(
                origin,
                format!("parameters.{path}"),
                "cannot be varied: set the sweep's own `seed` and `replicates` (each point gets its seed from it)",
            ));
        }
        axes.push((
            path.clone(),
            parameter_values(values).map_err(|m| ScenarioError::new(origin, format!("parameters.{path}"), m))?,
        ));
    }
    let combos = combine(&axes, spec.mode).map_err(|(path, m)| ScenarioError::new(origin, path, m))?;
    let name = if spec.name.is_empty() { default_name(origin) } else { spec.name.clone() };
    let points = combos
        .into_par_iter()
        .enumerate()
        .map(|(p, values)| {
            let mut point_doc = doc.clone();
            let mut parameters = Map::new();
            for ((path, _), value) in axes.iter().zip(values) {
                set_path(&mut point_doc, path, value.clone())
                    .map_err(|m| ScenarioError::new(origin, format!("parameters.{path}"), m))?;
                parameters.insert(path.clone(), value);
            }
            let fixed = [
                ("name", json!(defaults.name)),
                ("seed", json!(point_seed(seed, p))),
                ("replicates", json!(replicates)),
            ];
            for (path, value) in fixed {
                set_path(&mut point_doc, path, value).expect("the document is an object");
            }
            let scenario = parse(&point_doc.to_string(), &point_origin(origin, p, &parameters), &[], registry)?;
            Ok(SweepPoint { parameters, scenario })
        })
        .collect::<Result<Vec<_>, ScenarioError>>()?;
    Ok(Sweep {
        name,
        description: spec.description.clone(),
        seed,
        replicates,
        parameters: axes.into_iter().map(|(p, _)| p).collect(),
        points,
    })
}

/// The seed of point `p`: its replicate r draws from stream (seed, r).
pub fn point_seed(sweep_seed: u64, point: usize) -> u64 {
    derive_seed(sweep_seed, &[point as u64])
}

fn default_name(origin: &str) -> String {
    let file = origin.rsplit(['/', '\\']).next().unwrap_or(origin);
    file.strip_suffix(".json").unwrap_or(file).to_owned()
}

fn point_origin(origin: &str, point: usize, parameters: &Map<String, Value>) -> String {
    let values: Vec<String> = parameters.iter().map(|(k, v)| format!("{k}={}", value_text(v))).collect();
    format!("{origin}: point {point} ({})", values.join(", "))
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
            let nums = args
                .as_array()
                .filter(|a| a.len() == 3 && a.iter().all(Value::is_number))
                .ok_or_else(|| format!("`{form}` needs three numbers [from, to, {}]", third(form)))?;
            match form.as_str() {
                "range" => int_range(nums)?,
                "geom" => geom(nums)?,
                "linspace" => linspace(nums)?,
                _ => return Err(format!("unknown form `{form}`; {FORMS}")),
            }
        }
        _ => return Err(FORMS.to_owned()),
    };
    if values.is_empty() {
        return Err("gives no values".into());
    }
    if values.len() > MAX_VALUES {
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

/// from, from + step, … up to and including `to` when it is reached.
fn int_range(nums: &[Value]) -> Result<Vec<Value>, String> {
    let ints: Vec<i64> = nums.iter().filter_map(Value::as_i64).collect();
    let [from, to, step] = ints[..] else { return Err("`range` takes integers [from, to, step]".into()) };
    if step == 0 || (to - from).signum() * step.signum() < 0 {
        return Err(format!("step {step} does not lead from {from} to {to}"));
    }
    let count = (to - from) / step + 1;
    if count as usize > MAX_VALUES {
        return Err(format!("gives {count} values, more than {MAX_VALUES}"));
    }
    Ok((0..count).map(|i| json!(from + i * step)).collect())
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
        // Relative slack so that 0.001·10³ still counts as reaching 1.
        let mut i = 0;
        while from * factor.powi(i) <= to * (1.0 + 1e-9) && out.len() <= MAX_VALUES {
            out.push(json!(from * factor.powi(i)));
            i += 1;
        }
    }
    Ok(out)
}

/// `count` evenly spaced values from `from` to `to` inclusive.
fn linspace(nums: &[Value]) -> Result<Vec<Value>, String> {
    let (from, to) = (nums[0].as_f64().unwrap_or(0.0), nums[1].as_f64().unwrap_or(0.0));
    let count = nums[2].as_u64().filter(|&c| c >= 2).ok_or("`linspace` needs an integer count of at least 2")?;
    if count as usize > MAX_VALUES {
        return Err(format!("gives {count} values, more than {MAX_VALUES}"));
    }
    // Multiply before dividing so that, e.g., 0.3 comes out as 0.3 and not 0.30000000000000004.
    Ok((0..count).map(|i| json!(from + (to - from) * i as f64 / (count - 1) as f64)).collect())
}

type Axis = (String, Vec<Value>);

fn combine(axes: &[Axis], mode: Mode) -> Result<Vec<Vec<Value>>, (String, String)> {
    match mode {
        Mode::Zip => {
            let Some((first, first_values)) = axes.first() else { return Ok(vec![Vec::new()]) };
            let len = first_values.len();
            if let Some((path, v)) = axes.iter().find(|(_, v)| v.len() != len) {
                return Err((
                    format!("parameters.{path}"),
                    format!("has {} values but `{first}` has {len}; \"mode\": \"zip\" needs equal lengths", v.len()),
                ));
            }
            Ok((0..len).map(|i| axes.iter().map(|(_, v)| v[i].clone()).collect()).collect())
        }
        Mode::Product => {
            let total = axes.iter().try_fold(1usize, |acc, (_, v)| acc.checked_mul(v.len()));
            if total.is_none_or(|t| t > MAX_VALUES) {
                return Err(("parameters".into(), format!("the product has more than {MAX_VALUES} points")));
            }
            let mut combos = vec![Vec::new()];
            for (_, values) in axes {
                combos = combos
                    .into_iter()
                    .flat_map(|prefix| {
                        values.iter().map(move |v| {
                            let mut c = prefix.clone();
                            c.push(v.clone());
                            c
                        })
                    })
                    .collect();
            }
            Ok(combos)
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
    /// A run failed (e.g. a random topology came out disconnected).
    #[error("point {point}, replicate {replicate}: {error}")]
    Run { point: u64, replicate: u32, error: ScenarioError },
    /// The sink refused a row (a write failed).
    #[error("{0}")]
    Sink(String),
}

impl Sweep {
    pub fn total_runs(&self) -> u64 {
        self.points.len() as u64 * u64::from(self.replicates)
    }

    /// The runs of `shard` (all runs without one), in canonical order.
    pub fn runs(&self, shard: Option<Shard>) -> Vec<u64> {
        let Shard { index, count } = shard.unwrap_or(Shard { index: 0, count: 1 });
        (index..self.total_runs()).step_by(count as usize).collect()
    }

    /// (point, replicate) of a run.
    pub fn locate(&self, run: u64) -> (u64, u32) {
        let r = u64::from(self.replicates);
        (run / r, (run % r) as u32)
    }

    /// Identifies the expanded sweep: FNV-1a of its canonical JSON, 16 hex digits.
    pub fn hash(&self) -> String {
        let text = serde_json::to_string(self).expect("a sweep serialises");
        let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        format!("{h:016x}")
    }

    /// The metadata file an output directory starts with (the same bytes for the same sweep and shard).
    pub fn metadata(&self, shard: Option<Shard>) -> String {
        let doc =
            json!({"format": FORMAT, "hash": self.hash(), "runs": self.total_runs(), "shard": shard, "sweep": self});
        let mut text = serde_json::to_string_pretty(&doc).expect("metadata serialises");
        text.push('\n');
        text
    }

    /// Reads metadata written by `metadata`, checking format and hash.
    pub fn from_metadata(text: &str) -> Result<(Sweep, Option<Shard>), String> {
        #[derive(Deserialize)]
        struct Meta {
            format: String,
            hash: String,
            shard: Option<Shard>,
            sweep: Sweep,
        }
        let meta: Meta = serde_json::from_str(text).map_err(|e| format!("not sweep metadata: {e}"))?;
        if meta.format != FORMAT {
            return Err(format!("format `{}`, this dissem reads `{FORMAT}`", meta.format));
        }
        if meta.sweep.hash() != meta.hash {
            return Err("the metadata was modified (its hash does not match its content)".into());
        }
        Ok((meta.sweep, meta.shard))
    }

    /// Checks every point (topology, memory, model parameters) without running; in point order.
    pub fn prepare(
        &self,
        origin: &str,
        inputs: &dyn Inputs,
        registry: &Registry,
    ) -> Result<Vec<Prepared>, ScenarioError> {
        self.points
            .par_iter()
            .enumerate()
            .map(|(p, point)| {
                Prepared::new(point.scenario.clone(), &point_origin(origin, p, &point.parameters), inputs, registry)
            })
            .collect()
    }

    /// Runs `runs` (canonical order) on the current rayon pool, all runs in parallel whatever their point,
    /// and gives each row to `sink` in the order of `runs`. Stops at the first failure; rows already given
    /// to the sink stay valid.
    pub fn execute(
        &self,
        prepared: &[Prepared],
        runs: &[u64],
        sink: &mut dyn FnMut(RunRow) -> Result<(), String>,
    ) -> Result<(), ExecError> {
        let largest = prepared.iter().map(Prepared::estimated_bytes).max().unwrap_or(0);
        let threads = rayon::current_num_threads();
        let fits = largest.saturating_mul(threads as u64) <= MEMORY_BUDGET_BYTES;
        let workers = if fits { threads } else { 1 }.min(runs.len());
        let (next, stop) = (&AtomicUsize::new(0), &AtomicBool::new(false));
        let (tx, rx) = mpsc::channel::<(usize, Result<RunRow, ExecError>)>();
        let run_one = |run: u64| {
            let (point, replicate) = self.locate(run);
            let p = &self.points[point as usize];
            let outcome = prepared[point as usize].run_replicate(replicate).map_err(|error| ExecError::Run {
                point,
                replicate,
                error,
            })?;
            Ok(RunRow { run, point, replicate, seed: p.scenario.seed, parameters: p.parameters.clone(), outcome })
        };
        std::thread::scope(|s| {
            s.spawn(move || {
                // Each worker takes the next run in canonical order, so rows finish nearly in order and
                // few wait in the buffer below.
                rayon::scope(|pool| {
                    for _ in 0..workers {
                        let tx = tx.clone();
                        pool.spawn(move |_| {
                            while !stop.load(Ordering::Relaxed) {
                                let k = next.fetch_add(1, Ordering::Relaxed);
                                if k >= runs.len() || tx.send((k, run_one(runs[k]))).is_err() {
                                    break;
                                }
                            }
                        });
                    }
                });
            });
            let mut pending = BTreeMap::new();
            let mut want = 0;
            for (k, row) in rx.iter() {
                pending.insert(k, row);
                while let Some(row) = pending.remove(&want) {
                    want += 1;
                    if let Err(e) = row.and_then(|r| sink(r).map_err(ExecError::Sink)) {
                        stop.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
            Ok(())
        })
    }

    /// Checks that `done` (the complete rows of an interrupted `runs.jsonl`, in file order) are the first
    /// runs of `runs`; anything else means the file is not this sweep's, or was edited.
    pub fn check_done(&self, done: &[RunRow], runs: &[u64]) -> Result<(), String> {
        for (i, row) in done.iter().enumerate() {
            if runs.get(i) != Some(&row.run) {
                let expected = runs.get(i).map_or_else(|| "none".to_owned(), u64::to_string);
                return Err(format!("line {}: run {} where run {expected} was expected", i + 1, row.run));
            }
        }
        Ok(())
    }

    /// Combines the complete rows of every shard into the rows of one unsharded run, in run order.
    pub fn merge(&self, shards: Vec<(Shard, Vec<RunRow>)>) -> Result<Vec<RunRow>, String> {
        let mut rows = Vec::new();
        for (shard, done) in shards {
            let expected = self.runs(Some(shard));
            self.check_done(&done, &expected).map_err(|e| format!("shard {shard}: {e}"))?;
            if done.len() != expected.len() {
                return Err(format!(
                    "shard {shard} is incomplete ({} of {} runs); finish it with --resume",
                    done.len(),
                    expected.len()
                ));
            }
            rows.extend(done);
        }
        rows.sort_by_key(|r| r.run);
        if let Some(missing) = (0..self.total_runs()).zip(&rows).find(|(want, got)| *want != got.run) {
            return Err(format!(
                "run {} is missing or given twice; give each shard 0..N-1 of one sweep once",
                missing.0
            ));
        }
        if rows.len() as u64 != self.total_runs() {
            return Err(format!("{} of {} runs present; some shards are missing", rows.len(), self.total_runs()));
        }
        Ok(rows)
    }

    /// One report per point from the complete rows of the sweep (canonical order).
    pub fn point_reports(&self, rows: Vec<RunRow>) -> Vec<RunReport> {
        let mut outcomes: Vec<Vec<Outcome>> = vec![Vec::new(); self.points.len()];
        for row in rows {
            outcomes[row.point as usize].push(row.outcome);
        }
        self.points.iter().zip(outcomes).map(|(p, runs)| RunReport::new(&p.scenario, runs, Vec::new())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::NoInputs;

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
            sweep(text).and_then(|s| s.prepare("s.json", &NoInputs, &Registry::builtin()).map(drop)).unwrap_err()
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
        assert_eq!(s.points[0].scenario.seed, derive_seed(5, &[0]));
        assert_eq!(s.points[1].scenario.seed, derive_seed(5, &[1]));
        assert_ne!(s.points[0].scenario.seed, s.points[1].scenario.seed);
        assert_eq!(s.locate(4), (1, 1));
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
        let mut all: Vec<u64> = (0..4).flat_map(|i| s.runs(Some(Shard { index: i, count: 4 }))).collect();
        all.sort();
        assert_eq!(all, s.runs(None));
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::parse("4/4").is_err());
        assert!(Shard::parse("1").is_err());
    }

    fn run_rows(s: &Sweep, runs: &[u64]) -> Vec<RunRow> {
        let prepared = s.prepare("s.json", &NoInputs, &Registry::builtin()).unwrap();
        let mut rows = Vec::new();
        s.execute(&prepared, runs, &mut |row| {
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
        let rows = run_rows(&s, &runs);
        assert_eq!(rows.len(), 6);
        s.check_done(&rows[..5], &runs).unwrap();
        let mut resumed = rows[..5].to_vec();
        resumed.extend(run_rows(&s, &runs[5..]));
        assert_eq!(resumed, rows);
        // Rows of another sweep are refused.
        let other = sweep(r#"{"scenario": "r", "parameters": {"model.p_flood": [0.3]}}"#).unwrap();
        assert!(other.check_done(&rows, &other.runs(Some(Shard { index: 1, count: 2 }))).is_err());
    }

    #[test]
    fn merged_shards_equal_a_single_run() {
        let s = sweep(r#"{"scenario": "r", "replicates": 4, "parameters": {"model.p_flood": [0.2, 0.6, 1]}}"#).unwrap();
        let whole = run_rows(&s, &s.runs(None));
        let shards: Vec<(Shard, Vec<RunRow>)> = (0..3)
            .map(|i| {
                let shard = Shard { index: i, count: 3 };
                (shard, run_rows(&s, &s.runs(Some(shard))))
            })
            .collect();
        assert_eq!(s.merge(shards.clone()).unwrap(), whole);
        assert!(s.merge(shards[..2].to_vec()).is_err(), "a missing shard is reported");
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
    fn point_reports_match_running_the_point_alone() {
        let s = sweep(r#"{"scenario": "r", "replicates": 5, "parameters": {"model.p_flood": [0.5]}}"#).unwrap();
        let report = &s.point_reports(run_rows(&s, &s.runs(None)))[0];
        let alone = Prepared::new(s.points[0].scenario.clone(), "p", &NoInputs, &Registry::builtin())
            .unwrap()
            .run_all(&|| ())
            .unwrap();
        assert_eq!(report.metrics(), alone.metrics());
    }
}
