use std::path::Path;

use oed_model::{ExperimentRecord, Phase};
use oed_store::{ReadOptions, RunDir};
use rayon::prelude::*;

use crate::batches::{DEFAULT_CHUNK_RECORDS, RecordBatches};
use crate::objective::Objectives;
use crate::partial::Partial;
use crate::{Error, Summary};

/// Options of a summary: objectives, reading mode, phase filter and chunk size.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryOptions {
    /// The direction of each metric: maximised or minimised.
    pub objectives: Objectives,
    /// Whether invalid manifest lines stop reading or are skipped.
    pub read: ReadOptions,
    /// Only records of this phase, when set. Record indices still count every
    /// record.
    pub phase: Option<Phase>,
    /// Records folded per parallel task. The summary is the same for any
    /// value; it only tunes speed.
    pub chunk_records: usize,
}

impl Default for SummaryOptions {
    fn default() -> SummaryOptions {
        SummaryOptions {
            objectives: Objectives::default(),
            read: ReadOptions::strict(),
            phase: None,
            chunk_records: DEFAULT_CHUNK_RECORDS,
        }
    }
}

/// Summarises the manifest at `path`, parsing and folding records on the
/// current rayon thread pool.
///
/// Memory grows by about 44 bytes a record (the five metric values and a phase
/// id) plus the records the summary names. Parsed records are kept one batch
/// at a time. A missing manifest summarises as empty.
///
/// # Errors
///
/// Fails on an I/O error or, unless `options.read` is lenient, on the first
/// invalid line, naming `path:line`.
pub fn summarize_manifest(path: &Path, options: &SummaryOptions) -> Result<Summary, Error> {
    let mut batches = RecordBatches::open(path, options.read, options.chunk_records)?;
    let mut total = Partial::empty();
    for batch in batches.by_ref() {
        let batch = batch?;
        let partials: Vec<Partial> = batch
            .indexed_chunks()
            .into_par_iter()
            .map(|(first, chunk)| fold_chunk(first, chunk, options))
            .collect();
        total = merge_in_order(total, partials, &options.objectives);
    }
    let skipped = batches.skipped().len() as u64;
    Ok(Summary::from_partial(total, &options.objectives, skipped))
}

/// Summarises records held in memory, as [`summarize_manifest`] would a
/// manifest of them.
pub fn summarize_records(records: &[ExperimentRecord], options: &SummaryOptions) -> Summary {
    let chunk_records = options.chunk_records.max(1);
    let partials: Vec<Partial> = records
        .par_chunks(chunk_records)
        .enumerate()
        .map(|(i, chunk)| fold_chunk((i * chunk_records) as u64, chunk, options))
        .collect();
    let total = merge_in_order(Partial::empty(), partials, &options.objectives);
    Summary::from_partial(total, &options.objectives, 0)
}

/// Writes a summary to the run directory's `oed_summary.json`, replacing the
/// file atomically.
///
/// # Errors
///
/// Fails when the file cannot be written, naming it.
pub fn write_summary(dir: &RunDir, summary: &Summary) -> Result<(), Error> {
    let mut text = summary.to_json_pretty();
    text.push('\n');
    oed_store::atomic_write(dir.summary_path(), text.as_bytes())?;
    Ok(())
}

fn fold_chunk(first_index: u64, chunk: &[ExperimentRecord], options: &SummaryOptions) -> Partial {
    Partial::from_chunk(
        first_index,
        chunk,
        &options.objectives,
        options.phase.as_ref(),
    )
}

fn merge_in_order(total: Partial, partials: Vec<Partial>, objectives: &Objectives) -> Partial {
    partials
        .into_iter()
        .fold(total, |total, partial| total.merge(partial, objectives))
}
