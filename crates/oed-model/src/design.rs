use std::fmt;

use serde::{Deserialize, Serialize};

/// One experiment's settings: the NK landscape and the SMC run on it.
///
/// Field names on disk are exactly the ancestor's (`N`, `K`, `q`, ...);
/// `branch_length` defaults to 1.0 when absent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// Sequence length.
    #[serde(rename = "N")]
    pub n: u32,
    /// Epistasis: the number of other sites each site's contribution depends on.
    #[serde(rename = "K")]
    pub k: u32,
    /// Alphabet size (number of states per site).
    pub q: u32,
    /// Number of SMC particles.
    pub population_size: u64,
    /// Number of SMC generations after generation 0.
    pub n_generations: u32,
    /// Per-site, per-generation probability of a mutation.
    pub mutation_rate: f64,
    /// Per-site probability that a starting particle differs from the seed sequence.
    pub diversification_ratio: f64,
    /// Time scale of one generation; the effective mutation rate is
    /// `population_size * branch_length * mutation_rate`.
    #[serde(default = "default_branch_length")]
    pub branch_length: f64,
}

fn default_branch_length() -> f64 {
    1.0
}

impl Design {
    /// Returns the value of one parameter as a float.
    pub fn get(&self, parameter: Parameter) -> f64 {
        match parameter {
            Parameter::N => f64::from(self.n),
            Parameter::K => f64::from(self.k),
            Parameter::Q => f64::from(self.q),
            Parameter::PopulationSize => self.population_size as f64,
            Parameter::NGenerations => f64::from(self.n_generations),
            Parameter::MutationRate => self.mutation_rate,
            Parameter::DiversificationRatio => self.diversification_ratio,
            Parameter::BranchLength => self.branch_length,
        }
    }

    /// Sets one parameter from a float, rounding integer parameters to the
    /// nearest integer and clamping them at zero.
    pub fn set(&mut self, parameter: Parameter, value: f64) {
        let as_u32 = |v: f64| v.round().clamp(0.0, f64::from(u32::MAX)) as u32;
        match parameter {
            Parameter::N => self.n = as_u32(value),
            Parameter::K => self.k = as_u32(value),
            Parameter::Q => self.q = as_u32(value),
            Parameter::PopulationSize => {
                self.population_size = value.round().clamp(0.0, u64::MAX as f64) as u64
            }
            Parameter::NGenerations => self.n_generations = as_u32(value),
            Parameter::MutationRate => self.mutation_rate = value,
            Parameter::DiversificationRatio => self.diversification_ratio = value,
            Parameter::BranchLength => self.branch_length = value,
        }
    }

    /// Checks the design against physical limits only, whatever the parameter
    /// space: see [`crate::ParameterSpace::validate`] for the list.
    pub fn validate_physics(&self) -> Result<(), crate::DesignError> {
        crate::space::validate_physics(self)
    }

    /// Returns the effective mutation rate, `population_size * branch_length *
    /// mutation_rate`: the expected number of mutations per site and generation
    /// summed over the population.
    pub fn effective_mutation_rate(&self) -> f64 {
        self.population_size as f64 * self.branch_length * self.mutation_rate
    }
}

impl fmt::Display for Design {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "N={} K={} q={} population_size={} n_generations={} mutation_rate={:e} \
             diversification_ratio={} branch_length={}",
            self.n,
            self.k,
            self.q,
            self.population_size,
            self.n_generations,
            self.mutation_rate,
            self.diversification_ratio,
            self.branch_length
        )
    }
}

/// One of the eight design parameters, named as on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Parameter {
    N,
    K,
    Q,
    PopulationSize,
    NGenerations,
    MutationRate,
    DiversificationRatio,
    BranchLength,
}

impl Parameter {
    /// All parameters, in the order the ancestor writes them.
    pub const ALL: [Parameter; 8] = [
        Parameter::N,
        Parameter::K,
        Parameter::Q,
        Parameter::PopulationSize,
        Parameter::NGenerations,
        Parameter::MutationRate,
        Parameter::DiversificationRatio,
        Parameter::BranchLength,
    ];

    /// Returns the field name used on disk.
    pub fn name(self) -> &'static str {
        match self {
            Parameter::N => "N",
            Parameter::K => "K",
            Parameter::Q => "q",
            Parameter::PopulationSize => "population_size",
            Parameter::NGenerations => "n_generations",
            Parameter::MutationRate => "mutation_rate",
            Parameter::DiversificationRatio => "diversification_ratio",
            Parameter::BranchLength => "branch_length",
        }
    }

    /// Whether the parameter only takes whole numbers.
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            Parameter::N
                | Parameter::K
                | Parameter::Q
                | Parameter::PopulationSize
                | Parameter::NGenerations
        )
    }

    /// Looks a parameter up by its on-disk name.
    pub fn from_name(name: &str) -> Option<Parameter> {
        Parameter::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
