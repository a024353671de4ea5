//! Property tests: any sequence of appends reads back unchanged and in order.

use oed_model::{Design, ExperimentRecord, ExperimentResult, Phase, RunStatus};
use oed_store::{Manifest, ReadOptions, SyncMode, load_manifest, read_manifest};
use proptest::prelude::*;

use crate::common::{assert_same_record, run_dir};

fn finite() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |value| value.is_finite())
}

fn any_float() -> impl Strategy<Value = f64> {
    prop_oneof![
        finite(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
    ]
}

fn phase() -> impl Strategy<Value = Phase> {
    prop_oneof![
        Just(Phase::Seeding),
        Just(Phase::Optimization),
        any::<String>()
            .prop_filter("not a known phase", |name| {
                name != "seeding" && name != "optimization"
            })
            .prop_map(Phase::Other),
    ]
}

fn design() -> impl Strategy<Value = Design> {
    (
        (any::<u32>(), any::<u32>(), any::<u32>(), any::<u64>()),
        (any::<u32>(), finite(), finite(), finite()),
    )
        .prop_map(
            |((n, k, q, population_size), (n_generations, mutation_rate, ratio, branch))| Design {
                n,
                k,
                q,
                population_size,
                n_generations,
                mutation_rate,
                diversification_ratio: ratio,
                branch_length: branch,
            },
        )
}

fn record() -> impl Strategy<Value = ExperimentRecord> {
    let result = proptest::option::of(
        proptest::array::uniform5(any_float()).prop_map(ExperimentResult::from_array),
    );
    let extras = (
        proptest::option::of(any::<u32>()),
        proptest::option::of(prop_oneof![
            Just(RunStatus::Completed),
            Just(RunStatus::Failed)
        ]),
        proptest::option::of(any::<String>()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any_float()),
    );
    (
        (any::<String>(), phase(), any::<u64>(), any::<u128>()),
        (design(), result, any::<u64>(), any::<u64>()),
        extras,
    )
        .prop_map(
            |(
                (timestamp, phase, iteration, uuid),
                (design, result, record_start_idx, record_count),
                (schema_version, status, error, seed, duration_s),
            )| ExperimentRecord {
                timestamp,
                phase,
                iteration,
                run_uuid: uuid::Uuid::from_u128(uuid).hyphenated().to_string(),
                design,
                result,
                record_start_idx,
                record_count,
                schema_version,
                status,
                error,
                seed,
                duration_s,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn appends_read_back_in_order(
        appends in proptest::collection::vec((record(), any::<bool>()), 0..12)
    ) {
        let root = tempfile::tempdir().unwrap();
        let dir = run_dir(&root);
        let mut manifest = Manifest::open(&dir).unwrap().with_sync(SyncMode::Never);
        for (record, reopen) in &appends {
            if *reopen {
                manifest = Manifest::open(&dir).unwrap().with_sync(SyncMode::Never);
            }
            manifest.append(record).unwrap();
        }
        drop(manifest);

        let loaded = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap();
        prop_assert_eq!(loaded.len(), appends.len());
        prop_assert!(loaded.skipped.is_empty());
        for (actual, (expected, _)) in loaded.records.iter().zip(&appends) {
            assert_same_record(actual, expected);
        }

        let streamed = read_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap();
        let mut count = 0;
        for (actual, (expected, _)) in streamed.zip(&appends) {
            assert_same_record(&actual.unwrap(), expected);
            count += 1;
        }
        prop_assert_eq!(count, appends.len());

        for line in std::fs::read_to_string(dir.manifest_path()).unwrap().lines() {
            prop_assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "{}", line);
        }
    }
}
