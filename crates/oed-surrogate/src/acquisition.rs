use std::fmt;

use nalgebra::{Cholesky, DMatrix, DVector};
use oed_model::{Design, Metric};

use crate::features::DesignEncoding;
use crate::surrogates::Surrogates;

/// Default exploration weight of [`Acquisition::Ucb`].
pub const DEFAULT_KAPPA: f64 = 2.0;

/// Ridge added to the Fisher matrix of [`Acquisition::Fim`], in standardised
/// output units per unit-cube coordinate squared.
pub const FIM_RIDGE: f64 = 1e-6;

/// The criterion a proposal maximises.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Acquisition {
    /// The expected information about the five surrogates from observing the
    /// design: `sum_m 1/2 ln(1 + var_m(x) / noise_m)`.
    #[default]
    Information,
    /// D-optimality of the predicted metrics' sensitivity to the design:
    /// `ln det(sum_m w_m g_m g_m^T + ridge I)` with `g_m` the gradient of metric
    /// m's standardised predicted mean in the unit cube of the free parameters
    /// and `w_m = 1 / (var_m(x) + noise_m)`.
    Fim,
    /// Upper confidence bound of one metric: `mean + kappa * sd`, in the
    /// metric's units.
    Ucb { target: Metric, kappa: f64 },
}

impl Acquisition {
    /// Returns the short name: `information`, `fim` or `ucb`.
    pub fn name(&self) -> &'static str {
        match self {
            Acquisition::Information => "information",
            Acquisition::Fim => "fim",
            Acquisition::Ucb { .. } => "ucb",
        }
    }
}

impl fmt::Display for Acquisition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Acquisition::Ucb { target, kappa } => write!(f, "ucb(target={target}, kappa={kappa})"),
            other => f.write_str(other.name()),
        }
    }
}

/// Returns the acquisition value of `design`, whose features are `features`
/// and whose standardised predictive mean and latent variance per metric are
/// `predicted` (see [`Surrogates::predict_batch`]).
pub(crate) fn score(
    acquisition: &Acquisition,
    surrogates: &Surrogates,
    encoding: &DesignEncoding,
    design: &Design,
    features: &[f64],
    predicted: &[(f64, f64); 5],
) -> f64 {
    match acquisition {
        Acquisition::Information => information(surrogates, predicted),
        Acquisition::Fim => {
            fisher_log_determinant(surrogates, encoding, design, features, predicted)
        }
        Acquisition::Ucb { target, kappa } => {
            let index = Metric::ALL.iter().position(|m| m == target).unwrap_or(0);
            let (mean, variance) = predicted[index];
            let (mean, variance) = surrogates.models[index].unstandardise(mean, variance);
            mean + kappa * variance.sqrt()
        }
    }
}

/// The mutual information between a noisy observation and each latent
/// function, summed over the metrics. Prior-only models add the same constant
/// to every candidate.
fn information(surrogates: &Surrogates, predicted: &[(f64, f64); 5]) -> f64 {
    surrogates
        .models
        .iter()
        .zip(predicted)
        .map(|(model, (_, variance))| {
            0.5 * (variance / model.noise_variance_standardised()).ln_1p()
        })
        .sum()
}

/// The log-determinant of the d x d Fisher matrix `J^T W J + ridge I`, where
/// row m of J is metric m's mean gradient in the unit cube (chained through the
/// feature map) and W weights it by the inverse predictive variance.
///
/// With five metrics J has rank at most 5, so the ridge keeps the matrix
/// positive definite when d > 5 or when gradients are parallel.
fn fisher_log_determinant(
    surrogates: &Surrogates,
    encoding: &DesignEncoding,
    design: &Design,
    features: &[f64],
    predicted: &[(f64, f64); 5],
) -> f64 {
    let dimension = encoding.unit_dimension();
    let feature_jacobian = encoding.feature_jacobian(design);
    let mut fisher = DMatrix::identity(dimension, dimension) * FIM_RIDGE;
    for (model, (_, variance)) in surrogates.models.iter().zip(predicted) {
        if model.is_prior_only() {
            continue;
        }
        let feature_gradient = DVector::from_vec(model.mean_gradient_standardised(features));
        let unit_gradient = feature_jacobian.tr_mul(&feature_gradient);
        let weight = 1.0 / (variance + model.noise_variance_standardised());
        fisher += weight * &unit_gradient * unit_gradient.transpose();
    }
    match Cholesky::new(fisher) {
        Some(factor) => {
            2.0 * factor
                .l_dirty()
                .diagonal()
                .iter()
                .map(|d| d.ln())
                .sum::<f64>()
        }
        None => f64::NEG_INFINITY,
    }
}

#[cfg(test)]
mod tests {
    use oed_model::{ExperimentResult, ParameterSpace};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::{FeatureMode, Kernel};

    /// Returns random points of the unit cube with their designs and features.
    fn candidates(encoding: &DesignEncoding, count: usize, seed: u64) -> Vec<(Design, Vec<f64>)> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..count)
            .map(|_| {
                let unit: Vec<f64> = (0..encoding.unit_dimension())
                    .map(|_| rng.random())
                    .collect();
                let design = encoding.design_from_unit(&unit);
                let features = encoding.features(&design).unwrap();
                (design, features)
            })
            .collect()
    }

    fn fitted(mode: FeatureMode) -> (DesignEncoding, Surrogates) {
        let encoding = DesignEncoding::new(&ParameterSpace::default(), mode);
        let history: Vec<_> = candidates(&encoding, 30, 1)
            .into_iter()
            .map(|(design, _)| {
                let u = encoding.unit_from_design(&design);
                let values = [
                    (3.0 * u[0]).sin() + u[4],
                    u[1] * u[5],
                    (2.0 * u[2] + u[3]).cos(),
                    (u[3] - 0.4).powi(2),
                    1.0 - 0.3 * u[5] + 0.2 * (4.0 * u[4]).sin(),
                ];
                (design, ExperimentResult::from_array(values))
            })
            .collect();
        let surrogates = Surrogates::fit(&encoding, &history, Kernel::Matern52, 2, 3).unwrap();
        (encoding, surrogates)
    }

    #[test]
    fn fim_is_finite_and_differs_across_candidates() {
        for mode in [FeatureMode::All, FeatureMode::EffectiveOnly] {
            let (encoding, surrogates) = fitted(mode);
            let values: Vec<f64> = candidates(&encoding, 50, 2)
                .iter()
                .map(|(design, features)| {
                    let predicted = surrogates.predict_batch(std::slice::from_ref(features))[0];
                    score(
                        &Acquisition::Fim,
                        &surrogates,
                        &encoding,
                        design,
                        features,
                        &predicted,
                    )
                })
                .collect();
            assert!(values.iter().all(|v| v.is_finite()), "{mode}: {values:?}");
            let (low, high) = values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                    (l.min(*v), h.max(*v))
                });
            assert!(high - low > 1.0, "{mode}: fim spans only {low}..{high}");
        }
    }

    /// The Fisher matrix `g g^T` of one metric's gradient, as the ancestor
    /// builds it, is singular at every candidate, so its determinant ties at 0.
    #[test]
    fn rank_one_fisher_matrix_is_singular() {
        let (encoding, surrogates) = fitted(FeatureMode::All);
        for (design, features) in candidates(&encoding, 10, 4) {
            let gradient = DVector::from_vec(surrogates.models[0].mean_gradient(&features));
            let unit_gradient = encoding.feature_jacobian(&design).tr_mul(&gradient);
            let fisher = &unit_gradient * unit_gradient.transpose();
            let scale = unit_gradient.norm_squared().powi(6);
            assert!(unit_gradient.norm() > 0.0);
            assert!(fisher.determinant().abs() <= 1e-12 * scale.max(1.0));
        }
    }

    #[test]
    fn information_is_larger_far_from_data() {
        let (encoding, surrogates) = fitted(FeatureMode::All);
        let centre = encoding
            .features(&encoding.design_from_unit(&[0.5; 6]))
            .unwrap();
        let (design, _) = &candidates(&encoding, 1, 1)[0];
        let at_data = encoding.features(design).unwrap();
        let predicted = surrogates.predict_batch(&[centre, at_data]);
        assert!(information(&surrogates, &predicted[0]) > information(&surrogates, &predicted[1]));
    }
}
