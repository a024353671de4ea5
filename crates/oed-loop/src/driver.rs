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
    CHECKPOINT_VERSION, Checkpoint, HistoryEntry, Manifest, RunDir, RunId, SyncMode,
    save_checkpoint, timestamp_now, write_run_metadata,
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
    /// The number of rounds whose designs the surrogate could not propose.
    fallback_rounds: u64,
}

/// The number of surrogate fallbacks between two warnings after the first.
const FALLBACK_WARN_EVERY: u64 = 10;

/// Returns true when the `rounds`-th surrogate fallback of the loop (from 1)
/// is logged as a warning.
fn fallback_warns(rounds: u64) -> bool {
    rounds == 1 || rounds % FALLBACK_WARN_EVERY == 0
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
        let sync = match settings.sync_manifest {
            true => SyncMode::Always,
            false => SyncMode::Never,
        };
        let manifest = Manifest::open(&parts.dir)
            .context("failed to open the manifest")?
            .with_sync(sync);
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
            fallback_rounds: 0,
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
                self.report_fallback(reason);
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

    /// Warns that the surrogate could not propose: the first time, then once
    /// every [`FALLBACK_WARN_EVERY`] rounds with the count, and at debug level
    /// otherwise.
    fn report_fallback(&mut self, reason: &str) {
        self.fallback_rounds += 1;
        let rounds = self.fallback_rounds;
        if rounds == 1 {
            tracing::warn!(
                "the surrogate could not propose ({reason}); this round's designs continue \
                 the space-filling sequence instead"
            );
        } else if fallback_warns(rounds) {
            tracing::warn!(
                "the surrogate could not propose in {rounds} rounds so far (latest: {reason}); \
                 their designs continue the space-filling sequence"
            );
        } else {
            tracing::debug!("the surrogate could not propose ({reason}), round {rounds}");
        }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;
    use indicatif::ProgressBar;
    use oed_model::{ExperimentResult, ParameterSpace};
    use oed_smc::{RunError, RunOutcome, RunRequest};
    use oed_store::{ReadOptions, load_checkpoint, load_manifest};
    use serde_json::json;

    use super::*;
    use crate::cli::Args;
    use crate::seeds::experiment_seed;

    const SEED: u64 = 11;

    #[test]
    fn fallback_warns_first_then_every_tenth() {
        let warned: Vec<u64> = (1..=35).filter(|&r| fallback_warns(r)).collect();
        assert_eq!(warned, [1, 10, 20, 30]);
    }

    /// A runner that computes a result from the design at once, sleeps so
    /// that later experiments of a batch finish first, and panics for one
    /// chosen seed.
    struct FakeRunner {
        panic_seed: Option<u64>,
    }

    impl Runner for FakeRunner {
        fn run(&self, request: &RunRequest<'_>) -> Result<RunOutcome, RunError> {
            if Some(request.seed) == self.panic_seed {
                panic!("fake runner fails for seed {}", request.seed);
            }
            let design = request.design;
            std::thread::sleep(Duration::from_millis(u64::from(20 - design.n.min(20))));
            let value = f64::from(design.n) + design.diversification_ratio;
            Ok(RunOutcome {
                result: ExperimentResult::from_array([value, 0.1, 0.2, 0.3, 0.4]),
                record_count: 0,
                trajectory_bytes: 0,
                elapsed: Duration::ZERO,
            })
        }

        fn estimate_trajectory_bytes(&self, _design: &Design) -> u64 {
            0
        }
    }

    fn settings(extra: &[&str]) -> Settings {
        let mut arguments = vec![
            "oed-loop",
            "--num-initial-experiments",
            "3",
            "--num-oed-iterations",
            "4",
            "--candidates",
            "64",
            "--min-free-disk",
            "0",
        ];
        arguments.extend(extra);
        let mut settings = Args::try_parse_from(arguments)
            .unwrap()
            .into_settings()
            .unwrap();
        settings.space = ParameterSpace::from_json_str(
            r#"{"N": {"min": 8, "max": 16}, "K": {"value": 1}, "q": {"value": 2},
                "population_size": {"value": 10}, "n_generations": {"value": 3}}"#,
        )
        .unwrap();
        settings
    }

    fn run_loop(settings: &Settings, runner: &FakeRunner, dir: &RunDir) -> Outcome {
        let cancel = AtomicBool::new(false);
        let describe = |_: &Design| json!({"runner": "fake"});
        let mut driver = Driver::new(
            settings,
            DriverParts {
                dir: dir.clone(),
                seed: SEED,
                records: Vec::new(),
                runner,
                describe_runner: &describe,
                cancel: &cancel,
                progress: LoopProgress::start(
                    ProgressBar::hidden(),
                    7,
                    &[],
                    Metric::InformationGain,
                ),
                loop_state: json!({}),
            },
        )
        .unwrap();
        driver.run().unwrap()
    }

    fn manifest(dir: &RunDir) -> Vec<ExperimentRecord> {
        load_manifest(dir.manifest_path(), ReadOptions::strict())
            .unwrap()
            .records
    }

    #[test]
    fn batch_records_follow_index_order() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::create(root.path().join("run")).unwrap();
        let settings = settings(&["--batch-size", "3"]);

        let outcome = run_loop(&settings, &FakeRunner { panic_seed: None }, &dir);

        assert_eq!(outcome, Outcome::Finished);
        let records = manifest(&dir);
        let order: Vec<(Phase, u64)> = records
            .iter()
            .map(|r| (r.phase.clone(), r.iteration))
            .collect();
        let expected = [
            (Phase::Seeding, 0),
            (Phase::Seeding, 1),
            (Phase::Seeding, 2),
            (Phase::Optimization, 0),
            (Phase::Optimization, 1),
            (Phase::Optimization, 2),
            (Phase::Optimization, 3),
        ];
        assert_eq!(order, expected);
        for (index, record) in records.iter().enumerate() {
            assert_eq!(record.seed, Some(experiment_seed(SEED, index as u64)));
        }
    }

    #[test]
    fn failed_run_is_recorded_and_loop_goes_on() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::create(root.path().join("run")).unwrap();
        let settings = settings(&[]);
        let runner = FakeRunner {
            panic_seed: Some(experiment_seed(SEED, 1)),
        };

        let outcome = run_loop(&settings, &runner, &dir);

        assert_eq!(outcome, Outcome::Finished);
        let records = manifest(&dir);
        assert_eq!(records.len(), 7);
        let failed = &records[1];
        assert_eq!(failed.status, Some(RunStatus::Failed));
        assert_eq!(failed.result, None);
        let error = failed.error.as_deref().unwrap();
        assert!(error.contains("the SMC runner panicked"), "{error}");
        assert!(error.contains("fake runner fails"), "{error}");
        assert!(
            records
                .iter()
                .enumerate()
                .all(|(i, r)| i == 1 || r.result.is_some())
        );

        let checkpoint = load_checkpoint(&dir).unwrap().unwrap();
        assert_eq!(checkpoint.manifest_records, 7);
        assert_eq!(checkpoint.design_history.len(), 6);
        assert_eq!(checkpoint.current_iteration, 4);
        assert!(
            dir.run_metadata_path(&RunId::parse(&failed.run_uuid).unwrap())
                .is_file()
        );
    }

    #[test]
    fn cancelled_loop_records_nothing_more() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::create(root.path().join("run")).unwrap();
        let settings = settings(&[]);
        let cancel = AtomicBool::new(true);
        let describe = |_: &Design| json!({});
        let runner = FakeRunner { panic_seed: None };
        let mut driver = Driver::new(
            &settings,
            DriverParts {
                dir: dir.clone(),
                seed: SEED,
                records: Vec::new(),
                runner: &runner,
                describe_runner: &describe,
                cancel: &cancel,
                progress: LoopProgress::start(
                    ProgressBar::hidden(),
                    7,
                    &[],
                    Metric::InformationGain,
                ),
                loop_state: json!({}),
            },
        )
        .unwrap();

        assert_eq!(driver.run().unwrap(), Outcome::Cancelled);
        assert!(manifest(&dir).is_empty());
    }
}
