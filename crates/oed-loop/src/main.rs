//! `oed-loop`: runs an optimal-experimental-design loop over SMC simulations
//! and records it in a run directory.
//!
//! Exit codes: 0 when the loop is complete, 2 on an error, 130 when
//! interrupted (Ctrl-C or SIGTERM) after saving a checkpoint.

mod cli;
mod disk;
mod driver;
mod experiment;
mod logging;
mod pause;
mod planner;
mod progress;
mod resume;
mod sampler;
mod seeding;
mod seeds;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use oed_model::Metric;
use oed_store::RunDir;
use serde_json::{Value, json};
use tracing_subscriber::filter::LevelFilter;

use crate::cli::{AcquisitionArg, Args, Settings};
use crate::driver::{Driver, DriverParts, Outcome};
use crate::progress::LoopProgress;
use crate::sampler::LoopRunner;

/// Exit code of an interrupted loop: 128 + SIGINT, as shells report it.
const EXIT_INTERRUPTED: u8 = 130;
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let matches = Args::command().get_matches();
    let args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(error) => error.exit(),
    };
    let explicit = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    match run(args, &explicit) {
        Ok(code) => code,
        Err(error) => {
            tracing::error!(target: logging::FILE_ONLY, "{}", error_text(&error));
            report_error(&error);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

#[allow(clippy::print_stderr)]
fn report_error(error: &anyhow::Error) {
    eprintln!("oed-loop: error: {}", error_text(error));
}

/// Joins an error's chain with ": ", leaving out each cause whose text the
/// message already contains, as when a context repeats the error it wraps.
fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

fn run(args: Args, explicit: &dyn Fn(&str) -> bool) -> Result<ExitCode> {
    let stderr_level = match (args.quiet, args.verbose) {
        (true, _) => LevelFilter::WARN,
        (false, 0) => LevelFilter::INFO,
        (false, 1) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let mut settings = args.into_settings()?;
    // Held until `run` returns, so no other loop writes the directory meanwhile.
    let (dir, _writer_lock) = resume::open_run_dir(&settings)?;
    let bar = LoopProgress::new_bar();
    logging::init(stderr_level, &dir.log_path(), bar.clone())?;

    let checkpoint = match settings.resume {
        true => resume::read_checkpoint(&dir),
        false => None,
    };
    if settings.resume {
        restore_settings(&mut settings, checkpoint.as_ref(), explicit);
    }
    let settings = settings;
    let mut loop_state = loop_state(&settings);
    let start = resume::load_start_state(&dir, &settings, checkpoint, &loop_state)?;
    loop_state["seed"] = json!(start.seed);
    log_start(&settings, &dir, start.seed, start.records.len());

    let cancel = install_interrupt_handler()?;
    let runner = LoopRunner::new(&settings);
    let describe = |design: &oed_model::Design| runner.settings_json(design);
    let total =
        start.records.len() as u64 + planner::Progress::of(&start.records).remaining(&settings);
    let progress = LoopProgress::start(bar, total, &start.records, progress_metric(&settings));
    let mut driver = Driver::new(
        &settings,
        DriverParts {
            dir: dir.clone(),
            seed: start.seed,
            records: start.records,
            runner: &runner,
            describe_runner: &describe,
            cancel: &cancel,
            progress,
            loop_state,
        },
    )?;

    let outcome = driver.run();
    driver.finish_progress();
    match outcome {
        Ok(Outcome::Finished) => {
            write_summary(&dir)?;
            tracing::info!(
                records = driver.records().len(),
                dir = %dir.path().display(),
                "loop complete"
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(Outcome::Cancelled) => {
            driver.save_checkpoint()?;
            tracing::warn!(
                records = driver.records().len(),
                "interrupted; resume with: {}",
                resume_command()
            );
            Ok(ExitCode::from(EXIT_INTERRUPTED))
        }
        Err(error) => {
            if let Err(checkpoint_error) = driver.save_checkpoint() {
                tracing::error!("{}", error_text(&checkpoint_error));
            }
            Err(error)
        }
    }
}

/// Sets a flag on the first Ctrl-C or SIGTERM, which stops the running
/// experiments at their next generation; a second one exits at once.
fn install_interrupt_handler() -> Result<Arc<AtomicBool>> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    })
    .context("failed to install the Ctrl-C handler")?;
    Ok(cancel)
}

/// Takes the settings not given on the command line from the checkpoint's
/// loop state, or warns that they are the defaults when there is none.
fn restore_settings(
    settings: &mut Settings,
    checkpoint: Option<&oed_store::Checkpoint>,
    explicit: &dyn Fn(&str) -> bool,
) {
    match checkpoint.and_then(|c| c.loop_state.as_ref()) {
        Some(recorded) => {
            let restored = resume::restore_settings(settings, recorded, explicit);
            if !restored.is_empty() {
                tracing::info!(
                    "restored from the checkpoint: {}",
                    restored
                        .iter()
                        .map(|id| format!("--{}", id.replace('_', "-")))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
        }
        None if settings.output_dir.join(oed_store::MANIFEST_FILE).exists() => tracing::warn!(
            "no usable checkpoint records this loop's settings: the settings not given on \
             the command line are the defaults, which may differ from the recorded loop's"
        ),
        None => {}
    }
}

/// Returns the loop's settings, stored in each checkpoint so that a resume
/// continues with them and warns when one is changed on its command line.
fn loop_state(settings: &Settings) -> Value {
    json!({
        "oed_version": env!("CARGO_PKG_VERSION"),
        "seed": settings.seed,
        "num_initial_experiments": settings.num_initial,
        "num_oed_iterations": settings.num_iterations,
        "batch_size": settings.batch_size,
        "acquisition": planner::acquisition(settings).to_string(),
        "feature_mode": format!("{:?}", settings.feature_mode),
        "kernel": format!("{:?}", settings.kernel),
        "candidates": settings.candidates,
        "restarts": settings.restarts,
        "space": settings.space.to_json_value(),
        "trajectory": settings.trajectory.to_string(),
        "resampling": format!("{:?}", settings.resampling),
        "beta": settings.beta,
        "target": settings.target.to_string(),
        "kappa": settings.kappa,
        "trajectory_budget_bytes": settings.trajectory_budget_bytes,
        "checkpoint_every": settings.checkpoint_every,
        "min_free_disk_bytes": settings.min_free_disk_bytes,
    })
}

fn progress_metric(settings: &Settings) -> Metric {
    match settings.acquisition {
        AcquisitionArg::Ucb => settings.target,
        _ => Metric::InformationGain,
    }
}

fn log_start(settings: &Settings, dir: &RunDir, seed: u64, records: usize) {
    tracing::info!(
        dir = %dir.path().display(),
        seed,
        records,
        num_initial_experiments = settings.num_initial,
        num_oed_iterations = settings.num_iterations,
        batch_size = settings.batch_size,
        acquisition = %planner::acquisition(settings),
        trajectory = %settings.trajectory,
        version = env!("CARGO_PKG_VERSION"),
        commit = option_env!("OED_BUILD_COMMIT").unwrap_or("unknown"),
        "starting loop"
    );
}

fn write_summary(dir: &RunDir) -> Result<()> {
    let options = oed_summary::SummaryOptions::default();
    let summary = oed_summary::summarize_manifest(&dir.manifest_path(), &options)
        .context("failed to summarise the manifest")?;
    oed_summary::write_summary(dir, &summary).context("failed to write the summary")?;
    tracing::info!(path = %dir.summary_path().display(), "wrote summary");
    Ok(())
}

/// Returns the command line that continues this loop: this one, with
/// `--resume`.
fn resume_command() -> String {
    let mut words: Vec<String> = std::env::args().collect();
    if !words.iter().any(|w| w == "--resume") {
        words.push("--resume".to_string());
    }
    let quoted: Vec<String> = words
        .into_iter()
        .map(|word| {
            let plain = word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+".contains(c));
            if plain && !word.is_empty() {
                word
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect();
    quoted.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_skips_repeated_causes() {
        let io = std::io::Error::other("No space left on device (os error 28)");
        let error = anyhow::Error::new(io)
            .context("No space left on device (os error 28)")
            .context("failed to append to the manifest");
        assert_eq!(
            error_text(&error),
            "failed to append to the manifest: No space left on device (os error 28)"
        );
    }

    #[test]
    fn error_text_keeps_distinct_causes() {
        let error = anyhow::anyhow!("permission denied").context("failed to write x.json");
        assert_eq!(
            error_text(&error),
            "failed to write x.json: permission denied"
        );
    }
}
