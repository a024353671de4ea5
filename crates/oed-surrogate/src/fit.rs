//! The log marginal likelihood of a GP, its gradient in the log
//! hyperparameters, and the multi-start maximisation.
//!
//! The parameter vector is `[ln l_1, ..., ln l_p, ln s2, ln n2]`: the log length
//! scales, the log signal variance and the log noise variance.

use std::f64::consts::PI;

use nalgebra::{Cholesky, DMatrix, DVector, Dyn};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::gp::Hyperparameters;
use crate::optimise::{self, AscentSettings, Objective};
use crate::{Kernel, linalg};

/// Maximum number of points the hyperparameters are fitted on.
///
/// Each likelihood evaluation costs a Cholesky factorisation and an inverse,
/// O(n^3). Beyond this size a random subsample sets the hyperparameters, and
/// the process still conditions on every point. 128 points are an estimate of
/// enough for at most ten hyperparameters, and keep one evaluation to a few
/// milliseconds.
pub const MAX_FIT_POINTS: usize = 128;

/// Bounds of the log hyperparameters. Features span [0, 1] over the parameter
/// space and outputs are standardised, so these ranges cover every sensible
/// fit: length scales from 1/100 to 100 times a feature's range, signal
/// variance from 1/100 to 100, noise variance from 1e-6 (interpolation) to 2
/// (pure noise).
const LENGTH_SCALE_RANGE: (f64, f64) = (0.01, 100.0);
const SIGNAL_VARIANCE_RANGE: (f64, f64) = (0.01, 100.0);
const NOISE_VARIANCE_RANGE: (f64, f64) = (1e-6, 2.0);

/// Ranges of the random starting points, narrower than the bounds.
const LENGTH_SCALE_STARTS: (f64, f64) = (0.05, 2.0);
const SIGNAL_VARIANCE_STARTS: (f64, f64) = (0.2, 5.0);
const NOISE_VARIANCE_STARTS: (f64, f64) = (1e-4, 0.3);

/// The log marginal likelihood of standardised outputs as a function of the
/// log hyperparameters.
pub(crate) struct MarginalLikelihood<'a> {
    pub kernel: Kernel,
    pub inputs: &'a [Vec<f64>],
    pub targets: &'a DVector<f64>,
}

impl MarginalLikelihood<'_> {
    fn factorise(&self, theta: &[f64]) -> Option<(Hyperparameters, Cholesky<f64, Dyn>)> {
        let hyperparameters = from_log(theta);
        let covariance = covariance_matrix(self.kernel, self.inputs, &hyperparameters);
        let factor = Cholesky::new(covariance)?;
        Some((hyperparameters, factor))
    }
}

impl Objective for MarginalLikelihood<'_> {
    fn value(&self, theta: &[f64]) -> Option<f64> {
        let (_, factor) = self.factorise(theta)?;
        let weights = factor.solve(self.targets);
        Some(log_likelihood(&factor, self.targets, &weights))
    }

    /// Uses `d lml / d theta_j = 1/2 tr((a a^T - K^-1) dK/d theta_j)` with
    /// `a = K^-1 y`.
    fn value_and_gradient(&self, theta: &[f64]) -> Option<(f64, Vec<f64>)> {
        let (hyperparameters, factor) = self.factorise(theta)?;
        let weights = factor.solve(self.targets);
        let value = log_likelihood(&factor, self.targets, &weights);
        let mut residual: DMatrix<f64> = &weights * weights.transpose();
        residual -= linalg::inverse_from_factor(factor.l_dirty());

        let dimension = hyperparameters.length_scales.len();
        let inverse_squares: Vec<f64> = hyperparameters
            .length_scales
            .iter()
            .map(|l| 1.0 / (l * l))
            .collect();
        let signal_variance = hyperparameters.signal_variance;
        let mut gradient = vec![0.0; dimension + 2];

        // Off-diagonal pairs count twice, which cancels the factor 1/2.
        for a in 0..self.inputs.len() {
            for b in 0..a {
                let (xa, xb) = (&self.inputs[a], &self.inputs[b]);
                let r2 = scaled_distance2(xa, xb, &inverse_squares);
                let q = residual[(a, b)];
                let radial = q * signal_variance * self.kernel.radial_factor(r2);
                for i in 0..dimension {
                    let d = xa[i] - xb[i];
                    gradient[i] += radial * d * d * inverse_squares[i];
                }
                gradient[dimension] += q * signal_variance * self.kernel.correlation(r2);
            }
        }
        let trace = residual.trace();
        gradient[dimension] += 0.5 * signal_variance * trace;
        gradient[dimension + 1] = 0.5 * hyperparameters.noise_variance * trace;
        Some((value, gradient))
    }
}

/// Returns the covariance of the inputs: the kernel plus the noise variance on
/// the diagonal.
pub(crate) fn covariance_matrix(
    kernel: Kernel,
    inputs: &[Vec<f64>],
    hyperparameters: &Hyperparameters,
) -> DMatrix<f64> {
    let n = inputs.len();
    let inverse_squares: Vec<f64> = hyperparameters
        .length_scales
        .iter()
        .map(|l| 1.0 / (l * l))
        .collect();
    let signal_variance = hyperparameters.signal_variance;
    let mut covariance = DMatrix::zeros(n, n);
    for a in 0..n {
        for b in 0..a {
            let r2 = scaled_distance2(&inputs[a], &inputs[b], &inverse_squares);
            let value = signal_variance * kernel.correlation(r2);
            covariance[(a, b)] = value;
            covariance[(b, a)] = value;
        }
        covariance[(a, a)] = signal_variance + hyperparameters.noise_variance;
    }
    covariance
}

/// Returns `-1/2 y^T K^-1 y - 1/2 ln det K - n/2 ln 2 pi` from the factor of K
/// and `weights = K^-1 y`.
pub(crate) fn log_likelihood(
    factor: &Cholesky<f64, Dyn>,
    targets: &DVector<f64>,
    weights: &DVector<f64>,
) -> f64 {
    let n = targets.len() as f64;
    let half_log_det: f64 = factor.l_dirty().diagonal().iter().map(|d| d.ln()).sum();
    -0.5 * targets.dot(weights) - half_log_det - 0.5 * n * (2.0 * PI).ln()
}

/// Returns `sum_i (a_i - b_i)^2 / l_i^2`, given the `1 / l_i^2`.
pub(crate) fn scaled_distance2(a: &[f64], b: &[f64], inverse_squares: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .zip(inverse_squares)
        .map(|((a, b), w)| (a - b) * (a - b) * w)
        .sum()
}

/// Returns the indices of the points to fit hyperparameters on: all of them,
/// or a sorted random subset of [`MAX_FIT_POINTS`].
pub(crate) fn fitting_subset(points: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    if points <= MAX_FIT_POINTS {
        return (0..points).collect();
    }
    let mut subset = rand::seq::index::sample(rng, points, MAX_FIT_POINTS).into_vec();
    subset.sort_unstable();
    subset
}

/// Maximises the likelihood from `restarts` starting points (at least one) and
/// returns the best hyperparameters. The first start is
/// [`Hyperparameters::initial`] and the others are drawn from `rng`. Ties keep
/// the earlier start.
pub(crate) fn maximise_likelihood(
    objective: &MarginalLikelihood<'_>,
    dimension: usize,
    restarts: usize,
    rng: &mut ChaCha8Rng,
) -> Hyperparameters {
    let (lower, upper) = log_bounds(dimension);
    let mut starts = vec![to_log(&Hyperparameters::initial(dimension))];
    for _ in 1..restarts.max(1) {
        starts.push(random_start(dimension, rng));
    }

    let mut best: Option<(Vec<f64>, f64)> = None;
    for start in &starts {
        let result =
            optimise::maximise(objective, start, &lower, &upper, AscentSettings::default());
        let Some((theta, value)) = result else {
            continue;
        };
        tracing::trace!(value, ?theta, "likelihood ascent finished");
        if best
            .as_ref()
            .is_none_or(|(_, best_value)| value > *best_value)
        {
            best = Some((theta, value));
        }
    }
    match best {
        Some((theta, _)) => from_log(&theta),
        // Every start failed to factorise, so fall back to the initial values,
        // whose noise variance of 0.01 keeps the covariance well conditioned.
        None => Hyperparameters::initial(dimension),
    }
}

fn log_bounds(dimension: usize) -> (Vec<f64>, Vec<f64>) {
    let mut lower = vec![LENGTH_SCALE_RANGE.0.ln(); dimension];
    let mut upper = vec![LENGTH_SCALE_RANGE.1.ln(); dimension];
    lower.extend([SIGNAL_VARIANCE_RANGE.0.ln(), NOISE_VARIANCE_RANGE.0.ln()]);
    upper.extend([SIGNAL_VARIANCE_RANGE.1.ln(), NOISE_VARIANCE_RANGE.1.ln()]);
    (lower, upper)
}

fn random_start(dimension: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mut log_uniform = |(low, high): (f64, f64)| rng.random_range(low.ln()..high.ln());
    let mut start: Vec<f64> = (0..dimension)
        .map(|_| log_uniform(LENGTH_SCALE_STARTS))
        .collect();
    start.push(log_uniform(SIGNAL_VARIANCE_STARTS));
    start.push(log_uniform(NOISE_VARIANCE_STARTS));
    start
}

fn to_log(hyperparameters: &Hyperparameters) -> Vec<f64> {
    let mut theta: Vec<f64> = hyperparameters
        .length_scales
        .iter()
        .map(|l| l.ln())
        .collect();
    theta.push(hyperparameters.signal_variance.ln());
    theta.push(hyperparameters.noise_variance.ln());
    theta
}

fn from_log(theta: &[f64]) -> Hyperparameters {
    let dimension = theta.len() - 2;
    Hyperparameters {
        length_scales: theta[..dimension].iter().map(|t| t.exp()).collect(),
        signal_variance: theta[dimension].exp(),
        noise_variance: theta[dimension + 1].exp(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the analytic gradient against central differences of the value.
    #[test]
    fn likelihood_gradient_matches_finite_difference() {
        let inputs: Vec<Vec<f64>> = (0..12)
            .map(|i| {
                let t = i as f64 / 11.0;
                vec![t, (7.0 * t).fract(), (3.0 * t * t).fract()]
            })
            .collect();
        let targets = DVector::from_iterator(
            inputs.len(),
            inputs
                .iter()
                .map(|x| (4.0 * x[0]).sin() - x[1] + 0.3 * x[2]),
        );
        let theta = [
            0.4_f64.ln(),
            0.9_f64.ln(),
            0.2_f64.ln(),
            1.3_f64.ln(),
            0.05_f64.ln(),
        ];
        for kernel in [Kernel::Matern52, Kernel::Rbf] {
            let objective = MarginalLikelihood {
                kernel,
                inputs: &inputs,
                targets: &targets,
            };
            let (_, gradient) = objective.value_and_gradient(&theta).unwrap();
            for j in 0..theta.len() {
                let h = 1e-5;
                let mut up = theta;
                let mut down = theta;
                up[j] += h;
                down[j] -= h;
                let expected =
                    (objective.value(&up).unwrap() - objective.value(&down).unwrap()) / (2.0 * h);
                assert!(
                    (gradient[j] - expected).abs() < 1e-5 * (1.0 + expected.abs()),
                    "{kernel} parameter {j}: {} vs {expected}",
                    gradient[j]
                );
            }
        }
    }

    #[test]
    fn subset_is_everything_below_the_cap() {
        let mut rng = rand::SeedableRng::seed_from_u64(0);
        assert_eq!(fitting_subset(5, &mut rng), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn subset_above_the_cap_is_sorted_and_distinct() {
        let mut rng = rand::SeedableRng::seed_from_u64(0);
        let subset = fitting_subset(1000, &mut rng);
        assert_eq!(subset.len(), MAX_FIT_POINTS);
        assert!(subset.windows(2).all(|w| w[0] < w[1]));
        assert!(subset.iter().all(|&i| i < 1000));
    }
}
