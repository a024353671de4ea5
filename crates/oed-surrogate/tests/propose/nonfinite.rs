use oed_model::{Metric, ParameterSpace};
use oed_surrogate::{Acquisition, ProposalConfig, propose};

use crate::harness::{small_config, smooth_history};

#[test]
fn history_with_nan_and_infinity_still_proposes() {
    let space = ParameterSpace::default();
    let mut history = smooth_history(&space, 20, 5);
    for (index, (_, result)) in history.iter_mut().enumerate() {
        // information_gain is never finite, final_sequence_entropy mostly not,
        // jsd_from_original_population sometimes infinite.
        result.information_gain = f64::NAN;
        if index != 3 {
            result.final_sequence_entropy = f64::NAN;
        }
        if index % 4 == 0 {
            result.jsd_from_original_population = f64::INFINITY;
        }
        if index % 5 == 0 {
            result.barrier_crossing_frequency = f64::NEG_INFINITY;
        }
    }
    for acquisition in [
        Acquisition::Information,
        Acquisition::Fim,
        Acquisition::Ucb {
            target: Metric::InformationGain,
            kappa: 2.0,
        },
    ] {
        let config = ProposalConfig {
            acquisition,
            batch_size: 2,
            ..small_config(12)
        };
        let proposals = propose(&space, &history, &config).unwrap();
        for proposal in &proposals {
            assert_eq!(space.validate(&proposal.design), Ok(()));
            assert!(proposal.acquisition_value.is_finite(), "{acquisition}");
            let [information, barrier, entropy, jsd, fitness] = proposal.predictions;
            let (information_mean, information_sd) = information;
            assert!(information_mean.is_nan(), "mean {information_mean}");
            assert!(information_sd.is_nan(), "sd {information_sd}");
            // One finite entropy value: a prior-only model at that value.
            assert_eq!(entropy.0, history[3].1.final_sequence_entropy);
            for (mean, sd) in [barrier, jsd, fitness] {
                assert!(mean.is_finite(), "mean {mean}");
                assert!(sd.is_finite(), "sd {sd}");
                assert!(sd >= 0.0, "sd {sd}");
            }
        }
    }
}
