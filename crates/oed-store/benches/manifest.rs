//! Manifest throughput, measured side by side in one run:
//!
//! - appends per second with and without fsync;
//! - loading a generated 1,000,000-record manifest with `load_manifest`, in
//!   MB/s, next to a plain `serde_json` parse of the same lines into
//!   `serde_json::Value` (the ratio is the figure that matters).
//!
//! Files go to a temporary directory under `$OED_BENCH_DIR`, or else under
//! the target directory, which is usually on a real disk. On tmpfs the fsync
//! figure means nothing, because fsync does no work there.
//!
//! Run with `cargo bench -p oed-store`.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use oed_model::{Design, ExperimentRecord, ExperimentResult, Phase, RunStatus};
use oed_store::{
    Manifest, ReadOptions, RunDir, SyncMode, load_manifest, parse_record_line, read_manifest,
};

const LOAD_RECORDS: u64 = 1_000_000;
const SYNCED_APPENDS: u64 = 500;
const UNSYNCED_APPENDS: u64 = 100_000;
const LOAD_REPEATS: usize = 2;

fn record(index: u64) -> ExperimentRecord {
    let value = index as f64;
    let mut result = ExperimentResult::from_array([
        value.sqrt(),
        1.0 / (value + 1.0),
        (value + 0.5).ln(),
        1e-6 * value,
        0.25 + value * 1e-9,
    ]);
    if index % 1000 == 0 {
        result.information_gain = f64::NAN;
    }
    ExperimentRecord {
        timestamp: "2026-12-04T15:45:35.196784+00:00".to_string(),
        phase: if index < 100 {
            Phase::Seeding
        } else {
            Phase::Optimization
        },
        iteration: index,
        run_uuid: uuid::Uuid::from_u128(u128::from(index).wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .hyphenated()
            .to_string(),
        design: Design {
            n: 10 + (index % 190) as u32,
            k: (index % 5) as u32,
            q: 2 + (index % 18) as u32,
            population_size: 50 + index % 99_950,
            n_generations: 200,
            mutation_rate: 1e-9 + (index as f64 * 0.618_033_988_749_895) % 0.1,
            diversification_ratio: (index as f64 * 0.414_213_562_373_095) % 1.0,
            branch_length: 1.0,
        },
        result: Some(result),
        record_start_idx: 0,
        record_count: 201,
        schema_version: Some(1),
        status: Some(RunStatus::Completed),
        error: None,
        seed: Some(index * 7919),
        duration_s: Some(12.5 + value * 1e-3),
    }
}

fn bench_root() -> PathBuf {
    std::env::var_os("OED_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")))
}

fn appends_per_second(dir: &RunDir, sync: SyncMode, count: u64) -> f64 {
    let records: Vec<ExperimentRecord> = (0..count).map(record).collect();
    let mut manifest = Manifest::open(dir)
        .expect("open the manifest")
        .with_sync(sync);
    let start = Instant::now();
    for record in &records {
        manifest.append(record).expect("append");
    }
    count as f64 / start.elapsed().as_secs_f64()
}

fn generate(path: &Path) -> u64 {
    let file = std::fs::File::create(path).expect("create the manifest");
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    for index in 0..LOAD_RECORDS {
        serde_json::to_writer(&mut writer, &record(index)).expect("serialise");
        writer.write_all(b"\n").expect("write");
    }
    writer.flush().expect("flush");
    std::fs::metadata(path).expect("stat").len()
}

/// Runs `work` `LOAD_REPEATS` times and returns the fastest time.
fn fastest(mut work: impl FnMut() -> usize, expected: usize) -> Duration {
    (0..LOAD_REPEATS)
        .map(|_| {
            let start = Instant::now();
            let count = work();
            let elapsed = start.elapsed();
            assert_eq!(count, expected);
            elapsed
        })
        .min()
        .expect("at least one repeat")
}

fn megabytes_per_second(bytes: u64, time: Duration) -> f64 {
    bytes as f64 / 1e6 / time.as_secs_f64()
}

fn main() {
    let root = tempfile::tempdir_in(bench_root()).expect("create a temporary directory");
    println!("oed-store manifest benchmark in {}", root.path().display());

    // Appends, each measured in a fresh manifest.
    let synced_dir = RunDir::create(root.path().join("synced")).expect("run directory");
    let synced = appends_per_second(&synced_dir, SyncMode::Always, SYNCED_APPENDS);
    let unsynced_dir = RunDir::create(root.path().join("unsynced")).expect("run directory");
    let unsynced = appends_per_second(&unsynced_dir, SyncMode::Never, UNSYNCED_APPENDS);
    println!("\nappends ({SYNCED_APPENDS} with fsync, {UNSYNCED_APPENDS} without)");
    println!("  with fsync (default)  {synced:>12.0} appends/s");
    println!("  without fsync         {unsynced:>12.0} appends/s");
    println!("  ratio                 {:>12.1}x", unsynced / synced);

    // A large manifest, loaded from the page cache.
    let load_dir = RunDir::create(root.path().join("load")).expect("run directory");
    let path = load_dir.manifest_path();
    let start = Instant::now();
    let bytes = generate(&path);
    println!(
        "\ngenerated {LOAD_RECORDS} records, {:.0} MB, in {:.1} s",
        bytes as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    let text = std::fs::read(&path).expect("read the manifest");
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let expected = LOAD_RECORDS as usize;

    let plain = fastest(
        || {
            let mut count = 0;
            for line in &lines {
                let value: serde_json::Value = serde_json::from_slice(line).expect("JSON");
                black_box(value);
                count += 1;
            }
            count
        },
        expected,
    );
    let parse_only = fastest(
        || {
            let mut count = 0;
            for (index, line) in lines.iter().enumerate() {
                let record = parse_record_line(&path, index as u64 + 1, line).expect("record");
                black_box(record);
                count += 1;
            }
            count
        },
        expected,
    );
    let streamed = fastest(
        || {
            let mut count = 0;
            for record in read_manifest(&path, ReadOptions::strict()).expect("open") {
                black_box(record.expect("record"));
                count += 1;
            }
            count
        },
        expected,
    );
    let loaded = fastest(
        || {
            load_manifest(&path, ReadOptions::strict())
                .expect("load")
                .len()
        },
        expected,
    );

    let plain_rate = megabytes_per_second(bytes, plain);
    println!("\nmanifest load, fastest of {LOAD_REPEATS} (MB/s, ratio to the plain parse)");
    println!("  plain serde_json::Value parse of in-memory lines  {plain_rate:>8.1}  1.00x");
    for (name, time) in [
        (
            "parse_record_line on the same in-memory lines     ",
            parse_only,
        ),
        (
            "read_manifest from the file, streaming            ",
            streamed,
        ),
        ("load_manifest from the file, collecting           ", loaded),
    ] {
        let rate = megabytes_per_second(bytes, time);
        println!("  {name}{rate:>8.1}  {:.2}x", rate / plain_rate);
    }
}
