//! One experiment: its run, and the metadata and manifest record made from it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use oed_model::{ExperimentRecord, ExperimentResult, RunStatus};
use oed_smc::{RunError, RunRequest, Runner};
use oed_store::{RunDir, RunId, timestamp_now};
use serde_json::{Value, json};

use crate::planner::Job;

/// The layout version of the records this loop writes.
pub const RECORD_SCHEMA_VERSION: u32 = 1;

/// The end state of a run.
#[derive(Debug)]
pub enum Ending {
    Completed {
        result: ExperimentResult,
        record_count: u64,
    },
    /// The design or the runner's settings were rejected, or the runner
    /// panicked: recorded as a failed experiment, and the loop goes on.
    Failed(String),
    /// Writing the trajectory failed (a full disk, say): the loop stops, and
    /// a resume runs the experiment again.
    Aborted(RunError),
    /// The cancel flag stopped the run.
    Cancelled,
}

/// A finished run of one [`Job`].
#[derive(Debug)]
pub struct Finished {
    pub job: Job,
    pub run_id: RunId,
    pub ending: Ending,
    pub elapsed: Duration,
}

/// Runs one job; the trajectory goes to `data_<run_id>.arrayrecord` unless
/// `write_trajectory` is false.
pub fn run_job(
    runner: &dyn Runner,
    dir: &RunDir,
    job: Job,
    run_id: RunId,
    cancel: &AtomicBool,
) -> Finished {
    let started = Instant::now();
    let trajectory_path = dir.trajectory_path(&run_id);
    let request = RunRequest {
        design: &job.design,
        seed: job.seed,
        trajectory_path: Some(trajectory_path.as_path()),
        cancel: Some(cancel),
    };

    let ending = match catch_unwind(AssertUnwindSafe(|| runner.run(&request))) {
        Ok(Ok(outcome)) => Ending::Completed {
            result: outcome.result,
            record_count: outcome.record_count,
        },
        Ok(Err(error)) if error.is_cancelled() => Ending::Cancelled,
        Ok(Err(error)) if error.path().is_some() => Ending::Aborted(error),
        Ok(Err(error)) => Ending::Failed(error.to_string()),
        Err(panic) => Ending::Failed(format!("the SMC runner panicked: {}", panic_text(&panic))),
    };
    if matches!(ending, Ending::Failed(_)) {
        remove_trajectory(&trajectory_path);
    }
    Finished {
        job,
        run_id,
        ending,
        elapsed: started.elapsed(),
    }
}

impl Finished {
    /// Builds the manifest record of a completed or failed run.
    pub fn record(&self) -> ExperimentRecord {
        let (result, record_count, status, error) = match &self.ending {
            Ending::Completed {
                result,
                record_count,
            } => (
                Some(result.clone()),
                *record_count,
                RunStatus::Completed,
                None,
            ),
            Ending::Failed(message) => (None, 0, RunStatus::Failed, Some(message.clone())),
            Ending::Aborted(_) | Ending::Cancelled => {
                unreachable!("aborted and cancelled runs are not recorded")
            }
        };
        ExperimentRecord {
            timestamp: timestamp_now(),
            phase: self.job.phase.clone(),
            iteration: self.job.iteration,
            run_uuid: self.run_id.to_string(),
            design: self.job.design.clone(),
            result,
            record_start_idx: 0,
            record_count,
            schema_version: Some(RECORD_SCHEMA_VERSION),
            status: Some(status),
            error,
            seed: Some(self.job.seed),
            duration_s: Some(self.elapsed.as_secs_f64()),
        }
    }

    /// Builds the run's metadata: its full configuration, enough to run it again
    /// alone, plus the ancestor's `oed_design`, `oed_phase` and
    /// `oed_iteration`.
    pub fn metadata(&self, loop_seed: u64, sampler: Value) -> Value {
        let job = &self.job;
        let status = match self.ending {
            Ending::Completed { .. } => "completed",
            _ => "failed",
        };
        json!({
            "timestamp": timestamp_now(),
            "run_uuid": self.run_id.to_string(),
            "oed_version": env!("CARGO_PKG_VERSION"),
            "git_commit_hash": option_env!("OED_BUILD_COMMIT"),
            "sampler_type": "smc",
            "status": status,
            "config": {
                "prng_seed": job.seed,
                "sampler_type": "smc",
                "design": job.design,
                "sampler": sampler,
            },
            "loop": {
                "seed": loop_seed,
                "experiment_index": job.index,
                "experiment_seed_formula": "SplitMix64 output number index + 1 for the loop seed",
            },
            "oed_design": job.design,
            "oed_phase": job.phase.as_str(),
            "oed_iteration": job.iteration,
        })
    }
}

/// Removes a trajectory and its partial file, ignoring files that are absent.
pub fn remove_trajectory(path: &Path) {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    for candidate in [path.to_path_buf(), partial.into()] {
        match std::fs::remove_file(&candidate) {
            Ok(()) => tracing::debug!(path = %candidate.display(), "removed trajectory"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("{}: failed to remove: {e}", candidate.display()),
        }
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "no message".to_string()
    }
}
