//! Damaged and truncated files: the reader returns errors that name the
//! offset, never panics, and never returns a record that differs from what
//! was written.

use std::io::Cursor;
use std::sync::OnceLock;

use arrayrecord::{Compression, Reader, WriterOptions};
use proptest::prelude::*;

use crate::support::{generate_records, write_to_vec};

const BLOCK: usize = 65_536;

/// A file and the records written to it.
struct Sample {
    records: Vec<Vec<u8>>,
    bytes: Vec<u8>,
}

/// Files with chunks that cross block headers, in both compressions and
/// with one and several records per chunk.
fn samples() -> &'static [Sample] {
    static SAMPLES: OnceLock<Vec<Sample>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let records = generate_records(14, &[12, 0, 70_000, 300, 66_000, 5]);
        let options = [
            WriterOptions::default(),
            WriterOptions::default().compression(Compression::Uncompressed),
            WriterOptions::default().group_size(4),
            WriterOptions::default()
                .group_size(4)
                .compression(Compression::Uncompressed),
        ];
        options
            .into_iter()
            .map(|options| Sample {
                bytes: write_to_vec(&records, options),
                records: records.clone(),
            })
            .collect()
    })
}

/// Opens `bytes` and reads every record, checking that each record read
/// equals the one written. Returns the first error message, if any.
fn read_checked(bytes: &[u8], expected: &[Vec<u8>]) -> Option<String> {
    let mut reader = match Reader::new(Cursor::new(bytes)) {
        Ok(reader) => reader,
        Err(error) => return Some(error.to_string()),
    };
    // The footer is hashed, so a file that opens lists the records written.
    assert_eq!(
        reader.num_records(),
        expected.len() as u64,
        "record count of an opened file"
    );

    let mut first_error = None;
    for (index, want) in expected.iter().enumerate() {
        match reader.read(index as u64) {
            Ok(record) => assert!(
                record == *want,
                "record {index} differs from the one written"
            ),
            Err(error) => {
                first_error.get_or_insert(error.to_string());
            }
        }
    }
    for (index, record) in reader.iter().enumerate() {
        if let Ok(record) = record {
            assert!(
                record == expected[index],
                "record {index} from iter differs"
            );
        }
    }
    first_error
}

/// Damage to apply to a file.
#[derive(Debug, Clone)]
enum Damage {
    /// XOR masks at byte positions, each position taken modulo the length.
    Flip(Vec<(usize, u8)>),
    /// Keep only this many bytes, taken modulo the length.
    Truncate(usize),
}

fn position() -> impl Strategy<Value = usize> {
    prop_oneof![
        // Anywhere.
        any::<usize>(),
        // Headers: block headers, the first chunks and the postscript, which
        // starts at a block boundary.
        (0..8usize, 0..160usize).prop_map(|(block, offset)| block * BLOCK + offset),
    ]
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        prop::collection::vec((position(), 1..=255u8), 1..4).prop_map(Damage::Flip),
        any::<usize>().prop_map(Damage::Truncate),
        (0..8usize, 0..64usize)
            .prop_map(|(block, offset)| Damage::Truncate(block * BLOCK + offset)),
    ]
}

fn apply(bytes: &[u8], damage: &Damage) -> Vec<u8> {
    let mut damaged = bytes.to_vec();
    match damage {
        Damage::Flip(flips) => {
            for &(position, mask) in flips {
                let len = damaged.len();
                damaged[position % len] ^= mask;
            }
        }
        Damage::Truncate(len) => damaged.truncate(len % bytes.len()),
    }
    damaged
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn damaged_files_never_give_wrong_records(sample in 0..4usize, damage in damage()) {
        let sample = &samples()[sample];
        let damaged = apply(&sample.bytes, &damage);
        read_checked(&damaged, &sample.records);
    }
}

/// Returns a file whose second chunk, holding a 70,000-byte record, crosses
/// the block header at 65,536, and whose third crosses the one at 131,072.
fn crossing_file() -> (Vec<Vec<u8>>, Vec<u8>) {
    let records = vec![
        b"first record".to_vec(),
        vec![b'x'; 70_000],
        vec![b'y'; 100_000],
    ];
    let options = WriterOptions::default().compression(Compression::Uncompressed);
    let bytes = write_to_vec(&records, options);
    (records, bytes)
}

fn first_error_after(damage: impl FnOnce(&mut Vec<u8>)) -> String {
    let (records, mut bytes) = crossing_file();
    damage(&mut bytes);
    read_checked(&bytes, &records).expect("the damage is detected")
}

#[test]
fn undamaged_file_reads_cleanly() {
    let (records, bytes) = crossing_file();
    assert_eq!(read_checked(&bytes, &records), None);
}

#[test]
fn block_header_hash_damage_names_block() {
    let message = first_error_after(|bytes| bytes[BLOCK + 3] ^= 0x40);
    assert!(
        message.starts_with("offset 65536: block header hash mismatch"),
        "{message}"
    );
}

#[test]
fn block_header_distance_damage_names_block() {
    // A byte of `next_chunk` is covered by the block header's hash.
    let message = first_error_after(|bytes| bytes[2 * BLOCK + 16] ^= 0x01);
    assert!(
        message.starts_with("offset 131072: block header hash mismatch"),
        "{message}"
    );
}

#[test]
fn chunk_data_damage_names_chunk() {
    // The first data chunk starts at 64. Its record follows the 40-byte
    // header and 3 bytes of encoding.
    let message = first_error_after(|bytes| bytes[64 + 40 + 3] ^= 0x20);
    assert!(
        message.starts_with("offset 64: chunk data hash mismatch"),
        "{message}"
    );
}

#[test]
fn chunk_header_damage_names_chunk() {
    let message = first_error_after(|bytes| bytes[64 + 9] ^= 0x01);
    assert!(
        message.starts_with("offset 64: chunk header hash mismatch"),
        "{message}"
    );
}

#[test]
fn truncated_tail_is_reported() {
    let message = first_error_after(|bytes| bytes.truncate(bytes.len() - 100));
    assert!(
        message.contains("is not a multiple of 65536 bytes; the file is truncated"),
        "{message}"
    );

    let message = first_error_after(|bytes| bytes.truncate(bytes.len() - BLOCK));
    assert!(
        message.starts_with("offset 131072: invalid postscript"),
        "{message}"
    );

    let message = first_error_after(|bytes| bytes.truncate(1000));
    assert!(
        message.contains("too small for an ArrayRecord file"),
        "{message}"
    );
}

#[test]
fn file_without_index_is_rejected() {
    let message = first_error_after(|bytes| {
        bytes.clear();
        bytes.resize(2 * BLOCK, 0);
    });
    assert!(
        message.starts_with("offset 0: block header hash mismatch"),
        "{message}"
    );
}
