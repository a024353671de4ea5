//! Files written by the Python ancestor load unchanged.

use oed_model::{Metric, Phase};
use oed_store::{
    Manifest, ReadOptions, RunDir, RunId, add_oed_to_metadata, load_checkpoint, load_manifest,
};
use serde_json::Value;

use crate::common::{ancestor_dir, design, record, same_float};

fn copy_small_loop(root: &tempfile::TempDir) -> RunDir {
    let dir = RunDir::create(root.path().join("small_loop")).unwrap();
    for name in ["oed_manifest.jsonl", "oed_checkpoint.json", "metadata.json"] {
        std::fs::copy(
            ancestor_dir().join("small_loop").join(name),
            dir.path().join(name),
        )
        .unwrap();
    }
    dir
}

#[test]
fn small_loop_manifest_loads() {
    let path = ancestor_dir().join("small_loop/oed_manifest.jsonl");
    let loaded = load_manifest(&path, ReadOptions::strict()).unwrap();
    assert_eq!(loaded.len(), 5);
    assert!(loaded.skipped.is_empty());

    let first = &loaded.records[0];
    assert_eq!(first.timestamp, "2026-12-04T15:45:35.196784+00:00");
    assert_eq!(first.phase, Phase::Seeding);
    assert_eq!(first.run_uuid, "a41386f5-1e40-44a6-bc1c-4ab79afcd64b");
    assert_eq!(first.design.n, 12);
    assert_eq!(first.design.population_size, 196);
    assert_eq!(first.design.mutation_rate, 0.05198364332318306);
    let result = first.result.as_ref().unwrap();
    assert_eq!(result.information_gain, 7.296909332275391);
    assert_eq!(result.geometric_fitness_mean, 0.005102040246129036);
    assert_eq!(first.schema_version, None);
    assert_eq!(first.status, None);
    assert!(!first.is_failed());

    assert_eq!(loaded.phase_records(&Phase::Seeding).count(), 3);
    assert_eq!(loaded.phase_records(&Phase::Optimization).count(), 2);
    assert_eq!(loaded.next_iteration(&Phase::Optimization), 2);
    let run = RunId::parse("1331f919-67d7-47d5-9380-acfe350118a8").unwrap();
    assert_eq!(loaded.find_run(&run).unwrap().iteration, 2);
    // The ancestor wrote 0 for both indices in every record.
    assert_eq!(loaded.run_records_range(&run), Some(0..0));
}

#[test]
fn nonfinite_manifest_keeps_each_value() {
    let path = ancestor_dir().join("nonfinite_manifest.jsonl");
    let loaded = load_manifest(&path, ReadOptions::strict()).unwrap();
    assert_eq!(loaded.len(), 3);
    let results: Vec<[f64; 5]> = loaded
        .records
        .iter()
        .map(|record| record.result.as_ref().unwrap().to_array())
        .collect();

    let expected = [
        [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.1,
            0.10000000149011612,
        ],
        [f64::NAN, f64::INFINITY, -0.0, 1e308, 5e-324],
        [
            1.0000000150474662e30,
            0.5,
            f64::NAN,
            f64::INFINITY,
            1.401298464324817e-45,
        ],
    ];
    for (row, (actual, expected)) in results.iter().zip(&expected).enumerate() {
        for (metric, (a, e)) in Metric::ALL.iter().zip(actual.iter().zip(expected)) {
            assert!(same_float(*a, *e), "record {row} {metric}: {a} != {e}");
        }
    }
    assert_eq!(loaded.records[1].record_start_idx, 200);
    assert_eq!(loaded.records[2].iteration, 4);
}

#[test]
fn our_appends_follow_ancestor_lines() {
    let root = tempfile::tempdir().unwrap();
    let dir = copy_small_loop(&root);
    let mut ours = record(5);
    ours.phase = Phase::Optimization;
    ours.result.as_mut().unwrap().information_gain = f64::NAN;
    Manifest::open(&dir).unwrap().append(&ours).unwrap();

    let loaded = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap();
    assert_eq!(loaded.len(), 6);
    assert_eq!(loaded.records[5].run_uuid, ours.run_uuid);
    assert!(
        loaded.records[5]
            .result
            .as_ref()
            .unwrap()
            .information_gain
            .is_nan()
    );
}

#[test]
fn ancestor_checkpoint_loads_as_version_zero() {
    let root = tempfile::tempdir().unwrap();
    let dir = copy_small_loop(&root);
    let checkpoint = load_checkpoint(&dir).unwrap().expect("a checkpoint");
    assert_eq!(checkpoint.schema_version, 0);
    assert_eq!(checkpoint.timestamp, "2026-12-04T15:48:01.657071+00:00");
    assert_eq!(checkpoint.current_iteration, 2);
    assert_eq!(checkpoint.seed, 42);
    assert_eq!(checkpoint.design_history.len(), 5);
    assert_eq!(checkpoint.manifest_records, 5);
    assert_eq!(checkpoint.phase, None);
    assert_eq!(checkpoint.loop_state, None);
    let second = &checkpoint.design_history[1];
    assert_eq!(second.design.n, 13);
    assert_eq!(second.result.final_sequence_entropy, 1.3027721643447876);
}

#[test]
fn ancestor_metadata_keeps_keys_and_gains_oed_fields() {
    let root = tempfile::tempdir().unwrap();
    let dir = copy_small_loop(&root);
    let read = |path: &std::path::Path| -> Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let before = read(&dir.metadata_path());
    let run = RunId::new_v4();

    add_oed_to_metadata(&dir, &design(27), &Phase::Optimization, 3, &run).unwrap();

    let after = read(&dir.metadata_path());
    let (before, after) = (before.as_object().unwrap(), after.as_object().unwrap());
    for (key, value) in before {
        if !key.starts_with("oed_") {
            assert_eq!(after.get(key), Some(value), "key {key} changed");
        }
    }
    assert_eq!(after.len(), before.len());
    assert_eq!(after["oed_phase"], "optimization");
    assert_eq!(after["oed_iteration"], 3);
    assert_eq!(after["oed_design"]["N"], 27);
    assert_eq!(after["config"]["prng_seed"], 3515226245u64);
    assert_eq!(
        read(&dir.run_metadata_path(&run)),
        Value::Object(after.clone())
    );
}
