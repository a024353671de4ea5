//! Records and manifests built for the tests.

use std::path::{Path, PathBuf};

use oed_model::{Design, ExperimentRecord, ExperimentResult, Phase, RunStatus};

/// Returns the directory of this crate's test data.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

/// Returns a canonical run UUID that encodes `i`.
pub fn uuid(i: u64) -> String {
    format!("00000000-0000-4000-8000-{i:012x}")
}

/// Returns a record of `phase` with the given metric values, or a failed run
/// when `values` is `None`.
pub fn record(i: u64, phase: &str, values: Option<[f64; 5]>) -> ExperimentRecord {
    ExperimentRecord {
        timestamp: format!(
            "2026-01-01T00:00:{:02}.{:06}+00:00",
            i / 1_000_000 % 60,
            i % 1_000_000
        ),
        phase: Phase::from(phase),
        iteration: i,
        run_uuid: uuid(i),
        design: Design {
            n: 10 + (i % 20) as u32,
            k: 1,
            q: 4,
            population_size: 100,
            n_generations: 20,
            mutation_rate: 0.01,
            diversification_ratio: 0.1,
            branch_length: 1.0,
        },
        result: values.map(ExperimentResult::from_array),
        record_start_idx: 0,
        record_count: 21,
        schema_version: Some(1),
        status: Some(if values.is_some() {
            RunStatus::Completed
        } else {
            RunStatus::Failed
        }),
        error: values
            .is_none()
            .then(|| "simulated failure, with \"quotes\", commas".to_string()),
        seed: Some(i),
        duration_s: Some(0.25),
    }
}

/// Writes records as a manifest and returns its path.
pub fn write_manifest(dir: &Path, records: &[ExperimentRecord]) -> PathBuf {
    let path = dir.join("oed_manifest.jsonl");
    let mut text = String::new();
    for record in records {
        text.push_str(&serde_json::to_string(record).unwrap());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}
