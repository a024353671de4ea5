//! The summary of a manifest and its JSON form.

use oed_model::{Design, ExperimentResult, Metric, Phase};
use rayon::prelude::*;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::objective::{Direction, Objectives};
use crate::partial::{Best, FrontMember, Partial, RecordRef};
use crate::stats::Statistics;

/// Version of the summary layout, written as `summary_version`.
pub const SUMMARY_VERSION: u32 = 1;

/// The summary of every record of a manifest.
///
/// The JSON form starts with the keys of the ancestor's `create_oed_summary`,
/// with the same meaning, so scripts written for its `oed_summary.json` keep
/// working. The keys from `summary_version` on are this tool's. Field order is
/// the JSON key order, and `docs/cli.md` documents every field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub total_experiments: u64,
    pub seeding_experiments: u64,
    pub optimization_experiments: u64,
    pub best_information_gain: Option<AncestorBest>,
    pub best_final_entropy: Option<AncestorBest>,
    pub best_jsd: Option<AncestorBest>,
    /// Timestamp of the first record in manifest order, as the ancestor reports.
    pub first_experiment: Option<String>,
    /// Timestamp of the last record in manifest order, as the ancestor reports.
    pub last_experiment: Option<String>,

    pub summary_version: u32,
    /// Records of phases other than seeding and optimization.
    pub other_phase_experiments: u64,
    /// Records whose run failed (status `failed` or no result).
    pub failed_runs: u64,
    /// Manifest lines skipped as invalid by lenient reading.
    pub skipped_lines: u64,
    /// Record and failure counts per phase: seeding, optimization, then any
    /// other phase in order of first appearance.
    #[serde(serialize_with = "serialize_phase_map")]
    pub phases: Vec<(Phase, PhaseCount)>,
    #[serde(serialize_with = "serialize_metric_map")]
    pub objectives: [Direction; 5],
    /// The best record of each metric, `None` when no record has a finite
    /// value of it.
    #[serde(serialize_with = "serialize_metric_map")]
    pub best: [Option<BestRecord>; 5],
    pub statistics: StatisticsSummary,
    /// Each metric's best-so-far trace: the records, in record order, that
    /// improved on every earlier finite value.
    #[serde(serialize_with = "serialize_metric_map")]
    pub best_so_far: [Vec<TracePoint>; 5],
    /// Records not dominated in all five metrics at once, in record order.
    pub pareto_front: Vec<ParetoMember>,
}

/// The ancestor's form of a best record: `{value, run_uuid, design}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AncestorBest {
    #[serde(with = "oed_model::nonfinite")]
    pub value: f64,
    pub run_uuid: String,
    pub design: Design,
}

/// Counts of one phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PhaseCount {
    pub experiments: u64,
    pub failed: u64,
}

/// The best record of one metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BestRecord {
    #[serde(with = "oed_model::nonfinite")]
    pub value: f64,
    pub run_uuid: String,
    pub design: Design,
    /// Position of the record in the manifest, from 0, counting records only.
    pub index: u64,
    pub phase: Phase,
    pub iteration: u64,
    pub timestamp: String,
    /// Number of later records with exactly the same value; the earliest
    /// record wins a tie.
    pub tied_records: u64,
}

/// Per-metric statistics over all records and per phase.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatisticsSummary {
    #[serde(serialize_with = "serialize_metric_map")]
    pub overall: [Statistics; 5],
    #[serde(serialize_with = "serialize_phase_map")]
    pub by_phase: Vec<(Phase, MetricStatistics)>,
}

/// The statistics of the five metrics over one group of records.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct MetricStatistics(#[serde(serialize_with = "serialize_metric_map")] pub [Statistics; 5]);

/// One improvement of a best-so-far trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TracePoint {
    pub index: u64,
    #[serde(with = "oed_model::nonfinite")]
    pub value: f64,
    pub run_uuid: String,
}

/// A record on the Pareto front.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParetoMember {
    pub index: u64,
    pub run_uuid: String,
    pub phase: Phase,
    pub iteration: u64,
    pub design: Design,
    pub result: ExperimentResult,
}

impl Summary {
    /// Returns the best record of one metric.
    pub fn best(&self, metric: Metric) -> Option<&BestRecord> {
        self.best[crate::objective::metric_index(metric)].as_ref()
    }

    /// Returns the summary as pretty-printed JSON, keys in field order.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a summary serialises to JSON")
    }

    /// Completes the summary of a merged partial aggregate.
    pub(crate) fn from_partial(
        partial: Partial,
        objectives: &Objectives,
        skipped_lines: u64,
    ) -> Summary {
        let phases = ordered_phases(&partial);
        let statistics = compute_statistics(&partial, &phases);
        let count_of = |phase: &Phase| {
            partial
                .phases
                .iter()
                .find(|c| &c.phase == phase)
                .map_or(0, |c| c.records)
        };
        let seeding = count_of(&Phase::Seeding);
        let optimization = count_of(&Phase::Optimization);
        let best: [Option<BestRecord>; 5] = partial.best.clone().map(|b| b.map(BestRecord::from));
        let ancestor = |metric: Metric| {
            best[crate::objective::metric_index(metric)]
                .as_ref()
                .map(|b| AncestorBest {
                    value: b.value,
                    run_uuid: b.run_uuid.clone(),
                    design: b.design.clone(),
                })
        };

        Summary {
            total_experiments: partial.records,
            seeding_experiments: seeding,
            optimization_experiments: optimization,
            best_information_gain: ancestor(Metric::InformationGain),
            best_final_entropy: ancestor(Metric::FinalSequenceEntropy),
            best_jsd: ancestor(Metric::JsdFromOriginalPopulation),
            first_experiment: partial.first_timestamp.clone(),
            last_experiment: partial.last_timestamp.clone(),
            summary_version: SUMMARY_VERSION,
            other_phase_experiments: partial.records - seeding - optimization,
            failed_runs: partial.phases.iter().map(|c| c.failed).sum(),
            skipped_lines,
            phases: phases
                .iter()
                .map(|&id| {
                    let counts = &partial.phases[id];
                    let count = PhaseCount {
                        experiments: counts.records,
                        failed: counts.failed,
                    };
                    (counts.phase.clone(), count)
                })
                .collect(),
            objectives: Metric::ALL.map(|m| objectives.direction(m)),
            best,
            statistics,
            best_so_far: partial.traces.map(|trace| {
                trace
                    .into_iter()
                    .map(|p| TracePoint {
                        index: p.index,
                        value: p.value,
                        run_uuid: p.run_uuid,
                    })
                    .collect()
            }),
            pareto_front: partial.front.into_iter().map(ParetoMember::from).collect(),
        }
    }
}

/// Returns positions in `partial.phases`: seeding and optimization when
/// present, then the other phases in order of first appearance.
fn ordered_phases(partial: &Partial) -> Vec<usize> {
    let position = |phase: &Phase| partial.phases.iter().position(|c| &c.phase == phase);
    let mut order: Vec<usize> = Vec::new();
    for phase in [Phase::Seeding, Phase::Optimization] {
        order.extend(position(&phase));
    }
    order.extend((0..partial.phases.len()).filter(|&id| {
        !matches!(
            partial.phases[id].phase,
            Phase::Seeding | Phase::Optimization
        )
    }));
    order
}

/// Computes the statistics of every metric overall and per phase, one group
/// and metric per task, each task summing sequentially in record order.
fn compute_statistics(partial: &Partial, phases: &[usize]) -> StatisticsSummary {
    let groups: Vec<Option<usize>> = std::iter::once(None)
        .chain(phases.iter().map(|&id| Some(id)))
        .collect();
    let tasks: Vec<(Option<usize>, usize)> = groups
        .iter()
        .flat_map(|&group| (0..5).map(move |m| (group, m)))
        .collect();
    let results: Vec<Statistics> = tasks
        .par_iter()
        .map(|&(group, m)| group_statistics(partial, group, m))
        .collect();

    let mut results = results.into_iter();
    let mut next_five = || -> [Statistics; 5] {
        std::array::from_fn(|_| results.next().expect("five statistics per group"))
    };
    let overall = next_five();
    let by_phase = phases
        .iter()
        .map(|&id| {
            (
                partial.phases[id].phase.clone(),
                MetricStatistics(next_five()),
            )
        })
        .collect();
    StatisticsSummary { overall, by_phase }
}

fn group_statistics(partial: &Partial, group: Option<usize>, m: usize) -> Statistics {
    let column = &partial.values[m];
    let mut values: Vec<f64> = match group {
        None => column.iter().copied().filter(|v| !v.is_nan()).collect(),
        Some(id) => column
            .iter()
            .zip(&partial.phase_ids)
            .filter(|&(v, &phase)| phase as usize == id && !v.is_nan())
            .map(|(v, _)| *v)
            .collect(),
    };
    let (non_finite, missing) = match group {
        None => partial.phases.iter().fold((0, 0), |(n, m_), c| {
            (n + c.skipped[m].non_finite, m_ + c.skipped[m].missing)
        }),
        Some(id) => {
            let skipped = partial.phases[id].skipped[m];
            (skipped.non_finite, skipped.missing)
        }
    };
    Statistics::compute(&mut values, non_finite, missing)
}

impl From<Best> for BestRecord {
    fn from(best: Best) -> BestRecord {
        let RecordRef {
            index,
            run_uuid,
            phase,
            iteration,
            timestamp,
            design,
        } = best.record;
        BestRecord {
            value: best.value,
            run_uuid,
            design,
            index,
            phase,
            iteration,
            timestamp,
            tied_records: best.tied,
        }
    }
}

impl From<FrontMember> for ParetoMember {
    fn from(member: FrontMember) -> ParetoMember {
        ParetoMember {
            index: member.record.index,
            run_uuid: member.record.run_uuid,
            phase: member.record.phase,
            iteration: member.record.iteration,
            design: member.record.design,
            result: ExperimentResult::from_array(member.values),
        }
    }
}

/// Serialises five per-metric values as a map keyed by metric name.
fn serialize_metric_map<T: Serialize, S: Serializer>(
    values: &[T; 5],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(5))?;
    for (metric, value) in Metric::ALL.iter().zip(values) {
        map.serialize_entry(metric.name(), value)?;
    }
    map.end()
}

/// Serialises per-phase values as a map keyed by phase name, in order.
fn serialize_phase_map<T: Serialize, S: Serializer>(
    entries: &[(Phase, T)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(entries.len()))?;
    for (phase, value) in entries {
        map.serialize_entry(phase.as_str(), value)?;
    }
    map.end()
}
