use std::fmt;

use serde::{Deserialize, Serialize};

/// One experiment's settings: the NK landscape and the SMC run on it.
///
/// Field names on disk are exactly the ancestor's (`N`, `K`, `q`, ...), and
/// `branch_length` defaults to 1.0 when absent. The float fields use the
/// [`crate::nonfinite`] encoding, so even an invalid design with a NaN survives
/// a round trip through JSON instead of turning into `null`.
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
    #[serde(with = "crate::nonfinite")]
    pub mutation_rate: f64,
    /// Per-site probability that a starting particle differs from the seed sequence.
    #[serde(with = "crate::nonfinite")]
    pub diversification_ratio: f64,
    /// Time scale of one generation; the effective mutation rate is
    /// `population_size * branch_length * mutation_rate`.
    #[serde(default = "default_branch_length", with = "crate::nonfinite")]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn design() -> Design {
        Design {
            n: 20,
            k: 2,
            q: 4,
            population_size: 1000,
            n_generations: 200,
            mutation_rate: 1e-3,
            diversification_ratio: 0.1,
            branch_length: 1.0,
        }
    }

    #[test]
    fn set_then_get_each_parameter() {
        for (i, parameter) in Parameter::ALL.into_iter().enumerate() {
            let mut changed = design();
            let value = 3.0 + i as f64;
            changed.set(parameter, value);
            assert_eq!(changed.get(parameter), value, "{parameter}");
            for other in Parameter::ALL.into_iter().filter(|&p| p != parameter) {
                assert_eq!(changed.get(other), design().get(other), "{other}");
            }
        }
    }

    #[test]
    fn set_rounds_and_clamps_integers() {
        let mut changed = design();
        changed.set(Parameter::N, 12.5);
        assert_eq!(changed.n, 13);
        changed.set(Parameter::K, -3.0);
        assert_eq!(changed.k, 0);
        changed.set(Parameter::Q, 1e12);
        assert_eq!(changed.q, u32::MAX);
        changed.set(Parameter::PopulationSize, 49.6);
        assert_eq!(changed.population_size, 50);
        changed.set(Parameter::MutationRate, 0.25);
        assert_eq!(changed.mutation_rate, 0.25);
    }

    #[test]
    fn parameter_names_round_trip() {
        let names: Vec<&str> = Parameter::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(
            names,
            [
                "N",
                "K",
                "q",
                "population_size",
                "n_generations",
                "mutation_rate",
                "diversification_ratio",
                "branch_length"
            ]
        );
        for parameter in Parameter::ALL {
            assert_eq!(Parameter::from_name(parameter.name()), Some(parameter));
        }
        assert_eq!(Parameter::from_name("n"), None);
    }

    #[test]
    fn effective_mutation_rate_is_product() {
        let mut changed = design();
        changed.branch_length = 2.0;
        assert_eq!(changed.effective_mutation_rate(), 1000.0 * 2.0 * 1e-3);
    }

    #[test]
    fn display_lists_every_field() {
        assert_eq!(
            design().to_string(),
            "N=20 K=2 q=4 population_size=1000 n_generations=200 mutation_rate=1e-3 \
             diversification_ratio=0.1 branch_length=1"
        );
    }
}
