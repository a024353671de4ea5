//! Designs and run helpers shared by the tests.

use std::path::Path;

use oed_model::Design;
use oed_smc::{NativeRunner, RunError, RunOutcome, RunRequest, Runner, SmcConfig};

/// Returns a small design that runs in milliseconds.
pub fn small_design() -> Design {
    Design {
        n: 12,
        k: 2,
        q: 4,
        population_size: 700,
        n_generations: 15,
        mutation_rate: 0.02,
        diversification_ratio: 0.3,
        branch_length: 1.0,
    }
}

/// Runs `design` with `config`, writing the trajectory to `path` if given.
pub fn run(
    config: SmcConfig,
    design: &Design,
    seed: u64,
    path: Option<&Path>,
) -> Result<RunOutcome, RunError> {
    NativeRunner::new(config).run(&RunRequest {
        design,
        seed,
        trajectory_path: path,
        cancel: None,
    })
}

/// Returns the names of the entries of `dir`, sorted.
pub fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
