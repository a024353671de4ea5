//! Time to propose one design against the history size, next to the time of
//! one median experiment, measured in the same run.
//!
//! Run with `cargo bench -p oed-surrogate`. Histories are synthetic: designs
//! drawn uniformly in the unit cube of the default space, metrics smooth
//! functions of the design plus small noise. The median experiment is one SMC
//! run of the design at the centre of the default space's unit cube.

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use oed_model::{Design, ExperimentResult, Parameter, ParameterSpace};
use oed_smc::{NativeRunner, RunRequest, Runner, SmcConfig};
use oed_surrogate::{ProposalConfig, propose};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const HISTORY_SIZES: [usize; 4] = [20, 120, 500, 2000];

fn main() {
    let space = ParameterSpace::default();
    let config = ProposalConfig::default();
    println!(
        "propose one design: {} candidates, {} restarts, {} acquisition, {} kernel, {} threads",
        config.candidates,
        config.restarts,
        config.acquisition,
        config.kernel,
        rayon::current_num_threads()
    );

    let experiment = median_experiment_seconds(&space);
    println!();
    println!("| history | propose (s) | propose / experiment |");
    println!("| ---: | ---: | ---: |");
    for size in HISTORY_SIZES {
        let history = synthetic_history(&space, size, size as u64);
        let repeats = if size <= 120 { 3 } else { 1 };
        let seconds = median_seconds(repeats, || {
            let proposals = propose(&space, &history, &config).expect("proposal succeeds");
            assert_eq!(space.validate(&proposals[0].design), Ok(()));
        });
        let ratio = seconds / experiment;
        println!("| {size} | {seconds:.3} | {ratio:.2} |");
    }
}

/// Returns the median wall time of `repeats` calls, in seconds.
fn median_seconds(repeats: usize, mut run: impl FnMut()) -> f64 {
    let mut times: Vec<Duration> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2].as_secs_f64()
}

/// Returns the median time of three SMC runs (seeds 1 to 3) of the centre
/// design, without a trajectory file.
fn median_experiment_seconds(space: &ParameterSpace) -> f64 {
    let design = centre_design(space);
    let runner = NativeRunner::new(SmcConfig::default());
    let mut seed = 0;
    let seconds = median_seconds(3, || {
        seed += 1;
        let request = RunRequest {
            design: &design,
            seed,
            trajectory_path: None,
            cancel: None,
        };
        runner.run(&request).expect("the centre design runs");
    });
    println!("median experiment: {design}: {seconds:.3} s (median of 3 runs)");
    seconds
}

fn centre_design(space: &ParameterSpace) -> Design {
    design_from_unit(space, |_| 0.5)
}

fn design_from_unit(space: &ParameterSpace, mut unit: impl FnMut(Parameter) -> f64) -> Design {
    let mut design = Design {
        n: 1,
        k: 0,
        q: 2,
        population_size: 1,
        n_generations: 1,
        mutation_rate: 0.0,
        diversification_ratio: 0.0,
        branch_length: 1.0,
    };
    for parameter in Parameter::ALL {
        design.set(
            parameter,
            space.bounds(parameter).from_unit(unit(parameter)),
        );
    }
    design.k = design.k.min(design.n - 1);
    design
}

fn synthetic_history(
    space: &ParameterSpace,
    size: usize,
    seed: u64,
) -> Vec<(Design, ExperimentResult)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..size)
        .map(|_| {
            let design = design_from_unit(space, |_| rng.random());
            let u: Vec<f64> = Parameter::ALL
                .iter()
                .map(|&p| space.bounds(p).to_unit(design.get(p)))
                .collect();
            let mut noise = || 0.01 * (rng.random::<f64>() - 0.5);
            let values = [
                (3.0 * u[0]).sin() + u[5] * u[5] + noise(),
                0.2 + 0.5 * u[1] * u[6] + noise(),
                (2.0 * u[2] + u[3]).cos() + noise(),
                (u[3] - 0.4).powi(2) + 0.1 * u[0] + noise(),
                1.0 - 0.3 * u[6] + 0.2 * (4.0 * u[5]).sin() + noise(),
            ];
            (design, ExperimentResult::from_array(values))
        })
        .collect()
}
