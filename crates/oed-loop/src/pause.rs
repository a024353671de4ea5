//! Test hook that freezes the process at a named point, so that end-to-end
//! tests can SIGKILL the loop exactly there.
//!
//! `OED_LOOP_TEST_PAUSE_AT=<event>:<number>` makes the loop print
//! `oed-loop: paused at <event>:<number>` on stderr and sleep for good when it
//! reaches that point. The number is the experiment's index in the manifest
//! (from 0) for the experiment events, and the number of manifest records the
//! checkpoint covers for `checkpoint`. Users never set the variable; when it is
//! unset the hook costs one comparison.

use std::io::Write;
use std::sync::OnceLock;
use std::time::Duration;

/// The name of the environment variable.
pub const PAUSE_VAR: &str = "OED_LOOP_TEST_PAUSE_AT";

/// A point in the life of an experiment or of the loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Before the runner starts the experiment.
    ExperimentStart,
    /// After the run returned, before its metadata is written.
    RunFinished,
    /// After the metadata, before the manifest append.
    MetadataWritten,
    /// Right after the manifest append.
    ManifestAppended,
    /// Before a checkpoint is written.
    Checkpoint,
}

impl Event {
    fn name(self) -> &'static str {
        match self {
            Event::ExperimentStart => "experiment-start",
            Event::RunFinished => "run-finished",
            Event::MetadataWritten => "metadata-written",
            Event::ManifestAppended => "manifest-appended",
            Event::Checkpoint => "checkpoint",
        }
    }
}

/// Freezes the process if `OED_LOOP_TEST_PAUSE_AT` names this point.
pub fn point(event: Event, number: u64) {
    let Some((name, at)) = requested() else {
        return;
    };
    if name != event.name() || *at != number {
        return;
    }
    let mut stderr = std::io::stderr().lock();
    // Errors are ignored: the test that set the variable reads this line, and
    // nothing else can be done about a closed stderr.
    let _ = writeln!(stderr, "oed-loop: paused at {name}:{at}");
    let _ = stderr.flush();
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn requested() -> &'static Option<(String, u64)> {
    static REQUEST: OnceLock<Option<(String, u64)>> = OnceLock::new();
    REQUEST.get_or_init(|| {
        let text = std::env::var(PAUSE_VAR).ok()?;
        let (name, number) = text.rsplit_once(':')?;
        Some((name.to_string(), number.parse().ok()?))
    })
}
