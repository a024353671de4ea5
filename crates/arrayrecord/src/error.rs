//! The error type of every fallible operation in this crate.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// An error reading or writing an ArrayRecord file.
///
/// `Display` starts with the file's path when it is known and the byte offset
/// of the damaged or missing part, then describes the problem, for example
/// `data.arrayrecord: offset 65536: block header hash mismatch (...)`.
#[derive(Debug)]
pub struct Error {
    path: Option<PathBuf>,
    offset: Option<u64>,
    kind: ErrorKind,
}

#[derive(Debug)]
pub(crate) enum ErrorKind {
    Io {
        operation: &'static str,
        source: io::Error,
    },
    InvalidOptions(String),
    WriterPoisoned,
    FileTooSmall {
        size: u64,
    },
    FileSizeNotBlockMultiple {
        size: u64,
    },
    ChunkBoundaryInsideBlockHeader,
    ChunkPastRange {
        chunk_end: Option<u64>,
        range_end: u64,
    },
    BlockHeaderHash {
        stored: u64,
        computed: u64,
    },
    BlockHeaderDistance {
        field: &'static str,
        stored: u64,
        expected: u64,
    },
    ChunkHeaderHash {
        stored: u64,
        computed: u64,
    },
    ChunkDataHash {
        stored: u64,
        computed: u64,
    },
    UnexpectedChunkType {
        found: u8,
        expected: u8,
    },
    Unsupported(String),
    InvalidChunk(String),
    InvalidPostscript(String),
    InvalidFooter(String),
    IndexOutOfRange {
        index: u64,
        num_records: u64,
    },
    RangeOutOfBounds {
        start: u64,
        end: u64,
        num_records: u64,
    },
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error {
            path: None,
            offset: None,
            kind,
        }
    }

    pub(crate) fn at(offset: u64, kind: ErrorKind) -> Error {
        Error {
            path: None,
            offset: Some(offset),
            kind,
        }
    }

    pub(crate) fn io(operation: &'static str, offset: Option<u64>, source: io::Error) -> Error {
        Error {
            path: None,
            offset,
            kind: ErrorKind::Io { operation, source },
        }
    }

    /// Sets the path shown in messages, unless one is already set.
    pub(crate) fn with_path(mut self, path: Option<&Path>) -> Error {
        if self.path.is_none() {
            self.path = path.map(Path::to_path_buf);
        }
        self
    }

    /// Returns the path of the file, when the reader or writer was opened by
    /// path.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Returns the byte offset in the file where the problem was found, when it
    /// concerns one place in the file.
    pub fn offset(&self) -> Option<u64> {
        self.offset
    }

    /// Returns whether the error came from the underlying reader or writer
    /// rather than from the file's content or the caller's arguments.
    pub fn is_io(&self) -> bool {
        matches!(self.kind, ErrorKind::Io { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}: ", path.display())?;
        }
        if let Some(offset) = self.offset {
            write!(f, "offset {offset}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DAMAGED: &str = "the file is damaged";
        match self {
            ErrorKind::Io { operation, source }
                if source.kind() == io::ErrorKind::UnexpectedEof =>
            {
                write!(
                    f,
                    "failed to {operation}: unexpected end of file; the file is truncated"
                )
            }
            ErrorKind::Io { operation, source } => write!(f, "failed to {operation}: {source}"),
            ErrorKind::InvalidOptions(message) => write!(f, "invalid writer options: {message}"),
            ErrorKind::WriterPoisoned => {
                write!(
                    f,
                    "writer failed earlier and cannot continue; the file is incomplete"
                )
            }
            ErrorKind::FileTooSmall { size } => write!(
                f,
                "file of {size} bytes is too small for an ArrayRecord file (at least 65536 \
                 bytes); the file is truncated or not an ArrayRecord file"
            ),
            ErrorKind::FileSizeNotBlockMultiple { size } => write!(
                f,
                "file size {size} is not a multiple of 65536 bytes; the file is truncated \
                 or not an ArrayRecord file"
            ),
            ErrorKind::ChunkBoundaryInsideBlockHeader => {
                write!(
                    f,
                    "chunk offset points inside a block header; the index is damaged"
                )
            }
            ErrorKind::ChunkPastRange {
                chunk_end: Some(chunk_end),
                range_end,
            } => write!(
                f,
                "chunk ends at offset {chunk_end}, past the end of its range at {range_end}; \
                 the file is truncated or damaged"
            ),
            ErrorKind::ChunkPastRange {
                chunk_end: None,
                range_end,
            } => write!(
                f,
                "chunk size overflows, past the end of its range at {range_end}; {DAMAGED}"
            ),
            ErrorKind::BlockHeaderHash { stored, computed } => write!(
                f,
                "block header hash mismatch (stored {stored:#018x}, computed \
                 {computed:#018x}); {DAMAGED}"
            ),
            ErrorKind::BlockHeaderDistance {
                field,
                stored,
                expected,
            } => write!(
                f,
                "block header field {field} is {stored}, expected {expected}; {DAMAGED}"
            ),
            ErrorKind::ChunkHeaderHash { stored, computed } => write!(
                f,
                "chunk header hash mismatch (stored {stored:#018x}, computed \
                 {computed:#018x}); {DAMAGED}"
            ),
            ErrorKind::ChunkDataHash { stored, computed } => write!(
                f,
                "chunk data hash mismatch (stored {stored:#018x}, computed \
                 {computed:#018x}); {DAMAGED}"
            ),
            ErrorKind::UnexpectedChunkType { found, expected } => write!(
                f,
                "unexpected chunk type {:?}, expected {:?}; {DAMAGED}",
                char::from(*found),
                char::from(*expected)
            ),
            ErrorKind::Unsupported(message) => write!(f, "unsupported {message}"),
            ErrorKind::InvalidChunk(message) => write!(f, "invalid chunk: {message}"),
            ErrorKind::InvalidPostscript(message) => write!(
                f,
                "invalid postscript: {message}; the file is truncated, damaged or not an \
                 ArrayRecord file"
            ),
            ErrorKind::InvalidFooter(message) => write!(f, "invalid footer: {message}; {DAMAGED}"),
            ErrorKind::IndexOutOfRange { index, num_records } => write!(
                f,
                "record index {index} out of range: the file holds {num_records} records"
            ),
            ErrorKind::RangeOutOfBounds {
                start,
                end,
                num_records,
            } => write!(
                f,
                "record range {start}..{end} out of bounds: the file holds {num_records} records"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_puts_path_and_offset_first() {
        let error = Error::at(
            65536,
            ErrorKind::BlockHeaderHash {
                stored: 1,
                computed: 2,
            },
        )
        .with_path(Some(Path::new("runs/data.arrayrecord")));
        assert_eq!(
            error.to_string(),
            "runs/data.arrayrecord: offset 65536: block header hash mismatch \
             (stored 0x0000000000000001, computed 0x0000000000000002); the file is damaged"
        );
    }

    #[test]
    fn display_names_truncation_for_unexpected_eof() {
        let source = io::Error::from(io::ErrorKind::UnexpectedEof);
        let error = Error::io("read chunk", Some(128), source);
        assert_eq!(
            error.to_string(),
            "offset 128: failed to read chunk: unexpected end of file; the file is truncated"
        );
        assert!(error.is_io());
    }
}
