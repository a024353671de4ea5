//! The summary of the ancestor's own files against its own summary.

use oed_model::Metric;
use oed_store::RunDir;
use oed_summary::{SummaryOptions, summarize_manifest, write_summary};
use serde_json::Value;

use crate::common::data_dir;

/// The keys of the ancestor's `create_oed_summary`, in its order.
const ANCESTOR_KEYS: [&str; 8] = [
    "total_experiments",
    "seeding_experiments",
    "optimization_experiments",
    "best_information_gain",
    "best_final_entropy",
    "best_jsd",
    "first_experiment",
    "last_experiment",
];

fn golden() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(data_dir().join("small_loop/oed_summary.json")).unwrap();
    match serde_json::from_str(&text).unwrap() {
        Value::Object(map) => map,
        other => panic!("golden summary is not an object: {other}"),
    }
}

#[test]
fn ancestor_keys_match_golden_summary() {
    let manifest = data_dir().join("small_loop/oed_manifest.jsonl");
    let summary = summarize_manifest(&manifest, &SummaryOptions::default()).unwrap();
    let ours: Value = serde_json::from_str(&summary.to_json_pretty()).unwrap();

    let golden = golden();
    assert_eq!(golden.len(), ANCESTOR_KEYS.len());
    for key in ANCESTOR_KEYS {
        assert_eq!(
            ours[key], golden[key],
            "key {key} differs from the ancestor's"
        );
    }
}

#[test]
fn golden_values_by_hand() {
    // Read off the golden file, so a change in either side shows here.
    let manifest = data_dir().join("small_loop/oed_manifest.jsonl");
    let summary = summarize_manifest(&manifest, &SummaryOptions::default()).unwrap();
    assert_eq!(summary.total_experiments, 5);
    assert_eq!(summary.seeding_experiments, 3);
    assert_eq!(summary.optimization_experiments, 2);
    let gain = summary.best_information_gain.as_ref().unwrap();
    assert_eq!(gain.run_uuid, "1331f919-67d7-47d5-9380-acfe350118a8");
    assert_eq!(gain.value, 22.794925689697266);
    let entropy = summary.best_final_entropy.as_ref().unwrap();
    assert_eq!(entropy.run_uuid, "198e43f9-fa24-48c6-a9c2-1ac0ca540af6");
    let jsd = summary.best_jsd.as_ref().unwrap();
    assert_eq!(jsd.run_uuid, "198e43f9-fa24-48c6-a9c2-1ac0ca540af6");
    assert_eq!(jsd.value, 0.03602205961942673);
    // The ancestor reports the first and last records' timestamps.
    assert_eq!(
        summary.first_experiment.as_deref(),
        Some("2026-12-04T15:45:35.196784+00:00")
    );
    assert_eq!(
        summary.last_experiment.as_deref(),
        Some("2026-12-04T15:48:01.654571+00:00")
    );
    let best_gain = summary.best(Metric::InformationGain).unwrap();
    assert_eq!(best_gain.index, 2);
    assert_eq!(best_gain.iteration, 2);
    assert_eq!(best_gain.phase.as_str(), "seeding");
}

#[test]
fn written_summary_starts_with_ancestor_keys() {
    let root = tempfile::tempdir().unwrap();
    std::fs::copy(
        data_dir().join("small_loop/oed_manifest.jsonl"),
        root.path().join("oed_manifest.jsonl"),
    )
    .unwrap();
    let dir = RunDir::open(root.path()).unwrap();
    let summary = summarize_manifest(&dir.manifest_path(), &SummaryOptions::default()).unwrap();
    write_summary(&dir, &summary).unwrap();

    let text = std::fs::read_to_string(dir.summary_path()).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let golden = golden();
    for key in ANCESTOR_KEYS {
        assert_eq!(value[key], golden[key], "key {key}");
    }
    // Key order in the text: the ancestor's keys first, in its order.
    let positions: Vec<usize> = ANCESTOR_KEYS
        .iter()
        .map(|key| text.find(&format!("\n  \"{key}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let ours = text.find("\n  \"summary_version\":").unwrap();
    assert!(ours > positions[7]);
}

#[test]
fn python_nonfinite_tokens_are_skipped_and_counted() {
    let manifest = data_dir().join("nonfinite_manifest.jsonl");
    let summary = summarize_manifest(&manifest, &SummaryOptions::default()).unwrap();
    let overall = &summary.statistics.overall;
    // information_gain: NaN, NaN, 1e30.
    assert_eq!(overall[0].count, 1);
    assert_eq!(overall[0].non_finite, 2);
    let gain = summary.best(Metric::InformationGain).unwrap();
    assert_eq!(gain.value, 1.0000000150474662e30);
    assert_eq!(gain.run_uuid, "11111111-2222-4333-8444-000000000004");
    // barrier_crossing_frequency: Infinity, Infinity, 0.5.
    assert_eq!(overall[1].count, 1);
    assert_eq!(
        summary
            .best(Metric::BarrierCrossingFrequency)
            .unwrap()
            .value,
        0.5
    );
    // final_sequence_entropy: -Infinity, -0.0, NaN.
    assert_eq!(overall[2].count, 1);
    assert_eq!(overall[2].non_finite, 2);
    // jsd: 0.1, 1e308, Infinity.
    let jsd = summary.best(Metric::JsdFromOriginalPopulation).unwrap();
    assert_eq!(jsd.value, 1e308);
    assert_eq!(jsd.run_uuid, "11111111-2222-4333-8444-000000000001");
    // 0.1 vanishes next to 1e308, so the mean is half of 1e308.
    assert_eq!(overall[3].mean, Some(5e307));
    // geometric_fitness_mean: three finite values, smallest subnormal included.
    assert_eq!(overall[4].count, 3);
    assert_eq!(overall[4].min, Some(5e-324));
    assert_eq!(overall[4].median, Some(1.401298464324817e-45));
    // No record has five finite values, so the Pareto front is empty.
    assert!(summary.pareto_front.is_empty());
    // The JSON is strict and parses back.
    let value: Value = serde_json::from_str(&summary.to_json_pretty()).unwrap();
    assert_eq!(value["best_jsd"]["value"], 1e308);
}
