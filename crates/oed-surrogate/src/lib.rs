//! Gaussian-process surrogates of the five experiment metrics, and the
//! acquisition that proposes the next designs of the OED loop.
//!
//! [`propose`] is the entry point: given a [`ParameterSpace`](oed_model::ParameterSpace),
//! the history of designs and their [`ExperimentResult`](oed_model::ExperimentResult)s,
//! and a [`ProposalConfig`], it returns [`Proposal`]s.
//!
//! - **Features.** A design becomes a point of the unit cube of the space's
//!   free parameters (log-scale parameters uniform in the logarithm). The GP
//!   inputs are those coordinates ([`FeatureMode::All`]), or N, K, q,
//!   diversification_ratio and the log effective mutation rate
//!   ([`FeatureMode::EffectiveOnly`]), each scaled to [0, 1] over the space.
//! - **Surrogates.** One [`GaussianProcess`] per metric, on standardised
//!   outputs, with a [`Kernel`] whose per-feature length scales, signal
//!   variance and noise variance maximise the log marginal likelihood. A metric
//!   trains on its finite values only.
//! - **Acquisition.** [`Acquisition::Information`], [`Acquisition::Fim`] or
//!   [`Acquisition::Ucb`], maximised over a scrambled Sobol candidate set plus
//!   a coordinate-search refinement, with near-duplicates of recorded designs
//!   rejected.
//! - **Batches.** Further designs of a batch follow kriging-believer updates.
//!
//! Everything is deterministic for a given seed and history. The crate does
//! no I/O and logs only at debug and trace level.

mod acquisition;
mod error;
mod features;
mod fit;
mod gp;
mod kernel;
mod linalg;
mod optimise;
mod propose;
mod surrogates;

pub use crate::acquisition::{Acquisition, DEFAULT_KAPPA, FIM_RIDGE};
pub use crate::error::SurrogateError;
pub use crate::features::{EFFECTIVE_RATE_FLOOR, FeatureMode};
pub use crate::fit::MAX_FIT_POINTS;
pub use crate::gp::{GaussianProcess, Hyperparameters, MIN_TRAINING_POINTS};
pub use crate::kernel::{Kernel, ParseOptionError};
pub use crate::propose::{DUPLICATE_DISTANCE, MAX_CANDIDATES, Proposal, ProposalConfig, propose};
