//! Command-line arguments, parsed once into validated [`Settings`].

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::builder::RangedI64ValueParser;
use clap::{Parser, ValueEnum};
use oed_model::{Metric, ParameterSpace};

/// Run an optimal-experimental-design loop over SMC simulations on NK
/// landscapes: space-filling seeding experiments, then experiments proposed by
/// a Gaussian-process surrogate, all recorded in a run directory
#[derive(Debug, Parser)]
#[command(name = "oed-loop", version, about, long_about = None, args_override_self = true)]
pub struct Args {
    /// Run directory for the manifest, checkpoint, metadata, log and trajectories
    #[arg(long, alias = "output_dir", default_value = "oed_results")]
    pub output_dir: PathBuf,

    /// Number of space-filling experiments before the surrogate takes over
    #[arg(
        long,
        alias = "num_initial_experiments",
        allow_negative_numbers = true,
        default_value_t = 20
    )]
    pub num_initial_experiments: u64,

    /// Number of experiments proposed by the surrogate
    #[arg(
        long,
        alias = "num_oed_iterations",
        allow_negative_numbers = true,
        default_value_t = 100
    )]
    pub num_oed_iterations: u64,

    /// Write a checkpoint every this many optimisation experiments, at least 1
    /// (also after seeding, at the end and on Ctrl-C)
    #[arg(long, alias = "checkpoint_every", default_value_t = 10,
          value_parser = RangedI64ValueParser::<u64>::new().range(1..), allow_negative_numbers = true)]
    pub checkpoint_every: u64,

    /// Loop seed that determines every design and every experiment's seed
    /// [default: 42, or the checkpoint's seed with --resume]
    #[arg(long, allow_negative_numbers = true)]
    pub seed: Option<u64>,

    /// Continue the loop recorded in --output-dir
    #[arg(long)]
    pub resume: bool,

    /// Design criterion of the optimisation phase
    #[arg(long, value_enum, default_value_t = AcquisitionArg::Information)]
    pub acquisition: AcquisitionArg,

    /// Metric that `--acquisition ucb` maximises
    #[arg(long, default_value = "information_gain", value_name = "METRIC")]
    pub target: Metric,

    /// Exploration weight of `--acquisition ucb`: mean + kappa * standard
    /// deviation, a finite number >= 0
    #[arg(long, default_value_t = 2.0, value_parser = parse_kappa, allow_negative_numbers = true)]
    pub kappa: f64,

    /// Number of candidate designs (scrambled Sobol points) scored per
    /// proposal, 1 to 65536
    #[arg(long, default_value_t = 4096,
          value_parser = RangedI64ValueParser::<usize>::new().range(1..=65536),
          allow_negative_numbers = true)]
    pub candidates: usize,

    /// Number of restarts when fitting the surrogate's hyperparameters, at
    /// least 1
    #[arg(long, default_value_t = 4,
          value_parser = RangedI64ValueParser::<usize>::new().range(1..), allow_negative_numbers = true)]
    pub restarts: usize,

    /// Experiments proposed per optimisation round and run in parallel, at
    /// least 1
    #[arg(long, default_value_t = 1,
          value_parser = RangedI64ValueParser::<usize>::new().range(1..), allow_negative_numbers = true)]
    pub batch_size: usize,

    /// Surrogate features: all eight design parameters, or N, K, q, the
    /// diversification ratio and the effective mutation rate
    #[arg(long, alias = "feature_mode", value_enum, default_value_t = FeatureModeArg::All)]
    pub feature_mode: FeatureModeArg,

    /// Covariance kernel of the surrogate
    #[arg(long, value_enum, default_value_t = KernelArg::Matern52)]
    pub kernel: KernelArg,

    /// Parameter space file, read as TOML when the name ends in .toml and as
    /// JSON when it ends in .json; unlisted parameters keep their default
    /// ranges (format and defaults: "Parameter space file" in docs/cli.md)
    #[arg(long, value_name = "FILE")]
    pub space: Option<PathBuf>,

    /// Trajectory records to write: `every` generation, `every:K` (generation
    /// 0, every K-th and the last), `none`, or `auto` (every generation while a
    /// run's estimated file size stays within --trajectory-budget, the
    /// smallest K that fits beyond)
    #[arg(long, default_value = "auto", value_name = "MODE")]
    pub trajectory: TrajectoryArg,

    /// Largest estimated trajectory file per run that `--trajectory auto`
    /// allows, in MiB (the estimate is of the uncompressed records, an upper
    /// bound)
    #[arg(
        long,
        default_value_t = 64,
        value_name = "MIB",
        allow_negative_numbers = true
    )]
    pub trajectory_budget: u64,

    /// Resampling scheme of the SMC runner
    #[arg(long, value_enum, default_value_t = ResamplingArg::Systematic)]
    pub resampling: ResamplingArg,

    /// Selection strength of the SMC runner: log-weight = beta * fitness, a
    /// finite number > 0
    #[arg(long, default_value_t = 1.0, value_parser = parse_beta, allow_negative_numbers = true)]
    pub beta: f64,

    /// Free space to keep on the run directory's file system, in MiB; an
    /// experiment whose estimated trajectory would cut into it is not started
    #[arg(
        long,
        default_value_t = 512,
        value_name = "MIB",
        allow_negative_numbers = true
    )]
    pub min_free_disk: u64,

    /// Do not sync the manifest to the storage device after each append:
    /// faster, but a power loss or kernel crash (not a killed process) may
    /// lose the latest records
    #[arg(long)]
    pub no_fsync: bool,

    /// Show only warnings and errors on stderr
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Show debug (-v) or trace (-vv) messages on stderr; RUST_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AcquisitionArg {
    /// Information gain about the surrogates: sum of 1/2 ln(1 + variance / noise)
    Information,
    /// D-optimal: log-determinant of the Fisher matrix of the five metrics
    Fim,
    /// Upper confidence bound on --target
    Ucb,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FeatureModeArg {
    All,
    EffectiveOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KernelArg {
    Matern52,
    Rbf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ResamplingArg {
    Systematic,
    Multinomial,
    Stratified,
    Residual,
}

/// The generations a run writes to its trajectory file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrajectoryArg {
    Every,
    EveryKth(u32),
    None,
    Auto,
}

impl std::str::FromStr for TrajectoryArg {
    type Err = String;

    fn from_str(text: &str) -> Result<TrajectoryArg, String> {
        match text {
            "every" => return Ok(TrajectoryArg::Every),
            "none" => return Ok(TrajectoryArg::None),
            "auto" => return Ok(TrajectoryArg::Auto),
            _ => {}
        }
        let invalid = || {
            format!(
                "invalid trajectory mode {text:?}: expected every, every:K (K >= 1), none or auto"
            )
        };
        let step = text.strip_prefix("every:").ok_or_else(invalid)?;
        match step.parse::<u32>() {
            Ok(k) if k >= 1 => Ok(TrajectoryArg::EveryKth(k)),
            _ => Err(invalid()),
        }
    }
}

impl std::fmt::Display for TrajectoryArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrajectoryArg::Every => f.write_str("every"),
            TrajectoryArg::EveryKth(k) => write!(f, "every:{k}"),
            TrajectoryArg::None => f.write_str("none"),
            TrajectoryArg::Auto => f.write_str("auto"),
        }
    }
}

/// The loop's settings after validation.
#[derive(Clone, Debug)]
pub struct Settings {
    pub output_dir: PathBuf,
    pub space: ParameterSpace,
    pub num_initial: u64,
    pub num_iterations: u64,
    pub checkpoint_every: u64,
    /// `None` until the loop has read whether a checkpoint supplies it.
    pub seed: Option<u64>,
    pub resume: bool,
    pub acquisition: AcquisitionArg,
    pub target: Metric,
    pub kappa: f64,
    pub candidates: usize,
    pub restarts: usize,
    pub batch_size: usize,
    pub feature_mode: FeatureModeArg,
    pub kernel: KernelArg,
    pub trajectory: TrajectoryArg,
    pub trajectory_budget_bytes: u64,
    pub resampling: ResamplingArg,
    pub beta: f64,
    pub min_free_disk_bytes: u64,
    pub sync_manifest: bool,
}

impl Args {
    /// Checks the arguments and reads the parameter space file.
    pub fn into_settings(self) -> Result<Settings> {
        let space = match &self.space {
            Some(path) => read_space(path)?,
            None => ParameterSpace::default(),
        };
        const MIB: u64 = 1024 * 1024;
        Ok(Settings {
            output_dir: self.output_dir,
            space,
            num_initial: self.num_initial_experiments,
            num_iterations: self.num_oed_iterations,
            checkpoint_every: self.checkpoint_every,
            seed: self.seed,
            resume: self.resume,
            acquisition: self.acquisition,
            target: self.target,
            kappa: self.kappa,
            candidates: self.candidates,
            restarts: self.restarts,
            batch_size: self.batch_size,
            feature_mode: self.feature_mode,
            kernel: self.kernel,
            trajectory: self.trajectory,
            trajectory_budget_bytes: self.trajectory_budget.saturating_mul(MIB),
            resampling: self.resampling,
            beta: self.beta,
            min_free_disk_bytes: self.min_free_disk.saturating_mul(MIB),
            sync_manifest: !self.no_fsync,
        })
    }
}

/// Parses `--kappa`: a finite number >= 0.
fn parse_kappa(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(kappa) if kappa.is_finite() && kappa >= 0.0 => Ok(kappa),
        _ => Err(format!("{text} is not a finite number >= 0")),
    }
}

/// Parses `--beta`: a finite number > 0.
fn parse_beta(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(beta) if beta.is_finite() && beta > 0.0 => Ok(beta),
        _ => Err(format!("{text} is not a finite number > 0")),
    }
}

const SPACE_ERROR: &str = "invalid parameter space";

fn read_space(path: &std::path::Path) -> Result<ParameterSpace> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let from_str = match extension.as_deref() {
        Some("toml") => ParameterSpace::from_toml_str,
        Some("json") => ParameterSpace::from_json_str,
        _ => bail!(
            "{}: unsupported parameter space file: write it as TOML or JSON in a file whose \
             name ends in .toml or .json",
            path.display()
        ),
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read parameter space {}", path.display()))?;
    let parsed = from_str(&text);
    // Most of the space's errors start with "invalid parameter space" already.
    parsed.map_err(|error| {
        let error = error.to_string();
        match error.starts_with(SPACE_ERROR) {
            true => anyhow::anyhow!("{}: {error}", path.display()),
            false => anyhow::anyhow!("{}: {SPACE_ERROR}: {error}", path.display()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(arguments: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("oed-loop").chain(arguments.iter().copied())).unwrap()
    }

    #[test]
    fn defaults_match_documentation() {
        let args = parse(&[]);
        assert_eq!(args.output_dir, PathBuf::from("oed_results"));
        assert_eq!(args.num_initial_experiments, 20);
        assert_eq!(args.num_oed_iterations, 100);
        assert_eq!(args.checkpoint_every, 10);
        assert_eq!(args.batch_size, 1);
        assert_eq!(args.acquisition, AcquisitionArg::Information);
    }

    #[test]
    fn ancestor_spellings_are_accepted() {
        let args = parse(&[
            "--output_dir",
            "runs",
            "--num_initial_experiments",
            "3",
            "--num_oed_iterations",
            "4",
            "--feature_mode",
            "effective-only",
        ]);
        assert_eq!(args.output_dir, PathBuf::from("runs"));
        assert_eq!(args.num_initial_experiments, 3);
        assert_eq!(args.num_oed_iterations, 4);
        assert_eq!(args.feature_mode, FeatureModeArg::EffectiveOnly);
    }

    #[test]
    fn trajectory_modes_parse() {
        assert_eq!("every".parse(), Ok(TrajectoryArg::Every));
        assert_eq!("every:5".parse(), Ok(TrajectoryArg::EveryKth(5)));
        assert_eq!("none".parse(), Ok(TrajectoryArg::None));
        assert!("every:0".parse::<TrajectoryArg>().is_err());
        assert!("sometimes".parse::<TrajectoryArg>().is_err());
    }

    #[test]
    fn target_accepts_metric_names() {
        let args = parse(&["--acquisition", "ucb", "--target", "jsd"]);
        assert_eq!(args.target, Metric::JsdFromOriginalPopulation);
        let error = Args::try_parse_from(["oed-loop", "--target", "speed"]).unwrap_err();
        assert!(
            error.to_string().contains("unknown metric \"speed\""),
            "{error}"
        );
    }

    fn parse_error(arguments: &[&str]) -> String {
        let words = std::iter::once("oed-loop").chain(arguments.iter().copied());
        Args::try_parse_from(words).unwrap_err().to_string()
    }

    #[test]
    fn out_of_range_numbers_are_rejected() {
        let cases: [(&[&str], &str); 9] = [
            (&["--batch-size", "0"], "0 is not in 1.."),
            (&["--candidates", "70000"], "70000 is not in 1..=65536"),
            (&["--candidates", "0"], "0 is not in 1..=65536"),
            (&["--restarts", "0"], "0 is not in 1.."),
            (&["--checkpoint-every", "0"], "0 is not in 1.."),
            (&["--kappa", "-1"], "-1 is not a finite number >= 0"),
            (&["--kappa", "inf"], "inf is not a finite number >= 0"),
            (&["--beta", "0"], "0 is not a finite number > 0"),
            (&["--beta", "NaN"], "NaN is not a finite number > 0"),
        ];
        for (arguments, expected) in cases {
            let error = parse_error(arguments);
            assert!(error.contains(expected), "{arguments:?}: {error}");
        }
    }

    #[test]
    fn negative_count_names_the_range() {
        let error = parse_error(&["--restarts", "-2"]);
        assert!(error.contains("-2 is not in 1.."), "{error}");
    }

    #[test]
    fn space_file_is_read_as_toml_or_json() {
        let dir = tempfile::tempdir().unwrap();
        let toml_path = dir.path().join("space.toml");
        std::fs::write(&toml_path, "N = { min = 10, max = 20 }\n").unwrap();
        let json_path = dir.path().join("space.json");
        std::fs::write(&json_path, r#"{"N": {"min": 10, "max": 30}}"#).unwrap();

        let from_toml = read_space(&toml_path).unwrap();
        let from_json = read_space(&json_path).unwrap();
        assert_eq!(from_toml.bounds(oed_model::Parameter::N).max, 20.0);
        assert_eq!(from_json.bounds(oed_model::Parameter::N).max, 30.0);
    }

    #[test]
    fn space_file_of_other_extension_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let yaml_path = dir.path().join("space.yaml");
        std::fs::write(&yaml_path, "N: {min: 10, max: 20}\n").unwrap();

        let error = read_space(&yaml_path).unwrap_err().to_string();
        assert!(
            error.starts_with(&yaml_path.display().to_string()),
            "{error}"
        );
        assert!(error.contains(".toml or .json"), "{error}");
    }
}
