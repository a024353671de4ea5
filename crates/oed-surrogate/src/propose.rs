use oed_model::{Design, ExperimentResult, ParameterSpace};
use rayon::prelude::*;

use crate::acquisition;
use crate::features::DesignEncoding;
use crate::surrogates::{Surrogates, mix_seed};
use crate::{Acquisition, FeatureMode, Kernel, SurrogateError};

/// Designs closer than this to a recorded design, or to an earlier proposal of
/// the same batch, are near-duplicates and never proposed. The distance is
/// Euclidean in the unit cube of the free parameters, so 0.02 is 2 % of one
/// parameter's range. With N in 10..=200 and all else equal, N = 103 is a
/// near-duplicate of N = 100 and N = 104 is not.
pub const DUPLICATE_DISTANCE: f64 = 0.02;

/// Largest candidate set: the scrambled Sobol sequence has 2^16 points.
pub const MAX_CANDIDATES: usize = 1 << 16;

/// Number of best candidates refined by coordinate search.
const REFINED_CANDIDATES: usize = 4;
/// First and smallest step of the coordinate search, in unit-cube units.
const REFINE_FIRST_STEP: f64 = 0.05;
const REFINE_MIN_STEP: f64 = 1.0 / 512.0;
/// Candidates scored together: one blocked triangular solve per metric.
const SCORE_CHUNK: usize = 256;
/// Maximum acquisition evaluations of one coordinate search.
const REFINE_MAX_EVALUATIONS: usize = 200;

/// Settings of [`propose`].
#[derive(Clone, Debug, PartialEq)]
pub struct ProposalConfig {
    pub acquisition: Acquisition,
    pub feature_mode: FeatureMode,
    pub kernel: Kernel,
    /// Number of scrambled Sobol candidates scored per proposal, 1 to 65536.
    pub candidates: usize,
    /// Number of designs proposed together (at least 1).
    pub batch_size: usize,
    /// Starting points of each hyperparameter fit (at least 1).
    pub restarts: usize,
    /// Seed of the candidate set and of the hyperparameter restarts.
    pub seed: u64,
}

impl Default for ProposalConfig {
    /// Information acquisition on all features with a Matérn 5/2 kernel, 4096
    /// candidates, one proposal, 4 restarts, seed 0.
    fn default() -> ProposalConfig {
        ProposalConfig {
            acquisition: Acquisition::Information,
            feature_mode: FeatureMode::All,
            kernel: Kernel::Matern52,
            candidates: 4096,
            batch_size: 1,
            restarts: 4,
            seed: 0,
        }
    }
}

impl ProposalConfig {
    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), SurrogateError> {
        if !(1..=MAX_CANDIDATES).contains(&self.candidates) {
            return Err(SurrogateError::invalid_config(
                "candidates",
                self.candidates,
                "1 to 65536",
            ));
        }
        if self.batch_size == 0 {
            return Err(SurrogateError::invalid_config(
                "batch_size",
                0,
                "at least 1",
            ));
        }
        if self.restarts == 0 {
            return Err(SurrogateError::invalid_config("restarts", 0, "at least 1"));
        }
        if let Acquisition::Ucb { kappa, .. } = self.acquisition {
            if !kappa.is_finite() || kappa < 0.0 {
                return Err(SurrogateError::invalid_config(
                    "kappa",
                    kappa,
                    "a finite number >= 0 (default 2)",
                ));
            }
        }
        Ok(())
    }
}

/// A proposed design with what the surrogates expect of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    pub design: Design,
    /// The acquisition value at the design when it was chosen (after the
    /// kriging-believer updates for earlier proposals of the batch).
    pub acquisition_value: f64,
    /// Predicted mean and standard deviation of the latent function of each
    /// metric, in [`oed_model::Metric::ALL`] order and original units; NaN for a
    /// metric with no finite value in the history.
    pub predictions: [(f64, f64); 5],
}

/// Proposes `config.batch_size` designs of `space` given the experiments so
/// far.
///
/// Fits one GP per metric on the history, scores a scrambled Sobol candidate
/// set with the acquisition, refines the best few by coordinate search and
/// takes the best design that is not a near-duplicate (see
/// [`DUPLICATE_DISTANCE`]). For a batch, each further design is chosen after a
/// kriging-believer update. The result depends only on the space, the history
/// (in order) and the configuration, never on timing or thread count.
pub fn propose(
    space: &ParameterSpace,
    history: &[(Design, ExperimentResult)],
    config: &ProposalConfig,
) -> Result<Vec<Proposal>, SurrogateError> {
    config.validate()?;
    let encoding = DesignEncoding::new(space, config.feature_mode);
    if encoding.unit_dimension() == 0 {
        return Err(SurrogateError::no_free_parameters());
    }
    let mut surrogates = Surrogates::fit(
        &encoding,
        history,
        config.kernel,
        config.restarts,
        config.seed,
    )?;
    let candidates = sobol_candidates(encoding.unit_dimension(), config.candidates, config.seed);
    // Unit coordinates of the recorded designs and of this batch's proposals.
    let mut occupied: Vec<Vec<f64>> = history
        .iter()
        .map(|(design, _)| encoding.unit_from_design(design))
        .filter(|unit| unit.iter().all(|u| u.is_finite()))
        .collect();

    let search = Search {
        space,
        acquisition: &config.acquisition,
        encoding: &encoding,
    };
    let mut proposals = Vec::with_capacity(config.batch_size);
    for position in 0..config.batch_size {
        let best = search.best(&surrogates, &candidates, &occupied)?;
        let predictions = surrogates.predictions(&best.features);
        tracing::debug!(
            position,
            design = %best.design,
            acquisition = %config.acquisition,
            value = best.value,
            "proposed design"
        );
        if position + 1 < config.batch_size {
            surrogates.believe(&best.features)?;
        }
        occupied.push(best.unit);
        proposals.push(Proposal {
            design: best.design,
            acquisition_value: best.value,
            predictions,
        });
    }
    Ok(proposals)
}

/// Returns the first `count` points of the scrambled Sobol sequence in the
/// `dimension`-cube, with the scramble seed derived from `seed`.
fn sobol_candidates(dimension: usize, count: usize, seed: u64) -> Vec<Vec<f64>> {
    let scramble = (mix_seed(seed, 0x50b0) >> 32) as u32;
    (0..count as u32)
        .map(|index| {
            (0..dimension as u32)
                .map(|axis| f64::from(sobol_burley::sample(index, axis, scramble)))
                .collect()
        })
        .collect()
}

/// A design reached from a point of the unit cube, with its score.
#[derive(Clone, Debug)]
struct Scored {
    /// The point searched over; integer parameters are rounded only in `design`.
    point: Vec<f64>,
    /// The unit coordinates of `design`, used for duplicate distances.
    unit: Vec<f64>,
    design: Design,
    features: Vec<f64>,
    value: f64,
}

struct Search<'a> {
    space: &'a ParameterSpace,
    acquisition: &'a Acquisition,
    encoding: &'a DesignEncoding,
}

impl Search<'_> {
    /// Returns the best design that is not a near-duplicate of `occupied`.
    fn best(
        &self,
        surrogates: &Surrogates,
        candidates: &[Vec<f64>],
        occupied: &[Vec<f64>],
    ) -> Result<Scored, SurrogateError> {
        let scored: Vec<Scored> = candidates
            .par_chunks(SCORE_CHUNK)
            .flat_map_iter(|chunk| self.evaluate(surrogates, chunk.to_vec()))
            .collect();
        let mut eligible: Vec<Scored> = scored
            .into_iter()
            .filter(|s| s.value.is_finite() && is_new(&s.unit, occupied))
            .collect();
        if eligible.is_empty() {
            return Err(SurrogateError::space_exhausted(
                DUPLICATE_DISTANCE,
                occupied.len(),
            ));
        }
        // A stable sort keeps the Sobol order among ties, for determinism.
        eligible.sort_by(|a, b| b.value.total_cmp(&a.value));
        eligible.truncate(REFINED_CANDIDATES);

        let refined: Vec<Scored> = eligible
            .into_par_iter()
            .map(|start| self.refine(surrogates, start, occupied))
            .collect();
        Ok(first_maximum(refined).expect("at least one eligible candidate"))
    }

    /// Scores the designs of `points` with one batched prediction per metric.
    /// Points whose design is invalid in the space or has non-finite features
    /// are dropped.
    fn evaluate(&self, surrogates: &Surrogates, points: Vec<Vec<f64>>) -> Vec<Scored> {
        let mut encoded = Vec::with_capacity(points.len());
        let mut features = Vec::with_capacity(points.len());
        for point in points {
            let design = self.encoding.design_from_unit(&point);
            if let Err(error) = self.space.validate(&design) {
                tracing::debug!(%design, %error, "candidate design is invalid, skipped");
                continue;
            }
            let Some(design_features) = self.encoding.features(&design) else {
                continue;
            };
            let unit = self.encoding.unit_from_design(&design);
            features.push(design_features);
            encoded.push((point, unit, design));
        }

        let predicted = surrogates.predict_batch(&features);
        encoded
            .into_iter()
            .zip(features)
            .zip(predicted)
            .map(|(((point, unit, design), features), predicted)| {
                let value = acquisition::score(
                    self.acquisition,
                    surrogates,
                    self.encoding,
                    &design,
                    &features,
                    &predicted,
                );
                Scored {
                    point,
                    unit,
                    design,
                    features,
                    value,
                }
            })
            .collect()
    }

    /// Improves `start` by coordinate search in the unit cube: score a step up
    /// and down along every axis, move to the best strict improvement, halve
    /// the step when none improves. Moves onto near-duplicates are not taken.
    fn refine(&self, surrogates: &Surrogates, start: Scored, occupied: &[Vec<f64>]) -> Scored {
        let mut best = start;
        let mut step = REFINE_FIRST_STEP;
        let mut evaluations = 0;
        while step >= REFINE_MIN_STEP && evaluations < REFINE_MAX_EVALUATIONS {
            let mut neighbours = Vec::new();
            for axis in 0..best.point.len() {
                for direction in [1.0, -1.0] {
                    let mut point = best.point.clone();
                    point[axis] = (point[axis] + direction * step).clamp(0.0, 1.0);
                    if point[axis] != best.point[axis] {
                        neighbours.push(point);
                    }
                }
            }
            evaluations += neighbours.len();

            let improvements = self
                .evaluate(surrogates, neighbours)
                .into_iter()
                .filter(|c| c.design != best.design && c.value > best.value)
                .filter(|c| is_new(&c.unit, occupied));
            match first_maximum(improvements) {
                Some(better) => best = better,
                None => step /= 2.0,
            }
        }
        best
    }
}

/// Returns the scored design with the largest value, the earliest among ties.
fn first_maximum(scored: impl IntoIterator<Item = Scored>) -> Option<Scored> {
    let mut best: Option<Scored> = None;
    for candidate in scored {
        if best.as_ref().is_none_or(|b| candidate.value > b.value) {
            best = Some(candidate);
        }
    }
    best
}

/// Whether `unit` is at least [`DUPLICATE_DISTANCE`] from every point of
/// `occupied`.
fn is_new(unit: &[f64], occupied: &[Vec<f64>]) -> bool {
    let threshold = DUPLICATE_DISTANCE * DUPLICATE_DISTANCE;
    occupied.iter().all(|other| {
        let distance2: f64 = unit.iter().zip(other).map(|(a, b)| (a - b) * (a - b)).sum();
        distance2 >= threshold
    })
}
