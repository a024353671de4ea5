//! Integration tests of the oed-model types, one module a topic.

mod ancestor;
mod roundtrip;
mod space;
mod validation;

use std::path::{Path, PathBuf};

/// Returns the path of a checked-in test data file.
fn data_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative)
}

/// Reads a checked-in test data file: the model does no I/O, so the tests read
/// files and pass the text in.
fn read_data(relative: &str) -> String {
    let path = data_path(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("failed to read {}: {e}", path.display()))
}

/// Whether two floats are the same value: NaN equals NaN, and -0.0 differs from
/// 0.0.
fn same_float(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}
