//! The child writers, and the records and checkpoints they write, which the
//! parent rebuilds to check what it reads.
//!
//! A child prints one line to stdout after each write call returns `Ok`, so
//! the parent knows which writes were reported as done when it killed it.

use std::io::Write;
use std::path::Path;

use oed_model::{Design, ExperimentRecord, ExperimentResult, Phase, RunStatus};
use oed_store::{Checkpoint, Manifest, RunDir, SyncMode, save_checkpoint};

/// Returns the record that `writer` appends as its `index`-th.
pub fn expected_record(writer: u64, index: u64) -> ExperimentRecord {
    let value = index as f64 + writer as f64 / 1000.0;
    ExperimentRecord {
        timestamp: format!("2026-12-04T15:45:{:02}.{index:06}+00:00", writer % 60),
        phase: if index % 2 == 0 {
            Phase::Seeding
        } else {
            Phase::Optimization
        },
        iteration: index,
        run_uuid: uuid::Uuid::from_u128(u128::from(writer) << 64 | u128::from(index))
            .hyphenated()
            .to_string(),
        design: Design {
            n: 10 + (index % 50) as u32,
            k: (index % 3) as u32,
            q: 4,
            population_size: 100 + writer,
            n_generations: 20,
            mutation_rate: 1.0 / (value + 3.0),
            diversification_ratio: 0.5,
            branch_length: 1.0,
        },
        result: Some(ExperimentResult::from_array([
            value,
            f64::NAN,
            f64::NEG_INFINITY,
            -0.0,
            1.0 / (value + 7.0),
        ])),
        record_start_idx: 0,
        record_count: 21,
        schema_version: Some(1),
        status: Some(RunStatus::Completed),
        error: None,
        seed: Some(writer),
        duration_s: Some(value / 3.0),
    }
}

/// Returns the checkpoint saved at `iteration`, whose `loop_state` is large
/// enough (about `state_numbers` numbers) that writing it takes measurable
/// time, and is derived from `iteration` so a mix of two saves is detectable.
pub fn expected_checkpoint(iteration: u64, state_numbers: u64) -> Checkpoint {
    let mut checkpoint = Checkpoint::new(42);
    checkpoint.timestamp = format!("iteration {iteration}");
    checkpoint.current_iteration = iteration;
    checkpoint.manifest_records = iteration * 2;
    checkpoint.phase = Some(Phase::Optimization);
    let state: Vec<u64> = (0..state_numbers)
        .map(|i| i.wrapping_mul(2654435761) ^ iteration)
        .collect();
    checkpoint.loop_state = Some(serde_json::json!({ "iteration": iteration, "state": state }));
    checkpoint
}

/// Runs the writer named by `args[0]`.
pub fn run(args: Vec<String>) {
    let number = |index: usize| -> u64 {
        args[index]
            .parse()
            .unwrap_or_else(|_| panic!("argument {index} is not a number: {args:?}"))
    };
    let dir = RunDir::open(Path::new(&args[1])).expect("open the run directory");
    match args[0].as_str() {
        "append" => {
            let sync = if args[4] == "always" {
                SyncMode::Always
            } else {
                SyncMode::Never
            };
            append(&dir, number(2), number(3), sync);
        }
        "checkpoint" => save_checkpoints(&dir, number(2), number(3)),
        "fill" => fill(&dir, number(2)),
        "lock" => hold_lock(&dir),
        other => panic!("unknown child mode {other:?}"),
    }
}

/// Appends `count` records as `writer`, or forever when `count` is 0.
fn append(dir: &RunDir, writer: u64, count: u64, sync: SyncMode) {
    let mut manifest = Manifest::open(dir)
        .expect("open the manifest")
        .with_sync(sync);
    let mut stdout = std::io::stdout().lock();
    let mut index = 0;
    while count == 0 || index < count {
        manifest
            .append(&expected_record(writer, index))
            .expect("append a record");
        writeln!(stdout, "appended {index}").expect("write to stdout");
        stdout.flush().expect("flush stdout");
        index += 1;
    }
}

/// Saves checkpoints from iteration `first` on, forever.
fn save_checkpoints(dir: &RunDir, first: u64, state_numbers: u64) {
    let mut stdout = std::io::stdout().lock();
    for iteration in first.. {
        save_checkpoint(dir, &expected_checkpoint(iteration, state_numbers))
            .expect("save a checkpoint");
        writeln!(stdout, "saved {iteration}").expect("write to stdout");
        stdout.flush().expect("flush stdout");
    }
}

/// Appends as `writer` until an append fails, then saves a checkpoint too
/// large for the file-size limit, printing each outcome.
fn fill(dir: &RunDir, writer: u64) {
    let mut manifest = Manifest::open(dir).expect("open the manifest");
    let mut stdout = std::io::stdout().lock();
    for index in 0.. {
        match manifest.append(&expected_record(writer, index)) {
            Ok(()) => writeln!(stdout, "appended {index}").expect("write to stdout"),
            Err(error) => {
                writeln!(stdout, "append error {}: {error}", error.is_out_of_space())
                    .expect("write to stdout");
                break;
            }
        }
    }
    let large = expected_checkpoint(99, 200_000);
    match save_checkpoint(dir, &large) {
        Ok(()) => writeln!(stdout, "checkpoint saved").expect("write to stdout"),
        Err(error) => writeln!(
            stdout,
            "checkpoint error {}: {error}",
            error.is_out_of_space()
        )
        .expect("write to stdout"),
    }
}

/// Takes the writer lock, reports it, and holds it until killed.
fn hold_lock(dir: &RunDir) {
    let _lock = dir.lock_for_writing().expect("lock the run directory");
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "locked").expect("write to stdout");
    stdout.flush().expect("flush stdout");
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
