//! Development tasks for the oed workspace, run as `cargo xtask <task>`.
//!
//! - `ci`: prepares the Python environment of the interop tests, then runs the
//!   format check, clippy with warnings denied, the tests and the docs with
//!   warnings denied, stopping at the first failure.
//! - `bench [CRATE...]`: runs the benchmarks of every crate that has a
//!   `benches/` directory, or of the named crates.
//!
//! The interop tests run a real Python with the packages in
//! `tests/requirements.txt`. Both tasks create a virtual environment for it in
//! `<target dir>/py-venv`, install those packages from the package index, and
//! pass its interpreter to the tests in `OED_PYTHON`.

// A developer tool reports its progress on stderr.
#![allow(clippy::print_stderr)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  ci              check formatting, run clippy, the tests and the docs build,
                  with warnings denied, as continuous integration does
  bench [CRATE]…  run the benchmarks of every crate with a benches/ directory,
                  or only of the named crates

Both tasks first create the Python environment of the interop tests in
<target dir>/py-venv (python3 with venv and pip, and access to the package
index, are needed) and set OED_PYTHON to its interpreter.";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    let rest: Vec<String> = args.collect();
    match task.as_deref() {
        Some("ci") if rest.is_empty() => ci(),
        Some("ci") => bail!("`ci` takes no arguments, found {rest:?}\n\n{USAGE}"),
        Some("bench") => bench(&rest),
        Some("help" | "-h" | "--help") => {
            eprintln!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown task {other:?}\n\n{USAGE}"),
        None => bail!("no task given\n\n{USAGE}"),
    }
}

/// Returns the workspace root, the parent of this crate's directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Returns cargo's target directory, honouring `CARGO_TARGET_DIR` as cargo does.
fn target_dir(root: &Path) -> Result<PathBuf> {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                return Ok(dir);
            }
            let current =
                std::env::current_dir().context("failed to read the current directory")?;
            Ok(current.join(dir))
        }
        _ => Ok(root.join("target")),
    }
}

/// One command of a task, named for progress and failure messages.
struct Step {
    name: String,
    command: Command,
}

impl Step {
    /// Returns a step that runs the cargo that started this task.
    fn cargo(name: impl Into<String>, args: &[&str]) -> Step {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let mut command = Command::new(cargo);
        command.args(args);
        Step {
            name: name.into(),
            command,
        }
    }
}

fn ci() -> Result<()> {
    let root = workspace_root();
    let python = python_environment(&root)?;

    let mut doc = Step::cargo("doc", &["doc", "--workspace", "--no-deps"]);
    doc.command
        .env("RUSTDOCFLAGS", rustdoc_flags_denying_warnings());
    let steps = vec![
        Step::cargo("fmt", &["fmt", "--all", "--check"]),
        Step::cargo(
            "clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        Step::cargo("test", &["test", "--workspace"]),
        doc,
    ];
    run_steps("ci", &root, &python, steps)
}

fn bench(crates: &[String]) -> Result<()> {
    let root = workspace_root();
    let with_benches = crates_with_benches(&root)?;
    let selected: Vec<String> = if crates.is_empty() {
        with_benches
    } else {
        for name in crates {
            if !with_benches.contains(name) {
                bail!(
                    "crate {name:?} has no benches/ directory: crates with benchmarks are {}",
                    with_benches.join(", ")
                );
            }
        }
        crates.to_vec()
    };
    if selected.is_empty() {
        bail!("no crate under crates/ has a benches/ directory");
    }

    let python = python_environment(&root)?;
    let steps = selected
        .iter()
        .map(|name| Step::cargo(format!("bench {name}"), &["bench", "--package", name]))
        .collect();
    run_steps("bench", &root, &python, steps)
}

/// Returns the package names of the crates under `crates/` that have a
/// `benches/` directory, sorted.
fn crates_with_benches(root: &Path) -> Result<Vec<String>> {
    let crates_dir = root.join("crates");
    let entries = std::fs::read_dir(&crates_dir)
        .with_context(|| format!("failed to read {}", crates_dir.display()))?;

    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to read {}", crates_dir.display()))?;
        let crate_dir = entry.path();
        if crate_dir.join("benches").is_dir() {
            names.push(package_name(&crate_dir.join("Cargo.toml"))?);
        }
    }
    names.sort();
    Ok(names)
}

/// Reads the `name` of a manifest's `[package]` table, the first `name = "..."`
/// line after the `[package]` header.
fn package_name(manifest: &Path) -> Result<String> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("failed to read {}", manifest.display()))?;
    let package_table = text
        .split_once("[package]")
        .map(|(_, after)| after)
        .with_context(|| format!("{}: no [package] table", manifest.display()))?;
    for line in package_table.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            break;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() == "name" {
            return Ok(value.trim().trim_matches('"').to_string());
        }
    }
    bail!("{}: no name in the [package] table", manifest.display())
}

/// Runs each step in the workspace root with `OED_PYTHON` set, stopping at the
/// first failure.
fn run_steps(task: &str, root: &Path, python: &Path, steps: Vec<Step>) -> Result<()> {
    let count = steps.len();
    let mut timings = Vec::with_capacity(count);
    for (number, mut step) in steps.into_iter().enumerate() {
        let command_line = show_command(&step.command);
        eprintln!("==> [{}/{count}] {}: {command_line}", number + 1, step.name);

        let started = Instant::now();
        let status = step
            .command
            .current_dir(root)
            .env("OED_PYTHON", python)
            .status()
            .with_context(|| format!("step `{}` failed to start: {command_line}", step.name))?;
        let elapsed = started.elapsed();
        if !status.success() {
            bail!(
                "step `{}` failed ({status}) after {}: {command_line}",
                step.name,
                seconds(elapsed)
            );
        }
        timings.push(format!("{} {}", step.name, seconds(elapsed)));
    }
    eprintln!(
        "==> {task}: all {count} steps passed ({})",
        timings.join(", ")
    );
    Ok(())
}

/// Returns the command as a shell line, the program by its file name only.
fn show_command(command: &Command) -> String {
    let program = Path::new(command.get_program());
    let program = program.file_name().unwrap_or(program.as_os_str());
    let mut words = vec![program.to_string_lossy().into_owned()];
    words.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    words.join(" ")
}

fn seconds(duration: Duration) -> String {
    format!("{:.0} s", duration.as_secs_f64())
}

/// Returns `RUSTDOCFLAGS` with `-D warnings` added to any flags already set.
fn rustdoc_flags_denying_warnings() -> OsString {
    let mut flags = std::env::var_os("RUSTDOCFLAGS").unwrap_or_default();
    if !flags.is_empty() {
        flags.push(" ");
    }
    flags.push("-D warnings");
    flags
}

/// Creates or updates the virtual environment of the interop tests and returns
/// the path of its interpreter.
///
/// The environment lives in `<target dir>/py-venv`. A copy of
/// `tests/requirements.txt` inside it records what was installed, so the
/// packages are installed again only when that file changes.
fn python_environment(root: &Path) -> Result<PathBuf> {
    let requirements_path = root.join("tests/requirements.txt");
    let requirements = std::fs::read_to_string(&requirements_path)
        .with_context(|| format!("failed to read {}", requirements_path.display()))?;
    let venv = target_dir(root)?.join("py-venv");
    let python = venv.join("bin/python");
    let installed_marker = venv.join("oed-installed-requirements.txt");

    let installed = std::fs::read_to_string(&installed_marker).ok();
    if installed.as_deref() == Some(requirements.as_str()) && runs(&python) {
        eprintln!("==> python: {} is up to date", venv.display());
        return Ok(python);
    }

    if !runs(&python) {
        create_venv(&venv)?;
    }
    install_requirements(&python, &requirements_path)?;
    std::fs::write(&installed_marker, &requirements)
        .with_context(|| format!("failed to write {}", installed_marker.display()))?;
    Ok(python)
}

/// Checks that an interpreter exists and starts.
fn runs(python: &Path) -> bool {
    Command::new(python)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

fn create_venv(venv: &Path) -> Result<()> {
    eprintln!("==> python: creating {}", venv.display());
    // A half-made environment from an earlier failure would be reused as is.
    if venv.exists() {
        std::fs::remove_dir_all(venv)
            .with_context(|| format!("failed to remove {}", venv.display()))?;
    }

    let output = Command::new("python3")
        .args(["-m", "venv"])
        .arg(venv)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(error) => bail!(
            "failed to run python3 ({error}): install Python 3 with its venv module, \
             for example `apt-get install python3 python3-venv` on Debian or Ubuntu"
        ),
    };
    if !output.status.success() {
        // Leave nothing behind that the next run would take for a working one.
        let _ = std::fs::remove_dir_all(venv);
        bail!(
            "`python3 -m venv {}` failed ({}): install the venv module and pip for \
             python3, for example `apt-get install python3-venv python3-pip` on Debian or \
             Ubuntu\n{}",
            venv.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    Ok(())
}

fn install_requirements(python: &Path, requirements: &Path) -> Result<()> {
    eprintln!(
        "==> python: installing the packages in {}",
        requirements.display()
    );
    let status = Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            "-r",
        ])
        .arg(requirements)
        .status()
        .with_context(|| format!("failed to run {}", python.display()))?;
    if !status.success() {
        bail!(
            "`{} -m pip install -r {}` failed ({status}): pip must reach the Python package \
             index to install them; check the network or proxy settings, or install the \
             packages into that environment by hand",
            python.display(),
            requirements.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_name_reads_package_table() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        let text = "[package]\nversion.workspace = true\nname = \"oed-store\"\n\n\
                    [dependencies]\nname = \"other\"\n";
        std::fs::write(&manifest, text).unwrap();
        assert_eq!(package_name(&manifest).unwrap(), "oed-store");
    }

    #[test]
    fn package_name_missing_is_error() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[package]\nversion = \"1.0.0\"\n[lib]\nname = \"x\"\n",
        )
        .unwrap();
        let error = package_name(&manifest).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("{}: no name in the [package] table", manifest.display())
        );
    }
}
