//! The runner interface the loop calls, and its native implementation.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::{Duration, Instant};

use oed_model::{Design, ExperimentResult};

use crate::error::RunError;
use crate::metrics::{GenerationView, MetricsAccumulator};
use crate::smc::{self, Generation, SmcConfig, TrajectoryMode};
use crate::trajectory::{self, TrajectoryWriter, WriterMessage};

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
    /// Path of the trajectory file. `None` writes no file, and the metrics
    /// are still computed.
    pub trajectory_path: Option<&'a Path>,
    /// Checked once per generation. When set, the run stops with a cancelled
    /// error and its partial trajectory is removed.
    pub cancel: Option<&'a AtomicBool>,
}

/// The products of a finished experiment.
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

    /// Runs the simulation with the trajectory written on a second thread, so
    /// that compressing and writing records overlaps the next generations.
    fn simulate_writing(
        &self,
        request: &RunRequest<'_>,
        writer: TrajectoryWriter,
    ) -> Result<(ExperimentResult, u64, u64), RunError> {
        std::thread::scope(|scope| {
            // At most three records are in memory: one being encoded, one
            // queued and one being written.
            let (messages, received) = mpsc::sync_channel(1);
            let (spare_sender, spare) = mpsc::channel();
            let thread = scope.spawn(move || writer.drain(received, spare_sender));

            let sink = RecordSink { messages, spare };
            let simulated = self.simulate(request, Some(&sink));
            if simulated.is_ok() {
                // A failed send means the writer stopped on an error, which
                // the join returns.
                let _ = sink.messages.send(WriterMessage::Finish);
            }
            drop(sink);

            let written = thread.join().expect("trajectory writer thread panicked");
            match (simulated, written) {
                (Ok(result), Some(Ok((records, bytes)))) => Ok((result, records, bytes)),
                (_, Some(Err(error))) => Err(error),
                (Err(Stop::Run(error)), _) => Err(error),
                // The writer returns nothing only when Finish was never sent,
                // and a send fails only after the writer failed.
                (Ok(_), None) | (Err(Stop::WriterGone), None | Some(Ok(_))) => {
                    unreachable!("writer thread and simulation disagree on how the run ended")
                }
            }
        })
    }

    /// Runs the simulation, feeding every generation to the metrics and the
    /// recorded ones to `sink`.
    fn simulate(
        &self,
        request: &RunRequest<'_>,
        sink: Option<&RecordSink>,
    ) -> Result<ExperimentResult, Stop> {
        let last = request.design.n_generations;
        let mode = self.config.trajectory;
        let mut accumulator = MetricsAccumulator::new();
        let mut result = None;

        smc::simulate(request.design, &self.config, request.seed, |generation| {
            if request
                .cancel
                .is_some_and(|flag| flag.load(Ordering::Relaxed))
            {
                return Err(Stop::Run(RunError::cancelled()));
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
            match sink {
                Some(sink) if mode.records(generation.generation, last) => {
                    sink.send(generation, self.config.beta)
                }
                _ => Ok(()),
            }
        })?;
        Ok(result.expect("the last generation was observed"))
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

        let writer = match request.trajectory_path {
            Some(path) if self.config.trajectory != TrajectoryMode::None => {
                Some(TrajectoryWriter::create(path)?)
            }
            _ => None,
        };
        let (result, record_count, trajectory_bytes) = match writer {
            None => (self.simulate(request, None)?, 0, 0),
            Some(writer) => self.simulate_writing(request, writer)?,
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
            result,
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

/// The reason a simulation stopped early.
#[derive(Debug)]
enum Stop {
    Run(RunError),
    /// The writer thread stopped on an error, which its join returns.
    WriterGone,
}

impl From<Stop> for RunError {
    fn from(stop: Stop) -> RunError {
        match stop {
            Stop::Run(error) => error,
            Stop::WriterGone => unreachable!("only runs that write a trajectory see the writer"),
        }
    }
}

/// The simulation's end of the channel to the writer thread.
struct RecordSink {
    messages: SyncSender<WriterMessage>,
    /// Buffers the writer has written, for reuse.
    spare: Receiver<Vec<u8>>,
}

impl RecordSink {
    fn send(&self, generation: &Generation<'_>, beta: f64) -> Result<(), Stop> {
        let mut record = self.spare.try_recv().unwrap_or_default();
        trajectory::encode_record(generation, beta, &mut record);
        self.messages
            .send(WriterMessage::Record(record))
            .map_err(|_| Stop::WriterGone)
    }
}
