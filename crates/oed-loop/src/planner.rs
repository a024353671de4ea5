//! Which experiments come next, decided from the manifest's records alone.
//!
//! The loop's position is counted from the records. Seeding continues while
//! fewer than `--num-initial-experiments` seeding records exist and no
//! optimisation record does. Optimisation continues while fewer than
//! `--num-oed-iterations` optimisation records exist. Optimisation runs in
//! rounds of `--batch-size` experiments: round `r` holds iterations
//! `r * B .. (r + 1) * B`, and its designs are proposed from the completed
//! records that precede the round, with a seed derived from `r`. A round cut
//! short by a crash is proposed again from the same history on resume, so it
//! gets the same designs, and its recorded experiments are skipped.
//!
//! An experiment's index is its position in the manifest. The loop appends
//! records in index order, so the index is also the number of records before
//! it.

use anyhow::Result;
use oed_model::{Design, ExperimentRecord, ExperimentResult, ParameterSpace, Phase, RunStatus};
use oed_surrogate::{Acquisition, FeatureMode, Kernel, ProposalConfig};

use crate::cli::{AcquisitionArg, FeatureModeArg, KernelArg, Settings};
use crate::seeding::seeding_design;
use crate::seeds;

/// One experiment the loop is about to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// Position of the experiment's record in the manifest, from 0.
    pub index: u64,
    pub phase: Phase,
    /// Index within the phase, from 0.
    pub iteration: u64,
    pub design: Design,
    /// The experiment's own seed, from [`seeds::experiment_seed`].
    pub seed: u64,
}

/// The loop's position, counted from the records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub seeding_done: u64,
    pub optimization_done: u64,
    pub total_records: u64,
}

impl Progress {
    pub fn of(records: &[ExperimentRecord]) -> Progress {
        let count = |phase: Phase| records.iter().filter(|r| r.phase == phase).count() as u64;
        Progress {
            seeding_done: count(Phase::Seeding),
            optimization_done: count(Phase::Optimization),
            total_records: records.len() as u64,
        }
    }

    /// Returns whether the next experiment is a seeding one.
    pub fn in_seeding(&self, settings: &Settings) -> bool {
        self.optimization_done == 0 && self.seeding_done < settings.num_initial
    }

    /// Returns the number of experiments still to run.
    pub fn remaining(&self, settings: &Settings) -> u64 {
        let seeding = if self.optimization_done == 0 {
            settings.num_initial.saturating_sub(self.seeding_done)
        } else {
            0
        };
        seeding
            + settings
                .num_iterations
                .saturating_sub(self.optimization_done)
    }
}

/// The next batch of experiments, or `None` when the loop is finished.
#[derive(Debug)]
pub struct Plan {
    pub jobs: Vec<Job>,
    /// The surrogate's error, when its designs were replaced by space-filling
    /// ones.
    pub fallback_reason: Option<String>,
}

/// Plans the next batch after `records` for a loop seeded with `loop_seed`.
pub fn next_batch(
    settings: &Settings,
    loop_seed: u64,
    records: &[ExperimentRecord],
) -> Result<Option<Plan>> {
    let progress = Progress::of(records);
    let first_index = progress.total_records;
    let job = |offset: u64, phase: Phase, iteration: u64, design: Design| Job {
        index: first_index + offset,
        phase,
        iteration,
        design,
        seed: seeds::experiment_seed(loop_seed, first_index + offset),
    };

    if progress.in_seeding(settings) {
        let count = (settings.num_initial - progress.seeding_done).min(settings.batch_size as u64);
        let mut jobs = Vec::new();
        for offset in 0..count {
            let iteration = progress.seeding_done + offset;
            let design = seeding_design(&settings.space, loop_seed, iteration)?;
            jobs.push(job(offset, Phase::Seeding, iteration, design));
        }
        return Ok(Some(Plan {
            jobs,
            fallback_reason: None,
        }));
    }

    let done = progress.optimization_done;
    if done >= settings.num_iterations {
        return Ok(None);
    }
    let batch = settings.batch_size as u64;
    let round = done / batch;
    let round_start = round * batch;
    let round_end = (round_start + batch).min(settings.num_iterations);

    let history = round_history(records, round_start);
    let (designs, fallback_reason) =
        round_designs(settings, loop_seed, round, round_start, round_end, &history)?;

    let jobs = (done..round_end)
        .enumerate()
        .map(|(offset, iteration)| {
            let design = designs[(iteration - round_start) as usize].clone();
            job(offset as u64, Phase::Optimization, iteration, design)
        })
        .collect();
    Ok(Some(Plan {
        jobs,
        fallback_reason,
    }))
}

/// Returns the completed experiments that precede optimisation iteration
/// `round_start`, in manifest order: the training data of the round's
/// surrogates.
pub fn round_history(
    records: &[ExperimentRecord],
    round_start: u64,
) -> Vec<(Design, ExperimentResult)> {
    records
        .iter()
        .filter(|r| !(r.phase == Phase::Optimization && r.iteration >= round_start))
        .filter(|r| r.status != Some(RunStatus::Failed))
        .filter_map(|r| Some((r.design.clone(), r.result.clone()?)))
        .collect()
}

/// Proposes the designs of one optimisation round, or falls back to the
/// continuation of the seeding phase's Sobol sequence when the surrogate
/// cannot propose (too few records, say).
fn round_designs(
    settings: &Settings,
    loop_seed: u64,
    round: u64,
    round_start: u64,
    round_end: u64,
    history: &[(Design, ExperimentResult)],
) -> Result<(Vec<Design>, Option<String>)> {
    let config = proposal_config(
        settings,
        seeds::proposal_seed(loop_seed, round),
        round_end - round_start,
    );
    let proposed = oed_surrogate::propose(&settings.space, history, &config)
        .map_err(|error| error.to_string())
        .and_then(|proposals| check_proposals(&settings.space, proposals, round_end - round_start));
    match proposed {
        Ok(designs) => Ok((designs, None)),
        Err(reason) => {
            let designs = (round_start..round_end)
                .map(|iteration| fallback_design(&settings.space, settings, loop_seed, iteration))
                .collect::<Result<_>>()?;
            Ok((designs, Some(reason)))
        }
    }
}

/// Checks that the surrogate proposed `expected` designs, each within the
/// space, and returns them.
fn check_proposals(
    space: &ParameterSpace,
    proposals: Vec<oed_surrogate::Proposal>,
    expected: u64,
) -> Result<Vec<Design>, String> {
    for proposal in &proposals {
        let (mean, sd) = proposal.predictions[0];
        tracing::debug!(
            design = %proposal.design,
            acquisition_value = proposal.acquisition_value,
            information_gain_mean = mean,
            information_gain_sd = sd,
            "surrogate proposal"
        );
    }
    if proposals.len() as u64 != expected {
        return Err(format!(
            "the surrogate proposed {} designs instead of {expected}",
            proposals.len()
        ));
    }
    proposals
        .into_iter()
        .map(|proposal| match space.validate(&proposal.design) {
            Ok(()) => Ok(proposal.design),
            Err(error) => Err(format!("the surrogate proposed an invalid design: {error}")),
        })
        .collect()
}

fn fallback_design(
    space: &ParameterSpace,
    settings: &Settings,
    loop_seed: u64,
    iteration: u64,
) -> Result<Design> {
    seeding_design(space, loop_seed, settings.num_initial + iteration)
}

/// Builds the surrogate's settings for one round.
pub fn proposal_config(settings: &Settings, seed: u64, batch_size: u64) -> ProposalConfig {
    ProposalConfig {
        acquisition: acquisition(settings),
        feature_mode: match settings.feature_mode {
            FeatureModeArg::All => FeatureMode::All,
            FeatureModeArg::EffectiveOnly => FeatureMode::EffectiveOnly,
        },
        kernel: match settings.kernel {
            KernelArg::Matern52 => Kernel::Matern52,
            KernelArg::Rbf => Kernel::Rbf,
        },
        candidates: settings.candidates,
        batch_size: batch_size as usize,
        restarts: settings.restarts,
        seed,
    }
}

pub fn acquisition(settings: &Settings) -> Acquisition {
    match settings.acquisition {
        AcquisitionArg::Information => Acquisition::Information,
        AcquisitionArg::Fim => Acquisition::Fim,
        AcquisitionArg::Ucb => Acquisition::Ucb {
            target: settings.target,
            kappa: settings.kappa,
        },
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use oed_model::ExperimentResult;

    use super::*;
    use crate::cli::Args;

    fn settings(extra: &[&str]) -> Settings {
        let mut arguments = vec![
            "oed-loop",
            "--num-initial-experiments",
            "4",
            "--num-oed-iterations",
            "5",
            "--candidates",
            "128",
        ];
        arguments.extend(extra);
        let mut settings = Args::try_parse_from(arguments)
            .unwrap()
            .into_settings()
            .unwrap();
        settings.space = ParameterSpace::from_json_str(
            r#"{"N": {"min": 8, "max": 16}, "K": {"min": 0, "max": 2}, "q": {"min": 2, "max": 4},
                "population_size": {"min": 20, "max": 80, "scale": "log"},
                "n_generations": {"value": 10}}"#,
        )
        .unwrap();
        settings
    }

    /// Records the jobs as completed experiments with a made-up result.
    fn complete(jobs: &[Job]) -> Vec<ExperimentRecord> {
        jobs.iter()
            .map(|job| {
                let d = &job.design;
                let value =
                    f64::from(d.n) * d.mutation_rate + f64::from(d.k) + d.diversification_ratio;
                ExperimentRecord {
                    timestamp: "2026-01-01T00:00:00Z".to_string(),
                    phase: job.phase.clone(),
                    iteration: job.iteration,
                    run_uuid: format!("{:08}-0000-4000-8000-000000000000", job.index),
                    design: job.design.clone(),
                    result: Some(ExperimentResult::from_array([
                        value,
                        0.5,
                        value / 2.0,
                        0.1,
                        0.3,
                    ])),
                    record_start_idx: 0,
                    record_count: 11,
                    schema_version: Some(1),
                    status: Some(RunStatus::Completed),
                    error: None,
                    seed: Some(job.seed),
                    duration_s: Some(0.0),
                }
            })
            .collect()
    }

    /// Plans and "runs" the whole loop, one batch at a time.
    fn whole_loop(settings: &Settings, seed: u64) -> Vec<ExperimentRecord> {
        let mut records = Vec::new();
        while let Some(plan) = next_batch(settings, seed, &records).unwrap() {
            records.extend(complete(&plan.jobs));
        }
        records
    }

    #[test]
    fn loop_has_seeding_then_optimization() {
        let settings = settings(&[]);
        let records = whole_loop(&settings, 5);
        let phases: Vec<Phase> = records.iter().map(|r| r.phase.clone()).collect();
        assert_eq!(
            phases[..4],
            [
                Phase::Seeding,
                Phase::Seeding,
                Phase::Seeding,
                Phase::Seeding
            ]
        );
        assert!(phases[4..].iter().all(|p| *p == Phase::Optimization));
        assert_eq!(records.len(), 9);
        for (index, record) in records.iter().enumerate() {
            assert_eq!(record.seed, Some(seeds::experiment_seed(5, index as u64)));
        }
    }

    #[test]
    fn interrupted_rounds_are_planned_again_identically() {
        let settings = settings(&["--batch-size", "3"]);
        let full = whole_loop(&settings, 9);

        // Stop after every prefix of the full loop and plan from there.
        for cut in 0..full.len() {
            let plan = next_batch(&settings, 9, &full[..cut]).unwrap().unwrap();
            let first = &plan.jobs[0];
            assert_eq!(first.index, cut as u64, "cut {cut}");
            assert_eq!(first.design, full[cut].design, "cut {cut}");
            assert_eq!(Some(first.seed), full[cut].seed, "cut {cut}");
            assert_eq!(first.phase, full[cut].phase, "cut {cut}");
            assert_eq!(first.iteration, full[cut].iteration, "cut {cut}");
        }
        assert!(next_batch(&settings, 9, &full).unwrap().is_none());
    }

    #[test]
    fn round_history_leaves_out_the_round_and_failures() {
        let settings = settings(&[]);
        let mut records = whole_loop(&settings, 1);
        records[1].status = Some(RunStatus::Failed);
        records[1].result = None;

        // Round starting at optimisation iteration 2: 4 seeding records less
        // the failed one, plus optimisation iterations 0 and 1.
        let history = round_history(&records, 2);
        assert_eq!(history.len(), 5);
        assert_eq!(history[0].0, records[0].design);
        assert_eq!(history[1].0, records[2].design);
        assert_eq!(history[4].0, records[5].design);
    }

    #[test]
    fn ancestor_style_records_continue_their_phase() {
        let settings = settings(&[]);
        let mut records = whole_loop(&settings, 2);
        records.truncate(6);
        // Three seeding records then two optimisation ones, as the ancestor
        // wrote, under a loop set to four seeding experiments.
        records.remove(3);
        let plan = next_batch(&settings, 2, &records).unwrap().unwrap();
        assert_eq!(plan.jobs[0].phase, Phase::Optimization);
        assert_eq!(plan.jobs[0].iteration, 2);
        assert_eq!(plan.jobs[0].index, 5);
    }
}
