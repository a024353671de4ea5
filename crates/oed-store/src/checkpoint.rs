//! `oed_checkpoint.json`: the latest loop state, replaced atomically.

use std::io;
use std::path::Path;

use oed_model::{Design, ExperimentResult, Parameter, Phase};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::{from_slice_lenient, timestamp_now};
use crate::run_dir::check_directory;
use crate::{RunDir, StoreError, atomic_write};

/// The checkpoint layout this version writes. Version 0 is the ancestor's
/// unversioned layout, which is read but never written.
pub const CHECKPOINT_VERSION: u32 = 1;

/// One experiment of the design history: what the surrogate is fitted to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub design: Design,
    pub result: ExperimentResult,
}

/// The state a loop needs to resume exactly where it stopped.
///
/// The first four fields are the ancestor's. The others are this tool's
/// additions; reading an ancestor checkpoint fills them as documented on each.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// When the checkpoint was made, RFC 3339 in UTC; [`Checkpoint::new`] sets
    /// it to the current time.
    pub timestamp: String,
    /// The loop's iteration counter. The ancestor stored the number of
    /// optimization iterations done.
    pub current_iteration: u64,
    /// The loop's random seed.
    pub seed: u64,
    /// Every successful experiment's design and result, in order.
    pub design_history: Vec<HistoryEntry>,
    /// The layout version the checkpoint was read with: 0 for the ancestor's
    /// unversioned files. [`save_checkpoint`] always writes
    /// [`CHECKPOINT_VERSION`].
    pub schema_version: u32,
    /// The phase the loop was in; `None` in the ancestor's files.
    pub phase: Option<Phase>,
    /// How many manifest records the checkpoint covers. A manifest with more
    /// records contains experiments finished after the checkpoint was saved. For
    /// an ancestor file, the length of `design_history`.
    pub manifest_records: u64,
    /// Opaque state the loop stores for an exact resume, such as random
    /// generator counters; `None` in the ancestor's files.
    pub loop_state: Option<Value>,
}

impl Checkpoint {
    /// Returns an empty checkpoint of the current version, timestamped now.
    pub fn new(seed: u64) -> Checkpoint {
        Checkpoint {
            timestamp: timestamp_now(),
            current_iteration: 0,
            seed,
            design_history: Vec::new(),
            schema_version: CHECKPOINT_VERSION,
            phase: None,
            manifest_records: 0,
            loop_state: None,
        }
    }
}

/// The on-disk layout, in the ancestor's field order.
#[derive(Serialize, Deserialize)]
struct CheckpointFile {
    timestamp: String,
    current_iteration: u64,
    seed: u64,
    design_history: Vec<HistoryEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    schema_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phase: Option<Phase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    manifest_records: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    loop_state: Option<Value>,
}

/// Replaces the run directory's checkpoint atomically (see [`atomic_write`]):
/// a crash at any moment leaves the previous checkpoint or the new one.
/// Replaces the ancestor's `save_oed_checkpoint`, which wrote in place.
///
/// The file is indented JSON like the ancestor's, and its reader
/// (`json.load`) reads it, getting non-finite results as the strings
/// `"NaN"`, `"Infinity"` and `"-Infinity"`.
///
/// # Errors
///
/// Fails for a non-finite design value, which would not read back, and when
/// writing fails, naming the path; the previous checkpoint is then unchanged.
///
/// # Examples
///
/// ```
/// use oed_store::{load_checkpoint, save_checkpoint, Checkpoint, RunDir};
///
/// let root = tempfile::tempdir()?;
/// let dir = RunDir::create(root.path().join("oed_results"))?;
/// let mut checkpoint = Checkpoint::new(42);
/// checkpoint.current_iteration = 3;
/// checkpoint.manifest_records = 5;
/// checkpoint.loop_state = Some(serde_json::json!({"draws": 17}));
/// save_checkpoint(&dir, &checkpoint)?;
///
/// assert_eq!(load_checkpoint(&dir)?, Some(checkpoint));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_checkpoint(dir: &RunDir, checkpoint: &Checkpoint) -> Result<(), StoreError> {
    let path = dir.checkpoint_path();
    check_designs_finite(&path, &checkpoint.design_history)?;
    let file = CheckpointFile {
        timestamp: checkpoint.timestamp.clone(),
        current_iteration: checkpoint.current_iteration,
        seed: checkpoint.seed,
        design_history: checkpoint.design_history.clone(),
        schema_version: Some(CHECKPOINT_VERSION),
        phase: checkpoint.phase.clone(),
        manifest_records: Some(checkpoint.manifest_records),
        loop_state: checkpoint.loop_state.clone(),
    };
    let mut bytes = serde_json::to_vec_pretty(&file)
        .map_err(|e| StoreError::unwritable(&path, e.to_string()))?;
    bytes.push(b'\n');
    atomic_write(&path, &bytes)?;
    tracing::debug!(
        path = %path.display(),
        iteration = checkpoint.current_iteration,
        designs = checkpoint.design_history.len(),
        "saved checkpoint"
    );
    Ok(())
}

/// Reads the run directory's checkpoint, or `None` when there is none.
/// Replaces the ancestor's `load_oed_checkpoint` and reads its files, whose
/// non-finite values may be Python's bare `NaN` and `Infinity` tokens.
///
/// # Errors
///
/// Fails for an empty or damaged file, for a version newer than
/// [`CHECKPOINT_VERSION`] (`got version N, supports M`), and when reading
/// fails. A checkpoint that cannot be read is never replaced by a default.
///
/// # Examples
///
/// ```
/// use oed_store::{load_checkpoint, RunDir};
///
/// let root = tempfile::tempdir()?;
/// let dir = RunDir::create(root.path().join("oed_results"))?;
/// assert_eq!(load_checkpoint(&dir)?, None);
///
/// // The ancestor's layout, without a version, with Python's bare tokens.
/// std::fs::write(dir.checkpoint_path(), r#"{
///   "timestamp": "2026-12-04T15:48:01.657071+00:00",
///   "current_iteration": 2,
///   "seed": 42,
///   "design_history": [{
///     "design": {"N": 12, "K": 1, "q": 3, "population_size": 196, "n_generations": 20,
///                "mutation_rate": 0.05, "diversification_ratio": 0.004, "branch_length": 1.0},
///     "result": {"information_gain": NaN, "barrier_crossing_frequency": 0.6,
///                "final_sequence_entropy": -Infinity, "jsd_from_original_population": 0.0,
///                "geometric_fitness_mean": 0.005}
///   }]
/// }"#)?;
/// let checkpoint = load_checkpoint(&dir)?.expect("a checkpoint");
/// assert_eq!(checkpoint.schema_version, 0);
/// assert_eq!(checkpoint.manifest_records, 1);
/// assert!(checkpoint.design_history[0].result.information_gain.is_nan());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_checkpoint(dir: &RunDir) -> Result<Option<Checkpoint>, StoreError> {
    let path = dir.checkpoint_path();
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            check_directory(dir.path())?;
            tracing::debug!(path = %path.display(), "no checkpoint");
            return Ok(None);
        }
        Err(e) => return Err(StoreError::io(&path, "read the checkpoint", e)),
    };
    parse_checkpoint(&path, &bytes).map(Some)
}

fn parse_checkpoint(path: &Path, bytes: &[u8]) -> Result<Checkpoint, StoreError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(StoreError::empty_checkpoint(path));
    }
    let invalid = |e: serde_json::Error| StoreError::invalid_checkpoint(path, e.to_string());

    // Check the version before the fields, whose meaning it decides.
    let value: Value = from_slice_lenient(bytes).map_err(invalid)?;
    let version = match value.get("schema_version") {
        None => 0,
        Some(version) => version.as_u64().ok_or_else(|| {
            StoreError::invalid_checkpoint(
                path,
                format!("schema_version {version} is not a non-negative integer"),
            )
        })?,
    };
    if version > u64::from(CHECKPOINT_VERSION) {
        return Err(StoreError::unsupported_checkpoint_version(
            path,
            version,
            CHECKPOINT_VERSION,
        ));
    }

    let file: CheckpointFile = serde_json::from_value(value).map_err(invalid)?;
    let manifest_records = match (version, file.manifest_records) {
        (_, Some(count)) => count,
        (0, None) => file.design_history.len() as u64,
        (_, None) => {
            return Err(StoreError::invalid_checkpoint(
                path,
                "missing field `manifest_records`",
            ));
        }
    };
    Ok(Checkpoint {
        timestamp: file.timestamp,
        current_iteration: file.current_iteration,
        seed: file.seed,
        design_history: file.design_history,
        schema_version: version as u32,
        phase: file.phase,
        manifest_records,
        loop_state: file.loop_state,
    })
}

fn check_designs_finite(path: &Path, history: &[HistoryEntry]) -> Result<(), StoreError> {
    for (index, entry) in history.iter().enumerate() {
        for parameter in Parameter::ALL {
            let value = entry.design.get(parameter);
            if !value.is_finite() {
                return Err(StoreError::unwritable(
                    path,
                    format!(
                        "design_history[{index}]: design {parameter} is {value}, but design \
                         values must be finite"
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Checkpoint, StoreError> {
        parse_checkpoint(Path::new("oed_checkpoint.json"), text.as_bytes())
    }

    #[test]
    fn empty_file_is_an_error() {
        for text in ["", "  \n"] {
            let error = parse(text).unwrap_err();
            assert!(error.to_string().contains("empty checkpoint"), "{error}");
        }
    }

    #[test]
    fn truncated_file_is_an_error() {
        let error = parse(r#"{"timestamp": "x", "current_iter"#).unwrap_err();
        assert!(error.to_string().contains("invalid checkpoint"), "{error}");
    }

    #[test]
    fn newer_version_is_rejected() {
        let text = r#"{"timestamp": "x", "current_iteration": 0, "seed": 1,
                       "design_history": [], "schema_version": 2}"#;
        let error = parse(text).unwrap_err();
        assert!(
            error.to_string().contains("got version 2, supports 1"),
            "{error}"
        );
    }

    #[test]
    fn version_one_needs_manifest_records() {
        let text = r#"{"timestamp": "x", "current_iteration": 0, "seed": 1,
                       "design_history": [], "schema_version": 1}"#;
        let error = parse(text).unwrap_err();
        assert!(error.to_string().contains("manifest_records"), "{error}");
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let text = r#"{"timestamp": "x", "current_iteration": 4, "seed": 1,
                       "design_history": [], "schema_version": 1,
                       "manifest_records": 9, "added_later": true}"#;
        let checkpoint = parse(text).unwrap();
        assert_eq!(checkpoint.current_iteration, 4);
        assert_eq!(checkpoint.manifest_records, 9);
    }
}
