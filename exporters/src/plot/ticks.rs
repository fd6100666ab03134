//! Axis ticks: where they go and how they read. Every axis gets at least two labelled ticks, all written in
//! one format (plain numbers with the same decimals, or powers of ten, or plain numbers with a common
//! ×10ⁿ factor named in the axis label), and an axis whose data are all integers gets no fractional ticks.

use crate::number::fmt_num;

/// The span of an axis and how values map onto it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
}

impl Scale {
    /// Position of `v` along the axis, 0 at `lo` and 1 at `hi`.
    pub fn unit(&self, v: f64) -> f64 {
        if self.log { (v / self.lo).ln() / (self.hi / self.lo).ln() } else { (v - self.lo) / (self.hi - self.lo) }
    }
}

/// The ticks of one axis.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ticks {
    /// Labelled ticks: value and label.
    pub major: Vec<(f64, String)>,
    /// Unlabelled ticks (the decades between labelled ones, 2..9 within a decade).
    pub minor: Vec<f64>,
    /// A factor every label is to be multiplied by (`×10⁶`), for the axis label.
    pub factor: Option<String>,
}

/// The densest ticks of `scale` whose labels `fit` (called with the labelled ticks), at least two of them.
/// `integer`: the data are whole numbers, so a linear axis gets no fractional ticks; the caller widens such an
/// axis until it holds two integers.
pub fn choose(scale: &Scale, integer: bool, fit: impl Fn(&Ticks) -> bool) -> Ticks {
    let candidates = if scale.log { log_candidates(scale) } else { linear_candidates(scale.lo, scale.hi, integer) };
    let usable: Vec<Ticks> = candidates.into_iter().filter(|t| t.major.len() >= 2).collect();
    let fallback = usable.last().cloned().unwrap_or_default();
    usable.into_iter().find(|t| fit(t)).unwrap_or(fallback)
}

/// Ticks at multiples of 1, 2 and 5 × 10^k, densest first.
fn linear_candidates(lo: f64, hi: f64, integer: bool) -> Vec<Ticks> {
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return Vec::new();
    }
    let first = (span / 15.0).log10().floor() as i32;
    let mut out = Vec::new();
    for k in first..=first + 3 {
        for m in [1.0, 2.0, 5.0] {
            let step = m * 10f64.powi(k);
            if integer && step < 1.0 {
                continue;
            }
            let values: Vec<f64> =
                ((lo / step).ceil() as i64..=(hi / step).floor() as i64).map(|i| i as f64 * step).collect();
            out.push(linear_labels(&values, step));
        }
    }
    out
}

/// Labels with the decimals of the step; beyond 10⁵ or below 10⁻³ the values are divided by a common power
/// of ten, which the axis label names.
fn linear_labels(values: &[f64], step: f64) -> Ticks {
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let exponent = if largest >= 1e5 || (largest > 0.0 && largest < 1e-3) { largest.log10().floor() as i32 } else { 0 };
    let unit = 10f64.powi(exponent);
    let decimals = (-(step / unit).log10().floor()).max(0.0) as usize;
    let major = values
        .iter()
        .map(|&v| {
            let text = format!("{:.decimals$}", v / unit);
            // No "-0.0" where a tick rounds to zero.
            (v, if text.trim_start_matches(['-', '0', '.']).is_empty() { text.replace('-', "") } else { text })
        })
        .collect();
    let factor = (exponent != 0).then(|| format!("×{}", power_of_ten(exponent)));
    Ticks { major, minor: Vec::new(), factor }
}

/// Decades (every one, then every 2nd, 3rd, 5th, …); within less than two decades 1-2-5 steps, then 1..9.
fn log_candidates(scale: &Scale) -> Vec<Ticks> {
    let (lo, hi) = (scale.lo, scale.hi);
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Vec::new();
    }
    let inside = |v: f64| v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9);
    let first = lo.log10().floor() as i32;
    let last = hi.log10().ceil() as i32;
    let decades: Vec<i32> = (first..=last).filter(|&e| inside(10f64.powi(e))).collect();
    let within = |mantissas: &[f64]| -> Vec<f64> {
        (first..=last).flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e))).filter(|&v| inside(v)).collect()
    };
    let mut out = Vec::new();
    for stride in [1, 2, 3, 4, 5, 10, 20, 50] {
        let (labelled, other): (Vec<i32>, Vec<i32>) = decades.iter().partition(|e| e.rem_euclid(stride) == 0);
        let mut minor: Vec<f64> = other.iter().map(|&e| 10f64.powi(e)).collect();
        if stride == 1 && decades.len() <= 4 {
            minor = within(&[2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        }
        let values: Vec<f64> = labelled.iter().map(|&e| 10f64.powi(e)).collect();
        out.push(Ticks { major: log_labels(&values), minor, factor: None });
    }
    // Over a few decades, steps of 1, 2 and 5 first; within one, every digit first.
    let one_two_five = Ticks {
        major: log_labels(&within(&[1.0, 2.0, 5.0])),
        minor: within(&[3.0, 4.0, 6.0, 7.0, 8.0, 9.0]),
        factor: None,
    };
    if decades.len() < 2 {
        let every_digit = within(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        out.splice(0..0, [Ticks { major: log_labels(&every_digit), minor: Vec::new(), factor: None }, one_two_five]);
        // A span of less than a factor of two: linear steps placed on the log axis.
        out.extend(linear_candidates(lo, hi, false));
    } else if decades.len() <= 3 {
        out.insert(0, one_two_five);
    }
    out
}

/// Plain numbers when every tick lies in [10⁻³, 10⁵), powers of ten (with a mantissa where needed) otherwise.
fn log_labels(values: &[f64]) -> Vec<(f64, String)> {
    let plain = values.iter().all(|v| (1e-3..1e5).contains(v));
    values
        .iter()
        .map(|&v| {
            if plain {
                return (v, fmt_num(v));
            }
            let e = v.log10().floor() as i32;
            let mantissa = (v / 10f64.powi(e) * 100.0).round() / 100.0;
            let text =
                if mantissa == 1.0 { power_of_ten(e) } else { format!("{}×{}", fmt_num(mantissa), power_of_ten(e)) };
            (v, text)
        })
        .collect()
}

/// `10⁻⁴`, `10¹²`.
pub fn power_of_ten(e: i32) -> String {
    const SUPERSCRIPT: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let digits = e.unsigned_abs().to_string();
    let sign = if e < 0 { "⁻" } else { "" };
    format!("10{sign}{}", digits.bytes().map(|d| SUPERSCRIPT[usize::from(d - b'0')]).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &Ticks) -> Vec<&str> {
        t.major.iter().map(|(_, l)| l.as_str()).collect()
    }

    fn densest(lo: f64, hi: f64, log: bool, integer: bool, most: usize) -> Ticks {
        choose(&Scale { lo, hi, log }, integer, |t| t.major.len() <= most)
    }

    #[test]
    fn linear_ticks_share_their_decimals() {
        assert_eq!(labels(&densest(0.82, 1.01, false, false, 6)), ["0.85", "0.90", "0.95", "1.00"]);
        assert_eq!(labels(&densest(-0.5, 10.5, false, false, 6)), ["0", "2", "4", "6", "8", "10"]);
    }

    #[test]
    fn large_linear_values_share_one_power_of_ten() {
        let t = densest(-5e4, 1.25e6, false, false, 8);
        assert_eq!(labels(&t), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0", "1.2"]);
        assert_eq!(t.factor.as_deref(), Some("×10⁶"));
        let t = densest(60_000.0, 125_000.0, false, false, 8);
        assert_eq!(labels(&t), ["0.6", "0.7", "0.8", "0.9", "1.0", "1.1", "1.2"], "not 80000 beside 1.2×10⁵");
    }

    #[test]
    fn integer_axes_have_no_fractional_ticks() {
        let t = densest(0.7, 3.3, false, true, 20);
        assert_eq!(labels(&t), ["1", "2", "3"]);
        assert!(choose(&Scale { lo: 4800.4, hi: 4801.6, log: false }, true, |_| true).major.is_empty());
    }

    #[test]
    fn log_ticks_are_decades_in_one_notation() {
        assert_eq!(labels(&densest(50.0, 2e6, true, false, 10)), ["10²", "10³", "10⁴", "10⁵", "10⁶"]);
        assert_eq!(
            labels(&densest(0.002, 0.5, true, false, 8)),
            ["0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5"]
        );
        assert_eq!(labels(&densest(0.002, 0.5, true, false, 3)), ["0.01", "0.1"], "decades where 1-2-5 is too dense");
        let sparse = densest(1e-17, 0.2, true, false, 9);
        assert_eq!(labels(&sparse), ["10⁻¹⁶", "10⁻¹⁴", "10⁻¹²", "10⁻¹⁰", "10⁻⁸", "10⁻⁶", "10⁻⁴", "10⁻²"]);
        assert!(sparse.minor.contains(&1e-15), "the other decades are minor ticks");
    }

    #[test]
    fn short_log_axes_get_steps_within_a_decade() {
        assert_eq!(labels(&densest(1.5, 9.0, true, false, 3)), ["2", "5"]);
        assert_eq!(labels(&densest(2.5, 4.5, true, false, 10)), ["3", "4"]);
        assert!(densest(1.01, 1.05, true, false, 10).major.len() >= 2);
    }

    #[test]
    fn powers_of_ten_in_superscript() {
        assert_eq!(power_of_ten(7), "10⁷");
        assert_eq!(power_of_ten(-14), "10⁻¹⁴");
    }
}
