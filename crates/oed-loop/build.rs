//! Records the commit the binary is built from, when git knows it, as
//! `OED_BUILD_COMMIT` for the run metadata.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let Some(commit) = git(&["rev-parse", "HEAD"]) else {
        return;
    };
    println!("cargo:rustc-env=OED_BUILD_COMMIT={commit}");

    // Rebuild when HEAD moves: a checkout changes HEAD, a commit changes the
    // branch file it names.
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        let git_dir = PathBuf::from(git_dir);
        println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            let branch_file = git_dir.join(branch);
            if branch_file.exists() {
                println!("cargo:rerun-if-changed={}", branch_file.display());
            }
        }
    }
}

fn git(arguments: &[&str]) -> Option<String> {
    let output = Command::new("git").args(arguments).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    Some(text.trim().to_string())
}
