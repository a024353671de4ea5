//! `show`: one run's manifest record, metadata and trajectory.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use oed_model::{Design, ExperimentRecord, Metric, nonfinite};
use oed_store::{RunDir, RunId, read_manifest, read_metadata};
use serde::Serialize;
use serde_json::Value;

use crate::args::Settings;
use crate::output::{self, Outcome};

/// Maximum number of candidate UUIDs named when a prefix is ambiguous.
const MAX_CANDIDATES: usize = 5;

/// The output of `show --json`; field names are documented in docs/cli.md.
#[derive(Serialize)]
struct Shown {
    run_uuid: String,
    records: Vec<IndexedRecord>,
    metadata: Option<Metadata>,
    trajectory: Trajectory,
}

#[derive(Serialize)]
struct IndexedRecord {
    index: u64,
    #[serde(flatten)]
    record: ExperimentRecord,
}

#[derive(Serialize)]
struct Metadata {
    path: String,
    /// `run` for `metadata_<uuid>.json`, `latest` for a matching
    /// `metadata.json`.
    source: &'static str,
    content: Value,
}

#[derive(Serialize)]
struct Trajectory {
    path: String,
    exists: bool,
    size_bytes: Option<u64>,
    records: Option<u64>,
    error: Option<String>,
}

/// Prints the run whose UUID starts with `query`.
pub fn show(dir: &RunDir, settings: &Settings, query: &str) -> anyhow::Result<Outcome> {
    let query = check_query(query)?;
    let records = find_records(dir, settings, &query)?;
    let Some((_, last)) = records.last() else {
        let filter = match &settings.phase {
            Some(phase) => format!(" with --phase {}", phase.as_str()),
            None => String::new(),
        };
        tracing::warn!(
            "no run matches {query:?}{filter} in {}",
            dir.manifest_path().display()
        );
        return Ok(Outcome::NothingFound);
    };

    // The manifest reader only accepts canonical UUIDs, but check again
    // before the value becomes part of a file name.
    let id = RunId::parse(&last.run_uuid).with_context(|| {
        format!(
            "{}: rejected run_uuid {:?}, which cannot name a file",
            dir.manifest_path().display(),
            last.run_uuid
        )
    })?;
    let metadata = find_metadata(dir, &id, last);
    let trajectory = inspect_trajectory(&dir.trajectory_path(&id));
    let shown = Shown {
        run_uuid: id.to_string(),
        records: records
            .into_iter()
            .map(|(index, record)| IndexedRecord { index, record })
            .collect(),
        metadata,
        trajectory,
    };

    let text = if settings.json {
        serde_json::to_string_pretty(&shown)? + "\n"
    } else {
        shown_text(&shown)
    };
    output::print(&text)?;
    Ok(Outcome::Found)
}

/// The usage line of `show`, repeated in messages about its arguments.
const USAGE: &str = "usage: oed-cli show <RUN_UUID> [DIR]";

/// Checks that `query` can be part of a run UUID and returns it in lowercase.
pub fn check_query(query: &str) -> anyhow::Result<String> {
    let valid = !query.is_empty()
        && query.len() <= 36
        && query.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if !valid || Path::new(query).is_dir() {
        let given = if Path::new(query).is_dir() {
            format!("{query:?} is a directory, so the run UUID is missing")
        } else {
            format!("invalid run UUID {query:?}")
        };
        bail!(
            "{given}: expected a run UUID or its first characters, hexadecimal digits \
             and hyphens such as a41386f5-1e40, before the directory; {USAGE}"
        );
    }
    Ok(query.to_ascii_lowercase())
}

/// Returns the records (with their indices) of the one run whose UUID starts
/// with `query`.
fn find_records(
    dir: &RunDir,
    settings: &Settings,
    query: &str,
) -> anyhow::Result<Vec<(u64, ExperimentRecord)>> {
    let mut matches: Vec<(u64, ExperimentRecord)> = Vec::new();
    let mut uuids: Vec<String> = Vec::new();
    let reader = read_manifest(dir.manifest_path(), settings.read)?;
    for (index, record) in reader.enumerate() {
        let record = record?;
        if !record.run_uuid.starts_with(query) {
            continue;
        }
        if settings.phase.as_ref().is_some_and(|p| p != &record.phase) {
            continue;
        }
        if !uuids.contains(&record.run_uuid) {
            uuids.push(record.run_uuid.clone());
        }
        matches.push((index as u64, record));
    }

    if uuids.len() > 1 {
        let shown: Vec<&str> = uuids
            .iter()
            .take(MAX_CANDIDATES)
            .map(String::as_str)
            .collect();
        let more = if uuids.len() > MAX_CANDIDATES {
            ", ..."
        } else {
            ""
        };
        bail!(
            "run UUID prefix {query:?} is ambiguous: it matches {} runs ({}{more}); \
             give more characters",
            uuids.len(),
            shown.join(", ")
        );
    }
    Ok(matches)
}

/// Returns the run's own metadata file, or `metadata.json` when its OED
/// fields describe this record. An unreadable file is reported and skipped.
fn find_metadata(dir: &RunDir, id: &RunId, record: &ExperimentRecord) -> Option<Metadata> {
    let run_path = dir.run_metadata_path(id);
    if let Some(content) = read_metadata_or_warn(&run_path) {
        return Some(Metadata {
            path: run_path.display().to_string(),
            source: "run",
            content,
        });
    }
    let latest_path = dir.metadata_path();
    let content = read_metadata_or_warn(&latest_path)?;
    if !describes(&content, record) {
        tracing::debug!(
            "{} describes another run, so it is not shown",
            latest_path.display()
        );
        return None;
    }
    Some(Metadata {
        path: latest_path.display().to_string(),
        source: "latest",
        content,
    })
}

/// Reads a metadata file; `None` when it is missing or, with a warning,
/// unreadable.
fn read_metadata_or_warn(path: &Path) -> Option<Value> {
    match read_metadata(path) {
        Ok(object) => object.map(Value::Object),
        Err(error) => {
            tracing::warn!("{error}; showing the run without it");
            None
        }
    }
}

/// Checks whether metadata's `oed_design`, `oed_phase` and `oed_iteration` are the
/// record's.
fn describes(metadata: &Value, record: &ExperimentRecord) -> bool {
    let design = serde_json::from_value::<Design>(metadata["oed_design"].clone());
    design.is_ok_and(|design| design == record.design)
        && metadata["oed_phase"] == record.phase.as_str()
        && metadata["oed_iteration"] == record.iteration
}

/// Reads a trajectory's size and record count; a failure is reported in the
/// result, not raised, so the rest of the run is still shown.
fn inspect_trajectory(path: &Path) -> Trajectory {
    let mut trajectory = Trajectory {
        path: path.display().to_string(),
        exists: false,
        size_bytes: None,
        records: None,
        error: None,
    };
    let size = match std::fs::metadata(path) {
        Ok(metadata) => metadata.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return trajectory,
        Err(e) => {
            trajectory.error = Some(format!("{}: {e}", path.display()));
            return trajectory;
        }
    };
    trajectory.exists = true;
    trajectory.size_bytes = Some(size);
    match arrayrecord::Reader::open(path) {
        Ok(reader) => trajectory.records = Some(reader.num_records()),
        Err(error) => {
            tracing::warn!("{error}");
            trajectory.error = Some(error.to_string());
        }
    }
    trajectory
}

fn shown_text(shown: &Shown) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "run_uuid     {}", shown.run_uuid);
    for IndexedRecord { index, record } in &shown.records {
        write_record(&mut text, *index, record);
    }

    let trajectory = &shown.trajectory;
    let _ = write!(text, "trajectory   {}: ", trajectory.path);
    match (&trajectory.records, &trajectory.error) {
        (_, Some(error)) => {
            // The line starts with the path, so it is not repeated.
            let reason = error
                .strip_prefix(trajectory.path.as_str())
                .and_then(|rest| rest.strip_prefix(": "))
                .unwrap_or(error);
            let _ = writeln!(text, "unreadable: {reason}");
        }
        (Some(records), None) => {
            let size = trajectory.size_bytes.unwrap_or(0);
            let _ = writeln!(text, "{records} records, {size} bytes");
        }
        (None, None) => {
            let _ = writeln!(text, "not found");
        }
    }

    match &shown.metadata {
        Some(metadata) => {
            let why = match metadata.source {
                "latest" => " (its oed_design, oed_phase and oed_iteration match this run)",
                _ => "",
            };
            let _ = writeln!(text, "metadata     {}{why}", metadata.path);
            let pretty = serde_json::to_string_pretty(&metadata.content).unwrap_or_default();
            for line in pretty.lines() {
                let _ = writeln!(text, "  {line}");
            }
        }
        None => {
            let _ = writeln!(text, "metadata     none found");
        }
    }
    text
}

fn write_record(text: &mut String, index: u64, record: &ExperimentRecord) {
    let status = if record.is_failed() {
        "failed"
    } else {
        "completed"
    };
    let _ = writeln!(
        text,
        "record       index {index}, {} iteration {}, {}, {status}",
        record.phase, record.iteration, record.timestamp
    );
    let _ = writeln!(text, "design       {}", record.design);
    match &record.result {
        Some(result) => {
            for metric in Metric::ALL {
                let _ = writeln!(
                    text,
                    "  {:<30} {}",
                    metric.name(),
                    exact(result.get(metric))
                );
            }
        }
        None => {
            let _ = writeln!(text, "result       none");
        }
    }
    if let Some(error) = &record.error {
        let _ = writeln!(text, "error        {error}");
    }
    let _ = writeln!(
        text,
        "manifest     record_start_idx {}, record_count {}",
        record.record_start_idx, record.record_count
    );
}

/// Formats a float exactly, non-finite values as in the manifest.
fn exact(value: f64) -> String {
    match nonfinite::non_finite_name(value) {
        Some(name) => name.to_string(),
        None => format!("{value:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_accepts_uuid_prefixes() {
        assert_eq!(check_query("A413").unwrap(), "a413");
        assert!(check_query("a41386f5-1e40-44a6-bc1c-4ab79afcd64b").is_ok());
    }

    #[test]
    fn query_rejects_paths() {
        for query in [
            "../../etc/passwd",
            "",
            "a413/..",
            "a41386f5-1e40-44a6-bc1c-4ab79afcd64b0",
        ] {
            assert!(check_query(query).is_err(), "{query:?} was accepted");
        }
    }

    #[test]
    fn exact_formats_round_trip() {
        assert_eq!(exact(1e308), "1e308");
        assert_eq!(exact(0.1), "0.1");
        assert_eq!(exact(f64::NEG_INFINITY), "-Infinity");
    }
}
