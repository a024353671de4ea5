//! Keyed random streams and the few draws the simulation makes from them.
//!
//! Every stream is a ChaCha8 generator whose 32-byte key is built from the run
//! seed, a purpose tag, the generation and a chunk index, so a draw never depends
//! on which thread makes it or on how many draws other chunks made. Uniforms and
//! bounded integers are derived from raw `u64`/`u32` outputs here, not through
//! `rand`'s distributions, so the sequence of states stays the same if those
//! distributions change between `rand` versions.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for; part of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Purpose {
    Landscape = 1,
    SeedSequence = 2,
    Mutation = 3,
    Resampling = 4,
    RecordKey = 5,
}

/// Returns the generator for one (seed, purpose, generation, chunk) key.
pub(crate) fn stream(seed: u64, purpose: Purpose, generation: u32, chunk: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[0..8].copy_from_slice(&seed.to_le_bytes());
    key[8..12].copy_from_slice(&(purpose as u32).to_le_bytes());
    key[12..16].copy_from_slice(&generation.to_le_bytes());
    key[16..24].copy_from_slice(&chunk.to_le_bytes());
    ChaCha8Rng::from_seed(key)
}

/// Draws a uniform number in [0, 1) with 53 random bits.
pub(crate) fn uniform(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Draws a uniform integer in `0..bound` by the widening multiply (bias below
/// `bound / 2^32`, which is under 3e-8 for the alphabet sizes used here).
pub(crate) fn below(rng: &mut impl RngCore, bound: u32) -> u32 {
    ((u64::from(rng.next_u32()) * u64::from(bound)) >> 32) as u32
}

/// Draws a state uniformly among the `q - 1` states other than `current`.
pub(crate) fn other_state(rng: &mut impl RngCore, current: u8, q: u32) -> u8 {
    let drawn = below(rng, q - 1) as u8;
    if drawn >= current { drawn + 1 } else { drawn }
}

/// Gaps between Bernoulli(p) successes: the number of failures before the next
/// success follows a geometric law, drawn by inversion in one uniform.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GeometricGaps {
    /// ln(1 - p); zero when p = 0 (no successes) and -inf when p = 1.
    log_complement: f64,
    probability: f64,
}

impl GeometricGaps {
    pub(crate) fn new(probability: f64) -> GeometricGaps {
        GeometricGaps {
            log_complement: (-probability).ln_1p(),
            probability,
        }
    }

    /// Returns the number of positions to skip before the next success, or
    /// `None` when successes never happen (p = 0).
    pub(crate) fn next_gap(&self, rng: &mut impl RngCore) -> Option<u64> {
        if self.probability <= 0.0 {
            return None;
        }
        if self.probability >= 1.0 {
            return Some(0);
        }
        // 1 - U lies in (0, 1], so its logarithm is finite.
        let u = 1.0 - uniform(rng);
        let gap = (u.ln() / self.log_complement).floor();
        // A float beyond u64::MAX saturates, which ends any chunk.
        Some(gap as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_every_key_part() {
        let base = stream(7, Purpose::Mutation, 3, 5).next_u64();
        assert_ne!(base, stream(8, Purpose::Mutation, 3, 5).next_u64());
        assert_ne!(base, stream(7, Purpose::Resampling, 3, 5).next_u64());
        assert_ne!(base, stream(7, Purpose::Mutation, 4, 5).next_u64());
        assert_ne!(base, stream(7, Purpose::Mutation, 3, 6).next_u64());
        assert_eq!(base, stream(7, Purpose::Mutation, 3, 5).next_u64());
    }

    #[test]
    fn other_state_never_returns_current() {
        let mut rng = stream(1, Purpose::Mutation, 0, 0);
        let mut seen = [0u32; 4];
        for _ in 0..4000 {
            let state = other_state(&mut rng, 2, 4);
            assert_ne!(state, 2);
            seen[state as usize] += 1;
        }
        for state in [0, 1, 3] {
            assert!(
                seen[state] > 1100,
                "state {state} drawn {} times",
                seen[state]
            );
        }
    }

    #[test]
    fn geometric_gaps_match_rate() {
        let gaps = GeometricGaps::new(0.01);
        let mut rng = stream(2, Purpose::Mutation, 0, 0);
        let mut position = 0u64;
        let mut successes = 0u64;
        let length = 10_000_000u64;
        while let Some(gap) = gaps.next_gap(&mut rng) {
            position = position.saturating_add(gap);
            if position >= length {
                break;
            }
            successes += 1;
            position += 1;
        }
        // Binomial(1e7, 0.01): mean 1e5, standard deviation about 315.
        assert!(
            (98_500..101_500).contains(&successes),
            "{successes} successes"
        );
    }

    #[test]
    fn geometric_gaps_edge_rates() {
        let mut rng = stream(3, Purpose::Mutation, 0, 0);
        assert_eq!(GeometricGaps::new(0.0).next_gap(&mut rng), None);
        assert_eq!(GeometricGaps::new(1.0).next_gap(&mut rng), Some(0));
    }
}
