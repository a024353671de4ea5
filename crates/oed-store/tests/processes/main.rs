//! Crash and concurrency tests with real processes: appenders and checkpoint
//! writers killed with SIGKILL at random moments, eight processes appending
//! to one manifest, writers that run out of space under a file-size limit, and
//! the run directory's writer lock held by a process that is then killed.
//!
//! This binary is also the child process: when `OED_STORE_CHILD` is set, it
//! runs the writer named by its arguments instead of the tests. It has its own
//! `main` rather than the libtest harness so that a child run does not list
//! or run tests. Arguments that are not flags filter tests by name, like
//! libtest's; `--list` lists them.
// Printing test progress is this harness's job.
#![allow(clippy::print_stdout)]

mod child;
mod scenarios;

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};

/// The environment variable that turns this binary into a child writer.
const CHILD_VARIABLE: &str = "OED_STORE_CHILD";

type Test = (&'static str, fn());

const TESTS: [Test; 5] = [
    (
        "killed_appender_loses_nothing",
        scenarios::killed_appender_loses_nothing,
    ),
    (
        "eight_processes_append_intact_lines",
        scenarios::eight_processes_append_intact_lines,
    ),
    (
        "killed_checkpoint_writer_keeps_previous",
        scenarios::killed_checkpoint_writer_keeps_previous,
    ),
    (
        "file_size_limit_fails_cleanly",
        scenarios::file_size_limit_fails_cleanly,
    ),
    (
        "writer_lock_excludes_other_process",
        scenarios::writer_lock_excludes_other_process,
    ),
];

fn main() {
    if std::env::var_os(CHILD_VARIABLE).is_some() {
        child::run(std::env::args().skip(1).collect());
        return;
    }

    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--list") {
        for (name, _) in TESTS {
            println!("{name}: test");
        }
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|arg| !arg.starts_with('-')).collect();
    let selected: Vec<&Test> = TESTS
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();

    let total = selected.len();
    println!("\nrunning {total} tests");
    let mut failed = Vec::new();
    for (name, test) in selected {
        print!("test {name} ... ");
        std::io::stdout().flush().expect("flush stdout");
        let start = std::time::Instant::now();
        match panic::catch_unwind(AssertUnwindSafe(test)) {
            Ok(()) => println!("ok ({:.1} s)", start.elapsed().as_secs_f64()),
            Err(_) => {
                println!("FAILED");
                failed.push(*name);
            }
        }
    }
    if !failed.is_empty() {
        println!("\nfailures: {}", failed.join(", "));
        std::process::exit(101);
    }
    println!("\ntest result: ok. {total} passed");
}
