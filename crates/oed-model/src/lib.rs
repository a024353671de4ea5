//! Domain types of an optimal-experimental-design (OED) loop over SMC simulations.
//!
//! An experiment runs one [`Design`] (the NK landscape and the SMC settings) and
//! measures an [`ExperimentResult`] (five [`Metric`]s). The loop records each
//! experiment as an [`ExperimentRecord`] tagged with its [`Phase`]. Designs are
//! drawn from a [`ParameterSpace`] and checked with [`ParameterSpace::validate`].
//!
//! Every type serialises with the field names that the Python ancestor
//! (proteinsmc's `oed` package) writes, so its files deserialise here unchanged.
//! Non-finite metric values are written as the strings `"NaN"`, `"Infinity"` and
//! `"-Infinity"` (see [`nonfinite`]) and read from those strings or from the bare
//! tokens that Python's `json` module emits.
//!
//! This crate does no I/O: callers read files and pass the text in.

mod design;
mod error;
pub mod nonfinite;
mod phase;
mod record;
mod result;
mod space;

pub use crate::design::{Design, Parameter};
pub use crate::error::{DesignError, SpaceError};
pub use crate::phase::Phase;
pub use crate::record::{ExperimentRecord, RunStatus};
pub use crate::result::{ExperimentResult, Metric, ParseMetricError};
pub use crate::space::{Bounds, ParameterSpace, Scale};
