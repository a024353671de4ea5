//! Opening the run directory: a new loop, or `--resume` of a recorded one.
//!
//! The manifest is the truth and the checkpoint only a cross-check: the loop's
//! position, history and seeds are all derived from the manifest's records.
//! Files that an interrupted experiment left behind (a `.partial`
//! trajectory, a trajectory or metadata file whose run has no manifest record,
//! an atomic writer's temporary file) are removed, and that experiment runs
//! again from scratch.

use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use oed_model::{ExperimentRecord, Metric, ParameterSpace};
use oed_store::{
    Checkpoint, LeftoverKind, MANIFEST_FILE, ReadOptions, RunDir, RunDirLock, load_checkpoint,
    load_manifest,
};
use serde_json::Value;

use crate::cli::{AcquisitionArg, Settings, TrajectoryArg};

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
    checkpoint: Option<Checkpoint>,
    loop_state: &Value,
) -> Result<StartState> {
    let manifest = load_manifest(dir.manifest_path(), ReadOptions::strict())
        .map_err(|error| manifest_error(dir, &error))?;
    let records = manifest.records;

    let seed = choose_seed(settings, checkpoint.as_ref());

    if settings.resume {
        report_resume(dir, &records, checkpoint.as_ref(), seed, loop_state);
        remove_leftovers(dir, &records)?;
    }
    Ok(StartState { records, seed })
}

/// The store's advice for an invalid line, which names a lenient reading
/// that `oed-loop` does not offer.
const LENIENT_ADVICE: &str = ", or read the manifest leniently to skip it";

/// Describes a manifest that cannot be read, with what the user can do.
fn manifest_error(dir: &RunDir, error: &oed_store::StoreError) -> anyhow::Error {
    let text = error.to_string();
    match (error.line(), text.strip_suffix(LENIENT_ADVICE)) {
        (Some(_), Some(text)) => anyhow::anyhow!(
            "{text}, then run again with --resume; `oed-cli --lenient {}` lists the other \
             records",
            dir.path().display()
        ),
        _ => anyhow::anyhow!("failed to read the manifest: {text}"),
    }
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
        tracing::warn!(
            "nothing to resume in {}; starting a new loop",
            dir.path().display()
        );
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
        // How often checkpoints are saved and the free space kept do not
        // change the records.
        let ignored = [
            "oed_version",
            "seed",
            "checkpoint_every",
            "min_free_disk_bytes",
        ];
        if ignored.contains(&key.as_str()) {
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
    let leftovers = dir.leftovers(records)?;
    for leftover in &leftovers {
        remove(&leftover.path, leftover.kind)?;
    }
    if !leftovers.is_empty() {
        tracing::warn!(
            "removed {} files of interrupted experiments, which run again (-v lists them)",
            leftovers.len()
        );
    }
    Ok(())
}

fn remove(path: &Path, kind: LeftoverKind) -> Result<()> {
    std::fs::remove_file(path)
        .with_context(|| format!("failed to remove {} ({kind})", path.display()))?;
    tracing::debug!(path = %path.display(), "removed {kind}; the experiment runs again");
    Ok(())
}

/// Reads the checkpoint, warning and returning `None` when it is unusable.
pub fn read_checkpoint(dir: &RunDir) -> Option<Checkpoint> {
    match load_checkpoint(dir) {
        Ok(checkpoint) => checkpoint,
        Err(error) => {
            tracing::warn!("{error}; resuming from the manifest alone");
            None
        }
    }
}

/// Takes each setting the checkpoint's loop state records from the
/// checkpoint, unless `explicit` returns true for it (given on the command line). Returns the
/// names of the restored settings.
///
/// A setting given on the command line that differs from the recorded one is
/// kept; [`load_start_state`] then warns that the loop changed.
pub fn restore_settings(
    settings: &mut Settings,
    recorded: &Value,
    explicit: &dyn Fn(&str) -> bool,
) -> Vec<&'static str> {
    let mut restored = Vec::new();
    let mut take = |id: &'static str, key: &str, apply: &mut dyn FnMut(&Value) -> bool| {
        if explicit(id) {
            return;
        }
        if let Some(value) = recorded.get(key) {
            if apply(value) {
                restored.push(id);
            } else {
                tracing::warn!("invalid {key} {value} in the checkpoint; using the default");
            }
        }
    };
    take(
        "space",
        "space",
        &mut |v| match ParameterSpace::from_json_str(&v.to_string()) {
            Ok(space) => {
                settings.space = space;
                true
            }
            Err(_) => false,
        },
    );
    take(
        "num_initial_experiments",
        "num_initial_experiments",
        &mut |v| v.as_u64().map(|n| settings.num_initial = n).is_some(),
    );
    take("num_oed_iterations", "num_oed_iterations", &mut |v| {
        v.as_u64().map(|n| settings.num_iterations = n).is_some()
    });
    take("batch_size", "batch_size", &mut |v| {
        positive(v).map(|n| settings.batch_size = n).is_some()
    });
    take("candidates", "candidates", &mut |v| {
        positive(v).map(|n| settings.candidates = n).is_some()
    });
    take("restarts", "restarts", &mut |v| {
        positive(v).map(|n| settings.restarts = n).is_some()
    });
    take("acquisition", "acquisition", &mut |v| {
        let name = v.as_str().unwrap_or_default();
        let name = name.split('(').next().unwrap_or_default();
        variant(name, |a: &AcquisitionArg| {
            a.to_possible_value().map(|p| p.get_name().to_owned())
        })
        .map(|a| settings.acquisition = a)
        .is_some()
    });
    take("target", "target", &mut |v| {
        v.as_str()
            .and_then(|name| name.parse::<Metric>().ok())
            .map(|m| settings.target = m)
            .is_some()
    });
    take("kappa", "kappa", &mut |v| {
        v.as_f64()
            .filter(|k| k.is_finite() && *k >= 0.0)
            .map(|k| settings.kappa = k)
            .is_some()
    });
    take("feature_mode", "feature_mode", &mut |v| {
        debug_variant(v)
            .map(|m| settings.feature_mode = m)
            .is_some()
    });
    take("kernel", "kernel", &mut |v| {
        debug_variant(v).map(|k| settings.kernel = k).is_some()
    });
    take("resampling", "resampling", &mut |v| {
        debug_variant(v).map(|r| settings.resampling = r).is_some()
    });
    take("trajectory", "trajectory", &mut |v| {
        v.as_str()
            .and_then(|text| text.parse::<TrajectoryArg>().ok())
            .map(|t| settings.trajectory = t)
            .is_some()
    });
    take("trajectory_budget", "trajectory_budget_bytes", &mut |v| {
        v.as_u64()
            .map(|b| settings.trajectory_budget_bytes = b)
            .is_some()
    });
    take("checkpoint_every", "checkpoint_every", &mut |v| {
        v.as_u64()
            .filter(|&n| n >= 1)
            .map(|n| settings.checkpoint_every = n)
            .is_some()
    });
    take("min_free_disk", "min_free_disk_bytes", &mut |v| {
        v.as_u64()
            .map(|b| settings.min_free_disk_bytes = b)
            .is_some()
    });
    take("beta", "beta", &mut |v| {
        v.as_f64()
            .filter(|b| b.is_finite() && *b > 0.0)
            .map(|b| settings.beta = b)
            .is_some()
    });
    restored
}

fn positive(value: &Value) -> Option<usize> {
    value
        .as_u64()
        .filter(|&n| n >= 1)
        .and_then(|n| usize::try_from(n).ok())
}

/// Returns the variant of `T` whose `name` is `wanted`.
fn variant<T: ValueEnum>(wanted: &str, name: impl Fn(&T) -> Option<String>) -> Option<T> {
    T::value_variants()
        .iter()
        .find(|v| name(v).as_deref() == Some(wanted))
        .cloned()
}

/// Returns the variant of `T` whose `Debug` text is the string `value`, as
/// the loop state records it.
fn debug_variant<T: ValueEnum + std::fmt::Debug>(value: &Value) -> Option<T> {
    variant(value.as_str()?, |v: &T| Some(format!("{v:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_manifest_line_advice_fits_oed_loop() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::create(root.path()).unwrap();
        std::fs::write(dir.manifest_path(), "{\"run_uuid\": 3}\n{}\n").unwrap();
        let error = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap_err();

        let text = manifest_error(&dir, &error).to_string();
        assert!(
            text.contains("oed_manifest.jsonl:1: invalid record"),
            "{text}"
        );
        assert!(text.contains("fix or remove the line"), "{text}");
        assert!(text.contains("then run again with --resume"), "{text}");
        assert!(text.contains("oed-cli --lenient"), "{text}");
        assert!(!text.contains("leniently"), "{text}");
    }
}
