//! Files written by Python's array_record 0.8.6: every record must match the
//! lengths and sha256 digests in records.json, and rewriting the records must
//! give the same bytes as Python.

use arrayrecord::{Compression, Reader, WriterOptions};

use crate::support::{data_path, first_difference, manifest, sha256_hex, write_to_vec};

/// Returns (length, sha256) of every record listed in records.json.
fn expected_records() -> Vec<(u64, String)> {
    let manifest = manifest();
    let records = manifest["records"].as_array().expect("records is an array");
    records
        .iter()
        .enumerate()
        .map(|(i, record)| {
            assert_eq!(
                record["index"].as_u64(),
                Some(i as u64),
                "records.json is in order"
            );
            let len = record["len"].as_u64().expect("len is a number");
            let sha256 = record["sha256"]
                .as_str()
                .expect("sha256 is a string")
                .to_string();
            (len, sha256)
        })
        .collect()
}

fn file_entry(name: &str) -> serde_json::Value {
    manifest()["files"][name].clone()
}

fn check_record(name: &str, index: u64, record: &[u8], expected: &(u64, String)) {
    assert_eq!(
        record.len() as u64,
        expected.0,
        "{name}: length of record {index}"
    );
    assert_eq!(
        sha256_hex(record),
        expected.1,
        "{name}: sha256 of record {index}"
    );
}

fn check_sequential(name: &str, expected_group_size: u64) {
    let expected = expected_records();
    let mut reader = Reader::open(data_path(name)).expect("fixture opens");
    assert_eq!(
        reader.num_records(),
        expected.len() as u64,
        "{name}: num_records"
    );
    assert_eq!(
        reader.group_size(),
        expected_group_size,
        "{name}: group_size"
    );
    let options = file_entry(name)["writer_options_string"]
        .as_str()
        .map(str::to_string);
    assert_eq!(
        reader.writer_options().map(str::to_string),
        options,
        "{name}: writer options"
    );

    let mut count = 0;
    for (index, record) in reader.iter().enumerate() {
        let record = record.unwrap_or_else(|error| panic!("{name}: record {index}: {error}"));
        check_record(name, index as u64, &record, &expected[index]);
        count += 1;
    }
    assert_eq!(count, expected.len(), "{name}: records yielded by iter");
}

fn check_random_order(name: &str) {
    let expected = expected_records();
    let mut reader = Reader::open(data_path(name)).expect("fixture opens");
    let num_records = expected.len() as u64;
    // 379 is coprime with 1000, so this visits every index once, jumping
    // between chunks.
    for step in 0..num_records {
        let index = (step * 379 + 17) % num_records;
        let record = reader
            .read(index)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        check_record(name, index, &record, &expected[index as usize]);
    }
}

#[test]
fn default_file_sequential() {
    check_sequential("default.arrayrecord", 1);
}

#[test]
fn default_file_random_order() {
    check_random_order("default.arrayrecord");
}

#[test]
fn group_size_100_sequential() {
    check_sequential("group_size_100.arrayrecord", 100);
}

#[test]
fn group_size_100_random_order() {
    check_random_order("group_size_100.arrayrecord");
}

#[test]
fn group_size_100_read_range() {
    let expected = expected_records();
    let mut reader = Reader::open(data_path("group_size_100.arrayrecord")).expect("fixture opens");
    let records = reader.read_range(250..420).expect("range reads");
    assert_eq!(records.len(), 170);
    for (offset, record) in records.iter().enumerate() {
        let index = 250 + offset;
        check_record(
            "group_size_100.arrayrecord",
            index as u64,
            record,
            &expected[index],
        );
    }
}

#[test]
fn small_files_hold_listed_records() {
    let expected: [&[u8]; 3] = [b"abc", b"", b"hello world"];
    for name in [
        "small3_uncompressed.arrayrecord",
        "small3_default.arrayrecord",
    ] {
        let mut reader = Reader::open(data_path(name)).expect("fixture opens");
        let records = reader.read_range(0..3).expect("records read");
        assert_eq!(records, expected, "{name}");
        let options = file_entry(name)["writer_options_string"]
            .as_str()
            .map(str::to_string);
        assert_eq!(
            reader.writer_options().map(str::to_string),
            options,
            "{name}"
        );
    }
}

#[test]
fn empty_file_has_no_records() {
    let mut reader = Reader::open(data_path("empty.arrayrecord")).expect("fixture opens");
    assert_eq!(reader.num_records(), 0);
    assert_eq!(reader.group_size(), 0);
    assert_eq!(reader.iter().count(), 0);
    assert!(reader.read(0).is_err());
}

/// Returns the 1000 records of the default fixture, checked against
/// records.json.
fn fixture_records() -> Vec<Vec<u8>> {
    let expected = expected_records();
    let mut reader = Reader::open(data_path("default.arrayrecord")).expect("fixture opens");
    let records: Vec<Vec<u8>> = reader
        .iter()
        .collect::<Result<_, _>>()
        .expect("records read");
    for (index, record) in records.iter().enumerate() {
        check_record(
            "default.arrayrecord",
            index as u64,
            record,
            &expected[index],
        );
    }
    records
}

/// Checks that writing the fixture records with `options` gives the file that
/// Python wrote for `python_name`, by size and sha256 from records.json.
fn check_rewrite(records: &[Vec<u8>], options: WriterOptions, python_name: &str) {
    let bytes = write_to_vec(records, options);
    let entry = file_entry(python_name);
    assert_eq!(
        Some(bytes.len() as u64),
        entry["size"].as_u64(),
        "size of {python_name}"
    );
    assert_eq!(
        Some(sha256_hex(&bytes).as_str()),
        entry["sha256"].as_str(),
        "sha256 of {python_name}"
    );
}

#[test]
fn uncompressed_rewrite_matches_python() {
    let records = fixture_records();
    let options = WriterOptions::default().compression(Compression::Uncompressed);
    check_rewrite(&records, options.clone(), "uncompressed.arrayrecord");
    check_rewrite(
        &records,
        options.group_size(100),
        "group_size_100_uncompressed.arrayrecord",
    );
}

#[test]
fn zstd_rewrite_matches_python() {
    // Every compressed section of the default file fits in one zstd block
    // (records up to 100 KiB), where zstd versions agree. The 500 KiB
    // sections of group_size_100.arrayrecord span several blocks, and the
    // zstd built into Python's package encodes those differently.
    let records = fixture_records();
    check_rewrite(&records, WriterOptions::default(), "default.arrayrecord");
}

#[test]
fn small_files_rewrite_byte_identical() {
    let records = vec![b"abc".to_vec(), Vec::new(), b"hello world".to_vec()];
    let cases = [
        (
            Compression::Uncompressed,
            "small3_uncompressed.arrayrecord",
            records.clone(),
        ),
        (
            Compression::default(),
            "small3_default.arrayrecord",
            records,
        ),
        (Compression::default(), "empty.arrayrecord", Vec::new()),
    ];
    for (compression, name, records) in cases {
        let written = write_to_vec(&records, WriterOptions::default().compression(compression));
        let python = std::fs::read(data_path(name)).expect("fixture reads");
        assert_eq!(
            first_difference(&written, &python),
            None,
            "first byte that differs from {name}"
        );
    }
}
