//! Logging to stderr and to the run directory's `oed_loop.log`.

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};
use indicatif::ProgressBar;
use tracing_subscriber::filter::{EnvFilter, LevelFilter, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// Target of events that go to the log file only, such as the final error,
/// which `main` prints to stderr itself.
pub const FILE_ONLY: &str = "oed_loop_file_only";

/// Installs the subscriber: stderr at the level of `-q`/`-v` (or `RUST_LOG`),
/// and `log_path` at info, appended to.
pub fn init(stderr_level: LevelFilter, log_path: &Path, bar: ProgressBar) -> Result<()> {
    let log_file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .with_context(|| format!("failed to open log file {}", log_path.display()))?;

    let stderr_filter = EnvFilter::builder()
        .with_default_directive(stderr_level.into())
        .from_env_lossy();
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let stderr_layer = fmt::layer()
        .with_writer(StderrAboveBar { bar })
        .with_ansi(colour)
        .with_target(false)
        .with_filter(stderr_filter)
        .with_filter(filter_fn(|metadata| metadata.target() != FILE_ONLY));
    let file_layer = fmt::layer()
        .with_writer(std::sync::Mutex::new(log_file))
        .with_ansi(false)
        .with_target(false)
        .with_filter(LevelFilter::INFO);

    tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .try_init()
        .context("failed to install the logger")
}

/// Writes each log line to stderr with the progress bar hidden meanwhile.
struct StderrAboveBar {
    bar: ProgressBar,
}

impl<'a> MakeWriter<'a> for StderrAboveBar {
    type Writer = LineBuffer;

    fn make_writer(&'a self) -> LineBuffer {
        LineBuffer {
            bar: self.bar.clone(),
            bytes: Vec::new(),
        }
    }
}

/// One formatted event, written out when the formatter drops it.
struct LineBuffer {
    bar: ProgressBar,
    bytes: Vec<u8>,
}

impl Write for LineBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.bytes.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineBuffer {
    fn drop(&mut self) {
        let bytes = std::mem::take(&mut self.bytes);
        // A failed write to stderr has nowhere to be reported.
        self.bar.suspend(|| {
            let _ = std::io::stderr().lock().write_all(&bytes);
        });
    }
}
