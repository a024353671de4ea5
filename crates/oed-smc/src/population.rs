//! The particle population: states, fitness and the mutation step.
//!
//! States are stored as one byte per (particle, site), row by row, and each
//! particle's fitness as the integer sum of its contributions (see
//! [`crate::NkLandscape`]). A generation copies each particle's parent row,
//! then mutates. Mutated positions are found by drawing the geometric gaps
//! between them, so a generation costs O(P*N*rate) draws, not O(P*N). A
//! mutated particle's fitness is updated by subtracting and re-adding only the
//! contributions that read a mutated site, or fully re-evaluated when that
//! would touch more contributions than N. Both give the same integer, so the
//! choice does not change any result.
//!
//! Work is split into chunks of [`CHUNK_PARTICLES`] particles, each with its
//! own random stream keyed by (seed, generation, chunk index). Results are
//! therefore the same whatever the number of threads.

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::landscape::NkLandscape;
use crate::rng::{self, GeometricGaps, Purpose};

/// Particles per chunk of work and per random stream. Changing it changes the
/// trajectories that a seed produces.
pub(crate) const CHUNK_PARTICLES: usize = 512;

/// The states and fitness of all particles of one generation.
#[derive(Clone, Debug)]
pub(crate) struct Population {
    n: usize,
    /// `states[p*N..(p+1)*N]` is particle `p`.
    states: Vec<u8>,
    /// Sum of the N contributions of each particle, in units of 2^-32.
    units: Vec<u64>,
}

impl Population {
    /// Builds the one-particle population holding a uniformly drawn sequence.
    pub(crate) fn seed_sequence(landscape: &NkLandscape, seed: u64) -> Population {
        let mut rng = rng::stream(seed, Purpose::SeedSequence, 0, 0);
        let states: Vec<u8> = (0..landscape.n())
            .map(|_| rng::below(&mut rng, landscape.q()) as u8)
            .collect();
        let units = vec![landscape.fitness_units(&states)];
        Population {
            n: landscape.n(),
            states,
            units,
        }
    }

    /// Returns an empty population with room for `size` particles.
    pub(crate) fn with_capacity(n: usize, size: usize) -> Population {
        Population {
            n,
            states: Vec::with_capacity(n * size),
            units: Vec::with_capacity(size),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.units.len()
    }

    /// All states, particle by particle.
    pub(crate) fn states(&self) -> &[u8] {
        &self.states
    }

    /// The fitness sums of all particles.
    pub(crate) fn units(&self) -> &[u64] {
        &self.units
    }

    /// Fills `next` with the children of this population: particle `i` of
    /// `next` copies particle `ancestors[i]`, then every site mutates with
    /// probability `rate` to a uniformly drawn different state.
    pub(crate) fn breed_into(
        &self,
        next: &mut Population,
        ancestors: &[u32],
        landscape: &NkLandscape,
        rate: f64,
        seed: u64,
        generation: u32,
    ) {
        let n = self.n;
        next.states.resize(ancestors.len() * n, 0);
        next.units.resize(ancestors.len(), 0);
        let gaps = GeometricGaps::new(rate);

        next.states
            .par_chunks_mut(CHUNK_PARTICLES * n)
            .zip(next.units.par_chunks_mut(CHUNK_PARTICLES))
            .zip(ancestors.par_chunks(CHUNK_PARTICLES))
            .enumerate()
            .for_each(|(chunk, ((rows, units), parents))| {
                for (i, &parent) in parents.iter().enumerate() {
                    let parent = parent as usize;
                    rows[i * n..(i + 1) * n]
                        .copy_from_slice(&self.states[parent * n..(parent + 1) * n]);
                    units[i] = self.units[parent];
                }
                let mut rng = rng::stream(seed, Purpose::Mutation, generation, chunk as u64);
                mutate_chunk(landscape, rows, units, gaps, &mut rng);
            });
    }
}

/// Mutates the particles of one chunk in place and updates their fitness.
fn mutate_chunk(
    landscape: &NkLandscape,
    rows: &mut [u8],
    units: &mut [u64],
    gaps: GeometricGaps,
    rng: &mut ChaCha8Rng,
) {
    let n = landscape.n() as u64;
    let positions = rows.len() as u64;
    let mut pending: Vec<(usize, u8)> = Vec::new();
    let mut pending_particle = 0usize;
    let mut position = 0u64;

    while let Some(gap) = gaps.next_gap(rng) {
        position = position.saturating_add(gap);
        if position >= positions {
            break;
        }
        let particle = (position / n) as usize;
        let site = (position % n) as usize;
        if particle != pending_particle && !pending.is_empty() {
            apply_mutations(landscape, rows, units, pending_particle, &pending);
            pending.clear();
        }
        pending_particle = particle;
        let current = rows[position as usize];
        pending.push((site, rng::other_state(rng, current, landscape.q())));
        position += 1;
    }
    if !pending.is_empty() {
        apply_mutations(landscape, rows, units, pending_particle, &pending);
    }
}

/// Writes the mutations of one particle and updates its fitness sum, by the
/// cheaper of the incremental update and a full evaluation.
fn apply_mutations(
    landscape: &NkLandscape,
    rows: &mut [u8],
    units: &mut [u64],
    particle: usize,
    mutations: &[(usize, u8)],
) {
    let n = landscape.n();
    let row = &mut rows[particle * n..(particle + 1) * n];
    let touched: usize = mutations
        .iter()
        .map(|&(site, _)| 2 * landscape.affected_by(site).len())
        .sum();

    if touched >= n {
        for &(site, state) in mutations {
            row[site] = state;
        }
        units[particle] = landscape.fitness_units(row);
        return;
    }

    // The true sum never goes below zero, but an intermediate step may, so
    // the arithmetic wraps.
    let mut sum = units[particle];
    for &(site, state) in mutations {
        let affected = landscape.affected_by(site);
        for &other in affected {
            sum = sum.wrapping_sub(u64::from(landscape.contribution(other as usize, row)));
        }
        row[site] = state;
        for &other in affected {
            sum = sum.wrapping_add(u64::from(landscape.contribution(other as usize, row)));
        }
    }
    units[particle] = sum;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breed(rate: f64, size: usize) -> (NkLandscape, Population, Population) {
        let landscape = NkLandscape::new(30, 3, 5, 11);
        let seed = Population::seed_sequence(&landscape, 11);
        let mut next = Population::with_capacity(30, size);
        seed.breed_into(&mut next, &vec![0; size], &landscape, rate, 11, 0);
        (landscape, seed, next)
    }

    #[test]
    fn updated_fitness_equals_full_evaluation() {
        for rate in [0.001, 0.02, 0.3, 1.0] {
            let (landscape, _, population) = breed(rate, 1500);
            for (row, &units) in population.states().chunks(30).zip(population.units()) {
                assert_eq!(units, landscape.fitness_units(row), "rate {rate}");
            }
        }
    }

    #[test]
    fn zero_rate_copies_parents() {
        let (_, seed, population) = breed(0.0, 700);
        for row in population.states().chunks(30) {
            assert_eq!(row, seed.states());
        }
    }

    #[test]
    fn rate_one_changes_every_site() {
        let (_, seed, population) = breed(1.0, 600);
        for row in population.states().chunks(30) {
            for (state, original) in row.iter().zip(seed.states()) {
                assert_ne!(state, original);
            }
        }
    }

    #[test]
    fn mutation_count_matches_rate() {
        let (_, seed, population) = breed(0.05, 4000);
        let changed = population
            .states()
            .chunks(30)
            .flat_map(|row| row.iter().zip(seed.states()))
            .filter(|(a, b)| a != b)
            .count();
        // Binomial(120000, 0.05): mean 6000, standard deviation about 75.
        assert!((5600..6400).contains(&changed), "{changed} sites changed");
    }
}
