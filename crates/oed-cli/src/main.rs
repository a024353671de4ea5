//! `oed-cli`: what a scientist sees of an OED run directory.
//!
//! The binary is glue: `args` defines and checks the command line,
//! `oed-summary` computes summaries and renders rows, `oed-store` reads the
//! files, and the modules here print. See `docs/cli.md` for the reference.

mod args;
mod logging;
mod output;
mod report;
mod show;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;
use oed_store::RunDir;

use crate::args::{Action, Cli, ExportFormat, Settings};
use crate::output::Outcome;

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init();
    let result = cli.into_settings().and_then(run);
    match result {
        Ok(Outcome::Found) => ExitCode::SUCCESS,
        Ok(Outcome::NothingFound) => ExitCode::from(1),
        // The reader of our output went away (`oed-cli --list | head`): that
        // is how such a pipeline ends, not a failure.
        Err(error) if output::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(std::io::stderr().lock(), "oed-cli: {}", error_text(&error));
            ExitCode::from(2)
        }
    }
}

/// Joins an error and its causes with `: `, skipping a cause whose text the
/// message already contains (many errors repeat their source's text).
fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if cause.is_empty() || text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

fn run(settings: Settings) -> anyhow::Result<Outcome> {
    if let Action::Show { run } = &settings.action {
        show::check_query(run)?;
    }
    if let Some(threads) = settings.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("failed to start the worker threads")?;
    }
    let dir = open_run_dir(&settings.dir)?;
    match &settings.action {
        Action::Stats => report::stats(&dir, &settings),
        Action::Summary => report::summary(&dir, &settings),
        Action::List { top } => report::list(&dir, &settings, *top),
        Action::Show { run } => show::show(&dir, &settings, run),
        Action::Export {
            format,
            output,
            top,
        } => report::export(&dir, &settings, *format, output.as_deref(), *top),
    }
}

/// Opens the run directory and checks that it has a manifest, with messages
/// that say how to get one.
fn open_run_dir(path: &Path) -> anyhow::Result<RunDir> {
    let shown = path.display();
    if !path.exists() {
        bail!(
            "{shown}: run directory not found; run oed-loop with --output-dir {shown} first, \
             or name another directory"
        );
    }
    let dir = RunDir::open(path)?;
    if !dir.manifest_path().exists() {
        bail!("no manifest in {shown}; run oed-loop with --output-dir {shown} first");
    }
    Ok(dir)
}

/// Returns the `export` formats as row formats.
fn row_format(format: ExportFormat) -> oed_summary::RowFormat {
    match format {
        ExportFormat::Csv => oed_summary::RowFormat::Csv,
        ExportFormat::Jsonl => oed_summary::RowFormat::Manifest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_skips_repeated_causes() {
        let source = std::io::Error::from(std::io::ErrorKind::AlreadyExists);
        let repeated = source.to_string();
        let error = anyhow::Error::new(source)
            .context(repeated.clone())
            .context("failed to write out.csv");
        assert_eq!(
            error_text(&error),
            format!("failed to write out.csv: {repeated}")
        );
    }
}
