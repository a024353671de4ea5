use oed_smc::{CONTRIBUTION_SCALE, NkLandscape};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Every sequence of length `n` over `q` states, in lexicographic order.
fn all_sequences(n: usize, q: u8) -> Vec<Vec<u8>> {
    let mut sequences = vec![Vec::new()];
    for _ in 0..n {
        sequences = sequences
            .into_iter()
            .flat_map(|prefix| {
                (0..q).map(move |state| {
                    let mut next = prefix.clone();
                    next.push(state);
                    next
                })
            })
            .collect();
    }
    sequences
}

#[test]
fn table_path_equals_hash_path() {
    for (n, k, q, seed) in [(8, 0, 2, 1), (10, 2, 4, 2), (6, 5, 3, 3), (20, 3, 5, 4)] {
        let table = NkLandscape::new(n, k, q, seed);
        assert!(table.has_table(), "N={n} K={k} q={q}");
        let hashed = table.clone().without_table();
        assert!(!hashed.has_table());

        let sequences = if u64::from(q).pow(n) <= 5000 {
            all_sequences(n as usize, q as u8)
        } else {
            // Too many to enumerate: a walk that visits every state at every
            // site.
            (0..2000u32)
                .map(|i| {
                    (0..n)
                        .map(|s| ((i * 7 + s * s * 3 + i / q) % q) as u8)
                        .collect()
                })
                .collect()
        };
        for sequence in &sequences {
            for site in 0..n as usize {
                assert_eq!(
                    table.contribution(site, sequence),
                    hashed.contribution(site, sequence),
                    "N={n} K={k} q={q} site {site} sequence {sequence:?}"
                );
            }
            assert_eq!(table.fitness(sequence), hashed.fitness(sequence));
        }
    }
}

#[test]
fn large_landscape_has_no_table() {
    let landscape = NkLandscape::new(200, 5, 20, 1);
    assert!(!landscape.has_table());
    assert_eq!(landscape.table_entries(), Some(200 * 20u64.pow(6)));
    let sequence = vec![19u8; 200];
    let fitness = landscape.fitness(&sequence);
    assert!((0.0..1.0).contains(&fitness), "{fitness}");
}

#[test]
fn contribution_is_documented_hash() {
    // The key is the site as u32 little-endian, the own state, the neighbour
    // states in neighbour order, then zeros up to a multiple of 8 bytes; the
    // value is the hash's upper half. K = 70 takes the long-key path.
    for (n, k) in [(7, 2), (12, 5), (20, 11), (80, 70)] {
        let landscape = NkLandscape::new(n, k, 3, 42).without_table();
        let sequence: Vec<u8> = (0..n).map(|s| ((s * s + 1) % 3) as u8).collect();
        for site in 0..n as usize {
            let mut key = (site as u32).to_le_bytes().to_vec();
            key.push(sequence[site]);
            for &neighbour in landscape.neighbours(site) {
                key.push(sequence[neighbour as usize]);
            }
            key.resize(key.len().div_ceil(8) * 8, 0);
            let expected = (xxh3_64_with_seed(&key, landscape.hash_seed()) >> 32) as u32;
            let found = landscape.contribution(site, &sequence);
            assert_eq!(found, expected, "N={n} K={k} site {site}");
        }
    }
}

#[test]
fn k0_q2_landscape_by_hand() {
    // With K = 0 each site's contribution depends on its own state only, so
    // fitness is additive: the mean over sites of c_site(state).
    let n = 5;
    let landscape = NkLandscape::new(n as u32, 0, 2, 7);
    let zeros = vec![0u8; n];
    let ones = vec![1u8; n];
    let c0: Vec<f64> = (0..n)
        .map(|s| f64::from(landscape.contribution(s, &zeros)) / CONTRIBUTION_SCALE)
        .collect();
    let c1: Vec<f64> = (0..n)
        .map(|s| f64::from(landscape.contribution(s, &ones)) / CONTRIBUTION_SCALE)
        .collect();

    let mut best = (f64::NEG_INFINITY, Vec::new());
    for sequence in all_sequences(n, 2) {
        let by_hand: f64 = sequence
            .iter()
            .enumerate()
            .map(|(s, &state)| if state == 0 { c0[s] } else { c1[s] })
            .sum::<f64>()
            / n as f64;
        let fitness = landscape.fitness(&sequence);
        assert!((fitness - by_hand).abs() < 1e-15, "{sequence:?}");
        assert!((0.0..1.0).contains(&fitness));
        if fitness > best.0 {
            best = (fitness, sequence);
        }
    }
    // The optimum takes the better state at every site.
    let argmax: Vec<u8> = (0..n).map(|s| u8::from(c1[s] > c0[s])).collect();
    assert_eq!(best.1, argmax);
    for site in 0..n {
        assert!(landscape.neighbours(site).is_empty());
    }
}

#[test]
fn contributions_look_uniform() {
    // 20,000 hashed contributions: each decile holds about 2,000 (sd 42).
    let landscape = NkLandscape::new(100, 3, 20, 5).without_table();
    let mut deciles = [0u32; 10];
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for _ in 0..200 {
        let sequence: Vec<u8> = (0..100).map(|_| rng.random_range(0..20)).collect();
        for site in 0..100 {
            let value = f64::from(landscape.contribution(site, &sequence)) / CONTRIBUTION_SCALE;
            deciles[(value * 10.0) as usize] += 1;
        }
    }
    for (decile, &count) in deciles.iter().enumerate() {
        assert!((1800..2200).contains(&count), "decile {decile}: {count}");
    }
}
