use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use oed_model::{ExperimentRecord, Parameter};

use crate::lock::ExclusiveLock;
use crate::manifest::read::{MAX_LINE_BYTES, parse_record_line};
use crate::{RunDir, RunId, StoreError};

/// Whether each append is synced to the storage device before it returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SyncMode {
    /// `fdatasync` after every append: a record that was appended survives a
    /// power loss. The default.
    #[default]
    Always,
    /// Leave the data to the operating system, which writes it back within
    /// seconds. A killed process loses nothing, but a power loss or kernel
    /// crash may lose the latest records. Several times faster.
    Never,
}

/// The append side of a manifest.
///
/// Each [`Manifest::append`] writes one whole line in one `write` to a file
/// opened for appending, holding an exclusive `flock` that the kernel drops if
/// the holder dies. Appends from several handles, threads or processes
/// therefore never interleave or glue lines. Existing records are never
/// changed.
#[derive(Debug)]
pub struct Manifest {
    path: PathBuf,
    file: File,
    sync: SyncMode,
    line: Vec<u8>,
}

impl Manifest {
    /// Opens the manifest of a run directory for appending, creating the file
    /// when missing.
    ///
    /// # Errors
    ///
    /// Fails when the directory no longer exists or the file cannot be opened
    /// for appending.
    pub fn open(dir: &RunDir) -> Result<Manifest, StoreError> {
        let path = dir.manifest_path();
        // Read access is for repairing a torn last line.
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => StoreError::directory_not_found(dir.path()),
                _ => StoreError::io(&path, "open the manifest for appending", e),
            })?;
        Ok(Manifest {
            path,
            file,
            sync: SyncMode::default(),
            line: Vec::with_capacity(1024),
        })
    }

    /// Sets whether appends are synced to the device.
    pub fn with_sync(mut self, sync: SyncMode) -> Manifest {
        self.sync = sync;
        self
    }

    /// Returns the manifest's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as one line. Returns once the line is written and,
    /// with [`SyncMode::Always`], synced. Replaces the ancestor's
    /// `save_oed_record`.
    ///
    /// Non-finite result values are written as the strings `"NaN"`,
    /// `"Infinity"` and `"-Infinity"`, so every line is strict JSON.
    ///
    /// When the file does not end with a newline, its last line is a torn
    /// write left by a killed writer. If that line parses as a record, it gets
    /// its newline. Otherwise it is removed, with a warning, before the new
    /// line is written. It was never reported as appended, because an append
    /// only returns after its whole line, newline included, is written.
    ///
    /// # Errors
    ///
    /// Fails for a record that would not read back: a `run_uuid` that is not a
    /// canonical UUID or a non-finite design value. Fails when locking,
    /// writing or syncing fails, for example on a full disk
    /// ([`StoreError::is_out_of_space`]). After an error the file holds what it
    /// held before the call, unless removing a partly written line failed too,
    /// which is logged and repaired by the next append.
    ///
    /// # Examples
    ///
    /// ```
    /// use oed_model::{Design, ExperimentRecord, ExperimentResult, Phase};
    /// use oed_store::{load_manifest, timestamp_now, Manifest, ReadOptions, RunDir, RunId};
    ///
    /// let root = tempfile::tempdir()?;
    /// let dir = RunDir::create(root.path().join("oed_results"))?;
    /// let mut manifest = Manifest::open(&dir)?;
    ///
    /// let record = ExperimentRecord {
    ///     timestamp: timestamp_now(),
    ///     phase: Phase::Seeding,
    ///     iteration: 0,
    ///     run_uuid: RunId::new_v4().to_string(),
    ///     design: Design {
    ///         n: 12, k: 1, q: 3, population_size: 196, n_generations: 20,
    ///         mutation_rate: 0.05, diversification_ratio: 0.004, branch_length: 1.0,
    ///     },
    ///     result: Some(ExperimentResult::from_array([f64::NAN, 0.6, 0.99, 0.0004, 0.005])),
    ///     record_start_idx: 0,
    ///     record_count: 21,
    ///     schema_version: Some(1),
    ///     status: None,
    ///     error: None,
    ///     seed: Some(7),
    ///     duration_s: Some(2.5),
    /// };
    /// manifest.append(&record)?;
    ///
    /// let text = std::fs::read_to_string(dir.manifest_path())?;
    /// assert!(text.contains(r#""information_gain":"NaN""#));
    /// let loaded = load_manifest(dir.manifest_path(), ReadOptions::strict())?;
    /// assert_eq!(loaded.records[0].seed, Some(7));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn append(&mut self, record: &ExperimentRecord) -> Result<(), StoreError> {
        check_appendable(&self.path, record)?;
        self.line.clear();
        serde_json::to_writer(&mut self.line, record)
            .map_err(|e| StoreError::invalid_append(&self.path, e.to_string()))?;
        self.line.push(b'\n');

        let _lock = ExclusiveLock::acquire(&self.file)
            .map_err(|e| StoreError::io(&self.path, "lock the manifest", e))?;
        let length = self.end_on_line_boundary()?;
        if let Err(error) = self.write_line() {
            self.roll_back(length);
            return Err(error);
        }
        if self.sync == SyncMode::Always {
            if let Err(e) = self.file.sync_data() {
                self.roll_back(length);
                return Err(StoreError::io(&self.path, "sync the manifest", e));
            }
        }
        tracing::trace!(path = %self.path.display(), run_uuid = %record.run_uuid, "appended record");
        Ok(())
    }

    fn write_line(&self) -> Result<(), StoreError> {
        (&self.file)
            .write_all(&self.line)
            .map_err(|e| StoreError::io(&self.path, "append a record", e))
    }

    /// Cuts the file back to `length` after a failed append, so that no part
    /// of the failed line stays behind. Runs under the lock, where `length`
    /// is where the line started.
    fn roll_back(&self, length: u64) {
        if let Err(e) = self.file.set_len(length) {
            tracing::warn!(
                "{}: failed to remove a partly written line after a failed append: {e}; \
                 the next append removes it",
                self.path.display()
            );
        }
    }

    /// Makes sure the file ends with a newline, repairing a torn last line,
    /// and returns the file's length. Runs under the lock.
    fn end_on_line_boundary(&self) -> Result<u64, StoreError> {
        let read_error = |e| StoreError::io(&self.path, "read the end of the manifest", e);
        let length = self.file.metadata().map_err(read_error)?.len();
        if length == 0 || self.read_at(length - 1, 1).map_err(read_error)? == b"\n" {
            return Ok(length);
        }

        let start = self.last_line_start(length).map_err(read_error)?;
        let tail_length = length - start;
        let tail = if tail_length <= MAX_LINE_BYTES as u64 {
            self.read_at(start, tail_length as usize)
                .map_err(read_error)?
        } else {
            Vec::new()
        };
        if !tail.is_empty() && parse_record_line(&self.path, 0, &tail).is_ok() {
            // A complete record that lacks only its newline.
            (&self.file)
                .write_all(b"\n")
                .map_err(|e| StoreError::io(&self.path, "end the last line", e))?;
            return Ok(length + 1);
        }

        self.file
            .set_len(start)
            .map_err(|e| StoreError::io(&self.path, "remove an incomplete last line", e))?;
        tracing::warn!(
            "{}: removed an incomplete last line of {tail_length} bytes at byte {start}, left by \
             an interrupted write",
            self.path.display()
        );
        Ok(start)
    }

    /// Returns the offset just after the last newline before `length`, or 0.
    fn last_line_start(&self, length: u64) -> io::Result<u64> {
        const CHUNK: u64 = 64 * 1024;
        let mut end = length;
        while end > 0 {
            let start = end.saturating_sub(CHUNK);
            let chunk = self.read_at(start, (end - start) as usize)?;
            if let Some(position) = chunk.iter().rposition(|&byte| byte == b'\n') {
                return Ok(start + position as u64 + 1);
            }
            end = start;
        }
        Ok(0)
    }

    fn read_at(&self, offset: u64, length: usize) -> io::Result<Vec<u8>> {
        let mut buffer = vec![0; length];
        self.file.read_exact_at(&mut buffer, offset)?;
        Ok(buffer)
    }
}

/// Rejects a record that [`parse_record_line`] would not read back.
fn check_appendable(path: &Path, record: &ExperimentRecord) -> Result<(), StoreError> {
    if RunId::parse(&record.run_uuid).is_err() {
        return Err(StoreError::invalid_append(
            path,
            format!(
                "run_uuid {:?} is not a lowercase hyphenated UUID",
                record.run_uuid
            ),
        ));
    }
    for parameter in Parameter::ALL {
        let value = record.design.get(parameter);
        if !value.is_finite() {
            return Err(StoreError::invalid_append(
                path,
                format!("design {parameter} is {value}, but design values must be finite"),
            ));
        }
    }
    Ok(())
}
