//! Files written by this crate, read back by Python's array_record.
//!
//! Each test writes files here, then runs `tests/python/interop.py`, which
//! checks every record with `ArrayRecordReader` and writes the same records
//! with `ArrayRecordWriter` so that the bytes can be compared. The
//! interpreter is `OED_PYTHON`, `python3` by default.

use std::path::Path;

use arrayrecord::{Compression, Reader, WriterOptions};
use serde_json::json;

use crate::support::{
    PYTHON_SETUP_HINT, first_difference, generate_records, python_command, write_to_vec,
};

/// One file to write and check.
struct Case {
    name: String,
    records: Vec<Vec<u8>>,
    options: WriterOptions,
    /// Whether Python's zstd output is expected to match byte for byte, which
    /// holds when every compressed section fits in one zstd block (128 KiB).
    zstd_identical: bool,
    /// Options for Python's copy when they differ from ours.
    python_options: Option<String>,
}

impl Case {
    fn new(name: &str, records: &[Vec<u8>], group_size: u64, compression: Compression) -> Case {
        let suffix = match compression {
            Compression::Uncompressed => "uncompressed".to_string(),
            Compression::Zstd { level } => format!("zstd{level}"),
        };
        Case {
            name: format!("{name}_g{group_size}_{suffix}"),
            records: records.to_vec(),
            options: WriterOptions::default()
                .group_size(group_size)
                .compression(compression),
            zstd_identical: false,
            python_options: None,
        }
    }

    fn zstd_identical(mut self) -> Case {
        self.zstd_identical = true;
        self
    }

    /// Makes Python write its copy with `options`, so the bytes differ.
    fn python_options_override(mut self, options: &str) -> Case {
        self.python_options = Some(options.to_string());
        self
    }

    /// Returns the options string that makes Python write the same file.
    fn python_options(&self) -> String {
        if let Some(options) = &self.python_options {
            return options.clone();
        }
        let options = self.options.to_options_string();
        let group_size = options.split(',').next().expect("group_size comes first");
        if options.contains(",uncompressed,") {
            return format!("{group_size},uncompressed");
        }
        let level = options
            .split(",zstd:")
            .nth(1)
            .and_then(|rest| rest.split(',').next());
        format!(
            "{group_size},zstd:{}",
            level.expect("zstd level in the options string")
        )
    }

    fn expects_identical_bytes(&self) -> bool {
        if self.python_options.is_some() {
            return false;
        }
        !self.options.to_options_string().contains(",zstd:") || self.zstd_identical
    }
}

/// Writes the records of `records` in the layout interop.py reads: for each
/// record, its length as a little-endian u64, then its bytes.
fn write_records_file(path: &Path, records: &[Vec<u8>]) {
    let mut bytes = Vec::new();
    for record in records {
        bytes.extend_from_slice(&(record.len() as u64).to_le_bytes());
        bytes.extend_from_slice(record);
    }
    std::fs::write(path, bytes).expect("records file written");
}

/// Writes every case with this crate and has Python check them. Then reads
/// Python's copies here and compares the files where the bytes should match.
fn check_with_python(cases: &[Case]) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut plan = Vec::new();
    for case in cases {
        let file = dir.path().join(format!("{}.arrayrecord", case.name));
        let records = dir.path().join(format!("{}.records", case.name));
        let python_file = dir.path().join(format!("{}.python.arrayrecord", case.name));
        std::fs::write(&file, write_to_vec(&case.records, case.options.clone())).unwrap();
        write_records_file(&records, &case.records);
        plan.push(json!({
            "file": file,
            "records": records,
            "writer_options": case.options.to_options_string(),
            "python_file": python_file,
            "python_options": case.python_options(),
        }));
    }
    let plan_path = dir.path().join("plan.json");
    std::fs::write(&plan_path, json!({ "cases": plan }).to_string()).unwrap();

    run_interop_script(&plan_path);

    for case in cases {
        let python_file = dir.path().join(format!("{}.python.arrayrecord", case.name));
        let mut reader = Reader::open(&python_file).expect("Python's file opens");
        let records: Vec<Vec<u8>> = reader
            .iter()
            .collect::<Result<_, _>>()
            .expect("records read");
        assert!(
            records == case.records,
            "{}: records of Python's copy differ",
            case.name
        );
    }
    for case in cases.iter().filter(|case| case.expects_identical_bytes()) {
        let ours = std::fs::read(dir.path().join(format!("{}.arrayrecord", case.name))).unwrap();
        let theirs =
            std::fs::read(dir.path().join(format!("{}.python.arrayrecord", case.name))).unwrap();
        assert_eq!(
            first_difference(&ours, &theirs),
            None,
            "{}: first byte that differs from Python's file ({} bytes here, {} from Python)",
            case.name,
            ours.len(),
            theirs.len()
        );
    }
}

fn run_interop_script(plan_path: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/interop.py");
    let (python, mut command) = python_command();
    let output = command
        .arg(&script)
        .arg(plan_path)
        .output()
        .unwrap_or_else(|error| {
            panic!("failed to start Python interpreter {python:?}: {error}; {PYTHON_SETUP_HINT}")
        });
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => {}
        Some(3) => panic!("Python {python:?} lacks array_record: {stderr}"),
        _ => panic!(
            "Python's ArrayRecordReader rejected files ({}):\n{stderr}",
            output.status
        ),
    }
}

const ZSTD: Compression = Compression::Zstd { level: 3 };
const NONE: Compression = Compression::Uncompressed;

#[test]
fn group_sizes_read_by_python() {
    let records = generate_records(1200, &[0, 1, 100, 3000, 20_000]);
    check_with_python(&[
        Case::new("mixed", &records, 1, NONE),
        Case::new("mixed", &records, 1, ZSTD).zstd_identical(),
        Case::new("mixed", &records, 100, NONE),
        Case::new("mixed", &records, 100, ZSTD),
        Case::new("mixed", &records, 1000, NONE),
        Case::new("mixed", &records, 1000, ZSTD),
    ]);
}

#[test]
fn one_chunk_of_empty_records_read_by_python() {
    let records = vec![Vec::new(); 200_000];
    check_with_python(&[
        Case::new("empty_records", &records, 200_000, NONE),
        Case::new("empty_records", &records, 200_000, ZSTD),
    ]);
}

#[test]
fn zero_records_read_by_python() {
    check_with_python(&[
        Case::new("no_records", &[], 1, NONE),
        Case::new("no_records", &[], 1, ZSTD).zstd_identical(),
        Case::new("no_records", &[], 100, ZSTD).zstd_identical(),
    ]);
}

#[test]
fn zero_byte_records_read_by_python() {
    let records = vec![Vec::new(); 50];
    check_with_python(&[
        Case::new("zero_bytes", &records, 1, NONE),
        Case::new("zero_bytes", &records, 1, ZSTD).zstd_identical(),
        Case::new("zero_bytes", &records, 10, NONE),
        Case::new("zero_bytes", &records, 10, ZSTD).zstd_identical(),
    ]);
}

#[test]
fn records_crossing_block_headers_read_by_python() {
    // Records longer than a 64 KiB block, some ending near a block boundary.
    let lengths = [65_536, 70_000, 200_000, 65_512, 1, 131_072, 65_488, 0];
    let records = generate_records(24, &lengths);
    check_with_python(&[
        Case::new("large", &records, 1, NONE),
        Case::new("large", &records, 1, ZSTD),
        Case::new("large", &records, 3, NONE),
        Case::new("large", &records, 3, ZSTD),
    ]);
}

#[test]
fn zstd_buffer_edges_match_python() {
    // Sections just below, at and above the 4 KiB buffer of the C++ writer,
    // which decides whether a zstd frame stores its content size.
    let single = generate_records(6, &[4094, 4095, 4096, 4097, 8192, 100]);
    let pairs = generate_records(
        12,
        &[2048, 2048, 2049, 2048, 4000, 96, 4000, 97, 0, 4096, 1, 4095],
    );
    let empty_4087 = vec![Vec::new(); 4087];
    let empty_4088 = vec![Vec::new(); 4088];
    check_with_python(&[
        Case::new("edges", &single, 1, ZSTD).zstd_identical(),
        Case::new("edges", &pairs, 2, ZSTD).zstd_identical(),
        Case::new("sizes_4087", &empty_4087, 4087, ZSTD).zstd_identical(),
        Case::new("sizes_4088", &empty_4088, 4088, ZSTD).zstd_identical(),
    ]);
}

#[test]
fn python_padded_file_reads_here() {
    // With pad_to_block_boundary, padding chunks sit between data chunks.
    let records = generate_records(40, &[10, 30_000, 0]);
    check_with_python(&[
        Case::new("padded", &records, 1, ZSTD)
            .python_options_override("group_size:1,pad_to_block_boundary:true"),
        Case::new("padded", &records, 3, NONE)
            .python_options_override("group_size:3,uncompressed,pad_to_block_boundary:true"),
    ]);
}
