//! Every model type written as JSON and read back is unchanged.

use oed_model::{
    Bounds, Design, ExperimentRecord, ExperimentResult, Metric, Parameter, ParameterSpace, Phase,
    RunStatus, Scale,
};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::same_float;

/// Floats of every class, with the values that stress a JSON encoding
/// weighted up.
fn any_float() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => proptest::num::f64::ANY,
        1 => prop::sample::select(vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            5e-324,
            1e308,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            1.401298464324817e-45,
        ]),
    ]
}

fn any_phase() -> impl Strategy<Value = Phase> {
    prop_oneof![
        Just(Phase::Seeding),
        Just(Phase::Optimization),
        any::<String>().prop_map(|name| Phase::from(name.as_str())),
    ]
}

fn any_design() -> impl Strategy<Value = Design> {
    (
        (any::<u32>(), any::<u32>(), any::<u32>(), any::<u64>()),
        (any::<u32>(), any_float(), any_float(), any_float()),
    )
        .prop_map(
            |((n, k, q, population_size), (n_generations, mutation, ratio, branch))| Design {
                n,
                k,
                q,
                population_size,
                n_generations,
                mutation_rate: mutation,
                diversification_ratio: ratio,
                branch_length: branch,
            },
        )
}

fn any_result() -> impl Strategy<Value = ExperimentResult> {
    [
        any_float(),
        any_float(),
        any_float(),
        any_float(),
        any_float(),
    ]
    .prop_map(ExperimentResult::from_array)
}

fn any_status() -> impl Strategy<Value = RunStatus> {
    prop_oneof![Just(RunStatus::Completed), Just(RunStatus::Failed)]
}

fn any_record() -> impl Strategy<Value = ExperimentRecord> {
    (
        (any::<String>(), any_phase(), any::<u64>(), any::<String>()),
        (any_design(), proptest::option::of(any_result())),
        (any::<u64>(), any::<u64>(), any::<Option<u32>>()),
        (
            proptest::option::of(any_status()),
            any::<Option<String>>(),
            any::<Option<u64>>(),
            proptest::option::of(any_float()),
        ),
    )
        .prop_map(
            |(
                (timestamp, phase, iteration, run_uuid),
                (design, result),
                (record_start_idx, record_count, schema_version),
                (status, error, seed, duration_s),
            )| ExperimentRecord {
                timestamp,
                phase,
                iteration,
                run_uuid,
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

/// Physically valid bounds for one parameter: whole numbers for an integer
/// parameter, and a log scale only above zero.
fn any_bounds(parameter: Parameter) -> impl Strategy<Value = Bounds> {
    let (lowest, highest): (f64, f64) = match parameter {
        Parameter::N => (1.0, 1000.0),
        Parameter::K => (0.0, 50.0),
        Parameter::Q => (2.0, 127.0),
        Parameter::PopulationSize => (1.0, 1e7),
        Parameter::NGenerations => (1.0, 10_000.0),
        Parameter::MutationRate | Parameter::DiversificationRatio => (0.0, 1.0),
        Parameter::BranchLength => (1e-3, 100.0),
    };
    (
        lowest..=highest,
        lowest..=highest,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(a, b, log, fixed)| {
            let (mut min, mut max) = if a <= b { (a, b) } else { (b, a) };
            if parameter.is_integer() {
                min = min.round();
                max = max.round();
            }
            if fixed {
                return Bounds::fixed(min);
            }
            let scale = if log && min > 0.0 {
                Scale::Log
            } else {
                Scale::Linear
            };
            Bounds { min, max, scale }
        })
}

fn any_space() -> impl Strategy<Value = ParameterSpace> {
    Parameter::ALL.map(any_bounds).prop_map(|all_bounds| {
        let mut space = ParameterSpace::default();
        for (parameter, mut bounds) in Parameter::ALL.into_iter().zip(all_bounds) {
            // Keep one valid K below N-1, which loading a space requires.
            if parameter == Parameter::K {
                let n_max = space.bounds(Parameter::N).max;
                bounds.min = bounds.min.min(n_max - 1.0);
                bounds.max = bounds.max.max(bounds.min);
                if bounds.min == 0.0 {
                    bounds.scale = Scale::Linear;
                }
            }
            space.set_bounds(parameter, bounds).unwrap();
        }
        space
    })
}

fn json_round_trip<T: Serialize + DeserializeOwned>(value: &T) -> T {
    let text = serde_json::to_string(value).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("failed to read back {text}: {e}"))
}

fn same_design(a: &Design, b: &Design) -> bool {
    Parameter::ALL
        .into_iter()
        .all(|p| same_float(a.get(p), b.get(p)))
        && a.population_size == b.population_size
}

fn same_result(a: &ExperimentResult, b: &ExperimentResult) -> bool {
    Metric::ALL
        .into_iter()
        .all(|m| same_float(a.get(m), b.get(m)))
}

fn same_record(a: &ExperimentRecord, b: &ExperimentRecord) -> bool {
    let results_match = match (&a.result, &b.result) {
        (Some(a), Some(b)) => same_result(a, b),
        (None, None) => true,
        _ => false,
    };
    let durations_match = match (a.duration_s, b.duration_s) {
        (Some(a), Some(b)) => same_float(a, b),
        (None, None) => true,
        _ => false,
    };
    a.timestamp == b.timestamp
        && a.phase == b.phase
        && a.iteration == b.iteration
        && a.run_uuid == b.run_uuid
        && same_design(&a.design, &b.design)
        && results_match
        && a.record_start_idx == b.record_start_idx
        && a.record_count == b.record_count
        && a.schema_version == b.schema_version
        && a.status == b.status
        && a.error == b.error
        && a.seed == b.seed
        && durations_match
}

proptest! {
    #[test]
    fn design_round_trips(design in any_design()) {
        let read = json_round_trip(&design);
        prop_assert!(same_design(&design, &read), "{design:?} read back as {read:?}");
    }

    #[test]
    fn result_round_trips(result in any_result()) {
        let read = json_round_trip(&result);
        prop_assert!(same_result(&result, &read), "{result:?} read back as {read:?}");
    }

    #[test]
    fn record_round_trips(record in any_record()) {
        let read = json_round_trip(&record);
        prop_assert!(same_record(&record, &read), "{record:?} read back as {read:?}");
    }

    #[test]
    fn record_text_is_stable(record in any_record()) {
        let text = serde_json::to_string(&record).unwrap();
        let read: ExperimentRecord = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(serde_json::to_string(&read).unwrap(), text);
    }

    #[test]
    fn phase_round_trips(phase in any_phase()) {
        prop_assert_eq!(json_round_trip(&phase), phase);
    }

    #[test]
    fn status_round_trips(status in any_status()) {
        prop_assert_eq!(json_round_trip(&status), status);
    }

    #[test]
    fn bounds_round_trip(bounds in any_bounds(Parameter::MutationRate)) {
        prop_assert_eq!(json_round_trip(&bounds), bounds);
    }

    #[test]
    fn space_round_trips_through_json(space in any_space()) {
        prop_assert_eq!(json_round_trip(&space), space.clone());
        let text = space.to_json_value().to_string();
        prop_assert_eq!(ParameterSpace::from_json_str(&text).unwrap(), space);
    }

    #[test]
    fn space_round_trips_through_toml(space in any_space()) {
        let text = toml::to_string(&space).unwrap();
        let read = ParameterSpace::from_toml_str(&text)
            .unwrap_or_else(|e| panic!("failed to read back {text}: {e}"));
        prop_assert_eq!(read, space);
    }
}

#[test]
fn extreme_results_written_exactly() {
    let result = ExperimentResult::from_array([f64::NAN, f64::INFINITY, -0.0, 1e308, 5e-324]);
    let text = serde_json::to_string(&result).unwrap();
    assert_eq!(
        text,
        r#"{"information_gain":"NaN","barrier_crossing_frequency":"Infinity","#.to_owned()
            + r#""final_sequence_entropy":-0.0,"jsd_from_original_population":1e+308,"#
            + r#""geometric_fitness_mean":5e-324}"#
    );

    let read: ExperimentResult = serde_json::from_str(&text).unwrap();
    assert!(read.information_gain.is_nan());
    assert_eq!(read.barrier_crossing_frequency, f64::INFINITY);
    assert!(read.final_sequence_entropy.is_sign_negative());
    assert_eq!(read.final_sequence_entropy, 0.0);
    assert_eq!(read.jsd_from_original_population, 1e308);
    assert_eq!(read.geometric_fitness_mean, 5e-324);
}

#[test]
fn negative_infinity_written_as_string() {
    let result = ExperimentResult::from_array([f64::NEG_INFINITY, 0.0, 0.0, 0.0, 0.0]);
    let value = serde_json::to_value(&result).unwrap();
    assert_eq!(value["information_gain"], "-Infinity");
}

#[test]
fn record_leaves_out_absent_additions() {
    let design = Design {
        n: 20,
        k: 2,
        q: 4,
        population_size: 100,
        n_generations: 200,
        mutation_rate: 0.01,
        diversification_ratio: 0.5,
        branch_length: 1.0,
    };
    let record = ExperimentRecord {
        timestamp: "2026-01-01T00:00:00+00:00".to_string(),
        phase: Phase::Seeding,
        iteration: 0,
        run_uuid: "a41386f5-1e40-44a6-bc1c-4ab79afcd64b".to_string(),
        design,
        result: None,
        record_start_idx: 0,
        record_count: 0,
        schema_version: None,
        status: None,
        error: None,
        seed: None,
        duration_s: None,
    };
    let value = serde_json::to_value(&record).unwrap();
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "design",
            "iteration",
            "phase",
            "record_count",
            "record_start_idx",
            "result",
            "run_uuid",
            "timestamp"
        ]
    );
    assert!(value["result"].is_null());
}
