use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The five measurements of one experiment, named as the ancestor writes them.
///
/// Any value may be non-finite (a failed estimate); see [`crate::nonfinite`] for
/// how such values are stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentResult {
    /// Jeffreys divergence between the fitness histograms of generation 0 and the
    /// final generation (nats).
    #[serde(with = "crate::nonfinite")]
    pub information_gain: f64,
    /// Fraction of generations in which the mean fitness crosses its median.
    #[serde(with = "crate::nonfinite")]
    pub barrier_crossing_frequency: f64,
    /// Mean per-site Shannon entropy of the final generation (nats).
    #[serde(with = "crate::nonfinite")]
    pub final_sequence_entropy: f64,
    /// Jensen-Shannon divergence between the pooled state frequencies of
    /// generation 0 and the final generation (nats).
    #[serde(with = "crate::nonfinite")]
    pub jsd_from_original_population: f64,
    /// Geometric mean over generations of the population's mean fitness.
    #[serde(with = "crate::nonfinite")]
    pub geometric_fitness_mean: f64,
}

impl ExperimentResult {
    /// Returns one metric's value.
    pub fn get(&self, metric: Metric) -> f64 {
        match metric {
            Metric::InformationGain => self.information_gain,
            Metric::BarrierCrossingFrequency => self.barrier_crossing_frequency,
            Metric::FinalSequenceEntropy => self.final_sequence_entropy,
            Metric::JsdFromOriginalPopulation => self.jsd_from_original_population,
            Metric::GeometricFitnessMean => self.geometric_fitness_mean,
        }
    }

    /// Returns the five values in [`Metric::ALL`] order.
    pub fn to_array(&self) -> [f64; 5] {
        Metric::ALL.map(|m| self.get(m))
    }

    /// Builds a result from five values in [`Metric::ALL`] order.
    pub fn from_array(values: [f64; 5]) -> ExperimentResult {
        ExperimentResult {
            information_gain: values[0],
            barrier_crossing_frequency: values[1],
            final_sequence_entropy: values[2],
            jsd_from_original_population: values[3],
            geometric_fitness_mean: values[4],
        }
    }
}

/// One of the five measured quantities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    InformationGain,
    BarrierCrossingFrequency,
    FinalSequenceEntropy,
    JsdFromOriginalPopulation,
    GeometricFitnessMean,
}

impl Metric {
    /// All metrics, in the order the ancestor writes them.
    pub const ALL: [Metric; 5] = [
        Metric::InformationGain,
        Metric::BarrierCrossingFrequency,
        Metric::FinalSequenceEntropy,
        Metric::JsdFromOriginalPopulation,
        Metric::GeometricFitnessMean,
    ];

    /// Returns the field name used on disk.
    pub fn name(self) -> &'static str {
        match self {
            Metric::InformationGain => "information_gain",
            Metric::BarrierCrossingFrequency => "barrier_crossing_frequency",
            Metric::FinalSequenceEntropy => "final_sequence_entropy",
            Metric::JsdFromOriginalPopulation => "jsd_from_original_population",
            Metric::GeometricFitnessMean => "geometric_fitness_mean",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a metric name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseMetricError {
    name: String,
}

impl fmt::Display for ParseMetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        write!(
            f,
            "unknown metric {:?}: expected one of {}",
            self.name,
            names.join(", ")
        )
    }
}

impl std::error::Error for ParseMetricError {}

impl FromStr for Metric {
    type Err = ParseMetricError;

    /// Parses a metric from its on-disk name or the ancestor's summary
    /// abbreviations (`entropy`, `jsd`).
    fn from_str(name: &str) -> Result<Metric, ParseMetricError> {
        let found = Metric::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .or(match name {
                "entropy" | "final_entropy" => Some(Metric::FinalSequenceEntropy),
                "jsd" => Some(Metric::JsdFromOriginalPopulation),
                "barrier_crossing" => Some(Metric::BarrierCrossingFrequency),
                "fitness" => Some(Metric::GeometricFitnessMean),
                _ => None,
            });
        found.ok_or_else(|| ParseMetricError {
            name: name.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_parse_back() {
        for metric in Metric::ALL {
            assert_eq!(metric.name().parse::<Metric>(), Ok(metric));
            assert_eq!(metric.to_string(), metric.name());
        }
    }

    #[test]
    fn metric_aliases_parse() {
        let cases = [
            ("entropy", Metric::FinalSequenceEntropy),
            ("final_entropy", Metric::FinalSequenceEntropy),
            ("jsd", Metric::JsdFromOriginalPopulation),
            ("barrier_crossing", Metric::BarrierCrossingFrequency),
            ("fitness", Metric::GeometricFitnessMean),
        ];
        for (name, metric) in cases {
            assert_eq!(name.parse::<Metric>(), Ok(metric), "parsing {name}");
        }
    }

    #[test]
    fn unknown_metric_message() {
        let error = "gain".parse::<Metric>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown metric \"gain\": expected one of information_gain, \
             barrier_crossing_frequency, final_sequence_entropy, \
             jsd_from_original_population, geometric_fitness_mean"
        );
    }

    #[test]
    fn array_order_matches_fields() {
        let result = ExperimentResult::from_array([1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(result.information_gain, 1.0);
        assert_eq!(result.barrier_crossing_frequency, 2.0);
        assert_eq!(result.final_sequence_entropy, 3.0);
        assert_eq!(result.jsd_from_original_population, 4.0);
        assert_eq!(result.geometric_fitness_mean, 5.0);
        assert_eq!(result.to_array(), [1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(result.get(Metric::FinalSequenceEntropy), 3.0);
    }
}
