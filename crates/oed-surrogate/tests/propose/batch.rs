use oed_model::ParameterSpace;
use oed_surrogate::{Acquisition, DUPLICATE_DISTANCE, FeatureMode, ProposalConfig, propose};

use crate::harness::{narrow_space, small_config, smooth_history, unit_distance};

fn check_batch_is_spread(space: &ParameterSpace, config: &ProposalConfig) {
    let history = smooth_history(space, 20, 9);
    let proposals = propose(space, &history, config).unwrap();
    assert_eq!(proposals.len(), config.batch_size);
    for (i, a) in proposals.iter().enumerate() {
        for b in &proposals[..i] {
            let distance = unit_distance(space, &a.design, &b.design);
            assert!(
                distance >= DUPLICATE_DISTANCE,
                "{}: proposals {} and {} are {distance} apart",
                config.acquisition,
                a.design,
                b.design
            );
        }
        for (recorded, _) in &history {
            let distance = unit_distance(space, &a.design, recorded);
            assert!(
                distance >= DUPLICATE_DISTANCE,
                "{}: proposal {} is {distance} from recorded {recorded}",
                config.acquisition,
                a.design
            );
        }
    }
}

#[test]
fn batch_proposals_are_distinct() {
    let acquisitions = [
        Acquisition::Information,
        Acquisition::Fim,
        Acquisition::Ucb {
            target: oed_model::Metric::GeometricFitnessMean,
            kappa: 2.0,
        },
    ];
    for acquisition in acquisitions {
        let config = ProposalConfig {
            acquisition,
            batch_size: 4,
            ..small_config(17)
        };
        check_batch_is_spread(&ParameterSpace::default(), &config);
        check_batch_is_spread(&narrow_space(), &config);
    }
}

#[test]
fn effective_only_batch_is_distinct() {
    let config = ProposalConfig {
        feature_mode: FeatureMode::EffectiveOnly,
        batch_size: 3,
        ..small_config(4)
    };
    check_batch_is_spread(&ParameterSpace::default(), &config);
}

/// The first design of a batch is chosen before any kriging-believer update,
/// so it is the design a batch of one proposes.
#[test]
fn first_of_a_batch_is_the_single_proposal() {
    let space = ParameterSpace::default();
    let history = smooth_history(&space, 20, 10);
    let single = propose(&space, &history, &small_config(8)).unwrap();
    let config = ProposalConfig {
        batch_size: 3,
        ..small_config(8)
    };
    let batch = propose(&space, &history, &config).unwrap();
    assert_eq!(batch.len(), 3);
    assert_eq!(batch[0], single[0]);
}
