//! The SMC loop: generation 0 from a seed sequence, then resample, mutate and
//! weigh for each later generation.

use oed_model::Design;
use rand::RngCore;

use crate::landscape::NkLandscape;
use crate::population::Population;
use crate::resample::Resampling;
use crate::rng::{self, Purpose};

/// How often a trajectory record is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrajectoryMode {
    /// One record per generation, 0 to G.
    #[default]
    EveryGeneration,
    /// Generation 0, every k-th generation and the final one.
    Every(u32),
    /// No records; metrics are still computed.
    None,
}

impl TrajectoryMode {
    /// Returns whether generation `generation` of a run ending at `last` is
    /// recorded.
    pub fn records(self, generation: u32, last: u32) -> bool {
        match self {
            TrajectoryMode::EveryGeneration => true,
            TrajectoryMode::Every(k) => generation % k.max(1) == 0 || generation == last,
            TrajectoryMode::None => false,
        }
    }

    /// Returns the number of records a run of `last` generations after
    /// generation 0 writes.
    pub fn record_count(self, last: u32) -> u64 {
        match self {
            TrajectoryMode::EveryGeneration => u64::from(last) + 1,
            TrajectoryMode::Every(k) => {
                let k = k.max(1);
                let multiples = u64::from(last / k) + 1;
                multiples + u64::from(last % k != 0)
            }
            TrajectoryMode::None => 0,
        }
    }
}

/// Settings of the SMC runner that are not part of a design.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmcConfig {
    /// Resampling scheme.
    pub resampling: Resampling,
    /// Selection strength: the log-weight of a particle is `beta * fitness`.
    pub beta: f64,
    /// The generations written to the trajectory.
    pub trajectory: TrajectoryMode,
}

impl Default for SmcConfig {
    fn default() -> SmcConfig {
        SmcConfig {
            resampling: Resampling::Systematic,
            beta: 1.0,
            trajectory: TrajectoryMode::EveryGeneration,
        }
    }
}

/// The state of one generation, as passed to the runner's observer.
#[derive(Debug)]
pub(crate) struct Generation<'a> {
    pub(crate) generation: u32,
    pub(crate) n: usize,
    /// P rows of N states.
    pub(crate) states: &'a [u8],
    pub(crate) fitness: &'a [f32],
    /// Normalised importance weights.
    pub(crate) weights: &'a [f64],
    pub(crate) ancestors: &'a [u32],
    pub(crate) ess: f64,
    pub(crate) log_likelihood_increment: f64,
    pub(crate) log_z: f64,
    /// A reproducible value standing for the random state of the generation.
    pub(crate) key: [u32; 2],
}

/// Runs generations 0..=G of `design` and hands each to `observe`, stopping at
/// the first error it returns. The design must be valid.
pub(crate) fn simulate<E>(
    design: &Design,
    config: &SmcConfig,
    seed: u64,
    mut observe: impl FnMut(&Generation<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let size = design.population_size as usize;
    let n = design.n as usize;
    let landscape = NkLandscape::new(design.n, design.k, design.q, seed);
    tracing::debug!(
        %design,
        seed,
        table = landscape.has_table(),
        "starting SMC run"
    );

    // Generation 0: every particle descends from the seed sequence and keeps
    // each site with probability 1 - diversification_ratio.
    let origin = Population::seed_sequence(&landscape, seed);
    let mut current = Population::with_capacity(n, size);
    let mut next = Population::with_capacity(n, size);
    let mut ancestors = vec![0u32; size];
    origin.breed_into(
        &mut current,
        &ancestors,
        &landscape,
        design.diversification_ratio,
        seed,
        0,
    );
    ancestors
        .iter_mut()
        .enumerate()
        .for_each(|(i, a)| *a = i as u32);

    let mut fitness = vec![0f32; size];
    let mut weights = vec![1.0 / size as f64; size];
    fill_fitness(&landscape, &current, &mut fitness);
    observe(&Generation {
        generation: 0,
        n,
        states: current.states(),
        fitness: &fitness,
        weights: &weights,
        ancestors: &ancestors,
        ess: size as f64,
        log_likelihood_increment: 0.0,
        log_z: 0.0,
        key: record_key(seed, 0),
    })?;

    let mut log_z = 0.0;
    for generation in 1..=design.n_generations {
        // NOTE: branch_length does not enter the simulation: each site mutates
        // with probability mutation_rate per generation, as in the ancestor's
        // SMC configuration. It only scales Design::effective_mutation_rate.
        let mut rng = rng::stream(seed, Purpose::Resampling, generation, 0);
        config
            .resampling
            .resample(&weights, &mut rng, &mut ancestors);
        current.breed_into(
            &mut next,
            &ancestors,
            &landscape,
            design.mutation_rate,
            seed,
            generation,
        );
        std::mem::swap(&mut current, &mut next);

        fill_fitness(&landscape, &current, &mut fitness);
        let (increment, ess) = weigh(&landscape, &current, config.beta, &mut weights);
        log_z += increment;
        observe(&Generation {
            generation,
            n,
            states: current.states(),
            fitness: &fitness,
            weights: &weights,
            ancestors: &ancestors,
            ess,
            log_likelihood_increment: increment,
            log_z,
            key: record_key(seed, generation),
        })?;
    }
    Ok(())
}

fn fill_fitness(landscape: &NkLandscape, population: &Population, fitness: &mut [f32]) {
    for (value, &units) in fitness.iter_mut().zip(population.units()) {
        *value = landscape.units_to_fitness(units) as f32;
    }
}

/// Sets `weights` to the normalised `exp(beta * fitness)` and returns the
/// log-likelihood increment (log mean unnormalised weight) and the effective
/// sample size.
fn weigh(
    landscape: &NkLandscape,
    population: &Population,
    beta: f64,
    weights: &mut [f64],
) -> (f64, f64) {
    let size = population.len();
    let mut max_log_weight = f64::NEG_INFINITY;
    for (weight, &units) in weights.iter_mut().zip(population.units()) {
        *weight = beta * landscape.units_to_fitness(units);
        max_log_weight = max_log_weight.max(*weight);
    }

    // Subtracting the maximum keeps exp() in range (log-sum-exp).
    let mut sum = 0.0;
    for weight in weights.iter_mut() {
        *weight = (*weight - max_log_weight).exp();
        sum += *weight;
    }
    let mut square_sum = 0.0;
    for weight in weights.iter_mut() {
        *weight /= sum;
        square_sum += *weight * *weight;
    }

    let increment = max_log_weight + sum.ln() - (size as f64).ln();
    (increment, 1.0 / square_sum)
}

fn record_key(seed: u64, generation: u32) -> [u32; 2] {
    let value = rng::stream(seed, Purpose::RecordKey, generation, 0).next_u64();
    [(value >> 32) as u32, value as u32]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_k_counts_records() {
        for (mode, last, expected) in [
            (TrajectoryMode::EveryGeneration, 200, 201),
            (TrajectoryMode::Every(1), 200, 201),
            (TrajectoryMode::Every(10), 200, 21),
            (TrajectoryMode::Every(7), 20, 4),
            (TrajectoryMode::Every(50), 20, 2),
            (TrajectoryMode::None, 200, 0),
        ] {
            let counted = (0..=last).filter(|&g| mode.records(g, last)).count() as u64;
            assert_eq!(counted, expected, "{mode:?} over {last}");
            assert_eq!(mode.record_count(last), expected, "{mode:?} over {last}");
        }
    }

    #[test]
    fn zero_beta_gives_uniform_weights() {
        let landscape = NkLandscape::new(10, 2, 3, 1);
        let origin = Population::seed_sequence(&landscape, 1);
        let mut population = Population::with_capacity(10, 8);
        origin.breed_into(&mut population, &[0; 8], &landscape, 0.5, 1, 0);
        let mut weights = vec![0.0; 8];
        let (increment, ess) = weigh(&landscape, &population, 0.0, &mut weights);
        assert!(weights.iter().all(|&w| (w - 0.125).abs() < 1e-15));
        assert!(increment.abs() < 1e-15);
        assert!((ess - 8.0).abs() < 1e-12);
    }

    #[test]
    fn increment_is_log_mean_weight() {
        let landscape = NkLandscape::new(10, 2, 3, 1);
        let origin = Population::seed_sequence(&landscape, 1);
        let mut population = Population::with_capacity(10, 5);
        origin.breed_into(&mut population, &[0; 5], &landscape, 0.5, 1, 0);
        let mut weights = vec![0.0; 5];
        let (increment, ess) = weigh(&landscape, &population, 3.0, &mut weights);

        let raw: Vec<f64> = population
            .units()
            .iter()
            .map(|&u| (3.0 * landscape.units_to_fitness(u)).exp())
            .collect();
        let total: f64 = raw.iter().sum();
        assert!((increment - (total / 5.0).ln()).abs() < 1e-12);
        let direct_ess = total * total / raw.iter().map(|w| w * w).sum::<f64>();
        assert!((ess - direct_ess).abs() < 1e-9);
        for (w, r) in weights.iter().zip(&raw) {
            assert!((w - r / total).abs() < 1e-15);
        }
    }
}
