//! Helpers of the `oed-loop` tests: a narrowed parameter space, small loops,
//! pausing and killing the binary, and comparing manifests.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

use oed_model::{ExperimentRecord, ParameterSpace};
use oed_store::{ReadOptions, load_manifest};

/// The narrowed space of the loop tests: runs of 10 generations of at most 80
/// particles, a few milliseconds each.
pub const SMALL_SPACE: &str = r#"
N = { min = 8, max = 16 }
K = { min = 0, max = 2 }
q = { min = 2, max = 4 }
population_size = { min = 20, max = 80, scale = "log" }
n_generations = { value = 10 }
mutation_rate = { min = 1e-4, max = 1e-1, scale = "log" }
"#;

pub const SEEDING: u64 = 4;
pub const ITERATIONS: u64 = 4;
pub const LOOP_SEED: u64 = 7;

/// A temporary directory holding a space file and room for run directories.
#[derive(Debug)]
pub struct Workspace {
    root: tempfile::TempDir,
}

impl Workspace {
    pub fn new(space: &str) -> Workspace {
        let root = tempfile::tempdir().expect("create a temporary directory");
        std::fs::write(root.path().join("space.toml"), space).expect("write the space file");
        Workspace { root }
    }

    pub fn space_path(&self) -> PathBuf {
        self.root.path().join("space.toml")
    }

    pub fn space(&self) -> ParameterSpace {
        let text = std::fs::read_to_string(self.space_path()).unwrap();
        ParameterSpace::from_toml_str(&text).unwrap()
    }

    pub fn run_dir(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Returns an `oed-loop` command for the small loop into run directory
    /// `name`.
    pub fn loop_command(&self, name: &str) -> Command {
        let mut command = oed_tests::command("oed-loop");
        command
            .arg("--output-dir")
            .arg(self.run_dir(name))
            .arg("--space")
            .arg(self.space_path())
            .args(["--num-initial-experiments", &SEEDING.to_string()])
            .args(["--num-oed-iterations", &ITERATIONS.to_string()])
            .args(["--checkpoint-every", "2"])
            .args(["--seed", &LOOP_SEED.to_string()])
            .args(["--candidates", "256", "--restarts", "2"])
            .args(["--trajectory", "every", "--min-free-disk", "0"]);
        command
    }
}

/// Runs a command to completion and asserts that it succeeded.
pub fn run_ok(command: &mut Command) -> std::process::Output {
    let output = oed_tests::run(command);
    assert!(
        output.status.success(),
        "{command:?} failed with {}\nstderr:\n{}",
        output.status,
        oed_tests::stderr_text(&output)
    );
    output
}

/// Starts `command` with `OED_LOOP_TEST_PAUSE_AT=point`, waits until the loop
/// reports that it paused there, and SIGKILLs it.
pub fn kill_at(mut command: Command, point: &str) {
    command
        .env("OED_LOOP_TEST_PAUSE_AT", point)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start oed-loop");
    let stderr = wait_for_line(&mut child, &format!("oed-loop: paused at {point}"));
    child.kill().expect("SIGKILL oed-loop");
    let status = child.wait().expect("reap oed-loop");
    assert!(
        !status.success(),
        "oed-loop was not killed at {point}\n{stderr}"
    );
}

/// Reads the child's stderr until a line contains `needle`; returns what was
/// read. Panics with the stderr when the child closes it first.
pub fn wait_for_line(child: &mut Child, needle: &str) -> String {
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut reader = BufReader::new(stderr);
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).expect("read oed-loop's stderr");
        seen.push_str(&line);
        if read == 0 {
            let status = child.wait().expect("reap oed-loop");
            panic!("oed-loop ended ({status}) before printing {needle:?}; stderr:\n{seen}");
        }
        if line.contains(needle) {
            // Keep draining stderr so the child never blocks on a full pipe.
            std::thread::spawn(move || {
                let mut sink = Vec::new();
                let _ = reader.read_to_end(&mut sink);
            });
            return seen;
        }
    }
}

/// Waits for a child and returns its status and remaining stderr.
pub fn wait_with_stderr(mut child: Child) -> (ExitStatus, String) {
    let mut text = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        stderr.read_to_string(&mut text).expect("read stderr");
    }
    (child.wait().expect("reap oed-loop"), text)
}

pub fn records(dir: &Path) -> Vec<ExperimentRecord> {
    load_manifest(dir.join("oed_manifest.jsonl"), ReadOptions::strict())
        .unwrap_or_else(|e| panic!("load the manifest of {}: {e}", dir.display()))
        .records
}

/// Asserts that two loops recorded the same experiments in the same order:
/// everything but run UUIDs, timestamps and durations.
pub fn assert_same_experiments(expected: &[ExperimentRecord], actual: &[ExperimentRecord]) {
    assert_eq!(expected.len(), actual.len(), "number of records");
    for (index, (e, a)) in expected.iter().zip(actual).enumerate() {
        assert_eq!(e.phase, a.phase, "record {index}: phase");
        assert_eq!(e.iteration, a.iteration, "record {index}: iteration");
        assert_eq!(e.design, a.design, "record {index}: design");
        assert_eq!(e.seed, a.seed, "record {index}: seed");
        assert_eq!(e.status, a.status, "record {index}: status");
        assert_eq!(e.result, a.result, "record {index}: result");
        assert_eq!(
            e.record_count, a.record_count,
            "record {index}: record_count"
        );
    }
}

/// Asserts that the run directory contains exactly one complete trajectory and
/// one metadata file per record, and nothing partial or temporary.
pub fn assert_files_match_records(dir: &Path) {
    let records = records(dir);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in &names {
        assert!(
            !name.ends_with(".partial"),
            "{name} left in {}",
            dir.display()
        );
        assert!(!name.ends_with(".tmp"), "{name} left in {}", dir.display());
    }
    for record in &records {
        let data = format!("data_{}.arrayrecord", record.run_uuid);
        let metadata = format!("metadata_{}.json", record.run_uuid);
        assert!(names.contains(&data), "{data} missing");
        assert!(names.contains(&metadata), "{metadata} missing");
    }
    let data_files = names.iter().filter(|n| n.starts_with("data_")).count();
    let metadata_files = names.iter().filter(|n| n.starts_with("metadata_")).count();
    assert_eq!(data_files, records.len(), "trajectory files in {names:?}");
    assert_eq!(metadata_files, records.len(), "metadata files in {names:?}");
}

/// SplitMix64 output number `index + 1` for `seed`, the documented seed of
/// experiment `index` (Steele, Lea and Flood's reference algorithm).
pub fn splitmix64(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add((index + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
