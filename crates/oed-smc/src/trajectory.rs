//! Trajectory files: one ArrayRecord record per recorded generation, each the
//! concatenation of 24 `.npy` arrays in the order the Python ancestor's reader
//! expects (see `docs/trajectory.md`).
//!
//! A file is written to `<path>.partial` and renamed to `<path>` only after the
//! ArrayRecord footer is written and the file is synced, so a file at `<path>`
//! is always complete. A writer dropped before [`TrajectoryWriter::finish`]
//! removes its partial file.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};

use arrayrecord::{Reader, Writer, WriterOptions};
use oed_model::ExperimentResult;

use crate::error::{RunError, TrajectoryError};
use crate::metrics::{GenerationView, MetricsAccumulator};
use crate::npy;
use crate::smc::Generation;

/// The field names of a record, in order.
pub const FIELDS: [&str; 24] = [
    "step",
    "sequences",
    "fitness",
    "key",
    "weights",
    "log_likelihood_increment",
    "ancestors",
    "ess",
    "update_info",
    "lmbda",
    "beta",
    "num_attempted_swaps",
    "num_accepted_swaps",
    "migration_island_from",
    "migration_island_to",
    "migration_particle_idx_from",
    "migration_particle_idx_to",
    "migration_accepted",
    "migration_log_acceptance_ratio",
    "acceptance_probability",
    "num_integration_steps",
    "mean_fitness",
    "max_fitness",
    "log_z_estimate",
];

/// Index of each field read back by [`recompute_metrics`].
const STEP: usize = 0;
const SEQUENCES: usize = 1;
const FITNESS: usize = 2;

/// Largest size of an ArrayRecord file's fixed parts: the signature block,
/// the footer and postscript, and the padding of the last 64 KiB block.
const FILE_OVERHEAD_BYTES: u64 = 3 * 65_536;

/// Per-record overhead on top of the record: a chunk header and index entry,
/// plus block headers every 64 KiB and zstd's worst-case expansion, both
/// bounded by 1/128 of the record.
const RECORD_OVERHEAD_BYTES: u64 = 256;

/// Returns the size of one record of `particles` sequences of length `n`.
pub fn record_bytes(particles: usize, n: usize) -> u64 {
    let layout = record_layout(particles, n);
    layout
        .iter()
        .map(|(descr, shape, item)| {
            let items = shape.iter().fold(1u64, |a, &d| a.saturating_mul(d as u64));
            let header = npy::array_size(descr, shape, 0) as u64;
            header.saturating_add(items.saturating_mul(*item as u64))
        })
        .fold(0u64, u64::saturating_add)
}

/// Returns an upper estimate of the file size for `records` records.
pub fn estimate_file_bytes(records: u64, particles: usize, n: usize) -> u64 {
    if records == 0 {
        return 0;
    }
    let record = record_bytes(particles, n);
    let per_record = record + record / 128 + RECORD_OVERHEAD_BYTES;
    records
        .saturating_mul(per_record)
        .saturating_add(FILE_OVERHEAD_BYTES)
}

/// The dtype, shape and item size of each field.
fn record_layout(particles: usize, n: usize) -> [(&'static str, Vec<usize>, usize); 24] {
    let scalar = Vec::new;
    let empty = || vec![0];
    [
        ("<i4", scalar(), 4),
        ("|i1", vec![particles, n], 1),
        ("<f4", vec![particles], 4),
        ("<u4", vec![2], 4),
        ("<f4", vec![particles], 4),
        ("<f4", scalar(), 4),
        ("<i4", vec![particles], 4),
        ("<f4", scalar(), 4),
        ("<f4", empty(), 4),
        ("<f4", scalar(), 4),
        ("<f4", scalar(), 4),
        ("<i4", scalar(), 4),
        ("<i4", scalar(), 4),
        ("<i4", empty(), 4),
        ("<i4", empty(), 4),
        ("<i4", empty(), 4),
        ("<i4", empty(), 4),
        ("|b1", empty(), 1),
        ("<f4", empty(), 4),
        ("<f4", scalar(), 4),
        ("<i4", scalar(), 4),
        ("<f4", scalar(), 4),
        ("<f4", scalar(), 4),
        ("<f4", scalar(), 4),
    ]
}

/// Encodes one generation as a record into `out`, replacing its content.
pub(crate) fn encode_record(generation: &Generation<'_>, beta: f64, out: &mut Vec<u8>) {
    let particles = generation.fitness.len();
    let layout = record_layout(particles, generation.n);
    let mean_fitness = generation
        .fitness
        .iter()
        .map(|&f| f64::from(f))
        .sum::<f64>()
        / particles as f64;
    let max_fitness = generation
        .fitness
        .iter()
        .copied()
        .fold(f32::NEG_INFINITY, f32::max);

    out.clear();
    let mut scratch = Vec::new();
    for (field, (descr, shape, _)) in layout.iter().enumerate() {
        scratch.clear();
        let data: &[u8] = match field {
            0 => {
                scratch.extend_from_slice(&(generation.generation as i32).to_le_bytes());
                &scratch
            }
            1 => generation.states,
            2 => {
                extend_f32(&mut scratch, generation.fitness.iter().copied());
                &scratch
            }
            3 => {
                scratch.extend(generation.key.iter().flat_map(|k| k.to_le_bytes()));
                &scratch
            }
            4 => {
                extend_f32(&mut scratch, generation.weights.iter().map(|&w| w as f32));
                &scratch
            }
            5 => f32_bytes(&mut scratch, generation.log_likelihood_increment),
            6 => {
                let ancestors = generation.ancestors.iter().map(|&a| a as i32);
                scratch.extend(ancestors.flat_map(i32::to_le_bytes));
                &scratch
            }
            7 => f32_bytes(&mut scratch, generation.ess),
            // lmbda: tempering is not used.
            9 => f32_bytes(&mut scratch, -1.0),
            10 => f32_bytes(&mut scratch, beta),
            // Swap counts and integration steps.
            11 | 12 | 20 => {
                scratch.extend_from_slice(&0i32.to_le_bytes());
                &scratch
            }
            // acceptance_probability
            19 => f32_bytes(&mut scratch, 0.0),
            21 => f32_bytes(&mut scratch, mean_fitness),
            22 => f32_bytes(&mut scratch, f64::from(max_fitness)),
            23 => f32_bytes(&mut scratch, generation.log_z),
            // The empty arrays: update_info and the migration fields.
            _ => &[],
        };
        npy::write_array(out, descr, shape, data);
    }
}

fn extend_f32(out: &mut Vec<u8>, values: impl Iterator<Item = f32>) {
    out.extend(values.flat_map(f32::to_le_bytes));
}

fn f32_bytes(out: &mut Vec<u8>, value: f64) -> &[u8] {
    out.extend_from_slice(&(value as f32).to_le_bytes());
    out
}

/// A trajectory being written to `<path>.partial`.
#[derive(Debug)]
pub(crate) struct TrajectoryWriter {
    path: PathBuf,
    partial: PathBuf,
    writer: Option<Writer<File>>,
}

/// A message from the simulation to the writer thread.
#[derive(Debug)]
pub(crate) enum WriterMessage {
    /// One encoded record, to append.
    Record(Vec<u8>),
    /// The run succeeded: finish the file and move it into place.
    Finish,
}

impl TrajectoryWriter {
    /// Creates `<path>.partial`, replacing any file there.
    pub(crate) fn create(path: &Path) -> Result<TrajectoryWriter, RunError> {
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = File::create(&partial)
            .map_err(|e| RunError::io(&partial, "create trajectory file", e))?;
        let writer = Writer::new(file, WriterOptions::default())
            .map_err(|e| RunError::trajectory(&partial, e))?;
        Ok(TrajectoryWriter {
            path: path.to_path_buf(),
            partial,
            writer: Some(writer),
        })
    }

    /// Appends one encoded record.
    pub(crate) fn write(&mut self, record: &[u8]) -> Result<(), RunError> {
        let writer = self.writer.as_mut().expect("writer is open until finish");
        writer
            .write(record)
            .map_err(|e| RunError::trajectory(&self.partial, e))
    }

    /// Writes the records received until [`WriterMessage::Finish`], then
    /// finishes the file, and returns the record count and file size. Each
    /// written buffer goes back through `spare` for reuse.
    ///
    /// When the channel closes without `Finish`, the run failed: the partial
    /// file is removed and the result is `None`.
    pub(crate) fn drain(
        mut self,
        messages: Receiver<WriterMessage>,
        spare: Sender<Vec<u8>>,
    ) -> Option<Result<(u64, u64), RunError>> {
        for message in messages {
            match message {
                WriterMessage::Record(record) => {
                    if let Err(error) = self.write(&record) {
                        return Some(Err(error));
                    }
                    // The simulation may have ended; the buffer is then dropped.
                    let _ = spare.send(record);
                }
                WriterMessage::Finish => return Some(self.finish()),
            }
        }
        None
    }

    /// Writes the footer, syncs the file and renames it to its final path.
    /// Returns the number of records and the file size.
    pub(crate) fn finish(mut self) -> Result<(u64, u64), RunError> {
        let writer = self.writer.take().expect("writer is open until finish");
        let records = writer.num_records();
        let file = writer
            .finish()
            .map_err(|e| RunError::trajectory(&self.partial, e))?;
        file.sync_all()
            .map_err(|e| RunError::io(&self.partial, "sync trajectory file", e))?;
        let bytes = file
            .metadata()
            .map_err(|e| RunError::io(&self.partial, "read trajectory file size", e))?
            .len();
        drop(file);

        fs::rename(&self.partial, &self.path)
            .map_err(|e| RunError::io(&self.path, "rename finished trajectory into place", e))?;
        sync_parent_directory(&self.path);
        Ok((records, bytes))
    }
}

impl Drop for TrajectoryWriter {
    fn drop(&mut self) {
        // Unfinished: the partial file has no footer and must not stay.
        if self.writer.take().is_some() {
            if let Err(error) = fs::remove_file(&self.partial) {
                tracing::warn!(
                    path = %self.partial.display(),
                    %error,
                    "failed to remove partial trajectory file"
                );
            }
        }
    }
}

/// Makes a rename durable; failures only cost durability after a crash of
/// the machine, so they are logged, not returned.
fn sync_parent_directory(path: &Path) {
    let Some(parent) = path.parent() else { return };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    if let Err(error) = File::open(parent).and_then(|dir| dir.sync_all()) {
        tracing::debug!(path = %parent.display(), %error, "failed to sync directory");
    }
}

/// The fields of a record that the metrics read.
struct RecordView<'a> {
    step: i32,
    n: usize,
    sequences: &'a [u8],
    fitness: Vec<f32>,
}

/// Parses the 24 arrays of a record and checks the three the metrics read.
fn parse_record(bytes: &[u8]) -> Result<RecordView<'_>, String> {
    let mut rest = bytes;
    let mut arrays = Vec::with_capacity(FIELDS.len());
    for name in FIELDS {
        let (array, after) = npy::read_array(rest).map_err(|e| format!("field {name}: {e}"))?;
        arrays.push(array);
        rest = after;
    }
    if !rest.is_empty() {
        return Err(format!("{} bytes after the last field", rest.len()));
    }

    let step = &arrays[STEP];
    if step.descr != "<i4" || !step.shape.is_empty() {
        return Err(format!(
            "field step: expected a scalar <i4, found {:?} {:?}",
            step.descr, step.shape
        ));
    }
    let sequences = &arrays[SEQUENCES];
    if !matches!(sequences.descr.as_str(), "|i1" | "|u1") || sequences.shape.len() != 2 {
        return Err(format!(
            "field sequences: expected a 2-D |i1 array, found {:?} {:?}",
            sequences.descr, sequences.shape
        ));
    }
    let fitness = &arrays[FITNESS];
    if fitness.descr != "<f4" || fitness.shape != [sequences.shape[0]] {
        return Err(format!(
            "field fitness: expected <f4 of shape ({},), found {:?} {:?}",
            sequences.shape[0], fitness.descr, fitness.shape
        ));
    }
    if sequences.shape[0] == 0 || sequences.shape[1] == 0 {
        return Err(format!(
            "field sequences: empty shape {:?}",
            sequences.shape
        ));
    }

    Ok(RecordView {
        step: i32::from_le_bytes(step.data.try_into().expect("checked scalar <i4")),
        n: sequences.shape[1],
        sequences: sequences.data,
        fitness: fitness
            .data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("chunks of 4")))
            .collect(),
    })
}

/// Recomputes the five metrics from a trajectory containing every generation,
/// 0 to G, as a run with [`crate::TrajectoryMode::EveryGeneration`] writes it.
pub fn recompute_metrics(path: &Path) -> Result<ExperimentResult, TrajectoryError> {
    let mut reader = Reader::open(path).map_err(|e| TrajectoryError::read(path, e))?;
    let count = reader.num_records();
    if count < 2 {
        let message = format!("{count} records; metrics need generation 0 and at least one more");
        return Err(TrajectoryError::invalid(path, None, message));
    }

    let mut accumulator = MetricsAccumulator::new();
    let mut last_record = Vec::new();
    for index in 0..count {
        let record = reader
            .read(index)
            .map_err(|e| TrajectoryError::read(path, e))?;
        let view =
            parse_record(&record).map_err(|m| TrajectoryError::invalid(path, Some(index), m))?;
        if i64::from(view.step) != index as i64 {
            let message = format!(
                "step {} where {index} was expected; metrics need every generation from 0, \
                 so recompute them from a trajectory written with every generation",
                view.step
            );
            return Err(TrajectoryError::invalid(path, Some(index), message));
        }
        accumulator.observe(GenerationView {
            n: view.n,
            sequences: view.sequences,
            fitness: &view.fitness,
        });
        if index + 1 == count {
            last_record = record.to_vec();
        }
    }

    let last = parse_record(&last_record).expect("the last record parsed already");
    Ok(accumulator.finish(GenerationView {
        n: last.n,
        sequences: last.sequences,
        fitness: &last.fitness,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_generation<'a>(
        states: &'a [u8],
        fitness: &'a [f32],
        weights: &'a [f64],
        ancestors: &'a [u32],
    ) -> Generation<'a> {
        Generation {
            generation: 3,
            n: 2,
            states,
            fitness,
            weights,
            ancestors,
            ess: 2.5,
            log_likelihood_increment: -0.25,
            log_z: -1.5,
            key: [7, 9],
        }
    }

    #[test]
    fn record_has_layout_size_and_fields() {
        let states = [0u8, 1, 2, 3, 4, 5];
        let fitness = [0.25f32, 0.5, 0.75];
        let weights = [0.2, 0.3, 0.5];
        let ancestors = [0u32, 0, 2];
        let generation = sample_generation(&states, &fitness, &weights, &ancestors);
        let mut record = Vec::new();
        encode_record(&generation, 2.0, &mut record);
        assert_eq!(record.len() as u64, record_bytes(3, 2));

        let view = parse_record(&record).unwrap();
        assert_eq!(view.step, 3);
        assert_eq!(view.n, 2);
        assert_eq!(view.sequences, states);
        assert_eq!(view.fitness, fitness);

        let mut rest = &record[..];
        let mut arrays = Vec::new();
        while !rest.is_empty() {
            let (array, after) = npy::read_array(rest).unwrap();
            arrays.push(array);
            rest = after;
        }
        assert_eq!(arrays.len(), 24);
        let f32_at = |i: usize| f32::from_le_bytes(arrays[i].data[..4].try_into().unwrap());
        assert_eq!(f32_at(7), 2.5);
        assert_eq!(f32_at(10), 2.0);
        assert_eq!(f32_at(21), 0.5);
        assert_eq!(f32_at(22), 0.75);
        assert_eq!(f32_at(23), -1.5);
        assert_eq!(arrays[6].data, [0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(arrays[17].descr, "|b1");
    }

    #[test]
    fn estimate_covers_records() {
        assert_eq!(estimate_file_bytes(0, 100, 10), 0);
        assert!(estimate_file_bytes(201, 100, 10) > 201 * record_bytes(100, 10));
    }
}
