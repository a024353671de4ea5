use nalgebra::{Cholesky, DMatrix, DVector, Dyn};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::fit::{self, MarginalLikelihood};
use crate::{Kernel, SurrogateError, linalg};

/// Fewer finite training points than this give a prior-only process.
pub const MIN_TRAINING_POINTS: usize = 2;

/// Kernel hyperparameters, in the units of the standardised outputs (zero
/// mean, unit standard deviation over the training points).
#[derive(Clone, Debug, PartialEq)]
pub struct Hyperparameters {
    /// One length scale per input feature.
    pub length_scales: Vec<f64>,
    /// Variance of the latent function.
    pub signal_variance: f64,
    /// Variance of the observation noise.
    pub noise_variance: f64,
}

impl Hyperparameters {
    /// Returns the starting point of the fit: every length scale 0.5 (half the
    /// unit range of a feature), unit signal variance and noise variance 0.01.
    pub fn initial(dimension: usize) -> Hyperparameters {
        Hyperparameters {
            length_scales: vec![0.5; dimension],
            signal_variance: 1.0,
            noise_variance: 0.01,
        }
    }
}

/// A Gaussian-process regression model of one scalar output.
///
/// Outputs are standardised to zero mean and unit standard deviation before
/// fitting, and predictions are returned in the original units. The kernel's
/// length scales, signal variance and noise variance maximise the log marginal
/// likelihood (see [`GaussianProcess::fit`]). With fewer than
/// [`MIN_TRAINING_POINTS`] points the process is prior-only: it conditions on
/// nothing, predicts the mean of the given outputs (0 without any) and the
/// prior variance everywhere, and uses [`Hyperparameters::initial`].
#[derive(Clone, Debug)]
pub struct GaussianProcess {
    kernel: Kernel,
    hyperparameters: Hyperparameters,
    dimension: usize,
    inputs: Vec<Vec<f64>>,
    /// Standardised outputs of `inputs`.
    targets: DVector<f64>,
    output_mean: f64,
    output_scale: f64,
    /// Cholesky factor of the training covariance; `None` when prior-only.
    factor: Option<Cholesky<f64, Dyn>>,
    /// `K^-1 targets`, the weights of the predictive mean.
    weights: DVector<f64>,
    log_marginal_likelihood: f64,
}

impl GaussianProcess {
    /// Fits a process to the rows of `x` and the outputs `y`.
    ///
    /// The hyperparameters maximise the log marginal likelihood by projected
    /// gradient ascent from `restarts` starting points (at least one): the
    /// first is [`Hyperparameters::initial`], the rest are drawn from a
    /// ChaCha8 stream seeded with `seed`, so the fit is deterministic. With more
    /// than [`crate::MAX_FIT_POINTS`] points the hyperparameters are fitted on a
    /// subsample of that size, drawn from the same stream, and the process then
    /// conditions on every point.
    ///
    /// Rows must all have the same length and every value must be finite.
    pub fn fit(
        x: &[Vec<f64>],
        y: &[f64],
        kernel: Kernel,
        restarts: usize,
        seed: u64,
    ) -> Result<GaussianProcess, SurrogateError> {
        let dimension = check_training_data(x, y)?;
        if x.len() < MIN_TRAINING_POINTS {
            return Ok(GaussianProcess::prior(dimension, kernel, mean(y)));
        }

        let (output_mean, output_scale) = standardisation(y);
        let targets: Vec<f64> = y.iter().map(|v| (v - output_mean) / output_scale).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let subset = fit::fitting_subset(x.len(), &mut rng);
        let fit_inputs: Vec<Vec<f64>> = subset.iter().map(|&i| x[i].clone()).collect();
        let fit_targets = DVector::from_iterator(subset.len(), subset.iter().map(|&i| targets[i]));
        let objective = MarginalLikelihood {
            kernel,
            inputs: &fit_inputs,
            targets: &fit_targets,
        };
        let hyperparameters = fit::maximise_likelihood(&objective, dimension, restarts, &mut rng);

        GaussianProcess::condition(
            kernel,
            hyperparameters,
            x.to_vec(),
            DVector::from_vec(targets),
            (output_mean, output_scale),
        )
    }

    /// Conditions a process with fixed hyperparameters (in standardised units)
    /// on the rows of `x` and the outputs `y`, without fitting anything.
    pub fn with_hyperparameters(
        x: &[Vec<f64>],
        y: &[f64],
        kernel: Kernel,
        hyperparameters: Hyperparameters,
    ) -> Result<GaussianProcess, SurrogateError> {
        let dimension = check_training_data(x, y)?;
        if hyperparameters.length_scales.len() != dimension {
            return Err(SurrogateError::invalid_training_data(format!(
                "{} length scales for {dimension} input features",
                hyperparameters.length_scales.len()
            )));
        }
        let (output_mean, output_scale) = standardisation(y);
        let targets = y.iter().map(|v| (v - output_mean) / output_scale);
        GaussianProcess::condition(
            kernel,
            hyperparameters,
            x.to_vec(),
            DVector::from_iterator(y.len(), targets),
            (output_mean, output_scale),
        )
    }

    /// Returns a process that has seen no data: mean `output_mean`, unit
    /// variance, [`Hyperparameters::initial`].
    pub(crate) fn prior(dimension: usize, kernel: Kernel, output_mean: f64) -> GaussianProcess {
        GaussianProcess {
            kernel,
            hyperparameters: Hyperparameters::initial(dimension),
            dimension,
            inputs: Vec::new(),
            targets: DVector::zeros(0),
            output_mean,
            output_scale: 1.0,
            factor: None,
            weights: DVector::zeros(0),
            log_marginal_likelihood: 0.0,
        }
    }

    fn condition(
        kernel: Kernel,
        hyperparameters: Hyperparameters,
        inputs: Vec<Vec<f64>>,
        targets: DVector<f64>,
        (output_mean, output_scale): (f64, f64),
    ) -> Result<GaussianProcess, SurrogateError> {
        let dimension = hyperparameters.length_scales.len();
        let covariance = fit::covariance_matrix(kernel, &inputs, &hyperparameters);
        let factor = Cholesky::new(covariance)
            .ok_or_else(|| SurrogateError::not_positive_definite(inputs.len()))?;
        let weights = factor.solve(&targets);
        let log_marginal_likelihood = fit::log_likelihood(&factor, &targets, &weights);
        Ok(GaussianProcess {
            kernel,
            hyperparameters,
            dimension,
            inputs,
            targets,
            output_mean,
            output_scale,
            factor: Some(factor),
            weights,
            log_marginal_likelihood,
        })
    }

    /// Returns a copy that also conditions on the observation `y` at `x`, with
    /// the hyperparameters kept and the outputs standardised as before.
    ///
    /// The Cholesky factor is extended by one row in O(n^2) rather than
    /// recomputed. This is the kriging-believer update: conditioning on the
    /// predicted mean leaves the mean unchanged and shrinks the variance
    /// around `x`.
    pub fn condition_on(&self, x: &[f64], y: f64) -> Result<GaussianProcess, SurrogateError> {
        check_training_data(&[x.to_vec()], &[y])?;
        if x.len() != self.dimension {
            return Err(SurrogateError::invalid_training_data(format!(
                "point has {} features but the process has {}",
                x.len(),
                self.dimension
            )));
        }
        let target = (y - self.output_mean) / self.output_scale;
        let mut inputs = self.inputs.clone();
        inputs.push(x.to_vec());
        let targets = self.targets.push(target);
        let scales = (self.output_mean, self.output_scale);

        let Some(factor) = &self.factor else {
            return GaussianProcess::condition(
                self.kernel,
                self.hyperparameters.clone(),
                inputs,
                targets,
                scales,
            );
        };
        let n = self.inputs.len();
        let mut column = self.cross_covariance(x).push(0.0);
        column[n] = self.hyperparameters.signal_variance + self.hyperparameters.noise_variance;
        let extended = factor.insert_column(n, column);
        if !extended
            .l_dirty()
            .diagonal()
            .iter()
            .all(|d| d.is_finite() && *d > 0.0)
        {
            return GaussianProcess::condition(
                self.kernel,
                self.hyperparameters.clone(),
                inputs,
                targets,
                scales,
            );
        }
        let weights = extended.solve(&targets);
        let log_marginal_likelihood = fit::log_likelihood(&extended, &targets, &weights);
        Ok(GaussianProcess {
            inputs,
            targets,
            factor: Some(extended),
            weights,
            log_marginal_likelihood,
            hyperparameters: self.hyperparameters.clone(),
            ..*self
        })
    }

    /// Returns the predictive mean and the variance of the latent function
    /// (without observation noise) at `x`, in the original output units.
    pub fn predict(&self, x: &[f64]) -> (f64, f64) {
        let (mean, variance) = self.predict_standardised(x);
        self.unstandardise(mean, variance)
    }

    /// Returns the gradient of the predictive mean with respect to `x`, in
    /// original output units per feature unit.
    pub fn mean_gradient(&self, x: &[f64]) -> Vec<f64> {
        let mut gradient = self.mean_gradient_standardised(x);
        for g in &mut gradient {
            *g *= self.output_scale;
        }
        gradient
    }

    /// Returns the log marginal likelihood of the standardised training outputs
    /// (0 for a prior-only process, which conditions on nothing).
    pub fn log_marginal_likelihood(&self) -> f64 {
        self.log_marginal_likelihood
    }

    /// Returns the fitted hyperparameters, in standardised output units.
    pub fn hyperparameters(&self) -> &Hyperparameters {
        &self.hyperparameters
    }

    /// Returns the observation noise variance in original output units.
    pub fn noise_variance(&self) -> f64 {
        self.hyperparameters.noise_variance * self.output_scale * self.output_scale
    }

    /// Returns the kernel.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Returns the number of points the process conditions on (0 when
    /// prior-only).
    pub fn training_points(&self) -> usize {
        self.inputs.len()
    }

    /// Whether the process conditions on no data.
    pub fn is_prior_only(&self) -> bool {
        self.factor.is_none()
    }

    /// Returns the predictive mean and latent variance in standardised units.
    pub(crate) fn predict_standardised(&self, x: &[f64]) -> (f64, f64) {
        let signal_variance = self.hyperparameters.signal_variance;
        let Some(factor) = &self.factor else {
            return (0.0, signal_variance);
        };
        let cross = self.cross_covariance(x);
        let mean = cross.dot(&self.weights);
        let mut solved = cross;
        factor.l_dirty().solve_lower_triangular_mut(&mut solved);
        let variance = (signal_variance - solved.norm_squared()).max(0.0);
        (mean, variance)
    }

    /// Returns the standardised predictive mean and latent variance at each
    /// point, with one blocked triangular solve for all of them.
    pub(crate) fn predict_batch_standardised(&self, points: &[Vec<f64>]) -> Vec<(f64, f64)> {
        let signal_variance = self.hyperparameters.signal_variance;
        let Some(factor) = &self.factor else {
            return vec![(0.0, signal_variance); points.len()];
        };
        let inverse_squares = self.inverse_squared_length_scales();
        let mut cross = DMatrix::from_fn(self.inputs.len(), points.len(), |row, column| {
            let r2 = fit::scaled_distance2(&points[column], &self.inputs[row], &inverse_squares);
            signal_variance * self.kernel.correlation(r2)
        });
        let means = cross.tr_mul(&self.weights);
        linalg::solve_lower_triangular_blocked(factor.l_dirty(), &mut cross);
        means
            .iter()
            .zip(cross.column_iter())
            .map(|(&mean, solved)| (mean, (signal_variance - solved.norm_squared()).max(0.0)))
            .collect()
    }

    /// Converts a standardised mean and variance to original units.
    pub(crate) fn unstandardise(&self, mean: f64, variance: f64) -> (f64, f64) {
        (
            self.output_mean + self.output_scale * mean,
            self.output_scale * self.output_scale * variance,
        )
    }

    /// Returns the gradient of the standardised predictive mean.
    pub(crate) fn mean_gradient_standardised(&self, x: &[f64]) -> Vec<f64> {
        let mut gradient = vec![0.0; self.dimension];
        let inverse_squares = self.inverse_squared_length_scales();
        for (point, weight) in self.inputs.iter().zip(self.weights.iter()) {
            let r2 = fit::scaled_distance2(x, point, &inverse_squares);
            let factor = self.hyperparameters.signal_variance * self.kernel.radial_factor(r2);
            for ((g, (a, b)), inverse_square) in gradient
                .iter_mut()
                .zip(x.iter().zip(point))
                .zip(&inverse_squares)
            {
                *g -= weight * factor * (a - b) * inverse_square;
            }
        }
        gradient
    }

    /// Returns the standardised noise variance.
    pub(crate) fn noise_variance_standardised(&self) -> f64 {
        self.hyperparameters.noise_variance
    }

    fn cross_covariance(&self, x: &[f64]) -> DVector<f64> {
        let inverse_squares = self.inverse_squared_length_scales();
        let signal_variance = self.hyperparameters.signal_variance;
        DVector::from_iterator(
            self.inputs.len(),
            self.inputs.iter().map(|point| {
                let r2 = fit::scaled_distance2(x, point, &inverse_squares);
                signal_variance * self.kernel.correlation(r2)
            }),
        )
    }

    fn inverse_squared_length_scales(&self) -> Vec<f64> {
        let scales = &self.hyperparameters.length_scales;
        scales.iter().map(|l| 1.0 / (l * l)).collect()
    }
}

/// Checks shapes and finiteness and returns the number of features.
fn check_training_data(x: &[Vec<f64>], y: &[f64]) -> Result<usize, SurrogateError> {
    if x.len() != y.len() {
        return Err(SurrogateError::invalid_training_data(format!(
            "{} input rows but {} outputs",
            x.len(),
            y.len()
        )));
    }
    let dimension = x.first().map_or(0, Vec::len);
    for (row, (point, value)) in x.iter().zip(y).enumerate() {
        if point.len() != dimension {
            return Err(SurrogateError::invalid_training_data(format!(
                "row {row} has {} features but row 0 has {dimension}",
                point.len()
            )));
        }
        if let Some(bad) = point.iter().find(|v| !v.is_finite()) {
            return Err(SurrogateError::invalid_training_data(format!(
                "row {row} has the non-finite feature {bad}"
            )));
        }
        if !value.is_finite() {
            return Err(SurrogateError::invalid_training_data(format!(
                "row {row} has the non-finite output {value}: drop it before fitting"
            )));
        }
    }
    Ok(dimension)
}

fn mean(y: &[f64]) -> f64 {
    if y.is_empty() {
        return 0.0;
    }
    y.iter().sum::<f64>() / y.len() as f64
}

/// Returns the mean and the standard deviation used to standardise outputs;
/// the scale is 1 when the outputs are constant.
fn standardisation(y: &[f64]) -> (f64, f64) {
    let centre = mean(y);
    let variance = y.iter().map(|v| (v - centre).powi(2)).sum::<f64>() / y.len().max(1) as f64;
    let scale = variance.sqrt();
    if scale > 1e-12 * centre.abs().max(1.0) {
        (centre, scale)
    } else {
        (centre, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smooth(x: &[f64]) -> f64 {
        (3.0 * x[0]).sin() + 0.5 * (2.0 * x[1]).cos() + x[0] * x[1]
    }

    fn grid(points_per_side: usize) -> Vec<Vec<f64>> {
        let step = 1.0 / (points_per_side - 1) as f64;
        let mut points = Vec::new();
        for i in 0..points_per_side {
            for j in 0..points_per_side {
                points.push(vec![i as f64 * step, j as f64 * step]);
            }
        }
        points
    }

    #[test]
    fn fit_interpolates_training_points() {
        let x = grid(5);
        let y: Vec<f64> = x.iter().map(|p| smooth(p)).collect();
        let range = 2.5;
        for kernel in [Kernel::Matern52, Kernel::Rbf] {
            let gp = GaussianProcess::fit(&x, &y, kernel, 3, 7).unwrap();
            for (point, value) in x.iter().zip(&y) {
                let (mean, _) = gp.predict(point);
                assert!(
                    (mean - value).abs() < 0.01 * range,
                    "{kernel}: predicted {mean} at {point:?}, observed {value}"
                );
            }
        }
    }

    #[test]
    fn variance_shrinks_at_training_points() {
        let x = grid(4);
        let y: Vec<f64> = x.iter().map(|p| smooth(p)).collect();
        let gp = GaussianProcess::fit(&x, &y, Kernel::Matern52, 3, 1).unwrap();
        let (_, far) = gp.predict(&[3.0, -2.0]);
        for point in &x {
            let (_, near) = gp.predict(point);
            assert!(
                near < 0.01 * far,
                "variance {near} at {point:?}, {far} far away"
            );
        }
    }

    #[test]
    fn fit_predicts_between_training_points() {
        let x = grid(6);
        let y: Vec<f64> = x.iter().map(|p| smooth(p)).collect();
        let gp = GaussianProcess::fit(&x, &y, Kernel::Matern52, 3, 3).unwrap();
        for probe in [[0.3, 0.5], [0.71, 0.12], [0.5, 0.9]] {
            let (mean, _) = gp.predict(&probe);
            let expected = smooth(&probe);
            assert!(
                (mean - expected).abs() < 0.05,
                "{mean} vs {expected} at {probe:?}"
            );
        }
    }

    #[test]
    fn batch_prediction_matches_single_prediction() {
        let x: Vec<Vec<f64>> = (0..150)
            .map(|i| vec![(i as f64 * 0.618).fract(), (i as f64 * 0.377).fract()])
            .collect();
        let y: Vec<f64> = x.iter().map(|p| smooth(p)).collect();
        let gp = GaussianProcess::with_hyperparameters(
            &x,
            &y,
            Kernel::Matern52,
            Hyperparameters::initial(2),
        )
        .unwrap();
        let probes = grid(7);
        let batch = gp.predict_batch_standardised(&probes);
        for (probe, (batch_mean, batch_variance)) in probes.iter().zip(batch) {
            let (mean, variance) = gp.predict_standardised(probe);
            assert!((mean - batch_mean).abs() < 1e-10, "{mean} vs {batch_mean}");
            assert!(
                (variance - batch_variance).abs() < 1e-10,
                "{variance} vs {batch_variance}"
            );
        }
    }

    #[test]
    fn mean_gradient_matches_finite_difference() {
        let x = grid(4);
        let y: Vec<f64> = x.iter().map(|p| smooth(p)).collect();
        for kernel in [Kernel::Matern52, Kernel::Rbf] {
            let gp = GaussianProcess::fit(&x, &y, kernel, 2, 5).unwrap();
            let probe = [0.37, 0.61];
            let gradient = gp.mean_gradient(&probe);
            for i in 0..2 {
                let h = 1e-6;
                let mut up = probe;
                let mut down = probe;
                up[i] += h;
                down[i] -= h;
                let expected = (gp.predict(&up).0 - gp.predict(&down).0) / (2.0 * h);
                assert!(
                    (gradient[i] - expected).abs() < 1e-4 * (1.0 + expected.abs()),
                    "{kernel} feature {i}: {} vs {expected}",
                    gradient[i]
                );
            }
        }
    }

    #[test]
    fn fit_is_deterministic_for_a_seed() {
        let x = grid(4);
        let y: Vec<f64> = x.iter().map(|p| smooth(p)).collect();
        let first = GaussianProcess::fit(&x, &y, Kernel::Matern52, 4, 11).unwrap();
        let second = GaussianProcess::fit(&x, &y, Kernel::Matern52, 4, 11).unwrap();
        assert_eq!(first.hyperparameters(), second.hyperparameters());
    }

    #[test]
    fn fit_improves_on_the_initial_likelihood() {
        let x = grid(5);
        let y: Vec<f64> = x.iter().map(|p| smooth(p)).collect();
        let initial = GaussianProcess::with_hyperparameters(
            &x,
            &y,
            Kernel::Matern52,
            Hyperparameters::initial(2),
        )
        .unwrap();
        let fitted = GaussianProcess::fit(&x, &y, Kernel::Matern52, 3, 2).unwrap();
        assert!(fitted.log_marginal_likelihood() > initial.log_marginal_likelihood());
    }

    #[test]
    fn condition_on_matches_a_full_refit() {
        let x = grid(3);
        let y: Vec<f64> = x.iter().map(|p| smooth(p)).collect();
        let gp = GaussianProcess::fit(&x, &y, Kernel::Matern52, 2, 4).unwrap();
        let new_point = [0.25, 0.8];
        let updated = gp.condition_on(&new_point, 1.5).unwrap();

        let mut all_x = x.clone();
        all_x.push(new_point.to_vec());
        let targets: Vec<f64> = y
            .iter()
            .chain([1.5].iter())
            .map(|v| (v - gp.output_mean) / gp.output_scale)
            .collect();
        let rebuilt = GaussianProcess::condition(
            Kernel::Matern52,
            gp.hyperparameters().clone(),
            all_x,
            DVector::from_vec(targets),
            (gp.output_mean, gp.output_scale),
        )
        .unwrap();
        for probe in [[0.1, 0.1], [0.25, 0.8], [0.9, 0.4]] {
            let (a_mean, a_var) = updated.predict(&probe);
            let (b_mean, b_var) = rebuilt.predict(&probe);
            assert!((a_mean - b_mean).abs() < 1e-9, "{a_mean} vs {b_mean}");
            assert!((a_var - b_var).abs() < 1e-9, "{a_var} vs {b_var}");
        }
    }

    #[test]
    fn believer_keeps_mean_and_shrinks_variance() {
        let x = grid(3);
        let y: Vec<f64> = x.iter().map(|p| smooth(p)).collect();
        let gp = GaussianProcess::fit(&x, &y, Kernel::Matern52, 2, 4).unwrap();
        let point = [0.6, 0.15];
        let (mean, variance) = gp.predict(&point);
        let updated = gp.condition_on(&point, mean).unwrap();
        let (new_mean, new_variance) = updated.predict(&point);
        assert!((new_mean - mean).abs() < 1e-9);
        assert!(
            new_variance < 0.5 * variance,
            "{new_variance} vs {variance}"
        );
    }

    #[test]
    fn one_point_gives_a_prior_only_process() {
        let gp = GaussianProcess::fit(&[vec![0.5, 0.5]], &[3.0], Kernel::Rbf, 2, 0).unwrap();
        assert!(gp.is_prior_only());
        assert_eq!(gp.predict(&[0.1, 0.9]), (3.0, 1.0));
        assert_eq!(gp.mean_gradient(&[0.1, 0.9]), vec![0.0, 0.0]);
    }

    #[test]
    fn non_finite_output_is_rejected() {
        let error = GaussianProcess::fit(
            &[vec![0.0], vec![1.0]],
            &[1.0, f64::NAN],
            Kernel::Matern52,
            1,
            0,
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("row 1 has the non-finite output NaN"),
            "{error}"
        );
    }

    #[test]
    fn ragged_rows_are_rejected() {
        let error =
            GaussianProcess::fit(&[vec![0.0], vec![1.0, 2.0]], &[1.0, 2.0], Kernel::Rbf, 1, 0)
                .unwrap_err();
        assert!(
            error.to_string().contains("row 1 has 2 features"),
            "{error}"
        );
    }
}
