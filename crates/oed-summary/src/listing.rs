//! Rows of records for `--list`, `--top` and `export`: an aligned table, JSON
//! Lines, CSV, or manifest lines.

use std::cmp::Ordering;
use std::io::Write;
use std::path::Path;

use oed_model::{ExperimentRecord, Metric, Phase, nonfinite};
use oed_store::ReadOptions;
use rayon::prelude::*;
use serde::Serialize;

use crate::Error;
use crate::batches::{DEFAULT_CHUNK_RECORDS, RecordBatches};
use crate::format::format_significant;
use crate::objective::Direction;

/// The output format of rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowFormat {
    /// An aligned table with a header line, for people.
    Table,
    /// One JSON object a line: `index` followed by the record's fields.
    JsonLines,
    /// CSV with a header line, one column per field (see [`CSV_COLUMNS`]).
    Csv,
    /// The records exactly as manifest lines, non-finite values as strings.
    Manifest,
}

/// The columns of [`RowFormat::Csv`], in order.
pub const CSV_COLUMNS: [&str; 24] = [
    "index",
    "timestamp",
    "phase",
    "iteration",
    "run_uuid",
    "status",
    "N",
    "K",
    "q",
    "population_size",
    "n_generations",
    "mutation_rate",
    "diversification_ratio",
    "branch_length",
    "information_gain",
    "barrier_crossing_frequency",
    "final_sequence_entropy",
    "jsd_from_original_population",
    "geometric_fitness_mean",
    "record_start_idx",
    "record_count",
    "seed",
    "duration_s",
    "error",
];

/// Keep only the best `count` records by one metric, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Top {
    pub count: usize,
    pub metric: Metric,
    pub direction: Direction,
}

/// The selection of records to write.
#[derive(Clone, Debug, PartialEq)]
pub struct ListOptions {
    /// Whether invalid manifest lines stop reading or are skipped.
    pub read: ReadOptions,
    /// Only records of this phase, when set.
    pub phase: Option<Phase>,
    /// Only the best records by a metric, when set. Records without a finite
    /// value of it are left out, and the earlier record comes first on a tie.
    pub top: Option<Top>,
    /// Records rendered per parallel task; the output is the same for any
    /// value.
    pub chunk_records: usize,
}

impl Default for ListOptions {
    fn default() -> ListOptions {
        ListOptions {
            read: ReadOptions::strict(),
            phase: None,
            top: None,
            chunk_records: DEFAULT_CHUNK_RECORDS,
        }
    }
}

/// Writes the selected records of the manifest at `path` to `output`, in
/// manifest order (or best first with [`ListOptions::top`]), and returns the
/// number of rows written.
///
/// Rows are rendered in parallel a chunk at a time and written in order, so
/// memory contains one batch of records, not the manifest. The header, for the
/// formats that have one, is written with the first rows, or at the end when
/// no row is, but never before the manifest has read without error.
///
/// # Errors
///
/// Fails as [`crate::summarize_manifest`] does on the manifest, and when
/// writing to `output` fails (see [`Error::is_broken_pipe`]).
pub fn write_rows(
    path: &Path,
    options: &ListOptions,
    format: RowFormat,
    output: &mut impl Write,
) -> Result<u64, Error> {
    // The header waits for the first batch that reads without error, so a
    // manifest that fails at its first lines leaves the output empty.
    let mut header = Vec::new();
    write_header(format, &mut header);

    if let Some(top) = options.top {
        let rows = top_records(path, options, top)?;
        let mut buffer = header;
        for (index, record) in &rows {
            render_row(format, *index, record, &mut buffer);
        }
        output.write_all(&buffer).map_err(Error::output)?;
        output.flush().map_err(Error::output)?;
        return Ok(rows.len() as u64);
    }

    let mut written = 0;
    let mut header = Some(header);
    let mut batches = RecordBatches::open(path, options.read, options.chunk_records)?;
    for batch in batches.by_ref() {
        let batch = batch?;
        if let Some(header) = header.take() {
            output.write_all(&header).map_err(Error::output)?;
        }
        let rendered: Vec<(u64, Vec<u8>)> = batch
            .indexed_chunks()
            .into_par_iter()
            .map(|(first, chunk)| render_chunk(format, first, chunk, options.phase.as_ref()))
            .collect();
        for (rows, bytes) in rendered {
            output.write_all(&bytes).map_err(Error::output)?;
            written += rows;
        }
    }
    if let Some(header) = header {
        output.write_all(&header).map_err(Error::output)?;
    }
    output.flush().map_err(Error::output)?;
    Ok(written)
}

/// Returns the best `top.count` records with their indices, best first.
fn top_records(
    path: &Path,
    options: &ListOptions,
    top: Top,
) -> Result<Vec<(u64, ExperimentRecord)>, Error> {
    let m = crate::objective::metric_index(top.metric);
    let mut best: Vec<Ranked> = Vec::new();
    let mut batches = RecordBatches::open(path, options.read, options.chunk_records)?;
    for batch in batches.by_ref() {
        let batch = batch?;
        let chunk_bests: Vec<Vec<Ranked>> = batch
            .indexed_chunks()
            .into_par_iter()
            .map(|(first, chunk)| {
                let candidates = chunk.iter().enumerate().filter_map(|(offset, record)| {
                    if options.phase.as_ref().is_some_and(|p| p != &record.phase) {
                        return None;
                    }
                    let value = record
                        .result
                        .as_ref()
                        .filter(|_| !record.is_failed())?
                        .to_array()[m];
                    value.is_finite().then(|| Ranked {
                        value,
                        index: first + offset as u64,
                        record: record.clone(),
                    })
                });
                keep_best(candidates.collect(), top)
            })
            .collect();
        for chunk_best in chunk_bests {
            best.extend(chunk_best);
            best = keep_best(best, top);
        }
    }
    Ok(best.into_iter().map(|r| (r.index, r.record)).collect())
}

/// A candidate for `--top`.
struct Ranked {
    value: f64,
    index: u64,
    record: ExperimentRecord,
}

/// Sorts best first (earlier index first on a tie) and keeps `top.count`.
fn keep_best(mut candidates: Vec<Ranked>, top: Top) -> Vec<Ranked> {
    candidates.sort_by(|a, b| {
        let by_value = match top.direction {
            Direction::Maximize => b.value.total_cmp(&a.value),
            Direction::Minimize => a.value.total_cmp(&b.value),
        };
        // -0.0 and 0.0 tie, so compare equal values as equal.
        let by_value = if a.value == b.value {
            Ordering::Equal
        } else {
            by_value
        };
        by_value.then(a.index.cmp(&b.index))
    });
    candidates.truncate(top.count);
    candidates
}

fn render_chunk(
    format: RowFormat,
    first_index: u64,
    chunk: &[ExperimentRecord],
    phase: Option<&Phase>,
) -> (u64, Vec<u8>) {
    let mut buffer = Vec::with_capacity(chunk.len() * 256);
    let mut rows = 0;
    for (offset, record) in chunk.iter().enumerate() {
        if phase.is_some_and(|phase| phase != &record.phase) {
            continue;
        }
        render_row(format, first_index + offset as u64, record, &mut buffer);
        rows += 1;
    }
    (rows, buffer)
}

/// Appends the header line of `format`, if it has one.
pub fn write_header(format: RowFormat, buffer: &mut Vec<u8>) {
    match format {
        RowFormat::Table => {
            let names = ["info_gain", "barrier", "entropy", "jsd", "fitness"];
            let _ = write!(
                buffer,
                "{:>7} {:<12} {:>5} {:<36} {:<32} {:>4} {:>3} {:>3} {:>8} {:>10} {:>8}",
                "index",
                "phase",
                "iter",
                "run_uuid",
                "timestamp",
                "N",
                "K",
                "q",
                "pop",
                "mut_rate",
                "div"
            );
            for name in names {
                let _ = write!(buffer, " {name:>10}");
            }
            buffer.push(b'\n');
        }
        RowFormat::Csv => {
            buffer.extend_from_slice(CSV_COLUMNS.join(",").as_bytes());
            buffer.push(b'\n');
        }
        RowFormat::JsonLines | RowFormat::Manifest => {}
    }
}

/// Appends one record as a row of `format`.
pub fn render_row(format: RowFormat, index: u64, record: &ExperimentRecord, buffer: &mut Vec<u8>) {
    match format {
        RowFormat::Table => render_table_row(index, record, buffer),
        RowFormat::JsonLines => {
            let row = JsonRow { index, record };
            serde_json::to_writer(&mut *buffer, &row).expect("a record serialises to JSON");
            buffer.push(b'\n');
        }
        RowFormat::Csv => render_csv_row(index, record, buffer),
        RowFormat::Manifest => {
            serde_json::to_writer(&mut *buffer, record).expect("a record serialises to JSON");
            buffer.push(b'\n');
        }
    }
}

#[derive(Serialize)]
struct JsonRow<'a> {
    index: u64,
    #[serde(flatten)]
    record: &'a ExperimentRecord,
}

fn render_table_row(index: u64, record: &ExperimentRecord, buffer: &mut Vec<u8>) {
    let design = &record.design;
    // Writing to a Vec cannot fail.
    let _ = write!(
        buffer,
        "{:>7} {:<12} {:>5} {:<36} {:<32} {:>4} {:>3} {:>3} {:>8} {:>10} {:>8}",
        index,
        record.phase.as_str(),
        record.iteration,
        record.run_uuid,
        record.timestamp,
        design.n,
        design.k,
        design.q,
        design.population_size,
        format_significant(design.mutation_rate),
        format_significant(design.diversification_ratio),
    );
    match record.result.as_ref().filter(|_| !record.is_failed()) {
        Some(result) => {
            for value in result.to_array() {
                let _ = write!(buffer, " {:>10}", format_significant(value));
            }
        }
        None => {
            let _ = write!(buffer, " {:>10}", "failed");
        }
    }
    buffer.push(b'\n');
}

fn render_csv_row(index: u64, record: &ExperimentRecord, buffer: &mut Vec<u8>) {
    let design = &record.design;
    let status = if record.is_failed() {
        "failed"
    } else {
        "completed"
    };
    let metrics: [String; 5] = match &record.result {
        Some(result) => result.to_array().map(format_exact),
        None => Default::default(),
    };
    let optional = |value: Option<String>| value.unwrap_or_default();
    let fields: [String; 24] = [
        index.to_string(),
        record.timestamp.clone(),
        record.phase.as_str().to_string(),
        record.iteration.to_string(),
        record.run_uuid.clone(),
        status.to_string(),
        design.n.to_string(),
        design.k.to_string(),
        design.q.to_string(),
        design.population_size.to_string(),
        design.n_generations.to_string(),
        format_exact(design.mutation_rate),
        format_exact(design.diversification_ratio),
        format_exact(design.branch_length),
        metrics[0].clone(),
        metrics[1].clone(),
        metrics[2].clone(),
        metrics[3].clone(),
        metrics[4].clone(),
        record.record_start_idx.to_string(),
        record.record_count.to_string(),
        optional(record.seed.map(|s| s.to_string())),
        optional(record.duration_s.map(format_exact)),
        optional(record.error.clone()),
    ];
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(&mut *buffer);
    writer
        .write_record(&fields)
        .expect("writing CSV to memory does not fail");
    writer.flush().expect("writing CSV to memory does not fail");
}

/// Formats a float so that parsing the text gives the same value back, with
/// non-finite values spelled as in the manifest.
pub(crate) fn format_exact(value: f64) -> String {
    match nonfinite::non_finite_name(value) {
        Some(name) => name.to_string(),
        None => format!("{value:?}"),
    }
}
