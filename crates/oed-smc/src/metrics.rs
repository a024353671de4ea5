//! The five metrics of an experiment, computed while the generations stream by.
//!
//! [`MetricsAccumulator`] sees every generation once, in order, and keeps only
//! what the formulas need later: the mean fitness of every generation, and
//! generation 0's fitness values and pooled state counts. The final
//! generation is passed again to [`MetricsAccumulator::finish`]. The runner and
//! the trajectory reader feed it the same `f32` fitness values, so a file gives
//! back exactly the metrics of its run. The formulas are in `docs/metrics.md`.

use oed_model::ExperimentResult;

/// Number of fitness-histogram bins for `information_gain`.
pub const HISTOGRAM_BINS: usize = 20;

/// Floor of each histogram frequency inside the logarithms of the Jeffreys
/// divergence, so that an empty bin gives a large but finite value.
const FREQUENCY_FLOOR: f64 = 1e-10;

/// Floor of each mean fitness inside the logarithm of the geometric mean.
const MEAN_FITNESS_FLOOR: f64 = 1e-10;

/// One generation as the metrics read it.
#[derive(Clone, Copy, Debug)]
pub struct GenerationView<'a> {
    /// Sequence length N.
    pub n: usize,
    /// P rows of N states.
    pub sequences: &'a [u8],
    /// The fitness of each of the P particles.
    pub fitness: &'a [f32],
}

/// Streaming state of the five metrics.
#[derive(Clone, Debug, Default)]
pub struct MetricsAccumulator {
    first_fitness: Option<Vec<f32>>,
    /// How often each state occurs in generation 0, over all sites.
    first_state_counts: Vec<u64>,
    means: Vec<f64>,
}

impl MetricsAccumulator {
    /// Returns an accumulator that has seen no generation.
    pub fn new() -> MetricsAccumulator {
        MetricsAccumulator::default()
    }

    /// Records one generation; generations must come in order, 0 first.
    pub fn observe(&mut self, generation: GenerationView<'_>) {
        self.means.push(mean(generation.fitness));
        if self.first_fitness.is_none() {
            self.first_fitness = Some(generation.fitness.to_vec());
            self.first_state_counts = pooled_state_counts(generation.sequences);
        }
    }

    /// Number of generations observed.
    pub fn generations(&self) -> usize {
        self.means.len()
    }

    /// Computes the five metrics; `last` must be the generation observed last.
    ///
    /// # Panics
    ///
    /// If no generation was observed.
    pub fn finish(&self, last: GenerationView<'_>) -> ExperimentResult {
        let first_fitness = self
            .first_fitness
            .as_deref()
            .expect("finish called before any generation was observed");
        let last_state_counts = pooled_state_counts(last.sequences);
        ExperimentResult {
            information_gain: histogram_jeffreys(first_fitness, last.fitness),
            barrier_crossing_frequency: barrier_crossing_frequency(&self.means),
            final_sequence_entropy: mean_site_entropy(last.sequences, last.n),
            jsd_from_original_population: jensen_shannon(
                &self.first_state_counts,
                &last_state_counts,
            ),
            geometric_fitness_mean: geometric_fitness_mean(&self.means),
        }
    }
}

/// Returns the mean of `values`, summed in order in f64.
fn mean(values: &[f32]) -> f64 {
    let sum: f64 = values.iter().map(|&v| f64::from(v)).sum();
    sum / values.len() as f64
}

/// Counts each state value over all sites and particles.
fn pooled_state_counts(sequences: &[u8]) -> Vec<u64> {
    let mut counts = vec![0u64; 256];
    for &state in sequences {
        counts[state as usize] += 1;
    }
    counts
}

/// Jeffreys divergence KL(p||r) + KL(r||p) between the histograms of two
/// fitness samples over one common range.
fn histogram_jeffreys(first: &[f32], last: &[f32]) -> f64 {
    let all = first.iter().chain(last).map(|&v| f64::from(v));
    let low = all.clone().fold(f64::INFINITY, f64::min);
    let high = all.fold(f64::NEG_INFINITY, f64::max);
    let p = histogram(first, low, high);
    let r = histogram(last, low, high);
    p.iter()
        .zip(&r)
        .map(|(&p, &r)| {
            let (p, r) = (p.max(FREQUENCY_FLOOR), r.max(FREQUENCY_FLOOR));
            (p - r) * (p.ln() - r.ln())
        })
        .sum()
}

/// Returns the bin frequencies of `values` over [low, high]; the last bin is
/// closed. A zero-width range puts everything in the first bin.
fn histogram(values: &[f32], low: f64, high: f64) -> [f64; HISTOGRAM_BINS] {
    let mut counts = [0u64; HISTOGRAM_BINS];
    let width = high - low;
    for &value in values {
        let bin = if width > 0.0 {
            let scaled = (f64::from(value) - low) / width * HISTOGRAM_BINS as f64;
            (scaled as usize).min(HISTOGRAM_BINS - 1)
        } else {
            0
        };
        counts[bin] += 1;
    }
    counts.map(|count| count as f64 / values.len() as f64)
}

/// Fraction of generations 1..G whose mean fitness lies on the other side of
/// the median of all means than the generation before.
fn barrier_crossing_frequency(means: &[f64]) -> f64 {
    let threshold = median(means);
    let side = |m: f64| sign(m - threshold);
    let crossings = means
        .windows(2)
        .filter(|pair| side(pair[0]) != side(pair[1]))
        .count();
    crossings as f64 / (means.len() - 1) as f64
}

/// Returns -1, 0 or 1 like `numpy.sign`.
fn sign(value: f64) -> i8 {
    if value > 0.0 {
        1
    } else if value < 0.0 {
        -1
    } else {
        0
    }
}

/// Median as `numpy.median` computes it: the mean of the two middle values of
/// an even-length sample.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    }
}

/// Mean over sites of the Shannon entropy (nats) of each site's states.
fn mean_site_entropy(sequences: &[u8], n: usize) -> f64 {
    let particles = sequences.len() / n;
    let mut counts = vec![0u32; n * 256];
    for row in sequences.chunks_exact(n) {
        for (site, &state) in row.iter().enumerate() {
            counts[site * 256 + state as usize] += 1;
        }
    }
    let total: f64 = counts
        .chunks_exact(256)
        .map(|site_counts| entropy(site_counts.iter().map(|&c| u64::from(c)), particles))
        .sum();
    total / n as f64
}

/// Shannon entropy (nats) of counts summing to `total`; empty states add 0.
fn entropy(counts: impl Iterator<Item = u64>, total: usize) -> f64 {
    counts
        .filter(|&count| count > 0)
        .map(|count| {
            let p = count as f64 / total as f64;
            // p ln(1/p) rather than -p ln p, so a certain state gives +0, not -0.
            p * (1.0 / p).ln()
        })
        .sum()
}

/// Jensen-Shannon divergence (nats) between two count vectors.
fn jensen_shannon(first: &[u64], last: &[u64]) -> f64 {
    let first_total: u64 = first.iter().sum();
    let last_total: u64 = last.iter().sum();
    let mut divergence = 0.0;
    for (&a, &b) in first.iter().zip(last) {
        let p = a as f64 / first_total as f64;
        let r = b as f64 / last_total as f64;
        let m = (p + r) / 2.0;
        if p > 0.0 {
            divergence += 0.5 * p * (p / m).ln();
        }
        if r > 0.0 {
            divergence += 0.5 * r * (r / m).ln();
        }
    }
    divergence
}

/// exp of the mean of ln(max(m_g, 1e-10)) over all generations.
fn geometric_fitness_mean(means: &[f64]) -> f64 {
    let log_sum: f64 = means.iter().map(|&m| m.max(MEAN_FITNESS_FLOOR).ln()).sum();
    (log_sum / means.len() as f64).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn identical_populations_have_zero_jsd() {
        let sequences = [0u8, 1, 2, 3, 1, 1, 2, 0];
        let counts = pooled_state_counts(&sequences);
        assert_eq!(jensen_shannon(&counts, &counts), 0.0);
    }

    #[test]
    fn disjoint_populations_have_jsd_ln2() {
        let first = pooled_state_counts(&[0, 0, 1, 1]);
        let last = pooled_state_counts(&[2, 3, 2, 3]);
        assert!(close(jensen_shannon(&first, &last), std::f64::consts::LN_2));
    }

    #[test]
    fn jsd_by_hand() {
        // p = (1/2, 1/2, 0), r = (0, 1/2, 1/2), m = (1/4, 1/2, 1/4):
        // JSD = 1/2 * (1/2 ln 2) + 1/2 * (1/2 ln 2) = ln(2) / 2.
        let first = pooled_state_counts(&[0, 1]);
        let last = pooled_state_counts(&[1, 2]);
        assert!(close(
            jensen_shannon(&first, &last),
            std::f64::consts::LN_2 / 2.0
        ));
    }

    #[test]
    fn uniform_population_has_entropy_ln_q() {
        // q = 4, N = 3, P = 8: every site holds each state exactly twice.
        let q = 4u8;
        let mut sequences = Vec::new();
        for particle in 0..8u8 {
            for site in 0..3u8 {
                sequences.push((particle + site) % q);
            }
        }
        assert!(close(mean_site_entropy(&sequences, 3), 4f64.ln()));
    }

    #[test]
    fn fixed_population_has_zero_entropy() {
        let sequences = [3u8, 1, 4, 3, 1, 4, 3, 1, 4];
        assert_eq!(mean_site_entropy(&sequences, 3), 0.0);
        assert!(mean_site_entropy(&sequences, 3).is_sign_positive());
    }

    #[test]
    fn entropy_averages_sites() {
        // Site 0 is fixed (0 nats), site 1 splits 2:2 (ln 2 nats).
        let sequences = [0u8, 0, 0, 1, 0, 0, 0, 1];
        assert!(close(
            mean_site_entropy(&sequences, 2),
            std::f64::consts::LN_2 / 2.0
        ));
    }

    #[test]
    fn same_fitness_samples_have_zero_information_gain() {
        let fitness = [0.1f32, 0.5, 0.7, 0.2];
        assert_eq!(histogram_jeffreys(&fitness, &fitness), 0.0);
        let constant = [0.4f32; 5];
        assert_eq!(histogram_jeffreys(&constant, &constant), 0.0);
    }

    #[test]
    fn information_gain_uses_common_range() {
        // Both samples fill two bins of their own range, so per-sample ranges
        // would find no difference; the common range [0, 1] puts them in
        // bins 0, 19 and 9, 19.
        let first = [0.0f32, 1.0];
        let last = [0.5f32, 1.0];
        let floor = FREQUENCY_FLOOR;
        let expected = 2.0 * (0.5 - floor) * (0.5f64.ln() - floor.ln());
        assert!(close(histogram_jeffreys(&first, &last), expected));
    }

    #[test]
    fn barrier_crossings_by_hand() {
        // Median 0.45; sides -, +, -, +, +, - give 4 crossings in 5 steps.
        let means = [0.1, 0.6, 0.2, 0.7, 0.8, 0.3];
        assert!(close(barrier_crossing_frequency(&means), 0.8));
        // Even count: median 0.25 of (0.1, 0.2, 0.3, 0.4); sides -, -, +, +.
        assert!(close(
            barrier_crossing_frequency(&[0.1, 0.2, 0.3, 0.4]),
            1.0 / 3.0
        ));
    }

    #[test]
    fn barrier_sign_zero_is_its_own_side() {
        // Median 0.2 equals the middle mean: sides -, 0, + make 2 crossings.
        assert!(close(barrier_crossing_frequency(&[0.1, 0.2, 0.3]), 1.0));
    }

    #[test]
    fn geometric_mean_by_hand() {
        assert!(close(geometric_fitness_mean(&[0.25, 1.0]), 0.5));
        assert!(close(geometric_fitness_mean(&[0.0, 1.0]), 1e-5));
    }

    #[test]
    fn accumulator_matches_parts() {
        let first = GenerationView {
            n: 2,
            sequences: &[0, 0, 0, 0],
            fitness: &[0.2, 0.4],
        };
        let last = GenerationView {
            n: 2,
            sequences: &[0, 1, 1, 0],
            fitness: &[0.6, 0.8],
        };
        let mut accumulator = MetricsAccumulator::new();
        accumulator.observe(first);
        accumulator.observe(last);
        let result = accumulator.finish(last);
        // Pooled: (1, 0) against (1/2, 1/2).
        let p_jsd = 0.5 * (1.0f64 / 0.75).ln();
        let r_jsd = 0.5 * (0.5 * (0.5f64 / 0.75).ln() + 0.5 * (0.5f64 / 0.25).ln());
        assert!(close(result.jsd_from_original_population, p_jsd + r_jsd));
        assert!(close(result.final_sequence_entropy, std::f64::consts::LN_2));
        let means = [
            (f64::from(0.2f32) + f64::from(0.4f32)) / 2.0,
            (f64::from(0.6f32) + f64::from(0.8f32)) / 2.0,
        ];
        assert!(close(
            result.geometric_fitness_mean,
            (means[0] * means[1]).sqrt()
        ));
        assert_eq!(result.barrier_crossing_frequency, 1.0);
        assert!(result.information_gain > 40.0);
    }
}
