//! The tests: each starts child writers (this binary re-run with
//! `OED_STORE_CHILD` set), interferes with them, and checks the files.
#![allow(unsafe_code)]

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use oed_model::ExperimentRecord;
use oed_store::{Manifest, ReadOptions, RunDir, load_checkpoint, load_manifest, save_checkpoint};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::CHILD_VARIABLE;
use crate::child::{expected_checkpoint, expected_record};

/// Returns a random generator and its seed, taken from `OED_STORE_SEED` when
/// set, so that a failure can be replayed.
fn seeded_rng() -> (StdRng, u64) {
    let seed = match std::env::var("OED_STORE_SEED") {
        Ok(text) => text.parse().expect("OED_STORE_SEED is a number"),
        Err(_) => rand::random(),
    };
    (StdRng::seed_from_u64(seed), seed)
}

fn child_command(args: &[&str]) -> Command {
    let exe = std::env::current_exe().expect("the test executable has a path");
    let mut command = Command::new(exe);
    command
        .env(CHILD_VARIABLE, "1")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    command
}

/// Starts a child and a thread that collects its stdout lines until it exits.
fn spawn_child(mut command: Command) -> (Child, JoinHandle<Vec<String>>) {
    let mut child = command.spawn().expect("start the child process");
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map(|line| line.expect("read the child's stdout"))
            .collect()
    });
    (child, reader)
}

/// Returns the numbers of the lines `"<verb> <number>"`.
fn reported(lines: &[String], verb: &str) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|line| line.strip_prefix(verb)?.trim().parse().ok())
        .collect()
}

fn json(record: &ExperimentRecord) -> String {
    serde_json::to_string(record).expect("a record serialises")
}

fn load_json(dir: &RunDir, context: &str) -> Vec<String> {
    let loaded = load_manifest(dir.manifest_path(), ReadOptions::strict())
        .unwrap_or_else(|e| panic!("{context}: the manifest does not load: {e}"));
    assert!(
        loaded.skipped.is_empty(),
        "{context}: skipped {:?}",
        loaded.skipped
    );
    loaded.records.iter().map(json).collect()
}

/// Appends one record in this process and checks that it is the file's last
/// line, on a line of its own.
fn append_and_check_last_line(dir: &RunDir, record: &ExperimentRecord, context: &str) {
    Manifest::open(dir).unwrap().append(record).unwrap();
    let text = std::fs::read_to_string(dir.manifest_path()).unwrap();
    assert!(text.ends_with('\n'), "{context}: no final newline");
    let last = text.lines().last().unwrap();
    assert_eq!(
        last,
        json(record),
        "{context}: the next append is not on its own line"
    );
}

/// A child appending in a loop is killed at random moments, 50 times. Every
/// record it reported is present and intact, at most one more (appended but
/// not yet reported) follows, the file loads, and the next append lands on
/// its own line.
pub fn killed_appender_loses_nothing() {
    let (mut rng, seed) = seeded_rng();
    let root = tempfile::tempdir().unwrap();
    let dir = RunDir::create(root.path().join("oed_results")).unwrap();
    let dir_text = dir.path().to_str().unwrap().to_string();
    let mut expected: Vec<String> = Vec::new();

    for round in 0..50u64 {
        let context = format!("round {round} (OED_STORE_SEED={seed})");
        // Without fsync a child appends dozens of records a millisecond, so it
        // is killed sooner to keep the manifest small.
        let (sync, max_delay_us) = if round % 2 == 0 {
            ("always", 30_000)
        } else {
            ("never", 8_000)
        };
        let writer = round.to_string();
        let command = child_command(&["append", &dir_text, &writer, "0", sync]);
        let (mut child, reader) = spawn_child(command);
        std::thread::sleep(Duration::from_micros(rng.random_range(0..max_delay_us)));
        child.kill().expect("kill the child");
        child.wait().expect("reap the child");
        let appended = reported(&reader.join().unwrap(), "appended");

        let records = load_json(&dir, &context);
        assert_eq!(
            records[..expected.len()],
            expected[..],
            "{context}: earlier records changed"
        );
        let new = &records[expected.len()..];
        assert!(
            new.len() == appended.len() || new.len() == appended.len() + 1,
            "{context}: {} records reported, {} found",
            appended.len(),
            new.len()
        );
        for (index, line) in new.iter().enumerate() {
            assert_eq!(
                *line,
                json(&expected_record(round, index as u64)),
                "{context}"
            );
        }
        expected.extend_from_slice(new);

        let marker = expected_record(1000 + round, 0);
        append_and_check_last_line(&dir, &marker, &context);
        expected.push(json(&marker));
    }
    assert_eq!(load_json(&dir, "final"), expected);
}

/// Eight processes append 500 records each to one manifest: 4000 intact
/// lines, each writer's in its own order.
pub fn eight_processes_append_intact_lines() {
    let root = tempfile::tempdir().unwrap();
    let dir = RunDir::create(root.path().join("oed_results")).unwrap();
    let dir_text = dir.path().to_str().unwrap().to_string();

    let children: Vec<_> = (0..8u64)
        .map(|writer| {
            child_command(&["append", &dir_text, &writer.to_string(), "500", "always"])
                .spawn()
                .expect("start the child process")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("wait for the child");
        assert!(
            output.status.success(),
            "a child failed: {:?}",
            output.status
        );
        assert_eq!(
            reported(
                &String::from_utf8_lossy(&output.stdout)
                    .lines()
                    .map(String::from)
                    .collect::<Vec<_>>(),
                "appended"
            )
            .len(),
            500
        );
    }

    let text = std::fs::read_to_string(dir.manifest_path()).unwrap();
    assert_eq!(text.lines().count(), 4000);
    let records = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap();
    assert_eq!(records.len(), 4000);
    for writer in 0..8u64 {
        let lines: Vec<String> = records
            .records
            .iter()
            .filter(|record| record.seed == Some(writer))
            .map(json)
            .collect();
        let wanted: Vec<String> = (0..500)
            .map(|i| json(&expected_record(writer, i)))
            .collect();
        assert_eq!(lines, wanted, "writer {writer}");
    }
}

/// A checkpoint writer killed at random moments, mid-write or not, always
/// leaves a whole checkpoint that loads: the last one it reported or a later
/// one, never a mix.
pub fn killed_checkpoint_writer_keeps_previous() {
    const STATE_NUMBERS: u64 = 40_000;
    let (mut rng, seed) = seeded_rng();
    let root = tempfile::tempdir().unwrap();
    let dir = RunDir::create(root.path().join("oed_results")).unwrap();
    let dir_text = dir.path().to_str().unwrap().to_string();
    save_checkpoint(&dir, &expected_checkpoint(0, STATE_NUMBERS)).unwrap();
    let mut last_loaded = 0;

    for round in 0..20 {
        let context = format!("round {round} (OED_STORE_SEED={seed})");
        let first = (last_loaded + 1).to_string();
        let command = child_command(&["checkpoint", &dir_text, &first, &STATE_NUMBERS.to_string()]);
        let (mut child, reader) = spawn_child(command);
        std::thread::sleep(Duration::from_micros(rng.random_range(0..60_000)));
        child.kill().expect("kill the child");
        child.wait().expect("reap the child");
        let saved = reported(&reader.join().unwrap(), "saved");

        let checkpoint = load_checkpoint(&dir)
            .unwrap_or_else(|e| panic!("{context}: the checkpoint does not load: {e}"))
            .expect("a checkpoint");
        let iteration = checkpoint.current_iteration;
        let floor = saved.last().copied().unwrap_or(last_loaded);
        assert!(
            iteration == floor || iteration == floor + 1,
            "{context}: loaded iteration {iteration}, last reported {floor}"
        );
        assert_eq!(
            checkpoint,
            expected_checkpoint(iteration, STATE_NUMBERS),
            "{context}"
        );
        last_loaded = iteration;

        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let leftover = name.starts_with(".oed_checkpoint.json.") && name.ends_with(".tmp");
            assert!(
                name == "oed_checkpoint.json" || leftover,
                "{context}: unexpected {name}"
            );
        }
    }
}

/// Starts `command` with a file-size limit of `bytes`, ignoring SIGXFSZ so
/// that a write past the limit fails with EFBIG instead of killing the child.
fn limit_file_size(command: &mut Command, bytes: u64) {
    // SAFETY: `setrlimit` and `signal` are async-signal-safe, and the closure
    // touches no memory shared with the parent.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
}

/// Appends and a checkpoint save that exceed a file-size limit fail with an
/// error naming the file, and every earlier record and the previous
/// checkpoint still load.
pub fn file_size_limit_fails_cleanly() {
    const LIMIT: u64 = 64 * 1024;
    let root = tempfile::tempdir().unwrap();
    let dir = RunDir::create(root.path().join("oed_results")).unwrap();
    let dir_text = dir.path().to_str().unwrap().to_string();
    let mut manifest = Manifest::open(&dir).unwrap();
    for index in 0..3 {
        manifest.append(&expected_record(500, index)).unwrap();
    }
    let previous = expected_checkpoint(5, 100);
    save_checkpoint(&dir, &previous).unwrap();

    let mut command = child_command(&["fill", &dir_text, "9"]);
    limit_file_size(&mut command, LIMIT);
    let output = command.output().expect("run the child");
    assert!(
        output.status.success(),
        "the child failed: {:?}",
        output.status
    );
    let lines: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let appended = reported(&lines, "appended");
    assert!(!appended.is_empty(), "{lines:?}");

    let manifest_path = dir.manifest_path().display().to_string();
    let append_error = lines
        .iter()
        .find(|line| line.starts_with("append error"))
        .unwrap();
    assert!(
        append_error.starts_with("append error true: "),
        "{append_error}"
    );
    assert!(
        append_error.contains(&format!("{manifest_path}: failed to append")),
        "{append_error}"
    );
    let checkpoint_path = dir.checkpoint_path().display().to_string();
    let checkpoint_error = lines
        .iter()
        .find(|line| line.starts_with("checkpoint"))
        .unwrap();
    assert!(
        checkpoint_error.starts_with("checkpoint error true: "),
        "{checkpoint_error}"
    );
    assert!(
        checkpoint_error.contains(&checkpoint_path),
        "{checkpoint_error}"
    );

    let mut expected: Vec<String> = (0..3).map(|i| json(&expected_record(500, i))).collect();
    expected.extend(appended.iter().map(|&i| json(&expected_record(9, i))));
    assert_eq!(load_json(&dir, "after the limit"), expected);
    assert!(file_length(&dir.manifest_path()) <= LIMIT);
    assert_eq!(load_checkpoint(&dir).unwrap(), Some(previous));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "temporary files left behind: {names:?}");

    append_and_check_last_line(&dir, &expected_record(501, 0), "after the limit");
}

fn file_length(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// A child holds the writer lock: this process cannot take it, and the error
/// names the directory and the child's pid. Once the child is SIGKILLed, the
/// kernel has dropped its lock and this process takes it.
pub fn writer_lock_excludes_other_process() {
    let root = tempfile::tempdir().unwrap();
    let dir = RunDir::create(root.path().join("oed_results")).unwrap();
    let dir_text = dir.path().to_str().unwrap().to_string();

    let mut child = child_command(&["lock", &dir_text])
        .spawn()
        .expect("start the child process");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .expect("read the child's stdout");
    assert_eq!(first_line, "locked\n");

    let error = dir.lock_for_writing().unwrap_err();
    assert!(error.is_locked(), "{error}");
    let text = error.to_string();
    assert!(text.starts_with(&format!("{dir_text}: ")), "{text}");
    assert!(
        text.contains(&format!("another oed-loop (pid {})", child.id())),
        "{text}"
    );

    child.kill().expect("kill the child");
    child.wait().expect("reap the child");
    let lock = dir
        .lock_for_writing()
        .unwrap_or_else(|e| panic!("the killed child's lock was not released: {e}"));
    let pid = std::fs::read_to_string(lock.path()).unwrap();
    assert_eq!(pid, format!("{}\n", std::process::id()));
}
