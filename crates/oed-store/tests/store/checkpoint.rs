//! Saving and loading checkpoints in a run directory.

use oed_model::{ExperimentResult, Phase};
use oed_store::{CHECKPOINT_VERSION, Checkpoint, HistoryEntry, load_checkpoint, save_checkpoint};

use crate::common::{design, run_dir, same_float};

fn checkpoint(iteration: u64) -> Checkpoint {
    let mut checkpoint = Checkpoint::new(42);
    checkpoint.current_iteration = iteration;
    checkpoint.phase = Some(Phase::Optimization);
    checkpoint.manifest_records = iteration + 3;
    checkpoint.design_history = (0..iteration)
        .map(|i| HistoryEntry {
            design: design(10 + i as u32),
            result: ExperimentResult::from_array([
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                i as f64,
            ]),
        })
        .collect();
    checkpoint.loop_state = Some(serde_json::json!({"rng_words": [1, 2, 3], "batch": iteration}));
    checkpoint
}

#[test]
fn round_trip_keeps_every_field() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let saved = checkpoint(4);
    save_checkpoint(&dir, &saved).unwrap();
    let loaded = load_checkpoint(&dir).unwrap().expect("a checkpoint");

    assert_eq!(loaded.schema_version, CHECKPOINT_VERSION);
    assert_eq!(loaded.timestamp, saved.timestamp);
    assert_eq!(loaded.current_iteration, 4);
    assert_eq!(loaded.seed, 42);
    assert_eq!(loaded.phase, Some(Phase::Optimization));
    assert_eq!(loaded.manifest_records, 7);
    assert_eq!(loaded.loop_state, saved.loop_state);
    assert_eq!(loaded.design_history.len(), 4);
    for (actual, expected) in loaded.design_history.iter().zip(&saved.design_history) {
        assert_eq!(actual.design, expected.design);
        let pairs = actual
            .result
            .to_array()
            .into_iter()
            .zip(expected.result.to_array());
        for (a, e) in pairs {
            assert!(same_float(a, e), "{a} != {e}");
        }
    }
}

#[test]
fn saved_file_is_strict_json_without_temporaries() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    save_checkpoint(&dir, &checkpoint(2)).unwrap();
    save_checkpoint(&dir, &checkpoint(3)).unwrap();

    let text = std::fs::read_to_string(dir.checkpoint_path()).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["schema_version"], CHECKPOINT_VERSION);
    assert_eq!(
        value["design_history"][0]["result"]["information_gain"],
        "NaN"
    );
    assert_eq!(
        value["design_history"][0]["result"]["final_sequence_entropy"],
        "-Infinity"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, ["oed_checkpoint.json"]);
}

#[test]
fn rejected_save_keeps_previous_checkpoint() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    save_checkpoint(&dir, &checkpoint(2)).unwrap();

    let mut bad = checkpoint(3);
    bad.design_history[1].design.diversification_ratio = f64::NAN;
    let error = save_checkpoint(&dir, &bad).unwrap_err();
    assert!(error.to_string().contains("design_history[1]"), "{error}");
    assert_eq!(error.path(), Some(dir.checkpoint_path().as_path()));
    assert_eq!(load_checkpoint(&dir).unwrap().unwrap().current_iteration, 2);
}

#[test]
fn damaged_checkpoints_are_reported() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    save_checkpoint(&dir, &checkpoint(2)).unwrap();
    let full = std::fs::read_to_string(dir.checkpoint_path()).unwrap();
    let newer = full.replace("\"schema_version\": 1", "\"schema_version\": 9");
    let cases = [
        (String::new(), "empty checkpoint"),
        (
            full[..full.len() / 2].to_string(),
            "invalid checkpoint: EOF while parsing",
        ),
        (newer, "got version 9, supports 1"),
        ("[]".to_string(), "invalid checkpoint"),
    ];
    for (content, expected) in cases {
        std::fs::write(dir.checkpoint_path(), &content).unwrap();
        let error = load_checkpoint(&dir).unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with(&dir.checkpoint_path().display().to_string()),
            "{text}"
        );
        assert!(text.contains(expected), "{text}");
    }
}

#[test]
fn removed_directory_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    std::fs::remove_dir(dir.path()).unwrap();
    let error = load_checkpoint(&dir).unwrap_err();
    assert!(
        error.to_string().contains("run directory not found"),
        "{error}"
    );
    assert!(!dir.path().exists(), "reading created the directory");
}
