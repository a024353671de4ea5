//! Partial aggregates of consecutive records, merged in record order.
//!
//! A chunk of records folds into a [`Partial`]; merging the partials of
//! adjacent chunks, earlier first, gives the partial of the whole range.
//! Merging is associative and every rule in it is exact (integer counts,
//! comparisons, concatenation), so the result does not depend on where the
//! chunks were cut. Sums are left to [`crate::stats`], which runs once over the
//! concatenated values.

use oed_model::{Design, ExperimentRecord, Metric, Phase};

use crate::objective::Objectives;
use crate::pareto;

/// The identity and design of one record, kept for the records a summary
/// names (best, best-so-far, Pareto front).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RecordRef {
    pub index: u64,
    pub run_uuid: String,
    pub phase: Phase,
    pub iteration: u64,
    pub timestamp: String,
    pub design: Design,
}

impl RecordRef {
    fn new(index: u64, record: &ExperimentRecord) -> RecordRef {
        RecordRef {
            index,
            run_uuid: record.run_uuid.clone(),
            phase: record.phase.clone(),
            iteration: record.iteration,
            timestamp: record.timestamp.clone(),
            design: record.design.clone(),
        }
    }
}

/// The best record for one metric so far, and how many later records tied it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Best {
    pub value: f64,
    pub record: RecordRef,
    pub tied: u64,
}

/// One step of a best-so-far trace: the record that improved the best value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TracePoint {
    pub index: u64,
    pub value: f64,
    pub run_uuid: String,
}

/// A record on the Pareto front.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FrontMember {
    pub record: RecordRef,
    pub values: [f64; 5],
    oriented: [f64; 5],
}

/// Numbers of values of one metric left out of the statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub non_finite: u64,
    pub missing: u64,
}

impl Skipped {
    fn add(&mut self, other: Skipped) {
        self.non_finite += other.non_finite;
        self.missing += other.missing;
    }
}

/// Counts of one phase.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PhaseCounts {
    pub phase: Phase,
    pub records: u64,
    pub failed: u64,
    pub skipped: [Skipped; 5],
}

impl PhaseCounts {
    fn new(phase: Phase) -> PhaseCounts {
        PhaseCounts {
            phase,
            records: 0,
            failed: 0,
            skipped: [Skipped::default(); 5],
        }
    }

    fn add(&mut self, other: &PhaseCounts) {
        self.records += other.records;
        self.failed += other.failed;
        for (mine, theirs) in self.skipped.iter_mut().zip(other.skipped) {
            mine.add(theirs);
        }
    }
}

/// The aggregate of a run of consecutive records.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Partial {
    pub records: u64,
    /// Phases in order of first appearance.
    pub phases: Vec<PhaseCounts>,
    /// Each record's position in `phases`.
    pub phase_ids: Vec<u32>,
    /// Each record's metric values, in [`Metric::ALL`] order; NaN where the
    /// value is non-finite or missing.
    pub values: [Vec<f64>; 5],
    pub best: [Option<Best>; 5],
    pub traces: [Vec<TracePoint>; 5],
    /// Non-dominated records, in record order.
    pub front: Vec<FrontMember>,
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
}

impl Partial {
    /// Returns the aggregate of no records.
    pub fn empty() -> Partial {
        Partial {
            records: 0,
            phases: Vec::new(),
            phase_ids: Vec::new(),
            values: Default::default(),
            best: Default::default(),
            traces: Default::default(),
            front: Vec::new(),
            first_timestamp: None,
            last_timestamp: None,
        }
    }

    /// Folds consecutive records, the first of which has record index
    /// `first_index`. With `phase`, records of other phases are left out but
    /// still counted in the indices.
    pub fn from_chunk(
        first_index: u64,
        records: &[ExperimentRecord],
        objectives: &Objectives,
        phase: Option<&Phase>,
    ) -> Partial {
        let mut partial = Partial::empty();
        for values in &mut partial.values {
            values.reserve(records.len());
        }
        partial.phase_ids.reserve(records.len());
        let mut front_candidates: Vec<(usize, [f64; 5])> = Vec::new();
        let mut last_offset = None;

        for (offset, record) in records.iter().enumerate() {
            if phase.is_some_and(|phase| phase != &record.phase) {
                continue;
            }
            let index = first_index + offset as u64;
            let values = partial.add_record(index, record, objectives);
            if let Some(values) = values.filter(|v| v.iter().all(|x| x.is_finite())) {
                front_candidates.push((offset, values));
            }
            if partial.first_timestamp.is_none() {
                partial.first_timestamp = Some(record.timestamp.clone());
            }
            last_offset = Some(offset);
        }
        partial.last_timestamp = last_offset.map(|offset| records[offset].timestamp.clone());

        let oriented: Vec<[f64; 5]> = front_candidates
            .iter()
            .map(|(_, values)| objectives.orient(*values))
            .collect();
        partial.front = pareto::front_positions(&oriented)
            .into_iter()
            .map(|position| {
                let (offset, values) = front_candidates[position];
                FrontMember {
                    record: RecordRef::new(first_index + offset as u64, &records[offset]),
                    values,
                    oriented: oriented[position],
                }
            })
            .collect();
        partial
    }

    /// Adds one record's counts, values, best and trace entries, and returns
    /// its metric values when the run has a result.
    fn add_record(
        &mut self,
        index: u64,
        record: &ExperimentRecord,
        objectives: &Objectives,
    ) -> Option<[f64; 5]> {
        let phase_id = self.phase_id(&record.phase);
        self.phase_ids.push(phase_id as u32);
        self.records += 1;
        let counts = &mut self.phases[phase_id];
        counts.records += 1;

        let result = match &record.result {
            Some(result) if !record.is_failed() => result.to_array(),
            _ => {
                counts.failed += 1;
                for (skipped, column) in counts.skipped.iter_mut().zip(&mut self.values) {
                    skipped.missing += 1;
                    column.push(f64::NAN);
                }
                return None;
            }
        };

        for (m, metric) in Metric::ALL.into_iter().enumerate() {
            let value = result[m];
            if !value.is_finite() {
                self.phases[phase_id].skipped[m].non_finite += 1;
                self.values[m].push(f64::NAN);
                continue;
            }
            self.values[m].push(value);
            let improved = match &mut self.best[m] {
                Some(best) if !objectives.is_better(metric, value, best.value) => {
                    if value == best.value {
                        best.tied += 1;
                    }
                    false
                }
                _ => true,
            };
            if improved {
                let record = RecordRef::new(index, record);
                self.traces[m].push(TracePoint {
                    index,
                    value,
                    run_uuid: record.run_uuid.clone(),
                });
                self.best[m] = Some(Best {
                    value,
                    record,
                    tied: 0,
                });
            }
        }
        Some(result)
    }

    fn phase_id(&mut self, phase: &Phase) -> usize {
        if let Some(id) = self.phases.iter().position(|c| &c.phase == phase) {
            return id;
        }
        self.phases.push(PhaseCounts::new(phase.clone()));
        self.phases.len() - 1
    }

    /// Merges the aggregate of the records that directly follow this one.
    pub fn merge(mut self, later: Partial, objectives: &Objectives) -> Partial {
        // Phases: add counts, and map the later ids onto this table.
        let remap: Vec<u32> = later
            .phases
            .iter()
            .map(|counts| {
                let id = self.phase_id(&counts.phase);
                self.phases[id].add(counts);
                id as u32
            })
            .collect();
        self.phase_ids
            .extend(later.phase_ids.iter().map(|&id| remap[id as usize]));
        self.records += later.records;

        // Per-metric values, traces and best records.
        let mut later_best = later.best;
        let mut later_traces = later.traces;
        for (m, metric) in Metric::ALL.into_iter().enumerate() {
            self.values[m].extend_from_slice(&later.values[m]);
            let incumbent = self.best[m].as_ref().map(|b| b.value);
            let improvements = std::mem::take(&mut later_traces[m])
                .into_iter()
                .filter(|point| {
                    incumbent.is_none_or(|best| objectives.is_better(metric, point.value, best))
                });
            self.traces[m].extend(improvements);
            self.best[m] = merge_best(self.best[m].take(), later_best[m].take(), |a, b| {
                objectives.is_better(metric, a, b)
            });
        }

        // Pareto front and timestamps.
        self.front =
            pareto::merge_fronts(std::mem::take(&mut self.front), later.front, |m| m.oriented);
        if self.first_timestamp.is_none() {
            self.first_timestamp = later.first_timestamp;
        }
        if later.last_timestamp.is_some() {
            self.last_timestamp = later.last_timestamp;
        }
        self
    }
}

/// Keeps the earlier best unless the later one is strictly better; an equal
/// later best adds itself and its own ties to the tie count.
fn merge_best(
    earlier: Option<Best>,
    later: Option<Best>,
    is_better: impl Fn(f64, f64) -> bool,
) -> Option<Best> {
    match (earlier, later) {
        (Some(mut earlier), Some(later)) => {
            if is_better(later.value, earlier.value) {
                Some(later)
            } else {
                if later.value == earlier.value {
                    earlier.tied += later.tied + 1;
                }
                Some(earlier)
            }
        }
        (earlier, later) => earlier.or(later),
    }
}
