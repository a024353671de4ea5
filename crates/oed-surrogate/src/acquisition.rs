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

/// Returns the acquisition value of `design`, whose features are `features`.
pub(crate) fn score(
    acquisition: &Acquisition,
    surrogates: &Surrogates,
    encoding: &DesignEncoding,
    design: &Design,
    features: &[f64],
) -> f64 {
    match acquisition {
        Acquisition::Information => information(surrogates, features),
        Acquisition::Fim => fisher_log_determinant(surrogates, encoding, design, features),
        Acquisition::Ucb { target, kappa } => {
            let index = Metric::ALL.iter().position(|m| m == target).unwrap_or(0);
            let (mean, variance) = surrogates.models[index].predict(features);
            mean + kappa * variance.sqrt()
        }
    }
}

/// The mutual information between a noisy observation at `features` and each
/// latent function, summed over the metrics. Prior-only models add the same
/// constant to every candidate.
fn information(surrogates: &Surrogates, features: &[f64]) -> f64 {
    surrogates
        .models
        .iter()
        .map(|model| {
            let (_, variance) = model.predict_standardised(features);
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
) -> f64 {
    let dimension = encoding.unit_dimension();
    let feature_jacobian = encoding.feature_jacobian(design);
    let mut fisher = DMatrix::identity(dimension, dimension) * FIM_RIDGE;
    for model in &surrogates.models {
        if model.is_prior_only() {
            continue;
        }
        let feature_gradient = DVector::from_vec(model.mean_gradient_standardised(features));
        let unit_gradient = feature_jacobian.tr_mul(&feature_gradient);
        let (_, variance) = model.predict_standardised(features);
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
