//! Summary and listing speed on a generated manifest, one thread against all
//! cores, side by side in one run.
//!
//! `cargo bench -p oed-summary` writes a manifest of 1,000,000 records (set
//! `OED_BENCH_RECORDS` for another count) to a temporary directory, then times
//! `summarize_manifest` and `write_rows` (the `--list` table, written to a sink)
//! on a rayon pool of one thread and of every core. Each figure is the fastest
//! of `OED_BENCH_REPEATS` runs (default 2). `OED_BENCH_MANIFEST=PATH` writes the
//! manifest to PATH and keeps it.

// A benchmark reports on stdout.
#![allow(clippy::print_stdout)]

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use oed_model::{Design, ExperimentRecord, ExperimentResult, Phase, RunStatus};
use oed_summary::{ListOptions, RowFormat, SummaryOptions, summarize_manifest, write_rows};

fn main() {
    let records: u64 = env_number("OED_BENCH_RECORDS", 1_000_000);
    let repeats: u64 = env_number("OED_BENCH_REPEATS", 2).max(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let dir = tempfile::tempdir().expect("create a temporary directory");
    let manifest = match std::env::var_os("OED_BENCH_MANIFEST") {
        Some(path) => std::path::PathBuf::from(path),
        None => dir.path().join("oed_manifest.jsonl"),
    };
    let started = Instant::now();
    write_manifest(&manifest, records);
    let bytes = std::fs::metadata(&manifest).unwrap().len();
    println!(
        "manifest: {records} records, {:.1} MB, generated in {:.2} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    println!("machine: {cores} cores");
    println!();

    let mut rows = Vec::new();
    for threads in [1, cores] {
        let (time, cpu, summary) = fastest(repeats, threads, || {
            summarize_manifest(&manifest, &SummaryOptions::default()).unwrap()
        });
        assert_eq!(summary.total_experiments, records);
        rows.push(("summary", threads, time, cpu, 0));
    }
    let peak = peak_memory_mb();

    for threads in [1, cores] {
        let (time, cpu, written) = fastest(repeats, threads, || {
            let mut sink = CountingSink::default();
            let options = ListOptions::default();
            write_rows(&manifest, &options, RowFormat::Table, &mut sink).unwrap();
            sink.bytes
        });
        rows.push(("--list table", threads, time, cpu, written));
    }

    println!(
        "{:<14} {:>7} {:>9} {:>8} {:>13} {:>11} {:>11} {:>8}",
        "task", "threads", "time (s)", "cpu (s)", "records/s", "in MB/s", "out MB/s", "speedup"
    );
    for (task, threads, time, cpu, written) in &rows {
        let seconds = time.as_secs_f64();
        let single = rows
            .iter()
            .find(|(t, n, ..)| t == task && *n == 1)
            .map(|(_, _, t, ..)| t.as_secs_f64())
            .unwrap();
        let out = if *written > 0 {
            format!("{:.1}", *written as f64 / 1e6 / seconds)
        } else {
            "-".to_string()
        };
        let cpu = cpu.map_or_else(|| "-".to_string(), |c| format!("{c:.2}"));
        println!(
            "{:<14} {:>7} {:>9.3} {:>8} {:>13.0} {:>11.1} {:>11} {:>7.2}x",
            task,
            threads,
            seconds,
            cpu,
            records as f64 / seconds,
            bytes as f64 / 1e6 / seconds,
            out,
            single / seconds
        );
    }
    if let Some(peak) = peak {
        println!();
        println!("peak resident memory after the summaries: {peak:.0} MB");
    }
}

/// Runs `work` `repeats` times on a pool of `threads` and returns the fastest
/// wall time, the process CPU time (user and system) of that run, and the last
/// result. CPU time shows the work done even when other processes hold the
/// cores, which stretches wall time.
fn fastest<T: Send>(
    repeats: u64,
    threads: usize,
    work: impl Fn() -> T + Sync,
) -> (Duration, Option<f64>, T) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut best = (Duration::MAX, None);
    let mut last = None;
    for _ in 0..repeats {
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        let result = pool.install(&work);
        let elapsed = started.elapsed();
        let cpu = cpu_seconds()
            .zip(cpu_before)
            .map(|(after, before)| after - before);
        if elapsed < best.0 {
            best = (elapsed, cpu);
        }
        last = Some(result);
    }
    (best.0, best.1, last.unwrap())
}

/// Returns the user and system CPU time of this process so far, from Linux
/// `/proc/self/stat` (fields 14 and 15, in clock ticks of 1/100 s, the value of
/// `USER_HZ` on Linux).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain
    // spaces; utime and stime are the 12th and 13th after it.
    let after_name = &stat[stat.rfind(')')? + 2..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}

/// Writes `count` records with varied designs and results: every 50th run
/// failed, every 97th with a NaN, phases as in a loop of 1,000 seeding runs.
fn write_manifest(path: &Path, count: u64) {
    let file = std::fs::File::create(path).unwrap();
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut uniform = move || {
        // xorshift64*: fast, and enough to spread values for a benchmark.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..count {
        let seeding = i < 1_000;
        let failed = i % 50 == 49;
        let mut values = [
            uniform() * 25.0,
            uniform(),
            uniform() * 1.5,
            uniform() * 0.05,
            uniform() * 0.02,
        ];
        if i % 97 == 0 {
            values[2] = f64::NAN;
        }
        let record = ExperimentRecord {
            timestamp: format!("2026-12-04T15:45:35.{:06}+00:00", i % 1_000_000),
            phase: if seeding {
                Phase::Seeding
            } else {
                Phase::Optimization
            },
            iteration: if seeding { i } else { i - 1_000 },
            run_uuid: format!("00000000-0000-4000-8000-{i:012x}"),
            design: Design {
                n: 10 + (uniform() * 190.0) as u32,
                k: (uniform() * 5.0) as u32,
                q: 2 + (uniform() * 18.0) as u32,
                population_size: 50 + (uniform() * 10_000.0) as u64,
                n_generations: 200,
                mutation_rate: 1e-9 * (1e8_f64).powf(uniform()),
                diversification_ratio: uniform(),
                branch_length: 1.0,
            },
            result: (!failed).then(|| ExperimentResult::from_array(values)),
            record_start_idx: 0,
            record_count: 201,
            schema_version: Some(1),
            status: Some(if failed {
                RunStatus::Failed
            } else {
                RunStatus::Completed
            }),
            error: failed.then(|| "simulation failed".to_string()),
            seed: Some(i),
            duration_s: Some(uniform() * 10.0),
        };
        serde_json::to_writer(&mut out, &record).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
}

/// A writer that discards bytes and counts them.
#[derive(Default)]
struct CountingSink {
    bytes: u64,
}

impl Write for CountingSink {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        self.bytes += buffer.len() as u64;
        Ok(buffer.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Returns the process's peak resident memory (Linux `VmHWM`), if known.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kilobytes: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes / 1024.0)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
