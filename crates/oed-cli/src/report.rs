//! The commands that read the whole manifest: basic statistics, the summary,
//! the list and the export.

use std::fmt::Write as _;
use std::io::BufWriter;
use std::path::Path;

use anyhow::Context;
use oed_model::Metric;
use oed_store::RunDir;
use oed_summary::{
    ListOptions, RowFormat, Statistics, Summary, SummaryOptions, Top, format_significant,
    summarize_manifest, write_rows, write_summary,
};
use serde::Serialize;

use crate::args::{ExportFormat, Settings};
use crate::output::{self, Outcome};

/// Maximum number of Pareto-front members printed as text; the JSON lists all.
const MAX_FRONT_ROWS: usize = 20;

/// Basic statistics, the output without a flag; `--json` field names are
/// documented in docs/cli.md.
#[derive(Serialize)]
struct Stats<'a> {
    run_directory: String,
    total_experiments: u64,
    seeding_experiments: u64,
    optimization_experiments: u64,
    other_phase_experiments: u64,
    failed_runs: u64,
    skipped_lines: u64,
    #[serde(serialize_with = "serialize_phases")]
    phases: &'a [(oed_model::Phase, oed_summary::PhaseCount)],
    first_experiment: Option<&'a str>,
    last_experiment: Option<&'a str>,
}

fn serialize_phases<S: serde::Serializer>(
    phases: &&[(oed_model::Phase, oed_summary::PhaseCount)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(phases.len()))?;
    for (phase, count) in phases.iter() {
        map.serialize_entry(phase.as_str(), count)?;
    }
    map.end()
}

fn summarize(dir: &RunDir, settings: &Settings) -> anyhow::Result<Summary> {
    let options = SummaryOptions {
        objectives: settings.objectives,
        read: settings.read,
        phase: settings.phase.clone(),
        ..SummaryOptions::default()
    };
    Ok(summarize_manifest(&dir.manifest_path(), &options)?)
}

/// Tells on stderr that the selection is empty and returns `NothingFound`.
fn nothing_found(dir: &RunDir, settings: &Settings) -> Outcome {
    let manifest = dir.manifest_path();
    match &settings.phase {
        Some(phase) => tracing::warn!(
            "no experiments of phase {:?} in {}",
            phase.as_str(),
            manifest.display()
        ),
        None => tracing::warn!("no experiments in {}", manifest.display()),
    }
    Outcome::NothingFound
}

/// Prints counts per phase, failed runs and the first and last timestamps.
pub fn stats(dir: &RunDir, settings: &Settings) -> anyhow::Result<Outcome> {
    let summary = summarize(dir, settings)?;
    let stats = Stats {
        run_directory: dir.path().display().to_string(),
        total_experiments: summary.total_experiments,
        seeding_experiments: summary.seeding_experiments,
        optimization_experiments: summary.optimization_experiments,
        other_phase_experiments: summary.other_phase_experiments,
        failed_runs: summary.failed_runs,
        skipped_lines: summary.skipped_lines,
        phases: &summary.phases,
        first_experiment: summary.first_experiment.as_deref(),
        last_experiment: summary.last_experiment.as_deref(),
    };
    let text = if settings.json {
        serde_json::to_string_pretty(&stats)? + "\n"
    } else {
        stats_text(&stats)
    };
    output::print(&text)?;
    if summary.total_experiments == 0 {
        return Ok(nothing_found(dir, settings));
    }
    Ok(Outcome::Found)
}

fn stats_text(stats: &Stats<'_>) -> String {
    let mut text = String::new();
    let none = "-";
    let _ = writeln!(text, "run directory     {}", stats.run_directory);
    let _ = writeln!(text, "experiments       {}", stats.total_experiments);
    for (phase, count) in stats.phases {
        let _ = writeln!(
            text,
            "  {:<15} {} ({} failed)",
            phase.as_str(),
            count.experiments,
            count.failed
        );
    }
    let _ = writeln!(text, "failed runs       {}", stats.failed_runs);
    if stats.skipped_lines > 0 {
        let _ = writeln!(text, "skipped lines     {}", stats.skipped_lines);
    }
    let _ = writeln!(
        text,
        "first experiment  {}",
        stats.first_experiment.unwrap_or(none)
    );
    let _ = writeln!(
        text,
        "last experiment   {}",
        stats.last_experiment.unwrap_or(none)
    );
    text
}

/// Prints the summary, then writes `oed_summary.json` unless `--phase`
/// selects part of the manifest. A failed write is a warning: the printed
/// summary is the result the user asked for.
pub fn summary(dir: &RunDir, settings: &Settings) -> anyhow::Result<Outcome> {
    let summary = summarize(dir, settings)?;
    let text = if settings.json {
        summary.to_json_pretty() + "\n"
    } else {
        summary_text(dir, &summary)
    };
    output::print(&text)?;

    let summary_path = dir.summary_path();
    if settings.phase.is_some() {
        tracing::warn!(
            "{} not written, because --phase summarises only part of the manifest",
            summary_path.display()
        );
    } else {
        match write_summary(dir, &summary) {
            Ok(()) => tracing::info!("wrote {}", summary_path.display()),
            Err(error) => {
                let shown = summary_path.display().to_string();
                let mut reason = crate::error_text(&anyhow::Error::new(error));
                if !reason.starts_with(&shown) {
                    reason = format!("{shown}: {reason}");
                }
                tracing::warn!("{reason}; the summary was printed but not saved");
            }
        }
    }
    if summary.total_experiments == 0 {
        return Ok(nothing_found(dir, settings));
    }
    Ok(Outcome::Found)
}

fn summary_text(dir: &RunDir, summary: &Summary) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: {} experiments ({} seeding, {} optimization, {} other), {} failed",
        dir.path().display(),
        summary.total_experiments,
        summary.seeding_experiments,
        summary.optimization_experiments,
        summary.other_phase_experiments,
        summary.failed_runs
    );
    let none = "-".to_string();
    let first = summary.first_experiment.as_ref().unwrap_or(&none);
    let last = summary.last_experiment.as_ref().unwrap_or(&none);
    let _ = writeln!(text, "first {first}, last {last}");

    let _ = writeln!(text, "\nbest per metric (the earliest record wins a tie)");
    let _ = writeln!(
        text,
        "{:<30} {:<8} {:>10} {:>7} {:<12} {:>5} {:>5}  {:<36}  design",
        "metric", "goal", "value", "index", "phase", "iter", "ties", "run_uuid"
    );
    for (m, metric) in Metric::ALL.into_iter().enumerate() {
        let goal = summary.objectives[m].name();
        match summary.best(metric) {
            Some(best) => {
                let _ = writeln!(
                    text,
                    "{:<30} {:<8} {:>10} {:>7} {:<12} {:>5} {:>5}  {:<36}  {}",
                    metric.name(),
                    goal,
                    format_significant(best.value),
                    best.index,
                    best.phase.as_str(),
                    best.iteration,
                    best.tied_records,
                    best.run_uuid,
                    best.design
                );
            }
            None => {
                let _ = writeln!(text, "{:<30} {:<8} no finite value", metric.name(), goal);
            }
        }
    }

    write_statistics(&mut text, "all phases", &summary.statistics.overall);
    for (phase, statistics) in &summary.statistics.by_phase {
        write_statistics(&mut text, phase.as_str(), &statistics.0);
    }

    let _ = writeln!(text, "\nbest-so-far improvements (record indices)");
    for (m, metric) in Metric::ALL.into_iter().enumerate() {
        let trace = &summary.best_so_far[m];
        let indices: Vec<String> = trace.iter().take(12).map(|p| p.index.to_string()).collect();
        let more = if trace.len() > 12 { ", ..." } else { "" };
        let _ = writeln!(
            text,
            "{:<30} {:>4}: {}{more}",
            metric.name(),
            trace.len(),
            indices.join(", ")
        );
    }

    write_front(&mut text, summary);
    text
}

fn write_statistics(text: &mut String, group: &str, statistics: &[Statistics; 5]) {
    let _ = writeln!(text, "\nstatistics: {group}");
    let _ = writeln!(
        text,
        "{:<30} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7}",
        "metric", "count", "mean", "std", "min", "median", "max", "non_finite", "missing"
    );
    let show = |value: Option<f64>| value.map_or_else(|| "-".to_string(), format_significant);
    for (metric, s) in Metric::ALL.iter().zip(statistics) {
        let _ = writeln!(
            text,
            "{:<30} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7}",
            metric.name(),
            s.count,
            show(s.mean),
            show(s.std),
            show(s.min),
            show(s.median),
            show(s.max),
            s.non_finite,
            s.missing
        );
    }
}

fn write_front(text: &mut String, summary: &Summary) {
    let front = &summary.pareto_front;
    let _ = writeln!(
        text,
        "\nPareto front over the five metrics: {} records",
        front.len()
    );
    if front.is_empty() {
        return;
    }
    let _ = writeln!(
        text,
        "{:>7} {:<12} {:>5} {:<36} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "index", "phase", "iter", "run_uuid", "info_gain", "barrier", "entropy", "jsd", "fitness"
    );
    for member in front.iter().take(MAX_FRONT_ROWS) {
        let _ = write!(
            text,
            "{:>7} {:<12} {:>5} {:<36}",
            member.index,
            member.phase.as_str(),
            member.iteration,
            member.run_uuid
        );
        for value in member.result.to_array() {
            let _ = write!(text, " {:>10}", format_significant(value));
        }
        text.push('\n');
    }
    if front.len() > MAX_FRONT_ROWS {
        let _ = writeln!(
            text,
            "... and {} more; --summary --json or oed_summary.json lists them all",
            front.len() - MAX_FRONT_ROWS
        );
    }
}

fn list_options(settings: &Settings, top: Option<Top>) -> ListOptions {
    ListOptions {
        read: settings.read,
        phase: settings.phase.clone(),
        top,
        ..ListOptions::default()
    }
}

/// Prints one row per selected experiment.
pub fn list(dir: &RunDir, settings: &Settings, top: Option<Top>) -> anyhow::Result<Outcome> {
    let format = if settings.json {
        RowFormat::JsonLines
    } else {
        RowFormat::Table
    };
    let mut out = output::stdout();
    let rows = write_rows(
        &dir.manifest_path(),
        &list_options(settings, top),
        format,
        &mut out,
    )?;
    if rows == 0 {
        return Ok(nothing_found(dir, settings));
    }
    Ok(Outcome::Found)
}

/// Writes the selected experiments as CSV or manifest lines to stdout or a
/// file.
pub fn export(
    dir: &RunDir,
    settings: &Settings,
    format: ExportFormat,
    output_path: Option<&Path>,
    top: Option<Top>,
) -> anyhow::Result<Outcome> {
    let options = list_options(settings, top);
    let format = crate::row_format(format);
    let manifest = dir.manifest_path();
    let rows = match output_path {
        None => write_rows(&manifest, &options, format, &mut output::stdout())?,
        Some(path) => export_to_file(&manifest, &options, format, path)?,
    };
    if rows == 0 {
        return Ok(nothing_found(dir, settings));
    }
    Ok(Outcome::Found)
}

/// Writes rows to a temporary file beside `path` and renames it over `path`,
/// so `path` never contains a partial export.
fn export_to_file(
    manifest: &Path,
    options: &ListOptions,
    format: RowFormat,
    path: &Path,
) -> anyhow::Result<u64> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temporary = tempfile::NamedTempFile::new_in(directory).with_context(|| {
        format!(
            "failed to create a temporary file in {}",
            directory.display()
        )
    })?;
    let mut writer = BufWriter::with_capacity(256 * 1024, temporary);
    let rows = write_rows(manifest, options, format, &mut writer)
        .with_context(|| format!("failed to export to {}", path.display()))?;
    let temporary = writer
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("failed to write {}", path.display()))?;
    temporary
        .as_file()
        .sync_all()
        .with_context(|| format!("failed to write {}", path.display()))?;
    temporary
        .persist(path)
        .with_context(|| format!("failed to write {}", path.display()))?;
    tracing::info!("wrote {rows} rows to {}", path.display());
    Ok(rows)
}
