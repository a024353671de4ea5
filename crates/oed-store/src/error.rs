use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// An error reading or writing a file of a run directory.
///
/// `Display` starts with the path (and the line, for a manifest line), then
/// states what failed and what to do, for example
/// `oed_results/oed_manifest.jsonl:17: invalid record: missing field `run_uuid`:
/// fix or remove the line, or read the manifest leniently to skip it`.
#[derive(Debug)]
pub struct StoreError {
    path: Option<PathBuf>,
    line: Option<u64>,
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    /// An I/O call failed; `action` reads "failed to <action>".
    Io {
        action: &'static str,
        source: io::Error,
    },
    DirectoryNotFound,
    NotADirectory,
    InvalidRecord {
        reason: String,
    },
    InvalidUtf8,
    /// A record that would not read back, refused before writing.
    InvalidAppend {
        reason: String,
    },
    GluedRecords,
    /// A value that would not read back, refused before writing.
    Unwritable {
        reason: String,
    },
    InvalidRunId {
        value: String,
    },
    EmptyCheckpoint,
    InvalidCheckpoint {
        reason: String,
    },
    UnsupportedCheckpointVersion {
        got: u64,
        supported: u32,
    },
    InvalidMetadata {
        reason: String,
    },
    /// Another process holds the run directory's writer lock.
    Locked {
        pid: Option<u32>,
    },
}

impl StoreError {
    fn new(path: &Path, kind: ErrorKind) -> StoreError {
        StoreError {
            path: Some(path.to_path_buf()),
            line: None,
            kind,
        }
    }

    pub(crate) fn io(path: &Path, action: &'static str, source: io::Error) -> StoreError {
        StoreError::new(path, ErrorKind::Io { action, source })
    }

    pub(crate) fn directory_not_found(path: &Path) -> StoreError {
        StoreError::new(path, ErrorKind::DirectoryNotFound)
    }

    pub(crate) fn not_a_directory(path: &Path) -> StoreError {
        StoreError::new(path, ErrorKind::NotADirectory)
    }

    pub(crate) fn invalid_record(path: &Path, line: u64, reason: impl Into<String>) -> StoreError {
        let reason = reason.into();
        StoreError::new(path, ErrorKind::InvalidRecord { reason }).at_line(line)
    }

    pub(crate) fn invalid_utf8(path: &Path, line: u64) -> StoreError {
        StoreError::new(path, ErrorKind::InvalidUtf8).at_line(line)
    }

    pub(crate) fn invalid_append(path: &Path, reason: impl Into<String>) -> StoreError {
        let reason = reason.into();
        StoreError::new(path, ErrorKind::InvalidAppend { reason })
    }

    pub(crate) fn unwritable(path: &Path, reason: impl Into<String>) -> StoreError {
        let reason = reason.into();
        StoreError::new(path, ErrorKind::Unwritable { reason })
    }

    pub(crate) fn glued_records(path: &Path, line: u64) -> StoreError {
        StoreError::new(path, ErrorKind::GluedRecords).at_line(line)
    }

    pub(crate) fn invalid_run_id(value: &str) -> StoreError {
        StoreError {
            path: None,
            line: None,
            kind: ErrorKind::InvalidRunId {
                value: value.to_string(),
            },
        }
    }

    pub(crate) fn empty_checkpoint(path: &Path) -> StoreError {
        StoreError::new(path, ErrorKind::EmptyCheckpoint)
    }

    pub(crate) fn invalid_checkpoint(path: &Path, reason: impl Into<String>) -> StoreError {
        let reason = reason.into();
        StoreError::new(path, ErrorKind::InvalidCheckpoint { reason })
    }

    pub(crate) fn unsupported_checkpoint_version(
        path: &Path,
        got: u64,
        supported: u32,
    ) -> StoreError {
        StoreError::new(
            path,
            ErrorKind::UnsupportedCheckpointVersion { got, supported },
        )
    }

    pub(crate) fn invalid_metadata(path: &Path, reason: impl Into<String>) -> StoreError {
        let reason = reason.into();
        StoreError::new(path, ErrorKind::InvalidMetadata { reason })
    }

    pub(crate) fn locked(directory: &Path, pid: Option<u32>) -> StoreError {
        StoreError::new(directory, ErrorKind::Locked { pid })
    }

    pub(crate) fn at_line(mut self, line: u64) -> StoreError {
        self.line = Some(line);
        self
    }

    /// Returns the file or directory the error is about, or `None` for a run
    /// UUID rejected by [`crate::RunId::parse`] outside any file.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Returns the 1-based manifest line the error is about, if any.
    pub fn line(&self) -> Option<u64> {
        self.line
    }

    /// Returns the underlying I/O error, for an error raised by a failed system
    /// call.
    pub fn io_error(&self) -> Option<&io::Error> {
        match &self.kind {
            ErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }

    /// Returns true when another process holds the run directory's writer
    /// lock (see [`crate::RunDir::lock_for_writing`]).
    pub fn is_locked(&self) -> bool {
        matches!(self.kind, ErrorKind::Locked { .. })
    }

    /// Returns true when the error is a lack of space: a full disk, an exhausted
    /// quota or a file-size limit. A process that exceeds its `RLIMIT_FSIZE`
    /// gets this error only if it ignores `SIGXFSZ`, which otherwise kills it.
    pub fn is_out_of_space(&self) -> bool {
        self.io_error().is_some_and(is_out_of_space)
    }

    /// Formats the message without the path and line prefix, as lenient
    /// reading reports it in [`crate::SkippedLine::reason`].
    pub fn reason(&self) -> String {
        let mut text = String::new();
        self.write_reason(&mut text)
            .expect("formatting into a String does not fail");
        text
    }

    fn write_reason(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match &self.kind {
            ErrorKind::Io { action, source } => {
                write!(f, "failed to {action}: {source}")?;
                if is_out_of_space(source) {
                    f.write_str(
                        ": free disk space or raise the file-size limit, then retry; \
                         what was written before is intact",
                    )?;
                } else if source.kind() == io::ErrorKind::PermissionDenied {
                    f.write_str(": check the permissions of the file and its directory")?;
                }
                Ok(())
            }
            ErrorKind::DirectoryNotFound => {
                f.write_str("run directory not found: check the path, or start a loop to create it")
            }
            ErrorKind::NotADirectory => {
                f.write_str("not a directory: a run directory is expected here")
            }
            ErrorKind::InvalidRecord { reason } => write!(
                f,
                "invalid record: {reason}: fix or remove the line, or read the manifest \
                 leniently to skip it"
            ),
            ErrorKind::InvalidUtf8 => f.write_str(
                "invalid record: the line is not valid UTF-8: fix or remove the line, or \
                 read the manifest leniently to skip it",
            ),
            ErrorKind::InvalidAppend { reason } => write!(
                f,
                "invalid record, not appended: {reason}: only records that read back \
                 unchanged are written"
            ),
            ErrorKind::Unwritable { reason } => write!(f, "{reason}, so nothing was written"),
            ErrorKind::GluedRecords => f.write_str(
                "invalid record: two records on one line, because a write was interrupted \
                 and the next one continued it: split the line in two or remove the \
                 damaged part",
            ),
            ErrorKind::InvalidRunId { value } => write!(
                f,
                "invalid run UUID {value:?}: expected a lowercase hyphenated UUID such as \
                 123e4567-e89b-42d3-a456-426614174000"
            ),
            ErrorKind::EmptyCheckpoint => f.write_str(
                "empty checkpoint: remove it to start without a checkpoint; the manifest \
                 still holds every recorded experiment",
            ),
            ErrorKind::InvalidCheckpoint { reason } => write!(
                f,
                "invalid checkpoint: {reason}: restore the file or remove it to start \
                 without a checkpoint; the manifest still holds every recorded experiment"
            ),
            ErrorKind::UnsupportedCheckpointVersion { got, supported } => write!(
                f,
                "unsupported checkpoint version (got version {got}, supports {supported}): \
                 use the oed version that wrote it, or remove the file to start without a \
                 checkpoint"
            ),
            ErrorKind::InvalidMetadata { reason } => write!(
                f,
                "invalid metadata: {reason}: the file must hold one JSON object"
            ),
            ErrorKind::Locked { pid } => {
                f.write_str("another oed-loop ")?;
                if let Some(pid) = pid {
                    write!(f, "(pid {pid}) ")?;
                }
                f.write_str(
                    "is writing this run directory: wait for it to finish or stop it, \
                     or pick another --output-dir",
                )
            }
        }
    }
}

fn is_out_of_space(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::FileTooLarge | io::ErrorKind::QuotaExceeded
    )
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}", path.display())?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
            f.write_str(": ")?;
        }
        self.write_reason(f)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_path_and_line() {
        let error = StoreError::invalid_record(
            Path::new("oed_results/oed_manifest.jsonl"),
            17,
            "missing field `run_uuid`",
        );
        assert_eq!(
            error.to_string(),
            "oed_results/oed_manifest.jsonl:17: invalid record: missing field `run_uuid`: \
             fix or remove the line, or read the manifest leniently to skip it"
        );
    }

    #[test]
    fn out_of_space_says_what_to_do() {
        let source = io::Error::from_raw_os_error(libc::ENOSPC);
        let error = StoreError::io(
            Path::new("run/oed_manifest.jsonl"),
            "append a record",
            source,
        );
        let text = error.to_string();
        assert!(error.is_out_of_space());
        assert!(text.starts_with("run/oed_manifest.jsonl: failed to append a record: "));
        assert!(text.contains("free disk space"), "{text}");
    }

    #[test]
    fn version_error_quotes_both_versions() {
        let error = StoreError::unsupported_checkpoint_version(Path::new("c.json"), 7, 1);
        assert!(
            error.to_string().contains("got version 7, supports 1"),
            "{error}"
        );
    }
}
