//! Harness for the end-to-end tests: locates the built `oed-loop` and `oed-cli`
//! binaries and runs them in temporary directories.
//!
//! `cargo test --workspace` builds both binaries before any test runs, because
//! each binary crate has integration tests of its own. This harness looks for
//! them next to the running test executable and panics with a clear message when
//! they are missing, rather than skipping.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Returns the path of a binary built by this workspace, such as `oed-loop`.
///
/// # Panics
///
/// Panics when the binary does not exist, naming the command that builds it.
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
    path
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
