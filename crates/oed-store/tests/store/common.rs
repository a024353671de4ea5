//! Records, directories and comparisons shared by the test modules.

use std::path::{Path, PathBuf};

use oed_model::{Design, ExperimentRecord, ExperimentResult, Phase, RunStatus};
use oed_store::{RunDir, RunId};

/// Returns the directory of the Python ancestor's files checked in beside the
/// tests.
pub fn ancestor_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/python-ancestor")
}

/// Returns a fresh run directory inside a temporary directory, which must
/// outlive it.
pub fn run_dir(root: &tempfile::TempDir) -> RunDir {
    RunDir::create(root.path().join("oed_results")).expect("create the run directory")
}

pub fn design(n: u32) -> Design {
    Design {
        n,
        k: 1,
        q: 3,
        population_size: 196,
        n_generations: 20,
        mutation_rate: 0.051_983_643_323_183_06,
        diversification_ratio: 0.003_811_955_451_965_332,
        branch_length: 1.0,
    }
}

/// Returns a completed record whose fields all derive from `iteration`.
pub fn record(iteration: u64) -> ExperimentRecord {
    let value = iteration as f64;
    ExperimentRecord {
        timestamp: "2026-12-04T15:45:35.196784+00:00".to_string(),
        phase: Phase::Seeding,
        iteration,
        run_uuid: RunId::new_v4().to_string(),
        design: design(10 + (iteration % 100) as u32),
        result: Some(ExperimentResult::from_array([
            value + 0.5,
            0.25,
            -0.0,
            1e-300,
            value * 1e10,
        ])),
        record_start_idx: 0,
        record_count: 21,
        schema_version: Some(1),
        status: Some(RunStatus::Completed),
        error: None,
        seed: Some(iteration * 7),
        duration_s: Some(1.5),
    }
}

/// Returns a failed record, with no result and an error text.
pub fn failed_record(iteration: u64) -> ExperimentRecord {
    ExperimentRecord {
        result: None,
        status: Some(RunStatus::Failed),
        error: Some("simulation \"diverged\"\nat generation 3".to_string()),
        ..record(iteration)
    }
}

/// Returns true when two floats are the same value: equal bits, or both NaN.
pub fn same_float(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Asserts that two records are equal, comparing floats by bits so that NaN
/// equals NaN and -0.0 differs from 0.0.
pub fn assert_same_record(actual: &ExperimentRecord, expected: &ExperimentRecord) {
    let floats = |record: &ExperimentRecord| {
        let mut values: Vec<f64> = oed_model::Parameter::ALL
            .iter()
            .map(|&p| record.design.get(p))
            .collect();
        if let Some(result) = &record.result {
            values.extend(result.to_array());
        }
        values.extend(record.duration_s);
        values
    };
    let (actual_floats, expected_floats) = (floats(actual), floats(expected));
    assert_eq!(actual_floats.len(), expected_floats.len(), "{actual:?}");
    for (a, e) in actual_floats.iter().zip(&expected_floats) {
        assert!(same_float(*a, *e), "{a} != {e} in {actual:?}");
    }
    let strip = |record: &ExperimentRecord| ExperimentRecord {
        design: design(1),
        result: record
            .result
            .as_ref()
            .map(|_| ExperimentResult::from_array([0.0; 5])),
        duration_s: record.duration_s.map(|_| 0.0),
        ..record.clone()
    };
    assert_eq!(strip(actual), strip(expected));
}
