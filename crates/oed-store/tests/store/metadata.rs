//! Run metadata and the summary in a run directory.

use oed_model::Phase;
use oed_store::{RunId, add_oed_to_metadata, write_run_metadata, write_summary};
use serde_json::{Value, json};

use crate::common::{design, run_dir};

fn read(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn every_run_keeps_its_own_metadata() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let runs = [RunId::new_v4(), RunId::new_v4()];
    for (iteration, run) in runs.iter().enumerate() {
        write_run_metadata(
            &dir,
            run,
            &json!({"config": {"population_size": iteration}}),
        )
        .unwrap();
        add_oed_to_metadata(
            &dir,
            &design(10 + iteration as u32),
            &Phase::Seeding,
            iteration as u64,
            run,
        )
        .unwrap();
    }

    for (iteration, run) in runs.iter().enumerate() {
        let metadata = read(&dir.run_metadata_path(run));
        assert_eq!(metadata["config"]["population_size"], iteration);
        assert_eq!(metadata["oed_iteration"], iteration);
        assert_eq!(metadata["oed_design"]["N"], 10 + iteration);
    }
    assert_eq!(
        read(&dir.metadata_path()),
        read(&dir.run_metadata_path(&runs[1]))
    );
}

#[test]
fn enhancement_starts_from_latest_metadata() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    std::fs::write(
        dir.metadata_path(),
        r#"{"sampler_type": "smc", "loss": NaN}"#,
    )
    .unwrap();
    let run = RunId::new_v4();
    add_oed_to_metadata(&dir, &design(12), &Phase::Optimization, 4, &run).unwrap();

    let metadata = read(&dir.run_metadata_path(&run));
    assert_eq!(metadata["sampler_type"], "smc");
    assert_eq!(metadata["loss"], "NaN");
    assert_eq!(metadata["oed_phase"], "optimization");
}

#[test]
fn summary_is_replaced_whole() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    write_summary(&dir, &json!({"total_experiments": 1, "old": true})).unwrap();
    write_summary(&dir, &json!({"total_experiments": 2})).unwrap();
    assert_eq!(read(&dir.summary_path()), json!({"total_experiments": 2}));
}
