//! Descriptive statistics of one metric over a group of records.
//!
//! Every function reads the values in record order and sums sequentially, so
//! the result depends only on the values and their order, never on how the
//! work was split across threads.

use serde::Serialize;

/// Count, mean, sample standard deviation, minimum, maximum and exact median
/// of the finite values of one metric, plus how many values were skipped.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Statistics {
    /// Number of finite values the statistics are computed from.
    pub count: u64,
    /// Arithmetic mean; `None` when `count` is 0.
    #[serde(with = "oed_model::nonfinite::option")]
    pub mean: Option<f64>,
    /// Sample standard deviation (denominator `count - 1`); `None` when
    /// `count` is below 2.
    #[serde(with = "oed_model::nonfinite::option")]
    pub std: Option<f64>,
    #[serde(with = "oed_model::nonfinite::option")]
    pub min: Option<f64>,
    #[serde(with = "oed_model::nonfinite::option")]
    pub max: Option<f64>,
    /// Exact median: the middle value, or the mean of the two middle values
    /// for an even count.
    #[serde(with = "oed_model::nonfinite::option")]
    pub median: Option<f64>,
    /// Records whose value is NaN or infinite, left out of the statistics.
    pub non_finite: u64,
    /// Records without a value (failed runs), left out of the statistics.
    pub missing: u64,
}

impl Statistics {
    /// Computes the statistics of finite `values`, given in record order.
    ///
    /// `values` is reordered in place by the median selection.
    pub(crate) fn compute(values: &mut [f64], non_finite: u64, missing: u64) -> Statistics {
        debug_assert!(values.iter().all(|v| v.is_finite()));
        let mean = mean(values);
        let std = mean.and_then(|mean| sample_std(values, mean));
        let min = values.iter().copied().reduce(f64::min);
        let max = values.iter().copied().reduce(f64::max);
        let median = median(values);
        Statistics {
            count: values.len() as u64,
            mean,
            std,
            min,
            max,
            median,
            non_finite,
            missing,
        }
    }
}

/// Returns the mean, summing with Neumaier's compensation so that a million
/// values lose no more precision than a handful.
fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let count = values.len() as f64;
    let sum = compensated_sum(values.iter().copied());
    if sum.is_finite() {
        return Some(sum / count);
    }
    // The sum overflowed although every value is finite: scale first.
    Some(compensated_sum(values.iter().map(|v| v / count)))
}

/// Returns the sample standard deviation, scaling the deviations by the
/// largest one so that squaring values near `f64::MAX` cannot overflow.
fn sample_std(values: &[f64], mean: f64) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let scale = values
        .iter()
        .map(|v| (v - mean).abs())
        .fold(0.0_f64, f64::max);
    if scale == 0.0 {
        return Some(0.0);
    }
    let squares = compensated_sum(values.iter().map(|v| {
        let scaled = (v - mean) / scale;
        scaled * scaled
    }));
    Some(scale * (squares / (values.len() - 1) as f64).sqrt())
}

/// Returns the exact median, selecting in place.
fn median(values: &mut [f64]) -> Option<f64> {
    let count = values.len();
    if count == 0 {
        return None;
    }
    let middle = count / 2;
    let (lower, upper, _) = values.select_nth_unstable_by(middle, f64::total_cmp);
    let upper = *upper;
    if count % 2 == 1 {
        return Some(upper);
    }
    let lower = lower
        .iter()
        .copied()
        .reduce(f64::max)
        .expect("an even count >= 2");
    Some(midpoint(lower, upper))
}

/// Returns the mean of two finite values without overflowing.
fn midpoint(a: f64, b: f64) -> f64 {
    if a.signum() == b.signum() {
        a + (b - a) / 2.0
    } else {
        (a + b) / 2.0
    }
}

/// Sums with Neumaier's variant of Kahan summation.
fn compensated_sum(values: impl Iterator<Item = f64>) -> f64 {
    let mut sum = 0.0_f64;
    let mut compensation = 0.0_f64;
    for value in values {
        let total = sum + value;
        if sum.abs() >= value.abs() {
            compensation += (sum - total) + value;
        } else {
            compensation += (value - total) + sum;
        }
        sum = total;
    }
    sum + compensation
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(values: &[f64]) -> Statistics {
        Statistics::compute(&mut values.to_vec(), 0, 0)
    }

    #[test]
    fn empty_group_has_only_a_count() {
        let s = stats(&[]);
        assert_eq!(s.count, 0);
        assert_eq!(s.mean, None);
        assert_eq!(s.std, None);
        assert_eq!(s.median, None);
        assert_eq!(s.min, None);
    }

    #[test]
    fn single_value_has_no_std() {
        let s = stats(&[3.5]);
        assert_eq!(s.mean, Some(3.5));
        assert_eq!(s.std, None);
        assert_eq!(s.median, Some(3.5));
    }

    #[test]
    fn known_values() {
        // Mean 5, squared deviations sum to 32, so the sample variance is 32/7.
        let s = stats(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(s.count, 8);
        assert_eq!(s.mean, Some(5.0));
        assert_eq!(s.std, Some((32.0_f64 / 7.0).sqrt()));
        assert_eq!(s.min, Some(2.0));
        assert_eq!(s.max, Some(9.0));
        assert_eq!(s.median, Some(4.5));
    }

    #[test]
    fn median_of_odd_count_is_middle() {
        assert_eq!(stats(&[9.0, 1.0, 5.0]).median, Some(5.0));
    }

    #[test]
    fn median_does_not_overflow() {
        let s = stats(&[f64::MAX, f64::MAX]);
        assert_eq!(s.median, Some(f64::MAX));
        assert_eq!(s.mean, Some(f64::MAX));
    }

    #[test]
    fn std_of_huge_values_is_finite() {
        let s = stats(&[1e300, -1e300, 0.0]);
        assert_eq!(s.mean, Some(0.0));
        assert_eq!(s.std, Some(1e300));
    }

    #[test]
    fn compensated_sum_keeps_small_terms() {
        let values = [1e16, 1.0, -1e16, 1.0];
        assert_eq!(compensated_sum(values.into_iter()), 2.0);
    }
}
