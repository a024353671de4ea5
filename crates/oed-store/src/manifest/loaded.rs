use std::ops::Range;
use std::path::Path;

use oed_model::{ExperimentRecord, Phase};

use crate::manifest::read::{ReadOptions, SkippedLine, read_manifest};
use crate::{RunId, StoreError};

/// A whole manifest in memory, with the queries the loop and the CLI ask.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadedManifest {
    /// The records in file order.
    pub records: Vec<ExperimentRecord>,
    /// Lines that were not loaded: a torn last line, and in lenient mode every
    /// invalid line.
    pub skipped: Vec<SkippedLine>,
}

/// Reads every record of a manifest into memory.
///
/// A missing file, or one with only blank lines, gives no records. Replaces
/// the ancestor's `load_oed_manifest`.
///
/// # Errors
///
/// Fails when the file's directory does not exist, on an I/O error, or in
/// strict mode on the first invalid line, naming `path:line`.
///
/// # Examples
///
/// ```
/// use oed_store::{load_manifest, ReadOptions};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("oed_manifest.jsonl");
/// std::fs::write(
///     &path,
///     concat!(
///         r#"{"timestamp": "2026-12-04T15:45:35.196784+00:00", "phase": "seeding", "#,
///         r#""iteration": 0, "run_uuid": "a41386f5-1e40-44a6-bc1c-4ab79afcd64b", "#,
///         r#""design": {"N": 12, "K": 1, "q": 3, "population_size": 196, "#,
///         r#""n_generations": 20, "mutation_rate": 0.05, "#,
///         r#""diversification_ratio": 0.004, "branch_length": 1.0}, "#,
///         r#""result": {"information_gain": NaN, "barrier_crossing_frequency": 0.6, "#,
///         r#""final_sequence_entropy": 0.99, "jsd_from_original_population": Infinity, "#,
///         r#""geometric_fitness_mean": 0.005}, "record_start_idx": 0, "record_count": 21}"#,
///         "\n",
///     ),
/// )?;
///
/// let manifest = load_manifest(&path, ReadOptions::strict())?;
/// assert_eq!(manifest.len(), 1);
/// let result = manifest.records[0].result.as_ref().unwrap();
/// assert!(result.information_gain.is_nan());
/// assert_eq!(result.jsd_from_original_population, f64::INFINITY);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_manifest(
    path: impl AsRef<Path>,
    options: ReadOptions,
) -> Result<LoadedManifest, StoreError> {
    let mut reader = read_manifest(path, options)?;
    let records = reader.by_ref().collect::<Result<Vec<_>, _>>()?;
    let skipped = reader.into_skipped();
    Ok(LoadedManifest { records, skipped })
}

impl LoadedManifest {
    /// Returns the number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Returns true when there are no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Finds the first record of a run.
    pub fn find_run(&self, id: &RunId) -> Option<&ExperimentRecord> {
        let text = id.to_string();
        self.records.iter().find(|record| record.run_uuid == text)
    }

    /// Returns the range of a run's records within its trajectory file, or
    /// `None` when the run is not in the manifest. Replaces the ancestor's
    /// `get_run_records_range`, which returned `(start, end)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use oed_model::{Design, ExperimentRecord, Phase};
    /// use oed_store::{load_manifest, timestamp_now, Manifest, ReadOptions, RunDir, RunId};
    ///
    /// let root = tempfile::tempdir()?;
    /// let dir = RunDir::create(root.path().join("oed_results"))?;
    /// let run = RunId::new_v4();
    /// let design = Design {
    ///     n: 12, k: 1, q: 3, population_size: 196, n_generations: 20,
    ///     mutation_rate: 0.05, diversification_ratio: 0.0, branch_length: 1.0,
    /// };
    /// let record = ExperimentRecord {
    ///     timestamp: timestamp_now(),
    ///     phase: Phase::Seeding,
    ///     iteration: 0,
    ///     run_uuid: run.to_string(),
    ///     design,
    ///     result: None,
    ///     record_start_idx: 0,
    ///     record_count: 21,
    ///     schema_version: None,
    ///     status: None,
    ///     error: None,
    ///     seed: None,
    ///     duration_s: None,
    /// };
    /// Manifest::open(&dir)?.append(&record)?;
    ///
    /// let manifest = load_manifest(dir.manifest_path(), ReadOptions::strict())?;
    /// assert_eq!(manifest.run_records_range(&run), Some(0..21));
    /// assert_eq!(manifest.run_records_range(&RunId::new_v4()), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_records_range(&self, id: &RunId) -> Option<Range<u64>> {
        self.find_run(id).map(record_range)
    }

    /// The index the next appended record will have: the number of records.
    ///
    /// The ancestor's `get_next_record_index` returned the next free index in
    /// a trajectory file shared by all runs. Here every run has its own
    /// `data_<uuid>.arrayrecord` starting at index 0, so the useful count is
    /// that of manifest records, which a checkpoint compares with its
    /// `manifest_records`.
    ///
    /// # Examples
    ///
    /// ```
    /// use oed_store::{load_manifest, ReadOptions, RunDir};
    ///
    /// let root = tempfile::tempdir()?;
    /// let dir = RunDir::create(root.path().join("oed_results"))?;
    /// let manifest = load_manifest(dir.manifest_path(), ReadOptions::strict())?;
    /// assert_eq!(manifest.next_record_index(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_record_index(&self) -> u64 {
        self.records.len() as u64
    }

    /// Returns the records of one phase, in file order.
    pub fn phase_records<'a>(
        &'a self,
        phase: &'a Phase,
    ) -> impl Iterator<Item = &'a ExperimentRecord> + 'a {
        self.records
            .iter()
            .filter(move |record| &record.phase == phase)
    }

    /// Returns the iteration number of the next experiment of `phase`: one more
    /// than the largest recorded, or 0 when the phase has no records.
    pub fn next_iteration(&self, phase: &Phase) -> u64 {
        self.phase_records(phase)
            .map(|record| record.iteration + 1)
            .max()
            .unwrap_or(0)
    }
}

/// Returns the range of a record's trajectory records,
/// `record_start_idx..record_start_idx + record_count`.
///
/// This tool writes each run to its own `data_<uuid>.arrayrecord`, so the
/// start is 0 and the count is the number of trajectory records that file
/// holds. The ancestor wrote 0 for both in every record.
pub fn record_range(record: &ExperimentRecord) -> Range<u64> {
    let start = record.record_start_idx;
    start..start.saturating_add(record.record_count)
}
