//! The documented rules: ties, failed runs, phases, best-so-far traces, the
//! Pareto front, and invalid lines.

use oed_model::{Metric, Phase};
use oed_store::ReadOptions;
use oed_summary::{Objectives, SummaryOptions, summarize_manifest, summarize_records};

use crate::common::{record, uuid, write_manifest};

fn options() -> SummaryOptions {
    SummaryOptions::default()
}

#[test]
fn earliest_record_wins_tie() {
    let records = vec![
        record(0, "seeding", Some([1.0, 0.0, 0.0, 0.0, 0.0])),
        record(1, "seeding", Some([3.0, 0.0, 0.0, 0.0, 0.0])),
        record(2, "optimization", Some([3.0, 0.0, 0.0, 0.0, 0.0])),
        record(3, "optimization", Some([2.0, 0.0, 0.0, 0.0, 0.0])),
        record(4, "optimization", Some([3.0, 0.0, 0.0, 0.0, 0.0])),
    ];
    for chunk_records in [1, 2, 5] {
        let options = SummaryOptions {
            chunk_records,
            ..options()
        };
        let summary = summarize_records(&records, &options);
        let best = summary.best(Metric::InformationGain).unwrap();
        assert_eq!(best.run_uuid, uuid(1), "chunk size {chunk_records}");
        assert_eq!(best.tied_records, 2, "chunk size {chunk_records}");
        // Every record ties on barrier_crossing_frequency = 0.
        let barrier = summary.best(Metric::BarrierCrossingFrequency).unwrap();
        assert_eq!(barrier.index, 0);
        assert_eq!(barrier.tied_records, 4);
    }
}

#[test]
fn failed_runs_are_counted_not_ranked() {
    let records = vec![
        record(0, "seeding", None),
        record(1, "seeding", Some([1.0, 1.0, 1.0, 1.0, 1.0])),
        record(2, "optimization", None),
    ];
    let summary = summarize_records(&records, &options());
    assert_eq!(summary.total_experiments, 3);
    assert_eq!(summary.failed_runs, 2);
    assert_eq!(summary.statistics.overall[0].count, 1);
    assert_eq!(summary.statistics.overall[0].missing, 2);
    assert_eq!(summary.best(Metric::InformationGain).unwrap().index, 1);
    let phases: Vec<(&str, u64, u64)> = summary
        .phases
        .iter()
        .map(|(p, c)| (p.as_str(), c.experiments, c.failed))
        .collect();
    assert_eq!(phases, [("seeding", 2, 1), ("optimization", 1, 1)]);
}

#[test]
fn all_failed_has_no_best() {
    let records = vec![record(0, "seeding", None)];
    let summary = summarize_records(&records, &options());
    assert!(summary.best_information_gain.is_none());
    assert!(summary.best(Metric::GeometricFitnessMean).is_none());
    assert_eq!(summary.statistics.overall[4].mean, None);
}

#[test]
fn other_phases_listed_after_known_ones() {
    let records = vec![
        record(0, "validation", Some([1.0; 5])),
        record(1, "optimization", Some([2.0; 5])),
        record(2, "seeding", Some([3.0; 5])),
        record(3, "validation", Some([4.0; 5])),
    ];
    let summary = summarize_records(&records, &options());
    assert_eq!(summary.other_phase_experiments, 2);
    let names: Vec<&str> = summary.phases.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, ["seeding", "optimization", "validation"]);
    let by_phase = &summary.statistics.by_phase;
    assert_eq!(by_phase[2].0.as_str(), "validation");
    assert_eq!(by_phase[2].1.0[0].mean, Some(2.5));
    assert_eq!(by_phase[0].1.0[0].median, Some(3.0));
}

#[test]
fn phase_filter_keeps_indices() {
    let records = vec![
        record(0, "seeding", Some([9.0; 5])),
        record(1, "optimization", Some([1.0; 5])),
        record(2, "optimization", Some([2.0; 5])),
    ];
    let options = SummaryOptions {
        phase: Some(Phase::Optimization),
        ..options()
    };
    let summary = summarize_records(&records, &options);
    assert_eq!(summary.total_experiments, 2);
    assert_eq!(summary.seeding_experiments, 0);
    let best = summary.best(Metric::InformationGain).unwrap();
    assert_eq!(best.index, 2);
    assert_eq!(summary.first_experiment, Some(records[1].timestamp.clone()));
}

#[test]
fn best_so_far_lists_improvements() {
    let gains = [1.0, 0.5, 2.0, 2.0, f64::NAN, 1.5, 4.0];
    let records: Vec<_> = gains
        .iter()
        .enumerate()
        .map(|(i, &g)| record(i as u64, "seeding", Some([g, 0.0, 0.0, 0.0, 0.0])))
        .collect();
    for chunk_records in [1, 3, 100] {
        let options = SummaryOptions {
            chunk_records,
            ..options()
        };
        let summary = summarize_records(&records, &options);
        let trace: Vec<(u64, f64)> = summary.best_so_far[0]
            .iter()
            .map(|p| (p.index, p.value))
            .collect();
        assert_eq!(
            trace,
            [(0, 1.0), (2, 2.0), (6, 4.0)],
            "chunk size {chunk_records}"
        );
    }
}

#[test]
fn minimized_metric_changes_best_and_trace() {
    let records = vec![
        record(0, "seeding", Some([0.0, 0.0, 3.0, 0.0, 0.0])),
        record(1, "seeding", Some([0.0, 0.0, 1.0, 0.0, 0.0])),
        record(2, "seeding", Some([0.0, 0.0, 2.0, 0.0, 0.0])),
    ];
    let options = SummaryOptions {
        objectives: Objectives::maximize_all().minimize(Metric::FinalSequenceEntropy),
        ..options()
    };
    let summary = summarize_records(&records, &options);
    assert_eq!(
        summary.best(Metric::FinalSequenceEntropy).unwrap().value,
        1.0
    );
    assert_eq!(summary.best_so_far[2].len(), 2);
}

#[test]
fn pareto_front_by_hand() {
    let records = vec![
        record(0, "seeding", Some([1.0, 1.0, 1.0, 1.0, 1.0])),
        record(1, "seeding", Some([2.0, 0.0, 1.0, 1.0, 1.0])), // trades gain for barrier
        record(2, "seeding", Some([1.0, 1.0, 1.0, 1.0, 0.5])), // dominated by 0
        record(3, "seeding", Some([1.0, 1.0, 1.0, 1.0, 1.0])), // equal to 0: kept
        record(4, "seeding", Some([f64::NAN, 9.0, 9.0, 9.0, 9.0])), // not eligible
        record(5, "seeding", None),
    ];
    for chunk_records in [1, 2, 4, 10] {
        let options = SummaryOptions {
            chunk_records,
            ..options()
        };
        let summary = summarize_records(&records, &options);
        let front: Vec<u64> = summary.pareto_front.iter().map(|m| m.index).collect();
        assert_eq!(front, [0, 1, 3], "chunk size {chunk_records}");
    }

    // Minimising fitness turns record 2 from dominated to dominating.
    let options = SummaryOptions {
        objectives: Objectives::maximize_all().minimize(Metric::GeometricFitnessMean),
        ..options()
    };
    let summary = summarize_records(&records, &options);
    let front: Vec<u64> = summary.pareto_front.iter().map(|m| m.index).collect();
    assert_eq!(front, [1, 2]);
}

#[test]
fn corrupt_middle_line_names_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<_> = (0..4)
        .map(|i| record(i, "seeding", Some([1.0; 5])))
        .collect();
    let path = write_manifest(dir.path(), &records);
    let mut lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[2] = "{\"timestamp\": oops".to_string();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();

    let error = summarize_manifest(&path, &options()).unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("{}:3: invalid record", path.display())),
        "{text}"
    );

    let lenient = SummaryOptions {
        read: ReadOptions::lenient(),
        ..options()
    };
    let summary = summarize_manifest(&path, &lenient).unwrap();
    assert_eq!(summary.total_experiments, 3);
    assert_eq!(summary.skipped_lines, 1);
}

#[test]
fn torn_last_line_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<_> = (0..3)
        .map(|i| record(i, "seeding", Some([1.0; 5])))
        .collect();
    let path = write_manifest(dir.path(), &records);
    let mut text = std::fs::read_to_string(&path).unwrap();
    let fourth = serde_json::to_string(&record(3, "seeding", Some([1.0; 5]))).unwrap();
    text.push_str(&fourth[..fourth.len() / 2]);
    std::fs::write(&path, text).unwrap();

    let summary = summarize_manifest(&path, &options()).unwrap();
    assert_eq!(summary.total_experiments, 3);
    assert_eq!(summary.skipped_lines, 1);
}

#[test]
fn missing_manifest_summarises_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let summary = summarize_manifest(&dir.path().join("oed_manifest.jsonl"), &options()).unwrap();
    assert_eq!(summary.total_experiments, 0);
    assert!(summary.first_experiment.is_none());
    assert!(summary.best_jsd.is_none());
}
