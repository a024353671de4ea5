//! Resuming a run directory written by the Python ancestor.

use oed_model::{Phase, RunStatus};

use crate::loop_common::{Workspace, records, run_ok};

/// The space the ancestor's small loop drew from.
const ANCESTOR_SPACE: &str = r#"
N = { min = 10, max = 30 }
K = { min = 0, max = 2 }
q = { min = 2, max = 6 }
population_size = { min = 50, max = 200, scale = "log" }
n_generations = { value = 20 }
"#;

#[test]
fn ancestor_directory_resumes_and_keeps_its_records() {
    let workspace = Workspace::new(ANCESTOR_SPACE);
    let dir = workspace.run_dir("ancestor");
    oed_tests::copy_dir(
        &oed_tests::data_dir().join("python-ancestor/small_loop"),
        &dir,
    );
    let original_manifest = std::fs::read(dir.join("oed_manifest.jsonl")).unwrap();
    let original_records = records(&dir);
    assert_eq!(original_records.len(), 5);

    let mut command = oed_tests::command("oed-loop");
    command
        .arg("--output-dir")
        .arg(&dir)
        .arg("--space")
        .arg(workspace.space_path())
        .args([
            "--num-initial-experiments",
            "3",
            "--num-oed-iterations",
            "4",
        ])
        .args([
            "--candidates",
            "256",
            "--restarts",
            "2",
            "--min-free-disk",
            "0",
        ])
        .arg("--resume");
    let output = run_ok(&mut command);
    let stderr = oed_tests::stderr_text(&output);

    // The ancestor's lines are untouched and two optimisation experiments
    // follow, numbered on from its last iteration.
    let manifest = std::fs::read(dir.join("oed_manifest.jsonl")).unwrap();
    assert_eq!(&manifest[..original_manifest.len()], &original_manifest[..]);
    let records = records(&dir);
    assert_eq!(records.len(), 7);
    assert_eq!(&records[..5], &original_records[..]);
    for (record, iteration) in records[5..].iter().zip([2, 3]) {
        assert_eq!(record.phase, Phase::Optimization);
        assert_eq!(record.iteration, iteration);
        assert_eq!(record.status, Some(RunStatus::Completed));
        assert!(record.seed.is_some());
        assert!(workspace.space().validate(&record.design).is_ok());
        for old in &original_records {
            assert_ne!(
                record.design, old.design,
                "an ancestor design was run again"
            );
        }
    }

    // Its trajectories are kept, and the log reports that its random stream
    // is not continued.
    for record in &original_records {
        let data = dir.join(format!("data_{}.arrayrecord", record.run_uuid));
        assert!(data.is_file(), "{} was removed", data.display());
    }
    let log = std::fs::read_to_string(dir.join("oed_loop.log")).unwrap();
    assert!(log.contains("random stream cannot be continued"), "{log}");
    assert!(
        stderr.contains("random stream cannot be continued"),
        "{stderr}"
    );
}

#[test]
fn ancestor_directory_without_resume_is_rejected() {
    let workspace = Workspace::new(ANCESTOR_SPACE);
    let dir = workspace.run_dir("ancestor");
    oed_tests::copy_dir(
        &oed_tests::data_dir().join("python-ancestor/small_loop"),
        &dir,
    );
    let before = std::fs::read(dir.join("oed_manifest.jsonl")).unwrap();

    let mut command = oed_tests::command("oed-loop");
    command.arg("--output-dir").arg(&dir);
    let output = oed_tests::run(&mut command);
    let stderr = oed_tests::stderr_text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("add --resume"), "{stderr}");
    assert_eq!(
        std::fs::read(dir.join("oed_manifest.jsonl")).unwrap(),
        before
    );
}
