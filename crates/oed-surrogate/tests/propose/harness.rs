//! Synthetic histories: designs spread over a space and metrics that are
//! smooth functions of the design.

use oed_model::{Bounds, Design, ExperimentResult, Parameter, ParameterSpace};
use oed_surrogate::ProposalConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub type History = Vec<(Design, ExperimentResult)>;

/// Returns a design drawn uniformly in the unit cube of the space's free
/// parameters, with K clamped to N-1.
pub fn random_design(space: &ParameterSpace, rng: &mut ChaCha8Rng) -> Design {
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
        let bounds = space.bounds(parameter);
        design.set(parameter, bounds.from_unit(rng.random::<f64>()));
    }
    design.k = design.k.min(design.n - 1);
    design
}

/// Returns the unit coordinates of every parameter (0 for fixed ones).
pub fn unit_coordinates(space: &ParameterSpace, design: &Design) -> Vec<f64> {
    Parameter::ALL
        .iter()
        .map(|&p| space.bounds(p).to_unit(design.get(p)))
        .collect()
}

/// Returns five smooth, different functions of the design's unit coordinates.
pub fn smooth_metrics(space: &ParameterSpace, design: &Design) -> ExperimentResult {
    let u = unit_coordinates(space, design);
    ExperimentResult::from_array([
        (3.0 * u[0]).sin() + u[5] * u[5],
        0.2 + 0.5 * u[1] * u[6],
        (2.0 * u[2] + u[3]).cos(),
        (u[3] - 0.4).powi(2) + 0.1 * u[0],
        1.0 - 0.3 * u[6] + 0.2 * (4.0 * u[5]).sin(),
    ])
}

/// Returns `size` random designs of the space with their smooth metrics.
pub fn smooth_history(space: &ParameterSpace, size: usize, seed: u64) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..size)
        .map(|_| {
            let design = random_design(space, &mut rng);
            let result = smooth_metrics(space, &design);
            (design, result)
        })
        .collect()
}

/// Returns a configuration with a small candidate set, to keep tests fast.
pub fn small_config(seed: u64) -> ProposalConfig {
    ProposalConfig {
        candidates: 512,
        restarts: 2,
        seed,
        ..ProposalConfig::default()
    }
}

/// Returns a narrowed space like the end-to-end tests use: small N, K up to 3,
/// few states, small populations.
pub fn narrow_space() -> ParameterSpace {
    let mut space = ParameterSpace::default();
    let narrowed = [
        (Parameter::N, Bounds::linear(3.0, 12.0)),
        (Parameter::K, Bounds::linear(0.0, 3.0)),
        (Parameter::Q, Bounds::linear(2.0, 4.0)),
        (Parameter::PopulationSize, Bounds::log(8.0, 64.0)),
        (Parameter::NGenerations, Bounds::fixed(5.0)),
        (Parameter::MutationRate, Bounds::log(1e-4, 1e-1)),
    ];
    for (parameter, bounds) in narrowed {
        space.set_bounds(parameter, bounds).unwrap();
    }
    space
}

/// Returns the Euclidean distance between two designs in the unit cube.
pub fn unit_distance(space: &ParameterSpace, a: &Design, b: &Design) -> f64 {
    let (a, b) = (unit_coordinates(space, a), unit_coordinates(space, b));
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}
