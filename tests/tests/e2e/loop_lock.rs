//! The run directory's writer lock: a second loop on a directory that a loop
//! is writing fails and touches nothing, and a killed loop leaves no lock
//! that blocks the next one.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

use crate::loop_common::{
    SMALL_SPACE, Workspace, assert_files_match_records, assert_same_experiments, kill_at, records,
    run_ok, wait_for_line,
};

/// Returns every file of `dir` with its content.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            (name, std::fs::read(entry.path()).unwrap())
        })
        .collect()
}

/// Runs the uninterrupted small loop and returns its records.
fn reference(workspace: &Workspace) -> Vec<oed_model::ExperimentRecord> {
    run_ok(&mut workspace.loop_command("reference"));
    records(&workspace.run_dir("reference"))
}

#[test]
fn second_loop_on_locked_directory_fails() {
    let workspace = Workspace::new(SMALL_SPACE);
    let dir = workspace.run_dir("run");

    // Pause the first loop after an optimisation run's metadata and before its
    // manifest record, because a resume would remove that run's files.
    let point = "metadata-written:5";
    let mut first = workspace.loop_command("run");
    first
        .env("OED_LOOP_TEST_PAUSE_AT", point)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut first = first.spawn().expect("start the first oed-loop");
    wait_for_line(&mut first, &format!("oed-loop: paused at {point}"));
    let before = snapshot(&dir);
    let unrecorded = before
        .keys()
        .filter(|name| name.starts_with("metadata_"))
        .count()
        - records(&dir).len();
    assert_eq!(
        unrecorded,
        1,
        "files of the paused run: {:?}",
        before.keys()
    );

    let mut second = workspace.loop_command("run");
    second.arg("--resume");
    let output = oed_tests::run(&mut second);
    let stderr = oed_tests::stderr_text(&output);
    assert_eq!(output.status.code(), Some(2), "stderr:\n{stderr}");
    let expected = format!(
        "{}: another oed-loop (pid {}) is writing this run directory",
        dir.display(),
        first.id()
    );
    assert!(stderr.contains(&expected), "stderr:\n{stderr}");
    assert!(stderr.contains("--output-dir"), "stderr:\n{stderr}");
    assert_eq!(
        snapshot(&dir),
        before,
        "the rejected loop changed the directory"
    );

    first.kill().expect("SIGKILL the first oed-loop");
    first.wait().expect("reap the first oed-loop");
    let mut resume = workspace.loop_command("run");
    resume.arg("--resume");
    run_ok(&mut resume);
    assert_same_experiments(&reference(&workspace), &records(&dir));
    assert_files_match_records(&dir);
}

#[test]
fn killed_loop_releases_its_lock() {
    let workspace = Workspace::new(SMALL_SPACE);
    let dir = workspace.run_dir("run");
    kill_at(workspace.loop_command("run"), "experiment-start:2");

    // The lock file stays behind with the killed loop's pid, but the lock does not.
    let lock_file = std::fs::read_to_string(dir.join(".oed.lock")).unwrap();
    assert!(lock_file.trim().parse::<u32>().is_ok(), "{lock_file:?}");

    let mut resume = workspace.loop_command("run");
    resume.arg("--resume");
    run_ok(&mut resume);
    assert_same_experiments(&reference(&workspace), &records(&dir));
    assert_files_match_records(&dir);
}
