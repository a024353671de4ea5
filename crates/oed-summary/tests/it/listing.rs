//! Rows written by `write_rows`, read back with independent parsers.

use oed_model::{ExperimentRecord, Metric, Phase};
use oed_summary::{CSV_COLUMNS, Direction, ListOptions, RowFormat, Top, write_rows};

use crate::common::{data_dir, record, write_manifest};

fn rows(path: &std::path::Path, options: &ListOptions, format: RowFormat) -> (u64, String) {
    let mut output = Vec::new();
    let count = write_rows(path, options, format, &mut output).unwrap();
    (count, String::from_utf8(output).unwrap())
}

fn sample() -> Vec<ExperimentRecord> {
    vec![
        record(0, "seeding", Some([1.5, 0.25, f64::NAN, 1e-7, 0.1])),
        record(1, "optimization", None),
        record(
            2,
            "optimization",
            Some([f64::INFINITY, 0.5, 0.75, 3.0, -0.0]),
        ),
        record(3, "seeding", Some([2.5, 0.5, 0.5, 2.0, 0.2])),
    ]
}

#[test]
fn table_is_aligned() {
    let manifest = data_dir().join("small_loop/oed_manifest.jsonl");
    let (count, text) = rows(&manifest, &ListOptions::default(), RowFormat::Table);
    assert_eq!(count, 5);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6);
    assert!(lines[0].trim_start().starts_with("index"));
    // Every row has the run UUID at the same column as the header.
    let column = lines[0].find("run_uuid").unwrap();
    assert_eq!(
        &lines[3][column..column + 36],
        "1331f919-67d7-47d5-9380-acfe350118a8"
    );
    assert!(lines[3].contains(" 22.79"), "{}", lines[3]);
    let widths: Vec<usize> = lines.iter().map(|l| l.len()).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{widths:?}");
}

#[test]
fn json_lines_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let records = sample();
    let path = write_manifest(dir.path(), &records);
    let (count, text) = rows(&path, &ListOptions::default(), RowFormat::JsonLines);
    assert_eq!(count, 4);
    for (i, line) in text.lines().enumerate() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["index"], i as u64);
        let back: ExperimentRecord = serde_json::from_value(value).unwrap();
        assert_eq!(back.run_uuid, records[i].run_uuid);
        assert_eq!(back.result.is_some(), records[i].result.is_some());
    }
}

#[test]
fn manifest_export_parses_as_records() {
    let manifest = data_dir().join("nonfinite_manifest.jsonl");
    let (count, text) = rows(&manifest, &ListOptions::default(), RowFormat::Manifest);
    assert_eq!(count, 3);
    let first: ExperimentRecord = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let result = first.result.unwrap();
    assert!(result.information_gain.is_nan());
    assert_eq!(result.final_sequence_entropy, f64::NEG_INFINITY);
    // Strict JSON: non-finite values are strings, not bare tokens.
    assert!(text.contains("\"NaN\""));
    assert!(!text.contains(": NaN"));
}

#[test]
fn csv_round_trips_values() {
    let dir = tempfile::tempdir().unwrap();
    let records = sample();
    let path = write_manifest(dir.path(), &records);
    let (count, text) = rows(&path, &ListOptions::default(), RowFormat::Csv);
    assert_eq!(count, 4);

    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, CSV_COLUMNS);
    let column = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[0][column("jsd_from_original_population")], "1e-7");
    assert_eq!(&rows[0][column("final_sequence_entropy")], "NaN");
    assert_eq!(&rows[1][column("status")], "failed");
    assert_eq!(&rows[1][column("information_gain")], "");
    assert_eq!(
        &rows[1][column("error")],
        "simulated failure, with \"quotes\", commas"
    );
    assert_eq!(&rows[2][column("information_gain")], "Infinity");
    let parsed: f64 = rows[3][column("mutation_rate")].parse().unwrap();
    assert_eq!(parsed, records[3].design.mutation_rate);
}

#[test]
fn phase_filter_and_top() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_manifest(dir.path(), &sample());

    let options = ListOptions {
        phase: Some(Phase::Seeding),
        ..ListOptions::default()
    };
    let (count, text) = rows(&path, &options, RowFormat::JsonLines);
    assert_eq!(count, 2);
    let indices: Vec<u64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["index"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(indices, [0, 3]);

    // Top 2 by jsd: 3.0 (index 2), then 2.0 (index 3).
    let top = |direction| ListOptions {
        top: Some(Top {
            count: 2,
            metric: Metric::JsdFromOriginalPopulation,
            direction,
        }),
        chunk_records: 1,
        ..ListOptions::default()
    };
    let index_list = |text: String| -> Vec<u64> {
        text.lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["index"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    let (_, text) = rows(&path, &top(Direction::Maximize), RowFormat::JsonLines);
    assert_eq!(index_list(text), [2, 3]);
    let (_, text) = rows(&path, &top(Direction::Minimize), RowFormat::JsonLines);
    assert_eq!(index_list(text), [0, 3]);
}

#[test]
fn empty_manifest_writes_header_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_manifest(dir.path(), &[]);
    let (count, text) = rows(&path, &ListOptions::default(), RowFormat::Csv);
    assert_eq!(count, 0);
    assert_eq!(text.lines().count(), 1);
}
