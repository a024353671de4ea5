//! Files written by this crate and read back by it.

use std::io::Cursor;

use arrayrecord::{Compression, Reader, Writer, WriterOptions};

use crate::support::{generate_records, read_all, write_to_vec};

const COMPRESSIONS: [Compression; 2] = [Compression::Uncompressed, Compression::Zstd { level: 3 }];

#[test]
fn round_trip_group_sizes() {
    let records = generate_records(250, &[0, 1, 100, 3000, 70_000]);
    for compression in COMPRESSIONS {
        for group_size in [1, 2, 7, 100, 250, 1000] {
            let options = WriterOptions::default()
                .group_size(group_size)
                .compression(compression);
            let bytes = write_to_vec(&records, options.clone());
            assert_eq!(
                bytes.len() % 65_536,
                0,
                "{options:?}: file size is whole blocks"
            );

            let reader = Reader::new(Cursor::new(&bytes)).expect("file opens");
            assert_eq!(reader.num_records(), 250, "{options:?}");
            // The reader takes the group size from the first chunk.
            assert_eq!(reader.group_size(), group_size.min(250), "{options:?}");
            assert_eq!(
                reader.writer_options(),
                Some(options.to_options_string().as_str())
            );
            assert!(read_all(&bytes) == records, "{options:?}: records differ");
        }
    }
}

#[test]
fn random_reads_across_chunks() {
    let records = generate_records(300, &[5, 0, 40_000, 17]);
    let options = WriterOptions::default().group_size(7);
    let mut reader = Reader::new(Cursor::new(write_to_vec(&records, options))).unwrap();
    for step in 0..300u64 {
        let index = (step * 113) % 300;
        assert_eq!(
            reader.read(index).unwrap(),
            records[index as usize],
            "record {index}"
        );
    }
    assert_eq!(reader.read_range(10..30).unwrap(), records[10..30]);
    assert_eq!(reader.read_range(300..300).unwrap(), Vec::<Vec<u8>>::new());
}

#[test]
fn zero_records_file() {
    for compression in COMPRESSIONS {
        let bytes = write_to_vec(&[], WriterOptions::default().compression(compression));
        assert_eq!(bytes.len(), 2 * 65_536, "an empty file is two blocks");
        let mut reader = Reader::new(Cursor::new(bytes)).unwrap();
        assert_eq!(reader.num_records(), 0);
        assert_eq!(reader.iter().count(), 0);
    }
}

#[test]
fn many_empty_records_in_one_chunk() {
    // 200,000 records of 0 bytes compress to almost nothing, so the chunk is
    // padded to occupy one byte of file per record.
    let records = vec![Vec::new(); 200_000];
    for compression in COMPRESSIONS {
        let options = WriterOptions::default()
            .group_size(200_000)
            .compression(compression);
        let bytes = write_to_vec(&records, options);
        let mut reader = Reader::new(Cursor::new(&bytes)).unwrap();
        assert_eq!(reader.num_records(), 200_000);
        assert_eq!(reader.read(199_999).unwrap(), Vec::<u8>::new());
        assert_eq!(
            reader.iter().filter(|record| record.is_ok()).count(),
            200_000
        );
    }
}

#[test]
fn out_of_range_reads_fail() {
    let records = generate_records(3, &[10]);
    let mut reader = Reader::new(Cursor::new(write_to_vec(
        &records,
        WriterOptions::default(),
    )))
    .unwrap();
    let error = reader.read(3).unwrap_err();
    assert_eq!(
        error.to_string(),
        "record index 3 out of range: the file holds 3 records"
    );
    assert!(reader.read_range(2..4).is_err());
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = reader.read_range(2..1);
    assert!(reversed.is_err());
}

#[test]
fn invalid_options_rejected() {
    let error = Writer::new(Vec::new(), WriterOptions::default().group_size(0)).unwrap_err();
    assert!(
        error.to_string().contains("group size 0 is out of range"),
        "{error}"
    );

    let options = WriterOptions::default().compression(Compression::Zstd { level: 40 });
    let error = Writer::new(Vec::new(), options).unwrap_err();
    assert!(
        error.to_string().contains("zstd level 40 is out of range"),
        "{error}"
    );
}

#[test]
fn file_round_trip_and_errors_name_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.arrayrecord");
    let records = generate_records(20, &[1, 2000]);
    let mut writer = Writer::create(&path, WriterOptions::default()).unwrap();
    for record in &records {
        writer.write(record).unwrap();
    }
    assert_eq!(writer.num_records(), 20);
    writer.finish().unwrap().sync_all().unwrap();

    let mut reader = Reader::open(&path).unwrap();
    let read: Vec<Vec<u8>> = reader.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(read, records);

    let error = reader.read(20).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}: ", path.display())),
        "{error}"
    );
    let missing = dir.path().join("missing.arrayrecord");
    let error = Reader::open(&missing).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}: failed to open file", missing.display()))
    );
    assert!(error.is_io());
}
