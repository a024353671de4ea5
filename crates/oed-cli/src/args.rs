//! The command line, parsed by clap and then turned once into [`Settings`].

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Parser, Subcommand, ValueEnum};
use oed_model::{Metric, Phase};
use oed_store::ReadOptions;
use oed_summary::{Objectives, Top};

/// The run directory read when none is named.
pub const DEFAULT_DIR: &str = "oed_results";

/// Maximum of `--threads` and `OED_THREADS`. More threads than this only
/// exhaust memory for their stacks, so a larger value is rejected rather
/// than tried.
pub const MAX_THREADS: usize = 1024;

/// Environment variable read when `--threads` is not given.
pub const THREADS_ENV: &str = "OED_THREADS";

/// Lists, summarises and shows the experiments of an OED run directory.
///
/// Without a flag, prints the number of experiments per phase, failed runs and
/// the first and last timestamps. Data goes to stdout, diagnostics to stderr.
/// Exit status: 0 success, 1 nothing found, 2 error.
#[derive(Debug, Parser)]
#[command(name = "oed-cli", version, max_term_width = 100)]
pub struct Cli {
    /// Run directory written by oed-loop or the Python ancestor
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Print the summary (best design per metric, statistics, Pareto front) and
    /// write it to DIR/oed_summary.json
    #[arg(long, conflicts_with_all = ["list", "top"])]
    pub summary: bool,

    /// Print one aligned row per experiment
    #[arg(long)]
    pub list: bool,

    /// List only the N best experiments by the metric of --by (at least 1)
    #[arg(long, value_name = "N", value_parser = parse_top)]
    pub top: Option<usize>,

    /// Metric that orders --top
    #[arg(
        long,
        value_name = "METRIC",
        default_value = "information_gain",
        requires = "top"
    )]
    pub by: Metric,

    #[command(flatten)]
    pub common: CommonArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options that every command takes.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Print machine-readable JSON (JSON Lines for --list) instead of text
    #[arg(long, global = true)]
    pub json: bool,

    /// Only experiments of this phase (seeding, optimization or another name)
    #[arg(long, value_name = "PHASE", global = true)]
    pub phase: Option<String>,

    /// Treat METRIC as smaller-is-better for best records, --top and the
    /// Pareto front (repeatable; all metrics are maximised by default)
    #[arg(long, value_name = "METRIC", global = true)]
    pub minimize: Vec<Metric>,

    /// Skip invalid manifest lines with a warning instead of stopping at the
    /// first one
    #[arg(long, global = true)]
    pub lenient: bool,

    /// Number of worker threads, 1 to 1024 [env: OED_THREADS] [default: one
    /// per core]
    #[arg(long, value_name = "N", value_parser = parse_threads, global = true)]
    pub threads: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print one run: its manifest record, metadata and trajectory size
    Show {
        /// Run UUID, or a prefix of it that matches one run
        #[arg(value_name = "RUN_UUID")]
        run: String,

        /// Run directory [default: oed_results]
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },

    /// Write every experiment as CSV or JSON Lines
    Export {
        /// Output format
        #[arg(long, value_enum)]
        format: ExportFormat,

        /// File to write, replaced atomically [default: stdout]
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,

        /// Run directory [default: oed_results]
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,

        /// Only the N best experiments by the metric of --by (at least 1)
        #[arg(long, value_name = "N", value_parser = parse_top)]
        top: Option<usize>,

        /// Metric that orders --top
        #[arg(
            long,
            value_name = "METRIC",
            default_value = "information_gain",
            requires = "top"
        )]
        by: Metric,
    },
}

/// Formats of `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One row per experiment with a header line
    Csv,
    /// One manifest record per line
    Jsonl,
}

/// The validated settings of one invocation.
#[derive(Debug)]
pub struct Settings {
    pub dir: PathBuf,
    pub action: Action,
    pub json: bool,
    pub phase: Option<Phase>,
    pub objectives: Objectives,
    pub read: ReadOptions,
    pub threads: Option<usize>,
}

#[derive(Debug)]
pub enum Action {
    Stats,
    Summary,
    List {
        top: Option<Top>,
    },
    Show {
        run: String,
    },
    Export {
        format: ExportFormat,
        output: Option<PathBuf>,
        top: Option<Top>,
    },
}

impl Cli {
    /// Checks the arguments and resolves defaults.
    pub fn into_settings(self) -> anyhow::Result<Settings> {
        let common = self.common;
        let mut objectives = Objectives::maximize_all();
        for metric in &common.minimize {
            objectives = objectives.minimize(*metric);
        }
        let top = |count: Option<usize>, metric: Metric| {
            count.map(|count| Top {
                count,
                metric,
                direction: objectives.direction(metric),
            })
        };

        let (action, sub_dir) = match self.command {
            Some(Command::Show { run, dir }) => (Action::Show { run }, dir),
            Some(Command::Export {
                format,
                output,
                dir,
                top: count,
                by,
            }) => {
                let top = top(count, by);
                (
                    Action::Export {
                        format,
                        output,
                        top,
                    },
                    dir,
                )
            }
            None if self.summary => (Action::Summary, None),
            None if self.list || self.top.is_some() => (
                Action::List {
                    top: top(self.top, self.by),
                },
                None,
            ),
            None => (Action::Stats, None),
        };
        let dir = match (self.dir, sub_dir) {
            (Some(first), Some(second)) if first != second => bail!(
                "two run directories given, {} and {}: name one",
                first.display(),
                second.display()
            ),
            (first, second) => first
                .or(second)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR)),
        };
        let threads = match common.threads {
            Some(threads) => Some(threads),
            None => threads_from_env()?,
        };

        Ok(Settings {
            dir,
            action,
            json: common.json,
            phase: common.phase.as_deref().map(Phase::from),
            objectives,
            read: if common.lenient {
                ReadOptions::lenient()
            } else {
                ReadOptions::strict()
            },
            threads,
        })
    }
}

/// Parses `--top N`, which must select at least one experiment.
fn parse_top(value: &str) -> Result<usize, String> {
    let count: usize = value
        .trim()
        .parse()
        .map_err(|_| format!("expected a whole number of at least 1, got {value:?}"))?;
    if count == 0 {
        return Err("expected at least 1, because --top 0 would list nothing".to_string());
    }
    Ok(count)
}

/// Parses a thread count in `1..=MAX_THREADS`.
fn parse_threads(value: &str) -> Result<usize, String> {
    let range = format!("1 to {MAX_THREADS}");
    let count: usize = value
        .trim()
        .parse()
        .map_err(|_| format!("expected a whole number from {range}, got {value:?}"))?;
    if !(1..=MAX_THREADS).contains(&count) {
        return Err(format!("{count} is out of range: expected {range}"));
    }
    Ok(count)
}

/// Reads `OED_THREADS`; unset, empty and blank values mean the default.
fn threads_from_env() -> anyhow::Result<Option<usize>> {
    let Some(value) = std::env::var_os(THREADS_ENV) else {
        return Ok(None);
    };
    let Some(value) = value.to_str() else {
        bail!("invalid {THREADS_ENV} {value:?}: expected a whole number from 1 to {MAX_THREADS}");
    };
    if value.trim().is_empty() {
        return Ok(None);
    }
    match parse_threads(value) {
        Ok(count) => Ok(Some(count)),
        Err(reason) => bail!("invalid {THREADS_ENV}={value:?}: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(args: &[&str]) -> Settings {
        let mut full = vec!["oed-cli"];
        full.extend_from_slice(args);
        Cli::try_parse_from(full).unwrap().into_settings().unwrap()
    }

    #[test]
    fn cli_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn default_dir_and_stats() {
        let s = settings(&[]);
        assert_eq!(s.dir, PathBuf::from(DEFAULT_DIR));
        assert!(matches!(s.action, Action::Stats));
    }

    #[test]
    fn list_with_dir_before_or_after() {
        for args in [&["--list", "runs"][..], &["runs", "--list"][..]] {
            let s = settings(args);
            assert_eq!(s.dir, PathBuf::from("runs"));
            assert!(matches!(s.action, Action::List { top: None }));
        }
    }

    #[test]
    fn show_takes_dir_on_either_side() {
        for args in [&["show", "a413", "runs"][..], &["runs", "show", "a413"][..]] {
            let s = settings(args);
            assert_eq!(s.dir, PathBuf::from("runs"));
            assert!(matches!(&s.action, Action::Show { run } if run == "a413"));
        }
    }

    #[test]
    fn top_implies_list() {
        let s = settings(&["--top", "3", "--by", "jsd", "--minimize", "jsd"]);
        let Action::List { top: Some(top) } = s.action else {
            panic!("expected a list with --top");
        };
        assert_eq!(top.count, 3);
        assert_eq!(top.metric, Metric::JsdFromOriginalPopulation);
        assert_eq!(top.direction, oed_summary::Direction::Minimize);
    }

    #[test]
    fn global_flags_after_subcommand() {
        let s = settings(&["show", "a413", "--json", "--phase", "seeding"]);
        assert!(s.json);
        assert_eq!(s.phase, Some(Phase::Seeding));
    }

    #[test]
    fn by_without_top_is_rejected() {
        assert!(Cli::try_parse_from(["oed-cli", "--by", "jsd"]).is_err());
    }

    #[test]
    fn summary_conflicts_with_list() {
        assert!(Cli::try_parse_from(["oed-cli", "--summary", "--list"]).is_err());
    }

    #[test]
    fn two_different_dirs_are_rejected() {
        let cli = Cli::try_parse_from(["oed-cli", "a", "show", "x", "b"]).unwrap();
        assert!(cli.into_settings().is_err());
    }

    #[test]
    fn thread_counts_outside_the_range_are_rejected() {
        for value in ["0", "1025", "99999", "-1", "many"] {
            let flag = format!("--threads={value}");
            let error = Cli::try_parse_from(["oed-cli", flag.as_str()]).unwrap_err();
            assert!(error.to_string().contains("1 to 1024"), "{value}: {error}");
        }
        assert_eq!(parse_threads("1024"), Ok(1024));
        assert_eq!(parse_threads("1"), Ok(1));
    }

    #[test]
    fn top_zero_is_rejected() {
        for args in [
            &["oed-cli", "--top", "0"][..],
            &["oed-cli", "export", "--format", "csv", "--top", "0"][..],
        ] {
            let error = Cli::try_parse_from(args).unwrap_err();
            assert!(error.to_string().contains("at least 1"), "{error}");
        }
    }

    #[test]
    fn unknown_metric_is_rejected() {
        let error = Cli::try_parse_from(["oed-cli", "--top", "1", "--by", "speed"]).unwrap_err();
        assert!(error.to_string().contains("unknown metric"), "{error}");
    }
}
