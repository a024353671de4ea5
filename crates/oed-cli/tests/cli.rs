//! The built binary on a manifest made here. The end-to-end suite in the
//! workspace's `tests` package covers the ancestor's files and damage.

use std::path::Path;
use std::process::{Command, Output};

const RECORD: &str = r#"{"timestamp": "2026-12-04T15:45:35.196784+00:00", "phase": "seeding", "iteration": 0, "run_uuid": "a41386f5-1e40-44a6-bc1c-4ab79afcd64b", "design": {"N": 12, "K": 1, "q": 3, "population_size": 196, "n_generations": 20, "mutation_rate": 0.05, "diversification_ratio": 0.004, "branch_length": 1.0}, "result": {"information_gain": 7.25, "barrier_crossing_frequency": 0.5, "final_sequence_entropy": NaN, "jsd_from_original_population": 0.001, "geometric_fitness_mean": 0.25}, "record_start_idx": 0, "record_count": 21}"#;

fn oed_cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oed-cli"))
        .args(args)
        .arg(dir)
        .env_remove("RUST_LOG")
        .output()
        .expect("start oed-cli")
}

fn run_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!(
        "{RECORD}\n{}\n",
        RECORD.replace("\"iteration\": 0", "\"iteration\": 1")
    );
    std::fs::write(dir.path().join("oed_manifest.jsonl"), manifest).unwrap();
    dir
}

#[test]
fn list_json_has_every_record() {
    let dir = run_dir();
    let output = oed_cli(dir.path(), &["--list", "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["index"], 1);
    assert_eq!(rows[1]["iteration"], 1);
    assert_eq!(rows[0]["result"]["final_sequence_entropy"], "NaN");
}

#[test]
fn summary_counts_tie() {
    let dir = run_dir();
    let output = oed_cli(dir.path(), &["--summary", "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["total_experiments"], 2);
    assert_eq!(summary["best"]["information_gain"]["index"], 0);
    assert_eq!(summary["best"]["information_gain"]["tied_records"], 1);
    assert!(dir.path().join("oed_summary.json").is_file());
}

#[test]
fn export_csv_to_file() {
    let dir = run_dir();
    let target = dir.path().join("out.csv");
    let output = oed_cli(
        dir.path(),
        &[
            "export",
            "--format",
            "csv",
            "--output",
            target.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let mut reader = csv::Reader::from_path(&target).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let column = headers
        .iter()
        .position(|h| h == "final_sequence_entropy")
        .unwrap();
    assert_eq!(&rows[0][column], "NaN");
}
