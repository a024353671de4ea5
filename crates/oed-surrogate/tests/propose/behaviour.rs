//! Checks that each acquisition goes where it should on known functions.

use oed_model::{Bounds, Design, ExperimentResult, Metric, Parameter, ParameterSpace};
use oed_surrogate::{Acquisition, ProposalConfig, propose};

use crate::harness::small_config;

/// A space where only diversification_ratio is free.
fn one_dimensional_space() -> ParameterSpace {
    let mut space = ParameterSpace::default();
    for parameter in space.free_parameters() {
        if parameter != Parameter::DiversificationRatio {
            let value = space.bounds(parameter).min;
            space.set_bounds(parameter, Bounds::fixed(value)).unwrap();
        }
    }
    space
}

fn design_at(space: &ParameterSpace, ratio: f64) -> Design {
    let mut design = Design {
        n: 1,
        k: 0,
        q: 2,
        population_size: 1,
        n_generations: 1,
        mutation_rate: 0.0,
        diversification_ratio: 0.0,
        branch_length: 1.0,
    };
    for parameter in Parameter::ALL {
        design.set(parameter, space.bounds(parameter).min);
    }
    design.diversification_ratio = ratio;
    design
}

fn result_of(ratio: f64) -> ExperimentResult {
    let peak = -(ratio - 0.7) * (ratio - 0.7);
    ExperimentResult::from_array([ratio, 0.5, ratio.sin(), 0.1 * ratio, peak])
}

#[test]
fn ucb_without_exploration_finds_the_maximum() {
    let space = one_dimensional_space();
    let history: Vec<_> = (0..10)
        .map(|i| {
            let ratio = i as f64 / 9.0;
            (design_at(&space, ratio), result_of(ratio))
        })
        .collect();
    let config = ProposalConfig {
        acquisition: Acquisition::Ucb {
            target: Metric::GeometricFitnessMean,
            kappa: 0.0,
        },
        ..small_config(0)
    };
    let proposal = &propose(&space, &history, &config).unwrap()[0];
    let ratio = proposal.design.diversification_ratio;
    assert!((ratio - 0.7).abs() < 0.03, "proposed ratio {ratio}");
}

#[test]
fn information_explores_the_unobserved_half() {
    let space = one_dimensional_space();
    let history: Vec<_> = (0..8)
        .map(|i| {
            let ratio = 0.4 * i as f64 / 7.0;
            (design_at(&space, ratio), result_of(ratio))
        })
        .collect();
    let proposal = &propose(&space, &history, &small_config(0)).unwrap()[0];
    let ratio = proposal.design.diversification_ratio;
    assert!(ratio > 0.6, "proposed ratio {ratio}");
}

#[test]
fn predictions_follow_the_training_function() {
    let space = one_dimensional_space();
    let history: Vec<_> = (0..12)
        .map(|i| {
            let ratio = i as f64 / 11.0;
            (design_at(&space, ratio), result_of(ratio))
        })
        .collect();
    let proposal = &propose(&space, &history, &small_config(0)).unwrap()[0];
    let expected = result_of(proposal.design.diversification_ratio).to_array();
    for (index, ((mean, sd), expected)) in proposal.predictions.iter().zip(expected).enumerate() {
        assert!(
            (mean - expected).abs() < 0.02 + 3.0 * sd,
            "metric {index}: predicted {mean} +- {sd}, true {expected}"
        );
    }
}
