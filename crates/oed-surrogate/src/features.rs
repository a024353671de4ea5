//! The map between designs, points of the unit cube of the free parameters,
//! and the GP input features.

use std::fmt;
use std::str::FromStr;

use nalgebra::DMatrix;
use oed_model::{Bounds, Design, Parameter, ParameterSpace, Scale};

use crate::kernel::ParseOptionError;

/// Which quantities of a design the surrogates see.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FeatureMode {
    /// Every parameter that the space leaves free, each on its own scale.
    #[default]
    All,
    /// N, K, q, diversification_ratio and the log effective mutation rate
    /// `ln(population_size * branch_length * mutation_rate)`, on the view that
    /// the three factors act on the dynamics only through their product.
    EffectiveOnly,
}

impl FeatureMode {
    /// Returns the name accepted by [`FeatureMode::from_str`].
    pub fn name(self) -> &'static str {
        match self {
            FeatureMode::All => "all",
            FeatureMode::EffectiveOnly => "effective-only",
        }
    }
}

impl fmt::Display for FeatureMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FeatureMode {
    type Err = ParseOptionError;

    /// Parses `all` or `effective-only` (also the ancestor's `effective_only`).
    fn from_str(name: &str) -> Result<FeatureMode, ParseOptionError> {
        match name {
            "all" => Ok(FeatureMode::All),
            "effective-only" | "effective_only" => Ok(FeatureMode::EffectiveOnly),
            _ => Err(ParseOptionError::new(
                "feature mode",
                name,
                "all or effective-only",
            )),
        }
    }
}

/// Effective mutation rates are floored here before taking the logarithm, so
/// that a linear-scale mutation_rate range starting at 0 still gives finite
/// features.
pub const EFFECTIVE_RATE_FLOOR: f64 = 1e-12;

/// The factors of the effective mutation rate.
const RATE_FACTORS: [Parameter; 3] = [
    Parameter::PopulationSize,
    Parameter::BranchLength,
    Parameter::MutationRate,
];

/// One GP input feature, scaled to [0, 1] over the parameter space.
#[derive(Clone, Debug)]
enum Feature {
    /// A free parameter's unit coordinate; the index is into the free list.
    Unit(usize),
    /// `(ln max(rate, floor) - low) / (high - low)` with `low` and `high` the
    /// logarithms of the smallest and largest rate in the space.
    EffectiveRate { low: f64, high: f64 },
}

/// Encodes designs of one parameter space for the surrogates.
///
/// A point `u` of the unit cube has one coordinate per free parameter (in
/// [`ParameterSpace::free_parameters`] order) and maps to a design through
/// [`Bounds::from_unit`], logarithmically for log-scale parameters. Fixed
/// parameters, being constant, are not features.
#[derive(Clone, Debug)]
pub(crate) struct DesignEncoding {
    space: ParameterSpace,
    free: Vec<Parameter>,
    features: Vec<Feature>,
}

impl DesignEncoding {
    pub(crate) fn new(space: &ParameterSpace, mode: FeatureMode) -> DesignEncoding {
        let free = space.free_parameters();
        let features = match mode {
            FeatureMode::All => (0..free.len()).map(Feature::Unit).collect(),
            FeatureMode::EffectiveOnly => effective_features(space, &free),
        };
        DesignEncoding {
            space: space.clone(),
            free,
            features,
        }
    }

    /// Returns the number of free parameters, the dimension of the unit cube.
    pub(crate) fn unit_dimension(&self) -> usize {
        self.free.len()
    }

    /// Returns the number of GP input features.
    pub(crate) fn feature_dimension(&self) -> usize {
        self.features.len()
    }

    /// Maps a point of the unit cube to a design in the space.
    ///
    /// Integer parameters are rounded to the nearest integer within their
    /// bounds. K is then clamped to N-1, after N is raised to K.min + 1 if
    /// needed, so the design satisfies K <= N-1 whenever the space allows it.
    pub(crate) fn design_from_unit(&self, unit: &[f64]) -> Design {
        let mut design = self.fixed_design();
        for (&parameter, &u) in self.free.iter().zip(unit) {
            design.set(parameter, self.space.bounds(parameter).from_unit(u));
        }
        let k_min = self.space.bounds(Parameter::K).min;
        if f64::from(design.n) < k_min + 1.0 {
            design.set(Parameter::N, k_min + 1.0);
        }
        design.k = design.k.min(design.n.saturating_sub(1));
        design
    }

    /// Returns the unit coordinates of a design. Values outside the space map
    /// outside [0, 1], and non-positive values of log-scale parameters to
    /// non-finite coordinates.
    pub(crate) fn unit_from_design(&self, design: &Design) -> Vec<f64> {
        self.free
            .iter()
            .map(|&p| self.space.bounds(p).to_unit(design.get(p)))
            .collect()
    }

    /// Returns the GP features of a design, or `None` if any is non-finite.
    pub(crate) fn features(&self, design: &Design) -> Option<Vec<f64>> {
        let unit = self.unit_from_design(design);
        let features: Vec<f64> = self
            .features
            .iter()
            .map(|feature| match feature {
                Feature::Unit(index) => unit[*index],
                Feature::EffectiveRate { low, high } => {
                    let rate = design.effective_mutation_rate().max(EFFECTIVE_RATE_FLOOR);
                    (rate.ln() - low) / (high - low)
                }
            })
            .collect();
        features.iter().all(|f| f.is_finite()).then_some(features)
    }

    /// Returns the Jacobian of the features with respect to the unit
    /// coordinates at `design` (features x free parameters), treating integer
    /// parameters as continuous.
    pub(crate) fn feature_jacobian(&self, design: &Design) -> DMatrix<f64> {
        let mut jacobian = DMatrix::zeros(self.features.len(), self.free.len());
        for (row, feature) in self.features.iter().enumerate() {
            match feature {
                Feature::Unit(index) => jacobian[(row, *index)] = 1.0,
                Feature::EffectiveRate { low, high } => {
                    if design.effective_mutation_rate() <= EFFECTIVE_RATE_FLOOR {
                        continue;
                    }
                    for (column, &parameter) in self.free.iter().enumerate() {
                        if !RATE_FACTORS.contains(&parameter) {
                            continue;
                        }
                        let bounds = self.space.bounds(parameter);
                        let d_log_value = log_derivative(bounds, design.get(parameter));
                        jacobian[(row, column)] = d_log_value / (high - low);
                    }
                }
            }
        }
        jacobian
    }

    /// Returns a design with every fixed parameter at its value and the free
    /// ones at their lower bounds.
    fn fixed_design(&self) -> Design {
        let mut design = Design {
            n: 1,
            k: 0,
            q: 2,
            population_size: 1,
            n_generations: 1,
            mutation_rate: 0.0,
            diversification_ratio: 0.0,
            branch_length: 1.0,
        };
        for parameter in Parameter::ALL {
            design.set(parameter, self.space.bounds(parameter).min);
        }
        design
    }
}

/// Returns `d ln(value) / du` for the unit coordinate `u` of `bounds`.
fn log_derivative(bounds: Bounds, value: f64) -> f64 {
    match bounds.scale {
        Scale::Log => (bounds.max / bounds.min).ln(),
        Scale::Linear if value > 0.0 => (bounds.max - bounds.min) / value,
        Scale::Linear => 0.0,
    }
}

fn effective_features(space: &ParameterSpace, free: &[Parameter]) -> Vec<Feature> {
    let mut features = Vec::new();
    let direct = [
        Parameter::N,
        Parameter::K,
        Parameter::Q,
        Parameter::DiversificationRatio,
    ];
    for (index, parameter) in free.iter().enumerate() {
        if direct.contains(parameter) {
            features.push(Feature::Unit(index));
        }
    }

    let (mut smallest, mut largest) = (1.0, 1.0);
    for parameter in RATE_FACTORS {
        smallest *= space.bounds(parameter).min;
        largest *= space.bounds(parameter).max;
    }
    let low = smallest.max(EFFECTIVE_RATE_FLOOR).ln();
    let high = largest.max(EFFECTIVE_RATE_FLOOR).ln();
    if high > low {
        features.push(Feature::EffectiveRate { low, high });
    }
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_mode_drops_fixed_parameters() {
        let encoding = DesignEncoding::new(&ParameterSpace::default(), FeatureMode::All);
        assert_eq!(encoding.unit_dimension(), 6);
        assert_eq!(encoding.feature_dimension(), 6);
    }

    #[test]
    fn effective_mode_has_five_features() {
        let encoding = DesignEncoding::new(&ParameterSpace::default(), FeatureMode::EffectiveOnly);
        assert_eq!(encoding.unit_dimension(), 6);
        assert_eq!(encoding.feature_dimension(), 5);
    }

    #[test]
    fn design_from_unit_round_trips_through_unit() {
        let encoding = DesignEncoding::new(&ParameterSpace::default(), FeatureMode::All);
        let design = encoding.design_from_unit(&[0.5; 6]);
        assert_eq!(design.n, 105);
        assert_eq!(design.population_size, 2236);
        assert!((design.mutation_rate - 1e-5).abs() < 1e-12);
        let unit = encoding.unit_from_design(&design);
        let again = encoding.design_from_unit(&unit);
        assert_eq!(design, again);
    }

    #[test]
    fn k_is_clamped_below_n() {
        let mut space = ParameterSpace::default();
        space
            .set_bounds(Parameter::N, Bounds::linear(2.0, 6.0))
            .unwrap();
        space
            .set_bounds(Parameter::K, Bounds::linear(0.0, 5.0))
            .unwrap();
        let encoding = DesignEncoding::new(&space, FeatureMode::All);
        let design = encoding.design_from_unit(&[0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!((design.n, design.k), (2, 1));
        assert_eq!(space.validate(&design), Ok(()));
    }

    #[test]
    fn n_is_raised_above_k_min() {
        let mut space = ParameterSpace::default();
        space
            .set_bounds(Parameter::N, Bounds::linear(2.0, 10.0))
            .unwrap();
        space
            .set_bounds(Parameter::K, Bounds::linear(4.0, 5.0))
            .unwrap();
        let encoding = DesignEncoding::new(&space, FeatureMode::All);
        let design = encoding.design_from_unit(&[0.0; 6]);
        assert_eq!((design.n, design.k), (5, 4));
        assert_eq!(space.validate(&design), Ok(()));
    }

    /// Checks the effective-rate row of the Jacobian against a finite
    /// difference of the feature in the unit coordinate of mutation_rate.
    #[test]
    fn effective_rate_jacobian_matches_finite_difference() {
        let space = ParameterSpace::default();
        let encoding = DesignEncoding::new(&space, FeatureMode::EffectiveOnly);
        let unit = [0.3, 0.4, 0.5, 0.6, 0.7, 0.2];
        let design = encoding.design_from_unit(&unit);
        let jacobian = encoding.feature_jacobian(&design);
        let column = space
            .free_parameters()
            .iter()
            .position(|&p| p == Parameter::MutationRate)
            .unwrap();
        let h = 1e-6;
        let mut up = unit;
        let mut down = unit;
        up[column] += h;
        down[column] -= h;
        let rate_feature = |u: &[f64]| {
            *encoding
                .features(&encoding.design_from_unit(u))
                .unwrap()
                .last()
                .unwrap()
        };
        let expected = (rate_feature(&up) - rate_feature(&down)) / (2.0 * h);
        let got = jacobian[(4, column)];
        assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    }

    #[test]
    fn feature_mode_names_round_trip() {
        for mode in [FeatureMode::All, FeatureMode::EffectiveOnly] {
            assert_eq!(mode.name().parse::<FeatureMode>(), Ok(mode));
        }
        assert_eq!(
            "effective_only".parse::<FeatureMode>(),
            Ok(FeatureMode::EffectiveOnly)
        );
        assert!("some".parse::<FeatureMode>().is_err());
    }
}
