use std::fmt;
use std::str::FromStr;

use oed_model::Metric;
use serde::Serialize;

/// Whether larger or smaller values of a metric are better.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Larger is better, the ancestor's rule for every metric.
    #[default]
    Maximize,
    /// Smaller is better.
    Minimize,
}

impl Direction {
    /// Returns the name used in summaries and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Maximize => "maximize",
            Direction::Minimize => "minimize",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The direction of each of the five metrics, used for the best records, the
/// best-so-far traces, the Pareto front and `--top` ordering.
///
/// The default maximises every metric, as the ancestor's `create_oed_summary`
/// does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Objectives {
    directions: [Direction; 5],
}

impl Objectives {
    /// Returns objectives that maximise every metric.
    pub fn maximize_all() -> Objectives {
        Objectives::default()
    }

    /// Returns these objectives with `metric` minimised.
    pub fn minimize(mut self, metric: Metric) -> Objectives {
        self.directions[metric_index(metric)] = Direction::Minimize;
        self
    }

    /// Returns the direction of one metric.
    pub fn direction(&self, metric: Metric) -> Direction {
        self.directions[metric_index(metric)]
    }

    /// Whether `candidate` is strictly better than `incumbent` for `metric`.
    pub fn is_better(&self, metric: Metric, candidate: f64, incumbent: f64) -> bool {
        match self.direction(metric) {
            Direction::Maximize => candidate > incumbent,
            Direction::Minimize => candidate < incumbent,
        }
    }

    /// Returns the values with minimised metrics negated, so that larger is
    /// better for every entry.
    pub(crate) fn orient(&self, values: [f64; 5]) -> [f64; 5] {
        let mut oriented = values;
        for (value, direction) in oriented.iter_mut().zip(self.directions) {
            if direction == Direction::Minimize {
                *value = -*value;
            }
        }
        oriented
    }
}

/// Returns the position of a metric in [`Metric::ALL`].
pub(crate) fn metric_index(metric: Metric) -> usize {
    match metric {
        Metric::InformationGain => 0,
        Metric::BarrierCrossingFrequency => 1,
        Metric::FinalSequenceEntropy => 2,
        Metric::JsdFromOriginalPopulation => 3,
        Metric::GeometricFitnessMean => 4,
    }
}

/// The error of parsing a direction name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseDirectionError {
    name: String,
}

impl fmt::Display for ParseDirectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown direction {:?}: expected maximize or minimize",
            self.name
        )
    }
}

impl std::error::Error for ParseDirectionError {}

impl FromStr for Direction {
    type Err = ParseDirectionError;

    fn from_str(name: &str) -> Result<Direction, ParseDirectionError> {
        match name {
            "maximize" | "max" => Ok(Direction::Maximize),
            "minimize" | "min" => Ok(Direction::Minimize),
            _ => Err(ParseDirectionError {
                name: name.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_index_matches_all_order() {
        for (position, metric) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(metric_index(metric), position);
        }
    }

    #[test]
    fn minimized_metric_prefers_smaller() {
        let objectives = Objectives::maximize_all().minimize(Metric::FinalSequenceEntropy);
        assert!(objectives.is_better(Metric::FinalSequenceEntropy, 1.0, 2.0));
        assert!(!objectives.is_better(Metric::FinalSequenceEntropy, 2.0, 1.0));
        assert!(objectives.is_better(Metric::InformationGain, 2.0, 1.0));
    }

    #[test]
    fn equal_values_are_not_better() {
        let objectives = Objectives::maximize_all();
        assert!(!objectives.is_better(Metric::InformationGain, 1.0, 1.0));
        assert!(!objectives.is_better(Metric::InformationGain, 0.0, -0.0));
    }

    #[test]
    fn orient_negates_minimized_only() {
        let objectives = Objectives::maximize_all().minimize(Metric::JsdFromOriginalPopulation);
        assert_eq!(
            objectives.orient([1.0, 2.0, 3.0, 4.0, 5.0]),
            [1.0, 2.0, 3.0, -4.0, 5.0]
        );
    }
}
