//! What one run of a model reports: scalar metrics, per-round or per-time series, and the analytic
//! predictions that go beside them.

/// How a simulated mean is compared with an analytic value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Check {
    /// The formula is exact for every run: each run must equal it.
    Exact,
    /// The mean over runs must lie within its 95% interval of the value, widened by
    /// `rel_slack · |value|` for the formula's known approximation (finite N, rounding).
    WithinCi { rel_slack: f64 },
    /// As `WithinCi`, for a metric that counts discrete events of size `unit` (ignorant nodes as a fraction
    /// of N: unit 1/N). When runs see few or no events the t-interval collapses (all runs 0 give a width of
    /// 0), so the interval is never taken narrower than the rule of three: with no event in n runs the
    /// mean lies below 3·unit/n with 95% confidence.
    WithinCiCount { rel_slack: f64, unit: f64 },
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
    pub value: f64,
    pub check: Check,
}

/// The result of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub metrics: Vec<(String, f64)>,
    /// Curves over rounds or time; a run that ended early stays at its last value.
    pub series: Vec<(String, Vec<f64>)>,
    /// Histograms (count or fraction per bin); a bin a run does not reach holds 0.
    pub distributions: Vec<(String, Vec<f64>)>,
    pub analytic: Vec<Analytic>,
}

impl Outcome {
    pub fn metric(&mut self, name: &str, value: f64) -> &mut Self {
        self.metrics.push((name.to_owned(), value));
        self
    }

    pub fn series(&mut self, name: &str, values: Vec<f64>) -> &mut Self {
        self.series.push((name.to_owned(), values));
        self
    }

    pub fn distribution(&mut self, name: &str, values: Vec<f64>) -> &mut Self {
        self.distributions.push((name.to_owned(), values));
        self
    }

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

    pub fn get(&self, name: &str) -> Option<f64> {
        self.metrics.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }
}

/// Why a model could not run with the given parameters and topology.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {message}", self.path("model"))]
pub struct ModelError {
    /// Dotted path of the offending field: within the model's parameters, or from the scenario root when
    /// `outside` (a topology the model cannot run on, hosts, the network).
    pub field: String,
    pub outside: bool,
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
