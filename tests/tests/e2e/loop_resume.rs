//! Loops killed at chosen moments, then resumed: they must end with the same
//! experiments, in the same order, as a loop that was never interrupted.

use std::process::Stdio;
use std::sync::OnceLock;

use oed_model::ExperimentRecord;

use crate::loop_common::{
    SEEDING, SMALL_SPACE, Workspace, assert_files_match_records, assert_same_experiments, kill_at,
    records, run_ok, wait_for_line, wait_with_stderr,
};

/// Returns the records of the uninterrupted small loop, run once per test
/// binary.
fn reference() -> &'static [ExperimentRecord] {
    static REFERENCE: OnceLock<Vec<ExperimentRecord>> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let workspace = Workspace::new(SMALL_SPACE);
        run_ok(&mut workspace.loop_command("reference"));
        records(&workspace.run_dir("reference"))
    })
}

/// Kills the small loop at `point`, resumes it, and compares it with the
/// uninterrupted loop.
fn kill_and_resume(point: &str) {
    let workspace = Workspace::new(SMALL_SPACE);
    kill_at(workspace.loop_command("run"), point);
    resume_and_compare(&workspace);
}

/// Resumes the loop in run directory `run`, compares it with the
/// uninterrupted loop and returns the resume's stderr.
fn resume_and_compare(workspace: &Workspace) -> String {
    let mut resume = workspace.loop_command("run");
    resume.arg("--resume");
    let output = run_ok(&mut resume);

    let dir = workspace.run_dir("run");
    assert_same_experiments(reference(), &records(&dir));
    assert_files_match_records(&dir);
    oed_tests::stderr_text(&output)
}

#[test]
fn killed_before_a_seeding_run_resumes() {
    kill_and_resume("experiment-start:2");
}

#[test]
fn killed_before_the_first_record_resumes() {
    kill_and_resume("experiment-start:0");
}

#[test]
fn killed_after_a_seeding_run_resumes() {
    // The trajectory is complete but the run has no manifest record yet.
    kill_and_resume("run-finished:1");
}

#[test]
fn killed_after_metadata_resumes() {
    let workspace = Workspace::new(SMALL_SPACE);
    kill_at(workspace.loop_command("run"), "metadata-written:5");
    let stderr = resume_and_compare(&workspace);

    // The trajectory and the metadata file: one warning counts both.
    assert!(
        stderr.contains("removed 2 files of interrupted experiments"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("removed").count(), 1, "{stderr}");
}

#[test]
fn killed_after_last_seeding_append_resumes() {
    // Between the append and the checkpoint that ends the seeding phase.
    kill_and_resume(&format!("manifest-appended:{}", SEEDING - 1));
}

#[test]
fn killed_after_an_optimization_append_resumes() {
    kill_and_resume("manifest-appended:6");
}

#[test]
fn killed_during_checkpoint_write_resumes() {
    let workspace = Workspace::new(SMALL_SPACE);
    let dir = workspace.run_dir("run");
    kill_at(workspace.loop_command("run"), "checkpoint:6");

    // The previous checkpoint (after seeding) is intact. A writer killed in
    // the middle of replacing it leaves its temporary file beside it, so plant
    // one, named as the store names them, with half a checkpoint in it.
    let previous = std::fs::read_to_string(dir.join("oed_checkpoint.json")).unwrap();
    let previous: serde_json::Value = serde_json::from_str(&previous).unwrap();
    assert_eq!(previous["manifest_records"], SEEDING);
    std::fs::write(
        dir.join(".oed_checkpoint.json.k1ll3d.tmp"),
        b"{\"timestamp\": \"20",
    )
    .unwrap();

    resume_and_compare(&workspace);
}

#[test]
fn killed_mid_run_with_partial_trajectory_resumes() {
    let workspace = Workspace::new(SMALL_SPACE);
    let dir = workspace.run_dir("run");
    kill_at(workspace.loop_command("run"), "run-finished:5");

    // Turn the finished trajectory into what a run killed halfway leaves: a
    // truncated `.partial` file and no complete one.
    let finished: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            name.starts_with("data_")
                && !records(&dir)
                    .iter()
                    .any(|r| name == format!("data_{}.arrayrecord", r.run_uuid))
        })
        .collect();
    assert_eq!(finished.len(), 1, "{finished:?}");
    let bytes = std::fs::read(&finished[0]).unwrap();
    let mut partial = finished[0].clone().into_os_string();
    partial.push(".partial");
    std::fs::write(&partial, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::remove_file(&finished[0]).unwrap();

    resume_and_compare(&workspace);
}

#[test]
fn killed_twice_resumes() {
    let workspace = Workspace::new(SMALL_SPACE);
    kill_at(workspace.loop_command("run"), "run-finished:2");
    let mut again = workspace.loop_command("run");
    again.arg("--resume");
    kill_at(again, "metadata-written:6");
    resume_and_compare(&workspace);
}

/// A space whose single design takes long enough (a second or so) for a
/// test to see its partial trajectory and stop the process mid-run.
const SLOW_SPACE: &str = r#"
N = { value = 60 }
K = { value = 2 }
q = { value = 4 }
population_size = { value = 4000 }
n_generations = { value = 400 }
mutation_rate = { min = 1e-3, max = 1e-2, scale = "log" }
diversification_ratio = { min = 0.1, max = 0.2 }
"#;

fn slow_command(workspace: &Workspace, name: &str) -> std::process::Command {
    let mut command = oed_tests::command("oed-loop");
    command
        .arg("--output-dir")
        .arg(workspace.run_dir(name))
        .arg("--space")
        .arg(workspace.space_path())
        .args([
            "--num-initial-experiments",
            "2",
            "--num-oed-iterations",
            "0",
        ])
        .args([
            "--seed",
            "3",
            "--trajectory",
            "every",
            "--min-free-disk",
            "0",
        ]);
    command
}

/// Starts the slow loop and returns once its first run's `.partial`
/// trajectory exists.
fn start_slow_until_partial(workspace: &Workspace) -> std::process::Child {
    let mut command = slow_command(workspace, "run");
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("start oed-loop");
    let dir = workspace.run_dir("run");
    loop {
        let has_partial = std::fs::read_dir(&dir).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|entry| entry.file_name().to_string_lossy().ends_with(".partial"))
        });
        if has_partial {
            return child;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let (_, stderr) = wait_with_stderr(child);
            panic!("oed-loop ended ({status}) before a partial trajectory appeared:\n{stderr}");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

#[test]
fn sigkill_mid_run_then_resume_matches() {
    let workspace = Workspace::new(SLOW_SPACE);
    run_ok(&mut slow_command(&workspace, "reference"));

    let mut child = start_slow_until_partial(&workspace);
    child.kill().unwrap();
    child.wait().unwrap();

    run_ok(slow_command(&workspace, "run").arg("--resume"));
    let dir = workspace.run_dir("run");
    assert_same_experiments(&records(&workspace.run_dir("reference")), &records(&dir));
    assert_files_match_records(&dir);
}

#[test]
fn interrupt_saves_checkpoint_and_says_how_to_resume() {
    let workspace = Workspace::new(SLOW_SPACE);
    let child = start_slow_until_partial(&workspace);
    let interrupt = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(interrupt.success());
    let (status, stderr) = wait_with_stderr(child);

    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted; resume with:"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    let dir = workspace.run_dir("run");
    assert!(dir.join("oed_checkpoint.json").is_file());
    assert_files_match_records(&dir);

    run_ok(slow_command(&workspace, "run").arg("--resume"));
    assert_eq!(records(&dir).len(), 2);
    assert_files_match_records(&dir);
}

#[test]
fn pause_hook_reports_its_point() {
    // The hook itself: the line the other tests wait for is printed.
    let workspace = Workspace::new(SMALL_SPACE);
    let mut command = workspace.loop_command("run");
    command
        .env("OED_LOOP_TEST_PAUSE_AT", "experiment-start:1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let stderr = wait_for_line(&mut child, "oed-loop: paused at experiment-start:1");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(records(&workspace.run_dir("run")).len(), 1, "{stderr}");
}

#[test]
fn resume_with_other_checkpoint_interval_does_not_warn() {
    let workspace = Workspace::new(SMALL_SPACE);
    kill_at(workspace.loop_command("run"), "manifest-appended:5");
    let mut resume = workspace.loop_command("run");
    resume.args(["--resume", "--checkpoint-every", "3"]);
    let output = run_ok(&mut resume);

    let stderr = oed_tests::stderr_text(&output);
    assert!(!stderr.contains("changed since the checkpoint"), "{stderr}");
    assert_same_experiments(reference(), &records(&workspace.run_dir("run")));
}

#[test]
fn bare_resume_continues_with_the_recorded_settings() {
    let workspace = Workspace::new(SMALL_SPACE);
    let dir = workspace.run_dir("run");
    kill_at(workspace.loop_command("run"), "manifest-appended:5");

    // Only the directory: space, counts, seed and the rest come from the
    // checkpoint, not from the defaults.
    let mut resume = oed_tests::command("oed-loop");
    resume.arg("--output-dir").arg(&dir).arg("--resume");
    let output = run_ok(&mut resume);
    let stderr = oed_tests::stderr_text(&output);
    assert!(
        stderr.contains("restored from the checkpoint") && stderr.contains("--space"),
        "{stderr}"
    );
    assert!(!stderr.contains("changed since the checkpoint"), "{stderr}");

    let resumed = records(&dir);
    assert_same_experiments(reference(), &resumed);
    let space = workspace.space();
    for record in &resumed {
        space
            .validate(&record.design)
            .unwrap_or_else(|e| panic!("design outside the space file's space: {e}"));
    }
    assert_files_match_records(&dir);
}
