//! Interop with a real Python interpreter: the ancestor's readers read our
//! files, and files its writers produce load here.
//!
//! The interpreter is `$OED_PYTHON`, or `python3`. These tests use only the
//! standard library's `json` module.

use std::path::Path;
use std::process::Command;

use oed_model::RunStatus;
use oed_store::{Checkpoint, HistoryEntry, Manifest, ReadOptions, load_manifest, save_checkpoint};
use serde_json::Value;

use crate::common::{failed_record, record, run_dir, same_float};

/// Runs a Python script with arguments and returns its stdout parsed as JSON.
fn run_python(script: &str, args: &[&Path]) -> Value {
    let python = std::env::var("OED_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let output = Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "failed to start Python {python:?}: {e}; set OED_PYTHON to a Python 3 \
                 interpreter, or run `cargo xtask ci`, which creates one"
            )
        });
    assert!(
        output.status.success(),
        "Python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the script prints JSON")
}

/// The ancestor's `load_oed_manifest`, except that bare non-finite tokens
/// raise, which proves the lines are strict JSON.
const READ_MANIFEST: &str = r#"
import json, math, sys

def reject(token):
    raise ValueError("bare token " + token)

with open(sys.argv[1]) as f:
    records = [json.loads(line, parse_constant=reject) for line in f if line.strip()]

rows = []
for record in records:
    result = record["result"]
    rows.append({
        "run_uuid": record["run_uuid"],
        "result_types": None if result is None else
            {key: type(value).__name__ for key, value in result.items()},
        "as_float": None if result is None else
            {key: repr(float(value)) for key, value in result.items()},
    })
print(json.dumps(rows))
"#;

#[test]
fn ancestor_reader_reads_our_manifest() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let mut nonfinite = record(0);
    nonfinite.result = Some(oed_model::ExperimentResult::from_array([
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        5e-324,
    ]));
    let records = [nonfinite, failed_record(1)];
    let mut manifest = Manifest::open(&dir).unwrap();
    for record in &records {
        manifest.append(record).unwrap();
    }

    let rows = run_python(READ_MANIFEST, &[&dir.manifest_path()]);
    assert_eq!(rows.as_array().unwrap().len(), 2);
    let first = &rows[0];
    assert_eq!(first["run_uuid"], records[0].run_uuid.as_str());
    assert_eq!(first["result_types"]["information_gain"], "str");
    assert_eq!(
        first["result_types"]["jsd_from_original_population"],
        "float"
    );
    assert_eq!(first["as_float"]["information_gain"], "nan");
    assert_eq!(first["as_float"]["barrier_crossing_frequency"], "inf");
    assert_eq!(first["as_float"]["final_sequence_entropy"], "-inf");
    assert_eq!(first["as_float"]["jsd_from_original_population"], "-0.0");
    assert_eq!(first["as_float"]["geometric_fitness_mean"], "5e-324");
    assert_eq!(rows[1]["result_types"], Value::Null);
}

/// The ancestor's `save_oed_record` body: `json.dumps(record) + "\n"`
/// appended, with Python floats including non-finite ones.
const WRITE_MANIFEST: &str = r#"
import json, sys, uuid

with open(sys.argv[1], "a") as f:
    for i, gain in enumerate([float("nan"), float("inf"), -float("inf"), 1e-310]):
        record = {
            "timestamp": "2026-12-04T15:45:35.196784+00:00",
            "phase": "seeding",
            "iteration": i,
            "run_uuid": str(uuid.uuid4()),
            "design": {"N": 12, "K": 1, "q": 3, "population_size": 196,
                       "n_generations": 20, "mutation_rate": 0.1,
                       "diversification_ratio": 0.5, "branch_length": 1.0},
            "result": {"information_gain": gain, "barrier_crossing_frequency": 0.5,
                       "final_sequence_entropy": 1.25, "jsd_from_original_population": 0.0,
                       "geometric_fitness_mean": 0.01},
            "record_start_idx": 0,
            "record_count": 0,
        }
        f.write(json.dumps(record) + "\n")
print("[]")
"#;

#[test]
fn python_written_manifest_loads() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    run_python(WRITE_MANIFEST, &[&dir.manifest_path()]);
    let text = std::fs::read_to_string(dir.manifest_path()).unwrap();
    assert!(
        text.contains(": NaN,"),
        "Python wrote no bare token: {text}"
    );

    let loaded = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap();
    let gains: Vec<f64> = loaded
        .records
        .iter()
        .map(|record| record.result.as_ref().unwrap().information_gain)
        .collect();
    let expected = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e-310];
    assert_eq!(gains.len(), expected.len());
    for (a, e) in gains.iter().zip(expected) {
        assert!(same_float(*a, e), "{a} != {e}");
    }
    assert!(loaded.records.iter().all(|record| record.status.is_none()));
    assert_ne!(loaded.records[0].status, Some(RunStatus::Failed));
}

/// The ancestor's `load_oed_checkpoint` body.
const READ_CHECKPOINT: &str = r#"
import json, sys

with open(sys.argv[1]) as f:
    checkpoint = json.load(f)
first = checkpoint["design_history"][0]
print(json.dumps({
    "current_iteration": checkpoint["current_iteration"],
    "seed": checkpoint["seed"],
    "history": len(checkpoint["design_history"]),
    "N": first["design"]["N"],
    "gain": repr(float(first["result"]["information_gain"])),
}))
"#;

#[test]
fn ancestor_reader_reads_our_checkpoint() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let mut checkpoint = Checkpoint::new(42);
    checkpoint.current_iteration = 3;
    let first = record(0);
    let mut result = first.result.clone().unwrap();
    result.information_gain = f64::NEG_INFINITY;
    checkpoint.design_history = vec![
        HistoryEntry {
            design: first.design.clone(),
            result,
        };
        2
    ];
    save_checkpoint(&dir, &checkpoint).unwrap();

    let read = run_python(READ_CHECKPOINT, &[&dir.checkpoint_path()]);
    assert_eq!(read["current_iteration"], 3);
    assert_eq!(read["seed"], 42);
    assert_eq!(read["history"], 2);
    assert_eq!(read["N"], first.design.n);
    assert_eq!(read["gain"], "-inf");
}
