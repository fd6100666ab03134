//! What one run of a model reports: scalar metrics, per-round or per-time series, and the analytic
//! predictions that go beside them.
//!
//! A model's [`Model::run`](crate::Model::run) returns one [`Outcome`] per replicate; the runner summarises
//! them (`runner::RunReport`): a metric's mean, standard deviation and 95% interval over the replicates that
//! report it (a run that cannot define a metric leaves it out, or gives NaN, which counts as left out), a
//! series averaged round by round, an analytic value averaged over replicates (it may differ between them
//! on a random topology) and compared with its metric as its [`Check`] says.
//!
//! ```
//! use models::{Check, Outcome};
//!
//! let mut out = Outcome::default();
//! out.metric("reach", 0.8).metric("messages_per_node", 2.0).series("informed", vec![0.01, 0.03, 0.8]);
//! out.analytic("messages", "messages_per_node", "fanout", 2.0, Check::Exact)
//!     .analytic("reach", "reach", "1 − e^(−2π)", 0.7968, Check::WithinCi { rel_slack: 0.0 });
//! assert_eq!(out.get("reach"), Some(0.8));
//! ```

// Every model from outside dissem builds these: all of it is documented.
#![deny(missing_docs)]

/// How a simulated mean is compared with an analytic value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Check {
    /// The formula is exact for every run: each run that states it must report the metric equal to it
    /// (within 1e-9 relative, for rounding).
    Exact,
    /// The mean over runs must lie within its 95% interval of the value, widened by
    /// `rel_slack · |value|` for the formula's known approximation (finite N, rounding).
    WithinCi {
        /// Relative slack beyond the interval, 0 for a formula that is exact in expectation; name its cause
        /// in the formula or the model's docs.
        rel_slack: f64,
    },
    /// As `WithinCi`, for a metric that counts discrete events of size `unit` (ignorant nodes as a fraction
    /// of N: unit 1/N). When runs see few or no events the t-interval collapses (all runs 0 give a width of
    /// 0), so the interval is never taken narrower than the rule of three: with no event in n runs the
    /// mean lies below 3·unit/n with 95% confidence.
    WithinCiCount {
        /// As for [`Check::WithinCi`].
        rel_slack: f64,
        /// The size of one event in the metric's unit (1/N for a fraction of N nodes).
        unit: f64,
    },
    /// As `WithinCi` (no slack), for a metric that takes integer values only (rounds). When every run gives
    /// the same integer the t-interval has width 0, and a correct expectation that is not an integer (9.15
    /// rounds when every run took 9) would fail. Whatever its distribution, an integer X with mean μ has
    /// variance at least f(1 − f), f = μ − ⌊μ⌋: (X − ⌊μ⌋)(X − ⌊μ⌋ − 1) ≥ 0 for every integer X, so
    /// E[(X − ⌊μ⌋)²] ≥ E[X − ⌊μ⌋] = f and Var X ≥ f − f². Under the formula (μ = the expected value) the
    /// interval therefore never uses a standard deviation below √(f(1 − f)): never narrower than a correct
    /// model allows, and still as narrow as the sample's when runs vary (all runs at 9 against 9.5 fails
    /// from n = 7 runs on, where t·0.5/√n drops below 0.5).
    WithinCiInteger,
    /// Shown beside the metric for comparison, not checked (an estimate the lecture makes, a bound).
    Reference,
}

/// An analytic prediction of one metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Analytic {
    /// Identifier of the prediction (unique within an outcome).
    pub name: String,
    /// The metric it predicts.
    pub metric: String,
    /// The formula in plain text, e.g. `2|E| - (N - 1)`.
    pub formula: String,
    /// The formula's value for this run's parameters and topology.
    pub value: f64,
    /// How `metric` is compared with `value` ([`Check::Reference`]: shown, not compared).
    pub check: Check,
}

/// The result of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Named scalars, summarised over replicates (mean, sd, 95% interval); NaN for a value the run cannot
    /// define, which the summaries leave out.
    pub metrics: Vec<(String, f64)>,
    /// Curves over rounds or time; a run that ended early stays at its last value.
    pub series: Vec<(String, Vec<f64>)>,
    /// Histograms (count or fraction per bin); a bin a run does not reach holds 0.
    pub distributions: Vec<(String, Vec<f64>)>,
    /// Formulas beside metrics, each compared as its [`Check`] says by `dissem check` and reproduce pages.
    pub analytic: Vec<Analytic>,
}

impl Outcome {
    /// Adds the scalar metric `name` (names are unique within an outcome).
    pub fn metric(&mut self, name: &str, value: f64) -> &mut Self {
        self.metrics.push((name.to_owned(), value));
        self
    }

    /// Adds the series `name`: one value per round (or time step), from the state before the first round.
    pub fn series(&mut self, name: &str, values: Vec<f64>) -> &mut Self {
        self.series.push((name.to_owned(), values));
        self
    }

    /// Adds the distribution `name`: one value (a count or a fraction) per histogram bin.
    pub fn distribution(&mut self, name: &str, values: Vec<f64>) -> &mut Self {
        self.distributions.push((name.to_owned(), values));
        self
    }

    /// Adds the prediction `name` of `metric`: `formula` as text, its `value` for this run, and how to
    /// compare them.
    pub fn analytic(&mut self, name: &str, metric: &str, formula: &str, value: f64, check: Check) -> &mut Self {
        self.analytic.push(Analytic {
            name: name.to_owned(),
            metric: metric.to_owned(),
            formula: formula.to_owned(),
            value,
            check,
        });
        self
    }

    /// The value of the metric `name`, if the run reports it.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.metrics.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }
}

/// Which part of an [`Outcome`] a declared output lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OutputKind {
    /// One number per run ([`Outcome::metrics`]).
    Metric,
    /// A curve per run ([`Outcome::series`]), over rounds, time or levels as its formula says.
    Series,
    /// A histogram per run ([`Outcome::distributions`]).
    Distribution,
}

impl OutputKind {
    /// `metric`, `series` or `distribution`, as `dissem metrics` prints it.
    pub fn name(self) -> &'static str {
        match self {
            OutputKind::Metric => "metric",
            OutputKind::Series => "series",
            OutputKind::Distribution => "distribution",
        }
    }
}

/// The documentation of one output a model emits: the table `dissem metrics` prints, and the list a run's
/// [`Outcome`] is checked against ([`undeclared`]), so the two cannot drift apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricDoc {
    /// The name as emitted; `{group}`, `{link}`, `{member}`… stand for a part the scenario chooses.
    pub name: &'static str,
    /// Where in an [`Outcome`] it is emitted.
    pub kind: OutputKind,
    /// Unit of the values: `nodes`, `messages`, `rounds`, `time units`, `fraction`, `0/1`, …
    pub unit: &'static str,
    /// What it measures, in one sentence.
    pub meaning: &'static str,
    /// How it is computed from the run, in plain text.
    pub formula: &'static str,
}

impl MetricDoc {
    /// A scalar metric.
    pub const fn metric(name: &'static str, unit: &'static str, meaning: &'static str, formula: &'static str) -> Self {
        MetricDoc { name, kind: OutputKind::Metric, unit, meaning, formula }
    }

    /// A series (one value per round, time step or level).
    pub const fn series(name: &'static str, unit: &'static str, meaning: &'static str, formula: &'static str) -> Self {
        MetricDoc { name, kind: OutputKind::Series, unit, meaning, formula }
    }

    /// A distribution (one value per histogram bin).
    pub const fn distribution(
        name: &'static str,
        unit: &'static str,
        meaning: &'static str,
        formula: &'static str,
    ) -> Self {
        MetricDoc { name, kind: OutputKind::Distribution, unit, meaning, formula }
    }

    /// Whether `name` is an instance of this entry: literal parts equal, each `{placeholder}` standing for
    /// one or more characters.
    pub fn matches(&self, name: &str) -> bool {
        matches_pattern(self.name.as_bytes(), name.as_bytes())
    }
}

fn matches_pattern(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.iter().position(|&b| b == b'{') {
        None => pattern == name,
        Some(open) => {
            let Some(close) = pattern[open..].iter().position(|&b| b == b'}') else { return pattern == name };
            let rest = &pattern[open + close + 1..];
            name.len() > open
                && name[..open] == pattern[..open]
                && (open + 1..=name.len()).any(|end| matches_pattern(rest, &name[end..]))
        }
    }
}

/// Every output of `outcome` that no entry of `declared` covers (same kind, matching name), in the
/// outcome's order.
pub fn undeclared<'a>(declared: &[MetricDoc], outcome: &'a Outcome) -> Vec<(OutputKind, &'a str)> {
    outputs(outcome).filter(|&(kind, name)| !declared.iter().any(|d| d.kind == kind && d.matches(name))).collect()
}

/// Every output of `outcome` with its kind: metrics, then series, then distributions.
pub fn outputs(outcome: &Outcome) -> impl Iterator<Item = (OutputKind, &str)> {
    let metrics = outcome.metrics.iter().map(|(n, _)| (OutputKind::Metric, n.as_str()));
    let series = outcome.series.iter().map(|(n, _)| (OutputKind::Series, n.as_str()));
    let distributions = outcome.distributions.iter().map(|(n, _)| (OutputKind::Distribution, n.as_str()));
    metrics.chain(series).chain(distributions)
}

/// Why a model could not run with the given parameters and topology.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {message}", self.path("model"))]
pub struct ModelError {
    /// Dotted path of the offending field: within the model's parameters, or from the scenario root when
    /// `outside` (a topology the model cannot run on, hosts, the network).
    pub field: String,
    /// Whether `field` is a path from the scenario root rather than within the model's parameters.
    pub outside: bool,
    /// What is wrong and what is allowed, e.g. `must be from 1 to 64, got 0`.
    pub message: String,
}

impl ModelError {
    /// An error in the model's parameter `field` (a dotted path within them, e.g. `timing.period`).
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError { field: field.into(), outside: false, message: message.into() }
    }

    /// An error in another part of the scenario, `field` being its path from the scenario root.
    pub fn outside(field: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError { field: field.into(), outside: true, message: message.into() }
    }

    /// The model cannot run on this topology.
    pub fn topology(message: impl Into<String>) -> Self {
        ModelError::outside("topology", message)
    }

    /// The field's path from the scenario root, the parameters sitting at `params_at` (e.g. `model`).
    pub fn path(&self, params_at: &str) -> String {
        if self.outside { self.field.clone() } else { join(params_at, &self.field) }
    }
}

/// `prefix.field`, or `field` alone at the top (empty prefix).
pub fn join(prefix: &str, field: &str) -> String {
    match (prefix.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (_, true) => prefix.to_owned(),
        _ => format!("{prefix}.{field}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_stand_for_one_or_more_characters() {
        let doc = MetricDoc::metric("{group}.link_stress.{link}", "", "", "");
        assert!(doc.matches("g0.link_stress.a-b"));
        assert!(doc.matches("my.group.link_stress.x"));
        assert!(!doc.matches(".link_stress.a-b"));
        assert!(!doc.matches("g0.link_stress."));
        assert!(!doc.matches("g0.link_stress_max"));
        assert!(MetricDoc::metric("coverage", "", "", "").matches("coverage"));
        assert!(!MetricDoc::metric("coverage", "", "", "").matches("coverage2"));
    }

    #[test]
    fn undeclared_outputs_are_listed_by_kind() {
        let mut out = Outcome::default();
        out.metric("a", 1.0).metric("b", 2.0).series("a", vec![1.0]).distribution("h", vec![]);
        let declared = [MetricDoc::metric("a", "", "", ""), MetricDoc::series("{x}", "", "", "")];
        assert_eq!(undeclared(&declared, &out), [(OutputKind::Metric, "b"), (OutputKind::Distribution, "h")]);
    }
}
