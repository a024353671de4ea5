//! `oed-cli` on real run directories: the ancestor's, non-finite results, an
//! empty or damaged manifest, a hostile run UUID and a closed pipe.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use oed_model::ExperimentRecord;
use oed_tests::{copy_dir, data_dir, run, stderr_text, stdout_text};
use serde_json::Value;

const BEST_GAIN_RUN: &str = "1331f919-67d7-47d5-9380-acfe350118a8";
const LATEST_RUN: &str = "a62dcbab-6e62-446a-92b5-fc53628c99b5";

/// A temporary directory to run `oed-cli` in.
struct Scratch {
    root: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            root: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Copies the ancestor's small loop into `name` and returns its path.
    fn ancestor_dir(&self, name: &str) -> PathBuf {
        let dir = self.path(name);
        copy_dir(&data_dir().join("python-ancestor/small_loop"), &dir);
        dir
    }

    /// Makes run directory `name` whose manifest is `text`.
    fn dir_with_manifest(&self, name: &str, text: &str) -> PathBuf {
        let dir = self.path(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("oed_manifest.jsonl"), text).unwrap();
        dir
    }

    /// Runs `oed-cli` with `args` in this directory.
    fn cli(&self, args: &[&str]) -> Output {
        run(oed_tests::command("oed-cli")
            .args(args)
            .current_dir(self.root.path()))
    }
}

fn ancestor_manifest() -> String {
    std::fs::read_to_string(data_dir().join("python-ancestor/small_loop/oed_manifest.jsonl"))
        .unwrap()
}

fn golden_summary() -> Value {
    let path = data_dir().join("python-ancestor/small_loop/oed_summary.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout_text(output)))
}

fn json_lines(output: &Output) -> Vec<Value> {
    stdout_text(output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn exit_code(output: &Output) -> i32 {
    output.status.code().expect("oed-cli exited normally")
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        exit_code(output),
        code,
        "stdout:\n{}\nstderr:\n{}",
        stdout_text(output),
        stderr_text(output)
    );
}

fn indices(rows: &[Value]) -> Vec<u64> {
    rows.iter()
        .map(|row| row["index"].as_u64().unwrap())
        .collect()
}

fn dir_arg(dir: &Path) -> &str {
    dir.to_str().unwrap()
}

#[test]
fn ancestor_basic_stats() {
    let scratch = Scratch::new();
    scratch.ancestor_dir("oed_results");

    // The default directory is oed_results in the working directory.
    let text = scratch.cli(&[]);
    assert_exit(&text, 0);
    assert!(
        stdout_text(&text).contains("experiments       5"),
        "{}",
        stdout_text(&text)
    );

    let output = scratch.cli(&["--json"]);
    assert_exit(&output, 0);
    let stats = json(&output);
    let golden = golden_summary();
    assert_eq!(stats["total_experiments"], 5);
    assert_eq!(stats["seeding_experiments"], 3);
    assert_eq!(stats["optimization_experiments"], 2);
    assert_eq!(stats["failed_runs"], 0);
    assert_eq!(stats["phases"]["seeding"]["experiments"], 3);
    assert_eq!(stats["first_experiment"], golden["first_experiment"]);
    assert_eq!(stats["last_experiment"], golden["last_experiment"]);
}

#[test]
fn ancestor_summary_matches_golden() {
    let scratch = Scratch::new();
    let dir = scratch.ancestor_dir("run");
    let golden = golden_summary();

    let output = scratch.cli(&["--summary", "--json", dir_arg(&dir)]);
    assert_exit(&output, 0);
    let printed = json(&output);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("oed_summary.json")).unwrap())
            .unwrap();
    for (key, expected) in golden.as_object().unwrap() {
        assert_eq!(&printed[key], expected, "printed {key}");
        assert_eq!(&written[key], expected, "written {key}");
    }
    assert_eq!(printed["best_information_gain"]["run_uuid"], BEST_GAIN_RUN);
    assert_eq!(printed["best"]["information_gain"]["index"], 2);
    assert_eq!(
        printed["statistics"]["overall"]["information_gain"]["count"],
        5
    );

    let text = scratch.cli(&["--summary", dir_arg(&dir)]);
    assert_exit(&text, 0);
    assert!(stdout_text(&text).contains(BEST_GAIN_RUN));
}

#[test]
fn list_json_parses_back() {
    let scratch = Scratch::new();
    let dir = scratch.ancestor_dir("run");
    let output = scratch.cli(&["--list", "--json", dir_arg(&dir)]);
    assert_exit(&output, 0);
    let rows = json_lines(&output);
    assert_eq!(indices(&rows), [0, 1, 2, 3, 4]);
    let manifest: Vec<ExperimentRecord> = ancestor_manifest()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    for (row, record) in rows.iter().zip(&manifest) {
        let parsed: ExperimentRecord = serde_json::from_value(row.clone()).unwrap();
        assert_eq!(&parsed, record);
    }

    let table = scratch.cli(&["--list", dir_arg(&dir)]);
    assert_exit(&table, 0);
    assert_eq!(stdout_text(&table).lines().count(), 6);
}

#[test]
fn phase_and_top_select_rows() {
    let scratch = Scratch::new();
    let dir = scratch.ancestor_dir("run");

    let output = scratch.cli(&["--list", "--json", "--phase", "optimization", dir_arg(&dir)]);
    assert_exit(&output, 0);
    assert_eq!(indices(&json_lines(&output)), [3, 4]);

    // information_gain: 22.79 (index 2), then 21.00 (index 4).
    let output = scratch.cli(&[
        "--top",
        "2",
        "--by",
        "information_gain",
        "--json",
        dir_arg(&dir),
    ]);
    assert_exit(&output, 0);
    assert_eq!(indices(&json_lines(&output)), [2, 4]);

    let output = scratch.cli(&["--list", "--phase", "validation", dir_arg(&dir)]);
    assert_exit(&output, 1);
}

#[test]
fn show_prints_record_metadata_trajectory() {
    let scratch = Scratch::new();
    let dir = scratch.ancestor_dir("run");

    let output = scratch.cli(&["show", &LATEST_RUN[..8], dir_arg(&dir), "--json"]);
    assert_exit(&output, 0);
    let shown = json(&output);
    assert_eq!(shown["run_uuid"], LATEST_RUN);
    assert_eq!(shown["records"][0]["index"], 4);
    // metadata.json describes the last run, and that file has no run file.
    assert_eq!(shown["metadata"]["source"], "latest");
    assert_eq!(shown["metadata"]["content"]["oed_iteration"], 1);
    // The ancestor writes one trajectory record per generation and its
    // metadata says num_samples = 20.
    let trajectory = dir.join(format!("data_{LATEST_RUN}.arrayrecord"));
    assert_eq!(shown["trajectory"]["records"], 20);
    assert_eq!(
        shown["trajectory"]["size_bytes"],
        std::fs::metadata(&trajectory).unwrap().len()
    );

    // metadata.json belongs to another run, so it is not shown for this one.
    let output = scratch.cli(&["show", BEST_GAIN_RUN, dir_arg(&dir), "--json"]);
    assert_exit(&output, 0);
    assert_eq!(json(&output)["metadata"], Value::Null);

    let text = scratch.cli(&["show", "1331", dir_arg(&dir)]);
    assert_exit(&text, 0);
    assert!(stdout_text(&text).contains("20 records, 131072 bytes"));

    // A run's own metadata file comes first; Python's bare NaN is read.
    let own = dir.join(format!("metadata_{BEST_GAIN_RUN}.json"));
    std::fs::write(&own, r#"{"sampler_type": "smc", "score": NaN}"#).unwrap();
    let output = scratch.cli(&["show", BEST_GAIN_RUN, dir_arg(&dir), "--json"]);
    assert_exit(&output, 0);
    let metadata = &json(&output)["metadata"];
    assert_eq!(metadata["source"], "run");
    assert_eq!(metadata["path"], own.to_str().unwrap());
    assert_eq!(metadata["content"]["score"], "NaN");
}

#[test]
fn show_reports_unknown_and_ambiguous() {
    let scratch = Scratch::new();
    let dir = scratch.ancestor_dir("run");

    let unknown = scratch.cli(&["show", "ffff", dir_arg(&dir)]);
    assert_exit(&unknown, 1);
    assert!(stderr_text(&unknown).starts_with("oed-cli: "));

    // 198e43f9-... and 1331f919-... both start with 1.
    let ambiguous = scratch.cli(&["show", "1", dir_arg(&dir)]);
    assert_exit(&ambiguous, 2);
    assert!(
        stderr_text(&ambiguous).contains("ambiguous"),
        "{}",
        stderr_text(&ambiguous)
    );
}

#[test]
fn export_csv_and_jsonl() {
    let scratch = Scratch::new();
    let dir = scratch.ancestor_dir("run");

    let csv_path = scratch.path("out/experiments.csv");
    std::fs::create_dir_all(csv_path.parent().unwrap()).unwrap();
    let output = scratch.cli(&[
        "export",
        "--format",
        "csv",
        "--output",
        csv_path.to_str().unwrap(),
        dir_arg(&dir),
    ]);
    assert_exit(&output, 0);
    assert!(output.stdout.is_empty());
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 6);
    assert!(lines[0].starts_with("index,timestamp,phase,iteration,run_uuid"));
    assert!(lines[3].contains(BEST_GAIN_RUN));
    assert!(lines[3].contains("22.794925689697266"));

    let output = scratch.cli(&["export", "--format", "jsonl", dir_arg(&dir)]);
    assert_exit(&output, 0);
    let exported: Vec<ExperimentRecord> = stdout_text(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let manifest: Vec<ExperimentRecord> = ancestor_manifest()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(exported, manifest);
}

#[test]
fn nonfinite_results_stay_strict_json() {
    let scratch = Scratch::new();
    let text = std::fs::read_to_string(data_dir().join("python-ancestor/nonfinite_manifest.jsonl"))
        .unwrap();
    let dir = scratch.dir_with_manifest("run", &text);

    let output = scratch.cli(&["--summary", "--json", dir_arg(&dir)]);
    assert_exit(&output, 0);
    let summary = json(&output);
    assert_eq!(summary["total_experiments"], 3);
    assert_eq!(summary["best_jsd"]["value"], 1e308);
    assert_eq!(
        summary["best_jsd"]["run_uuid"],
        "11111111-2222-4333-8444-000000000001"
    );
    let gain = &summary["statistics"]["overall"]["information_gain"];
    assert_eq!(gain["count"], 1);
    assert_eq!(gain["non_finite"], 2);

    let output = scratch.cli(&["--list", "--json", dir_arg(&dir)]);
    assert_exit(&output, 0);
    let rows = json_lines(&output);
    assert_eq!(rows[0]["result"]["information_gain"], "NaN");
    assert_eq!(rows[0]["result"]["final_sequence_entropy"], "-Infinity");

    let table = scratch.cli(&["--list", dir_arg(&dir)]);
    assert_exit(&table, 0);
    assert!(stdout_text(&table).contains("Infinity"));
}

#[test]
fn empty_manifest_finds_nothing() {
    let scratch = Scratch::new();
    let dir = scratch.dir_with_manifest("run", "");
    for args in [&[][..], &["--summary"][..], &["--list", "--json"][..]] {
        let mut full: Vec<&str> = args.to_vec();
        full.push(dir_arg(&dir));
        let output = scratch.cli(&full);
        assert_exit(&output, 1);
        let stderr = stderr_text(&output);
        assert!(stderr.starts_with("oed-cli: "), "{stderr}");
        assert!(stderr.contains("no experiments"), "{stderr}");
    }
    let output = scratch.cli(&["--list", "--json", dir_arg(&dir)]);
    assert!(output.stdout.is_empty());
}

#[test]
fn missing_directory_says_what_to_do() {
    let scratch = Scratch::new();
    let output = scratch.cli(&["--list"]);
    assert_exit(&output, 2);
    let stderr = stderr_text(&output);
    assert!(
        stderr.starts_with("oed-cli: oed_results: run directory not found"),
        "{stderr}"
    );
    assert!(
        stderr.contains("run oed-loop with --output-dir oed_results"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());

    std::fs::create_dir(scratch.path("empty")).unwrap();
    let output = scratch.cli(&["empty"]);
    assert_exit(&output, 2);
    assert_eq!(
        stderr_text(&output).trim_end(),
        "oed-cli: no manifest in empty; run oed-loop with --output-dir empty first"
    );
}

#[test]
fn torn_last_line_is_skipped() {
    let scratch = Scratch::new();
    let mut text = ancestor_manifest();
    let last = text.lines().last().unwrap().to_string();
    text.push_str(&last[..last.len() / 2]);
    let dir = scratch.dir_with_manifest("run", &text);

    let output = scratch.cli(&["--json", dir_arg(&dir)]);
    assert_exit(&output, 0);
    let stats = json(&output);
    assert_eq!(stats["total_experiments"], 5);
    assert_eq!(stats["skipped_lines"], 1);
    let stderr = stderr_text(&output);
    assert!(stderr.contains("oed_manifest.jsonl:6"), "{stderr}");
    assert!(stderr.contains("incomplete last line"), "{stderr}");
}

#[test]
fn corrupt_middle_line_names_line() {
    let scratch = Scratch::new();
    let mut lines: Vec<String> = ancestor_manifest().lines().map(String::from).collect();
    lines[2] = "{\"timestamp\": \"2026-12-04T15:45:43\", \"phase\": ".to_string();
    let dir = scratch.dir_with_manifest("run", &(lines.join("\n") + "\n"));

    let output = scratch.cli(&["--list", dir_arg(&dir)]);
    assert_exit(&output, 2);
    let stderr = stderr_text(&output);
    let expected = format!(
        "oed-cli: {}:3: invalid record",
        dir.join("oed_manifest.jsonl").display()
    );
    assert!(stderr.starts_with(&expected), "{stderr}");

    let output = scratch.cli(&["--lenient", "--list", "--json", dir_arg(&dir)]);
    assert_exit(&output, 0);
    assert_eq!(indices(&json_lines(&output)), [0, 1, 2, 3]);
    let stderr = stderr_text(&output);
    assert!(stderr.contains(":3: skipped, invalid record"), "{stderr}");
    // Advice to read leniently does not fit a lenient read.
    assert!(!stderr.contains("leniently"), "{stderr}");
}

#[test]
fn hostile_run_uuid_is_rejected() {
    let scratch = Scratch::new();
    let text = ancestor_manifest().replacen(BEST_GAIN_RUN, "../../etc/passwd", 1);
    let dir = scratch.dir_with_manifest("run", &text);

    // The query itself cannot name a path.
    let output = scratch.cli(&["show", "../../etc/passwd", dir_arg(&dir)]);
    assert_exit(&output, 2);
    assert!(
        stderr_text(&output).contains("invalid run UUID"),
        "{}",
        stderr_text(&output)
    );
    assert!(!stdout_text(&output).contains("root:"));

    // A manifest line with such a run_uuid is an invalid record, named by line.
    let output = scratch.cli(&["show", "a413", dir_arg(&dir)]);
    assert_exit(&output, 2);
    let stderr = stderr_text(&output);
    assert!(stderr.contains("oed_manifest.jsonl:3:"), "{stderr}");
    assert!(stderr.contains("../../etc/passwd"), "{stderr}");

    // Read leniently, the line is skipped and the other runs still show.
    let output = scratch.cli(&["--lenient", "show", "a413", dir_arg(&dir), "--json"]);
    assert_exit(&output, 0);
    assert_eq!(
        json(&output)["run_uuid"],
        "a41386f5-1e40-44a6-bc1c-4ab79afcd64b"
    );
}

#[test]
fn closed_pipe_is_not_an_error() {
    let scratch = Scratch::new();
    // Enough rows (about 4 MB) that oed-cli is still writing when the reader
    // closes the pipe.
    let line = ancestor_manifest().lines().next().unwrap().to_string();
    let mut text = String::new();
    for i in 0..20_000 {
        let uuid = format!("00000000-0000-4000-8000-{i:012x}");
        text.push_str(&line.replace("a41386f5-1e40-44a6-bc1c-4ab79afcd64b", &uuid));
        text.push('\n');
    }
    let dir = scratch.dir_with_manifest("run", &text);

    let mut child = oed_tests::command("oed-cli")
        .args(["--list", dir_arg(&dir)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start oed-cli");
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0_u8; 1024];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);

    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(String::from_utf8_lossy(&first).contains("run_uuid"));
}

#[test]
fn help_lists_commands() {
    let scratch = Scratch::new();
    let output = scratch.cli(&["--help"]);
    assert_exit(&output, 0);
    let help = stdout_text(&output);
    for word in [
        "--summary",
        "--list",
        "--json",
        "--phase",
        "--top",
        "--by",
        "show",
        "export",
    ] {
        assert!(help.contains(word), "help lacks {word}:\n{help}");
    }
}

#[test]
fn thread_counts_outside_the_range_are_rejected() {
    let scratch = Scratch::new();
    let dir = scratch.ancestor_dir("run");

    let output = scratch.cli(&["--threads", "99999", dir_arg(&dir)]);
    assert_exit(&output, 2);
    let stderr = stderr_text(&output);
    assert!(
        stderr.contains("99999") && stderr.contains("1 to 1024"),
        "{stderr}"
    );

    let output = run(oed_tests::command("oed-cli")
        .arg(dir_arg(&dir))
        .env("OED_THREADS", "5000"));
    assert_exit(&output, 2);
    let stderr = stderr_text(&output);
    assert!(
        stderr.contains("OED_THREADS") && stderr.contains("5000"),
        "{stderr}"
    );

    // Set but empty means unset.
    let output = run(oed_tests::command("oed-cli")
        .arg(dir_arg(&dir))
        .env("OED_THREADS", ""));
    assert_exit(&output, 0);
    assert!(stdout_text(&output).contains("experiments       5"));
}

#[test]
fn unwritable_summary_is_printed_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;

    let scratch = Scratch::new();
    let dir = scratch.ancestor_dir("run");
    let summary_path = dir.join("oed_summary.json");
    std::fs::remove_file(&summary_path).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Permissions do not stop root, so then a directory in the file's place
    // makes the write fail instead.
    let probe = dir.join("write_probe");
    let as_root = std::fs::write(&probe, b"").is_ok();
    if as_root {
        std::fs::remove_file(&probe).unwrap();
        std::fs::create_dir(&summary_path).unwrap();
    }

    let output = scratch.cli(&["--summary", "--json", dir_arg(&dir)]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_exit(&output, 0);
    assert_eq!(json(&output)["total_experiments"], 5);
    let stderr = stderr_text(&output);
    let expected = format!("oed-cli: warning: {}: ", summary_path.display());
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(stderr.contains("not saved"), "{stderr}");
    assert!(!summary_path.is_file());
}

#[test]
fn top_zero_is_rejected() {
    let scratch = Scratch::new();
    let dir = scratch.ancestor_dir("run");
    let output = scratch.cli(&["--top", "0", dir_arg(&dir)]);
    assert_exit(&output, 2);
    assert!(output.stdout.is_empty(), "{}", stdout_text(&output));
    let stderr = stderr_text(&output);
    assert!(
        stderr.contains("'0'") && stderr.contains("at least 1"),
        "{stderr}"
    );
}

#[test]
fn list_of_bad_manifest_prints_no_header() {
    let scratch = Scratch::new();
    let dir = scratch.dir_with_manifest("run", "not a record\n");
    for args in [
        &["--list"][..],
        &["--top", "2"][..],
        &["export", "--format", "csv"][..],
    ] {
        let mut args = args.to_vec();
        args.push(dir_arg(&dir));
        let output = scratch.cli(&args);
        assert_exit(&output, 2);
        assert!(
            output.stdout.is_empty(),
            "{args:?}: {}",
            stdout_text(&output)
        );
        assert!(stderr_text(&output).contains(":1: invalid record"));
    }
}

#[test]
fn show_names_the_phase_filter_and_a_missing_uuid() {
    let scratch = Scratch::new();
    let dir = scratch.ancestor_dir("run");

    // The run is a seeding run, so the filter hides it.
    let output = scratch.cli(&[
        "show",
        &BEST_GAIN_RUN[..8],
        dir_arg(&dir),
        "--phase",
        "optimization",
    ]);
    assert_exit(&output, 1);
    let stderr = stderr_text(&output);
    assert!(stderr.contains("with --phase optimization"), "{stderr}");

    for query in ["run", "small_a"] {
        let output = scratch.cli(&["show", query]);
        assert_exit(&output, 2);
        let stderr = stderr_text(&output);
        assert!(
            stderr.contains("usage: oed-cli show <RUN_UUID> [DIR]"),
            "{stderr}"
        );
        assert!(!stderr.contains("run directory not found"), "{stderr}");
    }
}
