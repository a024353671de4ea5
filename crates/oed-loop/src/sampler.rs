//! The SMC runner the loop uses, with the trajectory thinning of
//! `--trajectory auto`.

use oed_model::Design;
use oed_smc::{
    NativeRunner, Resampling, RunError, RunOutcome, RunRequest, Runner, SmcConfig, TrajectoryMode,
    estimate_file_bytes,
};
use serde_json::{Value, json};

use crate::cli::{ResamplingArg, Settings, TrajectoryArg};

/// A [`NativeRunner`] whose trajectory mode may depend on the design.
///
/// With `auto`, a run writes every generation while the estimated file stays
/// within the budget. A larger run writes generation 0, every k-th generation
/// and the last one, with the smallest k that fits the budget, and never fewer
/// than those two records.
#[derive(Clone, Debug)]
pub struct LoopRunner {
    config: SmcConfig,
    trajectory: TrajectoryArg,
    budget_bytes: u64,
}

impl LoopRunner {
    pub fn new(settings: &Settings) -> LoopRunner {
        let resampling = match settings.resampling {
            ResamplingArg::Systematic => Resampling::Systematic,
            ResamplingArg::Multinomial => Resampling::Multinomial,
            ResamplingArg::Stratified => Resampling::Stratified,
            ResamplingArg::Residual => Resampling::Residual,
        };
        LoopRunner {
            config: SmcConfig {
                resampling,
                beta: settings.beta,
                trajectory: TrajectoryMode::EveryGeneration,
            },
            trajectory: settings.trajectory,
            budget_bytes: settings.trajectory_budget_bytes,
        }
    }

    /// Returns the trajectory mode of a run of `design`.
    pub fn trajectory_mode(&self, design: &Design) -> TrajectoryMode {
        match self.trajectory {
            TrajectoryArg::Every => TrajectoryMode::EveryGeneration,
            TrajectoryArg::EveryKth(k) => TrajectoryMode::Every(k),
            TrajectoryArg::None => TrajectoryMode::None,
            TrajectoryArg::Auto => thinned_mode(design, self.budget_bytes),
        }
    }

    /// Returns the runner's settings for a run of `design`, as recorded in
    /// the run metadata.
    pub fn settings_json(&self, design: &Design) -> Value {
        json!({
            "runner": "native",
            "resampling_approach": resampling_name(self.config.resampling),
            "beta": self.config.beta,
            "trajectory": trajectory_name(self.trajectory_mode(design)),
        })
    }

    fn native(&self, design: &Design) -> NativeRunner {
        NativeRunner::new(SmcConfig {
            trajectory: self.trajectory_mode(design),
            ..self.config
        })
    }
}

impl Runner for LoopRunner {
    fn run(&self, request: &RunRequest<'_>) -> Result<RunOutcome, RunError> {
        self.native(request.design).run(request)
    }

    fn estimate_trajectory_bytes(&self, design: &Design) -> u64 {
        self.native(design).estimate_trajectory_bytes(design)
    }
}

/// Returns every generation when it fits `budget_bytes`, else the sparsest
/// `Every(k)` needed to fit, and `Every(G)` (generations 0 and G) at worst.
fn thinned_mode(design: &Design, budget_bytes: u64) -> TrajectoryMode {
    let last = design.n_generations;
    let particles = usize::try_from(design.population_size).unwrap_or(usize::MAX);
    let n = design.n as usize;
    let size = |mode: TrajectoryMode| estimate_file_bytes(mode.record_count(last), particles, n);

    if size(TrajectoryMode::EveryGeneration) <= budget_bytes {
        return TrajectoryMode::EveryGeneration;
    }
    (2..=last.max(1))
        .map(TrajectoryMode::Every)
        .find(|&mode| size(mode) <= budget_bytes)
        .unwrap_or(TrajectoryMode::Every(last.max(1)))
}

fn resampling_name(resampling: Resampling) -> &'static str {
    match resampling {
        Resampling::Systematic => "systematic",
        Resampling::Multinomial => "multinomial",
        Resampling::Stratified => "stratified",
        Resampling::Residual => "residual",
    }
}

fn trajectory_name(mode: TrajectoryMode) -> String {
    match mode {
        TrajectoryMode::EveryGeneration => "every".to_string(),
        TrajectoryMode::Every(k) => format!("every:{k}"),
        TrajectoryMode::None => "none".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(n: u32, population_size: u64) -> Design {
        Design {
            n,
            k: 1,
            q: 4,
            population_size,
            n_generations: 200,
            mutation_rate: 1e-3,
            diversification_ratio: 0.1,
            branch_length: 1.0,
        }
    }

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn small_runs_keep_every_generation() {
        assert_eq!(
            thinned_mode(&design(20, 100), 64 * MIB),
            TrajectoryMode::EveryGeneration
        );
    }

    #[test]
    fn large_runs_are_thinned_within_budget() {
        let big = design(200, 100_000);
        let mode = thinned_mode(&big, 64 * MIB);
        let TrajectoryMode::Every(k) = mode else {
            panic!("expected thinning, got {mode:?}");
        };
        assert!(k > 1);
        let bytes = estimate_file_bytes(mode.record_count(200), 100_000, 200);
        assert!(bytes <= 64 * MIB, "{bytes} bytes for every:{k}");
        // One step denser would not fit.
        let denser = TrajectoryMode::Every(k - 1).record_count(200);
        assert!(estimate_file_bytes(denser, 100_000, 200) > 64 * MIB || k == 2);
    }

    #[test]
    fn tiny_budget_keeps_first_and_last_generation() {
        assert_eq!(
            thinned_mode(&design(200, 100_000), 1),
            TrajectoryMode::Every(200)
        );
    }
}
