//! The built binary on a tiny loop. The end-to-end suite in `tests/` covers
//! resume and crashes; this one also makes `cargo test --workspace` build the
//! binary that suite runs.

use std::process::Command;

fn oed_loop() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_oed-loop"));
    command.env_remove("RUST_LOG").env("NO_COLOR", "1");
    command
}

#[test]
fn tiny_loop_without_trajectories_completes() {
    let root = tempfile::tempdir().unwrap();
    let space = root.path().join("space.json");
    std::fs::write(
        &space,
        r#"{"N": {"min": 6, "max": 10}, "K": {"value": 1}, "q": {"value": 2},
            "population_size": {"value": 16}, "n_generations": {"value": 4}}"#,
    )
    .unwrap();
    let dir = root.path().join("run");

    let output = oed_loop()
        .arg("--output-dir")
        .arg(&dir)
        .arg("--space")
        .arg(&space)
        .args([
            "--num-initial-experiments",
            "2",
            "--num-oed-iterations",
            "1",
        ])
        .args([
            "--trajectory",
            "none",
            "--candidates",
            "32",
            "--min-free-disk",
            "0",
        ])
        .arg("--no-fsync")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let manifest = std::fs::read_to_string(dir.join("oed_manifest.jsonl")).unwrap();
    assert_eq!(manifest.lines().count(), 3, "{manifest}");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("data_")), "{names:?}");
    assert!(names.contains(&"oed_summary.json".to_string()), "{names:?}");
}

#[test]
fn invalid_space_file_names_the_path() {
    let root = tempfile::tempdir().unwrap();
    let space = root.path().join("space.toml");
    std::fs::write(&space, "N = { min = 30, max = 10 }\n").unwrap();

    let output = oed_loop()
        .arg("--output-dir")
        .arg(root.path().join("run"))
        .arg("--space")
        .arg(&space)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("space.toml: invalid parameter space"),
        "{stderr}"
    );
    assert!(stderr.contains("min must not exceed max"), "{stderr}");
}
