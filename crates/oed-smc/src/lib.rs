//! The SMC runner of oed: NK fitness landscapes, Sequential Monte Carlo
//! evolution on them, trajectory files and the five experiment metrics.
//!
//! A [`Runner`] takes a [`oed_model::Design`] and a seed and returns an
//! [`oed_model::ExperimentResult`]. [`NativeRunner`] simulates in-process:
//!
//! - [`NkLandscape`]: contributions from a keyed hash, so any N, K and q fit in
//!   O(N*K) memory, with an identical precomputed table for small landscapes.
//! - The SMC loop: a diversified generation 0, then per generation resampling
//!   ([`Resampling`]), mutation at a cost proportional to the number of
//!   mutations, and weights `exp(beta * fitness)`. Results are bit-identical
//!   whatever the number of rayon threads.
//! - Trajectories: one ArrayRecord record of 24 `.npy` arrays per generation
//!   ([`TrajectoryMode`] thins or skips them), written to `<path>.partial` and
//!   renamed when complete.
//! - Metrics: [`MetricsAccumulator`] computes them while the run streams;
//!   [`recompute_metrics`] gets the same values back from a file.

mod error;
mod landscape;
mod metrics;
mod npy;
mod population;
mod resample;
mod rng;
mod runner;
mod smc;
mod trajectory;

pub use crate::error::{RunError, TrajectoryError};
pub use crate::landscape::{CONTRIBUTION_SCALE, MAX_TABLE_ENTRIES, NkLandscape};
pub use crate::metrics::{GenerationView, HISTOGRAM_BINS, MetricsAccumulator};
pub use crate::resample::Resampling;
pub use crate::runner::{NativeRunner, RunOutcome, RunRequest, Runner};
pub use crate::smc::{SmcConfig, TrajectoryMode};
pub use crate::trajectory::{FIELDS, estimate_file_bytes, recompute_metrics, record_bytes};
