use std::path::Path;
use std::sync::atomic::AtomicBool;

use oed_smc::{
    NativeRunner, RunRequest, Runner, SmcConfig, TrajectoryMode, recompute_metrics, record_bytes,
};

use crate::harness::{dir_entries, run, small_design};

#[test]
fn recomputed_metrics_equal_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data_run.arrayrecord");
    let design = small_design();
    let outcome = run(SmcConfig::default(), &design, 5, Some(&path)).unwrap();

    assert_eq!(outcome.record_count, u64::from(design.n_generations) + 1);
    assert_eq!(
        outcome.trajectory_bytes,
        std::fs::metadata(&path).unwrap().len()
    );
    assert_eq!(dir_entries(dir.path()), ["data_run.arrayrecord"]);
    let recomputed = recompute_metrics(&path).unwrap();
    assert_eq!(recomputed, outcome.result);
}

#[test]
fn records_hold_one_generation_each() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.arrayrecord");
    let design = small_design();
    run(SmcConfig::default(), &design, 6, Some(&path)).unwrap();

    let mut reader = arrayrecord::Reader::open(&path).unwrap();
    assert_eq!(reader.num_records(), 16);
    let expected = record_bytes(700, 12) as usize;
    for index in 0..16 {
        let record = reader.read(index).unwrap();
        assert_eq!(record.len(), expected, "record {index}");
        // The step array's header fills 128 bytes; the scalar follows.
        let step = i32::from_le_bytes(record[128..132].try_into().unwrap());
        assert_eq!(step, index as i32);
    }
}

#[test]
fn every_k_thins_records_and_keeps_last() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.arrayrecord");
    let config = SmcConfig {
        trajectory: TrajectoryMode::Every(4),
        ..SmcConfig::default()
    };
    let design = small_design();
    let outcome = run(config, &design, 7, Some(&path)).unwrap();
    // Generations 0, 4, 8, 12 and the final 15.
    assert_eq!(outcome.record_count, 5);

    let full = run(SmcConfig::default(), &design, 7, None).unwrap();
    assert_eq!(outcome.result, full.result);
    let error = recompute_metrics(&path).unwrap_err().to_string();
    assert!(error.contains("step 4 where 1 was expected"), "{error}");
    assert!(error.contains("every generation"), "{error}");
}

#[test]
fn mode_none_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.arrayrecord");
    let config = SmcConfig {
        trajectory: TrajectoryMode::None,
        ..SmcConfig::default()
    };
    let outcome = run(config, &small_design(), 8, Some(&path)).unwrap();
    assert_eq!(outcome.record_count, 0);
    assert_eq!(outcome.trajectory_bytes, 0);
    assert!(dir_entries(dir.path()).is_empty());
    let estimate = NativeRunner::new(config).estimate_trajectory_bytes(&small_design());
    assert_eq!(estimate, 0);
}

#[test]
fn estimate_bounds_file_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.arrayrecord");
    let design = small_design();
    let outcome = run(SmcConfig::default(), &design, 9, Some(&path)).unwrap();
    let estimate = NativeRunner::default().estimate_trajectory_bytes(&design);
    let raw = outcome.record_count * record_bytes(700, 12);
    assert!(
        estimate >= outcome.trajectory_bytes,
        "{estimate} < {}",
        outcome.trajectory_bytes
    );
    assert!(estimate >= raw, "{estimate} < {raw}");
}

#[test]
fn cancel_removes_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.arrayrecord");
    let cancel = AtomicBool::new(true);
    let error = NativeRunner::default()
        .run(&RunRequest {
            design: &small_design(),
            seed: 1,
            trajectory_path: Some(&path),
            cancel: Some(&cancel),
        })
        .unwrap_err();
    assert!(error.is_cancelled());
    assert_eq!(error.to_string(), "run cancelled");
    assert!(dir_entries(dir.path()).is_empty());
}

#[test]
fn invalid_design_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.arrayrecord");
    let mut design = small_design();
    design.k = 12;
    let error = run(SmcConfig::default(), &design, 1, Some(&path)).unwrap_err();
    let validation = design.validate_physics().unwrap_err();
    assert_eq!(error.design_error(), Some(&validation));
    assert_eq!(error.to_string(), format!("invalid design: {validation}"));
    assert!(
        error.to_string().contains("K = 12 is out of range"),
        "{error}"
    );
    assert!(dir_entries(dir.path()).is_empty());

    design = small_design();
    design.mutation_rate = f64::NAN;
    let error = run(SmcConfig::default(), &design, 1, Some(&path)).unwrap_err();
    assert!(error.to_string().contains("mutation_rate = NaN"), "{error}");
    assert!(dir_entries(dir.path()).is_empty());
}

#[test]
fn missing_directory_error_names_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("data.arrayrecord");
    let error = run(SmcConfig::default(), &small_design(), 1, Some(&path)).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&*dir.path().join("missing").to_string_lossy()),
        "{message}"
    );
    assert!(
        message.contains("failed to create trajectory file"),
        "{message}"
    );
    assert!(error.path().is_some());
}

#[test]
fn existing_file_is_replaced_only_on_success() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.arrayrecord");
    std::fs::write(&path, b"old").unwrap();
    let cancel = AtomicBool::new(true);
    let request = RunRequest {
        design: &small_design(),
        seed: 1,
        trajectory_path: Some(&path),
        cancel: Some(&cancel),
    };
    NativeRunner::default().run(&request).unwrap_err();
    assert_eq!(std::fs::read(&path).unwrap(), b"old");

    run(SmcConfig::default(), &small_design(), 1, Some(&path)).unwrap();
    assert!(recompute_metrics(&path).is_ok());
    assert_eq!(dir_entries(dir.path()), ["data.arrayrecord"]);
}

#[test]
fn ancestor_file_parses_but_starts_at_step_one() {
    // The ancestor numbers generations from 1 and has no generation 0, so its
    // files cannot give back the metrics. The step is checked only after all
    // 24 fields of the record have parsed.
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ancestor_trajectory.arrayrecord");
    let error = recompute_metrics(&path).unwrap_err().to_string();
    assert!(
        error.contains("record 0: invalid trajectory record: step 1 where 0 was expected"),
        "{error}"
    );
}

#[test]
fn garbage_file_error_names_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.arrayrecord");
    std::fs::write(&path, vec![7u8; 100]).unwrap();
    let error = recompute_metrics(&path).unwrap_err();
    assert_eq!(error.path(), path);
    assert!(
        error.to_string().starts_with(&*path.to_string_lossy()),
        "{error}"
    );
}

/// Set in the child process of `killed_run_leaves_only_partial`.
const KILL_CHILD_PATH: &str = "OED_SMC_TEST_KILL_CHILD_PATH";

/// Runs a long simulation into the path in `OED_SMC_TEST_KILL_CHILD_PATH` when
/// the variable is set, as the child that `killed_run_leaves_only_partial`
/// kills; does nothing otherwise.
#[test]
fn kill_child_helper() {
    let Some(path) = std::env::var_os(KILL_CHILD_PATH) else {
        return;
    };
    let design = oed_model::Design {
        n: 200,
        k: 5,
        q: 20,
        population_size: 20_000,
        n_generations: 1000,
        mutation_rate: 0.01,
        diversification_ratio: 0.5,
        branch_length: 1.0,
    };
    run(SmcConfig::default(), &design, 1, Some(Path::new(&path))).unwrap();
    panic!("the run should have been killed before it finished");
}

#[test]
fn killed_run_leaves_only_partial() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.arrayrecord");
    let partial = dir.path().join("data.arrayrecord.partial");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "trajectory::kill_child_helper",
            "--test-threads",
            "1",
        ])
        .env(KILL_CHILD_PATH, &path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    // Wait until some records are on disk, then SIGKILL the writer.
    let started = std::time::Instant::now();
    loop {
        let size = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
        if size > 1 << 20 {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("child exited early with {status}");
        }
        assert!(
            started.elapsed().as_secs() < 120,
            "no records written in 120 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    assert!(!path.exists(), "a killed run left a file at the final path");
    assert_eq!(dir_entries(dir.path()), ["data.arrayrecord.partial"]);
    assert!(recompute_metrics(&partial).is_err());
}

/// Set in the child process of `write_failure_removes_partial`.
const FULL_DISK_CHILD_DIR: &str = "OED_SMC_TEST_FULL_DISK_CHILD_DIR";

/// Runs into the directory in `OED_SMC_TEST_FULL_DISK_CHILD_DIR` under a file
/// size limit when the variable is set, as the child that
/// `write_failure_removes_partial` starts; does nothing otherwise.
#[test]
fn full_disk_child_helper() {
    let Some(dir) = std::env::var_os(FULL_DISK_CHILD_DIR) else {
        return;
    };
    let dir = Path::new(&dir);
    let path = dir.join("data.arrayrecord");
    let mut design = small_design();
    design.population_size = 5000;
    design.n = 100;
    design.n_generations = 100;
    let error = run(SmcConfig::default(), &design, 1, Some(&path)).unwrap_err();

    let message = error.to_string();
    assert!(message.contains("data.arrayrecord.partial"), "{message}");
    assert!(message.contains("failed to"), "{message}");
    assert!(!error.is_cancelled());
    assert!(dir_entries(dir).is_empty(), "{:?}", dir_entries(dir));
}

#[test]
fn write_failure_removes_partial() {
    // The shell ignores SIGXFSZ, which stays ignored across exec, and limits
    // file size to 1 MiB, so writes past it fail with EFBIG.
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 2048; exec \"$0\" \"$@\"")
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "trajectory::full_disk_child_helper"])
        .args(["--test-threads", "1", "--nocapture"])
        .env(FULL_DISK_CHILD_DIR, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert!(dir_entries(dir.path()).is_empty());
}
