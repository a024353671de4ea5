//! The loop: plan a batch, run it, record each experiment, checkpoint.
//!
//! Each experiment is recorded in this order: the run writes its trajectory
//! (through a `.partial` file), then its metadata is written, then its
//! manifest record is appended, then a checkpoint is saved when one is due,
//! then the log line. A batch's experiments run in parallel, one thread each,
//! but are recorded one by one in index order, so the manifest's order does not
//! depend on which run finishes first.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use anyhow::{Context, Result};
use oed_model::{Design, ExperimentRecord, Metric, Phase, RunStatus};
use oed_smc::Runner;
use oed_store::{
    CHECKPOINT_VERSION, Checkpoint, HistoryEntry, Manifest, RunDir, RunId, save_checkpoint,
    timestamp_now, write_run_metadata,
};
use serde_json::Value;

use crate::cli::Settings;
use crate::experiment::{Ending, Finished, remove_trajectory, run_job};
use crate::pause::{self, Event};
use crate::planner::{self, Job, Progress};
use crate::progress::LoopProgress;

/// The end state of the loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Finished,
    Cancelled,
}

/// Describes the runner's settings for one design, for the run metadata.
pub type DescribeRunner<'a> = &'a (dyn Fn(&Design) -> Value + Sync);

/// The running loop.
pub struct Driver<'a> {
    settings: &'a Settings,
    seed: u64,
    dir: RunDir,
    runner: &'a dyn Runner,
    describe_runner: DescribeRunner<'a>,
    cancel: &'a AtomicBool,
    manifest: Manifest,
    records: Vec<ExperimentRecord>,
    progress: LoopProgress,
    loop_state: Value,
    /// The number of records the latest checkpoint of this process covers.
    checkpointed_records: Cell<Option<u64>>,
}

impl std::fmt::Debug for Driver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("dir", &self.dir)
            .field("seed", &self.seed)
            .field("records", &self.records.len())
            .finish_non_exhaustive()
    }
}

/// The parts of a [`Driver`] besides the settings.
pub struct DriverParts<'a> {
    pub dir: RunDir,
    pub seed: u64,
    pub records: Vec<ExperimentRecord>,
    pub runner: &'a dyn Runner,
    pub describe_runner: DescribeRunner<'a>,
    pub cancel: &'a AtomicBool,
    pub progress: LoopProgress,
    pub loop_state: Value,
}

impl<'a> Driver<'a> {
    pub fn new(settings: &'a Settings, parts: DriverParts<'a>) -> Result<Driver<'a>> {
        let manifest = Manifest::open(&parts.dir).context("failed to open the manifest")?;
        Ok(Driver {
            settings,
            seed: parts.seed,
            dir: parts.dir,
            runner: parts.runner,
            describe_runner: parts.describe_runner,
            cancel: parts.cancel,
            manifest,
            records: parts.records,
            progress: parts.progress,
            loop_state: parts.loop_state,
            checkpointed_records: Cell::new(None),
        })
    }

    /// Returns the records so far, in manifest order.
    pub fn records(&self) -> &[ExperimentRecord] {
        &self.records
    }

    /// Runs experiments until the loop is complete or cancelled. Writes the
    /// final checkpoint when complete; the caller writes it otherwise.
    pub fn run(&mut self) -> Result<Outcome> {
        loop {
            if self.cancel.load(Ordering::SeqCst) {
                return Ok(Outcome::Cancelled);
            }
            let Some(plan) = planner::next_batch(self.settings, self.seed, &self.records)? else {
                break;
            };
            if let Some(reason) = &plan.fallback_reason {
                tracing::warn!(
                    "the surrogate could not propose ({reason}); this round's designs continue \
                     the space-filling sequence instead"
                );
            }
            self.progress.set_phase(&plan.jobs[0].phase);
            self.check_disk(&plan.jobs)?;
            if self.run_batch(plan.jobs)? == Outcome::Cancelled {
                return Ok(Outcome::Cancelled);
            }
        }
        if self.checkpointed_records.get() != Some(self.records.len() as u64) {
            self.save_checkpoint()?;
        }
        Ok(Outcome::Finished)
    }

    /// Saves a checkpoint of the records so far.
    pub fn save_checkpoint(&self) -> Result<()> {
        let progress = Progress::of(&self.records);
        pause::point(Event::Checkpoint, progress.total_records);
        let design_history = self
            .records
            .iter()
            .filter(|r| r.status != Some(RunStatus::Failed))
            .filter_map(|r| {
                Some(HistoryEntry {
                    design: r.design.clone(),
                    result: r.result.clone()?,
                })
            })
            .collect();
        let phase = if progress.in_seeding(self.settings) {
            Phase::Seeding
        } else {
            Phase::Optimization
        };
        let checkpoint = Checkpoint {
            timestamp: timestamp_now(),
            current_iteration: progress.optimization_done,
            seed: self.seed,
            design_history,
            schema_version: CHECKPOINT_VERSION,
            phase: Some(phase),
            manifest_records: progress.total_records,
            loop_state: Some(self.loop_state.clone()),
        };
        save_checkpoint(&self.dir, &checkpoint).context("failed to save the checkpoint")?;
        self.checkpointed_records.set(Some(progress.total_records));
        tracing::info!(records = progress.total_records, "saved checkpoint");
        Ok(())
    }

    pub fn finish_progress(&self) {
        self.progress.finish();
    }

    fn check_disk(&self, jobs: &[Job]) -> Result<()> {
        let needed = jobs
            .iter()
            .map(|job| self.runner.estimate_trajectory_bytes(&job.design))
            .fold(0u64, u64::saturating_add);
        crate::disk::check_free_space(self.dir.path(), needed, self.settings.min_free_disk_bytes)
    }

    /// Runs a batch in parallel and records its experiments in index order.
    /// Stops recording at the first cancelled run.
    fn run_batch(&mut self, jobs: Vec<Job>) -> Result<Outcome> {
        let runner = self.runner;
        let cancel = self.cancel;
        let dir = self.dir.clone();
        std::thread::scope(|scope| {
            let (sender, receiver) = mpsc::channel();
            for (position, job) in jobs.into_iter().enumerate() {
                pause::point(Event::ExperimentStart, job.index);
                let (sender, dir) = (sender.clone(), &dir);
                scope.spawn(move || {
                    let finished = run_job(runner, dir, job, RunId::new_v4(), cancel);
                    // The receiver lives until every sender is dropped.
                    let _ = sender.send((position, finished));
                });
            }
            drop(sender);

            let mut waiting = BTreeMap::new();
            let mut next = 0;
            let mut outcome = Outcome::Finished;
            for (position, finished) in receiver {
                waiting.insert(position, finished);
                while let Some(finished) = waiting.remove(&next) {
                    next += 1;
                    if outcome == Outcome::Cancelled {
                        discard(&dir, &finished);
                        continue;
                    }
                    match finished.ending {
                        Ending::Cancelled => outcome = Outcome::Cancelled,
                        Ending::Aborted(error) => {
                            // Stop the batch's other runs before failing.
                            cancel.store(true, Ordering::SeqCst);
                            return Err(anyhow::Error::new(error).context(format!(
                                "experiment {} stopped; free the resource named above, then \
                                 run again with --resume",
                                finished.job.index
                            )));
                        }
                        _ => self.record(&finished)?,
                    }
                }
            }
            Ok(outcome)
        })
    }

    /// Writes a finished experiment's metadata and manifest record.
    fn record(&mut self, finished: &Finished) -> Result<()> {
        let index = finished.job.index;
        pause::point(Event::RunFinished, index);

        let sampler = (self.describe_runner)(&finished.job.design);
        let metadata = finished.metadata(self.seed, sampler);
        write_run_metadata(&self.dir, &finished.run_id, &metadata)
            .context("failed to write the run metadata")?;
        pause::point(Event::MetadataWritten, index);

        let record = finished.record();
        self.manifest
            .append(&record)
            .context("failed to append to the manifest")?;
        pause::point(Event::ManifestAppended, index);
        self.records.push(record.clone());

        if self.checkpoint_due(&record) {
            self.save_checkpoint()?;
        }
        log_experiment(&record, index);
        self.progress.record(&record);
        Ok(())
    }

    /// Returns whether a checkpoint is due: after the last seeding experiment
    /// and after every `--checkpoint-every` optimisation experiments.
    fn checkpoint_due(&self, record: &ExperimentRecord) -> bool {
        let progress = Progress::of(&self.records);
        match record.phase {
            Phase::Seeding => {
                progress.optimization_done == 0
                    && progress.seeding_done == self.settings.num_initial
            }
            Phase::Optimization => progress.optimization_done % self.settings.checkpoint_every == 0,
            Phase::Other(_) => false,
        }
    }
}

/// Removes the trajectory of a run that will not be recorded.
fn discard(dir: &RunDir, finished: &Finished) {
    remove_trajectory(&dir.trajectory_path(&finished.run_id));
}

fn log_experiment(record: &ExperimentRecord, index: u64) {
    let seconds = record.duration_s.unwrap_or(f64::NAN);
    let Some(result) = &record.result else {
        tracing::warn!(
            run_uuid = %record.run_uuid,
            phase = %record.phase,
            iteration = record.iteration,
            index,
            design = %record.design,
            seconds,
            error = record.error.as_deref().unwrap_or(""),
            "experiment failed"
        );
        return;
    };
    let value = |metric: Metric| result.get(metric);
    tracing::info!(
        run_uuid = %record.run_uuid,
        phase = %record.phase,
        iteration = record.iteration,
        index,
        design = %record.design,
        information_gain = value(Metric::InformationGain),
        barrier_crossing_frequency = value(Metric::BarrierCrossingFrequency),
        final_sequence_entropy = value(Metric::FinalSequenceEntropy),
        jsd_from_original_population = value(Metric::JsdFromOriginalPopulation),
        geometric_fitness_mean = value(Metric::GeometricFitnessMean),
        seconds,
        "experiment completed"
    );
}
