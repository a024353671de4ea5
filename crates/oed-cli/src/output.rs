//! Writing to stdout and telling a closed pipe from a failure.

use std::io::{self, BufWriter, StdoutLock, Write};

use anyhow::Context;

/// Whether a command found what it looked for; decides the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Found,
    NothingFound,
}

/// Returns buffered, locked stdout.
///
/// Rust ignores SIGPIPE, so writing after the reader has gone returns a
/// `BrokenPipe` error, which [`is_broken_pipe`] recognises.
pub fn stdout() -> BufWriter<StdoutLock<'static>> {
    BufWriter::with_capacity(256 * 1024, io::stdout().lock())
}

/// Writes `text` to stdout and flushes it.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = stdout();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("failed to write to stdout")
}

/// Whether an error chain ends in a write to a closed pipe.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let io_broken = cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe);
        let rows_broken = cause
            .downcast_ref::<oed_summary::Error>()
            .is_some_and(oed_summary::Error::is_broken_pipe);
        io_broken || rows_broken
    })
}
