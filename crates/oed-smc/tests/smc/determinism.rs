use oed_smc::{Resampling, SmcConfig};

use crate::harness::{run, small_design};

/// Runs the design on a pool of `threads` threads and returns the result and
/// the trajectory bytes.
fn run_on_threads(threads: usize, config: SmcConfig) -> (oed_model::ExperimentResult, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.arrayrecord");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    // 2,100 particles span five chunks of work.
    let mut design = small_design();
    design.population_size = 2100;
    let outcome = pool
        .install(|| run(config, &design, 99, Some(&path)))
        .unwrap();
    (outcome.result, std::fs::read(&path).unwrap())
}

#[test]
fn one_and_two_threads_are_bit_identical() {
    for resampling in [
        Resampling::Systematic,
        Resampling::Multinomial,
        Resampling::Stratified,
        Resampling::Residual,
    ] {
        let config = SmcConfig {
            resampling,
            beta: 5.0,
            ..SmcConfig::default()
        };
        let (one_result, one_file) = run_on_threads(1, config);
        let (two_result, two_file) = run_on_threads(2, config);
        assert_eq!(one_result, two_result, "{resampling:?}");
        assert!(one_file == two_file, "{resampling:?}: trajectories differ");
    }
}

#[test]
fn seeds_change_results() {
    let design = small_design();
    let first = run(SmcConfig::default(), &design, 1, None).unwrap();
    let again = run(SmcConfig::default(), &design, 1, None).unwrap();
    let other = run(SmcConfig::default(), &design, 2, None).unwrap();
    assert_eq!(first.result, again.result);
    assert_ne!(first.result, other.result);
}

#[test]
fn selection_raises_mean_fitness() {
    // Same seed, so generation 0 is the same; only the weights differ.
    let mut design = small_design();
    design.n_generations = 40;
    design.mutation_rate = 0.005;
    let neutral = SmcConfig {
        beta: 0.0,
        ..SmcConfig::default()
    };
    let strong = SmcConfig {
        beta: 200.0,
        ..SmcConfig::default()
    };
    let neutral = run(neutral, &design, 3, None).unwrap().result;
    let strong = run(strong, &design, 3, None).unwrap().result;
    assert!(
        strong.geometric_fitness_mean > neutral.geometric_fitness_mean + 0.02,
        "geometric fitness mean {} under selection, {} without",
        strong.geometric_fitness_mean,
        neutral.geometric_fitness_mean
    );
}
