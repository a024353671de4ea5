//! Shared helpers: test data, record generators and the Python interpreter.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use arrayrecord::{Reader, Writer, WriterOptions};
use sha2::{Digest, Sha256};

/// Returns the path of a file in `tests/data`.
pub fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

/// Returns the parsed `tests/data/records.json`, which describes the records
/// and files written by Python's array_record 0.8.6.
pub fn manifest() -> serde_json::Value {
    let path = data_path("records.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("failed to read {}: {error}", path.display()));
    serde_json::from_str(&text).expect("records.json is valid JSON")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Writes `records` to an in-memory file.
pub fn write_to_vec(records: &[Vec<u8>], options: WriterOptions) -> Vec<u8> {
    let mut writer = Writer::new(Vec::new(), options).expect("writer starts");
    for record in records {
        writer.write(record).expect("record written");
    }
    writer.finish().expect("writer finishes")
}

/// Reads every record of an in-memory file in order.
pub fn read_all(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut reader = Reader::new(Cursor::new(bytes)).expect("file opens");
    reader
        .iter()
        .collect::<Result<_, _>>()
        .expect("records read")
}

/// Returns `count` records with lengths from `lengths`, in turn, and contents
/// that alternate between compressible text and pseudo-random bytes.
pub fn generate_records(count: usize, lengths: &[usize]) -> Vec<Vec<u8>> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next_random = move || {
        // xorshift64*, deterministic across runs.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    (0..count)
        .map(|i| {
            let len = lengths[i % lengths.len()];
            if i % 2 == 0 {
                let text = format!("record {i} of the interop test; ");
                text.bytes().cycle().take(len).collect()
            } else {
                (0..len).map(|_| next_random() as u8).collect()
            }
        })
        .collect()
}

/// Returns the byte offset of the first difference, for assertion messages.
pub fn first_difference(left: &[u8], right: &[u8]) -> Option<usize> {
    let common = left.iter().zip(right).position(|(a, b)| a != b);
    common.or_else(|| (left.len() != right.len()).then(|| left.len().min(right.len())))
}

/// Returns a command running the Python interpreter named by `OED_PYTHON`,
/// `python3` by default.
pub fn python_command() -> (String, Command) {
    let python = std::env::var("OED_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let command = Command::new(&python);
    (python, command)
}

/// Hint printed when Python or its array_record package is missing.
pub const PYTHON_SETUP_HINT: &str = "run `cargo xtask ci`, which creates a virtual environment \
     from tests/requirements.txt, or `pip install -r tests/requirements.txt`, and set \
     OED_PYTHON to that Python";
