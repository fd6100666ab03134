//! The result of running a scenario: every replicate's outcome, and their summaries and checks.

use models::{Check, Outcome};
use sim_core::stats::{Level, Summary};

use crate::spec::Scenario;

/// All replicates of one scenario.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The scenario's `name`.
    pub name: String,
    /// Its `model.kind`.
    pub model: String,
    /// Its `seed`: replicate r drew from the streams of (seed, r).
    pub seed: u64,
    /// The replicate number of `runs[0]` (0 unless one replicate was run alone); `runs[i]` is replicate
    /// `first_replicate + i`.
    pub first_replicate: u32,
    /// Every replicate's outcome, in replicate order.
    pub runs: Vec<Outcome>,
    /// What building the topology merged or dropped, for the user (`dissem run` prints them on stderr).
    pub notes: Vec<String>,
}

/// An analytic value averaged over replicates (it varies when the topology is random).
#[derive(Clone, Debug, PartialEq)]
pub struct AnalyticSummary {
    /// The prediction's name ([`models::Analytic::name`]).
    pub name: String,
    /// The metric it predicts.
    pub metric: String,
    /// The formula as text.
    pub formula: String,
    /// Its value, averaged over the replicates that state it.
    pub value: f64,
    /// How it is compared with the metric.
    pub check: Check,
}

/// With no event in n runs, event rates above this over n are excluded at `level` (−ln(1 − level)): the rule of
/// three at 95% (−ln 0.05 ≈ 3), −ln 0.01 ≈ 4.6 at 99%.
fn none_seen_bound(level: Level) -> f64 {
    match level {
        Level::P95 => 3.0,
        Level::P99 => -(0.01f64.ln()),
    }
}

/// One comparison of a simulated metric with its formula.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckResult {
    /// The scenario's name.
    pub scenario: String,
    /// The prediction's name.
    pub analytic: String,
    /// The metric compared.
    pub metric: String,
    /// The formula as text.
    pub formula: String,
    /// How it compares (never [`Check::Reference`]: those are not checked).
    pub check: Check,
    /// The metric over the replicates that report it: mean, sd and 95% interval.
    pub simulated: Summary,
    /// The formula's value ([`AnalyticSummary::value`]).
    pub expected: f64,
    /// Largest allowed |mean - expected|: 0 for exact checks, which compare every run; for a statistical
    /// check the interval's half-width (0 from one value, NaN from none: a metric no run reports, which
    /// fails) plus the slack.
    pub tolerance: f64,
    /// Whether the comparison holds: for an exact check every run that states the value reports the metric
    /// equal to it (within 1e-9 relative), otherwise |mean − expected| ≤ tolerance; never with a value
    /// that is not finite.
    pub pass: bool,
}

impl RunReport {
    /// The report of `runs` of `scenario` (replicates from 0 on).
    pub fn new(scenario: &Scenario, runs: Vec<Outcome>, notes: Vec<String>) -> Self {
        RunReport {
            name: scenario.name.clone(),
            model: scenario.model.kind.clone(),
            seed: scenario.seed,
            first_replicate: 0,
            runs,
            notes,
        }
    }

    /// Values of `metric` over the replicates that report it.
    pub fn values(&self, metric: &str) -> Vec<f64> {
        self.runs.iter().filter_map(|o| o.get(metric)).filter(|v| !v.is_nan()).collect()
    }

    /// Metric names in the order the first replicate reports them.
    pub fn metric_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for run in &self.runs {
            for (n, _) in &run.metrics {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
        names
    }

    /// Every metric's summary over the replicates that report it, in [`RunReport::metric_names`] order.
    pub fn metrics(&self) -> Vec<(String, Summary)> {
        self.metric_names().into_iter().map(|n| (n.clone(), Summary::of(&self.values(&n)))).collect()
    }

    /// Every analytic value stated by some replicate, averaged over those that state it, in the order of
    /// first appearance.
    pub fn analytic(&self) -> Vec<AnalyticSummary> {
        let mut out: Vec<AnalyticSummary> = Vec::new();
        for a in self.runs.iter().flat_map(|r| &r.analytic) {
            if out.iter().any(|x| x.name == a.name) {
                continue;
            }
            let values: Vec<f64> = self
                .runs
                .iter()
                .filter_map(|r| r.analytic.iter().find(|x| x.name == a.name))
                .map(|x| x.value)
                .collect();
            out.push(AnalyticSummary {
                name: a.name.clone(),
                metric: a.metric.clone(),
                formula: a.formula.clone(),
                value: values.iter().sum::<f64>() / values.len() as f64,
                check: a.check,
            });
        }
        out
    }

    /// Series averaged over replicates index by index; a shorter series counts with its last value
    /// (a run that converged early stays converged).
    pub fn series(&self) -> Vec<(String, Vec<f64>)> {
        average(self.runs.iter().map(|r| &r.series), |v, i| v.get(i).or(v.last()).copied())
    }

    /// Distributions averaged over replicates bin by bin; a bin beyond a run's histogram counts as 0.
    pub fn distributions(&self) -> Vec<(String, Vec<f64>)> {
        average(self.runs.iter().map(|r| &r.distributions), |v, i| Some(v.get(i).copied().unwrap_or(0.0)))
    }

    /// Compares every checked analytic value with its simulated metric, on 95% intervals. A comparison
    /// passes only if both sides are finite numbers: a metric no run reports (a misspelt name) or an
    /// infinite expected value fails, whatever the tolerance.
    pub fn checks(&self) -> Vec<CheckResult> {
        self.checks_at(Level::P95)
    }

    /// [`RunReport::checks`] with the statistical checks' intervals at `level` (exact checks are the same
    /// at every level): 95% for `dissem check` and the first stage of a `reproduce` page, 99% for its re-test
    /// (see `exporters::reproduce`).
    pub fn checks_at(&self, level: Level) -> Vec<CheckResult> {
        self.analytic()
            .into_iter()
            .filter(|a| a.check != Check::Reference)
            .map(|a| {
                let simulated = Summary::of(&self.values(&a.metric));
                let (tolerance, pass) = match a.check {
                    Check::Exact => {
                        // Every run that states the value must report the metric, equal to it.
                        let every_run_equal = self.runs.iter().all(|r| {
                            match (r.get(&a.metric), r.analytic.iter().find(|x| x.name == a.name)) {
                                (Some(m), Some(x)) => (m - x.value).abs() <= 1e-9 * x.value.abs().max(1.0),
                                (None, Some(_)) => false,
                                (_, None) => true,
                            }
                        });
                        (0.0, every_run_equal)
                    }
                    Check::WithinCi { rel_slack } => {
                        let tol = level.half_width(simulated.n, simulated.sd) + rel_slack * a.value.abs();
                        (tol, (simulated.mean - a.value).abs() <= tol)
                    }
                    Check::WithinCiCount { rel_slack, unit } => {
                        let resolution = none_seen_bound(level) * unit / simulated.n.max(1) as f64;
                        let tol =
                            level.half_width(simulated.n, simulated.sd).max(resolution) + rel_slack * a.value.abs();
                        (tol, (simulated.mean - a.value).abs() <= tol)
                    }
                    Check::WithinCiInteger => {
                        let f = a.value - a.value.floor();
                        let tol = level.half_width(simulated.n, simulated.sd.max((f * (1.0 - f)).sqrt()));
                        (tol, (simulated.mean - a.value).abs() <= tol)
                    }
                    Check::Reference => unreachable!("filtered above"),
                };
                let pass = pass && a.value.is_finite() && simulated.mean.is_finite() && tolerance.is_finite();
                CheckResult {
                    scenario: self.name.clone(),
                    analytic: a.name,
                    metric: a.metric,
                    formula: a.formula,
                    check: a.check,
                    simulated,
                    expected: a.value,
                    tolerance,
                    pass,
                }
            })
            .collect()
    }
}

/// Averages named vectors over runs, index by index, in order of first appearance; `at` says what a
/// run contributes at an index past its end (None: nothing).
fn average<'a>(
    runs: impl Iterator<Item = &'a Vec<(String, Vec<f64>)>> + Clone,
    at: impl Fn(&Vec<f64>, usize) -> Option<f64>,
) -> Vec<(String, Vec<f64>)> {
    let mut names: Vec<&str> = Vec::new();
    for (n, _) in runs.clone().flatten() {
        if !names.contains(&n.as_str()) {
            names.push(n);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let all: Vec<&Vec<f64>> =
                runs.clone().filter_map(|r| r.iter().find(|(n, _)| n == name).map(|(_, v)| v)).collect();
            let len = all.iter().map(|v| v.len()).max().unwrap_or(0);
            let mean = (0..len)
                .map(|i| {
                    let vals: Vec<f64> = all.iter().filter_map(|v| at(v, i)).collect();
                    vals.iter().sum::<f64>() / vals.len() as f64
                })
                .collect();
            (name.to_owned(), mean)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::Outcome;

    fn report(values: &[f64], check: Check) -> RunReport {
        let runs = values
            .iter()
            .map(|&v| {
                let mut o = Outcome::default();
                o.metric("residual", v).analytic("s", "residual", "formula", 2e-6, check);
                o
            })
            .collect();
        RunReport { name: "t".into(), model: "rumor".into(), seed: 1, first_replicate: 0, runs, notes: Vec::new() }
    }

    #[test]
    fn counting_checks_do_not_collapse_to_zero_width() {
        // 20 runs on N = 10,000 that all leave nobody out: the rule of three bounds the mean by
        // 3/(20·10,000) = 1.5e-5, so a prediction of 2e-6 is consistent; a plain t-interval says width 0.
        let zeros = [0.0; 20];
        assert!(!report(&zeros, Check::WithinCi { rel_slack: 0.0 }).checks()[0].pass);
        let counted = report(&zeros, Check::WithinCiCount { rel_slack: 0.0, unit: 1e-4 }).checks();
        assert!(counted[0].pass);
        assert!((counted[0].tolerance - 1.5e-5).abs() < 1e-12);
        // A prediction far above what zero events in 20 runs allow still fails.
        let far = report(&zeros, Check::WithinCiCount { rel_slack: 0.0, unit: 1e-6 }).checks();
        assert!(!far[0].pass);
    }

    #[test]
    fn integer_checks_allow_the_least_variance_of_an_integer_metric() {
        // 20 runs all at 9 rounds: consistent with E[T] = 9.15 (an integer metric with that mean has sd at
        // least √(0.15·0.85) = 0.357, so 20 equal runs are not unlikely), not with 9.5 or 8.7.
        let nines = [9.0; 20];
        let with = |expected: f64, check: Check, level: Level| {
            let mut r = report(&nines, check);
            for run in &mut r.runs {
                run.analytic[0].value = expected;
            }
            r.checks_at(level)[0].clone()
        };
        assert!(!with(9.15, Check::WithinCi { rel_slack: 0.0 }, Level::P95).pass, "zero width");
        let c = with(9.15, Check::WithinCiInteger, Level::P95);
        assert!(c.pass);
        assert!((c.tolerance - 2.093 * (0.15f64 * 0.85).sqrt() / 20f64.sqrt()).abs() < 1e-9);
        assert!(!with(9.5, Check::WithinCiInteger, Level::P95).pass);
        assert!(!with(8.7, Check::WithinCiInteger, Level::P99).pass);
        assert!(with(9.0, Check::WithinCiInteger, Level::P95).pass, "an integer expectation, met exactly");
        // Runs that vary use their own deviation when it is the larger.
        let mut varied = report(&[8.0, 10.0, 9.0, 11.0], Check::WithinCiInteger);
        for run in &mut varied.runs {
            run.analytic[0].value = 9.5;
        }
        let c = &varied.checks()[0];
        assert!((c.tolerance - c.simulated.half_width()).abs() < 1e-12);
    }

    #[test]
    fn the_99_level_widens_every_statistical_check() {
        let values = [1e-4, 2e-4, 0.0, 1e-4];
        for check in [
            Check::WithinCi { rel_slack: 0.0 },
            Check::WithinCiCount { rel_slack: 0.0, unit: 1e-4 },
            Check::WithinCiInteger,
        ] {
            let r = report(&values, check);
            assert!(r.checks_at(Level::P99)[0].tolerance > r.checks()[0].tolerance, "{check:?}");
        }
        let zeros = report(&[0.0; 20], Check::WithinCiCount { rel_slack: 0.0, unit: 1e-4 });
        assert!((zeros.checks_at(Level::P99)[0].tolerance - 0.01f64.ln().abs() * 1e-4 / 20.0).abs() < 1e-15);
    }

    /// What `dissem check` passed although nothing was compared: a metric no run reports (simulated NaN), an
    /// infinite expected value (`1/0`), NaN on either side.
    #[test]
    fn missing_or_non_finite_values_fail() {
        let with = |metric: &str, simulated: f64, expected: f64, check: Check| {
            let mut o = Outcome::default();
            o.metric("links", simulated).analytic("e", metric, "stated", expected, check);
            RunReport {
                name: "t".into(),
                model: "alm".into(),
                seed: 1,
                first_replicate: 0,
                runs: vec![o.clone(), o],
                notes: Vec::new(),
            }
            .checks()[0]
                .pass
        };
        let slack = Check::WithinCi { rel_slack: 0.1 };
        assert!(with("links", 82.0, 82.0, Check::Exact) && with("links", 82.0, 82.0, slack));
        assert!(!with("linsk", 82.0, 82.0, Check::Exact), "a misspelt metric");
        assert!(!with("linsk", 82.0, 82.0, slack), "a misspelt metric");
        assert!(!with("links", 82.0, f64::INFINITY, Check::Exact), "1/0 expected");
        assert!(!with("links", 82.0, f64::INFINITY, slack), "1/0 expected");
        assert!(!with("links", f64::NAN, 82.0, Check::Exact), "NaN simulated");
        assert!(!with("links", 82.0, f64::NAN, slack), "NaN expected");
    }
}
