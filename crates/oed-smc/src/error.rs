use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use oed_model::DesignError;

/// The error of a run: an invalid design, a failed trajectory write, or a
/// cancellation.
#[derive(Debug)]
pub struct RunError {
    kind: RunErrorKind,
}

#[derive(Debug)]
enum RunErrorKind {
    InvalidDesign(DesignError),
    Io {
        path: PathBuf,
        action: &'static str,
        source: io::Error,
    },
    Trajectory {
        path: PathBuf,
        source: arrayrecord::Error,
    },
    InvalidConfig(String),
    Cancelled,
}

impl RunError {
    pub(crate) fn invalid_design(error: DesignError) -> RunError {
        RunError {
            kind: RunErrorKind::InvalidDesign(error),
        }
    }

    pub(crate) fn io(path: &Path, action: &'static str, source: io::Error) -> RunError {
        RunError {
            kind: RunErrorKind::Io {
                path: path.to_path_buf(),
                action,
                source,
            },
        }
    }

    pub(crate) fn trajectory(path: &Path, source: arrayrecord::Error) -> RunError {
        RunError {
            kind: RunErrorKind::Trajectory {
                path: path.to_path_buf(),
                source,
            },
        }
    }

    pub(crate) fn invalid_config(message: String) -> RunError {
        RunError {
            kind: RunErrorKind::InvalidConfig(message),
        }
    }

    pub(crate) fn cancelled() -> RunError {
        RunError {
            kind: RunErrorKind::Cancelled,
        }
    }

    /// Whether the run stopped because its cancel flag was set.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind, RunErrorKind::Cancelled)
    }

    /// The validation error, when the design was rejected.
    pub fn design_error(&self) -> Option<&DesignError> {
        match &self.kind {
            RunErrorKind::InvalidDesign(error) => Some(error),
            _ => None,
        }
    }

    /// The file involved, for I/O and trajectory errors.
    pub fn path(&self) -> Option<&Path> {
        match &self.kind {
            RunErrorKind::Io { path, .. } | RunErrorKind::Trajectory { path, .. } => Some(path),
            _ => None,
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            RunErrorKind::InvalidDesign(error) => write!(f, "invalid design: {error}"),
            RunErrorKind::Io {
                path,
                action,
                source,
            } => write!(f, "{}: failed to {action}: {source}", path.display()),
            // The arrayrecord error starts with the path when it knows it.
            RunErrorKind::Trajectory { path, source } => match source.path() {
                Some(_) => write!(f, "{source}"),
                None => write!(
                    f,
                    "{}: failed to write trajectory: {source}",
                    path.display()
                ),
            },
            RunErrorKind::InvalidConfig(message) => write!(f, "invalid SMC settings: {message}"),
            RunErrorKind::Cancelled => f.write_str("run cancelled"),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            RunErrorKind::InvalidDesign(error) => Some(error),
            RunErrorKind::Io { source, .. } => Some(source),
            RunErrorKind::Trajectory { source, .. } => Some(source),
            RunErrorKind::InvalidConfig(_) | RunErrorKind::Cancelled => None,
        }
    }
}

/// The error of reading a trajectory file back.
#[derive(Debug)]
pub struct TrajectoryError {
    path: PathBuf,
    record: Option<u64>,
    kind: TrajectoryErrorKind,
}

#[derive(Debug)]
enum TrajectoryErrorKind {
    Read(arrayrecord::Error),
    InvalidRecord(String),
}

impl TrajectoryError {
    pub(crate) fn read(path: &Path, source: arrayrecord::Error) -> TrajectoryError {
        TrajectoryError {
            path: path.to_path_buf(),
            record: None,
            kind: TrajectoryErrorKind::Read(source),
        }
    }

    pub(crate) fn invalid(path: &Path, record: Option<u64>, message: String) -> TrajectoryError {
        TrajectoryError {
            path: path.to_path_buf(),
            record,
            kind: TrajectoryErrorKind::InvalidRecord(message),
        }
    }

    /// The trajectory file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for TrajectoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match (&self.kind, self.record) {
            // The arrayrecord error starts with the path when it knows it.
            (TrajectoryErrorKind::Read(source), _) if source.path().is_some() => {
                write!(f, "{source}")
            }
            (TrajectoryErrorKind::Read(source), _) => {
                write!(f, "{path}: failed to read trajectory: {source}")
            }
            (TrajectoryErrorKind::InvalidRecord(message), Some(record)) => {
                write!(
                    f,
                    "{path}: record {record}: invalid trajectory record: {message}"
                )
            }
            (TrajectoryErrorKind::InvalidRecord(message), None) => {
                write!(f, "{path}: invalid trajectory: {message}")
            }
        }
    }
}

impl std::error::Error for TrajectoryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            TrajectoryErrorKind::Read(source) => Some(source),
            TrajectoryErrorKind::InvalidRecord(_) => None,
        }
    }
}
