use std::fmt;
use std::io;

use oed_store::StoreError;

/// An error summarising or listing a manifest.
///
/// `Display` names the file (and line) for a manifest or summary error.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    /// Reading the manifest or writing the summary failed.
    Store(StoreError),
    /// Writing rows to the output failed.
    Output(io::Error),
}

impl Error {
    pub(crate) fn output(error: io::Error) -> Error {
        Error {
            kind: ErrorKind::Output(error),
        }
    }

    /// The underlying store error, for an error reading the manifest or
    /// writing the summary.
    pub fn store_error(&self) -> Option<&StoreError> {
        match &self.kind {
            ErrorKind::Store(error) => Some(error),
            ErrorKind::Output(_) => None,
        }
    }

    /// Whether writing the output failed because its reader went away, as
    /// when the output is piped into `head`.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(&self.kind, ErrorKind::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Error {
        Error {
            kind: ErrorKind::Store(error),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Store(error) => error.fmt(f),
            ErrorKind::Output(error) => write!(f, "failed to write the output: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Store(error) => error.source(),
            ErrorKind::Output(error) => Some(error),
        }
    }
}
