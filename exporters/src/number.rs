//! Number formatting shared by every exporter.

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

#[cfg(test)]
mod tests {
    use super::fmt_num;

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
