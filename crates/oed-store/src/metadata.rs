//! `metadata.json`, `metadata_<uuid>.json` and `oed_summary.json`.
//!
//! These files are JSON objects written whole and atomically. Keys are
//! written in sorted order, so a rewritten file may list the same keys in a
//! different order than before. Non-finite numbers read as Python's bare
//! tokens are written back as the strings `"NaN"`, `"Infinity"` and
//! `"-Infinity"`.

use std::io;
use std::path::Path;

use oed_model::{Design, Parameter, Phase};
use serde_json::{Map, Value};

use crate::json::from_slice_lenient;
use crate::{RunDir, RunId, StoreError, atomic_write};

/// Adds a run's OED design to its metadata: the keys `oed_design`,
/// `oed_phase` and `oed_iteration`, keeping every other key. Replaces the
/// ancestor's `add_oed_to_metadata`.
///
/// The metadata is read from `metadata_<uuid>.json`, or from `metadata.json`
/// when the run has no file of its own yet, and the result is written to both,
/// so `metadata.json` contains the most recent run and every run keeps its own
/// file. When neither file exists, nothing is written and a warning is
/// logged, as the ancestor did.
///
/// # Errors
///
/// Fails when a file is not a JSON object, when the design has a non-finite
/// value, and when reading or writing fails, naming the path.
///
/// # Examples
///
/// ```
/// use oed_model::{Design, Phase};
/// use oed_store::{add_oed_to_metadata, write_run_metadata, RunDir, RunId};
///
/// let root = tempfile::tempdir()?;
/// let dir = RunDir::create(root.path().join("oed_results"))?;
/// let run = RunId::new_v4();
/// write_run_metadata(&dir, &run, &serde_json::json!({"sampler_type": "smc"}))?;
///
/// let design = Design {
///     n: 12, k: 1, q: 3, population_size: 196, n_generations: 20,
///     mutation_rate: 0.05, diversification_ratio: 0.004, branch_length: 1.0,
/// };
/// add_oed_to_metadata(&dir, &design, &Phase::Seeding, 0, &run)?;
///
/// let text = std::fs::read_to_string(dir.metadata_path())?;
/// let metadata: serde_json::Value = serde_json::from_str(&text)?;
/// assert_eq!(metadata["sampler_type"], "smc");
/// assert_eq!(metadata["oed_phase"], "seeding");
/// assert_eq!(metadata["oed_design"]["N"], 12);
/// assert_eq!(std::fs::read_to_string(dir.run_metadata_path(&run))?, text);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn add_oed_to_metadata(
    dir: &RunDir,
    design: &Design,
    phase: &Phase,
    iteration: u64,
    run: &RunId,
) -> Result<(), StoreError> {
    let run_path = dir.run_metadata_path(run);
    let latest_path = dir.metadata_path();
    let metadata = match read_object(&run_path)? {
        Some(metadata) => metadata,
        None => match read_object(&latest_path)? {
            Some(metadata) => metadata,
            None => {
                tracing::warn!(
                    "{}: metadata file not found, so the OED design of run {run} was not \
                     recorded in it",
                    latest_path.display()
                );
                return Ok(());
            }
        },
    };

    let mut metadata = metadata;
    metadata.insert("oed_design".to_string(), design_value(&run_path, design)?);
    metadata.insert("oed_phase".to_string(), Value::from(phase.as_str()));
    metadata.insert("oed_iteration".to_string(), Value::from(iteration));
    let metadata = Value::Object(metadata);
    write_pretty(&run_path, &metadata)?;
    write_pretty(&latest_path, &metadata)?;
    tracing::debug!(%run, %phase, iteration, "added OED design to metadata");
    Ok(())
}

/// Writes a run's metadata (the loop's full configuration of the run) to
/// `metadata_<uuid>.json` and `metadata.json`, replacing both atomically.
///
/// # Errors
///
/// Fails when `metadata` is not a JSON object, naming `metadata_<uuid>.json`,
/// and when writing fails.
///
/// # Examples
///
/// ```
/// use oed_store::{write_run_metadata, RunDir, RunId};
///
/// let root = tempfile::tempdir()?;
/// let dir = RunDir::create(root.path().join("oed_results"))?;
/// let run = RunId::new_v4();
/// write_run_metadata(&dir, &run, &serde_json::json!({"prng_seed": 3515226245u64}))?;
/// assert!(dir.run_metadata_path(&run).is_file());
/// assert!(dir.metadata_path().is_file());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_run_metadata(dir: &RunDir, run: &RunId, metadata: &Value) -> Result<(), StoreError> {
    let run_path = dir.run_metadata_path(run);
    if !metadata.is_object() {
        return Err(StoreError::unwritable(
            &run_path,
            format!(
                "run metadata must be a JSON object, not {}",
                kind_name(metadata)
            ),
        ));
    }
    write_pretty(&run_path, metadata)?;
    write_pretty(&dir.metadata_path(), metadata)
}

/// Writes `oed_summary.json` atomically, as indented JSON. The summary
/// itself is computed by the `oed-summary` crate; together they replace the
/// ancestor's `create_oed_summary`.
///
/// # Errors
///
/// Fails when writing fails, naming the path.
///
/// # Examples
///
/// ```
/// use oed_store::{write_summary, RunDir};
///
/// let root = tempfile::tempdir()?;
/// let dir = RunDir::create(root.path().join("oed_results"))?;
/// let summary = serde_json::json!({"total_experiments": 5, "seeding_experiments": 3});
/// write_summary(&dir, &summary)?;
///
/// let text = std::fs::read_to_string(dir.summary_path())?;
/// assert_eq!(serde_json::from_str::<serde_json::Value>(&text)?, summary);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_summary(dir: &RunDir, summary: &Value) -> Result<(), StoreError> {
    write_pretty(&dir.summary_path(), summary)
}

/// Reads a metadata file (`metadata.json` or `metadata_<uuid>.json`) as a
/// JSON object, accepting Python's bare non-finite tokens. Returns `None` when
/// the file does not exist.
///
/// # Errors
///
/// Fails when the file cannot be read or is not a JSON object, naming it.
pub fn read_metadata(path: impl AsRef<Path>) -> Result<Option<Map<String, Value>>, StoreError> {
    read_object(path.as_ref())
}

/// Reads a JSON object, or `None` when the file does not exist.
fn read_object(path: &Path) -> Result<Option<Map<String, Value>>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io(path, "read the metadata", e)),
    };
    let value: Value = from_slice_lenient(&bytes)
        .map_err(|e| StoreError::invalid_metadata(path, e.to_string()))?;
    match value {
        Value::Object(object) => Ok(Some(object)),
        other => Err(StoreError::invalid_metadata(
            path,
            format!("found {}", kind_name(&other)),
        )),
    }
}

fn design_value(path: &Path, design: &Design) -> Result<Value, StoreError> {
    for parameter in Parameter::ALL {
        let value = design.get(parameter);
        if !value.is_finite() {
            return Err(StoreError::unwritable(
                path,
                format!("design {parameter} is {value}, but design values must be finite"),
            ));
        }
    }
    Ok(serde_json::to_value(design).expect("a design with finite values converts to JSON"))
}

fn write_pretty(path: &Path, value: &Value) -> Result<(), StoreError> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("a JSON value serialises");
    bytes.push(b'\n');
    atomic_write(path, &bytes)
}

fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design() -> Design {
        Design {
            n: 12,
            k: 1,
            q: 3,
            population_size: 196,
            n_generations: 20,
            mutation_rate: 0.05,
            diversification_ratio: 0.004,
            branch_length: 1.0,
        }
    }

    #[test]
    fn missing_metadata_is_not_an_error() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::open(root.path()).unwrap();
        let run = RunId::new_v4();
        add_oed_to_metadata(&dir, &design(), &Phase::Seeding, 0, &run).unwrap();
        assert!(!dir.metadata_path().exists());
        assert!(!dir.run_metadata_path(&run).exists());
    }

    #[test]
    fn metadata_must_be_object() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::open(root.path()).unwrap();
        std::fs::write(dir.metadata_path(), "[1, 2]").unwrap();
        let run = RunId::new_v4();
        let error = add_oed_to_metadata(&dir, &design(), &Phase::Seeding, 0, &run).unwrap_err();
        assert!(error.to_string().contains("found an array"), "{error}");
        assert_eq!(
            std::fs::read_to_string(dir.metadata_path()).unwrap(),
            "[1, 2]"
        );
    }

    #[test]
    fn run_metadata_must_be_object() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::open(root.path()).unwrap();
        let error = write_run_metadata(&dir, &RunId::new_v4(), &Value::from(3)).unwrap_err();
        assert!(error.to_string().contains("not a number"), "{error}");
    }

    #[test]
    fn non_finite_design_is_rejected() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::open(root.path()).unwrap();
        let run = RunId::new_v4();
        write_run_metadata(&dir, &run, &serde_json::json!({})).unwrap();
        let mut design = design();
        design.mutation_rate = f64::NAN;
        let error = add_oed_to_metadata(&dir, &design, &Phase::Seeding, 0, &run).unwrap_err();
        assert!(
            error.to_string().contains("mutation_rate is NaN"),
            "{error}"
        );
    }
}
