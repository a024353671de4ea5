//! The five per-metric processes of one proposal round.

use oed_model::{Design, ExperimentResult, Metric};
use rayon::prelude::*;

use crate::features::DesignEncoding;
use crate::{GaussianProcess, Kernel, SurrogateError};

/// One Gaussian process per metric, in [`Metric::ALL`] order, over the
/// features of one [`DesignEncoding`].
#[derive(Clone, Debug)]
pub(crate) struct Surrogates {
    pub models: Vec<GaussianProcess>,
    /// Number of finite history values each model was given.
    pub observed: [usize; 5],
}

impl Surrogates {
    /// Fits each metric's process on the history entries where that metric is
    /// finite and the design's features are finite.
    ///
    /// Metrics are fitted in parallel. Each has its own seed, derived from
    /// `seed` and the metric's index, so the result does not depend on the
    /// number of threads.
    pub fn fit(
        encoding: &DesignEncoding,
        history: &[(Design, ExperimentResult)],
        kernel: Kernel,
        restarts: usize,
        seed: u64,
    ) -> Result<Surrogates, SurrogateError> {
        let encoded: Vec<(Vec<f64>, [f64; 5])> = history
            .iter()
            .filter_map(|(design, result)| {
                let features = encoding.features(design);
                if features.is_none() {
                    tracing::debug!(%design, "history design has non-finite features, skipped");
                }
                Some((features?, result.to_array()))
            })
            .collect();

        let fits: Vec<Result<(GaussianProcess, usize), SurrogateError>> = Metric::ALL
            .par_iter()
            .enumerate()
            .map(|(index, &metric)| {
                let (x, y): (Vec<Vec<f64>>, Vec<f64>) = encoded
                    .iter()
                    .filter(|(_, values)| values[index].is_finite())
                    .map(|(features, values)| (features.clone(), values[index]))
                    .unzip();
                let points = x.len();
                let model = if points == 0 {
                    GaussianProcess::prior(encoding.feature_dimension(), kernel, 0.0)
                } else {
                    let metric_seed = mix_seed(seed, index as u64 + 1);
                    GaussianProcess::fit(&x, &y, kernel, restarts, metric_seed)?
                };
                log_fit(metric, points, &model);
                Ok((model, points))
            })
            .collect();

        let mut models = Vec::with_capacity(5);
        let mut observed = [0; 5];
        for (index, fit) in fits.into_iter().enumerate() {
            let (model, points) = fit?;
            models.push(model);
            observed[index] = points;
        }
        Ok(Surrogates { models, observed })
    }

    /// Conditions every process on its own predicted mean at `features`, the
    /// kriging-believer step between the proposals of one batch.
    pub fn believe(&mut self, features: &[f64]) -> Result<(), SurrogateError> {
        for model in &mut self.models {
            let (mean, _) = model.predict(features);
            *model = model.condition_on(features, mean)?;
        }
        Ok(())
    }

    /// Returns, for each point, every metric's standardised predictive mean and
    /// latent variance.
    pub fn predict_batch(&self, features: &[Vec<f64>]) -> Vec<[(f64, f64); 5]> {
        let per_model: Vec<Vec<(f64, f64)>> = self
            .models
            .iter()
            .map(|model| model.predict_batch_standardised(features))
            .collect();
        (0..features.len())
            .map(|point| std::array::from_fn(|metric| per_model[metric][point]))
            .collect()
    }

    /// Returns each metric's predictive mean and standard deviation at
    /// `features`, in original units. Both are NaN for a metric with no finite
    /// value in the history.
    pub fn predictions(&self, features: &[f64]) -> [(f64, f64); 5] {
        std::array::from_fn(|index| {
            if self.observed[index] == 0 {
                return (f64::NAN, f64::NAN);
            }
            let (mean, variance) = self.models[index].predict(features);
            (mean, variance.sqrt())
        })
    }
}

fn log_fit(metric: Metric, points: usize, model: &GaussianProcess) {
    if model.is_prior_only() {
        tracing::debug!(
            %metric,
            points,
            "too few finite values to fit a surrogate, using the prior"
        );
        return;
    }
    let hyperparameters = model.hyperparameters();
    tracing::debug!(
        %metric,
        points,
        log_marginal_likelihood = model.log_marginal_likelihood(),
        length_scales = ?hyperparameters.length_scales,
        signal_variance = hyperparameters.signal_variance,
        noise_variance = hyperparameters.noise_variance,
        "fitted surrogate"
    );
}

/// Derives an independent seed for one stream from `seed` (the SplitMix64
/// finaliser applied to the sum).
pub(crate) fn mix_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed.wrapping_add(stream.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
