//! Link model: latency distributions, message loss, and message counters.

use crate::Time;
use crate::rng::{Rng, below, chance, unit};

/// How long a message takes on a link, in integer time units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Latency {
    Constant(Time),
    /// Uniform on the integers `min..=max`.
    Uniform {
        min: Time,
        max: Time,
    },
    /// Exponential with the given mean, rounded up to an integer.
    Exponential {
        mean: f64,
    },
    /// The weight of the edge the message crosses.
    EdgeWeight,
}

impl Latency {
    /// A delay bound that covers most samples; sizes the event queue's wheel. For edge weights, a guess that
    /// the engine replaces by the graph's largest weight.
    pub fn horizon(&self) -> u64 {
        match *self {
            Latency::Constant(t) => t + 1,
            Latency::Uniform { max, .. } => max + 1,
            Latency::Exponential { mean } => (mean * 8.0).ceil() as u64 + 1,
            Latency::EdgeWeight => 1 << 12,
        }
    }

    /// The smallest delay a message can take, `min_weight` being the smallest edge weight (what a sample
    /// of [`Latency::EdgeWeight`] can be). An exponential delay may round to 0.
    pub fn min_delay(&self, min_weight: u32) -> Time {
        match *self {
            Latency::Constant(t) => t,
            Latency::Uniform { min, .. } => min,
            Latency::Exponential { .. } => 0,
            Latency::EdgeWeight => Time::from(min_weight),
        }
    }

    /// The longest delay a message can take, `max_weight` being the largest edge weight; none for an
    /// exponential delay, which has no bound.
    pub fn max_delay(&self, max_weight: u32) -> Option<Time> {
        match *self {
            Latency::Constant(t) => Some(t),
            Latency::Uniform { max, .. } => Some(max),
            Latency::Exponential { .. } => None,
            Latency::EdgeWeight => Some(Time::from(max_weight)),
        }
    }

    #[inline(always)]
    pub fn sample(&self, rng: &mut (impl Rng + ?Sized), edge_weight: u32) -> Time {
        match *self {
            Latency::Constant(t) => t,
            Latency::Uniform { min, max } => {
                let span = max - min + 1;
                if span <= u64::from(u32::MAX) {
                    min + u64::from(below(rng, span as u32))
                } else {
                    min + rng_u64(rng) % span
                }
            }
            Latency::Exponential { mean } => (-(1.0 - unit(rng)).ln() * mean).ceil() as Time,
            Latency::EdgeWeight => Time::from(edge_weight),
        }
    }
}

fn rng_u64(rng: &mut (impl Rng + ?Sized)) -> u64 {
    rng.next_u64()
}

/// Latency and loss applied to every message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Network {
    pub latency: Latency,
    /// Probability that a message is lost in transit.
    pub loss: f64,
}

impl Default for Network {
    fn default() -> Self {
        Network { latency: Latency::Constant(1), loss: 0.0 }
    }
}

/// Message totals of a run.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub sent: u64,
    pub delivered: u64,
    /// Messages lost in transit (sent, never delivered).
    pub dropped: u64,
}

/// Whether a message survives the link.
#[inline]
pub(crate) fn survives(network: &Network, rng: &mut (impl Rng + ?Sized)) -> bool {
    network.loss <= 0.0 || !chance(rng, network.loss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Lane, stream};

    #[test]
    fn uniform_latency_stays_in_bounds_and_exponential_mean_is_close() {
        let mut rng = stream(3, 0, Lane::Network);
        let u = Latency::Uniform { min: 5, max: 9 };
        assert!((0..1000).map(|_| u.sample(&mut rng, 1)).all(|t| (5..=9).contains(&t)));
        let e = Latency::Exponential { mean: 20.0 };
        let n = 20_000;
        let mean = (0..n).map(|_| e.sample(&mut rng, 1) as f64).sum::<f64>() / n as f64;
        // ceil adds 0.5 on average; sd of the mean is 20/sqrt(20000) ≈ 0.14, so ±0.7 is 5 sd.
        assert!((mean - 20.5).abs() < 0.7, "{mean}");
    }
}
