//! Chunks: the 40-byte chunk header, and the "simple" chunk encoding that
//! holds data records, the footer and the postscript.
//!
//! Simple chunk data is one compression byte, a varint giving the length of
//! the sizes section as stored, the sizes section (one varint length per
//! record), then the values section (all records concatenated). When the chunk
//! is compressed, each section is stored as a varint of its uncompressed
//! length followed by one compressed stream.

use std::io;

use zstd::bulk::{Compressor, Decompressor};
use zstd::zstd_safe;

use crate::block::{HashMismatch, read_u64};
use crate::error::ErrorKind;
use crate::hash::{hash, hash_parts};
use crate::options::Compression;
use crate::varint::{MAX_VARINT_LEN, read_varint, write_varint};

/// Size of a chunk header.
pub(crate) const CHUNK_HEADER_SIZE: u64 = 40;

/// Chunk type of the empty chunk at offset 0 that marks a Riegeli file.
pub(crate) const FILE_SIGNATURE: u8 = b's';
/// Chunk type of simple chunks: data, footer and postscript.
pub(crate) const SIMPLE: u8 = b'r';
/// Chunk type of transposed chunks, written with the `transpose` option.
pub(crate) const TRANSPOSED: u8 = b't';
/// Chunk type of zero-filled padding.
pub(crate) const PADDING: u8 = b'p';

/// Compression byte of a simple chunk stored as is.
const COMPRESSION_NONE: u8 = 0;
/// Compression byte of a zstd-compressed simple chunk.
const COMPRESSION_ZSTD: u8 = b'z';
/// Compression byte of a brotli-compressed simple chunk.
const COMPRESSION_BROTLI: u8 = b'b';
/// Compression byte of a snappy-compressed simple chunk.
const COMPRESSION_SNAPPY: u8 = b's';

/// zstd window size the C++ writer uses, as a base-2 logarithm; it is also
/// written into the writer options string.
pub(crate) const ZSTD_WINDOW_LOG: u32 = 20;

/// The fields of a chunk header, without its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkHeader {
    /// Bytes of chunk data, not counting block headers inside it.
    pub(crate) data_size: u64,
    pub(crate) data_hash: u64,
    pub(crate) chunk_type: u8,
    /// Number of records; the format stores 56 bits.
    pub(crate) num_records: u64,
    /// Total length of the records after decoding.
    pub(crate) decoded_data_size: u64,
}

impl ChunkHeader {
    /// Builds the header of a chunk whose data is the concatenation of `parts`.
    pub(crate) fn for_data(
        parts: &[&[u8]],
        chunk_type: u8,
        num_records: u64,
        decoded_data_size: u64,
    ) -> ChunkHeader {
        let data_size = parts.iter().map(|part| part.len() as u64).sum();
        ChunkHeader {
            data_size,
            data_hash: hash_parts(parts),
            chunk_type,
            num_records,
            decoded_data_size,
        }
    }

    pub(crate) fn encode(&self) -> [u8; CHUNK_HEADER_SIZE as usize] {
        debug_assert!(self.num_records < 1 << 56, "num_records has 56 bits");
        let type_and_records = u64::from(self.chunk_type) | self.num_records << 8;
        let mut bytes = [0u8; CHUNK_HEADER_SIZE as usize];
        bytes[8..16].copy_from_slice(&self.data_size.to_le_bytes());
        bytes[16..24].copy_from_slice(&self.data_hash.to_le_bytes());
        bytes[24..32].copy_from_slice(&type_and_records.to_le_bytes());
        bytes[32..40].copy_from_slice(&self.decoded_data_size.to_le_bytes());
        let header_hash = hash(&bytes[8..40]);
        bytes[0..8].copy_from_slice(&header_hash.to_le_bytes());
        bytes
    }

    /// Parses a chunk header and checks its hash.
    pub(crate) fn decode(bytes: &[u8; CHUNK_HEADER_SIZE as usize]) -> Result<Self, HashMismatch> {
        let stored = read_u64(bytes, 0);
        let computed = hash(&bytes[8..40]);
        if stored != computed {
            return Err(HashMismatch { stored, computed });
        }
        let type_and_records = read_u64(bytes, 24);
        Ok(ChunkHeader {
            data_size: read_u64(bytes, 8),
            data_hash: read_u64(bytes, 16),
            chunk_type: type_and_records as u8,
            num_records: type_and_records >> 8,
            decoded_data_size: read_u64(bytes, 32),
        })
    }
}

/// Encodes simple chunks, reusing its compressor and buffers across chunks.
pub(crate) struct SimpleChunkEncoder {
    compressor: Option<Compressor<'static>>,
    prefix: Vec<u8>,
    compressed_values: Vec<u8>,
}

impl std::fmt::Debug for SimpleChunkEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimpleChunkEncoder")
            .field("compressed", &self.compressor.is_some())
            .finish_non_exhaustive()
    }
}

impl SimpleChunkEncoder {
    pub(crate) fn new(compression: Compression) -> io::Result<Self> {
        let compressor = match compression {
            Compression::Uncompressed => None,
            Compression::Zstd { level } => {
                let mut compressor = Compressor::new(level)?;
                compressor.set_parameter(zstd_safe::CParameter::WindowLog(ZSTD_WINDOW_LOG))?;
                Some(compressor)
            }
        };
        Ok(SimpleChunkEncoder {
            compressor,
            prefix: Vec::new(),
            compressed_values: Vec::new(),
        })
    }

    /// Encodes the data of a simple chunk from its sizes section (the record
    /// lengths as varints) and its values section. Returns the data in two
    /// parts, so that uncompressed values are written without a copy.
    pub(crate) fn encode<'a>(
        &'a mut self,
        sizes: &[u8],
        values: &'a [u8],
    ) -> io::Result<[&'a [u8]; 2]> {
        self.prefix.clear();
        let Some(compressor) = &mut self.compressor else {
            self.prefix.push(COMPRESSION_NONE);
            write_varint(&mut self.prefix, sizes.len() as u64);
            self.prefix.extend_from_slice(sizes);
            return Ok([&self.prefix, values]);
        };

        let (sizes_fit, values_fit) = sections_fit_cpp_buffer(sizes);
        let mut compressed_sizes = Vec::new();
        append_compressed(compressor, sizes, sizes_fit, &mut compressed_sizes)?;
        self.prefix.push(COMPRESSION_ZSTD);
        write_varint(&mut self.prefix, compressed_sizes.len() as u64);
        self.prefix.extend_from_slice(&compressed_sizes);

        self.compressed_values.clear();
        append_compressed(compressor, values, values_fit, &mut self.compressed_values)?;
        Ok([&self.prefix, &self.compressed_values])
    }
}

/// Size of the buffer in front of each zstd stream in the C++ writer
/// (Riegeli's `ZstdWriter`, as array_record 0.8.6 uses it).
const CPP_ZSTD_BUFFER_SIZE: u64 = 4096;

/// Returns whether the sizes and the values section of a chunk would each
/// stay in the C++ writer's buffer until the end, given the sizes section.
///
/// The C++ writer stores a frame's content size only in that case, because
/// only then does zstd receive the whole section in one call that ends the
/// frame. Matching this choice makes compressed files byte-identical to
/// Python's, as the golden and interop tests check. The rules, measured on
/// files the Python package writes:
/// - a varint is written after making room for the longest varint, 10 bytes;
/// - a record that does not fit in the free space flushes the buffer, and a
///   first record of the buffer's full size or more bypasses it.
fn sections_fit_cpp_buffer(sizes: &[u8]) -> (bool, bool) {
    let mut sizes_buffered = 0u64;
    let mut sizes_fit = true;
    let mut values_buffered = 0u64;
    let mut values_fit = true;
    let mut position = 0;
    while sizes_fit || values_fit {
        let start = position;
        let Some(len) = read_varint(sizes, &mut position) else {
            break;
        };

        if sizes_buffered + MAX_VARINT_LEN as u64 > CPP_ZSTD_BUFFER_SIZE {
            sizes_fit = false;
        }
        sizes_buffered += (position - start) as u64;

        if len == 0 {
            continue;
        }
        let free = CPP_ZSTD_BUFFER_SIZE - values_buffered;
        let fits = if values_buffered == 0 {
            len < free
        } else {
            len <= free
        };
        if fits {
            values_buffered += len;
        } else {
            values_fit = false;
        }
    }
    (sizes_fit, values_fit)
}

/// Appends `section` to `out` as a varint of its length and one zstd frame.
///
/// With `store_size`, the frame is compressed in one call that knows the
/// size, so its header stores the content size. Without it, the input is
/// streamed and the frame ends separately, which leaves the size out and
/// lets zstd choose parameters for input of unknown size.
fn append_compressed(
    compressor: &mut Compressor<'static>,
    section: &[u8],
    store_size: bool,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    write_varint(out, section.len() as u64);
    out.reserve(zstd_safe::compress_bound(section.len()));
    if store_size {
        let frame_start = out.len();
        let mut cursor = io::Cursor::new(out);
        cursor.set_position(frame_start as u64);
        compressor.compress_to_buffer(section, &mut cursor)?;
        return Ok(());
    }

    let context = compressor.context_mut();
    context
        .reset(zstd_safe::ResetDirective::SessionOnly)
        .map_err(zstd_error)?;
    let mut input = zstd_safe::InBuffer::around(section);
    let mut directive = zstd_safe::zstd_sys::ZSTD_EndDirective::ZSTD_e_continue;
    loop {
        if out.capacity() == out.len() {
            out.reserve(zstd_safe::CCtx::out_size());
        }
        let position = out.len();
        let mut output = zstd_safe::OutBuffer::around_pos(out, position);
        let remaining = context
            .compress_stream2(&mut output, &mut input, directive)
            .map_err(zstd_error)?;
        if input.pos() < section.len() {
            continue;
        }
        match directive {
            zstd_safe::zstd_sys::ZSTD_EndDirective::ZSTD_e_continue => {
                directive = zstd_safe::zstd_sys::ZSTD_EndDirective::ZSTD_e_end;
            }
            _ if remaining == 0 => return Ok(()),
            _ => {}
        }
    }
}

fn zstd_error(code: zstd_safe::ErrorCode) -> io::Error {
    io::Error::other(format!(
        "zstd failed to compress: {}",
        zstd_safe::get_error_name(code)
    ))
}

/// The records of a decoded simple chunk.
#[derive(Debug)]
pub(crate) struct SimpleChunk {
    /// Holds the values section from `values_start` on.
    buffer: Vec<u8>,
    values_start: usize,
    /// End of each record, relative to `values_start`.
    ends: Vec<usize>,
}

impl SimpleChunk {
    pub(crate) fn num_records(&self) -> usize {
        self.ends.len()
    }

    /// Returns record `index`, or `None` past the last record.
    pub(crate) fn record(&self, index: usize) -> Option<&[u8]> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        self.buffer
            .get(self.values_start + start..self.values_start + end)
    }
}

/// Decodes the data of a simple chunk, checking it against its header.
pub(crate) fn decode_simple(
    data: Vec<u8>,
    header: &ChunkHeader,
    decompressor: &mut Decompressor<'static>,
) -> Result<SimpleChunk, ErrorKind> {
    let invalid = |message: String| ErrorKind::InvalidChunk(message);
    let Some(&compression) = data.first() else {
        return Err(invalid(
            "empty data, expected a compression byte".to_string(),
        ));
    };
    let mut position = 1;
    let sizes_len = read_varint(&data, &mut position)
        .ok_or_else(|| invalid("truncated length of the sizes section".to_string()))?;
    let sizes_end = usize::try_from(sizes_len)
        .ok()
        .and_then(|len| position.checked_add(len))
        .filter(|&end| end <= data.len())
        .ok_or_else(|| {
            invalid(format!(
                "sizes section of {sizes_len} bytes is longer than the chunk data of {} bytes",
                data.len()
            ))
        })?;

    let max_sizes_len = header.num_records.saturating_mul(MAX_VARINT_LEN as u64);
    let (sizes, buffer, values_start) = match compression {
        COMPRESSION_NONE => (data[position..sizes_end].to_vec(), data, sizes_end),
        COMPRESSION_ZSTD => {
            let sizes = decompress_section(
                decompressor,
                &data[position..sizes_end],
                max_sizes_len,
                "sizes",
            )?;
            let values = decompress_section(
                decompressor,
                &data[sizes_end..],
                header.decoded_data_size,
                "values",
            )?;
            (sizes, values, 0)
        }
        COMPRESSION_BROTLI => {
            return Err(ErrorKind::Unsupported(
                "compression brotli; rewrite the file with zstd or uncompressed chunks".to_string(),
            ));
        }
        COMPRESSION_SNAPPY => {
            return Err(ErrorKind::Unsupported(
                "compression snappy; rewrite the file with zstd or uncompressed chunks".to_string(),
            ));
        }
        other => return Err(invalid(format!("unknown compression byte {other:#04x}"))),
    };

    let values_len = (buffer.len() - values_start) as u64;
    if values_len != header.decoded_data_size {
        return Err(invalid(format!(
            "values section holds {values_len} bytes, the header says {}",
            header.decoded_data_size
        )));
    }
    let ends = parse_sizes(&sizes, header.num_records, values_len)?;
    Ok(SimpleChunk {
        buffer,
        values_start,
        ends,
    })
}

/// Decompresses a section stored as a varint of its uncompressed length and a
/// zstd stream, accepting at most `max_len` bytes.
fn decompress_section(
    decompressor: &mut Decompressor<'static>,
    section: &[u8],
    max_len: u64,
    name: &str,
) -> Result<Vec<u8>, ErrorKind> {
    let mut position = 0;
    let uncompressed_len = read_varint(section, &mut position).ok_or_else(|| {
        ErrorKind::InvalidChunk(format!(
            "truncated uncompressed length of the {name} section"
        ))
    })?;
    if uncompressed_len > max_len {
        return Err(ErrorKind::InvalidChunk(format!(
            "{name} section claims {uncompressed_len} bytes uncompressed, at most {max_len} fit"
        )));
    }

    // The length comes from the file, so allocation failure is an error here
    // rather than an abort.
    let mut out = Vec::new();
    usize::try_from(uncompressed_len)
        .ok()
        .and_then(|len| out.try_reserve_exact(len).ok())
        .ok_or_else(|| {
            ErrorKind::InvalidChunk(format!(
                "cannot allocate {uncompressed_len} bytes for the {name} section"
            ))
        })?;
    let written = decompressor
        .decompress_to_buffer(&section[position..], &mut out)
        .map_err(|error| {
            ErrorKind::InvalidChunk(format!(
                "zstd failed to decompress the {name} section: {error}"
            ))
        })?;
    if written as u64 != uncompressed_len {
        return Err(ErrorKind::InvalidChunk(format!(
            "{name} section decompressed to {written} bytes, expected {uncompressed_len}"
        )));
    }
    Ok(out)
}

/// Parses the sizes section into record end offsets, checking that it holds
/// exactly `num_records` lengths adding up to `values_len`.
fn parse_sizes(sizes: &[u8], num_records: u64, values_len: u64) -> Result<Vec<usize>, ErrorKind> {
    // Every length takes at least one byte, which bounds the allocation.
    if num_records > sizes.len() as u64 {
        return Err(ErrorKind::InvalidChunk(format!(
            "sizes section of {} bytes cannot hold {num_records} record lengths",
            sizes.len()
        )));
    }
    let mut ends = Vec::with_capacity(num_records as usize);
    let mut position = 0;
    let mut end = 0u64;
    for record in 0..num_records {
        let len = read_varint(sizes, &mut position).ok_or_else(|| {
            ErrorKind::InvalidChunk(format!(
                "truncated length of record {record} in the sizes section"
            ))
        })?;
        end = end
            .checked_add(len)
            .filter(|&end| end <= values_len)
            .ok_or_else(|| {
                ErrorKind::InvalidChunk(format!(
                    "record lengths exceed the {values_len} bytes of the values section"
                ))
            })?;
        ends.push(end as usize);
    }
    if position != sizes.len() {
        return Err(ErrorKind::InvalidChunk(format!(
            "{} bytes left over in the sizes section after {num_records} record lengths",
            sizes.len() - position
        )));
    }
    if end != values_len {
        return Err(ErrorKind::InvalidChunk(format!(
            "record lengths add up to {end} bytes, the values section holds {values_len}"
        )));
    }
    Ok(ends)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_records(records: &[&[u8]], compression: Compression) -> (ChunkHeader, Vec<u8>) {
        let mut sizes = Vec::new();
        let mut values = Vec::new();
        for record in records {
            write_varint(&mut sizes, record.len() as u64);
            values.extend_from_slice(record);
        }
        let mut encoder = SimpleChunkEncoder::new(compression).unwrap();
        let parts = encoder.encode(&sizes, &values).unwrap();
        let header =
            ChunkHeader::for_data(&parts, SIMPLE, records.len() as u64, values.len() as u64);
        (header, parts.concat())
    }

    fn decode(data: Vec<u8>, header: &ChunkHeader) -> Result<SimpleChunk, ErrorKind> {
        decode_simple(data, header, &mut Decompressor::new().unwrap())
    }

    #[test]
    fn uncompressed_chunk_matches_python_bytes() {
        // Record "abc" as the Python writer stores it with `uncompressed`.
        let (header, data) = encode_records(&[b"abc"], Compression::Uncompressed);
        assert_eq!(data, [0x00, 0x01, 0x03, b'a', b'b', b'c']);
        assert_eq!(header.decoded_data_size, 3);
    }

    #[test]
    fn simple_chunk_round_trip() {
        let long = vec![7u8; 100_000];
        let records: [&[u8]; 4] = [b"abc", b"", &long, b"hello world"];
        for compression in [Compression::Uncompressed, Compression::Zstd { level: 3 }] {
            let (header, data) = encode_records(&records, compression);
            let chunk = decode(data, &header).unwrap();
            assert_eq!(chunk.num_records(), records.len());
            for (i, record) in records.iter().enumerate() {
                assert_eq!(
                    chunk.record(i),
                    Some(*record),
                    "record {i} with {compression:?}"
                );
            }
            assert_eq!(chunk.record(records.len()), None);
        }
    }

    #[test]
    fn chunk_header_round_trip() {
        let header = ChunkHeader::for_data(&[b"xyz"], SIMPLE, (1 << 56) - 1, 12);
        let bytes = header.encode();
        assert_eq!(ChunkHeader::decode(&bytes), Ok(header));

        let mut damaged = bytes;
        damaged[33] ^= 0x10;
        assert!(ChunkHeader::decode(&damaged).is_err());
    }

    #[test]
    fn decode_rejects_inconsistent_sizes() {
        let (mut header, data) = encode_records(&[b"abc", b"de"], Compression::Uncompressed);
        header.num_records = 3;
        assert!(matches!(
            decode(data.clone(), &header),
            Err(ErrorKind::InvalidChunk(_))
        ));

        header.num_records = 1;
        assert!(matches!(
            decode(data.clone(), &header),
            Err(ErrorKind::InvalidChunk(_))
        ));

        header.num_records = 2;
        header.decoded_data_size = 4;
        assert!(matches!(
            decode(data, &header),
            Err(ErrorKind::InvalidChunk(_))
        ));
    }

    #[test]
    fn decode_reports_unsupported_compression() {
        let header = ChunkHeader::for_data(&[], SIMPLE, 0, 0);
        for byte in [b'b', b's'] {
            let result = decode(vec![byte, 0], &header);
            assert!(
                matches!(result, Err(ErrorKind::Unsupported(_))),
                "compression {byte}"
            );
        }
    }

    #[test]
    fn decode_rejects_oversized_claims() {
        // The values section stores an uncompressed length of 3, more than the
        // header allows.
        let (mut header, data) = encode_records(&[b"abc"], Compression::Zstd { level: 3 });
        header.decoded_data_size = 2;
        let Err(ErrorKind::InvalidChunk(message)) = decode(data, &header) else {
            panic!("expected an invalid chunk error");
        };
        assert!(message.contains("claims 3 bytes"), "{message}");
    }
}
