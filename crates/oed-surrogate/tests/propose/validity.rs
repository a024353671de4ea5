use oed_model::{Bounds, Metric, Parameter, ParameterSpace};
use oed_surrogate::{Acquisition, FeatureMode, Kernel, ProposalConfig, propose};

use crate::harness::{narrow_space, small_config, smooth_history};

/// A space whose K range exceeds small N, so K must be clamped, with a linear
/// mutation_rate starting at 0 and a free branch_length.
fn clamping_space() -> ParameterSpace {
    let mut space = narrow_space();
    space
        .set_bounds(Parameter::N, Bounds::linear(2.0, 6.0))
        .unwrap();
    space
        .set_bounds(Parameter::K, Bounds::linear(0.0, 5.0))
        .unwrap();
    space
        .set_bounds(Parameter::MutationRate, Bounds::linear(0.0, 0.5))
        .unwrap();
    space
        .set_bounds(Parameter::BranchLength, Bounds::log(0.1, 10.0))
        .unwrap();
    space
}

#[test]
fn every_proposal_is_valid_in_its_space() {
    let spaces = [ParameterSpace::default(), narrow_space(), clamping_space()];
    let acquisitions = [
        Acquisition::Information,
        Acquisition::Fim,
        Acquisition::Ucb {
            target: Metric::FinalSequenceEntropy,
            kappa: 1.0,
        },
    ];
    for space in &spaces {
        let history = smooth_history(space, 15, 21);
        for acquisition in acquisitions {
            for feature_mode in [FeatureMode::All, FeatureMode::EffectiveOnly] {
                let config = ProposalConfig {
                    acquisition,
                    feature_mode,
                    kernel: Kernel::Rbf,
                    batch_size: 2,
                    candidates: 256,
                    ..small_config(3)
                };
                let proposals = propose(space, &history, &config).unwrap();
                for proposal in proposals {
                    assert_eq!(
                        space.validate(&proposal.design),
                        Ok(()),
                        "{acquisition} {feature_mode}: {}",
                        proposal.design
                    );
                    assert!(proposal.acquisition_value.is_finite());
                }
            }
        }
    }
}

#[test]
fn empty_history_proposes_a_valid_design() {
    let space = ParameterSpace::default();
    let proposals = propose(&space, &[], &small_config(0)).unwrap();
    assert_eq!(proposals.len(), 1);
    assert_eq!(space.validate(&proposals[0].design), Ok(()));
    assert!(
        proposals[0]
            .predictions
            .iter()
            .all(|(m, s)| m.is_nan() && s.is_nan())
    );
}

#[test]
fn fixed_space_is_rejected() {
    let mut space = ParameterSpace::default();
    for parameter in space.free_parameters() {
        let value = space.bounds(parameter).min;
        space.set_bounds(parameter, Bounds::fixed(value)).unwrap();
    }
    let error = propose(&space, &[], &small_config(0)).unwrap_err();
    assert!(
        error.to_string().contains("fixes every parameter"),
        "{error}"
    );
}

/// K in {0, 1} is the only freedom; once both are recorded, every candidate is
/// a duplicate.
#[test]
fn exhausted_space_is_reported() {
    let mut space = ParameterSpace::default();
    for parameter in space.free_parameters() {
        let value = space.bounds(parameter).min;
        space.set_bounds(parameter, Bounds::fixed(value)).unwrap();
    }
    space
        .set_bounds(Parameter::K, Bounds::linear(0.0, 1.0))
        .unwrap();
    let mut history = smooth_history(&space, 2, 0);
    history[0].0.k = 0;
    history[1].0.k = 1;
    let error = propose(&space, &history, &small_config(0)).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("every candidate design lies within"),
        "{error}"
    );
}

#[test]
fn invalid_configuration_is_rejected() {
    let space = ParameterSpace::default();
    let cases = [
        (
            ProposalConfig {
                candidates: 0,
                ..small_config(0)
            },
            "candidates = 0",
        ),
        (
            ProposalConfig {
                candidates: 70_000,
                ..small_config(0)
            },
            "candidates = 70000",
        ),
        (
            ProposalConfig {
                batch_size: 0,
                ..small_config(0)
            },
            "batch_size = 0",
        ),
        (
            ProposalConfig {
                restarts: 0,
                ..small_config(0)
            },
            "restarts = 0",
        ),
        (
            ProposalConfig {
                acquisition: Acquisition::Ucb {
                    target: Metric::InformationGain,
                    kappa: f64::NAN,
                },
                ..small_config(0)
            },
            "kappa = NaN",
        ),
    ];
    for (config, expected) in cases {
        let error = propose(&space, &[], &config).unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
}
