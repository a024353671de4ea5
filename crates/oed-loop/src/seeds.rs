//! Every random seed of a loop, derived from the loop's `--seed`.
//!
//! Each consumer reads its own stream so that no seed depends on how many
//! numbers another consumer drew, which is what lets a resumed loop repeat an
//! uninterrupted one. A stream is SplitMix64 (Steele, Lea and Flood, 2014)
//! started at `loop_seed ^ tag`, and the value for position `i` is its output
//! number `i + 1`:
//!
//! ```text
//! state(i)  = (loop_seed ^ tag) + (i + 1) * 0x9E3779B97F4A7C15   (mod 2^64)
//! value(i)  = mix(state(i))
//! mix(z)    = z1 ^ (z1 >> 31), where
//!             z0 = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9,
//!             z1 = (z0 ^ (z0 >> 27)) * 0x94D049BB133111EB
//! ```
//!
//! Experiment seeds use tag 0, so the seed of the experiment at index `i`
//! (its position in the manifest, from 0) is plain SplitMix64's output `i + 1`
//! for the loop seed. The docs repeat this formula so that a user can re-run
//! one experiment from its record alone; the record also stores the seed.

/// SplitMix64's increment, the odd integer closest to 2^64 / golden ratio.
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Stream tags: arbitrary distinct constants ("prop", "sobl" in ASCII).
const EXPERIMENT_TAG: u64 = 0;
const PROPOSAL_TAG: u64 = 0x7072_6f70;
const SOBOL_TAG: u64 = 0x736f_626c;

/// Returns the seed of the experiment at `index` in the manifest.
pub fn experiment_seed(loop_seed: u64, index: u64) -> u64 {
    stream_value(loop_seed ^ EXPERIMENT_TAG, index)
}

/// Returns the seed handed to the surrogate for optimisation round `round`.
pub fn proposal_seed(loop_seed: u64, round: u64) -> u64 {
    stream_value(loop_seed ^ PROPOSAL_TAG, round)
}

/// Returns the scrambling seed of the seeding phase's Sobol sequence.
pub fn sobol_seed(loop_seed: u64) -> u32 {
    // The high half, because SplitMix64's high bits are its best mixed.
    (stream_value(loop_seed ^ SOBOL_TAG, 0) >> 32) as u32
}

fn stream_value(start: u64, index: u64) -> u64 {
    let state = start.wrapping_add(index.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA));
    mix(state)
}

fn mix(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experiment_seeds_match_reference_splitmix64() {
        // The first outputs of SplitMix64 seeded with 1234567, as printed by
        // the reference C implementation (prng.di.unimi.it/splitmix64.c).
        let expected = [
            6457827717110365317,
            3203168211198807973,
            9817491932198370423,
            4593380528125082431,
            16408922859458223821,
        ];
        for (index, value) in expected.into_iter().enumerate() {
            assert_eq!(
                experiment_seed(1234567, index as u64),
                value,
                "index {index}"
            );
        }
    }

    #[test]
    fn streams_differ_between_consumers() {
        assert_ne!(experiment_seed(42, 0), proposal_seed(42, 0));
        assert_ne!(experiment_seed(42, 0), experiment_seed(42, 1));
        assert_ne!(experiment_seed(42, 0), experiment_seed(43, 0));
        assert_ne!(sobol_seed(42), sobol_seed(43));
    }
}
