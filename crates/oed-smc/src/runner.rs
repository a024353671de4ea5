//! The runner interface the loop calls, and its native implementation.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use oed_model::{Design, ExperimentResult};

use crate::error::RunError;
use crate::metrics::{GenerationView, MetricsAccumulator};
use crate::smc::{self, SmcConfig, TrajectoryMode};
use crate::trajectory::{self, TrajectoryWriter};

/// Runs experiments: one design and seed in, metrics and a trajectory out.
pub trait Runner: Send + Sync {
    /// Runs one experiment.
    fn run(&self, request: &RunRequest<'_>) -> Result<RunOutcome, RunError>;

    /// Upper estimate of the trajectory file size, for the loop's disk-space
    /// check.
    fn estimate_trajectory_bytes(&self, design: &Design) -> u64;
}

/// One experiment to run.
#[derive(Clone, Copy, Debug)]
pub struct RunRequest<'a> {
    pub design: &'a Design,
    pub seed: u64,
    /// Where the trajectory goes; `None` writes none, and the metrics are
    /// still computed.
    pub trajectory_path: Option<&'a Path>,
    /// Checked once per generation. When set, the run stops with a cancelled
    /// error and its partial trajectory is removed.
    pub cancel: Option<&'a AtomicBool>,
}

/// What a finished experiment produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOutcome {
    pub result: ExperimentResult,
    /// Records in the trajectory file; 0 when none was written.
    pub record_count: u64,
    /// Size of the trajectory file; 0 when none was written.
    pub trajectory_bytes: u64,
    pub elapsed: Duration,
}

/// The SMC runner of this crate, running in the calling process on rayon's
/// current thread pool.
#[derive(Clone, Debug, Default)]
pub struct NativeRunner {
    config: SmcConfig,
}

impl NativeRunner {
    /// Returns a runner with the given settings.
    pub fn new(config: SmcConfig) -> NativeRunner {
        NativeRunner { config }
    }

    /// The runner's settings.
    pub fn config(&self) -> &SmcConfig {
        &self.config
    }

    fn validate(&self, design: &Design) -> Result<(), RunError> {
        design
            .validate_physics()
            .map_err(RunError::invalid_design)?;
        if !self.config.beta.is_finite() {
            let message = format!("beta = {} must be a finite number", self.config.beta);
            return Err(RunError::invalid_config(message));
        }
        if self.config.trajectory == TrajectoryMode::Every(0) {
            let message = "trajectory interval 0 is invalid: use 1 or more".to_string();
            return Err(RunError::invalid_config(message));
        }
        if usize::try_from(design.population_size)
            .ok()
            .and_then(|p| p.checked_mul(design.n as usize))
            .is_none()
        {
            let message = format!(
                "population_size * N = {} * {} does not fit in memory",
                design.population_size, design.n
            );
            return Err(RunError::invalid_config(message));
        }
        Ok(())
    }
}

impl Runner for NativeRunner {
    fn run(&self, request: &RunRequest<'_>) -> Result<RunOutcome, RunError> {
        let started = Instant::now();
        let design = request.design;
        self.validate(design)?;

        let mode = match request.trajectory_path {
            Some(_) => self.config.trajectory,
            None => TrajectoryMode::None,
        };
        let mut writer = match (request.trajectory_path, mode) {
            (Some(path), mode) if mode != TrajectoryMode::None => {
                Some(TrajectoryWriter::create(path)?)
            }
            _ => None,
        };

        let last = design.n_generations;
        let mut accumulator = MetricsAccumulator::new();
        let mut result = None;
        smc::simulate(design, &self.config, request.seed, |generation| {
            if request
                .cancel
                .is_some_and(|flag| flag.load(Ordering::Relaxed))
            {
                return Err(RunError::cancelled());
            }
            let view = GenerationView {
                n: generation.n,
                sequences: generation.states,
                fitness: generation.fitness,
            };
            accumulator.observe(view);
            if generation.generation == last {
                result = Some(accumulator.finish(view));
            }
            match writer.as_mut() {
                Some(writer) if mode.records(generation.generation, last) => {
                    writer.write(generation, self.config.beta)
                }
                _ => Ok(()),
            }
        })?;

        let (record_count, trajectory_bytes) = match writer {
            Some(writer) => writer.finish()?,
            None => (0, 0),
        };
        let elapsed = started.elapsed();
        tracing::debug!(
            seed = request.seed,
            record_count,
            trajectory_bytes,
            elapsed_ms = elapsed.as_millis() as u64,
            "finished SMC run"
        );
        Ok(RunOutcome {
            result: result.expect("the last generation was observed"),
            record_count,
            trajectory_bytes,
            elapsed,
        })
    }

    fn estimate_trajectory_bytes(&self, design: &Design) -> u64 {
        let records = self.config.trajectory.record_count(design.n_generations);
        let particles = usize::try_from(design.population_size).unwrap_or(usize::MAX);
        trajectory::estimate_file_bytes(records, particles, design.n as usize)
    }
}
