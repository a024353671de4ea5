//! A whole small loop, and what it leaves in its run directory.

use oed_model::{Phase, RunStatus};
use serde_json::Value;

use crate::loop_common::{
    ITERATIONS, LOOP_SEED, SEEDING, SMALL_SPACE, Workspace, assert_files_match_records,
    assert_same_experiments, records, run_ok, splitmix64,
};

fn read_json(path: &std::path::Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

#[test]
fn small_loop_records_every_phase() {
    let workspace = Workspace::new(SMALL_SPACE);
    run_ok(&mut workspace.loop_command("run"));
    let dir = workspace.run_dir("run");
    let records = records(&dir);
    let space = workspace.space();

    assert_eq!(records.len() as u64, SEEDING + ITERATIONS);
    for (index, record) in records.iter().enumerate() {
        let index = index as u64;
        let (phase, iteration) = if index < SEEDING {
            (Phase::Seeding, index)
        } else {
            (Phase::Optimization, index - SEEDING)
        };
        assert_eq!(record.phase, phase, "record {index}");
        assert_eq!(record.iteration, iteration, "record {index}");
        assert_eq!(record.status, Some(RunStatus::Completed), "record {index}");
        assert_eq!(
            record.seed,
            Some(splitmix64(LOOP_SEED, index)),
            "record {index}"
        );
        assert!(
            space.validate(&record.design).is_ok(),
            "record {index}: {}",
            record.design
        );
        // Every generation 0..=10 is written.
        assert_eq!(record.record_count, 11, "record {index}");
        let result = record
            .result
            .as_ref()
            .expect("a completed run has a result");
        assert!(
            result.to_array().iter().all(|v| v.is_finite()),
            "record {index}: {result:?}"
        );
    }
    assert_files_match_records(&dir);

    // No design is run twice.
    for (i, a) in records.iter().enumerate() {
        for b in &records[i + 1..] {
            assert_ne!(a.design, b.design);
        }
    }
}

#[test]
fn small_loop_writes_metadata_checkpoint_summary_and_log() {
    let workspace = Workspace::new(SMALL_SPACE);
    run_ok(&mut workspace.loop_command("run"));
    let dir = workspace.run_dir("run");
    let records = records(&dir);

    for record in &records {
        let metadata = read_json(&dir.join(format!("metadata_{}.json", record.run_uuid)));
        let design = serde_json::to_value(&record.design).unwrap();
        assert_eq!(metadata["oed_design"], design);
        assert_eq!(metadata["oed_phase"], record.phase.as_str());
        assert_eq!(metadata["oed_iteration"], record.iteration);
        assert_eq!(metadata["config"]["prng_seed"], record.seed.unwrap());
        assert_eq!(metadata["config"]["design"], design);
        assert_eq!(metadata["loop"]["seed"], LOOP_SEED);
        assert!(metadata["oed_version"].is_string());
    }
    let last = records.last().unwrap();
    let latest = read_json(&dir.join("metadata.json"));
    assert_eq!(latest["run_uuid"], last.run_uuid.as_str());

    let checkpoint = read_json(&dir.join("oed_checkpoint.json"));
    assert_eq!(checkpoint["seed"], LOOP_SEED);
    assert_eq!(checkpoint["current_iteration"], ITERATIONS);
    assert_eq!(checkpoint["manifest_records"], SEEDING + ITERATIONS);
    assert_eq!(
        checkpoint["design_history"].as_array().unwrap().len() as u64,
        SEEDING + ITERATIONS
    );

    let summary = read_json(&dir.join("oed_summary.json"));
    assert_eq!(summary["total_experiments"], SEEDING + ITERATIONS);
    assert_eq!(summary["seeding_experiments"], SEEDING);
    assert_eq!(summary["optimization_experiments"], ITERATIONS);

    let log = std::fs::read_to_string(dir.join("oed_loop.log")).unwrap();
    for record in &records {
        let lines: Vec<&str> = log
            .lines()
            .filter(|line| line.contains(&record.run_uuid))
            .collect();
        assert_eq!(lines.len(), 1, "log lines of {}:\n{log}", record.run_uuid);
        let line = lines[0];
        assert!(line.contains("experiment completed"), "{line}");
        assert!(line.contains(&format!("phase={}", record.phase)), "{line}");
        assert!(
            line.contains(&format!("iteration={}", record.iteration)),
            "{line}"
        );
        assert!(line.contains("information_gain="), "{line}");
        assert!(line.contains("seconds="), "{line}");
    }
}

#[test]
fn same_seed_gives_same_loop() {
    let workspace = Workspace::new(SMALL_SPACE);
    run_ok(&mut workspace.loop_command("first"));
    run_ok(&mut workspace.loop_command("second"));
    let first = records(&workspace.run_dir("first"));
    let second = records(&workspace.run_dir("second"));
    assert_same_experiments(&first, &second);

    // The trajectories are the same bytes too.
    for (a, b) in first.iter().zip(&second) {
        let read = |dir: &str, uuid: &str| {
            std::fs::read(
                workspace
                    .run_dir(dir)
                    .join(format!("data_{uuid}.arrayrecord")),
            )
            .unwrap()
        };
        assert!(
            read("first", &a.run_uuid) == read("second", &b.run_uuid),
            "trajectories of record {} differ",
            a.iteration
        );
    }
}

#[test]
fn batches_run_and_record_in_order() {
    let workspace = Workspace::new(SMALL_SPACE);
    let mut command = workspace.loop_command("batched");
    command.args(["--batch-size", "3"]);
    run_ok(&mut command);
    let records = records(&workspace.run_dir("batched"));

    assert_eq!(records.len() as u64, SEEDING + ITERATIONS);
    let optimization: Vec<u64> = records
        .iter()
        .filter(|r| r.phase == Phase::Optimization)
        .map(|r| r.iteration)
        .collect();
    assert_eq!(optimization, (0..ITERATIONS).collect::<Vec<_>>());
    for (index, record) in records.iter().enumerate() {
        assert_eq!(record.seed, Some(splitmix64(LOOP_SEED, index as u64)));
    }
    // The first round's three proposals differ from each other.
    let round: Vec<_> = records[SEEDING as usize..SEEDING as usize + 3]
        .iter()
        .collect();
    assert_ne!(round[0].design, round[1].design);
    assert_ne!(round[1].design, round[2].design);
    assert_ne!(round[0].design, round[2].design);
}

#[test]
fn existing_manifest_is_not_overwritten() {
    let workspace = Workspace::new(SMALL_SPACE);
    run_ok(&mut workspace.loop_command("run"));
    let manifest = workspace.run_dir("run").join("oed_manifest.jsonl");
    let before = std::fs::read(&manifest).unwrap();

    let output = oed_tests::run(&mut workspace.loop_command("run"));
    let stderr = oed_tests::stderr_text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("a loop is already recorded here"),
        "{stderr}"
    );
    assert!(stderr.contains("add --resume"), "{stderr}");
    assert!(stderr.contains("pick another --output-dir"), "{stderr}");
    assert_eq!(std::fs::read(&manifest).unwrap(), before);
}

#[test]
fn resume_of_finished_loop_runs_nothing() {
    let workspace = Workspace::new(SMALL_SPACE);
    run_ok(&mut workspace.loop_command("run"));
    let manifest = workspace.run_dir("run").join("oed_manifest.jsonl");
    let before = std::fs::read(&manifest).unwrap();

    let mut command = workspace.loop_command("run");
    command.arg("--resume");
    run_ok(&mut command);
    assert_eq!(std::fs::read(&manifest).unwrap(), before);
}

#[test]
fn help_names_units_and_ancestor_spellings_work() {
    let output = run_ok(oed_tests::command("oed-loop").arg("--help"));
    let help = oed_tests::stdout_text(&output);
    for option in [
        "--output-dir",
        "--resume",
        "--acquisition",
        "--batch-size",
        "MiB",
    ] {
        assert!(help.contains(option), "{option} missing from help:\n{help}");
    }

    let workspace = Workspace::new(SMALL_SPACE);
    let mut command = oed_tests::command("oed-loop");
    command
        .arg("--output_dir")
        .arg(workspace.run_dir("ancestor-style"))
        .arg("--space")
        .arg(workspace.space_path())
        .args([
            "--num_initial_experiments",
            "2",
            "--num_oed_iterations",
            "1",
        ])
        .args(["--feature_mode", "effective-only", "--candidates", "64"])
        .args(["--min-free-disk", "0"]);
    run_ok(&mut command);
    assert_eq!(records(&workspace.run_dir("ancestor-style")).len(), 3);
}

#[test]
fn full_disk_reserve_stops_before_running() {
    let workspace = Workspace::new(SMALL_SPACE);
    let mut command = workspace.loop_command("full");
    // Ask to keep more free space than any disk has.
    command.args(["--min-free-disk", "1000000000000"]);
    let output = oed_tests::run(&mut command);
    let stderr = oed_tests::stderr_text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not enough disk space"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    assert!(records(&workspace.run_dir("full")).is_empty());
}
