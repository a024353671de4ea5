use serde::{Deserialize, Serialize};

use crate::{Design, ExperimentResult, Phase};

/// One line of `oed_manifest.jsonl`: an experiment's design, result and where its
/// trajectory lives.
///
/// The first eight fields are the ancestor's and always written. The optional
/// fields are this tool's additions: they are omitted when `None`, and the
/// ancestor's reader ignores them. `run_uuid` is kept as read, because a
/// manifest may hold a value that is not a UUID; check it before building a
/// path from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRecord {
    /// When the record was written, RFC 3339 in UTC.
    pub timestamp: String,
    pub phase: Phase,
    /// Index of the experiment within its phase, from 0.
    pub iteration: u64,
    /// Identifies the run: its trajectory is `data_<run_uuid>.arrayrecord`.
    pub run_uuid: String,
    pub design: Design,
    /// The measured metrics; `None` (JSON `null`) for a failed run.
    pub result: Option<ExperimentResult>,
    /// Index of the run's first record within its trajectory file.
    pub record_start_idx: u64,
    /// Number of trajectory records the run wrote.
    pub record_count: u64,
    /// Version of the record layout; absent in the ancestor's files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
    /// Whether the run completed; absent in the ancestor's files, where every
    /// recorded run completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// Why the run failed, for a failed run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The run's own random seed, enough to repeat it alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Wall time of the run in seconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::nonfinite::option"
    )]
    pub duration_s: Option<f64>,
}

impl ExperimentRecord {
    /// Whether the run failed: `status` says so, or there is no result.
    pub fn is_failed(&self) -> bool {
        self.status == Some(RunStatus::Failed) || self.result.is_none()
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Completed,
    Failed,
}
