//! Speed and peak memory of the SMC runner, against a memory floor measured
//! in the same run.
//!
//! Each measurement runs in a child process (this binary with `--child`), so
//! its peak resident memory (VmHWM on Linux) belongs to that measurement
//! alone. The floor is one parallel pass per generation that reads the
//! population array and writes a copy, the least any SMC generation does.
//! `time x` is the runner's wall time over the floor's, `mem x` its peak
//! memory over the floor's.
//!
//! Run with `cargo bench -p oed-smc` or `cargo xtask bench`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::Command;
use std::time::Instant;

use oed_model::Design;
use oed_smc::{NativeRunner, RunRequest, Runner, SmcConfig};
use rayon::prelude::*;

/// (N, K, q, P, G).
const DESIGNS: [(u32, u32, u32, u64, u32); 4] = [
    (20, 2, 4, 100, 200),
    (50, 2, 20, 1000, 200),
    (100, 3, 20, 10_000, 200),
    (200, 5, 20, 100_000, 200),
];
const MUTATION_RATES: [f64; 2] = [1e-2, 1e-6];

/// One child's measurement.
struct Measurement {
    seconds: f64,
    peak_kib: u64,
    trajectory_bytes: u64,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(position) = args.iter().position(|a| a == "--child") {
        child(&args[position + 1..]);
        return;
    }

    println!(
        "oed-smc benchmark: {} rayon threads, diversification_ratio 0.5, beta 1, systematic resampling",
        rayon::current_num_threads()
    );
    println!(
        "{:>4} {:>2} {:>3} {:>7} {:>4} {:>8} {:>9} {:>13} {:>9} {:>9} {:>8} {:>9} {:>7}",
        "N",
        "K",
        "q",
        "P",
        "G",
        "mu",
        "wall s",
        "updates/s",
        "peak MiB",
        "floor s",
        "time x",
        "floor MiB",
        "mem x"
    );
    for (n, k, q, p, g) in DESIGNS {
        let floor = spawn(&["floor".into(), n.to_string(), p.to_string(), g.to_string()]);
        for rate in MUTATION_RATES {
            let spec = design_spec(n, k, q, p, g, rate);
            let run = spawn(&[&["smc".to_string()][..], &spec, &["none".to_string()]].concat());
            let updates = f64::from(n) * p as f64 * f64::from(g) / run.seconds;
            println!(
                "{n:>4} {k:>2} {q:>3} {p:>7} {g:>4} {rate:>8.0e} {:>9.3} {:>13.3e} {:>9.1} {:>9.3} {:>8.2} {:>9.1} {:>7.2}",
                run.seconds,
                updates,
                run.peak_kib as f64 / 1024.0,
                floor.seconds,
                run.seconds / floor.seconds,
                floor.peak_kib as f64 / 1024.0,
                run.peak_kib as f64 / floor.peak_kib as f64,
            );
        }
    }

    // The costliest corner of the default parameter space: every particle
    // is fully re-evaluated each generation. Peak memory does not depend on
    // G, so 20 generations show it.
    let corner = ["smc", "200", "5", "20", "100000", "20", "0.1", "1", "none"].map(String::from);
    let corner = spawn(&corner);
    println!(
        "corner N=200 K=5 q=20 P=100000 mu=1e-1 diversification_ratio=1, G=20: \
         {:.3} s, peak {:.1} MiB",
        corner.seconds,
        corner.peak_kib as f64 / 1024.0
    );

    // One run with a trajectory, written to a temporary directory.
    let (n, k, q, p, g) = DESIGNS[2];
    let spec = design_spec(n, k, q, p, g, 1e-2);
    let dir = tempfile::tempdir().expect("create temporary directory");
    let path = dir.path().join("data.arrayrecord");
    let with_file = spawn(
        &[
            &["smc".to_string()][..],
            &spec,
            &[path.display().to_string()],
        ]
        .concat(),
    );
    let without = spawn(&[&["smc".to_string()][..], &spec, &["none".to_string()]].concat());
    println!(
        "with trajectory (N={n} K={k} q={q} P={p} G={g} mu=1e-2): {:.3} s against {:.3} s without, \
         file {:.1} MiB, peak {:.1} MiB",
        with_file.seconds,
        without.seconds,
        with_file.trajectory_bytes as f64 / 1048576.0,
        with_file.peak_kib as f64 / 1024.0
    );
}

/// Returns the child arguments of a design with diversification ratio 0.5.
fn design_spec(n: u32, k: u32, q: u32, p: u64, g: u32, rate: f64) -> Vec<String> {
    [
        n.to_string(),
        k.to_string(),
        q.to_string(),
        p.to_string(),
        g.to_string(),
        rate.to_string(),
        "0.5".to_string(),
    ]
    .to_vec()
}

/// Runs this binary as a child and parses its one-line report.
fn spawn(args: &[String]) -> Measurement {
    let exe = std::env::current_exe().expect("locate the benchmark binary");
    let output = Command::new(exe)
        .arg("--child")
        .args(args)
        .output()
        .expect("start the benchmark child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        panic!(
            "benchmark child {args:?} failed: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let fields: Vec<f64> = stdout
        .split_whitespace()
        .map(|f| f.parse().expect("numeric child report"))
        .collect();
    Measurement {
        seconds: fields[0],
        peak_kib: fields[1] as u64,
        trajectory_bytes: fields[2] as u64,
    }
}

/// Measures one thing and prints `seconds peak_kib trajectory_bytes`.
fn child(args: &[String]) {
    let number = |i: usize| -> f64 { args[i].parse().expect("numeric argument") };
    let (seconds, trajectory_bytes) = match args[0].as_str() {
        "floor" => (
            memory_floor(number(1) as usize, number(2) as usize, number(3) as u32),
            0,
        ),
        "smc" => {
            let design = Design {
                n: number(1) as u32,
                k: number(2) as u32,
                q: number(3) as u32,
                population_size: number(4) as u64,
                n_generations: number(5) as u32,
                mutation_rate: number(6),
                diversification_ratio: number(7),
                branch_length: 1.0,
            };
            let path = (args[8] != "none").then(|| std::path::PathBuf::from(&args[8]));
            let started = Instant::now();
            let outcome = NativeRunner::new(SmcConfig::default())
                .run(&RunRequest {
                    design: &design,
                    seed: 1,
                    trajectory_path: path.as_deref(),
                    cancel: None,
                })
                .expect("benchmark run");
            (started.elapsed().as_secs_f64(), outcome.trajectory_bytes)
        }
        other => panic!("unknown child measurement {other:?}"),
    };
    println!("{seconds} {} {trajectory_bytes}", peak_resident_kib());
}

/// Copies a P*N population array into a second one and back, once per
/// generation, in parallel chunks; returns the wall time.
fn memory_floor(n: usize, particles: usize, generations: u32) -> f64 {
    let mut current = vec![1u8; n * particles];
    let mut next = vec![0u8; n * particles];
    let started = Instant::now();
    for generation in 0..generations {
        next.par_chunks_mut(512 * n)
            .zip(current.par_chunks(512 * n))
            .for_each(|(to, from)| {
                to.copy_from_slice(from);
                to[0] = to[0].wrapping_add(generation as u8);
            });
        std::mem::swap(&mut current, &mut next);
    }
    let seconds = started.elapsed().as_secs_f64();
    std::hint::black_box(&current);
    seconds
}

/// Peak resident set size of this process in KiB (VmHWM), or 0 where
/// /proc is missing.
fn peak_resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
