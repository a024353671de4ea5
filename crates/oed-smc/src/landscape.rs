//! The NK fitness landscape.
//!
//! Site `i` of a sequence of length N reads its own state and the states of K
//! distinct neighbour sites. Its contribution is a keyed hash of (site, own
//! state, neighbour states), taken as a 32-bit integer `c` and read as the
//! uniform value `c / 2^32` in [0, 1). Fitness is the mean of the N
//! contributions. Because contributions are integers, a fitness kept as their
//! sum can be updated by adding and subtracting single contributions and stays
//! bit-identical to a full evaluation.
//!
//! The hash is XXH3-64 (a fixed, versioned algorithm), seeded with a value
//! derived from the run seed. Its key is `site as u32 little-endian`, the own
//! state and each neighbour's state in neighbour order, zero-padded to a
//! multiple of 8 bytes. The contribution is the upper 32 bits of the hash, so
//! the landscape needs O(N*K) memory whatever q and K are. When N * q^(K+1) is
//! small, a table is filled from the same hash and gives identical values
//! faster.

use rand::RngCore;
use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::rng::{self, Purpose};

/// Tables larger than this many entries (4 bytes each, so 16 MiB) are not
/// built; such landscapes hash every contribution.
pub const MAX_TABLE_ENTRIES: u64 = 1 << 22;

/// Number of contribution units in 1.0: a contribution `c` is worth `c / 2^32`.
pub const CONTRIBUTION_SCALE: f64 = 4_294_967_296.0;

/// Key bytes that fit on the stack: the site (4), own state (1) and up to 59
/// neighbour states.
const STACK_KEY_BYTES: usize = 64;

/// Returns the key length for K neighbours: 5 + K bytes, zero-padded to a
/// multiple of 8.
fn key_length(k: usize) -> usize {
    (5 + k).div_ceil(8) * 8
}

/// An NK landscape: neighbour lists and contribution values.
#[derive(Clone, Debug)]
pub struct NkLandscape {
    n: usize,
    k: usize,
    q: u32,
    hash_seed: u64,
    /// `neighbours[i*K..(i+1)*K]` lists the neighbours of site `i`.
    neighbours: Vec<u32>,
    /// Sites whose contribution changes when site `i` changes: `i` itself, then
    /// every site that has `i` as a neighbour, at
    /// `affected[affected_offsets[i]..affected_offsets[i+1]]`.
    affected_offsets: Vec<u32>,
    affected: Vec<u32>,
    /// Contribution of (site, own state, neighbour states) at
    /// `site * q^(K+1) + own * q^K + ... + last neighbour state`.
    table: Option<Vec<u32>>,
}

impl NkLandscape {
    /// Builds the landscape of a design and seed, with a table when it has at
    /// most [`MAX_TABLE_ENTRIES`] entries.
    ///
    /// # Panics
    ///
    /// If `k >= n`, `q < 2` or `q > 256`; a validated design never has these.
    pub fn new(n: u32, k: u32, q: u32, seed: u64) -> NkLandscape {
        assert!(k < n, "K = {k} must be below N = {n}");
        assert!((2..=256).contains(&q), "q = {q} must be between 2 and 256");
        let (n, k) = (n as usize, k as usize);
        let mut rng = rng::stream(seed, Purpose::Landscape, 0, 0);
        let hash_seed = rng.next_u64();

        let mut neighbours = Vec::with_capacity(n * k);
        let mut candidates: Vec<u32> = Vec::with_capacity(n);
        for site in 0..n {
            candidates.clear();
            candidates.extend((0..n as u32).filter(|&other| other as usize != site));
            // Partial Fisher-Yates: the first K entries become a uniform draw of
            // K distinct sites, in drawn order.
            for slot in 0..k {
                let remaining = (candidates.len() - slot) as u32;
                let pick = slot + rng::below(&mut rng, remaining) as usize;
                candidates.swap(slot, pick);
            }
            neighbours.extend_from_slice(&candidates[..k]);
        }

        let (affected_offsets, affected) = affected_sites(n, k, &neighbours);
        let mut landscape = NkLandscape {
            n,
            k,
            q,
            hash_seed,
            neighbours,
            affected_offsets,
            affected,
            table: None,
        };
        if landscape
            .table_entries()
            .is_some_and(|e| e <= MAX_TABLE_ENTRIES)
        {
            landscape.table = Some(landscape.fill_table());
        }
        landscape
    }

    /// Returns the same landscape without its table, so every contribution is
    /// hashed.
    pub fn without_table(mut self) -> NkLandscape {
        self.table = None;
        self
    }

    /// Whether contributions are read from a precomputed table.
    pub fn has_table(&self) -> bool {
        self.table.is_some()
    }

    /// The XXH3 seed of the contribution hash, derived from the run seed.
    pub fn hash_seed(&self) -> u64 {
        self.hash_seed
    }

    /// Sequence length N.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of neighbours per site, K.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Alphabet size q.
    pub fn q(&self) -> u32 {
        self.q
    }

    /// The K neighbour sites of `site`, in drawn order.
    pub fn neighbours(&self, site: usize) -> &[u32] {
        &self.neighbours[site * self.k..(site + 1) * self.k]
    }

    /// The sites whose contribution depends on the state of `site`: `site`
    /// itself first, then the sites that have it as a neighbour.
    pub fn affected_by(&self, site: usize) -> &[u32] {
        let start = self.affected_offsets[site] as usize;
        let end = self.affected_offsets[site + 1] as usize;
        &self.affected[start..end]
    }

    /// Returns the contribution of `site` in `sequence`, in units of 2^-32.
    #[inline]
    pub fn contribution(&self, site: usize, sequence: &[u8]) -> u32 {
        let neighbours = self.neighbours(site);
        if let Some(table) = &self.table {
            let q = self.q as usize;
            let mut index = sequence[site] as usize;
            for &neighbour in neighbours {
                index = index * q + sequence[neighbour as usize] as usize;
            }
            let per_site = table.len() / self.n;
            return table[site * per_site + index];
        }
        let own = sequence[site];
        let states = neighbours.iter().map(|&j| sequence[j as usize]);
        self.hash_contribution(site, own, states)
    }

    /// Returns the sum of all N contributions of `sequence`, in units of 2^-32.
    pub fn fitness_units(&self, sequence: &[u8]) -> u64 {
        (0..self.n)
            .map(|site| u64::from(self.contribution(site, sequence)))
            .sum()
    }

    /// Returns the fitness of `sequence`: the mean contribution, in [0, 1).
    pub fn fitness(&self, sequence: &[u8]) -> f64 {
        self.units_to_fitness(self.fitness_units(sequence))
    }

    /// Converts a sum of contributions to a fitness value.
    #[inline]
    pub fn units_to_fitness(&self, units: u64) -> f64 {
        units as f64 / (self.n as f64 * CONTRIBUTION_SCALE)
    }

    /// Returns N * q^(K+1), the size a full table would have, or `None` when it
    /// overflows a u64.
    pub fn table_entries(&self) -> Option<u64> {
        let mut entries = self.n as u64;
        for _ in 0..=self.k {
            entries = entries.checked_mul(u64::from(self.q))?;
        }
        Some(entries)
    }

    /// Hashes (site, own state, neighbour states) to a contribution.
    fn hash_contribution(&self, site: usize, own: u8, states: impl Iterator<Item = u8>) -> u32 {
        let length = key_length(self.k);

        // Keys of up to 16 bytes (K <= 11) are packed into one u128 in
        // registers, then stored whole: storing byte by byte and letting the
        // hash load 8-byte words would stall on store-to-load forwarding.
        if length <= 16 {
            let mut packed = u128::from(site as u32) | u128::from(own) << 32;
            for (index, state) in (5..).zip(states) {
                packed |= u128::from(state) << (8 * index);
            }
            let key = packed.to_le_bytes();
            return (xxh3_64_with_seed(&key[..length], self.hash_seed) >> 32) as u32;
        }

        let mut stack = [0u8; STACK_KEY_BYTES];
        let mut heap = Vec::new();
        let key: &mut [u8] = if length <= STACK_KEY_BYTES {
            &mut stack[..length]
        } else {
            heap.resize(length, 0);
            &mut heap
        };
        key[0..4].copy_from_slice(&(site as u32).to_le_bytes());
        key[4] = own;
        for (slot, state) in key[5..].iter_mut().zip(states) {
            *slot = state;
        }
        (xxh3_64_with_seed(key, self.hash_seed) >> 32) as u32
    }

    fn fill_table(&self) -> Vec<u32> {
        let q = self.q as usize;
        let per_site = q.pow(self.k as u32 + 1);
        let mut table = vec![0u32; per_site * self.n];
        table
            .par_chunks_mut(per_site)
            .enumerate()
            .for_each(|(site, entries)| {
                let mut digits = vec![0u8; self.k + 1];
                for (code, entry) in entries.iter_mut().enumerate() {
                    // Digits of `code` in base q, most significant (own state) first.
                    let mut rest = code;
                    for digit in digits.iter_mut().rev() {
                        *digit = (rest % q) as u8;
                        rest /= q;
                    }
                    let states = digits[1..].iter().copied();
                    *entry = self.hash_contribution(site, digits[0], states);
                }
            });
        table
    }
}

/// Builds the compressed lists of sites affected by each site's state.
fn affected_sites(n: usize, k: usize, neighbours: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let mut lists: Vec<Vec<u32>> = (0..n as u32).map(|site| vec![site]).collect();
    for site in 0..n {
        for &neighbour in &neighbours[site * k..(site + 1) * k] {
            lists[neighbour as usize].push(site as u32);
        }
    }
    let mut offsets = Vec::with_capacity(n + 1);
    let mut flat = Vec::with_capacity(n * (k + 1));
    offsets.push(0);
    for list in lists {
        flat.extend_from_slice(&list);
        offsets.push(flat.len() as u32);
    }
    (offsets, flat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_are_distinct_and_exclude_site() {
        let landscape = NkLandscape::new(12, 5, 3, 9);
        for site in 0..12 {
            let mut neighbours = landscape.neighbours(site).to_vec();
            assert!(!neighbours.contains(&(site as u32)));
            neighbours.sort_unstable();
            neighbours.dedup();
            assert_eq!(neighbours.len(), 5);
        }
    }

    #[test]
    fn neighbours_cover_all_sites_uniformly() {
        // N=5, K=2: each site draws 2 of its 4 others, so each other site is a
        // neighbour with probability 1/2.
        let mut counts = [[0u32; 5]; 5];
        for seed in 0..2000 {
            let landscape = NkLandscape::new(5, 2, 2, seed);
            for (site, row) in counts.iter_mut().enumerate() {
                for &neighbour in landscape.neighbours(site) {
                    row[neighbour as usize] += 1;
                }
            }
        }
        for (site, row) in counts.iter().enumerate() {
            for (other, &count) in row.iter().enumerate() {
                if other == site {
                    assert_eq!(count, 0);
                } else {
                    assert!((900..1100).contains(&count), "{site}->{other}: {count}");
                }
            }
        }
    }

    #[test]
    fn affected_lists_invert_neighbours() {
        let landscape = NkLandscape::new(20, 3, 4, 1);
        for site in 0..20 {
            let affected = landscape.affected_by(site);
            assert_eq!(affected[0] as usize, site);
            for other in 0..20 {
                let reads_site = landscape.neighbours(other).contains(&(site as u32));
                assert_eq!(affected[1..].contains(&(other as u32)), reads_site);
            }
        }
    }

    #[test]
    fn table_entries_overflow_is_none() {
        let landscape = NkLandscape::new(200, 199, 20, 1);
        assert_eq!(landscape.table_entries(), None);
        assert!(!landscape.has_table());
    }

    #[test]
    fn long_keys_hash_on_the_heap() {
        // K = 80 needs an 88-byte key, past the stack buffer.
        let landscape = NkLandscape::new(100, 80, 2, 4);
        let sequence = vec![1u8; 100];
        let mut changed = sequence.clone();
        changed[landscape.neighbours(0)[79] as usize] = 0;
        assert_ne!(
            landscape.contribution(0, &sequence),
            landscape.contribution(0, &changed)
        );
    }
}
