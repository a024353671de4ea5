use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use uuid::Uuid;

use crate::StoreError;

/// File name of the manifest, one experiment record a line.
pub const MANIFEST_FILE: &str = "oed_manifest.jsonl";
/// File name of the checkpoint, the latest loop state.
pub const CHECKPOINT_FILE: &str = "oed_checkpoint.json";
/// File name of the summary of all experiments.
pub const SUMMARY_FILE: &str = "oed_summary.json";
/// File name of the loop's log.
pub const LOG_FILE: &str = "oed_loop.log";
/// File name of the most recent run's metadata.
pub const METADATA_FILE: &str = "metadata.json";
/// File name of the writer lock (see [`RunDir::lock_for_writing`]).
pub const LOCK_FILE: &str = ".oed.lock";

// The parts of the per-run file names around the run UUID, shared by the path
// builders below and by the leftover scan.
pub(crate) const TRAJECTORY_PREFIX: &str = "data_";
pub(crate) const TRAJECTORY_SUFFIX: &str = ".arrayrecord";
pub(crate) const PARTIAL_TRAJECTORY_SUFFIX: &str = ".arrayrecord.partial";
pub(crate) const RUN_METADATA_PREFIX: &str = "metadata_";
pub(crate) const RUN_METADATA_SUFFIX: &str = ".json";

/// A run directory: the manifest, checkpoint, summary, log, metadata and
/// trajectory files of one OED loop.
///
/// A `RunDir` only names paths. Every path it returns lies directly inside the
/// directory, because the only variable part of a file name is a [`RunId`],
/// which is always a canonical UUID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// Opens an existing run directory and creates nothing.
    ///
    /// # Errors
    ///
    /// Fails when the path does not exist or is not a directory.
    pub fn open(path: impl AsRef<Path>) -> Result<RunDir, StoreError> {
        let path = path.as_ref();
        check_directory(path)?;
        Ok(RunDir {
            path: path.to_path_buf(),
        })
    }

    /// Opens a run directory, creating it and its parents when missing.
    ///
    /// # Errors
    ///
    /// Fails when the directory cannot be created, or the path exists and is
    /// not a directory.
    pub fn create(path: impl AsRef<Path>) -> Result<RunDir, StoreError> {
        let path = path.as_ref();
        std::fs::create_dir_all(path)
            .map_err(|e| StoreError::io(path, "create the run directory", e))?;
        RunDir::open(path)
    }

    /// Returns the directory itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `oed_manifest.jsonl`.
    pub fn manifest_path(&self) -> PathBuf {
        self.path.join(MANIFEST_FILE)
    }

    /// `oed_checkpoint.json`.
    pub fn checkpoint_path(&self) -> PathBuf {
        self.path.join(CHECKPOINT_FILE)
    }

    /// `oed_summary.json`.
    pub fn summary_path(&self) -> PathBuf {
        self.path.join(SUMMARY_FILE)
    }

    /// `oed_loop.log`.
    pub fn log_path(&self) -> PathBuf {
        self.path.join(LOG_FILE)
    }

    /// `.oed.lock`, the writer lock.
    pub fn lock_path(&self) -> PathBuf {
        self.path.join(LOCK_FILE)
    }

    /// `metadata.json`, the most recent run's metadata.
    pub fn metadata_path(&self) -> PathBuf {
        self.path.join(METADATA_FILE)
    }

    /// `metadata_<uuid>.json`, one run's metadata.
    pub fn run_metadata_path(&self, id: &RunId) -> PathBuf {
        self.path
            .join(format!("{RUN_METADATA_PREFIX}{id}{RUN_METADATA_SUFFIX}"))
    }

    /// `data_<uuid>.arrayrecord`, one run's trajectory.
    pub fn trajectory_path(&self, id: &RunId) -> PathBuf {
        self.path
            .join(format!("{TRAJECTORY_PREFIX}{id}{TRAJECTORY_SUFFIX}"))
    }

    /// `data_<uuid>.arrayrecord.partial`, one run's trajectory while the run
    /// writes it.
    // NOTE: `oed-smc`'s trajectory writer builds this name itself, by
    // appending `.partial` to the trajectory path, because it does not depend
    // on this crate.
    pub fn partial_trajectory_path(&self, id: &RunId) -> PathBuf {
        self.path.join(format!(
            "{TRAJECTORY_PREFIX}{id}{PARTIAL_TRAJECTORY_SUFFIX}"
        ))
    }
}

/// Checks that `path` exists and is a directory, without creating anything.
pub(crate) fn check_directory(path: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => Ok(()),
        Ok(_) => Err(StoreError::not_a_directory(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(StoreError::directory_not_found(path))
        }
        Err(e) => Err(StoreError::io(path, "read the run directory", e)),
    }
}

/// The identifier of one SMC run: a UUID in its canonical text form, the
/// lowercase hyphenated `8-4-4-4-12` hex digits.
///
/// Run UUIDs read from files become part of file names, so parsing accepts the
/// canonical form only. A value such as `../../x` is rejected before it can
/// name a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(Uuid);

impl RunId {
    /// Returns a new random (version 4) run UUID.
    pub fn new_v4() -> RunId {
        RunId(Uuid::new_v4())
    }

    /// Parses a run UUID in canonical form.
    ///
    /// # Errors
    ///
    /// Fails for anything but 36 characters of lowercase hyphenated hex, so
    /// braced, URN, simple and uppercase forms are rejected too: the text must
    /// equal the file-name part it maps to.
    pub fn parse(text: &str) -> Result<RunId, StoreError> {
        let uuid = Uuid::try_parse(text).map_err(|_| StoreError::invalid_run_id(text))?;
        let id = RunId(uuid);
        let mut canonical = Uuid::encode_buffer();
        if uuid.hyphenated().encode_lower(&mut canonical) != text {
            return Err(StoreError::invalid_run_id(text));
        }
        Ok(id)
    }

    /// The UUID.
    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl From<Uuid> for RunId {
    fn from(uuid: Uuid) -> RunId {
        RunId(uuid)
    }
}

impl FromStr for RunId {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<RunId, StoreError> {
        RunId::parse(text)
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_id_accepts_canonical_form() {
        let text = "a41386f5-1e40-44a6-bc1c-4ab79afcd64b";
        let id = RunId::parse(text).unwrap();
        assert_eq!(id.to_string(), text);
    }

    #[test]
    fn run_id_rejects_other_forms() {
        for text in [
            "../../x",
            "",
            "A41386F5-1E40-44A6-BC1C-4AB79AFCD64B",
            "a41386f51e4044a6bc1c4ab79afcd64b",
            "{a41386f5-1e40-44a6-bc1c-4ab79afcd64b}",
            "urn:uuid:a41386f5-1e40-44a6-bc1c-4ab79afcd64b",
            "a41386f5-1e40-44a6-bc1c-4ab79afcd64b/..",
            " a41386f5-1e40-44a6-bc1c-4ab79afcd64b",
        ] {
            assert!(RunId::parse(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn run_paths_stay_inside_directory() {
        let dir = RunDir {
            path: PathBuf::from("results"),
        };
        let id = RunId::new_v4();
        for path in [dir.trajectory_path(&id), dir.run_metadata_path(&id)] {
            assert_eq!(path.parent(), Some(Path::new("results")));
        }
        assert_eq!(
            dir.trajectory_path(&id)
                .file_name()
                .unwrap()
                .to_str()
                .unwrap(),
            format!("data_{id}.arrayrecord")
        );
    }

    #[test]
    fn partial_trajectory_appends_partial() {
        // `oed-smc` names the file it writes this way.
        let dir = RunDir {
            path: PathBuf::from("results"),
        };
        let id = RunId::new_v4();
        let mut expected = dir.trajectory_path(&id).into_os_string();
        expected.push(".partial");
        assert_eq!(dir.partial_trajectory_path(&id).into_os_string(), expected);
    }

    #[test]
    fn open_creates_nothing() {
        let root = tempfile::tempdir().unwrap();
        let missing = root.path().join("missing");
        let error = RunDir::open(&missing).unwrap_err();
        assert!(
            error.to_string().contains("run directory not found"),
            "{error}"
        );
        assert!(!missing.exists());
    }

    #[test]
    fn open_rejects_file() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let error = RunDir::open(&file).unwrap_err();
        assert!(error.to_string().contains("not a directory"), "{error}");
    }
}
