//! Opening the run directory: a new loop, or `--resume` of a recorded one.
//!
//! The manifest is the truth and the checkpoint only a cross-check: the loop's
//! position, history and seeds are all derived from the manifest's records.
//! Files that an interrupted experiment left behind (a `.partial`
//! trajectory, a trajectory or metadata file whose run has no manifest record,
//! an atomic writer's temporary file) are removed, and that experiment runs
//! again from scratch.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result, bail};
use oed_model::ExperimentRecord;
use oed_store::{
    Checkpoint, MANIFEST_FILE, ReadOptions, RunDir, RunDirLock, RunId, load_checkpoint,
    load_manifest,
};
use serde_json::Value;

use crate::cli::Settings;

/// The loop seed when neither `--seed` nor a checkpoint gives one.
pub const DEFAULT_SEED: u64 = 42;

/// Opens or creates the run directory and takes its writer lock, rejecting a
/// recorded loop unless `--resume` was given. Creates nothing but the
/// directory itself and its lock file.
///
/// The lock is taken before anything is read, so a second loop on the same
/// directory fails before it can remove the first one's files. The caller
/// holds the returned lock until it exits.
pub fn open_run_dir(settings: &Settings) -> Result<(RunDir, RunDirLock)> {
    let path = &settings.output_dir;
    let manifest = path.join(MANIFEST_FILE);
    if !settings.resume && manifest.exists() {
        bail!(
            "{}: a loop is already recorded here ({} exists); add --resume to continue it, \
             or pick another --output-dir to start a new one",
            path.display(),
            MANIFEST_FILE
        );
    }
    let dir = RunDir::create(path)
        .with_context(|| format!("failed to open run directory {}", path.display()))?;
    let lock = dir.lock_for_writing()?;
    Ok((dir, lock))
}

/// The directory's records and the loop seed when the loop starts.
#[derive(Debug)]
pub struct StartState {
    pub records: Vec<ExperimentRecord>,
    pub seed: u64,
}

/// Reads the manifest and checkpoint, reports how they relate, and removes
/// the leftovers of an interrupted experiment.
pub fn load_start_state(
    dir: &RunDir,
    settings: &Settings,
    loop_state: &Value,
) -> Result<StartState> {
    let manifest = load_manifest(dir.manifest_path(), ReadOptions::strict()).context(
        "failed to read the manifest; repair or remove the line named above, then run again \
         with --resume",
    )?;
    let records = manifest.records;

    let checkpoint = match load_checkpoint(dir) {
        Ok(checkpoint) => checkpoint,
        Err(error) => {
            tracing::warn!("{error}; resuming from the manifest alone");
            None
        }
    };
    let seed = choose_seed(settings, checkpoint.as_ref());

    if settings.resume {
        report_resume(dir, &records, checkpoint.as_ref(), seed, loop_state);
        remove_leftovers(dir, &records)?;
    }
    Ok(StartState { records, seed })
}

fn choose_seed(settings: &Settings, checkpoint: Option<&Checkpoint>) -> u64 {
    let recorded = checkpoint.map(|c| c.seed);
    match (settings.seed, recorded) {
        (Some(given), Some(recorded)) if given != recorded => {
            tracing::warn!(
                "--seed {given} differs from the checkpoint's seed {recorded}: new designs and \
                 experiment seeds follow --seed {given}, so the loop will not match an \
                 uninterrupted one"
            );
            given
        }
        (Some(given), _) => given,
        (None, Some(recorded)) if settings.resume => recorded,
        (None, _) => DEFAULT_SEED,
    }
}

fn report_resume(
    dir: &RunDir,
    records: &[ExperimentRecord],
    checkpoint: Option<&Checkpoint>,
    seed: u64,
    loop_state: &Value,
) {
    if records.is_empty() && checkpoint.is_none() {
        tracing::info!(dir = %dir.path().display(), "nothing recorded yet, starting a new loop");
        return;
    }
    tracing::info!(
        dir = %dir.path().display(),
        records = records.len(),
        seed,
        "resuming loop"
    );

    let foreign = records.iter().filter(|r| r.seed.is_none()).count();
    if foreign > 0 {
        tracing::warn!(
            "{foreign} of {} records carry no experiment seed (written by the Python ancestor \
             or another tool): their random stream cannot be continued, so they only train the \
             surrogate, and new designs and experiment seeds derive from loop seed {seed}",
            records.len()
        );
    }

    let Some(checkpoint) = checkpoint else {
        tracing::info!(
            "no checkpoint found; the position of the loop comes from the manifest alone"
        );
        return;
    };
    let covered = checkpoint.manifest_records;
    let total = records.len() as u64;
    if covered > total {
        tracing::warn!(
            "{}: the checkpoint covers {covered} records but the manifest holds {total}; \
             trusting the manifest",
            dir.checkpoint_path().display()
        );
    } else if covered < total {
        tracing::info!(
            "{} experiments were recorded after the last checkpoint",
            total - covered
        );
    }
    if let Some(recorded) = &checkpoint.loop_state {
        warn_about_changed_settings(recorded, loop_state);
    }
}

/// Warns for each setting that differs from the checkpoint's, because a
/// changed setting makes the resumed loop differ from an uninterrupted one.
fn warn_about_changed_settings(recorded: &Value, current: &Value) {
    let (Some(recorded), Some(current)) = (recorded.as_object(), current.as_object()) else {
        return;
    };
    for (key, value) in current {
        // The seed is compared by `choose_seed`, and a new version is expected.
        if key == "oed_version" || key == "seed" {
            continue;
        }
        match recorded.get(key) {
            Some(old) if old != value => tracing::warn!(
                "setting {key} changed since the checkpoint (was {old}, now {value}): \
                 the resumed loop will not match an uninterrupted one"
            ),
            _ => {}
        }
    }
}

/// Removes what an interrupted experiment left: partial trajectories,
/// trajectories and metadata of runs without a manifest record, and
/// temporary files of interrupted atomic writes.
fn remove_leftovers(dir: &RunDir, records: &[ExperimentRecord]) -> Result<()> {
    let recorded: HashSet<&str> = records.iter().map(|r| r.run_uuid.as_str()).collect();
    let entries = std::fs::read_dir(dir.path())
        .with_context(|| format!("failed to list run directory {}", dir.path().display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to list {}", dir.path().display()))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if let Some(reason) = leftover_reason(name, &recorded) {
            remove(&entry.path(), reason)?;
        }
    }
    Ok(())
}

/// Returns why a file is a leftover, or `None` to keep it.
fn leftover_reason(name: &str, recorded: &HashSet<&str>) -> Option<&'static str> {
    let unrecorded_run = |uuid: &str| RunId::parse(uuid).is_ok() && !recorded.contains(uuid);
    if let Some(uuid) = name
        .strip_prefix("data_")
        .and_then(|rest| rest.strip_suffix(".arrayrecord.partial"))
    {
        return RunId::parse(uuid)
            .is_ok()
            .then_some("partial trajectory of an interrupted run");
    }
    if let Some(uuid) = name
        .strip_prefix("data_")
        .and_then(|rest| rest.strip_suffix(".arrayrecord"))
    {
        return unrecorded_run(uuid).then_some("trajectory of a run without a manifest record");
    }
    if let Some(uuid) = name
        .strip_prefix("metadata_")
        .and_then(|rest| rest.strip_suffix(".json"))
    {
        return unrecorded_run(uuid).then_some("metadata of a run without a manifest record");
    }
    let is_temporary = name.starts_with('.') && name.ends_with(".tmp");
    let tracked = ["oed_checkpoint.json", "metadata", "oed_summary.json"];
    if is_temporary && tracked.iter().any(|t| name[1..].starts_with(t)) {
        return Some("temporary file of an interrupted write");
    }
    None
}

fn remove(path: &Path, reason: &str) -> Result<()> {
    std::fs::remove_file(path)
        .with_context(|| format!("failed to remove {} ({reason})", path.display()))?;
    tracing::warn!(path = %path.display(), "removed {reason}; the experiment runs again");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDED: &str = "a41386f5-1e40-44a6-bc1c-4ab79afcd64b";
    const OTHER: &str = "198e43f9-fa24-48c6-a9c2-1ac0ca540af6";

    fn reason(name: &str) -> Option<&'static str> {
        let recorded: HashSet<&str> = [RECORDED].into_iter().collect();
        leftover_reason(name, &recorded)
    }

    #[test]
    fn leftovers_are_recognised() {
        assert!(reason(&format!("data_{RECORDED}.arrayrecord.partial")).is_some());
        assert!(reason(&format!("data_{OTHER}.arrayrecord")).is_some());
        assert!(reason(&format!("metadata_{OTHER}.json")).is_some());
        assert!(reason(".oed_checkpoint.json.Ab12Cd.tmp").is_some());
        assert!(reason(".metadata.json.x1.tmp").is_some());
    }

    #[test]
    fn recorded_and_foreign_files_are_kept() {
        assert_eq!(reason(&format!("data_{RECORDED}.arrayrecord")), None);
        assert_eq!(reason(&format!("metadata_{RECORDED}.json")), None);
        assert_eq!(reason("metadata.json"), None);
        assert_eq!(reason("oed_manifest.jsonl"), None);
        assert_eq!(reason("oed_loop.log"), None);
        assert_eq!(reason("data_../../x.arrayrecord"), None);
        assert_eq!(reason("notes.tmp"), None);
        assert_eq!(reason(".hidden"), None);
    }
}
