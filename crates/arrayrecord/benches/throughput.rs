//! Write and read throughput of ArrayRecord files, side by side with a plain
//! buffered file holding the same records as (u64 length, bytes) pairs.
//!
//! Run with `cargo bench -p arrayrecord`. Each figure is the best of three
//! runs over files in a temporary directory, so reads come from the page
//! cache. Throughput counts record bytes only, and a ratio is ArrayRecord
//! throughput divided by plain-file throughput.

// A benchmark binary reports on stdout.
#![allow(clippy::print_stdout)]

use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use arrayrecord::{Compression, Reader, Writer, WriterOptions};

const RUNS: usize = 3;

fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    println!(
        "{:<10} {:<22} {:>9} {:>9} {:>6}   {:>9} {:>9} {:>6}",
        "records", "arrayrecord options", "write", "plain", "ratio", "read", "plain", "ratio"
    );
    println!(
        "{:<33} {:>9} {:>9} {:>6}   {:>9} {:>9} {:>6}",
        "", "MB/s", "MB/s", "", "MB/s", "MB/s", ""
    );

    let small = generate_records(200_000, 100);
    let large = generate_records(48, 1 << 20);
    let uncompressed = Compression::Uncompressed;
    let zstd = Compression::Zstd { level: 3 };
    let cases = [
        ("100 B", &small, 1, uncompressed),
        ("100 B", &small, 1, zstd),
        ("100 B", &small, 100, uncompressed),
        ("100 B", &small, 100, zstd),
        ("1 MB", &large, 1, uncompressed),
        ("1 MB", &large, 1, zstd),
    ];
    for (label, records, group_size, compression) in cases {
        let options = WriterOptions::default()
            .group_size(group_size)
            .compression(compression);
        let name = match compression {
            Compression::Uncompressed => format!("group {group_size}, uncompressed"),
            Compression::Zstd { level } => format!("group {group_size}, zstd {level}"),
        };
        let total = records.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
        let path = dir.path().join("bench.arrayrecord");
        let plain_path = dir.path().join("bench.plain");

        let write = best_of(|| write_arrayrecord(&path, records, &options));
        let plain_write = best_of(|| write_plain(&plain_path, records));
        let read = best_of(|| read_arrayrecord(&path));
        let plain_read = best_of(|| read_plain(&plain_path));

        let rate = |duration: Duration| total / duration.as_secs_f64();
        println!(
            "{label:<10} {name:<22} {:>9.0} {:>9.0} {:>6.2}   {:>9.0} {:>9.0} {:>6.2}",
            rate(write),
            rate(plain_write),
            rate(write) / rate(plain_write),
            rate(read),
            rate(plain_read),
            rate(read) / rate(plain_read),
        );
    }
}

/// Returns the shortest of [`RUNS`] timings of `run`.
fn best_of(mut run: impl FnMut()) -> Duration {
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .min()
        .expect("at least one run")
}

/// Returns `count` records of `len` bytes drawn from a 16-letter alphabet,
/// which zstd compresses to about half.
fn generate_records(count: usize, len: usize) -> Vec<Vec<u8>> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let mut record = Vec::with_capacity(len);
            while record.len() < len {
                let word = next();
                for shift in (0..64).step_by(4) {
                    record.push(b'a' + ((word >> shift) & 0xf) as u8);
                }
            }
            record.truncate(len);
            record
        })
        .collect()
}

fn write_arrayrecord(path: &Path, records: &[Vec<u8>], options: &WriterOptions) {
    let mut writer = Writer::create(path, options.clone()).expect("file created");
    for record in records {
        writer.write(record).expect("record written");
    }
    writer.finish().expect("file finished");
}

fn write_plain(path: &Path, records: &[Vec<u8>]) {
    let mut writer = BufWriter::new(File::create(path).expect("file created"));
    for record in records {
        writer
            .write_all(&(record.len() as u64).to_le_bytes())
            .expect("length written");
        writer.write_all(record).expect("record written");
    }
    writer.flush().expect("file flushed");
}

fn read_arrayrecord(path: &Path) {
    let mut reader = Reader::open(path).expect("file opens");
    for record in reader.iter() {
        black_box(record.expect("record read"));
    }
}

fn read_plain(path: &Path) {
    let mut reader = BufReader::new(File::open(path).expect("file opens"));
    let mut length = [0u8; 8];
    while reader.read_exact(&mut length).is_ok() {
        let mut record = vec![0u8; u64::from_le_bytes(length) as usize];
        reader.read_exact(&mut record).expect("record read");
        black_box(record);
    }
}
