//! Appending and reading manifests: torn writes, damaged lines, lenient mode,
//! queries and concurrency within one process.

use std::io::Write;

use oed_model::Phase;
use oed_store::{
    Manifest, ManifestLines, ReadOptions, RunDir, RunId, SyncMode, load_manifest,
    parse_record_line, read_manifest,
};

use crate::common::{assert_same_record, failed_record, record, run_dir};

fn line_of(record: &oed_model::ExperimentRecord) -> String {
    serde_json::to_string(record).unwrap()
}

fn append_raw(dir: &RunDir, bytes: &[u8]) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(dir.manifest_path())
        .unwrap();
    file.write_all(bytes).unwrap();
}

#[test]
fn append_then_load_keeps_order() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let records = [record(0), failed_record(1), record(2)];
    let mut manifest = Manifest::open(&dir).unwrap();
    for record in &records {
        manifest.append(record).unwrap();
    }
    drop(manifest);

    let loaded = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap();
    assert_eq!(loaded.len(), 3);
    assert!(loaded.skipped.is_empty());
    for (actual, expected) in loaded.records.iter().zip(&records) {
        assert_same_record(actual, expected);
    }
    let text = std::fs::read_to_string(dir.manifest_path()).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.ends_with('\n'));
}

#[test]
fn missing_manifest_has_no_records() {
    let root = tempfile::tempdir().unwrap();
    let dir = RunDir::open(root.path()).unwrap();
    let loaded = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap();
    assert!(loaded.is_empty());
    assert!(
        !dir.manifest_path().exists(),
        "reading created the manifest"
    );
}

#[test]
fn empty_and_blank_manifest_has_no_records() {
    let root = tempfile::tempdir().unwrap();
    let dir = RunDir::open(root.path()).unwrap();
    for content in ["", "\n", "  \n\n \t\n"] {
        std::fs::write(dir.manifest_path(), content).unwrap();
        let loaded = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap();
        assert!(loaded.is_empty(), "{content:?}");
        assert!(loaded.skipped.is_empty(), "{content:?}");
    }
}

#[test]
fn missing_directory_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("missing");
    let error =
        load_manifest(missing.join("oed_manifest.jsonl"), ReadOptions::strict()).unwrap_err();
    assert_eq!(error.path(), Some(missing.as_path()));
    assert!(
        error.to_string().contains("run directory not found"),
        "{error}"
    );
    assert!(!missing.exists(), "reading created the directory");
}

#[test]
fn manifest_path_that_is_directory_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("oed_manifest.jsonl");
    std::fs::create_dir(&path).unwrap();
    let error = load_manifest(&path, ReadOptions::strict()).unwrap_err();
    assert_eq!(error.path(), Some(path.as_path()));
}

#[test]
fn torn_tail_is_skipped_with_its_line() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let first = line_of(&record(0));
    let fragment = &line_of(&record(1))[..70];
    append_raw(&dir, format!("{first}\n\n{fragment}").as_bytes());

    for options in [ReadOptions::strict(), ReadOptions::lenient()] {
        let loaded = load_manifest(dir.manifest_path(), options).unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded.skipped.len(), 1);
        assert_eq!(loaded.skipped[0].line, 3);
        assert!(loaded.skipped[0].reason.contains("incomplete last line"));
    }
}

#[test]
fn append_after_torn_tail_starts_new_line() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let first = record(0);
    let fragment = &line_of(&record(1))[..70];
    append_raw(&dir, format!("{}\n{fragment}", line_of(&first)).as_bytes());

    let second = record(2);
    Manifest::open(&dir).unwrap().append(&second).unwrap();

    let text = std::fs::read_to_string(dir.manifest_path()).unwrap();
    assert_eq!(text, format!("{}\n{}\n", line_of(&first), line_of(&second)));
    let loaded = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap();
    assert_eq!(loaded.len(), 2);
    assert!(loaded.skipped.is_empty());
}

#[test]
fn complete_last_line_without_newline_is_kept() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let first = record(0);
    append_raw(&dir, line_of(&first).as_bytes());

    let loaded = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap();
    assert_eq!(loaded.len(), 1);
    assert!(loaded.skipped.is_empty());

    let second = record(1);
    Manifest::open(&dir).unwrap().append(&second).unwrap();
    let text = std::fs::read_to_string(dir.manifest_path()).unwrap();
    assert_eq!(text, format!("{}\n{}\n", line_of(&first), line_of(&second)));
}

#[test]
fn bad_middle_lines_name_path_and_line() {
    let good = line_of(&record(0));
    let missing_field = good.replacen("\"run_uuid\"", "\"run_id\"", 1);
    let glued = format!("{good}{good}");
    let torn_then_glued = format!("{}{good}", &good[..60]);
    let cases: [(&[u8], &str); 6] = [
        (
            b"{not json}",
            "invalid record: key must be a string at column 2",
        ),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (missing_field.as_bytes(), "missing field `run_uuid`"),
        (glued.as_bytes(), "two records on one line"),
        (torn_then_glued.as_bytes(), "two records on one line"),
        (b"[1, 2]", "invalid type"),
    ];
    for (bad, expected) in cases {
        let root = tempfile::tempdir().unwrap();
        let dir = run_dir(&root);
        let mut bytes = format!("{good}\n").into_bytes();
        bytes.extend_from_slice(bad);
        bytes.extend_from_slice(format!("\n{good}\n").as_bytes());
        append_raw(&dir, &bytes);

        let error = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap_err();
        let text = error.to_string();
        let prefix = format!("{}:2: ", dir.manifest_path().display());
        assert!(text.starts_with(&prefix), "{text}");
        assert!(text.contains(expected), "{text}");
        assert_eq!(error.line(), Some(2));

        let loaded = load_manifest(dir.manifest_path(), ReadOptions::lenient()).unwrap();
        assert_eq!(loaded.len(), 2, "{expected}");
        assert_eq!(loaded.skipped.len(), 1);
        assert_eq!(loaded.skipped[0].line, 2);
        assert!(
            loaded.skipped[0].reason.contains(expected),
            "{:?}",
            loaded.skipped
        );
    }
}

#[test]
fn strict_reader_stops_after_error() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    append_raw(
        &dir,
        format!("{}\nbad\n{}\n", line_of(&record(0)), line_of(&record(1))).as_bytes(),
    );
    let results: Vec<_> = read_manifest(dir.manifest_path(), ReadOptions::strict())
        .unwrap()
        .collect();
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert!(results[1].is_err());
}

#[test]
fn path_traversal_uuid_is_invalid_record() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let mut bad = record(1);
    bad.run_uuid = "../../x".to_string();
    append_raw(
        &dir,
        format!("{}\n{}\n", line_of(&record(0)), line_of(&bad)).as_bytes(),
    );

    let error = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap_err();
    assert!(
        error.to_string().contains(r#"run_uuid "../../x""#),
        "{error}"
    );
    let loaded = load_manifest(dir.manifest_path(), ReadOptions::lenient()).unwrap();
    assert_eq!(loaded.len(), 1);
    assert!(RunId::parse("../../x").is_err());

    let names: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        ["oed_results"],
        "reading touched files outside the run directory"
    );
}

#[test]
fn append_rejects_what_would_not_read_back() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let mut manifest = Manifest::open(&dir).unwrap();

    let mut bad_uuid = record(0);
    bad_uuid.run_uuid = "../x".to_string();
    let error = manifest.append(&bad_uuid).unwrap_err();
    assert!(error.to_string().contains("not appended"), "{error}");

    let mut bad_design = record(0);
    bad_design.design.mutation_rate = f64::INFINITY;
    let error = manifest.append(&bad_design).unwrap_err();
    assert!(
        error.to_string().contains("mutation_rate is inf"),
        "{error}"
    );

    assert_eq!(std::fs::read(dir.manifest_path()).unwrap(), b"");
}

#[test]
fn manifest_lines_yield_numbered_lines() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let (first, second) = (line_of(&record(0)), line_of(&record(1)));
    append_raw(
        &dir,
        format!("{first}\n\n{second}\n{}", &first[..30]).as_bytes(),
    );

    let mut lines = ManifestLines::open(dir.manifest_path()).unwrap();
    let collected: Vec<(u64, Vec<u8>)> = lines.by_ref().map(Result::unwrap).collect();
    assert_eq!(collected.len(), 2);
    assert_eq!(collected[0], (1, first.clone().into_bytes()));
    assert_eq!(collected[1], (3, second.into_bytes()));
    assert_eq!(lines.torn_tail().map(|torn| torn.line), Some(4));

    let parsed = parse_record_line(&dir.manifest_path(), 1, &collected[0].1).unwrap();
    assert_same_record(&parsed, &serde_json::from_str(&first).unwrap());
}

#[test]
fn queries_find_runs_and_phases() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let mut manifest = Manifest::open(&dir).unwrap().with_sync(SyncMode::Never);
    let mut records = [record(0), record(1), record(0), record(1), record(2)];
    for (index, record) in records.iter_mut().enumerate() {
        if index >= 2 {
            record.phase = Phase::Optimization;
        }
        record.record_count = 10 + index as u64;
        manifest.append(record).unwrap();
    }
    let loaded = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap();

    let third = RunId::parse(&records[3].run_uuid).unwrap();
    assert_eq!(
        loaded.find_run(&third).unwrap().run_uuid,
        records[3].run_uuid
    );
    assert_eq!(loaded.run_records_range(&third), Some(0..13));
    assert!(loaded.find_run(&RunId::new_v4()).is_none());
    assert_eq!(loaded.next_record_index(), 5);
    assert_eq!(loaded.phase_records(&Phase::Seeding).count(), 2);
    assert_eq!(loaded.phase_records(&Phase::Optimization).count(), 3);
    assert_eq!(loaded.next_iteration(&Phase::Seeding), 2);
    assert_eq!(loaded.next_iteration(&Phase::Optimization), 3);
    assert_eq!(loaded.next_iteration(&Phase::Other("x".into())), 0);
}

#[test]
fn threads_with_own_handles_do_not_interleave() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(&root);
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut manifest = Manifest::open(&dir).unwrap().with_sync(SyncMode::Never);
                for i in 0..200 {
                    let mut record = record(i);
                    record.seed = Some(thread);
                    manifest.append(&record).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }

    let loaded = load_manifest(dir.manifest_path(), ReadOptions::strict()).unwrap();
    assert_eq!(loaded.len(), 800);
    for thread in 0..4 {
        let iterations: Vec<u64> = loaded
            .records
            .iter()
            .filter(|record| record.seed == Some(thread))
            .map(|record| record.iteration)
            .collect();
        assert_eq!(iterations, (0..200).collect::<Vec<_>>(), "thread {thread}");
    }
}
