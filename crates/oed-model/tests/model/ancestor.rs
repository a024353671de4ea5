//! Reading designs, results and records from files the Python ancestor wrote.

use oed_model::{Design, ExperimentRecord, ExperimentResult, Metric, Parameter, Phase};
use serde_json::Value;

use crate::{read_data, same_float};

fn manifest_lines() -> Vec<String> {
    read_data("python-ancestor/oed_manifest.jsonl")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn manifest_records() -> Vec<ExperimentRecord> {
    manifest_lines()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn first_record_values() {
    let records = manifest_records();
    let record = &records[0];

    assert_eq!(record.timestamp, "2026-12-04T15:45:35.196784+00:00");
    assert_eq!(record.phase, Phase::Seeding);
    assert_eq!(record.iteration, 0);
    assert_eq!(record.run_uuid, "a41386f5-1e40-44a6-bc1c-4ab79afcd64b");
    assert_eq!(
        record.design,
        Design {
            n: 12,
            k: 1,
            q: 3,
            population_size: 196,
            n_generations: 20,
            mutation_rate: 0.05198364332318306,
            diversification_ratio: 0.003811955451965332,
            branch_length: 1.0,
        }
    );

    assert_eq!(
        record.result,
        Some(ExperimentResult {
            information_gain: 7.296909332275391,
            barrier_crossing_frequency: 0.6315789222717285,
            final_sequence_entropy: 0.9916529059410095,
            jsd_from_original_population: 0.00046580052003264427,
            geometric_fitness_mean: 0.005102040246129036,
        })
    );

    assert_eq!(record.record_start_idx, 0);
    assert_eq!(record.record_count, 0);
    assert_eq!(record.schema_version, None);
    assert_eq!(record.status, None);
    assert!(!record.is_failed());
}

#[test]
fn phases_and_iterations() {
    let found: Vec<(Phase, u64)> = manifest_records()
        .into_iter()
        .map(|r| (r.phase, r.iteration))
        .collect();
    assert_eq!(
        found,
        [
            (Phase::Seeding, 0),
            (Phase::Seeding, 1),
            (Phase::Seeding, 2),
            (Phase::Optimization, 0),
            (Phase::Optimization, 1),
        ]
    );
}

/// Compares every typed field with the same field read as untyped JSON, so a
/// misnamed or swapped field fails here.
#[test]
fn fields_match_untyped_json() {
    for line in manifest_lines() {
        let record: ExperimentRecord = serde_json::from_str(&line).unwrap();
        let value: Value = serde_json::from_str(&line).unwrap();
        for parameter in Parameter::ALL {
            let expected = value["design"][parameter.name()].as_f64().unwrap();
            assert_eq!(
                record.design.get(parameter),
                expected,
                "{parameter} in {line}"
            );
        }
        let result = record.result.as_ref().unwrap();
        for metric in Metric::ALL {
            let expected = value["result"][metric.name()].as_f64().unwrap();
            assert_eq!(result.get(metric), expected, "{metric} in {line}");
        }
        assert_eq!(record.run_uuid, value["run_uuid"].as_str().unwrap());
        assert_eq!(record.phase.as_str(), value["phase"].as_str().unwrap());
    }
}

/// Writing an ancestor record back gives the same JSON document: the same
/// fields, none added, and the same numbers.
#[test]
fn rewritten_record_equals_original() {
    for line in manifest_lines() {
        let record: ExperimentRecord = serde_json::from_str(&line).unwrap();
        let original: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(serde_json::to_value(&record).unwrap(), original, "{line}");
    }
}

#[test]
fn checkpoint_history_matches_manifest() {
    let checkpoint: Value =
        serde_json::from_str(&read_data("python-ancestor/oed_checkpoint.json")).unwrap();
    let history = checkpoint["design_history"].as_array().unwrap();
    let records = manifest_records();
    assert_eq!(history.len(), records.len());

    for (entry, record) in history.iter().zip(&records) {
        let design = design_from(&entry["design"]);
        let result: ExperimentResult = serde_json::from_value(entry["result"].clone()).unwrap();
        assert_eq!(design, record.design);
        assert_eq!(Some(result), record.result);
    }
}

#[test]
fn metadata_design_and_phase() {
    let metadata: Value =
        serde_json::from_str(&read_data("python-ancestor/metadata.json")).unwrap();
    let design = design_from(&metadata["oed_design"]);
    let phase: Phase = serde_json::from_value(metadata["oed_phase"].clone()).unwrap();
    let last = manifest_records().pop().unwrap();
    assert_eq!(design, last.design);
    assert_eq!(phase, Phase::Optimization);
    assert_eq!(metadata["oed_iteration"], 1);
}

#[test]
fn missing_branch_length_defaults_to_one() {
    let mut value: Value = serde_json::from_str(&manifest_lines()[1]).unwrap();
    value["design"]
        .as_object_mut()
        .unwrap()
        .remove("branch_length");
    let design = design_from(&value["design"]);
    assert_eq!(design.branch_length, 1.0);
    assert_eq!(design.n, 13);
}

#[test]
fn missing_design_field_is_named() {
    let mut value: Value = serde_json::from_str(&manifest_lines()[1]).unwrap();
    value["design"].as_object_mut().unwrap().remove("q");
    let error = serde_json::from_value::<Design>(value["design"].clone()).unwrap_err();
    assert_eq!(error.to_string(), "missing field `q`");
}

#[test]
fn unknown_phase_is_kept_on_rewrite() {
    let line = manifest_lines()[0].replace(r#""phase": "seeding""#, r#""phase": "refinement""#);
    let record: ExperimentRecord = serde_json::from_str(&line).unwrap();
    assert_eq!(record.phase, Phase::Other("refinement".to_string()));
    let value = serde_json::to_value(&record).unwrap();
    assert_eq!(value["phase"], "refinement");
}

#[test]
fn null_result_reads_as_failed() {
    let mut value: Value = serde_json::from_str(&manifest_lines()[0]).unwrap();
    value["result"] = Value::Null;
    let record: ExperimentRecord = serde_json::from_value(value).unwrap();
    assert_eq!(record.result, None);
    assert!(record.is_failed());
}

/// Python's `json` module writes bare `NaN`, `Infinity` and `-Infinity`, which
/// are not JSON. The manifest reader in oed-store turns them into the strings
/// that this crate reads; this test does the same by text replacement.
fn quote_bare_tokens(line: &str) -> String {
    line.replace(": NaN", r#": "NaN""#)
        .replace(": -Infinity", r#": "-Infinity""#)
        .replace(": Infinity", r#": "Infinity""#)
}

#[test]
fn bare_non_finite_tokens_are_not_json() {
    let text = read_data("python-ancestor/nonfinite_manifest.jsonl");
    for line in text.lines() {
        assert!(
            serde_json::from_str::<ExperimentRecord>(line).is_err(),
            "{line}"
        );
    }
}

#[test]
fn non_finite_results_read_after_quoting() {
    let text = read_data("python-ancestor/nonfinite_manifest.jsonl");
    let results: Vec<ExperimentResult> = text
        .lines()
        .map(|line| {
            let record: ExperimentRecord = serde_json::from_str(&quote_bare_tokens(line))
                .unwrap_or_else(|e| panic!("{e}: {line}"));
            record.result.unwrap()
        })
        .collect();

    // The values as the file's text spells them.
    let expected = [
        [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.1,
            0.10000000149011612,
        ],
        [f64::NAN, f64::INFINITY, -0.0, 1e308, 5e-324],
        [
            1.0000000150474662e30,
            0.5,
            f64::NAN,
            f64::INFINITY,
            1.401298464324817e-45,
        ],
    ];
    assert_eq!(results.len(), expected.len());
    for (result, expected) in results.iter().zip(expected) {
        for (metric, expected) in Metric::ALL.into_iter().zip(expected) {
            let found = result.get(metric);
            assert!(
                same_float(found, expected),
                "{metric}: {found:?}, expected {expected:?}"
            );
        }
    }

    // Written again, the non-finite values are strings and the rest numbers.
    let value = serde_json::to_value(&results[1]).unwrap();
    assert_eq!(value["information_gain"], "NaN");
    assert_eq!(value["barrier_crossing_frequency"], "Infinity");
    assert_eq!(value["jsd_from_original_population"], 1e308);
}

/// Reads a design from an untyped JSON value.
fn design_from(value: &Value) -> Design {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value}"))
}
