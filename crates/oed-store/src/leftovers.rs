//! The files that an interrupted experiment leaves in a run directory, which
//! a resumed loop removes before it runs that experiment again.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;

use oed_model::ExperimentRecord;

use crate::atomic::temporary_target;
use crate::run_dir::{
    CHECKPOINT_FILE, METADATA_FILE, PARTIAL_TRAJECTORY_SUFFIX, RUN_METADATA_PREFIX,
    RUN_METADATA_SUFFIX, SUMMARY_FILE, TRAJECTORY_PREFIX, TRAJECTORY_SUFFIX,
};
use crate::{RunDir, RunId, StoreError};

/// A file of a run directory that no record refers to and no reader uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leftover {
    /// The file, inside the run directory.
    pub path: PathBuf,
    /// The reason the file is a leftover.
    pub kind: LeftoverKind,
}

/// The kind of a [`Leftover`]. `Display` gives the reason in words, such as
/// `partial trajectory of an interrupted run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LeftoverKind {
    /// `data_<uuid>.arrayrecord.partial`, a trajectory whose run never
    /// finished.
    PartialTrajectory,
    /// `data_<uuid>.arrayrecord` of a run without a manifest record.
    UnrecordedTrajectory,
    /// `metadata_<uuid>.json` of a run without a manifest record.
    UnrecordedMetadata,
    /// `.<file name>.<random>.tmp`, the temporary file of an interrupted
    /// atomic write of the checkpoint, the summary or metadata.
    InterruptedWrite,
}

impl fmt::Display for LeftoverKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LeftoverKind::PartialTrajectory => "partial trajectory of an interrupted run",
            LeftoverKind::UnrecordedTrajectory => "trajectory of a run without a manifest record",
            LeftoverKind::UnrecordedMetadata => "metadata of a run without a manifest record",
            LeftoverKind::InterruptedWrite => "temporary file of an interrupted write",
        })
    }
}

impl RunDir {
    /// Lists the files that interrupted experiments left, sorted by path:
    /// partial trajectories, trajectories and metadata of runs that have no
    /// record in `records`, and temporary files of interrupted atomic writes.
    /// Removes nothing.
    ///
    /// Only files whose names this crate builds are listed. Any other file,
    /// and a name whose run UUID is not canonical, is kept. Call this only
    /// while holding [`RunDir::lock_for_writing`]: the files of a loop that is
    /// still running would look like leftovers too.
    ///
    /// # Errors
    ///
    /// Fails when the directory cannot be listed.
    pub fn leftovers(&self, records: &[ExperimentRecord]) -> Result<Vec<Leftover>, StoreError> {
        let recorded: HashSet<&str> = records.iter().map(|r| r.run_uuid.as_str()).collect();
        let list_error = |e| StoreError::io(self.path(), "list the run directory", e);

        let mut leftovers = Vec::new();
        for entry in std::fs::read_dir(self.path()).map_err(list_error)? {
            let entry = entry.map_err(list_error)?;
            if entry.file_type().map_err(list_error)?.is_dir() {
                continue;
            }
            let name = entry.file_name();
            let Some(kind) = name.to_str().and_then(|name| classify(name, &recorded)) else {
                continue;
            };
            leftovers.push(Leftover {
                path: entry.path(),
                kind,
            });
        }
        leftovers.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(leftovers)
    }
}

/// Returns the kind of leftover that a file named `name` is, or `None` to
/// keep it.
fn classify(name: &str, recorded: &HashSet<&str>) -> Option<LeftoverKind> {
    let unrecorded_run = |uuid: &str| RunId::parse(uuid).is_ok() && !recorded.contains(uuid);

    if let Some(uuid) = strip_affixes(name, TRAJECTORY_PREFIX, PARTIAL_TRAJECTORY_SUFFIX) {
        return RunId::parse(uuid)
            .is_ok()
            .then_some(LeftoverKind::PartialTrajectory);
    }
    if let Some(uuid) = strip_affixes(name, TRAJECTORY_PREFIX, TRAJECTORY_SUFFIX) {
        return unrecorded_run(uuid).then_some(LeftoverKind::UnrecordedTrajectory);
    }
    if let Some(uuid) = strip_affixes(name, RUN_METADATA_PREFIX, RUN_METADATA_SUFFIX) {
        return unrecorded_run(uuid).then_some(LeftoverKind::UnrecordedMetadata);
    }
    let target = temporary_target(name)?;
    is_atomically_written(target).then_some(LeftoverKind::InterruptedWrite)
}

/// Returns true for the files that this crate replaces with an atomic write.
fn is_atomically_written(name: &str) -> bool {
    let is_run_metadata = strip_affixes(name, RUN_METADATA_PREFIX, RUN_METADATA_SUFFIX)
        .is_some_and(|uuid| RunId::parse(uuid).is_ok());
    is_run_metadata || [CHECKPOINT_FILE, SUMMARY_FILE, METADATA_FILE].contains(&name)
}

fn strip_affixes<'a>(name: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    name.strip_prefix(prefix)?.strip_suffix(suffix)
}

#[cfg(test)]
mod tests {
    use oed_model::{Design, Phase};

    use super::*;

    const RECORDED: &str = "a41386f5-1e40-44a6-bc1c-4ab79afcd64b";
    const OTHER: &str = "198e43f9-fa24-48c6-a9c2-1ac0ca540af6";

    fn record_of(run_uuid: &str) -> ExperimentRecord {
        ExperimentRecord {
            timestamp: "2026-12-04T15:45:00+00:00".to_string(),
            phase: Phase::Seeding,
            iteration: 0,
            run_uuid: run_uuid.to_string(),
            design: Design {
                n: 12,
                k: 1,
                q: 3,
                population_size: 196,
                n_generations: 20,
                mutation_rate: 0.05,
                diversification_ratio: 0.004,
                branch_length: 1.0,
            },
            result: None,
            record_start_idx: 0,
            record_count: 21,
            schema_version: Some(1),
            status: None,
            error: None,
            seed: Some(7),
            duration_s: None,
        }
    }

    fn kind(name: &str) -> Option<LeftoverKind> {
        let recorded: HashSet<&str> = [RECORDED].into_iter().collect();
        classify(name, &recorded)
    }

    #[test]
    fn leftovers_are_recognised() {
        use LeftoverKind::*;
        let cases = [
            (
                format!("data_{RECORDED}.arrayrecord.partial"),
                PartialTrajectory,
            ),
            (
                format!("data_{OTHER}.arrayrecord.partial"),
                PartialTrajectory,
            ),
            (format!("data_{OTHER}.arrayrecord"), UnrecordedTrajectory),
            (format!("metadata_{OTHER}.json"), UnrecordedMetadata),
            (
                ".oed_checkpoint.json.Ab12Cd.tmp".to_string(),
                InterruptedWrite,
            ),
            (".metadata.json.x1.tmp".to_string(), InterruptedWrite),
            (".oed_summary.json.Zz9Yy8.tmp".to_string(), InterruptedWrite),
            (
                format!(".metadata_{RECORDED}.json.q1w2e3.tmp"),
                InterruptedWrite,
            ),
        ];
        for (name, expected) in cases {
            assert_eq!(kind(&name), Some(expected), "{name}");
        }
    }

    #[test]
    fn recorded_and_foreign_files_are_kept() {
        for name in [
            format!("data_{RECORDED}.arrayrecord"),
            format!("metadata_{RECORDED}.json"),
            "metadata.json".to_string(),
            "oed_manifest.jsonl".to_string(),
            "oed_checkpoint.json".to_string(),
            "oed_summary.json".to_string(),
            "oed_loop.log".to_string(),
            ".oed.lock".to_string(),
            "data_../../x.arrayrecord".to_string(),
            "data_../../x.arrayrecord.partial".to_string(),
            "metadata_../../x.json".to_string(),
            format!("data_{}.arrayrecord", OTHER.to_uppercase()),
            "notes.tmp".to_string(),
            ".hidden".to_string(),
            ".notes.txt.Ab12Cd.tmp".to_string(),
            ".oed_manifest.jsonl.Ab12Cd.tmp".to_string(),
            ".metadata_../../x.json.Ab12Cd.tmp".to_string(),
        ] {
            assert_eq!(kind(&name), None, "{name}");
        }
    }

    #[test]
    fn directory_scan_finds_built_names() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::open(root.path()).unwrap();
        let recorded = RunId::parse(RECORDED).unwrap();
        let unrecorded = RunId::parse(OTHER).unwrap();
        let kept = [
            dir.trajectory_path(&recorded),
            dir.run_metadata_path(&recorded),
            dir.manifest_path(),
            dir.lock_path(),
        ];
        let removed = [
            dir.partial_trajectory_path(&recorded),
            dir.trajectory_path(&unrecorded),
            dir.run_metadata_path(&unrecorded),
            root.path().join(".oed_checkpoint.json.Ab12Cd.tmp"),
        ];
        for path in kept.iter().chain(&removed) {
            std::fs::write(path, "x").unwrap();
        }
        // A directory is never a leftover, whatever its name.
        std::fs::create_dir(
            root.path()
                .join(format!("data_{OTHER}.arrayrecord.partial")),
        )
        .unwrap();

        let found = dir.leftovers(&[record_of(RECORDED)]).unwrap();

        let mut expected: Vec<PathBuf> = removed.to_vec();
        expected.sort();
        let paths: Vec<PathBuf> = found.iter().map(|l| l.path.clone()).collect();
        assert_eq!(paths, expected);
    }

    #[test]
    fn display_gives_reason() {
        assert_eq!(
            LeftoverKind::UnrecordedMetadata.to_string(),
            "metadata of a run without a manifest record"
        );
    }
}
