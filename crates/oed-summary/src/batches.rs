//! Reading a manifest in batches of lines parsed in parallel.

use std::path::Path;

use oed_model::ExperimentRecord;
use oed_store::{ManifestLines, ReadOptions, SkippedLine, StoreError, parse_record_line};
use rayon::prelude::*;

/// The end of the store's invalid-record messages that suggests lenient
/// reading.
const LENIENT_ADVICE: &str = ", or read the manifest leniently to skip it";

/// Records per chunk when the caller does not choose: large enough that the
/// work of a chunk dwarfs the cost of scheduling it.
pub const DEFAULT_CHUNK_RECORDS: usize = 1024;

/// Consecutive records of a manifest, parsed, split into chunks.
#[derive(Debug)]
pub(crate) struct Batch {
    /// Record index (from 0, counting records only) of the first record.
    pub first_index: u64,
    pub chunks: Vec<Vec<ExperimentRecord>>,
}

impl Batch {
    /// Returns each chunk with the record index of its first record.
    pub fn indexed_chunks(&self) -> Vec<(u64, &[ExperimentRecord])> {
        let mut index = self.first_index;
        self.chunks
            .iter()
            .map(|chunk| {
                let first = index;
                index += chunk.len() as u64;
                (first, chunk.as_slice())
            })
            .collect()
    }
}

/// The records of a manifest as a sequence of [`Batch`]es.
///
/// Lines are read sequentially, a batch of several chunks at a time, and each
/// chunk's lines are parsed on the rayon thread pool. Errors are reported in
/// line order whatever the thread count. In strict mode the first invalid
/// line ends reading with its error. In lenient mode invalid lines are
/// skipped with a warning and listed by [`RecordBatches::skipped`]. A torn last
/// line is skipped in both modes, as [`ManifestLines`] does.
#[derive(Debug)]
pub(crate) struct RecordBatches {
    lines: ManifestLines,
    options: ReadOptions,
    chunk_records: usize,
    chunks_per_batch: usize,
    next_index: u64,
    skipped: Vec<SkippedLine>,
    finished: bool,
}

impl RecordBatches {
    /// Opens a manifest; a missing file reads as empty.
    pub fn open(
        path: &Path,
        options: ReadOptions,
        chunk_records: usize,
    ) -> Result<RecordBatches, StoreError> {
        Ok(RecordBatches {
            lines: ManifestLines::open(path)?,
            options,
            chunk_records: chunk_records.max(1),
            // Enough chunks to keep every thread busy while the next batch is
            // read.
            chunks_per_batch: 4 * rayon::current_num_threads().max(1),
            next_index: 0,
            skipped: Vec::new(),
            finished: false,
        })
    }

    /// The lines skipped so far, including a torn last line once reading ended.
    pub fn skipped(&self) -> &[SkippedLine] {
        &self.skipped
    }

    /// Reads the lines of the next batch.
    fn read_lines(&mut self) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let batch_lines = self.chunk_records * self.chunks_per_batch;
        let mut lines = Vec::with_capacity(batch_lines);
        while lines.len() < batch_lines {
            match self.lines.next() {
                None => {
                    self.finished = true;
                    if let Some(torn) = self.lines.torn_tail() {
                        self.skipped.push(torn.clone());
                    }
                    break;
                }
                Some(Ok(line)) => lines.push(line),
                // A line too long to read; any other error ends the file.
                Some(Err(error)) if error.line().is_some() && error.io_error().is_none() => {
                    self.skip_or_fail(error)?;
                }
                Some(Err(error)) => return Err(error),
            }
        }
        Ok(lines)
    }

    fn skip_or_fail(&mut self, error: StoreError) -> Result<(), StoreError> {
        if !self.options.lenient {
            self.finished = true;
            return Err(error);
        }
        let line = error.line().unwrap_or(0);
        let text = error.reason();
        // The store's message ends with advice to read leniently, which this
        // reader already does, so the warning drops it.
        let reason = text
            .strip_suffix(LENIENT_ADVICE)
            .unwrap_or(&text)
            .to_string();
        tracing::warn!("{}:{line}: skipped, {reason}", self.lines.path().display());
        self.skipped.push(SkippedLine { line, reason });
        Ok(())
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, StoreError> {
        let lines = self.read_lines()?;
        if lines.is_empty() {
            return Ok(None);
        }
        let path = self.lines.path().to_path_buf();
        let parsed: Vec<Vec<Result<ExperimentRecord, StoreError>>> = lines
            .par_chunks(self.chunk_records)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|(number, bytes)| parse_record_line(&path, *number, bytes))
                    .collect()
            })
            .collect();

        let mut chunks = Vec::with_capacity(parsed.len());
        for parsed_chunk in parsed {
            let mut records = Vec::with_capacity(parsed_chunk.len());
            for result in parsed_chunk {
                match result {
                    Ok(record) => records.push(record),
                    Err(error) => self.skip_or_fail(error)?,
                }
            }
            chunks.push(records);
        }
        let batch = Batch {
            first_index: self.next_index,
            chunks,
        };
        self.next_index += batch.chunks.iter().map(|c| c.len() as u64).sum::<u64>();
        Ok(Some(batch))
    }
}

impl Iterator for RecordBatches {
    type Item = Result<Batch, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.next_batch() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => None,
            Err(error) => {
                self.finished = true;
                Some(Err(error))
            }
        }
    }
}
