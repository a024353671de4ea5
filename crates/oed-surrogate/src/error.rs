use std::fmt;

/// The error of fitting a surrogate or proposing designs.
///
/// `Display` names the bad value and says what to change, for example
/// `invalid proposal configuration: candidates = 0: expected 1 to 65536`.
#[derive(Clone, Debug, PartialEq)]
pub struct SurrogateError {
    kind: SurrogateErrorKind,
}

#[derive(Clone, Debug, PartialEq)]
enum SurrogateErrorKind {
    /// A configuration field is outside its valid range.
    InvalidConfig {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    /// Training inputs and outputs do not fit together.
    InvalidTrainingData(String),
    /// A covariance matrix was not positive definite.
    NotPositiveDefinite { points: usize },
    /// The space has no parameter with more than one value.
    NoFreeParameters,
    /// Every candidate lies within the duplicate distance of a recorded design.
    SpaceExhausted { distance: f64, taken: usize },
}

impl SurrogateError {
    pub(crate) fn invalid_config(
        field: &'static str,
        value: impl fmt::Display,
        expected: &'static str,
    ) -> SurrogateError {
        SurrogateError {
            kind: SurrogateErrorKind::InvalidConfig {
                field,
                value: value.to_string(),
                expected,
            },
        }
    }

    pub(crate) fn invalid_training_data(message: impl Into<String>) -> SurrogateError {
        SurrogateError {
            kind: SurrogateErrorKind::InvalidTrainingData(message.into()),
        }
    }

    pub(crate) fn not_positive_definite(points: usize) -> SurrogateError {
        SurrogateError {
            kind: SurrogateErrorKind::NotPositiveDefinite { points },
        }
    }

    pub(crate) fn no_free_parameters() -> SurrogateError {
        SurrogateError {
            kind: SurrogateErrorKind::NoFreeParameters,
        }
    }

    pub(crate) fn space_exhausted(distance: f64, taken: usize) -> SurrogateError {
        SurrogateError {
            kind: SurrogateErrorKind::SpaceExhausted { distance, taken },
        }
    }
}

impl fmt::Display for SurrogateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SurrogateErrorKind::InvalidConfig {
                field,
                value,
                expected,
            } => write!(
                f,
                "invalid proposal configuration: {field} = {value}: expected {expected}"
            ),
            SurrogateErrorKind::InvalidTrainingData(message) => {
                write!(f, "invalid training data: {message}")
            }
            SurrogateErrorKind::NotPositiveDefinite { points } => write!(
                f,
                "covariance matrix of {points} training points is not positive definite: \
                 remove duplicate designs or raise the noise variance"
            ),
            SurrogateErrorKind::NoFreeParameters => f.write_str(
                "the parameter space fixes every parameter, so there is nothing to propose: \
                 give at least one parameter a range with min < max",
            ),
            SurrogateErrorKind::SpaceExhausted { distance, taken } => write!(
                f,
                "every candidate design lies within distance {distance} (unit cube) of one of \
                 the {taken} recorded or proposed designs: widen the parameter space or stop \
                 the loop"
            ),
        }
    }
}

impl std::error::Error for SurrogateError {}
