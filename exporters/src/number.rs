//! Number formatting shared by every exporter: [`fmt_num`] for values read by people, [`fmt_mean_ci`] for a
//! mean with its confidence interval (rounded to what the interval resolves), [`fmt_exact`] for files read by
//! programs (every bit kept).

/// Integers print without a fraction; other values with six significant digits; NaN as `nan`.
pub fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == x.trunc() && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-4..15).contains(&magnitude) {
        return format!("{x:.5e}");
    }
    let decimals = (5 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    // Only a fraction loses its trailing zeros (129560 stays 129560).
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
}

/// The shortest text that reads back as the same `f64` (CSV files: nothing is lost between runs and
/// analysis), in plain notation from 1e-5 to 1e16 and in exponent notation (`1.5e-7`) beyond; `nan`, `inf`.
pub fn fmt_exact(x: f64) -> String {
    if !x.is_finite() {
        return fmt_num(x);
    }
    let a = x.abs();
    if a == 0.0 || (1e-5..1e16).contains(&a) { format!("{x}") } else { format!("{x:e}") }
}

/// `x` rounded to `places` decimal places; a negative `places` rounds to tens (-1), hundreds (-2), ….
fn round_to(x: f64, places: i32) -> f64 {
    if places >= 0 {
        let f = 10f64.powi(places);
        (x * f).round() / f
    } else {
        let f = 10f64.powi(-places);
        (x / f).round() * f
    }
}

/// The decimal places that show a confidence half-width to two significant digits (0.000487 → 5, 0.0995 → 2
/// as it rounds to 0.10, 316 → -1); None for a half-width that is 0, negative or not finite.
pub fn ci_places(half: f64) -> Option<i32> {
    if !(half.is_finite() && half > 0.0) {
        return None;
    }
    let places = 1 - half.log10().floor() as i32;
    // Rounding may carry into a third digit (0.0995 → 0.100): one place fewer then.
    Some(if round_to(half, places) >= 10f64.powi(2 - places) { places - 1 } else { places })
}

/// `x` written with `places` decimal places (rounded to tens, hundreds, … when negative).
pub fn fmt_places(x: f64, places: i32) -> String {
    if !x.is_finite() {
        return fmt_num(x);
    }
    let text = format!("{:.*}", places.max(0) as usize, round_to(x, places));
    if text.starts_with('-') && text.trim_start_matches(['-', '0', '.']).is_empty() {
        text[1..].to_owned()
    } else {
        text
    }
}

/// A mean with the half-width of its 95% confidence interval, as a scientist writes it: the half-width to
/// two significant digits and the mean to the same decimal place (0.20326 ± 0.00049, 1230 ± 320). Where the
/// interval says nothing about the digits (a half-width of 0, or one beyond what an f64 resolves beside
/// the mean) both are written as [`fmt_num`] does.
pub fn fmt_mean_ci(mean: f64, half: f64) -> String {
    let magnitude = if mean == 0.0 || !mean.is_finite() { 0 } else { mean.abs().log10().floor() as i32 };
    match ci_places(half) {
        Some(places) if mean.is_finite() && magnitude + places < 16 => {
            format!("{} ± {}", fmt_places(mean, places), fmt_places(half, places))
        }
        _ => format!("{} ± {}", fmt_num(mean), fmt_num(half)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_are_rounded_to_their_interval() {
        assert_eq!(fmt_mean_ci(0.203256, 0.000487533), "0.20326 ± 0.00049");
        assert_eq!(fmt_mean_ci(0.5, 0.0995), "0.50 ± 0.10");
        assert_eq!(fmt_mean_ci(1234.5, 316.0), "1230 ± 320");
        assert_eq!(fmt_mean_ci(223.5, 387.1), "220 ± 390");
        assert_eq!(fmt_mean_ci(12.0, 0.0), "12 ± 0");
        assert_eq!(fmt_mean_ci(-0.0001, 0.02), "0.000 ± 0.020");
        assert_eq!(fmt_mean_ci(f64::NAN, 0.1), "nan ± 0.1");
        assert_eq!(fmt_mean_ci(1e6, 1e-12), "1000000 ± 1.00000e-12");
    }

    #[test]
    fn exact_text_reads_back_bit_for_bit() {
        for x in
            [0.1 + 0.2, 1.0 / 3.0, 129560.2, 7000001.0, 1e-7, 2.5e20, -0.000487533, 0.0, f64::MAX, f64::MIN_POSITIVE]
        {
            assert_eq!(fmt_exact(x).parse::<f64>().unwrap(), x, "{x}");
        }
        assert_eq!(fmt_exact(0.30000000000000004), "0.30000000000000004");
        assert_eq!(fmt_exact(3.0), "3");
        assert_eq!(fmt_exact(1.5e-7), "1.5e-7");
        assert_eq!(fmt_exact(f64::NAN), "nan");
    }

    #[test]
    fn formats() {
        assert_eq!(fmt_num(7000001.0), "7000001");
        assert_eq!(fmt_num(0.2031880), "0.203188");
        assert_eq!(fmt_num(1.5527), "1.5527");
        assert_eq!(fmt_num(123456.789), "123457");
        assert_eq!(fmt_num(129560.2), "129560");
        assert_eq!(fmt_num(0.000012345), "1.23450e-5");
        assert_eq!(fmt_num(f64::NAN), "nan");
    }
}
