use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::format_number;
use crate::{Design, DesignError, Parameter, SpaceError};

/// How a parameter is spread over its range when sampling and modelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Uniform in the value.
    #[default]
    Linear,
    /// Uniform in the logarithm of the value; the lower bound must be positive.
    Log,
}

/// The closed range of one parameter. A range with `min == max` fixes the
/// parameter.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
    #[serde(default)]
    pub scale: Scale,
}

impl Bounds {
    /// Returns bounds spread linearly over `[min, max]`.
    pub const fn linear(min: f64, max: f64) -> Bounds {
        Bounds {
            min,
            max,
            scale: Scale::Linear,
        }
    }

    /// Returns bounds spread logarithmically over `[min, max]`.
    pub const fn log(min: f64, max: f64) -> Bounds {
        Bounds {
            min,
            max,
            scale: Scale::Log,
        }
    }

    /// Returns bounds that fix a parameter at `value`.
    pub const fn fixed(value: f64) -> Bounds {
        Bounds {
            min: value,
            max: value,
            scale: Scale::Linear,
        }
    }

    /// Whether the range holds a single value.
    pub fn is_fixed(&self) -> bool {
        self.min == self.max
    }

    /// Maps a value to `[0, 1]`, logarithmically for a log-scale range. A fixed
    /// range maps to 0.
    pub fn to_unit(&self, value: f64) -> f64 {
        if self.is_fixed() {
            return 0.0;
        }
        match self.scale {
            Scale::Linear => (value - self.min) / (self.max - self.min),
            Scale::Log => (value.ln() - self.min.ln()) / (self.max.ln() - self.min.ln()),
        }
    }

    /// Maps `u` in `[0, 1]` back to a value in the range (the inverse of
    /// [`Bounds::to_unit`]); `u` outside `[0, 1]` is clamped.
    pub fn from_unit(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        let value = match self.scale {
            Scale::Linear => self.min + u * (self.max - self.min),
            Scale::Log => (self.min.ln() + u * (self.max.ln() - self.min.ln())).exp(),
        };
        value.clamp(self.min, self.max)
    }
}

/// The ranges that designs are drawn from, one [`Bounds`] per [`Parameter`].
///
/// On disk (JSON or TOML) it is a table keyed by parameter name, each entry
/// `{min, max, scale}` or `{value}` for a fixed parameter. A file lists only the
/// parameters it changes, and the rest keep their defaults:
///
/// ```toml
/// N = { min = 10, max = 30 }
/// mutation_rate = { min = 1e-6, max = 1e-2, scale = "log" }
/// n_generations = { value = 50 }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ParameterSpace {
    bounds: [Bounds; 8],
}

impl Default for ParameterSpace {
    /// The default space: N 10..=200, K 0..=5, q 2..=20, population_size
    /// 50..=100000 (log), mutation_rate 1e-9..=1e-1 (log), diversification_ratio
    /// 0..=1, n_generations fixed at 200 and branch_length fixed at 1.
    fn default() -> ParameterSpace {
        ParameterSpace {
            bounds: [
                Bounds::linear(10.0, 200.0),
                Bounds::linear(0.0, 5.0),
                Bounds::linear(2.0, 20.0),
                Bounds::log(50.0, 100_000.0),
                Bounds::fixed(200.0),
                Bounds::log(1e-9, 1e-1),
                Bounds::linear(0.0, 1.0),
                Bounds::fixed(1.0),
            ],
        }
    }
}

/// One entry of the on-disk form.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum BoundsEntry {
    Fixed { value: f64 },
    Range(Bounds),
}

impl ParameterSpace {
    /// Returns the bounds of one parameter.
    pub fn bounds(&self, parameter: Parameter) -> Bounds {
        self.bounds[index(parameter)]
    }

    /// Replaces the bounds of one parameter after checking them.
    pub fn set_bounds(&mut self, parameter: Parameter, bounds: Bounds) -> Result<(), SpaceError> {
        check_bounds(parameter, &bounds)?;
        self.bounds[index(parameter)] = bounds;
        Ok(())
    }

    /// Returns the parameters whose range holds more than one value.
    pub fn free_parameters(&self) -> Vec<Parameter> {
        Parameter::ALL
            .into_iter()
            .filter(|&p| !self.bounds(p).is_fixed())
            .collect()
    }

    /// Parses a space from JSON, starting from the defaults.
    pub fn from_json_str(text: &str) -> Result<ParameterSpace, SpaceError> {
        let entries: BTreeMap<String, BoundsEntry> = serde_json::from_str(text)
            .map_err(|e| SpaceError::new(format!("invalid parameter space: {e}")))?;
        ParameterSpace::from_entries(entries)
    }

    /// Parses a space from TOML, starting from the defaults.
    pub fn from_toml_str(text: &str) -> Result<ParameterSpace, SpaceError> {
        let entries: BTreeMap<String, BoundsEntry> = toml::from_str(text)
            .map_err(|e| SpaceError::new(format!("invalid parameter space: {e}")))?;
        ParameterSpace::from_entries(entries)
    }

    /// Returns the whole space as JSON, every parameter listed.
    pub fn to_json_value(&self) -> serde_json::Value {
        let entries: BTreeMap<&str, BoundsEntry> = Parameter::ALL
            .into_iter()
            .map(|p| {
                let bounds = self.bounds(p);
                let entry = if bounds.is_fixed() {
                    BoundsEntry::Fixed { value: bounds.min }
                } else {
                    BoundsEntry::Range(bounds)
                };
                (p.name(), entry)
            })
            .collect();
        serde_json::to_value(entries).expect("bounds serialise to JSON")
    }

    fn from_entries(entries: BTreeMap<String, BoundsEntry>) -> Result<ParameterSpace, SpaceError> {
        let mut space = ParameterSpace::default();
        for (name, entry) in entries {
            let Some(parameter) = Parameter::from_name(&name) else {
                let names: Vec<&str> = Parameter::ALL.iter().map(|p| p.name()).collect();
                return Err(SpaceError::new(format!(
                    "unknown parameter {name:?} in parameter space: expected one of {}",
                    names.join(", ")
                )));
            };
            let bounds = match entry {
                BoundsEntry::Fixed { value } => Bounds::fixed(value),
                BoundsEntry::Range(bounds) => bounds,
            };
            space.set_bounds(parameter, bounds)?;
        }
        let (k_min, n_max) = (
            space.bounds(Parameter::K).min,
            space.bounds(Parameter::N).max,
        );
        if k_min > n_max - 1.0 {
            return Err(SpaceError::new(format!(
                "invalid parameter space: K.min = {} leaves no valid design, because K must be \
                 at most N-1 and N.max = {}",
                format_number(k_min),
                format_number(n_max)
            )));
        }
        Ok(space)
    }

    /// Checks a design against physics and then against this space.
    ///
    /// Physics: every value finite, N >= 1, 0 <= K <= N-1, 2 <= q <= 127 (states
    /// are stored as signed bytes), population_size >= 1, n_generations >= 1,
    /// mutation_rate and diversification_ratio in [0, 1], branch_length > 0.
    /// The space adds each parameter's bounds.
    pub fn validate(&self, design: &Design) -> Result<(), DesignError> {
        validate_physics(design)?;
        for parameter in Parameter::ALL {
            let value = design.get(parameter);
            let bounds = self.bounds(parameter);
            if value < bounds.min || value > bounds.max {
                return Err(out_of_range(parameter, value, bounds.min, bounds.max));
            }
        }
        Ok(())
    }
}

/// Checks a design against physical limits only, whatever the space.
pub(crate) fn validate_physics(design: &Design) -> Result<(), DesignError> {
    for parameter in Parameter::ALL {
        let value = design.get(parameter);
        if !value.is_finite() {
            return Err(DesignError::not_finite(parameter, value));
        }
    }
    let n = f64::from(design.n);
    let checks = [
        (Parameter::N, 1.0, f64::from(u32::MAX)),
        (Parameter::Q, 2.0, 127.0),
        (Parameter::PopulationSize, 1.0, u64::MAX as f64),
        (Parameter::NGenerations, 1.0, f64::from(u32::MAX)),
        (Parameter::MutationRate, 0.0, 1.0),
        (Parameter::DiversificationRatio, 0.0, 1.0),
    ];
    for (parameter, min, max) in checks {
        let value = design.get(parameter);
        if value < min || value > max {
            return Err(out_of_range(parameter, value, min, max));
        }
    }
    if design.k >= design.n {
        return Err(DesignError::out_of_range(
            Parameter::K,
            f64::from(design.k),
            "0".to_string(),
            format!("N-1 = {}", format_number(n - 1.0)),
        ));
    }
    if design.branch_length <= 0.0 {
        return Err(DesignError::out_of_range(
            Parameter::BranchLength,
            design.branch_length,
            "a positive number".to_string(),
            "infinity".to_string(),
        ));
    }
    Ok(())
}

fn out_of_range(parameter: Parameter, value: f64, min: f64, max: f64) -> DesignError {
    DesignError::out_of_range(parameter, value, format_number(min), format_number(max))
}

fn check_bounds(parameter: Parameter, bounds: &Bounds) -> Result<(), SpaceError> {
    let name = parameter.name();
    let (min, max) = (bounds.min, bounds.max);
    let invalid = |why: String| {
        Err(SpaceError::new(format!(
            "invalid bounds for {name}: min = {}, max = {}: {why}",
            format_number(min),
            format_number(max)
        )))
    };
    if !min.is_finite() || !max.is_finite() {
        return invalid("both bounds must be finite numbers".to_string());
    }
    if min > max {
        return invalid("min must not exceed max".to_string());
    }
    if parameter.is_integer() && (min.fract() != 0.0 || max.fract() != 0.0) {
        return invalid(format!("{name} takes whole numbers only"));
    }
    if bounds.scale == Scale::Log && min <= 0.0 {
        return invalid("a log-scale range needs min > 0".to_string());
    }
    let (lowest, highest) = match parameter {
        Parameter::N | Parameter::PopulationSize | Parameter::NGenerations => (1.0, f64::INFINITY),
        Parameter::K => (0.0, f64::INFINITY),
        Parameter::Q => (2.0, 127.0),
        Parameter::MutationRate | Parameter::DiversificationRatio => (0.0, 1.0),
        Parameter::BranchLength => (f64::MIN_POSITIVE, f64::INFINITY),
    };
    if min < lowest || max > highest {
        return invalid(format!(
            "{name} must lie between {} and {}",
            format_number(lowest),
            format_number(highest)
        ));
    }
    Ok(())
}

fn index(parameter: Parameter) -> usize {
    Parameter::ALL
        .iter()
        .position(|&p| p == parameter)
        .expect("every parameter is in ALL")
}
