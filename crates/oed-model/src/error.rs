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
    /// The value lies below `min` and there is no upper bound.
    BelowMinimum {
        min: String,
    },
    /// The value is zero or negative but must be positive.
    NotPositive,
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

    pub(crate) fn below_minimum(parameter: Parameter, value: f64, min: f64) -> Self {
        DesignError {
            parameter,
            value,
            kind: DesignErrorKind::BelowMinimum {
                min: format_number(min),
            },
        }
    }

    pub(crate) fn not_positive(parameter: Parameter, value: f64) -> Self {
        DesignError {
            parameter,
            value,
            kind: DesignErrorKind::NotPositive,
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
            DesignErrorKind::OutOfRange { min, max } if min == max => write!(
                f,
                "{name} = {value} is out of range: {name} is fixed at {min}"
            ),
            DesignErrorKind::OutOfRange { min, max } => write!(
                f,
                "{name} = {value} is out of range: {name} must be between {min} and {max}"
            ),
            DesignErrorKind::BelowMinimum { min } => write!(
                f,
                "{name} = {value} is out of range: {name} must be at least {min}"
            ),
            DesignErrorKind::NotPositive => write!(
                f,
                "{name} = {value} is out of range: {name} must be greater than 0"
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
    if let Some(name) = crate::nonfinite::non_finite_name(value) {
        return name.to_string();
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    let magnitude = value.abs();
    if !(1e-3..1e6).contains(&magnitude) {
        format!("{value:e}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_number_forms() {
        let cases = [
            (5.0, "5"),
            (-0.0, "0"),
            (100_000.0, "100000"),
            (0.5, "0.5"),
            (-0.1, "-0.1"),
            (1e-9, "1e-9"),
            (2.5e-10, "2.5e-10"),
            (1e15, "1e15"),
            (1_234_567.5, "1.2345675e6"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (value, expected) in cases {
            assert_eq!(format_number(value), expected, "formatting {value:?}");
        }
    }

    #[test]
    fn design_error_accessors() {
        let error = DesignError::not_positive(Parameter::BranchLength, -1.0);
        assert_eq!(error.parameter(), Parameter::BranchLength);
        assert_eq!(error.value(), -1.0);
    }
}
