//! Summary statistics over replicates: mean, sample standard deviation and a Student-t 95% interval.

/// Mean, standard deviation and 95% confidence interval of a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub ci95: (f64, f64),
}

impl Summary {
    /// Summarises `xs`; NaN values are not expected (callers filter undefined observations first).
    pub fn of(xs: &[f64]) -> Summary {
        let n = xs.len();
        if n == 0 {
            return Summary { n, mean: f64::NAN, sd: f64::NAN, ci95: (f64::NAN, f64::NAN) };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Summary { n, mean, sd: 0.0, ci95: (mean, mean) };
        }
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let sd = var.sqrt();
        let half = t_quantile_975(n - 1) * sd / (n as f64).sqrt();
        Summary { n, mean, sd, ci95: (mean - half, mean + half) }
    }

    /// Half-width of the 95% interval.
    pub fn half_width(&self) -> f64 {
        (self.ci95.1 - self.ci95.0) / 2.0
    }
}

/// Value at quantile `q` of a sorted sample (nearest rank: the smallest value with at least a fraction `q` of
/// the sample at or below it); NaN when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// 0.975 quantile of Student's t with `df` degrees of freedom (exact table to 30, then the
/// Cornish-Fisher expansion around the normal quantile, accurate to 1e-4 there).
pub fn t_quantile_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    t_quantile(&TABLE, 1.959_963_984_540_054, df)
}

/// 0.995 quantile of Student's t with `df` degrees of freedom (the 99% interval's), computed as
/// [`t_quantile_975`].
pub fn t_quantile_995(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169, 3.106, 3.055, 3.012, 2.977, 2.947,
        2.921, 2.898, 2.878, 2.861, 2.845, 2.831, 2.819, 2.807, 2.797, 2.787, 2.779, 2.771, 2.763, 2.756, 2.750,
    ];
    t_quantile(&TABLE, 2.575_829_303_548_901, df)
}

/// Student's t quantile from its `table` for 1..=30 degrees of freedom, then the Cornish-Fisher expansion
/// around `z`, the normal quantile of the same level.
fn t_quantile(table: &[f64; 30], z: f64, df: usize) -> f64 {
    if df == 0 {
        return f64::INFINITY;
    }
    if df <= 30 {
        return table[df - 1];
    }
    let v = df as f64;
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_is_nearest_rank() {
        let xs = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&xs, 0.5), 2.0);
        assert_eq!(quantile(&xs, 0.9), 4.0);
        assert_eq!(quantile(&xs, 0.0), 1.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn summary_of_known_sample() {
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        assert!((s.sd - 1.290_994_448_7).abs() < 1e-9);
        // t(3) = 3.182: half-width 3.182 * 1.2910 / 2 = 2.0540.
        assert!((s.half_width() - 2.054_02).abs() < 1e-4);
    }

    #[test]
    fn t_quantile_is_continuous_past_the_table() {
        assert!((t_quantile_975(31) - 2.0395).abs() < 1e-3);
        assert!((t_quantile_975(120) - 1.9799).abs() < 1e-3);
        assert!((t_quantile_975(1_000_000) - 1.95996).abs() < 1e-4);
        // t(31), t(40), t(120) at 0.995 from published tables.
        assert!((t_quantile_995(31) - 2.7440).abs() < 1e-3);
        assert!((t_quantile_995(40) - 2.7045).abs() < 1e-3);
        assert!((t_quantile_995(120) - 2.6174).abs() < 1e-3);
        assert!((t_quantile_995(1_000_000) - 2.57583).abs() < 1e-4);
    }
}
