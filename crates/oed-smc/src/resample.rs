//! Resampling schemes: each turns normalised weights into the parent index of
//! every particle of the next generation.

use rand::RngCore;

use crate::rng;

/// How particles are resampled by their weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Resampling {
    /// One uniform `U`, then points `(i + U) / P`; lowest variance, the default.
    #[default]
    Systematic,
    /// P independent draws from the weights.
    Multinomial,
    /// One uniform per stratum: points `(i + U_i) / P`.
    Stratified,
    /// `floor(P * w_i)` copies of each particle, the rest drawn multinomially
    /// from the remainders.
    Residual,
}

impl Resampling {
    /// Fills `ancestors` with one parent index per particle, in increasing
    /// order. `weights` must be normalised (sum 1) and non-negative.
    pub fn resample(self, weights: &[f64], rng: &mut impl RngCore, ancestors: &mut Vec<u32>) {
        ancestors.clear();
        let size = weights.len();
        match self {
            Resampling::Systematic => {
                let offset = rng::uniform(rng);
                let points = (0..size).map(|i| (i as f64 + offset) / size as f64);
                walk_cumulative(weights, points, ancestors);
            }
            Resampling::Stratified => {
                let points: Vec<f64> = (0..size)
                    .map(|i| (i as f64 + rng::uniform(rng)) / size as f64)
                    .collect();
                walk_cumulative(weights, points.into_iter(), ancestors);
            }
            Resampling::Multinomial => multinomial(weights, size, rng, ancestors),
            Resampling::Residual => residual(weights, rng, ancestors),
        }
    }
}

/// Draws `count` parents independently from `weights` (normalised).
fn multinomial(weights: &[f64], count: usize, rng: &mut impl RngCore, ancestors: &mut Vec<u32>) {
    let mut points: Vec<f64> = (0..count).map(|_| rng::uniform(rng)).collect();
    points.sort_unstable_by(f64::total_cmp);
    walk_cumulative(weights, points.into_iter(), ancestors);
}

fn residual(weights: &[f64], rng: &mut impl RngCore, ancestors: &mut Vec<u32>) {
    let size = weights.len();
    let mut remainders = Vec::with_capacity(size);
    for (index, &weight) in weights.iter().enumerate() {
        let expected = weight * size as f64;
        let copies = expected.floor();
        ancestors.extend(std::iter::repeat_n(index as u32, copies as usize));
        remainders.push(expected - copies);
    }
    // Rounding can leave the deterministic copies one over P; drop extras.
    ancestors.truncate(size);
    let missing = size - ancestors.len();
    if missing == 0 {
        return;
    }
    let total: f64 = remainders.iter().sum();
    if total > 0.0 {
        remainders.iter_mut().for_each(|r| *r /= total);
    } else {
        remainders.copy_from_slice(weights);
    }
    let mut drawn = Vec::with_capacity(missing);
    multinomial(&remainders, missing, rng, &mut drawn);
    ancestors.extend(drawn);
    ancestors.sort_unstable();
}

/// Appends, for each point in [0, 1) in increasing order, the index of the
/// weight whose cumulative interval contains it.
fn walk_cumulative(weights: &[f64], points: impl Iterator<Item = f64>, ancestors: &mut Vec<u32>) {
    let last = weights.len() - 1;
    let mut index = 0usize;
    let mut cumulative = weights[0];
    for point in points {
        // The cumulative sum may end just below 1, so the last index catches
        // the points past it.
        while point >= cumulative && index < last {
            index += 1;
            cumulative += weights[index];
        }
        ancestors.push(index as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    const ALL: [Resampling; 4] = [
        Resampling::Systematic,
        Resampling::Multinomial,
        Resampling::Stratified,
        Resampling::Residual,
    ];

    #[test]
    fn uniform_weights_keep_each_particle_under_systematic() {
        let weights = vec![0.1; 10];
        let mut ancestors = Vec::new();
        let mut rng = stream(1, Purpose::Resampling, 1, 0);
        Resampling::Systematic.resample(&weights, &mut rng, &mut ancestors);
        assert_eq!(ancestors, (0..10).collect::<Vec<u32>>());
    }

    #[test]
    fn zero_weight_particles_are_never_drawn() {
        let weights = [0.0, 0.5, 0.0, 0.5, 0.0];
        for scheme in ALL {
            let mut rng = stream(2, Purpose::Resampling, 1, 0);
            let mut ancestors = Vec::new();
            for _ in 0..50 {
                scheme.resample(&weights, &mut rng, &mut ancestors);
                assert_eq!(ancestors.len(), 5, "{scheme:?}");
                assert!(ancestors.iter().all(|&a| a == 1 || a == 3), "{scheme:?}");
            }
        }
    }

    #[test]
    fn offspring_counts_are_unbiased() {
        let weights = [0.05, 0.15, 0.3, 0.5];
        for scheme in ALL {
            let mut rng = stream(3, Purpose::Resampling, 1, 0);
            let mut ancestors = Vec::new();
            let mut counts = [0u64; 4];
            let rounds = 20_000;
            for _ in 0..rounds {
                scheme.resample(&weights, &mut rng, &mut ancestors);
                for &a in &ancestors {
                    counts[a as usize] += 1;
                }
            }
            for (index, &weight) in weights.iter().enumerate() {
                let mean = counts[index] as f64 / rounds as f64;
                let expected = weight * 4.0;
                assert!(
                    (mean - expected).abs() < 0.03,
                    "{scheme:?}: particle {index} mean {mean}, expected {expected}"
                );
            }
        }
    }

    #[test]
    fn residual_keeps_deterministic_copies() {
        let weights = [0.55, 0.45];
        let mut rng = stream(4, Purpose::Resampling, 1, 0);
        let mut ancestors = Vec::new();
        for _ in 0..100 {
            Resampling::Residual.resample(&weights, &mut rng, &mut ancestors);
            assert_eq!(ancestors[0], 0);
            assert_eq!(ancestors.len(), 2);
        }
    }
}
