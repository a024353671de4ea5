//! Number formatting for people.

use oed_model::nonfinite;

/// Formats a value with four significant digits: fixed-point between 0.001
/// and 100000, exponent form outside, and non-finite values as in the
/// manifest (`NaN`, `Infinity`, `-Infinity`).
pub fn format_significant(value: f64) -> String {
    if let Some(name) = nonfinite::non_finite_name(value) {
        return name.to_string();
    }
    if value == 0.0 {
        return "0".to_string();
    }
    let magnitude = value.abs();
    if !(1e-3..1e5).contains(&magnitude) {
        return format!("{value:.3e}");
    }
    let digits_before_point = magnitude.log10().floor() as i32 + 1;
    let decimals = (4 - digits_before_point).max(0) as usize;
    format!("{value:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(format_significant(22.794925689697266), "22.79");
        assert_eq!(format_significant(0.00046580052003264427), "4.658e-4");
        assert_eq!(format_significant(0.0027696143370121717), "0.002770");
        assert_eq!(format_significant(1.0), "1.000");
        assert_eq!(format_significant(12345.6), "12346");
        assert_eq!(format_significant(-0.5), "-0.5000");
        assert_eq!(format_significant(1e308), "1.000e308");
        assert_eq!(format_significant(0.0), "0");
        assert_eq!(format_significant(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(format_significant(f64::NAN), "NaN");
    }
}
