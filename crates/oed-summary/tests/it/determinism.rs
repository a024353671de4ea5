//! The summary does not depend on the number of threads or the chunk size.

use oed_model::{ExperimentRecord, Metric};
use oed_summary::{Objectives, SummaryOptions, summarize_manifest, summarize_records};
use proptest::prelude::*;

use crate::common::{record, write_manifest};

/// Values drawn from a small set, so ties, duplicates and non-finite values
/// are frequent.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => prop::sample::select(vec![0.0, -0.0, 0.25, 0.5, 1.0, 2.0, -3.0, 1e300]),
        4 => -10.0..10.0_f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
    ]
}

fn records() -> impl Strategy<Value = Vec<ExperimentRecord>> {
    let one = (
        prop::sample::select(vec!["seeding", "optimization", "validation"]),
        prop::option::weighted(0.85, prop::array::uniform5(value())),
    );
    prop::collection::vec(one, 0..120).prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(i, (phase, values))| record(i as u64, phase, values))
            .collect()
    })
}

fn in_pool<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(work)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn one_thread_equals_many(
        records in records(),
        chunk_a in 1..20_usize,
        chunk_b in 1..200_usize,
        minimize_entropy in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = write_manifest(dir.path(), &records);
        let mut objectives = Objectives::maximize_all();
        if minimize_entropy {
            objectives = objectives.minimize(Metric::FinalSequenceEntropy);
        }
        let options = |chunk_records| SummaryOptions {
            objectives,
            chunk_records,
            ..SummaryOptions::default()
        };

        let single = in_pool(1, || summarize_manifest(&path, &options(chunk_a)).unwrap());
        let many = in_pool(4, || summarize_manifest(&path, &options(chunk_b)).unwrap());
        let in_memory = in_pool(3, || summarize_records(&records, &options(chunk_b)));
        let single_json = single.to_json_pretty();
        prop_assert_eq!(&single_json, &many.to_json_pretty());
        prop_assert_eq!(&single_json, &in_memory.to_json_pretty());

        // Against a plain sequential reading of the records.
        prop_assert_eq!(single.total_experiments, records.len() as u64);
        let failed = records.iter().filter(|r| r.is_failed()).count() as u64;
        prop_assert_eq!(single.failed_runs, failed);
        for (m, metric) in Metric::ALL.into_iter().enumerate() {
            let finite: Vec<(usize, f64)> = records
                .iter()
                .enumerate()
                .filter_map(|(i, r)| Some((i, r.result.as_ref()?.get(metric))))
                .filter(|(_, v)| v.is_finite())
                .collect();
            prop_assert_eq!(single.statistics.overall[m].count, finite.len() as u64);
            let better = |a: f64, b: f64| objectives.is_better(metric, a, b);
            let expected = finite
                .iter()
                .fold(None, |best: Option<(usize, f64)>, &(i, v)| match best {
                    Some((_, b)) if !better(v, b) => best,
                    _ => Some((i, v)),
                });
            let got = single.best(metric).map(|b| (b.index as usize, b.value));
            prop_assert_eq!(got, expected);
            if let Some((_, best)) = expected {
                let ties = finite.iter().filter(|(_, v)| *v == best).count() as u64 - 1;
                prop_assert_eq!(single.best(metric).unwrap().tied_records, ties);
            }
        }
    }
}
