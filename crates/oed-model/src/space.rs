use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

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

    /// Whether the range contains a single value.
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
        // The end points are exact, which `exp(ln(min))` is not.
        if u == 0.0 {
            return self.min;
        }
        if u == 1.0 {
            return self.max;
        }
        let value = match self.scale {
            Scale::Linear => self.min + u * (self.max - self.min),
            Scale::Log => (self.min.ln() + u * (self.max.ln() - self.min.ln())).exp(),
        };
        value.clamp(self.min, self.max)
    }
}

/// The ranges that designs are drawn from, one [`Bounds`] per [`Parameter`].
///
/// On disk (JSON or TOML) it is a table keyed by parameter name. Each entry is
/// `{min, max, scale}` for a range (`scale` is `"linear"` or `"log"`), or
/// `{value}` or a bare number for a fixed parameter. A file lists only the
/// parameters it changes, and the rest keep their defaults. A range entry may
/// also leave out `min`, `max` or `scale`, which then keep their defaults:
///
/// ```toml
/// N = { min = 10, max = 30 }
/// mutation_rate = { min = 1e-6, max = 1e-2, scale = "log" }
/// population_size = { max = 1000 }  # still log scale, from 50
/// n_generations = { value = 50 }
/// branch_length = 2.0
/// ```
///
/// The serde implementations read and write this form, so a space can be
/// stored inside a larger JSON document.
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

impl ParameterSpace {
    /// Returns the bounds of one parameter.
    pub fn bounds(&self, parameter: Parameter) -> Bounds {
        self.bounds[index(parameter)]
    }

    /// Replaces the bounds of one parameter after checking them. Fixed bounds
    /// are stored with [`Scale::Linear`], because a single value has no scale.
    pub fn set_bounds(
        &mut self,
        parameter: Parameter,
        mut bounds: Bounds,
    ) -> Result<(), SpaceError> {
        check_bounds(parameter, &bounds)?;
        if bounds.is_fixed() {
            bounds.scale = Scale::Linear;
        }
        self.bounds[index(parameter)] = bounds;
        Ok(())
    }

    /// Returns the parameters whose range contains more than one value, in
    /// [`Parameter::ALL`] order.
    pub fn free_parameters(&self) -> Vec<Parameter> {
        Parameter::ALL
            .into_iter()
            .filter(|&p| !self.bounds(p).is_fixed())
            .collect()
    }

    /// Maps a design's free parameters into the unit cube, one coordinate per
    /// entry of [`ParameterSpace::free_parameters`] (see [`Bounds::to_unit`]).
    pub fn to_unit(&self, design: &Design) -> Vec<f64> {
        self.free_parameters()
            .into_iter()
            .map(|p| self.bounds(p).to_unit(design.get(p)))
            .collect()
    }

    /// Builds the design at a point of the unit cube, the inverse of
    /// [`ParameterSpace::to_unit`]. Fixed parameters take their value, integer
    /// parameters are rounded, and K is lowered to N-1 when it exceeds it, so the
    /// result passes [`ParameterSpace::validate`] whenever the space's own
    /// bounds are physically valid.
    ///
    /// # Panics
    ///
    /// Panics when `point` does not have one coordinate per free parameter.
    pub fn from_unit(&self, point: &[f64]) -> Design {
        let free = self.free_parameters();
        assert_eq!(
            point.len(),
            free.len(),
            "a point needs one coordinate per free parameter ({})",
            free.len()
        );

        let mut design = Design {
            n: 0,
            k: 0,
            q: 0,
            population_size: 0,
            n_generations: 0,
            mutation_rate: 0.0,
            diversification_ratio: 0.0,
            branch_length: 0.0,
        };
        for parameter in Parameter::ALL {
            design.set(parameter, self.bounds(parameter).min);
        }
        for (&parameter, &u) in free.iter().zip(point) {
            design.set(parameter, self.bounds(parameter).from_unit(u));
        }

        design.k = design.k.min(design.n.saturating_sub(1));
        design
    }

    /// Parses a space from JSON, starting from the defaults (see
    /// [`ParameterSpace`] for the form).
    pub fn from_json_str(text: &str) -> Result<ParameterSpace, SpaceError> {
        let table: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
            .map_err(|e| SpaceError::new(format!("invalid parameter space: {e}")))?;
        ParameterSpace::from_json_table(table)
    }

    /// Parses a space from TOML, starting from the defaults (see
    /// [`ParameterSpace`] for the form).
    pub fn from_toml_str(text: &str) -> Result<ParameterSpace, SpaceError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let error = e.to_string();
            SpaceError::new(format!("invalid parameter space: {}", error.trim_end()))
        })?;

        let mut entries = Vec::with_capacity(table.len());
        for (name, value) in table {
            let entry = match value {
                toml::Value::Integer(number) => BoundsEntry::fixed(number as f64),
                toml::Value::Float(number) => BoundsEntry::fixed(number),
                toml::Value::Table(_) => value
                    .try_into::<BoundsEntry>()
                    .map_err(|e| invalid_entry(&name, e))?,
                other => return Err(not_an_entry(&name, other.type_str())),
            };
            entries.push((name, entry));
        }
        ParameterSpace::from_entries(entries)
    }

    /// Returns the whole space as JSON, every parameter listed.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("bounds serialise to JSON")
    }

    fn from_json_table(
        table: serde_json::Map<String, serde_json::Value>,
    ) -> Result<ParameterSpace, SpaceError> {
        let mut entries = Vec::with_capacity(table.len());
        for (name, value) in table {
            let entry = match value {
                // Without serde_json's arbitrary precision every number is an f64.
                serde_json::Value::Number(number) => {
                    BoundsEntry::fixed(number.as_f64().unwrap_or(f64::NAN))
                }
                serde_json::Value::Object(_) => {
                    BoundsEntry::deserialize(value).map_err(|e| invalid_entry(&name, e))?
                }
                other => return Err(not_an_entry(&name, json_type_name(&other))),
            };
            entries.push((name, entry));
        }
        ParameterSpace::from_entries(entries)
    }

    fn from_entries(entries: Vec<(String, BoundsEntry)>) -> Result<ParameterSpace, SpaceError> {
        let mut space = ParameterSpace::default();
        for (name, entry) in entries {
            let Some(parameter) = Parameter::from_name(&name) else {
                let names: Vec<&str> = Parameter::ALL.iter().map(|p| p.name()).collect();
                return Err(SpaceError::new(format!(
                    "invalid parameter space: unknown parameter {name:?}: expected one of {}",
                    names.join(", ")
                )));
            };
            let bounds = entry.apply_to(parameter, space.bounds(parameter))?;
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

    for parameter in [
        Parameter::N,
        Parameter::PopulationSize,
        Parameter::NGenerations,
    ] {
        let value = design.get(parameter);
        if value < 1.0 {
            return Err(DesignError::below_minimum(parameter, value, 1.0));
        }
    }
    let ranges = [
        (Parameter::Q, 2.0, 127.0),
        (Parameter::MutationRate, 0.0, 1.0),
        (Parameter::DiversificationRatio, 0.0, 1.0),
    ];
    for (parameter, min, max) in ranges {
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
            format!("N-1 = {}", design.n - 1),
        ));
    }
    if design.branch_length <= 0.0 {
        return Err(DesignError::not_positive(
            Parameter::BranchLength,
            design.branch_length,
        ));
    }
    Ok(())
}

/// One entry of the on-disk form: `{value}` fixes the parameter, and
/// `{min, max, scale}` sets a range in which any field left out keeps its
/// current value.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoundsEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scale: Option<Scale>,
}

impl BoundsEntry {
    fn fixed(value: f64) -> BoundsEntry {
        BoundsEntry {
            value: Some(value),
            ..BoundsEntry::default()
        }
    }

    fn from_bounds(bounds: Bounds) -> BoundsEntry {
        if bounds.is_fixed() {
            return BoundsEntry::fixed(bounds.min);
        }
        BoundsEntry {
            value: None,
            min: Some(bounds.min),
            max: Some(bounds.max),
            scale: Some(bounds.scale),
        }
    }

    /// Returns the bounds this entry gives `parameter`, filling what it leaves
    /// out from `current`.
    fn apply_to(&self, parameter: Parameter, current: Bounds) -> Result<Bounds, SpaceError> {
        let name = parameter.name();
        let has_range = self.min.is_some() || self.max.is_some() || self.scale.is_some();
        match self.value {
            Some(_) if has_range => Err(SpaceError::new(format!(
                "invalid parameter space: {name}: give either value or min and max, not both"
            ))),
            Some(value) => Ok(Bounds::fixed(value)),
            None if !has_range => Err(SpaceError::new(format!(
                "invalid parameter space: {name}: empty entry: give value, or min and max"
            ))),
            None => Ok(Bounds {
                min: self.min.unwrap_or(current.min),
                max: self.max.unwrap_or(current.max),
                scale: self.scale.unwrap_or(current.scale),
            }),
        }
    }
}

fn invalid_entry(name: &str, error: impl std::fmt::Display) -> SpaceError {
    // TOML errors end with a newline and may put the field on a line of its own.
    let error = error.to_string().trim_end().replace('\n', " ");
    SpaceError::new(format!("invalid parameter space: {name}: {error}"))
}

fn not_an_entry(name: &str, type_name: &str) -> SpaceError {
    SpaceError::new(format!(
        "invalid parameter space: {name}: expected a number or a table such as \
         {{ min = 1, max = 10 }}, found {type_name}"
    ))
}

fn json_type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "table",
    }
}

impl Serialize for ParameterSpace {
    /// Writes every parameter in [`Parameter::ALL`] order, a fixed one as
    /// `{value}` and the others as `{min, max, scale}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Parameter::ALL.len()))?;
        for parameter in Parameter::ALL {
            let entry = BoundsEntry::from_bounds(self.bounds(parameter));
            map.serialize_entry(parameter.name(), &entry)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ParameterSpace {
    /// Reads the same form as [`ParameterSpace::from_json_str`], starting from
    /// the defaults.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ParameterSpace, D::Error> {
        let table = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        ParameterSpace::from_json_table(table).map_err(de::Error::custom)
    }
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
        return invalid(format!(
            "a log-scale range needs min > 0; add scale = \"linear\" for a linear range of {name}"
        ));
    }
    // Integer parameters are stored as u32 (N, K, q, n_generations) or u64
    // (population_size); a float above 2^53 cannot represent every integer.
    let u32_max = f64::from(u32::MAX);
    let (lowest, highest) = match parameter {
        Parameter::N | Parameter::NGenerations => (1.0, u32_max),
        Parameter::PopulationSize => (1.0, 2f64.powi(53)),
        Parameter::K => (0.0, u32_max),
        Parameter::Q => (2.0, 127.0),
        Parameter::MutationRate | Parameter::DiversificationRatio => (0.0, 1.0),
        Parameter::BranchLength => (f64::MIN_POSITIVE, f64::INFINITY),
    };
    if min < lowest || max > highest {
        let allowed = if highest.is_infinite() {
            format!("{name} must be greater than {}", format_number(0.0))
        } else if min < lowest && highest >= u32_max {
            format!("{name} must be at least {}", format_number(lowest))
        } else {
            format!(
                "{name} must lie between {} and {}",
                format_number(lowest),
                format_number(highest)
            )
        };
        return invalid(allowed);
    }
    Ok(())
}

fn index(parameter: Parameter) -> usize {
    Parameter::ALL
        .iter()
        .position(|&p| p == parameter)
        .expect("every parameter is in ALL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_unit_mapping() {
        let bounds = Bounds::linear(10.0, 20.0);
        assert_eq!(bounds.to_unit(10.0), 0.0);
        assert_eq!(bounds.to_unit(15.0), 0.5);
        assert_eq!(bounds.to_unit(20.0), 1.0);
        assert_eq!(bounds.from_unit(0.25), 12.5);
    }

    #[test]
    fn log_unit_mapping() {
        let bounds = Bounds::log(1e-4, 1.0);
        assert!((bounds.to_unit(1e-2) - 0.5).abs() < 1e-12);
        assert!((bounds.from_unit(0.5) - 1e-2).abs() < 1e-15);
        assert_eq!(bounds.from_unit(0.0), 1e-4);
        assert_eq!(bounds.from_unit(1.0), 1.0);
    }

    #[test]
    fn from_unit_clamps_outside_unit_interval() {
        let bounds = Bounds::linear(-1.0, 1.0);
        assert_eq!(bounds.from_unit(-0.5), -1.0);
        assert_eq!(bounds.from_unit(7.0), 1.0);
    }

    #[test]
    fn fixed_bounds_map_to_zero() {
        let bounds = Bounds::fixed(200.0);
        assert!(bounds.is_fixed());
        assert_eq!(bounds.to_unit(200.0), 0.0);
        assert_eq!(bounds.from_unit(0.7), 200.0);
    }

    #[test]
    fn index_follows_all() {
        for (i, parameter) in Parameter::ALL.into_iter().enumerate() {
            assert_eq!(index(parameter), i);
        }
    }
}
