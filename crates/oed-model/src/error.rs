use std::fmt;

use crate::Parameter;

/// A design value that is not physically meaningful or lies outside the
/// parameter space.
///
/// `Display` names the parameter, the value and the allowed range, for example
/// `K = 7 is out of range: K must be between 0 and N-1 = 5`.
#[derive(Clone, Debug, PartialEq)]
pub struct DesignError {
    parameter: Parameter,
    value: f64,
    kind: DesignErrorKind,
}

#[derive(Clone, Debug, PartialEq)]
enum DesignErrorKind {
    /// The value lies outside `[min, max]`; both are preformatted so that a bound
    /// that depends on another parameter can read `N-1 = 5`.
    OutOfRange {
        min: String,
        max: String,
    },
    NotFinite,
}

impl DesignError {
    pub(crate) fn out_of_range(parameter: Parameter, value: f64, min: String, max: String) -> Self {
        DesignError {
            parameter,
            value,
            kind: DesignErrorKind::OutOfRange { min, max },
        }
    }

    pub(crate) fn not_finite(parameter: Parameter, value: f64) -> Self {
        DesignError {
            parameter,
            value,
            kind: DesignErrorKind::NotFinite,
        }
    }

    /// The parameter whose value was rejected.
    pub fn parameter(&self) -> Parameter {
        self.parameter
    }

    /// The rejected value.
    pub fn value(&self) -> f64 {
        self.value
    }
}

impl fmt::Display for DesignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.parameter.name();
        let value = format_number(self.value);
        match &self.kind {
            DesignErrorKind::OutOfRange { min, max } => write!(
                f,
                "{name} = {value} is out of range: {name} must be between {min} and {max}"
            ),
            DesignErrorKind::NotFinite => {
                write!(
                    f,
                    "{name} = {value} is invalid: {name} must be a finite number"
                )
            }
        }
    }
}

impl std::error::Error for DesignError {}

/// A parameter-space description that cannot be used.
#[derive(Clone, Debug, PartialEq)]
pub struct SpaceError {
    message: String,
}

impl SpaceError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        SpaceError {
            message: message.into(),
        }
    }
}

impl fmt::Display for SpaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpaceError {}

/// Formats a number for messages: integers without a fraction, very small or
/// large magnitudes in exponent form, the rest in shortest round-trip form.
pub(crate) fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    let magnitude = value.abs();
    if magnitude < 1e-3 || magnitude >= 1e6 {
        format!("{value:e}")
    } else {
        format!("{value}")
    }
}
