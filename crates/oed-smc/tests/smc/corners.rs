//! Every corner of the default parameter space with P = 50 runs and gives
//! metrics in their ranges; the P = 100,000 corners run in the benchmark.

use oed_model::Design;
use oed_smc::SmcConfig;

use crate::harness::run;

#[test]
fn small_population_corners_run() {
    let mut count = 0;
    for n in [10, 200] {
        for k in [0, 5] {
            for q in [2, 20] {
                for mutation_rate in [1e-9, 1e-1] {
                    for diversification_ratio in [0.0, 1.0] {
                        let design = Design {
                            n,
                            k,
                            q,
                            population_size: 50,
                            n_generations: 20,
                            mutation_rate,
                            diversification_ratio,
                            branch_length: 1.0,
                        };
                        check_corner(&design);
                        count += 1;
                    }
                }
            }
        }
    }
    assert_eq!(count, 32);
}

fn check_corner(design: &Design) {
    let result = run(SmcConfig::default(), design, 17, None)
        .unwrap_or_else(|e| panic!("{design}: {e}"))
        .result;
    let ln_q = f64::from(design.q).ln();
    let ln_2 = std::f64::consts::LN_2;
    assert!(
        result.information_gain >= 0.0 && result.information_gain.is_finite(),
        "{design}: {result:?}"
    );
    assert!(
        (0.0..=1.0).contains(&result.barrier_crossing_frequency),
        "{design}: {result:?}"
    );
    assert!(
        (0.0..=ln_q + 1e-12).contains(&result.final_sequence_entropy),
        "{design}: {result:?}"
    );
    assert!(
        (0.0..=ln_2 + 1e-12).contains(&result.jsd_from_original_population),
        "{design}: {result:?}"
    );
    assert!(
        (0.0..1.0).contains(&result.geometric_fitness_mean),
        "{design}: {result:?}"
    );
    if design.diversification_ratio == 0.0 && design.mutation_rate < 1e-6 {
        // 50 * 200 * 20 * 1e-9 expected mutations: the seed sequence stays.
        assert_eq!(result.final_sequence_entropy, 0.0, "{design}");
        assert_eq!(result.jsd_from_original_population, 0.0, "{design}");
        assert_eq!(result.information_gain, 0.0, "{design}");
    }
}
