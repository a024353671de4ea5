//! Harness for the end-to-end tests: locates the built `oed-loop` and `oed-cli`
//! binaries and runs them in temporary directories.
//!
//! `cargo test --workspace` builds both binaries before any test runs, because
//! each binary crate has integration tests of its own. This harness looks for
//! them next to the running test executable and panics with a clear message when
//! they are missing or older than the workspace's sources (as after
//! `cargo test -p oed-tests` alone, which does not rebuild them), rather than
//! skipping or testing stale code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

/// Returns the path of a binary built by this workspace, such as `oed-loop`.
///
/// # Panics
///
/// Panics when the binary does not exist or is older than a source file of the
/// workspace's crates, naming the command that builds it.
pub fn binary_path(name: &str) -> PathBuf {
    let test_exe = std::env::current_exe().expect("the test executable has a path");
    // Test executables live in `<target>/<profile>/deps/`; binaries one level up.
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in <target>/<profile>/deps");
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "binary {name} not found at {}; run the suite with `cargo test --workspace` \
         (or `cargo xtask ci`), which builds it",
        path.display()
    );
    if let Some(newer) = source_newer_than_binary(&path) {
        panic!(
            "binary {name} at {} is older than its source {}; rebuild it with \
             `cargo test --workspace` (or `cargo build -p {name}`) before running these tests",
            path.display(),
            newer.display()
        );
    }
    path
}

/// Returns a source file of the binary that changed after it was built.
///
/// Cargo writes the root source file of every crate the binary is built from to
/// `<binary>.d` (a Makefile rule, `target: source source ...`), so every `.rs`
/// file in the directories of those roots is checked. A path containing a
/// space is escaped there as `\ `, and such paths are not checked.
fn source_newer_than_binary(binary: &Path) -> Option<PathBuf> {
    let built = modified_time(binary)?;
    let rule = std::fs::read_to_string(binary.with_extension("d")).ok()?;
    let (_, roots) = rule.split_once(": ")?;
    roots
        .split_whitespace()
        .filter(|root| !root.ends_with('\\'))
        .filter_map(|root| Path::new(root).parent())
        .find_map(|source_dir| rust_file_modified_after(source_dir, built))
}

/// Returns a `.rs` file below `dir` modified after `time`.
fn rust_file_modified_after(dir: &Path, time: SystemTime) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = rust_file_modified_after(&path, time) {
                return Some(found);
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && modified_time(&path).is_some_and(|modified| modified > time)
        {
            return Some(path);
        }
    }
    None
}

fn modified_time(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Returns a command for a workspace binary with a clean logging environment.
pub fn command(name: &str) -> Command {
    let mut command = Command::new(binary_path(name));
    command.env_remove("RUST_LOG").env("NO_COLOR", "1");
    command
}

/// Runs a command to completion and returns its output.
///
/// # Panics
///
/// Panics when the command cannot be started.
pub fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("failed to start {command:?}: {e}"))
}

/// Returns the directory of test data files checked into this package.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// Copies every file of `from` into `to`, creating `to`. Subdirectories are not
/// copied.
///
/// # Panics
///
/// Panics on any I/O error, naming the path.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to)
        .unwrap_or_else(|e| panic!("failed to create {}: {e}", to.display()));
    let entries = std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("failed to read {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.expect("directory entry");
        if entry.file_type().expect("file type").is_file() {
            let target = to.join(entry.file_name());
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| {
                panic!(
                    "failed to copy {} to {}: {e}",
                    entry.path().display(),
                    target.display()
                )
            });
        }
    }
}

/// Returns stdout as UTF-8 text.
pub fn stdout_text(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// Returns stderr as UTF-8 text.
pub fn stderr_text(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}
